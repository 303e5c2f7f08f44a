/*
 * conf.c: loading, sharing and swapping the running configuration.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"

static pthread_mutex_t	 current_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct conf	*current;
static unsigned		 generations;

static void
conf_free(struct conf *c)
{
	for (int d = 0; d < POL_NDIR; d++)
		if (c->prio[d] != NULL)
			gnutls_priority_deinit(c->prio[d]);
	cs_unref(c->cs);
	pol_unref(c->pol);
	free(c);
}

static int
load_certs(struct conf *c, char *err, size_t errlen)
{
	const struct pol *p = c->pol;

	if ((c->cs = cs_new(NULL)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", p->file);
		return -1;
	}
	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *d = &p->domains[i];

		for (size_t j = 0; j < d->ncerts; j++) {
			const struct pol_cert *pc = &d->certs[j];
			struct cs_diag diag;

			if (cs_add(c->cs, d->name, pc->chain, pc->key, pc->ocsp,
			    time(NULL), &diag) != 0) {
				snprintf(err, errlen, "%s:%d: domain %s: %s: %s",
				    p->file, pc->line, d->name, diag.file,
				    diag.msg);
				return -1;
			}
		}
	}
	return 0;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct pol_diag diag;
	struct conf *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	c->refs = 1;
	if ((rc = pol_load(path, &c->pol, &diag)) != 0) {
		if (diag.line > 0)
			snprintf(err, errlen, "%s:%d: %s", diag.file, diag.line,
			    diag.msg);
		else
			snprintf(err, errlen, "%s: %s", diag.file, diag.msg);
		free(c);
		return -1;
	}
	if (load_certs(c, err, errlen) != 0) {
		conf_free(c);
		return -1;
	}
	for (int d = 0; d < POL_NDIR; d++) {
		const struct pol_rule *r = pol_rule(c->pol, d, NULL);
		const char *where = NULL;

		/* policy/ checked the string; this only caches it. */
		if (gnutls_priority_init(&c->prio[d], r->priority, &where) <
		    0) {
			snprintf(err, errlen, "%s:%d: priority string refused"
			    " near '%.40s'", c->pol->file, r->line,
			    where != NULL ? where : "");
			conf_free(c);
			return -1;
		}
	}
	c->xlim.stanza_bytes = c->pol->limits.stanza_bytes;
	c->xlim.header_bytes = c->pol->limits.header_bytes;
	c->xlim.depth = c->pol->limits.depth;
	c->xlim.attrs = c->pol->limits.attrs;
	c->xlim.nsdecls = c->pol->limits.nsdecls;
	c->xlim.attr_bytes = c->pol->limits.attr_bytes;
	c->xlim.text_bytes = c->pol->limits.text_bytes;
	*out = c;
	return 0;
}

struct conf *
conf_ref(struct conf *c)
{
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
	return c;
}

void
conf_unref(struct conf *c)
{
	if (c != NULL &&
	    atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		conf_free(c);
}

struct conf *
conf_current(void)
{
	struct conf *c;

	pthread_mutex_lock(&current_mtx);
	c = current != NULL ? conf_ref(current) : NULL;
	pthread_mutex_unlock(&current_mtx);
	return c;
}

void
conf_install(struct conf *c)
{
	struct conf *old;

	pthread_mutex_lock(&current_mtx);
	old = current;
	if (c != NULL)
		c->generation = ++generations;
	current = c;
	pthread_mutex_unlock(&current_mtx);
	conf_unref(old);
}

static void
log_rule(const struct pol_rule *r, const char *dir)
{
	log_info("policy %s: tls %s-%s forward-secrecy=%s action=%s"
	    " priority=%s", dir, pol_version_name(r->min_version),
	    pol_version_name(r->max_version),
	    r->forward_secrecy == POL_FS_REQUIRE ? "require" : "prefer",
	    r->action == POL_ENFORCE ? "enforce" : "report", r->priority);
	if (r->min_version < POL_TLS12)
		log_warnx("policy %s: TLS %s allowed; RFC 8996 deprecates"
		    " TLS 1.0 and 1.1", dir, pol_version_name(r->min_version));
	if (r->forward_secrecy != POL_FS_REQUIRE)
		log_warnx("policy %s: forward secrecy only preferred", dir);
	if (r->action == POL_REPORT)
		log_warnx("policy %s: report only, nothing is refused", dir);
	if (r->priority_set)
		log_warnx("policy %s: priority string set verbatim; the"
		    " version and forward-secrecy settings do not apply", dir);
}

void
conf_log(const struct conf *c)
{
	const struct pol *p = c->pol;
	const struct pol_limits *l = &p->limits;
	const struct pol_timeouts *t = &p->timeouts;

	for (int d = 0; d < POL_NDIR; d++)
		log_rule(pol_rule(p, d, NULL), pol_dir_name(d));
	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *d = &p->domains[i];

		log_info("domain %s: %zu certificate chain(s), c2s-backend=%s"
		    " s2s-backend=%s", d->name, d->ncerts,
		    d->c2s_backend.text != NULL ? d->c2s_backend.text : "none",
		    d->s2s_backend.text != NULL ? d->s2s_backend.text :
		    "none");
	}
	log_info("limits: stanza-bytes=%zu header-bytes=%zu depth=%u"
	    " attributes=%u namespace-declarations=%u attribute-bytes=%zu"
	    " text-bytes=%zu pre-tls-bytes=%zu pre-auth-bytes=%zu"
	    " write-queue-bytes=%zu", l->stanza_bytes, l->header_bytes,
	    l->depth, l->attrs, l->nsdecls, l->attr_bytes, l->text_bytes,
	    l->pretls_bytes, l->preauth_bytes, l->write_queue);
	log_info("timeouts: handshake=%us pre-auth=%us idle=%us"
	    " backend-connect=%us close=%us shutdown=%us", t->handshake,
	    t->preauth, t->idle, t->backend_connect, t->close, t->shutdown);
}
