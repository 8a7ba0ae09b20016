# The nightly lanes (docs/kernels.md, "CI and nightly"): what CI leaves
# out to stay under an hour from a cold cache.
#
#   make test-nightly          the kernel matrix, the debug lane and its
#                              self-test, and every arm64 VM test; a table,
#                              then "N passed, N failed"
#   make test-nightly LANES='matrix debug'   some of them

test-nightly: build
	tools/ci/nightly.sh $(LANES)

.PHONY: test-nightly
