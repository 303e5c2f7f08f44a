/*
 * t_lex.c: unit tests for xmlstream/lex.c, the byte-level half: the
 * UTF-8 DFA against a naive decoder, the XML declaration check, and the
 * points where the lexer stops.  Whole streams are tested through the
 * public interface in t_xmlstream.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../xmlstream/lex.c"

static void
nop_cb(void *arg, const struct xs_event *ev)
{
	(void)arg;
	(void)ev;
}

/*
 * A naive decoder: 1 valid, 0 invalid (or U+FFFE, U+FFFF), -1 valid so
 * far but incomplete.
 * The DFA rejects as soon as a byte cannot continue a sequence, so the
 * second byte is checked against the lead's own range.
 */
static int
naive_utf8_ok(const unsigned char *s, size_t n)
{
	size_t		 i = 0, k, j;
	unsigned	 lo, hi;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 1;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			k = 2;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 3;
		else
			return 0;
		if (s[i] == 0xe0)
			lo = 0xa0;
		else if (s[i] == 0xed)
			hi = 0x9f;
		else if (s[i] == 0xf0)
			lo = 0x90;
		else if (s[i] == 0xf4)
			hi = 0x8f;
		for (j = 1; j <= k; j++) {
			if (i + j >= n)
				return -1;
			if (s[i + j] < (j == 1 ? lo : 0x80) ||
			    s[i + j] > (j == 1 ? hi : 0xbf))
				return 0;
		}
		/* U+FFFE and U+FFFF are UTF-8 but no XML character. */
		if (s[i] == 0xef && s[i + 1] == 0xbf && s[i + 2] >= 0xbe)
			return 0;
		i += k + 1;
	}
	return 1;
}

/*
 * A lexer inside a CDATA section (which takes any character) of an
 * element in a stream, so that what is refused is refused as UTF-8.
 */
static struct xs *
in_cdata(void)
{
	struct xs	*xs;

	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	ck_assert_ptr_nonnull(xs);
	xs->state = S_STREAM;
	xs->ldepth = 2;
	xs->lst = L_CDATA;
	xs->lsub = 0;
	return xs;
}

START_TEST(t_utf8_dfa)
{
	unsigned char	 s[3];
	struct xs	*xs;
	unsigned	 a, b, c;
	int		 want;
	enum xs_stop	 why;
	uint64_t	 at;

	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			for (c = 0; c < 256; c += a >= 0xe0 ? 1 : 255) {
				s[0] = (unsigned char)a;
				s[1] = (unsigned char)b;
				s[2] = (unsigned char)c;
				/* Offsets past 4, where NUL is not-well-formed. */
				xs = in_cdata();
				why = xs__lex(xs, s, 100, 100, 103, &at);
				want = naive_utf8_ok(s, 3);
				if (want == 1)
					ck_assert_msg(why == X_END && at == 103 &&
					    xs->u8 == U_OK, "%02x %02x %02x",
					    a, b, c);
				else if (want == 0)
					ck_assert_msg(why == X_ERR &&
					    (xs->err == XS_E_ENCODING ||
					    xs->err == XS_E_NOTWF),
					    "%02x %02x %02x", a, b, c);
				else
					ck_assert_msg(why == X_END &&
					    xs->u8 != U_OK, "%02x %02x %02x",
					    a, b, c);
				xs_free(xs);
			}
}
END_TEST

