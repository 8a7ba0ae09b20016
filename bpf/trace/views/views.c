// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* views.c - the table of pftrace's views (view.h). */
#include <string.h>
#include "view.h"

/* --help lists the views' options in this order: where, code, lat, heat, serve */
const struct pft_view *const pft_views[] = {
	&pft_view_where,
	&pft_view_code,
	&pft_view_lat,
	&pft_view_heat,
	&pft_view_top,
	&pft_view_serve,
	NULL,
};

const struct pft_view *pft_view_find(const char *name)
{
	const struct pft_view *const *v;

	for (v = pft_views; *v; v++)
		if (!strcmp((*v)->name, name))
			return *v;
	return NULL;
}
