// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nullprog - run a command with empty BPF programs attached to the
 * page_fault_user and sched_switch tracepoints (tp_btf) and BPF run-time
 * statistics on; print each program's runs and ns per run.
 *
 *   nullprog [--no-stats] CMD [ARGS...]
 *   nullprog: null_fault_user run_cnt=N run_time_ns=T avg_ns=A
 *
 * --no-stats leaves the statistics off: the command then pays only the
 * dispatch (experiments/bench/witness-bench.sh's fault-nullprog mode).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "nullprog.skel.h"

static void show(struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return;
	printf("nullprog: %s run_cnt=%llu run_time_ns=%llu avg_ns=%.1f\n",
	       bpf_program__name(p), (unsigned long long)info.run_cnt,
	       (unsigned long long)info.run_time_ns,
	       info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
}

int main(int argc, char **argv)
{
	struct nullprog_bpf *skel;
	int stats_fd = -1, err = 1, a = 1;
	bool stats = true;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--no-stats")) {
		stats = false;
		a = 2;
	}
	if (argc <= a) {
		fprintf(stderr, "usage: nullprog [--no-stats] CMD [ARGS...]\n");
		return 2;
	}
	skel = nullprog_bpf__open_and_load();
	if (!skel || nullprog_bpf__attach(skel)) {
		fprintf(stderr, "nullprog: cannot load or attach\n");
		goto cleanup;
	}
	if (stats)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	pid = fork();
	if (pid == 0) {
		execvp(argv[a], argv + a);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	show(skel->progs.null_fault_user);
	show(skel->progs.null_switch);
	if (stats_fd >= 0)
		close(stats_fd);
	err = 0;
cleanup:
	nullprog_bpf__destroy(skel);
	return err;
}
