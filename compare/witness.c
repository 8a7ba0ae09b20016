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

int witness_start(struct witness *w, const char *prog, const pid_t *pids, int n,
		  double interval)
{
	char *argv[2 * REC_MAX_PROCS + 8], pidbuf[REC_MAX_PROCS][16], ival[32];
	int i, k = 0, fd;

	snprintf(w->out, sizeof(w->out), "/tmp/pfcompare-wit.%d.csv", (int)getpid());
	snprintf(w->err, sizeof(w->err), "/tmp/pfcompare-wit.%d.err", (int)getpid());
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

/* @f: the counter fields (CSV_FIELDS in bpf/report.c), @n of them. */
static void counts_from(struct wcounts *c, char **f, int n)
{
	c->tp_user = atoll(f[0]);
	c->tp_kernel = atoll(f[1]);
	c->pe_min = atoll(f[2]);
	c->pe_maj = atoll(f[3]);
	c->fx_min = atoll(f[4]);
	c->fx_maj = atoll(f[5]);
	c->fx_gup = atoll(f[6]);
	c->fx_skip = atoll(f[7]);
	c->cpu_ns = atoll(f[8]);
	c->sclk_ns = n > 9 ? atoll(f[9]) : 0;	/* added later */
}

static struct proc_rec *find_proc(struct record *r, int pid)
{
	int i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

int witness_stop(struct witness *w, struct record *r)
{
	char line[1024], *f[24];
	struct wcounts c;
	struct proc_rec *p;
	FILE *in;
	int st, n;

	if (!w->pid)
		return -1;
	kill(w->pid, SIGINT);
	waitpid(w->pid, &st, 0);
	w->pid = 0;
	in = fopen(w->err, "r");
	while (in && fgets(line, sizeof(line), in)) {
		bool att = strstr(line, ": attached") != NULL;

		if (strstr(line, "pfwitness: tracepoints:"))
			r->wit_tp = att;
		else if (strstr(line, "pfwitness: perf sw events:"))
			r->wit_pe = att;
		else if (strstr(line, "pfwitness: fexit handle_mm_fault:"))
			r->wit_fx = att;
		else if (strstr(line, "pfwitness: sched_switch:"))
			r->wit_sw = att;
	}
	if (in)
		fclose(in);
	in = fopen(w->out, "r");
	if (!in) {
		fprintf(stderr, "pfcompare: no witness output\n");
		return -1;
	}
	while (fgets(line, sizeof(line), in)) {
		n = split(line, f, 24);
		if (!strcmp(f[0], "interval") && n >= 16) {
			counts_from(&c, f + 7, n - 7);
			rec_add_bucket(r, atoll(f[1]), strtoull(f[3], NULL, 10), atof(f[4]), &c);
		} else if (!strcmp(f[0], "total") && n >= 16) {
			p = find_proc(r, atoi(f[5]));
			if (p) {
				counts_from(&p->wit, f + 7, n - 7);
				p->have_wit = true;
			}
		} else if (!strcmp(f[0], "program") && n >= 9 && r->nprogs < 16) {
			struct wprog *g = &r->progs[r->nprogs++];

			snprintf(g->name, sizeof(g->name), "%s", f[6]);
			g->run_cnt = atoll(f[7] + strcspn(f[7], "=") + 1);
			g->run_time_ns = atoll(f[8] + strcspn(f[8], "=") + 1);
			if (n >= 11)
				g->misses = atoll(f[10] + strcspn(f[10], "=") + 1);
		}
	}
	fclose(in);
	r->have_witness = true;
	unlink(w->out);
	unlink(w->err);
	return 0;
}
