#!/bin/sh
# 68-serve-mp3: pftrace serve beside the real mp3.ko (docs/metrics.md):
# the module's /proc/mp3/stats and the drift gauge of a registered
# process.  work registers itself and faults in four bursts with 700 ms
# of sleep between them, traced from its fork by `pftrace serve -m fexit
# -c` (fexit sees every fault the kernel accounts, get_user_pages
# included), while busybox wget scrapes /metrics every 0.3 s.  The
# module's passes must grow, registrations read 1 while work runs, and
# the drift of work's PID (the kernel's count, read live through
# /proc/mp3/tasks, minus pftrace's live row, from when first seen) must be
# 0 at most scrapes and never more than 1 away: the two count the same
# faults, and one may be in flight (counted by the kernel inside
# handle_mm_fault, by pftrace at its return) when the two are read.
root=${PFPROF_ROOT:-/pfprof}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
echo "1..7"
skip_rest() {
	while [ $n -lt 7 ]; do n=$((n + 1)); echo "ok $n serve-mp3 check $n # SKIP $1"; done
	exit 0
}
command -v wget > /dev/null || skip_rest "no wget in this busybox"
if ! pftrace serve --listen 127.0.0.1:0 -m fexit -c true > /dev/null 2> /tmp/probe.err; then
	sed 's/^/# /' /tmp/probe.err
	skip_rest "pftrace -m fexit cannot run on this kernel (above)"
fi
rmmod mp3 2> /dev/null
insmod "$root/mp3.ko"
ok $? "insmod mp3.ko"
d=$(mktemp -d) && cd "$d" || exit 1
PFPROF_WORK_ITER=4 PFPROF_WORK_SLEEP_MS=700 \
	pftrace serve --listen 127.0.0.1:9477 -m fexit -c "work 16 R 2000" 0.2 \
	> serve.out 2> serve.err &
sp=$!
i=0
while kill -0 $sp 2> /dev/null && [ $i -lt 200 ]; do
	wget -q -O - http://127.0.0.1:9477/metrics > "m$i.txt" 2> /dev/null || rm -f "m$i.txt"
	i=$((i + 1))
	sleep 0.3
done
wait $sp
rc=$?
# (work's own line is on serve's stdout, the command's)
sed -n 's/^\(pftrace: method.*\)/# \1/p; s/^\(work: .*registered.*\)/# \1/p' serve.err serve.out
ls m*.txt > /dev/null 2>&1
ok $(( rc + $? )) "pftrace serve -m fexit -c work ran (exit $rc), $(ls m*.txt 2> /dev/null | wc -l) scrapes"
up=$(cat m*.txt | grep -c '^pfprof_mp3_up 1$')
p1=$(grep -h '^pfprof_mp3_passes_total ' m*.txt | head -n 1 | awk '{print $2}')
p2=$(grep -h '^pfprof_mp3_passes_total ' m*.txt | tail -n 1 | awk '{print $2}')
[ "$up" -gt 3 ] && [ -n "$p1" ] && [ "$p2" -gt "$p1" ]
ok $? "the module's stats in every scrape (pfprof_mp3_up 1: $up), its passes grow ($p1 -> $p2)"
regs=$(cat m*.txt | grep -c '^pfprof_mp3_registrations 1$')
[ "$regs" -gt 3 ]
ok $? "pfprof_mp3_registrations 1 while work runs ($regs scrapes)"
wpid=$(sed -n 's/^work: pid=\([0-9]*\).*/\1/p' serve.out | head -n 1)
[ -n "$wpid" ] || wpid=$(grep -h 'pfprof_mp3_fault_drift{' m*.txt | sed -n 's/.*pid="\([0-9]*\)".*/\1/p' | head -n 1)
grep -h "^pfprof_mp3_fault_drift{pid=\"$wpid\"" m*.txt | awk '{print $2}' > drift.txt
nd=$(wc -l < drift.txt)
nz=$(grep -cv '^0$' drift.txt)
far=$(grep -cv '^-\{0,1\}[01]$' drift.txt)
sort drift.txt | uniq -c | sed 's/^ */# drift: /' | head -5
[ "$nd" -gt 3 ] && [ "$far" = 0 ] && [ $((2 * nz)) -le "$nd" ]
ok $? "pfprof_mp3_fault_drift of work ($wpid): 0 at $((nd - nz)) of $nd scrapes, never beyond +-1 ($far)"
# work's own getrusage since it registered, against pftrace's (since its fork)
reg=$(sed -n 's/.* registered minflt=\([0-9]*\).*/\1/p' serve.out | head -n 1)
faults=$(grep -h "^pfprof_faults_total{comm=\"work\"" m*.txt | tail -n 5 | awk '{s += $2} END {print s + 0}')
[ -n "$reg" ] && [ "$reg" -gt 0 ] && [ "$faults" -ge "$reg" ]
ok $? "work's faults in the last scrape, $faults, cover its own count since registering, ${reg:-?}"
cd / && rm -rf "$d"
rmmod mp3
ok $? "rmmod mp3"
exit $fail
