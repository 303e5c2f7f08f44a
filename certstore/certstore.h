/*
 * certstore: certificates, ours and our peers'.
 *
 * Owns: our chains and private keys per served domain (ECDSA and RSA side
 * by side; GnuTLS picks the one the client can use) with their OCSP
 * staples, the checks made on them when they are loaded (expiry, key
 * size, which names they cover), the trust anchors (the system store and
 * configured CA files), verification of a peer's chain as a server
 * certificate, RFC 6125 / RFC 9525 identity matching (DNS-ID, SRV-ID,
 * XmppAddr, wildcards, IDNs as A-labels, no CN unless asked), SPKI pins,
 * DANE matching against TLSA records handed in as data, POSH documents
 * (RFC 7711) read and matched, and the persistent per-peer history (last key, last TLS version, STARTTLS
 * offered, SRV targets, DNSSEC status) kept as one small file per peer
 * domain.
 *
 * Never touches: sockets, DNS, OCSP or POSH fetching, policy, logging,
 * the clock.
 * It reads only the files it is named and writes only below the state
 * directory it is given.  Every function that judges validity takes the
 * time as an argument.  What is worth telling the operator comes back as
 * data (struct cs_note, struct cs_diag); the caller logs it.
 *
 * Ownership: a struct cs is built by one thread (cs_new, cs_trust_*,
 * cs_add), then immutable and shared by every thread; cs_ref()/cs_unref()
 * count its users atomically.  Credentials, notes and chain descriptions
 * it returns live as long as the struct cs they came from.  Certificates
 * handed in (gnutls_datum_t chains, gnutls_x509_crt_t) stay the caller's.
 */
#ifndef CERTSTORE_H
#define CERTSTORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <gnutls/dane.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

enum cs_err {
	CS_OK		=   0,
	CS_E_IO		=  -1,	/* a file could not be read or written */
	CS_E_CERT	=  -2,	/* a chain or key GnuTLS refuses */
	CS_E_MISMATCH	=  -3,	/* key does not belong to the certificate */
	CS_E_NOMEM	=  -4,
	CS_E_DUP	=  -5,	/* domain added twice */
	CS_E_WEAKKEY	=  -6,	/* an RSA key below the minimum size */
	CS_E_EXPIRED	=  -7,	/* our certificate is expired or not yet
				   valid at the time given */
	CS_E_OCSP	=  -8,	/* a staple that is not a valid response
				   for its certificate, or says revoked */
	CS_E_TRUST	=  -9,	/* a trust anchor file GnuTLS refuses */
	CS_E_NAME	= -10,	/* not a valid domain name */
	CS_E_NOTFOUND	= -11,	/* no history for that peer yet */
	CS_E_FORMAT	= -12	/* a history file we cannot parse */
};

struct cs_diag {
	char		 file[256];	/* the file at fault, or "" */
	char		 msg[160];
};

/* How a store judges what it loads; cs_new() copies it. */
struct cs_opts {
	unsigned	 min_rsa_bits;	/* refuse our RSA keys below this */
	unsigned	 warn_days;	/* note chains ending within this */
	int		 cn_fallback;	/* see CS_MATCH_CN_FALLBACK */
};

/* Something the operator should hear about; the store keeps a list. */
enum cs_note_level {
	CS_NOTE_INFO,
	CS_NOTE_WARNING
};

struct cs_note {
	enum cs_note_level level;
	char		 domain[256];	/* "" when not about one domain */
	char		 file[256];	/* "" when not about one file */
	char		 msg[200];
};

/* What -n and the grade need to know about one of our chains. */
struct cs_chain_info {
	const char	*file;		/* the chain file */
	int		 key_algo;	/* gnutls_pk_algorithm_t of the leaf */
	unsigned	 key_bits;
	int		 sig_algo;	/* the leaf's gnutls_sign_algorithm_t */
	int		 md5;		/* some certificate is MD5-signed */
	time_t		 not_before;	/* the latest start in the chain */
	time_t		 not_after;	/* the earliest end in the chain */
	char		 subject[256];	/* the leaf's DN */
	unsigned char	 spki[32];	/* SHA-256 of the leaf's SPKI */
};

struct cs;

/*
 * An empty store with one reference, or NULL when out of memory.  opts
 * may be NULL: 2048-bit RSA minimum, 30 days' warning, no CN fallback.
 */
