# guest-witness.sh - sourced by the case-study guest scripts (POSIX sh,
# busybox ash in the guest): start pfwitness and wait until it counts.
#
# witness_start ARGS...: run `pfwitness ARGS` (--csv) in the background,
# its stdout (the record, docs/witness.md) to wit.txt and stderr to wit.err
# in the current directory, and return once the record says which sources
# attached (its rows reach the file with the first interval, when the
# targets are in its maps), once it has exited, or after 60 s (BPF load and
# attach take seconds under TCG).  Sets $wit to its PID.
witness_start() {
	pfwitness "$@" > wit.txt 2> wit.err &
	wit=$!
	_k=0
	while ! grep -q '^source,.*,thread_counters,' wit.txt 2>/dev/null &&
		kill -0 "$wit" 2>/dev/null && [ $_k -lt 120 ]; do
		sleep 0.5; _k=$((_k + 1))
	done
	sleep 0.5
}

# witness_reduce PIDFILE [rows]: the record in wit.txt cut down to the
# processes in PIDFILE (a PID a line), still a record the host reads by
# name (experiments/lib/witness_record.py).  Columns are found by the
# header's names, never by position.  Printed: pfwitness's stderr lines
# as '#' comments; the record's '#' lines, header, and rows that are not
# per process (source, program, untraced, lost, wait4) as they are; the
# total rows of those processes; with "rows", their interval rows; and per
# interval one row with pid empty and comm "+pids" whose counters are the
# sum over those processes (every interval has one: its seq, end and
# length, zeros when none of them ran).
witness_reduce() {
	grep '^pfwitness:' wit.err | sed 's/^/# /'
	awk -F, -v rows="${2:-}" '
	FILENAME != "wit.txt" { want[$1] = 1; next }
	/^#/ { print; next }
	$1 == "type" {
		for (i = 1; i <= NF; i++) { col[$i] = i; name[i] = $i }
		nf = NF
		fixed["type"] = fixed["seq"] = fixed["jiffies"] = fixed["mono_ns"] = 1
		fixed["secs"] = fixed["pid"] = fixed["comm"] = 1
		print; next
	}
	!("pid" in col) { next }
	$1 == "interval" {
		s = $(col["seq"])
		if (!(s in mono)) {
			order[n++] = s
			jif[s] = $(col["jiffies"]); mono[s] = $(col["mono_ns"]); secs[s] = $(col["secs"])
		}
		if ($(col["pid"]) in want) {
			for (i = 1; i <= nf; i++) if (!(name[i] in fixed)) sum[s, i] += $i
			if (rows != "") print
		}
		next
	}
	$1 == "total" { if ($(col["pid"]) in want) print; next }
	{ print }
	END {
		for (k = 0; k < n; k++) {
			s = order[k]; line = ""
			for (i = 1; i <= nf; i++) {
				f = name[i]
				if (f == "type") v = "interval"
				else if (f == "seq") v = s
				else if (f == "jiffies") v = jif[s]
				else if (f == "mono_ns") v = mono[s]
				else if (f == "secs") v = secs[s]
				else if (f == "pid") v = ""
				else if (f == "comm") v = "+pids"
				else v = sprintf("%.0f", sum[s, i] + 0)
				line = line (i > 1 ? "," : "") v
			}
			print line
		}
	}' "$1" wit.txt
}
