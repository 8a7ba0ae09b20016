// SPDX-License-Identifier: GPL-2.0
/*
 * faultstack - page faults taken a known number of times from a known
 * call stack, for experiments/bench/pftrace-unwind.sh.
 *
 *   faultstack PAGES PASSES [DEPTH [FRAME]]
 *   faultstack -x CMD [ARG...]
 *
 * The first form maps PAGES anonymous pages once (THP off by madvise) and
 * PASSES times writes one byte to every page (one minor fault each) and
 * drops them with MADV_DONTNEED, as experiments/bench/faultbench.c does, but from
 * DEPTH nested calls (default 16), each with FRAME bytes of locals
 * (default 1024), below main: every fault has DEPTH + 3 frames of this
 * program above libc, and DEPTH * FRAME bytes of stack and more in use at
 * the fault, so that an unwinder that copies SIZE bytes of stack per fault
 * (perf's and pftrace's --call-graph dwarf,SIZE) copies all SIZE.  Build
 * it with -fno-omit-frame-pointer so that frame pointers reach main.
 *
 * It prints, for the faulting loop only (not its start or its exit, nor a
 * tracer's):
 *   faultstack: faults=F secs=S cpu=C ns_per_fault=X stack=B
 * F the minor faults getrusage counted over the loop, S its wall seconds
 * (CLOCK_MONOTONIC), C its CPU seconds (user + system, which includes what
 * a tracer runs in the fault path), B the bytes of stack from the faulting
 * frame to the top of the stack.
 *
 * The second form runs CMD (no shell; its output is passed through) and
 * prints the same line for the child, from fork to wait4: F its minor and
 * major faults, C its CPU, B 0.  It times a distro program without
 * counting a tracer's start-up and teardown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L

static long pages, passes, frame = 1024;
static volatile char *mem;
static unsigned long stack_top, stack_used;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(const struct rusage *r)
{
	return r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 +
	       r->ru_stime.tv_sec + r->ru_stime.tv_usec / 1e6;
}

/* the end of [stack] in /proc/self/maps: the top of the main stack */
static unsigned long find_stack_top(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	fclose(f);
	return hi;
}

static __attribute__((noinline)) void touch(void)
{
	volatile char here;
	long r, i;

	stack_used = stack_top - (unsigned long)&here;
	for (r = 0; r < passes; r++) {
		for (i = 0; i < pages; i++)
			mem[i * PAGE] = 1;
		madvise((void *)mem, pages * PAGE, MADV_DONTNEED);
	}
}

/* one level of the call stack, with FRAME bytes of locals in use */
static __attribute__((noinline)) void descend(long depth)
{
	volatile char *locals = __builtin_alloca(frame);

	memset((char *)locals, (int)depth, frame);
	if (depth > 1)
		descend(depth - 1);
	else
		touch();
	locals[0]++;		/* a use after the call: no tail call */
}

static int run(char **argv)
{
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int status;

	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("faultstack: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror("faultstack: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("faultstack: wait4");
		return 1;
	}
	t1 = now();
	fprintf(stderr, "faultstack: faults=%ld secs=%.6f cpu=%.6f ns_per_fault=%.1f stack=0\n",
		ru.ru_minflt + ru.ru_majflt, t1 - t0, cpu(&ru),
		ru.ru_minflt + ru.ru_majflt ? (t1 - t0) * 1e9 / (ru.ru_minflt + ru.ru_majflt) : 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	long depth = 16, faults;
	struct rusage a, b;
	double t0, t1;

	if (argc >= 3 && !strcmp(argv[1], "-x"))
		return run(argv + 2);
	if (argc < 3 || argc > 5 || (pages = atol(argv[1])) <= 0 ||
	    (passes = atol(argv[2])) <= 0 || (argc > 3 && (depth = atol(argv[3])) <= 0) ||
	    (argc > 4 && (frame = atol(argv[4])) < 64)) {
		fprintf(stderr, "usage: faultstack PAGES PASSES [DEPTH [FRAME]]\n"
			"       faultstack -x CMD [ARG...]\n");
		return 2;
	}
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("faultstack: mmap");
		return 1;
	}
	madvise((void *)mem, pages * PAGE, MADV_NOHUGEPAGE);
	stack_top = find_stack_top();
	faults = passes;
	passes = 0;
	descend(depth);		/* the stack's pages present before the count */
	passes = faults;
	getrusage(RUSAGE_SELF, &a);
	t0 = now();
	descend(depth);
	t1 = now();
	getrusage(RUSAGE_SELF, &b);
	faults = b.ru_minflt - a.ru_minflt;
	printf("faultstack: faults=%ld secs=%.6f cpu=%.6f ns_per_fault=%.1f stack=%lu\n",
	       faults, t1 - t0, cpu(&b) - cpu(&a), faults ? (t1 - t0) * 1e9 / faults : 0,
	       stack_top ? stack_used : 0);
	return 0;
}
