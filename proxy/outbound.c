/*
 * outbound.c: originating TLS for the backend's outbound s2s streams.
 *
 * States, per session (ob->phase):
 *   HEADER     waiting for the backend's stream header (to, from)
 *   PAIR       (a header without to, as jabberd2 sends) we answered the
 *              header ourselves and wait for the first dialback element
 *              to learn which domains talk
 *   RESOLVE    SRV and addresses being looked up
 *   CONNECT    TCP connect to one address of one target
 *   FEATURES   our header sent in plaintext, waiting for the remote's
 *              header and features
 *   PROCEED    <starttls/> sent (offered or not), waiting for <proceed/>
 *   HANDSHAKE  TLS client handshake (direct TLS starts here)
 *   POSH       TLS up; the remote's POSH document is being fetched, as
 *              nothing else the rule lists authenticates it
 *   HISTORY    TLS up and verified, waiting for the peer history to say
 *              whether a changed key is refused (key-change
 *              "require-dane" only)
 *   TLS_HEADER TLS up and verified: the backend's header was replayed,
 *              waiting for the remote's; then the session relays.
 *              When we answered the backend ourselves, our own header
 *              opens the stream inside TLS instead, and the remote's
 *              header and features stay with us: a db:verify is relayed
 *              as is; a db:result is answered by authenticating to the
 *              remote with SASL EXTERNAL and our certificate (SASL,
 *              SASL_RESTART), or, where EXTERNAL is not offered, relayed
 *              with its stream id mapped for the verification that
 *              comes back (dbmap.c).
 * A failure before TLS is up and verified tries the next address, then
 * the next target; when none is left the backend gets
 * <remote-connection-failed/>.  Never plaintext, never a retry without
 * TLS (STARTTLS-9, STARTTLS-14).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dbmap.h"
#include "dialback.h"
#include "dns.h"
#include "leg.h"
#include "log.h"
#include "metrics.h"
#include "outbound.h"
#include "peer.h"
#include "posh.h"
#include "relay.h"
#include "secevent.h"
#include "stream.h"
#include "summary.h"
#include "tls.h"
#include "tlspolicy.h"
#include "worker.h"

enum ob_phase {
	OB_HEADER, OB_PAIR, OB_RESOLVE, OB_CONNECT, OB_FEATURES, OB_PROCEED,
	OB_HANDSHAKE, OB_POSH, OB_HISTORY, OB_TLS_HEADER, OB_SASL,
	OB_SASL_RESTART, OB_DONE
};

/* The peer history's say on an attempt's key (key-change). */
enum ob_hist {
	HIST_NONE,		/* not asked to wait for it */
	HIST_WAIT,		/* asked, not yet in */
	HIST_ALLOWED,
	HIST_REFUSED
};

struct s2s_out {
	enum ob_phase		 phase;
	struct dns_answer	*ans;		/* freed once relaying */
	unsigned		 ti, ai;	/* target, address tried */
	uint64_t		 t_attempt;	/* this attempt began, ms */
	unsigned		 attempts;
	int			 dialback;	/* backend declared xmlns:db */
	char			 local[256];	/* our domain: header from */
	char			 target[300];	/* "host:port" now tried */
	char			 last_error[512];
	int			 starttls;	/* offered: 1, not: 0, direct:
						   -1 (the peer history) */
	int			 answered;	/* we sent the backend a header */
	char			 first;		/* answered: 'r' db:result, 'v'
						   db:verify came first */
	uint64_t		 first_end;	/* its end in the backend input */
	char			 first_id[128];	/* its id (db:verify) */
	char			 our_id[33];	/* answered: the id we gave */
	char			 remote_id[128]; /* the remote's stream id */
	int			 routed;	/* a static route, not DNS */
	uint64_t		 handshake_ms;	/* of the attempt, for logs */
	struct peer_check	*pc;		/* waiting for POSH */
	enum ob_hist		 hist;		/* this attempt's key */
};

static void backend_event(void *arg, const struct xs_event *ev);
static void backend_input(struct leg *l, const char *p, size_t n);
static void remote_event(void *arg, const struct xs_event *ev);
static void remote_input(struct leg *l, const char *p, size_t n);
static void remote_tls_up(struct leg *l);
static void remote_failed(struct leg *l, const char *reason);
static void next_attempt(struct session *s);

static const struct leg_ops backend_ops = {
	.input = backend_input
};

static const struct leg_ops remote_ops = {
	.input = remote_input,
	.tls_up = remote_tls_up,
	.failed = remote_failed
};

