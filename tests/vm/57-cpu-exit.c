// SPDX-License-Identifier: GPL-2.0
/*
 * 57-cpu-exit: a registered process that spins and exits is charged all
 * the CPU time the kernel charges it, to the nanosecond: the time it runs
 * while it exits is the easiest to lose.
 *
 * The module drops a process once a sample finds its whole thread group
 * dead (a zombie leader, no other threads).  But the leader keeps running
 * after exit_notify() makes it a zombie, until its last switch-out in
 * do_task_dead(), and the scheduler charges that time to it then.  A
 * module that reads the counters in the sample that finds the group dead
 * and frees the registration at once misses it; one that marks the
 * registration dying and reads it once more, a period later, does not.
 *
 * Normally that window is microseconds, and a sample lands in it too
 * rarely to test.  Here it is widened on purpose, with a real kernel path:
 * the exiting process has a few thousand zombie children and its nearest
 * child subreaper (this program) ignores SIGCHLD, so exit_notify() hands
 * them over after marking the process a zombie and then releases every one
 * of them (release_task()) in the exiting process's own context, tens of
 * milliseconds of its CPU time spent as a zombie.  The number of children
 * is adjusted from exit to exit to keep the window near 40% of a period
 * (PERIOD_MS), and the exit timed so that a sample falls a third of the way
 * in; the next sample comes after the last switch-out.
 * An exit counts only if exactly one sample fell inside the window, with
 * no other close to it, judged from the sample times and the window as the
 * parent saw it, never from the CPU figures; up to ORPHAN_ATTEMPTS exits
 * are made to get ORPHAN_TRIALS that count.  Plain exits (no children)
 * are checked too.
 *
 * Truth: the parent's wait4() rusage (utime + stime: the kernel scales
 * them so they add up to sum_exec_runtime), read only after the child's
 * last switch-out (the parent moves onto the child's CPU first), minus the
 * child's runtime at registration (/proc/PID/schedstat while it sleeps).
 * Module: the CPU of the samples written while the child was registered
 * (the only registration).  Both are the same sum_exec_runtime, so they
 * agree to wait4's microsecond rounding; the allowance is TOL_NS per exit.
 *
 * Process tree: this program (child subreaper, SIGCHLD ignored) ->
 * parent P (pinned to CPU 0: registers the child, times it, wait4s it) ->
 * child C (pinned to CPU 1: makes its zombies, spins, exits) -> zombies.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define PERIOD_MS	100
#define PERIOD_NS	(PERIOD_MS * 1000000ULL)
/* The zombie window we aim for: well inside a period on both sides. */
#define TARGET_LOOP_NS	40000000ULL
#define MAX_ZOMBIES	6000
#define MIN_ZOMBIES	200
/* Spin at least this long between the go and the exit. */
#define MIN_SPIN_NS	20000000ULL
/* Allowed |module - wait4| per exit: wait4 rounds utime and stime to us. */
#define TOL_NS		50000LL
/*
 * P sees the window [zombie, last child released] a little late at both
 * ends.  A sample this close to its end may have come after the real end,
 * and one shortly before its start may have come after the real start:
 * such a trial does not count.
 */
#define EDGE_NS		2000000ULL
#define BEFORE_NS	10000000ULL
#ifndef NATURAL_TRIALS
#define NATURAL_TRIALS	4
#endif
#ifndef ORPHAN_TRIALS
#define ORPHAN_TRIALS	4
#endif
#define ORPHAN_ATTEMPTS	16

/* One trial, shared (MAP_SHARED) between this program, P and C. */
struct trial {
	/* in */
	int zombies;		/* zombie children C makes before it exits */
	int registered;		/* P registers C */
	uint64_t lead_ns;	/* exit this long before a sample deadline */
	/* out, from P and C */
	int done;		/* P got to the end */
	char why[160];		/* else: what went wrong */
	pid_t c;
	long long base_ns;	/* C's runtime at registration */
	long long wait4_ns;	/* utime + stime from wait4 */
	long long final_ns;	/* C's runtime (schedstat) just before wait4 */
	uint64_t t_reg;		/* R written (middle of the write) */
	uint64_t t_exit;	/* C called _exit() */
	uint64_t t_zombie;	/* P saw C a zombie */
	uint64_t t_done;	/* P saw the last zombie child released */
	long long exited_before, exited_after;
	pid_t g[MAX_ZOMBIES];
};

