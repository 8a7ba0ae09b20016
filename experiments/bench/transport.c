// SPDX-License-Identifier: GPL-2.0
/*
 * transport - mmap against read(): what it costs a reader to get mp3.ko's
 * samples out of /dev/mp3 either way.  Runs as root in the VM, with mp3.ko
 * loaded; experiments/bench/transport.sh drives it (docs/transport.md).
 *
 *   transport drain [-r REPS]
 *	The ring must be full (12000 samples or more written) and the
 *	sampler stopped.  REPS rounds (default 21); each round empties the
 *	whole ring once in every way below, in an order that rotates from
 *	round to round, and prints one CSV line per way:
 *	  mmap-follow  the header follower, mp3buf_follow() (monitor -f):
 *	               the 11999 newest samples, into an array
 *	  mmap-minus1  the assignment's -1 protocol, mp3buf_drain_next()
 *	               (monitor): every slot, written back -1; the ring is
 *	               restored afterwards, untimed
 *	  memcpy       one memcpy() of the 384000-byte ring from the mapping:
 *	               the floor, a copy in user space with no protocol
 *	  read-1, read-128, read-12000
 *	               read() on a fresh open file, 1, 128 (4 KiB) or 12000
 *	               records per call, until EAGAIN
 *	Timed with CLOCK_MONOTONIC (wall) and CLOCK_PROCESS_CPUTIME_ID; the
 *	mapping, the open, the first touch of the buffers and a first
 *	warm-up round are not.  The
 *	samples read are checked against each other (the 11999 newest, as
 *	the follower returns them).
 *
 *   transport follow -m MODE -t SECONDS [-p POLL_MS] [-l LABEL] [-n NAME]
 *	Follow new samples for SECONDS and print one CSV line (phase LABEL,
 *	mode NAME, default MODE):
 *	  mmap        every POLL_MS (default 50) on an absolute grid
 *	              (clock_nanosleep), mp3buf_follow() until nothing new
 *	              (monitor -f polls every 10 ms)
 *	  read-poll   every POLL_MS, read() with O_NONBLOCK into a 256-record
 *	              buffer until EAGAIN (or a short read)
 *	  read-block  blocking read() into a 256-record buffer: it wakes when
 *	              a sample is written
 *	CPU is getrusage(RUSAGE_SELF) user + system over the following;
 *	syscalls are those the loop makes (the vDSO clock_gettime() is none).
 *
 * CSV (one line per run, prefixed "CSV,"):
 *	phase,mode,rep,seconds,samples,lost,syscalls,wall_ns,cpu_ns,
 *	ns_per_sample,syscalls_per_sample,cpu_pct,checksum
 * ns_per_sample is wall time per sample for drain, CPU time per sample for
 * follow; cpu_pct is CPU time over wall time (% of one CPU).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mp3buf.h"

#define CAP	MP3_RING_SAMPLES
#define RS	sizeof(struct mp3_record)
#define FOLLOW_BUF	256	/* records per read() while following */

static struct mp3_record recs[CAP];
static struct mp3_sample samples[CAP];
static struct mp3_record saved[CAP];

static void die(const char *what)
{
	fprintf(stderr, "transport: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t rusage_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

struct run {
	const char *phase, *mode;
	int rep;
	double seconds;
	uint64_t samples, lost, syscalls, wall_ns, cpu_ns, checksum;
};

static void print_run(const struct run *r, int per_cpu)
{
	double n = r->samples ? (double)r->samples : 1;

	printf("CSV,%s,%s,%d,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
	       ",%" PRIu64 ",%.1f,%.4f,%.5f,%016" PRIx64 "\n",
	       r->phase, r->mode, r->rep, r->seconds, r->samples, r->lost,
	       r->syscalls, r->wall_ns, r->cpu_ns,
	       (per_cpu ? r->cpu_ns : r->wall_ns) / n, r->syscalls / n,
	       r->wall_ns ? 100.0 * r->cpu_ns / r->wall_ns : 0, r->checksum);
	fflush(stdout);
}

/* A position-sensitive sum of the four fields of @n samples. */
static uint64_t sum_records(const struct mp3_record *r, size_t n)
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		h = h * 1000003 + r[i].jiffies * 7 + r[i].min_flt * 5 +
		    r[i].maj_flt * 3 + r[i].cpu_ns;
	return h;
}

static uint64_t sum_samples(const struct mp3_sample *s, size_t n)
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		h = h * 1000003 + (uint64_t)s[i].jiffies * 7 +
		    (uint64_t)s[i].min_flt * 5 + (uint64_t)s[i].maj_flt * 3 +
		    (uint64_t)s[i].cpu_ns;
	return h;
}

