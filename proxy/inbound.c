/*
 * inbound.c: STARTTLS required, before a single byte reaches the backend.
 *
 * Before TLS the peer gets our own header and features offering only
 * <starttls><required/></starttls>; the only element accepted is
 * <starttls/>.  Anything else is a plaintext attempt: <not-authorized/>,
 * a log record, close (STANDARDS.md STARTTLS-10, ERR-3).  No backend
 * connection exists until the peer's post-TLS header names a served
 * domain (BACK-1).
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "conf.h"
#include "dns.h"
#include "inbound.h"
#include "leg.h"
#include "log.h"
#include "metrics.h"
#include "peer.h"
#include "posh.h"
#include "relay.h"
#include "secevent.h"
#include "stream.h"
#include "summary.h"
#include "tls.h"
#include "tlspolicy.h"
#include "worker.h"

static void remote_input(struct leg *l, const char *p, size_t n);
static void remote_tls_up(struct leg *l);
static void remote_drained(struct leg *l);
static void remote_event(void *arg, const struct xs_event *ev);

static const struct leg_ops remote_ops = {
	.input = remote_input,
	.tls_up = remote_tls_up,
	.drained = remote_drained
};

static const char *
content_ns(const struct session *s)
{
	return s->dir == POL_C2S ? XS_NS_CLIENT : XS_NS_SERVER;
}

static const char *
alpn_name(const struct session *s)
{
	return s->dir == POL_C2S ? "xmpp-client" : "xmpp-server";
}

void
inbound_start(struct session *s)
{
	struct leg *l = &s->remote;

	leg_set_ops(l, &remote_ops);
	l->xs = xs_new(&s->conf->xlim, content_ns(s), remote_event, l);
	if (l->xs == NULL) {
		session_abort(s, "enomem");
		return;
	}
	if (s->li->tls == POL_TLS_DIRECT) {
		s->direct_tls = 1;
		s->phase = PH_HANDSHAKE;
		if (tls_server_start(l, alpn_name(s)) != 0)
			return;
	} else {
		s->phase = PH_HEADER;
		l->state = LEG_PLAIN;
	}
	if (leg_read_start(l) != 0) {
		session_abort(s, "read-failed");
		return;
	}
	session_timer_update(s);
}

/*
 * The served domain a header's to names: NULL with *bad set when to is
 * not a valid domain or not served.  Without to, the listener's default
 * domain, or the only domain there is.
 */
static const struct pol_domain *
header_domain(struct session *s, const struct xs_header *h, int *bad)
{
	const struct pol *p = s->conf->pol;
	char norm[256];

	*bad = 0;
	if (h->to != NULL) {
		const struct pol_domain *d = NULL;

		if (pol_domain_normalise(h->to, norm, sizeof(norm)) == 0)
			d = pol_domain(p, norm);
		if (d == NULL)
			*bad = 1;
		return d;
	}
	if (s->domain != NULL)
		return s->domain;
	if (s->li->domain[0] != '\0')
		return pol_domain(p, s->li->domain);
	if (p->ndomains == 1)
		return &p->domains[0];
	*bad = 1;
	return NULL;
}

static void
log_host_unknown(struct session *s, const struct xs_header *h)
{
	struct ev e;

	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "stream.host_unknown");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "to", h->to != NULL ? h->to : "none");
	ev_end(&e);
}

/* The first header, in plaintext: answer with ours and STARTTLS. */
static void
pretls_header(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	const struct xs_header *h = xs_header(l->xs);
	const struct pol_domain *d;
	int bad;

	relay_drop(l, ev->end);
	if (ev->type != XS_EV_HEADER) {
		session_stream_error(s, "bad-format", NULL, "no-header");
		return;
	}
	d = header_domain(s, h, &bad);
	if (d == NULL) {
		log_host_unknown(s, h);
		session_stream_error(s, "host-unknown", NULL, "host-unknown");
		return;
	}
	s->domain = d;
	if (h->major < 1) {
		/* Pre-1.0 streams cannot do STARTTLS (STREAM-2). */
		stream_send_header(l, content_ns(s), d->name, 1, 0);
		session_stream_error(s, "unsupported-version", "TLS is"
		    " required: use XMPP 1.0 STARTTLS or the direct TLS port",
		    "pre-xmpp-1.0");
		return;
	}
	if (stream_send_header(l, content_ns(s), d->name, 0,
	    s->dir != POL_C2S && h->has_dialback) != 0 ||
	    stream_send_starttls_features(l) != 0)
		return;
	s->phase = PH_PRETLS;
}

