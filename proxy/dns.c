/*
 * dns.c: SRV, address and TLSA lookups with ldns on the libuv threadpool,
 * each answer with its DNSSEC status.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <ldns/ldns.h>

#include "dns.h"
#include "namecache.h"
#include "dnssec.h"
#include "log.h"
#include "session.h"
#include "worker.h"

#define XMPP_S2S_PORT	5269
#define CACHE_SLOTS	256
#define MAX_TTL		3600	/* seconds an answer is kept at most */

struct dns_req {
	uv_work_t		 work;
	struct session		*s;
	struct dns_conf		 conf;
	dns_done_fn		*done;
	struct dns_answer	 a;
};

/* One lookup's way of asking and judging, on the threadpool. */
struct asker {
	ldns_resolver		*r;
	const struct dns_conf	*conf;
	struct dnsval		*val;		/* with trust anchors */
	char			 why[160];	/* why the last was bogus */
};

/*
 * The cache is shared by every worker: a small table under a mutex,
 * touched once per lookup, off the loop threads.
 */
static pthread_mutex_t	 cache_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct dns_answer *cache[CACHE_SLOTS];

static int
cache_get(const char *domain, int want_tlsa, struct dns_answer *out)
{
	unsigned i = nc_slot(domain, CACHE_SLOTS);
	int hit = 0;

	pthread_mutex_lock(&cache_mtx);
	if (cache[i] != NULL && strcmp(cache[i]->domain, domain) == 0 &&
	    (cache[i]->with_tlsa || !want_tlsa) &&
	    cache[i]->expires > nc_now_ms()) {
		*out = *cache[i];
		hit = 1;
	}
	pthread_mutex_unlock(&cache_mtx);
	return hit;
}

static void
cache_put(const struct dns_answer *a)
{
	unsigned i = nc_slot(a->domain, CACHE_SLOTS);
	struct dns_answer *copy = malloc(sizeof(*copy));

	if (copy == NULL)
		return;
	*copy = *a;
	pthread_mutex_lock(&cache_mtx);
	free(cache[i]);
	cache[i] = copy;
	pthread_mutex_unlock(&cache_mtx);
}

void
dns_cache_clear(void)
{
	pthread_mutex_lock(&cache_mtx);
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i]);
		cache[i] = NULL;
	}
	pthread_mutex_unlock(&cache_mtx);
}

static ldns_resolver *
make_resolver(const struct dns_conf *dc, struct dns_answer *a)
{
	ldns_resolver *r = NULL;
	struct timeval tv;

	if (dc->resolver[0] != '\0') {
		char host[64];
		const char *colon = strrchr(dc->resolver, ':');
		ldns_rdf *ns;
		size_t hl;
		int v6;

		if (colon == NULL || (hl = (size_t)(colon - dc->resolver)) >=
		    sizeof(host)) {
			snprintf(a->error, sizeof(a->error), "bad resolver %s",
			    dc->resolver);
			return NULL;
		}
		if (dc->resolver[0] == '[') {
			memcpy(host, dc->resolver + 1, hl - 2);
			host[hl - 2] = '\0';
		} else {
			memcpy(host, dc->resolver, hl);
			host[hl] = '\0';
		}
		v6 = strchr(host, ':') != NULL;
		ns = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA :
		    LDNS_RDF_TYPE_A, host);
		if (ns == NULL || (r = ldns_resolver_new()) == NULL) {
			ldns_rdf_deep_free(ns);
			snprintf(a->error, sizeof(a->error), "bad resolver %s",
			    dc->resolver);
			return NULL;
		}
		ldns_resolver_push_nameserver(r, ns);
		ldns_rdf_deep_free(ns);
		ldns_resolver_set_port(r, (uint16_t)atoi(colon + 1));
	} else if (ldns_resolver_new_frm_file(&r, NULL) != LDNS_STATUS_OK) {
		snprintf(a->error, sizeof(a->error),
		    "no resolver in /etc/resolv.conf");
		return NULL;
	}
	/*
	 * Ask for DNSSEC (DO) and recursion.  Validating here, ask with CD
	 * too: the records and signatures as they are, whatever the
	 * resolver thinks of them; else the AD bit says "validated".
	 */
	ldns_resolver_set_dnssec(r, true);
	ldns_resolver_set_dnssec_cd(r, dc->anchors != NULL);
	ldns_resolver_set_recursive(r, true);
	ldns_resolver_set_defnames(r, false);
	ldns_resolver_set_dnsrch(r, false);
	ldns_resolver_set_retry(r, 2);
	tv.tv_sec = dc->timeout_ms / 1000;
	tv.tv_usec = (dc->timeout_ms % 1000) * 1000;
	ldns_resolver_set_timeout(r, tv);
	return r;
}

