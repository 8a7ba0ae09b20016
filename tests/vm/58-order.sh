#!/bin/sh
# 58-order: the module creates its user-visible interfaces in a safe order,
# so that no user reaches a half-built or half-torn-down module.  At load,
# /proc/mp3 and its files exist before the char device does (cdev_add()
# makes 423:0 openable, device_create() makes /dev/mp3): nothing can open
# the device, map the buffer and rely on the rest while init may still fail
# and unwind.  At unload, the char device goes first (device_destroy(),
# cdev_del()), /proc/mp3 after it.
#
# Watched with the ftrace function tracer (tracefs), limited to the insmod
# and rmmod processes (set_ftrace_pid), leaving out the calls those
# functions make to each other: the order of proc_mkdir/proc_create* and
# cdev_add/device_create in insmod, of device_destroy/cdev_del and
# proc_remove/remove_proc_* in rmmod.  Deterministic: no fault injection
# (Debian kernels have none) and nothing squats on /proc/mp3.
root=${PFPROF_ROOT:-/pfprof}
T=/sys/kernel/tracing
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip_all() {
	for t in "insmod: every /proc/mp3 entry is created before the char device" \
		"rmmod: the char device is removed before /proc/mp3" \
		"insmod and rmmod each made all the calls watched"; do
		n=$((n + 1)); echo "ok $n $t # SKIP $1"
	done
	exit 0
}
echo "1..3"
rmmod mp3 2>/dev/null
[ -e $T/available_tracers ] || mount -t tracefs tracefs $T 2>/dev/null
grep -qw function $T/available_tracers 2>/dev/null || skip_all "no function tracer in this kernel"

# The functions the module calls to create and remove its interfaces, as
# far as this kernel has them and can trace them.
want="proc_mkdir proc_mkdir_data proc_create proc_create_data proc_remove
remove_proc_entry remove_proc_subtree cdev_add cdev_del device_create device_destroy"
funcs=""
for f in $want; do
	grep -q "^$f\$" $T/available_filter_functions && funcs="$funcs $f"
done
echo "# traced:$funcs"

log=/tmp/58-order.$$
trace_off() {
	echo 0 > $T/tracing_on
	echo nop > $T/current_tracer
	echo > $T/set_ftrace_filter
	echo > $T/set_ftrace_pid
}
# Run "$@" (exec'd, so the traced PID is the command's) with the function
# tracer on the listed functions; the calls it made from mp3 into $log.
traced() {
	trace_off
	echo > $T/trace
	# shellcheck disable=SC2086
	echo $funcs > $T/set_ftrace_filter || return 1
	echo function > $T/current_tracer || return 1
	sh -c 'echo $$ > '"$T"'/set_ftrace_pid && echo 1 > '"$T"'/tracing_on && exec "$@"' sh "$@"
	rc=$?
	echo 0 > $T/tracing_on	# read the trace before the tracer changes: that clears it
	# "insmod-123 [001] ..... 12.34: proc_mkdir <-mp3_init [mp3]"; the
	# caller of a call from mp3's init code, freed by now, is an address.
	# Calls the watched functions make to each other are left out.
	sed -n 's/^.*: \([a-z_]*\) <-\([^ ]*\).*$/\1 \2/p' $T/trace |
		awk -v set=" $funcs " '!index(set, " " $2 " ")' > "$log.raw"
	sed 's/^/#   /' "$log.raw"
	cut -d' ' -f1 "$log.raw" > "$log"
	trace_off
	return $rc
}
# Line number in $log of the first (first) or last (last) call of any of
# the functions in $2; empty if none.
pos() {
	awk -v mode="$1" -v set=" $2 " 'index(set, " " $1 " ") {
		if (mode == "first" && !p) p = NR; if (mode == "last") p = NR }
		END { print p }' "$log"
}
count() { grep -c "^$1\$" "$log"; }

echo "# insmod:"
traced insmod "$root/mp3.ko" || { echo "# insmod failed"; trace_off; }
proc_last=$(pos last "proc_mkdir proc_mkdir_data proc_create proc_create_data")
dev_first=$(pos first "cdev_add device_create")
echo "# last proc entry created at call ${proc_last:-none}, char device first made at call ${dev_first:-none}"
[ -n "$proc_last" ] && [ -n "$dev_first" ] && [ "$proc_last" -lt "$dev_first" ]
ok $? "insmod: every /proc/mp3 entry is created before the char device (last proc call #${proc_last:-none}, first cdev_add/device_create #${dev_first:-none})"
# A wrapper that tail-calls (proc_remove -> remove_proc_subtree) shows the
# callee with the module as its caller too: count the wrapper if traced.
either() { c=$(count "$1"); [ "$c" -gt 0 ] || c=$(count "$2"); echo "$c"; }
made=$(either proc_mkdir proc_mkdir_data)
files=$(either proc_create proc_create_data)
ins_ok=0
[ "$made" -eq 1 ] && [ "$files" -eq 3 ] && [ "$(count cdev_add)" -eq 1 ] &&
	[ "$(count device_create)" -eq 1 ] && [ -e /proc/mp3/stats ] && [ -c /dev/mp3 ] || ins_ok=1

echo "# rmmod:"
traced rmmod mp3 || echo "# rmmod failed"
dev_last=$(pos last "device_destroy cdev_del")
proc_first=$(pos first "proc_remove remove_proc_entry remove_proc_subtree")
echo "# char device last removed at call ${dev_last:-none}, first proc removal at call ${proc_first:-none}"
[ -n "$dev_last" ] && [ -n "$proc_first" ] && [ "$dev_last" -lt "$proc_first" ]
ok $? "rmmod: the char device is removed before /proc/mp3 (last device_destroy/cdev_del #${dev_last:-none}, first proc removal #${proc_first:-none})"
rm_ok=0
[ "$(count device_destroy)" -eq 1 ] && [ "$(count cdev_del)" -eq 1 ] &&
	[ $(( $(count proc_remove) + $(count remove_proc_entry) + $(count remove_proc_subtree) )) -ge 1 ] &&
	[ ! -e /proc/mp3 ] && [ ! -e /sys/module/mp3 ] || rm_ok=1
[ $ins_ok = 0 ] && [ $rm_ok = 0 ]
ok $? "insmod and rmmod each made all the calls watched (proc_mkdir 1, proc_create 3, cdev_add 1, device_create 1; device_destroy 1, cdev_del 1, a proc removal) and left the module loaded, then gone"
rm -f "$log" "$log.raw"
exit $fail
