/*
 * certs.h: the certificates of test/certs/mkcerts.sh for the certstore
 * tests.  certs_make() runs the script once per test binary into a fresh
 * directory (before Check forks), certs_path() names a file in it,
 * certs_crt() and certs_chain() load one, certs_done() removes it all.
 */
#ifndef T_CERTS_H
#define T_CERTS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static char certs_dir[256];

static __attribute__((unused)) void
certs_make(void)
{
	char cmd[512];

	snprintf(certs_dir, sizeof(certs_dir), "/tmp/portcullis-unit.XXXXXX");
	if (mkdtemp(certs_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "sh test/certs/mkcerts.sh %s", certs_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s failed (run from the top directory)\n",
		    cmd);
		exit(1);
	}
}

static __attribute__((unused)) void
certs_done(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", certs_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", certs_dir);
}

/* certs_dir/name; a static buffer per call slot (four in rotation). */
static __attribute__((unused)) const char *
certs_path(const char *name)
{
	static char buf[4][512];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", certs_dir, name);
	return buf[slot];
}

/* The leaf of name.crt; the caller deinits it. */
static __attribute__((unused)) gnutls_x509_crt_t
certs_crt(const char *name)
{
	gnutls_datum_t pem;
	gnutls_x509_crt_t crt;
	char file[64];

	snprintf(file, sizeof(file), "%s.crt", name);
	ck_assert_int_eq(gnutls_load_file(certs_path(file), &pem), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &pem,
	    GNUTLS_X509_FMT_PEM), 0);
	gnutls_free(pem.data);
	return crt;
}

/*
 * The DER chain in file (PEM, leaf first) into out[] as a peer sends it;
 * returns the count.  certs_chain_free() releases it.
 */
static __attribute__((unused)) unsigned
certs_chain(const char *file, gnutls_datum_t *out, unsigned max)
{
	gnutls_datum_t pem;
	gnutls_x509_crt_t *list;
	unsigned n = 0;

	ck_assert_int_eq(gnutls_load_file(certs_path(file), &pem), 0);
	ck_assert_int_ge(gnutls_x509_crt_list_import2(&list, &n, &pem,
	    GNUTLS_X509_FMT_PEM, 0), 0);
	gnutls_free(pem.data);
	ck_assert_uint_le(n, max);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(gnutls_x509_crt_export2(list[i],
		    GNUTLS_X509_FMT_DER, &out[i]), 0);
		gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
	return n;
}

static __attribute__((unused)) void
certs_chain_free(gnutls_datum_t *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_free(c[i].data);
}

/* Run every test of s with the certificates made; exit status. */
static __attribute__((unused)) int
certs_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	certs_make();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	certs_done();
	return failed == 0 ? 0 : 1;
}

#endif /* T_CERTS_H */