struct cs	*cs_new(const struct cs_opts *opts);

/*
 * Add the system's trust anchors (GnuTLS's compiled-in store, usually
 * /etc/ssl/certs).  Returns how many were added, or a negative CS_E_*
 * code with *diag filled (may be NULL).
 */
int		 cs_trust_system(struct cs *cs, struct cs_diag *diag);

/* Add every certificate of a PEM file as a trust anchor; as above. */
int		 cs_trust_file(struct cs *cs, const char *file,
		    struct cs_diag *diag);

/*
 * Add one chain (PEM: leaf first, then intermediates) and its key for
 * domain (a lower-case A-label, copied).  Call again for the same domain
 * to add a second key type.  ocsp, if not NULL, is a DER OCSP response
 * file stapled with this chain.  At time now, an expired or not yet valid
 * certificate in the chain is refused (CS_E_EXPIRED), so is an RSA key
 * below the minimum (CS_E_WEAKKEY) and a staple that does not answer for
 * this certificate or is badly signed or says revoked (CS_E_OCSP); a
 * chain ending soon, a stale staple, or a chain the trust anchors do not
 * verify each leave a note.  Returns 0 or a negative CS_E_* code and
 * fills *diag (may be NULL).  Not thread safe: build, then share.
 */
int		 cs_add(struct cs *cs, const char *domain, const char *chain,
		    const char *key, const char *ocsp, time_t now,
		    struct cs_diag *diag);

/* The credentials for domain, or NULL if it is not served. */
gnutls_certificate_credentials_t cs_credentials(const struct cs *cs,
		    const char *domain);

/* Number of chains loaded for domain (0 if not served). */
size_t		 cs_chains(const struct cs *cs, const char *domain);

/* The i-th chain of domain, or NULL. */
const struct cs_chain_info *cs_chain(const struct cs *cs,
		    const char *domain, size_t i);

/*
 * Is name (a lower-case A-label) an identity of some chain of domain,
 * as a DNS-ID (wildcards included), an SRV-ID of either XMPP service, or
 * an XmppAddr?  1 yes, 0 no.
 */
int		 cs_covers(const struct cs *cs, const char *domain,
		    const char *name);

/*
 * Does the i-th chain of domain verify against the store's trust anchors
 * as a server certificate for domain at time now?  1 yes, 0 no.
 */
int		 cs_chain_trusted(const struct cs *cs, const char *domain,
		    size_t i, time_t now);

/* Everything noted while the store was built, in order. */
size_t		 cs_notes(const struct cs *cs, const struct cs_note **notes);

/*
 * Peer identity (RFC 6120 section 13.7, RFC 6125, RFC 9525).
 *
 * The service decides which SRV-ID counts: _xmpp-client for a client's
 * server, _xmpp-server for a peer server.  An SRV-ID of the other service
 * never matches.
 */
enum cs_service {
	CS_XMPP_CLIENT,
	CS_XMPP_SERVER
};

/* Which presented identifier matched. */
enum cs_id {
	CS_ID_NONE	= 0,
	CS_ID_DNS	= 1,	/* dNSName, exact */
	CS_ID_WILDCARD	= 2,	/* dNSName *.example.org, one label */
	CS_ID_SRV	= 3,	/* SRVName _xmpp-(client|server).domain */
	CS_ID_XMPPADDR	= 4,	/* id-on-xmppAddr holding the domain */
	CS_ID_CN	= 5	/* subject CN, only with CN fallback */
};

/*
 * Accept the subject CN as a DNS-ID, and only when the certificate has
 * no DNS-ID, SRV-ID, XmppAddr or URI at all (RFC 6125 section 6.4.4).
 * Off unless asked for: RFC 9525 drops CN-ID.
 */
#define CS_MATCH_CN_FALLBACK	0x1

/*
 * Match crt's identities against domain (a U-label or A-label domain,
 * any case; compared as lower-case A-labels through libidn2) for the
 * service svc.  Returns the enum cs_id that matched (> 0), CS_ID_NONE,
 * or CS_E_NAME if domain is not a valid domain name.  Pure: no trust, no
 * time.  Safe on any certificate GnuTLS managed to import.
 */
int		 cs_match_identity(gnutls_x509_crt_t crt, const char *domain,
		    enum cs_service svc, unsigned flags);

