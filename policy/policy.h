/*
 * policy: the configuration file, read once into an immutable snapshot.
 *
 * Owns: parsing portcullis.conf (libconfig syntax) with file:line
 * diagnostics, validating every value (a GnuTLS priority string that
 * GnuTLS rejects is an error here, not at the first handshake), the
 * compiled-in defaults (one table, mirrored line for line by
 * portcullis.conf(5)), and pure lookups: the TLS rule for a direction and
 * a domain, the served domain for a name, the listeners.  It also grades
 * a priority string with the IM Observatory rubric (grade.c), because
 * that needs nothing but GnuTLS's view of the string and key sizes.
 *
 * Never touches: sockets, certificates' contents, logging, time.  It opens
 * only the file it is given (and the files that file @includes).
 *
 * A struct pol is immutable once pol_load() returns it and is shared by
 * every thread; pol_ref()/pol_unref() count its users atomically, and the
 * last pol_unref() frees it.  Every pointer inside it lives as long as it.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum pol_err {
	POL_OK		=  0,
	POL_E_IO	= -1,	/* the file could not be read */
	POL_E_SYNTAX	= -2,	/* not libconfig syntax */
	POL_E_INVALID	= -3,	/* a setting is wrong; see the diag */
	POL_E_NOMEM	= -4
};

/* Where and why a file was refused. */
struct pol_diag {
	char		 file[256];
	int		 line;		/* 0 when not tied to a line */
	char		 msg[160];
};

/* The directions a rule can apply to. */
enum pol_dir {
	POL_C2S,		/* clients to us */
	POL_S2S_IN,		/* remote servers to us */
	POL_S2S_OUT,		/* us to remote servers */
	POL_NDIR
};

enum pol_role {
	POL_ROLE_C2S,		/* client listener */
	POL_ROLE_S2S,		/* remote-server listener */
	POL_ROLE_S2S_OUT	/* where the backend's outbound s2s arrives */
};

enum pol_tlsmode {
	POL_TLS_STARTTLS,	/* XMPP STARTTLS, required */
	POL_TLS_DIRECT		/* XEP-0368 direct TLS */
};

/* TLS versions as GnuTLS numbers them, so they compare in order. */
enum pol_version {
	POL_TLS10 = 10, POL_TLS11 = 11, POL_TLS12 = 12, POL_TLS13 = 13
};

enum pol_fs {
	POL_FS_REQUIRE,		/* no key exchange without forward secrecy */
	POL_FS_PREFER		/* forward secrecy first, RSA key transport too */
};

enum pol_action {
	POL_ENFORCE,		/* refuse what the rule forbids */
	POL_REPORT		/* allow it, log would-have-rejected */
};

/* How a remote server may authenticate (s2s only), in policy order. */
enum pol_auth {
	POL_AUTH_DANE,		/* TLSA records under DNSSEC */
	POL_AUTH_PKIX,		/* a chain to the trust anchors */
	POL_AUTH_PIN,		/* the SPKI is among the rule's pins */
	POL_AUTH_DIALBACK,	/* XEP-0220 only: encrypted, unauthenticated */
	POL_AUTH_POSH,		/* RFC 7711: the domain's HTTPS vouches */
	POL_NAUTH
};

/* What DNS answers must be for an s2s peer (s2s only). */
enum pol_dnssec {
	POL_DNSSEC_VALIDATE,	/* use DNSSEC where signed; bogus fails */
	POL_DNSSEC_REQUIRE	/* unsigned answers fail too */
};

/*
 * What a remote server's new key does, once its peer history holds
 * another (s2s only).
 */
enum pol_keychange {
	POL_KEYCHANGE_ALLOW,		/* log cert.changed and go on */
	POL_KEYCHANGE_REQUIRE_DANE	/* refuse it unless DANE vouches for
					   the new key */
};

/*
 * The effective TLS rule for one direction and domain: the top of the
 * policy group, then the direction's group, then the most specific entry
 * of the rules list that matches, each overriding what it sets.
 */
struct pol_rule {
	const char	*name;		/* "policy", "c2s", "s2s-in",
					   "s2s-out", or the rule's match */
	int		 line;		/* where it was defined, 0: built in */
	enum pol_dir	 dir;		/* POL_NDIR for the top of policy */
	const char	*match;		/* "example.org", "*.example.org", or
					   NULL for a direction's rule */
	enum pol_version min_version, max_version;
	enum pol_fs	 forward_secrecy;
	enum pol_action	 action;
	const char	*priority;	/* GnuTLS priority string of the rule,
					   computed from the above unless
					   configured */
	int		 priority_set;	/* configured verbatim */
	const char	*handshake_priority; /* what GnuTLS is given: the
					   priority when enforcing, a wider
					   one that lets below-policy peers
					   through in report mode */
	size_t		 prio_idx;	/* priority in pol->priorities */
	size_t		 hs_prio_idx;	/* handshake_priority in there */
	/* s2s only; the s2s code reads them, c2s ignores them. */
	enum pol_auth	 auth[POL_NAUTH]; /* methods allowed, in order */
	size_t		 nauth;
	const unsigned char (*pins)[32]; /* SPKI SHA-256 digests */
	size_t		 npins;
	enum pol_dnssec	 dnssec;
	enum pol_keychange key_change;
};

