// SPDX-License-Identifier: GPL-2.0
/*
 * cmdrun.c - the user's command; see cmdrun.h.
 *
 * With the witness, pfcompare does not fork the command itself: it runs
 * `pfwitness --csv -s all -c 'CMD ARGS' INTERVAL`, whose -c follows the
 * command's descendants from their fork (-p follows threads only).  To
 * register the command with the module before it runs, pfcompare traces
 * pfwitness (PTRACE_SEIZE with PTRACE_O_TRACEFORK) until it forks the
 * command: the command is then auto-attached and starts in a ptrace stop,
 * before pfwitness has even released it.  pfcompare detaches from
 * pfwitness, registers the command (`R pid`), reads its base, sets its
 * options (exec, exit and fork events) and lets it go on to pfwitness's
 * held read.  Being its tracer, pfcompare's wait4 gets the command's exit
 * and rusage (getrusage RUSAGE_BOTH of the zombie: itself and its reaped
 * descendants) before pfwitness, its parent, can reap it.  Descendant
 * processes are traced too (fork events): each is registered with the
 * module at its parent's fork event, before it runs.  Threads are not
 * traced: the module and the witness count a process's threads.
 *
 * Without the witness the command is pfcompare's own held child, traced
 * the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmdrun.h"
#include "collect.h"
#include "mp3buf.h"
#include "mp3ctl.h"
#include "mp3mod.h"
#include "procstat.h"
#include "witness.h"

#define EV(st) ((st) >> 16)
#define MAX_EARLY 16

struct run {
	const struct cmd_opts *o;
	struct record *r;
	bool module;
	pid_t x, w;		/* the command; the witness (0: none) */
	pid_t early[MAX_EARLY];	/* stopped new tracees seen before W's fork event */
	int nearly;
	/* descendants announced by a fork event (registered), and those whose
	 * first stop came before it: held there until it is registered */
	pid_t *seen, held[MAX_EARLY];
	int nseen, capseen, nheld;
	bool x_done, w_done, x_setup;
	struct witness wit;
	struct mp3buf m;
	uint64_t next;
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int cmd_findable(const char *file, char *why, size_t n)
{
	const char *path = getenv("PATH");
	char buf[4096];
	const char *p, *e;
	bool seen = false;

	if (strchr(file, '/')) {
		if (access(file, F_OK))
			return snprintf(why, n, "%s: %s", file, strerror(errno)), 127;
		if (access(file, X_OK))
			return snprintf(why, n, "%s: %s", file, strerror(errno)), 126;
		return 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; p; p = *e ? e + 1 : NULL) {
		e = p + strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), e == p ? "." : p, file);
		if (!access(buf, X_OK))
			return 0;
		seen = seen || !access(buf, F_OK);
	}
	snprintf(why, n, "%s: %s", file, seen ? "Permission denied" : "command not found in $PATH");
	return seen ? 126 : 127;
}

int cmd_words_ok(char *const argv[], char *why, size_t n)
{
	int i;

	for (i = 0; argv[i]; i++)
		if (!argv[i][0] || argv[i][strcspn(argv[i], " \t\n")]) {
			snprintf(why, n, "argument %d ('%s') is empty or holds a blank: pfwitness -c "
				 "splits the command on blanks; put the command in a script", i, argv[i]);
			return -1;
		}
	return 0;
}

bool cmd_module_ready(char *why, size_t n)
{
	struct stat st;
	int err;

	if (!stat(MP3_STATUS_PATH, &st))
		return true;
	if (stat("/proc/modules", &st)) {
		snprintf(why, n, "this kernel has no loadable-module support (no /proc/modules)");
		return false;
	}
	err = pf_load("");
	if (err && err != -EEXIST) {
		snprintf(why, n, "no %s and cannot load %s/mp3.ko: %s", MP3_STATUS_PATH, pf_root(),
			 strerror(-err));
		return false;
	}
	return true;
}

