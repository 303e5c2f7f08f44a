/*
 * leg.c: reading from and writing to one socket of a session.
 */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "leg.h"
#include "log.h"
#include "tls.h"
#include "worker.h"

static void on_handle_closed(uv_handle_t *h);

void
leg_init(struct leg *l, struct session *s, const char *name,
    struct leg *peer)
{
	memset(l, 0, sizeof(*l));
	l->s = s;
	l->peer = peer;
	l->name = name;
	l->state = LEG_NONE;
	snprintf(l->prefix, sizeof(l->prefix), "stream");
}

void
leg_set_ops(struct leg *l, const struct leg_ops *ops)
{
	l->ops = ops;
}

static size_t
hiwat(const struct leg *l)
{
	return l->s->conf->pol->limits.write_queue;
}

size_t
leg_queued(const struct leg *l)
{
	return outq_bytes(&l->out);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct session *s = h->data;
	struct worker *w = s->w;

	(void)suggested;
	/* The loop runs one read at a time; the buffer is free again. */
	assert(!w->readbuf_busy);
	w->readbuf_busy = 1;
	*b = uv_buf_init(w->readbuf, sizeof(w->readbuf));
}

/*
 * Bytes after <starttls/> (or <proceed/>) that arrive before the TLS
 * engine has seen any: a TLS record (first byte 0x16, a handshake) is a
 * pipelined ClientHello and is kept; anything else is plaintext that must
 * never reach a parser, so it is dropped, and logged unless it is only
 * the whitespace sloppy peers send (STANDARDS.md STARTTLS-7).
 */
void
leg_starttls_residual(struct leg *l, const char *p, size_t n)
{
	struct session *s = l->s;
	size_t ws = 0;
	struct ev e;

	if (n == 0)
		return;
	if (buf_len(&l->cipher_in) > 0 || (unsigned char)p[0] == 0x16) {
		if (buf_append(&l->cipher_in, p, n) != 0)
			session_abort(s, "enomem");
		return;
	}
	while (ws < n && (p[ws] == ' ' || p[ws] == '\t' || p[ws] == '\r' ||
	    p[ws] == '\n'))
		ws++;
	if (ws == n)
		return;
	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "starttls.injection");
	ev_str(&e, "peer", s->peer);
	ev_u64(&e, "discarded", n);
	ev_end(&e);
	/* A pipelined ClientHello may follow the injected bytes. */
	for (size_t i = ws; i < n; i++)
		if ((unsigned char)p[i] == 0x16) {
			ev_begin(&e, LOG_LVL_DEBUG, s->id, s->role,
			    "starttls.residual");
			ev_u64(&e, "offset", i);
			ev_end(&e);
			break;
		}
}

/*
 * The peer of leg l went away (EOF, reset, a failed write).  The other
 * side learns of it: a backend gone mid-stream is an error the client
 * must see (ERR-3), a client gone gets its backend stream closed.
 */
void
leg_gone(struct leg *l, const char *reason)
{
	struct session *s = l->s;

	l->eof = 1;
	if (l->state == LEG_SHUTDOWN || s->closing) {
		leg_close_handle(l);
		return;
	}
	if (l->ops != NULL && l->ops->failed != NULL && s->phase != PH_RELAY) {
		l->ops->failed(l, reason);
		return;
	}
	/* Nothing the peer could read is worth waiting for now. */
	leg_close_handle(l);
	if (s->remote.close_sent && s->legacy.close_sent)
		session_close(s, "closed");	/* both streams ended in XML */
	else if (l == s->resp && s->init->hdr_sent && !s->init->close_sent)
		/* Our side of the stream broke: say so (ERR-3). */
		session_stream_error(s, s->dir == POL_S2S_OUT ?
		    "remote-connection-failed" : "internal-server-error", NULL,
		    reason);
	else
		session_close(s, reason);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct leg *l = container_of((union leg_handle *)(void *)stream,
	    struct leg, u);
	struct session *s = l->s;
	size_t n = nread > 0 ? (size_t)nread : 0;

	s->w->readbuf_busy = 0;
	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF) {
			leg_gone(l, l == &s->remote ? "peer-closed" :
			    "backend-closed");
		} else {
			struct ev e;

			ev_begin(&e, nread == UV_ECONNRESET ? LOG_LVL_INFO :
			    LOG_LVL_WARNING, s->id, s->role, "socket.error");
			ev_str(&e, "leg", l->name);
			ev_str(&e, "error", uv_err_name((int)nread));
			ev_end(&e);
			leg_gone(l, l == &s->remote ? "peer-reset" :
			    "backend-reset");
		}
		session_flush(s);
		return;
	}
	s->t_last = uv_now(&s->w->loop);
	switch (l->state) {
	case LEG_PLAIN:
		if (s->closing)
			break;
		/*
		 * Most reads are relayed whole at once: let leg.in view the
		 * loop's buffer, and copy only what is left over.
		 */
		if (buf_len(&l->in) == 0)
			buf_borrow(&l->in, b->base, n);
		else if (buf_append(&l->in, b->base, n) != 0) {
			session_abort(s, "enomem");
			break;
		}
		l->bytes_in += n;
		l->ops->input(l, buf_ptr(&l->in) + buf_len(&l->in) - n, n);
		if (buf_unborrow(&l->in) != 0)
			session_abort(s, "enomem");
		break;
	case LEG_STARTTLS:
		leg_starttls_residual(l, b->base, n);
		break;
	case LEG_HANDSHAKE:
	case LEG_TLS:
	case LEG_SHUTDOWN:
		if (l->tls == NULL)
			break;		/* a plaintext leg draining: discard */
		tls_input_read(l, b->base, n);
		break;
	case LEG_NONE:
	case LEG_CONNECTING:
	case LEG_CLOSED:
		break;
	}
	session_flush(s);
}

