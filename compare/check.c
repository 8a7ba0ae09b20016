// SPDX-License-Identifier: GPL-2.0
/* check.c - the checker and classifier; docs/compare.md explains each rule. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Slack around a bucket's stamps: the witness reads its maps just after
 * stamping, the module stamps just after reading its counters.
 */
#define STAMP_SLACK_NS 5000000ULL

/*
 * sched_switch charges a task from its switch-in to the tracepoint at its
 * switch-out; the kernel's sum_exec_runtime stops at the dequeue, before
 * pick_next_task (and, when the CPU goes idle, newidle balancing) runs.
 * So the witness sees more CPU for tasks that block often (major faults
 * waiting for I/O).  Allowance per voluntary context switch (wait4's
 * ru_nvcsw): the record's switch_allow_ns, 100 us unless --switch-allowance-us
 * says otherwise; docs/compare.md shows what was measured under TCG.
 */

const char *verdict_name(enum verdict v)
{
	static const char *n[] = { "PASS", "EXPLAINED", "INFO", "FAIL" };

	return n[v];
}

static struct finding *add(struct checked *c, const char *what, const char *src,
			   long long got, long long want, enum verdict v,
			   const char *cls, long long cnt, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

static struct finding *add(struct checked *c, const char *what, const char *src,
			   long long got, long long want, enum verdict v,
			   const char *cls, long long cnt, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (c->nf == 64)
		return NULL;
	f = &c->f[c->nf++];
	snprintf(f->what, sizeof(f->what), "%s", what);
	snprintf(f->source, sizeof(f->source), "%s", src);
	f->got = got;
	f->want = want;
	f->v = v;
	snprintf(f->cls, sizeof(f->cls), "%s", cls ? cls : "");
	f->cls_count = cnt;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	if (v == V_FAIL)
		c->fails++;
	return f;
}

static void check_sequence(const struct record *r, struct checked *c)
{
	int i, bad = 0;

	if (r->lost)
		add(c, "window sequence", "module", r->lost, 0, V_FAIL, "", -1,
		    "%lld samples lost (the ring lapped the reader)", r->lost), bad++;
	for (i = 1; i < r->nsamples; i++) {
		unsigned long long a = r->samples[i - 1].seq, b = r->samples[i].seq;

		if (b == a)
			add(c, "window sequence", "module", b, a + 1, V_FAIL, "", -1,
			    "sample seq %llu appears twice: a double-counted window", b), bad++;
		else if (b > a + 1)
			add(c, "window sequence", "module", b, a + 1, V_FAIL, "", -1,
			    "sample seq %llu..%llu missing: %llu dropped window(s)", a + 1,
			    b - 1, b - a - 1), bad++;
		else if (b < a)
			add(c, "window sequence", "module", b, a + 1, V_FAIL, "", -1,
			    "sample seq %llu after %llu: out of order", b, a), bad++;
	}
	if (!bad)
		add(c, "window sequence", "module", r->nsamples, r->nsamples, V_PASS, "", -1,
		    "%d consecutive samples, none lost", r->nsamples);
}

static void check_module(const struct record *r, struct checked *c)
{
	long long want_min = c->truth_min, want_maj = c->truth_maj, self_min = 0, self_maj = 0;
	long long tol;
	int i, self = 1;

	if (r->self_registers) {
		for (i = 0; i < r->nprocs; i++) {
			if (r->procs[i].self_reg_min < 0)
				self = 0;
			self_min += r->procs[i].self_reg_min;
			self_maj += r->procs[i].self_reg_maj;
		}
		if (!self) {
			add(c, "minor faults", "module", c->mod_min, -1, V_FAIL, "", -1,
			    "the workload registers itself but printed no 'registered' line");
			return;
		}
		want_min = self_min;
		want_maj = self_maj;
		add(c, "outside registration", "module", c->truth_min + c->truth_maj - self_min - self_maj,
		    -1, V_INFO, "faults outside the workload's own R..U", c->truth_min + c->truth_maj - self_min - self_maj,
		    "work registers itself after exec+mmap and unregisters before exit: "
		    "the module's truth is work's own getrusage bracket (min %lld maj %lld)",
		    self_min, self_maj);
	}
	add(c, "minor faults", "module", c->mod_min, want_min,
	    c->mod_min == want_min ? V_PASS : V_FAIL, "", -1,
	    c->mod_min == want_min ? "sum of windows equals the ground truth exactly" :
	    "sum of windows differs from the ground truth by %+lld: unexplained",
	    c->mod_min - want_min);
	add(c, "major faults", "module", c->mod_maj, want_maj,
	    c->mod_maj == want_maj ? V_PASS : V_FAIL, "", -1,
	    c->mod_maj == want_maj ? "sum of windows equals the ground truth exactly" :
	    "sum of windows differs from the ground truth by %+lld: unexplained",
	    c->mod_maj - want_maj);
	for (i = 0; i < r->nprocs; i++) {
		const struct proc_rec *p = &r->procs[i];
		long long wm = p->stat_min - p->base_min, wj = p->stat_maj - p->base_maj;

		if (p->mod_min < 0 || r->self_registers)
			continue;
		if (p->mod_min != wm || p->mod_maj != wj)
			add(c, "per-process faults", "module", p->mod_min + p->mod_maj, wm + wj,
			    V_FAIL, "", -1, "pid %d: /proc/mp3/tasks min %lld maj %lld, "
			    "/proc/PID/stat - base min %lld maj %lld at the exit stop",
			    p->pid, p->mod_min, p->mod_maj, wm, wj);
	}
	if (!r->self_registers) {
		tol = c->truth_cpu / 100 + 2LL * r->nprocs * (1000000000LL / r->hz);
		add(c, "CPU time", "module", c->mod_cpu, c->truth_cpu,
		    llabs(c->mod_cpu - c->truth_cpu) <= tol ? V_PASS : V_FAIL,
		    "tick-scaled utime+stime rounding", -1,
		    "differs by %+.3f ms (tolerance 1%% + 2 ticks per process = %.3f ms)",
		    (c->mod_cpu - c->truth_cpu) / 1e6, tol / 1e6);
	}
}

/* BPF runs skipped (bpf_prog_active held on that CPU, e.g. by a map
 * syscall that was preempted): system-wide, so an upper bound for ours.
 * Of the witness's programs whose names contain @part (docs/witness.md:
 * btf_/raw_fault_user, _fault_kernel, _switch; fx_handle_mm_fault).
 */
static long long misses(const struct record *r, const char *part)
{
	long long m = 0;
	int i;

	for (i = 0; i < r->nprogs; i++)
		if (strstr(r->progs[i].name, part))
			m += r->progs[i].misses;
	return m;
}

/*
 * fexit's runs the kernel skipped that can account for its deficit: the
 * deficit (truth minus fexit, minor plus major, neither above the truth)
 * when it is non-zero and within the fexit program's recursion_misses,
 * else 0.  A trampoline program runs preemptibly (migrate_disable(), not
 * preempt_disable()); under full or lazy preemption (7.x's default) a run
 * can be preempted, and a fault on that CPU meanwhile finds the program
 * still active there and is skipped, counted in recursion_misses.  Those
 * are system-wide, so an upper bound for the watched processes.
 */
static long long fexit_missed(const struct record *r, const struct checked *c)
{
	long long dmin = c->truth_min - c->wit.fx_min, dmaj = c->truth_maj - c->wit.fx_maj;

	if (dmin < 0 || dmaj < 0 || dmin + dmaj == 0 || dmin + dmaj > misses(r, "fx_"))
		return 0;
	return dmin + dmaj;
}

/* One fexit total (minor or major) against the ground truth. */
static void check_fexit_count(const struct record *r, struct checked *c, const char *what,
			      long long got, long long want, long long missed)
{
	if (got == want)
		add(c, what, "fexit", got, want, V_PASS, "", -1, "equals the ground truth exactly");
	else if (missed)
		add(c, what, "fexit", got, want, V_EXPLAINED, "fexit runs skipped (recursion_misses)",
		    missed, "%lld fewer: within the fexit program's recursion_misses (%lld), runs "
		    "the kernel skipped while the program was preempted on that CPU",
		    want - got, misses(r, "fx_"));
	else
		add(c, what, "fexit", got, want, V_FAIL, "", -1, "differs by %+lld: unexplained",
		    got - want);
}

/*
 * Without fexit nothing counts the get_user_pages faults (accounted, with
 * no #PF and no perf event).  @g accounted faults that perf_event and the
 * tracepoints both lack are those when either (a) the thread counters (ru)
 * equal the ground truth, so the witness saw every thread, the #PF entries
 * fall short of it by the gup faults, and perf_event (with the faults of
 * untraced switch stretches) lies between the #PF entries and the truth:
 * two independent sources agreeing on the faults taken through an
 * exception; or (b) they are within what the run's execs copy with
 * get_user_pages (at least 1 each, at most a page each of their argument
 * and environment bytes, +2).  A gup fault inside an untraced stretch is
 * in the thread counters, so in perf_event's pe_miss, not in its @g: for
 * perf_event (@in_pe) @g is the gup faults outside those stretches, and may
 * fall short of the execs' by up to pe_miss.  Returns why, or NULL.
 */
static const char *gup_without_fexit(const struct record *r, const struct checked *c,
				     long long g, bool in_pe)
{
	static char why[256];
	long long tp = c->wit.tp_user + c->wit.tp_kernel, pe = c->wit.pe_min + c->wit.pe_maj;
	long long ru = c->wit.ru_min + c->wit.ru_maj, truth = c->truth_min + c->truth_maj;
	long long miss = c->wit.pe_miss_min + c->wit.pe_miss_maj;
	long long least = !in_pe ? r->execs : r->execs > miss ? r->execs - miss : 1;

	if (g <= 0)
		return NULL;
	if (r->wit_ru && r->wit_tp && r->wit_pe && ru == truth && tp <= pe + miss &&
	    pe + miss <= truth && g <= truth - tp) {
		snprintf(why, sizeof(why), "get_user_pages faults (no #PF, no perf event; fexit "
			 "not attached to count them): the thread counters equal the ground truth; "
			 "the #PF entries (%lld) are %lld short of it, perf_event with its untraced "
			 "stretches %lld", tp, truth - tp, truth - pe - miss);
		return why;
	}
	if (r->execs && g >= least && g <= r->exec_gup_max) {
		snprintf(why, sizeof(why), "get_user_pages faults (fexit not attached to count "
			 "them): within what %lld exec(s) copy with get_user_pages (%lld..%lld)",
			 r->execs, least, r->exec_gup_max);
		return why;
	}
	return NULL;
}

/* What the witness's per-source checks share (witness_ctx()). */
struct wctx {
	long long truth;	/* minor + major ground truth */
	long long gup;		/* fexit's get_user_pages faults */
	long long fxm;		/* fexit runs skipped that explain its deficit */
	long long kread, gself;	/* the workloads' own kread/gup page counts */
	bool hk, hg;		/* ... when some process said them */
};

/*
 * perf_event against the ground truth.  Short by exactly the faults in
 * stretches the pe source could not read (the kernel did not trace a
 * switch; pe_miss_*): classed.  Then the get_user_pages faults, counted by
 * fexit (x->gup; x->fxm runs it skipped) or, without it, gup_without_fexit().
 */
static void check_pe(const struct record *r, struct checked *c, const struct wctx *x)
{
	long long gup = x->gup, fxm = x->fxm;
	long long truth = c->truth_min + c->truth_maj, pe = c->wit.pe_min + c->wit.pe_maj;
	long long miss = c->wit.pe_miss_min + c->wit.pe_miss_maj, pm = misses(r, "_switch");
	long long d = truth - pe, g = d - miss;
	bool is_gup = r->wit_fx && g > 0 && g >= gup - miss && g <= gup + fxm;
	const char *nofx = r->wit_fx ? NULL : gup_without_fexit(r, c, g, true);
	char m[96] = "";

	if (miss)
		snprintf(m, sizeof(m), " (after %lld faults of stretches whose switch the kernel "
			 "did not trace)", miss);
	if (d == 0)
		add(c, "minor+major faults", "perf_event", pe, truth, V_PASS, "", -1,
		    "equals the ground truth");
	else if (miss && g == 0)
		add(c, "minor+major faults", "perf_event", pe, truth, V_EXPLAINED,
		    "switches the kernel did not trace", miss,
		    "%lld fewer: exactly the faults of stretches whose switch-in or switch-out the "
		    "kernel did not trace (%lld, %lld); the threads' own counters hold those faults",
		    d, c->wit.miss_in, c->wit.miss_out);
	else if (nofx)
		add(c, "minor+major faults", "perf_event", pe, truth, V_EXPLAINED,
		    "gup faults (no perf event; fexit not attached)", g, "%lld fewer%s: %s", g, m, nofx);
	else if (is_gup || (r->wit_fx && g > gup && g - gup <= pm))
		add(c, "minor+major faults", "perf_event", pe, truth, V_EXPLAINED,
		    "gup faults (no perf event)", gup,
		    g == gup ? "%lld fewer%s: exactly the get_user_pages faults (mm_account_fault "
		    "fires no event without regs)" : g < gup ? "%lld fewer%s: the get_user_pages "
		    "faults outside those stretches (the threads' counters hold the rest)" :
		    is_gup ? "%lld fewer%s: the get_user_pages "
		    "faults, of which fexit saw all but runs it skipped (its recursion_misses)" :
		    "%lld fewer%s: the gup faults plus events the BPF program missed", g, m);
	else
		add(c, "minor+major faults", "perf_event", pe, truth, V_FAIL, "", -1,
		    g < 0 ? "%lld more than the ground truth%s: unexplained" :
		    "%lld fewer than the ground truth%s, not the gup count: unexplained",
		    g < 0 ? -g : g, m);
	add(c, "major faults", "perf_event", c->wit.pe_maj, c->truth_maj,
	    c->wit.pe_maj == c->truth_maj ? V_PASS :
	    (c->truth_maj - c->wit.pe_maj <= gup + c->wit.pe_miss_maj &&
	     c->truth_maj > c->wit.pe_maj) ? V_EXPLAINED : V_FAIL,
	    "gup faults (no perf event)", gup, "differs by %+lld", c->wit.pe_maj - c->truth_maj);
}

/* The thread counters (ru): what getrusage sums, so exactly the truth. */
static void check_ru(const struct record *r, struct checked *c, const struct wctx *x)
{
	(void)r, (void)x;
	add(c, "minor faults", "ru", c->wit.ru_min, c->truth_min,
	    c->wit.ru_min == c->truth_min ? V_PASS : V_FAIL, "", -1,
	    c->wit.ru_min == c->truth_min ? "equals the ground truth exactly" :
	    "differs from the ground truth by %+lld: unexplained", c->wit.ru_min - c->truth_min);
	add(c, "major faults", "ru", c->wit.ru_maj, c->truth_maj,
	    c->wit.ru_maj == c->truth_maj ? V_PASS : V_FAIL, "", -1,
	    c->wit.ru_maj == c->truth_maj ? "equals the ground truth exactly" :
	    "differs from the ground truth by %+lld: unexplained", c->wit.ru_maj - c->truth_maj);
}

/* fexit: its totals, the get_user_pages faults, the failed or retried. */
static void check_fx(const struct record *r, struct checked *c, const struct wctx *x)
{
	check_fexit_count(r, c, "minor faults", c->wit.fx_min, c->truth_min, x->fxm);
	check_fexit_count(r, c, "major faults", c->wit.fx_maj, c->truth_maj, x->fxm);
	add(c, "get_user_pages faults", "fexit", x->gup, x->hg ? x->gself : -1, V_INFO,
	    "gup faults (no regs)", x->gup, x->hg ?
	    "accounted faults without user registers; the workload populated/mlocked %lld pages" :
	    "accounted faults without user registers (MAP_POPULATE, mlock, ...)", x->gself);
	add(c, "failed or retried", "fexit", c->wit.fx_skip, -1, V_INFO,
	    "failed/retried (not accounted)", c->wit.fx_skip,
	    "handle_mm_fault results with VM_FAULT_ERROR or VM_FAULT_RETRY");
}

static void fx_absent(const struct record *r, struct checked *c, const struct wctx *x)
{
	(void)r;
	add(c, "faults", "fexit", 0, x->truth, V_INFO, "", -1, "fexit not attached");
}

/*
 * The #PF entries @tp against the ground truth; @d is @tp minus the
 * accounted faults other than gup (with fexit), @tm the tracepoint
 * programs' recursion misses.
 */
static void tp_entries(const struct record *r, struct checked *c, const struct wctx *x,
		       long long tp, long long d, long long tm)
{
	long long truth = x->truth, gup = x->gup;

	if (!r->wit_fx && tp != truth && gup_without_fexit(r, c, truth - tp, false)) {
		add(c, "#PF entries (user+kernel)", "tracepoint", tp, truth, V_EXPLAINED,
		    "gup faults (no #PF; fexit not attached)", truth - tp,
		    "%lld fewer: %s", truth - tp, gup_without_fexit(r, c, truth - tp, false));
		return;
	}
	/*
	 * More #PFs than accounted faults: ones handle_mm_fault() failed
	 * (fx_skip), or kernel-mode ones on user addresses that never
	 * reached it, fixed up by the exception table with page faults
	 * disabled (futex's atomic ops, *_nofault copies): at most the
	 * kernel-mode entries.
	 */
	if (r->wit_fx && d > c->wit.fx_skip && d <= c->wit.fx_skip + c->wit.tp_kernel) {
		add(c, "#PF entries (user+kernel)", "tracepoint", tp, truth, V_EXPLAINED,
		    "#PFs not accounted (failed, or fixed up in the kernel)", d,
		    "%+lld vs ground truth: gup faults missing, plus %lld #PFs not "
		    "accounted: %lld failed in handle_mm_fault, the rest kernel-mode "
		    "(<= %lld) fixed up without it", tp - truth, d, c->wit.fx_skip,
		    c->wit.tp_kernel);
		return;
	}
	add(c, "#PF entries (user+kernel)", "tracepoint", tp, truth,
	    tp == truth ? V_PASS : (r->wit_fx && d == 0) ? V_EXPLAINED :
	    (r->wit_fx && d < 0 && -d <= tm) ? V_EXPLAINED :
	    (r->wit_fx && d > 0 && d <= c->wit.fx_skip) ? V_EXPLAINED : V_FAIL,
	    d == 0 ? "gup faults (no #PF)" : d > 0 ? "failed faults (#PF, not accounted)" : "",
	    d == 0 ? gup : d,
	    d == 0 ? "differs by %+lld = -gup faults (no exception for get_user_pages)" :
	    (d > 0 && d <= c->wit.fx_skip) ?
	    "%+lld vs ground truth: gup faults missing, plus %lld #PFs that failed (<= %lld skipped results)" :
	    "%+lld vs ground truth: not explained by gup (%lld) or failed faults (%lld)",
	    tp - truth, d > 0 ? d : gup, c->wit.fx_skip);
}

/* The tracepoints: missed runs, the #PF entries, the kernel-mode ones. */
static void check_tp(const struct record *r, struct checked *c, const struct wctx *x)
{
	long long tm = misses(r, "fault_user") + misses(r, "fault_kernel");
	long long tp = c->wit.tp_user + c->wit.tp_kernel;
	long long d = tp - (x->truth - (r->wit_fx ? x->gup : 0));

	/* gup runs fexit skipped (see perf_event above) */
	if (r->wit_fx && d < 0 && -d <= x->fxm)
		d = 0;
	if (r->wit_fx && d < 0 && -d <= tm)
		add(c, "missed tracepoint runs", "tracepoint", -d, tm, V_EXPLAINED,
		    "BPF recursion misses", tm,
		    "%lld fewer #PF entries than accounted non-gup faults: within the "
		    "tracepoint programs' recursion_misses (%lld)", -d, tm);
	tp_entries(r, c, x, tp, d, tm);
	add(c, "kernel-mode #PF on user addr", "tracepoint", c->wit.tp_kernel, x->hk ? x->kread : -1,
	    V_INFO, "kernel-mode faults (copy_to_user ...)", c->wit.tp_kernel,
	    x->hk ? "page_fault_kernel on user addresses; the workload read() into %lld fresh pages" :
	    "page_fault_kernel on user addresses (counted in min_flt, shown as kernel)", x->kread);
}

/* sched_switch CPU time against wait4's, and what may explain the excess. */
struct swcpu {
	long long tol;		/* 1% + 2 ticks per process */
	long long sm;		/* sched_switch runs skipped */
	long long ex;		/* witness minus wait4 */
	long long nv;		/* voluntary switches, -1: not known */
	long long unseen, res;	/* BPF clock minus scheduler's; scheduler's minus wait4 */
	bool in, sk, clk, sw;	/* within tol; sclk known; clock class; switch class */
};

static void sw_figures(const struct record *r, const struct checked *c, struct swcpu *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->tol = c->truth_cpu / 100 + 2LL * r->nprocs * (1000000000LL / r->hz);
	s->sm = misses(r, "_switch");
	s->ex = c->wit.cpu_ns - c->truth_cpu;
	s->in = llabs(s->ex) <= s->tol;
	s->sk = c->wit.cpu_ns > 0;
	for (i = 0; i < r->nprocs && s->nv >= 0; i++)
		s->nv = r->procs[i].ru_nvcsw < 0 ? -1 : s->nv + r->procs[i].ru_nvcsw;
	/* The scheduler's clock over the same intervals: known when
	 * every process the witness saw run has it.
	 */
	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].have_wit && r->procs[i].wit.cpu_ns > 0 &&
		    r->procs[i].wit.sclk_ns <= 0)
			s->sk = false;
	if (s->sk) {
		s->unseen = c->wit.cpu_ns - c->wit.sclk_ns;
		s->res = c->wit.sclk_ns - c->truth_cpu;
	}
	/* All of the excess is time the scheduler's clock did not
	 * see, and on that clock the witness agrees with wait4.
	 */
	s->clk = !s->in && s->sk && !s->sm && llabs(s->res) <= s->tol;
	/* More than the kernel charged, within the allowance per
	 * voluntary switch (r->switch_allow_ns): see the top of this file.
	 */
	s->sw = !s->in && !s->clk && !s->sm && s->nv > 0 && s->ex > 0 &&
		s->ex - s->tol <= s->nv * r->switch_allow_ns;
}

