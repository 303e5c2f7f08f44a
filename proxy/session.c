/*
 * session.c: a session's life: accept, deadlines, the one way out, and
 * the close record.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dialback.h"
#include "inbound.h"
#include "outbound.h"
#include "leg.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "stream.h"
#include "summary.h"
#include "tls.h"
#include "worker.h"

static _Atomic uint64_t	next_id;

void
session_ids_start(uint64_t base)
{
	atomic_store(&next_id, base);
}

static void session_free(struct session *s);

/* The timer's close is counted like every other handle's. */
static void
on_timer_closed(uv_handle_t *h)
{
	session_handle_closed(h->data);
}

static void
format_peer(uv_tcp_t *tcp, char *out, size_t len)
{
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	snprintf(out, len, "unknown");
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		uv_ip4_name(s4, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		uv_ip6_name(s6, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	}
}

void
session_accept(struct worker *w, const struct listener *li,
    uv_stream_t *server)
{
	struct session *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warnx("accept on %s: out of memory", li->text);
		return;
	}
	s->id = atomic_fetch_add(&next_id, 1) + 1;
	s->w = w;
	s->li = li;
	s->conf = conf_current();
	switch (li->role) {
	case POL_ROLE_C2S:
		s->dir = POL_C2S;
		s->role = "c2s";
		break;
	case POL_ROLE_S2S:
		s->dir = POL_S2S_IN;
		s->role = "s2s";
		break;
	case POL_ROLE_S2S_OUT:
		s->dir = POL_S2S_OUT;
		s->role = "s2s-out";
		break;
	}
	leg_init(&s->remote, s, "remote", &s->legacy);
	leg_init(&s->legacy, s, "legacy", &s->remote);
	/* Outbound, the backend connects to us and we go on to the remote. */
	s->init = s->dir == POL_S2S_OUT ? &s->legacy : &s->remote;
	s->resp = s->dir == POL_S2S_OUT ? &s->remote : &s->legacy;
	s->t_start = s->t_last = uv_now(&w->loop);
	worker_add_session(w, s);
	metrics_session_open(s->dir);

	uv_tcp_init(&w->loop, &s->init->u.tcp);
	s->init->u.h.data = s;
	s->init->inited = 1;
	s->open_handles++;
	uv_timer_init(&w->loop, &s->timer);
	s->timer.data = s;
	s->open_handles++;

	if ((rc = uv_accept(server, &s->init->u.s)) != 0) {
		log_warnx("accept on %s: %s", li->text, uv_strerror(rc));
		session_abort(s, "accept-failed");
		return;
	}
	uv_tcp_nodelay(&s->init->u.tcp, 1);
	format_peer(&s->init->u.tcp, s->peer, sizeof(s->peer));
	if (log_enabled(LOG_LVL_DEBUG)) {
		struct ev e;

		ev_begin(&e, LOG_LVL_DEBUG, s->id, s->role, "session.accept");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "listener", li->text);
		ev_u64(&e, "worker", w->idx);
		ev_end(&e);
	}
	if (s->dir == POL_S2S_OUT)
		outbound_start(s);
	else
		inbound_start(s);
	session_flush(s);
}

void
session_flush(struct session *s)
{
	leg_flush(&s->remote);
	leg_flush(&s->legacy);
}

static int
leg_done(const struct leg *l)
{
	return l->state == LEG_CLOSED || l->state == LEG_NONE;
}

/* Can XML still be written on l's stream? */
static int
leg_writable(const struct leg *l)
{
	return l->state == LEG_PLAIN || l->state == LEG_TLS;
}

static void
set_reason(struct session *s, const char *reason)
{
	if (s->reason[0] == '\0' && reason != NULL)
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

void
session_close(struct session *s, const char *reason)
{
	if (s->closing)
		return;
	s->closing = 1;
	set_reason(s, reason);
	s->t_close = uv_now(&s->w->loop) +
	    (uint64_t)s->conf->pol->timeouts.close * 1000;
	/* Streams still open are closed properly, at an element boundary. */
	if (leg_writable(&s->remote) && s->remote.hdr_sent)
		stream_send_close(&s->remote);
	if (leg_writable(&s->legacy) && s->legacy.hdr_sent)
		stream_send_close(&s->legacy);
	leg_read_stop(&s->remote);
	leg_read_stop(&s->legacy);
	leg_begin_close(&s->remote);
	leg_begin_close(&s->legacy);
	session_leg_closed(s);
	if (!s->torn_down)
		session_timer_update(s);
	session_flush(s);
}

void
session_abort(struct session *s, const char *reason)
{
	s->closing = 1;
	set_reason(s, reason);
	if (s->legacy.state == LEG_NONE)
		s->legacy.state = LEG_CLOSED;
	if (s->remote.state == LEG_NONE)
		s->remote.state = LEG_CLOSED;
	leg_close_handle(&s->remote);
	leg_close_handle(&s->legacy);
	session_leg_closed(s);
}

void
session_stream_error(struct session *s, const char *cond, const char *text,
    const char *reason)
{
	struct leg *l = s->init;
	struct ev e;

	if (s->closing)
		return;
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "stream.error.sent");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "condition", cond);
	ev_str(&e, "reason", reason);
	ev_end(&e);
	if (leg_writable(l)) {
		if (!l->hdr_sent)
			stream_send_header(l, s->dir == POL_C2S ? XS_NS_CLIENT :
			    XS_NS_SERVER, s->dir == POL_S2S_OUT ?
			    (s->peer_domain[0] != '\0' ? s->peer_domain : NULL) :
			    s->domain != NULL ? s->domain->name : NULL, 0, 0);
		stream_send_error(l, cond, text);
	}
	session_close(s, reason);
}

