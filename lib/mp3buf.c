// SPDX-License-Identifier: GPL-2.0
/* mp3buf.c - map and read the mp3 sample buffer (see mp3buf.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp3buf.h"

#define NO_SAMPLE	UINT64_MAX	/* -1: never written, or consumed */

/*
 * 64-bit loads and stores that are single accesses on 32-bit x86 too (the
 * fields are __aligned_u64), so a -m32 reader never sees half a word.
 */
static inline uint64_t ld_acquire(const volatile __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t ld(const volatile __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void st(volatile __u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline volatile struct mp3_record *ring_of(const struct mp3buf *b)
{
	return (volatile struct mp3_record *)b->longs;
}

/* A header with our magic: is its layout the one this reader was built for? */
static bool hdr_usable(const char *path, volatile struct mp3_stream_hdr *h)
{
	if (h->magic != MP3_STREAM_MAGIC)
		return false;
	if (h->version == MP3_STREAM_VERSION && h->hdr_size == sizeof(*h) &&
	    h->capacity == MP3_RING_SAMPLES &&
	    h->record_size == sizeof(struct mp3_record) &&
	    h->stamps_offset == MP3_STAMPS_OFFSET)
		return true;
	fprintf(stderr,
		"mp3buf: %s: refusing the stream header: version %u hdr_size %u "
		"capacity %u record_size %u stamps_offset %u, this reader "
		"(%zu-bit) reads version %u hdr_size %zu capacity %lu "
		"record_size %zu stamps_offset %lu\n",
		path, h->version, h->hdr_size, h->capacity, h->record_size,
		h->stamps_offset, 8 * sizeof(long), MP3_STREAM_VERSION, sizeof(*h),
		MP3_RING_SAMPLES, sizeof(struct mp3_record), MP3_STAMPS_OFFSET);
	return false;
}

int mp3buf_open(struct mp3buf *b, const char *path, bool writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	volatile struct mp3_stream_hdr *h;
	void *p;
	int err;

	memset(b, 0, sizeof(*b));
	b->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_SYNC);
	if (b->fd < 0) {
		err = errno;
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(err));
		return -err;
	}
	p = mmap(NULL, MP3_BUF_SIZE, prot, MAP_SHARED, b->fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		fprintf(stderr, "cannot map %s: %s\n", path, strerror(err));
		close(b->fd);
		b->fd = -1;
		return -err;
	}
	b->writable = writable;
	b->longs = p;
	h = (volatile struct mp3_stream_hdr *)((char *)p + MP3_HDR_OFFSET);
	if (hdr_usable(path, h)) {
		b->hdr = h;
		b->stamps = (volatile uint64_t *)((char *)p + h->stamps_offset);
	}
	return 0;
}

void mp3buf_close(struct mp3buf *b)
{
	if (b->longs)
		munmap((void *)b->longs, MP3_BUF_SIZE);
	if (b->fd >= 0)
		close(b->fd);
	b->longs = NULL;
	b->fd = -1;
}

uint64_t mp3buf_written(const struct mp3buf *b)
{
	return __atomic_load_n(&b->hdr->written, __ATOMIC_ACQUIRE);
}

int mp3buf_follow(const struct mp3buf *b, uint64_t *next, uint64_t *lost,
		  struct mp3_sample *s)
{
	const uint64_t cap = MP3_RING_SAMPLES;
	volatile struct mp3_record *rec;
	uint64_t w, slot, v[4];
	bool reused;

	for (;;) {
		w = mp3buf_written(b);
		if (*next >= w)
			return 0;
		/*
		 * While the writer works on sample w it has not bumped
		 * written yet, and sample w lives in the slot of w - cap: so
		 * only the cap - 1 newest samples are safe to read.
		 */
		if (w - *next > cap - 1) {
			*lost += w - *next - (cap - 1);
			*next = w - (cap - 1);
		}
		slot = *next % cap;
		rec = ring_of(b) + slot;
		v[0] = ld_acquire(&rec->jiffies);
		v[1] = ld(&rec->min_flt);
		v[2] = ld(&rec->maj_flt);
		v[3] = ld(&rec->cpu_ns);
		s->seq = *next;
		s->mono_ns = b->stamps[slot];
		s->jiffies = (int64_t)v[0];
		s->min_flt = (int64_t)v[1];
		s->maj_flt = (int64_t)v[2];
		s->cpu_ns = (int64_t)v[3];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		/* Still ours?  The writer reuses this slot for sample next+cap. */
		reused = mp3buf_written(b) - *next >= cap;
		(*next)++;
		/*
		 * A -1 protocol reader beside us consumed the slot: it wrote
		 * -1 over the record, and we may have caught it half-way
		 * (no counter is ever 2^64 - 1).  The sample is gone.
		 */
		if (!reused && v[0] != NO_SAMPLE && v[1] != NO_SAMPLE &&
		    v[2] != NO_SAMPLE && v[3] != NO_SAMPLE)
			return 1;
		(*lost)++;
	}
}

int mp3buf_drain_next(const struct mp3buf *b, long *pos, struct mp3_sample *s)
{
	volatile struct mp3_record *ring = ring_of(b), *rec;
	long slot = *pos;
	uint64_t j;

	if (slot < 0)
		for (slot = 0; slot < (long)MP3_RING_SAMPLES; slot++)
			if (ld_acquire(&ring[slot].jiffies) != NO_SAMPLE)
				break;
	*pos = slot;
	if (slot >= (long)MP3_RING_SAMPLES)
		return 0;		/* the ring is empty */
	rec = &ring[slot];
	/*
	 * The module writes the counters, then jiffies with a barrier
	 * between: a record whose jiffies is -1 may already have its
	 * counters, and one whose jiffies is set has them all.
	 */
	j = ld_acquire(&rec->jiffies);
	if (j == NO_SAMPLE)
		return 0;
	memset(s, 0, sizeof(*s));
	s->jiffies = (int64_t)j;
	s->min_flt = (int64_t)ld(&rec->min_flt);
	s->maj_flt = (int64_t)ld(&rec->maj_flt);
	s->cpu_ns = (int64_t)ld(&rec->cpu_ns);
	st(&rec->jiffies, NO_SAMPLE);
	st(&rec->min_flt, NO_SAMPLE);
	st(&rec->maj_flt, NO_SAMPLE);
	st(&rec->cpu_ns, NO_SAMPLE);
	*pos = (slot + 1) % (long)MP3_RING_SAMPLES;
	return 1;
}
