/*
 * t_store.c: loading our own chains: ECDSA and RSA side by side, the
 * names a domain's chains cover, refusals (expired, not yet valid, weak
 * RSA, a key that does not match, a bad or revoked OCSP staple) and
 * notes (ending soon, stale staple).
 */
#include <time.h>

#include "certstore/certstore.h"

#include "certs.h"

static int
add(struct cs *cs, const char *domain, const char *name, const char *ocsp,
    int days, struct cs_diag *d)
{
	char chain[64], key[64];

	snprintf(chain, sizeof(chain), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	return cs_add(cs, domain, certs_path(chain), certs_path(key),
	    ocsp != NULL ? certs_path(ocsp) : NULL,
	    time(NULL) + (time_t)days * 86400, d);
}

/* The first note whose message contains want, or NULL. */
static const struct cs_note *
find_note(const struct cs *cs, const char *want)
{
	const struct cs_note *n;
	size_t count = cs_notes(cs, &n);

	for (size_t i = 0; i < count; i++)
		if (strstr(n[i].msg, want) != NULL)
			return &n[i];
	return NULL;
}

START_TEST(two_key_types)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;
	const struct cs_chain_info *ci;
	const struct cs_note *n;

	ck_assert_int_eq(add(cs, "example.org", "good", NULL, 0, &d), 0);
	ck_assert_int_eq(add(cs, "example.org", "rsa2048", NULL, 0, &d), 0);
	ck_assert_uint_eq(cs_chains(cs, "example.org"), 2);
	ck_assert_uint_eq(cs_chains(cs, "example.com"), 0);
	ck_assert_ptr_nonnull(cs_credentials(cs, "example.org"));
	ck_assert_ptr_null(cs_credentials(cs, "example.com"));
	ck_assert_ptr_null(cs_credentials(cs, NULL));
	ci = cs_chain(cs, "example.org", 0);
	ck_assert_int_eq(ci->key_algo, GNUTLS_PK_ECDSA);
	ck_assert_str_eq(ci->file, certs_path("good.pem"));
	ck_assert_int_eq(ci->md5, 0);
	ci = cs_chain(cs, "example.org", 1);
	ck_assert_int_eq(ci->key_algo, GNUTLS_PK_RSA);
	ck_assert_uint_eq(ci->key_bits, 2048);
	ck_assert(ci->not_after > time(NULL) + 80 * 86400);
	ck_assert_ptr_null(cs_chain(cs, "example.org", 2));
	/* Nothing to say about chains that end in 90 days. */
	ck_assert_uint_eq(cs_notes(cs, &n), 0);
	cs_unref(cs);
}
END_TEST

START_TEST(coverage)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;

	ck_assert_int_eq(add(cs, "example.org", "good", NULL, 0, &d), 0);
	ck_assert_int_eq(cs_covers(cs, "example.org", "example.org"), 1);
	ck_assert_int_eq(cs_covers(cs, "example.org",
	    "conference.example.org"), 1);
	ck_assert_int_eq(cs_covers(cs, "example.org", "upload.example.org"),
	    0);
	ck_assert_int_eq(cs_covers(cs, "example.net", "example.org"), 0);
	/* Any identity type counts: SRV-ID, XmppAddr, wildcard. */
	ck_assert_int_eq(add(cs, "srv.test", "srvserver", NULL, 0, &d), 0);
	ck_assert_int_eq(cs_covers(cs, "srv.test", "example.org"), 1);
	ck_assert_int_eq(add(cs, "x.test", "xmppaddr", NULL, 0, &d), 0);
	ck_assert_int_eq(cs_covers(cs, "x.test", "example.org"), 1);
	ck_assert_int_eq(add(cs, "w.test", "wildcard", NULL, 0, &d), 0);
	ck_assert_int_eq(cs_covers(cs, "w.test", "upload.example.org"), 1);
	ck_assert_int_eq(cs_covers(cs, "w.test", "example.org"), 0);
	/* The CN alone covers nothing. */
	ck_assert_int_eq(add(cs, "cn.test", "cnonly", NULL, 0, &d), 0);
	ck_assert_int_eq(cs_covers(cs, "cn.test", "example.org"), 0);
	cs_unref(cs);
}
END_TEST

