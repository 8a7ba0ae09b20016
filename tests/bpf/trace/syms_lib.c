// SPDX-License-Identifier: GPL-2.0
/*
 * syms_lib - libsyms_lib.so, the shared library of syms_target (see
 * syms_test.c).  Built -O0 so that the calls below stay calls.
 */

/* The address this is called from: a point inside the caller. */
__attribute__((noinline)) void *syms_lib_ra(void)
{
	return __builtin_return_address(0);
}

static __attribute__((noinline)) void *here(void)
{
	return __builtin_return_address(0);
}

/* Returns an address inside itself (after its call of here()). */
__attribute__((noinline)) void *syms_lib_func(void)
{
	void *ra = here();

	return ra;
}
