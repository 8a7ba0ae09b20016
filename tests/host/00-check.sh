#!/bin/bash
# 00-check: kernel style and warnings.  checkpatch --strict on every kernel
# source, and every C file of the project compiles with -Wall -Wextra
# -Werror: each Makefile adds those flags, and the benchmarks' C files
# (built by their scripts) are compiled here with them.  It all rebuilds
# in a scratch copy, so that a stale object cannot hide a warning.
cd "$(dirname "$0")/../.." || exit 1
CP=${CHECKPATCH:-/usr/src/pfprof-checkpatch/scripts/checkpatch.pl}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
ksrcs=$(git ls-files 'kmod/*.c' 'kmod/*.h' 'tests/broken/*.c')
echo "1..$(( $(echo "$ksrcs" | wc -w) + 7 ))"
for f in $ksrcs; do
	out=$(perl "$CP" --no-tree -f --strict --quiet "$f" 2>&1)
	[ -z "$out" ]; ok $? "checkpatch --strict clean: $f"
	[ -n "$out" ] && echo "$out" | sed 's/^/# /'
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$tmp"
out=$(make -C "$tmp/kmod" 2>&1)
rc=$?
! echo "$out" | grep -qE 'warning:|error:' && [ $rc = 0 ]; ok $? "mp3.ko builds without warnings (-Werror via Kbuild)"
# build WHAT COMMAND...: one test
build() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	[ $rc = 0 ]; ok $? "$what: built with -Wall -Wextra -Werror"
	[ $rc = 0 ] || echo "$out" | tail -5 | sed 's/^/# /'
}
build "lib and userspace" make -C "$tmp/userspace"
build tests make -C "$tmp/tests"
build "the BPF tools (bpf/)" make -C "$tmp/bpf"
build "the BPF tools' tests (tests/bpf)" make -C "$tmp/tests/bpf" all syms trace/heatmap_test
build "compare/" make -C "$tmp/compare"
# experiments/bench: the C loads, and nullprog with its skeleton
bench() {
	local b=$tmp/experiments/bench o=$tmp/bench.out f d
	mkdir -p "$o" || return 1
	for f in "$b"/*.c; do
		case $f in */nullprog.c|*.bpf.c) continue ;; esac
		# as their scripts build them: _GNU_SOURCE unless the file defines it
		grep -q '^#define _GNU_SOURCE' "$f" && d= || d=-D_GNU_SOURCE
		gcc -O2 -Wall -Wextra -Werror $d -I"$tmp/lib" -I"$tmp/include" \
			-c -o "$o/x.o" "$f" || return 1
	done
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$tmp/bpf/vmlinux/x86" -Wall -Werror \
		-c -o "$o/nullprog.bpf.o" "$b/nullprog.bpf.c" &&
		bpftool gen skeleton "$o/nullprog.bpf.o" > "$o/nullprog.skel.h" &&
		gcc -O2 -Wall -Wextra -Werror -I"$o" -c -o "$o/x.o" "$b/nullprog.c"
}
build "experiments/bench's C files" bench
exit $fail
