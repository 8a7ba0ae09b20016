// SPDX-License-Identifier: GPL-2.0
/*
 * collect_test: host unit test of pfcompare's collect_run()
 * (compare/collect.c) failing part-way.  Linked with -Wl,--wrap so that
 * fork(), pipe2(), the witness's start and the module's loading and
 * mapping fail when a test says so.  After every run, passed or failed,
 * this process must hold exactly the file descriptors it held before (no
 * pipe left open, none of ours closed) and have no child left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "mp3buf.h"
#include "witness.h"
#include "lib/tap.h"

/* Which call of each wrapped function fails (1 = the first; 0 = none). */
static int fail_fork, fail_pipe2, fail_witness;
static int n_fork, n_pipe2;

pid_t __real_fork(void);
int __real_pipe2(int fd[2], int flags);

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

/* One collect_run of @pl; true if it returned @want_rc, left every
 * descriptor as it was and no child behind.
 */
static int run(const char *name, const struct plan *pl, const struct collect_opts *o,
	       int want_rc)
{
	unsigned char before[128], after[128];
	struct record r;
	int rc, diff, left;

	n_fork = n_pipe2 = 0;
	rec_init(&r);
	fd_set_now(before);
	rc = collect_run(pl, o, &r);
	fd_set_now(after);
	diff = fd_diff(before, after);
	left = waitpid(-1, NULL, WNOHANG | __WALL) >= 0;
	rec_free(&r);
	return tap_ok(rc == want_rc && !diff && !left,
		      "%s: returns %d (%d), %d descriptors differ, %s child left", name,
		      rc, want_rc, diff, left ? "a" : "no");
}

int main(void)
{
	struct collect_opts o = { false, false, false, "pfwitness", 0.01, true };
	struct plan pl;

	if (fcntl(0, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != 0)
		return 1;	/* fd 0 open, so that closing it shows */
	tap_plan(7);
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
	return tap_finish();
}
