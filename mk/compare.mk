# The compare tool's report (docs/compare.md):
#
#   make compare-report   boot the VM, run every pfcompare scenario (full
#                         scale) and the overhead bench, run the witness
#                         bench natively, write build/report/report.md and
#                         its PNGs.  About 3 minutes.
#   COMPARE_SCALE=test COMPARE_REPS=N COMPARE_BENCH=NAME COMPARE_HOST_BENCH=0
compare-report: build
	@MEM=$(MEM) SWAP=$(SWAP) experiments/compare-report/report.sh

.PHONY: compare-report
