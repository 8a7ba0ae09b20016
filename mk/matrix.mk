# The kernel matrix (docs/kernels.md): the VM tests on Debian's kernels.
#
#   make test KERNEL=T   the VM tests on one kernel T: oldest, default, lts,
#                        newest, or a Debian package version / release
#                        (TESTS='10-proc 30-accuracy' to run fewer)
#   make test-matrix     the VM tests on every target, a table of kernel x
#                        passed/failed/skipped, then "N passed, N failed"
#   make kernels         fetch every target's kernel (cached)

test-matrix: build
	tools/kernels/matrix.sh all

kernels:
	@for t in $$(tools/kernels/kernels.sh targets); do tools/kernels/kernels.sh fetch $$t >/dev/null || exit 1; done

.PHONY: test-matrix kernels
