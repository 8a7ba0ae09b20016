#include <string.h>
#include "demo.h"

unsigned long hash_str(const char *s)
{
	unsigned long h = 1469598103934665603UL;
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211UL;
	}
	return h;
}
