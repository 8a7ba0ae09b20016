// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pfwitness - count page faults (minor/major) and CPU time per process from
 * five kernel sources, knowing nothing of the mp3 module.
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
#include "targets.h"
#include "cli.h"


#ifndef offsetofend
#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#endif

enum {
	SRC_TP = 1, SRC_PE = 2, SRC_FX = 4, SRC_SW = 8, SRC_RU = 16,
	SRC_ALL = SRC_TP | SRC_PE | SRC_FX | SRC_SW | SRC_RU,
	SRC_DEFAULT = SRC_RU | SRC_SW,		/* docs/witness.md, "What it costs" */
	SRC_AT_SWITCH = SRC_PE | SRC_SW | SRC_RU,	/* read by the switch program */
};

static struct env {
	struct pfb_targets tg;	/* -p, -c */
	bool per_thread;
	bool stats;
	unsigned int sources;
	enum pfb_format fmt;
	double interval;
	long count;
	unsigned int miss_in, miss_out;	/* --inject-missed-switch (tests) */
} env = { .interval = 1.0, .count = -1, .sources = SRC_DEFAULT };

const char *argp_program_version = "pfwitness 1.0";
static const char argp_doc[] =
"Count page faults and CPU time per process from tracepoints, perf software\n"
"events, fexit on handle_mm_fault, sched_switch, and each thread's own fault\n"
"counters.\n"
"\n"
"USAGE: pfwitness [-p PID]... [-c 'CMD ARGS'] [-T] [-s tp,pe,fx,sw,ru|all]\n"
"                 [--csv|--json] [--stats] [-v] [interval] [count]\n"
"\n"
"Without -p or -c every process is counted. interval is in seconds\n"
"(fractions allowed, default 1); count is the number of intervals (default:\n"
"until Ctrl-C). A run ends early when the -c command exits, or when every\n"
"-p process has exited; its last interval ends there. --json prints one\n"
"JSON document per run.\n"
"\n"
"EXAMPLES:\n"
"    pfwitness                        # all processes, one table per second\n"
"    pfwitness -p 1234 -p 1240 0.5    # two processes, every 500 ms\n"
"    pfwitness -c './work 64 R 1000'  # run a command (and its children)\n"
"    pfwitness -T -c './mt-app'       # per thread\n"
"    pfwitness --json -c 'cmd' > out.json   # series + totals as JSON\n"
"    pfwitness --csv 0.05 10          # 10 intervals of 50 ms as CSV\n"
"    pfwitness -s all -c 'cmd'        # every source, to cross-check them\n"
"    pfwitness -s pe,fx,sw -p 1234    # independent of the kernel's counters\n"
"\n"
"Sources: tp = exceptions:page_fault_user/_kernel, pe = perf software events\n"
"PAGE_FAULTS_MIN/_MAJ, fx = fexit handle_mm_fault, sw = sched_switch (CPU\n"
"time), ru = the thread's own min_flt/maj_flt, read when it switches.\n"
"The default, ru,sw, runs nothing on a fault: a process not traced pays\n"
"nothing there. ru equals getrusage() for what it traces, because it reads\n"
"the same counters; to check those, ask for pe or fx. pe makes every fault\n"
"on the host count a perf event; tp and fx run a program on every fault of\n"
"every process.\n"
"Needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN).\n";

