/*
 * conf.h: the running configuration: the policy snapshot, the certstore
 * built from it, and what is derived once per load (GnuTLS priority
 * caches, parser limits), so no handshake repeats that work.
 *
 * A struct conf is immutable and shared by every worker.  A session takes
 * a reference when it starts and keeps that conf to its end; a reload
 * installs a new one for the sessions that start afterwards.
 */
#ifndef PROXY_CONF_H
#define PROXY_CONF_H

#include <stdatomic.h>

#include <gnutls/gnutls.h>

#include "certstore/certstore.h"
#include "policy/policy.h"
#include "xmlstream/xmlstream.h"

struct conf {
	_Atomic unsigned	 refs;
	unsigned		 generation;	/* 1 for the first load */
	struct pol		*pol;
	struct cs		*cs;
	gnutls_priority_t	 prio[POL_NDIR];
	struct xs_limits	 xlim;
};

/*
 * Load path into a new conf with one reference.  On failure returns -1
 * and writes "file:line: message" into err.
 */
int		 conf_load(const char *path, struct conf **out, char *err,
		    size_t errlen);
struct conf	*conf_ref(struct conf *c);
void		 conf_unref(struct conf *c);

/* The conf new sessions use, with a new reference for the caller. */
struct conf	*conf_current(void);

/*
 * Make c the current conf; takes over the caller's reference.  NULL drops
 * the current one (at exit).
 */
void		 conf_install(struct conf *c);

/* Log every effective setting (POL-2), with warnings for weak ones. */
void		 conf_log(const struct conf *c);

#endif /* PROXY_CONF_H */
