// SPDX-License-Identifier: GPL-2.0
/* record.c - the run record in memory and as text; see record.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "record.h"

void proc_rec_init(struct proc_rec *p, pid_t pid, const char *comm, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->self_reg_min = p->self_reg_maj = -1;
	p->gup_pages = p->kread_pages = -1;
	p->ru_nvcsw = -1;
	p->mod_min = p->mod_maj = p->mod_cpu_ns = -1;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(len < 31 ? len : 31), comm);
}

void proc_rec_reaped(struct proc_rec *p, int st, const struct rusage *ru)
{
	p->ru_min = ru->ru_minflt;
	p->ru_maj = ru->ru_majflt;
	p->ru_cpu_ns = (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000LL +
		       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000LL;
	p->ru_nvcsw = ru->ru_nvcsw;
	p->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void rec_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->hz = 250;
	r->period_ns = 50000000;
	r->switch_allow_ns = REC_SWITCH_ALLOW_NS;
	r->have_module = true;
	r->wit_wait_min = r->wit_wait_maj = r->wit_wait_cpu_ns = -1;
}

void rec_free(struct record *r)
{
	free(r->samples);
	free(r->buckets);
	memset(r, 0, sizeof(*r));
}

void rec_add_sample(struct record *r, const struct msample *s)
{
	if (r->nsamples == r->cap_samples) {
		r->cap_samples = r->cap_samples ? 2 * r->cap_samples : 256;
		r->samples = realloc(r->samples, r->cap_samples * sizeof(*s));
		if (!r->samples)
			abort();
	}
	r->samples[r->nsamples++] = *s;
}

void wcounts_add(struct wcounts *a, const struct wcounts *b)
{
	a->tp_user += b->tp_user;
	a->tp_kernel += b->tp_kernel;
	a->pe_min += b->pe_min;
	a->pe_maj += b->pe_maj;
	a->fx_min += b->fx_min;
	a->fx_maj += b->fx_maj;
	a->fx_gup += b->fx_gup;
	a->fx_skip += b->fx_skip;
	a->cpu_ns += b->cpu_ns;
	a->sclk_ns += b->sclk_ns;
	a->ru_min += b->ru_min;
	a->ru_maj += b->ru_maj;
	a->miss_in += b->miss_in;
	a->miss_out += b->miss_out;
	a->cpu_rec_ns += b->cpu_rec_ns;
	a->pe_miss_min += b->pe_miss_min;
	a->pe_miss_maj += b->pe_miss_maj;
}

void rec_add_bucket(struct record *r, long long seq, unsigned long long mono_ns,
		    double secs, const struct wcounts *c)
{
	struct wbucket *b;

	if (r->nbuckets && r->buckets[r->nbuckets - 1].seq == seq) {
		wcounts_add(&r->buckets[r->nbuckets - 1].c, c);
		return;
	}
	if (r->nbuckets == r->cap_buckets) {
		r->cap_buckets = r->cap_buckets ? 2 * r->cap_buckets : 256;
		r->buckets = realloc(r->buckets, r->cap_buckets * sizeof(*b));
		if (!r->buckets)
			abort();
	}
	b = &r->buckets[r->nbuckets++];
	memset(b, 0, sizeof(*b));
	b->seq = seq;
	b->mono_ns = mono_ns;
	b->secs = secs;
	wcounts_add(&b->c, c);
}

#define WC_FMT "%lld %lld %lld %lld %lld %lld %lld %lld %lld"
#define WC_ARGS(c) (c).tp_user, (c).tp_kernel, (c).pe_min, (c).pe_maj, \
	(c).fx_min, (c).fx_maj, (c).fx_gup, (c).fx_skip, (c).cpu_ns
#define WC_PTRS(c) &(c).tp_user, &(c).tp_kernel, &(c).pe_min, &(c).pe_maj, \
	&(c).fx_min, &(c).fx_maj, &(c).fx_gup, &(c).fx_skip, &(c).cpu_ns
/* appended later (older recordings end before them) */
#define WX_FMT "%lld %lld %lld %lld %lld %lld %lld"
#define WX_ARGS(c) (c).ru_min, (c).ru_maj, (c).miss_in, (c).miss_out, (c).cpu_rec_ns, \
	(c).pe_miss_min, (c).pe_miss_maj
