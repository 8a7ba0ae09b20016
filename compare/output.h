/* SPDX-License-Identifier: GPL-2.0 */
/* output.h - a checked record as a terminal table, JSON, and window CSV. */
#ifndef PFCOMPARE_OUTPUT_H
#define PFCOMPARE_OUTPUT_H

#include <stdio.h>

#include "check.h"
#include "record.h"

void out_table(FILE *f, const struct record *r, const struct checked *c, const char *title);
void out_json(FILE *f, const struct record *r, const struct checked *c, const char *title);
void out_windows_csv(FILE *f, const struct checked *c);

#endif
