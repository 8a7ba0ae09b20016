/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mp3_abi.h - the layout of the mp3 profiler's shared sample buffer.
 *
 * Shared by the kernel module (kmod/mp3.c) and every user-space reader, so
 * the layout is written down in exactly one place.  docs/abi.md explains it.
 *
 * The buffer is MP3_BUF_PAGES pages, mapped from /dev/mp3 (char 423:0) at
 * offset 0.  Byte ranges (4 KiB pages):
 *
 *   [0, 384000)       ring of MP3_RING_SAMPLES records, four 64-bit words
 *                     each (the CS 423 MP3 layout the assignment's monitor
 *                     reads as four longs on a 64-bit machine)
 *   [384000, 393216)  guard: always -1, so a scanning monitor stops there
 *   [393216, 393344)  struct mp3_stream_hdr (MP3_HDR_OFFSET, page 96)
 *   [397312, 493312)  __u64 mono_ns[MP3_RING_SAMPLES] (MP3_STAMPS_OFFSET,
 *                     page 97): CLOCK_MONOTONIC ns at which the record in
 *                     the same slot was written
 *   [493312, 524288)  unused, -1
 *
 * read() on /dev/mp3 returns the same records, whole and in ring order,
 * from a cursor each open file keeps in its file position (32 times the
 * next sample's number); it adds nothing to this layout (docs/abi.md,
 * "Reading protocol 3").
 *
 * Every field has a fixed width (__u32, __u64), so the layout is the same
 * for 64-bit and 32-bit (-m32) readers; nothing here is a long, a size_t or
 * a pointer.  The asserts at the end hold each compiler to it.
 */
#ifndef PFPROF_MP3_ABI_H
#define PFPROF_MP3_ABI_H

#include <linux/types.h>

#define MP3_DEV_MAJOR		423
#define MP3_DEV_MINOR		0
#define MP3_BUF_PAGES		128
#define MP3_BUF_SIZE		(MP3_BUF_PAGES * 4096UL)
#define MP3_RING_SAMPLES	12000UL
#define MP3_RECORD_SIZE		32	/* bytes: sizeof(struct mp3_record) */
/* 64-bit words ("longs" on a 64-bit machine) per record and in the ring */
#define MP3_RECORD_LONGS	4
#define MP3_RING_LONGS		(MP3_RING_SAMPLES * MP3_RECORD_LONGS)
#define MP3_HDR_OFFSET		(96 * 4096UL)
#define MP3_STAMPS_OFFSET	(97 * 4096UL)

#define MP3_STREAM_MAGIC	0x5333504dU	/* "MP3S" little-endian */
#define MP3_STREAM_VERSION	1U

/*
 * One sample: the last three are deltas over the window.  A word that is
 * all ones (-1) holds no sample: never written, or consumed by a reader of
 * the -1 protocol.  The module writes the counters, then jiffies (after a
 * write barrier), so a reader tests jiffies first, with acquire semantics.
 */
struct mp3_record {
	__aligned_u64 jiffies;		/* jiffies when the sample was taken */
	__aligned_u64 min_flt;		/* minor faults in the window */
	__aligned_u64 maj_flt;		/* major faults in the window */
	__aligned_u64 cpu_ns;		/* utime + stime in the window, ns */
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
	__u32 record_size;	/* bytes per record: MP3_RECORD_SIZE */
	__u32 period_us;	/* configured sampling period, microseconds */
	__u32 hz;		/* kernel HZ, for converting jiffies */
	__u32 stamps_offset;	/* byte offset of __u64 mono_ns[capacity] */
	__aligned_u64 written;	/* samples written since load (sequence) */
	__aligned_u64 load_mono_ns; /* CLOCK_MONOTONIC ns when the module loaded */
	__aligned_u64 load_jiffies; /* jiffies when the module loaded */
	__aligned_u64 reserved[9]; /* zero */
};

/* The layout above, held to by every compiler, 32-bit or 64-bit. */
#ifdef __cplusplus
#define MP3_ABI_ASSERT(e, msg)	static_assert(e, msg)
#else
#define MP3_ABI_ASSERT(e, msg)	_Static_assert(e, msg)
#endif
MP3_ABI_ASSERT(sizeof(struct mp3_record) == MP3_RECORD_SIZE,
	       "struct mp3_record must be 32 bytes");
MP3_ABI_ASSERT(sizeof(struct mp3_stream_hdr) == 128,
	       "struct mp3_stream_hdr must be 128 bytes");
MP3_ABI_ASSERT(__builtin_offsetof(struct mp3_stream_hdr, written) == 32,
	       "mp3_stream_hdr.written must be at byte 32");
MP3_ABI_ASSERT(MP3_RING_SAMPLES * MP3_RECORD_SIZE <= MP3_HDR_OFFSET,
	       "the ring must end before the header");
#undef MP3_ABI_ASSERT

#endif /* PFPROF_MP3_ABI_H */
