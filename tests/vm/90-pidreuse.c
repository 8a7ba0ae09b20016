// SPDX-License-Identifier: GPL-2.0
/*
 * 90-pidreuse: a registered process exits and a new process gets the same
 * PID before the next sample.  The new process must not be profiled: its
 * faults never reach the samples, the old registration is dropped, and
 * "U <pid>" no longer finds anything.
 *
 * The PID is reused through /proc/sys/kernel/ns_last_pid (pf_fork_as())
 * where the kernel has it (CONFIG_CHECKPOINT_RESTORE, as Debian's);
 * elsewhere (the debug lane's kernel) through pid_max: with pid_max = 301
 * the only PID left to allocate once the cursor has passed 300 is 300
 * (RESERVED_PIDS), so A is made PID 300 and B, the next process after A
 * dies, gets it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

static int faulter(void *arg)
{
	size_t i, pages = 2000;
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	madvise(p, pages * 4096, MADV_NOHUGEPAGE);
	for (i = 0; i < pages; i++)
		p[i * 4096] = 1;
	pause();
	return 0;
}

#define PID_MAX "/proc/sys/kernel/pid_max"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), n = strlen(val), rc;

	if (fd < 0)
		return -errno;
	rc = write(fd, val, n) == n ? 0 : -errno;
	close(fd);
	return rc;
}

/* Spawn A (held); in pid_max mode, until it is PID 300. */
static void spawn_a(struct pf_child *a, bool via_pid_max)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (pf_spawn_held(a, pf_sleeper, NULL))
			tap_bail("fork");
		if (!via_pid_max || a->pid == 300)
			return;
		kill(a->pid, SIGKILL);
		waitpid(a->pid, NULL, 0);
	}
	tap_bail("never got PID 300 with pid_max = 301");
}

int main(void)
{
	struct pf_child a, b;
	struct pf_procstat ps;
	struct mp3_sample s;
	struct mp3buf m;
	uint64_t next, lost = 0;
	long ring_min = 0;
	char old_max[32] = "";
	bool via_pid_max;
	int i;

	tap_plan(7);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	if (mp3buf_open(&m, "/dev/mp3", false) || !m.hdr)
		tap_bail("map");
	/* PFPROF_PIDREUSE_PID_MAX=1 forces the fallback (to test it here). */
	via_pid_max = getenv("PFPROF_PIDREUSE_PID_MAX") ||
		      access("/proc/sys/kernel/ns_last_pid", W_OK) != 0;
	if (via_pid_max) {
		FILE *f = fopen(PID_MAX, "r");

		if (!f || !fgets(old_max, sizeof(old_max), f) || write_file(PID_MAX, "301"))
			tap_bail("no ns_last_pid, and cannot set pid_max");
		fclose(f);
		tap_diag("no ns_last_pid: PID reuse through pid_max = 301 (was %.*s)",
			 (int)strcspn(old_max, "\n"), old_max);
	}
	spawn_a(&a, via_pid_max);
	tap_ok(pf_reg(a.pid) == 0, "register process A (pid %d)", a.pid);
	pf_msleep(120);
	next = mp3buf_written(&m);

	/* A dies; B is created with A's PID right away. */
	kill(a.pid, SIGKILL);
	waitpid(a.pid, NULL, 0);
	pf_spawn_held_as(&b, via_pid_max ? 0 : a.pid, faulter, NULL);
	if (via_pid_max)
		write_file(PID_MAX, old_max);
	if (b.pid < 0)
		tap_bail(via_pid_max ? "fork" : "cannot give B A's PID through ns_last_pid");
	tap_ok(b.pid == a.pid, "process B got A's PID (%d)", b.pid);
	pf_release(&b);
	/* until B has touched its 2000 pages (it then pauses), at most 20 s */
	for (i = 0; i < 400; i++) {
		pf_read_procstat(b.pid, &ps);
		if (ps.min_flt >= 2000)
			break;
		pf_msleep(50);
	}
	pf_msleep(150);	/* sampler passes (50 ms) that could wrongly see B */

	while (mp3buf_follow(&m, &next, &lost, &s))
		ring_min += s.min_flt;
	tap_diag("B has %llu minor faults; samples since A died sum to %ld",
		 ps.min_flt, ring_min);
	tap_ok(ps.min_flt >= 2000 && ring_min == 0,
	       "none of B's faults reached the samples");
	tap_ok(pf_list(NULL, 0) == 0 && pf_stat("exited_total") == 1,
	       "A's registration was dropped when A exited");
	tap_ok(pf_stat("sampling") == 0, "sampler stopped (nothing registered)");
	tap_ok(pf_unreg(b.pid) == -ENOENT, "U <pid> now finds no registration");
	tap_ok(pf_reg(b.pid) == 0 && pf_unreg(b.pid) == 0,
	       "B can be registered as a new process");
	kill(b.pid, SIGKILL);
	waitpid(b.pid, NULL, 0);
	mp3buf_close(&m);
	pf_unload();
	return tap_finish();
}
