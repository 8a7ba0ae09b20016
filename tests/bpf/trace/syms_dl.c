// SPDX-License-Identifier: GPL-2.0
/* syms_dl - libsyms_dl.so, dlopen'ed by syms_target on request (syms_test.c). */

__attribute__((noinline)) int syms_dl_func(int x)
{
	return x * 3 + 1;
}