enum { OPT_CSV = 1000, OPT_JSON, OPT_STATS, OPT_NO_STATS, OPT_INJECT };

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
	  "tp,pe,fx,sw,ru, or all; default ru,sw)", 0 },
	{ "stats", OPT_STATS, NULL, 0, "Turn on the kernel's BPF run-time stats "
	  "for the overhead report (costs every BPF program on the host two "
	  "clock reads per run)", 0 },
	{ "no-stats", OPT_NO_STATS, NULL, OPTION_HIDDEN, "The default (kept for "
	  "old scripts)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose libbpf debug output", 0 },
	{ "inject-missed-switch", OPT_INJECT, "IN[,OUT]", OPTION_HIDDEN,
	  "Tests: drop every IN-th switch-in (and OUT-th switch-out) of a target, "
	  "as a kernel that does not trace them would", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static int positional;

/* --inject-missed-switch IN[,OUT]: 0 if valid. */
static int parse_inject(const char *arg)
{
	unsigned long in, out = 0;
	char *end;

	errno = 0;
	in = strtoul(arg, &end, 10);
	if (*end == ',')
		out = strtoul(end + 1, &end, 10);
	if (errno || *end || end == arg || in > 1000000 || out > 1000000 || arg[0] == '-')
		return -1;
	env.miss_in = in;
	env.miss_out = out;
	return 0;
}

/* -s tp,pe,fx,sw,ru,all: the sources asked for (argp_error() exits on a bad one). */
static void parse_sources(char *arg, struct argp_state *state)
{
	static const struct { const char *name; unsigned int bits; } names[] = {
		{ "all", SRC_ALL }, { "tp", SRC_TP }, { "pe", SRC_PE },
		{ "fx", SRC_FX }, { "sw", SRC_SW }, { "ru", SRC_RU },
	};
	char *tok, *save = NULL;
	size_t i;

	env.sources = 0;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(tok, names[i].name))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			argp_error(state, "unknown source: %s (tp, pe, fx, sw, ru, all)", tok);
		else
			env.sources |= names[i].bits;
	}
	if (!env.sources)
		argp_error(state, "-s needs at least one source");
}

/* [interval] [count] (argp_error() exits on a bad one). */
static void parse_positional(const char *arg, struct argp_state *state)
{
	errno = 0;
	if (positional == 0) {
		if (!pfb_parse_interval(arg, &env.interval))
			argp_error(state, "invalid interval: %s (0.01..3600 s)", arg);
	} else if (positional == 1) {
		if (!pfb_parse_count(arg, &env.count))
			argp_error(state, "invalid count: %s", arg);
	} else {
		argp_error(state, "unexpected argument: %s", arg);
	}
	positional++;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
	case 'c':
	case 'v':
		pfb_parse_target(&env.tg, key, arg, state);
		break;
	case 'T':
		env.per_thread = true;
		break;
	case OPT_CSV:
		env.fmt = PFB_CSV;
		break;
	case OPT_JSON:
		env.fmt = PFB_JSON;
		break;
	case 's':
		parse_sources(arg, state);
		break;
	case OPT_STATS:
		env.stats = true;
		break;
	case OPT_NO_STATS:
		env.stats = false;
		break;
	case OPT_INJECT:
		if (parse_inject(arg))
			argp_error(state, "invalid --inject-missed-switch: %s (IN[,OUT], 0..1000000)",
				   arg);
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		parse_positional(arg, state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
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
	bool no_task_storage;	/* BPF_MAP_TYPE_TASK_STORAGE is 5.11+ */
	bool no_fault_tp;	/* exceptions:page_fault_* are x86's only */
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
	g->no_task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1;
	if (libbpf_get_error(btf))
		return;		/* cannot tell: the loads will say what fails */
	g->no_syscall_prog = !kernel_has_enum_value(btf, "bpf_prog_type",
						    "BPF_PROG_TYPE_SYSCALL");
	g->no_fault_flag = !kernel_has_enum_value(btf, "fault_flag", "FAULT_FLAG_TRIED");
	/* every tracepoint has its btf_trace_<name> typedef in the kernel's BTF */
	g->no_fault_tp = !kernel_type(btf, "btf_trace_page_fault_user", BTF_KIND_TYPEDEF);
	g->no_sched_clock = !kernel_has_member(btf, "sched_entity", "cfs_rq") ||
			    !kernel_has_member(btf, "cfs_rq", "rq");
	btf__free(btf);
}

static void report_kernel_gaps(const struct kernel_gaps *g, struct pfwitness_bpf *skel,
			       bool fx_loaded)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	/* a program every run loads (not the fault tracepoint's: arm64 has none) */
	struct bpf_program *p = g->no_task_storage ? skel->progs.raw_exec :
						     skel->progs.btf_exec;

	if (g->no_syscall_prog)
		fprintf(stderr, "pfwitness: syscall programs unavailable on this kernel: "
			"no BPF_PROG_TYPE_SYSCALL (5.14+); using a raw_tp program "
			"(BPF_PROG_TEST_RUN) to stamp intervals\n");
	if (g->no_task_storage)
		fprintf(stderr, "pfwitness: task storage unavailable on this kernel: "
			"no BPF_MAP_TYPE_TASK_STORAGE (5.11+); using raw_tp programs "
			"and a hash of thread ids (slower)\n");
	if (g->no_fault_flag && fx_loaded)
		fprintf(stderr, "pfwitness: enum fault_flag unavailable on this kernel: "
			"FAULT_FLAG_TRIED is a #define before 5.13; using 0x20, "
			"its value in 5.10\n");
	if (g->no_sched_clock && (env.sources & SRC_SW))
		fprintf(stderr, "pfwitness: rq->clock_task unavailable on this kernel: "
			"no sched_entity.cfs_rq or cfs_rq.rq (CONFIG_FAIR_GROUP_SCHED); "
			"using 0 for sclk_ns\n");
	/* the kernel fills in as much of bpf_prog_info as it knows */
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) &&
	    len < offsetofend(struct bpf_prog_info, recursion_misses))
		fprintf(stderr, "pfwitness: recursion_misses unavailable on this kernel: "
			"not in its bpf_prog_info (5.12+); using 0 in the overhead report\n");
	if (g->no_fault_tp && (env.sources & SRC_TP))
		fprintf(stderr, "pfwitness: tracepoint exceptions:page_fault_user unavailable "
			"on this kernel: x86 only; using perf events and fexit for faults\n");
}

