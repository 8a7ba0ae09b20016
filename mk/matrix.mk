# The kernel matrix (docs/kernels.md): the VM tests on Debian's kernels.
#
#   make test KERNEL=T   the VM tests on one kernel T: oldest, default, lts,
#                        newest, or a Debian package version / release
#                        (TESTS='10-proc 30-accuracy' to run fewer)
#   make test-matrix     the VM tests on every target, a table of kernel x
#                        passed/failed/skipped, then "N passed, N failed"
#   make kernels         fetch every target's kernel (cached)
#   make install         mp3.ko through DKMS for the running kernel (or
#                        KVER=...), and the tools into $(PREFIX)/bin
#   make uninstall       undo make install
PREFIX ?= /usr/local

test-matrix: build
	scripts/matrix.sh all

kernels:
	@for t in $$(scripts/kernels.sh targets); do scripts/kernels.sh fetch $$t >/dev/null || exit 1; done

install: build
	scripts/dkms.sh install $(KVER)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 userspace/work userspace/monitor $(DESTDIR)$(PREFIX)/bin/
	@if [ -x bpf/pfwitness ]; then install -m 0755 bpf/pfwitness $(DESTDIR)$(PREFIX)/bin/; fi

uninstall:
	scripts/dkms.sh uninstall
	rm -f $(DESTDIR)$(PREFIX)/bin/work $(DESTDIR)$(PREFIX)/bin/monitor $(DESTDIR)$(PREFIX)/bin/pfwitness

.PHONY: test-matrix kernels install uninstall