/* The address the backend meant to reach, when iptables redirected it. */
static void
log_original_dst(struct session *s)
{
	struct sockaddr_storage orig, local;
	socklen_t ol = sizeof(orig), ll = sizeof(local);
	char ip[INET6_ADDRSTRLEN] = "";
	uv_os_fd_t fd;
	uint16_t port = 0;
	struct ev e;

	memset(&orig, 0, sizeof(orig));
	memset(&local, 0, sizeof(local));
	if (uv_fileno(&s->legacy.u.h, &fd) != 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &ll) != 0)
		return;
	if (local.ss_family == AF_INET6) {
		if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &orig,
		    &ol) != 0)
			return;
		uv_ip6_name((struct sockaddr_in6 *)&orig, ip, sizeof(ip));
		port = ntohs(((struct sockaddr_in6 *)&orig)->sin6_port);
		if (memcmp(&((struct sockaddr_in6 *)&orig)->sin6_addr,
		    &((struct sockaddr_in6 *)&local)->sin6_addr, 16) == 0 &&
		    port == ntohs(((struct sockaddr_in6 *)&local)->sin6_port))
			return;
	} else {
		if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &orig, &ol) != 0)
			return;
		uv_ip4_name((struct sockaddr_in *)&orig, ip, sizeof(ip));
		port = ntohs(((struct sockaddr_in *)&orig)->sin_port);
		if (((struct sockaddr_in *)&orig)->sin_addr.s_addr ==
		    ((struct sockaddr_in *)&local)->sin_addr.s_addr &&
		    port == ntohs(((struct sockaddr_in *)&local)->sin_port))
			return;
	}
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "s2s.redirected");
	ev_str(&e, "peer", s->peer);
	ev_fmt(&e, "original_dst", local.ss_family == AF_INET6 ? "[%s]:%u" :
	    "%s:%u", ip, port);
	ev_end(&e);
}

void
outbound_start(struct session *s)
{
	struct leg *l = &s->legacy;

	if ((s->ob = calloc(1, sizeof(*s->ob))) == NULL) {
		session_abort(s, "enomem");
		return;
	}
	leg_set_ops(l, &backend_ops);
	l->xs = xs_new(&s->conf->xlim, XS_NS_SERVER, backend_event, l);
	if (l->xs == NULL) {
		session_abort(s, "enomem");
		return;
	}
	l->state = LEG_PLAIN;
	s->phase = PH_HEADER;
	log_original_dst(s);
	if (leg_read_start(l) != 0) {
		session_abort(s, "read-failed");
		return;
	}
	session_timer_update(s);
}

void
outbound_free(struct session *s)
{
	if (s->ob == NULL)
		return;
	free(s->ob->ans);
	free(s->ob->pc);
	free(s->ob);
	s->ob = NULL;
}

/* Give up on the remote: the backend hears why (ERR-3). */
static void
give_up(struct session *s, const char *text, const char *reason)
{
	struct ev e;

	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "s2s.unreachable");
	ev_str(&e, "domain", s->peer_domain);
	ev_str(&e, "from", s->ob->local);
	ev_u64(&e, "attempts", s->ob->attempts);
	ev_str(&e, "error", s->ob->last_error[0] != '\0' ?
	    s->ob->last_error : text);
	ev_end(&e);
	s->ob->phase = OB_DONE;
	session_stream_error(s, "remote-connection-failed", text, reason);
}

static void
on_attempt_closed(uv_handle_t *h)
{
	struct session *s = h->data;

	s->remote.inited = 0;
	if (s->closing) {
		session_handle_closed(s);
		return;
	}
	s->open_handles--;
	next_attempt(s);
	session_flush(s);
}

/*
 * This attempt failed: log it, close the remote socket, and go on with
 * the next address once the close is done.
 */
static void
attempt_failed(struct session *s, const char *why)
{
	struct s2s_out *ob = s->ob;
	struct leg *l = &s->remote;
	struct ev e;

	snprintf(ob->last_error, sizeof(ob->last_error), "%s: %s",
	    ob->target, why);
	/* A POSH answer still to come is for nobody now. */
	free(ob->pc);
	ob->pc = NULL;
	ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "s2s.attempt_failed");
	ev_str(&e, "domain", s->peer_domain);
	ev_str(&e, "target", ob->target);
	ev_str(&e, "error", why);
	ev_end(&e);
	/*
	 * Once the backend's own bytes went to this remote they cannot be
	 * replayed to another: the backend hears of it and retries.
	 */
	if (ob->phase >= OB_TLS_HEADER && !ob->answered) {
		give_up(s, "the remote server failed", "remote-failed");
		return;
	}
	ob->phase = OB_CONNECT;
	if (l->inited && !uv_is_closing(&l->u.h)) {
		l->state = LEG_CLOSED;
		l->reading = 0;
		uv_close(&l->u.h, on_attempt_closed);
		return;
	}
	next_attempt(s);
}

static void
remote_failed(struct leg *l, const char *reason)
{
	attempt_failed(l->s, reason);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct leg *l = container_of(req, struct leg, creq);
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;
	const struct dns_target *t;

	if (status == UV_ECANCELED || s->closing)
		return;
	if (status < 0) {
		attempt_failed(s, uv_err_name(status));
		session_flush(s);
		return;
	}
	t = &ob->ans->targets[ob->ti];
	uv_tcp_nodelay(&l->u.tcp, 1);
	leg_set_ops(l, &remote_ops);
	l->xs = xs_new(&s->conf->xlim, XS_NS_SERVER, remote_event, l);
	if (l->xs == NULL) {
		session_abort(s, "enomem");
		return;
	}
	if (leg_read_start(l) != 0) {
		attempt_failed(s, "read");
		return;
	}
	if (t->direct_tls) {
		/* XEP-0368: TLS from the first byte, ALPN xmpp-server. */
		ob->phase = OB_HANDSHAKE;
		ob->starttls = -1;
		tls_client_start(l, s->peer_domain, "xmpp-server", ob->local);
	} else {
		l->state = LEG_PLAIN;
		ob->phase = OB_FEATURES;
		stream_send_initiator_header(l, ob->local, s->peer_domain,
		    ob->dialback);
	}
	session_flush(s);
}

