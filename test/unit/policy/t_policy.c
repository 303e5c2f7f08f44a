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
	ck_assert_uint_eq(p->timeouts.posh, 5);
	ck_assert_ptr_null(p->dns.trust_anchor);
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

#define PIN0 "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define PIN1 "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

START_TEST(top_defaults)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK);
	const struct pol_rule *r = pol_rule(p, POL_S2S_OUT, "x.example");

	ck_assert_str_eq(p->state_dir, "/var/lib/portcullis");
	ck_assert_int_eq(p->trust.system, 1);
	ck_assert_uint_eq(p->trust.nca_files, 0);
	ck_assert_int_eq(p->trust.cn_fallback, 0);
	ck_assert_uint_eq(p->min_rsa_bits, 2048);
	ck_assert_uint_eq(p->expiry_warning_days, 30);
	ck_assert_str_eq(p->minimum_grade, "");
	/* s2s: DANE, then PKIX; no dialback-only peers; no pins. */
	ck_assert_uint_eq(r->nauth, 2);
	ck_assert_int_eq(r->auth[0], POL_AUTH_DANE);
	ck_assert_int_eq(r->auth[1], POL_AUTH_PKIX);
	ck_assert_uint_eq(r->npins, 0);
	ck_assert_int_eq(r->dnssec, POL_DNSSEC_VALIDATE);
	ck_assert_ptr_eq(r, &p->rules[1 + POL_S2S_OUT]);
	/* Enforcing rules hand GnuTLS their own string; one per setting. */
	ck_assert_ptr_eq(r->handshake_priority, r->priority);
	ck_assert_uint_eq(p->npriorities, 1);
	ck_assert_uint_eq(r->prio_idx, r->hs_prio_idx);
	pol_unref(p);
}
END_TEST

START_TEST(top_settings)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK
	    "state-directory = \"/srv/pc\";\n"
	    "trust = { system = false; ca-files = [\"/a.pem\", \"/b.pem\"];"
	    " cn-fallback = true; };\n"
	    "minimum-grade = \"A-\";\n"
	    "min-rsa-bits = 3072;\n"
	    "expiry-warning-days = 14;\n");

	ck_assert_str_eq(p->state_dir, "/srv/pc");
	ck_assert_int_eq(p->trust.system, 0);
	ck_assert_uint_eq(p->trust.nca_files, 2);
	ck_assert_str_eq(p->trust.ca_files[1], "/b.pem");
	ck_assert_int_eq(p->trust.cn_fallback, 1);
	ck_assert_str_eq(p->minimum_grade, "A-");
	ck_assert_int_eq(p->minimum_grade_line, 5);
	ck_assert_uint_eq(p->min_rsa_bits, 3072);
	ck_assert_uint_eq(p->expiry_warning_days, 14);
	pol_unref(p);
	p = load_ok(LISTEN_OK DOMAIN_OK "trust = { ca-files = \"/one.pem\"; };\n");
	ck_assert_uint_eq(p->trust.nca_files, 1);
	ck_assert_str_eq(p->trust.ca_files[0], "/one.pem");
	ck_assert_int_eq(p->trust.system, 1);
	pol_unref(p);
}
END_TEST

/*
 * Exact beats wildcard, a longer suffix beats a shorter one, a wildcard
 * matches at any depth but not its own base, and a rule stays in the
 * directions it names.
 */