/* What cs_verify_peer() found out about a peer's chain. */
struct cs_peer_result {
	int		 pkix;		/* 1: chains to a trust anchor, every
					   certificate in date, the purpose
					   serverAuth or no EKU at all */
	unsigned	 status;	/* gnutls_certificate_status_t bits
					   when pkix is 0 */
	char		 reason[128];	/* why not, in words; "" if pkix */
	enum cs_id	 id;		/* how ref_domain matched, or NONE */
	unsigned char	 spki[32];	/* SHA-256 of the leaf's SPKI */
	char		 subject[256];	/* the leaf's DN */
	char		 issuer[256];	/* the leaf issuer's DN */
	time_t		 not_before, not_after;	/* the leaf's */
	int		 key_algo;	/* gnutls_pk_algorithm_t */
	unsigned	 key_bits;
};

/*
 * Verify a peer's chain (DER, leaf first, as gnutls_certificate_get_peers
 * returns it) at time now against the store's trust anchors, as a server
 * certificate whichever side the peer was on: the purpose must be
 * serverAuth or absent, never clientAuth (STANDARDS.md ID-8), and RSA
 * keys below the store's minimum fail.  Then match its identities against
 * ref_domain for svc (cs_match_identity(), with the store's CN setting).
 * PKIX and identity are reported separately: the caller's policy decides
 * (DANE and pins can stand in for PKIX; nothing stands in for identity).
 * Returns 0 with *out filled, or CS_E_CERT (no certificate, or one that
 * is not X.509 DER), CS_E_NAME (ref_domain invalid), CS_E_NOMEM.
 */
int		 cs_verify_peer(const struct cs *cs,
		    const gnutls_datum_t *chain, unsigned n,
		    const char *ref_domain, enum cs_service svc, time_t now,
		    struct cs_peer_result *out);

/*
 * cs_verify_peer() with several reference identifiers, in order of
 * preference: the source domain first, then (ID-9) names derived from it
 * securely, such as an SRV target that DNSSEC validated.  *which gets the
 * index of the one that matched, -1 if none did (may be NULL).  out->id
 * is how it matched.
 */
int		 cs_verify_peer_refs(const struct cs *cs,
		    const gnutls_datum_t *chain, unsigned n,
		    const char *const *refs, size_t nrefs,
		    enum cs_service svc, time_t now,
		    struct cs_peer_result *out, int *which);

/*
 * Pins: SHA-256 of a SubjectPublicKeyInfo (RFC 7469's pin-sha256), as 32
 * raw bytes.  Written "sha256/" + base64 in files and logs.
 */
int		 cs_spki_sha256(gnutls_x509_crt_t crt, unsigned char out[32]);

/* "sha256/BASE64" for spki into out (at least 52 bytes). */
void		 cs_spki_format(const unsigned char spki[32], char *out,
		    size_t outlen);

/*
 * The index of the first certificate of chain (DER, leaf first) whose
 * SPKI is among the npins pins, or -1.  A pin may name the leaf's key or
 * an issuer's.  Certificates that do not parse never match.
 */
int		 cs_pin_match(const gnutls_datum_t *chain, unsigned n,
		    const unsigned char (*pins)[32], size_t npins);

/* Bytes of SRV targets a history keeps; a longer list is cut. */
#define CS_HIST_SRV_MAX	1024

/*
 * Peer history: what was last seen of a peer domain, so a changed key, a
 * lower TLS version or a missing STARTTLS offer can be noticed (OBS-3).
 * Stored as <state-dir>/peers/<A-label>, "key=value" lines, replaced
 * atomically (temporary file, fsync, rename, fsync of the directory).
 */
struct cs_history {
	char		 domain[254];	/* lower-case A-label */
	int		 have_spki;
	unsigned char	 spki[32];	/* the key seen last */
	unsigned char	 prev_spki[32];	/* the one before, if it changed */
	int		 have_prev_spki;
	int		 tls_version;	/* gnutls_protocol_t; 0 unknown */
	int		 starttls;	/* 1 offered, 0 not, -1 unknown */
	time_t		 first_seen;	/* first observation */
	time_t		 last_seen;	/* latest observation */
	time_t		 spki_since;	/* when the current key appeared */
	/* The certificates that held those keys: issuer and validity. */
	char		 issuer[256], prev_issuer[256];
	time_t		 not_before, not_after;
	time_t		 prev_not_before, prev_not_after;
	/*
	 * What DNS said at the last outbound contact: the SRV targets
	 * ("host:port" words, sorted; "." when the domain had no SRV and
	 * was reached on its own name) and whether the answers were
	 * DNSSEC-secure (1), insecure (0) or not known (-1).
	 */
	char		 srv[CS_HIST_SRV_MAX], prev_srv[CS_HIST_SRV_MAX];
	int		 dnssec;
};

