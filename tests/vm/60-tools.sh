#!/bin/sh
# 60-tools: the shipped programs end to end, the way the assignment uses
# them: `mknod node c 423 0`, two `work` processes, then `monitor` in the
# same directory.  The monitor's summed faults equal the works' own
# accounting, and its output has four numeric columns per line.
root=${PFPROF_ROOT:-/pfprof}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
echo "1..6"
rmmod mp3 2>/dev/null
insmod "$root/mp3.ko"; ok $? "insmod"
d=$(mktemp -d) && cd "$d" || exit 1
mknod node c 423 0; ok $? "mknod node c 423 0"
export PFPROF_WORK_ITER=8 PFPROF_WORK_SLEEP_MS=100
work 16 R 2000 > w1.txt &
p1=$!
work 16 L 5000 > w2.txt &
p2=$!
wait $p1 $p2
cat w1.txt w2.txt | sed 's/^/# /'
monitor > mon.txt 2> mon.err
ok $? "monitor exits 0"
bad=$(awk 'NF != 4 || $1 !~ /^[0-9]+$/' mon.txt | wc -l)
lines=$(wc -l < mon.txt)
[ "$bad" -eq 0 ] && [ "$lines" -gt 10 ]; ok $? "monitor printed $lines lines of four numbers"
wmin=$(cat w1.txt w2.txt | sed -n 's/.* registered minflt=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
mmin=$(awk '{s+=$2} END {print s+0}' mon.txt)
[ "$wmin" -gt 0 ] && [ "$wmin" -eq "$mmin" ]; ok $? "monitor's minor faults == works' getrusage ($mmin vs $wmin)"
again=$(monitor | wc -l)
[ "$again" -eq 0 ]; ok $? "a second monitor finds nothing (slots were set to -1)"
cd / && rm -rf "$d"
rmmod mp3
exit $fail