START_TEST(rule_lookup)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK
	    "rules = (\n"
	    "  { match = \"*.example\"; min-version = \"1.3\"; },\n"
	    "  { match = \"*.partner.example\"; direction = \"s2s-out\";\n"
	    "    action = \"report\"; },\n"
	    "  { match = \"Partner.Example\"; direction = [\"s2s-in\","
	    " \"s2s-out\"];\n"
	    "    forward-secrecy = \"prefer\"; },\n"
	    "  { match = \"b\xc3\xbc" "cher.example\"; direction = \"c2s\";"
	    " max-version = \"1.2\"; }\n"
	    ");\n");
	const struct pol_rule *r;

	/* 1 + 3 directions + (3 + 1 + 2 + 1) list rules. */
	ck_assert_uint_eq(p->nrules, 4 + 7);
	r = pol_rule(p, POL_S2S_OUT, "partner.example");
	ck_assert_str_eq(r->name, "partner.example");
	ck_assert_int_eq(r->line, 7);
	ck_assert_int_eq(r->forward_secrecy, POL_FS_PREFER);
	ck_assert_int_eq(r->action, POL_ENFORCE);
	ck_assert_ptr_eq(pol_rule(p, POL_S2S_OUT, "partner.example"), r);
	r = pol_rule(p, POL_S2S_OUT, "a.partner.example");
	ck_assert_str_eq(r->name, "*.partner.example");
	ck_assert_int_eq(r->action, POL_REPORT);
	r = pol_rule(p, POL_S2S_OUT, "x.y.partner.example");
	ck_assert_str_eq(r->name, "*.partner.example");
	/* s2s-in has no *.partner.example: the shorter wildcard. */
	r = pol_rule(p, POL_S2S_IN, "a.partner.example");
	ck_assert_str_eq(r->name, "*.example");
	ck_assert_int_eq(r->min_version, POL_TLS13);
	ck_assert_int_eq(r->dir, POL_S2S_IN);
	r = pol_rule(p, POL_C2S, "xn--bcher-kva.example");
	ck_assert_str_eq(r->name, "xn--bcher-kva.example");
	ck_assert_int_eq(r->max_version, POL_TLS12);
	/* Not matched: the base of a wildcard, other names, no name. */
	ck_assert_str_eq(pol_rule(p, POL_C2S, "example")->name, "c2s");
	ck_assert_str_eq(pol_rule(p, POL_C2S, "example.org")->name, "c2s");
	ck_assert_str_eq(pol_rule(p, POL_C2S, "xexample")->name, "c2s");
	ck_assert_str_eq(pol_rule(p, POL_C2S, NULL)->name, "c2s");
	ck_assert_str_eq(pol_rule(p, POL_NDIR, "a.example")->name, "policy");
	ck_assert_int_eq(pol_match("*.example", "a.b.example"), 1);
	ck_assert_int_eq(pol_match("*.example", "example"), 0);
	ck_assert_int_eq(pol_match("*.example", ".example"), 0);
	ck_assert_int_eq(pol_match("example", "example"), 1);
	pol_unref(p);
}
END_TEST

/* default <- direction group <- rule, each overriding what it sets. */
START_TEST(rule_inheritance)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK
	    "policy = { min-version = \"1.1\";\n"
	    "  authentication = [\"pkix\", \"dialback\"];\n"
	    "  s2s-out = { forward-secrecy = \"prefer\";\n"
	    "    dnssec = \"require\"; };\n"
	    "  c2s = { priority = \"SECURE256:-VERS-ALL:+VERS-TLS1.3\"; };\n"
	    "};\n"
	    "rules = (\n"
	    "  { match = \"peer.example\"; authentication = [\"pin\", \"pkix\"];\n"
	    "    pins = [\"" PIN0 "\", \"" PIN1 "\"]; },\n"
	    "  { match = \"v.example\"; direction = \"c2s\"; min-version = \"1.2\"; },\n"
	    "  { match = \"w.example\"; direction = \"c2s\"; action = \"report\"; },\n"
	    "  { match = \"k.example\"; direction = \"s2s-out\";\n"
	    "    key-change = \"require-dane\"; }\n"
	    ");\n");
	const struct pol_rule *r;

	r = pol_rule(p, POL_S2S_OUT, "peer.example");
	ck_assert_int_eq(r->min_version, POL_TLS11);
	ck_assert_int_eq(r->forward_secrecy, POL_FS_PREFER);
	ck_assert_int_eq(r->dnssec, POL_DNSSEC_REQUIRE);
	ck_assert_int_eq(r->key_change, POL_KEYCHANGE_ALLOW);
	ck_assert_uint_eq(r->nauth, 2);
	ck_assert_int_eq(r->auth[0], POL_AUTH_PIN);
	ck_assert_int_eq(r->auth[1], POL_AUTH_PKIX);
	ck_assert_uint_eq(r->npins, 2);
	ck_assert_int_eq(r->pins[0][0], 0);
	ck_assert_int_eq(r->pins[1][31], 31);
	/* Same TLS settings as its direction: the same priority entry. */
	ck_assert_uint_eq(r->prio_idx,
	    pol_rule(p, POL_S2S_OUT, NULL)->prio_idx);
	r = pol_rule(p, POL_S2S_IN, "peer.example");
	ck_assert_int_eq(r->dnssec, POL_DNSSEC_VALIDATE);
	ck_assert_int_eq(r->forward_secrecy, POL_FS_REQUIRE);
	r = pol_rule(p, POL_S2S_IN, "other.example");
	ck_assert_int_eq(r->auth[1], POL_AUTH_DIALBACK);
	/* A key change refused for one peer, one direction. */
	r = pol_rule(p, POL_S2S_OUT, "k.example");
	ck_assert_int_eq(r->key_change, POL_KEYCHANGE_REQUIRE_DANE);
	ck_assert_int_eq(r->dnssec, POL_DNSSEC_REQUIRE);
	r = pol_rule(p, POL_S2S_IN, "k.example");
	ck_assert_int_eq(r->key_change, POL_KEYCHANGE_ALLOW);
	/* A verbatim string is inherited until versions are set again. */
	r = pol_rule(p, POL_C2S, "w.example");
	ck_assert_int_eq(r->priority_set, 1);
	ck_assert_str_eq(r->priority, "SECURE256:-VERS-ALL:+VERS-TLS1.3");
	ck_assert_int_eq(r->action, POL_REPORT);
	ck_assert_ptr_nonnull(strstr(r->handshake_priority, "+VERS-TLS1.0"));
	r = pol_rule(p, POL_C2S, "v.example");
	ck_assert_int_eq(r->priority_set, 0);
	ck_assert_ptr_nonnull(strstr(r->priority, "+VERS-TLS1.2"));
	ck_assert_ptr_null(strstr(r->priority, "TLS1.1"));
	pol_unref(p);
}
END_TEST

