/*
 * ticket.h: keys for TLS session tickets (STANDARDS.md TLS-7).
 *
 * One master key per served domain and direction, made on first use and
 * kept, zeroed at exit, for the life of the process: a reload keeps the
 * tickets out there valid.  GnuTLS derives from the master key the key
 * of each TICKET_PERIOD and still opens tickets of the period before, so
 * keys rotate on their own and a ticket lives at most two periods.  A
 * ticket is bound to the domain and direction its handshake served:
 * another's key cannot open it, so that client gets a full handshake.
 * Safe from every worker thread.
 */
#ifndef PROXY_TICKET_H
#define PROXY_TICKET_H

#include <gnutls/gnutls.h>

#include "policy/policy.h"

#define TICKET_PERIOD	3600	/* seconds: key rotation, ticket lifetime */

/*
 * Let the server session tls issue and accept tickets of domain for
 * direction dir.  Returns 0, or a GnuTLS error (no tickets then: every
 * handshake is a full one).
 */
int	ticket_enable(gnutls_session_t tls, enum pol_dir dir,
	    const char *domain);

/* Forget every key (at exit). */
void	ticket_cleanup(void);

#endif /* PROXY_TICKET_H */
