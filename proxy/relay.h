/*
 * relay.h: moving accepted byte spans from one leg to the other.
 *
 * xmlstream reports spans that tile the input; a leg's `in` buffer holds
 * the bytes from in_off on.  An event handler extends fwd_end over a span
 * to relay it unchanged, or flushes and drops a span it handles itself.
 * Nothing is ever re-serialised; the features rewrite splices spans out.
 */
#ifndef PROXY_RELAY_H
#define PROXY_RELAY_H

#include <stdint.h>

#include "session.h"

/*
 * The initiating entity (client, or the server that opened the stream)
 * speaks on s->init; the receiving entity on s->resp.  Inbound, the
 * backend is the responder; outbound s2s, the remote server is.
 */

/* What the responder's leg does with its input once the relay runs. */
extern const struct leg_ops relay_resp_ops;

/* Handle an event of the initiator's leg once the relay runs. */
void	relay_init_event(struct leg *l, const struct xs_event *ev);

/* The responder leg's parser callback. */
void	relay_resp_event(void *arg, const struct xs_event *ev);

/* The stream is authenticated (SASL restart, dialback, bridged). */
void	relay_authenticated(struct session *s, const char *how);

/* Forward [in_off, fwd_end) to the peer if the peer can take it. */
void	relay_flush(struct leg *l);

/* Consume the input up to offset end without forwarding it. */
void	relay_drop(struct leg *l, uint64_t end);

/*
 * A parser error on l: the right stream error to the remote peer (or
 * internal-server-error when the backend sent it), a log record, close.
 */
void	relay_xml_error(struct leg *l, int err);

/*
 * After xs_feed() returned rc on l's input: the stream error for a parser
 * error, else forward what the events accepted and give back an emptied
 * input buffer.
 */
void	relay_fed(struct leg *l, int rc);

/*
 * Records of one read on l are relayed as one: between begin and end,
 * relay_fed() only notes how far it got, and end sends it all (or, at a
 * parser error, what records before the bad one had accepted).
 */
void	relay_batch_begin(struct leg *l);
void	relay_batch_end(struct leg *l);

#endif /* PROXY_RELAY_H */
