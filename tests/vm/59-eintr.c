// SPDX-License-Identifier: GPL-2.0
/*
 * 59-eintr: a user waiting for the module's lock can be interrupted.  Every
 * user-facing path takes mp3_lock; if it waits uninterruptibly, users
 * looping on the 0444 files hold up each other and the sampler with
 * nothing to stop them.  The module waits with mutex_lock_interruptible()
 * and returns -ERESTARTSYS: a signal whose handler lacks SA_RESTART makes
 * the call fail with EINTR, one with SA_RESTART restarts it, and nothing
 * changes either way.
 *
 * Contention: NPROC processes of NTHR threads each are registered, and
 * NCONT contender processes read /proc/mp3/tasks in a loop (each read
 * walks every registration and thread under the lock, several times as
 * the seq_file buffer grows).  This program reads /proc/mp3/stats while a
 * timer sends SIGALRM every SIGNAL_US:
 *
 *  - without signals, the stats reads wait for the lock (the premise);
 *  - handler without SA_RESTART: some read fails with EINTR;
 *  - handler with SA_RESTART: no read fails, and some were restarted,
 *    which the handler sees in its ucontext: the kernel rewinds the
 *    instruction pointer to the `syscall` instruction and puts the read's
 *    syscall number back in rax before it runs the handler (x86-64).
 *
 * A module that waits uninterruptibly never returns EINTR there and never
 * restarts a read; one that returns -EINTR instead of -ERESTARTSYS fails
 * reads under SA_RESTART.  Each signalled phase runs until it has seen
 * WANT of its events (and, with SA_RESTART, MIN_READS reads), or PHASE_S
 * seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"

#define NPROC		200
#define NTHR		4
#define NCONT		3
#define SIGNAL_US	1000
#define WANT		3
#define MIN_READS	20
#define PHASE_S		20
#define CALM_S		2

static pid_t procs[NPROC], conts[NCONT];

static volatile sig_atomic_t alarms, restarts, stopped, paused;
static uint64_t deadline_ns;

static void timer_set(long us)
{
	pf_itimer_us(us, us);
}

static void on_alarm(int sig, siginfo_t *si, void *ucp)
{
	struct timespec ts;

	(void)sig;
	(void)si;
	alarms++;
	/*
	 * A read to be restarted: no more signals until that read is done
	 * (the loop re-arms the timer), or one read may wait and restart
	 * over and over.
	 */
	if (pf_read_restarting(ucp)) {
		restarts++;
		timer_set(0);
		paused = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec >= deadline_ns) {
		timer_set(0);
		stopped = 1;
	}
}

static void handle(int flags)
{
	pf_on_sigalrm(on_alarm, flags);
}

static void *sleeper_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A process of NTHR threads that sleep until killed. */
static pid_t spawn_group(void)
{
	pthread_t t;
	pid_t p = fork();
	int i;

	if (p == 0) {
		for (i = 1; i < NTHR; i++)
			if (pthread_create(&t, NULL, sleeper_thread, NULL))
				_exit(1);
		for (;;)
			pause();
	}
	return p;
}

