#!/bin/sh
# 35-pftrace: ad-hoc fault analysis on this host's kernel (no fexit here:
# the page_fault_user + perf event method).
cd "$(dirname "$0")/../.." || exit 1
# the views' unit test (calloc wrapped to fail), which pftrace-tests.sh runs here
make -s -C tests/bpf trace/views_test > /dev/null 2>&1
exec sh tests/bpf/trace/pftrace-tests.sh host bpf/pftrace tests/bpf/pfw-touch
