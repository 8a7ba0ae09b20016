// SPDX-License-Identifier: GPL-2.0
/*
 * heatmap_test - unit test of the heat map (bpf/trace/heatmap.c): two bands far apart,
 * "seq" faulted in address order over time (a diagonal) and "rand" at
 * random, a third with no faults, a few faults in no band and one before
 * the first.  Each map (linear and log colour) must come out as a PNG,
 * its .dat must hold every fault once, in its band's rows, and seq's
 * faults must lie on the diagonal.  Then 2000 mappings of 100 processes
 * at the same addresses, each with its own number of faults: the busiest
 * 24 (or 5) must get bands of their own with their faults, the rest be
 * folded into "other (K mappings)", counted in the stats, the .dat and
 * the title, and every fault be in the cells; faults beyond max_events
 * are dropped and said.  USAGE: heatmap_test [DIR] (default .)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heatmap.h"
#include "lib/tap.h"

#define TBINS	200
#define ABINS	200
#define N_SEQ	40000
#define N_RAND	40000
#define N_OTHER	10
#define T0	1000000000000ULL	/* ns: 1000 s */
#define SPAN	5000000000ULL		/* 5 s */
#define EARLY	50000000ULL		/* 50 ms before the first fault */
#define MB	(1ULL << 20)

static const struct pft_heatmap_band bands[] = {	/* not in address order */
	{ 1, 0x7f1234500000ULL, 0x7f1234500000ULL + 64 * MB, "rand" },
	{ 1, 0x600000000000ULL, 0x600000000000ULL + MB, "unused" },
	{ 1, 0x555512340000ULL, 0x555512340000ULL + 64 * MB, "seq" },
};

#define SEQ	(&bands[2])
#define RAND	(&bands[0])

static unsigned long long rnd(void)	/* xorshift64, fixed seed */
{
	static unsigned long long x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

struct dband {
	int lo, hi;
	unsigned long long start, end, faults;
	char label[64];
};

/* What a .dat says: its header and cells. */
struct dat {
	int tbins, abins, nbands, lines, bad_lines, nfolded;
	unsigned long long t0, folded_faults;
	double bin, sum;
	struct dband b[64];
	double *cell;	/* [row * tbins + col] */
};

static int read_dat(struct dat *d, const char *path)
{
	char line[1 << 14];
	FILE *f = fopen(path, "r");

	memset(d, 0, sizeof(*d));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct dband *b = &d->b[d->nbands];
		char *p = line, *end;
		int n = 0;

		if (sscanf(line, "# tbins %d abins %d", &d->tbins, &d->abins) == 2) {
			d->cell = calloc((size_t)d->tbins * d->abins, sizeof(double));
			continue;
		}
		if (sscanf(line, "# time %llu %lf", &d->t0, &d->bin) == 2)
			continue;
		if (!strncmp(line, "# folded ", 9) &&
		    sscanf(line, "# folded %*x %*x %llu", &b->faults) == 1) {
			d->nfolded++;
			d->folded_faults += b->faults;
			continue;
		}
		if (d->nbands < 64 && sscanf(line, "# band %d %d %llx %llx %llu %63[^\n]",
					    &b->lo, &b->hi, &b->start, &b->end, &b->faults,
					    b->label) == 6) {
			d->nbands++;
			continue;
		}
		if (line[0] == '#' || !d->cell)
			continue;
		for (;; n++) {
			double v = strtod(p, &end);

			if (end == p)
				break;
			if (d->lines < d->abins && n < d->tbins)
				d->cell[(size_t)d->lines * d->tbins + n] = v;
			d->sum += v;
			p = end;
		}
		d->bad_lines += n != d->tbins;
		d->lines++;
	}
	fclose(f);
	return d->cell ? 0 : -EINVAL;
}

static const struct dband *dat_band(const struct dat *d, const char *label)
{
	int i;

	for (i = 0; i < d->nbands; i++)
		if (!strcmp(d->b[i].label, label))
			return &d->b[i];
	return NULL;
}

