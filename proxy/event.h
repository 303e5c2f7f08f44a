/*
 * event.h: the event catalogue: every session event's stable name, its
 * severity and the fields it may carry, with each field's JSON type.
 *
 * Owns: the one table that portcullis(8) mirrors in EVENTS (a unit test
 * holds the two together, and checks that every name the code passes to
 * ev_begin() is listed here), and the count of each event since start.
 * Never touches: sessions, sinks, sockets.  Everything here is immutable
 * but the counters, which are atomics any thread may bump.
 *
 * Names are stable: tools downstream match on them.  Renaming one is an
 * incompatible change; add a new one instead.
 */
#ifndef PROXY_EVENT_H
#define PROXY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

enum ev_type {
	EV_T_STRING,		/* JSON string */
	EV_T_NUMBER,		/* JSON number, an unsigned integer */
	EV_T_BOOL		/* JSON true or false; "yes"/"no" on stderr */
};

struct ev_field {
	const char	*name;
	enum ev_type	 type;
};

struct ev_def {
	const char	*name;		/* "tls.sni_mismatch" */
	enum log_level	 level;		/* logged at this level */
	const char	*fields;	/* its field names, space separated */
};

/*
 * The catalogue, sorted by name; ev_catalogue_len entries.  The index of
 * an entry is its number for the counters.
 */
extern const struct ev_def	ev_catalogue[];
extern const size_t		ev_catalogue_len;

/* Every field name any event may carry, sorted by name. */
extern const struct ev_field	ev_fields[];
extern const size_t		ev_fields_len;

/* The catalogue entry called name, or NULL. */
const struct ev_def	*ev_lookup(const char *name);

/* The field called name, or NULL. */
const struct ev_field	*ev_field(const char *name);

/* Does def list field name? */
int	ev_def_has_field(const struct ev_def *def, const char *name);

/*
 * Count one occurrence of def (NULL: an event missing from the
 * catalogue), whether or not its level is logged.
 */
void		ev_count(const struct ev_def *def);
uint64_t	ev_counted(const struct ev_def *def);

/* "error", "warning", "info", "debug". */
const char	*ev_level_name(enum log_level level);

#endif /* PROXY_EVENT_H */
