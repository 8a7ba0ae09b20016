#!/bin/bash
# Self-test of the debug lane (`make test-debug-selftest`; docs/debug-lane.md):
# run the lane (tools/debug/debug-lane.sh) once per deliberately broken module of
# tests/broken/, loaded next to mp3, and pass only if the lane FAILS and its
# report names the bug:
#   sleep_in_atomic  msleep under a spinlock -> "BUG: sleeping function called
#                    from invalid context" in dmesg -> tools/vm/run.sh exit 125
#   leak             kmalloc'd buffer dropped -> kmemleak lists it ->
#                    "not ok 1 - kmemleak" (and "kmemleak: N new suspected"),
#                    named by its backtrace or its contents ("pfprof-leak")
# Prints TAP; exit status 0 only if every case was caught.
#
# USAGE: debug-selftest.sh [CASE...]    (default: sleep_in_atomic leak)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -gt 0 ] || set -- sleep_in_atomic leak
dir=$top/build/debug-lane
mkdir -p "$dir"

echo "TAP version 13"
echo "1..$#"
n=0 failed=0
for case in "$@"; do
	n=$((n + 1))
	out=$dir/selftest-$case.out log=$dir/selftest-$case.log
	echo "# ===== self-test $n: lane with the deliberately broken module $case"
	"$top/tools/debug/debug-lane.sh" --with-module "$case" --log "$log" 2>&1 | tee "$out" | sed 's/^/#   /'
	rc=${PIPESTATUS[0]}
	why=""
	[ "$rc" != 0 ] || why="the lane passed (exit 0)"
	case "$case" in
	sleep_in_atomic)
		grep -q 'BUG: sleeping function called from invalid context' "$log" ||
			why="$why; no 'BUG: sleeping function called from invalid context' in the log"
		grep -q 'sleep_in_atomic_init' "$log" ||
			why="$why; the report does not name sleep_in_atomic_init"
		grep -q '^not ok - kernel splat' "$out" ||
			why="$why; the lane did not report a kernel splat"
		;;
	leak)
		grep -q '^not ok 1 - kmemleak' "$out" ||
			why="$why; kmemleak-check did not report a leak"
		grep -qE 'leak_a_buffer|leak_init|\[leak\]|pfprof-leak' "$out" ||
			why="$why; the kmemleak report does not name the leak module"
		;;
	*)
		why="$why; no expectations for case $case"
		;;
	esac
	why=${why#; }
	if [ -z "$why" ]; then
		echo "ok $n - debug lane fails on tests/broken/$case.c (lane exit $rc) and names the bug"
	else
		echo "not ok $n - debug lane on tests/broken/$case.c: $why (lane exit $rc; log $log)"
		failed=$((failed + 1))
	fi
done
echo "# self-test: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
