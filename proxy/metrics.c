/*
 * metrics.c: the counters and their OpenMetrics text.
 */
#include <stdatomic.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <uv.h>

#include "event.h"
#include "log.h"
#include "metrics.h"

/* Authentication methods with a series of their own; the rest: other. */
static const char *const auth_methods[] = {
	"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
	"SCRAM-SHA-256-PLUS", "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS",
	"DIGEST-MD5", "CRAM-MD5", "EXTERNAL", "ANONYMOUS", "OAUTHBEARER",
	"X-OAUTH2", "GSSAPI", "iq-auth-plain", "iq-auth-digest", "iq-auth",
	"dialback", "pkix", "dane-ee", "dane-ta", "pin", "posh", "other"
};
#define NMETHODS	(sizeof(auth_methods) / sizeof(auth_methods[0]))

/* One slot per (direction, TLS version, cipher) seen; 0 is empty. */
#define TLS_SLOTS	64
struct tls_slot {
	_Atomic uint32_t	 key;
	_Atomic uint64_t	 n;
};

static _Atomic uint64_t	opened[POL_NDIR], open_now[POL_NDIR];
static _Atomic uint64_t	auths[POL_NDIR][NMETHODS][2];
static struct tls_slot	tls_slots[TLS_SLOTS];
static _Atomic uint64_t	tls_overflow;
static _Atomic int64_t	start_time;

static const char *
role_labels(enum pol_dir d)
{
	switch (d) {
	case POL_C2S:		return "role=\"c2s\",direction=\"in\"";
	case POL_S2S_IN:	return "role=\"s2s\",direction=\"in\"";
	case POL_S2S_OUT:	return "role=\"s2s\",direction=\"out\"";
	case POL_NDIR:		break;
	}
	return "role=\"unknown\"";
}

static unsigned
dir_index(enum pol_dir d)
{
	return (unsigned)d < POL_NDIR ? (unsigned)d : 0;
}

void
metrics_session_open(enum pol_dir dir)
{
	atomic_fetch_add_explicit(&opened[dir_index(dir)], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&open_now[dir_index(dir)], 1,
	    memory_order_relaxed);
}

void
metrics_session_closed(enum pol_dir dir)
{
	atomic_fetch_sub_explicit(&open_now[dir_index(dir)], 1,
	    memory_order_relaxed);
}

uint64_t
metrics_sessions_open(void)
{
	uint64_t n = 0;

	for (int d = 0; d < POL_NDIR; d++)
		n += atomic_load_explicit(&open_now[d], memory_order_relaxed);
	return n;
}

void
metrics_tls(enum pol_dir dir, int version, int cipher)
{
	uint32_t want = 1 + (dir_index(dir) | ((uint32_t)version & 0xff) << 2 |
	    ((uint32_t)cipher & 0xffff) << 10);

	for (size_t i = 0; i < TLS_SLOTS; i++) {
		uint32_t k = atomic_load(&tls_slots[i].key);

		if (k == 0) {
			uint32_t zero = 0;

			/* Claim the slot, unless another thread just did. */
			if (atomic_compare_exchange_strong(&tls_slots[i].key,
			    &zero, want))
				k = want;
			else
				k = zero;
		}
		if (k == want) {
			atomic_fetch_add_explicit(&tls_slots[i].n, 1,
			    memory_order_relaxed);
			return;
		}
	}
	atomic_fetch_add_explicit(&tls_overflow, 1, memory_order_relaxed);
}

void
metrics_auth(enum pol_dir dir, const char *method, int ok)
{
	size_t m;

	for (m = 0; m < NMETHODS - 1; m++)
		if (strcmp(auth_methods[m], method) == 0)
			break;
	atomic_fetch_add_explicit(&auths[dir_index(dir)][m][ok ? 0 : 1], 1,
	    memory_order_relaxed);
}

void
metrics_set_start(int64_t unix_seconds)
{
	atomic_store(&start_time, unix_seconds);
}

int64_t
metrics_start(void)
{
	return atomic_load(&start_time);
}

