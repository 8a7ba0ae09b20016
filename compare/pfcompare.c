// SPDX-License-Identifier: GPL-2.0
/*
 * pfcompare - accuracy of the mp3 module against the eBPF witness and the
 * kernel's own accounting, and the overhead of each.  docs/compare.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "check.h"
#include "collect.h"
#include "output.h"
#include "record.h"
#include "scenarios.h"

static void usage(int rc)
{
	FILE *f = rc ? stderr : stdout;
	int i;

	fprintf(f,
		"USAGE: pfcompare run <SCENARIO|all> [--scale test|full] [--out DIR] [--json]\n"
		"                     [--no-witness] [--witness PROG] [--interval SECS]\n"
		"                     [--switch-allowance-us US]\n"
		"       pfcompare check <RECORDING> [--json] [--out DIR] [--switch-allowance-us US]\n"
		"       pfcompare bench [--scenario NAME] [--reps N] [--configs ABCD]\n"
		"                       [--scale test|full] [--out DIR] [--witness PROG]\n"
		"       pfcompare list\n"
		"\n"
		"run     launch the scenario's processes held before exec, register them with\n"
		"        mp3.ko and pfwitness, release them, hold each at exit for /proc, reap\n"
		"        with wait4, and check every source against that ground truth.\n"
		"        --out DIR writes NAME.json, NAME.windows.csv and NAME.rec (a\n"
		"        recording `check` re-judges).  Exit 1 if a check fails, 3 if none\n"
		"        failed but a scenario cannot run on this machine (RESULT ... SKIP,\n"
		"        with the reason, e.g. no memory cgroup controller).\n"
		"        --switch-allowance-us: sched_switch CPU time may exceed the kernel's\n"
		"        by this much per voluntary context switch (default 100; the\n"
		"        recording keeps it).  Used only when the recording has no\n"
		"        scheduler-clock figure (sclk_ns) to explain the excess with.\n"
		"check   judge a recording again (e.g. a doctored one: the self-test).\n"
		"bench   interleaved runs: A untraced, B module, C witness, D both.\n"
		"        --configs AC on a host without the module.\n"
		"\n"
		"Scenarios:\n");
	for (i = 0; i < nscenarios; i++)
		fprintf(f, "  %-9s %s\n", scenarios[i].name, scenarios[i].title);
	fprintf(f,
		"\nEXAMPLES:\n"
		"    pfcompare run populate                 # table on the terminal\n"
		"    pfcompare run all --out /tmp/cmp       # every scenario, JSON+CSV+recordings\n"
		"    pfcompare run churn --scale test       # the VM test's size\n"
		"    pfcompare check compare/testdata/threads.rec\n"
		"    pfcompare check old.rec --switch-allowance-us 500  # recording without sclk_ns\n"
		"    pfcompare bench --reps 5 --out /tmp/cmp\n");
	exit(rc);
}

static FILE *open_out(const char *dir, const char *name, const char *ext)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "pfcompare: %s: %s\n", path, strerror(errno));
	return f;
}

/* Judge @r, print it, write the files; returns the number of failures. */
static int judge(const struct record *r, const char *title, const char *dir, bool json)
{
	struct checked c;
	FILE *f;
	int fails;

	check_record(r, &c);
	if (json)
		out_json(stdout, r, &c, title);
	else
		out_table(stdout, r, &c, title);
	if (dir) {
		if ((f = open_out(dir, r->scenario, ".json"))) {
			out_json(f, r, &c, title);
			fclose(f);
		}
		if ((f = open_out(dir, r->scenario, ".windows.csv"))) {
			out_windows_csv(f, &c);
			fclose(f);
		}
	}
	fflush(stdout);
	fails = c.fails;
	check_free(&c);
	return fails;
}

static enum scale parse_scale(const char *s)
{
	if (!strcmp(s, "test"))
		return SCALE_TEST;
	if (!strcmp(s, "full"))
		return SCALE_FULL;
	fprintf(stderr, "pfcompare: --scale must be test or full, not '%s'\n", s);
	usage(2);
	return SCALE_FULL;
}

enum { O_SCALE = 1000, O_OUT, O_JSON, O_NOWIT, O_WIT, O_IVAL, O_SCEN, O_REPS, O_CONF, O_SWALLOW };

