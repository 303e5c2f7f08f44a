/*
 * secevent.h: one call per downgrade or identity event of the catalogue
 * whose emitter is the s2s, DNS or certstore code (STANDARDS.md OBS-2,
 * OBS-3), so each such place logs the same fields under the same names.
 *
 * s is the session the event belongs to; its id, role and peer go into
 * the record.  domain is the remote domain concerned.  action says what
 * portcullis did about it: "refused", "allowed" (policy let it pass) or
 * "reported" (report-only policy).  Strings are not kept.
 */
#ifndef PROXY_SECEVENT_H
#define PROXY_SECEVENT_H

#include "certinfo.h"
#include "session.h"

/* The remote offered no STARTTLS (STARTTLS-14). */
void	sev_starttls_absent(const struct session *s, const char *domain,
	    const char *action);

/* No STARTTLS from a remote that offered it before; last_tls is when. */
void	sev_starttls_stripping(const struct session *s, const char *domain,
	    const char *last_tls, const char *action);

/* The remote answered our <starttls/> with <failure/>. */
void	sev_starttls_failure(const struct session *s, const char *domain,
	    const char *action);

/* The server random carried the RFC 8446 downgrade sentinel. */
void	sev_downgrade_sentinel(const struct session *s, const char *domain,
	    const char *version, const char *action);

/* No TLSA record matched; tlsa says what there was ("3 1 1 x2"). */
void	sev_dane_mismatch(const struct session *s, const char *domain,
	    const char *tlsa, const struct peer_cert *cert,
	    const char *action);

/*
 * DNSSEC validation failed for the TLSA records, or for qname/qtype;
 * reason says how, as the validator saw it.
 */
void	sev_dane_bogus(const struct session *s, const char *domain,
	    const char *qname, const char *reason, const char *action);
void	sev_dnssec_bogus(const struct session *s, const char *domain,
	    const char *qname, const char *qtype, const char *reason,
	    const char *action);

/* The peer history says secure; DNS now answers insecurely. */
void	sev_dnssec_downgrade(const struct session *s, const char *domain,
	    const char *action);

/*
 * A rule requires DNSSEC and what answered was insecure; what says
 * which answer ("SRV", "A/AAAA of xmpp.example.org").
 */
void	sev_dnssec_insecure(const struct session *s, const char *domain,
	    const char *what, const char *action);

/* Other SRV targets than at the last contact (old, new: "h:p h:p"). */
void	sev_srv_changed(const struct session *s, const char *domain,
	    const char *old_srv, const char *new_srv, const char *dnssec,
	    const char *action);

/*
 * The peer's key differs from the one the peer history holds (OBS-3):
 * both fingerprints, issuers and validity periods.  tlsa: "match" when a
 * TLSA record vouches for the new key, "no-match", or "none".
 */
void	sev_cert_changed(const struct session *s, const char *domain,
	    const struct peer_cert *was, const struct peer_cert *now,
	    const char *tlsa, const char *action);

/* The certificate does not name domain (RFC 6125). */
void	sev_identity_mismatch(const struct session *s, const char *domain,
	    const struct peer_cert *cert, const char *action);

/* db:result or db:verify that nothing asked for (S2S-4, SEC-7). */
void	sev_dialback_unsolicited(const struct session *s,
	    const char *domain, const char *to, const char *element);

#endif /* PROXY_SECEVENT_H */
