/*
 * observe.c: noting a relayed stream's authentication for the record.
 */
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "observe.h"

#define NS_IQ_AUTH	"jabber:iq:auth"

/* FNV-1a: a pending iq's id, remembered without keeping peer bytes. */
static uint64_t
id_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *id != '\0'; id++) {
		h ^= (unsigned char)*id;
		h *= 1099511628211ULL;
	}
	return h != 0 ? h : 1;
}

/* A SASL mechanism name as RFC 4422 allows it, else "invalid". */
static void
set_mechanism(struct session *s, const char *mech)
{
	size_t n = mech != NULL ? strlen(mech) : 0;

	if (n == 0 || n > 20 || strspn(mech, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_") != n)
		mech = "invalid";
	snprintf(s->auth, sizeof(s->auth), "%s", mech);
}

static const void *
span(const struct leg *l, const struct xs_event *ev, size_t *len)
{
	*len = (size_t)(ev->end - ev->start);
	return buf_ptr(&l->in) + (ev->start - l->in_off);
}

/*
 * <iq type='set'> carrying jabber:iq:auth: the method is read from the
 * element's bytes, never kept: <digest> (XEP-0078 digest) or <password>.
 */
static void
iq_auth(struct session *s, struct leg *l, const struct xs_event *ev)
{
	const char *type = xs_attr(l->xs, "type"), *id = xs_attr(l->xs, "id");
	size_t len;
	const void *p;

	if (type == NULL || strcmp(type, "set") != 0 || id == NULL)
		return;
	p = span(l, ev, &len);
	if (memmem(p, len, NS_IQ_AUTH, sizeof(NS_IQ_AUTH) - 1) == NULL)
		return;
	if (memmem(p, len, "digest>", 7) != NULL)
		snprintf(s->auth, sizeof(s->auth), "iq-auth-digest");
	else if (memmem(p, len, "password>", 9) != NULL)
		snprintf(s->auth, sizeof(s->auth), "iq-auth-plain");
	else
		snprintf(s->auth, sizeof(s->auth), "iq-auth");
	s->auth_iq = id_hash(id);
	s->auth_state = AUTH_PENDING;
}

void
observe_remote(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	const struct xs_header *h;

	switch (ev->type) {
	case XS_EV_HEADER:
		/* A restart may name the client's full JID now. */
		h = xs_header(l->xs);
		if (h != NULL && h->from != NULL)
			snprintf(s->from, sizeof(s->from), "%s", h->from);
		return;
	case XS_EV_ELEMENT:
		break;
	default:
		return;
	}
	if (s->auth_state == AUTH_OK)
		return;
	if (strcmp(ev->ns, XS_NS_SASL) == 0 && strcmp(ev->name, "auth") == 0) {
		set_mechanism(s, xs_attr(l->xs, "mechanism"));
		s->auth_iq = 0;
		s->auth_state = AUTH_PENDING;
	} else if (strcmp(ev->name, "iq") == 0)
		iq_auth(s, l, ev);
}

void
observe_auth(struct session *s, const char *method, int ok)
{
	if (method != NULL && method != s->auth)
		snprintf(s->auth, sizeof(s->auth), "%s", method);
	s->auth_state = ok ? AUTH_OK : AUTH_FAILED;
	s->auth_iq = 0;
	metrics_auth(s->dir, s->auth, ok);
}

void
observe_backend(struct leg *l, const struct xs_event *ev)
{
	struct session *s = l->s;
	const char *type, *id;

	if (s->auth_state != AUTH_PENDING || ev->type != XS_EV_ELEMENT)
		return;
	if (s->auth_iq == 0) {
		if (strcmp(ev->ns, XS_NS_SASL) != 0)
			return;
		if (strcmp(ev->name, "success") == 0)
			observe_auth(s, NULL, 1);
		else if (strcmp(ev->name, "failure") == 0)
			observe_auth(s, NULL, 0);
		return;
	}
	if (strcmp(ev->name, "iq") != 0 ||
	    (id = xs_attr(l->xs, "id")) == NULL || id_hash(id) != s->auth_iq ||
	    (type = xs_attr(l->xs, "type")) == NULL)
		return;
	if (strcmp(type, "result") == 0) {
		observe_auth(s, NULL, 1);
		/* No restart follows iq:auth: the session is in now. */
		if (!s->authenticated) {
			s->authenticated = 1;
			session_timer_update(s);
		}
	} else if (strcmp(type, "error") == 0)
		observe_auth(s, NULL, 0);
}