/*
 * One question.  Returns 0 with *pkt (NOERROR or NXDOMAIN) and *sec, or
 * DNS_E_*; DNS_E_BOGUS with *sec DNS_SEC_BOGUS and q->why when the
 * answer failed validation.
 *
 * Trusting the AD bit, a SERVFAIL is asked again with CD set: an answer
 * then means the data exists but failed validation, which is bogus, not
 * a failure to reach.  Validating here, the question already had CD.
 */
static int
query(struct asker *q, const char *name, ldns_rr_type type, ldns_pkt **pkt,
    enum dns_sec *sec)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_resolver *r = q->r;
	ldns_status st;
	ldns_pkt *p = NULL;
	int rc = 0;

	*pkt = NULL;
	*sec = DNS_SEC_INSECURE;
	q->why[0] = '\0';
	if (dn == NULL)
		return DNS_E_NXDOMAIN;
	st = ldns_resolver_query_status(&p, r, dn, type, LDNS_RR_CLASS_IN,
	    LDNS_RD);
	if (st != LDNS_STATUS_OK || p == NULL) {
		rc = DNS_E_TIMEOUT;
		goto out;
	}
	if (ldns_pkt_get_rcode(p) == LDNS_RCODE_SERVFAIL && q->val == NULL) {
		ldns_pkt *cd = NULL;

		ldns_pkt_free(p);
		p = NULL;
		rc = DNS_E_SERVFAIL;
		st = ldns_resolver_query_status(&cd, r, dn, type,
		    LDNS_RR_CLASS_IN, LDNS_RD | LDNS_CD);
		if (st == LDNS_STATUS_OK && cd != NULL &&
		    ldns_pkt_get_rcode(cd) != LDNS_RCODE_SERVFAIL) {
			*sec = DNS_SEC_BOGUS;
			rc = DNS_E_BOGUS;
			snprintf(q->why, sizeof(q->why), "the resolver"
			    " found it bogus");
		}
		ldns_pkt_free(cd);
		goto out;
	}
	if (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN) {
		rc = DNS_E_SERVFAIL;
		goto out;
	}
	if (q->val != NULL) {
		*sec = dnsval_check(q->val, p, dn, type, q->why,
		    sizeof(q->why));
		if (*sec == DNS_SEC_BOGUS) {
			rc = DNS_E_BOGUS;
			goto out;
		}
	} else if (q->conf->trust_ad && ldns_pkt_ad(p))
		*sec = DNS_SEC_SECURE;
	*pkt = p;
	p = NULL;
out:
	ldns_pkt_free(p);
	ldns_rdf_deep_free(dn);
	return rc;
}

static void
bogus(struct dns_answer *a, const struct asker *q, const char *name,
    const char *type)
{
	/* The first bogus question is the one reported. */
	if (a->bogus_name[0] != '\0')
		return;
	snprintf(a->bogus_name, sizeof(a->bogus_name), "%s", name);
	snprintf(a->bogus_type, sizeof(a->bogus_type), "%s", type);
	snprintf(a->bogus_why, sizeof(a->bogus_why), "%s",
	    q->why[0] != '\0' ? q->why : "validation failed");
}

static void
min_ttl(uint32_t *ttl, const ldns_rr_list *l)
{
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(l, i));

		if (t < *ttl)
			*ttl = t;
	}
}

/* dname to "host.example" (no final dot); "." stays "." */
static void
dname_str(const ldns_rdf *rd, char *out, size_t len)
{
	char *s = ldns_rdf2str(rd);
	size_t n;

	out[0] = '\0';
	if (s == NULL)
		return;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	snprintf(out, len, "%s", s);
	free(s);
}