/* The ptrace options of the command; its descendants inherit them. */
static long x_options(const struct run *u)
{
	long opt = PTRACE_O_TRACEEXEC;

	if (u->o->trace)
		opt |= PTRACE_O_TRACEEXIT;
	if (u->o->trace || u->module)
		opt |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	return opt;
}

/* Register @pid with the module (if used); 0 or -1 with a message. */
static int reg(const struct run *u, pid_t pid)
{
	int err;

	if (!u->module)
		return 0;
	err = mp3ctl('R', pid);
	if (err)
		fprintf(stderr, "pfcompare: R %d: %s\n", (int)pid, strerror(-err));
	return err ? -1 : 0;
}

/*
 * A descendant just registered at its parent's fork event: its counts
 * start at 0 at the fork, so the module's base for it (/proc/mp3/tasks,
 * read at registration) is what it took before: the kernel writing its
 * tid (schedule_tail) as it starts, on the other CPU, before its first
 * stop and possibly before the event reached us.  Added to the command's base (the tree's faults before registration,
 * like wait4's rusage is the tree's) and, so that stat - base stays the
 * command's own since registration, to its exit-stop stat.
 */
static void reg_child(struct run *u, pid_t pid)
{
	struct proc_rec *p = &u->r->procs[0];
	FILE *f;
	char line[512];
	long long a, b, c, d, bm, bj, bc;
	int q;

	if (reg(u, pid) || !u->module || !u->o->trace || !(f = fopen("/proc/mp3/tasks", "r")))
		return;	/* bench: registration only */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %lld %lld %lld %lld %lld %lld %lld", &q, &a, &b, &c, &d,
			   &bm, &bj, &bc) == 8 && q == pid) {
			p->base_min += bm;
			p->base_maj += bj;
			p->base_cpu_ns += bc;
			p->stat_min += bm;
			p->stat_maj += bj;
		}
	fclose(f);
}

/*
 * The command is in its first ptrace stop (or held before exec, without
 * the witness: @stopped false, options set at PTRACE_SEIZE): options,
 * registration, base.  0 or -1 with a message.
 */
static int setup_x(struct run *u, bool stopped)
{
	struct proc_rec *p = &u->r->procs[0];
	struct pf_procstat ps;

	if (stopped && ptrace(PTRACE_SETOPTIONS, u->x, 0, x_options(u))) {
		fprintf(stderr, "pfcompare: ptrace options %d: %s\n", (int)u->x, strerror(errno));
		return -1;
	}
	if (reg(u, u->x))
		return -1;
	if (!pf_read_procstat(u->x, &ps)) {
		p->base_min = ps.min_flt;
		p->base_maj = ps.maj_flt;
	}
	p->base_cpu_ns = pf_read_runtime_ns(u->x);
	p->pid = u->x;
	u->x_setup = true;
	return 0;
}

/* Bytes an exec copied onto the new stack: cmdline, environ, file name. */
static long long exec_bytes(pid_t pid)
{
	const char *what[] = { "cmdline", "environ" };
	char path[64], buf[4096];
	long long total = 0;
	ssize_t k;
	int i, fd;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what[i]);
		fd = open(path, O_RDONLY);
		while (fd >= 0 && (k = read(fd, buf, sizeof(buf))) > 0)
			total += k;
		if (fd >= 0)
			close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	k = readlink(path, buf, sizeof(buf));
	return total + (k > 0 ? k + 1 : 0);
}

/*
 * An exec of the command or a descendant: each copies its arguments and
 * environment into the new stack with get_user_pages, at least one fault
 * and at most one per page touched (+2: alignment, a script's interpreter).
 */
static void on_exec(struct run *u, pid_t q)
{
	u->r->execs++;
	u->r->exec_gup_max += exec_bytes(q) / 4096 + 2;
	if (q == u->x && !u->r->release_mono_ns)
		u->r->release_mono_ns = now_ns();	/* wall time starts here */
}

