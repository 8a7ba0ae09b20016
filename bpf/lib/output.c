// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* output.c - see output.h. */
#include "output.h"

const char *pfb_clean(const char *s)
{
	static char bufs[2][128];
	static int which;
	char *buf = bufs[which ^= 1];
	int i;

	for (i = 0; i < 127 && s[i]; i++)
		buf[i] = (s[i] < 32 || s[i] > 126 || s[i] == '"' ||
			  s[i] == ',' || s[i] == '\\') ? '_' : s[i];
	buf[i] = 0;
	return buf;
}

const char *pfb_plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
