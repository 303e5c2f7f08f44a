/*
 * posh.c: POSH documents (RFC 7711): reading the JSON a domain serves at
 * /.well-known/posh/xmpp-server.json, and matching a peer's certificate
 * against its fingerprints.
 *
 *	{"fingerprints": [{"sha-256": "base64", "sha-512": "base64"}, ...],
 *	 "expires": 86400}
 *	{"url": "https://hosting.example/.well-known/posh/xmpp-server.json",
 *	 "expires": 86400}
 *
 * A fingerprint is the hash of the whole DER certificate of the server,
 * as RFC 7711's examples are made and as the deployed implementations
 * (prosody's mod_s2s_auth_posh) compute it; hashes other than SHA-256 and
 * SHA-512 are ignored.  Where one object gives both, both must match.
 *
 * The document comes from the network, so the reader is strict and
 * small: one object at the top, at most 16 levels deep, every string and
 * number well formed, nothing after the end; members it does not know
 * are skipped whole.  No allocation: values go straight into the result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "certstore.h"
#include "cs_int.h"

#define MAX_DEPTH	16

struct rd {
	const char	*p, *end;
	int		 depth;
};

static void
ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
lit(struct rd *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

static int
hex4(const char *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return -1;
		*out = *out << 4 | v;
	}
	return 0;
}

/* Append code point cp as UTF-8; -1 if out is full. */
static int
put_utf8(char *out, size_t outlen, size_t *len, unsigned cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (out == NULL)
		return 0;
	if (*len + n >= outlen)
		return -1;
	memcpy(out + *len, b, n);
	*len += n;
	return 0;
}

/*
 * A string at r->p (which is '"'), unescaped into out (NUL-terminated;
 * out NULL just skips it).  -1 if malformed, or too long for out, or
 * holding a NUL or a lone surrogate.
 */
static int
string(struct rd *r, char *out, size_t outlen)
{
	size_t len = 0;

	if (r->p >= r->end || *r->p != '"')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		unsigned cp, lo;

		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if (out != NULL) {
				if (len + 1 >= outlen)
					return -1;
				out[len++] = (char)c;
			}
			continue;
		}
		if (r->p >= r->end)
			return -1;
		switch (c = (unsigned char)*r->p++) {
		case '"': case '\\': case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (r->end - r->p < 4 || hex4(r->p, &cp) != 0)
				return -1;
			r->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r->end - r->p < 6 || r->p[0] != '\\' ||
				    r->p[1] != 'u' || hex4(r->p + 2, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				r->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (cp == 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (put_utf8(out, outlen, &len, cp) != 0)
			return -1;
	}
	if (r->p >= r->end)
		return -1;
	r->p++;
	if (out != NULL)
		out[len] = '\0';
	return 0;
}

/* A JSON number; *out gets it when it is a whole number that fits. */
static int
number(struct rd *r, long long *out, int *whole)
{
	long long v = 0;
	int neg = 0, digits = 0;

	*whole = 1;
	if (r->p < r->end && *r->p == '-') {
		neg = 1;
		r->p++;
	}
	if (r->p < r->end && *r->p == '0') {
		r->p++;
		digits = 1;
	} else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			if (v > (0x7fffffffffffffffLL - 9) / 10)
				*whole = 0;
			else
				v = v * 10 + (*r->p - '0');
			r->p++;
			digits++;
		}
	if (digits == 0)
		return -1;
	if (r->p < r->end && *r->p == '.') {
		*whole = 0;
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -1;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		*whole = 0;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -1;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (out != NULL)
		*out = neg ? -v : v;
	return 0;
}

static int value(struct rd *r);

/* Skip an object or array whose opening bracket r->p is on. */
static int
container(struct rd *r)
{
	char close = *r->p == '{' ? '}' : ']';
	int object = close == '}';

	if (++r->depth > MAX_DEPTH)
		return -1;
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		if (object) {
			if (string(r, NULL, 0) != 0)
				return -1;
			ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return -1;
		}
		if (value(r) != 0)
			return -1;
		ws(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == ',') {
			r->p++;
			ws(r);
			continue;
		}
		if (*r->p++ != close)
			return -1;
		r->depth--;
		return 0;
	}
}

/* Skip any value, leading white space included. */
static int
value(struct rd *r)
{
	long long n;
	int whole;

	ws(r);
	if (r->p >= r->end)
		return -1;
	switch (*r->p) {
	case '{':
	case '[':
		return container(r);
	case '"':
		return string(r, NULL, 0);
	case 't':
		return lit(r, "true");
	case 'f':
		return lit(r, "false");
	case 'n':
		return lit(r, "null");
	default:
		return number(r, &n, &whole);
	}
}

