#!/bin/bash
# Build the test VM's initramfs (uncompressed newc cpio).
#
#   mkinitramfs.sh OUT.cpio PAYLOAD_DIR CMD [KMODDIR] [EXTRA_DIR]
#
# The image holds busybox-static, tools/vm/init.sh as /init, PAYLOAD_DIR as
# /pfprof, CMD in /pfprof/.cmd, EXTRA_DIR (if any) as /extra, and from
# KMODDIR (a /lib/modules/<version> tree) the modules the VM needs with
# their dependencies, in load order.  $PFPROF_BUSYBOX: the busybox to use
# (default /bin/busybox; another architecture's, for its guest).
set -eu
out=$1 payload=$2 cmd=$3 kmoddir=${4:-} extra=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
chmod 755 "$stage"	# the guest's /: non-root tests must traverse it
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/etc" \
	"$stage/lib/pfprof-kmods" "$stage/root"
cp "${PFPROF_BUSYBOX:-/bin/busybox}" "$stage/bin/busybox"
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> "$stage/etc/passwd"
echo "pfuser:x:1000:1000:pfprof test user:/tmp:/bin/sh" >> "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\npfuser:x:1000:\n' > "$stage/etc/group"
cp -a "$payload" "$stage/pfprof"
printf '%s\n' "$cmd" > "$stage/pfprof/.cmd"
[ -n "$extra" ] && cp -a "$extra" "$stage/extra"

# Modules the stock kernel keeps out of the image: the virtio disk (swap)
# zram, and loop + ext4 with the crc32c driver it needs to mount (a
# disk-backed file system whose page cache drop_caches can empty).  A kernel
# with them built in needs none.
if [ -n "$kmoddir" ] && [ -d "$kmoddir" ]; then
	resolve() {	# copy deps first, each module once
		local m f deps
		for m in "$@"; do
			case " $seen " in *" $m "*) continue ;; esac
			seen="$seen $m"
			f=$(find "$kmoddir/kernel" -name "$m.ko*" | head -n 1)
			[ -n "$f" ] || continue
			deps=$(modinfo -F depends "$f" | tr ',' ' ')
			# shellcheck disable=SC2086
			[ -n "$deps" ] && resolve $deps
			case "$f" in
			*.xz) xz -dc "$f" > "$stage/lib/pfprof-kmods/$m.ko" ;;
			*.zst) zstd -qdc "$f" > "$stage/lib/pfprof-kmods/$m.ko" ;;
			*) cp "$f" "$stage/lib/pfprof-kmods/$m.ko" ;;
			esac
			echo "$m.ko" >> "$stage/lib/pfprof-kmods/order"
		done
	}
	seen=""
	resolve virtio_pci virtio_blk zram loop crc32c_generic ext4
fi

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
