/*
 * tls.c: GnuTLS over libuv: transport functions, handshakes, records.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "conf.h"
#include "leg.h"
#include "log.h"
#include "relay.h"
#include "secevent.h"
#include "ticket.h"
#include "tls.h"
#include "tlspolicy.h"
#include "worker.h"

#define TLS_RECORD	16384

/* Ciphertext of the current read that GnuTLS has not pulled yet. */
static size_t
pull_pending(const struct leg *l)
{
	const struct worker *w = l->s->w;

	return w->pull_leg == l ? w->pull_len : 0;
}

/*
 * Older bytes first: what an earlier read left in cipher_in, then the
 * read being handled, taken from the loop's buffer without a copy.
 */
static ssize_t
tls_pull(gnutls_transport_ptr_t p, void *dst, size_t len)
{
	struct leg *l = p;
	struct worker *w = l->s->w;

	if (buf_len(&l->cipher_in) > 0)
		return (ssize_t)buf_take(&l->cipher_in, dst, len);
	if (pull_pending(l) == 0) {
		gnutls_transport_set_errno(l->tls, EAGAIN);
		return -1;
	}
	if (len > w->pull_len)
		len = w->pull_len;
	memcpy(dst, w->pull, len);
	w->pull += len;
	w->pull_len -= len;
	return (ssize_t)len;
}

/* Only reports what is buffered; waiting is the session timer's job. */
static int
tls_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct leg *l = p;

	(void)ms;
	return buf_len(&l->cipher_in) > 0 || pull_pending(l) > 0 ? 1 : 0;
}

/*
 * Records are queued, not written one by one as they come: a read's worth
 * of them leaves in one writev (leg_flush()), and a system call per
 * record costs more than the copy.
 */
static ssize_t
tls_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
	struct leg *l = p;

	if (outq_append(&l->out, data, len) != 0) {
		gnutls_transport_set_errno(l->tls, ENOMEM);
		return -1;
	}
	return (ssize_t)len;
}

static ssize_t
tls_vec_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
	struct leg *l = p;
	size_t total = 0;

	for (int i = 0; i < iovcnt; i++) {
		if (outq_append(&l->out, iov[i].iov_base, iov[i].iov_len) !=
		    0) {
			gnutls_transport_set_errno(l->tls, ENOMEM);
			return -1;
		}
		total += iov[i].iov_len;
	}
	return (ssize_t)total;
}

/* Normalise the SNI the client sent into buf, "" if none or invalid. */
static void
get_sni(gnutls_session_t tls, char *out, size_t outlen)
{
	char name[256];
	size_t len = sizeof(name);
	unsigned type;

	out[0] = '\0';
	if (gnutls_server_name_get(tls, name, &len, &type, 0) != 0 ||
	    type != GNUTLS_NAME_DNS || len == 0 || len >= sizeof(name))
		return;
	name[len] = '\0';
	if (pol_domain_normalise(name, out, outlen) != 0)
		out[0] = '\0';
}

/*
 * The domain a handshake serves before the ClientHello is read: the
 * stream's to (STARTTLS), else the listener's default, else the first.
 */
static const struct pol_domain *
first_domain(const struct session *s)
{
	const struct pol *p = s->conf->pol;
	const struct pol_domain *d = s->domain;

	if (d == NULL && s->li->domain[0] != '\0')
		d = pol_domain(p, s->li->domain);
	return d != NULL ? d : &p->domains[0];
}

/* The server_name extension's host_name, if any, into ctx. */
static int
sni_ext(void *ctx, unsigned tls_id, const unsigned char *data, unsigned size)
{
	char *out = ctx;
	unsigned list, len;

	if (tls_id != 0 || size < 5)
		return 0;
	list = (unsigned)data[0] << 8 | data[1];
	len = (unsigned)data[3] << 8 | data[4];
	if (list + 2 > size || data[2] != 0 || len + 3 > list || len > 253)
		return 0;
	memcpy(out, data + 5, len);
	out[len] = '\0';
	return 0;
}

/*
 * Before GnuTLS parses the ClientHello: if its SNI names a served domain
 * with a rule of its own, hand GnuTLS that rule's priority now, while the
 * version is still to be negotiated (the post-ClientHello hook is too
 * late for that).
 */
