#!/bin/bash
# nightly.sh - the lanes too slow for every CI run (docs/kernels.md, "CI
# and nightly"), one after another, each to its own log, then a table and
# the sum, "N passed, N failed".  `make test-nightly` runs it.
#
# USAGE: tools/ci/nightly.sh [LANE...]
#   LANE: matrix      make test-matrix (the VM tests on every Debian kernel)
#         debug       make test-debug and make test-debug-selftest (the
#                     KASAN/lockdep/kmemleak kernel; skipped, said, when no
#                     debug kernel is at hand)
#         arm64       make test-arm64, every VM test (CI runs a subset)
#   default: all three.  Logs in build/nightly/LANE.log.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
lanes=${*:-matrix debug arm64}
logs=build/nightly
mkdir -p "$logs"
total_p=0 total_f=0 table=""

# lane NAME MAKE-ARGS...: run it, take its "N passed, N failed" line
lane() {
	local name=$1 start rc line p f
	shift
	start=$(date +%s)
	echo "# nightly: $name: make $* (log: $logs/$name.log)"
	make "$@" > "$logs/$name.log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/$name.log" | tail -n 1)
	p=${line%% passed*} f=${line#*, } f=${f%% failed}
	if [ -z "$line" ]; then
		p=0 f=1	# no summary: the lane itself failed
		tail -n 20 "$logs/$name.log" | sed 's/^/#   /'
	elif [ $rc != 0 ] && [ "$f" = 0 ]; then
		f=1	# failed without a failed test: count it
	fi
	total_p=$((total_p + p)) total_f=$((total_f + f))
	table+="| $name | make $* | $p | $f | $(( $(date +%s) - start )) s |"$'\n'
}

for l in $lanes; do
	case "$l" in
	matrix) lane matrix test-matrix ;;
	debug)
		if make -s debug-kernel-available > /dev/null 2>&1; then
			lane debug test-debug
			lane debug-selftest test-debug-selftest
		else
			echo "# nightly: debug: SKIP no debug kernel ($(make -s debug-kernel-available 2>&1 | tail -n 1))"
		fi ;;
	arm64) lane arm64 test-arm64 ;;
	*) echo "nightly.sh: unknown lane $l (matrix, debug, arm64)" >&2; exit 2 ;;
	esac
done
echo
echo "| lane | command | passed | failed | time |"
echo "|---|---|---|---|---|"
printf '%s' "$table"
echo
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
