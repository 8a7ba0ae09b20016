#!/bin/sh
# Witness tests, shared by the host (tests/host/30-witness.sh) and the VM
# (tests/vm/65-witness.sh).  POSIX sh: runs under bash and busybox ash.
#
# USAGE: witness-tests.sh host|vm PFWITNESS PFW_TOUCH
#
# Margins (docs/witness.md): a process's own startup (exec, libc, stack)
# adds up to STARTUP=128 faults to the N it touches on purpose; exec's
# argument copy faults through get_user_pages, which perf events never
# see, so pe_min may trail wait4's minflt by up to GUP=8 (exactly fx_gup
# where fexit runs).  fexit and the thread counters (ru) must equal wait4
# exactly.
mode=$1 W=$2 T=$3
# The witness record's CSV is read by column name (docs/witness.md, "The
# record"): this awk prelude maps the header row's names to positions,
# so $c["ru_min"] is the ru_min field of a row whatever its position.
WHDR='$1 == "type" { for (i = 1; i <= NF; i++) c[$i] = i; next }'
SOURCES="-s all"
STARTUP=128 GUP=8 N=2000
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run 'CMD ARGS': pfwitness --csv $SOURCES -c, by default every source, to
# check each (pfwitness's own default, ru,sw, is checked on its own below);
# sets tot_* for the command's pid
# (the first total row unless PIDSEL names a comm/pid) and w4_* from wait4.
run() {
	what="$*"
	"$W" --csv $SOURCES -c "$*" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
	wrc=$?
	set -- $(awk -F, "$WHDR"' $1 == "total" {
		print $c["pid"], $c["tp_user"], $c["tp_kernel"], $c["pe_min"], $c["pe_maj"],
		    $c["fx_min"], $c["fx_maj"], $c["fx_gup"], $c["fx_skip"], $c["cpu_ns"],
		    $c["sclk_ns"], $c["ru_min"], $c["ru_maj"]; exit }' "$tmp/out.csv")
	tot_pid=${1:-0} tp_u=${2:-0} tp_k=${3:-0} pe_min=${4:-0} pe_maj=${5:-0}
	fx_min=${6:-0} fx_maj=${7:-0} fx_gup=${8:-0} fx_skip=${9:-0} cpu_ns=${10:-0} sclk_ns=${11:-0}
	ru_min=${12:--1} ru_maj=${13:--1}
	w4_min=$(sed -n 's/.*rusage minflt=\([0-9]*\).*/\1/p' "$tmp/err.txt")
	w4_maj=$(sed -n 's/.*rusage minflt=[0-9]* majflt=\([0-9]*\).*/\1/p' "$tmp/err.txt")
	sched_ns=$(sed -n 's/.*sched_ns=\([0-9-]*\).*/\1/p' "$tmp/err.txt" | head -n 1)
	echo "# $what: pid=$tot_pid tp_user=$tp_u tp_kernel=$tp_k pe=$pe_min/$pe_maj fx=$fx_min/$fx_maj gup=$fx_gup skip=$fx_skip ru=$ru_min/$ru_maj cpu_ns=$cpu_ns wait4=$w4_min/$w4_maj"
}
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

if [ "$mode" = vm ]; then echo "1..26"; else echo "1..22"; fi
run "$T" anon $N
ok $wrc "pfwitness -c runs the command and exits 0"
# exceptions:page_fault_user/_kernel are x86's tracepoints: on a kernel
# without them (arm64) pfwitness must say so at start, and the tracepoint's
# checks below are skipped with that reason; perf events and fexit count
# the faults there.  The claim is checked against tracefs.
ev=/sys/kernel/tracing/events
[ "$mode" = host ] && [ ! -d "$ev" ] && ev=/sys/kernel/debug/tracing/events
notp=$(sed -n 's/^pfwitness: tracepoints: NOT attached, \(this kernel has no .*\)/\1/p' "$tmp/err.txt")
if [ -z "$notp" ]; then
	grep -q 'tracepoints: attached' "$tmp/err.txt" && grep -q 'perf sw events: attached' "$tmp/err.txt"
	ok $? "tracepoints and perf events attached"
