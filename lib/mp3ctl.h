/* SPDX-License-Identifier: GPL-2.0 */
/* mp3ctl.h - register and unregister processes through /proc/mp3/status. */
#ifndef PFPROF_MP3CTL_H
#define PFPROF_MP3CTL_H

#include <stddef.h>
#include <sys/types.h>

#define MP3_STATUS_PATH "/proc/mp3/status"

/*
 * One write() of @len bytes of @buf to /proc/mp3/status.  Returns 0, the
 * module's -errno, -EIO for a short write, or open()'s -errno (-ENOENT:
 * the module is not loaded).
 */
int mp3ctl_write(const void *buf, size_t len);

/*
 * Write "<cmd> <pid>\n" (cmd 'R' or 'U') to /proc/mp3/status in one
 * write().  Returns 0 or -errno, as mp3ctl_write().
 */
int mp3ctl(char cmd, pid_t pid);

#endif
