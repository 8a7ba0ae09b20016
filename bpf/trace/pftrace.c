// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pftrace - where page faults happen, how long they take, and who takes
 * them now: by mapping, by code site, latency histograms, a heat map and
 * a live view.  See docs/pftrace.md.
 *
 * This file parses the command line, loads and attaches the BPF programs
 * and runs the intervals; what is shown is a view's (view.h), reached
 * through the table in views/views.c only.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "pftrace.skel.h"
#include "targets.h"
#include "cli.h"

const char *argp_program_version = "pftrace 1.0";
static const char argp_doc[] =
"Where page faults happen, how long they take, and who takes them now.\n"
"\n"
"USAGE: pftrace where|lat|code|heat|top|serve [-p PID]... [-c 'CMD ARGS']\n"
"               [-m auto|fexit|tp] [--csv|--json|--jsonl] [OPTIONS] [interval] [count]\n"
"\n"
"Views:\n"
"  where   faults per mapping (file, heap, stack, anon, shm, vdso)\n"
"  lat     time in the fault handler: log2 histograms per class\n"
"  code    faults per user-space code site (symbolized), with their\n"
"          stacks (--call-graph dwarf or fp); --folded for flame graphs\n"
"  heat    fault address x time as a PNG (gnuplot), at the end\n"
"  top     a live table of the processes faulting most\n"
"  serve   a Prometheus /metrics endpoint (--listen ADDR:PORT)\n"
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
"    pftrace top --jsonl 5 | jq .procs          # an object per interval\n"
"    pftrace serve --listen 127.0.0.1:9477     # Prometheus exporter\n";

/* The command line, as parsed (parse_arg()). */
struct pft_cli {
	struct pft_opts o;
	const struct pft_view *v;
	void *state;		/* the view's, calloc'ed once it is known */
	int positional;
	/* the views' options, kept until the view is known (ARGP_KEY_END) */
	struct pending {
		int key;
		char *arg;
	} *pending;
	int npending;
};

