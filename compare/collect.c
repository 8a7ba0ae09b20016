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

/* Fork a child that waits for a byte on a pipe, then execs @cmd. */
static int spawn(struct child *c, const char *cmd, const char *env)
{
	int go[2], out[2], ready[2];
	char buf[160], ebuf[160], *argv[16], *sv = NULL, *t;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", cmd);
	if (pipe2(go, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (!c->pid) {
		char b;

		snprintf(ebuf, sizeof(ebuf), "%s", env);
		for (t = strtok_r(ebuf, " ", &sv); t; t = strtok_r(NULL, " ", &sv))
			putenv(t);
		sv = NULL;
		for (t = strtok_r(buf, " ", &sv); t && argc < 15; t = strtok_r(NULL, " ", &sv))
			argv[argc++] = t;
		argv[argc] = NULL;
		dup2(out[1], 1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(125);
		execvp(argv[0], argv);
		fprintf(stderr, "pfcompare: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	close(out[1]);
	close(ready[1]);
	/* Blocked in its read() of the go pipe: nothing it does runs
	 * between our base reading and the release.
	 */
	if (read(ready[0], buf, 1) != 1 || pf_wait_blocked(c->pid)) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	c->go_fd = go[1];
	c->out_fd = out[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	return 0;
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

int collect_run(const struct plan *pl, const struct collect_opts *o, struct record *r)
{
	struct child ch[PLAN_MAX_PROCS] = {};
	pid_t pids[PLAN_MAX_PROCS];
	struct witness w = {};
	struct mp3buf m = {};
	uint64_t next = 0, lost = 0;
	int i, n = pl->nprocs, left, rc = -1;
	char num[32], path[128];
	struct timespec ts;

	r->self_registers = pl->self_registers;
	r->hz = 250;	/* until the ring's header says */
	if (sh(pl->setup)) {
		fprintf(stderr, "pfcompare: scenario set-up failed: %s\n", pl->setup);
		return -1;
	}
	if (o->module) {
		if (collect_ensure_module() || mp3buf_open(&m, "/dev/mp3", false)) {
			fprintf(stderr, "pfcompare: cannot map /dev/mp3\n");
			goto out;
		}
		if (m.hdr)
			r->hz = m.hdr->hz;
		next = mp3buf_written(&m);
	}
	for (i = 0; i < n; i++) {
		struct proc_rec *p = &r->procs[i];
		struct pf_procstat ps;

		if (spawn(&ch[i], pl->cmd[i], pl->env)) {
			fprintf(stderr, "pfcompare: fork: %s\n", strerror(errno));
			goto out;
		}
		pids[i] = ch[i].pid;
		memset(p, 0, sizeof(*p));
		p->pid = ch[i].pid;
		p->self_reg_min = p->self_reg_maj = -1;
		p->gup_pages = p->kread_pages = -1;
		p->ru_nvcsw = -1;
		p->mod_min = p->mod_maj = p->mod_cpu_ns = -1;
		snprintf(p->comm, sizeof(p->comm), "%.*s", (int)strcspn(pl->cmd[i], " "),
			 pl->cmd[i]);
		if (pl->cgroup) {
			snprintf(path, sizeof(path), "%s/cgroup.procs", pl->cgroup);
			snprintf(num, sizeof(num), "%d", (int)ch[i].pid);
			write_file(path, num);
		}
		if (o->module && !pl->self_registers) {
			int err = mp3ctl('R', ch[i].pid);

			if (err) {
				fprintf(stderr, "pfcompare: R %d: %s\n", (int)ch[i].pid, strerror(-err));
				goto out;
			}
		}
		/* held in read(): these are the faults before registration */
		if (pf_read_procstat(ch[i].pid, &ps) == 0) {
			p->base_min = ps.min_flt;
			p->base_maj = ps.maj_flt;
		}
		p->base_cpu_ns = pf_read_runtime_ns(ch[i].pid);
		if (getenv("PFCOMPARE_DEBUG")) {
			char cmdl[512];

			snprintf(cmdl, sizeof(cmdl), "(cut -d\" \" -f1-12 /proc/%d/stat; head -1 /proc/%d/status; grep '^%d ' /proc/mp3/tasks; cat /proc/%d/stack) >&2",
				 (int)ch[i].pid, (int)ch[i].pid, (int)ch[i].pid, (int)ch[i].pid);
			sh(cmdl);
			pf_msleep(300);
			sh(cmdl);
		}
		if (o->trace_exit &&
		    ptrace(PTRACE_SEIZE, ch[i].pid, 0, PTRACE_O_TRACEEXIT)) {
			fprintf(stderr, "pfcompare: ptrace seize %d: %s\n", (int)ch[i].pid,
				strerror(errno));
			goto out;
		}
	}
	r->nprocs = n;
	if (o->witness && witness_start(&w, o->witness_prog, pids, n, o->witness_interval))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->release_mono_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < n; i++) {
		if (write(ch[i].go_fd, "g", 1) != 1)
			fprintf(stderr, "pfcompare: release %d failed\n", (int)ch[i].pid);
		close(ch[i].go_fd);
	}
	for (left = n; left > 0;) {
		struct rusage ru;
		int st;
		pid_t q = wait4(-1, &st, __WALL, &ru);

		if (q < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "pfcompare: wait4: %s\n", strerror(errno));
			goto out;
		}
		for (i = 0; i < n && ch[i].pid != q; i++)
			;
		if (i == n) {
			if (w.pid == q) {
				fprintf(stderr, "pfcompare: the witness died\n");
				w.pid = 0;
			}
			continue;
		}
		struct proc_rec *p = &r->procs[i];

		if (WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);

			if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
				struct pf_procstat ps;

				read_comm(q, p->comm, sizeof(p->comm));
				if (!pf_read_procstat(q, &ps)) {
					p->stat_min = ps.min_flt;
					p->stat_maj = ps.maj_flt;
				}
				p->sched_ns = pf_read_runtime_ns(q);
				if (o->module)
					read_mp3_task(q, p);
				ch[i].stopped_at_exit = true;
				sig = 0;
			} else if (sig == SIGTRAP || (st >> 16)) {
				sig = 0;	/* other ptrace events */
			}
			ptrace(PTRACE_CONT, q, 0, sig);
			continue;
		}
		p->ru_min = ru.ru_minflt;
		p->ru_maj = ru.ru_majflt;
		p->ru_cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
			       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
		p->ru_nvcsw = ru.ru_nvcsw;
		p->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		drain_output(&ch[i], p);
		close(ch[i].out_fd);
		ch[i].exited = true;
		left--;
		if (!o->quiet && n > 1 && (n - left) % 8 == 0)
			fprintf(stderr, "pfcompare:   %d/%d processes done\n", n - left, n);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->end_mono_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* The module writes an exited process's last counts in the next
	 * sample, then drops it: wait until nothing of ours is registered.
	 */
	if (o->module) {
		for (i = 0; i < 100 && pf_stat("registrations") > 0; i++)
			pf_msleep(20);
		pf_msleep(r->period_ns / 1000000 + 20);
		struct mp3_sample s;

		while (mp3buf_follow(&m, &next, &lost, &s) == 1) {
			struct msample x = { s.seq, s.mono_ns, s.jiffies, s.min_flt,
					     s.maj_flt, s.cpu_ns };

			rec_add_sample(r, &x);
		}
		r->lost = lost;
		collect_modstats(r);
	}
	if (o->witness) {
		pf_msleep(3 * o->witness_interval * 1000 + 20);
		if (witness_stop(&w, r))
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		if (ch[i].pid > 0 && !ch[i].exited) {
			kill(ch[i].pid, SIGKILL);
			waitpid(ch[i].pid, NULL, __WALL);
		}
	if (w.pid > 0) {
		kill(w.pid, SIGKILL);
		waitpid(w.pid, NULL, 0);
	}
	if (o->module)
		mp3buf_close(&m);
	sh(pl->teardown);
	return rc;
}
