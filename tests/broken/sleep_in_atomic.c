// SPDX-License-Identifier: GPL-2.0
/*
 * sleep_in_atomic: DELIBERATELY BROKEN.  Sleeps (msleep) while holding a
 * spinlock at load time.  Under CONFIG_DEBUG_ATOMIC_SLEEP the kernel prints
 * "BUG: sleeping function called from invalid context"; the debug lane
 * must report it (scripts/debug-selftest.sh checks that it does).
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(broken_lock);

static int __init sleep_in_atomic_init(void)
{
	spin_lock(&broken_lock);
	msleep(10);		/* the bug: may sleep, under a spinlock */
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
