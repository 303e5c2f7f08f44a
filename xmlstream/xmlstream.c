/*
 * xmlstream.c: one direction of an XMPP stream, parsed incrementally.
 *
 * Owns the libxml2 push parser of that direction and turns its SAX2
 * callbacks into byte spans: the stream header, the elements under the
 * root, the capture of <stream:features/> children and the limits that
 * need libxml2's view (attribute and namespace counts, value and text
 * lengths).  lex.c sees every byte first and decides how far libxml2 may
 * be fed; see there.  Never does I/O, never logs, never changes a byte.
 *
 * libxml2's position, consumed + (cur - base), is exact inside
 * startElementNs (at the '>' or the "/>" of the start tag) and
 * endElementNs (just past the end tag), and both fire in the
 * xmlParseChunk() call that brings the tag's '>'.  The lexer stops just
 * after the markup that changes how the stream must be parsed, so
 * libxml2 never holds bytes beyond it.
 *
 * Three properties of libxml2 2.9.14 shape the feeding:
 *  - a start tag fed in small pieces whose attribute values contain '>'
 *    is rescanned from its '<' on every piece (quadratic time), so a
 *    start tag is held back until its '>' has arrived and is fed whole;
 *  - duplicate-attribute checks are quadratic in the number of
 *    attributes, so the lexer counts them before libxml2 does;
 *  - xmlCtxtReset() keeps stale namespace bindings, so a context is never
 *    reused: a restart or xs_idle() frees it, and the next one is fed a
 *    synthetic copy of the stream root start tag (its namespace
 *    declarations only), whose bytes are never counted.
 *
 * And one of its cost: character data is a third of the bytes of typical
 * traffic but, in xmlParseCharData() and xmlCurrentChar(), more than a
 * third of libxml2's time, while the lexer reads every byte of it anyway.
 * So text inside elements is checked by the lexer alone (characters,
 * "]]>", text-bytes) and left out of what libxml2 is given; it sees
 * "<body></body>".  Text inside a top-level features element is given,
 * for the capture.  The offset map then has a breakpoint per elided run
 * (see ppos()); references and CDATA sections still go to libxml2.
 */
#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "internal.h"

/*
 * What libxml2 needs buffered to check a block of an unterminated CDATA
 * section: its private XML_PARSER_BIG_BUFFER_SIZE (300), plus two.
 */
#define CDATA_BLOCK	302

/* Defaults.  portcullis.conf(5) lists the same values. */
static const struct xs_limits xs_defaults = {
	.stanza_bytes =	262144,	/* bytes, one top-level element */
	.header_bytes =	4096,	/* bytes, stream header incl. XML decl */
	.depth =	32,	/* levels below the stream root */
	.attrs =	64,	/* attributes per element */
	.nsdecls =	32,	/* namespace declarations per element */
	.attr_bytes =	65536,	/* bytes, one attribute value */
	.text_bytes =	262144	/* bytes between two tags, as written */
};

static pthread_once_t xs_once = PTHREAD_ONCE_INIT;

/*
 * Errors.  The first one wins; detail is allocated here, so an idle
 * parser carries none.
 */
void
xs__seterr(struct xs *xs, int code, const char *lim, const char *fmt, ...)
{
	char	 msg[XS_DETAIL_MAX];
	va_list	 ap;

	if (xs->err != 0)
		return;
	xs->err = code;
	xs->limname = lim;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (xs->detail == NULL)
		xs->detail = malloc(XS_DETAIL_MAX);
	if (xs->detail != NULL)
		memcpy(xs->detail, msg, sizeof(msg));
	if (xs->in_parse && xs->ctxt != NULL)
		xmlStopParser(xs->ctxt);
}

void
xs__limit_err(struct xs *xs, const char *name, uint64_t got, uint64_t max)
{
	xs__seterr(xs, XS_E_LIMIT, name, "%s %llu > %llu", name,
	    (unsigned long long)got, (unsigned long long)max);
}

/* Parser callbacks do nothing once the parse is being abandoned. */
static inline int
halted(const struct xs *xs)
{
	return xs->err != 0 || xs->reset_req || xs->restart_req ||
	    xs->closed_req;
}

static void
emit(struct xs *xs, enum xs_ev_type type, uint64_t start, uint64_t end,
    const char *name, const char *ns)
{
	struct xs_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.start = start;
	ev.end = end;
	ev.name = name;
	ev.ns = ns;
	if (type == XS_EV_HEADER)
		ev.restart = xs->restarting;
	if (type == XS_EV_ELEMENT) {
		ev.empty = xs->empty;
		if (xs->capture) {
			ev.children = xs->kids;
			ev.nchildren = xs->nkids;
		}
	}
	xs->boundary = end;
	xs->in_cb = 1;
	xs->fn(xs->arg, &ev);
	xs->in_cb = 0;
	if (xs->reset_req && xs->in_parse)
		xmlStopParser(xs->ctxt);
}

