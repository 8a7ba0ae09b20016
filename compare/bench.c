// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - the same workload run repeatedly, interleaved A B C D A B C D:
 * A untraced, B registered with the module, C watched by the witness,
 * D both.  Medians and spread of wall and CPU time, slowdown against A,
 * the module's handler cost per sample, the witness's ns per event, and
 * the module's sampling-period accuracy.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmdrun.h"
#include "collect.h"
#include "record.h"

struct cfg {
	char id;
	const char *name;
	bool module, witness;
	double wall[256], cpu[256];
	int n;
	long long handler_avg_ns, handler_runs;
	double prog_ns, prog_runs;
	double *ivals;
	int nivals, cap;
	double period_mean, period_p99;
};

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
	double s[256];

	if (!n)
		return 0;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmpd);
	return s[(int)lround(p * (n - 1))];
}

/*
 * "tcg" inside QEMU's emulator (its CPU model says so), where times are
 * emulated and only ratios mean anything; "native" otherwise (which may
 * still be a hardware-assisted VM such as this project's hosts).
 */
static const char *environment(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	bool tcg = false;

	while (f && !tcg && fgets(line, sizeof(line), f))
		tcg = !strncmp(line, "model name", 10) && strstr(line, "TCG");
	if (f)
		fclose(f);
	return tcg ? "tcg" : "native";
}

/* One run of config @cf: the scenario's plan @pl, or the command. */
static int one_run(const struct bench_opts *o, const struct plan *pl, const struct cfg *cf,
		   struct record *r)
{
	struct collect_opts co = { cf->module, cf->witness, false, o->witness_prog, 0.05, true };
	struct cmd_opts cm = { cf->module, cf->witness, false, true, o->witness_prog, 0.05 };

	if (!o->argv)
		return collect_run(pl, &co, r);
	return cmd_collect(o->argv, &cm, cf->module, r);
}

/* Wall time of a run: release (the command's exec) to the last reap. */
static double wall_ns(const struct record *r)
{
	return (double)(r->end_mono_ns - r->release_mono_ns);
}

static void print_command(const struct bench_opts *o)
{
	int i;

	printf("  command:");
	for (i = 0; o->argv[i]; i++)
		printf(" %s", o->argv[i]);
	printf("\n");
}

/*
 * What to run: a scenario's plan (@pl, its scenario in *@sc), or the
 * command (*@sc NULL); and the CSV of raw rows, opened, in *@csv.  0, or
 * the exit status with a message: 2 usage, 1 the CSV cannot be written.
 */
static int bench_plan(const struct bench_opts *o, const struct scenario **sc, struct plan *pl,
		      FILE **csv)
{
	*sc = o->argv ? NULL : scenario_find(o->scenario);
	*csv = NULL;
	if (!*sc && !o->argv) {
		fprintf(stderr, "pfcompare: unknown scenario '%s'\n", o->scenario);
		return 2;
	}
	if (*sc)
		(*sc)->build(pl, o->scale);
	if (*sc && pl->self_registers) {
		fprintf(stderr, "pfcompare: bench needs a workload that does not register itself (not %s)\n",
			(*sc)->name);
		return 2;
	}
	if (o->csv && !(*csv = fopen(o->csv, "w"))) {
		perror(o->csv);
		return 1;
	}
	if (*csv)
		fprintf(*csv, "rep,config,wall_ns,cpu_ns\n");
	return 0;
}

/* Config @c's figures from its run @r in repetition @rep (and a CSV row). */
static void cfg_add(struct cfg *c, const struct record *r, int rep, FILE *csv)
{
	double cpu = 0;
	int k;

	for (k = 0; k < r->nprocs; k++)
		cpu += r->procs[k].ru_cpu_ns;
	c->wall[c->n] = wall_ns(r);
	c->cpu[c->n] = cpu;
	if (csv)
		fprintf(csv, "%d,%c,%.0f,%.0f\n", rep, c->id, c->wall[c->n], cpu);
	if (c->n < 255)
		c->n++;
	if (c->module) {
		c->handler_avg_ns = r->handler_avg_ns;
		c->handler_runs = r->handler_runs;
		for (k = 1; k < r->nsamples; k++) {
			if (r->samples[k].seq != r->samples[k - 1].seq + 1)
				continue;
			if (c->nivals == c->cap) {
				c->cap = c->cap ? 2 * c->cap : 1024;
				c->ivals = realloc(c->ivals, c->cap * sizeof(double));
			}
			c->ivals[c->nivals++] = (double)(r->samples[k].mono_ns - r->samples[k - 1].mono_ns);
		}
	}
	for (k = 0; k < r->nprogs; k++) {
		c->prog_ns += r->progs[k].run_time_ns;
		c->prog_runs += r->progs[k].run_cnt;
	}
}

