#!/bin/bash
# mp3.ko through DKMS, the way users install out-of-tree modules
# (README "On your own machine", docs/kernels.md).
#
# USAGE: tools/install/dkms.sh install [KVER]    copy the source to
#            /usr/src/pfprof-mp3-<version>, dkms add, build and install for
#            KVER (default: the running kernel); modprobe mp3 then loads it
#        tools/install/dkms.sh uninstall         dkms remove --all, delete the source
#        tools/install/dkms.sh build KVER KBUILD OUT
#            build with dkms in a private tree (--dkmstree/--sourcetree under
#            OUT, so the system's DKMS state is untouched) against the
#            headers tree KBUILD, and print the path of the mp3.ko it made;
#            the kernel matrix uses this for every kernel
# The version is the VERSION file's.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
name=pfprof-mp3
ver=$(cat "$top/VERSION")

die() { echo "dkms.sh: $*" >&2; exit 1; }
command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms; tools/install/deps.sh does)"

# Copy the module's source and a versioned tools/install/dkms.conf into DIR.
stage() {
	local d=$1
	"$top/tools/kernels/stage-kmod.sh" "$d"
	sed "s/@PFPROF_VERSION@/$ver/" "$top/tools/install/dkms.conf" > "$d/dkms.conf"
}

case "${1:-}" in
install)
	kver=${2:-$(uname -r)}
	stage "/usr/src/$name-$ver"
	dkms status -m "$name" -v "$ver" 2>/dev/null | grep -q . || dkms add -m "$name" -v "$ver"
	dkms build -m "$name" -v "$ver" -k "$kver"
	dkms install -m "$name" -v "$ver" -k "$kver"
	;;
uninstall)
	if dkms status -m "$name" 2>/dev/null | grep -q .; then
		dkms remove -m "$name" -v "$ver" --all || true
	fi
	rm -rf "/usr/src/$name-$ver"
	;;
build)
	[ $# = 4 ] || die "usage: dkms.sh build KVER KBUILD OUT"
	kver=$2 kbuild=$3 out=$4
	rm -rf "$out" && mkdir -p "$out/tree"
	stage "$out/src/$name-$ver"
	dkms add -m "$name" -v "$ver" --sourcetree "$out/src" --dkmstree "$out/tree" >&2
	# dkms 2.x (bullseye's) "prepares" a --kernelsourcedir given on the
	# command line: make clean, oldconfig, prepare.  On a headers-only
	# tree that deletes include/generated/autoconf.h, so say not to
	# (dkms 3.x never prepares and only notes the option as deprecated).
	prep=(--no-prepare-kernel --no-clean-kernel)
	dkms --version 2>/dev/null | grep -qE 'dkms[-: ]*[12]\.' || prep=()
	dkms build -m "$name" -v "$ver" -k "$kver" --kernelsourcedir "$kbuild" "${prep[@]}" \
		--sourcetree "$out/src" --dkmstree "$out/tree" >&2 ||
		{ cat "$out/tree/$name/$ver/build/make.log" >&2 2>/dev/null; die "dkms build failed for $kver"; }
	ko=$(find "$out/tree/$name/$ver/$kver" -name 'mp3.ko*' | head -n 1)
	[ -n "$ko" ] || die "dkms built no mp3.ko for $kver"
	echo "$ko"
	;;
*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
