#!/usr/bin/env python3
"""Turn the case-study guest output into data files, gnuplot PNGs, a JSON
summary and a Markdown table.

USAGE: casestudy.py GUEST_OUTPUT OUTDIR [--check]

--check exits 1 (printing TAP) unless the run shows what the case studies
must show: module totals == the works' own getrusage, major faults in case
study 1's random pair and in case study 2's largest N, fewer faults with
locality than without.
"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pfplot  # noqa: E402  (experiments/lib)
import witness_record  # noqa: E402

CPUS = 2


def parse(path):
    runs, cur, section = {}, None, None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^=== (\w+) (\S+)(.*)$", line)
        if m:
            section, name, rest = m.group(1), m.group(2), m.group(3).split()
            cur = runs.setdefault(name, {"module": [], "works": [], "witness": []})
            if section == "run":
                cur["limit_mb"] = int(rest[0])
                cur["t0"], cur["t1"] = float(rest[1]), float(rest[2])
                cur["iter"] = int(rest[3]) if len(rest) > 3 else 20
            continue
        if cur is None or section not in ("module", "works", "witness"):
            continue
        cur[section].append(line)
    return runs


def analyse(name, r):
    t0 = r["t0"]
    samples = []
    for l in r["module"]:
        f = l.split()
        if len(f) == 6 and all(x.lstrip("-").isdigit() for x in f):
            samples.append([int(x) for x in f])
    cum, mi, ma, cpu = [], 0, 0, 0
    for s in samples:
        mi, ma, cpu = mi + s[3], ma + s[4], cpu + s[5]
        cum.append((s[1] / 1e9 - t0, mi, ma, cpu / 1e9))
    works, totals, ends, args = {}, {}, [], {}
    for l in r["works"]:
        m = re.search(r"pid=(\d+) (registered|total) minflt=(\d+) majflt=(\d+) "
                      r"utime_us=(\d+) stime_us=(\d+) cpu_us=(\d+)", l)
        if m:
            pid, kind = int(m.group(1)), m.group(2)
            v = dict(zip(("minflt", "majflt", "utime_us", "stime_us", "cpu_us"),
                         (int(x) for x in m.groups()[2:])))
            (works if kind == "registered" else totals)[pid] = v
        m = re.search(r"work: end (\S+) args=(.*)", l)
        if m:
            ends.append((float(m.group(1)) - t0, m.group(2)))
    wall = r["t1"] - t0
    greg = {k: sum(w[k] for w in works.values())
            for k in ("minflt", "majflt", "utime_us", "cpu_us")}
    gtot = {k: sum(w[k] for w in totals.values()) for k in ("minflt", "majflt", "cpu_us")}
    wit = witness_series(r["witness"], t0)
    util = (lambda ns: ns / (wall * 1e9 * CPUS)) if wall > 0 else (lambda ns: 0)
    return {
        "name": name,
        "limit_mb": r["limit_mb"],
        "n_works": len(works),
        "wall_s": round(wall, 3),
        "completion_s": [round(e[0], 3) for e in ends],
        "work_args": [e[1] for e in ends],
        "module": {"samples": len(samples), "minflt": mi, "majflt": ma, "cpu_ns": cpu},
        # getrusage over the registered window (what the module must equal)
        "getrusage": {"minflt": greg["minflt"], "majflt": greg["majflt"],
                      "cpu_ns": greg["cpu_us"] * 1000, "utime_ns": greg["utime_us"] * 1000},
        # getrusage over each work's whole life (what the witness sees)
        "getrusage_total": {"minflt": gtot["minflt"], "majflt": gtot["majflt"],
                            "cpu_ns": gtot["cpu_us"] * 1000},
        "first_touch_model": first_touch(r["iter"], [e[1] for e in ends]),
        "major_model": major_model(r["iter"], [e[1] for e in ends], r["limit_mb"],
                                   [e[0] for e in ends]),
        "utilization_module": util(cpu),
        "utilization_getrusage": util(greg["cpu_us"] * 1000),
        "utilization_user": util(greg["utime_us"] * 1000),
        "witness": wit["totals"],
        "_cum": cum,
        "_wit_cum": wit["cum"],
    }


def first_touch(iters, work_args):
    """Expected first-touch (minor) faults of the works if nothing is ever
    evicted: R touches uniformly random pages, so after A = iters*accesses
    stores P*(1 - exp(-A/P)) distinct pages; L touches the window's 16 pages
    plus one new page every 64 stores: min(P, 16 + (A-1)//64)."""
    total = 0.0
    for a in work_args:
        mb, mode, acc = a.split()
        p, n = int(mb) * 256, int(acc) * iters
        total += p * (1 - math.exp(-n / p)) if mode == "R" else min(p, 16 + max(n - 1, 0) // 64)
    return round(total)


def major_model(iters, work_args, limit_mb, completion_s, steps=2000):
    """Expected major faults of the works in RAM of M pages, from first
    principles.  Each work is taken to progress linearly in time to its
    measured completion, and tracked as T pages touched and R resident.  In
    a step of n stores of an R work over P pages: n (1 - T/P) first touches
    (minor), n (T - R)/P stores to a touched page that is not resident (a
    swap-in: major); both make the page resident.  Whenever the works hold
    more than M pages, reclaim evicts the excess in proportion to each
    work's resident pages -- for uniformly random stores, LRU can do no
    better than a random choice.  An L work adds a page every 64 stores and
    its 16-page window stays hot: first touches only.  A work that ends
    frees its pages."""
    procs = []
    for a, end in zip(work_args, completion_s):
        mb, mode, acc = a.split()
        procs.append((int(mb) * 256, int(acc), mode, max(end, 1e-3)))
    if not procs:
        return 0
    t_end = max(p[3] for p in procs)
    m, maj = limit_mb * 256, 0.0
    state = [[0.0, 0.0] for _ in procs]
    dt = t_end / steps
    for st in range(steps):
        t = (st + 0.5) * dt
        for i, (p, acc, mode, end) in enumerate(procs):
            if t >= end:
                state[i] = [0.0, 0.0]
                continue
            n = iters * acc / end * dt
            touched, res = state[i]
            if mode == "R":
                new, mj = n * (1 - touched / p), n * (touched - res) / p
            else:
                new, mj = min(n / 64, p - touched), 0.0
            maj += mj
            state[i] = [touched + new, res + new + mj]
        held = sum(x[1] for x in state)
        if held > m:
            for x in state:
                x[1] *= m / held
    return round(maj)


def witness_series(lines, t0):
    """The witness section (casestudy-guest.sh): pfwitness's record cut down
    to the works (witness_reduce in guest-witness.sh), read by name
    (experiments/lib/witness_record.py): per interval a row summing the
    works (pid empty), and their total rows.  Returns the accumulated
    per-interval series and totals."""
    if not lines:
        return {"totals": None, "cum": []}
    rec = witness_record.read_csv(lines, "witness section")
    series = ("pe_min", "pe_maj", "fx_min", "fx_maj", "cpu_ns")
    cum, acc = [], dict.fromkeys(series, 0)
    for r in sorted((r for r in rec["intervals"] if r["pid"] is None), key=lambda r: r["seq"]):
        for k in series:
            acc[k] += r.get(k, 0)
        cum.append((r["mono_ns"] / 1e9 - t0, acc["pe_min"], acc["pe_maj"], acc["fx_min"],
                    acc["fx_maj"], acc["cpu_ns"] / 1e9))
    tot = {k: sum(t.get(k, 0) for t in rec["totals"])
           for k in ("pe_min", "pe_maj", "fx_min", "fx_maj", "fx_gup", "cpu_ns")}
    tot["pids"] = len(rec["totals"])
    att = witness_record.attached(rec)
    tot["sources"] = {"pe": att.get("perf_event", False), "fx": att.get("fexit", False),
                      "sw": att.get("sched_switch", False)}
    # the interval rows must add up to the total rows
    tot["intervals_sum"] = dict(acc)
    return {"totals": tot, "cum": cum}


def write_dat(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")


gnuplot = pfplot.gnuplot


def plots(res, out):
    term = pfplot.term(1000, 620)
    for name, r in res.items():
        write_dat(os.path.join(out, f"{name}-module.dat"), r["_cum"])
        if r["_wit_cum"]:
            write_dat(os.path.join(out, f"{name}-witness.dat"), r["_wit_cum"])
    for pair in ("cs1-rr", "cs1-rl"):
        if pair not in res:
            continue
        r = res[pair]
        wit = os.path.exists(os.path.join(out, f"{pair}-witness.dat"))
        title = {"cs1-rr": "work 1024 R 50000 + work 1024 R 10000",
                 "cs1-rl": "work 1024 R 50000 + work 1024 L 10000"}[pair]
        if r["limit_mb"] != 1024:
            title += f" (scaled: {', '.join(r['work_args'])})"
        s = term + f"""set output '{out}/{pair}.png'
set title "Case study 1: {title}\\nRAM (memory.max) {r['limit_mb']} MiB; completion {', '.join('%.1f s' % c for c in r['completion_s'])}"
set xlabel 'time since start (s)'
set ylabel 'accumulated minor faults'
set y2label 'accumulated major faults'
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:{'*' if r['module']['majflt'] else 1}]
set key left top
set grid
{''.join(f"set arrow from {c},graph 0 to {c},graph 1 nohead dt 3 lc rgb 'gray40'{chr(10)}"
         f"set label 'work {a} ends' at {c},graph 0.5 right rotate by 90 offset -0.5,0 tc rgb 'gray40'{chr(10)}"
         for c, a in zip(r['completion_s'], r['work_args']))}plot '{out}/{pair}-module.dat' u 1:2 w l lw 3 lc rgb '#1f77b4' t 'minor (mp3.ko samples)', \\
     '{out}/{pair}-module.dat' u 1:3 axes x1y2 w l lw 3 lc rgb '#d62728' t 'major (mp3.ko samples, right axis)'"""
        if wit:
            s += f""", \\
     '{out}/{pair}-witness.dat' u 1:2 w l dt 2 lw 2 lc rgb '#17becf' t 'minor (pfwitness perf events)', \\
     '{out}/{pair}-witness.dat' u 1:3 axes x1y2 w l dt 2 lw 2 lc rgb '#ff9896' t 'major (pfwitness perf events, right axis)'"""
        gnuplot(s + "\n")
    cs2 = sorted(((r["n_works"], r) for n, r in res.items() if n.startswith("cs2-")),
                 key=lambda x: x[0])
    if cs2:
        rows = [(n, r["utilization_module"] * 100, r["utilization_getrusage"] * 100,
                 r["wall_s"], r["module"]["majflt"], r["module"]["minflt"],
                 r["utilization_user"] * 100, r["major_model"])
                for n, r in cs2]
        write_dat(os.path.join(out, "cs2.dat"), rows)
        thr = next((n for n, r in cs2 if r["module"]["majflt"] > 0), None)
        mark = (f"set arrow from {thr},graph 0 to {thr},graph 1 nohead dt 3 lw 2 lc rgb 'red'\n"
                f"set label 'first N with major faults: {thr}' at {thr},graph 0.55 right "
                f"offset -1,0 tc rgb 'red'\n" if thr else "")
        nstar = crossover(cs2)
        if nstar:
            mark += (f"set arrow from {nstar:.2f},graph 0 to {nstar:.2f},graph 1 nohead dt 2 lw 2 lc rgb 'orange'\n"
                     f"set label 'N x first-touch footprint = RAM: N = {nstar:.1f}' at {nstar:.2f},graph 0.62 "
                     f"right offset -1,0 tc rgb 'orange'\n")
        common = (f"set xrange [0:{cs2[-1][0] + 2}]\nset yrange [0:*]\nset y2range [0:*]\n"
                  "set y2tics\nset ytics nomirror\nset grid\nset key left top box opaque\n"
                  "set xlabel 'N (concurrent work processes)'\n" + mark)
        per = ", ".join(sorted(set(a for _, r in cs2 for a in r["work_args"])))
        gnuplot(term + common + f"""set output '{out}/cs2-utilization.png'
set title "Case study 2: N x work {per}, RAM (memory.max) {cs2[0][1]['limit_mb']} MiB\\nutilization = sum over the works of CPU ns (mp3.ko samples) / (wall ns x {CPUS} CPUs)"
set ylabel 'CPU utilization (%)'
set y2label 'completion time of all N works (s, under TCG)'
plot '{out}/cs2.dat' u 1:2 w lp lw 2 pt 7 lc rgb '#9467bd' t 'total utilization (user + system)', \\
     '{out}/cs2.dat' u 1:7 w lp lw 2 pt 9 lc rgb '#17becf' t 'user-time utilization (getrusage utime)', \\
     '{out}/cs2.dat' u 1:4 axes x1y2 w lp lw 2 pt 5 lc rgb '#ff7f0e' t 'completion time (right axis)'
""")
        gnuplot(term + common + f"""set output '{out}/cs2-user.png'
set title "Case study 2: useful work rate\\nuser-time utilization = sum of the works' utime / (wall ns x {CPUS} CPUs)"
set ylabel 'user-time utilization (%)'
set y2label 'major faults (all works, mp3.ko)'
plot '{out}/cs2.dat' u 1:7 w lp lw 2 pt 9 lc rgb '#17becf' t 'user-time utilization (getrusage utime)', \\
     '{out}/cs2.dat' u 1:5 axes x1y2 w lp lw 2 pt 5 lc rgb '#d62728' t 'major faults, mp3.ko (right axis)', \\
     '{out}/cs2.dat' u 1:8 axes x1y2 w lp dt 2 lw 2 pt 4 lc rgb '#7f7f7f' t 'major faults, swap model (right axis)'
""")


# Faults the witness sees that no getrusage() of a work can: those after the
# work's last getrusage() call -- its first printf (stdout buffer, and under
# memory pressure the evicted text, data and stack pages printf and exit
# touch again, some of them major).  Measured: about 5 per work without
# pressure, 10-12 (1-3 major) per work when thrashing.  The witness may
# exceed the module + out-of-window count by at most this many per work.
WITNESS_SLACK_PER_WORK = 32


def crossover(cs2):
    """N at which N works' first-touch footprint fills the RAM limit."""
    n, r = cs2[0]
    per = r["first_touch_model"] / n * 4096 / 2**20
    return r["limit_mb"] / per if per else None


def check(res):
    results = []

    def ok(cond, name):
        results.append((bool(cond), name))

    for name, r in sorted(res.items()):
        ok(r["module"]["minflt"] == r["getrusage"]["minflt"] and
           r["module"]["majflt"] == r["getrusage"]["majflt"],
           f"{name}: module faults == getrusage ({r['module']['minflt']}/{r['module']['majflt']}"
           f" vs {r['getrusage']['minflt']}/{r['getrusage']['majflt']})")
        w = r["witness"]
        if w is None:
            ok(False, f"{name}: witness ran (no witness section)")
            continue
        # The witness counts each work's whole life; the module only its
        # registered window.  getrusage's total-minus-registered is the
        # difference, so module + that == the kernel's count of the life.
        slack = WITNESS_SLACK_PER_WORK * r["n_works"]
        life_min = r["module"]["minflt"] + r["getrusage_total"]["minflt"] - r["getrusage"]["minflt"]
        life_maj = r["module"]["majflt"] + r["getrusage_total"]["majflt"] - r["getrusage"]["majflt"]
        ok(w["sources"]["pe"] and w["pids"] == r["n_works"] and
           0 <= w["pe_min"] - life_min + w["fx_gup"] <= slack and
           0 <= w["pe_maj"] - life_maj <= slack,
           f"{name}: witness perf events == module + out-of-window faults, +0..{slack} "
           f"(minor {w['pe_min']} vs {life_min}, major {w['pe_maj']} vs {life_maj}, "
           f"gup {w['fx_gup']}, {w['pids']} pids)")
        if w["sources"]["fx"]:
            ok(0 <= w["fx_min"] + w["fx_maj"] - r["getrusage_total"]["minflt"]
               - r["getrusage_total"]["majflt"] <= slack,
               f"{name}: witness fexit == works' lifetime getrusage, +0..{slack} "
               f"({w['fx_min']}+{w['fx_maj']} vs {r['getrusage_total']['minflt']}"
               f"+{r['getrusage_total']['majflt']})")
        else:
            ok(True, f"{name}: witness fexit == lifetime getrusage # SKIP fexit not attached")
        ok(all(w["intervals_sum"][k] == w[k] for k in w["intervals_sum"]),
           f"{name}: witness interval rows add up to its totals")
    for name, r in sorted(res.items()):
        mj, model = r["module"]["majflt"], r["major_model"]
        if mj or model:
            tol = 0.2 * model + 0.01 * r["first_touch_model"]
            ok(abs(mj - model) <= tol,
               f"{name}: major faults match the swap model: {mj} vs {model} "
               f"(20 % + 1 % of first touches = {tol:.0f})")
    if "cs1-rr" in res:
        r = res["cs1-rr"]
        ok(r["module"]["majflt"] > 0 and (r["witness"] or {}).get("pe_maj", 0) > 0,
           f"cs1 random pair thrashes: major faults module {r['module']['majflt']}, "
           f"witness {(r['witness'] or {}).get('pe_maj')}")
    if "cs1-rr" in res and "cs1-rl" in res:
        a = res["cs1-rr"]["module"]["minflt"] + res["cs1-rr"]["module"]["majflt"]
        b = res["cs1-rl"]["module"]["minflt"] + res["cs1-rl"]["module"]["majflt"]
        ok(b < a, f"cs1 locality pair faults less ({b} < {a})")
    cs2 = sorted(((r["n_works"], r) for n, r in res.items() if n.startswith("cs2-")),
                 key=lambda x: x[0])
    for name in ("cs1-rl",) + ((cs2[0][1]["name"],) if cs2 else ()):
        r = res.get(name)
        if r and r["module"]["majflt"] == 0:
            m = r["first_touch_model"]
            ok(abs(r["module"]["minflt"] - m) <= 0.01 * m + 50,
               f"{name}: no eviction, so minor faults = first touches: "
               f"{r['module']['minflt']} vs model {m} (1 % + 50)")
    if cs2:
        ok(cs2[-1][1]["module"]["majflt"] > 0,
           f"cs2 largest N={cs2[-1][0]} has major faults ({cs2[-1][1]['module']['majflt']})")
        ok(cs2[0][1]["module"]["majflt"] == 0,
           f"cs2 N={cs2[0][0]} fits in RAM: no major faults ({cs2[0][1]['module']['majflt']})")
        ok(cs2[-1][1]["wall_s"] > cs2[0][1]["wall_s"] * 1.2,
           f"cs2 thrashing slows completion: N={cs2[-1][0]} {cs2[-1][1]['wall_s']:.1f} s "
           f"> 1.2 x N={cs2[0][0]} {cs2[0][1]['wall_s']:.1f} s")
    print(f"1..{len(results)}")
    for i, (good, name) in enumerate(results, 1):
        print(f"{'' if good else 'not '}ok {i} {name}")
    return all(g for g, _ in results)


def markdown(res, out):
    lines = ["| run | RAM MiB | works | wall s | completion s | minflt module / getrusage |"
             " majflt module / getrusage | model minflt / majflt | witness pe min / maj |"
             " witness fx min / maj | CPU util | user-time util |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(res.items(), key=lambda kv: (kv[0][:3], kv[1]["n_works"])):
        w = r["witness"]
        args = r["work_args"]
        works = (" + ".join(args) if len(args) <= 2 else f"{len(args)} × {args[0]}")
        comp = (", ".join("%.1f" % c for c in r["completion_s"]) if len(args) <= 2
                else "%.1f (last)" % max(r["completion_s"] or [0]))
        lines.append(
            f"| {name} | {r['limit_mb']} | {works} | {r['wall_s']:.1f} | {comp} | "
            f"{r['module']['minflt']} / {r['getrusage']['minflt']} | "
            f"{r['module']['majflt']} / {r['getrusage']['majflt']} | "
            f"{r['first_touch_model']} / {r['major_model']} | "
            + (f"{w['pe_min']} / {w['pe_maj']} | " if w else "– | ")
            + (f"{w['fx_min']} / {w['fx_maj']} | " if w and w["sources"]["fx"] else "– | ")
            + f"{r['utilization_module'] * 100:.1f} % | {r['utilization_user'] * 100:.2f} % |")
    open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
    return "\n".join(lines)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    res = {n: analyse(n, r) for n, r in parse(sys.argv[1]).items() if "t0" in r}
    if not res:
        print("casestudy.py: no runs found in " + sys.argv[1], file=sys.stderr)
        sys.exit(1)
    plots(res, out)
    table = markdown(res, out)
    json.dump({k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")}
               for k, v in res.items()}, open(os.path.join(out, "summary.json"), "w"), indent=1)
    print(table)
    if "--check" in sys.argv:
        sys.exit(0 if check(res) else 1)


if __name__ == "__main__":
    main()
