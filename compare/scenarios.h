/* SPDX-License-Identifier: GPL-2.0 */
/* scenarios.h - pfcompare's built-in scenarios: what runs, at which size. */
#ifndef PFCOMPARE_SCENARIOS_H
#define PFCOMPARE_SCENARIOS_H

#include <stdbool.h>

#define PLAN_MAX_PROCS 64

enum scale { SCALE_TEST, SCALE_FULL };

/* One run: processes launched together, each held before exec. */
struct plan {
	int nprocs;
	char cmd[PLAN_MAX_PROCS][160];	/* split on blanks; PATH lookup */
	char env[160];			/* "VAR=v VAR=v" for every process */
	/* sh -c: exits non-zero, printing why, where the scenario cannot
	 * run (a missing kernel feature); "" = runs anywhere
	 */
	char requires[512];
	char setup[2048];		/* sh -c before launching ("" = none) */
	char teardown[512];
	const char *cgroup;		/* move the processes here, or NULL */
	bool self_registers;		/* the workload writes R/U itself */
};

struct scenario {
	const char *name;
	const char *title;
	const char *expect;	/* which classes of difference it shows */
	void (*build)(struct plan *p, enum scale s);
};

extern const struct scenario scenarios[];
extern const int nscenarios;
const struct scenario *scenario_find(const char *name);

#endif
