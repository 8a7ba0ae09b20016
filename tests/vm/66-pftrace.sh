#!/bin/sh
# 66-pftrace: ad-hoc fault analysis in the VM (fexit where the kernel has it).
exec sh "${PFPROF_ROOT:-/pfprof}/scripts/pftrace-tests.sh" vm pftrace pfw-touch
