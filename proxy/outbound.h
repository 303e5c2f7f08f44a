/*
 * outbound.h: the legacy server's own outbound s2s, carried over TLS.
 *
 * The backend connects to an s2s-out listener (an explicit port, or any
 * port through iptables REDIRECT; SO_ORIGINAL_DST is logged).  Its stream
 * header names the remote domain in "to" and ours in "from".  portcullis
 * holds that header, finds the remote (dns.c), connects, requires
 * STARTTLS (sending <starttls/> even when it was not offered) or direct
 * TLS, verifies the remote per policy, then replays the backend's header
 * inside TLS and relays.  The remote's stream id reaches the backend
 * untouched, so dialback keys stay valid (STANDARDS.md BACK-6, S2S-3).
 * Nothing ever leaves in plaintext past the header and <starttls/>.
 */
#ifndef PROXY_OUTBOUND_H
#define PROXY_OUTBOUND_H

#include <stdint.h>

#include "session.h"

/* Take over a session accepted on an s2s-out listener. */
void	outbound_start(struct session *s);

/*
 * The session timer fired during negotiation: fail an attempt or the
 * session when its deadline passed.  Returns 1 when it acted.
 */
int	outbound_timer(struct session *s, uint64_t now);

/* The nearest outbound deadline (uv_now() ms), 0 for none. */
uint64_t outbound_deadline(const struct session *s);

/* Free the outbound state of s (NULL-safe). */
void	outbound_free(struct session *s);

#endif /* PROXY_OUTBOUND_H */