static void
family(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

void
metrics_format(struct sbuf *b)
{
	struct log_stats ls;

	family(b, "portcullis_build", "info", "The running version.");
	sb_printf(b, "portcullis_build_info{version=\"%s\",gnutls=\"%s\","
	    "libuv=\"%s\"} 1\n", PORTCULLIS_VERSION,
	    gnutls_check_version(NULL), uv_version_string());
	family(b, "portcullis_start_time_seconds", "gauge",
	    "When the daemon started, seconds since the epoch.");
	sb_printf(b, "# UNIT portcullis_start_time_seconds seconds\n"
	    "portcullis_start_time_seconds %lld\n",
	    (long long)metrics_start());

	family(b, "portcullis_sessions", "gauge", "Connections open now.");
	for (int d = 0; d < POL_NDIR; d++)
		sb_printf(b, "portcullis_sessions{%s} %llu\n", role_labels(d),
		    (unsigned long long)atomic_load(&open_now[d]));
	family(b, "portcullis_connections", "counter",
	    "Connections accepted (inbound) or made (outbound).");
	for (int d = 0; d < POL_NDIR; d++)
		sb_printf(b, "portcullis_connections_total{%s} %llu\n",
		    role_labels(d),
		    (unsigned long long)atomic_load(&opened[d]));

	family(b, "portcullis_tls_handshakes", "counter",
	    "TLS handshakes completed, by version and cipher.");
	for (size_t i = 0; i < TLS_SLOTS; i++) {
		uint32_t k = atomic_load(&tls_slots[i].key);
		const char *v, *c;

		if (k == 0)
			continue;
		k--;
		v = gnutls_protocol_get_name((gnutls_protocol_t)(k >> 2 &
		    0xff));
		c = gnutls_cipher_get_name((gnutls_cipher_algorithm_t)(k >>
		    10));
		sb_printf(b, "portcullis_tls_handshakes_total{%s,"
		    "version=\"%s\",cipher=\"%s\"} %llu\n", role_labels(k & 3),
		    v != NULL ? v : "unknown", c != NULL ? c : "unknown",
		    (unsigned long long)atomic_load(&tls_slots[i].n));
	}
	if (atomic_load(&tls_overflow) > 0)
		sb_printf(b, "portcullis_tls_handshakes_total{role=\"any\","
		    "version=\"other\",cipher=\"other\"} %llu\n",
		    (unsigned long long)atomic_load(&tls_overflow));

	family(b, "portcullis_auth", "counter",
	    "Authentications seen ending, by method and result.");
	for (int d = 0; d < POL_NDIR; d++)
		for (size_t m = 0; m < NMETHODS; m++)
			for (int r = 0; r < 2; r++) {
				uint64_t n = atomic_load(&auths[d][m][r]);

				if (n == 0)
					continue;
				sb_printf(b, "portcullis_auth_total{%s,"
				    "method=\"%s\",result=\"%s\"} %llu\n",
				    role_labels(d), auth_methods[m],
				    r == 0 ? "ok" : "failed",
				    (unsigned long long)n);
			}

	family(b, "portcullis_events", "counter",
	    "Events of the catalogue (portcullis(8) EVENTS), logged or not.");
	for (size_t i = 0; i < ev_catalogue_len; i++)
		sb_printf(b, "portcullis_events_total{event=\"%s\","
		    "level=\"%s\"} %llu\n", ev_catalogue[i].name,
		    ev_level_name(ev_catalogue[i].level),
		    (unsigned long long)ev_counted(&ev_catalogue[i]));

	log_stats(&ls);
	family(b, "portcullis_log_errors", "counter",
	    "Records a sink could not take (write errors, drops).");
	sb_printf(b, "portcullis_log_errors_total{sink=\"events\"} %llu\n"
	    "portcullis_log_errors_total{sink=\"syslog\"} %llu\n",
	    (unsigned long long)ls.events_errors,
	    (unsigned long long)ls.syslog_errors);
	family(b, "portcullis_log_uncatalogued", "counter",
	    "Events or fields logged that the catalogue lacks (a bug).");
	sb_printf(b, "portcullis_log_uncatalogued_total %llu\n",
	    (unsigned long long)(ls.undocumented + ev_counted(NULL)));
	sb_printf(b, "# EOF\n");
}