/* The CPU findings: on the scheduler's clock (when known), then the verdict. */
static void sw_cpu(const struct record *r, struct checked *c, const struct swcpu *s)
{
	long long ex = s->ex, tol = s->tol, nv = s->nv, unseen = s->unseen, res = s->res;
	long long sm = s->sm;
	bool in = s->in, sw = s->sw;

	if (s->sk)
		add(c, "CPU on the scheduler's clock", "sched_switch", c->wit.sclk_ns, c->truth_cpu,
		    V_INFO, "bpf_ktime_get_ns minus the scheduler's clock (ns)", unseen,
		    "the witness's on-CPU intervals on rq clock_task (what the kernel charges "
		    "with): %+.3f ms vs wait4; bpf_ktime_get_ns minus that clock over them: %+.3f ms",
		    res / 1e6, unseen / 1e6);
	if (s->clk)
		add(c, "CPU time", "sched_switch", c->wit.cpu_ns, c->truth_cpu, V_EXPLAINED,
		    "BPF clock vs scheduler clock", unseen,
		    "vs wait4 utime+stime since release: %+.3f ms, beyond 1%% + 2 ticks (%.3f ms); "
		    "over the same on-CPU intervals bpf_ktime_get_ns advanced %.3f ms more than "
		    "the scheduler's clock (rq clock_task), on which the witness is %+.3f ms "
		    "from wait4 (within tolerance)", ex / 1e6, tol / 1e6, unseen / 1e6, res / 1e6);
	else
		add(c, "CPU time", "sched_switch", c->wit.cpu_ns, c->truth_cpu,
		    in ? V_PASS : (sm || sw) ? V_EXPLAINED : V_FAIL,
		    in ? "" : sw ? "switch-out work (pick_next, idle balance)" :
		    "sched_switch runs skipped (recursion_misses)", in ? -1 : sw ? nv : sm,
		    in ? "vs wait4 utime+stime since release: %+.3f ms (tolerance 1%% + 2 ticks per process = %.3f ms)" :
		    sm ? "vs wait4 utime+stime since release: %+.3f ms, beyond 1%% + 2 ticks (%.3f ms): "
		    "a skipped switch charges the next switch-out with the previous task's time" :
		    sw ? "vs wait4 utime+stime since release: %+.3f ms, beyond 1%% + 2 ticks (%.3f ms), "
		    "%.1f us per voluntary context switch (%lld, allowance %d us): the scheduler's work "
		    "between dequeueing the task and the tracepoint, charged by sched_switch, not by the kernel" :
		    "vs wait4 utime+stime since release: %+.3f ms, beyond 1%% + 2 ticks (%.3f ms) with no "
		    "skipped runs, %.1f us per voluntary context switch (%lld, allowance %d us): unexplained",
		    ex / 1e6, tol / 1e6, nv > 0 ? (ex - tol) / 1e3 / nv : 0.0, nv,
		    (int)(r->switch_allow_ns / 1000));
}

