# Installing from the source tree (README, docs/kernels.md):
#
#   make install         the build's Debian packages (tools/install/deps.sh
#                        install), mp3.ko through DKMS for the running
#                        kernel (or KVER=...), and every tool into $(PREFIX)/bin
#   make uninstall       undo make install
PREFIX ?= /usr/local
INSTALL_BIN := userspace/work userspace/monitor bpf/pfwitness bpf/pftrace compare/bin/pfcompare

# Only what is installed is built (not the tests, the VM payload or the
# corpus), with only what that needs: a user's machine needs no QEMU.
install:
	sh tools/install/deps.sh install
	$(MAKE) -C lib
	$(MAKE) -C userspace
	$(MAKE) -C bpf
	$(MAKE) -C compare
	tools/install/dkms.sh install $(KVER)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	tools/install/dkms.sh uninstall
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(INSTALL_BIN)))

.PHONY: install uninstall