/* Grow *buf to hold at least need bytes. */
static int
grow(char **buf, size_t *cap, size_t need)
{
	size_t	 n;
	char	*p;

	if (need <= *cap)
		return 0;
	n = *cap != 0 ? *cap : 64;
	while (n < need)
		n *= 2;
	if ((p = realloc(*buf, n)) == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* How many bytes libxml2 has parsed of what it was given. */
static uint64_t
lindex(const struct xs *xs)
{
	const xmlParserInput	*in = xs->ctxt->input;

	return (uint64_t)in->consumed + (uint64_t)(in->cur - in->base);
}

/*
 * The parser position as a stream offset.  Only meaningful inside a SAX
 * callback and before xmlStopParser(), which empties the input.  Byte j
 * that libxml2 was given is stream byte j + d(j), where d steps up at
 * every elided run; a position p, just after byte p - 1, takes that
 * byte's delta.  Callbacks come in document order, so the breakpoints
 * are passed once, in order.
 */
static uint64_t
ppos(struct xs *xs)
{
	uint64_t	 p = lindex(xs);

	while (xs->bphead < xs->nbp && xs->bp[xs->bphead].a < p)
		xs->pdelta = xs->bp[xs->bphead++].b;
	return p + xs->pdelta;
}

/* Inside startElementNs: the offset just past the start tag. */
static uint64_t
stag_end(struct xs *xs, int *empty)
{
	*empty = *xs->ctxt->input->cur == '/';
	return ppos(xs) + (*empty ? 2 : 1);
}

/*
 * Copy an attribute value as libxml2 reports it without entity
 * substitution, where each '&' appears as "&#38;".  Returns the length.
 */
static size_t
attr_copy(char *dst, const xmlChar *v, const xmlChar *end)
{
	const xmlChar	*q;
	size_t		 n = 0, k;

	while ((q = memchr(v, '&', (size_t)(end - v))) != NULL) {
		k = (size_t)(q - v);
		memcpy(dst + n, v, k);
		n += k;
		dst[n++] = '&';
		v = q + (end - q >= 5 && memcmp(q, "&#38;", 5) == 0 ? 5 : 1);
	}
	k = (size_t)(end - v);
	memcpy(dst + n, v, k);
	n += k;
	dst[n] = '\0';
	return n;
}

/* The length attr_copy() will produce. */
static size_t
attr_len(const xmlChar *v, const xmlChar *end)
{
	size_t		 n = (size_t)(end - v);
	const xmlChar	*q;

	while ((q = memchr(v, '&', (size_t)(end - v))) != NULL) {
		if (end - q >= 5 && memcmp(q, "&#38;", 5) == 0)
			n -= 4;
		v = q + 1;
	}
	return n;
}

/*
 * Append a namespace name to the synthetic root as a '...' attribute
 * value.  libxml2 keeps namespace names without entity substitution, so
 * every '&' in one already starts "&#38;" and is copied as it is; a tab
 * or newline can only have come from a character reference and must stay
 * one, or attribute normalisation would make it a space.
 */
static char *
esc_copy(char *d, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			d = stpcpy(d, "&lt;");
			break;
		case '\'':
			d = stpcpy(d, "&apos;");
			break;
		case '\t':
			d = stpcpy(d, "&#9;");
			break;
		case '\n':
			d = stpcpy(d, "&#10;");
			break;
		case '\r':
			d = stpcpy(d, "&#13;");
			break;
		default:
			*d++ = *s;
		}
	}
	return d;
}

static void
parse_version(struct xs_header *h)
{
	const char	*s = h->version;
	long		 a = 0, b = 0;
	int		 da = 0, db = 0;

	if (s == NULL) {
		h->major = 0;
		h->minor = 9;
		return;
	}
	for (; *s >= '0' && *s <= '9'; s++, da++)
		if (a < INT_MAX / 10)
			a = a * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, db++)
			if (b < INT_MAX / 10)
				b = b * 10 + (*s - '0');
	if (da == 0 || db == 0 || *s != '\0')
		a = b = 0;	/* malformed: lower than any real version */
	h->major = (int)a;
	h->minor = (int)b;
}

/*
 * A stream header: the root start tag, or a {streams}stream start tag
 * directly under the root (a restart).  Builds the new header block, with
 * the synthetic root that re-roots later contexts, then reports it.
 */
static void
on_header(struct xs *xs, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr,
    const xmlChar **attrs, int depth1)
{
	const char	*dflt = NULL, *a[5] = { NULL };
	const xmlChar	*ae[5] = { NULL };
	static const char *const an[4] = { "to", "from", "id", "version" };
	struct xs_header h;
	uint64_t	 end, start;
	size_t		 need, plen;
	char		*buf, *d;
	size_t		 i, nn = (size_t)nns, na = (size_t)nattr;
	int		 k, empty, pfx_ok = prefix == NULL, dialback = 0;

	end = stag_end(xs, &empty);
	if (uri == NULL || strcmp((const char *)uri, XS_NS_STREAMS) != 0 ||
	    strcmp((const char *)local, "stream") != 0) {
		xs__seterr(xs, XS_E_NAMESPACE, NULL,
		    "stream root is not {%s}stream", XS_NS_STREAMS);
		return;
	}
	for (i = 0; i < nn; i++) {
		const char *p = (const char *)ns[2 * i];
		const char *u = (const char *)ns[2 * i + 1];

		if (p == NULL)
			dflt = u;
		else if (prefix != NULL && strcmp(p, (const char *)prefix) == 0)
			pfx_ok = 1;
		if (p != NULL && strcmp(u, XS_NS_DIALBACK) == 0)
			dialback = 1;
	}
	if (dflt == NULL || strcmp(dflt, xs->content_ns) != 0) {
		xs__seterr(xs, XS_E_NAMESPACE, NULL, "default namespace is not %s",
		    xs->content_ns);
		return;
	}
	if (!pfx_ok) {
		/* A new stream may not lean on the old root's bindings. */
		xs__seterr(xs, XS_E_NOTWF, NULL,
		    "restart header does not declare its prefix");
		return;
	}
	start = depth1 ? xs->top_start : xs->hdr_base;
	if (end - start > xs->lim.header_bytes) {
		xs__limit_err(xs, "header-bytes", end - start,
		    xs->lim.header_bytes);
		return;
	}

	/* Size the block: attribute strings, prefix, synthetic root. */
	plen = prefix != NULL ? strlen((const char *)prefix) : 0;
	need = 0;
	for (i = 0; i < na; i++) {
		const xmlChar *const *t = attrs + 5 * i;

		k = -1;
		if (t[1] == NULL) {
			for (k = 0; k < 4; k++)
				if (strcmp((const char *)t[0], an[k]) == 0)
					break;
		} else if (strcmp((const char *)t[1], "xml") == 0 &&
		    strcmp((const char *)t[0], "lang") == 0)
			k = 4;
		if (k >= 0 && k < 5) {
			a[k] = (const char *)t[3];
			ae[k] = t[4];
			need += (size_t)(t[4] - t[3]) + 1;
		}
	}
	need += plen + 1;
	need += 1 + plen + 1 + 6;		/* "<p:stream" */
	for (i = 0; i < nn; i++) {
		/* " xmlns:p='" + escaped URI + "'", escaping at most 6x. */
		need += 10 + (ns[2 * i] != NULL ?
		    strlen((const char *)ns[2 * i]) : 0) +
		    6 * strlen((const char *)ns[2 * i + 1]);
	}
	need += 2;				/* ">\0" */
	if ((buf = malloc(need)) == NULL) {
		xs__seterr(xs, XS_E_NOMEM, NULL, "out of memory");
		return;
	}

	memset(&h, 0, sizeof(h));
	d = buf;
	for (k = 0; k < 5; k++) {
		const char **slot[5] = { &h.to, &h.from, &h.id, &h.version,
		    &h.lang };

		if (a[k] == NULL)
			continue;
		*slot[k] = d;
		d += attr_copy(d, (const xmlChar *)a[k], ae[k]) + 1;
	}
	h.stream_prefix = d;
	if (plen > 0)
		memcpy(d, prefix, plen);
	d[plen] = '\0';
	d += plen + 1;
	h.content_ns = xs->content_ns;
	h.has_dialback = dialback;
	parse_version(&h);

	xs->root = d;
	*d++ = '<';
	if (plen > 0) {
		memcpy(d, prefix, plen);
		d += plen;
		*d++ = ':';
	}
	memcpy(d, "stream", 6);
	d += 6;
	for (i = 0; i < nn; i++) {
		memcpy(d, " xmlns", 6);
		d += 6;
		if (ns[2 * i] != NULL) {
			size_t n = strlen((const char *)ns[2 * i]);

			*d++ = ':';
			memcpy(d, ns[2 * i], n);
			d += n;
		}
		*d++ = '=';
		*d++ = '\'';
		d = esc_copy(d, (const char *)ns[2 * i + 1]);
		*d++ = '\'';
	}
	*d++ = '>';
	xs->rootlen = (size_t)(d - xs->root);
	*d = '\0';

	free(xs->hdrbuf);
	xs->hdrbuf = buf;
	xs->hdr = h;
	xs->restarting = xs->restarting || depth1;
	xs->state = S_STREAM;
	xs->depth = 1;
	emit(xs, XS_EV_HEADER, xs->boundary, end, "stream", XS_NS_STREAMS);
	xs->restarting = 0;
	if (depth1 && !halted(xs)) {
		/* Parsing goes on in a new context; see feed(). */
		if (empty) {
			emit(xs, XS_EV_CLOSE, end, end, "stream",
			    XS_NS_STREAMS);
			xs->closed_req = 1;
		} else
			xs->restart_req = 1;
		if (xs->in_parse)
			xmlStopParser(xs->ctxt);
	}
}

