// SPDX-License-Identifier: GPL-2.0
/*
 * 96-fileops: the file and vm operations of /dev/mp3, and the read-time
 * permission recheck of /proc/mp3/tasks (docs/abi.md, "Reading protocol
 * 3" and "Security model").  Checked here:
 *
 *  - while a thread blocks in read() (nothing registered, so no sample
 *    comes), other threads using the same open file do not wait for it:
 *    lseek() returns the cursor at once, an O_NONBLOCK read() gets EAGAIN
 *    at once, a second blocking read() sleeps interruptibly (a signal ends
 *    it), poll() answers at once, close() of a dup returns at once, and
 *    pread()/pwrite() fail with ESPIPE.  A file opened FMODE_ATOMIC_POS
 *    would have the kernel hold its f_pos_lock across the blocked read,
 *    and lseek() and read() wait in D state behind it;
 *  - poll() reports the device readable only once a sample is there, and
 *    epoll accepts it;
 *  - the mapping's VmFlags (/proc/self/smaps): io dc de dd, no ex or me;
 *  - madvise(MADV_DOFORK) on the mapping is refused (EINVAL), so a child
 *    forked after it has no mapping; get_user_pages() users
 *    (process_vm_readv(), /proc/PID/mem) cannot reach the buffer (VM_IO);
 *  - mremap() cannot grow a mapping, may shrink or move it; a partly
 *    unmapped buffer keeps the rest, and is not inherited either;
 *    MADV_DONTNEED drops the caller's pages for good (SIGBUS on access);
 *  - a process its registrar could read when it registered it, that then
 *    execs a setuid-root program, is no longer shown to that registrar in
 *    /proc/mp3/tasks (root still sees it, and the registrar can still
 *    unregister it).
 *
 * A regression makes a check fail, never hang: each operation on the
 * shared file runs with a watchdog that, after WATCHDOG_MS, interrupts the
 * blocked reader with a signal (which releases whatever lock it held), and
 * the operation's time is checked against PROMPT_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"
#include "pfprof/mp3_abi.h"

#define RS		((long)sizeof(struct mp3_record))	/* 32 */
#define PG		4096UL
#define PROMPT_MS	1000	/* "at once", with room for TCG */
#define WATCHDOG_MS	3000	/* then the blocked reader is interrupted */
#define PLAIN_PATH	"/tmp/96-plain"	/* a copy the user may run */
#define SUID_PATH	"/tmp/96-suid"	/* a setuid-root copy */
#define USER		1000

static int shared_fd;

/* A thread blocked in read(shared_fd). */
struct reader {
	pthread_t th;
	volatile pid_t tid;
	volatile int done;
	ssize_t ret;
	int err;
	struct mp3_record rec;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->ret = read(shared_fd, &r->rec, RS);
	r->err = errno;
	r->done = 1;
	return NULL;
}

/* The state letter of thread @tid (R, S, D, ...), or '?'. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Start @r and wait until it sleeps (S or D); its state, or '?'. */
static char start_reader(struct reader *r)
{
	char st = '?';
	int i;

	memset(r, 0, sizeof(*r));
	if (pthread_create(&r->th, NULL, reader_fn, r))
		return '?';
	for (i = 0; i < 20000; i++) {
		if (r->tid && !r->done) {
			st = thread_state(r->tid);
			if (st == 'S' || st == 'D')
				return st;
		}
		if (r->done)
			return 'X';
		pf_msleep(1);
	}
	return '?';
}

/*
 * Interrupt @r and wait up to @ms for it to return: 1 if it did, with
 * read() failing EINTR and no record.
 */
static int stop_reader(struct reader *r, long ms)
{
	struct timespec ts;

	pthread_kill(r->th, SIGUSR1);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(r->th, NULL, &ts))
		return 0;
	return r->ret == -1 && r->err == EINTR;
}

/* The watchdog: after WATCHDOG_MS unless disarmed, interrupt the reader. */
static struct {
	pthread_t th;
	int pipe[2];
	struct reader *r;
	volatile int fired;
} wd;

static void *wd_fn(void *arg)
{
	struct pollfd p = { .fd = wd.pipe[0], .events = POLLIN };

	(void)arg;
	if (poll(&p, 1, WATCHDOG_MS) == 0) {
		wd.fired = 1;
		pthread_kill(wd.r->th, SIGUSR1);
	}
	return NULL;
}

