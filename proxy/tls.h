/*
 * tls.h: GnuTLS sessions over libuv legs.
 *
 * GnuTLS never sees a file descriptor: pull takes from leg->cipher_in (or
 * reports EAGAIN), push appends to leg->out and always succeeds, so a
 * record is never resent and backpressure lives above TLS.  Deadlines come
 * from the session timer, not from GnuTLS.
 */
#ifndef PROXY_TLS_H
#define PROXY_TLS_H

#include <stddef.h>

#include "log.h"
#include "session.h"

/*
 * Start a server-side handshake on l.  The certificate is chosen by SNI,
 * else by the session's domain (the stream's to), else by the listener's
 * default domain.  alpn is the protocol a direct-TLS listener requires
 * ("xmpp-client"), or NULL after STARTTLS.  Returns 0, or -1 after
 * closing the session.
 */
int	tls_server_start(struct leg *l, const char *alpn);

/*
 * Start a client-side handshake on l (outbound s2s): SNI sni, ALPN alpn
 * (or NULL), and the certificate of our domain local as the client
 * certificate.  The ClientHello is queued before this returns.  Returns
 * 0, or -1 after closing the session.
 */
int	tls_client_start(struct leg *l, const char *sni, const char *alpn,
	    const char *local);

/* Drive the handshake or read records from what l->cipher_in holds. */
void	tls_input(struct leg *l);

/*
 * The same for n bytes just read into the loop's buffer at p: GnuTLS
 * pulls them from there, and only what it leaves (a paused leg) is
 * copied to l->cipher_in, whose memory is given back once it is empty.
 */
void	tls_input_read(struct leg *l, const char *p, size_t n);

/* Encrypt and queue n bytes; 0, or -1 after closing the session. */
int	tls_send(struct leg *l, const void *p, size_t n);

/* What a TLS session negotiated; the names are GnuTLS's static strings. */
struct tls_params {
	const char	*version;	/* "TLS1.3" */
	const char	*cipher;	/* "AES-256-GCM" */
	const char	*suite;		/* TLS 1.2 suite name, NULL on 1.3 */
	const char	*group;		/* "X25519", "none" */
	char		 alpn[32];	/* selected protocol, "" if none */
	int		 fs;		/* the key exchange is ephemeral */
	int		 resumed;
};

/* The parameters of l's established TLS; 0, or -1 if TLS is not up. */
int	tls_params(const struct leg *l, struct tls_params *p);

/* Add them to an event: version, cipher, suite, group, fs, alpn, resumed. */
void	tls_describe(const struct leg *l, struct ev *e);


/* The SNI the peer sent, normalised, or "" (after the ClientHello). */
const char *tls_sni(const struct leg *l);

#endif /* PROXY_TLS_H */
