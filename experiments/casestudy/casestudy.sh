#!/bin/bash
# Run the MP3 case studies in the VM and make their plots.
#
# USAGE: experiments/casestudy/casestudy.sh [--quick] [--check]
#   --quick  the scaled-down variant `make test` runs (about 1 minute)
#   --check  print TAP and fail unless the runs show what they must
# Output: build/case-studies[-quick]/ (PNG plots, .dat series, summary.md,
# summary.json, guest.txt = everything the guest printed).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick="" check="" out=$top/build/case-studies
for a in "$@"; do
	case "$a" in
	--quick) quick=--quick; out=$top/build/case-studies-quick ;;
	--check) check=--check ;;
	*) echo "usage: $0 [--quick] [--check]" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
echo "casestudy: booting the VM (2 GiB RAM, 4 GiB swap disk); progress follows" >&2
# The guest script comes from this tree (--extra), not from a payload built
# before it was last edited; mp3.ko and the binaries come from the payload.
"$top/tools/vm/run.sh" --mem 2048 --swap 4096 --timeout 5400 \
	--extra "$top/experiments/casestudy" \
	"sh /extra/casestudy-guest.sh $quick" > "$out/guest.txt"
python3 "$top/experiments/casestudy/casestudy.py" "$out/guest.txt" "$out" $check
echo "casestudy: plots and tables in $out" >&2
