// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* heat.c - page faults, address x time, as a PNG by gnuplot; see heat.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "heat.h"

#define DEF_BINS	200
#define MAX_BINS	65536
#define DEF_WIDTH	1024
#define DEF_HEIGHT	768
#define PAGE_SHIFT	12
#define BUDGET		4	/* rows of all bands: BUDGET x rmax at most */
#define LABEL_PX	13	/* a y label's height: a band's least rows */
#define MARGIN_PX	120	/* the image's height less the plot's */

typedef unsigned long long u64;

/*
 * A counting axis: slot i is [lo + (i << shift), + (1 << shift)), lo a
 * multiple of 1 << shift.  To take in a value outside its n slots, shift
 * grows (slots merge in aligned pairs, so no count straddles) and lo
 * moves down to the least value seen.
 */
struct axis {
	u64 lo, min, max;	/* min, max: the values seen */
	unsigned int shift;
	int n;
	bool any;
};

struct band {
	u64 start, end;
	char label[64];
	u64 *cells;	/* [col * rows + row]; NULL until its first fault */
	int rows;	/* a power of two */
	u64 faults;
};

struct pfw_heat {
	struct band *b;		/* nb bands sorted and disjoint, then other */
	int nb;
	struct axis t;		/* time: the columns of every band */
	struct axis oa;		/* other's addresses: its rows */
	int tbins, abins, rmax;	/* rmax: abins rounded up to a power of two */
	int rows_used;		/* by the nb bands */
	u64 *spare;		/* t.n x rmax, for moving cells */
	u64 n, lost;
};

/* The least integer >= @v (>= 0), without libm. */
static int ceil_int(double v)
{
	int i = (int)v;

	return i < v ? i + 1 : i;
}

static int pow2_ceil(u64 v, int max)
{
	int p = 1;

	while (p < max && (u64)p < v)
		p *= 2;
	return p;
}

static int cmp_band(const void *a, const void *b)
{
	const struct band *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;	/* longer first */
}

struct pfw_heat *pfw_heat_new(const struct pfw_heat_band *bands, int nbands,
			      int tbins, int abins)
{
	struct pfw_heat *h;
	int i, n = 0;

	if (nbands < 0 || (nbands && !bands) || tbins < 0 || abins < 0 ||
	    tbins == 1 || abins == 1 || tbins > MAX_BINS || abins > MAX_BINS) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->tbins = tbins ? tbins : DEF_BINS;
	h->abins = abins ? abins : DEF_BINS;
	h->rmax = pow2_ceil(h->abins, MAX_BINS);
	h->t.n = 2 * h->tbins;
	h->oa.n = h->rmax;
	h->oa.shift = PAGE_SHIFT;
	h->b = calloc(nbands + 1, sizeof(*h->b));
	h->spare = calloc((size_t)h->t.n * h->rmax, sizeof(*h->spare));
	if (!h->b || !h->spare) {
		pfw_heat_free(h);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < nbands; i++) {
		if (bands[i].end <= bands[i].start)
			continue;
		h->b[n].start = bands[i].start;
		h->b[n].end = bands[i].end;
		memcpy(h->b[n].label, bands[i].label, sizeof(h->b[n].label) - 1);
		n++;
	}
	qsort(h->b, n, sizeof(*h->b), cmp_band);
	for (i = 1, h->nb = n ? 1 : 0; i < n; i++) {	/* clip overlaps */
		struct band *prev = &h->b[h->nb - 1];

		if (h->b[i].start < prev->end)
			h->b[i].start = prev->end;
		if (h->b[i].start < h->b[i].end)
			h->b[h->nb++] = h->b[i];
	}
	memset(&h->b[h->nb], 0, (n - h->nb + 1) * sizeof(*h->b));
	strcpy(h->b[h->nb].label, "other");
	h->b[h->nb].rows = h->rmax;
	return h;
}

void pfw_heat_free(struct pfw_heat *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; h->b && i <= h->nb; i++)
		free(h->b[i].cells);
	free(h->b);
	free(h->spare);
	free(h);
}

