// SPDX-License-Identifier: GPL-2.0
/*
 * collect_test: host unit test of pfcompare's two collectors failing
 * part-way: collect_run() (compare/collect.c, the scenarios) and
 * cmd_collect() (compare/cmdrun.c, `run -- CMD`).  Linked with
 * -Wl,--wrap so that fork(), pipe2(), ptrace(PTRACE_SEIZE), the witness's
 * start and the module's loading and mapping fail when a test says so
 * (the witness's other functions are stubs: no pfwitness runs).  After
 * every run, passed or failed, this process must hold exactly the file
 * descriptors it held before (no pipe left open, none of ours closed) and
 * have no child left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdrun.h"
#include "collect.h"
#include "mp3buf.h"
#include "witness.h"
#include "lib/tap.h"

/* Which call of each wrapped function fails (1 = the first; 0 = none). */
static int fail_fork, fail_pipe2, fail_witness, fail_seize;
static int n_fork, n_pipe2;

pid_t __real_fork(void);
int __real_pipe2(int fd[2], int flags);
long __real_ptrace(enum __ptrace_request req, ...);

pid_t __wrap_fork(void)
{
	if (++n_fork == fail_fork) {
		errno = EAGAIN;
		return -1;
	}
	return __real_fork();
}

int __wrap_pipe2(int fd[2], int flags)
{
	if (++n_pipe2 == fail_pipe2) {
		errno = EMFILE;
		return -1;
	}
	return __real_pipe2(fd, flags);
}

long __wrap_ptrace(enum __ptrace_request req, ...)
{
	va_list ap;
	pid_t pid;
	void *addr, *data;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (req == PTRACE_SEIZE && fail_seize) {
		errno = EPERM;
		return -1;
	}
	return __real_ptrace(req, pid, addr, data);
}

int __wrap_witness_start(struct witness *w, const char *prog, const pid_t *pids, int n,
			 double interval)
{
	(void)w, (void)prog, (void)pids, (void)n, (void)interval;
	if (fail_witness)
		return -1;
	return 0;
}

int __wrap_witness_stop(struct witness *w, struct record *r)
{
	(void)w, (void)r;
	return 0;
}

void __wrap_witness_files(struct witness *w)
{
	memset(w, 0, sizeof(*w));	/* no files: a witness child exits 126 */
}

int __wrap_witness_parse(struct witness *w, struct record *r, bool tree)
{
	(void)w, (void)r, (void)tree;
	return 0;
}

void __wrap_witness_cleanup(struct witness *w)
{
	(void)w;
}

/* The module: never loaded, never mapped, on this host. */
int __wrap_pf_load(const char *params)
{
	(void)params;
	return -ENOENT;
}

int __wrap_mp3buf_open(struct mp3buf *b, const char *path, bool writable)
{
	(void)path, (void)writable;
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	return -ENOENT;
}

/* This process's open descriptors, as a bit set of fds 0..1023. */
static void fd_set_now(unsigned char set[128])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd;

	memset(set, 0, 128);
	while (d && (e = readdir(d))) {
		fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd != dirfd(d) && fd < 1024)
			set[fd / 8] |= 1 << (fd % 8);
	}
	if (d)
		closedir(d);
}

/* Descriptors open before and not after, or after and not before. */
static int fd_diff(const unsigned char a[128], const unsigned char b[128])
{
	int i, n = 0;

	for (i = 0; i < 1024; i++)
		if ((a[i / 8] ^ b[i / 8]) & (1 << (i % 8))) {
			tap_diag("fd %d %s", i, a[i / 8] & (1 << (i % 8)) ? "closed" : "left open");
			n++;
		}
	return n;
}

/* A plan of @n processes running `true`. */
static void plan_true(struct plan *pl, int n)
{
	int i;

	memset(pl, 0, sizeof(*pl));
	pl->nprocs = n;
	for (i = 0; i < n; i++)
		snprintf(pl->cmd[i], sizeof(pl->cmd[i]), "true");
}

/* The descriptors and children before and after @rc's run: a result line. */
static void judge(const char *name, const unsigned char before[128], int rc, int want_rc)
{
	unsigned char after[128];
	int diff, left;

	fd_set_now(after);
	diff = fd_diff(before, after);
	left = waitpid(-1, NULL, WNOHANG | __WALL) >= 0;
	tap_ok(rc == want_rc && !diff && !left,
	       "%s: returns %d (%d), %d descriptors differ, %s child left", name,
	       rc, want_rc, diff, left ? "a" : "no");
}

/* One collect_run of @pl, wanting @want_rc. */
static void run(const char *name, const struct plan *pl, const struct collect_opts *o,
		int want_rc)
{
	unsigned char before[128];
	struct record r;
	int rc;

	n_fork = n_pipe2 = 0;
	rec_init(&r);
	fd_set_now(before);
	rc = collect_run(pl, o, &r);
	judge(name, before, rc, want_rc);
	rec_free(&r);
}

/* One cmd_collect of `true`, wanting @want_rc. */
static void run_cmd(const char *name, const struct cmd_opts *o, int want_rc)
{
	char *argv[] = { "true", NULL };
	unsigned char before[128];
	struct record r;
	int rc;

	n_fork = n_pipe2 = 0;
	rec_init(&r);
	fd_set_now(before);
	rc = cmd_collect(argv, o, false, &r);
	judge(name, before, rc, want_rc);
	rec_free(&r);
}

int main(void)
{
	struct collect_opts o = { false, false, false, "pfwitness", 0.01, true };
	struct cmd_opts co = { false, false, true, true, "pfwitness", 0.01 };
	struct plan pl;

	if (fcntl(0, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != 0)
		return 1;	/* fd 0 open, so that closing it shows */
	tap_plan(12);
	plan_true(&pl, 3);
	run("3 processes, nothing fails", &pl, &o, 0);

	fail_fork = 2;
	run("fork fails for the 2nd process", &pl, &o, -1);
	fail_fork = 1;
	run("fork fails for the 1st process", &pl, &o, -1);
	fail_fork = 0;

	fail_pipe2 = 3;
	run("the 1st process's 3rd pipe fails", &pl, &o, -1);
	fail_pipe2 = 5;
	run("the 2nd process's 2nd pipe fails", &pl, &o, -1);
	fail_pipe2 = 0;

	o.witness = true;
	fail_witness = 1;
	run("the witness fails to start, every process held", &pl, &o, -1);
	o.witness = false;
	fail_witness = 0;

	o.module = true;
	run("the module cannot be mapped", &pl, &o, -1);

	run_cmd("run -- true, nothing fails", &co, 0);
	fail_fork = 1;
	run_cmd("run -- true: fork fails", &co, -1);
	fail_fork = 0;
	fail_pipe2 = 1;
	run_cmd("run -- true: pipe2 fails", &co, -1);
	fail_pipe2 = 0;
	fail_seize = 1;
	run_cmd("run -- true: the command cannot be seized", &co, -1);
	co.witness = true;
	run_cmd("run -- true: the witness cannot be seized", &co, -1);
	co.witness = false;
	fail_seize = 0;
	return tap_finish();
}