/* The command's exit stop: its /proc entries are still readable. */
static void on_x_exit_stop(struct run *u)
{
	struct proc_rec *p = &u->r->procs[0];
	struct pf_procstat ps;

	if (!pf_read_procstat(u->x, &ps)) {
		p->stat_min += ps.min_flt;	/* + descendants' before registration */
		p->stat_maj += ps.maj_flt;
	}
	p->sched_ns = pf_read_runtime_ns(u->x);
	if (u->module) {
		FILE *f = fopen("/proc/mp3/tasks", "r");
		char line[512];
		long long a, b, c;
		int q;

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "%d %lld %lld %lld", &q, &a, &b, &c) == 4 && q == u->x) {
				p->mod_min = a;
				p->mod_maj = b;
				p->mod_cpu_ns = c;
			}
		if (f)
			fclose(f);
	}
}

/* pfwitness forked the command: detach from pfwitness, set it up. */
static int on_w_fork(struct run *u)
{
	unsigned long msg = 0;
	int i, rc = 0;

	if (ptrace(PTRACE_GETEVENTMSG, u->w, 0, &msg) || u->x)
		return ptrace(PTRACE_CONT, u->w, 0, 0), 0;
	u->x = (pid_t)msg;
	ptrace(PTRACE_DETACH, u->w, 0, 0);
	for (i = 0; i < u->nearly; i++)
		if (u->early[i] == u->x) {	/* its first stop came first */
			rc = setup_x(u, true);
			ptrace(PTRACE_CONT, u->x, 0, 0);
		} else {
			ptrace(PTRACE_CONT, u->early[i], 0, 0);
		}
	u->nearly = 0;
	return rc;
}

static int seen_at(const struct run *u, pid_t q)
{
	int i;

	for (i = 0; i < u->nseen; i++)
		if (u->seen[i] == q)
			return i;
	return -1;
}

/*
 * The fork event of descendant @c: register it, and release it if its
 * first stop came before this event (wait4 may report either first).
 */
static void on_child(struct run *u, pid_t c)
{
	pid_t *n;
	int i;

	if (u->nseen == u->capseen &&
	    (n = realloc(u->seen, (u->capseen * 2 + 16) * sizeof(*n)))) {
		u->seen = n;
		u->capseen = u->capseen * 2 + 16;
	}
	if (u->nseen < u->capseen)
		u->seen[u->nseen++] = c;
	reg_child(u, c);	/* at most its tid written yet */
	for (i = 0; i < u->nheld; i++)
		if (u->held[i] == c) {
			u->held[i] = u->held[--u->nheld];
			ptrace(PTRACE_CONT, c, 0, 0);
		}
}

/* A ptrace stop of the command or a descendant. 0, or -1: give up. */
static int on_stop(struct run *u, pid_t q, int st)
{
	unsigned long msg = 0;
	int sig = WSTOPSIG(st), ev = EV(st);

	if (ev == PTRACE_EVENT_STOP && (!u->x || (q == u->x && !u->x_setup))) {
		if (!u->x) {	/* W's fork event not seen yet: keep it stopped */
			if (u->nearly < MAX_EARLY)
				u->early[u->nearly++] = q;
			return 0;
		}
		if (setup_x(u, true))
			return -1;
	} else if (ev == PTRACE_EVENT_STOP && q != u->x && seen_at(u, q) < 0 &&
		   u->nheld < MAX_EARLY) {
		u->held[u->nheld++] = q;	/* before its parent's fork event */
		return 0;
	} else if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK) {
		if (!ptrace(PTRACE_GETEVENTMSG, q, 0, &msg))
			on_child(u, (pid_t)msg);
	} else if (ev == PTRACE_EVENT_EXEC) {
		on_exec(u, q);
	} else if (ev == PTRACE_EVENT_EXIT && q == u->x) {
		on_x_exit_stop(u);
	}
	if (ev || sig == SIGTRAP)
		sig = 0;
	ptrace(PTRACE_CONT, q, 0, sig);
	return 0;
}

