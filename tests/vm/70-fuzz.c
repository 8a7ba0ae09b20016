// SPDX-License-Identifier: GPL-2.0
/*
 * 70-fuzz: hammer /proc/mp3/status with random and malformed writes:
 * random bytes, mutated valid commands, partial writes of a command split
 * in two, huge and negative numbers, odd whitespace, embedded NULs, no
 * newline, a 1 MiB write, and several concurrent writers.  Nothing may
 * crash, every error must be one of the documented errnos, and a rejected
 * write must leave the registration list as it was.  PFPROF_FUZZ_WRITES
 * sets the number of single-writer writes (default 12000).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/pftest.h"
#include "lib/tap.h"

static uint64_t seed = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 2685821657736338717ULL;
}

/* Put the registration list back to @want (a status text). */
static void restore(const char *want)
{
	pid_t now[64], old[64];
	int n = 0, o = 0, i, j;
	const char *p = want;
	char *end;

	while (*p && o < 64) {
		old[o++] = strtol(p, &end, 10);
		p = end + 1;
	}
	n = pf_list(now, 64);
	for (i = 0; i < n; i++) {
		for (j = 0; j < o && old[j] != now[i]; j++)
			;
		if (j == o)
			pf_unreg(now[i]);
	}
	for (j = 0; j < o; j++) {
		for (i = 0; i < n && now[i] != old[j]; i++)
			;
		if (i == n)
			pf_reg(old[j]);
	}
}

static bool documented(int err)
{
	return err == EINVAL || err == ESRCH || err == EEXIST ||
	       err == ENOENT || err == EPERM || err == ENOSPC;
}

/* Build one fuzz input in @buf; returns its length. */
static size_t gen(char *buf, size_t max, pid_t live, bool only_invalid)
{
	static const char *pieces[] = {
		"R", "U", "r", "u", " ", "\t", "\n", "\0", "-", "+", "0x",
		"4194304", "4194305", "2147483648", "-2147483649",
		"18446744073709551616", "99999999999999999999999", "0", "1",
	};
	size_t len = 0, k, n;
	char num[32];

	/*
	 * only_invalid: random bytes or mutated commands naming a PID above
	 * pid_max, which can never be accepted (a partial write could: "R 4").
	 */
	switch (only_invalid ? (int)(rnd() % 2) * 2 : (int)(rnd() % 6)) {
	case 0:		/* random bytes */
		n = 1 + rnd() % 40;
		for (k = 0; k < n && len < max; k++)
			buf[len++] = rnd() & 0xff;
		return len;
	case 1:		/* concatenated pieces */
		n = 1 + rnd() % 6;
		for (k = 0; k < n; k++) {
			const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = *p ? strlen(p) : 1;

			if (len + pl > max)
				break;
			memcpy(buf + len, p, pl);
			len += pl;
		}
		return len;
	case 2:		/* a valid command with one byte mutated */
		len = snprintf(buf, max, "%c %d\n", rnd() & 1 ? 'R' : 'U', (int)live);
		buf[rnd() % len] = rnd() & 0xff;
		return len;
	case 3:		/* the first part of a valid command (a partial write) */
		len = snprintf(buf, max, "%c %d\n", rnd() & 1 ? 'R' : 'U', (int)live);
		return 1 + rnd() % (len - 2);
	case 4:		/* odd numbers */
		snprintf(num, sizeof(num), "%lld", (long long)(rnd() >> (rnd() % 64)) *
			 (rnd() & 1 ? -1 : 1));
		return snprintf(buf, max, "%c%s%s%s", rnd() & 1 ? 'R' : 'U',
				rnd() & 1 ? " " : "  \t", num, rnd() & 1 ? "\n" : "");
	default:	/* blanks everywhere */
		return snprintf(buf, max, "%s%c%s%d%s", rnd() & 1 ? " " : "",
				rnd() & 1 ? 'R' : 'U', rnd() & 1 ? "\t\t" : " ",
				(int)live, rnd() & 1 ? " \n" : "\n\n");
	}
}

int main(void)
{
	const char *env = getenv("PFPROF_FUZZ_WRITES");
	long writes = env ? atol(env) : 12000;
	long i, rejected = 0, accepted = 0, undocumented = 0, changed = 0;
	char before[4096], buf[128], *big;
	struct pf_child live;
	int ret, w, status, crashed = 0;
	pid_t kids[4];

	if (writes < 1)
		writes = 12000;
	tap_plan(7);
	if (!pf_ensure_unloaded() || pf_load(NULL))
		tap_bail("cannot load mp3.ko");
	pf_spawn_held(&live, pf_sleeper, NULL);
	pf_reg(getpid());	/* the list is never empty: changes show */

	for (i = 0; i < writes; i++) {
		size_t len = gen(buf, sizeof(buf), live.pid, false);

		snprintf(before, sizeof(before), "%s", pf_status_text());
		ret = mp3ctl_write(buf, len);
		if (ret == 0) {
			/* Accepted (a well-formed command after all): undo it. */
			accepted++;
			restore(before);
			continue;
		}
		rejected++;
		if (!documented(-ret)) {
			undocumented++;
			tap_diag("write of %zu bytes: undocumented errno %d", len, -ret);
		}
		if (strcmp(before, pf_status_text()))
			changed++;
	}
	tap_diag("%ld writes: %ld accepted, %ld rejected", writes, accepted, rejected);
	tap_ok(rejected + accepted == writes && writes >= 10000,
	       "%ld single-writer fuzz writes done", writes);
	tap_ok(undocumented == 0, "every error is a documented errno (%ld not)", undocumented);
	tap_ok(changed == 0, "no rejected write changed the list (%ld did)", changed);

	big = malloc(1 << 20);
	memset(big, '7', 1 << 20);
	memcpy(big, "R ", 2);
	snprintf(before, sizeof(before), "%s", pf_status_text());
	ret = mp3ctl_write(big, 1 << 20);
	tap_ok(ret == -EINVAL && !strcmp(before, pf_status_text()),
	       "1 MiB write: EINVAL, list unchanged");
	free(big);

	/* Concurrent writers: only invalid input, so the list must not move. */
	snprintf(before, sizeof(before), "%s", pf_status_text());
	for (w = 0; w < 4; w++) {
		kids[w] = fork();
		if (kids[w] == 0) {
			int bad = 0;

			seed ^= (uint64_t)getpid() << 17;
			for (i = 0; i < 2000; i++) {
				size_t len = gen(buf, sizeof(buf), 4194000, true);

				ret = mp3ctl_write(buf, len);
				if (ret && !documented(-ret))
					bad++;
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (w = 0; w < 4; w++) {
		waitpid(kids[w], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			crashed++;
	}
	tap_ok(crashed == 0, "4 concurrent writers x 2000 writes: documented errnos only");
	if (!tap_ok(!strcmp(before, pf_status_text()),
		    "list unchanged after the concurrent writers"))
		tap_diag("before: %s after: %s", before, pf_status_text());
	pf_unreg(getpid());
	kill(live.pid, SIGKILL);
	waitpid(live.pid, NULL, 0);
	ret = pf_unload();
	tap_ok(ret == 0, "module unloads cleanly after the fuzzing (%d)", ret);
	return tap_finish();
}
