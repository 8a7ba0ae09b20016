// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* heat.c - pftrace's heat view: fault address x time as a PNG. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "pftrace.skel.h"
#include "heatmap.h"
#include "cli.h"

#define PFT_MAX_BANDS 199	/* heatmap.c: fewer than the map's 200 rows */

struct heat_state {
	/* its options */
	const char *png;	/* -o */
	bool log_colour;	/* --log */
	int bands;		/* --bands: mappings with bands of their own (0: 24) */
	/*
	 * The faults, kept by heatmap.c until the end (at most its default,
	 * 8M): the mappings they fall in are known only then, from the where
	 * map.
	 */
	struct pft_heatmap *heat;
	unsigned long long received;
};

static const struct argp_option heat_options[] = {
	{ "output", 'o', "PNG", 0, "heat: the image (default pftrace-heat.png)", 0 },
	{ "log", PFT_OPT_LOG, NULL, 0, "heat: logarithmic colour scale", 0 },
	{ "bands", PFT_OPT_BANDS, "N", 0, "heat: the N busiest mappings get bands of "
	  "their own, the rest are folded into one (default 24)", 0 },
	{},
};

static void heat_parse(void *state, const struct pft_opts *o, int key, char *arg,
		       struct argp_state *as)
{
	struct heat_state *hs = state;
	long v;

	(void)o;
	switch (key) {
	case ARGP_KEY_INIT:
		hs->png = "pftrace-heat.png";
		break;
	case 'o':
		hs->png = arg;
		break;
	case PFT_OPT_LOG:
		hs->log_colour = true;
		break;
	case PFT_OPT_BANDS:
		if (!pfb_parse_count(arg, &v) || v > PFT_MAX_BANDS)
			argp_error(as, "invalid band count: %s (1..%d)", arg, PFT_MAX_BANDS);
		hs->bands = v;
		break;
	}
}

static int heat_event(void *state, struct pft_run *r, const void *data, size_t size)
{
	struct heat_state *hs = state;
	const struct pft_event *e = data;

	(void)r;
	if (size < sizeof(*e))
		return 0;
	if (!hs->heat)
		hs->heat = pft_heatmap_new(0);
	hs->received++;
	if (hs->heat)
		pft_heatmap_add(hs->heat, e->t_ns, e->slot, e->addr);
	return 0;
}

/*
 * "name" for one process's mapping; "name (comm pid)" when the mappings
 * are of several.
 */
static void band_label(struct pft_heatmap_band *b, const char *path, bool who,
		       const char *comm, __u32 pid)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char tail[40] = "";
	int room;

	if (who)
		snprintf(tail, sizeof(tail), " (%s %u)", comm, pid);
	room = (int)sizeof(b->label) - 1 - (int)strlen(tail);
	snprintf(b->label, sizeof(b->label), "%.*s%s", room, base, tail);
}

/*
 * The mappings that faulted (from the where map) are the heat map's
 * bands, one per mapping of each process (a file mapped by two processes
 * is two bands): the busiest --bands get bands of their own, the
 * rest are folded into one.
 */
static int heat_end(void *state, struct pft_run *r)
{
	struct heat_state *hs = state;
	const struct pft_opts *po = r->o;
	int fd = bpf_map__fd(r->skel->maps.maps), n, i, nb = 0, err, max = 65536;
	struct pft_map_key *keys = calloc(max, sizeof(*keys));
	struct pft_heatmap_band *bands = calloc(max, sizeof(*bands));
	struct pft_map *maps = calloc(max, sizeof(*maps));
	struct pft_heatmap_opts o = {
		.png = hs->png, .width = 1200, .height = 800, .bands = hs->bands,
		.log_colour = hs->log_colour,
	};
	unsigned long long lost = r->skel->bss->lost_events;
	struct pft_heatmap_stats st = {};
	char title[256], comm[16], path[256];
	const char *cmd = NULL;
	bool several = false;
	__u32 pid = 0;

	if (!hs->heat && !hs->received)	/* nothing to draw: pft_heatmap_write() says so */
		hs->heat = pft_heatmap_new(0);
	if (!keys || !bands || !maps || !hs->heat) {
		err = -ENOMEM;
		fprintf(stderr, "pftrace: heat: %s\n", strerror(ENOMEM));
		goto free_all;
	}
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &maps[nb]))
			continue;
		several |= keys[i].slot != keys[0].slot;
		keys[nb++] = keys[i];
	}
	for (i = 0, n = nb, nb = 0; i < n; i++) {
		if (!pft_who(r, keys[i].slot, &pid, comm))
			continue;
		pft_map_label(pid, &maps[i], path, sizeof(path));
		bands[nb].owner = keys[i].slot;
		bands[nb].start = maps[i].start;
		bands[nb].end = maps[i].end;
		band_label(&bands[nb], path, several, comm, pid);
		nb++;
	}
	if (po->tg.cmd) {	/* split by now: its first word, the program */
		cmd = po->tg.cmd + strspn(po->tg.cmd, " \t");
		cmd = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	}
	snprintf(title, sizeof(title), "page faults: address x time, %s (%s colour)",
		 cmd ? cmd : po->tg.npids ? "the processes given" : "every process",
		 hs->log_colour ? "log" : "linear");
	o.title = title;
	err = pft_heatmap_write(hs->heat, bands, nb, &o, &st);
	if (!err && st.unmapped)
		fprintf(stderr, "pftrace: %llu faults in no mapping known, drawn in other "
			"(the where map keeps the last mapping seen at each start address "
			"of a process, e.g. after an exec, or it was full)\n", st.unmapped);
	if (!err && st.dropped)
		fprintf(stderr, "pftrace: %llu faults received beyond the first %llu not "
			"drawn\n", st.dropped, hs->received - st.dropped);
	if (!err)
		fprintf(stderr, "pftrace: %llu faults in %d mappings -> %s: %d in bands of "
			"their own, %d folded into other (%llu faults); %llu received, "
			"%llu lost (ring buffer full)\n", st.faults, st.mappings, hs->png,
			st.bands, st.folded, st.folded_faults - st.unmapped, hs->received, lost);
free_all:
	free(keys);
	free(bands);
	free(maps);
	return err;
}

static void heat_free(void *state)
{
	struct heat_state *hs = state;

	pft_heatmap_free(hs->heat);
	hs->heat = NULL;
	hs->received = 0;
}

const struct pft_view pft_view_heat = {
	.name = "heat",
	.options = heat_options,
	.needs = PFT_NEEDS_MAPS | PFT_NEEDS_EVENTS,
	.state_size = sizeof(struct heat_state),
	.parse = heat_parse,
	.event = heat_event,
	.end = heat_end,
	.free = heat_free,
};