else
	[ -d "$ev/sched" ] && [ ! -e "$ev/exceptions/page_fault_user" ] &&
		grep -q 'perf sw events: attached' "$tmp/err.txt" &&
		grep -q 'fexit handle_mm_fault: attached' "$tmp/err.txt"
	ok $? "perf events and fexit attached; tracepoints left out, said at start: $notp"
fi

# What this kernel lacks, pfwitness says at start ("X unavailable on this
# kernel: ...; using Y"); the set must be what the kernel's version implies
# (docs/witness.md, "Older kernels"), and each fallback is checked below
# where its figure is.
kv=$(uname -r | awk -F. '{print $1 * 1000 + $2}')
gaps=$(sed -n 's/^pfwitness: \(.*\) unavailable on this kernel:.*/\1/p' "$tmp/err.txt" | tr '\n' ';')
want=""
[ "$kv" -lt 5014 ] && want="${want}syscall programs;"
[ "$kv" -lt 5011 ] && want="${want}task storage;"
[ "$kv" -lt 5013 ] && want="${want}enum fault_flag;"
[ "$kv" -lt 5012 ] && want="${want}recursion_misses;"
[ -d "$ev/sched" ] && [ ! -e "$ev/exceptions/page_fault_user" ] &&
	want="${want}tracepoint exceptions:page_fault_user;"
sed -n 's/^\(pfwitness: .* unavailable on this kernel:.*\)/# \1/p' "$tmp/err.txt"
[ "$gaps" = "$want" ]
ok $? "fallbacks announced for Linux $(uname -r): '${gaps}' (expected '${want}')"
fallback() { case "$gaps" in *"$1;"*) return 0 ;; esac; return 1; }