static struct trial *tr;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s))
		_exit(120);
}

static void fail(const char *why)
{
	snprintf(tr->why, sizeof(tr->why), "%s (errno %d)", why, errno);
	_exit(1);
}

/* C: make the zombies, say ready, wait for the exit time, spin, exit. */
static void child(int ready, int go)
{
	uint64_t at;
	int i;

	pin(1);
	for (i = 0; i < tr->zombies; i++) {
		pid_t g = vfork();

		if (g == 0)
			_exit(0);
		if (g < 0)
			_exit(121);
		tr->g[i] = g;
	}
	if (write(ready, "r", 1) != 1)
		_exit(122);
	if (read(go, &at, sizeof(at)) != sizeof(at))
		_exit(123);
	while (pf_now_ns() < at)
		;
	tr->t_exit = pf_now_ns();
	_exit(0);
}

static int gone(pid_t p)
{
	return kill(p, 0) && errno == ESRCH;
}

/* P: one trial; fills in *tr and exits. */
static void parent(void)
{
	int ready[2], go[2], st, i;
	uint64_t t0, t1, at, k;
	struct rusage ru;
	siginfo_t si;
	pid_t c;
	char b;

	alarm(120);
	signal(SIGCHLD, SIG_DFL);	/* this program ignores it: C must not be autoreaped */
	pin(0);
	if (pipe(ready) || pipe(go))
		fail("pipe");
	c = fork();
	if (c < 0)
		fail("fork");
	if (c == 0)
		child(ready[1], go[0]);
	tr->c = c;
	if (read(ready[0], &b, 1) != 1)
		fail("C did not get ready");
	if (pf_wait_blocked(c))
		fail("C did not block");
	/*
	 * /proc shows S from set_current_state(), before C's schedule()
	 * charges its last stretch of runtime: up to a tick.  Once P has run
	 * on C's CPU, C has switched out, so its runtime is up to date.
	 */
	pin(1);
	pin(0);
	tr->base_ns = pf_read_runtime_ns(c);
	tr->exited_before = pf_stat("exited_total");
	t0 = pf_now_ns();
	if (tr->registered && pf_reg(c))
		fail("R");
	t1 = pf_now_ns();
	tr->t_reg = t0 + (t1 - t0) / 2;
	/*
	 * The sampler's deadlines are R + k periods; a run comes up to a
	 * tick early or a little late.  Exit lead_ns before the first one
	 * that leaves MIN_SPIN_NS of spinning.
	 */
	for (k = 1; tr->t_reg + k * PERIOD_NS < pf_now_ns() + MIN_SPIN_NS + tr->lead_ns; k++)
		;
	at = tr->t_reg + k * PERIOD_NS - tr->lead_ns;
	if (write(go[1], &at, sizeof(at)) != sizeof(at))
		fail("go");
	/*
	 * Busy-wait (CPU 0 stays busy, so the sampler's timer and work stay
	 * on it and run while C is in the kernel on CPU 1) until C is a
	 * zombie, without reaping it.
	 */
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, c, &si, WEXITED | WNOHANG | WNOWAIT))
			fail("waitid");
		if (si.si_pid == c)
			break;
	}
	tr->t_zombie = pf_now_ns();
	/*
	 * Until C has released the last of its zombie children: the first
	 * or the last one made (kernels release them in one order or the
	 * other); then check that all are gone.
	 */
	while (tr->zombies && (gone(tr->g[0]) + gone(tr->g[tr->zombies - 1]) < 2))
		if (pf_now_ns() - tr->t_zombie > 20000000000ULL)
			fail("zombie children still there after 20 s");
	tr->t_done = pf_now_ns();
	for (i = 0; i < tr->zombies; i++)
		if (!gone(tr->g[i]))
			fail("a zombie child outlived the first and the last");
	/*
	 * Onto C's CPU: once this runs there, C has switched out for the
	 * last time (do_task_dead()), so wait4() reads its final runtime.
	 */
	pin(1);
	tr->final_ns = pf_read_runtime_ns(c);
	if (wait4(c, &st, 0, &ru) != c)
		fail("wait4");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail("C did not exit 0");
	tr->wait4_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	/* Until the module has dropped the registration (two samples). */
	if (tr->registered) {
		for (i = 0; pf_stat("registrations") != 0; i++) {
			if (i > 10000)
				fail("still registered 10 s after the exit");
			pf_msleep(1);
		}
	}
	tr->exited_after = pf_stat("exited_total");
	tr->done = 1;
	_exit(0);
}