/* Connect to address ob->ai of target ob->ti. */
static void
start_attempt(struct session *s)
{
	struct s2s_out *ob = s->ob;
	const struct dns_target *t = &ob->ans->targets[ob->ti];
	const struct sockaddr_storage *ss = &t->addrs[ob->ai];
	struct leg *l = &s->remote;
	char ip[INET6_ADDRSTRLEN] = "?";
	int rc;

	if (ss->ss_family == AF_INET6)
		uv_ip6_name((const struct sockaddr_in6 *)ss, ip, sizeof(ip));
	else
		uv_ip4_name((const struct sockaddr_in *)ss, ip, sizeof(ip));
	snprintf(ob->target, sizeof(ob->target),
	    ss->ss_family == AF_INET6 ? "%s[%s]:%u" : "%s(%s):%u", t->host,
	    ip, t->port);
	/* Outbound, the peer that matters is the remote, not the backend. */
	snprintf(s->peer, sizeof(s->peer), ss->ss_family == AF_INET6 ?
	    "[%s]:%u" : "%s:%u", ip, t->port);
	leg_free(l);
	leg_init(l, s, "remote", &s->legacy);
	uv_tcp_init(&s->w->loop, &l->u.tcp);
	l->u.h.data = s;
	l->inited = 1;
	s->open_handles++;
	l->state = LEG_CONNECTING;
	ob->phase = OB_CONNECT;
	ob->attempts++;
	ob->t_attempt = s->t_connect = uv_now(&s->w->loop);
	rc = uv_tcp_connect(&l->creq, &l->u.tcp, (const struct sockaddr *)ss,
	    on_connect);
	if (rc != 0) {
		attempt_failed(s, uv_err_name(rc));
		return;
	}
	session_timer_update(s);
}

static int
rule_lists(const struct pol_rule *r, enum pol_auth m)
{
	for (size_t i = 0; i < r->nauth; i++)
		if (r->auth[i] == m)
			return 1;
	return 0;
}

/*
 * May this target be tried under the rule?  Not when DANE is wanted and
 * its TLSA answer was bogus or missing (DNS-5), nor when DNSSEC is
 * required and its addresses were insecure; report mode tries it anyway,
 * resolved() having said so.
 */
static int
unusable(struct session *s, const struct dns_target *t)
{
	const struct pol_rule *r = pol_rule(s->conf->pol, POL_S2S_OUT,
	    s->peer_domain);

	if (s->ob->routed || r->action == POL_REPORT)
		return 0;
	if (rule_lists(r, POL_AUTH_DANE) && (t->tlsa == DNS_TLSA_BOGUS ||
	    t->tlsa == DNS_TLSA_FAILED))
		return 1;
	return r->dnssec == POL_DNSSEC_REQUIRE &&
	    t->addr_sec != DNS_SEC_SECURE;
}

/* The next usable address of this target, else the next target. */
static void
next_attempt(struct session *s)
{
	struct s2s_out *ob = s->ob;
	const struct dns_answer *a = ob->ans;

	if (ob->attempts > 0)
		ob->ai++;
	for (; ob->ti < a->ntargets; ob->ti++, ob->ai = 0) {
		const struct dns_target *t = &a->targets[ob->ti];

		/* Bogus addresses are failures, never fallbacks. */
		if (t->addr_sec == DNS_SEC_BOGUS || unusable(s, t))
			continue;
		if (ob->ai < t->naddrs) {
			start_attempt(s);
			return;
		}
	}
	give_up(s, "no server of the remote domain could be reached"
	    " with TLS", "remote-unreachable");
}

/* "xmpp.example.org:5269 secure 2, ...": each target's TLSA, for logs. */
static void
tlsa_summary(const struct dns_answer *a, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < a->ntargets && len < outlen; i++) {
		const struct dns_target *t = &a->targets[i];

		if (t->tlsa == DNS_TLSA_UNASKED)
			continue;
		len += (size_t)snprintf(out + len, outlen - len, "%s%s:%u %s",
		    len > 0 ? ", " : "", t->host, t->port,
		    dns_tlsa_name(t->tlsa));
		if (t->tlsa == DNS_TLSA_SECURE && len < outlen)
			len += (size_t)snprintf(out + len, outlen - len, " %u",
			    t->ntlsa);
	}
}

