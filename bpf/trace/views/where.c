// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pft_views.c - pftrace's where and lat views: read the BPF
 * maps, print a table, CSV or JSON (see docs/pftrace.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core.h"
#include "pftrace.skel.h"

/* ---- helpers ---- */

/* Every key of hash map @fd (at most @max), each @ksz bytes, into @keys. */
int pft_map_keys(int fd, void *keys, size_t ksz, int max)
{
	char prev[64], *k = keys;
	int n = 0;

	if (bpf_map_get_next_key(fd, NULL, k))
		return 0;
	for (n = 1; n < max; n++) {
		memcpy(prev, k + (n - 1) * ksz, ksz);
		if (bpf_map_get_next_key(fd, prev, k + n * ksz))
			break;
	}
	return n;
}

/* Read and delete (so each interval starts from zero, as libbpf-tools do). */
static int take(int fd, const void *key, void *val)
{
	if (!bpf_map_lookup_and_delete_elem(fd, key, val))
		return 0;
	if (bpf_map_lookup_elem(fd, key, val))
		return -errno;
	bpf_map_delete_elem(fd, key);
	return 0;
}

/* The full path of the mapping at @start of @pid, from /proc (if alive). */
static bool proc_map_name(__u32 pid, __u64 start, char *buf, size_t len)
{
	char path[64], line[4352], name[4096];
	unsigned long long s;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%llx-%*x %*s %*s %*s %*s %4095[^\n]", &s, name) >= 1 &&
		    s == start && name[0]) {
			snprintf(buf, len, "%s", name);
			found = true;
		}
	}
	fclose(f);
	return found;
}

void pft_map_label(__u32 pid, const struct pft_map *m,
		      char *buf, size_t len)
{
	switch (m->kind) {
	case PFT_K_HEAP:
		snprintf(buf, len, "[heap]");
		return;
	case PFT_K_STACK:
		snprintf(buf, len, "[stack]");
		return;
	case PFT_K_VDSO:
		snprintf(buf, len, "[vdso]");
		return;
	case PFT_K_ANON:
		snprintf(buf, len, "[anon]");
		return;
	}
	if (proc_map_name(pid, m->start, buf, len))
		return;
	snprintf(buf, len, "%.*s", PFT_NAME_LEN, m->name[0] ? m->name : "?");
}

/* ---- where ---- */

struct where_row {
	struct pft_map_key k;
	struct pft_map m;
	__u32 pid;
	char comm[16], label[256];
};

static int cmp_where(const void *a, const void *b)
{
	const struct where_row *x = a, *y = b;
	__u64 fx = x->m.minor + x->m.major, fy = y->m.minor + y->m.major;

	return fx < fy ? 1 : fx > fy ? -1 : 0;
}

