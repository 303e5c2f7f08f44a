/*
 * worker.h: one thread, one libuv loop, its own listening sockets.
 *
 * Every worker binds every configured address with SO_REUSEPORT, so the
 * kernel spreads connections across workers and a connection never
 * migrates.  Workers share nothing writable: the conf is an immutable
 * snapshot.  The main thread talks to a worker only through its async
 * handle (stop, snapshots for the control socket).
 */
#ifndef PROXY_WORKER_H
#define PROXY_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

#include <uv.h>

#include "policy/policy.h"

struct session;
struct worker;

struct listener {
	uv_tcp_t		 tcp;		/* tcp.data == the worker */
	struct worker		*w;
	enum pol_role		 role;
	enum pol_tlsmode	 tls;
	char			 text[80];	/* the address, for logs */
	char			 domain[256];	/* default domain, or "" */
	int			 open;
};

enum worker_cmd {
	WORKER_CMD_NONE		= 0,
	WORKER_CMD_STOP		= 1 << 0,
	WORKER_CMD_SNAPSHOT	= 1 << 1	/* answer w->snap (control.c) */
};

struct snap_round;

struct worker {
	unsigned		 idx;
	uv_thread_t		 thread;
	uv_loop_t		 loop;
	uv_async_t		 async;
	_Atomic unsigned	 cmd;		/* WORKER_CMD_* bits */
	/* A snapshot request from the control socket, or NULL. */
	struct snap_round *_Atomic snap;
	int			 stopping;
	_Atomic int		 finished;	/* the loop has ended */
	uv_async_t		*on_done;	/* told when it has */
	struct listener		*listeners;
	size_t			 nlisteners;
	struct session		*sessions;	/* doubly linked */
	unsigned		 nsessions;
	/*
	 * One read buffer for the whole loop: libuv calls the alloc and
	 * read callbacks back to back, and every read is consumed or
	 * copied before the next, so an idle connection holds none.
	 */
	char			 readbuf[65536];
	int			 readbuf_busy;
	/*
	 * Ciphertext of the read being handled, pulled by GnuTLS straight
	 * from readbuf (after pull_leg's cipher_in); what is left when the
	 * read has been handled is copied to cipher_in.
	 */
	struct leg		*pull_leg;
	const char		*pull;
	size_t			 pull_len;
	/*
	 * Plaintext of the records of one read, lent to that leg's in
	 * (tls.c), relayed and so emptied once the read has been handled.
	 */
	char			 plain[131072];
	int			 plain_busy;
	/* Frees parsers and buffers of sessions that went quiet. */
	uv_timer_t		 sweep;
	uint64_t		 swept;		/* uv_now() of the last sweep */
};

/*
 * Open listening sockets for every listener of p on worker w (bound with
 * SO_REUSEPORT).  Returns 0, or -1 after logging which address failed.
 */
int	worker_init(struct worker *w, unsigned idx, const struct pol *p);
int	worker_start(struct worker *w);
void	worker_command(struct worker *w, enum worker_cmd cmd);
void	worker_join(struct worker *w);

void	worker_add_session(struct worker *w, struct session *s);
void	worker_remove_session(struct worker *w, struct session *s);

#endif /* PROXY_WORKER_H */
