// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pfwitness.bpf.c - count page faults and CPU time per process from five
 * kernel sources (see docs/witness.md):
 *   a) tracepoints exceptions:page_fault_user / page_fault_kernel
 *   b) perf software events PAGE_FAULTS_MIN / PAGE_FAULTS_MAJ, counting
 *      per CPU, read at each context switch of a target
 *   c) fexit on handle_mm_fault, classified like mm_account_fault()
 *   d) sched_switch: on-CPU time (bpf_ktime_get_ns), and beside it the
 *      same intervals on the scheduler's own clock (the runqueue's
 *      clock_task, which sum_exec_runtime is charged from)
 *   e) the thread's own min_flt / maj_flt (what getrusage() sums), read
 *      at each context switch of a target: nothing runs on a fault
 *
 * Cost is the point (docs/witness.md, "What it costs"): the filter comes
 * first and touches no map.  A traced thread carries a small struct in its
 * task-local storage, and a thread without one returns at once.  Counts go
 * to a per-CPU array indexed by the row ("slot") the struct names.  Where
 * the kernel has no task storage (before 5.11) the same struct lives in a
 * hash keyed by thread id, used by the raw_tp twins of the programs; user
 * space loads one set.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pfwitness.h"
#include "targets.bpf.h"

#define MAX_THREADS 65536	/* the hash of the raw_tp twins */

const volatile bool count_cpu = false;		/* source (d) */
const volatile bool count_pe = false;		/* source (b) */
const volatile bool count_ru = false;		/* source (e) */

/* The same by thread id, for the raw_tp twins; entries go at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pfb_task);
} tasks_h SEC(".maps");

/* Cumulative counts per row, per CPU (no atomics on the fault path). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PFB_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct pfw_counts);
} counts SEC(".maps");

/* Source (b): one counting event per CPU and class (user space fills). */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, int);
	__type(value, __u32);
} pe_min_ev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, int);
	__type(value, __u32);
} pe_maj_ev SEC(".maps");

/* Written by the "stamp" program, read by user space. */
struct pfw_stamp stamp = {};

/* 5.10 to 5.13 name the task state "state" (a long). */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

#define PFW_TASK_DEAD 0x80	/* TASK_DEAD, the same from 5.10 to 7.3 */

/*
 * The -c command: its PID (set as pfwitness forks it) and how many of its
 * threads have not yet made their final switch.  A parent woken by the
 * exit (pidfd, SIGCHLD) can reap the command while its last thread still
 * runs the end of do_exit(); wait4() then misses that CPU time and the
 * witness does not.  User space reaps it once this is 0.
 */
__u32 cmd_pid = 0;
__s32 cmd_threads = 0;

static __always_inline void cmd_born(__u32 parent_tgid, __u32 child_tgid)
{
	if (!spawner_tgid)
		return;
	if (parent_tgid == spawner_tgid && child_tgid != parent_tgid) {
		cmd_pid = child_tgid;
		__sync_fetch_and_add(&cmd_threads, 1);
	} else if (cmd_pid && child_tgid == cmd_pid) {
		__sync_fetch_and_add(&cmd_threads, 1);
	}
}

static __always_inline long task_state(struct task_struct *t)
{
	struct task_struct___old *o = (void *)t;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ(o, state);
}

/* @prev's final switch: one thread of the -c command fewer. */
static __always_inline void cmd_died(struct task_struct *prev, __u32 tgid)
{
	if (cmd_pid && tgid == cmd_pid && task_state(prev) == PFW_TASK_DEAD)
		__sync_fetch_and_add(&cmd_threads, -1);
}

static __always_inline struct pfw_counts *ts_counts(void)
{
	struct pfb_task *k = ts_target(bpf_get_current_task_btf());

	return k ? bpf_map_lookup_elem(&counts, &k->slot) : NULL;
}

/* ---- hash by tid (before 5.11): the raw_tp twins ---- */