/* One program set: tp_btf + task storage, or its raw_tp + hash twin. */
static void choose_programs(struct pfwitness_bpf *skel, bool ts, bool with_fx)
{
	typeof(skel->progs) *p = &skel->progs;
	bool sw = env.sources & SRC_AT_SWITCH, tp = env.sources & SRC_TP;
	bool all = !env.tg.npids && !env.tg.cmd;

	bpf_program__set_autoload(p->btf_fault_user, ts && tp);
	bpf_program__set_autoload(p->btf_fault_kernel, ts && tp);
	bpf_program__set_autoload(p->raw_fault_user, !ts && tp);
	bpf_program__set_autoload(p->raw_fault_kernel, !ts && tp);
	bpf_program__set_autoload(p->fx_handle_mm_fault, ts && with_fx);
	bpf_program__set_autoload(p->fx_handle_mm_fault_h, !ts && with_fx);
	bpf_program__set_autoload(p->btf_switch, ts && sw);
	bpf_program__set_autoload(p->raw_switch, !ts && sw);
	bpf_program__set_autoload(p->btf_fork, ts && !all);
	bpf_program__set_autoload(p->raw_fork, !ts && !all);
	bpf_program__set_autoload(p->btf_exec, ts);
	bpf_program__set_autoload(p->raw_exec, !ts);
	bpf_program__set_autoload(p->seed, ts && env.tg.npids);
	bpf_map__set_autocreate(skel->maps.tasks, ts);
	bpf_map__set_autocreate(skel->maps.tasks_h, !ts);
	bpf_map__set_autocreate(skel->maps.seed_pids, ts && env.tg.npids);
	bpf_map__set_autocreate(skel->maps.pe_min_ev, env.sources & SRC_PE);
	bpf_map__set_autocreate(skel->maps.pe_maj_ev, env.sources & SRC_PE);
}

static struct pfwitness_bpf *open_skel(bool ts, bool with_fx, const struct kernel_gaps *gaps)
{
	struct pfwitness_bpf *skel = pfwitness_bpf__open();

	if (!skel) {
		fprintf(stderr, "pfwitness: cannot open the BPF object: %s\n", strerror(errno));
		return NULL;
	}
	skel->rodata->all_tasks = !env.tg.npids && !env.tg.cmd;
	skel->rodata->per_thread = env.per_thread;
	skel->rodata->follow_forks = env.tg.cmd != NULL;
	skel->rodata->spawner_tgid = env.tg.cmd ? getpid() : 0;
	skel->rodata->count_cpu = env.sources & SRC_SW;
	skel->rodata->count_pe = env.sources & SRC_PE;
	skel->rodata->count_ru = env.sources & SRC_RU;
	skel->rodata->inject_miss_in = env.miss_in;
	skel->rodata->inject_miss_out = env.miss_out;
	skel->rodata->nlanes = libbpf_num_possible_cpus() + 1;
	choose_programs(skel, ts, with_fx);
	if (gaps->no_fault_tp) {	/* the source is absent, not failed: said at attach */
		bpf_program__set_autoload(skel->progs.btf_fault_user, false);
		bpf_program__set_autoload(skel->progs.btf_fault_kernel, false);
		bpf_program__set_autoload(skel->progs.raw_fault_user, false);
		bpf_program__set_autoload(skel->progs.raw_fault_kernel, false);
	}
	/* one of the two stamp programs: the kernel may not know syscall ones */
	bpf_program__set_autoload(skel->progs.take_stamp, !gaps->no_syscall_prog);
	bpf_program__set_autoload(skel->progs.take_stamp_raw_tp, gaps->no_syscall_prog);
	return skel;
}

