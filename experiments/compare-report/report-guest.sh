#!/bin/sh
# The guest half of `make compare-report` (busybox ash, in the VM; copied
# to /extra by mk/compare.mk).  Runs every scenario and the bench with
# --out, then prints each output file between "@@PFC-FILE name@@" and
# "@@PFC-END@@" lines, which experiments/compare-report/report.py splits on the host.
# Progress goes to the console as it happens.
#   SCALE (full|test), REPS (bench repetitions), BENCH (scenario name)
set -u
SCALE=${SCALE:-full} REPS=${REPS:-5} BENCH=${BENCH:-threads}
out=/tmp/pfc-report
rm -rf "$out" && mkdir -p "$out" || exit 1
echo 1 > /proc/sys/kernel/printk		# keep kernel lines out of the files
insmod /pfprof/mp3.ko || exit 1
[ -f /extra/crc32c_generic.ko ] && insmod /extra/crc32c_generic.ko 2>/dev/null
echo "@@PFC-STEP run@@ pfcompare run all --scale $SCALE --out $out"
t0=$(date +%s)
pfcompare run all --scale "$SCALE" --out "$out" > "$out/run.txt"
run_rc=$?
t1=$(date +%s)
grep -E '^  RESULT' "$out/run.txt"
echo "@@PFC-STEP bench@@ pfcompare bench --scenario $BENCH --scale $SCALE --reps $REPS --out $out"
pfcompare bench --scenario "$BENCH" --scale "$SCALE" --reps "$REPS" --out "$out" > "$out/bench.txt"
bench_rc=$?
t2=$(date +%s)
cat "$out/bench.txt"
{
	echo "run_rc=$run_rc bench_rc=$bench_rc run_s=$((t1 - t0)) bench_s=$((t2 - t1))"
	echo "scale=$SCALE reps=$REPS bench=$BENCH"
	echo "kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
	grep -m1 'model name' /proc/cpuinfo
	grep -q crc32c /proc/modules && echo "crc32c=loaded" || echo "crc32c=absent"
	echo "stats:"; cat /proc/mp3/stats
} > "$out/guest-info.txt"
for f in "$out"/*; do
	echo "@@PFC-FILE ${f##*/}@@"
	cat "$f"
	echo "@@PFC-END@@"
done
[ "$run_rc" = 0 ] && [ "$bench_rc" = 0 ]