#define WX_PTRS(c) &(c).ru_min, &(c).ru_maj, &(c).miss_in, &(c).miss_out, &(c).cpu_rec_ns, \
	&(c).pe_miss_min, &(c).pe_miss_maj

int rec_save(const struct record *r, FILE *f)
{
	int i;

	fprintf(f, "pfcompare-record 1\n");
	fprintf(f, "scenario %s\n", r->scenario);
	fprintf(f, "config self_registers=%d hz=%ld period_ns=%lld release_mono_ns=%llu lost=%lld "
		"switch_allow_ns=%lld module=%d user_cmd=%d execs=%lld exec_gup_max=%lld "
		"wit_wait_min=%lld wit_wait_maj=%lld wit_wait_cpu_ns=%lld\n", r->self_registers,
		r->hz, r->period_ns, r->release_mono_ns, r->lost, r->switch_allow_ns,
		r->have_module, r->user_cmd, r->execs, r->exec_gup_max, r->wit_wait_min,
		r->wit_wait_maj, r->wit_wait_cpu_ns);
	if (!r->have_module)
		fprintf(f, "module_why %s\n", r->module_why);
	if (r->user_cmd)
		fprintf(f, "command %s\n", r->command);
	fprintf(f, "witness have=%d tp=%d pe=%d fx=%d sw=%d ru=%d\n", r->have_witness,
		r->wit_tp, r->wit_pe, r->wit_fx, r->wit_sw, r->wit_ru);
	fprintf(f, "modstats handler_runs=%lld handler_avg_ns=%lld handler_max_ns=%lld period_mean_ns=%lld\n",
		r->handler_runs, r->handler_avg_ns, r->handler_max_ns, r->period_mean_ns);
	fprintf(f, "# proc pid comm base_min base_maj base_cpu_ns stat_min stat_maj sched_ns ru_min ru_maj ru_cpu_ns "
		"mod_min mod_maj mod_cpu_ns self_reg_min self_reg_maj gup_pages kread_pages exit have_wit "
		"tp_user tp_kernel pe_min pe_maj fx_min fx_maj fx_gup fx_skip cpu_ns nvcsw sclk_ns "
		"ru_min ru_maj miss_in miss_out cpu_rec_ns pe_miss_min pe_miss_maj\n");
	for (i = 0; i < r->nprocs; i++) {
		const struct proc_rec *p = &r->procs[i];

		fprintf(f, "proc %d %s %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %d %d "
			WC_FMT " %lld %lld " WX_FMT "\n", p->pid, p->comm[0] ? p->comm : "-", p->base_min, p->base_maj, p->base_cpu_ns,
			p->stat_min, p->stat_maj, p->sched_ns, p->ru_min, p->ru_maj, p->ru_cpu_ns,
			p->mod_min, p->mod_maj, p->mod_cpu_ns, p->self_reg_min, p->self_reg_maj,
			p->gup_pages, p->kread_pages, p->exit_status, p->have_wit, WC_ARGS(p->wit), p->ru_nvcsw,
			p->wit.sclk_ns, WX_ARGS(p->wit));
	}
	fprintf(f, "# sample seq mono_ns jiffies min maj cpu_ns\n");
	for (i = 0; i < r->nsamples; i++) {
		const struct msample *s = &r->samples[i];

		fprintf(f, "sample %llu %llu %lld %lld %lld %lld\n", s->seq, s->mono_ns,
			s->jiffies, s->min, s->maj, s->cpu_ns);
	}
	fprintf(f, "# bucket seq mono_ns secs tp_user tp_kernel pe_min pe_maj fx_min fx_maj fx_gup fx_skip cpu_ns "
		"sclk_ns ru_min ru_maj miss_in miss_out cpu_rec_ns pe_miss_min pe_miss_maj\n");
	for (i = 0; i < r->nbuckets; i++) {
		const struct wbucket *b = &r->buckets[i];

		fprintf(f, "bucket %lld %llu %.6f " WC_FMT " %lld " WX_FMT "\n", b->seq, b->mono_ns,
			b->secs, WC_ARGS(b->c), b->c.sclk_ns, WX_ARGS(b->c));
	}
	for (i = 0; i < r->nprogs; i++)
		fprintf(f, "prog %s %lld %lld %lld\n", r->progs[i].name, r->progs[i].run_cnt,
			r->progs[i].run_time_ns, r->progs[i].misses);
	fprintf(f, "end\n");
	return ferror(f) ? -1 : 0;
}

