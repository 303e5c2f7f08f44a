/*
 * t_posh.c: POSH documents (RFC 7711): the JSON read strictly, the
 * fingerprints matched against the whole certificate (computed here with
 * openssl's output from mkcerts.sh), delegations, and hostile input.
 */
#include <stdio.h>

#include "certstore/certstore.h"

#include "certs.h"

/* The base64 of the digest in hex file name (mkcerts.sh's NAME.s0mM). */
static void
b64_of(const char *name, char *out, size_t outlen)
{
	gnutls_datum_t hex, raw, b64;
	unsigned char buf[64];
	size_t len = sizeof(buf);

	ck_assert_int_eq(gnutls_load_file(certs_path(name), &hex), 0);
	ck_assert_int_eq(gnutls_hex_decode(&hex, buf, &len), 0);
	gnutls_free(hex.data);
	raw.data = buf;
	raw.size = (unsigned)len;
	ck_assert_int_eq(gnutls_base64_encode2(&raw, &b64), 0);
	snprintf(out, outlen, "%.*s", (int)b64.size, b64.data);
	gnutls_free(b64.data);
}

static int
parse(const char *doc, struct cs_posh *p)
{
	return cs_posh_parse(doc, strlen(doc), p);
}

/* Does the leaf of file match doc? */
static int
matches(const char *doc, const char *file)
{
	struct cs_posh p;
	gnutls_datum_t chain[4];
	unsigned n = certs_chain(file, chain, 4);
	int m;

	ck_assert_int_eq(parse(doc, &p), 0);
	m = cs_posh_match(&chain[0], &p);
	certs_chain_free(chain, n);
	return m;
}

START_TEST(fingerprints)
{
	char s256[64], s512[128], other[64], doc[1024];
	struct cs_posh p;

	b64_of("good.s0m1", s256, sizeof(s256));
	b64_of("good.s0m2", s512, sizeof(s512));
	b64_of("wrongname.s0m1", other, sizeof(other));
	snprintf(doc, sizeof(doc), "{\"fingerprints\":[{\"sha-256\":\"%s\"}],"
	    "\"expires\":604800}", s256);
	ck_assert_int_eq(parse(doc, &p), 0);
	ck_assert_uint_eq(p.nfp, 1);
	ck_assert_int_eq(p.expires, 604800);
	ck_assert_str_eq(p.url, "");
	ck_assert_int_eq(matches(doc, "good.pem"), 1);
	ck_assert_int_eq(matches(doc, "wrongname.pem"), 0);
	/* SHA-512 alone, both together, another key first. */
	snprintf(doc, sizeof(doc), "{\"fingerprints\":[{\"sha-512\":\"%s\"}]}",
	    s512);
	ck_assert_int_eq(matches(doc, "good.pem"), 1);
	snprintf(doc, sizeof(doc), " {\"fingerprints\" : [ {\"sha-256\" : \"%s\","
	    " \"sha-512\":\"%s\"} ] } \n", s256, s512);
	ck_assert_int_eq(matches(doc, "good.pem"), 1);
	snprintf(doc, sizeof(doc), "{\"fingerprints\":[{\"sha-256\":\"%s\"},"
	    "{\"sha-256\":\"%s\"}]}", other, s256);
	ck_assert_int_eq(matches(doc, "good.pem"), 1);
	ck_assert_int_eq(matches(doc, "wrongname.pem"), 1);
	/* Where one entry gives two hashes, both must match. */
	snprintf(doc, sizeof(doc), "{\"fingerprints\":[{\"sha-256\":\"%s\","
	    "\"sha-512\":\"%s\"}]}", other, s512);
	ck_assert_int_eq(matches(doc, "good.pem"), 0);
	/* SHA-1 and the like count for nothing. */
	snprintf(doc, sizeof(doc), "{\"fingerprints\":[{\"sha-1\":\"%s\"}]}",
	    s256);
	ck_assert_int_eq(parse(doc, &p), 0);
	ck_assert_uint_eq(p.nfp, 0);
	ck_assert_int_eq(matches(doc, "good.pem"), 0);
	/* A digest of the wrong length is left out. */
	ck_assert_int_eq(parse("{\"fingerprints\":[{\"sha-256\":\"AAAA\"}]}",
	    &p), 0);
	ck_assert_uint_eq(p.nfp, 0);
}
END_TEST

START_TEST(delegation_and_members)
{
	struct cs_posh p;

	ck_assert_int_eq(parse("{\"url\":\"https:\\/\\/hosting.example"
	    "/.well-known/posh/xmpp-server.json\",\"expires\":3600}", &p), 0);
	ck_assert_str_eq(p.url,
	    "https://hosting.example/.well-known/posh/xmpp-server.json");
	ck_assert_int_eq(p.expires, 3600);
	ck_assert_int_eq(parse("{\"url\":\"http://hosting.example/x\"}", &p),
	    CS_E_FORMAT);
	/* Unknown members of any shape are skipped whole. */
	ck_assert_int_eq(parse("{\"x\":{\"a\":[1,2.5e3,-0,true,false,null,"
	    "\"\\u00e9\\ud83d\\ude00\"]},\"fingerprints\":[],\"y\":[]}", &p), 0);
	ck_assert_int_eq(p.expires, -1);
	/* A fraction or a negative number is no lifetime. */
	ck_assert_int_eq(parse("{\"expires\":1.5}", &p), 0);
	ck_assert_int_eq(p.expires, -1);
	ck_assert_int_eq(parse("{\"expires\":-3}", &p), 0);
	ck_assert_int_eq(p.expires, -1);
	ck_assert_int_eq(parse("{}", &p), 0);
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"fingerprints\":[}", "{\"a\":1,}",
		"{\"a\" 1}", "{\"a\":01}", "{\"a\":1} x", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\u0000\"}",
		"{\"a\":tru}", "{\"a\":\"x\ny\"}", "{\"a\":-}", "{\"a\":1.}",
		"{\"a\":1e}", "{\"expires\":1,\"expires\":2}",
		"{\"fingerprints\":[\"x\"]}", "{\"fingerprints\":{}}",
		"{\"url\":5}", "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
		"{\"a\":\"unterminated}", NULL
	};
	struct cs_posh p;

	for (size_t i = 0; bad[i] != NULL; i++)
		ck_assert_msg(parse(bad[i], &p) == CS_E_FORMAT, "%s", bad[i]);
	ck_assert_int_eq(cs_posh_parse(NULL, 0, &p), CS_E_FORMAT);
	/* A NUL inside is not the end of the document. */
	ck_assert_int_eq(cs_posh_parse("{}\0{}", 5, &p), CS_E_FORMAT);
	ck_assert_int_eq(cs_posh_match(NULL, &p), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certstore posh");
	TCase *tc = tcase_create("posh");

	tcase_add_test(tc, fingerprints);
	tcase_add_test(tc, delegation_and_members);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	return certs_run(s);
}