void pft_where(struct pft_run *r, bool last)
{
	int fd = bpf_map__fd(r->skel->maps.maps), n, i, shown = 0, max = 65536;
	struct pft_map_key *keys = calloc(max, sizeof(*keys));
	struct where_row *rows = calloc(max, sizeof(*rows));
	__u64 total = 0;
	int nr = 0;

	if (!keys || !rows)
		goto free_all;
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		struct where_row *w = &rows[nr];

		w->k = keys[i];
		if (take(fd, &keys[i], &w->m) || !pft_who(r, w->k.slot, &w->pid, w->comm))
			continue;
		pft_map_label(w->pid, &w->m, w->label, sizeof(w->label));
		total += w->m.minor + w->m.major;
		nr++;
	}
	qsort(rows, nr, sizeof(*rows), cmp_where);
	if (env.fmt == PFB_TABLE) {
		printf("\n%s %d: %.3f s, %llu %s%s\n", last ? "Last interval" : "Interval",
		       r->seq, r->secs, (unsigned long long)total,
		       pfb_plural(total, "fault", "faults"),
		       nr > env.top_n ? " (busiest mappings)" : "");
		printf("%-7s %-16s %-6s %-18s %9s %9s %9s %6s  %s\n", "PID", "COMM", "KIND",
		       "START", "MINOR", "MAJOR", "NO-#PF", "SHARE", "MAPPING");
	} else if (env.fmt == PFB_CSV && r->seq == 1) {
		printf("seq,secs,pid,comm,kind,start,end,minor,major,gup,mapping\n");
	} else if (env.fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"where\",\"seq\":%d,\"secs\":%.6f,\"mappings\":[",
		       r->seq, r->secs);
	}
	for (i = 0; i < nr && shown < env.top_n; i++, shown++) {
		struct where_row *w = &rows[i];

		if (env.fmt == PFB_TABLE)
			printf("%-7u %-16s %-6s 0x%016llx %9llu %9llu %9llu %5.1f%%  %s\n",
			       w->pid, w->comm, pft_kind_name(w->m.kind),
			       (unsigned long long)w->m.start, (unsigned long long)w->m.minor,
			       (unsigned long long)w->m.major, (unsigned long long)w->m.gup,
			       total ? 100.0 * (w->m.minor + w->m.major) / total : 0.0, w->label);
		else if (env.fmt == PFB_CSV)
			printf("%d,%.6f,%u,%s,%s,0x%llx,0x%llx,%llu,%llu,%llu,%s\n", r->seq,
			       r->secs, w->pid, pfb_clean(w->comm), pft_kind_name(w->m.kind),
			       (unsigned long long)w->m.start, (unsigned long long)w->m.end,
			       (unsigned long long)w->m.minor, (unsigned long long)w->m.major,
			       (unsigned long long)w->m.gup, pfb_clean(w->label));
		else
			printf("%s{\"pid\":%u,\"comm\":\"%s\",\"kind\":\"%s\",\"start\":%llu,"
			       "\"end\":%llu,\"minor\":%llu,\"major\":%llu,\"gup\":%llu,"
			       "\"mapping\":\"%s\"}", i ? "," : "", w->pid, pfb_clean(w->comm),
			       pft_kind_name(w->m.kind), (unsigned long long)w->m.start,
			       (unsigned long long)w->m.end, (unsigned long long)w->m.minor,
			       (unsigned long long)w->m.major, (unsigned long long)w->m.gup,
			       pfb_clean(w->label));
	}
	if (env.fmt == PFB_JSON)
		printf("]}\n");
	fflush(stdout);
free_all:
	free(keys);
	free(rows);
}

/* ---- lat ---- */

double pft_quantile(const struct pft_hist *h, double q)
{
	double want = q * h->count, seen = 0, lo;
	int b;

	for (b = 0; b < PFT_BUCKETS; b++) {
		if (seen + h->bucket[b] >= want && h->bucket[b]) {
			lo = b ? (double)(1ULL << b) : 0;
			lo += (want - seen) / h->bucket[b] * ((double)(2ULL << b) - lo);
			return lo < h->max_ns ? lo : h->max_ns;
		}
		seen += h->bucket[b];
	}
	return h->max_ns;
}

void pft_hist_merge(struct pft_hist *to, const struct pft_hist *from)
{
	int b;

	to->count += from->count;
	to->sum_ns += from->sum_ns;
	if (from->max_ns > to->max_ns)
		to->max_ns = from->max_ns;
	for (b = 0; b < PFT_BUCKETS; b++)
		to->bucket[b] += from->bucket[b];
}

static void print_stars(const struct pft_hist *h)
{
	__u32 top = 0;
	int b, lo = -1, hi = 0, k;

	for (b = 0; b < PFT_BUCKETS; b++) {
		if (h->bucket[b] > top)
			top = h->bucket[b];
		if (h->bucket[b]) {
			hi = b;
			if (lo < 0)
				lo = b;
		}
	}
	if (lo < 0)
		return;
	/* as libbpf-tools' print_log2_hist: the ':' under the rows' */
	printf("%5s%-19s : %-8s |%-40s|\n", "", "ns", "count", "distribution");
	for (b = lo; b <= hi; b++) {
		int stars = top ? (int)((__u64)h->bucket[b] * 40 / top) : 0;

		printf("%10llu -> %-10llu : %-8u |", b ? 1ULL << b : 0ULL,
		       (2ULL << b) - 1, h->bucket[b]);
		for (k = 0; k < 40; k++)
			putchar(k < stars ? '*' : ' ');
		printf("|\n");
	}
}

struct lat_row {
	__u32 slot, pid;
	char comm[16];
	struct pft_hist h[PFT_NCLASS];
};

