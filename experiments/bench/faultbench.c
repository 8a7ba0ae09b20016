// SPDX-License-Identifier: GPL-2.0
/*
 * faultbench - fault-heavy microbenchmark for experiments/bench/witness-bench.sh.
 *
 *   faultbench PAGES ROUNDS
 *
 * Maps PAGES anonymous pages once (THP off by madvise), then ROUNDS times
 * writes one byte to every page (one minor fault each) and drops them with
 * MADV_DONTNEED.  The same small working set is reused, so freed memory is
 * not handed back to a hypervisor between rounds (see docs/witness.md).
 * Prints the wall time per fault (the loop, madvise included, divided by
 * the faults getrusage counted):
 *   faultbench: faults=F secs=S ns_per_fault=X
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#define PAGE 4096L

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long pages, rounds, r, i, faults;
	volatile char *p;
	struct rusage a, b;
	double t0, t1;

	if (argc != 3 || (pages = atol(argv[1])) <= 0 || (rounds = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: faultbench PAGES ROUNDS\n");
		return 2;
	}
	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("faultbench: mmap");
		return 1;
	}
	madvise((void *)p, pages * PAGE, MADV_NOHUGEPAGE);
	getrusage(RUSAGE_SELF, &a);
	t0 = now();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < pages; i++)
			p[i * PAGE] = 1;
		madvise((void *)p, pages * PAGE, MADV_DONTNEED);
	}
	t1 = now();
	getrusage(RUSAGE_SELF, &b);
	faults = b.ru_minflt - a.ru_minflt;
	printf("faultbench: faults=%ld secs=%.6f ns_per_fault=%.1f\n", faults, t1 - t0,
	       faults ? (t1 - t0) * 1e9 / faults : 0);
	return 0;
}
