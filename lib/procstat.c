// SPDX-License-Identifier: GPL-2.0
/* procstat.c - a process's counters from /proc, and small time helpers (procstat.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"

int pf_read_procstat(pid_t pid, struct pf_procstat *ps)
{
	char path[64], buf[4096], *p;
	unsigned long long v[16];
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may contain spaces */
	if (!p)
		return -EPROTO;
	p += 2;
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime
	 */
	p = strchr(p, ' ');	/* skip state */
	for (i = 0; i < 14 && p; i++)
		v[i] = strtoull(p, &p, 10);
	ps->min_flt = v[6];
	ps->cmin_flt = v[7];
	ps->maj_flt = v[8];
	ps->cmaj_flt = v[9];
	ps->utime_ticks = v[10];
	ps->stime_ticks = v[11];
	ps->cutime_ticks = v[12];
	ps->cstime_ticks = v[13];
	return 0;
}

long long pf_read_runtime_ns(pid_t pid)
{
	char path[320];
	long long sum = 0, ns;
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lld", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * Wait until @pid sleeps (state S in /proc/PID/stat): e.g. a held child
 * blocked in its read() of the go pipe.  Until then it may still be
 * faulting in pages after fork(), so its counters are not yet a stable
 * base.
 */
int pf_wait_blocked(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 20000; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		pf_msleep(1);
	}
	return -ETIMEDOUT;
}

void pf_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t pf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
