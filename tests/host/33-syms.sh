#!/bin/sh
# 33-syms: user-space symbols with libdwfl (bpf/syms.c, shared by the BPF
# tools): a PIE, its shared library, its stripped copy, a dlopen, the
# vDSO, and all of it again after the process has exited and its files
# are deleted (tests/witness/syms_test).
cd "$(dirname "$0")/../witness" || exit 1
if ! out=$(make -s syms_test 2>&1); then
	echo "$out" | tail -5 | sed 's/^/# /'
	echo "not ok - syms_test does not build"
	exit 1
fi
exec ./syms_test
