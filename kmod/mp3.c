// SPDX-License-Identifier: GPL-2.0
/*
 * Page-fault and CPU-time profiler (the CS 423 "MP3" design).
 *
 * A process is profiled once its PID is written to /proc/mp3/status.  While
 * at least one process is registered, a delayed work item wakes every
 * period_ms (50 ms by default) on a fixed grid of deadlines and appends one
 * sample to a ring in a 128-page vmalloc'd buffer: jiffies, then the minor
 * faults, major faults and CPU time (utime + stime, ns) that all registered
 * processes accumulated since the previous sample.  /dev/mp3 (char 423:0)
 * maps that buffer into user space, or read() copies its records out.  The
 * layout is in include/pfprof/mp3_abi.h and docs/abi.md.
 *
 * User-space sequence (what userspace/work and userspace/monitor do):
 *
 *	echo "R 1234" > /proc/mp3/status	# register PID 1234
 *	cat /proc/mp3/status			# one registered PID per line
 *	fd = open("/dev/mp3", O_RDWR);		# or a node from mknod c 423 0
 *	buf = mmap(NULL, 128 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
 *	... read records, write -1 into each consumed slot ...
 *	echo "U 1234" > /proc/mp3/status	# unregister (or let it exit)
 *
 * Beyond the assignment: a registration covers the whole thread group,
 * including threads that already exited; it pins the process's task so a
 * reused PID is never mistaken for it; a process that exits has its final
 * counts in the next sample and is then dropped; /proc/mp3/tasks and
 * /proc/mp3/stats expose per-process totals and sampler statistics; and the
 * buffer carries a versioned stream header so readers can detect loss.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/string_helpers.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "pfprof/mp3_abi.h"
#include "mp3_compat.h"

/* Sampling period in milliseconds; read-only once loaded. */
static unsigned int period_ms = 50;
module_param(period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "Sampling period in ms, 1..10000 (default 50)");

/* Upper bound on simultaneous registrations; read-only once loaded. */
static unsigned int max_registrations = 256;
module_param(max_registrations, uint, 0444);
MODULE_PARM_DESC(max_registrations,
		 "Maximum registered processes, 1..65536 (default 256)");

/* Character device major; 0 asks for a dynamic one.  Read-only once loaded. */
static unsigned int major = MP3_DEV_MAJOR;
module_param(major, uint, 0444);
MODULE_PARM_DESC(major, "Device major, 0 = dynamic, else 1..511 (default 423)");

/* Group allowed to write /proc/mp3/status besides root; read-only once loaded. */
static unsigned int ctl_gid;
module_param(ctl_gid, uint, 0444);
MODULE_PARM_DESC(ctl_gid,
		 "Group (gid) that may also write /proc/mp3/status (default 0)");

#define MP3_CMD_MAX	32	/* longest accepted proc write, bytes */

/* Cumulative counters of one process, as the kernel accounts them. */
struct mp3_counts {
	u64 min_flt;
	u64 maj_flt;
	u64 cpu_ns;		/* utime + stime as /proc/PID/stat reports it */
	u64 tick_ns;		/* raw tick-sampled utime + stime */
};

/* One registered process (a whole thread group). */
struct mp3_reg {
	struct list_head node;		/* on mp3_regs, under mp3_lock */
	struct pid *pid;		/* its TGID pid, referenced */
	struct task_struct *task;	/* a referenced task of the group: keeps
					 * ->signal and its totals after reaping
					 */
	kuid_t owner;			/* euid of the registering writer */
	char comm[TASK_COMM_LEN];	/* comm at registration */
	struct mp3_counts base;		/* counters at registration */
	struct mp3_counts last;		/* counters at the previous sample */
	bool dying;			/* the group has exited: sample once
					 * more, then free (under mp3_lock)
					 */
};

/* Serialises registrations, the sampler state and the ring writer. */
static DEFINE_MUTEX(mp3_lock);
/* Registered processes; guarded by mp3_lock. */
static LIST_HEAD(mp3_regs);
/* Length of mp3_regs; guarded by mp3_lock. */
static unsigned int mp3_nr_regs;
/* Set while the sampler is armed; guarded by mp3_lock. */
static bool mp3_sampling;
/* Set at unload so nothing re-arms the sampler; guarded by mp3_lock. */
static bool mp3_stopping;
/* Next sampling deadline, CLOCK_MONOTONIC ns; guarded by mp3_lock. */
static u64 mp3_deadline;
/* Sampling period in ns, fixed at load. */
static u64 mp3_period_ns;
/*
 * Counts of processes unregistered since the last sample (their last partial
 * window), to be added to the next sample; guarded by mp3_lock.
 */
static struct mp3_counts mp3_carry;

/* The shared buffer (vmalloc_user), MP3_BUF_SIZE bytes; set at load. */
static void *mp3_buf;
/* The ring of records at the start of mp3_buf. */
static struct mp3_record *mp3_ring;
/* The stream header inside mp3_buf. */
static struct mp3_stream_hdr *mp3_hdr;
/* Per-slot CLOCK_MONOTONIC stamps inside mp3_buf. */
static u64 *mp3_stamps;
/*
 * read() callers waiting for a sample (mp3_read()); mp3_ring_append()
 * wakes them after it publishes one.  The wait queue has its own lock.
 */
static DECLARE_WAIT_QUEUE_HEAD(mp3_read_wq);

/*
 * Sampler statistics, named after their /proc/mp3/stats keys; all guarded
 * by mp3_lock.
 */
