// SPDX-License-Identifier: GPL-2.0
/*
 * pfcompare - accuracy of the mp3 module against the eBPF witness and the
 * kernel's own accounting, and the overhead of each.  docs/compare.md.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "check.h"
#include "cmdrun.h"
#include "collect.h"
#include "output.h"
#include "record.h"
#include "scenarios.h"

static void usage(int rc);

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

enum { O_SCALE = 1000, O_OUT, O_JSON, O_NOWIT, O_WIT, O_IVAL, O_SCEN, O_REPS, O_CONF, O_SWALLOW,
       O_NOMOD };

static const struct option longopts[] = {
	{ "scale", required_argument, NULL, O_SCALE },
	{ "out", required_argument, NULL, O_OUT },
	{ "json", no_argument, NULL, O_JSON },
	{ "no-witness", no_argument, NULL, O_NOWIT },
	{ "no-module", no_argument, NULL, O_NOMOD },
	{ "witness", required_argument, NULL, O_WIT },
	{ "interval", required_argument, NULL, O_IVAL },
	{ "scenario", required_argument, NULL, O_SCEN },
	{ "reps", required_argument, NULL, O_REPS },
	{ "configs", required_argument, NULL, O_CONF },
	{ "switch-allowance-us", required_argument, NULL, O_SWALLOW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Everything the options set. */
struct opts {
	struct collect_opts co;
	struct bench_opts bo;
	enum scale scale;
	const char *dir;
	bool json, no_module;
	long long swallow;	/* --switch-allowance-us, in ns; -1: not given */
	char **cmd;		/* after --, or NULL */
};

/* An option's bit in a command's set: OPT(O_JSON). */
#define OPT(c) (1u << ((c) - O_SCALE))

/*
 * A command: its forms as USAGE shows them, the options it takes (OPT
 * bits; --help always), those it takes with -- CMD (0: it takes no
 * -- CMD), and what runs it.  An option outside its set is refused.
 */
struct command {
	const char *name;
	const char *usage;
	unsigned int opts, cmd_opts;
	int (*fn)(struct opts *o, char **args, int nargs);
};

/* A number option in [lo, hi], else usage (exit 2) naming @what. */
static double num_opt(const char *s, double lo, double hi, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr, "pfcompare: %s\n", what);
		usage(2);
	}
	return v;
}

static void parse_one(struct opts *o, int c)
{
	switch (c) {
	case O_SCALE: o->scale = o->bo.scale = parse_scale(optarg); break;
	case O_OUT: o->dir = optarg; break;
	case O_JSON: o->json = true; break;
	case O_NOWIT: o->co.witness = false; break;
	case O_NOMOD: o->no_module = true; break;
	case O_WIT: o->co.witness_prog = o->bo.witness_prog = optarg; break;
	case O_IVAL:
		o->co.witness_interval = num_opt(optarg, 0.01, 1, "--interval must be 0.01..1 s");
		break;
	case O_SCEN: o->bo.scenario = optarg; break;
	case O_REPS:
		o->bo.reps = num_opt(optarg, 1, 255, "--reps must be 1..255");
		if (o->bo.reps != atof(optarg))
			num_opt("x", 0, 0, "--reps must be 1..255");
		break;
	case O_CONF:
		if (!*optarg || strspn(optarg, "ABCD") != strlen(optarg)) {
			fprintf(stderr, "pfcompare: --configs takes letters of ABCD\n");
			usage(2);
		}
		o->bo.configs = optarg;
		break;
	case O_SWALLOW:
		o->swallow = 1000 * (long long)num_opt(optarg, 0, 100000,
						       "--switch-allowance-us must be 0..100000");
		break;
	case 'h': usage(0); break;
	default: usage(2);
	}
}

/* The long option that getopt_long returns as @c. */
static const char *opt_name(int c)
{
	int i;

	for (i = 0; longopts[i].name && longopts[i].val != c; i++)
		;
	return longopts[i].name;
}

/*
 * Refuse (exit 2) option @c if @cm does not take it (in the form given,
 * with or without -- CMD): say so, and print that command's usage.
 */
static void opt_allowed(const struct command *cm, const struct opts *o, int c)
{
	unsigned int set = o->cmd ? cm->cmd_opts : cm->opts;
	unsigned int other = o->cmd ? cm->opts : cm->cmd_opts;

	if (c < O_SCALE || c > O_NOMOD || (set & OPT(c)))
		return;
	if (other & OPT(c))
		fprintf(stderr, "pfcompare: %s takes --%s only %s -- CMD\n", cm->name,
			opt_name(c), o->cmd ? "without" : "with");
	else
		fprintf(stderr, "pfcompare: %s does not take --%s\n", cm->name, opt_name(c));
	fprintf(stderr, "USAGE: %s", cm->usage);
	exit(2);
}

