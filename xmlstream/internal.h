/*
 * internal.h: what xmlstream.c and lex.c share.  Nothing outside
 * xmlstream/ includes it.
 *
 * struct xs is one direction of a stream.  lex.c owns its byte-level half
 * (the UTF-8 DFA state and the lexer fields) and never calls libxml2;
 * xmlstream.c owns the rest (the libxml2 context, the stream header, the
 * feature capture) and drives both halves from xs_feed().
 */
#ifndef XMLSTREAM_INTERNAL_H
#define XMLSTREAM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/parser.h>

#include "xmlstream.h"

#define XS_NONE		UINT64_MAX
#define XS_PI_MAX	256	/* bytes of an XML declaration */
#define XS_REF_MAX	32	/* bytes of a reference after its '&' */
#define XS_KIDS_MAX	128	/* captured descendants of features */
#define XS_KID_TEXT	64	/* text kept per captured element, incl. NUL */
#define XS_DEPTH_MAX	250	/* libxml2 stops at 256 without HUGE */
#define XS_DETAIL_MAX	128
#define XS_SKIPS	64	/* text runs elided in one lexer pass */

/*
 * UTF-8 DFA states; see lex.c.  U_EF and U_EFBF are the prefixes of
 * U+FFFE and U+FFFF; the states from U_BAD on are final: not UTF-8, NUL,
 * and a U+FFFE or U+FFFF, which is UTF-8 but not an XML character.
 */
enum { U_OK, U_1, U_2, U_3, U_E0, U_ED, U_F0, U_F4, U_EF, U_EFBF, U_BAD,
	U_NUL, U_NONCHAR };

enum xs_state {
	S_PROLOG,		/* before the root start tag */
	S_STREAM,		/* inside the stream root */
	S_CLOSED		/* after the root end tag */
};

/* Lexer states; the ones from L_LT to L_PI hold their bytes back. */
enum xs_lex {
	L_TEXT,			/* character data or between elements */
	L_LT,			/* after '<' */
	L_STAG,			/* in a start tag */
	L_SQ,			/* in a start tag, in '...' */
	L_DQ,			/* in a start tag, in "..." */
	L_BANG,			/* after "<!", matching "<![CDATA[" */
	L_PI,			/* after "<?" */
	L_BOM,			/* in a byte order mark at offset 0 */
	L_ETAG,			/* in an end tag */
	L_CDATA,		/* in a CDATA section */
	L_REF			/* in a reference in text */
};

/* Why the lexer stopped. */
enum xs_stop {
	X_END,			/* reached the end of what it may scan */
	X_ERR,			/* found an error; xs->err is set */
	X_ROOT,			/* just after the stream root start tag */
	X_STREAM,		/* just after a top-level tag named stream */
	X_CLOSE,		/* just after the stream root end tag */
	X_PI,			/* just after a complete XML declaration */
	X_SKIPS			/* xs->skip is full: feed, then go on */
};

/* A range of stream offsets [a, b); a breakpoint is (index, delta). */
struct xs_span {
	uint64_t	 a, b;
};

/* Per captured element: its text and whether it has child elements. */
struct xs_kid {
	char		 text[XS_KID_TEXT];
	uint8_t		 len;
	uint8_t		 leaf;
};

struct xs {
	xmlParserCtxtPtr	 ctxt;		/* NULL when idle or closed */
	xs_event_fn		*fn;
	void			*arg;
	struct xs_limits	 lim;

	/* Stream offsets, counted since xs_new() or xs_reset(). */
	uint64_t		 fed;		/* bytes handed to xs_feed */
	uint64_t		 boundary;	/* end of the last span */
	uint64_t		 pfed;		/* bytes given to or skipped for ctxt */
	uint64_t		 delta;		/* offset = index + delta, of
						   the next byte for ctxt */
	uint64_t		 hdr_base;	/* first byte of the header */
	uint64_t		 decl_at;	/* where an XML decl may start */
	uint64_t		 tag_start;	/* '<' of the markup being lexed */
	uint64_t		 top_start;	/* '<' of the open top-level markup */
	uint64_t		 text_start;	/* where the text node being
						   lexed began (ldepth >= 2) */

