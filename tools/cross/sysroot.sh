#!/bin/bash
# The static libraries and busybox a cross build for another Debian
# architecture needs and the cross packages (tools/install/deps.sh arm64)
# lack: that architecture's -dev packages of the host release, downloaded
# with tools/kernels/kernels.sh's private apt configuration and unpacked
# with dpkg-deb -x into a cache sysroot.  Nothing is installed on the host
# (no dpkg --add-architecture).  The cross compiler's driver too: Debian's
# gcc-12-aarch64-linux-gnu conflicts with gcc-multilib (the -m32 reader
# test), so only its driver is unpacked here, into toolchain/usr/bin; cc1
# (cpp-12-aarch64-linux-gnu), binutils, libgcc and libc for arm64 are
# installed by tools/install/deps.sh arm64 and found at their usual paths.
#
# USAGE: tools/cross/sysroot.sh ARCH      prints the sysroot's path
#   ARCH: a Debian architecture (arm64).  The sysroot holds usr/include,
#   usr/lib/<triplet>/*.a, bin/busybox and toolchain/usr/bin/<triplet>-gcc-N
#   (N: the host's gcc major); reused while its package list is unchanged.
#   Cached in $PFPROF_CACHE/sysroot/ARCH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# = 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
arch=$1
cache=${PFPROF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof}
dir=$cache/sysroot/$arch
# shellcheck disable=SC1091
release=$(. /etc/os-release && echo "$VERSION_CODENAME")
# bpf/ links libbpf, libelf, zlib, and for pftrace libdw with the
# compressors its static archive needs; busybox-static is the guest's shell.
pkgs="libbpf-dev libelf-dev zlib1g-dev libdw-dev liblzma-dev libbz2-dev libzstd-dev busybox-static"
case "$arch" in
arm64) triplet=aarch64-linux-gnu ;;
*) echo "sysroot.sh: no cross toolchain known for $arch" >&2; exit 2 ;;
esac
gccv=$(gcc -dumpversion | cut -d. -f1)
driver=gcc-$gccv-$triplet

if [ -f "$dir/.pkgs" ] && [ "$(cat "$dir/.pkgs")" = "$release $pkgs $driver" ]; then
	echo "$dir"
	exit 0
fi
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs"
for p in $pkgs; do
	PFPROF_ARCH=$arch "$top/tools/kernels/kernels.sh" download "$p/$release" "$dir.tmp/debs" ||
		{ echo "sysroot.sh: cannot download $p:$arch from $release" >&2; exit 1; }
done
for f in "$dir.tmp"/debs/*.deb; do
	dpkg-deb -x "$f" "$dir.tmp"
done
rm -f "$dir.tmp"/debs/*.deb
# the driver is a host (amd64) package: the host architecture's lists
PFPROF_ARCH=$(dpkg --print-architecture) "$top/tools/kernels/kernels.sh" download \
	"$driver/$release" "$dir.tmp/debs" || { echo "sysroot.sh: cannot download $driver" >&2; exit 1; }
dpkg-deb -x "$dir.tmp/debs/$driver"_*.deb "$dir.tmp/toolchain"
# The driver looks for cc1, crt*.o and libgcc beside its own collect2,
# and for as, ld and libc in usr/<triplet>, relative to where it is: link
# the installed ones in.
lib=usr/lib/gcc-cross/$triplet/$gccv
for f in "/$lib"/*; do
	[ -e "$dir.tmp/toolchain/$lib/${f##*/}" ] || ln -s "$f" "$dir.tmp/toolchain/$lib/"
done
ln -s "/usr/$triplet" "$dir.tmp/toolchain/usr/$triplet"
"$dir.tmp/toolchain/usr/bin/$triplet-gcc-$gccv" --version >/dev/null ||
	{ echo "sysroot.sh: the unpacked $driver does not run" >&2; exit 1; }
rm -rf "$dir.tmp/debs"
[ -x "$dir.tmp/bin/busybox" ] || { echo "sysroot.sh: no bin/busybox in busybox-static:$arch" >&2; exit 1; }
echo "$release $pkgs $driver" > "$dir.tmp/.pkgs"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "$dir"
