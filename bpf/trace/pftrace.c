// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pftrace - where page faults happen, how long they take, and who takes
 * them now: by mapping, by code site, latency histograms, a heat map and
 * a live view.  See docs/pftrace.md.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core.h"
#include "pftrace.skel.h"
#include "targets.h"
#include "cli.h"

struct pft_env env = {
	.interval = 1.0, .count = -1, .top_n = 20, .png = "pftrace-heat.png",
	.method = "auto", .unwind = PFT_UNWIND_DWARF, .stack_bytes = 8192,
};

const char *argp_program_version = "pftrace 1.0";
static const char argp_doc[] =
"Where page faults happen, how long they take, and who takes them now.\n"
"\n"
"USAGE: pftrace where|lat|code|heat|top [-p PID]... [-c 'CMD ARGS']\n"
"               [-m auto|fexit|tp] [--csv|--json|--jsonl] [OPTIONS] [interval] [count]\n"
"\n"
"Views:\n"
"  where   faults per mapping (file, heap, stack, anon, shm, vdso)\n"
"  lat     time in the fault handler: log2 histograms per class\n"
"  code    faults per user-space code site (symbolized), with their\n"
"          stacks (--call-graph dwarf or fp); --folded for flame graphs\n"
"  heat    fault address x time as a PNG (gnuplot), at the end\n"
"  top     a live table of the processes faulting most\n"
"Without -p or -c every process is traced.  interval is in seconds\n"
"(default 1); count is the number of intervals (default: until Ctrl-C).\n"
"A run ends early when the -c command exits, or when every -p process\n"
"has exited; its last interval ends there.  --json prints one JSON\n"
"document per run (its intervals in an array), --jsonl one object per\n"
"interval and line.\n"
"\n"
"EXAMPLES:\n"
"    pftrace where -c './work 256 R 10000'   # which mappings fault\n"
"    pftrace lat -P 5                          # latency per process, 5 s\n"
"    pftrace code --folded -p 1234 10 1 > f.txt  # for flamegraph.pl\n"
"    pftrace code --call-graph fp -c './work 256 R 10000'  # frame pointers\n"
"    pftrace heat --log -o heat.png -c './work 256 L 10000'\n"
"    pftrace top                               # live; q quits\n"
"    pftrace lat --json -c 'cmd' > lat.json    # one JSON document\n"
"    pftrace top --jsonl 5 | jq .procs          # an object per interval\n";

