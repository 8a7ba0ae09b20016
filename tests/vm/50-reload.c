// SPDX-License-Identifier: GPL-2.0
/*
 * 50-reload: insmod/rmmod many times (the course grader reloads between
 * tests) with registrations and a mapped buffer in flight.  rmmod while the
 * buffer is mapped is refused; rmmod while processes are registered is safe
 * and drops them; the registered processes' own accounting is untouched.
 * PFPROF_RELOAD_CYCLES overrides the 50 cycles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"
#include "pfprof/mp3_abi.h"

static int toucher(void *arg)
{
	char *p;
	size_t i;

	(void)arg;
	for (;;) {	/* fault continuously until killed */
		p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (i = 0; i < (1 << 20); i += 4096)
			p[i] = 1;
		munmap(p, 1 << 20);
		usleep(1000);
	}
	return 0;
}

int main(void)
{
	const char *env = getenv("PFPROF_RELOAD_CYCLES");
	int cycles = env ? atoi(env) : 50;
	int i, fd, ret, load_fail = 0, busy_ok = 0, unload_ok = 0, reg_fail = 0;
	struct pf_procstat before, after;
	struct pf_child c;
	void *p;

	if (cycles < 1)
		cycles = 50;
	tap_plan(6);
	if (!pf_ensure_unloaded())
		tap_bail("stale module");
	pf_spawn_held(&c, toucher, NULL);
	pf_release(&c);
	pf_read_procstat(c.pid, &before);
	for (i = 0; i < cycles; i++) {
		ret = pf_load(NULL);
		if (ret) {
			load_fail++;
			tap_diag("cycle %d: insmod: %s", i, strerror(-ret));
			continue;
		}
		if (pf_reg(c.pid) || pf_reg(getpid()))
			reg_fail++;
		fd = open("/dev/mp3", O_RDONLY);
		p = fd >= 0 ? mmap(NULL, MP3_BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
		pf_msleep(60 + (i % 3) * 20);	/* a sample or two in flight */
		ret = pf_unload();
		if (p != MAP_FAILED && (ret == -EBUSY || ret == -EAGAIN))
			busy_ok++;
		if (p != MAP_FAILED)
			munmap(p, MP3_BUF_SIZE);
		if (fd >= 0)
			close(fd);
		/* Unload while both processes are still registered. */
		ret = pf_unload();
		if (!ret)
			unload_ok++;
		else
			tap_diag("cycle %d: rmmod: %s", i, strerror(-ret));
	}
	tap_ok(load_fail == 0, "%d insmod cycles, %d failed", cycles, load_fail);
	tap_ok(reg_fail == 0, "registrations in every cycle (%d failed)", reg_fail);
	tap_ok(busy_ok == cycles, "rmmod refused while mapped in %d of %d cycles",
	       busy_ok, cycles);
	tap_ok(unload_ok == cycles, "rmmod with processes registered succeeded %d of %d",
	       unload_ok, cycles);
	pf_read_procstat(c.pid, &after);
	tap_ok(after.min_flt > before.min_flt,
	       "the profiled process's own counters keep counting (%llu -> %llu)",
	       before.min_flt, after.min_flt);
	tap_ok(kill(c.pid, 0) == 0 && access("/proc/mp3", F_OK) != 0,
	       "the profiled process survived; module gone");
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	return tap_finish();
}