/*
 * Collect the SRV records of one service name.  *dot is set when the
 * only record is the "." target.  Returns 0 or DNS_E_*.
 */
static int
srv(struct asker *q, struct dns_answer *a, const char *service, int direct,
    int *dot, uint32_t *ttl)
{
	char name[300];
	ldns_rr_list *l;
	enum dns_sec sec;
	ldns_pkt *p;
	int rc;

	*dot = 0;
	snprintf(name, sizeof(name), "%s._tcp.%s.", service, a->domain);
	if ((rc = query(q, name, LDNS_RR_TYPE_SRV, &p, &sec)) != 0) {
		if (rc == DNS_E_BOGUS)
			bogus(a, q, name, "SRV");
		return rc;
	}
	/* Records or their absence: either must be secure (RFC 7673). */
	if (sec != DNS_SEC_SECURE)
		a->srv_sec = DNS_SEC_INSECURE;
	l = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_SRV,
	    LDNS_SECTION_ANSWER);
	min_ttl(ttl, l);
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		struct dns_target *t;

		if (ldns_rr_rd_count(rr) != 4)
			continue;
		if (a->ntargets == DNS_MAX_TARGETS)
			break;
		t = &a->targets[a->ntargets];
		memset(t, 0, sizeof(*t));
		t->priority = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		t->weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
		t->port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
		dname_str(ldns_rr_rdf(rr, 3), t->host, sizeof(t->host));
		if (strcmp(t->host, ".") == 0 || t->host[0] == '\0') {
			if (ldns_rr_list_rr_count(l) == 1)
				*dot = 1;
			continue;
		}
		t->direct_tls = direct != 0;
		t->from_srv = 1;
		a->ntargets++;
	}
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	return 0;
}

static uint32_t
rnd32(void)
{
	uint32_t v = 0;

	gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof(v));
	return v;
}

/*
 * RFC 2782 order: by priority, and within a priority by a weighted
 * random draw (zero weights first, as the RFC suggests).
 */
static void
order(struct dns_answer *a)
{
	struct dns_target *t = a->targets, tmp;
	unsigned n = a->ntargets;

	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && (t[j].priority < t[j - 1].priority ||
		    (t[j].priority == t[j - 1].priority &&
		    t[j].weight < t[j - 1].weight)); j--) {
			tmp = t[j];
			t[j] = t[j - 1];
			t[j - 1] = tmp;
		}
	for (unsigned start = 0; start < n;) {
		unsigned end = start;

		while (end < n && t[end].priority == t[start].priority)
			end++;
		for (unsigned i = start; i + 1 < end; i++) {
			uint32_t sum = 0, pick;
			unsigned k;

			for (k = i; k < end; k++)
				sum += t[k].weight;
			pick = sum > 0 ? rnd32() % (sum + 1) : 0;
			for (k = i, sum = 0; k < end; k++) {
				sum += t[k].weight;
				if (sum >= pick)
					break;
			}
			if (k == end)
				k = end - 1;
			tmp = t[i];
			t[i] = t[k];
			t[k] = tmp;
		}
		start = end;
	}
}

/*
 * The A and AAAA records of name into addrs[max] with port.  Returns how
 * many; *sec is secure only if every answer was, bogus if one was.
 */
static unsigned
lookup_addrs(struct asker *q, struct dns_answer *a, const char *host,
    uint16_t port, struct sockaddr_storage *addrs, unsigned max,
    enum dns_sec *sec, uint32_t *ttl)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_AAAA,
	    LDNS_RR_TYPE_A };
	char name[300];
	unsigned n = 0;
	int secure = 1, any = 0, bog = 0;

	snprintf(name, sizeof(name), "%s.", host);
	for (size_t k = 0; k < 2; k++) {
		enum dns_sec one;
		ldns_rr_list *l;
		ldns_pkt *p;

		if (query(q, name, types[k], &p, &one) != 0) {
			if (one == DNS_SEC_BOGUS) {
				bog = 1;
				if (a != NULL)
					bogus(a, q, name, k == 0 ? "AAAA" :
					    "A");
			}
			secure = 0;
			continue;
		}
		if (one != DNS_SEC_SECURE)
			secure = 0;
		l = ldns_pkt_rr_list_by_type(p, types[k], LDNS_SECTION_ANSWER);
		if (ttl != NULL)
			min_ttl(ttl, l);
		for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l) &&
		    n < max; i++) {
			ldns_rdf *rd = ldns_rr_rdf(ldns_rr_list_rr(l, i), 0);
			struct sockaddr_storage *ss;
			size_t sl;

			ss = ldns_rdf2native_sockaddr_storage(rd, port, &sl);
			if (ss == NULL)
				continue;
			addrs[n++] = *ss;
			free(ss);
			any = 1;
		}
		ldns_rr_list_deep_free(l);
		ldns_pkt_free(p);
	}
	*sec = bog ? DNS_SEC_BOGUS : any && secure ? DNS_SEC_SECURE :
	    DNS_SEC_INSECURE;
	return n;
}

