// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lat.c - pftrace's lat view: time in the fault handler, log2 histograms
 * per class (and per process with -P), each interval (docs/pftrace.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "pftrace.skel.h"

struct lat_state {
	bool per_process;	/* -P: a histogram per process */
};

static const struct argp_option lat_options[] = {
	{ "per-process", 'P', NULL, 0, "lat: a histogram per process", 0 },
	{},
};

static void lat_parse(void *state, const struct pft_opts *o, int key, char *arg,
		      struct argp_state *as)
{
	struct lat_state *ls = state;

	(void)o, (void)arg, (void)as;
	if (key == 'P')
		ls->per_process = true;
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
		if (r->o->fmt == PFB_TABLE) {
			char pid[16] = "all";

			if (row->slot)
				snprintf(pid, sizeof(pid), "%u", row->pid);
			printf("%-7s %-16s %-11s %9llu %10.2f %10.2f %10.2f %10.2f\n",
			       pid, row->slot ? row->comm : "", pft_class_name(c),
			       (unsigned long long)h->count, h->sum_ns / 1e3 / h->count,
			       pft_quantile(h, 0.5) / 1e3, pft_quantile(h, 0.99) / 1e3, h->max_ns / 1e3);
		} else if (r->o->fmt == PFB_CSV) {
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

static int lat_interval(void *state, struct pft_run *r, bool last)
{
	const struct lat_state *ls = state;
	int fd = bpf_map__fd(r->skel->maps.hists), n, i, j, c, nrows = 0, max = 8 * PFT_NCLASS * 1024;
	struct pft_hist_key *keys = calloc(max, sizeof(*keys));
	struct pft_hist *vals = calloc(r->ncpus, sizeof(*vals));
	struct lat_row *rows = calloc(1024, sizeof(*rows)), all = { .comm = "all" };
	bool first = true;
	int err = 0;

	if (!keys || !vals || !rows) {
		err = -ENOMEM;
		goto free_all;
	}
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		struct pft_hist sum = {};
		struct lat_row *row = NULL;

		if (pft_take(fd, &keys[i], vals) || keys[i].cls >= PFT_NCLASS)
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
	if (r->o->fmt == PFB_TABLE) {
		printf("\n%s %d: %.3f s; fault handling time (%s), us\n",
		       last ? "Last interval" : "Interval", r->seq, r->secs,
		       r->fexit ? "fentry to fexit of handle_mm_fault" :
		       "page_fault_user to mm_account_fault's perf event");
		printf("%-7s %-16s %-11s %9s %10s %10s %10s %10s\n", "PID", "COMM", "CLASS",
		       "COUNT", "MEAN", "P50", "P99", "MAX");
	} else if (r->o->fmt == PFB_CSV && r->seq == 1) {
		printf("seq,secs,pid,comm,class,count,sum_ns,p50_ns,p99_ns,max_ns\n");
	} else if (r->o->fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"lat\",\"seq\":%d,\"secs\":%.6f,\"method\":\"%s\",\"hists\":[",
		       r->seq, r->secs, r->fexit ? "fexit" : "tp+pe");
	}
	lat_print(r, &all, &first);
	if (ls->per_process)
		for (i = 0; i < nrows; i++)
			lat_print(r, &rows[i], &first);
	if (r->o->fmt == PFB_TABLE)
		for (c = 0; c < PFT_NCLASS; c++)
			if (all.h[c].count) {
				printf("\n  %s:\n", pft_class_name(c));
				print_stars(&all.h[c]);
			}
	if (r->o->fmt == PFB_JSON)
		printf("]}\n");
	fflush(stdout);
free_all:
	free(keys);
	free(vals);
	free(rows);
	return err;
}

const struct pft_view pft_view_lat = {
	.name = "lat",
	.options = lat_options,
	.needs = PFT_NEEDS_HISTS,
	.state_size = sizeof(struct lat_state),
	.parse = lat_parse,
	.interval = lat_interval,
};
