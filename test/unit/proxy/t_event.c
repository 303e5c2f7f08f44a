/*
 * t_event.c: the event catalogue holds together: sorted and well formed,
 * every OBS-2 name in it, every name the code passes to ev_begin() in
 * it at the level the code uses, portcullis(8) listing exactly the same
 * events, levels, fields and field types; and the emitters for s2s and
 * DNS write valid JSON records with only catalogued fields.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/event.h"
#include "proxy/log.h"
#include "proxy/secevent.h"
#include "jcheck.h"

#define MAN	"man/portcullis.8"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s (run from the top)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
level_of(const char *w)
{
	static const char *const names[] = {
		"error", "warning", "info", "debug"
	};

	for (int i = 0; i < 4; i++)
		if (strcmp(w, names[i]) == 0)
			return i;
	return -1;
}

START_TEST(catalogue_well_formed)
{
	for (size_t i = 0; i < ev_catalogue_len; i++) {
		const struct ev_def *d = &ev_catalogue[i];
		const char *p = d->fields;

		if (i > 0)
			ck_assert_msg(strcmp(ev_catalogue[i - 1].name,
			    d->name) < 0, "not sorted at %s", d->name);
		ck_assert_msg(strspn(d->name,
		    "abcdefghijklmnopqrstuvwxyz0123456789_.")
		    == strlen(d->name) && strchr(d->name, '.') != NULL,
		    "bad name %s", d->name);
		ck_assert_ptr_eq(ev_lookup(d->name), d);
		ck_assert_msg(*p != '\0', "%s has no fields", d->name);
		while (*p != '\0') {
			char f[64];
			size_t n = strcspn(p, " ");

			snprintf(f, sizeof(f), "%.*s", (int)n, p);
			ck_assert_msg(ev_field(f) != NULL, "%s: field %s is not"
			    " in the field list", d->name, f);
			p += n + (p[n] == ' ');
		}
	}
	/* A field named like a record's head would give JSON two keys. */
	for (size_t i = 0; i < ev_fields_len; i++) {
		static const char *const head[] = {
			"ts", "level", "session", "role", "event"
		};

		for (size_t j = 0; j < sizeof(head) / sizeof(head[0]); j++)
			ck_assert_msg(strcmp(ev_fields[i].name, head[j]) != 0,
			    "field %s is a key of every record's head",
			    head[j]);
	}
	for (size_t i = 1; i < ev_fields_len; i++)
		ck_assert_msg(strcmp(ev_fields[i - 1].name,
		    ev_fields[i].name) < 0, "fields not sorted at %s",
		    ev_fields[i].name);
	ck_assert_ptr_null(ev_lookup("no.such_event"));
	ck_assert(ev_def_has_field(ev_lookup("tls.sni_mismatch"), "sni"));
	ck_assert(!ev_def_has_field(ev_lookup("tls.sni_mismatch"), "sn"));
	ck_assert(!ev_def_has_field(ev_lookup("tls.sni_mismatch"), "domai"));
}
END_TEST

/* STANDARDS.md OBS-2, every name. */
START_TEST(obs2_names)
{
	static const char *const obs2[] = {
		"starttls.absent", "starttls.stripping_suspected",
		"starttls.injection", "starttls.failure_received",
		"plaintext.before_tls", "tls.fallback_scsv",
		"tls.downgrade_sentinel", "tls.version_below_policy",
		"tls.cipher_below_policy", "tls.sni_mismatch",
		"dane.mismatch", "dane.bogus", "dnssec.bogus", "cert.changed",
		"cert.identity_mismatch", "dialback.unsolicited",
		"xml.restricted", "limits.exceeded"
	};

	for (size_t i = 0; i < sizeof(obs2) / sizeof(obs2[0]); i++)
		ck_assert_msg(ev_lookup(obs2[i]) != NULL, "%s missing",
		    obs2[i]);
}
END_TEST

/*
 * Every ev_begin( call in proxy/: the string literals among its
 * arguments are event names (a ternary may give several), and a single
 * LOG_LVL_ constant there is the level the catalogue states.
 */
