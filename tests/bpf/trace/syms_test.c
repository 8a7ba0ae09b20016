// SPDX-License-Identifier: GPL-2.0
/*
 * syms_test - test of bpf/trace/syms.c (user-space symbols with libdwfl).
 *
 * Runs syms_target (a PIE linked with libsyms_lib.so), then its stripped
 * copy syms_target.stripped, each from a fresh directory next to this
 * binary, and resolves the addresses the target prints: a function of
 * the executable and of the library, a point inside each, a vDSO
 * function, a function of a library dlopen'ed later (after a refresh),
 * an address in no mapping, and every address of the executable's .text
 * twice (the second time from syms.c's cache).  Then it lets the target
 * exit, deletes its files, gives its PID to another process (root:
 * ns_last_pid), and resolves again with a handle opened while it ran
 * but not used until then.  Expected names are exact; expected file
 * offsets come from the unstripped files' .symtab (st_value - sh_addr +
 * sh_offset), read here with libelf; the vDSO function's from this
 * process's own vDSO, the same image.  TAP output; exit 1 on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>
#include "syms.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define PER_RUN 19
#define VDSO_FUNC "__vdso_clock_gettime"

/*
 * The file offset of @vaddr in @elf, or -1; and where its section
 * starts, relative to @vaddr, and its size (if @from).
 */
static long long vaddr_to_off(Elf *elf, GElf_Addr vaddr, long long *from, long long *len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) &&
		    sh.sh_type != SHT_NOBITS && vaddr >= sh.sh_addr &&
		    vaddr < sh.sh_addr + sh.sh_size) {
			if (from) {
				*from = (long long)sh.sh_addr - (long long)vaddr;
				*len = sh.sh_size;
			}
			return vaddr - sh.sh_addr + sh.sh_offset;
		}
	return -1;
}

/* @name's st_value in @elf's table of type @type, or -1. */
static long long sym_value(Elf *elf, Elf64_Word type, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;
	size_t i;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++)
			if (gelf_getsym(d, i, &sym) && sym.st_shndx != SHN_UNDEF &&
			    !strcmp(elf_strptr(elf, sh.sh_link, sym.st_name) ?: "", name))
				return sym.st_value;
	}
	return -1;
}

/*
 * @name's offset in the file @path, from its .symtab; -1 if none.  Its
 * section's start relative to it, and size, in @from and @len.
 */
static long long file_off(const char *path, const char *name, long long *from, long long *len)
{
	long long v, off = -1;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	v = elf ? sym_value(elf, SHT_SYMTAB, name) : -1;
	if (v >= 0)
		off = vaddr_to_off(elf, v, from, len);
	elf_end(elf);
	close(fd);
	return off;
}

/* VDSO_FUNC's offset from the vDSO's start, from our own vDSO; -1 if none. */
static long long vdso_func_off(void)
{
	GElf_Ehdr *eh = (GElf_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	long long v, off = -1;
	Elf *elf;

	if (!eh)
		return -1;
	elf = elf_memory((char *)eh, eh->e_shoff + eh->e_shnum * eh->e_shentsize);
	v = elf ? sym_value(elf, SHT_DYNSYM, VDSO_FUNC) : -1;
	if (v >= 0)
		off = vaddr_to_off(elf, v, NULL, NULL);
	elf_end(elf);
	return off;
}

static int copy(const char *from, const char *dir, const char *name)
{
	char to[PATH_MAX + 64], buf[65536];
	int in, out, ret = -1;
	ssize_t n;

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		ret = n ? -1 : 0;
		close(out);
	}
	close(in);
	return ret;
}

struct target {
	pid_t pid;
	int cmd;	/* its stdin */
	FILE *out;	/* its stdout */
	unsigned long long exe, exe_ra, lib, lib_ra, vdso;
};

static int spawn(struct target *tg, const char *path)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	tg->pid = fork();
	if (tg->pid < 0)
		return -1;
	if (!tg->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	tg->cmd = in[1];
	tg->out = fdopen(out[0], "r");
	return tg->out && fscanf(tg->out, " exe=%llx exe_ra=%llx lib=%llx lib_ra=%llx vdso=%llx",
				 &tg->exe, &tg->exe_ra, &tg->lib, &tg->lib_ra, &tg->vdso) == 5 ? 0 : -1;
}

/* Resolve @addr: its lookup's result, and its formatted name in @buf. */
static int resolve(struct pft_syms *s, unsigned long long addr, struct pft_sym *sym,
		   char *buf, size_t len)
{
	int err = s ? pft_syms_lookup(s, addr, sym) : -EBADF;

	if (!s)
		memset(sym, 0, sizeof(*sym));
	pft_sym_format(sym, buf, len);
	return err;
}

