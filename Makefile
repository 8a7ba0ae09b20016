# pfprof: page-fault and CPU-time profiler (mp3.ko), its eBPF witness, and
# the tools that compare them.  See README.md; `make help` lists targets.
#
#   make demo          the main job (boots the VM; see README)
#   make test          every test; last line "N passed, N failed"
#   make NATIVE=1 test run the VM tests on this host instead (needs a kernel
#                      that loads modules and matching headers)
#   make vm-run CMD='...' [EXTRA=dir] [MEM=MB] [SWAP=MB] [KERNEL=T]
#   make check         checkpatch (kmod/) and -Werror builds
#   make check-docs    run the README/docs examples that can run here (TAP)
#   make test KERNEL=T the VM tests on Debian kernel T (oldest, default, lts,
#                      newest, or a version; docs/kernels.md)
#   make test-matrix   the VM tests on all four kernels, with a table
#   make test-arm64    the VM tests cross-built for arm64, under qemu-system-aarch64
#   make install       mp3.ko via DKMS, and the tools (uninstall undoes it)
#   make test-install  README's install paths, word for word, on a Debian 12
#                      system in the VM (docs/kernels.md, "Install paths")
#   make test-debug    the VM tests under the KASAN/lockdep/kmemleak kernel
#   make test-nightly  what CI leaves out: the matrix, the whole debug lane, all of arm64

SHELL := /bin/bash
TOP := $(CURDIR)
PAYLOAD := $(TOP)/build/payload
MEM ?= 2048
SWAP ?= 1024
CHECKPATCH ?= /usr/src/pfprof-checkpatch/scripts/checkpatch.pl
# the headers of the kernel the VM boots: the payload's mp3.ko is built for it
VM_KDIR = $(shell sh tools/vm/kernel.sh 2>/dev/null | sed -n 's/^KBUILD=//p')

all: build

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@sh tools/install/deps.sh

build: deps
	$(MAKE) -C kmod $(if $(VM_KDIR),KDIR=$(VM_KDIR))
	$(MAKE) -C lib
	$(MAKE) -C userspace
	$(MAKE) -C bpf
	$(MAKE) -C tests/bpf
	$(MAKE) -C compare
	$(MAKE) -C tests
	$(MAKE) payload

# Everything the guest sees under /pfprof (module, static binaries, tests).
# The guest's layout is flat: /pfprof/bin, /pfprof/tests, /pfprof/scripts.
PAYLOAD_BIN := userspace/work userspace/monitor userspace/vmmech bpf/pfwitness bpf/pftrace \
	tests/bpf/pfw-touch tests/bpf/witness/report_test compare/bin/pfcompare compare/bin/pfscenario
PAYLOAD_SCRIPTS := $(wildcard experiments/casestudy/*-guest.sh) experiments/casestudy/guest-witness.sh \
	experiments/demo/demo-guest.sh tests/bpf/corpus-progs.sh $(wildcard tests/bpf/witness/*.sh) \
	$(wildcard tests/bpf/trace/*.sh)
payload:
	rm -rf $(PAYLOAD) && mkdir -p $(PAYLOAD)/bin $(PAYLOAD)/tests $(PAYLOAD)/scripts
	cp kmod/mp3.ko $(PAYLOAD)/
	cp $(PAYLOAD_BIN) $(PAYLOAD)/bin/
	@for f in tests/vm/*; do \
		if [ -f "$$f" ] && [ -x "$$f" ]; then cp "$$f" $(PAYLOAD)/tests/; fi; done
	cp tests/vm-runner.sh $(PAYLOAD)/tests/
	cp $(PAYLOAD_SCRIPTS) $(PAYLOAD)/scripts/
# The corpus of real programs (tests/corpus/, docs/kernels.md): gathered once, cached in build/corpus.
# It is this host's (x86-64) binaries: a payload for another architecture
# is made with CORPUS=0 (tools/cross/build.sh).
ifneq ($(CORPUS),0)
	tests/corpus/gather.sh $(TOP)/build/corpus
	cp -a $(TOP)/build/corpus $(PAYLOAD)/corpus
endif

check: deps
	perl $(CHECKPATCH) --no-tree -f --strict --quiet $$(git ls-files 'kmod/*.[ch]' 'tests/broken/*.c')
	$(MAKE) build

ifeq ($(NATIVE),1)
test: build
	tests/run.sh --native $(TESTS)
else ifneq ($(KERNEL),)
# The VM tests on another Debian kernel (mk/matrix.mk, docs/kernels.md).
test: build
	MEM=$(MEM) SWAP=$(SWAP) tools/kernels/matrix.sh one $(KERNEL) $(TESTS)
else
test: build
	tests/run.sh --vm-args "--mem $(MEM) --swap $(SWAP)" $(TESTS)
endif

vm-run: build
	@$(if $(CMD),true,{ echo "usage: make vm-run CMD='shell command' [EXTRA=dir]"; exit 2; })
	@tools/vm/run.sh --mem $(MEM) --swap $(SWAP) $(if $(EXTRA),--extra $(EXTRA)) \
		$(if $(KERNEL),$$(tools/kernels/matrix.sh payload $(KERNEL))) -- '$(CMD)'; rc=$$?; \
		[ $$rc = 0 ] || echo "vm-run: exit status $$rc (124 timeout, 125 kernel splat, 126 guest died; else the command's)" >&2; \
		exit $$rc

demo: build
	experiments/demo/demo.sh

clean:
	-$(MAKE) -C kmod clean
	$(MAKE) -C lib clean
	$(MAKE) -C userspace clean
	$(MAKE) -C tests clean
	$(MAKE) -C bpf clean
	$(MAKE) -C tests/bpf clean
	$(MAKE) -C compare clean
	rm -rf build

.PHONY: all help deps build payload check test vm-run demo clean

# Optional make fragments (debug-kernel lane, compare, case studies, docs).
-include mk/*.mk
