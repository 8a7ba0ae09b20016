// SPDX-License-Identifier: GPL-2.0
/*
 * 80-churn: 64 workers, for PFPROF_CHURN_SECONDS (default 60) each, keep
 * starting short-lived processes that register themselves, fault, spawn
 * and end threads, fork a child that registers and exits, and then either
 * unregister or simply exit while registered.  Meanwhile sampling runs and
 * a header-following monitor reads the ring.
 *
 * The truth for each registered life is the kernel's own accounting over
 * its registered interval: getrusage just before "R" to getrusage just
 * after "U"; or, for a life that exits registered, to the final totals its
 * parent gets from wait4() (the module counts up to the exit, and the exit
 * path can still fault: a text page that fault-around skipped because
 * another process held its lock, say).  A process that forks a registered
 * child always unregisters, so its own wait4 rusage never includes the
 * child's.  Afterwards the module's summed samples equal the sum of those
 * truths exactly, no sample was lost, registrations are back to 0 and so
 * is the module's use count.
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define WORKERS 64

/*
 * Reports are added up, never paired: a life that exits registered sends
 * minus its start, and its parent sends the wait4 totals.
 */
struct report {
	long min, maj;		/* add to the truth */
	long late_min;		/* faults after the life's last getrusage */
	int ok;
	int err;		/* the failing R or U's errno */
	int final;		/* sent by the parent after wait4 */
};

/* A life's exit status when it exits registered: its parent sends wait4. */
#define EXIT_REGISTERED 10

static int report_fd;

static void send(const struct report *rep)
{
	if (write(report_fd, rep, sizeof(*rep)) != sizeof(*rep))
		_exit(3);
}

/*
 * Reap @pid; if it exited registered, send its final totals.  A life that
 * ended any other way than exit 0 or EXIT_REGISTERED (a crash, the OOM
 * killer) is reported as a failure with its wait status: the module has
 * counted faults its report may not cover.
 */
static void reap(pid_t pid)
{
	struct report rep = { 0, 0, 0, 1, 0, 1 };
	struct rusage ru;
	int st;

	if (wait4(pid, &st, 0, &ru) != pid)
		st = -1;
	if (!WIFEXITED(st) || (WEXITSTATUS(st) && WEXITSTATUS(st) != EXIT_REGISTERED)) {
		rep.ok = 0;
		rep.err = st;
		send(&rep);
		return;
	}
	if (WEXITSTATUS(st) != EXIT_REGISTERED)
		return;
	rep.min = ru.ru_minflt;
	rep.maj = ru.ru_majflt;
	rep.late_min = ru.ru_minflt;
	send(&rep);
}

static void touch(size_t pages)
{
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return;
	madvise(p, pages * 4096, MADV_NOHUGEPAGE);
	for (i = 0; i < pages; i++)
		p[i * 4096] = 1;
	munmap(p, pages * 4096);
}

static void *thread_fn(void *arg)
{
	touch((size_t)(long)arg);
	return NULL;
}

/*
 * The truth's readings sit right next to the module's: getrusage() just
 * before "R", and "U" just before getrusage().  Any fault between the two
 * syscalls of a pair would be counted by one side only, so each pair runs
 * as one function, called once first with @really false (a "U" of a PID
 * not registered, ENOENT) to fault in every code and stack page the real
 * call executes: a forked child maps its text on first touch, and under
 * contention fault-around skips pages another process holds locked.
 */
static __attribute__((noinline)) int snap_then_reg(struct rusage *a, bool really)
{
	getrusage(RUSAGE_SELF, a);
	return really ? pf_reg(getpid()) : pf_unreg(getpid());
}

static __attribute__((noinline)) int unreg_then_snap(struct rusage *b)
{
	int ret = pf_unreg(getpid());

	getrusage(RUSAGE_SELF, b);
	return ret;
}

/*
 * A registered life: R, work, then U or plain exit.  Sends its registered
 * delta to the parent test through report_fd (a pipe, atomic writes).
 */
