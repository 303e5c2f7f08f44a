/*
 * peer.h: is this remote server who it says it is, and may it go on?
 *
 * After an s2s handshake (either direction) the peer's chain is checked
 * by certstore against the reference domain (the stream's from inbound,
 * the target domain outbound; with a secure SRV answer its target too,
 * RFC 7673 section 4), against the TLSA records DNS found (outbound: of
 * the server connected to; inbound: of any server of the remote domain),
 * then the s2s rule for that domain decides in its order of methods
 * (dane, pkix, pin, posh, dialback).  A secure, usable TLSA set makes
 * its match mandatory outbound: no other method stands in for it.
 * Dialback is not authentication: a stream let in on it alone is
 * "encrypted, dialback-verified" (S2S-10).  posh needs a document
 * fetched first (posh.c): peer_wants_posh() says when, and peer_decide()
 * runs again with the result.  In report mode a refusal is logged as
 * policy.would_have_rejected and the stream goes on.  Each contact also
 * updates the peer's history (off the loop): a new key logs cert.changed
 * with both fingerprints (and is refused where the rule wants DANE for
 * it and no TLSA record matched), a lower TLS version
 * tls.version_lowered, a lost STARTTLS offer starttls.stripping_suspected.
 */
#ifndef PROXY_PEER_H
#define PROXY_PEER_H

#include "certstore/certstore.h"
#include "dns.h"
#include "log.h"
#include "policy/policy.h"
#include "session.h"

enum peer_method {
	PEER_NONE,		/* not authenticated, not allowed */
	PEER_PKIX,		/* chain to a trust anchor, name matched */
	PEER_PIN,		/* SPKI among the rule's pins */
	PEER_DANE,		/* TLSA match under DNSSEC */
	PEER_POSH,		/* the domain's POSH document names it */
	PEER_DIALBACK		/* encrypted; identity left to dialback */
};

/* What DNS said of the peer, for the check; a NULL a: nothing (a route). */
struct peer_dns {
	const struct dns_answer	*a;
	int			 ti;		/* the target connected to;
						   -1: any (inbound) */
};

struct peer_check {
	enum peer_method	 method;
	const struct pol_rule	*rule;
	int			 cert;		/* a certificate was presented */
	int			 verified;	/* cs_verify_peer() ran */
	struct cs_peer_result	 r;
	int			 ref_which;	/* refs[] index PKIX matched */
	int			 pinned;	/* a pin matched */
	/* DANE: a secure, usable TLSA set was there; did it match? */
	int			 dane_applies;
	int			 dane_matched;
	int			 dane_target;	/* whose set matched (inbound) */
	struct cs_dane_result	 dane;
	char			 tlsa[96];	/* "3 1 1 x2, 2 1 1": the set */
	int			 posh;		/* -1 not fetched, 0 no, 1 yes */
	char			 posh_detail[160];
	int			 outbound;
	char			 ref[256];	/* the reference domain */
	char			 refs[4][256];	/* every reference name */
	size_t			 nrefs;
	char			 reason[192];	/* why not authenticated */
};

/*
 * Check l's peer against ref (may be NULL: no from), with what DNS said
 * (dns may be NULL), and decide as far as can be without POSH.
 */
void	peer_verify(struct session *s, struct leg *l, const char *ref,
	    const struct peer_dns *dns, struct peer_check *pc);

/* Would a POSH document decide what nothing else did?  1 yes. */
int	peer_wants_posh(const struct peer_check *pc);

/* Decide again, now with pc->posh set. */
void	peer_decide(struct peer_check *pc);

/*
 * Note the outcome in the session for its records and the status table:
 * how it was verified, how it authenticates, its certificate.
 */
void	peer_record(struct session *s, const struct leg *l,
	    const struct peer_check *pc);

/*
 * May the stream go on under the rule?  Logs the refusal (or, in report
 * mode, would-have-rejected).  Returns 1 to go on.
 */
int	peer_allowed(struct session *s, const struct peer_check *pc);

/*
 * Does the peer's certificate also cover domain (a dialback from on the
 * same stream, ID-10)?  1 yes, 0 no.
 */
int	peer_covers(const struct leg *l, const char *domain);

/*
 * Record this contact in the peer's history, in the background; logs
 * what changed.  starttls: 1 offered, 0 not, -1 unknown.  srv, the SRV
 * targets as dns.c wrote them for the history, and dnssec (1 secure, 0
 * insecure, -1 unknown) for outbound contacts; NULL and -1 otherwise.
 * Returns 0: go on.  Returns 1 when the rule has key-change
 * "require-dane" and the peer presented a key: the stream must wait (hold
 * what it receives) until done(s, allowed, tag) runs on the loop once the
 * history was read; allowed 0 means its key changed with no TLSA record
 * matching it, and it is refused.  done is not called for a session that
 * is closing by then.
 */
typedef void peer_history_fn(struct session *s, int allowed, uint64_t tag);

int	peer_history(struct session *s, const struct leg *l,
	    const struct peer_check *pc, int starttls, const char *srv,
	    int dnssec, peer_history_fn *done, uint64_t tag);

const char *peer_method_name(enum peer_method m);

#endif /* PROXY_PEER_H */