/*
 * Repetition @rep: each chosen config once, in order A B C D.  0, or 1
 * if a run failed.
 */
static int bench_rep(const struct bench_opts *o, const struct plan *pl, struct cfg cf[4], int rep,
		     FILE *csv)
{
	struct record r;
	int i;

	for (i = 0; i < 4; i++) {
		if (!strchr(o->configs, cf[i].id) || (o->no_module && cf[i].module))
			continue;
		fprintf(stderr, "pfcompare: bench %d/%d %c (%s)\n", rep + 1, o->reps,
			cf[i].id, cf[i].name);
		rec_init(&r);
		if (one_run(o, pl, &cf[i], &r)) {
			rec_free(&r);
			return 1;
		}
		cfg_add(&cf[i], &r, rep, csv);
		rec_free(&r);
	}
	return 0;
}

/* The module's sampling intervals: their mean and p99 into @c. */
static void cfg_period(struct cfg *c)
{
	double mean = 0;
	int k;

	for (k = 0; k < c->nivals; k++)
		mean += c->ivals[k];
	c->period_mean = c->nivals ? mean / c->nivals : 0;
	qsort(c->ivals, c->nivals, sizeof(double), cmpd);
	c->period_p99 = c->nivals ? c->ivals[(int)floor(0.99 * (c->nivals - 1))] : 0;
}

/* Percent slower than the base (0 without a base). */
static double slowdown(double v, double base)
{
	return base ? 100 * (v / base - 1) : 0;
}

/* The table: a row per config run, then the module's and witness's costs. */
static void bench_print_table(const struct bench_opts *o, const struct scenario *sc,
			      const char *env, const struct cfg cf[4])
{
	double bw = pct(cf[0].wall, cf[0].n, 0.5), bc = pct(cf[0].cpu, cf[0].n, 0.5), w, c;
	int i;

	printf("\n== bench: %s, %d interleaved repetitions, %s\n", sc ? sc->title : "your command",
	       o->reps, !strcmp(env, "tcg") ? "in the TCG VM (emulated times: read the ratios)" : "native");
	if (o->argv)
		print_command(o);
	if (o->no_module)
		printf("  module not loaded: configs A and C only\n");
	if (!cf[0].n)
		printf("  (no untraced runs, config A: no slowdown to show)\n");
	printf("  %-16s %4s %11s %11s %9s %11s %11s %9s\n", "config", "n", "wall-med-ms",
		"wall-IQR", "slowdown", "cpu-med-ms", "cpu-IQR", "cpu-slow");
	for (i = 0; i < 4; i++) {
		if (!cf[i].n)
			continue;
		w = pct(cf[i].wall, cf[i].n, 0.5);
		c = pct(cf[i].cpu, cf[i].n, 0.5);
		printf("  %c %-14s %4d %11.2f %11.2f %8.2f%% %11.2f %11.2f %8.2f%%\n", cf[i].id,
		       cf[i].name, cf[i].n, w / 1e6,
		       (pct(cf[i].wall, cf[i].n, 0.75) - pct(cf[i].wall, cf[i].n, 0.25)) / 1e6,
		       slowdown(w, bw), c / 1e6,
		       (pct(cf[i].cpu, cf[i].n, 0.75) - pct(cf[i].cpu, cf[i].n, 0.25)) / 1e6,
		       slowdown(c, bc));
	}
	for (i = 0; i < 4; i++) {
		if (cf[i].module && cf[i].n)
			printf("  %c module: handler %lld ns per sampling pass (avg since load), "
			       "period mean %.3f ms p99 %.3f ms over %d intervals (nominal 50 ms)\n",
			       cf[i].id, cf[i].handler_avg_ns, cf[i].period_mean / 1e6,
			       cf[i].period_p99 / 1e6, cf[i].nivals);
		if (cf[i].witness && cf[i].prog_runs)
			printf("  %c witness: %.0f ns per BPF program run (%.0f runs, BPF stats)\n",
			       cf[i].id, cf[i].prog_ns / cf[i].prog_runs, cf[i].prog_runs / cf[i].n);
	}
}

