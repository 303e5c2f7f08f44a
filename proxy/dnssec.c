/*
 * dnssec.c: DNSSEC validation of answers with ldns, from a trust anchor.
 *
 * The chain of trust from an anchor down to the zone that signed an
 * answer is ldns's ldns_fetch_valid_domain_keys_time(): it asks for the
 * DNSKEY and DS records on the way, checks each DS against the keys
 * above, each DNSKEY set against its DS, and returns the keys it can
 * vouch for.  Signatures are checked with ldns_verify_rrsig_keylist_time()
 * at the time given, denials with ldns_dnssec_verify_denial() and its
 * NSEC3 counterpart (but NSEC3 NODATA proofs here, as ldns leaks memory
 * on that path).  What ldns leaves to its caller is done here:
 *  - that the signer of an RRset is its owner or an ancestor of it, so a
 *    zone cannot sign for names outside itself;
 *  - that an answer synthesised from a wildcard comes with a proof that
 *    the name itself does not exist (RFC 4035 section 5.3.4);
 *  - that an unsigned answer is only insecure when a signed proof shows
 *    a delegation above it without DS (RFC 4035 section 5.2): walking
 *    down from the anchor, asking for DS at each name, until a signed
 *    NSEC or NSEC3 shows a delegation with NS and no DS (or an opt-out
 *    NSEC3 covers it).  Without that proof an unsigned answer is bogus:
 *    an attacker who strips signatures gains nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec.h"

#define MAX_ZONES	16	/* zone keys kept per lookup */
#define MAX_CUTS	8	/* unsigned delegations kept per lookup */

struct zone_keys {
	ldns_rdf		*zone;
	ldns_rr_list		*keys;		/* NULL: no valid chain */
};

struct dnsval {
	ldns_resolver		*r;
	const ldns_rr_list	*anchors;
	time_t			 now;
	struct zone_keys	 zones[MAX_ZONES];
	size_t			 nzones;
	ldns_rdf		*cuts[MAX_CUTS];
	size_t			 ncuts;
};

struct dnsval *
dnsval_new(ldns_resolver *r, const ldns_rr_list *anchors, time_t now)
{
	struct dnsval *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->r = r;
	v->anchors = anchors;
	v->now = now;
	return v;
}

void
dnsval_free(struct dnsval *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nzones; i++) {
		ldns_rdf_deep_free(v->zones[i].zone);
		ldns_rr_list_deep_free(v->zones[i].keys);
	}
	for (size_t i = 0; i < v->ncuts; i++)
		ldns_rdf_deep_free(v->cuts[i]);
	free(v);
}

static void
say(char *why, size_t whylen, const char *what, const ldns_rdf *name)
{
	char *n;

	if (why == NULL || whylen == 0 || why[0] != '\0')
		return;
	n = name != NULL ? ldns_rdf2str(name) : NULL;
	snprintf(why, whylen, "%s%s%s", what, n != NULL ? " at " : "",
	    n != NULL ? n : "");
	free(n);
}

/* Is name equal to or below parent? */
static int
at_or_below(const ldns_rdf *name, const ldns_rdf *parent)
{
	return ldns_dname_compare(name, parent) == 0 ||
	    ldns_dname_is_subdomain(name, parent);
}

/* The keys the chain from the anchors vouches for at zone, or NULL. */
static const ldns_rr_list *
keys_for(struct dnsval *v, const ldns_rdf *zone)
{
	struct zone_keys *z;
	ldns_status st;

	for (size_t i = 0; i < v->nzones; i++)
		if (ldns_dname_compare(v->zones[i].zone, zone) == 0)
			return v->zones[i].keys;
	if (v->nzones == MAX_ZONES) {
		/* Forget the oldest rather than fail. */
		ldns_rdf_deep_free(v->zones[0].zone);
		ldns_rr_list_deep_free(v->zones[0].keys);
		memmove(&v->zones[0], &v->zones[1],
		    (MAX_ZONES - 1) * sizeof(v->zones[0]));
		v->nzones--;
	}
	z = &v->zones[v->nzones];
	if ((z->zone = ldns_rdf_clone(zone)) == NULL)
		return NULL;
	z->keys = ldns_fetch_valid_domain_keys_time(v->r, zone, v->anchors,
	    v->now, &st);
	if (z->keys != NULL && (st != LDNS_STATUS_OK ||
	    ldns_rr_list_rr_count(z->keys) == 0)) {
		ldns_rr_list_deep_free(z->keys);
		z->keys = NULL;
	}
	v->nzones++;
	return z->keys;
}

