/*
 * t_certinfo.c: a certificate as the logs show it: subject, issuer, every
 * kind of SAN an XMPP server carries (XmppAddr and SRVName decoded),
 * validity in UTC, and the SPKI hash computed independently here.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "proxy/certinfo.h"

#define OID_SRVNAME	"1.3.6.1.5.5.7.8.7"

static gnutls_x509_crt_t
make_cert(gnutls_x509_privkey_t *keyp)
{
	/* DER IA5String "_xmpp-server.remote.example". */
	static const char srv[] = "_xmpp-server.remote.example";
	unsigned char der[64], ip[4] = { 192, 0, 2, 1 }, serial[1] = { 7 };
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t out;
	const char *err;

	der[0] = 0x16;
	der[1] = sizeof(srv) - 1;
	memcpy(der + 2, srv, sizeof(srv) - 1);
	ck_assert_int_eq(gnutls_x509_privkey_init(&key), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, 1), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt,
	    1700000000), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt,
	    1800000000), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn(crt,
	    "CN=remote.example,O=Tests", &err), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_DNSNAME, "remote.example", 14, GNUTLS_FSAN_APPEND), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_OTHERNAME_XMPP, "remote.example", 14,
	    GNUTLS_FSAN_APPEND), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_othername(crt,
	    OID_SRVNAME, der, sizeof(srv) + 1, GNUTLS_FSAN_APPEND), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(crt,
	    GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(crt, key), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, key,
	    GNUTLS_DIG_SHA256, 0), 0);
	/* As a peer's certificate arrives: DER, parsed afresh. */
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
	    &out), 0);
	gnutls_x509_crt_deinit(crt);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &out,
	    GNUTLS_X509_FMT_DER), 0);
	gnutls_free(out.data);
	*keyp = key;
	return crt;
}

START_TEST(describe_certificate)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt = make_cert(&key);
	struct peer_cert pc;
	gnutls_pubkey_t pub;
	gnutls_datum_t der;
	unsigned char h[32];
	char hex[65];

	ck_assert_int_eq(certinfo_from_crt(crt, &pc), 0);
	ck_assert_str_eq(pc.subject, "CN=remote.example,O=Tests");
	ck_assert_str_eq(pc.issuer, "CN=remote.example,O=Tests");
	ck_assert_str_eq(pc.san, "dns:remote.example xmpp:remote.example"
	    " srv:_xmpp-server.remote.example ip:192.0.2.1");
	ck_assert_str_eq(pc.not_before, "2023-11-14T22:13:20Z");
	ck_assert_str_eq(pc.not_after, "2027-01-15T08:00:00Z");

	/* The SPKI hash, the long way: export the key, hash the DER. */
	ck_assert_int_eq(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_eq(gnutls_pubkey_import_x509(pub, crt, 0), 0);
	ck_assert_int_eq(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER,
	    &der), 0);
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data,
	    der.size, h), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	ck_assert_str_eq(pc.spki, hex);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certinfo");
	TCase *tc = tcase_create("certinfo");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, describe_certificate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
