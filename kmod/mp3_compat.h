/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces mp3.c uses that differ between the kernels pfprof
 * supports (5.10 to 7.x; docs/kernels.md), in one place.  mp3.c calls the
 * helpers below and holds no version conditionals of its own.  Each helper
 * names the release that changed the interface; where a change can be
 * detected by what the headers hold rather than by version, it is.
 */
#ifndef MP3_COMPAT_H
#define MP3_COMPAT_H

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/task.h>
#include <linux/workqueue.h>

/*
 * Is the kernel this is built against release @major.@minor or later?
 * Interfaces change at merge windows, so major.minor is enough.  Kbuild
 * passes the release of the tree it builds against (VERSION and
 * PATCHLEVEL of its top Makefile) as MP3_KV_MAJOR and MP3_KV_MINOR.
 */
#define MP3_KERNEL_SINCE(major, minor) \
	(MP3_KV_MAJOR * 256 + MP3_KV_MINOR >= (major) * 256 + (minor))

/* 7.x keeps dumpability in the task (see mp3_task_dump_restricted()). */
#if __has_include("linux/sched/exec_state.h")
#include <linux/sched/exec_state.h>
#define MP3_HAVE_TASK_EXEC_STATE 1
#endif

/* 6.4 dropped class_create()'s owner argument. */
static inline struct class *mp3_class_create(const char *name)
{
#if MP3_KERNEL_SINCE(6, 4)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/* 6.2 made the device a class's devnode() callback receives const. */
#if MP3_KERNEL_SINCE(6, 2)
#define MP3_DEVNODE_DEVICE const struct device
#else
#define MP3_DEVNODE_DEVICE struct device
#endif

/*
 * 6.3 made vma->vm_flags read-only and added vm_flags_set() and
 * vm_flags_clear(); before, drivers changed the field directly (mmap
 * callers hold mmap_lock for writing either way).
 */
static inline void mp3_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
#if MP3_KERNEL_SINCE(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void mp3_vm_flags_clear(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
#if MP3_KERNEL_SINCE(6, 3)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * The per-CPU system workqueue: system_percpu_wq since 6.17 (7.x logs a
 * deprecation notice for work queued on system_wq), system_wq before.
 */
static inline struct workqueue_struct *mp3_system_wq(void)
{
#if MP3_KERNEL_SINCE(6, 17)
	return system_percpu_wq;
#else
	return system_wq;
#endif
}

/*
 * Does @task's dumpability keep out a reader, the opener of @file, that
 * passed the credential check, as ptrace_may_access() decides for
 * PTRACE_MODE_READ?  It does when the task is not dumpable by its owner
 * and the opener lacks CAP_SYS_PTRACE in the namespace that owns the
 * task's executable.
 *
 * Up to 6.x dumpability and that namespace live in the mm (get_dumpable(),
 * mm->user_ns); 6.1's ptrace then lets anyone through for a task without
 * an mm, which the caller avoids by passing a live thread.  7.x moved both
 * to the task, in task->exec_state (RCU-protected; its accessor is not
 * exported), so every task has them.
 */
static inline bool mp3_task_dump_restricted(const struct file *file,
					    struct task_struct *task)
{
	bool restricted;
#ifdef MP3_HAVE_TASK_EXEC_STATE
	struct task_exec_state *es;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	restricted = !es || (es->dumpable != TASK_DUMPABLE_OWNER &&
			     !file_ns_capable(file, es->user_ns, CAP_SYS_PTRACE));
	rcu_read_unlock();
#else
	struct mm_struct *mm;

	task_lock(task);
	mm = task->mm;
	restricted = !mm || (get_dumpable(mm) != SUID_DUMP_USER &&
			     !file_ns_capable(file, mm->user_ns, CAP_SYS_PTRACE));
	task_unlock(task);
#endif
	return restricted;
}

#endif /* MP3_COMPAT_H */
