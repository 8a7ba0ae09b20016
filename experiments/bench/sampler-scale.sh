#!/bin/bash
# sampler-scale.sh - what one sampling pass of mp3.ko costs with 1 to 1000
# registered processes of 4 faulting threads each, and how well the sampler
# keeps its 50 ms period, measured in the VM (QEMU TCG).
#
# USAGE: experiments/bench/sampler-scale.sh [--counts "1 10 100 1000"] [--threads 4]
#            [--window 30] [--interval 1000] [--pages 2] [--idle]
#            [--mem 2048] [--out DIR] [--plot FILE] [--no-plot]
#            [--wait-quiet MIN] [--mttcg]
#
# Builds kmod/mp3.ko from this tree and experiments/bench/scaleload.c (static), boots
# one VM (tools/vm/run.sh, single-threaded TCG, 2 vCPUs, --mem MiB) and, for each
# count N, loads mp3.ko afresh (max_registrations = the largest count) and
# runs `scaleload -p N -t THREADS -w WINDOW`: N processes of THREADS
# threads, every thread faulting PAGES pages every INTERVAL ms, all
# registered, sampler statistics over a WINDOW-second window, and the
# exactness check (samples summed == /proc/mp3/tasks).  See scaleload.c.
# --idle: the threads only sleep (no faults), to tell the walk's own cost
# from what the load adds.
#
# Prints a table and writes, in DIR (default experiments/bench/.output/sampler-scale):
# sampler-scale.csv, sampler-scale.md (the table, the command, the commit)
# and guest.txt (everything the guest printed); the plot of pass cost
# against registrations goes to FILE (default docs/img/sampler-scale.png).
# Pass cost as % of one CPU = handler_avg_ns / period (50 ms).
# The period figures are only meaningful on a quiet host: single-threaded
# TCG gets at most one host core, and another VM beside it starves the
# guest.  The table records the host's load and whether another QEMU ran;
# --wait-quiet MIN first waits up to MIN minutes for no other QEMU.
# --mttcg: multi-threaded TCG (a host thread per vCPU; tools/vm/run.sh), which
# takes the round-robin vCPU scheduling out of the period figures.
# With the defaults the run takes about 2.5 minutes.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
cmdline=experiments/bench/sampler-scale.sh
for a in "$@"; do
	case "$a" in *[!A-Za-z0-9_./=-]*) cmdline="$cmdline \"$a\"" ;; *) cmdline="$cmdline $a" ;; esac
done
tcg="" quiet_min=0 counts="1 10 100 1000" threads=4 window=30 interval=1000 pages=2 mem=2048
out=$top/experiments/bench/.output/sampler-scale plot=$top/docs/img/sampler-scale.png
while [ $# -gt 0 ]; do
	case "$1" in
	--counts) counts=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--window) window=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--pages) pages=$2; shift 2 ;;
	--idle) interval=0; shift ;;
	--mem) mem=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--plot) plot=$2; shift 2 ;;
	--no-plot) plot=""; shift ;;
	--wait-quiet) quiet_min=$2; shift 2 ;;
	--mttcg) tcg=--mttcg; shift ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
maxreg=0
for n in $counts; do
	[ "$n" -gt "$maxreg" ] && maxreg=$n
done
start=$(date +%s)
say() { echo "sampler-scale: $* ($(($(date +%s) - start)) s)" >&2; }

# The host is shared: note its load and any other VM, to read the noise by.
. "$top/experiments/bench/guest-lib.sh"
if [ "$quiet_min" -gt 0 ]; then
	for i in $(seq $((quiet_min * 6))); do
		[ "$(qemus)" = 0 ] && break
		[ $((i % 6)) = 1 ] && say "waiting for $(qemus) other QEMU to finish"
		sleep 10
	done
fi
host_before=$(host_state)
# The commit measured; if kmod/mp3.c differs from it, the blob measured
# (git hash-object: it names that file once it is committed).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- kmod/mp3.c 2>/dev/null ||
	commit="$commit with uncommitted kmod/mp3.c $(git hash-object kmod/mp3.c | cut -c1-10)"

say "building mp3.ko and scaleload"
mkdir -p "$out"
make -s -C kmod >/dev/null
pay=$out/payload
rm -rf "$pay" && mkdir -p "$pay/bin"
gcc -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I lib -I include \
	-pthread -o "$pay/bin/scaleload" experiments/bench/scaleload.c lib/mp3buf.c
cp kmod/mp3.ko "$pay/"

# The guest's script: each count on a freshly loaded module.
cat > "$pay/sampler-scale-guest.sh" <<EOF
echo "guest: kernel \$(uname -r), \$(nproc) CPUs, \$(sed -n 's/^MemTotal: *//p' /proc/meminfo) RAM"
rc=0
for n in $counts; do
	insmod /pfprof/mp3.ko max_registrations=$maxreg || exit 2
	echo "guest: \$n processes x $threads threads"
	/pfprof/bin/scaleload -p \$n -t $threads -w $window -i $interval -k $pages || rc=1
	for i in 1 2 3 4 5 6 7 8 9 10; do rmmod mp3 2>/dev/null && break; sleep 1; done
done
exit \$rc
EOF

# Boot, fork, settle and measure per count, plus the exactness check.
est=0
for n in $counts; do est=$((est + window + 10 + n / 20)); done
say "booting the VM (TCG${tcg:+ $tcg}, ${mem} MiB) for counts $counts, ${window} s each (about $((est + 30)) s); guest progress follows"
# shellcheck disable=SC2086 # $tcg: no word, or one
guest_run "$out" "" $tcg --payload "$pay" --mem "$mem" --timeout $((est * 3 + 300)) \
	-- 'sh /pfprof/sampler-scale-guest.sh'
