/* SPDX-License-Identifier: GPL-2.0 */
/* pftest.h - helpers shared by pfprof's VM test programs. */
#ifndef PFPROF_PFTEST_H
#define PFPROF_PFTEST_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PF_MAX_LIST 4096

/* $PFPROF_ROOT (default /pfprof): where mp3.ko and bin/ live. */
const char *pf_root(void);

/* finit_module(mp3.ko, params); returns 0 or -errno. */
int pf_load(const char *params);
/* delete_module("mp3", O_NONBLOCK); returns 0 or -errno. */
int pf_unload(void);
/* Unload if loaded (retrying briefly on EBUSY/EAGAIN); true if gone. */
bool pf_ensure_unloaded(void);
/* Module refcount from /sys/module/mp3/refcnt, -1 if not loaded. */
long pf_refcnt(void);

/* One write() of @len bytes of @buf to /proc/mp3/status: 0 or -errno. */
int pf_write_status(const void *buf, size_t len);
/* "R <pid>\n" / "U <pid>\n"; 0 or -errno. */
int pf_reg(pid_t pid);
int pf_unreg(pid_t pid);
/* Read /proc/mp3/status into @pids; returns the count or -errno. */
int pf_list(pid_t *pids, int max);
/* Copy of /proc/mp3/status as text; NUL-terminated, static buffer. */
const char *pf_status_text(void);

/* A value from /proc/mp3/stats, or -1 if missing. */
long long pf_stat(const char *key);

/* Counters of a process from /proc/PID/stat (whole thread group). */
struct pf_procstat {
	unsigned long long min_flt, maj_flt;
	unsigned long long utime_ticks, stime_ticks;
	/* of its reaped children (cminflt cmajflt cutime cstime) */
	unsigned long long cmin_flt, cmaj_flt, cutime_ticks, cstime_ticks;
};
int pf_read_procstat(pid_t pid, struct pf_procstat *ps);
/* sum_exec_runtime of a thread group: sum of /proc/PID/task/ * /schedstat. */
long long pf_read_runtime_ns(pid_t pid);

/* Fork a child that waits on a pipe before running fn(arg) then exiting
 * with its return value; returns once the child is blocked on the pipe
 * (so its counters no longer move).  pf_release() lets it go.
 */
struct pf_child {
	pid_t pid;
	int go_fd;
};
int pf_spawn_held(struct pf_child *c, int (*fn)(void *), void *arg);
void pf_release(struct pf_child *c);
/* Wait (up to ~20 s) until @pid's main thread sleeps (state S): 0, or -errno. */
int pf_wait_blocked(pid_t pid);

/* A pf_spawn_held() body that waits until it is killed. */
int pf_sleeper(void *arg);

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
 * `syscall` instruction (0f 05) with rax = SYS_read (x86-64).
 */
bool pf_read_restarting(const void *ucp);

/* Sleep for @ms milliseconds. */
void pf_msleep(long ms);
/* CLOCK_MONOTONIC in ns. */
uint64_t pf_now_ns(void);

#endif
