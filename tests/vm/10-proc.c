// SPDX-License-Identifier: GPL-2.0
/*
 * 10-proc: the /proc/mp3/status interface and the device's mmap rules.
 * Every command gets the errno docs/abi.md promises, and every rejected
 * command leaves the registration list exactly as it was.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"
#include "pfprof/mp3_abi.h"

static pthread_t th;
static volatile pid_t th_tid;

static void *thread_fn(void *arg)
{
	(void)arg;
	th_tid = syscall(SYS_gettid);
	pause();
	return NULL;
}

struct bad {
	const char *name;
	const char *buf;
	size_t len;
};

/* Check that a write fails with @err and the status text is unchanged. */
static void expect_rejected(const char *name, const void *buf, size_t len,
			    int err)
{
	char before[4096];
	int ret;

	snprintf(before, sizeof(before), "%s", pf_status_text());
	ret = mp3ctl_write(buf, len);
	if (!tap_ok(ret == -err && !strcmp(before, pf_status_text()),
		    "rejects %s with %s, list unchanged", name, strerror(err)))
		tap_diag("got %d (%s)", ret, strerror(-ret));
}

int main(void)
{
	static const struct bad bad[] = {
		{ "lone letter", "R", 1 },
		{ "letter and blank", "R \n", 3 },
		{ "non-numeric pid", "R abc\n", 6 },
		{ "unknown command", "X 1\n", 4 },
		{ "lowercase command", "r 1\n", 4 },
		{ "missing blank", "R1\n", 3 },
		{ "negative pid", "R -1\n", 5 },
		{ "zero pid", "R 0\n", 4 },
		{ "pid above PID_MAX_LIMIT", "R 4194305\n", 10 },
		{ "huge pid", "R 99999999999999999999\n", 23 },
		{ "two pids", "R 1 2\n", 6 },
		{ "two newlines", "R 1\n\n", 5 },
		{ "trailing garbage", "R 1x\n", 5 },
		{ "leading blank", " R 1\n", 5 },
		{ "embedded NUL", "R 1\0\n", 5 },
		{ "plus sign", "R +1\n", 5 },
		{ "hex pid", "R 0x10\n", 7 },
	};
	struct pf_child c;
	char line[64], *big;
	struct stat st;
	pid_t pids[8];
	size_t i;
	int n, ret, fd;
	volatile long *buf;
	volatile struct mp3_stream_hdr *h;
	long i1;
	bool all;
	void *p;

	tap_plan(56);
	if (!pf_ensure_unloaded())
		tap_bail("cannot unload a stale mp3 module");
	ret = pf_load(NULL);
	if (!tap_ok(ret == 0, "insmod mp3.ko"))
		tap_bail(strerror(-ret));

	tap_ok(stat("/dev/mp3", &st) == 0 && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) == 423 && minor(st.st_rdev) == 0,
	       "/dev/mp3 appears as char 423:0");
	tap_ok(access("/proc/mp3/tasks", R_OK) == 0 &&
	       access("/proc/mp3/stats", R_OK) == 0, "/proc/mp3/tasks and stats exist");
	tap_ok(pf_list(pids, 8) == 0, "status lists nothing after load");
	tap_ok(pf_stat("samples_written") == 0, "no samples written after load");

	/* mmap rules. */
	fd = open("/dev/mp3", O_RDWR);
	tap_ok(fd >= 0, "open /dev/mp3 O_RDWR as root");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	tap_ok(p == MAP_FAILED && errno == EINVAL, "mmap at a non-zero offset: EINVAL");
	p = mmap(NULL, MP3_BUF_SIZE + 4096, PROT_READ, MAP_SHARED, fd, 0);
	tap_ok(p == MAP_FAILED && errno == EINVAL, "mmap past the buffer: EINVAL");
	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	tap_ok(p == MAP_FAILED && errno == EINVAL, "private mmap: EINVAL");
	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_ok(p != MAP_FAILED, "shared RW mmap of 128 pages");
	if (p == MAP_FAILED)
		tap_bail("no mapping");
	buf = p;
	all = true;
	for (i1 = 0; i1 < (long)(MP3_HDR_OFFSET / sizeof(long)); i1++)
		if (buf[i1] != -1)
			all = false;
	tap_ok(all, "ring and guard are all -1 before any sample");
	h = (void *)((char *)p + MP3_HDR_OFFSET);
	tap_ok(h->magic == MP3_STREAM_MAGIC && h->version == 1 &&
	       h->hdr_size == sizeof(struct mp3_stream_hdr) &&
	       h->capacity == 12000 && h->record_size == 32 &&
	       h->stamps_offset == MP3_STAMPS_OFFSET,
	       "stream header v1: magic, size, capacity 12000, record 32 bytes");
	tap_ok(h->period_us == 50000, "header period_us is 50000 (%u)", h->period_us);
	tap_ok(h->hz == (unsigned)sysconf(_SC_CLK_TCK) || h->hz >= 100,
	       "header HZ is plausible (%u)", h->hz);
	tap_ok(h->written == 0, "header written is 0");
	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	tap_ok(p != MAP_FAILED && munmap(p, MP3_BUF_SIZE) == 0, "read-only shared mmap");
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	tap_ok(p != MAP_FAILED && ((volatile long *)p)[0] == -1,
	       "a shorter mapping from offset 0");
	if (p != MAP_FAILED)
		munmap(p, 8192);


	if (pf_spawn_held(&c, pf_sleeper, NULL))
		tap_bail("fork");
	ret = pf_reg(c.pid);
	tap_ok(ret == 0, "R <pid> registers (%d)", ret);
	n = pf_list(pids, 8);
	tap_ok(n == 1 && pids[0] == c.pid, "status lists the pid");
	/* the line first: the order an argument list is evaluated in is unspecified */
	snprintf(line, sizeof(line), "R %d\n", c.pid);
	expect_rejected("a second R of the same pid", line, strlen(line), EEXIST);
	expect_rejected("R of a pid with no process", "R 4194000\n", 10, ESRCH);
	expect_rejected("U of an unregistered pid", "U 1\n", 4, ENOENT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_rejected(bad[i].name, bad[i].buf, bad[i].len, EINVAL);
	big = malloc(1 << 20);
	memset(big, ' ', 1 << 20);
	big[0] = 'R';
	memcpy(big + (1 << 20) - 3, "1\n", 2);
	expect_rejected("a 1 MiB write", big, 1 << 20, EINVAL);
	snprintf(line, sizeof(line), "R %0*d\n", 40, c.pid);
	expect_rejected("an oversized write (over 32 bytes)", line, strlen(line), EINVAL);
	free(big);

	pthread_create(&th, NULL, thread_fn, NULL);
	while (!th_tid)
		pf_msleep(1);
	snprintf(line, sizeof(line), "R %d\n", (int)th_tid);
	expect_rejected("R of a thread id (not a process)", line, strlen(line), ESRCH);

	tap_ok(pf_unreg(c.pid) == 0 && pf_list(pids, 8) == 0,
	       "U <pid> unregisters; list empty");
	snprintf(line, sizeof(line), "R\t \t%d", c.pid);
	ret = mp3ctl_write(line, strlen(line));
	tap_ok(ret == 0 && pf_list(pids, 8) == 1, "tabs and no newline accepted (%d)", ret);
	snprintf(line, sizeof(line), "U %d", c.pid);
	tap_ok(mp3ctl_write(line, strlen(line)) == 0 && pf_list(pids, 8) == 0,
	       "U without newline");

	/* A zombie cannot be registered. */
	kill(c.pid, SIGKILL);
	pf_msleep(100);
	snprintf(line, sizeof(line), "R %d\n", c.pid);
	expect_rejected("R of a zombie", line, strlen(line), ESRCH);
	waitpid(c.pid, NULL, 0);
	expect_rejected("R of a reaped pid", line, strlen(line), ESRCH);

	/* Unload while mapped: refused, then fine once unmapped. */
	ret = pf_unload();
	tap_ok(ret == -EBUSY || ret == -EAGAIN || ret == -EWOULDBLOCK,
	       "rmmod while mapped is refused (%s)", strerror(-ret));
	munmap((void *)buf, MP3_BUF_SIZE);
	close(fd);
	ret = pf_unload();
	tap_ok(ret == 0, "rmmod after unmapping (%d)", ret);
	tap_ok(access("/proc/mp3", F_OK) != 0 && access("/dev/mp3", F_OK) != 0,
	       "proc dir and device node gone after rmmod");

	/* Module parameters are validated. */
	tap_ok(pf_load("period_ms=0") == -EINVAL, "period_ms=0 refused with EINVAL");
	tap_ok(pf_load("period_ms=10001") == -EINVAL, "period_ms=10001 refused");
	tap_ok(pf_load("max_registrations=0") == -EINVAL, "max_registrations=0 refused");
	tap_ok(pf_load("major=512") == -EINVAL, "major=512 refused");
	ret = pf_load("major=0 period_ms=20");
	tap_ok(ret == 0 && stat("/dev/mp3", &st) == 0 && major(st.st_rdev) != 423,
	       "major=0 gets a dynamic major (%d)", ret ? -1 : (int)major(st.st_rdev));
	tap_ok(pf_unload() == 0, "rmmod (dynamic major)");
	return tap_finish();
}
