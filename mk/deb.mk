# Debian packages (docs/packaging.md), built outside the tree by
# tools/install/deb.sh:
#
#   make deb           build/deb/pfprof_VERSION_amd64.deb and
#                      pfprof-dkms_VERSION_all.deb (+ .changes, .buildinfo)
#   make deb-lint      lintian on them; fails on any warning
deb: deps
	tools/install/deb.sh

deb-lint:
	tools/install/deb.sh --lint

.PHONY: deb deb-lint