unsigned long long pfw_heat_count(const struct pfw_heat *h)
{
	return h->n;
}

static struct band *find_band(struct pfw_heat *h, u64 addr)
{
	int lo = 0, hi = h->nb;	/* the last band starting at or below addr */

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (h->b[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < h->b[lo - 1].end)
		return &h->b[lo - 1];
	return &h->b[h->nb];
}

/* The slot of @v on @a. */
static int slot(const struct axis *a, u64 v)
{
	return (int)((v >> a->shift) - (a->lo >> a->shift));
}

/* The slots in use: up to the one of the greatest value. */
static int slots_used(const struct axis *a)
{
	return a->any ? slot(a, a->max) + 1 : 0;
}

/* Where slot @i of @a goes when @a becomes (@s, @lo). */
static int slot_moved(const struct axis *a, unsigned int s, u64 lo, int i)
{
	return (int)((((a->lo >> a->shift) + i) >> (s - a->shift)) - (lo >> s));
}

/* The columns of every band, to time axis (@s, @lo). */
static void move_cols(struct pfw_heat *h, unsigned int s, u64 lo)
{
	int used = slots_used(&h->t), i, j, r;

	for (i = 0; i <= h->nb; i++) {
		struct band *b = &h->b[i];

		if (!b->cells)
			continue;
		memcpy(h->spare, b->cells, (size_t)used * b->rows * sizeof(u64));
		memset(b->cells, 0, (size_t)h->t.n * b->rows * sizeof(u64));
		for (j = 0; j < used; j++) {
			u64 *to = &b->cells[(size_t)slot_moved(&h->t, s, lo, j) * b->rows];
			const u64 *from = &h->spare[(size_t)j * b->rows];

			for (r = 0; r < b->rows; r++)
				to[r] += from[r];
		}
	}
}

/* The rows of other, to its address axis (@s, @lo). */
static void move_other_rows(struct pfw_heat *h, unsigned int s, u64 lo)
{
	struct band *b = &h->b[h->nb];
	int used = slots_used(&h->oa), c, r;
	size_t all = (size_t)h->t.n * b->rows;

	memcpy(h->spare, b->cells, all * sizeof(u64));
	memset(b->cells, 0, all * sizeof(u64));
	for (c = 0; c < h->t.n; c++)
		for (r = 0; r < used; r++)
			b->cells[(size_t)c * b->rows + slot_moved(&h->oa, s, lo, r)] +=
				h->spare[(size_t)c * b->rows + r];
}

/* Take @v into @a, first moving the cells with @move if its slots change. */
static void axis_take(struct pfw_heat *h, struct axis *a, u64 v,
		      void (*move)(struct pfw_heat *h, unsigned int s, u64 lo))
{
	unsigned int s = a->shift;
	u64 min, max;

	if (!a->any) {
		a->any = true;
		a->min = v;
		a->max = v;
		a->lo = v >> s << s;
		return;
	}
	min = v < a->min ? v : a->min;
	max = v > a->max ? v : a->max;
	if (min == a->min && max == a->max)
		return;
	/* n >= 2, so s stops at 63 at the latest */
	while ((max >> s) - (min >> s) >= (u64)a->n)
		s++;
	if (s != a->shift || min >> s << s != a->lo)
		move(h, s, min >> s << s);
	a->shift = s;
	a->lo = min >> s << s;
	a->min = min;
	a->max = max;
}

static u64 band_size(const struct band *b)
{
	return b->end - b->start;
}

/* Halve @b's rows (it has cells): rows 2i and 2i+1 become i. */
static void halve_rows(struct pfw_heat *h, struct band *b)
{
	int half = b->rows / 2, c, r;
	u64 *cells;

	for (c = 0; c < h->t.n; c++)	/* in place: each write is behind its reads */
		for (r = 0; r < half; r++)
			b->cells[(size_t)c * half + r] = b->cells[(size_t)c * b->rows + 2 * r] +
							 b->cells[(size_t)c * b->rows + 2 * r + 1];
	b->rows = half;
	h->rows_used -= half;
	cells = realloc(b->cells, (size_t)h->t.n * half * sizeof(u64));
	if (cells)
		b->cells = cells;
}

/*
 * Rows for @nw, about to receive its first fault: up to a row a page,
 * rmax at most; while all bands' rows exceed the budget, halve those
 * with the most rows for the rows they will be drawn in.
 */
static int band_touch(struct pfw_heat *h, struct band *nw)
{
	u64 touched = band_size(nw);
	int i;

	nw->rows = pow2_ceil(((band_size(nw) - 1) >> PAGE_SHIFT) + 1, h->rmax);
	for (i = 0; i < h->nb; i++)
		if (h->b[i].cells)
			touched += band_size(&h->b[i]);
	while (h->rows_used + nw->rows > BUDGET * h->rmax) {
		struct band *worst = NULL;
		double most = 0;

		for (i = 0; i < h->nb; i++) {
			struct band *b = &h->b[i];
			double drawn, per;

			if ((!b->cells && b != nw) || b->rows < 2)
				continue;
			drawn = (double)h->abins * band_size(b) / touched;
			per = b->rows / (drawn > 3 ? drawn : 3);
			if (per > most) {
				most = per;
				worst = b;
			}
		}
		if (!worst)
			break;
		if (worst == nw)
			nw->rows /= 2;
		else
			halve_rows(h, worst);
	}
	nw->cells = calloc((size_t)h->t.n * nw->rows, sizeof(u64));
	if (!nw->cells)
		return -ENOMEM;
	h->rows_used += nw->rows;
	return 0;
}

void pfw_heat_add(struct pfw_heat *h, unsigned long long t_ns, unsigned long long addr)
{
	struct band *b = find_band(h, addr);
	bool other = b == &h->b[h->nb];
	int row;

	if (!b->cells) {
		if (other)
			b->cells = calloc((size_t)h->t.n * b->rows, sizeof(u64));
		if (other ? !b->cells : band_touch(h, b) < 0) {
			h->lost++;
			return;
		}
	}
	axis_take(h, &h->t, t_ns, move_cols);
	if (other) {
		axis_take(h, &h->oa, addr, move_other_rows);
		row = slot(&h->oa, addr);
	} else {
		row = (int)((__uint128_t)(addr - b->start) * b->rows / band_size(b));
	}
	b->cells[(size_t)slot(&h->t, t_ns) * b->rows + row]++;
	b->faults++;
	h->n++;
}

/*
 * Resampling.  A source bin [a, b) spreads its count over the output bins
 * [j*w, (j+1)*w), j < n, in proportion to overlap (a zero-width one goes
 * to the bin of a): *idx gets the first bin, wt[] the weights, summing to
 * 1; returns how many.
 */
static int spread(double a, double b, double w, int n, int *idx, double *wt)
{
	int j0 = (int)(a / w), j1 = ceil_int(b / w) - 1, j, k = 0;
	double sum = 0;

	j0 = j0 < 0 ? 0 : j0 >= n ? n - 1 : j0;
	j1 = j1 < j0 ? j0 : j1 >= n ? n - 1 : j1;
	*idx = j0;
	for (j = j0; j <= j1; j++) {
		double lo = a > j * w ? a : j * w, hi = b < (j + 1) * w ? b : (j + 1) * w;

		wt[k] = hi > lo ? hi - lo : 0;
		sum += wt[k++];
	}
	if (sum <= 0) {
		wt[0] = 1;
		return 1;
	}
	for (j = 0; j < k; j++)
		wt[j] /= sum;
	return k;
}

/* A band as drawn: rows [lo, lo + rows) of the image, for [start, end). */
struct drawn {
	struct band *b;
	u64 start, end;
	int lo, rows;
	double weight;
};

/* The image: out[row * tbins + col]; the time span drawn, from t.min. */
struct image {
	double *out;
	double span, bin;
	struct drawn *d;
	int nd;
};

/* Add band @d's cells to the image. */
static void draw_band(const struct pfw_heat *h, const struct drawn *d, struct image *im,
		      int *tidx, double *twt, int *ridx, double *rwt)
{
	const struct band *b = d->b;
	bool other = b == &h->b[h->nb];
	int used = slots_used(&h->t), c, r, i, j, nt, nr, t0, r0;
	double rw = other ? (double)(d->end - d->start) / d->rows : 1;

	for (c = 0; c < used; c++) {
		u64 c_lo = (h->t.lo >> h->t.shift) + c, c_hi;
		double a, e;

		/* the column, clipped to the times seen: [t.min, t.max] */
		c_hi = ((c_lo + 1) << h->t.shift) - 1;
		c_lo <<= h->t.shift;
		if (c_hi < h->t.min || c_lo > h->t.max)
			continue;
		a = c_lo < h->t.min ? 0 : (double)(c_lo - h->t.min);
		e = (double)((c_hi > h->t.max ? h->t.max : c_hi) - h->t.min) + 1;
		nt = spread(a, e, im->bin, h->tbins, &t0, twt);
		for (i = 0; i < nt; i++)
			tidx[i] = t0 + i;
		for (r = 0; r < b->rows; r++) {
			u64 v = b->cells[(size_t)c * b->rows + r];

			if (!v)
				continue;
			if (other) {	/* slot r's pages, clipped to the span drawn */
				u64 s_lo = h->oa.lo + ((u64)r << h->oa.shift);
				u64 s_hi = s_lo + ((1ULL << h->oa.shift) - 1);

				a = s_lo < d->start ? 0 : (double)(s_lo - d->start);
				e = (double)((s_hi >= d->end ? d->end - 1 : s_hi) - d->start) + 1;
			} else {
				a = (double)r * d->rows / b->rows;
				e = (double)(r + 1) * d->rows / b->rows;
			}
			nr = spread(a, e, rw, d->rows, &r0, rwt);
			for (j = 0; j < nr; j++)
				ridx[j] = d->lo + r0 + j;
			for (j = 0; j < nr; j++)
				for (i = 0; i < nt; i++)
					im->out[(size_t)ridx[j] * h->tbins + tidx[i]] +=
						v * rwt[j] * twt[i];
		}
	}
}

/*
 * Rows for each band drawn: in proportion to its weight (its size; other:
 * its span, no more than the largest band's), @least at least, a blank
 * row between bands (if they fit).  0, or -E2BIG.
 */
static int lay_out(const struct pfw_heat *h, struct image *im, int least)
{
	int k = im->nd, gap = 1, avail, fixed_rows, i, left, best;
	double wsum, *frac;
	bool *fixed, again;

	if (k * least + (k - 1) * gap > h->abins)
		least = (h->abins - (k - 1) * gap) / k;
	if (least < 1) {
		gap = 0;
		least = h->abins / k;
	}
	if (least < 1)
		return -E2BIG;
	fixed = calloc(k, sizeof(*fixed));
	frac = calloc(k, sizeof(*frac));
	if (!fixed || !frac) {
		free(fixed);
		free(frac);
		return -ENOMEM;
	}
	avail = h->abins - (k - 1) * gap;
	do {	/* those whose share is under @least get @least; share again */
		again = false;
		wsum = 0;
		fixed_rows = 0;
		for (i = 0; i < k; i++) {
			if (fixed[i])
				fixed_rows += least;
			else
				wsum += im->d[i].weight;
		}
		for (i = 0; i < k; i++) {
			if (fixed[i])
				continue;
			frac[i] = (avail - fixed_rows) * im->d[i].weight / wsum;
			if (frac[i] < least) {
				fixed[i] = true;
				again = true;
				break;
			}
		}
	} while (again);
	left = avail;
	for (i = 0; i < k; i++) {
		im->d[i].rows = fixed[i] ? least : (int)frac[i];
		frac[i] = fixed[i] ? -1 : frac[i] - im->d[i].rows;
		left -= im->d[i].rows;
	}
	for (; left > 0; left--) {	/* the rest by largest remainder */
		for (i = 1, best = 0; i < k; i++)
			if (frac[i] > frac[best])
				best = i;
		im->d[best].rows++;
		frac[best] = -1;
	}
	for (i = 0, left = 0; i < k; i++) {
		im->d[i].lo = left;
		left += im->d[i].rows + gap;
	}
	free(fixed);
	free(frac);
	return 0;
}

/* The bands with faults, in address order, other last, laid out and drawn. */
static int draw(const struct pfw_heat *h, const struct pfw_heat_opts *o, struct image *im)
{
	int i, err, least, nmax = (h->tbins > h->abins ? h->tbins : h->abins) + 2;
	double px_row, wmax = 0;
	int *tidx, *ridx;
	double *twt, *rwt;

	im->d = calloc(h->nb + 1, sizeof(*im->d));
	if (!im->d)
		return -ENOMEM;
	for (i = 0; i <= h->nb; i++) {
		struct drawn *d = &im->d[im->nd];

		if (!h->b[i].faults)
			continue;
		d->b = &h->b[i];
		if (i < h->nb) {
			d->start = h->b[i].start;
			d->end = h->b[i].end;
			d->weight = (double)band_size(&h->b[i]);
			wmax = d->weight > wmax ? d->weight : wmax;
		} else {	/* the pages seen */
			d->start = h->oa.min >> PAGE_SHIFT << PAGE_SHIFT;
			d->end = (h->oa.max | ((1ULL << PAGE_SHIFT) - 1)) + 1;
			if (!d->end)	/* the last page */
				d->end--;
			d->weight = (double)(d->end - d->start);
			if (wmax > 0 && d->weight > wmax)
				d->weight = wmax;
		}
		im->nd++;
	}
	px_row = (double)(o->height - MARGIN_PX) / h->abins;
	least = px_row > 0 ? ceil_int(LABEL_PX / px_row) : 1;
	err = lay_out(h, im, least < 1 ? 1 : least);
	if (err)
		return err;

	im->span = (double)(h->t.max - h->t.min) + 1;
	if (im->span < 1000)	/* 1 us at least */
		im->span = 1000;
	im->bin = im->span / h->tbins;
	im->out = calloc((size_t)h->tbins * h->abins, sizeof(*im->out));
	tidx = calloc(nmax, sizeof(*tidx));
	ridx = calloc(nmax, sizeof(*ridx));
	twt = calloc(nmax, sizeof(*twt));
	rwt = calloc(nmax, sizeof(*rwt));
	if (im->out && tidx && ridx && twt && rwt)
		for (i = 0; i < im->nd; i++)
			draw_band(h, &im->d[i], im, tidx, twt, ridx, rwt);
	else
		err = -ENOMEM;
	free(tidx);
	free(ridx);
	free(twt);
	free(rwt);
	return err;
}

/* "55d0..+1.2M": the start's first hex digits and the size. */
static void range_text(char *buf, size_t len, u64 start, u64 end)
{
	static const char units[] = "KMGTPE";
	char hex[24], size[16];
	double v = (double)(end - start);
	int u = -1;

	snprintf(hex, sizeof(hex), "%llx", start);
	if (strlen(hex) > 4)
		strcpy(hex + 4, "..");
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(size, sizeof(size), "%.0f", v);
	else if (v < 9.95 && v != (int)v)
		snprintf(size, sizeof(size), "%.1f%c", v, units[u]);
	else
		snprintf(size, sizeof(size), "%.0f%c", v, units[u]);
	snprintf(buf, len, "%s+%s", hex, size);
}

/* @s as a gnuplot string: in single quotes, '' for ', no line breaks. */
static void put_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	fputc('\'', f);
}