/* Expect @addr to show as @want, with file offset @dso_off (if >= 0). */
static void expect(struct pft_syms *s, unsigned long long addr, const char *want,
		   long long dso_off, const char *what)
{
	struct pft_sym sym;
	char got[320];
	int err = resolve(s, addr, &sym, got, sizeof(got));

	tap_ok(!err && !strcmp(got, want) && (dso_off < 0 || sym.dso_off == (unsigned long long)dso_off),
	       "%s: %s", what, want);
	if (err || strcmp(got, want) || (dso_off >= 0 && sym.dso_off != (unsigned long long)dso_off))
		tap_diag("got \"%s\" (err %d, dso_off 0x%llx), want \"%s\" (dso_off 0x%llx)",
			 got, err, sym.dso_off, want, dso_off < 0 ? sym.dso_off : (unsigned long long)dso_off);
}

struct want {
	const char *prog;	/* basename of the executable */
	bool stripped;
	long long exe_off, lib_off, vdso_off;
	long long text_from, text_len;	/* the executable's .text, from exe */
};

/* The executable's function, @delta bytes in: as named or, stripped, as offset. */
static void expect_exe(struct pft_syms *s, const struct target *tg, const struct want *w,
		       unsigned long long delta, const char *what)
{
	char want[256];

	if (w->stripped)
		snprintf(want, sizeof(want), "%s+0x%llx", w->prog, w->exe_off + delta);
	else
		snprintf(want, sizeof(want), "syms_target_func+0x%llx (%s)", delta, w->prog);
	expect(s, tg->exe + delta, want, w->exe_off + delta, what);
}

static void expect_lib(struct pft_syms *s, const struct target *tg, const struct want *w,
		       unsigned long long delta, const char *what)
{
	char want[256];

	snprintf(want, sizeof(want), "syms_lib_func+0x%llx (libsyms_lib.so)", delta);
	expect(s, tg->lib + delta, want, w->lib_off + delta, what);
}

static void expect_vdso(struct pft_syms *s, const struct target *tg, const struct want *w,
			const char *what)
{
	if (w->vdso_off < 0) {
		tap_ok(0, "%s: no %s in this process's vDSO to compare with", what, VDSO_FUNC);
		return;
	}
	expect(s, tg->vdso + w->vdso_off, VDSO_FUNC "+0x0 ([vdso])", w->vdso_off, what);
}

/*
 * Every address of the executable's .text, twice: the lookups' cache
 * grows on the way, and answers the second time.  Each has its file
 * offset, and the two answers are the same.
 */
static void expect_cached(struct pft_syms *s, const struct target *tg, const struct want *w)
{
	struct pft_sym *first = calloc(w->text_len, sizeof(*first)), sym;
	unsigned long long a;
	int wrong = 0, pass;
	long long i;

	for (pass = 0; pass < 2 && s && first; pass++)
		for (i = 0; i < w->text_len; i++) {
			a = tg->exe + w->text_from + i;
			if (pft_syms_lookup(s, a, &sym) ||
			    sym.dso_off != (unsigned long long)(w->exe_off + w->text_from + i))
				wrong++;
			else if (!pass)
				first[i] = sym;
			else if (strcmp(sym.name, first[i].name) || strcmp(sym.dso, first[i].dso) ||
				 sym.off != first[i].off || sym.known != first[i].known)
				wrong++;
		}
	tap_ok(s && first && !wrong, "%lld addresses across the executable's .text, twice "
	       "(the second time cached): %d answers wrong", w->text_len, wrong);
	free(first);
}

