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
import os
import re
import subprocess
import sys

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
    works, ends = [], []
    for l in r["works"]:
        m = re.search(r"registered minflt=(\d+) majflt=(\d+) utime_us=(\d+) .* cpu_us=(\d+)", l)
        if m:
            mi_, ma_, ut_, cpu_ = (int(x) for x in m.groups())
            works.append((mi_, ma_, cpu_, ut_))
        m = re.search(r"work: end (\S+) args=(.*)", l)
        if m:
            ends.append((float(m.group(1)) - t0, m.group(2)))
    wall = r["t1"] - t0
    wit = witness_series(r["witness"], t0)
    return {
        "name": name,
        "limit_mb": r["limit_mb"],
        "n_works": len(works),
        "wall_s": round(wall, 3),
        "completion_s": [round(e[0], 3) for e in ends],
        "work_args": [e[1] for e in ends],
        "module": {"samples": len(samples), "minflt": mi, "majflt": ma, "cpu_ns": cpu},
        "getrusage": {
            "minflt": sum(w[0] for w in works),
            "majflt": sum(w[1] for w in works),
            "cpu_ns": sum(w[2] for w in works) * 1000,
        },
        "utilization_module": cpu / (wall * 1e9 * CPUS) if wall > 0 else 0,
        "utilization_getrusage": sum(w[2] for w in works) * 1000 / (wall * 1e9 * CPUS)
        if wall > 0 else 0,
        "utilization_user": sum(w[3] for w in works) * 1000 / (wall * 1e9 * CPUS)
        if wall > 0 else 0,
        "witness": wit["totals"],
        "_cum": cum,
        "_wit_cum": wit["cum"],
    }


def witness_series(lines, t0):
    """Aggregate the witness CSV (all 'work' processes) into a cumulative
    series.  The CSV's header names its columns; we need the monotonic
    stamp and per-source minor/major counts of each interval."""
    if not lines:
        return {"totals": None, "cum": []}
    hdr = None
    rows = []
    for l in lines:
        if not l or l.startswith("#"):
            continue
        f = l.split(",")
        if hdr is None:
            hdr = f
            continue
        if len(f) != len(hdr):
            continue
        rows.append(dict(zip(hdr, f)))
    keys = {"t": None, "min": None, "maj": None}
    for k in hdr or []:
        if k in ("mono_ns", "ts_mono_ns", "mono"):
            keys["t"] = k
        if k in ("perf_min", "perf_minflt", "pe_min"):
            keys["min"] = k
        if k in ("perf_maj", "perf_majflt", "pe_maj"):
            keys["maj"] = k
    if not rows or None in keys.values() or "type" in (hdr or []) and False:
        return {"totals": None, "cum": [], "columns": hdr}
    by_t = {}
    for r in rows:
        if r.get("type", "interval") not in ("interval", "i"):
            continue
        try:
            t = int(r[keys["t"]]) / 1e9 - t0
            by_t.setdefault(t, [0, 0])
            by_t[t][0] += int(r[keys["min"]])
            by_t[t][1] += int(r[keys["maj"]])
        except (ValueError, KeyError):
            continue
    cum, mi, ma = [], 0, 0
    for t in sorted(by_t):
        mi += by_t[t][0]
        ma += by_t[t][1]
        cum.append((t, mi, ma))
    return {"totals": {"perf_minflt": mi, "perf_majflt": ma}, "cum": cum}


