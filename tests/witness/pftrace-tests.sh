#!/bin/sh
# pftrace tests, shared by the host (tests/host/35-pftrace.sh) and the VM
# (tests/vm/66-pftrace.sh).  POSIX sh: bash on the host, busybox ash in the
# guest.  Each view runs on pfw-touch, whose faults are known, and must
# put them where they are: N pages of a kind in a mapping of that kind, at
# a code site in pfw-touch's touch(), in the right latency class.
#
# USAGE: pftrace-tests.sh host|vm PFTRACE PFW_TOUCH
mode=$1 P=$2 T=$3
N=1000
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# Runs the kernel skipped (fexit under preemption, 7.x): pftrace says how
# many, and a count may be short by that many.
lo() { m=$(sed -n 's/^pftrace: \([0-9]*\) program runs skipped.*/\1/p' "$tmp/err.txt"); echo $(($1 - ${m:-0})); }

echo "1..15"
# pftrace needs task storage (5.11+); say so and stop on an older kernel.
"$P" where --csv -c "$T anon $N" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
rc=$?
if grep -q 'needs BPF task storage' "$tmp/err.txt"; then
	[ $rc = 1 ]
	ok $? "on Linux $(uname -r) pftrace says it needs task storage (5.11+), exit 1"
	for i in 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		skip "pftrace check $i" "Linux $(uname -r) has no BPF task storage (5.11+)"
	done
	exit $fail
fi
method=$(sed -n 's/^pftrace: method: \([a-z_]*\).*/\1/p' "$tmp/err.txt")
sed -n 's/^\(pftrace: .*\)/# \1/p' "$tmp/err.txt"
want=page_fault_user; [ "$mode" = vm ] && want=fexit
[ $rc = 0 ] && [ "$method" = "$want" ]
ok $? "where -c 'pfw-touch anon $N' runs, exit $rc, method $method (expected $want here)"

# where: each kind of mapping, its N pages, in one row of that kind
for kind in anon heap stack shm; do
	[ "$kind" = anon ] || "$P" where --csv -c "$T $kind $N" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
	# seq,secs,pid,comm,kind,start,end,minor,major,gup,mapping: a row per
	# interval; a mapping is its start (a stack: its end, as it grows down),
	# and a slow kernel spreads the N faults over several intervals
	row=$(awk -F, -v k="$kind" '$5 == k {a = k == "stack" ? $7 : $6; n[a] += $8; m[a] = $11}
		END {for (a in n) print n[a], m[a]}' "$tmp/out.csv" | sort -n | tail -n 1)
	set -- $row
	between "${1:-0}" "$(lo $N)" $((N + 8))
	ok $? "where: $kind: one $kind mapping has $N..$((N + 8)) faults (${1:-none}, ${2:-?})"
done

# where, file: mmap of a file every page of which is read.  The pages are
# in the page cache, so each read fault maps up to 16 at once (fault-around,
# 64 KiB): N/16..N faults, all in the file's row.
dd if=/dev/zero of="$tmp/data" bs=4096 count=$N 2>/dev/null
"$P" where --csv -c "$T file $tmp/data $N" 0.2 > "$tmp/out.csv" 2> /dev/null
row=$(awk -F, '$5 == "file" && $11 ~ /data$/ {n += $8 + $9} END {print n + 0}' "$tmp/out.csv")
between "${row:-0}" $((N / 16)) $N
ok $? "where: file: $tmp/data mapped, $N pages read: ${row:-no} faults in its row ($((N / 16))..$N)"

# lat: N anonymous first touches are minor-anon; the quantiles are ordered
"$P" lat --csv -c "$T anon $N" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
# seq,secs,pid,comm,class,count,sum_ns,p50_ns,p99_ns,max_ns: a row per
# interval (a slow kernel spreads the N faults over several); each row's
# quantiles must be ordered
set -- $(awk -F, '$3 == 0 && $5 == "minor-anon" {n += $6; if (!($8 > 0 && $8 <= $9 && $9 <= $10)) bad++
	p50 = $8; p99 = $9; max = $10} END {print n + 0, bad + 0, p50, p99, max}' "$tmp/out.csv")
between "${1:-0}" "$(lo $N)" $((N + 64)) && [ "${2:-1}" = 0 ]
ok $? "lat: minor-anon count ${1:-0} (>= $N), p50 <= p99 <= max in every interval (${2:-?} not; last: ${3:-?} ${4:-?} ${5:-?} ns)"

# lat, COW: the child of 'cow N' writes N pages it shares with its parent
"$P" lat --csv -P -c "$T cow $N" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
child=$(sed -n 's/^pfw-touch: pid=\([0-9]*\).*/\1/p' "$tmp/err.txt" | head -n 1)
cow=$(awk -F, -v p="$child" '$3 == p && $5 == "cow" {n += $6} END {print n + 0}' "$tmp/out.csv")
between "${cow:-0}" "$(lo $N)" $((N + 16))
ok $? "lat: copy-on-write: the child ($child) took ${cow:-0} COW faults writing $N shared pages"

# code: the N faults are at one site in touch()
"$P" code --csv -c "$T anon $N" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
row=$(sed -n '2p' "$tmp/out.csv")
site=${row%%,*}; f=$(echo "$row" | cut -d, -f2)
case "$site" in touch+0x*" (pfw-touch)") r=0 ;; *) r=1 ;; esac
[ $r = 0 ] && between "${f:-0}" "$(lo $N)" $((N + 8))
ok $? "code: the top site is pfw-touch's touch(): '$site', ${f:-0} faults"

