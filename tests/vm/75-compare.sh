#!/bin/sh
# 75-compare: pfcompare in the VM.  Every built-in scenario at --scale test
# (one TAP line each, from pfcompare's exit status: the module, the witness
# and wait4's rusage agree, or differ only by a named class), then the
# checker's self-test on this run's own threads recording: the clean
# recording passes, and copies with a window dropped or written twice (awk
# on the .rec) fail naming it.  docs/compare.md.  About 30 s under TCG.
set -u
root=${PFPROF_ROOT:-/pfprof}
export PATH="$root/bin:$PATH"
out=${PFCOMPARE_TEST_OUT:-/tmp/pfc-75}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }

scen=$(pfcompare list 2>/dev/null | awk '{print $1}')
nscen=$(echo "$scen" | grep -c .)
echo "1..$((nscen + 4))"
rm -rf "$out" && mkdir -p "$out" || exit 1

# A kernel that needs a larger sched_switch allowance per voluntary
# context switch (the debug lane's: mk/debug.mk) says so here.
allow=${PFCOMPARE_SWITCH_ALLOWANCE_US:+--switch-allowance-us $PFCOMPARE_SWITCH_ALLOWANCE_US}
[ -z "$allow" ] || echo "# pfcompare $allow"
# A scenario may say it cannot run on this kernel (exit 3, RESULT ... SKIP):
# that is accepted only when this test finds the reason true itself.
memcg=0
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && memcg=1

for s in $scen; do
	t0=$(date +%s)
	# shellcheck disable=SC2086
	pfcompare run "$s" --scale test --out "$out" $allow > "$out/$s.log" 2>&1
	rc=$?
	t1=$(date +%s)
	res=$(sed -n "s/^  RESULT $s: //p" "$out/$s.log")
	classes=$(grep -c '^  EXPLAINED' "$out/$s.log")
	how=$(sed -n 's/^pfcompare: filemap: //p' "$out/$s.log")
	if [ $rc = 3 ]; then
		why=$(sed -n "s/^  RESULT $s: SKIP (cannot run here: \(.*\))$/\1/p" "$out/$s.log")
		case "$memcg:$why" in
		0:"no memory cgroup controller"*)
			n=$((n + 1)); echo "ok $n scenario $s # SKIP $why"; continue ;;
		esac
		echo "# pfcompare says it cannot run $s here ($why); memory controller present: $memcg"
	fi
	ok $rc "scenario $s: ${res:-no result} (exit $rc, $classes explained difference(s), $((t1 - t0)) s)${how:+; $how}"
	if [ $rc != 0 ]; then
		grep -E '^  FAIL|^pfcompare:' "$out/$s.log" | sed 's/^/# /'
	fi
	# What the witness falls back on here (docs/witness.md, "Older kernels").
	[ "$s" != "$(echo "$scen" | head -n 1)" ] ||
		grep '^pfcompare: witness: .* unavailable on this kernel' "$out/$s.log" | sed 's/^/# /'
	# sched_switch CPU against wait4, on both clocks (docs/compare.md).
	grep -E '^  (PASS|EXPLAINED|INFO) +sched_switch' "$out/$s.log" | cut -c1-250 | sed 's/^/# /'
	true
done

# Self-test of the checker on a fresh recording.
rec=$out/threads.rec
if [ ! -s "$rec" ]; then
	for _ in 1 2 3 4; do ok 1 "self-test: no recording $rec"; done
	exit 1
fi
pfcompare check "$rec" > "$out/check-clean.log" 2>&1
ok $? "self-test: the fresh threads recording passes pfcompare check"

# The first window with faults: drop it, then write it twice.
seq=$(awk '$1 == "sample" && $5 + $6 > 0 {print $2; exit}' "$rec")
if [ -z "$seq" ]; then
	for _ in 1 2 3; do ok 1 "self-test: no module window with faults in $rec"; done
	exit 1
fi
# A window after it exists unless every fault landed in the module's last
# window (a short run): then a dropped window leaves no gap in the sequence
# and only the totals can show it, and the double count goes backwards.
if awk -v s="$seq" '$1 == "sample" && $2 == s + 1 {f = 1} END {exit !f}' "$rec"; then
	other=$((seq + 1)) gapmsg="seq $seq..$seq missing: 1 dropped window"
else
	other=$((seq - 1)) gapmsg=""
	echo "# window $seq is the recording's last: its loss shows only in the totals"
fi
awk -v s="$seq" '!($1 == "sample" && $2 == s)' "$rec" > "$out/dropped.rec"
pfcompare check "$out/dropped.rec" > "$out/check-dropped.log" 2>&1
rc=$?
[ $rc = 1 ] && { [ -z "$gapmsg" ] || grep -q "$gapmsg" "$out/check-dropped.log"; } &&
	grep -q 'minor faults .*differs from the ground truth' "$out/check-dropped.log"
r=$?; [ $r = 0 ] || grep -E 'FAIL|RESULT|missing|twice' "$out/check-dropped.log" | sed 's/^/# /'
ok $r "self-test: window seq $seq dropped: check fails (exit $rc), names ${gapmsg:+the dropped window and }the total"

awk -v s="$seq" '{print} $1 == "sample" && $2 == s {print}' "$rec" > "$out/doubled.rec"
pfcompare check "$out/doubled.rec" > "$out/check-doubled.log" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "seq $seq appears twice: a double-counted window" "$out/check-doubled.log"
r=$?; [ $r = 0 ] || grep -E 'FAIL|RESULT|missing|twice' "$out/check-doubled.log" | sed 's/^/# /'
ok $r "self-test: window seq $seq written twice: check fails (exit $rc), names the double count"

# The window's counts added again to its neighbour, sequence intact: only
# the totals and the per-window comparison can see it.
awk -v s="$seq" -v o="$other" '$1 == "sample" && $2 == s {m = $5; j = $6; c = $7}
	{l[NR] = $0; if ($1 == "sample") at[$2] = NR}
	END {for (i = 1; i <= NR; i++) {
		if (i == at[o]) {$0 = l[i]; $5 += m; $6 += j; $7 += c; print}
		else print l[i] } }' "$rec" > "$out/inplace.rec"
pfcompare check "$out/inplace.rec" > "$out/check-inplace.log" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'minor faults .*differs from the ground truth' "$out/check-inplace.log"
r=$?; [ $r = 0 ] || { grep -E 'FAIL|RESULT' "$out/check-inplace.log"; grep "^sample" "$out/inplace.rec" | head -n $((seq + 3)) | tail -n 5; } | sed 's/^/# /'
ok $r "self-test: window seq $seq counted again in seq $other: check fails (exit $rc) on the total"
exit $fail