/* The command was reaped: wait4's rusage is the truth. */
static void on_x_reaped(struct run *u, int st, const struct rusage *ru)
{
	struct proc_rec *p = &u->r->procs[0];

	proc_rec_reaped(p, st, ru);
	u->r->end_mono_ns = now_ns();
	u->x_done = true;
}

/* Until the command is reaped and the witness has exited. */
static int wait_loop(struct run *u)
{
	while (!u->x_done || (u->w && !u->w_done)) {
		struct rusage ru;
		int st, i;
		pid_t q = wait4(-1, &st, __WALL, &ru);

		if (q < 0 && errno == EINTR)
			continue;
		if (q < 0) {
			fprintf(stderr, "pfcompare: wait4: %s\n", strerror(errno));
			return -1;
		}
		if (q == u->w && WIFSTOPPED(st)) {
			if (EV(st) != PTRACE_EVENT_FORK && EV(st) != PTRACE_EVENT_VFORK)
				ptrace(PTRACE_CONT, q, 0, EV(st) ? 0 : WSTOPSIG(st));
			else if (on_w_fork(u))
				return -1;
		} else if (q == u->w) {
			u->w_done = true;
			if (!u->x) {
				fprintf(stderr, "pfcompare: the witness exited before starting the command\n");
				return -1;
			}
		} else if (WIFSTOPPED(st)) {
			if (on_stop(u, q, st))
				return -1;
		} else if (q == u->x) {
			on_x_reaped(u, st, &ru);
		} else if ((i = seen_at(u, q)) >= 0) {	/* its pid may come again */
			u->seen[i] = u->seen[--u->nseen];
		}
	}
	return 0;
}

/*
 * A pipe to hold a child with, and the child forked (*@pid): 0 in both,
 * or -1 with a message and the pipe closed.
 */
static int fork_held(int go[2], pid_t *pid)
{
	int err;

	if (pipe2(go, O_CLOEXEC))
		return fprintf(stderr, "pfcompare: fork: %s\n", strerror(errno)), -1;
	*pid = fork();
	if (*pid >= 0)
		return 0;
	err = errno;
	close(go[0]);
	close(go[1]);
	return fprintf(stderr, "pfcompare: fork: %s\n", strerror(err)), -1;
}

/*
 * `pfwitness --csv -s all -c 'CMD ARGS' INTERVAL` as a traced child,
 * released.  0, or -1 with a message (the pipe closed; the witness, if
 * forked, left for cleanup()).
 */
