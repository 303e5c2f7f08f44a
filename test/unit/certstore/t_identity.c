/*
 * t_identity.c: RFC 6125 / RFC 9525 identity matching (STANDARDS.md
 * ID-2 to ID-6) on certificates certtool makes at test time, the DER
 * decoder of otherName strings, SPKI digests and pins.
 */
#include "../../../certstore/identity.c"

#include "certs.h"

static int
match(const char *cert, const char *domain, enum cs_service svc,
    unsigned flags)
{
	gnutls_x509_crt_t crt = certs_crt(cert);
	int id = cs_match_identity(crt, domain, svc, flags);

	gnutls_x509_crt_deinit(crt);
	return id;
}

/* Both services give the same answer for everything but SRV-IDs. */
static void
both(const char *cert, const char *domain, int want)
{
	ck_assert_msg(match(cert, domain, CS_XMPP_CLIENT, 0) == want,
	    "%s vs %s (client): %d, wanted %d", cert, domain,
	    match(cert, domain, CS_XMPP_CLIENT, 0), want);
	ck_assert_msg(match(cert, domain, CS_XMPP_SERVER, 0) == want,
	    "%s vs %s (server): %d, wanted %d", cert, domain,
	    match(cert, domain, CS_XMPP_SERVER, 0), want);
}

START_TEST(dns_id)
{
	both("good", "example.org", CS_ID_DNS);
	both("good", "Example.ORG", CS_ID_DNS);
	both("good", "example.org.", CS_ID_DNS);
	both("good", "conference.example.org", CS_ID_DNS);
	both("good", "upload.example.org", CS_ID_NONE);
	both("good", "org", CS_ID_NONE);
	both("wrongname", "example.org", CS_ID_NONE);
	both("wrongname", "other.example", CS_ID_DNS);
	ck_assert_int_eq(match("good", "a..b", CS_XMPP_CLIENT, 0), CS_E_NAME);
	ck_assert_int_eq(match("good", "", CS_XMPP_CLIENT, 0), CS_E_NAME);
}
END_TEST

/* ID-4: one whole left-most label, exactly one label deep. */
START_TEST(wildcards)
{
	both("wildcard", "a.example.org", CS_ID_WILDCARD);
	both("wildcard", "conference.example.org", CS_ID_WILDCARD);
	both("wildcard", "example.org", CS_ID_NONE);
	both("wildcard", "a.b.example.org", CS_ID_NONE);
	both("wildcard", "a.example.com", CS_ID_NONE);
	/* f*.example.org, *.*.example.org and *.org are all invalid. */
	both("badwild", "f.example.org", CS_ID_NONE);
	both("badwild", "fx.example.org", CS_ID_NONE);
	both("badwild", "a.b.example.org", CS_ID_NONE);
	both("badwild", "example.org", CS_ID_NONE);
}
END_TEST

/* ID-2, ID-3: the SRV-ID's service must be the one asked for. */
START_TEST(srv_id)
{
	ck_assert_int_eq(match("srvserver", "example.org", CS_XMPP_SERVER, 0),
	    CS_ID_SRV);
	ck_assert_int_eq(match("srvserver", "example.org", CS_XMPP_CLIENT, 0),
	    CS_ID_NONE);
	ck_assert_int_eq(match("srvclient", "example.org", CS_XMPP_CLIENT, 0),
	    CS_ID_SRV);
	ck_assert_int_eq(match("srvclient", "example.org", CS_XMPP_SERVER, 0),
	    CS_ID_NONE);
	ck_assert_int_eq(match("srvserver", "other.example", CS_XMPP_SERVER,
	    0), CS_ID_NONE);
	/* Its CN is example.org: a SAN identity shuts CN out even so. */
	ck_assert_int_eq(match("srvserver", "example.org", CS_XMPP_CLIENT,
	    CS_MATCH_CN_FALLBACK), CS_ID_NONE);
}
END_TEST

START_TEST(xmppaddr)
{
	both("xmppaddr", "example.org", CS_ID_XMPPADDR);
	both("xmppaddr", "EXAMPLE.org", CS_ID_XMPPADDR);
	both("xmppaddr", "other.example", CS_ID_NONE);
}
END_TEST

/* ID-6: a U-label reference matches the A-label SAN. */
START_TEST(idn)
{
	both("idn", "b\xc3\xbc" "cher.example", CS_ID_DNS);
	both("idn", "xn--bcher-kva.example", CS_ID_DNS);
	both("idn", "XN--BCHER-KVA.EXAMPLE", CS_ID_DNS);
	both("idn", "bucher.example", CS_ID_NONE);
}
END_TEST

/* ID-5: CN only when asked, and only without SAN identities. */
START_TEST(cn)
{
	both("cnonly", "example.org", CS_ID_NONE);
	ck_assert_int_eq(match("cnonly", "example.org", CS_XMPP_SERVER,
	    CS_MATCH_CN_FALLBACK), CS_ID_CN);
	ck_assert_int_eq(match("cnonly", "other.example", CS_XMPP_SERVER,
	    CS_MATCH_CN_FALLBACK), CS_ID_NONE);
	ck_assert_int_eq(match("good", "example.org", CS_XMPP_SERVER,
	    CS_MATCH_CN_FALLBACK), CS_ID_DNS);
}
END_TEST

