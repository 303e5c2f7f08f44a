/*
 * dialback.h: Server Dialback requests and answers on a relayed stream;
 * see dialback.c.
 */
#ifndef PROXY_DIALBACK_H
#define PROXY_DIALBACK_H

#include "session.h"

/*
 * Look at a top-level element of leg l (inside its xs callback).  Returns
 * 0 to relay it, 1 when it was relayed here (with its id mapped), -1 when
 * the session was closed for it (an unsolicited answer, a request the
 * policy forbids).
 */
int	dialback_element(struct leg *l, const struct xs_event *ev);

/*
 * A request of the initiating side that is relayed without passing
 * dialback_element() (the element outbound.c learnt the domains from):
 * kind 'r' for db:result, 'v' for db:verify with its id.  Returns 0, or
 * -1 after closing the session.
 */
int	dialback_expect(struct session *s, char kind, const char *from,
	    const char *to, const char *id);

void	dialback_free(struct session *s);

#endif /* PROXY_DIALBACK_H */