# Interval stamps: jiffies and CLOCK_MONOTONIC from one BPF program run
# (a syscall program, or the raw_tp one where the kernel has none).
stamps=$(awk -F, "$WHDR"' $1 == "interval" {n++; if ($c["jiffies"] == 0 || $c["mono_ns"] == 0) z++}
	END {print n + 0, z + 0}' "$tmp/out.csv")
how="syscall program"; fallback "syscall programs" && how="raw_tp program (fallback)"
set -- $stamps
[ "$1" -gt 0 ] && [ "$2" = 0 ]
ok $? "interval stamps from the $how: $1 interval row(s), $2 without jiffies or mono_ns"
if fallback recursion_misses; then
	m=$(grep '^program,' "$tmp/out.csv" | grep -vc ',recursion_misses=0$')
	[ "$m" = 0 ] && grep -q '^program,.*,recursion_misses=0$' "$tmp/out.csv"
	ok $? "recursion_misses not reported by this kernel: every program row says 0 ($m do not)"
else
	grep -q '^program,.*,recursion_misses=[0-9][0-9]*$' "$tmp/out.csv"
	ok $? "program rows carry the kernel's recursion_misses"
fi
between "$pe_min" $N $((N + STARTUP)) && between $((w4_min - pe_min)) 0 $GUP
ok $? "perf events: $N touched pages counted ($pe_min), within $GUP of wait4 ($w4_min)"
if [ -n "$notp" ]; then
	skip "page_fault_user: $N touched pages counted" "$notp"
else
	between "$tp_u" $N $((N + STARTUP)) && between "$tp_u" $((w4_min - GUP - STARTUP)) $((w4_min + STARTUP))
	ok $? "page_fault_user: $N touched pages counted ($tp_u), near wait4 ($w4_min)"
fi
between "$ru_min" $N $((N + STARTUP)) && [ "$ru_min" = "$w4_min" ] && [ "$ru_maj" = "$w4_maj" ]
ok $? "thread counters: $N touched pages counted; $ru_min/$ru_maj == wait4 $w4_min/$w4_maj exactly"

# The default sources are the thread counters and sched_switch
# (docs/witness.md, "What it costs"): nothing runs on a fault, and the
# counts equal wait4's.
SOURCES=""; run "$T" anon $N; SOURCES="-s all"
grep -q 'tracepoints: NOT attached, not requested' "$tmp/err.txt" &&
	grep -q 'perf sw events: NOT attached, not requested' "$tmp/err.txt" &&
	grep -q 'fexit handle_mm_fault: NOT attached, not requested' "$tmp/err.txt" &&
	grep -q 'sched_switch: attached' "$tmp/err.txt" &&
	grep -q 'thread fault counters: attached' "$tmp/err.txt" &&
	[ "$tp_u" = 0 ] && [ "$pe_min" = 0 ] && between "$ru_min" $N $((N + STARTUP)) &&
	[ "$ru_min" = "$w4_min" ] && [ "$ru_maj" = "$w4_maj" ] && [ "$cpu_ns" -gt 0 ]
ok $? "default sources: thread counters and sched_switch only; $ru_min/$ru_maj == wait4 $w4_min/$w4_maj, cpu_ns $cpu_ns"

# -c ends when the command exits, not at the end of the interval: the last
# interval row is the stretch up to the exit (was: the whole 30 s).
"$W" --csv -c "$T anon 100" 30 > "$tmp/out.csv" 2> "$tmp/err.txt"
last=$(awk -F, "$WHDR"' $1 == "interval" {s = $c["secs"]} END {print s + 0}' "$tmp/out.csv")
awk -v s="$last" 'BEGIN {exit !(s > 0 && s < 15)}'
ok $? "-c with a 30 s interval ends when the command exits: last interval ${last} s"

# -p ends when every target has exited, its last interval there (was: the
# full count).  A 5 s sleep (time for a slow guest to load pfwitness)
# counted for 10 intervals of 1 s: 1..8 tables, not 10.
sleep 5 &
sp=$!
"$W" -p "$sp" 1 10 > "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
wait "$sp" 2>/dev/null
iv=$(grep -c '^PID .*TP-USR/s' "$tmp/out.txt")
[ $rc = 0 ] && between "$iv" 1 8 && grep -q '^Totals:' "$tmp/out.txt"
ok $? "-p of a 5 s sleep for 10 x 1 s: ends with it after $iv intervals (1..8), then the totals, exit $rc"

run "$T" fork $N
child=$(awk -F, -v p="$tot_pid" "$WHDR"' $1 == "total" && $c["pid"] != p {print $c["pid"], $c["pe_min"]}' \
	"$tmp/out.csv" | head -n 1)
rows=$(awk -F, "$WHDR"' $1 == "total" {n += $c["ru_min"]; j += $c["ru_maj"]} END {print n + 0 "/" j + 0}' \
	"$tmp/out.csv")
set -- $child
[ -n "${1:-}" ] && between "${2:-0}" $N $((N + STARTUP)) && [ "$rows" = "$w4_min/$w4_maj" ]
ok $? "-c follows a fork: child ${1:-none} counted with ${2:-0} faults; thread counters of all rows $rows == wait4 $w4_min/$w4_maj"

# ru alone attaches the switch program but counts no CPU time.
SOURCES="-s ru"; run "$T" anon $N; SOURCES="-s all"
grep -q 'sched_switch: NOT attached, not requested' "$tmp/err.txt" &&
	grep -q 'thread fault counters: attached' "$tmp/err.txt" &&
	[ "$cpu_ns" = 0 ] && [ "$pe_min" = 0 ] && [ "$ru_min" = "$w4_min" ] && [ "$ru_maj" = "$w4_maj" ]
ok $? "-s ru alone: thread counters $ru_min/$ru_maj == wait4 $w4_min/$w4_maj, cpu_ns $cpu_ns (not asked for)"

# A thread other than the leader execs: the kernel gives it the leader's
# PID (de_thread).  Where the per-thread state is a hash by tid (5.10),
# the entries must change keys with the tids (was: ru lost the whole new
# image, 47 of 2081 faults, and its CPU time).
run "$T" threxec $N
between "$ru_min" $N $((N + STARTUP)) && [ "$ru_min" = "$w4_min" ] && [ "$ru_maj" = "$w4_maj" ] &&
	[ "$sclk_ns" -gt 0 ]
ok $? "exec from a second thread: thread counters $ru_min/$ru_maj == wait4 $w4_min/$w4_maj"

# The leader faults and calls exit_group() while a second thread waits:
# the threads' exits race.  The leader's last stretch must be charged even
# when the other thread makes its final switch last.
run "$T" mtexit $N
between "$ru_min" $N $((N + STARTUP)) && [ "$ru_min" = "$w4_min" ] && [ "$ru_maj" = "$w4_maj" ]
ok $? "leader exits with a second thread: thread counters $ru_min/$ru_maj == wait4 $w4_min/$w4_maj"

if [ "$mode" = host ]; then
	"$W" --json -c "$T anon 100" 0.2 2> "$tmp/err.txt" > "$tmp/out.json"
	w4=$(sed -n 's/.*rusage minflt=\([0-9]*\).*/\1/p' "$tmp/err.txt")
	js=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sum(p["ru_min"] for p in d["totals"]), d["sources"]["thread_counters"]["attached"])' "$tmp/out.json")
	[ "$js" = "${w4:-x} True" ]
	ok $? "--json parses; its totals' ru_min and the thread_counters source: '$js' (wait4 ${w4:-?})"
