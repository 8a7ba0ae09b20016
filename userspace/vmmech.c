// SPDX-License-Identifier: GPL-2.0
/*
 * vmmech - the workloads of case study 3 (docs/case-studies.md): virtual
 * memory mechanisms, each run as measured phases whose faults are predicted.
 *
 *   vmmech cow child|parent|dontfork|shared N
 *	map N pages (MAP_PRIVATE; MAP_SHARED for "shared"; MADV_DONTFORK
 *	for "dontfork"), write them all, fork, then:
 *	  child:    the child writes all N, the parent reads all N, then
 *		    writes all N again (its pages are no longer shared)
 *	  parent:   the parent writes all N while the child sleeps, then the
 *		    child reads all N
 *	  dontfork: the child checks the area is absent, the parent writes N
 *	  shared:   the child writes all N, the parent reads them, then
 *		    writes all N
 *   vmmech demand lazy|populate|popwrite|mlock N
 *	N anonymous pages made present by first-touch stores, MAP_POPULATE,
 *	MADV_POPULATE_WRITE or mlock(), then stored to (one byte a page)
 *   vmmech file PATH normal|sequential|random
 *	map PATH read-only with that madvise() and read one byte of each page
 *   vmmech thp on|off MB
 *	MB MiB of 2 MiB-aligned anonymous memory with MADV_HUGEPAGE (on) or
 *	MADV_NOHUGEPAGE (off), one byte stored to each 4 KiB page
 *
 * Every process but "thp" sets PR_SET_THP_DISABLE first, so that the
 * kernel's THP policy ("always" on Debian) cannot turn N faults into N/512.
 *
 * A phase is a window: the process has already touched every page of code,
 * stack and data the window uses (warm()), stamps q0, sleeps VMMECH_QUIET_MS
 * (default 500), stamps t0, takes getrusage(), registers with mp3.ko
 * (/proc/mp3/status), runs the phase, unregisters, takes getrusage(), stamps
 * t1, sleeps again and stamps q1.  Nothing faults in [q0, t0) or (t1, q1],
 * so a tracer's intervals that lie inside [q0, q1] hold exactly the phase's
 * faults; the module's samples between t0 and t1 are the registered window.
 * One line per phase (times CLOCK_MONOTONIC ns; minflt.. = getrusage over
 * [t0, t1]):
 *
 *   vmmech: exp=E role=R pid=P phase=X n=N q0= t0= t1= q1= minflt= majflt=
 *           utime_us= stime_us= mp3=ok [key=value...]
 *
 * Keys: copies= (Private_Dirty of /proc/self/smaps_rollup after minus
 * before, in pages: pages this process got private copies of), same=
 * (pages whose byte was what the phase expected), mapped= (dontfork child:
 * is the area there), fork_ns= (time in fork()), huge= (AnonHugePages of
 * the area / 2 MiB), thp_alloc= thp_fallback= (/proc/vmstat deltas over
 * the window, system-wide).  phase=start lines (the fork child's faults
 * from fork to its first instruction of its own) have no window (q0.. 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp3ctl.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* 5.14+ */
#endif

#define PAGE 4096UL
#define HUGE (2UL << 20)

struct win {
	const char *exp, *role, *phase;
	unsigned long n;
	uint64_t q0, t0, t1, q1;
	struct rusage a, b;
	int reg, unreg;
	char extra[256];
};

