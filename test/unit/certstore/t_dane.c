/*
 * t_dane.c: a peer's chain against TLSA records (RFC 6698, RFC 7671).
 * The records are made by mkcerts.sh with openssl, so libgnutls-dane's
 * matching is checked against a second implementation; the TLSA data
 * that portcullis -n prints (cs_chain_tlsa) is checked against both.
 *
 * The chains are leaf, intermediate; ca.pem, the root, is never sent.
 */
#include <time.h>

#include <gnutls/dane.h>

#include "certstore/certstore.h"

#include "certs.h"

/* One record: usage selector mtype and the hex of a mkcerts.sh file. */
struct rec {
	struct cs_tlsa	 t;
	unsigned char	 buf[4096];
};

static void
rec(struct rec *r, unsigned usage, unsigned selector, unsigned mtype,
    const char *name)
{
	char file[64];
	gnutls_datum_t hex;
	size_t len = sizeof(r->buf);
	gnutls_datum_t h;

	snprintf(file, sizeof(file), "%s.s%um%u", name, selector, mtype);
	ck_assert_int_eq(gnutls_load_file(certs_path(file), &hex), 0);
	h.data = hex.data;
	h.size = hex.size;
	ck_assert_int_eq(gnutls_hex_decode(&h, r->buf, &len), 0);
	gnutls_free(hex.data);
	r->t.usage = (unsigned char)usage;
	r->t.selector = (unsigned char)selector;
	r->t.mtype = (unsigned char)mtype;
	r->t.data = r->buf;
	r->t.len = len;
}

static dane_state_t
state(void)
{
	dane_state_t ds;

	ck_assert_int_eq(dane_state_init(&ds, DANE_F_IGNORE_LOCAL_RESOLVER |
	    DANE_F_IGNORE_DNSSEC), 0);
	return ds;
}

/* A store with the test root as its only anchor, or with none. */
static struct cs *
store(int anchor)
{
	struct cs *cs = cs_new(NULL);
	struct cs_diag d;

	ck_assert_ptr_nonnull(cs);
	if (anchor)
		ck_assert_int_eq(cs_trust_file(cs, certs_path("ca.pem"), &d),
		    1);
	return cs;
}

/* Match chain file (a PEM chain) at now + days against recs. */
static struct cs_dane_result
match(struct cs *cs, const char *file, struct rec *recs, size_t n,
    const char *const *refs, size_t nrefs, int days)
{
	struct cs_dane_result r;
	struct cs_tlsa t[8];
	gnutls_datum_t chain[4];
	unsigned nc = certs_chain(file, chain, 4);
	dane_state_t ds = state();

	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++)
		t[i] = recs[i].t;
	ck_assert_int_eq(cs_dane_match(cs, ds, chain, nc, t, n, refs, nrefs,
	    time(NULL) + (time_t)days * 86400, &r), 0);
	dane_state_deinit(ds);
	certs_chain_free(chain, nc);
	return r;
}

static const char *const org[] = { "example.org" };
static const char *const elsewhere[] = { "elsewhere.example" };

/* DANE-EE: the leaf itself, every selector and matching type. */
START_TEST(dane_ee)
{
	struct cs *cs = store(0);
	struct cs_dane_result r;
	struct rec rc;

	for (unsigned s = 0; s < 2; s++)
		for (unsigned m = 0; m < 3; m++) {
			rec(&rc, 3, s, m, "good");
			r = match(cs, "good.pem", &rc, 1, org, 1, 0);
			ck_assert_uint_eq(r.usable, 1);
			ck_assert_int_eq(r.matched, 0);
			ck_assert_uint_eq(r.usage, 3);
			ck_assert_uint_eq(r.selector, s);
			ck_assert_uint_eq(r.mtype, m);
			ck_assert_uint_eq(r.depth, 0);
			/* No name check: none is reported. */
			ck_assert_int_eq(r.ref, -1);
			ck_assert_str_eq(r.reason, "");
			/* Another certificate's record does not match. */
			r = match(cs, "wrongname.pem", &rc, 1, org, 1, 0);
			ck_assert_int_eq(r.matched, -1);
			ck_assert_ptr_nonnull(strstr(r.reason,
			    "does not match"));
		}
	cs_unref(cs);
}
END_TEST

