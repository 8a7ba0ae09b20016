#!/bin/sh
# 31-witness-bugs: pfwitness's answers where a PID, a CPU hog, a long
# command or libbpf could mislead it (tests/bpf/witness/witness-bugs.sh):
# each case is one it once got wrong, kept so that it stays right.
cd "$(dirname "$0")/../.." || exit 1
exec sh tests/bpf/witness/witness-bugs.sh bpf/pfwitness tests/bpf/pfw-touch
