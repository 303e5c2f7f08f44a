/*
 * lex.c: the byte-level half of xmlstream, which sees every byte before
 * libxml2 does.
 *
 * Owns the UTF-8 validation, the lexer and the check of the XML
 * declaration.  The lexer knows the markup structure of the bytes (tags,
 * quotes, depth) but not namespaces.  It decides how far libxml2 may be
 * fed, rejects what RFC 6120 section 11 forbids (comments, PIs, DTDs,
 * text between top-level elements) before libxml2 sees it, enforces the
 * byte, depth and attribute-count limits exactly, and stops just after
 * the markup xmlstream.c must act on (the stream root, a restart, the
 * end of the stream, an XML declaration).  It never calls libxml2 and
 * never allocates.
 *
 * UTF-8 is checked in the same pass, in the loops that look for markup
 * anyway: every byte is checked before the lexer acts on it, and the
 * lexer stops at the first byte that is not UTF-8 (or is NUL, which
 * libxml2 would take for the end of its buffer), so what it decides
 * never depends on where the input was cut.  A sequence cut by the end
 * of a chunk carries its DFA state over to the next.
 */
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define XS_AVX2	1
#else
#define XS_AVX2	0
#endif

#include "internal.h"

static const char xs_bang[] = "<![CDATA[";

/*
 * The UTF-8 DFA, over byte classes.  Overlong forms, surrogates and code
 * points above U+10FFFF are refused by the classes allowed after E0, ED,
 * F0 and F4.  NUL has a class of its own, and so do EF, BE and BF, for
 * U+FFFE and U+FFFF: UTF-8, but no XML character anywhere.
 */
static const uint8_t u8class[256] = {
	/* 00: NUL 0, then ASCII 1 */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 80-8F: 2, 90-9F: 3, A0-BD: 4, BE: 13, BF: 14 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 13, 14,
	/* C0-C1: 5 (never valid), C2-DF: 6 */
	5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	/* E0: 7, E1-EC: 8, ED: 9, EE: 8, EF: 15 */
	7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 8, 15,
	/* F0: 10, F1-F3: 11, F4: 12, F5-FF: 5 */
	10, 11, 11, 11, 12, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5
};

#define B_	U_BAD
/* Columns: the classes above, 0 to 15. */
static const uint8_t u8next[U_BAD][16] = {
	[U_OK] = { U_NUL, U_OK, B_, B_, B_, B_, U_1, U_E0, U_2, U_ED, U_F0,
	    U_3, U_F4, B_, B_, U_EF },
	[U_1] = { B_, B_, U_OK, U_OK, U_OK, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_OK, U_OK, B_ },
	[U_2] = { B_, B_, U_1, U_1, U_1, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_1, U_1, B_ },
	[U_3] = { B_, B_, U_2, U_2, U_2, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_2, U_2, B_ },
	[U_E0] = { B_, B_, B_, B_, U_1, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_1, U_1, B_ },
	[U_ED] = { B_, B_, U_1, U_1, B_, B_, B_, B_, B_, B_, B_, B_, B_,
	    B_, B_, B_ },
	[U_F0] = { B_, B_, B_, U_2, U_2, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_2, U_2, B_ },
	[U_F4] = { B_, B_, U_2, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_,
	    B_, B_, B_ },
	[U_EF] = { B_, B_, U_1, U_1, U_1, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_1, U_EFBF, B_ },
	[U_EFBF] = { B_, B_, U_OK, U_OK, U_OK, B_, B_, B_, B_, B_, B_, B_, B_,
	    U_NONCHAR, U_NONCHAR, B_ }
};
#undef B_

/*
 * Tables for the byte loops: 1 for the bytes a state acts on, 2 for NUL
 * and the bytes above 0x7f, which must be checked as UTF-8 first.
 */
#define U16	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
#define HIGH	[0x80] = U16, U16, U16, U16, U16, U16, U16, U16

/*
 * A start tag, outside values.  Attributes are counted by their values,
 * each of which is quoted, so '=' needs no stop.
 */
static const uint8_t stag_stop[256] = {
	[0] = 2, ['>'] = 1, ['\''] = 1, ['"'] = 1, ['<'] = 1, HIGH
};

