// SPDX-License-Identifier: GPL-2.0
/*
 * leak: DELIBERATELY BROKEN.  Allocates a buffer at load time and drops the
 * only pointer to it, so nothing can ever free it.  kmemleak reports it as
 * an unreferenced object; the debug lane must report it
 * (tools/debug/debug-selftest.sh checks that it does).  The buffer starts with
 * the text "pfprof-leak", which kmemleak's hex dump shows: the backtrace
 * alone cannot name the module, as its init code is freed by then.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static noinline void leak_a_buffer(void)
{
	char *p = kmalloc(256, GFP_KERNEL);

	if (p) {
		memset(p, 0, 256);
		strscpy(p, "pfprof-leak", 256);
		barrier_data(p);	/* keep the stores: the buffer is never read */
	}
	/* the bug: p goes out of scope */
}

static int __init leak_init(void)
{
	leak_a_buffer();
	return 0;
}

static void __exit leak_exit(void)
{
}

module_init(leak_init);
module_exit(leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pfprof debug-lane self-test: leaks one allocation");
