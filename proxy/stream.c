/*
 * stream.c: our stream headers, features, STARTTLS answers, stream errors.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "leg.h"
#include "stream.h"

static const char *const conditions[] = {
	"bad-format", "bad-namespace-prefix", "conflict",
	"connection-timeout", "host-gone", "host-unknown",
	"improper-addressing", "internal-server-error", "invalid-from",
	"invalid-namespace", "invalid-xml", "not-authorized",
	"not-well-formed", "policy-violation", "remote-connection-failed",
	"reset", "resource-constraint", "restricted-xml", "see-other-host",
	"system-shutdown", "undefined-condition", "unsupported-encoding",
	"unsupported-feature", "unsupported-stanza-type",
	"unsupported-version", NULL
};

int
stream_condition_valid(const char *cond)
{
	for (const char *const *c = conditions; *c != NULL; c++)
		if (strcmp(*c, cond) == 0)
			return 1;
	return 0;
}

void
stream_set_prefix(struct leg *l, const char *prefix)
{
	snprintf(l->prefix, sizeof(l->prefix), "%s",
	    prefix != NULL ? prefix : "");
}

/* 128 bits from the CSPRNG, as 32 hex digits (STREAM-5). */
static int
new_id(char out[33])
{
	unsigned char r[16];

	if (gnutls_rnd(GNUTLS_RND_RANDOM, r, sizeof(r)) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

int
stream_send_header(struct leg *l, const char *content_ns, const char *from,
    int version0, int dialback)
{
	char hdr[768], id[33];
	int n;

	if (new_id(id) != 0)
		return -1;
	/* Our domains are A-labels: no character needs escaping. */
	n = snprintf(hdr, sizeof(hdr),
	    "<?xml version='1.0'?>"
	    "<stream:stream xmlns='%s'"
	    " xmlns:stream='http://etherx.jabber.org/streams'%s"
	    " id='%s'%s%s%s%s xml:lang='en'>",
	    content_ns,
	    dialback ? " xmlns:db='jabber:server:dialback'" : "",
	    id,
	    from != NULL ? " from='" : "", from != NULL ? from : "",
	    from != NULL ? "'" : "",
	    version0 ? "" : " version='1.0'");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	stream_set_prefix(l, "stream");
	snprintf(l->sent_id, sizeof(l->sent_id), "%s", id);
	l->hdr_sent = 1;
	l->close_sent = 0;
	return leg_send(l, hdr, (size_t)n);
}

int
stream_send_initiator_header(struct leg *l, const char *from, const char *to,
    int dialback)
{
	char hdr[768];
	int n;

	n = snprintf(hdr, sizeof(hdr),
	    "<?xml version='1.0'?>"
	    "<stream:stream xmlns='jabber:server'"
	    " xmlns:stream='http://etherx.jabber.org/streams'%s"
	    " from='%s' to='%s' version='1.0' xml:lang='en'>",
	    dialback ? " xmlns:db='jabber:server:dialback'" : "", from, to);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	stream_set_prefix(l, "stream");
	l->hdr_sent = 1;
	l->close_sent = 0;
	return leg_send(l, hdr, (size_t)n);
}

int
stream_send_starttls(struct leg *l)
{
	return leg_send_str(l,
	    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

int
stream_send_starttls_features(struct leg *l)
{
	return leg_send_str(l, "<stream:features>"
	    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
	    "<required/></starttls></stream:features>");
}

/* Nothing may follow the '>' of <proceed/> (STARTTLS-6). */
int
stream_send_proceed(struct leg *l)
{
	return leg_send_str(l,
	    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

int
stream_send_tls_failure(struct leg *l)
{
	return leg_send_str(l,
	    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

/* "<stream:" or "<" plus an xmlns when the stream uses no prefix. */
static int
open_tag(char *buf, size_t len, const struct leg *l, const char *name)
{
	if (l->prefix[0] != '\0')
		return snprintf(buf, len, "<%s:%s>", l->prefix, name);
	return snprintf(buf, len,
	    "<%s xmlns='http://etherx.jabber.org/streams'>", name);
}

static int
close_tag(char *buf, size_t len, const struct leg *l, const char *name)
{
	if (l->prefix[0] != '\0')
		return snprintf(buf, len, "</%s:%s>", l->prefix, name);
	return snprintf(buf, len, "</%s>", name);
}

int
stream_send_error(struct leg *l, const char *cond, const char *text)
{
	char msg[1024];
	size_t n = 0;
	int r;

	if (!stream_condition_valid(cond))
		return -1;
	r = open_tag(msg, sizeof(msg), l, "error");
	n += (size_t)r;
	r = snprintf(msg + n, sizeof(msg) - n,
	    "<%s xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", cond);
	n += (size_t)r;
	if (text != NULL && n < sizeof(msg)) {
		/* Texts are ours and plain: no escaping is needed. */
		r = snprintf(msg + n, sizeof(msg) - n,
		    "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'"
		    " xml:lang='en'>%s</text>", text);
		n += (size_t)r;
	}
	if (n < sizeof(msg)) {
		r = close_tag(msg + n, sizeof(msg) - n, l, "error");
		n += (size_t)r;
	}
	if (n >= sizeof(msg))
		return -1;
	if (leg_send(l, msg, n) != 0)
		return -1;
	return stream_send_close(l);
}

int
stream_send_close(struct leg *l)
{
	char msg[64];
	int n;

	if (l->close_sent)
		return 0;
	l->close_sent = 1;
	n = close_tag(msg, sizeof(msg), l, "stream");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return leg_send(l, msg, (size_t)n);
}
