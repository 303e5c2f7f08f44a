/*
 * bench_xs.c: throughput and memory of xmlstream against the bare
 * libxml2 push parser it is built on.
 *
 * A stream of typical c2s traffic (chat with receipts and chat states,
 * MUC, carbons, presence with caps, roster pushes, pings, stream
 * management acks, XHTML-IM, keepalives; a few MB) is parsed in fixed
 * chunks, once by xmlstream with a callback that only counts, once by
 * libxml2 with the same SAX handler set doing nothing but count, and the
 * two are timed in turn, in CPU time.  Each figure is the median of RUNS
 * runs of ITER passes.  Memory is the mallinfo2() delta over NPARSERS parsers, after
 * a header and one stanza, then after xs_idle().
 *
 * Prints a Markdown table; test/bench/run.sh appends it to results.md.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "xmlstream/xmlstream.h"

#define RUNS		9
#define ITER		8
#define NPARSERS	1000
#define CORPUS_BYTES	(4u << 20)

static const char hdr[] =
    "<?xml version='1.0'?><stream:stream from='example.com' "
    "to='juliet@example.com' id='c2s_123456789' version='1.0' "
    "xml:lang='en' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams'>";

static const char *const words[] = {
	"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
	"Wherefore", "art", "thou", "Romeo?", "caf\xc3\xa9", "na\xc3\xafve",
	"\xe2\x98\x95", "\xf0\x9f\x98\x80", "&lt;3", "&amp;", "tomorrow",
	"meeting", "at", "noon", "ok", "thanks!", "https://example.org/x?a=1",
	"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "'quoted'",
};

static uint32_t seed = 42;

static uint32_t
rnd(void)
{
	seed = seed * 1664525u + 1013904223u;
	return seed >> 8;
}

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 1;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	b->len += (size_t)n;
}

static void
text(struct buf *b, unsigned nwords)
{
	unsigned	 i;

	for (i = 0; i < nwords; i++)
		put(b, "%s%s", i ? " " : "",
		    words[rnd() % (sizeof(words) / sizeof(words[0]))]);
}

static void
stanza(struct buf *b, unsigned n)
{
	unsigned	 k = rnd() % 100;

	if (k < 30) {
		put(b, "<message to='romeo@example.net/orchard' "
		    "from='juliet@example.com/balcony' type='chat' "
		    "id='%08x'><body>", n);
		text(b, 3 + rnd() % 40);
		put(b, "</body><active xmlns='http://jabber.org/protocol/"
		    "chatstates'/><request xmlns='urn:xmpp:receipts'/>"
		    "<origin-id xmlns='urn:xmpp:sid:0' id='%08x-%04x'/>"
		    "</message>", rnd(), n & 0xffff);
	} else if (k < 40) {
		put(b, "<message to='romeo@example.net/orchard' id='r%u'>"
		    "<received xmlns='urn:xmpp:receipts' id='%08x'/>"
		    "</message>", n, rnd());
	} else if (k < 48) {
		put(b, "<message to='romeo@example.net' type='chat'>"
		    "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
		    "</message>");
	} else if (k < 60) {
		put(b, "<presence from='user%u@example.org/res'><show>away"
		    "</show><status>", rnd() % 500);
		text(b, 1 + rnd() % 6);
		put(b, "</status><priority>0</priority><c xmlns='http://"
		    "jabber.org/protocol/caps' hash='sha-1' node='https://"
		    "conversations.im' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
		    "<x xmlns='vcard-temp:x:update'><photo>%08x%08x</photo>"
		    "</x></presence>", rnd(), rnd());
	} else if (k < 68) {
		put(b, "<iq type='get' id='ping%u' to='example.com'>"
		    "<ping xmlns='urn:xmpp:ping'/></iq>", n);
	} else if (k < 72) {
		put(b, "<iq type='set' id='push%u'><query xmlns='jabber:iq:"
		    "roster'><item jid='user%u@example.org' name='User %u' "
		    "subscription='both'><group>Friends</group></item>"
		    "</query></iq>", n, rnd() % 999, n);
	} else if (k < 84) {
		put(b, "<message from='room@conference.example.com/nick%u' "
		    "to='juliet@example.com/balcony' type='groupchat' "
		    "id='%08x'><body>", rnd() % 40, rnd());
		text(b, 2 + rnd() % 60);
		put(b, "</body><delay xmlns='urn:xmpp:delay' stamp='2024-05-0"
		    "%uT10:%02u:00Z'/><stanza-id xmlns='urn:xmpp:sid:0' "
		    "id='%08x' by='room@conference.example.com'/></message>",
		    1 + rnd() % 9, rnd() % 60, rnd());
	} else if (k < 90) {
		put(b, "<message to='juliet@example.com/balcony' "
		    "from='juliet@example.com' type='chat'><sent xmlns='urn:"
		    "xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
		    "<message from='juliet@example.com/phone' to='romeo@"
		    "example.net' type='chat' id='%08x'><body>", rnd());
		text(b, 3 + rnd() % 20);
		put(b, "</body></message></forwarded></sent></message>");
	} else if (k < 95) {
		put(b, "<r xmlns='urn:xmpp:sm:3'/><a xmlns='urn:xmpp:sm:3' "
		    "h='%u'/>", n);
	} else if (k < 98) {
		put(b, "<message to='romeo@example.net' type='chat'><body>");
		text(b, 5);
		put(b, "</body><html xmlns='http://jabber.org/protocol/"
		    "xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>"
		    "<p>Hi, <em>Romeo</em><br/><span style='color:red'>");
		text(b, 5);
		put(b, "</span></p></body></html></message>");
	} else
		put(b, " ");
	if (rnd() % 4 == 0)
		put(b, "\n");
}

/*
 * CPU time of this process: on a shared machine, time spent preempted
 * would otherwise count against whichever parser it fell on.
 */