/*
 * report: the rule's own string stays strict (for grading and the check
 * after the handshake); GnuTLS gets a wider one with the strict choices
 * first.
 */
START_TEST(report_mode)
{
	struct pol *p = load_ok(LISTEN_OK DOMAIN_OK
	    "policy = { c2s = { action = \"report\"; }; };\n");
	const struct pol_rule *r = pol_rule(p, POL_C2S, "example.org");
	const struct pol_rule *s = pol_rule(p, POL_S2S_IN, NULL);
	const char *hp = r->handshake_priority;

	ck_assert_int_eq(r->action, POL_REPORT);
	ck_assert_str_eq(r->priority, s->priority);
	ck_assert_str_ne(hp, r->priority);
	ck_assert_ptr_nonnull(strstr(hp, "+VERS-TLS1.0"));
	ck_assert_ptr_nonnull(strstr(hp, "+VERS-TLS1.1"));
	ck_assert_ptr_nonnull(strstr(hp, ":+RSA"));
	ck_assert_ptr_nonnull(strstr(hp, "CBC"));
	ck_assert_ptr_null(strstr(r->priority, "CBC"));
	ck_assert(strstr(hp, "+AES-128-GCM") < strstr(hp, "+AES-128-CBC"));
	ck_assert(strstr(hp, "+ECDHE-RSA") < strstr(hp, ":+RSA"));
	ck_assert_uint_ne(r->prio_idx, r->hs_prio_idx);
	ck_assert_uint_eq(r->prio_idx, s->prio_idx);
	ck_assert_uint_eq(p->npriorities, 2);
	ck_assert_str_eq(p->priorities[r->hs_prio_idx], hp);
	pol_unref(p);
}
END_TEST

START_TEST(subdomains)
{
	struct pol *p = load_ok(LISTEN_OK
	    "domains = ( { name = \"example.org\";"
	    " certificate = \"/c\"; key = \"/k\";"
	    " subdomains = [\"conference\", \"Upload\", \"muc.b\xc3\xbc" "cher\"];"
	    " c2s-backend = \"127.0.0.1:5222\"; },\n"
	    " { name = \"example.net\"; certificate = \"/c\"; key = \"/k\";"
	    " c2s-backend = \"127.0.0.1:5223\"; } );\n");

	ck_assert_uint_eq(p->domains[0].nsubdomains, 3);
	ck_assert_str_eq(p->domains[0].subdomains[0], "conference.example.org");
	ck_assert_str_eq(p->domains[0].subdomains[1], "upload.example.org");
	ck_assert_str_eq(p->domains[0].subdomains[2],
	    "muc.xn--bcher-kva.example.org");
	ck_assert_ptr_eq(pol_domain(p, "upload.example.org"), &p->domains[0]);
	ck_assert_ptr_eq(pol_domain(p, "example.net"), &p->domains[1]);
	ck_assert_ptr_null(pol_domain(p, "x.example.org"));
	pol_unref(p);
}
END_TEST

