/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli.h - what the command lines of the pfprof BPF tools share: argument
 * parsing with the same limits and messages, libbpf's logging, load
 * errors, and Ctrl-C.
 */
#ifndef __PFW_CLI_H
#define __PFW_CLI_H

#include <argp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <bpf/libbpf.h>

/* Each parses @arg; false if it is not valid (the caller says so). */
bool pfb_parse_pid(const char *arg, pid_t *pid);		/* 1..4194304 */
bool pfb_parse_interval(const char *arg, double *secs);	/* 0.01..3600 */
bool pfb_parse_count(const char *arg, long *count);		/* >= 1 */

/* What a tool traces: -p PID (repeatable) or -c CMD; neither: every process. */
#define PFB_MAX_PIDS 64
struct pfb_targets {
	pid_t pids[PFB_MAX_PIDS];
	int npids;
	char *cmd;
};

/*
 * The options both tools take, one copy: -p PID (at most PFB_MAX_PIDS),
 * -c CMD and -v (pfb_verbose), into @t; argp_error() on a bad value.
 * False if @key is none of them.  Each tool keeps them in its own option
 * table, with its own words in --help.
 */
bool pfb_parse_target(struct pfb_targets *t, int key, char *arg, struct argp_state *state);

/* -v: libbpf's debug output; quiet: none while a load is tried that the
 * tool retries without a program by design.  Warnings are shown otherwise,
 * but for libbpf's "ulimit -l"/RLIMIT_MEMLOCK hint where memlock cannot be
 * the cause (Linux 5.11+, or root: libbpf raises the limit itself).
 */
extern bool pfb_verbose, pfb_libbpf_quiet;
int pfb_libbpf_print(enum libbpf_print_level level, const char *format, va_list args);

/*
 * Whether this process has what loading tracing programs takes: CAP_BPF
 * and CAP_PERFMON, or CAP_SYS_ADMIN (root has all three).
 */
bool pfb_privileged(void);
/* "@tool: not privileged ...": which capabilities; @err: the refusal. */
void pfb_privilege_error(const char *tool, int err);
/* strerror(), and a name for the kernel's ENOTSUPP (524); @err: +-errno. */
const char *pfb_errname(int err);
/*
 * Say why @tool could not load its programs (@err: -errno): no privilege
 * (pfb_privileged()), a refusal although privileged, or the verifier.
 */
void pfb_load_error(const char *tool, int err);

/* Set by SIGINT and SIGTERM once pfb_catch_signals() ran. */
extern volatile sig_atomic_t pfb_exiting;
void pfb_catch_signals(void);

#endif
