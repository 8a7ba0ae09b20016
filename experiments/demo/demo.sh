#!/bin/bash
# `make demo`, the main job:
#   1. boot the VM, run two `work` processes under `monitor`, print the
#      samples' summary (module vs the processes' own getrusage);
#   2. the MP3 case studies (thrashing/locality, multiprogramming) with plots;
#   3. the compare tool's accuracy scenarios and overhead bench, if present.
# Everything lands under build/; the last lines say where.
# DEMO_QUICK=1 runs the scaled-down case studies instead of the full ones.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/demo
mkdir -p "$out"
step() { printf '\n=== [%s] %s\n' "$1" "$2"; }

step 1/3 "two works under monitor (VM boot ~6 s, then ~25 s of work)"
"$top/tools/vm/run.sh" --mem "${MEM:-2048}" --swap "${SWAP:-1024}" \
	"sh /pfprof/scripts/demo-guest.sh" > "$out/guest.txt"
awk -v dir="$out" '/^=== /{f=dir "/" $2 ".txt"; next} f {print > f}' "$out/guest.txt"
echo "first samples (seq mono_ns jiffies minflt majflt cpu_ns):"
head -n 5 "$out/samples.txt"
echo "..."
tail -n 3 "$out/samples.txt"
cat "$out/summary.txt"

step 2/3 "MP3 case studies (full size; about 7 minutes under TCG)"
cs_args=()
[ "${DEMO_QUICK:-0}" = 1 ] && cs_args=(--quick)
"$top/experiments/casestudy/casestudy.sh" "${cs_args[@]}" | tee "$out/case-studies.txt"
csdir=$top/build/case-studies
[ "${DEMO_QUICK:-0}" = 1 ] && csdir=$top/build/case-studies-quick

report=""
if make -C "$top" -n compare-report >/dev/null 2>&1; then
	step 3/3 "compare: accuracy scenarios and overhead bench"
	make -C "$top" --no-print-directory compare-report
	report=$top/build/report/report.md
else
	step 3/3 "compare tool not built in this tree; skipped"
fi

echo
echo "=== done"
echo "two-work demo:   $out/samples.txt, $out/summary.txt"
echo "case studies:    $csdir/summary.md and plots:"
ls "$csdir"/*.png | sed 's/^/                   /'
[ -n "$report" ] && echo "compare report:  $report (plots beside it)"
exit 0
