/*
 * peer.c: authenticating remote servers by policy, and their history.
 */
#include <pthread.h>
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
	case PEER_POSH:		return "posh";
	case PEER_DIALBACK:	return "dialback";
	}
	return "?";
}

static int
lists(const struct pol_rule *r, enum pol_auth m)
{
	for (size_t i = 0; i < r->nauth; i++)
		if (r->auth[i] == m)
			return 1;
	return 0;
}

static void
add_ref(struct peer_check *pc, const char *name)
{
	if (pc->nrefs == sizeof(pc->refs) / sizeof(pc->refs[0]) ||
	    name == NULL || name[0] == '\0')
		return;
	for (size_t i = 0; i < pc->nrefs; i++)
		if (strcmp(pc->refs[i], name) == 0)
			return;
	snprintf(pc->refs[pc->nrefs++], sizeof(pc->refs[0]), "%s", name);
}

/* "3 1 1 x2, 2 0 1": what a set holds, for the records. */
static void
describe(const struct cs_tlsa *t, size_t n, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char label[12];
		size_t same = 1;
		int dup = 0;

		for (size_t j = 0; j < i; j++)
			if (t[j].usage == t[i].usage &&
			    t[j].selector == t[i].selector &&
			    t[j].mtype == t[i].mtype)
				dup = 1;
		if (dup)
			continue;
		for (size_t j = i + 1; j < n; j++)
			if (t[j].usage == t[i].usage &&
			    t[j].selector == t[i].selector &&
			    t[j].mtype == t[i].mtype)
				same++;
		cs_tlsa_label(&t[i], label, sizeof(label));
		if (same > 1)
			len += (size_t)snprintf(out + len, outlen - len,
			    "%s%s x%zu", len > 0 ? ", " : "", label, same);
		else
			len += (size_t)snprintf(out + len, outlen - len,
			    "%s%s", len > 0 ? ", " : "", label);
		if (len >= outlen) {
			out[outlen - 1] = '\0';
			return;
		}
	}
}

/*
 * Match the chain against the TLSA set of target t of a, with the
 * domain and (its SRV answer being secure) the target as names.
 */
static void
dane_one(struct session *s, struct peer_check *pc,
    const gnutls_datum_t *chain, unsigned n, const struct dns_answer *a,
    int ti)
{
	const struct dns_target *t = &a->targets[ti];
	struct cs_tlsa recs[32];
	struct cs_dane_result r;
	const char *names[2];
	size_t k, nn = 0;

	if (t->tlsa != DNS_TLSA_SECURE)
		return;
	k = dns_tlsa_records(a, t, recs, sizeof(recs) / sizeof(recs[0]));
	names[nn++] = pc->ref;
	if (a->srv_sec == DNS_SEC_SECURE && t->from_srv &&
	    strcmp(t->host, pc->ref) != 0)
		names[nn++] = t->host;
	if (cs_dane_match(s->conf->cs, s->conf->dane, chain, n, recs, k,
	    names, nn, time(NULL), &r) != 0 || r.usable == 0)
		return;
	if (!pc->dane_applies || (r.matched >= 0 && !pc->dane_matched)) {
		/* The first set that applies, or the first that matches. */
		pc->dane = r;
		pc->dane_target = ti;
		describe(recs, k, pc->tlsa, sizeof(pc->tlsa));
	}
	pc->dane_applies = 1;
	if (r.matched >= 0)
		pc->dane_matched = 1;
}

void
peer_verify(struct session *s, struct leg *l, const char *ref,
    const struct peer_dns *dns, struct peer_check *pc)
{
	const struct dns_answer *a = dns != NULL ? dns->a : NULL;
	const gnutls_datum_t *chain;
	const char *refs[4];
	unsigned n = 0;
	int rc;

	memset(pc, 0, sizeof(*pc));
	pc->posh = -1;
	pc->dane_target = -1;
	pc->ref_which = -1;
	pc->outbound = s->dir == POL_S2S_OUT;
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
		/*
		 * The domain, and with a secure SRV answer the target
		 * (RFC 7673 section 4, STANDARDS.md ID-9): outbound the one
		 * connected to, inbound any.
		 */
		add_ref(pc, ref);
		if (a != NULL && a->srv_sec == DNS_SEC_SECURE && a->from_srv)
			for (unsigned i = 0; i < a->ntargets; i++)
				if (dns->ti < 0 || (unsigned)dns->ti == i)
					add_ref(pc, a->targets[i].host);
		for (size_t i = 0; i < pc->nrefs; i++)
			refs[i] = pc->refs[i];
		rc = cs_verify_peer_refs(s->conf->cs, chain, n, refs,
		    pc->nrefs, CS_XMPP_SERVER, time(NULL), &pc->r,
		    &pc->ref_which);
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
		if (a != NULL && lists(pc->rule, POL_AUTH_DANE))
			for (unsigned i = 0; i < a->ntargets; i++)
				if (dns->ti < 0 || (unsigned)dns->ti == i)
					dane_one(s, pc, chain, n, a, (int)i);
	}
	peer_decide(pc);
}

