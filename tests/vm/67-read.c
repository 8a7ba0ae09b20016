// SPDX-License-Identifier: GPL-2.0
/*
 * 67-read: read() on /dev/mp3 (docs/abi.md "Reading protocol 3: read()"),
 * the protocol for a reader that does not map the buffer: records copied
 * out by the module, which never writes the ring for it.  Each open file
 * has its own cursor, the file position: 32 times the number of the next
 * sample it returns, starting at the oldest sample still in the ring.  A
 * read returns whole records, in ring order, a contiguous run of samples;
 * what the writer overwrote before the cursor got there (or a -1-protocol
 * reader consumed) is skipped at the start of a read and shows as the
 * cursor moving further than the bytes returned.  Checked here:
 *
 *  - a zero-length read returns 0; lengths that are not a multiple of 32
 *    are EINVAL; pread() is ESPIPE; a bad buffer is EFAULT; none of them
 *    moves the cursor;
 *  - O_NONBLOCK with nothing new: EAGAIN; blocking: waits for the next
 *    sample and returns it without waiting to fill the buffer; a signal
 *    without SA_RESTART makes it fail with EINTR, one with SA_RESTART
 *    restarts it;
 *  - the records read equal the mmap view slot by slot, and reading
 *    leaves the buffer as it was;
 *  - two opens have independent cursors; a partly unmapped buffer gets
 *    only the records that fit whole;
 *  - loss: slots consumed by a -1 reader are skipped (the header follower
 *    counts the same loss), and a cursor the writer overtook (12000+
 *    samples written by R/U cycles) skips to the oldest sample, counted
 *    exactly; a new open then starts at that oldest sample;
 *  - two threads reading one open file never get the same record.
 *
 * Before the read() path, every read() of /dev/mp3 failed with EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define RS	((long)sizeof(struct mp3_record))	/* 32 */
#define CAP	MP3_RING_SAMPLES

static struct mp3_record got[CAP + 64], got2[CAP + 64];
static struct mp3buf ro, rw;

/* The cursor of @fd, in samples (lseek reports it; it never moves it). */
static long long cursor(int fd)
{
	off_t off = lseek(fd, 0, SEEK_CUR);

	return off < 0 ? -1 : (long long)(off / RS);
}

static void nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Records read with one read() of @n records; -errno on failure. */
static long rd(int fd, struct mp3_record *buf, long n)
{
	ssize_t r = read(fd, buf, n * RS);

	if (r < 0)
		return -errno;
	if (r % RS) {
		tap_diag("read returned %zd bytes, not whole records", r);
		return -EPROTO;
	}
	return r / RS;
}

/* Do @n records equal the mmap view of samples @first..@first+n-1? */
static int ring_eq(const struct mp3_record *r, uint64_t first, long n)
{
	volatile struct mp3_record *ring = (volatile struct mp3_record *)ro.longs;
	long i;

	for (i = 0; i < n; i++) {
		volatile struct mp3_record *s = &ring[(first + i) % CAP];

		if (r[i].jiffies != s->jiffies || r[i].min_flt != s->min_flt ||
		    r[i].maj_flt != s->maj_flt || r[i].cpu_ns != s->cpu_ns) {
			tap_diag("record %ld (sample %llu) differs from the mmap view",
				 i, (unsigned long long)(first + i));
			return 0;
		}
	}
	return 1;
}

static uint64_t written(void)
{
	return mp3buf_written(&ro);
}

static volatile sig_atomic_t alarms, restarts;

/* Count signals, and those that interrupted a read() to be restarted. */
static void on_alarm(int sig, siginfo_t *si, void *ucp)
{
	(void)sig;
	(void)si;
	alarms++;
	if (pf_read_restarting(ucp))
		restarts++;
}

static void handle(int flags, long first_ms, long every_ms)
{
	pf_on_sigalrm(on_alarm, flags);
	alarms = restarts = 0;
	pf_itimer_us(first_ms * 1000, every_ms * 1000);
}

static void timer_off(void)
{
	pf_itimer_us(0, 0);
	signal(SIGALRM, SIG_IGN);
}