static int close_file(FILE *f, const char *path)
{
	int err = ferror(f) ? -EIO : 0;

	if (fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "heat: writing %s: %s\n", path, strerror(-err));
	return err;
}

static FILE *open_file(const char *path, int *err)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		*err = -errno;
		fprintf(stderr, "heat: %s: %s\n", path, strerror(errno));
	}
	return f;
}

static int write_dat(const struct pfw_heat *h, const struct image *im, const char *path)
{
	int err, r, c, i;
	FILE *f = open_file(path, &err);

	if (!f)
		return err;
	fprintf(f, "# pfprof heat map: faults per cell; lines are address rows "
		"(the lowest first), columns time bins\n");
	fprintf(f, "# tbins %d abins %d\n", h->tbins, h->abins);
	fprintf(f, "# time %llu %.17g\n", h->t.min, im->bin);
	for (i = 0; i < im->nd; i++) {
		const struct drawn *d = &im->d[i];

		fprintf(f, "# band %d %d %llx %llx %llu %s\n", d->lo, d->lo + d->rows,
			d->start, d->end, d->b->faults, d->b->label);
	}
	for (r = 0; r < h->abins; r++) {
		const double *row = &im->out[(size_t)r * h->tbins];

		for (c = 0; c < h->tbins; c++) {
			if (row[c])
				fprintf(f, "%s%.9g", c ? " " : "", row[c]);
			else
				fputs(c ? " 0" : "0", f);
		}
		fputc('\n', f);
	}
	return close_file(f, path);
}

