# Debug-kernel lane (docs/debug-lane.md): the VM tests under KASAN, UBSAN,
# lockdep (PROVE_LOCKING, DEBUG_ATOMIC_SLEEP) and kmemleak.
#
#   make test-debug            the VM tests on the debug kernel, then kmemleak
#   make test-debug-selftest   proves the lane fails on tests/broken/ modules
#   make debug-kernel          build the debug kernel into the cache directory
#   make debug-kernel-available  exit 0 if a debug kernel is there (for CI)
#
# Which tests run (docs/debug-lane.md): every VM test, at full scale.
# On this kernel 30-accuracy skips its swap scenario (no CONFIG_MEMCG) and
# 90-pidreuse reuses the PID through pid_max (no ns_last_pid); 75-compare
# skips its swap scenario (no memory controller).  30-accuracy allows 8 ms
# (not 4) of CPU time at each end of a registration: under KASAN and
# lockdep the syscalls between the module's reading and getrusage()'s are
# slow, and under TCG the time the scheduler has not charged yet can
# exceed a tick, so 4 ms fails a correct module (docs/debug-lane.md).
# DEBUG_SKIP='NAME ...' leaves tests out;
# DEBUG_TESTS='10-proc 80-churn' runs just those; DEBUG_ENV exports
# VAR=VALUE words in the guest (e.g. PFPROF_CHURN_SECONDS=20).
DEBUG_TESTS ?=
# The real-program corpus (minutes of gcc and xz under TCG, slower still
# under KASAN) is left out: it checks accuracy, which the matrix covers.
DEBUG_SKIP ?= 77-corpus-module 78-corpus-witness.sh 79-corpus-pftrace.sh
DEBUG_ENV ?= PFPROF_CPU_EDGE_MS=8
DEBUG_TIMEOUT ?= 1800
DEBUG_MEM ?= $(MEM)
DEBUG_SWAP ?= $(SWAP)
# The self-test runs this cheap test next to each broken module.
DEBUG_SELFTEST_TESTS ?= 10-proc

DEBUG_LANE_ENV = PFPROF_DEBUG_ENV='$(DEBUG_ENV)' PFPROF_DEBUG_SKIP='$(DEBUG_SKIP)' PFPROF_DEBUG_TIMEOUT=$(DEBUG_TIMEOUT) \
	PFPROF_DEBUG_MEM=$(DEBUG_MEM) PFPROF_DEBUG_SWAP=$(DEBUG_SWAP)

debug-kernel-available:
	@tools/debug/debug-kernel-find.sh --check

# Say which kernel (or why none) before building anything.
test-debug:
	@tools/debug/debug-kernel-find.sh --check || \
		{ echo "make test-debug: cannot run without a debug kernel (see above)"; exit 1; }
	$(MAKE) build
	$(DEBUG_LANE_ENV) tools/debug/debug-lane.sh $(DEBUG_TESTS)

test-debug-selftest:
	@tools/debug/debug-kernel-find.sh --check || \
		{ echo "make test-debug-selftest: cannot run without a debug kernel (see above)"; exit 1; }
	$(MAKE) build
	$(DEBUG_LANE_ENV) PFPROF_DEBUG_TESTS='$(DEBUG_SELFTEST_TESTS)' tools/debug/debug-selftest.sh

debug-kernel:
	tools/debug/debug-kernel-build.sh

.PHONY: debug-kernel-available test-debug test-debug-selftest debug-kernel
