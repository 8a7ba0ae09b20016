/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.h - everything one `pfcompare run` collected: the processes'
 * ground truth, the module's samples and per-process view, the witness's
 * buckets and totals.  The checker works on this alone, so a run saved with
 * `run --out` (NAME.rec) and re-read by `pfcompare check` is judged exactly as live.
 */
#ifndef PFCOMPARE_RECORD_H
#define PFCOMPARE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdio.h>

#define REC_MAX_PROCS 64
/* Default sched_switch allowance per voluntary switch: docs/compare.md. */
#define REC_SWITCH_ALLOW_NS 100000LL

/* Witness counters (one bucket, or one process's totals). */
struct wcounts {
	long long tp_user, tp_kernel, pe_min, pe_maj;
	long long fx_min, fx_maj, fx_gup, fx_skip, cpu_ns;
	/* cpu_ns's intervals on the scheduler's clock (rq clock_task);
	 * 0: not known (older witness or recording, kernel without it)
	 */
	long long sclk_ns;
	/* each thread's own fault counters (the `ru` source) */
	long long ru_min, ru_maj;
	/* switch-ins / switch-outs the kernel did not trace; CPU recovered
	 * for the former (already in cpu_ns); faults in stretches the pe
	 * source could not read (pe + pe_miss = ru - gup).  0 from an older
	 * witness or recording.
	 */
	long long miss_in, miss_out, cpu_rec_ns, pe_miss_min, pe_miss_maj;
};

struct proc_rec {
	int pid;
	char comm[32];
	/* /proc/PID/stat while held, just after registration: what the
	 * module calls base (faults before registration) */
	long long base_min, base_maj, base_cpu_ns;	/* + schedstat sum */
	/* /proc/PID/stat and sum of task schedstat at the ptrace exit stop */
	long long stat_min, stat_maj, sched_ns;
	/* wait4() rusage: the kernel's own final accounting */
	long long ru_min, ru_maj, ru_cpu_ns;
	/* /proc/mp3/tasks at the exit stop (since registration), -1: none */
	long long mod_min, mod_maj, mod_cpu_ns;
	/* what the workload says about itself, -1 when it does not say */
	long long self_reg_min, self_reg_maj;	/* work's "registered" line */
	long long gup_pages, kread_pages;
	struct wcounts wit;			/* witness totals for this pid */
	bool have_wit;
	int exit_status;
	/* wait4 rusage voluntary context switches (-1: not recorded) */
	long long ru_nvcsw;
};

struct msample {
	unsigned long long seq, mono_ns;
	long long jiffies, min, maj, cpu_ns;
};

struct wbucket {	/* summed over the run's processes */
	long long seq;
	unsigned long long mono_ns;	/* end of the bucket */
	double secs;			/* its length */
	struct wcounts c;
};

struct wprog {
	char name[32];
	long long run_cnt, run_time_ns, misses;	/* BPF stats */
};

struct record {
	char scenario[32];
	bool self_registers;		/* workload registers itself (work) */
	bool wit_tp, wit_pe, wit_fx, wit_sw, wit_ru, have_witness;
	/* false: the mp3 module was not loaded, its part was not run
	 * (module_why says why); recordings without the field: true
	 */
	bool have_module;
	char module_why[160];
	/* `run -- CMD`: the user's command (its exit status is reported,
	 * not judged), how many execs it and its descendants made, and the
	 * most get_user_pages faults their argument copies can take
	 */
	bool user_cmd;
	char command[256];
	long long execs, exec_gup_max;
	/* the witness's own wait4 of the command (its -c), -1: none */
	long long wit_wait_min, wit_wait_maj, wit_wait_cpu_ns;
	unsigned long long release_mono_ns, end_mono_ns;	/* end: all reaped */
	long hz;
	long long period_ns;
	int nprocs;
	struct proc_rec procs[REC_MAX_PROCS];
	int nsamples, cap_samples;
	struct msample *samples;
	int nbuckets, cap_buckets;
	struct wbucket *buckets;
	int nprogs;
	struct wprog progs[16];
	long long handler_avg_ns, handler_max_ns, handler_runs, period_mean_ns;
	long long lost;
	/* sched_switch CPU: allowance per voluntary context switch (ns) for
	 * the scheduler's work the witness charges and the kernel does not;
	 * `run`/`check --switch-allowance-us` set it, the recording keeps it
	 */
	long long switch_allow_ns;
};

void rec_init(struct record *r);
/* A fresh process record for @pid named by the first @len bytes of @comm: nothing known yet (-1 where -1 means that). */
void proc_rec_init(struct proc_rec *p, pid_t pid, const char *comm, size_t len);
struct rusage;
/* A reaped process's wait4 status @st and rusage @ru: its ground truth. */
void proc_rec_reaped(struct proc_rec *p, int st, const struct rusage *ru);
void rec_free(struct record *r);
void rec_add_sample(struct record *r, const struct msample *s);
/* Add witness counts ending at @mono_ns to the bucket with @seq. */
void rec_add_bucket(struct record *r, long long seq, unsigned long long mono_ns,
		    double secs, const struct wcounts *c);
void wcounts_add(struct wcounts *a, const struct wcounts *b);

/* Text form (docs/compare.md, "Recordings"): one line per item. */
int rec_save(const struct record *r, FILE *f);
/* Returns 0, or -1 with a message on stderr naming the bad line. */
int rec_load(struct record *r, FILE *f, const char *name);

#endif
