/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pfwitness.h - types shared by pfwitness.bpf.c and pfwitness.c. */
#ifndef __PFWITNESS_H
#define __PFWITNESS_H

#define TASK_COMM_LEN 16

/* Per process (tgid), or per thread with -T, per CPU: cumulative counts. */
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
	char comm[TASK_COMM_LEN];
};

/* Per CPU: when the task now running there was switched in, on both
 * clocks, and its thread id (0: idle).
 */
struct pfw_oncpu {
	__u64 ktime;	/* bpf_ktime_get_ns() */
	__u64 sclk;	/* rq->clock_task, 0 where it cannot be read */
	__u32 tid;
};

/* Clock stamp taken by the "stamp" syscall program on request. */
struct pfw_stamp {
	__u64 jiffies;		/* bpf_jiffies64() */
	__u64 mono_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

#endif /* __PFWITNESS_H */
