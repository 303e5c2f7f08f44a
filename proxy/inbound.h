/*
 * inbound.h: the receiving side of a stream from a client or a remote
 * server: our header and STARTTLS-only features before TLS, <starttls/>
 * and nothing else, the handshake, and the peer's header after TLS, which
 * opens the backend leg (STANDARDS.md STARTTLS-1..13, BACK-1).  A remote
 * server's header may first wait for its domain's DNS (DANE) or POSH
 * document, with reading stopped, within the pre-auth timeout.
 */
#ifndef PROXY_INBOUND_H
#define PROXY_INBOUND_H

#include "session.h"

/* Take over a freshly accepted session (STARTTLS or direct TLS). */
void	inbound_start(struct session *s);

/* Free what a session's inbound s2s peer check holds (session_free). */
void	inbound_free(struct session *s);

#endif /* PROXY_INBOUND_H */
