/*
 * status.h: what `portcullis-ctl status` prints: live connections as an
 * aligned table, the same as JSON, and one connection in full.
 *
 * Pure formatting: rows are summaries copied off the workers
 * (summary.h); nothing here touches a session or a socket.
 */
#ifndef PROXY_STATUS_H
#define PROXY_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "summary.h"

struct status_info {
	const char	*version;
	uint64_t	 uptime_s;
	unsigned	 workers;
	unsigned	 answered;	/* workers whose sessions are listed */
	unsigned	 generation;	/* configuration in force */
};

/*
 * rows are sorted here by session id.  The table has one line per
 * connection under a header: ID ROLE PEER DOMAIN TLS CIPHER FS AUTH STATE
 * AGE IN OUT.
 */
void	status_table(struct sbuf *b, const struct status_info *si,
	    const struct sess_summary **rows, size_t n);
void	status_json(struct sbuf *b, const struct status_info *si,
	    const struct sess_summary **rows, size_t n);

/* Every field of one connection, one "key: value" per line. */
void	status_show(struct sbuf *b, const struct sess_summary *row);

/* "512", "1.5K", "23K", "4.2M", "1.0G" (powers of 1024). */
void	status_bytes(char *out, size_t len, uint64_t n);

/* "45s", "12m03s", "3h12m", "2d04h". */
void	status_age(char *out, size_t len, uint64_t ms);

/* The STATE column: pre-tls, handshake, encrypted, enc+auth, ... */
const char *status_state(const struct sess_summary *row);

#endif /* PROXY_STATUS_H */
