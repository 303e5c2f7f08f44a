/*
 * t_policy.c: the configuration reader: good files load with the right
 * values and defaults; each kind of mistake is refused with its line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"

#define DOMAIN_OK \
	"domains = ( { name = \"example.org\";" \
	" certificate = \"/x/chain.pem\"; key = \"/x/key.pem\";" \
	" c2s-backend = \"127.0.0.1:5222\"; } );\n"
#define LISTEN_OK \
	"listen = ( { role = \"c2s\"; address = \"127.0.0.1:5222\"; } );\n"

static struct pol *
load_ok(const char *text)
{
	struct pol_diag d;
	struct pol *p = NULL;
	int rc = pol_load_buffer(text, "test.conf", &p, &d);

	ck_assert_msg(rc == 0, "refused: %s:%d: %s", d.file, d.line, d.msg);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Refused with an error on line `line` whose message contains `want`. */
static void
load_bad(const char *text, int line, const char *want)
{
	struct pol_diag d;
	struct pol *p = NULL;
	int rc = pol_load_buffer(text, "test.conf", &p, &d);

	ck_assert_msg(rc < 0, "accepted, wanted '%s'", want);
	ck_assert_ptr_null(p);
	ck_assert_msg(d.line == line, "line %d, wanted %d (%s)", d.line, line,
	    d.msg);
	ck_assert_msg(strstr(d.msg, want) != NULL, "message '%s' lacks '%s'",
	    d.msg, want);
}

START_TEST(minimal_defaults)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK);
	const struct pol_rule *r = pol_rule(p, POL_C2S, "example.org");
	struct pol_limits lim;
	struct pol_timeouts to;

	ck_assert_uint_eq(p->nlisteners, 1);
	ck_assert_uint_eq(p->listeners[0].port, 5222);
	ck_assert_int_eq(p->listeners[0].tls, POL_TLS_STARTTLS);
	ck_assert_uint_eq(p->ndomains, 1);
	ck_assert_str_eq(p->domains[0].name, "example.org");
	ck_assert_uint_eq(p->domains[0].ncerts, 1);
	ck_assert_str_eq(p->domains[0].c2s_backend.host, "127.0.0.1");
	ck_assert_int_eq(r->min_version, POL_TLS12);
	ck_assert_int_eq(r->max_version, POL_TLS13);
	ck_assert_int_eq(r->forward_secrecy, POL_FS_REQUIRE);
	ck_assert_int_eq(r->action, POL_ENFORCE);
	/* The default suite list: ECDHE only, AEAD only, no old versions. */
	ck_assert_ptr_nonnull(strstr(r->priority, "+VERS-TLS1.3"));
	ck_assert_ptr_nonnull(strstr(r->priority, "+VERS-TLS1.2"));
	ck_assert_ptr_null(strstr(r->priority, "TLS1.1"));
	ck_assert_ptr_null(strstr(r->priority, ":+RSA"));
	ck_assert_ptr_null(strstr(r->priority, "CBC"));
	pol_defaults(&lim, &to);
	ck_assert_uint_eq(p->limits.stanza_bytes, lim.stanza_bytes);
	ck_assert_uint_eq(p->timeouts.idle, to.idle);
	ck_assert_uint_eq(p->workers, 0);
	pol_unref(p);
}
END_TEST

