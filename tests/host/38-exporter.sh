#!/bin/sh
# 38-exporter: pftrace serve, the Prometheus exporter (docs/metrics.md).
# Debian's prometheus scrapes it every second on 127.0.0.1 while a -c
# script runs pfw-touch three times (3000 pages each), then spins 1.5 s; then Prometheus's
# HTTP API must give what pftrace printed for the same run (its --json):
# pfw-touch's faults exactly (a finished process), the latency quantiles
# within their log2 bucket, no counter reset.  Besides: promtool check
# metrics on a scrape, the shipped rules (check and unit test), the HTTP
# edges (OpenMetrics by Accept, 404, 405, concurrent scrapes, a stalled
# client), a fake mp3.ko (--mp3-dir), --max-series folding, and the usage
# errors (busy port, bad address, bad --labels: exit 2).  Everything it
# starts is stopped, and its files removed, by the trap.
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
P=$top/bpf/pftrace T=$top/tests/bpf/pfw-touch R=$top/tools/prometheus
N=3000
NT=29
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip_all() {
	echo "1..$NT"
	i=1
	while [ $i -le $NT ]; do echo "ok $i exporter check $i # SKIP $1"; i=$((i + 1)); done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "not root (BPF tracing)"
for b in prometheus promtool curl python3; do
	command -v $b > /dev/null || skip_all "no $b (tools/install/deps.sh installs it)"
done
cd "$top/tests/bpf" || exit 1
. "$top/tests/lib/tap.sh"
build_or_bail "pfw-touch does not build" pfw-touch
[ -x "$P" ] || { echo "not ok - $P is not built (make -C bpf)"; exit 1; }

tmp=$(mktemp -d /tmp/pfprof-exporter.XXXXXX) || exit 1
. "$top/tests/lib/prom.sh"
spid= slow=
cleanup() {
	for p in $spid $slow; do kill "$p" 2> /dev/null; done
	for p in $spid $slow; do wait "$p" 2> /dev/null; done
	prom_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

prom_ports
echo "1..$NT"
echo "# exporter 127.0.0.1:$EP, prometheus 127.0.0.1:$PP, in $tmp"

# j PY-EXPR: evaluated on the run's JSON document (d), its serve object (s)
j() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); s = d["intervals"][-1]
ser = lambda c: [x for x in s["series"] if x["comm"] == c]
print(eval(sys.argv[2]))' "$tmp/run.json" "$1"
}

# ---- Prometheus, scraping the exporter every second ----
prom_start "127.0.0.1:$EP"

# ---- the exporter on a script that waits for "go", then faults ----
mkdir "$tmp/mp3"
printf 'samples_written 40\nsamples_overwritten 2\nhandler_runs 41\ndeadlines_missed 3\nhandler_last_ns 1500\nhandler_avg_ns 1200\nhandler_max_ns 9000\nperiod_ns 50000000\nregistrations 1\n' \
	> "$tmp/mp3/stats"
cat > "$tmp/work.sh" <<EOF
#!/bin/sh
echo \$\$ > $tmp/cmd.pid
while [ ! -e $tmp/go ]; do sleep 0.1; done
$T anon $N > $tmp/touch1.txt 2>&1
sleep 1.5
$T anon $N > $tmp/touch2.txt 2>&1
sleep 1.5
$T anon $N > $tmp/touch3.txt 2>&1
$T spin 1500 > $tmp/touch4.txt 2>&1
sleep 4
EOF
chmod +x "$tmp/work.sh"
start=$(date +%s)
"$P" serve --listen "127.0.0.1:$EP" --mp3-dir "$tmp/mp3" --json -c "$tmp/work.sh" \
	> "$tmp/run.json" 2> "$tmp/serve.err" &
