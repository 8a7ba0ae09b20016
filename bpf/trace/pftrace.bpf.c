// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pftrace.bpf.c - where page faults happen, how long they take, and who
 * takes them (docs/pftrace.md).  Each fault is seen twice: when it starts
 * and when the kernel has accounted it, by one of two methods:
 *   fexit:  fentry/fexit on handle_mm_fault, which also sees faults taken
 *           without a #PF (get_user_pages: MAP_POPULATE, mlock, ...);
 *   tp+pe:  the exceptions:page_fault_user tracepoint, then the perf
 *           software event mm_account_fault() fires at the end of the same
 *           fault on the same task (PAGE_FAULTS_MIN or _MAJ, one event per
 *           CPU, a program on each).
 * User space loads the programs of one method.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pftrace.h"

/* What the fault's VMA is. */
struct vinfo {
	__u64 start, end;
	__u32 kind;
	bool file;
	char name[PFT_NAME_LEN];
};

/* Per traced thread: the fault under way. */
struct pfb_task {
	__u64 t0;	/* tracepoint entry (tp+pe), 0: none pending */
	__u64 fe_t0;	/* fentry (fexit method), kept across a retry */
	__u32 retry;	/* the last fexit was VM_FAULT_RETRY */
	__u64 addr;	/* the #PF's address */
	__u32 err;	/* the #PF's error code */
	__u32 slot;
	__u32 pslot;	/* code: forked: the parent's row (0: not a target) */
	bool forked;	/* code: a forked child that has not exec'd yet */
	/* tp+pe: the VMA of the thread's last fault, while its mm's mappings stand */
	struct vinfo vc;
	__u64 vc_mm;	/* the mm it is of, 0: none */
	__u32 vc_seq;	/* the mm's mm_lock_seq then */
};

#define PFB_SLOT_REUSE	/* serve: exited processes' rows are reused */
#include "targets.bpf.h"

const volatile bool want_maps = false;		/* where */
const volatile __u32 want_stacks = 0;		/* code: enum pft_unwind */
const volatile __u32 stack_bytes = 8192;	/* dwarf: stack copied per fault */
const volatile bool want_events = false;	/* heat */
const volatile bool want_hists = false;		/* lat, top: latency histograms */
const volatile bool want_rows = false;		/* serve: rows by class, cgroup */
/*
 * The fault's VMA, for where and heat (its mapping) and lat and top (file
 * or anon): code needs none, and with tp+pe bpf_find_vma() is the costly
 * part of a fault (it must defer its mmap unlock to an irq_work when
 * called with interrupts off, as in a perf event's handler).
 */
const volatile bool want_vma = true;

#define X86_PF_PROT	0x1
#define X86_PF_WRITE	0x2

/*
 * The kernel has exceptions:page_fault_user/_kernel (x86).  Without them
 * (arm64) fexit sees no #PF error code: no fault is told apart as COW
 * (a write to a present page), each counts as the minor fault it also is.
 */
const volatile bool have_fault_tp = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PFB_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct pft_counts);
} counts SEC(".maps");

/* serve: each row's faults by class and cgroup (1 entry for other views) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PFB_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct pft_row);
} rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8 * PFT_NCLASS * 1024);
	__type(key, struct pft_hist_key);
	__type(value, struct pft_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pft_map_key);
	__type(value, struct pft_map);
} maps SEC(".maps");

/* code: a sample per accounted fault (struct pft_sample + its stack) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

__u64 lost_events = 0;		/* heat: ring buffer full */
struct pft_left_out left_out = {};	/* faults counted but left out of a view */

#define TMPFS_MAGIC_ 0x01021994

