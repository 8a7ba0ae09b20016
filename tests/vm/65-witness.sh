#!/bin/sh
# 65-witness: the eBPF witness in the VM, all four sources.
exec sh "${PFPROF_ROOT:-/pfprof}/scripts/witness-tests.sh" vm pfwitness pfw-touch
