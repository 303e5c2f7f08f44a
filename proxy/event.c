/*
 * event.c: the event catalogue and the count of each event.
 *
 * portcullis(8) lists the same events, levels and fields in EVENTS and
 * the same field types in EVENT FIELDS; change both together (the unit
 * test t_event compares them).  Keep both tables sorted by name.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

/* Fields of the per-connection summary (session_summary()). */
#define SUMMARY	"peer direction domain sni to from alpn state verify " \
		"auth auth_result version cipher suite group fs resumed " \
		"peer_subject peer_issuer peer_san peer_not_before " \
		"peer_not_after peer_spki"

/* The negotiated parameters (tls_describe()). */
#define TLSP	"version cipher suite group fs alpn resumed"

const struct ev_def ev_catalogue[] = {
	{ "backend.connected", LOG_LVL_DEBUG, "backend" },
	{ "backend.from_mismatch", LOG_LVL_WARNING, "domain from" },
	{ "backend.unreachable", LOG_LVL_WARNING, "domain backend error" },
	{ "cert.changed", LOG_LVL_WARNING,
	    "peer domain old_spki new_spki old_issuer new_issuer "
	    "old_not_before old_not_after new_not_before new_not_after "
	    "tlsa action" },
	{ "cert.identity_mismatch", LOG_LVL_WARNING,
	    "peer domain peer_subject peer_san action" },
	{ "dane.bogus", LOG_LVL_ERROR, "peer domain qname reason action" },
	{ "dane.mismatch", LOG_LVL_ERROR,
	    "peer domain tlsa peer_spki action" },
	{ "dialback.id_mapped", LOG_LVL_INFO,
	    "peer source domain to stream_id mapped_id" },
	{ "dialback.unsolicited", LOG_LVL_WARNING,
	    "peer domain to element" },
	{ "dns.srv_changed", LOG_LVL_WARNING,
	    "peer domain old_srv new_srv dnssec action" },
	{ "dnssec.bogus", LOG_LVL_ERROR,
	    "peer domain qname qtype reason action" },
	{ "dnssec.insecure", LOG_LVL_WARNING, "peer domain qtype action" },
	{ "dnssec.insecure_downgrade", LOG_LVL_ERROR,
	    "peer domain action" },
	{ "features.rewrite", LOG_LVL_DEBUG, "removed" },
	{ "limits.exceeded", LOG_LVL_WARNING,
	    "peer source error limit value max detail" },
	{ "peer.history_error", LOG_LVL_WARNING,
	    "domain error" },
	{ "plaintext.before_tls", LOG_LVL_WARNING, "peer element ns" },
	{ "policy.would_have_rejected", LOG_LVL_WARNING,
	    "peer domain rule line reason enforce_event " TLSP },
	{ "posh.checked", LOG_LVL_INFO,
	    "peer domain result cached detail" },
	{ "remote.from_mismatch", LOG_LVL_WARNING,
	    "domain from" },
	{ "s2s.attempt_failed", LOG_LVL_WARNING,
	    "domain target error" },
	{ "s2s.auth_bridged", LOG_LVL_INFO,
	    "domain from auth" },
	{ "s2s.peer", LOG_LVL_INFO,
	    SUMMARY " reason" },
	{ "s2s.redirected", LOG_LVL_INFO,
	    "peer original_dst" },
	{ "s2s.resolved", LOG_LVL_INFO,
	    "domain error srv dnssec targets tlsa" },
	{ "s2s.unauthenticated", LOG_LVL_WARNING,
	    "peer domain reason rule line action" },
	{ "s2s.unreachable", LOG_LVL_WARNING,
	    "domain from attempts error" },
	{ "session.accept", LOG_LVL_DEBUG, "peer listener worker" },
	{ "session.close", LOG_LVL_INFO,
	    SUMMARY " bytes_in bytes_out duration_ms reason" },
	{ "socket.error", LOG_LVL_INFO, "leg error" },
	{ "starttls.absent", LOG_LVL_ERROR, "peer domain action" },
	{ "starttls.failure_received", LOG_LVL_WARNING,
	    "peer domain action" },
	{ "starttls.injection", LOG_LVL_WARNING, "peer discarded" },
	{ "starttls.residual", LOG_LVL_DEBUG, "offset" },
	{ "starttls.stripping_suspected", LOG_LVL_ERROR,
	    "peer domain last_tls action" },
	{ "stream.authenticated", LOG_LVL_DEBUG,
	    "auth" },
	{ "stream.error.received", LOG_LVL_INFO, "source" },
	{ "stream.error.sent", LOG_LVL_INFO, "peer condition reason" },
	{ "stream.host_unknown", LOG_LVL_INFO, "peer to" },
	{ "tls.cipher_below_policy", LOG_LVL_WARNING,
	    "peer domain rule line reason " TLSP },
	{ "tls.downgrade_sentinel", LOG_LVL_ERROR,
	    "peer domain version action" },
	{ "tls.established", LOG_LVL_INFO,
	    "mode " SUMMARY " handshake_ms" },
	{ "tls.failed", LOG_LVL_INFO, "peer stage error alert sni" },
	{ "tls.fallback_scsv", LOG_LVL_WARNING, "peer sni" },
	{ "tls.renegotiation_refused", LOG_LVL_WARNING, "peer" },
	{ "tls.setup", LOG_LVL_WARNING, "error" },
	{ "tls.sni_mismatch", LOG_LVL_WARNING,
	    "peer sni domain tls_domain to" },
	{ "tls.version_below_policy", LOG_LVL_WARNING,
	    "peer domain rule line reason " TLSP },
	{ "tls.version_lowered", LOG_LVL_WARNING,
	    "peer domain version" },
	{ "xml.error", LOG_LVL_WARNING, "peer source error detail" },
	{ "xml.restricted", LOG_LVL_WARNING, "peer source error detail" }
};
const size_t ev_catalogue_len = sizeof(ev_catalogue) / sizeof(ev_catalogue[0]);

