#!/bin/sh
# 31-witness-bugs: regressions from the witness review (issue 11).
cd "$(dirname "$0")/../.." || exit 1
exec sh tests/bpf/witness/witness-bugs.sh bpf/pfwitness tests/bpf/pfw-touch