/* Remember the unprefixed attributes of a top-level start tag. */
static void
save_attrs(struct xs *xs, int nattr, const xmlChar **attrs)
{
	size_t	 need = 1, i, na = (size_t)nattr;

	xs->alen = 0;
	for (i = 0; i < na; i++)
		if (attrs[5 * i + 1] == NULL)
			need += strlen((const char *)attrs[5 * i]) + 1 +
			    (size_t)(attrs[5 * i + 4] - attrs[5 * i + 3]) + 1;
	if (grow(&xs->abuf, &xs->acap, need) == -1) {
		xs__seterr(xs, XS_E_NOMEM, NULL, "out of memory");
		return;
	}
	for (i = 0; i < na; i++) {
		const xmlChar *const *t = attrs + 5 * i;
		size_t n;

		if (t[1] != NULL)
			continue;
		n = strlen((const char *)t[0]);
		memcpy(xs->abuf + xs->alen, t[0], n + 1);
		xs->alen += n + 1;
		xs->alen += attr_copy(xs->abuf + xs->alen, t[3], t[4]) + 1;
	}
	xs->abuf[xs->alen] = '\0';
}

/* Start recording a descendant of features at level 2 or 3. */
static void
kid_start(struct xs *xs, unsigned level, const xmlChar *local,
    const xmlChar *uri, uint64_t tag_end)
{
	struct xs_child	*c;
	struct xs_kid	*k;
	unsigned	 n;

	if (xs->nkids == XS_KIDS_MAX) {
		xs__limit_err(xs, "feature-children", XS_KIDS_MAX + 1,
		    XS_KIDS_MAX);
		return;
	}
	if (xs->nkids == xs->kcap) {
		n = xs->kcap != 0 ? 2 * xs->kcap : 16;
		if ((c = reallocarray(xs->kids, n, sizeof(*c))) == NULL) {
			xs__seterr(xs, XS_E_NOMEM, NULL, "out of memory");
			return;
		}
		xs->kids = c;
		if ((k = reallocarray(xs->kidx, n, sizeof(*k))) == NULL) {
			xs__seterr(xs, XS_E_NOMEM, NULL, "out of memory");
			return;
		}
		xs->kidx = k;
		xs->kcap = n;
	}
	if (level == 3 && xs->kopen[0] >= 0)
		xs->kidx[xs->kopen[0]].leaf = 0;
	c = &xs->kids[xs->nkids];
	k = &xs->kidx[xs->nkids];
	c->start = xs->klast[level - 2];
	c->end = c->start;
	c->depth = level;
	c->name = (const char *)local;
	c->ns = uri != NULL ? (const char *)uri : "";
	c->text = "";
	k->len = 0;
	k->text[0] = '\0';
	k->leaf = 1;
	xs->kopen[level - 2] = (int)xs->nkids++;
	if (level == 2)
		xs->klast[1] = tag_end;
}

