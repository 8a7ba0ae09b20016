/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * promhttp.h - the HTTP/1.1 server of pftrace serve: GET /metrics only,
 * one thread, poll(), every connection non-blocking with a deadline, so a
 * slow or stalled client holds up no other.  The pages it serves are a
 * snapshot the view publishes (ph_publish()); a request copies the
 * current one under a mutex.
 */
#ifndef __PFTRACE_PROMHTTP_H
#define __PFTRACE_PROMHTTP_H

#include <stddef.h>

#define PH_MAX_CONNS	64	/* connections served at once; more wait in the backlog */
#define PH_DEADLINE_MS	5000	/* a connection's whole life: request and response */

struct ph_server;

/*
 * A listening socket on @addr ("IPV4:PORT", "[V6]:PORT" or ":PORT": every IPv4
 * address), into *@fd; -errno, with why in @why (a bad address: -EINVAL).
 */
int ph_listen(const char *addr, int *fd, char *why, size_t len);
/* The address @fd is bound to, "IPV4:PORT" or "[IPV6]:PORT" (port 0 chosen); -errno. */
int ph_local_addr(int fd, char *buf, size_t len);
/* Serve on @fd (taken over) in a thread of its own; -errno. */
int ph_start(struct ph_server **s, int fd);
/*
 * The pages from now on: the text format (0.0.4) and OpenMetrics (1.0.0,
 * for an Accept that asks for it); both taken over (free()d later).
 */
void ph_publish(struct ph_server *s, char *text, size_t text_len, char *om, size_t om_len);
/* Requests answered so far (by status: 200, 404 or 405, others). */
void ph_counts(struct ph_server *s, unsigned long long *ok, unsigned long long *not_found,
	       unsigned long long *other);
/* Stop the thread, close every socket, free (NULL is fine). */
void ph_stop(struct ph_server *s);

#endif
