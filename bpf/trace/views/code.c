// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pft_code.c - pftrace's code view: faults per user-space code site, and
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
#include "core.h"
#include "pftrace.skel.h"
#include "syms.h"

#define MAX_PROCS 4096

/*
 * Address spaces, opened while each process lives (pft_code_poll, or its
 * first sample), by row, so that a reused PID is another process.  Once
 * MAX_PROCS are open, the handles of processes that have exited go first.
 */
static struct proc {
	__u32 slot;
	struct pft_syms *syms;
	int polls;	/* looks so far */
	__u64 miss_ms;	/* its maps last re-read for a miss (refresh_now) */
	bool gone;	/* its maps could not be read any more */
} procs[MAX_PROCS];
static int nprocs;

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
static struct stack *buckets[NBUCKETS];
static struct table lines, sites;

/* What the samples came to: docs/pftrace.md, "code". */
static struct {
	__u64 faults;		/* samples, each a fault with a user stack */
	__u64 complete;		/* ... whose stack reaches its entry */
	__u64 cut;		/* ... unwound only part of the way */
	__u64 no_space;		/* ... whose address space could not be read */
} got;

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
static struct pft_syms *syms_of(__u32 slot, __u32 pid, bool refresh)
{
	struct pft_syms *sy;
	int i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].slot == slot) {
			if (refresh && (++procs[i].polls < 50 || procs[i].polls % 20 == 0))
				pft_syms_refresh(procs[i].syms);
			return procs[i].syms;
		}
	sy = pft_syms_open(pid);
	if (!sy)
		return NULL;
	if (nprocs == MAX_PROCS) {
		for (i = 0; i < nprocs && !pft_syms_gone(procs[i].syms); i++)
			;
		if (i == nprocs) {
			pft_syms_close(sy);
			return NULL;
		}
		pft_syms_close(procs[i].syms);
		procs[i] = procs[--nprocs];
	}
	procs[nprocs] = (struct proc){ .slot = slot, .syms = sy };
	return procs[nprocs++].syms;
}

