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
	.shutdown	= 10		/* seconds from SIGTERM to exit */
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
pol__rule_default(struct pol_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->name = "default";
	r->min_version = POL_TLS12;
	r->max_version = POL_TLS13;
	r->forward_secrecy = POL_FS_REQUIRE;
	r->action = POL_ENFORCE;
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
