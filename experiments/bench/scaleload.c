// SPDX-License-Identifier: GPL-2.0
/*
 * scaleload - load for experiments/bench/sampler-scale.sh: many registered processes,
 * every thread of each faulting, and the module's sampler statistics over a
 * fixed window.  Runs as root in the VM with mp3.ko freshly loaded
 * (max_registrations >= PROCS).
 *
 *   scaleload [-p PROCS] [-t THREADS] [-w WINDOW_S] [-i INTERVAL_MS]
 *             [-k PAGES] [-s SETTLE_S]
 *
 * Forks PROCS processes of THREADS threads each (the main thread and
 * THREADS-1 pthreads; defaults 1 x 4).  Every thread owns PAGES anonymous
 * pages (default 2, THP off) and, every INTERVAL_MS (default 1000, each
 * thread at its own random phase, on an absolute grid), writes one byte to
 * each (PAGES minor faults) and drops them again with MADV_DONTNEED (-i 0:
 * the threads only sleep, to compare with an idle load).  Once every
 * thread of every process exists, it registers them all through
 * /proc/mp3/status (one write each), starts the load (the threads wait on a
 * pipe until then, so forking is not slowed by it), waits SETTLE_S
 * (default 2) seconds, and measures for WINDOW_S (default 30):
 *
 *   handler_avg_ns   mean cost of a sampling pass over the window, from the
 *                    difference of /proc/mp3/stats at its ends
 *                    (handler_avg_ns x handler_runs is the sum the module
 *                    keeps)
 *   handler_max_ns   longest pass since the module was loaded (the module
 *                    keeps no other maximum); max_in_window=1 when it grew
 *                    during the window, so it belongs to the window
 *   period_*         intervals between consecutive samples written in the
 *                    window, from the per-sample CLOCK_MONOTONIC stamps in
 *                    the buffer (/dev/mp3): mean, p99, max; the module's own
 *                    period_mean_ns over the window beside them;
 *                    long_intervals counts those over 1.5 periods (the
 *                    first 8 are shown on stderr, with when they began)
 *   missed           deadlines_missed during the window
 *   cpu_busy_pct     the guest's CPUs busy over the window (/proc/stat)
 *   mem_avail_mb     MemAvailable at the window's end
 *
 * Then it stops every process (SIGSTOP, and waits until each whole group has
 * stopped), lets two more samples pass, and checks exactness: the samples
 * summed since the first registration must equal the sum of
 * /proc/mp3/tasks (counts since registration) for minor faults, major faults
 * and CPU time, to the unit.  Output: progress on stderr, one result line
 * "scaleload: key=value ..." on stdout.  Exit status 0 if the run worked
 * and the check held, 1 if the check failed, 2 on an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp3buf.h"

#define PAGE 4096L

static int nthreads = 4, pages = 2, interval_ms = 1000;
/* Read end of the "go" pipe: EOF (the parent closes the write end) starts the load. */
static int go_fd = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { ns / 1000000000ull, ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "scaleload: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

/* One faulting thread: PAGES faults every INTERVAL_MS, forever. */
static void *fault_loop(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	uint64_t period = interval_ms * 1000000ull;
	struct timespec next;
	volatile char *p;
	uint64_t t, now;
	int k;

	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	madvise((void *)p, pages * PAGE, MADV_NOHUGEPAGE);
	/* every thread waits for the go, so forking is not slowed by the load */
	while (read(go_fd, &k, sizeof(k)) < 0 && errno == EINTR)
		;
	if (!interval_ms)	/* -i 0: an idle thread, for comparison */
		for (;;)
			pause();
	/* a random phase, so the PROCS x THREADS wakeups spread over the period */
	t = now_ns() + (uint64_t)rand_r(&seed) % period;
	for (;;) {
		next.tv_sec = t / 1000000000ull;
		next.tv_nsec = t % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		for (k = 0; k < pages; k++)
			p[k * PAGE] = 1;
		madvise((void *)p, pages * PAGE, MADV_DONTNEED);
		/* on the grid; a thread that fell behind skips, never catches up */
		t += period;
		now = now_ns();
		if (t < now)
			t += ((now - t) / period + 1) * period;
	}
	return NULL;
}

/* A process of the load: THREADS-1 pthreads and itself, all faulting. */
static void child(int ready_fd, int idx)
{
	pthread_attr_t attr;
	pthread_t th;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&th, &attr, fault_loop,
				   (void *)(uintptr_t)(idx * 64 + i + 1)))
			_exit(4);
	if (write(ready_fd, "r", 1) != 1)
		_exit(5);
	close(ready_fd);
	fault_loop((void *)(uintptr_t)(idx * 64 + 1));
}

struct stats {
	long long runs, avg, max, missed, pmean, pint, regs, maxregs;
};

