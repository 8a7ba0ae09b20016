/* SPDX-License-Identifier: GPL-2.0 */
/* procstat.h - a process's counters from /proc, and small time helpers. */
#ifndef PFPROF_PROCSTAT_H
#define PFPROF_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

/* Counters of a process from /proc/PID/stat (whole thread group). */
struct pf_procstat {
	unsigned long long min_flt, maj_flt;
	unsigned long long utime_ticks, stime_ticks;
	/* of its reaped children (cminflt cmajflt cutime cstime) */
	unsigned long long cmin_flt, cmaj_flt, cutime_ticks, cstime_ticks;
};
/* 0, or -errno (-EIO an empty read, -EPROTO no ")" after comm). */
int pf_read_procstat(pid_t pid, struct pf_procstat *ps);
/* sum_exec_runtime of a thread group: sum of /proc/PID/task/ * /schedstat; or -errno. */
long long pf_read_runtime_ns(pid_t pid);
/* Wait (up to ~20 s) until @pid's main thread sleeps (state S): 0, or -errno. */
int pf_wait_blocked(pid_t pid);

/* Sleep for @ms milliseconds. */
void pf_msleep(long ms);
/* CLOCK_MONOTONIC in ns. */
uint64_t pf_now_ns(void);

#endif