static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Bare libxml2: the same handler set, each doing as little as ours. */
static unsigned long	nstart, nend, ntext;

static void
sx_start(void *ctx, const xmlChar *l, const xmlChar *p, const xmlChar *u,
    int nns, const xmlChar **ns, int na, int nd, const xmlChar **a)
{
	nstart++;
}

static void
sx_end(void *ctx, const xmlChar *l, const xmlChar *p, const xmlChar *u)
{
	nend++;
}

static void
sx_text(void *ctx, const xmlChar *s, int len)
{
	ntext += (unsigned long)len;
}

static void
sx_error(void *ctx, xmlErrorPtr e)
{
	if (e->level >= XML_ERR_ERROR) {
		(void)fprintf(stderr, "bench: libxml2: %s", e->message);
		exit(1);
	}
}

static xmlEntityPtr
sx_entity(void *ctx, const xmlChar *name)
{
	return NULL;
}

static void
sx_none(void *ctx, const xmlChar *a)
{
}

static xmlSAXHandler sx = {
	.getEntity = sx_entity,
	.characters = sx_text,
	.ignorableWhitespace = sx_text,
	.cdataBlock = sx_text,
	.comment = sx_none,
	.initialized = XML_SAX2_MAGIC,
	.startElementNs = sx_start,
	.endElementNs = sx_end,
	.serror = sx_error,
};

static xmlParserCtxtPtr
sx_new(void)
{
	xmlParserCtxtPtr c;

	if ((c = xmlCreatePushParserCtxt(&sx, NULL, NULL, 0, NULL)) == NULL)
		abort();
	xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
	xmlSwitchEncoding(c, XML_CHAR_ENCODING_UTF8);
	return c;
}

static void
bare(const char *in, size_t len, size_t chunk)
{
	xmlParserCtxtPtr c = sx_new();
	size_t		 o, n;

	for (o = 0; o < len; o += n) {
		n = len - o < chunk ? len - o : chunk;
		xmlParseChunk(c, in + o, (int)n, 0);
	}
	xmlFreeParserCtxt(c);
}

static unsigned long	nevents;

static void
xs_count(void *arg, const struct xs_event *ev)
{
	nevents++;
}

static void
ours(const char *in, size_t len, size_t chunk)
{
	struct xs	*xs;
	size_t		 o, n;

	if ((xs = xs_new(NULL, XS_NS_CLIENT, xs_count, NULL)) == NULL)
		abort();
	for (o = 0; o < len; o += n) {
		n = len - o < chunk ? len - o : chunk;
		if (xs_feed(xs, in + o, n) != 0) {
			(void)fprintf(stderr, "bench: xmlstream: %s\n",
			    xs_detail(xs));
			exit(1);
		}
	}
	xs_free(xs);
}

