// SPDX-License-Identifier: GPL-2.0
/*
 * pfw-touch - fault generator for the witness tests.
 *
 *   pfw-touch anon N        touch N fresh anonymous pages (THP off)
 *   pfw-touch populate N    MAP_POPULATE N pages (get_user_pages faults)
 *   pfw-touch file PATH N   read one byte of each of N pages of PATH via mmap
 *   pfw-touch read PATH N   read() N pages of PATH into a fresh buffer
 *   pfw-touch fork N        fork a child that touches N pages; wait for it
 *   pfw-touch spin MS       burn CPU for MS milliseconds
 *   pfw-touch reuse N1 N2   fork a child that touches N1 pages and exits;
 *                           then fork a second child that is given the
 *                           first one's PID (ns_last_pid, root) and
 *                           touches N2 pages; prints "reused pid=P"
 *   pfw-touch aspid P N     fork a child given PID P (ns_last_pid) that
 *                           touches N pages; prints "aspid pid=P got=Q"
 *   pfw-touch exitwait FILE N  fork a child that touches N pages and
 *                           exits; write its PID to FILE.pid, then wait
 *                           until FILE.go exists
 *   pfw-touch threxec N     a second thread execs "pfw-touch anon N" (the
 *                           kernel's de_thread(): it takes the leader's
 *                           PID, and the leader goes)
 *   pfw-touch mtexit N      a second thread waits; the leader touches N
 *                           pages and calls exit_group() at once, so the
 *                           two threads' exits race
 *   pfw-touch argc ARGS...  print how many arguments it was given
 *   pfw-touch now           print CLOCK_MONOTONIC in ms: "now_ms=T"
 *   pfw-touch heap N        grow the heap (sbrk) by N pages and touch them
 *   pfw-touch stack N       touch N pages of stack below main's frame
 *   pfw-touch shm N         touch N pages of a shared anonymous mapping
 *   pfw-touch cow N         touch N private pages, fork; the child writes
 *                           them all (N copy-on-write faults), the parent
 *                           waits
 *   pfw-touch maps N        N mappings of a page each, a PROT_NONE page
 *                           between two (so that none merge), each
 *                           written once: N faults in N mappings
 *
 * Prints its own getrusage and /proc/self/schedstat at the end, and the
 * latter as it was when main() began:
 *   pfw-touch: pid=P minflt=.. majflt=.. sched_ns=.. end_ms=.. oncpu_at_main=..
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/pftest.h"

#define PAGE 4096L

static void usage(void)
{
	fprintf(stderr, "usage: pfw-touch anon|populate|fork N | file|read PATH N | spin MS | reuse N1 N2 | aspid P N | exitwait FILE N | argc ...\n");
	exit(2);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* On-CPU ns so far (/proc/self/schedstat), or -1. */
static long long oncpu_ns(void)
{
	long long ns = -1;
	FILE *f = fopen("/proc/self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%lld", &ns) != 1)
			ns = -1;
		fclose(f);
	}
	return ns;
}

static long long oncpu_at_main;	/* before main's work: fork, exec, ld.so */

static void report(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("pfw-touch: pid=%d minflt=%ld majflt=%ld sched_ns=%lld end_ms=%lld "
	       "oncpu_at_main=%lld\n", (int)getpid(), ru.ru_minflt, ru.ru_majflt,
	       oncpu_ns(), now_ms(), oncpu_at_main);
	fflush(stdout);
}