/* The options before the views' and after them, in --help's order. */
static const struct argp_option opts_common[] = {
	{ "pid", 'p', "PID", 0, "Trace this process (repeatable)", 0 },
	{ "command", 'c', "CMD", 0, "Run CMD (split on blanks, no shell), held "
	  "until attached; follow its descendants", 0 },
	{ "method", 'm', "HOW", 0, "auto (default), fexit (handle_mm_fault) or tp "
	  "(page_fault_user + perf software event)", 0 },
	{ "csv", PFT_OPT_CSV, NULL, 0, "CSV output", 0 },
	{ "json", PFT_OPT_JSON, NULL, 0, "JSON output: one document per run", 0 },
	{ "jsonl", PFT_OPT_JSONL, NULL, 0, "JSON Lines: one object per interval and line", 0 },
	{},
};
static const struct argp_option opts_last[] = {
	{ "verbose", 'v', NULL, 0, "libbpf's debug output", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

/* Every option: the common ones, each view's (once), the last ones. */
static struct argp_option all_opts[64];

static const struct argp_option *find_opt(const struct argp_option *o, int key)
{
	for (; o->name || o->key; o++)
		if (o->key == key)
			return o;
	return NULL;
}

static void add_opts(const struct argp_option *o, int *n)
{
	for (; o && (o->name || o->key); o++)
		if (!find_opt(all_opts, o->key) && *n < (int)(sizeof(all_opts) / sizeof(all_opts[0])) - 1)
			all_opts[(*n)++] = *o;
}

static void build_opts(void)
{
	const struct pft_view *const *v;
	int n = 0;

	add_opts(opts_common, &n);
	for (v = pft_views; *v; v++)
		add_opts((*v)->options, &n);
	add_opts(opts_last, &n);
}

static void parse_common(struct pft_opts *o, int key, char *arg, struct argp_state *state)
{
	if (pfb_parse_target(&o->tg, key, arg, state))	/* -p, -c, -v */
		return;
	switch (key) {
	case 'm':
		if (strcmp(arg, "auto") && strcmp(arg, "fexit") && strcmp(arg, "tp"))
			argp_error(state, "unknown method: %s (auto, fexit, tp)", arg);
		o->method = arg;
		break;
	case PFT_OPT_CSV:
		o->fmt = PFB_CSV;
		break;
	case PFT_OPT_JSON:
	case PFT_OPT_JSONL:
		o->fmt = PFB_JSON;
		o->jsonl = key == PFT_OPT_JSONL;
		break;
	}
}

/* The view, then interval and count. */
static void parse_positional(struct pft_cli *c, char *arg, struct argp_state *state)
{
	errno = 0;
	if (c->positional == 0) {
		c->v = pft_view_find(arg);
		if (!c->v)
			argp_error(state, "unknown view: %s (where, lat, code, heat, top, serve)", arg);
	} else if (c->positional == 1) {
		if (!pfb_parse_interval(arg, &c->o.interval))
			argp_error(state, "invalid interval: %s (0.01..3600 s)", arg);
	} else if (c->positional == 2) {
		if (!pfb_parse_count(arg, &c->o.count))
			argp_error(state, "invalid count: %s", arg);
	} else {
		argp_error(state, "unexpected argument: %s", arg);
	}
	c->positional++;
}

/* "-o" or "--bands"; and "the heat view" or "the where and code views". */
static void refuse_opt(const struct pft_cli *c, int key, struct argp_state *state)
{
	const struct argp_option *o = find_opt(all_opts, key);
	const struct pft_view *const *v;
	char name[64], views[128] = "";
	int n = 0;

	if (key > ' ' && key < 127)
		snprintf(name, sizeof(name), "-%c", key);
	else
		snprintf(name, sizeof(name), "--%s", o && o->name ? o->name : "?");
	for (v = pft_views; *v; v++)
		if ((*v)->options && find_opt((*v)->options, key))
			snprintf(views + strlen(views), sizeof(views) - strlen(views), "%s%s",
				 n++ ? " and " : "", (*v)->name);
	argp_error(state, "%s is for the %s view%s, not %s", name, views, n > 1 ? "s" : "",
		   c->v->name);
}

/*
 * The view is known: its state, its defaults, its options (one it does not
 * take is refused), and its checks across options.
 */
static void parse_view_opts(struct pft_cli *c, struct argp_state *state)
{
	const struct pft_view *v = c->v;
	int i;

	c->state = calloc(1, v->state_size);
	if (!c->state)
		argp_failure(state, 1, ENOMEM, "the %s view", v->name);
	if (v->parse)
		v->parse(c->state, &c->o, ARGP_KEY_INIT, NULL, state);
	for (i = 0; i < c->npending; i++) {
		if (!v->options || !find_opt(v->options, c->pending[i].key))
			refuse_opt(c, c->pending[i].key, state);
		v->parse(c->state, &c->o, c->pending[i].key, c->pending[i].arg, state);
	}
	if (v->parse)
		v->parse(c->state, &c->o, ARGP_KEY_END, NULL, state);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct pft_cli *c = state->input;

	switch (key) {
	case 'p': case 'c': case 'm': case 'v':
	case PFT_OPT_CSV: case PFT_OPT_JSON: case PFT_OPT_JSONL:
		parse_common(&c->o, key, arg, state);
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		parse_positional(c, arg, state);
		break;
	case ARGP_KEY_END:
		if (!c->positional)
			argp_error(state, "which view? (where, lat, code, heat, top, serve)");
		if (c->o.tg.cmd && c->o.tg.npids)
			argp_error(state, "-c and -p cannot be combined");
		parse_view_opts(c, state);
		break;
	default:
		if (!find_opt(all_opts, key))
			return ARGP_ERR_UNKNOWN;
		c->pending[c->npending].key = key;	/* room for argc */
		c->pending[c->npending++].arg = arg;
		break;
	}
	return 0;
}

/* 0, or 2 on a usage error (argp said why). */
static int parse_cmdline(struct pft_cli *c, int argc, char **argv)
{
	static const struct argp argp = { all_opts, parse_arg, NULL, argp_doc, NULL, NULL, NULL };

	c->o = (struct pft_opts){ .interval = 1.0, .count = -1, .method = "auto" };
	c->pending = calloc(argc, sizeof(*c->pending));
	if (!c->pending) {
		fprintf(stderr, "pftrace: %s\n", strerror(ENOMEM));
		return 1;
	}
	build_opts();
	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, c))
		return 2;
	return 0;
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


/*
 * exceptions:page_fault_user/_kernel are x86's: arm64 and the others have
 * no tracepoint at a fault's start (every tracepoint has its
 * btf_trace_<name> typedef in the kernel's BTF).  Without BTF, say yes:
 * the load says what fails.
 */
static bool kernel_has_fault_tp(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has;

	if (libbpf_get_error(btf))
		return true;
	has = btf__find_by_name_kind(btf, "btf_trace_page_fault_user", BTF_KIND_TYPEDEF) >= 0;
	btf__free(btf);
	return has;
}

static struct pftrace_bpf *open_skel(const struct pft_cli *c, bool fexit)
{
	struct pftrace_bpf *skel = pftrace_bpf__open();
	const struct pft_opts *o = &c->o;
	unsigned int needs = c->v->needs;
	typeof(skel->progs) *p;

	if (!skel) {
		fprintf(stderr, "pftrace: cannot open the BPF object: %s\n", strerror(errno));
		return NULL;
	}
	p = &skel->progs;
	skel->rodata->all_tasks = !o->tg.npids && !o->tg.cmd;
	skel->rodata->follow_forks = o->tg.cmd != NULL;
	skel->rodata->spawner_tgid = o->tg.cmd ? getpid() : 0;
	skel->rodata->want_maps = !!(needs & PFT_NEEDS_MAPS);
	skel->rodata->want_stacks = 0;
	skel->rodata->stack_bytes = 8192;
	skel->rodata->want_events = !!(needs & PFT_NEEDS_EVENTS);
	skel->rodata->want_hists = !!(needs & PFT_NEEDS_HISTS);
	skel->rodata->want_rows = !!(needs & PFT_NEEDS_ROWS);
	if (!(needs & PFT_NEEDS_ROWS))
		bpf_map__set_max_entries(skel->maps.rows, 1);
	skel->rodata->want_vma = !(needs & PFT_NEEDS_SAMPLES);
	bpf_program__set_autoload(p->on_free, false);	/* a view that reuses rows loads it */
	skel->rodata->have_fault_tp = kernel_has_fault_tp();
	bpf_program__set_autoload(p->pf_entry, skel->rodata->have_fault_tp);
	bpf_program__set_autoload(p->pf_kentry, skel->rodata->have_fault_tp);
	bpf_program__set_autoload(p->fx_entry, fexit);
	bpf_program__set_autoload(p->fx_exit, fexit);
	bpf_program__set_autoload(p->pe_minor, !fexit);
	bpf_program__set_autoload(p->pe_major, !fexit);
	bpf_program__set_autoload(p->on_fork, !skel->rodata->all_tasks ||
				  (needs & PFT_NEEDS_SAMPLES));
	bpf_program__set_autoload(p->seed, o->tg.npids > 0);
	bpf_map__set_autocreate(skel->maps.seed_pids, o->tg.npids > 0);
	bpf_map__set_autocreate(skel->maps.events, needs & PFT_NEEDS_EVENTS);
	bpf_map__set_autocreate(skel->maps.samples, needs & PFT_NEEDS_SAMPLES);
	bpf_map__set_max_entries(skel->maps.samples, samples_ring_size());
	/* a per-CPU hash of 40960 histograms takes a while to create */
	if (!skel->rodata->want_hists)
		bpf_map__set_max_entries(skel->maps.hists, 1);
	/* last: a view may change any of the above */
	if (c->v->setup)
		c->v->setup(c->state, skel);
	return skel;
}

static struct pftrace_bpf *load_tp(const struct pft_cli *c, bool *fexit, const char *why)
{
	struct pftrace_bpf *skel;
	int err;

	if (!kernel_has_fault_tp()) {
		fprintf(stderr, "pftrace: -m tp needs the tracepoint exceptions:page_fault_user, "
			"which this kernel has not (x86 only); -m fexit traces faults here%s%s\n",
			*why ? ", but " : "", why);
		return NULL;
	}
	skel = open_skel(c, false);
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
static struct pftrace_bpf *load(const struct pft_cli *c, bool *fexit, char *why, size_t len)
{
	struct pftrace_bpf *skel;
	int err;

	*why = 0;
	if (strcmp(c->o.method, "tp")) {
		skel = open_skel(c, true);
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
		if (!strcmp(c->o.method, "fexit")) {
			fexit_error("load", err);
			return NULL;
		}
	}
	return load_tp(c, fexit, why);
}

/* tp+pe: the links of a perf software event per CPU and class */
struct pe_links {
	int n;
	struct bpf_link *l[2 * 1024];
};

/*
 * tp+pe: a perf software event per CPU and class, sampling every fault.
 * Each link is in @pe as soon as it is made: on a failure part way the
 * caller's cleanup destroys those made (pe_destroy()).
 */
static int attach_pe(struct pftrace_bpf *skel, struct pe_links *pe, int ncpus)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(attr), .sample_period = 1,
	};
	struct bpf_link *link;
	int i, fd, err;

	for (i = 0; i < 2 * ncpus && pe->n < (int)(sizeof(pe->l) / sizeof(pe->l[0])); i++) {
		attr.config = i % 2 ? PERF_COUNT_SW_PAGE_FAULTS_MAJ : PERF_COUNT_SW_PAGE_FAULTS_MIN;
		fd = syscall(__NR_perf_event_open, &attr, -1, i / 2, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0 && errno == ENODEV)
			continue;
		if (fd < 0) {
			err = -errno;
			fprintf(stderr, "pftrace: perf_event_open: %s\n", strerror(-err));
			return err;
		}
		link = bpf_program__attach_perf_event(i % 2 ? skel->progs.pe_major :
						      skel->progs.pe_minor, fd);
		if (libbpf_get_error(link)) {
			close(fd);
			return -EINVAL;
		}
		pe->l[pe->n++] = link;
	}
	return 0;
}

