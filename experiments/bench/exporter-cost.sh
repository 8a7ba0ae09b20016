#!/bin/bash
# exporter-cost.sh - what pftrace serve costs per scrape with many series
# (docs/metrics.md, "Cost"), natively, as root.
#
# USAGE: experiments/bench/exporter-cost.sh [PROCS] [ROUNDS] [SCRAPES]   default 1000 9 100
#
# Starts PROCS sleeping processes, each under a name of its own (an exec
# through a symlink pfcost-NNNN -> sleep), so that pftrace serve, tracing
# every process with --max-series above PROCS, exports PROCS label sets of
# them.  Serve has two threads: the HTTP server, which answers a scrape by
# copying the page made at the last fold, and the main one, which once a
# second folds the BPF counts, reads /proc every 100 ms and renders the
# page in both formats.  For ROUNDS rounds, SCRAPES scrapes back to back,
# then a quiet stretch as long: CPU per scrape is the server thread's time
# on a CPU (its /proc/PID/task/TID/schedstat, the scheduler's own count,
# in ns) over the scrapes divided by SCRAPES; the main thread's time over
# the quiet stretch is the cost of folding, per second.  Prints medians
# with their interquartile range, the scrapes' wall time, serve's resident
# memory beside pfwitness's tracing every process, the page's size and
# series count, and the command that made them; CSV in
# experiments/bench/.output/exporter-cost.csv.
set -u
cd "$(dirname "$0")/../.." || exit 1
PROCS=${1:-1000} ROUNDS=${2:-9} SCRAPES=${3:-100}
P=bpf/pftrace W=bpf/pfwitness
out=experiments/bench/.output
mkdir -p "$out"
make -s -C bpf || exit 1
tmp=$(mktemp -d)
pids=() spid= wpid=
cleanup() {
	[ -n "$spid" ] && kill -INT "$spid" 2> /dev/null
	[ -n "$wpid" ] && kill -INT "$wpid" 2> /dev/null
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2> /dev/null
	wait 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# cpu PID TID: the thread's time on a CPU, in ns (schedstat: the scheduler's own)
cpu() { awk '{ print $1 }' "/proc/$1/task/$2/schedstat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# quantiles FILE: "median p25 p75"
quantiles() {
	sort -g "$1" | awk '{v[NR] = $1}
	function q(p,  h, l) { h = 1 + (NR - 1) * p; l = int(h); return v[l] + (h - l) * (v[l + 1] - v[l]) }
	END { printf "%.4f %.4f %.4f\n", q(0.5), q(0.25), q(0.75) }'
}

"$P" serve --listen 127.0.0.1:0 --max-series $((PROCS + 100)) 1 > /dev/null 2> "$tmp/serve.err" &
spid=$!
for i in $(seq 300); do grep -q 'serving /metrics' "$tmp/serve.err" && break; sleep 0.05; done
url=$(sed -n 's/.*serving \/metrics on \(http[^ ]*\).*/\1/p' "$tmp/serve.err")
[ -n "$url" ] || { cat "$tmp/serve.err" >&2; exit 1; }

mkdir "$tmp/bin"
for i in $(seq -w 1 "$PROCS"); do
	ln -s "$(command -v sleep)" "$tmp/bin/pfcost-$i"
	"$tmp/bin/pfcost-$i" 100000 &
	pids+=($!)
done
sleep 3	# two folds: every process in its series
curl -s "$url" > "$tmp/page.txt"
nser=$(grep -c '^pfprof_faults_total{comm="pfcost-' "$tmp/page.txt")
nser=$((nser / 5))	# five classes each
bytes=$(wc -c < "$tmp/page.txt")
srv=$(ls /proc/$spid/task | grep -vx "$spid" | head -n 1)	# the HTTP thread

start=$(date +%s)
for r in $(seq "$ROUNDS"); do
	t0=$(date +%s%N) c0=$(cpu $spid $srv)
	for i in $(seq "$SCRAPES"); do
		curl -s -o /dev/null -w '%{time_total}\n' "$url" >> "$tmp/scrape-s.txt"
	done
	t1=$(date +%s%N) c1=$(cpu $spid $srv)
	m0=$(cpu $spid $spid)
	sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
	t2=$(date +%s%N) m1=$(cpu $spid $spid)
	awk -v c=$((c1 - c0)) -v n="$SCRAPES" 'BEGIN { printf "%.4f\n", c / 1e6 / n }' >> "$tmp/cpu-ms.txt"
	awk -v m=$((m1 - m0)) -v t=$((t2 - t1)) 'BEGIN { printf "%.4f\n", 1000 * m / t }' >> "$tmp/fold-ms.txt"
	echo "# round $r/$ROUNDS done, $(( $(date +%s) - start )) s" >&2
done
srss=$(rss_kb $spid)
kill -INT $spid; wait $spid 2> /dev/null; spid=

# pfwitness tracing every process, for its memory beside serve's
"$W" 1 > /dev/null 2> "$tmp/w.err" &
wpid=$!
for i in $(seq 300); do grep -q 'thread fault counters:' "$tmp/w.err" && break; sleep 0.05; done
sleep 2
wrss=$(rss_kb $wpid)
kill -INT $wpid; wait $wpid 2> /dev/null; wpid=

set -- $(quantiles "$tmp/cpu-ms.txt"); cm=$1 c25=$2 c75=$3
set -- $(quantiles "$tmp/scrape-s.txt"); sm=$1 s25=$2 s75=$3
set -- $(quantiles "$tmp/fold-ms.txt"); qm=$1 q25=$2 q75=$3
commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- bpf 2>/dev/null || echo "+changes")
echo
echo "exporter-cost: pftrace serve over every process, $nser pfcost series of $PROCS processes,"
echo "$ROUNDS rounds of $SCRAPES scrapes, each beside as long a quiet stretch; $(uname -r), $(nproc) CPUs; commit $commit"
printf '  CPU per scrape:           %8.3f ms  (IQR %.3f-%.3f; the HTTP thread)\n' "$cm" "$c25" "$c75"
printf '  scrape wall time:         %8.3f ms  (IQR %.3f-%.3f)\n' "$(echo "$sm * 1000" | bc -l)" \
	"$(echo "$s25 * 1000" | bc -l)" "$(echo "$s75 * 1000" | bc -l)"
printf '  CPU of folding:           %8.3f ms/s (IQR %.3f-%.3f; the main thread: a fold a second, reading /proc for each live process and rendering both pages)\n' "$qm" "$q25" "$q75"
printf '  page:                     %8d bytes\n' "$bytes"
printf '  resident memory: serve    %8d KiB;  pfwitness (every process) %d KiB\n' "$srss" "$wrss"
echo "procs,series,rounds,scrapes,cpu_ms_per_scrape,cpu_ms_p25,cpu_ms_p75,scrape_ms,fold_cpu_ms_per_s,page_bytes,serve_rss_kib,pfwitness_rss_kib" \
	> "$out/exporter-cost.csv"
echo "$PROCS,$nser,$ROUNDS,$SCRAPES,$cm,$c25,$c75,$(echo "$sm * 1000" | bc -l),$qm,$bytes,$srss,$wrss" >> "$out/exporter-cost.csv"
echo "CSV: $out/exporter-cost.csv"
echo "reproduce: sudo experiments/bench/exporter-cost.sh $PROCS $ROUNDS $SCRAPES"
