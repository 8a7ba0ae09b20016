// SPDX-License-Identifier: GPL-2.0
/*
 * heat_test - unit test of the heat map (bpf/heat.c): two bands far apart,
 * "seq" faulted in address order over time (a diagonal) and "rand" at
 * random, a third with no faults, a few faults in no band and one before
 * the first.  Each map (linear and log colour) must come out as a PNG,
 * its .dat must hold every fault once, in its band's rows, and seq's
 * faults must lie on the diagonal.  USAGE: heat_test [DIR] (default .)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heat.h"

#define TBINS	200
#define ABINS	200
#define N_SEQ	40000
#define N_RAND	40000
#define N_OTHER	10
#define T0	1000000000000ULL	/* ns: 1000 s */
#define SPAN	5000000000ULL		/* 5 s */
#define EARLY	50000000ULL		/* 50 ms before the first fault */
#define MB	(1ULL << 20)

static const struct pfw_heat_band bands[] = {	/* not in address order */
	{ 0x7f1234500000ULL, 0x7f1234500000ULL + 64 * MB, "rand" },
	{ 0x600000000000ULL, 0x600000000000ULL + MB, "unused" },
	{ 0x555512340000ULL, 0x555512340000ULL + 64 * MB, "seq" },
};

#define SEQ	(&bands[2])
#define RAND	(&bands[0])

static int t, bad;

static void ok(int cond, const char *what)
{
	printf("%sok %d %s\n", cond ? "" : "not ", ++t, what);
	bad |= !cond;
}

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
	int tbins, abins, nbands, lines, bad_lines;
	unsigned long long t0;
	double bin, sum;
	struct dband b[8];
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
		if (d->nbands < 8 && sscanf(line, "# band %d %d %llx %llx %llu %63[^\n]",
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
		      struct pfw_heat *h, unsigned long long total)
{
	char png[512], dat_path[512], gp[512], what[640];
	struct pfw_heat_opts o = { .png = png, .log_colour = log_colour };
	const struct dband *seq, *rnd_b, *oth;
	double all, near;
	struct dat d;
	int err, i, empty_gaps = 1;

	snprintf(png, sizeof(png), "%s/%s.png", dir, name);
	snprintf(dat_path, sizeof(dat_path), "%s/%s.dat", dir, name);
	snprintf(gp, sizeof(gp), "%s/%s.gp", dir, name);
	err = pfw_heat_write(h, &o);
	snprintf(what, sizeof(what), "%s: pfw_heat_write returns 0 (%d)", name, err);
	ok(!err, what);
	snprintf(what, sizeof(what), "%s: %s is a PNG", name, png);
	ok(is_png(png), what);
	ok(file_has(gp, "set logscale cb") == log_colour,
	   log_colour ? "log: the script sets logscale cb" : "linear: no logscale cb");
	err = read_dat(&d, dat_path);
	snprintf(what, sizeof(what), "%s: .dat has %d x %d cells (%d lines, %d short)",
		 name, TBINS, ABINS, d.lines, d.bad_lines);
	ok(!err && d.tbins == TBINS && d.abins == ABINS && d.lines == ABINS &&
	   !d.bad_lines, what);
	if (err)
		return;
	snprintf(what, sizeof(what), "%s: the cells sum to the faults added (%.4f of %llu)",
		 name, d.sum, total);
	ok(d.sum > total - 0.01 && d.sum < total + 0.01, what);
	seq = dat_band(&d, "seq");
	rnd_b = dat_band(&d, "rand");
	oth = dat_band(&d, "other");
	ok(d.nbands == 3 && seq == &d.b[0] && rnd_b == &d.b[1] && oth == &d.b[2] &&
	   seq->start == SEQ->start && rnd_b->end == RAND->end,
	   "bands drawn: seq, rand, other, bottom up; not the one without faults");
	if (d.nbands != 3 || !seq || !rnd_b || !oth)
		return;
	ok(seq->faults == N_SEQ && rnd_b->faults == N_RAND + 1 && oth->faults == N_OTHER,
	   "each band's faults: seq, rand (and the early one), other (in no band)");
	for (i = 0; i < 3; i++) {
		double s = rows_sum(&d, d.b[i].lo, d.b[i].hi);

		if (s < d.b[i].faults - 0.01 || s > d.b[i].faults + 0.01) {
			printf("# band %s: rows hold %.4f\n", d.b[i].label, s);
			empty_gaps = 0;
		}
	}
	ok(empty_gaps && seq->hi < rnd_b->lo && rnd_b->hi < oth->lo,
	   "a band's rows hold its faults; blank rows between bands");
	snprintf(what, sizeof(what), "rows by size: seq %d, rand %d (equal), other %d (a few)",
		 seq->hi - seq->lo, rnd_b->hi - rnd_b->lo, oth->hi - oth->lo);
	ok(abs((seq->hi - seq->lo) - (rnd_b->hi - rnd_b->lo)) <= 1 &&
	   oth->hi - oth->lo >= 3 && oth->hi - oth->lo < 20, what);
	ok(d.t0 <= T0 - EARLY && d.t0 + d.bin * TBINS >= T0 + SPAN - SPAN / N_SEQ,
	   "the time axis covers the early fault and the last");
	diagonal(&d, seq, &all, &near);
	snprintf(what, sizeof(what), "seq: %.1f%% of its faults within 2 rows of the diagonal",
		 100 * near / all);
	ok(near > 0.9 * all, what);
	diagonal(&d, rnd_b, &all, &near);
	snprintf(what, sizeof(what), "rand: spread, %.1f%% of its faults near that diagonal",
		 100 * near / all);
	ok(near < 0.2 * all, what);
	free(d.cell);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct pfw_heat_opts o = {};
	unsigned long long i, total = 0, size = SEQ->end - SEQ->start;
	struct pfw_heat *h, *empty;
	char png[512], *path;
	int err;

	printf("1..%d\n", 2 * 12 + 4);
	h = pfw_heat_new(bands, 3, TBINS, ABINS);
	ok(!!h, "pfw_heat_new: three bands, not in order");
	if (!h)
		return 1;
	for (i = 0; i < N_SEQ; i++) {
		unsigned long long ts = T0 + i * (SPAN / N_SEQ);

		pfw_heat_add(h, ts, SEQ->start + (i * size / N_SEQ & ~0xfffULL));
		pfw_heat_add(h, T0 + rnd() % SPAN, RAND->start + rnd() % size);
		total += 2;
	}
	for (i = 0; i < N_OTHER; i++, total++)	/* in no band */
		pfw_heat_add(h, T0 + rnd() % SPAN, 0x10000 + i * 0x3000);
	pfw_heat_add(h, T0 - EARLY, RAND->start);	/* before the first */
	total++;
	ok(pfw_heat_count(h) == total, "every fault counted");

	check_map(dir, "heat-linear", false, h, total);
	check_map(dir, "heat-log", true, h, total);

	snprintf(png, sizeof(png), "%s/heat-nognuplot.png", dir);
	o.png = png;
	path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	printf("# expect a message: no gnuplot\n");
	err = pfw_heat_write(h, &o);
	if (path)
		setenv("PATH", path, 1);
	free(path);
	ok(err == -ENOENT, "no gnuplot on PATH: -ENOENT");

	snprintf(png, sizeof(png), "%s/heat-empty.png", dir);
	empty = pfw_heat_new(NULL, 0, 0, 0);
	printf("# expect a message: nothing to draw\n");
	ok(empty && pfw_heat_write(empty, &o) == -ENODATA, "no faults: -ENODATA");
	pfw_heat_free(empty);
	pfw_heat_free(h);
	return bad;
}