static void wd_arm(struct reader *r)
{
	wd.r = r;
	wd.fired = 0;
	if (pipe(wd.pipe) || pthread_create(&wd.th, NULL, wd_fn, NULL))
		tap_bail("watchdog");
}

static void wd_disarm(void)
{
	if (write(wd.pipe[1], "x", 1) != 1)
		tap_bail("watchdog pipe");
	pthread_join(wd.th, NULL);
	close(wd.pipe[0]);
	close(wd.pipe[1]);
}

static long ms_since(uint64_t t0)
{
	return (long)((pf_now_ns() - t0) / 1000000);
}

/* Lines of /proc/mp3/tasks (as this process opens it) for @pid. */
static int tasks_lines(long pid)
{
	static char text[65536];
	int fd = open("/proc/mp3/tasks", O_RDONLY), count = 0;
	ssize_t n, off = 0;
	char *line, *save;

	if (fd < 0)
		return 200 + (errno & 0x3f);
	while (off < (ssize_t)sizeof(text) - 1 &&
	       (n = read(fd, text + off, sizeof(text) - 1 - off)) > 0)
		off += n;
	close(fd);
	text[off] = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (atol(line) == pid)
			count++;
	return count;
}

static int do_reg(long pid)
{
	return -pf_reg(pid);
}

static int do_unreg(long pid)
{
	return -pf_unreg(pid);
}

/* Wait (up to ~20 s) until @pid has exec'd @comm and sleeps. */
static void wait_comm(pid_t pid, const char *comm)
{
	char path[64], buf[64];
	ssize_t n;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 20000; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			break;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && (size_t)n - 1 == strlen(comm) && !memcmp(buf, comm, n - 1))
			break;
		pf_msleep(1);
	}
	pf_wait_blocked(pid);
}

/* The effective uid of @pid from /proc/PID/status, or -1. */
static long euid_of(pid_t pid)
{
	char path[64], buf[4096], *p;
	long r, e;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%ld %ld", &r, &e) != 2)
		return -1;
	return e;
}

/* Copy this program to @path, owned by root, mode @mode. */
static int make_copy(const char *path, mode_t mode)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY), out;
	ssize_t n;

	unlink(path);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	if (fchown(out, 0, 0) || fchmod(out, mode))
		return -1;
	return close(out);
}

/*
 * Exit status of a child that reads @addr and, if @wr, writes the value
 * back; *@sig the signal that killed it, or 0.
 */
