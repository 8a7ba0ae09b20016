// SPDX-License-Identifier: GPL-2.0
/*
 * witness_test - pfcompare's reader of the witness record
 * (compare/witness.c, include/pfprof/witness_record.h) on CSV written
 * here: it reads by name, so a record with fields added (in the middle, at
 * the end, in program rows, new row types, a new source) and a newer minor
 * version is read exactly as the plain one; a record of another major
 * version, or without the version line, is refused.
 *
 * USAGE: witness_test            the cases; a line "PASS WHAT" or "FAIL
 *                                WHAT" each (tests/host/42-witness-record.sh
 *                                numbers them as TAP)
 *        witness_test FILE       read FILE (pfwitness --csv -c output) as
 *                                `pfcompare run -- CMD` does; print the
 *                                recording (docs/compare.md); exit 1 if
 *                                refused
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "witness.h"

/* A record as pfwitness 1.0 writes it with -c; @V: its version line. */
#define HEAD(V) V "type,seq,jiffies,mono_ns,secs,pid,comm,tp_user,tp_kernel,pe_min," \
	"pe_maj,fx_min,fx_maj,fx_gup,fx_skip,cpu_ns,sclk_ns,ru_min,ru_maj,miss_in," \
	"miss_out,cpu_rec_ns,pe_miss_min,pe_miss_maj,stolen_ns\n"
#define BODY \
	"source,,,,,,tracepoint,attached=1,method=tp_btf,reason=\n" \
	"source,,,,,,perf_event,attached=1,method=counting,reason=\n" \
	"source,,,,,,fexit,attached=0,method=,reason=load: Operation not permitted\n" \
	"source,,,,,,sched_switch,attached=1,method=tp_btf,reason=\n" \
	"source,,,,,,thread_counters,attached=1,method=tp_btf,reason=\n" \
	"interval,0,4299058971,16666952584781,0.2,100,t,143,4,144,3,0,0,0,0,1862933,1904943,145,3,0,0,0,0,0,0\n" \
	"interval,1,4299059021,16667152584781,0.2,100,t,10,0,11,1,0,0,0,0,62933,64943,11,1,1,0,500,2,0,7\n" \
	"total,,,,,100,t,153,4,155,4,0,0,0,0,1925866,1969886,156,4,1,0,500,2,0,7\n" \
	"program,,,,,,btf_fault_user,run_cnt=153,run_time_ns=30600,avg_ns=200,recursion_misses=0\n" \
	"program,,,,,,fx_handle_mm_fault,run_cnt=12,run_time_ns=1200,avg_ns=100,recursion_misses=3\n" \
	"untraced,,,,,,switches,in=1,out=0,cpu_rec_ns=500,pe_miss_min=2,pe_miss_maj=0\n" \
	"lost,,,,,,map_full,0\n" \
	"wait4,,,,,100,t,status=0,minflt=156,majflt=4,utime_us=1920,stime_us=5\n"

static const char plain[] = HEAD("# pfwitness-record 1.0\n") BODY;
static const char minor[] = HEAD("# pfwitness-record 1.9\n") BODY;
static const char major[] = HEAD("# pfwitness-record 2.0\n") BODY;
static const char noversion[] = HEAD("") BODY;
/* The same record with fields a newer pfwitness might add: a column after
 * comm and one at the end, a key in front of a program row's, a row type
 * and a source nobody knows yet, a comment.
 */
static const char added[] =
	"# pfwitness-record 1.0\n"
	"# a comment\n"
	"type,seq,jiffies,mono_ns,secs,pid,comm,zz_mid,tp_user,tp_kernel,pe_min,"
	"pe_maj,fx_min,fx_maj,fx_gup,fx_skip,cpu_ns,sclk_ns,ru_min,ru_maj,miss_in,"
	"miss_out,cpu_rec_ns,pe_miss_min,pe_miss_maj,stolen_ns,zz_end\n"
	"source,,,,,,tracepoint,attached=1,method=tp_btf,reason=,since=1\n"
	"source,,,,,,perf_event,attached=1,method=counting,reason=\n"
	"source,,,,,,fexit,attached=0,method=,reason=load: Operation not permitted\n"
	"source,,,,,,sched_switch,attached=1,method=tp_btf,reason=\n"
	"source,,,,,,thread_counters,attached=1,method=tp_btf,reason=\n"
	"source,,,,,,kprobe,attached=1,method=kprobe,reason=\n"
	"interval,0,4299058971,16666952584781,0.2,100,t,99,143,4,144,3,0,0,0,0,1862933,1904943,145,3,0,0,0,0,0,0,98\n"
	"future,,,,,100,t,a=1,b=2\n"
	"interval,1,4299059021,16667152584781,0.2,100,t,99,10,0,11,1,0,0,0,0,62933,64943,11,1,1,0,500,2,0,7,98\n"
	"total,,,,,100,t,99,153,4,155,4,0,0,0,0,1925866,1969886,156,4,1,0,500,2,0,7,98\n"
	"program,,,,,,btf_fault_user,new_key=5,run_cnt=153,run_time_ns=30600,avg_ns=200,recursion_misses=0\n"
	"program,,,,,,fx_handle_mm_fault,run_cnt=12,run_time_ns=1200,avg_ns=100,recursion_misses=3,more=1\n"
	"untraced,,,,,,switches,in=1,out=0,cpu_rec_ns=500,pe_miss_min=2,pe_miss_maj=0\n"
	"lost,,,,,,map_full,0\n"
	"wait4,,,,,100,t,status=0,core=0,minflt=156,majflt=4,utime_us=1920,stime_us=5\n";

