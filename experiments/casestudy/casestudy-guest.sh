#!/bin/sh
# Guest half of the MP3 case studies (busybox ash, in the VM).
#
#   casestudy-guest.sh [--quick]
#
# Each run: a fresh memory cgroup whose memory.max plays the machine's RAM,
# mp3.ko loaded, `monitor -f -x` following the ring, `pfwitness` (if
# present) counting every process in CSV, then the `work` processes started
# together inside the cgroup.  For every run it prints sections the host
# splits (experiments/casestudy/casestudy.py):
#   === run NAME LIMIT_MB START_UPTIME END_UPTIME ITERATIONS
#   === module NAME     (monitor -x lines: seq mono_ns jiffies min maj cpu_ns)
#   === works NAME      (each work's getrusage lines and its end time)
#   === witness NAME    (if pfwitness ran: its record, CSV, cut down to the
#                        works' PIDs: witness_reduce in guest-witness.sh)
set -u
. "$(dirname "$0")/guest-witness.sh"
root=${PFPROF_ROOT:-/pfprof}
quick=0 sleep_ms=1000
[ "${1:-}" = --quick ] && quick=1 sleep_ms=200
cg=/sys/fs/cgroup
echo +memory > $cg/cgroup.subtree_control 2>/dev/null
insmod "$root/mp3.ko" || exit 1
cd /tmp || exit 1

# The witness's record, cut down to the works (PIDs from their own output
# lines): per interval a row summing them, and their total rows
# (witness_reduce, guest-witness.sh; read by name on the host).
works_witness() {
	sed -n 's/^work: pid=\([0-9]*\) registered.*/\1/p' w.*.txt > wpids.txt
	witness_reduce wpids.txt
}

# run NAME LIMIT_MB ITER WORKARGS...   (each WORKARGS is "MB MODE ACCESSES")
run() {
	name=$1 limit=$2 iter=$3
	shift 3
	echo "casestudy: $name: $# work(s) in ${limit} MiB, $iter iterations" >&2
	mkdir -p "$cg/cs-$name"
	echo "${limit}M" > "$cg/cs-$name/memory.max"
	sync; echo 3 > /proc/sys/vm/drop_caches
	rm -f mod.txt wit.txt wit.err wpids.txt w.*.txt
	monitor -d /dev/mp3 -f -F new -x > mod.txt 2>/dev/null &
	mon=$!
	wit=""
	if command -v pfwitness >/dev/null 2>&1 && [ "${PFPROF_NO_WITNESS:-0}" = 0 ]; then
		# Every process (the works' PIDs are not known before they
		# start faulting); perf events, fexit and sched_switch, no BPF
		# run-time statistics; 0.1 s intervals.
		witness_start --csv --no-stats -s pe,fx,sw 0.1
	fi
	t0=$(cut -d' ' -f1 /proc/uptime)
	i=0 pids=""
	for args in "$@"; do
		i=$((i + 1))
		# shellcheck disable=SC2016,SC2086 # $args: "MB MODE ACCESSES", split on purpose
		PFPROF_WORK_ITER=$iter PFPROF_WORK_SLEEP_MS=$sleep_ms sh -c 'echo $$ > "$1"/cgroup.procs; shift
			work "$@"
			echo "work: end $(cut -d" " -f1 /proc/uptime) args=$*"' \
			sh "$cg/cs-$name" $args > w.$i.txt &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	t1=$(cut -d' ' -f1 /proc/uptime)
	sleep 0.2
	kill $mon; wait $mon 2>/dev/null
	[ -n "$wit" ] && { kill -INT $wit; wait $wit 2>/dev/null; }
	echo "=== run $name $limit $t0 $t1 $iter"
	echo "=== module $name"
	cat mod.txt
	echo "=== works $name"
	cat w.*.txt
	if [ -n "$wit" ]; then
		echo "=== witness $name"
		works_witness
	fi
	rmdir "$cg/cs-$name" 2>/dev/null
}

if [ $quick = 1 ]; then
	# 1/8 of case study 1, 1/16 of case study 2 (sizes, accesses and RAM
	# alike), 200 ms sleeps instead of 1 s, N up to 16 (docs/case-studies.md).
	run cs1-rr 128 20 "128 R 6250" "128 R 1250"
	run cs1-rl 128 20 "128 R 6250" "128 L 1250"
	for n in 1 5 16; do
		set --
		k=0
		while [ $k -lt $n ]; do set -- "$@" "12 R 625"; k=$((k + 1)); done
		run cs2-n$n 128 20 "$@"
	done
else
	# Case study 1 at full size: RAM (memory.max) 1024 MiB.
	run cs1-rr 1024 20 "1024 R 50000" "1024 R 10000"
	run cs1-rl 1024 20 "1024 R 50000" "1024 L 10000"
	# Case study 2 at 1/4 size (work 50 R 2500 for work 200 R 10000,
	# RAM 512 MiB for 2 GiB): same page coverage per process and the same
	# working-set-to-RAM ratio for every N.
	for n in 1 5 11 16 20 22; do
		set --
		k=0
		while [ $k -lt $n ]; do set -- "$@" "50 R 2500"; k=$((k + 1)); done
		run cs2-n$n 512 20 "$@"
	done
fi
rmmod mp3
