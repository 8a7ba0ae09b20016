#!/bin/bash
# witness-bench.sh - what each fault tracer adds to a page fault and to a
# context switch, natively, as ratios of interleaved pairs.
#
# USAGE: experiments/bench/witness-bench.sh [ROUNDS] [PAGES] [REPS]    (as root, natively)
#
# experiments/bench/faultbench.c faults PAGES anonymous pages REPS times (one mapping,
# MADV_DONTNEED between passes) and prints wall ns per fault;
# experiments/bench/pingpong.c passes a byte between two processes on one CPU and
# prints ns per context switch.  For every mode, each of ROUNDS rounds
# runs the benchmark untraced and under the mode, back to back (the order
# alternating), and keeps the ratio of the pair; the table gives the
# median ratio with its interquartile range, the untraced median of the
# same pairs, and the median added ns.  The modes (BENCH_MODES picks):
#   fault-traced       pfwitness -c faultbench (its default sources, ru,sw)
#   fault-s-all        pfwitness -s all -c faultbench (every source)
#   fault-bystander    faultbench beside pfwitness -p <a sleeping process>
#   fault-bystander-tp|pe|sw|ru|all   the same with -s tp, pe, sw, ru or all
#   fault-all          faultbench beside pfwitness (every process)
#   fault-serve        faultbench beside pftrace serve (every process; the
#                      Prometheus exporter, docs/metrics.md), for fault-all's twin
#   fault-tp|pe|sw|ru  pfwitness -s tp|pe|sw|ru -c faultbench (one source)
#   fault-pe-sw        pfwitness -s pe,sw -c faultbench (the default before ru)
#   fault-stats        pfwitness --stats -c faultbench
#   fault-bpftrace     beside bpftrace -e 'tracepoint:exceptions:page_fault_user { @[pid] = count(); }'
#   fault-perfstat     perf stat -e page-faults -- faultbench
#   fault-nullprog     empty tp_btf programs on page_fault_user and sched_switch
#                      (experiments/bench/nullprog.bpf.c): what any tracepoint tool pays
#   switch-traced      pfwitness -c pingpong
#   switch-bystander   pingpong beside pfwitness -p <a sleeping process>
# Then one --stats run prints each BPF program's own cost per run
# (run_time_ns / run_cnt, the kernel's BPF statistics).
# Defaults: 31 rounds of 16384 pages x 10 passes; pingpong 100000 rounds.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROUNDS=${1:-31} PAGES=${2:-16384} REPS=${3:-10} PP=${PINGPONG_ROUNDS:-100000}
out=experiments/bench/.output
mkdir -p "$out"
for b in faultbench pingpong; do
	gcc -static -O2 -Wall -Wextra -Werror -o "$out/$b" "experiments/bench/$b.c" || exit 1
done
make -s -C bpf || exit 1
# empty programs on the same hooks: the kernel's cost of running any
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ibpf/vmlinux/x86 -c experiments/bench/nullprog.bpf.c -o "$out/nullprog.bpf.o" &&
	bpftool gen skeleton "$out/nullprog.bpf.o" > "$out/nullprog.skel.h" &&
	gcc -O2 -Wall -Wextra -Werror -I"$out" -o "$out/nullprog" experiments/bench/nullprog.c -static -lbpf -lelf -lz || exit 1
FB="$out/faultbench $PAGES $REPS" PPB="$out/pingpong $PP"
W=bpf/pfwitness PT=bpf/pftrace
tmp=$(mktemp -d)
sleeper=""
trap 'rm -rf "$tmp"; [ -n "$sleeper" ] && kill $sleeper 2>/dev/null' EXIT
BT='tracepoint:exceptions:page_fault_user { @[pid] = count(); }'
modes=${BENCH_MODES:-"fault-traced fault-s-all fault-bystander fault-bystander-tp fault-bystander-pe fault-bystander-sw fault-bystander-ru fault-bystander-all fault-all fault-serve fault-tp fault-pe fault-sw fault-ru fault-pe-sw fault-stats fault-bpftrace fault-perfstat fault-nullprog switch-traced switch-bystander"}
sleep 100000 & sleeper=$!

