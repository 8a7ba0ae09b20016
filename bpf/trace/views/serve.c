// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve.c - pftrace serve: a Prometheus exporter (docs/metrics.md).  Each
 * interval the BPF counts are folded into a store of label sets
 * ("series": comm and cgroup, and the PID of a -p/-c target), at most
 * --max-series of them, the rest folded into one "[other]" series; the
 * store is rendered in the text format and in OpenMetrics, and the HTTP
 * server (promhttp.c) serves that snapshot.  A process's counts go to its
 * series as they grow, so a series is never lowered: an exited process's
 * faults stay in its group's total.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "serve.h"
#include "pftrace.skel.h"

static const struct argp_option serve_options[] = {
	{ "listen", PFT_OPT_LISTEN, "ADDR:PORT", 0,
	  "serve: the address of /metrics (IPV4:PORT, [IPV6]:PORT, :PORT; port 0: any)", 0 },
	{ "max-series", PFT_OPT_MAX_SERIES, "N", 0,
	  "serve: label sets kept (default 500); more are folded into [other]", 0 },
	{ "labels", PFT_OPT_LABELS, "LIST", 0,
	  "serve: the dimensions, comm,cgroup (default), comm, cgroup or none", 0 },
	{ "mp3-dir", PFT_OPT_MP3_DIR, "DIR", 0,
	  "serve: where mp3.ko's stats and tasks are (default /proc/mp3)", 0 },
	/* tests: fewer BPF rows than PFB_MAX_SLOTS, to see them reused */
	{ "max-rows", PFT_OPT_MAX_ROWS, "N", OPTION_HIDDEN, NULL, 0 },
	{},
};

/* --labels: a comma-separated list of comm and cgroup, or none; 0 or -EINVAL */
static int parse_labels(struct srv_state *st, const char *arg)
{
	char buf[64], *tok, *save;

	st->by_comm = st->by_cgroup = false;
	if (!strcmp(arg, "none"))
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || !arg[0])
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "comm"))
			st->by_comm = true;
		else if (!strcmp(tok, "cgroup"))
			st->by_cgroup = true;
		else
			return -EINVAL;
	}
	return st->by_comm || st->by_cgroup ? 0 : -EINVAL;
}

static void serve_end_checks(struct srv_state *st, const struct pft_opts *o,
			     struct argp_state *as)
{
	char why[256];

	if (o->fmt == PFB_CSV)
		argp_error(as, "serve has no --csv (its output is /metrics; --json: the totals)");
	if (!st->listen)
		argp_error(as, "serve needs --listen ADDR:PORT");
	if (ph_listen(st->listen, &st->lfd, why, sizeof(why)))
		argp_error(as, "serve: %s", why);
}

static void serve_parse(void *state, const struct pft_opts *o, int key, char *arg,
			struct argp_state *as)
{
	struct srv_state *st = state;
	long n;

	switch (key) {
	case ARGP_KEY_INIT:
		st->lfd = -1;
		st->stats_fd = -1;
		st->max_series = 500;
		st->by_comm = st->by_cgroup = true;
		st->mp3_dir = "/proc/mp3";
		st->max_rows = PFB_MAX_SLOTS;
		break;
	case PFT_OPT_LISTEN:
		st->listen = arg;
		break;
	case PFT_OPT_MAX_SERIES:
		if (!pfb_parse_count(arg, &n) || n > 100000)
			argp_error(as, "invalid series count: %s (1..100000)", arg);
		st->max_series = n;
		break;
	case PFT_OPT_LABELS:
		if (parse_labels(st, arg))
			argp_error(as, "invalid --labels: %s (comm,cgroup, comm, cgroup or none)",
				   arg);
		break;
	case PFT_OPT_MP3_DIR:
		st->mp3_dir = arg;
		break;
	case PFT_OPT_MAX_ROWS:
		if (!pfb_parse_count(arg, &n) || n < 2 || n > PFB_MAX_SLOTS)
			argp_error(as, "invalid row count: %s (2..%d)", arg, PFB_MAX_SLOTS);
		st->max_rows = n;
		break;
	case ARGP_KEY_END:
		serve_end_checks(st, o, as);
		break;
	}
}

/*
 * Rows are reused: an exited process's row, once read for the last time,
 * is zeroed and handed back (serve_store.c), so that a long run over
 * every process never runs out of them.
 */
static void serve_setup(const void *state, struct pftrace_bpf *skel)
{
	const struct srv_state *st = state;

	skel->rodata->reuse_slots = true;
	skel->rodata->slot_limit = st->max_rows;
	bpf_program__set_autoload(skel->progs.on_free, true);
	/* a target's threads adopted at fork: each carries the row when freed */
	bpf_program__set_autoload(skel->progs.on_fork, true);
}

/* Render the store in both formats and hand them to the server. */
static int publish(struct srv_state *st, struct pft_run *r)
{
	char *text = NULL, *om = NULL;
	size_t tlen = 0, olen = 0;
	int err;

	err = srv_render(st, r, false, &text, &tlen);
	if (!err)
		err = srv_render(st, r, true, &om, &olen);
	if (err) {
		free(text);
		free(om);
		return err;
	}
	ph_publish(st->server, text, tlen, om, olen);
	return 0;
}

static int serve_init(void *state, struct pft_run *r)
{
	struct srv_state *st = state;
	char where[80];
	int err;

	/* the programs' run time (bpf_prog_info): counted while this fd is open */
	st->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	err = srv_store_init(st, r);
	if (err)
		return err;
	if (ph_local_addr(st->lfd, where, sizeof(where)))
		snprintf(where, sizeof(where), "%s", st->listen ? st->listen : "?");
	err = ph_start(&st->server, st->lfd);
	if (err)
		return err;
	st->lfd = -1;	/* the server's now */
	/* the port the kernel chose for :0 */
	fprintf(stderr, "pftrace: serving /metrics on http://%s/metrics\n", where);
	return publish(st, r);
}

static int serve_interval(void *state, struct pft_run *r, bool last)
{
	struct srv_state *st = state;
	int err;

	if (last)
		srv_settle(st, r);
	err = srv_fold(st, r);
	if (!err)
		srv_drift(st, r);
	if (!err)
		err = publish(st, r);
	/* --json: the store at the end; --jsonl: at every interval */
	if (!err && r->o->fmt == PFB_JSON && (last || r->o->jsonl))
		srv_print_json(st, r);
	return err;
}

static void serve_free(void *state)
{
	struct srv_state *st = state;

	ph_stop(st->server);
	st->server = NULL;
	if (st->lfd >= 0)
		close(st->lfd);
	st->lfd = -1;
	if (st->stats_fd >= 0)
		close(st->stats_fd);
	st->stats_fd = -1;
	srv_store_free(st);
}

const struct pft_view pft_view_serve = {
	.name = "serve",
	.options = serve_options,
	.needs = PFT_NEEDS_HISTS | PFT_NEEDS_ROWS,
	.state_size = sizeof(struct srv_state),
	.parse = serve_parse,
	.setup = serve_setup,
	.init = serve_init,
	.interval = serve_interval,
	.free = serve_free,
};