/* What ends an element name. */
static const uint8_t name_stop[256] = {
	[0] = 2, ['>'] = 1, ['\''] = 1, ['"'] = 1, ['='] = 1, ['<'] = 1,
	['/'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, HIGH
};

/* An end tag's '>', and the bytes no end tag may hold. */
static const uint8_t etag_stop[256] = {
	[0] = 2, ['>'] = 1, ['<'] = 1, ['\''] = 1, ['"'] = 1, ['&'] = 1,
	['='] = 1, ['/'] = 1, ['!'] = 1, ['?'] = 1, HIGH
};

/* Every byte's high bit, and its low bit, for the word-wide checks. */
#define HI	0x8080808080808080ULL
#define LO	0x0101010101010101ULL

/*
 * Word-at-a-time scanning, on little-endian machines: there a byte's
 * borrow in the zero-byte test (w - LO) & ~w & HI only reaches the bytes
 * after it in memory, so the lowest flag is exact, and that is the one
 * wanted.  Elsewhere the plain loop does.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR	1
#else
#define SWAR	0
#endif

/*
 * The first of p[i, n) that is a, b, NUL or above 0x7f, or n: text and
 * attribute values, eight bytes at a time.
 */
static inline size_t
scan(const unsigned char *p, size_t i, size_t n, unsigned char a,
    unsigned char b)
{
	uint64_t	 w, x, y, m;

	while (SWAR && i + 8 <= n) {
		memcpy(&w, p + i, 8);
		x = w ^ (LO * a);
		y = w ^ (LO * b);
		m = (((x - LO) & ~x) | ((y - LO) & ~y) | ((w - LO) & ~w) | w) &
		    HI;
		if (m != 0)
			return i + ((size_t)__builtin_ctzll(m) >> 3);
		i += 8;
	}
	while (i < n && p[i] != a && p[i] != b && p[i] != 0 && p[i] < 0x80)
		i++;
	return i;
}

/*
 * The first of p[i, n) that text inside an element cannot simply pass:
 * '<', '&', '>' (for "]]>"), a control character (tab, newline and
 * carriage return included, NUL too) or a byte above 0x7f; or n.  Sixteen
 * bytes at a time with SSE2, where a signed compare with 0x20 catches
 * both the controls and the high bytes; eight at a time elsewhere.
 */
#if XS_AVX2
/*
 * scan_text() for long runs on CPUs with AVX2, 64 bytes at a time; the
 * short tail is left to the caller.  Text in bulk transfers is long.
 */
__attribute__((target("avx2"))) static size_t
scan_text_avx2(const unsigned char *p, size_t i, size_t n)
{
	const __m256i	 lt = _mm256_set1_epi8('<');
	const __m256i	 amp = _mm256_set1_epi8('&');
	const __m256i	 gt = _mm256_set1_epi8('>');
	const __m256i	 sp = _mm256_set1_epi8(0x20);
	__m256i		 a, b, ma, mb;
	uint64_t	 bits;

	while (i + 64 <= n) {
		a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		b = _mm256_loadu_si256((const __m256i *)(const void *)
		    (p + i + 32));
		ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, lt),
		    _mm256_cmpeq_epi8(a, amp)), _mm256_or_si256(
		    _mm256_cmpeq_epi8(a, gt), _mm256_cmpgt_epi8(sp, a)));
		mb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, lt),
		    _mm256_cmpeq_epi8(b, amp)), _mm256_or_si256(
		    _mm256_cmpeq_epi8(b, gt), _mm256_cmpgt_epi8(sp, b)));
		bits = (uint32_t)_mm256_movemask_epi8(ma) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(mb) << 32;
		if (bits != 0)
			return i + (size_t)__builtin_ctzll(bits);
		i += 64;
	}
	return i;
}
#endif

static inline size_t
scan_text(const unsigned char *p, size_t i, size_t n)
{
#if defined(__SSE2__)
	const __m128i	 lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&');
	const __m128i	 gt = _mm_set1_epi8('>'), sp = _mm_set1_epi8(0x20);
	__m128i		 v, m;
	unsigned	 bits;
#if XS_AVX2
	unsigned	 k = 0;
#endif

	while (i + 16 <= n) {
#if XS_AVX2
		/* Most runs end within a few words; long ones go wide. */
		if (++k == 5 && n - i >= 256 &&
		    __builtin_cpu_supports("avx2")) {
			i = scan_text_avx2(p, i, n);
			if (i + 16 > n)
				break;
		}
#endif
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lt),
		    _mm_cmpeq_epi8(v, amp)), _mm_or_si128(_mm_cmpeq_epi8(v, gt),
		    _mm_cmplt_epi8(v, sp)));
		bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
#else
	uint64_t	 w, x, y, z, m;

	while (SWAR && i + 8 <= n) {
		memcpy(&w, p + i, 8);
		x = w ^ (LO * '<');
		y = w ^ (LO * '&');
		z = w ^ (LO * '>');
		m = (((x - LO) & ~x) | ((y - LO) & ~y) | ((z - LO) & ~z) |
		    ((w - LO * 0x20) & ~w) | w) & HI;
		if (m != 0)
			return i + ((size_t)__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '<' &&
	    p[i] != '&' && p[i] != '>')
		i++;
	return i;
}

