/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * view.h - pftrace's views, in a table (views/views.c) in the shape of
 * bpftool's cmds[] and compare/scenarios.h: pftrace.c reaches a view only
 * through its entry here.  A view's state (its options, then what it
 * gathers) is a struct of its own, state_size bytes, owned by the run.
 */
#ifndef __PFTRACE_VIEW_H
#define __PFTRACE_VIEW_H

#include <argp.h>
#include "core.h"

/* argp keys of options that are not letters; one namespace for all views */
enum {
	PFT_OPT_CSV = 1000,
	PFT_OPT_JSON,
	PFT_OPT_JSONL,
	PFT_OPT_FOLDED,
	PFT_OPT_LOG,
	PFT_OPT_CALL_GRAPH,
	PFT_OPT_OFFSETS,
	PFT_OPT_BANDS = 1100,
	PFT_OPT_LISTEN = 1200,
	PFT_OPT_MAX_SERIES,
	PFT_OPT_LABELS,
	PFT_OPT_MP3_DIR,
	PFT_OPT_MAX_ROWS,
};

/* -n, of where and code */
#define PFT_OPTION_TOP_N { "top", 'n', "N", 0, "where, code: rows shown (default 20)", 0 }
/* Parse -n's @arg into @n (1..100000); argp_error() if it is not one. */
void pft_parse_top_n(struct argp_state *as, const char *arg, int *n);

/* What a view needs of the BPF side and of the run (its needs). */
enum {
	PFT_NEEDS_MAPS = 1,	/* the mappings' map (where, heat) */
	PFT_NEEDS_HISTS = 2,	/* the latency histograms (lat, top, serve) */
	PFT_NEEDS_EVENTS = 4,	/* a ring-buffer record per fault (heat) */
	PFT_NEEDS_SAMPLES = 8,	/* a user stack per fault (code); the -c
				 * command's stdout goes to stderr
				 */
	PFT_NEEDS_ROWS = 16,	/* each row's faults by class, its cgroup (serve) */
};

struct pftrace_bpf;

struct pft_view {
	const char *name;
	/* its own options (help order); an option it does not take is refused */
	const struct argp_option *options;
	unsigned int needs;		/* PFT_NEEDS_* */
	size_t state_size;
	/*
	 * Each of its options (argp's key and arg); ARGP_KEY_INIT first (its
	 * defaults), ARGP_KEY_END last (@o complete: checks across options).
	 * argp_error() on a bad one.  May be NULL: no options.
	 */
	void (*parse)(void *state, const struct pft_opts *o, int key, char *arg,
		      struct argp_state *as);
	/* the BPF object's settings of its own, before it loads (may be NULL) */
	void (*setup)(const void *state, struct pftrace_bpf *skel);
	/* before tracing starts (may be NULL) */
	int (*init)(void *state, struct pft_run *r);
	/* a record of the ring buffer (needs EVENTS or SAMPLES) */
	int (*event)(void *state, struct pft_run *r, const void *data, size_t size);
	/* while an interval is waited for: every 100 ms at most (may be NULL) */
	int (*poll)(void *state, struct pft_run *r);
	/* with a ring buffer, when it is empty: work left over; > 0 if some is left */
	int (*idle)(void *state, struct pft_run *r);
	/* a key the user pressed on a terminal: > 0 to quit (may be NULL) */
	int (*key)(void *state, int key);
	/* each interval, then once at the end (@last); may be NULL */
	int (*interval)(void *state, struct pft_run *r, bool last);
	/* after the last interval, tracing detached (may be NULL) */
	int (*end)(void *state, struct pft_run *r);
	/* what it holds (may be NULL); the state itself is the caller's */
	void (*free)(void *state);
};

/* NULL-terminated; in the order of --help's options */
extern const struct pft_view *const pft_views[];
const struct pft_view *pft_view_find(const char *name);

extern const struct pft_view pft_view_where, pft_view_lat, pft_view_code,
	pft_view_heat, pft_view_top, pft_view_serve;

#endif