static __always_inline void vma_info(struct vm_area_struct *vma, struct vinfo *v)
{
	struct mm_struct *mm = vma->vm_mm;
	struct file *f = vma->vm_file;

	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->file = f;
	if (f) {
		v->kind = PFT_K_FILE;
		bpf_probe_read_kernel_str(v->name, sizeof(v->name),
					  f->f_path.dentry->d_name.name);
		/*
		 * Shared memory is a file of the kernel's internal tmpfs,
		 * named so: "dev/zero" (MAP_SHARED|MAP_ANONYMOUS), "SYSV..."
		 * (shmget), "memfd:..."; a file someone made on a tmpfs is a
		 * file.
		 */
		if (f->f_inode && f->f_inode->i_sb &&
		    f->f_inode->i_sb->s_magic == TMPFS_MAGIC_ &&
		    ((v->name[0] == 'd' && v->name[1] == 'e' && v->name[2] == 'v' &&
		      v->name[3] == '/') ||
		     (v->name[0] == 'S' && v->name[1] == 'Y' && v->name[2] == 'S' &&
		      v->name[3] == 'V') ||
		     (v->name[0] == 'm' && v->name[1] == 'e' && v->name[2] == 'm' &&
		      v->name[3] == 'f' && v->name[4] == 'd' && v->name[5] == ':')))
			v->kind = PFT_K_SHM;
		return;
	}
	v->kind = PFT_K_ANON;
	if (!mm)
		return;
	if (v->start <= mm->brk && v->end >= mm->start_brk)
		v->kind = PFT_K_HEAP;
	else if (v->start <= mm->start_stack && v->end >= mm->start_stack)
		v->kind = PFT_K_STACK;
	else if (bpf_core_field_exists(mm->context.vdso) &&
		 (__u64)mm->context.vdso == v->start)
		v->kind = PFT_K_VDSO;
}

static long find_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	vma_info(vma, data);
	return 0;
}

/*
 * mm_struct's mm_lock_seq (CONFIG_PER_VMA_LOCK, 6.4+), which every
 * mmap_write_unlock() moves on: an int until 6.11, a seqcount_t since;
 * a counter in its first 4 bytes either way.
 */
struct mm_struct___int_seq {
	int mm_lock_seq;
} __attribute__((preserve_access_index));
struct mm_struct___seqcount {
	struct {
		unsigned int sequence;
	} mm_lock_seq;
} __attribute__((preserve_access_index));

/* The mm's mapping sequence in *@seq; false on a kernel without one. */
static __always_inline bool mm_seq(struct mm_struct *mm, __u32 *seq)
{
	if (bpf_core_field_exists(((struct mm_struct___int_seq *)mm)->mm_lock_seq))
		return !bpf_core_read(seq, sizeof(*seq),
				      &((struct mm_struct___int_seq *)mm)->mm_lock_seq);
	if (bpf_core_field_exists(((struct mm_struct___seqcount *)mm)->mm_lock_seq))
		return !bpf_core_read(seq, sizeof(*seq),
				      &((struct mm_struct___seqcount *)mm)->mm_lock_seq.sequence);
	return false;
}

/*
 * tp+pe: the VMA of a fault at @addr.  bpf_find_vma() from the perf
 * event's handler, interrupts off, must defer its mmap unlock to an
 * irq_work: an interrupt per fault, the costly part of a traced fault.
 * So each thread keeps the VMA of its last fault, and takes it again for
 * a fault inside it while its mm's mapping sequence has not moved (no
 * mmap, munmap, mprotect, brk, ... since: each takes the mmap lock for
 * writing, and its unlock moves the sequence).  Kernels without one look
 * up every fault.
 */
static __always_inline void vma_of(struct task_struct *t, struct pfb_task *k, __u64 addr,
				   struct vinfo *v)
{
	struct mm_struct *mm = t->mm;
	__u32 seq = 0;
	bool have_seq = mm && mm_seq(mm, &seq);

	if (have_seq && k->vc_mm == (__u64)mm && k->vc_seq == seq &&
	    addr >= k->vc.start && addr < k->vc.end) {
		*v = k->vc;
		return;
	}
	bpf_find_vma(t, addr, find_vma_cb, v, 0);
	/* a lookup that failed (the lock busy: a writer) leaves v->end 0 */
	if (have_seq && v->end) {
		k->vc = *v;
		k->vc_mm = (__u64)mm;
		k->vc_seq = seq;
	}
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFF) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline void hist_add(__u32 slot, __u32 cls, __u64 lat)
{
	static const struct pft_hist zero;
	struct pft_hist_key key = { .slot = slot, .cls = cls };
	struct pft_hist *h = bpf_map_lookup_elem(&hists, &key);
	__u32 b;

	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			__sync_fetch_and_add(&left_out.hists_full, 1);
			return;
		}
	}
	/*
	 * Atomic: a process's threads fault on several CPUs at once into the
	 * same histogram, and a plain ++ lost one now and then.  max_ns may
	 * miss the larger of two racing stores: it is a figure, not a count.
	 */
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, lat);
	if (lat > h->max_ns)
		h->max_ns = lat;
	/*
	 * Masked after an optimization barrier, so that every verifier
	 * (6.1's too) sees the index in bounds: clang would otherwise fold
	 * the mask into the bucket's computation, where 6.1 loses track.
	 */
	b = log2_bucket(lat);
	asm volatile("" : "+r"(b));
	__sync_fetch_and_add(&h->bucket[b & (PFT_BUCKETS - 1)], 1);
}