/* One {"sha-256": "...", ...} of the fingerprints array. */
static int
fingerprint(struct rd *r, struct cs_posh_fp *fp)
{
	char key[32], b64[256];

	memset(fp, 0, sizeof(*fp));
	if (r->p >= r->end || *r->p != '{')
		return -1;
	if (++r->depth > MAX_DEPTH)
		return -1;
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		const char *at = r->p;
		gnutls_datum_t in, raw = { NULL, 0 };
		int is256, is512;

		if (string(r, key, sizeof(key)) != 0) {
			/* A key too long to be a hash name is still JSON. */
			r->p = at;
			if (string(r, NULL, 0) != 0)
				return -1;
			key[0] = '\0';
		}
		ws(r);
		if (r->p >= r->end || *r->p++ != ':')
			return -1;
		ws(r);
		is256 = strcmp(key, "sha-256") == 0;
		is512 = strcmp(key, "sha-512") == 0;
		if (!is256 && !is512) {
			if (value(r) != 0)
				return -1;
		} else {
			if (string(r, b64, sizeof(b64)) != 0)
				return -1;
			in.data = (unsigned char *)b64;
			in.size = (unsigned)strlen(b64);
			/* A digest that does not decode is left out. */
			if (gnutls_base64_decode2(&in, &raw) == 0) {
				if (is256 && raw.size == 32) {
					memcpy(fp->sha256, raw.data, 32);
					fp->has256 = 1;
				} else if (is512 && raw.size == 64) {
					memcpy(fp->sha512, raw.data, 64);
					fp->has512 = 1;
				}
			}
			gnutls_free(raw.data);
		}
		ws(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == ',') {
			r->p++;
			ws(r);
			continue;
		}
		if (*r->p++ != '}')
			return -1;
		r->depth--;
		return 0;
	}
}

static int
fingerprints(struct rd *r, struct cs_posh *out)
{
	ws(r);
	if (r->p >= r->end || *r->p != '[')
		return -1;
	if (++r->depth > MAX_DEPTH)
		return -1;
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		struct cs_posh_fp fp;

		ws(r);
		if (fingerprint(r, &fp) != 0)
			return -1;
		if ((fp.has256 || fp.has512) && out->nfp < CS_POSH_MAX_FP)
			out->fp[out->nfp++] = fp;
		ws(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ != ']')
			return -1;
		r->depth--;
		return 0;
	}
}

int
cs_posh_parse(const char *doc, size_t len, struct cs_posh *out)
{
	struct rd r;
	int seen_fp = 0, seen_exp = 0, seen_url = 0;
	char key[64];

	memset(out, 0, sizeof(*out));
	out->expires = -1;
	if (doc == NULL)
		return CS_E_FORMAT;
	r.p = doc;
	r.end = doc + len;
	r.depth = 0;
	ws(&r);
	if (r.p >= r.end || *r.p != '{')
		return CS_E_FORMAT;
	r.p++;
	r.depth = 1;
	ws(&r);
	if (r.p < r.end && *r.p == '}') {
		r.p++;
		goto end;
	}
	for (;;) {
		const char *at = r.p;

		if (string(&r, key, sizeof(key)) != 0) {
			r.p = at;
			if (string(&r, NULL, 0) != 0)
				return CS_E_FORMAT;
			key[0] = '\0';
		}
		ws(&r);
		if (r.p >= r.end || *r.p++ != ':')
			return CS_E_FORMAT;
		ws(&r);
		if (strcmp(key, "fingerprints") == 0) {
			if (seen_fp++ || fingerprints(&r, out) != 0)
				return CS_E_FORMAT;
		} else if (strcmp(key, "expires") == 0) {
			long long v;
			int whole;

			if (seen_exp++ || number(&r, &v, &whole) != 0)
				return CS_E_FORMAT;
			/* Fractions and nonsense are as good as absent. */
			out->expires = whole && v >= 0 ? v : -1;
		} else if (strcmp(key, "url") == 0) {
			if (seen_url++ || string(&r, out->url,
			    sizeof(out->url)) != 0)
				return CS_E_FORMAT;
		} else if (value(&r) != 0)
			return CS_E_FORMAT;
		ws(&r);
		if (r.p >= r.end)
			return CS_E_FORMAT;
		if (*r.p == ',') {
			r.p++;
			ws(&r);
			continue;
		}
		if (*r.p++ != '}')
			return CS_E_FORMAT;
		break;
	}
end:
	ws(&r);
	if (r.p != r.end)
		return CS_E_FORMAT;
	/* Fingerprints, if any, are the answer; a url only delegates. */
	if (out->nfp > 0)
		out->url[0] = '\0';
	else if (out->url[0] != '\0' && strncmp(out->url, "https://", 8) != 0)
		return CS_E_FORMAT;
	return 0;
}

int
cs_posh_match(const gnutls_datum_t *leaf, const struct cs_posh *p)
{
	unsigned char d256[32], d512[64];

	if (leaf == NULL || leaf->size == 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, leaf->data, leaf->size,
	    d256) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA512, leaf->data, leaf->size,
	    d512) < 0)
		return 0;
	for (size_t i = 0; i < p->nfp; i++) {
		const struct cs_posh_fp *fp = &p->fp[i];

		if (fp->has256 && memcmp(fp->sha256, d256, 32) != 0)
			continue;
		if (fp->has512 && memcmp(fp->sha512, d512, 64) != 0)
			continue;
		if (fp->has256 || fp->has512)
			return 1;
	}
	return 0;
}
