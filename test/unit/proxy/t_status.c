/*
 * t_status.c: what portcullis-ctl shows: human units, the table's
 * columns lining up whatever the peer named itself, the JSON valid, one
 * connection in full; and the metrics as OpenMetrics text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/metrics.h"
#include "proxy/status.h"
#include "jcheck.h"

START_TEST(human_units)
{
	static const struct {
		uint64_t	 n;
		const char	*want;
	} bytes[] = {
		{ 0, "0" }, { 1023, "1023" }, { 1024, "1.0K" },
		{ 1536, "1.5K" }, { 10188, "9.9K" }, { 10240, "10K" },
		{ 5u << 20, "5.0M" }, { 3ull << 30, "3.0G" },
		{ 123ull << 40, "123T" }
	}, ages[] = {
		{ 0, "0s" }, { 59999, "59s" }, { 60000, "1m00s" },
		{ 754000, "12m34s" }, { 3600000, "1h00m" },
		{ 11520000, "3h12m" }, { 86400000 * 2ull + 4 * 3600000, "2d04h" }
	};
	char out[32];

	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		status_bytes(out, sizeof(out), bytes[i].n);
		ck_assert_str_eq(out, bytes[i].want);
	}
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		status_age(out, sizeof(out), ages[i].n);
		ck_assert_str_eq(out, ages[i].want);
	}
}
END_TEST

static void
row(struct sess_summary *r, uint64_t id, const char *peer, int tls,
    const char *from)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->role = "c2s";
	r->direction = "in";
	r->peer = peer;
	r->domain = "legacy.test";
	r->remote = "none";
	r->sni = "legacy.test";
	r->to = "legacy.test";
	r->from = from;
	r->phase = tls ? "relay" : "pre-tls";
	r->verify = "none";
	r->auth = tls ? "PLAIN" : "none";
	r->auth_result = tls ? "ok" : "none";
	r->state = tls ? "both" : "none";
	r->tls = tls;
	if (tls) {
		r->tlsp.version = "TLS1.3";
		r->tlsp.cipher = "AES-256-GCM";
		r->tlsp.group = "X25519";
		r->tlsp.fs = 1;
	}
	r->age_ms = (id & 0xff) * 61000;
	r->bytes_in = (id & 0xff) * 1000;
	r->bytes_out = (id & 0xff) * 100000;
}

START_TEST(table_lines_up)
{
	struct sess_summary r[3];
	const struct sess_summary *rows[3] = { &r[2], &r[0], &r[1] };
	struct status_info si = { "9.9", 125, 2, 2, 3 };
	struct sbuf b = { 0 };
	const char *cols[] = { "ID", "ROLE", "PEER", "DOMAIN", "REMOTE",
	    "TLS", "CIPHER", "FS", "VERIFY", "AUTH", "STATE", "AGE", "IN",
	    "OUT" };
	char *lines[8], *save, *l;
	size_t n = 0, at[14];

	row(&r[0], 0x6b0000000000000a, "127.0.0.1:40000", 1, "a@legacy.test");
	row(&r[1], 0x6b0000000000000b, "[2001:db8::1]:51234", 0, "none");
	/* A peer-chosen name with a newline and an escape sequence. */
	row(&r[2], 0x6b0000000000000c, "192.0.2.7:1", 1, "x");
	r[2].auth = "EVIL\n\x1b[2J";
	/* An s2s stream out: the remote's domain, how it was verified. */
	r[0].role = "s2s";
	r[0].direction = "out";
	r[0].remote = "remote.example";
	r[0].verify = "pkix";
	status_table(&b, &si, rows, 3);
	ck_assert_int_eq(b.nomem, 0);
	ck_assert_ptr_null(strchr(b.p, '\x1b'));
	for (l = strtok_r(b.p, "\n", &save); l != NULL && n < 8;
	    l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	ck_assert_uint_eq(n, 5);	/* summary, header, three rows */
	ck_assert_str_eq(lines[0], "portcullis 9.9, up 2m05s, 2 workers,"
	    " configuration 3, 3 connections");
	for (int c = 0; c < 14; c++) {
		const char *h = strstr(lines[1], cols[c]);

		ck_assert_ptr_nonnull(h);
		at[c] = (size_t)(h - lines[1]);
	}
	/* Sorted by id, every left-aligned cell under its heading. */
	ck_assert_ptr_nonnull(strstr(lines[2], "6b0000000000000a"));
	ck_assert_ptr_nonnull(strstr(lines[3], "6b0000000000000b"));
	ck_assert_ptr_nonnull(strstr(lines[4], "6b0000000000000c"));
	ck_assert_int_eq(lines[2][at[2]], '1');
	ck_assert_int_eq(lines[3][at[2]], '[');
	ck_assert(strncmp(lines[2] + at[1], "s2s-out ", 8) == 0);
	ck_assert(strncmp(lines[2] + at[4], "remote.example ", 15) == 0);
	ck_assert(strncmp(lines[3] + at[4], "- ", 2) == 0);
	ck_assert(strncmp(lines[2] + at[5], "1.3 ", 4) == 0);
	ck_assert(strncmp(lines[3] + at[5], "-   ", 4) == 0);
	ck_assert(strncmp(lines[2] + at[8], "pkix ", 5) == 0);
	ck_assert(strncmp(lines[4] + at[8], "- ", 2) == 0);
	ck_assert(strncmp(lines[2] + at[10], "enc+auth", 8) == 0);
	ck_assert(strncmp(lines[3] + at[10], "pre-tls", 7) == 0);
	ck_assert(strncmp(lines[4] + at[9], "EVIL??[2J", 9) == 0);
	/* Right-aligned numbers end under the end of their heading. */
	ck_assert_uint_eq(strlen(lines[1]), strlen(lines[2]));
	ck_assert_ptr_nonnull(strstr(lines[2], "10m10s  9.8K  977K"));
	sb_free(&b);
}
END_TEST

