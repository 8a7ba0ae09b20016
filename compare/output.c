// SPDX-License-Identifier: GPL-2.0
/* output.c - see output.h. */
#include <string.h>

#include "output.h"

static void row(FILE *f, const char *src, long long min, long long maj, double cpu_ms,
		long long tmin, long long tmaj, bool have)
{
	long long d = min + maj - tmin - tmaj;

	if (!have) {
		fprintf(f, "  %-22s %10s\n", src, "n/a");
		return;
	}
	fprintf(f, "  %-22s %10lld %8lld %11.2f %+9lld %8.3f%%\n", src, min, maj, cpu_ms, d,
		tmin + tmaj ? 100.0 * d / (tmin + tmaj) : 0.0);
}

void out_table(FILE *f, const struct record *r, const struct checked *c, const char *title)
{
	const struct wcounts *w = &c->wit;
	int i;

	if (r->user_cmd)
		fprintf(f, "\n== command: %s\n", r->command);
	else
		fprintf(f, "\n== scenario %s: %s\n", r->scenario, title ? title : "");
	if (!r->have_module)
		fprintf(f, "  module: NOT LOADED (%s): judging the witness's sources only\n",
			r->module_why);
	fprintf(f, "  %d process(es), %d module windows, %d witness buckets\n", r->nprocs,
		r->nsamples, r->nbuckets);
	fprintf(f, "  %-6s %-12s %9s %7s %9s %7s %11s %9s %9s\n", "pid", "comm", "truth-min",
		"maj", "mod-min", "maj", "cpu-ms", "fx-min", "tp-kern");
	for (i = 0; i < r->nprocs && i < 16; i++) {
		const struct proc_rec *p = &r->procs[i];

		fprintf(f, "  %-6d %-12.12s %9lld %7lld %9lld %7lld %11.2f %9lld %9lld\n", p->pid, p->comm,
			p->ru_min - p->base_min, p->ru_maj - p->base_maj, p->mod_min, p->mod_maj,
			p->ru_cpu_ns / 1e6, p->wit.fx_min, p->wit.tp_kernel);
	}
	if (r->nprocs > 16)
		fprintf(f, "  ... %d more processes\n", r->nprocs - 16);
	fprintf(f, "\n  %-22s %10s %8s %11s %9s %9s\n", "source (total)", "minor", "major",
		"cpu-ms", "diff", "rel");
	row(f, "ground truth (wait4)", c->truth_min, c->truth_maj, c->truth_cpu / 1e6,
	    c->truth_min, c->truth_maj, true);
	if (r->have_module)
		row(f, "module (ring)", c->mod_min, c->mod_maj, c->mod_cpu / 1e6, c->truth_min,
		    c->truth_maj, r->nsamples > 0);
	else
		fprintf(f, "  %-22s %10s\n", "module (ring)", "not loaded");
	row(f, "fexit", w->fx_min, w->fx_maj, 0, c->truth_min, c->truth_maj, r->wit_fx);
	row(f, "perf_event", w->pe_min, w->pe_maj, 0, c->truth_min, c->truth_maj, r->wit_pe);
	row(f, "tracepoint user+kern", w->tp_user + w->tp_kernel, 0, 0, c->truth_min,
	    c->truth_maj, r->wit_tp);
	row(f, "sched_switch", 0, 0, w->cpu_ns / 1e6, 0, 0, r->wit_sw);
	row(f, "ru (thread counters)", w->ru_min, w->ru_maj, 0, c->truth_min, c->truth_maj,
	    r->wit_ru);
	row(f, "schedstat (exit stop)", 0, 0, c->sched_ns / 1e6, 0, 0, true);
	fprintf(f, "\n  per-window agreement (module windows vs witness re-binned):\n");
	if (!c->nwin)
		fprintf(f, "  (no module windows)\n");
	else
		fprintf(f, "  %-20s %6s %9s %9s %8s %8s\n", "source", "n", "MAE", "max", "exact", "corr");
	for (i = 0; i < WSRC_N && c->nwin; i++)
		fprintf(f, "  %-20s %6d %9.2f %9.0f %7.1f%% %8.4f\n", c->ws[i].name, c->ws[i].n,
			i == 3 ? c->ws[i].mae / 1e6 : c->ws[i].mae,
			i == 3 ? c->ws[i].max / 1e6 : c->ws[i].max,
			100 * c->ws[i].exact_share, c->ws[i].corr);
	fprintf(f, "%s\n  findings:\n", c->nwin ? "  (cpu MAE/max in ms)\n" : "");
	for (i = 0; i < c->nf; i++) {
		const struct finding *x = &c->f[i];

		fprintf(f, "  %-9s %-13s %-28s %s", verdict_name(x->v), x->source, x->what, x->msg);
		if (x->cls[0] && x->cls_count >= 0)
			fprintf(f, " [class: %s = %lld]", x->cls, x->cls_count);
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
	for (i = 0; i < NVSRC; i++) {
		const char *v = source_verdict(r, c, verdict_sources[i]);

		fprintf(f, "  VERDICT %-12s %s", verdict_sources[i], v);
		if (!strcmp(v, "NOT LOADED"))
			fprintf(f, " (%s)", r->module_why);
		fprintf(f, "\n");
	}
	fprintf(f, "  RESULT %s: %s (%d failure%s)%s\n", r->scenario, c->fails ? "FAIL" : "PASS",
		c->fails, c->fails == 1 ? "" : "s",
		r->have_module ? "" : "; module not loaded: witness sources only");
}

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 32)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void jcounts(FILE *f, const struct wcounts *w)
{
	fprintf(f, "{\"tp_user\":%lld,\"tp_kernel\":%lld,\"pe_min\":%lld,\"pe_maj\":%lld,"
		"\"fx_min\":%lld,\"fx_maj\":%lld,\"fx_gup\":%lld,\"fx_skip\":%lld,\"cpu_ns\":%lld,"
		"\"sclk_ns\":%lld,\"ru_min\":%lld,\"ru_maj\":%lld,\"miss_in\":%lld,\"miss_out\":%lld,"
		"\"cpu_rec_ns\":%lld,\"pe_miss_min\":%lld,\"pe_miss_maj\":%lld}",
		w->tp_user, w->tp_kernel, w->pe_min, w->pe_maj, w->fx_min, w->fx_maj, w->fx_gup,
		w->fx_skip, w->cpu_ns, w->sclk_ns, w->ru_min, w->ru_maj, w->miss_in, w->miss_out,
		w->cpu_rec_ns, w->pe_miss_min, w->pe_miss_maj);
}