static void
addresses(struct asker *q, struct dns_answer *a, struct dns_target *t,
    uint32_t *ttl)
{
	t->naddrs = lookup_addrs(q, a, t->host, t->port, t->addrs,
	    DNS_MAX_ADDRS, &t->addr_sec, ttl);
}

/*
 * TLSA at _port._tcp.host for t (RFC 7673 section 3), its records into
 * a->tlsa.
 */
static void
tlsa(struct asker *q, struct dns_answer *a, struct dns_target *t,
    uint32_t *ttl)
{
	char name[300];
	ldns_rr_list *l;
	enum dns_sec sec;
	ldns_pkt *p;
	int rc;

	snprintf(name, sizeof(name), "_%u._tcp.%s.", t->port, t->host);
	if ((rc = query(q, name, LDNS_RR_TYPE_TLSA, &p, &sec)) != 0) {
		if (rc == DNS_E_BOGUS) {
			t->tlsa = DNS_TLSA_BOGUS;
			bogus(a, q, name, "TLSA");
		} else
			t->tlsa = DNS_TLSA_FAILED;
		return;
	}
	l = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_TLSA,
	    LDNS_SECTION_ANSWER);
	min_ttl(ttl, l);
	t->tlsa_off = a->tlsa_used;
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		unsigned char *o = a->tlsa + a->tlsa_used;
		const ldns_rdf *d;
		size_t len;

		if (ldns_rr_rd_count(rr) != 4 ||
		    ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 1 ||
		    ldns_rdf_size(ldns_rr_rdf(rr, 1)) != 1 ||
		    ldns_rdf_size(ldns_rr_rdf(rr, 2)) != 1)
			continue;
		d = ldns_rr_rdf(rr, 3);
		len = ldns_rdf_size(d);
		if (len > 0xffff || a->tlsa_used + 5 + len > sizeof(a->tlsa)) {
			/* Records we cannot keep are records we cannot check. */
			t->tlsa = DNS_TLSA_FAILED;
			t->ntlsa = 0;
			ldns_rr_list_deep_free(l);
			ldns_pkt_free(p);
			return;
		}
		o[0] = ldns_rdf_data(ldns_rr_rdf(rr, 0))[0];
		o[1] = ldns_rdf_data(ldns_rr_rdf(rr, 1))[0];
		o[2] = ldns_rdf_data(ldns_rr_rdf(rr, 2))[0];
		o[3] = (unsigned char)(len >> 8);
		o[4] = (unsigned char)len;
		memcpy(o + 5, ldns_rdf_data(d), len);
		a->tlsa_used += 5 + (unsigned)len;
		t->ntlsa++;
	}
	if (sec != DNS_SEC_SECURE)
		t->tlsa = DNS_TLSA_INSECURE;
	else
		t->tlsa = t->ntlsa > 0 ? DNS_TLSA_SECURE : DNS_TLSA_NONE;
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
}

size_t
dns_tlsa_records(const struct dns_answer *a, const struct dns_target *t,
    struct cs_tlsa *out, size_t max)
{
	size_t n = 0, off = t->tlsa_off;

	for (unsigned i = 0; i < t->ntlsa && n < max; i++) {
		const unsigned char *o = a->tlsa + off;
		size_t len;

		if (off + 5 > a->tlsa_used)
			break;
		len = (size_t)o[3] << 8 | o[4];
		if (off + 5 + len > a->tlsa_used)
			break;
		out[n].usage = o[0];
		out[n].selector = o[1];
		out[n].mtype = o[2];
		out[n].data = o + 5;
		out[n].len = len;
		n++;
		off += 5 + len;
	}
	return n;
}