# wait_for FILE PATTERN: until PATTERN shows up in FILE (attach done).
wait_for() {
	local i
	for i in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "bench: timed out waiting for '$2' in $1" >&2
	return 1
}

# beside CMD -- BENCH: start tracer CMD, run BENCH once attached, stop it.
beside() {
	local pid r pat='thread fault counters:'
	case "$1" in bpftrace) pat='Attaching' ;; "$PT") pat='serving /metrics' ;; esac
	"$@" > /dev/null 2> "$tmp/tr.err" &
	pid=$!
	[ "$1" = bpftrace ] && { "$@" > "$tmp/tr.err" 2>&1 & kill $pid 2>/dev/null; pid=$!; }
	wait_for "$tmp/tr.err" "$pat" || { kill -INT $pid; return 1; }
	[ "$1" = bpftrace ] && sleep 0.2	# "Attaching" comes just before
	r=$($BENCH)
	kill -INT $pid
	wait $pid
	echo "$r"
}

# one MODE untraced|traced: one benchmark run; prints its ns per event.
one() {
	local kind=${1%%-*} r
	case "$kind" in fault) BENCH=$FB ;; switch) BENCH=$PPB ;; esac
	if [ "$2" = untraced ]; then
		r=$($BENCH)
	else
		case "$1" in
		*-traced) r=$($W --csv -c "$BENCH" 10 2>&1 >/dev/null) ;;
		*-bystander) r=$(beside $W -p $sleeper 10) ;;
		*-bystander-tp|*-bystander-pe|*-bystander-sw|*-bystander-ru|*-bystander-all)
			r=$(beside $W -s "${1##*-}" -p $sleeper 10) ;;
		fault-all) r=$(beside $W 10) ;;
		fault-serve) r=$(beside $PT serve --listen 127.0.0.1:0) ;;
		fault-tp|fault-pe|fault-sw|fault-ru) r=$($W --csv -s "${1#fault-}" -c "$BENCH" 10 2>&1 >/dev/null) ;;
		fault-pe-sw) r=$($W --csv -s pe,sw -c "$BENCH" 10 2>&1 >/dev/null) ;;
		fault-s-all) r=$($W --csv -s all -c "$BENCH" 10 2>&1 >/dev/null) ;;
		fault-stats) r=$($W --csv --stats -c "$BENCH" 10 2>&1 >/dev/null) ;;
		fault-bpftrace) r=$(beside bpftrace -e "$BT") ;;
		fault-perfstat) r=$(perf stat -e page-faults -x, -o "$tmp/perf.txt" -- $BENCH) ;;
		fault-nullprog) r=$("$out/nullprog" --no-stats $BENCH) ;;
		esac
	fi
	echo "$r" | sed -n 's/.*ns_per_[a-z]*=\([0-9.]*\).*/\1/p' | head -n 1
}

# quantiles FILE: "median p25 p75" of one number per line
quantiles() {
	sort -g "$1" | awk '{v[NR] = $1}
	function q(p,  h, l) { h = 1 + (NR - 1) * p; l = int(h); return v[l] + (h - l) * (v[l + 1] - v[l]) }
	END { printf "%.4f %.4f %.4f\n", q(0.5), q(0.25), q(0.75) }'
}

set -- $modes
nmodes=$#
start=$(date +%s)
for r in $(seq "$ROUNDS"); do
	for m in $modes; do
		if [ $((r % 2)) = 1 ]; then
			u=$(one "$m" untraced); t=$(one "$m" traced)
		else
			t=$(one "$m" traced); u=$(one "$m" untraced)
		fi
		[ -n "$u" ] && [ -n "$t" ] || { echo "# round $r $m: no figure (u='$u' t='$t')" >&2; continue; }
		echo "$u" >> "$tmp/$m.u"
		awk -v u="$u" -v t="$t" 'BEGIN {print t / u}' >> "$tmp/$m.ratio"
		awk -v u="$u" -v t="$t" 'BEGIN {print t - u}' >> "$tmp/$m.added"
	done
	echo "# round $r/$ROUNDS done, $(( $(date +%s) - start )) s" >&2
