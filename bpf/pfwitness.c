// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pfwitness - count page faults (minor/major) and CPU time per process from
 * four independent kernel sources, knowing nothing of the mp3 module.
 * See docs/witness.md.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pfwitness.h"
#include "pfwitness.skel.h"
#include "report.h"

#define MAX_PIDS 64

#ifndef offsetofend
#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#endif

enum { SRC_TP = 1, SRC_PE = 2, SRC_FX = 4, SRC_SW = 8, SRC_ALL = 15 };

static struct env {
	pid_t pids[MAX_PIDS];
	int npids;
	char *cmd;
	bool per_thread;
	bool verbose;
	bool no_stats;
	unsigned int sources;
	enum pfw_format fmt;
	double interval;
	long count;
} env = { .interval = 1.0, .count = -1, .sources = SRC_ALL };

const char *argp_program_version = "pfwitness 1.0";
static const char argp_doc[] =
"Count page faults and CPU time per process from tracepoints, perf software\n"
"events, fexit on handle_mm_fault, and sched_switch.\n"
"\n"
"USAGE: pfwitness [-p PID]... [-c 'CMD ARGS'] [-T] [-s tp,pe,fx,sw]\n"
"                 [--csv|--json] [--no-stats] [-v] [interval] [count]\n"
"\n"
"Without -p or -c every process is counted. interval is in seconds\n"
"(fractions allowed, default 1); count is the number of intervals (default:\n"
"until Ctrl-C, or until the -c command exits).\n"
"\n"
"EXAMPLES:\n"
"    pfwitness                        # all processes, one table per second\n"
"    pfwitness -p 1234 -p 1240 0.5    # two processes, every 500 ms\n"
"    pfwitness -c './work 64 R 1000'  # run a command (and its children)\n"
"    pfwitness -T -c './mt-app'       # per thread\n"
"    pfwitness --json -c 'cmd' > out.json   # series + totals as JSON\n"
"    pfwitness --csv 0.05 10          # 10 intervals of 50 ms as CSV\n"
"    pfwitness -s tp,sw -p 1234       # tracepoints and CPU time only\n"
"\n"
"Sources: tp = exceptions:page_fault_user/_kernel, pe = perf software events\n"
"PAGE_FAULTS_MIN/_MAJ, fx = fexit handle_mm_fault, sw = sched_switch.\n"
"Needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN).\n";

enum { OPT_CSV = 1000, OPT_JSON, OPT_NO_STATS };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Count this process (repeatable)", 0 },
	{ "command", 'c', "CMD", 0, "Run CMD (split on blanks, no shell), held "
	  "until attached; follow its descendants", 0 },
	{ "threads", 'T', NULL, 0, "One row per thread instead of per process", 0 },
	{ "csv", OPT_CSV, NULL, 0, "CSV output (intervals, totals, programs); "
	  "the -c command's stdout goes to stderr", 0 },
	{ "json", OPT_JSON, NULL, 0, "JSON output; the -c command's stdout goes "
	  "to stderr", 0 },
	{ "sources", 's', "LIST", 0, "Attach only these sources (comma-separated "
	  "tp,pe,fx,sw; default all)", 0 },
	{ "no-stats", OPT_NO_STATS, NULL, 0, "Leave BPF run-time stats off (the "
	  "overhead report then shows no runs)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose libbpf debug output", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static int positional;

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end, *tok, *save = NULL;
	long v;

	switch (key) {
	case 'p':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > 4194304)
			argp_error(state, "invalid PID: %s", arg);
		if (env.npids == MAX_PIDS)
			argp_error(state, "at most %d -p options", MAX_PIDS);
		env.pids[env.npids++] = v;
		break;
	case 'c':
		if (!*arg)
			argp_error(state, "-c needs a command");
		env.cmd = arg;
		break;
	case 'T':
		env.per_thread = true;
		break;
	case OPT_CSV:
		env.fmt = PFW_CSV;
		break;
	case OPT_JSON:
		env.fmt = PFW_JSON;
		break;
	case 's':
		env.sources = 0;
		for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!strcmp(tok, "tp"))
				env.sources |= SRC_TP;
			else if (!strcmp(tok, "pe"))
				env.sources |= SRC_PE;
			else if (!strcmp(tok, "fx"))
				env.sources |= SRC_FX;
			else if (!strcmp(tok, "sw"))
				env.sources |= SRC_SW;
			else
				argp_error(state, "unknown source: %s (tp, pe, fx, sw)", tok);
		}
		if (!env.sources)
			argp_error(state, "-s needs at least one source");
		break;
	case OPT_NO_STATS:
		env.no_stats = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		errno = 0;
		if (positional == 0) {
			env.interval = strtod(arg, &end);
			if (errno || *end || !(env.interval >= 0.01) || env.interval > 3600)
				argp_error(state, "invalid interval: %s (0.01..3600 s)", arg);
		} else if (positional == 1) {
			env.count = strtol(arg, &end, 10);
			if (errno || *end || env.count <= 0)
				argp_error(state, "invalid count: %s", arg);
		} else {
			argp_error(state, "unexpected argument: %s", arg);
		}
		positional++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *format,
			   va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	if (!env.verbose)
		return 0;	/* failures are reported by pfwitness itself */
	return vfprintf(stderr, format, args);
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

