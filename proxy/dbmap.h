/*
 * dbmap.h: stream ids for dialback keys that cross the gateway.
 *
 * When a backend opens an s2s stream without saying where to (jabberd2),
 * portcullis answers it with a stream id of its own, and the backend's
 * dialback key is computed on that id.  The remote server verifies the key
 * by asking the backend, through an inbound stream, with the id of the
 * stream portcullis opened to it.  This table maps that remote id back to
 * the id the backend knows, so the backend's own check succeeds; the
 * answer's id is mapped back on the way out.  Shared by every worker;
 * entries expire after a few minutes.
 */
#ifndef PROXY_DBMAP_H
#define PROXY_DBMAP_H

#include <stddef.h>

/*
 * originating (our domain) sent a db:result to receiving (the remote) on
 * a stream whose id the remote gave as remote_id; the backend computed
 * its key on backend_id.
 */
void	dbmap_add(const char *originating, const char *receiving,
	    const char *remote_id, const char *backend_id);

/*
 * The backend's id for a db:verify from receiving to originating carrying
 * remote_id, into out.  Returns 0, or -1 when none is known.
 */
int	dbmap_lookup(const char *originating, const char *receiving,
	    const char *remote_id, char *out, size_t outlen);

#endif /* PROXY_DBMAP_H */
