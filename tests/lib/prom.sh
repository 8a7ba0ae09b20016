# prom.sh - a real Prometheus server for the exporter's tests
# (tests/host/38-exporter.sh, 39-exporter-churn.sh).  Source it after
# setting $tmp (a directory the caller's trap removes); it kills the
# server itself only through prom_stop, which the caller's trap calls.
#
#   prom_ports            sets EP and PP: two free ports for the exporter
#                         and Prometheus (the kernel's choice)
#   prom_start TARGET     Prometheus on 127.0.0.1:$PP scraping TARGET
#                         (HOST:PORT) every second, its data under $tmp
#   prom_stop             stop it (idempotent)
#   q EXPR [TIME]         the first sample's value of an instant query (at
#                         TIME, Unix seconds; default now), or none
#   prom_target_up        true once every target is scraped and up
#   wait_for SECS CMD...  until CMD succeeds, polling every 0.2 s; its status

prom_pid=

prom_ports() {
	set -- $(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
	EP=$1 PP=$2
}

prom_start() {
	cat > "$tmp/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pfprof
    static_configs:
      - targets: ['$1']
EOT
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
		--web.listen-address="127.0.0.1:$PP" > "$tmp/prom.log" 2>&1 &
	prom_pid=$!
}

prom_stop() {
	[ -n "$prom_pid" ] || return 0
	kill "$prom_pid" 2> /dev/null
	wait "$prom_pid" 2> /dev/null
	prom_pid=
}

q() {
	curl -s --max-time 5 --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} \
		"http://127.0.0.1:$PP/api/v1/query" |
		python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")' 2> /dev/null || echo none
}

prom_target_up() {
	curl -s --max-time 2 "http://127.0.0.1:$PP/api/v1/targets" |
		python3 -c 'import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if t and all(x["health"] == "up" for x in t) else 1)' 2> /dev/null
}

wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.2
	done
}