# merged by function (no offsets: flame graphs read it), and with --offsets
# each frame's address in its function
"$P" code --folded -c "$T anon $N" 0.2 > "$tmp/out.txt" 2> "$tmp/err.txt"
f=$(awk '$1 ~ /;touch$/ {s += $NF} END {print s + 0}' "$tmp/out.txt")
bad=$(awk 'NF < 2 || $NF !~ /^[0-9]+$/ || $1 ~ /\+0x/' "$tmp/out.txt" | wc -l)
"$P" code --folded --offsets -c "$T anon $N" 0.2 > "$tmp/out.txt" 2> "$tmp/err.txt"
fo=$(awk '$1 ~ /;touch\+0x[0-9a-f]+$/ {s += $NF} END {print s + 0}' "$tmp/out.txt")
between "$f" "$(lo $N)" $((N + 8)) && [ "$bad" = 0 ] && between "$fo" "$(lo $N)" $((N + 8))
ok $? "code --folded: stacks ending in touch() count $f, every line 'frames count' without offsets ($bad not); --offsets: $fo in touch+0x..."

# top: not a terminal, so one plain table per interval; a command that
# spins 1.2 s is in them (its CPU, and its faults at start)
"$P" top -c "$T spin 1200" 0.2 < /dev/null > "$tmp/out.txt" 2> /dev/null
tables=$(grep -c '^pftrace top:' "$tmp/out.txt")
grep -q '^PID .*MINOR/s' "$tmp/out.txt" && [ "$tables" -ge 3 ] && grep -q ' pfw-touch ' "$tmp/out.txt"
ok $? "top without a terminal: $tables plain tables (>= 3), pfw-touch among the faulting"

if [ "$mode" = host ]; then
	"$P" heat -o "$tmp/h.png" -c "$T anon $N" 0.2 > /dev/null 2> "$tmp/err.txt"
	sig=$(od -An -tx1 -N8 "$tmp/h.png" 2>/dev/null | tr -d ' \n')
	[ "$sig" = 89504e470d0a1a0a ] && grep -q "faults in .* mappings" "$tmp/err.txt"
	ok $? "heat: a PNG ($sig) of the faults: $(tail -n 1 "$tmp/err.txt")"
else
	# fexit sees get_user_pages: MAP_POPULATE's N faults have no #PF
	"$P" where --csv -c "$T populate $N" 0.2 > "$tmp/out.csv" 2> "$tmp/err.txt"
	g=$(awk -F, '$5 == "anon" {n[$6] += $10} END {for (a in n) print n[a]}' "$tmp/out.csv" | sort -n | tail -n 1)
	between "${g:-0}" "$(lo $N)" $((N + 8))
	ok $? "where, fexit: MAP_POPULATE of $N pages: ${g:-0} faults without a #PF"
fi

# -c ends when the command exits, not at the end of the interval: the
# last interval is the stretch up to the exit (was: the whole 30 s)
"$P" where --csv -c "$T anon 100" 30 > "$tmp/out.csv" 2> "$tmp/err.txt"
last=$(awk -F, 'NR > 1 {s = $2} END {print s + 0}' "$tmp/out.csv")
awk -v s="$last" 'BEGIN {exit !(s > 0 && s < 15)}'
ok $? "where -c with a 30 s interval ends when the command exits: last interval ${last} s"

out=$("$P" bogus 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'unknown view'
ok $? "an unknown view: usage error, exit 2 ($rc)"
out=$("$P" where --folded 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'folded is for the code view'
ok $? "--folded outside code: usage error, exit 2 ($rc)"
exit $fail
