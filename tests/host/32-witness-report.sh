#!/bin/sh
# 32-witness-report: pfwitness's row collection when memory runs out
# (tests/bpf/witness/report_test, bpf/witness/report.c with realloc made to fail).
cd "$(dirname "$0")/../bpf/witness" || exit 1
if ! out=$(make -s -C .. witness/report_test 2>&1); then
	echo "$out" | tail -5 | sed 's/^/# /'
	echo "not ok - report_test does not build"
	exit 1
fi
exec ./report_test
