/*
 * xmlstream: one direction of an XMPP stream, parsed incrementally.
 *
 * Owns: the libxml2 push parser for that direction, the stream header's
 * attributes, element depth, the restricted-XML profile of RFC 6120
 * section 11 (no DTD, no entity reference but the five predefined ones, no
 * comment, no processing instruction, UTF-8 only, XML 1.0 only), the size
 * limits, and the byte offsets of every top-level element.
 *
 * Never touches: sockets, TLS, time, policy or logging.  It never changes a
 * byte and keeps none of the caller's buffers: the caller keeps the bytes it
 * fed and forwards exactly the spans reported here, so what is relayed is
 * byte for byte what the parser accepted.
 *
 * Offsets count the bytes fed since xs_new() or the last xs_reset(); the
 * first byte fed after a reset has offset 0.  Spans tile the input: every
 * span starts where the previous one ended, so a relay that forwards every
 * reported span forwards every byte, in order, and nothing else.
 *
 * Whitespace between top-level elements goes with the element after it,
 * except that whitespace ending a chunk is reported at once as
 * XS_EV_SPACE: a keepalive must not wait for the next stanza.  So where
 * the spans fall in whitespace depends on how the input was chunked;
 * nothing else does.
 *
 * The restricted profile is enforced before libxml2 sees a byte: every
 * byte is checked as UTF-8 and lexed, and markup is held back until it is
 * complete.  Text inside elements is checked in full by the lexer (XML
 * characters only, so no control character and no U+FFFE or U+FFFF, and
 * no "]]>") and libxml2 is not given it.  A NUL byte is not-well-formed
 * (libxml2 would take it for the end of its buffer); NUL in the first
 * four bytes of a stream, like a UTF-16 or UTF-32 byte order mark, is
 * unsupported-encoding.  A UTF-8 byte order mark is accepted at offset 0.
 * An XML declaration is accepted at the start of a stream and between
 * top-level elements, where it begins a restart; it must say version 1.0
 * and, if anything, encoding UTF-8 (in any case; "utf8" is refused).
 *
 * Pointers inside a struct xs_event and the struct xs_header are owned by
 * the struct xs and valid until the callback returns (events) or until the
 * next header event, xs_reset() or xs_free() (header).  Namespace names
 * are as libxml2 keeps them without entity substitution: a '&' in one
 * reads "&#38;".  Element and attribute values (xs_attr(), xs_header())
 * are fully decoded.
 */
#ifndef XMLSTREAM_H
#define XMLSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define XS_NS_STREAMS	"http://etherx.jabber.org/streams"
#define XS_NS_CLIENT	"jabber:client"
#define XS_NS_SERVER	"jabber:server"
#define XS_NS_DIALBACK	"jabber:server:dialback"
#define XS_NS_TLS	"urn:ietf:params:xml:ns:xmpp-tls"
#define XS_NS_SASL	"urn:ietf:params:xml:ns:xmpp-sasl"

/* Error codes returned by xs_feed(); each maps to one RFC 6120 condition. */
enum xs_err {
	XS_OK		=  0,
	XS_E_NOTWF	= -1,	/* not-well-formed (incl. namespace errors) */
	XS_E_RESTRICTED	= -2,	/* restricted-xml: DTD, entity, comment, PI */
	XS_E_ENCODING	= -3,	/* unsupported-encoding: bad UTF-8, non-UTF-8 */
	XS_E_NAMESPACE	= -4,	/* invalid-namespace: stream or content ns */
	XS_E_LIMIT	= -5,	/* policy-violation: a size or count limit */
	XS_E_FORMAT	= -6,	/* bad-format: text at the top level */
	XS_E_NOMEM	= -7,	/* resource-constraint: allocation failed */
	XS_E_CLOSED	= -8	/* not-well-formed: data after </stream> */
};

/*
 * Limits.  Zero in any field means the compiled-in default, which
 * xs_limits_default() fills in; portcullis.conf(5) lists them.  Going
 * over one is XS_E_LIMIT, and xs_limit_name() returns the name in the
 * comment.  The byte limits are checked before libxml2 is given the byte
 * beyond them, so nothing larger is ever buffered.
 *
 * stanza_bytes counts from the element's '<' to its last '>': whitespace
 * before it does not count, so the verdict does not depend on chunking.
 * text_bytes counts every byte from the end of one tag to the start of
 * the next, text, references and CDATA sections as they are written.
 * header_bytes counts from offset 0 (BOM and XML declaration included)
 * for the first header, and from the XML declaration or the start tag
 * for a restart.  depth above 250 is taken as 250 (libxml2 stops at 256).
 * The stream header is an element like any other for attrs, nsdecls and
 * attr_bytes.  A start tag with more than attrs + nsdecls attributes is
 * refused as "attributes" before libxml2 parses it.
 */
struct xs_limits {
	size_t		 stanza_bytes;	/* "stanza-bytes" */
	size_t		 header_bytes;	/* "header-bytes" */
	unsigned	 depth;		/* "depth", levels below the root */
	unsigned	 attrs;		/* "attributes", per element */
	unsigned	 nsdecls;	/* "namespace-declarations", same */
	size_t		 attr_bytes;	/* "attribute-bytes", decoded value */
	size_t		 text_bytes;	/* "text-bytes", between two tags */
};

void	xs_limits_default(struct xs_limits *lim);

