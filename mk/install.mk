# Installing from the source tree (README, docs/kernels.md):
#
#   make install         the build's Debian packages (tools/install/deps.sh
#                        install), mp3.ko through DKMS for the running
#                        kernel (or KVER=...), every tool into $(PREFIX)/bin
#                        and the man pages into $(PREFIX)/share/man
#   make uninstall       undo make install
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
# pfscenario: the workloads pfcompare's scenarios run, found on PATH
INSTALL_BIN := userspace/work userspace/monitor bpf/pfwitness bpf/pftrace compare/bin/pfcompare \
	compare/bin/pfscenario
# the pages mk/man.mk builds, by section (build/man/NAME.SECTION)
INSTALL_MAN = $(notdir $(MAN_OUT))

# Only what is installed is built (not the tests, the VM payload or the
# corpus), with only what that needs: a user's machine needs no QEMU.
install:
	sh tools/install/deps.sh install
	$(MAKE) -C lib
	$(MAKE) -C userspace
	$(MAKE) -C bpf
	$(MAKE) -C compare
	$(MAKE) man
	tools/install/dkms.sh install $(KVER)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/
	for p in $(INSTALL_MAN); do \
		install -D -m 0644 build/man/$$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$$p || exit 1; done

uninstall:
	tools/install/dkms.sh uninstall
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(INSTALL_BIN)))
	for p in $(INSTALL_MAN); do rm -f $(DESTDIR)$(MANDIR)/man$${p##*.}/$$p; done
# the section directories install -D made, if nothing else is in them
	for d in $(sort $(suffix $(INSTALL_MAN))); do d=$(DESTDIR)$(MANDIR)/man$${d#.}; \
		if [ -d $$d ]; then rmdir --ignore-fail-on-non-empty $$d; fi; done

.PHONY: install uninstall
