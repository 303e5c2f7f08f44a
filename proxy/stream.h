/*
 * stream.h: the few pieces of XML portcullis writes itself.
 *
 * Everything else on the wire is relayed byte for byte.  What is written
 * here: our own stream header and features before TLS, <proceed/> and
 * <failure/>, stream errors, and </stream> when a stream must be closed.
 * Only RFC 6120 conditions can be emitted (ERR-1); never a 3920-only one.
 */
#ifndef PROXY_STREAM_H
#define PROXY_STREAM_H

#include "session.h"

/*
 * Send our stream header on l: from is our domain (NULL: omitted), a fresh
 * unpredictable id, version='1.0' unless version0 (a pre-1.0 peer),
 * xml:lang, and xmlns:db when dialback is set.  Sets l->hdr_sent.
 */
int	stream_send_header(struct leg *l, const char *content_ns,
	    const char *from, int version0, int dialback);

/*
 * Send the header of a stream we initiate (outbound s2s, before TLS):
 * from and to, version='1.0', xmlns:db when dialback is set, no id.
 */
int	stream_send_initiator_header(struct leg *l, const char *from,
	    const char *to, int dialback);

/* <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> */
int	stream_send_starttls(struct leg *l);

/* <stream:features> offering only <starttls><required/></starttls>. */
int	stream_send_starttls_features(struct leg *l);

int	stream_send_proceed(struct leg *l);
int	stream_send_tls_failure(struct leg *l);

/*
 * <stream:error> with one RFC 6120 condition and optional text, then
 * </stream>.  Returns -1 for a condition RFC 6120 does not define.
 */
int	stream_send_error(struct leg *l, const char *cond, const char *text);

/* </stream> with the prefix of the stream l sends; once per stream. */
int	stream_send_close(struct leg *l);

/* Is cond one of the RFC 6120 section 4.9.3 conditions? */
int	stream_condition_valid(const char *cond);

/* Remember the streams-namespace prefix of the header relayed on l. */
void	stream_set_prefix(struct leg *l, const char *prefix);

#endif /* PROXY_STREAM_H */