static int start_witness(struct run *u, char *const argv[])
{
	char cmd[4096] = "", ival[32];
	char *wargv[] = { (char *)u->o->witness_prog, "--csv", "-s", "all", "-c", cmd, ival, NULL };
	int go[2], i, fd;
	char b;

	for (i = 0; argv[i]; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
	snprintf(ival, sizeof(ival), "%g", u->o->witness_interval);
	witness_files(&u->wit);
	if (fork_held(go, &u->w))
		return -1;
	if (!u->w) {
		fd = open(u->wit.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || read(go[0], &b, 1) != 1)
			_exit(126);
		fd = open(u->wit.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(wargv[0], wargv);
		fprintf(stderr, "pfcompare: cannot run %s: %s\n", wargv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	if (ptrace(PTRACE_SEIZE, u->w, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)) {
		fprintf(stderr, "pfcompare: ptrace seize the witness: %s\n", strerror(errno));
		kill(u->w, SIGKILL);
		close(go[1]);
		return -1;
	}
	i = write(go[1], "g", 1);
	close(go[1]);
	return i == 1 ? 0 : -1;
}

/*
 * Without the witness: the command as our own held, traced child,
 * released.  0, or -1 with a message (the pipe closed; the command, if
 * forked, left for cleanup()).
 */
static int start_own(struct run *u, char *const argv[])
{
	int go[2];
	char b;

	if (fork_held(go, &u->x))
		return -1;
	if (!u->x) {
		if (read(go[0], &b, 1) != 1)
			_exit(125);
		dup2(u->o->quiet ? open("/dev/null", O_WRONLY) : 2, 1);	/* stdout: ours */
		execvp(argv[0], argv);
		fprintf(stderr, "pfcompare: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	if (ptrace(PTRACE_SEIZE, u->x, 0, x_options(u)) || setup_x(u, false)) {
		fprintf(stderr, "pfcompare: ptrace seize %d: %s\n", (int)u->x, strerror(errno));
		close(go[1]);
		return -1;
	}
	b = write(go[1], "g", 1) != 1;
	close(go[1]);
	return b ? -1 : 0;
}

/* The module's samples since the run began, once it dropped our pids. */
static void read_ring(struct run *u)
{
	struct record *r = u->r;
	struct mp3_sample s;
	uint64_t lost = 0;
	int i;

	for (i = 0; i < 100 && pf_stat("registrations") > 0; i++)
		pf_msleep(20);
	pf_msleep(r->period_ns / 1000000 + 20);
	while (mp3buf_follow(&u->m, &u->next, &lost, &s) == 1) {
		struct msample x = { s.seq, s.mono_ns, s.jiffies, s.min_flt, s.maj_flt, s.cpu_ns };

		rec_add_sample(r, &x);
	}
	r->lost = lost;
	collect_modstats(r);
}

/* The command's output (pfwitness -c sends it to its stderr) to ours. */
static void pass_output(const struct run *u)
{
	char line[1024];
	FILE *f = fopen(u->wit.err, "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "pfwitness: ", 11) && !u->o->quiet)
			fputs(line, stderr);
		else if (strstr(line, "pfwitness: cannot run") || strstr(line, "pfwitness: no source"))
			fputs(line, stderr);
	if (f)
		fclose(f);
}

static void start_record(struct run *u, char *const argv[])
{
	struct record *r = u->r;
	const char *base;
	int i;

	r->nprocs = 1;
	r->user_cmd = true;
	r->have_module = u->module;
	r->hz = 250;
	base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	proc_rec_init(&r->procs[0], 0, base, strlen(base));
	for (i = 0; argv[i]; i++)
		snprintf(r->command + strlen(r->command), sizeof(r->command) - strlen(r->command),
			 "%s%s", i ? " " : "", argv[i]);
	snprintf(r->scenario, sizeof(r->scenario), "command");
}

/* Kill what is left after a failure. */
static void cleanup(struct run *u)
{
	if (u->x > 0 && !u->x_done) {
		kill(u->x, SIGKILL);
		waitpid(u->x, NULL, __WALL);
	}
	if (u->w > 0 && !u->w_done) {
		kill(u->w, SIGKILL);
		waitpid(u->w, NULL, __WALL);
	}
}

int cmd_collect(char *const argv[], const struct cmd_opts *o, bool use_module, struct record *r)
{
	struct run u = { .o = o, .r = r, .module = use_module };
	int rc = -1;

	start_record(&u, argv);
	if (u.module) {
		if (mp3buf_open(&u.m, "/dev/mp3", false)) {
			fprintf(stderr, "pfcompare: cannot map /dev/mp3\n");
			return -1;
		}
		if (u.m.hdr)
			r->hz = u.m.hdr->hz;
		u.next = mp3buf_written(&u.m);
	}
	if ((o->witness ? start_witness(&u, argv) : start_own(&u, argv)) || wait_loop(&u))
		goto out;
	if (!r->release_mono_ns)	/* no exec seen: it could not run */
		r->release_mono_ns = r->end_mono_ns;
	if (u.module)
		read_ring(&u);
	if (o->witness && witness_parse(&u.wit, r, true))
		goto out;
	rc = 0;
out:
	cleanup(&u);
	if (o->witness) {
		pass_output(&u);
		witness_cleanup(&u.wit);
	}
	if (u.module)
		mp3buf_close(&u.m);
	free(u.seen);
	return rc;
}
