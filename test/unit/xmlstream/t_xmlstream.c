/*
 * t_xmlstream.c: unit tests for xmlstream/xmlstream.c.
 *
 * Every case is fed whole, then split in two at every offset, then byte
 * by byte, then at random points, with and without xs_idle() between the
 * pieces.  The events must be the same in every chunking, and the spans
 * must tile the input: each starts where the previous one ended, none
 * reaches past what was fed, and together they are the input's bytes.
 *
 * Every case also runs fed whole with text elision off, where libxml2
 * sees every text run: the result must be the same, which shows that the
 * lexer checks everything in text that libxml2 would.
 *
 * One thing legitimately depends on chunking: whitespace that ends a
 * chunk is reported as XS_EV_SPACE at once (a keepalive must not wait
 * for the next stanza), while the same whitespace fed together with the
 * next element belongs to that element's span.  Comparisons therefore
 * merge each run of SPACE events into the span of the event after it.
 *
 * The allocator is wrapped (ours through the macros below, libxml2's
 * through xmlMemSetup) to bound memory and to inject failures, and calls
 * to xmlParseChunk() are counted.
 */
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

/* Counting, failing allocator; see the top comment. */
struct tm_hdr {
	size_t		 size;
	size_t		 pad;
};
static size_t	tm_cur, tm_peak;
static long	tm_fail_after = -1;	/* fail the nth allocation from now */
static int	tm_fail_once;		/* then succeed again */

static int
tm_should_fail(void)
{
	if (tm_fail_after < 0)
		return 0;
	if (tm_fail_after == 0) {
		if (tm_fail_once)
			tm_fail_after = -1;
		return 1;
	}
	tm_fail_after--;
	return 0;
}

static void *
tm_malloc(size_t n)
{
	struct tm_hdr	*h;

	if (tm_should_fail() || (h = malloc(sizeof(*h) + n)) == NULL)
		return NULL;
	h->size = n;
	tm_cur += n;
	if (tm_cur > tm_peak)
		tm_peak = tm_cur;
	return h + 1;
}

static void
tm_free(void *p)
{
	struct tm_hdr	*h;

	if (p == NULL)
		return;
	h = (struct tm_hdr *)p - 1;
	tm_cur -= h->size;
	free(h);
}

static void *
tm_realloc(void *p, size_t n)
{
	struct tm_hdr	*h, *o;
	size_t		 old;

	if (p == NULL)
		return tm_malloc(n);
	if (tm_should_fail())
		return NULL;
	o = (struct tm_hdr *)p - 1;
	old = o->size;
	if ((h = realloc(o, sizeof(*h) + n)) == NULL)
		return NULL;
	h->size = n;
	tm_cur = tm_cur - old + n;
	if (tm_cur > tm_peak)
		tm_peak = tm_cur;
	return h + 1;
}

static void *
tm_calloc(size_t a, size_t b)
{
	void	*p;

	if (b != 0 && a > SIZE_MAX / b)
		return NULL;
	if ((p = tm_malloc(a * b)) != NULL)
		memset(p, 0, a * b);
	return p;
}

static void *
tm_reallocarray(void *p, size_t a, size_t b)
{
	if (b != 0 && a > SIZE_MAX / b)
		return NULL;
	return tm_realloc(p, a * b);
}

static char *
tm_strdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = tm_malloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}

#define malloc(n)		tm_malloc(n)
#define calloc(a, b)		tm_calloc(a, b)
#define realloc(p, n)		tm_realloc(p, n)
#define reallocarray(p, a, b)	tm_reallocarray(p, a, b)
#define free(p)			tm_free(p)
/* Count what libxml2 is asked to do. */
static long	pc_calls;
static size_t	pc_bytes;
#define xmlParseChunk(c, p, n, t) \
	(pc_calls++, pc_bytes += (size_t)(n), xmlParseChunk(c, p, n, t))
#include "../../../xmlstream/lex.c"
#include "../../../xmlstream/xmlstream.c"
#undef xmlParseChunk
#undef malloc
#undef calloc
#undef realloc
#undef reallocarray
#undef free

#define NS_C	XS_NS_CLIENT

/* One recorded event. */
struct rev {
	int		 type;
	uint64_t	 start, end;
	char		 name[32];
	char		 ns[64];
	int		 restart, empty;
	char		 extra[512];	/* header fields, attrs, children */
};

struct rec {
	struct rev	*ev;
	size_t		 n, cap;
	int		 err;
	const char	*limname;
	char		 detail[XS_DETAIL_MAX];
	struct xs	*xs;
	const char	*in;
	size_t		 len;
	uint64_t	 last_end;
	int		 bad_tiling;
	/* Call xs_reset() from the event for this element name. */
	const char	*reset_at;
	int		 did_reset;
	uint64_t	 reset_off;	/* ev.end of that element */
	int		 calls;
};

static void
rec_cb(void *arg, const struct xs_event *ev)
{
	struct rec	*r = arg;
	struct rev	*e;
	const struct xs_header *h;
	const char	*v;
	size_t		 o;
	unsigned	 i;
	static const char *const look[] = { "to", "from", "type", "id",
	    "title", "path", "q", "dq", "plain", NULL };

	r->calls++;
	if (ev->start != r->last_end || ev->end < ev->start ||
	    ev->end > xs_offset(r->xs))
		r->bad_tiling = 1;
	r->last_end = ev->end;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
		ck_assert_ptr_nonnull(r->ev);
	}
	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	e->type = ev->type;
	e->start = ev->start;
	e->end = ev->end;
	if (ev->name != NULL)
		snprintf(e->name, sizeof(e->name), "%s", ev->name);
	if (ev->ns != NULL)
		snprintf(e->ns, sizeof(e->ns), "%s", ev->ns);
	e->restart = ev->restart;
	e->empty = ev->empty;
	o = 0;
	if (ev->type == XS_EV_HEADER) {
		h = xs_header(r->xs);
		ck_assert_ptr_nonnull(h);
		o += (size_t)snprintf(e->extra + o, sizeof(e->extra) - o,
		    "to=%s from=%s id=%s lang=%s version=%s %d.%d ns=%s "
		    "prefix=%s db=%d", h->to ? h->to : "-",
		    h->from ? h->from : "-", h->id ? h->id : "-",
		    h->lang ? h->lang : "-", h->version ? h->version : "-",
		    h->major, h->minor, h->content_ns, h->stream_prefix,
		    h->has_dialback);
	}
	if (ev->type == XS_EV_ELEMENT) {
		for (i = 0; look[i] != NULL; i++)
			if ((v = xs_attr(r->xs, look[i])) != NULL &&
			    o < sizeof(e->extra))
				o += (size_t)snprintf(e->extra + o,
				    sizeof(e->extra) - o, "%s=%s ", look[i], v);
		for (i = 0; i < ev->nchildren && o < sizeof(e->extra); i++)
			o += (size_t)snprintf(e->extra + o,
			    sizeof(e->extra) - o, "[%u %s {%s} %llu-%llu '%s']",
			    ev->children[i].depth, ev->children[i].name,
			    ev->children[i].ns,
			    (unsigned long long)ev->children[i].start,
			    (unsigned long long)ev->children[i].end,
			    ev->children[i].text);
	}
	if (r->reset_at != NULL && ev->type == XS_EV_ELEMENT &&
	    strcmp(ev->name, r->reset_at) == 0 && !r->did_reset) {
		r->did_reset = 1;
		r->reset_off = ev->end;
		xs_reset(r->xs);
	}
}

static void
nop_cb(void *arg, const struct xs_event *ev)
{
	(void)arg;
	(void)ev;
}

/* Whether run() turns text elision off. */
static int	no_elide;

/*
 * Feed in pieces ending at cuts[0..ncuts) (sorted, < len), then the rest.
 * With idle set, xs_idle() runs after every piece.  Stops at an error or
 * after a reset requested by reset_at (the rest is then not fed).
 */