static int write_gp(const struct pfw_heat *h, const struct pfw_heat_opts *o,
		    const struct image *im, const char *path, const char *png,
		    const char *dat)
{
	double max = 0, min = 0, cb_lo, cb_hi;
	char range[40], label[128];
	size_t i, ncells = (size_t)h->tbins * h->abins;
	int err, k;
	FILE *f = open_file(path, &err);

	if (!f)
		return err;
	for (i = 0; i < ncells; i++) {
		double v = im->out[i];

		if (v > max)
			max = v;
		if (v > 0 && (!min || v < min))
			min = v;
	}
	fprintf(f, "# pfprof heat map (bpf/heat.c); to redraw, in this directory: "
		"gnuplot <this file>\n");
	fprintf(f, "set terminal pngcairo noenhanced size %d,%d font ',9'\n",
		o->width, o->height);
	fputs("set output ", f);
	put_str(f, png);
	fputs("\nset title ", f);
	put_str(f, o->title ? o->title : "page faults: address x time");
	fputs("\nset xlabel 'seconds from the first fault'\n"
	      "set ylabel 'mappings with faults, by address'\n"
	      "set cblabel 'faults per cell'\n"
	      "unset key\nset tics out\nset ytics nomirror scale 0\nset xtics nomirror\n"
	      "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', "
	      "0.75 '#5ec962', 1 '#fde725')\n", f);
	if (o->log_colour) {
		cb_lo = max > 1 ? 1 : min;	/* slivers of resampling: clamped */
		cb_hi = max > cb_lo ? max : cb_lo * 10;
		fprintf(f, "set logscale cb\nset cbrange [%.9g:%.9g]\n", cb_lo, cb_hi);
	} else {
		fprintf(f, "set cbrange [0:%.9g]\n", max > 0 ? max : 1);
	}
	fprintf(f, "set xrange [0:%.9g]\nset yrange [-0.5:%d.5]\n", im->span / 1e9,
		h->abins - 1);
	fputs("set ytics (", f);
	for (k = 0; k < im->nd; k++) {
		const struct drawn *d = &im->d[k];

		range_text(range, sizeof(range), d->start, d->end);
		snprintf(label, sizeof(label), "%s %s", d->b->label, range);
		fputs(k ? ", " : "", f);
		put_str(f, label);
		fprintf(f, " %.1f", d->lo + (d->rows - 1) / 2.0);
	}
	fputs(")\n", f);
	for (k = 1; k < im->nd; k++) {	/* the gaps between bands, grey */
		int lo = im->d[k - 1].lo + im->d[k - 1].rows, hi = im->d[k].lo;

		if (hi > lo)
			fprintf(f, "set object %d rectangle from graph 0, first %.1f to "
				"graph 1, first %.1f fillcolor rgb '#d8d8d8' "
				"fillstyle solid noborder behind\n", k, lo - 0.5, hi - 0.5);
	}
	fputs("plot ", f);
	put_str(f, dat);
	fprintf(f, " matrix using (($1 + 0.5) * %.17g):2:($3 > 0 ? $3 : NaN) "
		"with image\n", im->bin / 1e9);
	return close_file(f, path);
}

