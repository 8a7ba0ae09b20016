// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* heat.c - page faults, address x time, as a PNG by gnuplot; see heat.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "heatmap.h"

#define DEF_BINS	200
#define MAX_BINS	65536
#define DEF_BANDS	24
#define DEF_EVENTS	(8u << 20)
#define DEF_WIDTH	1024
#define DEF_HEIGHT	768
#define PAGE_SHIFT	12
#define LABEL_PX	13	/* a y label's height: a band's least rows */
#define MARGIN_PX	120	/* the image's height less the plot's */
#define NONE		(-1)	/* an event's band: in no mapping */

typedef unsigned long long u64;

/* A fault kept; band: where pft_heatmap_write() found it. */
struct event {
	u64 t, addr;
	unsigned int owner;
	int band;
};

struct pft_heatmap {
	struct event *ev;
	size_t n, cap, max;
	u64 dropped;
};

/* A mapping, and its faults. */
struct band {
	unsigned int owner;
	u64 start, end;
	char label[64];
	u64 faults;
	int drawn;	/* its index in the bands drawn; other's if folded */
	bool folded;
};

/* A band as drawn: rows [lo, lo + rows) of the image, for [start, end). */
struct drawn {
	const char *label;
	u64 start, end, faults;
	int lo, rows;
	double weight;
};

/* What one pft_heatmap_write() works on. */
struct image {
	struct band *b;		/* the mappings, by owner and start, disjoint */
	int nb;
	struct drawn *d;	/* the bands drawn, other last (if any) */
	int nd;
	char other[48];		/* other's label */
	u64 t0, span;		/* ns: the first fault, and to the last + 1 */
	double bin;		/* ns per column */
	u64 *out;		/* [row * tbins + col] */
	int tbins, abins, height;
	struct pft_heatmap_stats st;
};

/* The least integer >= @v (>= 0), without libm. */
static int ceil_int(double v)
{
	int i = (int)v;

	return i < v ? i + 1 : i;
}

struct pft_heatmap *pft_heatmap_new(size_t max_events)
{
	struct pft_heatmap *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->max = max_events ? max_events : DEF_EVENTS;
	return h;
}

void pft_heatmap_free(struct pft_heatmap *h)
{
	if (!h)
		return;
	free(h->ev);
	free(h);
}

int pft_heatmap_add(struct pft_heatmap *h, unsigned long long t_ns, unsigned int owner,
		 unsigned long long addr)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 65536;
		struct event *ev;

		if (cap > h->max)
			cap = h->max;
		if (cap <= h->n) {
			h->dropped++;
			return -ENOSPC;
		}
		ev = realloc(h->ev, cap * sizeof(*ev));
		if (!ev) {
			h->dropped++;
			return -ENOMEM;
		}
		h->ev = ev;
		h->cap = cap;
	}
	h->ev[h->n++] = (struct event){ .t = t_ns, .addr = addr, .owner = owner };
	return 0;
}

static int cmp_band(const void *a, const void *b)
{
	const struct band *x = a, *y = b;

	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;	/* longer first */
}

/* @bands, less the empty ones, sorted, an owner's overlaps clipped. */
static int take_bands(struct image *im, const struct pft_heatmap_band *bands, int nbands)
{
	int i, n = 0;

	im->b = calloc(nbands + 1, sizeof(*im->b));
	if (!im->b)
		return -ENOMEM;
	for (i = 0; i < nbands; i++) {
		if (bands[i].end <= bands[i].start)
			continue;
		im->b[n].owner = bands[i].owner;
		im->b[n].start = bands[i].start;
		im->b[n].end = bands[i].end;
		memcpy(im->b[n].label, bands[i].label, sizeof(im->b[n].label) - 1);
		n++;
	}
	qsort(im->b, n, sizeof(*im->b), cmp_band);
	for (i = 1, im->nb = n ? 1 : 0; i < n; i++) {
		struct band *prev = &im->b[im->nb - 1];

		if (im->b[i].owner == prev->owner && im->b[i].start < prev->end)
			im->b[i].start = prev->end;
		if (im->b[i].start < im->b[i].end)
			im->b[im->nb++] = im->b[i];
	}
	return 0;
}

