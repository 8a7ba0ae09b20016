// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* report.c - pfwitness snapshots and output; see report.h, docs/witness.md. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <bpf/bpf.h>
#include "report.h"

static bool g_per_thread;	/* -T: rows are threads */

static const char *per_id_label(void)
{
	return g_per_thread ? "TID" : "PID";
}
static int cmp_row(const void *a, const void *b)
{
	const struct pfw_row *x = a, *y = b;

	/* by PID, as ps does; a reused PID's rows in the order taken */
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

int pfw_snap_add(struct pfw_snap *s, const struct pfw_row *r)
{
	struct pfw_row *rows;
	int cap;

	if (s->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 256;
		rows = realloc(s->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		s->rows = rows;
		s->cap = cap;
	}
	s->rows[s->n++] = *r;
	return 0;
}

/* struct pfw_counts is all __u64 counters (witness_record.h): summed and
 * subtracted as such.
 */
#define NCOUNTERS PFW_NCOUNTERS

static void sum_cpus(struct pfw_counts *t, const struct pfw_counts *v, int ncpus)
{
	__u64 *sum = (__u64 *)t;
	size_t j;
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < ncpus; i++)
		for (j = 0; j < NCOUNTERS; j++)
			sum[j] += ((const __u64 *)&v[i])[j];
}

int pfw_snap_read(struct pfw_snap *s, int counts_fd, int slots_fd, __u32 nslots,
		  int ncpus)
{
	struct pfw_counts *vals = calloc(ncpus, sizeof(*vals));
	struct pfb_slot info;
	struct pfw_row r;
	__u32 k;

	s->n = 0;
	if (!vals)
		return -ENOMEM;
	if (nslots > PFB_MAX_SLOTS)
		nslots = PFB_MAX_SLOTS;
	for (k = 1; k < nslots; k++) {
		if (bpf_map_lookup_elem(slots_fd, &k, &info) || !info.id ||
		    bpf_map_lookup_elem(counts_fd, &k, vals))
			continue;	/* not taken, or lost a race (see slot_drop) */
		memset(&r, 0, sizeof(r));
		r.slot = k;
		r.id = info.id;
		memcpy(r.comm, info.comm, sizeof(r.comm));
		r.comm[TASK_COMM_LEN - 1] = 0;
		sum_cpus(&r.c, vals, ncpus);
		if (pfw_snap_add(s, &r)) {
			free(vals);
			s->n = 0;
			return -ENOMEM;
		}
	}
	free(vals);
	qsort(s->rows, s->n, sizeof(*s->rows), cmp_row);
	return 0;
}

const struct pfw_row *pfw_snap_find(const struct pfw_snap *s, const struct pfw_row *r)
{
	struct pfw_row key = { .id = r->id, .slot = r->slot };

	return s->n ? bsearch(&key, s->rows, s->n, sizeof(key), cmp_row) : NULL;
}

void pfw_snap_free(struct pfw_snap *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

static void delta(struct pfw_counts *d, const struct pfw_counts *a,
		  const struct pfw_counts *b)
{
	size_t j;

	for (j = 0; j < NCOUNTERS; j++)
		((__u64 *)d)[j] = ((const __u64 *)a)[j] - (b ? ((const __u64 *)b)[j] : 0);
}

static bool quiet(const struct pfw_counts *d)
{
	return !(d->tp_user | d->tp_kernel | d->pe_min | d->pe_maj | d->fx_min |
		 d->fx_maj | d->fx_skip | d->cpu_ns | d->ru_min | d->ru_maj |
		 d->miss_in | d->miss_out);
}

/*
 * The CSV and JSON are written from the record's tables
 * (include/pfprof/witness_record.h): readers take every field by its name.
 */
static void csv_counts(FILE *f, const struct pfw_counts *d)
{
	const __u64 *v = (const __u64 *)d;
	int j;

	for (j = 0; j < PFW_NCOUNTERS; j++)
		fprintf(f, "%llu%s", v[j], j + 1 < PFW_NCOUNTERS ? "," : "\n");
}

static void json_counts(FILE *f, __u32 id, const char *comm, const struct pfw_counts *d)
{
	const __u64 *v = (const __u64 *)d;
	int j;

	fprintf(f, "{\"pid\":%u,\"comm\":\"%s\"", id, pfb_clean(comm));
	for (j = 0; j < PFW_NCOUNTERS; j++)
		fprintf(f, ",\"%s\":%llu", pfw_counter_names[j], v[j]);
	fprintf(f, "}");
}

/* Each source: attached, how it is read (its method), why not. */
static void source_of(const struct pfw_sources *src, int i, bool *ok, const char **method,
		      const char **why)
{
	switch (i) {
	case PFW_S_tracepoint:
		*ok = src->tp, *method = src->tp_kind, *why = src->why_tp;
		break;
	case PFW_S_perf_event:
		*ok = src->pe, *method = "counting", *why = src->why_pe;
		break;
	case PFW_S_fexit:
		*ok = src->fx, *method = "fexit", *why = src->why_fx;
		break;
	case PFW_S_sched_switch:
		*ok = src->sw, *method = src->sw_kind, *why = src->why_sw;
		break;
	default:
		*ok = src->ru, *method = src->sw_kind, *why = src->why_ru;
		break;
	}
	if (!*ok || !*method)
		*method = "";
	if (*ok)
		*why = "";
}

/* A reason as one CSV field: no commas, no line breaks. */
static const char *csv_text(const char *s)
{
	static char buf[128];
	int i;

	for (i = 0; i < (int)sizeof(buf) - 1 && s[i]; i++)
		buf[i] = (s[i] == ',' || s[i] == '\n' || s[i] == '\r') ? ';' : s[i];
	buf[i] = 0;
	return buf;
}

static void csv_begin(FILE *f, const struct pfw_sources *src)
{
	const char *method, *why;
	bool ok;
	size_t i;

	fprintf(f, "# " PFW_RECORD_TAG " " PFW_RECORD_VERSION "\n");
	for (i = 0; i < PFW_NROW_FIELDS; i++)
		fprintf(f, "%s,", pfw_row_field_names[i]);
	for (i = 0; i < PFW_NCOUNTERS; i++)
		fprintf(f, "%s%s", pfw_counter_names[i], i + 1 < PFW_NCOUNTERS ? "," : "\n");
	for (i = 0; i < PFW_NSOURCES; i++) {
		source_of(src, i, &ok, &method, &why);
		fprintf(f, "source,,,,,,%s,attached=%d,method=%s,reason=%s\n",
			pfw_source_names[i], ok, method, csv_text(why));
	}
}

void pfw_out_begin(FILE *f, enum pfb_format fmt, const struct pfw_sources *src,
		   bool per_thread, double interval)
{
	g_per_thread = per_thread;
	const char *method, *why;
	bool ok;
	int i;

	if (fmt == PFB_CSV) {
		csv_begin(f, src);
	} else if (fmt == PFB_JSON) {
		fprintf(f, "{\"tool\":\"pfwitness\",\"record\":\"" PFW_RECORD_VERSION "\","
			"\"version\":%d,\"per_thread\":%s,\"interval_s\":%g,\"sources\":{",
			PFW_RECORD_MAJOR, per_thread ? "true" : "false", interval);
		fprintf(f, "\"tracepoint_kind\":\"%s\"", src->tp ? src->tp_kind : "");
		for (i = 0; i < PFW_NSOURCES; i++) {
			source_of(src, i, &ok, &method, &why);
			fprintf(f, ",\"%s\":{\"attached\":%s,\"method\":\"%s\",\"reason\":\"%s\"}",
				pfw_source_names[i], ok ? "true" : "false", method, pfb_clean(why));
		}
		fprintf(f, "},\n\"intervals\":[");
	}
}

void pfw_out_interval(FILE *f, enum pfb_format fmt, int seq, __u64 jiffies,
		      __u64 mono_ns, double secs, const struct pfw_snap *now,
		      const struct pfw_snap *prev, const struct pfw_sources *src)
{
	struct pfw_counts d;
	int i, first = 1;

	if (fmt == PFB_TABLE) {
		fprintf(f, "\n%-7s %-16s %9s %9s %9s %9s %9s %9s %9s %9s %6s\n",
			per_id_label(), "COMM", "TP-USR/s", "TP-KRN/s", "PE-MIN/s",
			"PE-MAJ/s", "FX-MIN/s", "FX-MAJ/s", "RU-MIN/s", "RU-MAJ/s", "CPU%");
	} else if (fmt == PFB_JSON) {
		fprintf(f, "%s{\"seq\":%d,\"jiffies\":%llu,\"mono_ns\":%llu,\"secs\":%.6f,"
			"\"procs\":[", seq ? ",\n" : "", seq, jiffies, mono_ns, secs);
	}
	for (i = 0; i < now->n; i++) {
		const struct pfw_row *r = &now->rows[i], *p = pfw_snap_find(prev, r);

		delta(&d, &r->c, p ? &p->c : NULL);
		if (quiet(&d))
			continue;
		if (fmt == PFB_TABLE) {
			fprintf(f, "%-7u %-16s %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %6.1f\n",
				r->id, r->comm,
				src->tp ? d.tp_user / secs : 0, src->tp ? d.tp_kernel / secs : 0,
				src->pe ? d.pe_min / secs : 0, src->pe ? d.pe_maj / secs : 0,
				src->fx ? d.fx_min / secs : 0, src->fx ? d.fx_maj / secs : 0,
				src->ru ? d.ru_min / secs : 0, src->ru ? d.ru_maj / secs : 0,
				src->sw ? d.cpu_ns / 1e7 / secs : 0);
		} else if (fmt == PFB_CSV) {
			fprintf(f, "interval,%d,%llu,%llu,%.6f,%u,%s,", seq, jiffies,
				mono_ns, secs, r->id, pfb_clean(r->comm));
			csv_counts(f, &d);
		} else {
			fprintf(f, "%s", first ? "" : ",");
			json_counts(f, r->id, r->comm, &d);
		}
		first = 0;
	}
	if (fmt == PFB_JSON)
		fprintf(f, "]}");
	fflush(f);
}

static void out_totals(FILE *f, enum pfb_format fmt, const struct pfw_snap *total)
{
	int i;

	if (fmt == PFB_JSON)
		fprintf(f, "],\n\"totals\":[");
	else if (fmt == PFB_TABLE)
		fprintf(f, "\nTotals:\n%-7s %-16s %9s %9s %9s %9s %9s %9s %9s %9s %9s %12s\n",
			per_id_label(), "COMM", "TP-USR", "TP-KRN", "PE-MIN", "PE-MAJ",
			"FX-MIN", "FX-MAJ", "FX-GUP", "RU-MIN", "RU-MAJ", "CPU-ns");
	for (i = 0; i < total->n; i++) {
		const struct pfw_counts *c = &total->rows[i].c;
		const char *comm = total->rows[i].comm;

		if (fmt == PFB_TABLE)
			fprintf(f, "%-7u %-16s %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %9llu %12llu\n",
				total->rows[i].id, comm, c->tp_user, c->tp_kernel,
				c->pe_min, c->pe_maj, c->fx_min, c->fx_maj, c->fx_gup,
				c->ru_min, c->ru_maj, c->cpu_ns);
		else if (fmt == PFB_CSV) {
			fprintf(f, "total,,,,,%u,%s,", total->rows[i].id, pfb_clean(comm));
			csv_counts(f, c);
		} else {
			fprintf(f, "%s", i ? ",\n" : "");
			json_counts(f, total->rows[i].id, comm, c);
		}
	}
}

static void out_programs(FILE *f, enum pfb_format fmt, const struct pfw_prog_stat *ps,
			 int nps)
{
	int i, shown = 0;

	if (fmt == PFB_JSON)
		fprintf(f, "],\n\"programs\":[");
	else if (fmt == PFB_TABLE)
		fprintf(f, "\nOverhead (BPF stats):\n%-22s %12s %14s %10s %10s\n",
			"PROGRAM", "RUNS", "RUN-TIME-ns", "AVG-ns", "MISSES");
	for (i = 0; i < nps; i++) {
		double avg = ps[i].run_cnt ? (double)ps[i].run_time_ns / ps[i].run_cnt : 0;

		if (!ps[i].loaded)
			continue;
		if (fmt == PFB_TABLE)
			fprintf(f, "%-22s %12llu %14llu %10.0f %10llu\n", ps[i].name,
				ps[i].run_cnt, ps[i].run_time_ns, avg,
				ps[i].recursion_misses);
		else if (fmt == PFB_CSV)
			fprintf(f, "program,,,,,,%s,run_cnt=%llu,run_time_ns=%llu,avg_ns=%.0f,recursion_misses=%llu\n",
				ps[i].name, ps[i].run_cnt, ps[i].run_time_ns, avg,
				ps[i].recursion_misses);
		else
			fprintf(f, "%s{\"name\":\"%s\",\"run_cnt\":%llu,\"run_time_ns\":%llu,"
				"\"avg_ns\":%.0f,\"recursion_misses\":%llu}",
				shown ? "," : "", ps[i].name, ps[i].run_cnt,
				ps[i].run_time_ns, avg, ps[i].recursion_misses);
		shown++;
	}
}

/*
 * Switches of targets that the kernel did not trace, over every row: how
 * each source dealt with them (docs/witness.md).
 */
static void out_untraced(FILE *f, enum pfb_format fmt, const struct pfw_snap *total)
{
	struct pfw_counts s = {};
	int i;

	for (i = 0; i < total->n; i++) {
		s.miss_in += total->rows[i].c.miss_in;
		s.miss_out += total->rows[i].c.miss_out;
		s.cpu_rec_ns += total->rows[i].c.cpu_rec_ns;
		s.pe_miss_min += total->rows[i].c.pe_miss_min;
		s.pe_miss_maj += total->rows[i].c.pe_miss_maj;
	}
	if (fmt == PFB_JSON)
		fprintf(f, ",\n\"untraced_switches\":{\"in\":%llu,\"out\":%llu,"
			"\"cpu_rec_ns\":%llu,\"pe_miss_min\":%llu,\"pe_miss_maj\":%llu}",
			s.miss_in, s.miss_out, s.cpu_rec_ns, s.pe_miss_min, s.pe_miss_maj);
	else if (fmt == PFB_CSV)
		fprintf(f, "untraced,,,,,,switches,in=%llu,out=%llu,cpu_rec_ns=%llu,"
			"pe_miss_min=%llu,pe_miss_maj=%llu\n", s.miss_in, s.miss_out,
			s.cpu_rec_ns, s.pe_miss_min, s.pe_miss_maj);
	else
		fprintf(f, "Switches the kernel did not trace: %llu in, %llu out "
			"(sw took their %.3f ms from the scheduler; ru counted their faults; "
			"pe could not: %llu minor, %llu major)\n", s.miss_in, s.miss_out,
			s.cpu_rec_ns / 1e6, s.pe_miss_min, s.pe_miss_maj);
}

void pfw_out_end(FILE *f, enum pfb_format fmt, const struct pfw_snap *total,
		 const struct pfw_prog_stat *ps, int nps, __u64 lost_map_full)
{
	out_totals(f, fmt, total);
	out_programs(f, fmt, ps, nps);
	if (fmt == PFB_JSON)
		fprintf(f, "]");
	else if (fmt == PFB_TABLE)
		fprintf(f, "\n");
	out_untraced(f, fmt, total);
	if (fmt == PFB_JSON)
		fprintf(f, ",\n\"lost_map_full\":%llu", lost_map_full);
	else if (fmt == PFB_CSV)
		fprintf(f, "lost,,,,,,map_full,%llu\n", lost_map_full);
	else
		fprintf(f, "Events not counted (no row or thread state left): %llu\n", lost_map_full);
	fflush(f);
}

void pfw_out_close(FILE *f, enum pfb_format fmt, const struct pfw_wait4 *w)
{
	__u64 v[PFW_NWAIT4_FIELDS] = {
		[PFW_W_status] = w ? (__u64)w->status : 0, [PFW_W_minflt] = w ? w->minflt : 0,
		[PFW_W_majflt] = w ? w->majflt : 0, [PFW_W_utime_us] = w ? w->utime_us : 0,
		[PFW_W_stime_us] = w ? w->stime_us : 0,
	};
	int i;

	if (fmt == PFB_JSON) {
		if (w) {
			fprintf(f, ",\n\"wait4\":{\"pid\":%u,\"comm\":\"%s\"", w->pid,
				pfb_clean(w->comm));
			for (i = 0; i < PFW_NWAIT4_FIELDS; i++)
				fprintf(f, ",\"%s\":%llu", pfw_wait4_field_names[i], v[i]);
			fprintf(f, "}");
		}
		fprintf(f, "}\n");
	} else if (fmt == PFB_CSV && w) {
		fprintf(f, "wait4,,,,,%u,%s", w->pid, pfb_clean(w->comm));
		for (i = 0; i < PFW_NWAIT4_FIELDS; i++)
			fprintf(f, ",%s=%llu", pfw_wait4_field_names[i], v[i]);
		fprintf(f, "\n");
	}
	fflush(f);
}