/* What DNS said that the rule, or the peer history, objects to. */
static int
dns_downgrades(struct session *s, const struct dns_answer *a)
{
	const struct pol_rule *r = pol_rule(s->conf->pol, POL_S2S_OUT,
	    s->peer_domain);
	const char *action = r->action == POL_REPORT ? "reported" :
	    "refused";
	int require = r->dnssec == POL_DNSSEC_REQUIRE, secure_addr = 0;
	struct ev e;

	if (a->changes & CS_HIST_SRV_CHANGED)
		sev_srv_changed(s, s->peer_domain, a->prev_srv, a->srv,
		    dns_sec_name(a->srv_sec), "allowed");
	if (a->changes & CS_HIST_DNSSEC_LOST)
		sev_dnssec_downgrade(s, s->peer_domain, require ? action :
		    "allowed");
	for (unsigned i = 0; i < a->ntargets; i++) {
		const struct dns_target *t = &a->targets[i];
		char q[300];

		if (t->addr_sec == DNS_SEC_SECURE)
			secure_addr = 1;
		if (!rule_lists(r, POL_AUTH_DANE) ||
		    (t->tlsa != DNS_TLSA_BOGUS && t->tlsa != DNS_TLSA_FAILED))
			continue;
		snprintf(q, sizeof(q), "_%u._tcp.%s", t->port, t->host);
		if (t->tlsa == DNS_TLSA_BOGUS)
			sev_dane_bogus(s, s->peer_domain, q, a->bogus_why,
			    r->action == POL_REPORT ? "reported" :
			    "target-skipped");
		/* What s2s.unreachable says if no server is left. */
		snprintf(s->ob->last_error, sizeof(s->ob->last_error),
		    "%s: the TLSA answer is %s: the server is not used", q,
		    t->tlsa == DNS_TLSA_BOGUS ? "bogus" : "missing");
	}
	if (!require)
		return 0;
	if (a->srv_sec != DNS_SEC_SECURE || !secure_addr) {
		sev_dnssec_insecure(s, s->peer_domain, a->srv_sec !=
		    DNS_SEC_SECURE ? "SRV" : "A/AAAA", action);
		if (r->action == POL_REPORT) {
			ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
			    "policy.would_have_rejected");
			ev_str(&e, "peer", s->peer);
			ev_str(&e, "domain", s->peer_domain);
			ev_str(&e, "rule", r->name);
			ev_u64(&e, "line", (uint64_t)r->line);
			ev_str(&e, "reason", "DNSSEC required, answers insecure");
			ev_end(&e);
			return 0;
		}
		snprintf(s->ob->last_error, sizeof(s->ob->last_error),
		    "dns: DNSSEC required, the %s answers are insecure",
		    a->srv_sec != DNS_SEC_SECURE ? "SRV" : "address");
		give_up(s, "the remote domain's DNS is not signed",
		    "dnssec-insecure");
		return -1;
	}
	return 0;
}

static void
resolved(struct session *s, const struct dns_answer *a)
{
	struct s2s_out *ob = s->ob;
	char tlsa[400];
	struct ev e;

	if (a->rc == DNS_E_BOGUS)
		sev_dnssec_bogus(s, s->peer_domain, a->bogus_name,
		    a->bogus_type, a->bogus_why, "refused");
	tlsa_summary(a, tlsa, sizeof(tlsa));
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "s2s.resolved");
	ev_str(&e, "domain", s->peer_domain);
	if (a->rc != DNS_OK)
		ev_str(&e, "error", a->error);
	ev_bool(&e, "srv", a->from_srv);
	ev_str(&e, "dnssec", ob->routed ? "none" : dns_sec_name(a->srv_sec));
	ev_u64(&e, "targets", a->ntargets);
	if (tlsa[0] != '\0')
		ev_str(&e, "tlsa", tlsa);
	ev_end(&e);
	if (a->rc != DNS_OK) {
		snprintf(ob->last_error, sizeof(ob->last_error), "dns: %s",
		    a->error);
		give_up(s, a->rc == DNS_E_NOSERVICE ? "the remote domain"
		    " offers no server-to-server service" :
		    "the remote domain could not be resolved",
		    a->rc == DNS_E_BOGUS ? "dnssec-bogus" : "dns-failed");
		session_flush(s);
		return;
	}
	if (!ob->routed && dns_downgrades(s, a) != 0) {
		session_flush(s);
		return;
	}
	if ((ob->ans = malloc(sizeof(*ob->ans))) == NULL) {
		session_abort(s, "enomem");
		return;
	}
	*ob->ans = *a;
	next_attempt(s);
	session_flush(s);
}

/* A static route, if one is configured, replaces the DNS lookup. */
static int
route(struct session *s)
{
	const struct pol_route *r = pol_route(s->conf->pol, s->peer_domain);
	struct dns_answer *a;
	struct dns_target *t;
	int rc;

	if (r == NULL)
		return 0;
	/* An answer is large: not on the stack. */
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		session_abort(s, "enomem");
		return 1;
	}
	s->ob->routed = 1;
	snprintf(a->domain, sizeof(a->domain), "%s", s->peer_domain);
	t = &a->targets[0];
	snprintf(t->host, sizeof(t->host), "%s", r->addr.host);
	t->port = r->addr.port;
	t->direct_tls = r->tls == POL_TLS_DIRECT;
	if (strchr(r->addr.host, ':') != NULL)
		rc = uv_ip6_addr(r->addr.host, r->addr.port,
		    (struct sockaddr_in6 *)&t->addrs[0]);
	else
		rc = uv_ip4_addr(r->addr.host, r->addr.port,
		    (struct sockaddr_in *)&t->addrs[0]);
	if (rc != 0) {
		free(a);
		s->ob->routed = 0;
		return 0;
	}
	t->naddrs = 1;
	a->ntargets = 1;
	resolved(s, a);
	free(a);
	return 1;
}

static void start_pair(struct session *s, const char *to, const char *from);

/*
 * A header that does not say where it goes (jabberd2's): answer it as the
 * receiving server would, and learn the domains from the first dialback
 * element.  The id is ours, so a db:result key the backend computes on
 * it is taken care of after TLS (see the head of this file).
 */