/*
 * Load: fexit is refused on some kernels (the host: EPERM), so if it was
 * asked for and the load fails, load again without it and say why.
 */
static struct pfwitness_bpf *load_skel(const struct kernel_gaps *gaps, struct pfw_sources *src)
{
	bool ts = !gaps->no_task_storage, fx = env.sources & SRC_FX;
	struct pfwitness_bpf *skel = open_skel(ts, fx, gaps);
	int err;

	if (!skel)
		return NULL;
	pfb_libbpf_quiet = fx;
	err = pfwitness_bpf__load(skel);
	pfb_libbpf_quiet = false;
	if (err && fx) {
		set_why(src->why_fx, sizeof(src->why_fx), "load", err);
		pfwitness_bpf__destroy(skel);
		skel = open_skel(ts, false, gaps);
		if (!skel)
			return NULL;
		err = pfwitness_bpf__load(skel);
	}
	if (!err)
		return skel;
	pfb_load_error("pfwitness", err);
	pfwitness_bpf__destroy(skel);
	return NULL;
}

/* Attach @prog if it was loaded; 0, or the error. */
static int attach_one(struct bpf_program *prog, struct bpf_link **link)
{
	int err;

	if (bpf_program__fd(prog) < 0)
		return 0;
	*link = bpf_program__attach(prog);
	err = libbpf_get_error(*link);
	if (err)
		*link = NULL;
	return err;
}

/*
 * Source (b): a counting perf software event per CPU and class, in the
 * arrays the switch program reads; no program runs per fault.
 */
static int open_counting(int cpu, __u64 config)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = config,
	};

	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int open_pe(struct pfwitness_bpf *skel, struct pfw_sources *src, int *fds, int ncpus)
{
	int i, n = 0, fd, e;
	__u64 cfg;

	for (i = 0; i < 2 * ncpus; i++) {
		cfg = i % 2 ? PERF_COUNT_SW_PAGE_FAULTS_MAJ : PERF_COUNT_SW_PAGE_FAULTS_MIN;
		fd = open_counting(i / 2, cfg);
		if (fd < 0 && errno == ENODEV)	/* CPU not present */
			continue;
		e = errno;
		if (fd < 0) {
			set_why(src->why_pe, sizeof(src->why_pe), "perf_event_open", e);
			goto fail;
		}
		fds[n++] = fd;
		if (bpf_map_update_elem(bpf_map__fd(i % 2 ? skel->maps.pe_maj_ev :
						    skel->maps.pe_min_ev), &(int){ i / 2 },
					&fd, BPF_ANY)) {
			set_why(src->why_pe, sizeof(src->why_pe), "perf event array", errno);
			goto fail;
		}
	}
	src->pe = n > 0;
	return n;
fail:
	/* all CPUs or none: a partial source would undercount */
	while (n > 0)
		close(fds[--n]);
	return 0;
}

/*
 * A source read by the switch program alone (sw, ru): on if asked for and
 * the program attached (@err); else say why in @why, of @len bytes.
 */
static bool read_at_switch(unsigned int source, int err, char *why, size_t len)
{
	if (!(env.sources & source)) {
		snprintf(why, len, "not requested (-s)");
		return false;
	}
	if (err)
		set_why(why, len, "attach", err);
	return !err;
}