/* Fork CMD held before exec; go_fd releases it, err_fd reports exec failure. */
static pid_t spawn_held(char *cmd, int *go_fd, int *err_fd)
{
	int go[2], err[2], e;
	char *argv[64], *save = NULL, *tok, c;
	int argc = 0;
	pid_t pid;

	for (tok = strtok_r(cmd, " \t", &save); tok && argc < 63;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (!argc || pipe(go) || pipe2(err, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		/* keep stdout parseable: the command's output goes to stderr */
		if (env.fmt != PFW_TABLE)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	*go_fd = go[1];
	*err_fd = err[0];
	return pid;
}

static int open_perf(int cpu, __u64 config)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = config,
		.sample_period = 1,
	};

	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void set_why(char *buf, size_t len, const char *what, int err)
{
	snprintf(buf, len, "%s: %s", what, strerror(err < 0 ? -err : err));
}

/* Tracepoint attach needs tracefs; mount it if nobody has. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) ||
	    !stat("/sys/kernel/debug/tracing/events", &st))
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		fprintf(stderr, "pfwitness: cannot mount tracefs on /sys/kernel/tracing: %s\n",
			strerror(errno));
}

/*
 * What the running kernel lacks that pfwitness can do without.  The BPF
 * side guards each with a CO-RE existence check and falls back by itself;
 * user space reads the same kernel BTF to say so at start, one line each
 * ("pfwitness: X unavailable on this kernel: why; using Y"), and to load
 * the program variant the kernel takes.
 */
struct kernel_gaps {
	bool no_syscall_prog;	/* BPF_PROG_TYPE_SYSCALL is 5.14+ */
	bool no_fault_flag;	/* FAULT_FLAG_TRIED a #define (enum since 5.13) */
	bool no_sched_clock;	/* no se.cfs_rq / cfs_rq.rq: sclk_ns is 0 */
};

static const struct btf_type *kernel_type(const struct btf *btf, const char *name,
					  int kind)
{
	int id = btf__find_by_name_kind(btf, name, kind);

	return id < 0 ? NULL : btf__type_by_id(btf, id);
}

static bool kernel_has_enum_value(const struct btf *btf, const char *type,
				  const char *name)
{
	const struct btf_type *t = kernel_type(btf, type, BTF_KIND_ENUM);
	const struct btf_enum *e;
	int i;

	if (!t)
		return false;
	for (i = 0, e = btf_enum(t); i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
			return true;
	return false;
}

static bool kernel_has_member(const struct btf *btf, const char *type,
			      const char *name)
{
	const struct btf_type *t = kernel_type(btf, type, BTF_KIND_STRUCT);
	const struct btf_member *m;
	int i;

	if (!t)
		return false;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return true;
	return false;
}

static void find_kernel_gaps(struct kernel_gaps *g)
{
	struct btf *btf = btf__load_vmlinux_btf();

	memset(g, 0, sizeof(*g));
	if (libbpf_get_error(btf))
		return;		/* cannot tell: the loads will say what fails */
	g->no_syscall_prog = !kernel_has_enum_value(btf, "bpf_prog_type",
						    "BPF_PROG_TYPE_SYSCALL");
	g->no_fault_flag = !kernel_has_enum_value(btf, "fault_flag", "FAULT_FLAG_TRIED");
	g->no_sched_clock = !kernel_has_member(btf, "sched_entity", "cfs_rq") ||
			    !kernel_has_member(btf, "cfs_rq", "rq");
	btf__free(btf);
}

static void report_kernel_gaps(const struct kernel_gaps *g, struct pfwitness_bpf *skel,
			       bool fx_loaded)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (g->no_syscall_prog)
		fprintf(stderr, "pfwitness: syscall programs unavailable on this kernel: "
			"no BPF_PROG_TYPE_SYSCALL (5.14+); using a raw_tp program "
			"(BPF_PROG_TEST_RUN) to stamp intervals\n");
	if (g->no_fault_flag && fx_loaded)
		fprintf(stderr, "pfwitness: enum fault_flag unavailable on this kernel: "
			"FAULT_FLAG_TRIED is a #define before 5.13; using 0x20, "
			"its value in 5.10\n");
	if (g->no_sched_clock && (env.sources & SRC_SW))
		fprintf(stderr, "pfwitness: rq->clock_task unavailable on this kernel: "
			"no sched_entity.cfs_rq or cfs_rq.rq (CONFIG_FAIR_GROUP_SCHED); "
			"using 0 for sclk_ns\n");
	/* the kernel fills in as much of bpf_prog_info as it knows */
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.sched_fork), &info, &len) &&
	    len < offsetofend(struct bpf_prog_info, recursion_misses))
		fprintf(stderr, "pfwitness: recursion_misses unavailable on this kernel: "
			"not in its bpf_prog_info (5.12+); using 0 in the overhead report\n");
}

