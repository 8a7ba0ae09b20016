// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* syms.c - user-space symbols with libdwfl; see syms.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include "syms.h"

/*
 * A lookup's answer, kept: libdwfl scans a module's whole symbol table
 * for each address (0.1-0.2 ms in libc with its debuginfo), and stacks
 * repeat their addresses.
 */
struct cached {
	unsigned long long addr;
	struct pft_sym sym;
	int err;
	bool used;
};

#define CACHE_MIN 256
#define CACHE_MAX 65536		/* entries (~300 bytes each) */

/* The sample being unwound (pft_syms_unwind), read by libdwfl's callbacks. */
struct sample {
	pid_t tid;
	const unsigned long long *regs;
	const unsigned char *stack;
	unsigned long long sp;
	size_t len;
};

struct pft_syms {
	Dwfl *dwfl;
	Dwfl *uw;		/* the same modules, for unwinding (unwind_callbacks) */
	bool attached;		/* dwfl_attach_state() done on uw */
	struct sample cur;
	pid_t pid;
	int pidfd;	/* the process, not its PID; -1 without pidfd_open (< 5.3) */
	struct cached *cache;	/* open addressing; cap: 0 or a power of 2 */
	size_t ncached, cap;
};

/*
 * A module's function symbols sorted by address, relative to the module's
 * start: libdwfl's dwfl_module_addrinfo() scans the whole table for each
 * address (cc1's 100k symbols: 0.5 ms), and the same file is mapped by
 * many processes (cc1 under make).  One index a file (by path and
 * build-id), kept for the run.
 */
struct symref {
	unsigned long long lo, size;
	char *name;
	bool global;
};

struct symidx {
	struct symidx *next;
	char *key;
	struct symref *v;
	size_t n;
};

static struct symidx *indexes;	/* every module's index so far */

static char *debuginfo_path;	/* NULL: libdw's ":.debug:/usr/lib/debug" */

static const Dwfl_Callbacks callbacks = {
	/* files by their path in the maps; the vDSO from /proc/PID/mem */
	.find_elf = dwfl_linux_proc_find_elf,
	/* build-id, then .gnu_debuglink, under debuginfo_path */
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static int no_debuginfo(Dwfl_Module *mod, void **ud, const char *modname, GElf_Addr base,
			const char *file_name, const char *debuglink_file,
			GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)mod, (void)ud, (void)modname, (void)base, (void)file_name;
	(void)debuglink_file, (void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

/*
 * For unwinding, the objects' own files only: where .eh_frame has no
 * answer (a frame past the stack copy, a garbage address), libdwfl tries
 * .debug_frame, and from separate debuginfo (libc6-dbg) that means
 * loading and decompressing all of its DWARF, again for every process:
 * milliseconds that a short-lived process does not wait for.
 */
static const Dwfl_Callbacks unwind_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = no_debuginfo,
};

static struct cached *cache_slot(struct pft_syms *s, unsigned long long addr)
{
	size_t i = (addr * 0x9e3779b97f4a7c15ULL) >> 32 & (s->cap - 1);

	while (s->cache[i].used && s->cache[i].addr != addr)
		i = (i + 1) & (s->cap - 1);
	return &s->cache[i];
}

static void cache_clear(struct pft_syms *s)
{
	free(s->cache);
	s->cache = NULL;
	s->ncached = s->cap = 0;
}

/* Keep @c; without memory to grow, or full, it is just not kept. */
static void cache_add(struct pft_syms *s, const struct cached *c)
{
	struct cached *old = s->cache, *grown;
	size_t i, cap = s->cap;

	if (4 * (s->ncached + 1) > 3 * cap) {
		if (cap == CACHE_MAX)
			return;
		grown = calloc(cap ? 2 * cap : CACHE_MIN, sizeof(*grown));
		if (!grown)
			return;
		s->cache = grown;
		s->cap = cap ? 2 * cap : CACHE_MIN;
		s->ncached = 0;
		for (i = 0; i < cap; i++)
			if (old[i].used)
				cache_add(s, &old[i]);
		free(old);
	}
	*cache_slot(s, c->addr) = *c;
	s->ncached++;
}

static int count_module(Dwfl_Module *mod, void **ud, const char *name,
			Dwarf_Addr start, void *arg)
{
	(void)mod, (void)ud, (void)name, (void)start;
	++*(int *)arg;
	return DWARF_CB_OK;
}

/*
 * Make @pid's file mappings @dwfl's modules (nothing is opened yet);
 * 0 or -errno.  A process that has gone leaves no maps to read (ENOENT),
 * or empty ones (a zombie: ESRCH).
 */
static int read_maps(Dwfl *dwfl, pid_t pid)
{
	int err, n = 0;

	dwfl_report_begin(dwfl);
	err = dwfl_linux_proc_report(dwfl, pid);
	if (dwfl_report_end(dwfl, NULL, NULL) && !err)
		err = -1;
	if (err)	/* errno, or -1: a module not added (no memory) */
		return err > 0 ? -err : -ENOMEM;
	dwfl_getmodules(dwfl, count_module, &n, 0);
	return n ? 0 : -ESRCH;
}

/*
 * Open the module's ELF and read its symbols now, while the process is
 * there: the vDSO can only be read from its memory, and the files may
 * be gone (or their mount namespace) once it has exited.  A module
 * without ELF or symbols is not an error; its lookups say so.
 */
static int load_module(Dwfl_Module *mod, void **ud, const char *name,
		       Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;

	(void)ud, (void)name, (void)start, (void)arg;
	if (dwfl_module_getelf(mod, &bias))
		dwfl_module_getsymtab(mod);
	return DWARF_CB_OK;
}

struct pft_syms *pft_syms_open(pid_t pid)
{
	struct pft_syms *s = calloc(1, sizeof(*s));
	int err = -ENOMEM;

	if (!s)
		goto fail;
	s->pid = pid;
	s->pidfd = syscall(SYS_pidfd_open, pid, 0);
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->dwfl)
		goto fail;
	err = read_maps(s->dwfl, pid);
	if (err)
		goto fail;
	dwfl_getmodules(s->dwfl, load_module, NULL, 0);
	return s;
fail:
	pft_syms_close(s);
	errno = -err;
	return NULL;
}