int
leg_read_start(struct leg *l)
{
	int rc;

	if (l->reading || l->paused || !l->inited || l->state == LEG_CLOSED ||
	    l->eof)
		return 0;
	if ((rc = uv_read_start(&l->u.s, on_alloc, on_read)) != 0)
		return rc;
	l->reading = 1;
	return 0;
}

void
leg_read_stop(struct leg *l)
{
	if (l->reading && l->inited && l->state != LEG_CLOSED)
		uv_read_stop(&l->u.s);
	l->reading = 0;
}

/*
 * With nothing queued or in flight before them, bytes can go to the
 * socket at once, from the caller's memory: one copy (into the kernel)
 * instead of two.  Not on a leg whose drained hook waits for a write
 * callback (<proceed/> before TLS), nor before or after a stream is up.
 */
size_t
leg_write_now(struct leg *l, const uv_buf_t *b, unsigned n)
{
	int rc;

	if (l->writing || outq_bytes(&l->out) != 0 || !l->inited ||
	    (l->state != LEG_TLS && (l->state != LEG_PLAIN ||
	    (l->ops != NULL && l->ops->drained != NULL))))
		return 0;
	rc = uv_try_write(&l->u.s, b, n);
	return rc > 0 ? (size_t)rc : 0;
}

int
leg_queue_raw(struct leg *l, const void *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
	size_t w = n <= UINT_MAX ? leg_write_now(l, &b, 1) : 0;

	if (w < n && outq_append(&l->out, (const char *)p + w, n - w) != 0) {
		session_abort(l->s, "enomem");
		return -1;
	}
	return 0;
}

int
leg_send(struct leg *l, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if (l->state == LEG_CLOSED)
		return -1;
	if (l->tls != NULL && (l->state == LEG_TLS ||
	    l->state == LEG_SHUTDOWN))
		rc = tls_send(l, p, n);
	else
		rc = leg_queue_raw(l, p, n);
	if (rc == 0) {
		l->bytes_out += n;
		leg_after_queue(l);
	}
	return rc;
}

int
leg_send_str(struct leg *l, const char *str)
{
	return leg_send(l, str, strlen(str));
}

void
leg_after_queue(struct leg *l)
{
	struct leg *p = l->peer;

	if (leg_queued(l) >= hiwat(l) && !p->paused) {
		p->paused = 1;
		leg_read_stop(p);
	}
}

/* l drained below the low-water mark: let its peer read again. */
static void
resume_peer(struct leg *l)
{
	struct leg *p = l->peer;

	if (!p->paused || leg_queued(l) > hiwat(l) / 4)
		return;
	p->paused = 0;
	if (l->s->closing)
		return;
	/* Records GnuTLS already holds are not announced by the socket. */
	if (p->tls != NULL && p->state == LEG_TLS)
		tls_input(p);
	if (!p->paused)
		leg_read_start(p);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct leg *l = container_of(req, struct leg, sreq);

	if (status < 0 && status != UV_ECANCELED)
		leg_close_handle(l);
}

