// SPDX-License-Identifier: GPL-2.0
/*
 * scenarios.c - the eight built-in scenarios.  Sizes: SCALE_FULL for
 * `pfcompare run` and the report, SCALE_TEST (--scale test) for the VM
 * tests, chosen so each runs in a few seconds under TCG; docs/compare.md
 * lists both.
 */
#include <stdio.h>
#include <string.h>

#include "scenarios.h"

#define MEMCG "/sys/fs/cgroup/pfcompare"
/* A requires check: the cgroup v2 memory controller (absent without
 * CONFIG_MEMCG, e.g. the debug lane's kernel).
 */
#define NEED_MEMCG "grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null || " \
	"{ echo 'no memory cgroup controller (CONFIG_MEMCG, cgroup v2 at /sys/fs/cgroup)'; exit 1; }"

static void one(struct plan *p, const char *cmd)
{
	p->nprocs = 1;
	snprintf(p->cmd[0], sizeof(p->cmd[0]), "%s", cmd);
}

static void b_random(struct plan *p, enum scale s)
{
	one(p, s == SCALE_FULL ? "work 32 R 4000" : "work 8 R 1500");
	snprintf(p->env, sizeof(p->env), "PFPROF_WORK_ITER=%d PFPROF_WORK_SLEEP_MS=%d",
		 s == SCALE_FULL ? 8 : 3, s == SCALE_FULL ? 150 : 100);
	p->self_registers = true;
}

static void b_locality(struct plan *p, enum scale s)
{
	one(p, s == SCALE_FULL ? "work 32 L 20000" : "work 8 L 6000");
	snprintf(p->env, sizeof(p->env), "PFPROF_WORK_ITER=%d PFPROF_WORK_SLEEP_MS=%d",
		 s == SCALE_FULL ? 8 : 3, s == SCALE_FULL ? 150 : 100);
	p->self_registers = true;
}

static void b_threads(struct plan *p, enum scale s)
{
	one(p, s == SCALE_FULL ? "pfscenario threads 8 4 6000" : "pfscenario threads 4 2 1500");
}

static void b_churn(struct plan *p, enum scale s)
{
	int i, n = s == SCALE_FULL ? 32 : 12;

	p->nprocs = n;
	for (i = 0; i < n; i++)
		snprintf(p->cmd[i], sizeof(p->cmd[i]), "pfscenario churn-worker %d %d", i,
			 s == SCALE_FULL ? 128 : 32);
}

static void b_populate(struct plan *p, enum scale s)
{
	one(p, s == SCALE_FULL ? "pfscenario populate 16 16 16" : "pfscenario populate 2 2 2");
}

/*
 * A 12/32 MiB file whose pages are not in memory when the workload maps
 * it, so reading it takes major faults.  Preferred: ext2 (mounted by the
 * ext4 driver) on a loop block device (`losetup -f`, busybox mke2fs on
 * /dev/loopN) backed by an image in /tmp; the file is written, synced and
 * drop_caches empties its page cache.  Fallback, where loop or ext4 is
 * missing or the mount fails (its error is printed): a tmpfs file written
 * inside a small memory cgroup, so its pages are swapped out.  The
 * workload runs in that cgroup either way when the kernel has the memory
 * controller (the ext2 path does not need it).  The set-up says on stderr
 * which one it used and why.
 */
