// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pft_heat.c - pftrace's heat view: fault address x time as a PNG. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core.h"
#include "pftrace.skel.h"
#include "heatmap.h"

/*
 * The faults, kept by heat.c until the end (at most its default, 8M):
 * the mappings they fall in are known only then, from the where map.
 */
static struct pft_heatmap *heat;
static unsigned long long received;

void pft_heat_event(struct pft_run *r, const struct pft_event *e)
{
	(void)r;
	if (!heat)
		heat = pft_heatmap_new(0);
	received++;
	if (heat)
		pft_heatmap_add(heat, e->t_ns, e->slot, e->addr);
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
 * is two bands): the busiest env.heat_bands get bands of their own, the
 * rest are folded into one.
 */
int pft_heat_end(struct pft_run *r)
{
	int fd = bpf_map__fd(r->skel->maps.maps), n, i, nb = 0, err, max = 65536;
	struct pft_map_key *keys = calloc(max, sizeof(*keys));
	struct pft_heatmap_band *bands = calloc(max, sizeof(*bands));
	struct pft_map *maps = calloc(max, sizeof(*maps));
	struct pft_heatmap_opts o = {
		.png = env.png, .width = 1200, .height = 800, .bands = env.heat_bands,
		.log_colour = env.log_colour,
	};
	unsigned long long lost = r->skel->bss->lost_events;
	struct pft_heatmap_stats st = {};
	char title[256], comm[16], path[256];
	const char *cmd = NULL;
	bool several = false;
	__u32 pid = 0;

	if (!heat && !received)	/* nothing to draw: pft_heatmap_write() says so */
		heat = pft_heatmap_new(0);
	if (!keys || !bands || !maps || !heat) {
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
	if (env.cmd) {	/* split by now: its first word, the program */
		cmd = env.cmd + strspn(env.cmd, " \t");
		cmd = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	}
	snprintf(title, sizeof(title), "page faults: address x time, %s (%s colour)",
		 cmd ? cmd : env.npids ? "the processes given" : "every process",
		 env.log_colour ? "log" : "linear");
	o.title = title;
	err = pft_heatmap_write(heat, bands, nb, &o, &st);
	if (!err && st.unmapped)
		fprintf(stderr, "pftrace: %llu faults in no mapping known, drawn in other "
			"(the where map keeps the last mapping seen at each start address "
			"of a process, e.g. after an exec, or it was full)\n", st.unmapped);
	if (!err && st.dropped)
		fprintf(stderr, "pftrace: %llu faults received beyond the first %llu not "
			"drawn\n", st.dropped, received - st.dropped);
	if (!err)
		fprintf(stderr, "pftrace: %llu faults in %d mappings -> %s: %d in bands of "
			"their own, %d folded into other (%llu faults); %llu received, "
			"%llu lost (ring buffer full)\n", st.faults, st.mappings, env.png,
			st.bands, st.folded, st.folded_faults - st.unmapped, received, lost);
free_all:
	free(keys);
	free(bands);
	free(maps);
	pft_heatmap_free(heat);
	heat = NULL;
	received = 0;
	return err;
}
