#!/bin/bash
# The install test's Debian 12 system (make test-install, docs/kernels.md
# "Install paths"): a disk image that boots by itself under QEMU, cached.
#
# USAGE: tests/install/image.sh          build it if its recipe changed, then
#                                        print its image.env (shell
#                                        assignments: IMAGE=... KVER_A=...)
#        tests/install/image.sh --path   print where it is cached, build nothing
#
# What is in it (mmdebstrap, bookworm, no recommends):
#   * systemd, udev, sudo, grub-pc, the kernel (linux-image-amd64) and its
#     matching linux-headers-amd64, and everything `make install` needs
#     (tools/install/deps.sh --list install: compilers, libbpf, dkms, ...),
#     since the guest has no network;
#   * a user "user" (uid 1000, passwordless sudo) who runs the README;
#   * a second kernel for the upgrade step: bookworm-backports'
#     linux-image-amd64 and linux-headers-amd64 and whatever they need that
#     the image lacks, resolved by apt in the image itself (so by name, never
#     by version) and left as .debs in /srv/kernel-upgrade, not installed;
#   * test-driver.service: at boot, if a disk labelled PFTEST is attached,
#     it mounts it read-only on /mnt/pftest and runs its guest.sh with
#     the output on the serial console.
# The bootloader is Debian's own: the image is booted once, directly
# (QEMU -kernel/-initrd from the image's /boot), to run grub-install on its
# disk and update-grub; from then on it boots from its disk alone.
#
# Cached under $PFPROF_CACHE/install-image/<recipe hash>/ (default
# ~/.cache/pfprof): debian12.qcow2 (read-only; each run makes a
# copy-on-write overlay on it) and image.env.  The hash covers this script
# and the package list, so an edit of either builds a new image (the old
# one is removed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${PFPROF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof}
suite=bookworm

die() { echo "image.sh: $*" >&2; exit 1; }
log() { echo "image.sh: $*" >&2; }

pkgs=$(sh "$top/tools/install/deps.sh" --list install | tr '\n' ' ')
key=$( { cat "$0"; echo "$pkgs"; } | sha256sum | cut -c1-16)
base=$cache/install-image
dir=$base/$key

