// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * views_test - pftrace's views (bpf/trace/views/) return their errors:
 * with calloc wrapped to fail (-Wl,--wrap=calloc), each view's interval
 * (and heat's end) returns -ENOMEM instead of dropping it, and returns 0
 * when calloc works.  The BPF side is a skeleton that was never loaded:
 * its maps are absent, so the views read no rows.
 *
 * Prints its checks as "ok NAME" / "not ok NAME" lines; exits 1 if one
 * failed (tests/bpf/trace/pftrace-tests.sh counts it as one case).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "view.h"
#include "pftrace.skel.h"

static bool fail_calloc;
static int failed;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	return fail_calloc ? NULL : __real_calloc(n, size);
}

static FILE *tap;

static void check(bool ok, const char *view, const char *what, int got)
{
	fprintf(tap, "%sok %s: %s (returned %d)\n", ok ? "" : "not ", view, what, got);
	failed |= !ok;
}

/* @v's interval (last) or end, with calloc failing or not. */
static int call(const struct pft_view *v, void *state, struct pft_run *r, bool fail)
{
	int err;

	fail_calloc = fail;
	err = v->interval ? v->interval(state, r, true) : v->end(state, r);
	fail_calloc = false;
	return err;
}

int main(void)
{
	struct pftrace_bpf__data data = { .next_slot = 1 };
	struct pftrace_bpf__bss bss = {};
	struct pftrace_bpf skel = { .data = &data, .bss = &bss };
	struct pft_opts o = { .fmt = PFB_TABLE, .interval = 1, .count = 1 };
	struct pft_run r = { .o = &o, .skel = &skel, .ncpus = 1, .secs = 1, .seq = 1 };
	const struct pft_view *const *v;

	/* the views' tables to /dev/null, the checks to stdout */
	tap = fdopen(dup(STDOUT_FILENO), "w");
	if (!tap || !freopen("/dev/null", "w", stdout))
		return 2;
	setvbuf(tap, NULL, _IOLBF, 0);
	for (v = pft_views; *v; v++) {
		void *state = calloc(1, (*v)->state_size);
		int err;

		if (!state)
			return 2;
		r.view = (*v)->name;
		if ((*v)->parse)
			(*v)->parse(state, &o, ARGP_KEY_INIT, NULL, NULL);
		if ((*v)->init && (err = (*v)->init(state, &r)))
			check(false, (*v)->name, "init", err);
		err = call(*v, state, &r, true);
		check(err == -ENOMEM, (*v)->name, "calloc failing: -ENOMEM", err);
		if ((*v)->free)
			(*v)->free(state);
		memset(state, 0, (*v)->state_size);
		if ((*v)->parse)
			(*v)->parse(state, &o, ARGP_KEY_INIT, NULL, NULL);
		if ((*v)->init)
			(*v)->init(state, &r);
		err = call(*v, state, &r, false);
		/* heat: nothing to draw is an error of its own, not ENOMEM */
		check((*v)->interval ? err == 0 : err != -ENOMEM, (*v)->name,
		      (*v)->interval ? "calloc working: 0" : "calloc working: not -ENOMEM", err);
		if ((*v)->free)
			(*v)->free(state);
		free(state);
	}
	return failed;
}