static void
on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr, int ndef,
    const xmlChar **attrs)
{
	struct xs	*xs = ctx;
	uint64_t	 end;
	size_t		 i;
	int		 empty;

	(void)ndef;
	if (halted(xs))
		return;
	if (xs->synth) {
		xs->depth = 1;
		return;
	}
	if ((unsigned)nattr > xs->lim.attrs) {
		xs__limit_err(xs, "attributes", (uint64_t)nattr, xs->lim.attrs);
		return;
	}
	if ((unsigned)nns > xs->lim.nsdecls) {
		xs__limit_err(xs, "namespace-declarations", (uint64_t)nns,
		    xs->lim.nsdecls);
		return;
	}
	for (i = 0; i < (size_t)nattr; i++) {
		size_t n = (size_t)(attrs[5 * i + 4] - attrs[5 * i + 3]);

		/* Decoding only ever shortens a value. */
		if (n > xs->lim.attr_bytes)
			n = attr_len(attrs[5 * i + 3], attrs[5 * i + 4]);
		if (n > xs->lim.attr_bytes) {
			xs__limit_err(xs, "attribute-bytes", n,
			    xs->lim.attr_bytes);
			return;
		}
	}
	if (xs->depth > xs->lim.depth) {
		/* The lexer counts first; this is the safety net. */
		xs__limit_err(xs, "depth", xs->depth, xs->lim.depth);
		return;
	}
	if (xs->depth == 0) {
		on_header(xs, local, prefix, uri, nns, ns, nattr, attrs, 0);
		return;
	}
	if (xs->depth == 1) {
		if (uri != NULL &&
		    strcmp((const char *)uri, XS_NS_STREAMS) == 0 &&
		    strcmp((const char *)local, "stream") == 0) {
			on_header(xs, local, prefix, uri, nns, ns, nattr,
			    attrs, 1);
			return;
		}
		end = stag_end(xs, &empty);
		xs->empty = empty;
		save_attrs(xs, nattr, attrs);
		xs->capture = uri != NULL &&
		    strcmp((const char *)uri, XS_NS_STREAMS) == 0 &&
		    strcmp((const char *)local, "features") == 0;
		if (xs->capture) {
			xs->nkids = 0;
			xs->kopen[0] = xs->kopen[1] = -1;
			xs->klast[0] = end;
		}
	} else if (xs->capture) {
		if (xs->depth <= 3) {
			end = stag_end(xs, &empty);
			kid_start(xs, xs->depth, local, uri, end);
		} else if (xs->kopen[1] >= 0)
			xs->kidx[xs->kopen[1]].leaf = 0;
	}
	xs->depth++;
}

static void
on_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct xs	*xs = ctx;
	struct xs_child	*c;
	uint64_t	 end;
	unsigned	 i;
	int		 k;

	(void)prefix;
	if (halted(xs) || xs->depth == 0)
		return;
	end = ppos(xs);
	xs->depth--;
	if (xs->depth == 1) {
		if (xs->capture)
			for (i = 0; i < xs->nkids; i++)
				xs->kids[i].text = xs->kidx[i].leaf ?
				    xs->kidx[i].text : "";
		emit(xs, XS_EV_ELEMENT, xs->boundary, end,
		    (const char *)local,
		    uri != NULL ? (const char *)uri : "");
		xs->capture = 0;
		xs->alen = 0;
	} else if (xs->depth == 0) {
		emit(xs, XS_EV_CLOSE, xs->boundary, end, "stream",
		    XS_NS_STREAMS);
		if (!xs->reset_req) {
			xs->closed_req = 1;
			if (xs->in_parse)
				xmlStopParser(xs->ctxt);
		}
	} else if (xs->capture && xs->depth <= 3) {
		k = xs->kopen[xs->depth - 2];
		if (k >= 0) {
			c = &xs->kids[k];
			c->end = end;
			xs->klast[xs->depth - 2] = end;
			xs->kopen[xs->depth - 2] = -1;
		}
	}
}

static void
on_text(void *ctx, const xmlChar *s, int len)
{
	struct xs	*xs = ctx;
	struct xs_kid	*k;
	size_t		 n;
	int		 i;

	if (halted(xs) || xs->depth < 2) {
		/*
		 * The lexer lets only whitespace through at the top level;
		 * libxml2 reports it when it sees the next '<'.
		 */
		if (!halted(xs) && xs->depth == 1)
			for (i = 0; i < len; i++)
				if (!isws(s[i])) {
					xs__seterr(xs, XS_E_FORMAT, NULL,
					    "text at the top level");
					return;
				}
		return;
	}
	/* The lexer enforces text-bytes, on text libxml2 may not see. */
	if (xs->capture && xs->depth >= 3 && xs->depth <= 4 &&
	    xs->kopen[xs->depth - 3] >= 0) {
		k = &xs->kidx[xs->kopen[xs->depth - 3]];
		n = min64((uint64_t)len, (uint64_t)(XS_KID_TEXT - 1 - k->len));
		memcpy(k->text + k->len, s, n);
		k->len += (uint8_t)n;
		k->text[k->len] = '\0';
	}
}

/*
 * Everything RFC 6120 section 11 forbids.  The lexer refuses comments,
 * PIs and DTDs before libxml2 sees them; these handlers are the second
 * line, and the only one for entity references.
 */
static void
restricted(void *ctx, const char *what)
{
	struct xs	*xs = ctx;

	if (!halted(xs))
		xs__seterr(xs, XS_E_RESTRICTED, NULL, "%s", what);
}

static xmlEntityPtr
on_get_entity(void *ctx, const xmlChar *name)
{
	struct xs	*xs = ctx;

	if (!halted(xs))
		xs__seterr(xs, XS_E_RESTRICTED, NULL, "entity reference &%.40s;",
		    (const char *)name);
	return NULL;
}

static void
on_reference(void *ctx, const xmlChar *name)
{
	(void)name;
	restricted(ctx, "entity reference");
}

static void
on_comment(void *ctx, const xmlChar *s)
{
	(void)s;
	restricted(ctx, "comment");
}

static void
on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	(void)data;
	restricted(ctx, "processing instruction");
}

static void
on_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	(void)name;
	(void)eid;
	(void)sid;
	restricted(ctx, "DTD");
}

static void
on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pid,
    const xmlChar *sid, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pid;
	(void)sid;
	(void)content;
	restricted(ctx, "entity declaration");
}

static void
on_element_decl(void *ctx, const xmlChar *name, int type,
    xmlElementContentPtr content)
{
	(void)name;
	(void)type;
	(void)content;
	restricted(ctx, "element declaration");
}

static void
on_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *name,
    int type, int def, const xmlChar *dflt, xmlEnumerationPtr tree)
{
	(void)elem;
	(void)name;
	(void)type;
	(void)def;
	(void)dflt;
	xmlFreeEnumeration(tree);	/* ours to free, says SAX2.c */
	restricted(ctx, "attribute declaration");
}