static int registered_life(unsigned int r, int depth)
{
	struct rusage a, b;
	struct report rep = { 0, 0, 0, 1, 0, 0 };
	pthread_t th[3];
	int i, nth = r % 4, unreg = r & 16;
	pid_t kid = -1;

	snap_then_reg(&a, false);	/* warm both paths (see above) */
	unreg_then_snap(&b);
	rep.err = -snap_then_reg(&a, true);
	if (rep.err) {
		rep.ok = 0;
		goto out;
	}
	touch(8 + r % 32);
	for (i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, thread_fn, (void *)(long)(4 + i * 8));
	if (depth == 0 && (r & 8) && unreg) {
		kid = fork();
		if (kid == 0)
			_exit(registered_life(r >> 5, 1));
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (kid > 0)
		reap(kid);
	if (unreg) {
		rep.err = -unreg_then_snap(&b);
		if (rep.err)
			rep.ok = 0;
	} else {
		getrusage(RUSAGE_SELF, &b);
	}
	if (unreg) {
		rep.min = b.ru_minflt - a.ru_minflt;
		rep.maj = b.ru_majflt - a.ru_majflt;
	} else {	/* the parent adds wait4's totals */
		rep.min = -a.ru_minflt;
		rep.maj = -a.ru_majflt;
		rep.late_min = -b.ru_minflt;
	}
out:
	send(&rep);
	/* Exit while registered if !unreg: the module must catch the end. */
	return rep.ok && !unreg ? EXIT_REGISTERED : 0;
}

static void worker(int id, double seconds)
{
	uint64_t end = pf_now_ns() + (uint64_t)(seconds * 1e9);
	unsigned int r = 0x9e3779b9u * (id + 1);
	pid_t pid;

	while (pf_now_ns() < end) {
		r = r * 1103515245u + 12345u;
		pid = fork();
		if (pid == 0)
			_exit(registered_life(r >> 8, 0));
		reap(pid);
	}
	_exit(0);
}

int main(void)
{
	const char *env = getenv("PFPROF_CHURN_SECONDS");
	double seconds = env ? atof(env) : 60;
	long sum_min = 0, sum_maj = 0, ring_min = 0, ring_maj = 0, lives = 0, bad = 0;
	long late = 0, finals = 0;
	pid_t workers[WORKERS], mon;
	struct mp3_sample s;
	struct report rep;
	struct mp3buf m;
	uint64_t next, lost = 0;
	int p[2], i, status, crashed = 0;

	if (seconds <= 0)
		seconds = 60;
	tap_plan(7);
	/*
	 * Up to 128 processes are registered at once, and each that exits
	 * registered keeps its slot until the next sample flushes its final
	 * counts: on a loaded host a late sample can let that pass the
	 * default 256.  The bound itself is 95-security's test.
	 */
	if (!pf_ensure_unloaded() || pf_load("max_registrations=4096"))
		tap_bail("cannot load mp3.ko");
	if (mp3buf_open(&m, "/dev/mp3", false) || !m.hdr || pipe(p))
		tap_bail("setup");
	next = mp3buf_written(&m);
	report_fd = p[1];

	/* The monitor: follows the ring in a child, like `monitor -f`. */
	mon = fork();
	if (mon == 0) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "%s/bin/monitor -d /dev/mp3 -f -t %.0f > /dev/null",
			 pf_root(), seconds + 5);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < WORKERS; i++) {
		workers[i] = fork();
		if (workers[i] == 0) {
			close(p[0]);
			worker(i, seconds);
		}
	}
	close(p[1]);
	/* Collect reports while the workers run (the pipe must not fill),
	 * and read the ring as we go (a second, in-process follower).
	 */
	for (;;) {
		ssize_t n = read(p[0], &rep, sizeof(rep));

		if (n == 0)
			break;
		if (n != sizeof(rep)) {
			bad++;
			continue;
		}
		sum_min += rep.min;
		sum_maj += rep.maj;
		late += rep.late_min;
		if (rep.final) {
			if (!rep.ok && bad++ < 5)
				tap_diag("a life ended abnormally: wait status 0x%x", rep.err);
			finals += rep.ok;
			continue;
		}
		lives++;
		if (!rep.ok) {
			if (bad++ < 5)
				tap_diag("a registered life failed: %s", strerror(rep.err));
		}
		while (mp3buf_follow(&m, &next, &lost, &s)) {
			ring_min += s.min_flt;
			ring_maj += s.maj_flt;
		}
	}
	for (i = 0; i < WORKERS; i++) {
		waitpid(workers[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			crashed++;
	}
	/* Processes that exited registered are dropped at the next sample. */
	for (i = 0; i < 40 && pf_stat("registrations") != 0; i++)
		pf_msleep(50);
	while (mp3buf_follow(&m, &next, &lost, &s)) {
		ring_min += s.min_flt;
		ring_maj += s.maj_flt;
	}
	tap_diag("%ld registered lives in %.0f s by %d workers; exited-registered: %lld (module), %ld (wait4)",
		 lives, seconds, WORKERS, pf_stat("exited_total"), finals);
	tap_diag("minor faults between an exiting life's last getrusage and its exit: %ld", late);
	tap_ok(crashed == 0 && bad == 0 && lives > WORKERS,
	       "%ld registered lives, every R/U succeeded, every life ended normally (%ld bad)", lives, bad);
	tap_ok(lost == 0, "in-process follower lost no samples (%llu)",
	       (unsigned long long)lost);
	tap_ok(ring_min == sum_min,
	       "summed samples' minor faults == the processes' own accounting (%ld vs %ld)",
	       ring_min, sum_min);
	tap_ok(ring_maj == sum_maj,
	       "summed samples' major faults == the processes' own accounting (%ld vs %ld)",
	       ring_maj, sum_maj);
	tap_ok(pf_stat("registrations") == 0 && pf_list(NULL, 0) == 0,
	       "registrations back to 0");
	kill(mon, SIGTERM);
	waitpid(mon, &status, 0);
	mp3buf_close(&m);
	tap_ok(pf_refcnt() == 0, "module use count back to 0 (%ld)", pf_refcnt());
	tap_ok(pf_unload() == 0, "rmmod");
	return tap_finish();
}