struct pol_limits {
	/* Parser limits, passed to xmlstream. */
	size_t		 stanza_bytes;
	size_t		 header_bytes;
	unsigned	 depth;
	unsigned	 attrs;
	unsigned	 nsdecls;
	size_t		 attr_bytes;
	size_t		 text_bytes;
	/* Session limits, enforced by the daemon. */
	size_t		 pretls_bytes;	/* bytes a peer may send before TLS */
	size_t		 preauth_bytes;	/* ... before its stream restarts
					   after authentication */
	size_t		 write_queue;	/* high-water mark per leg, bytes */
};

struct pol_timeouts {
	unsigned	 handshake;	/* accept to TLS up, seconds */
	unsigned	 preauth;	/* accept to authenticated, seconds */
	unsigned	 idle;		/* no byte either way, seconds */
	unsigned	 backend_connect; /* seconds */
	unsigned	 close;		/* wait for the peer's close, s */
	unsigned	 shutdown;	/* wait on stop before exiting, s */
	unsigned	 posh;		/* one POSH document fetch, s */
};

/* A backend address: TCP host:port or a unix socket path. */
struct pol_addr {
	int		 unix;		/* path is a unix socket */
	const char	*host;		/* literal address, TCP only */
	uint16_t	 port;
	const char	*path;
	const char	*text;		/* as written, for logs */
};

struct pol_cert {
	const char	*chain;		/* PEM: leaf then intermediates */
	const char	*key;		/* PEM private key */
	const char	*ocsp;		/* DER OCSP response file, or NULL */
	int		 line;
};

struct pol_domain {
	const char	*name;		/* lower-case A-label */
	int		 line;
	const char *const *subdomains;	/* full names of hosted components
					   (conference., upload.), served
					   with this domain's certificates */
	size_t		 nsubdomains;
	struct pol_cert	*certs;
	size_t		 ncerts;
	struct pol_addr	 c2s_backend;	/* port 0 and !unix: none */
	struct pol_addr	 s2s_backend;
};

struct pol_listener {
	enum pol_role	 role;
	enum pol_tlsmode tls;
	const char	*host;		/* literal address */
	uint16_t	 port;
	const char	*text;		/* as written */
	const char	*domain;	/* default domain (no SNI, no to) */
	int		 line;
};

/*
 * How s2s finds remote servers, and how it knows an answer is
 * DNSSEC-secure: by validating it itself from trust_anchor (a file of DS
 * or DNSKEY records, read by the proxy), or by believing the AD bit of a
 * validating resolver on a trusted path, or not at all.
 */
struct pol_dns {
	char		 resolver[64];	/* "127.0.0.1:53"; "" resolv.conf */
	int		 trust_ad;	/* believe the resolver's AD bit */
	const char	*trust_anchor;	/* validate with ldns; NULL: no */
	int		 trust_anchor_line;
	unsigned	 timeout_ms;
};

/* A remote domain reached at a fixed address instead of through DNS. */
struct pol_route {
	const char	*domain;	/* lower-case A-label */
	struct pol_addr	 addr;
	enum pol_tlsmode tls;
	int		 line;
};

enum pol_loglevel {
	POL_LOG_ERROR, POL_LOG_WARNING, POL_LOG_INFO, POL_LOG_DEBUG
};

/* Trust anchors for peers' certificates. */
struct pol_trust {
	int		 system;	/* the system's CA store */
	const char *const *ca_files;	/* PEM files of more anchors */
	size_t		 nca_files;
	int		 cn_fallback;	/* accept a subject CN (RFC 6125
					   6.4.4); RFC 9525 forbids it */
	int		 line;		/* of the trust group, 0: absent */
};

/* Where records go besides standard error (the log group). */
struct pol_log {
	const char	*events;	/* JSON lines file, NULL: none */
	int		 syslog;	/* events and messages to syslog */
	int		 facility;	/* LOG_DAEMON, ... as in syslog.h */
	const char	*syslog_socket;	/* the local syslog socket */
};

/* The control socket (portcullis-ctl(8)). */
struct pol_control {
	const char	*socket;	/* unix socket path, NULL: none */
	unsigned	 mode;		/* its permission bits */
};