/*
 * Options up to `--` (what follows it is the command, o->cmd), each one
 * that @cm takes.  A usage error exits 2.
 */
static void parse_opts(struct opts *o, const struct command *cm, int argc, char **argv)
{
	int c, k;

	for (k = 2; k < argc && strcmp(argv[k], "--"); k++)
		;
	if (k < argc) {
		if (k + 1 == argc) {
			fprintf(stderr, "pfcompare: no command after --\n");
			usage(2);
		}
		o->cmd = argv + k + 1;
	}
	if (o->cmd && !cm->cmd_opts) {
		fprintf(stderr, "pfcompare: only run and bench take -- CMD\n");
		usage(2);
	}
	optind = 2;
	while ((c = getopt_long(k, argv, "h", longopts, NULL)) != -1) {
		opt_allowed(cm, o, c);
		parse_one(o, c);
	}
	argv[k] = NULL;
}

static int do_list(struct opts *o, char **args, int nargs)
{
	int i;

	(void)o, (void)args;
	if (nargs)
		usage(2);
	for (i = 0; i < nscenarios; i++)
		printf("%-9s %s; expected differences: %s\n", scenarios[i].name,
		       scenarios[i].title, scenarios[i].expect);
	return 0;
}

static int do_check(struct opts *o, char **args, int nargs)
{
	struct record r;
	FILE *f;
	int fails;
	bool mod;

	if (nargs != 1)
		usage(2);
	f = fopen(args[0], "r");
	if (!f) {
		fprintf(stderr, "pfcompare: %s: %s\n", args[0], strerror(errno));
		return 2;
	}
	if (rec_load(&r, f, args[0])) {
		fclose(f);
		return 2;
	}
	fclose(f);
	if (o->swallow >= 0)
		r.switch_allow_ns = o->swallow;
	fails = judge(&r, "recording", o->dir, o->json);
	mod = r.have_module;
	rec_free(&r);
	return fails ? 1 : mod ? 0 : 3;
}

/* 0, or the exit status for a command that cannot run (cmd_findable). */
static int command_usable(char **cmd, bool witness)
{
	char why[512];
	int rc = cmd_findable(cmd[0], why, sizeof(why));

	if (rc) {
		fprintf(stderr, "pfcompare: cannot run %s\n", why);
		return rc;
	}
	if (witness && cmd_words_ok(cmd, why, sizeof(why))) {
		fprintf(stderr, "pfcompare: %s\n", why);
		usage(2);
	}
	return 0;
}

static int do_bench(struct opts *o, char **args, int nargs)
{
	FILE *jf = NULL;
	char csv[512], why[256];
	int rc;

	(void)args;
	if (nargs || (!o->cmd && !scenario_find(o->bo.scenario))) {
		if (!nargs)
			fprintf(stderr, "pfcompare: unknown scenario '%s'\n", o->bo.scenario);
		usage(2);
	}
	if (o->cmd && (rc = command_usable(o->cmd, true)))
		return rc;
	if (o->cmd && !o->no_module && !cmd_module_ready(why, sizeof(why))) {
		fprintf(stderr, "pfcompare: module not loaded (%s): configs A and C only\n", why);
		o->bo.no_module = true;
	}
	o->bo.no_module |= o->no_module;
	o->bo.argv = o->cmd;
	if (o->dir) {
		jf = open_out(o->dir, "bench", ".json");
		snprintf(csv, sizeof(csv), "%s/bench.csv", o->dir);
		o->bo.csv = csv;
	}
	o->bo.json = jf;
	rc = bench_main(&o->bo);
	if (jf)
		fclose(jf);
	return rc;
}

/* Save the recording, judge it, print; returns the number of failures. */
static int save_and_judge(struct record *r, const char *title, const char *dir, bool json)
{
	FILE *f;

	if (dir && (f = open_out(dir, r->scenario, ".rec"))) {
		rec_save(r, f);
		fclose(f);
	}
	return judge(r, title, dir, json);
}

