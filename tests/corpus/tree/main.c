#include <stdio.h>
#include <stdlib.h>
#include "demo.h"

int main(int argc, char **argv)
{
	struct node *l = list_build(argc > 1 ? strtoul(argv[1], NULL, 0) : 1000);

	printf("%lu %lu %zu\n", list_sum(l), hash_str("corpus"), text_words("a b c"));
	return 0;
}