static void
answer_backend(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;
	const struct xs_header *h = xs_header(l->xs);

	ob->answered = 1;
	relay_drop(l, ev->end);
	if (stream_send_header(l, XS_NS_SERVER, NULL, h->major < 1,
	    ob->dialback) != 0)
		return;
	snprintf(ob->our_id, sizeof(ob->our_id), "%s", l->sent_id);
	if (h->major >= 1)
		leg_send_str(l, "<stream:features/>");
	ob->phase = OB_PAIR;
}

/* The first element of an answered stream names the two domains. */
static void
backend_pair(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;
	const char *to, *from;
	char norm[256];

	if (ev->type == XS_EV_SPACE) {
		relay_drop(l, ev->end);
		return;
	}
	if (ev->type != XS_EV_ELEMENT || strcmp(ev->ns, XS_NS_DIALBACK) != 0 ||
	    (strcmp(ev->name, "result") != 0 &&
	    strcmp(ev->name, "verify") != 0) ||
	    xs_attr(l->xs, "type") != NULL) {
		xs_reset(l->xs);
		session_stream_error(s, "not-authorized", "dialback first",
		    "no-dialback-request");
		return;
	}
	if ((to = xs_attr(l->xs, "to")) == NULL ||
	    (from = xs_attr(l->xs, "from")) == NULL ||
	    pol_domain_normalise(to, norm, sizeof(norm)) != 0) {
		xs_reset(l->xs);
		session_stream_error(s, "improper-addressing", NULL,
		    "dialback-without-to");
		return;
	}
	ob->first = ev->name[0] == 'r' ? 'r' : 'v';
	ob->first_end = ev->end;
	snprintf(ob->first_id, sizeof(ob->first_id), "%s",
	    xs_attr(l->xs, "id") != NULL ? xs_attr(l->xs, "id") : "");
	l->fwd_end = ev->end;
	start_pair(s, norm, from);
}

/* The backend's header: who talks to whom. */
static void
backend_header(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;
	const struct xs_header *h = xs_header(l->xs);
	char to[256];

	ob->dialback = h->has_dialback;
	if (h->to == NULL) {
		answer_backend(l, ev);
		return;
	}
	if (pol_domain_normalise(h->to, to, sizeof(to)) != 0) {
		xs_reset(l->xs);
		session_stream_error(s, "improper-addressing", NULL,
		    "bad-to");
		return;
	}
	/* Replayed verbatim inside TLS: keep it pending until then. */
	l->fwd_end = ev->end;
	start_pair(s, to, h->from);
}

/*
 * The two domains are known: check them and go find the remote.  from
 * may be NULL (refused: we must know whose certificate to present).
 */
static void
start_pair(struct session *s, const char *to, const char *from)
{
	struct s2s_out *ob = s->ob;
	struct leg *l = &s->legacy;
	const struct pol_domain *d;
	struct dns_conf dc;

	snprintf(s->peer_domain, sizeof(s->peer_domain), "%s", to);
	/* For the records: the stream goes to the remote, SNI names it. */
	snprintf(s->to, sizeof(s->to), "%s", to);
	snprintf(s->from, sizeof(s->from), "%s", from != NULL ? from : "");
	snprintf(s->sni, sizeof(s->sni), "%s", to);
	/* Our own domains are never remote: a loop. */
	if (pol_domain(s->conf->pol, to) != NULL) {
		xs_reset(l->xs);
		session_stream_error(s, "host-unknown", "a served domain is"
		    " not remote", "loop");
		return;
	}
	if (from == NULL || pol_domain_normalise(from, ob->local,
	    sizeof(ob->local)) != 0 || (d = pol_domain(s->conf->pol,
	    ob->local)) == NULL) {
		xs_reset(l->xs);
		session_stream_error(s, "invalid-from", NULL, "bad-from");
		return;
	}
	s->domain = d;
	ob->phase = OB_RESOLVE;
	if (route(s))
		return;
	/* TLSA only where the rule would use it. */
	conf_dns(s->conf, rule_lists(pol_rule(s->conf->pol, POL_S2S_OUT, to),
	    POL_AUTH_DANE), 1, &dc);
	if (dns_resolve_s2s(s, &dc, to, resolved) != 0)
		give_up(s, "internal error", "dns-queue");
}

static void
backend_event(void *arg, const struct xs_event *ev)
{
	struct leg *l = arg;
	struct session *s = l->s;

	if (s->closing) {
		xs_reset(l->xs);
		return;
	}
	if (s->phase == PH_RELAY) {
		relay_init_event(l, ev);
	} else if (s->ob->phase == OB_HEADER) {
		if (ev->type != XS_EV_HEADER) {
			xs_reset(l->xs);
			session_stream_error(s, "bad-format", NULL,
			    "no-header");
			return;
		}
		backend_header(l, ev);
	} else if (s->ob->phase == OB_PAIR) {
		backend_pair(l, ev);
	} else {
		/*
		 * Early elements (a pre-1.0 jabberd14 sends db:result right
		 * after its header) wait, bounded, for TLS (BACK-6); a
		 * dialback request among them is noted for its answer.
		 */
		if (dialback_element(l, ev) != 0)
			return;
		l->fwd_end = ev->end;
	}
	if (s->closing)
		xs_reset(l->xs);
}

static void
backend_input(struct leg *l, const char *p, size_t n)
{
	struct session *s = l->s;
	const struct pol_limits *lim = &s->conf->pol->limits;

	if (s->phase != PH_RELAY) {
		s->preauth_bytes += n;
		if (s->preauth_bytes > lim->preauth_bytes) {
			session_stream_error(s, "policy-violation", NULL,
			    "pre-auth-bytes");
			return;
		}
	}
	relay_fed(l, xs_feed(l->xs, p, n));
}

