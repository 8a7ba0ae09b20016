#!/bin/busybox sh
# /init of the pfprof test VM (busybox ash).  Mounts the usual filesystems,
# loads the kernel modules the VM needs (virtio disk for swap), runs
# /pfprof/.cmd, prints its exit status and the kernel log between markers
# the host side (tools/vm/run.sh) parses, and powers off.
/bin/busybox --install -s /bin
export PATH=/pfprof/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run /sys/kernel/tracing /sys/fs/bpf
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname pfprof-vm
ip link set lo up 2>/dev/null
# Kernel modules the VM needs, in dependency order (tools/vm/mkinitramfs.sh).
if [ -f /lib/pfprof-kmods/order ]; then
	while read -r ko; do
		insmod "/lib/pfprof-kmods/$ko" 2>/dev/null
	done < /lib/pfprof-kmods/order
fi
# A swap disk, if the host attached one (tools/vm/run.sh --swap).
if [ -b /dev/vda ] && grep -q pfprof.swap=1 /proc/cmdline; then
	mkswap /dev/vda >/dev/null && swapon /dev/vda
fi
echo 0 > /proc/sys/kernel/printk_ratelimit 2>/dev/null
cd /pfprof
echo "@@PFPROF-BEGIN@@"
sh /pfprof/.cmd
rc=$?
echo "@@PFPROF-EXIT $rc@@"
echo "@@PFPROF-DMESG-BEGIN@@"
dmesg
echo "@@PFPROF-DMESG-END@@"
sync
poweroff -f
