/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mp3_abi.h - the layout of the mp3 profiler's shared sample buffer.
 *
 * Shared by the kernel module (kmod/mp3.c) and every user-space reader, so
 * the layout is written down in exactly one place.  docs/abi.md explains it.
 *
 * The buffer is MP3_BUF_PAGES pages, mapped from /dev/mp3 (char 423:0) at
 * offset 0.  Byte ranges (4 KiB pages, 64-bit longs):
 *
 *   [0, 384000)       ring of MP3_RING_SAMPLES records, four longs each
 *                     (the CS 423 MP3 layout the assignment's monitor reads)
 *   [384000, 393216)  guard: always -1, so a scanning monitor stops there
 *   [393216, 393344)  struct mp3_stream_hdr (MP3_HDR_OFFSET, page 96)
 *   [397312, 493312)  __u64 mono_ns[MP3_RING_SAMPLES] (MP3_STAMPS_OFFSET,
 *                     page 97): CLOCK_MONOTONIC ns at which the record in
 *                     the same slot was written
 *   [493312, 524288)  unused, -1
 */
#ifndef PFPROF_MP3_ABI_H
#define PFPROF_MP3_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

#define MP3_DEV_MAJOR		423
#define MP3_DEV_MINOR		0
#define MP3_BUF_PAGES		128
#define MP3_BUF_SIZE		(MP3_BUF_PAGES * 4096UL)
#define MP3_RING_SAMPLES	12000UL
#define MP3_RECORD_LONGS	4
#define MP3_RING_LONGS		(MP3_RING_SAMPLES * MP3_RECORD_LONGS)
#define MP3_HDR_OFFSET		(96 * 4096UL)
#define MP3_STAMPS_OFFSET	(97 * 4096UL)

#define MP3_STREAM_MAGIC	0x5333504dU	/* "MP3S" little-endian */
#define MP3_STREAM_VERSION	1U

/* One sample: the first three counters are deltas over the window. */
struct mp3_record {
	unsigned long jiffies;		/* jiffies when the sample was taken */
	unsigned long min_flt;		/* minor faults in the window */
	unsigned long maj_flt;		/* major faults in the window */
	unsigned long cpu_ns;		/* utime + stime in the window, ns */
};

/*
 * Stream header, version 1.  Written only by the module; readers must not
 * trust anything but @written for sequencing (non-root mappings are
 * read-only, root could scribble on it but the module never reads it back).
 *
 * Sample number s (0-based, counting every sample since the module loaded)
 * lives in slot s % capacity.  @written is the number of samples completely
 * written; it is published with release semantics after the record and its
 * stamp.  Only the capacity - 1 newest samples are safe to read (the slot
 * of sample written - capacity is the one being rewritten).  A reader that
 * wants sample s copies the slot and then re-reads @written: if
 * written - s > capacity - 1 the writer may have reused the slot while it
 * was copied and the sample counts as lost.
 */
struct mp3_stream_hdr {
	__u32 magic;		/* MP3_STREAM_MAGIC */
	__u32 version;		/* MP3_STREAM_VERSION */
	__u32 hdr_size;		/* sizeof(struct mp3_stream_hdr) */
	__u32 capacity;		/* ring slots: MP3_RING_SAMPLES */
	__u32 record_size;	/* bytes per record: 32 */
	__u32 period_us;	/* configured sampling period, microseconds */
	__u32 hz;		/* kernel HZ, for converting jiffies */
	__u32 stamps_offset;	/* byte offset of __u64 mono_ns[capacity] */
	__u64 written;		/* samples written since load (sequence) */
	__u64 load_mono_ns;	/* CLOCK_MONOTONIC ns when the module loaded */
	__u64 load_jiffies;	/* jiffies when the module loaded */
	__u64 reserved[9];	/* zero */
};

#endif /* PFPROF_MP3_ABI_H */
