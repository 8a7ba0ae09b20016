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
	__u64 ru_min;		/* the thread's own min_flt, read at its switches */
	__u64 ru_maj;		/* the thread's own maj_flt, likewise */
	/*
	 * Switches the kernel did not trace (docs/witness.md, "Switches the
	 * kernel does not trace"), and what was done about them.
	 */
	__u64 miss_in;		/* stretches found broken at a switch-out */
	__u64 miss_out;		/* found broken at a switch-in */
	__u64 cpu_rec_ns;	/* CPU time of those stretches, from the
				 * thread's se.sum_exec_runtime (in cpu_ns)
				 */
	__u64 pe_miss_min;	/* faults in those stretches, by the thread's
				 * own counters: pe could not read them
				 */
	__u64 pe_miss_maj;
	__u64 stolen_ns;	/* in the stretches, time the CPU's clock_task
				 * left out (hypervisor steal, accounted IRQ
				 * time): not the task's, so not in cpu_ns
				 */
};

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