static struct pfwitness_bpf *open_skel(bool with_fx, const struct kernel_gaps *gaps)
{
	struct pfwitness_bpf *skel = pfwitness_bpf__open();

	if (!skel) {
		fprintf(stderr, "pfwitness: cannot open the BPF object: %s\n", strerror(errno));
		return NULL;
	}
	skel->rodata->filter_tgid = env.npids || env.cmd;
	skel->rodata->follow_forks = env.cmd != NULL;
	skel->rodata->per_thread = env.per_thread;
	if (!with_fx)
		bpf_program__set_autoload(skel->progs.fx_handle_mm_fault, false);
	/* one of the two stamp programs: the kernel may not know syscall ones */
	bpf_program__set_autoload(skel->progs.take_stamp, !gaps->no_syscall_prog);
	bpf_program__set_autoload(skel->progs.take_stamp_raw_tp, gaps->no_syscall_prog);
	return skel;
}

/*
 * sched_switch charges a task when it leaves the CPU, and a task that
 * exits leaves it for the last time after its parent's wait4() can
 * already return.  So once the command has been reaped, wait (1 s at most)
 * until every CPU that was running a task then, other than this one, has
 * switched since: the exited tasks' last stretch is then in the counts.
 */
static void settle_oncpu(struct pfwitness_bpf *skel, int ncpus)
{
	struct pfw_oncpu *v = calloc(ncpus, sizeof(*v));
	__u32 key = 0, self = (__u32)gettid();
	struct timespec ts;
	__u64 t0;
	int i, tries;

	if (!v)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (tries = 0; tries < 1000; tries++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.oncpu_since), &key, v))
			break;
		for (i = 0; i < ncpus; i++)
			if (v[i].tid && v[i].tid != self && v[i].ktime < t0)
				break;
		if (i == ncpus)
			break;
		usleep(1000);
	}
	free(v);
}

