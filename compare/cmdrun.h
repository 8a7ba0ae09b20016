/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmdrun.h - `pfcompare run -- CMD`: the user's own command, held before
 * exec, registered with the module (with its descendant processes) and the
 * witness, released, reaped with wait4.  docs/compare.md, "Validating your
 * own program".
 */
#ifndef PFCOMPARE_CMDRUN_H
#define PFCOMPARE_CMDRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct cmd_opts {
	bool module;		/* use the module if it is (or can be) loaded */
	bool witness;		/* run the command under `pfwitness -c` */
	bool trace;		/* exit stop and exec counts (run, not bench) */
	bool quiet;		/* no progress lines, command output dropped */
	const char *witness_prog;
	double witness_interval;
};

/*
 * Can @file be run: 0, or 127 (not found, also in $PATH) or 126 (found,
 * not executable) with a message in @why, the exit status `run` uses.
 */
int cmd_findable(const char *file, char *why, size_t n);

/*
 * Words pfwitness -c can take (it splits on blanks, no shell): 0, or -1
 * with the offending argument named in @why.
 */
int cmd_words_ok(char *const argv[], char *why, size_t n);

/*
 * Is the mp3 module there (loading it from $PFPROF_ROOT if /proc/mp3 is
 * missing)?  true, or false with the reason in @why.
 */
bool cmd_module_ready(char *why, size_t n);

/*
 * Run @argv once into @r (procs[0] is the command; its truth is the wait4
 * rusage, which holds its reaped descendants).  @use_module: the module is
 * ready (cmd_module_ready) and wanted.  0, or -1 with a message on stderr.
 */
int cmd_collect(char *const argv[], const struct cmd_opts *o, bool use_module,
		struct record *r);

#endif
