#!/usr/bin/env python3
"""Case study 3 (VM mechanisms): turn the guest output of
experiments/casestudy/casestudy3-guest.sh into per-phase counts, TAP checks of every
prediction, gnuplot PNGs, summary.md and summary.json.

USAGE: casestudy3.py GUEST_OUTPUT OUTDIR [--check] [--wrong[=KEY,...]]

--check   print TAP; exit 1 unless every check passes
--wrong   replace some predictions by wrong (naive) ones, to show that the
          checks can fail: every key of WRONG below, or the keys given

A phase is one measured window of one process (userspace/vmmech.c): its
getrusage() over [t0, t1], the module's samples written in (t0, t1] (the
process is the only one registered then), and the witness's interval rows of
its PID that lie inside [q0, q1] (less a margin at each end), q0..t0 and
t1..q1 being quiet sleeps around the phase, in which the process does not
fault.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pfplot  # noqa: E402  (experiments/lib)
import witness_record  # noqa: E402

# The witness's intervals that count for a phase lie inside [q0 + MARGIN,
# q1 - MARGIN], and one of them must end MARGIN after t1.  Both ends need
# it: perf counts are charged when the process is switched out (into the
# quiet sleep, a little after q0 or t1), and pfwitness stamps an interval's
# end (during its CPU kick) before it reads its maps, so an interval's
# counts run a little past its stamp (seen: 2 faults vmmech made after it
# stamped q1, 0.1 ms after the interval's stamp, were in that interval).
MARGIN_NS = 50_000_000

# The wrong predictions --wrong uses (each a plausible naive belief).
WRONG = {
    "demand.tp.prefetch": "the tracepoint sees every fault: N",
    "cow.reader": "the reader copies too: N",
    "file.warm.major": "the page cache does not help: as many majors as cold",
    "file.random.major": "readahead works for MADV_RANDOM too: N / ra_pages",
    "thp.on": "THP changes nothing: N",
}


def parse(path):
    env, phases, failed, module, wlines = {}, [], [], [], []
    section = None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^=== (\w+)$", line)
        if m:
            section = m.group(1)
            continue
        if section == "env" and line.startswith("env "):
            k, _, v = line[4:].partition("=")
            env[k] = v
        elif section == "vmmech":
            if line.startswith("vmmech: FAILED"):
                failed.append(line[len("vmmech: FAILED "):])
            elif line.startswith("vmmech: exp="):
                d = dict(kv.split("=", 1) for kv in line[len("vmmech: "):].split() if "=" in kv)
                for k in list(d):
                    if re.fullmatch(r"-?\d+", d[k]):
                        d[k] = int(d[k])
                phases.append(d)
        elif section == "module":
            f = line.split()
            if len(f) == 6 and all(x.lstrip("-").isdigit() for x in f):
                module.append([int(x) for x in f])
        elif section == "witness":
            wlines.append(line)
    return env, phases, failed, module, witness(wlines)


def witness(lines):
    """The witness section: pfwitness's record cut down to vmmech's PIDs
    (witness_reduce in guest-witness.sh), read by name
    (experiments/lib/witness_record.py).  S: seq -> (end mono_ns, secs) of
    every interval (its row with pid empty); I: vmmech's interval rows
    (dicts); total: pid -> total row; src: source -> attached."""
    wit = {"S": {}, "I": [], "total": {}, "src": {}}
    if not lines:
        return wit
    rec = witness_record.read_csv(lines, "witness section")
    for r in rec["intervals"]:
        if r["pid"] is None:
            wit["S"][r["seq"]] = (r["mono_ns"], r["secs"])
        else:
            wit["I"].append(r)
    wit["total"] = {t["pid"]: t for t in rec["totals"]}
    wit["src"] = witness_record.attached(rec)
    return wit


# The witness's counters a phase sums (by name).
WCOLS = ("tp_user", "tp_kernel", "pe_min", "pe_maj", "fx_min", "fx_maj", "fx_gup", "fx_skip", "cpu_ns")


def intervals(wit):
    """seq -> (start_ns, end_ns) for every interval of the witness."""
    out, seqs = {}, sorted(wit["S"])
    for s in seqs:
        end, secs = wit["S"][s]
        start = wit["S"][s - 1][0] if s - 1 in wit["S"] else end - int(secs * 1e9)
        out[s] = (start, end)
    return out


def analyse(phases, module, wit):
    ivs = intervals(wit)
    rows_by_pid = {}
    for r in wit["I"]:
        rows_by_pid.setdefault(r["pid"], []).append(r)
    for p in phases:
        p["key"] = f"{p['exp']}/{p['role']}/{p['phase']}"
        if not p.get("t0"):
            continue
        t0, t1, q0, q1 = p["t0"], p["t1"], p["q0"], p["q1"]
        mod = [s for s in module if t0 < s[1] <= t1]
        p["module"] = {"minflt": sum(s[3] for s in mod), "majflt": sum(s[4] for s in mod),
                       "cpu_ns": sum(s[5] for s in mod), "samples": len(mod)}
        cum, a, b = [(0.0, 0, 0)], 0, 0
        for s in mod:
            a, b = a + s[3], b + s[4]
            cum.append(((s[1] - t0) / 1e9, a, b))
        p["_module_series"] = cum
        if not ivs:
            p["witness"] = None
            continue
        # the witness's window: intervals inside [q0 + margin, q1 - margin]; it
        # holds the whole phase if one of them starts before t0 and one
        # ends after t1 + margin
        inside = {s for s, (st, en) in ivs.items() if st >= q0 + MARGIN_NS and en <= q1 - MARGIN_NS}
        first = min((ivs[s][0] for s in inside), default=None)
        last = max((ivs[s][1] for s in inside), default=None)
        covered = first is not None and first <= t0 and last >= t1 + MARGIN_NS
        sums = dict.fromkeys(WCOLS, 0)
        series, acc = [], dict.fromkeys(WCOLS, 0)
        for r in sorted(rows_by_pid.get(p["pid"], []), key=lambda r: r["seq"]):
            if r["seq"] in inside:
                for k in WCOLS:
                    sums[k] += r.get(k, 0)
                    acc[k] += r.get(k, 0)
                series.append(((ivs[r["seq"]][1] - t0) / 1e9,) + tuple(acc[k] for k in WCOLS[:8]))
        sums["covered"] = covered
        sums["window_s"] = ((first - t0) / 1e9 if first else None, (last - t1) / 1e9 if last else None)
        p["witness"] = sums
        p["_witness_series"] = series
    return {p["key"]: p for p in phases}


class Checks:
    def __init__(self):
        self.rows = []

    def add(self, section, what, ok, predicted, measured, tol):
        self.rows.append({"section": section, "what": what, "ok": bool(ok),
                          "predicted": str(predicted), "measured": str(measured), "tol": tol})

    def near(self, section, what, measured, predicted, minus, plus, tol):
        """measured within [predicted - minus, predicted + plus]"""
        self.add(section, what, predicted - minus <= measured <= predicted + plus,
                 predicted, measured, tol)


def faults(p):
    return p["minflt"] + p["majflt"]


def predictions(env, wrong):
    n = int(env.get("n", 0))
    fp = int(env.get("file_pages", 0))
    ra = int(env.get("read_ahead_kb", 128)) // 4
    fa = max(1, int(env.get("fault_around_bytes", 65536) or 65536) // 4096)
    thp_pages = int(env.get("thp_mb", 0)) * 256
    P = {
        "cow.writer": n, "cow.reader": 0, "cow.copies": n,
        "demand.faults": n, "demand.tp.lazy": n, "demand.tp.prefetch": 0,
        "demand.gup.prefetch": n,
        # read-around: one fault per ra_pages window, +1 at the start of
        # the file (see docs/case-studies.md, Case study 3)
        "file.normal.major": fp // ra + 1, "file.sequential.major": fp // ra + 1,
        "file.random.major": fp, "file.warm.major": 0, "file.warm.minor": fp // fa,
        "thp.off": thp_pages, "thp.on": thp_pages // 512,
        "ra_pages": ra, "fa_pages": fa, "n": n, "file_pages": fp,
    }
    for k in wrong:
        P[k] = {"demand.tp.prefetch": n, "cow.reader": n, "file.warm.major": P["file.normal.major"],
                "file.random.major": fp // ra, "thp.on": thp_pages}[k]
    return P


def check(env, ph, failed, wit, wrong):
    c = Checks()
    P = predictions(env, wrong)
    n = P["n"]
    for f in failed:
        c.add("run", f"vmmech {f} ran", False, "exit 0", "failed", "")
    src = wit["src"]
    c.add("witness", "pfwitness attached tracepoints, perf events, fexit and sched_switch",
          all(src.get(k) for k in ("tracepoint", "perf_event", "fexit", "sched_switch")),
          "all four", ", ".join(k for k, v in src.items() if v) or "none", "")

    # Accounting, every phase: the module's samples, the witness's fexit
    # and perf columns and getrusage are the same count.
    for key, p in ph.items():
        if not p.get("t0"):
            continue
        w, m = p.get("witness"), p["module"]
        ok = (p["mp3"] == "ok" and m["minflt"] == p["minflt"] and m["majflt"] == p["majflt"])
        txt = f"module {m['minflt']}/{m['majflt']}"
        if w:
            ok = ok and w["covered"] and w["fx_min"] == p["minflt"] and w["fx_maj"] == p["majflt"] \
                and w["pe_min"] + w["pe_maj"] + w["fx_gup"] == faults(p)
            txt += (f", witness fx {w['fx_min']}/{w['fx_maj']}, pe {w['pe_min']}/{w['pe_maj']}"
                    f" + gup {w['fx_gup']}" + ("" if w["covered"] else ", WINDOW NOT SEPARABLE"))
        else:
            ok = False
            txt += ", no witness"
        c.add("accounting", f"{key}: module == witness fexit == perf + gup == getrusage", ok,
              f"{p['minflt']}/{p['majflt']} (getrusage)", txt, "exact")

    def get(key):
        if key not in ph:
            c.add("run", f"{key} measured", False, "a phase line", "missing", "")
            return None
        return ph[key]

    # --- copy-on-write
    for exp, writer, reader, after in (("cow-child", "child/write", "parent/read", "parent/write-after"),
                                        ("cow-parent", "parent/write", "child/read", None)):
        wp, rp = get(f"{exp}/{writer}"), get(f"{exp}/{reader}")
        if wp:
            c.near("cow", f"{exp}: {writer.replace('/', ' ')}s all N: N copy-on-write faults",
                   faults(wp), P["cow.writer"], 0, 2, "+0..2")
            c.near("cow", f"{exp}: the writer gets N private copies (Private_Dirty)",
                   wp["copies"], P["cow.copies"], 0, 8, "+0..8")
        if rp:
            c.near("cow", f"{exp}: {reader.replace('/', ' ')}s all N: no fault",
                   faults(rp), P["cow.reader"], 0, 2, "+0..2")
            c.add("cow", f"{exp}: the reader sees its own data, not the writer's",
                  rp["same"] == n, n, rp["same"], "exact")
        if after:
            ap = get(f"{exp}/{after}")
            if ap:
                c.near("cow", f"{exp}: the parent then writes all N: N faults (reuse, pages no longer shared)",
                       faults(ap), n, 0, 2, "+0..2")
                c.near("cow", f"{exp}: ... and no copies", ap["copies"], 0, 0, 8, "+0..8")
    dp = get("cow-dontfork/parent/write")
    ds = get("cow-dontfork/child/start")
    if dp:
        c.near("cow", "MADV_DONTFORK: the parent writes all N after fork: no fault",
               faults(dp), 0, 0, 2, "+0..2")
    if ds:
        c.add("cow", "MADV_DONTFORK: the area is not in the child", ds.get("mapped") == 0, 0,
              ds.get("mapped"), "exact")
    sw, sr, sa = (get(f"cow-shared/{k}") for k in ("child/write", "parent/read", "parent/write-after"))
    if sw:
        c.near("cow", "MAP_SHARED: the child writes all N: N faults filling its page table "
               "(fork copies no PTEs of a shared mapping), no copy-on-write",
               faults(sw), n, 0, 2, "+0..2")
        c.near("cow", "MAP_SHARED: ... and no private copies", sw["copies"], 0, 0, 8, "+0..8")
    if sr:
        c.add("cow", "MAP_SHARED: the parent sees the child's data", sr["same"] == n, n, sr["same"], "exact")
    if sa:
        c.near("cow", "MAP_SHARED: the parent writes all N: no fault", faults(sa), 0, 0, 2, "+0..2")
    for exp in ("cow-child", "cow-parent", "cow-dontfork", "cow-shared"):
        fk, st = ph.get(f"{exp}/parent/fork"), ph.get(f"{exp}/child/start")
        if fk and st:
            c.add("fork", f"{exp}: fork() itself costs a few faults, not N: parent {faults(fk)} "
                  f"(in fork's window), child {faults(st)} (fork to its first getrusage)",
                  faults(fk) + faults(st) <= 16, f"a few, independent of N = {n}",
                  faults(fk) + faults(st), "<= 16")

    # --- demand paging against prefetching
    for mode in ("lazy", "populate", "popwrite", "mlock"):
        p = get(f"demand/self/{mode}")
        if not p:
            continue
        w = p.get("witness") or dict.fromkeys(WCOLS, -1)
        c.near("demand", f"{mode}: getrusage counts N faults", faults(p), P["demand.faults"], 0, 2, "+0..2")
        c.add("demand", f"{mode}: the module shows them all", p["module"]["minflt"] == p["minflt"],
              p["minflt"], p["module"]["minflt"], "exact")
        if mode == "lazy":
            c.near("demand", "lazy: the tracepoint (tp_user) sees N", w["tp_user"], P["demand.tp.lazy"], 0, 2, "+0..2")
            c.near("demand", "lazy: perf (pe_min) sees N", w["pe_min"], P["demand.tp.lazy"], 0, 2, "+0..2")
            c.add("demand", "lazy: fexit sees no get_user_pages fault", w["fx_gup"] == 0, 0, w["fx_gup"], "exact")
        else:
            c.near("demand", f"{mode}: the tracepoint (tp_user) sees none", w["tp_user"],
                   P["demand.tp.prefetch"], 0, 2, "+0..2")
            c.near("demand", f"{mode}: perf (pe_min) sees none", w["pe_min"],
                   P["demand.tp.prefetch"], 0, 2, "+0..2")
            c.add("demand", f"{mode}: fexit's GUP column has every one (fx_gup == getrusage)",
                  w["fx_gup"] == faults(p) and w["fx_gup"] >= P["demand.gup.prefetch"],
                  P["demand.gup.prefetch"], w["fx_gup"], "== getrusage, >= N")

    # --- page cache
    if "file_error" in env:
        c.add("pagecache", "a file whose page cache drop_caches empties (ext2 on loop)", False,
              "ext2 on a loop device", env["file_error"], "")
    fp, ra, fa = P["file_pages"], P["ra_pages"], P["fa_pages"]
    for adv in ("normal", "sequential", "random"):
        cold, warm = get(f"file-cold/self/{adv}"), get(f"file-warm/self/{adv}")
        if cold:
            c.add("pagecache", f"{adv}, after drop_caches: 1 <= major faults <= N",
                  1 <= cold["majflt"] <= fp, f"<= {fp}", cold["majflt"], "")
            pred = P[f"file.{adv}.major"]
            if adv == "random":
                c.near("pagecache", "random: one major fault per page", cold["majflt"], pred,
                       pred // 50, 0, "-2 %")
            else:
                c.near("pagecache", f"{adv}: one major fault per read-around window of "
                       f"ra_pages = {ra} pages (+1)", cold["majflt"], pred, pred // 10 + 2,
                       pred // 10 + 2, "±10 % + 2")
            w = cold.get("witness") or dict.fromkeys(WCOLS, -1)
            c.add("pagecache", f"{adv}, cold: every major fault was retried once (fx_skip == majflt)",
                  w["fx_skip"] == cold["majflt"], cold["majflt"], w["fx_skip"], "exact")
        if warm:
            c.near("pagecache", f"{adv}, second read: no major fault", warm["majflt"],
                   P["file.warm.major"], 0, 0, "exact")
            c.near("pagecache", f"{adv}, second read: one minor fault per fault-around block of "
                   f"{fa} pages", warm["minflt"], P["file.warm.minor"], 0, 2, "+0..2")

    # --- huge pages
    off, on = get("thp/self/off"), get("thp/self/on")
    if off:
        c.near("thp", f"MADV_NOHUGEPAGE: one fault per 4 KiB page", faults(off), P["thp.off"], 0, 2, "+0..2")
    if on:
        chunks = P["thp.off"] // 512
        expect = on["huge"] + 512 * (chunks - on["huge"])
        c.add("thp", "MADV_HUGEPAGE: faults == huge pages given + 512 x 2 MiB ranges that fell back "
              "(AnonHugePages)", faults(on) == expect, expect, faults(on), "exact")
        c.near("thp", "MADV_HUGEPAGE: one fault per 2 MiB", faults(on), P["thp.on"], 0, 511 * 4,
               "+0..4 fallbacks (511 each)")
    return c


gp = pfplot.gnuplot


def term(w, h):
    return pfplot.term(w, h, enhanced=False)


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")


def series_files(out, ph):
    for key, p in ph.items():
        if "_module_series" in p:
            name = key.replace("/", "_")
            write(os.path.join(out, f"{name}-module.dat"), p["_module_series"])
            if p.get("_witness_series"):
                write(os.path.join(out, f"{name}-witness.dat"),
                      [(0.0,) + (0,) * 8] + p["_witness_series"])


def plots(out, env, ph, P):
    series_files(out, ph)
    dat = lambda key, kind: os.path.join(out, key.replace("/", "_") + f"-{kind}.dat")
    n = P["n"]
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f",
              "#bcbd22", "#e377c2"]

    # --- copy-on-write
    cow = [("cow-child/child/write", "a: child writes N", P["cow.writer"]),
           ("cow-child/parent/read", "a: parent reads N", 0),
           ("cow-child/parent/write-after", "a: then parent writes N", n),
           ("cow-parent/parent/write", "b: parent writes N", P["cow.writer"]),
           ("cow-parent/child/read", "b: child reads N", 0),
           ("cow-dontfork/parent/write", "DONTFORK: parent writes N", 0),
           ("cow-shared/child/write", "SHARED: child writes N", n),
           ("cow-shared/parent/read", "SHARED: parent reads N", 0),
           ("cow-shared/parent/write-after", "SHARED: parent writes N", 0)]
    cow = [(k, l, pr) for k, l, pr in cow if k in ph]
    bars = []
    for k, l, pr in cow:
        p, w = ph[k], ph[k].get("witness") or dict.fromkeys(WCOLS, 0)
        bars.append((f'"{l}"', pr, faults(p), p["module"]["minflt"], w["pe_min"], w["fx_min"],
                     max(0, p.get("copies", 0)) if "copies" in p else 0))
    write(os.path.join(out, "cs3-cow.dat"), bars)
    lines = ", \\\n  ".join(
        f"'{dat(k, 'module')}' u 1:2 w lp lw 2 pt 7 ps 0.6 lc rgb '{colors[i % len(colors)]}' t '{l}'"
        for i, (k, l, _) in enumerate(cow))
    gp(term(1100, 1000) + f"""set output '{out}/cs3-cow.png'