/*
 * The length of the valid multi-byte sequence at p, of which four bytes
 * may be read, or 0 if there is none.
 */
static inline size_t
seq_len(const unsigned char *p)
{
	unsigned	 c = p[0], lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c == 0xe0 || c == 0xf0)
		lo = c == 0xe0 ? 0xa0 : 0x90;
	else if (c == 0xed || c == 0xf4)
		hi = c == 0xed ? 0x9f : 0x8f;
	if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
		return 0;
	if (c == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
		return 0;	/* U+FFFE, U+FFFF: left to the DFA */
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4 && (p[3] & 0xc0) == 0x80)
		return 4;
	return 0;
}

/*
 * Check the character starting at p[i], a NUL or a byte above 0x7f, the
 * DFA being at a character boundary.  Returns the index after it, or n
 * with the DFA state kept if the character is cut there, or SIZE_MAX
 * with *bad the index of the byte that is not UTF-8 and xs->u8 U_NUL,
 * U_BAD or U_NONCHAR.
 */
static size_t
u8_char(struct xs *xs, const unsigned char *p, size_t i, size_t n,
    size_t *bad)
{
	size_t	 k;
	uint8_t	 st = U_OK;

	if (i + 4 <= n && (k = seq_len(p + i)) != 0)
		return i + k;
	for (; i < n; i++) {
		st = u8next[st][u8class[p[i]]];
		if (st >= U_BAD) {
			xs->u8 = st;
			*bad = i;
			return SIZE_MAX;
		}
		if (st == U_OK)
			return i + 1;
	}
	xs->u8 = st;
	return n;
}

/* Finish a character that the end of the last chunk cut; as u8_char(). */
static size_t
u8_resume(struct xs *xs, const unsigned char *p, size_t i, size_t n,
    size_t *bad)
{
	uint8_t	 st = xs->u8;

	for (; i < n; i++) {
		st = u8next[st][u8class[p[i]]];
		if (st >= U_BAD) {
			xs->u8 = st;
			*bad = i;
			return SIZE_MAX;
		}
		if (st == U_OK)
			break;
	}
	xs->u8 = st;
	return i < n ? i + 1 : n;
}

/*
 * Whether c may start a character: states that decide on a byte check
 * this first, so an invalid byte is refused as such whatever the state.
 */
static inline int
lead_ok(struct xs *xs, unsigned char c)
{
	if (c != 0 && (c < 0x80 || u8next[U_OK][u8class[c]] != U_BAD))
		return 1;
	xs->u8 = c == 0 ? U_NUL : U_BAD;
	return 0;
}

/* The error for a byte that is not UTF-8, at stream offset pos. */
static void
u8_error(struct xs *xs, uint64_t pos)
{
	if (xs->u8 == U_NONCHAR)
		xs__seterr(xs, XS_E_NOTWF, NULL, "U+FFFE or U+FFFF");
	else if (xs->u8 != U_NUL)
		xs__seterr(xs, XS_E_ENCODING, NULL, "invalid UTF-8");
	else if (pos < 4)
		xs__seterr(xs, XS_E_ENCODING, NULL, "UTF-16 or UTF-32 input");
	else
		xs__seterr(xs, XS_E_NOTWF, NULL, "NUL byte");
}

/*
 * Bytes of a name, roughly: libxml2 checks names exactly, this only has
 * to know where a reference can end.
 */
static int
namechar(unsigned char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || c >= 0x80)
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

/* n chars of w (of length len) matched, then c: n + 1, or len + 1. */
static inline unsigned
word(unsigned n, unsigned char c, const char *w, unsigned len)
{
	return n < len && c == (unsigned char)w[n] ? n + 1 : len + 1;
}

static int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * Where the text node being lexed reaches its limit, as an index into p,
 * at most n: text-bytes counts every byte from the end of one tag to the
 * start of the next, references and CDATA sections as they are written,
 * so the limit is a position like the stanza limit, whatever the chunks.
 */
static inline size_t
text_cap(const struct xs *xs, uint64_t cbase, size_t n)
{
	uint64_t	 c;

	if (xs->text_start == XS_NONE)
		return n;
	c = xs->text_start + xs->lim.text_bytes;
	if (c <= cbase)
		return 0;
	return (size_t)min64(n, c - cbase);
}