static int
on_hello_hook(gnutls_session_t tls, unsigned htype, unsigned when,
    unsigned incoming, const gnutls_datum_t *msg)
{
	struct leg *l = gnutls_session_get_ptr(tls);
	struct session *s = l->s;
	const struct pol *p = s->conf->pol;
	const struct pol_domain *d;
	char raw[256] = "", norm[256];

	if (htype != GNUTLS_HANDSHAKE_CLIENT_HELLO || when != GNUTLS_HOOK_PRE ||
	    !incoming)
		return 0;
	gnutls_ext_raw_parse(raw, sni_ext, msg,
	    GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
	if (raw[0] == '\0' || pol_domain_normalise(raw, norm,
	    sizeof(norm)) != 0 || (d = pol_domain(p, norm)) == NULL)
		d = first_domain(s);
	/*
	 * Tickets of the domain on_client_hello() will pick, before GnuTLS
	 * reads the ticket this hello may carry (TLS-7).  Without a key the
	 * handshake is a full one.
	 */
	(void)ticket_enable(tls, s->dir, d->name);
	if (d == first_domain(s))
		return 0;
	return gnutls_priority_set(tls, conf_priority(s->conf,
	    tlspolicy_rule_for(s, d), 0));
}

/*
 * After the ClientHello: pick the domain whose certificate we present.
 * SNI wins when it names a served domain; then the stream's to (known
 * before a STARTTLS handshake); then the listener's default; then the
 * first domain of the configuration.
 */
static int
on_client_hello(gnutls_session_t tls)
{
	struct leg *l = gnutls_session_get_ptr(tls);
	struct session *s = l->s;
	const struct pol *p = s->conf->pol;
	const struct pol_domain *d = NULL;
	gnutls_certificate_credentials_t creds;

	get_sni(tls, s->sni, sizeof(s->sni));
	if (s->sni[0] != '\0')
		d = pol_domain(p, s->sni);
	if (d == NULL)
		d = first_domain(s);
	/*
	 * SNI naming no served domain, or another one than the stream's
	 * to: the certificate follows SNI where it can, and it is logged.
	 */
	if (s->sni[0] != '\0' && (pol_domain(p, s->sni) != d ||
	    (s->domain != NULL && s->domain != d))) {
		struct ev e;

		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "tls.sni_mismatch");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "sni", s->sni);
		if (s->domain != NULL)
			ev_str(&e, "to", s->domain->name);
		ev_str(&e, "domain", d->name);
		ev_end(&e);
	}
	s->domain = d;
	if ((creds = cs_credentials(s->conf->cs, d->name)) == NULL)
		return GNUTLS_E_CERTIFICATE_ERROR;
	return gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE, creds);
}

/* Our transport functions, and no GnuTLS deadline: ours rule. */
static void
transport(struct leg *l)
{
	gnutls_session_t tls = l->tls;

	gnutls_handshake_set_timeout(tls, 0);
	gnutls_transport_set_ptr(tls, l);
	gnutls_transport_set_pull_function(tls, tls_pull);
	gnutls_transport_set_pull_timeout_function(tls, tls_pull_timeout);
	gnutls_transport_set_push_function(tls, tls_push);
	gnutls_transport_set_vec_push_function(tls, tls_vec_push);
	l->state = LEG_HANDSHAKE;
}

int
tls_client_start(struct leg *l, const char *sni, const char *alpn,
    const char *local)
{
	struct session *s = l->s;
	gnutls_certificate_credentials_t creds;
	gnutls_session_t tls;
	int rc;

	rc = gnutls_init(&tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		session_abort(s, "tls-init");
		return -1;
	}
	l->tls = tls;
	gnutls_session_set_ptr(tls, l);
	/* The s2s-out rule for the remote domain (sni is that domain). */
	rc = gnutls_priority_set(tls, conf_priority(s->conf,
	    pol_rule(s->conf->pol, s->dir, sni), 0));
	if (rc < 0)
		goto fail;
	/* Our domain's certificate is our client certificate (S2S-12). */
	if ((creds = cs_credentials(s->conf->cs, local)) == NULL) {
		rc = GNUTLS_E_CERTIFICATE_ERROR;
		goto fail;
	}
	if ((rc = gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE,
	    creds)) < 0)
		goto fail;
	/* SNI is the target domain, an A-label (TLS-9). */
	if ((rc = gnutls_server_name_set(tls, GNUTLS_NAME_DNS, sni,
	    strlen(sni))) < 0)
		goto fail;
	if (alpn != NULL) {
		gnutls_datum_t proto = {
			.data = (unsigned char *)(uintptr_t)alpn,
			.size = (unsigned)strlen(alpn)
		};

		if ((rc = gnutls_alpn_set_protocols(tls, &proto, 1, 0)) < 0)
			goto fail;
	}
	transport(l);
	/* The ClientHello goes out now. */
	tls_input(l);
	return 0;