static void
run(struct rec *r, const struct xs_limits *lim, const char *ns,
    const char *in, size_t len, const size_t *cuts, size_t ncuts, int idle)
{
	size_t	 prev = 0, i, end;
	int	 rc;

	r->xs = xs_new(lim, ns, rec_cb, r);
	ck_assert_ptr_nonnull(r->xs);
	if (no_elide)
		xs__set_elide(r->xs, 0);
	r->in = in;
	r->len = len;
	for (i = 0; i <= ncuts; i++) {
		end = cuts != NULL && i < ncuts ? cuts[i] : len;
		if (end <= prev && i < ncuts)
			continue;
		rc = xs_feed(r->xs, in + prev, end - prev);
		prev = end;
		if (rc != 0) {
			r->err = rc;
			ck_assert_int_eq(rc, xs_error(r->xs));
			r->limname = xs_limit_name(r->xs);
			snprintf(r->detail, sizeof(r->detail), "%s",
			    xs_detail(r->xs));
			/* Nothing more after an error. */
			ck_assert_int_eq(xs_feed(r->xs, "<x/>", 4), rc);
			break;
		}
		if (r->did_reset)
			break;
		if (idle)
			xs_idle(r->xs);
	}
	xs_free(r->xs);
	r->xs = NULL;
}

static void
rec_free(struct rec *r)
{
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

/* Merge runs of SPACE into the next event and drop a trailing run. */
static size_t
normalize(struct rec *r)
{
	size_t		 i, o = 0;
	uint64_t	 sp = XS_NONE;

	for (i = 0; i < r->n; i++) {
		if (r->ev[i].type == XS_EV_SPACE) {
			if (sp == XS_NONE)
				sp = r->ev[i].start;
			continue;
		}
		r->ev[o] = r->ev[i];
		if (sp != XS_NONE)
			r->ev[o].start = sp;
		sp = XS_NONE;
		o++;
	}
	/*
	 * Whitespace at the end is reported when it ends a piece, but is
	 * held by whatever comes next when more is fed, or lost to an error.
	 */
	r->n = o;
	return o;
}

static void
dump(const char *what, const struct rec *r)
{
	size_t	 i;

	fprintf(stderr, "--- %s: err=%d (%s)\n", what, r->err, r->detail);
	for (i = 0; i < r->n; i++)
		fprintf(stderr, "  %d [%llu,%llu) %s {%s} r=%d e=%d %s\n",
		    r->ev[i].type, (unsigned long long)r->ev[i].start,
		    (unsigned long long)r->ev[i].end, r->ev[i].name,
		    r->ev[i].ns, r->ev[i].restart, r->ev[i].empty,
		    r->ev[i].extra);
}

static int
same(const struct rec *a, const struct rec *b)
{
	size_t	 i;

	if (a->err != b->err || a->n != b->n)
		return 0;
	if ((a->limname == NULL) != (b->limname == NULL) ||
	    (a->limname != NULL && strcmp(a->limname, b->limname) != 0))
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->ev[i].type != b->ev[i].type ||
		    a->ev[i].start != b->ev[i].start ||
		    a->ev[i].end != b->ev[i].end ||
		    a->ev[i].restart != b->ev[i].restart ||
		    a->ev[i].empty != b->ev[i].empty ||
		    strcmp(a->ev[i].name, b->ev[i].name) != 0 ||
		    strcmp(a->ev[i].ns, b->ev[i].ns) != 0 ||
		    strcmp(a->ev[i].extra, b->ev[i].extra) != 0)
			return 0;
	return 1;
}

/* The spans, concatenated, are exactly the first bytes of the input. */
static void
check_tiling(const struct rec *r, const char *what)
{
	size_t	 i;
	char	*cat;
	size_t	 o = 0;

	if (r->bad_tiling)
		dump(what, r);
	ck_assert_msg(!r->bad_tiling, "%s: spans do not tile", what);
	cat = malloc(r->len + 1);
	ck_assert_ptr_nonnull(cat);
	for (i = 0; i < r->n; i++) {
		ck_assert(r->ev[i].end <= r->len);
		memcpy(cat + o, r->in + r->ev[i].start,
		    (size_t)(r->ev[i].end - r->ev[i].start));
		o += (size_t)(r->ev[i].end - r->ev[i].start);
	}
	ck_assert(memcmp(cat, r->in, o) == 0);
	free(cat);
}

static unsigned long rng_state = 12345;

static unsigned long
rng(void)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return rng_state >> 33;
}

/*
 * Run a case in every chunking and check the invariants; returns the
 * reference run (fed whole), which the caller frees.
 */
static struct rec
all_ways(const struct xs_limits *lim, const char *ns, const char *in,
    size_t len, int full)
{
	struct rec	 ref, r;
	size_t		*cuts, i, k, n;
	char		 what[64];
	int		 idle, mode;

	memset(&ref, 0, sizeof(ref));
	run(&ref, lim, ns, in, len, NULL, 0, 0);
	check_tiling(&ref, "whole");
	/* Fed whole and error free, every byte is in some span. */
	if (ref.err == 0 && ref.n > 0 &&
	    ref.ev[ref.n - 1].type != XS_EV_HEADER)
		ck_assert_uint_le(ref.last_end, len);
	normalize(&ref);

	/* libxml2 given every text run agrees with the lexer's checks. */
	memset(&r, 0, sizeof(r));
	no_elide = 1;
	run(&r, lim, ns, in, len, NULL, 0, 0);
	no_elide = 0;
	check_tiling(&r, "no elision");
	normalize(&r);
	if (!same(&ref, &r)) {
		dump("whole", &ref);
		dump("no elision", &r);
		ck_abort_msg("no elision differs from whole");
	}
	rec_free(&r);

	cuts = calloc(len + 1, sizeof(*cuts));
	ck_assert_ptr_nonnull(cuts);
	for (mode = 0; mode < 4; mode++) {
		for (idle = 0; idle < 2; idle++) {
			size_t reps = mode == 0 ? (full ? len : 0) :
			    mode == 1 ? 1 : mode == 2 ? 20 : 1;

			for (k = 0; k < reps; k++) {
				n = 0;
				if (mode == 0) {
					if (k == 0)
						continue;
					cuts[n++] = k;
				} else if (mode == 1) {
					if (!full && len > 20000)
						break;
					for (i = 1; i < len; i++)
						cuts[n++] = i;
				} else if (mode == 2) {
					for (i = 1; i < len;
					    i += 1 + rng() % (len > 65536 ?
					    8192 : 13))
						cuts[n++] = i;
				} else {
					for (i = 4096; i < len; i += 4096)
						cuts[n++] = i;
				}
				memset(&r, 0, sizeof(r));
				run(&r, lim, ns, in, len, cuts, n, idle);
				snprintf(what, sizeof(what),
				    "mode %d idle %d k %zu", mode, idle, k);
				check_tiling(&r, what);
				normalize(&r);
				if (!same(&ref, &r)) {
					dump("whole", &ref);
					dump(what, &r);
					ck_abort_msg("%s differs from whole", what);
				}
				rec_free(&r);
			}
		}
	}
	free(cuts);
	return ref;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert(fread(p, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static const char *
corpus_dir(void)
{
	const char	*d = getenv("XS_CORPUS");

	return d != NULL ? d : "test/unit/xmlstream/corpus";
}

static int
expect_code(const char *s)
{
	if (strcmp(s, "ok") == 0)
		return XS_OK;
	if (strcmp(s, "notwf") == 0)
		return XS_E_NOTWF;
	if (strcmp(s, "restricted") == 0)
		return XS_E_RESTRICTED;
	if (strcmp(s, "encoding") == 0)
		return XS_E_ENCODING;
	if (strcmp(s, "namespace") == 0)
		return XS_E_NAMESPACE;
	if (strcmp(s, "limit") == 0)
		return XS_E_LIMIT;
	if (strcmp(s, "format") == 0)
		return XS_E_FORMAT;
	if (strcmp(s, "closed") == 0)
		return XS_E_CLOSED;
	ck_abort_msg("bad MANIFEST entry %s", s);
	return 1;
}

/*
 * Each MANIFEST line names a stream, the result expected, the content
 * namespace and, for an error, the offset where the offending markup
 * starts: no event may report a byte at or after it.
 */
START_TEST(t_corpus)
{
	char		 path[512], line[512], file[256], exp[64], ns[64];
	char		 off[32];
	size_t		 i;
	FILE		*m;
	char		*in;
	size_t		 len;
	struct rec	 ref;
	int		 ncases = 0;

	snprintf(path, sizeof(path), "%s/MANIFEST", corpus_dir());
	m = fopen(path, "r");
	ck_assert_msg(m != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), m) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(sscanf(line, "%255s %63s %63s %31s", file,
		    exp, ns, off), 4);
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), file);
		in = slurp(path, &len);
		ref = all_ways(NULL, ns, in, len, 1);
		if (ref.err != expect_code(exp))
			dump(file, &ref);
		ck_assert_msg(ref.err == expect_code(exp),
		    "%s: got %d (%s), want %s", file, ref.err, ref.detail,
		    exp);
		if (ref.err == 0) {
			/* Every byte was reported. */
			ck_assert_msg(ref.last_end == len,
			    "%s: reported %llu of %zu bytes", file,
			    (unsigned long long)ref.last_end, len);
		} else {
			for (i = 0; i < ref.n; i++)
				ck_assert_msg(ref.ev[i].end <=
				    strtoull(off, NULL, 10), "%s: event "
				    "%zu ends at %llu", file, i,
				    (unsigned long long)ref.ev[i].end);
		}
		rec_free(&ref);
		free(in);
		ncases++;
	}
	fclose(m);
	ck_assert_int_ge(ncases, 40);
}
END_TEST

