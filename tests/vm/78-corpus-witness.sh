#!/bin/sh
# 78-corpus-witness: pfwitness against real programs this project did not
# write: the corpus of 77-corpus-module (tests/corpus/programs.txt, Debian's
# binaries chrooted into $PFPROF_ROOT/corpus/root), each run
# PFPROF_CORPUS_RUNS times (default 3) as
#
#   pfwitness -s all --csv -c 'chroot ROOT PROGRAM ARGS' 0.5
#
# pfwitness follows the command's descendants (make's gcc, cc1, as, ld;
# the script's xz), so the sum of every process's `total` row is the whole
# tree, which is what the command's wait4() rusage covers too (every child
# is reaped by its parent).  Checked: the ru source's minor and major
# faults summed over the tree == the wait4 rusage pfwitness prints
# ("rusage minflt=.. majflt=.."), exactly, in every run.  The CSV is read
# by its header's column names, not positions.  The other sources (tp, pe,
# fx, sw) are printed as diagnostics.  The root is copied onto ext2 on a
# loop device and the page cache dropped before each program's first run
# (setup.sh), so that run takes major faults too (checked); the others run
# warm.  POSIX sh (busybox ash).
root=${PFPROF_ROOT:-/pfprof}
C=$root/corpus R=$root/corpus/root
runs=${PFPROF_CORPUS_RUNS:-3}
W=$(command -v pfwitness) CH=$(command -v chroot)
tmp=$(mktemp -d)
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
progs=$(grep -v '^#' "$C/programs.txt" 2>/dev/null | grep .)
np=$(echo "$progs" | grep -c .)
echo "1..$((4 + 3 * np))"
croot=$(sh "$C/setup.sh" up "$R" 2> "$tmp/setup.log" | tail -n 1)
case "$croot" in /*) ok 0 "corpus root set up at $croot ($np programs, $runs runs each)" ;;
*) ok 1 "corpus root set up: $(cat "$tmp/setup.log")"; croot=$R ;; esac
trap 'sh "$C/setup.sh" down "$R" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
disk=1
if [ -f /tmp/pfprof-corpus-disk.why ]; then
	disk=0
	skip "corpus root on ext2 on a loop device" "$(cat /tmp/pfprof-corpus-disk.why)"
else
	ok 0 "corpus root on ext2 on a loop device: the page cache is dropped before each program's first run"
fi
majruns=0 allruns=0
export PATH=/usr/bin:/bin LC_ALL=C HOME=/tmp/corpus

# One run: sets rc, w4_min, w4_maj, and the tree's sums from the CSV.
run() {
	[ $disk = 1 ] && [ "$k" = 1 ] && sh "$C/setup.sh" drop
	"$W" -s all --csv -c "$CH $croot $*" 0.5 > "$tmp/out.csv" 2> "$tmp/err.txt"
	rc=$?
	w4=$(grep -ao "pfwitness: '[^']*' exited with status [0-9]*; rusage minflt=[0-9]* majflt=[0-9]*" "$tmp/err.txt" | tail -n 1)
	status=$(echo "$w4" | sed -n 's/.* exited with status \([0-9]*\);.*/\1/p')
	w4_min=$(echo "$w4" | sed -n 's/.*rusage minflt=\([0-9]*\).*/\1/p')
	w4_maj=$(echo "$w4" | sed -n 's/.*majflt=\([0-9]*\).*/\1/p')
	set -- $(awk -F, '
		$1 == "type" { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == "total" {
			rows++
			ru += $col["ru_min"]; rj += $col["ru_maj"]
			if ("fx_min" in col) { fx += $col["fx_min"]; fj += $col["fx_maj"] }
			if ("pe_min" in col) { pe += $col["pe_min"]; pj += $col["pe_maj"] }
			if ("tp_user" in col) tp += $col["tp_user"]
			if ("cpu_ns" in col) cpu += $col["cpu_ns"]
		}
		END { printf "%d %d %d %d %d %d %d %d %.0f\n", rows, ru, rj, fx, fj, pe, pj, tp, cpu }
	' "$tmp/out.csv")
	rows=$1 ru_min=$2 ru_maj=$3 fx_min=$4 fx_maj=$5 pe_min=$6 pe_maj=$7 tp_u=$8 cpu_ns=$9
}

first=1 have_ru=1 why_ru=""
echo "$progs" > "$tmp/progs"
while IFS='|' read -r name scope cmd; do
	ran=0 mins=0 majs=0 lmin="" lmaj="" t0=$(date +%s)
	k=0
	while [ $k -lt "$runs" ]; do
		k=$((k + 1))
		run $cmd
		if [ $first = 1 ]; then
			first=0
			sed -n 's/^\(pfwitness: .*\(attached\|unavailable\).*\)/# \1/p' "$tmp/err.txt"
			# A SKIP only when pfwitness ran and said this kernel lacks
			# the source; pfwitness failing to start is a failure.
			why_ru=$(grep -a 'thread fault counters' "$tmp/err.txt" | head -n 1)
			if grep -q 'thread fault counters: attached' "$tmp/err.txt"; then
				ok 0 "pfwitness attached its thread fault counters (ru) source on Linux $(uname -r)"
			elif [ "$rc" = 0 ] && [ -n "$why_ru" ]; then
				have_ru=0
				skip "pfwitness ru source" "not available on Linux $(uname -r): $why_ru"
			else
				ok 1 "pfwitness started and attached its ru source on Linux $(uname -r) (exit status $rc: $(grep -a '^pfwitness:' "$tmp/err.txt" | tail -n 1))"
			fi
		fi
		echo "# $name run $k: rc=$rc status=$status processes=$rows ru=$ru_min/$ru_maj wait4=$w4_min/$w4_maj fx=$fx_min/$fx_maj pe=$pe_min/$pe_maj tp_user=$tp_u sw_cpu_ns=$cpu_ns"
		if [ "$rc" = 0 ] && [ "$status" = 0 ] && [ "${rows:-0}" -gt 0 ] && [ -n "$w4_min" ]; then
			ran=$((ran + 1))
			[ "$ru_min" = "$w4_min" ] && mins=$((mins + 1))
			[ "$ru_maj" = "$w4_maj" ] && majs=$((majs + 1))
		else
			grep -av '^pfwitness: .*attached' "$tmp/err.txt" | tail -n 5 | cut -c1-200 | sed 's/^/# err: /'
		fi
		lmin="$lmin $ru_min/$w4_min" lmaj="$lmaj $ru_maj/$w4_maj"
		if [ $k = 1 ]; then
			allruns=$((allruns + 1))
			[ "${w4_maj:-0}" -gt 0 ] && majruns=$((majruns + 1))
		fi
	done
	ok $([ $ran = "$runs" ]; echo $?) "$name ($scope): pfwitness -c ran it $ran of $runs times, exit 0, a total row ($(($(date +%s) - t0)) s)"
	if [ $have_ru = 1 ]; then
		ok $([ $mins = "$runs" ]; echo $?) "$name ($scope): ru minor faults over the process tree == wait4 in $mins of $runs runs (ru/wait4:$lmin)"
		ok $([ $majs = "$runs" ]; echo $?) "$name ($scope): ru major faults over the process tree == wait4 in $majs of $runs runs (ru/wait4:$lmaj)"
	else
		skip "$name: ru minor faults == wait4" "no ru source on this kernel"
		skip "$name: ru major faults == wait4" "no ru source on this kernel"
	fi
done < "$tmp/progs"
if [ $disk = 1 ]; then
	ok $([ $majruns = $allruns ]; echo $?) "every program's first run (page cache dropped) took major faults: $majruns of $allruns"
else
	skip "every program's first run took major faults" "no disk under the corpus root"
fi
