// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nullprog.bpf.c - empty programs on the hooks pfwitness uses, for
 * experiments/bench/witness-bench.sh: their run time (BPF run-time statistics) is the
 * kernel's own cost of running any program there, the floor under
 * pfwitness's figures.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/page_fault_user")
int BPF_PROG(null_fault_user)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(null_switch)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