START_TEST(full_file)
{
	struct pol *p = load_ok(
	    "workers = 2;\n"
	    "log-level = \"debug\";\n"
	    "listen = (\n"
	    "  { role = \"c2s\"; address = \"[::1]:5222\"; tls = \"starttls\"; },\n"
	    "  { role = \"c2s\"; address = \"0.0.0.0:5223\"; tls = \"direct\";"
	    "    domain = \"Example.ORG\"; }\n"
	    ");\n"
	    "policy = { min-version = \"1.3\";\n"
	    "  c2s = { min-version = \"1.2\"; forward-secrecy = \"prefer\"; };\n"
	    "};\n"
	    "limits = { stanza-bytes = 65536; depth = 16; };\n"
	    "timeouts = { idle = 60; };\n"
	    "domains = ( { name = \"example.org\";\n"
	    "  certificates = ( { certificate = \"/a.pem\"; key = \"/a.key\"; },\n"
	    "                   { certificate = \"/b.pem\"; key = \"/b.key\";"
	    "                     ocsp = \"/b.der\"; } );\n"
	    "  c2s-backend = \"unix:/run/jabberd/c2s.sock\";\n"
	    "  s2s-backend = \"[::1]:5269\"; } );\n");
	const struct pol_rule *c2s = pol_rule(p, POL_C2S, NULL);
	const struct pol_rule *s2s = pol_rule(p, POL_S2S_IN, NULL);

	ck_assert_uint_eq(p->workers, 2);
	ck_assert_int_eq(p->loglevel, POL_LOG_DEBUG);
	ck_assert_str_eq(p->listeners[0].host, "::1");
	ck_assert_int_eq(p->listeners[1].tls, POL_TLS_DIRECT);
	ck_assert_str_eq(p->listeners[1].domain, "example.org");
	ck_assert_int_eq(c2s->min_version, POL_TLS12);
	ck_assert_int_eq(c2s->forward_secrecy, POL_FS_PREFER);
	ck_assert_ptr_nonnull(strstr(c2s->priority, ":+RSA"));
	ck_assert_int_eq(s2s->min_version, POL_TLS13);
	ck_assert_ptr_null(strstr(s2s->priority, "TLS1.2"));
	ck_assert_uint_eq(p->limits.stanza_bytes, 65536);
	ck_assert_uint_eq(p->limits.depth, 16);
	ck_assert_uint_eq(p->timeouts.idle, 60);
	ck_assert_uint_eq(p->domains[0].ncerts, 2);
	ck_assert_str_eq(p->domains[0].certs[1].ocsp, "/b.der");
	ck_assert_int_eq(p->domains[0].c2s_backend.unix, 1);
	ck_assert_str_eq(p->domains[0].c2s_backend.path,
	    "/run/jabberd/c2s.sock");
	ck_assert_uint_eq(p->domains[0].s2s_backend.port, 5269);
	ck_assert_ptr_nonnull(pol_domain(p, "example.org"));
	ck_assert_ptr_null(pol_domain(p, "example.com"));
	pol_unref(p);
}
END_TEST

START_TEST(legacy_versions)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK
	    "policy = { min-version = \"1.0\"; };\n");
	const struct pol_rule *r = pol_rule(p, POL_C2S, NULL);

	ck_assert_ptr_nonnull(strstr(r->priority, "+VERS-TLS1.0"));
	ck_assert_ptr_nonnull(strstr(r->priority, "CBC"));
	pol_unref(p);
}
END_TEST

START_TEST(verbatim_priority)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK
	    "policy = { priority = \"SECURE256:-VERS-ALL:+VERS-TLS1.3\"; };\n");

	ck_assert_str_eq(pol_rule(p, POL_C2S, NULL)->priority,
	    "SECURE256:-VERS-ALL:+VERS-TLS1.3");
	ck_assert_int_eq(pol_rule(p, POL_C2S, NULL)->priority_set, 1);
	pol_unref(p);
}
END_TEST

START_TEST(idn_domain)
{
	struct pol *p = load_ok(LISTEN_OK
	    "domains = ( { name = \"b\xc3\xbc" "cher.example\";"
	    " certificate = \"/c\"; key = \"/k\";"
	    " c2s-backend = \"127.0.0.1:5222\"; } );\n");

	ck_assert_str_eq(p->domains[0].name, "xn--bcher-kva.example");
	pol_unref(p);
}
END_TEST

