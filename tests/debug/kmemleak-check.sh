#!/bin/sh
# Guest side of the debug lane (docs/debug-lane.md), run after the VM tests:
# unload mp3, have kmemleak scan twice, and print one TAP result: "ok" if
# /sys/kernel/debug/kmemleak lists no unreferenced object, else "not ok"
# followed by the report (as TAP comments).
#
# Two scans, because kmemleak holds back an object whose contents changed
# since the previous scan (its checksum differs) and only reports objects
# older than 5 s; the second scan reports what the first one greyed.
#
# USAGE: kmemleak-check.sh [MODULE...]   (modules to unload first; default mp3)
kl=/sys/kernel/debug/kmemleak
[ $# -gt 0 ] || set -- mp3
echo "1..1"
for m in "$@"; do
	if grep -q "^$m " /proc/modules; then
		rmmod "$m" || echo "# kmemleak-check: rmmod $m failed"
	fi
done
if [ ! -e "$kl" ]; then
	mkdir -p /sys/kernel/debug
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if [ ! -e "$kl" ]; then
	echo "not ok 1 - kmemleak: $kl does not exist (kernel without CONFIG_DEBUG_KMEMLEAK?)"
	exit 1
fi
sleep 6	# let the last objects age past kmemleak's 5 s minimum
for _ in 1 2; do
	if ! echo scan > "$kl"; then
		echo "not ok 1 - kmemleak: 'echo scan > $kl' failed (kmemleak disabled itself?)"
		dmesg | grep -i kmemleak | sed 's/^/# /'
		exit 1
	fi
done
report=/tmp/kmemleak-report.$$
cat "$kl" > "$report"
n=$(grep -c '^unreferenced object' "$report")
if [ -s "$report" ]; then
	echo "not ok 1 - kmemleak: $n unreferenced object(s) after the tests"
	sed 's/^/# /' "$report"
	rm -f "$report"
	exit 1
fi
rm -f "$report"
echo "ok 1 - kmemleak: no unreferenced objects after unloading $*"
exit 0
