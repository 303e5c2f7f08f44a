/*
 * dane.c: a peer's chain against the TLSA records of its server (RFC
 * 6698, RFC 7671, RFC 7673).
 *
 * Whether one certificate is the one a record names (its selector and
 * matching type) is libgnutls-dane's dane_verify_crt_raw(), asked one
 * record and one certificate at a time, so that one matching record is
 * enough and a trust anchor may sit anywhere above the leaf.  The chain
 * below an anchor is verified here, with GnuTLS and at the time given,
 * as RFC 7671 asks:
 *  - DANE-EE(3) names the leaf's certificate or key, and that is all: no
 *    name check, no dates, no chain (section 5.1);
 *  - DANE-TA(2) names a certificate above the leaf in the chain sent, or
 *    with selector 0 and matching type 0 carries the anchor itself; the
 *    chain from the leaf up to it must verify as a server certificate
 *    (signatures, CA constraints, key sizes, the dates of everything
 *    below the anchor) and the leaf must name a reference identity
 *    (section 5.2);
 *  - PKIX-TA(0) and PKIX-EE(1) are matched like DANE-TA and DANE-EE, and
 *    the chain must then pass PKIX against our own trust anchors with
 *    the name check, as pkix alone would; for PKIX-TA the anchor that
 *    issued the last certificate sent may be the one named;
 *  - a record with another usage, selector or matching type, or with a
 *    digest of the wrong length, is unusable and ignored (section 4.1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/dane.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certstore.h"
#include "cs_int.h"

static int
usable(const struct cs_tlsa *t)
{
	if (t->usage > CS_TLSA_DANE_EE || t->selector > 1 || t->data == NULL)
		return 0;
	switch (t->mtype) {
	case 0:
		return t->len > 0 && t->len < 65536;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	}
	return 0;
}

void
cs_tlsa_label(const struct cs_tlsa *t, char *out, size_t outlen)
{
	snprintf(out, outlen, "%u %u %u", t->usage, t->selector, t->mtype);
}

/*
 * Is crt the certificate (or key) that record t names, by its selector
 * and matching type?  libgnutls-dane is asked as if for DANE-EE, which
 * compares one certificate and nothing else; for the TA usages it would
 * also verify the issuer's signature with the library's own clock, and
 * the chain is ours to verify, at the time we were given.  1 yes, 0 no,
 * CS_E_NOMEM.
 */
static int
names(dane_state_t ds, const struct cs_tlsa *t, const gnutls_datum_t *crt)
{
	dane_query_t q = NULL;
	char *rdata, *data[2];
	int len[2], rc;
	unsigned verify = 0;

	if ((rdata = malloc(t->len + 3)) == NULL)
		return CS_E_NOMEM;
	rdata[0] = (char)CS_TLSA_DANE_EE;
	rdata[1] = (char)t->selector;
	rdata[2] = (char)t->mtype;
	memcpy(rdata + 3, t->data, t->len);
	data[0] = rdata;
	data[1] = NULL;
	len[0] = (int)t->len + 3;
	len[1] = 0;
	/* The set is secure: the DNS code hands over nothing else. */
	rc = dane_raw_tlsa(ds, &q, data, len, 1, 0);
	if (rc != DANE_E_SUCCESS || q == NULL) {
		free(rdata);
		return rc == DANE_E_MEMORY_ERROR ? CS_E_NOMEM : 0;
	}
	rc = dane_verify_crt_raw(ds, crt, 1, GNUTLS_CRT_X509, q, 0,
	    DANE_VFLAG_FAIL_IF_NOT_CHECKED | DANE_VFLAG_ONLY_CHECK_EE_USAGE,
	    &verify);
	dane_query_deinit(q);
	free(rdata);
	if (rc == DANE_E_MEMORY_ERROR)
		return CS_E_NOMEM;
	return rc == DANE_E_SUCCESS && verify == 0;
}

