#!/bin/bash
# 15-abi32: a 32-bit (i386, -m32) reader decodes the buffer exactly as a
# 64-bit one does.  abi32_mkbuf (64-bit) writes files laid out byte for
# byte as mp3.ko lays out its buffer (header at byte 393216, records of
# four 64-bit words, stamps at 397312; values above 2^32); the reader
# library with a small reader (abi32_reader) and monitor, each built -m64
# and -m32, must print what was written: the header, every sample the
# follower reaches, the -1 drain's samples, and refuse a header whose
# record_size is not 32.  Needs gcc-multilib (tools/install/deps.sh).
cd "$(dirname "$0")/../.." || exit 1
n=0 fail=0 plan=14
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
# show where $1 (expected) and $2 (got) first differ
differ() { diff "$1" "$2" | head -4 | sed 's/^/# /'; }
echo "1..$plan"
A=build/abi32
out=$(make -C tests abi32 2>&1); rc=$?
[ $rc = 0 ]; ok $? "reader library, abi32_reader and monitor build with -m64 and -m32 (-Wall -Wextra -Werror)"
if [ $rc != 0 ]; then
	echo "$out" | tail -5 | sed 's/^/# /'
	echo "# (gcc -m32 needs gcc-multilib)"
	while [ $n -lt $plan ]; do ok 1 "not run: the -m32 build failed"; done
	exit 1
fi
# ELF class byte: 1 = 32-bit, 2 = 64-bit
[ "$(od -An -tx1 -j4 -N1 $A/abi32_reader32 | tr -d ' ')" = 01 ] &&
	[ "$(od -An -tx1 -j4 -N1 $A/monitor32 | tr -d ' ')" = 01 ]
ok $? "abi32_reader32 and monitor32 are 32-bit programs"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir "$t/full" "$t/gap" "$t/bad"
$A/abi32_mkbuf "$t/full" 0 && $A/abi32_mkbuf "$t/gap" 37 && $A/abi32_mkbuf "$t/bad" 0 16 ||
	{ echo "# abi32_mkbuf failed"; exit 1; }

for b in 64 32; do
	# The follower (library) on a full, wrapped ring: 11999 samples.
	cat "$t/full/hdr.exp" "$t/full/follow.exp" > "$t/exp"
	$A/abi32_reader$b "$t/full/buf" > "$t/got" 2>&1
	cmp -s "$t/exp" "$t/got"; r=$?
	ok $r "$b-bit reader: header and 11999 followed samples as written (values above 2^32)"
	[ $r = 0 ] || differ "$t/exp" "$t/got"

	# The follower across 36 slots a -1 reader consumed: counted lost.
	cat "$t/gap/hdr.exp" "$t/gap/follow.exp" > "$t/exp"
	$A/abi32_reader$b "$t/gap/buf" > "$t/got" 2>&1
	cmp -s "$t/exp" "$t/got"; r=$?
	ok $r "$b-bit reader: 36 consumed slots counted lost, never printed as samples"
	[ $r = 0 ] || differ "$t/exp" "$t/got"

	# monitor -f -x prints the same samples.
	grep -v '^lost ' "$t/full/follow.exp" > "$t/exp"
	$A/monitor$b -d "$t/full/buf" -f -x -t 0.3 > "$t/got" 2> "$t/err"
	cmp -s "$t/exp" "$t/got" && grep -q ' lost=0 ' "$t/err"; r=$?
	ok $r "$b-bit monitor -f -x: the same 11999 samples, lost=0"
	[ $r = 0 ] || { differ "$t/exp" "$t/got"; sed 's/^/# /' "$t/err"; }

	# The -1 protocol (monitor without -f) on a private copy, run twice.
	for k in full gap; do
		cp "$t/$k/buf" "$t/copy"
		{ $A/monitor$b -d "$t/copy"; $A/monitor$b -d "$t/copy"; } > "$t/got" 2>&1
		cmp -s "$t/$k/drain.exp" "$t/got"; r=$?
		case $k in
		full) d="12000 samples from slot 0, wrapping" ;;
		gap) d="11963 samples around 37 consumed slots, in two runs" ;;
		esac
		ok $r "$b-bit monitor -1 drain: $d"
		[ $r = 0 ] || differ "$t/$k/drain.exp" "$t/got"
	done

	# A header that does not describe 32-byte records is refused.
	$A/abi32_reader$b "$t/bad/buf" > "$t/got" 2>&1; r1=$?
	$A/monitor$b -d "$t/bad/buf" -f -t 0.1 > "$t/got2" 2>&1; r2=$?
	[ $r1 = 3 ] && [ $r2 = 1 ] && grep -q 'record_size 16' "$t/got2"; r=$?
	ok $r "$b-bit reader and monitor -f refuse a header with record_size 16 (exit $r1, $r2)"
	[ $r = 0 ] || sed 's/^/# /' "$t/got" "$t/got2" | head -6
done
exit $fail
