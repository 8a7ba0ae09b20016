// SPDX-License-Identifier: GPL-2.0
/*
 * pingpong - context-switch microbenchmark for experiments/bench/witness-bench.sh.
 *
 *   pingpong ROUNDS
 *
 * Two processes pinned to one CPU pass a byte back and forth over two
 * pipes ROUNDS times: two context switches a round.  Prints
 *   pingpong: switches=N secs=S ns_per_switch=X
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int ab[2], ba[2];
	long rounds, i;
	cpu_set_t one;
	double t0, t1;
	char c = 0;
	pid_t pid;

	if (argc != 2 || (rounds = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: pingpong ROUNDS\n");
		return 2;
	}
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);	/* both on one CPU */
	if (pipe(ab) || pipe(ba))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (i = 0; i < rounds; i++)
			if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	t0 = now();
	for (i = 0; i < rounds; i++)
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			return 1;
	t1 = now();
	waitpid(pid, NULL, 0);
	printf("pingpong: switches=%ld secs=%.6f ns_per_switch=%.1f\n", 2 * rounds,
	       t1 - t0, (t1 - t0) * 1e9 / (2 * rounds));
	return 0;
}
