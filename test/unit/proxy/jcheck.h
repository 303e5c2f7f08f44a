/*
 * jcheck.h: a strict JSON reader for the tests (RFC 8259): validates a
 * whole text and decodes strings, so what portcullis writes is checked
 * by code that did not write it.  Static functions; include once.
 */
#ifndef T_JCHECK_H
#define T_JCHECK_H

#include <stdlib.h>
#include <string.h>

struct jc {
	const char	*p, *end;
	int		 depth;
};

static int jc_value(struct jc *c);

static void
jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
jc_hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];

		*v <<= 4;
		if (ch >= '0' && ch <= '9')
			*v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			*v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			*v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t
jc_put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Is [p, p+n) valid UTF-8 (no overlongs, surrogates, > U+10FFFF)? */
static int
jc_utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], cp, len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (unsigned k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

/* A string at c->p; decoded into out (may be NULL), *outlen bytes. */
static int
jc_string(struct jc *c, char *out, size_t *outlen)
{
	const char *start;
	size_t o = 0;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	start = c->p;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;

		if (ch < 0x20)
			return -1;		/* raw control character */
		if (ch == '\\') {
			unsigned v, lo;
			char e;

			if (c->end - c->p < 2)
				return -1;
			e = c->p[1];
			c->p += 2;
			switch (e) {
			case '"': case '\\': case '/':
				if (out) out[o] = e;
				o++;
				break;
			case 'b': if (out) out[o] = '\b'; o++; break;
			case 'f': if (out) out[o] = '\f'; o++; break;
			case 'n': if (out) out[o] = '\n'; o++; break;
			case 'r': if (out) out[o] = '\r'; o++; break;
			case 't': if (out) out[o] = '\t'; o++; break;
			case 'u':
				if (c->end - c->p < 4 || jc_hex4(c->p, &v) != 0)
					return -1;
				c->p += 4;
				if (v >= 0xdc00 && v <= 0xdfff)
					return -1;
				if (v >= 0xd800 && v <= 0xdbff) {
					if (c->end - c->p < 6 || c->p[0] != '\\' ||
					    c->p[1] != 'u' ||
					    jc_hex4(c->p + 2, &lo) != 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return -1;
					c->p += 6;
					v = 0x10000 + ((v - 0xd800) << 10) +
					    (lo - 0xdc00);
				}
				{
					char tmp[4];
					size_t k = jc_put_utf8(tmp, v);

					if (out)
						memcpy(out + o, tmp, k);
					o += k;
				}
				break;
			default:
				return -1;
			}
			continue;
		}
		if (out)
			out[o] = (char)ch;
		o++;
		c->p++;
	}
	if (c->p >= c->end)
		return -1;
	/* Raw bytes must be UTF-8 (the escapes were checked above). */
	if (!jc_utf8_ok((const unsigned char *)start, (size_t)(c->p - start)))
		return -1;
	c->p++;
	if (outlen)
		*outlen = o;
	return 0;
}

static int
jc_number(struct jc *c)
{
	const char *s = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return -1;
	if (*c->p == '0')
		c->p++;
	else
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	return c->p > s ? 0 : -1;
}

static int
jc_lit(struct jc *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

static int
jc_value(struct jc *c)
{
	jc_ws(c);
	if (c->p >= c->end || ++c->depth > 64)
		return -1;
	switch (*c->p) {
	case '{':
		c->p++;
		jc_ws(c);
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			break;
		}
		for (;;) {
			jc_ws(c);
			if (jc_string(c, NULL, NULL) != 0)
				return -1;
			jc_ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return -1;
			if (jc_value(c) != 0)
				return -1;
			jc_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == '}') {
				c->p++;
				break;
			}
			return -1;
		}
		break;
	case '[':
		c->p++;
		jc_ws(c);
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			break;
		}
		for (;;) {
			if (jc_value(c) != 0)
				return -1;
			jc_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == ']') {
				c->p++;
				break;
			}
			return -1;
		}
		break;
	case '"':
		if (jc_string(c, NULL, NULL) != 0)
			return -1;
		break;
	case 't':
		if (jc_lit(c, "true") != 0)
			return -1;
		break;
	case 'f':
		if (jc_lit(c, "false") != 0)
			return -1;
		break;
	case 'n':
		if (jc_lit(c, "null") != 0)
			return -1;
		break;
	default:
		if (jc_number(c) != 0)
			return -1;
	}
	c->depth--;
	return 0;
}

/* Is [p, p+n) exactly one JSON value (with whitespace around)? */
static int __attribute__((unused))
jc_valid(const char *p, size_t n)
{
	struct jc c = { p, p + n, 0 };

	if (jc_value(&c) != 0)
		return 0;
	jc_ws(&c);
	return c.p == c.end;
}

/*
 * The string value of key in the flat object text (first occurrence of
 * "key":"), decoded into out; 0 if found.
 */
static int __attribute__((unused))
jc_get(const char *obj, const char *key, char *out, size_t outlen)
{
	char pat[128];
	const char *at;
	struct jc c;
	size_t n;
	char *tmp;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((at = strstr(obj, pat)) == NULL)
		return -1;
	c.p = at + strlen(pat) - 1;
	c.end = obj + strlen(obj);
	c.depth = 0;
	if ((tmp = malloc(strlen(obj) + 1)) == NULL)
		return -1;
	if (jc_string(&c, tmp, &n) != 0 || n >= outlen) {
		free(tmp);
		return -1;
	}
	memcpy(out, tmp, n);
	out[n] = '\0';
	free(tmp);
	return 0;
}

#endif /* T_JCHECK_H */