/* Source (a): raw tracepoints if the kernel takes them, else classic ones. */
static void attach_tp(struct pfwitness_bpf *skel, struct pfw_sources *src)
{
	int err;

	ensure_tracefs();
	skel->links.raw_fault_user = bpf_program__attach(skel->progs.raw_fault_user);
	err = libbpf_get_error(skel->links.raw_fault_user);
	if (!err) {
		skel->links.raw_fault_kernel = bpf_program__attach(skel->progs.raw_fault_kernel);
		err = libbpf_get_error(skel->links.raw_fault_kernel);
	}
	if (!err) {
		src->tp = true;
		src->tp_kind = "raw_tracepoint";
		return;
	}
	if (!libbpf_get_error(skel->links.raw_fault_user))
		bpf_link__destroy(skel->links.raw_fault_user);
	skel->links.raw_fault_user = skel->links.raw_fault_kernel = NULL;

	skel->links.tp_fault_user = bpf_program__attach(skel->progs.tp_fault_user);
	err = libbpf_get_error(skel->links.tp_fault_user);
	if (!err) {
		skel->links.tp_fault_kernel = bpf_program__attach(skel->progs.tp_fault_kernel);
		err = libbpf_get_error(skel->links.tp_fault_kernel);
	}
	if (!err) {
		src->tp = true;
		src->tp_kind = "tracepoint";
		return;
	}
	if (!libbpf_get_error(skel->links.tp_fault_user))
		bpf_link__destroy(skel->links.tp_fault_user);
	skel->links.tp_fault_user = skel->links.tp_fault_kernel = NULL;
	set_why(src->why_tp, sizeof(src->why_tp), "attach", err);
}

/* Source (b): a perf software event per CPU and class, each with a program. */
static int attach_pe(struct pfwitness_bpf *skel, struct pfw_sources *src,
		     struct bpf_link **links, int ncpus)
{
	int i, npe = 0;

	for (i = 0; i < ncpus; i++) {
		int fmin = open_perf(i, PERF_COUNT_SW_PAGE_FAULTS_MIN);
		int fmaj = open_perf(i, PERF_COUNT_SW_PAGE_FAULTS_MAJ);
		int e = errno;

		if (fmin < 0 || fmaj < 0) {
			if (fmin >= 0)
				close(fmin);
			if (fmaj >= 0)
				close(fmaj);
			if (e == ENODEV)	/* CPU not present */
				continue;
			set_why(src->why_pe, sizeof(src->why_pe), "perf_event_open", e);
			goto fail;
		}
		links[npe] = bpf_program__attach_perf_event(skel->progs.pe_fault_min, fmin);
		if (libbpf_get_error(links[npe])) {
			close(fmin);
			close(fmaj);
			goto fail;
		}
		npe++;
		links[npe] = bpf_program__attach_perf_event(skel->progs.pe_fault_maj, fmaj);
		if (libbpf_get_error(links[npe])) {
			close(fmaj);
			goto fail;
		}
		npe++;
	}
	src->pe = npe > 0;
	return npe;
fail:
	/* all CPUs or none: a partial source would undercount */
	if (!src->why_pe[0])
		set_why(src->why_pe, sizeof(src->why_pe), "attach", errno);
	links[npe] = NULL;
	while (npe > 0)
		bpf_link__destroy(links[--npe]);
	return 0;
}