struct result {
	long long module_ns, truth_ns;
	uint64_t lost;
	int inside;		/* samples in [t_zombie, t_done - EDGE_NS] */
	int near;		/* samples in [t_zombie - BEFORE_NS, t_done + EDGE_NS] */
	char samples[160];	/* their times, relative to t_zombie */
};

/* Run one trial in a new P; the module's CPU from the ring. */
static int trial(struct mp3buf *m, int zombies, int registered, uint64_t lead_ns,
		 struct result *r)
{
	uint64_t next = mp3buf_written(m);
	struct mp3_sample s;
	int pipefd[2], len = 0;
	char b;
	pid_t p;

	memset(tr, 0, sizeof(*tr));
	memset(r, 0, sizeof(*r));
	tr->zombies = zombies;
	tr->registered = registered;
	tr->lead_ns = lead_ns;
	if (pipe(pipefd))
		return -1;
	p = fork();
	if (p == 0) {
		close(pipefd[0]);
		parent();
	}
	close(pipefd[1]);
	/* EOF when P has exited (this program autoreaps it) */
	while (read(pipefd[0], &b, 1) > 0)
		;
	close(pipefd[0]);
	if (p < 0 || !tr->done) {
		if (!tr->why[0])
			snprintf(tr->why, sizeof(tr->why), "P died");
		return -1;
	}
	while (mp3buf_follow(m, &next, &r->lost, &s)) {
		r->module_ns += s.cpu_ns;
		if (s.mono_ns >= tr->t_zombie && s.mono_ns + EDGE_NS <= tr->t_done)
			r->inside++;
		if (s.mono_ns + BEFORE_NS >= tr->t_zombie &&
		    s.mono_ns <= tr->t_done + EDGE_NS)
			r->near++;
		if (len < (int)sizeof(r->samples) - 16)
			len += snprintf(r->samples + len, sizeof(r->samples) - len, " %+.1f",
					((double)s.mono_ns - (double)tr->t_zombie) / 1e6);
	}
	r->truth_ns = tr->wait4_ns - tr->base_ns;
	return 0;
}

/*
 * If a window of @loop ns with *@zombies children is more than a quarter
 * off the target, rescale *@zombies for the next exit; true if it did.
 */
static bool rescale(int *zombies, uint64_t loop)
{
	int n;

	if (loop > TARGET_LOOP_NS * 3 / 4 && loop < TARGET_LOOP_NS * 5 / 4)
		return false;
	n = loop ? (double)*zombies * TARGET_LOOP_NS / loop : MAX_ZOMBIES;
	n = n > MAX_ZOMBIES ? MAX_ZOMBIES : n < MIN_ZOMBIES ? MIN_ZOMBIES : n;
	if (n == *zombies)
		return false;
	*zombies = n;
	return true;
}

