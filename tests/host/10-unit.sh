#!/bin/sh
# 10-unit: host-side unit tests (TAP programs built from tests/unit/*_test.c):
# mp3buf_test (the stream-header follower, beside a -1 drainer too),
# drain_test (the -1 protocol reader) and collect_test (pfcompare's
# collect_run and cmd_collect failing part-way leak no descriptor and no
# child; its "pfcompare: ..." lines on stderr are the failures it
# injects).  Builds them first, so a stale binary cannot stand in for the
# sources.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
rc=0
bins=$(ls unit/*_test.c | sed 's/\.c$//')
build_or_bail "unit tests do not build" $bins
for t in $bins; do
	[ -x "$t" ] || { echo "not ok - $t was not built"; rc=1; continue; }
	"./$t" || rc=1
done
exit $rc