/* After our features: <starttls/> or a refusal. */
static void
pretls_element(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	struct ev e;

	switch (ev->type) {
	case XS_EV_SPACE:
		relay_drop(l, ev->end);
		return;
	case XS_EV_CLOSE:
		relay_drop(l, ev->end);
		xs_reset(l->xs);
		session_close(s, "peer-closed-stream");
		return;
	case XS_EV_ELEMENT:
		if (strcmp(ev->ns, XS_NS_TLS) == 0 &&
		    strcmp(ev->name, "starttls") == 0) {
			/*
			 * Not one byte after the '>' of <starttls/> may
			 * reach a parser: stop this one here, and sort out
			 * the rest of the buffer once xs_feed returns.
			 */
			l->cut = ev->end;
			xs_reset(l->xs);
			l->state = LEG_STARTTLS;
			s->phase = PH_HANDSHAKE;
			stream_send_proceed(l);
			return;
		}
		break;
	case XS_EV_HEADER:
		break;
	}
	xs_reset(l->xs);
	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
	    "plaintext.before_tls");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "element", ev->type == XS_EV_HEADER ? "stream" : ev->name);
	ev_str(&e, "ns", ev->ns != NULL ? ev->ns : "");
	ev_end(&e);
	session_stream_error(s, "not-authorized", "STARTTLS is required",
	    "plaintext-before-tls");
}

/* What a remote server's stream waits for before its header goes on. */
struct s2s_in {
	uint64_t		 header_end;	/* the header, in l->in */
	int			 waiting;	/* DNS or POSH under way */
	struct dns_answer	*ans;		/* its domain's, or NULL */
	struct peer_check	*pc;		/* waiting for POSH */
	char			 from[256];	/* "" without a from */
};

/* The peer history's verdict on a held stream's key: go on or refuse. */
static void
history_verdict(struct session *s, int allowed, uint64_t tag)
{
	(void)tag;
	if (!allowed) {
		xs_reset(s->remote.xs);
		session_stream_error(s, "policy-violation", "the server's key"
		    " changed", "key-changed");
	} else
		backend_connect(s, &s->domain->s2s_backend);
	session_flush(s);
}

void
inbound_free(struct session *s)
{
	if (s->ib == NULL)
		return;
	free(s->ib->ans);
	free(s->ib->pc);
	free(s->ib);
	s->ib = NULL;
}

/*
 * The peer check is over: the header goes to the backend.  held: the
 * peer history still has to say whether the key may change; the
 * connection waits for history_verdict(), and what the remote sends
 * meanwhile waits in l->in, bounded by the pre-auth limits.
 */
static void
open_backend(struct session *s, struct leg *l, int held)
{
	const struct xs_header *h = xs_header(l->xs);
	const struct pol_domain *d = s->domain;
	const struct pol_addr *a = s->dir == POL_C2S ? &d->c2s_backend :
	    &d->s2s_backend;
	uint64_t end = s->ib != NULL ? s->ib->header_end : l->fwd_end;

	if (a->text == NULL) {
		log_host_unknown(s, h);
		xs_reset(l->xs);
		session_stream_error(s, "host-unknown", NULL, "no-backend");
		return;
	}
	/* The header goes to the backend verbatim, once it is connected. */
	l->fwd_end = end;
	stream_set_prefix(&s->legacy, h->stream_prefix);
	s->legacy.hdr_sent = 1;
	s->phase = PH_RELAY;
	if (!held)
		backend_connect(s, a);
}

/*
 * The check is decided: log the peer, remember it, and let the s2s-in
 * rule decide (STANDARDS.md S2S-11, S2S-13).
 */