static struct {
	u64 samples_written;	/* samples written since load */
	u64 samples_overwritten;	/* slots a -1 consumer had not taken */
	u64 handler_runs;	/* handler invocations that took a sample */
	u64 deadlines_missed;	/* deadlines skipped because the handler ran late */
	u64 handler_last_ns;	/* duration of the last sampling pass */
	u64 handler_max_ns;	/* longest sampling pass */
	u64 handler_sum_ns;	/* sum of all pass durations (handler_avg_ns) */
	u64 last_ns;		/* time of the previous periodic sample, 0 = none */
	u64 period_sum_ns;	/* sum of intervals between consecutive samples */
	u64 period_intervals;	/* number of such intervals */
	u64 registered_total;	/* successful registrations since load */
	u64 exited_total;	/* registrations dropped because the process exited */
} mp3_stats;

/* The device number actually in use. */
static dev_t mp3_devt;
/* The character device behind /dev/mp3. */
static struct cdev mp3_cdev;
/* Class that makes udev/devtmpfs create /dev/mp3. */
static struct class *mp3_class;
/* /proc/mp3. */
static struct proc_dir_entry *mp3_proc_dir;

static void mp3_work_fn(struct work_struct *work);
/* The sampler. */
static DECLARE_DELAYED_WORK(mp3_work, mp3_work_fn);

/*
 * Read a thread group's cumulative counters the way /proc/PID/stat and
 * getrusage(RUSAGE_SELF) do: the totals of exited threads, kept in the signal
 * struct, plus every live thread's own counters.  __exit_signal() folds a
 * dying thread into the signal struct and unhashes it under stats_lock, so a
 * read under that seqlock sees each thread exactly once.  The task (held by
 * the caller) keeps ->signal alive even after the group has been reaped.
 *
 * CPU time: /proc/PID/stat and getrusage() report utime + stime scaled by
 * cputime_adjust() so that their sum is the scheduler's precise runtime
 * (sum_exec_runtime); the module reports that sum, in ns.  The raw
 * tick-sampled utime + stime (what task_cputime() returns unless vtime
 * accounting is active, which needs nohz_full=) is kept as tick_ns for
 * /proc/mp3/tasks.
 */
static void mp3_read_counts(struct task_struct *task, struct mp3_counts *c)
{
	struct signal_struct *sig = task->signal;
	struct task_struct *t;
	unsigned int seq, nextseq = 0;
	unsigned long flags;

	rcu_read_lock();
	do {
		seq = nextseq;
		flags = read_seqbegin_or_lock_irqsave(&sig->stats_lock, &seq);
		c->min_flt = sig->min_flt;
		c->maj_flt = sig->maj_flt;
		c->cpu_ns = sig->sum_sched_runtime;
		c->tick_ns = sig->utime + sig->stime;
		__for_each_thread(sig, t) {
			c->min_flt += READ_ONCE(t->min_flt);
			c->maj_flt += READ_ONCE(t->maj_flt);
			c->cpu_ns += READ_ONCE(t->se.sum_exec_runtime);
			c->tick_ns += READ_ONCE(t->utime) + READ_ONCE(t->stime);
		}
		nextseq = 1;
	} while (need_seqretry(&sig->stats_lock, seq));
	done_seqretry_irqrestore(&sig->stats_lock, seq, flags);
	rcu_read_unlock();
}

static void mp3_counts_add_delta(struct mp3_counts *sum,
				 const struct mp3_counts *now,
				 const struct mp3_counts *then)
{
	sum->min_flt += now->min_flt - then->min_flt;
	sum->maj_flt += now->maj_flt - then->maj_flt;
	sum->cpu_ns += now->cpu_ns - then->cpu_ns;
	sum->tick_ns += now->tick_ns - then->tick_ns;
}

/*
 * Has @task's whole thread group exited?  Only a zombie leader left (its
 * other threads gone) counts; a zombie leader whose threads still run
 * (pthread_exit() in main()) does not.
 */
static bool mp3_group_dead(struct task_struct *task)
{
	bool dead;

	rcu_read_lock();
	dead = READ_ONCE(task->exit_state) && thread_group_empty(task);
	rcu_read_unlock();
	return dead;
}

/*
 * Refresh @reg's task from its pid (a multithreaded exec moves the group's
 * TGID to another task) and tell whether the whole group has exited: either
 * it has been reaped, or only a zombie leader is left.
 */
static bool mp3_reg_refresh(struct mp3_reg *reg)
{
	struct task_struct *task = get_pid_task(reg->pid, PIDTYPE_TGID);

	if (!task)
		return true;
	if (task != reg->task) {
		put_task_struct(reg->task);
		reg->task = task;
	} else {
		put_task_struct(task);
	}
	return mp3_group_dead(task);
}

static void mp3_reg_free(struct mp3_reg *reg)
{
	put_task_struct(reg->task);
	put_pid(reg->pid);
	kfree(reg);
}

/*
 * Append one record to the ring.  The three counters are written before
 * the jiffies field, which a -1-protocol reader tests first, and the header's
 * sequence is published last.  Called with mp3_lock held.
 */
static void mp3_ring_append(const struct mp3_counts *win, u64 now)
{
	unsigned long slot = mp3_stats.samples_written % MP3_RING_SAMPLES;
	struct mp3_record *rec = &mp3_ring[slot];

	lockdep_assert_held(&mp3_lock);

	if (READ_ONCE(rec->jiffies) != U64_MAX)	/* not yet taken by a consumer */
		mp3_stats.samples_overwritten++;
	WRITE_ONCE(rec->min_flt, win->min_flt);
	WRITE_ONCE(rec->maj_flt, win->maj_flt);
	WRITE_ONCE(rec->cpu_ns, win->cpu_ns);
	WRITE_ONCE(mp3_stamps[slot], now);
	smp_wmb();	/* counters before the field readers poll */
	WRITE_ONCE(rec->jiffies, jiffies);
	mp3_stats.samples_written++;
	/* publish the record and its stamp before the new sequence number */
	smp_store_release(&mp3_hdr->written, mp3_stats.samples_written);
	wake_up_interruptible(&mp3_read_wq);
}

