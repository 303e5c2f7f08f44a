/*
 * store.c: our credentials per served domain, loaded from PEM files, and
 * the checks made on them as they load: dates, key sizes, OCSP staples,
 * the names they cover.  What is wrong enough to refuse is an error;
 * what the operator should see is a note.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "certstore.h"
#include "cs_int.h"

static const struct cs_opts default_opts = {
	.min_rsa_bits	= 2048,		/* bits; RFC 9325, GRADE-4 caps <2048 */
	.warn_days	= 30,		/* days before a chain ends */
	.cn_fallback	= 0		/* RFC 9525: no CN-ID */
};

static int
diag_set(struct cs_diag *diag, const char *file, int err, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
diag_set(struct cs_diag *diag, const char *file, int err, const char *fmt,
    ...)
{
	va_list ap;

	if (diag != NULL) {
		snprintf(diag->file, sizeof(diag->file), "%s",
		    file != NULL ? file : "");
		va_start(ap, fmt);
		vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

static void
note(struct cs *cs, enum cs_note_level level, const char *domain,
    const char *file, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A note that cannot be stored for want of memory is dropped. */
static void
note(struct cs *cs, enum cs_note_level level, const char *domain,
    const char *file, const char *fmt, ...)
{
	struct cs_note *n;
	va_list ap;

	if (cs->nnotes == cs->notecap) {
		size_t cap = cs->notecap ? cs->notecap * 2 : 8;

		if ((n = realloc(cs->notes, cap * sizeof(*n))) == NULL)
			return;
		cs->notes = n;
		cs->notecap = cap;
	}
	n = &cs->notes[cs->nnotes++];
	n->level = level;
	snprintf(n->domain, sizeof(n->domain), "%s",
	    domain != NULL ? domain : "");
	snprintf(n->file, sizeof(n->file), "%s", file != NULL ? file : "");
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
}

struct cs *
cs_new(const struct cs_opts *opts)
{
	struct cs *cs = calloc(1, sizeof(*cs));

	if (cs == NULL)
		return NULL;
	cs->refs = 1;
	cs->opts = opts != NULL ? *opts : default_opts;
	return cs;
}

static struct cs_domain *
find(const struct cs *cs, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < cs->ndomains; i++)
		if (strcmp(cs->domains[i].name, name) == 0)
			return &cs->domains[i];
	return NULL;
}

static struct cs_domain *
add_domain(struct cs *cs, const char *name)
{
	struct cs_domain *d;

	if (cs->ndomains == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 4;
		struct cs_domain *n = realloc(cs->domains, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		cs->domains = n;
		cs->cap = cap;
	}
	d = &cs->domains[cs->ndomains];
	memset(d, 0, sizeof(*d));
	if ((d->name = strdup(name)) == NULL)
		return NULL;
	if (gnutls_certificate_allocate_credentials(&d->creds) < 0) {
		free(d->name);
		return NULL;
	}
	/* Return the index of the added chain, for the OCSP staple. */
	gnutls_certificate_set_flags(d->creds, GNUTLS_CERTIFICATE_API_V2);
	cs->ndomains++;
	return d;
}

/* A file we cannot open is an I/O error; one GnuTLS refuses is bad. */
static int
readable(const char *path, struct cs_diag *diag)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return diag_set(diag, path, CS_E_IO, "cannot read: %s",
		    strerror(errno));
	fclose(f);
	return 0;
}

static void
chain_free(struct cs_chain *c)
{
	for (unsigned i = 0; i < c->ncrts; i++)
		gnutls_x509_crt_deinit(c->crts[i]);
	c->ncrts = 0;
	free(c->file);
	c->file = NULL;
}

/*
 * Read the chain file into c and judge it at time now: every certificate
 * in date, the leaf's RSA key big enough.
 */
static int
chain_load(struct cs *cs, struct cs_chain *c, const char *file, time_t now,
    struct cs_diag *diag)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0, bits = 0;
	char date[32];
	int rc;

	if (gnutls_load_file(file, &pem) < 0)
		return diag_set(diag, file, CS_E_IO, "cannot read");
	rc = gnutls_x509_crt_list_import2(&list, &n, &pem,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	gnutls_free(pem.data);
	if (rc < 0 || n == 0)
		return diag_set(diag, file, CS_E_CERT, "%s",
		    rc < 0 ? gnutls_strerror(rc) : "no certificate");
	for (unsigned i = 0; i < n; i++) {
		if (i < CS__MAX_CHAIN)
			c->crts[c->ncrts++] = list[i];
		else
			gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
	c->info.not_before = 0;
	c->info.not_after = (time_t)-1;
	for (unsigned i = 0; i < c->ncrts; i++) {
		time_t nb = gnutls_x509_crt_get_activation_time(c->crts[i]);
		time_t na = gnutls_x509_crt_get_expiration_time(c->crts[i]);
		int sig = gnutls_x509_crt_get_signature_algorithm(c->crts[i]);
		char dn[256];

		cs__dn(c->crts[i], 0, dn, sizeof(dn));
		if (nb != (time_t)-1 && now < nb) {
			cs__date(nb, date, sizeof(date));
			return diag_set(diag, file, CS_E_EXPIRED,
			    "certificate %u (%.60s) is not valid before %s",
			    i, dn, date);
		}
		if (na != (time_t)-1 && now > na) {
			cs__date(na, date, sizeof(date));
			return diag_set(diag, file, CS_E_EXPIRED,
			    "certificate %u (%.60s) expired on %s", i, dn,
			    date);
		}
		if (nb != (time_t)-1 && nb > c->info.not_before)
			c->info.not_before = nb;
		if (na != (time_t)-1 && (c->info.not_after == (time_t)-1 ||
		    na < c->info.not_after))
			c->info.not_after = na;
		if (sig == GNUTLS_SIGN_RSA_MD5 || sig == GNUTLS_SIGN_RSA_MD2)
			c->info.md5 = 1;
	}
	c->info.key_algo = gnutls_x509_crt_get_pk_algorithm(c->crts[0], &bits);
	c->info.key_bits = bits;
	c->info.sig_algo = gnutls_x509_crt_get_signature_algorithm(c->crts[0]);
	cs__dn(c->crts[0], 0, c->info.subject, sizeof(c->info.subject));
	if (cs_spki_sha256(c->crts[0], c->info.spki) != 0)
		return diag_set(diag, file, CS_E_CERT, "cannot read the key");
	if (c->info.key_algo == GNUTLS_PK_RSA &&
	    bits < cs->opts.min_rsa_bits)
		return diag_set(diag, file, CS_E_WEAKKEY,
		    "RSA key of %u bits, below the minimum of %u", bits,
		    cs->opts.min_rsa_bits);
	return 0;
}

/*
 * Judge a staple before GnuTLS serves it: it must answer for this leaf,
 * be signed by its issuer (or a responder the issuer certified), and not
 * say revoked.  A stale one is only noted: GnuTLS does not staple it, and
 * a fresh file on the next reload fixes that.
 */
static int
ocsp_check(struct cs *cs, const char *domain, struct cs_chain *c,
    const char *file, time_t now, struct cs_diag *diag)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_ocsp_resp_t resp = NULL;
	unsigned verify = 0, status = 0;
	time_t this_update, next_update, revoked;
	char date[32];
	int rc, err = 0;

	if (gnutls_load_file(file, &der) < 0)
		return diag_set(diag, file, CS_E_IO, "cannot read");
	if (gnutls_ocsp_resp_init(&resp) < 0) {
		gnutls_free(der.data);
		return diag_set(diag, file, CS_E_NOMEM, "out of memory");
	}
	if ((rc = gnutls_ocsp_resp_import(resp, &der)) < 0) {
		err = diag_set(diag, file, CS_E_OCSP,
		    "not a DER OCSP response: %s", gnutls_strerror(rc));
		goto done;
	}
	if (gnutls_ocsp_resp_get_status(resp) != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		err = diag_set(diag, file, CS_E_OCSP,
		    "the responder did not answer (status %d)",
		    gnutls_ocsp_resp_get_status(resp));
		goto done;
	}
	if (gnutls_ocsp_resp_check_crt(resp, 0, c->crts[0]) < 0) {
		err = diag_set(diag, file, CS_E_OCSP,
		    "the response is not about %s's certificate", domain);
		goto done;
	}
	if (c->ncrts < 2) {
		note(cs, CS_NOTE_WARNING, domain, file, "no issuer in the"
		    " chain: the staple's signature cannot be checked");
	} else if (gnutls_ocsp_resp_verify_direct(resp, c->crts[1],
	    &verify, 0) < 0 || verify != 0) {
		err = diag_set(diag, file, CS_E_OCSP,
		    "the response is not signed by the certificate's issuer");
		goto done;
	}
	rc = gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL,
	    &status, &this_update, &next_update, &revoked, NULL);
	if (rc < 0) {
		err = diag_set(diag, file, CS_E_OCSP, "%s",
		    gnutls_strerror(rc));
		goto done;
	}
	if (status == GNUTLS_OCSP_CERT_REVOKED) {
		cs__date(revoked, date, sizeof(date));
		err = diag_set(diag, file, CS_E_OCSP,
		    "the response says the certificate was revoked on %s",
		    date);
		goto done;
	}
	if (this_update > now + 300) {
		cs__date(this_update, date, sizeof(date));
		note(cs, CS_NOTE_WARNING, domain, file, "OCSP response is"
		    " from the future (%s); clients will reject it", date);
	} else if (next_update != (time_t)-1 && next_update < now) {
		cs__date(next_update, date, sizeof(date));
		note(cs, CS_NOTE_WARNING, domain, file, "OCSP response is"
		    " stale since %s and will not be stapled; refresh the"
		    " file and reload", date);
	}
done:
	gnutls_ocsp_resp_deinit(resp);
	gnutls_free(der.data);
	return err;
}

int
cs_add(struct cs *cs, const char *domain, const char *chain,
    const char *key, const char *ocsp, time_t now, struct cs_diag *diag)
{
	struct cs_domain *d;
	struct cs_chain c, *cp;
	int rc, idx;

	memset(&c, 0, sizeof(c));
	if (readable(chain, diag) != 0 || readable(key, diag) != 0)
		return CS_E_IO;
	if (ocsp != NULL && readable(ocsp, diag) != 0)
		return CS_E_IO;
	if ((rc = chain_load(cs, &c, chain, now, diag)) != 0)
		goto fail;
	if (ocsp != NULL && (rc = ocsp_check(cs, domain, &c, ocsp, now,
	    diag)) != 0)
		goto fail;
	if ((d = find(cs, domain)) == NULL && (d = add_domain(cs, domain)) ==
	    NULL) {
		rc = diag_set(diag, chain, CS_E_NOMEM, "out of memory");
		goto fail;
	}
	cp = realloc(d->chains, (d->nchains + 1) * sizeof(*cp));
	if (cp == NULL) {
		rc = diag_set(diag, chain, CS_E_NOMEM, "out of memory");
		goto fail;
	}
	d->chains = cp;
	idx = gnutls_certificate_set_x509_key_file2(d->creds, chain, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (idx < 0) {
		rc = idx == GNUTLS_E_CERTIFICATE_KEY_MISMATCH ? CS_E_MISMATCH :
		    CS_E_CERT;
		rc = diag_set(diag, chain, rc, "%s", gnutls_strerror(idx));
		goto fail;
	}
	if (ocsp != NULL) {
		rc = gnutls_certificate_set_ocsp_status_request_file2(d->creds,
		    ocsp, (unsigned)idx, GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			rc = diag_set(diag, ocsp, CS_E_OCSP, "%s",
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if (c.info.not_after != (time_t)-1 &&
	    c.info.not_after - now < (time_t)cs->opts.warn_days * 86400) {
		char date[32];

		cs__date(c.info.not_after, date, sizeof(date));
		note(cs, CS_NOTE_WARNING, domain, chain, "the chain ends on %s,"
		    " in %lld day(s)", date,
		    (long long)((c.info.not_after - now) / 86400));
	}
	if ((c.file = strdup(chain)) == NULL) {
		rc = diag_set(diag, chain, CS_E_NOMEM, "out of memory");
		goto fail;
	}
	c.info.file = c.file;
	d->chains[d->nchains++] = c;
	return 0;
fail:
	chain_free(&c);
	return rc;
}

gnutls_certificate_credentials_t
cs_credentials(const struct cs *cs, const char *domain)
{
	const struct cs_domain *d = find(cs, domain);

	return d != NULL ? d->creds : NULL;
}

size_t
cs_chains(const struct cs *cs, const char *domain)
{
	const struct cs_domain *d = find(cs, domain);

	return d != NULL ? d->nchains : 0;
}

const struct cs_chain_info *
cs_chain(const struct cs *cs, const char *domain, size_t i)
{
	const struct cs_domain *d = find(cs, domain);

	return d != NULL && i < d->nchains ? &d->chains[i].info : NULL;
}

const struct cs_chain *
cs__chain(const struct cs *cs, const char *domain, size_t i)
{
	const struct cs_domain *d = find(cs, domain);

	return d != NULL && i < d->nchains ? &d->chains[i] : NULL;
}

int
cs_covers(const struct cs *cs, const char *domain, const char *name)
{
	const struct cs_domain *d = find(cs, domain);

	if (d == NULL)
		return 0;
	for (size_t i = 0; i < d->nchains; i++)
		if (cs_match_identity(d->chains[i].crts[0], name,
		    CS_XMPP_CLIENT, 0) > 0 ||
		    cs_match_identity(d->chains[i].crts[0], name,
		    CS_XMPP_SERVER, 0) > 0)
			return 1;
	return 0;
}

int
cs_chain_trusted(const struct cs *cs, const char *domain, size_t i,
    time_t now)
{
	const struct cs_domain *d = find(cs, domain);
	struct cs_chain *c;
	unsigned status;

	if (d == NULL || i >= d->nchains)
		return 0;
	c = &d->chains[i];
	if (cs__verify(cs, c->crts, c->ncrts, now, &status) < 0 ||
	    status != 0)
		return 0;
	return cs_match_identity(c->crts[0], domain, CS_XMPP_CLIENT, 0) > 0 ||
	    cs_match_identity(c->crts[0], domain, CS_XMPP_SERVER, 0) > 0;
}

size_t
cs_notes(const struct cs *cs, const struct cs_note **notes)
{
	*notes = cs->notes;
	return cs->nnotes;
}

struct cs *
cs_ref(struct cs *cs)
{
	atomic_fetch_add_explicit(&cs->refs, 1, memory_order_relaxed);
	return cs;
}

void
cs_unref(struct cs *cs)
{
	if (cs == NULL ||
	    atomic_fetch_sub_explicit(&cs->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < cs->ndomains; i++) {
		struct cs_domain *d = &cs->domains[i];

		for (size_t j = 0; j < d->nchains; j++)
			chain_free(&d->chains[j]);
		free(d->chains);
		gnutls_certificate_free_credentials(d->creds);
		free(d->name);
	}
	if (cs->trust != NULL)
		gnutls_x509_trust_list_deinit(cs->trust, 1);
	free(cs->domains);
	free(cs->notes);
	free(cs);
}

const char *
cs_strerror(int err)
{
	switch (err) {
	case CS_OK:		return "ok";
	case CS_E_IO:		return "cannot read or write a file";
	case CS_E_CERT:		return "bad certificate or key";
	case CS_E_MISMATCH:	return "key does not match the certificate";
	case CS_E_NOMEM:	return "out of memory";
	case CS_E_DUP:		return "domain added twice";
	case CS_E_WEAKKEY:	return "key too small";
	case CS_E_EXPIRED:	return "certificate expired or not yet valid";
	case CS_E_OCSP:		return "bad OCSP response";
	case CS_E_TRUST:	return "bad trust anchor file";
	case CS_E_NAME:		return "not a valid domain name";
	case CS_E_NOTFOUND:	return "no history for that peer";
	case CS_E_FORMAT:	return "malformed history file";
	}
	return "unknown error";
}
