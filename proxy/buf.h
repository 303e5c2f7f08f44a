/*
 * buf.h: a growable byte buffer with a read head, for one leg's input.
 *
 * Consuming advances the head and never moves or frees bytes, so pointers
 * into the buffer stay valid until the next buf_reserve() or buf_trim().
 * buf_trim() gives an emptied buffer's memory back, so an idle connection
 * holds no buffer.  A buffer may also borrow the bytes of a read for as
 * long as the read is being handled (buf_borrow()), which saves copying
 * what is consumed right away.
 */
#ifndef PROXY_BUF_H
#define PROXY_BUF_H

#include <stddef.h>

struct buf {
	char		*data;
	size_t		 head;		/* first unread byte */
	size_t		 tail;		/* one past the last byte */
	size_t		 cap;		/* room lent, or 0 while borrowed */
	int		 borrowed;	/* data is someone else's memory */
};

static inline size_t
buf_len(const struct buf *b)
{
	return b->tail - b->head;
}

static inline const char *
buf_ptr(const struct buf *b)
{
	/* An empty buffer may have no storage: no arithmetic on NULL. */
	return b->head != 0 ? b->data + b->head : b->data;
}

/*
 * Make room for at least n more bytes after the tail; returns a pointer
 * to that room, or NULL when out of memory (the buffer is unchanged).
 * May move the unread bytes.
 */
char	*buf_reserve(struct buf *b, size_t n);

/* Declare n bytes written at the pointer buf_reserve() returned. */
void	 buf_commit(struct buf *b, size_t n);

/* Append n bytes; 0, or -1 when out of memory. */
int	 buf_append(struct buf *b, const void *p, size_t n);

/* Drop n unread bytes from the head. */
void	 buf_consume(struct buf *b, size_t n);

/* Free the memory of an empty buffer; a no-op when bytes are unread. */
void	 buf_trim(struct buf *b);

/* Copy out at most n unread bytes and consume them; returns the count. */
size_t	 buf_take(struct buf *b, void *dst, size_t n);

void	 buf_free(struct buf *b);

/*
 * Make an empty buffer a view of n bytes at p, which stay valid and
 * unchanged until buf_unborrow(); no copy.  Consuming works as usual; any
 * call that adds bytes first copies the unread ones to memory of its own.
 */
void	 buf_borrow(struct buf *b, const char *p, size_t n);

/*
 * Make an empty buffer write into cap bytes at p, someone else's, until
 * buf_unborrow(): buf_reserve() gives room there while there is enough,
 * and otherwise first copies the unread bytes to memory of its own.
 */
void	 buf_lend(struct buf *b, char *p, size_t cap);

/*
 * End the view: unread bytes are copied to memory of the buffer's own.
 * Returns 0, or -1 when out of memory (the buffer is then empty).  A
 * no-op on a buffer that is not borrowed.
 */
int	 buf_unborrow(struct buf *b);

#endif /* PROXY_BUF_H */