static void lat_print(struct pft_run *r, const struct lat_row *row, bool *first)
{
	int c;

	for (c = 0; c < PFT_NCLASS; c++) {
		const struct pft_hist *h = &row->h[c];

		if (!h->count)
			continue;
		if (env.fmt == PFB_TABLE) {
			char pid[16] = "all";

			if (row->slot)
				snprintf(pid, sizeof(pid), "%u", row->pid);
			printf("%-7s %-16s %-11s %9llu %10.2f %10.2f %10.2f %10.2f\n",
			       pid, row->slot ? row->comm : "", pft_class_name(c),
			       (unsigned long long)h->count, h->sum_ns / 1e3 / h->count,
			       pft_quantile(h, 0.5) / 1e3, pft_quantile(h, 0.99) / 1e3, h->max_ns / 1e3);
		} else if (env.fmt == PFB_CSV) {
			printf("%d,%.6f,%u,%s,%s,%llu,%llu,%.0f,%.0f,%llu\n", r->seq, r->secs,
			       row->pid, pfb_clean(row->comm), pft_class_name(c),
			       (unsigned long long)h->count, (unsigned long long)h->sum_ns,
			       pft_quantile(h, 0.5), pft_quantile(h, 0.99), (unsigned long long)h->max_ns);
		} else {
			int b;

			printf("%s{\"pid\":%u,\"comm\":\"%s\",\"class\":\"%s\",\"count\":%llu,"
			       "\"sum_ns\":%llu,\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"max_ns\":%llu,"
			       "\"log2_buckets\":[", *first ? "" : ",", row->pid,
			       pfb_clean(row->comm), pft_class_name(c),
			       (unsigned long long)h->count, (unsigned long long)h->sum_ns,
			       pft_quantile(h, 0.5), pft_quantile(h, 0.99), (unsigned long long)h->max_ns);
			for (b = 0; b < PFT_BUCKETS; b++)
				printf("%s%u", b ? "," : "", h->bucket[b]);
			printf("]}");
		}
		*first = false;
	}
}

void pft_lat(struct pft_run *r, bool last)
{
	int fd = bpf_map__fd(r->skel->maps.hists), n, i, j, c, nrows = 0, max = 8 * PFT_NCLASS * 1024;
	struct pft_hist_key *keys = calloc(max, sizeof(*keys));
	struct pft_hist *vals = calloc(r->ncpus, sizeof(*vals));
	struct lat_row *rows = calloc(1024, sizeof(*rows)), all = { .comm = "all" };
	bool first = true;

	if (!keys || !vals || !rows)
		goto free_all;
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		struct pft_hist sum = {};
		struct lat_row *row = NULL;

		if (take(fd, &keys[i], vals) || keys[i].cls >= PFT_NCLASS)
			continue;
		for (j = 0; j < r->ncpus; j++)
			pft_hist_merge(&sum, &vals[j]);
		pft_hist_merge(&all.h[keys[i].cls], &sum);
		for (j = 0; j < nrows; j++)
			if (rows[j].slot == keys[i].slot)
				row = &rows[j];
		if (!row && nrows < 1024) {
			row = &rows[nrows++];
			row->slot = keys[i].slot;
			if (!pft_who(r, row->slot, &row->pid, row->comm))
				snprintf(row->comm, sizeof(row->comm), "?");
		}
		if (row)
			pft_hist_merge(&row->h[keys[i].cls], &sum);
	}
	if (env.fmt == PFB_TABLE) {
		printf("\n%s %d: %.3f s; fault handling time (%s), us\n",
		       last ? "Last interval" : "Interval", r->seq, r->secs,
		       r->fexit ? "fentry to fexit of handle_mm_fault" :
		       "page_fault_user to mm_account_fault's perf event");
		printf("%-7s %-16s %-11s %9s %10s %10s %10s %10s\n", "PID", "COMM", "CLASS",
		       "COUNT", "MEAN", "P50", "P99", "MAX");
	} else if (env.fmt == PFB_CSV && r->seq == 1) {
		printf("seq,secs,pid,comm,class,count,sum_ns,p50_ns,p99_ns,max_ns\n");
	} else if (env.fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"lat\",\"seq\":%d,\"secs\":%.6f,\"method\":\"%s\",\"hists\":[",
		       r->seq, r->secs, r->fexit ? "fexit" : "tp+pe");
	}
	lat_print(r, &all, &first);
	if (env.per_process)
		for (i = 0; i < nrows; i++)
			lat_print(r, &rows[i], &first);
	if (env.fmt == PFB_TABLE)
		for (c = 0; c < PFT_NCLASS; c++)
			if (all.h[c].count) {
				printf("\n  %s:\n", pft_class_name(c));
				print_stars(&all.h[c]);
			}
	if (env.fmt == PFB_JSON)
		printf("]}\n");
	fflush(stdout);
free_all:
	free(keys);
	free(vals);
	free(rows);
}