/*
 * Take one sample: sum every registration's counters since the previous
 * sample, plus what unregistered processes left in mp3_carry, and drop
 * processes that have exited once their final counts are in.  That takes
 * two samples: the one that finds the group dead marks it dying, because
 * its last thread may not have switched out yet (sum_exec_runtime grows
 * until do_task_dead()); the next one reads the final counts and frees it.
 * Called with mp3_lock held.
 */
static void mp3_sample(u64 now)
{
	struct mp3_counts win = mp3_carry, cur;
	struct mp3_reg *reg, *tmp;

	lockdep_assert_held(&mp3_lock);
	memset(&mp3_carry, 0, sizeof(mp3_carry));
	list_for_each_entry_safe(reg, tmp, &mp3_regs, node) {
		bool last = reg->dying;	/* found dead by the previous sample */

		if (!last)
			reg->dying = mp3_reg_refresh(reg);
		mp3_read_counts(reg->task, &cur);
		mp3_counts_add_delta(&win, &cur, &reg->last);
		reg->last = cur;
		if (last) {
			list_del(&reg->node);
			mp3_nr_regs--;
			mp3_stats.exited_total++;
			mp3_reg_free(reg);
		}
	}
	mp3_ring_append(&win, now);
}

/* Arm the sampler for the deadline one period from now.  Under mp3_lock. */
static void mp3_sampler_start(void)
{
	lockdep_assert_held(&mp3_lock);
	if (mp3_sampling || mp3_stopping)
		return;
	mp3_sampling = true;
	mp3_deadline = ktime_get_ns() + mp3_period_ns;
	mp3_stats.last_ns = 0;
	queue_delayed_work(mp3_system_wq(), &mp3_work,
			   DIV_ROUND_UP_ULL(mp3_period_ns, TICK_NSEC));
}

/*
 * Periodic work on fixed deadlines (like kernel/sched/psi.c): the next
 * deadline is the previous one plus the period, not "now plus the period",
 * so a late run does not shift every later sample and the average rate stays
 * exactly 1/period.  Deadlines a very late run has already passed are
 * skipped and counted in mp3_stats.deadlines_missed.
 */
static void mp3_work_fn(struct work_struct *work)
{
	u64 now, start, delay_ns;

	mutex_lock(&mp3_lock);
	if (!mp3_sampling || mp3_stopping)
		goto out_unlock;
	now = ktime_get_ns();
	/*
	 * Timers fire on ticks, so a run may come up to a tick before its
	 * deadline; that counts as on time.  Earlier than that (re-armed
	 * after a stop and restart) waits for the deadline.
	 */
	if (now + TICK_NSEC < mp3_deadline)
		goto out_requeue;

	start = now;
	mp3_sample(now);
	if (mp3_stats.last_ns) {
		mp3_stats.period_sum_ns += now - mp3_stats.last_ns;
		mp3_stats.period_intervals++;
	}
	mp3_stats.last_ns = now;
	mp3_stats.handler_runs++;
	mp3_stats.handler_last_ns = ktime_get_ns() - start;
	mp3_stats.handler_sum_ns += mp3_stats.handler_last_ns;
	mp3_stats.handler_max_ns = max(mp3_stats.handler_max_ns,
				       mp3_stats.handler_last_ns);

	if (list_empty(&mp3_regs)) {
		mp3_sampling = false;
		goto out_unlock;
	}
	/*
	 * The next deadline, skipping (and counting) those that have passed
	 * by the end of this pass, so a pass longer than the period shows
	 * in deadlines_missed.
	 */
	now = start + mp3_stats.handler_last_ns;
	mp3_deadline += mp3_period_ns;
	if (mp3_deadline <= now) {
		u64 missed = div64_u64(now - mp3_deadline, mp3_period_ns) + 1;

		mp3_deadline += missed * mp3_period_ns;
		mp3_stats.deadlines_missed += missed;
	}
out_requeue:
	delay_ns = mp3_deadline > now ? mp3_deadline - now : 0;
	queue_delayed_work(mp3_system_wq(), &mp3_work,
			   DIV_ROUND_UP_ULL(delay_ns, TICK_NSEC));
out_unlock:
	mutex_unlock(&mp3_lock);
}

/*
 * A referenced live thread of @task's group, or NULL if none is left.  The
 * leader may be a zombie whose other threads run on (pthread_exit() in
 * main()); such a leader has no mm of its own.
 */
static struct task_struct *mp3_live_thread(struct task_struct *task)
{
	struct task_struct *t, *live = NULL;

	rcu_read_lock();
	for_each_thread(task, t) {
		if (!(READ_ONCE(t->flags) & PF_EXITING) && READ_ONCE(t->mm)) {
			live = get_task_struct(t);
			break;
		}
	}
	rcu_read_unlock();
	return live;
}

/*
 * May the opener of @file read @task's state, as ptrace_may_access(task,
 * PTRACE_MODE_READ_FSCREDS) decides for the opener's credentials?  That
 * function is not exported to modules, so this repeats its credential and
 * dumpability rules; it does not consult LSMs (Yama restricts only attach
 * mode anyway).  The opener's credentials (file->f_cred), not the writer's:
 * an fd passed to a privileged program must not lend it the program's
 * rights.  Dumpability is judged on a live thread of the group (the
 * leader may be a zombie without an mm).  A group without one is refused
 * when @need_live (6.1's ptrace lets anyone through for an mm-less task
 * instead), and judged on its credentials alone otherwise.
 */
