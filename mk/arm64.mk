# The arm64 lane (docs/kernels.md, "Architectures"): mp3.ko, the tools and
# the VM tests cross-built for a Debian arm64 kernel (tools/cross/build.sh)
# and run under qemu-system-aarch64 -M virt -cpu max (TCG).
#
#   make test-arm64              the VM tests on arm64; ends "N passed, N failed"
#   make test-arm64 TESTS='10-proc 30-accuracy'   just those
#   make build-arm64             build/arm64/payload only
#
# ARM64_KERNEL: the kernel target (tools/kernels/kernels.sh: lts = the host
# release's backports kernel, built with the same gcc major as the host's
# cross compiler).  ARM64_TESTS: the tests run when TESTS is not given.
# The real-program corpus (77-, 78-, 79-) is the host's x86-64 binaries,
# so it is left out on arm64, said by a SKIP line.
ARM64_KERNEL ?= lts
ARM64_CORPUS := 77-corpus-module 78-corpus-witness.sh 79-corpus-pftrace.sh
ARM64_TESTS ?= $(sort $(filter-out $(ARM64_CORPUS),$(notdir $(basename $(wildcard tests/vm/[0-9]*.c))) \
	$(notdir $(wildcard tests/vm/[0-9]*.sh))))
ARM64_TIMEOUT ?= 3600
ARM64_SKIPLINE := echo \\\# guest kernel \$$(uname -r) \$$(uname -m); \
	echo ok 1 corpus tests $(ARM64_CORPUS) \\\# SKIP the corpus is x86-64 Debian binaries from the host, none is gathered for arm64

build-arm64:
	@sh tools/install/deps.sh arm64
	tools/cross/build.sh arm64 $(ARM64_KERNEL)

test-arm64: build-arm64
	. build/arm64/kernel.env && PFPROF_VM_TIMEOUT=$(ARM64_TIMEOUT) tests/run.sh --vm-only \
		--vm-args "--arch arm64 --payload $(TOP)/build/arm64/payload --kernel $$KIMAGE --kmoddir $$KMODDIR --mem $(MEM) --swap $(SWAP) --log $(TOP)/build/arm64/console.log" \
		$(if $(TESTS),,--guest-pre "$(ARM64_SKIPLINE)") $(or $(TESTS),$(ARM64_TESTS))

.PHONY: build-arm64 test-arm64