/* Did the remote's <stream:features/> offer STARTTLS? */
static int
offers_starttls(const struct xs_event *ev)
{
	for (unsigned i = 0; i < ev->nchildren; i++)
		if (ev->children[i].depth == 2 &&
		    strcmp(ev->children[i].ns, XS_NS_TLS) == 0 &&
		    strcmp(ev->children[i].name, "starttls") == 0)
			return 1;
	return 0;
}

static void
remote_negotiation(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;

	if (ev->type == XS_EV_SPACE) {
		relay_drop(l, ev->end);
		return;
	}
	relay_drop(l, ev->end);
	if (ob->phase == OB_FEATURES && ev->type == XS_EV_HEADER) {
		if (xs_header(l->xs)->major < 1) {
			xs_reset(l->xs);
			attempt_failed(s, "pre-1.0 stream: no STARTTLS");
		}
		return;
	}
	if (ob->phase == OB_FEATURES && ev->type == XS_EV_ELEMENT &&
	    strcmp(ev->ns, XS_NS_STREAMS) == 0 &&
	    strcmp(ev->name, "features") == 0) {
		ob->starttls = offers_starttls(ev);
		if (!ob->starttls)
			/* Maybe stripped on the way: ask anyway (TLS-14). */
			sev_starttls_absent(s, s->peer_domain,
			    "starttls-sent");
		stream_send_starttls(l);
		ob->phase = OB_PROCEED;
		return;
	}
	if (ob->phase == OB_PROCEED && ev->type == XS_EV_ELEMENT &&
	    strcmp(ev->ns, XS_NS_TLS) == 0) {
		xs_reset(l->xs);
		if (strcmp(ev->name, "proceed") == 0) {
			l->cut = ev->end;
			l->state = LEG_STARTTLS;
			ob->phase = OB_HANDSHAKE;
			return;
		}
		sev_starttls_failure(s, s->peer_domain, "refused");
		attempt_failed(s, "STARTTLS refused");
		return;
	}
	xs_reset(l->xs);
	attempt_failed(s, ev->type == XS_EV_ELEMENT &&
	    strcmp(ev->name, "error") == 0 ? "stream error before TLS" :
	    "unexpected XML before TLS");
}

/* Negotiation is over: from now on bytes are relayed. */
static void
relaying(struct session *s)
{
	struct s2s_out *ob = s->ob;

	ob->phase = OB_DONE;
	s->phase = PH_RELAY;
	free(ob->ans);
	ob->ans = NULL;
	session_timer_update(s);
}

/* Does the remote offer SASL EXTERNAL in these features? */
static int
offers_external(const struct xs_event *ev)
{
	for (unsigned i = 0; i < ev->nchildren; i++)
		if (ev->children[i].depth == 3 &&
		    strcmp(ev->children[i].ns, XS_NS_SASL) == 0 &&
		    strcmp(ev->children[i].name, "mechanism") == 0 &&
		    strcmp(ev->children[i].text, "EXTERNAL") == 0)
			return 1;
	return 0;
}