/* The first of refs the leaf names; -1 if none. */
static int
name_check(const struct cs *cs, gnutls_x509_crt_t leaf,
    const char *const *refs, size_t nrefs, enum cs_id *id)
{
	for (size_t i = 0; i < nrefs; i++) {
		int r = cs_match_identity(leaf, refs[i], CS_XMPP_SERVER,
		    cs->opts.cn_fallback ? CS_MATCH_CN_FALLBACK : 0);

		if (r > 0) {
			*id = (enum cs_id)r;
			return (int)i;
		}
	}
	*id = CS_ID_NONE;
	return -1;
}

/*
 * Verify crts[0..k) as a server certificate chain up to anchor, which
 * DNS made a trust anchor.  The anchor's own dates do not count, as no
 * trust anchor's do; everything below it must be in date at now.
 * Returns 0 with *status (0 valid), or a negative CS_E_* code.
 */
static int
from_anchor(const struct cs *cs, gnutls_x509_crt_t *crts, unsigned k,
    const gnutls_datum_t *anchor, time_t now, unsigned *status)
{
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER,
		.size = 0
	};
	gnutls_x509_trust_list_t tl;
	int rc;

	*status = GNUTLS_CERT_INVALID;
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		return CS_E_NOMEM;
	rc = gnutls_x509_trust_list_add_trust_mem(tl, anchor, NULL,
	    GNUTLS_X509_FMT_DER, 0, 0);
	if (rc != 1) {
		gnutls_x509_trust_list_deinit(tl, 1);
		return rc == GNUTLS_E_MEMORY_ERROR ? CS_E_NOMEM : 0;
	}
	rc = gnutls_x509_trust_list_verify_crt2(tl, crts, k, &purpose, 1,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | cs__profile_flags(cs),
	    status, NULL);
	gnutls_x509_trust_list_deinit(tl, 1);
	if (rc < 0)
		return CS_E_CERT;
	for (unsigned i = 0; i < k; i++) {
		time_t nb = gnutls_x509_crt_get_activation_time(crts[i]);
		time_t na = gnutls_x509_crt_get_expiration_time(crts[i]);

		if (nb != (time_t)-1 && now < nb)
			*status |= GNUTLS_CERT_INVALID |
			    GNUTLS_CERT_NOT_ACTIVATED;
		if (na != (time_t)-1 && now > na)
			*status |= GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED;
	}
	return 0;
}

/* Are crts[0..k] a chain, each issued and signed by the next? */
static int
contiguous(gnutls_x509_crt_t *crts, unsigned k)
{
	for (unsigned j = 0; j < k; j++) {
		unsigned st = 0;

		if (!gnutls_x509_crt_check_issuer(crts[j], crts[j + 1]) ||
		    gnutls_x509_crt_verify(crts[j], &crts[j + 1], 1,
		    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
		    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
		    &st) < 0 || st != 0)
			return 0;
	}
	return 1;
}

/* The working state of one cs_dane_match() call. */
struct match {
	const struct cs		*cs;
	dane_state_t		 ds;
	const gnutls_datum_t	*chain;
	gnutls_x509_crt_t	*crts;
	unsigned		 n;
	const char *const	*refs;
	size_t			 nrefs;
	time_t			 now;
	int			 pkix;		/* -1 not yet asked */
	unsigned		 pkix_status;
	gnutls_datum_t		 issuer;	/* anchor above the last sent */
	int			 issuer_done;
	struct cs_dane_result	*out;
};

static void
why(struct match *m, const struct cs_tlsa *t, const char *what,
    const char *detail)
{
	char *r = m->out->reason, label[12];
	size_t len, dl;

	/* The first explanation is kept: records are tried in order. */
	if (r[0] != '\0')
		return;
	cs_tlsa_label(t, label, sizeof(label));
	snprintf(r, sizeof(m->out->reason), "TLSA %s %s%s", label, what,
	    detail[0] != '\0' ? ": " : "");
	/* A long detail is cut short: its start says enough. */
	len = strlen(r);
	dl = strlen(detail);
	if (dl > sizeof(m->out->reason) - len - 1)
		dl = sizeof(m->out->reason) - len - 1;
	memcpy(r + len, detail, dl);
	r[len + dl] = '\0';
}

static int
pkix(struct match *m)
{
	if (m->pkix < 0) {
		if (cs__verify(m->cs, m->crts, m->n, m->now,
		    &m->pkix_status) < 0)
			m->pkix_status = GNUTLS_CERT_INVALID;
		m->pkix = m->pkix_status == 0;
	}
	return m->pkix;
}

