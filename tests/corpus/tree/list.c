#include <stdlib.h>
#include "demo.h"

struct node *list_build(size_t n)
{
	struct node *head = NULL, *x;
	size_t i;

	for (i = 0; i < n; i++) {
		x = malloc(sizeof(*x));
		if (!x)
			abort();
		x->key = i * 2654435761UL;
		x->next = head;
		head = x;
	}
	return head;
}

unsigned long list_sum(const struct node *l)
{
	unsigned long s = 0;

	for (; l; l = l->next)
		s += l->key;
	return s;
}
