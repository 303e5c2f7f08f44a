/*
 * leg.h: one socket of a session: reading, queued writes, backpressure.
 *
 * What a leg does with the bytes it reads depends on its state: plaintext
 * goes to leg->in and then to the session's input handler, ciphertext to
 * GnuTLS (tls.c), which decrypts into leg->in.  Writes are queued in
 * leg->out and leave in one uv_write at a time.  Once a leg's queue
 * reaches the high-water mark its peer stops reading, and it resumes
 * below the low-water mark, so a slow consumer costs bounded memory.
 */
#ifndef PROXY_LEG_H
#define PROXY_LEG_H

#include <stddef.h>

#include "session.h"

struct leg_ops {
	/*
	 * Plaintext arrived: [p, p + n) are the last n bytes of l->in.
	 * Called for socket bytes on a plaintext leg and for decrypted
	 * bytes on a TLS leg.
	 */
	void	(*input)(struct leg *l, const char *p, size_t n);
	/* The TLS handshake on l completed. */
	void	(*tls_up)(struct leg *l);
	/* Everything queued on l has been written. */
	void	(*drained)(struct leg *l);
	/*
	 * l failed (TLS error, closed, reset) while it was still being
	 * negotiated; NULL closes the session.  Outbound s2s uses it to
	 * try the next server.
	 */
	void	(*failed)(struct leg *l, const char *reason);
};

void	leg_init(struct leg *l, struct session *s, const char *name,
	    struct leg *peer);
void	leg_set_ops(struct leg *l, const struct leg_ops *ops);

/*
 * Bytes received after <starttls/> (or <proceed/>) before TLS has seen
 * any: keep a pipelined TLS record, drop and log anything else.
 */
void	leg_starttls_residual(struct leg *l, const char *p, size_t n);

/*
 * The peer of l went away (EOF, close_notify, reset, failed write): close
 * l and tell the other side (<internal-server-error/> to a client whose
 * backend died mid-stream).
 */
void	leg_gone(struct leg *l, const char *reason);

/* Start or stop reading from the socket (respecting backpressure). */
int	leg_read_start(struct leg *l);
void	leg_read_stop(struct leg *l);

/*
 * Queue plaintext: encrypted if l has TLS up, as is otherwise.  Returns
 * 0, or -1 after closing the session (out of memory, TLS error).
 */
int	leg_send(struct leg *l, const void *p, size_t n);
int	leg_send_str(struct leg *l, const char *s);

/*
 * Queue bytes exactly as given, or write them at once when nothing is
 * queued before them.  0, or -1 after closing the session.
 */
int	leg_queue_raw(struct leg *l, const void *p, size_t n);

/*
 * Write what the socket takes now, straight from b, if nothing is queued
 * or in flight on l and its stream is up; returns the bytes written.
 */
size_t	leg_write_now(struct leg *l, const uv_buf_t *b, unsigned n);

/* Start a write of whatever is queued, unless one is in flight. */
void	leg_flush(struct leg *l);

/* Bytes queued on l, incl. what libuv has not written yet. */
size_t	leg_queued(const struct leg *l);

/* Apply backpressure after queueing on l: pause the peer if l is full. */
void	leg_after_queue(struct leg *l);

/* Begin the graceful close of a leg (see session_close()). */
void	leg_begin_close(struct leg *l);

/* Close the leg's handle now. */
void	leg_close_handle(struct leg *l);

/*
 * The session has been quiet: give back the parser's context and empty
 * buffers; they are made again when bytes arrive.
 */
void	leg_idle(struct leg *l);

/* Free what the leg holds; after every close callback. */
void	leg_free(struct leg *l);

#endif /* PROXY_LEG_H */