static void
on_notation_decl(void *ctx, const xmlChar *name, const xmlChar *pid,
    const xmlChar *sid)
{
	(void)name;
	(void)pid;
	(void)sid;
	restricted(ctx, "notation declaration");
}

static void
on_unparsed_decl(void *ctx, const xmlChar *name, const xmlChar *pid,
    const xmlChar *sid, const xmlChar *notation)
{
	(void)name;
	(void)pid;
	(void)sid;
	(void)notation;
	restricted(ctx, "unparsed entity declaration");
}

/*
 * libxml2 reports namespace errors (an undeclared prefix, say) as
 * recoverable; for us every error is the end of the stream.  The one
 * exception is XML_WAR_NS_URI, a namespace name that does not parse as a
 * URI: libxml2 raises it at error level, but URI syntax is no part of
 * namespace well-formedness, and libxml2 raises it as well when
 * xmlParseURI() merely ran out of memory.
 */
static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct xs	*xs = ctx;
	char		 msg[96];
	size_t		 n;

	if (e == NULL || e->level < XML_ERR_ERROR || halted(xs) ||
	    e->code == XML_WAR_NS_URI)
		return;
	(void)snprintf(msg, sizeof(msg), "%s", e->message != NULL ?
	    e->message : "error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	xs__seterr(xs, e->code == XML_ERR_NO_MEMORY ? XS_E_NOMEM : XS_E_NOTWF,
	    NULL, "libxml2: %s", msg);
}

static xmlSAXHandler xs_sax = {
	.internalSubset =	on_subset,
	.externalSubset =	on_subset,
	.getEntity =		on_get_entity,
	.getParameterEntity =	on_get_entity,
	.entityDecl =		on_entity_decl,
	.notationDecl =		on_notation_decl,
	.attributeDecl =	on_attribute_decl,
	.elementDecl =		on_element_decl,
	.unparsedEntityDecl =	on_unparsed_decl,
	.reference =		on_reference,
	.characters =		on_text,
	.ignorableWhitespace =	on_text,
	.cdataBlock =		on_text,
	.processingInstruction = on_pi,
	.comment =		on_comment,
	.initialized =		XML_SAX2_MAGIC,
	.startElementNs =	on_start,
	.endElementNs =		on_end,
	.serror =		on_error
};

/*
 * libxml2 reports what it cannot tie to a parser context (an allocation
 * failure while creating one) through its generic error handler, which
 * prints to stderr.  A leaf never logs, and every such failure already
 * comes back as an error code.
 */
static void
quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void
init_once(void)
{
	xmlInitParser();
	xmlThrDefSetGenericErrorFunc(NULL, quiet);
	xmlSetGenericErrorFunc(NULL, quiet);
}

static void
ctxt_free(struct xs *xs)
{
	assert(!xs->in_parse);
	if (xs->ctxt != NULL) {
		xmlFreeParserCtxt(xs->ctxt);
		xs->ctxt = NULL;
	}
	xs->nbp = xs->bphead = 0;
	xs->lfed = 0;
}

/*
 * Breakpoints libxml2 has parsed past can be applied now: every callback
 * to come is further on.  This keeps the list to what it has not parsed.
 */
static void
bp_fold(struct xs *xs)
{
	uint64_t	 p;

	if (xs->ctxt == NULL || halted(xs) || xs->bphead == xs->nbp)
		goto out;
	p = lindex(xs);
	while (xs->bphead < xs->nbp && xs->bp[xs->bphead].a <= p)
		xs->pdelta = xs->bp[xs->bphead++].b;
out:
	if (xs->bphead == xs->nbp)
		xs->nbp = xs->bphead = 0;
}

/*
 * The next n stream bytes are not given to libxml2: the bytes after them
 * take a larger delta from the next libxml2 index on.
 */
static int
skip_bytes(struct xs *xs, uint64_t n)
{
	struct xs_span	*b;
	unsigned	 cap;

	if (n == 0)
		return 0;
	xs->delta += n;
	if (xs->ctxt == NULL)
		return 0;
	if (xs->nbp > xs->bphead && xs->bp[xs->nbp - 1].a == xs->lfed) {
		xs->bp[xs->nbp - 1].b = xs->delta;
		return 0;
	}
	if (xs->nbp == xs->bpcap) {
		if (xs->bphead > 0) {
			memmove(xs->bp, xs->bp + xs->bphead,
			    (xs->nbp - xs->bphead) * sizeof(*xs->bp));
			xs->nbp -= xs->bphead;
			xs->bphead = 0;
		} else {
			cap = xs->bpcap != 0 ? 2 * xs->bpcap : 8;
			if ((b = reallocarray(xs->bp, cap, sizeof(*b))) ==
			    NULL) {
				xs__seterr(xs, XS_E_NOMEM, NULL,
				    "out of memory");
				return -1;
			}
			xs->bp = b;
			xs->bpcap = cap;
		}
	}
	xs->bp[xs->nbp].a = xs->lfed;
	xs->bp[xs->nbp].b = xs->delta;
	xs->nbp++;
	return 0;
}

/* Tests: whether text runs may be kept from libxml2 (the default). */
void
xs__set_elide(struct xs *xs, int on)
{
	xs->noelide = !on;
}

static void
chunk(struct xs *xs, const char *p, int n)
{
	int	 ret;

	xs->in_parse = 1;
	ret = xmlParseChunk(xs->ctxt, p, n, 0);
	xs->in_parse = 0;
	if (ret != 0 && !halted(xs))
		xs__seterr(xs, XS_E_NOTWF, NULL, "libxml2 error %d", ret);
	bp_fold(xs);
}

/*
 * Run libxml2 over n bytes.  Inside a CDATA section whose end has not
 * arrived, libxml2 checks and reports one block of 300 bytes per call and
 * then waits for the next; it is called again until it has caught up, so
 * that what it has checked does not depend on how the input was cut.
 */
