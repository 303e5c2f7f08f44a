/*
 * defaults.c: every compiled-in default, in one place.
 *
 * portcullis.conf(5) repeats these tables line for line; change both
 * together.  The built-in TLS rule is the 2014 XMPP encryption manifesto
 * brought up to RFC 9325: TLS 1.2 and 1.3 only, ECDHE key exchange only
 * (forward secrecy required), AEAD ciphers only, X25519 first.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <gnutls/gnutls.h>

#include "policy.h"
#include "policy_int.h"

static const struct pol_limits default_limits = {
	.stanza_bytes	= 262144,	/* bytes; RFC 6120 wants >= 10000 */
	.header_bytes	= 4096,		/* bytes, incl. the XML declaration */
	.depth		= 32,		/* elements below the stream root */
	.attrs		= 64,		/* attributes per element */
	.nsdecls	= 32,		/* namespace declarations per element */
	.attr_bytes	= 65536,	/* bytes of one attribute value */
	.text_bytes	= 262144,	/* bytes of one text node */
	.pretls_bytes	= 4096,		/* bytes a peer may send before TLS */
	.preauth_bytes	= 65536,	/* bytes before authentication */
	.write_queue	= 262144	/* bytes queued per leg before the
					   other leg stops reading */
};

static const struct pol_timeouts default_timeouts = {
	.handshake	= 10,		/* seconds, accept to TLS up */
	.preauth	= 60,		/* seconds, accept to authenticated */
	.idle		= 900,		/* seconds without a byte */
	.backend_connect = 5,		/* seconds */
	.close		= 5,		/* seconds to wait for the peer's
					   </stream> and close_notify */
	.shutdown	= 10,		/* seconds from SIGTERM to exit */
	.posh		= 5		/* seconds to fetch a POSH document */
};

static const struct pol_log default_log = {
	.events		= NULL,		/* no JSON events file */
	.syslog		= 0,		/* nothing to syslog */
	.facility	= LOG_DAEMON,	/* "daemon" */
	.syslog_socket	= _PATH_LOG	/* "/dev/log" */
};

static const struct pol_control default_control = {
	.socket		= "/run/portcullis/control.sock",
	.mode		= 0600		/* root only */
};

void
pol__log_defaults(struct pol_log *log, struct pol_control *ctl)
{
	*log = default_log;
	*ctl = default_control;
}

void
pol_defaults(struct pol_limits *lim, struct pol_timeouts *to)
{
	if (lim != NULL)
		*lim = default_limits;
	if (to != NULL)
		*to = default_timeouts;
}

void
pol__top_defaults(struct pol *p)
{
	p->loglevel = POL_LOG_INFO;		/* one record per milestone */
	p->state_dir = "/var/lib/portcullis";	/* peer history (s2s) */
	p->trust.system = 1;			/* the system CA store */
	p->trust.cn_fallback = 0;		/* RFC 9525: no CN-ID */
	p->min_rsa_bits = 2048;			/* bits; RFC 9325, GRADE-4 */
	p->expiry_warning_days = 30;		/* days before a chain ends */
	p->minimum_grade = "";			/* -n grades, never fails */
}

void
pol__rule_default(struct pol_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->name = "default";
	r->dir = POL_NDIR;
	r->min_version = POL_TLS12;		/* TLS-1: 1.2 and 1.3 */
	r->max_version = POL_TLS13;
	r->forward_secrecy = POL_FS_REQUIRE;	/* TLS-3 */
	r->action = POL_ENFORCE;
	r->auth[0] = POL_AUTH_DANE;		/* s2s: DANE, then PKIX; */
	r->auth[1] = POL_AUTH_PKIX;		/* no dialback-only peers */
	r->nauth = 2;
	r->dnssec = POL_DNSSEC_VALIDATE;	/* use it where signed */
	r->key_change = POL_KEYCHANGE_ALLOW;	/* cert.changed, then on */
}

/*
 * The priority string is built from "SECURE128" (GnuTLS's medium profile:
 * no export, no RC4, no MD5) and narrowed.  TLS 1.0 and 1.1 have no AEAD
 * suites, so allowing them brings CBC with HMAC back; only an explicit
 * min-version does that.
 */
void
pol__priority(const struct pol_rule *r, char *buf, size_t len)
{
	char vers[64] = "";
	int legacy = r->min_version < POL_TLS12;

	for (int v = r->max_version; v >= (int)r->min_version; v--) {
		char one[32];

		snprintf(one, sizeof(one), ":+VERS-TLS1.%d", v - POL_TLS10);
		strncat(vers, one, sizeof(vers) - strlen(vers) - 1);
	}
	snprintf(buf, len,
	    "SECURE128:-VERS-ALL%s"
	    ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA%s"
	    ":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305%s"
	    ":-MAC-ALL:+AEAD%s"
	    ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1"
	    ":%%SERVER_PRECEDENCE",
	    vers,
	    r->forward_secrecy == POL_FS_PREFER ? ":+RSA" : "",
	    legacy ? ":+AES-128-CBC:+AES-256-CBC" : "",
	    legacy ? ":+SHA256:+SHA1" : "");
}

/*
 * Report mode lets peers below the rule complete their handshake so that
 * the gateway can say what would have been refused: TLS 1.0 and up, RSA
 * key transport, CBC.  What the rule allows comes first in the string, so
 * with server precedence a capable peer still gets exactly what enforcing
 * would give it.
 */
void
pol__priority_relaxed(const struct pol_rule *r, char *buf, size_t len)
{
	struct pol_rule wide = *r;

	if (r->priority_set) {
		snprintf(buf, len, "%s:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0"
		    ":+ECDHE-ECDSA:+ECDHE-RSA:+RSA:+AES-128-GCM:+AES-256-GCM"
		    ":+AES-128-CBC:+AES-256-CBC:+AEAD:+SHA1:+SHA256",
		    r->priority);
		return;
	}
	wide.min_version = POL_TLS10;
	wide.forward_secrecy = POL_FS_PREFER;
	pol__priority(&wide, buf, len);
}

int
pol__priority_check(const char *prio, const char **where)
{
	gnutls_priority_t pc;
	int rc;

	*where = NULL;
	rc = gnutls_priority_init(&pc, prio, where);
	if (rc != GNUTLS_E_SUCCESS)
		return -1;
	gnutls_priority_deinit(pc);
	return 0;
}