/* What an observation changed, as bits. */
#define CS_HIST_NEW		0x1	/* nothing was known of the peer */
#define CS_HIST_SPKI_CHANGED	0x2	/* a different key than last time */
#define CS_HIST_VERSION_LOWER	0x4	/* a lower TLS version than last */
#define CS_HIST_STARTTLS_LOST	0x8	/* STARTTLS offered before, not now */
#define CS_HIST_SRV_CHANGED	0x10	/* other SRV targets than last time */
#define CS_HIST_DNSSEC_LOST	0x20	/* secure last time, insecure now */

/*
 * After cs_history_observe() with a key: the certificate that carried it
 * (issuer DN, validity), so a later change can be told with both.
 */
void		 cs_history_set_cert(struct cs_history *h, const char *issuer,
		    time_t not_before, time_t not_after);

/* An empty history for domain (an A-label); CS_E_NAME if invalid. */
int		 cs_history_init(struct cs_history *h, const char *domain);

/*
 * Record an observation at time now in h: spki may be NULL (no
 * certificate seen), tls_version 0 and starttls -1 when unknown.
 * Returns the CS_HIST_* bits describing what changed against what h
 * held; h then holds the new facts (and the replaced key in prev_spki).
 */
unsigned	 cs_history_observe(struct cs_history *h,
		    const unsigned char *spki, int tls_version, int starttls,
		    time_t now);

/*
 * Record what DNS said of the peer at an outbound contact: srv, its SRV
 * targets as "host:port" words in any order (sorted and deduplicated
 * here), or "." when it has no SRV records; dnssec 1 secure, 0 insecure,
 * -1 unknown.  Returns CS_HIST_SRV_CHANGED if the targets differ from the
 * ones h held (which move to prev_srv), CS_HIST_DNSSEC_LOST if h said
 * secure and this says insecure; h then holds the new facts.
 */
unsigned	 cs_history_observe_dns(struct cs_history *h, const char *srv,
		    int dnssec);

/*
 * Create <dir>/peers (mode 0700) if it is missing.  Returns 0 or CS_E_IO
 * with *diag filled.
 */
int		 cs_history_prepare(const char *dir, struct cs_diag *diag);

/*
 * Read the history of domain from dir into *h.  Returns 0, CS_E_NOTFOUND
 * (h is then a fresh cs_history_init()), CS_E_NAME, CS_E_IO or
 * CS_E_FORMAT with *diag filled (may be NULL).
 */
int		 cs_history_load(const char *dir, const char *domain,
		    struct cs_history *h, struct cs_diag *diag);

/* Write *h atomically under dir.  Returns 0, CS_E_NAME or CS_E_IO. */
int		 cs_history_save(const char *dir, const struct cs_history *h,
		    struct cs_diag *diag);

/*
 * DANE (RFC 6698, RFC 7671, RFC 7673).  TLSA records reach certstore as
 * data: proxy/dns.c fetches them and hands over only a set that DNSSEC
 * validated.  Matching one certificate against one record (selector,
 * matching type, and for the TA usages that the named certificate
 * issued the one below it) is libgnutls-dane's; what RFC 7671 asks on
 * top is done here.
 */
enum cs_tlsa_usage {
	CS_TLSA_PKIX_TA	= 0,	/* a CA in the PKIX path, plus PKIX */
	CS_TLSA_PKIX_EE	= 1,	/* the leaf, plus PKIX */
	CS_TLSA_DANE_TA	= 2,	/* the trust anchor of the chain: path
				   from it, names, dates */
	CS_TLSA_DANE_EE	= 3	/* the leaf alone: no names, no dates */
};

/* One TLSA record's RDATA; data stays the caller's. */
struct cs_tlsa {
	unsigned char	 usage;		/* 0-3, else unusable */
	unsigned char	 selector;	/* 0 certificate, 1 SPKI */
	unsigned char	 mtype;		/* 0 full, 1 SHA-256, 2 SHA-512 */
	const unsigned char *data;
	size_t		 len;
};

