// SPDX-License-Identifier: GPL-2.0
/*
 * 95-security: the access rules of docs/abi.md.  Loaded with ctl_gid=1000
 * max_registrations=4; "user" below is uid 1000 / gid 1000 (in ctl_gid),
 * "stranger" is uid 1001 / gid 1001.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"
#include "pfprof/mp3_abi.h"

/* Exit codes carry an errno (0 = success). */
static int do_reg(long pid)
{
	return -pf_reg(pid);
}

static int do_unreg(long pid)
{
	return -pf_unreg(pid);
}

static int open_status_w(long unused)
{
	int fd = open("/proc/mp3/status", O_WRONLY);

	(void)unused;
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int map_rw(long unused)
{
	int fd = open("/dev/mp3", O_RDWR);
	void *p;

	(void)unused;
	if (fd < 0)
		return 200 + (errno & 0x3f);
	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? errno : 0;
}

/* Read-only map works; mprotect to writable must fail. */
static int map_ro_then_write(long unused)
{
	int fd = open("/dev/mp3", O_RDWR);
	void *p;

	(void)unused;
	if (fd < 0)
		return 200 + (errno & 0x3f);
	p = mmap(NULL, MP3_BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 100 + (errno & 0x3f);
	if (((volatile long *)p)[0] != -1 && ((volatile long *)p)[0] <= 0)
		return 150;
	return mprotect(p, MP3_BUF_SIZE, PROT_READ | PROT_WRITE) ? errno : 0;
}

/* Count the PIDs this user sees in status (exit code = count). */
static int count_visible(long unused)
{
	(void)unused;
	return pf_list(NULL, 0);
}

int main(void)
{
	struct pf_child mine, roots, extra[4];
	pid_t nodump;
	char text[4096];
	int i, ret;

	tap_plan(15);
	if (!pf_ensure_unloaded() || pf_load("ctl_gid=1000 max_registrations=4"))
		tap_bail("cannot load mp3.ko with ctl_gid=1000");

	/*
	 * A process owned by the user (exec'd after the uid change, so it is
	 * dumpable like any process the user starts), one that changed uid
	 * without exec (non-dumpable, like a setuid program after dropping
	 * privileges), and one owned by root.
	 */
	mine.pid = fork();
	if (mine.pid == 0) {
		pf_become(1000, 1000);
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(97);
	}
	nodump = fork();
	if (nodump == 0) {
		pf_become(1000, 1000);
		pause();
		_exit(0);
	}
	pf_spawn_held(&roots, pf_sleeper, NULL);
	pf_msleep(50);

	ret = pf_as_user(1001, 1001, open_status_w, 0);
	tap_ok(ret == EACCES, "a user outside ctl_gid cannot open status for writing (%s)",
	       strerror(ret));
	ret = pf_as_user(1000, 1000, do_reg, roots.pid);
	tap_ok(ret == EPERM, "user cannot register a root process: EPERM (%s)", strerror(ret));
	ret = pf_as_user(1000, 1000, do_reg, 1);
	tap_ok(ret == EPERM, "user cannot register init: EPERM (%s)", strerror(ret));
	ret = pf_as_user(1000, 1000, do_reg, nodump);
	tap_ok(ret == EPERM, "user cannot register its own non-dumpable process: EPERM (%s)",
	       strerror(ret));
	ret = pf_as_user(1000, 1000, do_reg, mine.pid);
	tap_ok(ret == 0, "user registers its own process (%s)", strerror(ret));
	tap_ok(pf_reg(roots.pid) == 0, "root registers a root process");
	ret = pf_as_user(1000, 1000, do_unreg, roots.pid);
	tap_ok(ret == EPERM, "user cannot unregister root's registration: EPERM (%s)",
	       strerror(ret));
	ret = pf_as_user(1000, 1000, count_visible, 0);
	tap_ok(ret == 1, "user sees only its own registration in status (%d)", ret);
	tap_ok(pf_list(NULL, 0) == 2, "root sees both");

	/* The bound: 4 registrations at most. */
	for (i = 0; i < 3; i++)
		pf_spawn_held(&extra[i], pf_sleeper, NULL);
	pf_reg(extra[0].pid);
	pf_reg(extra[1].pid);
	ret = pf_reg(extra[2].pid);
	tap_ok(ret == -ENOSPC && pf_list(NULL, 0) == 4,
	       "the 5th registration gets ENOSPC, list unchanged (%s)", strerror(-ret));
	tap_ok(pf_unreg(mine.pid) == 0, "root may unregister the user's registration");

	/* Mapping: the node is root-only (0600); opened up, still read-only. */
	ret = pf_as_user(1000, 1000, map_rw, 0);
	tap_ok(ret == 200 + EACCES, "/dev/mp3 is root-only by default (open: EACCES)");
	chmod("/dev/mp3", 0666);
	ret = pf_as_user(1000, 1000, map_rw, 0);
	tap_ok(ret == EPERM, "non-root cannot map the buffer writable: EPERM (%s)",
	       strerror(ret));
	ret = pf_as_user(1000, 1000, map_ro_then_write, 0);
	tap_ok(ret == EACCES, "non-root read-only mapping cannot be mprotect'ed writable (%d)",
	       ret);

	/* No kernel addresses anywhere. */
	snprintf(text, sizeof(text), "%s", pf_status_text());
	{
		FILE *f;
		char line[512];
		int leak = 0;
		const char *files[] = { "/proc/mp3/tasks", "/proc/mp3/stats" };

		for (i = 0; i < 2; i++) {
			f = fopen(files[i], "r");
			while (f && fgets(line, sizeof(line), f))
				if (strstr(line, "ffff") || strstr(line, "0x"))
					leak++;
			if (f)
				fclose(f);
		}
		tap_ok(leak == 0, "tasks and stats print no kernel addresses");
	}
	kill(mine.pid, SIGKILL);
	kill(nodump, SIGKILL);
	kill(roots.pid, SIGKILL);
	for (i = 0; i < 3; i++)
		kill(extra[i].pid, SIGKILL);
	while (wait(NULL) > 0)
		;
	pf_msleep(200);
	pf_unload();
	return tap_finish();
}
