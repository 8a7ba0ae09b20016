#!/usr/bin/env python3
"""report.py - the host half of `make compare-report` (python3 stdlib + gnuplot).

  report.py split CONSOLE DIR     files printed by experiments/compare-report/report-guest.sh
                                  between @@PFC-FILE name@@ / @@PFC-END@@
  report.py build DIR [HOSTDIR]   DIR/report.md and PNGs beside it, from
                                  NAME.json, NAME.windows.csv, bench.json
                                  (HOSTDIR: the native witness-only bench)

docs/compare.md explains every table and figure.
"""
import csv
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pfplot  # noqa: E402  (experiments/lib)


def usage(rc):
    print(__doc__.strip(), file=sys.stderr if rc else sys.stdout)
    sys.exit(rc)


def split(console, outdir):
    os.makedirs(outdir, exist_ok=True)
    n, f = 0, None
    with open(console, errors="replace") as src:
        for line in src:
            line = line.rstrip("\r\n")
            m = re.search(r"@@PFC-FILE (\S+)@@", line)
            if m:
                name = os.path.basename(m.group(1))
                f = open(os.path.join(outdir, name), "w")
                n += 1
                continue
            if "@@PFC-END@@" in line:
                if f:
                    f.close()
                f = None
                continue
            if f:
                f.write(line + "\n")
    if f:
        f.close()
        print("report.py: the console ended inside a file", file=sys.stderr)
        return 1
    print(f"report.py: {n} files from the guest in {outdir}")
    return 0 if n else 1


SCENARIOS = ["random", "locality", "threads", "churn", "populate", "filemap", "swap", "read"]


def gnuplot(script):
    return pfplot.gnuplot(script, check=False)