void
peer_decide(struct peer_check *pc)
{
	const struct pol_rule *r = pc->rule;

	pc->method = PEER_NONE;
	/*
	 * A secure, usable TLSA set for the server we reached makes its
	 * match mandatory (RFC 7673 section 3): nothing stands in.
	 */
	if (pc->outbound && pc->dane_applies && !pc->dane_matched) {
		snprintf(pc->reason, sizeof(pc->reason), "%s",
		    pc->dane.reason);
		return;
	}
	/* The first method of the rule that holds wins. */
	for (size_t i = 0; i < r->nauth; i++) {
		switch (r->auth[i]) {
		case POL_AUTH_DANE:
			if (pc->dane_matched) {
				pc->method = PEER_DANE;
				return;
			}
			break;
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
		case POL_AUTH_POSH:
			if (pc->posh == 1) {
				pc->method = PEER_POSH;
				return;
			}
			break;
		case POL_AUTH_DIALBACK:
			pc->method = PEER_DIALBACK;
			return;
		case POL_NAUTH:
			break;
		}
	}
	if (pc->posh == 0 && pc->posh_detail[0] != '\0' &&
	    !(pc->verified && pc->r.pkix && pc->r.id != CS_ID_NONE))
		snprintf(pc->reason, sizeof(pc->reason), "%s",
		    pc->posh_detail);
	else if (pc->dane_applies && !pc->dane_matched &&
	    strncmp(pc->reason, pc->dane.reason, strlen(pc->dane.reason))
	    != 0) {
		char was[sizeof(pc->reason)];

		/* Inbound, DANE did not hold and nothing else did either. */
		snprintf(was, sizeof(was), "%s", pc->reason);
		snprintf(pc->reason, sizeof(pc->reason), "%.100s%s%.80s",
		    pc->dane.reason, was[0] != '\0' ? "; " : "", was);
	}
}

