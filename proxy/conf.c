/*
 * conf.c: loading, sharing and swapping the running configuration, and
 * the report portcullis -n prints about it.
 *
 * A load reads everything again: the policy file, the trust anchors, every
 * chain, key and OCSP staple, and builds a GnuTLS priority cache for each
 * distinct priority string, so a handshake never parses one.  The leaves
 * return their findings as data; this file turns them into log lines.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "conf.h"
#include "dns.h"
#include "dnssec.h"
#include "log.h"

static pthread_mutex_t	 current_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct conf	*current;
static unsigned		 generations;

static void
conf_free(struct conf *c)
{
	if (c->prios != NULL && c->pol != NULL)
		for (size_t i = 0; i < c->pol->npriorities; i++)
			if (c->prios[i] != NULL)
				gnutls_priority_deinit(c->prios[i]);
	free(c->prios);
	free(c->notes);
	ldns_rr_list_deep_free(c->anchors);
	if (c->dane != NULL)
		dane_state_deinit(c->dane);
	cs_unref(c->cs);
	pol_unref(c->pol);
	free(c);
}

static void
add_note(struct conf *c, int warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A note that cannot be stored for want of memory is dropped. */
static void
add_note(struct conf *c, int warning, const char *fmt, ...)
{
	struct conf_note *n;
	va_list ap;

	n = realloc(c->notes, (c->nnotes + 1) * sizeof(*n));
	if (n == NULL)
		return;
	c->notes = n;
	n = &c->notes[c->nnotes++];
	n->warning = warning;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

static int
load_trust(struct conf *c, char *err, size_t errlen)
{
	const struct pol *p = c->pol;
	struct cs_diag diag;
	int n;

	if (p->trust.system) {
		n = cs_trust_system(c->cs, &diag);
		if (n < 0) {
			snprintf(err, errlen, "%s:%d: trust: %s", p->file,
			    p->trust.line, diag.msg);
			return -1;
		}
		if (n == 0)
			add_note(c, 1, "trust: the system store has no"
			    " anchors; peers can be verified only against"
			    " ca-files");
	}
	for (size_t i = 0; i < p->trust.nca_files; i++)
		if (cs_trust_file(c->cs, p->trust.ca_files[i], &diag) < 0) {
			snprintf(err, errlen, "%s:%d: trust: %s: %s", p->file,
			    p->trust.line, diag.file, diag.msg);
			return -1;
		}
	return 0;
}

/* The DNSSEC mode, and the trust anchor file if validating here. */
static int
load_dns(struct conf *c, char *err, size_t errlen)
{
	const struct pol *p = c->pol;
	const struct pol_dns *d = &p->dns;
	char why[200];
	int s2s = 0;

	/*
	 * Only the flags of this state are ever read: no resolver, no root
	 * key; the TLSA records come from our own DNS code.
	 */
	if (dane_state_init(&c->dane, DANE_F_IGNORE_LOCAL_RESOLVER |
	    DANE_F_IGNORE_DNSSEC) != DANE_E_SUCCESS) {
		c->dane = NULL;
		snprintf(err, errlen, "%s: cannot set up DANE matching",
		    p->file);
		return -1;
	}
	for (size_t i = 0; i < p->nlisteners; i++)
		if (p->listeners[i].role != POL_ROLE_C2S)
			s2s = 1;
	if (d->trust_anchor != NULL) {
		c->anchors = dnsval_read_anchors(d->trust_anchor, why,
		    sizeof(why));
		if (c->anchors == NULL) {
			snprintf(err, errlen, "%s:%d: trust-anchor %s: %s",
			    p->file, d->trust_anchor_line, d->trust_anchor,
			    why);
			return -1;
		}
		add_note(c, 0, "dns: DNSSEC validated here from %zu trust"
		    " anchor record(s) in %s", ldns_rr_list_rr_count(
		    c->anchors), d->trust_anchor);
	} else if (d->trust_ad)
		add_note(c, 0, "dns: DNSSEC status from the AD bit of %s",
		    d->resolver[0] != '\0' ? d->resolver :
		    "the resolvers of /etc/resolv.conf");
	else if (s2s)
		add_note(c, 1, "dns: no DNSSEC validation (neither"
		    " trust-anchor nor trust-ad): every answer is insecure,"
		    " DANE never applies");
	return 0;
}

void
conf_dns(const struct conf *c, int want_tlsa, int history,
    struct dns_conf *dc)
{
	const struct pol *p = c->pol;

	memset(dc, 0, sizeof(*dc));
	snprintf(dc->resolver, sizeof(dc->resolver), "%s", p->dns.resolver);
	dc->trust_ad = p->dns.trust_ad;
	dc->anchors = c->anchors;
	dc->timeout_ms = p->dns.timeout_ms;
	dc->want_tlsa = want_tlsa;
	dc->state_dir = history ? p->state_dir : NULL;
}

static int
load_certs(struct conf *c, time_t now, char *err, size_t errlen)
{
	const struct pol *p = c->pol;
	const struct cs_note *cn;
	size_t ncn;

	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *d = &p->domains[i];

		for (size_t j = 0; j < d->ncerts; j++) {
			const struct pol_cert *pc = &d->certs[j];
			struct cs_diag diag;

			if (cs_add(c->cs, d->name, pc->chain, pc->key, pc->ocsp,
			    now, &diag) != 0) {
				snprintf(err, errlen, "%s:%d: domain %s: %s: %s",
				    p->file, pc->line, d->name, diag.file,
				    diag.msg);
				return -1;
			}
		}
		/* Serving a name no certificate carries fails every peer. */
		if (!cs_covers(c->cs, d->name, d->name)) {
			snprintf(err, errlen, "%s:%d: domain %s: no certificate"
			    " names it (as DNS-ID, SRV-ID or XmppAddr)",
			    p->file, d->line, d->name);
			return -1;
		}
		for (size_t k = 0; k < d->nsubdomains; k++)
			if (!cs_covers(c->cs, d->name, d->subdomains[k]))
				add_note(c, 1, "domain %s: no certificate"
				    " names its subdomain %s; peers will"
				    " refuse it", d->name, d->subdomains[k]);
	}
	ncn = cs_notes(c->cs, &cn);
	for (size_t i = 0; i < ncn; i++)
		add_note(c, cn[i].level == CS_NOTE_WARNING, "%s%s%s%s%s%s",
		    cn[i].domain[0] != '\0' ? "domain " : "", cn[i].domain,
		    cn[i].domain[0] != '\0' ? ": " : "", cn[i].file,
		    cn[i].file[0] != '\0' ? ": " : "", cn[i].msg);
	return 0;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct pol_diag diag;
	struct cs_opts opts;
	struct conf *c;
	const struct pol *p;
	time_t now = time(NULL);

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	c->refs = 1;
	if (pol_load(path, &c->pol, &diag) != 0) {
		if (diag.line > 0)
			snprintf(err, errlen, "%s:%d: %s", diag.file, diag.line,
			    diag.msg);
		else
			snprintf(err, errlen, "%s: %s", diag.file, diag.msg);
		free(c);
		return -1;
	}
	p = c->pol;
	memset(&opts, 0, sizeof(opts));
	opts.min_rsa_bits = p->min_rsa_bits;
	opts.warn_days = p->expiry_warning_days;
	opts.cn_fallback = p->trust.cn_fallback;
	if ((c->cs = cs_new(&opts)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", p->file);
		conf_free(c);
		return -1;
	}
	if (load_trust(c, err, errlen) != 0 ||
	    load_dns(c, err, errlen) != 0 ||
	    load_certs(c, now, err, errlen) != 0) {
		conf_free(c);
		return -1;
	}
	c->prios = calloc(p->npriorities, sizeof(*c->prios));
	if (c->prios == NULL) {
		snprintf(err, errlen, "%s: out of memory", p->file);
		conf_free(c);
		return -1;
	}
	for (size_t i = 0; i < p->npriorities; i++) {
		const char *where = NULL;

		/* policy/ checked every string; this only caches it. */
		if (gnutls_priority_init(&c->prios[i], p->priorities[i],
		    &where) < 0) {
			c->prios[i] = NULL;
			snprintf(err, errlen, "%s: priority string refused"
			    " near '%.40s'", p->file,
			    where != NULL ? where : "");
			conf_free(c);
			return -1;
		}
	}
	for (int d = 0; d < POL_NDIR; d++)
		c->prio[d] = c->prios[p->rules[1 + d].hs_prio_idx];
	c->xlim.stanza_bytes = p->limits.stanza_bytes;
	c->xlim.header_bytes = p->limits.header_bytes;
	c->xlim.depth = p->limits.depth;
	c->xlim.attrs = p->limits.attrs;
	c->xlim.nsdecls = p->limits.nsdecls;
	c->xlim.attr_bytes = p->limits.attr_bytes;
	c->xlim.text_bytes = p->limits.text_bytes;
	*out = c;
	return 0;
}

gnutls_priority_t
conf_priority(const struct conf *c, const struct pol_rule *r, int strict)
{
	return c->prios[strict ? r->prio_idx : r->hs_prio_idx];
}

void
conf_prepare_state(const struct conf *c)
{
	const struct pol *p = c->pol;
	struct cs_diag diag;
	size_t i;

	for (i = 0; i < p->nlisteners; i++)
		if (p->listeners[i].role != POL_ROLE_C2S)
			break;
	if (i == p->nlisteners)
		return;
	if (cs_history_prepare(p->state_dir, &diag) != 0)
		log_warnx("state-directory %s: %s: %s; peer history is off",
		    p->state_dir, diag.file, diag.msg);
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

static const char *
rule_where(const struct pol_rule *r, char *buf, size_t len)
{
	if (r->line == 0)
		snprintf(buf, len, "built in");
	else
		snprintf(buf, len, "line %d", r->line);
	return buf;
}

static void
log_rule(const struct pol_rule *r)
{
	char where[32], label[300];

	if (r->match != NULL)
		snprintf(label, sizeof(label), "%s %s", pol_dir_name(r->dir),
		    r->match);
	else
		snprintf(label, sizeof(label), "%s", r->name);
	log_info("policy %s (%s): tls %s-%s forward-secrecy=%s action=%s"
	    " priority=%s", label, rule_where(r, where, sizeof(where)),
	    pol_version_name(r->min_version),
	    pol_version_name(r->max_version),
	    r->forward_secrecy == POL_FS_REQUIRE ? "require" : "prefer",
	    r->action == POL_ENFORCE ? "enforce" : "report", r->priority);
	if (r->min_version < POL_TLS12)
		log_warnx("policy %s: TLS %s allowed; RFC 8996 deprecates"
		    " TLS 1.0 and 1.1", label,
		    pol_version_name(r->min_version));
	if (r->forward_secrecy != POL_FS_REQUIRE)
		log_warnx("policy %s: forward secrecy only preferred", label);
	if (r->action == POL_REPORT)
		log_warnx("policy %s: report only: below-policy peers are"
		    " let in, and reported", label);
	if (r->priority_set)
		log_warnx("policy %s: priority string set verbatim; the"
		    " version and forward-secrecy settings do not apply",
		    label);
	if (r->dir != POL_C2S) {
		char auth[64] = "";

		for (size_t i = 0; i < r->nauth; i++) {
			strncat(auth, i > 0 ? "," : "",
			    sizeof(auth) - strlen(auth) - 1);
			strncat(auth, pol_auth_name(r->auth[i]),
			    sizeof(auth) - strlen(auth) - 1);
		}
		log_info("policy %s: authentication=%s dnssec=%s pins=%zu"
		    " key-change=%s", label, auth,
		    r->dnssec == POL_DNSSEC_REQUIRE ? "require" : "validate",
		    r->npins, r->key_change == POL_KEYCHANGE_REQUIRE_DANE ?
		    "require-dane" : "allow");
	}
}

void
conf_log(const struct conf *c)
{
	const struct pol *p = c->pol;
	const struct pol_limits *l = &p->limits;
	const struct pol_timeouts *t = &p->timeouts;

	for (size_t i = 1; i < p->nrules; i++)
		log_rule(&p->rules[i]);
	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *d = &p->domains[i];

		log_info("domain %s: %zu certificate chain(s), %zu"
		    " subdomain(s), c2s-backend=%s s2s-backend=%s", d->name,
		    d->ncerts, d->nsubdomains,
		    d->c2s_backend.text != NULL ? d->c2s_backend.text : "none",
		    d->s2s_backend.text != NULL ? d->s2s_backend.text :
		    "none");
	}
	for (size_t i = 0; i < c->nnotes; i++) {
		if (c->notes[i].warning)
			log_warnx("%s", c->notes[i].text);
		else
			log_info("%s", c->notes[i].text);
	}
	log_info("trust: system=%s ca-files=%zu cn-fallback=%s",
	    p->trust.system ? "yes" : "no", p->trust.nca_files,
	    p->trust.cn_fallback ? "yes" : "no");
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

/*
 * The keys a grade counts: the chains of one domain, or of every domain
 * when d is NULL.  Returns how many were written to keys (at most max).
 */
static size_t
grade_keys(const struct conf *c, const struct pol_domain *d,
    const struct pol_rule *r, struct pol_grade_key *keys, size_t max)
{
	const struct pol *p = c->pol;
	size_t n = 0;

	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *pd = &p->domains[i];

		if (d != NULL && pd != d)
			continue;
		if (d == NULL && r != NULL && r->match != NULL &&
		    !pol_match(r->match, pd->name))
			continue;
		for (size_t j = 0; n < max; j++) {
			const struct cs_chain_info *ci = cs_chain(c->cs,
			    pd->name, j);

			if (ci == NULL)
				break;
			keys[n].rsa = ci->key_algo == GNUTLS_PK_RSA ||
			    ci->key_algo == GNUTLS_PK_DSA;
			keys[n].bits = ci->key_bits;
			keys[n].md5 = ci->md5;
			n++;
		}
	}
	/* A rule for peers we serve no domain of: grade with every key. */
	if (n == 0 && d == NULL && r != NULL && r->match != NULL)
		return grade_keys(c, NULL, NULL, keys, max);
	return n;
}

/* Grade what rule r offers with the keys of d (NULL: see grade_keys). */
static int
grade_rule(const struct conf *c, const struct pol_rule *r,
    const struct pol_domain *d, struct pol_grade *g)
{
	struct pol_grade_key keys[64];
	size_t n = grade_keys(c, d, r, keys, 64);

	return pol_grade(r->handshake_priority, keys, n, g);
}

static void
print_grade(FILE *f, const struct pol_grade *g)
{
	fprintf(f, "%s (%.1f: protocol %d, key exchange %d, cipher %d)",
	    g->letter, g->score, g->protocol, g->kx, g->cipher);
	if (g->why[0] != '\0')
		fprintf(f, "; %s", g->why);
}

static const char *
rule_label(const struct pol_rule *r, char *buf, size_t len)
{
	char where[32];

	if (r->match != NULL)
		snprintf(buf, len, "%s %s (%s)", pol_dir_name(r->dir),
		    r->match, rule_where(r, where, sizeof(where)));
	else
		snprintf(buf, len, "%s (%s)", r->name,
		    rule_where(r, where, sizeof(where)));
	return buf;
}

/* Is any chain of d trusted by the anchors, as xmppoke would check? */
static int
domain_trusted(const struct conf *c, const struct pol_domain *d, time_t now)
{
	for (size_t j = 0; j < cs_chains(c->cs, d->name); j++)
		if (cs_chain_trusted(c->cs, d->name, j, now))
			return 1;
	return 0;
}

static void
report_rule(const struct conf *c, const struct pol_rule *r, FILE *f)
{
	const struct pol *p = c->pol;
	const struct pol_rule *same = NULL;
	struct pol_grade g;
	char label[320];

	/* Suites are listed once per string; later rules point back. */
	for (const struct pol_rule *o = &p->rules[1]; o < r; o++)
		if (o->hs_prio_idx == r->hs_prio_idx) {
			same = o;
			break;
		}

	fprintf(f, "rule %s\n", rule_label(r, label, sizeof(label)));
	fprintf(f, "  %s, TLS %s-%s, forward secrecy %s\n",
	    r->action == POL_ENFORCE ? "enforce" : "report only",
	    pol_version_name(r->min_version),
	    pol_version_name(r->max_version),
	    r->forward_secrecy == POL_FS_REQUIRE ? "required" : "preferred");
	if (r->dir != POL_C2S) {
		fprintf(f, "  s2s: authentication");
		for (size_t i = 0; i < r->nauth; i++)
			fprintf(f, "%s%s", i > 0 ? "," : " ",
			    pol_auth_name(r->auth[i]));
		fprintf(f, ", dnssec %s, %zu pin(s)%s\n",
		    r->dnssec == POL_DNSSEC_REQUIRE ? "required" : "validated",
		    r->npins, r->key_change == POL_KEYCHANGE_REQUIRE_DANE ?
		    ", a new key needs DANE" : "");
	}
	if (grade_rule(c, r, NULL, &g) != 0) {
		fprintf(f, "  (GnuTLS refuses the string)\n");
		return;
	}
	if (same != NULL) {
		fprintf(f, "  protocols and cipher suites as rule %s\n",
		    rule_label(same, label, sizeof(label)));
		fprintf(f, "  grade ");
		print_grade(f, &g);
		fprintf(f, "\n");
		return;
	}
	fprintf(f, "  priority %s\n", r->priority);
	if (r->action == POL_REPORT)
		fprintf(f, "  handshake priority (report mode) %s\n",
		    r->handshake_priority);
	fprintf(f, "  protocols");
	for (size_t i = 0; i < g.nversions; i++)
		fprintf(f, " %s", gnutls_protocol_get_name(
		    (gnutls_protocol_t)g.versions[i]));
	fprintf(f, "\n  cipher suites (%zu%s)\n", g.nsuites,
	    r->action == POL_REPORT ? ", as offered in report mode" : "");
	for (size_t i = 0; i < g.nsuites; i++)
		fprintf(f, "    %-38s 0x%02x,0x%02x %s%s\n", g.suites[i].name,
		    g.suites[i].id[0], g.suites[i].id[1],
		    gnutls_protocol_get_name((gnutls_protocol_t)
		    g.suites[i].min_version), g.suites[i].tls13 ? "" : "+");
	fprintf(f, "  grade ");
	print_grade(f, &g);
	fprintf(f, "\n");
}

/*
 * The TLSA records to publish for each served chain (RFC 6698, RFC
 * 7673): DANE-EE for the key, and DANE-TA for the topmost certificate
 * served above it, at each port an s2s listener takes.  The owner name
 * is the domain, which is right when the domain is its own server; with
 * SRV records, the same records go under each target's name.
 */
static void
report_tlsa(const struct conf *c, FILE *f)
{
	const struct pol *p = c->pol;
	uint16_t ports[16];
	size_t nports = 0;

	for (size_t i = 0; i < p->nlisteners && nports < 16; i++) {
		const struct pol_listener *li = &p->listeners[i];
		size_t k;

		if (li->role != POL_ROLE_S2S)
			continue;
		for (k = 0; k < nports; k++)
			if (ports[k] == li->port)
				break;
		if (k == nports)
			ports[nports++] = li->port;
	}
	if (nports == 0)
		return;
	fprintf(f, "TLSA records to publish (under each SRV target's name"
	    " instead of the domain's where SRV records point elsewhere):\n");
	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *d = &p->domains[i];

		for (size_t j = 0; j < cs_chains(c->cs, d->name); j++) {
			char ee[130], ta[130];
			int have_ta = cs_chain_tlsa(c->cs, d->name, j, 1, 1, 1,
			    ta, sizeof(ta)) == 0;

			if (cs_chain_tlsa(c->cs, d->name, j, 0, 1, 1, ee,
			    sizeof(ee)) != 0)
				continue;
			for (size_t k = 0; k < nports; k++) {
				fprintf(f, "  _%u._tcp.%s. IN TLSA 3 1 1 %s\n",
				    ports[k], d->name, ee);
				if (have_ta)
					fprintf(f, "  _%u._tcp.%s. IN TLSA 2 1 1"
					    " %s\n", ports[k], d->name, ta);
			}
		}
	}
}

