// SPDX-License-Identifier: GPL-2.0
/*
 * work - the MP3 workload generator.
 *
 *   work <MB 1..1024> <R|L> <accesses per iteration>
 *
 * Maps MB MiB of anonymous memory (THP off, so every page faults on its
 * own), registers itself with the profiler through /proc/mp3/status, runs 20
 * iterations of the given number of one-byte stores, each followed by a
 * 1 s sleep, and unregisters.  A store (not a load) makes the first touch
 * of a page exactly one minor fault.  R picks uniformly random pages over
 * the whole area; any other letter uses a locality pattern: a 16-page
 * window that slides one page every 64 accesses, each access random inside
 * the window.
 *
 * At exit it prints its own accounting (getrusage) as ground truth:
 *   work: pid=P total minflt=.. majflt=.. utime_us=.. stime_us=..
 *   work: pid=P registered minflt=.. majflt=.. cpu_us=.. mp3=<ok|errno>
 * "registered" is the change between just before "R" and just after "U".
 *
 * PFPROF_WORK_ITER and PFPROF_WORK_SLEEP_MS override the 20 iterations and
 * the 1000 ms sleep (tests use them to stay short under emulation).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mp3ctl.h"

#define PAGE 4096UL
#define LOCAL_WINDOW 16UL	/* pages in the locality window */
#define LOCAL_STEP 64UL		/* accesses before the window slides a page */

/* Help on stdout, exit 0 (--help, -h); a usage error on stderr, exit 2. */
static void usage_to(FILE *f, int code)
{
	fprintf(f,
		"usage: work <MB 1..1024> <R|L> <accesses per iteration>\n"
		"  R = random accesses over the whole area, L (any other letter) = locality\n");
	if (!code)
		fprintf(f,
			"\n"
			"Maps MB MiB of anonymous memory, registers with the mp3 profiler\n"
			"(/proc/mp3/status), runs 20 iterations of that many one-byte stores,\n"
			"each followed by a 1 s sleep, unregisters, and prints its getrusage.\n"
			"PFPROF_WORK_ITER and PFPROF_WORK_SLEEP_MS override the 20 iterations\n"
			"and the 1000 ms sleep.\n"
			"\n"
			"EXAMPLES:\n"
			"    work 1024 R 50000   # random stores over 1 GiB\n"
			"    work 1024 L 10000   # locality: a 16-page window sliding slowly\n");
	exit(code);
}

static void usage(void)
{
	usage_to(stderr, 2);
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "work: %s=%s out of range %ld..%ld\n", name, s, lo, hi);
		exit(2);
	}
	return v;
}

static long parse_arg(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

/* xorshift64*: cheap, deterministic per seed, good enough to spread pages. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void print_usage_line(const char *tag, const struct rusage *a,
			     const struct rusage *b, const char *extra)
{
	long ut = (b->ru_utime.tv_sec - a->ru_utime.tv_sec) * 1000000L +
		  (b->ru_utime.tv_usec - a->ru_utime.tv_usec);
	long st = (b->ru_stime.tv_sec - a->ru_stime.tv_sec) * 1000000L +
		  (b->ru_stime.tv_usec - a->ru_stime.tv_usec);

	printf("work: pid=%d %s minflt=%ld majflt=%ld utime_us=%ld stime_us=%ld cpu_us=%ld%s\n",
	       (int)getpid(), tag, b->ru_minflt - a->ru_minflt,
	       b->ru_majflt - a->ru_majflt, ut, st, ut + st, extra);
}

int main(int argc, char **argv)
{
	struct rusage zero = { 0 }, before, after, end;
	long mb, accesses, iters, sleep_ms, it, i;
	unsigned long npages, page, cursor = 0, k = 0;
	struct timespec ts;
	uint64_t seed;
	char mode, extra[64];
	char *mem;
	int reg_err, unreg_err;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		usage_to(stdout, 0);
	if (argc != 4 || strlen(argv[2]) != 1)
		usage();
	mb = parse_arg(argv[1], 1, 1024);
	mode = argv[2][0];
	accesses = parse_arg(argv[3], 0, 1000000000L);
	iters = env_long("PFPROF_WORK_ITER", 20, 1, 100000);
	sleep_ms = env_long("PFPROF_WORK_SLEEP_MS", 1000, 0, 3600000);

	npages = (unsigned long)mb * 1024 * 1024 / PAGE;
	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		perror("work: mmap");
		return 1;
	}
	madvise(mem, npages * PAGE, MADV_NOHUGEPAGE);
	seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * Warm the registration path (code pages, stack) with a harmless
	 * no-op, so the rusage snapshots below bracket the registered
	 * interval without faults of their own.
	 */
	mp3ctl('U', getpid());
	getrusage(RUSAGE_SELF, &before);
	reg_err = mp3ctl('R', getpid());
	if (reg_err)
		fprintf(stderr, "work: cannot register with %s: %s (running unprofiled)\n",
			MP3_STATUS_PATH, strerror(-reg_err));

	for (it = 0; it < iters; it++) {
		for (i = 0; i < accesses; i++, k++) {
			if (mode == 'R') {
				page = rnd(&seed) % npages;
			} else {
				if (k % LOCAL_STEP == 0 && k)
					cursor = (cursor + 1) % npages;
				page = (cursor + rnd(&seed) % LOCAL_WINDOW) % npages;
			}
			/* a store, not ++: a load first would map the zero page
			 * and the store would fault again (two faults per page)
			 */
			mem[page * PAGE + (rnd(&seed) & (PAGE - 1))] = (char)k;
		}
		if (sleep_ms) {
			ts.tv_sec = sleep_ms / 1000;
			ts.tv_nsec = (sleep_ms % 1000) * 1000000L;
			nanosleep(&ts, NULL);
		}
	}

	unreg_err = reg_err ? reg_err : mp3ctl('U', getpid());
	getrusage(RUSAGE_SELF, &after);
	if (!reg_err && unreg_err)
		fprintf(stderr, "work: cannot unregister: %s\n", strerror(-unreg_err));

	snprintf(extra, sizeof(extra), " mp3=%s",
		 reg_err ? strerror(-reg_err) : unreg_err ? "unregister-failed" : "ok");
	getrusage(RUSAGE_SELF, &end);
	print_usage_line("registered", &before, &after, extra);
	print_usage_line("total", &zero, &end, "");
	munmap(mem, npages * PAGE);
	return 0;
}
