// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* targets.c - command, threads and CPU kicks; see targets.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "targets.h"

int pfb_cmd_split(struct pfb_cmd *cmd, char *line)
{
	char *tok, *save = NULL, **argv = NULL, **grown;
	int n = 0, cap = 0;

	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(argv, cap * sizeof(*argv));
			if (!grown) {
				free(argv);
				return -ENOMEM;
			}
			argv = grown;
		}
		argv[n++] = tok;
	}
	if (!n)
		return -EINVAL;
	argv[n] = NULL;
	cmd->argv = argv;
	cmd->argc = n;
	return 0;
}

void pfb_cmd_free(struct pfb_cmd *cmd)
{
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->argc = 0;
}

int pfb_held_spawn(struct pfb_held *h, const struct pfb_cmd *cmd, bool stdout_to_stderr)
{
	int go[2], err[2], e;
	char c;

	if (pipe(go))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		e = -errno;
		goto close_go;
	}
	h->pid = fork();
	if (h->pid < 0) {
		e = -errno;
		goto close_err;
	}
	if (h->pid == 0) {
		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		if (stdout_to_stderr)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(cmd->argv[0], cmd->argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	h->go_fd = go[1];
	h->err_fd = err[0];
	/* so that the caller can end its interval the moment the child exits */
	h->pidfd = syscall(SYS_pidfd_open, h->pid, 0);
	return 0;
close_err:
	close(err[0]);
	close(err[1]);
close_go:
	close(go[0]);
	close(go[1]);
	return e;
}

int pfb_held_release(struct pfb_held *h)
{
	int child_errno = 0;

	if (write(h->go_fd, "g", 1) != 1)
		child_errno = errno;
	close(h->go_fd);
	if (read(h->err_fd, &child_errno, sizeof(child_errno)) != sizeof(child_errno))
		child_errno = 0;	/* closed on exec: it ran */
	close(h->err_fd);
	return child_errno;
}

bool pfb_held_wait(const struct pfb_held *h, int ms)
{
	struct pollfd pfd = { .fd = h->pidfd, .events = POLLIN };
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (h->pidfd < 0) {
		nanosleep(&ts, NULL);
		return false;
	}
	return poll(&pfd, 1, ms) == 1;
}

void pfb_held_close(struct pfb_held *h)
{
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = -1;
}

/* Without a pidfd: gone if the PID is free, or a zombie (state Z or X). */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	bool gone = false;
	FILE *f;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		gone = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	fclose(f);
	return gone;
}

void pfb_watch_open(struct pfb_watch *w, const pid_t *pids, int n)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->n = w->left = n < PFB_WATCH_MAX ? n : PFB_WATCH_MAX;
	for (i = 0; i < w->n; i++) {
		w->pids[i] = pids[i];
		w->fds[i] = syscall(SYS_pidfd_open, pids[i], 0);
		if (w->fds[i] < 0 && errno == ESRCH) {
			w->gone[i] = true;
			w->left--;
		}
	}
}

/* Mark the targets that have exited; true if none is left. */
static bool watch_check(struct pfb_watch *w, const struct pollfd *pfd, const int *idx, int npfd)
{
	int i;

	for (i = 0; i < npfd; i++)
		if (pfd[i].revents) {
			close(w->fds[idx[i]]);
			w->fds[idx[i]] = -1;
			w->gone[idx[i]] = true;
			w->left--;
		}
	for (i = 0; i < w->n; i++)
		if (!w->gone[i] && w->fds[i] < 0 && pid_gone(w->pids[i])) {
			w->gone[i] = true;
			w->left--;
		}
	return w->left <= 0;
}

bool pfb_watch_wait(struct pfb_watch *w, int ms)
{
	struct pollfd pfd[PFB_WATCH_MAX];
	int idx[PFB_WATCH_MAX], npfd, i, step;
	bool polled, intr;

	for (;;) {
		npfd = 0;
		polled = intr = false;
		for (i = 0; i < w->n; i++) {
			if (w->gone[i])
				continue;
			if (w->fds[i] >= 0) {
				pfd[npfd] = (struct pollfd){ .fd = w->fds[i], .events = POLLIN };
				idx[npfd++] = i;
			} else {
				polled = true;	/* no pidfd: look every 50 ms */
			}
		}
		step = polled && ms > 50 ? 50 : ms;
		if (npfd) {
			if (poll(pfd, npfd, step) < 0) {
				intr = true;
				npfd = 0;
			}
		} else if (step > 0) {
			struct timespec ts = { step / 1000, (step % 1000) * 1000000L };

			intr = nanosleep(&ts, NULL) != 0;
		}
		if (watch_check(w, pfd, idx, npfd))
			return true;
		ms -= step;
		if (intr || ms <= 0)
			return false;
	}
}

void pfb_watch_close(struct pfb_watch *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	w->n = w->left = 0;
}

int pfb_threads(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < max)
		if (d->d_name[0] != '.')
			tids[n++] = atoi(d->d_name);
	closedir(dir);
	return n;
}

void pfb_kick_cpus(void (*then)(void *arg), void *arg)
{
	struct sched_param fifo = { .sched_priority = sched_get_priority_max(SCHED_FIFO) };
	struct sched_param other = { 0 };
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t old, one;
	bool rt;
	int cpu;

	if (sched_getaffinity(0, sizeof(old), &old))
		return;
	rt = !sched_setscheduler(0, SCHED_FIFO, &fifo);
	for (cpu = 0; cpu < ncpus && cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		/* returns once this thread runs there: that CPU switched */
		sched_setaffinity(0, sizeof(one), &one);
	}
	if (then)
		then(arg);
	if (rt)
		sched_setscheduler(0, SCHED_OTHER, &other);
	sched_setaffinity(0, sizeof(old), &old);
}

int pfb_seed_iter(struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	char buf[64];
	int fd, err = 0;

	if (libbpf_get_error(link))
		return libbpf_get_error(link);
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto destroy_link;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
destroy_link:
	bpf_link__destroy(link);
	return err;
}
