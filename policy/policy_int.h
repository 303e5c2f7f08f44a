/*
 * policy_int.h: what the files of policy/ share and nobody else sees.
 */
#ifndef POLICY_INT_H
#define POLICY_INT_H

#include <stddef.h>

#include "policy.h"

#define POL__PRIORITY_MAX	1024

/* An arena: every string and array of one snapshot, freed at once. */
struct pol__mem;

struct pol	*pol__new(const char *file);
void		*pol__calloc(struct pol__mem *m, size_t n, size_t size);
const char	*pol__strdup(struct pol__mem *m, const char *s);

/* The built-in top-level settings. */
void		 pol__top_defaults(struct pol *p);
/* The built-in log sinks and control socket. */
void		 pol__log_defaults(struct pol_log *log,
		    struct pol_control *ctl);

/* The built-in rule: TLS 1.2 and 1.3, ECDHE with AEAD only, enforce. */
void		 pol__rule_default(struct pol_rule *r);

/* The wider priority string a report-mode rule hands GnuTLS. */
void		 pol__priority_relaxed(const struct pol_rule *r, char *buf,
		    size_t len);

/* The GnuTLS priority string for a rule's versions and FS setting. */
void		 pol__priority(const struct pol_rule *r, char *buf,
		    size_t len);

/* 0 if GnuTLS accepts prio; else -1 and *where points into prio. */
int		 pol__priority_check(const char *prio, const char **where);

#endif /* POLICY_INT_H */
