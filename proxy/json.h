/*
 * json.h: writing JSON text into a caller's buffer.
 *
 * Owns: escaping (any byte sequence becomes a valid JSON string: control
 * characters are \u-escaped, and bytes that are not UTF-8 become U+FFFD,
 * so a peer's SNI or element name can never break a record) and the
 * commas between members.  It never allocates when the buffer is fixed,
 * and never writes a member partially: a member that does not fit is left
 * out whole and jw->truncated says so.
 *
 * The buffer belongs to the caller.  With grow set, it is a malloc()ed
 * buffer the writer may realloc(); the caller frees jw->buf.
 */
#ifndef PROXY_JSON_H
#define PROXY_JSON_H

#include <stddef.h>
#include <stdint.h>

struct jw {
	char		*buf;
	size_t		 len;		/* written; buf[len] is NUL */
	size_t		 cap;
	unsigned	 depth;		/* objects and arrays open */
	unsigned	 first;		/* bit per depth: no member */
	unsigned	 skipped;	/* bit per depth: opener left out */
	unsigned	 grow:1;	/* buf is malloc()ed; realloc it */
	unsigned	 nomem:1;	/* growing failed */
	unsigned	 truncated:1;	/* a member was left out */
};

/* Write into buf[0, cap); cap includes room for the NUL. */
void	jw_init(struct jw *w, char *buf, size_t cap);

/* Write into a malloc()ed buffer that grows; jw->buf may be NULL at first. */
void	jw_init_grow(struct jw *w);

/* { and }; [ and ].  key is NULL inside an array or at the top. */
void	jw_open(struct jw *w, const char *key);
void	jw_close(struct jw *w);
void	jw_open_array(struct jw *w, const char *key);
void	jw_close_array(struct jw *w);

/* A member (or an array element when key is NULL).  val NULL is null. */
void	jw_str(struct jw *w, const char *key, const char *val);
void	jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void	jw_u64(struct jw *w, const char *key, uint64_t val);
void	jw_bool(struct jw *w, const char *key, int val);

/*
 * Escape n bytes of s as the inside of a JSON string (no quotes) into
 * out[0, cap).  Returns the length written, or (size_t)-1 if it does not
 * fit (out is then unusable).  Exposed for the tests.
 */
size_t	json_escape(char *out, size_t cap, const char *s, size_t n);

#endif /* PROXY_JSON_H */
