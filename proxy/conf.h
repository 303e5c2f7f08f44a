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
#include <stdio.h>

#include <gnutls/dane.h>
#include <gnutls/gnutls.h>

#include "certstore/certstore.h"
#include "policy/policy.h"
#include "xmlstream/xmlstream.h"

/* Something the operator should read about a loaded configuration. */
struct conf_note {
	int			 warning;	/* else information */
	char			 text[400];
};

struct conf {
	_Atomic unsigned	 refs;
	unsigned		 generation;	/* 1 for the first load */
	struct pol		*pol;
	struct cs		*cs;
	/* One cache per distinct priority string, pol->priorities[i]. */
	gnutls_priority_t	*prios;
	/* Each direction's handshake cache, an alias into prios. */
	gnutls_priority_t	 prio[POL_NDIR];
	struct xs_limits	 xlim;
	struct conf_note	*notes;		/* certificates, coverage */
	size_t			 nnotes;
	/* DNSSEC trust anchors (an ldns_rr_list), NULL: not validating. */
	struct ldns_struct_rr_list *anchors;
	/*
	 * What certstore matches TLSA records with (libgnutls-dane reads
	 * only its flags, so every thread shares it).
	 */
	dane_state_t		 dane;
};

struct dns_conf;

/*
 * How a lookup for c asks and what it believes; want_tlsa for DANE,
 * history to compare with the peer history.  dc's pointers live as long
 * as c.
 */
void		 conf_dns(const struct conf *c, int want_tlsa, int history,
		    struct dns_conf *dc);

/*
 * Load path into a new conf with one reference: the policy, the trust
 * anchors, our chains (refused if expired, weak, or not naming their
 * domain), a GnuTLS cache per priority string.  Nothing is created on
 * disk.  On failure returns -1 and writes "file:line: message" into err.
 */
int		 conf_load(const char *path, struct conf **out, char *err,
		    size_t errlen);

/*
 * The GnuTLS cache for rule r of c: what handshakes use, or with strict
 * the rule's own string (what tlspolicy.c checks against).  Never NULL.
 */
gnutls_priority_t conf_priority(const struct conf *c,
		    const struct pol_rule *r, int strict);

/*
 * Create the state directory where s2s peer history lives, if c has an
 * s2s listener; a failure is logged and leaves history off.
 */
void		 conf_prepare_state(const struct conf *c);

/*
 * Print what portcullis -n shows: per listener and served domain the
 * rule and grade, per rule the protocols, suites and grade, the chains,
 * the notes.  Returns 1 if a grade is below c's minimum-grade, else 0.
 */
int		 conf_report(const struct conf *c, FILE *f);
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
