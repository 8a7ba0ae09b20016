#ifndef DEMO_H
#define DEMO_H
#include <stddef.h>
struct node { struct node *next; unsigned long key; };
struct node *list_build(size_t n);
unsigned long list_sum(const struct node *l);
unsigned long hash_str(const char *s);
size_t text_words(const char *s);
#endif
