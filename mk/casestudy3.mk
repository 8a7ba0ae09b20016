# Case study 3, VM mechanisms (docs/case-studies.md, "Case study 3"):
#
#   make casestudy3         boot the VM, run it at full size, write
#                           build/case-study3/ (plots, summary.md) and check
#                           every prediction (TAP)
#   make casestudy3-quick   the scaled-down variant make test runs
#                           (tests/host/55-casestudy3-quick.sh)
casestudy3: build
	experiments/casestudy/casestudy3.sh --check

casestudy3-quick: build
	experiments/casestudy/casestudy3.sh --quick --check

.PHONY: casestudy3 casestudy3-quick