/* The names, then (PKIX usages) PKIX; 1 if both hold. */
static int
finish(struct match *m, const struct cs_tlsa *t, unsigned depth)
{
	struct cs_dane_result *o = m->out;
	char words[128];
	enum cs_id id;
	int ref;

	ref = name_check(m->cs, m->crts[0], m->refs, m->nrefs, &id);
	if (ref < 0) {
		why(m, t, "matches, but the certificate names none of the"
		    " reference identities", m->refs[0]);
		return 0;
	}
	if ((t->usage == CS_TLSA_PKIX_TA || t->usage == CS_TLSA_PKIX_EE) &&
	    !pkix(m)) {
		cs__status_words(m->pkix_status, words, sizeof(words));
		why(m, t, "matches, but PKIX fails", words);
		return 0;
	}
	o->depth = depth;
	o->ref = ref;
	o->id = id;
	return 1;
}

/* The trust anchor that issued the last certificate sent, as DER. */
static const gnutls_datum_t *
store_issuer(struct match *m)
{
	gnutls_x509_crt_t iss = NULL;

	if (m->issuer_done)
		return m->issuer.data != NULL ? &m->issuer : NULL;
	m->issuer_done = 1;
	if (m->cs->trust == NULL ||
	    gnutls_x509_trust_list_get_issuer(m->cs->trust,
	    m->crts[m->n - 1], &iss, GNUTLS_TL_GET_COPY) < 0 || iss == NULL)
		return NULL;
	if (gnutls_x509_crt_export2(iss, GNUTLS_X509_FMT_DER,
	    &m->issuer) < 0)
		m->issuer.data = NULL;
	gnutls_x509_crt_deinit(iss);
	return m->issuer.data != NULL ? &m->issuer : NULL;
}

/* One usable TA record: 1 matched, 0 not, negative on error. */
static int
try_ta(struct match *m, const struct cs_tlsa *t)
{
	unsigned status;
	char words[128];
	int rc, named = 0;

	for (unsigned k = 1; k < m->n; k++) {
		if ((rc = names(m->ds, t, &m->chain[k])) < 0)
			return rc;
		if (rc == 0)
			continue;
		named = 1;
		if (t->usage == CS_TLSA_DANE_TA) {
			if ((rc = from_anchor(m->cs, m->crts, k, &m->chain[k],
			    m->now, &status)) < 0)
				return rc;
		} else
			status = contiguous(m->crts, k) ? 0 :
			    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
		if (status != 0) {
			cs__status_words(status, words, sizeof(words));
			why(m, t, "names a certificate of the chain, but the"
			    " chain does not verify from it", words);
			continue;
		}
		if (finish(m, t, k))
			return 1;
	}
	if (t->usage == CS_TLSA_DANE_TA && t->selector == 0 && t->mtype == 0) {
		/* The anchor itself, whether or not the peer sent it. */
		gnutls_datum_t a = { (unsigned char *)(uintptr_t)t->data,
		    (unsigned)t->len };

		if ((rc = from_anchor(m->cs, m->crts, m->n, &a, m->now,
		    &status)) < 0)
			return rc;
		if (status == 0)
			return finish(m, t, m->n);
	}
	if (t->usage == CS_TLSA_PKIX_TA && store_issuer(m) != NULL &&
	    contiguous(m->crts, m->n - 1)) {
		/* PKIX-TA may name the anchor the peer need not send. */
		if ((rc = names(m->ds, t, &m->issuer)) < 0)
			return rc;
		if (rc == 1)
			return finish(m, t, m->n);
	}
	if (!named)
		why(m, t, "names no certificate of the chain", "");
	return 0;
}

