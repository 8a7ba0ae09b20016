// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * promhttp.c - pftrace serve's HTTP server (promhttp.h): one thread,
 * poll() over the listener and every connection, each non-blocking with
 * a deadline; a request is answered from a copy of the snapshot, so the
 * mutex is held for a memcpy, never across a client's I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "promhttp.h"

#define PH_REQ_MAX	8192	/* a request's head, at most */

struct ph_conn {
	int fd;
	long long deadline;	/* ms, CLOCK_MONOTONIC */
	char req[PH_REQ_MAX];
	size_t rlen;
	char *out;		/* the response, once the head is in */
	size_t olen, off;
};

struct ph_server {
	int lfd, wake[2];
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;	/* the pages and the counts */
	char *text, *om;
	size_t text_len, om_len;
	unsigned long long n_ok, n_404, n_other;
	struct ph_conn *conns[PH_MAX_CONNS];
	int nconns;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Split "HOST:PORT" / "[V6]:PORT" / ":PORT" into @host (NULL: any) and @port. */
static int split_addr(char *a, char **host, char **port)
{
	char *colon = strrchr(a, ':');

	if (!colon || !colon[1])
		return -EINVAL;
	*colon = 0;
	*port = colon + 1;
	if (a[0] == '[') {
		size_t n = strlen(a);

		if (n < 3 || a[n - 1] != ']')
			return -EINVAL;
		a[n - 1] = 0;
		a++;
	} else if (strchr(a, ':')) {
		return -EINVAL;	/* a v6 address needs its brackets */
	}
	*host = a[0] ? a : NULL;
	return 0;
}

static int parse_port(const char *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(port, &end, 10);
	if (errno || *end || end == port || v < 0 || v > 65535)
		return -EINVAL;
	return 0;
}

/* @host (NULL: every address) and @port as a socket address; -EINVAL. */
static int make_addr(const char *host, const char *port, struct sockaddr_storage *ss,
		     socklen_t *sl)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (!host || inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p);
		*sl = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p);
		*sl = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

static int bind_listen(const struct sockaddr_storage *ss, socklen_t sl, int *fd)
{
	int one = 1, s, err;

	s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)ss, sl) || listen(s, 128)) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

int ph_listen(const char *addr, int *fd, char *why, size_t len)
{
	char *copy = strdup(addr), *host, *port;
	struct sockaddr_storage ss;
	socklen_t sl;
	int err = copy ? 0 : -ENOMEM;

	if (!err)
		err = split_addr(copy, &host, &port);
	if (!err)
		err = parse_port(port);
	if (!err)
		err = make_addr(host, port, &ss, &sl);
	if (err) {
		snprintf(why, len, "bad address %s (IPV4:PORT, [IPV6]:PORT or :PORT, "
			 "numeric, port 0..65535)", addr);
		free(copy);
		return -EINVAL;
	}
	err = bind_listen(&ss, sl, fd);
	if (err)
		snprintf(why, len, "cannot listen on %s: %s", addr, strerror(-err));
	free(copy);
	return err;
}

int ph_local_addr(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	const void *a;
	int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -errno;
	if (ss.ss_family == AF_INET6) {
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		a = &((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	if (!inet_ntop(ss.ss_family, a, host, sizeof(host)))
		return -errno;
	snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
	return 0;
}

void ph_publish(struct ph_server *s, char *text, size_t text_len, char *om, size_t om_len)
{
	char *old_text, *old_om;

	pthread_mutex_lock(&s->lock);
	old_text = s->text;
	old_om = s->om;
	s->text = text;
	s->text_len = text_len;
	s->om = om;
	s->om_len = om_len;
	pthread_mutex_unlock(&s->lock);
	free(old_text);
	free(old_om);
}

void ph_counts(struct ph_server *s, unsigned long long *ok, unsigned long long *not_found,
	       unsigned long long *other)
{
	pthread_mutex_lock(&s->lock);
	*ok = s->n_ok;
	*not_found = s->n_404;
	*other = s->n_other;
	pthread_mutex_unlock(&s->lock);
}

/* The response's head and @body into c->out; -ENOMEM. */
static int set_response(struct ph_conn *c, int status, const char *type, const char *body,
			size_t blen, bool head_only)
{
	const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" :
			     status == 405 ? "Method Not Allowed" : "Bad Request";
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", status, reason,
		     type, blen, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->out = malloc(n + blen);
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, hdr, n);
	c->olen = n;
	if (!head_only) {
		memcpy(c->out + n, body, blen);
		c->olen += blen;
	}
	c->off = 0;
	return 0;
}

/* Whether the head's Accept asks for OpenMetrics. */
static bool wants_om(const char *head)
{
	const char *p = head;

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, "accept:", 7)) {
			const char *end = strstr(p, "\r\n");
			char v[1024];

			snprintf(v, sizeof(v), "%.*s", (int)(end ? end - p : 1023), p);
			return strstr(v, "application/openmetrics-text") != NULL;
		}
	}
	return false;
}