/* sched_switch: CPU time, switches the kernel did not trace, CPU after the exit stop. */
static void check_sw(const struct record *r, struct checked *c, const struct wctx *x)
{
	struct swcpu s;

	(void)x;
	sw_figures(r, c, &s);
	sw_cpu(r, c, &s);
	if (c->wit.miss_in || c->wit.miss_out)
		add(c, "switches not traced", "sched_switch", c->wit.miss_in + c->wit.miss_out, -1,
		    V_INFO, "switches the kernel did not trace", c->wit.miss_in + c->wit.miss_out,
		    "the kernel did not trace %lld switch-in(s) and %lld switch-out(s) of the "
		    "watched threads; %.3f ms of CPU recovered from the threads' own counters "
		    "(included above)", c->wit.miss_in, c->wit.miss_out, c->wit.cpu_rec_ns / 1e6);
	add(c, "CPU after the exit stop", "ground truth", c->cpu_after_stop, -1, V_INFO,
	    "CPU after the exit stop (ns)", c->cpu_after_stop,
	    r->user_cmd ? "wait4 minus schedstat read at the command's ptrace exit stop: "
	    "its reaped descendants, exit_mm() and the rest of do_exit()" :
	    "wait4 minus schedstat read at the ptrace exit stop: exit_mm() and the rest of do_exit()");
}

