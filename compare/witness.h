/* SPDX-License-Identifier: GPL-2.0 */
/*
 * witness.h - run the eBPF witness (bpf/pfwitness, docs/witness.md) as a
 * child process on a set of PIDs and read its CSV series and totals.
 */
#ifndef PFCOMPARE_WITNESS_H
#define PFCOMPARE_WITNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "record.h"

struct witness {
	pid_t pid;
	char out[64], err[64];	/* temporary files: CSV stdout, stderr */
	bool said;		/* its "unavailable on this kernel" lines passed on */
};

/*
 * Start `pfwitness --csv -p PID... INTERVAL` and wait until its targets
 * are in its maps (its first interval is out).  0 or -1 with a message.
 */
int witness_start(struct witness *w, const char *prog, const pid_t *pids, int n,
		  double interval);
/* SIGINT it, wait, parse into @r (buckets, per-pid totals, programs),
 * remove its files.  0, or -1 with a message (no output).
 */
int witness_stop(struct witness *w, struct record *r);
/*
 * Parse a finished witness's files into @r: the CSV by its header's column
 * names; with @tree every `total` row is added to procs[0] (pfwitness -c
 * follows the command's descendants).  0, or -1 with a message.
 */
int witness_parse(struct witness *w, struct record *r, bool tree);
/* Remove its temporary files. */
void witness_cleanup(struct witness *w);
/* Name the temporary files (pfcompare's pid); the caller runs pfwitness. */
void witness_files(struct witness *w);

#endif
