# shellcheck shell=bash
# The kernel splats that fail a guest run, in one place: tools/vm/run.sh
# (the busybox VM) and tests/install/run.sh (the Debian system) source it.
#
# USAGE: . tools/vm/splat.sh; splats LOGFILE
#   prints the first 20 splat lines of a console log (nothing if clean;
#   it always returns 0);
#   lines the harness itself wrote (starting "@@") are not the kernel's.
#
# Report headers as 6.1 prints them: KASAN "BUG: KASAN: slab-use-after-free
# in ...", UBSAN "UBSAN: shift-out-of-bounds in ...", lockdep "WARNING:
# possible circular locking dependency detected" and friends, DEBUG_OBJECTS
# "ODEBUG:", RCU stalls "rcu: INFO: rcu_preempt detected stalls on CPUs"
# (rcu_sched on non-preemptible kernels).  Not a bare "lockdep": a lockdep
# kernel says "RCU lockdep checking is enabled." at every boot.
splat_re='WARNING:|BUG:|Oops|kernel BUG|general protection fault|Call Trace:|possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|lock order detected|suspicious RCU usage|bad unlock balance|held lock freed|trying to register non-static key|turning off the locking correctness validator|KASAN|UBSAN|ODEBUG:|list_(add|del) corruption|scheduling while atomic|sleeping function called from invalid context|INFO: task .* blocked|rcu_[a-z_]+ (self-)?detected stall|detected stalls on CPUs|RCU stall|Kernel panic|kmemleak: [0-9]+ new suspected'

splats() {
	{ grep -E "$splat_re" "$1" || true; } | { grep -v '^@@' || true; } | head -n 20
}
