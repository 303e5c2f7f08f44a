/*
 * posh.h: POSH (RFC 7711) for remote servers: fetching a domain's
 * https://<domain>/.well-known/posh/xmpp-server.json, following one
 * delegation, keeping each document for its "expires", and asking
 * certstore whether a peer's certificate is among its fingerprints.
 *
 * The fetch is a small HTTP/1.1 GET over TLS, done with blocking
 * sockets on the libuv threadpool and bounded by the posh timeout; the
 * web server's certificate must verify for the host against the trust
 * anchors (certstore), and its addresses come from our own DNS code, as
 * DNSSEC-checked as any (a bogus answer is no document).  HTTP redirects
 * are not followed: RFC 7711 delegates with the document's "url".
 *
 * Documents are shared by every worker: a small table under a mutex.
 * A check holds a reference on its session; a result that arrives after
 * the session began closing is dropped.
 */
#ifndef PROXY_POSH_H
#define PROXY_POSH_H

#include <stdint.h>

#include <gnutls/gnutls.h>

struct session;

/*
 * result: 1 a fingerprint matches, 0 the document names other
 * certificates, -1 there is no usable document; detail says so in words.
 * tag is the caller's, handed back.
 */
typedef void	posh_done_fn(struct session *s, uintptr_t tag, int result,
		    const char *detail);

/*
 * Is leaf (DER, copied) the certificate domain's POSH document vouches
 * for?  done runs on s's loop, unless s is closing by then.  Returns 0,
 * or -1 when the check could not be queued (done never runs).
 */
int	posh_check(struct session *s, const char *domain,
	    const gnutls_datum_t *leaf, uintptr_t tag, posh_done_fn *done);

/* Forget every document (reload). */
void	posh_cache_clear(void);

#endif /* PROXY_POSH_H */
