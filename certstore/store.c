/*
 * store.c: our credentials per served domain, loaded from PEM files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "certstore.h"

struct cs_domain {
	char				*name;
	gnutls_certificate_credentials_t creds;
	size_t				 nchains;
};

struct cs {
	_Atomic unsigned	 refs;
	struct cs_domain	*domains;
	size_t			 ndomains, cap;
};

static int
diag_set(struct cs_diag *diag, const char *file, int err, const char *what,
    const char *detail)
{
	if (diag != NULL) {
		snprintf(diag->file, sizeof(diag->file), "%s",
		    file != NULL ? file : "");
		snprintf(diag->msg, sizeof(diag->msg), "%s%s", what, detail);
	}
	return err;
}

struct cs *
cs_new(const struct cs_opts *opts)
{
	struct cs *cs = calloc(1, sizeof(*cs));

	if (cs != NULL)
		cs->refs = 1;
	return cs;
}

static struct cs_domain *
find(const struct cs *cs, const char *name)
{
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
		return diag_set(diag, path, CS_E_IO, "cannot read: ",
		    strerror(errno));
	fclose(f);
	return 0;
}

int
cs_add(struct cs *cs, const char *domain, const char *chain,
    const char *key, const char *ocsp, time_t now, struct cs_diag *diag)
{
	struct cs_domain *d;
	int rc, idx;

	if (readable(chain, diag) != 0 || readable(key, diag) != 0)
		return CS_E_IO;
	if (ocsp != NULL && readable(ocsp, diag) != 0)
		return CS_E_IO;
	if ((d = find(cs, domain)) == NULL && (d = add_domain(cs, domain)) ==
	    NULL)
		return diag_set(diag, chain, CS_E_NOMEM, "out of memory", "");
	idx = gnutls_certificate_set_x509_key_file2(d->creds, chain, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (idx < 0) {
		rc = idx == GNUTLS_E_CERTIFICATE_KEY_MISMATCH ? CS_E_MISMATCH :
		    CS_E_CERT;
		return diag_set(diag, chain, rc, "", gnutls_strerror(idx));
	}
	if (ocsp != NULL) {
		rc = gnutls_certificate_set_ocsp_status_request_file2(d->creds,
		    ocsp, (unsigned)idx, GNUTLS_X509_FMT_DER);
		if (rc < 0)
			return diag_set(diag, ocsp, CS_E_CERT, "",
			    gnutls_strerror(rc));
	}
	d->nchains++;
	return 0;
}

gnutls_certificate_credentials_t
cs_credentials(const struct cs *cs, const char *domain)
{
	const struct cs_domain *d;

	if (domain == NULL || (d = find(cs, domain)) == NULL)
		return NULL;
	return d->creds;
}

size_t
cs_chains(const struct cs *cs, const char *domain)
{
	const struct cs_domain *d = domain != NULL ? find(cs, domain) : NULL;

	return d != NULL ? d->nchains : 0;
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
		gnutls_certificate_free_credentials(cs->domains[i].creds);
		free(cs->domains[i].name);
	}
	free(cs->domains);
	free(cs);
}

const char *
cs_strerror(int err)
{
	switch (err) {
	case CS_OK:		return "ok";
	case CS_E_IO:		return "cannot read a file";
	case CS_E_CERT:		return "bad certificate or key";
	case CS_E_MISMATCH:	return "key does not match the certificate";
	case CS_E_NOMEM:	return "out of memory";
	case CS_E_DUP:		return "domain added twice";
	}
	return "unknown error";
}