/* The witness's sources, in the order their findings are listed. */
static const struct wsource {
	const char *name;
	size_t attached;	/* offsetof its bool in struct record */
	void (*check)(const struct record *r, struct checked *c, const struct wctx *x);
	void (*absent)(const struct record *r, struct checked *c, const struct wctx *x);
} wsources[] = {
	{ "fexit", offsetof(struct record, wit_fx), check_fx, fx_absent },
	{ "perf_event", offsetof(struct record, wit_pe), check_pe, NULL },
	{ "tracepoint", offsetof(struct record, wit_tp), check_tp, NULL },
	{ "sched_switch", offsetof(struct record, wit_sw), check_sw, NULL },
	{ "ru", offsetof(struct record, wit_ru), check_ru, NULL },
};

/*
 * What the sources' checks share; a process without a witness row is
 * said here.
 */
static void witness_ctx(const struct record *r, struct checked *c, struct wctx *x)
{
	int i;

	memset(x, 0, sizeof(*x));
	x->truth = c->truth_min + c->truth_maj;
	x->gup = c->wit.fx_gup;
	x->fxm = r->wit_fx ? fexit_missed(r, c) : 0;
	for (i = 0; i < r->nprocs; i++) {
		if (!r->procs[i].have_wit)
			add(c, "witness totals", "witness", 0, 0, V_INFO, "", -1,
			    "pid %d: no witness row (it never faulted or ran while watched)",
			    r->procs[i].pid);
		if (r->procs[i].kread_pages >= 0)
			x->kread += r->procs[i].kread_pages, x->hk = true;
		if (r->procs[i].gup_pages >= 0)
			x->gself += r->procs[i].gup_pages, x->hg = true;
	}
}

