#!/bin/sh
# Run pfprof's VM tests inside the guest (busybox ash) or natively.
# Every test prints TAP; this runner shows it and adds a "not ok" line for a
# test program that failed without saying so (crash, wrong plan, timeout).
#
# USAGE: vm-runner.sh [PATTERN...]   (default: every test in $root/tests)
# A PATTERN is a shell glob on the test's file name; "75-compare" also
# matches 75-compare.sh.  A pattern that matches no test is a failure.
root=${PFPROF_ROOT:-/pfprof}
export PFPROF_ROOT=$root
export PATH="$root/bin:$PATH"
per_test_timeout=${PFPROF_TEST_TIMEOUT:-900}
cd "$root" || exit 1
[ $# -gt 0 ] || set -- '*'
for pat in "$@"; do
	matched=0
	for t in "$root"/tests/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		name=${t##*/}
		case "$name" in vm-runner.sh) continue ;; esac
		# shellcheck disable=SC2254
		case "$name" in $pat | $pat.sh) ;; *) continue ;; esac
		matched=1
		echo "# ===== $name"
		t0=$(date +%s)
		out=/tmp/pfprof-tap.$$
		{ timeout "$per_test_timeout" "$t" 2>&1; echo $? > "$out.rc"; } | tee "$out"
		rc=$(cat "$out.rc")
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
		ran=$(grep -cE '^(not )?ok [0-9]+' "$out")
		failed=$(grep -cE '^not ok [0-9]+' "$out")
		if [ -n "$plan" ] && [ "$ran" -ne "$plan" ]; then
			echo "not ok - $name: planned $plan tests, reported $ran (exit status $rc)"
		elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
			echo "not ok - $name: exit status $rc without a failing test"
		elif [ -z "$plan" ] && [ "$ran" -eq 0 ]; then
			echo "not ok - $name: printed no TAP results"
		fi
		rm -f "$out" "$out.rc"
		# how long each took (what a lane that must fit a budget chooses by)
		echo "# $name took $(($(date +%s) - t0)) s"
		# Leave no module behind for the next test.
		rmmod mp3 2>/dev/null
	done
	[ $matched = 1 ] || echo "not ok - no test matches '$pat'"
done
exit 0
