/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pftrace.h - types shared by pftrace.bpf.c and pftrace.c. */
#ifndef __PFTRACE_H
#define __PFTRACE_H

#include "pfprof_bpf.h"

#define PFT_BUCKETS	64	/* log2 ns buckets: [2^k, 2^(k+1)); a power of two */
#define PFT_NAME_LEN	48
#define PFT_NO_PF	0xffffffff	/* err of a fault without a #PF (gup) */

/* Latency classes, told apart as docs/pftrace.md says. */
enum pft_class {
	PFT_MINOR_ANON,
	PFT_MINOR_FILE,
	PFT_MAJOR_FILE,
	PFT_MAJOR_SWAP,
	PFT_COW,		/* a write to a present, write-protected page */
	PFT_NCLASS,
};

/* Mapping kinds. */
enum pft_kind {
	PFT_K_UNKNOWN,		/* the VMA could not be looked up */
	PFT_K_FILE,
	PFT_K_HEAP,
	PFT_K_STACK,
	PFT_K_ANON,
	PFT_K_SHM,		/* shared memory: shmem/tmpfs files, SysV, memfd */
	PFT_K_VDSO,
	PFT_NKIND,
};

/* Per row, per CPU. */
struct pft_counts {
	__u64 minor, major;
	__u64 gup;		/* of those, without a #PF (get_user_pages) */
	__u64 cow;
};

/*
 * serve: a row's faults by class (one atomic add each, so that a reader
 * never sees a fault in one field and not yet in another) and its cgroup
 * v2 id at its first fault.  Shared by the CPUs, not per CPU.
 */
struct pft_row {
	__u64 cls[PFT_NCLASS];
	__u64 cgroup;
	__u64 exit_ns;		/* its threads' CPU time, each added when freed */
	__u64 start_ns;		/* when its leader is freed: its start (boot ns) */
};

struct pft_hist_key {
	__u32 slot;		/* 0: overall (all rows) */
	__u32 cls;
};

/* Per CPU; user space sums. */
struct pft_hist {
	__u64 count, sum_ns, max_ns;
	__u32 bucket[PFT_BUCKETS];
};

struct pft_map_key {
	__u32 slot;
	__u32 pad;
	__u64 anchor;		/* the VMA's vm_start; vm_end for a stack,
				 * which grows down
				 */
};

struct pft_map {
	__u64 start, end;	/* the VMA when last seen */
	__u64 minor, major, gup;
	__u32 kind;
	__u32 pad;
	char name[PFT_NAME_LEN];	/* the file's name (basename) */
};

/* code: how user stacks are taken (--call-graph) */
enum pft_unwind {
	PFT_UNWIND_FP = 1,	/* frame pointers, walked in user space */
	PFT_UNWIND_DWARF,	/* call-frame information, unwound in user space
				 * with libdwfl (.eh_frame, .debug_frame)
				 */
};

#define PFT_MAX_FRAMES	127		/* frames kept of a stack */
#define PFT_STACK_MAX	16384		/* dwarf: bytes of stack copied, at most;
					 * a power of two
					 */
#if defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
#define PFT_NREGS	33		/* arm64 struct pt_regs: x0 .. x30, sp, pc */
#else
#define PFT_NREGS	21		/* x86-64 struct pt_regs, r15 .. ss, as is */
#endif
#define PFT_REG_BP	4		/* ... its rbp, */
#define PFT_REG_IP	16		/* rip */
#define PFT_REG_SP	19		/* and rsp */

/*
 * code: one accounted fault of a traced thread, in the samples ring
 * buffer: this header, then @stack_len bytes of the user stack from
 * regs' sp up (in a record of stack_bytes).
 */
struct pft_sample {
	__u32 slot;
	__u32 tid;
	__u32 pslot;		/* pre_exec: the parent's row, 0: pftrace's own */
	__u8 major;
	__u8 unwind;		/* enum pft_unwind */
	__u8 pre_exec;		/* a forked child before its exec: the code is
				 * its parent's
				 */
	__u8 pad;
	__u16 nips;		/* unused, 0 */
	__u16 pad2;
	__u32 stack_len;
	__u64 regs[PFT_NREGS];	/* dwarf: the user registers at the fault */
};
/*
 * Faults that were counted but left out of a view, by cause (a global
 * each, summed over CPUs by the atomics).
 */
struct pft_left_out {
	__u64 faults;		/* every fault counted (the views' total) */
	__u64 gup;		/* of those, without a #PF (fexit only) */
	__u64 no_stack;		/* code: no user stack could be read */
	__u64 ring_full;	/* code: the samples ring buffer was full */
	__u64 unpaired;		/* lat: its start (#PF) not seen, so not timed */
	__u64 hists_full;	/* lat: no room for its histogram */
	__u64 maps_full;	/* where, heat: no room for its mapping's row */
};

/* One fault, for the heat map (ring buffer). */
struct pft_event {
	__u64 t_ns;
	__u64 addr;
	__u32 slot;
	__u32 cls;
};

#endif /* __PFTRACE_H */
