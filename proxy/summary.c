/*
 * summary.c: a connection's security summary, for records and the
 * control socket.
 */
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "worker.h"

struct arena_blk {
	struct arena_blk	*next;
	size_t			 used, cap;
	_Alignas(max_align_t) char data[];
};

#define ARENA_BLK	65536

const char *
verify_name(enum peer_verify v)
{
	switch (v) {
	case VERIFY_NONE:	return "none";
	case VERIFY_PKIX:	return "pkix";
	case VERIFY_DANE_EE:	return "dane-ee";
	case VERIFY_DANE_TA:	return "dane-ta";
	case VERIFY_PIN:	return "pin";
	case VERIFY_POSH:	return "posh";
	case VERIFY_DANE_PKIX_EE: return "dane-pkix-ee";
	case VERIFY_DANE_PKIX_TA: return "dane-pkix-ta";
	}
	return "none";
}

static const char *
auth_result_name(enum auth_state a)
{
	switch (a) {
	case AUTH_NONE:		return "none";
	case AUTH_PENDING:	return "pending";
	case AUTH_OK:		return "ok";
	case AUTH_FAILED:	return "failed";
	}
	return "none";
}

static const char *
phase_name(const struct session *s)
{
	if (s->closing)
		return "closing";
	switch (s->phase) {
	case PH_HEADER:		return "header";
	case PH_PRETLS:		return "pre-tls";
	case PH_HANDSHAKE:	return "handshake";
	case PH_TLS_HEADER:	return "tls-header";
	case PH_RELAY:		return "relay";
	}
	return "unknown";
}

static const char *
or_none(const char *s)
{
	return s != NULL && *s != '\0' ? s : "none";
}

void
session_summary(const struct session *s, uint64_t now_ms,
    struct sess_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->id = s->id;
	sum->worker = s->w != NULL ? s->w->idx : 0;
	sum->role = s->role;
	sum->direction = s->dir == POL_S2S_OUT ? "out" : "in";
	sum->peer = s->peer;
	sum->domain = s->domain != NULL ? s->domain->name : "none";
	sum->remote = s->dir != POL_C2S ? or_none(s->peer_domain) : "none";
	sum->sni = or_none(s->sni);
	sum->to = or_none(s->to);
	sum->from = or_none(s->from);
	sum->phase = phase_name(s);
	sum->verify = verify_name(s->verify);
	sum->auth = or_none(s->auth);
	sum->auth_result = auth_result_name(s->auth_state);
	sum->tls = tls_params(&s->remote, &sum->tlsp) == 0;
	/*
	 * Encrypted once TLS is up; authenticated once the peer proved who
	 * it is: a verified certificate, or the backend accepting its
	 * credentials.  Nothing is ever authenticated without TLS here.
	 */
	if (!sum->tls)
		sum->state = "none";
	else if (s->verify != VERIFY_NONE || s->auth_state == AUTH_OK)
		sum->state = "both";
	else
		sum->state = "encrypted";
	sum->cert = s->cert;
	sum->age_ms = now_ms - s->t_start;
	sum->idle_ms = now_ms >= s->t_last ? now_ms - s->t_last : 0;
	sum->bytes_in = s->remote.bytes_in;
	sum->bytes_out = s->remote.bytes_out;
}

void
summary_fields(const struct sess_summary *sum, const struct field_sink *fs)
{
	const struct tls_params *p = &sum->tlsp;

	fs->str(fs->arg, "peer", sum->peer);
	fs->str(fs->arg, "direction", sum->direction);
	fs->str(fs->arg, "domain", sum->domain);
	fs->str(fs->arg, "sni", sum->sni);
	fs->str(fs->arg, "to", sum->to);
	fs->str(fs->arg, "from", sum->from);
	if (sum->tls)
		fs->str(fs->arg, "alpn", or_none(p->alpn));
	fs->str(fs->arg, "state", sum->state);
	fs->str(fs->arg, "verify", sum->verify);
	fs->str(fs->arg, "auth", sum->auth);
	fs->str(fs->arg, "auth_result", sum->auth_result);
	if (!sum->tls) {
		fs->str(fs->arg, "version", "none");
	} else {
		fs->str(fs->arg, "version", p->version);
		fs->str(fs->arg, "cipher", p->cipher);
		if (p->suite != NULL)
			fs->str(fs->arg, "suite", p->suite);
		fs->str(fs->arg, "group", p->group);
		fs->flag(fs->arg, "fs", p->fs);
		fs->flag(fs->arg, "resumed", p->resumed);
	}
	if (sum->cert != NULL) {
		fs->str(fs->arg, "peer_subject", sum->cert->subject);
		fs->str(fs->arg, "peer_issuer", sum->cert->issuer);
		fs->str(fs->arg, "peer_san", sum->cert->san);
		fs->str(fs->arg, "peer_not_before", sum->cert->not_before);
		fs->str(fs->arg, "peer_not_after", sum->cert->not_after);
		fs->str(fs->arg, "peer_spki", sum->cert->spki);
	}
}

static void
ev_sink_str(void *arg, const char *key, const char *val)
{
	ev_str(arg, key, val);
}

static void
ev_sink_num(void *arg, const char *key, uint64_t val)
{
	ev_u64(arg, key, val);
}

static void
ev_sink_flag(void *arg, const char *key, int val)
{
	ev_bool(arg, key, val);
}

void
summary_ev(const struct sess_summary *sum, struct ev *e)
{
	const struct field_sink fs = {
		ev_sink_str, ev_sink_num, ev_sink_flag, e
	};

	summary_fields(sum, &fs);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_blk *b = a->blk;
	size_t align = _Alignof(max_align_t);
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLK ? n : ARENA_BLK;

		if ((b = malloc(sizeof(*b) + cap)) == NULL) {
			a->nomem = 1;
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = a->blk;
		a->blk = b;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_blk *b, *next;

	for (b = a->blk; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->blk = NULL;
}

static const char *
arena_dup(struct arena *a, const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((d = arena_alloc(a, n)) == NULL)
		return "?";
	memcpy(d, s, n);
	return d;
}

void
summary_copy(struct sess_summary *dst, const struct sess_summary *src,
    struct arena *a)
{
	struct peer_cert *c;

	*dst = *src;
	/* GnuTLS's names are static; the session's strings are not. */
	dst->peer = arena_dup(a, src->peer);
	dst->domain = arena_dup(a, src->domain);
	dst->remote = arena_dup(a, src->remote);
	dst->sni = arena_dup(a, src->sni);
	dst->to = arena_dup(a, src->to);
	dst->from = arena_dup(a, src->from);
	dst->auth = arena_dup(a, src->auth);
	dst->role = arena_dup(a, src->role);
	if (src->cert != NULL &&
	    (c = arena_alloc(a, sizeof(*c))) != NULL) {
		*c = *src->cert;
		dst->cert = c;
	} else
		dst->cert = NULL;
}