spid=$!
up() { curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$EP/metrics"; }
wait_for 15 up
ok $? "pftrace serve answers on 127.0.0.1:$EP/metrics"

# the fake module's tasks: the -c command, 100000 faults since registration
wait_for 5 test -s "$tmp/cmd.pid"
cpid=$(cat "$tmp/cmd.pid")
printf 'pid min_flt maj_flt cpu_ns tick_ns base_min_flt base_maj_flt base_cpu_ns base_tick_ns comm\n%s 100000 0 1 1 0 0 0 0 work.sh\n' \
	"$cpid" > "$tmp/mp3/tasks"

# ---- the page itself ----
curl -s "http://127.0.0.1:$EP/metrics" > "$tmp/m.txt"
promtool check metrics < "$tmp/m.txt" > "$tmp/lint.txt" 2>&1
rc=$?
sed 's/^/# promtool: /' "$tmp/lint.txt"
[ $rc = 0 ] && [ ! -s "$tmp/lint.txt" ]
ok $? "promtool check metrics finds no problem in a scrape ($(grep -vc '^#' "$tmp/m.txt") samples)"
curl -s -D "$tmp/om.h" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5' \
	"http://127.0.0.1:$EP/metrics" > "$tmp/om.txt"
grep -qi '^content-type: application/openmetrics-text' "$tmp/om.h" &&
	[ "$(tail -n 1 "$tmp/om.txt")" = "# EOF" ] &&
	grep -q '^# TYPE pfprof_faults counter' "$tmp/om.txt" &&
	grep -q '^pfprof_faults_total{' "$tmp/om.txt"
ok $? "Accept: openmetrics-text gets OpenMetrics (its content type, counter families without _total, # EOF)"
c404=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EP/")
c405=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$EP/metrics")
[ "$c404" = 404 ] && [ "$c405" = 405 ]
ok $? "GET / is 404 ($c404), POST /metrics is 405 ($c405)"
grep -q '^pfprof_mp3_up 1$' "$tmp/m.txt" && grep -q '^pfprof_mp3_passes_total 41$' "$tmp/m.txt" &&
	grep -q '^pfprof_mp3_deadlines_missed_total 3$' "$tmp/m.txt" &&
	grep -q '^pfprof_mp3_samples_overwritten_total 2$' "$tmp/m.txt" &&
	grep -q '^pfprof_mp3_pass_max_seconds 0.000009000$' "$tmp/m.txt"
ok $? "a fake /proc/mp3 (--mp3-dir): its stats as pfprof_mp3_* (passes 41, missed 3, overwritten 2, max 9 us)"

# a client that sends half a request and stalls holds up no one; 8 at once all served
python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\n"); time.sleep(30)' "$EP" &
slow=$!
sleep 0.3
t0=$(date +%s%N)
i=0
while [ $i -lt 8 ]; do
	curl -s --max-time 3 -o "$tmp/c$i.txt" -w '%{http_code}\n' "http://127.0.0.1:$EP/metrics" \
		> "$tmp/code$i.txt" &
	i=$((i + 1))
done
wait_for 10 sh -c "[ \$(cat $tmp/code*.txt 2>/dev/null | grep -c '^200$') = 8 ]"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] && [ $ms -lt 3000 ]
ok $? "8 concurrent scrapes, a client stalled mid-request meanwhile: all 200 in $ms ms"
kill $slow 2> /dev/null; wait $slow 2> /dev/null; slow=