static void stamp(struct pfwitness_bpf *skel, __u64 *jiffies, __u64 *mono)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int fd = bpf_program__fd(skel->progs.take_stamp);
	struct timespec ts;

	if (fd < 0)
		fd = bpf_program__fd(skel->progs.take_stamp_raw_tp);
	if (fd >= 0 && !bpf_prog_test_run_opts(fd, &topts)) {
		*jiffies = skel->bss->stamp.jiffies;
		*mono = skel->bss->stamp.mono_ns;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);	/* fallback: no jiffies */
	*jiffies = 0;
	*mono = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_interval(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, argp_doc, NULL, NULL, NULL };
	struct bpf_link *pe_links[2 * 512] = {};
	int npe = 0, ncpus, i, err, stats_fd = -1, go_fd = -1, err_fd = -1, status = 0;
	struct pfw_snap prev = {}, now = {};
	struct pfw_prog_stat ps[16] = {};
	struct pfw_sources src = {};
	struct kernel_gaps gaps;
	struct pfwitness_bpf *skel = NULL;
	struct bpf_program *prog;
	pid_t child = 0;
	__u64 jif, mono, last_mono;
	int seq = 0, child_errno = 0;
	bool child_done = false;
	struct rusage child_ru = {};
	__u8 one = 1;

	argp_err_exit_status = 2;	/* usage errors exit 2, like the others */
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	if (env.cmd && env.npids) {
		fprintf(stderr, "pfwitness: -c and -p cannot be combined\n");
		return 2;
	}
	for (i = 0; i < env.npids; i++)
		if (kill(env.pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "pfwitness: no process with PID %d\n", env.pids[i]);
			return 1;
		}
	libbpf_set_print(libbpf_print_fn);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 512) {
		fprintf(stderr, "pfwitness: cannot count CPUs\n");
		return 1;
	}

	find_kernel_gaps(&gaps);
	skel = open_skel(env.sources & SRC_FX, &gaps);
	if (!skel)
		return 1;
	/* fexit is refused on some kernels: load without it if need be. */
	err = pfwitness_bpf__load(skel);
	if (err && (env.sources & SRC_FX)) {
		set_why(src.why_fx, sizeof(src.why_fx), "load", err);
		pfwitness_bpf__destroy(skel);
		skel = open_skel(false, &gaps);
		if (!skel)
			return 1;
		err = pfwitness_bpf__load(skel);
	}
	if (err) {
		if (err == -EPERM || err == -EACCES)
			fprintf(stderr, "pfwitness: cannot load BPF programs: %s; "
				"run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)\n",
				strerror(-err));
		else
			fprintf(stderr, "pfwitness: cannot load BPF programs: %s "
				"(-v for the verifier log)\n", strerror(-err));
		goto cleanup;
	}
	report_kernel_gaps(&gaps, skel, (env.sources & SRC_FX) && !src.why_fx[0]);
	if (!env.no_stats)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);	/* may fail: then 0s */

	/* Attach each source on its own; report, and go on without it. */
	if (env.sources & SRC_TP)
		attach_tp(skel, &src);
	else
		snprintf(src.why_tp, sizeof(src.why_tp), "not requested (-s)");
	if (env.sources & SRC_PE)
		npe = attach_pe(skel, &src, pe_links, ncpus);
	else
		snprintf(src.why_pe, sizeof(src.why_pe), "not requested (-s)");
	if (!(env.sources & SRC_FX)) {
		snprintf(src.why_fx, sizeof(src.why_fx), "not requested (-s)");
	} else if (!src.why_fx[0]) {
		skel->links.fx_handle_mm_fault = bpf_program__attach(skel->progs.fx_handle_mm_fault);
		err = libbpf_get_error(skel->links.fx_handle_mm_fault);
		if (err) {
			skel->links.fx_handle_mm_fault = NULL;
			set_why(src.why_fx, sizeof(src.why_fx), "attach", err);
		} else {
			src.fx = true;
		}
	}
	if (env.sources & SRC_SW) {
		skel->links.sched_switch = bpf_program__attach(skel->progs.sched_switch);
		err = libbpf_get_error(skel->links.sched_switch);
		if (err) {
			skel->links.sched_switch = NULL;
			set_why(src.why_sw, sizeof(src.why_sw), "attach", err);
		} else {
			src.sw = true;
		}
	} else {
		snprintf(src.why_sw, sizeof(src.why_sw), "not requested (-s)");
	}
	if (env.cmd) {
		skel->links.sched_fork = bpf_program__attach(skel->progs.sched_fork);
		if (libbpf_get_error(skel->links.sched_fork)) {
			skel->links.sched_fork = NULL;
			fprintf(stderr, "pfwitness: warning: cannot follow forks\n");
		}
	}
	fprintf(stderr, "pfwitness: tracepoints: %s%s%s\n", src.tp ? "attached as " : "NOT attached, ",
		src.tp ? src.tp_kind : "", src.why_tp);
	fprintf(stderr, "pfwitness: perf sw events: %s%s\n", src.pe ? "attached" : "NOT attached, ", src.why_pe);
	fprintf(stderr, "pfwitness: fexit handle_mm_fault: %s%s\n", src.fx ? "attached" : "NOT attached, ", src.why_fx);
	fprintf(stderr, "pfwitness: sched_switch: %s%s\n", src.sw ? "attached" : "NOT attached, ", src.why_sw);
	if (!src.tp && !src.pe && !src.fx && !src.sw) {
		fprintf(stderr, "pfwitness: no source attached\n");
		err = 1;
		goto cleanup;
	}

	for (i = 0; i < env.npids; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &env.pids[i], &one, BPF_ANY);
	if (env.cmd) {
		/*
		 * Count the child from its very first fault: with ourselves a
		 * target, sched_process_fork adds the child as it is created;
		 * then we stop counting ourselves.
		 */
		pid_t self = getpid();

		bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &self, &one, BPF_ANY);
		child = spawn_held(env.cmd, &go_fd, &err_fd);
		bpf_map_delete_elem(bpf_map__fd(skel->maps.targets), &self);
		bpf_map_delete_elem(bpf_map__fd(skel->maps.counts), &self);
		if (child <= 0) {
			fprintf(stderr, "pfwitness: cannot start '%s'\n", env.cmd);
			err = 1;
			goto cleanup;
		}
		bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &child, &one, BPF_ANY);
	}

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	pfw_out_begin(stdout, env.fmt, &src, env.per_thread, env.interval);
	stamp(skel, &jif, &last_mono);
	if (child) {
		if (write(go_fd, "g", 1) != 1)
			perror("pfwitness: release");
		close(go_fd);
		if (read(err_fd, &child_errno, sizeof(child_errno)) == sizeof(child_errno)) {
			fprintf(stderr, "pfwitness: cannot run '%s': %s\n", env.cmd,
				strerror(child_errno));
			waitpid(child, NULL, 0);
			err = 1;
			goto cleanup;
		}
		close(err_fd);
	}
	while (!exiting && (env.count < 0 || seq < env.count)) {
		sleep_interval(env.interval);
		if (child && wait4(child, &status, WNOHANG, &child_ru) == child) {
			child_done = true;
			settle_oncpu(skel, ncpus);
		}
		stamp(skel, &jif, &mono);
		pfw_snap_read(&now, bpf_map__fd(skel->maps.counts), ncpus);
		pfw_out_interval(stdout, env.fmt, seq++, jif, mono,
				 (mono - last_mono) / 1e9, &now, &prev, &src);
		last_mono = mono;
		struct pfw_snap t = prev;

		prev = now;
		now = t;
		if (child_done)
			break;
	}
	pfw_snap_read(&now, bpf_map__fd(skel->maps.counts), ncpus);

	i = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (i >= 16 || !strncmp(bpf_program__name(prog), "take_stamp", 10))
			continue;
		ps[i].name = bpf_program__name(prog);
		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
			ps[i].loaded = true;
			ps[i].run_cnt = info.run_cnt;
			ps[i].run_time_ns = info.run_time_ns;
			ps[i].recursion_misses = info.recursion_misses;
		}
		i++;
	}
	pfw_out_end(stdout, env.fmt, &now, ps, i, skel->bss->lost_map_full);
	err = 0;
	if (child) {
		if (!child_done) {
			kill(child, SIGTERM);
			wait4(child, &status, 0, &child_ru);
		}
		/* wait4's rusage: the command and its reaped descendants */
		fprintf(stderr, "pfwitness: '%s' exited with status %d; rusage minflt=%ld majflt=%ld utime_us=%ld stime_us=%ld\n",
			env.cmd, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			child_ru.ru_minflt, child_ru.ru_majflt,
			child_ru.ru_utime.tv_sec * 1000000L + child_ru.ru_utime.tv_usec,
			child_ru.ru_stime.tv_sec * 1000000L + child_ru.ru_stime.tv_usec);
	}

cleanup:
	for (i = 0; i < npe; i++)
		if (!libbpf_get_error(pe_links[i]))
			bpf_link__destroy(pe_links[i]);
	if (stats_fd >= 0)
		close(stats_fd);
	pfw_snap_free(&prev);
	pfw_snap_free(&now);
	pfwitness_bpf__destroy(skel);
	return err != 0;
}
