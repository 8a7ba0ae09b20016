// SPDX-License-Identifier: GPL-2.0
/* witness.c - pfwitness as a child process; see witness.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pfprof/witness_record.h"
#include "witness.h"

static long fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/*
 * Pass on what pfwitness said at start about this kernel lacking
 * something ("X unavailable on this kernel: ...; using Y"), so that the
 * run's log shows which fallbacks its figures come from.
 */
static void say_fallbacks(struct witness *w)
{
	char line[256];
	FILE *f;

	if (w->said)
		return;
	w->said = true;
	f = fopen(w->err, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "pfwitness: ", 11) &&
		    strstr(line, " unavailable on this kernel: "))
			fprintf(stderr, "pfcompare: witness: %s", line + 11);
	if (f)
		fclose(f);
}

void witness_files(struct witness *w)
{
	snprintf(w->out, sizeof(w->out), "/tmp/pfcompare-wit.%d.csv", (int)getpid());
	snprintf(w->err, sizeof(w->err), "/tmp/pfcompare-wit.%d.err", (int)getpid());
	w->said = false;
}

int witness_start(struct witness *w, const char *prog, const pid_t *pids, int n,
		  double interval)
{
	char *argv[2 * REC_MAX_PROCS + 8], pidbuf[REC_MAX_PROCS][16], ival[32];
	int i, k = 0, fd;

	witness_files(w);
	snprintf(ival, sizeof(ival), "%g", interval);
	argv[k++] = (char *)prog;
	argv[k++] = "--csv";
	argv[k++] = "-s";	/* every source: each difference is classed by them */
	argv[k++] = "all";
	for (i = 0; i < n && i < REC_MAX_PROCS; i++) {
		snprintf(pidbuf[i], sizeof(pidbuf[i]), "%d", (int)pids[i]);
		argv[k++] = "-p";
		argv[k++] = pidbuf[i];
	}
	argv[k++] = ival;
	argv[k] = NULL;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (!w->pid) {
		fd = open(w->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		fd = open(w->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(prog, argv);
		fprintf(stderr, "pfcompare: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	/* Its first interval is flushed only after the targets are set. */
	for (i = 0; i < 600; i++) {
		struct timespec ts = { 0, 50000000 };
		int st;

		if (fsize(w->out) > 0) {
			say_fallbacks(w);
			return 0;
		}
		if (waitpid(w->pid, &st, WNOHANG) == w->pid) {
			char line[256];
			FILE *f = fopen(w->err, "r");

			fprintf(stderr, "pfcompare: the witness exited before attaching:\n");
			while (f && fgets(line, sizeof(line), f))
				fprintf(stderr, "  %s", line);
			if (f)
				fclose(f);
			w->pid = 0;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "pfcompare: the witness did not start within 30 s\n");
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
	return -1;
}

/* Split a CSV line in place; returns the field count. */
static int split(char *s, char **f, int max)
{
	int n = 0;

	s[strcspn(s, "\n")] = 0;
	f[n++] = s;
	while (*s && n < max) {
		if (*s == ',') {
			*s = 0;
			f[n++] = s + 1;
		}
		s++;
	}
	return n;
}

/*
 * The record's columns (include/pfprof/witness_record.h), found by name in
 * its header line (`type,seq,...`): columns a newer pfwitness adds are not
 * looked at, and columns it lacks read as 0.
 */
enum fixed { F_SEQ, F_MONO, F_SECS, F_PID, F_COMM, F_N };
static const char *const fixed_name[F_N] = { "seq", "mono_ns", "secs", "pid", "comm" };

struct cols {
	int fixed[F_N];			/* field index, -1: absent */
	int counter[PFW_NCOUNTERS];	/* likewise, by enum pfw_counter */
	bool have;			/* a header was read */
	int major, minor;		/* the record's version; major 0: no line */
};

static int find(char **f, int n, const char *name)
{
	int i;

	for (i = 1; i < n; i++)
		if (!strcmp(f[i], name))
			return i;
	return -1;
}

static void cols_from_header(struct cols *k, char **f, int n)
{
	int c;

	for (c = 0; c < F_N; c++)
		k->fixed[c] = find(f, n, fixed_name[c]);
	for (c = 0; c < PFW_NCOUNTERS; c++)
		k->counter[c] = find(f, n, pfw_counter_names[c]);
	k->have = true;
}

/* Field @i of a row; "" when absent. */
static const char *field(char **f, int n, int i)
{
	return i >= 0 && i < n ? f[i] : "";
}

/* The value of KEY=VALUE among a row's fields after its name, or NULL. */
static const char *keyed(char **f, int n, const struct cols *k, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = k->fixed[F_COMM] + 1; i > 0 && i < n; i++)
		if (!strncmp(f[i], key, len) && f[i][len] == '=')
			return f[i] + len + 1;
	return NULL;
}

static long long keyed_ll(char **f, int n, const struct cols *k, const char *key)
{
	const char *v = keyed(f, n, k, key);

	return v ? atoll(v) : 0;
}

/* An interval or total row's counters into the ones pfcompare judges. */
static void counts_from(struct wcounts *w, const struct cols *k, char **f, int n)
{
	long long v[PFW_NCOUNTERS];
	int c;

	for (c = 0; c < PFW_NCOUNTERS; c++)
		v[c] = atoll(field(f, n, k->counter[c]));
	/* struct wcounts (record.h) keeps the record's names */
#define WC(name) w->name = v[PFW_C_##name];
	WC(tp_user) WC(tp_kernel) WC(pe_min) WC(pe_maj) WC(fx_min) WC(fx_maj) WC(fx_gup)
	WC(fx_skip) WC(cpu_ns) WC(sclk_ns) WC(ru_min) WC(ru_maj) WC(miss_in) WC(miss_out)
	WC(cpu_rec_ns) WC(pe_miss_min) WC(pe_miss_maj)
#undef WC
}

static struct proc_rec *find_proc(struct record *r, int pid)
{
	int i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

/* The key names of program and wait4 rows, from the record's tables. */
#define P(name) pfw_prog_field_names[PFW_P_##name]
#define W(name) pfw_wait4_field_names[PFW_W_##name]

/* A `source` row: which one, and whether it attached. */
static void add_source(struct record *r, const struct cols *k, char **f, int n)
{
	const char *name = field(f, n, k->fixed[F_COMM]);
	bool att = keyed_ll(f, n, k, "attached") != 0;
	bool *dst[PFW_NSOURCES] = {
		[PFW_S_tracepoint] = &r->wit_tp, [PFW_S_perf_event] = &r->wit_pe,
		[PFW_S_fexit] = &r->wit_fx, [PFW_S_sched_switch] = &r->wit_sw,
		[PFW_S_thread_counters] = &r->wit_ru,
	};
	int i;

	for (i = 0; i < PFW_NSOURCES; i++)
		if (!strcmp(name, pfw_source_names[i]))
			*dst[i] = att;
}

/* The `wait4` row (-c): the witness's own wait4 of the command. */
static void add_wait4(struct record *r, const struct cols *k, char **f, int n)
{
	if (!keyed(f, n, k, W(minflt)) || !keyed(f, n, k, W(majflt)))
		return;
	r->wit_wait_min = keyed_ll(f, n, k, W(minflt));
	r->wit_wait_maj = keyed_ll(f, n, k, W(majflt));
	r->wit_wait_cpu_ns = (keyed_ll(f, n, k, W(utime_us)) + keyed_ll(f, n, k, W(stime_us))) * 1000;
}

static void add_program(struct record *r, const struct cols *k, char **f, int n)
{
	struct wprog *g;

	if (!keyed(f, n, k, P(run_cnt)) || !keyed(f, n, k, P(run_time_ns)) || r->nprogs >= 16)
		return;
	g = &r->progs[r->nprogs++];
	snprintf(g->name, sizeof(g->name), "%s", field(f, n, k->fixed[F_COMM]));
	g->run_cnt = keyed_ll(f, n, k, P(run_cnt));
	g->run_time_ns = keyed_ll(f, n, k, P(run_time_ns));
	g->misses = keyed_ll(f, n, k, P(recursion_misses));
}

/* A `total` row: its pid's, or with @tree procs[0]'s (every row is the
 * command's tree: -c follows descendants).
 */
static void add_total(struct record *r, const struct cols *k, char **f, int n, bool tree)
{
	struct proc_rec *p = tree ? (r->nprocs ? &r->procs[0] : NULL) :
				    find_proc(r, atoi(field(f, n, k->fixed[F_PID])));
	struct wcounts c;

	if (!p)
		return;
	counts_from(&c, k, f, n);
	if (!p->have_wit)
		memset(&p->wit, 0, sizeof(p->wit));
	wcounts_add(&p->wit, &c);
	p->have_wit = true;
}

/*
 * The record's first line, "# pfwitness-record MAJOR.MINOR": 0, or -1 with
 * a message when its major is not the one this pfcompare reads.
 */
static int record_version(struct cols *k, const char *line, const char *path)
{
	const char *tag = "# " PFW_RECORD_TAG " ";

	if (strncmp(line, tag, strlen(tag)))
		return 0;	/* another comment */
	if (sscanf(line + strlen(tag), "%d.%d", &k->major, &k->minor) != 2)
		k->major = -1;
	if (k->major == PFW_RECORD_MAJOR)
		return 0;
	fprintf(stderr, "pfcompare: %s: witness record version %.*s, this pfcompare reads "
		"version %d.x only (pfwitness and pfcompare from different trees?)\n", path,
		(int)strcspn(line + strlen(tag), "\n"), line + strlen(tag), PFW_RECORD_MAJOR);
	return -1;
}

int witness_parse(struct witness *w, struct record *r, bool tree)
{
	char line[2048], *f[64];
	struct cols k = { .have = false };
	struct wcounts c;
	FILE *in;
	int n, rc = 0;

	/* pfcompare run starts pfwitness itself: say them here, at the end */
	say_fallbacks(w);
	in = fopen(w->out, "r");
	if (!in) {
		fprintf(stderr, "pfcompare: no witness output\n");
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), in)) {
		if (line[0] == '#') {
			rc = record_version(&k, line, w->out);
			continue;
		}
		n = split(line, f, 64);
		if (!strcmp(f[0], "type")) {
			if (!k.major) {
				fprintf(stderr, "pfcompare: %s: no '# " PFW_RECORD_TAG "' line before "
					"the header: not a pfwitness record this pfcompare reads\n", w->out);
				rc = -1;
			}
			cols_from_header(&k, f, n);
		} else if (!k.have) {
			continue;	/* no header (yet): nothing to read by name */
		} else if (!strcmp(f[0], "interval")) {
			counts_from(&c, &k, f, n);
			rec_add_bucket(r, atoll(field(f, n, k.fixed[F_SEQ])),
				       strtoull(field(f, n, k.fixed[F_MONO]), NULL, 10),
				       atof(field(f, n, k.fixed[F_SECS])), &c);
		} else if (!strcmp(f[0], "total")) {
			add_total(r, &k, f, n, tree);
		} else if (!strcmp(f[0], "program")) {
			add_program(r, &k, f, n);
		} else if (!strcmp(f[0], "source")) {
			add_source(r, &k, f, n);
		} else if (!strcmp(f[0], "wait4")) {
			add_wait4(r, &k, f, n);
		}
	}
	fclose(in);
	if (rc)
		return -1;
	r->have_witness = true;
	return 0;
}

void witness_cleanup(struct witness *w)
{
	unlink(w->out);
	unlink(w->err);
}

int witness_stop(struct witness *w, struct record *r)
{
	int st, rc;

	if (!w->pid)
		return -1;
	kill(w->pid, SIGINT);
	waitpid(w->pid, &st, 0);
	w->pid = 0;
	rc = witness_parse(w, r, false);
	witness_cleanup(w);
	return rc;
}
