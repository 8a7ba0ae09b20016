// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * top.c - pftrace top: the processes faulting most, refreshed each
 * interval.  On a terminal the table redraws in place and keys change the
 * sort (m minor, j major, g no-#PF, c CPU, l latency, p PID; q quits);
 * otherwise it prints one table per interval.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include "view.h"
#include "pftrace.skel.h"

enum sort_key { BY_MINOR, BY_MAJOR, BY_GUP, BY_CPU, BY_LAT, BY_PID };

static const char *const sort_names[] = { "minor/s", "major/s", "no-#PF/s", "CPU%",
					  "p99", "PID" };

struct top_row {
	__u32 slot, pid;
	char comm[16];
	struct pft_counts now;		/* cumulative */
	double minor, major, gup;	/* per second, this interval */
	double cpu;			/* % of one CPU */
	double p99_us;
	/* CPU time (utime + stime, clock ticks, /proc/PID/stat) of the process */
	unsigned long long start;	/* its start time, to tell a reused PID */
	unsigned long long last;	/* its ticks when last seen alive (polled) */
	unsigned long long base;	/* its ticks at the interval's start */
	bool has_base, has_start;
};

/*
 * Every process's CPU time at the start of the interval (a scan of /proc,
 * sorted by PID): the base of a row first seen in the interval, if its
 * process was there then; else it began in the interval, from 0.
 */
struct proc_cpu {
	__u32 pid;
	unsigned long long start, ticks;
};

struct top_state {
	enum sort_key sort_by;
	struct top_row *rows;	/* indexed by slot */
	__u32 nrows;
	struct proc_cpu *scan;
	int nscan;
	struct termios saved;	/* the terminal's mode before tty_raw() */
	bool raw_tty;
};

static void restore_tty(struct top_state *ts)
{
	if (ts->raw_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &ts->saved);
	ts->raw_tty = false;
}

/* Keys without Enter, not echoed (until restore_tty(), at the end). */
static void tty_raw(struct top_state *ts)
{
	struct termios t;

	if (ts->raw_tty || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    tcgetattr(STDIN_FILENO, &ts->saved))
		return;
	t = ts->saved;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t))
		ts->raw_tty = true;
}

static int top_key(void *state, int key)
{
	struct top_state *ts = state;

	switch (key) {
	case 'm': ts->sort_by = BY_MINOR; break;
	case 'j': ts->sort_by = BY_MAJOR; break;
	case 'g': ts->sort_by = BY_GUP; break;
	case 'c': ts->sort_by = BY_CPU; break;
	case 'l': ts->sort_by = BY_LAT; break;
	case 'p': ts->sort_by = BY_PID; break;
	case 'q': return 1;
	}
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_cpu *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Every process's CPU time now, into scan[]. */
static void scan_procs(struct top_state *ts)
{
	struct proc_cpu *grown;
	struct dirent *d;
	int cap = ts->nscan;
	DIR *dir = opendir("/proc");

	ts->nscan = 0;
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		struct proc_cpu c;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		c.pid = strtoul(d->d_name, NULL, 10);
		if (!pft_proc_cpu(c.pid, &c.ticks, &c.start))
			continue;
		if (ts->nscan == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(ts->scan, cap * sizeof(*ts->scan));
			if (!grown)
				break;
			ts->scan = grown;
		}
		ts->scan[ts->nscan++] = c;
	}
	closedir(dir);
	qsort(ts->scan, ts->nscan, sizeof(*ts->scan), cmp_pid);
}

/* Room for rows 0..@n-1; -ENOMEM if there is no memory. */
static int rows_grow(struct top_state *ts, __u32 n)
{
	struct top_row *g;

	if (n <= ts->nrows)
		return 0;
	g = realloc(ts->rows, n * sizeof(*ts->rows));
	if (!g)
		return -ENOMEM;
	memset(g + ts->nrows, 0, (n - ts->nrows) * sizeof(*ts->rows));
	ts->rows = g;
	ts->nrows = n;
	return 0;
}

/* @t's process's CPU time now, if it is alive (and still that process). */
static void row_poll(struct top_row *t)
{
	unsigned long long ticks, start;

	if (!pft_proc_cpu(t->pid, &ticks, &start) || (t->has_start && start != t->start))
		return;		/* gone: its last polled value stands */
	t->start = start;
	t->has_start = true;
	t->last = ticks;
}