void
session_shutdown(struct session *s)
{
	if (s->closing)
		return;
	if (s->init->state == LEG_PLAIN || s->init->state == LEG_TLS)
		session_stream_error(s, "system-shutdown", NULL, "shutdown");
	else
		session_close(s, "shutdown");
	session_flush(s);
}

/* The per-connection summary, last part (OBS-1). */
static void
log_close(struct session *s)
{
	uint64_t now = uv_now(&s->w->loop);
	struct sess_summary sum;
	struct ev e;

	session_summary(s, now, &sum);
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "session.close");
	summary_ev(&sum, &e);
	ev_u64(&e, "bytes_in", s->remote.bytes_in);
	ev_u64(&e, "bytes_out", s->remote.bytes_out);
	ev_u64(&e, "duration_ms", now - s->t_start);
	ev_str(&e, "reason", s->reason[0] != '\0' ? s->reason : "closed");
	ev_end(&e);
}

void
session_leg_closed(struct session *s)
{
	if (s->torn_down || !leg_done(&s->remote) || !leg_done(&s->legacy))
		return;
	s->torn_down = 1;
	s->closing = 1;
	log_close(s);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

void
session_handle_closed(struct session *s)
{
	if (--s->open_handles == 0 && s->refs == 0)
		session_free(s);
}

void
session_ref(struct session *s)
{
	s->refs++;
}

void
session_unref(struct session *s)
{
	if (--s->refs == 0 && s->open_handles == 0)
		session_free(s);
}

static void
session_free(struct session *s)
{
	outbound_free(s);
	inbound_free(s);
	dialback_free(s);
	leg_free(&s->remote);
	leg_free(&s->legacy);
	worker_remove_session(s->w, s);
	metrics_session_closed(s->dir);
	free(s->cert);
	conf_unref(s->conf);
	free(s);
}

static void
on_timer(uv_timer_t *t)
{
	struct session *s = t->data;
	const struct pol_timeouts *to = &s->conf->pol->timeouts;
	uint64_t now = uv_now(&s->w->loop);

	if (s->closing) {
		if (s->t_close != 0 && now >= s->t_close)
			session_abort(s, "close-timeout");
		else
			session_timer_update(s);
		return;
	}
	if (s->dir == POL_S2S_OUT && s->phase != PH_RELAY) {
		/* Outbound negotiation: its own deadlines (outbound.c). */
		if (outbound_timer(s, now))
			return;
	}
	if (s->legacy.state == LEG_CONNECTING &&
	    now >= s->t_connect + (uint64_t)to->backend_connect * 1000) {
		struct ev e;

		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "backend.unreachable");
		ev_str(&e, "domain", s->domain != NULL ? s->domain->name :
		    "none");
		ev_str(&e, "error", "timeout");
		ev_end(&e);
		leg_close_handle(&s->legacy);
		session_stream_error(s, "internal-server-error",
		    "the service is unavailable", "backend-timeout");
	} else if (s->dir != POL_S2S_OUT && s->phase < PH_TLS_HEADER &&
	    now >= s->t_start + (uint64_t)to->handshake * 1000) {
		session_stream_error(s, "connection-timeout", NULL,
		    "tls-timeout");
	} else if (!s->authenticated &&
	    now >= s->t_start + (uint64_t)to->preauth * 1000) {
		session_stream_error(s, "connection-timeout", NULL,
		    "pre-auth-timeout");
	} else if (now >= s->t_last + (uint64_t)to->idle * 1000) {
		session_stream_error(s, "connection-timeout", NULL,
		    "idle-timeout");
	} else {
		session_timer_update(s);
		return;
	}
	session_flush(s);
}

static void
nearest(uint64_t *best, uint64_t t)
{
	if (*best == 0 || t < *best)
		*best = t;
}

void
session_timer_update(struct session *s)
{
	const struct pol_timeouts *to = &s->conf->pol->timeouts;
	uint64_t now = uv_now(&s->w->loop), when = 0;

	if (s->torn_down)
		return;
	if (s->closing) {
		nearest(&when, s->t_close);
	} else {
		if (s->legacy.state == LEG_CONNECTING ||
		    s->remote.state == LEG_CONNECTING)
			nearest(&when, s->t_connect +
			    (uint64_t)to->backend_connect * 1000);
		if (s->phase < PH_TLS_HEADER && s->dir != POL_S2S_OUT)
			nearest(&when, s->t_start +
			    (uint64_t)to->handshake * 1000);
		if (!s->authenticated)
			nearest(&when, s->t_start +
			    (uint64_t)to->preauth * 1000);
		nearest(&when, s->t_last + (uint64_t)to->idle * 1000);
	}
	uv_timer_start(&s->timer, on_timer, when > now ? when - now : 0, 0);
}
