#!/bin/bash
# A minimal chroot of a Debian release holding the compiler a kernel was
# built with, for building out-of-tree modules against kernels whose
# toolchain the host lacks (docs/kernels.md): 7.x needs trixie's gcc-14 and
# its kbuild programs link against trixie's glibc; 5.10 names bullseye's
# gcc-10.
#
# USAGE: tools/kernels/kchroot.sh make SUITE CC        create it (cached)
#        tools/kernels/kchroot.sh run SUITE CC -- CMD  run CMD (a shell command)
#                                                inside, as root
# SUITE is a Debian release (bullseye, trixie, ...), CC the compiler
# package (gcc-14).  The chroot is made once with mmdebstrap (minbase, no
# recommends) and cached as a tarball under $PFPROF_CACHE/chroots
# (default ~/.cache/pfprof), then unpacked beside it.  `run` works in a
# private mount namespace: /proc, /dev, the cache and the project tree
# are bind-mounted at the same paths inside, so paths mean the same in
# and out, and nothing stays mounted afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${PFPROF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof}

die() { echo "kchroot.sh: $*" >&2; exit 1; }

[ $# -ge 3 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
verb=$1 suite=$2 cc=$3
shift 3
case "$cc" in gcc-[0-9]*) ;; *) die "compiler must be gcc-N, not '$cc'" ;; esac
name=$suite-$cc
tarball=$cache/chroots/$name.tar
root=$cache/chroots/$name

make_chroot() {
	[ -f "$root/.pfprof-ready" ] && return 0
	if [ ! -f "$tarball" ]; then
		command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (tools/install/deps.sh installs it)"
		mkdir -p "$cache/chroots"
		# kbuild needs make and libc headers; its helper programs
		# (objtool, resolve_btfids, sign-file) need libelf, libssl and
		# zlib; BTF for modules needs pahole; dkms for `dkms build`.
		local pkgs="$cc,make,libc6-dev,libelf-dev,libssl-dev,zlib1g-dev,kmod,dkms,dwarves,xz-utils,zstd,bc"
		echo "kchroot.sh: creating the $suite chroot with $cc (mmdebstrap, about a minute)" >&2
		mmdebstrap --quiet --variant=minbase --include="$pkgs" \
			--aptopt='APT::Install-Recommends "false"' \
			--customize-hook='ln -sf '"$cc"' "$1/usr/bin/gcc"; ln -sf '"$cc"' "$1/usr/bin/cc"' \
			"$suite" "$tarball.tmp.tar" "deb $("$here/kernels.sh" uri) $suite main" >&2 ||
			{ rm -f "$tarball.tmp.tar"; die "mmdebstrap $suite failed"; }
		mv "$tarball.tmp.tar" "$tarball"
	fi
	rm -rf "$root" && mkdir -p "$root"
	tar -xf "$tarball" -C "$root"
	touch "$root/.pfprof-ready"
}

run_in() {
	local cmd=$1
	make_chroot
	# shellcheck disable=SC2016
	unshare --mount --propagation private /bin/sh -euc '
		root=$1 cache=$2 top=$3 cmd=$4
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root$cache" "$root$top"
		mount --bind "$cache" "$root$cache"
		mount --bind "$top" "$root$top"
		exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PFPROF_IN_CHROOT=1 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/sh -ec "$cmd"' sh "$root" "$cache" "$top" "$cmd"
}

case "$verb" in
make) make_chroot; echo "$root" ;;
run)
	[ "${1:-}" = -- ] && shift
	[ $# = 1 ] || die "usage: kchroot.sh run SUITE CC -- 'COMMAND'"
	run_in "$1" ;;
*) die "unknown verb $verb (make or run)" ;;
esac