static int child_touch(volatile uint64_t *addr, int wr, int *sig)
{
	int status;
	pid_t p = fork();

	if (p == 0) {
		uint64_t v = *addr;

		if (wr)
			*addr = v;
		_exit(0);
	}
	waitpid(p, &status, 0);
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void blocked_reader_checks(void)
{
	struct reader r, r2;
	struct pollfd pfd;
	uint64_t t0;
	char st, buf[64];
	long ms;
	off_t off;
	ssize_t n;
	int e, d, ok;

	/* 1: lseek while a reader blocks. */
	st = start_reader(&r);
	if (st != 'S')
		tap_diag("the reader's state is %c, not S", st);
	wd_arm(&r);
	t0 = pf_now_ns();
	off = lseek(shared_fd, 0, SEEK_CUR);
	e = errno;
	ms = ms_since(t0);
	wd_disarm();
	tap_ok(off == 0 && ms < PROMPT_MS && !wd.fired && !r.done,
	       "lseek(SEEK_CUR) while a thread blocks in read() returns the cursor at once (%lld, %s, %ld ms%s)",
	       (long long)off, off < 0 ? strerror(e) : "no error", ms,
	       wd.fired ? ", only after the reader was interrupted" : "");
	ok = stop_reader(&r, 5000);
	tap_ok(ok, "the blocked reader returns EINTR on a signal, with no record (ret %zd, %s)",
	       r.ret, strerror(r.err));
	if (!ok && !r.done)
		tap_bail("the reader does not return");

	/* 3: O_NONBLOCK read() from a second thread. */
	start_reader(&r);
	wd_arm(&r);
	fcntl(shared_fd, F_SETFL, O_NONBLOCK);
	t0 = pf_now_ns();
	n = read(shared_fd, buf, RS);
	e = errno;
	ms = ms_since(t0);
	fcntl(shared_fd, F_SETFL, 0);
	wd_disarm();
	tap_ok(n == -1 && e == EAGAIN && ms < PROMPT_MS && !wd.fired,
	       "an O_NONBLOCK read() by a second thread gets EAGAIN at once (%zd, %s, %ld ms)",
	       n, n < 0 ? strerror(e) : "no error", ms);
	stop_reader(&r, 5000);

	/* 4: a second blocking read() sleeps interruptibly; a signal ends it. */
	start_reader(&r);
	st = start_reader(&r2);
	wd_arm(&r);
	t0 = pf_now_ns();
	ok = stop_reader(&r2, PROMPT_MS);
	ms = ms_since(t0);
	wd_disarm();
	stop_reader(&r, 5000);
	if (!r2.done)	/* it waited for the first reader to return */
		stop_reader(&r2, 5000);
	tap_ok(st == 'S' && ok && ms < PROMPT_MS && !wd.fired,
	       "a second thread's blocking read() sleeps interruptibly (state %c) and a signal ends it at once (EINTR: %d, %ld ms)",
	       st, ok, ms);

	/* 5: poll() with nothing new. */
	start_reader(&r);
	wd_arm(&r);
	pfd.fd = shared_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	t0 = pf_now_ns();
	n = poll(&pfd, 1, 0);
	ms = ms_since(t0);
	wd_disarm();
	tap_ok(n == 0 && ms < PROMPT_MS && !wd.fired,
	       "poll() by a second thread returns at once: not readable (%zd, revents %#x, %ld ms)",
	       n, pfd.revents, ms);

	/* 6: close() of a dup. */
	wd_arm(&r);
	t0 = pf_now_ns();
	d = dup(shared_fd);
	n = d < 0 ? -1 : close(d);
	ms = ms_since(t0);
	wd_disarm();
	tap_ok(n == 0 && ms < PROMPT_MS && !wd.fired,
	       "close() of a dup of the file returns at once (%zd, %ld ms)", n, ms);

	/* 7: pread(), pwrite(), write(). */
	wd_arm(&r);
	t0 = pf_now_ns();
	n = pread(shared_fd, buf, RS, 0);
	e = errno;
	ok = n == -1 && e == ESPIPE;
	n = pwrite(shared_fd, buf, RS, 0);
	e = errno;
	ok = ok && n == -1 && e == ESPIPE;
	n = write(shared_fd, buf, RS);
	ok = ok && n == -1 && errno == EBADF;
	ms = ms_since(t0);
	wd_disarm();
	tap_ok(ok && ms < PROMPT_MS,
	       "pread() and pwrite() fail with ESPIPE, write() on a read-only open with EBADF, at once (%ld ms)",
	       ms);
	st = r.done ? 'X' : thread_state(r.tid);
	ok = stop_reader(&r, 5000);
	tap_ok(ok && st == 'S',
	       "through all of that the first reader stayed blocked (state %c), and a signal ends it",
	       st);
}

static void poll_checks(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pf_child c;
	struct mp3_record recs[8];
	struct pollfd pfd;
	int fd = open("/dev/mp3", O_RDONLY | O_NONBLOCK), ep;
	off_t before, after;
	ssize_t n;
	int r;

	ep = epoll_create1(0);
	r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	tap_ok(fd >= 0 && r == 0, "epoll accepts /dev/mp3 (%s)", r ? strerror(errno) : "0");
	before = lseek(fd, 0, SEEK_CUR);
	pf_spawn_held(&c, pf_sleeper, NULL);
	pf_reg(c.pid);
	pfd.fd = fd;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 10000);
	r = epoll_wait(ep, &out, 1, 10000);
	pf_unreg(c.pid);
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	tap_ok(n == 1 && (pfd.revents & POLLIN) && r == 1,
	       "poll() and epoll_wait() wake when a sample is written (%zd, revents %#x, epoll %d)",
	       n, pfd.revents, r);
	n = read(fd, recs, sizeof(recs));
	after = lseek(fd, 0, SEEK_CUR);
	tap_ok(n >= RS && after == before + n,
	       "a read then returns records and lseek() reports the cursor past them (%zd bytes, %lld -> %lld)",
	       n, (long long)before, (long long)after);
	close(ep);
	close(fd);
}

