#!/bin/bash
# Boot the pfprof test VM, run one shell command in it, stream its output,
# and exit with the command's status.
#
# USAGE: tools/vm/run.sh [options] [--] 'COMMAND'
#   --payload DIR   directory that appears as /pfprof in the guest
#                   (default: build/payload; `make payload` builds it)
#   --extra DIR     host directory copied to /extra in the guest
#   --arch ARCH     the guest's Debian architecture: the host's (default) or
#                   arm64 (qemu-system-aarch64 -M virt, busybox from
#                   tools/cross/sysroot.sh; needs --kernel: tools/cross/build.sh)
#   --kernel IMG    kernel image (default: the installed Debian one, tools/vm/kernel.sh)
#   --kmoddir DIR   /lib/modules tree for virtio/zram modules (default: the
#                   installed one; "none" for a kernel with them built in)
#   --mem MB        guest RAM (default 2048, or $PFPROF_VM_MEM)
#   --smp N         vCPUs (default 2)
#   --swap MB       attach a virtio disk of MB MiB and swap on it in the guest
#   --cpu MODEL     QEMU -cpu (default max)
#   --append ARGS   extra kernel command-line arguments
#   --timeout SECS  kill the VM after SECS (default 1200, or $PFPROF_VM_TIMEOUT)
#   --kvm           use KVM instead of TCG (standard guests hang under KVM here)
#   --mttcg         multi-threaded TCG (one host thread per vCPU) instead of
#                   the default single-threaded TCG; see below
#   --log FILE      keep the full console log in FILE
#   -v              also show the kernel's boot messages
#
# TCG mode: single-threaded (-accel tcg,thread=single: one host thread runs
# both vCPUs in turn) by default.  Under multi-threaded TCG the 6.1 guest
# soft-locks now and then when a tracepoint is detached (pfwitness exiting):
# text_poke_bp() on one vCPU waits forever for the other to answer its IPI
# while that one keeps re-entering the int3 handler with interrupts off
# (seen in 3 of 4 boots running tests/vm/65-witness.sh five times;
# 0 of 8 single-threaded).  $PFPROF_VM_ACCEL overrides the -accel value.
#
# Exit status: the command's, or 124 on timeout, 125 if the kernel log shows
# a splat (WARN, BUG, Oops, lockdep, KASAN, UBSAN, sleeping/atomic bugs),
# 126 if the guest died before the command finished.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

payload=$top/build/payload extra="" kernel="" kmoddir="" arch=""
mem=${PFPROF_VM_MEM:-2048} smp=2 swap=0 cpu=max append="" verbose=0
timeout_s=${PFPROF_VM_TIMEOUT:-1200} accel=${PFPROF_VM_ACCEL:-tcg,thread=single} log=""
while [ $# -gt 0 ]; do
	case "$1" in
	--payload) payload=$2; shift 2 ;;
	--extra) extra=$2; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--kmoddir) kmoddir=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--swap) swap=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--kvm) accel=kvm; shift ;;
	--mttcg) accel=tcg,thread=multi; shift ;;
	--log) log=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	--) shift; break ;;
	-*) echo "tools/vm/run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "tools/vm/run.sh: need exactly one COMMAND argument" >&2; exit 2; }
cmd=$1

# The machine: the host's architecture's PC, or arm64's "virt" board
# (its console is the PL011 UART, ttyAMA0).
case "${arch:-$(dpkg --print-architecture)}" in
amd64) qemu=(qemu-system-x86_64) console=ttyS0 ;;
arm64)
	[ "$accel" != kvm ] || { echo "tools/vm/run.sh: --kvm is for the host's architecture" >&2; exit 2; }
	[ -n "$kernel" ] || { echo "tools/vm/run.sh: --arch arm64 needs --kernel (tools/cross/build.sh fetches one)" >&2; exit 2; }
	qemu=(qemu-system-aarch64 -M virt) console=ttyAMA0
	PFPROF_BUSYBOX=$("$top/tools/cross/sysroot.sh" arm64)/bin/busybox || exit 2
	export PFPROF_BUSYBOX ;;
*) echo "tools/vm/run.sh: no VM for architecture '$arch' (amd64, arm64)" >&2; exit 2 ;;
esac

if [ -z "$kernel" ]; then
	eval "$(sh "$here/kernel.sh")" || exit 2
	kernel=$KIMAGE
	[ -n "$kmoddir" ] || kmoddir=$KMODDIR
fi
[ "$kmoddir" = none ] && kmoddir=""
[ -r "$kernel" ] || { echo "tools/vm/run.sh: cannot read kernel $kernel" >&2; exit 2; }
[ -d "$payload" ] || { echo "tools/vm/run.sh: no payload $payload (run make payload)" >&2; exit 2; }
[ -z "$extra" ] || [ -d "$extra" ] || { echo "tools/vm/run.sh: --extra $extra is not a directory" >&2; exit 2; }

# Print the command's output (between the markers) as it arrives; with -v
# the boot messages too.  A shell loop, not awk: mawk block-buffers input.
filter_console() {
	local line on=0 quiet=0
	while IFS= read -r line; do
		case "$line" in
		*@@PFPROF-BEGIN@@*) on=1; continue ;;
		*@@PFPROF-EXIT\ *) on=0; continue ;;
		*@@PFPROF-DMESG-BEGIN@@*) quiet=1 ;;
		esac
		if [ $on = 1 ] || { [ "$verbose" = 1 ] && [ $quiet = 0 ]; }; then
			printf '%s\n' "$line"
		fi
	done
}

work=$(mktemp -d /tmp/pfprof-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$here/mkinitramfs.sh" "$work/initrd.cpio" "$payload" "$cmd" "$kmoddir" "$extra" || exit 2

drive=()
if [ "$swap" -gt 0 ]; then
	truncate -s "${swap}M" "$work/swap.img"
	drive=(-drive "file=$work/swap.img,if=virtio,format=raw,cache=unsafe")
	append="$append pfprof.swap=1"
fi

[ -n "$log" ] || log=$work/console.log
: > "$log"

# Show the guest's output from the begin marker to the exit marker; keep
# everything in the log.  The guest prints \r\n; drop the \r.
timeout --foreground -k 10 "$timeout_s" \
	"${qemu[@]}" -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem" \
	-nographic -monitor none -serial stdio -no-reboot \
	-kernel "$kernel" -initrd "$work/initrd.cpio" "${drive[@]}" \
	-append "console=$console quiet loglevel=3 panic=-1 rdinit=/init $append" \
	< /dev/null 2>&1 |
	sed -u 's/\r$//' | tee -a "$log" |
	filter_console
qrc=${PIPESTATUS[0]}

rc=$(sed -n 's/^.*@@PFPROF-EXIT \([0-9]*\)@@$/\1/p' "$log" | tail -n 1)
# shellcheck source=tools/vm/splat.sh
. "$here/splat.sh"
splats=$(splats "$log")

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "tools/vm/run.sh: TIMEOUT after ${timeout_s}s" >&2
	[ -n "$splats" ] && printf 'tools/vm/run.sh: kernel log:\n%s\n' "$splats" >&2
	exit 124
fi
if [ -n "$splats" ]; then
	printf 'tools/vm/run.sh: KERNEL SPLAT in guest log:\n%s\n' "$splats" >&2
	exit 125
fi
if [ -z "$rc" ]; then
	echo "tools/vm/run.sh: guest died before the command finished (qemu status $qrc); last lines:" >&2
	tail -n 30 "$log" >&2
	exit 126
fi
exit "$rc"
