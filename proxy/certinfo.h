/*
 * certinfo.h: what the logs and the control socket say about a peer's
 * certificate: subject, issuer, subject alternative names, validity and
 * the SHA-256 of its SubjectPublicKeyInfo (the value DANE 3 1 1 records
 * and the certstore's peer history compare).
 *
 * Owns the text form only; verifying a certificate is certstore's job.
 * A struct peer_cert is plain data with no pointers, safe to copy to
 * another thread.
 */
#ifndef PROXY_CERTINFO_H
#define PROXY_CERTINFO_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct peer_cert {
	char	 subject[256];		/* RFC 4514 */
	char	 issuer[256];
	char	 san[512];		/* "dns:a.example xmpp:a.example
					   srv:_xmpp-server.a.example
					   ip:192.0.2.1 uri:...", space
					   separated, cut at 511 bytes */
	char	 not_before[24];	/* "2026-11-21T22:05:01Z" */
	char	 not_after[24];
	char	 spki[65];		/* SHA-256 of the SPKI, hex */
};

/* Describe crt.  Returns 0, or a negative GnuTLS error. */
int	certinfo_from_crt(gnutls_x509_crt_t crt, struct peer_cert *out);

/*
 * Describe the leaf certificate the peer of tls presented.  Returns 0,
 * GNUTLS_E_NO_CERTIFICATE_FOUND when it presented none, or another
 * negative GnuTLS error.
 */
int	certinfo_from_session(gnutls_session_t tls, struct peer_cert *out);

#endif /* PROXY_CERTINFO_H */
