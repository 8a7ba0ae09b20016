// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli.c - see cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

bool pfw_verbose, pfw_libbpf_quiet;
volatile sig_atomic_t pfw_exiting;

bool pfw_parse_pid(const char *arg, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v <= 0 || v > 4194304)
		return false;
	*pid = v;
	return true;
}

bool pfw_parse_interval(const char *arg, double *secs)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !(v >= 0.01) || v > 3600)
		return false;
	*secs = v;
	return true;
}

bool pfw_parse_count(const char *arg, long *count)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || v <= 0)
		return false;
	*count = v;
	return true;
}

int pfw_libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	if ((level == LIBBPF_DEBUG || pfw_libbpf_quiet) && !pfw_verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

void pfw_load_error(const char *tool, int err)
{
	/* EACCES is also the verifier's refusal; only then is it privilege */
	if (err == -EPERM || (err == -EACCES && geteuid()))
		fprintf(stderr, "%s: cannot load BPF programs: %s; run as root "
			"(needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)\n", tool, strerror(-err));
	else
		fprintf(stderr, "%s: cannot load BPF programs: %s (-v for the verifier log)\n",
			tool, strerror(-err));
}

static void on_signal(int sig)
{
	(void)sig;
	pfw_exiting = 1;
}

void pfw_catch_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}
