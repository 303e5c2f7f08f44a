/*
 * posh.c: fetching and keeping POSH documents (RFC 7711).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dns.h"
#include "log.h"
#include "namecache.h"
#include "posh.h"
#include "session.h"
#include "worker.h"

#define POSH_PATH	"/.well-known/posh/xmpp-server.json"
#define CACHE_SLOTS	128
#define MAX_KEEP	86400		/* seconds a document is kept at most */
#define FAIL_KEEP	60		/* seconds a failure is kept */
#define MAX_BODY	65536		/* bytes of a document */
#define MAX_RESPONSE	(MAX_BODY + 16384)

struct entry {
	char			 domain[256];
	int			 ok;		/* doc holds a document */
	struct cs_posh		 doc;
	char			 error[256];
	uint64_t		 expires;	/* ms */
};

struct posh_req {
	uv_work_t		 work;
	struct session		*s;
	struct conf		*conf;		/* the session's */
	char			 domain[256];
	gnutls_datum_t		 leaf;
	uintptr_t		 tag;
	posh_done_fn		*done;
	/* Results. */
	int			 result;
	char			 detail[300];
	int			 cached;
};

static pthread_mutex_t	 cache_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct entry	*cache[CACHE_SLOTS];

static int
cache_get(const char *domain, struct entry *out)
{
	unsigned i = nc_slot(domain, CACHE_SLOTS);
	int hit = 0;

	pthread_mutex_lock(&cache_mtx);
	if (cache[i] != NULL && strcmp(cache[i]->domain, domain) == 0 &&
	    cache[i]->expires > nc_now_ms()) {
		*out = *cache[i];
		hit = 1;
	}
	pthread_mutex_unlock(&cache_mtx);
	return hit;
}

static void
cache_put(const struct entry *e)
{
	unsigned i = nc_slot(e->domain, CACHE_SLOTS);
	struct entry *copy;

	if (e->expires <= nc_now_ms() ||
	    (copy = malloc(sizeof(*copy))) == NULL)
		return;
	*copy = *e;
	pthread_mutex_lock(&cache_mtx);
	free(cache[i]);
	cache[i] = copy;
	pthread_mutex_unlock(&cache_mtx);
}

void
posh_cache_clear(void)
{
	pthread_mutex_lock(&cache_mtx);
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i]);
		cache[i] = NULL;
	}
	pthread_mutex_unlock(&cache_mtx);
}

struct url {
	char		 host[256];
	uint16_t	 port;
	char		 path[512];
};

