/*
 * observe.h: what the gateway notes, without changing a byte, about a
 * relayed stream for the summaries and metrics: the peer's stream from,
 * the authentication method it tries (a SASL mechanism, or XEP-0078
 * iq:auth with a password or a digest) and whether the backend accepts
 * it.  Only names are kept: never a credential, a SASL payload or an
 * iq's content.
 *
 * An accepted iq:auth marks the session authenticated, as a stream
 * restart after SASL does: old-style clients never restart.
 */
#ifndef PROXY_OBSERVE_H
#define PROXY_OBSERVE_H

#include "session.h"

/* An event of the remote leg once relaying (before it is forwarded). */
void	observe_remote(struct leg *l, const struct xs_event *ev);

/* An event of the backend leg. */
void	observe_backend(struct leg *l, const struct xs_event *ev);

/*
 * An authentication ended: method as metrics_auth() takes it, ok when
 * accepted.  For code that authenticates peers itself (s2s: "pkix",
 * "dane-ee", "dialback", ...).
 */
void	observe_auth(struct session *s, const char *method, int ok);

#endif /* PROXY_OBSERVE_H */
