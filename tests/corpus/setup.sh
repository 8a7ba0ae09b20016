#!/bin/sh
# The corpus's file systems and inputs.  POSIX sh (busybox ash in the guest).
#
#   setup.sh up ROOT        copy ROOT (the corpus root, /pfprof/corpus/root in
#                           the guest) onto ext2 on a loop device mounted at
#                           $DISK, so that the page cache of its binaries and
#                           libraries can be dropped (initramfs and tmpfs pages
#                           never leave memory) and a run after `setup.sh drop`
#                           takes major faults; mount /proc, /dev and a tmpfs
#                           /tmp in it and put the inputs in its /tmp/corpus.
#                           Without a loop device or ext2, the same in ROOT
#                           itself, with the reason in $DISK.why.
#                           Prints the root to chroot into.
#   setup.sh down ROOT      undo it
#   setup.sh drop           sync and drop the page cache
#   setup.sh prep DIR CORPUS  copy the inputs from CORPUS (ROOT/corpus) to DIR
set -e
DISK=/tmp/pfprof-corpus-disk IMG=/tmp/pfprof-corpus.img
prep() {
	mkdir -p "$1"
	for n in xz zstd gzip; do cp "$2/data/text.txt" "$1/$n.txt"; done
	cp "$2/data/lines.txt" "$1/lines.txt"
	rm -rf "$1/tree" && cp -r "$2/tree" "$1/tree"
}
case "$1" in
prep) prep "$2" "$3" ;;
up)
	r=$2
	rm -f "$DISK.why"
	why=""
	mb=$(($(du -sm "$r" | cut -f1) + 48))
	mkdir -p "$DISK"
	if ! dd if=/dev/zero of="$IMG" bs=1M count=$mb 2>/dev/null; then
		why="no room for a $mb MiB image"
	elif ! dev=$(losetup -f 2>&1) || [ ! -b "$dev" ]; then
		why="losetup -f: $dev (no loop driver?)"
	elif ! losetup "$dev" "$IMG" 2>/dev/null; then
		why="losetup $dev failed"
	elif ! mke2fs -q -F -b 4096 "$dev" >/dev/null 2>&1; then
		why="mke2fs $dev failed"; losetup -d "$dev"
	elif ! why=$(mount -t ext2 "$dev" "$DISK" 2>&1); then
		why="mount -t ext2 $dev: $why"; losetup -d "$dev"
	elif ! cp -a "$r/." "$DISK/"; then
		why="copying the root to $DISK failed"
	fi
	if [ -n "$why" ]; then
		rm -f "$IMG"
		echo "$why" > "$DISK.why"
	else
		r=$DISK
	fi
	mkdir -p "$r/proc" "$r/dev" "$r/tmp"
	mount --bind /proc "$r/proc"
	mount --bind /dev "$r/dev"
	mount -t tmpfs tmpfs "$r/tmp"
	prep "$r/tmp/corpus" "$r/corpus"
	echo "$r"
	;;
down)
	for r in "$DISK" "$2"; do
		umount "$r/tmp" 2>/dev/null || true
		umount "$r/dev" 2>/dev/null || true
		umount "$r/proc" 2>/dev/null || true
	done
	dev=$(losetup -a 2>/dev/null | grep "$IMG" | cut -d: -f1) || true
	umount "$DISK" 2>/dev/null || true
	[ -z "$dev" ] || losetup -d "$dev" 2>/dev/null || true
	rm -f "$IMG" "$DISK.why"
	true
	;;
drop)
	sync
	echo 3 > /proc/sys/vm/drop_caches
	;;
*) echo "usage: setup.sh up|down ROOT | prep DIR CORPUS" >&2; exit 2 ;;
esac
