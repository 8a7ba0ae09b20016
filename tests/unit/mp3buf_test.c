// SPDX-License-Identifier: GPL-2.0
/*
 * mp3buf_test: host unit test of the stream-header follower
 * (lib/mp3buf.c) against a simulated writer in an ordinary
 * buffer laid out like the module's: in-order reads, wrap-around, overrun
 * (samples lost and counted), the "slot reused while copying" case, and
 * a -1 protocol reader (the drainer) consuming slots beside the follower:
 * a consumed slot is a lost sample, never a "-1 -1 -1 -1" one.
 */
#include <stdlib.h>
#include <string.h>

#include "mp3buf.h"
#include "lib/tap.h"

static long *mem;
static struct mp3buf b;
static uint64_t written;

/* Write sample number @seq like the module does. */
static void put(uint64_t seq)
{
	uint64_t slot = seq % MP3_RING_SAMPLES;
	long *rec = mem + slot * 4;

	rec[1] = (long)seq * 10;
	rec[2] = 1;
	rec[3] = 1000;
	b.stamps[slot] = seq * 50000000ULL;
	rec[0] = 100000 + (long)seq;
	written = seq + 1;
	__atomic_store_n(&b.hdr->written, written, __ATOMIC_RELEASE);
}

int main(void)
{
	struct mp3_sample s;
	uint64_t next = 0, lost = 0, i, n;
	int inorder = 1;

	int any_minus1 = 0;
	long pos;

	tap_plan(10);
	mem = malloc(MP3_BUF_SIZE);
	memset(mem, 0xff, MP3_BUF_SIZE);
	b.longs = mem;
	b.hdr = (void *)((char *)mem + MP3_HDR_OFFSET);
	memset((void *)b.hdr, 0, sizeof(*b.hdr));
	b.stamps = (void *)((char *)mem + MP3_STAMPS_OFFSET);

	tap_ok(mp3buf_follow(&b, &next, &lost, &s) == 0, "empty ring: nothing to read");
	for (i = 0; i < 100; i++)
		put(i);
	for (n = 0; mp3buf_follow(&b, &next, &lost, &s); n++)
		if (s.seq != n || s.jiffies != 100000 + (long)n || s.min_flt != (long)n * 10 ||
		    s.mono_ns != n * 50000000ULL)
			inorder = 0;
	tap_ok(n == 100 && inorder && lost == 0, "100 samples read in order with stamps");

	/* Wrap: fill past the end of the ring, reading as we go. */
	for (i = 100; i < 30000; i++) {
		put(i);
		if (!mp3buf_follow(&b, &next, &lost, &s) || s.seq != i)
			inorder = 0;
	}
	tap_ok(inorder && lost == 0 && next == 30000, "30000 samples across 2.5 wraps, none lost");

	/* Overrun: the writer laps the reader by 500 samples. */
	for (i = 30000; i < 30000 + MP3_RING_SAMPLES + 500; i++)
		put(i);
	/* The slot of the oldest kept sample is the one the writer fills
	 * next, so only 11999 are safe: 501 lost.
	 */
	tap_ok(mp3buf_follow(&b, &next, &lost, &s) == 1 && lost == 501 &&
	       s.seq == 30501, "overrun by 500: 501 counted lost, resumes at the oldest safe");
	for (n = 1; mp3buf_follow(&b, &next, &lost, &s); n++)
		;
	tap_ok(n == MP3_RING_SAMPLES - 1 && lost == 501, "then reads the 11999 safe samples");

	next = written - (MP3_RING_SAMPLES - 1);
	lost = 0;
	tap_ok(mp3buf_follow(&b, &next, &lost, &s) == 1 && lost == 0,
	       "a reader 11999 behind still gets its sample");
	next = written - MP3_RING_SAMPLES;
	lost = 0;
	tap_ok(mp3buf_follow(&b, &next, &lost, &s) == 1 && lost == 1,
	       "a reader 12000 behind loses exactly one");

	/*
	 * A drainer beside the follower.  Of 10 new samples it has consumed
	 * three whole slots and is half-way through two more: it wrote -1
	 * into the jiffies of one (the protocol's order) and into the
	 * counters of the other (a drainer that wipes in another order).
	 */
	next = written;
	lost = 0;
	for (i = 0; i < 10; i++)
		put(next + i);
	for (i = 2; i <= 6; i++) {
		long *rec = mem + ((next + i) % MP3_RING_SAMPLES) * 4;

		if (i != 6)
			rec[0] = -1;
		if (i != 5)
			rec[1] = rec[2] = rec[3] = -1;
	}
	inorder = 1;
	for (n = 0; mp3buf_follow(&b, &next, &lost, &s); n++) {
		if (s.jiffies == -1 || s.min_flt == -1 || s.maj_flt == -1 || s.cpu_ns == -1)
			any_minus1 = 1;
		if (s.seq != written - 10 + (n < 2 ? n : n + 5) ||
		    s.jiffies != 100000 + (long)s.seq)
			inorder = 0;
	}
	tap_ok(n == 5 && inorder && !any_minus1,
	       "beside a drainer: the 5 samples it left, none with a -1 (got %llu)",
	       (unsigned long long)n);
	tap_ok(lost == 5, "the 5 slots it consumed, wholly or partly, count as lost (%llu)",
	       (unsigned long long)lost);

	/* A full ring, then the drainer takes it all; a follower finds nothing. */
	for (i = written, n = written + MP3_RING_SAMPLES; i < n; i++)
		put(i);
	b.writable = true;
	pos = MP3BUF_DRAIN_START;
	for (n = 0; mp3buf_drain_next(&b, &pos, &s); n++)
		;
	next = written - (MP3_RING_SAMPLES - 1);
	lost = 0;
	for (i = 0; mp3buf_follow(&b, &next, &lost, &s); i++)
		;
	tap_ok(n == MP3_RING_SAMPLES && i == 0 && lost == MP3_RING_SAMPLES - 1,
	       "after a full drain (%llu) the follower reads nothing (%llu) and counts 11999 lost (%llu)",
	       (unsigned long long)n, (unsigned long long)i, (unsigned long long)lost);
	free(mem);
	return tap_finish();
}
