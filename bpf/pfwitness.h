/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pfwitness.h - types shared by pfwitness.bpf.c and pfwitness.c. */
#ifndef __PFWITNESS_H
#define __PFWITNESS_H

#include "pfprof_bpf.h"

/* Per row, per CPU: cumulative counts. */
struct pfw_counts {
	__u64 tp_user;		/* exceptions:page_fault_user */
	__u64 tp_kernel;	/* exceptions:page_fault_kernel on user addresses */
	__u64 pe_min;		/* perf sw event PAGE_FAULTS_MIN */
	__u64 pe_maj;		/* perf sw event PAGE_FAULTS_MAJ */
	__u64 fx_min;		/* fexit handle_mm_fault, accounted minor */
	__u64 fx_maj;		/* fexit handle_mm_fault, accounted major */
	__u64 fx_gup;		/* of those, without regs (get_user_pages) */
	__u64 fx_skip;		/* fexit results mm_account_fault skips
				 * (VM_FAULT_ERROR or VM_FAULT_RETRY)
				 */
	__u64 cpu_ns;		/* on-CPU time from sched_switch */
	__u64 sclk_ns;		/* the same intervals on the scheduler's clock
				 * (rq->clock_task); 0: not readable
				 */
	__u64 ru_min;		/* the thread's own min_flt, over its stretches */
	__u64 ru_maj;		/* the thread's own maj_flt, likewise */
};

/*
 * Per traced thread (task-local storage, or a hash by tid where the
 * kernel has no task storage): its row, and what it was switched in at.
 * The last two members serve the hash only.
 */
struct pfw_task {
	__u64 since;		/* bpf_ktime_get_ns() at switch-in; 0: not on CPU */
	__u64 sclk;		/* rq->clock_task at switch-in */
	__u64 pe_min0;		/* this CPU's PAGE_FAULTS_MIN count at switch-in */
	__u64 pe_maj0;		/* this CPU's PAGE_FAULTS_MAJ count at switch-in */
	__u64 ru_min0;		/* the thread's min_flt at switch-in */
	__u64 ru_maj0;		/* the thread's maj_flt at switch-in */
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