/* The VmFlags of the mapping that holds @addr (/proc/self/smaps). */
static const char *vm_flags_of(const void *addr)
{
	static char flags[512];
	char line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	flags[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)	/* a mapping's first line */
			in = a >= lo && a < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, sizeof(flags), "%s", line + 8);
			flags[strcspn(flags, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return flags;
}

/* Is the two-letter @flag among @flags? */
static int has_flag(const char *flags, const char *flag)
{
	char pat[8];

	snprintf(pat, sizeof(pat), " %s", flag);
	for (; (flags = strstr(flags, pat)); flags += 3)
		if (flags[3] == ' ' || flags[3] == 0)
			return 1;
	return 0;
}

/*
 * A child that maps the buffer, drops one page with MADV_DONTNEED and
 * reads it: its exit status, *@sig the signal that killed it.
 */
static int dontneed_child(int fd, int *sig)
{
	int status;
	pid_t p = fork();

	if (p == 0) {
		volatile uint64_t *m = mmap(NULL, MP3_BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);

		if (m == MAP_FAILED)
			_exit(2);
		if (madvise((void *)m, PG, MADV_DONTNEED))
			_exit(3);
		(void)m[0];
		_exit(0);
	}
	waitpid(p, &status, 0);
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void mapping_checks(void)
{
	int fd = open("/dev/mp3", O_RDWR), memfd, sig, ret;
	const char *flags;
	volatile struct mp3_stream_hdr *h;
	struct iovec local, remote;
	uint64_t word;
	char *p, *q, *where;
	ssize_t n;

	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		tap_bail("cannot map /dev/mp3");
	flags = vm_flags_of(p);
	tap_ok(has_flag(flags, "io") && has_flag(flags, "dc") && has_flag(flags, "de") &&
	       has_flag(flags, "dd") && !has_flag(flags, "ex") && !has_flag(flags, "me"),
	       "the mapping is VM_IO, VM_DONTCOPY, VM_DONTEXPAND, VM_DONTDUMP, never executable (smaps VmFlags:%s)",
	       flags);
	ret = madvise(p, MP3_BUF_SIZE, MADV_DOFORK);
	tap_ok(ret == -1 && errno == EINVAL, "madvise(MADV_DOFORK) on the mapping: EINVAL (%d, %s)",
	       ret, ret ? strerror(errno) : "accepted");
	ret = child_touch((volatile uint64_t *)(p + MP3_HDR_OFFSET + 32), 1, &sig);
	tap_ok(sig == SIGSEGV, "a child forked after it has no mapping: writing the ring gets SIGSEGV (exit %d, signal %d)",
	       ret, sig);

	local.iov_base = &word;
	local.iov_len = sizeof(word);
	remote.iov_base = p + MP3_HDR_OFFSET;
	remote.iov_len = sizeof(word);
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	tap_ok(n == -1 && errno == EFAULT, "process_vm_readv() of the buffer: EFAULT (%zd, %s)",
	       n, n < 0 ? strerror(errno) : "read");
	memfd = open("/proc/self/mem", O_RDONLY);
	n = pread(memfd, &word, sizeof(word), (off_t)(uintptr_t)(p + MP3_HDR_OFFSET));
	tap_ok(n == -1 && errno == EIO, "/proc/self/mem read of the buffer: EIO (%zd, %s)",
	       n, n < 0 ? strerror(errno) : "read");
	close(memfd);

	/* mremap: no growing; shrinking and moving keep the pages. */
	q = mremap(p, MP3_BUF_SIZE, MP3_BUF_SIZE + PG, MREMAP_MAYMOVE);
	ret = q == MAP_FAILED ? errno : 0;
	q = mremap(p, MP3_BUF_SIZE, MP3_HDR_OFFSET + PG, 0);
	where = mmap(NULL, 2 * MP3_BUF_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q != MAP_FAILED && where != MAP_FAILED)
		q = mremap(q, MP3_HDR_OFFSET + PG, MP3_HDR_OFFSET + PG,
			   MREMAP_MAYMOVE | MREMAP_FIXED, where + MP3_BUF_SIZE);
	h = (volatile struct mp3_stream_hdr *)(q + MP3_HDR_OFFSET);
	tap_ok(ret == EFAULT && q == where + MP3_BUF_SIZE && h->magic == MP3_STREAM_MAGIC,
	       "mremap() cannot grow the mapping (%s); shrunk and moved, it still shows the header",
	       strerror(ret));
	ret = child_touch((volatile uint64_t *)(q + MP3_HDR_OFFSET + 32), 1, &sig);
	tap_ok(sig == SIGSEGV, "a moved mapping is not inherited either (exit %d, signal %d)",
	       ret, sig);
	munmap(where, 2 * MP3_BUF_SIZE);

	/* Partial munmap: the rest stays; a child gets none of it. */
	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		tap_bail("cannot map /dev/mp3 again");
	munmap(p + PG, PG);
	munmap(p + MP3_STAMPS_OFFSET, MP3_BUF_SIZE - MP3_STAMPS_OFFSET);
	h = (volatile struct mp3_stream_hdr *)(p + MP3_HDR_OFFSET);
	ret = child_touch((volatile uint64_t *)p, 0, &sig);
	tap_ok(h->magic == MP3_STREAM_MAGIC && ((volatile int64_t *)p)[0] != 0 && sig == SIGSEGV,
	       "a partly unmapped buffer keeps the rest; a child inherits no piece (signal %d)",
	       sig);
	munmap(p, PG);
	munmap(p + 2 * PG, MP3_STAMPS_OFFSET - 2 * PG);

	/* MADV_DONTNEED drops the caller's own pages for good: SIGBUS. */
	ret = dontneed_child(fd, &sig);
	tap_ok(sig == SIGBUS, "after MADV_DONTNEED the mapping's pages are gone: SIGBUS, in the caller only (exit %d, signal %d)",
	       ret, sig);
	close(fd);
}

static void recheck_checks(void)
{
	int go[2], before, after, roots, others, ret;
	struct pf_child rc;
	char fdarg[16];
	pid_t t;
	long e;

	if (make_copy(PLAIN_PATH, 0755) || make_copy(SUID_PATH, 04755) || pipe(go))
		tap_bail("cannot make the copies in /tmp");
	t = fork();
	if (t == 0) {
		/* exec as the user, so the process is dumpable, then wait */
		close(go[1]);
		snprintf(fdarg, sizeof(fdarg), "%d", go[0]);
		pf_become(USER, USER);
		execl(PLAIN_PATH, "96-plain", "--wait-exec", fdarg, (char *)NULL);
		_exit(97);
	}
	close(go[0]);
	wait_comm(t, "96-plain");
	ret = pf_as_user(USER, USER, do_reg, t);
	before = pf_as_user(USER, USER, tasks_lines, t);
	pf_spawn_held(&rc, pf_sleeper, NULL);
	pf_reg(rc.pid);
	others = pf_as_user(USER, USER, tasks_lines, rc.pid);
	roots = tasks_lines(rc.pid);
	pf_unreg(rc.pid);
	kill(rc.pid, SIGKILL);
	waitpid(rc.pid, NULL, 0);
	tap_ok(ret == 0 && before == 1 && others == 0 && roots == 1,
	       "the user registers its own process and sees it in tasks (%s, %d line), not root's registration (%d; root sees it: %d)",
	       strerror(ret), before, others, roots);
	if (write(go[1], "g", 1) != 1)
		tap_bail("pipe");
	close(go[1]);
	wait_comm(t, "96-suid");
	e = euid_of(t);
	after = pf_as_user(USER, USER, tasks_lines, t);
	roots = tasks_lines(t);
	tap_ok(e == 0 && after == 0 && roots == 1,
	       "after it execs a setuid-root program, tasks no longer shows it to the user (%d lines; root sees %d; euid %ld)",
	       after, roots, e);
	ret = pf_as_user(USER, USER, do_unreg, t);
	tap_ok(ret == 0, "the user can still unregister it (%s)", strerror(ret));
	kill(t, SIGKILL);
	waitpid(t, NULL, 0);
	unlink(SUID_PATH);
	unlink(PLAIN_PATH);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char b;

	if (argc == 3 && !strcmp(argv[1], "--wait-exec")) {
		if (read(atoi(argv[2]), &b, 1) != 1)
			return 96;
		execl(SUID_PATH, "96-suid", "--pause", (char *)NULL);
		return 97;
	}
	if (argc == 2 && !strcmp(argv[1], "--pause")) {
		pause();
		return 0;
	}

	tap_plan(24);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: read() gets EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (!pf_ensure_unloaded() || pf_load("ctl_gid=1000"))
		tap_bail("cannot load mp3.ko with ctl_gid=1000");
	shared_fd = open("/dev/mp3", O_RDONLY);
	if (shared_fd < 0)
		tap_bail("cannot open /dev/mp3");

	blocked_reader_checks();	/* 1-8 */
	poll_checks();			/* 9-11 */
	mapping_checks();		/* 12-20 */
	recheck_checks();		/* 21-23, then 24 */

	close(shared_fd);
	tap_ok(pf_ensure_unloaded(), "the module unloads once every file and mapping is gone");
	return tap_finish();
}
