#!/bin/bash
# Run case study 3 (VM mechanisms: copy-on-write, demand paging against
# prefetching, the page cache and readahead, huge pages) in the VM, under
# mp3.ko and pfwitness at once, and make its plots and checks
# (docs/case-studies.md, "Case study 3").
#
# USAGE: experiments/casestudy/casestudy3.sh [--quick] [--check] [--wrong[=KEY,...]]
#   --quick  the scaled-down variant `make test` runs (N = 4096 pages
#            instead of 65536, a 2048-page file instead of 32768; the same
#            256 MiB for huge pages)
#   --check  print TAP and fail unless every prediction holds
#   --wrong  check against deliberately wrong predictions (to see the
#            checks fail); KEYs in experiments/casestudy/casestudy3.py, WRONG
# Output: build/case-study3[-quick]/ (cs3-*.png, the .dat series behind
# them, summary.md, summary.json, guest.txt = everything the guest printed).
# Environment: PFPROF_PAYLOAD (default build/payload), CS3_MEM (guest MiB,
# default 2048).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick="" pyargs=() out=$top/build/case-study3
for a in "$@"; do
	case "$a" in
	--quick) quick=--quick; out=$top/build/case-study3-quick ;;
	--check) pyargs+=(--check) ;;
	--wrong|--wrong=*) pyargs+=("$a") ;;
	*) echo "usage: $0 [--quick] [--check] [--wrong[=KEY,...]]" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
mem=${CS3_MEM:-2048}
echo "casestudy3: booting the VM ($mem MiB RAM, no swap); progress follows" >&2
# The guest script comes from this tree (--extra), not from a payload built
# before it was last edited; mp3.ko and the binaries come from the payload.
set +e
"$top/tools/vm/run.sh" --payload "${PFPROF_PAYLOAD:-$top/build/payload}" --mem "$mem" \
	--timeout 1800 --extra "$top/experiments/casestudy" \
	"sh /extra/casestudy3-guest.sh $quick" | tee "$out/guest.txt" |
	grep --line-buffered '^casestudy3:' >&2
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
	echo "casestudy3: the VM run failed (tools/vm/run.sh exit status $rc); output in $out/guest.txt" >&2
	exit "$rc"
fi
python3 "$top/experiments/casestudy/casestudy3.py" "$out/guest.txt" "$out" "${pyargs[@]}"
echo "casestudy3: plots and tables in $out" >&2
