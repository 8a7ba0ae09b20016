// SPDX-License-Identifier: GPL-2.0
/*
 * 85-threads: a registered process whose 16 threads fault concurrently and
 * exit at random moments.  The module's totals for it (the samples summed,
 * and /proc/mp3/tasks) equal /proc/PID/stat exactly, dead threads included;
 * after it exits, its final counts arrive in the next sample and it is
 * unregistered automatically.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define THREADS 16

static void *thread_fn(void *arg)
{
	unsigned int r = (unsigned int)(long)arg * 2654435761u;
	int rounds = 1 + (r >> 4) % 20, i;
	size_t k, pages;
	char *p;

	for (i = 0; i < rounds; i++) {
		pages = 16 + (r >> 8) % 64;
		p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		madvise(p, pages * 4096, MADV_NOHUGEPAGE);
		for (k = 0; k < pages; k++)
			p[k * 4096] = 1;
		munmap(p, pages * 4096);
		r = r * 1103515245u + 12345u;
		usleep(r % 20000);
	}
	return NULL;
}

/* Child: wait to be registered, run the threads, then wait for "x". */
static int threaded(void *arg)
{
	int *fds = arg;
	pthread_t th[THREADS];
	char b;
	int i;

	/* They end on their own, at random; joining only waits for the
	 * last (a joined thread has left its mm: it faults no more).
	 */
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, thread_fn, (void *)(long)(i + 1));
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	if (write(fds[1], "d", 1) != 1)	/* every thread is gone */
		return 2;
	if (read(fds[0], &b, 1) != 1)
		return 3;
	return 0;
}

/* Read our row from /proc/mp3/tasks: counts since registration + base. */
static int tasks_row(pid_t pid, unsigned long long *min, unsigned long long *maj,
		     unsigned long long *bmin, unsigned long long *bmaj)
{
	FILE *f = fopen("/proc/mp3/tasks", "r");
	char line[512];
	int p, found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %llu %llu %*u %*u %llu %llu", &p, min, maj,
			   bmin, bmaj) == 5 && p == pid)
			found = 1;
	fclose(f);
	return found;
}

int main(void)
{
	unsigned long long tmin, tmaj, bmin, bmaj;
	struct pf_procstat ps, ps0;
	int to_child[2], from_child[2], fds[2], i, found, status;
	long ring_min = 0, ring_maj = 0;
	struct mp3_sample s;
	struct pf_child c;
	struct mp3buf m;
	uint64_t next, lost = 0;
	struct rusage ru;
	char b;

	tap_plan(7);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	if (mp3buf_open(&m, "/dev/mp3", false) || !m.hdr)
		tap_bail("map");
	if (pipe(to_child) || pipe(from_child))
		tap_bail("pipe");
	fds[0] = to_child[0];
	fds[1] = from_child[1];
	pf_spawn_held(&c, threaded, fds);
	next = mp3buf_written(&m);
	pf_read_procstat(c.pid, &ps0);
	tap_ok(pf_reg(c.pid) == 0, "register the (held) process");
	pf_release(&c);
	if (read(from_child[0], &b, 1) != 1)
		tap_bail("child died");
	/* quiescent once main is blocked reading "x": threads all joined */
	if (pf_wait_blocked(c.pid))
		tap_bail("the child never blocked");
	pf_read_procstat(c.pid, &ps);
	found = tasks_row(c.pid, &tmin, &tmaj, &bmin, &bmaj);
	tap_diag("/proc/PID/stat minflt %llu (at registration %llu), tasks: +%llu base %llu",
		 ps.min_flt, ps0.min_flt, tmin, bmin);
	tap_ok(found && bmin == ps0.min_flt && bmaj == ps0.maj_flt,
	       "tasks: counters at registration match /proc/PID/stat then");
	tap_ok(found && bmin + tmin == ps.min_flt && bmaj + tmaj == ps.maj_flt,
	       "tasks: totals == /proc/PID/stat, dead threads included (%llu)", ps.min_flt);
	while (mp3buf_follow(&m, &next, &lost, &s)) {
		ring_min += s.min_flt;
		ring_maj += s.maj_flt;
	}
	tap_ok(ring_min + (long)ps0.min_flt <= (long)ps.min_flt,
	       "samples so far never exceed the process's count");
	/* Let it exit (registered) and be reaped; its last window must come. */
	if (write(to_child[1], "x", 1) != 1)
		tap_bail("write");
	wait4(c.pid, &status, 0, &ru);
	for (i = 0; i < 40 && pf_stat("registrations"); i++)
		pf_msleep(50);
	tap_ok(pf_stat("registrations") == 0 && pf_stat("exited_total") == 1,
	       "the exited process was unregistered automatically");
	while (mp3buf_follow(&m, &next, &lost, &s)) {
		ring_min += s.min_flt;
		ring_maj += s.maj_flt;
	}
	/* The child has no children, so wait4's rusage is its final total. */
	tap_ok(ring_min + (long)ps0.min_flt == ru.ru_minflt && lost == 0,
	       "samples + base == final total from wait4 (%ld + %llu vs %ld)",
	       ring_min, ps0.min_flt, ru.ru_minflt);
	tap_ok(ring_maj + (long)ps0.maj_flt == ru.ru_majflt,
	       "major: samples + base == wait4 (%ld + %llu vs %ld)",
	       ring_maj, ps0.maj_flt, ru.ru_majflt);
	mp3buf_close(&m);
	pf_unload();
	return tap_finish();
}
