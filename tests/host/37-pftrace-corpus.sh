#!/bin/sh
# 37-pftrace-corpus: pftrace on real programs (tests/bpf/trace/pftrace-corpus.sh).
cd "$(dirname "$0")/../.." || exit 1
exec bash tests/bpf/trace/pftrace-corpus.sh bpf/pftrace 10