int
cs_dane_match(const struct cs *cs, dane_state_t ds,
    const gnutls_datum_t *chain, unsigned n, const struct cs_tlsa *tlsa,
    size_t ntlsa, const char *const *refs, size_t nrefs, time_t now,
    struct cs_dane_result *out)
{
	gnutls_x509_crt_t crts[CS__MAX_CHAIN];
	struct match m;
	char ref[256];
	unsigned ncrts = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	out->matched = -1;
	out->ref = -1;
	for (size_t i = 0; i < nrefs; i++)
		if (cs__domain_norm(refs[i], ref, sizeof(ref)) != 0)
			return CS_E_NAME;
	if (n == 0 || ds == NULL)
		return CS_E_CERT;
	if (n > CS__MAX_CHAIN)
		n = CS__MAX_CHAIN;
	for (; ncrts < n; ncrts++) {
		if (gnutls_x509_crt_init(&crts[ncrts]) < 0) {
			rc = CS_E_NOMEM;
			goto done;
		}
		if (gnutls_x509_crt_import(crts[ncrts], &chain[ncrts],
		    GNUTLS_X509_FMT_DER) < 0) {
			ncrts++;
			rc = CS_E_CERT;
			goto done;
		}
	}
	m.cs = cs;
	m.ds = ds;
	m.chain = chain;
	m.crts = crts;
	m.n = n;
	m.refs = refs;
	m.nrefs = nrefs;
	m.now = now;
	m.pkix = -1;
	m.out = out;
	for (size_t i = 0; i < ntlsa; i++) {
		const struct cs_tlsa *t = &tlsa[i];
		int hit;

		if (!usable(t))
			continue;
		out->usable++;
		if (t->usage == CS_TLSA_DANE_EE || t->usage == CS_TLSA_PKIX_EE) {
			if ((hit = names(ds, t, &chain[0])) < 0) {
				rc = hit;
				goto done;
			}
			if (!hit)
				why(&m, t, "does not match the certificate",
				    "");
			else if (t->usage == CS_TLSA_DANE_EE)
				out->depth = 0;
			else
				hit = finish(&m, t, 0);
		} else if ((hit = try_ta(&m, t)) < 0) {
			rc = hit;
			goto done;
		}
		if (hit) {
			out->matched = (int)i;
			out->usage = t->usage;
			out->selector = t->selector;
			out->mtype = t->mtype;
			out->reason[0] = '\0';
			break;
		}
	}
	if (out->usable == 0)
		snprintf(out->reason, sizeof(out->reason),
		    "no usable TLSA record");
done:
	gnutls_free(m.issuer.data);
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return rc;
}

/* DER of the leaf (ta 0) or of the topmost certificate above it. */
static int
selected(const struct cs_chain *c, int ta, unsigned selector,
    gnutls_datum_t *out)
{
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pub;
	int rc;

	if (ta && c->ncrts < 2)
		return CS_E_NOTFOUND;
	crt = c->crts[ta ? c->ncrts - 1 : 0];
	if (selector == 0)
		return gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
		    out) < 0 ? CS_E_CERT : 0;
	if (gnutls_pubkey_init(&pub) < 0)
		return CS_E_NOMEM;
	rc = gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out) < 0 ?
	    CS_E_CERT : 0;
	gnutls_pubkey_deinit(pub);
	return rc;
}

int
cs_chain_tlsa(const struct cs *cs, const char *domain, size_t i, int ta,
    unsigned selector, unsigned mtype, char *out, size_t outlen)
{
	const struct cs_chain *c = cs__chain(cs, domain, i);
	unsigned char digest[64];
	gnutls_datum_t der = { NULL, 0 };
	size_t dlen;
	int rc;

	if (c == NULL)
		return CS_E_NOTFOUND;
	if (selector > 1 || (mtype != 1 && mtype != 2))
		return CS_E_CERT;
	if ((rc = selected(c, ta, selector, &der)) != 0)
		return rc;
	dlen = mtype == 1 ? 32 : 64;
	rc = gnutls_hash_fast(mtype == 1 ? GNUTLS_DIG_SHA256 :
	    GNUTLS_DIG_SHA512, der.data, der.size, digest) < 0 ? CS_E_CERT : 0;
	gnutls_free(der.data);
	if (rc != 0)
		return rc;
	if (outlen < dlen * 2 + 1)
		return CS_E_NOMEM;
	for (size_t k = 0; k < dlen; k++)
		snprintf(out + 2 * k, 3, "%02x", digest[k]);
	return 0;
}