/* The way of asking for one lookup; NULL with a->error on failure. */
static int
asker_init(struct asker *q, const struct dns_conf *dc,
    struct dns_answer *a)
{
	memset(q, 0, sizeof(*q));
	q->conf = dc;
	if ((q->r = make_resolver(dc, a)) == NULL)
		return DNS_E_CONFIG;
	if (dc->anchors != NULL && (q->val = dnsval_new(q->r,
	    (const ldns_rr_list *)dc->anchors, time(NULL))) == NULL) {
		ldns_resolver_deep_free(q->r);
		return DNS_E_NOMEM;
	}
	return 0;
}

static void
asker_free(struct asker *q)
{
	dnsval_free(q->val);
	if (q->r != NULL)
		ldns_resolver_deep_free(q->r);
}

static void
resolve(struct dns_req *rq)
{
	struct dns_answer *a = &rq->a;
	uint32_t ttl = MAX_TTL;
	int dot_s = 0, dot = 0, rc;
	struct asker q;

	if ((rc = asker_init(&q, &rq->conf, a)) != 0) {
		a->rc = rc;
		return;
	}
	a->with_tlsa = rq->conf.want_tlsa;
	a->srv_sec = DNS_SEC_SECURE;
	if ((rc = srv(&q, a, "_xmpps-server", 1, &dot_s, &ttl)) != 0 ||
	    (rc = srv(&q, a, "_xmpp-server", 0, &dot, &ttl)) != 0) {
		/* Bogus is a failure, never a reason to fall back (DNS-4). */
		a->rc = rc;
		if (rc == DNS_E_BOGUS)
			a->srv_sec = DNS_SEC_BOGUS;
		goto out;
	}
	if (a->ntargets > 0) {
		a->from_srv = 1;
		order(a);
	} else if (dot || dot_s) {
		/* "." for xmpp-server, or for xmpps with nothing else. */
		a->rc = DNS_E_NOSERVICE;
		goto out;
	} else {
		struct dns_target *t = &a->targets[0];

		/*
		 * No SRV at all: the domain itself on the default port.
		 * srv_sec stays what the absence of SRV records was.
		 */
		memset(t, 0, sizeof(*t));
		snprintf(t->host, sizeof(t->host), "%s", a->domain);
		t->port = XMPP_S2S_PORT;
		a->ntargets = 1;
	}
	for (unsigned i = 0; i < a->ntargets; i++) {
		struct dns_target *t = &a->targets[i];

		addresses(&q, a, t, &ttl);
		/* DANE needs the way to the target secure (DNS-5). */
		if (rq->conf.want_tlsa && a->srv_sec == DNS_SEC_SECURE &&
		    t->addr_sec == DNS_SEC_SECURE && t->naddrs > 0)
			tlsa(&q, a, t, &ttl);
	}
	if (!a->from_srv && a->targets[0].naddrs == 0) {
		a->rc = a->targets[0].addr_sec == DNS_SEC_BOGUS ? DNS_E_BOGUS :
		    DNS_E_NXDOMAIN;
		goto out;
	}
	a->expires = nc_now_ms() + (uint64_t)ttl * 1000;
	cache_put(a);
out:
	if (a->rc != 0 && a->error[0] == '\0')
		snprintf(a->error, sizeof(a->error), "%s", dns_strerror(a->rc));
	asker_free(&q);
}

