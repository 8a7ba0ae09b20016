// SPDX-License-Identifier: GPL-2.0
/*
 * 20-sampling: the sampler runs only while something is registered, starts
 * on the first registration, stops after the last, and keeps 20.0 samples/s
 * (fixed deadlines) over at least 200 samples.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

int main(void)
{
	struct pf_child a, b;
	struct mp3buf m;
	uint64_t w0, w1, w2, first, last, n;
	double mean_ms, rate;
	long long written;
	int ret;

	tap_plan(12);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	if (mp3buf_open(&m, "/dev/mp3", false) || !m.hdr)
		tap_bail("cannot map /dev/mp3");

	pf_msleep(500);
	tap_ok(pf_stat("samples_written") == 0 && mp3buf_written(&m) == 0 &&
	       pf_stat("sampling") == 0, "no samples while nobody is registered");

	pf_spawn_held(&a, pf_sleeper, NULL);
	pf_spawn_held(&b, pf_sleeper, NULL);
	ret = pf_reg(a.pid);
	tap_ok(ret == 0 && pf_stat("sampling") == 1,
	       "first registration starts the sampler");
	w0 = mp3buf_written(&m);
	pf_reg(b.pid);
	/* 200+ intervals: 10.5 s at 50 ms. */
	pf_msleep(10500);
	pf_unreg(a.pid);
	w1 = mp3buf_written(&m);
	tap_ok(pf_stat("sampling") == 1 && w1 > w0,
	       "sampler keeps running while one registration is left");
	pf_unreg(b.pid);
	w1 = mp3buf_written(&m);
	tap_ok(pf_stat("sampling") == 0, "last unregistration stops the sampler");
	pf_msleep(500);
	w2 = mp3buf_written(&m);
	tap_ok(w2 == w1, "no samples after the last unregistration (%llu -> %llu)",
	       (unsigned long long)w1, (unsigned long long)w2);

	/* Rate from the module's own CLOCK_MONOTONIC stamps (periodic samples
	 * only: the last one is the partial window written by the final U).
	 */
	n = w1 - 1;
	first = m.stamps[0];
	last = m.stamps[(n - 1) % MP3_RING_SAMPLES];
	mean_ms = (double)(last - first) / (double)(n - 1) / 1e6;
	rate = 1000.0 / mean_ms;
	tap_diag("%llu periodic samples, mean interval %.4f ms, %.3f samples/s",
		 (unsigned long long)n, mean_ms, rate);
	tap_ok(n >= 200, "at least 200 samples in 10.5 s (%llu)", (unsigned long long)n);
	tap_ok(fabs(rate - 20.0) <= 0.2, "20 samples/s within 1%% (%.3f)", rate);
	written = pf_stat("period_mean_ns");
	tap_ok(written > 0 && fabs(written / 1e6 - 50.0) <= 0.5,
	       "stats period_mean_ns within 1%% of 50 ms (%lld)", written);
	tap_ok(pf_stat("samples_written") == (long long)w1,
	       "stats samples_written matches the header (%lld)", pf_stat("samples_written"));
	tap_ok(m.longs[0] != -1 && m.longs[(n - 1) * 4] >= m.longs[0],
	       "jiffies stamps increase");

	/* A second run restarts the sampler. */
	pf_reg(a.pid);
	pf_msleep(400);
	w2 = mp3buf_written(&m);
	tap_ok(w2 >= w1 + 4, "re-registering restarts sampling (%llu new)",
	       (unsigned long long)(w2 - w1));
	kill(a.pid, SIGKILL);
	kill(b.pid, SIGKILL);
	waitpid(a.pid, NULL, 0);
	waitpid(b.pid, NULL, 0);
	pf_msleep(300);
	tap_ok(pf_list(NULL, 0) == 0 && pf_stat("sampling") == 0,
	       "an exited process is dropped and the sampler stops");
	mp3buf_close(&m);
	pf_unload();
	return tap_finish();
}