/* Where the lexer stops for a byte that is not UTF-8, and why. */
START_TEST(t_utf8_where)
{
	struct xs	*xs;
	char		 buf[64];
	uint64_t	 at;

	memset(buf, 'a', sizeof(buf));

	/* The eight-byte fast path sees a NUL and a high byte. */
	buf[37] = '\0';
	xs = in_cdata();
	ck_assert_int_eq(xs__lex(xs, (unsigned char *)buf, 100, 100, 164,
	    &at), X_ERR);
	ck_assert_uint_eq(at, 137);
	ck_assert_int_eq(xs->err, XS_E_NOTWF);
	xs_free(xs);
	buf[37] = 'a';
	buf[50] = (char)0x80;
	xs = in_cdata();
	ck_assert_int_eq(xs__lex(xs, (unsigned char *)buf, 100, 100, 164,
	    &at), X_ERR);
	ck_assert_uint_eq(at, 150);
	ck_assert_int_eq(xs->err, XS_E_ENCODING);
	xs_free(xs);

	/* The byte that cannot go on, even when the lead came earlier. */
	xs = in_cdata();
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"ab\xe0", 10, 10,
	    13, &at), X_END);
	ck_assert_int_ne(xs->u8, U_OK);
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"\x80", 13, 13,
	    14, &at), X_ERR);
	ck_assert_uint_eq(at, 13);
	ck_assert_int_eq(xs->err, XS_E_ENCODING);
	xs_free(xs);
	xs = in_cdata();
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"\xc3\x00", 10, 10,
	    12, &at), X_ERR);
	ck_assert_uint_eq(at, 11);
	ck_assert_int_eq(xs->err, XS_E_ENCODING);
	xs_free(xs);

	/* A NUL at the very start is UTF-16 or UTF-32 input. */
	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"<\0", 0, 0, 2,
	    &at), X_ERR);
	ck_assert_uint_eq(at, 1);
	ck_assert_int_eq(xs->err, XS_E_ENCODING);
	xs_free(xs);

	/* Valid across chunks, one byte at a time. */
	xs = in_cdata();
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"\xf0", 0, 0, 1,
	    &at), X_END);
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"\x9f", 1, 1, 2,
	    &at), X_END);
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"\x98", 2, 2, 3,
	    &at), X_END);
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)"\x80z", 3, 3, 5,
	    &at), X_END);
	ck_assert_uint_eq(at, 5);
	ck_assert_int_eq(xs->u8, U_OK);
	ck_assert_int_eq(xs->err, 0);
	xs_free(xs);
}
END_TEST

START_TEST(t_decl)
{
	static const struct {
		const char	*decl;
		int		 want;
	} t[] = {
		{ "<?xml version='1.0'?>", 0 },
		{ "<?xml version=\"1.0\"?>", 0 },
		{ "<?xml  version = '1.0'  ?>", 0 },
		{ "<?xml version='1.0' encoding='UTF-8'?>", 0 },
		{ "<?xml version='1.0' encoding='utf-8'?>", 0 },
		{ "<?xml version='1.0' encoding='Utf-8' standalone='no'?>", 0 },
		{ "<?xml version='1.0' standalone='yes'?>", 0 },
		{ "<?xml\tversion='1.0'\r\n?>", 0 },
		{ "<?xml version='1.1'?>", XS_E_NOTWF },
		{ "<?xml version='2.0'?>", XS_E_NOTWF },
		{ "<?xml version='1.0' encoding='ISO-8859-1'?>", XS_E_ENCODING },
		{ "<?xml version='1.0' encoding='UTF-16'?>", XS_E_ENCODING },
		{ "<?xml version='1.0' encoding='utf8'?>", XS_E_ENCODING },
		{ "<?xml version='1.0' encoding='UTF-8 '?>", XS_E_NOTWF },
		{ "<?xml version='1.0' encoding=''?>", XS_E_NOTWF },
		{ "<?xml version='1.0' encoding='8bit'?>", XS_E_NOTWF },
		{ "<?xml version='1.0'encoding='UTF-8'?>", XS_E_NOTWF },
		{ "<?xml encoding='UTF-8' version='1.0'?>", XS_E_NOTWF },
		{ "<?xml version='1.0' standalone='yes' encoding='UTF-8'?>",
		    XS_E_NOTWF },
		{ "<?xml version='1.0\"?>", XS_E_NOTWF },
		{ "<?xml version=1.0?>", XS_E_NOTWF },
		{ "<?xml ?>", XS_E_NOTWF },
		{ "<?xml version='1.0' foo='bar'?>", XS_E_NOTWF },
	};
	struct xs	*xs;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
		ck_assert_msg(xs__decl_check(xs, t[i].decl,
		    strlen(t[i].decl)) == (t[i].want == 0 ? 0 : -1), "%s",
		    t[i].decl);
		ck_assert_msg(xs->err == t[i].want, "%s: %d", t[i].decl,
		    xs->err);
		xs_free(xs);
	}
}
END_TEST

/* Lex all of s from a fresh stream; return the stop and its offset. */
static enum xs_stop
lex_all(struct xs *xs, const char *s, uint64_t *at)
{
	return xs__lex(xs, (const unsigned char *)s, 0, 0, strlen(s), at);
}

