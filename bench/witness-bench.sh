#!/bin/bash
# witness-bench.sh - what each fault tracer adds to an untraced page fault.
#
# USAGE: bench/witness-bench.sh [RUNS] [PAGES] [ROUNDS]    (as root, natively)
#
# bench/faultbench.c maps PAGES anonymous pages (THP off by madvise),
# writes one byte to each, unmaps, ROUNDS times, and prints the wall time
# per fault.  Each run times it untraced, under pfwitness (every process,
# every source the kernel allows; BPF run-time stats on, as by default),
# the same with --no-stats, under pfwitness -s tp (the tracepoint source
# only: the same work as the bpftrace one-liner) with and without stats,
# under the bpftrace one-liner, and under perf stat -e page-faults.  The
# modes are interleaved, in a rotating order, RUNS times; the table gives
# medians.  BENCH_MODES="untraced pfwitness-pe ..." picks modes (see one()).
# Defaults: 11 runs of 16384 pages x 30 rounds (491,520 faults a run).
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-11} PAGES=${2:-16384} ROUNDS=${3:-30}
out=bench/.output
mkdir -p "$out"
gcc -static -O2 -Wall -Wextra -Werror -o "$out/faultbench" bench/faultbench.c || exit 1
make -s -C bpf || exit 1
B="$out/faultbench $PAGES $ROUNDS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BT='tracepoint:exceptions:page_fault_user { @[pid] = count(); }'
modes=${BENCH_MODES:-"untraced pfwitness pfwitness-nostats pfwitness-tp pfwitness-tp-nostats bpftrace perf-stat"}

# wait_for FILE PATTERN: until PATTERN shows up in FILE (attach done).
wait_for() {
	local i
	for i in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: timed out waiting for '$2' in $1" >&2
	return 1
}

# one MODE: run faultbench once under MODE; print its ns per fault.
one() {
	local pid r
	case "$1" in
	untraced) r=$($B) ;;
	pfwitness*)
		case "$1" in
		pfwitness) args="" ;;
		pfwitness-tp) args="-s tp" ;;
		pfwitness-pe) args="-s pe" ;;
		pfwitness-sw) args="-s sw" ;;
		pfwitness-nostats) args="--no-stats" ;;
		pfwitness-tp-nostats) args="-s tp --no-stats" ;;
		esac
		bpf/pfwitness $args 1 > /dev/null 2> "$tmp/pfw.err" &
		pid=$!
		wait_for "$tmp/pfw.err" 'sched_switch:' || { kill -INT $pid; return 1; }
		r=$($B)
		kill -INT $pid
		wait $pid ;;
	bpftrace)
		bpftrace -e "$BT" > "$tmp/bt.out" 2>&1 &
		pid=$!
		wait_for "$tmp/bt.out" 'Attaching' || { kill -INT $pid; return 1; }
		sleep 0.2	# "Attaching" is printed just before the attach
		r=$($B)
		kill -INT $pid
		wait $pid ;;
	perf-stat) r=$(perf stat -e page-faults -x, -o "$tmp/perf.txt" -- $B) ;;
	esac
	echo "$r" | sed -n 's/.*ns_per_fault=\([0-9.]*\).*/\1/p'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

set -- $modes
nmodes=$#
for run in $(seq "$RUNS"); do
	# rotate the order each run so no mode always follows another
	k=$(( (run - 1) % nmodes ))
	order=$(echo $modes $modes | tr ' ' '\n' | sed -n "$((k + 1)),$((k + nmodes))p")
	for m in $order; do
		v=$(one "$m")
		[ -n "$v" ] && echo "$v" >> "$tmp/$m"
		echo "# run $run $m: $v ns/fault" >&2
	done
done

base=$(median < "$tmp/untraced")
echo
echo "faultbench $PAGES pages x $ROUNDS rounds, $RUNS interleaved runs, $(uname -r), $(nproc) CPUs"
printf '%-21s %14s %16s %12s\n' MODE "ns/fault" "added ns/fault" "% of fault"
for m in $modes; do
	med=$(median < "$tmp/$m")
	awk -v m="$m" -v v="$med" -v b="$base" \
		'BEGIN {printf "%-21s %14.1f %16.1f %11.1f%%\n", m, v, v - b, 100 * (v - b) / b}'
done
echo
echo "reproduce: sudo bench/witness-bench.sh $RUNS $PAGES $ROUNDS"
