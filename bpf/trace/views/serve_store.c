// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve_store.c - pftrace serve's metric store (serve.h): each process
 * (BPF row) adds what it gained since the last fold to its label set's
 * series, found or made, or to [other] past --max-series.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "serve.h"
#include "pftrace.skel.h"

#define SRV_HIST_KEYS	(8 * PFT_NCLASS * 1024)	/* the hists map's size */

int srv_store_init(struct srv_state *st, struct pft_run *r)
{
	struct timespec ts;

	st->hz = sysconf(_SC_CLK_TCK);
	if (st->hz <= 0)
		st->hz = 100;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	st->boot_ticks = (unsigned long long)ts.tv_sec * st->hz +
			 (unsigned long long)ts.tv_nsec * st->hz / 1000000000ULL;
	st->boot_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	st->cap_series = 64;
	(void)r;
	st->series = calloc(st->cap_series, sizeof(*st->series));
	if (!st->series)
		return -ENOMEM;
	st->series[0].other = true;
	snprintf(st->series[0].comm, sizeof(st->series[0].comm), SRV_OTHER);
	snprintf(st->series[0].cgroup, sizeof(st->series[0].cgroup), SRV_OTHER);
	st->nseries = 1;
	return 0;
}

void srv_store_free(struct srv_state *st)
{
	free(st->series);
	free(st->slots);
	st->series = NULL;
	st->slots = NULL;
}

#define CGROUP_FS	"/sys/fs/cgroup"

/* nftw() has no argument for its callback: what cg_visit() looks for, and finds */
static __u64 cg_want;
static char cg_found[SRV_CGROUP_LEN];

static int cg_visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D || sb->st_ino != cg_want)
		return 0;
	snprintf(cg_found, sizeof(cg_found), "%s", path[strlen(CGROUP_FS)] ?
		 path + strlen(CGROUP_FS) : "/");
	return 1;
}

/* The path of cgroup v2 id @id (its directory's inode), cached; false if none. */
static bool cgroup_path(struct srv_state *st, __u64 id, char *buf, size_t len)
{
	struct srv_cg *c;
	int i;

	for (i = 0; i < SRV_CG_CACHE; i++)
		if (st->cg[i].id == id) {
			snprintf(buf, len, "%s", st->cg[i].path);
			return true;
		}
	cg_want = id;
	if (nftw(CGROUP_FS, cg_visit, 16, FTW_PHYS | FTW_MOUNT) != 1)
		return false;
	c = &st->cg[st->cg_next++ % SRV_CG_CACHE];
	c->id = id;
	snprintf(c->path, sizeof(c->path), "%s", cg_found);
	snprintf(buf, len, "%s", cg_found);
	return true;
}

/* @pid's cgroup from /proc (v2's "0::PATH", else the first hierarchy's); false if gone. */
static bool proc_cgroup(__u32 pid, char *buf, size_t len)
{
	char path[64], line[SRV_CGROUP_LEN + 64], *p;
	bool found = false, any = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p)
			continue;
		found = !strncmp(line, "0::", 3);
		if (!any || found)
			snprintf(buf, len, "%s", p + 1);
		any = true;
	}
	fclose(f);
	return any;
}

/*
 * Row @s's cgroup: from the id BPF took at its first fault (cgroup v2),
 * else /proc/PID/cgroup; SRV_GONE if the process is gone and neither says.
 */
static void slot_cgroup(struct srv_state *st, struct pft_run *r, __u32 s, struct srv_slot *sl)
{
	struct pft_row row;

	if (!bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.rows), &s, &row) && row.cgroup &&
	    cgroup_path(st, row.cgroup, sl->cgroup, sizeof(sl->cgroup)))
		return;
	if (!proc_cgroup(sl->pid, sl->cgroup, sizeof(sl->cgroup)))
		snprintf(sl->cgroup, sizeof(sl->cgroup), SRV_GONE);
}

/* Room for rows 0..@n-1. */
static int slots_grow(struct srv_state *st, __u32 n)
{
	struct srv_slot *g;
	__u32 i;

	if (n <= st->nslots)
		return 0;
	g = realloc(st->slots, n * sizeof(*g));
	if (!g)
		return -ENOMEM;
	memset(g + st->nslots, 0, (n - st->nslots) * sizeof(*g));
	for (i = st->nslots; i < n; i++)
		g[i].series = -1;
	st->slots = g;
	st->nslots = n;
	return 0;
}

/* /proc's clock ticks in ns */
static __u64 ticks_ns(const struct srv_state *st, unsigned long long ticks)
{
	return (__u64)ticks * 1000000000ULL / st->hz;
}

/* Whether @pid is the -c command (forked, held, just before the trace began). */
static bool is_cmd(const struct pft_run *r, __u32 pid)
{
	return r->cmd_pid && (__u32)r->cmd_pid == pid;
}