static bool mp3_may_read(const struct file *file, struct task_struct *task,
			 bool need_live)
{
	const struct cred *cred = file->f_cred, *tcred;
	struct task_struct *live;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = (uid_eq(cred->fsuid, tcred->euid) &&
	      uid_eq(cred->fsuid, tcred->suid) &&
	      uid_eq(cred->fsuid, tcred->uid) &&
	      gid_eq(cred->fsgid, tcred->egid) &&
	      gid_eq(cred->fsgid, tcred->sgid) &&
	      gid_eq(cred->fsgid, tcred->gid)) ||
	     file_ns_capable(file, tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	if (!ok)
		return false;

	smp_rmb();	/* dumpability after credentials, as ptrace does */
	live = mp3_live_thread(task);
	if (!live)
		return !need_live;
	ok = !mp3_task_dump_restricted(file, live);
	put_task_struct(live);
	return ok;
}

/* Find the registration of the process @pid names.  Under mp3_lock. */
static struct mp3_reg *mp3_find(struct pid *pid)
{
	struct mp3_reg *reg;

	lockdep_assert_held(&mp3_lock);
	list_for_each_entry(reg, &mp3_regs, node)
		if (reg->pid == pid)
			return reg;
	return NULL;
}

static int mp3_register(const struct file *file, pid_t nr)
{
	struct task_struct *task;
	struct mp3_reg *reg;
	struct pid *pid;
	int ret;

	pid = find_get_pid(nr);
	if (!pid)
		return -ESRCH;
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task) {		/* a thread ID, or already reaped */
		ret = -ESRCH;
		goto out_put_pid;
	}
	if (mp3_group_dead(task)) {
		ret = -ESRCH;
		goto out_put_task;
	}
	if (!mp3_may_read(file, task, true)) {
		ret = -EPERM;
		goto out_put_task;
	}
	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg) {
		ret = -ENOMEM;
		goto out_put_task;
	}
	reg->pid = pid;
	reg->task = task;
	reg->owner = file->f_cred->euid;
	get_task_comm(reg->comm, task);

	if (mutex_lock_interruptible(&mp3_lock)) {
		ret = -ERESTARTSYS;
		goto out_free_reg;
	}
	if (mp3_find(pid)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (mp3_nr_regs >= max_registrations) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	mp3_read_counts(task, &reg->base);
	reg->last = reg->base;
	list_add_tail(&reg->node, &mp3_regs);
	mp3_nr_regs++;
	mp3_stats.registered_total++;
	mp3_sampler_start();
	mutex_unlock(&mp3_lock);
	return 0;

out_unlock:
	mutex_unlock(&mp3_lock);
out_free_reg:
	kfree(reg);
out_put_task:
	put_task_struct(task);
out_put_pid:
	put_pid(pid);
	return ret;
}

/*
 * Drop a registration.  Its counts since the previous sample go into the
 * next one; if it was the last registration there is no next one, so the
 * final partial window is written now and the sampler stops.
 */
static int mp3_unregister(const struct file *file, pid_t nr)
{
	struct mp3_counts cur;
	struct mp3_reg *reg;
	struct pid *pid;
	int ret = 0;

	pid = find_get_pid(nr);
	if (mutex_lock_interruptible(&mp3_lock)) {
		ret = -ERESTARTSYS;
		goto out_put_pid;
	}
	reg = pid ? mp3_find(pid) : NULL;
	if (!reg) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (!uid_eq(reg->owner, file->f_cred->euid) &&
	    !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN)) {
		ret = -EPERM;
		goto out_unlock;
	}
	mp3_reg_refresh(reg);
	mp3_read_counts(reg->task, &cur);
	mp3_counts_add_delta(&mp3_carry, &cur, &reg->last);
	list_del(&reg->node);
	mp3_nr_regs--;
	mp3_reg_free(reg);
	if (list_empty(&mp3_regs) && mp3_sampling) {
		mp3_sample(ktime_get_ns());
		mp3_sampling = false;
		cancel_delayed_work(&mp3_work);
	}
out_unlock:
	mutex_unlock(&mp3_lock);
out_put_pid:
	put_pid(pid);
	return ret;
}

/*
 * Parse "R <pid>" or "U <pid>": one letter, one or more blanks, a decimal
 * PID in 1..PID_MAX_LIMIT, and at most one trailing newline.  Anything else
 * is -EINVAL.
 */
static int mp3_parse(const char *buf, size_t len, char *cmd, pid_t *nr)
{
	size_t i = 1, start;
	int val;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len < 3 || (buf[0] != 'R' && buf[0] != 'U'))
		return -EINVAL;
	if (buf[1] != ' ' && buf[1] != '\t')
		return -EINVAL;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	start = i;
	if (start == len || len - start > 7)
		return -EINVAL;
	val = 0;
	for (; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		val = val * 10 + (buf[i] - '0');
	}
	if (val < 1 || val > PID_MAX_LIMIT)
		return -EINVAL;
	*cmd = buf[0];
	*nr = val;
	return 0;
}

static ssize_t mp3_status_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[MP3_CMD_MAX];
	pid_t nr;
	char cmd;
	int ret;

	if (count == 0 || count > sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	ret = mp3_parse(buf, count, &cmd, &nr);
	if (ret)
		return ret;
	ret = cmd == 'R' ? mp3_register(file, nr) : mp3_unregister(file, nr);
	return ret ? ret : count;
}

