#!/bin/bash
# 00-check: kernel style and warnings.  checkpatch --strict on every kernel
# source, and every C file of the project compiles with -Wall -Wextra
# -Werror (each Makefile adds those flags; this rebuilds from scratch in a
# scratch copy so a stale object cannot hide a warning).
cd "$(dirname "$0")/../.." || exit 1
CP=${CHECKPATCH:-/usr/src/pfprof-checkpatch/scripts/checkpatch.pl}
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
ksrcs=$(git ls-files 'kmod/*.c' 'kmod/*.h' 'tests/broken/*.c')
echo "1..$(( $(echo "$ksrcs" | wc -w) + 3 ))"
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
out=$(make -C "$tmp/userspace" 2>&1); rc=$?
[ $rc = 0 ]; ok $? "userspace builds with -Wall -Wextra -Werror"
[ $rc = 0 ] || echo "$out" | tail -5 | sed 's/^/# /'
out=$(make -C "$tmp/tests" 2>&1); rc=$?
[ $rc = 0 ]; ok $? "tests build with -Wall -Wextra -Werror"
[ $rc = 0 ] || echo "$out" | tail -5 | sed 's/^/# /'
exit $fail
