/*
 * log.h: the daemon's log: plain lines for the operator and session events.
 *
 * Every record is one write(2) of one line, so lines from worker threads
 * never interleave.  Session events are built field by field (struct ev)
 * so the same record can be written as a readable line and, where
 * configured, as a JSON line; values never carry secrets (no SASL
 * payloads, passwords, dialback keys or key material).
 */
#ifndef PROXY_LOG_H
#define PROXY_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG
};

void	log_init(enum log_level level);
void	log_setlevel(enum log_level level);
int	log_enabled(enum log_level level);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * A session event: "<session id> <role> <name> key=value ...".  Fields
 * that do not fit are dropped and the record says so (truncated=1).
 */
struct ev {
	enum log_level	 level;
	int		 on;		/* level enabled: build the record */
	size_t		 len;
	char		 line[2048];
};

void	ev_begin(struct ev *e, enum log_level level, uint64_t sid,
	    const char *role, const char *name);
void	ev_str(struct ev *e, const char *key, const char *val);
void	ev_u64(struct ev *e, const char *key, uint64_t val);
void	ev_fmt(struct ev *e, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	ev_end(struct ev *e);

#endif /* PROXY_LOG_H */