/* `run -- CMD`: exit 0, 1, 3 (module not loaded), 126/127, 2. */
static int do_run_command(const struct opts *o)
{
	struct cmd_opts co = { !o->no_module, o->co.witness, true, false, o->co.witness_prog,
			       o->co.witness_interval };
	char why[256] = "--no-module";
	bool mod = !o->no_module && cmd_module_ready(why, sizeof(why));
	struct record r;
	int rc = command_usable(o->cmd, o->co.witness), nf;

	if (rc)
		return rc;
	if (!mod)
		fprintf(stderr, "pfcompare: the mp3 module is not loaded (%s): judging the "
			"witness's sources only\n", why);
	fprintf(stderr, "pfcompare: running %s ...\n", o->cmd[0]);
	rec_init(&r);
	if (o->swallow >= 0)
		r.switch_allow_ns = o->swallow;
	if (cmd_collect(o->cmd, &co, mod, &r)) {
		printf("RESULT command: FAIL (could not run the command)\n");
		rec_free(&r);
		return 1;
	}
	if (!mod)
		snprintf(r.module_why, sizeof(r.module_why), "%s", why);
	fprintf(stderr, "pfcompare: %s exited with status %d; wait4 rusage minflt=%lld majflt=%lld "
		"cpu_ns=%lld\n", o->cmd[0], r.procs[0].exit_status, r.procs[0].ru_min,
		r.procs[0].ru_maj, r.procs[0].ru_cpu_ns);
	nf = save_and_judge(&r, r.command, o->dir, o->json);
	rec_free(&r);
	return nf ? 1 : mod ? 0 : 3;
}

/* One scenario: 0 pass, 1 fail, 3 skipped. */
static int run_scenario(const struct opts *o, int i)
{
	const struct scenario *s = &scenarios[i];
	struct record r;
	struct plan pl;
	char why[256];
	int nf;

	fprintf(stderr, "pfcompare: [%d/%d] %s: %s ...\n", i + 1, nscenarios, s->name, s->title);
	memset(&pl, 0, sizeof(pl));
	s->build(&pl, o->scale);
	rec_init(&r);
	snprintf(r.scenario, sizeof(r.scenario), "%s", s->name);
	if (o->swallow >= 0)
		r.switch_allow_ns = o->swallow;
	if (!plan_runnable(&pl, why, sizeof(why))) {
		if (o->json)
			printf("{\"scenario\":\"%s\",\"skip\":true,\"reason\":\"%s\"}\n", s->name, why);
		else
			printf("  RESULT %s: SKIP (cannot run here: %s)\n", s->name, why);
		fprintf(stderr, "pfcompare: [%d/%d] %s: SKIP: cannot run here: %s\n", i + 1,
			nscenarios, s->name, why);
		rec_free(&r);
		return 3;
	}
	if (collect_run(&pl, &o->co, &r)) {
		printf("RESULT %s: FAIL (could not run the scenario)\n", s->name);
		rec_free(&r);
		return 1;
	}
	nf = save_and_judge(&r, s->title, o->dir, o->json);
	fprintf(stderr, "pfcompare: [%d/%d] %s: %s\n", i + 1, nscenarios, s->name,
		nf ? "FAIL" : "pass");
	rec_free(&r);
	return nf ? 1 : 0;
}

static int do_run(struct opts *o, char **args, int nargs)
{
	int i, rc, fails = 0, skipped = 0;

	if (o->cmd) {
		if (nargs)
			usage(2);
		return do_run_command(o);
	}
	if (nargs != 1)
		usage(2);
	if (strcmp(args[0], "all") && !scenario_find(args[0])) {
		fprintf(stderr, "pfcompare: unknown scenario '%s'\n", args[0]);
		usage(2);
	}
	for (i = 0; i < nscenarios; i++) {
		if (strcmp(args[0], "all") && strcmp(args[0], scenarios[i].name))
			continue;
		rc = run_scenario(o, i);
		fails += rc == 1;
		skipped += rc == 3;
	}
	return fails ? 1 : skipped ? 3 : 0;
}

#define RUN_OPTS (OPT(O_OUT) | OPT(O_JSON) | OPT(O_NOWIT) | OPT(O_WIT) | OPT(O_IVAL) | \
		  OPT(O_SWALLOW))
#define BENCH_OPTS (OPT(O_REPS) | OPT(O_CONF) | OPT(O_OUT) | OPT(O_WIT) | OPT(O_NOMOD))

static const struct command commands[] = {
	{ "run",
	  "pfcompare run <SCENARIO|all> [--scale test|full] [--out DIR] [--json]\n"
	  "                     [--no-witness] [--witness PROG] [--interval SECS]\n"
	  "                     [--switch-allowance-us US]\n"
	  "       pfcompare run [--out DIR] [--json] [--no-witness] [--no-module] [--witness PROG]\n"
	  "                     [--interval SECS] [--switch-allowance-us US] -- CMD [ARGS...]\n",
	  RUN_OPTS | OPT(O_SCALE), RUN_OPTS | OPT(O_NOMOD), do_run },
	{ "check",
	  "pfcompare check <RECORDING> [--json] [--out DIR] [--switch-allowance-us US]\n",
	  OPT(O_JSON) | OPT(O_OUT) | OPT(O_SWALLOW), 0, do_check },
	{ "bench",
	  "pfcompare bench [--scenario NAME] [--reps N] [--configs ABCD] [--no-module]\n"
	  "                       [--scale test|full] [--out DIR] [--witness PROG]\n"
	  "       pfcompare bench [--reps N] [--configs ABCD] [--no-module] [--out DIR]\n"
	  "                       [--witness PROG] -- CMD [ARGS...]\n",
	  BENCH_OPTS | OPT(O_SCEN) | OPT(O_SCALE), BENCH_OPTS, do_bench },
	{ "list", "pfcompare list\n", 0, 0, do_list },
};
#define NCOMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