static void check_witness(const struct record *r, struct checked *c)
{
	const struct wsource *s;
	struct wctx x;
	size_t k;

	witness_ctx(r, c, &x);
	for (k = 0; k < sizeof(wsources) / sizeof(wsources[0]); k++) {
		s = &wsources[k];
		if (*(const bool *)((const char *)r + s->attached))
			s->check(r, c, &x);
		else if (s->absent)
			s->absent(r, c, &x);
	}
}

static void stats(struct winstats *s, const char *name, const struct checked *c, int which)
{
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, e;
	int k, exact = 0;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->n = c->nwin;
	for (k = 0; k < c->nwin; k++) {
		const struct window *w = &c->win[k];
		double x = which == 3 ? w->mod_cpu : w->mod_min + w->mod_maj;
		double y = which == 0 ? w->fx : which == 1 ? w->pe : which == 2 ? w->tp : w->cpu;

		e = fabs(y - x);
		s->mae += e;
		if (e > s->max)
			s->max = e;
		exact += e == 0;
		sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
	}
	if (c->nwin) {
		double n = c->nwin, vx = n * sxx - sx * sx, vy = n * syy - sy * sy;

		s->mae /= n;
		s->exact_share = exact / n;
		s->corr = vx > 0 && vy > 0 ? (n * sxy - sx * sy) / sqrt(vx * vy) : (vx == vy ? 1 : 0);
	}
}

