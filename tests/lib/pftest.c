// SPDX-License-Identifier: GPL-2.0
/* pftest.c - helpers shared by pfprof's VM test programs (pftest.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "pftest.h"

static int pf_cmd(char c, pid_t pid)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%c %d\n", c, (int)pid);

	return mp3ctl_write(line, n);
}

int pf_reg(pid_t pid)
{
	return pf_cmd('R', pid);
}

int pf_unreg(pid_t pid)
{
	return pf_cmd('U', pid);
}

const char *pf_status_text(void)
{
	static char text[65536];
	int fd = open("/proc/mp3/status", O_RDONLY | O_CLOEXEC);
	ssize_t n, off = 0;

	text[0] = 0;
	if (fd < 0)
		return text;
	while ((n = read(fd, text + off, sizeof(text) - 1 - off)) > 0)
		off += n;
	text[off] = 0;
	close(fd);
	return text;
}

int pf_list(pid_t *pids, int max)
{
	const char *t = pf_status_text(), *p = t;
	int n = 0;
	char *end;
	long v;

	if (access("/proc/mp3/status", R_OK))
		return -errno;
	while (*p) {
		v = strtol(p, &end, 10);
		if (end == p || *end != '\n')
			return -EPROTO;	/* not "PID\n" */
		if (n < max)
			pids[n] = v;
		n++;
		p = end + 1;
	}
	return n;
}

pid_t pf_fork_as(pid_t want, int (*fn)(void *), void *arg)
{
	char line[32];
	int tries, fd, n;
	pid_t c;

	for (tries = 0; tries < 20; tries++) {
		fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = snprintf(line, sizeof(line), "%d", (int)want - 1);
		if (write(fd, line, n) != n) {
			n = -errno;
			close(fd);
			return n;
		}
		close(fd);
		c = fork();
		if (c < 0)
			return -errno;
		if (c == 0)
			_exit(getpid() == want ? fn(arg) : 0);
		if (c == want)
			return c;
		waitpid(c, NULL, 0);	/* a fork elsewhere took @want first: again */
	}
	return -EBUSY;
}

/* A held child's body: wait for pf_release(), then run fn(arg). */
struct pf_held {
	int go[2];	/* the go pipe */
	int (*fn)(void *);
	void *arg;
};

static int pf_held_body(void *arg)
{
	struct pf_held *h = arg;
	char b;

	close(h->go[1]);
	if (read(h->go[0], &b, 1) != 1)
		return 111;
	close(h->go[0]);
	return h->fn(h->arg);
}

int pf_spawn_held_as(struct pf_child *c, pid_t want, int (*fn)(void *), void *arg)
{
	struct pf_held h = { .fn = fn, .arg = arg };
	int err;

	if (pipe(h.go))
		return -errno;
	if (want > 0) {
		c->pid = pf_fork_as(want, pf_held_body, &h);
	} else {
		c->pid = fork();
		if (c->pid == 0)
			_exit(pf_held_body(&h));
		if (c->pid < 0)
			c->pid = -errno;
	}
	if (c->pid < 0) {
		err = c->pid;
		close(h.go[0]);
		close(h.go[1]);
		return err;
	}
	close(h.go[0]);
	c->go_fd = h.go[1];
	return pf_wait_blocked(c->pid);
}

int pf_spawn_held(struct pf_child *c, int (*fn)(void *), void *arg)
{
	return pf_spawn_held_as(c, 0, fn, arg);
}

void pf_release(struct pf_child *c)
{
	if (write(c->go_fd, "g", 1) != 1)
		perror("pf_release");
	close(c->go_fd);
	c->go_fd = -1;
}

void pf_on_sigalrm(void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

void pf_itimer_us(long first_us, long every_us)
{
	struct itimerval it = { { every_us / 1000000, every_us % 1000000 },
				{ first_us / 1000000, first_us % 1000000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

bool pf_read_restarting(const void *ucp)
{
	const ucontext_t *uc = ucp;
#if defined(__aarch64__)
	/* pc back on `svc #0` (d4000001), the number in x8 */
	return uc->uc_mcontext.regs[8] == SYS_read &&
	       *(const uint32_t *)uc->uc_mcontext.pc == 0xd4000001;
#else
	greg_t ip = uc->uc_mcontext.gregs[REG_RIP];

	return uc->uc_mcontext.gregs[REG_RAX] == SYS_read && *(const uint16_t *)ip == 0x050f;
#endif
}

int pf_sleeper(void *arg)
{
	(void)arg;
	pause();
	return 0;
}

void pf_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
		_exit(99);
}

int pf_as_user(uid_t uid, gid_t gid, int (*fn)(long), long arg)
{
	int status;
	pid_t p = fork();

	if (p == 0) {
		pf_become(uid, gid);
		_exit(fn(arg));
	}
	waitpid(p, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}
