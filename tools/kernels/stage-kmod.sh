#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# stage-kmod.sh DEST: a clean copy of what building mp3.ko needs, for a
# build outside the tree (the kernel matrix, the debug lane, DKMS, the
# transport bench): kmod/ and include/ without build products, and the
# scripts kmod/Makefile calls from inside the copy (tools/vm/kernel.sh
# for its default KDIR; tools/kernels/kchroot.sh and kernels.sh for a
# kernel whose modules are built in a chroot).  DEST is emptied first.
set -e
[ $# = 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$1
rm -rf "$dest" && mkdir -p "$dest/tools/kernels" "$dest/tools/vm"
cp -r "$top/kmod" "$top/include" "$dest/"
cp "$top/tools/kernels/kchroot.sh" "$top/tools/kernels/kernels.sh" "$dest/tools/kernels/"
cp "$top/tools/vm/kernel.sh" "$dest/tools/vm/"
cd "$dest/kmod"
rm -f ./*.o ./*.ko ./*.mod ./*.mod.c .*.cmd Module.symvers modules.order