/* How many ']' end the text before p[i]: those of p[run, i), then tbr. */
static inline uint8_t
brackets(const struct xs *xs, const unsigned char *p, size_t run, size_t i)
{
	if (i - run >= 2)
		return p[i - 1] != ']' ? 0 : p[i - 2] != ']' ? 1 : 2;
	if (i - run == 1)
		return p[i - 1] != ']' ? 0 : xs->tbr >= 1 ? 2 : 1;
	return xs->tbr;
}

/*
 * How far p may be scanned: to, or less where the header or the open
 * top-level element would go over its limit.
 */
static size_t
scan_end(const struct xs *xs, uint64_t top, uint64_t cbase, uint64_t to)
{
	uint64_t	 lim = XS_NONE;

	if (xs->state == S_PROLOG)
		lim = xs->hdr_base + xs->lim.header_bytes;
	else if (xs->state == S_STREAM && top != XS_NONE)
		lim = top + xs->lim.stanza_bytes;
	return (size_t)(min64(to, lim) - cbase);
}

/*
 * The lexer keeps its busiest fields in locals, which the compiler can
 * hold in registers, and stores them back whenever it returns.
 */
#define SAVE() do {				\
	xs->lst = lst;				\
	xs->ldepth = ldepth;			\
	xs->top_start = top;			\
	xs->tag_start = tag;			\
} while (0)

/* Fail at index i with a message; used only inside xs__lex(). */
#define LEX_ERR(i, code, msg) do {				\
	*at = cbase + (i);					\
	xs__seterr(xs, (code), NULL, "%s", (msg));		\
	SAVE();							\
	return X_ERR;						\
} while (0)

/* Over the text limit at index i; used only inside xs__lex(). */
#define TEXT_ERR(i) do {					\
	*at = cbase + (i);					\
	xs__limit_err(xs, "text-bytes", xs->lim.text_bytes + 1,	\
	    xs->lim.text_bytes);				\
	SAVE();							\
	return X_ERR;						\
} while (0)

/* Elide the text run p[x, y), if this text node is elided. */
#define ELIDE(x, y) do {					\
	if (xs->eliding && (y) > (x)) {				\
		xs->skip[xs->nskip].a = cbase + (x);		\
		xs->skip[xs->nskip].b = cbase + (y);		\
		xs->nskip++;					\
	}							\
} while (0)

/*
 * A tag ended at index i: what follows, up to the next tag, is a new text
 * node when it is inside an element.
 */
#define TEXT_NODE(i) do {					\
	if (ldepth >= 2) {					\
		xs->text_start = cbase + (i);			\
		xs->tbr = 0;					\
		xs->eliding = xs->skip != NULL &&		\
		    !xs->keep_text && !xs->noelide;		\
	}							\
} while (0)

/*
 * The lexer.  Scans p[i] for stream offsets [cbase + i, to) and stops at
 * to, at an error, or just after markup the caller must act on before
 * libxml2 may see more.  *at is where it stopped.
 */
