#!/bin/sh
# Print the installed Debian kernel image / headers pair the VM boots and the
# module is built against, as shell assignments:
#   KVER=6.1.0-56-amd64 KIMAGE=/boot/vmlinuz-... KBUILD=/usr/src/linux-headers-...
# The newest installed image that has matching headers wins; no version is
# hard-coded.  Exits 1 with a reason if there is no such pair.
set -eu
best=""
for img in /boot/vmlinuz-*; do
	[ -e "$img" ] || continue
	v=${img#/boot/vmlinuz-}
	if [ -f "/usr/src/linux-headers-$v/Makefile" ] && [ -d "/lib/modules/$v/kernel" ]; then
		best="$best$v
"
	fi
done
v=$(printf '%s' "$best" | sort -V | tail -n 1)
if [ -z "$v" ]; then
	echo "kernel.sh: no installed linux-image with matching linux-headers (run tools/install/deps.sh)" >&2
	exit 1
fi
echo "KVER=$v"
echo "KIMAGE=/boot/vmlinuz-$v"
echo "KBUILD=/usr/src/linux-headers-$v"
echo "KMODDIR=/lib/modules/$v"