static void
base64(const char *in, char *out, size_t outlen)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n && o + 5 < outlen; i += 3) {
		unsigned v = (unsigned)(unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/*
 * The backend's db:result was answered here: drop it from its input and
 * tell the backend the remote accepted it, then relay.
 */
static void
bridge_valid(struct session *s, const char *how)
{
	struct s2s_out *ob = s->ob;
	struct leg *b = &s->legacy;
	uint64_t fe = b->fwd_end;
	char msg[700];
	struct ev e;

	b->fwd_end = b->in_off;
	relay_drop(b, ob->first_end);
	b->fwd_end = fe > ob->first_end ? fe : ob->first_end;
	snprintf(msg, sizeof(msg), "<db:result xmlns:db='" XS_NS_DIALBACK "'"
	    " from='%s' to='%s' type='valid'/>", s->peer_domain, ob->local);
	leg_send_str(b, msg);
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "s2s.auth_bridged");
	ev_str(&e, "domain", s->peer_domain);
	ev_str(&e, "from", ob->local);
	ev_str(&e, "auth", how);
	ev_end(&e);
	relay_authenticated(s, how);
	relaying(s);
	relay_flush(b);
}

/* Dialback goes over TLS as it is; its key needs the id mapped back. */
static void
relay_dialback(struct session *s)
{
	struct s2s_out *ob = s->ob;

	if (ob->first == 'r')
		dbmap_add(ob->local, s->peer_domain, ob->remote_id,
		    ob->our_id);
	/* Its answer must find it among the stream's requests (S2S-4). */
	if (dialback_expect(s, ob->first, ob->local, s->peer_domain,
	    ob->first_id) != 0)
		return;
	relaying(s);
	relay_flush(&s->legacy);
}

/*
 * The remote's side of a stream we opened ourselves (answered mode),
 * inside TLS: its header and features are ours to handle.
 */
static void
answered_negotiation(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;
	char b64[400], msg[512];

	relay_drop(l, ev->end);
	switch (ev->type) {
	case XS_EV_SPACE:
		return;
	case XS_EV_HEADER:
		if (xs_header(l->xs)->id != NULL)
			snprintf(ob->remote_id, sizeof(ob->remote_id), "%s",
			    xs_header(l->xs)->id);
		return;
	case XS_EV_CLOSE:
		xs_reset(l->xs);
		attempt_failed(s, "the remote closed its stream");
		return;
	case XS_EV_ELEMENT:
		break;
	}
	if (strcmp(ev->ns, XS_NS_STREAMS) == 0 &&
	    strcmp(ev->name, "features") == 0) {
		if (ob->phase == OB_SASL_RESTART) {
			bridge_valid(s, "sasl-external");
			return;
		}
		if (ob->first == 'r' && offers_external(ev)) {
			/* Our certificate speaks for the backend (S2S-8). */
			base64(ob->local, b64, sizeof(b64));
			snprintf(msg, sizeof(msg), "<auth xmlns='" XS_NS_SASL
			    "' mechanism='EXTERNAL'>%s</auth>", b64);
			leg_send_str(l, msg);
			ob->phase = OB_SASL;
			return;
		}
		relay_dialback(s);
		return;
	}
	if (ob->phase == OB_SASL && strcmp(ev->ns, XS_NS_SASL) == 0) {
		if (strcmp(ev->name, "success") == 0) {
			/* Restart: the remote's new header comes next. */
			ob->phase = OB_SASL_RESTART;
			stream_send_initiator_header(l, ob->local,
			    s->peer_domain, 1);
			return;
		}
		/* EXTERNAL refused: dialback it is, over TLS. */
		relay_dialback(s);
		return;
	}
	xs_reset(l->xs);
	attempt_failed(s, "unexpected element from the remote");
}

static void
remote_event(void *arg, const struct xs_event *ev)
{
	struct leg *l = arg;
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;

	if (s->closing) {
		xs_reset(l->xs);
		return;
	}
	switch (ob->phase) {
	case OB_FEATURES:
	case OB_PROCEED:
		remote_negotiation(l, ev);
		break;
	case OB_TLS_HEADER:
		if (ob->answered) {
			answered_negotiation(l, ev);
			break;
		}
		/* The remote's header, its stream id untouched (S2S-3). */
		relaying(s);
		relay_resp_event(arg, ev);
		break;
	case OB_SASL:
	case OB_SASL_RESTART:
		answered_negotiation(l, ev);
		break;
	case OB_DONE:
		relay_resp_event(arg, ev);
		break;
	default:
		xs_reset(l->xs);
		break;
	}
	if (s->closing)
		xs_reset(l->xs);
}

/*
 * After <proceed/> nothing may arrive before TLS: the remote speaks
 * only after our ClientHello, so any such byte is an injection.
 */
static void
proceed_cut(struct leg *l)
{
	struct session *s = l->s;
	size_t off = (size_t)(l->cut - l->in_off), len = buf_len(&l->in);
	const char *p = buf_ptr(&l->in);
	size_t ws = off;

	while (ws < len && (p[ws] == ' ' || p[ws] == '\n' || p[ws] == '\r' ||
	    p[ws] == '\t'))
		ws++;
	if (ws < len) {
		struct ev e;

		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "starttls.injection");
		ev_str(&e, "peer", s->peer);
		ev_u64(&e, "discarded", len - off);
		ev_end(&e);
	}
	buf_consume(&l->in, len);
	buf_trim(&l->in);
	l->in_off = l->fwd_end = 0;
	tls_client_start(l, s->peer_domain, NULL, s->ob->local);
}

static void
remote_input(struct leg *l, const char *p, size_t n)
{
	struct session *s = l->s;
	int rc = xs_feed(l->xs, p, n);

	if (s->closing)
		return;
	if (l->state == LEG_STARTTLS) {
		proceed_cut(l);
		return;
	}
	if (rc < 0 && s->phase != PH_RELAY) {
		attempt_failed(s, xs_strerror(rc));
		return;
	}
	relay_fed(l, rc);
}

static void tls_up_decided(struct session *s, struct peer_check *pc);

/* The summary, once the remote's authentication is known (OBS-1). */
static void
log_established(struct session *s)
{
	struct s2s_out *ob = s->ob;
	struct sess_summary sum;
	struct ev e;

	session_summary(s, uv_now(&s->w->loop), &sum);
	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "tls.established");
	ev_str(&e, "mode", ob->ans->targets[ob->ti].direct_tls ? "direct" :
	    "starttls");
	summary_ev(&sum, &e);
	ev_u64(&e, "handshake_ms", ob->handshake_ms);
	ev_end(&e);
}

/* The POSH document came (or did not): decide again, then go on. */
static void
posh_checked(struct session *s, uintptr_t attempt, int result,
    const char *detail)
{
	struct s2s_out *ob = s->ob;
	struct peer_check *pc = ob->pc;

	/* An answer for an attempt given up since is of no use. */
	if (ob->phase != OB_POSH || attempt != ob->attempts || pc == NULL)
		return;
	ob->pc = NULL;
	pc->posh = result > 0;
	snprintf(pc->posh_detail, sizeof(pc->posh_detail), "%s", detail);
	peer_decide(pc);
	peer_record(s, &s->remote, pc);
	log_established(s);
	tls_up_decided(s, pc);
	free(pc);
	session_flush(s);
}

