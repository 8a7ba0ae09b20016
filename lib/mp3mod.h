/* SPDX-License-Identifier: GPL-2.0 */
/* mp3mod.h - load and unload mp3.ko and read its /proc/mp3/stats. */
#ifndef PFPROF_MP3MOD_H
#define PFPROF_MP3MOD_H

#include <stdbool.h>

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

/* A value from /proc/mp3/stats, or -1 if missing. */
long long pf_stat(const char *key);

#endif