fail:
	{
		struct ev e;

		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "tls.setup");
		ev_str(&e, "error", gnutls_strerror_name(rc));
		ev_end(&e);
	}
	session_abort(s, "tls-setup");
	return -1;
}

int
tls_server_start(struct leg *l, const char *alpn)
{
	struct session *s = l->s;
	const struct pol_domain *d;
	gnutls_session_t tls;
	int rc;

	rc = gnutls_init(&tls, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		session_abort(s, "tls-init");
		return -1;
	}
	l->tls = tls;
	gnutls_session_set_ptr(tls, l);
	d = first_domain(s);
	rc = gnutls_priority_set(tls, conf_priority(s->conf,
	    tlspolicy_rule_for(s, d), 0));
	if (rc < 0)
		goto fail;
	/*
	 * Credentials of the domain known so far make the ClientHello
	 * parse; the hook then swaps in the one SNI names, if another.
	 */
	rc = gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE,
	    cs_credentials(s->conf->cs, d->name));
	if (rc < 0)
		goto fail;
	gnutls_handshake_set_hook_function(tls, GNUTLS_HANDSHAKE_CLIENT_HELLO,
	    GNUTLS_HOOK_PRE, on_hello_hook);
	gnutls_handshake_set_post_client_hello_function(tls, on_client_hello);
	if (alpn != NULL) {
		gnutls_datum_t proto = {
			.data = (unsigned char *)(uintptr_t)alpn,
			.size = (unsigned)strlen(alpn)
		};

		/* A client offering ALPN without ours is refused (TLS-10). */
		rc = gnutls_alpn_set_protocols(tls, &proto, 1,
		    GNUTLS_ALPN_MANDATORY);
		if (rc < 0)
			goto fail;
	}
	if (s->dir != POL_C2S)
		/*
		 * Ask a remote server for its certificate but let it in
		 * without one: dialback-only peers and scanners must reach
		 * the XMPP layer, which decides (STARTTLS-13).
		 */
		gnutls_certificate_server_set_request(tls, GNUTLS_CERT_REQUEST);
	transport(l);
	return 0;
fail:
	{
		struct ev e;

		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role, "tls.setup");
		ev_str(&e, "error", gnutls_strerror_name(rc));
		ev_end(&e);
	}
	session_abort(s, "tls-setup");
	return -1;
}

/*
 * The version a server random's RFC 8446 downgrade sentinel stands for:
 * a server able to do TLS 1.3 ended its random in "DOWNGRD" and 01 when
 * it negotiated TLS 1.2, 00 for 1.1 or below.  A TLS 1.3 client that
 * sees it aborts (GnuTLS does); NULL when there is none.
 */
static const char *
downgrade_sentinel(const struct leg *l)
{
	static const unsigned char tag[7] = {
		0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44
	};
	gnutls_datum_t client, server;

	gnutls_session_get_random(l->tls, &client, &server);
	if (server.data == NULL || server.size != 32 ||
	    memcmp(server.data + 24, tag, sizeof(tag)) != 0)
		return NULL;
	return server.data[31] == 1 ? "TLS1.2" : server.data[31] == 0 ?
	    "TLS1.1" : NULL;
}