START_TEST(t_stops)
{
	struct xs	*xs;
	uint64_t	 at;
	static const char root[] = "<s:stream a='>' b=\"/>\">";

	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	ck_assert_int_eq(lex_all(xs, root, &at), X_ROOT);
	ck_assert_uint_eq(at, sizeof(root) - 1);
	ck_assert_uint_eq(xs->ldepth, 1);
	xs_free(xs);

	/* Inside the stream: a restart tag, then the end of the stream. */
	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	xs->state = S_STREAM;
	xs->ldepth = 1;
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)
	    " <a><stream/></a><x:stream y='1'>", 0, 0, 33, &at), X_STREAM);
	ck_assert_uint_eq(at, 33);
	ck_assert_uint_eq(xs->ldepth, 2);
	xs->ldepth = 1;
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)
	    "<streams/><b><![CDATA[</b>]]></b></stream:stream> ", 0, 0, 50,
	    &at), X_CLOSE);
	ck_assert_uint_eq(at, 49);
	ck_assert_uint_eq(xs->ldepth, 0);
	xs_free(xs);

	/* A declaration between elements. */
	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	xs->state = S_STREAM;
	xs->ldepth = 1;
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)
	    "\n<?xml version='1.0'?>", 0, 0, 22, &at), X_PI);
	ck_assert_uint_eq(at, 22);
	ck_assert_uint_eq(xs->tag_start, 1);
	xs_free(xs);

	/* Things refused before libxml2 sees them. */
	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	xs->state = S_STREAM;
	xs->ldepth = 2;
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)
	    "text <!-- c -->", 0, 0, 15, &at), X_ERR);
	ck_assert_int_eq(xs->err, XS_E_RESTRICTED);
	ck_assert_uint_eq(at, 7);
	xs_free(xs);

	xs = xs_new(NULL, XS_NS_CLIENT, nop_cb, NULL);
	xs->state = S_STREAM;
	xs->ldepth = 1;
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)
	    "  x", 0, 0, 3, &at), X_ERR);
	ck_assert_int_eq(xs->err, XS_E_FORMAT);
	ck_assert_uint_eq(at, 2);
	xs_free(xs);
}
END_TEST

/* The stanza limit counts from the element's '<', not the whitespace. */
START_TEST(t_stanza_limit)
{
	struct xs_limits lim;
	struct xs	*xs;
	uint64_t	 at;

	memset(&lim, 0, sizeof(lim));
	lim.stanza_bytes = 9;
	xs = xs_new(&lim, XS_NS_CLIENT, nop_cb, NULL);
	xs->state = S_STREAM;
	xs->ldepth = 1;
	ck_assert_int_eq(xs__lex(xs, (const unsigned char *)
	    "     <a>12</a><a>123</a>", 0, 0, 24, &at), X_END);
	/* The first element is 9 bytes; stopped 9 into the second. */
	ck_assert_uint_eq(at, 23);
	ck_assert_uint_eq(xs->top_start, 14);
	xs_free(xs);
}
END_TEST

/* The text scanner, every width, against one byte at a time. */
static size_t
naive_text(const unsigned char *p, size_t i, size_t n)
{
	while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '<' &&
	    p[i] != '&' && p[i] != '>')
		i++;
	return i;
}

/* A stop c at buf[at]: found where the byte loop finds it, and first. */
static void
check_stop(unsigned char *buf, size_t from, size_t n, size_t at,
    unsigned char c)
{
	buf[at] = c;
	ck_assert_msg(scan_text(buf, from, n) == naive_text(buf, from, n),
	    "n %zu from %zu stop %02x at %zu", n, from, c, at);
	if (at + 40 < n) {
		buf[at + 40] = '<';
		ck_assert_uint_eq(scan_text(buf, from, n), at);
		buf[at + 40] = 'x';
	}
	buf[at] = 'x';
}

START_TEST(t_scan_text)
{
	static const unsigned char stops[] = { '<', '&', '>', 0, 1, '\t',
	    '\n', '\r', 0x1f, 0x80, 0xc3, 0xff };
	unsigned char	 buf[1200];
	size_t		 n, at, from, k;

	memset(buf, 'x', sizeof(buf));
	for (n = 0; n <= 700; n += n < 80 ? 1 : 37)
		for (from = 0; from < 3 && from <= n; from++) {
			ck_assert_uint_eq(scan_text(buf, from, n), n);
			for (at = from; at < n; at++)
				for (k = 0; k < sizeof(stops); k++)
					check_stop(buf, from, n, at, stops[k]);
		}
}
END_TEST

static Suite *
lex_suite(void)
{
	Suite	*s = suite_create("lex");
	TCase	*tc = tcase_create("lex");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_utf8_dfa);
	tcase_add_test(tc, t_utf8_where);
	tcase_add_test(tc, t_decl);
	tcase_add_test(tc, t_stops);
	tcase_add_test(tc, t_stanza_limit);
	tcase_add_test(tc, t_scan_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(lex_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* libxml2's globals, so that valgrind sees no block left. */
	xmlCleanupParser();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
