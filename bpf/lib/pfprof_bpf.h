/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pfprof_bpf.h - types every pfprof BPF tool shares, BPF and user side. */
#ifndef __PFPROF_BPF_H
#define __PFPROF_BPF_H

#define TASK_COMM_LEN 16

/* Rows: slot 0 is never used; a process (a thread with -T) gets a slot
 * when it becomes a target and keeps it, so a PID that is reused is a
 * new row.  A tool that reuses rows (pftrace serve) hands an exited
 * process's row back, once it has read it, for a new process to take.
 */
#define PFB_MAX_SLOTS 16384

/* Who a row is: written once when the slot is taken, comm again at exec. */
struct pfb_slot {
	__u32 id;		/* tgid, or tid with -T; 0: not a row */
	__u32 tgid;
	char comm[TASK_COMM_LEN];
	__u32 exited;		/* reusing tools: its process (thread) has exited */
	__u32 pad;
};

#endif /* __PFPROF_BPF_H */
