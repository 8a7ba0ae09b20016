#!/bin/bash
# Build the debug lane's guest payload, build/payload-debug: a copy of
# build/payload (`make build`) with mp3.ko rebuilt against the debug
# kernel's tree, the lane's guest scripts in tests/debug/, and (with
# --broken) the deliberately broken modules of tests/broken/ in broken/.
#
# The module is built in build/debug-kmod (a copy of kmod/ and include/) so
# the in-tree objects built for the stock kernel are left alone.
#
# USAGE: debug-payload.sh [--broken]
# Needs the assignments of tools/debug/debug-kernel-find.sh in the environment
# (DEBUG_KBUILD, DEBUG_KERNEL_RELEASE) or finds them itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
broken=0
[ "${1:-}" = --broken ] && broken=1

if [ -z "${DEBUG_KBUILD:-}" ]; then
	eval "$("$top/tools/debug/debug-kernel-find.sh")"
fi
stock=$top/build/payload
out=$top/build/payload-debug
[ -f "$stock/mp3.ko" ] || { echo "debug-payload: no $stock (run make build)" >&2; exit 1; }

# mp3.ko against the debug tree.
kb=$top/build/debug-kmod
"$top/tools/kernels/stage-kmod.sh" "$kb"
make -s -C "$DEBUG_KBUILD" M="$kb/kmod" modules
vm=$(modinfo -F vermagic "$kb/kmod/mp3.ko" | cut -d' ' -f1)
[ "$vm" = "$DEBUG_KERNEL_RELEASE" ] ||
	{ echo "debug-payload: mp3.ko vermagic $vm, kernel $DEBUG_KERNEL_RELEASE" >&2; exit 1; }

rm -rf "$out"
cp -a "$stock" "$out"
cp "$kb/kmod/mp3.ko" "$out/mp3.ko"
mkdir -p "$out/tests/debug"
cp "$top/tests/debug/"*.sh "$out/tests/debug/"

if [ $broken = 1 ]; then
	bb=$top/build/debug-broken
	rm -rf "$bb" && mkdir -p "$bb"
	cp "$top/tests/broken/Kbuild" "$top/tests/broken/"*.c "$bb/"
	make -s -C "$DEBUG_KBUILD" M="$bb" modules
	mkdir -p "$out/broken"
	cp "$bb/"*.ko "$out/broken/"
fi
echo "debug-payload: $out (mp3.ko for $DEBUG_KERNEL_RELEASE$([ $broken = 1 ] && echo ', with broken/'))"
