/*
 * summary.h: one connection's security summary (STANDARDS.md OBS-1): who,
 * which TLS, which certificate, how verified, how authenticated.
 *
 * The same fields, under the same names, go into the tls.established
 * and session.close records and into what the control socket shows
 * (status, its JSON, show), so the operator learns one vocabulary.
 *
 * session_summary() points into the session and into GnuTLS's static
 * names: valid on the session's thread until it next runs.
 * summary_copy() makes a copy whose strings live in an arena, which may
 * go to another thread.
 */
#ifndef PROXY_SUMMARY_H
#define PROXY_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "certinfo.h"
#include "log.h"
#include "session.h"
#include "tls.h"

struct sess_summary {
	uint64_t		 id;
	unsigned		 worker;
	const char		*role;		/* "c2s", "s2s" */
	const char		*direction;	/* "in", "out" */
	const char		*peer;		/* "192.0.2.1:5222" */
	const char		*domain;	/* the domain served, or "none" */
	const char		*remote;	/* s2s: the remote server's
						   domain, or "none" */
	const char		*sni;		/* "none" when absent */
	const char		*to;		/* header to, or "none" */
	const char		*from;		/* header from, or "none" */
	const char		*state;		/* none, encrypted, both */
	const char		*phase;		/* pre-tls, handshake, relay,
						   closing, ... */
	const char		*verify;	/* none, pkix, dane-ee, ... */
	const char		*auth;		/* SASL mechanism, or "none" */
	const char		*auth_result;	/* none, pending, ok, failed */
	int			 tls;		/* tlsp is valid */
	struct tls_params	 tlsp;
	const struct peer_cert	*cert;		/* NULL: none */
	uint64_t		 age_ms;
	uint64_t		 idle_ms;
	uint64_t		 bytes_in;	/* plaintext from the peer */
	uint64_t		 bytes_out;	/* plaintext to the peer */
};

/* Where fields go: an event, a JSON object, a key: value listing. */
struct field_sink {
	void	(*str)(void *arg, const char *key, const char *val);
	void	(*num)(void *arg, const char *key, uint64_t val);
	void	(*flag)(void *arg, const char *key, int val);
	void	*arg;
};

/* Describe s as it is now.  now_ms is uv_now() of its loop. */
void	session_summary(const struct session *s, uint64_t now_ms,
	    struct sess_summary *sum);

/*
 * The summary's fields, in the catalogue's order: peer direction domain
 * sni to from alpn state verify auth version cipher suite group fs
 * resumed, and the peer_* certificate fields when there is one.
 */
void	summary_fields(const struct sess_summary *sum,
	    const struct field_sink *fs);

/* summary_fields() into an event. */
void	summary_ev(const struct sess_summary *sum, struct ev *e);

/* Memory for copied summaries, freed all at once. */
struct arena {
	struct arena_blk	*blk;
	int			 nomem;		/* an allocation failed */
};

void	*arena_alloc(struct arena *a, size_t n);
void	 arena_free(struct arena *a);

/* Copy src into dst with every string and the certificate in a. */
void	summary_copy(struct sess_summary *dst,
	    const struct sess_summary *src, struct arena *a);

/* Names of the enums, for summaries and events. */
const char	*verify_name(enum peer_verify v);

#endif /* PROXY_SUMMARY_H */
