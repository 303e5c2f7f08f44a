/*
 * relay.c: the relay between an authenticated-by-TLS peer and the
 * backend, and the one edit made on the way: the features rewrite.
 *
 * Every span xmlstream accepts is forwarded exactly as received, in
 * order, once the whole element is in.  Spans are batched: an event only
 * extends fwd_end, and the bytes leave in one send after the parser
 * returns, so many stanzas in one read become one TLS record.  On a TLS
 * leg that relays, the records of one read are a batch too (tls.c): they
 * leave in one send once the read has been handled.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dialback.h"
#include "leg.h"
#include "log.h"
#include "observe.h"
#include "relay.h"
#include "stream.h"

#define NS_COMPRESS_FEATURE	"http://jabber.org/features/compress"
#define NS_COMPRESS		"http://jabber.org/protocol/compress"
#define NS_SASL_CB		"urn:xmpp:sasl-cb:0"
#define NS_BIDI			"urn:xmpp:features:bidi"

static void resp_input(struct leg *l, const char *p, size_t n);

const struct leg_ops relay_resp_ops = {
	.input = resp_input
};

static int
peer_ready(const struct leg *p)
{
	return p->state == LEG_PLAIN || p->state == LEG_TLS;
}

void
relay_flush(struct leg *l)
{
	size_t n = (size_t)(l->fwd_end - l->in_off);

	if (n == 0 || !peer_ready(l->peer) || l->s->closing)
		return;
	assert(n <= buf_len(&l->in));
	if (leg_send(l->peer, buf_ptr(&l->in), n) != 0)
		return;
	buf_consume(&l->in, n);
	l->in_off += n;
}

void
relay_drop(struct leg *l, uint64_t end)
{
	/* In a batch, what was accepted before is still here: send it. */
	if (l->fwd_end != l->in_off)
		relay_flush(l);
	assert(l->fwd_end == l->in_off);
	assert(end >= l->in_off && end - l->in_off <= buf_len(&l->in));
	buf_consume(&l->in, (size_t)(end - l->in_off));
	l->in_off = l->fwd_end = end;
}

static void
relay_done_input(struct leg *l)
{
	buf_trim(&l->in);
}

void
relay_xml_error(struct leg *l, int err)
{
	struct session *s = l->s;
	int backend = l == s->resp;
	const char *limit = xs_limit_name(l->xs);
	struct ev e;

	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
	    err == XS_E_RESTRICTED ? "xml.restricted" :
	    err == XS_E_LIMIT ? "limits.exceeded" : "xml.error");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "source", backend ? "backend" : "peer");
	ev_str(&e, "error", xs_strerror(err));
	if (limit != NULL)
		ev_str(&e, "limit", limit);
	ev_str(&e, "detail", xs_detail(l->xs));
	ev_end(&e);
	if (backend) {
		/* The other side misbehaved: the initiator is not to blame. */
		session_stream_error(s, s->dir == POL_S2S_OUT ?
		    "remote-connection-failed" : "internal-server-error", NULL,
		    "responder-xml-error");
		return;
	}
	session_stream_error(s, xs_condition(err), NULL, xs_strerror(err));
}

void
relay_authenticated(struct session *s, const char *how)
{
	if (s->authenticated)
		return;
	s->authenticated = 1;
	if (log_enabled(LOG_LVL_DEBUG)) {
		struct ev e;

		ev_begin(&e, LOG_LVL_DEBUG, s->id, s->role,
		    "stream.authenticated");
		ev_str(&e, "auth", how);
		ev_end(&e);
	}
	/* Clients are watched by observe.c; servers are noted here. */
	if (s->dir != POL_C2S)
		observe_auth(s, how, 1);
	session_timer_update(s);
}