/*
 * The PID of @reg as the reader sees it, or 0 if the reader may not see
 * it: outside the reader's PID namespace, or (for non-root openers)
 * another user's registration.
 */
static pid_t mp3_visible_pid(const struct file *file, struct mp3_reg *reg)
{
	if (!uid_eq(reg->owner, file->f_cred->euid) &&
	    !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return 0;
	return pid_nr_ns(reg->pid, task_active_pid_ns(current));
}

static int mp3_status_show(struct seq_file *m, void *v)
{
	struct mp3_reg *reg;
	pid_t nr;

	if (mutex_lock_interruptible(&mp3_lock))
		return -ERESTARTSYS;
	list_for_each_entry(reg, &mp3_regs, node) {
		nr = mp3_visible_pid(m->file, reg);
		if (nr)
			seq_printf(m, "%d\n", nr);
	}
	mutex_unlock(&mp3_lock);
	return 0;
}

static int mp3_status_open(struct inode *inode, struct file *file)
{
	return single_open(file, mp3_status_show, NULL);
}

static const struct proc_ops mp3_status_ops = {
	.proc_open	= mp3_status_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= mp3_status_write,
};

static int mp3_tasks_show(struct seq_file *m, void *v)
{
	char comm[TASK_COMM_LEN * 4];	/* each byte escapes to <= 4 */
	struct mp3_counts cur;
	struct mp3_reg *reg;
	pid_t nr;
	int len;

	if (mutex_lock_interruptible(&mp3_lock))
		return -ERESTARTSYS;
	seq_puts(m, "pid min_flt maj_flt cpu_ns tick_ns base_min_flt base_maj_flt base_cpu_ns base_tick_ns comm\n");
	list_for_each_entry(reg, &mp3_regs, node) {
		nr = mp3_visible_pid(m->file, reg);
		if (!nr)
			continue;
		mp3_reg_refresh(reg);
		/*
		 * The right to read the process is checked again now, as
		 * /proc/PID/io does: one that has since exec'd a setuid
		 * program is no longer shown to a reader who may not read
		 * it.  A group with no live thread left is judged on its
		 * credentials.
		 */
		if (!mp3_may_read(m->file, reg->task, false))
			continue;
		mp3_read_counts(reg->task, &cur);
		/* comm escaped as /proc/PID/status does: one line per process */
		len = string_escape_str(reg->comm, comm, sizeof(comm),
					ESCAPE_SPACE | ESCAPE_SPECIAL, NULL);
		seq_printf(m, "%d %llu %llu %llu %llu %llu %llu %llu %llu %.*s\n",
			   nr, cur.min_flt - reg->base.min_flt,
			   cur.maj_flt - reg->base.maj_flt,
			   cur.cpu_ns - reg->base.cpu_ns,
			   cur.tick_ns - reg->base.tick_ns,
			   reg->base.min_flt, reg->base.maj_flt,
			   reg->base.cpu_ns, reg->base.tick_ns,
			   min_t(int, len, sizeof(comm)), comm);
	}
	mutex_unlock(&mp3_lock);
	return 0;
}

static int mp3_tasks_open(struct inode *inode, struct file *file)
{
	return single_open(file, mp3_tasks_show, NULL);
}

static const struct proc_ops mp3_tasks_ops = {
	.proc_open	= mp3_tasks_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

static int mp3_stats_show(struct seq_file *m, void *v)
{
	if (mutex_lock_interruptible(&mp3_lock))
		return -ERESTARTSYS;
	seq_printf(m, "samples_written %llu\n", mp3_stats.samples_written);
	seq_printf(m, "samples_overwritten %llu\n", mp3_stats.samples_overwritten);
	seq_printf(m, "handler_runs %llu\n", mp3_stats.handler_runs);
	seq_printf(m, "deadlines_missed %llu\n", mp3_stats.deadlines_missed);
	seq_printf(m, "handler_last_ns %llu\n", mp3_stats.handler_last_ns);
	seq_printf(m, "handler_avg_ns %llu\n", mp3_stats.handler_runs ?
		   div64_u64(mp3_stats.handler_sum_ns, mp3_stats.handler_runs) : 0);
	seq_printf(m, "handler_max_ns %llu\n", mp3_stats.handler_max_ns);
	seq_printf(m, "period_ns %llu\n", mp3_period_ns);
	seq_printf(m, "period_mean_ns %llu\n", mp3_stats.period_intervals ?
		   div64_u64(mp3_stats.period_sum_ns, mp3_stats.period_intervals) : 0);
	seq_printf(m, "period_intervals %llu\n", mp3_stats.period_intervals);
	seq_printf(m, "registrations %u\n", mp3_nr_regs);
	seq_printf(m, "max_registrations %u\n", max_registrations);
	seq_printf(m, "registered_total %llu\n", mp3_stats.registered_total);
	seq_printf(m, "exited_total %llu\n", mp3_stats.exited_total);
	seq_printf(m, "sampling %d\n", mp3_sampling);
	mutex_unlock(&mp3_lock);
	return 0;
}

static int mp3_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, mp3_stats_show, NULL);
}