static long quiet_ms = 500;
static const char *exp_name = "?";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void quiet(void)
{
	struct timespec ts = { quiet_ms / 1000, (quiet_ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *what)
{
	fprintf(stderr, "vmmech: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Store to 64 KiB of stack below this frame, so every stack page the rest
 * of the process uses is present and writable: after fork() each of them
 * would otherwise take one (copy-on-write) fault at its first store.
 */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char buf[65536];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 512)
		buf[i] = 0;
}

/*
 * The kernel writes the thread's rseq area (glibc registers one, in the
 * TLS block) on the first return to user space after each context switch.
 * After fork() that page is copy-on-write, so the kernel's write takes a
 * fault (kernel mode: the witness's tp_kernel) at whatever moment the
 * process is next scheduled, e.g. between the module's reading and
 * getrusage().  Store to it first (its own value back), so that fault, a
 * cost of fork(), happens here.
 */
static void touch_rseq(void)
{
	if (__rseq_size) {
		volatile uint32_t *p = (volatile uint32_t *)
			((char *)__builtin_thread_pointer() + __rseq_offset);

		*p = *p;
	}
}

/* Store to every page of an object (its first and last byte suffice for
 * one smaller than a page).
 */
static void touch(void *obj, size_t len)
{
	volatile char *c = obj;
	size_t i;

	for (i = 0; i < len; i += PAGE)
		c[i] = c[i];
	c[len - 1] = c[len - 1];
}

/* Everything a window does, once, outside it: code, stack, errno, TLS. */
static void warm(void)
{
	struct rusage r;

	prefault_stack();
	touch_rseq();
	getrusage(RUSAGE_SELF, &r);
	(void)now_ns();
	(void)mp3ctl('U', getpid());	/* not registered: -ENOENT, sets errno */
}

static void begin(struct win *w, const char *role, const char *phase, unsigned long n)
{
	struct rusage a;
	int reg;

	memset(w, 0, sizeof(*w));
	w->exp = exp_name;
	w->role = role;
	w->phase = phase;
	w->n = n;
	warm();
	w->q0 = now_ns();
	quiet();
	w->t0 = now_ns();
	getrusage(RUSAGE_SELF, &a);
	reg = mp3ctl('R', getpid());
	w->a = a;
	w->reg = reg;
}

/*
 * Between the module's reading (in mp3ctl's write()) and getrusage() only
 * locals in this frame are written, so a page made copy-on-write by fork()
 * cannot fault in between and be counted by one and not the other (w may
 * sit in such a page: its first store after fork() is a fault).
 */
static void end(struct win *w)
{
	struct rusage b;
	int unreg;

	memset(&b, 0, sizeof(b));	/* getrusage() fills it after its reading */
	unreg = w->reg ? w->reg : mp3ctl('U', getpid());

	getrusage(RUSAGE_SELF, &b);
	w->b = b;
	w->unreg = unreg;
	w->t1 = now_ns();
	quiet();
	w->q1 = now_ns();
}

static long us(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L + (b->tv_usec - a->tv_usec);
}

static void report(const struct win *w)
{
	printf("vmmech: exp=%s role=%s pid=%d phase=%s n=%lu q0=%llu t0=%llu t1=%llu q1=%llu "
	       "minflt=%ld majflt=%ld utime_us=%ld stime_us=%ld mp3=%s%s%s\n",
	       w->exp, w->role, (int)getpid(), w->phase, w->n,
	       (unsigned long long)w->q0, (unsigned long long)w->t0,
	       (unsigned long long)w->t1, (unsigned long long)w->q1,
	       w->b.ru_minflt - w->a.ru_minflt, w->b.ru_majflt - w->a.ru_majflt,
	       us(&w->a.ru_utime, &w->b.ru_utime), us(&w->a.ru_stime, &w->b.ru_stime),
	       !w->t0 ? "none" : w->reg ? strerror(-w->reg) : w->unreg ? "unregister-failed" : "ok",
	       w->extra[0] ? " " : "", w->extra);
}

/* A field of a "Key:   value kB" file (smaps_rollup, meminfo), or -1. */
static long kv_field(const char *path, const char *key)
{
	char buf[4096];
	size_t klen = strlen(key);
	ssize_t len;
	long v = -1;
	char *p;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, klen) && (p[klen] == ':' || p[klen] == ' ')) {
			v = strtol(p + klen + 1, NULL, 10);
			break;
		}
	}
	return v;
}

static long private_dirty_pages(void)
{
	return kv_field("/proc/self/smaps_rollup", "Private_Dirty") / 4;
}

