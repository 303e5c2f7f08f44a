/*
 * lex.c: the byte-level half of xmlstream, which sees every byte before
 * libxml2 does.
 *
 * Owns the UTF-8 validator, the lexer and the check of the XML
 * declaration.  The lexer knows the markup structure of the bytes (tags,
 * quotes, depth) but not namespaces.  It decides how far libxml2 may be
 * fed, rejects what RFC 6120 section 11 forbids (comments, PIs, DTDs,
 * text between top-level elements) before libxml2 sees it, enforces the
 * byte, depth and attribute-count limits exactly, and stops just after
 * the markup xmlstream.c must act on (the stream root, a restart, the
 * end of the stream, an XML declaration).  It never calls libxml2 and
 * never allocates.
 */
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char xs_bang[] = "<![CDATA[";

/*
 * UTF-8 validation: a DFA over byte classes.  Overlong forms, surrogates
 * and code points above U+10FFFF are rejected by the classes allowed
 * after E0, ED, F0 and F4.  NUL gets a class of its own because libxml2
 * takes it for the end of its buffer.
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
	/* 80-8F: 2, 90-9F: 3, A0-BF: 4 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	/* C0-C1: 5 (never valid), C2-DF: 6 */
	5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	/* E0: 7, E1-EC: 8, ED: 9, EE-EF: 8 */
	7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 8, 8,
	/* F0: 10, F1-F3: 11, F4: 12, F5-FF: 5 */
	10, 11, 11, 11, 12, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5
};

/* Columns: the classes above, 0 to 12. */
static const uint8_t u8next[U_BAD][13] = {
	[U_OK] = { U_NUL, U_OK, U_BAD, U_BAD, U_BAD, U_BAD, U_1, U_E0, U_2,
	    U_ED, U_F0, U_3, U_F4 },
	[U_1] = { U_BAD, U_BAD, U_OK, U_OK, U_OK, U_BAD, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD },
	[U_2] = { U_BAD, U_BAD, U_1, U_1, U_1, U_BAD, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD },
	[U_3] = { U_BAD, U_BAD, U_2, U_2, U_2, U_BAD, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD },
	[U_E0] = { U_BAD, U_BAD, U_BAD, U_BAD, U_1, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD, U_BAD },
	[U_ED] = { U_BAD, U_BAD, U_1, U_1, U_BAD, U_BAD, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD },
	[U_F0] = { U_BAD, U_BAD, U_BAD, U_2, U_2, U_BAD, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD },
	[U_F4] = { U_BAD, U_BAD, U_2, U_BAD, U_BAD, U_BAD, U_BAD, U_BAD, U_BAD,
	    U_BAD, U_BAD, U_BAD, U_BAD }
};

/*
 * Scan p[0, len) at stream offset base with the DFA state carried in xs.
 * Returns XS_NONE, or the offset of the first byte at which the input
 * stops being UTF-8 (*nul set if it is a NUL outside a sequence).  Every
 * byte before that one is lexed, however the input was cut, so that what
 * the lexer decides never depends on whether it had yet seen how a
 * sequence ends.
 */
