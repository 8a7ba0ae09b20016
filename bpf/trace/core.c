// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * core.c - what pftrace's views share (core.h): JSON framing, names, and
 * the helpers that read the BPF maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "view.h"
#include "pftrace.skel.h"
#include "cli.h"
#include "targets.h"

void pft_parse_top_n(struct argp_state *as, const char *arg, int *n)
{
	long v;

	if (!pfb_parse_count(arg, &v) || v > 100000)
		argp_error(as, "invalid row count: %s (1..100000)", arg);
	*n = v;
}

const char *pft_class_name(int cls)
{
	static const char *const n[] = {
		"minor-anon", "minor-file", "major-file", "major-swap", "cow",
	};

	return cls >= 0 && cls < PFT_NCLASS ? n[cls] : "?";
}

const char *pft_kind_name(int kind)
{
	static const char *const n[] = {
		"unknown", "file", "heap", "stack", "anon", "shm", "vdso",
	};

	return kind >= 0 && kind < PFT_NKIND ? n[kind] : "?";
}

bool pft_who(struct pft_run *r, __u32 slot, __u32 *id, char comm[16])
{
	struct pfb_slot info;

	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.slots), &slot, &info) || !info.id)
		return false;
	*id = info.id;
	memcpy(comm, info.comm, 16);
	comm[15] = 0;
	return true;
}

__u64 pft_mem_share(__u64 lo, __u64 hi, unsigned int div)
{
	struct sysinfo si;
	__u64 want = lo;

	if (!sysinfo(&si))
		while (want < hi && 2 * want <= (__u64)si.totalram * si.mem_unit / div)
			want *= 2;
	return want;
}

/*
 * utime + stime of @pid in clock ticks (of all its threads, live and
 * exited; a zombie's too, until it is reaped) and its start time; false
 * if it is gone.
 */
bool pft_proc_cpu(__u32 pid, unsigned long long *ticks, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%*d %*d %*d %*d %*d %*d %llu", &ut, &st, start) == 3) {
		*ticks = ut + st;
		ok = true;
	}
	fclose(f);
	return ok;
}

/* ---- JSON ---- */

void pft_json_begin(struct pft_run *r)
{
	r->json_objs = 0;
	if (r->o->fmt != PFB_JSON || r->o->jsonl)
		return;
	printf("{\"tool\":\"pftrace\",\"version\":1,\"view\":\"%s\",\"method\":\"%s\","
	       "\"interval_s\":%g,\"intervals\":[\n", r->view,
	       r->fexit ? "fexit" : "tp+pe", r->o->interval);
	fflush(stdout);
}

void pft_json_next(struct pft_run *r)
{
	if (r->o->fmt == PFB_JSON && !r->o->jsonl && r->json_objs)
		putchar(',');
	r->json_objs++;
}

__u64 pft_recursion_misses(struct pftrace_bpf *skel)
{
	struct bpf_program *prog;
	__u64 misses = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			misses += info.recursion_misses;
	}
	return misses;
}

__u32 pft_rows_taken(const struct pft_run *r)
{
	__u32 fresh = r->skel->data->next_slot - 1;

	/* past the last row, every try to take one still counts up next_slot */
	if (fresh > r->skel->rodata->slot_limit - 1)
		fresh = r->skel->rodata->slot_limit - 1;
	return fresh + r->skel->bss->slots_reused;
}

/* pftrace's accounting at the end (on stderr), as "accounting":{...} */
static void json_accounting(struct pft_run *r)
{
	const struct pft_left_out *lo = &r->skel->bss->left_out;

	printf("\"accounting\":{\"faults\":%llu,\"processes\":%u",
	       (unsigned long long)lo->faults, pft_rows_taken(r));
	if (r->have_ru)
		printf(",\"wait4_minflt\":%ld,\"wait4_majflt\":%ld,\"not_seen\":%lld",
		       r->ru.ru_minflt, r->ru.ru_majflt,
		       (long long)(r->ru.ru_minflt + r->ru.ru_majflt - lo->faults));
	printf(",\"recursion_misses\":%llu",
	       (unsigned long long)pft_recursion_misses(r->skel));
	printf(",\"left_out\":{\"no_stack\":%llu,\"ring_full\":%llu,\"not_timed\":%llu,"
	       "\"hists_full\":%llu,\"maps_full\":%llu,\"heat_lost\":%llu}}",
	       (unsigned long long)lo->no_stack, (unsigned long long)lo->ring_full,
	       (unsigned long long)lo->unpaired, (unsigned long long)lo->hists_full,
	       (unsigned long long)lo->maps_full, (unsigned long long)r->skel->bss->lost_events);
}

void pft_json_end(struct pft_run *r)
{
	if (r->o->fmt != PFB_JSON || r->o->jsonl)
		return;
	printf("],\"run_secs\":%.6f,", r->run_secs);
	json_accounting(r);
	printf("}\n");
	fflush(stdout);
}

/* ---- the maps ---- */

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

int pft_take(int fd, const void *key, void *val)
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

void pft_map_label(__u32 pid, const struct pft_map *m, char *buf, size_t len)
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

/* ---- histograms ---- */

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