/*
 * Read the CPU time of the processes seen: every 100 ms, and at the start
 * (top_init), before the command runs: reading /proc takes a while (0.3 s
 * on the debug kernel), and the command's first part would be in the base.
 */
static int top_poll(void *state, struct pft_run *r)
{
	__u32 n = __atomic_load_n(&r->skel->data->next_slot, __ATOMIC_ACQUIRE), s;
	struct top_state *ts = state;
	struct top_row *rows;
	int err;

	if (!ts->scan)
		scan_procs(ts);	/* the first interval's base */
	if (n > PFB_MAX_SLOTS)
		n = PFB_MAX_SLOTS;
	err = rows_grow(ts, n);
	if (err)
		return err;
	rows = ts->rows;
	for (s = 1; s < n; s++)
		if (rows[s].pid || pft_who(r, s, &rows[s].pid, rows[s].comm))
			row_poll(&rows[s]);
	return 0;
}

/*
 * The row's CPU% over the interval just ended: its CPU time then (at its
 * exit, for one that has exited: polled every 100 ms, or read from the -c
 * command's zombie) minus at the start (or 0, if it began in the
 * interval), over the interval's length.
 */
static double row_cpu(const struct top_state *ts, struct top_row *t, double secs, long hz)
{
	unsigned long long base = 0;

	row_poll(t);
	if (!t->has_start)
		return 0;	/* never seen alive */
	if (t->has_base) {
		base = t->base;
	} else {
		struct proc_cpu key = { .pid = t->pid }, *c;

		c = ts->nscan ? bsearch(&key, ts->scan, ts->nscan, sizeof(key), cmp_pid) : NULL;
		if (c && c->start == t->start)
			base = c->ticks;
	}
	t->base = t->last;
	t->has_base = true;
	return t->last > base ? 100.0 * (t->last - base) / hz / secs : 0;
}

/* The row's p99 latency in µs over every class, from the histograms it drains. */
static int p99_of(struct pft_run *r, __u32 slot, double *p99_us)
{
	int fd = bpf_map__fd(r->skel->maps.hists), c, j;
	struct pft_hist *v = calloc(r->ncpus, sizeof(*v)), h = {};

	if (!v)
		return -ENOMEM;
	for (c = 0; c < PFT_NCLASS; c++) {
		struct pft_hist_key k = { .slot = slot, .cls = c };

		if (bpf_map_lookup_and_delete_elem(fd, &k, v) && bpf_map_lookup_elem(fd, &k, v))
			continue;
		bpf_map_delete_elem(fd, &k);
		for (j = 0; j < r->ncpus; j++)
			pft_hist_merge(&h, &v[j]);
	}
	free(v);
	*p99_us = h.count ? pft_quantile(&h, 0.99) / 1e3 : 0;
	return 0;
}

static double key_of(const struct top_row *t, enum sort_key sort_by)
{
	switch (sort_by) {
	case BY_MINOR: return t->minor;
	case BY_MAJOR: return t->major;
	case BY_GUP: return t->gup;
	case BY_CPU: return t->cpu;
	case BY_LAT: return t->p99_us;
	case BY_PID: return -(double)t->pid;
	}
	return 0;
}

static int cmp_top(const void *a, const void *b, void *sort_by)
{
	enum sort_key by = *(const enum sort_key *)sort_by;
	double x = key_of(*(struct top_row *const *)a, by);
	double y = key_of(*(struct top_row *const *)b, by);

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Read every row's counts, rates over the interval, CPU% and p99; the rows
 * that faulted or ran into @order, sorted; how many, or -ENOMEM.
 */
static int top_read(struct top_state *ts, struct pft_run *r, struct top_row **order)
{
	__u32 n = __atomic_load_n(&r->skel->data->next_slot, __ATOMIC_ACQUIRE), s;
	struct pft_counts *v = calloc(r->ncpus, sizeof(*v));
	long hz = sysconf(_SC_CLK_TCK);
	int j, shown = 0, err;

	if (n > PFB_MAX_SLOTS)
		n = PFB_MAX_SLOTS;
	err = v ? rows_grow(ts, n) : -ENOMEM;
	for (s = 1; !err && s < n; s++) {
		struct top_row *t = &ts->rows[s];
		struct pft_counts sum = {};

		/* its name each interval: it follows exec (a -c command's too) */
		if (!pft_who(r, s, &t->pid, t->comm) && !t->pid)
			continue;
		if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.counts), &s, v))
			continue;
		for (j = 0; j < r->ncpus; j++) {
			sum.minor += v[j].minor;
			sum.major += v[j].major;
			sum.gup += v[j].gup;
		}
		t->slot = s;
		t->minor = (sum.minor - t->now.minor) / r->secs;
		t->major = (sum.major - t->now.major) / r->secs;
		t->gup = (sum.gup - t->now.gup) / r->secs;
		t->now = sum;
		t->cpu = row_cpu(ts, t, r->secs, hz);
		err = p99_of(r, s, &t->p99_us);
		if (t->minor + t->major + t->gup + t->cpu > 0)
			order[shown++] = t;
	}
	free(v);
	if (err)
		return err;
	scan_procs(ts);	/* the next interval's base */
	qsort_r(order, shown, sizeof(*order), cmp_top, &ts->sort_by);
	return shown;
}