/* `run -- CMD`: the command, its wait4, and the module's state. */
static void jcommand(FILE *f, const struct record *r)
{
	const struct proc_rec *p = &r->procs[0];

	fprintf(f, "\"module_loaded\":%s,\"module_why\":", r->have_module ? "true" : "false");
	jstr(f, r->module_why);
	fprintf(f, ",");
	if (!r->user_cmd)
		return;
	fprintf(f, "\"command\":{\"argv\":");
	jstr(f, r->command);
	fprintf(f, ",\"pid\":%d,\"exit_status\":%d,\"wait4\":{\"minflt\":%lld,\"majflt\":%lld,"
		"\"cpu_ns\":%lld},\"witness_wait4\":{\"minflt\":%lld,\"majflt\":%lld,\"cpu_ns\":%lld},"
		"\"execs\":%lld,\"exec_gup_max\":%lld,\"wall_ns\":%llu},", p->pid, p->exit_status,
		p->ru_min, p->ru_maj, p->ru_cpu_ns, r->wit_wait_min, r->wit_wait_maj,
		r->wit_wait_cpu_ns, r->execs, r->exec_gup_max, r->end_mono_ns - r->release_mono_ns);
}

static void jverdicts(FILE *f, const struct record *r, const struct checked *c)
{
	int i;

	fprintf(f, "\"verdicts\":{");
	for (i = 0; i < NVSRC; i++)
		fprintf(f, "%s\"%s\":\"%s\"", i ? "," : "", verdict_sources[i],
			source_verdict(r, c, verdict_sources[i]));
	fprintf(f, "},");
}

