// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pfwitness.bpf.c - count page faults and CPU time per process from four
 * independent kernel sources (see docs/witness.md):
 *   a) tracepoints exceptions:page_fault_user / page_fault_kernel
 *   b) perf software events PAGE_FAULTS_MIN / PAGE_FAULTS_MAJ
 *   c) fexit on handle_mm_fault, classified like mm_account_fault()
 *   d) sched_switch: on-CPU time (bpf_ktime_get_ns), and beside it the
 *      same intervals on the scheduler's own clock (the runqueue's
 *      clock_task, which sum_exec_runtime is charged from), so that a
 *      difference between the two clocks is measured rather than guessed
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pfwitness.h"

#define MAX_ENTRIES 16384

const volatile bool filter_tgid = false;	/* only tgids in "targets" */
const volatile bool follow_forks = false;	/* add children of targets */
const volatile bool per_thread = false;		/* key by tid, not tgid */

/* The processes to count (when filter_tgid). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Cumulative counts per id, per CPU (no atomics on the fault path). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct pfw_counts);
} counts SEC(".maps");

/* Per CPU: the switch-in stamps of the task now running there. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pfw_oncpu);
} oncpu_since SEC(".maps");

/* Events not counted because the counts map was full. */
__u64 lost_map_full = 0;

/* Written by the "stamp" program, read by user space. */
struct pfw_stamp stamp = {};

/* Tracepoint context of exceptions:page_fault_*: the struct is
 * trace_event_raw_x86_exceptions up to 6.x and trace_event_raw_exceptions
 * later; CO-RE picks the one the running kernel has.
 */
struct trace_event_raw_x86_exceptions___old {
	unsigned long address;
} __attribute__((preserve_access_index));

struct trace_event_raw_exceptions___new {
	unsigned long address;
} __attribute__((preserve_access_index));

static __always_inline struct pfw_counts *lookup(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, key = per_thread ? (__u32)id : tgid;
	struct pfw_counts *c, zero = {};

	if (filter_tgid && !bpf_map_lookup_elem(&targets, &tgid))
		return NULL;
	c = bpf_map_lookup_elem(&counts, &key);
	if (c)
		return c;
	bpf_get_current_comm(zero.comm, sizeof(zero.comm));
	bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&counts, &key);
	if (!c)		/* map full: say so at exit */
		__sync_fetch_and_add(&lost_map_full, 1);
	return c;
}

/*
 * Source (a), preferred form: raw tracepoints.  The BPF program gets the
 * tracepoint's arguments (address, regs, error_code) directly, without the
 * perf trace buffer a classic tracepoint fills first; both kernels have
 * the same TP_PROTO.  The classic tracepoints below are the fallback.
 */
SEC("raw_tracepoint/page_fault_user")
int raw_fault_user(struct bpf_raw_tracepoint_args *ctx)
{
	struct pfw_counts *c = lookup();

	if (c)
		c->tp_user++;
	return 0;
}

SEC("raw_tracepoint/page_fault_kernel")
int raw_fault_kernel(struct bpf_raw_tracepoint_args *ctx)
{
	struct pfw_counts *c;

	if ((long)ctx->args[0] < 0)	/* kernel address: not a user page */
		return 0;
	c = lookup();
	if (c)
		c->tp_kernel++;
	return 0;
}

SEC("tracepoint/exceptions/page_fault_user")
int tp_fault_user(void *ctx)
{
	struct pfw_counts *c = lookup();

	if (c)
		c->tp_user++;
	return 0;
}

SEC("tracepoint/exceptions/page_fault_kernel")
int tp_fault_kernel(void *ctx)
{
	unsigned long addr;
	struct pfw_counts *c;

	if (bpf_core_type_exists(struct trace_event_raw_exceptions___new))
		addr = BPF_CORE_READ((struct trace_event_raw_exceptions___new *)ctx,
				     address);
	else
		addr = BPF_CORE_READ((struct trace_event_raw_x86_exceptions___old *)ctx,
				     address);
	if ((long)addr < 0)	/* kernel address: not a user page */
		return 0;
	c = lookup();
	if (c)
		c->tp_kernel++;
	return 0;
}

SEC("perf_event")
int pe_fault_min(void *ctx)
{
	struct pfw_counts *c = lookup();

	if (c)
		c->pe_min++;
	return 0;
}

SEC("perf_event")
int pe_fault_maj(void *ctx)
{
	struct pfw_counts *c = lookup();

	if (c)
		c->pe_maj++;
	return 0;
}

/*
 * A constant of the running kernel's enum, or where the kernel has no such
 * enum member (the constant was still a #define there), @fallback: its
 * value on the oldest kernel pfwitness runs on, 5.10.  The guard lets the
 * verifier drop the failed relocation of the unused branch.
 */