static const char HDR[] =
    "<stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
    "version='1.0'>";

/* Exact offsets, worked out by hand. */
START_TEST(t_offsets)
{
	static const char in[] =
	    "<?xml version='1.0'?>\n"			/*   0.. 22 */
	    "<s:stream xmlns:s='http://etherx.jabber.org/streams' "
	    "xmlns='jabber:client'>"			/*  22.. 97 */
	    " <a x='>'/>"				/*  97..108 */
	    "<b>t</b>\n"				/* 108..116, 116..117 */
	    "</s:stream>";				/* 117..128 */
	struct rec	 r;

	r = all_ways(NULL, NS_C, in, sizeof(in) - 1, 1);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_int_eq(r.ev[0].type, XS_EV_HEADER);
	ck_assert_uint_eq(r.ev[0].start, 0);
	ck_assert_uint_eq(r.ev[0].end, 97);
	ck_assert_str_eq(r.ev[0].extra, "to=- from=- id=- lang=- version=- "
	    "0.9 ns=jabber:client prefix=s db=0");
	ck_assert_int_eq(r.ev[1].type, XS_EV_ELEMENT);
	ck_assert_uint_eq(r.ev[1].start, 97);
	ck_assert_uint_eq(r.ev[1].end, 108);
	ck_assert_str_eq(r.ev[1].name, "a");
	ck_assert_str_eq(r.ev[1].ns, "jabber:client");
	ck_assert_int_eq(r.ev[1].empty, 1);
	ck_assert_uint_eq(r.ev[2].start, 108);
	ck_assert_uint_eq(r.ev[2].end, 116);
	ck_assert_int_eq(r.ev[2].empty, 0);
	/* The trailing newline merges into the close after normalize(). */
	ck_assert_int_eq(r.ev[3].type, XS_EV_CLOSE);
	ck_assert_uint_eq(r.ev[3].start, 116);
	ck_assert_uint_eq(r.ev[3].end, 128);
	rec_free(&r);

	/* Fed whole, that newline stays with the close. */
	memset(&r, 0, sizeof(r));
	run(&r, NULL, NS_C, in, sizeof(in) - 1, NULL, 0, 0);
	ck_assert_uint_eq(r.n, 4);
	rec_free(&r);
}
END_TEST

