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
static void say_fallbacks(const struct witness *w)
{
	char line[256];
	FILE *f = fopen(w->err, "r");

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
 * The counter columns, found by name in the CSV's header line (`type,seq,
 * ...`), so that columns a newer pfwitness appends break nothing and
 * columns an older one lacks read as 0.
 */
enum col { C_SEQ, C_MONO, C_SECS, C_PID, C_TPU, C_TPK, C_PEMIN, C_PEMAJ, C_FXMIN, C_FXMAJ,
	   C_FXGUP, C_FXSKIP, C_CPU, C_SCLK, C_RUMIN, C_RUMAJ, C_MISSIN, C_MISSOUT, C_CPUREC,
	   C_PEMISSMIN, C_PEMISSMAJ, C_N };

static const char *const colname[C_N] = {
	"seq", "mono_ns", "secs", "pid", "tp_user", "tp_kernel", "pe_min", "pe_maj", "fx_min",
	"fx_maj", "fx_gup", "fx_skip", "cpu_ns", "sclk_ns", "ru_min", "ru_maj", "miss_in",
	"miss_out", "cpu_rec_ns", "pe_miss_min", "pe_miss_maj",
};

struct cols {
	int at[C_N];	/* field index, -1: absent */
	bool have;	/* a header was read */
};

static void cols_from_header(struct cols *k, char **f, int n)
{
	int c, i;

	for (c = 0; c < C_N; c++) {
		k->at[c] = -1;
		for (i = 1; i < n; i++)
			if (!strcmp(f[i], colname[c]))
				k->at[c] = i;
	}
	k->have = true;
}

/* Field @c of a row as a number; 0 when absent or empty. */
static long long col(const struct cols *k, char **f, int n, enum col c)
{
	int i = k->at[c];

	return i >= 0 && i < n ? atoll(f[i]) : 0;
}

static void counts_from(struct wcounts *w, const struct cols *k, char **f, int n)
{
	long long *dst[] = { &w->tp_user, &w->tp_kernel, &w->pe_min, &w->pe_maj, &w->fx_min,
			     &w->fx_maj, &w->fx_gup, &w->fx_skip, &w->cpu_ns, &w->sclk_ns,
			     &w->ru_min, &w->ru_maj, &w->miss_in, &w->miss_out, &w->cpu_rec_ns,
			     &w->pe_miss_min, &w->pe_miss_maj };
	int c;

	for (c = C_TPU; c < C_N; c++)
		*dst[c - C_TPU] = col(k, f, n, c);
}

static struct proc_rec *find_proc(struct record *r, int pid)
{
	int i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

/* Which sources attached, and (with -c) the witness's own wait4 line. */
static void parse_stderr(const struct witness *w, struct record *r)
{
	char line[1024];
	long long mn, mj, ut, st;
	FILE *in = fopen(w->err, "r");

	while (in && fgets(line, sizeof(line), in)) {
		bool att = strstr(line, ": attached") != NULL;
		char *e = strstr(line, "; rusage minflt=");

		if (strstr(line, "pfwitness: tracepoints:"))
			r->wit_tp = att;
		else if (strstr(line, "pfwitness: perf sw events:"))
			r->wit_pe = att;
		else if (strstr(line, "pfwitness: fexit handle_mm_fault:"))
			r->wit_fx = att;
		else if (strstr(line, "pfwitness: sched_switch:"))
			r->wit_sw = att;
		else if (strstr(line, "pfwitness: thread fault counters:"))
			r->wit_ru = att;
		else if (!strncmp(line, "pfwitness: ", 11) && e &&
			 sscanf(e, "; rusage minflt=%lld majflt=%lld utime_us=%lld stime_us=%lld",
				&mn, &mj, &ut, &st) == 4) {
			r->wit_wait_min = mn;
			r->wit_wait_maj = mj;
			r->wit_wait_cpu_ns = (ut + st) * 1000;
		}
	}
	if (in)
		fclose(in);
}

static void add_program(struct record *r, char **f, int n)
{
	struct wprog *g;

	if (n < 9 || r->nprogs >= 16)
		return;
	g = &r->progs[r->nprogs++];
	snprintf(g->name, sizeof(g->name), "%s", f[6]);
	g->run_cnt = atoll(f[7] + strcspn(f[7], "=") + 1);
	g->run_time_ns = atoll(f[8] + strcspn(f[8], "=") + 1);
	if (n >= 11)
		g->misses = atoll(f[10] + strcspn(f[10], "=") + 1);
}

/* A `total` row: its pid's, or with @tree procs[0]'s (every row is the
 * command's tree: -c follows descendants).
 */
static void add_total(struct record *r, const struct cols *k, char **f, int n, bool tree)
{
	struct proc_rec *p = tree ? (r->nprocs ? &r->procs[0] : NULL) :
				    find_proc(r, (int)col(k, f, n, C_PID));
	struct wcounts c;

	if (!p)
		return;
	counts_from(&c, k, f, n);
	if (!p->have_wit)
		memset(&p->wit, 0, sizeof(p->wit));
	wcounts_add(&p->wit, &c);
	p->have_wit = true;
}

int witness_parse(struct witness *w, struct record *r, bool tree)
{
	char line[2048], *f[64];
	struct cols k = { .have = false };
	struct wcounts c;
	FILE *in;
	int n;

	parse_stderr(w, r);
	in = fopen(w->out, "r");
	if (!in) {
		fprintf(stderr, "pfcompare: no witness output\n");
		return -1;
	}
	while (fgets(line, sizeof(line), in)) {
		n = split(line, f, 64);
		if (!strcmp(f[0], "type")) {
			cols_from_header(&k, f, n);
		} else if (!k.have) {
			continue;	/* no header (yet): nothing to read by name */
		} else if (!strcmp(f[0], "interval")) {
			counts_from(&c, &k, f, n);
			rec_add_bucket(r, col(&k, f, n, C_SEQ),
				       strtoull(f[k.at[C_MONO] >= 0 ? k.at[C_MONO] : 0], NULL, 10),
				       k.at[C_SECS] >= 0 && k.at[C_SECS] < n ? atof(f[k.at[C_SECS]]) : 0,
				       &c);
		} else if (!strcmp(f[0], "total")) {
			add_total(r, &k, f, n, tree);
		} else if (!strcmp(f[0], "program")) {
			add_program(r, f, n);
		}
	}
	fclose(in);
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