# ---- Prometheus: the target up, then the run ----
wait_for 30 prom_target_up
ok $? "Prometheus (127.0.0.1:$PP) has the exporter as a target, up"
touch "$tmp/go"
# the fake module now counts 500 faults more than when first seen: once
# Prometheus has scraped the drift the exporter took as its baseline
drift_scraped() { [ "$(q "count_over_time(pfprof_mp3_fault_drift{pid=\"$cpid\"}[1m])")" != none ]; }
wait_for 15 drift_scraped
printf 'pid min_flt maj_flt cpu_ns tick_ns base_min_flt base_maj_flt base_cpu_ns base_tick_ns comm\n%s 100500 0 1 1 0 0 0 0 work.sh\n' \
	"$cpid" > "$tmp/mp3/tasks.new" && mv "$tmp/mp3/tasks.new" "$tmp/mp3/tasks"
wait_for 60 sh -c "! kill -0 $spid 2>/dev/null"
wait $spid
src=$?
spid=
sed -n 's/^\(pftrace: .*\)/# \1/p' "$tmp/serve.err"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/run.json" 2> /dev/null
ok $(( $? + src )) "pftrace serve --json -c ran to the command's end, exit $src, one JSON document"

# pfw-touch's own count (getrusage before its exit) against pftrace's
mine=0
for f in "$tmp"/touch?.txt; do
	m=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$f")
	mine=$((mine + ${m:-0}))
done
jt=$(j 'sum(sum(x[c] for c in ("minor-anon","minor-file","major-file","major-swap","cow")) for x in ser("pfw-touch"))')
[ "$mine" -ge $((3 * N)) ] && [ "$jt" -ge "$mine" ] && [ "$jt" -le $((mine + 3 * 16)) ]
ok $? "pftrace's pfw-touch series: $jt faults, pfw-touch's own getrusage $mine (+ its exit's)"

sel='comm="pfw-touch"'
pt=$(q "sum(max_over_time(pfprof_faults_total{$sel}[10m]))")
[ "$pt" = "$jt" ]
ok $? "Prometheus: pfw-touch's faults, every class, $pt = pftrace's $jt (exact)"
pa=$(q "sum(max_over_time(pfprof_faults_total{$sel,class=\"minor-anon\"}[10m]))")
ja=$(j 'sum(x["minor-anon"] for x in ser("pfw-touch"))')
[ "$pa" = "$ja" ] && [ "$ja" -ge $((3 * N)) ]
ok $? "Prometheus: pfw-touch's minor-anon $pa = pftrace's $ja (>= 3 x $N)"
pp=$(q "max_over_time(pfprof_processes_total{$sel}[10m])")
[ "$pp" = 4 ]
ok $? "Prometheus: 4 pfw-touch processes in one series, exited ones kept ($pp)"
# CPU: the four pfw-touch processes' own schedstat (each read at its end)
# against the series' CPU seconds: BPF's reading of each thread when it is
# freed, so each process's exit (unmapping its pages) on top: within 5% + 20 ms
sched=0
for f in "$tmp"/touch?.txt; do
	v=$(sed -n 's/.*sched_ns=\([0-9]*\).*/\1/p' "$f")
	sched=$((sched + ${v:-0}))
done
pc=$(q "max_over_time(pfprof_cpu_seconds_total{$sel}[10m])")
python3 -c 'import sys; p, s = float(sys.argv[1]), int(sys.argv[2]) / 1e9
sys.exit(0 if s >= 0.3 and s <= p <= s * 1.05 + 0.02 else 1)' "$pc" "$sched" 2> /dev/null
ok $? "Prometheus: pfw-touch's CPU seconds $pc, its four processes' own schedstat $((sched / 1000000)) ms (+0..5% + 20 ms)"
rs=$(q "sum(resets(pfprof_faults_total[10m])) + sum(resets(pfprof_cpu_seconds_total[10m]))")
[ "$rs" = 0 ]
ok $? "no counter went backwards over the run (resets: $rs)"
lo=$(q "sum(min_over_time(pfprof_faults_total{$sel}[10m]))")
inc=$(q "sum(increase(pfprof_faults_total{$sel}[10m]))")
python3 -c 'import sys; lo, hi, inc = map(float, sys.argv[1:4])
sys.exit(0 if hi - lo - 1 <= inc <= hi * 1.25 else 1)' "$lo" "$pt" "$inc" 2> /dev/null
ok $? "Prometheus: increase() of pfw-touch's faults $inc within [last - first, 1.25 last] = [$((pt - lo)), $pt]"
pid_s=$(q "sum(max_over_time(pfprof_faults_total{pid=\"$cpid\"}[10m]))")
jc=$(j "sum(sum(x[c] for c in ('minor-anon','minor-file','major-file','major-swap','cow')) for x in s['series'] if x['pid'] == $cpid)")
nopid=$(q "count(max_over_time(pfprof_faults_total{$sel,pid!=\"\"}[10m]))")
[ "$pid_s" != none ] && [ "$pid_s" -le "$jc" ] && [ "$pid_s" -gt 0 ] && [ "$nopid" = none ]
ok $? "only the -c command has a pid label (pid $cpid: $pid_s faults, pftrace $jc; pfw-touch: none)"
# from 0 when first seen, the drift rises by the 500 the fake module
# added, less what pftrace counted of the command since
dmax=$(q "max_over_time(pfprof_mp3_fault_drift{pid=\"$cpid\"}[10m])")
dmin=$(q "min_over_time(pfprof_mp3_fault_drift{pid=\"$cpid\"}[10m])")
python3 -c 'import sys; hi, lo, f = map(int, sys.argv[1:4])
sys.exit(0 if lo <= 0 and 500 - f <= hi <= 500 and hi > 0 else 1)' "$dmax" "$dmin" "$pid_s" 2> /dev/null
ok $? "pfprof_mp3_fault_drift of the registered -c command: $dmin when first seen, then $dmax after a fake module's 500 more (500 less its $pid_s faults at most)"
tf=$(q "max_over_time(pfprof_tracer_faults_total[10m])")
jf=$(j 'd["accounting"]["faults"]')
[ "$tf" != none ] && [ "$tf" -le "$jf" ] && [ "$tf" -ge $((jf - 200)) ]
ok $? "Prometheus: faults counted $tf, pftrace's accounting $jf (its last fold may be after the last scrape)"

# quantiles: histogram_quantile over the scraped buckets, in pftrace's log2 bucket
for qq in 0.5 0.99; do
	k=p50_ns; [ $qq = 0.99 ] && k=p99_ns
	pq=$(q "histogram_quantile($qq, sum by (le) (max_over_time(pfprof_fault_latency_seconds_bucket{class=\"minor-anon\"}[10m])))")
	jq_=$(j "[h for h in s['hists'] if h['class'] == 'minor-anon'][0]['$k']")
	python3 -c 'import math, sys; p, j = float(sys.argv[1]) * 1e9, float(sys.argv[2])
lo = 2 ** math.floor(math.log2(j)); sys.exit(0 if lo <= p * 1.0001 and p <= 2 * lo * 1.0001 else 1)' \
		"$pq" "$jq_" 2> /dev/null
	ok $? "histogram_quantile($qq) of minor-anon: $pq s, pftrace's $k $jq_ ns: the same log2 bucket"
done
ts=$(q "sum(max_over_time(pfprof_bpf_runs_total[10m]))")
[ "$ts" != none ] && [ "$ts" -gt 0 ]
ok $? "pfprof_bpf_runs_total: the programs ran $ts times (run time counted while serving)"
echo "# the run: $(($(date +%s) - start)) s"

# ---- the shipped rules ----
promtool check rules "$R/rules.yml" > "$tmp/rules.txt" 2>&1
ok $? "promtool check rules tools/prometheus/rules.yml"
(cd "$R" && promtool test rules rules_test.yml) > "$tmp/rtest.txt" 2>&1
rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$tmp/rtest.txt"
ok $rc "promtool test rules tools/prometheus/rules_test.yml"

# ---- --max-series: the rest folded into [other], no fault lost ----
"$P" serve --listen "127.0.0.1:$EP" --max-series 1 --json -c "$T cow 200" \
	> "$tmp/fold.json" 2> "$tmp/fold.err"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); s = d["intervals"][-1]
cls = ("minor-anon", "minor-file", "major-file", "major-swap", "cow")
tot = sum(x[c] for x in s["series"] for c in cls)
oth = [x for x in s["series"] if x["comm"] == "[other]"][0]
print("# folded %d, [other] %d faults, total %d, counted %d" % (s["folded"], sum(oth[c] for c in cls), tot, d["accounting"]["faults"]))
sys.exit(0 if len(s["series"]) == 2 and s["folded"] >= 1 and sum(oth[c] for c in cls) > 0 and tot == d["accounting"]["faults"] else 1)' \
	"$tmp/fold.json"
ok $? "--max-series 1 on pfw-touch cow (parent and child): the child folded into [other], every fault in a series"

# ---- -p: the named process has a pid label (its page, while it is traced) ----
sleep 30 &
slow=$!
"$P" serve --listen "127.0.0.1:$EP" -p $slow 0.3 4 > /dev/null 2> "$tmp/p.err" &
spid=$!
wait_for 10 sh -c "curl -s http://127.0.0.1:$EP/metrics | grep -q '^pfprof_faults_total{comm=\"sleep\",cgroup=\"[^\"]*\",pid=\"$slow\",class=\"cow\"} 0\$'"
ok $? "-p PID (a sleep): its series carries pid=\"$slow\""
wait $spid; spid=
kill $slow 2> /dev/null; wait $slow 2> /dev/null; slow=

# ---- usage errors: exit 2, with a message ----
"$P" serve --listen "127.0.0.1:$PP" -c true > /dev/null 2> "$tmp/e1.txt"
rc=$?
sed -n '1s/^/# /p' "$tmp/e1.txt"
[ $rc = 2 ] && grep -q "cannot listen on 127.0.0.1:$PP: Address already in use" "$tmp/e1.txt"
ok $? "--listen on a busy port (Prometheus's): exit $rc, says so"
bad=0
for a in 127.0.0.1:99999 127.0.0.1:-1 256.1.1.1:80 localhost:80 127.0.0.1 ::1:80 '[::1]:x'; do
	"$P" serve --listen "$a" -c true > /dev/null 2> "$tmp/e2.txt"
	rc=$?
	if [ $rc != 2 ] || ! grep -qF "bad address $a" "$tmp/e2.txt"; then
		echo "# --listen $a: exit $rc: $(head -n 1 "$tmp/e2.txt")"
		bad=1
	fi
done
ok $bad "--listen with a bad address (port 99999, port -1, 256.1.1.1, a name, no port, ::1 unbracketed, port x): exit 2, 'bad address'"
"$P" serve --listen "127.0.0.1:$EP" --labels comm,pid -c true > /dev/null 2> "$tmp/e3.txt"
rc=$?
"$P" serve -c true > /dev/null 2> "$tmp/e4.txt"
rc4=$?
[ $rc = 2 ] && grep -q 'invalid --labels: comm,pid' "$tmp/e3.txt" &&
	[ $rc4 = 2 ] && grep -q 'serve needs --listen' "$tmp/e4.txt"
ok $? "--labels comm,pid and a missing --listen: exit 2 ($rc, $rc4), each says why"
"$P" lat --listen "127.0.0.1:$EP" -c true > /dev/null 2> "$tmp/e5.txt"
rc=$?
[ $rc = 2 ] && grep -q -- '--listen is for the serve view, not lat' "$tmp/e5.txt"
ok $? "--listen with another view: exit $rc, '--listen is for the serve view, not lat'"
exit $fail