static void pe_destroy(struct pe_links *pe)
{
	while (pe->n > 0)
		bpf_link__destroy(pe->l[--pe->n]);
}

/* What is traced besides -p's PIDs: the -c command, and the -p watch. */
struct pft_targets {
	struct pfb_cmd cmd;
	struct pfb_held held, *h;	/* h: spawned, not yet reaped */
	struct pfb_watch watch, *w;
};

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

/* A ring-buffer record, to the view. */
struct ring_ctx {
	const struct pft_cli *c;
	struct pft_run *r;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct ring_ctx *x = ctx;

	return x->c->v->event(x->c->state, x->r, data, size);
}

/* ring_buffer__poll's count, or a view's error; a signal is not one. */
static int ring_poll(struct ring_buffer *rb, int ms)
{
	int n = ring_buffer__poll(rb, ms);

	return n == -EINTR ? 0 : n;
}

/*
 * Wait up to @ms: drain the ring buffer (a view with work left over does
 * it while the ring is empty), or read a key, or wait for the targets.
 * 1 if the user asked to quit, 0, or a view's -errno.
 */
static int wait_some(const struct pft_cli *c, struct pft_run *r, struct ring_buffer *rb,
		     const struct ends *e, int ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	const struct pft_view *v = c->v;
	char key;
	int n;

	if (rb && v->idle) {
		/* the ring first; the view's work while it is empty */
		n = ring_poll(rb, 0);
		if (!n)
			n = v->idle(c->state, r);
		if (!n)
			n = ring_poll(rb, ms < 10 ? ms : 10);
		return n < 0 ? n : 0;
	} else if (rb) {
		n = ring_poll(rb, ms < 100 ? ms : 100);
		return n < 0 ? n : 0;
	} else if (v->key && isatty(STDIN_FILENO)) {
		if (poll(&pfd, 1, ms) > 0 && read(STDIN_FILENO, &key, 1) == 1)
			return v->key(c->state, key) > 0;
	} else if (e->held) {
		pfb_held_wait(e->held, ms);
	} else if (e->watch) {
		pfb_watch_wait(e->watch, ms);
	} else {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	return 0;
}

/*
 * Wait one interval, or until the run ends (ended()), the view polling
 * every 100 ms meanwhile (top: CPU times; code: new address spaces).
 * 1 to go on, 0 when the user asked to quit, or a view's -errno.
 */
static int wait_interval(const struct pft_cli *c, struct pft_run *r, struct ring_buffer *rb,
			 const struct ends *e, __u64 until)
{
	__u64 now;
	int ms, err = 0;

	while (!err && !pfb_exiting && (now = mono_ns()) < until && !ended(e)) {
		ms = (until - now) / 1000000 + 1;
		if (c->v->poll) {
			err = c->v->poll(c->state, r);
			if (ms > 100)
				ms = 100;
		}
		if (!err)
			err = wait_some(c, r, rb, e, ms);
	}
	if (err)
		return err < 0 ? err : 0;
	return !pfb_exiting;
}

static void view_error(const struct pft_cli *c, int err)
{
	fprintf(stderr, "pftrace: %s: %s\n", c->v->name, strerror(-err));
}

/* The intervals, each shown by the view, until count, Ctrl-C or the targets end. */
static int intervals(const struct pft_cli *c, struct pft_run *r, struct ring_buffer *rb,
		     const struct ends *e, bool *exited)
{
	bool done = false;
	int w, err = 0;
	__u64 t;

	t = r->start_ns = r->mono_ns = mono_ns();
	while (!done && !err) {
		w = wait_interval(c, r, rb, e, t + (__u64)(c->o.interval * 1e9));
		if (w < 0) {
			err = w;
			break;
		}
		done = !w;
		if (ended(e))
			done = *exited = true;
		if (rb && (w = ring_buffer__consume(rb)) < 0)
			err = w;
		r->mono_ns = mono_ns();
		r->secs = (r->mono_ns - t) / 1e9;
		r->run_secs = (r->mono_ns - r->start_ns) / 1e9;
		t = r->mono_ns;
		r->seq++;
		if (c->o.count > 0 && r->seq >= c->o.count)
			done = true;
		/* each interval; the last one says so */
		if (!err && c->v->interval)
			err = c->v->interval(c->state, r, done);
	}
	if (err)
		view_error(c, err);
	return err;
}

/* The -c command: stopped unless it has exited, reaped (its rusage), closed. */
static void reap_command(struct pft_run *r, struct pft_targets *t, bool exited)
{
	struct ends e = { .held = t->h };
	int status;

	if (!t->h)
		return;
	if (!exited && !ended(&e))
		kill(t->held.pid, SIGTERM);
	/* its rusage: the faults it took, for report_accounting() */
	if (wait4(t->held.pid, &status, 0, &r->ru) == t->held.pid)
		r->have_ru = true;
	pfb_held_close(&t->held);
	t->h = NULL;
}

static int run(const struct pft_cli *c, struct pft_run *r, struct pft_targets *t)
{
	const struct pft_view *v = c->v;
	struct ends e = { .held = t->h, .watch = t->w };
	struct ring_ctx ctx = { .c = c, .r = r };
	struct ring_buffer *rb = NULL;
	bool exited = false;
	int err;

	if (v->needs & (PFT_NEEDS_EVENTS | PFT_NEEDS_SAMPLES)) {
		rb = ring_buffer__new(bpf_map__fd(v->needs & PFT_NEEDS_SAMPLES ?
						  r->skel->maps.samples : r->skel->maps.events),
				      on_event, &ctx, NULL);
		if (!rb) {
			fprintf(stderr, "pftrace: cannot read the ring buffer: %s\n", strerror(errno));
			return 1;
		}
	}
	if (t->h && (err = pfb_held_release(t->h))) {
		fprintf(stderr, "pftrace: cannot run '%s': %s\n", c->o.tg.cmd, strerror(err));
		ring_buffer__free(rb);
		return 1;
	}
	err = intervals(c, r, rb, &e, &exited);
	if (!err && v->end) {
		if (rb && (err = ring_buffer__consume(rb)) < 0)
			view_error(c, err);
		/* stop following forks: gnuplot is pftrace's child, not a target */
		pftrace_bpf__detach(r->skel);
		if (err >= 0)
			err = v->end(c->state, r);
	}
	ring_buffer__free(rb);
	reap_command(r, t, exited);
	return err;
}

static void report_misses(struct pftrace_bpf *skel)
{
	__u64 misses = pft_recursion_misses(skel);

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
static void report_accounting(const struct pft_view *v, struct pft_run *r)
{
	const struct pft_left_out *lo = &r->skel->bss->left_out;
	unsigned long long ru;
	__u32 rows = pft_rows_taken(r);

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
	if (v->needs & PFT_NEEDS_SAMPLES)
		fprintf(stderr, "pftrace: left out of code: %llu without a user stack, "
			"%llu with the ring buffer full\n", (unsigned long long)lo->no_stack,
			(unsigned long long)lo->ring_full);
	if (v->needs & PFT_NEEDS_HISTS)
		fprintf(stderr, "pftrace: left out of %s: %llu not timed (their #PF's "
			"start not seen), %llu with the histograms' map full\n",
			v->name, (unsigned long long)lo->unpaired,
			(unsigned long long)lo->hists_full);
	if (v->needs & PFT_NEEDS_MAPS)
		fprintf(stderr, "pftrace: left out of where: %llu with the mappings' map full\n",
			(unsigned long long)lo->maps_full);
	if (v->needs & PFT_NEEDS_EVENTS)
		fprintf(stderr, "pftrace: left out of heat: %llu with the ring buffer full\n",
			(unsigned long long)r->skel->bss->lost_events);
}


/* Each -p PID is a process. */
static int check_pids(const struct pft_opts *o)
{
	int i;

	for (i = 0; i < o->tg.npids; i++)
		if (kill(o->tg.pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "pftrace: no process with PID %d\n", o->tg.pids[i]);
			return -ESRCH;
		}
	return 0;
}

/* The CPUs, privilege, and task storage (5.11+). */
static int probe_kernel(struct pft_run *r)
{
	int err;

	libbpf_set_print(pfb_libbpf_print);
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0 || r->ncpus > 1024) {
		fprintf(stderr, "pftrace: cannot count CPUs\n");
		return -EINVAL;
	}
	/* the probe creates a map: without privilege it fails as every load would */
	err = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL);
	if (err == -EPERM || err == -EACCES) {
		pfb_load_error("pftrace", err);
		return err;
	}
	if (err != 1) {
		fprintf(stderr, "pftrace: needs BPF task storage (Linux 5.11 or later), "
			"which this kernel lacks\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * Load (fexit where the kernel allows it, else tp) and attach: fexit may
 * still be refused at attach, and then tp is loaded (-m auto).  @why: why
 * not fexit.
 */
static int load_and_attach(const struct pft_cli *c, struct pft_run *r, struct pe_links *pe,
			   char *why, size_t len)
{
	int err;

	r->skel = load(c, &r->fexit, why, len);
	if (!r->skel)
		return -EINVAL;
	err = pftrace_bpf__attach(r->skel);
	if (err && r->fexit) {
		/* loaded, but the kernel may still refuse to attach fexit */
		if (!strcmp(c->o.method, "fexit")) {
			fexit_error("attach", err);
			return err;
		}
		snprintf(why, len, "fexit handle_mm_fault: attach: %s", pfb_errname(err));
		pftrace_bpf__destroy(r->skel);
		r->skel = load_tp(c, &r->fexit, why);
		if (!r->skel)
			return -EINVAL;
		err = pftrace_bpf__attach(r->skel);
	}
	if (!err && !r->fexit)
		err = attach_pe(r->skel, pe, r->ncpus);
	if (err)
		fprintf(stderr, "pftrace: cannot attach: %s\n", pfb_errname(err));
	return err;
}

static void say_method(const struct pft_run *r, const char *why)
{
	if (r->fexit && !r->skel->rodata->have_fault_tp)
		fprintf(stderr, "pftrace: method: fexit on handle_mm_fault (sees faults "
			"without a #PF too: get_user_pages)\n"
			"pftrace: no exceptions:page_fault_user on this kernel "
			"(x86 only): no #PF error code, so copy-on-write faults are "
			"counted as minor, not as cow\n");
	else if (r->fexit)
		fprintf(stderr, "pftrace: method: fexit on handle_mm_fault (sees faults "
			"without a #PF too: get_user_pages)\n");
	else
		fprintf(stderr, "pftrace: method: page_fault_user paired with "
			"mm_account_fault's perf software event%s%s%s; faults without a "
			"#PF (get_user_pages) are not seen\n", why[0] ? " (" : "", why,
			why[0] ? ")" : "");
	fprintf(stderr, "pftrace: mappings: resolved in BPF (%s)\n",
		r->fexit ? "handle_mm_fault's vma" : "bpf_find_vma");
}

/* -p: the processes' threads into the task storage. */
static int seed_targets(const struct pft_opts *o, struct pft_run *r)
{
	__u8 one = 1;
	int i, err;

	for (i = 0; i < o->tg.npids; i++)
		bpf_map_update_elem(bpf_map__fd(r->skel->maps.seed_pids), &o->tg.pids[i], &one, BPF_ANY);
	if (o->tg.npids && (err = pfb_seed_iter(r->skel->progs.seed))) {
		fprintf(stderr, "pftrace: cannot seed targets: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* -c: the command, held before its exec until run() releases it; -p: the watch. */
static int start_targets(const struct pft_cli *c, struct pft_targets *t)
{
	const struct pft_opts *o = &c->o;
	int err;

	if (o->tg.cmd) {
		err = pfb_cmd_split(&t->cmd, o->tg.cmd);
		if (!err)
			err = pfb_held_spawn(&t->held, &t->cmd, o->fmt != PFB_TABLE ||
					     (c->v->needs & PFT_NEEDS_SAMPLES));
		if (err) {
			fprintf(stderr, "pftrace: cannot start '%s': %s\n", o->tg.cmd, strerror(-err));
			return err;
		}
		t->h = &t->held;
	}
	if (o->tg.npids) {
		pfb_watch_open(&t->watch, o->tg.pids, o->tg.npids);
		t->w = &t->watch;
	}
	return 0;
}

/* The view's start, the JSON document around the run, and the run. */
static int trace(const struct pft_cli *c, struct pft_run *r, struct pft_targets *t)
{
	int err;

	if (c->v->init && (err = c->v->init(c->state, r))) {
		view_error(c, err);
		return err;
	}
	pft_json_begin(r);
	err = run(c, r, t);
	pft_json_end(r);
	return err;
}

/* What was counted, and what was not (stderr). */
static void report(const struct pft_cli *c, struct pft_run *r)
{
	report_accounting(c->v, r);
	report_misses(r->skel);
	if (r->skel->bss->lost_map_full)
		fprintf(stderr, "pftrace: %llu %s not counted: no row or thread state left\n",
			(unsigned long long)r->skel->bss->lost_map_full,
			pfb_plural(r->skel->bss->lost_map_full, "event", "events"));
}

int main(int argc, char **argv)
{
	struct pe_links pe = {};
	struct pft_targets t = {};
	struct pft_cli c = {};
	struct pft_run r = {};
	char why[128];
	int err;

	err = parse_cmdline(&c, argc, argv);
	if (err)
		goto cleanup;
	r.o = &c.o;
	r.view = c.v->name;
	err = check_pids(&c.o);
	if (err)
		goto cleanup;
	err = probe_kernel(&r);
	if (err)
		goto cleanup;
	err = load_and_attach(&c, &r, &pe, why, sizeof(why));
	if (err)
		goto cleanup;
	say_method(&r, why);
	err = seed_targets(&c.o, &r);
	if (err)
		goto cleanup;
	err = start_targets(&c, &t);
	if (err)
		goto cleanup;
	if (t.h)
		r.cmd_pid = t.held.pid;
	pfb_catch_signals();
	err = trace(&c, &r, &t);
	report(&c, &r);
cleanup:
	reap_command(&r, &t, false);
	if (t.w)
		pfb_watch_close(t.w);
	pfb_cmd_free(&t.cmd);
	pe_destroy(&pe);
	pftrace_bpf__destroy(r.skel);
	if (c.v && c.v->free)
		c.v->free(c.state);
	free(c.state);
	free(c.pending);
	return err == 2 ? 2 : err != 0;
}