START_TEST(der)
{
	char out[64];
	static const unsigned char ia5[] = { 0x16, 0x03, 'a', 'b', 'c' };
	static const unsigned char wrapped[] = {
		0xa0, 0x05, 0x0c, 0x03, 'x', 'y', 'z'
	};
	static const unsigned char twice[] = {
		0xa0, 0x07, 0xa0, 0x05, 0x0c, 0x03, 'x', 'y', 'z'
	};
	static const unsigned char nul[] = { 0x16, 0x03, 'a', 0, 'c' };
	static const unsigned char trailing[] = { 0x16, 0x01, 'a', 'b' };
	static const unsigned char short_[] = { 0x16, 0x05, 'a' };
	static const unsigned char indefinite[] = { 0x16, 0x80, 'a', 0, 0 };
	static const unsigned char nonminimal[] = { 0x16, 0x81, 0x01, 'a' };
	unsigned char longform[3 + 200];

	ck_assert_int_eq(der_string(ia5, sizeof(ia5), DER_IA5STRING, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(der_string(ia5, sizeof(ia5), DER_UTF8STRING, out,
	    sizeof(out)), -1);
	ck_assert_int_eq(der_string(wrapped, sizeof(wrapped), DER_UTF8STRING,
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "xyz");
	ck_assert_int_eq(der_string(twice, sizeof(twice), DER_UTF8STRING,
	    out, sizeof(out)), -1);
	ck_assert_int_eq(der_string(nul, sizeof(nul), DER_IA5STRING, out,
	    sizeof(out)), -1);
	ck_assert_int_eq(der_string(trailing, sizeof(trailing),
	    DER_IA5STRING, out, sizeof(out)), -1);
	ck_assert_int_eq(der_string(short_, sizeof(short_), DER_IA5STRING,
	    out, sizeof(out)), -1);
	ck_assert_int_eq(der_string(indefinite, sizeof(indefinite),
	    DER_IA5STRING, out, sizeof(out)), -1);
	ck_assert_int_eq(der_string(nonminimal, sizeof(nonminimal),
	    DER_IA5STRING, out, sizeof(out)), -1);
	ck_assert_int_eq(der_string(ia5, 0, DER_IA5STRING, out, sizeof(out)),
	    -1);
	longform[0] = DER_IA5STRING;
	longform[1] = 0x81;
	longform[2] = 200;
	memset(longform + 3, 'q', 200);
	ck_assert_int_eq(der_string(longform, sizeof(longform), DER_IA5STRING,
	    out, sizeof(out)), -1);	/* longer than out */
	{
		char big[256];

		ck_assert_int_eq(der_string(longform, sizeof(longform),
		    DER_IA5STRING, big, sizeof(big)), 0);
		ck_assert_uint_eq(strlen(big), 200);
	}
}
END_TEST

START_TEST(spki_and_pins)
{
	gnutls_x509_crt_t a = certs_crt("good"), b = certs_crt("serveronly");
	unsigned char sa[32], sb[32], pins[2][32];
	gnutls_datum_t chain[4];
	unsigned n;
	char text[64];

	ck_assert_int_eq(cs_spki_sha256(a, sa), 0);
	ck_assert_int_eq(cs_spki_sha256(b, sb), 0);
	ck_assert_int_ne(memcmp(sa, sb, 32), 0);
	cs_spki_format(sa, text, sizeof(text));
	ck_assert_int_eq(strncmp(text, "sha256/", 7), 0);
	ck_assert_uint_eq(strlen(text), 7 + 44);

	n = certs_chain("good.pem", chain, 4);
	ck_assert_uint_eq(n, 2);
	memcpy(pins[0], sb, 32);
	ck_assert_int_eq(cs_pin_match(chain, n, (const unsigned char (*)[32])
	    pins, 1), -1);
	memcpy(pins[1], sa, 32);
	ck_assert_int_eq(cs_pin_match(chain, n, (const unsigned char (*)[32])
	    pins, 2), 0);
	ck_assert_int_eq(cs_pin_match(chain, n, NULL, 0), -1);
	certs_chain_free(chain, n);
	/* A pin on the intermediate's key matches at index 1. */
	{
		gnutls_x509_crt_t i;
		gnutls_datum_t pem;

		ck_assert_int_eq(gnutls_load_file(certs_path("int.pem"), &pem),
		    0);
		ck_assert_int_eq(gnutls_x509_crt_init(&i), 0);
		ck_assert_int_eq(gnutls_x509_crt_import(i, &pem,
		    GNUTLS_X509_FMT_PEM), 0);
		gnutls_free(pem.data);
		ck_assert_int_eq(cs_spki_sha256(i, pins[0]), 0);
		gnutls_x509_crt_deinit(i);
		n = certs_chain("good.pem", chain, 4);
		ck_assert_int_eq(cs_pin_match(chain, n,
		    (const unsigned char (*)[32])pins, 1), 1);
		certs_chain_free(chain, n);
	}
	gnutls_x509_crt_deinit(a);
	gnutls_x509_crt_deinit(b);
}
END_TEST

START_TEST(names)
{
	char out[256];

	ck_assert_str_eq(cs_id_name(CS_ID_SRV), "srv-id");
	ck_assert_int_eq(cs__domain_norm("B\xc3\xbc" "cher.Example.", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "xn--bcher-kva.example");
	ck_assert_int_eq(cs__domain_norm("a/b", out, sizeof(out)), -1);
	ck_assert_int_eq(cs__domain_norm("..", out, sizeof(out)), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certstore identity");
	TCase *tc = tcase_create("identity");

	tcase_add_test(tc, dns_id);
	tcase_add_test(tc, wildcards);
	tcase_add_test(tc, srv_id);
	tcase_add_test(tc, xmppaddr);
	tcase_add_test(tc, idn);
	tcase_add_test(tc, cn);
	tcase_add_test(tc, der);
	tcase_add_test(tc, spki_and_pins);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return certs_run(s);
}