static const struct proc_ops mp3_stats_ops = {
	.proc_open	= mp3_stats_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

/*
 * Map the whole buffer, shared, from offset 0.  Anything else is -EINVAL.
 * Only CAP_SYS_ADMIN may map it writable (the -1 consumer protocol writes
 * into it); everyone else gets a mapping that can never become writable.
 */
static int mp3_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start > MP3_BUF_SIZE)
		return -EINVAL;
	if (!(vma->vm_flags & VM_MAYSHARE))	/* read-only fds clear VM_SHARED */
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (!capable(CAP_SYS_ADMIN)) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		mp3_vm_flags_clear(vma, VM_MAYWRITE);
	}
	/*
	 * Never executable; not inherited across fork (a writable root
	 * mapping must not outlive a privilege drop in a child), for good:
	 * madvise(MADV_DOFORK) refuses to clear VM_DONTCOPY on a VM_IO
	 * mapping (mm/madvise.c), as on open-dice's.  VM_IO also keeps
	 * get_user_pages() (O_DIRECT, vmsplice, process_vm_readv,
	 * /proc/PID/mem) off the buffer.  Not dumped.  remap_vmalloc_range()
	 * adds VM_DONTEXPAND (mremap cannot grow the mapping) and
	 * VM_MIXEDMAP; VM_PFNMAP does not fit its vm_insert_page().
	 */
	mp3_vm_flags_clear(vma, VM_MAYEXEC);
	mp3_vm_flags_set(vma, VM_IO | VM_DONTCOPY | VM_DONTDUMP);
	return remap_vmalloc_range(vma, mp3_buf, 0);
}

/*
 * The read() path (docs/abi.md, "Reading protocol 3: read()").  Each open
 * file has its own cursor, in struct mp3_reader (file->private_data): the
 * number of the next sample it returns.  lseek() reports it, 32 times that
 * number, and never moves it.  A read copies whole records, in ring order,
 * from there.  It copies them out of the ring under mp3_lock, so the
 * writer is never half-way through one, into a small buffer on the stack,
 * and on to the user after dropping the lock: a fault on the user's buffer
 * never holds up the sampler.  Nothing here writes the shared buffer, so
 * mmap readers see exactly what they saw without it.
 *
 * The cursor is not the file position, and the file is not
 * FMODE_ATOMIC_POS: the kernel's f_pos_lock would be held across a read
 * that waits for a sample, and every lseek(), read() and pread() of the
 * same open file from another thread would wait in D state until it
 * returned.  Reads through one open file take turns on the cursor under
 * the reader's own mutex instead, which a read holds while it copies
 * records, never while it waits for one.
 */
#define MP3_READ_CHUNK	16	/* records copied per pass under mp3_lock */

/* One open file of /dev/mp3. */
struct mp3_reader {
	struct mutex lock;	/* held by the read() copying records */
	atomic64_t cursor;	/* next sample to return; set under lock */
};

/* The number of the oldest sample still in the ring.  Under mp3_lock. */
static u64 mp3_oldest_sample(void)
{
	lockdep_assert_held(&mp3_lock);
	if (mp3_stats.samples_written <= MP3_RING_SAMPLES)
		return 0;
	return mp3_stats.samples_written - MP3_RING_SAMPLES;
}

/*
 * Copy the record in ring slot @slot to @dst.  False if a -1-protocol
 * reader has consumed it or is consuming it: some word is -1, which no
 * counter ever is.  Under mp3_lock, which keeps the writer out.
 */
static bool mp3_copy_record(struct mp3_record *dst, u32 slot)
{
	const u64 *src = (const u64 *)&mp3_ring[slot];
	u64 *word = (u64 *)dst;		/* four __u64, no padding */
	bool whole = true;
	int i;

	lockdep_assert_held(&mp3_lock);
	for (i = 0; i < MP3_RECORD_LONGS; i++) {
		word[i] = READ_ONCE(src[i]);
		if (word[i] == U64_MAX)
			whole = false;
	}
	return whole;
}

/*
 * Copy up to @max records of consecutive samples, from sample *@seq on,
 * into @buf; return how many, with *@seq set to the first one's number.
 * With @skip (the read has returned nothing yet) samples that are gone
 * are passed over first: those the writer has overwritten (the cursor
 * moves to the oldest sample) and those a -1-protocol reader consumed.
 * Without it, a gap ends the copy, so that one read() returns consecutive
 * samples.  Under mp3_lock.
 */
static unsigned int mp3_read_chunk(u64 *seq, struct mp3_record *buf,
				   unsigned int max, bool skip)
{
	u64 s = *seq, oldest = mp3_oldest_sample();
	unsigned int n = 0;
	u32 slot;

	lockdep_assert_held(&mp3_lock);
	if (s < oldest) {
		if (!skip)
			return 0;
		s = oldest;
	}
	div_u64_rem(s, MP3_RING_SAMPLES, &slot);
	while (n < max && s + n < mp3_stats.samples_written) {
		if (mp3_copy_record(&buf[n], slot))
			n++;
		else if (!n && skip)
			s++;
		else
			break;
		if (++slot == MP3_RING_SAMPLES)
			slot = 0;
	}
	*seq = s;
	return n;
}

/*
 * Has a sample been written since samples_written was @seen?  Read without
 * mp3_lock, as a wake-up condition only: mp3_read() looks again under it.
 */
static bool mp3_read_ready(u64 seen)
{
	return READ_ONCE(mp3_stats.samples_written) != seen;
}

/*
 * One pass of read(), under the reader's mutex: copy up to @want whole
 * records from the cursor on to @ubuf and move the cursor past them.
 * Returns the records copied (0 if nothing is there) or an error;
 * *@seen is samples_written as this pass last saw it under mp3_lock.
 */
