/*
 * dialback.c: watching Server Dialback (XEP-0220) on relayed s2s streams.
 *
 * The relay passes dialback unchanged, but it keeps per stream the
 * requests the initiating server made (db:result and db:verify without a
 * type) and refuses any answer that matches none of them: the unsolicited
 * "valid" that fooled jabberd2 (CVE-2012-3525, XSF notice 2012-08-21;
 * STANDARDS.md S2S-4).  An answer from the initiating side is always
 * unsolicited.  Inbound, a db:result for another domain than the stream's
 * own needs its own authentication (ID-10, DNS-8): the rule for that
 * domain must allow dialback, or the certificate must cover it.
 *
 * A db:verify for a key the backend computed on an id portcullis gave it
 * (dbmap.h) is passed on with that id, and the answer with the remote's
 * id again: the only dialback bytes ever changed, and logged.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dbmap.h"
#include "leg.h"
#include "relay.h"
#include "secevent.h"
#include "dialback.h"
#include "log.h"
#include "peer.h"
#include "stream.h"

#define DB_MAX_PENDING	32

struct db_req {
	char		 kind;		/* 'r' result, 'v' verify */
	char		 from[256], to[256];
	char		 id[128];	/* db:verify only */
	char		 mapped[64];	/* the id the backend was shown */
};

struct dialback {
	struct db_req	 req[DB_MAX_PENDING];
	unsigned	 n;
};

void
dialback_free(struct session *s)
{
	free(s->db);
	s->db = NULL;
}

static const char *
attr(const struct leg *l, const char *name)
{
	const char *v = xs_attr(l->xs, name);

	return v != NULL ? v : "";
}

static void
unsolicited(struct leg *l, const struct xs_event *ev, const char *why)
{
	struct session *s = l->s;

	(void)why;
	/* domain: who the answer claims to be from; to: for whom. */
	sev_dialback_unsolicited(s, attr(l, "from"), attr(l, "to"),
	    ev->name);
	xs_reset(l->xs);
	session_stream_error(s, "policy-violation", "unsolicited dialback"
	    " response", "dialback-unsolicited");
}

/*
 * Relay element ev of l with its id attribute's value replaced by id:
 * splice the value out of the start tag, nothing else changes.  Returns
 * 1 (relayed), or 0 when the element has no id to replace.
 */
static int
relay_with_id(struct leg *l, const struct xs_event *ev, const char *id)
{
	const char *p = buf_ptr(&l->in) + (ev->start - l->in_off);
	size_t len = (size_t)(ev->end - ev->start), i = 0, vs = 0, ve = 0;
	char esc[256];
	size_t n = 0;

	while (i < len && p[i] != '<')
		i++;
	while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
	    p[i] != '\r' && p[i] != '>' && p[i] != '/')
		i++;
	/* The document parsed: every attribute is name = 'value'. */
	while (i < len && ve == 0) {
		size_t ns, ne;
		char q;

		while (i < len && (p[i] == ' ' || p[i] == '\t' ||
		    p[i] == '\n' || p[i] == '\r'))
			i++;
		if (i >= len || p[i] == '>' || p[i] == '/')
			return 0;
		ns = i;
		while (i < len && p[i] != '=' && p[i] != ' ' && p[i] != '\t' &&
		    p[i] != '\n' && p[i] != '\r')
			i++;
		ne = i;
		while (i < len && p[i] != '\'' && p[i] != '"')
			i++;
		if (i >= len)
			return 0;
		q = p[i++];
		vs = i;
		while (i < len && p[i] != q)
			i++;
		if (ne - ns == 2 && p[ns] == 'i' && p[ns + 1] == 'd')
			ve = i;
		i++;
	}
	if (ve == 0)
		return 0;
	for (const char *c = id; *c != '\0' && n < sizeof(esc) - 7; c++) {
		const char *r = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" :
		    *c == '\'' ? "&apos;" : *c == '"' ? "&quot;" : NULL;

		if (r != NULL) {
			memcpy(esc + n, r, strlen(r));
			n += strlen(r);
		} else
			esc[n++] = *c;
	}
	relay_flush(l);
	leg_send(l->peer, p, vs);
	leg_send(l->peer, esc, n);
	leg_send(l->peer, p + ve, len - ve);
	relay_drop(l, ev->end);
	return 1;
}

static void
log_mapped(struct leg *l, const char *from_id, const char *to_id)
{
	struct session *s = l->s;
	struct ev e;

	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "dialback.id_mapped");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "source", l == s->init ? "peer" : "backend");
	ev_str(&e, "domain", attr(l, "from"));
	ev_str(&e, "to", attr(l, "to"));
	ev_str(&e, "stream_id", from_id);
	ev_str(&e, "mapped_id", to_id);
	ev_end(&e);
}