static const struct option longopts[] = {
	{ "scale", required_argument, NULL, O_SCALE },
	{ "out", required_argument, NULL, O_OUT },
	{ "json", no_argument, NULL, O_JSON },
	{ "no-witness", no_argument, NULL, O_NOWIT },
	{ "witness", required_argument, NULL, O_WIT },
	{ "interval", required_argument, NULL, O_IVAL },
	{ "scenario", required_argument, NULL, O_SCEN },
	{ "reps", required_argument, NULL, O_REPS },
	{ "configs", required_argument, NULL, O_CONF },
	{ "switch-allowance-us", required_argument, NULL, O_SWALLOW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct collect_opts co = { true, true, true, "pfwitness", 0.01, false };
	struct bench_opts bo = { "threads", SCALE_FULL, 5, "ABCD", "pfwitness", NULL, NULL };
	const char *cmd, *dir = NULL;
	enum scale scale = SCALE_FULL;
	bool json = false;
	long long swallow = -1;	/* --switch-allowance-us, in ns */
	char *end, why[256];
	int c, i, fails = 0, ran = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
		usage(0);
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_SCALE:
			scale = bo.scale = parse_scale(optarg);
			break;
		case O_OUT:
			dir = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case O_NOWIT:
			co.witness = false;
			break;
		case O_WIT:
			co.witness_prog = bo.witness_prog = optarg;
			break;
		case O_IVAL:
			co.witness_interval = strtod(optarg, &end);
			if (*end || co.witness_interval < 0.01 || co.witness_interval > 1) {
				fprintf(stderr, "pfcompare: --interval must be 0.01..1 s\n");
				usage(2);
			}
			break;
		case O_SCEN:
			bo.scenario = optarg;
			break;
		case O_REPS:
			bo.reps = strtol(optarg, &end, 10);
			if (*end || bo.reps < 1 || bo.reps > 255) {
				fprintf(stderr, "pfcompare: --reps must be 1..255\n");
				usage(2);
			}
			break;
		case O_CONF:
			if (!*optarg || strspn(optarg, "ABCD") != strlen(optarg)) {
				fprintf(stderr, "pfcompare: --configs takes letters of ABCD\n");
				usage(2);
			}
			bo.configs = optarg;
			break;
		case O_SWALLOW:
			swallow = strtoll(optarg, &end, 10);
			if (!*optarg || *end || swallow < 0 || swallow > 100000) {
				fprintf(stderr, "pfcompare: --switch-allowance-us must be 0..100000\n");
				usage(2);
			}
			swallow *= 1000;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (dir && mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "pfcompare: mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (!strcmp(cmd, "list")) {
		if (optind != argc)
			usage(2);
		for (i = 0; i < nscenarios; i++)
			printf("%-9s %s; expected differences: %s\n", scenarios[i].name,
			       scenarios[i].title, scenarios[i].expect);
		return 0;
	}
	if (!strcmp(cmd, "check")) {
		struct record r;
		FILE *f;

		if (optind != argc - 1)
			usage(2);
		f = fopen(argv[optind], "r");
		if (!f) {
			fprintf(stderr, "pfcompare: %s: %s\n", argv[optind], strerror(errno));
			return 2;
		}
		if (rec_load(&r, f, argv[optind])) {
			fclose(f);
			return 2;
		}
		fclose(f);
		if (swallow >= 0)
			r.switch_allow_ns = swallow;
		fails = judge(&r, "recording", dir, json);
		rec_free(&r);
		return fails ? 1 : 0;
	}
	if (!strcmp(cmd, "bench")) {
		FILE *jf = NULL;
		char csv[512];
		int rc;

		if (optind != argc)
			usage(2);
		if (!scenario_find(bo.scenario)) {
			fprintf(stderr, "pfcompare: unknown scenario '%s'\n", bo.scenario);
			usage(2);
		}
		if (dir) {
			jf = open_out(dir, "bench", ".json");
			snprintf(csv, sizeof(csv), "%s/bench.csv", dir);
			bo.csv = csv;
		}
		bo.json = jf;
		rc = bench_main(&bo);
		if (jf)
			fclose(jf);
		return rc;
	}
	if (strcmp(cmd, "run")) {
		fprintf(stderr, "pfcompare: unknown command '%s'\n", cmd);
		usage(2);
	}
	if (optind != argc - 1)
		usage(2);
	if (strcmp(argv[optind], "all") && !scenario_find(argv[optind])) {
		fprintf(stderr, "pfcompare: unknown scenario '%s'\n", argv[optind]);
		usage(2);
	}
	for (i = 0; i < nscenarios; i++) {
		const struct scenario *s = &scenarios[i];
		struct record r;
		struct plan pl;
		int nf;

		if (strcmp(argv[optind], "all") && strcmp(argv[optind], s->name))
			continue;
		fprintf(stderr, "pfcompare: [%d/%d] %s: %s ...\n", i + 1, nscenarios, s->name, s->title);
		memset(&pl, 0, sizeof(pl));
		s->build(&pl, scale);
		rec_init(&r);
		snprintf(r.scenario, sizeof(r.scenario), "%s", s->name);
		if (swallow >= 0)
			r.switch_allow_ns = swallow;
		ran++;
		if (!plan_runnable(&pl, why, sizeof(why))) {
			if (json)
				printf("{\"scenario\":\"%s\",\"skip\":true,\"reason\":\"%s\"}\n",
				       s->name, why);
			else
				printf("  RESULT %s: SKIP (cannot run here: %s)\n", s->name, why);
			fprintf(stderr, "pfcompare: [%d/%d] %s: SKIP: cannot run here: %s\n",
				i + 1, nscenarios, s->name, why);
			skipped++;
			rec_free(&r);
			continue;
		}
		if (collect_run(&pl, &co, &r)) {
			printf("RESULT %s: FAIL (could not run the scenario)\n", s->name);
			fails++;
			rec_free(&r);
			continue;
		}
		if (dir) {
			FILE *f = open_out(dir, s->name, ".rec");

			if (f) {
				rec_save(&r, f);
				fclose(f);
			}
		}
		nf = judge(&r, s->title, dir, json);
		fprintf(stderr, "pfcompare: [%d/%d] %s: %s\n", i + 1, nscenarios, s->name,
			nf ? "FAIL" : "pass");
		fails += nf != 0;
		rec_free(&r);
	}
	return fails ? 1 : skipped ? 3 : 0;
}