/* Who row @s is, when first seen; false if it is not a row (yet). */
static bool slot_learn(struct srv_state *st, struct pft_run *r, __u32 s)
{
	struct srv_slot *sl = &st->slots[s];
	unsigned long long ticks, start;

	if (sl->known)
		return true;
	if (!pft_who(r, s, &sl->pid, sl->comm))
		return false;
	slot_cgroup(st, r, s, sl);
	if (pft_proc_cpu(sl->pid, &ticks, &start)) {
		sl->start = start;
		sl->has_start = true;
		sl->cpu_ns = ticks_ns(st, ticks);
		/*
		 * A process that ran before the trace: its CPU time until now
		 * left out.  The -c command was forked just before, held.
		 */
		sl->cpu_base_ns = start < st->boot_ticks && !is_cmd(r, sl->pid) ? sl->cpu_ns : 0;
	} else {
		sl->gone = true;
	}
	sl->known = true;
	return true;
}

/* Row @s's CPU time now, if its process is alive (and still that process). */
static void slot_cpu(struct srv_state *st, struct srv_slot *sl)
{
	unsigned long long ticks, start;

	if (sl->gone)
		return;
	if (!pft_proc_cpu(sl->pid, &ticks, &start) || (sl->has_start && start != sl->start)) {
		sl->gone = true;	/* its last reading stands */
		return;
	}
	sl->cpu_ns = ticks_ns(st, ticks);
}

/* Whether @pid was named by -p or -c: it gets a pid label. */
static bool is_target(const struct pft_run *r, __u32 pid)
{
	int i;

	if (r->cmd_pid && (__u32)r->cmd_pid == pid)
		return true;
	for (i = 0; i < r->o->tg.npids; i++)
		if ((__u32)r->o->tg.pids[i] == pid)
			return true;
	return false;
}

/* A new series (index), or -ENOMEM. */
static int series_add(struct srv_state *st, const char *comm, const char *cgroup, __u32 pid)
{
	struct srv_series *ns;

	if (st->nseries == st->cap_series) {
		ns = realloc(st->series, 2 * st->cap_series * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		st->series = ns;
		st->cap_series *= 2;
	}
	ns = &st->series[st->nseries];
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->comm, sizeof(ns->comm), "%s", comm);
	snprintf(ns->cgroup, sizeof(ns->cgroup), "%s", cgroup);
	ns->pid = pid;
	return st->nseries++;
}

/* Row @sl's series: found, made, or [other] (0) past --max-series; -ENOMEM. */
static int series_of(struct srv_state *st, struct pft_run *r, struct srv_slot *sl)
{
	const char *comm = st->by_comm ? sl->comm : "";
	const char *cgroup = st->by_cgroup ? sl->cgroup : "";
	__u32 pid = is_target(r, sl->pid) ? sl->pid : 0;
	int i;

	for (i = 1; i < st->nseries; i++) {
		const struct srv_series *x = &st->series[i];

		if (x->pid == pid && !strcmp(x->comm, comm) && !strcmp(x->cgroup, cgroup))
			return i;
	}
	if (st->nseries - 1 >= st->max_series) {
		st->folded++;
		return 0;
	}
	return series_add(st, comm, cgroup, pid);
}

/* What a fold reads the maps into (as lat does, allocated per interval). */
struct fold_buf {
	struct pft_hist_key *keys;
	struct pft_hist *hists;		/* per CPU */
	struct pft_counts *counts;	/* per CPU */
};

/* Row @s's counts by class, and its faults without a #PF summed over the CPUs. */
static bool slot_counts(struct fold_buf *fb, struct pft_run *r, __u32 s, struct srv_counts *sum)
{
	struct pft_counts *v = fb->counts;
	struct pft_row row;
	int j;

	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.rows), &s, &row) ||
	    bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.counts), &s, v))
		return false;
	memcpy(sum->cls, row.cls, sizeof(sum->cls));
	sum->exit_ns = row.exit_ns;
	sum->start_ns = row.start_ns;
	sum->gup = 0;
	for (j = 0; j < r->ncpus; j++)
		sum->gup += v[j].gup;
	return true;
}

/* Whether BPF marked row @s's process freed: reaped, every thread released. */
static bool slot_exited(struct pft_run *r, __u32 s)
{
	struct pfb_slot info;

	return !bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.slots), &s, &info) && info.exited;
}

/*
 * Hand row @s back to BPF once its process has been freed and this fold
 * has read its counts: none of its threads can add to it any more (one
 * held past its leader by someone's reference would add its CPU time to
 * the row's next process), and every count it had is in its series.  The
 * row is zeroed in every map first, so the process that takes it next
 * starts from 0 like a new row.
 */