int main(void)
{
	long long max_nat = 0, max_orph = 0, sum_orph = 0, d;
	uint64_t e0, e, loop, lead, lost = 0;
	int i, zombies, valid = 0, counted = 1;
	struct result r;
	struct mp3buf m;
	char params[32];

	tap_plan(6);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		tap_bail("needs two CPUs");
	tr = mmap(NULL, sizeof(*tr), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr == MAP_FAILED)
		tap_bail("mmap");
	if (!pf_ensure_unloaded())
		tap_bail("cannot unload mp3");
	snprintf(params, sizeof(params), "period_ms=%d", PERIOD_MS);
	tap_ok(pf_load(params) == 0, "mp3.ko loads with %s", params);
	if (mp3buf_open(&m, "/dev/mp3", false) || !m.hdr)
		tap_bail("cannot map /dev/mp3");
	/* Orphans of C come here and are released at once. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		tap_bail("subreaper");

	/*
	 * Calibration, unregistered: the exit path's length before the
	 * zombie state (e) and the release window per zombie child.
	 */
	if (trial(&m, 0, 0, 0, &r))
		tap_bail(tr->why);
	e0 = tr->t_zombie - tr->t_exit;
	/*
	 * The release costs more per child the more there are, and varies:
	 * rescale until the window is near the target (and between trials).
	 */
	zombies = 500;
	for (i = 0; i < 6; i++) {
		if (trial(&m, zombies, 0, 0, &r))
			tap_bail(tr->why);
		e = tr->t_zombie - tr->t_exit;
		loop = tr->t_done - tr->t_zombie;
		if (!rescale(&zombies, loop))
			break;
	}
	tap_diag("calibration: exit to zombie %.2f ms alone; with %d zombie children %.2f ms, then %.2f ms releasing them",
		 e0 / 1e6, zombies, e / 1e6, loop / 1e6);

	/* Plain exits: spin, exit around a sample deadline. */
	for (i = 0; i < NATURAL_TRIALS; i++) {
		if (trial(&m, 0, 1, e0, &r))
			tap_bail(tr->why);
		d = r.module_ns - r.truth_ns;
		tap_diag("plain exit %d: spun %.1f ms; module %lld ns, wait4 %lld ns, module - wait4 = %lld ns (schedstat - wait4 = %lld ns); samples at (ms from zombie)%s",
			 i + 1, (tr->t_exit - tr->t_reg) / 1e6, r.module_ns, r.truth_ns, d,
			 tr->final_ns - tr->wait4_ns, r.samples);
		max_nat = llabs(d) > max_nat ? llabs(d) : max_nat;
		lost += r.lost;
		counted &= tr->exited_after == tr->exited_before + 1;
	}
	tap_ok(max_nat <= TOL_NS,
	       "plain exits: module CPU == wait4 within %lld us each (%d exits, largest difference %lld ns)",
	       TOL_NS / 1000, NATURAL_TRIALS, max_nat);

	/*
	 * Exits with a long zombie window and a sample in its middle.  A
	 * trial counts if exactly one sample fell inside the window as P saw
	 * it and no other close to it (the placement is a prediction, and the
	 * guest's clock jumps when the host is busy).
	 * That is judged from the times alone, never from the CPU figures.
	 */
	for (i = 0; valid < ORPHAN_TRIALS && i < ORPHAN_ATTEMPTS; i++) {
		bool good;

		/* a sample a third of the way in (the length varies) */
		lead = e + (loop / 3 < 5000000 ? 5000000 : loop / 3 > 20000000 ? 20000000 : loop / 3);
		if (trial(&m, zombies, 1, lead, &r))
			tap_bail(tr->why);
		d = r.module_ns - r.truth_ns;
		good = r.inside == 1 && r.near == 1;
		tap_diag("exit with %d zombie children, try %d: spun %.1f ms, exit to zombie %.1f ms, zombie for %.1f ms; samples at (ms from zombie)%s: %s; module %lld ns, wait4 %lld ns, module - wait4 = %lld ns",
			 zombies, i + 1, (tr->t_exit - tr->t_reg) / 1e6,
			 (tr->t_zombie - tr->t_exit) / 1e6, (tr->t_done - tr->t_zombie) / 1e6,
			 r.samples, good ? "counts" : "does not count (not one sample well inside)",
			 r.module_ns, r.truth_ns, d);
		lost += r.lost;
		counted &= tr->exited_after == tr->exited_before + 1;
		e = tr->t_zombie - tr->t_exit;
		loop = tr->t_done - tr->t_zombie;
		if (rescale(&zombies, loop)) {
			/* e grows with the children too; measured next time */
			e = (double)e * zombies / tr->zombies;
			loop = TARGET_LOOP_NS;
		}
		if (!good)
			continue;
		valid++;
		max_orph = llabs(d) > max_orph ? llabs(d) : max_orph;
		sum_orph += d;
	}
	tap_ok(valid == ORPHAN_TRIALS,
	       "the setup worked: in %d of %d exits (%d wanted) exactly one sample fell while the exited process still ran as a zombie",
	       valid, i, ORPHAN_TRIALS);
	tap_ok(valid > 0 && max_orph <= TOL_NS,
	       "exits with a sample inside the zombie window: module CPU == wait4 within %lld us each (largest difference %lld ns, sum %lld ns over %d exits)",
	       TOL_NS / 1000, max_orph, sum_orph, valid);
	tap_ok(counted, "every exited registration was dropped by the module (exited_total)");
	tap_ok(lost == 0, "no samples lost (%llu)", (unsigned long long)lost);
	mp3buf_close(&m);
	pf_unload();
	return tap_finish();
}