/* /proc/vmstat has no colon: "thp_fault_alloc 12" */
static long vmstat(const char *key)
{
	char buf[8192];
	size_t klen = strlen(key);
	ssize_t len, got = 0;
	char *p;
	int fd;

	fd = open("/proc/vmstat", O_RDONLY);
	if (fd < 0)
		return -1;
	while ((len = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += len;
	close(fd);
	buf[got] = 0;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtol(p + klen + 1, NULL, 10);
	return -1;
}

static unsigned long parse_n(const char *s, unsigned long lo, unsigned long hi)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || e == s || *e || v < lo || v > hi) {
		fprintf(stderr, "vmmech: bad number %s (%lu..%lu)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static char *map_anon(unsigned long bytes, int flags)
{
	char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | flags, -1, 0);

	if (m == MAP_FAILED)
		die("mmap");
	return m;
}

/* The phases' loops: one byte per page, nothing else in memory. */
static void store_all(volatile char *m, unsigned long n, char v)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		m[i * PAGE] = v;
}

static unsigned long count_eq(volatile char *m, unsigned long n, char v)
{
	unsigned long i, same = 0;

	for (i = 0; i < n; i++)
		same += m[i * PAGE] == v;
	return same;
}

static void sync_read(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("pipe read");
}

static void sync_write(int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		die("pipe write");
}

/* What the copy-on-write phases share. */
struct cow {
	const char *mode;
	int shared, dontfork;
	int child_writes;	/* "child" and "shared": the child writes first */
	unsigned long n;
	char *m;		/* the area, n pages */
	int c2p[2], p2c[2];	/* child to parent, parent to child */
};

/*
 * The area, 'A' in every page, and the pipes.  0, or 2 (usage) for an
 * unknown mode; a failed system call exits 1.
 */
static int cow_setup(struct cow *c, const char *mode, unsigned long n)
{
	unsigned long bytes = n * PAGE;

	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->n = n;
	c->shared = !strcmp(mode, "shared");
	c->dontfork = !strcmp(mode, "dontfork");
	c->child_writes = !strcmp(mode, "child") || c->shared;
	if (strcmp(mode, "child") && strcmp(mode, "parent") && !c->shared && !c->dontfork) {
		fprintf(stderr, "vmmech: cow child|parent|dontfork|shared N\n");
		return 2;
	}
	c->m = map_anon(bytes, c->shared ? MAP_SHARED : MAP_PRIVATE);
	if (c->dontfork && madvise(c->m, bytes, MADV_DONTFORK))
		die("madvise(MADV_DONTFORK)");
	store_all(c->m, n, 'A');
	if (pipe(c->c2p) || pipe(c->p2c))
		die("pipe");
	return 0;
}

/* The child's write phase ("child", "shared"), reported after the parent read. */
static void cow_child_write(const struct cow *c, const struct win *w)
{
	struct win x;
	long pd = private_dirty_pages();

	begin(&x, "child", "write", c->n);
	store_all(c->m, c->n, 'C');
	end(&x);
	snprintf(x.extra, sizeof(x.extra), "copies=%ld", private_dirty_pages() - pd);
	sync_write(c->c2p[1]);
	sync_read(c->p2c[0]);
	report(w);
	report(&x);
}

/* The child's read phase ("parent"), after the parent has written. */
static void cow_child_read(const struct cow *c, const struct win *w)
{
	struct win x;
	unsigned long same;

	sync_read(c->p2c[0]);	/* the parent has written */
	begin(&x, "child", "read", c->n);
	same = count_eq(c->m, c->n, 'A');
	end(&x);
	snprintf(x.extra, sizeof(x.extra), "same=%lu", same);
	report(w);
	report(&x);
}

/*
 * The forked child: its counters start at 0 at fork(), so its "start"
 * line is fork() to its first getrusage() (no window); then its phases.
 */
static void __attribute__((noreturn)) cow_child(const struct cow *c)
{
	struct rusage r0;
	struct win w;

	getrusage(RUSAGE_SELF, &r0);
	memset(&w, 0, sizeof(w));
	w.exp = exp_name;
	w.role = "child";
	w.phase = "start";
	w.n = c->n;
	w.b = r0;	/* no window: t0 = 0 */
	warm();
	if (c->dontfork) {
		unsigned char vec;

		errno = 0;
		snprintf(w.extra, sizeof(w.extra), "mapped=%d",
			 !(mincore(c->m, PAGE, &vec) && errno == ENOMEM));
	}
	sync_write(c->c2p[1]);	/* ready */
	if (c->child_writes) {
		cow_child_write(c, &w);
	} else if (!strcmp(c->mode, "parent")) {
		cow_child_read(c, &w);
	} else {
		sync_read(c->p2c[0]);
		report(&w);
	}
	fflush(stdout);
	_exit(0);
}

/*
 * fork() itself, in the parent's "fork" window: the page-table copy
 * (time) and the copy-on-write faults of the pages the parent then
 * stores to before its getrusage() (its stack).  Returns the child's pid
 * once the child is ready.
 */
static pid_t cow_parent_fork(const struct cow *c)
{
	struct win w;
	uint64_t f0, f1;
	pid_t pid;

	begin(&w, "parent", "fork", c->n);
	f0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		cow_child(c);
	f1 = now_ns();
	/* the pages the parent stores to before the module's last reading
	 * (stack, TLS: those fault here, copy-on-write since the fork) and
	 * the ones it would store to after it, made writable now
	 */
	touch(&w, sizeof(w));
	touch_rseq();
	end(&w);
	snprintf(w.extra, sizeof(w.extra), "fork_ns=%llu", (unsigned long long)(f1 - f0));
	report(&w);
	sync_read(c->c2p[0]);	/* the child is ready */
	return pid;
}

/* One parent phase that stores 'P' to every page, with its copies. */
static void cow_parent_store(const struct cow *c, const char *phase)
{
	struct win x;
	long pd = private_dirty_pages();

	begin(&x, "parent", phase, c->n);
	store_all(c->m, c->n, 'P');
	end(&x);
	snprintf(x.extra, sizeof(x.extra), "copies=%ld", private_dirty_pages() - pd);
	report(&x);
}

/*
 * The parent's phases: after the child wrote ("child", "shared"), read
 * then write again; else write while the child waits.  Then it lets the
 * child go on.
 */
static void cow_writer_phase(const struct cow *c)
{
	if (c->child_writes) {
		struct win x;
		unsigned long same;

		sync_read(c->c2p[0]);	/* the child has written */
		begin(&x, "parent", "read", c->n);
		same = count_eq(c->m, c->n, c->shared ? 'C' : 'A');
		end(&x);
		snprintf(x.extra, sizeof(x.extra), "same=%lu", same);
		report(&x);
		/* child: the child took copies of every page, so the
		 * parent's are its own again but still write-protected;
		 * shared: nothing is write-protected
		 */
		cow_parent_store(c, "write-after");
	} else {
		cow_parent_store(c, "write");
	}
	sync_write(c->p2c[1]);
}

/* 0 if the child exited 0, else 1 with a message. */
static int cow_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "vmmech: child failed (status %d)\n", status);
		return 1;
	}
	return 0;
}