static void run(const char *bindir, const struct want *w)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], got[320];
	static const char *const files[] = { "libsyms_lib.so", "libsyms_dl.so" };
	struct pft_syms *s = NULL, *s2 = NULL, *s3;
	struct target tg = { .pid = -1, .cmd = -1 };
	unsigned long long dl = 0;
	struct pft_sym sym;
	pid_t reuse;
	size_t i;
	int err, status;

	tap_diag("%s", w->prog);
	snprintf(dir, sizeof(dir), "%s/syms_run.XXXXXX", bindir);
	err = !mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/%s", bindir, w->prog);
	err = err || copy(path, dir, w->prog);
	for (i = 0; i < sizeof(files) / sizeof(*files) && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s", bindir, files[i]);
		err = copy(path, dir, files[i]);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, w->prog);
	err = err || spawn(&tg, path);
	tap_ok(!err, "%s runs and prints its addresses", w->prog);
	if (!err) {
		s = pft_syms_open(tg.pid);
		err = errno;
		s2 = pft_syms_open(tg.pid);	/* first used once it has gone */
	}
	tap_ok(s && s2, "pft_syms_open while it runs%s%s", s ? "" : ": ", s ? "" : strerror(err));

	expect_exe(s, &tg, w, 0, "the executable's function");
	expect_exe(s, &tg, w, tg.exe_ra - tg.exe, "a point inside it");
	expect_lib(s, &tg, w, 0, "the library's function");
	expect_lib(s, &tg, w, tg.lib_ra - tg.lib, "a point inside it");
	expect_vdso(s, &tg, w, "a vDSO function");
	err = resolve(s, 1, &sym, got, sizeof(got));
	tap_ok(err == -ENOENT && !strcmp(got, "[unknown]"), "an address in no mapping: -ENOENT, %s", got);
	expect_cached(s, &tg, w);

	if (tg.out && write(tg.cmd, "d", 1) == 1 && fscanf(tg.out, " dl=%llx", &dl) != 1)
		dl = 0;
	err = resolve(s, dl, &sym, got, sizeof(got));
	tap_ok(dl && err == -ENOENT, "a library dlopen'ed since: not known before a refresh (%s)", got);
	err = s ? pft_syms_refresh(s) : -EBADF;
	tap_ok(!err, "pft_syms_refresh while it runs (%d)", err);
	expect(s, dl, "syms_dl_func+0x0 (libsyms_dl.so)", -1, "after it, the dlopen'ed library");

	/* let it exit, reap it, and delete its files */
	if (tg.pid > 0) {
		close(tg.cmd);
		if (tg.out)
			fclose(tg.out);
		if (waitpid(tg.pid, &status, 0) != tg.pid)
			kill(tg.pid, SIGKILL);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, w->prog);
	unlink(path);
	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);

	s3 = pft_syms_open(tg.pid);
	err = errno;
	tap_ok(!s3, "pft_syms_open once it has exited: fails (%s)", s3 ? "opened" : strerror(err));
	pft_syms_close(s3);
	err = s ? pft_syms_refresh(s) : -EBADF;
	tap_ok(err < 0, "pft_syms_refresh once it has exited: fails (%s)", strerror(-err));
	expect_lib(s, &tg, w, 0, "and keeps the old view: the library's function");
	reuse = tg.pid > 0 ? pf_fork_as(tg.pid, pf_sleeper, NULL) : -1;
	if (reuse > 0) {
		err = s ? pft_syms_refresh(s) : -EBADF;
		resolve(s, tg.lib, &sym, got, sizeof(got));
		tap_ok(err == -ESRCH && !strncmp(got, "syms_lib_func+0x0 ", 18),
		       "its PID given to another process: refresh fails (%s), keeps %s",
		       strerror(-err), got);
		kill(reuse, SIGKILL);
		waitpid(reuse, NULL, 0);
	} else {
		tap_skip("its PID given to another process", "could not (root: ns_last_pid)");
	}
	/* s2: nothing looked up until now, and the files are deleted */
	expect_exe(s2, &tg, w, tg.exe_ra - tg.exe, "exited, files deleted: inside the executable's");
	expect_lib(s2, &tg, w, tg.lib_ra - tg.lib, "exited, files deleted: inside the library's");
	expect_vdso(s2, &tg, w, "exited: the vDSO function");
	pft_syms_close(s);
	pft_syms_close(s2);
}

int main(void)
{
	char self[PATH_MAX], path[PATH_MAX + 64], *bindir;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct want w = { .prog = "syms_target" };
	long long from, len;

	signal(SIGPIPE, SIG_IGN);	/* a target that died: EPIPE, not death */
	tap_plan(2 * PER_RUN);
	if (n < 0 || elf_version(EV_CURRENT) == EV_NONE)
		tap_bail("no /proc/self/exe or libelf");
	self[n] = '\0';
	bindir = dirname(self);
	snprintf(path, sizeof(path), "%s/syms_target", bindir);
	w.exe_off = file_off(path, "syms_target_func", &w.text_from, &w.text_len);
	snprintf(path, sizeof(path), "%s/libsyms_lib.so", bindir);
	w.lib_off = file_off(path, "syms_lib_func", &from, &len);
	w.vdso_off = vdso_func_off();
	tap_diag("file offsets: syms_target_func 0x%llx, syms_lib_func 0x%llx, %s 0x%llx",
		 w.exe_off, w.lib_off, VDSO_FUNC, w.vdso_off);
	if (w.exe_off < 0 || w.lib_off < 0)
		tap_bail("no syms_target_func or syms_lib_func in the built files");
	run(bindir, &w);
	w.prog = "syms_target.stripped";
	w.stripped = true;
	run(bindir, &w);
	return tap_finish();
}