/* Inbound: may this stream carry a dialback request for from? */
static int
request_allowed(struct leg *l, const char *from)
{
	struct session *s = l->s;
	const struct pol_rule *r;
	char norm[256];
	struct ev e;

	if (s->dir != POL_S2S_IN || pol_domain_normalise(from, norm,
	    sizeof(norm)) != 0)
		return 1;
	r = pol_rule(s->conf->pol, POL_S2S_IN, norm);
	for (size_t i = 0; i < r->nauth; i++)
		if (r->auth[i] == POL_AUTH_DIALBACK)
			return 1;
	/* Checked now, when the request arrives (ID-10). */
	if (s->peer_pkix && peer_covers(l, norm))
		return 1;
	/*
	 * The certificate check of this stream (PKIX with a secure SRV
	 * target as a name, DANE, POSH, a pin) authenticated the domain of
	 * its header, and that domain only (RFC 7712 section 4.4).
	 */
	if (strcmp(norm, s->peer_domain) == 0 && s->verify != VERIFY_NONE)
		return 1;
	/* A dialback for a domain the certificate does not cover. */
	sev_identity_mismatch(s, norm, s->cert, r->action == POL_REPORT ?
	    "reported" : "refused");
	if (r->action == POL_REPORT) {
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "policy.would_have_rejected");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "domain", norm);
		ev_str(&e, "rule", r->name);
		ev_u64(&e, "line", (uint64_t)r->line);
		ev_str(&e, "reason", "dialback not allowed");
		ev_str(&e, "enforce_event", "cert.identity_mismatch");
		ev_end(&e);
		return 1;
	}
	xs_reset(l->xs);
	session_stream_error(s, "policy-violation", "authentication is"
	    " required", "dialback-not-allowed");
	return 0;
}

/* One more request to match answers with; NULL after closing. */
static struct db_req *
new_request(struct session *s, struct leg *l)
{
	if (s->db == NULL && (s->db = calloc(1, sizeof(*s->db))) == NULL) {
		session_abort(s, "enomem");
		return NULL;
	}
	if (s->db->n == DB_MAX_PENDING) {
		if (l != NULL)
			xs_reset(l->xs);
		session_stream_error(s, "policy-violation", "too many"
		    " dialback requests", "dialback-flood");
		return NULL;
	}
	return memset(&s->db->req[s->db->n++], 0, sizeof(struct db_req));
}

int
dialback_expect(struct session *s, char kind, const char *from,
    const char *to, const char *id)
{
	struct db_req *q = new_request(s, NULL);

	if (q == NULL)
		return -1;
	q->kind = kind;
	snprintf(q->from, sizeof(q->from), "%s", from);
	snprintf(q->to, sizeof(q->to), "%s", to);
	snprintf(q->id, sizeof(q->id), "%s", id != NULL ? id : "");
	return 0;
}

int
dialback_element(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	int verify, answer;
	struct db_req *q;

	if (ev->type != XS_EV_ELEMENT || strcmp(ev->ns, XS_NS_DIALBACK) != 0)
		return 0;
	verify = strcmp(ev->name, "verify") == 0;
	if (!verify && strcmp(ev->name, "result") != 0)
		return 0;
	answer = xs_attr(l->xs, "type") != NULL;
	if (l == s->init) {
		if (answer) {
			unsolicited(l, ev, "an answer from the initiating"
			    " server");
			return -1;
		}
		if (!verify && !request_allowed(l, attr(l, "from")))
			return -1;
		if ((q = new_request(s, l)) == NULL)
			return -1;
		q->kind = verify ? 'v' : 'r';
		snprintf(q->from, sizeof(q->from), "%s", attr(l, "from"));
		snprintf(q->to, sizeof(q->to), "%s", attr(l, "to"));
		snprintf(q->id, sizeof(q->id), "%s", attr(l, "id"));
		q->mapped[0] = '\0';
		if (verify && s->dir == POL_S2S_IN && dbmap_lookup(q->to,
		    q->from, q->id, q->mapped, sizeof(q->mapped)) == 0 &&
		    relay_with_id(l, ev, q->mapped)) {
			log_mapped(l, q->id, q->mapped);
			return 1;
		}
		q->mapped[0] = '\0';
		return 0;
	}
	if (!answer)
		return 0;	/* a request from the responder: not ours */
	/* An answer swaps from and to: it comes from the receiver. */
	for (unsigned i = 0; s->db != NULL && i < s->db->n; i++) {
		q = &s->db->req[i];
		const char *shown = q->mapped[0] != '\0' ? q->mapped : q->id;

		if (q->kind == (verify ? 'v' : 'r') &&
		    strcmp(q->from, attr(l, "to")) == 0 &&
		    strcmp(q->to, attr(l, "from")) == 0 &&
		    (!verify || strcmp(shown, attr(l, "id")) == 0)) {
			struct db_req done = *q;

			s->db->req[i] = s->db->req[--s->db->n];
			if (done.mapped[0] != '\0' &&
			    relay_with_id(l, ev, done.id)) {
				log_mapped(l, done.mapped, done.id);
				return 1;
			}
			return 0;
		}
	}
	unsolicited(l, ev, "no matching request on this stream");
	return -1;
}
