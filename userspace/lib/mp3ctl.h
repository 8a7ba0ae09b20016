/* SPDX-License-Identifier: GPL-2.0 */
/* mp3ctl.h - register and unregister processes through /proc/mp3/status. */
#ifndef PFPROF_MP3CTL_H
#define PFPROF_MP3CTL_H

#include <sys/types.h>

#define MP3_STATUS_PATH "/proc/mp3/status"

/*
 * Write "<cmd> <pid>" (cmd 'R' or 'U') to /proc/mp3/status in one write().
 * Returns 0 or -errno.
 */
int mp3ctl(char cmd, pid_t pid);

#endif