/* One config's JSON object, after a comma unless @first. */
static void json_cfg(FILE *f, const struct cfg *c, double bw, double bc, bool first)
{
	fprintf(f, "%s{\"id\":\"%c\",\"name\":\"%s\",\"n\":%d,"
		"\"wall_median_ns\":%.0f,\"wall_p25_ns\":%.0f,\"wall_p75_ns\":%.0f,"
		"\"cpu_median_ns\":%.0f,\"cpu_p25_ns\":%.0f,\"cpu_p75_ns\":%.0f,"
		"\"wall_slowdown_pct\":%.3f,\"cpu_slowdown_pct\":%.3f",
		first ? "" : ",", c->id, c->name, c->n,
		pct(c->wall, c->n, 0.5), pct(c->wall, c->n, 0.25),
		pct(c->wall, c->n, 0.75), pct(c->cpu, c->n, 0.5),
		pct(c->cpu, c->n, 0.25), pct(c->cpu, c->n, 0.75),
		slowdown(pct(c->wall, c->n, 0.5), bw), slowdown(pct(c->cpu, c->n, 0.5), bc));
	if (c->module)
		fprintf(f, ",\"handler_avg_ns\":%lld,\"period_mean_ns\":%.0f,"
			"\"period_p99_ns\":%.0f,\"intervals\":%d", c->handler_avg_ns,
			c->period_mean, c->period_p99, c->nivals);
	if (c->witness && c->prog_runs)
		fprintf(f, ",\"bpf_ns_per_run\":%.1f,\"bpf_runs_per_rep\":%.0f",
			c->prog_ns / c->prog_runs, c->prog_runs / c->n);
	fprintf(f, "}");
}

/* The same as JSON, one line, into o->json. */
static void bench_write_json(const struct bench_opts *o, const struct scenario *sc,
			     const char *env, const struct cfg cf[4])
{
	double bw = pct(cf[0].wall, cf[0].n, 0.5), bc = pct(cf[0].cpu, cf[0].n, 0.5);
	bool first = true;
	int i;

	fprintf(o->json, "{\"bench\":");
	fprintf(o->json, "{\"scenario\":\"%s\",\"scale\":\"%s\",\"reps\":%d,"
		"\"environment\":\"%s\",\"configs\":[", sc ? sc->name : "command",
		o->scale == SCALE_FULL ? "full" : "test", o->reps, env);
	for (i = 0; i < 4; i++) {
		if (!cf[i].n)
			continue;
		json_cfg(o->json, &cf[i], bw, bc, first);
		first = false;
	}
	fprintf(o->json, "]}}\n");
}

/*
 * The bench: plan, repetitions, the period figures, table, JSON.  0, or
 * the exit status with a message: 2 usage, 1 a run or the CSV failed.
 */
int bench_main(const struct bench_opts *o)
{
	struct cfg cf[4] = {
		{ .id = 'A', .name = "untraced", .module = false, .witness = false },
		{ .id = 'B', .name = "module", .module = true, .witness = false },
		{ .id = 'C', .name = "witness", .module = false, .witness = true },
		{ .id = 'D', .name = "module+witness", .module = true, .witness = true },
	};
	const char *env = environment();
	const struct scenario *sc;
	struct plan pl = {};
	FILE *csv;
	int rep, i, rc;

	rc = bench_plan(o, &sc, &pl, &csv);
	for (rep = 0; !rc && rep < o->reps; rep++)
		rc = bench_rep(o, &pl, cf, rep, csv);
	if (csv)
		fclose(csv);
	if (!rc) {
		for (i = 0; i < 4; i++)
			if (cf[i].module && cf[i].n)
				cfg_period(&cf[i]);
		bench_print_table(o, sc, env, cf);
		if (o->json)
			bench_write_json(o, sc, env, cf);
	}
	for (i = 0; i < 4; i++)
		free(cf[i].ivals);
	return rc;
}
