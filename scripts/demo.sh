#!/bin/bash
# `make demo`: boot the VM, run the demo in it, save what it printed under
# build/demo/, and print the samples' summary.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/demo
mkdir -p "$out"
echo "demo: booting the VM (TCG, about 6 s), then ~30 s of work..."
"$top/vm/run.sh" --mem "${MEM:-2048}" --swap "${SWAP:-1024}" \
	"sh /pfprof/scripts/demo-guest.sh" | tee "$out/guest.txt"
awk -v dir="$out" '/^=== /{f=dir "/" $2 ".txt"; next} f {print > f}' "$out/guest.txt"
echo
echo "demo: samples in $out/samples.txt, summary in $out/summary.txt"
