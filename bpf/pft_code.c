// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pft_code.c - pftrace's code view: faults per user-space code site, and
 * collapsed stacks for flame graphs (see docs/pftrace.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pftrace_int.h"
#include "pftrace.skel.h"
#include "syms.h"

/* ---- code ---- */

#define MAX_PROCS 256
#define MAX_FRAMES 127

/*
 * Address spaces, opened while each process lives, for after it exits;
 * by row, so that a reused PID is another process.
 */
static struct {
	__u32 slot;
	struct pfw_syms *syms;
	int polls;	/* looks so far */
} procs[MAX_PROCS];
static int nprocs;

/*
 * @pid's address space; a look with @refresh re-reads its maps, each time
 * for the first half second (ld.so maps the libraries early), then every
 * 20th look.
 */
static struct pfw_syms *syms_of(__u32 slot, __u32 pid, bool refresh)
{
	int i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].slot == slot) {
			if (refresh && (++procs[i].polls < 50 || procs[i].polls % 20 == 0))
				pfw_syms_refresh(procs[i].syms);
			return procs[i].syms;
		}
	if (nprocs == MAX_PROCS)
		return NULL;
	procs[nprocs].syms = pfw_syms_open(pid);
	if (!procs[nprocs].syms)
		return NULL;
	procs[nprocs].slot = slot;
	return procs[nprocs++].syms;
}

/*
 * Open the address space of every row as soon as it is seen (pftrace
 * polls this every 10 ms in the code view), so that a process that exits
 * soon can still be symbolized; and refresh it now and then (dlopen).
 */
void pft_code_poll(struct pft_run *r)
{
	__u32 n = __atomic_load_n(&r->skel->data->next_slot, __ATOMIC_ACQUIRE), s, pid;
	char comm[16];

	for (s = 1; s < n && s < PFW_MAX_SLOTS; s++)
		if (pft_who(r, s, &pid, comm))
			syms_of(s, pid, true);
}

struct site {
	char name[300];
	__u64 minor, major;
};

static int cmp_site(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	__u64 fx = x->minor + x->major, fy = y->minor + y->major;

	return fx < fy ? 1 : fx > fy ? -1 : 0;
}

static struct site *site_find(struct site *sites, int *n, int max, const char *name)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(sites[i].name, name))
			return &sites[i];
	if (*n == max)
		return NULL;
	snprintf(sites[*n].name, sizeof(sites[*n].name), "%s", name);
	return &sites[(*n)++];
}

static void frame_name(struct pfw_syms *sy, __u64 ip, char *buf, size_t len)
{
	struct pfw_sym sym;

	if (sy && !pfw_syms_lookup(sy, ip, &sym))
		pfw_sym_format(&sym, buf, len);
	else
		snprintf(buf, len, "[unknown] 0x%llx", (unsigned long long)ip);
}

/* One stack: its leaf site, and with --folded its collapsed line. */
static void code_stack(struct pft_run *r, const struct pft_stack_key *k,
		       const struct pft_stack_val *v, struct site *sites, int *nsites,
		       int maxsites)
{
	__u64 ips[MAX_FRAMES] = {};
	char comm[16], name[300], line[8192];
	struct pfw_syms *sy;
	struct site *s;
	size_t off;
	__u32 pid;
	int i, depth;

	if (!pft_who(r, k->slot, &pid, comm) ||
	    bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.stacks), &k->stackid, ips))
		return;
	sy = syms_of(k->slot, pid, false);
	for (depth = 0; depth < MAX_FRAMES && ips[depth]; depth++)
		;
	if (!depth)
		return;
	frame_name(sy, ips[0], name, sizeof(name));	/* the faulting instruction */
	s = site_find(sites, nsites, maxsites, name);
	if (s) {
		s->minor += v->minor;
		s->major += v->major;
	}
	if (!env.folded)
		return;
	off = snprintf(line, sizeof(line), "%s", pfw_clean(comm));
	for (i = depth - 1; i >= 0 && off < sizeof(line) - 1; i--) {
		/* a return address may follow a call that ends its function */
		frame_name(sy, i ? ips[i] - 1 : ips[i], name, sizeof(name));
		for (char *c = name; *c; c++)
			if (*c == ';' || *c == ' ')
				*c = '_';
		off += snprintf(line + off, sizeof(line) - off, ";%s", name);
	}
	printf("%s %llu\n", line, (unsigned long long)(v->minor + v->major));
}

void pft_code(struct pft_run *r, bool last)
{
	int fd = bpf_map__fd(r->skel->maps.stack_counts), n, i, nsites = 0, max = 65536;
	struct pft_stack_key *keys;
	struct site *sites;
	__u64 total = 0;

	pft_code_poll(r);
	if (!last)
		return;		/* one table at the end: stacks need a long look */
	keys = calloc(max, sizeof(*keys));
	sites = calloc(4096, sizeof(*sites));
	if (!keys || !sites)
		goto free_all;
	n = pft_map_keys(fd, keys, sizeof(*keys), max);
	for (i = 0; i < n; i++) {
		struct pft_stack_val v;

		if (bpf_map_lookup_elem(fd, &keys[i], &v))
			continue;
		total += v.minor + v.major;
		code_stack(r, &keys[i], &v, sites, &nsites, 4096);
	}
	if (env.folded)
		goto free_all;
	qsort(sites, nsites, sizeof(*sites), cmp_site);
	if (env.fmt == PFW_TABLE)
		printf("\n%llu faults with a user stack over %.3f s, by code site (leaf frame)\n"
		       "%9s %6s %9s %9s  %s\n", (unsigned long long)total, r->secs,
		       "FAULTS", "SHARE", "MINOR", "MAJOR", "SITE");
	else if (env.fmt == PFW_CSV)
		printf("site,faults,minor,major\n");
	else
		printf("{\"view\":\"code\",\"secs\":%.6f,\"faults\":%llu,\"sites\":[", r->secs,
		       (unsigned long long)total);
	for (i = 0; i < nsites && i < env.top_n; i++) {
		struct site *s = &sites[i];
		__u64 f = s->minor + s->major;

		if (env.fmt == PFW_TABLE)
			printf("%9llu %5.1f%% %9llu %9llu  %s\n", (unsigned long long)f,
			       total ? 100.0 * f / total : 0, (unsigned long long)s->minor,
			       (unsigned long long)s->major, s->name);
		else if (env.fmt == PFW_CSV)
			printf("%s,%llu,%llu,%llu\n", pfw_clean(s->name), (unsigned long long)f,
			       (unsigned long long)s->minor, (unsigned long long)s->major);
		else
			printf("%s{\"site\":\"%s\",\"faults\":%llu,\"minor\":%llu,\"major\":%llu}",
			       i ? "," : "", pfw_clean(s->name), (unsigned long long)f,
			       (unsigned long long)s->minor, (unsigned long long)s->major);
	}
	if (env.fmt == PFW_JSON)
		printf("]}\n");
free_all:
	fflush(stdout);
	free(keys);
	free(sites);
}