/* The RRSIGs in l over owner and type, as a new list (maybe empty). */
static ldns_rr_list *
sigs_over(const ldns_rr_list *l, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();

	if (out == NULL)
		return NULL;
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rr *c;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0 ||
		    ldns_rr_rrsig_typecovered(rr) == NULL ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != type)
			continue;
		if ((c = ldns_rr_clone(rr)) == NULL ||
		    !ldns_rr_list_push_rr(out, c)) {
			ldns_rr_free(c);
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	return out;
}

/* The records of l with this owner and type, as a new list. */
static ldns_rr_list *
rrset_of(const ldns_rr_list *l, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();

	if (out == NULL)
		return NULL;
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rr *c;

		if (ldns_rr_get_type(rr) != type ||
		    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		if ((c = ldns_rr_clone(rr)) == NULL ||
		    !ldns_rr_list_push_rr(out, c)) {
			ldns_rr_free(c);
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	return out;
}

static const ldns_rdf *anchor_for(const struct dnsval *v,
    const ldns_rdf *name);

/*
 * Is rrset signed by one of sigs with a key the chain vouches for?
 * *wild gets 1 when the signature that held was made over a wildcard.
 */
static int
verified(struct dnsval *v, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, int *wild)
{
	const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(rrset, 0));

	*wild = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *signer = ldns_rr_rrsig_signame(sig);
		const ldns_rr_list *keys;

		/* A zone signs for itself, and only under an anchor. */
		if (signer == NULL || !at_or_below(owner, signer) ||
		    anchor_for(v, signer) == NULL)
			continue;
		if ((keys = keys_for(v, signer)) == NULL)
			continue;
		if (ldns_verify_rrsig_keylist_time(rrset, sig, keys, v->now,
		    NULL) != LDNS_STATUS_OK)
			continue;
		*wild = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)) <
		    ldns_dname_label_count(owner);
		return 1;
	}
	return 0;
}

/*
 * Verify every NSEC and NSEC3 RRset of the authority section of p; the
 * verified records go to *nsecs, the signatures over them to *sigs.
 * Returns the number of RRsets verified, -1 if one failed.
 */
static int
denials(struct dnsval *v, const ldns_pkt *p, ldns_rr_type type,
    ldns_rr_list **nsecs, ldns_rr_list **sigs)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	int n = 0;

	*nsecs = ldns_rr_list_new();
	*sigs = ldns_rr_list_new();
	if (*nsecs == NULL || *sigs == NULL)
		return -1;
	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth);
	    i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		ldns_rr_list *set, *s;
		int wild, ok;

		if (ldns_rr_get_type(rr) != type)
			continue;
		/* Once per owner. */
		for (size_t j = 0; j < ldns_rr_list_rr_count(*nsecs); j++)
			if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(
			    *nsecs, j)), ldns_rr_owner(rr)) == 0)
				goto next;
		set = rrset_of(auth, ldns_rr_owner(rr), type);
		s = sigs_over(auth, ldns_rr_owner(rr), type);
		ok = set != NULL && s != NULL && ldns_rr_list_rr_count(s) > 0 &&
		    verified(v, set, s, &wild) && !wild;
		if (ok && (!ldns_rr_list_cat(*nsecs, set) ||
		    !ldns_rr_list_cat(*sigs, s)))
			ok = 0;
		/* cat copied the pointers: free only the containers. */
		if (ok) {
			ldns_rr_list_free(set);
			ldns_rr_list_free(s);
		} else {
			ldns_rr_list_deep_free(set);
			ldns_rr_list_deep_free(s);
			return -1;
		}
		n++;