static unsigned
check_calls(const char *file, const char *src)
{
	const char *p = src;
	unsigned calls = 0;

	while ((p = strstr(p, "ev_begin(")) != NULL) {
		const char *q = p + 9, *lvl;
		char args[512], *a;
		int depth = 1, nlevels = 0, level = -1, names = 0;
		size_t n = 0;

		/* Skip the declaration and definition in log.[ch]. */
		if (p > src && (p[-1] == '\n' || p[-1] == '\t') &&
		    strncmp(q, "struct ev *e", 12) == 0) {
			p = q;
			continue;
		}
		while (*q != '\0' && depth > 0 && n < sizeof(args) - 1) {
			if (*q == '(')
				depth++;
			else if (*q == ')')
				depth--;
			if (depth > 0)
				args[n++] = *q;
			q++;
		}
		args[n] = '\0';
		for (lvl = args; (lvl = strstr(lvl, "LOG_LVL_")) != NULL;
		    lvl += 8) {
			static const char *const l[] = {
				"ERROR", "WARNING", "INFO", "DEBUG"
			};

			nlevels++;
			for (int i = 0; i < 4; i++)
				if (strncmp(lvl + 8, l[i], strlen(l[i])) == 0)
					level = i;
		}
		for (a = args; (a = strchr(a, '"')) != NULL; a++) {
			char *e = strchr(a + 1, '"');
			const struct ev_def *d;

			ck_assert_ptr_nonnull(e);
			*e = '\0';
			d = ev_lookup(a + 1);
			ck_assert_msg(d != NULL, "%s: event %s is not in the"
			    " catalogue", file, a + 1);
			if (nlevels == 1)
				ck_assert_msg((int)d->level == level, "%s: %s"
				    " logged at another level than the"
				    " catalogue says", file, a + 1);
			names++;
			a = e;
		}
		/* secevent.c passes names through begin(). */
		if (names == 0)
			ck_assert_msg(strstr(file, "log.c") != NULL ||
			    strstr(file, "secevent.c") != NULL,
			    "%s: ev_begin without a literal name", file);
		calls++;
		p = q;
	}
	return calls;
}

START_TEST(code_uses_catalogued_names)
{
	DIR *d = opendir("proxy");
	struct dirent *de;
	unsigned calls = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], *src;
		size_t n = strlen(de->d_name);

		if (n < 3 || strcmp(de->d_name + n - 2, ".c") != 0)
			continue;
		snprintf(path, sizeof(path), "proxy/%s", de->d_name);
		src = slurp(path);
		calls += check_calls(path, src);
		free(src);
	}
	closedir(d);
	/* Today's tree has 25: a test that found none would lie. */
	ck_assert_uint_ge(calls, 20);

	/* The emitters in secevent.c name events in begin(..., "x", ...). */
	{
		char *src = slurp("proxy/secevent.c"), *p = src;
		unsigned n = 0;

		while ((p = strstr(p, "begin(&e, LOG_LVL_")) != NULL) {
			char name[64];
			const char *q = strchr(p, '"');

			ck_assert_ptr_nonnull(q);
			snprintf(name, sizeof(name), "%.*s",
			    (int)strcspn(q + 1, "\""), q + 1);
			ck_assert_msg(ev_lookup(name) != NULL, "secevent.c:"
			    " %s", name);
			n++;
			p = (char *)q;
		}
		ck_assert_uint_ge(n, 10);
		free(src);
	}
}
END_TEST