/* The faults in @b's rows, and those within 2 rows of seq's diagonal. */
static void diagonal(const struct dat *d, const struct dband *b, double *all, double *near)
{
	int r, c;

	*all = *near = 0;
	for (c = 0; c < d->tbins; c++) {
		double tc = d->t0 + (c + 0.5) * d->bin;	/* the column's middle */
		double f = (tc - T0) / SPAN;		/* seq's place then */
		int want = b->lo + (int)(f * (b->hi - b->lo));

		for (r = b->lo; r < b->hi; r++) {
			double v = d->cell[(size_t)r * d->tbins + c];

			*all += v;
			if (r >= want - 2 && r <= want + 2)
				*near += v;
		}
	}
}

static double rows_sum(const struct dat *d, int lo, int hi)
{
	double s = 0;
	int i;

	for (i = lo * d->tbins; i < hi * d->tbins; i++)
		s += d->cell[i];
	return s;
}

static int is_png(const char *path)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char buf[8];
	FILE *f = fopen(path, "rb");
	int yes;

	if (!f)
		return 0;
	yes = fread(buf, 1, 8, f) == 8 && !memcmp(buf, sig, 8);
	fclose(f);
	return yes;
}

static int file_has(const char *path, const char *s)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int yes = 0;

	while (f && !yes && fgets(line, sizeof(line), f))
		yes = !!strstr(line, s);
	if (f)
		fclose(f);
	return yes;
}

static void check_map(const char *dir, const char *name, bool log_colour,
		      struct pft_heatmap *h, unsigned long long total)
{
	char png[512], dat_path[512], gp[512], what[640];
	struct pft_heatmap_opts o = { .png = png, .log_colour = log_colour };
	const struct dband *seq, *rnd_b, *oth;
	struct pft_heatmap_stats st = {};
	double all, near;
	struct dat d;
	int err, i, empty_gaps = 1;

