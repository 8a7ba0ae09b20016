# guest-witness.sh - sourced by the case-study guest scripts (POSIX sh,
# busybox ash in the guest): start pfwitness and wait until it counts.
#
# witness_start ARGS...: run `pfwitness ARGS` in the background, its
# stdout to wit.txt and stderr to wit.err in the current directory, and
# return once its last source (the thread fault counters) says whether it
# attached, or after 60 s (BPF load and attach take seconds under TCG).
# Sets $wit to its PID.
witness_start() {
	pfwitness "$@" > wit.txt 2> wit.err &
	wit=$!
	_k=0
	while ! grep -q '^pfwitness: thread fault counters:' wit.err 2>/dev/null && [ $_k -lt 120 ]; do
		sleep 0.5; _k=$((_k + 1))
	done
	sleep 0.5
}