enum xs_ev_type {
	XS_EV_HEADER,	/* a stream header; xs_header() has its fields */
	XS_EV_ELEMENT,	/* a complete top-level element */
	XS_EV_SPACE,	/* whitespace between top-level elements */
	XS_EV_CLOSE	/* the stream's closing tag; for a header written
			   <stream:stream/>, an empty span after it */
};

/*
 * A descendant of a top-level <stream:features/> element, reported so the
 * caller can splice it out.  [start, end) runs from the end of the previous
 * sibling's end tag (or of the parent's start tag) to the end of this
 * element, so removing it also removes the whitespace before it.  A child
 * and its own children come in document order.  text is only for an
 * element without child elements.  More than 128 descendants in one
 * features element is XS_E_LIMIT "feature-children".
 */
struct xs_child {
	uint64_t	 start, end;
	unsigned	 depth;		/* 2: child of features, 3: grandchild */
	const char	*name;		/* local name */
	const char	*ns;		/* namespace URI, "" when none */
	const char	*text;		/* text content, first 63 bytes, or "" */
};

struct xs_event {
	enum xs_ev_type	 type;
	uint64_t	 start, end;	/* [start, end) in the input */
	const char	*name;		/* ELEMENT, HEADER: local name */
	const char	*ns;		/* ELEMENT, HEADER: namespace URI */
	int		 restart;	/* HEADER: a new header in the stream,
					   with or without an XML decl */
	int		 empty;		/* ELEMENT: written as <x/> */
	/* ELEMENT {streams}features only: its descendants to depth 3. */
	const struct xs_child *children;
	unsigned	 nchildren;
};

/* The stream header's attributes; NULL when absent. */
struct xs_header {
	const char	*to, *from, *id, *lang;
	const char	*version;	/* as sent */
	int		 major, minor;	/* parsed version; 0.9 when absent,
					   0.0 when not digits.digits */
	const char	*content_ns;	/* default namespace */
	const char	*stream_prefix;	/* prefix bound to XS_NS_STREAMS */
	int		 has_dialback;	/* xmlns:db='jabber:server:dialback' */
};

/*
 * Called for each event, before xs_feed() returns.  The callback may call
 * xs_reset(); xs_feed() then stops and returns XS_OK at once, leaving the
 * rest of its input unparsed and unchecked (the caller owns those bytes:
 * after <starttls/> they must never reach a parser).  It must not call
 * xs_feed() or xs_free(); xs_idle() does nothing there.
 */
typedef void	xs_event_fn(void *arg, const struct xs_event *ev);

/*
 * Create a parser for one direction.  content_ns is the required default
 * namespace of the stream (XS_NS_CLIENT or XS_NS_SERVER), copied.  lim is
 * copied; NULL means defaults.  Returns NULL when out of memory.
 */
struct xs	*xs_new(const struct xs_limits *lim, const char *content_ns,
		    xs_event_fn *fn, void *arg);

/*
 * Feed len bytes of plaintext.  Callbacks fire before this returns and may
 * call xs_reset(); buf is not kept.  Returns 0, or a negative XS_E_* code
 * after which only xs_error(), xs_detail(), xs_limit_name() and xs_free()
 * may be called; no event is reported for the bytes that caused the error,
 * and none after it.
 *
 * A stream header that arrives inside the stream (the restart after SASL),
 * directly under the root and perhaps after an XML declaration, is
 * reported as XS_EV_HEADER with restart set and the parse continues in the
 * new stream without a call from the caller.  The new header must declare
 * its own prefix and default namespace: nothing of the old root stays in
 * scope.
 */
int	xs_feed(struct xs *xs, const char *buf, size_t len);

/*
 * Forget the stream: the next byte fed starts a new stream, which may begin
 * with an XML declaration, at offset 0.  Safe inside a callback.
 */
void	xs_reset(struct xs *xs);

/*
 * Release what an idle parser holds when it sits between top-level
 * elements (the libxml2 context and the buffers, keeping the header); the
 * next xs_feed() that brings more than whitespace restores it
 * transparently.  A no-op otherwise, and inside a callback.
 */
void	xs_idle(struct xs *xs);

/* The current stream header, or NULL before the first header event. */
const struct xs_header *xs_header(const struct xs *xs);

/*
 * Unprefixed attribute of the top-level element being reported, or NULL.
 * Valid only inside an XS_EV_ELEMENT callback.
 */
const char	*xs_attr(const struct xs *xs, const char *name);

/* Offset of the next byte to be fed; in a callback, past the current chunk. */
uint64_t	 xs_offset(const struct xs *xs);

/* The error xs_feed() returned, or 0. */
int		 xs_error(const struct xs *xs);

/*
 * One line for the log saying what was wrong ("comment", "stanza-bytes
 * 262145 > 262144", libxml2's message, ...); never peer data beyond a
 * name.  "" when there was no error.
 */
const char	*xs_detail(const struct xs *xs);

/* The limit that was exceeded ("stanza-bytes", ...), or NULL. */
const char	*xs_limit_name(const struct xs *xs);

/* Short name of an error ("not-well-formed", ...). */
const char	*xs_strerror(int err);

/* The RFC 6120 stream error condition element for an error. */
const char	*xs_condition(int err);

void		 xs_free(struct xs *xs);

#endif /* XMLSTREAM_H */