fi

out=$("$W" --bogus 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -qi 'usage\|help'; ok $? "unknown option: usage error, exit 2 ($rc)"
out=$("$W" -p abc 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'invalid PID'; ok $? "-p abc: invalid PID, exit 2 ($rc)"
out=$("$W" -c /nonexistent/cmd 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "cannot run"; ok $? "-c with a missing program: clear error, exit 1 ($rc)"
out=$("$W" -p 3999999 1 1 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'no process with PID 3999999'; ok $? "-p of a PID that does not exist: clear error, exit 1 ($rc)"
out=$("$W" --help 2>/dev/null); rc=$?
out2=$("$W" -h 2>/dev/null); rc2=$?
[ $rc = 0 ] && [ $rc2 = 0 ] && echo "$out" | grep -q '^USAGE: pfwitness' && echo "$out" | grep -q '^EXAMPLES:' &&
	[ "$out" = "$out2" ]
ok $? "--help and -h: the same help on stdout (USAGE, EXAMPLES), exit $rc and $rc2 (was: -h on stderr)"
[ "$mode" = vm ] || {
	if command -v setpriv > /dev/null; then
		# privilege, not libbpf's "RLIMIT_MEMLOCK"/"ulimit -l" (not the cause here)
		out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$W" 1 1 2>&1); rc=$?
		[ $rc = 1 ] && echo "$out" | grep -q 'not privileged' && echo "$out" | grep -q 'CAP_BPF and CAP_PERFMON' &&
			! echo "$out" | grep -q 'RLIMIT_MEMLOCK\|ulimit -l'
		ok $? "unprivileged: says so, names the capabilities it needs, no memlock hint, exit 1 ($rc)"
	else
		skip "unprivileged run" "no setpriv"
	fi
	exit $fail
}

# ---- VM only: fexit and the classes perf events cannot see ----
run "$T" anon $N
grep -q 'fexit handle_mm_fault: attached' "$tmp/err.txt" &&
	[ "$fx_min" = "$w4_min" ] && [ "$fx_maj" = "$w4_maj" ] && [ $((pe_min + fx_gup)) = "$w4_min" ] &&
	[ "$ru_min" = "$fx_min" ] && [ "$ru_maj" = "$fx_maj" ]
ok $? "fexit == thread counters == wait4 exactly ($fx_min/$fx_maj, $ru_min/$ru_maj, $w4_min/$w4_maj); perf + gup == wait4"

# A file whose page cache drop_caches really empties: the raw page cache
# of a block device (a loop device over a /tmp file, else the swap disk
# /dev/vda), mapped read-only.  initramfs/tmpfs pages never leave memory,
# and a disk file system would need more modules (ext4 wants crc32c).
bdev=""
dd if=/dev/urandom of="$tmp/disk" bs=4096 count=256 2>/dev/null
loopdev=$(losetup -f 2>/dev/null)
if [ -n "$loopdev" ] && losetup "$loopdev" "$tmp/disk" 2>/dev/null; then
	bdev=$loopdev
elif [ -b /dev/vda ]; then
	bdev=/dev/vda
fi
if [ -n "$bdev" ]; then
	sync; echo 3 > /proc/sys/vm/drop_caches
	run "$T" file "$bdev" 256
	[ "$bdev" = "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
	# Where FAULT_FLAG_TRIED is 5.10's #define (the fallback), the faults
	# must have been retried (fx_skip): their completions are major only
	# through that flag, so fx_maj == wait4 checks the fallback value.
	tried="" retried=1
	if fallback "enum fault_flag"; then
		tried="; FAULT_FLAG_TRIED fallback: $fx_skip retried" retried=$fx_skip
	fi
	[ "$pe_maj" -ge 200 ] && [ "$fx_maj" -ge 200 ] && [ "$fx_maj" = "$w4_maj" ] && [ "$ru_maj" = "$w4_maj" ] &&
		[ "$pe_maj" -le "$fx_maj" ] && [ "$retried" -gt 0 ]
	ok $? "$bdev mapped after drop_caches: major faults in perf ($pe_maj), fexit ($fx_maj) and thread counters ($ru_maj) == wait4 $w4_maj$tried"
else
	ok 1 "no loop device and no /dev/vda: nothing drop_caches can empty"
fi

run "$T" populate 1000
[ "$fx_gup" -ge 1000 ] && [ $((w4_min - pe_min)) -ge 1000 ] && [ $((w4_min - tp_u)) -ge $((1000 - STARTUP)) ] &&
	[ "$fx_min" = "$w4_min" ] && [ "$ru_min" = "$w4_min" ]
ok $? "MAP_POPULATE 1000 pages: fexit gup $fx_gup, wait4 $w4_min == thread counters $ru_min vs perf $pe_min / tracepoint $tp_u"

dd if=/dev/zero of="$tmp/data" bs=4096 count=1000 2>/dev/null
run "$T" read "$tmp/data" 1000
{ [ -n "$notp" ] || [ "$tp_k" -ge 1000 ]; } && [ "$fx_min" -ge 1000 ] && [ "$fx_min" = "$w4_min" ]
ok $? "read() into 1000 fresh pages: page_fault_kernel ${notp:+(none: $notp) }$tp_k, fexit $fx_min == wait4 $w4_min"

run "$T" spin 400
d=$((cpu_ns - sched_ns)); [ $d -lt 0 ] && d=$((-d))
[ "$sched_ns" -gt 0 ] && [ $d -le $((sched_ns / 20 + 10000000)) ]
ok $? "sched_switch CPU $cpu_ns ns vs /proc/self/schedstat $sched_ns ns (5% + 10 ms)"
# The same intervals on the scheduler's clock are the kernel's own charge,
# which wait4 reports (utime+stime: sum_exec_runtime split by ticks, in
# us): equal to the microsecond, with 1 ms for the first switch-in of the
# child, which the witness may miss while it attaches.
ru_us=$(sed -n 's/.*rusage .*utime_us=\([0-9]*\) stime_us=\([0-9]*\).*/\1 \2/p' "$tmp/err.txt" | awk '{print $1 + $2}')
d=$((sclk_ns / 1000 - ${ru_us:-0})); [ $d -lt 0 ] && d=$((-d))
[ "${ru_us:-0}" -gt 0 ] && [ $d -le 1000 ]
ok $? "sched_switch on the scheduler's clock $sclk_ns ns vs wait4 utime+stime ${ru_us:-?} us: differ by $d us (<= 1000)"
exit $fail