static size_t
in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

int
main(void)
{
	static const size_t chunks[] = { 4096, 16384 };
	struct buf	 b = { NULL, 0, 0 };
	double		 t, tb[RUNS], tx[RUNS], mb, rb, rx;
	size_t		 i, k, r, before, busy, idle, bctx, one;
	static struct xs *xs[NPARSERS];
	static xmlParserCtxtPtr cx[NPARSERS];
	unsigned	 n = 0, nst;
	const char	*st;

	xmlInitParser();
	put(&b, "%s", hdr);
	while (b.len < CORPUS_BYTES)
		stanza(&b, n++);
	nst = n;
	mb = (double)b.len / 1e6;

	/* Both parsers accept the corpus; warm the caches. */
	bare(b.p, b.len, 4096);
	ours(b.p, b.len, 4096);

	printf("Corpus: %.2f MB of generated c2s traffic, %u stanzas "
	    "(%.0f bytes each on average); median of %d runs of %d "
	    "passes, timed in CPU time.\n\n", mb, nst, (double)b.len / nst,
	    RUNS, ITER);
	printf("| chunk | libxml2 SAX push | xmlstream | ratio |\n");
	printf("|---:|---:|---:|---:|\n");
	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		for (r = 0; r < RUNS; r++) {
			t = now();
			for (i = 0; i < ITER; i++)
				bare(b.p, b.len, chunks[k]);
			tb[r] = now() - t;
			t = now();
			for (i = 0; i < ITER; i++)
				ours(b.p, b.len, chunks[k]);
			tx[r] = now() - t;
		}
		qsort(tb, RUNS, sizeof(tb[0]), cmp_double);
		qsort(tx, RUNS, sizeof(tx[0]), cmp_double);
		rb = mb * ITER / tb[RUNS / 2];
		rx = mb * ITER / tx[RUNS / 2];
		printf("| %zu B | %.1f MB/s | %.1f MB/s | %.2f |\n",
		    chunks[k], rb, rx, rx / rb);
	}

	/*
	 * Memory: NPARSERS parsers that have read a header and a stanza,
	 * then the same after xs_idle(); a bare libxml2 push context fed
	 * the same bytes for comparison.
	 */
	st = "<presence><priority>1</priority></presence>";
	one = strlen(st);
	malloc_trim(0);
	before = in_use();
	for (i = 0; i < NPARSERS; i++) {
		if ((xs[i] = xs_new(NULL, XS_NS_CLIENT, xs_count, NULL)) ==
		    NULL || xs_feed(xs[i], hdr, sizeof(hdr) - 1) != 0 ||
		    xs_feed(xs[i], st, one) != 0)
			abort();
	}
	busy = (in_use() - before) / NPARSERS;
	for (i = 0; i < NPARSERS; i++)
		xs_idle(xs[i]);
	idle = (in_use() - before) / NPARSERS;
	for (i = 0; i < NPARSERS; i++)
		xs_free(xs[i]);
	malloc_trim(0);
	before = in_use();
	for (i = 0; i < NPARSERS; i++) {
		cx[i] = sx_new();
		xmlParseChunk(cx[i], hdr, (int)sizeof(hdr) - 1, 0);
		xmlParseChunk(cx[i], st, (int)one, 0);
	}
	bctx = (in_use() - before) / NPARSERS;
	for (i = 0; i < NPARSERS; i++)
		xmlFreeParserCtxt(cx[i]);

	printf("\n| memory per parser (mallinfo2, %d parsers) | bytes |\n",
	    NPARSERS);
	printf("|---|---:|\n");
	printf("| xmlstream after a header and a stanza | %zu |\n", busy);
	printf("| xmlstream after that and xs_idle() | %zu |\n", idle);
	printf("| bare libxml2 push context, same bytes | %zu |\n", bctx);
	free(b.p);
	if (nevents == 0 || nstart == 0)
		return 1;
	return 0;
}