/* Returns 1 when the leg's failed hook took over (outbound attempts). */
static int
tls_failed(struct leg *l, int rc, const char *stage)
{
	struct session *s = l->s;
	char reason[64];
	struct ev e;

	ev_begin(&e, LOG_LVL_INFO, s->id, s->role, "tls.failed");
	ev_str(&e, "peer", s->peer);
	ev_str(&e, "stage", stage);
	ev_str(&e, "error", gnutls_strerror_name(rc));
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    rc == GNUTLS_E_WARNING_ALERT_RECEIVED)
		ev_str(&e, "alert", gnutls_alert_get_name(
		    gnutls_alert_get(l->tls)));
	if (s->sni[0] != '\0')
		ev_str(&e, "sni", s->sni);
	ev_end(&e);
	if (rc == GNUTLS_E_INAPPROPRIATE_FALLBACK) {
		/* A downgrade signal of its own (RFC 7507, OBS-2). */
		ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
		    "tls.fallback_scsv");
		ev_str(&e, "peer", s->peer);
		ev_str(&e, "sni", s->sni[0] != '\0' ? s->sni : "none");
		ev_end(&e);
	}
	/* Initiating, the downgrade signal of TLS 1.3 (TLS-11, OBS-2). */
	if (s->dir == POL_S2S_OUT && l == &s->remote &&
	    l->state == LEG_HANDSHAKE) {
		const char *v = downgrade_sentinel(l);

		if (v != NULL)
			sev_downgrade_sentinel(s, s->peer_domain, v,
			    "refused");
	}
	snprintf(reason, sizeof(reason), "tls-%s", gnutls_strerror_name(rc));
	/*
	 * GnuTLS leaves the alert to us: tell the peer why (protocol
	 * version, handshake failure, ...) unless it sent the fatal one.
	 */
	if (rc != GNUTLS_E_FATAL_ALERT_RECEIVED && l->state == LEG_HANDSHAKE)
		gnutls_alert_send_appropriate(l->tls, rc);
	if (l->ops->failed != NULL && s->phase != PH_RELAY) {
		l->ops->failed(l, reason);
		return 1;
	}
	/* The alert goes out before the socket closes. */
	session_close(s, reason);
	return 0;
}

static int
handshake(struct leg *l)
{
	int rc = gnutls_handshake(l->tls);

	if (rc == GNUTLS_E_SUCCESS) {
		l->state = LEG_TLS;
		l->tls_done = 1;
		l->ops->tls_up(l);
		return 0;
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return -1;
	if (!gnutls_error_is_fatal(rc))
		return -1;
	tls_failed(l, rc, "handshake");
	return -1;
}

static void
records(struct leg *l)
{
	struct session *s = l->s;
	size_t left = (size_t)-1;

	if (l->state == LEG_HANDSHAKE && handshake(l) != 0)
		return;
	while (l->state == LEG_TLS || l->state == LEG_SHUTDOWN) {
		ssize_t rc;
		char *p;

		if (l->state == LEG_SHUTDOWN || s->closing) {
			char junk[TLS_RECORD];

			/*
			 * Closing: read on only to find close_notify.  Not
			 * into readbuf: its ciphertext may not be pulled yet.
			 */
			rc = gnutls_record_recv(l->tls, junk, sizeof(junk));
			if (rc > 0)
				continue;
			if (rc == 0) {
				leg_close_handle(l);
				return;
			}
		} else {
			if (l->paused)
				return;
			if ((p = buf_reserve(&l->in, TLS_RECORD)) == NULL) {
				session_abort(s, "enomem");
				return;
			}
			rc = gnutls_record_recv(l->tls, p, TLS_RECORD);
			if (rc > 0) {
				buf_commit(&l->in, (size_t)rc);
				l->bytes_in += (uint64_t)rc;
				l->ops->input(l, p, (size_t)rc);
				continue;
			}
			if (rc == 0) {
				/* close_notify: the peer ended its side. */
				leg_gone(l, l == &s->remote ? "peer-closed" :
				    "backend-closed");
				return;
			}
		}
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			size_t now = buf_len(&l->cipher_in) + pull_pending(l);

			/*
			 * GnuTLS also says AGAIN after a post-handshake message
			 * (a TLS 1.3 NewSessionTicket) with records still
			 * waiting behind it: go on while it makes progress.
			 */
			if (now > 0 && now < left) {
				left = now;
				continue;
			}
			return;
		}
		if (rc == GNUTLS_E_REHANDSHAKE) {
			/* No renegotiation, no stream error (STARTTLS-11). */
			struct ev e;

			ev_begin(&e, LOG_LVL_WARNING, s->id, s->role,
			    "tls.renegotiation_refused");
			ev_str(&e, "peer", s->peer);
			ev_end(&e);
			session_abort(s, "tls-renegotiation");
			return;
		}
		if (!gnutls_error_is_fatal((int)rc))
			continue;
		if (l->state == LEG_SHUTDOWN) {
			leg_close_handle(l);
			return;
		}
		if (!tls_failed(l, (int)rc, "record"))
			leg_close_handle(l);
		return;
	}
}

