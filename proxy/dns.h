/*
 * dns.h: finding a remote XMPP server: SRV, then addresses, with the
 * DNSSEC status of every answer used.
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
 */
#ifndef PROXY_DNS_H
#define PROXY_DNS_H

#include <sys/socket.h>

#include <stdint.h>

#include <uv.h>

struct session;

enum dns_sec {
	DNS_SEC_INSECURE,	/* no validated answer (or not trusted) */
	DNS_SEC_SECURE,		/* validated: the AD bit from a trusted
				   resolver */
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

#define DNS_MAX_TARGETS	16
#define DNS_MAX_ADDRS	8

struct dns_target {
	char			 host[256];	/* SRV target, or the domain */
	uint16_t		 port;
	uint16_t		 priority, weight;
	unsigned		 direct_tls:1;	/* from _xmpps-server._tcp */
	unsigned		 from_srv:1;
	enum dns_sec		 addr_sec;	/* of its A/AAAA answers */
	struct sockaddr_storage	 addrs[DNS_MAX_ADDRS];
	unsigned		 naddrs;
};

struct dns_answer {
	int			 rc;		/* DNS_OK or DNS_E_* */
	char			 error[128];	/* for logs */
	char			 domain[256];
	enum dns_sec		 srv_sec;	/* of the SRV RRsets */
	int			 from_srv;	/* 0: A/AAAA fallback */
	struct dns_target	 targets[DNS_MAX_TARGETS];
	unsigned		 ntargets;
	uint64_t		 expires;	/* uv_now() ms, for the cache */
	char			 bogus_name[300]; /* the question that was */
	char			 bogus_type[8];	/* bogus, when rc is BOGUS */
};

/* How to reach a resolver; from the configuration. */
struct dns_conf {
	char			 resolver[64];	/* "127.0.0.1:53", "" for
						   /etc/resolv.conf */
	int			 trust_ad;	/* believe the AD bit */
	unsigned		 timeout_ms;
};

typedef void	dns_done_fn(struct session *s, const struct dns_answer *a);

/*
 * Resolve the s2s targets of domain (a lower-case A-label) for session
 * s.  done runs on s's loop, unless s is closing by then.  Returns 0, or
 * -1 when the lookup could not be queued (done never runs).
 */
int	dns_resolve_s2s(struct session *s, const struct dns_conf *dc,
	    const char *domain, dns_done_fn *done);

const char *dns_strerror(int err);
const char *dns_sec_name(enum dns_sec sec);

/* Drop every cached answer (reload). */
void	dns_cache_clear(void);

#endif /* PROXY_DNS_H */
