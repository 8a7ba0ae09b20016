#!/bin/sh
# 36-witness-corpus: the witness on real programs (tests/bpf/witness/corpus.sh).
cd "$(dirname "$0")/../.." || exit 1
exec bash tests/bpf/witness/corpus.sh bpf/pfwitness 20