/* The answer against the peer history (read, never written, here). */
static void
history(struct dns_req *rq)
{
	struct dns_answer *a = &rq->a;
	struct cs_history h;
	size_t len = 0;

	a->srv[0] = a->prev_srv[0] = '\0';
	a->changes = 0;
	if (a->rc != DNS_OK)
		return;
	if (!a->from_srv)
		snprintf(a->srv, sizeof(a->srv), ".");
	else
		for (unsigned i = 0; i < a->ntargets; i++) {
			int n = snprintf(a->srv + len, sizeof(a->srv) - len,
			    "%s%s:%u", len > 0 ? " " : "", a->targets[i].host,
			    a->targets[i].port);

			if (n < 0 || (size_t)n >= sizeof(a->srv) - len)
				break;
			len += (size_t)n;
		}
	if (rq->conf.state_dir == NULL ||
	    cs_history_load(rq->conf.state_dir, a->domain, &h, NULL) != 0)
		return;
	a->changes = cs_history_observe_dns(&h, a->srv,
	    a->srv_sec == DNS_SEC_SECURE) &
	    (CS_HIST_SRV_CHANGED | CS_HIST_DNSSEC_LOST);
	if (a->changes & CS_HIST_SRV_CHANGED)
		snprintf(a->prev_srv, sizeof(a->prev_srv), "%s", h.prev_srv);
	/* The history's own list is sorted: log that one. */
	snprintf(a->srv, sizeof(a->srv), "%s", h.srv);
}

static void
work(uv_work_t *w)
{
	struct dns_req *rq = container_of(w, struct dns_req, work);

	if (!cache_get(rq->a.domain, rq->conf.want_tlsa, &rq->a))
		resolve(rq);
	history(rq);
}

int
dns_addresses_blocking(const struct dns_conf *dc, const char *host,
    uint16_t port, struct sockaddr_storage *out, unsigned max)
{
	struct dns_answer *a = calloc(1, sizeof(*a));
	struct asker q;
	enum dns_sec sec;
	unsigned n;
	int rc;

	if (a == NULL)
		return DNS_E_NOMEM;
	if ((rc = asker_init(&q, dc, a)) != 0) {
		free(a);
		return rc;
	}
	n = lookup_addrs(&q, a, host, port, out, max, &sec, NULL);
	asker_free(&q);
	free(a);
	if (sec == DNS_SEC_BOGUS)
		return DNS_E_BOGUS;
	return n > 0 ? (int)n : DNS_E_NXDOMAIN;
}

static void
after(uv_work_t *w, int status)
{
	struct dns_req *q = container_of(w, struct dns_req, work);
	struct session *s = q->s;

	if (status == UV_ECANCELED)
		q->a.rc = DNS_E_TIMEOUT;
	if (!s->closing)
		q->done(s, &q->a);
	free(q);
	session_unref(s);
}

int
dns_resolve_s2s(struct session *s, const struct dns_conf *dc,
    const char *domain, dns_done_fn *done)
{
	struct dns_req *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return -1;
	q->s = s;
	q->conf = *dc;
	if (q->conf.timeout_ms == 0)
		q->conf.timeout_ms = 3000;
	q->done = done;
	snprintf(q->a.domain, sizeof(q->a.domain), "%s", domain);
	session_ref(s);
	if (uv_queue_work(&s->w->loop, &q->work, work, after) != 0) {
		session_unref(s);
		free(q);
		return -1;
	}
	return 0;
}

const char *
dns_strerror(int err)
{
	switch (err) {
	case DNS_OK:		return "ok";
	case DNS_E_NOSERVICE:	return "no xmpp-server service (\".\")";
	case DNS_E_NXDOMAIN:	return "no such domain or no address";
	case DNS_E_SERVFAIL:	return "resolver failure";
	case DNS_E_BOGUS:	return "DNSSEC validation failed (bogus)";
	case DNS_E_TIMEOUT:	return "resolver timeout";
	case DNS_E_NOMEM:	return "out of memory";
	case DNS_E_CONFIG:	return "no usable resolver";
	}
	return "unknown error";
}

const char *
dns_sec_name(enum dns_sec sec)
{
	switch (sec) {
	case DNS_SEC_INSECURE:	return "insecure";
	case DNS_SEC_SECURE:	return "secure";
	case DNS_SEC_BOGUS:	return "bogus";
	}
	return "?";
}

const char *
dns_tlsa_name(enum dns_tlsa t)
{
	switch (t) {
	case DNS_TLSA_UNASKED:	return "unasked";
	case DNS_TLSA_NONE:	return "none";
	case DNS_TLSA_INSECURE:	return "insecure";
	case DNS_TLSA_SECURE:	return "secure";
	case DNS_TLSA_BOGUS:	return "bogus";
	case DNS_TLSA_FAILED:	return "failed";
	}
	return "?";
}