static void
s2s_peer_finish(struct session *s, struct leg *l, struct peer_check *pc)
{
	struct s2s_in *ib = s->ib;
	struct sess_summary sum;
	struct ev e;
	int held;

	peer_record(s, l, pc);
	/* The summary again, now with the peer's identity (OBS-1). */
	session_summary(s, uv_now(&s->w->loop), &sum);
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "s2s.peer");
	summary_ev(&sum, &e);
	if (pc->method == PEER_NONE || pc->method == PEER_DIALBACK)
		ev_str(&e, "reason", pc->reason);
	ev_end(&e);
	held = ib->from[0] != '\0' && pc->cert && peer_history(s, l, pc,
	    s->direct_tls ? -1 : 1, NULL, -1, history_verdict, 0);
	if (!peer_allowed(s, pc)) {
		xs_reset(l->xs);
		session_stream_error(s, "policy-violation", "authentication is"
		    " required", "s2s-unauthenticated");
		return;
	}
	ib->waiting = 0;
	if (leg_read_start(l) != 0) {
		session_abort(s, "read-failed");
		return;
	}
	open_backend(s, l, held);
}

static void
posh_checked(struct session *s, uintptr_t tag, int result,
    const char *detail)
{
	struct s2s_in *ib = s->ib;
	struct peer_check *pc;

	if (ib == NULL || (pc = ib->pc) == NULL)
		return;
	ib->pc = NULL;
	pc->posh = result > 0;
	snprintf(pc->posh_detail, sizeof(pc->posh_detail), "%s", detail);
	peer_decide(pc);
	s2s_peer_finish(s, &s->remote, pc);
	free(pc);
	session_flush(s);
}

/* Check the certificate with what DNS said (ib->ans, maybe NULL). */
static void
s2s_peer_check(struct session *s, struct leg *l)
{
	struct s2s_in *ib = s->ib;
	struct peer_dns dns = { ib->ans, -1 };
	struct peer_check *pc;
	const gnutls_datum_t *chain;
	unsigned n = 0;

	if ((pc = malloc(sizeof(*pc))) == NULL) {
		session_abort(s, "enomem");
		return;
	}
	peer_verify(s, l, ib->from[0] != '\0' ? ib->from : NULL, &dns, pc);
	if (peer_wants_posh(pc) &&
	    (chain = gnutls_certificate_get_peers(l->tls, &n)) != NULL &&
	    n > 0) {
		ib->pc = pc;
		ib->waiting = 1;
		if (posh_check(s, ib->from, &chain[0], 0, posh_checked) == 0)
			return;
		ib->pc = NULL;
		pc->posh = 0;
		snprintf(pc->posh_detail, sizeof(pc->posh_detail),
		    "POSH: could not start the fetch");
		peer_decide(pc);
	}
	s2s_peer_finish(s, l, pc);
	free(pc);
}

/* The remote domain's SRV, addresses and TLSA are in. */
static void
peer_resolved(struct session *s, const struct dns_answer *a)
{
	struct s2s_in *ib = s->ib;
	const struct pol_rule *r = pol_rule(s->conf->pol, POL_S2S_IN,
	    ib->from);
	const char *action = r->action == POL_REPORT ? "reported" :
	    "refused";
	int secure = a->rc == DNS_OK && a->srv_sec == DNS_SEC_SECURE;
	struct ev e;

	if (a->rc == DNS_E_BOGUS)
		sev_dnssec_bogus(s, ib->from, a->bogus_name, a->bogus_type,
		    a->bogus_why, "dane-unusable");
	for (unsigned i = 0; a->rc == DNS_OK && i < a->ntargets; i++)
		if (a->targets[i].tlsa == DNS_TLSA_BOGUS) {
			char q[300];

			snprintf(q, sizeof(q), "_%u._tcp.%s",
			    a->targets[i].port, a->targets[i].host);
			sev_dane_bogus(s, ib->from, q, a->bogus_why,
			    "target-skipped");
		}
	if (r->dnssec == POL_DNSSEC_REQUIRE && !secure) {
		sev_dnssec_insecure(s, ib->from, "SRV", action);
		if (r->action != POL_REPORT) {
			xs_reset(s->remote.xs);
			session_stream_error(s, "policy-violation", "DNSSEC is"
			    " required for the sending domain",
			    "dnssec-insecure");
			session_flush(s);
			return;
		}
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "policy.would_have_rejected");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "domain", ib->from);
		ev_str(&e, "rule", r->name);
		ev_u64(&e, "line", (uint64_t)r->line);
		ev_str(&e, "reason", "DNSSEC required, answers insecure");
		ev_end(&e);
	}
	/* A failed lookup leaves DANE out; the other methods decide. */
	if (a->rc == DNS_OK && (ib->ans = malloc(sizeof(*ib->ans))) != NULL)
		*ib->ans = *a;
	s2s_peer_check(s, &s->remote);
	session_flush(s);
}

