#!/bin/sh
# 34-heat: the heat map of faults, address x time.  First bpf/trace/heatmap.c alone
# (tests/bpf/trace/heatmap_test, drawing with gnuplot): every fault in the .dat
# once, in its band's rows, a diagonal kept a diagonal, PNGs in linear and
# log colour, 2000 mappings folded down to the busiest.  Then pftrace heat
# on pfw-touch's 2000 one-page mappings, with -c and on every process: a
# PNG, the busiest mappings in bands of their own, the rest folded into
# "other", and every fault received drawn.
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
P=$top/bpf/pftrace T=$top/tests/bpf/pfw-touch
M=2000		# pfw-touch's mappings
B=24		# pftrace heat's default bands
cd "$top/tests/bpf" || exit 1
. "$top/tests/lib/tap.sh"
build_or_bail "heatmap_test or pfw-touch does not build" trace/heatmap_test pfw-touch
dir=$(mktemp -d /tmp/pfprof-heat.XXXXXX) || exit 1

# heatmap_test's TAP, then ours, numbered on from it, under one plan (its
# plan and version line dropped)
./trace/heatmap_test "$dir" > "$dir/unit.tap"
urc=$?
k=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$dir/unit.tap")
k=${k:-0}
echo "1..$((k + 11))"
grep -v -e '^1\.\.' -e '^TAP version' "$dir/unit.tap"
[ "$urc" = 0 ] || [ "$k" = 0 ] || grep -q '^not ok' "$dir/unit.tap" ||
	echo "# heatmap_test exited with $urc"