next:
		;
	}
	return n;
}

/* Of the NSEC3 records l, the one whose hash is name's, or NULL. */
static const ldns_rr *
nsec3_match(const ldns_rr_list *l, const ldns_rdf *name, int cover,
    int *optout)
{
	*optout = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(rr, name);
		ldns_rdf *zone = ldns_dname_left_chop(ldns_rr_owner(rr));
		int hit = 0;

		if (h != NULL && zone != NULL &&
		    ldns_dname_cat(h, zone) == LDNS_STATUS_OK) {
			if (!cover)
				hit = ldns_dname_compare(h,
				    ldns_rr_owner(rr)) == 0;
			else
				hit = ldns_dname_compare(h,
				    ldns_rr_owner(rr)) != 0 &&
				    ldns_nsec_covers_name(rr, h);
		}
		ldns_rdf_deep_free(h);
		ldns_rdf_deep_free(zone);
		if (hit) {
			*optout = ldns_nsec3_optout(rr);
			return rr;
		}
	}
	return NULL;
}

/* The NSEC3 record m lists neither qtype nor CNAME. */
static int
nsec3_lacks(const ldns_rr *m, ldns_rr_type qtype)
{
	ldns_rdf *bm = ldns_nsec3_bitmap(m);

	return bm != NULL && !ldns_nsec_bitmap_covers_type(bm, qtype) &&
	    !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_CNAME);
}

/*
 * A NODATA answer under NSEC3 (RFC 5155 sections 8.5 and 8.7): a record
 * for qname itself, or for the wildcard at its closest encloser, that
 * lists neither qtype nor CNAME.  ldns_dnssec_verify_denial_nsec3()
 * checks the same but loses the hashed name on this path, every time.
 */
static ldns_status
nsec3_nodata(const ldns_rr_list *nsecs, const ldns_rdf *qname,
    ldns_rr_type qtype)
{
	ldns_status st = LDNS_STATUS_DNSSEC_NSEC_RR_NOT_COVERED;
	const ldns_rr *m;
	ldns_rdf *ce, *wild;
	int optout;

	if ((m = nsec3_match(nsecs, qname, 0, &optout)) != NULL)
		return nsec3_lacks(m, qtype) ? LDNS_STATUS_OK : st;
	if ((ce = ldns_dnssec_nsec3_closest_encloser(qname, qtype,
	    nsecs)) == NULL)
		return LDNS_STATUS_NSEC3_ERR;
	wild = ldns_dname_new_frm_str("*");
	if (wild != NULL && ldns_dname_cat(wild, ce) == LDNS_STATUS_OK &&
	    (m = nsec3_match(nsecs, wild, 0, &optout)) != NULL &&
	    nsec3_lacks(m, qtype))
		st = LDNS_STATUS_OK;
	ldns_rdf_deep_free(wild);
	ldns_rdf_deep_free(ce);
	return st;
}

enum step { STEP_ON, STEP_INSECURE, STEP_BOGUS };

