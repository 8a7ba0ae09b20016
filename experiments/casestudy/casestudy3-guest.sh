#!/bin/sh
# Guest half of case study 3: VM mechanisms (busybox ash, in the VM).
#
#   casestudy3-guest.sh [--quick]
#
# mp3.ko is loaded, `monitor -f -x` follows its ring and `pfwitness` counts
# every process (every source, CSV, 0.1 s intervals) for the whole
# session; `vmmech` (userspace/vmmech.c) runs the experiments one process
# (or parent/child pair) at a time, registering each measured phase with
# the module and printing one line per phase.  Sizes (pages):
#
#            cow/demand N   file pages   THP MiB
#   full         65536         32768       256
#   quick         4096          2048       256
#
# Output, split by the host (experiments/casestudy/casestudy3.py):
#   === env       key=value lines about the guest (kernel, THP, readahead)
#   === vmmech    every vmmech line (docs in userspace/vmmech.c)
#   === module    monitor -x lines: seq mono_ns jiffies minflt majflt cpu_ns
#   === witness   pfwitness's source lines, "S seq mono_ns secs" for every
#                 interval, "I seq pid tp_user tp_kernel pe_min pe_maj fx_min
#                 fx_maj fx_gup fx_skip cpu_ns" for vmmech's PIDs, and its
#                 CSV total rows of those PIDs
# Progress goes to stderr as "casestudy3: ..." lines.
set -u
. "$(dirname "$0")/guest-witness.sh"
root=${PFPROF_ROOT:-/pfprof}
quick=0
[ "${1:-}" = --quick ] && quick=1
if [ $quick = 1 ]; then
	N=4096 FILEPAGES=2048 THPMB=256
else
	N=65536 FILEPAGES=32768 THPMB=256
fi
export VMMECH_QUIET_MS="${VMMECH_QUIET_MS:-500}"
say() { echo "casestudy3: $*" >&2; }
insmod "$root/mp3.ko" || exit 1
cd /tmp || exit 1
rm -f vm.txt vm.err mod.txt wit.txt wit.err

monitor -d /dev/mp3 -f -F new -x > mod.txt 2>/dev/null &
mon=$!
wit=""
if command -v pfwitness >/dev/null 2>&1; then
	# every process (the PIDs are not known before they fault); tp, pe,
	# fx and sw; no BPF run-time statistics; 0.1 s intervals
	witness_start --csv -s all 0.1
fi

env_line() { echo "env $1=$2" >> env.txt; }
: > env.txt
env_line kernel "$(uname -r)"
env_line cpus "$(nproc)"
env_line mem_total_kb "$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
env_line quick $quick
env_line n $N
env_line file_pages $FILEPAGES
env_line thp_mb $THPMB
env_line quiet_ms "$VMMECH_QUIET_MS"
env_line thp_enabled "$(tr ' ' , < /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
env_line thp_defrag "$(tr ' ' , < /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null)"
env_line fault_around_bytes "$(cat /sys/kernel/debug/fault_around_bytes 2>/dev/null)"

# run CMD...: one vmmech process; its stdout to vm.txt
run() {
	say "$*"
	if ! "$@" >> vm.txt 2>> vm.err; then
		echo "vmmech: FAILED $*" >> vm.txt
		say "FAILED: $*"
	fi
}

say "copy-on-write, N = $N pages"
for m in child parent dontfork shared; do
	run vmmech cow $m $N
done
say "demand paging and prefetching, N = $N pages"
for m in lazy populate popwrite mlock; do
	run vmmech demand $m $N
done

# Page cache: a file whose pages drop_caches really drops needs a block
# device under it (initramfs and tmpfs pages never leave memory): ext2
# (the ext4 driver) on a loop device over an image in /tmp, as
# tests/bpf/witness/witness-tests.sh and compare's filemap scenario do.
say "page cache, a $FILEPAGES-page file on ext2 on a loop device"
why="" dev=""
mkdir -p /mnt/cs3
if ! dd if=/dev/zero of=/tmp/cs3.img bs=1M count=$((FILEPAGES / 256 + 16)) 2>/dev/null; then
	why="no room for the image"
elif ! dev=$(losetup -f 2>&1) || [ ! -b "$dev" ]; then
	why="losetup -f: $dev (no loop driver?)"; dev=""
elif ! losetup "$dev" /tmp/cs3.img 2>/dev/null; then
	why="losetup $dev failed"; dev=""
elif ! mke2fs -q -F -b 4096 "$dev" >/dev/null 2>&1; then
	why="mke2fs $dev failed"
elif ! why=$(mount -t ext2 "$dev" /mnt/cs3 2>&1); then
	why="mount -t ext2 $dev: $why"
fi
if [ -z "$why" ]; then
	dd if=/dev/zero of=/mnt/cs3/data bs=4096 count=$FILEPAGES 2>/dev/null
	sync
	env_line file_dev "$dev"
	env_line read_ahead_kb "$(cat /sys/block/"${dev#/dev/}"/queue/read_ahead_kb)"
	env_line fs_block_size "$(stat -f -c %S /mnt/cs3)"
	for adv in normal sequential random; do
		sync; echo 3 > /proc/sys/vm/drop_caches
		VMMECH_EXP=file-cold run vmmech file /mnt/cs3/data $adv
		VMMECH_EXP=file-warm run vmmech file /mnt/cs3/data $adv
	done
	umount /mnt/cs3
else
	env_line file_error "$(echo "$why" | tr ' ' _)"
	say "no page-cache experiment: $why"
fi
[ -n "$dev" ] && losetup -d "$dev" 2>/dev/null
rm -f /tmp/cs3.img

say "huge pages, $THPMB MiB"
grep -E '^(MemFree|MemAvailable)' /proc/meminfo | while read -r k v _; do env_line "thp_before_${k%:}_kb" "$v"; done
for m in off on; do
	run vmmech thp $m $THPMB
done
env_line thp_fault_alloc_total "$(sed -n 's/^thp_fault_alloc //p' /proc/vmstat)"
env_line thp_fault_fallback_total "$(sed -n 's/^thp_fault_fallback //p' /proc/vmstat)"

sleep 0.3
kill $mon; wait $mon 2>/dev/null
[ -n "$wit" ] && { kill -INT $wit; wait $wit 2>/dev/null; }
rmmod mp3

echo "=== env"
cat env.txt
echo "=== vmmech"
cat vm.txt
sed 's/^/# vmmech stderr: /' vm.err
echo "=== module"
cat mod.txt
if [ -n "$wit" ]; then
	echo "=== witness"
	sed -n 's/^vmmech: .* pid=\([0-9]*\) .*/\1/p' vm.txt | sort -u > pids.txt
	# the record cut down to vmmech's processes, their interval rows
	# kept, read by name on the host (guest-witness.sh)
	witness_reduce pids.txt rows
fi
