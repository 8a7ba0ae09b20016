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

/*
 * Everything here is 64-bit clean: a -m32 program reads the same samples
 * as a 64-bit one (tests/host/15-abi32.sh).
 */
struct mp3buf {
	int fd;
	bool writable;
	/*
	 * The whole buffer as 64-bit words (the assignment's "longs" on a
	 * 64-bit machine): record r is words 4r..4r+3, or struct mp3_record.
	 */
	volatile int64_t *longs;
	volatile struct mp3_stream_hdr *hdr;	/* NULL if no valid header */
	volatile uint64_t *stamps;		/* per-slot mono ns, or NULL */
};

/* One sample read in follow mode (or by the -1 protocol: seq, mono_ns 0). */
struct mp3_sample {
	uint64_t seq;		/* sample number since the module loaded */
	uint64_t mono_ns;	/* CLOCK_MONOTONIC ns when written */
	int64_t jiffies;
	int64_t min_flt;
	int64_t maj_flt;
	int64_t cpu_ns;
};

/*
 * Open @path and map the buffer; returns 0 or -errno with a message.
 * @hdr is set only if the stream header is one this reader understands
 * (magic, version, and the layout: capacity, record and header sizes,
 * stamps offset); a header with the right magic but another layout is
 * refused with a message naming the fields.
 */
int mp3buf_open(struct mp3buf *b, const char *path, bool writable);
void mp3buf_close(struct mp3buf *b);

/* Newest sample count published by the module (header's written). */
uint64_t mp3buf_written(const struct mp3buf *b);

/*
 * Follow mode: read sample @*next if it has been written.  Returns 1 and
 * advances @*next when a sample was read, 0 if it is not written yet.
 * Samples the writer overwrote before they could be read, and samples a
 * -1 protocol reader consumed first (a slot with any word -1), are
 * skipped and added to @*lost.
 */
int mp3buf_follow(const struct mp3buf *b, uint64_t *next, uint64_t *lost,
		  struct mp3_sample *s);

/*
 * The assignment's -1 protocol (needs a writable mapping), a record at a
 * time: start with *pos = MP3BUF_DRAIN_START, which scans for the first
 * slot whose jiffies is not -1.  Each call then reads that slot's jiffies
 * (acquire) and, if it is not -1, its counters, writes -1 over the record
 * (jiffies first), advances *pos to the next slot (wrapping) and returns
 * 1; it returns 0 at a slot whose jiffies is -1, which includes a record
 * the module is still writing.  Sets jiffies and the three counters of @s
 * (seq and mono_ns are 0).
 */
#define MP3BUF_DRAIN_START	(-1L)
int mp3buf_drain_next(const struct mp3buf *b, long *pos, struct mp3_sample *s);

#endif