static void
parse(struct xs *xs, const char *p, size_t n)
{
	const xmlChar	*cur;
	int		 k;

	while (n > 0 && !halted(xs)) {
		k = n > INT_MAX ? INT_MAX : (int)n;
		chunk(xs, p, k);
		p += k;
		n -= (size_t)k;
	}
	while (!halted(xs) &&
	    xs->ctxt->instate == XML_PARSER_CDATA_SECTION &&
	    xs->ctxt->input->end - xs->ctxt->input->cur >= CDATA_BLOCK) {
		cur = xs->ctxt->input->cur;
		chunk(xs, NULL, 0);
		if (!halted(xs) && xs->ctxt->input->cur == cur)
			break;
	}
}

/*
 * Small pieces of markup between elided text runs are gathered here and
 * given to libxml2 together: every xmlParseChunk() call has a cost of
 * its own.  A piece is never split, so a start tag always arrives whole.
 */
#define GATHER		4096
struct gather {
	size_t		 n;
	char		 buf[GATHER];
};

static void
gather_flush(struct xs *xs, struct gather *g)
{
	if (g->n > 0 && !halted(xs))
		parse(xs, g->buf, g->n);
	g->n = 0;
}

static void
gather(struct xs *xs, struct gather *g, const char *p, size_t n)
{
	if (g->n + n > sizeof(g->buf))
		gather_flush(xs, g);
	if (halted(xs))
		return;
	if (n > sizeof(g->buf) / 4) {
		gather_flush(xs, g);
		parse(xs, p, n);
		return;
	}
	memcpy(g->buf + g->n, p, n);
	g->n += n;
}

/*
 * Give libxml2 buf's stream bytes [pfed, to), except the text runs the
 * lexer elided, all of which lie in that range.
 */
static void
feed_runs(struct xs *xs, const char *buf, uint64_t cbase, uint64_t to)
{
	struct gather	 g;
	struct xs_span	*r;
	unsigned	 k;

	g.n = 0;
	for (k = 0; k < xs->nskip && !halted(xs); k++) {
		r = &xs->skip[k];
		assert(r->a >= xs->pfed && r->b <= to && r->a < r->b);
		if (r->a > xs->pfed) {
			xs->lfed += r->a - xs->pfed;
			gather(xs, &g, buf + (xs->pfed - cbase),
			    (size_t)(r->a - xs->pfed));
		}
		if (skip_bytes(xs, r->b - r->a) == -1)
			break;
		xs->pfed = r->b;
	}
	xs->nskip = 0;
	if (!halted(xs) && to > xs->pfed) {
		xs->lfed += to - xs->pfed;
		gather(xs, &g, buf + (xs->pfed - cbase),
		    (size_t)(to - xs->pfed));
	}
	gather_flush(xs, &g);
	xs->pfed = to;
}

/*
 * Give libxml2 the stream bytes [from, to): first the held-back bytes,
 * if any, which are [pfed, start of this chunk), then buf.  Bytes in
 * [pfed, from) are skipped, and so are the text runs in xs->skip.  A
 * missing context is created first, and inside a stream it is fed the
 * synthetic root.
 */
static void
feed(struct xs *xs, const char *buf, uint64_t cbase, uint64_t from,
    uint64_t to)
{
	if (to <= from) {
		assert(xs->nskip == 0);
		return;
	}
	if (xs->holdlen > 0)
		assert(from == xs->pfed && to > cbase);
	if (xs->ctxt == NULL) {
		/*
		 * Whitespace between elements needs no parser.  Unless held,
		 * what came before this chunk was skipped already.
		 */
		if (xs->holdlen == 0) {
			if (from < cbase)
				from = cbase;
			if (xs->state == S_STREAM)
				while (from < to &&
				    isws((unsigned char)buf[from - cbase]))
					from++;
		}
		if (from == to)
			return;
		xs->ctxt = xmlCreatePushParserCtxt(&xs_sax, xs, NULL, 0, NULL);
		if (xs->ctxt == NULL) {
			xs__seterr(xs, XS_E_NOMEM, NULL, "out of memory");
			return;
		}
		/*
		 * Never NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE.  The
		 * encoding is known, so libxml2 need not wait for four
		 * bytes to guess it.
		 */
		(void)xmlCtxtUseOptions(xs->ctxt,
		    XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
		(void)xmlSwitchEncoding(xs->ctxt, XML_CHAR_ENCODING_UTF8);
		xs->delta = xs->pdelta = from;
		if (xs->state == S_STREAM) {
			assert(xs->root != NULL);
			xs->synth = 1;
			xs->lfed = xs->rootlen;
			parse(xs, xs->root, xs->rootlen);
			xs->synth = 0;
			if (xs->err == 0 && xs->depth != 1)
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "stream root could not be restored");
			if (halted(xs))
				return;
			xs->delta = xs->pdelta = from - xs->rootlen;
		}
		xs->pfed = from;
	} else if (from > xs->pfed) {
		if (skip_bytes(xs, from - xs->pfed) == -1)
			return;
		xs->pfed = from;
	}
	if (xs->holdlen > 0) {
		xs->lfed += xs->holdlen;
		parse(xs, xs->hold, xs->holdlen);
		xs->pfed += xs->holdlen;
		xs->holdlen = 0;
		if (halted(xs))
			return;
	}
	if (xs->nskip > 0)
		feed_runs(xs, buf, cbase, to);
	else if (to > xs->pfed) {
		xs->lfed += to - xs->pfed;
		parse(xs, buf + (xs->pfed - cbase), (size_t)(to - xs->pfed));
		xs->pfed = to;
	}
}

static int
held(const struct xs *xs)
{
	return xs->lst >= L_LT && xs->lst <= L_PI;
}

static int
hold_append(struct xs *xs, const char *p, size_t n)
{
	if (grow(&xs->hold, &xs->holdcap, xs->holdlen + n) == -1) {
		xs__seterr(xs, XS_E_NOMEM, NULL, "out of memory");
		return -1;
	}
	memcpy(xs->hold + xs->holdlen, p, n);
	xs->holdlen += n;
	return 0;
}

/*
 * Whenever the lexer finds itself between top-level elements and that
 * matters, libxml2 must agree that every element it was given has ended;
 * otherwise bytes it has not judged could end up in a span.
 */
static int
in_step(struct xs *xs)
{
	if (xs->ctxt == NULL || xs->depth == 1)
		return 1;
	xs__seterr(xs, XS_E_NOTWF, NULL, "parser lost an element end");
	return 0;
}

