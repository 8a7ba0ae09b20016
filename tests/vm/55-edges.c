// SPDX-License-Identifier: GPL-2.0
/*
 * 55-edges: the module's behaviour at the edges, where a process, a name
 * or a file descriptor could make it count wrong or show what it should
 * not.  Loaded with ctl_gid=1000; "user" is uid 1000 / gid 1000.
 *
 *  - R of a process whose main thread called pthread_exit() while another
 *    thread runs: registered, and the running thread's faults are counted
 *    exactly; a non-dumpable such process stays refused to its owner.
 *  - comm is escaped in /proc/mp3/tasks: a name with a newline cannot
 *    forge a line.
 *  - status writes are judged by the opener's credentials (file->f_cred),
 *    not the writer's.
 *  - /dev/mp3 mappings are not inherited across fork and never executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"
#include "pfprof/mp3_abi.h"

#define TOUCH_PAGES 300

/* Pipes for the pthread_exit() child: go (parent -> thread), done (back). */
static int go_fd[2], done_fd[2];

static void *toucher(void *arg)
{
	long pg = sysconf(_SC_PAGESIZE);
	char c, *p;
	int i;

	(void)arg;
	if (read(go_fd[0], &c, 1) != 1)
		_exit(90);
	p = mmap(NULL, TOUCH_PAGES * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(91);
	for (i = 0; i < TOUCH_PAGES; i++)
		p[i * pg] = 1;
	if (write(done_fd[1], "d", 1) != 1)
		_exit(92);
	pause();
	return NULL;
}

/*
 * A process whose main thread exits with pthread_exit() while a second
 * thread waits for the go signal.  If @uid, it runs as that user and is
 * made non-dumpable first.  Returns its pid once its leader is a zombie.
 */
static pid_t spawn_leaderless(uid_t uid)
{
	pthread_t t;
	pid_t p;
	int i;

	if (pipe(go_fd) || pipe(done_fd))
		return -1;
	p = fork();
	if (p == 0) {
		if (uid) {
			pf_become(uid, uid);
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
				_exit(93);
		}
		if (pthread_create(&t, NULL, toucher, NULL))
			_exit(94);
		pthread_exit(NULL);
	}
	/* Wait until /proc/PID/stat shows the leader as a zombie. */
	for (i = 0; i < 2000; i++) {
		char path[64], buf[512], *s;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", p);
		f = fopen(path, "r");
		if (f) {
			s = fgets(buf, sizeof(buf), f);
			fclose(f);
			s = s ? strrchr(buf, ')') : NULL;
			if (s && s[1] == ' ' && s[2] == 'Z')
				return p;
		}
		pf_msleep(5);
	}
	return -1;
}

static void end_child(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	close(go_fd[0]);
	close(go_fd[1]);
	close(done_fd[0]);
	close(done_fd[1]);
}

static int do_reg(long pid)
{
	return -pf_reg(pid);
}

/* The line of /proc/mp3/tasks for @pid, and the number of lines in all. */
static int tasks_line(pid_t pid, char *line, size_t len)
{
	char buf[8192], want[32];
	int fd, n, lines = 0;
	char *s, *e;

	fd = open("/proc/mp3/tasks", O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	line[0] = 0;
	snprintf(want, sizeof(want), "%d ", pid);
	for (s = buf; *s; s = e + 1) {
		e = strchr(s, '\n');
		if (!e)
			break;
		lines++;
		if (!strncmp(s, want, strlen(want)) && (size_t)(e - s) < len) {
			memcpy(line, s, e - s);
			line[e - s] = 0;
		}
	}
	return lines;
}

/*
 * Open /proc/mp3/status as one identity and write "R @pid" as another:
 * @open_uid then @write_uid (0 or 1000), switching with setresuid() and
 * keeping saved uid 0 so the child can switch back.  Exit code: errno of
 * the write, 0 on success, 100+ on setup failures.
 */
static int open_as_write_as(uid_t open_uid, uid_t write_uid, pid_t pid)
{
	char cmd[32];
	int status, fd, len;
	pid_t p = fork();

	if (p == 0) {
		if (setgroups(0, NULL) || setresgid(open_uid, open_uid, 0) ||
		    setresuid(open_uid, open_uid, 0))
			_exit(101);
		fd = open("/proc/mp3/status", O_WRONLY);
		if (fd < 0)
			_exit(102);
		/* Regaining root: uid first; dropping: gid first. */
		if (write_uid == 0 ?
		    setresuid(0, 0, 0) || setresgid(0, 0, 0) :
		    setresgid(write_uid, write_uid, 0) ||
		    setresuid(write_uid, write_uid, 0))
			_exit(103);
		len = snprintf(cmd, sizeof(cmd), "R %d\n", pid);
		_exit(write(fd, cmd, len) == len ? 0 : errno);
	}
	waitpid(p, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

/* A child that renames itself to @name; returns once the name shows. */
static pid_t spawn_named(const char *name)
{
	char path[64], buf[64];
	pid_t p = fork();
	int i, fd, n;

	if (p == 0) {
		prctl(PR_SET_NAME, name, 0, 0, 0);
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", p);
	for (i = 0; i < 2000; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0 && !strncmp(buf, name, strlen(name)))
			return p;
		pf_msleep(5);
	}
	return -1;
}

/* After fork, may the child read the parent's /dev/mp3 mapping? */
static int child_reads_mapping(volatile long *map)
{
	int status;
	pid_t p = fork();

	if (p == 0) {
		long v = map[0];

		_exit(v == 0 ? 1 : 0);
	}
	waitpid(p, &status, 0);
	return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

int main(void)
{
	struct pf_procstat before, after, again;
	struct pf_child roots;
	char line[512], c;
	unsigned long long mf;
	volatile long *map;
	int ret, fd, i;
	pid_t p;

	tap_plan(13);
	if (!pf_ensure_unloaded() || pf_load("ctl_gid=1000") != 0)
		tap_bail("cannot load mp3.ko with ctl_gid=1000");

	/* 1. pthread_exit() in main(): still a live process. */
	p = spawn_leaderless(0);
	if (p < 0)
		tap_bail("no leaderless child");
	ret = pf_reg(p);
	tap_ok(ret == 0, "R of a process whose main thread exited, one thread running: 0 (%s)",
	       strerror(-ret));
	pf_read_procstat(p, &before);
	if (write(go_fd[1], "g", 1) != 1 || read(done_fd[0], &c, 1) != 1)
		tap_bail("leaderless child's thread did not run");
	/* Read until nothing moves between two reads of /proc/PID/stat. */
	for (i = 0; i < 100; i++) {
		pf_read_procstat(p, &after);
		ret = tasks_line(p, line, sizeof(line));
		pf_read_procstat(p, &again);
		if (after.min_flt == again.min_flt)
			break;
	}
	mf = 0;
	sscanf(line, "%*d %llu", &mf);
	tap_ok(ret == 2 && mf >= TOUCH_PAGES && mf == after.min_flt - before.min_flt,
	       "its thread's faults are counted exactly (%llu in tasks, %llu by /proc/PID/stat since R)",
	       mf, after.min_flt - before.min_flt);
	ret = pf_unreg(p);
	tap_ok(ret == 0, "U of it: 0 (%s)", strerror(-ret));
	end_child(p);

	/* ...but a non-dumpable one stays refused to its non-root owner. */
	p = spawn_leaderless(1000);
	if (p < 0)
		tap_bail("no non-dumpable leaderless child");
	ret = pf_as_user(1000, 1000, do_reg, p);
	tap_ok(ret == EPERM, "its owner cannot register a non-dumpable such process: EPERM (%s)",
	       strerror(ret));
	end_child(p);

	/* 2. comm is escaped: a newline in it cannot forge a line. */
	p = spawn_named("x\n999 1 2 3 4");
	if (p < 0)
		tap_bail("cannot spawn the named child");
	pf_reg(p);
	ret = tasks_line(p, line, sizeof(line));
	tap_ok(ret == 2, "a comm with a newline stays on one line of tasks (%d lines)", ret);
	tap_ok(strstr(line, " x\\n999 1 2 3 4") && line[strlen(line) - 1] == '4',
	       "comm shown escaped as /proc/PID/status does ('%s')", line);
	pf_unreg(p);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);

	/* 3. The opener's credentials decide, not the writer's. */
	if (pf_spawn_held(&roots, pf_sleeper, NULL))
		tap_bail("cannot spawn a root process");
	ret = open_as_write_as(1000, 0, roots.pid);
	tap_ok(ret == EPERM, "status opened by the user, written by root: R of a root process EPERM (%s)",
	       strerror(ret));
	tap_ok(pf_list(NULL, 0) == 0, "...and nothing was registered");
	ret = open_as_write_as(0, 1000, roots.pid);
	tap_ok(ret == 0, "status opened by root, written by the user: judged as root, 0 (%s)",
	       strerror(ret));
	pf_unreg(roots.pid);
	kill(roots.pid, SIGKILL);
	waitpid(roots.pid, NULL, 0);

	/* 4. The mapping: not inherited, never executable. */
	fd = open("/dev/mp3", O_RDWR);
	map = mmap(NULL, MP3_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || map == MAP_FAILED)
		tap_bail("cannot map /dev/mp3");
	ret = child_reads_mapping(map);
	tap_ok(ret == -SIGSEGV, "a forked child does not inherit the mapping (SIGSEGV on read: %d)",
	       ret);
	errno = 0;
	ret = mprotect((void *)map, MP3_BUF_SIZE, PROT_READ | PROT_EXEC);
	tap_ok(ret && errno == EACCES, "the mapping cannot be made executable: EACCES (%s)",
	       ret ? strerror(errno) : "mprotect succeeded");
	munmap((void *)map, MP3_BUF_SIZE);
	errno = 0;
	map = mmap(NULL, MP3_BUF_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	tap_ok(map == MAP_FAILED && errno == EPERM, "an executable mapping is refused: EPERM (%s)",
	       strerror(errno));
	if (map != MAP_FAILED)
		munmap((void *)map, MP3_BUF_SIZE);
	close(fd);

	tap_ok(pf_unload() == 0, "rmmod");
	return tap_finish();
}
