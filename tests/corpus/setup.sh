#!/bin/sh
# The corpus's file systems and inputs.  POSIX sh (busybox ash in the guest).
#
#   setup.sh up ROOT        mount /proc, /dev and a tmpfs /tmp in ROOT (the
#                           corpus root, /pfprof/corpus/root in the guest) and
#                           put the inputs in ROOT/tmp/corpus
#   setup.sh down ROOT      unmount them
#   setup.sh prep DIR CORPUS  copy the inputs from CORPUS (ROOT/corpus) to DIR
set -e
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
	mkdir -p "$r/proc" "$r/dev" "$r/tmp"
	mount --bind /proc "$r/proc"
	mount --bind /dev "$r/dev"
	mount -t tmpfs tmpfs "$r/tmp"
	prep "$r/tmp/corpus" "$r/corpus"
	;;
down)
	r=$2
	umount "$r/tmp" || true
	umount "$r/dev" || true
	umount "$r/proc" || true
	;;
*) echo "usage: setup.sh up|down ROOT | prep DIR CORPUS" >&2; exit 2 ;;
esac
