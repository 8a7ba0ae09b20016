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
 *
 * Prints its own getrusage and /proc/self/schedstat at the end:
 *   pfw-touch: pid=P minflt=.. majflt=.. sched_ns=..
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L

static void usage(void)
{
	fprintf(stderr, "usage: pfw-touch anon|populate|fork N | file|read PATH N | spin MS\n");
	exit(2);
}

static void report(void)
{
	long long sched_ns = -1;
	struct rusage ru;
	FILE *f;

	f = fopen("/proc/self/schedstat", "r");	/* on-CPU ns so far */
	if (f) {
		if (fscanf(f, "%lld", &sched_ns) != 1)
			sched_ns = -1;
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("pfw-touch: pid=%d minflt=%ld majflt=%ld sched_ns=%lld\n", (int)getpid(),
	       ru.ru_minflt, ru.ru_majflt, sched_ns);
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

int main(int argc, char **argv)
{
	volatile char *p;
	long n, i, sum = 0;
	int fd;

	if (argc < 3)
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
