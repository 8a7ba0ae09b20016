// SPDX-License-Identifier: GPL-2.0
/*
 * syms_target - the process syms_test resolves (a PIE linked with
 * libsyms_lib.so, found next to it: rpath $ORIGIN).  It prints on stdout
 *
 *   exe=A exe_ra=A lib=A lib_ra=A vdso=A
 *
 * (syms_target_func, a point inside it, syms_lib_func, a point inside
 * it, the vDSO's ELF header), then reads stdin: 'd' dlopens
 * libsyms_dl.so from its own directory and prints "dl=A" (syms_dl_func);
 * end of file exits.  Built -O0 so that the calls stay calls.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

void *syms_lib_ra(void);
void *syms_lib_func(void);

/* Returns a point inside itself: where its call of syms_lib_ra returns. */
__attribute__((noinline)) void *syms_target_func(void)
{
	void *ra = syms_lib_ra();

	return ra;
}

static void *dl_func(void)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	void *h;

	if (n < 0)
		return NULL;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/libsyms_dl.so", dirname(self));
	h = dlopen(path, RTLD_NOW);
	return h ? dlsym(h, "syms_dl_func") : NULL;
}

int main(void)
{
	int c;

	printf("exe=%p exe_ra=%p lib=%p lib_ra=%p vdso=%#lx\n",
	       (void *)syms_target_func, syms_target_func(),
	       (void *)syms_lib_func, syms_lib_func(), getauxval(AT_SYSINFO_EHDR));
	fflush(stdout);
	while ((c = getchar()) != EOF) {
		if (c == 'd') {
			printf("dl=%p\n", dl_func());
			fflush(stdout);
		}
	}
	return 0;
}