static char dir[] = "/tmp/witness_test.XXXXXX";

/*
 * Read @csv as pfcompare reads the witness of `run -- CMD` (one process,
 * pid 100); the recording's text in *@text (malloc'd).  witness_parse's
 * result; its stderr in @err.
 */
static int read_record(const char *csv, char **text, char *err, size_t errlen)
{
	struct witness w = {};
	struct record r;
	size_t len = 0;
	FILE *f, *e;
	int rc, fd;

	snprintf(w.out, sizeof(w.out), "%s/out.csv", dir);
	snprintf(w.err, sizeof(w.err), "%s/err.txt", dir);
	f = fopen(w.out, "w");
	fputs(csv, f);
	fclose(f);
	rec_init(&r);
	r.nprocs = 1;
	r.procs[0].pid = 100;
	fflush(stderr);
	fd = dup(2);
	e = freopen(w.err, "w", stderr);
	rc = witness_parse(&w, &r, true);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	(void)e;
	f = fopen(w.err, "r");
	len = f ? fread(err, 1, errlen - 1, f) : 0;
	err[len] = 0;
	if (f)
		fclose(f);
	*text = NULL;
	f = open_memstream(text, &len);
	rec_save(&r, f);
	fclose(f);
	rec_free(&r);
	return rc;
}

static void say(int ok, const char *what)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", what);
}

int main(int argc, char **argv)
{
	char *base, *t, err[1024], msg[1100];
	struct witness w = {};
	struct record r;
	int rc;

	if (argc == 2) {	/* one file, as `run -- CMD` */
		snprintf(w.out, sizeof(w.out), "%s", argv[1]);
		snprintf(w.err, sizeof(w.err), "/dev/null");
		rec_init(&r);
		r.nprocs = 1;
		rc = witness_parse(&w, &r, true);
		if (!rc)
			rec_save(&r, stdout);
		rec_free(&r);
		return rc ? 1 : 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 2;

	rc = read_record(plain, &base, err, sizeof(err));
	say(!rc && strstr(base, "wit_wait_min=156 wit_wait_maj=4 wit_wait_cpu_ns=1925000") &&
	    strstr(base, "prog fx_handle_mm_fault 12 1200 3") &&
	    strstr(base, "bucket 1 16667152584781 0.200000 10 0 11 1 0 0 0 0 62933"),
	    "a 1.0 record: buckets, totals, programs and wait4 read by name");
	if (rc || !strstr(base, "wit_wait_min=156"))
		fprintf(stderr, "%s%s", base, err);
	say(!rc && strstr(base, "witness have=1 tp=1 pe=1 fx=0 sw=1 ru=1") != NULL,
	    "a 1.0 record: the sources from its source rows (fexit not attached)");

	rc = read_record(added, &t, err, sizeof(err));
	say(!rc && !strcmp(t, base),
	    "fields added (a column after comm and at the end, program keys, a row type, a source): read the same");
	if (rc || strcmp(t, base))
		fprintf(stderr, "--- plain\n%s--- added\n%s%s", base, t, err);
	free(t);

	rc = read_record(minor, &t, err, sizeof(err));
	say(!rc && !strcmp(t, base), "a newer minor version (1.9): read the same");
	free(t);

	rc = read_record(major, &t, err, sizeof(err));
	snprintf(msg, sizeof(msg), "major version 2.0: refused, saying so (%d: %.*s)", rc,
		 (int)strcspn(err, "\n"), err);
	say(rc == -1 && strstr(err, "witness record version 2.0") &&
	    strstr(err, "reads version 1.x only"), msg);
	free(t);

	rc = read_record(noversion, &t, err, sizeof(err));
	snprintf(msg, sizeof(msg), "no version line: refused, saying so (%d: %.*s)", rc,
		 (int)strcspn(err, "\n"), err);
	say(rc == -1 && strstr(err, "no '# pfwitness-record' line"), msg);
	free(t);
	free(base);

	snprintf(msg, sizeof(msg), "rm -rf %s", dir);
	return system(msg) ? 2 : 0;
}
