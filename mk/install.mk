# Installing from the source tree (README, docs/kernels.md):
#
#   make install         mp3.ko through DKMS for the running kernel (or
#                        KVER=...), and every tool into $(PREFIX)/bin
#   make uninstall       undo make install
PREFIX ?= /usr/local
INSTALL_BIN := userspace/work userspace/monitor bpf/pfwitness bpf/pftrace compare/bin/pfcompare

install: build
	tools/install/dkms.sh install $(KVER)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	tools/install/dkms.sh uninstall
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(INSTALL_BIN)))

.PHONY: install uninstall
