/*
 * log.h: the daemon's log: plain lines for the operator and session events.
 *
 * Every record is one write(2) of one line, so lines from worker threads
 * never interleave.  Session events are built field by field (struct ev)
 * so the same record is written as a readable line on standard error and,
 * where configured, as one JSON object per line to the events file and to
 * syslog; values never carry secrets (no SASL payloads, passwords,
 * dialback keys or key material).  Event names, levels and fields come
 * from the catalogue (event.h).
 *
 * The sinks are opened and reopened by the main thread (log_configure(),
 * log_reopen()); any thread may log.  A sink that fails is reported once
 * on standard error, counted, and logging carries on to the others.
 */
#ifndef PROXY_LOG_H
#define PROXY_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum log_level {
	LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG
};

void	log_init(enum log_level level);
void	log_setlevel(enum log_level level);
int	log_enabled(enum log_level level);

/* Where records go besides standard error; strings are copied. */
struct log_sinks {
	const char	*events;	/* JSON lines file, NULL: none */
	int		 syslog;	/* send to syslog too */
	int		 facility;	/* LOG_DAEMON, ... (syslog.h) */
	const char	*syslog_socket;	/* "/dev/log" */
};

/*
 * Main thread only.  Apply sinks: (re)open the events file with O_APPEND
 * even if its name is unchanged, which is what log rotation needs.  A file
 * that cannot be opened is reported and its records are dropped (the
 * stderr line stays); returns -1 then, else 0.
 */
int	log_configure(const struct log_sinks *sinks);

/* Main thread only: reopen the events file under its current name. */
int	log_reopen(void);

/* Close the sinks at exit. */
void	log_fini(void);

/*
 * Offer syslog the records it could not take yet.  Returns 1 when none
 * wait any more.  The main loop calls it a few times a second.
 */
int	log_flush(void);

/* Records a sink could not take since start: write errors, drops. */
struct log_stats {
	uint64_t	 events_errors;
	uint64_t	 syslog_errors;
	uint64_t	 undocumented;	/* fields the catalogue lacks */
};
void	log_stats(struct log_stats *st);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

struct ev_def;

/*
 * A session event: on stderr "<time> <level> <session id> <role> <name>
 * key=value ...", in JSON {"ts", "level", "session", "role", "event",
 * then the fields typed}.  A field that does not fit is dropped whole and
 * the record says so (truncated=1, "truncated":true).
 */
struct ev {
	const struct ev_def *def;	/* NULL: name not in the catalogue */
	const char	*name;
	enum log_level	 level;
	int		 on;		/* level enabled: build the record */
	int		 json;		/* a JSON sink wants it too */
	int		 truncated;
	size_t		 len;
	char		 line[2048];
	struct jw	 jw;
	char		 jbuf[4096];
};

/*
 * Start an event.  name must be in the catalogue (the unit test t_event
 * checks every call); the event is counted even when level is not logged.
 */
void	ev_begin(struct ev *e, enum log_level level, uint64_t sid,
	    const char *role, const char *name);
void	ev_str(struct ev *e, const char *key, const char *val);
void	ev_u64(struct ev *e, const char *key, uint64_t val);
void	ev_bool(struct ev *e, const char *key, int val);
void	ev_fmt(struct ev *e, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	ev_end(struct ev *e);

#endif /* PROXY_LOG_H */
