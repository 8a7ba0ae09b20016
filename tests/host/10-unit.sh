#!/bin/sh
# 10-unit: host-side unit tests (TAP programs built in tests/unit/).
cd "$(dirname "$0")/.." || exit 1
rc=0
for t in unit/*_test; do
	[ -x "$t" ] || continue
	"./$t" || rc=1
done
exit $rc