	snprintf(png, sizeof(png), "%s/%s.png", dir, name);
	snprintf(dat_path, sizeof(dat_path), "%s/%s.dat", dir, name);
	snprintf(gp, sizeof(gp), "%s/%s.gp", dir, name);
	err = pft_heatmap_write(h, bands, 3, &o, &st);
	snprintf(what, sizeof(what), "%s: pft_heatmap_write returns 0 (%d), %llu faults drawn "
		 "in %d mappings, none folded", name, err, st.faults, st.mappings);
	tap_ok(!err && st.faults == total && st.mappings == 2 && st.bands == 2 && !st.folded &&
	       st.folded_faults == N_OTHER && st.unmapped == N_OTHER, "%s", what);
	snprintf(what, sizeof(what), "%s: %s is a PNG", name, png);
	tap_ok(is_png(png), "%s", what);
	tap_ok(file_has(gp, "set logscale cb") == log_colour,
	       log_colour ? "log: the script sets logscale cb" : "linear: no logscale cb");
	err = read_dat(&d, dat_path);
	snprintf(what, sizeof(what), "%s: .dat has %d x %d cells (%d lines, %d short)",
		 name, TBINS, ABINS, d.lines, d.bad_lines);
	tap_ok(!err && d.tbins == TBINS && d.abins == ABINS && d.lines == ABINS &&
	       !d.bad_lines, "%s", what);
	if (err)
		return;
	snprintf(what, sizeof(what), "%s: the cells sum to the faults added (%.4f of %llu)",
		 name, d.sum, total);
	tap_ok(d.sum > total - 0.01 && d.sum < total + 0.01, "%s", what);
	seq = dat_band(&d, "seq");
	rnd_b = dat_band(&d, "rand");
	oth = dat_band(&d, "other");
	tap_ok(d.nbands == 3 && seq == &d.b[0] && rnd_b == &d.b[1] && oth == &d.b[2] &&
	       seq->start == SEQ->start && rnd_b->end == RAND->end,
	       "bands drawn: seq, rand, other, bottom up; not the one without faults");
	if (d.nbands != 3 || !seq || !rnd_b || !oth)
		return;
	tap_ok(seq->faults == N_SEQ && rnd_b->faults == N_RAND + 1 && oth->faults == N_OTHER,
	       "each band's faults: seq, rand (and the early one), other (in no band)");
	for (i = 0; i < 3; i++) {
		double s = rows_sum(&d, d.b[i].lo, d.b[i].hi);

		if (s < d.b[i].faults - 0.01 || s > d.b[i].faults + 0.01) {
			tap_diag("band %s: rows hold %.4f", d.b[i].label, s);
			empty_gaps = 0;
		}
	}
	tap_ok(empty_gaps && seq->hi < rnd_b->lo && rnd_b->hi < oth->lo,
	       "a band's rows hold its faults; blank rows between bands");
	snprintf(what, sizeof(what), "rows by size: seq %d, rand %d (equal), other %d (a few)",
		 seq->hi - seq->lo, rnd_b->hi - rnd_b->lo, oth->hi - oth->lo);
	tap_ok(abs((seq->hi - seq->lo) - (rnd_b->hi - rnd_b->lo)) <= 1 &&
	       oth->hi - oth->lo >= 3 && oth->hi - oth->lo < 20, "%s", what);
	tap_ok(d.t0 <= T0 - EARLY && d.t0 + d.bin * TBINS >= T0 + SPAN - SPAN / N_SEQ,
	       "the time axis covers the early fault and the last");
	diagonal(&d, seq, &all, &near);
	snprintf(what, sizeof(what), "seq: %.1f%% of its faults within 2 rows of the diagonal",
		 100 * near / all);
	tap_ok(near > 0.9 * all, "%s", what);
	diagonal(&d, rnd_b, &all, &near);
	snprintf(what, sizeof(what), "rand: spread, %.1f%% of its faults near that diagonal",
		 100 * near / all);
	tap_ok(near < 0.2 * all, "%s", what);
	free(d.cell);
}

/*
 * Many mappings: M of them, OWNERS processes with the same RANGES address
 * ranges each (so that only the owner tells them apart), mapping i with
 * 1 + (i * 7919 % M) faults (each of 1..M once: 7919 is prime), and a few
 * faults in none.  The busiest DEF_BANDS get bands of their own, the rest
 * are folded into other.
 */
#define M		2000
#define RANGES		20
#define OWNERS		(M / RANGES)
#define DEF_BANDS	24
#define N_NONE		10

static unsigned long long faults_of(int i)
{
	return 1 + (unsigned long long)i * 7919 % M;
}