static void read_stats(struct stats *s)
{
	FILE *f = fopen("/proc/mp3/stats", "r");
	char key[64];
	long long v;

	if (!f)
		die("cannot open /proc/mp3/stats: %s (is mp3.ko loaded?)\n", strerror(errno));
	memset(s, 0, sizeof(*s));
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, "handler_runs"))
			s->runs = v;
		else if (!strcmp(key, "handler_avg_ns"))
			s->avg = v;
		else if (!strcmp(key, "handler_max_ns"))
			s->max = v;
		else if (!strcmp(key, "deadlines_missed"))
			s->missed = v;
		else if (!strcmp(key, "period_mean_ns"))
			s->pmean = v;
		else if (!strcmp(key, "period_intervals"))
			s->pint = v;
		else if (!strcmp(key, "registrations"))
			s->regs = v;
		else if (!strcmp(key, "max_registrations"))
			s->maxregs = v;
	}
	fclose(f);
}

/* Busy and total jiffies of all CPUs, from /proc/stat's first line. */
static void read_cpu(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int i;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("cannot read /proc/stat\n");
	fclose(f);
	*total = 0;
	for (i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];	/* idle, iowait */
}

/* MemAvailable from /proc/meminfo, MiB. */
static long mem_avail_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int procs = 1, window_s = 30, settle_s = 2, opt, fds[2], gofds[2], fd, i, n;
	unsigned long long b0, t0c, b1, t1c, tmin = 0, tmaj = 0, tcpu = 0;
	unsigned long long smin = 0, smaj = 0, scpu = 0, wmin = 0;
	uint64_t t0, t1, next = 0, lost = 0, *ivals;
	double pmean = 0, pmod, avg;
	struct stats s0, s1;
	struct mp3_sample smp, prev = { 0 };
	struct mp3buf buf;
	size_t nivals = 0, nlong = 0;
	char line[512];
	pid_t *pids;
	FILE *f;
	long avail;
	int ok;

	while ((opt = getopt(argc, argv, "p:t:w:i:k:s:")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'w': window_s = atoi(optarg); break;
		case 'i': interval_ms = atoi(optarg); break;
		case 'k': pages = atoi(optarg); break;
		case 's': settle_s = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: scaleload [-p PROCS] [-t THREADS] [-w WINDOW_S] "
				"[-i INTERVAL_MS] [-k PAGES] [-s SETTLE_S]\n");
			return 2;
		}
	}
	if (procs < 1 || nthreads < 1 || window_s < 1 || interval_ms < 0 || pages < 1 ||
	    settle_s < 0)
		die("bad arguments\n");
	read_stats(&s0);
	if (s0.regs || s0.runs)
		die("load mp3.ko afresh: it has %lld registrations, %lld passes\n",
		    s0.regs, s0.runs);
	if (s0.maxregs < procs)
		die("max_registrations=%lld < %d processes\n", s0.maxregs, procs);
	if (mp3buf_open(&buf, "/dev/mp3", false) || !buf.hdr)
		die("cannot follow /dev/mp3\n");
	pids = calloc(procs, sizeof(*pids));
	if (!pids || pipe(fds) || pipe(gofds))
		die("out of memory\n");

	if (interval_ms)
		fprintf(stderr, "scaleload: forking %d processes x %d threads "
			"(%d pages every %d ms each)\n", procs, nthreads, pages, interval_ms);
	else
		fprintf(stderr, "scaleload: forking %d processes x %d idle threads\n",
			procs, nthreads);
	t0 = now_ns();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork %d: %s\n", i, strerror(errno));
		if (!pids[i]) {
			close(fds[0]);
			close(gofds[1]);
			go_fd = gofds[0];
			child(fds[1], i);
		}
		if (procs >= 100 && (i + 1) % (procs / 10) == 0)
			fprintf(stderr, "scaleload:   forked %d/%d (%.1f s)\n", i + 1, procs,
				(now_ns() - t0) / 1e9);
	}
	close(fds[1]);
	for (i = 0; i < procs; i++) {
		char c;

		if (read(fds[0], &c, 1) != 1)
			die("a process died before it was ready\n");
	}
	close(fds[0]);
	close(gofds[0]);
	fprintf(stderr, "scaleload: %d processes ready (threads waiting) in %.1f s, "
		"MemAvailable %ld MiB; registering\n", procs, (now_ns() - t0) / 1e9,
		mem_avail_mb());

	fd = open("/proc/mp3/status", O_WRONLY);
	if (fd < 0)
		die("cannot open /proc/mp3/status: %s\n", strerror(errno));
	t0 = now_ns();
	for (i = 0; i < procs; i++) {
		n = snprintf(line, sizeof(line), "R %d\n", pids[i]);
		if (write(fd, line, n) != n)
			die("R %d: %s\n", pids[i], strerror(errno));
	}
	close(fd);
	fprintf(stderr, "scaleload: registered %d in %.3f s; load started, settling %d s\n",
		procs, (now_ns() - t0) / 1e9, settle_s);
	close(gofds[1]);	/* go */
	sleep_ns(settle_s * 1000000000ull);

	read_stats(&s0);
	read_cpu(&b0, &t0c);
	t0 = now_ns();
	for (i = 0; i < window_s; i++) {
		sleep_ns(1000000000ull);
		if ((i + 1) % 10 == 0 || i + 1 == window_s)
			fprintf(stderr, "scaleload:   window %d/%d s\n", i + 1, window_s);
	}
	read_stats(&s1);
	read_cpu(&b1, &t1c);
	t1 = now_ns();
	avail = mem_avail_mb();

	/* Stop every group and let two samples take their final counts. */
	for (i = 0; i < procs; i++)
		kill(pids[i], SIGSTOP);
	for (i = 0; i < procs; i++) {
		int st;

		if (waitpid(pids[i], &st, WUNTRACED) != pids[i] || !WIFSTOPPED(st))
			die("process %d did not stop\n", pids[i]);
	}
	sleep_ns(200000000ull);
	{
		uint64_t w = mp3buf_written(&buf);

		while (mp3buf_written(&buf) < w + 2)
			sleep_ns(10000000ull);
	}
	f = fopen("/proc/mp3/tasks", "r");
	if (!f)
		die("cannot open /proc/mp3/tasks\n");
	n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b, c;

		if (sscanf(line, "%*d %llu %llu %llu", &a, &b, &c) == 3) {
			tmin += a;
			tmaj += b;
			tcpu += c;
			n++;
		}
	}
	fclose(f);

	/* Every sample since load: sums, and the window's intervals. */
	ivals = calloc(MP3_RING_SAMPLES, sizeof(*ivals));
	if (!ivals)
		die("out of memory\n");
	while (mp3buf_follow(&buf, &next, &lost, &smp) == 1) {
		smin += smp.min_flt;
		smaj += smp.maj_flt;
		scpu += smp.cpu_ns;
		if (smp.mono_ns >= t0 && smp.mono_ns <= t1) {
			wmin += smp.min_flt;
			if (prev.mono_ns >= t0 && smp.seq == prev.seq + 1) {
				uint64_t iv = smp.mono_ns - prev.mono_ns;

				ivals[nivals++] = iv;
				/* more than 1.5 periods: show when, to tell stalls apart */
				if (iv > 1500ull * buf.hdr->period_us && nlong++ < 8)
					fprintf(stderr, "scaleload:   long interval %.1f ms at +%.2f s\n",
						iv / 1e6, (prev.mono_ns - t0) / 1e9);
			}
		}
		prev = smp;
	}
	for (i = 0; i < (int)nivals; i++)
		pmean += ivals[i];
	pmean = nivals ? pmean / nivals : 0;
	qsort(ivals, nivals, sizeof(*ivals), cmp_u64);

	for (i = 0; i < procs; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < procs; i++)
		waitpid(pids[i], NULL, 0);

	avg = s1.runs > s0.runs ?
		(double)(s1.avg * s1.runs - s0.avg * s0.runs) / (s1.runs - s0.runs) : 0;
	pmod = s1.pint > s0.pint ?
		(double)(s1.pmean * s1.pint - s0.pmean * s0.pint) / (s1.pint - s0.pint) : 0;
	ok = !lost && n == procs && smin == tmin && smaj == tmaj && scpu == tcpu;
	printf("scaleload: procs=%d threads=%d window_s=%.2f runs=%lld handler_avg_ns=%.0f "
	       "handler_max_ns=%lld max_in_window=%d period_mean_ns=%.0f period_p99_ns=%llu "
	       "period_max_ns=%llu intervals=%zu long_intervals=%zu module_period_mean_ns=%.0f missed=%lld "
	       "faults_per_s=%.0f cpu_busy_pct=%.1f mem_avail_mb=%ld samples=%llu lost=%llu "
	       "exact=%d sum_min=%llu tasks_min=%llu sum_maj=%llu tasks_maj=%llu "
	       "sum_cpu_ns=%llu tasks_cpu_ns=%llu\n",
	       procs, nthreads, (t1 - t0) / 1e9, s1.runs - s0.runs, avg, s1.max,
	       s1.max > s0.max, pmean,
	       nivals ? (unsigned long long)ivals[(size_t)(0.99 * (nivals - 1))] : 0ull,
	       nivals ? (unsigned long long)ivals[nivals - 1] : 0ull, nivals, nlong, pmod,
	       s1.missed - s0.missed, wmin / ((t1 - t0) / 1e9),
	       t1c > t0c ? 100.0 * (b1 - b0) / (t1c - t0c) : 0, avail,
	       (unsigned long long)next, (unsigned long long)lost, ok, smin, tmin, smaj, tmaj,
	       scpu, tcpu);
	if (!ok)
		fprintf(stderr, "scaleload: EXACTNESS CHECK FAILED (%d of %d rows, %llu lost)\n",
			n, procs, (unsigned long long)lost);
	mp3buf_close(&buf);
	return ok ? 0 : 1;
}
