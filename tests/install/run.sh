#!/bin/bash
# make test-install: install pfprof as README.md says, on a real Debian 12
# system (systemd, udev, Debian's dkms) booted from its own disk under QEMU
# TCG; upgrade its kernel and boot the new one; remove it all; then the
# same with the Debian packages.  docs/kernels.md, "Install paths".
#
# USAGE: tests/install/run.sh [--keep]
#   --keep   keep the run's directory (overlay disk, console log) and say where
# Environment: PFPROF_CACHE (the image's cache, default ~/.cache/pfprof),
#   PFPROF_INSTALL_TIMEOUT (seconds for the whole guest run, default 2700),
#   PFPROF_VM_MEM (guest RAM in MiB, default 2048).
#
# The host side: the cached image (tests/install/image.sh), a
# copy-on-write overlay of it for this run (the cache stays pristine), and
# a second disk labelled PFTEST holding tests/install/guest.sh, the tree
# as a clone has it (git archive of HEAD, or of the working tree's tracked
# files when they differ: git stash create) and, when `make deb` exists,
# the Debian packages `make deb` builds from this tree.  The guest
# runs the phases (guest.sh) with reboots in between and powers off; its
# "@@TAP" lines are numbered here.  Any kernel splat in the console or in
# the dmesg the guest prints before every reboot fails the run
# (tools/vm/splat.sh).  TAP; the last line is "N passed, N failed"; exit 1
# if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
keep=0
case "${1:-}" in
--keep) keep=1 ;;
"") ;;
*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
timeout_s=${PFPROF_INSTALL_TIMEOUT:-2700}
mem=${PFPROF_VM_MEM:-2048}
# shellcheck source=tools/vm/splat.sh
. "$top/tools/vm/splat.sh"

t0=$(date +%s)
echo "# the image (tests/install/image.sh; built once per recipe, then cached)"
env=$("$here/image.sh") || { echo "not ok 1 the Debian 12 image"; echo "0 passed, 1 failed"; exit 1; }
eval "$(grep -E '^[A-Z_0-9]+=' <<< "$env")"
# where the image is now (a cache directory may have been moved)
IMAGE=$("$here/image.sh" --path)/debian12.qcow2
echo "# image: $IMAGE (built $IMAGE_BUILT); kernel A $KVER_A, kernel B $KVER_B ($KPKGVER_B)"

work=$(mktemp -d /tmp/pfprof-install.XXXXXX)
# shellcheck disable=SC2317
cleanup() { if [ $keep = 1 ]; then echo "# kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
mkdir -p "$work/disk"

# The tree a clone would have.
rev=$(cd "$top" && git stash create 2>/dev/null || true)
if [ -n "$rev" ]; then
	desc="$(cd "$top" && git rev-parse --short HEAD) with the working tree's uncommitted changes"
else
	rev=HEAD desc=$(cd "$top" && git rev-parse --short HEAD)
fi
echo "# tree: $desc (git archive)"
(cd "$top" && git archive --prefix=pfprof/ "$rev") | tar -x -C "$work"
version=$(cat "$work/pfprof/VERSION")

# The Debian packages: `make deb` here, in this tree (it copies the tree's
# tracked and new files to build/deb-stage and builds there; it needs the
# tree's git); the guest's tree gets the two .debs in build/deb, where
# README's "install-deb" block takes them from.
debs="pfprof debs not built (make deb missing)"
pre_fail=""
if grep -qE '^deb:' "$top"/Makefile "$top"/mk/*.mk 2>/dev/null; then
	echo "# make deb"
	d=$top/build/deb
	if (cd "$top" && make deb) > "$work/make-deb.log" 2>&1 &&
	   [ -f "$d/pfprof-dkms_${version}_all.deb" ] && [ -f "$d/pfprof_${version}_amd64.deb" ]; then
		debs=yes
		mkdir -p "$work/pfprof/build/deb"
		cp "$d/pfprof-dkms_${version}_all.deb" "$d/pfprof_${version}_amd64.deb" "$work/pfprof/build/deb/"
	else
		tail -n 20 "$work/make-deb.log" | sed 's/^/# /'
		pre_fail="make deb built build/deb/pfprof-dkms_${version}_all.deb and build/deb/pfprof_${version}_amd64.deb"
		debs="make deb failed"
	fi
fi
tar -cf "$work/disk/pfprof.tar" -C "$work" --owner=1000 --group=1000 pfprof
rm -rf "$work/pfprof"
cp "$here/guest.sh" "$work/disk/"
cat > "$work/disk/test.env" <<EOF
KVER_A='$KVER_A'
KVER_B='$KVER_B'
VERSION='$version'
DEBS='$debs'
EOF
truncate -s 512M "$work/pftest.img"
mkfs.ext4 -q -F -L PFTEST -d "$work/disk" "$work/pftest.img"
qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE" "$work/overlay.qcow2"

# Number the guest's TAP lines as they arrive; say when each boot's
# phase starts.
n=0 pass=0 fail=0
tap() {
	n=$((n + 1))
	case "$1" in
	"not ok "*) fail=$((fail + 1)); echo "not ok $n ${1#not ok }" ;;
	*) pass=$((pass + 1)); echo "ok $n ${1#ok }" ;;
	esac
}
[ -z "$pre_fail" ] || tap "not ok $pre_fail"

echo "# booting the image from its disk (QEMU TCG, ${mem} MiB; timeout ${timeout_s} s)"
tb=$(date +%s)
log=$work/console.log
: > "$log"
while IFS= read -r line; do
	case "$line" in
	"@@TAP "*) tap "${line#@@TAP }" ;;
	"@@# "*) echo "# ${line#@@# }" ;;
	"@@PHASE "*) line=${line#@@PHASE }; echo "# phase ${line/@@/:} (at $(( $(date +%s) - tb )) s)" ;;
	esac
done < <(timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg,thread=single -cpu max \
	-smp 2 -m "$mem" -nographic -monitor none -serial stdio -nic none \
	-drive "file=$work/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe" \
	-drive "file=$work/pftest.img,if=virtio,format=raw,readonly=on" \
	< /dev/null 2>&1 | sed -u 's/\r//g' | tee "$log")
echo "# guest run: $(( $(date +%s) - tb )) s"

if grep -q '^@@DONE@@' "$log"; then
	tap "ok the guest ran every phase and powered off"
else
	tap "not ok the guest ran every phase and powered off # it stopped (timeout ${timeout_s} s, or died)"
	grep -v '^@@' "$log" | tail -n 30 | sed 's/^/# /'
fi
s=$(splats "$log")
if [ -z "$s" ]; then
	tap "ok no kernel splat in the console or in any boot's dmesg"
else
	tap "not ok no kernel splat in the console or in any boot's dmesg"
	echo "$s" | sed 's/^/# /'
fi
mkdir -p "$top/build/test-install"
cp "$log" "$top/build/test-install/console.log"
echo "# console log: build/test-install/console.log; total $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