static void attach_sources(struct pfwitness_bpf *skel, struct pfw_sources *src,
			   const struct kernel_gaps *gaps, int *pe_fds, int *npe, int ncpus)
{
	typeof(skel->progs) *p = &skel->progs;
	typeof(skel->links) *l = &skel->links;
	bool ts = !gaps->no_task_storage;
	int err;

	if ((env.sources & SRC_TP) && gaps->no_fault_tp) {
		/* arm64 and others: perf events and fexit count faults there */
		snprintf(src->why_tp, sizeof(src->why_tp),
			 "this kernel has no exceptions:page_fault_user (x86 only)");
	} else if (env.sources & SRC_TP) {
		ensure_tracefs();
		err = attach_one(p->btf_fault_user, &l->btf_fault_user) ?:
		      attach_one(p->btf_fault_kernel, &l->btf_fault_kernel) ?:
		      attach_one(p->raw_fault_user, &l->raw_fault_user) ?:
		      attach_one(p->raw_fault_kernel, &l->raw_fault_kernel);
		if (err)
			set_why(src->why_tp, sizeof(src->why_tp), "attach", err);
		src->tp = !err;
		src->tp_kind = ts ? "tp_btf" : "raw_tp";
	} else {
		snprintf(src->why_tp, sizeof(src->why_tp), "not requested (-s)");
	}
	if (!(env.sources & SRC_FX)) {
		snprintf(src->why_fx, sizeof(src->why_fx), "not requested (-s)");
	} else if (!src->why_fx[0]) {
		err = attach_one(p->fx_handle_mm_fault, &l->fx_handle_mm_fault) ?:
		      attach_one(p->fx_handle_mm_fault_h, &l->fx_handle_mm_fault_h);
		if (err)
			set_why(src->why_fx, sizeof(src->why_fx), "attach", err);
		src->fx = !err;
	}
	/* the switch program serves (b), (d) and (e) */
	src->sw_kind = ts ? "tp_btf" : "raw_tp";
	err = attach_one(p->btf_switch, &l->btf_switch) ?:
	      attach_one(p->raw_switch, &l->raw_switch);
	if (env.sources & SRC_PE) {
		if (err)
			set_why(src->why_pe, sizeof(src->why_pe), "attach", err);
		else
			*npe = open_pe(skel, src, pe_fds, ncpus);
	} else {
		snprintf(src->why_pe, sizeof(src->why_pe), "not requested (-s)");
	}
	src->sw = read_at_switch(SRC_SW, err, src->why_sw, sizeof(src->why_sw));
	src->ru = read_at_switch(SRC_RU, err, src->why_ru, sizeof(src->why_ru));
	if (attach_one(p->btf_fork, &l->btf_fork) || attach_one(p->raw_fork, &l->raw_fork))
		fprintf(stderr, "pfwitness: warning: cannot follow new threads and processes\n");
	if (attach_one(p->btf_exec, &l->btf_exec) || attach_one(p->raw_exec, &l->raw_exec))
		fprintf(stderr, "pfwitness: warning: names will not follow exec\n");
}

static void say_sources(const struct pfw_sources *src)
{
	fprintf(stderr, "pfwitness: tracepoints: %s%s%s\n",
		src->tp ? "attached as " : "NOT attached, ", src->tp ? src->tp_kind : "",
		src->why_tp);
	fprintf(stderr, "pfwitness: perf sw events: %s%s\n",
		src->pe ? "attached" : "NOT attached, ", src->why_pe);
	fprintf(stderr, "pfwitness: fexit handle_mm_fault: %s%s\n",
		src->fx ? "attached" : "NOT attached, ", src->why_fx);
	fprintf(stderr, "pfwitness: sched_switch: %s%s\n",
		src->sw ? "attached" : "NOT attached, ", src->why_sw);
	fprintf(stderr, "pfwitness: thread fault counters: %s%s\n",
		src->ru ? "attached" : "NOT attached, ", src->why_ru);
}

