#!/bin/bash
# The kernel matrix's fetcher (docs/kernels.md).  Resolves a named target
# to a Debian kernel in the archive the host's apt already uses, downloads
# its image, modules, headers and kbuild packages with a private apt
# configuration, unpacks them under the cache, and prints shell assignments
# in the form of tools/vm/kernel.sh:
#
#   KTARGET=newest KVER=7.3.4+deb13-amd64 KPKGVER=7.3.4-1~bpo13+1
#   KSUITE=trixie-backports KIMAGE=... KMODDIR=... KBUILD=... KCC=gcc-14
#   KBUILD_ENV=host|chroot:trixie
#
# USAGE: tools/kernels/kernels.sh fetch TARGET      resolve, download, unpack, print
#        tools/kernels/kernels.sh resolve TARGET    resolve only (no download)
#        tools/kernels/kernels.sh targets           the matrix's targets, one a line
#        tools/kernels/kernels.sh update            refresh the private package lists
#        tools/kernels/kernels.sh uri               the archive URI (from the host's sources)
# TARGET: oldest   the kernel of the oldest suite in $PFPROF_SUITES (bullseye)
#         default  the installed one (tools/vm/kernel.sh); nothing is downloaded
#         lts      the host release's backports kernel (bookworm-backports)
#         newest   the highest linux-image-amd64 in any suite, backports too
#         a package version (6.12.95-1~bpo12+1) or a release (6.12.95+deb12-amd64)
#
# PFPROF_ARCH=arm64 (a Debian architecture other than the host's) fetches
# that architecture's kernel instead, for a cross-built module booted under
# qemu-system-<arch> (docs/kernels.md, "Architectures").  Its lists and
# kernels are kept apart ($PFPROF_CACHE/apt-ARCH, kernels/ARCH/), its suites
# default to the host release and its backports, and its headers are paired
# with the host architecture's linux-kbuild of the same version: the
# foreign one's scripts/ are programs for the foreign CPU, while kbuild's
# host tools (fixdep, modpost, ...) are the same source built for this one.
# kernel.env then also says KARCH=arm64 KCROSS=aarch64-linux-gnu-.
#
# Never touches the system's apt configuration: sources, lists and package
# cache live under $PFPROF_CACHE/apt (default ~/.cache/pfprof).  The
# archive's URI is read from the host's own apt sources.  Idempotent: a
# fetched kernel is reused; the lists are refreshed when older than a day
# ($PFPROF_APT_MAXAGE seconds) or with `update`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${PFPROF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof}
host_arch=$(dpkg --print-architecture)
arch=${PFPROF_ARCH:-$host_arch}
# shellcheck disable=SC1091
host_release=$(. /etc/os-release && echo "$VERSION_CODENAME")
if [ "$arch" = "$host_arch" ]; then
	aptdir=$cache/apt kdir=$cache/kernels
	suites=${PFPROF_SUITES:-"bullseye bookworm bookworm-backports trixie trixie-backports sid"}
else
	aptdir=$cache/apt-$arch kdir=$cache/kernels/$arch
	suites=${PFPROF_SUITES:-"$host_release $host_release-backports"}
fi
maxage=${PFPROF_APT_MAXAGE:-86400}

die() { echo "kernels.sh: $*" >&2; exit 1; }
log() { echo "kernels.sh: $*" >&2; }

# The archive's URI and keyring, from the host's own sources (deb822 or
# one-line format); the security archive is skipped.
archive_uri() {
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" |
			grep -v security | head -n 1) || true
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' |
			grep -v security | head -n 1) || true
	fi
	[ -n "$uri" ] || die "no Debian archive URI in the host's apt sources"
	echo "${uri%/}"
}

apt_opts() {
	echo "-o Dir::Etc::sourcelist=$aptdir/sources.list -o Dir::Etc::sourceparts=-" \
		"-o Dir::State::Lists=$aptdir/lists -o Dir::Cache=$aptdir/cache" \
		"-o Dir::State::status=$aptdir/status -o APT::Get::List-Cleanup=0" \
		"-o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Architecture=$arch -o APT::Architectures=$arch"
}