	/* Lexer. */
	unsigned		 ldepth;	/* open elements, root included */
	unsigned		 neq;		/* values in the current start tag */
	uint8_t			 lst;		/* enum xs_lex */
	uint8_t			 lsub;		/* per-state progress */
	uint8_t			 nm;		/* chars of "stream" matched */
	uint8_t			 u8;		/* UTF-8 DFA state */
	uint8_t			 nf;		/* chars of "features" seen */
	uint8_t			 tbr;		/* ']' ending the text lexed so
						   far, at most 2 */

	/*
	 * Text runs inside elements that libxml2 is not given: the lexer
	 * has checked everything libxml2 would check in them.  skip holds
	 * the runs of the current lexer pass (NULL: elide nothing); bp the
	 * breakpoints of the offset map for what libxml2 has not parsed
	 * yet: from libxml2 index bp[k].a on, offset = index + bp[k].b.
	 */
	struct xs_span		*skip;
	unsigned		 nskip;
	struct xs_span		*bp;
	unsigned		 nbp, bphead, bpcap;
	uint64_t		 lfed;		/* bytes given to ctxt */
	uint64_t		 pdelta;	/* delta at ctxt's position */

	/* Parser side. */
	unsigned		 depth;		/* open elements, root included */
	int			 err;
	const char		*limname;
	char			*detail;	/* allocated on error only */

	uint8_t			 state;		/* enum xs_state */
	unsigned		 slash:1;	/* start tag: last byte was '/' */
	unsigned		 in_name:1;	/* start tag: still in the name */
	unsigned		 is_stream:1;	/* start tag: local name "stream" */
	unsigned		 keep_text:1;	/* top-level "features": text
						   libxml2 must see */
	unsigned		 noelide:1;	/* tests: libxml2 sees all */
	unsigned		 eliding:1;	/* this text node is elided */
	unsigned		 pi_decl:1;	/* L_PI: this is an XML declaration */
	unsigned		 decl_done:1;	/* this stream had its declaration */
	unsigned		 restarting:1;	/* next header is a restart */
	unsigned		 in_cb:1;	/* inside the event callback */
	unsigned		 in_parse:1;	/* inside xmlParseChunk */
	unsigned		 synth:1;	/* feeding the synthetic root */
	unsigned		 reset_req:1;	/* xs_reset() from a callback */
	unsigned		 restart_req:1;	/* depth-1 header: re-root */
	unsigned		 closed_req:1;	/* root closed: stop parsing */
	unsigned		 empty:1;	/* top-level element is <x/> */
	unsigned		 capture:1;	/* inside {streams}features */

	/* Stream header: one block with its strings and the synthetic root. */
	struct xs_header	 hdr;
	char			*hdrbuf;
	const char		*root;		/* synthetic root start tag */
	size_t			 rootlen;

	/* Markup held back from libxml2: [pfed, fed) when holdlen > 0. */
	char			*hold;
	size_t			 holdlen, holdcap;

	/* Unprefixed attributes of the top-level element: name\0value\0. */
	char			*abuf;
	size_t			 alen, acap;

	/* Descendants of a top-level {streams}features element. */
	struct xs_child		*kids;
	struct xs_kid		*kidx;
	unsigned		 nkids, kcap;
	int			 kopen[2];	/* open kid at level 2 and 3 */
	uint64_t		 klast[2];	/* where the next kid starts */

	char			 content_ns[];
};

static inline int
isws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

enum xs_stop	 xs__lex(struct xs *, const unsigned char *, uint64_t,
		    uint64_t, uint64_t, uint64_t *);
int		 xs__decl_check(struct xs *, const char *, size_t);
void		 xs__seterr(struct xs *, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
void		 xs__limit_err(struct xs *, const char *, uint64_t, uint64_t);
void		 xs__set_elide(struct xs *, int);

#endif /* XMLSTREAM_INTERNAL_H */