n=$k fail=$urc
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
is_png() { [ "$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# pftrace's summary, e.g.
#   pftrace: 2093 faults in 2019 mappings -> x.png: 24 in bands of their own,
#   1995 folded into other (1995 faults); 2093 received, 0 lost (ring buffer full)
# into $drawn $maps $bands $folded $ffaults $recvd $lost
summary() {
	grep '^pftrace: .*faults' "$1" | sed 's/^/# /'
	set -- $(sed -n 's/^pftrace: \([0-9]*\) faults in \([0-9]*\) mappings -> .*: \([0-9]*\) in bands of their own, \([0-9]*\) folded into other (\([0-9]*\) faults); \([0-9]*\) received, \([0-9]*\) lost .*/\1 \2 \3 \4 \5 \6 \7/p' "$1")
	drawn=${1:--1} maps=${2:--1} bands=${3:--1} folded=${4:--1}
	ffaults=${5:--1} recvd=${6:--1} lost=${7:--1}
}
# The sum of a .dat's cells; its "other" band's label.
dat_sum() {
	[ -f "$1" ] || { echo -1; return; }
	awk '!/^#/ {for (i = 1; i <= NF; i++) s += $i} END {printf "%.0f\n", s}' "$1"
}
dat_other() { sed -n 's/^# band [0-9]* [0-9]* [0-9a-f]* [0-9a-f]* [0-9]* \(other.*\)/\1/p' "$1" 2>/dev/null; }
# Mappings named $2 with one fault each, drawn or folded, in .dat $1.
dat_ones() {
	awk -v l="$2" '($2 == "band" && $7 == 1 && substr($0, index($0, $8)) == l) ||
		($2 == "folded" && $5 == 1 && substr($0, index($0, $6)) == l) {n++}
		END {print n + 0}' "$1" 2>/dev/null || echo -1
}

if [ ! -x "$P" ]; then
	for i in 1 2 3 4 5 6 7 8 9 10 11; do ok 1 "bpf/pftrace is not built (make -C bpf)"; done
	exit 1
fi

# -c: pfw-touch maps M, its M one-page mappings and its own few
"$P" heat -o "$dir/c.png" -c "$T maps $M" > "$dir/c.out" 2> "$dir/c.err"
rc=$?
is_png "$dir/c.png"
ok $(( $? || rc )) "heat -c 'pfw-touch maps $M': exit $rc, a PNG$( [ $rc = 0 ] || printf ': %s' "$(tail -n 1 "$dir/c.err")")"
summary "$dir/c.err"
[ "$maps" -ge $M ] && [ "$bands" = $B ] && [ "$folded" = $((maps - B)) ] &&
	[ "$ffaults" -ge $((M - B)) ]
ok $? "heat -c: $maps mappings (>= $M): the busiest $bands in bands of their own ($B), $folded folded into other ($((maps - B))) with $ffaults faults (>= $((M - B)))"
sum=$(dat_sum "$dir/c.dat") other=$(dat_other "$dir/c.dat")
[ "$drawn" = "$recvd" ] && [ "$sum" = "$recvd" ] && [ "$lost" = 0 ] && [ "$drawn" -ge $M ]
ok $? "heat -c: $recvd faults received, $drawn drawn, $sum in the .dat's cells, $lost lost (all equal, 0 lost, >= $M)"
ones=$(dat_ones "$dir/c.dat" "[anon]")
[ "$other" = "other ($folded mappings)" ] && [ "$ones" -ge $M ]
ok $? "heat -c: the .dat's other band is '$other'; $ones [anon] mappings with 1 fault listed (>= $M)"

# --bands: fewer bands of their own
"$P" heat --bands 5 -o "$dir/b.png" -c "$T maps $M" > "$dir/b.out" 2> "$dir/b.err"
rc=$?
summary "$dir/b.err"
is_png "$dir/b.png" && [ $rc = 0 ] && [ "$bands" = 5 ] && [ "$folded" = $((maps - 5)) ] &&
	[ "$maps" -ge $M ] && [ "$drawn" = "$recvd" ]
ok $? "heat --bands 5: exit $rc, $bands bands of their own, $folded of $maps mappings folded ($((maps - 5))), $drawn of $recvd faults drawn"

# every process, while pfw-touch makes its M mappings: started once
# pftrace has attached (it says which method it uses)
"$P" heat -o "$dir/all.png" 1 2 > "$dir/all.out" 2> "$dir/all.err" &
ppid=$!
i=0
while ! grep -q '^pftrace: mappings:' "$dir/all.err" && kill -0 $ppid 2>/dev/null && [ $i -lt 500 ]; do
	sleep 0.02	# polling for pftrace to attach, not for a result
	i=$((i + 1))
done
"$T" maps $M > "$dir/touch.out" &
tpid=$!
wait $tpid
trc=$?
alive=0; kill -0 $ppid 2>/dev/null && alive=1
wait $ppid
rc=$?
[ $trc = 0 ] && [ $alive = 1 ]
ok $? "pfw-touch maps $M (pid $tpid) ran and exited ($trc) while pftrace heat on every process traced"
is_png "$dir/all.png"
ok $(( $? || rc )) "heat on every process: exit $rc, a PNG$( [ $rc = 0 ] || printf ': %s' "$(tail -n 1 "$dir/all.err")")"
summary "$dir/all.err"
[ "$maps" -ge $M ] && [ "$bands" = $B ] && [ "$folded" = $((maps - B)) ] &&
	[ "$ffaults" -ge $((M - B)) ]
ok $? "heat on every process: $maps mappings (>= $M): $bands in bands of their own ($B), $folded folded into other ($((maps - B))) with $ffaults faults"
sum=$(dat_sum "$dir/all.dat")
[ "$drawn" = "$recvd" ] && [ "$sum" = "$recvd" ] && [ "$drawn" -gt 0 ]
ok $? "heat on every process: $recvd faults received, $drawn drawn, $sum in the .dat's cells (all equal); $lost lost (ring buffer full)"
ones=$(dat_ones "$dir/all.dat" "[anon] (pfw-touch $tpid)")
[ "$ones" -ge $M ]
ok $? "heat on every process: pfw-touch's mappings with 1 fault in the .dat: $ones (>= $M)"
other=$(dat_other "$dir/all.dat")
[ "$other" = "other ($folded mappings)" ]
ok $? "heat on every process: the .dat's other band is '$other'"

if [ $fail = 0 ]; then
	rm -rf "$dir"
else
	echo "# its maps and logs are kept in $dir"
fi
exit $fail