struct pol {
	const char	*file;
	unsigned	 workers;	/* 0: one per core */
	enum pol_loglevel loglevel;	/* log-level, or log.level */
	const char	*state_dir;	/* peer history lives below */
	struct pol_trust trust;
	unsigned	 min_rsa_bits;	/* smallest RSA key of ours */
	unsigned	 expiry_warning_days;
	const char	*minimum_grade;	/* "" or "A".."F": -n fails below */
	int		 minimum_grade_line;
	struct pol_log	 log;
	struct pol_control control;
	struct pol_listener *listeners;
	size_t		 nlisteners;
	struct pol_domain *domains;
	size_t		 ndomains;
	struct pol_limits limits;
	struct pol_timeouts timeouts;
	struct pol_dns	 dns;
	struct pol_route *routes;
	size_t		 nroutes;
	/*
	 * Rules: [0] the top of policy, [1 + dir] each direction's, then
	 * one per entry of the rules list and direction it applies to.
	 */
	struct pol_rule	*rules;
	size_t		 nrules;
	/* For lookups: per direction, the list rules, most specific first. */
	const struct pol_rule **bydir[POL_NDIR];
	size_t		 nbydir[POL_NDIR];
	/* Every distinct priority string, for one cache each. */
	const char	**priorities;
	size_t		 npriorities;
	/* Private to policy/. */
	struct pol__mem	*mem;
	_Atomic unsigned refs;
};

/*
 * Read and validate a configuration file.  On success *out is a new
 * snapshot with one reference.  On failure returns a negative POL_E_*
 * code and fills *diag (which may be NULL).
 */
int	 pol_load(const char *path, struct pol **out, struct pol_diag *diag);

/* The same from a buffer; name is used in diagnostics (the fuzz target). */
int	 pol_load_buffer(const char *buf, const char *name, struct pol **out,
	    struct pol_diag *diag);

struct pol *pol_ref(struct pol *p);
void	 pol_unref(struct pol *p);

/*
 * The effective rule for a direction and a domain (lower-case A-label;
 * NULL for no domain).  For c2s the domain is the served one (SNI or the
 * stream's to); for s2s it is the remote server's.  An exact match beats
 * a wildcard, and "*.example.org" matches names below example.org at any
 * depth, a longer suffix beating a shorter one.  Never NULL; the pointer
 * lives as long as p.  No allocation, no locking: per connection.
 */
const struct pol_rule *pol_rule(const struct pol *p, enum pol_dir dir,
	    const char *domain);

/* The static route for a remote domain (lower-case A-label), or NULL. */
const struct pol_route *pol_route(const struct pol *p, const char *domain);

/*
 * The served domain that name (lower-case A-label) is, or is a configured
 * subdomain of; NULL if none.
 */
const struct pol_domain *pol_domain(const struct pol *p, const char *name);

/* Does pattern ("example.org" or "*.example.org") match name? */
int	 pol_match(const char *pattern, const char *name);

/*
 * Normalise a domain from the wire or the file to a lower-case A-label in
 * out (at most outlen bytes incl. NUL).  Returns 0, or -1 if it is not a
 * valid IDNA2008 domain name.
 */
int	 pol_domain_normalise(const char *in, char *out, size_t outlen);

const char *pol_strerror(int err);
const char *pol_version_name(enum pol_version v);
const char *pol_dir_name(enum pol_dir d);
const char *pol_auth_name(enum pol_auth a);

/*
 * Grading with the IM Observatory (xmppoke) rubric, STANDARDS.md section
 * 15, extended to TLS 1.3: a TLS 1.3 version scores 100 like TLS 1.2,
 * its suites are ECDHE (never penalised) and count as forward secret,
 * and "no TLS 1.2" caps at C only when nothing at or above 1.2 is on.
 */
struct pol_grade_key {
	int		 rsa;		/* RSA (or DSA) key, else EC */
	unsigned	 bits;
	int		 md5;		/* MD5-signed somewhere in the chain */
};

#define POL_GRADE_MAXSUITES	64

struct pol_suite {
	const char	*name;		/* GnuTLS's: TLS_AES_128_GCM_SHA256 */
	unsigned char	 id[2];
	int		 kx, cipher, mac; /* gnutls_*_algorithm_t */
	int		 tls13;		/* a TLS 1.3 suite */
	int		 min_version;	/* gnutls_protocol_t it needs */
	unsigned	 bits;		/* cipher strength */
};

struct pol_grade {
	int		 versions[8];	/* gnutls_protocol_t, best first */
	size_t		 nversions;
	struct pol_suite suites[POL_GRADE_MAXSUITES];
	size_t		 nsuites;
	int		 protocol;	/* 0-100 */
	int		 kx;		/* 0-100 */
	int		 cipher;	/* 0-100 */
	double		 score;		/* 0.3 protocol + 0.3 kx + 0.4 cipher */
	char		 letter[3];	/* "A", "A-", "B" ... "F" */
	char		 why[160];	/* caps and notes, "" if none */
};

/*
 * Grade what GnuTLS would offer with priority (a string policy/ accepted)
 * and the keys of the chains served.  Returns 0, or -1 if GnuTLS refuses
 * the string.
 */
int	 pol_grade(const char *priority, const struct pol_grade_key *keys,
	    size_t nkeys, struct pol_grade *out);

/*
 * Compare two grade letters: negative if a is worse than b, 0 if equal,
 * positive if better ("A" > "A-" > "B" > ... > "F").
 */
int	 pol_grade_cmp(const char *a, const char *b);

/* The compiled-in default rule and limits (for -n output and tests). */
void	 pol_defaults(struct pol_limits *lim, struct pol_timeouts *to);

#endif /* POLICY_H */
