// SPDX-License-Identifier: GPL-2.0
/*
 * pfchurn - process churn under fault load, for the exporter's tests and
 * benchmark (tests/host/39-exporter-churn.sh, docs/metrics.md).
 *
 * USAGE: pfchurn RATE SECONDS PAGES [LOADERS [LINGER]]
 *
 * Forks RATE children a second, on fixed deadlines, for SECONDS: each
 * faults PAGES fresh anonymous pages and exits.  Meanwhile LOADERS
 * processes (default 0) fault 1024-page mappings in a loop until the end.
 * Every child is reaped with wait4(), and its faults (ru_minflt +
 * ru_majflt) summed: the kernel's own count of what a tracer should have
 * seen.  The children are named "pfchurn-kid" and the loaders
 * "pfchurn-load" from their fork on (the parent takes the name for the
 * fork), so that a tracer that names a process at its first fault files
 * them apart from the parent; none of them execs, so none takes a fault
 * without a #PF.  At the end it prints one line
 *
 *   pfchurn: kids=N kid_faults=F kid_cpu_us=C loaders=L load_faults=G
 *            load_cpu_us=D late=D secs=S
 *
 * (the CPU times are wait4's user + system time; late: deadlines that had passed by more than a period when reached),
 * then sleeps LINGER seconds (default 0) before exiting, so that a scraper
 * sees the final counts while the tracer still runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096
#define LOAD_PAGES	1024
#define MAX_LOADERS	16

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void touch(long pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (p == MAP_FAILED)
		_exit(3);
	for (i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	munmap(p, pages * PAGE);
}

/* Fork a child named @name that runs @fn(@arg); its PID, or -1. */
static pid_t spawn(const char *name, void (*fn)(long), long arg)
{
	char self[16] = "";
	pid_t pid;

	prctl(PR_GET_NAME, self);
	prctl(PR_SET_NAME, name);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	prctl(PR_SET_NAME, self);
	return pid;
}

static void loader(long unused)
{
	struct sigaction sa = { .sa_handler = on_term };

	(void)unused;
	sigaction(SIGTERM, &sa, NULL);
	while (!stop)
		touch(LOAD_PAGES);
}

struct sums {
	long kids, kid_faults, load_faults;
	long long kid_us, load_us;
};

static long long ru_us(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000LL +
	       ru->ru_utime.tv_usec + ru->ru_stime.tv_usec;
}

/* Reap what has exited (all, with @block), adding its faults. */
static int reap(struct sums *s, pid_t *loaders, int nloaders, int block)
{
	struct rusage ru;
	int status, i, isload;
	pid_t pid;

	for (;;) {
		pid = wait4(-1, &status, block ? 0 : WNOHANG, &ru);
		if (pid == 0 || (pid < 0 && errno == ECHILD))
			return 0;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "pfchurn: child %d failed (status %#x)\n", pid, status);
			return -1;
		}
		isload = 0;
		for (i = 0; i < nloaders; i++)
			isload |= loaders[i] == pid;
		if (isload) {
			s->load_faults += ru.ru_minflt + ru.ru_majflt;
			s->load_us += ru_us(&ru);
		} else {
			s->kids++;
			s->kid_faults += ru.ru_minflt + ru.ru_majflt;
			s->kid_us += ru_us(&ru);
		}
	}
}

static long arg(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "pfchurn: bad %s: %s (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	pid_t loaders[MAX_LOADERS];
	struct sums s = { 0 };
	long rate, secs, pages, nload = 0, linger = 0, k, late = 0;
	long long t0, period, next;
	int i;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: pfchurn RATE SECONDS PAGES [LOADERS [LINGER]]\n");
		return 2;
	}
	rate = arg(argv[1], 1, 10000, "rate");
	secs = arg(argv[2], 1, 3600, "seconds");
	pages = arg(argv[3], 0, 1 << 20, "pages");
	if (argc > 4)
		nload = arg(argv[4], 0, MAX_LOADERS, "loaders");
	if (argc > 5)
		linger = arg(argv[5], 0, 3600, "linger");

	for (i = 0; i < nload; i++)
		loaders[i] = spawn("pfchurn-load", loader, 0);
	period = 1000000000LL / rate;
	t0 = now_ns();
	for (k = 0; k < rate * secs; k++) {
		next = t0 + k * period;
		if (now_ns() > next + period)
			late++;
		while (now_ns() < next) {
			if (reap(&s, loaders, nload, 0))
				return 1;
			usleep(1000);
		}
		if (spawn("pfchurn-kid", touch, pages) < 0) {
			perror("pfchurn: fork");
			return 1;
		}
	}
	for (i = 0; i < nload; i++)
		kill(loaders[i], SIGTERM);
	if (reap(&s, loaders, nload, 1))
		return 1;
	printf("pfchurn: kids=%ld kid_faults=%ld kid_cpu_us=%lld loaders=%ld load_faults=%ld "
	       "load_cpu_us=%lld late=%ld secs=%.3f\n", s.kids, s.kid_faults, s.kid_us, nload,
	       s.load_faults, s.load_us, late, (now_ns() - t0) / 1e9);
	fflush(stdout);
	sleep(linger);
	return 0;
}