/* The band of @e, or NONE. */
static int find_band(const struct image *im, const struct event *e)
{
	int lo = 0, hi = im->nb;	/* the last band starting at or below e */

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const struct band *b = &im->b[mid];

		if (b->owner < e->owner || (b->owner == e->owner && b->start <= e->addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && im->b[lo - 1].owner == e->owner && e->addr < im->b[lo - 1].end)
		return lo - 1;
	return NONE;
}

/* Indices of bands @arg: busiest first; in band order among equals. */
static int cmp_busiest(const void *a, const void *b, void *arg)
{
	const struct band *bands = arg;
	int x = *(const int *)a, y = *(const int *)b;
	u64 fx = bands[x].faults, fy = bands[y].faults;

	if (fx != fy)
		return fx > fy ? -1 : 1;
	return x - y;
}

/*
 * Each fault to its band; the busiest @nshow bands with faults get bands
 * of their own (in band order), the rest go to other, on top.
 */
static int pick_bands(struct pft_heatmap *h, struct image *im, int nshow)
{
	u64 amin = ~0ULL, amax = 0;
	int i, k, *busy, nbusy = 0, other;
	size_t e;

	for (e = 0; e < h->n; e++) {
		struct event *ev = &h->ev[e];

		ev->band = find_band(im, ev);
		if (ev->band == NONE)
			im->st.unmapped++;
		else
			im->b[ev->band].faults++;
	}
	busy = calloc(im->nb + 1, sizeof(*busy));
	im->d = calloc((nshow < im->nb ? nshow : im->nb) + 1, sizeof(*im->d));
	if (!busy || !im->d) {
		free(busy);
		return -ENOMEM;
	}
	for (i = 0; i < im->nb; i++) {
		im->b[i].drawn = NONE;
		if (im->b[i].faults)
			busy[nbusy++] = i;
	}
	qsort_r(busy, nbusy, sizeof(*busy), cmp_busiest, im->b);
	for (k = 0; k < nbusy && k < nshow; k++)
		im->b[busy[k]].drawn = 0;
	free(busy);
	im->st.mappings = nbusy;
	for (i = 0; i < im->nb; i++) {
		struct band *b = &im->b[i];
		struct drawn *d = &im->d[im->nd];

		if (b->drawn == NONE) {
			im->st.folded += !!b->faults;
			continue;
		}
		b->drawn = im->nd++;
		d->label = b->label;
		d->start = b->start;
		d->end = b->end;
		d->faults = b->faults;
		d->weight = (double)(b->end - b->start);
		im->st.bands++;
	}
	other = im->nd;
	for (e = 0; e < h->n; e++) {	/* other: the addresses seen there */
		const struct event *ev = &h->ev[e];

		if (ev->band != NONE && im->b[ev->band].drawn != NONE)
			continue;
		amin = ev->addr < amin ? ev->addr : amin;
		amax = ev->addr > amax ? ev->addr : amax;
		im->st.folded_faults++;
	}
	for (i = 0; i < im->nb; i++) {
		im->b[i].folded = im->b[i].drawn == NONE;
		if (im->b[i].folded)
			im->b[i].drawn = other;
	}
	if (im->st.folded_faults) {
		struct drawn *d = &im->d[im->nd++];
		double wmax = 0;

		for (i = 0; i < other; i++)
			wmax = im->d[i].weight > wmax ? im->d[i].weight : wmax;
		d->start = amin >> PAGE_SHIFT << PAGE_SHIFT;
		d->end = (amax | ((1ULL << PAGE_SHIFT) - 1)) + 1;
		if (!d->end)	/* the last page */
			d->end--;
		d->faults = im->st.folded_faults;
		d->weight = (double)(d->end - d->start);	/* no more than the largest */
		if (wmax > 0 && d->weight > wmax)
			d->weight = wmax;
		if (!im->st.folded)
			snprintf(im->other, sizeof(im->other), "other");
		else
			snprintf(im->other, sizeof(im->other), "other (%d mapping%s)",
				 im->st.folded, im->st.folded == 1 ? "" : "s");
		d->label = im->other;
	}
	return 0;
}

/*
 * Rows for each band drawn: in proportion to its weight (its size; other:
 * its span, no more than the largest band's), @least at least, a blank
 * row between bands (if they fit).  0, or -ENOMEM.
 */
static int lay_out(struct image *im, int least)
{
	int k = im->nd, gap = 1, avail, fixed_rows, i, left, best;
	double wsum, *frac;
	bool *fixed, again;

	if (k * least + (k - 1) * gap > im->abins)
		least = (im->abins - (k - 1) * gap) / k;
	if (least < 1) {	/* k <= abins: a row each */
		gap = 0;
		least = im->abins / k;
	}
	fixed = calloc(k, sizeof(*fixed));
	frac = calloc(k, sizeof(*frac));
	if (!fixed || !frac) {
		free(fixed);
		free(frac);
		return -ENOMEM;
	}
	avail = im->abins - (k - 1) * gap;
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

/* Each fault into its cell: its band's row for its address, its column. */
static int draw(const struct pft_heatmap *h, struct image *im)
{
	u64 tmax = 0;
	size_t e;

	im->t0 = ~0ULL;
	for (e = 0; e < h->n; e++) {
		im->t0 = h->ev[e].t < im->t0 ? h->ev[e].t : im->t0;
		tmax = h->ev[e].t > tmax ? h->ev[e].t : tmax;
	}
	im->span = tmax - im->t0 + 1;
	if (im->span < 1000)	/* 1 us at least */
		im->span = 1000;
	im->bin = (double)im->span / im->tbins;
	im->out = calloc((size_t)im->tbins * im->abins, sizeof(*im->out));
	if (!im->out)
		return -ENOMEM;
	for (e = 0; e < h->n; e++) {
		const struct event *ev = &h->ev[e];
		const struct drawn *d = &im->d[ev->band == NONE ? im->nd - 1 :
					       im->b[ev->band].drawn];
		int col = (int)((__uint128_t)(ev->t - im->t0) * im->tbins / im->span);
		int row = (int)((__uint128_t)(ev->addr - d->start) * d->rows /
				(d->end - d->start));

		if (row >= d->rows)	/* the last page's end, if other's */
			row = d->rows - 1;
		im->out[(size_t)(d->lo + row) * im->tbins + col]++;
		im->st.faults++;
	}
	return 0;
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

static int write_dat(const struct image *im, const char *path)
{
	int err, r, c, i;
	FILE *f = open_file(path, &err);

	if (!f)
		return err;
	fprintf(f, "# pfprof heat map: faults per cell; lines are address rows "
		"(the lowest first), columns time bins\n");
	fprintf(f, "# tbins %d abins %d\n", im->tbins, im->abins);
	fprintf(f, "# time %llu %.17g\n", im->t0, im->bin);
	fprintf(f, "# faults %llu dropped %llu\n", im->st.faults, im->st.dropped);
	for (i = 0; i < im->nd; i++) {
		const struct drawn *d = &im->d[i];

		fprintf(f, "# band %d %d %llx %llx %llu %s\n", d->lo, d->lo + d->rows,
			d->start, d->end, d->faults, d->label);
	}
	for (i = 0; i < im->nb; i++) {
		const struct band *b = &im->b[i];

		if (b->faults && b->folded)
			fprintf(f, "# folded %llx %llx %llu %s\n", b->start, b->end,
				b->faults, b->label);
	}
	for (r = 0; r < im->abins; r++) {
		const u64 *row = &im->out[(size_t)r * im->tbins];

		for (c = 0; c < im->tbins; c++)
			fprintf(f, c ? " %llu" : "%llu", row[c]);
		fputc('\n', f);
	}
	return close_file(f, path);
}

/* The title's second line: what was drawn where. */
static void what_drawn(char *buf, size_t len, const struct image *im)
{
	const struct pft_heatmap_stats *s = &im->st;
	size_t n;

	n = snprintf(buf, len, "%llu faults in %d mapping%s", s->faults, s->mappings,
		     s->mappings == 1 ? "" : "s");
	if (s->folded)
		n += snprintf(buf + n, len - n, "; the busiest %d in bands of their own, "
			      "%d (%llu faults, %.1f%%) folded into other", s->bands,
			      s->folded, s->folded_faults - s->unmapped,
			      100.0 * (s->folded_faults - s->unmapped) / s->faults);
	if (s->unmapped && n < len)
		n += snprintf(buf + n, len - n, "; %llu faults in no known mapping, in other",
			      s->unmapped);
	if (s->dropped && n < len)
		snprintf(buf + n, len - n, "; %llu more not kept, not drawn", s->dropped);
}

static int write_gp(const struct pft_heatmap_opts *o, const struct image *im,
		    const char *path, const char *png, const char *dat)
{
	size_t i, ncells = (size_t)im->tbins * im->abins;
	char range[40], label[128], line2[256];
	u64 max = 0;
	int err, k;
	FILE *f = open_file(path, &err);

	if (!f)
		return err;
	for (i = 0; i < ncells; i++)
		max = im->out[i] > max ? im->out[i] : max;
	fprintf(f, "# pfprof heat map (bpf/trace/heatmap.c); to redraw, in this directory: "
		"gnuplot <this file>\n");
	fprintf(f, "set terminal pngcairo noenhanced size %d,%d font ',9'\n",
		o->width, im->height);
	fputs("set output ", f);
	put_str(f, png);
	fputs("\nset title ", f);
	put_str(f, o->title ? o->title : "page faults: address x time");
	fputs(" . \"\\n\" . ", f);
	what_drawn(line2, sizeof(line2), im);
	put_str(f, line2);
	fputs("\nset xlabel 'seconds from the first fault'\n"
	      "set ylabel 'mappings with faults, by address'\n"
	      "set cblabel 'faults per cell'\n"
	      "unset key\nset tics out\nset ytics nomirror scale 0\nset xtics nomirror\n"
	      "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', "
	      "0.75 '#5ec962', 1 '#fde725')\n", f);
	if (o->log_colour)
		fprintf(f, "set logscale cb\nset cbrange [1:%llu]\n", max > 1 ? max : 10);
	else
		fprintf(f, "set cbrange [0:%llu]\n", max > 0 ? max : 1);
	fprintf(f, "set xrange [0:%.9g]\nset yrange [-0.5:%d.5]\n", im->span / 1e9,
		im->abins - 1);
	fputs("set ytics (", f);
	for (k = 0; k < im->nd; k++) {
		const struct drawn *d = &im->d[k];

		range_text(range, sizeof(range), d->start, d->end);
		snprintf(label, sizeof(label), "%s %s", d->label, range);
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

int pft_heatmap_write(struct pft_heatmap *h, const struct pft_heatmap_band *bands, int nbands,
		   const struct pft_heatmap_opts *opts, struct pft_heatmap_stats *st)
{
	struct pft_heatmap_opts o = *opts;
	struct image im = {};
	struct paths p = {};
	struct stat sb;
	double px_row;
	int err, least;

	if (!o.png || !*o.png) {
		fprintf(stderr, "heat: no PNG file named\n");
		return -EINVAL;
	}
	im.tbins = o.tbins ? o.tbins : DEF_BINS;
	im.abins = o.abins ? o.abins : DEF_BINS;
	o.bands = o.bands ? o.bands : DEF_BANDS;
	if (nbands < 0 || (nbands && !bands) || im.tbins < 2 || im.abins < 2 ||
	    im.tbins > MAX_BINS || im.abins > MAX_BINS || o.bands < 1 || o.bands >= im.abins) {
		fprintf(stderr, "heat: %s: %d bands in %d x %d cells: out of range\n", o.png,
			o.bands, im.tbins, im.abins);
		return -EINVAL;
	}
	if (!h->n) {
		fprintf(stderr, "heat: %s: no fault counted, nothing to draw\n", o.png);
		return -ENODATA;
	}
	o.width = o.width > 0 ? o.width : DEF_WIDTH;
	o.height = o.height > 0 ? o.height : DEF_HEIGHT;
	im.st.dropped = h->dropped;
	err = make_paths(&p, o.png);
	if (!err)
		err = take_bands(&im, bands, nbands);
	if (!err)
		err = pick_bands(h, &im, o.bands);
	if (!err) {	/* a label's height for each band, at least */
		im.height = MARGIN_PX + im.nd * (LABEL_PX + 2);
		im.height = im.height > o.height ? im.height : o.height;
		px_row = (double)(im.height - MARGIN_PX) / im.abins;
		least = ceil_int(LABEL_PX / px_row);
		err = lay_out(&im, least < 1 ? 1 : least);
	}
	if (!err)
		err = draw(h, &im);
	if (err)
		fprintf(stderr, "heat: %s: %s\n", o.png, strerror(-err));
	if (!err)
		err = write_dat(&im, p.dat);
	if (!err)
		err = write_gp(&o, &im, p.gp, p.png_name, p.dat_name);
	if (!err && unlink(o.png) && errno != ENOENT) {
		err = -errno;
		fprintf(stderr, "heat: %s: %s\n", o.png, strerror(errno));
	}
	if (!err)
		err = run_gnuplot(p.dir, p.gp_name);
	if (!err && stat(o.png, &sb)) {
		fprintf(stderr, "heat: gnuplot wrote no %s\n", o.png);
		err = -EIO;
	}
	if (!err && st)
		*st = im.st;
	free(im.b);
	free(im.d);
	free(im.out);
	free(p.dir);
	free(p.dat);
	free(p.gp);
	return err;
}