#define S	EV_T_STRING
#define N	EV_T_NUMBER
#define B	EV_T_BOOL
const struct ev_field ev_fields[] = {
	{ "action", S }, { "alert", S }, { "alpn", S }, { "attempts", N },
	{ "auth", S }, { "auth_result", S }, { "backend", S },
	{ "bytes_in", N }, { "bytes_out", N }, { "cached", B },
	{ "cipher", S },
	{ "condition", S }, { "detail", S }, { "direction", S },
	{ "discarded", N }, { "dnssec", S }, { "domain", S },
	{ "duration_ms", N }, { "element", S }, { "enforce_event", S },
	{ "error", S }, { "from", S }, { "fs", B }, { "group", S },
	{ "handshake_ms", N }, { "last_tls", S }, { "leg", S },
	{ "limit", S }, { "line", N }, { "listener", S }, { "mapped_id", S },
	{ "max", N }, { "min_version", S }, { "mode", S },
	{ "new_issuer", S }, { "new_not_after", S }, { "new_not_before", S },
	{ "new_spki", S }, { "new_srv", S }, { "ns", S }, { "offset", N },
	{ "old_issuer", S }, { "old_not_after", S }, { "old_not_before", S },
	{ "old_spki", S }, { "old_srv", S },
	{ "original_dst", S }, { "peer", S }, { "peer_issuer", S },
	{ "peer_not_after", S }, { "peer_not_before", S }, { "peer_san", S },
	{ "peer_spki", S }, { "peer_subject", S }, { "qname", S },
	{ "qtype", S }, { "reason", S }, { "removed", S }, { "result", S },
	{ "resumed", B },
	{ "rule", S }, { "sni", S }, { "source", S }, { "srv", B },
	{ "stage", S }, { "state", S }, { "stream_id", S }, { "suite", S },
	{ "target", S }, { "targets", N }, { "tls_domain", S }, { "tlsa", S },
	{ "to", S }, { "value", N }, { "verify", S }, { "version", S },
	{ "worker", N }
};
#undef S
#undef N
#undef B
const size_t ev_fields_len = sizeof(ev_fields) / sizeof(ev_fields[0]);

/* One counter per catalogue entry, and one for names missing from it. */
static _Atomic uint64_t	counts[sizeof(ev_catalogue) /
			    sizeof(ev_catalogue[0]) + 1];

static int
cmp_def(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ev_def *)elem)->name);
}

static int
cmp_field(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ev_field *)elem)->name);
}

const struct ev_def *
ev_lookup(const char *name)
{
	return bsearch(name, ev_catalogue, ev_catalogue_len,
	    sizeof(ev_catalogue[0]), cmp_def);
}

const struct ev_field *
ev_field(const char *name)
{
	return bsearch(name, ev_fields, ev_fields_len, sizeof(ev_fields[0]),
	    cmp_field);
}

int
ev_def_has_field(const struct ev_def *def, const char *name)
{
	size_t n = strlen(name);
	const char *p = def->fields;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == def->fields || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

void
ev_count(const struct ev_def *def)
{
	size_t i = def != NULL ? (size_t)(def - ev_catalogue) :
	    ev_catalogue_len;

	atomic_fetch_add_explicit(&counts[i], 1, memory_order_relaxed);
}

uint64_t
ev_counted(const struct ev_def *def)
{
	size_t i = def != NULL ? (size_t)(def - ev_catalogue) :
	    ev_catalogue_len;

	return atomic_load_explicit(&counts[i], memory_order_relaxed);
}

const char *
ev_level_name(enum log_level level)
{
	static const char *const names[] = {
		"error", "warning", "info", "debug"
	};

	return (unsigned)level < 4 ? names[level] : "info";
}
