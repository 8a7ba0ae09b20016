#!/bin/bash
# Cross-build pfprof for another architecture's Debian kernel: mp3.ko
# against that kernel's headers, and every static program of the payload
# (tools, BPF tools, VM tests) with the cross compiler and the static
# libraries of tools/cross/sysroot.sh.  The same Makefiles build it as on
# the host, in a copy of the source tree (so the host's objects stay), and
# the top Makefile's payload rule gathers it (without the corpus of real
# programs: those are this host's x86-64 binaries).
#
# USAGE: tools/cross/build.sh ARCH TARGET
#   ARCH: a Debian architecture (arm64); TARGET: a kernel target of
#   tools/kernels/kernels.sh (lts, newest, a version).
#   Output: build/ARCH/payload (the guest's /pfprof), build/ARCH/src (the
#   copy it was built in), build/ARCH/kernel.env (the kernel, as kernels.sh
#   prints it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# = 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
arch=$1 target=$2
out=$top/build/$arch
case "$arch" in
arm64) triplet=aarch64-linux-gnu karch=arm64 ;;
*) echo "build.sh: no cross build for architecture '$arch' (arm64)" >&2; exit 2 ;;
esac
command -v "$triplet-cpp-12" "$triplet-ld" >/dev/null ||
	{ echo "build.sh: no $triplet-cpp-12 or $triplet-ld (run: sh tools/install/deps.sh $arch)" >&2; exit 1; }

mkdir -p "$out"
PFPROF_ARCH=$arch "$top/tools/kernels/kernels.sh" fetch "$target" > "$out/kernel.env.new"
mv "$out/kernel.env.new" "$out/kernel.env"
# shellcheck disable=SC1091
. "$out/kernel.env"
sr=$("$here/sysroot.sh" "$arch")
export PATH="$sr/toolchain/usr/bin:$PATH"

# The source as the working tree has it (tracked and new files, not build
# products), modification times kept so that make rebuilds only what changed.
mkdir -p "$out/src"
(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^tests/corpus/') |
	tar -C "$top" --null -T - -cf - | tar -C "$out/src" -xf -
mkdir -p "$out/src/tests/corpus"	# the payload rule's wildcards, CORPUS=0
# bpf/vmlinux/<arch>/vmlinux.h is committed (tools/cross/vmlinux-h.sh made it).
[ -f "$out/src/bpf/vmlinux/$karch/vmlinux.h" ] ||
	{ echo "build.sh: no bpf/vmlinux/$karch/vmlinux.h (tools/cross/vmlinux-h.sh)" >&2; exit 1; }

# The Makefiles append their flags to CFLAGS from the environment; -L
# reaches the links too (they all pass CFLAGS when linking).
export CC=$triplet-$KCC AR=$triplet-ar
export CFLAGS="-O2 -g -I$sr/usr/include -I$sr/usr/include/$triplet -L$sr/usr/lib/$triplet"
s=$out/src
make -C "$s/kmod" KDIR="$KBUILD"
make -C "$s/lib"
make -C "$s/userspace"
make -C "$s/bpf" ARCH="$karch"
make -C "$s/tests/bpf"
make -C "$s/compare"
# The VM tests only (tests/unit/ runs on the host).
# shellcheck disable=SC2046	# one word per test program
make -C "$s/tests" $(cd "$s/tests" && for f in vm/*.c; do echo "${f%.c}"; done)
make -C "$s" payload PAYLOAD="$out/payload" CORPUS=0
vm=$(modinfo -F vermagic "$out/payload/mp3.ko" | cut -d' ' -f1)
[ "$vm" = "$KVER" ] || { echo "build.sh: mp3.ko vermagic $vm, kernel $KVER" >&2; exit 1; }
for f in "$out"/payload/bin/*; do
	case "$(file -b "$f")" in
	*ELF*) file -b "$f" | grep -q "statically linked" ||
		{ echo "build.sh: $f is not static" >&2; exit 1; } ;;
	esac
done
echo "build.sh: $out/payload for $KVER ($arch)" >&2
