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

void	dialback_free(struct session *s);

#endif /* PROXY_DIALBACK_H */
