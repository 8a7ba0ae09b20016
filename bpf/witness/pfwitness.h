/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pfwitness.h - types shared by pfwitness.bpf.c and pfwitness.c. */
#ifndef __PFWITNESS_H
#define __PFWITNESS_H

#include "pfprof_bpf.h"

/*
 * struct pfw_counts, the per row, per CPU counts, is the record's counter
 * table (include/pfprof/witness_record.h, PFW_COUNTERS): one __u64 per
 * field of the CSV and JSON, in their order.
 */
#include "pfprof/witness_record.h"

/*
 * Per traced thread (task-local storage, or a hash by tid where the
 * kernel has no task storage): its row, what it was switched in at, and
 * its own counters as last read.  gone and task serve the hash only.
 */
struct pfb_task {
	__u64 since;		/* bpf_ktime_get_ns() at switch-in; 0: not on CPU */
	__u64 sclk;		/* rq->clock_task at switch-in */
	__u64 skip0;		/* the CPU's skipped_of() at switch-in */
	__u64 pe_min0;		/* this CPU's PAGE_FAULTS_MIN count at switch-in */
	__u64 pe_maj0;		/* this CPU's PAGE_FAULTS_MAJ count at switch-in */
	__u64 ru_min0;		/* the thread's min_flt when last read */
	__u64 ru_maj0;		/* the thread's maj_flt when last read */
	__u64 rt0;		/* its se.sum_exec_runtime when last read */
	__u64 sw0;		/* its nvcsw + nivcsw (switches out) when
				 * last read
				 */
	__u32 known;		/* ru_min0, ru_maj0, rt0 and sw0 hold a reading:
				 * from fork (all 0), or from a switch seen
				 */
	__u32 slot;		/* row in counts; 0: none yet */
	__u32 gone;		/* a group leader's entry: it has made its
				 * final switch (the entry stays while other
				 * threads of a row per process need it)
				 */
	__u64 task;		/* the task_struct the entry is for; 0: not
				 * known yet (seeded from /proc): a tid moves
				 * to another task at a non-leader's exec
				 */
};

/* Clock stamp taken by the "stamp" syscall program on request. */
struct pfw_stamp {
	__u64 jiffies;		/* bpf_jiffies64() */
	__u64 mono_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

#endif /* __PFWITNESS_H */
