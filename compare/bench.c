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

static double pct(double *v, int n, double p)
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

int bench_main(const struct bench_opts *o)
{
	struct cfg cf[4] = {
		{ .id = 'A', .name = "untraced", .module = false, .witness = false },
		{ .id = 'B', .name = "module", .module = true, .witness = false },
		{ .id = 'C', .name = "witness", .module = false, .witness = true },
		{ .id = 'D', .name = "module+witness", .module = true, .witness = true },
	};
	const struct scenario *sc = o->argv ? NULL : scenario_find(o->scenario);
	struct plan pl = {};
	FILE *csv = NULL;
	int rep, i, k, first = 1;
	double base_wall, base_cpu;
	const char *env = environment();

	if (!sc && !o->argv) {
		fprintf(stderr, "pfcompare: unknown scenario '%s'\n", o->scenario);
		return 2;
	}
	if (sc)
		sc->build(&pl, o->scale);
	if (sc && pl.self_registers) {
		fprintf(stderr, "pfcompare: bench needs a workload that does not register itself (not %s)\n",
			sc->name);
		return 2;
	}
	if (o->csv && !(csv = fopen(o->csv, "w"))) {
		perror(o->csv);
		return 1;
	}
	if (csv)
		fprintf(csv, "rep,config,wall_ns,cpu_ns\n");
	for (rep = 0; rep < o->reps; rep++) {
		for (i = 0; i < 4; i++) {
			struct record r;
			double cpu = 0;

			if (!strchr(o->configs, cf[i].id) || (o->no_module && cf[i].module))
				continue;
			fprintf(stderr, "pfcompare: bench %d/%d %c (%s)\n", rep + 1, o->reps,
				cf[i].id, cf[i].name);
			rec_init(&r);
			if (one_run(o, &pl, &cf[i], &r)) {
				rec_free(&r);
				return 1;
			}
			for (k = 0; k < r.nprocs; k++)
				cpu += r.procs[k].ru_cpu_ns;
			cf[i].wall[cf[i].n] = wall_ns(&r);
			cf[i].cpu[cf[i].n] = cpu;
			if (csv)
				fprintf(csv, "%d,%c,%.0f,%.0f\n", rep, cf[i].id, cf[i].wall[cf[i].n], cpu);
			if (cf[i].n < 255)
				cf[i].n++;
			if (cf[i].module) {
				cf[i].handler_avg_ns = r.handler_avg_ns;
				cf[i].handler_runs = r.handler_runs;
				for (k = 1; k < r.nsamples; k++) {
					if (r.samples[k].seq != r.samples[k - 1].seq + 1)
						continue;
					if (cf[i].nivals == cf[i].cap) {
						cf[i].cap = cf[i].cap ? 2 * cf[i].cap : 1024;
						cf[i].ivals = realloc(cf[i].ivals, cf[i].cap * sizeof(double));
					}
					cf[i].ivals[cf[i].nivals++] =
						(double)(r.samples[k].mono_ns - r.samples[k - 1].mono_ns);
				}
			}
			for (k = 0; k < r.nprogs; k++) {
				cf[i].prog_ns += r.progs[k].run_time_ns;
				cf[i].prog_runs += r.progs[k].run_cnt;
			}
			rec_free(&r);
		}
	}
	if (csv)
		fclose(csv);
	base_wall = pct(cf[0].wall, cf[0].n, 0.5);
	base_cpu = pct(cf[0].cpu, cf[0].n, 0.5);
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
		double w = pct(cf[i].wall, cf[i].n, 0.5), c = pct(cf[i].cpu, cf[i].n, 0.5);

		if (!cf[i].n)
			continue;
		printf("  %c %-14s %4d %11.2f %11.2f %8.2f%% %11.2f %11.2f %8.2f%%\n", cf[i].id,
		       cf[i].name, cf[i].n, w / 1e6,
		       (pct(cf[i].wall, cf[i].n, 0.75) - pct(cf[i].wall, cf[i].n, 0.25)) / 1e6,
		       base_wall ? 100 * (w / base_wall - 1) : 0, c / 1e6,
		       (pct(cf[i].cpu, cf[i].n, 0.75) - pct(cf[i].cpu, cf[i].n, 0.25)) / 1e6,
		       base_cpu ? 100 * (c / base_cpu - 1) : 0);
	}
	for (i = 0; i < 4; i++) {
		double mean = 0, p99;

		if (cf[i].module && cf[i].n) {
			for (k = 0; k < cf[i].nivals; k++)
				mean += cf[i].ivals[k];
			mean = cf[i].nivals ? mean / cf[i].nivals : 0;
			qsort(cf[i].ivals, cf[i].nivals, sizeof(double), cmpd);
			p99 = cf[i].nivals ? cf[i].ivals[(int)floor(0.99 * (cf[i].nivals - 1))] : 0;
			printf("  %c module: handler %lld ns per sampling pass (avg since load), "
			       "period mean %.3f ms p99 %.3f ms over %d intervals (nominal 50 ms)\n",
			       cf[i].id, cf[i].handler_avg_ns, mean / 1e6, p99 / 1e6, cf[i].nivals);
			cf[i].period_mean = mean;
			cf[i].period_p99 = p99;
		}
		if (cf[i].witness && cf[i].prog_runs)
			printf("  %c witness: %.0f ns per BPF program run (%.0f runs, BPF stats)\n",
			       cf[i].id, cf[i].prog_ns / cf[i].prog_runs, cf[i].prog_runs / cf[i].n);
	}
	if (o->json) {
		fprintf(o->json, "{\"bench\":");
		fprintf(o->json, "{\"scenario\":\"%s\",\"scale\":\"%s\",\"reps\":%d,"
			"\"environment\":\"%s\",\"configs\":[", sc ? sc->name : "command",
			o->scale == SCALE_FULL ? "full" : "test", o->reps, env);
		for (i = 0; i < 4; i++) {
			if (!cf[i].n)
				continue;
			fprintf(o->json, "%s{\"id\":\"%c\",\"name\":\"%s\",\"n\":%d,"
				"\"wall_median_ns\":%.0f,\"wall_p25_ns\":%.0f,\"wall_p75_ns\":%.0f,"
				"\"cpu_median_ns\":%.0f,\"cpu_p25_ns\":%.0f,\"cpu_p75_ns\":%.0f,"
				"\"wall_slowdown_pct\":%.3f,\"cpu_slowdown_pct\":%.3f",
				first ? "" : ",", cf[i].id, cf[i].name, cf[i].n,
				pct(cf[i].wall, cf[i].n, 0.5), pct(cf[i].wall, cf[i].n, 0.25),
				pct(cf[i].wall, cf[i].n, 0.75), pct(cf[i].cpu, cf[i].n, 0.5),
				pct(cf[i].cpu, cf[i].n, 0.25), pct(cf[i].cpu, cf[i].n, 0.75),
				base_wall ? 100 * (pct(cf[i].wall, cf[i].n, 0.5) / base_wall - 1) : 0,
				base_cpu ? 100 * (pct(cf[i].cpu, cf[i].n, 0.5) / base_cpu - 1) : 0);
			if (cf[i].module)
				fprintf(o->json, ",\"handler_avg_ns\":%lld,\"period_mean_ns\":%.0f,"
					"\"period_p99_ns\":%.0f,\"intervals\":%d", cf[i].handler_avg_ns,
					cf[i].period_mean, cf[i].period_p99, cf[i].nivals);
			if (cf[i].witness && cf[i].prog_runs)
				fprintf(o->json, ",\"bpf_ns_per_run\":%.1f,\"bpf_runs_per_rep\":%.0f",
					cf[i].prog_ns / cf[i].prog_runs, cf[i].prog_runs / cf[i].n);
			fprintf(o->json, "}");
			first = 0;
		}
		fprintf(o->json, "]}}\n");
	}
	for (i = 0; i < 4; i++)
		free(cf[i].ivals);
	return 0;
}