/* Re-bin the witness's buckets onto the module's windows. */
static void windows(const struct record *r, struct checked *c)
{
	int k, b, j;

	c->nwin = r->nsamples;
	c->win = calloc(c->nwin ? c->nwin : 1, sizeof(*c->win));
	for (k = 0; k < c->nwin; k++) {
		const struct msample *s = &r->samples[k];

		c->win[k].end_mono = s->mono_ns;
		c->win[k].t = ((double)s->mono_ns - (double)r->release_mono_ns) / 1e9;
		c->win[k].mod_min = s->min;
		c->win[k].mod_maj = s->maj;
		c->win[k].mod_cpu = s->cpu_ns;
	}
	if (!c->nwin)
		return;
	for (b = 0, k = 0; b < r->nbuckets; b++) {
		const struct wbucket *x = &r->buckets[b];
		unsigned long long end = x->mono_ns, start = end - (unsigned long long)(x->secs * 1e9);
		long long f = x->c.fx_min + x->c.fx_maj;

		while (k < c->nwin - 1 && c->win[k].end_mono < end)
			k++;
		if (c->win[k].end_mono < end)
			continue;	/* after the last window */
		c->win[k].fx += f;
		c->win[k].pe += x->c.pe_min + x->c.pe_maj;
		c->win[k].tp += x->c.tp_user + x->c.tp_kernel;
		c->win[k].cpu += x->c.cpu_ns;
		/* Straddles module boundaries (every one inside its span: a
		 * bucket the witness read late can cover several windows): its
		 * faults may belong on either side of each.
		 */
		for (j = k; j >= 0 && f; j--) {
			unsigned long long m = c->win[j].end_mono;

			if (m + STAMP_SLACK_NS <= start)
				break;
			if (m < end + STAMP_SLACK_NS) {
				c->win[j].bound += f;
				if (j + 1 < c->nwin)
					c->win[j + 1].bound += f;
			}
		}
	}
}