static int slot_reuse(struct srv_state *st, struct pft_run *r, struct fold_buf *fb, __u32 s)
{
	struct pfb_slot info = {};
	struct pft_row row = {};
	int err;

	memset(fb->counts, 0, r->ncpus * sizeof(*fb->counts));
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.counts), &s, fb->counts, BPF_EXIST) ||
	    bpf_map_update_elem(bpf_map__fd(r->skel->maps.rows), &s, &row, BPF_EXIST) ||
	    bpf_map_update_elem(bpf_map__fd(r->skel->maps.slots), &s, &info, BPF_EXIST))
		return -errno;
	st->slots[s] = (struct srv_slot){ .series = -1 };
	err = bpf_map_update_elem(bpf_map__fd(r->skel->maps.free_slots), NULL, &s, BPF_ANY);
	if (err)
		return -errno;
	st->rows_reused++;
	return 0;
}

/* Row @s's gains since the last fold into its series. */
static int slot_fold(struct srv_state *st, struct pft_run *r, struct fold_buf *fb, __u32 s)
{
	struct srv_slot *sl = &st->slots[s];
	struct srv_counts now;
	struct srv_series *x;
	char comm[16];
	bool last;
	__u32 id;
	int c, i;

	if (!slot_learn(st, r, s))
		return 0;
	/* freed before these counts were read: they are its last */
	last = slot_exited(r, s);
	if (!slot_counts(fb, r, s, &now))
		return 0;
	if (pft_who(r, s, &id, comm) && strcmp(comm, sl->comm)) {
		memcpy(sl->comm, comm, sizeof(comm));	/* it follows exec */
		if (sl->series > 0)
			sl->series = -1;
	}
	if (sl->series < 0) {
		i = series_of(st, r, sl);
		if (i < 0)
			return i;
		sl->series = i;
		st->series[i].procs++;
	}
	x = &st->series[sl->series];
	for (c = 0; c < PFT_NCLASS; c++)
		x->faults[c] += now.cls[c] - sl->done.cls[c];
	x->gup += now.gup - sl->done.gup;
	sl->done = now;
	slot_cpu(st, sl);
	/* freed, and begun since the trace: its threads' CPU time, exact */
	if (last && now.start_ns && (now.start_ns >= st->boot_ns || is_cmd(r, sl->pid)))
		sl->cpu_ns = now.exit_ns;
	if (sl->cpu_ns > sl->cpu_base_ns && sl->cpu_ns - sl->cpu_base_ns > sl->cpu_done_ns) {
		x->cpu_ns += sl->cpu_ns - sl->cpu_base_ns - sl->cpu_done_ns;
		sl->cpu_done_ns = sl->cpu_ns - sl->cpu_base_ns;
	}
	return last ? slot_reuse(st, r, fb, s) : 0;
}

/* Drain the histograms (as lat does) into the run's, by class. */
static void fold_hists(struct srv_state *st, struct pft_run *r, struct fold_buf *fb)
{
	int fd = bpf_map__fd(r->skel->maps.hists), n, i, j;

	n = pft_map_keys(fd, fb->keys, sizeof(*fb->keys), SRV_HIST_KEYS);
	for (i = 0; i < n; i++) {
		if (pft_take(fd, &fb->keys[i], fb->hists) || fb->keys[i].cls >= PFT_NCLASS)
			continue;
		for (j = 0; j < r->ncpus; j++)
			pft_hist_merge(&st->hist[fb->keys[i].cls], &fb->hists[j]);
	}
}

/*
 * Before the last fold: a process reaped just now (the -c command) is
 * freed, and its row marked, only after an RCU grace period; wait for
 * that (at most 500 ms) so that its CPU time is in the last fold.
 */
void srv_settle(struct srv_state *st, struct pft_run *r)
{
	unsigned long long ticks, start;
	int tries;
	__u32 s;

	for (tries = 0; tries < 50; tries++) {
		for (s = 1; s < st->nslots; s++)
			if (st->slots[s].known && !pft_proc_cpu(st->slots[s].pid, &ticks, &start) &&
			    !slot_exited(r, s))
				break;
		if (s >= st->nslots)
			return;
		usleep(10000);
	}
}

int srv_fold(struct srv_state *st, struct pft_run *r)
{
	__u32 n = __atomic_load_n(&r->skel->data->next_slot, __ATOMIC_ACQUIRE), s;
	int err;

	struct fold_buf fb = {
		.keys = calloc(SRV_HIST_KEYS, sizeof(*fb.keys)),
		.hists = calloc(r->ncpus, sizeof(*fb.hists)),
		.counts = calloc(r->ncpus, sizeof(*fb.counts)),
	};

	if (n > st->max_rows)
		n = st->max_rows;
	err = fb.keys && fb.hists && fb.counts ? slots_grow(st, n) : -ENOMEM;
	for (s = 1; !err && s < n; s++)
		err = slot_fold(st, r, &fb, s);
	if (!err)
		fold_hists(st, r, &fb);
	st->folds++;
	free(fb.keys);
	free(fb.hists);
	free(fb.counts);
	return err;
}

