/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * targets.h - what a pfprof BPF tool traces, shared by the tools: a
 * command started held before exec (-c), the threads of a process (-p),
 * and making every CPU switch so that per-switch counts are current.
 */
#ifndef __PFW_TARGETS_H
#define __PFW_TARGETS_H

#include <stdbool.h>
#include <sys/types.h>

/* A command split on blanks (no shell); argv is NULL-terminated. */
struct pfb_cmd {
	char **argv;
	int argc;
};

/* Split @line (modified in place); 0, -EINVAL (no words) or -ENOMEM. */
int pfb_cmd_split(struct pfb_cmd *cmd, char *line);
void pfb_cmd_free(struct pfb_cmd *cmd);

/* A child forked and held before its exec until pfb_held_release(). */
struct pfb_held {
	pid_t pid;
	int go_fd;	/* a byte releases it */
	int err_fd;	/* carries exec's errno if exec fails */
	int pidfd;	/* readable once it exits; -1 before 5.3 (no pidfd_open) */
};

/* Fork @cmd held; its stdout goes to stderr if @stdout_to_stderr. */
int pfb_held_spawn(struct pfb_held *h, const struct pfb_cmd *cmd, bool stdout_to_stderr);
/* Let it exec; 0, or the errno with which exec failed. */
int pfb_held_release(struct pfb_held *h);
/*
 * Wait up to @ms for it to exit (it is not reaped); true if it has.  A
 * signal ends the wait early.  Without a pidfd it just sleeps.
 */
bool pfb_held_wait(const struct pfb_held *h, int ms);
/* Close what pfb_held_spawn() left open; after the child is reaped. */
void pfb_held_close(struct pfb_held *h);

/*
 * The -p targets, to end a run when all of them have exited: a pidfd each
 * (readable once the process has exited, reaped or not), or where
 * pidfd_open is missing (before 5.3) kill(pid, 0) and /proc's state,
 * polled every 50 ms (a PID reused in between goes unnoticed there).
 */
#define PFB_WATCH_MAX 64
struct pfb_watch {
	int n, left;			/* targets, and those still running */
	pid_t pids[PFB_WATCH_MAX];
	int fds[PFB_WATCH_MAX];		/* -1: gone, or no pidfd */
	bool gone[PFB_WATCH_MAX];
};

/* Watch @pids (at most PFB_WATCH_MAX; one that is gone already counts as exited). */
void pfb_watch_open(struct pfb_watch *w, const pid_t *pids, int n);
/*
 * Wait up to @ms for every target to have exited; true if they all have.
 * A signal ends the wait early.
 */
bool pfb_watch_wait(struct pfb_watch *w, int ms);
void pfb_watch_close(struct pfb_watch *w);

/* The thread ids of process @pid from /proc; count, or -errno. */
int pfb_threads(pid_t pid, pid_t *tids, int max);

/*
 * Make every online CPU switch tasks once: the caller runs on each in
 * turn (SCHED_FIFO where allowed, so it preempts at once).  Then, still
 * at that priority, it calls @then(@arg) if given, so that whatever the
 * caller stamps there is not delayed behind other tasks.  When it
 * returns, every task that was running when it was called has been
 * switched out at least once.
 */
void pfb_kick_cpus(void (*then)(void *arg), void *arg);

struct bpf_program;

/*
 * Run a loaded iter/task program once over every task (the "seed" pass
 * that gives -p targets their task storage, targets.bpf.h); 0 or -errno.
 */
int pfb_seed_iter(struct bpf_program *prog);

#endif
