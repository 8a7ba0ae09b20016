// SPDX-License-Identifier: GPL-2.0
/*
 * report_test - unit test of pfwitness's row collection (bpf/witness/report.c):
 * when memory runs out while a snapshot grows, pfw_snap_add() says so
 * (-ENOMEM) and leaves the snapshot as it was, still usable.  realloc is
 * wrapped (-Wl,--wrap=realloc) to fail on request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "lib/tap.h"

void *__real_realloc(void *p, size_t n);
static int fail_next;	/* realloc calls from now on that fail */

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_next) {
		fail_next--;
		return NULL;
	}
	return __real_realloc(p, n);
}

int main(void)
{
	struct pfw_snap s = {};
	struct pfw_row r = {};
	int i, err = 0, n;

	tap_plan(4);
	for (i = 1; i <= 256 && !err; i++) {	/* the first block: 256 rows */
		r.slot = r.id = i;
		err = pfw_snap_add(&s, &r);
	}
	tap_ok(!err && s.n == 256, "256 rows fit the first block");
	fail_next = 1;
	r.slot = r.id = 257;
	err = pfw_snap_add(&s, &r);
	tap_ok(err == -ENOMEM, "growing with no memory: -ENOMEM");
	n = 0;
	for (i = 0; i < s.n; i++)
		n += s.rows[i].id == (__u32)i + 1;
	tap_ok(s.n == 256 && n == 256, "the snapshot is as it was: 256 rows, intact");
	err = pfw_snap_add(&s, &r);
	tap_ok(!err && s.n == 257 && s.rows[256].id == 257, "with memory again, the row is added");
	pfw_snap_free(&s);
	return tap_finish();
}
