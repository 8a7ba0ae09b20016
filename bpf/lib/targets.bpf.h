/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * targets.bpf.h - who a pfprof BPF tool traces, BPF side; shared by the
 * tools (docs/witness.md, "Targets and rows").  A traced thread carries a
 * struct pfb_task in task-local storage, which names its row ("slot"); a
 * task without one is not traced, and costs a program one lookup that
 * touches no map.  The file including this defines struct pfb_task first,
 * with a __u32 member "slot".
 *
 * Rodata the tool sets before load: all_tasks, per_thread, follow_forks,
 * spawner_tgid, nlanes, slot_limit.  Maps: tasks, slots, seed_pids,
 * lane_next.  A tool that defines PFB_SLOT_REUSE before including this
 * also gets reuse_slots and the free_slots queue: rows its user space
 * hands back once the process that had one has exited and been read.
 */
#ifndef __PFW_TARGETS_BPF_H
#define __PFW_TARGETS_BPF_H

#include "pfprof_bpf.h"

const volatile bool all_tasks = false;		/* no -p/-c: every task */
const volatile bool per_thread = false;		/* -T: a row per thread */
const volatile bool follow_forks = false;	/* -c: children are targets */
const volatile __u32 spawner_tgid = 0;		/* -c: the tool, whose child
						 * (the command) is a target
						 */
const volatile __u32 nlanes = 1;		/* see slot_number() */
const volatile __u32 slot_limit = PFB_MAX_SLOTS;	/* rows 1..slot_limit - 1;
							 * a test may lower it
							 */

/* Per traced thread, where the kernel has task storage. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pfb_task);
} tasks SEC(".maps");

/* Who each row is. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PFB_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct pfb_slot);
} slots SEC(".maps");

/* -p: the processes the seeding pass makes targets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} seed_pids SEC(".maps");

/*
 * The next free row.  Task-storage programs take rows with an atomic
 * fetch-and-add (5.12+).  The raw_tp twins run where BPF has no fetching
 * atomics (5.10), so each CPU takes rows from its own lane, row = 1 +
 * lane + nlanes * k, with k counted per CPU in lane_next; lane nlanes - 1
 * is user space's, which seeds -p targets there (user_next).
 */
__u32 next_slot = 1;
__u32 user_next = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} lane_next SEC(".maps");

/* Events not counted: no row left, or no room for a thread's state. */
__u64 lost_map_full = 0;

#ifdef PFB_SLOT_REUSE
const volatile bool reuse_slots = false;	/* take handed-back rows first */

/*
 * Rows handed back by user space: each was an exited process's, whose
 * counts user space has read and zeroed before pushing it here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, PFB_MAX_SLOTS);
	__type(value, __u32);
} free_slots SEC(".maps");

__u64 slots_reused = 0;		/* rows taken from free_slots */
#endif

static __always_inline __u32 slot_number(bool atomics)
{
	__u32 zero = 0, *k;

#ifdef PFB_SLOT_REUSE
	__u32 s;

	if (reuse_slots && !bpf_map_pop_elem(&free_slots, &s)) {
		__sync_fetch_and_add(&slots_reused, 1);
		return s;
	}
#endif
	if (atomics)
		return __sync_fetch_and_add(&next_slot, 1);
	k = bpf_map_lookup_elem(&lane_next, &zero);
	if (!k)
		return PFB_MAX_SLOTS;
	/* programs do not preempt each other on one CPU: no atomics needed */
	return 1 + bpf_get_smp_processor_id() + nlanes * (*k)++;
}

static __always_inline __u32 slot_take(struct task_struct *t, __u32 id, __u32 tgid,
				       bool atomics)
{
	__u32 s = slot_number(atomics);
	struct pfb_slot *info;

	if (s >= slot_limit || s >= PFB_MAX_SLOTS) {
		__sync_fetch_and_add(&lost_map_full, 1);
		return 0;
	}
	info = bpf_map_lookup_elem(&slots, &s);
	if (!info)
		return 0;
	info->id = id;
	info->tgid = tgid;
	info->exited = 0;
	bpf_core_read_str(info->comm, sizeof(info->comm), &t->comm);
	return s;
}

/* A row taken by a thread that lost the race for its process's row. */
static __always_inline void slot_drop(__u32 s)
{
	struct pfb_slot *info = bpf_map_lookup_elem(&slots, &s);

	if (info)
		info->id = 0;
}

/* ---- task storage (5.11+): tp_btf, fexit and iter programs ---- */

