# pfprof: page-fault and CPU-time profiler (mp3.ko), its eBPF witness, and
# the tools that compare them.  See README.md; `make help` lists targets.
#
#   make demo          the main job (boots the VM; see README)
#   make test          every test; last line "N passed, N failed"
#   make NATIVE=1 test run the VM tests on this host instead (needs a kernel
#                      that loads modules and matching headers)
#   make vm-run CMD='...' [EXTRA=dir] [MEM=MB] [SWAP=MB] [KERNEL=T]
#   make check         checkpatch (kmod/) and -Werror builds
#   make test KERNEL=T the VM tests on Debian kernel T (oldest, default, lts,
#                      newest, or a version; docs/kernels.md)
#   make test-matrix   the VM tests on all four kernels, with a table
#   make install       mp3.ko via DKMS, and the tools (uninstall undoes it)
#   make test-debug    the VM tests under the KASAN/lockdep/kmemleak kernel

SHELL := /bin/bash
TOP := $(CURDIR)
PAYLOAD := $(TOP)/build/payload
MEM ?= 2048
SWAP ?= 1024
CHECKPATCH ?= /usr/src/pfprof-checkpatch/scripts/checkpatch.pl

all: build

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@sh scripts/deps.sh

build: deps
	$(MAKE) -C kmod
	$(MAKE) -C userspace
	@if [ -f bpf/Makefile ]; then $(MAKE) -C bpf; fi
	@if [ -f tests/witness/Makefile ]; then $(MAKE) -C tests/witness; fi
	@if [ -f compare/Makefile ]; then $(MAKE) -C compare; fi
	$(MAKE) -C tests
	$(MAKE) payload

# Everything the guest sees under /pfprof (module, static binaries, tests).
payload:
	rm -rf $(PAYLOAD) && mkdir -p $(PAYLOAD)/bin $(PAYLOAD)/tests
	cp kmod/mp3.ko $(PAYLOAD)/
	cp userspace/work userspace/monitor $(PAYLOAD)/bin/
	cp userspace/vmmech $(PAYLOAD)/bin/
	@for f in bpf/pfwitness bpf/pftrace; do if [ -x $$f ]; then cp $$f $(PAYLOAD)/bin/; fi; done
	@for f in tests/witness/* compare/bin/*; do \
		if [ -f "$$f" ] && [ -x "$$f" ] && head -c4 "$$f" | grep -q ELF; then \
			cp "$$f" $(PAYLOAD)/bin/; fi; done
	@for f in tests/vm/*; do \
		if [ -f "$$f" ] && [ -x "$$f" ]; then cp "$$f" $(PAYLOAD)/tests/; fi; done
	cp tests/vm-runner.sh $(PAYLOAD)/tests/
	mkdir -p $(PAYLOAD)/scripts && cp scripts/*-guest.sh scripts/guest-witness.sh tests/witness/*.sh $(PAYLOAD)/scripts/
	@if [ -d compare/scenarios ]; then cp -r compare/scenarios $(PAYLOAD)/; fi
# The corpus of real programs (tests/corpus/, docs/kernels.md): gathered once, cached in build/corpus.
	tests/corpus/gather.sh $(TOP)/build/corpus
	cp -a $(TOP)/build/corpus $(PAYLOAD)/corpus

check: deps
	perl $(CHECKPATCH) --no-tree -f --strict --quiet $$(git ls-files 'kmod/*.[ch]' 'tests/broken/*.c')
	$(MAKE) build

ifeq ($(NATIVE),1)
test: build
	tests/run.sh --native $(TESTS)
else ifneq ($(KERNEL),)
# The VM tests on another Debian kernel (mk/matrix.mk, docs/kernels.md).
test: build
	MEM=$(MEM) SWAP=$(SWAP) scripts/matrix.sh one $(KERNEL) $(TESTS)
else
test: build
	tests/run.sh --vm-args "--mem $(MEM) --swap $(SWAP)" $(TESTS)
endif

vm-run: build
	@$(if $(CMD),true,{ echo "usage: make vm-run CMD='shell command' [EXTRA=dir]"; exit 2; })
	@vm/run.sh --mem $(MEM) --swap $(SWAP) $(if $(EXTRA),--extra $(EXTRA)) \
		$(if $(KERNEL),$$(scripts/matrix.sh payload $(KERNEL))) -- '$(CMD)'; rc=$$?; \
		[ $$rc = 0 ] || echo "vm-run: exit status $$rc (124 timeout, 125 kernel splat, 126 guest died; else the command's)" >&2; \
		exit $$rc

demo: build
	scripts/demo.sh

clean:
	-$(MAKE) -C kmod clean
	$(MAKE) -C userspace clean
	$(MAKE) -C tests clean
	@if [ -f bpf/Makefile ]; then $(MAKE) -C bpf clean; fi
	@if [ -f tests/witness/Makefile ]; then $(MAKE) -C tests/witness clean; fi
	@if [ -f compare/Makefile ]; then $(MAKE) -C compare clean; fi
	rm -rf build

.PHONY: all help deps build payload check test vm-run demo clean

# Optional make fragments (debug-kernel lane, compare, case studies).
-include mk/*.mk
