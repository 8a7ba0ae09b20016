#!/bin/sh
# 34-heat: the heat map of faults, address x time (tests/witness/heat_test,
# bpf/heat.c drawing with gnuplot): every fault in the .dat once, in its
# band's rows, a diagonal kept a diagonal, PNGs in linear and log colour.
cd "$(dirname "$0")/../witness" || exit 1
if ! out=$(make -s heat_test 2>&1); then
	echo "$out" | tail -5 | sed 's/^/# /'
	echo "not ok - heat_test does not build"
	exit 1
fi
dir=$(mktemp -d /tmp/pfprof-heat.XXXXXX) || exit 1
./heat_test "$dir"
rc=$?
if [ $rc = 0 ]; then
	rm -rf "$dir"
else
	echo "# its maps are kept in $dir"
fi
exit $rc