/*
 * Once the relay runs, the records of a read are decrypted into the
 * loop's plaintext buffer, lent to l->in, and relayed together when the
 * read has been handled: one write to the peer, from that buffer, where
 * there were one copy and one write per record.  What is left over (an
 * element not complete yet) moves to memory of l->in's own.
 */
void
tls_input(struct leg *l)
{
	struct session *s = l->s;
	struct worker *w = s->w;
	int batch, lent = 0;

	batch = s->phase == PH_RELAY && l->state == LEG_TLS && !s->closing &&
	    !l->paused;
	if (batch) {
		if (buf_len(&l->in) == 0 && !w->plain_busy) {
			buf_lend(&l->in, w->plain, sizeof(w->plain));
			w->plain_busy = lent = 1;
		}
		relay_batch_begin(l);
	}
	records(l);
	if (batch)
		relay_batch_end(l);
	if (lent) {
		w->plain_busy = 0;
		if (buf_unborrow(&l->in) != 0)
			session_abort(s, "enomem");
	}
}

void
tls_input_read(struct leg *l, const char *p, size_t n)
{
	struct worker *w = l->s->w;

	assert(w->pull_leg == NULL);
	w->pull_leg = l;
	w->pull = p;
	w->pull_len = n;
	tls_input(l);
	w->pull_leg = NULL;
	if (w->pull_len > 0 && l->state != LEG_CLOSED &&
	    buf_append(&l->cipher_in, w->pull, w->pull_len) != 0)
		session_abort(l->s, "enomem");
	w->pull_len = 0;
	buf_trim(&l->cipher_in);
}

int
tls_send(struct leg *l, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t rc = gnutls_record_send(l->tls, c, n);

		if (rc < 0) {
			/* Push never blocks, so every error is final. */
			tls_failed(l, (int)rc, "send");
			return -1;
		}
		c += rc;
		n -= (size_t)rc;
	}
	return 0;
}

static int
has_fs(gnutls_session_t tls)
{
	switch (gnutls_kx_get(tls)) {
	case GNUTLS_KX_ECDHE_RSA:
	case GNUTLS_KX_ECDHE_ECDSA:
	case GNUTLS_KX_DHE_RSA:
	case GNUTLS_KX_DHE_DSS:
	case GNUTLS_KX_ECDHE_PSK:
	case GNUTLS_KX_DHE_PSK:
		return 1;
	default:
		break;
	}
	/* TLS 1.3: every key exchange but plain PSK uses (EC)DHE. */
	return gnutls_protocol_get_version(tls) == GNUTLS_TLS1_3 &&
	    gnutls_group_get(tls) != GNUTLS_GROUP_INVALID;
}

int
tls_params(const struct leg *l, struct tls_params *p)
{
	gnutls_session_t tls = l->tls;
	gnutls_protocol_t v;
	gnutls_datum_t alpn;
	const char *name;

	memset(p, 0, sizeof(*p));
	if (tls == NULL || !l->tls_done)
		return -1;
	v = gnutls_protocol_get_version(tls);
	p->version = gnutls_protocol_get_name(v);
	p->cipher = gnutls_cipher_get_name(gnutls_cipher_get(tls));
	if (v != GNUTLS_TLS1_3)
		p->suite = gnutls_cipher_suite_get_name(gnutls_kx_get(tls),
		    gnutls_cipher_get(tls), gnutls_mac_get(tls));
	name = gnutls_group_get_name(gnutls_group_get(tls));
	p->group = name != NULL ? name : "none";
	p->fs = has_fs(tls);
	p->resumed = gnutls_session_is_resumed(tls) != 0;
	if (gnutls_alpn_get_selected_protocol(tls, &alpn) == 0)
		snprintf(p->alpn, sizeof(p->alpn), "%.*s", (int)alpn.size,
		    alpn.data);
	return 0;
}

void
tls_describe(const struct leg *l, struct ev *e)
{
	struct tls_params tp;

	if (tls_params(l, &tp) != 0)
		return;
	ev_str(e, "version", tp.version);
	ev_str(e, "cipher", tp.cipher);
	if (tp.suite != NULL)
		ev_str(e, "suite", tp.suite);
	ev_str(e, "group", tp.group);
	ev_bool(e, "fs", tp.fs);
	ev_str(e, "alpn", tp.alpn[0] != '\0' ? tp.alpn : "none");
	ev_bool(e, "resumed", tp.resumed);
}

const char *
tls_sni(const struct leg *l)
{
	return l->s->sni;
}
