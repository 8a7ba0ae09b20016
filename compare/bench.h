/* SPDX-License-Identifier: GPL-2.0 */
/* bench.h - overhead of the module and the witness, interleaved runs. */
#ifndef PFCOMPARE_BENCH_H
#define PFCOMPARE_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#include "scenarios.h"

struct bench_opts {
	const char *scenario;
	enum scale scale;
	int reps;
	const char *configs;	/* subset of "ABCD" */
	const char *witness_prog;
	FILE *json;		/* or NULL */
	const char *csv;	/* raw per-run rows, or NULL */
	char **argv;		/* -- CMD: the user's command instead of a scenario */
	bool no_module;		/* drop configs B and D (module not loaded) */
};

int bench_main(const struct bench_opts *o);

#endif