/* Raw_tp twin: -p targets go into the hash from /proc, a row each. */
static int seed_hash(struct pfwitness_bpf *skel, pid_t pid)
{
	struct pfb_slot info = { .tgid = pid };
	struct pfb_task k = {};
	pid_t tids[4096];
	char path[64];
	int n, i, fd;
	ssize_t len;

	n = pfb_threads(pid, tids, 4096);
	if (n < 0)
		return n;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	len = fd < 0 ? 0 : read(fd, info.comm, sizeof(info.comm) - 1);
	if (fd >= 0)
		close(fd);
	if (len > 0 && info.comm[len - 1] == '\n')
		info.comm[len - 1] = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 || env.per_thread) {
			/* user space's lane (see slot_number() in the BPF side) */
			k.slot = skel->rodata->nlanes * (1 + skel->bss->user_next++);
			if (k.slot >= PFB_MAX_SLOTS)
				return -ENOSPC;
			info.id = env.per_thread ? (__u32)tids[i] : (__u32)pid;
			bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &k.slot, &info, BPF_ANY);
		}
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tasks_h), &(__u32){ tids[i] },
					&k, BPF_NOEXIST) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int seed_pids(struct pfwitness_bpf *skel, bool ts)
{
	__u8 one = 1;
	int i, err;

	for (i = 0; i < env.tg.npids; i++) {
		if (!ts) {
			err = seed_hash(skel, env.tg.pids[i]);
			if (err) {
				fprintf(stderr, "pfwitness: cannot trace PID %d: %s\n",
					env.tg.pids[i], strerror(-err));
				return err;
			}
		} else {
			bpf_map_update_elem(bpf_map__fd(skel->maps.seed_pids), &env.tg.pids[i],
					    &one, BPF_ANY);
		}
	}
	if (ts && env.tg.npids) {
		err = pfb_seed_iter(skel->progs.seed);
		if (err) {
			fprintf(stderr, "pfwitness: cannot seed targets: %s\n", strerror(-err));
			return err;
		}
	}
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

/* One past the highest row taken so far, from either allocator. */
static __u32 rows_taken(struct pfwitness_bpf *skel, int ncpus)
{
	__u32 n = __atomic_load_n(&skel->data->next_slot, __ATOMIC_ACQUIRE);
	__u32 nl = skel->rodata->nlanes, zero = 0, *k = calloc(ncpus, sizeof(__u64));
	int i;

	if (k && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.lane_next), &zero, k))
		for (i = 0; i < ncpus; i++) {
			/* per-CPU values are 8-byte aligned */
			__u32 v = *(__u32 *)((char *)k + 8 * i);

			if (v && 1 + i + nl * v > n)
				n = 1 + i + nl * v;
		}
	free(k);
	if (nl * (1 + skel->bss->user_next) > n)
		n = nl * (1 + skel->bss->user_next);
	return n;
}

static int read_now(struct pfwitness_bpf *skel, struct pfw_snap *snap, int ncpus)
{
	__u32 n = rows_taken(skel, ncpus);
	int err;

	err = pfw_snap_read(snap, bpf_map__fd(skel->maps.counts),
			    bpf_map__fd(skel->maps.slots), n, ncpus);
	if (err)
		fprintf(stderr, "pfwitness: cannot read the counts: %s\n", strerror(-err));
	return err;
}

struct stamp_req {
	struct pfwitness_bpf *skel;
	struct pfw_snap *snap;	/* NULL: stamp only */
	int ncpus, err;
	__u64 jiffies, mono;
};

static void read_then_stamp(void *arg)
{
	struct stamp_req *r = arg;

	if (r->snap)
		r->err = read_now(r->skel, r->snap, r->ncpus);
	stamp(r->skel, &r->jiffies, &r->mono);
}

/* Is anything read at context switches (so that a CPU kick charges it)? */
static bool any_switch_source(const struct pfw_sources *src)
{
	return src->sw || src->pe || src->ru;
}

/*
 * End an interval: read the counts into @snap (if given), then stamp it,
 * so that every event counted happened before the stamp.  Per-switch
 * sources charge a task when it leaves a CPU, so first make every CPU
 * switch: a target that has been running since its last switch (a
 * spinner, or a task whose final switch is under way) is then charged up
 * to the kick, just before.  The reading runs at the kick's priority, so
 * nothing delays it between the two.
 */
static int end_interval(struct pfwitness_bpf *skel, const struct pfw_sources *src,
			struct pfw_snap *snap, int ncpus, __u64 *jiffies, __u64 *mono)
{
	struct stamp_req r = { .skel = skel, .snap = snap, .ncpus = ncpus };

	if (any_switch_source(src))
		pfb_kick_cpus(read_then_stamp, &r);
	else
		read_then_stamp(&r);
	*jiffies = r.jiffies;
	*mono = r.mono;
	return r.err;
}

static int program_stats(struct pfwitness_bpf *skel, struct pfw_prog_stat *ps, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (n >= max || bpf_program__fd(prog) < 0 ||
		    !strncmp(bpf_program__name(prog), "take_stamp", 10) ||
		    !strcmp(bpf_program__name(prog), "seed"))
			continue;
		ps[n].name = bpf_program__name(prog);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
			ps[n].loaded = true;
			ps[n].run_cnt = info.run_cnt;
			ps[n].run_time_ns = info.run_time_ns;
			ps[n].recursion_misses = info.recursion_misses;
		}
		n++;
	}
	return n;
}

