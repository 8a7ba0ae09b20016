#!/bin/sh
# 39-exporter-churn: pftrace serve under process churn and fault load
# (docs/metrics.md, "Churn").  tests/bpf/pfchurn forks 64 processes a
# second for 60 s, each faulting 64 pages, beside a loader faulting
# without pause; pftrace serve -c traces it with only 256 BPF rows
# (hidden --max-rows), so that the 3840 processes must reuse rows, while
# Debian's prometheus scrapes every second, two more clients scrape every
# 0.2 s and a third stalls mid-request throughout.  Then the counts must be
# the kernel's (each child's wait4) exactly, in pftrace's JSON and in
# Prometheus; no event lost, no counter reset, the series bounded; every
# sample Prometheus scraped one of pftrace's folds, rate() pftrace's own
# rate; every scrape answered.  PF_CHURN_SECS shortens the run (for a
# quick look; the test's figures are for the default 60).
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
P=$top/bpf/pftrace C=$top/tests/bpf/pfchurn
RATE=64 SECS=${PF_CHURN_SECS:-60} PAGES=64 ROWS=256
NT=14
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
skip_all() {
	echo "1..$NT"
	i=1
	while [ $i -le $NT ]; do echo "ok $i churn check $i # SKIP $1"; i=$((i + 1)); done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "not root (BPF tracing)"
for b in prometheus curl python3; do
	command -v $b > /dev/null || skip_all "no $b (tools/install/deps.sh installs it)"
done
cd "$top/tests/bpf" || exit 1
. "$top/tests/lib/tap.sh"
build_or_bail "pfchurn does not build" pfchurn
[ -x "$P" ] || { echo "not ok - $P is not built (make -C bpf)"; exit 1; }

tmp=$(mktemp -d /tmp/pfprof-churn.XXXXXX) || exit 1
. "$top/tests/lib/prom.sh"
spid= bg=
cleanup() {
	for p in $spid $bg; do kill "$p" 2> /dev/null; done
	for p in $spid $bg; do wait "$p" 2> /dev/null; done
	prom_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

prom_ports
echo "1..$NT"
echo "# exporter 127.0.0.1:$EP, prometheus 127.0.0.1:$PP, in $tmp"
prom_start "127.0.0.1:$EP"

# pfchurn lingers 4 s after its last child, so the last scrapes see the final counts
"$P" serve --listen "127.0.0.1:$EP" --max-rows $ROWS --jsonl \
	-c "$C $RATE $SECS $PAGES 1 4" > "$tmp/run.jsonl" 2> "$tmp/serve.err" &
spid=$!
up() { curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$EP/metrics"; }
wait_for 15 up
ok $? "pftrace serve --max-rows $ROWS -c 'pfchurn $RATE $SECS $PAGES 1 4' answers on /metrics"
start=$(date +%s)

# two scrapers every 0.2 s until the churn's end (pfchurn's line), and a
# client that stalls mid-request (again every 4 s: the server drops a
# connection 5 s after accepting it)
for i in 1 2; do
	(while ! grep -q '^pfchurn: kids=' "$tmp/serve.err" && kill -0 $spid 2> /dev/null; do
		curl -s --max-time 2 -o /dev/null -w '%{http_code} %{time_total}\n' \
			"http://127.0.0.1:$EP/metrics" >> "$tmp/scrapes$i.txt"
		sleep 0.2
	done) &
	bg="$bg $!"
done
python3 -c 'import socket, sys, time, os
while True:
    try:
        os.kill(int(sys.argv[2]), 0)
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        time.sleep(4)
        s.close()
    except Exception:
        break' "$EP" "$spid" &
bg="$bg $!"
wait_for 30 prom_target_up
ok $? "Prometheus (127.0.0.1:$PP) has the exporter as a target, up"

i=0
while kill -0 $spid 2> /dev/null && [ $i -lt $((SECS + 60)) ]; do
	sleep 1
	i=$((i + 1))
	[ $((i % 15)) = 0 ] && echo "# churn: ${i} s of about $((SECS + 5))"
done
wait $spid
src=$?
spid=
end=$(date +%s)
sed -n 's/^\(pf[a-z]*: .*\)/# \1/p' "$tmp/serve.err"
line=$(grep '^pfchurn: kids=' "$tmp/serve.err")
val() { echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
kids=$(val kids) kf=$(val kid_faults) lf=$(val load_faults) late=$(val late)
kc=$(val kid_cpu_us) lc=$(val load_cpu_us)
[ $src = 0 ] && [ "$kids" = $((RATE * SECS)) ] && [ "$kids" -gt $ROWS ]
ok $? "the churn ran: $kids processes (${late:-?} of their deadlines late), more than the $ROWS rows; serve exit $src"

# j PY-EXPR: on the last JSON line (s) and all of them (L); ser(comm): its series
j() {
	python3 -c 'import json, sys
L = [json.loads(x) for x in open(sys.argv[1]) if x.startswith("{")]; s = L[-1]
ser = lambda c: [x for x in s["series"] if x["comm"] == c]
cls = ("minor-anon", "minor-file", "major-file", "major-swap", "cow")
tot = lambda c: sum(x[k] for x in ser(c) for k in cls)
print(eval(sys.argv[2]))' "$tmp/run.jsonl" "$1"
}
jk=$(j 'tot("pfchurn-kid")') jp=$(j 'sum(x["procs"] for x in ser("pfchurn-kid"))')
[ -n "$kf" ] && [ "$jk" = "$kf" ] && [ "$jp" = "$kids" ]
ok $? "pftrace: the children's faults $jk = their wait4 $kf (exact), in $jp processes = $kids"
jl=$(j 'tot("pfchurn-load")')
[ -n "$lf" ] && [ "$jl" = "$lf" ]
ok $? "pftrace: the loader's faults $jl = its wait4 $lf (exact)"
# CPU time: wait4's user + system (the scheduler's runtime, scaled) against
# what BPF read when each thread was freed: within 1% and 10 ms
jkc=$(j 'sum(x["cpu_s"] for x in ser("pfchurn-kid"))') jlc=$(j 'sum(x["cpu_s"] for x in ser("pfchurn-load"))')
near() {
	python3 -c 'import sys; a, us = float(sys.argv[1]), int(sys.argv[2]) / 1e6
sys.exit(0 if us > 0 and abs(a - us) <= 0.01 * us + 0.01 else 1)' "$1" "${2:-0}" 2> /dev/null
}
near "$jkc" "$kc" && near "$jlc" "$lc"
ok $? "pftrace: CPU seconds of the children $jkc (wait4 $kc us), of the loader $jlc (wait4 $lc us)"
ru=$(j 's["rows_reused"]')
! grep -q 'events not counted' "$tmp/serve.err" && [ "$ru" -ge $((kids - ROWS)) ]
ok $? "no event lost for want of a row: $ru rows reused (at least $kids - $ROWS)"

sel='comm="pfchurn-kid"'
pk=$(q "sum(max_over_time(pfprof_faults_total{$sel}[10m]))")
pl=$(q "sum(max_over_time(pfprof_faults_total{comm=\"pfchurn-load\"}[10m]))")
pc=$(q "sum(max_over_time(pfprof_cpu_seconds_total{$sel}[10m]))")
[ "$pk" = "$kf" ] && [ "$pl" = "$lf" ] && near "$pc" "$kc"
ok $? "Prometheus: the children's faults $pk and the loader's $pl, each its wait4 (exact); the children's CPU $pc s"
lost=$(q 'max_over_time(pfprof_tracer_events_lost_total[10m])')
rs=$(q 'sum(resets(pfprof_faults_total[10m])) + sum(resets(pfprof_cpu_seconds_total[10m]))')
[ "$lost" = 0 ] && [ "$rs" = 0 ]
ok $? "Prometheus: pfprof_tracer_events_lost_total $lost, counter resets $rs"
ns=$(q 'max_over_time(pfprof_series[10m])')
[ "$ns" = 4 ]
ok $? "the series stay bounded: $ns label sets ([other], pfchurn's pid, the children's, the loader's) for $kids processes"

# every sample scraped is one of pftrace's folds (minor-anon of the children)
curl -s --max-time 5 --data-urlencode "query=pfprof_faults_total{$sel,class=\"minor-anon\"}[10m]" \
	"http://127.0.0.1:$PP/api/v1/query" > "$tmp/raw.json"
python3 -c 'import json, sys
raw = json.load(open(sys.argv[1]))["data"]["result"][0]["values"]
L = [json.loads(x) for x in open(sys.argv[2]) if x.startswith("{")]
folds = {sum(x["minor-anon"] for x in s["series"] if x["comm"] == "pfchurn-kid") for s in L}
bad = [v for t, v in raw if int(v) not in folds]
print("# %d samples scraped, %d folds, %d samples not a fold" % (len(raw), len(folds), len(bad)))
sys.exit(0 if len(raw) >= 5 and not bad else 1)' "$tmp/raw.json" "$tmp/run.jsonl"
ok $? "every sample Prometheus scraped of the children's minor-anon is one of pftrace's folds"

# rate() over a third of the run (20 s), two thirds in, against pftrace's
# own rate there (its folds, each with the time it was made)
W=$((SECS / 3)) tm=$((start + 2 * SECS / 3 + 2))
pr=$(q "sum(rate(pfprof_faults_total{$sel,class=\"minor-anon\"}[${W}s]))" "$tm")
jr=$(python3 -c 'import json, sys
L = [json.loads(x) for x in open(sys.argv[1]) if x.startswith("{")]
pts = [(s["time"], sum(x["minor-anon"] for x in s["series"] if x["comm"] == "pfchurn-kid")) for s in L]
def at(t):
    for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
        if t0 <= t <= t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
t, w = float(sys.argv[2]), float(sys.argv[3]); print("%.1f" % ((at(t) - at(t - w)) / w))' "$tmp/run.jsonl" "$tm" "$W" 2> /dev/null)
python3 -c 'import sys; p, j = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if j > 0 and abs(p - j) <= 0.05 * j else 1)' "${pr:-0}" "${jr:-0}" 2> /dev/null
ok $? "Prometheus rate() of the children's faults over $W s: $pr/s, pftrace's folds: $jr/s (within 5%)"

# every scrape answered, the stalled client notwithstanding
python3 -c 'import sys
rows = [l.split() for f in sys.argv[1:] for l in open(f)]
codes = [r[0] for r in rows]; t = sorted(float(r[1]) for r in rows)
print("# %d scrapes by the two clients: median %.1f ms, max %.1f ms" % (len(t), 1e3 * t[len(t) // 2], 1e3 * t[-1]))
sys.exit(0 if len(rows) >= 20 and all(c == "200" for c in codes) else 1)' "$tmp"/scrapes?.txt
ok $? "the two 0.2 s scrapers: every scrape 200, a client stalled mid-request meanwhile"
# (from when the exporter answered to 2 s before it stopped)
dur=$((end - start - 2))
sc=$(q "count_over_time(up[${dur}s])" $((end - 2)))
mu=$(q "min_over_time(up[${dur}s])" $((end - 2)))
md=$(q "max_over_time(scrape_duration_seconds[${dur}s])" $((end - 2)))
[ "$mu" = 1 ] && [ "${sc:-0}" != none ] && [ "${sc%.*}" -ge $((dur / 2)) ]
ok $? "Prometheus: every scrape up (min $mu, $sc scrapes over $dur s, the longest $md s)"
exit $fail