/* 200 with the snapshot: OpenMetrics if asked for, else the text format. */
static int respond_metrics(struct ph_server *s, struct ph_conn *c, bool om, bool head_only)
{
	const char *type = om ? "application/openmetrics-text; version=1.0.0; charset=utf-8" :
				"text/plain; version=0.0.4; charset=utf-8";
	int err;

	pthread_mutex_lock(&s->lock);
	err = set_response(c, 200, type, om ? s->om : s->text, om ? s->om_len : s->text_len,
			   head_only);
	s->n_ok++;
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* The head is in: the response to it. */
static int respond(struct ph_server *s, struct ph_conn *c)
{
	char method[16], path[512];
	bool head;
	size_t n;
	int status;

	if (sscanf(c->req, "%15s %511s HTTP/1.%*c", method, path) != 2) {
		status = 400;
		goto error;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		status = 405;
		goto error;
	}
	n = strcspn(path, "?");
	path[n] = 0;
	if (!strcmp(path, "/metrics"))
		return respond_metrics(s, c, wants_om(c->req), head);
	status = 404;
error:
	pthread_mutex_lock(&s->lock);
	if (status == 404)
		s->n_404++;
	else
		s->n_other++;
	pthread_mutex_unlock(&s->lock);
	return set_response(c, status, "text/plain; charset=utf-8",
			    status == 404 ? "not found: try /metrics\n" : "bad request\n",
			    status == 404 ? 24 : 12, false);
}

/* Read what the client sent; 1 when the connection is done with, or -errno. */
static int conn_read(struct ph_server *s, struct ph_conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (n == 0)
		return 1;	/* closed before a whole request */
	c->rlen += n;
	c->req[c->rlen] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		return respond(s, c);
	if (c->rlen == sizeof(c->req) - 1)
		return set_response(c, 400, "text/plain", "bad request\n", 12, false);
	return 0;
}

/* Write what is left of the response; 1 when all of it is out (or it failed). */
static int conn_write(struct ph_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->off, c->olen - c->off, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	c->off += n;
	return c->off == c->olen;
}

static void conn_close(struct ph_server *s, int i)
{
	struct ph_conn *c = s->conns[i];

	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	free(c->out);
	free(c);
	s->conns[i] = s->conns[--s->nconns];
}

static void accept_all(struct ph_server *s)
{
	while (s->nconns < PH_MAX_CONNS) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ph_conn *c;

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->deadline = now_ms() + PH_DEADLINE_MS;
		s->conns[s->nconns++] = c;
	}
}

/* One connection's turn: read, then write; close when done or late. */
static void conn_step(struct ph_server *s, int i, short revents, long long now)
{
	struct ph_conn *c = s->conns[i];
	int done = 0;

	if (revents & (POLLERR | POLLNVAL))
		done = 1;
	else if (!c->out && (revents & (POLLIN | POLLHUP)))
		done = conn_read(s, c);
	if (!done && c->out && c->off < c->olen)
		done = conn_write(c);
	if (done || now > c->deadline)
		conn_close(s, i);
}

static void *ph_loop(void *arg)
{
	struct pollfd pfd[PH_MAX_CONNS + 2];
	struct ph_server *s = arg;
	int i, n;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->nconns < PH_MAX_CONNS ? s->lfd : -1,
					  .events = POLLIN };
		for (i = 0; i < s->nconns; i++)
			pfd[i + 2] = (struct pollfd){ .fd = s->conns[i]->fd,
						      .events = s->conns[i]->out ? POLLOUT : POLLIN };
		n = s->nconns;
		if (poll(pfd, n + 2, 100) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		/* backwards: conn_close() moves the last connection into i */
		for (i = n - 1; i >= 0; i--)
			conn_step(s, i, pfd[i + 2].revents, now_ms());
		if (pfd[1].revents & POLLIN)
			accept_all(s);
	}
	return NULL;
}

int ph_start(struct ph_server **out, int fd)
{
	struct ph_server *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->lfd = fd;
	pthread_mutex_init(&s->lock, NULL);
	if (pipe2(s->wake, O_CLOEXEC)) {
		err = -errno;
		free(s);
		return err;
	}
	err = -pthread_create(&s->thread, NULL, ph_loop, s);
	if (err) {
		close(s->wake[0]);
		close(s->wake[1]);
		free(s);
		return err;
	}
	s->started = true;
	*out = s;
	return 0;
}

void ph_stop(struct ph_server *s)
{
	if (!s)
		return;
	if (s->started) {
		if (write(s->wake[1], "x", 1) < 0)
			perror("pftrace: serve: stopping the server");
		pthread_join(s->thread, NULL);
	}
	while (s->nconns)
		conn_close(s, s->nconns - 1);
	close(s->wake[0]);
	close(s->wake[1]);
	close(s->lfd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s->om);
	free(s);
}