/* -c: the command, held before exec until everything is attached. */
struct command {
	struct pfb_cmd cmd;
	struct pfb_held held;
	bool done;
	int status;
	struct rusage ru;
};

/*
 * One interval, or less: until the -c command @c exits, every -p target
 * in @w has, or a signal.
 */
static void sleep_interval(double secs, const struct command *c, struct pfb_watch *w)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	if (c)
		pfb_held_wait(&c->held, (int)(secs * 1000 + 0.5));
	else if (w)
		pfb_watch_wait(w, (int)(secs * 1000 + 0.5));
	else
		nanosleep(&ts, NULL);
}

static int start_command(struct command *c)
{
	int err = pfb_cmd_split(&c->cmd, env.tg.cmd);

	if (!err)
		err = pfb_held_spawn(&c->held, &c->cmd, env.fmt != PFB_TABLE);
	if (err)
		fprintf(stderr, "pfwitness: cannot start '%s': %s\n", env.tg.cmd, strerror(-err));
	return err;
}

/* Reap the command; its wait4() into @w (the record's wait4 row). */
static void end_command(struct command *c, struct pfw_wait4 *w)
{
	if (!c->done) {
		kill(c->held.pid, SIGTERM);
		wait4(c->held.pid, &c->status, 0, &c->ru);
	}
	pfb_held_close(&c->held);
	/* wait4's rusage: the command and its reaped descendants */
	w->pid = c->held.pid;
	w->comm = c->cmd.argv[0];
	w->status = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
	w->minflt = c->ru.ru_minflt;
	w->majflt = c->ru.ru_majflt;
	w->utime_us = c->ru.ru_utime.tv_sec * 1000000ULL + c->ru.ru_utime.tv_usec;
	w->stime_us = c->ru.ru_stime.tv_sec * 1000000ULL + c->ru.ru_stime.tv_usec;
	fprintf(stderr, "pfwitness: '%s' exited with status %d; rusage minflt=%llu majflt=%llu utime_us=%llu stime_us=%llu\n",
		c->cmd.argv[0], w->status, w->minflt, w->majflt, w->utime_us, w->stime_us);
}

/*
 * The command has exited: before reaping it, let its threads make their
 * final switch (the sched_switch program counts them down), so that
 * wait4()'s rusage holds all their CPU time, as the witness's count does.
 * Bounded: 1 s; without the switch program there is nothing to wait for.
 */
static void wait_final_switch(struct pfwitness_bpf *skel, const struct pfw_sources *src)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	if (!any_switch_source(src))
		return;
	for (i = 0; i < 1000 && *(volatile __s32 *)&skel->bss->cmd_threads > 0; i++)
		nanosleep(&ms, NULL);
}

/*
 * Intervals until count, Ctrl-C, the command's exit, or the exit of every
 * -p target (@w); then totals.
 */
static int run(struct pfwitness_bpf *skel, const struct pfw_sources *src,
	       struct command *c, struct pfb_watch *w, int ncpus)
{
	struct pfw_snap prev = {}, now = {}, t;
	struct pfw_prog_stat ps[32] = {};
	__u64 jif, mono, last_mono;
	int seq = 0, err = 0, nps;
	bool gone = false;	/* every -p target has exited */

	/* targets running now are charged from their next switch-in */
	end_interval(skel, src, NULL, ncpus, &jif, &last_mono);
	if (c) {
		err = pfb_held_release(&c->held);
		if (err) {
			fprintf(stderr, "pfwitness: cannot run '%s': %s\n", env.tg.cmd,
				strerror(err));
			waitpid(c->held.pid, NULL, 0);
			c->done = true;
			return 1;
		}
	}
	while (!pfb_exiting && (env.count < 0 || seq < env.count)) {
		sleep_interval(env.interval, c, w);
		/* their final switches are charged by end_interval()'s CPU kick */
		if (w && pfb_watch_wait(w, 0))
			gone = true;
		if (c && pfb_held_wait(&c->held, 0))
			wait_final_switch(skel, src);
		if (c && wait4(c->held.pid, &c->status, WNOHANG, &c->ru) == c->held.pid)
			c->done = true;
		err = end_interval(skel, src, &now, ncpus, &jif, &mono);
		if (err)
			goto free_snaps;
		pfw_out_interval(stdout, env.fmt, seq++, jif, mono,
				 (mono - last_mono) / 1e9, &now, &prev, src);
		last_mono = mono;
		t = prev;
		prev = now;
		now = t;
		if ((c && c->done) || gone)
			break;
	}
	if (seq == 0 || !((c && c->done) || gone)) {	/* else the last interval read it */
		err = end_interval(skel, src, &now, ncpus, &jif, &mono);
		if (err)
			goto free_snaps;
	} else {
		t = prev;	/* the last interval's snapshot is the total */
		prev = now;
		now = t;
	}
	nps = program_stats(skel, ps, 32);
	pfw_out_end(stdout, env.fmt, &now, ps, nps, skel->bss->lost_map_full);
free_snaps:
	pfw_snap_free(&prev);
	pfw_snap_free(&now);
	return err;
}

