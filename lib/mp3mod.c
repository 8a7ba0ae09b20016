// SPDX-License-Identifier: GPL-2.0
/* mp3mod.c - load, unload and read mp3.ko's statistics (mp3mod.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mp3mod.h"
#include "procstat.h"

const char *pf_root(void)
{
	const char *r = getenv("PFPROF_ROOT");

	return r && *r ? r : "/pfprof";
}

int pf_load(const char *params)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/mp3.ko", pf_root());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		ret = -errno;
	close(fd);
	return ret;
}

int pf_unload(void)
{
	if (syscall(SYS_delete_module, "mp3", O_NONBLOCK))
		return -errno;
	return 0;
}

long pf_refcnt(void)
{
	FILE *f = fopen("/sys/module/mp3/refcnt", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

bool pf_ensure_unloaded(void)
{
	int i, ret;

	for (i = 0; i < 100; i++) {
		ret = pf_unload();
		if (!ret || ret == -ENOENT)
			return true;
		pf_msleep(50);
	}
	return false;
}

long long pf_stat(const char *key)
{
	FILE *f = fopen("/proc/mp3/stats", "r");
	char k[64];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key)) {
			ret = v;
			break;
		}
	fclose(f);
	return ret;
}