START_TEST(json_and_show)
{
	struct sess_summary r[2];
	const struct sess_summary *rows[2] = { &r[0], &r[1] };
	struct status_info si = { "9.9", 1, 2, 1, 1 };
	struct sbuf b = { 0 };
	char v[64];

	row(&r[0], 1, "127.0.0.1:1", 1, "bob@legacy.test/\"x\"\n");
	row(&r[1], 2, "127.0.0.1:2", 0, "none");
	status_json(&b, &si, rows, 2);
	ck_assert_msg(jc_valid(b.p, b.len), "%s", b.p);
	ck_assert_ptr_nonnull(strstr(b.p, "\"workers_answered\":1"));
	ck_assert_int_eq(jc_get(b.p, "from", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "bob@legacy.test/\"x\"\n");
	ck_assert_ptr_nonnull(strstr(b.p, "\"fs\":true"));
	ck_assert_ptr_nonnull(strstr(b.p, "\"bytes_out\":100000"));
	sb_free(&b);

	status_show(&b, &r[0]);
	ck_assert_ptr_nonnull(strstr(b.p, "session          "
	    "0000000000000001\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\nfrom             "
	    "bob@legacy.test/\"x\"?\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\ncipher           AES-256-GCM\n"));
	sb_free(&b);
}
END_TEST

START_TEST(openmetrics_text)
{
	struct sbuf b = { 0 };
	const char *eof;

	metrics_set_start(1700000000);
	metrics_session_open(POL_C2S);
	metrics_session_open(POL_C2S);
	metrics_session_closed(POL_C2S);
	metrics_tls(POL_C2S, 5 /* GNUTLS_TLS1_3 */, 4);
	metrics_tls(POL_C2S, 5, 4);
	metrics_auth(POL_C2S, "PLAIN", 1);
	metrics_auth(POL_C2S, "X-MADE-UP", 0);
	metrics_format(&b);
	ck_assert_int_eq(b.nomem, 0);
	ck_assert_ptr_nonnull(strstr(b.p,
	    "\nportcullis_sessions{role=\"c2s\",direction=\"in\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "\nportcullis_connections_total{role=\"c2s\",direction=\"in\"}"
	    " 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "version=\"TLS1.3\",cipher=\""));
	ck_assert_ptr_nonnull(strstr(b.p, "\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "method=\"PLAIN\",result=\"ok\"} 1\n"));
	/* A made-up mechanism makes no series of its own. */
	ck_assert_ptr_null(strstr(b.p, "X-MADE-UP"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "method=\"other\",result=\"failed\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "portcullis_events_total{event=\"starttls.injection\","
	    "level=\"warning\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b.p,
	    "portcullis_start_time_seconds 1700000000\n"));
	/* Ends with the one EOF line; every family typed before use. */
	eof = strstr(b.p, "# EOF\n");
	ck_assert_ptr_nonnull(eof);
	ck_assert_ptr_eq(eof + 6, b.p + b.len);
	for (const char *l = b.p; l < b.p + b.len; l = strchr(l, '\n') + 1)
		if (*l != '#') {
			char fam[64], type[80];
			size_t n = strcspn(l, "{ ");

			snprintf(fam, sizeof(fam), "%.*s", (int)n, l);
			if (n > 6 && strcmp(fam + n - 6, "_total") == 0)
				fam[n - 6] = '\0';
			else if (n > 5 && strcmp(fam + n - 5, "_info") == 0)
				fam[n - 5] = '\0';
			snprintf(type, sizeof(type), "# TYPE %s ", fam);
			ck_assert_msg(strstr(b.p, type) != NULL &&
			    strstr(b.p, type) < l, "%s untyped", fam);
		}
	sb_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, human_units);
	tcase_add_test(tc, table_lines_up);
	tcase_add_test(tc, json_and_show);
	tcase_add_test(tc, openmetrics_text);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