START_TEST(refusals)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;

	ck_assert_int_eq(add(cs, "example.org", "expired", NULL, 0, &d),
	    CS_E_EXPIRED);
	ck_assert_ptr_nonnull(strstr(d.msg, "expired on"));
	ck_assert_str_eq(d.file, certs_path("expired.pem"));
	ck_assert_int_eq(add(cs, "example.org", "future", NULL, 0, &d),
	    CS_E_EXPIRED);
	ck_assert_ptr_nonnull(strstr(d.msg, "not valid before"));
	/* ...which is fine once its time has come. */
	ck_assert_int_eq(add(cs, "example.org", "future", NULL, 20, &d), 0);
	ck_assert_int_eq(add(cs, "example.org", "rsa1024", NULL, 0, &d),
	    CS_E_WEAKKEY);
	ck_assert_ptr_nonnull(strstr(d.msg, "1024 bits"));
	ck_assert_int_eq(cs_add(cs, "example.org", certs_path("good.pem"),
	    certs_path("serveronly.key"), NULL, time(NULL), &d),
	    CS_E_MISMATCH);
	ck_assert_int_eq(cs_add(cs, "example.org", certs_path("nope.pem"),
	    certs_path("good.key"), NULL, time(NULL), &d), CS_E_IO);
	ck_assert_str_eq(d.file, certs_path("nope.pem"));
	ck_assert_int_eq(cs_add(cs, "example.org", certs_path("good.key"),
	    certs_path("good.key"), NULL, time(NULL), &d), CS_E_CERT);
	/* An unsorted chain (intermediate first) is refused. */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "cat %s %s >%s",
		    certs_path("int.pem"), certs_path("good.crt"),
		    certs_path("unsorted.pem"));
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(cs_add(cs, "example.org",
		    certs_path("unsorted.pem"), certs_path("good.key"), NULL,
		    time(NULL), &d), CS_E_CERT);
	}
	/* A lone intermediate is not the key's certificate. */
	ck_assert_int_eq(cs_add(cs, "example.org", certs_path("int.pem"),
	    certs_path("good.key"), NULL, time(NULL), &d), CS_E_MISMATCH);
	cs_unref(cs);
	/* A smaller minimum lets RSA-1024 in, by choice. */
	{
		struct cs_opts o = { .min_rsa_bits = 1024, .warn_days = 30 };

		cs = cs_new(&o);
		ck_assert_int_eq(add(cs, "example.org", "rsa1024", NULL, 0,
		    &d), 0);
		ck_assert_uint_eq(cs_chain(cs, "example.org", 0)->key_bits,
		    1024);
		cs_unref(cs);
	}
}
END_TEST

START_TEST(expiry_notes)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;
	const struct cs_note *n;

	ck_assert_int_eq(add(cs, "example.org", "soon", NULL, 0, &d), 0);
	n = find_note(cs, "the chain ends on");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->level, CS_NOTE_WARNING);
	ck_assert_str_eq(n->domain, "example.org");
	ck_assert_ptr_nonnull(strstr(n->msg, "in 9 day") != NULL ?
	    strstr(n->msg, "in 9 day") : strstr(n->msg, "in 10 day"));
	/* good ends in 90 days: a note only when looked at 70 days on. */
	ck_assert_int_eq(add(cs, "example.net", "good", NULL, 70, &d), 0);
	ck_assert_uint_eq(cs_notes(cs, &n), 2);
	ck_assert_str_eq(n[1].domain, "example.net");
	cs_unref(cs);
}
END_TEST

START_TEST(ocsp)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;
	const struct cs_note *n;

	ck_assert_int_eq(add(cs, "example.org", "good", "good.ocsp", 0, &d),
	    0);
	ck_assert_uint_eq(cs_notes(cs, &n), 0);
	/* A response about another certificate. */
	ck_assert_int_eq(add(cs, "example.org", "serveronly", "good.ocsp", 0,
	    &d), CS_E_OCSP);
	ck_assert_ptr_nonnull(strstr(d.msg, "not about"));
	/* Signed by the root, which did not issue the leaf. */
	ck_assert_int_eq(add(cs, "example.org", "good", "badsig.ocsp", 0, &d),
	    CS_E_OCSP);
	ck_assert_ptr_nonnull(strstr(d.msg, "not signed"));
	ck_assert_int_eq(add(cs, "other.example", "wrongname",
	    "wrongname.ocsp", 0, &d), CS_E_OCSP);
	ck_assert_ptr_nonnull(strstr(d.msg, "revoked"));
	ck_assert_int_eq(add(cs, "example.org", "good", "good.key", 0, &d),
	    CS_E_OCSP);
	ck_assert_int_eq(add(cs, "example.org", "good", "nope.ocsp", 0, &d),
	    CS_E_IO);
	/* Two days on the one-day response is stale: noted, not refused. */
	ck_assert_int_eq(add(cs, "example.org", "good", "good.ocsp", 2, &d),
	    0);
	n = find_note(cs, "stale");
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->file, certs_path("good.ocsp"));
	cs_unref(cs);
}
END_TEST

START_TEST(our_chain_trusted)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;

	ck_assert_int_eq(add(cs, "example.org", "good", NULL, 0, &d), 0);
	ck_assert_int_eq(add(cs, "example.org", "selfsigned", NULL, 0, &d),
	    0);
	ck_assert_int_eq(add(cs, "other.example", "good", NULL, 0, &d), 0);
	/* No anchors yet. */
	ck_assert_int_eq(cs_chain_trusted(cs, "example.org", 0, time(NULL)),
	    0);
	ck_assert_int_eq(cs_trust_file(cs, certs_path("ca.pem"), &d), 1);
	ck_assert_int_eq(cs_chain_trusted(cs, "example.org", 0, time(NULL)),
	    1);
	ck_assert_int_eq(cs_chain_trusted(cs, "example.org", 1, time(NULL)),
	    0);
	ck_assert_int_eq(cs_chain_trusted(cs, "example.org", 2, time(NULL)),
	    0);
	/* Trusted, but not for that name. */
	ck_assert_int_eq(cs_chain_trusted(cs, "other.example", 0,
	    time(NULL)), 0);
	cs_unref(cs);
}
END_TEST

START_TEST(strings)
{
	ck_assert_str_eq(cs_strerror(CS_E_WEAKKEY), "key too small");
	ck_assert_str_eq(cs_strerror(-999), "unknown error");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certstore store");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, two_key_types);
	tcase_add_test(tc, coverage);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, expiry_notes);
	tcase_add_test(tc, ocsp);
	tcase_add_test(tc, our_chain_trusted);
	tcase_add_test(tc, strings);
	suite_add_tcase(s, tc);
	return certs_run(s);
}
