// SPDX-License-Identifier: GPL-2.0
/*
 * 77-corpus-module: the module against real programs this project did not
 * write.  The corpus (tests/corpus/, docs/kernels.md "Real programs in the
 * VM") is Debian's own binaries with their shared libraries, at their
 * usual paths under $PFPROF_ROOT/corpus/root; tests/corpus/programs.txt
 * lists the programs.  For each program, PFPROF_CORPUS_RUNS times (default
 * 3):
 *
 *   before a program's first run only, drop the page cache (the root is a
 *   copy on ext2 on a loop device, tests/corpus/setup.sh, so the binaries
 *   and libraries are read from the disk again: major faults; checked that
 *   every first run has some), so each program runs cold once, then warm;
 *   fork; the child chroots into the corpus root and blocks on a pipe;
 *   `R <pid>` (the base counts at registration from /proc/mp3/tasks);
 *   release: the child execs the program; waitid(WNOWAIT) until it is a
 *   zombie, /proc/PID/stat then (its own counts and its reaped children's);
 *   wait4(); wait until the module has dropped the registration; sum the
 *   ring's samples since before the R (header follower, none lost).
 *
 * The module's count of the process is base + the samples' sum.  It counts
 * the registered process's whole thread group, never its children
 * (docs/abi.md, "Faults of child processes are not included").  So:
 *
 *   scope "self" (one process, any number of threads): compared with
 *   wait4()'s rusage: minor and major faults exactly, CPU within the
 *   documented edge, 1% + 2 x 4 ms (docs/abi.md; PFPROF_CPU_EDGE_MS);
 *   /proc/PID/stat must show no reaped children, or the comparison would
 *   not be like with like.
 *
 *   scope "tree" (a shell script, make -j2 with gcc): wait4()'s rusage
 *   includes the reaped children, so the module is compared with the
 *   process's own counts, /proc/PID/stat's minflt/majflt/utime+stime read
 *   while it is a zombie: faults exactly; CPU within the same edge plus
 *   2 USER_HZ ticks, since stat truncates utime and stime to 10 ms each.
 *   (And own + children's faults == wait4's, as a check of the reading.)
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp3buf.h"
#include "lib/pftest.h"
#include "lib/tap.h"

#define MAX_PROGS 32
#define MAX_ARGS 32

struct prog {
	char name[64], scope[16];
	char line[512];
	char *argv[MAX_ARGS];
	bool tree;
};

static struct prog progs[MAX_PROGS];
static int nprogs;
static char corpus[512], croot[600];
static double edge_ns;
static long clk_tck;
static bool on_disk;
static int runs_with_major, runs_total;

static void load_programs(void)
{
	char path[600], line[512], *p, *save;
	FILE *f;
	int a;

	snprintf(path, sizeof(path), "%s/programs.txt", corpus);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && nprogs < MAX_PROGS) {
		struct prog *pr = &progs[nprogs];
		char *name, *scope, *cmd;

		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		name = strtok_r(line, "|", &save);
		scope = strtok_r(NULL, "|", &save);
		cmd = strtok_r(NULL, "", &save);
		if (!name || !scope || !cmd)
			continue;
		snprintf(pr->name, sizeof(pr->name), "%s", name);
		snprintf(pr->scope, sizeof(pr->scope), "%s", scope);
		snprintf(pr->line, sizeof(pr->line), "%s", cmd);
		pr->tree = !strcmp(scope, "tree");
		a = 0;
		for (p = strtok_r(pr->line, " ", &save); p && a < MAX_ARGS - 1;
		     p = strtok_r(NULL, " ", &save))
			pr->argv[a++] = p;
		pr->argv[a] = NULL;
		nprogs++;
	}
	fclose(f);
}

/* The base counts of @pid's registration, from /proc/mp3/tasks. */
static int read_base(pid_t pid, long long *min, long long *maj, long long *cpu)
{
	FILE *f = fopen("/proc/mp3/tasks", "r");
	char line[512];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		long long v[9];

		if (sscanf(line, "%lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9 && v[0] == pid) {
			*min = v[5];
			*maj = v[6];
			*cpu = v[7];
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* Before each run: its binaries and libraries come from the disk again. */
static void drop_caches(void)
{
	int fd;

	if (!on_disk)
		return;
	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3\n", 2) != 2)
			tap_diag("drop_caches: %s", strerror(errno));
		close(fd);
	}
}

struct result {
	bool ran;		/* exec'd, exit 0, registered, no sample lost */
	long long mod_min, mod_maj, mod_cpu;	/* base + samples */
	long long ref_min, ref_maj;		/* wait4 (self) or own stat (tree) */
	double ref_cpu, tol;
	bool min_ok, maj_ok, cpu_ok;
	char why[160];
};

static void run_once(struct mp3buf *m, const struct prog *pr, struct result *r, bool cold)
{
	static char *envp[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=/tmp/corpus", NULL };
	uint64_t next = mp3buf_written(m), lost = 0, t0;
	long long smin = 0, smaj = 0, scpu = 0, bmin = 0, bmaj = 0, bcpu = 0;
	struct mp3_sample s;
	struct rusage ru;
	struct pf_procstat o = { 0 };
	siginfo_t si;
	int go[2], st, i;
	double w4cpu;
	pid_t pid;
	char b;

	memset(r, 0, sizeof(*r));
	if (pipe(go)) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		return;
	}
	if (cold)
		drop_caches();
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		close(go[1]);
		dup2(fd, 0);
		dup2(fd, 1);
		fd = open("/tmp/pfprof-corpus.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		if (chroot(croot) || chdir("/"))
			_exit(126);
		if (read(go[0], &b, 1) != 1)
			_exit(125);
		execve(pr->argv[0], pr->argv, envp);
		_exit(127);
	}
	close(go[0]);
	if (pid < 0 || pf_wait_blocked(pid)) {
		snprintf(r->why, sizeof(r->why), "fork or hold failed");
		close(go[1]);
		return;
	}
	if (pf_reg(pid) || read_base(pid, &bmin, &bmaj, &bcpu)) {
		snprintf(r->why, sizeof(r->why), "R %d failed", (int)pid);
		close(go[1]);
		waitpid(pid, &st, 0);
		return;
	}
	t0 = pf_now_ns();
	if (write(go[1], "g", 1) != 1)
		snprintf(r->why, sizeof(r->why), "release failed");
	close(go[1]);
	/* A zombie, not reaped: its own counts are final in /proc/PID/stat. */
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) && errno == EINTR)
		;
	if (pf_read_procstat(pid, &o))
		snprintf(r->why, sizeof(r->why), "no /proc/%d/stat at exit", (int)pid);
	if (wait4(pid, &st, 0, &ru) != pid) {
		snprintf(r->why, sizeof(r->why), "wait4: %s", strerror(errno));
		return;
	}
	/* Until the module has dropped the registration (two samples). */
	for (i = 0; pf_stat("registrations") != 0 && i < 10000; i++)
		pf_msleep(1);
	while (mp3buf_follow(m, &next, &lost, &s)) {
		smin += s.min_flt;
		smaj += s.maj_flt;
		scpu += s.cpu_ns;
	}
	r->mod_min = bmin + smin;
	r->mod_maj = bmaj + smaj;
	r->mod_cpu = bcpu + scpu;
	w4cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	if (pr->tree) {
		r->ref_min = o.min_flt;
		r->ref_maj = o.maj_flt;
		r->ref_cpu = (o.utime_ticks + o.stime_ticks) * 1e9 / clk_tck;
		r->tol = 0.01 * r->ref_cpu + 2 * edge_ns + 2e9 / clk_tck;
	} else {
		r->ref_min = ru.ru_minflt;
		r->ref_maj = ru.ru_majflt;
		r->ref_cpu = w4cpu;
		r->tol = 0.01 * r->ref_cpu + 2 * edge_ns;
	}
	r->min_ok = r->mod_min == r->ref_min;
	r->maj_ok = r->mod_maj == r->ref_maj;
	r->cpu_ok = fabs(r->mod_cpu - r->ref_cpu) <= r->tol;
	/* own + reaped children == wait4: the reading is what it claims */
	if (o.min_flt + o.cmin_flt != (unsigned long long)ru.ru_minflt ||
	    o.maj_flt + o.cmaj_flt != (unsigned long long)ru.ru_majflt) {
		r->min_ok = false;
		snprintf(r->why, sizeof(r->why), "stat own+children %llu/%llu != wait4 %ld/%ld",
			 o.min_flt + o.cmin_flt, o.maj_flt + o.cmaj_flt, ru.ru_minflt, ru.ru_majflt);
	}
	if (!pr->tree && (o.cmin_flt || o.cmaj_flt || o.cutime_ticks || o.cstime_ticks)) {
		r->min_ok = false;
		snprintf(r->why, sizeof(r->why), "a \"self\" program reaped children (cminflt %llu)",
			 o.cmin_flt);
	}
	if (!r->why[0] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		snprintf(r->why, sizeof(r->why), "exit status 0x%x", st);
	if (!r->why[0] && lost)
		snprintf(r->why, sizeof(r->why), "%llu samples lost", (unsigned long long)lost);
	if (!r->why[0] && pf_stat("registrations") != 0)
		snprintf(r->why, sizeof(r->why), "still registered 10 s after the exit");
	r->ran = !r->why[0];
	tap_diag("%s: pid %d %.2f s: module %lld/%lld/%.3f ms, %s %lld/%lld/%.3f ms (tol %.3f ms); wait4 %ld/%ld/%.3f ms, children %llu/%llu%s%s",
		 pr->name, (int)pid, (pf_now_ns() - t0) / 1e9, r->mod_min, r->mod_maj,
		 r->mod_cpu / 1e6, pr->tree ? "own stat" : "wait4", r->ref_min, r->ref_maj,
		 r->ref_cpu / 1e6, r->tol / 1e6, ru.ru_minflt, ru.ru_majflt, w4cpu / 1e6,
		 o.cmin_flt, o.cmaj_flt, r->why[0] ? ": " : "", r->why);
}

int main(void)
{
	struct mp3buf m;
	char cmd[1400], line[600], why[300];
	FILE *f;
	int runs = 3, i, k;
	uint64_t t0;

	if (getenv("PFPROF_CORPUS_RUNS") && atoi(getenv("PFPROF_CORPUS_RUNS")) > 0)
		runs = atoi(getenv("PFPROF_CORPUS_RUNS"));
	snprintf(corpus, sizeof(corpus), "%s/corpus", pf_root());
	snprintf(croot, sizeof(croot), "%s/root", corpus);
	load_programs();
	tap_plan(3 + 4 * (nprogs ? nprogs : 6));
	if (nprogs < 6)
		tap_bail("no corpus (tests/corpus/programs.txt in the payload) or fewer than 6 programs");
	clk_tck = sysconf(_SC_CLK_TCK);
	snprintf(cmd, sizeof(cmd), "sh %s/setup.sh up %s", corpus, croot);
	f = popen(cmd, "r");
	line[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		;
	line[strcspn(line, "\n")] = 0;
	if (!tap_ok(f && pclose(f) == 0 && line[0] == '/',
		    "corpus root set up at %s (%d programs, %d runs each)", line, nprogs, runs))
		tap_bail("setup.sh up failed");
	snprintf(croot, sizeof(croot), "%s", line);
	f = fopen("/tmp/pfprof-corpus-disk.why", "r");
	if (f) {
		if (!fgets(why, sizeof(why), f))
			snprintf(why, sizeof(why), "unknown");
		why[strcspn(why, "\n")] = 0;
		fclose(f);
		tap_skip("corpus root on ext2 on a loop device", why);
	} else {
		on_disk = true;
		tap_ok(1, "corpus root on ext2 on a loop device: the page cache is dropped before each program's first run");
	}
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	if (mp3buf_open(&m, "/dev/mp3", false) || !m.hdr)
		tap_bail("cannot map /dev/mp3");
	edge_ns = fmax(1e9 / m.hdr->hz, 4e6);
	if (getenv("PFPROF_CPU_EDGE_MS") && atof(getenv("PFPROF_CPU_EDGE_MS")) > 0)
		edge_ns = atof(getenv("PFPROF_CPU_EDGE_MS")) * 1e6;

	for (i = 0; i < nprogs; i++) {
		const struct prog *pr = &progs[i];
		int ran = 0, min = 0, maj = 0, cpu = 0;
		char mins[200] = "", majs[200] = "", cpus[300] = "";
		const char *ref = pr->tree ? "its own /proc/PID/stat at exit (children excluded)" :
					      "wait4 rusage";

		t0 = pf_now_ns();
		for (k = 0; k < runs; k++) {
			struct result r;

			run_once(&m, pr, &r, k == 0);
			if (k == 0) {
				runs_total++;
				runs_with_major += r.ran && r.ref_maj > 0;
			}
			ran += r.ran;
			min += r.ran && r.min_ok;
			maj += r.ran && r.maj_ok;
			cpu += r.ran && r.cpu_ok;
			snprintf(mins + strlen(mins), sizeof(mins) - strlen(mins), "%s%lld/%lld",
				 k ? " " : "", r.mod_min, r.ref_min);
			snprintf(majs + strlen(majs), sizeof(majs) - strlen(majs), "%s%lld/%lld",
				 k ? " " : "", r.mod_maj, r.ref_maj);
			snprintf(cpus + strlen(cpus), sizeof(cpus) - strlen(cpus), "%s%+.3f/%.3f",
				 k ? " " : "", (r.mod_cpu - r.ref_cpu) / 1e6, r.tol / 1e6);
			if (!r.ran)
				system("sed 's/^/# stderr: /' /tmp/pfprof-corpus.err | head -n 20");
		}
		tap_ok(ran == runs, "%s (%s): %d of %d runs exec'd, exited 0, registered, no sample lost (%.1f s)",
		       pr->name, pr->scope, ran, runs, (pf_now_ns() - t0) / 1e9);
		tap_ok(min == runs, "%s (%s): module minor faults == %s in %d of %d runs (module/ref: %s)",
		       pr->name, pr->scope, ref, min, runs, mins);
		tap_ok(maj == runs, "%s (%s): module major faults == %s in %d of %d runs (%s)",
		       pr->name, pr->scope, ref, maj, runs, majs);
		tap_ok(cpu == runs, "%s (%s): module CPU within 1%% + 2 x %.0f ms%s of %s in %d of %d runs (diff/tol ms: %s)",
		       pr->name, pr->scope, edge_ns / 1e6, pr->tree ? " + 2 stat ticks" : "", ref,
		       cpu, runs, cpus);
	}
	if (on_disk)
		tap_ok(runs_with_major == runs_total,
		       "every program's first run (page cache dropped) took major faults: %d of %d",
		       runs_with_major, runs_total);
	else
		tap_skip("every program's first run took major faults", "no disk under the corpus root");
	mp3buf_close(&m);
	pf_unload();
	snprintf(cmd, sizeof(cmd), "sh %s/setup.sh down %s", corpus, croot);
	if (system(cmd))
		tap_diag("setup.sh down failed");
	return tap_finish();
}