void out_json(FILE *f, const struct record *r, const struct checked *c, const char *title)
{
	int i;

	fprintf(f, "{\"scenario\":");
	jstr(f, r->scenario);
	fprintf(f, ",\"title\":");
	jstr(f, title ? title : "");
	fprintf(f, ",\"pass\":%s,\"failures\":%d,\"self_registers\":%s,\"hz\":%ld,"
		"\"period_ns\":%lld,\"windows\":%d,\"buckets\":%d,",
		c->fails ? "false" : "true", c->fails, r->self_registers ? "true" : "false",
		r->hz, r->period_ns, r->nsamples, r->nbuckets);
	fprintf(f, "\"sources\":{\"tracepoint\":%d,\"perf_event\":%d,\"fexit\":%d,\"sched_switch\":%d,"
		"\"ru\":%d},", r->wit_tp, r->wit_pe, r->wit_fx, r->wit_sw, r->wit_ru);
	jcommand(f, r);
	jverdicts(f, r, c);
	fprintf(f, "\"totals\":{\"truth_min\":%lld,\"truth_maj\":%lld,\"truth_cpu_ns\":%lld,"
		"\"schedstat_ns\":%lld,\"before_registration\":%lld,\"module_min\":%lld,"
		"\"module_maj\":%lld,\"module_cpu_ns\":%lld,\"witness\":",
		c->truth_min, c->truth_maj, c->truth_cpu, c->sched_ns, c->pre_reg, c->mod_min,
		c->mod_maj, c->mod_cpu);
	jcounts(f, &c->wit);
	fprintf(f, "},\"module_stats\":{\"handler_runs\":%lld,\"handler_avg_ns\":%lld,"
		"\"handler_max_ns\":%lld,\"period_mean_ns\":%lld},",
		r->handler_runs, r->handler_avg_ns, r->handler_max_ns, r->period_mean_ns);
	fprintf(f, "\"processes\":[");
	for (i = 0; i < r->nprocs; i++) {
		const struct proc_rec *p = &r->procs[i];

		fprintf(f, "%s{\"pid\":%d,\"comm\":", i ? "," : "", p->pid);
		jstr(f, p->comm);
		fprintf(f, ",\"base_min\":%lld,\"base_maj\":%lld,\"ru_min\":%lld,\"ru_maj\":%lld,"
			"\"ru_cpu_ns\":%lld,\"stat_min\":%lld,\"stat_maj\":%lld,\"schedstat_ns\":%lld,"
			"\"module_min\":%lld,\"module_maj\":%lld,\"module_cpu_ns\":%lld,"
			"\"self_reg_min\":%lld,\"self_reg_maj\":%lld,\"gup_pages\":%lld,"
			"\"kread_pages\":%lld,\"witness\":",
			p->base_min, p->base_maj, p->ru_min, p->ru_maj, p->ru_cpu_ns, p->stat_min,
			p->stat_maj, p->sched_ns, p->mod_min, p->mod_maj, p->mod_cpu_ns,
			p->self_reg_min, p->self_reg_maj, p->gup_pages, p->kread_pages);
		jcounts(f, &p->wit);
		fprintf(f, "}");
	}
	fprintf(f, "],\"window_agreement\":[");
	for (i = 0; i < WSRC_N; i++)
		fprintf(f, "%s{\"source\":\"%s\",\"n\":%d,\"mae\":%.4f,\"max\":%.0f,"
			"\"exact_share\":%.4f,\"corr\":%.5f,\"boundary_windows\":%d,"
			"\"boundary_moved\":%lld,\"unexplained\":%d}", i ? "," : "",
			c->ws[i].name, c->ws[i].n, c->ws[i].mae, c->ws[i].max, c->ws[i].exact_share,
			c->ws[i].corr, c->ws[i].boundary_windows, c->ws[i].boundary_moved,
			c->ws[i].unexplained);
	fprintf(f, "],\"findings\":[");
	for (i = 0; i < c->nf; i++) {
		const struct finding *x = &c->f[i];

		fprintf(f, "%s{\"verdict\":\"%s\",\"source\":", i ? "," : "", verdict_name(x->v));
		jstr(f, x->source);
		fprintf(f, ",\"what\":");
		jstr(f, x->what);
		fprintf(f, ",\"got\":%lld,\"want\":%lld,\"class\":", x->got, x->want);
		jstr(f, x->cls);
		fprintf(f, ",\"class_count\":%lld,\"message\":", x->cls_count);
		jstr(f, x->msg);
		fprintf(f, "}");
	}
	fprintf(f, "],\"programs\":[");
	for (i = 0; i < r->nprogs; i++)
		fprintf(f, "%s{\"name\":\"%s\",\"run_cnt\":%lld,\"run_time_ns\":%lld,"
			"\"recursion_misses\":%lld}", i ? "," : "", r->progs[i].name,
			r->progs[i].run_cnt, r->progs[i].run_time_ns, r->progs[i].misses);
	fprintf(f, "]}\n");
}

void out_windows_csv(FILE *f, const struct checked *c)
{
	int k;

	fprintf(f, "window,t_s,mod_min,mod_maj,mod_cpu_ns,wit_fx,wit_pe,wit_tp,wit_cpu_ns,bound\n");
	for (k = 0; k < c->nwin; k++) {
		const struct window *w = &c->win[k];

		fprintf(f, "%d,%.4f,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n", k, w->t, w->mod_min,
			w->mod_maj, w->mod_cpu, w->fx, w->pe, w->tp, w->cpu, w->bound);
	}
}
