/*
 * t_verify.c: trust anchors and peer verification.  A peer's chain is
 * verified as a server certificate (serverAuth or no EKU; never
 * clientAuth, STANDARDS.md ID-8), at the time given, with identity
 * reported apart from PKIX.
 */
#include <time.h>

#include "certstore/certstore.h"

#include "certs.h"

static struct cs *
store(unsigned min_rsa_bits)
{
	struct cs_opts o = { .min_rsa_bits = min_rsa_bits, .warn_days = 30 };
	struct cs *cs = cs_new(&o);
	struct cs_diag d;

	ck_assert_ptr_nonnull(cs);
	ck_assert_int_eq(cs_trust_file(cs, certs_path("ca.pem"), &d), 1);
	return cs;
}

/* Verify file (a PEM chain) for domain at now + days. */
static struct cs_peer_result
verify(struct cs *cs, const char *file, const char *domain,
    enum cs_service svc, int days)
{
	struct cs_peer_result r;
	gnutls_datum_t chain[4];
	unsigned n = certs_chain(file, chain, 4);

	ck_assert_int_eq(cs_verify_peer(cs, chain, n, domain, svc,
	    time(NULL) + (time_t)days * 86400, &r), 0);
	certs_chain_free(chain, n);
	return r;
}

START_TEST(good_chain)
{
	struct cs *cs = store(2048);
	struct cs_peer_result r = verify(cs, "good.pem", "example.org",
	    CS_XMPP_SERVER, 0);
	gnutls_x509_crt_t leaf = certs_crt("good");
	unsigned char spki[32];

	ck_assert_int_eq(r.pkix, 1);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_str_eq(r.reason, "");
	ck_assert_int_eq(r.id, CS_ID_DNS);
	ck_assert_int_eq(cs_spki_sha256(leaf, spki), 0);
	ck_assert_int_eq(memcmp(spki, r.spki, 32), 0);
	ck_assert_ptr_nonnull(strstr(r.subject, "CN=example.org"));
	ck_assert_ptr_nonnull(strstr(r.issuer, "intermediate"));
	ck_assert_int_eq(r.key_algo, GNUTLS_PK_ECDSA);
	ck_assert_uint_eq(r.key_bits, 256);
	ck_assert(r.not_before <= time(NULL) && r.not_after > time(NULL));
	gnutls_x509_crt_deinit(leaf);
	/* PKIX and identity are separate verdicts. */
	r = verify(cs, "wrongname.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 1);
	ck_assert_int_eq(r.id, CS_ID_NONE);
	cs_unref(cs);
}
END_TEST

/* ID-8: serverAuth-only and EKU-less peers are fine, clientAuth is not. */
START_TEST(purpose)
{
	struct cs *cs = store(2048);
	struct cs_peer_result r;

	r = verify(cs, "serveronly.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_msg(r.pkix == 1, "serverAuth-only refused: %s", r.reason);
	r = verify(cs, "noeku.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_msg(r.pkix == 1, "no EKU refused: %s", r.reason);
	r = verify(cs, "clientonly.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "purpose"));
	cs_unref(cs);
}
END_TEST

START_TEST(dates)
{
	struct cs *cs = store(2048);
	struct cs_peer_result r;

	r = verify(cs, "expired.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "expired"));
	ck_assert(r.status & GNUTLS_CERT_EXPIRED);
	r = verify(cs, "future.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "not-yet-valid"));
	/* The clock is ours: in 20 days it is valid, in 200 expired. */
	r = verify(cs, "future.pem", "example.org", CS_XMPP_SERVER, 20);
	ck_assert_int_eq(r.pkix, 1);
	r = verify(cs, "good.pem", "example.org", CS_XMPP_SERVER, 200);
	ck_assert_int_eq(r.pkix, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "expired"));
	cs_unref(cs);
}
END_TEST

START_TEST(untrusted)
{
	struct cs *cs = store(2048), *empty = cs_new(NULL);
	struct cs_peer_result r;
	gnutls_datum_t chain[4];
	unsigned n;

	r = verify(cs, "selfsigned.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "untrusted-issuer"));
	/* The identity still matches: DANE or a pin may vouch for it. */
	ck_assert_int_eq(r.id, CS_ID_DNS);
	/* Without the intermediate the path does not reach the root. */
	r = verify(cs, "good.crt", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	/* No anchors, no trust. */
	r = verify(empty, "good.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	/* Garbage and bad references are errors, not verdicts. */
	n = certs_chain("good.pem", chain, 4);
	ck_assert_int_eq(cs_verify_peer(cs, chain, 0, "example.org",
	    CS_XMPP_SERVER, time(NULL), &r), CS_E_CERT);
	ck_assert_int_eq(cs_verify_peer(cs, chain, n, "a..b",
	    CS_XMPP_SERVER, time(NULL), &r), CS_E_NAME);
	chain[0].size /= 2;
	ck_assert_int_eq(cs_verify_peer(cs, chain, n, "example.org",
	    CS_XMPP_SERVER, time(NULL), &r), CS_E_CERT);
	chain[0].size *= 2;
	certs_chain_free(chain, n);
	cs_unref(cs);
	cs_unref(empty);
}
END_TEST

/* RSA-1024 fails with the default minimum, passes when allowed. */
START_TEST(weak_rsa)
{
	struct cs *cs = store(2048), *lax = store(1024);
	struct cs_peer_result r;

	r = verify(cs, "rsa2048.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 1);
	ck_assert_uint_eq(r.key_bits, 2048);
	r = verify(cs, "rsa1024.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, "insecure"));
	r = verify(lax, "rsa1024.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.pkix, 1);
	cs_unref(cs);
	cs_unref(lax);
}
END_TEST

START_TEST(identities_through_verify)
{
	struct cs *cs = store(2048);
	struct cs_peer_result r;

	r = verify(cs, "srvserver.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.id, CS_ID_SRV);
	r = verify(cs, "srvclient.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.id, CS_ID_NONE);
	r = verify(cs, "xmppaddr.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.id, CS_ID_XMPPADDR);
	r = verify(cs, "idn.pem", "b\xc3\xbc" "cher.example", CS_XMPP_SERVER,
	    0);
	ck_assert_int_eq(r.pkix, 1);
	ck_assert_int_eq(r.id, CS_ID_DNS);
	r = verify(cs, "wildcard.pem", "muc.example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.id, CS_ID_WILDCARD);
	r = verify(cs, "cnonly.pem", "example.org", CS_XMPP_SERVER, 0);
	ck_assert_int_eq(r.id, CS_ID_NONE);
	cs_unref(cs);
	{
		struct cs_opts o = { .min_rsa_bits = 2048, .cn_fallback = 1 };
		struct cs_diag d;

		cs = cs_new(&o);
		ck_assert_int_eq(cs_trust_file(cs, certs_path("ca.pem"), &d),
		    1);
		r = verify(cs, "cnonly.pem", "example.org", CS_XMPP_SERVER,
		    0);
		ck_assert_int_eq(r.id, CS_ID_CN);
		cs_unref(cs);
	}
}
END_TEST

/* ID-9: more reference names, such as a secure SRV target, in order. */
START_TEST(several_refs)
{
	static const char *const refs[] = { "source.example",
	    "example.org", "conference.example.org" };
	static const char *const bad[] = { "source.example", "bad..name" };
	struct cs *cs = store(2048);
	struct cs_peer_result r;
	gnutls_datum_t chain[4];
	unsigned n = certs_chain("good.pem", chain, 4);
	int which;

	ck_assert_int_eq(cs_verify_peer_refs(cs, chain, n, refs, 3,
	    CS_XMPP_SERVER, time(NULL), &r, &which), 0);
	ck_assert_int_eq(r.pkix, 1);
	ck_assert_int_eq(which, 1);
	ck_assert_int_eq(r.id, CS_ID_DNS);
	ck_assert_int_eq(cs_verify_peer_refs(cs, chain, n, refs, 1,
	    CS_XMPP_SERVER, time(NULL), &r, &which), 0);
	ck_assert_int_eq(which, -1);
	ck_assert_int_eq(r.id, CS_ID_NONE);
	ck_assert_int_eq(cs_verify_peer_refs(cs, chain, n, bad, 2,
	    CS_XMPP_SERVER, time(NULL), &r, &which), CS_E_NAME);
	ck_assert_int_eq(cs_verify_peer_refs(cs, chain, n, refs, 0,
	    CS_XMPP_SERVER, time(NULL), &r, NULL), CS_E_NAME);
	certs_chain_free(chain, n);
	cs_unref(cs);
}
END_TEST

START_TEST(trust_files)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;
	int n;

	ck_assert_int_eq(cs_trust_file(cs, "/nonexistent/ca.pem", &d),
	    CS_E_IO);
	ck_assert_str_eq(d.file, "/nonexistent/ca.pem");
	ck_assert_int_eq(cs_trust_file(cs, certs_path("good.key"), &d),
	    CS_E_TRUST);
	/* Two anchors from two files; the system store adds its own. */
	ck_assert_int_eq(cs_trust_file(cs, certs_path("ca.pem"), &d), 1);
	ck_assert_int_eq(cs_trust_file(cs, certs_path("int.pem"), &d), 1);
	n = cs_trust_system(cs, &d);
	ck_assert_int_ge(n, 0);
	cs_unref(cs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certstore verify");
	TCase *tc = tcase_create("verify");

	tcase_add_test(tc, good_chain);
	tcase_add_test(tc, purpose);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, untrusted);
	tcase_add_test(tc, weak_rsa);
	tcase_add_test(tc, identities_through_verify);
	tcase_add_test(tc, several_refs);
	tcase_add_test(tc, trust_files);
	suite_add_tcase(s, tc);
	return certs_run(s);
}