enum xs_stop
xs__lex(struct xs *xs, const unsigned char *p, uint64_t cbase, uint64_t from,
    uint64_t to, uint64_t *at)
{
	size_t		 i = (size_t)(from - cbase), n, e, bad = 0, run, tn;
	uint64_t	 top = xs->top_start, tag = xs->tag_start;
	unsigned	 ldepth = xs->ldepth, lvl, nm, nf;
	uint8_t		 lst = xs->lst, st;
	unsigned char	 c, q;

	n = scan_end(xs, top, cbase, to);
	if (xs->u8 != U_OK && lst != L_BOM && i < n &&
	    !(lst == L_TEXT && ldepth >= 2)) {
		/*
		 * The rest of a character cut at the end of the last chunk;
		 * in a reference or CDATA section, up to the text limit.
		 * Text resumes its own, below.
		 */
		tn = lst == L_REF || lst == L_CDATA ? text_cap(xs, cbase, n) :
		    n;
		if ((e = u8_resume(xs, p, i, tn, &bad)) == SIZE_MAX)
			goto enc;
		if (e == tn && tn < n && xs->u8 != U_OK)
			TEXT_ERR(tn);
		if (lst == L_REF)
			xs->nm += (uint8_t)(e - i);
		i = e;
	}
	for (;;) {
		if (i >= n) {
			*at = cbase + i;
			SAVE();
			return X_END;
		}
		c = p[i];
		switch (lst) {
		case L_TEXT:
			if (ldepth >= 2) {
				/*
				 * Text inside an element.  Everything libxml2
				 * checks in it is checked here (characters,
				 * "]]>", the text limit), so that when eliding
				 * the run goes to xs->skip instead of libxml2.
				 */
				if (xs->eliding && xs->nskip == XS_SKIPS) {
					*at = cbase + i;
					SAVE();
					return X_SKIPS;
				}
				run = i;
				tn = text_cap(xs, cbase, n);
				if (xs->u8 != U_OK && (i = u8_resume(xs, p, i,
				    tn, &bad)) == SIZE_MAX) {
					ELIDE(run, bad);
					goto enc;
				}
				while (i < tn) {
					i = scan_text(p, i, tn);
					if (i == tn)
						break;
					c = p[i];
					if (c == '<' || c == '&')
						break;
					if (c >= 0x80) {
						if ((e = u8_char(xs, p, i, tn,
						    &bad)) == SIZE_MAX) {
							ELIDE(run, bad);
							goto enc;
						}
						i = e;
					} else if (c == '>') {
						if (brackets(xs, p, run, i) ==
						    2) {
							ELIDE(run, i);
							LEX_ERR(i, XS_E_NOTWF,
							    "']]>' in text");
						}
						i++;
					} else if (c == '\t' || c == '\n' ||
					    c == '\r') {
						i++;
					} else {
						ELIDE(run, i);
						if (c == 0) {
							xs->u8 = U_NUL;
							bad = i;
							goto enc;
						}
						LEX_ERR(i, XS_E_NOTWF,
						    "control character");
					}
				}
				ELIDE(run, i);
				if (i == n) {
					xs->tbr = brackets(xs, p, run, i);
					break;
				}
				xs->tbr = 0;
				if (i == tn && (xs->u8 != U_OK || p[i] != '<'))
					TEXT_ERR(i);
				if (p[i] == '&') {
					i++;
					lst = L_REF;
					xs->lsub = 0;
					xs->nm = 0;
					break;
				}
			} else {
				while (i < n && isws(p[i]))
					i++;
				if (i == n)
					break;
				c = p[i];
				if (!lead_ok(xs, c)) {
					bad = i;
					goto enc;
				}
				if (xs->state == S_CLOSED)
					LEX_ERR(i, XS_E_CLOSED,
					    "data after the stream was closed");
				if (c == 0xef && cbase + i == 0 &&
				    xs->state == S_PROLOG) {
					lst = L_BOM;
					xs->lsub = 1;
					xs->u8 = u8next[U_OK][u8class[c]];
					i++;
					break;
				}
				if (c != '<') {
					if (xs->state == S_PROLOG)
						LEX_ERR(i, XS_E_NOTWF,
						    "text before the stream "
						    "header");
					LEX_ERR(i, XS_E_FORMAT,
					    "text at the top level");
				}
				if (ldepth == 1) {
					top = cbase + i;
					n = scan_end(xs, top, cbase, to);
				}
			}
			tag = cbase + i;
			lst = L_LT;
			i++;
			if (i >= n)
				break;
			c = p[i];
			/* FALLTHROUGH */
		case L_LT:
			if (!lead_ok(xs, c)) {
				bad = i;
				goto enc;
			}
			if (c == '/') {
				if (ldepth == 0)
					LEX_ERR(i, XS_E_NOTWF,
					    "end tag before the stream header");
				lst = L_ETAG;
				i++;
				break;
			}
			if (c == '?') {
				if (ldepth >= 2)
					LEX_ERR(i, XS_E_RESTRICTED,
					    "processing instruction");
				lst = L_PI;
				xs->lsub = 2;
				xs->pi_decl = 0;
				i++;
				break;
			}
			if (c == '!') {
				lst = L_BANG;
				xs->lsub = 2;
				i++;
				break;
			}
			/* A start tag; the new element's level, the root's 0. */
			lvl = ldepth;
			if (lvl > xs->lim.depth) {
				*at = cbase + i;
				xs__limit_err(xs, "depth", lvl, xs->lim.depth);
				SAVE();
				return X_ERR;
			}
			lst = L_STAG;
			xs->neq = 0;
			xs->slash = 0;
			xs->in_name = lvl == 1;
			xs->nm = 0;
			xs->nf = 0;
			xs->is_stream = 0;
			/* FALLTHROUGH */
		case L_STAG:
			if (xs->in_name) {
				/*
				 * A top-level element's name: is its local part
				 * "stream"?  Only a restart header needs to know.
				 */
				nm = xs->nm;
				nf = xs->nf;
				while (i < n) {
					c = p[i];
					if (name_stop[c] == 1)
						break;
					if (name_stop[c] == 2) {
						nm = 7;
						nf = 9;
						if ((i = u8_char(xs, p, i, n,
						    &bad)) == SIZE_MAX)
							goto enc;
						continue;
					}
					if (c == ':') {
						nm = nf = 0;
					} else {
						nm = word(nm, c, "stream", 6);
						nf = word(nf, c, "features", 8);
					}
					i++;
				}
				xs->nm = nm;
				xs->nf = nf;
				if (i == n)
					break;
				xs->in_name = 0;
				xs->is_stream = nm == 6;
				/* Its text is captured: libxml2 must see it. */
				xs->keep_text = nf == 8;
			}
			/*
			 * The rest of the tag in one go, attribute values
			 * included; see L_SQ for a value cut by the chunk.
			 */
			for (;;) {
				while (i < n && stag_stop[p[i]] == 0)
					i++;
				if (i == n) {
					/* Whether "/>" may be split here. */
					xs->slash = p[n - 1] == '/';
					break;
				}
				c = p[i];
				if (stag_stop[c] == 2) {
					if ((i = u8_char(xs, p, i, n, &bad)) ==
					    SIZE_MAX)
						goto enc;
					continue;
				}
				if (c == '\'' || c == '"') {
					if (++xs->neq > xs->lim.attrs +
					    xs->lim.nsdecls) {
						*at = cbase + i;
						xs__limit_err(xs, "attributes",
						    xs->neq, xs->lim.attrs +
						    xs->lim.nsdecls);
						SAVE();
						return X_ERR;
					}
					for (e = i + 1;;) {
						e = scan(p, e, n, c, '<');
						if (e == n || p[e] == c ||
						    p[e] == '<')
							break;
						if ((e = u8_char(xs, p, e, n,
						    &bad)) == SIZE_MAX)
							goto enc;
					}
					if (e == n) {
						lst = c == '\'' ? L_SQ : L_DQ;
						i = n;
						break;
					}
					if (p[e] == '<')
						LEX_ERR(e, XS_E_NOTWF,
						    "'<' in an attribute value");
					i = e + 1;
					continue;
				}
				break;
			}
			if (i == n)
				break;
			if (c == '<')
				LEX_ERR(i, XS_E_NOTWF, "'<' in a start tag");
			/*
			 * '>': the start tag is complete, and empty if the
			 * byte before is '/', in this chunk or the last.
			 */
			xs->slash = i > 0 ? p[i - 1] == '/' : xs->slash;
			i++;
			lst = L_TEXT;
			lvl = ldepth;
			if (!xs->slash)
				ldepth++;
			TEXT_NODE(i);
			*at = cbase + i;
			if (lvl == 1 && xs->slash) {
				top = XS_NONE;
				n = scan_end(xs, top, cbase, to);
			}
			if (lvl == 0 || (lvl == 1 && xs->is_stream)) {
				SAVE();
				return lvl == 0 ? X_ROOT : X_STREAM;
			}
			break;
		case L_SQ:
		case L_DQ:
			/*
			 * No '<' in a value: libxml2 finds where a start tag
			 * ends from the last '<' it holds, and one in a value
			 * can leave it waiting on a complete tag.
			 */
			q = lst == L_SQ ? '\'' : '"';
			for (;;) {
				i = scan(p, i, n, q, '<');
				if (i == n || p[i] == q || p[i] == '<')
					break;
				if ((i = u8_char(xs, p, i, n, &bad)) == SIZE_MAX)
					goto enc;
			}
			if (i == n)
				break;
			if (p[i] == '<')
				LEX_ERR(i, XS_E_NOTWF,
				    "'<' in an attribute value");
			i++;
			lst = L_STAG;
			xs->slash = 0;
			break;
		case L_BOM:
			/* The bytes of U+FEFF after its EF, in the DFA too. */
			st = u8next[xs->u8][u8class[c]];
			if (st >= U_BAD) {
				xs->u8 = st;
				bad = i;
				goto enc;
			}
			if (c != (xs->lsub == 1 ? 0xbb : 0xbf))
				LEX_ERR(i, XS_E_NOTWF,
				    "text before the stream header");
			xs->u8 = st;
			i++;
			if (++xs->lsub == 3) {
				lst = L_TEXT;
				xs->decl_at = 3;
			}
			break;
		case L_ETAG:
			/*
			 * Only a name and whitespace may come before the '>'.
			 * libxml2 would take a quote here for the start of an
			 * attribute value and wait for its end, while this
			 * lexer had moved on.
			 */
			for (;;) {
				while (i < n && etag_stop[p[i]] == 0)
					i++;
				if (i == n || etag_stop[p[i]] == 1)
					break;
				if ((i = u8_char(xs, p, i, n, &bad)) == SIZE_MAX)
					goto enc;
			}
			if (i == n)
				break;
			if (p[i] != '>')
				LEX_ERR(i, XS_E_NOTWF, "malformed end tag");
			i++;
			lst = L_TEXT;
			--ldepth;
			TEXT_NODE(i);
			if (ldepth == 1) {
				top = XS_NONE;
				n = scan_end(xs, top, cbase, to);
			} else if (ldepth == 0) {
				*at = cbase + i;
				SAVE();
				return X_CLOSE;
			}
			break;
		case L_BANG:
			if (!lead_ok(xs, c)) {
				bad = i;
				goto enc;
			}
			if (xs->lsub == 2) {
				if (c == '-')
					LEX_ERR(i, XS_E_RESTRICTED, "comment");
				if (c >= 'A' && c <= 'Z')
					LEX_ERR(i, XS_E_RESTRICTED, "DTD");
				if (c == '[' && ldepth == 1)
					LEX_ERR(i, XS_E_FORMAT,
					    "CDATA at the top level");
			}
			if (c != (unsigned char)xs_bang[xs->lsub] || ldepth == 0)
				LEX_ERR(i, XS_E_NOTWF, "malformed markup");
			if (ldepth >= 2 && text_cap(xs, cbase, n) <= i)
				TEXT_ERR(i);
			i++;
			if (++xs->lsub == sizeof(xs_bang) - 1) {
				lst = L_CDATA;
				xs->lsub = 0;
			}
			break;
		case L_CDATA:
			tn = text_cap(xs, cbase, n);
			while (i < tn) {
				c = p[i];
				if (c == '>' && xs->lsub >= 2)
					break;
				if (c == 0 || c >= 0x80) {
					xs->lsub = 0;
					if ((i = u8_char(xs, p, i, tn, &bad)) ==
					    SIZE_MAX)
						goto enc;
					continue;
				}
				if (c == ']') {
					if (xs->lsub < 2)
						xs->lsub++;
				} else
					xs->lsub = 0;
				i++;
			}
			if (i < tn) {
				i++;
				lst = L_TEXT;
			} else if (tn < n)
				TEXT_ERR(tn);
			break;
		case L_REF:
			/*
			 * '&' Name ';', "&#" digits ';' or "&#x" hex ';'.
			 * libxml2 waits for a ';' wherever it comes, while
			 * this lexer would have gone on past element ends,
			 * so a malformed reference is refused here.  A name
			 * too long for one of the five predefined entities is
			 * refused as well; libxml2 would ask for it.
			 */
			tn = text_cap(xs, cbase, n);
			while (i < tn) {
				if (xs->nm >= XS_REF_MAX) {
					if (xs->lsub == 3)
						LEX_ERR(i, XS_E_RESTRICTED,
						    "entity reference");
					LEX_ERR(i, XS_E_NOTWF,
					    "malformed reference");
				}
				c = p[i];
				if (c == ';' && xs->lsub >= 3) {
					i++;
					lst = L_TEXT;
					break;
				}
				if (!lead_ok(xs, c)) {
					bad = i;
					goto enc;
				}
				switch (xs->lsub) {
				case 0:		/* after '&' */
					if (c == '#')
						xs->lsub = 1;
					else if (namechar(c, 1))
						xs->lsub = 3;
					else
						xs->lsub = 9;
					break;
				case 1:		/* after "&#" */
					if (c == 'x')
						xs->lsub = 2;
					else if (c >= '0' && c <= '9')
						xs->lsub = 4;
					else
						xs->lsub = 9;
					break;
				case 2:		/* after "&#x" */
					xs->lsub = ishex(c) ? 5 : 9;
					break;
				case 3:		/* in a name */
					if (!namechar(c, 0))
						xs->lsub = 9;
					break;
				case 4:		/* in decimal digits */
					if (c < '0' || c > '9')
						xs->lsub = 9;
					break;
				case 5:		/* in hex digits */
					if (!ishex(c))
						xs->lsub = 9;
					break;
				}
				if (xs->lsub == 9)
					LEX_ERR(i, XS_E_NOTWF,
					    "malformed reference");
				if (c >= 0x80) {
					/* A name character, taken whole. */
					if ((e = u8_char(xs, p, i, tn, &bad)) ==
					    SIZE_MAX)
						goto enc;
					xs->nm += (uint8_t)(e - i);
					i = e;
				} else {
					xs->nm++;
					i++;
				}
			}
			if (lst == L_REF && i == tn && tn < n)
				TEXT_ERR(tn);
			break;
		case L_PI:
			/*
			 * Only an XML declaration is acceptable, and it is
			 * ours to check; it is never fed to libxml2.
			 */
			if (xs->lsub < 6) {
				if (!lead_ok(xs, c)) {
					bad = i;
					goto enc;
				}
				if (xs->lsub < 5 &&
				    c != (unsigned char)"<?xml"[xs->lsub])
					LEX_ERR(i, XS_E_RESTRICTED,
					    "processing instruction");
				if (xs->lsub == 5 && !isws(c)) {
					if (c == '?')
						LEX_ERR(i, XS_E_NOTWF,
						    "malformed XML declaration");
					LEX_ERR(i, XS_E_RESTRICTED,
					    "processing instruction");
				}
				xs->lsub++;
				i++;
				break;
			}
			if (cbase + i - tag >= XS_PI_MAX)
				LEX_ERR(i, XS_E_NOTWF,
				    "XML declaration too long");
			if (c == 0 || c >= 0x80) {
				/* Refused later, but it must be UTF-8 first. */
				xs->pi_decl = 0;
				if ((i = u8_char(xs, p, i, n, &bad)) == SIZE_MAX)
					goto enc;
				break;
			}
			i++;
			if (c == '>' && xs->pi_decl) {
				lst = L_TEXT;
				*at = cbase + i;
				SAVE();
				return X_PI;
			}
			xs->pi_decl = c == '?';
			break;
		}
	}
enc:
	*at = cbase + bad;
	u8_error(xs, cbase + bad);
	SAVE();
	return X_ERR;
}