/* The command line, checked: 0, or the exit status (2 usage, 1 no such PID). */
static int parse_cmdline(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, argp_doc, NULL, NULL, NULL };
	int i;

	argp_err_exit_status = 2;	/* usage errors exit 2, like the others */
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (env.tg.cmd && env.tg.npids) {
		fprintf(stderr, "pfwitness: -c and -p cannot be combined\n");
		return 2;
	}
	for (i = 0; i < env.tg.npids; i++)
		if (kill(env.tg.pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "pfwitness: no process with PID %d\n", env.tg.pids[i]);
			return 1;
		}
	return 0;
}

/* Seed the -p targets and start the -c command (@c, or NULL): 0 or -1. */
static int start_targets(struct pfwitness_bpf *skel, bool task_storage, struct command *c)
{
	if (seed_pids(skel, task_storage))
		return -1;
	return c ? start_command(c) : 0;
}

/* Trace until the targets are gone, the count is reached or a signal comes. */
static int trace(struct pfwitness_bpf *skel, const struct pfw_sources *src,
		 struct command *c, int ncpus)
{
	struct pfb_watch watch, *w = NULL;
	struct pfw_wait4 w4 = {};
	int err;

	if (env.tg.npids) {
		pfb_watch_open(&watch, env.tg.pids, env.tg.npids);
		w = &watch;
	}
	pfb_catch_signals();
	pfw_out_begin(stdout, env.fmt, src, env.per_thread, env.interval);
	err = run(skel, src, c, w, ncpus);
	if (w)
		pfb_watch_close(w);
	if (c && !err)
		end_command(c, &w4);
	if (!err)
		pfw_out_close(stdout, env.fmt, c ? &w4 : NULL);
	return err;
}

int main(int argc, char **argv)
{
	int npe = 0, ncpus, i, err, stats_fd = -1, pe_fds[2 * 1024];
	struct command cmd = {}, *c = NULL;
	struct pfw_sources src = {};
	struct kernel_gaps gaps;
	struct pfwitness_bpf *skel = NULL;

	err = parse_cmdline(argc, argv);
	if (err)
		return err;
	libbpf_set_print(pfb_libbpf_print);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 1024) {
		fprintf(stderr, "pfwitness: cannot count CPUs\n");
		return 1;
	}
	find_kernel_gaps(&gaps);
	skel = load_skel(&gaps, &src);
	if (!skel)
		return 1;
	report_kernel_gaps(&gaps, skel, (env.sources & SRC_FX) && !src.why_fx[0]);
	if (env.stats)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);	/* may fail: then 0s */
	/* Attach each source on its own; report, and go on without it. */
	attach_sources(skel, &src, &gaps, pe_fds, &npe, ncpus);
	say_sources(&src);
	err = 1;
	if (!src.tp && !src.pe && !src.fx && !src.sw && !src.ru) {
		fprintf(stderr, "pfwitness: no source attached\n");
		goto cleanup;
	}
	if (env.tg.cmd)
		c = &cmd;
	if (start_targets(skel, !gaps.no_task_storage, c))
		goto cleanup;
	err = trace(skel, &src, c, ncpus);
cleanup:
	if (c)
		pfb_cmd_free(&c->cmd);
	for (i = 0; i < npe; i++)
		close(pe_fds[i]);
	if (stats_fd >= 0)
		close(stats_fd);
	pfwitness_bpf__destroy(skel);
	return err != 0;
}
