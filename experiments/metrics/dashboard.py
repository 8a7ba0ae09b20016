#!/usr/bin/env python3
"""dashboard.py - draw the Grafana dashboard's panels from Prometheus's
answers, as one PNG (docs/metrics.md), where Grafana itself is not at hand.

USAGE: dashboard.py PROM_URL START END DASHBOARD.json OUT.png [NOTE]

Reads the dashboard's panels (title, unit, targets' expr and legendFormat),
asks Prometheus's /api/v1/query_range for each target over START..END
(Unix seconds) with $instance as .*, and plots every panel in a grid, in
the dashboard's order and places, with gnuplot.  A panel without data says
so; a panel with more than MAXLINES series (topk() over a range gives
the union of each step's top k) keeps those with the largest mean.
Prints what each panel got.  Python 3 stdlib only.
"""
import json
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pfplot  # noqa: E402

MAXLINES = 8
SCALE = {"percentunit": (100, "%"), "s": (1e6, "µs"), "ops": (1, "/s"), "short": (1, "")}


def query_range(url, expr, start, end, step):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{q}", timeout=30) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise RuntimeError(f"{expr}: {d}")
    return d["data"]["result"]


def legend(fmt, labels):
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt) or "value"


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    url, start, end, dash, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    note = sys.argv[6] if len(sys.argv) > 6 else ""
    panels = json.load(open(dash))["panels"]
    step = max(2, (end - start) // 200)
    tmp = tempfile.mkdtemp()
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) // 8
    plots = []
    for n, p in enumerate(panels):
        mult, unit = SCALE.get(p["fieldConfig"]["defaults"].get("unit", "short"), (1, ""))
        lines = []
        for t in p["targets"]:
            expr = t["expr"].replace("$instance", ".*")
            for k, s in enumerate(query_range(url, expr, start, end, step)):
                f = os.path.join(tmp, f"p{n}-{t['refId']}{k}.dat")
                pts = [(float(ts) - start, float(v) * mult) for ts, v in s["values"]
                       if v not in ("NaN", "+Inf", "-Inf")]
                with open(f, "w") as fh:
                    fh.writelines(f"{x} {y}\n" for x, y in pts)
                if pts:
                    mean = sum(y for _, y in pts) / (end - start)
                    lines.append((mean, f, legend(t.get("legendFormat", ""), s["metric"])))
        got = len(lines)
        lines = [(f, lg) for _, f, lg in sorted(lines, key=lambda x: -x[0])[:MAXLINES]]
        print(f"dashboard: panel {n + 1} '{p['title']}': {got} series, {len(lines)} drawn")
        title = p["title"] + (f" ({unit})" if unit else "")
        if lines:
            body = "plot " + ", ".join(f"'{f}' using 1:2 with lines lw 1.5 title '{lg}'" for f, lg in lines)
        else:
            body = ("set label 1 'no data in this run' at graph 0.5, 0.5 center\n"
                    "plot [0:1] [0:1] NaN notitle\nunset label 1")
        plots.append(f"set title \"{title}\"\n{body}\n")
    script = pfplot.term(1400, 360 * rows, enhanced=False)
    script += f"set output '{out}'\nset multiplot layout {rows},2 title \"{note}\"\n"
    script += ("set key top left font ',8' maxrows 4\nset xlabel 'seconds into the run'\n"
               "set grid\nset yrange [0:*]\n")
    script += "".join(plots) + "unset multiplot\n"
    pfplot.gnuplot(script)
    print(f"dashboard: {out}")


if __name__ == "__main__":
    main()