/*
 * Copy-on-write.  The area holds 'A' in every page before fork(); writers
 * store 'C' (child) or 'P' (parent).  After each phase the reader counts
 * the pages that hold what it must see: its own 'A' (private) or the
 * child's 'C' (shared).  0, 1 (the child failed) or 2 (usage).
 */
static int cmd_cow(const char *mode, unsigned long n)
{
	struct cow c;
	pid_t pid;
	int rc;

	rc = cow_setup(&c, mode, n);
	if (rc)
		return rc;
	pid = cow_parent_fork(&c);
	cow_writer_phase(&c);
	return cow_reap(pid);
}

static int cmd_demand(const char *mode, unsigned long n)
{
	unsigned long bytes = n * PAGE;
	struct win w;
	char *m = NULL;

	if (strcmp(mode, "lazy") && strcmp(mode, "populate") && strcmp(mode, "popwrite") &&
	    strcmp(mode, "mlock")) {
		fprintf(stderr, "vmmech: demand lazy|populate|popwrite|mlock N\n");
		return 2;
	}
	if (strcmp(mode, "lazy") && strcmp(mode, "populate"))
		m = map_anon(bytes, MAP_PRIVATE);
	begin(&w, "self", mode, n);
	if (!strcmp(mode, "lazy"))
		m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else if (!strcmp(mode, "populate"))
		m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	else if (!strcmp(mode, "popwrite") && madvise(m, bytes, MADV_POPULATE_WRITE))
		m = MAP_FAILED;
	else if (!strcmp(mode, "mlock") && mlock(m, bytes))
		m = MAP_FAILED;
	if (m != MAP_FAILED)
		store_all(m, n, 'D');
	end(&w);
	if (m == MAP_FAILED)
		die(mode);
	report(&w);
	return 0;
}