struct cs_dane_result {
	size_t		 usable;	/* records that could be used */
	int		 matched;	/* index of the matching record, -1 */
	unsigned	 usage, selector, mtype; /* of that record */
	unsigned	 depth;		/* chain index it named (the issuer
					   of the last certificate sent is
					   depth n, for PKIX-TA) */
	int		 ref;		/* refs[] index the name check found
					   (-1 for DANE-EE: no name check) */
	enum cs_id	 id;		/* how that name matched */
	char		 reason[192];	/* why none matched, "" if one did */
};

/*
 * Is the peer's chain (DER, leaf first) one that the TLSA set describes,
 * at time now, for the reference names refs[0..nrefs) (the source
 * domain, and the SRV target when the SRV answer was secure)?  A record
 * with an unknown usage, selector or matching type, or a digest of the
 * wrong length, is unusable and ignored (RFC 7671 section 4.1); with no
 * usable record out->usable is 0 and nothing matches (DANE does not
 * apply: PKIX rules).  One matching record suffices.
 *
 * dane is a state from dane_state_init(&dane,
 * DANE_F_IGNORE_LOCAL_RESOLVER | DANE_F_IGNORE_DNSSEC) that the caller
 * owns; only its flags are read, so one may serve every thread.
 * certstore never makes one: that opens unbound's socket pairs.
 *
 * Returns 0 with *out filled, or CS_E_CERT (no chain, or a certificate
 * that is not X.509 DER), CS_E_NAME (a reference name is invalid),
 * CS_E_NOMEM.
 */
int		 cs_dane_match(const struct cs *cs, dane_state_t dane,
		    const gnutls_datum_t *chain, unsigned n,
		    const struct cs_tlsa *tlsa, size_t ntlsa,
		    const char *const *refs, size_t nrefs, time_t now,
		    struct cs_dane_result *out);

/* "3 1 1", "2 0 1" ...: what a record is, for logs (12 bytes hold any). */
void		 cs_tlsa_label(const struct cs_tlsa *t, char *out,
		    size_t outlen);

/*
 * The TLSA data to publish for the i-th chain of domain, as lower-case
 * hex into out: for the leaf (ta 0: usages 1 and 3), or for the topmost
 * certificate served above it (ta 1: usages 0 and 2).  selector 0 or 1,
 * mtype 1 or 2.  Returns 0, CS_E_NOTFOUND (no such chain, or ta 1 and
 * the chain is a lone certificate), CS_E_CERT, or CS_E_NOMEM (out too
 * small: 129 bytes hold a SHA-512).
 */
int		 cs_chain_tlsa(const struct cs *cs, const char *domain,
		    size_t i, int ta, unsigned selector, unsigned mtype,
		    char *out, size_t outlen);

/*
 * POSH (RFC 7711): a domain vouches over HTTPS for the certificate its
 * XMPP server presents.  The proxy fetches the document; certstore reads
 * it and matches.
 */
#define CS_POSH_MAX_FP	16

struct cs_posh_fp {
	unsigned char	 sha256[32], sha512[64];
	int		 has256, has512;
};

struct cs_posh {
	struct cs_posh_fp fp[CS_POSH_MAX_FP];	/* those with a known hash */
	size_t		 nfp;
	long long	 expires;	/* seconds it may be kept; -1 absent */
	char		 url[512];	/* a delegation (https://...), "" if
					   none or if there are fingerprints */
};

/*
 * Read a POSH document (JSON) of len bytes into *out.  Returns 0, or
 * CS_E_FORMAT for anything that is not one well-formed JSON object, or a
 * delegation url that is not https.  Members other than fingerprints,
 * expires and url are skipped; so are hashes other than sha-256 and
 * sha-512 and digests that do not decode to their length.
 */
int		 cs_posh_parse(const char *doc, size_t len,
		    struct cs_posh *out);

/*
 * Does the DER certificate leaf match a fingerprint of p (the hash of the
 * whole certificate; where one entry gives both hashes, both)?  1 yes,
 * 0 no.
 */
int		 cs_posh_match(const gnutls_datum_t *leaf,
		    const struct cs_posh *p);

struct cs	*cs_ref(struct cs *cs);
void		 cs_unref(struct cs *cs);

const char	*cs_strerror(int err);
const char	*cs_id_name(enum cs_id id);

#endif /* CERTSTORE_H */
