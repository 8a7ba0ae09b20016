// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pft_heat.c - pftrace's heat view: fault address x time as a PNG. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pftrace_int.h"
#include "pftrace.skel.h"
#include "heat.h"

/* ---- heat ---- */

/*
 * The events, kept until the end: the bands are the mappings that
 * faulted, known only then.  At most 8M (192 MiB); more are counted.
 */
#define MAX_EVENTS (8u << 20)
static struct pft_event *evs;
static size_t nevs, capevs, dropped;

void pft_heat_event(struct pft_run *r, const struct pft_event *e)
{
	struct pft_event *grown;

	(void)r;
	if (nevs == capevs) {
		size_t cap = capevs ? 2 * capevs : 65536;

		if (cap > MAX_EVENTS) {
			dropped++;
			return;
		}
		grown = realloc(evs, cap * sizeof(*evs));
		if (!grown) {
			dropped++;
			return;
		}
		evs = grown;
		capevs = cap;
	}
	evs[nevs++] = *e;
}

/* The mappings that faulted (from the where map) are the heat map's bands. */
int pft_heat_end(struct pft_run *r)
{
	int fd = bpf_map__fd(r->skel->maps.maps), n, i, nb = 0, err, max = 65536;
	struct pft_map_key *keys = calloc(max, sizeof(*keys));
	struct pfw_heat_band *bands = calloc(max, sizeof(*bands));
	struct pfw_heat_opts o = {
		.png = env.png, .width = 1200, .height = 800,
		.log_colour = env.log_colour,
	};
	char title[256], comm[16];
	struct pfw_heat *h;
	__u32 pid = 0;
	size_t k;

	if (!keys || !bands) {
		err = -ENOMEM;
		goto free_all;
	}
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		struct pft_map m;
		char label[256], *base;

		if (bpf_map_lookup_elem(fd, &keys[i], &m) || !pft_who(r, keys[i].slot, &pid, comm))
			continue;
		pft_map_label(pid, &m, label, sizeof(label));
		bands[nb].start = m.start;
		bands[nb].end = m.end;
		base = strrchr(label, '/') ? strrchr(label, '/') + 1 : label;
		snprintf(bands[nb].label, sizeof(bands[nb].label), "%.*s",
			 (int)sizeof(bands[nb].label) - 1, base);
		nb++;
	}
	snprintf(title, sizeof(title), "page faults: address x time (%zu faults, %s colour)",
		 nevs, env.log_colour ? "log" : "linear");
	o.title = title;
	h = pfw_heat_new(bands, nb, 200, 200);
	if (!h) {
		err = -ENOMEM;
		goto free_all;
	}
	for (k = 0; k < nevs; k++)
		pfw_heat_add(h, evs[k].t_ns, evs[k].addr);
	err = pfw_heat_write(h, &o);
	pfw_heat_free(h);
	if (!err)
		fprintf(stderr, "pftrace: %zu faults in %d mappings -> %s%s\n", nevs, nb, env.png,
			r->skel->bss->lost_events ? " (some lost: ring buffer full)" : "");
	if (dropped)
		fprintf(stderr, "pftrace: %zu faults beyond the first %u not drawn\n", dropped,
			MAX_EVENTS);
free_all:
	free(keys);
	free(bands);
	free(evs);
	evs = NULL;
	nevs = capevs = 0;
	return err;
}
