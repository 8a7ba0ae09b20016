#!/bin/bash
# Build the Debian packages pfprof and pfprof-dkms (docs/packaging.md)
# with dpkg-buildpackage, outside the source tree: the tree's files are
# copied to build/deb-stage/pfprof-VERSION, debian/changelog is written
# there from the VERSION file, and the .debs, .changes and .buildinfo
# end up in OUT (its pfprof packages of any version removed first, so no
# older one is left beside the new ones for apt install ./*.deb).
#
# USAGE: tools/install/deb.sh [OUT]        default OUT: build/deb
#        tools/install/deb.sh --lint [OUT]  lintian on OUT's .changes (its
#                                           .debs too); fails on a warning
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "deb.sh: $*" >&2; exit 1; }

lint=0
[ "${1:-}" = --lint ] && { lint=1; shift; }
case "${1:-}" in -*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;; esac
out=${1:-$top/build/deb}
ver=$(cat "$top/VERSION")
[[ $ver =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "VERSION '$ver' is not a Debian native version"

if [ $lint = 1 ]; then
	command -v lintian >/dev/null || die "lintian is not installed (tools/install/deps.sh installs it)"
	changes=$(ls "$out"/pfprof_"$ver"_*.changes 2>/dev/null | head -n 1)
	[ -n "$changes" ] || die "no pfprof_${ver}_*.changes in $out: run make deb first"
	# --fail-on warning: a warning fails as an error does; every override
	# lives in debian/*.lintian-overrides with its reason.
	exec lintian --fail-on error,warning --display-info "$changes"
fi

for t in dpkg-buildpackage dh dh_dkms scdoc; do
	command -v $t >/dev/null || die "$t is not installed (tools/install/deps.sh installs it)"
done
maint=$(sed -n 's/^Maintainer: //p' "$top/debian/control")
[ -n "$maint" ] || die "no Maintainer in debian/control"

git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	die "$top is not a git checkout: the staging copy is made from git ls-files"
stage=$top/build/deb-stage
src=$stage/pfprof-$ver
rm -rf "$stage" && mkdir -p "$src"
# The tree as it is now, tracked and new files alike, without what
# .gitignore leaves out (build products, build/).
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf -) | tar -C "$src" -xf -

# The changelog: one entry, VERSION's, dated by the last commit (so two
# builds of one commit are the same), naming the commit it was built from.
when=$(cd "$top" && git log -1 --format=%ct 2>/dev/null) || when=$(date +%s)
rev=$(cd "$top" && git describe --always --dirty 2>/dev/null) || rev=unknown
cat > "$src/debian/changelog" <<EOT
pfprof ($ver) unstable; urgency=medium

  * Built from the pfprof source tree at $rev.

 -- $maint  $(date -R -u -d "@$when")
EOT

(cd "$src" && dpkg-buildpackage --no-sign -b)
# Only our own files go: OUT may be a directory that holds other things.
mkdir -p "$out"
rm -f "$out"/pfprof_*.deb "$out"/pfprof-dkms_*.deb "$out"/pfprof_*.changes "$out"/pfprof_*.buildinfo
mv "$stage"/*.deb "$stage"/*.changes "$stage"/*.buildinfo "$out"/
ls -1 "$out"
