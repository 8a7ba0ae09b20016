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

/*
 * Read /proc/PID/stat into @buf and point @fields at what follows comm:
 * the state, then the numbers.  comm may hold spaces and ")", so it ends
 * at the last ")".  0, or -errno (-EIO an empty read, -EPROTO no ")").
 */
static int pf_read_stat_raw(pid_t pid, char *buf, size_t len, char **fields)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EPROTO;
	*fields = p + 2;
	return 0;
}

int pf_read_procstat(pid_t pid, struct pf_procstat *ps)
{
	char buf[4096], *p;
	unsigned long long v[16];
	int i, err;

	err = pf_read_stat_raw(pid, buf, sizeof(buf), &p);
	if (err)
		return err;
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
	char buf[512], *state;
	int i, err;

	for (i = 0; i < 20000; i++) {
		err = pf_read_stat_raw(pid, buf, sizeof(buf), &state);
		if (err)
			return err;
		if (*state == 'S')
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