/* A keepalive is reported by the feed that brings it. */
START_TEST(t_keepalive)
{
	struct xs	*xs;
	struct rec	 r;

	memset(&r, 0, sizeof(r));
	xs = r.xs = xs_new(NULL, NS_C, rec_cb, &r);
	ck_assert_int_eq(xs_feed(xs, HDR, strlen(HDR)), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(xs_feed(xs, " ", 1), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.ev[1].type, XS_EV_SPACE);
	ck_assert_uint_eq(r.ev[1].start, strlen(HDR));
	ck_assert_uint_eq(r.ev[1].end, strlen(HDR) + 1);
	ck_assert_int_eq(xs_feed(xs, "\n\t<presence/>\r\n", 15), 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_int_eq(r.ev[2].type, XS_EV_ELEMENT);
	ck_assert_uint_eq(r.ev[2].start, strlen(HDR) + 1);
	ck_assert_int_eq(r.ev[3].type, XS_EV_SPACE);
	ck_assert_uint_eq(r.ev[3].end, strlen(HDR) + 16);
	ck_assert_uint_eq(xs_offset(xs), strlen(HDR) + 16);
	ck_assert(!r.bad_tiling);
	xs_free(xs);
	rec_free(&r);
}
END_TEST

START_TEST(t_header_fields)
{
	static const char in[] =
	    "<stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:db='jabber:server:dialback' to='example.net' "
	    "from='a&amp;b.example' id='x&lt;y' xml:lang='de-CH' "
	    "version='1.10'>";
	struct rec	 r;

	r = all_ways(NULL, XS_NS_SERVER, in, sizeof(in) - 1, 1);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.ev[0].extra, "to=example.net from=a&b.example "
	    "id=x<y lang=de-CH version=1.10 1.10 ns=jabber:server "
	    "prefix=stream db=1");
	ck_assert_int_eq(r.ev[0].restart, 0);
	rec_free(&r);
}
END_TEST

/* Header after SASL: at depth 1, pipelined, with and without a decl. */
START_TEST(t_restart)
{
	static const char in[] =
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:x='urn:x' to='example.com' version='1.0'>"
	    "<x:a/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:y='urn:y' to='example.com' version='1.0' id='two'>"
	    "<y:b/><iq type='set'/>\n"
	    "<?xml version='1.0' encoding='utf-8'?>\n"
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' id='three'>"
	    "<stream:features/></stream:stream>";
	struct rec	 r;
	const char	*p;

	r = all_ways(NULL, NS_C, in, sizeof(in) - 1, 1);
	ck_assert_msg(r.err == 0, "%s", r.detail);
	ck_assert_uint_eq(r.n, 9);
	ck_assert_int_eq(r.ev[0].type, XS_EV_HEADER);
	ck_assert_int_eq(r.ev[0].restart, 0);
	ck_assert_int_eq(r.ev[3].type, XS_EV_HEADER);
	ck_assert_int_eq(r.ev[3].restart, 1);
	ck_assert(strstr(r.ev[3].extra, "id=two") != NULL);
	p = strstr(in, "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:y");
	ck_assert_uint_eq(r.ev[3].start, (uint64_t)(strstr(in, "<auth") -
	    in) + strlen("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"));
	ck_assert_uint_eq(r.ev[3].end, (uint64_t)(p - in) + (uint64_t)(
	    strchr(p, '>') - p) + 1);
	ck_assert_str_eq(r.ev[4].name, "b");
	ck_assert_str_eq(r.ev[4].ns, "urn:y");
	ck_assert_str_eq(r.ev[5].name, "iq");
	/* The declaration and the whitespace around it open the header. */
	ck_assert_int_eq(r.ev[6].type, XS_EV_HEADER);
	ck_assert_int_eq(r.ev[6].restart, 1);
	ck_assert(strstr(r.ev[6].extra, "id=three") != NULL);
	ck_assert_uint_eq(r.ev[6].start, r.ev[5].end);
	ck_assert_str_eq(r.ev[7].name, "features");
	ck_assert_int_eq(r.ev[8].type, XS_EV_CLOSE);
	ck_assert_uint_eq(r.ev[8].end, sizeof(in) - 1);
	rec_free(&r);
}
END_TEST

/* The old root's prefix is gone after a restart. */
START_TEST(t_restart_scope)
{
	static const char in[] =
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:x='urn:x'><x:a/>"
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams'><x:a/>";
	struct rec	 r;

	r = all_ways(NULL, NS_C, in, sizeof(in) - 1, 1);
	ck_assert_int_eq(r.err, XS_E_NOTWF);
	ck_assert_uint_eq(r.n, 3);
	rec_free(&r);
}
END_TEST

/*
 * STARTTLS: the callback resets after <starttls/>; whatever follows in
 * the same chunk, even bytes that would be errors, is not looked at.
 */
START_TEST(t_reset_in_callback)
{
	static const char *const garbage[] = {
		"<iq type='set'><query xmlns='jabber:iq:auth'/></iq>",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\xff\xfe",
		"\x00\x00\x00", "<!-- injected -->", "</stream:stream>x",
		"<?xml version='1.0' encoding='latin1'?>", "text", "",
	};
	static const char post[] =
	    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	    "<presence/>";
	char		 in[1024];
	struct rec	 r;
	size_t		 g, len, cut, glen;
	size_t		 cuts[1];

	for (g = 0; g < sizeof(garbage) / sizeof(garbage[0]); g++) {
		glen = g == 1 ? 14 : g == 2 ? 3 : strlen(garbage[g]);
		len = (size_t)snprintf(in, sizeof(in), "%s<starttls "
		    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", HDR);
		memcpy(in + len, garbage[g], glen);
		cut = len;
		len += glen;
		for (cuts[0] = 1; cuts[0] <= cut; cuts[0]++) {
			memset(&r, 0, sizeof(r));
			r.reset_at = "starttls";
			run(&r, NULL, NS_C, in, len, cuts, 1, 0);
			ck_assert_int_eq(r.err, 0);
			ck_assert_int_eq(r.did_reset, 1);
			ck_assert_uint_eq(r.reset_off, cut);
			/* Header, starttls, and nothing for the garbage. */
			ck_assert_uint_eq(r.n, 2);
			rec_free(&r);
		}
	}

	/* After the reset, a new stream starts at offset 0. */
	memset(&r, 0, sizeof(r));
	r.xs = xs_new(NULL, NS_C, rec_cb, &r);
	r.reset_at = "starttls";
	len = (size_t)snprintf(in, sizeof(in), "%s<starttls "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><bogus", HDR);
	ck_assert_int_eq(xs_feed(r.xs, in, len), 0);
	ck_assert_int_eq(r.did_reset, 1);
	ck_assert_uint_eq(xs_offset(r.xs), 0);
	ck_assert_ptr_null(xs_header(r.xs));
	r.last_end = 0;
	ck_assert_int_eq(xs_feed(r.xs, post, sizeof(post) - 1), 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_int_eq(r.ev[2].type, XS_EV_HEADER);
	ck_assert_uint_eq(r.ev[2].start, 0);
	ck_assert_int_eq(r.ev[2].restart, 0);
	ck_assert_uint_eq(r.ev[3].end, sizeof(post) - 1);
	ck_assert(!r.bad_tiling);
	xs_free(r.xs);
	rec_free(&r);
}
END_TEST

/* xs_reset() outside a callback, and twice in a row. */
START_TEST(t_reset_outside)
{
	struct rec	 r;

	memset(&r, 0, sizeof(r));
	r.xs = xs_new(NULL, NS_C, rec_cb, &r);
	ck_assert_int_eq(xs_feed(r.xs, HDR, 20), 0);
	xs_reset(r.xs);
	xs_reset(r.xs);
	ck_assert_int_eq(xs_feed(r.xs, HDR, strlen(HDR)), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.ev[0].start, 0);
	xs_free(r.xs);
	rec_free(&r);
}
END_TEST

/* xs_idle() frees the parser; a root prefix still works afterwards. */
START_TEST(t_idle)
{
	static const char h[] =
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:ext='urn:e&amp;x' xmlns:q=\"a'b\">";
	struct rec	 r;
	size_t		 before, i;

	memset(&r, 0, sizeof(r));
	r.xs = xs_new(NULL, NS_C, rec_cb, &r);
	ck_assert_int_eq(xs_feed(r.xs, h, sizeof(h) - 1), 0);
	ck_assert_ptr_nonnull(r.xs->ctxt);
	before = tm_cur;
	xs_idle(r.xs);
	ck_assert_ptr_null(r.xs->ctxt);
	ck_assert_uint_lt(tm_cur + 4096, before);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(xs_feed(r.xs, "<ext:a/>", 8), 0);
		xs_idle(r.xs);
		ck_assert_int_eq(xs_feed(r.xs, "<q:b q:c='1'>x", 14), 0);
		/* Mid-element: no-op. */
		xs_idle(r.xs);
		ck_assert_ptr_nonnull(r.xs->ctxt);
		ck_assert_int_eq(xs_feed(r.xs, "</q:b> ", 7), 0);
		xs_idle(r.xs);
		ck_assert_int_eq(xs_feed(r.xs, " ", 1), 0);
		/* Whitespace alone does not bring the parser back. */
		ck_assert_ptr_null(r.xs->ctxt);
	}
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.n, 1 + 3 * 4);
	/* libxml2's form of a namespace name, see xmlstream.h. */
	ck_assert_str_eq(r.ev[1].ns, "urn:e&#38;x");
	ck_assert_str_eq(r.ev[2].ns, "a'b");
	ck_assert_int_eq(xs_feed(r.xs, "<undeclared:x/>", 15), XS_E_NOTWF);
	xs_free(r.xs);
	rec_free(&r);
}
END_TEST

START_TEST(t_attrs)
{
	static const char in[] =
	    "<stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:db='jabber:server:dialback'>"
	    "<db:result from='example.com' to='example.net' "
	    "type='valid' db:x='no' id='a&amp;b&#38;c&lt;&#x3C;'/>"
	    "<message title='x'/>";
	struct rec	 r;

	r = all_ways(NULL, XS_NS_SERVER, in, sizeof(in) - 1, 1);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.ev[1].name, "result");
	ck_assert_str_eq(r.ev[1].ns, XS_NS_DIALBACK);
	ck_assert_str_eq(r.ev[1].extra,
	    "to=example.net from=example.com type=valid id=a&b&c<< ");
	ck_assert_str_eq(r.ev[2].extra, "title=x ");
	rec_free(&r);
}
END_TEST

struct splice {
	const char	*in;
	char		 out[2048];
	size_t		 o;
	char		 kids[1024];
	size_t		 ko;
};

/* What the proxy does with features: cut whole children out by span. */
static void
splice_cb(void *arg, const struct xs_event *ev)
{
	struct splice	*sp = arg;
	const struct xs_child *k;
	uint64_t	 at;
	unsigned	 i;
	int		 drop;

	if (ev->type != XS_EV_ELEMENT || ev->nchildren == 0)
		return;
	at = ev->start;
	for (i = 0; i < ev->nchildren; i++) {
		k = &ev->children[i];
		sp->ko += (size_t)snprintf(sp->kids + sp->ko,
		    sizeof(sp->kids) - sp->ko, "%u:%s:%s ", k->depth, k->name,
		    k->text);
		drop = (k->depth == 2 && (strcmp(k->name, "starttls") == 0 ||
		    strcmp(k->name, "compression") == 0)) ||
		    (k->depth == 3 && strcmp(k->name, "mechanism") == 0 &&
		    strcmp(k->text, "SCRAM-SHA-1-PLUS") == 0);
		/* A child of a dropped element starts before at. */
		if (!drop || k->start < at)
			continue;
		memcpy(sp->out + sp->o, sp->in + at, (size_t)(k->start - at));
		sp->o += (size_t)(k->start - at);
		at = k->end;
	}
	memcpy(sp->out + sp->o, sp->in + at, (size_t)(ev->end - at));
	sp->o += (size_t)(ev->end - at);
	sp->out[sp->o] = '\0';
}

START_TEST(t_features)
{
	static const char in[] =
	    "<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	    "<stream:features>\n"
	    " <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
	    "</starttls>\n"
	    " <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
	    "<mechanism>SCRAM-SHA-1-PLUS</mechanism>"
	    "<mechanism>SCRAM-SHA-1</mechanism></mechanisms>\n"
	    " <compression xmlns='http://jabber.org/features/compress'>"
	    "<method>zlib</method></compression>\n"
	    " <c xmlns='http://jabber.org/protocol/caps'><d><e>deep</e></d>"
	    "</c>\n"
	    "</stream:features>";
	static const char want[] =
	    "<stream:features>\n"
	    " <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
	    "<mechanism>SCRAM-SHA-1</mechanism></mechanisms>\n"
	    " <c xmlns='http://jabber.org/protocol/caps'><d><e>deep</e></d>"
	    "</c>\n"
	    "</stream:features>";
	struct splice	 sp;
	struct xs	*xs;
	struct rec	 all;
	size_t		 cut;
	char		 first[128];

	all = all_ways(NULL, NS_C, in, sizeof(in) - 1, 1);
	ck_assert_int_eq(all.err, 0);
	ck_assert_uint_eq(all.n, 2);
	/* The first child starts right after the features start tag. */
	snprintf(first, sizeof(first), "[2 starttls "
	    "{urn:ietf:params:xml:ns:xmpp-tls} %zu-%zu ''][3 required ",
	    (size_t)(strstr(in, "<stream:features>") - in) + 17,
	    (size_t)(strstr(in, "</starttls>") - in) + 11);
	ck_assert_msg(strncmp(all.ev[1].extra, first, strlen(first)) == 0,
	    "%s", all.ev[1].extra);
	rec_free(&all);

	for (cut = 0; cut < sizeof(in) - 1; cut++) {
		memset(&sp, 0, sizeof(sp));
		sp.in = in;
		xs = xs_new(NULL, NS_C, splice_cb, &sp);
		ck_assert_int_eq(xs_feed(xs, in, cut), 0);
		ck_assert_int_eq(xs_feed(xs, in + cut, sizeof(in) - 1 - cut),
		    0);
		xs_free(xs);
		ck_assert_str_eq(sp.out, want);
		ck_assert_str_eq(sp.kids, "2:starttls: 3:required: "
		    "2:mechanisms: 3:mechanism:SCRAM-SHA-1-PLUS "
		    "3:mechanism:SCRAM-SHA-1 2:compression: 3:method:zlib "
		    "2:c: 3:d: ");
	}
}
END_TEST

/* A features element may not carry more than 128 descendants. */
START_TEST(t_features_cap)
{
	char		*in;
	size_t		 len, i;
	struct rec	 r;

	in = malloc(65536);
	ck_assert_ptr_nonnull(in);
	len = (size_t)sprintf(in, "%s<stream:features>", HDR);
	for (i = 0; i < 64; i++)
		len += (size_t)sprintf(in + len, "<a><b/></a>");
	len += (size_t)sprintf(in + len, "</stream:features>");
	r = all_ways(NULL, NS_C, in, len, 0);
	ck_assert_int_eq(r.err, 0);
	rec_free(&r);
	len -= strlen("</stream:features>");
	len += (size_t)sprintf(in + len, "<z/></stream:features>");
	r = all_ways(NULL, NS_C, in, len, 0);
	ck_assert_int_eq(r.err, XS_E_LIMIT);
	ck_assert_str_eq(r.limname, "feature-children");
	ck_assert_uint_eq(r.n, 1);
	rec_free(&r);
	free(in);
}
END_TEST

/*
 * Build HDR + <presence/> + body, where body is the offending element;
 * check the error and that no event reaches into body.
 */
static void
hostile_at(const struct xs_limits *lim, const char *body, size_t blen,
    size_t boff, int want, const char *limname, int full)
{
	char		*in;
	size_t		 len, bad;
	struct rec	 r;
	size_t		 i;

	in = malloc(strlen(HDR) + 16 + blen);
	ck_assert_ptr_nonnull(in);
	len = (size_t)sprintf(in, "%s<presence/>", HDR);
	bad = len + boff;
	memcpy(in + len, body, blen);
	len += blen;
	tm_peak = tm_cur;
	r = all_ways(lim, NS_C, in, len, full);
	if (r.err != want)
		dump("hostile", &r);
	ck_assert_msg(r.err == want, "got %d (%s) want %d", r.err, r.detail,
	    want);
	if (limname != NULL)
		ck_assert_str_eq(r.limname, limname);
	for (i = 0; want != XS_OK && i < r.n; i++)
		ck_assert_uint_le(r.ev[i].end, bad);
	rec_free(&r);
	free(in);
}

static void
hostile(const struct xs_limits *lim, const char *body, size_t blen,
    int want, const char *limname, int full)
{
	hostile_at(lim, body, blen, 0, want, limname, full);
}

static char *
repeat(const char *pre, const char *unit, size_t n, const char *post,
    size_t *len)
{
	size_t	 a = strlen(pre), u = strlen(unit), b = strlen(post), i;
	char	*p;

	p = malloc(a + u * n + b + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, pre, a);
	for (i = 0; i < n; i++)
		memcpy(p + a + i * u, unit, u);
	memcpy(p + a + u * n, post, b + 1);
	*len = a + u * n + b;
	return p;
}

START_TEST(t_hostile_big)
{
	size_t		 len, peak;
	char		*b;

	/* 100k-deep nesting stops at the depth limit. */
	b = repeat("", "<a>", 100000, "", &len);
	hostile(NULL, b, len, XS_E_LIMIT, "depth", 0);
	free(b);

	/* A 10 MB attribute is refused before it is buffered. */
	b = repeat("<message to='", "A", 10 << 20, "'/>", &len);
	tm_peak = 0;
	hostile(NULL, b, len, XS_E_LIMIT, "stanza-bytes", 0);
	peak = tm_peak;
	ck_assert_msg(peak < (2u << 20), "peak %zu", peak);
	free(b);

	/* 10 MB of text likewise. */
	b = repeat("<message><body>", "lol ", 10 << 18, "</body></message>",
	    &len);
	hostile(NULL, b, len, XS_E_LIMIT, "stanza-bytes", 0);
	free(b);

	/* A start tag with 10k attributes never reaches libxml2. */
	b = repeat("<message ", "a='' ", 10000, "/>", &len);
	hostile(NULL, b, len, XS_E_LIMIT, "attributes", 0);
	free(b);

	/* Whitespace only is fine however long, and costs nothing. */
	b = repeat("", " ", 1 << 20, "<presence/>", &len);
	hostile(NULL, b, len, XS_OK, NULL, 0);
	free(b);
}
END_TEST

START_TEST(t_limits)
{
	struct xs_limits lim;
	char		 body[4096];
	size_t		 len;
	char		*b;

	/* Each limit, exactly at it and one over. */
	memset(&lim, 0, sizeof(lim));
	lim.stanza_bytes = 20;
	hostile(&lim, "<message>1234</message>", 23, XS_E_LIMIT,
	    "stanza-bytes", 1);
	hostile(&lim, "<message>1</message>", 20, XS_OK, NULL, 1);
	/* Leading whitespace does not count. */
	hostile(&lim, "     <message>1</message>", 25, XS_OK, NULL, 1);

	memset(&lim, 0, sizeof(lim));
	lim.depth = 3;
	hostile(&lim, "<a><b><c/></b></a>", 18, XS_OK, NULL, 1);
	hostile(&lim, "<a><b><c><d/></c></b></a>", 25, XS_E_LIMIT, "depth",
	    1);

	memset(&lim, 0, sizeof(lim));
	lim.attrs = 2;
	hostile(&lim, "<a x='1' y='2'/>", 16, XS_OK, NULL, 1);
	hostile(&lim, "<a x='1' y='2' z='3'/>", 22, XS_E_LIMIT, "attributes",
	    1);

	memset(&lim, 0, sizeof(lim));
	lim.nsdecls = 2;	/* the stream header has two */
	hostile(&lim, "<a xmlns='u' xmlns:p='v'/>", 26, XS_OK, NULL, 1);
	hostile(&lim, "<a xmlns='u' xmlns:p='v' xmlns:q='w'/>", 38, XS_E_LIMIT,
	    "namespace-declarations", 1);

	memset(&lim, 0, sizeof(lim));
	lim.attr_bytes = 11;	/* to='example.com' in the header */
	hostile(&lim, "<a x='&amp;&lt;123456789'/>", 27, XS_OK, NULL, 1);
	hostile(&lim, "<a x='123456789012'/>", 21, XS_E_LIMIT,
	    "attribute-bytes", 1);

	memset(&lim, 0, sizeof(lim));
	lim.text_bytes = 5;
	hostile(&lim, "<a>12<b/>345<![CDATA[678]]></a>", 31, XS_E_LIMIT,
	    "text-bytes", 1);
	hostile(&lim, "<a>12<b>345</b><c/>67890</a>", 28, XS_OK, NULL, 1);

	/* Header bytes include the declaration; a restart counts too. */
	memset(&lim, 0, sizeof(lim));
	len = (size_t)snprintf(body, sizeof(body),
	    "<?xml version='1.0'?>%s", HDR);
	lim.header_bytes = len - 1;
	{
		struct rec r = all_ways(&lim, NS_C, body, len, 1);

		ck_assert_int_eq(r.err, XS_E_LIMIT);
		ck_assert_str_eq(r.limname, "header-bytes");
		ck_assert_uint_eq(r.n, 0);
		rec_free(&r);
	}
	lim.header_bytes = (size_t)len;
	{
		struct rec r = all_ways(&lim, NS_C, body, len, 1);

		ck_assert_int_eq(r.err, 0);
		rec_free(&r);
	}
	/* A restart header is held to the same limit. */
	lim.header_bytes = strlen(HDR);
	hostile(&lim, HDR, strlen(HDR), XS_OK, NULL, 1);
	len = (size_t)snprintf(body, sizeof(body), "%.*s id='x'>",
	    (int)strlen(HDR) - 1, HDR);
	hostile(&lim, body, len, XS_E_LIMIT, "header-bytes", 1);

	/* Defaults. */
	xs_limits_default(&lim);
	ck_assert_uint_eq(lim.stanza_bytes, 262144);
	ck_assert_uint_eq(lim.header_bytes, 4096);
	ck_assert_uint_eq(lim.depth, 32);
	ck_assert_uint_eq(lim.attrs, 64);
	ck_assert_uint_eq(lim.nsdecls, 32);
	ck_assert_uint_eq(lim.attr_bytes, 65536);
	ck_assert_uint_eq(lim.text_bytes, 262144);

	/* A stanza of exactly the default limit passes, one more fails. */
	b = repeat("<message><body>", "x", 262144 - 32, "</body></message>",
	    &len);
	ck_assert_uint_eq(len, 262144);
	hostile(NULL, b, len, XS_OK, NULL, 0);
	free(b);
	b = repeat("<message><body>", "x", 262144 - 31, "</body></message>",
	    &len);
	hostile(NULL, b, len, XS_E_LIMIT, "stanza-bytes", 0);
	free(b);
}
END_TEST

START_TEST(t_errors_misc)
{
	struct rec	 r;
	char		*b;
	size_t		 len;
	static const char dup_ns[] =
	    "<stream:stream xmlns='jabber:client' xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams'>";

	hostile(NULL, "<a></b>", 7, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a b='1' b='2'/>", 16, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a><b>]]></b></a>", 17, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&#0;</a>", 11, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&#xFFFE;</a>", 15, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a xmlns:p=''/>", 15, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a p:x='1'/>", 12, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<1a/>", 5, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a <b/>", 7, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<![INCLUDE[x]]>", 15, XS_E_FORMAT, NULL, 1);
	hostile(NULL, "<a><![INCLUDE[x]]></a>", 22, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a><!ENTITY x 'y'></a>", 22, XS_E_RESTRICTED, NULL, 1);
	hostile(NULL, "<a><?xml version='1.0'?></a>", 28, XS_E_RESTRICTED,
	    NULL, 1);
	hostile(NULL, "<?xml?>", 7, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<?xml-stylesheet href='x'?>", 27, XS_E_RESTRICTED,
	    NULL, 1);
	hostile(NULL, "<?xml version='1.0'?><presence/>", 32, XS_E_NAMESPACE,
	    NULL, 1);
	hostile(NULL, "<?xml version='1.0'?><?xml version='1.0'?>", 42,
	    XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<?xml version='1.0' encoding='x y'?>", 36, XS_E_NOTWF,
	    NULL, 1);
	hostile(NULL, "<?xml encoding='UTF-8'?>", 24, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<?xml version='1.0' standalone='maybe'?>", 40,
	    XS_E_NOTWF, NULL, 1);
	hostile(NULL, "\xef\xbb\xbf<a/>", 7, XS_E_FORMAT, NULL, 1);
	hostile_at(NULL, "</stream:stream>x", 17, 16, XS_E_CLOSED, NULL, 1);
	hostile_at(NULL, "</stream:stream> <!-- -->", 25, 17, XS_E_CLOSED,
	    NULL, 1);
	hostile(NULL, "</stream>", 9, XS_E_NOTWF, NULL, 1);
	/* libxml2 would wait for the quote to close; the lexer refuses. */
	hostile(NULL, "<a></a'><?xml version='1.0'?>", 30, XS_E_NOTWF,
	    NULL, 1);
	hostile(NULL, "<a></a '> <b/>", 14, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a></a\n\t>", 9, XS_OK, NULL, 1);
	hostile(NULL, "<a x='<!D' y='1'/>", 18, XS_E_NOTWF, NULL, 1);
	/* References are checked before libxml2 waits for their ';'. */
	hostile(NULL, "<a>&#x41;&#65;&amp;&lt;&gt;&quot;&apos;</a>", 43,
	    XS_OK, NULL, 1);
	hostile(NULL, "<a>&k='v'></a><b/>", 18, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&;</a>", 9, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&#;</a>", 10, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&#xg;</a>", 12, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&#1a;</a>", 12, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&a b;</a>", 12, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>&abcdefghijklmnopqrstuvwxyzabcdefgh;</a>", 43,
	    XS_E_RESTRICTED, NULL, 1);
	hostile(NULL, "<a>&abcdefgh;</a>", 17, XS_E_RESTRICTED, NULL, 1);
	hostile(NULL, "\xff", 1, XS_E_ENCODING, NULL, 1);
	/* Bytes before the one that breaks UTF-8 are judged first. */
	hostile(NULL, "\xc3(", 2, XS_E_FORMAT, NULL, 1);
	hostile(NULL, "\xc0\xaf", 2, XS_E_ENCODING, NULL, 1);
	hostile(NULL, "<a>\xc3(</a>", 9, XS_E_ENCODING, NULL, 1);
	hostile(NULL, "<a x='\xe2\x82'/>", 11, XS_E_ENCODING, NULL, 1);
	hostile(NULL, "<a\xf0\x9f/>", 6, XS_E_ENCODING, NULL, 1);
	hostile(NULL, "\x00", 1, XS_E_NOTWF, NULL, 1);
	hostile(NULL, "<a>\xe2\x82\x00</a>", 10, XS_E_ENCODING, NULL, 1);

	/* libxml2 would check an open CDATA section 300 bytes per call. */
	b = repeat("<a><![CDATA[", "x", 1000, " ]]", &len);
	b[500] = '\x14';
	hostile(NULL, b, len, XS_E_NOTWF, NULL, 0);
	free(b);

	r = all_ways(NULL, NS_C, dup_ns, sizeof(dup_ns) - 1, 1);
	ck_assert_int_eq(r.err, XS_E_NOTWF);
	rec_free(&r);
	r = all_ways(NULL, NS_C, "  \n<stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams'/>", 89, 1);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.n, 2);
	rec_free(&r);
	r = all_ways(NULL, NS_C, "x", 1, 1);
	ck_assert_int_eq(r.err, XS_E_NOTWF);
	rec_free(&r);
	r = all_ways(NULL, NS_C, "\xef\xbb\xbfx", 4, 1);
	ck_assert_int_eq(r.err, XS_E_NOTWF);
	rec_free(&r);
	r = all_ways(NULL, NS_C, "\xef\xbc\x80", 3, 1);
	ck_assert_int_eq(r.err, XS_E_NOTWF);
	rec_free(&r);
	r = all_ways(NULL, NS_C, "<\x00", 2, 1);
	ck_assert_int_eq(r.err, XS_E_ENCODING);
	rec_free(&r);
	/* Not a BOM: judged on the second byte, before the third breaks. */
	r = all_ways(NULL, NS_C, "\xef\xbf\x02<", 4, 1);
	ck_assert_int_eq(r.err, XS_E_NOTWF);
	rec_free(&r);
}
END_TEST

/* libxml2's one-time globals, so they do not count as ours. */
static void
warm_up(void)
{
	struct xs	*xs;

	xs = xs_new(NULL, NS_C, nop_cb, NULL);
	ck_assert_ptr_nonnull(xs);
	ck_assert_int_eq(xs_feed(xs, HDR, strlen(HDR)), 0);
	xs_free(xs);
}

/* Allocation failures anywhere give XS_E_NOMEM or NULL, never a crash. */
START_TEST(t_nomem)
{
	char		 path[512];
	char		*in;
	size_t		 len;
	long		 n;
	size_t		 base;
	int		 rc, hit = 0;
	struct rec	 r;

	snprintf(path, sizeof(path), "%s/ok-server-features.xml",
	    corpus_dir());
	in = slurp(path, &len);
	warm_up();
	/* libxml2 keeps a copy of the last error message globally. */
	xmlResetLastError();
	base = tm_cur;
	for (n = 0; n < 800; n++) {
		memset(&r, 0, sizeof(r));
		tm_fail_once = n >= 400;
		tm_fail_after = n % 400;
		r.xs = xs_new(NULL, NS_C, rec_cb, &r);
		if (r.xs == NULL) {
			tm_fail_after = -1;
			continue;
		}
		rc = xs_feed(r.xs, in, len / 2);
		if (rc == 0) {
			xs_idle(r.xs);
			rc = xs_feed(r.xs, in + len / 2, len - len / 2);
		}
		tm_fail_after = -1;
		ck_assert_msg(rc == 0 || rc == XS_E_NOMEM, "n=%ld rc=%d %s",
		    n, rc, xs_detail(r.xs));
		hit += rc == XS_E_NOMEM;
		ck_assert(!r.bad_tiling);
		xs_free(r.xs);
		rec_free(&r);
	}
	ck_assert_int_gt(hit, 10);
	xmlResetLastError();
	ck_assert_uint_eq(tm_cur, base);
	free(in);
}
END_TEST

START_TEST(t_api)
{
	struct xs	*xs;
	int		 e;

	ck_assert_ptr_null(xs_new(NULL, NULL, nop_cb, NULL));
	xs = xs_new(NULL, NS_C, nop_cb, NULL);
	ck_assert_ptr_null(xs_header(xs));
	ck_assert_str_eq(xs_detail(xs), "");
	ck_assert_ptr_null(xs_limit_name(xs));
	ck_assert_int_eq(xs_error(xs), 0);
	ck_assert_ptr_null(xs_attr(xs, "to"));
	ck_assert_int_eq(xs_feed(xs, "", 0), 0);
	xs_idle(xs);
	xs_free(xs);
	xs_free(NULL);
	for (e = XS_E_CLOSED; e <= 0; e++)
		ck_assert_ptr_nonnull(xs_strerror(e));
	ck_assert_str_eq(xs_condition(XS_E_NOTWF), "not-well-formed");
	ck_assert_str_eq(xs_condition(XS_E_RESTRICTED), "restricted-xml");
	ck_assert_str_eq(xs_condition(XS_E_ENCODING), "unsupported-encoding");
	ck_assert_str_eq(xs_condition(XS_E_NAMESPACE), "invalid-namespace");
	ck_assert_str_eq(xs_condition(XS_E_LIMIT), "policy-violation");
	ck_assert_str_eq(xs_condition(XS_E_FORMAT), "bad-format");
	ck_assert_str_eq(xs_condition(XS_E_NOMEM), "resource-constraint");
	ck_assert_str_eq(xs_condition(XS_E_CLOSED), "not-well-formed");
	ck_assert_ptr_null(xs_condition(XS_OK));
	ck_assert_str_eq(xs_strerror(XS_E_LIMIT), "limit-exceeded");
}
END_TEST

/* An idle parser is small; see also test/bench. */
START_TEST(t_idle_memory)
{
	struct xs	*xs[16];
	size_t		 base, busy, idle;
	int		 i;

	warm_up();
	base = tm_cur;
	for (i = 0; i < 16; i++) {
		xs[i] = xs_new(NULL, NS_C, nop_cb, NULL);
		ck_assert_int_eq(xs_feed(xs[i], HDR, strlen(HDR)), 0);
	}
	busy = (tm_cur - base) / 16;
	for (i = 0; i < 16; i++)
		xs_idle(xs[i]);
	idle = (tm_cur - base) / 16;
	ck_assert_msg(idle < 1024, "idle parser holds %zu bytes", idle);
	ck_assert_msg(busy > 4 * idle, "busy %zu idle %zu", busy, idle);
	for (i = 0; i < 16; i++)
		xs_free(xs[i]);
	ck_assert_uint_eq(tm_cur, base);
}
END_TEST

/*
 * A start tag reaches libxml2 only once complete: fed a byte at a time,
 * a 64 KB attribute full of '>' costs libxml2 one call, not 64 K calls
 * that each rescan the tag (quadratic in libxml2 2.9.14).
 */
START_TEST(t_hold)
{
	struct rec	 r;
	char		*b;
	size_t		 len, i;
	long		 calls;

	b = repeat("<message a='", ">", 65536, "'/>", &len);
	memset(&r, 0, sizeof(r));
	r.xs = xs_new(NULL, NS_C, rec_cb, &r);
	ck_assert_int_eq(xs_feed(r.xs, HDR, strlen(HDR)), 0);
	calls = pc_calls;
	for (i = 0; i < len; i++)
		ck_assert_int_eq(xs_feed(r.xs, b + i, 1), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_le(pc_calls - calls, 2);
	/*
	 * Text inside an element never reaches libxml2 at all: the lexer
	 * has checked it.  Given to libxml2, it flows through as it comes.
	 */
	calls = pc_calls;
	ck_assert_int_eq(xs_feed(r.xs, "<a>", 3), 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(xs_feed(r.xs, "x", 1), 0);
	ck_assert_int_eq(pc_calls - calls, 1);
	ck_assert_int_eq(xs_feed(r.xs, "</a>", 4), 0);
	ck_assert_uint_eq(r.n, 3);
	xs__set_elide(r.xs, 0);
	calls = pc_calls;
	ck_assert_int_eq(xs_feed(r.xs, "<a>", 3), 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(xs_feed(r.xs, "x", 1), 0);
	ck_assert_int_ge(pc_calls - calls, 1000);
	xs_free(r.xs);
	rec_free(&r);
	free(b);
}
END_TEST

/*
 * Text inside elements is checked by the lexer and never given to
 * libxml2, so every check libxml2 makes on text must be made there: each
 * case runs in every chunking and once with libxml2 given the text.
 */
START_TEST(t_text)
{
	static const struct {
		const char	*body;
		int		 want;
	} t[] = {
		{ "<a>plain text, tabs\t, CR\r\nLF</a>", XS_OK },
		{ "<a>a ] b ]] c ]>]]&gt; ]]]&gt;</a>", XS_OK },
		{ "<a>]]></a>", XS_E_NOTWF },
		{ "<a>x]]]>y</a>", XS_E_NOTWF },
		{ "<a>]]<b/>></a>", XS_OK },
		{ "<a>]]&amp;></a>", XS_OK },
		{ "<a><![CDATA[]]]]><![CDATA[>]]></a>", XS_OK },
		{ "<a>]]<![CDATA[]]>></a>", XS_OK },
		{ "<a>\x01</a>", XS_E_NOTWF },
		{ "<a>ok\x1f</a>", XS_E_NOTWF },
		{ "<a>\x7f\xc2\x80\xc2\x9f</a>", XS_OK },
		{ "<a>\xef\xbf\xbd\xef\xbf\xbc</a>", XS_OK },
		{ "<a>\xef\xbf\xbe</a>", XS_E_NOTWF },
		{ "<a>x\xef\xbf\xbfy</a>", XS_E_NOTWF },
		{ "<a b='\xef\xbf\xbe'/>", XS_E_NOTWF },
		{ "<a><![CDATA[\xef\xbf\xbf]]></a>", XS_E_NOTWF },
		{ "<a>\xf4\x8f\xbf\xbf \xe0\xa0\x80</a>", XS_OK },
		{ "<a>&#xFFFE;</a>", XS_E_NOTWF },
		{ "<a>&#1;</a>", XS_E_NOTWF },
		{ "<a>&#65;&#x10FFFF;&lt;&gt;&amp;&apos;&quot;</a>", XS_OK },
		{ "<a>&foo;</a>", XS_E_RESTRICTED },
		{ "<a>  <b> x </b>\n\t<c/> y </a>", XS_OK },
		{ "<a>x<b>y</c></a>", XS_E_NOTWF },
		{ "<a>x<!-- c --></a>", XS_E_RESTRICTED },
		{ "<a>x<?pi?></a>", XS_E_RESTRICTED },
		{ "<a xmlns='urn:x'>text<p:b/></a>", XS_E_NOTWF },
	};
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		hostile(NULL, t[i].body, strlen(t[i].body), t[i].want, NULL,
		    1);
}
END_TEST

/* text-bytes: every byte from the end of one tag to the next '<'. */
START_TEST(t_text_limit)
{
	static const struct {
		const char	*body;
		int		 want;
	} t[] = {
		{ "<a>12345</a>", XS_OK },
		{ "<a>123456</a>", XS_E_LIMIT },
		{ "<a>&amp;</a>", XS_OK },
		{ "<a>&amp;6</a>", XS_E_LIMIT },
		{ "<a>&lt;&gt;</a>", XS_E_LIMIT },
		{ "<a>1<b>12345</b>12345</a>", XS_OK },
		{ "<a><![CDATA[]]></a>", XS_E_LIMIT },
		{ "<a>12<![CDATA[3]]></a>", XS_E_LIMIT },
		{ "<a>\xe2\x98\x95\xc3\xa9</a>", XS_OK },
		{ "<a>\xe2\x98\x95\xe2\x98\x95</a>", XS_E_LIMIT },
		{ "<a>1234\xe2\x98\x95</a>", XS_E_LIMIT },
		{ "<a>12345\xff</a>", XS_E_LIMIT },
		{ "<a>1234\xff</a>", XS_E_ENCODING },
		{ "<a>12345\x01</a>", XS_E_LIMIT },
		{ "<a>12345<!-- --></a>", XS_E_RESTRICTED },
		{ "<a>12345<![CDATA[x]]></a>", XS_E_LIMIT },
		{ "<a>1234&#x1F600;</a>", XS_E_LIMIT },
		/* Only text counts, not a tag after it, cut where it may be. */
		{ "<a>x<b c='\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9'/></a>", XS_OK },
		{ "<a>x<b\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9/>y</a>", XS_OK },
		{ "<a>x</b\xc3\xa9\xc3\xa9\xc3\xa9></a>", XS_E_NOTWF },
	};
	struct xs_limits lim;
	size_t		 i;

	memset(&lim, 0, sizeof(lim));
	lim.text_bytes = 5;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		hostile(&lim, t[i].body, strlen(t[i].body), t[i].want,
		    t[i].want == XS_E_LIMIT ? "text-bytes" : NULL, 1);
}
END_TEST

/*
 * More elided runs than the lexer lists at once, in one chunk and cut
 * anywhere: the offsets stay exact.
 */
START_TEST(t_text_runs)
{
	size_t		 len;
	char		*b;

	b = repeat("<message><body>", "x&amp;", 1000, "</body></message>",
	    &len);
	hostile(NULL, b, len, XS_OK, NULL, 0);
	free(b);
	b = repeat("<message>", "<b>text</b> <c x='1'>more text</c>\n", 500,
	    "</message>", &len);
	hostile(NULL, b, len, XS_OK, NULL, 0);
	free(b);
	b = repeat("<message>", "<b>t</b>", 300, "<b>x]]>y</b></message>",
	    &len);
	hostile(NULL, b, len, XS_E_NOTWF, NULL, 0);
	free(b);
	/* Features keep their text for the capture, among elided stanzas. */
	b = repeat("", "<message><body>hello</body></message>", 100,
	    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:"
	    "xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
	    "</stream:features><message><body>bye</body></message>", &len);
	hostile(NULL, b, len, XS_OK, NULL, 1);
	free(b);
}
END_TEST

/*
 * UTF-8 is checked wherever the lexer happens to be: a bad sequence is
 * unsupported-encoding, and NUL not-well-formed, in every context and
 * every chunking.  Where the context itself refuses the first byte (text
 * at the top level, a digit expected), a byte that may start a character
 * gets the context's verdict, as every byte before the one that breaks
 * UTF-8 is judged.
 */
START_TEST(t_utf8_everywhere)
{
	static const struct {
		const char	*ctx;
		int		 lead;	/* verdict on a good lead byte, or 0 */
	} c[] = {
		{ "<a>@</a>", 0 }, { "<a b='@'/>", 0 }, { "<a b=\"@\"/>", 0 },
		{ "<a@/>", 0 }, { "<a b@='1'/>", 0 }, { "<a></a@>", 0 },
		{ "<a><![CDATA[@]]></a>", 0 }, { "<a>&a@;</a>", 0 },
		{ "@", XS_E_FORMAT }, { "<a>x&#@;</a>", XS_E_NOTWF },
	};
	static const char *const bad[] = {
		"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xff", "\x80", "\xc3(", "\xf0\x9f\x98",
	};
	char		 body[64];
	size_t		 i, k, len;
	const char	*at;
	int		 lead;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		at = strchr(c[i].ctx, '@');
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			lead = (unsigned char)bad[k][0] >= 0xc2 &&
			    (unsigned char)bad[k][0] <= 0xf4;
			len = (size_t)snprintf(body, sizeof(body), "%.*s%s%s",
			    (int)(at - c[i].ctx), c[i].ctx, bad[k], at + 1);
			hostile(NULL, body, len, lead && c[i].lead != 0 ?
			    c[i].lead : XS_E_ENCODING, NULL, 1);
		}
		len = (size_t)snprintf(body, sizeof(body), "%.*s", (int)(at -
		    c[i].ctx), c[i].ctx);
		body[len++] = '\0';
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s",
		    at + 1);
		hostile(NULL, body, len, XS_E_NOTWF, NULL, 1);
	}
}
END_TEST

static Suite *
xs_suite(void)
{
	Suite	*s = suite_create("xmlstream");
	TCase	*tc;

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, t_offsets);
	tcase_add_test(tc, t_keepalive);
	tcase_add_test(tc, t_header_fields);
	tcase_add_test(tc, t_restart);
	tcase_add_test(tc, t_restart_scope);
	tcase_add_test(tc, t_reset_in_callback);
	tcase_add_test(tc, t_reset_outside);
	tcase_add_test(tc, t_idle);
	tcase_add_test(tc, t_attrs);
	tcase_add_test(tc, t_features);
	tcase_add_test(tc, t_features_cap);
	tcase_add_test(tc, t_api);
	tcase_add_test(tc, t_idle_memory);
	tcase_add_test(tc, t_hold);
	suite_add_tcase(s, tc);

	tc = tcase_create("corpus");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, t_corpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, t_errors_misc);
	tcase_add_test(tc, t_utf8_everywhere);
	tcase_add_test(tc, t_text);
	tcase_add_test(tc, t_text_limit);
	tcase_add_test(tc, t_text_runs);
	tcase_add_test(tc, t_limits);
	tcase_add_test(tc, t_hostile_big);
	tcase_add_test(tc, t_nomem);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	/* Before libxml2 allocates anything. */
	xmlMemSetup(tm_free, tm_malloc, tm_realloc, tm_strdup);
	sr = srunner_create(xs_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* libxml2's globals, so that valgrind sees no block left. */
	xmlCleanupParser();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