static ssize_t mp3_read_pass(struct mp3_reader *r, char __user *ubuf,
			     size_t want, u64 *seen)
{
	struct mp3_record buf[MP3_READ_CHUNK];
	const size_t rs = sizeof(struct mp3_record);
	u64 seq = atomic64_read(&r->cursor);
	size_t done = 0;
	unsigned long left;
	unsigned int n;
	int ret = 0;

	lockdep_assert_held(&r->lock);
	while (done < want) {
		if (mutex_lock_interruptible(&mp3_lock)) {
			ret = -ERESTARTSYS;
			break;
		}
		n = mp3_read_chunk(&seq, buf,
				   min_t(size_t, want - done, MP3_READ_CHUNK),
				   !done);
		*seen = mp3_stats.samples_written;
		mutex_unlock(&mp3_lock);
		if (!n)
			break;
		left = copy_to_user(ubuf + done * rs, buf, n * rs);
		n -= DIV_ROUND_UP(left, rs);	/* keep only whole records */
		done += n;
		seq += n;
		if (left) {
			ret = -EFAULT;
			break;
		}
	}
	if (!done)
		return ret;
	atomic64_set(&r->cursor, seq);
	return done;
}

/*
 * read(): whole records from the file's cursor on, as many as fit and are
 * there (at least one: a blocking read waits for it, O_NONBLOCK gets
 * -EAGAIN).  A length that is not a multiple of the record size is
 * -EINVAL, 0 returns 0.  An error changes nothing; a fault part-way
 * returns the records copied whole before it.  The wait for a sample
 * holds no lock: other threads may read, poll, lseek and close the same
 * file meanwhile.
 */
static ssize_t mp3_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct mp3_reader *r = file->private_data;
	const size_t rs = sizeof(struct mp3_record);
	ssize_t got;
	u64 seen;
	int ret;

	if (count % rs)
		return -EINVAL;
	if (!count)
		return 0;
	for (;;) {
		if (mutex_lock_interruptible(&r->lock))
			return -ERESTARTSYS;
		seen = 0;
		got = mp3_read_pass(r, ubuf, count / rs, &seen);
		mutex_unlock(&r->lock);
		if (got > 0)
			break;
		if (got < 0)
			return got;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(mp3_read_wq,
					       mp3_read_ready(seen));
		if (ret)
			return ret;
	}
	/* The file position mirrors the cursor, for /proc/PID/fdinfo only. */
	if (ppos)
		*ppos = atomic64_read(&r->cursor) * rs;
	return got * rs;
}

/*
 * lseek(): the cursor, whatever the arguments; it never moves.  It reads
 * the cursor without the reader's mutex, so it never waits for a read.
 */
static loff_t mp3_llseek(struct file *file, loff_t offset, int whence)
{
	struct mp3_reader *r = file->private_data;

	return atomic64_read(&r->cursor) * sizeof(struct mp3_record);
}

/*
 * poll(): readable once a sample has been written after the cursor (a
 * read may still find it consumed by a -1-protocol reader, and then
 * waits, or gets -EAGAIN).  mp3_ring_append() wakes mp3_read_wq.
 */