static void touch(long n)
{
	volatile char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (p == MAP_FAILED)
		exit(1);
	madvise((void *)p, n * PAGE, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
}

/* pf_fork_as()'s body: touch *@n pages. */
static int touch_fn(void *n)
{
	touch(*(long *)n);
	return 0;
}

/* Touch @n pages of stack, one frame of a page per call. */
static long stack_touch(long n)
{
	volatile char page[PAGE];

	page[0] = (char)n;
	page[PAGE - 1] = 0;
	return n > 1 ? stack_touch(n - 1) + page[0] : page[0];
}

static char n_arg[32];

static void *exec_anon(void *self)
{
	execl((const char *)self, "pfw-touch", "anon", n_arg, (char *)NULL);
	_exit(127);
}

static void *wait_forever(void *unused)
{
	for (;;)
		pause();
	return unused;
}

/* A second thread runs @fn; the leader waits for it (for ever if need be). */
static int in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg))
		return 1;
	return pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	volatile char *p;
	long n, i, sum = 0;
	int fd;

	oncpu_at_main = oncpu_ns();
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("now_ms=%lld\n", now_ms());
		return 0;
	}
	if (argc < 3 && !(argc == 2 && !strcmp(argv[1], "argc")))
		usage();
	if (!strcmp(argv[1], "anon")) {
		touch(atol(argv[2]));
	} else if (!strcmp(argv[1], "populate")) {
		n = atol(argv[2]);
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);	/* one fault per page */
		p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return 1;
	} else if (!strcmp(argv[1], "file") && argc == 4) {
		n = atol(argv[3]);
		fd = open(argv[2], O_RDONLY);
		p = fd < 0 ? MAP_FAILED : mmap(NULL, n * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise((void *)p, n * PAGE, MADV_RANDOM);	/* no readahead */
		for (i = 0; i < n; i++)
			sum += p[i * PAGE];
	} else if (!strcmp(argv[1], "read") && argc == 4) {
		n = atol(argv[3]);
		fd = open(argv[2], O_RDONLY);
		p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fd < 0 || p == MAP_FAILED)
			return 1;
		madvise((void *)p, n * PAGE, MADV_NOHUGEPAGE);
		if (read(fd, (void *)p, n * PAGE) != n * PAGE)
			return 1;
	} else if (!strcmp(argv[1], "fork")) {
		pid_t c = fork();

		if (c == 0) {
			touch(atol(argv[2]));
			report();
			_exit(0);
		}
		waitpid(c, NULL, 0);
	} else if (!strcmp(argv[1], "reuse") && argc == 4) {
		pid_t a = fork(), b;

		if (a == 0) {
			touch(atol(argv[2]));
			_exit(0);
		}
		waitpid(a, NULL, 0);
		n = atol(argv[3]);
		b = pf_fork_as(a, touch_fn, &n);
		if (b != a)
			return 3;
		waitpid(b, NULL, 0);
		printf("pfw-touch: reused pid=%d\n", (int)a);
	} else if (!strcmp(argv[1], "aspid") && argc == 4) {
		pid_t c;

		n = atol(argv[3]);
		c = pf_fork_as(atoi(argv[2]), touch_fn, &n);
		if (c < 0)
			return 3;
		waitpid(c, NULL, 0);
		printf("pfw-touch: aspid pid=%d\n", (int)c);
	} else if (!strcmp(argv[1], "exitwait") && argc == 4) {
		char path[4096];
		pid_t c = fork();
		FILE *f;

		if (c == 0) {
			touch(atol(argv[3]));
			_exit(0);
		}
		waitpid(c, NULL, 0);
		snprintf(path, sizeof(path), "%s.pid", argv[2]);
		f = fopen(path, "w");
		if (!f)
			return 1;
		fprintf(f, "%d\n", (int)c);
		fclose(f);
		snprintf(path, sizeof(path), "%s.go", argv[2]);
		while (access(path, F_OK))
			usleep(10000);
	} else if (!strcmp(argv[1], "heap")) {
		n = atol(argv[2]);
		p = sbrk((n + 1) * PAGE);
		if (p == (void *)-1)
			return 1;
		/* page-aligned, and one fault per page (no THP, as anon) */
		p = (volatile char *)(((unsigned long)p + PAGE - 1) & ~(PAGE - 1));
		madvise((void *)p, n * PAGE, MADV_NOHUGEPAGE);
		for (i = 0; i < n; i++)
			p[i * PAGE] = 1;
	} else if (!strcmp(argv[1], "stack")) {
		/* one fault per page, as anon: no THP even where it is "always" */
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		sum = stack_touch(atol(argv[2]));
	} else if (!strcmp(argv[1], "shm")) {
		n = atol(argv[2]);
		p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		for (i = 0; i < n; i++)
			p[i * PAGE] = 1;
	} else if (!strcmp(argv[1], "cow")) {
		pid_t c;

		n = atol(argv[2]);
		p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise((void *)p, n * PAGE, MADV_NOHUGEPAGE);
		for (i = 0; i < n; i++)
			p[i * PAGE] = 1;
		c = fork();
		if (c == 0) {
			for (i = 0; i < n; i++)
				p[i * PAGE] = 2;
			report();
			_exit(0);
		}
		waitpid(c, NULL, 0);
	} else if (!strcmp(argv[1], "maps")) {
		/* one area: [rw][none][rw][none]..., 2N VMAs, N of them rw */
		n = atol(argv[2]);
		p = mmap(NULL, 2 * n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (n <= 0 || p == MAP_FAILED)
			return 1;
		for (i = 0; i < n; i++)
			if (mprotect((void *)(p + 2 * i * PAGE), PAGE, PROT_READ | PROT_WRITE))
				return 1;
		for (i = 0; i < n; i++)
			p[2 * i * PAGE] = 1;
	} else if (!strcmp(argv[1], "threxec")) {
		snprintf(n_arg, sizeof(n_arg), "%ld", atol(argv[2]));
		return in_thread(exec_anon, "/proc/self/exe");
	} else if (!strcmp(argv[1], "mtexit")) {
		pthread_t t;

		if (pthread_create(&t, NULL, wait_forever, NULL))
			return 1;
		touch(atol(argv[2]));
		report();
		exit(0);	/* exit_group(): the waiting thread is killed */
	} else if (!strcmp(argv[1], "argc")) {
		printf("pfw-touch: argc=%d\n", argc);
	} else if (!strcmp(argv[1], "spin")) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		do {
			for (i = 0; i < 100000; i++)
				sum += i;
			clock_gettime(CLOCK_MONOTONIC, &b);
		} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 <
			 atol(argv[2]));
	} else {
		usage();
	}
	report();
	return sum == 42;
}
