/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pftrace_int.h - pftrace's parts: the core (pftrace.c) and its views. */
#ifndef __PFTRACE_CORE_H
#define __PFTRACE_CORE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <linux/types.h>
#include "output.h"
#include "pftrace.h"

#define PFT_MAX_PIDS 64
#define PFT_OPT_BANDS 1100	/* heat's --bands: an argp key apart from pftrace.c's */
#define PFT_MAX_BANDS 199	/* heat.c: fewer than the map's 200 rows */

enum pft_view { PFT_WHERE, PFT_LAT, PFT_TOP, PFT_CODE, PFT_HEAT };

struct pft_env {
	enum pft_view view;
	pid_t pids[PFT_MAX_PIDS];
	int npids;
	char *cmd;
	enum pfb_format fmt;	/* PFB_JSON: one document; with jsonl, a line per object */
	bool jsonl;
	double interval;	/* s */
	long count;		/* intervals; -1: until Ctrl-C or the command exits */
	int top_n;		/* rows in where/code tables */
	bool folded;		/* code: collapsed stacks */
	bool offsets;		/* code: frames with their offsets */
	int unwind;		/* code: enum pft_unwind */
	__u32 stack_bytes;	/* code, dwarf: stack copied per fault */
	bool call_graph_set;	/* --call-graph given */
	bool per_process;	/* lat: a histogram per process */
	bool log_colour;	/* heat */
	const char *png;	/* heat */
	int heat_bands;		/* heat: mappings with bands of their own (0: 24) */
	const char *method;	/* "auto", "fexit" or "tp" */
	bool verbose;
};

extern struct pft_env env;

struct pftrace_bpf;

/* What the views need of the core. */
struct pft_run {
	struct pftrace_bpf *skel;
	int ncpus;
	bool fexit;		/* the method: fexit, else tp+pe */
	double secs;		/* length of the interval just ended */
	int seq;		/* its number */
	__u64 mono_ns;		/* its end, CLOCK_MONOTONIC */
	bool have_ru;		/* -c: the command has been reaped, ru is its */
	struct rusage ru;	/* wait4's: the command and its waited-for children */
	__u64 start_ns;		/* when tracing started (the first interval's start) */
	double run_secs;	/* the run so far: start_ns to mono_ns (at the end: all of it) */
	int json_objs;		/* objects printed in the JSON document */
};

/*
 * --json: the one document of a run,
 *   {"tool":"pftrace","version":1,"view":V,"method":M,"interval_s":S,
 *    "intervals":[OBJ,OBJ,...],"run_secs":T}
 * The core prints its frame (begin before the first interval, end after
 * the last); a view prints each of its objects (one per interval; code:
 * one at the end) after pft_json_next(), which prints the separator.
 * --jsonl: no frame, no separator, an object per line.
 */
void pft_json_begin(struct pft_run *r);
void pft_json_next(struct pft_run *r);
void pft_json_end(struct pft_run *r);

/*
 * A buffer's size: the largest power of two from @lo up to @hi that is at
 * most the memory / @div (@lo if the memory cannot be read).
 */
__u64 pft_mem_share(__u64 lo, __u64 hi, unsigned int div);
/* Every key of hash map @fd (at most @max), each @ksz bytes, into @keys. */
int pft_map_keys(int fd, void *keys, size_t ksz, int max);
/* A mapping's label: [heap], [stack], ..., or its file's path. */
void pft_map_label(__u32 pid, const struct pft_map *m, char *buf, size_t len);
/* The row @slot's PID and comm (cached); false if it is not a row. */
bool pft_who(struct pft_run *r, __u32 slot, __u32 *id, char comm[16]);
const char *pft_class_name(int cls);
const char *pft_kind_name(int kind);
/* The @q quantile of @h in ns, interpolated inside its log2 bucket, at most its max. */
double pft_quantile(const struct pft_hist *h, double q);
/* Add @from's counts, sum and buckets to @to, and keep the larger max. */
void pft_hist_merge(struct pft_hist *to, const struct pft_hist *from);

/* Each view: once per interval, then once at the end (last = true). */
void pft_where(struct pft_run *r, bool last);
void pft_lat(struct pft_run *r, bool last);
void pft_code(struct pft_run *r, bool last);
/* code: open new processes' address spaces while they live. */
void pft_code_poll(struct pft_run *r);
/* code: before tracing starts. */
void pft_code_init(void);
/* code: one sample from the samples ring buffer (a ring_buffer callback). */
int pft_code_sample(struct pft_run *r, const void *data, size_t size);
/*
 * code: unwind the samples waiting, for about @ms ms (all of them if
 * @ms < 0); true if some still wait.
 */
bool pft_code_unwind(struct pft_run *r, int ms);
void pft_heat_event(struct pft_run *r, const struct pft_event *e);
int pft_heat_end(struct pft_run *r);
void pft_top(struct pft_run *r, bool last);
/* top: read the CPU time of the processes seen (every 100 ms, and at start). */
void pft_top_poll(struct pft_run *r);
/* top: the key the user pressed (0: none); true to quit. */
bool pft_top_key(int key);

#endif
