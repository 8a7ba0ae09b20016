#!/bin/sh
# The guest half of `make demo` (busybox ash, in the VM): load the module,
# run two `work` processes under a following `monitor`, print the samples
# and a summary of totals (module vs the processes' own getrusage).
# Output sections start with "=== name" so the host can split them.
set -u
root=${PFPROF_ROOT:-/pfprof}
iters=${PFPROF_WORK_ITER:-20}
insmod "$root/mp3.ko" || exit 1
cd /tmp
mknod node c 423 0
echo "demo: mp3.ko loaded; /dev/mp3 and ./node are char 423:0" >&2
monitor -d node -f -x > samples.txt 2> monitor.err &
mon=$!
echo "demo: two works: 'work 128 R 20000' and 'work 128 L 20000', $iters iterations each" >&2
PFPROF_WORK_ITER=$iters work 128 R 20000 > w1.txt &
w1=$!
PFPROF_WORK_ITER=$iters work 128 L 20000 > w2.txt &
w2=$!
wait $w1 $w2
sleep 0.3
kill $mon; wait $mon 2>/dev/null
echo "=== samples (seq mono_ns jiffies minflt majflt cpu_ns)"
cat samples.txt
echo "=== works"
cat w1.txt w2.txt
echo "=== monitor"
cat monitor.err
echo "=== stats"
cat /proc/mp3/stats
echo "=== summary"
awk '{n++; mi+=$4; ma+=$5; c+=$6} END {printf "module  samples=%d minflt=%d majflt=%d cpu_ms=%.1f\n", n, mi, ma, c/1e6}' samples.txt
cat w1.txt w2.txt | awk '/ registered /{for(i=1;i<=NF;i++){split($i,kv,"="); v[kv[1]]+=kv[2]}} END {printf "getrusage       minflt=%d majflt=%d cpu_ms=%.1f\n", v["minflt"], v["majflt"], v["cpu_us"]/1e3}'
rmmod mp3
