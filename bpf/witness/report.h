/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report.h - pfwitness snapshots, deltas and output (table, CSV, JSON). */
#ifndef __PFW_REPORT_H
#define __PFW_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "pfwitness.h"
#include "output.h"

struct pfw_row {
	__u32 slot;		/* the row's identity: a process, not a PID */
	__u32 id;		/* tgid, or tid with -T */
	char comm[TASK_COMM_LEN];
	struct pfw_counts c;	/* summed over CPUs */
};

struct pfw_snap {
	struct pfw_row *rows;
	int n, cap;
};

/* Which sources attached; printed in the header and the JSON. */
struct pfw_sources {
	bool tp, pe, fx, sw, ru;
	const char *tp_kind;	/* "tp_btf" or "raw_tp" */
	const char *sw_kind;	/* the switch program's (sw, ru): likewise */
	char why_tp[96], why_pe[96], why_fx[96], why_sw[96], why_ru[96];
};

struct pfw_prog_stat {
	const char *name;
	__u64 run_cnt, run_time_ns, recursion_misses;
	bool loaded;
};

/*
 * Read rows 1..@nslots-1 (counts: per-CPU array, slots: who each is);
 * 0, or -ENOMEM with @s empty (and still valid).
 */
int pfw_snap_read(struct pfw_snap *s, int counts_fd, int slots_fd, __u32 nslots,
		  int ncpus);
/* Append a row; 0 or -ENOMEM (then @s is unchanged). */
int pfw_snap_add(struct pfw_snap *s, const struct pfw_row *r);
/* @r's row in @s (the same slot), or NULL. */
const struct pfw_row *pfw_snap_find(const struct pfw_snap *s, const struct pfw_row *r);
void pfw_snap_free(struct pfw_snap *s);

void pfw_out_begin(FILE *f, enum pfb_format fmt, const struct pfw_sources *src,
		   bool per_thread, double interval);
/* One interval: rows of now minus prev, over @secs seconds. */
void pfw_out_interval(FILE *f, enum pfb_format fmt, int seq, __u64 jiffies,
		      __u64 mono_ns, double secs, const struct pfw_snap *now,
		      const struct pfw_snap *prev, const struct pfw_sources *src);
/* Totals, programs, untraced switches, lost events; then pfw_out_close(). */
void pfw_out_end(FILE *f, enum pfb_format fmt, const struct pfw_snap *total,
		 const struct pfw_prog_stat *ps, int nps, __u64 lost_map_full);

/* -c: the command's wait4() (the record's wait4 row). */
struct pfw_wait4 {
	__u32 pid;
	const char *comm;
	int status;
	__u64 minflt, majflt, utime_us, stime_us;
};
/* The wait4 row (@w NULL: none), and the JSON's end. */
void pfw_out_close(FILE *f, enum pfb_format fmt, const struct pfw_wait4 *w);

#endif