/* Run gnuplot on @gp in @dir; 0, -ENOENT (no gnuplot) or -EIO. */
static int run_gnuplot(const char *dir, const char *gp)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "heat: fork: %s\n", strerror(errno));
		return -errno;
	}
	if (!pid) {
		if (chdir(dir)) {
			fprintf(stderr, "heat: %s: %s\n", dir, strerror(errno));
			_exit(126);
		}
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		fprintf(stderr, "heat: cannot run gnuplot: %s\n", strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "heat: waiting for gnuplot: %s\n", strerror(errno));
			return -errno;
		}
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	if (WIFEXITED(status))
		fprintf(stderr, "heat: gnuplot %s/%s exited with %d\n", dir, gp,
			WEXITSTATUS(status));
	else
		fprintf(stderr, "heat: gnuplot %s/%s killed by signal %d\n", dir, gp,
			WTERMSIG(status));
	return -EIO;
}

/* @png's directory, its name, and the paths of STEM.dat and STEM.gp. */
struct paths {
	char *dir, *dat, *gp;
	const char *png_name, *dat_name, *gp_name;
};

static int make_paths(struct paths *p, const char *png)
{
	const char *slash = strrchr(png, '/');
	size_t n = strlen(png), stem = n, dlen;

	if (n >= 4 && !strcmp(png + n - 4, ".png"))
		stem -= 4;
	dlen = !slash ? 1 : slash == png ? 1 : (size_t)(slash - png);
	p->dir = strndup(slash ? png : ".", dlen);
	p->dat = malloc(stem + 5);
	p->gp = malloc(stem + 4);
	if (!p->dir || !p->dat || !p->gp)
		return -ENOMEM;
	sprintf(p->dat, "%.*s.dat", (int)stem, png);
	sprintf(p->gp, "%.*s.gp", (int)stem, png);
	p->png_name = slash ? slash + 1 : png;
	p->dat_name = slash ? strrchr(p->dat, '/') + 1 : p->dat;
	p->gp_name = slash ? strrchr(p->gp, '/') + 1 : p->gp;
	return 0;
}