/* What a DS question at n says about the way down to the answer. */
static enum step
ds_step(struct dnsval *v, const ldns_rdf *n, char *why, size_t whylen)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *ds = NULL, *sigs = NULL, *nsecs = NULL, *nsigs = NULL;
	enum step st = STEP_BOGUS;
	int wild, k;

	if (ldns_resolver_query_status(&p, v->r, n, LDNS_RR_TYPE_DS,
	    LDNS_RR_CLASS_IN, LDNS_RD) != LDNS_STATUS_OK || p == NULL ||
	    (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN)) {
		say(why, whylen, "no answer to a DS question", n);
		goto out;
	}
	ds = rrset_of(ldns_pkt_answer(p), n, LDNS_RR_TYPE_DS);
	sigs = sigs_over(ldns_pkt_answer(p), n, LDNS_RR_TYPE_DS);
	if (ds == NULL || sigs == NULL)
		goto out;
	if (ldns_rr_list_rr_count(ds) > 0) {
		/* A signed delegation: go on below it. */
		if (verified(v, ds, sigs, &wild) && !wild)
			st = STEP_ON;
		else
			say(why, whylen, "DS records that do not verify", n);
		goto out;
	}
	if ((k = denials(v, p, LDNS_RR_TYPE_NSEC, &nsecs, &nsigs)) > 0) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(nsecs, i);
			ldns_rdf *bm = ldns_nsec_get_bitmap(rr);

			if (ldns_dname_compare(ldns_rr_owner(rr), n) == 0) {
				if (bm == NULL || ldns_nsec_bitmap_covers_type(bm,
				    LDNS_RR_TYPE_DS) ||
				    ldns_nsec_bitmap_covers_type(bm,
				    LDNS_RR_TYPE_SOA)) {
					/*
					 * DS claimed, or the child's own apex
					 * answering for its parent: no proof.
					 */
					say(why, whylen, "a DS denial that"
					    " proves nothing", n);
					goto out;
				}
				st = ldns_nsec_bitmap_covers_type(bm,
				    LDNS_RR_TYPE_NS) ? STEP_INSECURE : STEP_ON;
				goto out;
			}
			if (ldns_nsec_covers_name(rr, n)) {
				/* No such node: an empty non-terminal. */
				st = STEP_ON;
				goto out;
			}
		}
		say(why, whylen, "a DS denial that covers nothing", n);
		goto out;
	}
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(nsigs);
	nsecs = nsigs = NULL;
	if (k == 0 &&
	    (k = denials(v, p, LDNS_RR_TYPE_NSEC3, &nsecs, &nsigs)) > 0) {
		const ldns_rr *m;
		int optout;

		if ((m = nsec3_match(nsecs, n, 0, &optout)) != NULL) {
			ldns_rdf *bm = ldns_nsec3_bitmap(m);

			if (bm == NULL || ldns_nsec_bitmap_covers_type(bm,
			    LDNS_RR_TYPE_DS) || ldns_nsec_bitmap_covers_type(bm,
			    LDNS_RR_TYPE_SOA)) {
				say(why, whylen, "a DS denial that proves"
				    " nothing", n);
				goto out;
			}
			st = ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) ?
			    STEP_INSECURE : STEP_ON;
			goto out;
		}
		if (nsec3_match(nsecs, n, 1, &optout) != NULL) {
			/* Opt-out may hide an unsigned delegation here. */
			st = optout ? STEP_INSECURE : STEP_ON;
			goto out;
		}
		say(why, whylen, "an NSEC3 denial that covers nothing", n);
		goto out;
	}
	say(why, whylen, k < 0 ? "a DS denial that does not verify" :
	    "an unsigned answer to a DS question", n);
out:
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(nsigs);
	ldns_pkt_free(p);
	return st;
}

/* The deepest anchor at or above name, or NULL. */
static const ldns_rdf *
anchor_for(const struct dnsval *v, const ldns_rdf *name)
{
	const ldns_rdf *best = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(v->anchors); i++) {
		const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(v->anchors,
		    i));

		if (at_or_below(name, o) && (best == NULL ||
		    ldns_dname_label_count(o) > ldns_dname_label_count(best)))
			best = o;
	}
	return best;
}

/*
 * An answer at name came unsigned (or signed by keys no chain reaches):
 * insecure if a signed proof shows an unsigned delegation on the way
 * down from the anchor, else bogus.
 */
