/*
 * outq.h: the bytes queued to one socket, in chunks handed to uv_write.
 *
 * Appends go to the last chunk while it is not being written, so many
 * small pieces (TLS records, stanzas) leave in few large writes.  A chunk
 * in flight belongs to libuv until its write callback runs.
 */
#ifndef PROXY_OUTQ_H
#define PROXY_OUTQ_H

#include <stddef.h>

#include <uv.h>

struct outq_chunk {
	struct outq_chunk	*next;
	size_t			 len, cap;
	int			 busy;		/* handed to uv_write */
	char			 data[];
};

struct outq {
	struct outq_chunk	*head, *tail;
	size_t			 bytes;		/* queued, incl. in flight */
};

#define OUTQ_MAXBUFS	16

/* Append n bytes; 0, or -1 when out of memory. */
int	outq_append(struct outq *q, const void *p, size_t n);

/*
 * Fill bufs (at most OUTQ_MAXBUFS) with the chunks not yet in flight and
 * mark them busy; returns how many.
 */
unsigned outq_take(struct outq *q, uv_buf_t *bufs);

/* The busy chunks were written (or failed): free them. */
void	outq_done(struct outq *q);

static inline size_t
outq_bytes(const struct outq *q)
{
	return q->bytes;
}

void	outq_free(struct outq *q);

#endif /* PROXY_OUTQ_H */
