/*
 * inbound.h: the receiving side of a stream from a client or a remote
 * server: our header and STARTTLS-only features before TLS, <starttls/>
 * and nothing else, the handshake, and the peer's header after TLS, which
 * opens the backend leg (STANDARDS.md STARTTLS-1..13, BACK-1).
 */
#ifndef PROXY_INBOUND_H
#define PROXY_INBOUND_H

#include "session.h"

/* Take over a freshly accepted session (STARTTLS or direct TLS). */
void	inbound_start(struct session *s);

#endif /* PROXY_INBOUND_H */