static int kv(const char *line, const char *key, long long *v)
{
	const char *p = strstr(line, key);
	size_t n = strlen(key);

	if (!p || p[n] != '=')
		return -1;
	*v = strtoll(p + n + 1, NULL, 10);
	return 0;
}

/*
 * The line parsers: @line is the whole line, @arg what follows its
 * keyword.  Each returns 0, or -1 for a malformed line (rec_load says so).
 */
static int rd_scenario(struct record *r, const char *line, const char *arg)
{
	(void)line;
	return sscanf(arg, "%31s", r->scenario) == 1 ? 0 : -1;
}

static int rd_config(struct record *r, const char *line, const char *arg)
{
	long long v;

	(void)arg;
	if (kv(line, "self_registers", &v))
		return -1;
	r->self_registers = v;
	if (!kv(line, "hz", &v))
		r->hz = v;
	kv(line, "period_ns", &r->period_ns);
	if (!kv(line, "release_mono_ns", &v))
		r->release_mono_ns = v;
	kv(line, "lost", &r->lost);
	kv(line, "switch_allow_ns", &r->switch_allow_ns);
	if (!kv(line, "module", &v))
		r->have_module = v;
	if (!kv(line, "user_cmd", &v))
		r->user_cmd = v;
	kv(line, "execs", &r->execs);
	kv(line, "exec_gup_max", &r->exec_gup_max);
	kv(line, "wit_wait_min", &r->wit_wait_min);
	kv(line, "wit_wait_maj", &r->wit_wait_maj);
	kv(line, "wit_wait_cpu_ns", &r->wit_wait_cpu_ns);
	return 0;
}

static int rd_module_why(struct record *r, const char *line, const char *arg)
{
	(void)line;
	snprintf(r->module_why, sizeof(r->module_why), "%.*s", (int)strcspn(arg, "\n"), arg);
	return 0;
}

static int rd_command(struct record *r, const char *line, const char *arg)
{
	(void)line;
	snprintf(r->command, sizeof(r->command), "%.*s", (int)strcspn(arg, "\n"), arg);
	return 0;
}

static int rd_witness(struct record *r, const char *line, const char *arg)
{
	long long v;

	(void)arg;
	if (kv(line, "have", &v))
		return -1;
	r->have_witness = v;
	r->wit_tp = !kv(line, "tp", &v) && v;
	r->wit_pe = !kv(line, "pe", &v) && v;
	r->wit_fx = !kv(line, "fx", &v) && v;
	r->wit_sw = !kv(line, "sw", &v) && v;
	r->wit_ru = !kv(line, "ru", &v) && v;
	return 0;
}

static int rd_modstats(struct record *r, const char *line, const char *arg)
{
	(void)arg;
	kv(line, "handler_runs", &r->handler_runs);
	kv(line, "handler_avg_ns", &r->handler_avg_ns);
	kv(line, "handler_max_ns", &r->handler_max_ns);
	kv(line, "period_mean_ns", &r->period_mean_ns);
	return 0;
}

/* Older recordings end the line after 29 fields (no nvcsw, sclk_ns, ...). */
static int rd_proc(struct record *r, const char *line, const char *arg)
{
	struct proc_rec *p;
	int hw, nf;

	(void)line;
	if (r->nprocs == REC_MAX_PROCS)
		return -1;
	p = &r->procs[r->nprocs];
	memset(p, 0, sizeof(*p));
	p->ru_nvcsw = -1;	/* absent from older recordings */
	nf = sscanf(arg, "%d %31s %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %d %d "
		    WC_FMT " %lld %lld " WX_FMT, &p->pid, p->comm, &p->base_min, &p->base_maj, &p->base_cpu_ns,
		    &p->stat_min, &p->stat_maj, &p->sched_ns, &p->ru_min, &p->ru_maj,
		    &p->ru_cpu_ns, &p->mod_min, &p->mod_maj, &p->mod_cpu_ns,
		    &p->self_reg_min, &p->self_reg_maj, &p->gup_pages, &p->kread_pages,
		    &p->exit_status, &hw, WC_PTRS(p->wit), &p->ru_nvcsw,
		    &p->wit.sclk_ns, WX_PTRS(p->wit));
	if (nf < 29 || nf > 38)
		return -1;
	p->have_wit = hw;
	r->nprocs++;
	return 0;
}

