# The install paths on a real Debian 12 system (tests/install/, docs/kernels.md
# "Install paths"): README's install blocks run word for word in a Debian 12
# image booted from its own disk under QEMU, a kernel upgrade with DKMS, the
# Debian packages, nothing left behind.
#
#   make test-install  TAP; "N passed, N failed" (image cached in ~/.cache/pfprof)

test-install: deps
	tests/install/run.sh

.PHONY: test-install
