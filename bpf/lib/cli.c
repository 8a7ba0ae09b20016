// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli.c - see cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include "cli.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's own, not in the UAPI */
#endif

bool pfb_verbose, pfb_libbpf_quiet;
volatile sig_atomic_t pfb_exiting;

bool pfb_parse_pid(const char *arg, pid_t *pid)
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

bool pfb_parse_interval(const char *arg, double *secs)
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

bool pfb_parse_count(const char *arg, long *count)
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

bool pfb_parse_target(struct pfb_targets *t, int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		if (t->npids == PFB_MAX_PIDS)
			argp_error(state, "at most %d -p options", PFB_MAX_PIDS);
		if (!pfb_parse_pid(arg, &t->pids[t->npids]))
			argp_error(state, "invalid PID: %s", arg);
		t->npids++;
		return true;
	case 'c':
		if (!*arg)
			argp_error(state, "-c needs a command");
		t->cmd = arg;
		return true;
	case 'v':
		pfb_verbose = true;
		return true;
	}
	return false;
}

bool pfb_privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, d))
		return geteuid() == 0;
	eff = d[0].effective | (__u64)d[1].effective << 32;
#define HAS(cap) (eff & (1ULL << (cap)))
	return HAS(CAP_SYS_ADMIN) || (HAS(CAP_BPF) && HAS(CAP_PERFMON));
#undef HAS
}

/*
 * Does the kernel charge BPF memory to RLIMIT_MEMLOCK for us?  Before
 * 5.11 it does (after, memory cgroups do); libbpf raises the limit itself
 * when it can (root), so only then is its "ulimit -l" hint ever the cause.
 */
static bool memlock_matters(void)
{
	static int matters = -1;
	struct utsname u;
	int maj = 0, min = 0;

	if (matters < 0) {
		matters = !uname(&u) && sscanf(u.release, "%d.%d", &maj, &min) == 2 &&
			  (maj < 5 || (maj == 5 && min < 11)) && geteuid() != 0;
	}
	return matters;
}

int pfb_libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	char line[256];	/* enough to spot the hint; a verifier log is longer */
	va_list copy;

	if ((level == LIBBPF_DEBUG || pfb_libbpf_quiet) && !pfb_verbose)
		return 0;
	va_copy(copy, args);
	vsnprintf(line, sizeof(line), format, copy);
	va_end(copy);
	/* EPERM is no privilege or a refused program, not memlock (above) */
	if (!pfb_verbose && !memlock_matters() &&
	    (strstr(line, "ulimit -l") || strstr(line, "RLIMIT_MEMLOCK")))
		return 0;
	return vfprintf(stderr, format, args);
}

const char *pfb_errname(int err)
{
	if (err < 0)
		err = -err;
	return err == ENOTSUPP ? "ENOTSUPP (not supported)" : strerror(err);
}

void pfb_privilege_error(const char *tool, int err)
{
	fprintf(stderr, "%s: not privileged for BPF tracing (%s): run as root, or give it "
		"CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8)\n", tool,
		pfb_errname(err));
}

void pfb_load_error(const char *tool, int err)
{
	/* EACCES is also the verifier's refusal: privilege only without it */
	if ((err == -EPERM || err == -EACCES) && !pfb_privileged())
		pfb_privilege_error(tool, err);
	else if (err == -EPERM)
		fprintf(stderr, "%s: cannot load BPF programs: %s, although privileged "
			"(a security module, kernel lockdown or seccomp?)\n", tool,
			pfb_errname(err));
	else
		fprintf(stderr, "%s: cannot load BPF programs: %s (-v for the verifier log)\n",
			tool, pfb_errname(err));
}

static void on_signal(int sig)
{
	(void)sig;
	pfb_exiting = 1;
}

void pfb_catch_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}