update_lists() {
	local uri s key=/usr/share/keyrings/debian-archive-keyring.gpg
	uri=$(archive_uri)
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	: > "$aptdir/status.new"
	[ -f "$aptdir/status" ] || mv "$aptdir/status.new" "$aptdir/status"
	rm -f "$aptdir/status.new"
	: > "$aptdir/sources.list.new"
	for s in $suites; do
		echo "deb [signed-by=$key] $uri $s main" >> "$aptdir/sources.list.new"
	done
	mv "$aptdir/sources.list.new" "$aptdir/sources.list"
	log "refreshing the package lists of: $suites"
	# shellcheck disable=SC2046
	apt-get $(apt_opts) -q update >&2 || die "apt-get update failed"
	date +%s > "$aptdir/updated"
	echo "$suites" > "$aptdir/suites"
}

ensure_lists() {
	local now then
	now=$(date +%s)
	then=$(cat "$aptdir/updated" 2>/dev/null || echo 0)
	if [ $((now - then)) -gt "$maxage" ] ||
	   [ "$(cat "$aptdir/suites" 2>/dev/null)" != "$suites" ]; then
		update_lists
	fi
}

# "VERSION SUITE" of every linux-image-$arch in the lists, highest first
# (dpkg's version order), kept in a file beside the lists.
image_versions() {
	local f suite idx=$aptdir/images
	if [ ! -s "$idx" ] || [ "$idx" -ot "$aptdir/updated" ]; then
		for f in "$aptdir"/lists/*_dists_*_main_binary-"${arch}"_Packages*; do
			[ -f "$f" ] || continue
			suite=${f##*_dists_}
			suite=${suite%%_main_*}
			# The lists may be stored compressed; apt's helper reads any.
			/usr/lib/apt/apt-helper cat-file "$f" |
				awk -v s="$suite" -v p="linux-image-$arch" \
				'/^Package: / { pk = $2 } /^Version: / && pk == p { print $2, s }'
		done | dpkg_sort > "$idx.new"
		mv "$idx.new" "$idx"
	fi
	cat "$idx"
}

# Sort "VERSION REST" lines by Debian version, highest first.
dpkg_sort() {
	local lines=() l i j t
	while IFS= read -r l; do lines+=("$l"); done
	for ((i = 1; i < ${#lines[@]}; i++)); do
		for ((j = i; j > 0; j--)); do
			dpkg --compare-versions "${lines[j]%% *}" gt "${lines[j - 1]%% *}" || break
			t=${lines[j]}; lines[j]=${lines[j - 1]}; lines[j - 1]=$t
		done
	done
	[ ${#lines[@]} -eq 0 ] || printf '%s\n' "${lines[@]}"
}

# The Depends of PACKAGE=VERSION, one package name a line.
depends_of() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts) show "$1=$2" 2>/dev/null |
		awk '/^Depends:/ { sub(/^Depends: /, ""); print; exit }' |
		tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g' | grep -v '^$' || true
}

# Resolve TARGET to "PKGVERSION SUITE".
resolve_version() {
	local t=$1 line
	case "$t" in
	oldest)
		line=$(image_versions | awk -v s="${suites%% *}" '$2 == s' | head -n 1) ;;
	lts)
		line=$(image_versions | awk -v s="$host_release-backports" '$2 == s' | head -n 1) ;;
	newest)
		line=$(image_versions | head -n 1) ;;
	*[+-]*-"$arch")	# a release: find the image package's version
		line=$(image_versions | while read -r v s; do
			if depends_of "linux-image-$arch" "$v" | grep -qx "linux-image-$t"; then
				echo "$v $s"; break; fi; done) ;;
	*)
		line=$(image_versions | awk -v v="$t" '$1 == v' | head -n 1) ;;
	esac
	[ -n "$line" ] || die "no kernel in the archive for target '$t' (suites: $suites)"
	echo "$line"
}

# The packages that make up kernel PKGVERSION: everything from the linux
# source package the two metapackages depend on (image, binary, modules,
# headers, common headers, kbuild), and the compiler the headers name.
# Prints "pkg" lines and one "gcc-N" line.
resolve_packages() {
	local v=$1 p q seen="" todo
	todo="linux-image-$arch linux-headers-$arch"
	while [ -n "$todo" ]; do
		set -- $todo
		p=$1; shift; todo="$*"
		case " $seen " in *" $p "*) continue ;; esac
		seen="$seen $p"
		case "$p" in
		linux-compiler-gcc-*) echo "${p#linux-compiler-}" | sed 's/-\(x86\|arm\)$//'; continue ;;
		gcc-[0-9]*) echo "${p%-for-host}"; continue ;;
		linux-base | linux-base-* | linux-initramfs-tool | initramfs-tools | dracut | kmod) continue ;;
		linux-*) ;;
		*) continue ;;
		esac
		case "$p" in linux-image-"$arch" | linux-headers-"$arch" | linux-modules-"$arch") ;; *) echo "$p" ;; esac
		for q in $(depends_of "$p" "$v"); do
			todo="$todo $q"
		done
	done
}

# Which compiler environment builds modules for this kernel: the host when
# its gcc-N is the one the kernel was built with and the kernel's own kbuild
# programs run here; otherwise a chroot of the kernel's Debian release.
build_env() {
	local cc=$1 base=${2%-backports}
	# another architecture: its compiler is tools/cross/sysroot.sh's
	[ "$arch" = "$host_arch" ] || cc=true
	if [ "$base" = "$host_release" ] && command -v "$cc" >/dev/null; then
		echo host
	else
		echo "chroot:$base"
	fi
}

fetch() {
	local t=$1 v suite dir pkgs cc p kver img kmoddir kbuild common f benv
	if [ "$t" = default ]; then
		local KVER="" KBUILD="" found text
		found=$(sh "$top/tools/vm/kernel.sh")
		eval "$found"
		echo "$found" | sed 's/^/export /'
		text=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' "$KBUILD/.config")
		cc=${text%% *}
		echo "export KTARGET=default KSUITE=$host_release KCC=${cc##*-linux-gnu-} KBUILD_ENV=host"
		echo "export KPKGVER=$(dpkg-query -W -f='${Version}' "linux-image-$KVER" 2>/dev/null)"
		echo "export KCC_VERSION_TEXT='$text'"
		return
	fi
	# One fetch at a time (the matrix and a developer may run at once).
	mkdir -p "$kdir"
	exec 9> "$kdir/.lock"
	flock 9
	ensure_lists
	read -r v suite < <(resolve_version "$t")
	dir=$kdir/$v
	# A tree that lost its generated config (a build with another
	# compiler makes old kbuilds re-run Kconfig) is unpacked afresh.
	if [ -f "$dir/kernel.env" ] &&
	   ! [ -f "$(. "$dir/kernel.env" && echo "$KBUILD")/include/generated/autoconf.h" ]; then
		log "$v: the headers tree lost include/generated/autoconf.h; unpacking it again"
		rm -rf "$dir"
	fi
	if [ -f "$dir/kernel.env" ]; then
		sed "s/^export KTARGET=[^ ]*/export KTARGET=$t/" "$dir/kernel.env"
		return
	fi
	pkgs=$(resolve_packages "$v")
	cc=$(echo "$pkgs" | grep '^gcc-' | head -n 1 || true)
	pkgs=$(echo "$pkgs" | grep -v '^gcc-')
	[ -n "$cc" ] || die "$v: its headers name no gcc-N compiler"
	log "$t = $v from $suite: $(echo $pkgs)"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
	for p in $pkgs; do
		case "$arch:$p" in
		"$host_arch":*) ;;
		*:linux-kbuild-*)	# the host's build of the same kbuild (above)
			PFPROF_ARCH=$host_arch "$0" download "$p=$v" "$dir.tmp/debs" ||
				die "cannot download $p=$v for $host_arch"
			continue ;;
		esac
		# shellcheck disable=SC2046
		(cd "$dir.tmp/debs" && apt-get $(apt_opts) -q download "$p=$v" >&2) ||
			die "cannot download $p=$v"
	done
	for f in "$dir.tmp"/debs/*.deb; do
		dpkg-deb -x "$f" "$dir.tmp/root"
	done
	rm -rf "$dir.tmp/debs"
	# The kernel release: the image's modules directory.
	kver=$(cd "$dir.tmp/root" && for f in usr/lib/modules/* lib/modules/*; do
		[ -d "$f" ] && basename "$f"; done | head -n 1) || true
	[ -n "$kver" ] || die "$v: no modules directory in the image packages"
	img="" kmoddir=""
	for f in "usr/lib/modules/$kver/vmlinuz" "boot/vmlinuz-$kver"; do
		[ -f "$dir.tmp/root/$f" ] && img=$dir/root/$f
	done
	for f in "usr/lib/modules/$kver" "lib/modules/$kver"; do
		[ -d "$dir.tmp/root/$f/kernel" ] && kmoddir=$dir/root/$f
	done
	[ -n "$img" ] || die "$v: no kernel image in the packages"
	[ -n "$kmoddir" ] || die "$v: no modules tree in the packages"
	kbuild=$dir/root/usr/src/linux-headers-$kver
	[ -f "$dir.tmp/root/usr/src/linux-headers-$kver/Makefile" ] || die "$v: no headers tree for $kver"
	# The arch headers include the common tree by absolute path; point
	# them at the unpacked copy.  Absolute symlinks (into
	# /usr/lib/linux-kbuild-*) are made to point into the unpacked root.
	for f in "$dir.tmp/root/usr/src/linux-headers-$kver/Makefile"; do
		sed -i "s#/usr/src/linux-headers-#$dir/root/usr/src/linux-headers-#g" "$f"
	done
	find "$dir.tmp/root/usr/src" -maxdepth 2 -type l | while read -r f; do
		p=$(readlink "$f")
		case "$p" in /*) ln -sfn "$dir/root$p" "$f" ;; esac
	done
	benv=$(build_env "$cc" "$suite")
	{
		if [ "$arch" != "$host_arch" ]; then
			echo "export KARCH=$(karch "$arch") KCROSS=$(cross_prefix "$arch")"
			[ "$benv" = host ] || die "$v: foreign-arch kernels need a host-built kbuild (its suite's base is not $host_release)"
		fi
		echo "export KTARGET=$t KVER=$kver KPKGVER=$v KSUITE=$suite"
		echo "export KIMAGE=$img"
		echo "export KMODDIR=$kmoddir"
		echo "export KBUILD=$kbuild"
		echo "export KCC=$cc KBUILD_ENV=$benv"
		echo "export KCC_VERSION_TEXT='$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' \
			"$dir.tmp/root/usr/src/linux-headers-$kver/.config" 2>/dev/null)'"
	} > "$dir.tmp/kernel.env"
	mv "$dir.tmp" "$dir"
	cat "$dir/kernel.env"
}

# The kernel's ARCH= and the GNU triplet's prefix for a Debian architecture.
karch() { case "$1" in arm64) echo arm64 ;; amd64) echo x86 ;; *) echo "$1" ;; esac; }
cross_prefix() {
	case "$1" in
	arm64) echo aarch64-linux-gnu- ;;
	amd64) echo x86_64-linux-gnu- ;;
	*) die "no cross compiler known for $1" ;;
	esac
}

# Download PKG=VERSION into DIR with this architecture's private lists.
download() {
	ensure_lists
	# shellcheck disable=SC2046
	(cd "$2" && apt-get $(apt_opts) -q download "$1" >&2)
}

cmd=${1:-}
case "$cmd" in
download) [ $# = 3 ] || die "usage: kernels.sh download PKG=VERSION DIR"; download "$2" "$3" ;;
fetch) [ $# = 2 ] || die "usage: kernels.sh fetch TARGET"; fetch "$2" ;;
resolve)
	[ $# = 2 ] || die "usage: kernels.sh resolve TARGET"
	ensure_lists; read -r v s < <(resolve_version "$2")
	echo "$2 $v $s"; resolve_packages "$v" ;;
targets) echo "oldest default lts newest" | tr ' ' '\n' ;;
update) update_lists ;;
uri) archive_uri ;;
*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
