#!/bin/sh
# pfwitness where it is easy to get wrong, each case one it once got
# wrong (docs/witness.md): a reused PID, a stranger taking a dead
# descendant's PID, a target that never leaves its CPU, a long -c command,
# libbpf's own errors.  Host or VM.  POSIX sh.  Needs root (ns_last_pid,
# SCHED_FIFO).
#
# USAGE: witness-bugs.sh PFWITNESS PFW_TOUCH
W=$1 T=$2
# The witness record's CSV is read by column name (docs/witness.md, "The
# record"): this awk prelude maps the header row's names to positions,
# so $c["ru_min"] is the ru_min field of a row whatever its position.
WHDR='$1 == "type" { for (i = 1; i <= NF; i++) c[$i] = i; next }'
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
tmp=$(mktemp -d)
spin="" rt=""
cleanup() {
	[ -n "$spin" ] && kill "$spin" 2>/dev/null
	[ -n "$rt" ] && echo "$rt" > /proc/sys/kernel/sched_rt_runtime_us
	rm -rf "$tmp"
}
trap cleanup EXIT
# totals PID: "tp_user cpu_ns" of each total row of PID in $tmp/out.csv
totals() {
	awk -F, -v p="$1" "$WHDR"' $1 == "total" && $c["pid"] == p {print $c["tp_user"], $c["cpu_ns"]}' \
		"$tmp/out.csv"
}
now_ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
echo "1..5"

# 1. Rows are processes, not PIDs: a PID the command's tree reuses is a
# second row, each with its own faults (was: one row, the sum).
"$W" --csv -s all -c "$T reuse 300 3000" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
p=$(sed -n 's/.*reused pid=\([0-9]*\).*/\1/p' "$tmp/err.txt")
if [ -z "$p" ]; then
	ok 1 "PID reuse inside -c: the command could not reuse a PID ($(tail -n 1 "$tmp/err.txt"))"
else
	rows=$(totals "$p" | awk '{printf "%s%s", s, $1; s = " "}')
	set -- $rows
	[ $# = 2 ] && [ "$1" -ge 300 ] && [ "$1" -lt 3000 ] && [ "$2" -ge 3000 ] && [ "$2" -lt 3300 ]
	ok $? "PID $p reused inside -c: two rows, 300 and 3000 faults apart (tp_user: $rows)"
fi

# 2. A stranger that takes a dead descendant's PID is not counted (was:
# counted, because the PID stayed a target).
rm -f "$tmp/x.pid" "$tmp/x.go"
"$W" --csv -s all -c "$T exitwait $tmp/x 10" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt" &
wpid=$!
i=0
while [ ! -s "$tmp/x.pid" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
d=$(cat "$tmp/x.pid" 2>/dev/null)
got=$("$T" aspid "${d:-0}" 3000 2>&1 | sed -n 's/.*aspid pid=\([0-9]*\).*/\1/p')
touch "$tmp/x.go"
wait $wpid
rows=$(totals "$d" | awk '{printf "%s%s", s, $1; s = " "}')
big=$(totals "$d" | awk '$1 >= 3000' | wc -l)
[ -n "$d" ] && [ "$got" = "$d" ] && [ -n "$rows" ] && [ "$big" = 0 ]
ok $? "a stranger given dead descendant $d's PID (got ${got:-none}) is not counted (rows of $d, tp_user: ${rows:-none})"

# 3. needs a task that never leaves its CPU: a SCHED_FIFO spinner
# on the last CPU, with RT throttling off for the few seconds it runs
# (else it yields the CPU 50 ms in each second).  Everything else runs on
# CPU 0: a task the scheduler placed behind the spinner would wait there.
last=$(($(nproc) - 1))
if ! command -v chrt > /dev/null || ! command -v taskset > /dev/null; then
	skip "a spinner that never switches out" "no chrt/taskset"
	exit $fail
fi
rt=$(cat /proc/sys/kernel/sched_rt_runtime_us)
echo -1 > /proc/sys/kernel/sched_rt_runtime_us
cpus=$(taskset -pc $$ | sed 's/.*: //')
taskset -pc 0 $$ > /dev/null	# this shell and all it starts, but the spinner
# 3. A target that never switches out is charged every interval, from its
# first stretch on (was: 0 until it leaves the CPU).  pfwitness makes
# every CPU switch before each reading, instead of waiting (up to 1 s, at
# the end of -c) for CPUs running any task to switch by themselves.
chrt -f 1 taskset -c "$last" "$T" spin 2500 > /dev/null 2>&1 &
spin=$!
sleep 0.1
"$W" --csv -p "$spin" 0.3 3 > "$tmp/out.csv" 2> "$tmp/err.txt"
low=$(awk -F, "$WHDR"' $1 == "interval" {r = $c["cpu_ns"] / ($c["secs"] * 1e9); printf "%.2f ", r
	if (r < 0.5 || r > 1.05) bad++} END {print "low=" bad + 0}' "$tmp/out.csv")
kill "$spin"; spin=""
echo "$rt" > /proc/sys/kernel/sched_rt_runtime_us; rt=""
taskset -pc "$cpus" $$ > /dev/null
case "$low" in *"low=0") [ "$(grep -c '^interval,' "$tmp/out.csv")" = 3 ]; r=$? ;; *) r=1 ;; esac
ok $r "a SCHED_FIFO spinner under -p: each interval's cpu_ns/secs in 0.5..1.05 ($low)"

# 4. -c passes every word of a long command (was: cut at 63).
words=$(seq 1 100 | sed 's/^/w/' | tr '\n' ' ')
"$W" --csv -c "$T argc $words" 0.2 > /dev/null 2> "$tmp/err.txt"
got=$(sed -n 's/.*argc=\([0-9]*\).*/\1/p' "$tmp/err.txt")
[ "$got" = 102 ]
ok $? "-c with 100 arguments: the command got argc=${got:-none} (102)"

# 5. libbpf's own errors are shown without -v (was: hidden).
if command -v setpriv > /dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$W" 1 1 > /dev/null 2> "$tmp/err.txt"
	grep -q '^libbpf: ' "$tmp/err.txt"
	ok $? "unprivileged: libbpf's errors are on stderr ($(grep -c '^libbpf: ' "$tmp/err.txt") lines)"
else
	skip "libbpf errors shown" "no setpriv"
fi
exit $fail
