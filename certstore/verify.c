/*
 * verify.c: trust anchors and the verification of a peer's chain.
 *
 * A peer's certificate is always verified as a server certificate: the
 * key purpose must be serverAuth or absent (GnuTLS's purpose check passes
 * certificates without an EKU), whichever side of the connection the peer
 * was on, so a serverAuth-only certificate authenticates an inbound s2s
 * stream (STANDARDS.md ID-8).  GnuTLS checks signatures, the path, the
 * constraints and the key size profile; the dates we check ourselves
 * against the time we were given, so that tests and the daemon, not the
 * library, decide what "now" is.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certstore.h"
#include "cs_int.h"

static int
diag_set(struct cs_diag *diag, const char *file, int err, const char *fmt,
    const char *detail)
{
	if (diag != NULL) {
		snprintf(diag->file, sizeof(diag->file), "%s",
		    file != NULL ? file : "");
		snprintf(diag->msg, sizeof(diag->msg), "%s%s", fmt, detail);
	}
	return err;
}

static int
trust_list(struct cs *cs)
{
	if (cs->trust != NULL)
		return 0;
	return gnutls_x509_trust_list_init(&cs->trust, 0) < 0 ? CS_E_NOMEM :
	    0;
}

int
cs_trust_system(struct cs *cs, struct cs_diag *diag)
{
	int n;

	if (trust_list(cs) != 0)
		return diag_set(diag, NULL, CS_E_NOMEM, "out of memory", "");
	n = gnutls_x509_trust_list_add_system_trust(cs->trust, 0, 0);
	if (n < 0)
		return diag_set(diag, NULL, CS_E_TRUST, "system trust store: ",
		    gnutls_strerror(n));
	cs->nanchors += (unsigned)n;
	return n;
}

int
cs_trust_file(struct cs *cs, const char *file, struct cs_diag *diag)
{
	int n;

	if (trust_list(cs) != 0)
		return diag_set(diag, file, CS_E_NOMEM, "out of memory", "");
	n = gnutls_x509_trust_list_add_trust_file(cs->trust, file, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0);
	if (n == GNUTLS_E_FILE_ERROR)
		return diag_set(diag, file, CS_E_IO, "cannot read", "");
	if (n < 0)
		return diag_set(diag, file, CS_E_TRUST, "",
		    gnutls_strerror(n));
	if (n == 0)
		return diag_set(diag, file, CS_E_TRUST,
		    "no PEM certificate in the file", "");
	cs->nanchors += (unsigned)n;
	return n;
}

unsigned
cs__profile_flags(const struct cs *cs)
{
	gnutls_certificate_verification_profiles_t prof;

	if (cs->opts.min_rsa_bits >= 3072)
		prof = GNUTLS_PROFILE_HIGH;
	else if (cs->opts.min_rsa_bits >= 2048)
		prof = GNUTLS_PROFILE_MEDIUM;
	else
		prof = GNUTLS_PROFILE_LOW;
	return GNUTLS_PROFILE_TO_VFLAGS(prof);
}

int
cs__verify(const struct cs *cs, gnutls_x509_crt_t *crts, unsigned n,
    time_t now, unsigned *status)
{
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER,
		.size = 0
	};
	unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | cs__profile_flags(cs);
	int rc;

	*status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
	if (n == 0)
		return 0;
	if (cs->trust == NULL)
		return 0;
	rc = gnutls_x509_trust_list_verify_crt2(cs->trust, crts, n, &purpose,
	    1, flags, status, NULL);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < n; i++) {
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

void
cs__dn(gnutls_x509_crt_t crt, int issuer, char *out, size_t outlen)
{
	gnutls_datum_t dn = { NULL, 0 };
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) :
	    gnutls_x509_crt_get_dn3(crt, &dn, 0);

	if (rc < 0 || dn.data == NULL)
		out[0] = '\0';
	else
		snprintf(out, outlen, "%.*s", (int)dn.size, dn.data);
	gnutls_free(dn.data);
}

void
cs__date(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d", &tm) == 0)
		snprintf(out, outlen, "?");
}

void
cs__status_words(unsigned status, char *out, size_t outlen)
{
	static const struct {
		unsigned	 bit;
		const char	*word;
	} words[] = {
		{ GNUTLS_CERT_EXPIRED,		"expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED,	"not-yet-valid" },
		{ GNUTLS_CERT_SIGNER_NOT_FOUND,	"untrusted-issuer" },
		{ GNUTLS_CERT_SIGNER_NOT_CA,	"issuer-not-ca" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad-signature" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure-algorithm" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH,	"purpose-not-serverauth" },
		{ GNUTLS_CERT_REVOKED,		"revoked" },
		{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
						"constraints" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER,	"unexpected-owner" },
		{ GNUTLS_CERT_MISMATCH,		"mismatch" }
	};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!(status & words[i].bit))
			continue;
		len += (size_t)snprintf(out + len, outlen - len, "%s%s",
		    len > 0 ? "," : "", words[i].word);
		if (len >= outlen)
			return;
	}
	if (len == 0 && status != 0)
		snprintf(out, outlen, "invalid");
}

int
cs_verify_peer(const struct cs *cs, const gnutls_datum_t *chain, unsigned n,
    const char *ref_domain, enum cs_service svc, time_t now,
    struct cs_peer_result *out)
{
	return cs_verify_peer_refs(cs, chain, n, &ref_domain, 1, svc, now,
	    out, NULL);
}

int
cs_verify_peer_refs(const struct cs *cs, const gnutls_datum_t *chain,
    unsigned n, const char *const *refs, size_t nrefs, enum cs_service svc,
    time_t now, struct cs_peer_result *out, int *which)
{
	gnutls_x509_crt_t crts[CS__MAX_CHAIN];
	unsigned ncrts = 0, status, bits = 0;
	char ref[256];
	int rc = 0, id;

	memset(out, 0, sizeof(*out));
	if (which != NULL)
		*which = -1;
	if (nrefs == 0)
		return CS_E_NAME;
	for (size_t i = 0; i < nrefs; i++)
		if (cs__domain_norm(refs[i], ref, sizeof(ref)) != 0)
			return CS_E_NAME;
	if (n == 0)
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
	if (cs__verify(cs, crts, ncrts, now, &status) < 0) {
		rc = CS_E_CERT;
		goto done;
	}
	out->pkix = status == 0;
	out->status = status;
	cs__status_words(status, out->reason, sizeof(out->reason));
	/* The first reference name that matches, in the caller's order. */
	for (size_t i = 0; i < nrefs; i++) {
		id = cs_match_identity(crts[0], refs[i], svc,
		    cs->opts.cn_fallback ? CS_MATCH_CN_FALLBACK : 0);
		if (id > 0) {
			out->id = (enum cs_id)id;
			if (which != NULL)
				*which = (int)i;
			break;
		}
	}
	if (cs_spki_sha256(crts[0], out->spki) != 0) {
		rc = CS_E_CERT;
		goto done;
	}
	cs__dn(crts[0], 0, out->subject, sizeof(out->subject));
	cs__dn(crts[0], 1, out->issuer, sizeof(out->issuer));
	out->not_before = gnutls_x509_crt_get_activation_time(crts[0]);
	out->not_after = gnutls_x509_crt_get_expiration_time(crts[0]);
	out->key_algo = gnutls_x509_crt_get_pk_algorithm(crts[0], &bits);
	out->key_bits = bits;
done:
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return rc;
}
