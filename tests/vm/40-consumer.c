// SPDX-License-Identifier: GPL-2.0
/*
 * 40-consumer: a reader that follows the assignment's -1 protocol (scan for
 * the first slot that is not -1, print, write -1 back, wrap after 48000
 * longs, stop at a -1), run repeatedly while sampling goes on, reads every
 * sample exactly once and in order; and a header-following reader run
 * after it returns none of the consumed slots and counts each one lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define MAXS 4000
static long got[MAXS][4];
static int ngot;

/* The assignment's monitor loop, verbatim in behaviour. */
static void drain(volatile long *buf)
{
	long index;
	int k;

	for (index = 0; index < (long)MP3_RING_LONGS; index++)
		if (buf[index] != -1)
			break;
	while (buf[index] != -1) {
		for (k = 0; k < 4; k++) {
			if (ngot < MAXS)
				got[ngot][k] = buf[index];
			buf[index++] = -1;
			if (index >= (long)MP3_RING_LONGS)
				index = 0;
		}
		ngot++;
	}
}

int main(void)
{
	struct pf_child c;
	struct mp3buf rw, ro;
	struct mp3_sample s;
	uint64_t next = 0, lost = 0, w;
	int i, drains = 0, inorder = 1, nf = 0;

	tap_plan(6);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	if (mp3buf_open(&rw, "/dev/mp3", true) || mp3buf_open(&ro, "/dev/mp3", false))
		tap_bail("cannot map /dev/mp3");

	drain(rw.longs);
	tap_ok(ngot == 0, "an empty buffer yields no samples (stops at the guard)");

	pf_spawn_held(&c, pf_sleeper, NULL);
	pf_reg(c.pid);
	/* Drain every 130 ms for ~4 s: each drain catches a few samples. */
	for (i = 0; i < 30; i++) {
		pf_msleep(130);
		drain(rw.longs);
		drains++;
	}
	pf_unreg(c.pid);
	drain(rw.longs);
	w = mp3buf_written(&ro);
	tap_diag("%d drains, %d samples consumed, %llu written", drains, ngot,
		 (unsigned long long)w);
	tap_ok((uint64_t)ngot == w && w > 50, "every written sample consumed exactly once (%d of %llu)",
	       ngot, (unsigned long long)w);
	for (i = 1; i < ngot && i < MAXS; i++)
		if (got[i][0] < got[i - 1][0])
			inorder = 0;
	tap_ok(inorder, "samples come out in jiffies order");

	/*
	 * The follower (read-only, header) after the -1 consumer: every slot
	 * it would copy was consumed (set to -1), so it returns none of them
	 * as samples and counts each one lost (docs/abi.md, protocol 2).
	 */
	while (mp3buf_follow(&ro, &next, &lost, &s))
		nf++;
	tap_ok(nf == 0 && lost == w,
	       "header follower after the -1 consumer: all %llu consumed samples counted lost, none returned (%d returned, %llu lost)",
	       (unsigned long long)w, nf, (unsigned long long)lost);
	tap_ok(pf_stat("samples_overwritten") == 0,
	       "no slot was overwritten before the -1 consumer took it");
	drain(rw.longs);
	tap_ok(ngot == (int)w, "nothing new after the last unregistration");
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	mp3buf_close(&rw);
	mp3buf_close(&ro);
	pf_unload();
	return tap_finish();
}
