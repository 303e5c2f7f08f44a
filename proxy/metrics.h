/*
 * metrics.h: counters since start, for `portcullis-ctl metrics`
 * (OpenMetrics text): connections and open sessions by role and
 * direction, TLS handshakes by version and cipher, authentications by
 * method and result, and every catalogue event (event.h counts those).
 *
 * Any thread may count; every counter is an atomic, so counting costs
 * no lock.  Labels come from bounded sets only: a peer cannot create new
 * series by sending odd mechanism names.
 */
#ifndef PROXY_METRICS_H
#define PROXY_METRICS_H

#include <stdint.h>

#include "policy/policy.h"
#include "sbuf.h"

/* A connection was accepted (or, outbound, started), and has ended. */
void	metrics_session_open(enum pol_dir dir);
void	metrics_session_closed(enum pol_dir dir);

/* A TLS handshake completed: GnuTLS's protocol and cipher numbers. */
void	metrics_tls(enum pol_dir dir, int version, int cipher);

/*
 * An authentication ended, accepted (ok) or refused.  method is a SASL
 * mechanism, "iq-auth-plain", "iq-auth-digest", "dialback", "pkix",
 * "dane-ee", ...; any other name is counted as "other".
 */
void	metrics_auth(enum pol_dir dir, const char *method, int ok);

/* Every metric as OpenMetrics text, ending in "# EOF". */
void	metrics_format(struct sbuf *out);

/* Sessions open now, all directions. */
uint64_t metrics_sessions_open(void);

/* When the process started, for uptime; set once by main. */
void	metrics_set_start(int64_t unix_seconds);
int64_t	metrics_start(void);

#endif /* PROXY_METRICS_H */