static int copy_module(Dwfl_Module *mod, void **ud, const char *name,
		       Dwarf_Addr start, void *arg)
{
	Dwarf_Addr end;

	(void)ud;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	/* the same name and range: the old module is kept, files and all */
	if (!dwfl_report_module(arg, name, start, end))
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

/* Each old module not reported again: keep it after all (@arg: its Dwfl). */
static int keep_module(Dwfl_Module *mod, void *ud, const char *name,
		       Dwarf_Addr start, void *arg)
{
	Dwarf_Addr end;

	(void)ud;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	/* finds @mod itself: moves nothing, allocates nothing */
	dwfl_report_module(arg, name, start, end);
	return 0;
}

/*
 * -ESRCH once the process has been reaped: its PID may be another's by
 * now.  0 while it is there, a zombie too (its PID is still its own).
 */
static int gone(const struct pft_syms *s)
{
	if (s->pidfd < 0)
		return 0;
	if (syscall(SYS_pidfd_send_signal, s->pidfd, 0, NULL, 0) && errno == ESRCH)
		return -ESRCH;
	return 0;
}

static int load_elf(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start,
		    void *arg)
{
	Dwarf_Addr bias;

	(void)ud, (void)name, (void)start, (void)arg;
	dwfl_module_getelf(mod, &bias);
	return DWARF_CB_OK;
}

struct overlap {
	Dwarf_Addr start, end;
	bool found;
};

static int find_overlap(Dwfl_Module *mod, void **ud, const char *name,
			Dwarf_Addr start, void *arg)
{
	struct overlap *o = arg;
	Dwarf_Addr end;

	(void)ud, (void)name;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	if (start < o->end && o->start < end) {
		o->found = true;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

struct copy {
	Dwfl *to, *from;
};

/*
 * An old module the maps no longer show: kept, unless a new one lies
 * where it was.  Samples are read after the fact: one taken before a
 * dlclose, or while the process was exiting (its maps then read part
 * way through the teardown), still resolves.
 */
static int keep_unless_replaced(Dwfl_Module *mod, void *ud, const char *name,
				Dwarf_Addr start, void *arg)
{
	struct copy *c = arg;
	struct overlap o = { .start = start };

	dwfl_module_info(mod, NULL, NULL, &o.end, NULL, NULL, NULL, NULL);
	dwfl_getmodules(c->from, find_overlap, &o, 0);
	if (!o.found)
		keep_module(mod, ud, name, start, c->to);
	return 0;
}

/*
 * Make @to's modules those of @from, and the old ones nothing has
 * replaced: the ones still there are kept, files and all; new ones are
 * opened now (with their symbols if @syms), while the process is there.
 * 0, or -ENOMEM with @to's old modules kept.
 */
static int copy_modules(Dwfl *to, Dwfl *from, bool syms)
{
	struct copy c = { .to = to, .from = from };
	int err = 0;

	dwfl_report_begin(to);
	if (dwfl_getmodules(from, copy_module, to, 0))
		err = -ENOMEM;
	dwfl_report_end(to, err ? keep_module : keep_unless_replaced,
			err ? (void *)to : (void *)&c);
	dwfl_getmodules(to, syms ? load_module : load_elf, NULL, 0);
	return err;
}

bool pft_syms_gone(const struct pft_syms *s)
{
	return gone(s) == -ESRCH;
}

int pft_syms_modules(struct pft_syms *s)
{
	int n = 0;

	dwfl_getmodules(s->dwfl, count_module, &n, 0);
	return n;
}

int pft_syms_refresh(struct pft_syms *s)
{
	Dwfl *now = dwfl_begin(&callbacks);
	int err;

	if (!now)
		return -ENOMEM;
	/*
	 * Read into a Dwfl of its own first: if the process has gone, or
	 * goes while its maps are read, s->dwfl is not touched.  Still
	 * there after the read, it is the process whose maps were read.
	 */
	err = read_maps(now, s->pid);
	if (!err)
		err = gone(s);
	if (err)
		goto end;
	err = copy_modules(s->dwfl, now, true);
	if (!err && s->uw)
		err = copy_modules(s->uw, now, false);
	cache_clear(s);
end:
	dwfl_end(now);
	return err;
}

/* The object's name as shown: its basename, "[vdso]" for the vDSO. */
static void dso_name(char *buf, size_t len, const char *mname)
{
	const char *base = strrchr(mname, '/');

	if (!strncmp(mname, "[vdso", 5))
		base = "[vdso]";
	else
		base = base ? base + 1 : mname;
	snprintf(buf, len, "%s", base);
}

/*
 * @addr's offset in @mod's file, from the PT_LOAD segment that holds it:
 * addr - mapping start + mapping offset, as perf shows it.  False if no
 * segment holds it: an address in a module's range but in none of its
 * segments (a gap, or a garbage frame) is in no object.  Without the ELF,
 * from the module's start (exact for its first, offset-0 mapping).
 */
static bool file_offset(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr start,
			unsigned long long *off)
{
	Dwarf_Addr bias, vaddr;
	GElf_Phdr ph;
	size_t i, n;
	Elf *elf;

	elf = dwfl_module_getelf(mod, &bias);
	if (!elf || elf_getphdrnum(elf, &n)) {
		*off = addr - start;
		return true;
	}
	vaddr = addr - bias;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_memsz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

/*
 * A stripped object's entry point: its ELF header says where it is, and
 * its code by convention is _start (an executable's, ld.so's: where the
 * kernel starts a process).  True if @addr is in the few instructions of
 * it that call on.  A shared library's e_entry is 0 (libc's is its
 * version banner, never on a stack but when run as a program).
 */
static bool at_entry(Dwfl_Module *mod, Dwarf_Addr addr, unsigned long long *off)
{
	Dwarf_Addr bias;
	GElf_Ehdr eh;
	Elf *elf;

	elf = dwfl_module_getelf(mod, &bias);
	if (!elf || !gelf_getehdr(elf, &eh) || !eh.e_entry)
		return false;
	if (addr - bias < eh.e_entry || addr - bias - eh.e_entry >= 0x40)
		return false;
	*off = addr - bias - eh.e_entry;
	return true;
}

static int cmp_symref(const void *a, const void *b)
{
	const struct symref *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (int)y->global - (int)x->global;	/* a global name first */
}

/*
 * The module's key: its name (the path mapped) and build-id in hex: two
 * copies of a file, one stripped, share the build-id but not the symbols.
 */
static char *module_key(Dwfl_Module *mod, const char *mname)
{
	const unsigned char *id;
	size_t off, mlen = strlen(mname);
	GElf_Addr vaddr;
	char *key;
	int len, i;

	len = dwfl_module_build_id(mod, &id, &vaddr);
	if (len < 0)
		len = 0;
	key = malloc(mlen + 2 * len + 2);
	if (!key)
		return NULL;
	off = sprintf(key, "%s:", mname);
	for (i = 0; i < len; i++)
		off += sprintf(key + off, "%02x", id[i]);
	return key;
}

static struct symidx *index_of(Dwfl_Module *mod, const char *mname, Dwarf_Addr start)
{
	struct symidx *x;
	char *key = module_key(mod, mname);
	int n, i;

	if (!key)
		return NULL;
	for (x = indexes; x; x = x->next)
		if (!strcmp(x->key, key)) {
			free(key);
			return x;
		}
	x = calloc(1, sizeof(*x));
	n = dwfl_module_getsymtab(mod);
	if (!x || (n > 0 && !(x->v = calloc(n, sizeof(*x->v))))) {
		free(x);
		free(key);
		return NULL;
	}
	x->key = key;
	for (i = 1; i < n; i++) {
		GElf_Word shndx;
		GElf_Addr a;
		GElf_Sym sym;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &a, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		if (!name || !*name || shndx == SHN_UNDEF || a < start ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE))
			continue;
		x->v[x->n].lo = a - start;
		x->v[x->n].size = sym.st_size;
		x->v[x->n].global = GELF_ST_BIND(sym.st_info) == STB_GLOBAL;
		x->v[x->n].name = strdup(name);
		if (x->v[x->n].name)
			x->n++;
	}
	qsort(x->v, x->n, sizeof(*x->v), cmp_symref);
	x->next = indexes;
	indexes = x;
	return x;
}

/*
 * The symbol holding @rel (relative to the module's start): a sized one
 * that contains it, else a sizeless one at the nearest address below
 * with no sized one between, as libdwfl's lookup answers.
 */
static const struct symref *index_find(const struct symidx *x, unsigned long long rel)
{
	size_t lo = 0, hi = x->n, i, first;

	while (lo < hi) {	/* the first symbol above rel */
		size_t mid = (lo + hi) / 2;

		if (x->v[mid].lo <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	for (first = lo - 1; first && x->v[first - 1].lo == x->v[lo - 1].lo; first--)
		;
	for (i = first; i < lo; i++)	/* one address: the global first */
		if (x->v[i].size && rel - x->v[i].lo < x->v[i].size)
			return &x->v[i];
	for (i = first; i < lo; i++)
		if (!x->v[i].size)
			return &x->v[i];
	return NULL;
}

static int resolve(struct pft_syms *s, unsigned long long addr, struct pft_sym *out)
{
	const struct symref *ref;
	struct symidx *x;
	const char *mname;
	Dwfl_Module *mod;
	Dwarf_Addr start;

	memset(out, 0, sizeof(*out));
	mod = dwfl_addrmodule(s->dwfl, addr);
	if (!mod)
		return -ENOENT;
	mname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (!file_offset(mod, addr, start, &out->dso_off))
		return -ENOENT;
	dso_name(out->dso, sizeof(out->dso), mname ?: "");
	x = index_of(mod, mname ?: "", start);
	ref = x ? index_find(x, addr - start) : NULL;
	if (ref) {
		snprintf(out->name, sizeof(out->name), "%s", ref->name);
		out->off = addr - start - ref->lo;
		out->known = true;
	} else if (at_entry(mod, addr, &out->off)) {
		snprintf(out->name, sizeof(out->name), "_start");
		out->known = true;
	}
	return 0;
}

int pft_syms_lookup(struct pft_syms *s, unsigned long long addr, struct pft_sym *out)
{
	struct cached c = { .addr = addr, .used = true }, *hit;

	hit = s->cap ? cache_slot(s, addr) : NULL;
	if (hit && hit->used) {
		*out = hit->sym;
		return hit->err;
	}
	c.err = resolve(s, addr, &c.sym);
	*out = c.sym;
	cache_add(s, &c);
	return c.err;
}

const char *pft_sym_format(const struct pft_sym *sym, char *buf, size_t len)
{
	if (sym->known)
		snprintf(buf, len, "%s+0x%llx (%s)", sym->name, sym->off, sym->dso);
	else if (sym->dso[0])
		snprintf(buf, len, "%s+0x%llx", sym->dso, sym->dso_off);
	else
		snprintf(buf, len, "[unknown]");
	return buf;
}

/* ---- unwinding: libdwfl's thread callbacks over one sample ---- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct pft_syms *s = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = s;
	return s->cur.tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct pft_syms *s = arg;

	(void)dwfl;
	*thread_argp = s;
	return tid == s->cur.tid;
}

/* A word of the stack copy; anything else is unknown (the unwind stops). */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct pft_syms *s = arg;

	(void)dwfl;
	if (addr < s->cur.sp || addr - s->cur.sp > s->cur.len ||
	    s->cur.len - (addr - s->cur.sp) < sizeof(*result))
		return false;
	memcpy(result, s->cur.stack + (addr - s->cur.sp), sizeof(*result));
	return true;
}

#if defined(__x86_64__)
/* DWARF's x86-64 registers 0..16 (rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp,
 * r8..r15, the return address: rip), as indices in struct pt_regs.
 */
static const int dwarf_from_ptregs[] = {
	10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16,
};
#define PT_REGS_SP 19
#define PT_REGS_PC 16
#elif defined(__aarch64__)
/* arm64's struct pt_regs starts as DWARF numbers them: x0..x30 (0..30),
 * sp (31); then pc, which DWARF has no number for. */
#define PT_REGS_SP 31
#define PT_REGS_PC 32
#endif

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
#if defined(__x86_64__)
	struct pft_syms *s = arg;
	Dwarf_Word r[17];
	size_t i;

	for (i = 0; i < 17; i++)
		r[i] = s->cur.regs[dwarf_from_ptregs[i]];
	return dwfl_thread_state_registers(thread, 0, 17, r);
#elif defined(__aarch64__)
	struct pft_syms *s = arg;

	dwfl_thread_state_register_pc(thread, s->cur.regs[PT_REGS_PC]);
	return dwfl_thread_state_registers(thread, 0, 32, (const Dwarf_Word *)s->cur.regs);
#else
	(void)thread, (void)arg;
	return false;
#endif
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

struct frames {
	unsigned long long *pcs;
	int n, max;
};

static int frame_cb(Dwfl_Frame *f, void *arg)
{
	struct frames *fr = arg;
	Dwarf_Addr pc;

	if (fr->n == fr->max || !dwfl_frame_pc(f, &pc, NULL))
		return DWARF_CB_ABORT;
	fr->pcs[fr->n++] = pc;
	return DWARF_CB_OK;
}

/* This program's own ELF, for the machine it runs on: opened once, kept. */
static Elf *self_elf(void)
{
	static Elf *self;
	int fd;

	if (self)
		return self;
	elf_version(EV_CURRENT);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	self = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!self)
		close(fd);
	return self;
}

int pft_syms_unwind(struct pft_syms *s, pid_t tid, const unsigned long long *regs,
		    const void *stack, size_t len, unsigned long long *pcs, int max)
{
	struct frames fr = { .pcs = pcs, .max = max };

#if !defined(__x86_64__) && !defined(__aarch64__)
	return -EINVAL;
#else
	if (!s->uw) {
		s->uw = dwfl_begin(&unwind_callbacks);
		if (!s->uw || copy_modules(s->uw, s->dwfl, false)) {
			dwfl_end(s->uw);
			s->uw = NULL;
			return -ENOMEM;
		}
	}
	if (!s->attached) {
		Elf *self = self_elf();

		/*
		 * The machine from our own ELF, not the process's first module
		 * (libdwfl's default): its backend keeps that Elf, and a refresh
		 * after an exec frees every module the process had.
		 */
		if (!self || !dwfl_attach_state(s->uw, self, s->pid, &thread_callbacks, s))
			return -EINVAL;
		s->attached = true;
	}
	s->cur = (struct sample){ .tid = tid, .regs = regs, .stack = stack,
				  .sp = regs[PT_REGS_SP], .len = len };
	/* 0: it ended; -1: it could not go on; either way, the frames so far */
	dwfl_getthread_frames(s->uw, tid, frame_cb, &fr);
	if (!fr.n && max) {	/* not even the first frame: the ip, as it is */
		pcs[0] = s->cur.regs[PT_REGS_PC];
		fr.n = 1;
	}
	return fr.n;
#endif
}

bool pft_syms_outermost(struct pft_syms *s, unsigned long long pc, bool innermost)
{
	Dwarf_Addr at = innermost ? pc : pc - 1, bias;
	Dwarf_Op ops_mem[3], *ops;
	Dwarf_Frame *frame;
	Dwfl_Module *mod;
	Dwarf_CFI *cfi;
	bool undefined;
	size_t nops;
	int ra;

	mod = dwfl_addrmodule(s->uw ? s->uw : s->dwfl, at);
	cfi = mod ? dwfl_module_eh_cfi(mod, &bias) : NULL;
	if (!cfi || dwarf_cfi_addrframe(cfi, at - bias, &frame))
		return false;
	ra = dwarf_frame_info(frame, NULL, NULL, NULL);
	undefined = !dwarf_frame_register(frame, ra, ops_mem, &ops, &nops) &&
		    !nops && ops == ops_mem;
	free(frame);
	return undefined;
}

void pft_syms_close(struct pft_syms *s)
{
	if (!s)
		return;
	dwfl_end(s->dwfl);	/* NULL is fine */
	dwfl_end(s->uw);
	cache_clear(s);
	if (s->pidfd >= 0)
		close(s->pidfd);
	free(s);
}
