// SPDX-License-Identifier: GPL-2.0
/*
 * abi32_mkbuf: the 64-bit side of the -m32 reader test (tests/host/
 * 15-abi32.sh).  Writes DIR/buf, a file laid out byte for byte as mp3.ko
 * lays out its buffer (docs/abi.md), plus what a correct reader must get
 * out of it:
 *
 *   DIR/buf         MP3_BUF_SIZE bytes: every byte 0xff, the stream header
 *                   at byte 393216, 12000 records of four 64-bit words at
 *                   byte 0 and their stamps at byte 397312
 *   DIR/hdr.exp     the header as "name value" lines
 *   DIR/follow.exp  "seq mono_ns jiffies minflt majflt cpu_ns" for every
 *                   sample a follower starting at the oldest safe sample
 *                   reads, then "lost N"
 *   DIR/drain.exp   "jiffies minflt majflt cpu_ns" for every sample two
 *                   runs of the -1 protocol (monitor without -f) print
 *
 * The buffer is written through explicit byte offsets and little-endian
 * 64-bit stores, never through struct mp3_record or struct mp3_stream_hdr,
 * so it does not depend on the header under test.  The ring has wrapped:
 * written = 2^32 + 12345, so every slot holds one of the 12000 newest
 * samples; the CONSUMED oldest of them are already consumed (all -1).
 * Counters and stamps are above 2^32, and some have 0xffffffff as one
 * 32-bit half, so a reader that reads 32-bit words cannot pass.
 *
 * USAGE: abi32_mkbuf DIR CONSUMED [RECORD_SIZE]
 *   RECORD_SIZE (default 32) is what the header claims: another value
 *   must make a reader refuse the header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	(128 * 4096)
#define CAP		12000ULL
#define REC_SIZE	32
#define HDR_OFF		(96 * 4096)
#define STAMPS_OFF	(97 * 4096)
#define WRITTEN		((1ULL << 32) + 12345)
#define J0		(0x100000000ULL - 13 * 6000)	/* crosses 2^32 */

static unsigned char buf[BUF_SIZE];

static void put32(size_t off, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		buf[off + i] = v >> (8 * i);
}

static void put64(size_t off, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		buf[off + i] = v >> (8 * i);
}

/* Sample @s's four words and stamp. */
static void sample(uint64_t s, uint64_t v[4], uint64_t *mono)
{
	v[0] = J0 + 13 * (s - (WRITTEN - CAP));
	v[1] = 0x1ffffffffULL + 3 * (s % 1000);	/* low half -1 at s%1000 == 0 */
	v[2] = (s % 3 == 0) ? 0xffffffffULL : (s % 7) << 33;
	v[3] = 5000000000ULL + 1000 * (s % 100000);
	*mono = 7000000000000ULL + 50000000ULL * (s - (WRITTEN - CAP));
}

static FILE *open_exp(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "abi32_mkbuf: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static int consumed_slot(const unsigned char *ring, uint64_t slot)
{
	uint64_t k;

	for (k = 0; k < REC_SIZE; k++)
		if (ring[slot * REC_SIZE + k] != 0xff)
			return 0;
	return 1;
}

/* One run of the -1 protocol, record by record, on @ring. */
static void drain_once(unsigned char *ring, FILE *f)
{
	uint64_t slot, v, w;
	int k, i;

	for (slot = 0; slot < CAP; slot++)
		if (!consumed_slot(ring, slot))
			break;
	if (slot == CAP)
		return;
	while (!consumed_slot(ring, slot)) {
		for (w = 0; w < 4; w++) {
			v = 0;
			for (i = 0; i < 8; i++)
				v |= (uint64_t)ring[slot * REC_SIZE + w * 8 + i] << (8 * i);
			fprintf(f, "%llu%c", (unsigned long long)v, w == 3 ? '\n' : ' ');
		}
		for (k = 0; k < REC_SIZE; k++)
			ring[slot * REC_SIZE + k] = 0xff;
		slot = (slot + 1) % CAP;
	}
}

int main(int argc, char **argv)
{
	uint64_t s, v[4], mono, consumed, lost = 0;
	unsigned int recsize = REC_SIZE;
	static unsigned char ring[CAP * REC_SIZE];
	char path[4096];
	FILE *f;
	int fd, i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: abi32_mkbuf DIR CONSUMED [RECORD_SIZE]\n");
		return 2;
	}
	consumed = strtoull(argv[2], NULL, 10);
	if (argc == 4)
		recsize = strtoul(argv[3], NULL, 10);
	memset(buf, 0xff, sizeof(buf));

	/* The header, as mp3_buf_init() fills it. */
	memset(buf + HDR_OFF, 0, 128);
	put32(HDR_OFF + 0, 0x5333504d);		/* magic "MP3S" */
	put32(HDR_OFF + 4, 1);			/* version */
	put32(HDR_OFF + 8, 128);		/* hdr_size */
	put32(HDR_OFF + 12, CAP);		/* capacity */
	put32(HDR_OFF + 16, recsize);		/* record_size */
	put32(HDR_OFF + 20, 50000);		/* period_us */
	put32(HDR_OFF + 24, 250);		/* hz */
	put32(HDR_OFF + 28, STAMPS_OFF);	/* stamps_offset */
	put64(HDR_OFF + 32, WRITTEN);		/* written */
	put64(HDR_OFF + 40, 6999000000000ULL);	/* load_mono_ns */
	put64(HDR_OFF + 48, J0 - 250);		/* load_jiffies */

	/* The 12000 newest samples, each in slot s % 12000. */
	for (s = WRITTEN - CAP; s < WRITTEN; s++) {
		uint64_t slot = s % CAP;

		if (s - (WRITTEN - CAP) < consumed)
			continue;		/* consumed by a -1 reader: all -1 */
		sample(s, v, &mono);
		for (i = 0; i < 4; i++)
			put64(slot * REC_SIZE + 8 * i, v[i]);
		put64(STAMPS_OFF + 8 * slot, mono);
	}
	snprintf(path, sizeof(path), "%s/buf", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || close(fd)) {
		fprintf(stderr, "abi32_mkbuf: %s: %s\n", path, strerror(errno));
		return 1;
	}

	f = open_exp(argv[1], "hdr.exp");
	fprintf(f, "magic 0x5333504d\nversion 1\nhdr_size 128\ncapacity %llu\n"
		"record_size %u\nperiod_us 50000\nhz 250\nstamps_offset %d\n"
		"written %llu\nload_mono_ns %llu\nload_jiffies %llu\n",
		CAP, recsize, STAMPS_OFF, WRITTEN, 6999000000000ULL, J0 - 250);
	fclose(f);

	/* A follower from the oldest safe sample, written - 11999. */
	f = open_exp(argv[1], "follow.exp");
	for (s = WRITTEN - (CAP - 1); s < WRITTEN; s++) {
		if (s - (WRITTEN - CAP) < consumed) {
			lost++;
			continue;
		}
		sample(s, v, &mono);
		fprintf(f, "%llu %llu %llu %llu %llu %llu\n", (unsigned long long)s,
			(unsigned long long)mono, (unsigned long long)v[0],
			(unsigned long long)v[1], (unsigned long long)v[2],
			(unsigned long long)v[3]);
	}
	fprintf(f, "lost %llu\n", (unsigned long long)lost);
	fclose(f);

	/* Two runs of the -1 protocol on a copy of the ring. */
	memcpy(ring, buf, sizeof(ring));
	f = open_exp(argv[1], "drain.exp");
	drain_once(ring, f);
	drain_once(ring, f);
	fclose(f);
	return 0;
}