/* Read /proc/mp3/tasks in a loop until killed. */
static pid_t spawn_contender(void)
{
	static char buf[1 << 16];
	pid_t p = fork();
	int fd;

	if (p == 0) {
		for (;;) {
			fd = open("/proc/mp3/tasks", O_RDONLY);
			if (fd < 0)
				_exit(2);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
	}
	return p;
}

struct phase {
	long reads, ok, eintr, other, with_signal;
	uint64_t max_ns, sum_ns;
	int other_errno;
};

/* One read of /proc/mp3/stats; accounted in @ph. */
static void read_stats(struct phase *ph)
{
	char buf[4096];
	sig_atomic_t before = alarms;
	uint64_t t0, t;
	ssize_t n;
	int fd, e;

	fd = open("/proc/mp3/stats", O_RDONLY);
	if (fd < 0) {
		ph->other++;
		ph->other_errno = errno;
		return;
	}
	t0 = pf_now_ns();
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	t = pf_now_ns() - t0;
	close(fd);
	ph->reads++;
	ph->sum_ns += t;
	if (t > ph->max_ns)
		ph->max_ns = t;
	if (alarms != before)
		ph->with_signal++;
	if (n > 0) {
		buf[n] = 0;
		if (!strncmp(buf, "samples_written ", 16)) {
			ph->ok++;
			return;
		}
		e = EPROTO;
	} else if (n == 0) {
		e = ENODATA;
	}
	if (e == EINTR) {
		ph->eintr++;
	} else {
		ph->other++;
		ph->other_errno = e;
	}
}

static void show(const char *name, const struct phase *ph)
{
	tap_diag("%s: %ld stats reads (%ld whole, %ld EINTR, %ld other errors), %ld with a signal during the read; mean %.2f ms, slowest %.2f ms; %d signals, %d restarted reads",
		 name, ph->reads, ph->ok, ph->eintr, ph->other, ph->with_signal,
		 ph->reads ? ph->sum_ns / 1e6 / ph->reads : 0.0, ph->max_ns / 1e6,
		 (int)alarms, (int)restarts);
}

int main(void)
{
	struct phase calm = { 0 }, intr = { 0 }, rst = { 0 };
	uint64_t end;
	int i, n = 0;

	tap_plan(5);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	for (i = 0; i < NPROC; i++) {
		procs[i] = spawn_group();
		if (procs[i] > 0 && !pf_reg(procs[i]))
			n++;
	}
	tap_ok(n == NPROC && pf_stat("registrations") == NPROC,
	       "%d processes of %d threads registered", n, NTHR);
	for (i = 0; i < NCONT; i++)
		conts[i] = spawn_contender();

	/* Without signals: how long a stats read waits for the lock. */
	end = pf_now_ns() + CALM_S * 1000000000ULL;
	while (pf_now_ns() < end)
		read_stats(&calm);
	show("no signals", &calm);
	tap_ok(calm.ok == calm.reads && calm.max_ns >= 5ULL * SIGNAL_US * 1000,
	       "with %d readers of tasks, stats reads wait for the lock: slowest %.2f ms (>= 5 signal periods of %d us)",
	       NCONT, calm.max_ns / 1e6, SIGNAL_US);

	/* Handler without SA_RESTART: a waiting read fails with EINTR. */
	handle(0);
	alarms = restarts = stopped = paused = 0;
	deadline_ns = pf_now_ns() + PHASE_S * 1000000000ULL;
	timer_set(SIGNAL_US);
	while (intr.eintr < WANT && !stopped)
		read_stats(&intr);
	timer_set(0);
	show("SIGALRM without SA_RESTART", &intr);
	tap_ok(intr.eintr >= 1 && intr.other == 0,
	       "without SA_RESTART, a signal interrupts a stats read waiting for the lock: %ld of %ld reads failed with EINTR, %ld with another error",
	       intr.eintr, intr.reads, intr.other);

	/* Handler with SA_RESTART: reads are restarted, none fails. */
	handle(SA_RESTART);
	alarms = restarts = stopped = paused = 0;
	deadline_ns = pf_now_ns() + PHASE_S * 1000000000ULL;
	timer_set(SIGNAL_US);
	while (!stopped && (restarts < WANT || rst.reads < MIN_READS)) {
		read_stats(&rst);
		if (paused && !stopped) {
			paused = 0;
			timer_set(SIGNAL_US);
		}
	}
	timer_set(0);
	show("SIGALRM with SA_RESTART", &rst);
	tap_ok(rst.reads > 0 && rst.ok == rst.reads,
	       "with SA_RESTART, no stats read fails: %ld of %ld whole (%ld EINTR, %ld other errors%s%s)",
	       rst.ok, rst.reads, rst.eintr, rst.other,
	       rst.other ? ", last: " : "", rst.other ? strerror(rst.other_errno) : "");
	tap_ok(restarts >= 1,
	       "with SA_RESTART, signals restart stats reads waiting for the lock: %d signals found a read to be restarted",
	       (int)restarts);

	for (i = 0; i < NCONT; i++)
		kill(conts[i], SIGKILL);
	for (i = 0; i < NPROC; i++)
		kill(procs[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	pf_unload();
	return tap_finish();
}