static int cmd_file(const char *path, const char *advice)
{
	int adv = !strcmp(advice, "normal") ? MADV_NORMAL :
		  !strcmp(advice, "sequential") ? MADV_SEQUENTIAL :
		  !strcmp(advice, "random") ? MADV_RANDOM : -1;
	unsigned long n, i, sum = 0;
	volatile char *m;
	struct stat st;
	struct win w;
	int fd;

	if (adv < 0) {
		fprintf(stderr, "vmmech: file PATH normal|sequential|random\n");
		return 2;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(path);
	n = st.st_size / PAGE;
	m = mmap(NULL, n * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap file");
	if (madvise((void *)m, n * PAGE, adv))
		die("madvise");
	begin(&w, "self", advice, n);
	for (i = 0; i < n; i++)
		sum += m[i * PAGE];
	end(&w);
	snprintf(w.extra, sizeof(w.extra), "sum=%lu", sum & 1);
	report(&w);
	return 0;
}

static int cmd_thp(const char *mode, unsigned long mb)
{
	unsigned long bytes = mb << 20, n = bytes / PAGE;
	long a0, f0, a1, f1, huge;
	uintptr_t p;
	struct win w;
	char *raw;

	if (strcmp(mode, "on") && strcmp(mode, "off")) {
		fprintf(stderr, "vmmech: thp on|off MB\n");
		return 2;
	}
	raw = map_anon(bytes + HUGE, MAP_PRIVATE);
	p = ((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1);
	if (madvise((void *)p, bytes, strcmp(mode, "on") ? MADV_NOHUGEPAGE : MADV_HUGEPAGE))
		die("madvise(MADV_[NO]HUGEPAGE)");
	a0 = vmstat("thp_fault_alloc");
	f0 = vmstat("thp_fault_fallback");
	begin(&w, "self", mode, n);
	store_all((char *)p, n, 'H');
	end(&w);
	a1 = vmstat("thp_fault_alloc");
	f1 = vmstat("thp_fault_fallback");
	huge = kv_field("/proc/self/smaps_rollup", "AnonHugePages") / 2048;
	snprintf(w.extra, sizeof(w.extra), "huge=%ld thp_alloc=%ld thp_fallback=%ld",
		 huge, a1 - a0, f1 - f0);
	report(&w);
	return 0;
}

int main(int argc, char **argv)
{
	const char *q = getenv("VMMECH_QUIET_MS");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (q && *q)
		quiet_ms = (long)parse_n(q, 0, 60000);
	if (argc != 4) {
		int help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));

		fprintf(help ? stdout : stderr,
			"usage: vmmech cow child|parent|dontfork|shared N\n"
			"       vmmech demand lazy|populate|popwrite|mlock N\n"
			"       vmmech file PATH normal|sequential|random\n"
			"       vmmech thp on|off MB\n");
		if (help)
			printf("\nThe workloads of case study 3 (docs/case-studies.md): each runs\n"
			       "measured phases and prints a line per phase (see vmmech.c).\n"
			       "\nEXAMPLES:\n"
			       "    vmmech cow child 1000\n"
			       "    vmmech demand populate 1000\n");
		return help ? 0 : 2;
	}
	if (strcmp(argv[1], "thp") && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("prctl(PR_SET_THP_DISABLE)");
	printf("vmmech: start pid=%d %s %s %s\n", (int)getpid(), argv[1], argv[2], argv[3]);
	if (!strcmp(argv[1], "cow")) {
		static char name[32];

		snprintf(name, sizeof(name), "cow-%s", argv[2]);
		exp_name = name;
		return cmd_cow(argv[2], parse_n(argv[3], 1, 1UL << 22));
	}
	if (!strcmp(argv[1], "demand")) {
		exp_name = "demand";
		return cmd_demand(argv[2], parse_n(argv[3], 1, 1UL << 22));
	}
	if (!strcmp(argv[1], "file")) {
		exp_name = getenv("VMMECH_EXP") ? getenv("VMMECH_EXP") : "file";
		return cmd_file(argv[2], argv[3]);
	}
	if (!strcmp(argv[1], "thp")) {
		exp_name = "thp";
		return cmd_thp(argv[2], parse_n(argv[3], 2, 4096));
	}
	fprintf(stderr, "vmmech: unknown experiment %s\n", argv[1]);
	return 2;
}
