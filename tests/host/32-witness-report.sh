#!/bin/sh
# 32-witness-report: pfwitness's row collection when memory runs out
# (tests/bpf/witness/report_test, bpf/witness/report.c with realloc made to fail).
cd "$(dirname "$0")/../bpf/witness" || exit 1
. ../../lib/tap.sh
build_or_bail "report_test does not build" -C .. witness/report_test
exec ./report_test
