/*
 * certstore: our own certificates and keys, one set per served domain.
 *
 * Owns: loading each domain's chains and private keys into GnuTLS
 * credentials (ECDSA and RSA side by side; GnuTLS picks the one the
 * client can use), choosing a domain's credentials for a handshake, and
 * the only copies of private key bytes in the process.
 *
 * Never touches: sockets, DNS, policy, logging.  It reads only the files
 * it is named.
 *
 * A struct cs is immutable once built and shared by every thread;
 * cs_ref()/cs_unref() count its users atomically.  Credentials returned
 * by cs_credentials() live as long as the struct cs they came from.
 */
#ifndef CERTSTORE_H
#define CERTSTORE_H

#include <stdatomic.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

enum cs_err {
	CS_OK		=  0,
	CS_E_IO		= -1,	/* a file could not be read */
	CS_E_CERT	= -2,	/* a chain or key GnuTLS refuses */
	CS_E_MISMATCH	= -3,	/* key does not belong to the certificate */
	CS_E_NOMEM	= -4,
	CS_E_DUP	= -5	/* domain added twice */
};

struct cs_diag {
	char		 file[256];	/* the file at fault, or "" */
	char		 msg[160];
};

struct cs;

/* An empty store with one reference, or NULL when out of memory. */
struct cs	*cs_new(void);

/*
 * Add one chain (PEM: leaf first, then intermediates) and its key for
 * domain (a lower-case A-label, copied).  Call again for the same domain
 * to add a second key type.  ocsp, if not NULL, is a DER OCSP response
 * file stapled with this chain.  Returns 0 or a negative CS_E_* code and
 * fills *diag (may be NULL).  Not thread safe: build, then share.
 */
int		 cs_add(struct cs *cs, const char *domain, const char *chain,
		    const char *key, const char *ocsp, struct cs_diag *diag);

/* The credentials for domain, or NULL if it is not served. */
gnutls_certificate_credentials_t cs_credentials(const struct cs *cs,
		    const char *domain);

/* Number of chains loaded for domain (0 if not served). */
size_t		 cs_chains(const struct cs *cs, const char *domain);

struct cs	*cs_ref(struct cs *cs);
void		 cs_unref(struct cs *cs);

const char	*cs_strerror(int err);

#endif /* CERTSTORE_H */
