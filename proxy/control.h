/*
 * control.h: the control socket that portcullis-ctl(8) talks to.
 *
 * Owns the unix socket (created root-only by default), its clients and
 * the gathering of live connections: a command that needs them posts a
 * snapshot request to every worker through its async handle; each worker
 * copies its sessions' summaries into plain memory on its own thread, and
 * the main thread formats the reply once all have answered (or after two
 * seconds, saying which are missing).  No session is ever touched from
 * another thread.
 *
 * Protocol: one command line per connection ("status", "status json",
 * "show <id>", "metrics", "help"), one reply, then the server closes.  An
 * error reply starts with "error: ".
 *
 * Everything runs on the main thread but control_worker_snapshot().
 */
#ifndef PROXY_CONTROL_H
#define PROXY_CONTROL_H

#include <uv.h>

#include "policy/policy.h"

struct worker;

/*
 * Listen on pc->socket (nothing if NULL).  Call before the workers
 * start: the socket is created under a umask.  Returns 0, or -1 after
 * logging why; the daemon runs on without a control socket then.
 */
int	control_start(uv_loop_t *loop, const struct pol_control *pc,
	    struct worker *workers, unsigned nworkers);

/* A reload asked for another socket: say it needs a restart. */
void	control_reload(const struct pol_control *old,
	    const struct pol_control *new);

/* Stop listening, drop clients, remove the socket (before workers stop). */
void	control_stop(void);

/* Release the rest, after every worker has been joined. */
void	control_fini(void);

/* On worker w's thread: answer the snapshot request posted to it. */
void	control_worker_snapshot(struct worker *w);

#endif /* PROXY_CONTROL_H */