/* Two threads read one open file a record at a time until EAGAIN. */
static int shared_fd;
static pthread_barrier_t start;

static void *reader_thread(void *arg)
{
	struct mp3_record r;
	long *count = arg;

	pthread_barrier_wait(&start);
	while (read(shared_fd, &r, sizeof(r)) == RS)
		(*count)++;
	return NULL;
}

int main(void)
{
	long n, m, k, i, bad, churn;
	long long p0, p1;
	uint64_t w, w2, t0, next = 0, lost = 0;
	struct mp3_sample s;
	struct pf_child c;
	void *volatile badp = (void *)8;	/* hidden from the compiler */
	char *pg;
	pid_t helper;
	int fd, fd2, fd3, fd4, st, same;
	static unsigned char snap[CAP * sizeof(struct mp3_record)];

	tap_plan(20);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	fd = open("/dev/mp3", O_RDONLY);
	if (fd < 0 || mp3buf_open(&ro, "/dev/mp3", false) ||
	    mp3buf_open(&rw, "/dev/mp3", true) || !ro.hdr)
		tap_bail("cannot open and map /dev/mp3");

	/* 1-4: zero length, EAGAIN, EINVAL, ESPIPE on an empty ring. */
	errno = 0;
	n = read(fd, got, 0);
	tap_ok(n == 0, "a zero-length read returns 0 (%ld, %s)", n,
	       n ? strerror(errno) : "no error");
	nonblock(fd, 1);
	n = rd(fd, got, 1);
	tap_ok(n == -EAGAIN && cursor(fd) == 0,
	       "O_NONBLOCK on an empty ring: EAGAIN, cursor at sample 0 (%ld, cursor %lld)",
	       n, cursor(fd));
	bad = 0;
	{
		static const size_t lens[] = { 1, 31, 33, 63, 100, 4097, 384001 };

		for (i = 0; i < (long)(sizeof(lens) / sizeof(lens[0])); i++) {
			errno = 0;
			if (read(fd, got, lens[i]) != -1 || errno != EINVAL) {
				tap_diag("read of %zu bytes: %s", lens[i], strerror(errno));
				bad++;
			}
		}
	}
	tap_ok(bad == 0 && cursor(fd) == 0,
	       "lengths that are not a multiple of 32 (1, 31, 33, 63, 100, 4097, 384001): EINVAL, cursor unchanged");
	errno = 0;
	n = pread(fd, got, RS, 0);
	tap_ok(n == -1 && errno == ESPIPE, "pread(): ESPIPE (%s)", strerror(errno));

	/* 5: a blocking read waits for the first sample, returns it at once. */
	nonblock(fd, 0);
	pf_spawn_held(&c, pf_sleeper, NULL);
	if (pf_reg(c.pid))
		tap_bail("cannot register the sleeper");
	t0 = pf_now_ns();
	k = rd(fd, got, 64);
	tap_diag("blocking read: %ld record(s) after %.1f ms", k,
		 (pf_now_ns() - t0) / 1e6);
	tap_ok(k >= 1 && k <= 3 && cursor(fd) == k,
	       "a blocking read waits for the first sample and returns without filling its 64-record buffer (%ld records, cursor %lld)",
	       k, cursor(fd));
	if (k < 0)
		k = 0;

	/* 6-10: a ring of ~40 samples, read whole, against the mmap view. */
	pf_msleep(2000);
	pf_unreg(c.pid);	/* writes the last sample, the sampler stops */
	w = written();
	memcpy(snap, (const void *)ro.longs, sizeof(snap));
	nonblock(fd, 1);
	n = rd(fd, got + k, CAP);
	tap_ok(n == (long)w - k && cursor(fd) == (long long)w,
	       "O_NONBLOCK read of the rest: %ld records = written %llu - %ld, cursor %lld",
	       n, (unsigned long long)w, k, cursor(fd));
	same = n > 0 && ring_eq(got, 0, k + n);
	for (i = 1; same && i < k + n; i++)
		if (got[i].jiffies < got[i - 1].jiffies)
			same = 0;
	tap_ok(same, "the %ld records read equal the mmap ring, slot by slot, in order",
	       k + (n > 0 ? n : 0));
	n = rd(fd, got, 8);
	tap_ok(n == -EAGAIN && cursor(fd) == (long long)w,
	       "nothing new: EAGAIN, cursor unchanged (%ld)", n);

	fd2 = open("/dev/mp3", O_RDONLY | O_NONBLOCK);
	p0 = cursor(fd2);
	m = 0;
	for (i = 0; i < 5; i++)		/* a record at a time */
		m += rd(fd2, got2 + m, 1) == 1;
	for (i = 0; i < 3; i++)		/* three at a time */
		if ((n = rd(fd2, got2 + m, 3)) > 0)
			m += n;
	if ((n = rd(fd2, got2 + m, CAP)) > 0)
		m += n;
	tap_ok(p0 == 0 && m == (long)w && ring_eq(got2, 0, m) &&
	       cursor(fd) == (long long)w && rd(fd, got, 1) == -EAGAIN,
	       "a second open starts at the oldest sample (%lld) and reads all %ld again in 1-, 3- and many-record reads; the first open's cursor is unmoved",
	       p0, m);
	tap_ok(!memcmp(snap, (const void *)ro.longs, sizeof(snap)) &&
	       pf_stat("samples_overwritten") == 0,
	       "reading left the ring as it was (byte for byte)");

	/* 11: EFAULT, and a buffer that ends in an unmapped page. */
	fd3 = open("/dev/mp3", O_RDONLY | O_NONBLOCK);
	errno = 0;
	n = read(fd3, badp, 2 * RS);
	n = n < 0 ? -errno : n;
	p0 = cursor(fd3);
	pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(pg + 4096, 4096, PROT_NONE);
	m = read(fd3, pg + 4096 - 2 * RS - 8, 4 * RS);	/* 2 records and 8 bytes fit */
	memcpy(got2, pg + 4096 - 2 * RS - 8, 2 * RS);
	tap_ok(n == -EFAULT && p0 == 0 && m == 2 * RS && cursor(fd3) == 2 &&
	       ring_eq(got2, 0, 2),
	       "bad buffer: EFAULT, cursor unmoved; a buffer that ends in an unmapped page gets the 2 whole records that fit (%ld bytes), cursor 2 (%lld)",
	       m, cursor(fd3));
	munmap(pg, 8192);

	/* 12: blocking, no SA_RESTART: EINTR. */
	nonblock(fd, 0);
	handle(0, 200, 0);
	t0 = pf_now_ns();
	n = rd(fd, got, 8);
	timer_off();
	tap_ok(n == -EINTR && alarms == 1 && cursor(fd) == (long long)w,
	       "a signal without SA_RESTART interrupts a blocking read: EINTR after %.0f ms, cursor unchanged (%ld)",
	       (pf_now_ns() - t0) / 1e6, n);

	/* 13: with SA_RESTART the read is restarted and gets the next sample. */
	helper = fork();
	if (helper == 0) {
		pf_msleep(700);
		pf_reg(getpid());
		pf_msleep(120);
		pf_unreg(getpid());
		_exit(0);
	}
	handle(SA_RESTART, 200, 200);
	t0 = pf_now_ns();
	n = rd(fd, got, 64);
	timer_off();
	tap_diag("SA_RESTART: %ld record(s) after %.0f ms, %d signals, %d restarts",
		 n, (pf_now_ns() - t0) / 1e6, (int)alarms, (int)restarts);
	tap_ok(n >= 1 && restarts >= 1 && pf_now_ns() - t0 > 500000000ULL,
	       "with SA_RESTART a blocking read is restarted and returns the next sample (%ld records)",
	       n);
	waitpid(helper, &st, 0);
	nonblock(fd, 1);
	while ((m = rd(fd, got, CAP)) > 0)
		;
	w = written();

	/* 14: slots a -1 reader consumed are skipped, and counted. */
	k = w / 2;
	for (i = k; i < k + 3; i++) {
		volatile int64_t *l = rw.longs + 4 * i;

		l[0] = -1;	/* jiffies first, as the -1 protocol does */
		l[1] = l[2] = l[3] = -1;
	}
	fd4 = open("/dev/mp3", O_RDONLY | O_NONBLOCK);
	n = rd(fd4, got2, CAP);
	p0 = cursor(fd4);
	m = rd(fd4, got2 + (n > 0 ? n : 0), CAP);
	p1 = cursor(fd4);
	while (mp3buf_follow(&ro, &next, &lost, &s))
		;
	tap_diag("consumed samples %ld..%ld: first read %ld (cursor %lld), second %ld (cursor %lld); header follower: %llu lost",
		 k, k + 2, n, p0, m, p1, (unsigned long long)lost);
	tap_ok(n == k && p0 == k && m == (long)w - k - 3 && p1 == (long long)w &&
	       ring_eq(got2, 0, k) && ring_eq(got2 + k, k + 3, m),
	       "a read stops before slots a -1 reader consumed; the next skips them: cursor +%lld for %ld records",
	       p1 - p0, m);
	tap_ok(lost == 3 && (long long)(p1 - p0) - m == 3,
	       "read() counts the same 3 consumed samples lost as the header follower (%llu)",
	       (unsigned long long)lost);

	/* 15-16: the writer overtakes a cursor: skip to the oldest, exact loss. */
	p0 = cursor(fd);
	t0 = pf_now_ns();
	churn = 0;
	while (written() < (uint64_t)p0 + CAP + 500 && churn < 3 * (long)CAP) {
		if (pf_reg(getpid()) || pf_unreg(getpid()))
			break;	/* each last U writes a sample at once */
		churn++;
	}
	w2 = written();
	tap_diag("%ld R/U cycles in %.1f s: written %llu -> %llu", churn,
		 (pf_now_ns() - t0) / 1e9, (unsigned long long)w,
		 (unsigned long long)w2);
	n = rd(fd, got, CAP + 64);
	p1 = cursor(fd);
	tap_ok(n == (long)CAP && p1 == (long long)w2 &&
	       (p1 - p0) - n == (long long)(w2 - CAP) - p0 &&
	       ring_eq(got, w2 - CAP, n),
	       "overtaken cursor at %lld: the read skips to the oldest sample %llu and returns the whole ring (%ld records, loss %lld = %llu expected)",
	       p0, (unsigned long long)(w2 - CAP), n, (p1 - p0) - n,
	       (unsigned long long)(w2 - CAP - p0));
	close(fd4);
	fd4 = open("/dev/mp3", O_RDONLY | O_NONBLOCK);
	tap_ok(cursor(fd4) == (long long)(w2 - CAP),
	       "a new open starts at the oldest sample still in the ring (%lld of %llu written)",
	       cursor(fd4), (unsigned long long)w2);

	/* 17: two threads, one open file: every record read once. */
	{
		pthread_t t1, t2;
		long c1 = 0, c2 = 0;

		shared_fd = fd4;
		pthread_barrier_init(&start, NULL, 2);
		pthread_create(&t1, NULL, reader_thread, &c1);
		pthread_create(&t2, NULL, reader_thread, &c2);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		tap_ok(c1 + c2 == (long)CAP && cursor(fd4) == (long long)w2,
		       "two threads reading one open file a record at a time got %ld + %ld = %ld records, none twice",
		       c1, c2, c1 + c2);
	}

	/* 18-19: mmap readers are unaffected; the module still unloads. */
	next = w2 - (CAP - 1);
	lost = 0;
	m = 0;
	while (mp3buf_follow(&ro, &next, &lost, &s))
		m++;
	tap_ok(m == (long)CAP - 1 && lost == 0,
	       "the header follower still reads the 11999 newest samples beside the readers (%ld, lost %llu)",
	       m, (unsigned long long)lost);
	close(fd);
	close(fd2);
	close(fd3);
	close(fd4);
	mp3buf_close(&ro);
	mp3buf_close(&rw);
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	tap_ok(pf_unload() == 0, "rmmod after every file is closed");
	return tap_finish();
}