say "VM exited with status $vrc"

kernel=$(sed -n 's/^guest: kernel \([^ ,]*\).*/\1/p' "$out/guest.txt" | head -n 1)
grep '^scaleload: procs=' "$out/guest.txt" > "$out/results.txt" || true
[ -s "$out/results.txt" ] || { echo "sampler-scale: no results (see $out/guest.txt)" >&2; exit 1; }

# key=value lines -> CSV, the table (markdown) and the plot data.
awk -v period_ns=50000000 -v csv="$out/sampler-scale.csv" -v dat="$out/plot.dat" '
function v(k) { return kv[k] }
BEGIN {
	print "registrations,threads,handler_avg_ns,handler_max_ns,max_in_window,pass_cost_pct_cpu,period_mean_ms,period_p99_ms,period_max_ms,intervals,missed,passes,faults_per_s,guest_cpu_busy_pct,mem_avail_mb,exact" > csv
	print "| registrations | threads | handler_avg_ns | handler_max_ns | pass cost, % of one CPU | period mean ms | p99 ms | missed | faults/s | guest CPU busy | exact |"
	print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"
}
{
	delete kv
	for (i = 2; i <= NF; i++) { split($i, a, "="); kv[a[1]] = a[2] }
	cost = 100 * v("handler_avg_ns") / period_ns
	printf "%d,%d,%d,%d,%d,%.4f,%.3f,%.3f,%.3f,%d,%d,%d,%d,%.1f,%d,%d\n",
		v("procs"), v("procs") * v("threads"), v("handler_avg_ns"), v("handler_max_ns"),
		v("max_in_window"), cost, v("period_mean_ns") / 1e6, v("period_p99_ns") / 1e6,
		v("period_max_ns") / 1e6, v("intervals"), v("missed"), v("runs"),
		v("faults_per_s"), v("cpu_busy_pct"), v("mem_avail_mb"), v("exact") > csv
	printf "| %d | %d | %d | %d%s | %.3f%% | %.3f | %.3f | %d | %d | %.0f%% | %s |\n",
		v("procs"), v("procs") * v("threads"), v("handler_avg_ns"), v("handler_max_ns"),
		v("max_in_window") ? "" : " *", cost, v("period_mean_ns") / 1e6,
		v("period_p99_ns") / 1e6, v("missed"), v("faults_per_s"), v("cpu_busy_pct"),
		v("exact") ? "yes" : "NO"
	printf "%d %.3f %.3f\n", v("procs"), v("handler_avg_ns") / 1000,
		v("handler_max_ns") / 1000 > dat
}' "$out/results.txt" > "$out/table.md"

{
	echo "Sampler cost at scale: QEMU TCG (${tcg:+multi-threaded, }about 8x slower than native), 2 vCPUs, ${mem} MiB,"
	echo "guest kernel $kernel, commit $commit, $(date -u +%Y-%m-%d)"
	if [ "$interval" = 0 ]; then
		echo "(each process $threads idle thread(s); window ${window} s per row)"
	else
		echo "(each process $threads thread(s), each writing $pages fresh page(s) every $interval ms; window ${window} s per row)"
	fi
	echo "host: $(nproc) cores; before the run $host_before; after it $host_after"
	echo
	cat "$out/table.md"
	echo
	echo "threads = registrations x threads per process.  handler_avg_ns: mean pass over the window;"
	echo "handler_max_ns: longest pass since load (* = before the window: registration or settling)."
	echo "Pass cost = handler_avg_ns / 50 ms.  Period mean, p99: intervals between samples in the window."
	echo
	echo "command: $cmdline"
} > "$out/sampler-scale.md"

if [ -n "$plot" ]; then
	what=faulting
	[ "$interval" = 0 ] && what=idle
	mkdir -p "$(dirname "$plot")"
	gnuplot <<EOF
set terminal pngcairo size 800,520 font ",11"
set output "$plot"
set title "mp3.ko: cost of one sampling pass, $threads $what threads per process\nQEMU TCG (about 8x slower than native), guest $kernel\ncommit $commit" font ",10"
set xlabel "registered processes"
set ylabel "µs per sampling pass"
set y2label "% of one CPU (50 ms period)"
set logscale xy
set logscale y2
set xrange [0.7:1500]
set yrange [5:30000]
set y2range [0.01:60]
set y2tics
set ytics nomirror
set grid
set key bottom right
set label "budget: 500 µs per pass = 1% of one CPU" at 1.2,620 tc rgb "red"
plot 500 with lines dt 2 lc rgb "red" title "", \
	"$out/plot.dat" using 1:2 with linespoints pt 7 lw 2 title "handler avg", \
	"$out/plot.dat" using 1:3 with linespoints pt 5 dt 3 title "handler max (since load)", \
	"$out/plot.dat" using 1:2:(sprintf("%.0f", \$2)) with labels offset 0,1.2 notitle
EOF
	say "plot: $plot"
fi

echo
cat "$out/sampler-scale.md"
echo
echo "CSV: $out/sampler-scale.csv   guest log: $out/guest.txt"
say "done"
bad=$(awk -F, 'NR > 1 && !$16' "$out/sampler-scale.csv" | wc -l)
[ "$vrc" = 0 ] && [ "$bad" = 0 ]