if [ "${1:-}" = --path ]; then echo "$dir"; exit 0; fi
[ $# = 0 ] || die "unknown argument '$1' (none or --path)"

mkdir -p "$base"
exec 9> "$base/.lock"
flock 9
if [ -f "$dir/image.env" ]; then
	cat "$dir/image.env"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "building the image needs root (mmdebstrap into a directory)"
for t in mmdebstrap qemu-img sfdisk mkfs.ext4 qemu-system-x86_64; do
	command -v "$t" >/dev/null || die "$t is missing (tools/install/deps.sh installs it)"
done
uri=$("$top/tools/kernels/kernels.sh" uri)
t0=$(date +%s)
tmp=$dir.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# Kept small for TCG: no recommends, no documentation or translations
# while the image is made (the exclusion is dropped at the end, so the
# packages the test installs get their man pages).
log "mmdebstrap $suite into $root (a few minutes from a cold cache)"
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=minbase \
	--include="systemd,systemd-sysv,udev,dbus,sudo,grub-pc,initramfs-tools,zstd,linux-image-amd64,linux-headers-amd64,$(echo $pkgs | tr ' ' ,)" \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--essential-hook='echo "grub-pc grub-pc/install_devices_empty boolean true" | chroot "$1" debconf-set-selections' \
	--customize-hook='chroot "$1" apt-get clean' \
	--customize-hook='chroot "$1" apt-get install --download-only -y -q -t '"$suite"'-backports linux-image-amd64 linux-headers-amd64 >&2' \
	--customize-hook='mkdir -p "$1/srv/kernel-upgrade" && mv "$1"/var/cache/apt/archives/*.deb "$1/srv/kernel-upgrade/"' \
	--customize-hook='rm -f "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap"' \
	"$suite" "$root" \
	"deb $uri $suite main" "deb $uri $suite-backports main" >&2 ||
	die "mmdebstrap failed"

kver_a=$(cd "$root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[ -n "$kver_a" ] || die "no kernel in the image's /boot"
[ -d "$root/usr/src/linux-headers-$kver_a" ] || die "no linux-headers-$kver_a in the image"
kdeb=$(cd "$root/srv/kernel-upgrade" && ls linux-image-[0-9]*.deb 2>/dev/null | head -n 1)
[ -n "$kdeb" ] || die "apt fetched no $suite-backports kernel image"
kver_b=$(dpkg-deb -f "$root/srv/kernel-upgrade/$kdeb" Package | sed 's/^linux-image-//; s/-unsigned$//')
kpkgver_b=$(dpkg-deb -f "$root/srv/kernel-upgrade/$kdeb" Version)
ls "$root/srv/kernel-upgrade" | grep -q "^linux-headers-$kver_b" ||
	die "apt fetched no linux-headers-$kver_b"
dpkg --compare-versions "$kver_b" gt "$kver_a" || die "the backports kernel $kver_b is not newer than $kver_a"
log "kernel $kver_a installed; $kver_b ($kpkgver_b) in /srv/kernel-upgrade: $(ls "$root/srv/kernel-upgrade" | tr '\n' ' ')"

# No network, no package lists: the guest installs only local .debs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
uuid=$(cat /proc/sys/kernel/random/uuid)
cat > "$root/etc/fstab" <<EOF
UUID=$uuid / ext4 errors=remount-ro 0 1
EOF
echo pfprof-guest > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 pfprof-guest\n' > "$root/etc/hosts"
chroot "$root" useradd -m -u 1000 -s /bin/bash -G sudo user
echo 'user ALL=(ALL:ALL) NOPASSWD: ALL' > "$root/etc/sudoers.d/user"
chmod 0440 "$root/etc/sudoers.d/user"
chroot "$root" passwd -d root >/dev/null

# Boot: Debian's grub on the serial console, no menu wait.  Kernel messages
# of level warning and above reach the console; the driver also prints
# dmesg before every reboot, so the host sees every splat.
cat > "$root/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT="quiet loglevel=4"
GRUB_CMDLINE_LINUX="console=ttyS0,115200 systemd.show_status=false"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
EOF
# dpkg without an fsync per file: the disk is a throwaway overlay, and
# under TCG the fsyncs of a kernel's and its headers' 25000 files cost
# minutes.
echo force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/test-unsafe-io"
# An initramfs with the modules this machine needs, not every storage
# driver: the second kernel's is made under TCG in the guest.
echo MODULES=dep > "$root/etc/initramfs-tools/conf.d/modules-dep"

# Units a test VM does not need, and that cost boot time under TCG.
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer serial-getty@ttyS0.service getty@tty1.service \
	systemd-timesyncd.service man-db.timer remote-fs.target; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done

mkdir -p "$root/usr/libexec/test-driver"
cat > "$root/usr/libexec/test-driver/start" <<'EOF'
#!/bin/sh
# Run guest.sh from the disk labelled PFTEST, if one is attached
# (tests/install/image.sh).  Its output goes to the serial console.
for i in $(seq 30); do
	[ -e /dev/disk/by-label/PFTEST ] && break
	sleep 1
done
[ -e /dev/disk/by-label/PFTEST ] || exit 0
mkdir -p /mnt/pftest
mountpoint -q /mnt/pftest || mount -o ro /dev/disk/by-label/PFTEST /mnt/pftest
exec /bin/bash /mnt/pftest/guest.sh > /dev/ttyS0 2>&1 < /dev/null
EOF
chmod 0755 "$root/usr/libexec/test-driver/start"
cat > "$root/etc/systemd/system/test-driver.service" <<'EOF'
[Unit]
Description=Run the test driver from the disk labelled PFTEST
After=multi-user.target

[Service]
# simple, not oneshot: the boot is over (systemd-analyze, is-system-running)
# when the driver starts, not when it ends
Type=simple
ExecStart=/usr/libexec/test-driver/start

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/test-driver.service \
	"$root/etc/systemd/system/multi-user.target.wants/test-driver.service"

# The disk: one MBR partition from 1 MiB, ext4 made from the tree
# (mke2fs -d: no loop device, no mount).
size_mb=8192
truncate -s ${size_mb}M "$tmp/disk.raw"
echo 'start=2048, type=83, bootable' | sfdisk -q "$tmp/disk.raw"
mkfs.ext4 -q -F -L pfroot -U "$uuid" -E offset=$((2048 * 512)) -d "$root" \
	"$tmp/disk.raw" $((size_mb - 1))M >&2 || die "mkfs.ext4 -d failed"

# First boot, directly from the image's own kernel and initrd: install
# grub on the disk and write grub.cfg (update-grub), then power off.
mkdir -p "$tmp/setup"
cat > "$tmp/setup/guest.sh" <<'EOF'
set -e
echo "@@# setup: grub-install and update-grub"
grub-install --target=i386-pc /dev/vda 2>&1 | sed 's/^/@@# /'
update-grub 2>&1 | sed 's/^/@@# /'
grep -q "^menuentry" /boot/grub/grub.cfg
echo "@@SETUP-OK@@"
sync
systemctl poweroff
EOF
truncate -s 16M "$tmp/setup.img"
mkfs.ext4 -q -F -L PFTEST -d "$tmp/setup" "$tmp/setup.img" >&2
log "first boot: grub-install and update-grub in the guest"
timeout -k 10 900 qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 2 -m 2048 \
	-nographic -monitor none -serial stdio -no-reboot -nic none \
	-drive "file=$tmp/disk.raw,if=virtio,format=raw,cache=unsafe" \
	-drive "file=$tmp/setup.img,if=virtio,format=raw,cache=unsafe,readonly=on" \
	-kernel "$root/boot/vmlinuz-$kver_a" -initrd "$root/boot/initrd.img-$kver_a" \
	-append "root=UUID=$uuid ro console=ttyS0,115200 quiet loglevel=4 systemd.show_status=false" \
	< /dev/null 2>&1 | sed -u 's/\r$//' > "$tmp/setup.log" || true
grep -q '^@@SETUP-OK@@' "$tmp/setup.log" ||
	{ tail -n 40 "$tmp/setup.log" >&2; die "the setup boot did not install grub"; }

qemu-img convert -O qcow2 "$tmp/disk.raw" "$tmp/debian12.qcow2" >&2
rm -f "$tmp/disk.raw" "$tmp/setup.img"
rm -rf "$root"
chmod 0444 "$tmp/debian12.qcow2"
{
	echo "IMAGE=$dir/debian12.qcow2"
	echo "KVER_A=$kver_a"
	echo "KVER_B=$kver_b"
	echo "KPKGVER_B=$kpkgver_b"
	echo "IMAGE_BUILT='$(date -u '+%Y-%m-%d %H:%M') UTC in $(( $(date +%s) - t0 )) s'"
} > "$tmp/image.env"
# Only the current recipe's image is kept.
for old in "$base"/*/; do
	[ "${old%/}" = "$tmp" ] || rm -rf "$old"
done
mv "$tmp" "$dir"
trap - EXIT
log "image ready in $(( $(date +%s) - t0 )) s: $dir"
cat "$dir/image.env"