done

# The programs' own cost per run, from the kernel's BPF statistics, and
# that of empty programs on the same hooks; the fault benchmark, then the
# context-switch one, for each.
$W --csv --stats -s all -c "$FB" 10 > "$tmp/stats.csv" 2>/dev/null
$W --csv --stats -s all -c "$PPB" 10 > "$tmp/stats-pp.csv" 2>/dev/null
# the same programs for a bystander: pfwitness -p <sleeper> beside faultbench
$W --csv --stats -s all -p $sleeper 60 > "$tmp/stats-by.csv" 2> "$tmp/by.err" &
bypid=$!
wait_for "$tmp/by.err" 'thread fault counters:' && $FB > /dev/null
kill -INT $bypid; wait $bypid
"$out/nullprog" $FB > "$tmp/null.txt" 2>&1
"$out/nullprog" $PPB > "$tmp/null-pp.txt" 2>&1

commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- bpf bench 2>/dev/null || echo "+changes")
echo
echo "witness-bench: $ROUNDS interleaved pairs per mode; faultbench $PAGES pages x $REPS passes, pingpong $PP rounds; $(uname -r), $(nproc) CPUs; commit $commit"
printf '%-17s %11s %10s %18s %12s\n' MODE "untraced-ns" "added-ns" "ratio (IQR)" "added %"
{
echo "mode,untraced_ns,added_ns,ratio_median,ratio_p25,ratio_p75,added_pct"
for m in $modes; do
	[ -s "$tmp/$m.ratio" ] || continue
	set -- $(quantiles "$tmp/$m.u") ; u=$1
	set -- $(quantiles "$tmp/$m.added") ; a=$1
	set -- $(quantiles "$tmp/$m.ratio")
	echo "$m,$u,$a,$1,$2,$3,$(awk -v r="$1" 'BEGIN {printf "%.2f", 100 * (r - 1)}')"
done
} > "$out/witness-bench.csv"
tail -n +2 "$out/witness-bench.csv" | awk -F, '{printf "%-17s %11.1f %10.1f %6.4f (%.4f-%.4f) %+11.2f%%\n", $1, $2, $3, $4, $5, $6, $7}'
echo
echo "BPF programs' own cost per run (run_time_ns / run_cnt, kernel BPF statistics, which"
echo "add two clock reads to each run; the empty programs show that and the dispatch):"
grep -h '^program,' "$tmp/stats.csv" | sed 's/^program,,,,,,//' | tr ',' ' ' |
	awk '$2 != "run_cnt=0" && ($1 ~ /fault/) {printf "  pfwitness -c faultbench  %-20s %s %s\n", $1, $2, $4}'
grep -h '^program,' "$tmp/stats-by.csv" | sed 's/^program,,,,,,//' | tr ',' ' ' |
	awk '$1 ~ /fault_user/ {printf "  pfwitness -p <other>    %-20s %s %s (faultbench a bystander)\n", $1, $2, $4}'
grep -h '^program,' "$tmp/stats-pp.csv" | sed 's/^program,,,,,,//' | tr ',' ' ' |
	awk '$1 ~ /switch/ {printf "  pfwitness -c pingpong    %-20s %s %s\n", $1, $2, $4}'
sed -n 's/^nullprog: \(null_fault_user\) \(run_cnt=[0-9]*\) .* \(avg_ns=.*\)/  nullprog faultbench      \1 \2 \3/p' "$tmp/null.txt"
sed -n 's/^nullprog: \(null_switch\) \(run_cnt=[0-9]*\) .* \(avg_ns=.*\)/  nullprog pingpong        \1 \2 \3/p' "$tmp/null-pp.txt"
echo
echo "CSV: $out/witness-bench.csv"
echo "reproduce: sudo experiments/bench/witness-bench.sh $ROUNDS $PAGES $REPS"
