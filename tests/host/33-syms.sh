#!/bin/sh
# 33-syms: pftrace's user-space symbols with libdwfl (bpf/trace/syms.c): a
# PIE, its shared library, its stripped copy, a dlopen, the vDSO, and all
# of it again after the process has exited and its files are deleted
# (tests/bpf/trace/syms_test).
cd "$(dirname "$0")/../bpf/trace" || exit 1
. ../../lib/tap.sh
build_or_bail "syms_test does not build" -C .. trace/syms_test
exec ./syms_test
