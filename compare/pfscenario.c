// SPDX-License-Identifier: GPL-2.0
/*
 * pfscenario - the workloads of pfcompare's scenarios that `work` does not
 * cover.  Each subcommand does one kind of faulting and, where the class of
 * its faults is knowable from user space, reports it on stdout as
 *   pfscenario: key=value ...
 * which pfcompare reads back (docs/compare.md lists the keys).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"USAGE: pfscenario threads <THREADS 1..64> <MB per thread> <stores per thread>\n"
		"       pfscenario churn-worker <INDEX> <PAGES>\n"
		"       pfscenario populate <MB MAP_POPULATE> <MB mlock> <MB touched>\n"
		"       pfscenario filemap <FILE>\n"
		"       pfscenario readfresh <FILE> <PASSES>\n"
		"\n"
		"EXAMPLES:\n"
		"    pfscenario threads 4 8 20000     # 4 threads, random stores in 8 MiB each\n"
		"    pfscenario churn-worker 3 64     # sleep 3*7 ms, touch 64 pages, exit\n"
		"    pfscenario populate 8 8 8        # gup faults: populate + mlock, then touches\n"
		"    pfscenario filemap /mnt/pfc/data # read one byte per page of a mapping\n"
		"    pfscenario readfresh /tmp/f 2    # read() the file into fresh buffers\n");
	exit(rc);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "pfscenario: bad number '%s' (%ld..%ld)\n", s, lo, hi);
		usage(2);
	}
	return v;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static char *anon(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("pfscenario: mmap");
		exit(1);
	}
	madvise(p, bytes, MADV_NOHUGEPAGE);
	return p;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct thr {
	pthread_t t;
	long mb, stores;
	uint64_t seed;
};

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	size_t npages = t->mb * 256;
	char *m = anon(npages * PAGE);
	long i;

	for (i = 0; i < t->stores; i++)
		m[(rnd(&t->seed) % npages) * PAGE] = (char)i;
	munmap(m, npages * PAGE);
	return NULL;
}

static int cmd_threads(int argc, char **argv)
{
	struct thr t[64];
	long n, i;

	if (argc != 5)
		usage(2);
	n = num(argv[2], 1, 64);
	for (i = 0; i < n; i++) {
		t[i].mb = num(argv[3], 1, 1024);
		t[i].stores = num(argv[4], 0, 100000000);
		t[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		if (pthread_create(&t[i].t, NULL, thread_main, &t[i])) {
			fprintf(stderr, "pfscenario: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i].t, NULL);
	printf("pfscenario: threads=%ld\n", n);
	return 0;
}

/* A short life that starts and ends between two 50 ms samples. */
static int cmd_churn_worker(int argc, char **argv)
{
	long idx, pages, i;
	char *m;

	if (argc != 4)
		usage(2);
	idx = num(argv[2], 0, 1000);
	pages = num(argv[3], 1, 262144);
	msleep(idx * 7);
	m = anon(pages * PAGE);
	for (i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	printf("pfscenario: worker=%ld pages=%ld\n", idx, pages);
	return 0;
}

/*
 * get_user_pages faults: MAP_POPULATE and mlock fault every page in from
 * the kernel with no user registers (no perf event, no tracepoint), then
 * ordinary stores into a third area for contrast.
 */
static int cmd_populate(int argc, char **argv)
{
	long pop, lck, tch, i;
	char *a, *b, *c;

	if (argc != 5)
		usage(2);
	pop = num(argv[2], 0, 1024) * 256;
	lck = num(argv[3], 0, 1024) * 256;
	tch = num(argv[4], 0, 1024) * 256;
	if (pop) {
		a = mmap(NULL, pop * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (a == MAP_FAILED) {
			perror("pfscenario: mmap MAP_POPULATE");
			return 1;
		}
		for (i = 0; i < pop; i++)	/* already present: no fault */
			a[i * PAGE] = 1;
	}
	if (lck) {
		b = anon(lck * PAGE);
		if (mlock(b, lck * PAGE)) {
			perror("pfscenario: mlock");
			return 1;
		}
		for (i = 0; i < lck; i++)
			b[i * PAGE] = 1;
	}
	c = anon(tch ? tch * PAGE : PAGE);
	for (i = 0; i < tch; i++)
		c[i * PAGE] = 1;
	printf("pfscenario: populate_pages=%ld mlock_pages=%ld touched_pages=%ld gup_pages=%ld\n",
	       pop, lck, tch, pop + lck);
	return 0;
}

/* Read one byte of every page of a file mapping (major faults when the
 * page cache was dropped).
 */
static int cmd_filemap(int argc, char **argv)
{
	struct stat st;
	volatile char *m;
	long sum = 0;
	size_t i;
	int fd;

	if (argc != 3)
		usage(2);
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "pfscenario: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		perror("pfscenario: mmap file");
		return 1;
	}
	madvise((void *)m, st.st_size, MADV_RANDOM);	/* no fault-around batching */
	for (i = 0; i < (size_t)st.st_size; i += PAGE)
		sum += m[i];
	printf("pfscenario: file_pages=%zu sum=%ld\n", (size_t)st.st_size / PAGE, sum & 1);
	return 0;
}

/*
 * read() into buffers never touched from user space: every page of the
 * destination is first touched by copy_to_user, a kernel-mode fault on a
 * user address (tracepoint page_fault_kernel, still counted in min_flt).
 */
static int cmd_readfresh(int argc, char **argv)
{
	struct stat st;
	long passes, p, kpages = 0;
	ssize_t n;
	char *buf;
	int fd;

	if (argc != 4)
		usage(2);
	passes = num(argv[3], 1, 1000);
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0) {
		fprintf(stderr, "pfscenario: %s: %s\n", argv[2], errno ? strerror(errno) : "empty");
		return 1;
	}
	for (p = 0; p < passes; p++) {
		size_t len = (st.st_size + PAGE - 1) & ~(PAGE - 1);

		buf = anon(len);
		n = pread(fd, buf, st.st_size, 0);
		if (n != st.st_size) {
			fprintf(stderr, "pfscenario: short read\n");
			return 1;
		}
		kpages += len / PAGE;
		munmap(buf, len);
	}
	printf("pfscenario: kread_pages=%ld\n", kpages);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage(2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		usage(0);
	if (!strcmp(argv[1], "threads"))
		return cmd_threads(argc, argv);
	if (!strcmp(argv[1], "churn-worker"))
		return cmd_churn_worker(argc, argv);
	if (!strcmp(argv[1], "populate"))
		return cmd_populate(argc, argv);
	if (!strcmp(argv[1], "filemap"))
		return cmd_filemap(argc, argv);
	if (!strcmp(argv[1], "readfresh"))
		return cmd_readfresh(argc, argv);
	fprintf(stderr, "pfscenario: unknown subcommand '%s'\n", argv[1]);
	usage(2);
	return 2;
}