static enum dns_sec
unsigned_answer(struct dnsval *v, const ldns_rdf *name, int signed_,
    char *why, size_t whylen)
{
	const ldns_rdf *a = anchor_for(v, name);
	uint8_t total, top;

	if (a == NULL)
		return DNS_SEC_INSECURE;	/* no anchor speaks for it */
	for (size_t i = 0; i < v->ncuts; i++)
		if (at_or_below(name, v->cuts[i]))
			return DNS_SEC_INSECURE;
	total = ldns_dname_label_count(name);
	top = ldns_dname_label_count(a);
	for (uint8_t depth = (uint8_t)(top + 1); depth <= total; depth++) {
		ldns_rdf *n = ldns_dname_clone_from(name, (uint16_t)(total -
		    depth));
		enum step st;

		if (n == NULL) {
			say(why, whylen, "out of memory", NULL);
			return DNS_SEC_BOGUS;
		}
		st = ds_step(v, n, why, whylen);
		if (st == STEP_INSECURE) {
			if (v->ncuts < MAX_CUTS)
				v->cuts[v->ncuts++] = n;
			else
				ldns_rdf_deep_free(n);
			return DNS_SEC_INSECURE;
		}
		ldns_rdf_deep_free(n);
		if (st == STEP_BOGUS)
			return DNS_SEC_BOGUS;
	}
	say(why, whylen, signed_ ? "signatures that do not verify" :
	    "an unsigned answer in a signed zone", name);
	return DNS_SEC_BOGUS;
}

/* A wildcard answer at name: is name itself shown not to exist? */
static int
no_closer_match(struct dnsval *v, const ldns_pkt *p, const ldns_rdf *name)
{
	ldns_rr_list *nsecs = NULL, *sigs = NULL;
	int ok = 0, optout;

	if (denials(v, p, LDNS_RR_TYPE_NSEC, &nsecs, &sigs) > 0) {
		for (size_t i = 0; !ok && i < ldns_rr_list_rr_count(nsecs); i++)
			ok = ldns_dname_compare(ldns_rr_owner(
			    ldns_rr_list_rr(nsecs, i)), name) != 0 &&
			    ldns_nsec_covers_name(ldns_rr_list_rr(nsecs, i),
			    name);
	} else {
		ldns_rr_list_deep_free(nsecs);
		ldns_rr_list_deep_free(sigs);
		nsecs = sigs = NULL;
		if (denials(v, p, LDNS_RR_TYPE_NSEC3, &nsecs, &sigs) > 0)
			ok = nsec3_match(nsecs, name, 1, &optout) != NULL;
	}
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	return ok;
}