static __always_inline struct pfb_task *ts_get(struct task_struct *t, bool create)
{
	return bpf_task_storage_get(&tasks, t, 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/*
 * Make @t a target: give it its process's row (held in the group
 * leader's storage), or with -T a row of its own.
 */
static __noinline struct pfb_task *ts_adopt(struct task_struct *t)
{
	struct task_struct *leader;
	struct pfb_task *k, *lk;
	__u32 s, old;

	if (!t)
		return NULL;
	k = ts_get(t, true);
	if (!k) {
		__sync_fetch_and_add(&lost_map_full, 1);
		return NULL;
	}
	if (k->slot)
		return k;
	if (per_thread) {
		k->slot = slot_take(t, t->pid, t->tgid, true);
		return k->slot ? k : NULL;
	}
	leader = t->group_leader;
	if (!leader)
		return NULL;
	lk = ts_get(leader, true);
	if (!lk)
		return NULL;
	if (!lk->slot) {
		s = slot_take(leader, t->tgid, t->tgid, true);
		if (!s)
			return NULL;
		old = __sync_val_compare_and_swap(&lk->slot, 0, s);
		if (old) {
			slot_drop(s);
			s = old;
		}
	}
	k->slot = lk->slot;
	return k;
}

/* @t's state if it is a target; in all-process mode every task but idle. */
static __always_inline struct pfb_task *ts_target(struct task_struct *t)
{
	struct pfb_task *k;

	/*
	 * Fast path for a task that is not traced: it has no task-local
	 * storage at all (unless another BPF user gave it some), which a
	 * plain load tells, without the helper's locking.
	 */
	if (!all_tasks && bpf_core_field_exists(t->bpf_storage) && !t->bpf_storage)
		return NULL;
	k = ts_get(t, false);

	if (k && k->slot)
		return k;
	if (!all_tasks || !t->pid)
		return NULL;
	return ts_adopt(t);
}

/*
 * A new thread of a target is a target; a new process too with -c (and
 * pfwitness's own child, the command, is the first).
 */
static __always_inline bool fork_follows(bool parent_target, __u32 parent_tgid,
					 bool thread)
{
	if (parent_target)
		return thread || follow_forks;
	return spawner_tgid && parent_tgid == spawner_tgid && !thread;
}

/* The row's name follows exec (the command starts as a copy of pfwitness). */
static __always_inline void slot_rename(struct pfb_task *k, struct task_struct *t)
{
	struct pfb_slot *info;

	if (!k)
		return;
	info = bpf_map_lookup_elem(&slots, &k->slot);
	if (info)
		bpf_core_read_str(info->comm, sizeof(info->comm), &t->comm);
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

/* How mm_account_fault() (mm/memory.c) treats one handle_mm_fault() return. */
enum pfb_fault_class {
	PFB_FAULT_MINOR,	/* accounted, minor */
	PFB_FAULT_MAJOR,	/* accounted, major */
	PFB_FAULT_RETRY,	/* VM_FAULT_RETRY: the retry is accounted */
	PFB_FAULT_ERROR,	/* VM_FAULT_ERROR: never accounted */
};

/*
 * Classify exactly as mm_account_fault() does, for every tool's fexit on
 * handle_mm_fault.  The constants, with their 5.10 values as fallbacks:
 *   VM_FAULT_*: enum vm_fault_reason in 5.10 and every later kernel
 *     (include/linux/mm_types.h), values unchanged up to 7.3;
 *     VM_FAULT_ERROR is a macro, rebuilt from the members it ORs.
 *   FAULT_FLAG_TRIED: a #define in 5.10's include/linux/mm.h (0x20),
 *     a member of enum fault_flag since 5.13 (1 << 5, the same value);
 *     user space says at start when the fallback is in use.
 */
static __always_inline enum pfb_fault_class pfb_fault_class(unsigned int flags,
							    vm_fault_t ret)
{
	__u32 error = KENUM(vm_fault_reason, VM_FAULT_OOM, 0x000001) |
		      KENUM(vm_fault_reason, VM_FAULT_SIGBUS, 0x000002) |
		      KENUM(vm_fault_reason, VM_FAULT_SIGSEGV, 0x000040) |
		      KENUM(vm_fault_reason, VM_FAULT_HWPOISON, 0x000010) |
		      KENUM(vm_fault_reason, VM_FAULT_HWPOISON_LARGE, 0x000020) |
		      KENUM(vm_fault_reason, VM_FAULT_FALLBACK, 0x000800);

	if (ret & KENUM(vm_fault_reason, VM_FAULT_RETRY, 0x000400))
		return PFB_FAULT_RETRY;
	if (ret & error)
		return PFB_FAULT_ERROR;
	if ((ret & KENUM(vm_fault_reason, VM_FAULT_MAJOR, 0x000004)) ||
	    (flags & KENUM(fault_flag, FAULT_FLAG_TRIED, 0x20)))
		return PFB_FAULT_MAJOR;
	return PFB_FAULT_MINOR;
}

/*
 * The bodies of every tool's target programs (task storage):
 * tp_btf/sched_process_fork, tp_btf/sched_process_exec, iter/task.
 */
static __always_inline void pfb_follow_fork(struct task_struct *parent,
					    struct task_struct *child)
{
	struct pfb_task *pk = ts_get(parent, false);

	if (fork_follows(pk && pk->slot, parent->tgid, child->tgid == parent->tgid))
		ts_adopt(child);
}

static __always_inline void pfb_follow_exec(struct task_struct *p)
{
	slot_rename(ts_get(p, false), p);
}

#ifdef PFB_SLOT_REUSE
/*
 * When a task is freed (sched_process_free: after its last schedule,
 * and for a group leader after every thread of its process has been
 * released and the process reaped), mark the row exited if it was the
 * task's own (-T) or the task led the process: nothing can add to the
 * row any more, and user space reads it once more and hands it back.
 * A process's row is in its leader's storage (ts_adopt()).
 */
static __always_inline void pfb_slot_free(struct task_struct *t, struct pfb_task *k)
{
	struct pfb_slot *info;

	if (!reuse_slots || !k || !k->slot || (!per_thread && t->pid != t->tgid))
		return;
	info = bpf_map_lookup_elem(&slots, &k->slot);
	if (info)
		info->exited = 1;
}
#endif

static __always_inline void pfb_seed_task(struct task_struct *t)
{
	__u32 tgid;

	if (!t)
		return;
	tgid = t->tgid;
	if (bpf_map_lookup_elem(&seed_pids, &tgid))
		ts_adopt(t);
}

#endif /* __PFW_TARGETS_BPF_H */