/* Open /dev/mp3 for read(), cursor at the oldest sample, non-blocking. */
static int open_reader(void)
{
	int fd = open("/dev/mp3", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/mp3");
	return fd;
}

static const char *const drain_modes[] = {
	"mmap-follow", "mmap-minus1", "memcpy", "read-1", "read-128", "read-12000",
};
#define NDRAIN	(sizeof(drain_modes) / sizeof(drain_modes[0]))

static void drain_one(struct mp3buf *ro, struct mp3buf *rw, int mode,
		      struct run *r)
{
	volatile struct mp3_record *ring = (volatile struct mp3_record *)rw->longs;
	uint64_t w = mp3buf_written(ro), next, lost = 0, t0, c0;
	long pos = MP3BUF_DRAIN_START, per = 0;
	size_t n = 0;
	ssize_t got;
	int fd = -1;

	memset(r, 0, sizeof(*r));
	r->phase = "drain";
	r->mode = drain_modes[mode];
	if (mode >= 3) {
		per = mode == 3 ? 1 : mode == 4 ? 128 : (long)CAP;
		fd = open_reader();
	}
	if (mode == 1)
		memcpy(saved, (const void *)ring, sizeof(saved));
	next = w - (CAP - 1);
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	switch (mode) {
	case 0:
		while (mp3buf_follow(ro, &next, &lost, &samples[n]))
			n++;
		break;
	case 1:
		while (mp3buf_drain_next(rw, &pos, &samples[n]))
			n++;
		break;
	case 2:
		memcpy(recs, (const void *)ro->longs, sizeof(recs));
		n = CAP;
		break;
	default:
		for (;;) {
			got = read(fd, recs + n, per * RS);
			r->syscalls++;
			if (got <= 0)
				break;
			n += got / RS;
		}
		if (got < 0 && errno != EAGAIN)
			die("read");
		break;
	}
	r->cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->wall_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	r->samples = n;
	r->lost = lost;
	r->seconds = r->wall_ns / 1e9;
	/* Untimed: the check, and the -1 protocol's ring put back. */
	if (mode == 0)
		r->checksum = sum_samples(samples, n);
	else if (mode >= 3 && n >= CAP - 1)
		r->checksum = sum_records(recs + n - (CAP - 1), CAP - 1);
	if (mode == 1)
		memcpy((void *)ring, saved, sizeof(saved));
	if (fd >= 0)
		close(fd);
}

static int drain(int reps)
{
	struct mp3buf ro, rw;
	uint64_t want = 0;
	struct run r;
	size_t i, k;
	int rep, bad = 0;

	if (mp3buf_open(&ro, "/dev/mp3", false) || mp3buf_open(&rw, "/dev/mp3", true) ||
	    !ro.hdr)
		return 2;
	if (mp3buf_written(&ro) < CAP) {
		fprintf(stderr, "transport: drain needs a full ring (%" PRIu64 " samples written)\n",
			mp3buf_written(&ro));
		return 2;
	}
	/* Touch every buffer once, so no timed run takes its first faults. */
	memset(recs, 0, sizeof(recs));
	memset(samples, 0, sizeof(samples));
	memset(saved, 0, sizeof(saved));
	/*
	 * Round -1 warms up, unprinted: under TCG the first run of any code
	 * also pays for translating it.
	 */
	for (rep = -1; rep < reps; rep++) {
		for (k = 0; k < NDRAIN; k++) {
			i = (k + rep + 1) % NDRAIN;
			drain_one(&ro, &rw, i, &r);
			r.rep = rep;
			if (rep < 0) {
				if (i == 0)
					want = r.checksum;
				continue;
			}
			print_run(&r, 0);
			if (i == 0)
				want = r.checksum;
			else if (i >= 3 && r.checksum != want) {
				fprintf(stderr, "transport: %s returned other samples than mmap-follow\n",
					r.mode);
				bad = 1;
			}
		}
		if (rep >= 0)
			fprintf(stderr, "transport: drain round %d/%d done\n", rep + 1, reps);
	}
	mp3buf_close(&ro);
	mp3buf_close(&rw);
	return bad;
}

static void sleep_until(uint64_t t, struct run *r)
{
	struct timespec ts = { t / 1000000000ULL, t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		r->syscalls++;
	r->syscalls++;
}

static int follow(const char *mode, double secs, long poll_ms,
		  const char *label, const char *name)
{
	static struct mp3_record buf[FOLLOW_BUF];
	uint64_t next = 0, lost = 0, start, end, now = 0, tick, c0;
	struct mp3_sample s;
	struct mp3buf ro;
	off_t p0 = 0, p1;
	struct run r;
	ssize_t got;
	int fd = -1, m;

	memset(&r, 0, sizeof(r));
	r.phase = label;
	r.mode = name ? name : mode;
	if (!strcmp(mode, "mmap"))
		m = 0;
	else if (!strcmp(mode, "read-poll"))
		m = 1;
	else if (!strcmp(mode, "read-block"))
		m = 2;
	else
		return 2;
	memset(buf, 0, sizeof(buf));
	if (m == 0) {
		if (mp3buf_open(&ro, "/dev/mp3", false) || !ro.hdr)
			return 2;
		next = mp3buf_written(&ro);	/* new samples only */
	} else {
		fd = open_reader();
		while (read(fd, buf, sizeof(buf)) > 0)	/* skip to the newest */
			;
		if (m == 2 && fcntl(fd, F_SETFL, 0))
			die("fcntl");
		p0 = lseek(fd, 0, SEEK_CUR);
	}
	start = clock_ns(CLOCK_MONOTONIC);
	end = start + (uint64_t)(secs * 1e9);
	tick = start;
	c0 = rusage_ns();
	for (;;) {
		if (m != 2) {
			tick += poll_ms * 1000000ULL;
			sleep_until(tick, &r);
		}
		if (m == 0) {
			while (mp3buf_follow(&ro, &next, &lost, &s))
				r.samples++;
		} else {
			do {
				got = read(fd, buf, sizeof(buf));
				r.syscalls++;
				if (got > 0)
					r.samples += got / RS;
			} while (got == (ssize_t)sizeof(buf));
			if (got < 0 && errno != EAGAIN)
				die("read");
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= end)
			break;
	}
	r.cpu_ns = rusage_ns() - c0;
	r.wall_ns = now - start;
	r.seconds = r.wall_ns / 1e9;
	if (m == 0) {
		r.lost = lost;
		mp3buf_close(&ro);
	} else {
		p1 = lseek(fd, 0, SEEK_CUR);
		r.lost = (p1 - p0) / RS - r.samples;
		close(fd);
	}
	print_run(&r, 1);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: transport drain [-r REPS]\n"
		"       transport follow -m mmap|read-poll|read-block -t SECONDS [-p POLL_MS]\n"
		"                        [-l LABEL] [-n NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *label = "follow", *name = NULL;
	double secs = 0;
	long poll_ms = 50;
	int reps = 21, opt;

	if (argc < 2)
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "r:m:t:p:l:n:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'p':
			poll_ms = atol(optarg);
			break;
		case 'l':
			label = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		default:
			usage();
		}
	}
	if (!strcmp(argv[1], "drain"))
		return reps > 0 ? drain(reps) : 2;
	if (!strcmp(argv[1], "follow") && mode && secs > 0 && poll_ms > 0)
		return follow(mode, secs, poll_ms, label, name);
	usage();
	return 2;
}