static int top_interval(void *state, struct pft_run *r, bool last)
{
	struct top_row **order = calloc(PFB_MAX_SLOTS, sizeof(*order));
	struct winsize ws = { .ws_row = 24 };
	struct top_state *ts = state;
	enum pfb_format fmt = r->o->fmt;
	bool raw_tty;
	int n, i, lines;

	if (!order)
		return -ENOMEM;
	if (fmt == PFB_TABLE)
		tty_raw(ts);	/* CSV and JSON are not redrawn in place */
	n = top_read(ts, r, order);
	if (n < 0) {
		free(order);
		return n;
	}
	lines = n;
	raw_tty = ts->raw_tty;
	if (raw_tty) {
		ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
		if (lines > ws.ws_row - 4)
			lines = ws.ws_row > 4 ? ws.ws_row - 4 : 1;
		printf("\033[H\033[2J");
	}
	if (fmt == PFB_TABLE) {
		printf("pftrace top: %d %s faulting, %.2f s interval, sorted by %s%s\n",
		       n, pfb_plural(n, "process", "processes"), r->secs, sort_names[ts->sort_by],
		       raw_tty ? " (m j g c l p: sort; q: quit)" : "");
		printf("%-7s %-16s %10s %10s %10s %7s %10s\n", "PID", "COMM", "MINOR/s",
		       "MAJOR/s", "NO-#PF/s", "CPU%", "P99-us");
	} else if (fmt == PFB_CSV && r->seq == 1) {
		printf("seq,secs,pid,comm,minor_per_s,major_per_s,gup_per_s,cpu_pct,p99_us\n");
	} else if (fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"top\",\"seq\":%d,\"secs\":%.6f,\"procs\":[", r->seq, r->secs);
	}
	for (i = 0; i < lines; i++) {
		struct top_row *t = order[i];

		if (fmt == PFB_TABLE)
			printf("%-7u %-16s %10.0f %10.0f %10.0f %7.1f %10.1f\n", t->pid, t->comm,
			       t->minor, t->major, t->gup, t->cpu, t->p99_us);
		else if (fmt == PFB_CSV)
			printf("%d,%.6f,%u,%s,%.1f,%.1f,%.1f,%.1f,%.1f\n", r->seq, r->secs, t->pid,
			       pfb_clean(t->comm), t->minor, t->major, t->gup, t->cpu, t->p99_us);
		else
			printf("%s{\"pid\":%u,\"comm\":\"%s\",\"minor_per_s\":%.1f,"
			       "\"major_per_s\":%.1f,\"gup_per_s\":%.1f,\"cpu_pct\":%.1f,"
			       "\"p99_us\":%.1f}", i ? "," : "", t->pid, pfb_clean(t->comm),
			       t->minor, t->major, t->gup, t->cpu, t->p99_us);
	}
	if (fmt == PFB_JSON)
		printf("]}\n");
	else if (fmt == PFB_TABLE && !raw_tty)
		printf("\n");	/* between plain tables; not in CSV */
	fflush(stdout);
	free(order);
	if (last)
		restore_tty(ts);
	return 0;
}

static int top_init(void *state, struct pft_run *r)
{
	return top_poll(state, r);
}

static void top_free(void *state)
{
	struct top_state *ts = state;

	restore_tty(ts);
	free(ts->rows);
	ts->rows = NULL;
	ts->nrows = 0;
	free(ts->scan);
	ts->scan = NULL;
	ts->nscan = 0;
}

const struct pft_view pft_view_top = {
	.name = "top",
	.needs = PFT_NEEDS_HISTS,
	.state_size = sizeof(struct top_state),
	.init = top_init,
	.poll = top_poll,
	.key = top_key,
	.interval = top_interval,
	.free = top_free,
};
