/*
 * secevent.c: the downgrade and identity events of the catalogue.
 */
#include "log.h"
#include "secevent.h"

static void
begin(struct ev *e, enum log_level level, const struct session *s,
    const char *name, const char *domain)
{
	ev_begin(e, level, s->id, s->role, name);
	ev_str(e, "peer", s->peer);
	ev_str(e, "domain", domain != NULL ? domain : "none");
}

static void
end(struct ev *e, const char *action)
{
	if (action != NULL)
		ev_str(e, "action", action);
	ev_end(e);
}

void
sev_starttls_absent(const struct session *s, const char *domain,
    const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "starttls.absent", domain);
	end(&e, action);
}

void
sev_starttls_stripping(const struct session *s, const char *domain,
    const char *last_tls, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "starttls.stripping_suspected", domain);
	ev_str(&e, "last_tls", last_tls);
	end(&e, action);
}

void
sev_starttls_failure(const struct session *s, const char *domain,
    const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_WARNING, s, "starttls.failure_received", domain);
	end(&e, action);
}

void
sev_downgrade_sentinel(const struct session *s, const char *domain,
    const char *version, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "tls.downgrade_sentinel", domain);
	ev_str(&e, "version", version);
	end(&e, action);
}

void
sev_dane_mismatch(const struct session *s, const char *domain,
    const char *tlsa, const struct peer_cert *cert, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "dane.mismatch", domain);
	ev_str(&e, "tlsa", tlsa);
	ev_str(&e, "peer_spki", cert != NULL ? cert->spki : "none");
	end(&e, action);
}

void
sev_dane_bogus(const struct session *s, const char *domain,
    const char *qname, const char *reason, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "dane.bogus", domain);
	ev_str(&e, "qname", qname);
	ev_str(&e, "reason", reason);
	end(&e, action);
}

void
sev_dnssec_bogus(const struct session *s, const char *domain,
    const char *qname, const char *qtype, const char *reason,
    const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "dnssec.bogus", domain);
	ev_str(&e, "qname", qname);
	ev_str(&e, "qtype", qtype);
	ev_str(&e, "reason", reason);
	end(&e, action);
}

void
sev_dnssec_downgrade(const struct session *s, const char *domain,
    const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_ERROR, s, "dnssec.insecure_downgrade", domain);
	end(&e, action);
}

void
sev_dnssec_insecure(const struct session *s, const char *domain,
    const char *what, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_WARNING, s, "dnssec.insecure", domain);
	ev_str(&e, "qtype", what);
	end(&e, action);
}

void
sev_srv_changed(const struct session *s, const char *domain,
    const char *old_srv, const char *new_srv, const char *dnssec,
    const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_WARNING, s, "dns.srv_changed", domain);
	ev_str(&e, "old_srv", old_srv);
	ev_str(&e, "new_srv", new_srv);
	ev_str(&e, "dnssec", dnssec);
	end(&e, action);
}

void
sev_cert_changed(const struct session *s, const char *domain,
    const struct peer_cert *was, const struct peer_cert *now,
    const char *tlsa, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_WARNING, s, "cert.changed", domain);
	ev_str(&e, "old_spki", was->spki);
	ev_str(&e, "new_spki", now->spki);
	ev_str(&e, "old_issuer", was->issuer);
	ev_str(&e, "new_issuer", now->issuer);
	ev_str(&e, "old_not_before", was->not_before);
	ev_str(&e, "old_not_after", was->not_after);
	ev_str(&e, "new_not_before", now->not_before);
	ev_str(&e, "new_not_after", now->not_after);
	ev_str(&e, "tlsa", tlsa);
	end(&e, action);
}

void
sev_identity_mismatch(const struct session *s, const char *domain,
    const struct peer_cert *cert, const char *action)
{
	struct ev e;

	begin(&e, LOG_LVL_WARNING, s, "cert.identity_mismatch", domain);
	ev_str(&e, "peer_subject", cert->subject);
	ev_str(&e, "peer_san", cert->san);
	end(&e, action);
}

void
sev_dialback_unsolicited(const struct session *s, const char *domain,
    const char *to, const char *element)
{
	struct ev e;

	begin(&e, LOG_LVL_WARNING, s, "dialback.unsolicited", domain);
	ev_str(&e, "to", to);
	ev_str(&e, "element", element);
	ev_end(&e);
}
