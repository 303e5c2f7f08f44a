/*
 * peer.c: authenticating remote servers by policy, and their history.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "certinfo.h"
#include "conf.h"
#include "peer.h"
#include "secevent.h"
#include "worker.h"

const char *
peer_method_name(enum peer_method m)
{
	switch (m) {
	case PEER_NONE:		return "none";
	case PEER_PKIX:		return "pkix";
	case PEER_PIN:		return "pin";
	case PEER_DANE:		return "dane";
	case PEER_DIALBACK:	return "dialback";
	}
	return "?";
}

void
peer_verify(struct session *s, struct leg *l, const char *ref,
    struct peer_check *pc)
{
	const gnutls_datum_t *chain;
	unsigned n = 0;
	int rc;

	memset(pc, 0, sizeof(*pc));
	pc->rule = pol_rule(s->conf->pol, s->dir, ref);
	snprintf(pc->ref, sizeof(pc->ref), "%s", ref != NULL ? ref : "");
	chain = gnutls_certificate_get_peers(l->tls, &n);
	pc->cert = chain != NULL && n > 0;
	if (!pc->cert)
		snprintf(pc->reason, sizeof(pc->reason), "no certificate");
	else if (ref == NULL)
		snprintf(pc->reason, sizeof(pc->reason),
		    "no reference domain (the stream has no from)");
	else {
		rc = cs_verify_peer(s->conf->cs, chain, n, ref, CS_XMPP_SERVER,
		    time(NULL), &pc->r);
		if (rc == 0) {
			pc->verified = 1;
			if (!pc->r.pkix)
				snprintf(pc->reason, sizeof(pc->reason), "%s",
				    pc->r.reason);
			else if (pc->r.id == CS_ID_NONE)
				snprintf(pc->reason, sizeof(pc->reason),
				    "certificate does not name %s", ref);
		} else
			snprintf(pc->reason, sizeof(pc->reason), "%s",
			    cs_strerror(rc));
		if (pc->rule->npins > 0 && cs_pin_match(chain, n,
		    pc->rule->pins, pc->rule->npins) >= 0)
			pc->pinned = 1;
	}
	/* The first method of the rule that holds wins. */
	for (size_t i = 0; i < pc->rule->nauth; i++) {
		switch (pc->rule->auth[i]) {
		case POL_AUTH_PKIX:
			if (pc->verified && pc->r.pkix &&
			    pc->r.id != CS_ID_NONE) {
				pc->method = PEER_PKIX;
				return;
			}
			break;
		case POL_AUTH_PIN:
			/* A pin is prior configuration for this domain. */
			if (pc->pinned) {
				pc->method = PEER_PIN;
				return;
			}
			break;
		case POL_AUTH_DANE:
			/* Decided by the DNS code, which sees the TLSA. */
			break;
		case POL_AUTH_POSH:
			/* Needs a document fetched: not here yet. */
			break;
		case POL_AUTH_DIALBACK:
			pc->method = PEER_DIALBACK;
			return;
		case POL_NAUTH:
			break;
		}
	}
}

void
peer_record(struct session *s, const struct leg *l,
    const struct peer_check *pc)
{
	switch (pc->method) {
	case PEER_PKIX:
		s->verify = VERIFY_PKIX;
		break;
	case PEER_PIN:
		s->verify = VERIFY_PIN;
		break;
	case PEER_DANE:
		s->verify = VERIFY_DANE_EE;
		break;
	case PEER_NONE:
	case PEER_DIALBACK:
		s->verify = VERIFY_NONE;
		break;
	}
	s->peer_pkix = pc->verified && pc->r.pkix;
	if (pc->method == PEER_NONE) {
		snprintf(s->auth, sizeof(s->auth), "none");
		s->auth_state = AUTH_FAILED;
	} else if (pc->method == PEER_DIALBACK) {
		/* Dialback proves the domain later, if at all (S2S-10). */
		snprintf(s->auth, sizeof(s->auth), "dialback");
		s->auth_state = AUTH_PENDING;
	} else {
		snprintf(s->auth, sizeof(s->auth), "%s",
		    peer_method_name(pc->method));
		s->auth_state = AUTH_OK;
	}
	if (pc->cert && s->cert == NULL &&
	    (s->cert = calloc(1, sizeof(*s->cert))) != NULL &&
	    certinfo_from_session(l->tls, s->cert) != 0) {
		free(s->cert);
		s->cert = NULL;
	}
}

int
peer_allowed(struct session *s, const struct peer_check *pc)
{
	const struct pol_rule *r = pc->rule;
	const char *action = r->action == POL_REPORT ? "reported" :
	    "refused";
	const char *domain = pc->ref[0] != '\0' ? pc->ref : "none";
	struct ev e;

	if (pc->method != PEER_NONE)
		return 1;
	/* A chain fine but for the name: the catalogue event for that. */
	if (pc->verified && pc->r.pkix && pc->r.id == CS_ID_NONE) {
		sev_identity_mismatch(s, domain, s->cert, action);
	} else {
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "s2s.unauthenticated");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "domain", domain);
		ev_str(&e, "reason", pc->reason);
		ev_str(&e, "rule", r->name);
		ev_u64(&e, "line", (uint64_t)r->line);
		ev_str(&e, "action", action);
		ev_end(&e);
	}
	if (r->action == POL_REPORT) {
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "policy.would_have_rejected");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "domain", domain);
		ev_str(&e, "rule", r->name);
		ev_u64(&e, "line", (uint64_t)r->line);
		ev_str(&e, "reason", pc->reason);
		ev_end(&e);
		return 1;
	}
	return 0;
}

