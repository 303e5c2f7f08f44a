/*
 * fuzz_xs_feed.c: libFuzzer target for xs_feed().
 *
 * Input: one flag byte, one byte n (mod 16), n little-endian 16-bit split
 * points, then the stream.  Flags: bit 0 jabber:server rather than
 * jabber:client, bit 1 tiny limits, bits 2-3 when to call xs_idle()
 * (never, after every piece, at random), bit 4 reset from the callback at
 * <starttls/> and <proceed/> as the proxy does.
 *
 * Checked on every input: spans start at 0 and are contiguous, none ends
 * beyond what was fed, children lie inside their element and in order,
 * nothing is reported after an error, and xs_feed() keeps returning the
 * error.  Without the reset flag, the same bytes fed whole must give the
 * same events (runs of whitespace merged into the next event, as in
 * t_xmlstream.c) and the same result; that run gives libxml2 every text
 * run, which the pieces' run leaves to the lexer, so any check libxml2
 * makes on text that the lexer misses shows up as a difference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmlstream/xmlstream.h"
#include "xmlstream/internal.h"	/* xs__set_elide() */

#define MAXEV	4096

struct ev {
	int		 type;
	uint64_t	 start, end;
	const char	*name;		/* static copy below */
	char		 nm[24];
	int		 restart, empty;
	unsigned	 nkids;
};