/* RFC 7671 5.1: DANE-EE ignores names and expiry; no trust anchor. */
START_TEST(dane_ee_no_names_no_dates)
{
	struct cs *cs = store(0);
	struct cs_dane_result r;
	struct rec rc;

	rec(&rc, 3, 1, 1, "wrongname");
	r = match(cs, "wrongname.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, 0);
	rec(&rc, 3, 0, 1, "expired");
	r = match(cs, "expired.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, 0);
	/* Years from now, still. */
	rec(&rc, 3, 1, 2, "good");
	r = match(cs, "good.pem", &rc, 1, elsewhere, 1, 3650);
	ck_assert_int_eq(r.matched, 0);
	cs_unref(cs);
}
END_TEST

/* DANE-TA: the intermediate as anchor, names and dates below it. */
START_TEST(dane_ta)
{
	struct cs *cs = store(0);
	static const char *const two[] = { "nothere.example",
	    "example.org" };
	struct cs_dane_result r;
	struct rec rc;

	for (unsigned s = 0; s < 2; s++)
		for (unsigned m = 0; m < 3; m++) {
			rec(&rc, 2, s, m, "int");
			r = match(cs, "good.pem", &rc, 1, org, 1, 0);
			ck_assert_int_eq(r.matched, 0);
			ck_assert_uint_eq(r.depth, 1);
			ck_assert_int_eq(r.ref, 0);
			ck_assert_int_eq(r.id, CS_ID_DNS);
		}
	/* The second reference identity (a secure SRV target). */
	rec(&rc, 2, 1, 1, "int");
	r = match(cs, "good.pem", &rc, 1, two, 2, 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_int_eq(r.ref, 1);
	/* A name the certificate does not carry. */
	r = match(cs, "good.pem", &rc, 1, elsewhere, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	ck_assert_ptr_nonnull(strstr(r.reason, "names none"));
	r = match(cs, "wrongname.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	/* An expired leaf under a good anchor. */
	r = match(cs, "expired.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	ck_assert_msg(strstr(r.reason, "expired") != NULL, "%s", r.reason);
	/* Good today, expired in a year. */
	r = match(cs, "good.pem", &rc, 1, org, 1, 365);
	ck_assert_int_eq(r.matched, -1);
	/* The leaf is no trust anchor for itself. */
	rec(&rc, 2, 1, 1, "good");
	r = match(cs, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	ck_assert_ptr_nonnull(strstr(r.reason, "names no certificate"));
	cs_unref(cs);
}
END_TEST

/* DANE-TA naming the root, which the peer does not send. */
START_TEST(dane_ta_unsent_root)
{
	struct cs *cs = store(0);
	struct cs_dane_result r;
	struct rec rc;

	/* A digest cannot stand for a certificate nobody sent... */
	rec(&rc, 2, 1, 1, "ca");
	r = match(cs, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	/* ...the whole certificate in the record can (RFC 7671 5.2.2). */
	rec(&rc, 2, 0, 0, "ca");
	r = match(cs, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_uint_eq(r.depth, 2);
	cs_unref(cs);
}
END_TEST

/* PKIX-EE and PKIX-TA: the match, and PKIX against our anchors. */
START_TEST(pkix_usages)
{
	struct cs *trusting = store(1), *none = store(0);
	struct cs_dane_result r;
	struct rec rc;

	rec(&rc, 1, 1, 1, "good");
	r = match(trusting, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_int_eq(r.ref, 0);
	r = match(none, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	ck_assert_ptr_nonnull(strstr(r.reason, "PKIX fails"));
	/* PKIX needs the name too. */
	rec(&rc, 1, 1, 1, "wrongname");
	r = match(trusting, "wrongname.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	/* PKIX-TA: the intermediate sent, or the root we hold. */
	rec(&rc, 0, 1, 1, "int");
	r = match(trusting, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_uint_eq(r.depth, 1);
	rec(&rc, 0, 0, 2, "ca");
	r = match(trusting, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_uint_eq(r.depth, 2);
	r = match(none, "good.pem", &rc, 1, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	cs_unref(trusting);
	cs_unref(none);
}
END_TEST

/* RFC 7671 4.1: unusable records are ignored; one match suffices. */
START_TEST(unusable_and_sets)
{
	struct cs *cs = store(0);
	struct cs_dane_result r;
	struct rec rc[5];

	rec(&rc[0], 3, 1, 1, "good");
	rc[0].t.usage = 4;
	rec(&rc[1], 3, 1, 1, "good");
	rc[1].t.selector = 2;
	rec(&rc[2], 3, 1, 1, "good");
	rc[2].t.mtype = 3;
	rec(&rc[3], 3, 1, 1, "good");
	rc[3].t.len = 31;
	rec(&rc[4], 3, 1, 2, "good");
	rc[4].t.len = 32;
	r = match(cs, "good.pem", rc, 5, org, 1, 0);
	ck_assert_uint_eq(r.usable, 0);
	ck_assert_int_eq(r.matched, -1);
	ck_assert_str_eq(r.reason, "no usable TLSA record");
	/* A mismatch, then a match: the set matches, the reason goes. */
	rec(&rc[0], 3, 1, 1, "wrongname");
	rec(&rc[1], 2, 1, 1, "int");
	r = match(cs, "good.pem", rc, 5, org, 1, 0);
	ck_assert_uint_eq(r.usable, 2);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_str_eq(r.reason, "");
	/* Mismatches only: the first reason is kept. */
	rec(&rc[1], 2, 1, 1, "ca");
	r = match(cs, "good.pem", rc, 2, org, 1, 0);
	ck_assert_int_eq(r.matched, -1);
	ck_assert_ptr_nonnull(strstr(r.reason, "TLSA 3 1 1"));
	cs_unref(cs);
}
END_TEST

START_TEST(errors)
{
	struct cs *cs = store(0);
	static const char *const bad[] = { "bad..name" };
	gnutls_datum_t chain[4], junk = { (unsigned char *)"junk", 4 };
	unsigned nc = certs_chain("good.pem", chain, 4);
	dane_state_t ds = state();
	struct cs_dane_result r;
	struct rec rc;

	rec(&rc, 3, 1, 1, "good");
	ck_assert_int_eq(cs_dane_match(cs, ds, chain, nc, &rc.t, 1, bad, 1,
	    time(NULL), &r), CS_E_NAME);
	ck_assert_int_eq(cs_dane_match(cs, ds, chain, 0, &rc.t, 1, org, 1,
	    time(NULL), &r), CS_E_CERT);
	ck_assert_int_eq(cs_dane_match(cs, ds, &junk, 1, &rc.t, 1, org, 1,
	    time(NULL), &r), CS_E_CERT);
	ck_assert_int_eq(cs_dane_match(cs, NULL, chain, nc, &rc.t, 1, org, 1,
	    time(NULL), &r), CS_E_CERT);
	dane_state_deinit(ds);
	certs_chain_free(chain, nc);
	cs_unref(cs);
}
END_TEST

/* What -n prints is what openssl computes, and what matching accepts. */
START_TEST(published)
{
	struct cs *cs = store(1);
	struct cs_diag d;
	struct rec want;
	char hex[160], file[32];
	gnutls_datum_t f;

	ck_assert_int_eq(cs_add(cs, "example.org", certs_path("good.pem"),
	    certs_path("good.key"), NULL, time(NULL), &d), 0);
	for (unsigned s = 0; s < 2; s++)
		for (unsigned m = 1; m < 3; m++) {
			ck_assert_int_eq(cs_chain_tlsa(cs, "example.org", 0, 0,
			    s, m, hex, sizeof(hex)), 0);
			snprintf(file, sizeof(file), "good.s%um%u", s, m);
			ck_assert_int_eq(gnutls_load_file(certs_path(file),
			    &f), 0);
			ck_assert_uint_eq(strlen(hex), f.size);
			ck_assert_int_eq(memcmp(hex, f.data, f.size), 0);
			gnutls_free(f.data);
			/* The top of the chain sent: the intermediate. */
			ck_assert_int_eq(cs_chain_tlsa(cs, "example.org", 0, 1,
			    s, m, hex, sizeof(hex)), 0);
			snprintf(file, sizeof(file), "int.s%um%u", s, m);
			ck_assert_int_eq(gnutls_load_file(certs_path(file),
			    &f), 0);
			ck_assert_int_eq(memcmp(hex, f.data, f.size), 0);
			gnutls_free(f.data);
		}
	rec(&want, 3, 1, 1, "good");
	ck_assert_int_eq(cs_chain_tlsa(cs, "example.org", 1, 0, 1, 1, hex,
	    sizeof(hex)), CS_E_NOTFOUND);
	ck_assert_int_eq(cs_chain_tlsa(cs, "example.net", 0, 0, 1, 1, hex,
	    sizeof(hex)), CS_E_NOTFOUND);
	ck_assert_int_eq(cs_chain_tlsa(cs, "example.org", 0, 0, 1, 3, hex,
	    sizeof(hex)), CS_E_CERT);
	ck_assert_int_eq(cs_chain_tlsa(cs, "example.org", 0, 0, 1, 2, hex,
	    64), CS_E_NOMEM);
	cs_unref(cs);
}
END_TEST

START_TEST(label)
{
	struct cs_tlsa t = { 255, 1, 2, NULL, 0 };
	char out[12];

	cs_tlsa_label(&t, out, sizeof(out));
	ck_assert_str_eq(out, "255 1 2");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certstore dane");
	TCase *tc = tcase_create("dane");

	tcase_add_test(tc, dane_ee);
	tcase_add_test(tc, dane_ee_no_names_no_dates);
	tcase_add_test(tc, dane_ta);
	tcase_add_test(tc, dane_ta_unsent_root);
	tcase_add_test(tc, pkix_usages);
	tcase_add_test(tc, unusable_and_sets);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, published);
	tcase_add_test(tc, label);
	suite_add_tcase(s, tc);
	return certs_run(s);
}