static void many(const char *dir)
{
	static struct pft_heatmap_band mb[M];
	unsigned long long total = 0, top = 0, top5 = 0, f, j;
	char png[512], dat_path[512], gp[512], what[512], want[128];
	struct pft_heatmap_opts o = { .png = png };
	struct pft_heatmap_stats st = {}, st5 = {};
	const struct dband *oth;
	struct pft_heatmap *h;
	int i, err, right = 0;
	struct dat d;

	for (i = 0; i < M; i++) {	/* 2 pages each, a page apart */
		mb[i].owner = 1000 + i / RANGES;
		mb[i].start = 0x7f0000000000ULL + (unsigned long long)(i % RANGES) * 3 * 4096;
		mb[i].end = mb[i].start + 2 * 4096;
		snprintf(mb[i].label, sizeof(mb[i].label), "m%d", i);
	}
	h = pft_heatmap_new(0);
	for (i = 0; h && i < M; i++) {
		f = faults_of(i);
		for (j = 0; j < f; j++)
			pft_heatmap_add(h, T0 + rnd() % SPAN, mb[i].owner, mb[i].start + rnd() % 8192);
		total += f;
		top += f > M - DEF_BANDS ? f : 0;
		top5 += f > M - 5 ? f : 0;
	}
	for (i = 0; h && i < N_NONE; i++)	/* an owner without mappings */
		pft_heatmap_add(h, T0 + rnd() % SPAN, 7, mb[0].start);
	total += N_NONE;
	snprintf(png, sizeof(png), "%s/heat-many.png", dir);
	snprintf(dat_path, sizeof(dat_path), "%s/heat-many.dat", dir);
	snprintf(gp, sizeof(gp), "%s/heat-many.gp", dir);
	err = h ? pft_heatmap_write(h, mb, M, &o, &st) : -ENOMEM;
	snprintf(what, sizeof(what), "%d mappings with faults: pft_heatmap_write returns 0 (%d)", M, err);
	tap_ok(!err, "%s", what);
	tap_ok(is_png(png), "2000 mappings: a PNG");
	memset(&d, 0, sizeof(d));
	if (read_dat(&d, dat_path))
		d.nbands = 0;
	for (i = 0; i < d.nbands - 1; i++) {
		int b = atoi(d.b[i].label + 1);

		right += d.b[i].label[0] == 'm' && b >= 0 && b < M &&
			 d.b[i].faults == faults_of(b) && faults_of(b) > M - DEF_BANDS;
	}
	snprintf(what, sizeof(what), "the busiest %d mappings have bands of their own, each "
		 "with its faults, though %d processes share their addresses (%d bands, "
		 "%d right)", DEF_BANDS, OWNERS, d.nbands, right);
	tap_ok(d.nbands == DEF_BANDS + 1 && right == DEF_BANDS, "%s", what);
	snprintf(want, sizeof(want), "other (%d mappings)", M - DEF_BANDS);
	oth = dat_band(&d, want);
	snprintf(what, sizeof(what), "'%s', on top, holds their %llu faults and the %d in "
		 "none (%llu); the .dat lists %d folded mappings with %llu faults", want,
		 total - top - N_NONE, N_NONE, oth ? oth->faults : 0, d.nfolded,
		 d.folded_faults);
	tap_ok(oth && oth == &d.b[d.nbands - 1] && oth->faults == total - top &&
	       d.nfolded == M - DEF_BANDS && d.folded_faults == total - top - N_NONE, "%s", what);
	snprintf(what, sizeof(what), "2000 mappings: the cells sum to the faults added, as "
		 "the stats say (%.0f, %llu of %llu)", d.sum, st.faults, total);
	tap_ok(d.sum == total && st.faults == total, "%s", what);
	snprintf(what, sizeof(what), "stats: %d mappings, %d bands, %d folded with %llu "
		 "faults (%llu of them in no mapping), %llu dropped", st.mappings, st.bands,
		 st.folded, st.folded_faults, st.unmapped, st.dropped);
	tap_ok(st.mappings == M && st.bands == DEF_BANDS && st.folded == M - DEF_BANDS &&
	       st.folded_faults == total - top && st.unmapped == N_NONE && !st.dropped, "%s", what);
	snprintf(want, sizeof(want), "the busiest %d in bands of their own, %d (%llu faults, "
		 "%.1f%%) folded into other; %d faults in no known mapping", DEF_BANDS,
		 M - DEF_BANDS, total - top - N_NONE, 100.0 * (total - top - N_NONE) / total,
		 N_NONE);
	snprintf(what, sizeof(what), "the title says: ...%s", want);
	tap_ok(file_has(gp, want), "%s", what);
	free(d.cell);

	o.bands = 5;
	err = h ? pft_heatmap_write(h, mb, M, &o, &st5) : -ENOMEM;
	if (read_dat(&d, dat_path))
		d.nbands = 0;
	snprintf(want, sizeof(want), "other (%d mappings)", M - 5);
	oth = dat_band(&d, want);
	snprintf(what, sizeof(what), "bands = 5: %d, %d bands and '%s' with %llu faults "
		 "(%llu)", err, st5.bands, want, st5.folded_faults, total - top5);
	tap_ok(!err && st5.bands == 5 && st5.folded == M - 5 && d.nbands == 6 && oth &&
	       oth->faults == total - top5 && st5.folded_faults == total - top5 &&
	       d.sum == total, "%s", what);
	free(d.cell);
	o.bands = ABINS;
	tap_diag("expect a message: out of range");
	err = h ? pft_heatmap_write(h, mb, M, &o, NULL) : -ENOMEM;
	tap_ok(err == -EINVAL, "bands = abins (a row each, and none for other): -EINVAL");
	pft_heatmap_free(h);

	/* kept up to max_events; the rest dropped, counted, and said */
	h = pft_heatmap_new(N_NONE);
	for (i = 0, err = 0; h && i < N_NONE + 3; i++)
		err += pft_heatmap_add(h, T0 + i, mb[0].owner, mb[0].start) == -ENOSPC;
	snprintf(png, sizeof(png), "%s/heat-full.png", dir);
	memset(&st, 0, sizeof(st));
	o.bands = 0;
	i = h ? pft_heatmap_write(h, mb, 1, &o, &st) : -ENOMEM;
	snprintf(what, sizeof(what), "max_events %d: 3 of %d added refused (%d), "
		 "%llu drawn, %llu dropped, said in the title", N_NONE, N_NONE + 3, err,
		 st.faults, st.dropped);
	snprintf(gp, sizeof(gp), "%s/heat-full.gp", dir);
	tap_ok(!i && err == 3 && st.faults == N_NONE && st.dropped == 3 &&
	       file_has(gp, "3 more not kept, not drawn"), "%s", what);
	pft_heatmap_free(h);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct pft_heatmap_opts o = {};
	unsigned long long i, total = 0, size = SEQ->end - SEQ->start;
	struct pft_heatmap *h, *empty;
	char png[512], *path;
	int err, refused = 0;

	tap_plan(2 * 12 + 4 + 10);
	h = pft_heatmap_new(0);
	if (!tap_ok(!!h, "pft_heatmap_new"))
		tap_bail("no heat map");
	for (i = 0; i < N_SEQ; i++) {
		unsigned long long ts = T0 + i * (SPAN / N_SEQ);

		refused |= pft_heatmap_add(h, ts, 1, SEQ->start + (i * size / N_SEQ & ~0xfffULL));
		refused |= pft_heatmap_add(h, T0 + rnd() % SPAN, 1, RAND->start + rnd() % size);
		total += 2;
	}
	for (i = 0; i < N_OTHER; i++, total++)	/* in no band */
		refused |= pft_heatmap_add(h, T0 + rnd() % SPAN, 1, 0x10000 + i * 0x3000);
	refused |= pft_heatmap_add(h, T0 - EARLY, 1, RAND->start);	/* before the first */
	total++;
	tap_ok(!refused, "every fault kept");

	check_map(dir, "heat-linear", false, h, total);
	check_map(dir, "heat-log", true, h, total);

	snprintf(png, sizeof(png), "%s/heat-nognuplot.png", dir);
	o.png = png;
	path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	tap_diag("expect a message: no gnuplot");
	err = pft_heatmap_write(h, bands, 3, &o, NULL);
	if (path)
		setenv("PATH", path, 1);
	free(path);
	tap_ok(err == -ENOENT, "no gnuplot on PATH: -ENOENT");

	snprintf(png, sizeof(png), "%s/heat-empty.png", dir);
	empty = pft_heatmap_new(0);
	tap_diag("expect a message: nothing to draw");
	tap_ok(empty && pft_heatmap_write(empty, NULL, 0, &o, NULL) == -ENODATA, "no faults: -ENODATA");
	pft_heatmap_free(empty);
	pft_heatmap_free(h);
	many(dir);
	return tap_finish();
}
