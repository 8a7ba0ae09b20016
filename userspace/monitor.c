// SPDX-License-Identifier: GPL-2.0
/*
 * monitor - print the mp3 profiler's samples.
 *
 * Default (compatible with the assignment's monitor): open the device node
 * ("node" unless -d says otherwise) O_RDWR|O_SYNC, map the 128-page buffer
 * shared and writable, start at the first slot whose jiffies is not -1,
 * print each sample as "jiffies minflt majflt cpu_ns", write -1 back into
 * every long consumed, wrap after 12000 samples, and stop at a slot whose
 * jiffies is -1.  It steps a whole record at a time, so a record the
 * module is half-way through (counters written, jiffies not yet) stops it
 * instead of misaligning it.
 *
 * -f follows the ring through the stream header instead: read-only (works
 * for non-root users given read access to the node), never writes the
 * buffer, waits for new samples, and reports samples lost to overrun or
 * consumed by a -1 reader first.
 *
 * USAGE: monitor [-d NODE] [-f [-n COUNT] [-t SECONDS] [-F FROM]] [-x] [-s]
 */
#include <errno.h>
#include <getopt.h>	/* getopt_long: --help */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mp3buf.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f, int code)
{
	fprintf(f,
"USAGE: monitor [-d NODE] [-f] [-n COUNT] [-t SECONDS] [-F all|new] [-x] [-s]\n"
"Print mp3 profiler samples: jiffies minor_faults major_faults cpu_ns.\n"
"\n"
"  -d NODE     device node to map (default: node, as the assignment's monitor)\n"
"  -f          follow: read-only, via the stream header; wait for new samples\n"
"              until -n/-t is reached or SIGINT/SIGTERM; report lost samples\n"
"  -F all|new  with -f: start at the oldest sample still in the ring (all,\n"
"              default) or only print samples written from now on (new)\n"
"  -n COUNT    with -f: stop after COUNT samples\n"
"  -t SECONDS  with -f: stop after SECONDS (fractions allowed)\n"
"  -x          extended columns: seq mono_ns jiffies minflt majflt cpu_ns\n"
"              (needs the stream header; implies reading it)\n"
"  -s          print a summary line of totals to stderr at the end\n"
"  -h, --help  this help\n"
"\n"
"EXAMPLES:\n"
"  monitor                       # drain the ring once, like the assignment's\n"
"  monitor -d /dev/mp3 -f -t 10  # follow for 10 s, report losses\n"
"  monitor -d /dev/mp3 -f -x -n 100 > samples.txt\n");
	exit(code);
}

struct totals {
	unsigned long n;
	int64_t min_flt, maj_flt, cpu_ns;
};

static void add(struct totals *t, int64_t mi, int64_t ma, int64_t cpu)
{
	t->n++;
	t->min_flt += mi;
	t->maj_flt += ma;
	t->cpu_ns += cpu;
}