int pfw_heat_write(struct pfw_heat *h, const struct pfw_heat_opts *opts)
{
	struct pfw_heat_opts o = *opts;
	struct image im = {};
	struct paths p = {};
	struct stat st;
	int err;

	if (!o.png || !*o.png) {
		fprintf(stderr, "heat: no PNG file named\n");
		return -EINVAL;
	}
	if (!h->n) {
		fprintf(stderr, "heat: %s: no fault counted, nothing to draw\n", o.png);
		return -ENODATA;
	}
	o.width = o.width > 0 ? o.width : DEF_WIDTH;
	o.height = o.height > 0 ? o.height : DEF_HEIGHT;
	err = make_paths(&p, o.png);
	if (!err)
		err = draw(h, &o, &im);
	if (err == -E2BIG)
		fprintf(stderr, "heat: %s: %d mappings with faults, more than its %d "
			"rows (abins)\n", o.png, im.nd, h->abins);
	else if (err)
		fprintf(stderr, "heat: %s: %s\n", o.png, strerror(-err));
	if (!err)
		err = write_dat(h, &im, p.dat);
	if (!err)
		err = write_gp(h, &o, &im, p.gp, p.png_name, p.dat_name);
	if (!err && unlink(o.png) && errno != ENOENT) {
		err = -errno;
		fprintf(stderr, "heat: %s: %s\n", o.png, strerror(errno));
	}
	if (!err)
		err = run_gnuplot(p.dir, p.gp_name);
	if (!err && stat(o.png, &st)) {
		fprintf(stderr, "heat: gnuplot wrote no %s\n", o.png);
		err = -EIO;
	}
	if (!err && h->lost) {
		fprintf(stderr, "heat: %s lacks %llu faults: no memory to count them\n",
			o.png, h->lost);
		err = -ENOMEM;
	}
	free(im.out);
	free(im.d);
	free(p.dir);
	free(p.dat);
	free(p.gp);
	return err;
}