static __always_inline struct pfb_task *h_adopt(struct task_struct *t, __u32 tid,
						__u32 tgid)
{
	struct pfb_task zero = { .task = (__u64)t }, *k, *lk;

	if (per_thread || tid == tgid) {
		zero.slot = slot_take(t, per_thread ? tid : tgid, tgid, false);
	} else {
		lk = bpf_map_lookup_elem(&tasks_h, &tgid);
		if (!lk) {
			struct task_struct *leader = BPF_CORE_READ(t, group_leader);
			struct pfb_task lz = { .task = (__u64)leader };

			lz.slot = slot_take(leader, tgid, tgid, false);
			if (lz.slot && bpf_map_update_elem(&tasks_h, &tgid, &lz, BPF_NOEXIST))
				slot_drop(lz.slot);
			lk = bpf_map_lookup_elem(&tasks_h, &tgid);
			if (!lk)
				return NULL;
		}
		zero.slot = lk->slot;
	}
	if (!zero.slot)
		return NULL;
	if (bpf_map_update_elem(&tasks_h, &tid, &zero, BPF_NOEXIST) &&
	    per_thread | (tid == tgid))
		slot_drop(zero.slot);
	k = bpf_map_lookup_elem(&tasks_h, &tid);
	if (!k)
		__sync_fetch_and_add(&lost_map_full, 1);
	return k;
}

static __always_inline struct pfb_task *h_target(struct task_struct *t, __u32 tid,
						 __u32 tgid)
{
	struct pfb_task *k = bpf_map_lookup_elem(&tasks_h, &tid);

	if (k)
		return k;
	if (!all_tasks || !tid)
		return NULL;
	return h_adopt(t, tid, tgid);
}

static __always_inline struct pfw_counts *h_counts(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pfb_task *k;

	k = h_target((struct task_struct *)bpf_get_current_task(), (__u32)id, id >> 32);
	return k ? bpf_map_lookup_elem(&counts, &k->slot) : NULL;
}

/* ---- source (a): the exception tracepoints ---- */

