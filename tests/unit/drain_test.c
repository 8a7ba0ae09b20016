// SPDX-License-Identifier: GPL-2.0
/*
 * drain_test: host unit test of the -1 protocol reader
 * (mp3buf_drain_next() in lib/mp3buf.c, what `monitor` without
 * -f runs) against a simulated writer in an ordinary buffer laid out like
 * the module's.  mp3_ring_append() writes a record's three counters, then
 * (after a write barrier) its jiffies; a drain can run between the two.
 * It must then stop at (or skip) that record, never start inside it, and
 * every record it does return must be a whole, aligned record.
 */
#include <stdlib.h>
#include <string.h>

#include "mp3buf.h"
#include "lib/tap.h"

#define NEVER	(~0ULL)		/* what the module initialises every word to */

static volatile struct mp3_record *ring;
static struct mp3buf b;

/* Sample @n's values: plausible, distinct, never -1. */
static unsigned long long val(unsigned long long n, int k)
{
	switch (k) {
	case 0: return 4294937296ULL + 13 * n;	/* jiffies */
	case 1: return 1000 + 10 * n;		/* minor faults */
	case 2: return n % 3;			/* major faults */
	default: return 50000000 + n;		/* cpu ns */
	}
}

/* The module's first half of a write: the counters only. */
static void put_counters(unsigned long slot, unsigned long long n)
{
	ring[slot].min_flt = val(n, 1);
	ring[slot].maj_flt = val(n, 2);
	ring[slot].cpu_ns = val(n, 3);
}

/* The second half: jiffies, published last. */
static void put_jiffies(unsigned long slot, unsigned long long n)
{
	__atomic_store_n(&ring[slot].jiffies, val(n, 0), __ATOMIC_RELEASE);
}

static void put(unsigned long slot, unsigned long long n)
{
	put_counters(slot, n);
	put_jiffies(slot, n);
}

static int consumed(unsigned long slot)
{
	return ring[slot].jiffies == NEVER && ring[slot].min_flt == NEVER &&
	       ring[slot].maj_flt == NEVER && ring[slot].cpu_ns == NEVER;
}

static int counters_intact(unsigned long slot, unsigned long long n)
{
	return ring[slot].jiffies == NEVER && ring[slot].min_flt == val(n, 1) &&
	       ring[slot].maj_flt == val(n, 2) && ring[slot].cpu_ns == val(n, 3);
}

static int is_sample(const struct mp3_sample *s, unsigned long long n)
{
	return (unsigned long long)s->jiffies == val(n, 0) &&
	       (unsigned long long)s->min_flt == val(n, 1) &&
	       (unsigned long long)s->maj_flt == val(n, 2) &&
	       (unsigned long long)s->cpu_ns == val(n, 3);
}

/*
 * One drain, as `monitor` runs it; checks the samples against
 * @want[0..@nwant-1] (sample numbers) and returns how many it got, or -1
 * on the first sample that is not the one expected (printed).
 */
static int drain(const unsigned long long *want, int nwant)
{
	long pos = MP3BUF_DRAIN_START;
	struct mp3_sample s;
	int got = 0;

	while (mp3buf_drain_next(&b, &pos, &s)) {
		if (got >= nwant || !is_sample(&s, want[got])) {
			tap_diag("drain returned \"%ld %ld %ld %ld\" as sample %d, expected %s",
				 (long)s.jiffies, (long)s.min_flt, (long)s.maj_flt,
				 (long)s.cpu_ns, got, got >= nwant ? "none" : "another");
			return -1;
		}
		if (++got > 2 * (int)MP3_RING_SAMPLES)
			return -1;
	}
	return got;
}

static void reset(void)
{
	memset((void *)ring, 0xff, MP3_RING_SAMPLES * 32);
}

int main(void)
{
	unsigned long long want[64];
	void *mem;
	int i, n, ok;

	tap_plan(10);
	mem = malloc(MP3_BUF_SIZE);
	if (!mem)
		tap_bail("no memory");
	memset(mem, 0xff, MP3_BUF_SIZE);
	b.longs = mem;
	b.writable = true;
	ring = mem;

	tap_ok(drain(NULL, 0) == 0, "empty ring: nothing, stops at once");

	/* The only record in the ring is half written: counters, no jiffies. */
	reset();
	put_counters(5, 500);
	n = drain(NULL, 0);
	tap_ok(n == 0, "a record whose jiffies is still -1 is not taken (got %d)", n);
	tap_ok(counters_intact(5, 500),
	       "its counters are left for the writer to finish");
	put_jiffies(5, 500);
	want[0] = 500;
	n = drain(want, 1);
	tap_ok(n == 1 && consumed(5), "once jiffies is written the whole record comes out (got %d)", n);

	/*
	 * After a wrap: slot 0 is being rewritten (counters only) while
	 * slots 1..20 hold unconsumed samples.  The scan must not start
	 * inside slot 0.
	 */
	reset();
	for (i = 1; i <= 20; i++) {
		put(i, 12000 + i);
		want[i - 1] = 12000 + i;
	}
	put_counters(0, 24000);
	n = drain(want, 20);
	tap_ok(n == 20, "scan skips a half-written slot 0: slots 1..20 come out whole (got %d)", n);
	ok = counters_intact(0, 24000);
	for (i = 1; i <= 20; i++)
		ok = ok && consumed(i);
	tap_ok(ok, "slot 0 untouched, slots 1..20 all -1");
	put_jiffies(0, 24000);
	want[0] = 24000;
	n = drain(want, 1);
	tap_ok(n == 1, "then slot 0's sample comes out alone (got %d)", n);

	/* A drain that reaches the record being written stops there. */
	reset();
	for (i = 0; i < 10; i++) {
		put(i, i);
		want[i] = i;
	}
	put_counters(10, 10);
	n = drain(want, 10);
	tap_ok(n == 10 && counters_intact(10, 10),
	       "stops at the half-written record after 10, leaving it intact (got %d)", n);

	/* Wrap-around: slots 11995..11999 and 0..2, two drains take all 8. */
	reset();
	for (i = 0; i < 8; i++) {
		put((11995 + i) % MP3_RING_SAMPLES, 40000 + i);
		want[i] = 40000 + (i + 5) % 8;	/* first drain: slots 0..2 */
	}
	n = drain(want, 3);
	i = drain(want + 3, 5);
	tap_ok(n == 3 && i == 5, "wrap-around: slots 0..2, then 11995..11999 (got %d, %d)", n, i);

	/* Every long of the ring back to -1. */
	ok = 1;
	for (i = 0; i < (int)MP3_RING_SAMPLES; i++)
		ok = ok && consumed(i);
	tap_ok(ok, "the ring is all -1 after the drains");
	free(mem);
	return tap_finish();
}
