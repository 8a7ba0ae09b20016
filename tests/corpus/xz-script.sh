#!/bin/sh
# xz -T2 from a shell script (dash): compress, decompress, compare.
set -e
cd "${CORPUS_DATA:-/tmp/corpus}"
xz -T2 -3 --block-size=262144 -c xz.txt > script.xz
xz -T2 -d -c script.xz > script.out
cmp -s xz.txt script.out
rm -f script.xz script.out
