#!/bin/sh
# Install the Debian packages pfprof needs, idempotently: a no-op (one dpkg
# query) when everything is present.  Run as root on Debian 12.
#
# USAGE: tools/install/deps.sh                everything the tree's targets need
#        tools/install/deps.sh install        only what `make install` needs:
#                                             the tools' build dependencies,
#                                             dkms and the running kernel's headers
#        tools/install/deps.sh --list install print that list, one a line
#                                             (the install test's image holds it)
#        tools/install/deps.sh arm64          the cross toolchain and QEMU of the
#                                             arm64 lane instead (mk/arm64.mk); the
#                                             arm64 libraries and busybox come from
#                                             tools/cross/sysroot.sh
set -eu

# What `make install` needs on a user's machine: building work, monitor,
# pfwitness, pftrace and pfcompare (static: the -dev packages' archives),
# DKMS, which builds mp3.ko against the running kernel's headers, and
# scdoc, which makes the man pages.
INSTALL_PKGS="make gcc libc6-dev kmod dkms clang llvm bpftool libbpf-dev
 libelf-dev zlib1g-dev libdw-dev liblzma-dev libbz2-dev libzstd-dev scdoc"
KPKGS="linux-image-amd64 linux-headers-amd64"
PKGS="$INSTALL_PKGS qemu-system-x86 qemu-utils fdisk busybox-static cpio xz-utils
 gnuplot-nox jq python3 linux-source-6.1 bpftrace procps linux-perf
 mmdebstrap dwarves zstd gcc-multilib strace git prometheus curl
 debhelper dh-dkms lintian man-db"
# mmdebstrap: the kernel matrix's chroots (tools/kernels/kchroot.sh); dkms: the
# DKMS install and the matrix's dkms builds; dwarves (pahole): BTF for
# modules built against kernels with CONFIG_DEBUG_INFO_BTF_MODULES; zstd:
# kernels whose modules are .ko.zst; gcc-multilib: the -m32 reader test;
# libdw-dev (elfutils' libdwfl) and the compressors its static archive
# needs: pftrace's symbols; prometheus (and its promtool) and curl: the
# exporter's test (tests/host/38-exporter.sh) and the shipped rules;
# qemu-utils (qemu-img) and fdisk (sfdisk): the install test's disk image
# (tests/install/, make test-install); debhelper, dh-dkms, lintian, scdoc
# (the man pages) and man-db (man -l): make man, make deb and its test
# (docs/packaging.md).

profile=all
case "${1:-}" in
--list)
	[ "${2:-}" = install ] || { echo "deps: usage: deps.sh --list install" >&2; exit 2; }
	echo $INSTALL_PKGS | tr ' ' '\n'
	exit 0 ;;
install)
	profile=install
	# The headers of the kernel that runs here: dkms builds mp3.ko for it.
	KPKGS="linux-headers-$(uname -r)" PKGS=$INSTALL_PKGS ;;
arm64)
	profile=arm64 KPKGS=""
	# Not gcc-aarch64-linux-gnu: it conflicts with gcc-multilib; its
	# driver is unpacked by tools/cross/sysroot.sh, beside these.
	PKGS="cpp-12-aarch64-linux-gnu binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross
 libc6-dev-arm64-cross qemu-system-arm clang llvm bpftool dwarves cpio kmod file" ;;
"") ;;
*) echo "deps: unknown argument '$1' (none, install, arm64, or --list install)" >&2; exit 2 ;;
esac

missing=""
for p in $KPKGS $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || true
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

[ "$profile" = all ] || exit 0

# The linux-headers-amd64 metapackage may lag or lead the installed image;
# make sure the headers for every installed image are there too.
for img in /boot/vmlinuz-*; do
	[ -e "$img" ] || continue
	v=${img#/boot/vmlinuz-}
	if [ ! -d "/usr/src/linux-headers-$v" ] &&
	   apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
		echo "deps: installing linux-headers-$v"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "linux-headers-$v"
	fi
done

# checkpatch.pl ships inside linux-source's tarball: unpack just the
# scripts it needs, once.
CP=/usr/src/pfprof-checkpatch
if [ ! -x "$CP/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$CP"
	tar -xJf "$tarball" -C "$CP" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi
exit 0
