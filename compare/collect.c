// SPDX-License-Identifier: GPL-2.0
/* collect.c - launch, register, hold at exit, reap, read the ring. */
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

#include "collect.h"
#include "mp3buf.h"
#include "mp3ctl.h"
#include "mp3mod.h"
#include "procstat.h"
#include "witness.h"

struct child {
	pid_t pid;
	int go_fd, out_fd;
	bool exited, stopped_at_exit;
};

int collect_ensure_module(void)
{
	struct stat st;
	int err;

	if (!stat(MP3_STATUS_PATH, &st))
		return 0;
	err = pf_load("");
	if (err && err != -EEXIST) {
		fprintf(stderr, "pfcompare: cannot load %s/mp3.ko: %s\n", pf_root(), strerror(-err));
		return -1;
	}
	return 0;
}

static int sh(const char *cmd)
{
	int st;

	if (!cmd[0])
		return 0;
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

bool plan_runnable(const struct plan *pl, char *why, size_t n)
{
	FILE *f;
	int st;

	why[0] = 0;
	if (!pl->requires[0])
		return true;
	f = popen(pl->requires, "r");
	if (!f) {
		snprintf(why, n, "popen: %s", strerror(errno));
		return false;
	}
	if (fgets(why, n, f))
		why[strcspn(why, "\n")] = 0;
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	if (!why[0])
		snprintf(why, n, "'%s' failed", pl->requires);
	for (st = 0; why[st]; st++)	/* it goes into JSON strings */
		if (why[st] == '"' || why[st] == '\\' || (unsigned char)why[st] < ' ')
			why[st] = '\'';
	return false;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the forked child: say it is ready, wait for the go byte, exec @cmd. */
static void __attribute__((noreturn))
child_exec(const char *cmd, const char *env, int go, int out, int ready)
{
	char buf[160], ebuf[160], *argv[16], *sv = NULL, *t, b;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", cmd);
	snprintf(ebuf, sizeof(ebuf), "%s", env);
	for (t = strtok_r(ebuf, " ", &sv); t; t = strtok_r(NULL, " ", &sv))
		putenv(t);
	sv = NULL;
	for (t = strtok_r(buf, " ", &sv); t && argc < 15; t = strtok_r(NULL, " ", &sv))
		argv[argc++] = t;
	argv[argc] = NULL;
	dup2(out, 1);
	if (write(ready, "r", 1) != 1 || read(go, &b, 1) != 1)
		_exit(125);
	execvp(argv[0], argv);
	fprintf(stderr, "pfcompare: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Fork a child that waits for a byte on a pipe (c->go_fd), then execs
 * @cmd with its stdout on c->out_fd; return once it is blocked in that
 * read.  0, or -1 with errno set and every pipe closed (c->pid, if a
 * child was forked, is left for the caller to kill).
 */
static int spawn(struct child *c, const char *cmd, const char *env)
{
	int go[2] = { -1, -1 }, out[2] = { -1, -1 }, ready[2] = { -1, -1 };
	int rc = -1, err, i;
	char b;

	if (pipe2(go, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		goto out;
	c->pid = fork();
	if (c->pid < 0)
		goto out;
	if (!c->pid)
		child_exec(cmd, env, go[0], out[1], ready[1]);
	close_fd(&go[0]);
	close_fd(&out[1]);
	close_fd(&ready[1]);
	/* Blocked in its read() of the go pipe: nothing it does runs
	 * between our base reading and the release.
	 */
	if (read(ready[0], &b, 1) != 1 || pf_wait_blocked(c->pid))
		goto out;
	c->go_fd = go[1];
	c->out_fd = out[0];
	go[1] = out[0] = -1;
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	rc = 0;
out:
	err = errno;
	for (i = 0; i < 2; i++) {
		close_fd(&go[i]);
		close_fd(&out[i]);
		close_fd(&ready[i]);
	}
	errno = err;
	return rc;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		fprintf(stderr, "pfcompare: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The registration's line in /proc/mp3/tasks: counts since registration. */
static void read_mp3_task(pid_t pid, struct proc_rec *p)
{
	FILE *f = fopen("/proc/mp3/tasks", "r");
	char line[512];
	long long a, b, c;
	int q;

	p->mod_min = p->mod_maj = p->mod_cpu_ns = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %lld %lld %lld", &q, &a, &b, &c) == 4 && q == pid) {
			p->mod_min = a;
			p->mod_maj = b;
			p->mod_cpu_ns = c;
		}
	if (f)
		fclose(f);
}

static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n ")] = 0;
		snprintf(comm, len, "%.31s", buf);
	}
	if (f)
		fclose(f);
}

/* Collect the child's stdout: self-reports and work's ground-truth line. */
static void drain_output(struct child *c, struct proc_rec *p)
{
	static char buf[65536];
	char *line, *sv = NULL, *s;
	ssize_t n, len = 0;

	while ((n = read(c->out_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &sv); line; line = strtok_r(NULL, "\n", &sv)) {
		long long a, b;

		if (sscanf(line, "work: pid=%*d registered minflt=%lld majflt=%lld", &a, &b) == 2) {
			p->self_reg_min = a;
			p->self_reg_maj = b;
		}
		s = strstr(line, "gup_pages=");
		if (s)
			p->gup_pages = atoll(s + 10);
		s = strstr(line, "kread_pages=");
		if (s)
			p->kread_pages = atoll(s + 12);
	}
}

void collect_modstats(struct record *r)
{
	r->handler_runs = pf_stat("handler_runs");
	r->handler_avg_ns = pf_stat("handler_avg_ns");
	r->handler_max_ns = pf_stat("handler_max_ns");
	r->period_mean_ns = pf_stat("period_mean_ns");
	if (pf_stat("period_ns") > 0)
		r->period_ns = pf_stat("period_ns");
}

/* One run of a plan: what its steps share, and what cleanup() undoes. */
struct run {
	const struct plan *pl;
	const struct collect_opts *o;
	struct record *r;
	int n;
	struct child ch[PLAN_MAX_PROCS];
	pid_t pids[PLAN_MAX_PROCS];
	struct witness w;
	struct mp3buf m;
	uint64_t next, lost;
};

static unsigned long long mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Load the module if /proc/mp3 is missing, map its ring, note where the
 * ring stands.  0 (also without o->module), or -1 with a message.
 */
static int setup_module(struct run *u)
{
	if (!u->o->module)
		return 0;
	if (collect_ensure_module() || mp3buf_open(&u->m, "/dev/mp3", false)) {
		fprintf(stderr, "pfcompare: cannot map /dev/mp3\n");
		return -1;
	}
	if (u->m.hdr)
		u->r->hz = u->m.hdr->hz;
	u->next = mp3buf_written(&u->m);
	return 0;
}

/* PFCOMPARE_DEBUG: the held child's state, twice, 300 ms apart. */
static void debug_child(pid_t pid)
{
	char cmdl[512];
	int q = pid;

	snprintf(cmdl, sizeof(cmdl), "(cut -d\" \" -f1-12 /proc/%d/stat; head -1 /proc/%d/status; grep '^%d ' /proc/mp3/tasks; cat /proc/%d/stack) >&2",
		 q, q, q, q);
	sh(cmdl);
	pf_msleep(300);
	sh(cmdl);
}

/*
 * Child @i, held before exec: into the cgroup, registered with the
 * module, its faults and CPU before registration read, seized for the
 * exit stop.  0, or -1 with a message (the child, if forked, is left
 * for cleanup() to kill).
 */
static int spawn_held(struct run *u, int i)
{
	struct child *c = &u->ch[i];
	struct proc_rec *p = &u->r->procs[i];
	struct pf_procstat ps;
	char num[32], path[128];

	if (spawn(c, u->pl->cmd[i], u->pl->env)) {
		fprintf(stderr, "pfcompare: fork: %s\n", strerror(errno));
		return -1;
	}
	u->pids[i] = c->pid;
	proc_rec_init(p, c->pid, u->pl->cmd[i], strcspn(u->pl->cmd[i], " "));
	if (u->pl->cgroup) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", u->pl->cgroup);
		snprintf(num, sizeof(num), "%d", (int)c->pid);
		write_file(path, num);
	}
	if (u->o->module && !u->pl->self_registers) {
		int err = mp3ctl('R', c->pid);

		if (err) {
			fprintf(stderr, "pfcompare: R %d: %s\n", (int)c->pid, strerror(-err));
			return -1;
		}
	}
	/* held in read(): these are the faults before registration */
	if (pf_read_procstat(c->pid, &ps) == 0) {
		p->base_min = ps.min_flt;
		p->base_maj = ps.maj_flt;
	}
	p->base_cpu_ns = pf_read_runtime_ns(c->pid);
	if (getenv("PFCOMPARE_DEBUG"))
		debug_child(c->pid);
	if (u->o->trace_exit && ptrace(PTRACE_SEIZE, c->pid, 0, PTRACE_O_TRACEEXIT)) {
		fprintf(stderr, "pfcompare: ptrace seize %d: %s\n", (int)c->pid, strerror(errno));
		return -1;
	}
	return 0;
}

/* Every process of the plan, held.  0, or -1 with a message. */
static int spawn_held_all(struct run *u)
{
	int i;

	for (i = 0; i < u->n; i++)
		if (spawn_held(u, i))
			return -1;
	u->r->nprocs = u->n;
	return 0;
}

/* The witness on the held processes.  0, or -1 with a message. */
static int start_witness(struct run *u)
{
	if (!u->o->witness)
		return 0;
	return witness_start(&u->w, u->o->witness_prog, u->pids, u->n, u->o->witness_interval);
}

/* Note the time, and let every held process exec. */
static void release_all(struct run *u)
{
	int i;

	u->r->release_mono_ns = mono_now_ns();
	for (i = 0; i < u->n; i++) {
		if (write(u->ch[i].go_fd, "g", 1) != 1)
			fprintf(stderr, "pfcompare: release %d failed\n", (int)u->ch[i].pid);
		close_fd(&u->ch[i].go_fd);
	}
}

/* The child for @pid, or -1; the witness dying is said here. */
static int child_index(struct run *u, pid_t pid)
{
	int i;

	for (i = 0; i < u->n; i++)
		if (u->ch[i].pid == pid)
			return i;
	if (u->w.pid == pid) {
		fprintf(stderr, "pfcompare: the witness died\n");
		u->w.pid = 0;
	}
	return -1;
}

/*
 * Child @i stopped (status @st): at its exit stop read its /proc figures
 * and the module's view of it; let it go on, passing on a real signal.
 */
static void on_stop(struct run *u, int i, int st)
{
	struct proc_rec *p = &u->r->procs[i];
	pid_t q = u->ch[i].pid;
	int sig = WSTOPSIG(st);

	if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
		struct pf_procstat ps;

		read_comm(q, p->comm, sizeof(p->comm));
		if (!pf_read_procstat(q, &ps)) {
			p->stat_min = ps.min_flt;
			p->stat_maj = ps.maj_flt;
		}
		p->sched_ns = pf_read_runtime_ns(q);
		if (u->o->module)
			read_mp3_task(q, p);
		u->ch[i].stopped_at_exit = true;
		sig = 0;
	} else if (sig == SIGTRAP || (st >> 16)) {
		sig = 0;	/* other ptrace events */
	}
	ptrace(PTRACE_CONT, q, 0, sig);
}

/* Child @i reaped (status @st, rusage @ru): the kernel's final accounting. */
static void on_reaped(struct run *u, int i, int st, const struct rusage *ru)
{
	struct proc_rec *p = &u->r->procs[i];

	proc_rec_reaped(p, st, ru);
	drain_output(&u->ch[i], p);
	close_fd(&u->ch[i].out_fd);
	u->ch[i].exited = true;
}

/* Wait until every child is reaped.  0, or -1 (wait4 failed) with a message. */
static int reap_all(struct run *u)
{
	int i, st, n = u->n, left = n;
	struct rusage ru;
	pid_t q;

	while (left > 0) {
		q = wait4(-1, &st, __WALL, &ru);
		if (q < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "pfcompare: wait4: %s\n", strerror(errno));
			return -1;
		}
		i = child_index(u, q);
		if (i < 0)
			continue;
		if (WIFSTOPPED(st)) {
			on_stop(u, i, st);
			continue;
		}
		on_reaped(u, i, st, &ru);
		left--;
		if (!u->o->quiet && n > 1 && (n - left) % 8 == 0)
			fprintf(stderr, "pfcompare:   %d/%d processes done\n", n - left, n);
	}
	u->r->end_mono_ns = mono_now_ns();
	return 0;
}

/*
 * The module writes an exited process's last counts in the next sample,
 * then drops it: wait until nothing of ours is registered, then read the
 * ring from where it stood at the start, and the module's statistics.
 */
static void drain_module(struct run *u)
{
	struct mp3_sample s;
	int i;

	if (!u->o->module)
		return;
	for (i = 0; i < 100 && pf_stat("registrations") > 0; i++)
		pf_msleep(20);
	pf_msleep(u->r->period_ns / 1000000 + 20);
	while (mp3buf_follow(&u->m, &u->next, &u->lost, &s) == 1) {
		struct msample x = { s.seq, s.mono_ns, s.jiffies, s.min_flt,
				     s.maj_flt, s.cpu_ns };

		rec_add_sample(u->r, &x);
	}
	u->r->lost = u->lost;
	collect_modstats(u->r);
}

/* Let the witness write its last intervals, stop it, read them.  0 or -1. */
static int stop_witness(struct run *u)
{
	if (!u->o->witness)
		return 0;
	pf_msleep(3 * u->o->witness_interval * 1000 + 20);
	return witness_stop(&u->w, u->r);
}

/*
 * Whatever set-up left, after success or a failure at any step: kill and
 * reap the children not reaped, close their pipes, kill the witness,
 * unmap the ring, run the plan's teardown.
 */
static void cleanup(struct run *u)
{
	int i;

	for (i = 0; i < u->n; i++) {
		if (u->ch[i].pid > 0 && !u->ch[i].exited) {
			kill(u->ch[i].pid, SIGKILL);
			waitpid(u->ch[i].pid, NULL, __WALL);
		}
		close_fd(&u->ch[i].go_fd);
		close_fd(&u->ch[i].out_fd);
	}
	if (u->w.pid > 0) {
		kill(u->w.pid, SIGKILL);
		waitpid(u->w.pid, NULL, 0);
	}
	if (u->o->module)
		mp3buf_close(&u->m);
	sh(u->pl->teardown);
}

int collect_run(const struct plan *pl, const struct collect_opts *o, struct record *r)
{
	struct run u = { .pl = pl, .o = o, .r = r, .n = pl->nprocs, .m = { .fd = -1 } };
	int i, rc = -1;

	for (i = 0; i < u.n; i++)
		u.ch[i].go_fd = u.ch[i].out_fd = -1;
	r->self_registers = pl->self_registers;
	r->hz = 250;	/* until the ring's header says */
	if (sh(pl->setup)) {	/* nothing to clean up yet */
		fprintf(stderr, "pfcompare: scenario set-up failed: %s\n", pl->setup);
		return -1;
	}
	if (setup_module(&u) || spawn_held_all(&u) || start_witness(&u))
		goto out;
	release_all(&u);
	if (reap_all(&u))
		goto out;
	drain_module(&u);
	if (stop_witness(&u))
		goto out;
	rc = 0;
out:
	cleanup(&u);
	return rc;
}
