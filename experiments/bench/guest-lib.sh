# shellcheck shell=bash
# guest-lib.sh - sourced by the benchmarks that run in the VM
# (experiments/bench/sampler-scale.sh, experiments/bench/transport.sh), which run under `set -e`:
# how busy the shared host is, read before and after one watched VM run.

# qemus: how many QEMU processes run now.
qemus() { pgrep -c -f '^qemu-system-x86_64 ' || true; }

# host_state: the host's load average and how many other QEMUs run.
host_state() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(qemus) other QEMU running"; }

# guest_run OUT HIDE VM-RUN-ARGS...: one tools/vm/run.sh, its output into
# OUT/guest.txt and, but for lines matching the regex HIDE (none if empty),
# on stderr indented; meanwhile every 5 s the number of other QEMUs goes to
# OUT/host-qemus.txt.  Sets vrc (tools/vm/run.sh's exit status) and host_after
# (the load then, and in how many checks another QEMU ran beside).
# shellcheck disable=SC2034 # vrc, host_after: for the caller
guest_run() {
	local out=$1 hide=$2 mon
	shift 2
	( while sleep 5; do echo $(($(qemus) - 1)); done ) > "$out/host-qemus.txt" &
	mon=$!
	set +e
	if [ -n "$hide" ]; then
		tools/vm/run.sh "$@" 2>&1 | tee "$out/guest.txt" |
			grep --line-buffered -v "$hide" | sed -u 's/^/  | /' >&2
	else
		tools/vm/run.sh "$@" 2>&1 | tee "$out/guest.txt" | sed -u 's/^/  | /' >&2
	fi
	vrc=${PIPESTATUS[0]}
	set -e
	kill "$mon" 2>/dev/null || true
	host_after="load average $(cut -d' ' -f1-3 /proc/loadavg); another QEMU ran beside this one in $(awk '$1 > 0 {n++} END {printf "%d of %d", n, NR}' "$out/host-qemus.txt") 5-second checks"
}