static int
lists(const struct pol_rule *r, enum pol_auth m)
{
	for (size_t i = 0; i < r->nauth; i++)
		if (r->auth[i] == m)
			return 1;
	return 0;
}

/*
 * A remote server's first header inside TLS: its certificate is checked
 * against its from, after looking up that domain's DNS when the s2s-in
 * rule wants DANE or DNSSEC.  Returns 1 to open the backend now, 0 if the
 * stream waits or was refused.
 */
static int
s2s_peer(struct leg *l, const struct xs_header *h, uint64_t header_end)
{
	struct session *s = l->s;
	const struct pol_rule *r;
	struct dns_conf dc;
	struct s2s_in *ib;
	char from[256];
	int have = h->from != NULL &&
	    pol_domain_normalise(h->from, from, sizeof(from)) == 0;

	if ((ib = s->ib = calloc(1, sizeof(*ib))) == NULL) {
		session_abort(s, "enomem");
		return 0;
	}
	ib->header_end = header_end;
	if (have) {
		snprintf(ib->from, sizeof(ib->from), "%s", from);
		snprintf(s->peer_domain, sizeof(s->peer_domain), "%s", from);
	}
	r = pol_rule(s->conf->pol, POL_S2S_IN, have ? from : NULL);
	if (have && (lists(r, POL_AUTH_DANE) ||
	    r->dnssec == POL_DNSSEC_REQUIRE)) {
		/*
		 * Its own SRV and TLSA records vouch for it (or not): the
		 * stream waits for them, reading stopped, within pre-auth.
		 */
		conf_dns(s->conf, lists(r, POL_AUTH_DANE), 0, &dc);
		leg_read_stop(l);
		ib->waiting = 1;
		if (dns_resolve_s2s(s, &dc, from, peer_resolved) == 0)
			return 0;
		ib->waiting = 0;
		if (leg_read_start(l) != 0) {
			session_abort(s, "read-failed");
			return 0;
		}
	}
	s2s_peer_check(s, l);
	return 0;
}

/* The first header inside TLS picks the domain and opens the backend. */
static void
tls_header(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	const struct xs_header *h = xs_header(l->xs);
	const struct pol_domain *d;
	int bad;

	if (ev->type != XS_EV_HEADER) {
		session_stream_error(s, "bad-format", NULL, "no-header");
		xs_reset(l->xs);
		return;
	}
	d = header_domain(s, h, &bad);
	if (d == NULL) {
		log_host_unknown(s, h);
		xs_reset(l->xs);
		session_stream_error(s, "host-unknown", NULL, "host-unknown");
		return;
	}
	if (s->domain != NULL && d != s->domain) {
		struct ev e;

		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "tls.sni_mismatch");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "tls_domain", s->domain->name);
		ev_str(&e, "to", d->name);
		ev_end(&e);
		/* The stream's domain may have a rule of its own. */
		s->domain = d;
		if (tlspolicy_check(l, tlspolicy_rule(s)) != 0)
			return;
	}
	s->domain = d;
	snprintf(s->to, sizeof(s->to), "%s", d->name);
	snprintf(s->from, sizeof(s->from), "%s", h->from != NULL ? h->from :
	    "");
	if (s->dir == POL_S2S_IN) {
		/* s2s_peer() opens the backend once the peer is checked. */
		(void)s2s_peer(l, h, ev->end);
		return;
	}
	l->fwd_end = ev->end;
	open_backend(s, l, 0);
}

/*
 * While the peer check waits, the remote has nothing to say: it waits
 * for our header and features.  Only white space is taken.
 */
