/*
 * worker.c: worker threads, their loops and their listening sockets.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leg.h"
#include "control.h"
#include "log.h"
#include "session.h"
#include "worker.h"

#define LISTEN_BACKLOG	511
/*
 * A session with no byte either way for this long gives back its parser
 * contexts and empty buffers (leg_idle()); the sweep runs as often.
 */
#define QUIET_MS	1000
#define SWEEP_TRIM	16		/* sessions quieted in one sweep */

static void
on_connection(uv_stream_t *server, int status)
{
	struct listener *li = container_of((uv_tcp_t *)server,
	    struct listener, tcp);

	if (status < 0) {
		log_warnx("accept on %s: %s", li->text, uv_strerror(status));
		return;
	}
	if (li->w->stopping)
		return;
	session_accept(li->w, li, server);
}

/* A listening socket of our own, so SO_REUSEPORT is set before bind. */
static int
open_socket(const char *host, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
		goto fail;
	/* "[::]" means IPv6 only; list 0.0.0.0 separately for IPv4. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	return fd;
fail:
	on = -errno;
	close(fd);
	return on;
}

static void
on_async(uv_async_t *a)
{
	struct worker *w = a->data;
	unsigned cmd = atomic_exchange(&w->cmd, 0);

	/* Before a stop: a request posted before it is still answered. */
	if (cmd & WORKER_CMD_SNAPSHOT)
		control_worker_snapshot(w);
	if ((cmd & WORKER_CMD_STOP) && !w->stopping) {
		struct session *s, *next;

		w->stopping = 1;
		for (size_t i = 0; i < w->nlisteners; i++)
			if (w->listeners[i].open) {
				uv_close((uv_handle_t *)&w->listeners[i].tcp,
				    NULL);
				w->listeners[i].open = 0;
			}
		for (s = w->sessions; s != NULL; s = next) {
			next = s->next;
			session_shutdown(s);
		}
		uv_close((uv_handle_t *)&w->sweep, NULL);
		uv_close((uv_handle_t *)&w->async, NULL);
	}
}

/*
 * Idle connections should cost little memory: each quiet session drops
 * its libxml2 contexts and buffers, which come back with the next byte.
 * One pass a second over the sessions is cheap next to their traffic.
 */
static void
on_sweep(uv_timer_t *t)
{
	struct worker *w = t->data;
	uint64_t now = uv_now(&w->loop);
	unsigned quieted = 0;

	/*
	 * Only sessions that went quiet since the last sweep: the others
	 * were idled then, and any byte since would have moved t_last.
	 */
	for (struct session *s = w->sessions; s != NULL; s = s->next)
		if (!s->closing && s->t_last + QUIET_MS <= now &&
		    s->t_last + QUIET_MS > w->swept) {
			leg_idle(&s->remote);
			leg_idle(&s->legacy);
			quieted++;
		}
	w->swept = now;
	/*
	 * Freed blocks amid the heap stay resident until trimmed: hand
	 * whole free pages back when a good number of sessions went quiet.
	 */
	if (quieted >= SWEEP_TRIM)
		malloc_trim(0);
}

/* Each connection takes descriptors: allow as many as the hard limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

int
worker_init(struct worker *w, unsigned idx, const struct pol *p)
{
	int rc;

	if (idx == 0)
		raise_nofile();

	memset(w, 0, sizeof(*w));
	w->idx = idx;
	if ((rc = uv_loop_init(&w->loop)) != 0) {
		log_warnx("worker %u: loop: %s", idx, uv_strerror(rc));
		return -1;
	}
	w->loop.data = w;
	if ((rc = uv_async_init(&w->loop, &w->async, on_async)) != 0) {
		log_warnx("worker %u: async: %s", idx, uv_strerror(rc));
		return -1;
	}
	w->async.data = w;
	if ((rc = uv_timer_init(&w->loop, &w->sweep)) != 0 ||
	    (rc = uv_timer_start(&w->sweep, on_sweep, QUIET_MS, QUIET_MS)) !=
	    0) {
		log_warnx("worker %u: timer: %s", idx, uv_strerror(rc));
		return -1;
	}
	w->sweep.data = w;
	w->listeners = calloc(p->nlisteners, sizeof(*w->listeners));
	if (w->listeners == NULL) {
		log_warnx("worker %u: out of memory", idx);
		return -1;
	}
	for (size_t i = 0; i < p->nlisteners; i++) {
		const struct pol_listener *pl = &p->listeners[i];
		struct listener *li = &w->listeners[i];
		int fd;

		li->w = w;
		li->role = pl->role;
		li->tls = pl->tls;
		snprintf(li->text, sizeof(li->text), "%s", pl->text);
		snprintf(li->domain, sizeof(li->domain), "%s",
		    pl->domain != NULL ? pl->domain : "");
		if ((fd = open_socket(pl->host, pl->port)) < 0) {
			log_warnx("%s:%d: cannot listen on %s: %s", p->file,
			    pl->line, pl->text, strerror(-fd));
			return -1;
		}
		if ((rc = uv_tcp_init(&w->loop, &li->tcp)) != 0 ||
		    (rc = uv_tcp_open(&li->tcp, fd)) != 0 ||
		    (rc = uv_listen((uv_stream_t *)&li->tcp, LISTEN_BACKLOG,
		    on_connection)) != 0) {
			log_warnx("cannot listen on %s: %s", pl->text,
			    uv_strerror(rc));
			close(fd);
			return -1;
		}
		li->tcp.data = w;
		li->open = 1;
		w->nlisteners++;
	}
	return 0;
}

static void
run(void *arg)
{
	struct worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
	atomic_store(&w->finished, 1);
	if (w->on_done != NULL)
		uv_async_send(w->on_done);
}

int
worker_start(struct worker *w)
{
	int rc = uv_thread_create(&w->thread, run, w);

	if (rc != 0) {
		log_warnx("worker %u: thread: %s", w->idx, uv_strerror(rc));
		return -1;
	}
	return 0;
}

void
worker_command(struct worker *w, enum worker_cmd cmd)
{
	atomic_fetch_or(&w->cmd, (unsigned)cmd);
	uv_async_send(&w->async);
}

void
worker_join(struct worker *w)
{
	uv_thread_join(&w->thread);
	if (uv_loop_close(&w->loop) != 0)
		log_warnx("worker %u: loop closed with handles open", w->idx);
	free(w->listeners);
}

void
worker_add_session(struct worker *w, struct session *s)
{
	s->prev = NULL;
	s->next = w->sessions;
	if (w->sessions != NULL)
		w->sessions->prev = s;
	w->sessions = s;
	w->nsessions++;
}

void
worker_remove_session(struct worker *w, struct session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		w->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	w->nsessions--;
}