START_TEST(rule_errors)
{
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { direction = \"c2s\"; }\n);\n",
	    4, "without 'match'");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"a*.example\"; }\n"
	    ");\n", 4, "neither a domain");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"*.*.example\"; }\n"
	    ");\n", 4, "neither a domain");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";\n"
	    "  direction = \"sideways\"; }\n);\n", 5, "must be one of");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";\n"
	    "  direction = [\"c2s\",\n \"c2s\"]; }\n);\n", 6, "listed twice");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\"; },\n"
	    " { match = \"X.example\"; direction = \"s2s-in\"; }\n);\n", 5,
	    "already defined on line 4");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";"
	    " direction = \"c2s\";\n  dnssec = \"require\"; }\n);\n", 5,
	    "between servers only");
	load_bad(LISTEN_OK DOMAIN_OK "policy = { c2s = {\n authentication ="
	    " [\"pkix\"]; }; };\n", 4, "not to c2s");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";"
	    " direction = \"c2s\";\n  key-change = \"allow\"; }\n);\n", 5,
	    "between servers only");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n key-change = \"refuse\";"
	    "\n};\n", 4, "must be one of: allow, require-dane");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n pins = [\"" PIN0 "\"];\n};\n",
	    4, "belong in an entry");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";\n"
	    "  pins = [\"" PIN0 "\"]; }\n);\n", 5, "'pin' is not among");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";"
	    " authentication = [\"pin\"];\n  pins = [\"sha1/AAAA\"]; }\n);\n", 5,
	    "does not start with");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";"
	    " authentication = [\"pin\"];\n  pins = [\"sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"]; }\n);\n", 5,
	    "32 bytes");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";"
	    " authentication = [\"pin\"];\n  pins = [\"" PIN0 "\",\n\""
	    PIN0 "\"]; }\n);\n", 6, "listed twice");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n authentication = [\"pkix\","
	    "\n \"kerberos\"]; };\n", 5, "unknown authentication method");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n authentication = [\"pkix\","
	    "\n \"pkix\"]; };\n", 5, "listed twice");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n authentication = [];\n};\n",
	    4, "at least one");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n action = \"ignore\";\n};\n",
	    4, "must be one of: enforce, report");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";\n"
	    "  colour = \"red\"; }\n);\n", 5, "unknown setting 'colour' in"
	    " x.example");
	load_bad(LISTEN_OK DOMAIN_OK "rules = {\n};\n", 3, "must be a list");
	load_bad(LISTEN_OK DOMAIN_OK "rules = (\n { match = \"x.example\";\n"
	    "  priority = \"NORMAL:+NOPE\"; }\n);\n", 4, "GnuTLS rejects");
}
END_TEST

START_TEST(top_errors)
{
	load_bad(LISTEN_OK DOMAIN_OK "minimum-grade = \"Z\";\n", 3,
	    "must be one of: A, A-, B");
	load_bad(LISTEN_OK DOMAIN_OK "state-directory = \"var/lib\";\n", 3,
	    "absolute path");
	load_bad(LISTEN_OK DOMAIN_OK "min-rsa-bits = 512;\n", 3,
	    "between 1024 and 16384");
	load_bad(LISTEN_OK DOMAIN_OK "trust = {\n system = \"yes\";\n};\n", 4,
	    "true or false");
	load_bad(LISTEN_OK DOMAIN_OK "trust = {\n ca-files = [1, 2];\n};\n", 4,
	    "list of strings");
	load_bad(LISTEN_OK DOMAIN_OK "trust = {\n anchors = \"/x\";\n};\n", 4,
	    "unknown setting 'anchors'");
	load_bad(LISTEN_OK "domains = (\n { name = \"example.org\";"
	    " certificate = \"/c\"; key = \"/k\"; c2s-backend = \"127.0.0.1:1\";\n"
	    "  subdomains = [\"a..b\"]; }\n);\n", 4, "not a valid name");
	load_bad(LISTEN_OK "domains = (\n { name = \"example.org\";"
	    " certificate = \"/c\"; key = \"/k\"; c2s-backend = \"127.0.0.1:1\";\n"
	    "  subdomains = [\"muc\"]; },\n { name = \"muc.example.org\";"
	    " certificate = \"/c\"; key = \"/k\"; c2s-backend = \"127.0.0.1:1\"; }"
	    "\n);\n", 3, "served twice");
}
END_TEST