static void
waiting_event(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;

	if (ev->type == XS_EV_SPACE) {
		relay_drop(l, ev->end);
		return;
	}
	xs_reset(l->xs);
	session_stream_error(s, "policy-violation", "wait for the stream"
	    " features", "early-element");
}

static void
remote_event(void *arg, const struct xs_event *ev)
{
	struct leg *l = arg;
	struct session *s = l->s;

	if (s->closing) {
		xs_reset(l->xs);
		return;
	}
	switch (s->phase) {
	case PH_HEADER:
		pretls_header(l, ev);
		break;
	case PH_PRETLS:
		pretls_element(l, ev);
		break;
	case PH_TLS_HEADER:
		if (s->ib != NULL && s->ib->waiting)
			waiting_event(l, ev);
		else
			tls_header(l, ev);
		break;
	case PH_RELAY:
		relay_init_event(l, ev);
		break;
	case PH_HANDSHAKE:
		/* The parser is reset before the handshake begins. */
		xs_reset(l->xs);
		break;
	}
	if (s->closing)
		xs_reset(l->xs);
}

static void
limit_exceeded(struct session *s, const char *limit, uint64_t value,
    uint64_t max)
{
	struct ev e;

	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "limits.exceeded");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "limit", limit);
	ev_u64(&e, "value", value);
	ev_u64(&e, "max", max);
	ev_end(&e);
	session_stream_error(s, "policy-violation", NULL, limit);
}

/* What followed <starttls/> in the same read. */
static void
starttls_cut(struct leg *l)
{
	size_t off = (size_t)(l->cut - l->in_off);
	size_t len = buf_len(&l->in);
	const char *p = buf_ptr(&l->in);

	buf_consume(&l->in, len);
	l->in_off = l->fwd_end = 0;
	if (off < len)
		leg_starttls_residual(l, p + off, len - off);
	buf_trim(&l->in);
}

static void
remote_input(struct leg *l, const char *p, size_t n)
{
	struct session *s = l->s;
	const struct pol_limits *lim = &s->conf->pol->limits;
	int rc;

	if (s->phase < PH_HANDSHAKE) {
		s->pretls_bytes += n;
		if (s->pretls_bytes > lim->pretls_bytes) {
			limit_exceeded(s, "pre-tls-bytes", s->pretls_bytes,
			    lim->pretls_bytes);
			return;
		}
	}
	if (!s->authenticated) {
		s->preauth_bytes += n;
		if (s->preauth_bytes > lim->preauth_bytes) {
			limit_exceeded(s, "pre-auth-bytes", s->preauth_bytes,
			    lim->preauth_bytes);
			return;
		}
	}
	rc = xs_feed(l->xs, p, n);
	if (l->state == LEG_STARTTLS && !s->closing)
		starttls_cut(l);
	else
		relay_fed(l, rc);
}

static void
remote_tls_up(struct leg *l)
{
	struct session *s = l->s;
	uint64_t now = uv_now(&s->w->loop);
	struct sess_summary sum;
	struct ev e;

	/* The per-connection summary, first part (OBS-1). */
	session_summary(s, now, &sum);
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "tls.established");
	ev_str(&e, "mode", s->direct_tls ? "direct" : "starttls");
	summary_ev(&sum, &e);
	ev_u64(&e, "handshake_ms", now - s->t_start);
	ev_end(&e);
	metrics_tls(s->dir, gnutls_protocol_get_version(l->tls),
	    gnutls_cipher_get(l->tls));
	/* A new stream starts inside TLS: forget the plaintext one. */
	xs_reset(l->xs);
	l->in_off = l->fwd_end = 0;
	l->hdr_sent = 0;
	l->close_sent = 0;
	s->phase = PH_TLS_HEADER;
	session_timer_update(s);
	tlspolicy_check(l, tlspolicy_rule(s));
}

/* <proceed/> is out: only now does the handshake start (STYLE.md 3). */
static void
remote_drained(struct leg *l)
{
	struct session *s = l->s;

	if (l->state != LEG_STARTTLS || s->closing)
		return;
	if (tls_server_start(l, NULL) != 0)
		return;
	if (buf_len(&l->cipher_in) > 0)
		tls_input(l);
}