enum { OPT_CSV = 1000, OPT_JSON, OPT_JSONL, OPT_FOLDED, OPT_LOG, OPT_CALL_GRAPH, OPT_OFFSETS };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process (repeatable)", 0 },
	{ "command", 'c', "CMD", 0, "Run CMD (split on blanks, no shell), held "
	  "until attached; follow its descendants", 0 },
	{ "method", 'm', "HOW", 0, "auto (default), fexit (handle_mm_fault) or tp "
	  "(page_fault_user + perf software event)", 0 },
	{ "csv", OPT_CSV, NULL, 0, "CSV output", 0 },
	{ "json", OPT_JSON, NULL, 0, "JSON output: one document per run", 0 },
	{ "jsonl", OPT_JSONL, NULL, 0, "JSON Lines: one object per interval and line", 0 },
	{ "top", 'n', "N", 0, "where, code: rows shown (default 20)", 0 },
	{ "folded", OPT_FOLDED, NULL, 0, "code: collapsed stacks (flamegraph.pl, "
	  "speedscope, inferno)", 0 },
	{ "call-graph", OPT_CALL_GRAPH, "HOW", 0, "code: how stacks are unwound: dwarf[,SIZE] "
	  "(default; SIZE bytes of stack copied per fault, default 8192, 4096..16384) "
	  "or fp (frame pointers)", 0 },
	{ "offsets", OPT_OFFSETS, NULL, 0, "code: --folded frames with their offsets "
	  "(func+0x1a), not merged by function", 0 },
	{ "per-process", 'P', NULL, 0, "lat: a histogram per process", 0 },
	{ "output", 'o', "PNG", 0, "heat: the image (default pftrace-heat.png)", 0 },
	{ "log", OPT_LOG, NULL, 0, "heat: logarithmic colour scale", 0 },
	{ "bands", PFT_OPT_BANDS, "N", 0, "heat: the N busiest mappings get bands of "
	  "their own, the rest are folded into one (default 24)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf's debug output", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static const char *const views[] = { "where", "lat", "top", "code", "heat" };
static int positional;

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	long v;
	int i;

	switch (key) {
	case 'p':
		if (env.npids == PFT_MAX_PIDS)
			argp_error(state, "at most %d -p options", PFT_MAX_PIDS);
		if (!pfb_parse_pid(arg, &env.pids[env.npids]))
			argp_error(state, "invalid PID: %s", arg);
		env.npids++;
		break;
	case 'c':
		if (!*arg)
			argp_error(state, "-c needs a command");
		env.cmd = arg;
		break;
	case 'm':
		if (strcmp(arg, "auto") && strcmp(arg, "fexit") && strcmp(arg, "tp"))
			argp_error(state, "unknown method: %s (auto, fexit, tp)", arg);
		env.method = arg;
		break;
	case OPT_CSV:
		env.fmt = PFB_CSV;
		break;
	case OPT_JSON:
	case OPT_JSONL:
		env.fmt = PFB_JSON;
		env.jsonl = key == OPT_JSONL;
		break;
	case 'n':
		if (!pfb_parse_count(arg, &v) || v > 100000)
			argp_error(state, "invalid row count: %s (1..100000)", arg);
		env.top_n = v;
		break;
	case OPT_FOLDED:
		env.folded = true;
		break;
	case OPT_OFFSETS:
		env.offsets = true;
		break;
	case OPT_CALL_GRAPH:
		if (!strcmp(arg, "fp")) {
			env.unwind = PFT_UNWIND_FP;
		} else if (!strncmp(arg, "dwarf", 5) && (!arg[5] || arg[5] == ',')) {
			env.unwind = PFT_UNWIND_DWARF;
			if (arg[5] && (!pfb_parse_count(arg + 6, &v) || v < 4096 ||
				       v > PFT_STACK_MAX || v % 8))
				argp_error(state, "invalid stack size: %s (4096..%d, a "
					   "multiple of 8)", arg + 6, PFT_STACK_MAX);
			if (arg[5])
				env.stack_bytes = v;
		} else {
			argp_error(state, "unknown call graph: %s (dwarf[,SIZE], fp)", arg);
		}
		env.call_graph_set = true;
		break;
	case 'P':
		env.per_process = true;
		break;
	case 'o':
		env.png = arg;
		break;
	case OPT_LOG:
		env.log_colour = true;
		break;
	case PFT_OPT_BANDS:
		if (!pfb_parse_count(arg, &v) || v > PFT_MAX_BANDS)
			argp_error(state, "invalid band count: %s (1..%d)", arg, PFT_MAX_BANDS);
		env.heat_bands = v;
		break;
	case 'v':
		pfb_verbose = true;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		errno = 0;
		if (positional == 0) {
			for (i = 0; i < 5; i++)
				if (!strcmp(arg, views[i]))
					break;
			if (i == 5)
				argp_error(state, "unknown view: %s (where, lat, code, heat, top)", arg);
			env.view = i;
		} else if (positional == 1) {
			if (!pfb_parse_interval(arg, &env.interval))
				argp_error(state, "invalid interval: %s (0.01..3600 s)", arg);
		} else if (positional == 2) {
			if (!pfb_parse_count(arg, &env.count))
				argp_error(state, "invalid count: %s", arg);
		} else {
			argp_error(state, "unexpected argument: %s", arg);
		}
		positional++;
		break;
	case ARGP_KEY_END:
		if (!positional)
			argp_error(state, "which view? (where, lat, code, heat, top)");
		if (env.cmd && env.npids)
			argp_error(state, "-c and -p cannot be combined");
		if (env.folded && env.view != PFT_CODE)
			argp_error(state, "--folded is for the code view");
		if ((env.offsets || env.call_graph_set) && env.view != PFT_CODE)
			argp_error(state, "--call-graph and --offsets are for the code view");
		if (env.folded && env.fmt != PFB_TABLE)
			argp_error(state, "--folded is an output format of its own: "
				   "not with --csv or --json");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const char *pft_class_name(int cls)
{
	static const char *const n[] = {
		"minor-anon", "minor-file", "major-file", "major-swap", "cow",
	};

	return cls >= 0 && cls < PFT_NCLASS ? n[cls] : "?";
}

const char *pft_kind_name(int kind)
{
	static const char *const n[] = {
		"unknown", "file", "heap", "stack", "anon", "shm", "vdso",
	};

	return kind >= 0 && kind < PFT_NKIND ? n[kind] : "?";
}

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's own, not in the UAPI */
#endif

/*
 * code: the samples ring buffer, a 16th of the memory, between 16 and
 * 256 MiB (a power of two): it holds a burst of faults, 8 KiB each, while
 * user space unwinds (docs/pftrace.md, "What it costs").
 */
static __u32 samples_ring_size(void)
{
	return pft_mem_share(16ULL << 20, 256ULL << 20, 16);
}

__u64 pft_mem_share(__u64 lo, __u64 hi, unsigned int div)
{
	struct sysinfo si;
	__u64 want = lo;

	if (!sysinfo(&si))
		while (want < hi && 2 * want <= (__u64)si.totalram * si.mem_unit / div)
			want *= 2;
	return want;
}

static struct pftrace_bpf *open_skel(bool fexit)
{
	struct pftrace_bpf *skel = pftrace_bpf__open();
	typeof(skel->progs) *p;

	if (!skel) {
		fprintf(stderr, "pftrace: cannot open the BPF object: %s\n", strerror(errno));
		return NULL;
	}
	p = &skel->progs;
	skel->rodata->all_tasks = !env.npids && !env.cmd;
	skel->rodata->follow_forks = env.cmd != NULL;
	skel->rodata->spawner_tgid = env.cmd ? getpid() : 0;
	skel->rodata->want_maps = env.view == PFT_WHERE || env.view == PFT_HEAT;
	skel->rodata->want_stacks = env.view == PFT_CODE ? env.unwind : 0;
	skel->rodata->stack_bytes = env.stack_bytes;
	skel->rodata->want_events = env.view == PFT_HEAT;
	skel->rodata->want_hists = env.view == PFT_LAT || env.view == PFT_TOP;
	skel->rodata->want_vma = env.view != PFT_CODE;
	bpf_program__set_autoload(p->fx_entry, fexit);
	bpf_program__set_autoload(p->fx_exit, fexit);
	bpf_program__set_autoload(p->pe_minor, !fexit);
	bpf_program__set_autoload(p->pe_major, !fexit);
	bpf_program__set_autoload(p->on_fork, !skel->rodata->all_tasks || env.view == PFT_CODE);
	bpf_program__set_autoload(p->seed, env.npids > 0);
	bpf_map__set_autocreate(skel->maps.seed_pids, env.npids > 0);
	bpf_map__set_autocreate(skel->maps.events, env.view == PFT_HEAT);
	bpf_map__set_autocreate(skel->maps.samples, env.view == PFT_CODE);
	bpf_map__set_max_entries(skel->maps.samples, samples_ring_size());
	/* a per-CPU hash of 40960 histograms takes a while to create */
	if (!skel->rodata->want_hists)
		bpf_map__set_max_entries(skel->maps.hists, 1);
	return skel;
}

static struct pftrace_bpf *load_tp(bool *fexit)
{
	struct pftrace_bpf *skel = open_skel(false);
	int err;

	if (!skel)
		return NULL;
	err = pftrace_bpf__load(skel);
	if (!err) {
		*fexit = false;
		return skel;
	}
	pftrace_bpf__destroy(skel);
	pfb_load_error("pftrace", err);
	return NULL;
}

/*
 * -m fexit failed with @err (-errno) at @what (load or attach): privilege,
 * or the kernel's refusal of fexit on handle_mm_fault (some kernels refuse
 * tracing programs of that kind, EPERM or ENOTSUPP even for root), or the
 * verifier.
 */
static void fexit_error(const char *what, int err)
{
	if ((err == -EPERM || err == -EACCES) && !pfb_privileged())
		pfb_privilege_error("pftrace", err);
	else if (err == -EPERM || err == -ENOTSUPP || err == -EOPNOTSUPP)
		fprintf(stderr, "pftrace: the kernel refused attaching fexit to "
			"handle_mm_fault (%s: %s, although privileged); -m tp works "
			"without it (it does not see faults without a #PF)\n", what,
			pfb_errname(err));
	else
		pfb_load_error("pftrace", err);
}

/*
 * fexit where the kernel allows it (auto), else the tp+pe pair.  The
 * fexit try is quiet: libbpf's log of a refusal would say "ulimit -l";
 * -v shows it.
 */
static struct pftrace_bpf *load(bool *fexit, char *why, size_t len)
{
	struct pftrace_bpf *skel;
	int err;

	*why = 0;
	if (strcmp(env.method, "tp")) {
		skel = open_skel(true);
		if (!skel)
			return NULL;
		pfb_libbpf_quiet = true;
		err = pftrace_bpf__load(skel);
		pfb_libbpf_quiet = false;
		if (!err) {
			*fexit = true;
			return skel;
		}
		snprintf(why, len, "fexit handle_mm_fault: %s", pfb_errname(err));
		pftrace_bpf__destroy(skel);
		if (!strcmp(env.method, "fexit")) {
			fexit_error("load", err);
			return NULL;
		}
	}
	return load_tp(fexit);
}

/* tp+pe: a perf software event per CPU and class, sampling every fault. */
static int attach_pe(struct pftrace_bpf *skel, struct bpf_link **links, int ncpus)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(attr), .sample_period = 1,
	};
	int i, n = 0, fd, err;

	for (i = 0; i < 2 * ncpus; i++) {
		attr.config = i % 2 ? PERF_COUNT_SW_PAGE_FAULTS_MAJ : PERF_COUNT_SW_PAGE_FAULTS_MIN;
		fd = syscall(__NR_perf_event_open, &attr, -1, i / 2, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0 && errno == ENODEV)
			continue;
		if (fd < 0) {
			err = -errno;
			fprintf(stderr, "pftrace: perf_event_open: %s\n", strerror(-err));
			goto destroy_links;
		}
		links[n] = bpf_program__attach_perf_event(i % 2 ? skel->progs.pe_major :
							  skel->progs.pe_minor, fd);
		if (libbpf_get_error(links[n])) {
			close(fd);
			links[n] = NULL;
			err = -EINVAL;
			goto destroy_links;
		}
		n++;
	}
	return n;
destroy_links:
	while (n--) {
		bpf_link__destroy(links[n]);
		links[n] = NULL;
	}
	return err;
}

