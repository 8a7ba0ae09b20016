#!/bin/sh
# 79-corpus-pftrace: pftrace against real programs this project did not
# write, in the guest (the fexit method on the Debian kernels): the corpus
# of 77-corpus-module and 78-corpus-witness (tests/corpus/programs.txt,
# Debian's binaries chrooted into $PFPROF_ROOT/corpus/root), each program
# PFPROF_CORPUS_RUNS times (default 1) under
#
#   pftrace code --folded -c 'chroot ROOT PROGRAM ARGS'
#   pftrace where --csv -n 100000 -c 'chroot ROOT PROGRAM ARGS'
#
# Checked, every run (docs/pftrace.md, "Every fault accounted for"): the
# view's total (the folded lines' counts; the where rows' minor + major)
# plus what pftrace says it left out == the faults it counted; and the
# faults counted + those not seen == wait4's, with none not seen under
# fexit (it sees get_user_pages faults too), 0..8 a process under tp,
# besides the program runs the kernel skipped, which pftrace reports
# (recursion_misses: fexit preempted mid-run on 7.x, more often with
# code's longer runs; each may be a fault not counted).
# The share of complete stacks is printed.  On a kernel without BPF task
# storage (5.10) pftrace says so, and the checks are skipped.  POSIX sh
# (busybox ash).
root=${PFPROF_ROOT:-/pfprof}
C=$root/corpus R=$root/corpus/root
runs=${PFPROF_CORPUS_RUNS:-1}
P=$(command -v pftrace) CH=$(command -v chroot)
tmp=$(mktemp -d)
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
progs=$(grep -v '^#' "$C/programs.txt" 2>/dev/null | grep .)
np=$(echo "$progs" | grep -c .)
echo "1..$((1 + 2 * np))"
croot=$(sh "$C/setup.sh" up "$R" 2> "$tmp/setup.log" | tail -n 1)
case "$croot" in /*) ok 0 "corpus root set up at $croot ($np programs, $runs runs each)" ;;
*) ok 1 "corpus root set up: $(cat "$tmp/setup.log")"; croot=$R ;; esac
trap 'sh "$C/setup.sh" down "$R" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
export PATH=/usr/bin:/bin LC_ALL=C HOME=/tmp/corpus

# n_of PATTERN: the number in the first line of err.txt matching
# "PATTERN", where PATTERN holds one \([0-9]*\) (after fixed text or a
# [^0-9]: sed's leading .* is greedy)
n_of() { sed -n "s/.*$1.*/\1/p" "$tmp/err.txt" | head -n 1; }

# One run of VIEW: "OK ..." or "BAD ..." in $verdict, the numbers either way
judge() {
	view=$1
	counted=$(n_of 'pftrace: faults counted: \([0-9]*\) in')
	procs=$(n_of 'pftrace: faults counted: [0-9]* in \([0-9]*\) process')
	w4=$(n_of "the command's faults (wait4): \([0-9]*\) ")
	unseen=$(n_of 'not seen: \(-*[0-9]*\) ')
	if [ "$view" = code ]; then
		total=$(awk '{ s += $NF } END { print s + 0 }' "$tmp/out")
		a=$(n_of '[^0-9]\([0-9][0-9]*\) without a user stack')
		b=$(n_of '[^0-9]\([0-9][0-9]*\) with the ring buffer full')
		left=""
		[ -n "$a" ] && [ -n "$b" ] && left=$((a + b))
	else
		total=$(awk -F, 'NR > 1 && NF >= 11 { s += $8 + $9 } END { print s + 0 }' "$tmp/out")
		left=$(n_of "[^0-9]\([0-9][0-9]*\) with the mappings' map full")
	fi
	# program runs the kernel skipped (fexit preempted mid-run, 7.x):
	# each may be a fault not counted, and pftrace says how many
	misses=$(n_of 'pftrace: \([0-9][0-9]*\) program runs* skipped')
	most=${misses:-0}
	[ "$method" = fexit ] || most=$((most + 8 * ${procs:-1}))
	if [ -z "$counted" ] || [ -z "$w4" ] || [ -z "$left" ] || [ -z "$unseen" ]; then
		verdict="BAD no accounting from pftrace: $(grep -a '^pftrace:' "$tmp/err.txt" | tail -n 2 | tr '\n' ' ' | cut -c1-200)"
	elif [ $((total + left)) != "$counted" ] || [ $((counted + unseen)) != "$w4" ] ||
	     [ "$unseen" -lt 0 ] || [ "$unseen" -gt $most ]; then
		verdict="BAD $view: total $total + left out $left, counted $counted, not seen $unseen (0..$most), wait4 $w4"
	else
		verdict="OK $view: total $total + left out $left = counted $counted; + not seen $unseen = wait4 $w4"
	fi
}

method=""
echo "$progs" > "$tmp/progs"
while IFS='|' read -r name scope cmd; do
	good_code=0 good_where=0 t0=$(date +%s)
	k=0
	while [ $k -lt "$runs" ]; do
		k=$((k + 1))
		for view in code where; do
			if [ $view = code ]; then
				"$P" code --folded -c "$CH $croot $cmd" > "$tmp/out" 2> "$tmp/err.txt"
			else
				"$P" where --csv -n 100000 -c "$CH $croot $cmd" > "$tmp/out" 2> "$tmp/err.txt"
			fi
			rc=$?
			if grep -q 'needs BPF task storage' "$tmp/err.txt"; then
				method=none
				break 2
			fi
			[ -n "$method" ] || method=$(sed -n 's/^pftrace: method: \([a-z_]*\).*/\1/p' "$tmp/err.txt" | head -n 1)
			[ "$method" = page_fault_user ] && method=tp
			judge $view
			share=$(grep -ao 'stacks ([a-z]*): [0-9]* of [0-9]*' "$tmp/err.txt" | awk '{ if ($5) printf "; complete stacks %.1f%%", 100 * $3 / $5 }')
			echo "# $name run $k ($method): rc=$rc $verdict$share"
			case "$verdict" in
			OK*) [ $rc = 0 ] && [ $view = code ] && good_code=$((good_code + 1))
			     [ $rc = 0 ] && [ $view = where ] && good_where=$((good_where + 1)) ;;
			esac
		done
	done
	if [ "$method" = none ]; then
		skip "$name: pftrace code" "Linux $(uname -r) has no BPF task storage (5.11+): pftrace says so"
		skip "$name: pftrace where" "Linux $(uname -r) has no BPF task storage (5.11+)"
		continue
	fi
	ok $([ $good_code = "$runs" ]; echo $?) "$name ($scope): pftrace code --folded ($method), $good_code of $runs runs: folded total + left out = counted, + not seen = wait4"
	ok $([ $good_where = "$runs" ]; echo $?) "$name ($scope): pftrace where ($method), $good_where of $runs runs: rows + left out = counted, + not seen = wait4 ($(($(date +%s) - t0)) s)"
done < "$tmp/progs"