/* "https://host[:port]/path" with a DNS name for host; -1 otherwise. */
static int
parse_url(const char *u, struct url *out)
{
	const char *h, *end, *colon;
	size_t hl;
	long port = 443;

	if (strncasecmp(u, "https://", 8) != 0)
		return -1;
	h = u + 8;
	end = h + strcspn(h, "/?#");
	colon = memchr(h, ':', (size_t)(end - h));
	hl = (size_t)((colon != NULL ? colon : end) - h);
	if (hl == 0 || hl >= sizeof(out->host))
		return -1;
	for (size_t i = 0; i < hl; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return -1;
	}
	memcpy(out->host, h, hl);
	out->host[hl] = '\0';
	for (char *p = out->host; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (colon != NULL) {
		char *e;

		port = strtol(colon + 1, &e, 10);
		if (e != end || port < 1 || port > 65535)
			return -1;
	}
	out->port = (uint16_t)port;
	if (*end == '\0')
		snprintf(out->path, sizeof(out->path), "/");
	else if (*end != '/' || strlen(end) >= sizeof(out->path))
		return -1;
	else {
		snprintf(out->path, sizeof(out->path), "%s", end);
		/* The fragment is not the server's business. */
		out->path[strcspn(out->path, "#")] = '\0';
		for (const char *p = out->path; *p != '\0'; p++)
			if (*p <= ' ' || *p > '~')
				return -1;
	}
	return 0;
}

/* A connection on the threadpool, every wait bounded by deadline. */
struct conn {
	int		 fd;
	uint64_t	 deadline;	/* ms */
	gnutls_session_t tls;
};

static int
wait_fd(struct conn *c, short events, unsigned cap_ms)
{
	uint64_t now = nc_now_ms();
	struct pollfd pfd = { c->fd, events, 0 };
	int ms, rc;

	if (now >= c->deadline)
		return 0;
	ms = (int)(c->deadline - now);
	if (cap_ms != 0 && (unsigned)ms > cap_ms)
		ms = (int)cap_ms;
	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

static ssize_t
c_push(gnutls_transport_ptr_t p, const void *buf, size_t n)
{
	struct conn *c = p;
	ssize_t w;

	for (;;) {
		w = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (w >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (errno == EAGAIN && !wait_fd(c, POLLOUT, 0)) {
			gnutls_transport_set_errno(c->tls, ETIMEDOUT);
			return -1;
		}
	}
	if (w < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return w;
}

static ssize_t
c_pull(gnutls_transport_ptr_t p, void *buf, size_t n)
{
	struct conn *c = p;
	ssize_t r;

	for (;;) {
		r = recv(c->fd, buf, n, 0);
		if (r >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (errno == EAGAIN && !wait_fd(c, POLLIN, 0)) {
			gnutls_transport_set_errno(c->tls, ETIMEDOUT);
			return -1;
		}
	}
	if (r < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return r;
}

static int
c_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct conn *c = p;

	return wait_fd(c, POLLIN, ms == GNUTLS_INDEFINITE_TIMEOUT ? 0 :
	    (ms == 0 ? 1 : ms));
}

/* Connect to one of the host's addresses before the deadline. */
static int
dial(const struct conf *cf, const struct url *u, struct conn *c, char *err,
    size_t errlen)
{
	struct sockaddr_storage addrs[8];
	struct dns_conf dc;
	int n;

	conf_dns(cf, 0, 0, &dc);
	n = dns_addresses_blocking(&dc, u->host, u->port, addrs, 8);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", u->host, dns_strerror(n));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		socklen_t sl = addrs[i].ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		int so = 0;
		socklen_t ol = sizeof(so);

		c->fd = socket(addrs[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, (struct sockaddr *)&addrs[i], sl) == 0 ||
		    (errno == EINPROGRESS && wait_fd(c, POLLOUT, 0) &&
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &ol) == 0 &&
		    so == 0))
			return 0;
		close(c->fd);
		c->fd = -1;
	}
	snprintf(err, errlen, "%s port %u: cannot connect", u->host, u->port);
	return -1;
}

static int
send_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = gnutls_record_send(c->tls, p, n);

		if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Decode a chunked body in place; its length, or -1. */
static long
unchunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	for (;;) {
		char *end;
		unsigned long n;

		if (in >= len)
			return -1;
		n = strtoul(b + in, &end, 16);
		if (end == b + in || (end = memchr(end, '\n', len -
		    (size_t)(end - b))) == NULL)
			return -1;
		in = (size_t)(end - b) + 1;
		if (n == 0)
			return (long)out;
		if (n > len - in || n + 2 > len - in)
			return -1;
		memmove(b + out, b + in, n);
		out += n;
		in += n;
		if (b[in] == '\r')
			in++;
		if (in >= len || b[in] != '\n')
			return -1;
		in++;
	}
}

/*
 * GET url into body (NUL-terminated), the server's certificate verified
 * for its host.  Returns the body's length, or -1 with err filled.
 */
static long
https_get(const struct conf *cf, const struct url *u, unsigned timeout_s,
    char *body, char *err, size_t errlen)
{
	struct conn c = { -1, nc_now_ms() + (uint64_t)timeout_s * 1000, NULL };
	gnutls_certificate_credentials_t cred = NULL;
	const gnutls_datum_t *chain;
	struct cs_peer_result pr = { 0 };
	char *resp = NULL, req[1024], *hdr_end, *p;
	unsigned n = 0;
	size_t got = 0;
	long len = -1, clen = -1;
	int rc, chunked = 0, status;

	if (dial(cf, u, &c, err, errlen) != 0)
		return -1;
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_init(&c.tls, GNUTLS_CLIENT) < 0 ||
	    (resp = malloc(MAX_RESPONSE + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Our trust anchors judge the certificate below, not GnuTLS's. */
	gnutls_credentials_set(c.tls, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_priority_set_direct(c.tls,
	    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL);
	gnutls_server_name_set(c.tls, GNUTLS_NAME_DNS, u->host,
	    strlen(u->host));
	gnutls_transport_set_ptr(c.tls, &c);
	gnutls_transport_set_push_function(c.tls, c_push);
	gnutls_transport_set_pull_function(c.tls, c_pull);
	gnutls_transport_set_pull_timeout_function(c.tls, c_pull_timeout);
	do
		rc = gnutls_handshake(c.tls);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		snprintf(err, errlen, "%s: TLS: %s", u->host,
		    gnutls_strerror(rc));
		goto out;
	}
	chain = gnutls_certificate_get_peers(c.tls, &n);
	if (chain == NULL || n == 0 || cs_verify_peer(cf->cs, chain, n,
	    u->host, CS_XMPP_SERVER, time(NULL), &pr) != 0 || !pr.pkix ||
	    (pr.id != CS_ID_DNS && pr.id != CS_ID_WILDCARD)) {
		snprintf(err, errlen, "%.60s: the web server's certificate"
		    " does not verify for it%s%.60s", u->host,
		    chain != NULL && n > 0 && pr.reason[0] != '\0' ? ": " : "",
		    chain != NULL && n > 0 ? pr.reason : "");
		goto out;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s%s%.0u\r\n"
	    "Accept: application/json\r\nUser-Agent: portcullis/"
	    PORTCULLIS_VERSION "\r\nConnection: close\r\n\r\n", u->path,
	    u->host, u->port != 443 ? ":" : "", u->port != 443 ? u->port : 0);
	if (send_all(&c, req, strlen(req)) != 0) {
		snprintf(err, errlen, "%s: cannot send the request", u->host);
		goto out;
	}
	while (got < MAX_RESPONSE) {
		ssize_t r = gnutls_record_recv(c.tls, resp + got,
		    MAX_RESPONSE - got);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
			break;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", u->host,
			    gnutls_strerror((int)r));
			goto out;
		}
		got += (size_t)r;
	}
	resp[got] = '\0';
	if (got == MAX_RESPONSE) {
		snprintf(err, errlen, "%s: the answer is too large", u->host);
		goto out;
	}
	if ((hdr_end = strstr(resp, "\r\n\r\n")) == NULL ||
	    sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(err, errlen, "%s: not an HTTP answer", u->host);
		goto out;
	}
	if (status != 200) {
		snprintf(err, errlen, "%s: HTTP %d", u->host, status);
		goto out;
	}
	*hdr_end = '\0';
	for (p = strstr(resp, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			clen = strtol(p + 17, NULL, 10);
		else if (strncasecmp(p + 2, "Transfer-Encoding:", 18) == 0 &&
		    strstr(p + 20, "chunked") != NULL)
			chunked = 1;
	}
	p = hdr_end + 4;
	len = (long)(got - (size_t)(p - resp));
	if (chunked)
		len = unchunk(p, (size_t)len);
	else if (clen >= 0) {
		if (clen > len)
			len = -1;
		else
			len = clen;
	}
	if (len < 0 || len > MAX_BODY) {
		snprintf(err, errlen, "%s: a truncated or oversized document",
		    u->host);
		len = -1;
		goto out;
	}
	memcpy(body, p, (size_t)len);
	body[len] = '\0';
out:
	if (c.tls != NULL) {
		gnutls_deinit(c.tls);
	}
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	if (c.fd >= 0)
		close(c.fd);
	free(resp);
	return len;
}

/* One document at url into e, following one delegation. */
static void
fetch(const struct conf *cf, const char *domain, struct entry *e)
{
	unsigned timeout = cf->pol->timeouts.posh;
	char url[600], *body;
	struct cs_posh second;
	struct url u;
	long len;
	long long keep;

	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	e->expires = nc_now_ms() + FAIL_KEEP * 1000;
	if ((body = malloc(MAX_BODY + 1)) == NULL) {
		snprintf(e->error, sizeof(e->error), "out of memory");
		e->expires = 0;
		return;
	}
	snprintf(url, sizeof(url), "https://%s" POSH_PATH, domain);
	if (parse_url(url, &u) != 0) {
		snprintf(e->error, sizeof(e->error), "%.100s: not a host"
		    " name", domain);
		goto out;
	}
	if ((len = https_get(cf, &u, timeout, body, e->error,
	    sizeof(e->error))) < 0)
		goto out;
	if (cs_posh_parse(body, (size_t)len, &e->doc) != 0) {
		snprintf(e->error, sizeof(e->error), "%.100s: not a POSH"
		    " document", url);
		goto out;
	}
	keep = e->doc.expires;
	if (e->doc.url[0] != '\0') {
		/* RFC 7711 section 3.3: one delegation, to https. */
		if (parse_url(e->doc.url, &u) != 0 || (len = https_get(cf, &u,
		    timeout, body, e->error, sizeof(e->error))) < 0) {
			if (e->error[0] == '\0')
				snprintf(e->error, sizeof(e->error), "%.100s:"
				    " a delegation to an unusable url", url);
			goto out;
		}
		if (cs_posh_parse(body, (size_t)len, &second) != 0 ||
		    second.nfp == 0) {
			snprintf(e->error, sizeof(e->error), "%.100s: no"
			    " fingerprints there", e->doc.url);
			goto out;
		}
		if (second.expires >= 0 && (keep < 0 || second.expires < keep))
			keep = second.expires;
		snprintf(second.url, sizeof(second.url), "%s", e->doc.url);
		e->doc = second;
	}
	e->ok = 1;
	if (keep > MAX_KEEP)
		keep = MAX_KEEP;
	e->expires = keep > 0 ? nc_now_ms() + (uint64_t)keep * 1000 : 0;
out:
	free(body);
}

static void
work(uv_work_t *w)
{
	struct posh_req *q = container_of(w, struct posh_req, work);
	struct entry *e = malloc(sizeof(*e));

	if (e == NULL) {
		q->result = -1;
		snprintf(q->detail, sizeof(q->detail), "out of memory");
		return;
	}
	if (cache_get(q->domain, e))
		q->cached = 1;
	else {
		fetch(q->conf, q->domain, e);
		cache_put(e);
	}
	if (!e->ok) {
		q->result = -1;
		snprintf(q->detail, sizeof(q->detail), "POSH: %.160s",
		    e->error);
	} else if (cs_posh_match(&q->leaf, &e->doc)) {
		q->result = 1;
		snprintf(q->detail, sizeof(q->detail), "POSH: a fingerprint"
		    " matches%s%.100s", e->doc.url[0] != '\0' ?
		    ", delegated to " : "", e->doc.url);
	} else {
		q->result = 0;
		snprintf(q->detail, sizeof(q->detail), "POSH: no fingerprint"
		    " of the document matches the certificate");
	}
	free(e);
}

static void
after(uv_work_t *w, int status)
{
	struct posh_req *q = container_of(w, struct posh_req, work);
	struct session *s = q->s;
	struct ev e;

	if (status == UV_ECANCELED) {
		q->result = -1;
		snprintf(q->detail, sizeof(q->detail), "POSH: cancelled");
	}
	if (!s->closing) {
		ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "posh.checked");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "domain", q->domain);
		ev_str(&e, "result", q->result > 0 ? "match" :
		    q->result == 0 ? "no-match" : "none");
		ev_bool(&e, "cached", q->cached);
		ev_str(&e, "detail", q->detail);
		ev_end(&e);
		q->done(s, q->tag, q->result, q->detail);
	}
	gnutls_free(q->leaf.data);
	free(q);
	session_unref(s);
}

int
posh_check(struct session *s, const char *domain, const gnutls_datum_t *leaf,
    uintptr_t tag, posh_done_fn *done)
{
	struct posh_req *q;

	if (leaf == NULL || leaf->size == 0 ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	if ((q->leaf.data = gnutls_malloc(leaf->size)) == NULL) {
		free(q);
		return -1;
	}
	memcpy(q->leaf.data, leaf->data, leaf->size);
	q->leaf.size = leaf->size;
	q->s = s;
	q->conf = s->conf;
	q->tag = tag;
	q->done = done;
	snprintf(q->domain, sizeof(q->domain), "%s", domain);
	session_ref(s);
	if (uv_queue_work(&s->w->loop, &q->work, work, after) != 0) {
		session_unref(s);
		gnutls_free(q->leaf.data);
		free(q);
		return -1;
	}
	return 0;
}