#define KENUM(type, name, fallback)					\
	(bpf_core_enum_value_exists(enum type, name) ?			\
	 (__u32)bpf_core_enum_value(enum type, name) : (__u32)(fallback))

/*
 * Classify exactly as mm_account_fault() (mm/memory.c) does.  Its
 * constants, with their 5.10 values as the fallbacks:
 *   VM_FAULT_*: enum vm_fault_reason in 5.10 and every later kernel
 *     (include/linux/mm_types.h), values unchanged up to 7.3;
 *     VM_FAULT_ERROR is a macro, rebuilt from the members it ORs.
 *   FAULT_FLAG_TRIED: a #define in 5.10's include/linux/mm.h (0x20),
 *     a member of enum fault_flag since 5.13 (1 << 5, the same value);
 *     user space says at start when the fallback is in use.
 */
SEC("fexit/handle_mm_fault")
int BPF_PROG(fx_handle_mm_fault, struct vm_area_struct *vma,
	     unsigned long address, unsigned int flags, struct pt_regs *regs,
	     vm_fault_t ret)
{
	__u32 error = KENUM(vm_fault_reason, VM_FAULT_OOM, 0x000001) |
		      KENUM(vm_fault_reason, VM_FAULT_SIGBUS, 0x000002) |
		      KENUM(vm_fault_reason, VM_FAULT_SIGSEGV, 0x000040) |
		      KENUM(vm_fault_reason, VM_FAULT_HWPOISON, 0x000010) |
		      KENUM(vm_fault_reason, VM_FAULT_HWPOISON_LARGE, 0x000020) |
		      KENUM(vm_fault_reason, VM_FAULT_FALLBACK, 0x000800);
	__u32 retry = KENUM(vm_fault_reason, VM_FAULT_RETRY, 0x000400);
	__u32 major = KENUM(vm_fault_reason, VM_FAULT_MAJOR, 0x000004);
	__u32 tried = KENUM(fault_flag, FAULT_FLAG_TRIED, 0x20);
	struct pfw_counts *c = lookup();

	if (!c)
		return 0;
	if (ret & (error | retry)) {
		c->fx_skip++;
		return 0;
	}
	if ((ret & major) || (flags & tried))
		c->fx_maj++;
	else
		c->fx_min++;
	if (!regs)
		c->fx_gup++;
	return 0;
}

/*
 * The scheduler's clock now: __schedule() has just run update_rq_clock(),
 * and the switched-out task's sum_exec_runtime was charged up to this
 * value.  Reached through current's cfs_rq (CONFIG_FAIR_GROUP_SCHED; the
 * idle task has one too); 0 where the kernel lacks the fields.
 */
static __always_inline __u64 sched_clock_now(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (!bpf_core_field_exists(t->se.cfs_rq) ||
	    !bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		return 0;
	return BPF_CORE_READ(t, se.cfs_rq, rq, clock_task);
}

SEC("tracepoint/sched/sched_switch")
int sched_switch(struct trace_event_raw_sched_switch *ctx)
{
	__u64 now = bpf_ktime_get_ns(), clk = sched_clock_now();
	struct pfw_counts *c;
	struct pfw_oncpu *since;
	__u32 zero = 0;

	since = bpf_map_lookup_elem(&oncpu_since, &zero);
	if (!since)
		return 0;
	/* current is still the task being switched out */
	if (since->ktime && bpf_get_current_pid_tgid() >> 32) {
		c = lookup();
		if (c) {
			c->cpu_ns += now - since->ktime;
			if (since->sclk && clk > since->sclk)
				c->sclk_ns += clk - since->sclk;
		}
	}
	since->ktime = now;
	since->sclk = clk;
	since->tid = BPF_CORE_READ(ctx, next_pid);
	return 0;
}

/* Follow descendants: a child of a target becomes a target. */
SEC("tracepoint/sched/sched_process_fork")
int sched_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32, child;
	__u8 one = 1;

	if (!follow_forks || !bpf_map_lookup_elem(&targets, &parent))
		return 0;
	child = BPF_CORE_READ(ctx, child_pid);
	bpf_map_update_elem(&targets, &child, &one, BPF_ANY);
	return 0;
}

/*
 * Run on demand (BPF_PROG_TEST_RUN) to stamp an interval with both clocks.
 * A syscall program where the kernel has them (5.14+); before that, the
 * same body as a raw_tp program, which BPF_PROG_TEST_RUN runs since 5.10.
 * User space loads one of the two.
 */
static __always_inline int stamp_now(void)
{
	stamp.jiffies = bpf_jiffies64();
	stamp.mono_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("syscall")
int take_stamp(void *ctx)
{
	return stamp_now();
}

SEC("raw_tp")
int take_stamp_raw_tp(void *ctx)
{
	return stamp_now();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
