// SPDX-License-Identifier: GPL-2.0
/*
 * abi32_reader: the reader side of the -m32 reader test (tests/host/
 * 15-abi32.sh), built both as a 64-bit and as an i386 (-m32) program
 * with the reader library (lib/mp3buf.c) built the same way.
 * Maps FILE (a buffer abi32_mkbuf wrote), prints the stream header as
 * "name value" lines, then follows the ring from the oldest safe sample
 * to the newest with mp3buf_follow() and prints
 * "seq mono_ns jiffies minflt majflt cpu_ns" per sample and "lost N".
 * Exits 3, with a message, if the library refused the header.
 *
 * USAGE: abi32_reader FILE
 */
#include <stdio.h>

#include "mp3buf.h"

int main(int argc, char **argv)
{
	uint64_t next, lost = 0, w;
	volatile struct mp3_stream_hdr *h;
	struct mp3_sample s;
	struct mp3buf b;

	if (argc != 2) {
		fprintf(stderr, "usage: abi32_reader FILE\n");
		return 2;
	}
	if (mp3buf_open(&b, argv[1], false))
		return 1;
	h = b.hdr;
	if (!h) {
		fprintf(stderr, "abi32_reader (%zu-bit): %s: stream header refused\n",
			8 * sizeof(long), argv[1]);
		mp3buf_close(&b);
		return 3;
	}
	printf("magic 0x%08x\nversion %u\nhdr_size %u\ncapacity %u\n"
	       "record_size %u\nperiod_us %u\nhz %u\nstamps_offset %u\n"
	       "written %llu\nload_mono_ns %llu\nload_jiffies %llu\n",
	       h->magic, h->version, h->hdr_size, h->capacity, h->record_size,
	       h->period_us, h->hz, h->stamps_offset,
	       (unsigned long long)h->written, (unsigned long long)h->load_mono_ns,
	       (unsigned long long)h->load_jiffies);
	w = mp3buf_written(&b);
	next = w > MP3_RING_SAMPLES - 1 ? w - (MP3_RING_SAMPLES - 1) : 0;
	while (mp3buf_follow(&b, &next, &lost, &s))
		printf("%llu %llu %llu %llu %llu %llu\n", (unsigned long long)s.seq,
		       (unsigned long long)s.mono_ns, (unsigned long long)s.jiffies,
		       (unsigned long long)s.min_flt, (unsigned long long)s.maj_flt,
		       (unsigned long long)s.cpu_ns);
	printf("lost %llu\n", (unsigned long long)lost);
	mp3buf_close(&b);
	return 0;
}
