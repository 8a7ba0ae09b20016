/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* output.h - output helpers every pfprof BPF tool shares. */
#ifndef __PFW_OUTPUT_H
#define __PFW_OUTPUT_H

enum pfb_format { PFB_TABLE, PFB_CSV, PFB_JSON };

/*
 * @s made safe for a CSV field or a JSON string: printable ASCII, with
 * commas, quotes and backslashes replaced by '_'.  Returns one of two
 * static buffers (so two calls may share a printf), at most 127 chars.
 */
const char *pfb_clean(const char *s);

/* @one if @n is 1, else @many: "1 fault", "2 faults", "0 faults". */
const char *pfb_plural(unsigned long long n, const char *one, const char *many);

#endif
