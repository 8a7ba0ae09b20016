// SPDX-License-Identifier: GPL-2.0
/*
 * sleep_in_atomic: DELIBERATELY BROKEN.  Under a spinlock at load time it
 * makes a GFP_KERNEL allocation (which may sleep: might_sleep() says so
 * under CONFIG_DEBUG_ATOMIC_SLEEP, "BUG: sleeping function called from
 * invalid context") and then sleeps (msleep: the scheduler says
 * "BUG: scheduling while atomic").  The debug lane must report it
 * (tools/debug/debug-selftest.sh checks that it does).
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(broken_lock);

static int __init sleep_in_atomic_init(void)
{
	void *p;

	spin_lock(&broken_lock);
	p = kmalloc(64, GFP_KERNEL);	/* the bug: may sleep, under a spinlock */
	kfree(p);
	msleep(20);		/* and does sleep */
	spin_unlock(&broken_lock);
	return 0;
}

static void __exit sleep_in_atomic_exit(void)
{
}

module_init(sleep_in_atomic_init);
module_exit(sleep_in_atomic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pfprof debug-lane self-test: sleeps under a spinlock");