/* The command called @name, or NULL. */
static const struct command *command_find(const char *name)
{
	int i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(int rc)
{
	FILE *f = rc ? stderr : stdout;
	int i;

	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "%s%s", i ? "       " : "USAGE: ", commands[i].usage);
	fprintf(f,
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
		"run -- CMD  the same for your own command (a script too): held before exec,\n"
		"        registered with mp3.ko (and each process it forks) when the module is\n"
		"        loaded, run under pfwitness -c (descendants followed), reaped with wait4\n"
		"        (its rusage holds the reaped descendants).  Its output goes to stderr.\n"
		"        Without the module only the witness's sources are judged and it says so.\n"
		"        Exit 0 all passed, 1 a check failed, 3 none failed but the module is not\n"
		"        loaded, 127 CMD not found, 126 not executable, 2 usage.\n"
		"check   judge a recording again (e.g. a doctored one: the self-test).\n"
		"bench   interleaved runs: A untraced, B module, C witness, D both.\n"
		"        --configs AC on a host without the module.  With -- CMD: your command\n"
		"        (ABCD with the module, AC without).\n"
		"\n"
		"Scenarios:\n");
	for (i = 0; i < nscenarios; i++)
		fprintf(f, "  %-9s %s\n", scenarios[i].name, scenarios[i].title);
	fprintf(f,
		"\nEXAMPLES:\n"
		"    pfcompare run populate                 # table on the terminal\n"
		"    pfcompare run all --out /tmp/cmp       # every scenario, JSON+CSV+recordings\n"
		"    pfcompare run churn --scale test       # the VM test's size\n"
		"    pfcompare check tests/compare/testdata/threads.rec\n"
		"    pfcompare check old.rec --switch-allowance-us 500  # recording without sclk_ns\n"
		"    pfcompare bench --reps 5 --out /tmp/cmp\n"
		"    pfcompare run -- ./myscript.sh         # your own program, every source judged\n"
		"    pfcompare run --json -- xz -T2 -6 -k big.txt\n"
		"    pfcompare bench --reps 11 -- sort --parallel=2 -o /dev/null words.txt\n");
	exit(rc);
}

/*
 * The witness to run when --witness is not given: "pfwitness" on PATH,
 * else the one built beside pfcompare (the VM's payload keeps both in one
 * bin/; a source tree has compare/bin/pfcompare and bpf/pfwitness).
 * Returns a static string.
 */
static const char *default_witness(void)
{
	static char path[PATH_MAX];
	static const char *const rel[] = { "pfwitness", "../../bpf/pfwitness" };
	const char *p = getenv("PATH");
	char self[PATH_MAX], *dir;
	ssize_t n;
	size_t i;

	while (p && *p) {
		size_t len = strcspn(p, ":");

		snprintf(path, sizeof(path), "%.*s/pfwitness", (int)len, p);
		if (len && !access(path, X_OK))
			return "pfwitness";
		p += len + (p[len] == ':');
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return "pfwitness";
	self[n] = 0;
	dir = dirname(self);
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rel[i]);
		if (!access(path, X_OK))
			return path;
	}
	return "pfwitness";
}

int main(int argc, char **argv)
{
	struct opts o = {
		.co = { true, true, true, "pfwitness", 0.01, false },
		.bo = { "threads", SCALE_FULL, 5, "ABCD", "pfwitness", NULL, NULL, NULL, false },
		.scale = SCALE_FULL, .swallow = -1,
	};
	const struct command *cm;
	char **args;
	int nargs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	o.co.witness_prog = o.bo.witness_prog = default_witness();
	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		usage(0);
	cm = command_find(argv[1]);
	if (!cm) {
		fprintf(stderr, "pfcompare: unknown command '%s'\n", argv[1]);
		usage(2);
	}
	parse_opts(&o, cm, argc, argv);
	args = argv + optind;
	for (nargs = 0; args[nargs]; nargs++)
		;
	if (o.dir && mkdir(o.dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "pfcompare: mkdir %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	return cm->fn(&o, args, nargs);
}