void
relay_init_event(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;

	observe_remote(l, ev);
	switch (ev->type) {
	case XS_EV_HEADER:
		/* A restart inside TLS follows a successful SASL exchange. */
		relay_authenticated(s, "sasl");
		stream_set_prefix(l->peer, xs_header(l->xs)->stream_prefix);
		l->peer->close_sent = 0;
		l->peer->hdr_sent = 1;
		break;
	case XS_EV_CLOSE:
		l->peer->close_sent = 1;
		break;
	case XS_EV_SPACE:
		break;
	case XS_EV_ELEMENT:
		if (s->dir != POL_C2S && dialback_element(l, ev) != 0)
			return;
		if (strcmp(ev->ns, XS_NS_TLS) == 0) {
			/* TLS is up: STARTTLS is not offered (STARTTLS-4). */
			relay_flush(l);
			xs_reset(l->xs);
			stream_send_tls_failure(l);
			session_close(s, "starttls-inside-tls");
			return;
		}
		if (strcmp(ev->ns, NS_COMPRESS) == 0 &&
		    strcmp(ev->name, "compress") == 0 &&
		    (relay_flush(l), l->fwd_end == l->in_off)) {
			/* Never offered, never forwarded (C2S-5). */
			leg_send_str(l, "<failure xmlns='"
			    NS_COMPRESS "'><setup-failed/></failure>");
			relay_drop(l, ev->end);
			return;
		}
		break;
	}
	l->fwd_end = ev->end;
}

/* Is this descendant of <stream:features/> one the client must not see? */
static int
strip_child(const struct xs_child *c)
{
	if (c->depth == 2) {
		if (strcmp(c->ns, XS_NS_TLS) == 0 &&
		    strcmp(c->name, "starttls") == 0)
			return 1;	/* TLS is done */
		if (strcmp(c->ns, NS_COMPRESS_FEATURE) == 0 &&
		    strcmp(c->name, "compression") == 0)
			return 1;	/* would blind the gateway (C2S-5) */
		if (strcmp(c->ns, NS_SASL_CB) == 0)
			return 1;	/* channel binding cannot cross us */
		if (strcmp(c->ns, NS_BIDI) == 0)
			return 1;	/* one stream per direction (S2S-9) */
		return 0;
	}
	if (c->depth == 3 && strcmp(c->ns, XS_NS_SASL) == 0 &&
	    strcmp(c->name, "mechanism") == 0) {
		size_t n = strlen(c->text);

		/* SCRAM-*-PLUS binds to our TLS, not the backend's (C2S-4). */
		return n >= 5 && strcmp(c->text + n - 5, "-PLUS") == 0;
	}
	return 0;
}

