/*
 * outq.c: the output queue of outq.h.
 */
#include <stdlib.h>
#include <string.h>

#include "outq.h"

/* Room for one full TLS record with its overhead. */
#define OUTQ_CHUNK	(16384 + 512)

int
outq_append(struct outq *q, const void *p, size_t n)
{
	struct outq_chunk *c = q->tail;
	const char *src = p;

	while (n > 0) {
		size_t room;

		if (c == NULL || c->busy || c->len == c->cap) {
			size_t cap = n > OUTQ_CHUNK ? n : OUTQ_CHUNK;

			if ((c = malloc(sizeof(*c) + cap)) == NULL)
				return -1;
			c->next = NULL;
			c->len = 0;
			c->cap = cap;
			c->busy = 0;
			if (q->tail != NULL)
				q->tail->next = c;
			else
				q->head = c;
			q->tail = c;
		}
		room = c->cap - c->len;
		if (room > n)
			room = n;
		memcpy(c->data + c->len, src, room);
		c->len += room;
		q->bytes += room;
		src += room;
		n -= room;
	}
	return 0;
}

unsigned
outq_take(struct outq *q, uv_buf_t *bufs)
{
	unsigned n = 0;

	for (struct outq_chunk *c = q->head; c != NULL && n < OUTQ_MAXBUFS;
	    c = c->next) {
		if (c->busy)
			continue;
		c->busy = 1;
		bufs[n++] = uv_buf_init(c->data, (unsigned)c->len);
	}
	return n;
}

void
outq_done(struct outq *q)
{
	struct outq_chunk *c;

	while ((c = q->head) != NULL && c->busy) {
		q->head = c->next;
		q->bytes -= c->len;
		free(c);
	}
	if (q->head == NULL)
		q->tail = NULL;
}

void
outq_free(struct outq *q)
{
	struct outq_chunk *c, *next;

	for (c = q->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	q->head = q->tail = NULL;
	q->bytes = 0;
}