struct run {
	struct xs	*xs;
	struct ev	*ev;
	size_t		 n;
	uint64_t	 last_end;
	int		 err;
	int		 reset_mode;
	int		 did_reset;
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
on_event(void *arg, const struct xs_event *ev)
{
	struct run	*r = arg;
	struct ev	*e;
	unsigned	 i;
	uint64_t	 prev;

	check(r->err == 0);
	check(ev->start == r->last_end);
	check(ev->end >= ev->start);
	check(ev->end <= xs_offset(r->xs));
	r->last_end = ev->end;
	if (ev->type == XS_EV_HEADER)
		check(xs_header(r->xs) != NULL);
	if (ev->type == XS_EV_ELEMENT) {
		(void)xs_attr(r->xs, "to");
		(void)xs_attr(r->xs, "type");
		prev = ev->start;
		for (i = 0; i < ev->nchildren; i++) {
			const struct xs_child *k = &ev->children[i];

			check(k->depth == 2 || k->depth == 3);
			check(k->start <= k->end);
			check(k->start >= ev->start && k->end <= ev->end);
			if (k->depth == 2) {
				check(k->start >= prev);
				prev = k->end;
			}
			check(strlen(k->text) < 64);
		}
	}
	if (r->n < MAXEV) {
		e = &r->ev[r->n++];
		memset(e, 0, sizeof(*e));
		e->type = ev->type;
		e->start = ev->start;
		e->end = ev->end;
		e->restart = ev->restart;
		e->empty = ev->empty;
		e->nkids = ev->nchildren;
		if (ev->name != NULL) {
			strncpy(e->nm, ev->name, sizeof(e->nm) - 1);
			e->name = e->nm;
		}
	}
	if (r->reset_mode && ev->type == XS_EV_ELEMENT && ev->name != NULL &&
	    (strcmp(ev->name, "starttls") == 0 ||
	    strcmp(ev->name, "proceed") == 0)) {
		xs_reset(r->xs);
		r->did_reset = 1;
	}
}

/* Merge whitespace into the next event; drop it at the end. */
static void
normalize(struct run *r)
{
	size_t		 i, o = 0;
	uint64_t	 sp = UINT64_MAX;

	for (i = 0; i < r->n; i++) {
		if (r->ev[i].type == XS_EV_SPACE) {
			if (sp == UINT64_MAX)
				sp = r->ev[i].start;
			continue;
		}
		r->ev[o] = r->ev[i];
		if (r->ev[o].name != NULL)
			r->ev[o].name = r->ev[o].nm;
		if (sp != UINT64_MAX)
			r->ev[o].start = sp;
		sp = UINT64_MAX;
		o++;
	}
	/*
	 * Whitespace at the end is reported when it ends a piece, but is
	 * held by whatever element comes next when there is more to come.
	 */
	r->n = o;
}

static struct xs *
new_xs(unsigned flags, struct run *r)
{
	struct xs_limits lim;

	memset(&lim, 0, sizeof(lim));
	if (flags & 2) {
		lim.stanza_bytes = 512;
		lim.header_bytes = 300;
		lim.depth = 4;
		lim.attrs = 4;
		lim.nsdecls = 4;
		lim.attr_bytes = 48;
		lim.text_bytes = 64;
	}
	r->xs = xs_new(&lim, (flags & 1) ? "jabber:server" : "jabber:client",
	    on_event, r);
	return r->xs;
}

/*
 * Two runs over the same bytes agree: the same result and events, or,
 * unless strict, the same verdict and the events both report.
 */
static void
same(const struct run *a, const struct run *b, int strict)
{
	size_t		 i, n;

	if (strict || a->err == b->err) {
		check(a->err == b->err);
		check(a->n == b->n);
	} else
		check(a->err != 0);	/* b's refusal is a's too */
	n = a->n < b->n ? a->n : b->n;
	for (i = 0; i < n; i++) {
		check(a->ev[i].type == b->ev[i].type);
		check(a->ev[i].start == b->ev[i].start);
		check(a->ev[i].end == b->ev[i].end);
		check(a->ev[i].restart == b->ev[i].restart);
		check(a->ev[i].empty == b->ev[i].empty);
		check(a->ev[i].nkids == b->ev[i].nkids);
		check((a->ev[i].name == NULL) == (b->ev[i].name == NULL));
		if (a->ev[i].name != NULL)
			check(strcmp(a->ev[i].nm, b->ev[i].nm) == 0);
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev evs[2][MAXEV];
	struct run	 a, b;
	size_t		 cuts[16], ncut, i, j, prev, end, len;
	const char	*in;
	unsigned	 flags, idle;
	uint32_t	 rnd;
	int		 rc;

	if (size < 2)
		return 0;
	flags = data[0];
	ncut = data[1] % 16;
	if (size < 2 + 2 * ncut)
		return 0;
	in = (const char *)data + 2 + 2 * ncut;
	len = size - 2 - 2 * ncut;
	for (i = 0; i < ncut; i++)
		cuts[i] = (data[2 + 2 * i] | (size_t)data[3 + 2 * i] << 8) %
		    (len + 1);
	/* Sort the split points. */
	for (i = 1; i < ncut; i++)
		for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			size_t t = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	idle = (flags >> 2) & 3;
	rnd = flags * 2654435761u + (uint32_t)len;

	memset(&a, 0, sizeof(a));
	a.ev = evs[0];
	a.reset_mode = (flags & 16) != 0;
	if (new_xs(flags, &a) == NULL)
		return 0;
	prev = 0;
	for (i = 0; i <= ncut; i++) {
		end = i < ncut ? cuts[i] : len;
		if (end < prev)
			continue;
		rc = xs_feed(a.xs, in + prev, end - prev);
		prev = end;
		if (rc != 0) {
			a.err = rc;
			check(rc == xs_error(a.xs));
			check(xs_condition(rc) != NULL);
			check(xs_detail(a.xs)[0] != '\0');
			check((rc == XS_E_LIMIT) == (xs_limit_name(a.xs) != NULL));
			check(xs_feed(a.xs, "<a/>", 4) == rc);
			break;
		}
		if (a.did_reset) {
			/* The rest of the piece is the caller's, as after
			 * <starttls/>; the next piece is a new stream. */
			a.did_reset = 0;
			a.last_end = 0;
			check(xs_offset(a.xs) == 0);
			check(xs_header(a.xs) == NULL);
		}
		rnd = rnd * 1103515245u + 12345u;
		if (idle == 1 || (idle == 2 && (rnd >> 16) & 1))
			xs_idle(a.xs);
	}
	xs_free(a.xs);
	if (a.reset_mode)
		return 0;

	/* The same bytes fed whole must tell the same story. */
	memset(&b, 0, sizeof(b));
	b.ev = evs[1];
	if (new_xs(flags, &b) == NULL)
		return 0;
	b.err = xs_feed(b.xs, in, len);
	xs_free(b.xs);
	if (a.n >= MAXEV || b.n >= MAXEV)
		return 0;
	normalize(&a);
	normalize(&b);
	same(&a, &b, 1);

	/*
	 * And so must libxml2 given every text run, which is otherwise the
	 * lexer's alone.  Given the text, libxml2 parses a reference that
	 * follows text only once a '<' is in, where without it it parses
	 * it at once: so of two errors that run may report the later one,
	 * or none yet.  What it refuses must be refused, no event may
	 * differ, and a refusal it has not seen yet it sees once a '<'
	 * follows (an end tag's, which the lexer does not hold back).
	 */
	memset(&b, 0, sizeof(b));
	b.ev = evs[1];
	if (new_xs(flags, &b) == NULL)
		return 0;
	xs__set_elide(b.xs, 0);
	b.err = xs_feed(b.xs, in, len);
	if (a.err != 0 && b.err == 0)
		b.err = xs_feed(b.xs, "</", 2);
	xs_free(b.xs);
	if (b.n >= MAXEV)
		return 0;
	normalize(&b);
	same(&a, &b, 0);
	return 0;
}