static void check_windows(const struct record *r, struct checked *c)
{
	struct winstats *s = &c->ws[0];
	long long outside = 0, moved = 0, skipped = 0;
	int k, i;

	stats(&c->ws[0], "fexit", c, 0);
	stats(&c->ws[1], "perf_event", c, 1);
	stats(&c->ws[2], "tracepoint", c, 2);
	stats(&c->ws[3], "cpu (sched_switch)", c, 3);
	if (!r->wit_fx || !c->nwin)
		return;
	/* fexit runs the kernel skipped (fexit_missed()) are missing from
	 * some windows; at most that many faults in all.
	 */
	skipped = fexit_missed(r, c);
	if (r->self_registers)
		for (i = 0; i < r->nprocs; i++)
			outside += (r->procs[i].ru_min - r->procs[i].base_min - r->procs[i].self_reg_min) +
				   (r->procs[i].ru_maj - r->procs[i].base_maj - r->procs[i].self_reg_maj);
	for (k = 0; k < c->nwin; k++) {
		const struct window *w = &c->win[k];
		long long e = llabs(w->fx - (w->mod_min + w->mod_maj));

		if (!e)
			continue;
		if (e <= w->bound) {
			s->boundary_windows++;
			moved += e;
		} else if (r->self_registers && (k == 0 || k == c->nwin - 1) && e <= outside + w->bound) {
			s->boundary_windows++;
		} else if (w->fx < w->mod_min + w->mod_maj && e - w->bound <= skipped) {
			skipped -= e - w->bound;	/* short by runs fexit skipped */
			s->boundary_windows++;
		} else {
			s->unexplained++;
			add(c, "window", "fexit", w->fx, w->mod_min + w->mod_maj, V_FAIL, "", -1,
			    "window %d (t=%.3f s, seq %llu): module %lld, witness %lld, differs by %lld "
			    "> %lld faults in buckets straddling its boundaries: unexplained",
			    k, w->t, r->samples[k].seq, w->mod_min + w->mod_maj, w->fx,
			    w->fx - (w->mod_min + w->mod_maj), w->bound);
		}
	}
	s->boundary_moved = moved / 2;
	add(c, "per-window faults", "fexit", c->nwin - s->unexplained, c->nwin,
	    s->unexplained ? V_FAIL : s->boundary_windows ? V_EXPLAINED : V_PASS,
	    "window-boundary effects", s->boundary_moved,
	    "%d/%d windows equal; %d differ within the faults of buckets straddling a boundary "
	    "(~%lld faults moved)%s; %d unexplained",
	    (int)lround(s->exact_share * c->nwin), c->nwin, s->boundary_windows, s->boundary_moved,
	    r->self_registers ? " or by faults outside registration in the first/last window" : "",
	    s->unexplained);
}

/*
 * `run -- CMD` under the witness: pfcompare reaped the command as its
 * tracer, pfwitness as its parent; both wait4s must give the same rusage.
 */
