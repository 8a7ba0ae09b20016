/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve.h - pftrace serve's parts: the view (serve.c), the metric store
 * that the BPF counts are folded into (serve_store.c), and its rendering
 * in Prometheus's text format and OpenMetrics (serve_render.c).
 */
#ifndef __PFTRACE_SERVE_H
#define __PFTRACE_SERVE_H

#include <stdbool.h>
#include <stdio.h>
#include "core.h"
#include "promhttp.h"

#define SRV_CGROUP_LEN	256
#define SRV_CG_CACHE	64
#define SRV_OTHER	"[other]"	/* the label values of the folded series */
#define SRV_GONE	"[exited]"	/* the cgroup of a process gone before it was read */
#define SRV_DRIFT_MAX	256	/* registered processes followed for drift */

/* One label set, and what its processes added up to (never lowered). */
struct srv_series {
	char comm[16];
	char cgroup[SRV_CGROUP_LEN];
	__u32 pid;		/* a -p/-c target's; 0: no pid label */
	bool other;		/* the series everything past --max-series goes to */
	__u64 faults[PFT_NCLASS];
	__u64 gup;		/* of those, without a #PF */
	__u64 cpu_ns;		/* CPU time */
	__u32 procs;		/* processes that went to it */
};

/* One BPF row (a process), as far as it has been folded. */
struct srv_slot {
	__u32 pid;
	char comm[16];
	char cgroup[SRV_CGROUP_LEN];
	bool known;		/* pid, comm and cgroup read */
	bool gone;		/* its process has exited (its CPU time is final) */
	bool has_start;
	unsigned long long start;	/* /proc/PID/stat starttime, to tell a reused PID */
	__u64 cpu_base_ns;	/* CPU time before the trace, left out */
	__u64 cpu_ns;		/* CPU time when last read (/proc, or BPF at its exit) */
	__u64 cpu_done_ns;	/* of that, added to its series */
	struct srv_counts {
		__u64 cls[PFT_NCLASS];
		__u64 gup;
		__u64 exit_ns, start_ns;	/* BPF's, at its threads' exits */
	} done;			/* counts added to its series */
	int series;		/* index, -1: none yet */
};

struct srv_state {
	/* options */
	const char *listen;
	long max_series;
	bool by_comm, by_cgroup;
	const char *mp3_dir;
	long max_rows;		/* BPF rows (hidden --max-rows; PFB_MAX_SLOTS) */
	/* the run */
	int lfd;		/* the listener, until the server takes it */
	int stats_fd;		/* bpf_enable_stats(): run time is counted */
	struct ph_server *server;
	struct srv_series *series;	/* [0]: [other] */
	int nseries, cap_series;
	struct srv_slot *slots;
	__u32 nslots;
	__u64 folded;		/* processes folded into [other] */
	__u64 rows_reused;	/* rows zeroed and handed back to BPF */
	struct pft_hist hist[PFT_NCLASS];	/* every fault timed, by class */
	unsigned long long boot_ticks;	/* the trace's start, ticks since boot */
	__u64 boot_ns;		/* the same, ns (CLOCK_BOOTTIME) */
	long hz;
	int folds;
	/* cgroup ids resolved to paths (a ring of the last SRV_CG_CACHE) */
	struct srv_cg {
		__u64 id;
		char path[SRV_CGROUP_LEN];
	} cg[SRV_CG_CACHE];
	int cg_next;
	/*
	 * mp3.ko's registered processes that pftrace traces, each fold: the
	 * kernel's faults (the module's live counts since registration plus
	 * its base) minus pftrace's live row, against that difference when
	 * first seen (d0).  Computed at the fold, printed by the renderer.
	 */
	struct srv_drift {
		__u32 pid, slot;
		char comm[16];
		long long d0, now;
	} drift[SRV_DRIFT_MAX];
	int ndrift;
};

int srv_store_init(struct srv_state *st, struct pft_run *r);
/* The BPF counts and histograms into the store. */
int srv_fold(struct srv_state *st, struct pft_run *r);
/* mp3.ko's registered processes against pftrace's rows, now (the drift gauge). */
void srv_drift(struct srv_state *st, struct pft_run *r);
/* Before the last fold: wait (briefly) for processes just reaped to be freed. */
void srv_settle(struct srv_state *st, struct pft_run *r);
void srv_store_free(struct srv_state *st);
/* --json: the store, as one object. */
void srv_print_json(struct srv_state *st, struct pft_run *r);
/* The page, text format or @om (OpenMetrics), into a malloc()ed *@buf. */
int srv_render(struct srv_state *st, struct pft_run *r, bool om, char **buf, size_t *len);

#endif