START_TEST(errors_with_lines)
{
	load_bad(LISTEN_OK DOMAIN_OK "bogus = 1;\n", 3,
	    "unknown setting 'bogus'");
	load_bad(LISTEN_OK DOMAIN_OK "limits = {\n stanza-bytes = 100;\n};\n",
	    4, "between 10000");
	load_bad(LISTEN_OK DOMAIN_OK "limits = {\n stanza = 100000;\n};\n",
	    4, "unknown setting 'stanza'");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n min-version = \"3.0\";\n};\n",
	    4, "must be one of");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n min-version = \"1.3\";\n"
	    " max-version = \"1.2\";\n};\n", 3, "above max-version");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n priority = \"NORMAL:+BOGUS\";\n"
	    "};\n", 3, "GnuTLS rejects");
	load_bad("listen = (\n { role = \"c2s\"; address = \"localhost:5222\"; }\n"
	    ");\n" DOMAIN_OK, 2, "not a literal");
	load_bad("listen = (\n { role = \"c2s\"; address = \"127.0.0.1:99999\"; }\n"
	    ");\n" DOMAIN_OK, 2, "bad port");
	load_bad("listen = (\n { role = \"web\"; address = \"127.0.0.1:1\"; }\n"
	    ");\n" DOMAIN_OK, 2, "must be one of");
	load_bad(LISTEN_OK "domains = (\n { name = \"a..b\"; }\n);\n", 3,
	    "not a valid domain");
	load_bad(LISTEN_OK "domains = (\n { name = \"example.org\";"
	    " certificate = \"/c\"; c2s-backend = \"127.0.0.1:1\"; }\n);\n", 3,
	    "has no 'key'");
	load_bad(LISTEN_OK "domains = (\n { name = \"example.org\";"
	    " certificate = \"/c\"; key = \"/k\"; }\n);\n", 3, "has no backend");
	load_bad(LISTEN_OK DOMAIN_OK
	    "domains2 = 1;\n", 3, "unknown setting");
	/* A libconfig syntax error carries libconfig's line. */
	load_bad(LISTEN_OK "domains = (\n { name = \"x\" \n", 4, "syntax");
}
END_TEST

START_TEST(duplicates)
{
	load_bad("listen = (\n { role = \"c2s\"; address = \"127.0.0.1:1\"; },\n"
	    " { role = \"c2s\"; address = \"127.0.0.1:1\"; tls = \"direct\"; }\n"
	    ");\n" DOMAIN_OK, 3, "already used on line 2");
	load_bad(LISTEN_OK "domains = (\n { name = \"a.example\";"
	    " certificate = \"/c\"; key = \"/k\"; c2s-backend = \"127.0.0.1:1\"; },\n"
	    " { name = \"A.example\"; certificate = \"/c\"; key = \"/k\";"
	    " c2s-backend = \"127.0.0.1:1\"; }\n);\n", 4, "already defined");
}
END_TEST

START_TEST(file_errors)
{
	struct pol_diag d;
	struct pol *p;
	char path[] = "/tmp/t_policy.XXXXXX";
	int fd;

	ck_assert_int_eq(pol_load("/nonexistent/portcullis.conf", &p, &d),
	    POL_E_IO);
	ck_assert_str_eq(d.file, "/nonexistent/portcullis.conf");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(write(fd, LISTEN_OK "\n\nbad = ;\n", strlen(LISTEN_OK) +
	    9), 0);
	close(fd);
	ck_assert_int_eq(pol_load(path, &p, &d), POL_E_SYNTAX);
	ck_assert_int_eq(d.line, 4);
	unlink(path);
}
END_TEST

START_TEST(normalise)
{
	char out[256];

	ck_assert_int_eq(pol_domain_normalise("Example.ORG.", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "example.org");
	ck_assert_int_eq(pol_domain_normalise("b\xc3\xbc" "cher.example", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "xn--bcher-kva.example");
	ck_assert_int_eq(pol_domain_normalise("", out, sizeof(out)), -1);
	ck_assert_int_eq(pol_domain_normalise("a b", out, sizeof(out)), -1);
	ck_assert_int_eq(pol_domain_normalise(".x", out, sizeof(out)), -1);
	ck_assert_int_eq(pol_domain_normalise("x", out, 1), -1);
}
END_TEST

START_TEST(refcount)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK);

	ck_assert_ptr_eq(pol_ref(p), p);
	pol_unref(p);
	ck_assert_str_eq(p->domains[0].name, "example.org");
	pol_unref(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("load");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, minimal_defaults);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, legacy_versions);
	tcase_add_test(tc, verbatim_priority);
	tcase_add_test(tc, idn_domain);
	tcase_add_test(tc, errors_with_lines);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, file_errors);
	tcase_add_test(tc, normalise);
	tcase_add_test(tc, refcount);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