/*
 * A complete XML declaration ends at s.  It is allowed at the very start
 * of a stream (after a BOM) and between top-level elements, where it
 * begins a restart: the next element must then be a stream header.
 */
static void
on_decl(struct xs *xs, const char *buf, uint64_t cbase, uint64_t s)
{
	uint64_t	 from = xs->tag_start > cbase ? xs->tag_start : cbase;

	if (hold_append(xs, buf + (from - cbase), (size_t)(s - from)) == -1)
		return;
	if (xs__decl_check(xs, xs->hold, xs->holdlen) == -1)
		return;
	xs->holdlen = 0;
	if (xs->state == S_PROLOG && !xs->decl_done &&
	    xs->tag_start == xs->decl_at) {
		xs->decl_done = 1;
	} else if (xs->state == S_STREAM && xs->ldepth == 1) {
		if (!in_step(xs))
			return;
		ctxt_free(xs);
		xs->state = S_PROLOG;
		xs->restarting = 1;
		xs->decl_done = 1;
		xs->hdr_base = xs->tag_start;
		xs->ldepth = 0;
		xs->depth = 0;
		xs->top_start = XS_NONE;
	} else {
		xs__seterr(xs, XS_E_NOTWF, NULL,
		    "XML declaration not at the start of a stream");
		return;
	}
	xs->pfed = s;
}

static void
do_reset(struct xs *xs)
{
	ctxt_free(xs);
	free(xs->hdrbuf);
	xs->hdrbuf = NULL;
	xs->root = NULL;
	xs->rootlen = 0;
	memset(&xs->hdr, 0, sizeof(xs->hdr));
	xs->fed = xs->boundary = xs->pfed = xs->delta = 0;
	xs->hdr_base = xs->decl_at = 0;
	xs->tag_start = xs->top_start = xs->text_start = XS_NONE;
	xs->ldepth = xs->neq = 0;
	xs->lst = L_TEXT;
	xs->lsub = xs->nm = xs->nf = xs->u8 = xs->tbr = 0;
	xs->nskip = 0;
	xs->keep_text = xs->eliding = 0;
	xs->depth = 0;
	xs->state = S_PROLOG;
	xs->slash = xs->in_name = xs->is_stream = xs->pi_decl = 0;
	xs->decl_done = xs->restarting = 0;
	xs->reset_req = xs->restart_req = xs->closed_req = 0;
	xs->empty = xs->capture = 0;
	xs->holdlen = xs->alen = 0;
	xs->nkids = 0;
}

void
xs_limits_default(struct xs_limits *lim)
{
	*lim = xs_defaults;
}

struct xs *
xs_new(const struct xs_limits *lim, const char *content_ns, xs_event_fn *fn,
    void *arg)
{
	struct xs	*xs;
	size_t		 n;

	if (content_ns == NULL || fn == NULL)
		return NULL;
	if (pthread_once(&xs_once, init_once) != 0)
		return NULL;
	n = strlen(content_ns);
	if ((xs = calloc(1, sizeof(*xs) + n + 1)) == NULL)
		return NULL;
	memcpy(xs->content_ns, content_ns, n + 1);
	xs->fn = fn;
	xs->arg = arg;
	xs->lim = xs_defaults;
	if (lim != NULL) {
		if (lim->stanza_bytes != 0)
			xs->lim.stanza_bytes = lim->stanza_bytes;
		if (lim->header_bytes != 0)
			xs->lim.header_bytes = lim->header_bytes;
		if (lim->depth != 0)
			xs->lim.depth = lim->depth;
		if (lim->attrs != 0)
			xs->lim.attrs = lim->attrs;
		if (lim->nsdecls != 0)
			xs->lim.nsdecls = lim->nsdecls;
		if (lim->attr_bytes != 0)
			xs->lim.attr_bytes = lim->attr_bytes;
		if (lim->text_bytes != 0)
			xs->lim.text_bytes = lim->text_bytes;
	}
	if (xs->lim.depth > XS_DEPTH_MAX)
		xs->lim.depth = XS_DEPTH_MAX;
	do_reset(xs);
	return xs;
}

