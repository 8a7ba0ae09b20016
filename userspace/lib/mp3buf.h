/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mp3buf.h - map the mp3 profiler's sample buffer and read it, either with
 * the assignment's -1 protocol or by following the stream header.
 * The layout itself is in include/pfprof/mp3_abi.h.
 */
#ifndef PFPROF_MP3BUF_H
#define PFPROF_MP3BUF_H

#include <stdbool.h>
#include <stdint.h>

#include "pfprof/mp3_abi.h"

struct mp3buf {
	int fd;
	bool writable;
	volatile long *longs;			/* whole buffer as longs */
	volatile struct mp3_stream_hdr *hdr;	/* NULL if no valid header */
	volatile uint64_t *stamps;		/* per-slot mono ns, or NULL */
};

/* One sample read in follow mode. */
struct mp3_sample {
	uint64_t seq;		/* sample number since the module loaded */
	uint64_t mono_ns;	/* CLOCK_MONOTONIC ns when written */
	long jiffies;
	long min_flt;
	long maj_flt;
	long cpu_ns;
};

/* Open @path and map the buffer; returns 0 or -errno with a message. */
int mp3buf_open(struct mp3buf *b, const char *path, bool writable);
void mp3buf_close(struct mp3buf *b);

/* Newest sample count published by the module (header's written). */
uint64_t mp3buf_written(const struct mp3buf *b);

/*
 * Follow mode: read sample @*next if it has been written.  Returns 1 and
 * advances @*next when a sample was read, 0 if it is not written yet.
 * Samples the writer overwrote before they could be read are skipped and
 * added to @*lost.
 */
int mp3buf_follow(const struct mp3buf *b, uint64_t *next, uint64_t *lost,
		  struct mp3_sample *s);

#endif
