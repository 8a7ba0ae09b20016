#!/bin/bash
# dashboard.sh - the picture of the Grafana dashboard in docs/metrics.md,
# from a real run: Debian's prometheus scrapes pftrace serve (every
# process) every second while a mix of programs nobody here wrote and
# tests/bpf/pfchurn runs for about three minutes; then dashboard.py asks
# Prometheus for each panel of tools/grafana/pfprof-dashboard.json over
# the run and plots them.  As root, natively.
#
# USAGE: experiments/metrics/dashboard.sh [OUT.png]   (default docs/img/metrics-dashboard.png)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/docs/img/metrics-dashboard.png}
cd "$top"
make -s -C bpf
make -s -C tests/bpf pfw-touch pfchurn
tmp=$(mktemp -d /tmp/pfprof-dash.XXXXXX)
. tests/lib/prom.sh
spid=
cleanup() {
	[ -n "$spid" ] && kill -INT "$spid" 2> /dev/null && wait "$spid" 2> /dev/null
	prom_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
prom_ports
prom_start "127.0.0.1:$EP"
bpf/pftrace serve --listen "127.0.0.1:$EP" > /dev/null 2> "$tmp/serve.err" &
spid=$!
wait_for 20 prom_target_up || { cat "$tmp/serve.err" "$tmp/prom.log" >&2; exit 1; }
start=$(date +%s)
phase() { echo "dashboard: $(( $(date +%s) - start )) s: $*" >&2; }

head -c 48M /dev/urandom > "$tmp/data"
head -c 24M "$tmp/data" | base64 > "$tmp/text"
phase "xz -T2, sort --parallel=2 (3 times)"
for i in 1 2 3; do
	xz -T2 -6 -c "$tmp/data" > /dev/null
	sort --parallel=2 -S 64M "$tmp/text" > /dev/null
	sleep 5
done
phase "process churn: 32 a second for 40 s, beside a loader"
tests/bpf/pfchurn 32 40 256 1 > /dev/null
sleep 5
phase "python3: 8 threads building lists"
python3 -c '
import threading
def work():
    for _ in range(30):
        x = [bytearray(4096) for _ in range(20000)]
t = [threading.Thread(target=work) for _ in range(8)]
[x.start() for x in t]; [x.join() for x in t]'
sleep 5
phase "major faults: a 256 MiB file read through a mapping, page cache dropped (3 times)"
head -c 256M /dev/zero > "$tmp/file"
for i in 1 2 3; do
	sync; echo 3 > /proc/sys/vm/drop_caches
	tests/bpf/pfw-touch file "$tmp/file" 65536 > /dev/null
	sleep 5
done
phase "CPU: pfw-touch spin 20 s"
tests/bpf/pfw-touch spin 20000 > /dev/null
sleep 15
end=$(date +%s)
phase "done; plotting"
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- bpf tools/grafana || echo "+changes")
python3 experiments/metrics/dashboard.py "http://127.0.0.1:$PP" "$start" "$end" \
	tools/grafana/pfprof-dashboard.json "$out" \
	"pfprof dashboard, a real run: $(uname -r), $(nproc) CPUs, commit $commit (experiments/metrics/dashboard.sh)"
echo "reproduce: sudo experiments/metrics/dashboard.sh $out"
