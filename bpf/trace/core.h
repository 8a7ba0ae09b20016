/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * core.h - what pftrace's views use of the core (core.c): the run, the
 * options (read-only once parsed), JSON framing, names, and the helpers
 * that read the BPF maps.  Views include this, never pftrace.c.
 */
#ifndef __PFTRACE_CORE_H
#define __PFTRACE_CORE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <linux/types.h>
#include "cli.h"
#include "output.h"
#include "pftrace.h"

/* The options every view shares; read-only once parsed (pftrace.c). */
struct pft_opts {
	struct pfb_targets tg;	/* -p, -c (split in place once the run starts) */
	enum pfb_format fmt;	/* PFB_JSON: one document; with jsonl, a line per object */
	bool jsonl;
	double interval;	/* s */
	long count;		/* intervals; -1: until Ctrl-C or the command exits */
	const char *method;	/* "auto", "fexit" or "tp" */
};

struct pftrace_bpf;

/* What the views need of the core. */
struct pft_run {
	const struct pft_opts *o;
	const char *view;	/* its name, for the JSON frame */
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
	pid_t cmd_pid;		/* -c: the command's PID (0: no -c) */
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
 * Runs the kernel skipped because a program was already running on that
 * CPU (fexit under preemption, docs/witness.md).
 */
__u64 pft_recursion_misses(struct pftrace_bpf *skel);

/*
 * A buffer's size: the largest power of two from @lo up to @hi that is at
 * most the memory / @div (@lo if the memory cannot be read).
 */
__u64 pft_mem_share(__u64 lo, __u64 hi, unsigned int div);
/* Every key of hash map @fd (at most @max), each @ksz bytes, into @keys. */
int pft_map_keys(int fd, void *keys, size_t ksz, int max);
/* Read and delete (so each interval starts from zero, as libbpf-tools do). */
int pft_take(int fd, const void *key, void *val);
/*
 * utime + stime of @pid in clock ticks (all its threads, live and exited)
 * and its start time (ticks since boot, to tell a reused PID); false if
 * it is gone.
 */
bool pft_proc_cpu(__u32 pid, unsigned long long *ticks, unsigned long long *start);
/* A mapping's label: [heap], [stack], ..., or its file's path. */
void pft_map_label(__u32 pid, const struct pft_map *m, char *buf, size_t len);
/* The row @slot's PID and comm (cached); false if it is not a row. */
bool pft_who(struct pft_run *r, __u32 slot, __u32 *id, char comm[16]);
/* Processes (threads with -T) that took a row: new rows and reused ones. */
__u32 pft_rows_taken(const struct pft_run *r);
const char *pft_class_name(int cls);
const char *pft_kind_name(int kind);
/* The @q quantile of @h in ns, interpolated inside its log2 bucket, at most its max. */
double pft_quantile(const struct pft_hist *h, double q);
/* Add @from's counts, sum and buckets to @to, and keep the larger max. */
void pft_hist_merge(struct pft_hist *to, const struct pft_hist *from);

#endif
