#!/bin/sh
# 41-compare-cmd: `pfcompare run -- CMD` on the host's own kernel.  A script
# running `xz -T2 -6` on 4 MB of base64 (a child process with two threads)
# is run RUNS times (default 20): every witness source must say PASS each
# time, the JSON must parse and its totals equal the wait4 rusage pfcompare
# reports, the recording must re-judge the same, and a doctored recording
# must fail.  Usage errors exit 2; a command that does not exist 127, one
# that cannot be executed 126; the command's own failure is reported, not
# judged.  Without the mp3 module (this host's kernel cannot load modules)
# a run exits 3 and says the module is not loaded.  docs/compare.md,
# "Validating your own program".
# PFCOMPARE=path runs another binary; RUNS=N changes the number of runs.
cd "$(dirname "$0")/../.." || exit 1
pfc=${PFCOMPARE:-compare/bin/pfcompare}
runs=${RUNS:-20}
total=11
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip_all() {
	while [ $n -lt $total ]; do n=$((n + 1)); echo "ok $n run -- CMD # SKIP $1"; done
	exit 0
}
echo "1..$total"
tmp=$(mktemp -d /tmp/pfc-cmd.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

[ -x "$pfc" ] || { echo "not ok 1 $pfc is not built (make -C compare)"; exit 1; }
[ "$(id -u)" = 0 ] || skip_all "not root (pfwitness needs CAP_BPF and CAP_PERFMON)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "no kernel BTF (/sys/kernel/btf/vmlinux)"
[ -x bpf/pfwitness ] || skip_all "bpf/pfwitness is not built (make -C bpf)"
command -v xz >/dev/null || skip_all "no xz"
command -v python3 >/dev/null || skip_all "no python3"
PATH=$PWD/bpf:$PATH
export PATH

head -c 3000000 /dev/urandom | base64 > "$tmp/data.b64"
cat > "$tmp/xz.sh" <<EOF
#!/bin/sh
xz -T2 -6 -c $tmp/data.b64 > /dev/null
EOF
chmod +x "$tmp/xz.sh"
# with the module loaded a run passes with 0, without it with 3
want=3
[ -e /proc/mp3/status ] && want=0

# $runs runs; per run: exit status, VERDICT lines, JSON, wait4 numbers
bad_rc=0 bad_verdict=0 bad_json=0 bad_totals=0 i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	d=$tmp/run$i
	"$pfc" run --out "$d" -- "$tmp/xz.sh" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	[ $rc = $want ] || { echo "# run $i: exit $rc, want $want"; bad_rc=$((bad_rc + 1)); }
	for s in perf_event tracepoint sched_switch ru; do
		grep -q "VERDICT $s  *PASS\$" "$tmp/out" || {
			echo "# run $i: $(grep "VERDICT $s" "$tmp/out")"
			grep -E '^  FAIL' "$tmp/out" | sed 's/^/# /'
			bad_verdict=$((bad_verdict + 1))
		}
	done
	python3 -m json.tool "$d/command.json" > /dev/null 2>&1 ||
		{ echo "# run $i: command.json does not parse"; bad_json=$((bad_json + 1)); }
	# JSON totals = the command's wait4 = the numbers on stderr (and > xz's)
	w=$(sed -n 's/.*wait4 rusage minflt=\([0-9]*\) majflt=\([0-9]*\).*/\1 \2/p' "$tmp/err")
	python3 - "$d/command.json" "$w" <<'EOF' || bad_totals=$((bad_totals + 1))
import json, sys
d = json.load(open(sys.argv[1]))
mn, mj = (int(x) for x in sys.argv[2].split())
t, w = d["totals"], d["command"]["wait4"]
ok = (t["truth_min"] == w["minflt"] == mn and t["truth_maj"] == w["majflt"] == mj
      and t["witness"]["ru_min"] == mn and mn > 10000)
if not ok:
    print("# totals %d/%d, wait4 %d/%d, stderr %d/%d, ru %d" % (t["truth_min"], t["truth_maj"],
          w["minflt"], w["majflt"], mn, mj, t["witness"]["ru_min"]))
sys.exit(0 if ok else 1)
EOF
	[ $((i % 5)) = 0 ] && echo "# $i/$runs runs done" >&2
done
ok $bad_rc "$runs runs of run -- xz.sh: exit $want each ($bad_rc differ)"
ok $bad_verdict "$runs runs: VERDICT perf_event, tracepoint, sched_switch, ru PASS each ($bad_verdict not)"
ok $bad_json "$runs runs: command.json parses (python3 -m json.tool) ($bad_json not)"
ok $bad_totals "$runs runs: JSON totals = its wait4 = stderr's wait4 line = ru, xz's faults in ($bad_totals not)"

# the last run again: the module's state said plainly
if [ $want = 3 ]; then
	grep -q 'pfcompare: the mp3 module is not loaded' "$tmp/err" &&
		grep -q 'VERDICT module  *NOT LOADED' "$tmp/out" &&
		grep -q '"module_loaded":false' "$d/command.json"
	ok $? "no module: said on stderr, in the table and in the JSON"
else
	grep -q 'VERDICT module  *PASS$' "$tmp/out"
	ok $? "module loaded: VERDICT module PASS"
fi

# the recording re-judged: same verdicts; doctored (ru +5): fails
"$pfc" check "$d/command.rec" > "$tmp/chk" 2>&1
rc=$?
[ $rc = $want ] && [ "$(grep VERDICT "$tmp/chk")" = "$(grep VERDICT "$tmp/out")" ]
ok $? "check command.rec: exit $rc, the same VERDICT lines"
awk '/^proc / { $33 += 5 } { print }' "$d/command.rec" > "$tmp/bad.rec"
"$pfc" check "$tmp/bad.rec" > "$tmp/chk" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'VERDICT ru  *FAIL' "$tmp/chk" && grep -q 'differs from the ground truth by +5' "$tmp/chk"
ok $? "doctored recording (ru_min +5): exit $rc, VERDICT ru FAIL"

# usage errors: exit 2 with the usage
r=0
for a in "run --" "run --bogus -- true" "bench --" "run all -- true" "list -- true"; do
	# shellcheck disable=SC2086
	"$pfc" $a > /dev/null 2> "$tmp/err"
	rc=$?
	{ [ $rc = 2 ] && grep -q USAGE "$tmp/err"; } || { echo "# pfcompare $a: exit $rc"; r=1; }
done
"$pfc" run -- sh -c 'echo a b' > /dev/null 2> "$tmp/err"
rc=$?
{ [ $rc = 2 ] && grep -q 'holds a blank' "$tmp/err"; } || { echo "# argument with a blank: exit $rc"; r=1; }
ok $r "usage errors (no command after --, unknown option, blank in an argument) exit 2"

# commands that cannot run: 127 not found, 126 not executable
"$pfc" run -- /nonexistent/pfc-cmd > /dev/null 2> "$tmp/err"
rc=$?
[ $rc = 127 ] && grep -q "cannot run /nonexistent/pfc-cmd: No such file" "$tmp/err"
ok $? "a path that does not exist: exit $rc (127), says so"
"$pfc" run -- pfc-no-such-command > /dev/null 2> "$tmp/err"
rc1=$?
printf 'x\n' > "$tmp/noexec"
"$pfc" run -- "$tmp/noexec" > /dev/null 2> "$tmp/err2"
rc2=$?
[ $rc1 = 127 ] && grep -q 'not found in \$PATH' "$tmp/err" && [ $rc2 = 126 ] &&
	grep -q 'Permission denied' "$tmp/err2"
ok $? "a name not in PATH: exit $rc1 (127); not executable: exit $rc2 (126)"

# the command's own failure is reported, not judged
"$pfc" run -- false > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc = $want ] && grep -q 'INFO .*exited with status 1 (the command' "$tmp/out" &&
	grep -q 'false exited with status 1' "$tmp/err"
ok $? "run -- false: exit $rc, its status 1 reported as INFO"
exit $fail
