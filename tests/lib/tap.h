/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - minimal KTAP/TAP output for pfprof's test programs, in the shape
 * of tools/testing/selftests/kselftest.h: a plan, then one "ok N name" or
 * "not ok N name" per test, "# " diagnostics, and an exit status that is
 * non-zero when anything failed.
 */
#ifndef PFPROF_TAP_H
#define PFPROF_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed, tap_planned;

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int tap_ok(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Report one result; returns @ok so callers can chain on it. */
static inline int tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

static inline void tap_skip(const char *name, const char *reason)
{
	printf("ok %d %s # SKIP %s\n", ++tap_n, name, reason);
	fflush(stdout);
}

/* Stop early, failing every test not yet reported. */
static inline void tap_bail(const char *why)
{
	printf("# bailing out: %s\n", why);
	while (tap_n < tap_planned)
		tap_ok(0, "not run (%s)", why);
	exit(1);
}

static inline int tap_finish(void)
{
	if (tap_n != tap_planned) {
		printf("# planned %d tests, ran %d\n", tap_planned, tap_n);
		return 1;
	}
	printf("# %d passed, %d failed\n", tap_n - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