static void
on_write_done(uv_write_t *req, int status)
{
	struct leg *l = container_of(req, struct leg, wreq);
	struct session *s = l->s;

	l->writing = 0;
	outq_done(&l->out);
	if (status == UV_ECANCELED)
		return;
	if (status < 0) {
		struct ev e;

		ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "socket.error");
		ev_str(&e, "leg", l->name);
		ev_str(&e, "error", uv_err_name(status));
		ev_end(&e);
		outq_free(&l->out);
		leg_gone(l, l == &s->remote ? "peer-write-failed" :
		    "backend-write-failed");
		session_flush(s);
		return;
	}
	resume_peer(l);
	if (leg_queued(l) > 0) {
		leg_flush(l);
		return;
	}
	if (l->state == LEG_SHUTDOWN && l->inited) {
		/* Our close went out; send FIN and wait for the peer's. */
		if (uv_shutdown(&l->sreq, &l->u.s, on_shutdown) != 0)
			leg_close_handle(l);
		return;
	}
	if (l->ops != NULL && l->ops->drained != NULL)
		l->ops->drained(l);
	session_flush(s);
}

void
leg_flush(struct leg *l)
{
	uv_buf_t bufs[OUTQ_MAXBUFS];
	unsigned n;

	if (l->writing || !l->inited || l->state == LEG_CLOSED ||
	    l->state == LEG_CONNECTING || l->state == LEG_NONE ||
	    leg_queued(l) == 0)
		return;
	n = outq_take(&l->out, bufs);
	if (n == 0)
		return;
	if (uv_write(&l->wreq, &l->u.s, bufs, n, on_write_done) != 0) {
		outq_done(&l->out);
		leg_close_handle(l);
		session_close(l->s, "write-failed");
		return;
	}
	l->writing = 1;
}

void
leg_begin_close(struct leg *l)
{
	switch (l->state) {
	case LEG_NONE:
		l->state = LEG_CLOSED;
		return;
	case LEG_CONNECTING:
	case LEG_STARTTLS:
	case LEG_HANDSHAKE:
		/* No stream to close politely: flush any alert, then go. */
		if (leg_queued(l) == 0 || !l->inited) {
			leg_close_handle(l);
			return;
		}
		l->state = LEG_SHUTDOWN;
		break;
	case LEG_TLS:
		if (!l->bye_sent) {
			l->bye_sent = 1;
			/* Non-blocking: queues close_notify through push. */
			gnutls_bye(l->tls, GNUTLS_SHUT_WR);
		}
		l->state = LEG_SHUTDOWN;
		break;
	case LEG_PLAIN:
		l->state = LEG_SHUTDOWN;
		break;
	case LEG_SHUTDOWN:
	case LEG_CLOSED:
		return;
	}
	if (l->eof) {
		leg_close_handle(l);
		return;
	}
	/* Read on to see the peer's close; what it says is discarded. */
	l->paused = 0;
	leg_read_start(l);
	if (leg_queued(l) == 0 && !l->writing) {
		if (uv_shutdown(&l->sreq, &l->u.s, on_shutdown) != 0)
			leg_close_handle(l);
	} else
		leg_flush(l);
}

void
leg_close_handle(struct leg *l)
{
	struct session *s = l->s;

	if (l->state == LEG_CLOSED && (!l->inited ||
	    uv_is_closing(&l->u.h)))
		return;
	l->state = LEG_CLOSED;
	l->reading = 0;
	if (l->inited && !uv_is_closing(&l->u.h))
		uv_close(&l->u.h, on_handle_closed);
	session_leg_closed(s);
}

static void
on_handle_closed(uv_handle_t *h)
{
	session_handle_closed(h->data);
}

void
leg_idle(struct leg *l)
{
	if (l->s->closing || l->state == LEG_CLOSED)
		return;
	if (l->xs != NULL)
		xs_idle(l->xs);
	buf_trim(&l->in);
	buf_trim(&l->cipher_in);
}

void
leg_free(struct leg *l)
{
	if (l->xs != NULL)
		xs_free(l->xs);
	if (l->tls != NULL)
		gnutls_deinit(l->tls);
	buf_free(&l->in);
	buf_free(&l->cipher_in);
	outq_free(&l->out);
	l->xs = NULL;
	l->tls = NULL;
}
