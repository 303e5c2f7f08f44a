/*
 * tlspolicy.h: after a handshake, does what was negotiated satisfy the
 * rule?  The check runs for every TLS leg, inbound or outbound.
 *
 * When enforcing, GnuTLS was handed the rule's own priority and cannot
 * have negotiated less, so a failure here means the rule changed under
 * the handshake (the stream named another domain than SNI did) or a bug:
 * the session is refused.  In report mode GnuTLS was handed a wider
 * string, and this is where a below-policy peer is let through and
 * reported against the rule that would have refused it.
 */
#ifndef PROXY_TLSPOLICY_H
#define PROXY_TLSPOLICY_H

#include "session.h"

/*
 * The rule for an inbound session: for c2s its served domain's, else its
 * direction's (s2s rules match the remote server, which the s2s code
 * passes to pol_rule() itself).
 */
const struct pol_rule *tlspolicy_rule(const struct session *s);

/* The same for s as if it served d. */
const struct pol_rule *tlspolicy_rule_for(const struct session *s,
	    const struct pol_domain *d);

/*
 * Compare l's negotiated version, key exchange, cipher, MAC and group
 * with r's own priority string.  Within the rule: 0.  Below it, report
 * mode: log policy.would_have_rejected, return 0.  Below it, enforcing:
 * log tls.version_below_policy or tls.cipher_below_policy, end the
 * session with <policy-violation/>, return -1.
 */
int	tlspolicy_check(struct leg *l, const struct pol_rule *r);

#endif /* PROXY_TLSPOLICY_H */
