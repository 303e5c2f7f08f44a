/*
 * tlspolicy.c: the negotiated TLS parameters against the rule's own
 * priority string, after the handshake.  GnuTLS's view of that string
 * (its protocol list, suites and groups) is the reference, so a verbatim
 * priority string is checked exactly like a computed one.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "conf.h"
#include "leg.h"
#include "log.h"
#include "tls.h"
#include "tlspolicy.h"

const struct pol_rule *
tlspolicy_rule_for(const struct session *s, const struct pol_domain *d)
{
	/*
	 * c2s rules follow the served domain.  Between servers they follow
	 * the remote one, which only the s2s code knows: until it says,
	 * the direction's rule applies.
	 */
	if (s->dir != POL_C2S || d == NULL)
		return pol_rule(s->conf->pol, s->dir, NULL);
	return pol_rule(s->conf->pol, s->dir, d->name);
}

const struct pol_rule *
tlspolicy_rule(const struct session *s)
{
	return tlspolicy_rule_for(s, s->domain);
}

static int
version_ok(gnutls_priority_t pc, gnutls_protocol_t v)
{
	const unsigned int *list;
	int n = gnutls_priority_protocol_list(pc, &list);

	for (int i = 0; i < n; i++)
		if (list[i] == (unsigned)v)
			return 1;
	return 0;
}

/*
 * TLS 1.3 suites are a cipher and a hash; before 1.3 the key exchange,
 * cipher and MAC must be one of the rule's suites.
 */
static int
suite_ok(gnutls_priority_t pc, gnutls_session_t tls)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(tls);
	gnutls_kx_algorithm_t kx = gnutls_kx_get(tls);
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(tls);
	gnutls_mac_algorithm_t mac = gnutls_mac_get(tls);

	for (unsigned i = 0;; i++) {
		gnutls_kx_algorithm_t skx;
		gnutls_cipher_algorithm_t sc;
		gnutls_mac_algorithm_t smac;
		gnutls_protocol_t minv;
		unsigned char id[2];
		unsigned idx;
		int rc = gnutls_priority_get_cipher_suite_index(pc, i, &idx);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (rc < 0 || gnutls_cipher_suite_info(idx, id, &skx, &sc,
		    &smac, &minv) == NULL)
			continue;
		if (v == GNUTLS_TLS1_3) {
			if (minv == GNUTLS_TLS1_3 && sc == c)
				return 1;
		} else if (minv != GNUTLS_TLS1_3 && skx == kx && sc == c &&
		    smac == mac)
			return 1;
	}
}

static int
group_ok(gnutls_priority_t pc, gnutls_session_t tls)
{
	gnutls_group_t g = gnutls_group_get(tls);
	const unsigned int *list;
	int n;

	if (g == GNUTLS_GROUP_INVALID)
		return 1;	/* RSA key transport: judged as a suite */
	n = gnutls_priority_group_list(pc, &list);
	for (int i = 0; i < n; i++)
		if (list[i] == (unsigned)g)
			return 1;
	return 0;
}

int
tlspolicy_check(struct leg *l, const struct pol_rule *r)
{
	struct session *s = l->s;
	gnutls_priority_t pc = conf_priority(s->conf, r, 1);
	const char *event, *reason;
	struct ev e;

	if (l->tls == NULL)
		return 0;
	if (!version_ok(pc, gnutls_protocol_get_version(l->tls))) {
		event = "tls.version_below_policy";
		reason = "version";
	} else if (!suite_ok(pc, l->tls)) {
		event = "tls.cipher_below_policy";
		reason = gnutls_kx_get(l->tls) == GNUTLS_KX_RSA ?
		    "no-forward-secrecy" : "cipher";
	} else if (!group_ok(pc, l->tls)) {
		event = "tls.cipher_below_policy";
		reason = "group";
	} else
		return 0;
	if (r->action == POL_REPORT)
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "policy.would_have_rejected");
	else if (strcmp(reason, "version") == 0)
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "tls.version_below_policy");
	else
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "tls.cipher_below_policy");
	ev_str(&e, "rule", r->name);
	ev_u64(&e, "line", (uint64_t)r->line);
	ev_str(&e, "reason", reason);
	if (r->action == POL_REPORT)
		ev_str(&e, "enforce_event", event);
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "domain", s->domain != NULL ? s->domain->name : "none");
	tls_describe(l, &e);
	ev_end(&e);
	if (r->action == POL_REPORT)
		return 0;
	session_stream_error(s, "policy-violation", "TLS parameters below"
	    " policy", "tls-below-policy");
	return -1;
}