/* TLS is up and the remote may go on: open the stream inside it. */
static void
remote_verified(struct session *s)
{
	struct s2s_out *ob = s->ob;
	struct leg *l = &s->remote;

	xs_reset(l->xs);
	l->in_off = l->fwd_end = 0;
	ob->phase = OB_TLS_HEADER;
	session_timer_update(s);
	if (ob->answered) {
		/* We answered the backend: our own header opens this one. */
		stream_send_initiator_header(l, ob->local, s->peer_domain, 1);
		return;
	}
	/* A fresh stream inside TLS, opened by the backend's own header. */
	l->hdr_sent = 1;
	stream_set_prefix(l, xs_header(s->legacy.xs)->stream_prefix);
	relay_flush(&s->legacy);
}

/*
 * The peer history's verdict on this attempt's key.  It may come while a
 * POSH fetch is still out: then it is kept for tls_up_decided().
 */
static void
history_verdict(struct session *s, int allowed, uint64_t attempt)
{
	struct s2s_out *ob = s->ob;

	/* A verdict for an attempt given up meanwhile is moot. */
	if (ob == NULL || ob->attempts != attempt || ob->hist != HIST_WAIT)
		return;
	ob->hist = allowed ? HIST_ALLOWED : HIST_REFUSED;
	if (ob->phase != OB_HISTORY)
		return;
	if (!allowed)
		attempt_failed(s, "its key changed and DANE does not vouch for"
		    " the new one");
	else
		remote_verified(s);
	session_flush(s);
}

/* The remote is who it says, or not; go on or try the next one. */
static void
tls_up_decided(struct session *s, struct peer_check *pc)
{
	struct s2s_out *ob = s->ob;

	if (!peer_allowed(s, pc)) {
		attempt_failed(s, pc->reason);
		return;
	}
	switch (ob->hist) {
	case HIST_WAIT:
		/* Bounded by the attempt's deadline, as the handshake. */
		ob->phase = OB_HISTORY;
		return;
	case HIST_REFUSED:
		attempt_failed(s, "its key changed and DANE does not vouch for"
		    " the new one");
		return;
	default:
		remote_verified(s);
	}
}

static void
remote_tls_up(struct leg *l)
{
	struct session *s = l->s;
	struct s2s_out *ob = s->ob;
	struct peer_check *pc;
	struct peer_dns dns = { ob->routed ? NULL : ob->ans, (int)ob->ti };

	if ((pc = malloc(sizeof(*pc))) == NULL) {
		session_abort(s, "enomem");
		return;
	}
	ob->handshake_ms = uv_now(&s->w->loop) - ob->t_attempt;
	peer_verify(s, l, s->peer_domain, &dns, pc);
	peer_record(s, l, pc);
	metrics_tls(s->dir, gnutls_protocol_get_version(l->tls),
	    gnutls_cipher_get(l->tls));
	ob->hist = HIST_NONE;
	if (peer_history(s, l, pc, ob->starttls, ob->routed ? NULL :
	    ob->ans->srv, ob->routed ? -1 : ob->ans->srv_sec ==
	    DNS_SEC_SECURE, history_verdict, ob->attempts))
		ob->hist = HIST_WAIT;
	/* Report mode lets a weaker handshake through; say so here. */
	if (tlspolicy_check(l, pol_rule(s->conf->pol, POL_S2S_OUT,
	    s->peer_domain)) != 0) {
		log_established(s);
		free(pc);
		return;
	}
	if (peer_wants_posh(pc)) {
		const gnutls_datum_t *chain;
		unsigned n = 0;

		chain = gnutls_certificate_get_peers(l->tls, &n);
		ob->pc = pc;
		ob->phase = OB_POSH;
		if (posh_check(s, s->peer_domain, &chain[0], ob->attempts,
		    posh_checked) != 0) {
			ob->pc = NULL;
			pc->posh = 0;
			snprintf(pc->posh_detail, sizeof(pc->posh_detail),
			    "POSH: could not start the fetch");
			peer_decide(pc);
			peer_record(s, l, pc);
			log_established(s);
			tls_up_decided(s, pc);
			free(pc);
		}
		return;
	}
	log_established(s);
	tls_up_decided(s, pc);
	free(pc);
}

uint64_t
outbound_deadline(const struct session *s)
{
	const struct pol_timeouts *to = &s->conf->pol->timeouts;
	const struct s2s_out *ob = s->ob;
	uint64_t when = s->t_start + (uint64_t)to->preauth * 1000;

	if (ob != NULL && ob->phase >= OB_CONNECT && ob->phase < OB_DONE) {
		uint64_t a = ob->t_attempt + ((uint64_t)to->backend_connect +
		    to->handshake) * 1000;

		if (a < when)
			when = a;
	}
	return when;
}

int
outbound_timer(struct session *s, uint64_t now)
{
	const struct pol_timeouts *to = &s->conf->pol->timeouts;
	struct s2s_out *ob = s->ob;

	if (ob == NULL || ob->phase == OB_DONE)
		return 0;
	if (now >= s->t_start + (uint64_t)to->preauth * 1000) {
		give_up(s, "timed out reaching the remote domain",
		    "remote-timeout");
		session_flush(s);
		return 1;
	}
	if (ob->phase >= OB_CONNECT && now >= ob->t_attempt +
	    ((uint64_t)to->backend_connect + to->handshake) * 1000) {
		attempt_failed(s, "timeout");
		session_flush(s);
		return 1;
	}
	return 0;
}
