// SPDX-License-Identifier: GPL-2.0
/* mp3buf.c - map and read the mp3 sample buffer (see mp3buf.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp3buf.h"

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
	if (h->magic == MP3_STREAM_MAGIC && h->version == MP3_STREAM_VERSION &&
	    h->capacity == MP3_RING_SAMPLES && h->record_size == 32 &&
	    h->stamps_offset == MP3_STAMPS_OFFSET) {
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
	volatile long *rec;
	uint64_t w, slot;

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
		rec = b->longs + slot * MP3_RECORD_LONGS;
		s->seq = *next;
		s->jiffies = rec[0];
		s->min_flt = rec[1];
		s->maj_flt = rec[2];
		s->cpu_ns = rec[3];
		s->mono_ns = b->stamps[slot];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		/* Still ours?  The writer reuses this slot for sample next+cap. */
		if (mp3buf_written(b) - *next < cap) {
			(*next)++;
			return 1;
		}
		(*lost)++;
		(*next)++;
	}
}