/* Nothing in the answer: the denial must hold, or be provably unsigned. */
static enum dns_sec
negative(struct dnsval *v, const ldns_pkt *p, const ldns_rdf *qname,
    ldns_rr_type qtype, char *why, size_t whylen)
{
	ldns_rr_list *nsecs = NULL, *sigs = NULL;
	enum dns_sec sec = DNS_SEC_BOGUS;
	ldns_rr *q = NULL;
	ldns_status st;
	int k;

	if ((q = ldns_rr_new()) == NULL ||
	    (ldns_rr_set_owner(q, ldns_rdf_clone(qname)),
	    ldns_rr_owner(q) == NULL)) {
		ldns_rr_free(q);
		say(why, whylen, "out of memory", NULL);
		return DNS_SEC_BOGUS;
	}
	ldns_rr_set_type(q, qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	if ((k = denials(v, p, LDNS_RR_TYPE_NSEC, &nsecs, &sigs)) > 0) {
		st = ldns_dnssec_verify_denial(q, nsecs, sigs);
		if (st == LDNS_STATUS_OK)
			sec = DNS_SEC_SECURE;
		else
			say(why, whylen, ldns_get_errorstr_by_id(st), qname);
		goto out;
	}
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	nsecs = sigs = NULL;
	if (k == 0 &&
	    (k = denials(v, p, LDNS_RR_TYPE_NSEC3, &nsecs, &sigs)) > 0) {
		if (ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR)
			st = nsec3_nodata(nsecs, qname, qtype);
		else
			st = ldns_dnssec_verify_denial_nsec3(q, nsecs, sigs,
			    ldns_pkt_get_rcode(p), qtype, 0);
		if (st == LDNS_STATUS_OK)
			sec = DNS_SEC_SECURE;
		else
			say(why, whylen, ldns_get_errorstr_by_id(st), qname);
		goto out;
	}
	/* Unsigned, or signed with keys no chain reaches. */
	sec = unsigned_answer(v, qname, k < 0, why, whylen);
out:
	ldns_rr_free(q);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	return sec;
}

enum dns_sec
dnsval_check(struct dnsval *v, const ldns_pkt *p, const ldns_rdf *qname,
    ldns_rr_type qtype, char *why, size_t whylen)
{
	const ldns_rr_list *ans = ldns_pkt_answer(p);
	enum dns_sec sec = DNS_SEC_SECURE;
	size_t n = ans != NULL ? ldns_rr_list_rr_count(ans) : 0;
	int any = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	for (size_t i = 0; i < n && sec != DNS_SEC_BOGUS; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		ldns_rr_list *set, *sigs;
		enum dns_sec one;
		int done = 0, wild;

		if (t == LDNS_RR_TYPE_RRSIG)
			continue;
		/* Each RRset once: skip if an earlier record began it. */
		for (size_t j = 0; j < i; j++)
			if (ldns_rr_get_type(ldns_rr_list_rr(ans, j)) == t &&
			    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(
			    ans, j)), ldns_rr_owner(rr)) == 0)
				done = 1;
		if (done)
			continue;
		any = 1;
		set = rrset_of(ans, ldns_rr_owner(rr), t);
		sigs = sigs_over(ans, ldns_rr_owner(rr), t);
		if (set == NULL || sigs == NULL) {
			say(why, whylen, "out of memory", NULL);
			one = DNS_SEC_BOGUS;
		} else if (verified(v, set, sigs, &wild)) {
			one = DNS_SEC_SECURE;
			if (wild && !no_closer_match(v, p,
			    ldns_rr_owner(rr))) {
				say(why, whylen, "a wildcard answer without"
				    " proof that the name does not exist",
				    ldns_rr_owner(rr));
				one = DNS_SEC_BOGUS;
			}
		} else
			one = unsigned_answer(v, ldns_rr_owner(rr),
			    ldns_rr_list_rr_count(sigs) > 0, why, whylen);
		ldns_rr_list_deep_free(set);
		ldns_rr_list_deep_free(sigs);
		if (one == DNS_SEC_BOGUS || (one == DNS_SEC_INSECURE &&
		    sec == DNS_SEC_SECURE))
			sec = one;
	}
	if (!any)
		sec = negative(v, p, qname, qtype, why, whylen);
	return sec;
}

ldns_rr_list *
dnsval_read_anchors(const char *file, char *err, size_t errlen)
{
	ldns_rr_list *l;
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 0;	/* ldns counts the lines it has read */
	FILE *f;

	if ((f = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "cannot read it");
		return NULL;
	}
	if ((l = ldns_rr_list_new()) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin,
		    &prev, &line);

		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN ||
		    st == LDNS_STATUS_SYNTAX_INCLUDE)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (feof(f) && rr == NULL &&
			    st == LDNS_STATUS_SYNTAX_ERR)
				break;
			snprintf(err, errlen, "line %d: %s", line,
			    ldns_get_errorstr_by_id(st));
			goto bad;
		}
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY) {
			ldns_rr_free(rr);
			continue;
		}
		if (!ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_free(rr);
			snprintf(err, errlen, "out of memory");
			goto bad;
		}
	}
	if (ldns_rr_list_rr_count(l) == 0) {
		snprintf(err, errlen, "no DS or DNSKEY record in it");
		goto bad;
	}
	fclose(f);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return l;
bad:
	fclose(f);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	ldns_rr_list_deep_free(l);
	return NULL;
}