SEC("tp_btf/page_fault_user")
int BPF_PROG(btf_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct pfw_counts *c = ts_counts();

	if (c)
		c->tp_user++;
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(btf_fault_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct pfw_counts *c;

	if ((long)address < 0)	/* kernel address: not a user page */
		return 0;
	c = ts_counts();
	if (c)
		c->tp_kernel++;
	return 0;
}

SEC("raw_tp/page_fault_user")
int raw_fault_user(struct bpf_raw_tracepoint_args *ctx)
{
	struct pfw_counts *c = h_counts();

	if (c)
		c->tp_user++;
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int raw_fault_kernel(struct bpf_raw_tracepoint_args *ctx)
{
	struct pfw_counts *c;

	if ((long)ctx->args[0] < 0)	/* kernel address: not a user page */
		return 0;
	c = h_counts();
	if (c)
		c->tp_kernel++;
	return 0;
}

/* ---- source (c): fexit on handle_mm_fault ---- */

/* Count one handle_mm_fault() return as mm_account_fault() would. */
static __always_inline void fx_count(struct pfw_counts *c, unsigned int flags,
				     struct pt_regs *regs, vm_fault_t ret)
{
	switch (pfb_fault_class(flags, ret)) {
	case PFB_FAULT_RETRY:
	case PFB_FAULT_ERROR:
		c->fx_skip++;
		return;
	case PFB_FAULT_MAJOR:
		c->fx_maj++;
		break;
	case PFB_FAULT_MINOR:
		c->fx_min++;
		break;
	}
	if (!regs)
		c->fx_gup++;
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(fx_handle_mm_fault, struct vm_area_struct *vma,
	     unsigned long address, unsigned int flags, struct pt_regs *regs,
	     vm_fault_t ret)
{
	struct pfw_counts *c = ts_counts();

	if (c)
		fx_count(c, flags, regs, ret);
	return 0;
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(fx_handle_mm_fault_h, struct vm_area_struct *vma,
	     unsigned long address, unsigned int flags, struct pt_regs *regs,
	     vm_fault_t ret)
{
	struct pfw_counts *c = h_counts();

	if (c)
		fx_count(c, flags, regs, ret);
	return 0;
}

/* ---- sources (b), (d) and (e): at each context switch of a target ---- */

/*
 * The scheduler's clock now: __schedule() has just run update_rq_clock(),
 * and the switched-out task's sum_exec_runtime was charged up to this
 * value.  Reached through the task's cfs_rq (CONFIG_FAIR_GROUP_SCHED; the
 * idle task has one too); 0 where the kernel lacks the fields.
 */
static __always_inline __u64 sched_clock_of(struct task_struct *t, bool btf)
{
	struct cfs_rq *cfs;

	if (!bpf_core_field_exists(t->se.cfs_rq) ||
	    !bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		return 0;
	if (!btf)
		return BPF_CORE_READ(t, se.cfs_rq, rq, clock_task);
	/* a BTF pointer: plain loads (the JIT guards them), no helper calls */
	cfs = t->se.cfs_rq;
	return cfs && cfs->rq ? cfs->rq->clock_task : 0;
}

/* Where the kernel has them (CONFIG_PARAVIRT_TIME_ACCOUNTING, _IRQ_TIME_). */
struct rq___steal {
	u64 prev_steal_time_rq;
} __attribute__((preserve_access_index));

struct rq___irqtime {
	u64 prev_irq_time;
} __attribute__((preserve_access_index));

/*
 * Time this CPU's clock_task has left out so far: what the hypervisor
 * stole from the vCPU, and IRQ time where it is accounted apart.  The
 * scheduler charges neither to the task that was running, so rusage has
 * neither; bpf_ktime_get_ns() runs through both.  0 where not accounted.
 */
static __always_inline __u64 skipped_of(struct task_struct *t)
{
	struct rq *rq;
	__u64 v = 0;

	if (!bpf_core_field_exists(t->se.cfs_rq) ||
	    !bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		return 0;
	rq = BPF_CORE_READ(t, se.cfs_rq, rq);
	if (!rq)
		return 0;
	if (bpf_core_field_exists(((struct rq___steal *)0)->prev_steal_time_rq))
		v += BPF_CORE_READ((struct rq___steal *)rq, prev_steal_time_rq);
	if (bpf_core_field_exists(((struct rq___irqtime *)0)->prev_irq_time))
		v += BPF_CORE_READ((struct rq___irqtime *)rq, prev_irq_time);
	return v;
}

static __always_inline __u64 pe_now(void *map)
{
	struct bpf_perf_event_value v = {};

	if (bpf_perf_event_read_value(map, BPF_F_CURRENT_CPU, &v, sizeof(v)))
		return 0;
	return v.counter;
}

/* What a stretch is measured against, read once per switch. */
struct pfw_now {
	__u64 ns;		/* bpf_ktime_get_ns() */
	__u64 clk;		/* the runqueue's clock_task */
	__u64 skip;		/* what clock_task has left out (skipped_of) */
	__u64 pe_min, pe_maj;	/* this CPU's counting events */
};

/* Source (e): @t's own fault counters (a BTF pointer, or read with CO-RE). */
static __always_inline void ru_read(struct task_struct *t, bool btf, __u64 *min,
				    __u64 *maj)
{
	if (btf) {
		*min = t->min_flt;
		*maj = t->maj_flt;
	} else {
		*min = BPF_CORE_READ(t, min_flt);
		*maj = BPF_CORE_READ(t, maj_flt);
	}
}

static __always_inline __u64 runtime_of(struct task_struct *t, bool btf)
{
	return btf ? t->se.sum_exec_runtime : BPF_CORE_READ(t, se.sum_exec_runtime);
}

/*
 * How many times @t has been switched out: __schedule() counts each
 * switch in prev's nvcsw or nivcsw before it fires sched_switch, on every
 * kernel from 5.10 to 7.3.  So at a switch-out that ends a stretch whose
 * switch-in we saw, the count is one more than at that switch-in; at a
 * switch-in, the same as at the last switch-out seen.  Anything else
 * means switches went by untraced.
 */
static __always_inline __u64 switches_of(struct task_struct *t, bool btf)
{
	if (btf)
		return t->nvcsw + t->nivcsw;
	return BPF_CORE_READ(t, nvcsw) + BPF_CORE_READ(t, nivcsw);
}

/*
 * Read @t's own counters at one of its switches, and charge the row @c
 * with what they gained since the last reading.  The counters only grow
 * while @t runs, so the sum of these differences is exact whichever of
 * its switches the kernel traced: a stretch whose switch-in or -out went
 * untraced is still charged, at the next switch seen.  @blind: the
 * faults gained lie in such a stretch, which pe cannot read (its per-CPU
 * counts at the unseen switch are gone); they are counted beside pe.
 */
static __always_inline void observe(struct pfb_task *k, struct pfw_counts *c,
				    struct task_struct *t, bool btf, bool blind)
{
	__u64 rmin, rmaj;

	if (!count_ru && !count_pe)
		return;
	ru_read(t, btf, &rmin, &rmaj);
	if (k->known && rmin >= k->ru_min0 && rmaj >= k->ru_maj0) {
		if (count_ru) {
			c->ru_min += rmin - k->ru_min0;
			c->ru_maj += rmaj - k->ru_maj0;
		}
		if (count_pe && blind) {
			c->pe_miss_min += rmin - k->ru_min0;
			c->pe_miss_maj += rmaj - k->ru_maj0;
		}
	}
	k->ru_min0 = rmin;
	k->ru_maj0 = rmaj;
}

/*
 * Switches of @t went by untraced since the last reading: the stretches
 * in between have no length on our clock, so their CPU time is the
 * scheduler's own (se.sum_exec_runtime gained), counted apart.
 */
static __always_inline void recover_cpu(struct pfb_task *k, struct pfw_counts *c, __u64 rt)
{
	if (count_cpu && rt > k->rt0) {
		c->cpu_ns += rt - k->rt0;
		c->sclk_ns += rt - k->rt0;
		c->cpu_rec_ns += rt - k->rt0;
	}
}

/* After a reading at a switch of @t: what the next one is compared with. */
static __always_inline void took_reading(struct pfb_task *k, __u64 rt, __u64 sw)
{
	k->rt0 = rt;
	k->sw0 = sw;
	k->known = 1;
}

/*
 * @t leaves the CPU: charge it for the stretch that began at k->since,
 * if that switch-in was seen and nothing went by untraced since.
 */
static __always_inline void charge(struct pfb_task *k, struct task_struct *t, bool btf,
				   const struct pfw_now *n)
{
	__u64 rt = runtime_of(t, btf), sw = switches_of(t, btf);
	bool whole = k->since && sw == k->sw0 + 1;
	struct pfw_counts *c;

	c = bpf_map_lookup_elem(&counts, &k->slot);
	if (c && whole) {
		if (count_cpu) {
			__u64 len = n->ns - k->since;
			__u64 stolen = n->skip > k->skip0 ? n->skip - k->skip0 : 0;

			if (stolen > len)
				stolen = len;
			c->cpu_ns += len - stolen;
			c->stolen_ns += stolen;
			if (k->sclk && n->clk > k->sclk)
				c->sclk_ns += n->clk - k->sclk;
		}
		if (count_pe) {
			c->pe_min += n->pe_min - k->pe_min0;
			c->pe_maj += n->pe_maj - k->pe_maj0;
		}
	} else if (c && k->known) {
		c->miss_in++;
		recover_cpu(k, c, rt);
	}
	/* (not known: running when we attached; charged from its next stretch) */
	if (c)
		observe(k, c, t, btf, !whole);
	k->since = 0;
	took_reading(k, rt, sw);
}

/* @t comes on the CPU: its stretch begins. */
static __always_inline void start(struct pfb_task *k, struct task_struct *t, bool btf,
				  const struct pfw_now *n)
{
	__u64 rt = runtime_of(t, btf), sw = switches_of(t, btf);
	struct pfw_counts *c = bpf_map_lookup_elem(&counts, &k->slot);

	if (c && k->known && (k->since || sw != k->sw0)) {
		c->miss_out++;		/* a switch-out of @t went by untraced */
		recover_cpu(k, c, rt);
	}
	if (c)
		observe(k, c, t, btf, true);
	k->since = n->ns;
	if (!btf)
		k->task = (__u64)t;	/* the hash: binds an entry seeded from /proc */
	k->sclk = n->clk;
	k->skip0 = n->skip;
	k->pe_min0 = n->pe_min;
	k->pe_maj0 = n->pe_maj;
	took_reading(k, rt, sw);
}

/*
 * Failure injection for the tests (pfwitness --inject-missed-switch):
 * every Nth switch-in (or -out) of a target is dropped, as if the kernel
 * had not traced it.  0: off.
 */
const volatile __u32 inject_miss_in = 0;
const volatile __u32 inject_miss_out = 0;
__u32 injected = 0;

static __always_inline bool inject(__u32 every)
{
	/*
	 * A plain increment: 5.10 has no fetching atomics, even in code the
	 * verifier would find dead; two CPUs racing only shift the pattern.
	 */
	return every && ++injected % every == 0;
}

/* The clocks and counters, read only when a target is involved. */
static __always_inline void switch_targets(struct task_struct *prev,
					   struct task_struct *next, bool btf,
					   struct pfb_task *pk, struct pfb_task *nk)
{
	struct pfw_now n = { .ns = bpf_ktime_get_ns() };

	if (count_cpu) {
		n.clk = sched_clock_of(prev, btf);
		n.skip = skipped_of(prev);
	}
	if (count_pe) {
		n.pe_min = pe_now(&pe_min_ev);
		n.pe_maj = pe_now(&pe_maj_ev);
	}
	/*
	 * A dying thread's final switch-out is never dropped: no later switch
	 * could charge its last stretch (faults in exit_mm() among them).  The
	 * kernel was never seen to miss one (docs/witness.md).
	 */
	if (pk && (!inject(inject_miss_out) || task_state(prev) == PFW_TASK_DEAD))
		charge(pk, prev, btf, &n);
	if (nk && !inject(inject_miss_in))
		start(nk, next, btf, &n);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	struct pfb_task *pk = ts_target(prev), *nk = ts_target(next);

	/* two tests: clang would OR the pointers, which the verifier refuses */
	if (pk) {
		switch_targets(prev, next, true, pk, nk);
		cmd_died(prev, prev->tgid);
	} else if (nk) {
		switch_targets(prev, next, true, NULL, nk);
	}
	return 0;
}

/*
 * @k if it is @t's own entry.  Between de_thread() and raw_exec a tid names
 * another task's entry: its row is right for counting faults, but its
 * switch-in stamps are not @t's.
 */
static __always_inline struct pfb_task *h_own(struct pfb_task *k, struct task_struct *t)
{
	return k && k->task && k->task != (__u64)t ? NULL : k;
}

/*
 * The final switch of an exiting thread: forget it, so that its tid can be
 * reused by a stranger.  With a row per process the leader's entry holds
 * the row for threads yet to come (h_adopt), so it goes with the group: at
 * the leader's final switch if no thread is left, else at the final switch
 * of the last thread after the leader's.  (The last thread to leave
 * signal->live is not always the last to switch: the leader may still be
 * running the end of do_exit().)
 */
static __always_inline void h_forget(struct task_struct *prev, struct pfb_task *pk,
				     __u32 tid, __u32 tgid)
{
	bool group_dead = !BPF_CORE_READ(prev, signal, live.counter);
	struct pfb_task *lk;

	if (per_thread || tid != tgid) {
		bpf_map_delete_elem(&tasks_h, &tid);
		if (per_thread || !group_dead)
			return;
		lk = bpf_map_lookup_elem(&tasks_h, &tgid);
		if (lk && lk->gone)
			bpf_map_delete_elem(&tasks_h, &tgid);
		return;
	}
	pk->gone = 1;
	if (group_dead)
		bpf_map_delete_elem(&tasks_h, &tgid);
}

SEC("raw_tp/sched_switch")
int raw_switch(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *prev = (void *)ctx->args[1], *next = (void *)ctx->args[2];
	__u32 ptid = BPF_CORE_READ(prev, pid), ptgid = BPF_CORE_READ(prev, tgid);
	__u32 ntid = BPF_CORE_READ(next, pid), ntgid = BPF_CORE_READ(next, tgid);
	struct pfb_task *pe = h_target(prev, ptid, ptgid), *pk = h_own(pe, prev);
	struct pfb_task *nk = h_own(h_target(next, ntid, ntgid), next);

	if (pk)
		switch_targets(prev, next, false, pk, nk);
	else if (nk)
		switch_targets(prev, next, false, NULL, nk);
	/* a target's final switch, even one whose entry is another task's */
	if (pe)
		cmd_died(prev, ptgid);
	if (pk && task_state(prev) == PFW_TASK_DEAD)
		h_forget(prev, pk, ptid, ptgid);
	return 0;
}

/* ---- following forks and exec ---- */

/*
 * A child adopted at its fork has run for nothing yet: its counters start
 * at 0, so its stretches count from its first, even one whose switch-in
 * the kernel does not trace.
 */
static __always_inline void born_known(struct pfb_task *k)
{
	if (k && k->slot)
		k->known = 1;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
	cmd_born(parent->tgid, child->tgid);
	pfb_follow_fork(parent, child);
	born_known(ts_get(child, false));
	return 0;
}

SEC("raw_tp/sched_process_fork")
int raw_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0], *child = (void *)ctx->args[1];
	__u32 ptid = BPF_CORE_READ(parent, pid), ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctid = BPF_CORE_READ(child, pid), ctgid = BPF_CORE_READ(child, tgid);

	cmd_born(ptgid, ctgid);
	if (!fork_follows(bpf_map_lookup_elem(&tasks_h, &ptid), ptgid, ctgid == ptgid))
		return 0;
	born_known(h_adopt(child, ctid, ctgid));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec, struct task_struct *p)
{
	pfb_follow_exec(p);
	return 0;
}

/*
 * A thread other than the leader has exec'd: de_thread() gave it the
 * leader's tid (the process's PID) and the old leader its old one.  Swap
 * the two entries' keys to match, so that each task finds its own: the
 * old leader's entry, if its final switch is still to come, goes under
 * @old_tid, where that switch forgets it.
 */
static __always_inline void h_exec_rekey(struct task_struct *p, __u32 tid, __u32 old_tid)
{
	struct pfb_task *e = bpf_map_lookup_elem(&tasks_h, &old_tid), *l, mine;

	if (!e || (e->task && e->task != (__u64)p))
		return;
	mine = *e;
	mine.task = (__u64)p;
	l = bpf_map_lookup_elem(&tasks_h, &tid);
	if (l && !l->gone && l->task != (__u64)p) {
		bpf_map_update_elem(&tasks_h, &old_tid, l, BPF_ANY);
	} else {
		bpf_map_delete_elem(&tasks_h, &old_tid);
	}
	bpf_map_update_elem(&tasks_h, &tid, &mine, BPF_ANY);
}

SEC("raw_tp/sched_process_exec")
int raw_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *p = (void *)ctx->args[0];
	__u32 tid = BPF_CORE_READ(p, pid), old_tid = (__u32)ctx->args[1];

	if (old_tid != tid)
		h_exec_rekey(p, tid, old_tid);
	slot_rename(bpf_map_lookup_elem(&tasks_h, &tid), p);
	return 0;
}

/* ---- seeding -p targets (task storage; the hash is seeded from /proc) ---- */

SEC("iter/task")
int seed(struct bpf_iter__task *ctx)
{
	pfb_seed_task(ctx->task);
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