def windows(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            rows.append({k: float(v) for k, v in r.items()})
    return rows


def plot_scenario(d, name, title, sources):
    """Three PNGs per scenario; returns their file names."""
    rows = windows(os.path.join(d, name + ".windows.csv"))
    if not rows:
        return []
    dat = os.path.join(d, name + ".plot.dat")
    cm = cf = cp = ct = 0
    with open(dat, "w") as f:
        f.write("# t module fexit perf_event tracepoint cum_mod cum_fx cum_pe cum_tp err_fx err_pe err_tp\n")
        for r in rows:
            m = r["mod_min"] + r["mod_maj"]
            cm += m
            cf += r["wit_fx"]
            cp += r["wit_pe"]
            ct += r["wit_tp"]
            f.write("%.4f %d %d %d %d %d %d %d %d %d %d %d\n" % (
                r["t_s"], m, r["wit_fx"], r["wit_pe"], r["wit_tp"], cm, cf, cp, ct,
                r["wit_fx"] - m, r["wit_pe"] - m, r["wit_tp"] - m))
    wit = [(3, "witness fexit", sources.get("fexit")), (4, "witness perf_event", sources.get("perf_event")),
           (5, "witness tracepoint", sources.get("tracepoint"))]
    head = (pfplot.term(900, 420, enhanced=False) + "set grid\nset key top left\n"
            "set xlabel 'seconds since release (module window end)'\n")
    out = []
    lines = ["'%s' u 1:2 w steps lw 2 lc rgb '#000000' t 'module (mp3 ring)'" % dat]
    lines += ["'%s' u 1:%d w steps lw 1 dt %d t '%s'" % (dat, c, k + 2, t)
              for k, (c, t, on) in enumerate(wit) if on]
    png = name + "-windows.png"
    gnuplot(head + "set output '%s'\nset title '%s: faults per 50 ms window'\nset ylabel 'faults (minor+major)'\n"
            "plot %s\n" % (os.path.join(d, png), title, ", ".join(lines)))
    out.append(png)
    lines = ["'%s' u 1:6 w steps lw 2 lc rgb '#000000' t 'module'" % dat]
    lines += ["'%s' u 1:%d w steps lw 1 dt %d t '%s'" % (dat, c + 4, k + 2, t)
              for k, (c, t, on) in enumerate(wit) if on]
    png = name + "-cumulative.png"
    gnuplot(head + "set output '%s'\nset title '%s: cumulative faults'\nset ylabel 'faults since release'\n"
            "plot %s\n" % (os.path.join(d, png), title, ", ".join(lines)))
    out.append(png)
    lines = ["'%s' u 1:%d w impulses lw 2 t '%s - module'" % (dat, c + 7, t)
             for c, t, on in wit if on]
    png = name + "-error.png"
    if lines:
        gnuplot(head + "set output '%s'\nset title '%s: error per window (witness - module)'\n"
                "set ylabel 'faults'\nset xzeroaxis lt -1\nplot %s\n"
                % (os.path.join(d, png), title, ", ".join(lines)))
        out.append(png)
    os.unlink(dat)
    return out


def plot_overhead(d, benches):
    """Bars: wall and CPU slowdown % of each configuration vs untraced."""
    dat = os.path.join(d, "overhead.dat")
    with open(dat, "w") as f:
        f.write("# label wall_slowdown_pct cpu_slowdown_pct\n")
        for where, b in benches:
            for c in b["configs"]:
                if c["id"] == "A":
                    continue
                f.write('"%s %s (%s)" %.2f %.2f\n' % (c["id"], c["name"], where,
                                                      c["wall_slowdown_pct"], c["cpu_slowdown_pct"]))
    gnuplot(pfplot.term(900, 420, enhanced=False) + "set output '%s'\n"
            "set title 'overhead: median slowdown vs untraced (A)'\nset ylabel '%%'\n"
            "set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.7 border -1\n"
            "set boxwidth 0.9\nset grid ytics\nset xzeroaxis lt -1\nset key top left\nset xtics rotate by -15\n"
            "plot '%s' u 2:xtic(1) t 'wall time', '' u 3 t 'CPU time (wait4)'\n"
            % (os.path.join(d, "overhead.png"), dat))
    os.unlink(dat)
    return "overhead.png"


def fmt_ms(ns):
    return "%.1f" % (ns / 1e6)


def bench_table(b, where):
    out = ["| config | n | wall median ms | wall IQR ms | wall slowdown | CPU median ms | CPU IQR ms | CPU slowdown |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in b["configs"]:
        out.append("| %s %s | %d | %s | %s | %+.1f%% | %s | %s | %+.1f%% |" % (
            c["id"], c["name"], c["n"], fmt_ms(c["wall_median_ns"]),
            fmt_ms(c["wall_p75_ns"] - c["wall_p25_ns"]), c["wall_slowdown_pct"],
            fmt_ms(c["cpu_median_ns"]), fmt_ms(c["cpu_p75_ns"] - c["cpu_p25_ns"]), c["cpu_slowdown_pct"]))
    extra = []
    for c in b["configs"]:
        if "handler_avg_ns" in c:
            extra.append("- %s (%s): module handler %d ns per sampling pass (avg since load); sampling period "
                         "mean %.3f ms, p99 %.3f ms over %d intervals (nominal 50 ms)" % (
                             c["id"], where, c["handler_avg_ns"], c["period_mean_ns"] / 1e6,
                             c["period_p99_ns"] / 1e6, c["intervals"]))
        if "bpf_ns_per_run" in c:
            extra.append("- %s (%s): witness %.0f ns per BPF program run (%.0f runs per repetition, BPF stats)" % (
                c["id"], where, c["bpf_ns_per_run"], c["bpf_runs_per_rep"]))
    return "\n".join(out + [""] + extra)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("report.py: %s: %s" % (path, e), file=sys.stderr)
        return None


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def build(d, hostdir):
    md = ["# pfcompare report", ""]
    info = read(os.path.join(d, "guest-info.txt"))
    meta = read(os.path.join(d, "meta.txt"))
    md += ["Made by `make compare-report` (mk/compare.mk); how to read it: docs/compare.md.", ""]
    if meta:
        md += ["```", meta.strip(), "```", ""]
    if info:
        md += ["Guest (QEMU TCG: every time below from the VM is emulated; compare ratios):", "",
               "```", info.split("stats:")[0].strip(), "```", ""]
    res = []
    for name in SCENARIOS:
        j = load(os.path.join(d, name + ".json"))
        if j:
            res.append(j)
    md += ["## Accuracy: every scenario", "",
           "Totals since release. truth = wait4 rusage minus the faults before registration; "
           "fx/pe/tp = the witness's fexit, perf_event and tracepoint sources; "
           "exact = share of module windows whose fexit count (re-binned) equals the module's.", "",
           "| scenario | result | truth min | truth maj | module min | module maj | fexit | perf_event | "
           "tracepoint | truth CPU ms | module CPU ms | sched_switch CPU ms | windows | exact | MAE |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for j in res:
        t, w = j["totals"], j["totals"]["witness"]
        ws = j["window_agreement"][0]
        md.append("| %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s | %d | %.0f%% | %.1f |" % (
            j["scenario"], "PASS" if j["pass"] else "**FAIL (%d)**" % j["failures"],
            t["truth_min"], t["truth_maj"], t["module_min"], t["module_maj"],
            w["fx_min"] + w["fx_maj"], w["pe_min"] + w["pe_maj"], w["tp_user"] + w["tp_kernel"],
            fmt_ms(t["truth_cpu_ns"]), fmt_ms(t["module_cpu_ns"]), fmt_ms(w["cpu_ns"]),
            j["windows"], 100 * ws["exact_share"], ws["mae"]))
    md += ["", "### Differences by class", "",
           "Every finding that is not a plain PASS: EXPLAINED (a named class accounts for the whole "
           "difference, with its count), INFO (a class shown with its size), FAIL.", ""]
    for j in res:
        md += ["**%s** (%s)" % (j["scenario"], j["title"]), ""]
        for f in j["findings"]:
            if f["verdict"] == "PASS":
                continue
            cls = " — class *%s* = %d" % (f["class"], f["class_count"]) if f["class"] and f["class_count"] >= 0 else ""
            md.append("- %s `%s` %s: %s%s" % (f["verdict"], f["source"], f["what"], f["message"], cls))
        md.append("")
    md += ["## Figures per scenario", "",
           "For each scenario: faults per module window (module vs each witness source re-binned onto "
           "the module's windows), cumulative faults, and the error per window (witness minus module; "
           "non-zero only around window boundaries, where a witness bucket straddles a module sample).", ""]
    for j in res:
        pngs = plot_scenario(d, j["scenario"], j["scenario"], j["sources"])
        md += ["### %s" % j["scenario"], ""] + ["![%s](%s)" % (p, p) for p in pngs] + [""]
    benches = []
    b = load(os.path.join(d, "bench.json")) if os.path.exists(os.path.join(d, "bench.json")) else None
    if b:
        b = b["bench"]
        benches.append(("VM, TCG", b))
        md += ["## Overhead (bench)", "",
               "`pfcompare bench --scenario %s --scale %s --reps %d`, configurations interleaved A B C D "
               "per repetition; medians, IQR = p75 - p25, slowdown of the median vs A. Environment: %s%s." % (
                   b["scenario"], b.get("scale", "?"), b["reps"], b.get("environment", "?"),
                   " (emulated: read the ratios, not the times)" if b.get("environment") == "tcg" else ""), "",
               bench_table(b, "VM"), ""]
    hb = load(os.path.join(hostdir, "bench.json")) if hostdir and os.path.exists(os.path.join(hostdir, "bench.json")) else None
    if hb:
        hb = hb["bench"]
        benches.append(("host", hb))
        md += ["### Natively on the host (configs A and C: the module cannot load here)", "",
               "`pfcompare bench --configs AC --scenario %s --scale %s --reps %d`, environment: %s." % (
                   hb["scenario"], hb.get("scale", "?"), hb["reps"], hb.get("environment", "?")), "",
               bench_table(hb, "host"), ""]
    elif hostdir:
        why = read(os.path.join(hostdir, "skipped.txt")).strip() or "no host bench output"
        md += ["Native witness bench on the host: skipped (%s)." % why, ""]
    if benches:
        md += ["![overhead](%s)" % plot_overhead(d, benches), "",
               "Per-fault cost of each tracer, natively and against bpftrace and perf: "
               "experiments/bench/witness-bench.sh, docs/witness.md (Benchmark).", ""]
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(md))
    fails = sum(1 for j in res if not j["pass"])
    print("report.py: %s: %d scenarios (%d failed), %d PNGs" % (
        os.path.join(d, "report.md"), len(res), fails,
        len([p for p in os.listdir(d) if p.endswith(".png")])))
    return 0 if res else 1


def main(argv):
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        usage(0)
    if len(argv) == 4 and argv[1] == "split":
        return split(argv[2], argv[3])
    if len(argv) in (3, 4) and argv[1] == "build":
        return build(argv[2], argv[3] if len(argv) == 4 else None)
    usage(2)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