int
conf_report(const struct conf *c, FILE *f)
{
	const struct pol *p = c->pol;
	const char *worst = NULL, *worst_what = "";
	char label[320], worst_buf[340];
	time_t now = time(NULL);

	fprintf(f, "%s: configuration OK\n", p->file);
	for (size_t i = 0; i < c->nnotes; i++)
		fprintf(f, "%s: %s\n", c->notes[i].warning ? "warning" : "note",
		    c->notes[i].text);

	/* Per listener and served domain: the rule that applies, graded. */
	for (size_t i = 0; i < p->nlisteners; i++) {
		const struct pol_listener *li = &p->listeners[i];
		enum pol_dir dir = li->role == POL_ROLE_C2S ? POL_C2S :
		    li->role == POL_ROLE_S2S ? POL_S2S_IN : POL_S2S_OUT;

		fprintf(f, "listen %s %s %s%s%s\n", li->text,
		    li->role == POL_ROLE_C2S ? "c2s" :
		    li->role == POL_ROLE_S2S ? "s2s" : "s2s-out",
		    li->tls == POL_TLS_DIRECT ? "direct-tls" : "starttls",
		    li->domain != NULL ? ", default domain " : "",
		    li->domain != NULL ? li->domain : "");
		if (li->role == POL_ROLE_S2S_OUT) {
			fprintf(f, "  outbound: rules for s2s-out apply per"
			    " remote domain\n");
			continue;
		}
		for (size_t j = 0; j < p->ndomains; j++) {
			const struct pol_domain *d = &p->domains[j];
			/*
			 * c2s rules follow the served domain; s2s-in rules
			 * follow the remote server, which is not known here.
			 */
			const struct pol_rule *r = pol_rule(p, dir,
			    dir == POL_C2S ? d->name : NULL);
			struct pol_grade g;
			int trusted = domain_trusted(c, d, now);

			if (grade_rule(c, r, d, &g) != 0)
				continue;
			fprintf(f, "  %s: rule %s, grade ", d->name,
			    rule_label(r, label, sizeof(label)));
			print_grade(f, &g);
			if (!trusted)
				fprintf(f, "; certificate not verified by the"
				    " trust anchors: xmppoke shows %s",
				    strcmp(g.letter, "A") == 0 ? "T" : "F");
			fprintf(f, "\n");
			if (worst == NULL || pol_grade_cmp(g.letter, worst) <
			    0) {
				snprintf(worst_buf, sizeof(worst_buf), "%s",
				    g.letter);
				worst = worst_buf;
				worst_what = li->text;
			}
		}
	}

	for (size_t i = 1; i < p->nrules; i++)
		report_rule(c, &p->rules[i], f);

	for (size_t i = 0; i < p->ndomains; i++) {
		const struct pol_domain *d = &p->domains[i];

		fprintf(f, "domain %s: %zu certificate chain(s), c2s backend"
		    " %s, s2s backend %s\n", d->name, cs_chains(c->cs, d->name),
		    d->c2s_backend.text ? d->c2s_backend.text : "none",
		    d->s2s_backend.text ? d->s2s_backend.text : "none");
		for (size_t k = 0; k < d->nsubdomains; k++)
			fprintf(f, "  subdomain %s%s\n", d->subdomains[k],
			    cs_covers(c->cs, d->name, d->subdomains[k]) ? "" :
			    " (not covered by a certificate)");
		for (size_t j = 0; j < cs_chains(c->cs, d->name); j++) {
			const struct cs_chain_info *ci = cs_chain(c->cs,
			    d->name, j);
			char date[32], spki[64];
			struct tm tm;

			gmtime_r(&ci->not_after, &tm);
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
			cs_spki_format(ci->spki, spki, sizeof(spki));
			fprintf(f, "  %s %s-%u, until %s, %s, %s\n", ci->file,
			    gnutls_pk_get_name((gnutls_pk_algorithm_t)
			    ci->key_algo), ci->key_bits, date,
			    cs_chain_trusted(c->cs, d->name, j, now) ?
			    "verified by the trust anchors" :
			    "not verified by the trust anchors", spki);
		}
	}
	report_tlsa(c, f);
	if (p->minimum_grade[0] == '\0')
		return 0;
	if (worst != NULL && pol_grade_cmp(worst, p->minimum_grade) < 0) {
		fprintf(f, "%s:%d: grade %s on %s is below minimum-grade %s\n",
		    p->file, p->minimum_grade_line, worst, worst_what,
		    p->minimum_grade);
		return 1;
	}
	fprintf(f, "minimum-grade %s: met%s%s\n", p->minimum_grade,
	    worst != NULL ? ", lowest " : "", worst != NULL ? worst : "");
	return 0;
}
