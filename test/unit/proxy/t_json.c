/*
 * t_json.c: the JSON writer: every byte of input becomes valid JSON,
 * valid UTF-8 survives unchanged, invalid bytes become U+FFFD, and a
 * fixed buffer drops whole members and says so.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/json.h"
#include "jcheck.h"

/* {"k":<s as a JSON string>} in a growing buffer, checked valid. */
static char *
wrap(const char *s, size_t n)
{
	struct jw w;

	jw_init_grow(&w);
	jw_open(&w, NULL);
	jw_strn(&w, "k", s, n);
	jw_close(&w);
	ck_assert_int_eq(w.nomem, 0);
	ck_assert_msg(jc_valid(w.buf, w.len), "invalid JSON: %s", w.buf);
	return w.buf;
}

/* The value of k, decoded. */
static size_t
unwrap(const char *obj, char *out, size_t outlen)
{
	struct jc c = { obj + 5, obj + strlen(obj), 0 };
	size_t n = 0;

	ck_assert(strncmp(obj, "{\"k\":", 5) == 0);
	ck_assert_int_eq(jc_string(&c, out, &n), 0);
	ck_assert_uint_lt(n, outlen);
	return n;
}

START_TEST(every_single_byte)
{
	for (int b = 0; b < 256; b++) {
		char in[1] = { (char)b }, out[16];
		char *j = wrap(in, 1);
		size_t n = unwrap(j, out, sizeof(out));

		if (b < 0x80) {
			ck_assert_uint_eq(n, 1);
			ck_assert_int_eq((unsigned char)out[0], b);
		} else {
			/* A lone byte >= 0x80 is never UTF-8. */
			ck_assert_uint_eq(n, 3);
			ck_assert(memcmp(out, "\xef\xbf\xbd", 3) == 0);
		}
		/* Nothing below 0x20 appears raw in the record. */
		for (const char *p = j; *p != '\0'; p++)
			ck_assert_int_ge((unsigned char)*p, 0x20);
		free(j);
	}
}
END_TEST

START_TEST(utf8_round_trip)
{
	static const char *const cases[] = {
		"plain", "", "Gr\xc3\xbc\xc3\x9f" "e \xe6\x97\xa5\xe6\x9c\xac "
		"\xf0\x9f\x8e\x89", "quote\" back\\slash /",
		"tab\tnl\ncr\rbs\bff\fdel\x7f", "\x01\x1f",
		"line\xe2\x80\xa8sep\xe2\x80\xa9par", "\xf4\x8f\xbf\xbf",
		"<stream:stream xmlns='jabber:client'>&amp;"
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		char *j = wrap(cases[i], strlen(cases[i]));
		size_t n = unwrap(j, out, sizeof(out));

		ck_assert_uint_eq(n, strlen(cases[i]));
		ck_assert_msg(memcmp(out, cases[i], n) == 0, "case %zu", i);
		/* U+2028/9 are escaped for JavaScript readers. */
		ck_assert_ptr_null(strstr(j, "\xe2\x80\xa8"));
		free(j);
	}
}
END_TEST

START_TEST(invalid_utf8_replaced)
{
	static const struct {
		const char	*in;
		size_t		 fffd;		/* replacement characters */
	} cases[] = {
		{ "\xc0\xaf", 2 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3 },		/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 3 },		/* a surrogate */
		{ "\xf4\x90\x80\x80", 4 },	/* above U+10FFFF */
		{ "\xf5\x80", 2 },
		{ "a\xe2\x82", 2 },		/* truncated at the end */
		{ "\xff\xfe", 2 },
		{ "\x80x", 1 }
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		char *j = wrap(cases[i].in, strlen(cases[i].in));
		size_t n = unwrap(j, out, sizeof(out)), count = 0;

		for (size_t k = 0; k + 3 <= n; k++)
			if (memcmp(out + k, "\xef\xbf\xbd", 3) == 0)
				count++;
		ck_assert_msg(count == cases[i].fffd, "case %zu: %zu", i,
		    count);
		ck_assert(jc_utf8_ok((unsigned char *)out, n));
		free(j);
	}
}
END_TEST

START_TEST(random_bytes)
{
	unsigned seed = 12345;

	for (int i = 0; i < 20000; i++) {
		char in[64], out[64 * 4];
		size_t len = (size_t)(rand_r(&seed) % 64), n;
		char *j;

		for (size_t k = 0; k < len; k++) {
			int r = rand_r(&seed);

			/* Mostly the interesting ranges. */
			in[k] = (char)(r % 3 == 0 ? r % 0x20 : r % 3 == 1 ?
			    0x80 + r % 0x80 : r % 256);
		}
		j = wrap(in, len);
		n = unwrap(j, out, sizeof(out));
		if (jc_utf8_ok((unsigned char *)in, len)) {
			ck_assert_uint_eq(n, len);
			ck_assert(memcmp(in, out, len) == 0);
		}
		free(j);
	}
}
END_TEST

START_TEST(fixed_buffer_drops_whole_members)
{
	char buf[96];
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	jw_open(&w, NULL);
	jw_str(&w, "a", "short");
	jw_str(&w, "long", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	jw_u64(&w, "n", 42);
	jw_open(&w, "inner");
	jw_bool(&w, "t", 1);
	jw_close(&w);
	jw_close(&w);
	ck_assert_msg(jc_valid(buf, w.len), "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\"truncated\":true"));
	ck_assert_ptr_null(strstr(buf, "\"long\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"n\":42"));
	ck_assert_uint_lt(w.len, sizeof(buf));

	/* A buffer too small for anything still closes properly. */
	jw_init(&w, buf, 24);
	jw_open(&w, NULL);
	jw_open(&w, "deeper");
	jw_str(&w, "x", "y");
	jw_close(&w);
	jw_close(&w);
	ck_assert_msg(jc_valid(buf, w.len), "%s", buf);
}
END_TEST

START_TEST(types_and_nesting)
{
	struct jw w;

	jw_init_grow(&w);
	jw_open(&w, NULL);
	jw_u64(&w, "zero", 0);
	jw_u64(&w, "max", UINT64_MAX);
	jw_bool(&w, "yes", 1);
	jw_bool(&w, "no", 0);
	jw_str(&w, "null", NULL);
	jw_open_array(&w, "list");
	jw_open(&w, NULL);
	jw_close(&w);
	jw_str(&w, NULL, "e");
	jw_open_array(&w, NULL);
	jw_close_array(&w);
	jw_close_array(&w);
	jw_close(&w);
	ck_assert_msg(jc_valid(w.buf, w.len), "%s", w.buf);
	ck_assert_str_eq(w.buf, "{\"zero\":0,\"max\":18446744073709551615,"
	    "\"yes\":true,\"no\":false,\"null\":null,\"list\":[{},\"e\",[]]}");
	free(w.buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_single_byte);
	tcase_add_test(tc, utf8_round_trip);
	tcase_add_test(tc, invalid_utf8_replaced);
	tcase_add_test(tc, random_bytes);
	tcase_add_test(tc, fixed_buffer_drops_whole_members);
	tcase_add_test(tc, types_and_nesting);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
