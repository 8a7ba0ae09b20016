// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * code.c - pftrace's code view: faults per user-space code site, and
 * collapsed stacks for flame graphs (see docs/pftrace.md, "code").
 *
 * Every accounted fault of a traced thread arrives as a sample in the
 * samples ring buffer: the user registers and a copy of the stack, which
 * are unwound here, by frame pointers (fp) or with libdwfl and the
 * objects' CFI (dwarf), as perf --call-graph dwarf does.  When a sample
 * arrives, its process's address space is read if it has to be (while
 * it lives), and the sample waits in a queue; it is unwound when the
 * ring buffer is empty.  Each distinct stack is symbolized once, when
 * first seen, and counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "pftrace.skel.h"
#include "syms.h"
#include "cli.h"

#define MAX_PROCS 4096

/*
 * Address spaces, opened while each process lives (code_poll, or its
 * first sample), by row, so that a reused PID is another process.  Once
 * MAX_PROCS are open, the handles of processes that have exited go first.
 */
struct proc {
	__u32 slot;
	struct pft_syms *syms;
	int polls;	/* looks so far */
	__u64 miss_ms;	/* its maps last re-read for a miss (refresh_now) */
	bool gone;	/* its maps could not be read any more */
};

/* ---- a string-keyed table: folded lines and leaf sites ---- */

struct entry {
	__u64 minor, major;
	char key[];
};

/* Open addressing over pointers: an entry stays where it is as it grows. */
struct table {
	struct entry **e;
	size_t n, cap;	/* cap: 0 or a power of two */
};

