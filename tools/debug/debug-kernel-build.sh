#!/bin/bash
# `make debug-kernel`: build the debug lane's kernel (KASAN, UBSAN, lockdep,
# kmemleak) from Debian's linux-source-6.1 package, for machines without
# ../shared/debug-kernel.  About 22 minutes on 2 cores; needs ~6 GiB of disk.
#
# Output, in the cache directory (the same layout as ../shared/debug-kernel,
# which tools/debug/debug-kernel-find.sh looks for):
#   ${PFPROF_DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof/debug-kernel}/
#     bzImage  kbuild.tar.xz  config  SHA256SUMS  README.md
# The unpacked source and objects stay in its src/ (delete it to save space;
# `make debug-kernel` starts over from the tarball then).
#
# Recipe: make x86_64_defconfig; scripts/config for every line of
# tools/debug/debug-kernel.config; make olddefconfig; make bzImage modules;
# then a trimmed build tree for out-of-tree modules (kbuild/).
#
# USAGE: debug-kernel-build.sh [--config-only]
#   --config-only  stop after writing .config (prints where); for checking
#                  the fragment against ../shared/debug-kernel/config
# Environment: PFPROF_DEBUG_CACHE, JOBS (default: nproc).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${PFPROF_DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof/debug-kernel}
frag=$top/tools/debug/debug-kernel.config
jobs=${JOBS:-$(nproc)}
config_only=0
[ "${1:-}" = --config-only ] && config_only=1

# shellcheck disable=SC2012
tarball=$(ls /usr/src/linux-source-6.1*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$tarball" ]; then
	echo "debug-kernel: no /usr/src/linux-source-6.1*.tar.xz; install the linux-source-6.1 package (make deps)" >&2
	exit 1
fi
# Kernel build tools beyond what tools/install/deps.sh installs (pahole, from
# dwarves, is what DEBUG_INFO_BTF needs; without it the option drops out).
need="build-essential bc flex bison libssl-dev libelf-dev dwarves"
missing=""
for p in $need; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "debug-kernel: installing kernel build tools:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q || true
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing
	else
		echo "debug-kernel: missing kernel build tools; run: sudo apt-get install$missing" >&2
		exit 1
	fi
fi

src=$cache/src
name=$(basename "$tarball" .tar.xz)
ksrc=$src/$name
mkdir -p "$cache" "$src"
echo "debug-kernel: building in $ksrc from $tarball ($jobs jobs); output in $cache"
if [ ! -f "$ksrc/Makefile" ] || [ "$(cat "$src/.tarball" 2>/dev/null)" != "$tarball" ]; then
	rm -rf "$ksrc"
	echo "debug-kernel: unpacking $tarball"
	tar -xJf "$tarball" -C "$src"
	echo "$tarball" > "$src/.tarball"
fi
cd "$ksrc"

make -s x86_64_defconfig
grep -vE '^[[:space:]]*(#|$)' "$frag" | while IFS='=' read -r opt val; do
	case "$val" in
	y) scripts/config --file .config -e "$opt" ;;
	n) scripts/config --file .config -d "$opt" ;;
	m) scripts/config --file .config -m "$opt" ;;
	*) echo "debug-kernel: bad line in $frag: $opt=$val" >&2; exit 1 ;;
	esac
done
make -s olddefconfig
for opt in KASAN UBSAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK MODULES VIRTIO_BLK; do
	grep -q "^CONFIG_$opt=y" .config || { echo "debug-kernel: CONFIG_$opt did not stick" >&2; exit 1; }
done
if [ $config_only = 1 ]; then
	echo "debug-kernel: config written to $ksrc/.config"
	exit 0
fi

start=$(date +%s)
make -j"$jobs" bzImage modules
echo "debug-kernel: compiled in $(( ($(date +%s) - start) / 60 )) min"

# A trimmed tree that builds out-of-tree modules (what Debian's
# linux-headers packages keep): top Makefile, .config, Module.symvers,
# include/, scripts/, arch/x86's Makefiles, headers and tools, objtool.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
kb=$stage/kbuild
mkdir -p "$kb"
cp -a Makefile .config Module.symvers "$kb/"
cp -a include scripts "$kb/"
mkdir -p "$kb/arch/x86/entry" "$kb/tools/objtool" "$kb/tools/arch/x86"
cp -a arch/x86/Makefile* arch/x86/Kbuild arch/x86/include arch/x86/tools "$kb/arch/x86/"
cp -a arch/x86/entry/syscalls "$kb/arch/x86/entry/"
cp -a tools/include "$kb/tools/"
cp -a tools/arch/x86/include "$kb/tools/arch/x86/"
cp -a tools/objtool/objtool "$kb/tools/objtool/"
find "$kb" \( -name '*.o' -o -name '*.cmd' -o -name '.*.cmd' -o -name '*.a' \) -delete

cp arch/x86/boot/bzImage "$stage/bzImage"
cp .config "$stage/config"
tar -cJf "$stage/kbuild.tar.xz" -C "$stage" kbuild
release=$(cat include/config/kernel.release)
cat > "$stage/README.md" <<EOF
# Debug kernel for the pfprof VM tests (KASAN, lockdep, kmemleak, UBSAN)

Built by \`make debug-kernel\` (tools/debug/debug-kernel-build.sh) on $(date -u +%F)
from $tarball: x86_64_defconfig plus tools/debug/debug-kernel.config, kernel
$release.  Boot with \`-cpu max,la57=off\`.  See docs/debug-lane.md.
EOF
(cd "$stage" && sha256sum bzImage kbuild.tar.xz config > SHA256SUMS)
for f in bzImage kbuild.tar.xz config README.md SHA256SUMS; do
	mv -f "$stage/$f" "$cache/$f"
done
echo "debug-kernel: done: $cache (kernel $release, total $(( ($(date +%s) - start) / 60 )) min)"
echo "debug-kernel: delete $src to free the build objects (~5 GiB)"
