#!/bin/sh
# 30-witness: the eBPF witness on this host's own kernel (no module
# needed).  fexit is refused here, so the VM runs the fexit tests.
cd "$(dirname "$0")/../.." || exit 1
exec sh tests/bpf/witness/witness-tests.sh host bpf/pfwitness tests/bpf/pfw-touch