START_TEST(s2s_settings)
{
	struct pol *p = load_ok(
	    "listen = ( { role = \"s2s\"; address = \"127.0.0.1:5269\"; },\n"
	    " { role = \"s2s-out\"; address = \"127.0.0.1:15270\"; } );\n"
	    "domains = ( { name = \"example.org\";"
	    " certificate = \"/x/chain.pem\"; key = \"/x/key.pem\";"
	    " s2s-backend = \"127.0.0.1:15269\"; } );\n"
	    "dns = { resolver = \"127.0.0.1:5353\"; timeout = 2; };\n"
	    "s2s-routes = ( { domain = \"Partner.Example\";"
	    " address = \"192.0.2.7:5269\"; tls = \"direct\"; } );\n");
	const struct pol_route *r;

	ck_assert_str_eq(p->dns.resolver, "127.0.0.1:5353");
	/* A loopback resolver's AD bit is believed unless said otherwise. */
	ck_assert_int_eq(p->dns.trust_ad, 1);
	ck_assert_uint_eq(p->dns.timeout_ms, 2000);
	ck_assert_uint_eq(p->nroutes, 1);
	r = pol_route(p, "partner.example");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->addr.host, "192.0.2.7");
	ck_assert_uint_eq(r->addr.port, 5269);
	ck_assert_int_eq(r->tls, POL_TLS_DIRECT);
	ck_assert_ptr_null(pol_route(p, "other.example"));
	pol_unref(p);

	p = load_ok(LISTEN_OK DOMAIN_OK
	    "dns = { resolver = \"192.0.2.53:53\"; };\n");
	ck_assert_int_eq(p->dns.trust_ad, 0);
	pol_unref(p);
	p = load_ok(LISTEN_OK DOMAIN_OK
	    "dns = { resolver = \"192.0.2.53:53\"; trust-ad = true; };\n");
	ck_assert_int_eq(p->dns.trust_ad, 1);
	ck_assert_ptr_null(p->dns.trust_anchor);
	pol_unref(p);
	/* Validating ourselves: the AD bit, loopback or not, is ignored. */
	p = load_ok(LISTEN_OK DOMAIN_OK
	    "dns = { resolver = \"127.0.0.1:53\";\n"
	    "  trust-anchor = \"/etc/portcullis/root.key\"; };\n"
	    "policy = { s2s-out = { authentication = [\"posh\", \"pkix\"];"
	    " }; };\n"
	    "timeouts = { posh = 9; };\n");
	ck_assert_int_eq(p->dns.trust_ad, 0);
	ck_assert_str_eq(p->dns.trust_anchor, "/etc/portcullis/root.key");
	ck_assert_int_eq(p->dns.trust_anchor_line, 4);
	ck_assert_int_eq(pol_rule(p, POL_S2S_OUT, "x.example")->auth[0],
	    POL_AUTH_POSH);
	ck_assert_str_eq(pol_auth_name(POL_AUTH_POSH), "posh");
	ck_assert_uint_eq(p->timeouts.posh, 9);
	pol_unref(p);
}
END_TEST

START_TEST(s2s_errors)
{
	load_bad("listen = (\n { role = \"s2s\"; address = \"127.0.0.1:5269\"; }\n"
	    ");\n" DOMAIN_OK, 0, "no domain has a 's2s-backend'");
	load_bad(LISTEN_OK DOMAIN_OK "dns = {\n resolver = \"ns.example:53\";\n};\n",
	    4, "not a literal");
	load_bad(LISTEN_OK DOMAIN_OK "dns = {\n trust-anchor = \"/a\";\n"
	    " trust-ad = true;\n};\n", 5, "exclude each other");
	load_bad(LISTEN_OK DOMAIN_OK "dns = {\n trust-anchor = \"\";\n};\n",
	    4, "names no file");
	load_bad(LISTEN_OK DOMAIN_OK "dns = {\n trust-anchor = 5;\n};\n",
	    4, "must be a string");
	load_bad(LISTEN_OK DOMAIN_OK "policy = {\n authentication = "
	    "[\"dane\", \"pgp\"];\n};\n", 4, "use dane, pkix, pin, posh or");
	load_bad(LISTEN_OK DOMAIN_OK "timeouts = {\n posh = 0;\n};\n", 4,
	    "posh");
	load_bad(LISTEN_OK DOMAIN_OK "s2s-routes = (\n { domain = \"a.example\"; }\n);\n",
	    4, "needs 'domain' and 'address'");
	load_bad(LISTEN_OK DOMAIN_OK "s2s-routes = (\n"
	    " { domain = \"a.example\"; address = \"192.0.2.1:5269\"; },\n"
	    " { domain = \"A.example\"; address = \"192.0.2.2:5269\"; }\n);\n",
	    5, "already on line 4");
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
	tcase_add_test(tc, top_defaults);
	tcase_add_test(tc, top_settings);
	tcase_add_test(tc, rule_lookup);
	tcase_add_test(tc, rule_inheritance);
	tcase_add_test(tc, report_mode);
	tcase_add_test(tc, subdomains);
	tcase_add_test(tc, rule_errors);
	tcase_add_test(tc, top_errors);
	tcase_add_test(tc, s2s_settings);
	tcase_add_test(tc, s2s_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
