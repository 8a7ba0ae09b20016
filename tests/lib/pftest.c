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

const char *pf_root(void)
{
	const char *r = getenv("PFPROF_ROOT");

	return r && *r ? r : "/pfprof";
}

int pf_load(const char *params)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/mp3.ko", pf_root());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		ret = -errno;
	close(fd);
	return ret;
}

int pf_unload(void)
{
	if (syscall(SYS_delete_module, "mp3", O_NONBLOCK))
		return -errno;
	return 0;
}

long pf_refcnt(void)
{
	FILE *f = fopen("/sys/module/mp3/refcnt", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

bool pf_ensure_unloaded(void)
{
	int i, ret;

	for (i = 0; i < 100; i++) {
		ret = pf_unload();
		if (!ret || ret == -ENOENT)
			return true;
		pf_msleep(50);
	}
	return false;
}

int pf_write_status(const void *buf, size_t len)
{
	int fd = open("/proc/mp3/status", O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;	/* a short write would be a module bug */
	close(fd);
	return ret;
}

static int pf_cmd(char c, pid_t pid)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%c %d\n", c, (int)pid);

	return pf_write_status(line, n);
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

long long pf_stat(const char *key)
{
	FILE *f = fopen("/proc/mp3/stats", "r");
	char k[64];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key)) {
			ret = v;
			break;
		}
	fclose(f);
	return ret;
}

int pf_read_procstat(pid_t pid, struct pf_procstat *ps)
{
	char path[64], buf[4096], *p;
	unsigned long long v[16];
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may contain spaces */
	if (!p)
		return -EPROTO;
	p += 2;
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime
	 */
	p = strchr(p, ' ');	/* skip state */
	for (i = 0; i < 14 && p; i++)
		v[i] = strtoull(p, &p, 10);
	ps->min_flt = v[6];
	ps->cmin_flt = v[7];
	ps->maj_flt = v[8];
	ps->cmaj_flt = v[9];
	ps->utime_ticks = v[10];
	ps->stime_ticks = v[11];
	ps->cutime_ticks = v[12];
	ps->cstime_ticks = v[13];
	return 0;
}

long long pf_read_runtime_ns(pid_t pid)
{
	char path[320];
	long long sum = 0, ns;
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lld", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * Wait until @pid sleeps (state S in /proc/PID/stat): e.g. a held child
 * blocked in its read() of the go pipe.  Until then it may still be
 * faulting in pages after fork(), so its counters are not yet a stable
 * base.
 */
int pf_wait_blocked(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 20000; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		pf_msleep(1);
	}
	return -ETIMEDOUT;
}

int pf_spawn_held(struct pf_child *c, int (*fn)(void *), void *arg)
{
	int p[2];
	char b;

	if (pipe(p))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(p[1]);
		if (read(p[0], &b, 1) != 1)
			_exit(111);
		close(p[0]);
		_exit(fn(arg));
	}
	close(p[0]);
	c->go_fd = p[1];
	return pf_wait_blocked(c->pid);
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
	greg_t ip = uc->uc_mcontext.gregs[REG_RIP];

	return uc->uc_mcontext.gregs[REG_RAX] == SYS_read && *(const uint16_t *)ip == 0x050f;
}

void pf_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t pf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
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
