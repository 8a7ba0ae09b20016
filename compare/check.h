/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - judge a record: every source against the ground truth, every
 * difference put in a class with a count, per-window agreement of the
 * module's windows with the witness's buckets re-binned onto them.
 */
#ifndef PFCOMPARE_CHECK_H
#define PFCOMPARE_CHECK_H

#include <stdio.h>

#include "record.h"

enum verdict { V_PASS, V_EXPLAINED, V_INFO, V_FAIL };

struct finding {
	char what[48];		/* e.g. "minor faults", "window sequence" */
	char source[24];	/* module, tracepoint, perf_event, fexit, ... */
	long long got, want;	/* want = ground truth (or expected) */
	char cls[64];		/* class that explains the difference */
	long long cls_count;	/* how many, where measurable (-1: n/a) */
	enum verdict v;
	char msg[512];
};

#define WSRC_N 4	/* fexit, perf_event, tracepoint, cpu(sched_switch) */

struct winstats {
	const char *name;
	int n;
	double mae, max, exact_share, corr;
	long long boundary_moved;	/* faults moved across boundaries */
	int boundary_windows, unexplained;
};

struct window {
	unsigned long long end_mono;
	double t;		/* seconds since release, window end */
	long long mod_min, mod_maj, mod_cpu;
	long long fx, pe, tp, cpu;	/* witness re-binned */
	long long bound;		/* straddling-bucket counts (fexit) */
};

struct checked {
	struct finding f[64];
	int nf, fails;
	struct winstats ws[WSRC_N];
	struct window *win;
	int nwin;
	/* totals, for the table and JSON */
	long long truth_min, truth_maj, truth_cpu, pre_reg, sched_ns, cpu_after_stop;
	long long mod_min, mod_maj, mod_cpu;
	struct wcounts wit;
};

/* The sources that get a verdict line, in order. */
#define NVSRC 6
extern const char *const verdict_sources[NVSRC];

/*
 * One source's verdict: "PASS" (every finding PASS, EXPLAINED or INFO),
 * "FAIL", "NOT ATTACHED" (a witness source that did not attach),
 * "NOT LOADED" (module), "NOT RUN" (the witness did not run).
 */
const char *source_verdict(const struct record *r, const struct checked *c, const char *src);

void check_record(const struct record *r, struct checked *c);
void check_free(struct checked *c);
const char *verdict_name(enum verdict v);

#endif
