/*
 * backend.c: connecting the legacy leg to the backend server.
 */
#include <string.h>

#include "backend.h"
#include "conf.h"
#include "leg.h"
#include "log.h"
#include "relay.h"
#include "worker.h"

static void
unreachable(struct session *s, const struct pol_addr *a, const char *err)
{
	struct ev e;

	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "backend.unreachable");
	ev_str(&e, "domain", s->domain != NULL ? s->domain->name : "none");
	ev_str(&e, "backend", a != NULL ? a->text : "?");
	ev_str(&e, "error", err);
	ev_end(&e);
	session_stream_error(s, "internal-server-error",
	    "the service is unavailable", "backend-unreachable");
}

static const struct pol_addr *
backend_addr(const struct session *s)
{
	if (s->domain == NULL)
		return NULL;
	return s->dir == POL_C2S ? &s->domain->c2s_backend :
	    &s->domain->s2s_backend;
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct leg *l = container_of(req, struct leg, creq);
	struct session *s = l->s;

	if (status == UV_ECANCELED || s->closing)
		return;
	if (status < 0) {
		leg_close_handle(l);
		unreachable(s, backend_addr(s), uv_err_name(status));
		session_flush(s);
		return;
	}
	l->state = LEG_PLAIN;
	if (l->u.h.type == UV_TCP)
		uv_tcp_nodelay(&l->u.tcp, 1);
	leg_set_ops(l, &relay_resp_ops);
	l->xs = xs_new(&s->conf->xlim, s->dir == POL_C2S ? XS_NS_CLIENT :
	    XS_NS_SERVER, relay_resp_event, l);
	if (l->xs == NULL) {
		session_abort(s, "enomem");
		return;
	}
	if (leg_read_start(l) != 0) {
		unreachable(s, backend_addr(s), "read");
		return;
	}
	if (log_enabled(LOG_LVL_DEBUG)) {
		struct ev e;

		ev_begin(&e, LOG_LVL_DEBUG, s->id, s->role,
		    "backend.connected");
		ev_str(&e, "backend", backend_addr(s)->text);
		ev_end(&e);
	}
	session_timer_update(s);
	/* The peer's header and what followed it go out now. */
	relay_fed(&s->remote, 0);
	session_flush(s);
}

void
backend_connect(struct session *s, const struct pol_addr *a)
{
	struct leg *l = &s->legacy;
	uv_loop_t *loop = &s->w->loop;
	int rc;

	if (a->unix) {
		uv_pipe_init(loop, &l->u.pipe, 0);
	} else {
		uv_tcp_init(loop, &l->u.tcp);
	}
	l->u.h.data = s;
	l->inited = 1;
	s->open_handles++;
	l->state = LEG_CONNECTING;
	s->t_connect = uv_now(loop);
	if (a->unix) {
		/* Reports errors through the callback only. */
		uv_pipe_connect(&l->creq, &l->u.pipe, a->path, on_connect);
	} else {
		struct sockaddr_storage ss;

		if (strchr(a->host, ':') != NULL)
			rc = uv_ip6_addr(a->host, a->port,
			    (struct sockaddr_in6 *)&ss);
		else
			rc = uv_ip4_addr(a->host, a->port,
			    (struct sockaddr_in *)&ss);
		if (rc == 0)
			rc = uv_tcp_connect(&l->creq, &l->u.tcp,
			    (struct sockaddr *)&ss, on_connect);
		if (rc != 0) {
			leg_close_handle(l);
			unreachable(s, a, uv_err_name(rc));
			return;
		}
	}
	session_timer_update(s);
}