static void check_wait_twice(const struct record *r, struct checked *c)
{
	const struct proc_rec *p = &r->procs[0];
	bool same = r->wit_wait_min == p->ru_min && r->wit_wait_maj == p->ru_maj &&
		    r->wit_wait_cpu_ns == p->ru_cpu_ns;

	if (r->wit_wait_min < 0)
		return;
	add(c, "wait4 by the witness", "ground truth", r->wit_wait_min + r->wit_wait_maj,
	    p->ru_min + p->ru_maj, same ? V_PASS : V_FAIL, "", -1,
	    "pfwitness's own wait4 of the command (its parent): minflt %lld majflt %lld cpu %.3f ms, "
	    "pfcompare's (its tracer): %lld %lld %.3f ms%s", r->wit_wait_min, r->wit_wait_maj,
	    r->wit_wait_cpu_ns / 1e6, p->ru_min, p->ru_maj, p->ru_cpu_ns / 1e6,
	    same ? ": the same" : ": they differ");
}

/*
 * `run -- CMD`: pfwitness -c follows the command from its fork, so the
 * witness's truth (and the totals shown) is all of wait4's rusage; the
 * module's, checked before this, starts at registration.
 */
static void truth_from_fork(const struct record *r, struct checked *c)
{
	int i;

	for (i = 0; i < r->nprocs; i++) {
		c->truth_min += r->procs[i].base_min;
		c->truth_maj += r->procs[i].base_maj;
		c->truth_cpu += r->procs[i].base_cpu_ns;
	}
}

/* Verdict of one source: see check.h. */
const char *source_verdict(const struct record *r, const struct checked *c, const char *src)
{
	bool att = !strcmp(src, "module") ? r->have_module :
		   !strcmp(src, "fexit") ? r->wit_fx : !strcmp(src, "perf_event") ? r->wit_pe :
		   !strcmp(src, "tracepoint") ? r->wit_tp : !strcmp(src, "sched_switch") ? r->wit_sw :
		   !strcmp(src, "ru") ? r->wit_ru : false;
	int i;

	if (!strcmp(src, "module") && !r->have_module)
		return "NOT LOADED";
	if (strcmp(src, "module") && !r->have_witness)
		return "NOT RUN";
	if (!att)
		return "NOT ATTACHED";
	for (i = 0; i < c->nf; i++)
		if (c->f[i].v == V_FAIL && !strcmp(c->f[i].source, src))
			return "FAIL";
	return "PASS";
}

const char *const verdict_sources[NVSRC] = {
	"module", "fexit", "perf_event", "tracepoint", "sched_switch", "ru",
};

void check_record(const struct record *r, struct checked *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->nprocs; i++) {
		const struct proc_rec *p = &r->procs[i];

		c->truth_min += p->ru_min - p->base_min;
		c->truth_maj += p->ru_maj - p->base_maj;
		c->truth_cpu += p->ru_cpu_ns - p->base_cpu_ns;
		c->cpu_after_stop += p->ru_cpu_ns - p->sched_ns;
		c->pre_reg += p->base_min + p->base_maj;
		c->sched_ns += p->sched_ns;
		wcounts_add(&c->wit, &p->wit);
		if (p->exit_status)
			add(c, "exit status", "workload", p->exit_status, 0,
			    r->user_cmd ? V_INFO : V_FAIL, "", -1, r->user_cmd ?
			    "pid %d (%s) exited with status %d (the command's own result: reported, "
			    "not judged)" : "pid %d (%s) exited with status %d", p->pid, p->comm,
			    p->exit_status);
	}
	for (i = 0; i < r->nsamples; i++) {
		c->mod_min += r->samples[i].min;
		c->mod_maj += r->samples[i].maj;
		c->mod_cpu += r->samples[i].cpu_ns;
	}
	add(c, "before registration", "ground truth", c->pre_reg, -1, V_INFO,
	    "faults before registration", c->pre_reg, r->user_cmd ?
	    "faults of the command between its fork and its first ptrace stop (e.g. the kernel "
	    "writing its tid): in wait4's rusage and the witness's (which follows it from the "
	    "fork), not the module's (registered at the stop): subtracted for the module only" :
	    "faults of the held child between fork and release: in wait4's rusage, "
	    "seen by neither module nor witness, subtracted from the truth");
	if (r->user_cmd)
		check_wait_twice(r, c);
	if (!r->have_module)
		add(c, "module", "module", 0, -1, V_INFO, "module not loaded", -1,
		    "the mp3 module is not loaded, its part was not run: %s", r->module_why);
	else if (r->nsamples)
		check_sequence(r, c);
	else
		add(c, "samples", "module", 0, 1, V_FAIL, "", -1, "no module samples recorded");
	if (r->have_module && r->nsamples)
		check_module(r, c);
	if (r->user_cmd)
		truth_from_fork(r, c);
	if (r->have_witness)
		check_witness(r, c);
	windows(r, c);
	check_windows(r, c);
}

void check_free(struct checked *c)
{
	free(c->win);
	c->win = NULL;
}
