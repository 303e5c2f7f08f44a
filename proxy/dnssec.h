/*
 * dnssec.h: validating DNS answers here, with ldns, from a configured
 * trust anchor, so that no resolver need be trusted (RFC 4033-4035).
 *
 * A validator lives for one lookup on the threadpool and asks through
 * the lookup's resolver, which must have DO and CD set: the resolver
 * hands over the records and signatures as they are, whatever it thinks
 * of them.  It keeps the zone keys it validated, so the questions one
 * lookup asks share the work of the chain.
 *
 * An answer is
 *  - secure when every RRset of its answer section is signed by a key
 *    the chain from the anchor vouches for, at the time given, or when
 *    a signed NSEC or NSEC3 proof shows the name or type does not exist;
 *  - insecure when it lies below a delegation that a signed proof shows
 *    has no DS (a provably unsigned zone), or outside every anchor;
 *  - bogus otherwise: a bad or missing signature in a signed zone, an
 *    unsigned answer with no such proof, a denial that proves nothing.
 */
#ifndef PROXY_DNSSEC_H
#define PROXY_DNSSEC_H

#include <time.h>

#include <ldns/ldns.h>

#include "dns.h"

struct dnsval;

/*
 * A validator asking through r (not owned; DO and CD set) from anchors
 * (DS or DNSKEY records; not owned, not changed), judging signatures at
 * now.  NULL when out of memory.
 */
struct dnsval	*dnsval_new(ldns_resolver *r, const ldns_rr_list *anchors,
		    time_t now);
void		 dnsval_free(struct dnsval *v);

/*
 * The status of p, the answer to qname (a dname) and qtype.  For bogus,
 * why says what failed.
 */
enum dns_sec	 dnsval_check(struct dnsval *v, const ldns_pkt *p,
		    const ldns_rdf *qname, ldns_rr_type qtype, char *why,
		    size_t whylen);

/*
 * Read a trust anchor file: DS and DNSKEY records in zone file syntax
 * (comments, $ORIGIN and $TTL allowed; other types skipped).  Returns
 * the list, or NULL with err filled ("line N: ...").
 */
ldns_rr_list	*dnsval_read_anchors(const char *file, char *err,
		    size_t errlen);

#endif /* PROXY_DNSSEC_H */