static __always_inline void map_add(__u32 slot, struct vinfo *v, bool major, bool gup)
{
	struct pft_map_key key = { .slot = slot };
	struct pft_map *m, init = {};

	key.anchor = v->kind == PFT_K_STACK ? v->end : v->start;
	m = bpf_map_lookup_elem(&maps, &key);
	if (!m) {
		init.start = v->start;
		init.end = v->end;
		init.kind = v->kind;
		__builtin_memcpy(init.name, v->name, sizeof(init.name));
		bpf_map_update_elem(&maps, &key, &init, BPF_NOEXIST);
		m = bpf_map_lookup_elem(&maps, &key);
		if (!m) {
			__sync_fetch_and_add(&left_out.maps_full, 1);
			return;
		}
	}
	m->start = v->start;	/* it may have grown */
	m->end = v->end;
	if (major)
		__sync_fetch_and_add(&m->major, 1);
	else
		__sync_fetch_and_add(&m->minor, 1);
	if (gup)
		__sync_fetch_and_add(&m->gup, 1);
}

/*
 * Wake the reader when the data waiting reaches 64 KiB with this record of
 * @size bytes, not again above it (the reader also looks every 10 ms,
 * code, or 100 ms, heat): the ring buffer's default wakes it for every
 * record it has caught up with, an irq_work each, which cost a few us a
 * fault (docs/pftrace.md, "What it costs").
 */
#define WAKE_BYTES (64 << 10)

static __always_inline __u64 wakeup(void *ring, __u64 size)
{
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);

	return avail >= WAKE_BYTES && avail - size < WAKE_BYTES ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * dwarf: copy stack_bytes (4096 or more) of the user stack from @sp up
 * into @buf, by pages: a read that would cross into a page not present
 * (the top of the stack, or a page swapped out) fails as a whole, so the
 * copy stops at the last page that could be read.  The reads have sizes
 * and offsets the verifier can bound without relating two registers:
 * the rest of sp's page; whole pages; then the last 4096 bytes of the
 * buffer, which overlap what is already there.  Returns the bytes copied.
 */
static __always_inline __u32 copy_stack(__u8 *buf, __u64 sp)
{
	__u32 off, i;

	off = 4096 - (sp & 4095);
	if (off > stack_bytes)
		off = stack_bytes;
	if (bpf_probe_read_user(buf, off, (void *)sp))
		return 0;
	for (i = 0; i < PFT_STACK_MAX / 4096; i++) {
		if (off > stack_bytes - 4096)
			break;
		if (bpf_probe_read_user(buf + off, 4096, (void *)(sp + off)))
			return off;
		off += 4096;
	}
	if (off < stack_bytes &&
	    !bpf_probe_read_user(buf + stack_bytes - 4096, 4096,
				 (void *)(sp + stack_bytes - 4096)))
		off = stack_bytes;
	return off;
}

/*
 * code: send the fault's user registers and stack to user space, taken
 * as the user left them (the registers the fault, or the system call
 * that faulted, saved on entry to the kernel), straight into the ring
 * buffer: a record of the largest size, of which stack_len bytes are
 * used.  User space unwinds them, by CFI or by frame pointers: walking
 * frame pointers here with bpf_get_stack() cost 9.8 us a fault on the
 * host's 6.18 against 1.8 us for the copy (docs/pftrace.md).
 */