#undef TEXT_NODE
#undef ELIDE
#undef TEXT_ERR
#undef LEX_ERR
#undef SAVE

/* Skip pseudo-attribute syntax: S? '=' S? quote value quote. */
static int
decl_value(const char **sp, const char *e, const char **v, size_t *vn)
{
	const char	*s = *sp;
	char		 qc;

	while (s < e && isws((unsigned char)*s))
		s++;
	if (s == e || *s++ != '=')
		return -1;
	while (s < e && isws((unsigned char)*s))
		s++;
	if (s == e || (*s != '\'' && *s != '"'))
		return -1;
	qc = *s++;
	*v = s;
	while (s < e && *s != qc)
		s++;
	if (s == e)
		return -1;
	*vn = (size_t)(s - *v);
	*sp = s + 1;
	return 0;
}

/*
 * Check an XML declaration, p[0, n) from "<?xml" to "?>" inclusive.
 * IGNORE_ENC makes libxml2 drop the encoding name, and libxml2 accepts
 * any 1.x version with a warning, so both are checked here.
 */
int
xs__decl_check(struct xs *xs, const char *p, size_t n)
{
	const char	*s = p + 5, *e = p + n - 2, *v;
	size_t		 vn, i;
	int		 sp;

	sp = s < e && isws((unsigned char)*s);
	while (s < e && isws((unsigned char)*s))
		s++;
	if (!sp || (size_t)(e - s) < 7 || memcmp(s, "version", 7) != 0)
		goto bad;
	s += 7;
	if (decl_value(&s, e, &v, &vn) == -1)
		goto bad;
	if (vn != 3 || memcmp(v, "1.0", 3) != 0) {
		xs__seterr(xs, XS_E_NOTWF, NULL, "XML version is not 1.0");
		return -1;
	}
	sp = s < e && isws((unsigned char)*s);
	while (s < e && isws((unsigned char)*s))
		s++;
	if (sp && (size_t)(e - s) >= 8 && memcmp(s, "encoding", 8) == 0) {
		s += 8;
		if (decl_value(&s, e, &v, &vn) == -1 || vn == 0)
			goto bad;
		for (i = 0; i < vn; i++) {
			char c = v[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (i > 0 && ((c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '-'))))
				goto bad;
		}
		if (vn != 5 || strncasecmp(v, "UTF-8", 5) != 0) {
			xs__seterr(xs, XS_E_ENCODING, NULL,
			    "declared encoding is not UTF-8");
			return -1;
		}
		sp = s < e && isws((unsigned char)*s);
		while (s < e && isws((unsigned char)*s))
			s++;
	}
	if (sp && (size_t)(e - s) >= 10 && memcmp(s, "standalone", 10) == 0) {
		s += 10;
		if (decl_value(&s, e, &v, &vn) == -1 ||
		    !((vn == 3 && memcmp(v, "yes", 3) == 0) ||
		    (vn == 2 && memcmp(v, "no", 2) == 0)))
			goto bad;
		while (s < e && isws((unsigned char)*s))
			s++;
	}
	if (s == e)
		return 0;
bad:
	xs__seterr(xs, XS_E_NOTWF, NULL, "malformed XML declaration");
	return -1;
}

