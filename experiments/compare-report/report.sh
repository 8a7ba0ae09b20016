#!/bin/bash
# experiments/compare-report/report.sh - `make compare-report` (mk/compare.mk): boot the VM,
# run every pfcompare scenario and the overhead bench there, bring the
# output files back over the console, run the witness-only bench natively
# on this host (configs A and C; the module cannot load here), and write
# build/report/report.md with its PNGs (experiments/compare-report/report.py, gnuplot).
#   COMPARE_SCALE=full|test (default full)   COMPARE_REPS (default 11)
#   COMPARE_BENCH (scenario, default threads) COMPARE_HOST_BENCH=0 skips
#   the native bench.  MEM/SWAP as for tools/vm/run.sh.  docs/compare.md.
# Exit 0 when the report is written (failed scenarios are marked in it
# and listed at the end); 1 if the VM or the report failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/report
scale=${COMPARE_SCALE:-full} reps=${COMPARE_REPS:-11} bench=${COMPARE_BENCH:-threads}
case "$scale" in full|test) ;; *) echo "compare-report: COMPARE_SCALE must be full or test" >&2; exit 2 ;; esac
case "$reps" in ''|*[!0-9]*) echo "compare-report: COMPARE_REPS must be a number" >&2; exit 2 ;; esac
step() { printf '\n=== compare-report [%s] %s\n' "$1" "$2"; }
rm -rf "$out" && mkdir -p "$out/extra" "$out/host" || exit 1
cp "$top/experiments/compare-report/report-guest.sh" "$out/extra/"

# ext4 (which mounts the filemap scenario's ext2) needs the crc32c driver,
# which the initramfs lacks: bring it along when the kernel has it.
eval "$(sh "$top/tools/vm/kernel.sh")" 2>/dev/null
crc=$(find "${KMODDIR:-/nonexistent}/kernel/crypto" -name 'crc32c_generic.ko*' 2>/dev/null | head -n 1)
case "$crc" in
*.xz) xz -dc "$crc" > "$out/extra/crc32c_generic.ko" ;;
*.zst) zstd -qdc "$crc" > "$out/extra/crc32c_generic.ko" ;;
?*) cp "$crc" "$out/extra/crc32c_generic.ko" ;;
esac

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')   tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null)"
	echo "VM:   pfcompare run all --scale $scale --out DIR"
	echo "      pfcompare bench --scenario $bench --scale $scale --reps $reps --out DIR"
	echo "      (tools/vm/run.sh --mem ${MEM:-2048} --swap ${SWAP:-1024}, 2 vCPUs, TCG)"
} > "$out/meta.txt"

step 1/3 "VM: every scenario at scale $scale, then the bench ($reps repetitions of A B C D); ~2 min"
t0=$(date +%s)
: > "$out/console.txt"
# Show the guest's progress, not the files it prints for the host.
"$top/tools/vm/run.sh" --mem "${MEM:-2048}" --swap "${SWAP:-1024}" --timeout 900 --extra "$out/extra" -- \
	"SCALE=$scale REPS=$reps BENCH=$bench sh /extra/report-guest.sh" > "$out/console.txt" 2>&1 &
vm=$!
tail -n +1 -F --pid=$vm "$out/console.txt" 2>/dev/null | while IFS= read -r line; do
	case "$line" in
	*@@PFC-FILE*) skip=1 ;;
	*@@PFC-END@@*) skip=0 ;;
	*) [ "${skip:-0}" = 1 ] || printf '%s\n' "$line" ;;
	esac
done
wait $vm
vrc=$?
echo "compare-report: VM finished in $(( $(date +%s) - t0 )) s (status $vrc)"
python3 "$top/experiments/compare-report/report.py" split "$out/console.txt" "$out/guest" || {
	echo "compare-report: no files came back from the VM (status $vrc); console in $out/console.txt" >&2
	exit 1
}
case "$vrc" in 124|125|126)
	echo "compare-report: the VM run failed (status $vrc: 124 timeout, 125 kernel splat, 126 guest died)" >&2
	exit 1 ;;
esac

step 2/3 "host: witness-only bench natively (configs A and C)"
if [ "${COMPARE_HOST_BENCH:-1}" = 0 ]; then
	echo "COMPARE_HOST_BENCH=0" > "$out/host/skipped.txt"
elif [ "$(id -u)" != 0 ]; then
	echo "not root" > "$out/host/skipped.txt"
elif [ ! -x "$top/bpf/pfwitness" ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "no bpf/pfwitness or no kernel BTF" > "$out/host/skipped.txt"
else
	echo "pfcompare bench --configs AC --scenario $bench --scale $scale --reps $reps" >> "$out/meta.txt"
	PATH=$top/compare/bin:$top/bpf:$PATH "$top/compare/bin/pfcompare" bench --configs AC \
		--scenario "$bench" --scale "$scale" --reps "$reps" --out "$out/host" \
		> "$out/host/bench.txt" 2> "$out/host/bench.err"
	hrc=$?
	cat "$out/host/bench.txt"
	if [ $hrc != 0 ]; then
		echo "pfcompare bench failed natively (exit $hrc): $(tail -n 1 "$out/host/bench.err")" > "$out/host/skipped.txt"
		rm -f "$out/host/bench.json"
		cat "$out/host/skipped.txt"
	fi
fi

step 3/3 "report: markdown and gnuplot PNGs"
cp "$out/meta.txt" "$out/guest/meta.txt"
python3 "$top/experiments/compare-report/report.py" build "$out/guest" "$out/host" || exit 1
# The report and its plots at build/report/ (the raw files stay in guest/).
mv "$out/guest"/*.png "$out/guest/report.md" "$out/"
fails=$(grep -c '^  RESULT .*FAIL' "$out/guest/run.txt" 2>/dev/null)
echo "compare-report: $out/report.md ($(find "$out" -maxdepth 1 -name "*.png" | wc -l) PNGs; raw JSON/CSV/recordings in $out/guest)"
[ "${fails:-0}" = 0 ] || echo "compare-report: $fails scenario(s) FAILED; see the report's findings"
exit 0