static __always_inline void sample_add(struct pfb_task *k, bool major)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *ur = (struct pt_regs *)bpf_task_pt_regs(t);
	struct pft_sample *h;

	h = bpf_ringbuf_reserve(&samples, sizeof(*h) + stack_bytes, 0);
	if (!h) {
		__sync_fetch_and_add(&left_out.ring_full, 1);
		return;
	}
	h->slot = k->slot;
	h->pslot = k->pslot;
	h->pre_exec = k->forked;
	h->tid = (__u32)bpf_get_current_pid_tgid();
	h->major = major;
	h->unwind = want_stacks;
	h->nips = 0;
	if (bpf_probe_read_kernel(h->regs, sizeof(h->regs), ur)) {
		__sync_fetch_and_add(&left_out.no_stack, 1);
		bpf_ringbuf_discard(h, 0);
		return;
	}
	h->stack_len = copy_stack((__u8 *)(h + 1), BPF_CORE_READ(ur, sp));
	bpf_ringbuf_submit(h, wakeup(&samples, sizeof(*h) + stack_bytes + 8));
}

/* serve: the row's class count, and its cgroup the first time. */
static __always_inline void row_add(__u32 slot, __u32 cls)
{
	struct pft_row *row = bpf_map_lookup_elem(&rows, &slot);
	__u32 i = cls;

	if (!row)
		return;
	/* clang knows cls < PFT_NCLASS and drops the check; the verifier must see it */
	barrier_var(i);
	if (i < PFT_NCLASS)
		__sync_fetch_and_add(&row->cls[i], 1);
	if (!row->cgroup)
		row->cgroup = bpf_get_current_cgroup_id();
}

/* One accounted fault of the thread @k: count it everywhere asked for. */
static __always_inline void fault_done(struct pfb_task *k, struct vinfo *v, __u64 addr,
				       __u64 lat, bool timed, bool major, bool gup)
{
	bool cow = !gup && !major &&
		   (k->err & (X86_PF_PROT | X86_PF_WRITE)) == (X86_PF_PROT | X86_PF_WRITE);
	struct pft_counts *c = bpf_map_lookup_elem(&counts, &k->slot);
	__u32 cls;

	if (major)
		cls = v->file ? PFT_MAJOR_FILE : PFT_MAJOR_SWAP;
	else if (cow)
		cls = PFT_COW;
	else
		cls = v->file ? PFT_MINOR_FILE : PFT_MINOR_ANON;
	__sync_fetch_and_add(&left_out.faults, 1);
	if (gup)
		__sync_fetch_and_add(&left_out.gup, 1);
	if (c) {	/* one row per process: its threads add on several CPUs */
		if (major)
			__sync_fetch_and_add(&c->major, 1);
		else
			__sync_fetch_and_add(&c->minor, 1);
		if (gup)
			__sync_fetch_and_add(&c->gup, 1);
		if (cow)
			__sync_fetch_and_add(&c->cow, 1);
	}
	if (want_rows)
		row_add(k->slot, cls);
	if (want_hists && timed)
		hist_add(k->slot, cls, lat);
	else if (want_hists)
		__sync_fetch_and_add(&left_out.unpaired, 1);
	if (want_maps)
		map_add(k->slot, v, major, gup);
	if (want_stacks)
		sample_add(k, major);
	if (want_events) {
		struct pft_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

		if (!e) {
			__sync_fetch_and_add(&lost_events, 1);
			return;
		}
		e->t_ns = bpf_ktime_get_ns();
		e->addr = addr;
		e->slot = k->slot;
		e->cls = cls;
		bpf_ringbuf_submit(e, wakeup(&events, sizeof(*e) + 8));
	}
}

/* ---- the start of a fault with a #PF (both methods) ---- */

static __always_inline void pf_start(unsigned long address, unsigned long error_code)
{
	struct pfb_task *k = ts_target(bpf_get_current_task_btf());

	if (!k)
		return;
	k->t0 = bpf_ktime_get_ns();
	k->addr = address;
	k->err = error_code;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(pf_entry, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	pf_start(address, error_code);
	return 0;
}

/*
 * A #PF in the kernel on a user address: copy_to_user() and friends
 * touching a buffer first (read(2) into fresh memory).  Accounted to the
 * task like any other, with the registers of its system call.
 */
SEC("tp_btf/page_fault_kernel")
int BPF_PROG(pf_kentry, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	if ((long)address >= 0)
		pf_start(address, error_code);
	return 0;
}

/* ---- tp+pe: the end, at mm_account_fault()'s perf software event ---- */

static __always_inline int pe_done(struct bpf_perf_event_data *ctx, bool major)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pfb_task *k = ts_target(t);
	struct vinfo v = {};
	__u64 now = bpf_ktime_get_ns(), addr = ctx->addr;

	bool timed;

	if (!k)
		return 0;
	/*
	 * Timed when its #PF is the one pending: the same page.  Counted in
	 * any case: the perf event is the fault's accounting.
	 */
	timed = k->t0 && (k->addr >> 12) == (addr >> 12);
	if (!timed)
		k->err = 0;
	/* the VMA tells file from anon, and names the mapping */
	if (want_vma)
		vma_of(t, k, addr, &v);
	fault_done(k, &v, addr, now - k->t0, timed, major, false);
	k->t0 = 0;
	return 0;
}