def write_dat(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def plots(res, out):
    term = "set terminal pngcairo size 1000,620 font ',10'\n"
    if subprocess.run(["gnuplot", "-e", "set terminal pngcairo"],
                      capture_output=True).returncode:
        term = "set terminal png size 1000,620\n"
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
set key left top
set grid
plot '{out}/{pair}-module.dat' u 1:2 w l lw 2 t 'minor (mp3.ko)', \\
     '{out}/{pair}-module.dat' u 1:3 axes x1y2 w l lw 2 t 'major (mp3.ko)'"""
        if wit:
            s += f""", \\
     '{out}/{pair}-witness.dat' u 1:2 w l dt 2 lw 2 t 'minor (eBPF perf events)', \\
     '{out}/{pair}-witness.dat' u 1:3 axes x1y2 w l dt 2 lw 2 t 'major (eBPF perf events)'"""
        gnuplot(s + "\n")
    cs2 = sorted(((r["n_works"], r) for n, r in res.items() if n.startswith("cs2-")),
                 key=lambda x: x[0])
    if cs2:
        rows = [(n, r["utilization_module"] * 100, r["utilization_getrusage"] * 100,
                 r["wall_s"], r["module"]["majflt"], r["module"]["minflt"],
                 r["utilization_user"] * 100)
                for n, r in cs2]
        write_dat(os.path.join(out, "cs2.dat"), rows)
        thr = next((n for n, r in cs2 if r["module"]["majflt"] > 0), None)
        mark = (f"set arrow from {thr},graph 0 to {thr},graph 1 nohead dt 3 lc rgb 'red'\n"
                f"set label 'major faults from N={thr}' at {thr},graph 0.95 offset 1,0 tc rgb 'red'\n"
                if thr else "")
        gnuplot(term + f"""set output '{out}/cs2-utilization.png'
set title "Case study 2: N x work (RAM {cs2[0][1]['limit_mb']} MiB)\\nutilization = sum of CPU ns of all works / (wall ns x {CPUS} CPUs)"
set xlabel 'N (concurrent work processes)'
set ylabel 'CPU utilization (%)'
set y2label 'completion time of all N (s, emulated)'
set y2tics
set grid
set key left top
{mark}plot '{out}/cs2.dat' u 1:2 w lp lw 2 pt 7 t 'utilization (mp3.ko CPU field)', \\
     '{out}/cs2.dat' u 1:3 w lp dt 2 pt 6 t 'utilization (getrusage utime+stime)', \\
     '{out}/cs2.dat' u 1:7 w lp lw 2 pt 9 t 'user-time utilization (getrusage utime)', \\
     '{out}/cs2.dat' u 1:4 axes x1y2 w lp lw 2 pt 5 t 'completion time'
""")
        gnuplot(term + f"""set output '{out}/cs2-user.png'
set title "Case study 2: useful work rate\\nuser-time utilization = sum of utime of all works / (wall ns x {CPUS} CPUs)"
set xlabel 'N (concurrent work processes)'
set ylabel 'user-time utilization (%)'
set y2label 'major faults (all works)'
set y2tics
set grid
set key left top
{mark}plot '{out}/cs2.dat' u 1:7 w lp lw 2 pt 9 t 'user-time utilization (getrusage utime)', \\
     '{out}/cs2.dat' u 1:5 axes x1y2 w lp lw 2 pt 5 t 'major faults (mp3.ko)'
""")


def check(res):
    results = []

    def ok(cond, name):
        results.append((bool(cond), name))

    for name, r in sorted(res.items()):
        ok(r["module"]["minflt"] == r["getrusage"]["minflt"] and
           r["module"]["majflt"] == r["getrusage"]["majflt"],
           f"{name}: module faults == getrusage ({r['module']['minflt']}/{r['module']['majflt']}"
           f" vs {r['getrusage']['minflt']}/{r['getrusage']['majflt']})")
    if "cs1-rr" in res:
        ok(res["cs1-rr"]["module"]["majflt"] > 0,
           f"cs1 random pair thrashes: major faults {res['cs1-rr']['module']['majflt']}")
    if "cs1-rr" in res and "cs1-rl" in res:
        a = res["cs1-rr"]["module"]["minflt"] + res["cs1-rr"]["module"]["majflt"]
        b = res["cs1-rl"]["module"]["minflt"] + res["cs1-rl"]["module"]["majflt"]
        ok(b < a, f"cs1 locality pair faults less ({b} < {a})")
    cs2 = sorted(((r["n_works"], r) for n, r in res.items() if n.startswith("cs2-")),
                 key=lambda x: x[0])
    if cs2:
        ok(cs2[-1][1]["module"]["majflt"] > 0,
           f"cs2 largest N={cs2[-1][0]} has major faults ({cs2[-1][1]['module']['majflt']})")
        ok(cs2[0][1]["module"]["majflt"] == 0,
           f"cs2 N={cs2[0][0]} fits in RAM: no major faults ({cs2[0][1]['module']['majflt']})")
    print(f"1..{len(results)}")
    for i, (good, name) in enumerate(results, 1):
        print(f"{'' if good else 'not '}ok {i} {name}")
    return all(g for g, _ in results)


def markdown(res, out):
    lines = ["| run | RAM MiB | works | wall s | completion s | minflt (module / getrusage) |"
             " majflt (module / getrusage) | CPU util (module) | user-time util |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(res.items(), key=lambda kv: (kv[0][:3], kv[1]["n_works"])):
        lines.append(
            f"| {name} | {r['limit_mb']} | {r['n_works']} × {r['work_args'][0] if r['work_args'] else '?'}"
            f"{' + ' + r['work_args'][1] if r['n_works'] == 2 else ''} | {r['wall_s']:.1f} | "
            f"{', '.join('%.1f' % c for c in r['completion_s']) if r['n_works'] <= 2 else '%.1f (last)' % max(r['completion_s'])} | "
            f"{r['module']['minflt']} / {r['getrusage']['minflt']} | "
            f"{r['module']['majflt']} / {r['getrusage']['majflt']} | "
            f"{r['utilization_module'] * 100:.1f} % | {r['utilization_user'] * 100:.1f} % |")
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