static int rd_sample(struct record *r, const char *line, const char *arg)
{
	struct msample s;

	(void)line;
	if (sscanf(arg, "%llu %llu %lld %lld %lld %lld", &s.seq, &s.mono_ns,
		   &s.jiffies, &s.min, &s.maj, &s.cpu_ns) != 6)
		return -1;
	rec_add_sample(r, &s);
	return 0;
}

/* Older recordings end the line after 12 fields (no sclk_ns, ru, ...). */
static int rd_bucket(struct record *r, const char *line, const char *arg)
{
	struct wcounts c = {};
	unsigned long long mono;
	long long seq;
	double secs;
	int nf = sscanf(arg, "%lld %llu %lf " WC_FMT " %lld " WX_FMT, &seq,
			&mono, &secs, WC_PTRS(c), &c.sclk_ns, WX_PTRS(c));

	(void)line;
	if (nf != 12 && nf != 20)
		return -1;
	rec_add_bucket(r, seq, mono, secs, &c);
	return 0;
}

static int rd_prog(struct record *r, const char *line, const char *arg)
{
	struct wprog *p = &r->progs[r->nprogs];

	(void)line;
	if (r->nprogs == 16 ||
	    sscanf(arg, "%31s %lld %lld %lld", p->name, &p->run_cnt,
		   &p->run_time_ns, &p->misses) < 3)
		return -1;
	r->nprogs++;
	return 0;
}

/* Each line after the first, by its keyword (docs/compare.md, "Recordings"). */
static const struct rec_line {
	const char *keyword;	/* the line starts with it */
	int (*parse)(struct record *r, const char *line, const char *arg);
} rec_lines[] = {
	{ "scenario ", rd_scenario },
	{ "config ", rd_config },
	{ "module_why ", rd_module_why },
	{ "command ", rd_command },
	{ "witness ", rd_witness },
	{ "modstats ", rd_modstats },
	{ "proc ", rd_proc },
	{ "sample ", rd_sample },
	{ "bucket ", rd_bucket },
	{ "prog ", rd_prog },
	{ "end", NULL },	/* the recording is whole */
};

/*
 * One line after the first: 0, 1 for the end line, -1 if malformed or
 * its keyword is unknown.
 */
static int rd_line(struct record *r, const char *line)
{
	const struct rec_line *l;
	size_t k, n;

	for (k = 0; k < sizeof(rec_lines) / sizeof(rec_lines[0]); k++) {
		l = &rec_lines[k];
		n = strlen(l->keyword);
		if (strncmp(line, l->keyword, n))
			continue;
		if (!l->parse)
			return 1;
		return l->parse(r, line, line + n);
	}
	return -1;
}

int rec_load(struct record *r, FILE *f, const char *name)
{
	char line[1024];
	int ln = 0, ended = 0, rc;

	rec_init(r);
	while (fgets(line, sizeof(line), f)) {
		ln++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (ln == 1)
			rc = strncmp(line, "pfcompare-record 1", 18) ? -1 : 0;
		else
			rc = rd_line(r, line);
		if (rc < 0) {
			fprintf(stderr, "pfcompare: %s:%d: malformed line: %s", name, ln, line);
			return -1;
		}
		ended |= rc;
	}
	if (!ln) {
		fprintf(stderr, "pfcompare: %s: empty recording\n", name);
		return -1;
	}
	if (!ended) {
		fprintf(stderr, "pfcompare: %s: truncated recording (no 'end' line)\n", name);
		return -1;
	}
	return 0;
}