/* Words of ".Cm a , b , c ." lines (several lines, to the final "."). */
static void
cm_words(const char **pp, char *out, size_t outlen)
{
	const char *p = *pp;

	out[0] = '\0';
	while (strncmp(p, ".Cm ", 4) == 0) {
		const char *eol = strchr(p, '\n');
		char line[512], *tok, *save;
		int last;

		snprintf(line, sizeof(line), "%.*s", (int)(eol - p - 4), p + 4);
		last = strlen(line) >= 2 &&
		    strcmp(line + strlen(line) - 2, " .") == 0;
		for (tok = strtok_r(line, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if (strcmp(tok, ",") == 0 || strcmp(tok, ".") == 0)
				continue;
			if (out[0] != '\0')
				strncat(out, " ", outlen - strlen(out) - 1);
			strncat(out, tok, outlen - strlen(out) - 1);
		}
		p = eol + 1;
		if (last)
			break;
	}
	*pp = p;
}

START_TEST(man_page_mirrors_catalogue)
{
	char *man = slurp(MAN), *sec, *end, summary[1024] = "";
	const char *p;
	size_t events = 0, fields = 0;

	sec = strstr(man, "\n.Sh EVENTS\n");
	ck_assert_ptr_nonnull(sec);
	end = strstr(sec + 1, "\n.Sh ");
	if (end != NULL)
		*end = '\0';
	p = strstr(sec, "\nSummary fields:\n");
	ck_assert_ptr_nonnull(p);
	p += strlen("\nSummary fields:\n");
	cm_words(&p, summary, sizeof(summary));
	ck_assert_msg(summary[0] != '\0', "no summary fields");

	for (p = sec; (p = strstr(p, "\n.It Cm ")) != NULL; ) {
		char name[256], type[32], *paren;
		const char *eol;

		p += 8;
		eol = strchr(p, '\n');
		snprintf(name, sizeof(name), "%.*s", (int)(eol - p), p);
		paren = strstr(name, " Pq ");
		ck_assert_msg(paren != NULL, "%s: no Pq level or type", name);
		snprintf(type, sizeof(type), "%s", paren + 4);
		*paren = '\0';
		if (level_of(type) >= 0) {
			/* An event: name, level, then "Fields:". */
			const struct ev_def *d = ev_lookup(name);
			const char *f = strstr(eol, "\nFields:\n");
			const char *next = strstr(eol, "\n.It ");
			char want[1024], got[1024];

			ck_assert_msg(d != NULL, "man: %s not in the"
			    " catalogue", name);
			ck_assert_msg((int)d->level == level_of(type),
			    "man: %s level %s", name, type);
			ck_assert_msg(f != NULL && (next == NULL || f < next),
			    "man: %s lists no fields", name);
			f += strlen("\nFields:\n");
			cm_words(&f, got, sizeof(got));
			/* "summary" stands for the summary fields. */
			{
				char *s = strstr(got, "summary");

				if (s != NULL) {
					char tail[1024];

					snprintf(tail, sizeof(tail), "%s",
					    s + strlen("summary"));
					snprintf(s, sizeof(got) - (size_t)(s -
					    got), "%s%s", summary, tail);
				}
			}
			snprintf(want, sizeof(want), "%s", d->fields);
			ck_assert_msg(strcmp(want, got) == 0, "man: %s fields"
			    "\n  man:       %s\n  catalogue: %s", name, got,
			    want);
			events++;
		} else {
			/* A field, or several: "a , b Pq type". */
			char *tok, *save;

			for (tok = strtok_r(name, " ,", &save); tok != NULL;
			    tok = strtok_r(NULL, " ,", &save)) {
				const struct ev_field *f = ev_field(tok);
				const char *t;

				ck_assert_msg(f != NULL, "man: field %s is not"
				    " in the catalogue", tok);
				t = f->type == EV_T_NUMBER ? "number" :
				    f->type == EV_T_BOOL ? "boolean" :
				    "string";
				ck_assert_msg(strcmp(t, type) == 0, "man: %s"
				    " is a %s, not a %s", tok, t, type);
				fields++;
			}
		}
		p = eol;
	}
	ck_assert_msg(events == ev_catalogue_len, "man lists %zu events, the"
	    " catalogue %zu", events, ev_catalogue_len);
	ck_assert_msg(fields == ev_fields_len, "man lists %zu fields, the"
	    " catalogue %zu", fields, ev_fields_len);
	free(man);
}
END_TEST

/* Each s2s/DNS emitter writes one valid record of its event. */
START_TEST(emitters_write_catalogued_records)
{
	char path[] = "/tmp/t_event.XXXXXX";
	struct log_sinks ls = { .events = path };
	struct peer_cert was, now;
	struct session s;
	struct log_stats st;
	char *out, *line, *save;
	static const char *const want[] = {
		"starttls.absent", "starttls.stripping_suspected",
		"starttls.failure_received", "tls.downgrade_sentinel",
		"dane.mismatch", "dane.bogus", "dnssec.bogus", "cert.changed",
		"cert.identity_mismatch", "dialback.unsolicited",
		"dnssec.insecure_downgrade", "dnssec.insecure",
		"dns.srv_changed"
	};
	size_t n = 0;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	log_init(LOG_LVL_INFO);
	ck_assert_int_eq(log_configure(&ls), 0);
	memset(&s, 0, sizeof(s));
	s.id = 0x2a;
	s.role = "s2s";
	snprintf(s.peer, sizeof(s.peer), "[2001:db8::7]:5269");
	memset(&was, 0, sizeof(was));
	memset(&now, 0, sizeof(now));
	snprintf(was.spki, sizeof(was.spki), "%064x", 1);
	snprintf(now.spki, sizeof(now.spki), "%064x", 2);
	snprintf(was.issuer, sizeof(was.issuer), "CN=Old CA");
	snprintf(now.issuer, sizeof(now.issuer), "CN=New \"CA\"\n");
	snprintf(now.san, sizeof(now.san), "dns:remote.example");

	sev_starttls_absent(&s, "remote.example", "refused");
	sev_starttls_stripping(&s, "remote.example", "2026-11-20T10:00:00Z",
	    "refused");
	sev_starttls_failure(&s, "remote.example", "refused");
	sev_downgrade_sentinel(&s, "remote.example", "TLS1.2", "refused");
	sev_dane_mismatch(&s, "remote.example", "3 1 1 x2", &now, "refused");
	sev_dane_bogus(&s, "remote.example", "_5269._tcp.remote.example",
	    "an unsigned answer in a signed zone", "refused");
	sev_dnssec_bogus(&s, "remote.example",
	    "_xmpp-server._tcp.remote.example", "SRV",
	    "the resolver found it bogus", "refused");
	sev_cert_changed(&s, "remote.example", &was, &now, "no-match",
	    "allowed");
	sev_identity_mismatch(&s, "remote.example", &now, "refused");
	sev_dialback_unsolicited(&s, "remote.example", "our.example",
	    "result");
	sev_dnssec_downgrade(&s, "remote.example", "allowed");
	sev_dnssec_insecure(&s, "remote.example", "SRV", "refused");
	sev_srv_changed(&s, "remote.example", "xmpp.remote.example:5269",
	    "evil.example:5269", "insecure", "allowed");
	log_fini();

	out = slurp(path);
	unlink(path);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char v[256];

		ck_assert_msg(jc_valid(line, strlen(line)), "%s", line);
		ck_assert_int_eq(jc_get(line, "event", v, sizeof(v)), 0);
		ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
		ck_assert_str_eq(v, want[n]);
		ck_assert_int_eq(jc_get(line, "session", v, sizeof(v)), 0);
		ck_assert_str_eq(v, "000000000000002a");
		ck_assert_int_eq(jc_get(line, "peer", v, sizeof(v)), 0);
		ck_assert_str_eq(v, "[2001:db8::7]:5269");
		n++;
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	/* cert.changed carries both keys and the escaped issuer. */
	free(out);
	log_stats(&st);
	ck_assert_uint_eq(st.undocumented, 0);
	ck_assert_uint_eq(ev_counted(ev_lookup("cert.changed")), 1);
}
END_TEST

/* A field the catalogue lacks is written, counted and not fatal. */
START_TEST(undocumented_field_counted)
{
	struct log_stats st;
	struct ev e;

	log_init(LOG_LVL_INFO);
	ev_begin(&e, LOG_LVL_WARNING, 1, "c2s", "tls.sni_mismatch");
	ev_str(&e, "peer", "192.0.2.1:1");
	ev_u64(&e, "sni", 7);		/* wrong type */
	ev_str(&e, "bogus", "x");	/* not listed */
	ev_end(&e);
	log_stats(&st);
	ck_assert_uint_eq(st.undocumented, 2);
	ev_begin(&e, LOG_LVL_DEBUG, 1, "c2s", "tls.sni_mismatch");
	ev_end(&e);
	/* Counted though debug is not logged. */
	ck_assert_uint_eq(ev_counted(ev_lookup("tls.sni_mismatch")), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, catalogue_well_formed);
	tcase_add_test(tc, obs2_names);
	tcase_add_test(tc, code_uses_catalogued_names);
	tcase_add_test(tc, man_page_mirrors_catalogue);
	tcase_add_test(tc, emitters_write_catalogued_records);
	tcase_add_test(tc, undocumented_field_counted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
