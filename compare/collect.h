/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collect.h - run one plan: launch its processes held before exec, register
 * them with the module and the witness, release them, hold each at exit
 * (ptrace exit stop) to read /proc, reap with wait4, and read the module's
 * samples from the mmap'd ring.
 */
#ifndef PFCOMPARE_COLLECT_H
#define PFCOMPARE_COLLECT_H

#include <stdbool.h>

#include "record.h"
#include "scenarios.h"

struct collect_opts {
	bool module;		/* register with mp3 (and read its ring) */
	bool witness;		/* run pfwitness on the processes */
	bool trace_exit;	/* ptrace exit stop for /proc ground truth */
	const char *witness_prog;
	double witness_interval;
	bool quiet;		/* no progress lines */
};

/* Run the plan's requires check: true if it can run here, else false with
 * the check's first line of output in @why.
 */
bool plan_runnable(const struct plan *pl, char *why, size_t n);

/* 0 on success, -1 with a message on stderr. */
int collect_run(const struct plan *pl, const struct collect_opts *o, struct record *r);

/* Load mp3.ko from $PFPROF_ROOT if /proc/mp3 is missing. */
int collect_ensure_module(void);
/* The module's /proc/mp3/stats figures (handler runs and times, period) into @r. */
void collect_modstats(struct record *r);

#endif