static __poll_t mp3_poll(struct file *file, poll_table *wait)
{
	struct mp3_reader *r = file->private_data;

	poll_wait(file, &mp3_read_wq, wait);
	if (READ_ONCE(mp3_stats.samples_written) >
	    (u64)atomic64_read(&r->cursor))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/*
 * Each open file has its own read() cursor, starting at the oldest sample
 * still in the ring.  pread() and pwrite() are refused (-ESPIPE): the
 * cursor is the only position.
 */
static int mp3_open(struct inode *inode, struct file *file)
{
	struct mp3_reader *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	if (mutex_lock_interruptible(&mp3_lock)) {
		kfree(r);
		return -ERESTARTSYS;
	}
	atomic64_set(&r->cursor, mp3_oldest_sample());
	mutex_unlock(&mp3_lock);
	file->f_pos = atomic64_read(&r->cursor) * sizeof(struct mp3_record);
	file->private_data = r;
	file->f_mode &= ~(FMODE_PREAD | FMODE_PWRITE);
	return 0;
}

static int mp3_release(struct inode *inode, struct file *file)
{
	struct mp3_reader *r = file->private_data;

	mutex_destroy(&r->lock);
	kfree(r);
	return 0;
}

static const struct file_operations mp3_fops = {
	.owner		= THIS_MODULE,
	.open		= mp3_open,
	.release	= mp3_release,
	.read		= mp3_read,
	.poll		= mp3_poll,
	.mmap		= mp3_mmap,
	.llseek		= mp3_llseek,
};

static void mp3_buf_init(void)
{
	memset(mp3_buf, 0xff, MP3_BUF_SIZE);	/* every long is -1 */
	mp3_ring = mp3_buf;
	mp3_hdr = mp3_buf + MP3_HDR_OFFSET;
	mp3_stamps = mp3_buf + MP3_STAMPS_OFFSET;
	memset(mp3_hdr, 0, sizeof(*mp3_hdr));
	mp3_hdr->magic = MP3_STREAM_MAGIC;
	mp3_hdr->version = MP3_STREAM_VERSION;
	mp3_hdr->hdr_size = sizeof(*mp3_hdr);
	mp3_hdr->capacity = MP3_RING_SAMPLES;
	mp3_hdr->record_size = sizeof(struct mp3_record);
	mp3_hdr->period_us = period_ms * USEC_PER_MSEC;
	mp3_hdr->hz = HZ;
	mp3_hdr->stamps_offset = MP3_STAMPS_OFFSET;
	mp3_hdr->load_mono_ns = ktime_get_ns();
	mp3_hdr->load_jiffies = get_jiffies_64();
}

static char *mp3_devnode(MP3_DEVNODE_DEVICE *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

/* Check the module parameters; 0 or -EINVAL with the reason logged. */
static int __init mp3_check_params(void)
{
	if (period_ms < 1 || period_ms > 10000) {
		pr_err("period_ms=%u out of range 1..10000\n", period_ms);
		return -EINVAL;
	}
	if (max_registrations < 1 || max_registrations > 65536) {
		pr_err("max_registrations=%u out of range 1..65536\n",
		       max_registrations);
		return -EINVAL;
	}
	if (major > 511) {
		pr_err("major=%u out of range 0..511\n", major);
		return -EINVAL;
	}
	if (!gid_valid(make_kgid(&init_user_ns, ctl_gid))) {
		pr_err("ctl_gid=%u is not a valid group\n", ctl_gid);
		return -EINVAL;
	}
	return 0;
}

/* /proc/mp3 and its three files; status is writable by ctl_gid too. */
static int __init mp3_proc_create(void)
{
	struct proc_dir_entry *status;

	mp3_proc_dir = proc_mkdir("mp3", NULL);
	if (!mp3_proc_dir)
		return -ENOMEM;
	status = proc_create("status", 0664, mp3_proc_dir, &mp3_status_ops);
	if (!status ||
	    !proc_create("tasks", 0444, mp3_proc_dir, &mp3_tasks_ops) ||
	    !proc_create("stats", 0444, mp3_proc_dir, &mp3_stats_ops)) {
		proc_remove(mp3_proc_dir);
		return -ENOMEM;
	}
	proc_set_user(status, GLOBAL_ROOT_UID, make_kgid(&init_user_ns, ctl_gid));
	return 0;
}

/*
 * Remove /proc/mp3 (waiting for writers in flight), then stop the sampler
 * and drop every registration a write may have made.
 */
static void mp3_proc_destroy(void)
{
	struct mp3_reg *reg, *tmp;

	proc_remove(mp3_proc_dir);

	mutex_lock(&mp3_lock);
	mp3_stopping = true;
	mp3_sampling = false;
	mutex_unlock(&mp3_lock);
	/* The work reads registrations and the buffer: stop it first. */
	cancel_delayed_work_sync(&mp3_work);

	list_for_each_entry_safe(reg, tmp, &mp3_regs, node) {
		list_del(&reg->node);
		mp3_reg_free(reg);
	}
	mp3_nr_regs = 0;
}

/* The device number, the cdev and /dev/mp3 through the class. */
static int __init mp3_chrdev_create(void)
{
	struct device *dev;
	int ret;

	if (major) {
		mp3_devt = MKDEV(major, MP3_DEV_MINOR);
		ret = register_chrdev_region(mp3_devt, 1, "mp3");
	} else {
		ret = alloc_chrdev_region(&mp3_devt, MP3_DEV_MINOR, 1, "mp3");
	}
	if (ret) {
		pr_err("cannot get device number (major %u): %d\n", major, ret);
		return ret;
	}
	mp3_class = mp3_class_create("mp3");
	if (IS_ERR(mp3_class)) {
		ret = PTR_ERR(mp3_class);
		goto out_unregister_region;
	}
	mp3_class->devnode = mp3_devnode;
	cdev_init(&mp3_cdev, &mp3_fops);
	mp3_cdev.owner = THIS_MODULE;
	ret = cdev_add(&mp3_cdev, mp3_devt, 1);
	if (ret)
		goto out_destroy_class;
	dev = device_create(mp3_class, NULL, mp3_devt, NULL, "mp3");
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_del_cdev;
	}
	return 0;

out_del_cdev:
	cdev_del(&mp3_cdev);
out_destroy_class:
	class_destroy(mp3_class);
out_unregister_region:
	unregister_chrdev_region(mp3_devt, 1);
	return ret;
}

/* Undo mp3_chrdev_create().  No mapping exists: it would hold the module. */
static void mp3_chrdev_destroy(void)
{
	device_destroy(mp3_class, mp3_devt);
	cdev_del(&mp3_cdev);
	class_destroy(mp3_class);
	unregister_chrdev_region(mp3_devt, 1);
}

/*
 * Load: the buffer, then /proc/mp3, then the char device last, so nothing
 * can map the buffer before every other part exists.  Unload in reverse.
 */
static int __init mp3_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct mp3_record) != 32);
	BUILD_BUG_ON(sizeof(struct mp3_stream_hdr) != 128);
	BUILD_BUG_ON(MP3_RING_SAMPLES * sizeof(struct mp3_record) >
		     MP3_HDR_OFFSET);
	BUILD_BUG_ON(MP3_STAMPS_OFFSET + MP3_RING_SAMPLES * sizeof(u64) >
		     MP3_BUF_SIZE);

	ret = mp3_check_params();
	if (ret)
		return ret;
	mp3_period_ns = (u64)period_ms * NSEC_PER_MSEC;

	mp3_buf = vmalloc_user(MP3_BUF_SIZE);
	if (!mp3_buf)
		return -ENOMEM;
	mp3_buf_init();

	ret = mp3_proc_create();
	if (ret)
		goto out_free_buffer;
	ret = mp3_chrdev_create();
	if (ret)
		goto out_destroy_proc;

	pr_info("loaded: /dev/mp3 is %u:%u, period %u ms\n",
		MAJOR(mp3_devt), MINOR(mp3_devt), period_ms);
	return 0;

out_destroy_proc:
	mp3_proc_destroy();
out_free_buffer:
	vfree(mp3_buf);
	return ret;
}

static void __exit mp3_exit(void)
{
	mp3_chrdev_destroy();
	mp3_proc_destroy();
	vfree(mp3_buf);
	pr_info("unloaded\n");
}

module_init(mp3_init);
module_exit(mp3_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Page-fault and CPU-time profiler (CS 423 MP3 design)");
MODULE_AUTHOR("pfprof developers");