/* The assignment's -1 protocol, a record at a time (mp3buf_drain_next). */
static void drain_compat(struct mp3buf *b, struct totals *t)
{
	long pos = MP3BUF_DRAIN_START;
	struct mp3_sample s;

	while (mp3buf_drain_next(b, &pos, &s)) {
		printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
		       s.jiffies, s.min_flt, s.maj_flt, s.cpu_ns);
		add(t, s.min_flt, s.maj_flt, s.cpu_ns);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void follow(struct mp3buf *b, long count, double seconds, int from_new,
		   int extended, struct totals *t, unsigned long long *lost_out)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	uint64_t next, lost = 0, w = mp3buf_written(b);
	double deadline = seconds > 0 ? now_s() + seconds : 0;
	struct mp3_sample s;

	next = from_new ? w : (w > MP3_RING_SAMPLES - 1 ? w - (MP3_RING_SAMPLES - 1) : 0);
	while (!stop) {
		if (mp3buf_follow(b, &next, &lost, &s)) {
			if (extended)
				printf("%" PRIu64 " %" PRIu64 " ", s.seq, s.mono_ns);
			printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
			       s.jiffies, s.min_flt, s.maj_flt, s.cpu_ns);
			add(t, s.min_flt, s.maj_flt, s.cpu_ns);
			if (count > 0 && (long)t->n >= count)
				break;
			continue;
		}
		fflush(stdout);
		if (deadline && now_s() >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	*lost_out = lost;
}

/* What the command line asks for. */
struct opts {
	const char *node;
	int follow, extended, summary, from_new;
	long count;
	double seconds;
};

/* One option @opt (its argument in optarg); a bad one exits 2 with the usage. */
static void parse_opt(struct opts *o, int opt)
{
	char *end;

	switch (opt) {
	case 'd':
		o->node = optarg;
		break;
	case 'f':
		o->follow = 1;
		break;
	case 'F':
		if (!strcmp(optarg, "new"))
			o->from_new = 1;
		else if (strcmp(optarg, "all"))
			usage(stderr, 2);
		break;
	case 'n':
		errno = 0;
		o->count = strtol(optarg, &end, 10);
		if (errno || *end || o->count <= 0) {
			fprintf(stderr, "monitor: -n needs a positive count\n");
			usage(stderr, 2);
		}
		break;
	case 't':
		o->seconds = strtod(optarg, &end);
		if (*end || !(o->seconds > 0)) {
			fprintf(stderr, "monitor: -t needs positive seconds\n");
			usage(stderr, 2);
		}
		break;
	case 'x':
		o->extended = 1;
		break;
	case 's':
		o->summary = 1;
		break;
	case 'h':
		usage(stdout, 0);
		break;
	default:
		usage(stderr, 2);
	}
}

/* The options, and whether they go together; a usage error exits 2. */
static void parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "d:fF:n:t:xsh", longopts, NULL)) != -1)
		parse_opt(o, opt);
	if (optind != argc)
		usage(stderr, 2);
	if ((o->count || o->seconds || o->from_new || o->extended) && !o->follow) {
		fprintf(stderr, "monitor: -n, -t, -F and -x need -f\n");
		usage(stderr, 2);
	}
}

/*
 * Map the node: writable for the -1 protocol, read-only to follow (which
 * needs the stream header).  0, or 1 with a message.
 */
static int open_buffer(struct mp3buf *b, const struct opts *o)
{
	if (mp3buf_open(b, o->node, !o->follow))
		return 1;
	if (o->follow && !b->hdr) {
		fprintf(stderr, "monitor: %s has no stream header (version %u expected)\n",
			o->node, MP3_STREAM_VERSION);
		mp3buf_close(b);
		return 1;
	}
	return 0;
}

/* Follow the ring or drain it once, until SIGINT/SIGTERM at the latest. */
static void run(struct mp3buf *b, const struct opts *o, struct totals *t,
		unsigned long long *lost)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (o->follow)
		follow(b, o->count, o->seconds, o->from_new, o->extended, t, lost);
	else
		drain_compat(b, t);
	fflush(stdout);
}

static void print_summary(const struct opts *o, const struct totals *t, unsigned long long lost)
{
	if (o->summary || o->follow)
		fprintf(stderr, "monitor: samples=%lu lost=%llu minflt=%" PRId64
			" majflt=%" PRId64 " cpu_ns=%" PRId64 "\n",
			t->n, lost, t->min_flt, t->maj_flt, t->cpu_ns);
}

int main(int argc, char **argv)
{
	struct opts o = { .node = "node" };
	unsigned long long lost = 0;
	struct totals t = { 0 };
	struct mp3buf b;

	parse_args(&o, argc, argv);
	if (open_buffer(&b, &o))
		return 1;
	run(&b, &o, &t, &lost);
	print_summary(&o, &t, lost);
	mp3buf_close(&b);
	return 0;
}