SEC("perf_event")
int pe_minor(struct bpf_perf_event_data *ctx)
{
	return pe_done(ctx, false);
}

SEC("perf_event")
int pe_major(struct bpf_perf_event_data *ctx)
{
	return pe_done(ctx, true);
}

/* ---- fexit: handle_mm_fault itself ---- */

SEC("fentry/handle_mm_fault")
int BPF_PROG(fx_entry, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs)
{
	struct pfb_task *k = ts_target(bpf_get_current_task_btf());

	/* a retry is the same fault: time it from its first attempt */
	if (k && !k->retry)
		k->fe_t0 = bpf_ktime_get_ns();
	return 0;
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(fx_exit, struct vm_area_struct *vma, unsigned long address,
	     unsigned int flags, struct pt_regs *regs, vm_fault_t ret)
{
	enum pfb_fault_class cls = pfb_fault_class(flags, ret);
	struct pfb_task *k = ts_target(bpf_get_current_task_btf());
	struct vinfo v = {};
	bool gup = !regs;
	__u64 lat;

	if (!k || !k->fe_t0)
		return 0;
	k->retry = cls == PFB_FAULT_RETRY;
	if (k->retry)
		return 0;	/* the retry's fexit counts it, from the first entry */
	lat = bpf_ktime_get_ns() - k->fe_t0;
	k->fe_t0 = 0;
	if (cls == PFB_FAULT_ERROR)
		return 0;	/* not accounted, as mm_account_fault() */
	vma_info(vma, &v);
	if (!have_fault_tp)
		k->err = 0;	/* not a gup's PFT_NO_PF left from before */
	if (gup)
		k->err = PFT_NO_PF;
	fault_done(k, &v, address, lat, true, cls == PFB_FAULT_MAJOR, gup);
	k->t0 = 0;
	return 0;
}

/* ---- targets: forks, exec, the -p seed ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pfb_task *pk, *ck;

	pfb_follow_fork(parent, child);
	if (!want_stacks)
		return 0;
	/*
	 * code: until it execs, a forked child runs its parent's code, in a
	 * copy of its parent's address space (the parent's row unwinds it).
	 */
	ck = ts_target(child);
	if (!ck)
		return 0;
	pk = ts_target(parent);
	if (child->tgid != parent->tgid) {
		ck->forked = true;
		ck->pslot = pk ? pk->slot : 0;
	} else if (pk) {
		ck->forked = pk->forked;
		ck->pslot = pk->pslot;
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	struct pfb_task *k = ts_get(p, false);

	pfb_follow_exec(p);
	if (k)
		k->forked = false;
	return 0;
}

/*
 * serve: each thread's CPU time when it is freed (after its last
 * schedule: se.sum_exec_runtime is final then, where at its exit it
 * lags by the time since the scheduler last updated it), into its
 * process's row; the leader, freed last, adds the process's start.  User
 * space takes a finished process's CPU time from here, exact, instead of
 * its last /proc reading, then hands the row back for reuse.  Serve
 * adopts threads at fork, so each has the row in its own storage.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(on_free, struct task_struct *p)
{
	struct pfb_task *k = ts_get(p, false);
	struct pft_row *row = k && k->slot ? bpf_map_lookup_elem(&rows, &k->slot) : NULL;

	if (!row)
		return 0;
	__sync_fetch_and_add(&row->exit_ns, p->se.sum_exec_runtime);
	if (p->pid == p->tgid)
		row->start_ns = p->start_boottime;
	pfb_slot_free(p, k);
	return 0;
}

SEC("iter/task")
int seed(struct bpf_iter__task *ctx)
{
	pfb_seed_task(ctx->task);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