/* --json, at the end: the series and the histograms' figures. */
void srv_print_json(struct srv_state *st, struct pft_run *r)
{
	struct timespec now;
	int i, c;

	clock_gettime(CLOCK_REALTIME, &now);
	pft_json_next(r);
	printf("{\"view\":\"serve\",\"seq\":%d,\"secs\":%.6f,\"time\":%.3f,\"folded\":%llu,"
	       "\"rows_reused\":%llu,\"series\":[", r->seq, r->secs,
	       now.tv_sec + now.tv_nsec / 1e9, (unsigned long long)st->folded,
	       (unsigned long long)st->rows_reused);
	for (i = 0; i < st->nseries; i++) {
		const struct srv_series *x = &st->series[i];

		printf("%s{\"comm\":\"%s\",", i ? "," : "", pfb_clean(x->comm));
		printf("\"cgroup\":\"%s\",\"pid\":%u,\"procs\":%u,\"no_pf\":%llu,\"cpu_s\":%.6f",
		       pfb_clean(x->cgroup), x->pid, x->procs, (unsigned long long)x->gup,
		       x->cpu_ns / 1e9);
		for (c = 0; c < PFT_NCLASS; c++)
			printf(",\"%s\":%llu", pft_class_name(c), (unsigned long long)x->faults[c]);
		printf("}");
	}
	printf("],\"hists\":[");
	for (c = 0; c < PFT_NCLASS; c++) {
		const struct pft_hist *h = &st->hist[c];

		printf("%s{\"class\":\"%s\",\"count\":%llu,\"sum_ns\":%llu,\"p50_ns\":%.0f,"
		       "\"p99_ns\":%.0f,\"max_ns\":%llu}", c ? "," : "", pft_class_name(c),
		       (unsigned long long)h->count, (unsigned long long)h->sum_ns,
		       pft_quantile(h, 0.5), pft_quantile(h, 0.99), (unsigned long long)h->max_ns);
	}
	printf("]}\n");
	fflush(stdout);
}

/* Row @s's faults now, every class (the live BPF row, not the last fold). */
static bool row_faults(struct pft_run *r, __u32 s, unsigned long long *n)
{
	struct pft_row row;
	int c;

	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.rows), &s, &row))
		return false;
	for (*n = 0, c = 0; c < PFT_NCLASS; c++)
		*n += row.cls[c];
	return true;
}

/* The live row of the process @pid, if pftrace traces it. */
static __u32 slot_of(const struct srv_state *st, __u32 pid)
{
	__u32 s;

	for (s = st->nslots; s-- > 1;)
		if (st->slots[s].known && !st->slots[s].gone && st->slots[s].pid == pid)
			return s;
	return 0;
}

/*
 * One line of DIR/tasks against pftrace's row: the kernel's count of the
 * process's faults is the module's since registration plus its base, read
 * live, as the row is, so the two are of the same moment.
 */
static void drift_line(struct srv_state *st, struct pft_run *r, const char *line,
		       struct srv_drift *next, int *n)
{
	unsigned long long mn, mj, cpu, tick, bmn, bmj, mine;
	const struct srv_drift *old = NULL;
	struct srv_drift *d;
	unsigned int pid;
	__u32 s;
	int i;

	if (*n >= SRV_DRIFT_MAX ||
	    sscanf(line, "%u %llu %llu %llu %llu %llu %llu", &pid, &mn, &mj, &cpu, &tick,
		   &bmn, &bmj) != 7)
		return;
	s = slot_of(st, pid);
	if (!s || !row_faults(r, s, &mine))
		return;
	d = &next[(*n)++];
	for (i = 0; i < st->ndrift; i++)
		if (st->drift[i].pid == pid && st->drift[i].slot == s)
			old = &st->drift[i];
	d->pid = pid;
	d->slot = s;
	memcpy(d->comm, st->slots[s].comm, sizeof(d->comm));
	d->now = (long long)(mn + mj + bmn + bmj) - (long long)mine;
	d->d0 = old ? old->d0 : d->now;
}

void srv_drift(struct srv_state *st, struct pft_run *r)
{
	static struct srv_drift next[SRV_DRIFT_MAX];
	char path[4096], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tasks", st->mp3_dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			drift_line(st, r, line, next, &n);
		fclose(f);
	}
	memcpy(st->drift, next, n * sizeof(*next));
	st->ndrift = n;
}
