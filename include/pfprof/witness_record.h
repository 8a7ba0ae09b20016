/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * witness_record.h - the pfwitness record: what its CSV and JSON hold,
 * written down once.  pfwitness writes it (bpf/witness/report.c), the BPF
 * side counts into struct pfw_counts, and every reader takes the fields by
 * these names: pfcompare (compare/witness.c), the case studies' Python
 * (experiments/lib/witness_record.py, from docs/witness.md's list).
 * docs/witness.md, "The record", describes every field and the rule.
 *
 * Compatibility: readers take fields by name and ignore names they do not
 * know, so a field added at the end of a table below breaks nobody and
 * raises PFW_RECORD_MINOR; a field that is removed reads as absent (0).
 * Only a change of a field's meaning or unit, or of the row layout, raises
 * PFW_RECORD_MAJOR; a reader refuses a record whose major it does not know.
 *
 * Usable from *.bpf.c (after vmlinux.h) and from user space.
 */
#ifndef PFPROF_WITNESS_RECORD_H
#define PFPROF_WITNESS_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PFW_RECORD_MAJOR 1
#define PFW_RECORD_MINOR 0
/* CSV: the first line is "# pfwitness-record 1.0"; JSON: "record":"1.0". */
#define PFW_RECORD_TAG "pfwitness-record"
#define PFW_STR_(x) #x
#define PFW_STR(x) PFW_STR_(x)
#define PFW_RECORD_VERSION PFW_STR(PFW_RECORD_MAJOR) "." PFW_STR(PFW_RECORD_MINOR)

/*
 * X(name, type, unit, meaning).  The fixed fields of a CSV row, before its
 * counters (in JSON: seq..secs on the interval, pid and comm on each of
 * its rows).  Rows other than interval and total leave seq..secs empty and
 * carry a name in comm and key=value fields after it (see below).
 */
#define PFW_ROW_FIELDS(X) \
	X(type,    str, "-",  "interval, total, source, program, untraced, lost, wait4") \
	X(seq,     u32, "-",  "interval number, from 0") \
	X(jiffies, u64, "jiffies", "bpf_jiffies64() at the interval's end") \
	X(mono_ns, u64, "ns", "CLOCK_MONOTONIC at the interval's end") \
	X(secs,    f64, "s",  "the interval's length") \
	X(pid,     u32, "-",  "the row's process (thread with -T); wait4: the command") \
	X(comm,    str, "-",  "its name; other rows: the item's name")

/*
 * X(name, type, unit, meaning): the counters of an interval or total row,
 * in their CSV order (new ones go at the end), and struct pfw_counts.
 */
#define PFW_COUNTERS(X) \
	X(tp_user,     u64, "faults", "exceptions:page_fault_user") \
	X(tp_kernel,   u64, "faults", "exceptions:page_fault_kernel on user addresses") \
	X(pe_min,      u64, "faults", "perf sw event PAGE_FAULTS_MIN") \
	X(pe_maj,      u64, "faults", "perf sw event PAGE_FAULTS_MAJ") \
	X(fx_min,      u64, "faults", "fexit handle_mm_fault, accounted minor") \
	X(fx_maj,      u64, "faults", "fexit handle_mm_fault, accounted major") \
	X(fx_gup,      u64, "faults", "of fx_min + fx_maj, without regs (get_user_pages)") \
	X(fx_skip,     u64, "faults", "fexit results mm_account_fault skips (VM_FAULT_ERROR or VM_FAULT_RETRY)") \
	X(cpu_ns,      u64, "ns",     "on-CPU time from sched_switch") \
	X(sclk_ns,     u64, "ns",     "the same intervals on the scheduler's clock (rq->clock_task); 0: not readable") \
	X(ru_min,      u64, "faults", "the threads' own min_flt, read at their switches") \
	X(ru_maj,      u64, "faults", "the threads' own maj_flt, likewise") \
	X(miss_in,     u64, "switches", "stretches found broken at a switch-out (a switch-in the kernel did not trace)") \
	X(miss_out,    u64, "switches", "stretches found broken at a switch-in (a switch-out the kernel did not trace)") \
	X(cpu_rec_ns,  u64, "ns",     "CPU time of those stretches, from se.sum_exec_runtime (in cpu_ns)") \
	X(pe_miss_min, u64, "faults", "minor faults in those stretches, by the threads' own counters: pe could not read them") \
	X(pe_miss_maj, u64, "faults", "major faults in those stretches, likewise") \
	X(stolen_ns,   u64, "ns",     "in the stretches, time the CPU's clock_task left out (steal, IRQ time): not in cpu_ns")

/*
 * X(name, meaning): the sources, in this order.  CSV: one row each right
 * after the header, "source,,,,,,NAME,attached=0|1,method=M,reason=TEXT";
 * JSON: "sources":{NAME:{"attached":B,"method":M,"reason":TEXT},...}.
 * method: how it is read (tp_btf or raw_tp for the tracepoint and the
 * switch program, "counting" perf events, "fexit"); empty when not
 * attached.
 */
#define PFW_SOURCES(X) \
	X(tracepoint,      "exceptions:page_fault_user/kernel: tp_user, tp_kernel") \
	X(perf_event,      "perf sw PAGE_FAULTS_MIN/MAJ read at switches: pe_*") \
	X(fexit,           "fexit on handle_mm_fault: fx_*") \
	X(sched_switch,    "on-CPU time: cpu_ns, sclk_ns") \
	X(thread_counters, "the threads' own min_flt/maj_flt: ru_*")

/* X(name, type, unit, meaning): a program row's key=value fields (-S stats). */
#define PFW_PROG_FIELDS(X) \
	X(run_cnt,          u64, "runs", "times the BPF program ran") \
	X(run_time_ns,      u64, "ns",   "their total run time") \
	X(avg_ns,           u64, "ns",   "run_time_ns / run_cnt, rounded") \
	X(recursion_misses, u64, "runs", "runs the kernel skipped (the program busy on that CPU)")

/* X(name, type, unit, meaning): the wait4 row's key=value fields (-c only). */
#define PFW_WAIT4_FIELDS(X) \
	X(status,   u32, "-",      "exit status, 128 + signal if killed") \
	X(minflt,   u64, "faults", "wait4 rusage ru_minflt: the command and its reaped descendants") \
	X(majflt,   u64, "faults", "wait4 rusage ru_majflt") \
	X(utime_us, u64, "us",     "wait4 rusage ru_utime") \
	X(stime_us, u64, "us",     "wait4 rusage ru_stime")

/* Per row, per CPU: cumulative counts (the BPF maps' values). */
struct pfw_counts {
#define PFW_X_(n, t, u, d) __u64 n;
	PFW_COUNTERS(PFW_X_)
#undef PFW_X_
};

/* Each counter's index, in struct pfw_counts and in the CSV's order. */
enum pfw_counter {
#define PFW_X_(n, t, u, d) PFW_C_##n,
	PFW_COUNTERS(PFW_X_)
#undef PFW_X_
	PFW_NCOUNTERS
};

enum pfw_source {
#define PFW_X_(n, d) PFW_S_##n,
	PFW_SOURCES(PFW_X_)
#undef PFW_X_
	PFW_NSOURCES
};

/* Each program row key's, and each wait4 row key's, index in the tables. */
enum pfw_prog_field {
#define PFW_X_(n, t, u, d) PFW_P_##n,
	PFW_PROG_FIELDS(PFW_X_)
#undef PFW_X_
	PFW_NPROG_FIELDS
};

enum pfw_wait4_field {
#define PFW_X_(n, t, u, d) PFW_W_##n,
	PFW_WAIT4_FIELDS(PFW_X_)
#undef PFW_X_
	PFW_NWAIT4_FIELDS
};

_Static_assert(sizeof(struct pfw_counts) == PFW_NCOUNTERS * sizeof(__u64),
	       "struct pfw_counts holds only __u64 counters, one per PFW_COUNTERS entry");

#ifndef __VMLINUX_H__
/* User space: the names, indexed by enum pfw_counter / enum pfw_source. */
static const char *const pfw_counter_names[PFW_NCOUNTERS] __attribute__((unused)) = {
#define PFW_X_(n, t, u, d) #n,
	PFW_COUNTERS(PFW_X_)
#undef PFW_X_
};

static const char *const pfw_source_names[PFW_NSOURCES] __attribute__((unused)) = {
#define PFW_X_(n, d) #n,
	PFW_SOURCES(PFW_X_)
#undef PFW_X_
};

static const char *const pfw_row_field_names[] __attribute__((unused)) = {
#define PFW_X_(n, t, u, d) #n,
	PFW_ROW_FIELDS(PFW_X_)
#undef PFW_X_
};
#define PFW_NROW_FIELDS (sizeof(pfw_row_field_names) / sizeof(pfw_row_field_names[0]))

static const char *const pfw_prog_field_names[PFW_NPROG_FIELDS] __attribute__((unused)) = {
#define PFW_X_(n, t, u, d) #n,
	PFW_PROG_FIELDS(PFW_X_)
#undef PFW_X_
};

static const char *const pfw_wait4_field_names[PFW_NWAIT4_FIELDS] __attribute__((unused)) = {
#define PFW_X_(n, t, u, d) #n,
	PFW_WAIT4_FIELDS(PFW_X_)
#undef PFW_X_
};
#endif

#endif /* PFPROF_WITNESS_RECORD_H */
