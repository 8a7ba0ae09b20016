/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * heat.h - a heat map of page faults, address x time, as a PNG drawn by
 * gnuplot (the DAMON-style view, but of faults).  Shared by the tools.
 *
 * The faults are kept as they come (pft_heatmap_add); the mappings they fall
 * in are given at the end (pft_heatmap_write), when a tracer knows them.
 * A mapping belongs to an owner (an address space: a process), and a
 * fault counts in the mapping of its owner that holds its address, so
 * that processes whose mappings overlap stay apart.
 *
 * The address axis is not one linear span: the busiest mappings (by
 * faults; opts.bands of them) get bands of their own, stacked bottom to
 * top by owner, then address, each given rows in proportion to its size
 * (at least a label's height, so that small ones stay visible and
 * labelled), one blank row between bands.  Every other fault -- in the
 * other mappings, or in none -- is drawn in one band on top, "other (K
 * mappings)", whose rows span the addresses seen there.  The title's
 * second line says how many mappings and faults were folded so.  The time
 * axis is seconds from the earliest fault to the last.  Each fault adds
 * one to the cell it falls in, so the cells add up to the faults kept;
 * colour is faults per cell, linear or log; cells with no fault are blank.
 */
#ifndef __PFT_HEATMAP_H
#define __PFT_HEATMAP_H

#include <stdbool.h>
#include <stddef.h>

/* A mapping: [start, end) of @owner, e.g. "[heap]", "libc.so.6", "anon". */
struct pft_heatmap_band {
	unsigned int owner;
	unsigned long long start, end;
	char label[64];
};

/* 0 for any number: its default. */
struct pft_heatmap_opts {
	const char *png;	/* the image; .dat and .gp go beside it */
	const char *title;	/* NULL: "page faults: address x time" */
	int width, height;	/* pixels: 1024 x 768; the height grows to
				 * give each band a label's height */
	int tbins, abins;	/* time columns, address rows: 200 each
				 * (2 to 65536) */
	int bands;		/* mappings with bands of their own: 24
				 * (fewer than abins) */
	bool log_colour;	/* log colour scale (else linear from 0) */
};

/* What pft_heatmap_write() drew. */
struct pft_heatmap_stats {
	unsigned long long faults;	/* in the cells: every fault kept */
	unsigned long long dropped;	/* given to pft_heatmap_add(), not kept */
	int mappings;			/* with faults */
	int bands;			/* of those, with bands of their own */
	int folded;			/* of those, folded into other */
	unsigned long long folded_faults;	/* in other: the folded
						 * mappings' and the unmapped */
	unsigned long long unmapped;	/* in no mapping given */
};

struct pft_heatmap;

/*
 * An empty map that keeps up to @max_events faults (0: 8M, 24 bytes
 * each).  NULL with errno ENOMEM.
 */
struct pft_heatmap *pft_heatmap_new(size_t max_events);

/*
 * Keep one fault at @t_ns (any clock, in ns; in any order) and @addr in
 * @owner's address space.  0, or -ENOSPC (max_events kept already) or
 * -ENOMEM: the fault is dropped, and counted as such.
 */
int pft_heatmap_add(struct pft_heatmap *h, unsigned long long t_ns, unsigned int owner,
		 unsigned long long addr);

/*
 * Draw the faults kept over @nbands mappings @bands (in any order; where
 * two of an owner overlap, the one that starts lower keeps the overlap;
 * empty ones are ignored): write the cells to STEM.dat (STEM: @o->png less
 * ".png"), a script to STEM.gp, and run gnuplot on it in the PNG's
 * directory (so that the script can be run again there: gnuplot STEM.gp).
 * gnuplot is found on PATH, forked and waited for: SIGCHLD must not be
 * ignored.  @st (may be NULL) gets what was drawn.  0, or -errno with a
 * message on stderr: -EINVAL (no png, a size out of range, bands >=
 * abins, nbands < 0), -ENODATA (no fault kept), -ENOMEM, -ENOENT (no
 * gnuplot), -EIO (gnuplot failed), or the error writing a file.  Faults
 * dropped by pft_heatmap_add() are not an error: the title and @st say how
 * many.  May be called again, e.g. with other options.
 *
 * STEM.dat is a gnuplot matrix: abins lines (address rows, the lowest
 * first) of tbins integers (time columns), after "#" lines that describe
 * it:
 *   # tbins T abins A
 *   # time T0_NS BIN_NS        column c: [T0_NS + c*BIN_NS, + BIN_NS)
 *   # faults N DROPPED D
 *   # band ROW_LO ROW_HI START END FAULTS LABEL
 *                              rows [ROW_LO, ROW_HI) are [START, END)
 *                              (hex) evenly; other ("other (K
 *                              mappings)", last): the span seen there
 *   # folded START END FAULTS LABEL
 *                              a mapping folded into other, one line each
 */
int pft_heatmap_write(struct pft_heatmap *h, const struct pft_heatmap_band *bands, int nbands,
		   const struct pft_heatmap_opts *o, struct pft_heatmap_stats *st);

void pft_heatmap_free(struct pft_heatmap *h);

#endif
