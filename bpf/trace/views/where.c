// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * where.c - pftrace's where view: faults per mapping, each interval, from
 * the mappings' map; a table, CSV or JSON (see docs/pftrace.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "pftrace.skel.h"

struct where_state {
	int top_n;		/* -n: rows shown */
};

static const struct argp_option where_options[] = {
	PFT_OPTION_TOP_N,
	{},
};

static void where_parse(void *state, const struct pft_opts *o, int key, char *arg,
			struct argp_state *as)
{
	struct where_state *ws = state;

	(void)o;
	if (key == ARGP_KEY_INIT)
		ws->top_n = 20;
	else if (key == 'n')
		pft_parse_top_n(as, arg, &ws->top_n);
}

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

static int where_interval(void *state, struct pft_run *r, bool last)
{
	const struct where_state *ws = state;
	int fd = bpf_map__fd(r->skel->maps.maps), n, i, shown = 0, max = 65536;
	struct pft_map_key *keys = calloc(max, sizeof(*keys));
	struct where_row *rows = calloc(max, sizeof(*rows));
	__u64 total = 0;
	int nr = 0, err = 0;

	if (!keys || !rows) {
		err = -ENOMEM;
		goto free_all;
	}
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		struct where_row *w = &rows[nr];

		w->k = keys[i];
		if (pft_take(fd, &keys[i], &w->m) || !pft_who(r, w->k.slot, &w->pid, w->comm))
			continue;
		pft_map_label(w->pid, &w->m, w->label, sizeof(w->label));
		total += w->m.minor + w->m.major;
		nr++;
	}
	qsort(rows, nr, sizeof(*rows), cmp_where);
	if (r->o->fmt == PFB_TABLE) {
		printf("\n%s %d: %.3f s, %llu %s%s\n", last ? "Last interval" : "Interval",
		       r->seq, r->secs, (unsigned long long)total,
		       pfb_plural(total, "fault", "faults"),
		       nr > ws->top_n ? " (busiest mappings)" : "");
		printf("%-7s %-16s %-6s %-18s %9s %9s %9s %6s  %s\n", "PID", "COMM", "KIND",
		       "START", "MINOR", "MAJOR", "NO-#PF", "SHARE", "MAPPING");
	} else if (r->o->fmt == PFB_CSV && r->seq == 1) {
		printf("seq,secs,pid,comm,kind,start,end,minor,major,gup,mapping\n");
	} else if (r->o->fmt == PFB_JSON) {
		pft_json_next(r);
		printf("{\"view\":\"where\",\"seq\":%d,\"secs\":%.6f,\"mappings\":[",
		       r->seq, r->secs);
	}
	for (i = 0; i < nr && shown < ws->top_n; i++, shown++) {
		struct where_row *w = &rows[i];

		if (r->o->fmt == PFB_TABLE)
			printf("%-7u %-16s %-6s 0x%016llx %9llu %9llu %9llu %5.1f%%  %s\n",
			       w->pid, w->comm, pft_kind_name(w->m.kind),
			       (unsigned long long)w->m.start, (unsigned long long)w->m.minor,
			       (unsigned long long)w->m.major, (unsigned long long)w->m.gup,
			       total ? 100.0 * (w->m.minor + w->m.major) / total : 0.0, w->label);
		else if (r->o->fmt == PFB_CSV)
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
	if (r->o->fmt == PFB_JSON)
		printf("]}\n");
	fflush(stdout);
free_all:
	free(keys);
	free(rows);
	return err;
}

const struct pft_view pft_view_where = {
	.name = "where",
	.options = where_options,
	.needs = PFT_NEEDS_MAPS,
	.state_size = sizeof(struct where_state),
	.parse = where_parse,
	.interval = where_interval,
};
