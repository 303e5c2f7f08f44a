/*
 * dns.h: finding a remote XMPP server: SRV, then addresses, then TLSA,
 * with the DNSSEC status of every answer used.
 *
 * Lookups block in ldns, so they run on the libuv threadpool; the answer
 * comes back on the loop thread.  A lookup holds a reference on its
 * session; an answer that arrives after the session began closing is
 * dropped.  Answers are cached by their TTL.
 *
 * Order (RFC 6120 section 3.2, XEP-0368): _xmpps-server._tcp (direct TLS)
 * and _xmpp-server._tcp (STARTTLS) records are merged into one RFC 2782
 * order; A/AAAA on port 5269 only when neither name has any record; a
 * single "." target means the service is not offered.
 *
 * DNSSEC (STANDARDS.md DNS-4): with trust anchors, every answer is
 * validated here (dnssec.c) and the resolver is asked with CD set; else,
 * with trust_ad, the AD bit of the resolver is believed and a SERVFAIL
 * that goes away with CD is bogus; else nothing is secure.
 *
 * DANE (RFC 7673): TLSA at _port._tcp.target is asked, when wanted, for
 * every target whose SRV answers (or, without SRV, their secure absence)
 * and address answers are secure.
 */
#ifndef PROXY_DNS_H
#define PROXY_DNS_H

#include <sys/socket.h>

#include <stdint.h>

#include <uv.h>

#include "certstore/certstore.h"

struct session;
struct ldns_struct_rr_list;

enum dns_sec {
	DNS_SEC_INSECURE,	/* no validated answer (or not trusted) */
	DNS_SEC_SECURE,		/* validated */
	DNS_SEC_BOGUS		/* validation failed: never used */
};

enum dns_err {
	DNS_OK		=  0,
	DNS_E_NOSERVICE	= -1,	/* "." SRV target: no s2s service */
	DNS_E_NXDOMAIN	= -2,	/* nothing at all for the domain */
	DNS_E_SERVFAIL	= -3,	/* the resolver failed (or found bogus) */
	DNS_E_BOGUS	= -4,	/* a DNSSEC validation failure */
	DNS_E_TIMEOUT	= -5,
	DNS_E_NOMEM	= -6,
	DNS_E_CONFIG	= -7	/* no usable resolver */
};

/* What the TLSA question of a target got. */
enum dns_tlsa {
	DNS_TLSA_UNASKED,	/* not wanted, or the way there not secure */
	DNS_TLSA_NONE,		/* securely none: DANE does not apply */
	DNS_TLSA_INSECURE,	/* an insecure answer: DANE does not apply */
	DNS_TLSA_SECURE,	/* ntlsa secure records */
	DNS_TLSA_BOGUS,		/* validation failed: do not use the target */
	DNS_TLSA_FAILED		/* no answer: do not use the target */
};

#define DNS_MAX_TARGETS	16
#define DNS_MAX_ADDRS	8
#define DNS_TLSA_BYTES	8192	/* every target's TLSA records together */

struct dns_target {
	char			 host[256];	/* SRV target, or the domain */
	uint16_t		 port;
	uint16_t		 priority, weight;
	unsigned		 direct_tls:1;	/* from _xmpps-server._tcp */
	unsigned		 from_srv:1;
	enum dns_sec		 addr_sec;	/* of its A/AAAA answers */
	struct sockaddr_storage	 addrs[DNS_MAX_ADDRS];
	unsigned		 naddrs;
	enum dns_tlsa		 tlsa;
	unsigned		 ntlsa;		/* records in the answer's tlsa[] */
	unsigned		 tlsa_off;	/* where they start */
};

struct dns_answer {
	int			 rc;		/* DNS_OK or DNS_E_* */
	char			 error[128];	/* for logs */
	char			 domain[256];
	enum dns_sec		 srv_sec;	/* of the SRV answers, records
						   or their absence */
	int			 from_srv;	/* 0: A/AAAA fallback */
	int			 with_tlsa;	/* TLSA was wanted */
	struct dns_target	 targets[DNS_MAX_TARGETS];
	unsigned		 ntargets;
	uint64_t		 expires;	/* ms, for the cache */
	char			 bogus_name[300]; /* the question that was */
	char			 bogus_type[8];	/* bogus, when rc is BOGUS or a
						   target is */
	char			 bogus_why[160];
	/*
	 * TLSA records, each usage, selector, matching type, a two-byte
	 * length and the data; each target points at its own.
	 */
	unsigned char		 tlsa[DNS_TLSA_BYTES];
	unsigned		 tlsa_used;
	/*
	 * What the peer history says of the last contact, against this
	 * answer (not cached: read per lookup).  srv is the answer's
	 * targets as the history writes them.
	 */
	char			 srv[CS_HIST_SRV_MAX];
	char			 prev_srv[CS_HIST_SRV_MAX];
	unsigned		 changes;	/* CS_HIST_SRV_CHANGED,
						   CS_HIST_DNSSEC_LOST */
};

/* How to reach a resolver and what to believe; from the configuration. */
struct dns_conf {
	char			 resolver[64];	/* "127.0.0.1:53", "" for
						   /etc/resolv.conf */
	int			 trust_ad;	/* believe the AD bit */
	const struct ldns_struct_rr_list *anchors; /* validate here from
						   these (the conf's), or
						   NULL */
	unsigned		 timeout_ms;
	int			 want_tlsa;	/* ask TLSA (DANE wanted) */
	const char		*state_dir;	/* compare with the peer history
						   (outbound), or NULL */
};

typedef void	dns_done_fn(struct session *s, const struct dns_answer *a);

/*
 * Resolve the s2s targets of domain (a lower-case A-label) for session
 * s.  done runs on s's loop, unless s is closing by then.  Returns 0, or
 * -1 when the lookup could not be queued (done never runs).  dc's
 * pointers must live as long as s.
 */
int	dns_resolve_s2s(struct session *s, const struct dns_conf *dc,
	    const char *domain, dns_done_fn *done);

/*
 * The TLSA records of target t of a, as certstore takes them (pointing
 * into a), at most max.  Returns how many.
 */
size_t	dns_tlsa_records(const struct dns_answer *a,
	    const struct dns_target *t, struct cs_tlsa *out, size_t max);

/*
 * The A and AAAA addresses of host (a name), port set, into out[max],
 * validated as dc says; blocking, for the threadpool only.  Returns how
 * many, or a negative DNS_E_* code (DNS_E_BOGUS included).
 */
int	dns_addresses_blocking(const struct dns_conf *dc, const char *host,
	    uint16_t port, struct sockaddr_storage *out, unsigned max);

const char *dns_strerror(int err);
const char *dns_sec_name(enum dns_sec sec);
const char *dns_tlsa_name(enum dns_tlsa t);

/* Drop every cached answer (reload). */
void	dns_cache_clear(void);

#endif /* PROXY_DNS_H */
