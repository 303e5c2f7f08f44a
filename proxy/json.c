/*
 * json.c: JSON members into a fixed or growing buffer, escaped for any
 * input bytes.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Room a fixed buffer keeps for ,"truncated":true at the end. */
#define TRUNC_MEMBER	",\"truncated\":true"

void
jw_init(struct jw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap > 0)
		buf[0] = '\0';
}

void
jw_init_grow(struct jw *w)
{
	memset(w, 0, sizeof(*w));
	w->grow = 1;
}

/* Bytes that must stay free: a closer per open level, the NUL, and
 * (fixed buffers) the truncation marker. */
static size_t
reserve(const struct jw *w)
{
	return w->depth + 1 + (w->grow ? 0 : sizeof(TRUNC_MEMBER) - 1);
}

/* Make room for n more bytes beyond the reserve; 0 or -1. */
static int
room(struct jw *w, size_t n)
{
	size_t need = w->len + n + reserve(w);
	char *p;
	size_t cap;

	if (need <= w->cap)
		return 0;
	if (!w->grow || w->nomem)
		return -1;
	cap = w->cap < 4096 ? 4096 : w->cap;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(w->buf, cap)) == NULL) {
		w->nomem = 1;
		return -1;
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t
json_escape(char *out, size_t cap, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0, i = 0;

	while (i < n) {
		char esc[8];
		const char *add = esc;
		size_t alen, ulen = utf8_len(s + i, n - i);

		if (ulen == 0) {
			add = "\\ufffd";
			alen = 6;
			ulen = 1;
		} else if (ulen == 1 && (s[i] < 0x20 || s[i] == 0x7f ||
		    s[i] == '"' || s[i] == '\\')) {
			switch (s[i]) {
			case '"':	add = "\\\""; break;
			case '\\':	add = "\\\\"; break;
			case '\n':	add = "\\n"; break;
			case '\r':	add = "\\r"; break;
			case '\t':	add = "\\t"; break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
				break;
			}
			alen = strlen(add);
		} else if (ulen == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			/* U+2028 and U+2029 end lines in JavaScript. */
			add = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			alen = 6;
		} else {
			add = (const char *)s + i;
			alen = ulen;
		}
		if (o + alen >= cap)
			return (size_t)-1;
		memcpy(out + o, add, alen);
		o += alen;
		i += ulen;
	}
	if (o >= cap)
		return (size_t)-1;
	out[o] = '\0';
	return o;
}

/*
 * Start a member: the comma, "key": and, for a fixed buffer, a check
 * that vlen more bytes fit.  Returns the length to rewind to if the value
 * then does not fit, or (size_t)-1 when nothing was written.
 */
static size_t
member(struct jw *w, const char *key, size_t vlen)
{
	size_t mark = w->len, klen = key != NULL ? strlen(key) + 3 : 0;
	unsigned bit = 1u << w->depth;
	int comma = w->depth > 0 && !(w->first & bit);

	if (w->skipped != 0 || room(w, (size_t)comma + klen + vlen) != 0) {
		w->truncated = 1;
		return (size_t)-1;
	}
	if (comma)
		w->buf[w->len++] = ',';
	if (key != NULL) {
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, key, klen - 3);
		w->len += klen - 3;
		w->buf[w->len++] = '"';
		w->buf[w->len++] = ':';
	}
	w->first &= ~bit;
	w->buf[w->len] = '\0';
	return mark;
}

static void
raw(struct jw *w, const char *key, const char *val)
{
	size_t n = strlen(val);

	if (member(w, key, n) == (size_t)-1)
		return;
	memcpy(w->buf + w->len, val, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
open_level(struct jw *w, const char *key, char c)
{
	assert(w->depth < 8 * sizeof(w->first) - 1);
	if (member(w, key, 1) == (size_t)-1) {
		/*
		 * Nothing fits: count the level so the closes pair up, but
		 * write neither it nor anything inside it.
		 */
		w->depth++;
		w->skipped |= 1u << w->depth;
		return;
	}
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
	w->depth++;
	w->first |= 1u << w->depth;
}

void
jw_open(struct jw *w, const char *key)
{
	open_level(w, key, '{');
}

void
jw_open_array(struct jw *w, const char *key)
{
	open_level(w, key, '[');
}

static void
close_level(struct jw *w, char c)
{
	unsigned bit = 1u << w->depth;

	if (w->depth == 0)
		return;
	w->depth--;
	if (w->skipped & bit) {
		w->skipped &= ~bit;
		return;
	}
	/* The reserve guarantees room for this closer. */
	if (w->depth == 0 && c == '}' && w->truncated && !w->grow) {
		/* Without the comma when nothing else fitted. */
		size_t skip = (w->first & bit) ? 1 : 0;

		memcpy(w->buf + w->len, &TRUNC_MEMBER[skip],
		    sizeof(TRUNC_MEMBER) - 1 - skip);
		w->len += sizeof(TRUNC_MEMBER) - 1 - skip;
	}
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

void
jw_close(struct jw *w)
{
	close_level(w, '}');
}

void
jw_close_array(struct jw *w)
{
	close_level(w, ']');
}

void
jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	size_t mark, cap, e;

	if (val == NULL) {
		raw(w, key, "null");
		return;
	}
	/* Escaping at most sextuples the length; try the exact size. */
	if ((mark = member(w, key, 2)) == (size_t)-1)
		return;
	for (;;) {
		cap = w->cap - w->len - reserve(w);
		e = json_escape(w->buf + w->len + 1, cap > 1 ? cap - 1 : 0,
		    val, n);
		if (e != (size_t)-1 && w->len + e + 2 + reserve(w) <= w->cap)
			break;
		if (room(w, n * 6 + 2) != 0) {
			w->len = mark;
			w->buf[w->len] = '\0';
			w->truncated = 1;
			return;
		}
	}
	w->buf[w->len] = '"';
	w->len += e + 1;
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

void
jw_str(struct jw *w, const char *key, const char *val)
{
	jw_strn(w, key, val, val != NULL ? strlen(val) : 0);
}

void
jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)val);
	raw(w, key, tmp);
}

void
jw_bool(struct jw *w, const char *key, int val)
{
	raw(w, key, val ? "true" : "false");
}