static __u64 nsamples, last_poll_ms;
static __u64 qbytes, qmax = 64ULL << 20;	/* the queue of samples (below) */
static __u32 pids[PFB_MAX_SLOTS];	/* a row's PID, once known: a row is one process */
static struct pft_syms *self;	/* our own address space: a -c command's before exec */

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
static void refresh_now(__u32 slot)
{
	__u64 now = mono_ms();
	struct proc *p;
	int before;

	for (p = procs; p < procs + nprocs; p++) {
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
void pft_code_poll(struct pft_run *r)
{
	__u32 n = __atomic_load_n(&r->skel->data->next_slot, __ATOMIC_ACQUIRE), s, pid;
	char comm[16];

	last_poll_ms = mono_ms();
	for (s = 1; s < n && s < PFB_MAX_SLOTS; s++)
		if (pft_who(r, s, &pid, comm))
			syms_of(s, pid, true);
}

/*
 * Every process a descriptor or two per object mapped: allow what we may.
 * And look up our own address space once: the first object without
 * symbols of its own makes libdw load its debuginfod client (dlopen, some
 * 30 ms), which must not happen while a short-lived process waits to be
 * read.
 */
void pft_code_init(void)
{
	struct rlimit rl;

	qmax = pft_mem_share(64ULL << 20, 512ULL << 20, 8);
	self = pft_syms_open(getpid());
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * One frame's name in a folded line: the function, merged over its
 * call sites; with --offsets, the address in it.  A frame in an object
 * without a symbol for it is [object] (object+0xOFF with --offsets); one
 * in no object, [unknown].
 */
static void fold_name(const struct pft_sym *sym, int err, char *buf, size_t len)
{
	char *c, *at;

	if (err)
		snprintf(buf, len, "[unknown]");
	else if (sym->known && env.offsets)
		snprintf(buf, len, "%s+0x%llx", sym->name, sym->off);
	else if (sym->known)
		snprintf(buf, len, "%s", sym->name);
	else if (env.offsets)
		snprintf(buf, len, "%s+0x%llx", sym->dso, sym->dso_off);
	else
		snprintf(buf, len, "[%s]", sym->dso);
	/* a versioned dynamic symbol: __libc_start_main@@GLIBC_2.34 */
	at = sym->known && !err ? strchr(buf, '@') : NULL;
	if (at && !env.offsets)
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
static void stack_name(struct stack *st, struct pft_syms *sy, const char *comm)
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
		fold_name(&sym, err, name, sizeof(name));
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
	st->line = table_get(&lines, line);
	st->site = table_get(&sites, leaf);
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

static struct stack *stack_find(__u32 slot, const __u64 *pcs, int n, bool *isnew)
{
	__u64 h = pcs_hash(slot, pcs, n);
	struct stack **b = &buckets[h & (NBUCKETS - 1)], *st;

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
static struct pft_syms *space_of(struct pft_run *r, const struct pft_sample *s)
{
	__u32 aslot = s->pre_exec ? s->pslot : s->slot;
	char comm[16];

	/* a forked child before its exec runs its parent's code */
	if (!aslot)
		return self;
	/* the row's PID without a system call a sample: a row is one process */
	if (aslot >= PFB_MAX_SLOTS || (!pids[aslot] && !pft_who(r, aslot, &pids[aslot], comm)))
		return NULL;
	return syms_of(aslot, pids[aslot], false);
}

/* Unwind one sample, and count its fault on its stack's line and site. */
static void unwind_one(struct pft_run *r, const struct pft_sample *s)
{
	struct pft_syms *sy = space_of(r, s);
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
	st = stack_find(s->slot | (__u32)s->pre_exec << 31, pcs, n, &isnew);
	if (st && isnew) {
		if (!pft_who(r, s->slot, &pid, comm))
			snprintf(comm, sizeof(comm), "?");
		stack_name(st, sy, pfb_clean(comm));
	}
	got.faults++;
	if (!sy)
		got.no_space++;
	else if (st && st->complete)
		got.complete++;
	else
		got.cut++;
	if (!st)
		return;
	if (st->line)
		*(s->major ? &st->line->major : &st->line->minor) += 1;
	if (st->site)
		*(s->major ? &st->site->major : &st->site->minor) += 1;
}

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

static struct queued *qhead, **qtail = &qhead;

/*
 * The samples ring buffer's callback: what must happen while the process
 * lives happens now (its address space read, again if the code is in an
 * object mapped since the last look: ld.so at work, dlopen); the
 * unwinding waits in the queue for pft_code_unwind().
 */
int pft_code_sample(struct pft_run *r, const void *data, size_t size)
{
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
	if (!(++nsamples & 63) && mono_ms() - last_poll_ms >= 5)
		pft_code_poll(r);
	sy = space_of(r, s);
	if (sy && sy != self && pft_syms_lookup(sy, s->regs[PFT_REG_IP], &sym) == -ENOENT)
		refresh_now(s->pre_exec ? s->pslot : s->slot);
	len = sizeof(*s) + s->stack_len;
	q = qbytes + len <= qmax ? malloc(sizeof(*q) - sizeof(q->s) + len) : NULL;
	if (!q) {
		unwind_one(r, s);
		return 0;
	}
	q->next = NULL;
	memcpy(&q->s, s, len);
	*qtail = q;
	qtail = &q->next;
	qbytes += len;
	return 0;
}

bool pft_code_unwind(struct pft_run *r, int ms)
{
	__u64 until = mono_ms() + ms;
	struct queued *q;
	int n = 0;

	while ((q = qhead)) {
		qhead = q->next;
		if (!qhead)
			qtail = &qhead;
		qbytes -= sizeof(q->s) + q->s.stack_len;
		unwind_one(r, &q->s);
		free(q);
		if (ms >= 0 && !(++n & 15) && mono_ms() >= until)
			break;
	}
	return qhead != NULL;
}

static int cmp_site(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
	__u64 fx = x->minor + x->major, fy = y->minor + y->major;

	return fx < fy ? 1 : fx > fy ? -1 : 0;
}

static void print_folded(void)
{
	size_t i;

	for (i = 0; i < lines.cap; i++)
		if (lines.e[i])
			printf("%s %llu\n", lines.e[i]->key,
			       (unsigned long long)(lines.e[i]->minor + lines.e[i]->major));
}

static void print_sites(struct pft_run *r)
{
	struct entry **v = calloc(sites.n + 1, sizeof(*v));
	size_t i, n = 0;
	double pc = got.faults ? 100.0 * got.complete / got.faults : 0;

	if (!v)
		return;
	for (i = 0; i < sites.cap; i++)
		if (sites.e[i])
			v[n++] = sites.e[i];
	qsort(v, n, sizeof(*v), cmp_site);
	if (env.fmt == PFB_TABLE)
		printf("\n%llu fault%s with a user stack over %.3f s, by code site (leaf frame)\n"
		       "%9s %6s %9s %9s  %s\n", (unsigned long long)got.faults,
		       got.faults == 1 ? "" : "s", r->run_secs, "FAULTS", "SHARE", "MINOR",
		       "MAJOR", "SITE");
	else if (env.fmt == PFB_CSV)
		printf("site,faults,minor,major\n");
	if (env.fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"code\",\"secs\":%.6f,\"faults\":%llu,\"unwind\":\"%s\","
		       "\"complete\":%llu,\"cut\":%llu,\"no_address_space\":%llu,\"sites\":[",
		       r->run_secs, (unsigned long long)got.faults,
		       env.unwind == PFT_UNWIND_FP ? "fp" : "dwarf",
		       (unsigned long long)got.complete, (unsigned long long)got.cut,
		       (unsigned long long)got.no_space);
	}
	for (i = 0; i < n && (int)i < env.top_n; i++) {
		__u64 f = v[i]->minor + v[i]->major;

		if (env.fmt == PFB_TABLE)
			printf("%9llu %5.1f%% %9llu %9llu  %s\n", (unsigned long long)f,
			       got.faults ? 100.0 * f / got.faults : 0,
			       (unsigned long long)v[i]->minor, (unsigned long long)v[i]->major,
			       v[i]->key);
		else if (env.fmt == PFB_CSV)
			printf("%s,%llu,%llu,%llu\n", pfb_clean(v[i]->key), (unsigned long long)f,
			       (unsigned long long)v[i]->minor, (unsigned long long)v[i]->major);
		else
			printf("%s{\"site\":\"%s\",\"faults\":%llu,\"minor\":%llu,\"major\":%llu}",
			       i ? "," : "", pfb_clean(v[i]->key), (unsigned long long)f,
			       (unsigned long long)v[i]->minor, (unsigned long long)v[i]->major);
	}
	if (env.fmt == PFB_JSON)
		printf("]}\n");
	else if (env.fmt == PFB_TABLE)
		printf("\nStacks (%s): %llu of %llu complete (%.1f%%: they reach _start, main "
		       "or a thread's clone), %llu cut short, %llu in an address space "
		       "not read\n", env.unwind == PFT_UNWIND_FP ? "frame pointers" :
		       "DWARF CFI", (unsigned long long)got.complete,
		       (unsigned long long)got.faults, pc, (unsigned long long)got.cut,
		       (unsigned long long)got.no_space);
	free(v);
}

void pft_code(struct pft_run *r, bool last)
{
	int i;

	pft_code_poll(r);
	if (!last)
		return;		/* one table at the end: stacks need a long look */
	pft_code_unwind(r, -1);
	if (env.folded)
		print_folded();
	else
		print_sites(r);
	fprintf(stderr, "pftrace: stacks (%s): %llu of %llu complete, %llu cut short, "
		"%llu in an address space not read\n",
		env.unwind == PFT_UNWIND_FP ? "fp" : "dwarf",
		(unsigned long long)got.complete, (unsigned long long)got.faults,
		(unsigned long long)got.cut, (unsigned long long)got.no_space);
	fflush(stdout);
	for (i = 0; i < NBUCKETS; i++)
		while (buckets[i]) {
			struct stack *st = buckets[i];

			buckets[i] = st->next;
			free(st);
		}
	table_free(&lines);
	table_free(&sites);
	for (i = 0; i < nprocs; i++)
		pft_syms_close(procs[i].syms);
	nprocs = 0;
	memset(pids, 0, sizeof(pids));
	pft_syms_close(self);
	self = NULL;
}
