# The docs' examples (tools/check-docs.sh): every command line of README.md
# and docs/*.md that can run on this host is run, the rest skipped with the
# reason; TAP, "N passed, N failed".  Not part of `make test`: it checks
# the docs, not the code, and it traces every process of this host for a
# while (pfwitness and pftrace without -c), which no test should do.
#
#   make check-docs    run the docs' command lines that can run here
#   make check-docs CHECK_DOCS_ARGS=-v   (or -n: say what would run)
CHECK_DOCS_ARGS ?=

check-docs: build
	tools/check-docs.sh $(CHECK_DOCS_ARGS)

.PHONY: check-docs
