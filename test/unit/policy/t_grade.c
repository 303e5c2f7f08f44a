/*
 * t_grade.c: the xmppoke rubric (STANDARDS.md GRADE-2 to GRADE-5) on
 * what GnuTLS makes of priority strings, with the TLS 1.3 extension.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

static const struct pol_grade_key ec = { 0, 256, 0 };
static const struct pol_grade_key rsa2048 = { 1, 2048, 0 };

static const char *
default_priority(int min)
{
	static char buf[POL__PRIORITY_MAX];
	struct pol_rule r;

	pol__rule_default(&r);
	r.min_version = (enum pol_version)min;
	pol__priority(&r, buf, sizeof(buf));
	return buf;
}

static struct pol_grade
grade(const char *prio, const struct pol_grade_key *keys, size_t n)
{
	struct pol_grade g;

	ck_assert_int_eq(pol_grade(prio, keys, n, &g), 0);
	return g;
}

#define ck_assert_score(g, want) \
	ck_assert_msg(fabs((g).score - (want)) < 0.01, \
	    "score %.2f, wanted %.2f", (g).score, (double)(want))

/* GRADE-5: the defaults give A with either key type. */
START_TEST(defaults)
{
	struct pol_grade g = grade(default_priority(POL_TLS12), &ec, 1);
	int tls13 = 0, cbc = 0, rsa_kx = 0;

	ck_assert_uint_eq(g.nversions, 2);
	ck_assert_int_eq(g.versions[0], GNUTLS_TLS1_3);
	ck_assert_int_eq(g.versions[1], GNUTLS_TLS1_2);
	ck_assert_uint_eq(g.nsuites, 9);
	for (size_t i = 0; i < g.nsuites; i++) {
		tls13 += g.suites[i].tls13;
		cbc += strstr(g.suites[i].name, "CBC") != NULL;
		rsa_kx += g.suites[i].kx == GNUTLS_KX_RSA;
	}
	ck_assert_int_eq(tls13, 3);
	ck_assert_int_eq(cbc, 0);
	ck_assert_int_eq(rsa_kx, 0);
	ck_assert_int_eq(g.protocol, 100);
	ck_assert_int_eq(g.kx, 100);
	ck_assert_int_eq(g.cipher, 90);
	ck_assert_score(g, 96);
	ck_assert_str_eq(g.letter, "A");
	ck_assert_str_eq(g.why, "");

	g = grade(default_priority(POL_TLS12), &rsa2048, 1);
	ck_assert_int_eq(g.kx, 90);
	ck_assert_score(g, 93);
	ck_assert_str_eq(g.letter, "A");
	/* Both chains served: the weaker key counts. */
	{
		struct pol_grade_key both[2] = { ec, rsa2048 };

		g = grade(default_priority(POL_TLS12), both, 2);
		ck_assert_score(g, 93);
	}
	/* TLS 1.0 on: protocol 95, still A (91.5 with RSA-2048). */
	g = grade(default_priority(POL_TLS10), &rsa2048, 1);
	ck_assert_int_eq(g.protocol, 95);
	ck_assert_score(g, 91.5);
	ck_assert_str_eq(g.letter, "A");
}
END_TEST

START_TEST(keys)
{
	struct pol_grade_key k = { 1, 1024, 0 };
	struct pol_grade g = grade(default_priority(POL_TLS12), &k, 1);

	/* 30 + 24 + 36 = 90, but a 1024-bit key caps at B. */
	ck_assert_score(g, 90);
	ck_assert_str_eq(g.letter, "B");
	ck_assert_ptr_nonnull(strstr(g.why, "caps at B"));
	k.bits = 512;
	g = grade(default_priority(POL_TLS12), &k, 1);
	ck_assert_str_eq(g.letter, "F");
	k.bits = 4096;
	g = grade(default_priority(POL_TLS12), &k, 1);
	ck_assert_int_eq(g.kx, 100);
	k.md5 = 1;
	g = grade(default_priority(POL_TLS12), &k, 1);
	ck_assert_str_eq(g.letter, "F");
	ck_assert_ptr_nonnull(strstr(g.why, "MD5"));
	/* No key given: nothing to penalise. */
	g = grade(default_priority(POL_TLS12), NULL, 0);
	ck_assert_int_eq(g.kx, 100);
}
END_TEST

START_TEST(caps)
{
	struct pol_grade g;

	/* No forward secrecy at all: A becomes A-. */
	g = grade("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA", &rsa2048, 1);
	ck_assert_str_eq(g.letter, "A-");
	ck_assert_ptr_nonnull(strstr(g.why, "forward secrecy"));
	/* Forward secrecy preferred, not required: still A. */
	g = grade("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:+RSA",
	    &rsa2048, 1);
	ck_assert_str_eq(g.letter, "A");
	/* No TLS 1.2: C at best. */
	g = grade("NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0", &ec, 1);
	ck_assert_str_eq(g.letter, "C");
	ck_assert_int_eq(g.protocol, 92);
	/* DHE over a 2048-bit group scores 90 on key exchange. */
	g = grade("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA"
	    ":-GROUP-ALL:+GROUP-FFDHE2048", &ec, 1);
	ck_assert_int_eq(g.kx, 90);
	/* Anonymous key exchange scores 0. */
	g = grade("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ANON-ECDH", NULL, 0);
	ck_assert_int_eq(g.kx, 0);
	/* 3DES is 112 bits: the cipher score drops to (20 + 100) / 2. */
	g = grade("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA"
	    ":-CIPHER-ALL:+3DES-CBC:+AES-256-GCM", &ec, 1);
	ck_assert_int_eq(g.cipher, 60);
	ck_assert_score(g, 30 + 30 + 24);
}
END_TEST

/* Our TLS 1.3 extension. */
START_TEST(tls13_only)
{
	struct pol_grade g = grade("SECURE128:-VERS-ALL:+VERS-TLS1.3", &ec, 1);

	ck_assert_uint_eq(g.nversions, 1);
	ck_assert_int_eq(g.protocol, 100);
	ck_assert_str_eq(g.letter, "A");
	ck_assert_ptr_nonnull(strstr(g.why, "xmppoke cannot connect"));
	for (size_t i = 0; i < g.nsuites; i++)
		ck_assert_int_eq(g.suites[i].tls13, 1);
}
END_TEST

START_TEST(errors_and_order)
{
	struct pol_grade g;

	ck_assert_int_eq(pol_grade("NORMAL:+BOGUS", NULL, 0, &g), -1);
	ck_assert_int_gt(pol_grade_cmp("A", "B"), 0);
	ck_assert_int_gt(pol_grade_cmp("A", "A-"), 0);
	ck_assert_int_gt(pol_grade_cmp("A-", "B"), 0);
	ck_assert_int_eq(pol_grade_cmp("C", "C"), 0);
	ck_assert_int_lt(pol_grade_cmp("F", "E"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy grade");
	TCase *tc = tcase_create("grade");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, caps);
	tcase_add_test(tc, tls13_only);
	tcase_add_test(tc, errors_and_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
