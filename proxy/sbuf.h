/*
 * sbuf.h: a growing text buffer for replies on the control socket.
 *
 * The buffer is malloc()ed and belongs to the struct sbuf until
 * sb_free().  An allocation failure sets nomem and every later append
 * does nothing, so callers check once at the end.
 */
#ifndef PROXY_SBUF_H
#define PROXY_SBUF_H

#include <stddef.h>

struct sbuf {
	char		*p;		/* NUL-terminated when len > 0 */
	size_t		 len, cap;
	int		 nomem;
};

void	sb_printf(struct sbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	sb_add(struct sbuf *b, const char *s, size_t n);
void	sb_free(struct sbuf *b);

#endif /* PROXY_SBUF_H */