static int
by_start(const void *a, const void *b)
{
	const struct xs_child *x = *(const struct xs_child *const *)a;
	const struct xs_child *y = *(const struct xs_child *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Relay a backend's <stream:features/> with the offers that cannot cross
 * the gateway spliced out; every other byte passes unchanged.
 */
static void
features_rewrite(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	const struct xs_child *cut[128];
	unsigned ncut = 0;
	const char *base;
	char removed[256] = "";
	uint64_t at;
	struct ev e;

	relay_flush(l);
	for (unsigned i = 0; i < ev->nchildren && ncut < 128; i++) {
		const struct xs_child *c = &ev->children[i];
		int inside = 0;

		if (!strip_child(c))
			continue;
		/* A grandchild inside a removed child goes with it. */
		for (unsigned j = 0; j < ev->nchildren; j++) {
			const struct xs_child *p = &ev->children[j];

			if (p->depth == 2 && c->depth == 3 &&
			    p->start <= c->start && c->end <= p->end &&
			    strip_child(p))
				inside = 1;
		}
		if (!inside)
			cut[ncut++] = c;
	}
	if (ncut == 0) {
		l->fwd_end = ev->end;
		return;
	}
	qsort(cut, ncut, sizeof(cut[0]), by_start);
	base = buf_ptr(&l->in);
	at = ev->start;
	for (unsigned i = 0; i < ncut; i++) {
		size_t n = strlen(removed);

		leg_send(l->peer, base + (at - l->in_off),
		    (size_t)(cut[i]->start - at));
		at = cut[i]->end;
		snprintf(removed + n, sizeof(removed) - n, "%s%s",
		    n > 0 ? "," : "", cut[i]->depth == 3 ? cut[i]->text :
		    cut[i]->name);
	}
	leg_send(l->peer, base + (at - l->in_off), (size_t)(ev->end - at));
	ev_begin(&e, LOG_LVL_DEBUG, s->id, s->role, "features.rewrite");
	ev_str(&e, "removed", removed);
	ev_end(&e);
	relay_drop(l, ev->end);
}

void
relay_resp_event(void *arg, const struct xs_event *ev)
{
	struct leg *l = arg;
	struct session *s = l->s;
	const struct xs_header *h;
	const char *want;

	if (s->closing) {
		xs_reset(l->xs);
		return;
	}
	switch (ev->type) {
	case XS_EV_HEADER:
		h = xs_header(l->xs);
		/* The responder speaks for the domain asked for (BACK-3). */
		want = s->dir == POL_S2S_OUT ? s->peer_domain :
		    s->domain != NULL ? s->domain->name : NULL;
		if (h->from != NULL && want != NULL) {
			char norm[256];

			if (pol_domain_normalise(h->from, norm,
			    sizeof(norm)) != 0 || strcmp(norm, want) != 0) {
				struct ev e;

				if (s->dir == POL_S2S_OUT)
					ev_begin(&e, LOG_LVL_WARNING, s->id,
					    s->role, "remote.from_mismatch");
				else
					ev_begin(&e, LOG_LVL_WARNING, s->id,
					    s->role, "backend.from_mismatch");
				ev_str(&e, "domain", want);
				ev_str(&e, "from", h->from);
				ev_end(&e);
				xs_reset(l->xs);
				session_stream_error(s, s->dir == POL_S2S_OUT ?
				    "remote-connection-failed" :
				    "internal-server-error", NULL,
				    "responder-from-mismatch");
				return;
			}
		}
		stream_set_prefix(l->peer, h->stream_prefix);
		l->peer->hdr_sent = 1;
		l->peer->close_sent = 0;
		break;
	case XS_EV_CLOSE:
		l->peer->close_sent = 1;
		break;
	case XS_EV_SPACE:
		break;
	case XS_EV_ELEMENT:
		observe_backend(l, ev);
		if (s->dir != POL_C2S && dialback_element(l, ev) != 0)
			return;
		if (strcmp(ev->ns, XS_NS_STREAMS) == 0 &&
		    strcmp(ev->name, "features") == 0) {
			features_rewrite(l, ev);
			return;
		}
		if (strcmp(ev->ns, XS_NS_STREAMS) == 0 &&
		    strcmp(ev->name, "error") == 0) {
			struct ev e;

			/* Relayed unchanged, then both legs close (ERR-4). */
			ev_begin(&e, LOG_LVL_INFO, s->id, s->role,
			    "stream.error.received");
			ev_str(&e, "source", s->dir == POL_S2S_OUT ? "remote" :
			    "backend");
			ev_end(&e);
		}
		/* Dialback verified: <db:result type='valid'/> (XEP-0220). */
		if (strcmp(ev->ns, XS_NS_DIALBACK) == 0 &&
		    strcmp(ev->name, "result") == 0 &&
		    xs_attr(l->xs, "type") != NULL &&
		    strcmp(xs_attr(l->xs, "type"), "valid") == 0)
			relay_authenticated(s, "dialback");
		break;
	}
	l->fwd_end = ev->end;
	if (s->closing)
		xs_reset(l->xs);
}

void
relay_fed(struct leg *l, int rc)
{
	if (l->s->closing)
		return;
	if (rc < 0) {
		/* What earlier records of a batch had relayed goes out. */
		if (l->batch) {
			l->fwd_end = l->flush_to;
			relay_flush(l);
		}
		relay_xml_error(l, rc);
		return;
	}
	if (l->batch) {
		l->flush_to = l->fwd_end;
		return;
	}
	relay_flush(l);
	relay_done_input(l);
}

void
relay_batch_begin(struct leg *l)
{
	l->batch = 1;
	l->flush_to = l->fwd_end;
}

void
relay_batch_end(struct leg *l)
{
	l->batch = 0;
	if (l->s->closing)
		return;
	relay_flush(l);
	relay_done_input(l);
}

static void
resp_input(struct leg *l, const char *p, size_t n)
{
	relay_fed(l, xs_feed(l->xs, p, n));
}
