/*
 * buf.c: the byte buffer of buf.h.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN		4096

char *
buf_reserve(struct buf *b, size_t n)
{
	size_t len = buf_len(b), cap;
	char *d;

	if (b->borrowed) {
		/* Room lent to us will do; else own the unread bytes first. */
		if (b->cap - b->tail >= n)
			return b->data + b->tail;
		if (buf_unborrow(b) != 0)
			return NULL;
	}
	/* No storage yet (head, tail and cap all 0): straight to malloc. */
	if (b->data != NULL) {
		if (b->cap - b->tail >= n)
			return b->data + b->tail;
		/* Slide the unread bytes down when that makes enough room. */
		if (b->head > 0 && b->cap - len >= n) {
			memmove(b->data, b->data + b->head, len);
			b->head = 0;
			b->tail = len;
			return b->data + b->tail;
		}
	}
	if (len + n < len)
		return NULL;
	cap = b->cap ? b->cap : BUF_MIN;
	while (cap < len + n) {
		if (cap > (size_t)-1 / 2)
			return NULL;
		cap *= 2;
	}
	if ((d = malloc(cap)) == NULL)
		return NULL;
	if (b->data != NULL && len > 0)
		memcpy(d, b->data + b->head, len);
	free(b->data);
	b->data = d;
	b->head = 0;
	b->tail = len;
	b->cap = cap;
	return d + len;
}

void
buf_commit(struct buf *b, size_t n)
{
	b->tail += n;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	char *dst;

	if (n == 0)
		return 0;
	if ((dst = buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(dst, p, n);
	b->tail += n;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n > buf_len(b))
		n = buf_len(b);
	b->head += n;
}

void
buf_trim(struct buf *b)
{
	if (buf_len(b) == 0)
		buf_free(b);
}

size_t
buf_take(struct buf *b, void *dst, size_t n)
{
	size_t len = buf_len(b);

	if (n > len)
		n = len;
	if (n == 0)
		return 0;
	memcpy(dst, buf_ptr(b), n);
	buf_consume(b, n);
	return n;
}

void
buf_free(struct buf *b)
{
	if (!b->borrowed)
		free(b->data);
	b->data = NULL;
	b->head = b->tail = b->cap = 0;
	b->borrowed = 0;
}

void
buf_borrow(struct buf *b, const char *p, size_t n)
{
	assert(buf_len(b) == 0);
	buf_free(b);
	b->data = (char *)(uintptr_t)p;
	b->tail = n;
	b->borrowed = 1;
}

void
buf_lend(struct buf *b, char *p, size_t cap)
{
	assert(buf_len(b) == 0);
	buf_free(b);
	b->data = p;
	b->cap = cap;
	b->borrowed = 1;
}

int
buf_unborrow(struct buf *b)
{
	const char *p;
	size_t len = buf_len(b);

	if (!b->borrowed)
		return 0;
	p = len > 0 ? b->data + b->head : NULL;
	b->data = NULL;
	b->head = b->tail = b->cap = 0;
	b->borrowed = 0;
	return buf_append(b, p, len);
}