#define FILECG "/sys/fs/cgroup/pfcompare-file"
static void b_filemap(struct plan *p, enum scale s)
{
	int mb = s == SCALE_FULL ? 32 : 12;

	one(p, "pfscenario filemap /mnt/pfc/data");
	snprintf(p->setup, sizeof(p->setup),
		 "set -e; umount /mnt/pfc 2>/dev/null || true; mkdir -p /mnt/pfc; rm -f /tmp/pfc.img /tmp/pfc.loop; "
		 "if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then "
		 "echo +memory > /sys/fs/cgroup/cgroup.subtree_control; mkdir -p " FILECG "; "
		 "echo %s > " FILECG "/memory.max; fi; why=''; dev=''; "
		 "if ! dd if=/dev/zero of=/tmp/pfc.img bs=1M count=%d 2>/dev/null; then why='no room for the image'; "
		 "elif ! dev=$(losetup -f 2>&1) || [ ! -b \"$dev\" ]; then why=\"losetup -f: $dev (no loop driver?)\"; dev=''; "
		 "elif ! losetup \"$dev\" /tmp/pfc.img 2>/dev/null; then why=\"losetup $dev failed\"; dev=''; "
		 "elif ! mke2fs -q -F \"$dev\" >/dev/null 2>&1; then why=\"mke2fs $dev failed\"; "
		 "elif ! why=$(mount -t ext2 \"$dev\" /mnt/pfc 2>&1); then why=\"mount -t ext2 $dev: $why\"; "
		 "fi; "
		 "if [ -z \"$why\" ]; then echo \"$dev\" > /tmp/pfc.loop; "
		 "echo \"pfcompare: filemap: ext2 on $dev (loop on /tmp/pfc.img); page cache dropped\" >&2; "
		 "dd if=/dev/urandom of=/mnt/pfc/data bs=1M count=%d 2>/dev/null; sync; "
		 "echo 3 > /proc/sys/vm/drop_caches; "
		 "else [ -z \"$dev\" ] || losetup -d \"$dev\" 2>/dev/null || true; rm -f /tmp/pfc.img; "
		 "[ -d " FILECG " ] || { echo \"pfcompare: filemap: no ext2 ($why) and no memory "
		 "cgroup controller for the tmpfs fallback\" >&2; exit 1; }; "
		 "mount -t tmpfs tmpfs /mnt/pfc; "
		 "echo \"pfcompare: filemap: no ext2 ($why); tmpfs file swapped out by a memory cgroup\" >&2; "
		 "sh -c 'echo $$ > " FILECG "/cgroup.procs; exec dd if=/dev/urandom of=/mnt/pfc/data bs=1M count=%d 2>/dev/null'; fi",
		 s == SCALE_FULL ? "8M" : "4M", mb + 8, mb, mb);
	snprintf(p->teardown, sizeof(p->teardown),
		 "umount /mnt/pfc; if [ -f /tmp/pfc.loop ]; then losetup -d $(cat /tmp/pfc.loop); fi; "
		 "rm -f /tmp/pfc.img /tmp/pfc.loop");
	p->cgroup = FILECG;
}

static void b_swap(struct plan *p, enum scale s)
{
	one(p, s == SCALE_FULL ? "work 96 R 20000" : "work 48 R 10000");
	snprintf(p->env, sizeof(p->env), "PFPROF_WORK_ITER=%d PFPROF_WORK_SLEEP_MS=0",
		 s == SCALE_FULL ? 3 : 2);
	snprintf(p->requires, sizeof(p->requires), "%s; %s", NEED_MEMCG,
		 "[ $(wc -l < /proc/swaps) -gt 1 ] || { echo 'no swap device (/proc/swaps is empty)'; exit 1; }");
	snprintf(p->setup, sizeof(p->setup),
		 "set -e; echo +memory > /sys/fs/cgroup/cgroup.subtree_control; mkdir -p " MEMCG "; "
		 "echo %s > " MEMCG "/memory.max", s == SCALE_FULL ? "32M" : "16M");
	p->cgroup = MEMCG;
	p->self_registers = true;
}

static void b_read(struct plan *p, enum scale s)
{
	int mb = s == SCALE_FULL ? 8 : 2;

	one(p, s == SCALE_FULL ? "pfscenario readfresh /tmp/pfc-read 8" :
	    "pfscenario readfresh /tmp/pfc-read 2");
	snprintf(p->setup, sizeof(p->setup),
		 "dd if=/dev/urandom of=/tmp/pfc-read bs=1M count=%d 2>/dev/null", mb);
	snprintf(p->teardown, sizeof(p->teardown), "rm -f /tmp/pfc-read");
}

const struct scenario scenarios[] = {
	{ "random", "anonymous random (work R)",
	  "faults outside work's own registration", b_random },
	{ "locality", "locality (work L)",
	  "faults outside work's own registration", b_locality },
	{ "threads", "multithreaded (threads fault and exit)",
	  "none beyond window boundaries", b_threads },
	{ "churn", "fork/exit churn (processes die between samples)",
	  "none beyond window boundaries", b_churn },
	{ "populate", "MAP_POPULATE + mlock",
	  "get_user_pages faults: no perf event, no tracepoint", b_populate },
	{ "filemap", "file-backed mmap after drop_caches (major faults)",
	  "major faults; retried faults (VM_FAULT_RETRY)", b_filemap },
	{ "swap", "swap thrash in a memory cgroup (major faults)",
	  "major faults; retried faults; outside registration", b_swap },
	{ "read", "read() into fresh buffers (kernel-mode faults)",
	  "kernel-mode faults on user addresses (page_fault_kernel)", b_read },
};
const int nscenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *scenario_find(const char *name)
{
	int i;

	for (i = 0; i < nscenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}