int
xs_feed(struct xs *xs, const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	const char	*llim;
	uint64_t	 cbase, cend, pos, s, fe;
	enum xs_stop	 why;
	int		 lerr;

	assert(!xs->in_cb && !xs->in_parse);
	if (xs->err != 0)
		return xs->err;
	if (len == 0)
		return XS_OK;
	cbase = xs->fed;
	cend = cbase + len;
	xs->fed = cend;

	/*
	 * The lexer checks UTF-8 as it goes, so a callback that resets the
	 * stream leaves the rest of buf unread: it is the caller's.
	 */
	for (pos = cbase; pos < cend;) {
		/*
		 * Inside a stream, text runs may be kept from libxml2; with
		 * no memory for the list they are not.
		 */
		if (xs->skip == NULL && xs->state == S_STREAM && !xs->noelide)
			xs->skip = reallocarray(NULL, XS_SKIPS,
			    sizeof(*xs->skip));
		why = xs__lex(xs, p, cbase, pos, cend, &s);

		/*
		 * Let libxml2 see what the lexer released before acting on
		 * a lexer error: the elements before it are good and, fed
		 * in other pieces, would have been reported already.
		 */
		lerr = xs->err;
		llim = xs->limname;
		xs->err = 0;
		if (xs->state == S_PROLOG) {
			if (why == X_ROOT)
				feed(xs, buf, cbase, xs->tag_start, s);
		} else if (xs->state == S_STREAM) {
			fe = held(xs) || why == X_PI ? xs->tag_start : s;
			feed(xs, buf, cbase, xs->pfed, fe);
		}
		xs->nskip = 0;
		if (xs->reset_req) {
			do_reset(xs);
			return XS_OK;
		}
		if (xs->err != 0)
			goto fail;
		if (lerr != 0) {
			xs->err = lerr;
			xs->limname = llim;
			goto fail;
		}
		pos = s;

		switch (why) {
		case X_SKIPS:
			break;
		case X_END:
			if (pos == cend)
				break;
			if (xs->state == S_PROLOG)
				xs__limit_err(xs, "header-bytes",
				    pos - xs->hdr_base + 1,
				    xs->lim.header_bytes);
			else
				xs__limit_err(xs, "stanza-bytes",
				    pos - xs->top_start + 1,
				    xs->lim.stanza_bytes);
			goto fail;
		case X_ERR:
			goto fail;
		case X_ROOT:
			if (xs->state == S_PROLOG) {
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "parser lost the stream header");
				goto fail;
			}
			if (xs->closed_req)
				goto closed;
			break;
		case X_STREAM:
			if (xs->closed_req)
				goto closed;
			if (xs->restart_req) {
				/* The new stream re-roots lazily. */
				xs->restart_req = 0;
				ctxt_free(xs);
				xs->pfed = pos;
				xs->ldepth = 1;
				xs->depth = 1;
				xs->top_start = XS_NONE;
			}
			break;
		case X_CLOSE:
			if (!xs->closed_req) {
				xs__seterr(xs, XS_E_NOTWF, NULL,
				    "parser lost the stream end");
				goto fail;
			}
closed:
			xs->closed_req = 0;
			ctxt_free(xs);
			xs->state = S_CLOSED;
			xs->ldepth = 0;
			xs->lst = L_TEXT;
			xs->top_start = XS_NONE;
			break;
		case X_PI:
			on_decl(xs, buf, cbase, pos);
			if (xs->err != 0)
				goto fail;
			break;
		}
	}

	if (held(xs)) {
		/* Keep the incomplete markup until its end arrives. */
		if (xs->holdlen == 0) {
			if (xs->ctxt != NULL && skip_bytes(xs,
			    xs->tag_start - xs->pfed) == -1)
				goto fail;
			xs->pfed = xs->tag_start;
		}
		s = xs->tag_start > cbase ? xs->tag_start : cbase;
		if (hold_append(xs, buf + (s - cbase), (size_t)(cend - s)) == -1)
			goto fail;
	} else if (xs->lst == L_TEXT && xs->ldepth <= 1 &&
	    xs->state != S_PROLOG && xs->boundary < cend) {
		/* Whitespace between elements: a keepalive, report it now. */
		if (xs->state == S_STREAM && !in_step(xs))
			goto fail;
		emit(xs, XS_EV_SPACE, xs->boundary, cend, NULL, NULL);
		if (xs->reset_req) {
			do_reset(xs);
			return XS_OK;
		}
	}
	return XS_OK;
fail:
	ctxt_free(xs);
	return xs->err;
}

void
xs_reset(struct xs *xs)
{
	if (xs->in_cb || xs->in_parse) {
		xs->reset_req = 1;
		return;
	}
	do_reset(xs);
}

void
xs_idle(struct xs *xs)
{
	if (xs->in_cb || xs->in_parse || xs->err != 0 ||
	    xs->state == S_PROLOG || xs->lst != L_TEXT || xs->ldepth > 1 ||
	    xs->holdlen != 0 || (xs->ctxt != NULL && xs->depth != 1))
		return;
	ctxt_free(xs);
	free(xs->hold);
	xs->hold = NULL;
	xs->holdcap = 0;
	free(xs->abuf);
	xs->abuf = NULL;
	xs->acap = xs->alen = 0;
	free(xs->kids);
	free(xs->kidx);
	xs->kids = NULL;
	xs->kidx = NULL;
	xs->kcap = xs->nkids = 0;
	free(xs->skip);
	free(xs->bp);
	xs->skip = NULL;
	xs->bp = NULL;
	xs->bpcap = 0;
}

const struct xs_header *
xs_header(const struct xs *xs)
{
	return xs->hdrbuf != NULL ? &xs->hdr : NULL;
}

const char *
xs_attr(const struct xs *xs, const char *name)
{
	const char	*p = xs->abuf, *e;
	size_t		 n;

	if (!xs->in_cb || p == NULL)
		return NULL;
	e = p + xs->alen;
	while (p < e) {
		n = strlen(p);
		if (strcmp(p, name) == 0)
			return p + n + 1;
		p += n + 1;
		p += strlen(p) + 1;
	}
	return NULL;
}

uint64_t
xs_offset(const struct xs *xs)
{
	return xs->fed;
}

int
xs_error(const struct xs *xs)
{
	return xs->err;
}

const char *
xs_detail(const struct xs *xs)
{
	if (xs->err == 0)
		return "";
	return xs->detail != NULL ? xs->detail : xs_strerror(xs->err);
}

const char *
xs_limit_name(const struct xs *xs)
{
	return xs->err == XS_E_LIMIT ? xs->limname : NULL;
}

const char *
xs_strerror(int err)
{
	switch (err) {
	case XS_OK:
		return "ok";
	case XS_E_NOTWF:
		return "not-well-formed";
	case XS_E_RESTRICTED:
		return "restricted-xml";
	case XS_E_ENCODING:
		return "unsupported-encoding";
	case XS_E_NAMESPACE:
		return "invalid-namespace";
	case XS_E_LIMIT:
		return "limit-exceeded";
	case XS_E_FORMAT:
		return "bad-format";
	case XS_E_NOMEM:
		return "out-of-memory";
	case XS_E_CLOSED:
		return "data-after-close";
	}
	return "unknown-error";
}

const char *
xs_condition(int err)
{
	switch (err) {
	case XS_E_NOTWF:
	case XS_E_CLOSED:
		return "not-well-formed";
	case XS_E_RESTRICTED:
		return "restricted-xml";
	case XS_E_ENCODING:
		return "unsupported-encoding";
	case XS_E_NAMESPACE:
		return "invalid-namespace";
	case XS_E_LIMIT:
		return "policy-violation";
	case XS_E_FORMAT:
		return "bad-format";
	case XS_E_NOMEM:
		return "resource-constraint";
	}
	return NULL;
}

void
xs_free(struct xs *xs)
{
	if (xs == NULL)
		return;
	assert(!xs->in_cb && !xs->in_parse);
	ctxt_free(xs);
	free(xs->hdrbuf);
	free(xs->hold);
	free(xs->abuf);
	free(xs->kids);
	free(xs->kidx);
	free(xs->skip);
	free(xs->bp);
	free(xs->detail);
	free(xs);
}