uint64_t
xs__utf8_scan(struct xs *xs, const unsigned char *p, size_t len, uint64_t base,
    int *nul)
{
	size_t		 i = 0;
	uint8_t		 st = xs->u8;
	uint64_t	 w;

	*nul = 0;
	while (i < len) {
		if (st == U_OK) {
			/* Eight ASCII bytes with no NUL at a time. */
			while (i + 8 <= len) {
				memcpy(&w, p + i, 8);
				if ((w & 0x8080808080808080ULL) != 0 ||
				    ((w - 0x0101010101010101ULL) & ~w &
				    0x8080808080808080ULL) != 0)
					break;
				i += 8;
			}
			if (i == len)
				break;
		}
		st = u8next[st][u8class[p[i]]];
		if (st >= U_BAD) {
			xs->u8 = st;
			*nul = st == U_NUL;
			return base + i;
		}
		i++;
	}
	xs->u8 = st;
	return XS_NONE;
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

static int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* The end of what may be scanned before a limit is exceeded. */
static uint64_t
limit_end(const struct xs *xs)
{
	if (xs->state == S_PROLOG)
		return xs->hdr_base + xs->lim.header_bytes;
	if (xs->state == S_STREAM && xs->top_start != XS_NONE)
		return xs->top_start + xs->lim.stanza_bytes;
	return XS_NONE;
}

/*
 * The lexer.  Scans p[i] for stream offsets [cbase + i, to) and stops at
 * to, at an error, or just after markup the caller must act on before
 * libxml2 may see more.  *at is where it stopped.
 */
enum xs_stop
xs__lex(struct xs *xs, const unsigned char *p, uint64_t cbase, uint64_t from,
    uint64_t to, uint64_t *at)
{
	size_t		 i = (size_t)(from - cbase), n;
	const unsigned char *q, *r;
	unsigned char	 c;
	unsigned	 lvl;
	size_t		 e;

	for (;;) {
		n = (size_t)(min64(to, limit_end(xs)) - cbase);
		if (i >= n) {
			*at = cbase + i;
			return X_END;
		}
		c = p[i];
		switch (xs->lst) {
		case L_TEXT:
			if (xs->ldepth >= 2) {
				q = memchr(p + i, '<', n - i);
				e = q != NULL ? (size_t)(q - p) : n;
				r = memchr(p + i, '&', e - i);
				if (r != NULL) {
					i = (size_t)(r - p) + 1;
					xs->lst = L_REF;
					xs->lsub = 0;
					xs->nm = 0;
					break;
				}
				if (q == NULL) {
					i = n;
					break;
				}
				i = (size_t)(q - p);
			} else {
				while (i < n && isws(p[i]))
					i++;
				if (i == n)
					break;
				c = p[i];
				if (xs->state == S_CLOSED) {
					*at = cbase + i;
					xs__seterr(xs, XS_E_CLOSED, NULL,
					    "data after the stream was closed");
					return X_ERR;
				}
				if (c == 0xef && cbase + i == 0 &&
				    xs->state == S_PROLOG) {
					xs->lst = L_BOM;
					xs->lsub = 1;
					i++;
					break;
				}
				if (c != '<') {
					*at = cbase + i;
					if (xs->state == S_PROLOG)
						xs__seterr(xs, XS_E_NOTWF, NULL,
						    "text before the stream "
						    "header");
					else
						xs__seterr(xs, XS_E_FORMAT, NULL,
						    "text at the top level");
					return X_ERR;
				}
				if (xs->ldepth == 1)
					xs->top_start = cbase + i;
			}
			xs->tag_start = cbase + i;
			xs->lst = L_LT;
			i++;
			break;
		case L_BOM:
			if (c != (xs->lsub == 1 ? 0xbb : 0xbf)) {
				*at = cbase + i;
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "text before the stream header");
				return X_ERR;
			}
			i++;
			if (++xs->lsub == 3) {
				xs->lst = L_TEXT;
				xs->decl_at = 3;
			}
			break;
		case L_LT:
			if (c == '/') {
				if (xs->ldepth == 0) {
					*at = cbase + i;
					xs__seterr(xs, XS_E_NOTWF, NULL,
					    "end tag before the stream header");
					return X_ERR;
				}
				xs->lst = L_ETAG;
				i++;
			} else if (c == '?') {
				if (xs->ldepth >= 2) {
					*at = cbase + i;
					xs__seterr(xs, XS_E_RESTRICTED, NULL,
					    "processing instruction");
					return X_ERR;
				}
				xs->lst = L_PI;
				xs->lsub = 2;
				xs->pi_decl = 0;
				i++;
			} else if (c == '!') {
				xs->lst = L_BANG;
				xs->lsub = 2;
				i++;
			} else {
				/* The new element's level; the root's is 0. */
				lvl = xs->ldepth;
				if (lvl > xs->lim.depth) {
					*at = cbase + i;
					xs__limit_err(xs, "depth", lvl,
					    xs->lim.depth);
					return X_ERR;
				}
				xs->lst = L_STAG;
				xs->neq = 0;
				xs->slash = 0;
				xs->in_name = 1;
				xs->nm = 0;
				xs->is_stream = 0;
			}
			break;
		case L_STAG:
			for (; i < n; i++) {
				c = p[i];
				if (xs->in_name) {
					if (c == ':')
						xs->nm = 0;
					else if (isws(c) || c == '/' ||
					    c == '>') {
						xs->in_name = 0;
						xs->is_stream = xs->nm == 6;
					} else if (xs->nm < 6 &&
					    c == (unsigned char)"stream"[xs->nm])
						xs->nm++;
					else
						xs->nm = 7;
				}
				if (c == '>' || c == '\'' || c == '"' ||
				    c == '=' || c == '<')
					break;
				xs->slash = c == '/';
			}
			if (i == n)
				break;
			if (c == '\'' || c == '"') {
				xs->lst = c == '\'' ? L_SQ : L_DQ;
				xs->slash = 0;
				i++;
				break;
			}
			if (c == '=') {
				xs->slash = 0;
				if (++xs->neq > xs->lim.attrs + xs->lim.nsdecls) {
					*at = cbase + i;
					xs__limit_err(xs, "attributes", xs->neq,
					    xs->lim.attrs + xs->lim.nsdecls);
					return X_ERR;
				}
				i++;
				break;
			}
			if (c == '<') {
				*at = cbase + i;
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "'<' in a start tag");
				return X_ERR;
			}
			/* '>': the start tag is complete. */
			i++;
			xs->lst = L_TEXT;
			lvl = xs->ldepth;
			if (!xs->slash)
				xs->ldepth++;
			*at = cbase + i;
			if (lvl == 1 && xs->slash)
				xs->top_start = XS_NONE;
			if (lvl == 0)
				return X_ROOT;
			if (lvl == 1 && xs->is_stream)
				return X_STREAM;
			break;
		case L_SQ:
		case L_DQ:
			/*
			 * No '<' in a value: libxml2 finds where a start tag
			 * ends from the last '<' it holds, and one in a value
			 * can leave it waiting on a complete tag.
			 */
			q = memchr(p + i, xs->lst == L_SQ ? '\'' : '"', n - i);
			e = q != NULL ? (size_t)(q - p) : n;
			if ((r = memchr(p + i, '<', e - i)) != NULL) {
				*at = cbase + (size_t)(r - p);
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "'<' in an attribute value");
				return X_ERR;
			}
			if (q == NULL) {
				i = n;
				break;
			}
			i = e + 1;
			xs->lst = L_STAG;
			break;
		case L_ETAG:
			/*
			 * Only a name and whitespace may come before the '>'.
			 * libxml2 would take a quote here for the start of an
			 * attribute value and wait for its end, while this
			 * lexer had moved on.
			 */
			for (; i < n; i++) {
				c = p[i];
				if (c == '>' || c == '<' || c == '\'' ||
				    c == '"' || c == '&' || c == '=' ||
				    c == '/' || c == '!' || c == '?')
					break;
			}
			if (i == n)
				break;
			if (c != '>') {
				*at = cbase + i;
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "malformed end tag");
				return X_ERR;
			}
			i++;
			xs->lst = L_TEXT;
			if (--xs->ldepth == 1)
				xs->top_start = XS_NONE;
			else if (xs->ldepth == 0) {
				*at = cbase + i;
				return X_CLOSE;
			}
			break;
		case L_BANG:
			if (xs->lsub == 2) {
				if (c == '-' || (c >= 'A' && c <= 'Z')) {
					*at = cbase + i;
					xs__seterr(xs, XS_E_RESTRICTED, NULL,
					    c == '-' ? "comment" : "DTD");
					return X_ERR;
				}
				if (c == '[' && xs->ldepth == 1) {
					*at = cbase + i;
					xs__seterr(xs, XS_E_FORMAT, NULL,
					    "CDATA at the top level");
					return X_ERR;
				}
			}
			if (c != (unsigned char)xs_bang[xs->lsub] ||
			    xs->ldepth == 0) {
				*at = cbase + i;
				xs__seterr(xs, XS_E_NOTWF, NULL, "malformed markup");
				return X_ERR;
			}
			i++;
			if (++xs->lsub == sizeof(xs_bang) - 1) {
				xs->lst = L_CDATA;
				xs->lsub = 0;
			}
			break;
		case L_CDATA:
			for (; i < n; i++) {
				c = p[i];
				if (c == '>' && xs->lsub >= 2)
					break;
				if (c == ']') {
					if (xs->lsub < 2)
						xs->lsub++;
				} else
					xs->lsub = 0;
			}
			if (i < n) {
				i++;
				xs->lst = L_TEXT;
			}
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
			if (++xs->nm > XS_REF_MAX) {
				*at = cbase + i;
				if (xs->lsub == 3)
					xs__seterr(xs, XS_E_RESTRICTED, NULL,
					    "entity reference");
				else
					xs__seterr(xs, XS_E_NOTWF, NULL,
					    "malformed reference");
				return X_ERR;
			}
			i++;
			if (c == ';' && xs->lsub >= 3) {
				xs->lst = L_TEXT;
				break;
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
			if (xs->lsub == 9) {
				*at = cbase + i - 1;
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "malformed reference");
				return X_ERR;
			}
			break;
		case L_PI:
			/*
			 * Only an XML declaration is acceptable, and it is
			 * ours to check; it is never fed to libxml2.
			 */
			if (xs->lsub < 6) {
				if (xs->lsub < 5 &&
				    c != (unsigned char)"<?xml"[xs->lsub]) {
					*at = cbase + i;
					xs__seterr(xs, XS_E_RESTRICTED, NULL,
					    "processing instruction");
					return X_ERR;
				}
				if (xs->lsub == 5 && !isws(c)) {
					*at = cbase + i;
					if (c == '?')
						xs__seterr(xs, XS_E_NOTWF, NULL,
						    "malformed XML declaration");
					else
						xs__seterr(xs, XS_E_RESTRICTED, NULL,
						    "processing instruction");
					return X_ERR;
				}
				xs->lsub++;
				i++;
				break;
			}
			if (cbase + i - xs->tag_start >= XS_PI_MAX) {
				*at = cbase + i;
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "XML declaration too long");
				return X_ERR;
			}
			i++;
			if (c == '>' && xs->pi_decl) {
				xs->lst = L_TEXT;
				*at = cbase + i;
				return X_PI;
			}
			xs->pi_decl = c == '?';
			break;
		}
	}
}

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

