/*
 * backend.h: the connection to the legacy server, TCP or unix socket.
 */
#ifndef PROXY_BACKEND_H
#define PROXY_BACKEND_H

#include "session.h"

/*
 * Connect the session's legacy leg to a.  On success relaying starts by
 * itself; on failure or timeout the peer gets <internal-server-error/>.
 */
void	backend_connect(struct session *s, const struct pol_addr *a);

#endif /* PROXY_BACKEND_H */