int
peer_covers(const struct leg *l, const char *domain)
{
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	int rc;

	if (l->tls == NULL ||
	    (chain = gnutls_certificate_get_peers(l->tls, &n)) == NULL ||
	    n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return 0;
	rc = gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) >= 0 &&
	    cs_match_identity(crt, domain, CS_XMPP_SERVER, 0) > 0;
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* One history update, done off the loop: it reads and writes a file. */
struct hist_req {
	uv_work_t		 work;
	struct session		 who;		/* id, role, peer: for records */
	char			 dir[512];
	char			 domain[256];
	char			 role[16];
	unsigned char		 spki[32];
	int			 have_spki;
	int			 version, starttls;
	char			 issuer[256];
	time_t			 not_before, not_after;
	/* Results. */
	unsigned		 changed;
	struct cs_history	 h;
	time_t			 last_tls;	/* STARTTLS last seen */
	char			 error[600];
};

static void
hist_work(uv_work_t *w)
{
	struct hist_req *q = container_of(w, struct hist_req, work);
	struct cs_diag d;
	int rc;

	rc = cs_history_load(q->dir, q->domain, &q->h, &d);
	if (rc != 0 && rc != CS_E_NOTFOUND) {
		snprintf(q->error, sizeof(q->error), "%s: %s", d.file, d.msg);
		return;
	}
	q->last_tls = q->h.starttls == 1 ? q->h.last_seen : 0;
	q->changed = cs_history_observe(&q->h, q->have_spki ? q->spki : NULL,
	    q->version, q->starttls, time(NULL));
	if (q->have_spki)
		cs_history_set_cert(&q->h, q->issuer, q->not_before,
		    q->not_after);
	if (cs_history_save(q->dir, &q->h, &d) != 0)
		snprintf(q->error, sizeof(q->error), "%s: %s", d.file, d.msg);
}

static void
iso(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "unknown");
}

static void
cert_of(struct peer_cert *c, const unsigned char spki[32],
    const char *issuer, time_t nb, time_t na)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 32; i++)
		snprintf(c->spki + 2 * i, 3, "%02x", spki[i]);
	snprintf(c->issuer, sizeof(c->issuer), "%s",
	    issuer[0] != '\0' ? issuer : "unknown");
	iso(nb, c->not_before, sizeof(c->not_before));
	iso(na, c->not_after, sizeof(c->not_after));
}

static void
hist_done(uv_work_t *w, int status)
{
	struct hist_req *q = container_of(w, struct hist_req, work);
	struct session *s = &q->who;
	struct peer_cert was, now;
	char when[24];
	struct ev e;

	if (status != 0) {
		free(q);
		return;
	}
	if (q->error[0] != '\0') {
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "peer.history_error");
		ev_str(&e, "domain", q->domain);
		ev_str(&e, "error", q->error);
		ev_end(&e);
	}
	if (q->changed & CS_HIST_SPKI_CHANGED) {
		/* The manifesto's warning on any change of certificate. */
		cert_of(&was, q->h.prev_spki, q->h.prev_issuer,
		    q->h.prev_not_before, q->h.prev_not_after);
		cert_of(&now, q->h.spki, q->h.issuer, q->h.not_before,
		    q->h.not_after);
		sev_cert_changed(s, q->domain, &was, &now, "none", "allowed");
	}
	if (q->changed & CS_HIST_VERSION_LOWER) {
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "tls.version_lowered");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "domain", q->domain);
		ev_str(&e, "version", gnutls_protocol_get_name(q->version));
		ev_end(&e);
	}
	if (q->changed & CS_HIST_STARTTLS_LOST) {
		iso(q->last_tls, when, sizeof(when));
		sev_starttls_stripping(s, q->domain, when, "allowed");
	}
	free(q);
}

void
peer_history(struct session *s, const struct leg *l,
    const struct peer_check *pc, int starttls)
{
	const char *dir = s->conf->pol->state_dir;
	struct hist_req *q;

	if (dir == NULL || pc->ref[0] == '\0')
		return;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return;
	/* The records need the session's id, role and peer, not the rest. */
	q->who.id = s->id;
	snprintf(q->role, sizeof(q->role), "%s", s->role);
	q->who.role = q->role;
	snprintf(q->who.peer, sizeof(q->who.peer), "%s", s->peer);
	snprintf(q->dir, sizeof(q->dir), "%s", dir);
	snprintf(q->domain, sizeof(q->domain), "%s", pc->ref);
	if (pc->verified) {
		memcpy(q->spki, pc->r.spki, sizeof(q->spki));
		q->have_spki = 1;
		snprintf(q->issuer, sizeof(q->issuer), "%s", pc->r.issuer);
		q->not_before = pc->r.not_before;
		q->not_after = pc->r.not_after;
	}
	q->version = (int)gnutls_protocol_get_version(l->tls);
	q->starttls = starttls;
	if (uv_queue_work(&s->w->loop, &q->work, hist_work, hist_done) != 0)
		free(q);
}
