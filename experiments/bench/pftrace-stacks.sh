#!/bin/bash
# pftrace-stacks.sh - the share of faults whose stack is complete (it
# reaches _start, main or a thread's clone), per program of the corpus
# (tests/bpf/corpus-progs.sh), for pftrace's two unwinders and, if
# given, an older pftrace binary (judged from its --folded output by the
# same rule: its outermost frame an entry).  docs/pftrace.md, "Stacks".
#
# USAGE: sudo experiments/bench/pftrace-stacks.sh [RUNS] [OLD_PFTRACE]
#   e.g. git worktree add /tmp/old e05cc24 && make -C /tmp/old/bpf pftrace
#        sudo experiments/bench/pftrace-stacks.sh 3 /tmp/old/bpf/pftrace
RUNS=${1:-3} OLD=${2:-}
NEW=$(cd "$(dirname "$0")/../.." && pwd)/bpf/pftrace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../tests/bpf/corpus-progs.sh
. "$(dirname "$0")/../../tests/bpf/corpus-progs.sh"
progs=("xz-T2|xz -T2 -6 -c $tmp/text" "${progs[@]}")

# the share of FOLDED's faults whose outermost frame is an entry
old_share() {
	python3 - "$1" <<'PY'
import sys
E = {"_start", "__libc_start_main", "__libc_start_call_main", "main", "clone",
     "__clone", "clone3", "__clone3", "start_thread"}
tot = ok = 0
for l in open(sys.argv[1], errors="replace"):
    l = l.rstrip("\n")
    if " " not in l:
        continue
    st, n = l.rsplit(" ", 1)
    fr = st.split(";")
    tot += int(n)
    if len(fr) > 1 and fr[1].split("+0x")[0].split("@")[0] in E:
        ok += int(n)
print("%.1f" % (100.0 * ok / tot if tot else 0))
PY
}
# the share pftrace says itself: "stacks (HOW): C of N complete"
new_share() {
	grep -ao "stacks ([a-z]*): [0-9]* of [0-9]*" "$1" | awk '{printf "%.1f", $4 ? 100 * $3 / $5 : 0}'
}

echo "# $0 $*: $(git -C "$(dirname "$0")" rev-parse --short HEAD), $(date -u +%F), Linux $(uname -r), $(nproc) CPUs"
printf "%-20s %-20s %-20s %-20s\n" program "${OLD:+old }${OLD:-(no old binary)}" fp dwarf
echo "program,run,old,fp,dwarf" > "$tmp/shares.csv"
for p in "${progs[@]}"; do
	name=${p%%|*} cmd=${p#*|}
	o="" f="" d=""
	for i in $(seq "$RUNS"); do
		echo "# $name run $i of $RUNS" >&2
		os=""
		if [ -n "$OLD" ]; then
			"$OLD" code --folded -c "$cmd" > "$tmp/o" 2> /dev/null
			os=$(old_share "$tmp/o")
		fi
		"$NEW" code --call-graph fp --folded -c "$cmd" > "$tmp/o" 2> "$tmp/e"
		fs=$(new_share "$tmp/e")
		"$NEW" code --folded -c "$cmd" > "$tmp/o" 2> "$tmp/e"
		ds=$(new_share "$tmp/e")
		o="$o $os" f="$f $fs" d="$d $ds"
		echo "$name,$i,$os,$fs,$ds" >> "$tmp/shares.csv"
	done
	printf "%-20s %-20s %-20s %-20s\n" "$name" "${o# }" "${f# }" "${d# }"
done
echo "# CSV:"
cat "$tmp/shares.csv"