static __u64 str_hash(const char *s)
{
	__u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int table_grow(struct table *t)
{
	size_t i, j, cap = t->cap ? 2 * t->cap : 1024;
	struct entry **e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->e[i])
			continue;
		for (j = str_hash(t->e[i]->key) & (cap - 1); e[j]; j = (j + 1) & (cap - 1))
			;
		e[j] = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

static struct entry *table_get(struct table *t, const char *key)
{
	size_t i, len = strlen(key);

	if (4 * (t->n + 1) > 3 * t->cap && table_grow(t))
		return NULL;
	for (i = str_hash(key) & (t->cap - 1); t->e[i]; i = (i + 1) & (t->cap - 1))
		if (!strcmp(t->e[i]->key, key))
			return t->e[i];
	t->e[i] = calloc(1, sizeof(**t->e) + len + 1);
	if (!t->e[i])
		return NULL;
	memcpy(t->e[i]->key, key, len + 1);
	t->n++;
	return t->e[i];
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->e[i]);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* ---- distinct stacks, by row and program counters ---- */

struct stack {
	struct stack *next;
	__u64 hash;
	__u32 slot;
	int n;
	bool complete;
	struct entry *line, *site;	/* where its faults are counted */
	__u64 pcs[];
};

#define NBUCKETS 65536

/*
 * Samples waiting to be unwound: a burst of faults comes faster than they
 * unwind (a few us each), and a sample kept here instead of in the ring
 * buffer is a sample not lost.  Trimmed to the stack it holds; qmax bytes
 * at most (an 8th of the memory, 64..512 MiB), then unwound at once.
 */
struct queued {
	struct queued *next;
	struct pft_sample s;	/* and its stack */
};

struct code_state {
	/* its options */
	int top_n;		/* -n: sites shown */
	bool folded;		/* collapsed stacks */
	bool offsets;		/* frames with their offsets */
	int unwind;		/* enum pft_unwind */
	__u32 stack_bytes;	/* dwarf: stack copied per fault */
	bool call_graph_set;	/* --call-graph given */

	struct proc procs[MAX_PROCS];
	int nprocs;
	struct stack *buckets[NBUCKETS];
	struct table lines, sites;
	/* What the samples came to: docs/pftrace.md, "code". */
	struct {
		__u64 faults;		/* samples, each a fault with a user stack */
		__u64 complete;		/* ... whose stack reaches its entry */
		__u64 cut;		/* ... unwound only part of the way */
		__u64 no_space;		/* ... whose address space could not be read */
	} got;
	__u64 nsamples, last_poll_ms;
	__u64 qbytes, qmax;		/* the queue of samples */
	struct queued *qhead, **qtail;
	__u32 pids[PFB_MAX_SLOTS];	/* a row's PID, once known: a row is one process */
	struct pft_syms *self;		/* our own address space: a -c command's before exec */
};

static bool is_entry(const char *name)
{
	static const char *const entries[] = {
		"_start", "__libc_start_main", "__libc_start_call_main", "main",
		"clone", "__clone", "clone3", "__clone3", "start_thread",
	};
	size_t i, len = strcspn(name, "@");	/* name@@VERSION */

	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (strlen(entries[i]) == len && !strncmp(name, entries[i], len))
			return true;
	return false;
}

/*
 * @pid's address space; a look with @refresh re-reads its maps, each time
 * for the first half second (ld.so maps the libraries early), then every
 * 20th look.
 */
static struct pft_syms *syms_of(struct code_state *cs, __u32 slot, __u32 pid, bool refresh)
{
	struct proc *procs = cs->procs;
	struct pft_syms *sy;
	int i;

	for (i = 0; i < cs->nprocs; i++)
		if (procs[i].slot == slot) {
			if (refresh && (++procs[i].polls < 50 || procs[i].polls % 20 == 0))
				pft_syms_refresh(procs[i].syms);
			return procs[i].syms;
		}
	sy = pft_syms_open(pid);
	if (!sy)
		return NULL;
	if (cs->nprocs == MAX_PROCS) {
		for (i = 0; i < cs->nprocs && !pft_syms_gone(procs[i].syms); i++)
			;
		if (i == cs->nprocs) {
			pft_syms_close(sy);
			return NULL;
		}
		pft_syms_close(procs[i].syms);
		procs[i] = procs[--cs->nprocs];
	}
	procs[cs->nprocs] = (struct proc){ .slot = slot, .syms = sy };
	return procs[cs->nprocs++].syms;
}

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * Re-read the maps of @slot's process for code in an object it mapped
 * since the last look (ld.so at work, dlopen): at once while each look
 * finds new objects (a process of a few ms, git, must be read before it
 * exits), else at most once a ms, as JIT code misses every time.  A
 * process that has gone keeps its last view.
 */
static void refresh_now(struct code_state *cs, __u32 slot)
{
	__u64 now = mono_ms();
	struct proc *p;
	int before;

	for (p = cs->procs; p < cs->procs + cs->nprocs; p++) {
		if (p->slot != slot || p->gone || now - p->miss_ms < 1)
			continue;
		before = pft_syms_modules(p->syms);
		if (pft_syms_refresh(p->syms))
			p->gone = true;
		else if (pft_syms_modules(p->syms) == before)
			p->miss_ms = now;
	}
}

/*
 * Open the address space of every row as soon as it is seen (pftrace
 * polls this every 10 ms in the code view), so that a process that exits
 * soon can still be unwound and symbolized; and refresh it now and then
 * (dlopen).
 */
static int code_poll(void *state, struct pft_run *r)
{
	__u32 n = __atomic_load_n(&r->skel->data->next_slot, __ATOMIC_ACQUIRE), s, pid;
	struct code_state *cs = state;
	char comm[16];

	cs->last_poll_ms = mono_ms();
	for (s = 1; s < n && s < PFB_MAX_SLOTS; s++)
		if (pft_who(r, s, &pid, comm))
			syms_of(cs, s, pid, true);
	return 0;
}

/*
 * Every process a descriptor or two per object mapped: allow what we may.
 * And look up our own address space once: the first object without
 * symbols of its own makes libdw load its debuginfod client (dlopen, some
 * 30 ms), which must not happen while a short-lived process waits to be
 * read.
 */
static int code_init(void *state, struct pft_run *r)
{
	struct code_state *cs = state;
	struct rlimit rl;

	(void)r;
	cs->qtail = &cs->qhead;
	cs->qmax = pft_mem_share(64ULL << 20, 512ULL << 20, 8);
	cs->self = pft_syms_open(getpid());
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

/*
 * One frame's name in a folded line: the function, merged over its
 * call sites; with --offsets, the address in it.  A frame in an object
 * without a symbol for it is [object] (object+0xOFF with --offsets); one
 * in no object, [unknown].
 */
static void fold_name(const struct pft_sym *sym, int err, bool offsets, char *buf, size_t len)
{
	char *c, *at;

	if (err)
		snprintf(buf, len, "[unknown]");
	else if (sym->known && offsets)
		snprintf(buf, len, "%s+0x%llx", sym->name, sym->off);
	else if (sym->known)
		snprintf(buf, len, "%s", sym->name);
	else if (offsets)
		snprintf(buf, len, "%s+0x%llx", sym->dso, sym->dso_off);
	else
		snprintf(buf, len, "[%s]", sym->dso);
	/* a versioned dynamic symbol: __libc_start_main@@GLIBC_2.34 */
	at = sym->known && !err ? strchr(buf, '@') : NULL;
	if (at && !offsets)
		*at = 0;
	for (c = buf; *c; c++)
		if (*c == ';' || *c == ' ')
			*c = '_';
}

/*
 * A new stack: cut it at its first frame (after the innermost) in no
 * object (an unwinder that went astray: fp on code built without frame
 * pointers), judge it complete or not (its outermost frame an entry by
 * name, or by its CFI: no caller), and find its line and site.
 */
static void stack_name(struct code_state *cs, struct stack *st, struct pft_syms *sy,
		       const char *comm)
{
	char line[16384], name[300], leaf[300];
	struct pft_sym sym;
	size_t off;
	int i, err;

	for (i = 1; i < st->n; i++)
		if (!sy || pft_syms_lookup(sy, st->pcs[i] - 1, &sym))
			break;
	st->n = i;
	off = snprintf(line, sizeof(line), "%s", comm);
	for (i = st->n - 1; i >= 0; i--) {
		/* a return address may follow a call that ends its function */
		err = sy ? pft_syms_lookup(sy, i ? st->pcs[i] - 1 : st->pcs[i], &sym) : -ENOENT;
		if (i == st->n - 1)
			st->complete = !err && ((sym.known && is_entry(sym.name)) ||
						pft_syms_outermost(sy, st->pcs[i], !i));
		fold_name(&sym, err, cs->offsets, name, sizeof(name));
		if (off < sizeof(line) - 1)
			off += snprintf(line + off, sizeof(line) - off, ";%s", name);
		if (!i) {
			if (err)
				snprintf(leaf, sizeof(leaf), "[unknown] 0x%llx",
					 (unsigned long long)st->pcs[0]);
			else
				pft_sym_format(&sym, leaf, sizeof(leaf));
		}
	}
	st->line = table_get(&cs->lines, line);
	st->site = table_get(&cs->sites, leaf);
}

/*
 * --call-graph fp: walk the frame-pointer chain through the stack copy:
 * the return address at 8(%rbp), then %rbp <- 0(%rbp), while the frame
 * lies in the copy and the chain goes up (a zero %rbp, as _start leaves
 * it, ends it).
 */
static int fp_walk(const struct pft_sample *s, __u64 *pcs, int max)
{
	const unsigned char *stack = (const unsigned char *)(s + 1);
	__u64 sp = s->regs[PFT_REG_SP], fp = s->regs[PFT_REG_BP], next, ret;
	int n = 0;

	pcs[n++] = s->regs[PFT_REG_IP];
	while (n < max && fp >= sp && fp - sp <= s->stack_len &&
	       s->stack_len - (fp - sp) >= 16) {
		memcpy(&next, stack + (fp - sp), 8);
		memcpy(&ret, stack + (fp - sp) + 8, 8);
		if (!ret)
			break;
		pcs[n++] = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

static __u64 pcs_hash(__u32 slot, const __u64 *pcs, int n)
{
	__u64 h = slot * 0x9e3779b97f4a7c15ULL;
	int i;

	for (i = 0; i < n; i++)
		h = (h ^ pcs[i]) * 0x100000001b3ULL;
	return h;
}

static struct stack *stack_find(struct code_state *cs, __u32 slot, const __u64 *pcs, int n,
				bool *isnew)
{
	__u64 h = pcs_hash(slot, pcs, n);
	struct stack **b = &cs->buckets[h & (NBUCKETS - 1)], *st;

	*isnew = false;
	for (st = *b; st; st = st->next)
		if (st->hash == h && st->slot == slot && st->n == n &&
		    !memcmp(st->pcs, pcs, n * sizeof(*pcs)))
			return st;
	st = calloc(1, sizeof(*st) + n * sizeof(*pcs));
	if (!st)
		return NULL;
	st->hash = h;
	st->slot = slot;
	st->n = n;
	memcpy(st->pcs, pcs, n * sizeof(*pcs));
	st->next = *b;
	*b = st;
	*isnew = true;
	return st;
}

/* The address space a sample's code ran in (NULL if it cannot be read). */
static struct pft_syms *space_of(struct code_state *cs, struct pft_run *r,
				 const struct pft_sample *s)
{
	__u32 *pids = cs->pids;
	__u32 aslot = s->pre_exec ? s->pslot : s->slot;
	char comm[16];

	/* a forked child before its exec runs its parent's code */
	if (!aslot)
		return cs->self;
	/* the row's PID without a system call a sample: a row is one process */
	if (aslot >= PFB_MAX_SLOTS || (!pids[aslot] && !pft_who(r, aslot, &pids[aslot], comm)))
		return NULL;
	return syms_of(cs, aslot, pids[aslot], false);
}

/*
 * Unwind one sample, and count its fault on its stack's line and site;
 * -ENOMEM if there was no room to count it.
 */
static int unwind_one(struct code_state *cs, struct pft_run *r, const struct pft_sample *s)
{
	struct pft_syms *sy = space_of(cs, r, s);
	__u64 pcs[PFT_MAX_FRAMES];
	struct stack *st;
	char comm[16];
	bool isnew;
	__u32 pid;
	int n = 0;

	if (s->unwind == PFT_UNWIND_FP)
		n = fp_walk(s, pcs, PFT_MAX_FRAMES);
	else if (sy)
		n = pft_syms_unwind(sy, s->tid, s->regs, s + 1, s->stack_len, pcs,
				    PFT_MAX_FRAMES);
	if (n <= 0) {
		pcs[0] = s->regs[PFT_REG_IP];	/* the faulting ip, at least */
		n = 1;
	}
	/* the same addresses before and after an exec are other code */
	st = stack_find(cs, s->slot | (__u32)s->pre_exec << 31, pcs, n, &isnew);
	if (st && isnew) {
		if (!pft_who(r, s->slot, &pid, comm))
			snprintf(comm, sizeof(comm), "?");
		stack_name(cs, st, sy, pfb_clean(comm));
	}
	cs->got.faults++;
	if (!sy)
		cs->got.no_space++;
	else if (st && st->complete)
		cs->got.complete++;
	else
		cs->got.cut++;
	if (!st || !st->line || !st->site)
		return -ENOMEM;
	*(s->major ? &st->line->major : &st->line->minor) += 1;
	*(s->major ? &st->site->major : &st->site->minor) += 1;
	return 0;
}

/*
 * The samples ring buffer's callback: what must happen while the process
 * lives happens now (its address space read, again if the code is in an
 * object mapped since the last look: ld.so at work, dlopen); the
 * unwinding waits in the queue for code_unwind().
 */
static int code_sample(void *state, struct pft_run *r, const void *data, size_t size)
{
	struct code_state *cs = state;
	const struct pft_sample *s = data;
	struct pft_syms *sy;
	struct pft_sym sym;
	struct queued *q;
	size_t len;

	if (size < sizeof(*s) || s->slot >= PFB_MAX_SLOTS || size < sizeof(*s) + s->stack_len)
		return 0;
	/*
	 * Behind a burst of samples, still look at new processes every few
	 * ms: a short-lived one (cc1 under make) must be read while it lives.
	 */
	if (!(++cs->nsamples & 63) && mono_ms() - cs->last_poll_ms >= 5)
		code_poll(cs, r);
	sy = space_of(cs, r, s);
	if (sy && sy != cs->self && pft_syms_lookup(sy, s->regs[PFT_REG_IP], &sym) == -ENOENT)
		refresh_now(cs, s->pre_exec ? s->pslot : s->slot);
	len = sizeof(*s) + s->stack_len;
	q = cs->qbytes + len <= cs->qmax ? malloc(sizeof(*q) - sizeof(q->s) + len) : NULL;
	if (!q)
		return unwind_one(cs, r, s);	/* at once: the queue is full */
	q->next = NULL;
	memcpy(&q->s, s, len);
	*cs->qtail = q;
	cs->qtail = &q->next;
	cs->qbytes += len;
	return 0;
}

/*
 * Unwind the samples waiting, for about @ms ms (all of them if @ms < 0):
 * 1 if some still wait, 0 if none, or -ENOMEM.
 */
static int code_unwind(struct code_state *cs, struct pft_run *r, int ms)
{
	__u64 until = mono_ms() + ms;
	struct queued *q;
	int n = 0, err = 0;

	while (!err && (q = cs->qhead)) {
		cs->qhead = q->next;
		if (!cs->qhead)
			cs->qtail = &cs->qhead;
		cs->qbytes -= sizeof(q->s) + q->s.stack_len;
		err = unwind_one(cs, r, &q->s);
		free(q);
		if (ms >= 0 && !(++n & 15) && mono_ms() >= until)
			break;
	}
	return err ? err : cs->qhead != NULL;
}

/* The ring buffer is empty: unwind for 2 ms */
static int code_idle(void *state, struct pft_run *r)
{
	return code_unwind(state, r, 2);
}

static int cmp_site(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
	__u64 fx = x->minor + x->major, fy = y->minor + y->major;

	return fx < fy ? 1 : fx > fy ? -1 : 0;
}

static void print_folded(const struct code_state *cs)
{
	const struct table *lines = &cs->lines;
	size_t i;

	for (i = 0; i < lines->cap; i++)
		if (lines->e[i])
			printf("%s %llu\n", lines->e[i]->key,
			       (unsigned long long)(lines->e[i]->minor + lines->e[i]->major));
}

static int print_sites(const struct code_state *cs, struct pft_run *r)
{
	const struct table *sites = &cs->sites;
	struct entry **v = calloc(sites->n + 1, sizeof(*v));
	enum pfb_format fmt = r->o->fmt;
	size_t i, n = 0;
	double pc = cs->got.faults ? 100.0 * cs->got.complete / cs->got.faults : 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < sites->cap; i++)
		if (sites->e[i])
			v[n++] = sites->e[i];
	qsort(v, n, sizeof(*v), cmp_site);
	if (fmt == PFB_TABLE)
		printf("\n%llu fault%s with a user stack over %.3f s, by code site (leaf frame)\n"
		       "%9s %6s %9s %9s  %s\n", (unsigned long long)cs->got.faults,
		       cs->got.faults == 1 ? "" : "s", r->run_secs, "FAULTS", "SHARE", "MINOR",
		       "MAJOR", "SITE");
	else if (fmt == PFB_CSV)
		printf("site,faults,minor,major\n");
	if (fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"code\",\"secs\":%.6f,\"faults\":%llu,\"unwind\":\"%s\","
		       "\"complete\":%llu,\"cut\":%llu,\"no_address_space\":%llu,\"sites\":[",
		       r->run_secs, (unsigned long long)cs->got.faults,
		       cs->unwind == PFT_UNWIND_FP ? "fp" : "dwarf",
		       (unsigned long long)cs->got.complete, (unsigned long long)cs->got.cut,
		       (unsigned long long)cs->got.no_space);
	}
	for (i = 0; i < n && (int)i < cs->top_n; i++) {
		__u64 f = v[i]->minor + v[i]->major;

		if (fmt == PFB_TABLE)
			printf("%9llu %5.1f%% %9llu %9llu  %s\n", (unsigned long long)f,
			       cs->got.faults ? 100.0 * f / cs->got.faults : 0,
			       (unsigned long long)v[i]->minor, (unsigned long long)v[i]->major,
			       v[i]->key);
		else if (fmt == PFB_CSV)
			printf("%s,%llu,%llu,%llu\n", pfb_clean(v[i]->key), (unsigned long long)f,
			       (unsigned long long)v[i]->minor, (unsigned long long)v[i]->major);
		else
			printf("%s{\"site\":\"%s\",\"faults\":%llu,\"minor\":%llu,\"major\":%llu}",
			       i ? "," : "", pfb_clean(v[i]->key), (unsigned long long)f,
			       (unsigned long long)v[i]->minor, (unsigned long long)v[i]->major);
	}
	if (fmt == PFB_JSON)
		printf("]}\n");
	else if (fmt == PFB_TABLE)
		printf("\nStacks (%s): %llu of %llu complete (%.1f%%: they reach _start, main "
		       "or a thread's clone), %llu cut short, %llu in an address space "
		       "not read\n", cs->unwind == PFT_UNWIND_FP ? "frame pointers" :
		       "DWARF CFI", (unsigned long long)cs->got.complete,
		       (unsigned long long)cs->got.faults, pc, (unsigned long long)cs->got.cut,
		       (unsigned long long)cs->got.no_space);
	free(v);
	return 0;
}

static int code_interval(void *state, struct pft_run *r, bool last)
{
	struct code_state *cs = state;
	int err;

	code_poll(cs, r);
	if (!last)
		return 0;	/* one table at the end: stacks need a long look */
	err = code_unwind(cs, r, -1);
	if (err < 0)
		return err;
	if (cs->folded)
		print_folded(cs);
	else if ((err = print_sites(cs, r)))
		return err;
	fprintf(stderr, "pftrace: stacks (%s): %llu of %llu complete, %llu cut short, "
		"%llu in an address space not read\n",
		cs->unwind == PFT_UNWIND_FP ? "fp" : "dwarf",
		(unsigned long long)cs->got.complete, (unsigned long long)cs->got.faults,
		(unsigned long long)cs->got.cut, (unsigned long long)cs->got.no_space);
	fflush(stdout);
	return 0;
}

static void code_free(void *state)
{
	struct code_state *cs = state;
	struct queued *q;
	int i;

	for (i = 0; i < NBUCKETS; i++)
		while (cs->buckets[i]) {
			struct stack *st = cs->buckets[i];

			cs->buckets[i] = st->next;
			free(st);
		}
	while ((q = cs->qhead)) {
		cs->qhead = q->next;
		free(q);
	}
	cs->qtail = &cs->qhead;
	cs->qbytes = 0;
	table_free(&cs->lines);
	table_free(&cs->sites);
	for (i = 0; i < cs->nprocs; i++)
		pft_syms_close(cs->procs[i].syms);
	cs->nprocs = 0;
	memset(cs->pids, 0, sizeof(cs->pids));
	pft_syms_close(cs->self);
	cs->self = NULL;
}

static const struct argp_option code_options[] = {
	PFT_OPTION_TOP_N,
	{ "folded", PFT_OPT_FOLDED, NULL, 0, "code: collapsed stacks (flamegraph.pl, "
	  "speedscope, inferno)", 0 },
	{ "call-graph", PFT_OPT_CALL_GRAPH, "HOW", 0, "code: how stacks are unwound: dwarf[,SIZE] "
	  "(default; SIZE bytes of stack copied per fault, default 8192, 4096..16384) "
	  "or fp (frame pointers)", 0 },
	{ "offsets", PFT_OPT_OFFSETS, NULL, 0, "code: --folded frames with their offsets "
	  "(func+0x1a), not merged by function", 0 },
	{},
};

/* --call-graph dwarf[,SIZE] or fp */
static void parse_call_graph(struct code_state *cs, char *arg, struct argp_state *as)
{
	long v;

	if (!strcmp(arg, "fp")) {
		cs->unwind = PFT_UNWIND_FP;
	} else if (!strncmp(arg, "dwarf", 5) && (!arg[5] || arg[5] == ',')) {
		cs->unwind = PFT_UNWIND_DWARF;
		if (arg[5] && (!pfb_parse_count(arg + 6, &v) || v < 4096 ||
			       v > PFT_STACK_MAX || v % 8))
			argp_error(as, "invalid stack size: %s (4096..%d, a "
				   "multiple of 8)", arg + 6, PFT_STACK_MAX);
		if (arg[5])
			cs->stack_bytes = v;
	} else {
		argp_error(as, "unknown call graph: %s (dwarf[,SIZE], fp)", arg);
	}
	cs->call_graph_set = true;
}

static void code_parse(void *state, const struct pft_opts *o, int key, char *arg,
		       struct argp_state *as)
{
	struct code_state *cs = state;

	switch (key) {
	case ARGP_KEY_INIT:
		cs->top_n = 20;
		cs->unwind = PFT_UNWIND_DWARF;
		cs->stack_bytes = 8192;
		break;
	case 'n':
		pft_parse_top_n(as, arg, &cs->top_n);
		break;
	case PFT_OPT_FOLDED:
		cs->folded = true;
		break;
	case PFT_OPT_OFFSETS:
		cs->offsets = true;
		break;
	case PFT_OPT_CALL_GRAPH:
		parse_call_graph(cs, arg, as);
		break;
	case ARGP_KEY_END:
		if (cs->folded && o->fmt != PFB_TABLE)
			argp_error(as, "--folded is an output format of its own: "
				   "not with --csv or --json");
		break;
	}
}

static void code_setup(const void *state, struct pftrace_bpf *skel)
{
	const struct code_state *cs = state;

	skel->rodata->want_stacks = cs->unwind;
	skel->rodata->stack_bytes = cs->stack_bytes;
}

const struct pft_view pft_view_code = {
	.name = "code",
	.options = code_options,
	.needs = PFT_NEEDS_SAMPLES,
	.state_size = sizeof(struct code_state),
	.parse = code_parse,
	.setup = code_setup,
	.init = code_init,
	.event = code_sample,
	.poll = code_poll,
	.idle = code_idle,
	.interval = code_interval,
	.free = code_free,
};
