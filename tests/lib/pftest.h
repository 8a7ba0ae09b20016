/* SPDX-License-Identifier: GPL-2.0 */
/* pftest.h - helpers shared by pfprof's test programs (and, through it, lib/). */
#ifndef PFPROF_PFTEST_H
#define PFPROF_PFTEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* the product library (lib/): module control, /proc readers, mp3ctl_write() */
#include "mp3ctl.h"
#include "mp3mod.h"
#include "procstat.h"

#define PF_MAX_LIST 4096

/* "R <pid>\n" / "U <pid>\n"; 0 or -errno. */
int pf_reg(pid_t pid);
int pf_unreg(pid_t pid);
/* Read /proc/mp3/status into @pids; returns the count or -errno. */
int pf_list(pid_t *pids, int max);
/* Copy of /proc/mp3/status as text; NUL-terminated, static buffer. */
const char *pf_status_text(void);

/* Fork a child that waits on a pipe before running fn(arg) then exiting
 * with its return value; returns once the child is blocked on the pipe
 * (so its counters no longer move).  pf_release() lets it go.
 */
struct pf_child {
	pid_t pid;
	int go_fd;
};
int pf_spawn_held(struct pf_child *c, int (*fn)(void *), void *arg);
/* The same, the child given PID @want by pf_fork_as() (0: any PID).  If
 * no child was made, c->pid is the -errno returned.
 */
int pf_spawn_held_as(struct pf_child *c, pid_t want, int (*fn)(void *), void *arg);
void pf_release(struct pf_child *c);
/* A pf_spawn_held() body that waits until it is killed. */
int pf_sleeper(void *arg);

/*
 * Fork a child that gets PID @want, to run fn(arg) and exit with its
 * return value: a test reuses the PID of a process that has gone, to see
 * that nothing still takes the newcomer for it.  The kernel hands out
 * ns_last_pid + 1 (writable by root on a CONFIG_CHECKPOINT_RESTORE
 * kernel); a fork elsewhere may take that PID first, so a child that got
 * another one exits at once, is reaped, and it is tried again (20 times).
 * Returns @want, or -errno (-EBUSY: never got it).
 */
pid_t pf_fork_as(pid_t want, int (*fn)(void *), void *arg);

/* In a child: drop to @uid/@gid with no supplementary groups, or _exit(99). */
void pf_become(uid_t uid, gid_t gid);
/* Run fn(arg) as @uid/@gid in a forked child; its exit code, or 98 if it
 * did not exit normally.
 */
int pf_as_user(uid_t uid, gid_t gid, int (*fn)(long), long arg);

/* SIGALRM to @fn (SA_SIGINFO | @flags, e.g. SA_RESTART), nothing blocked. */
void pf_on_sigalrm(void (*fn)(int, siginfo_t *, void *), int flags);
/* ITIMER_REAL: the first SIGALRM in @first_us, then every @every_us; 0, 0 stops it. */
void pf_itimer_us(long first_us, long every_us);
/*
 * In a SA_SIGINFO handler, from its @ucp: did the signal interrupt a read()
 * that the kernel will restart?  It rewinds the instruction pointer to the
 * `syscall` instruction (0f 05) with rax = SYS_read (x86-64), or to
 * `svc #0` with x8 = SYS_read (arm64).
 */
bool pf_read_restarting(const void *ucp);

#endif