int
peer_wants_posh(const struct peer_check *pc)
{
	/* Only when nothing else would let the peer in: it costs a fetch. */
	return pc->posh < 0 && pc->cert && pc->ref[0] != '\0' &&
	    lists(pc->rule, POL_AUTH_POSH) &&
	    (pc->method == PEER_NONE || pc->method == PEER_DIALBACK) &&
	    !(pc->outbound && pc->dane_applies && !pc->dane_matched);
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
		switch (pc->dane.usage) {
		case CS_TLSA_DANE_EE:
			s->verify = VERIFY_DANE_EE;
			break;
		case CS_TLSA_DANE_TA:
			s->verify = VERIFY_DANE_TA;
			break;
		case CS_TLSA_PKIX_EE:
			s->verify = VERIFY_DANE_PKIX_EE;
			break;
		default:
			s->verify = VERIFY_DANE_PKIX_TA;
			break;
		}
		break;
	case PEER_POSH:
		s->verify = VERIFY_POSH;
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

	/*
	 * TLSA records that the certificate does not match: a downgrade
	 * attempt, or a broken deployment; either way the operator hears.
	 */
	if (pc->dane_applies && !pc->dane_matched)
		sev_dane_mismatch(s, domain, pc->tlsa, s->cert,
		    pc->method != PEER_NONE ? "allowed" : action);
	if (pc->method != PEER_NONE)
		return 1;
	if (pc->dane_applies && !pc->dane_matched) {
		/* Logged above. */
	} else if (pc->verified && pc->r.pkix && pc->r.id == CS_ID_NONE &&
	    pc->posh != 0) {
		/* A chain fine but for the name: the catalogue event. */
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
		ev_str(&e, "enforce_event", pc->verified && pc->r.pkix &&
		    pc->r.id == CS_ID_NONE ? "cert.identity_mismatch" :
		    "s2s.unauthenticated");
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

/*
 * One history update, done off the loop: it reads and writes a file.
 * Updates run one at a time: an outbound and an inbound stream to the
 * same peer often start together, and both must not find the old key.
 */
static pthread_mutex_t hist_lock = PTHREAD_MUTEX_INITIALIZER;

struct hist_req {
	uv_work_t		 work;
	struct session		 who;		/* id, role, peer: for records */
	struct session		*held;		/* waiting for the verdict */
	peer_history_fn		*done;
	uint64_t		 tag;
	char			 dir[512];
	char			 domain[256];
	char			 role[16];
	unsigned char		 spki[32];
	int			 have_spki;
	int			 version, starttls;
	char			 srv[CS_HIST_SRV_MAX];	/* "" not outbound */
	int			 dnssec;
	char			 issuer[256];
	time_t			 not_before, not_after;
	enum pol_keychange	 key_change;
	int			 report;	/* the rule only reports */
	int			 dane;		/* DANE vouched for the key */
	const char		*tlsa;		/* for cert.changed */
	char			 rule[256];	/* its name, line: for records */
	int			 line;
	/* Results. */
	unsigned		 changed;
	int			 refused;	/* the new key is refused */
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

	pthread_mutex_lock(&hist_lock);
	rc = cs_history_load(q->dir, q->domain, &q->h, &d);
	if (rc != 0 && rc != CS_E_NOTFOUND) {
		snprintf(q->error, sizeof(q->error), "%s: %s", d.file, d.msg);
		pthread_mutex_unlock(&hist_lock);
		return;
	}
	q->last_tls = q->h.starttls == 1 ? q->h.last_seen : 0;
	q->changed = cs_history_observe(&q->h, q->have_spki ? q->spki : NULL,
	    q->version, q->starttls, time(NULL));
	if (q->have_spki)
		cs_history_set_cert(&q->h, q->issuer, q->not_before,
		    q->not_after);
	/* What DNS said was compared, and logged, when it was asked. */
	if (q->srv[0] != '\0')
		(void)cs_history_observe_dns(&q->h, q->srv, q->dnssec);
	/*
	 * A refused key is not learnt: the history keeps the old one, so
	 * that trying again is refused again.
	 */
	if ((q->changed & CS_HIST_SPKI_CHANGED) && !q->dane &&
	    q->key_change == POL_KEYCHANGE_REQUIRE_DANE && !q->report)
		q->refused = 1;
	else if (cs_history_save(q->dir, &q->h, &d) != 0)
		snprintf(q->error, sizeof(q->error), "%s: %s", d.file, d.msg);
	pthread_mutex_unlock(&hist_lock);
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
	struct session *s = &q->who, *held = q->held;
	struct peer_cert was, now;
	const char *action;
	char when[24];
	struct ev e;

	if (status != 0) {
		/* Never ran (the loop is stopping): no verdict, no stream. */
		q->refused = 1;
		goto out;
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
		action = q->refused ? "refused" : q->dane ||
		    q->key_change == POL_KEYCHANGE_ALLOW ? "allowed" :
		    "reported";
		sev_cert_changed(s, q->domain, &was, &now, q->tlsa, action);
		if (strcmp(action, "reported") == 0) {
			ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
			    "policy.would_have_rejected");
			ev_str(&e, "peer", s->peer);
			ev_str(&e, "domain", q->domain);
			ev_str(&e, "rule", q->rule);
			ev_u64(&e, "line", (uint64_t)q->line);
			ev_str(&e, "reason", "new key without DANE");
			ev_str(&e, "enforce_event", "cert.changed");
			ev_end(&e);
		}
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
out:
	if (held != NULL) {
		if (!held->closing)
			q->done(held, !q->refused, q->tag);
		session_unref(held);
	}
	free(q);
}

int
peer_history(struct session *s, const struct leg *l,
    const struct peer_check *pc, int starttls, const char *srv, int dnssec,
    peer_history_fn *done, uint64_t tag)
{
	const char *dir = s->conf->pol->state_dir;
	struct hist_req *q;

	if (dir == NULL || pc->ref[0] == '\0')
		return 0;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return 0;
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
	q->key_change = pc->rule->key_change;
	q->report = pc->rule->action == POL_REPORT;
	snprintf(q->rule, sizeof(q->rule), "%s", pc->rule->name);
	q->line = pc->rule->line;
	snprintf(q->srv, sizeof(q->srv), "%s", srv != NULL ? srv : "");
	q->dnssec = dnssec;
	/* Does a TLSA record vouch for the key that may be new? */
	q->dane = pc->dane_applies && pc->dane_matched;
	q->tlsa = !pc->dane_applies ? "none" : pc->dane_matched ? "match" :
	    "no-match";
	/* Only a key that may be refused makes the stream wait. */
	if (done != NULL && q->have_spki &&
	    q->key_change == POL_KEYCHANGE_REQUIRE_DANE && !q->report) {
		q->held = s;
		q->done = done;
		q->tag = tag;
		session_ref(s);
	}
	if (uv_queue_work(&s->w->loop, &q->work, hist_work, hist_done) != 0) {
		if (q->held != NULL)
			session_unref(s);
		free(q);
		return 0;
	}
	return q->held != NULL;
}
