/*
 * cs_int.h: what the files of certstore/ share and nobody else sees.
 */
#ifndef CS_INT_H
#define CS_INT_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certstore.h"

/* Longest chain we import, ours or a peer's. */
#define CS__MAX_CHAIN	16

struct cs_chain {
	struct cs_chain_info	 info;
	char			*file;		/* info.file points here */
	gnutls_x509_crt_t	 crts[CS__MAX_CHAIN];
	unsigned		 ncrts;
};

struct cs_domain {
	char				*name;
	gnutls_certificate_credentials_t creds;
	struct cs_chain			*chains;
	size_t				 nchains;
};

struct cs {
	_Atomic unsigned		 refs;
	struct cs_opts			 opts;
	gnutls_x509_trust_list_t	 trust;
	unsigned			 nanchors;
	struct cs_domain		*domains;
	size_t				 ndomains, cap;
	struct cs_note			*notes;
	size_t				 nnotes, notecap;
};

/*
 * A domain from a file, a certificate or the wire as a lower-case A-label
 * (IDNA2008, non-transitional, NFC input: the flags policy/ uses too).
 * Returns 0, or -1 if it is not a valid domain name.
 */
int	cs__domain_norm(const char *in, char *out, size_t outlen);

/*
 * Verify crts[0..n) at time now against the anchors as a server
 * certificate.  Returns 0 with *status 0 when valid, else the
 * gnutls_certificate_status_t bits in *status; negative on error.
 */
int	cs__verify(const struct cs *cs, gnutls_x509_crt_t *crts, unsigned n,
	    time_t now, unsigned *status);

/* The i-th chain of domain, or NULL. */
const struct cs_chain *cs__chain(const struct cs *cs, const char *domain,
	    size_t i);

/* GnuTLS's verification profile flags for the store's RSA minimum. */
unsigned cs__profile_flags(const struct cs *cs);

/*
 * The status bits of a verification in a few words ("expired,
 * untrusted-issuer"), for logs.
 */
void	cs__status_words(unsigned status, char *out, size_t outlen);

/* The certificate's DN into out, "" if it has none. */
void	cs__dn(gnutls_x509_crt_t crt, int issuer, char *out, size_t outlen);

/* "2026-11-21" for t, into out. */
void	cs__date(time_t t, char *out, size_t outlen);

#endif /* CS_INT_H */