set multiplot layout 2,1 title "Case study 3: copy-on-write, N = {n} pages (mp3.ko samples above, pfwitness below)"
set title "accumulated minor faults of each phase (mp3.ko 50 ms samples) against time since the phase began"
set xlabel 'time since the phase began (s, under TCG)'
set ylabel 'minor faults'
set key right bottom
set grid
set yrange [-{n // 40}:{int(n * 1.1)}]
plot {lines}
unset xlabel
set title "per phase: predicted, getrusage, mp3.ko, pfwitness perf (pe_min) and fexit (fx_min), and pages copied (Private_Dirty)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 scale 0
set bmargin 7
set key right top
set ylabel 'faults / pages'
plot '{out}/cs3-cow.dat' u 2:xtic(1) t 'predicted' lc rgb '#bbbbbb', \\
     '' u 3 t 'getrusage' lc rgb '#1f77b4', '' u 4 t 'mp3.ko' lc rgb '#2ca02c', \\
     '' u 5 t 'pfwitness pe_min' lc rgb '#ff7f0e', '' u 6 t 'pfwitness fx_min' lc rgb '#d62728', \\
     '' u 7 t 'pages copied' lc rgb '#9467bd'
unset multiplot
""")

    # --- demand paging against prefetching
    modes = [(m, lbl) for m, lbl in (("lazy", "lazy (first touch)"), ("populate", "MAP_POPULATE"),
                                     ("popwrite", "MADV_POPULATE_WRITE"), ("mlock", "mlock()"))
             if f"demand/self/{m}" in ph]
    bars = []
    for m, lbl in modes:
        p = ph[f"demand/self/{m}"]
        w = p.get("witness") or dict.fromkeys(WCOLS, 0)
        bars.append((f'"{lbl}"', faults(p), p["module"]["minflt"], w["tp_user"], w["pe_min"],
                     w["fx_min"], w["fx_gup"]))
    write(os.path.join(out, "cs3-demand.dat"), bars)
    lines = ", \\\n  ".join(
        f"'{dat('demand/self/' + m, 'module')}' u 1:2 w lp lw 2 pt 7 ps 0.6 lc rgb '{colors[i]}' t '{lbl}: mp3.ko'"
        for i, (m, lbl) in enumerate(modes))
    wl = ", \\\n  ".join(
        f"'{dat('demand/self/' + m, 'witness')}' u 1:{4 if m == 'lazy' else 8} w steps "
        f"dt {2 if m == 'lazy' else 3} lw 2 lc rgb '{colors[i]}' "
        f"t '{lbl}: pfwitness {'pe_min' if m == 'lazy' else 'fx_gup'}'"
        + ("" if m == "lazy" else
           f", '{dat('demand/self/' + m, 'witness')}' u 1:4 w steps dt 2 lw 2 lc rgb '{colors[i]}' "
           f"t '{lbl}: pfwitness pe_min'")
        for i, (m, lbl) in enumerate(modes) if os.path.exists(dat('demand/self/' + m, 'witness')))
    gp(term(1100, 1000) + f"""set output '{out}/cs3-demand.png'
set multiplot layout 2,1 title "Case study 3: demand paging against prefetching, N = {n} pages: who sees which fault"
set title "accumulated faults since the phase began: mp3.ko samples (solid), pfwitness per 0.1 s: perf pe_min (dashed), fexit fx_gup (dotted)"
set xlabel 'time since the phase began (s, under TCG)'
set ylabel 'faults'
set key right center
set grid
set yrange [-{n // 40}:{int(n * 1.1)}]
plot {lines}{', ' + chr(92) + chr(10) + '  ' + wl if wl else ''}
unset xlabel
set title "per mode: getrusage, mp3.ko, and pfwitness's columns (tracepoint, perf, fexit, fexit get_user_pages)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics scale 0 norotate
set key outside right top
set ylabel 'faults in the phase'
plot '{out}/cs3-demand.dat' u 2:xtic(1) t 'getrusage' lc rgb '#1f77b4', \\
     '' u 3 t 'mp3.ko' lc rgb '#2ca02c', '' u 4 t 'tp_user' lc rgb '#bcbd22', \\
     '' u 5 t 'pe_min' lc rgb '#ff7f0e', '' u 6 t 'fx_min' lc rgb '#d62728', \\
     '' u 7 t 'fx_gup' lc rgb '#9467bd'
unset multiplot
""")

    # --- page cache
    advs = [a for a in ("normal", "sequential", "random") if f"file-cold/self/{a}" in ph]
    if advs:
        fp = P["file_pages"]
        bars, fac = [], []
        for a in advs:
            for t in ("cold", "warm"):
                p = ph.get(f"file-{t}/self/{a}")
                if not p:
                    continue
                w = p.get("witness") or dict.fromkeys(WCOLS, 0)
                bars.append((f'"{a}, {"1st" if t == "cold" else "2nd"}"', max(p["majflt"], 0.5),
                             max(p["minflt"], 0.5), max(w["pe_maj"], 0.5), max(w["fx_maj"], 0.5),
                             max(w["fx_skip"], 0.5)))
            p = ph[f"file-cold/self/{a}"]
            fac.append((f'"{a}"', fp / P[f"file.{a}.major"], fp / max(1, p["majflt"])))
        write(os.path.join(out, "cs3-pagecache.dat"), bars)
        write(os.path.join(out, "cs3-readahead.dat"), fac)
        lines = ", \\\n  ".join(
            f"'{dat('file-cold/self/' + a, 'module')}' u 1:($3 > 0 ? $3 : 1/0) w lp lw 2 pt 7 ps 0.5 lc rgb '{colors[i]}' t 'MADV_{a.upper()}: majors (mp3.ko)', "
            f"'{dat('file-cold/self/' + a, 'module')}' u 1:($2 > 0 ? $2 : 1/0) w lp lw 1 dt 3 pt 6 ps 0.5 lc rgb '{colors[i]}' t 'MADV_{a.upper()}: minors (mp3.ko)'"
            for i, a in enumerate(advs))
        gp(term(1100, 1000) + f"""set output '{out}/cs3-pagecache.png'
set multiplot title "Case study 3: page cache, a {fp}-page file on ext2 on a loop device (read_ahead_kb {env.get('read_ahead_kb')}, fault_around_bytes {env.get('fault_around_bytes')})"
set origin 0,0.45
set size 1,0.5
set title "first read after drop_caches: accumulated faults since the phase began (mp3.ko 50 ms samples)"
set xlabel 'time since the phase began (s, under TCG)'
set ylabel 'faults (log)'
set logscale y
set yrange [0.8:{fp * 2}]
set key left top
set grid
plot {lines}
set origin 0,0
set size 0.64,0.45
unset xlabel
set title "faults per run (log): mp3.ko majors and minors, pfwitness perf/fexit majors, retries"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20 scale 0
set key left top font ',8'
set ylabel 'faults (0 drawn as 0.5)'
plot '{out}/cs3-pagecache.dat' u 2:xtic(1) t 'majflt' lc rgb '#d62728', '' u 3 t 'minflt' lc rgb '#1f77b4', \\
     '' u 4 t 'pe_maj' lc rgb '#ff7f0e', '' u 5 t 'fx_maj' lc rgb '#8c564b', '' u 6 t 'fx_skip (retried)' lc rgb '#7f7f7f'
set origin 0.64,0
set size 0.36,0.45
unset logscale y
set yrange [0:*]
set title "readahead factor: pages per major fault, first read"
set ylabel 'pages / major fault'
set xtics norotate
set key right top
plot '{out}/cs3-readahead.dat' u 2:xtic(1) t 'predicted' lc rgb '#bbbbbb', '' u 3 t 'measured' lc rgb '#2ca02c'
unset multiplot
""")

    # --- huge pages
    if "thp/self/off" in ph and "thp/self/on" in ph:
        off, on = ph["thp/self/off"], ph["thp/self/on"]
        ws = [f"'{dat('thp/self/' + m, 'witness')}' u 1:($6 > 0 ? $6 : 1/0) w steps dt 2 lw 2 lc rgb '{c}' t 'MADV_{m2}: pfwitness fx_min (per 0.1 s)'"
              for m, m2, c in (("off", "NOHUGEPAGE", "#1f77b4"), ("on", "HUGEPAGE", "#d62728"))
              if os.path.exists(dat('thp/self/' + m, 'witness'))]
        gp(term(1000, 620) + f"""set output '{out}/cs3-thp.png'
set title "Case study 3: {env.get('thp_mb')} MiB touched one store per 4 KiB page\\nMADV_NOHUGEPAGE: {faults(off)} faults; MADV_HUGEPAGE: {faults(on)} faults, {on['huge']} huge pages (AnonHugePages), {on['thp_fallback']} fallbacks"
set xlabel 'time since the phase began (s, under TCG)'
set ylabel 'accumulated faults (log)'
set logscale y
set yrange [0.8:{P['thp.off'] * 30}]
set key right bottom
set grid
plot '{dat('thp/self/off', 'module')}' u 1:($2 > 0 ? $2 : 1/0) w lp lw 3 pt 7 ps 0.6 lc rgb '#1f77b4' t 'MADV_NOHUGEPAGE: mp3.ko', \\
     '{dat('thp/self/on', 'module')}' u 1:($2 > 0 ? $2 : 1/0) w lp lw 3 pt 7 ps 0.6 lc rgb '#d62728' t 'MADV_HUGEPAGE: mp3.ko', \\
     {P['thp.off']} w l dt 3 lc rgb '#1f77b4' t 'predicted {P['thp.off']}', {P['thp.on']} w l dt 3 lc rgb '#d62728' t 'predicted {P['thp.on']}'{', ' + ', '.join(ws) if ws else ''}
""")


def markdown(out, env, ph, checks):
    lines = ["| phase | n | getrusage min/maj | mp3.ko min/maj | tp_user | pe min/maj | fx min/maj | fx_gup | fx_skip | extra | t1-t0 s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, p in ph.items():
        w = p.get("witness")
        extra = " ".join(f"{k}={p[k]}" for k in ("copies", "same", "mapped", "fork_ns", "huge",
                                                    "thp_alloc", "thp_fallback") if k in p)
        if not p.get("t0"):
            lines.append(f"| {key} | {p['n']} | {p['minflt']}/{p['majflt']} | – | – | – | – | – | – | {extra} | – |")
            continue
        m = p["module"]
        lines.append(
            f"| {key} | {p['n']} | {p['minflt']}/{p['majflt']} | {m['minflt']}/{m['majflt']} | "
            + (f"{w['tp_user']} | {w['pe_min']}/{w['pe_maj']} | {w['fx_min']}/{w['fx_maj']} | "
               f"{w['fx_gup']} | {w['fx_skip']} | " if w else "– | – | – | – | – | ")
            + f"{extra} | {(p['t1'] - p['t0']) / 1e9:.3f} |")
    lines += ["", "| check | predicted | measured | tolerance | ok |", "|---|---|---|---|---|"]
    for r in checks.rows:
        lines.append(f"| {r['section']}: {r['what']} | {r['predicted']} | {r['measured']} | {r['tol']} | "
                     f"{'yes' if r['ok'] else '**NO**'} |")
    text = "\n".join(lines) + "\n"
    open(os.path.join(out, "summary.md"), "w").write(text)
    return text


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    wrong = []
    for a in sys.argv[1:]:
        if a == "--wrong":
            wrong = list(WRONG)
        elif a.startswith("--wrong="):
            wrong = [k for k in a[len("--wrong="):].split(",") if k]
            bad = [k for k in wrong if k not in WRONG]
            if bad:
                print(f"casestudy3.py: unknown --wrong key(s) {bad}; known: {list(WRONG)}", file=sys.stderr)
                sys.exit(2)
    src, out = args
    os.makedirs(out, exist_ok=True)
    env, phases, failed, module, wit = parse(src)
    if not phases:
        print("casestudy3.py: no vmmech phases in " + src, file=sys.stderr)
        sys.exit(1)
    ph = analyse(phases, module, wit)
    checks = check(env, ph, failed, wit, wrong)
    P = predictions(env, wrong)
    plots(out, env, ph, P)
    print(markdown(out, env, ph, checks))
    json.dump({"env": env, "predictions": P, "wrong": {k: WRONG[k] for k in wrong},
               "phases": {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")}
                          for k, v in ph.items()},
               "checks": checks.rows}, open(os.path.join(out, "summary.json"), "w"), indent=1)
    if "--check" in sys.argv:
        if wrong:
            print("# --wrong: these predictions are deliberately wrong: " +
                  "; ".join(f"{k} ({WRONG[k]})" for k in wrong))
        print(f"1..{len(checks.rows)}")
        for i, r in enumerate(checks.rows, 1):
            print(f"{'' if r['ok'] else 'not '}ok {i} {r['section']}: {r['what']} "
                  f"(predicted {r['predicted']}, measured {r['measured']}"
                  + (f", tolerance {r['tol']}" if r["tol"] else "") + ")")
        sys.exit(0 if all(r["ok"] for r in checks.rows) else 1)


if __name__ == "__main__":
    main()
