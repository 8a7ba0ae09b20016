/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * syms.h - user-space addresses to symbols, shared by the pfprof BPF
 * tools, with elfutils' libdwfl.  One handle is one process's address
 * space as it was when read: the executable, its shared libraries and
 * the vDSO, each with its ELF file (and separate debuginfo, found by
 * build-id or .gnu_debuglink under /usr/lib/debug, when present).
 *
 * Everything is opened when the maps are read, so a handle opened while
 * the process lived still resolves after it has exited, even if its
 * files have since been deleted.  Files are opened by the paths in the
 * maps, as this process sees them (not through the target's mount
 * namespace).  With DEBUGINFOD_URLS set, libdw may download debuginfo
 * for objects that have none locally (at open).  Not thread-safe: one
 * thread per handle.
 *
 * Link: -ldw -lelf; static: -static -ldw -lelf -lz -llzma -lbz2 -lzstd
 * -lpthread -ldl.  ld then warns about dlopen: libdw dlopens
 * libdebuginfod.so.1 for an object with no local debuginfo, which from
 * a static binary works only with the glibc it was linked with; where
 * the library is absent or unusable, the dlopen fails and nothing else.
 */
#ifndef __PFW_SYMS_H
#define __PFW_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pft_syms;

/*
 * Read /proc/@pid/maps and open every mapped ELF object now.  NULL with
 * errno set on failure: ENOENT (no such process), ESRCH (nothing
 * mapped: a zombie, a kernel thread), EACCES, ENOMEM, ...
 */
struct pft_syms *pft_syms_open(pid_t pid);

/*
 * Read the maps again (objects mapped since, e.g. by dlopen; objects
 * unmapped since are kept unless another now lies where they were, so
 * that an address taken before a dlclose, or while the process was
 * exiting, still resolves).  Objects still mapped where they were keep
 * their open files.  0, or -errno (as pft_syms_open) with the old
 * view kept intact: what to expect once the process has gone, also when
 * its PID has been given to another process since (a pidfd says so).
 */
int pft_syms_refresh(struct pft_syms *s);

/* True once the process has been reaped (its pidfd says so; false without one). */
bool pft_syms_gone(const struct pft_syms *s);

/* How many objects @s holds: a refresh that changed it found new ones. */
int pft_syms_modules(struct pft_syms *s);

struct pft_sym {
	char name[128];			/* symbol, truncated; "" unless known */
	char dso[128];			/* object's basename, "[vdso]"; "" if none */
	unsigned long long off;		/* addr - symbol start, if known */
	unsigned long long dso_off;	/* file offset of addr, as perf shows it */
	bool known;			/* a symbol covers addr */
};

/*
 * Resolve @addr: 0, with @out->known false if no symbol covers it (a
 * stripped object: then only dso and dso_off mean anything), or -ENOENT
 * if no mapped object holds @addr (anonymous memory, JIT code, or mapped
 * after the last refresh); @out is then zeroed.  For a return address
 * taken from a stack (every frame but the innermost), pass addr - 1 to
 * name the calling function even when the call is its last instruction.
 * Answers are cached in @s (up to 64k addresses, ~300 bytes each; a
 * refresh drops them): libdwfl scans a whole symbol table per address.
 */
int pft_syms_lookup(struct pft_syms *s, unsigned long long addr, struct pft_sym *out);

/*
 * "func+0x1a (libfoo.so.1)"; without a symbol "libfoo.so.1+0x1f2a" (the
 * file offset); without an object "[unknown]".  Returns @buf.
 */
const char *pft_sym_format(const struct pft_sym *sym, char *buf, size_t len);

/*
 * Unwind a thread's user stack with the call-frame information of the
 * objects mapped (.eh_frame, .debug_frame; libdw falls back to frame
 * pointers where an object has none), as perf --call-graph dwarf does:
 * from @regs, the thread's registers as the kernel saved them on entry
 * (x86-64: struct pt_regs, PFW_UNWIND_NREGS words), and @len bytes of its
 * stack copied from the stack pointer up.  Stores at most @max program
 * counters in @pcs, the innermost (regs' ip) first; every other is a
 * return address.  Returns how many, or -errno (EINVAL: registers of
 * another architecture).  *@ended is true when the unwinder stopped
 * because the outermost frame's CFI says it has no caller (_start, a
 * thread's clone), not for want of stack, CFI or room.
 */
#define PFW_UNWIND_NREGS 21
int pft_syms_unwind(struct pft_syms *s, pid_t tid, const unsigned long long *regs,
		    const void *stack, size_t len, unsigned long long *pcs, int max);

/*
 * True if the call-frame information of the code at @pc says its frame
 * has no caller (its return address is "undefined"), as glibc marks
 * _start and clone3: the end of a whole stack.  @pc is a return address
 * unless @innermost.  libdw's unwinder also ends, as if there, where it
 * cannot read a return address, so its end alone does not tell.
 */
bool pft_syms_outermost(struct pft_syms *s, unsigned long long pc, bool innermost);

/* Close the files and free @s; NULL is allowed. */
void pft_syms_close(struct pft_syms *s);

#endif
