/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * heat.h - a heat map of page faults, address x time, as a PNG drawn by
 * gnuplot (the DAMON-style view, but of faults).  Shared by the tools.
 *
 * The address axis is not one linear span: the bands (mappings) that
 * received faults are stacked bottom to top in address order, each given
 * rows in proportion to its size (at least a few, so that small ones stay
 * visible and labelled), one blank row between bands; faults in no band
 * go to an "other" band on top, spanning the addresses seen there.  The
 * time axis is seconds from the earliest fault.  Colour is faults per
 * cell, linear or log; cells with no fault are blank.
 *
 * Memory is bounded as events arrive: time is counted in 2*tbins columns
 * whose width doubles when the events' span outgrows them; each band that
 * receives faults gets up to abins rows (rounded up to a power of two),
 * halved when the bands together exceed 4x that.  pfw_heat_write()
 * resamples this to exactly tbins x abins cells by overlap (area
 * weighting), so a cell's count may be fractional; the total is kept.
 */
#ifndef __PFW_HEAT_H
#define __PFW_HEAT_H

#include <stdbool.h>

/* A mapping: [start, end), e.g. "[heap]", "libc.so.6", "anon". */
struct pfw_heat_band {
	unsigned long long start, end;
	char label[64];
};

/* 0 for any number: its default. */
struct pfw_heat_opts {
	const char *png;	/* the image; .dat and .gp go beside it */
	const char *title;	/* NULL: "page faults: address x time" */
	int width, height;	/* pixels: 1024 x 768 */
	bool log_colour;	/* log colour scale (else linear from 0) */
};

struct pfw_heat;

/*
 * A map of @tbins x @abins cells (each 2 to 65536; 0: 200) over @nbands
 * bands, in any order; they are copied.  Empty bands (end <= start) are
 * ignored; where two overlap, the one that starts lower keeps the overlap.
 * NULL with errno set: ENOMEM, or EINVAL (a size out of range, nbands < 0).
 */
struct pfw_heat *pfw_heat_new(const struct pfw_heat_band *bands, int nbands,
			      int tbins, int abins);

/*
 * Count one fault at @t_ns (any clock, in ns) and @addr.  Times may come
 * in any order (before the first one too).  If memory runs out the fault
 * is not counted, and pfw_heat_write() says so.
 */
void pfw_heat_add(struct pfw_heat *h, unsigned long long t_ns, unsigned long long addr);

/* Faults counted so far. */
unsigned long long pfw_heat_count(const struct pfw_heat *h);

/*
 * Write the cells to STEM.dat (STEM: @o->png less ".png"), a script to
 * STEM.gp, and run gnuplot on it in the PNG's directory (so that the
 * script can be run again there: gnuplot STEM.gp).  gnuplot is found on
 * PATH, forked and waited for: SIGCHLD must not be ignored.  0, or -errno
 * with a message on stderr: -EINVAL (no png), -ENODATA (no fault
 * counted), -ENOMEM (here or in pfw_heat_add(); the PNG is drawn without
 * the faults lost), -E2BIG (more bands with faults than abins), -ENOENT
 * (no gnuplot), -EIO (gnuplot failed), or the error writing a file.  May
 * be called again, e.g. with other options.
 *
 * STEM.dat is a gnuplot matrix: abins lines (address rows, the lowest
 * first) of tbins numbers (time columns), after "#" lines that describe
 * it:
 *   # tbins T abins A
 *   # time T0_NS BIN_NS         column c: [T0_NS + c*BIN_NS, + BIN_NS)
 *   # band ROW_LO ROW_HI START END FAULTS LABEL
 *                               rows [ROW_LO, ROW_HI) are [START, END)
 *                               (hex) evenly; "other": the span seen
 */
int pfw_heat_write(struct pfw_heat *h, const struct pfw_heat_opts *o);

void pfw_heat_free(struct pfw_heat *h);

#endif
