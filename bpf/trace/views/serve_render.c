// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve_render.c - pftrace serve's page (docs/metrics.md): the store, the
 * tracer's own accounting, the BPF programs' run time, and mp3.ko's
 * /proc/mp3/stats when it is there; Prometheus's text format 0.0.4, or
 * OpenMetrics 1.0.0 (a counter's family without _total, and "# EOF").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "serve.h"
#include "pftrace.skel.h"

/* The latency buckets' upper bounds: 2^LE_LO .. 2^LE_HI ns (128 ns .. 134 ms). */
#define LE_LO	7
#define LE_HI	27

struct mw {
	FILE *f;
	bool om;
};

/* A family's HELP and TYPE; OpenMetrics names a counter's family without _total. */
static void fam(struct mw *w, const char *name, const char *type, const char *help)
{
	int n = strlen(name);

	if (w->om && !strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	fprintf(w->f, "# HELP %.*s %s\n# TYPE %.*s %s\n", n, name, help, n, name, type);
}

/* One label, `{k="v"` or `,k="v"`: escaped, and only printable ASCII kept. */
static void lbl(struct mw *w, bool *first, const char *k, const char *v)
{
	const unsigned char *p;

	fprintf(w->f, "%s%s=\"", *first ? "{" : ",", k);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(w->f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", w->f);
		else
			fputc(*p < 32 || *p > 126 ? '_' : *p, w->f);
	}
	fputc('"', w->f);
	*first = false;
}

static void lbl_end(struct mw *w, bool first)
{
	if (!first)
		fputc('}', w->f);
}

/* A sample without labels or with one. */
static void val1(struct mw *w, const char *name, const char *k, const char *v,
		 unsigned long long n)
{
	bool first = true;

	fputs(name, w->f);
	if (k)
		lbl(w, &first, k, v);
	lbl_end(w, first);
	fprintf(w->f, " %llu\n", n);
}

/* A series' labels, then @k=@v (if @k), open for the caller to close. */
static bool series_lbls(struct mw *w, const struct srv_state *st, const struct srv_series *x,
			const char *k, const char *v)
{
	bool first = true;
	char pid[16];

	if (st->by_comm)
		lbl(w, &first, "comm", x->comm);
	if (st->by_cgroup)
		lbl(w, &first, "cgroup", x->cgroup);
	if (x->pid) {
		snprintf(pid, sizeof(pid), "%u", x->pid);
		lbl(w, &first, "pid", pid);
	}
	if (k)
		lbl(w, &first, k, v);
	return first;
}

static void render_series(struct mw *w, const struct srv_state *st)
{
	int i, c;

	fam(w, "pfprof_faults_total", "counter",
	    "Page faults counted at their accounting, by process group and class.");
	for (i = 0; i < st->nseries; i++)
		for (c = 0; c < PFT_NCLASS; c++) {
			fputs("pfprof_faults_total", w->f);
			lbl_end(w, series_lbls(w, st, &st->series[i], "class", pft_class_name(c)));
			fprintf(w->f, " %llu\n", (unsigned long long)st->series[i].faults[c]);
		}
	fam(w, "pfprof_faults_no_pf_total", "counter",
	    "Of those, faults taken without a #PF (get_user_pages; fexit method only).");
	for (i = 0; i < st->nseries; i++) {
		fputs("pfprof_faults_no_pf_total", w->f);
		lbl_end(w, series_lbls(w, st, &st->series[i], NULL, NULL));
		fprintf(w->f, " %llu\n", (unsigned long long)st->series[i].gup);
	}
	fam(w, "pfprof_cpu_seconds_total", "counter",
	    "CPU time (user + system) of the traced processes, since tracing began.");
	for (i = 0; i < st->nseries; i++) {
		fputs("pfprof_cpu_seconds_total", w->f);
		lbl_end(w, series_lbls(w, st, &st->series[i], NULL, NULL));
		fprintf(w->f, " %.6f\n", st->series[i].cpu_ns / 1e9);
	}
	fam(w, "pfprof_processes_total", "counter", "Traced processes, by process group.");
	for (i = 0; i < st->nseries; i++) {
		fputs("pfprof_processes_total", w->f);
		lbl_end(w, series_lbls(w, st, &st->series[i], NULL, NULL));
		fprintf(w->f, " %u\n", st->series[i].procs);
	}
}

static void render_hist(struct mw *w, const struct pft_hist *h, const char *cls)
{
	unsigned long long cum = 0;
	char le[32];
	bool first;
	int b;

	for (b = 0; b < PFT_BUCKETS; b++) {
		cum += h->bucket[b];
		if (b + 1 < LE_LO || b + 1 > LE_HI)
			continue;
		snprintf(le, sizeof(le), "%.9g", (double)(1ULL << (b + 1)) * 1e-9);
		first = true;
		fputs("pfprof_fault_latency_seconds_bucket", w->f);
		lbl(w, &first, "class", cls);
		lbl(w, &first, "le", le);
		fprintf(w->f, "} %llu\n", cum);
	}
	first = true;
	fputs("pfprof_fault_latency_seconds_bucket", w->f);
	lbl(w, &first, "class", cls);
	lbl(w, &first, "le", "+Inf");
	fprintf(w->f, "} %llu\n", cum);
	fprintf(w->f, "pfprof_fault_latency_seconds_sum{class=\"%s\"} %.9f\n", cls,
		h->sum_ns / 1e9);
	fprintf(w->f, "pfprof_fault_latency_seconds_count{class=\"%s\"} %llu\n", cls, cum);
}

static void render_hists(struct mw *w, const struct srv_state *st)
{
	int c;

	fam(w, "pfprof_fault_latency_seconds", "histogram",
	    "Time in the fault handler of the faults timed, by class.");
	for (c = 0; c < PFT_NCLASS; c++)
		render_hist(w, &st->hist[c], pft_class_name(c));
}

static void render_tracer(struct mw *w, const struct srv_state *st, struct pft_run *r)
{
	const struct pft_left_out *lo = &r->skel->bss->left_out;
	unsigned long long ok = 0, nf = 0, other = 0;

	fam(w, "pfprof_tracer_faults_total", "counter",
	    "Every fault the tracer counted (the series' total, [other] included).");
	val1(w, "pfprof_tracer_faults_total", NULL, NULL, lo->faults);
	fam(w, "pfprof_tracer_faults_not_timed_total", "counter",
	    "Faults counted but not in the latency histograms, by cause.");
	val1(w, "pfprof_tracer_faults_not_timed_total", "cause", "start_not_seen", lo->unpaired);
	val1(w, "pfprof_tracer_faults_not_timed_total", "cause", "hists_full", lo->hists_full);
	fam(w, "pfprof_tracer_events_lost_total", "counter",
	    "Events the BPF programs could not count: no row or thread state left.");
	val1(w, "pfprof_tracer_events_lost_total", "cause", "no_row", r->skel->bss->lost_map_full);
	fam(w, "pfprof_tracer_rows_reused_total", "counter",
	    "BPF rows of exited processes read for the last time and handed back for reuse.");
	val1(w, "pfprof_tracer_rows_reused_total", NULL, NULL, st->rows_reused);
	fam(w, "pfprof_tracer_rows_limit", "gauge",
	    "BPF rows: processes traced at once before events are lost (no_row).");
	val1(w, "pfprof_tracer_rows_limit", NULL, NULL, st->max_rows - 1);
	fam(w, "pfprof_series", "gauge", "Label sets in use ([other] included).");
	val1(w, "pfprof_series", NULL, NULL, st->nseries);
	fam(w, "pfprof_series_limit", "gauge", "Label sets kept before folding (--max-series).");
	val1(w, "pfprof_series_limit", NULL, NULL, st->max_series);
	fam(w, "pfprof_series_folded_total", "counter",
	    "Processes whose counts went to the [other] series (--max-series reached).");
	val1(w, "pfprof_series_folded_total", NULL, NULL, st->folded);
	if (st->server)
		ph_counts(st->server, &ok, &nf, &other);
	fam(w, "pfprof_http_requests_total", "counter", "HTTP requests answered, by status.");
	val1(w, "pfprof_http_requests_total", "code", "200", ok);
	val1(w, "pfprof_http_requests_total", "code", "404", nf);
	val1(w, "pfprof_http_requests_total", "code", "other", other);
}

/* Each BPF program's runs, run time and skipped runs (bpf_prog_info). */
static void render_progs(struct mw *w, struct pft_run *r, int pass)
{
	static const char *const names[] = {
		"pfprof_bpf_runs_total", "pfprof_bpf_run_seconds_total",
		"pfprof_bpf_recursion_misses_total",
	};
	struct bpf_program *prog;

	if (!r->skel->obj)
		return;		/* not loaded (views_test) */
	bpf_object__for_each_program(prog, r->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		bool first = true;

		if (bpf_program__fd(prog) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		fputs(names[pass], w->f);
		lbl(w, &first, "program", bpf_program__name(prog));
		if (pass == 0)
			fprintf(w->f, "} %llu\n", (unsigned long long)info.run_cnt);
		else if (pass == 1)
			fprintf(w->f, "} %.9f\n", info.run_time_ns / 1e9);
		else
			fprintf(w->f, "} %llu\n", (unsigned long long)info.recursion_misses);
	}
}

static void render_bpf(struct mw *w, const struct srv_state *st, struct pft_run *r)
{
	fam(w, "pfprof_bpf_stats_enabled", "gauge",
	    "1 if the kernel counts the programs' run time (BPF_STATS_RUN_TIME).");
	val1(w, "pfprof_bpf_stats_enabled", NULL, NULL, st->stats_fd >= 0);
	fam(w, "pfprof_bpf_runs_total", "counter", "Runs of each BPF program (with stats on).");
	render_progs(w, r, 0);
	fam(w, "pfprof_bpf_run_seconds_total", "counter",
	    "Run time of each BPF program (with stats on).");
	render_progs(w, r, 1);
	fam(w, "pfprof_bpf_recursion_misses_total", "counter",
	    "Runs of each BPF program the kernel skipped (recursion).");
	render_progs(w, r, 2);
}

/* ---- mp3.ko: /proc/mp3/stats and tasks (docs/abi.md) ---- */

struct mp3_stats {
	unsigned long long runs, missed, written, overwritten, last_ns, avg_ns, max_ns;
	unsigned long long period_ns, regs;
};

/* DIR/stats into @m; false if it cannot be read (the module is not loaded). */
static bool mp3_read_stats(const char *dir, struct mp3_stats *m)
{
	static const char *const keys[] = {
		"handler_runs", "deadlines_missed", "samples_written", "samples_overwritten",
		"handler_last_ns", "handler_avg_ns", "handler_max_ns", "period_ns",
		"registrations",
	};
	unsigned long long *v = &m->runs, n;
	char path[4096], key[64];
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	memset(m, 0, sizeof(*m));
	while (fscanf(f, "%63s %llu", key, &n) == 2)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(key, keys[i]))
				v[i] = n;
	fclose(f);
	return true;
}

/* For each registered process pftrace traces: the drift srv_drift() found. */
static void mp3_drift(struct mw *w, const struct srv_state *st)
{
	char pid[16];
	int i;

	fam(w, "pfprof_mp3_fault_drift", "gauge",
	    "Faults mp3.ko and the kernel counted minus those pftrace counted, per "
	    "registered process it traces, since the exporter first saw it registered.");
	for (i = 0; i < st->ndrift; i++) {
		const struct srv_drift *d = &st->drift[i];
		bool first = true;

		snprintf(pid, sizeof(pid), "%u", d->pid);
		fputs("pfprof_mp3_fault_drift", w->f);
		lbl(w, &first, "pid", pid);
		lbl(w, &first, "comm", d->comm);
		fprintf(w->f, "} %lld\n", d->now - d->d0);
	}
}

static void mp3_gauge_s(struct mw *w, const char *name, const char *help, unsigned long long ns)
{
	fam(w, name, "gauge", help);
	fprintf(w->f, "%s %.9f\n", name, ns / 1e9);
}

static void srv_render_mp3(struct mw *w, const struct srv_state *st)
{
	struct mp3_stats m;
	bool up = mp3_read_stats(st->mp3_dir, &m);

	fam(w, "pfprof_mp3_up", "gauge", "1 if mp3.ko's stats could be read.");
	val1(w, "pfprof_mp3_up", NULL, NULL, up);
	if (!up)
		return;
	fam(w, "pfprof_mp3_passes_total", "counter", "mp3.ko's sampling passes.");
	val1(w, "pfprof_mp3_passes_total", NULL, NULL, m.runs);
	fam(w, "pfprof_mp3_deadlines_missed_total", "counter",
	    "mp3.ko's periods skipped because a pass ran late.");
	val1(w, "pfprof_mp3_deadlines_missed_total", NULL, NULL, m.missed);
	fam(w, "pfprof_mp3_samples_written_total", "counter", "mp3.ko's samples written.");
	val1(w, "pfprof_mp3_samples_written_total", NULL, NULL, m.written);
	fam(w, "pfprof_mp3_samples_overwritten_total", "counter",
	    "mp3.ko's samples overwritten before a reader took them.");
	val1(w, "pfprof_mp3_samples_overwritten_total", NULL, NULL, m.overwritten);
	mp3_gauge_s(w, "pfprof_mp3_pass_last_seconds", "mp3.ko's last pass's time.", m.last_ns);
	mp3_gauge_s(w, "pfprof_mp3_pass_mean_seconds", "mp3.ko's mean pass time.", m.avg_ns);
	mp3_gauge_s(w, "pfprof_mp3_pass_max_seconds", "mp3.ko's longest pass.", m.max_ns);
	mp3_gauge_s(w, "pfprof_mp3_period_seconds", "mp3.ko's sampling period.", m.period_ns);
	fam(w, "pfprof_mp3_registrations", "gauge", "Processes registered with mp3.ko.");
	val1(w, "pfprof_mp3_registrations", NULL, NULL, m.regs);
	mp3_drift(w, st);
}

int srv_render(struct srv_state *st, struct pft_run *r, bool om, char **buf, size_t *len)
{
	struct mw w = { .om = om };
	int err;

	w.f = open_memstream(buf, len);
	if (!w.f)
		return -errno;
	render_series(&w, st);
	render_hists(&w, st);
	render_tracer(&w, st, r);
	render_bpf(&w, st, r);
	srv_render_mp3(&w, st);
	if (om)
		fputs("# EOF\n", w.f);
	err = ferror(w.f) ? -ENOMEM : 0;
	if (fclose(w.f))
		err = -errno;
	return err;
}