bool pft_who(struct pft_run *r, __u32 slot, __u32 *id, char comm[16])
{
	struct pfb_slot info;

	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.slots), &slot, &info) || !info.id)
		return false;
	*id = info.id;
	memcpy(comm, info.comm, 16);
	comm[15] = 0;
	return true;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (env.view == PFT_CODE)
		return pft_code_sample(ctx, data, size);
	if (size >= sizeof(struct pft_event))
		pft_heat_event(ctx, data);
	return 0;
}

static void show(struct pft_run *r, bool last)
{
	switch (env.view) {
	case PFT_WHERE:
		pft_where(r, last);
		break;
	case PFT_LAT:
		pft_lat(r, last);
		break;
	case PFT_CODE:
		pft_code(r, last);
		break;
	case PFT_TOP:
		pft_top(r, last);
		break;
	case PFT_HEAT:
		break;
	}
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* What ends a run besides Ctrl-C and count: the -c command, or every -p target. */
struct ends {
	const struct pfb_held *held;
	struct pfb_watch *watch;
};

/* Has the -c command exited (not reaped: top reads its CPU time still), or every -p target? */
static bool ended(const struct ends *e)
{
	siginfo_t si = {};

	if (e->held)
		return !waitid(P_PID, e->held->pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		       si.si_pid == e->held->pid;
	return e->watch && pfb_watch_wait(e->watch, 0);
}

/*
 * Wait one interval, or until the run ends (ended()): for heat, drain the
 * ring buffer meanwhile; for code, open new address spaces; for top, read
 * CPU times, and keys.  Returns false when the user asked to quit.
 */
static bool wait_interval(struct pft_run *r, struct ring_buffer *rb,
			  const struct ends *e, __u64 until)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	__u64 now;
	char key;
	int ms;

	while (!pfb_exiting && (now = mono_ns()) < until && !ended(e)) {
		ms = (until - now) / 1000000 + 1;
		if (env.view == PFT_TOP) {
			pft_top_poll(r);
			if (ms > 100)
				ms = 100;
		}
		if (rb && env.view == PFT_CODE) {
			/* the ring first; unwind while it is empty */
			pft_code_poll(r);
			if (ring_buffer__poll(rb, 0) <= 0 && !pft_code_unwind(r, 2))
				ring_buffer__poll(rb, ms < 10 ? ms : 10);
		} else if (rb) {
			ring_buffer__poll(rb, ms < 100 ? ms : 100);
		} else if (env.view == PFT_TOP && isatty(STDIN_FILENO)) {
			if (poll(&pfd, 1, ms) > 0 && read(STDIN_FILENO, &key, 1) == 1 &&
			    pft_top_key(key))
				return false;
		} else if (e->held) {
			pfb_held_wait(e->held, ms);
		} else if (e->watch) {
			pfb_watch_wait(e->watch, ms);
		} else {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	return !pfb_exiting;
}

void pft_json_begin(struct pft_run *r)
{
	static const char *const names[] = { "where", "lat", "top", "code", "heat" };

	r->json_objs = 0;
	if (env.fmt != PFB_JSON || env.jsonl)
		return;
	printf("{\"tool\":\"pftrace\",\"version\":1,\"view\":\"%s\",\"method\":\"%s\","
	       "\"interval_s\":%g,\"intervals\":[\n", names[env.view],
	       r->fexit ? "fexit" : "tp+pe", env.interval);
	fflush(stdout);
}

void pft_json_next(struct pft_run *r)
{
	if (env.fmt == PFB_JSON && !env.jsonl && r->json_objs)
		putchar(',');
	r->json_objs++;
}

static __u64 recursion_misses(struct pftrace_bpf *skel);

/* report_accounting()'s figures, as "accounting":{...} */
static void json_accounting(struct pft_run *r)
{
	const struct pft_left_out *lo = &r->skel->bss->left_out;

	printf("\"accounting\":{\"faults\":%llu,\"processes\":%u",
	       (unsigned long long)lo->faults, r->skel->data->next_slot - 1);
	if (r->have_ru)
		printf(",\"wait4_minflt\":%ld,\"wait4_majflt\":%ld,\"not_seen\":%lld",
		       r->ru.ru_minflt, r->ru.ru_majflt,
		       (long long)(r->ru.ru_minflt + r->ru.ru_majflt - lo->faults));
	printf(",\"recursion_misses\":%llu", (unsigned long long)recursion_misses(r->skel));
	printf(",\"left_out\":{\"no_stack\":%llu,\"ring_full\":%llu,\"not_timed\":%llu,"
	       "\"hists_full\":%llu,\"maps_full\":%llu,\"heat_lost\":%llu}}",
	       (unsigned long long)lo->no_stack, (unsigned long long)lo->ring_full,
	       (unsigned long long)lo->unpaired, (unsigned long long)lo->hists_full,
	       (unsigned long long)lo->maps_full, (unsigned long long)r->skel->bss->lost_events);
}

void pft_json_end(struct pft_run *r)
{
	if (env.fmt != PFB_JSON || env.jsonl)
		return;
	printf("],\"run_secs\":%.6f,", r->run_secs);
	json_accounting(r);
	printf("}\n");
	fflush(stdout);
}

static int run(struct pft_run *r, struct pfb_held *held, struct pfb_watch *watch)
{
	struct ends e = { .held = held, .watch = watch };
	struct ring_buffer *rb = NULL;
	int status, err = 0;
	bool done = false, exited = false;
	__u64 t;

	if (env.view == PFT_HEAT || env.view == PFT_CODE) {
		rb = ring_buffer__new(bpf_map__fd(env.view == PFT_CODE ? r->skel->maps.samples :
						  r->skel->maps.events), on_event, r, NULL);
		if (!rb) {
			fprintf(stderr, "pftrace: cannot read the ring buffer: %s\n", strerror(errno));
			return 1;
		}
	}
	/*
	 * Every process's CPU time at the start, before the command runs:
	 * reading /proc takes a while (0.3 s on the debug kernel), and the
	 * command's first part would be in the base.
	 */
	if (env.view == PFT_TOP)
		pft_top_poll(r);
	if (held && (err = pfb_held_release(held))) {
		fprintf(stderr, "pftrace: cannot run '%s': %s\n", env.cmd, strerror(err));
		waitpid(held->pid, NULL, 0);
		ring_buffer__free(rb);
		return 1;
	}
	t = r->start_ns = r->mono_ns = mono_ns();
	for (;;) {
		if (!wait_interval(r, rb, &e, t + (__u64)(env.interval * 1e9)))
			done = true;
		if (ended(&e))
			done = exited = true;
		if (rb)
			ring_buffer__consume(rb);
		r->mono_ns = mono_ns();
		r->secs = (r->mono_ns - t) / 1e9;
		r->run_secs = (r->mono_ns - r->start_ns) / 1e9;
		t = r->mono_ns;
		r->seq++;
		if (env.count > 0 && r->seq >= env.count)
			done = true;
		show(r, done);	/* each interval; the last one says so */
		if (done)
			break;
	}
	if (rb && env.view == PFT_HEAT) {
		ring_buffer__consume(rb);
		/* stop following forks: gnuplot is pftrace's child, not a target */
		pftrace_bpf__detach(r->skel);
		err = pft_heat_end(r);
	}
	ring_buffer__free(rb);
	if (held) {
		if (!exited && !ended(&e))
			kill(held->pid, SIGTERM);
		/* its rusage: the faults it took, for report_accounting() */
		if (wait4(held->pid, &status, 0, &r->ru) == held->pid)
			r->have_ru = true;
		pfb_held_close(held);
	}
	return err;
}

/*
 * Runs the kernel skipped because a program was already running on that
 * CPU (fexit under preemption, docs/witness.md): the counts may be short
 * by that many, so say so.
 */
static __u64 recursion_misses(struct pftrace_bpf *skel)
{
	struct bpf_program *prog;
	__u64 misses = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			misses += info.recursion_misses;
	}
	return misses;
}

static void report_misses(struct pftrace_bpf *skel)
{
	__u64 misses = recursion_misses(skel);

	if (misses)
		fprintf(stderr, "pftrace: %llu program %s skipped by the kernel "
			"(recursion_misses): counts may be short by as many\n",
			(unsigned long long)misses, pfb_plural(misses, "run", "runs"));
}

/*
 * Every fault counted, and the ones each view left out, by cause; with
 * -c, the command's own count (wait4) beside: what the method cannot see
 * is the difference (docs/pftrace.md, "Every fault accounted for").
 */
static void report_accounting(struct pft_run *r)
{
	const struct pft_left_out *lo = &r->skel->bss->left_out;
	unsigned long long ru;

	__u32 rows = r->skel->data->next_slot - 1;

	fprintf(stderr, "pftrace: faults counted: %llu in %u process%s\n",
		(unsigned long long)lo->faults, rows, rows == 1 ? "" : "es");
	if (r->have_ru) {
		ru = r->ru.ru_minflt + r->ru.ru_majflt;
		fprintf(stderr, "pftrace: the command's faults (wait4): %llu (minflt %ld, "
			"majflt %ld); not seen: %lld (%s)\n", ru, r->ru.ru_minflt,
			r->ru.ru_majflt, (long long)(ru - lo->faults), r->fexit ?
			"program runs the kernel skipped, said below, or faults of "
			"children it did not wait for" : "faults without a #PF, "
			"get_user_pages: only the fexit method sees those");
	}
	if (env.view == PFT_CODE)
		fprintf(stderr, "pftrace: left out of code: %llu without a user stack, "
			"%llu with the ring buffer full\n", (unsigned long long)lo->no_stack,
			(unsigned long long)lo->ring_full);
	if (env.view == PFT_LAT || env.view == PFT_TOP)
		fprintf(stderr, "pftrace: left out of %s: %llu not timed (their #PF's "
			"start not seen), %llu with the histograms' map full\n",
			env.view == PFT_LAT ? "lat" : "top", (unsigned long long)lo->unpaired, (unsigned long long)lo->hists_full);
	if (env.view == PFT_WHERE || env.view == PFT_HEAT)
		fprintf(stderr, "pftrace: left out of where: %llu with the mappings' map full\n",
			(unsigned long long)lo->maps_full);
	if (env.view == PFT_HEAT)
		fprintf(stderr, "pftrace: left out of heat: %llu with the ring buffer full\n",
			(unsigned long long)r->skel->bss->lost_events);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, argp_doc, NULL, NULL, NULL };
	struct pft_run r = {};
	struct bpf_link *pe_links[2 * 1024] = {};
	struct pfb_held held, *h = NULL;
	struct pfb_watch watch, *w = NULL;
	struct pfb_cmd cmd = {};
	char why[128];
	int i, err, npe = 0;
	__u8 one = 1;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	for (i = 0; i < env.npids; i++)
		if (kill(env.pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "pftrace: no process with PID %d\n", env.pids[i]);
			return 1;
		}
	libbpf_set_print(pfb_libbpf_print);
	r.ncpus = libbpf_num_possible_cpus();
	if (r.ncpus <= 0 || r.ncpus > 1024) {
		fprintf(stderr, "pftrace: cannot count CPUs\n");
		return 1;
	}
	/* the probe creates a map: without privilege it fails as every load would */
	err = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL);
	if (err == -EPERM || err == -EACCES) {
		pfb_load_error("pftrace", err);
		return 1;
	}
	if (err != 1) {
		fprintf(stderr, "pftrace: needs BPF task storage (Linux 5.11 or later), "
			"which this kernel lacks\n");
		return 1;
	}
	r.skel = load(&r.fexit, why, sizeof(why));
	if (!r.skel)
		return 1;
	err = pftrace_bpf__attach(r.skel);
	if (err && r.fexit) {
		/* loaded, but the kernel may still refuse to attach fexit */
		if (!strcmp(env.method, "fexit")) {
			fexit_error("attach", err);
			goto cleanup;
		}
		snprintf(why, sizeof(why), "fexit handle_mm_fault: attach: %s", pfb_errname(err));
		pftrace_bpf__destroy(r.skel);
		r.skel = load_tp(&r.fexit);
		if (!r.skel)
			return 1;
		err = pftrace_bpf__attach(r.skel);
	}
	if (!err && !r.fexit) {
		npe = attach_pe(r.skel, pe_links, r.ncpus);
		if (npe < 0)
			err = npe;
	}
	if (err) {
		fprintf(stderr, "pftrace: cannot attach: %s\n", pfb_errname(err));
		goto cleanup;
	}
	if (r.fexit)
		fprintf(stderr, "pftrace: method: fexit on handle_mm_fault (sees faults "
			"without a #PF too: get_user_pages)\n");
	else
		fprintf(stderr, "pftrace: method: page_fault_user paired with "
			"mm_account_fault's perf software event%s%s%s; faults without a "
			"#PF (get_user_pages) are not seen\n", why[0] ? " (" : "", why,
			why[0] ? ")" : "");
	fprintf(stderr, "pftrace: mappings: resolved in BPF (%s)\n",
		r.fexit ? "handle_mm_fault's vma" : "bpf_find_vma");
	err = 1;
	for (i = 0; i < env.npids; i++)
		bpf_map_update_elem(bpf_map__fd(r.skel->maps.seed_pids), &env.pids[i], &one, BPF_ANY);
	if (env.npids && (err = pfb_seed_iter(r.skel->progs.seed))) {
		fprintf(stderr, "pftrace: cannot seed targets: %s\n", strerror(-err));
		goto cleanup;
	}
	if (env.cmd) {
		err = pfb_cmd_split(&cmd, env.cmd);
		if (!err)
			err = pfb_held_spawn(&held, &cmd, env.fmt != PFB_TABLE ||
					     env.view == PFT_CODE);
		if (err) {
			fprintf(stderr, "pftrace: cannot start '%s': %s\n", env.cmd, strerror(-err));
			goto cleanup;
		}
		h = &held;
	}
	if (env.npids) {
		pfb_watch_open(&watch, env.pids, env.npids);
		w = &watch;
	}
	pfb_catch_signals();
	if (env.view == PFT_CODE)
		pft_code_init();
	pft_json_begin(&r);
	err = run(&r, h, w);
	pft_json_end(&r);
	report_accounting(&r);
	report_misses(r.skel);
	if (r.skel->bss->lost_map_full)
		fprintf(stderr, "pftrace: %llu %s not counted: no row or thread state left\n",
			(unsigned long long)r.skel->bss->lost_map_full,
			pfb_plural(r.skel->bss->lost_map_full, "event", "events"));
	if (w)
		pfb_watch_close(w);
cleanup:
	for (i = 0; i < npe; i++)
		bpf_link__destroy(pe_links[i]);
	pfb_cmd_free(&cmd);
	pftrace_bpf__destroy(r.skel);
	return err != 0;
}
