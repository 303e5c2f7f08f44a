/*
 * policy.c: reading portcullis.conf into an immutable struct pol.
 *
 * The file is libconfig syntax.  libconfig does the lexing and gives every
 * setting its file and line; this file walks the tree against a fixed
 * schema, refuses unknown or mistyped settings with file:line, fills the
 * defaults from one table (defaults.c) and checks every priority string
 * with GnuTLS.  Lookups that need no I/O live in lookup.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <gnutls/gnutls.h>

#include "policy.h"
#include "policy_int.h"

/* Everything one load needs; the diag is filled on the first error. */
struct ld {
	struct pol		*p;
	struct pol_diag		*diag;
	int			 err;
};

static int
fail(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	if (ld->err != 0)
		return ld->err;
	ld->err = POL_E_INVALID;
	if (ld->diag == NULL)
		return ld->err;
	if (s != NULL) {
		snprintf(ld->diag->file, sizeof(ld->diag->file), "%s",
		    s->file != NULL ? s->file : ld->p->file);
		ld->diag->line = (int)s->line;
	}
	va_start(ap, fmt);
	vsnprintf(ld->diag->msg, sizeof(ld->diag->msg), fmt, ap);
	va_end(ap);
	return ld->err;
}

static int
nomem(struct ld *ld)
{
	if (ld->err == 0) {
		ld->err = POL_E_NOMEM;
		if (ld->diag != NULL)
			snprintf(ld->diag->msg, sizeof(ld->diag->msg),
			    "out of memory");
	}
	return ld->err;
}

static const char *
dup(struct ld *ld, const char *s)
{
	const char *d = pol__strdup(ld->p->mem, s);

	if (d == NULL)
		nomem(ld);
	return d;
}

/*
 * Refuse settings the schema does not know: a typo must not silently
 * leave a weaker default in force.  keys is NULL-terminated.
 */
static int
known_keys(struct ld *ld, const config_setting_t *g, const char *what,
    const char *const *keys)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);
		const char *const *k;

		for (k = keys; *k != NULL; k++)
			if (strcmp(*k, m->name) == 0)
				break;
		if (*k == NULL)
			return fail(ld, m, "unknown setting '%s' in %s",
			    m->name, what);
	}
	return 0;
}

static const config_setting_t *
member(const config_setting_t *g, const char *name)
{
	return g == NULL ? NULL : config_setting_get_member(g, name);
}

static int
get_string(struct ld *ld, const config_setting_t *g, const char *name,
    const char **out)
{
	const config_setting_t *s = member(g, name);

	if (s == NULL)
		return 0;
	/* Failures are negative whatever error came first: never 1. */
	if (s->type != CONFIG_TYPE_STRING ||
	    config_setting_get_string(s) == NULL) {
		(void)fail(ld, s, "'%s' must be a string", name);
		return -1;
	}
	if ((*out = dup(ld, config_setting_get_string(s))) == NULL)
		return -1;
	return 1;
}

static int
get_uint(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	const config_setting_t *s = member(g, name);
	long long v;

	if (s == NULL)
		return 0;
	if (s->type == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else if (s->type == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else
		return fail(ld, s, "'%s' must be a whole number", name);
	if (v < 0 || (unsigned long long)v < min ||
	    (unsigned long long)v > max)
		return fail(ld, s, "'%s' must be between %llu and %llu",
		    name, min, max);
	*out = (unsigned long long)v;
	return 1;
}

static int
get_size(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned long long min, unsigned long long max, size_t *out)
{
	unsigned long long v = 0;
	int r = get_uint(ld, g, name, min, max, &v);

	if (r == 1)
		*out = (size_t)v;
	return r;
}

static int
get_unsigned(struct ld *ld, const config_setting_t *g, const char *name,
    unsigned long long min, unsigned long long max, unsigned *out)
{
	unsigned long long v = 0;
	int r = get_uint(ld, g, name, min, max, &v);

	if (r == 1)
		*out = (unsigned)v;
	return r;
}

static int
get_bool(struct ld *ld, const config_setting_t *g, const char *name,
    int *out)
{
	const config_setting_t *s = member(g, name);

	if (s == NULL)
		return 0;
	if (s->type != CONFIG_TYPE_BOOL)
		return fail(ld, s, "'%s' must be true or false", name);
	*out = config_setting_get_bool(s);
	return 1;
}

/*
 * A list of strings, written ["a", "b"] or ("a", "b"); a single string
 * is a list of one.  *out and *n get arena copies.
 */
static int
get_strings(struct ld *ld, const config_setting_t *g, const char *name,
    const char *const **out, size_t *n)
{
	const config_setting_t *s = member(g, name);
	const char **v;
	int i, len;

	if (s == NULL)
		return 0;
	if (s->type == CONFIG_TYPE_STRING) {
		if ((v = pol__calloc(ld->p->mem, 1, sizeof(*v))) == NULL)
			return nomem(ld);
		if ((v[0] = dup(ld, config_setting_get_string(s))) == NULL)
			return ld->err;
		*out = v;
		*n = 1;
		return 1;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(ld, s, "'%s' must be a list of strings", name);
	len = config_setting_length(s);
	if ((v = pol__calloc(ld->p->mem, (size_t)len + 1, sizeof(*v))) ==
	    NULL)
		return nomem(ld);
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (e->type != CONFIG_TYPE_STRING)
			return fail(ld, e, "'%s' must be a list of strings",
			    name);
		if ((v[i] = dup(ld, config_setting_get_string(e))) == NULL)
			return ld->err;
	}
	*out = v;
	*n = (size_t)len;
	return 1;
}

/* One word out of a fixed list; *out gets its index. */
static int
get_word(struct ld *ld, const config_setting_t *g, const char *name,
    const char *const *words, int *out)
{
	const config_setting_t *s = member(g, name);
	const char *v;
	char list[128] = "";
	int i;

	if (s == NULL)
		return 0;
	if (s->type != CONFIG_TYPE_STRING)
		return fail(ld, s, "'%s' must be a string", name);
	v = config_setting_get_string(s);
	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(v, words[i]) == 0) {
			*out = i;
			return 1;
		}
		if (i > 0)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, words[i], sizeof(list) - strlen(list) - 1);
	}
	return fail(ld, s, "'%s' must be one of: %s", name, list);
}

/*
 * "192.0.2.1:5222", "[2001:db8::1]:5222" or, where allowed,
 * "unix:/run/x.sock".  Host names are refused: resolving at load time
 * would make a reload depend on DNS.
 */
static int
parse_addr(struct ld *ld, const config_setting_t *s, const char *text,
    int allow_unix, struct pol_addr *a)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = text;
	size_t hl;
	unsigned char bin[16];
	char *end;
	long port;

	memset(a, 0, sizeof(*a));
	if ((a->text = dup(ld, text)) == NULL)
		return ld->err;
	if (strncmp(text, "unix:", 5) == 0) {
		if (!allow_unix)
			return fail(ld, s, "a unix socket is not allowed here");
		if (text[5] != '/')
			return fail(ld, s, "unix socket path must be absolute:"
			    " '%s'", text);
		if (strlen(text + 5) >= 108)
			return fail(ld, s, "unix socket path too long");
		a->unix = 1;
		a->path = a->text + 5;
		return 0;
	}
	if (*h == '[') {
		const char *rb = strchr(h, ']');

		if (rb == NULL || rb[1] != ':')
			return fail(ld, s, "bad address '%s': want [v6]:port",
			    text);
		h++;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(h, ':');
		if (colon == NULL)
			return fail(ld, s, "bad address '%s': want host:port",
			    text);
		hl = (size_t)(colon - h);
	}
	if (hl == 0 || hl >= sizeof(host))
		return fail(ld, s, "bad address '%s'", text);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, bin) != 1 &&
	    inet_pton(AF_INET6, host, bin) != 1)
		return fail(ld, s, "'%s' is not a literal IPv4 or IPv6"
		    " address", host);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 1 ||
	    port > 65535)
		return fail(ld, s, "bad port in '%s'", text);
	if ((a->host = dup(ld, host)) == NULL)
		return ld->err;
	a->port = (uint16_t)port;
	return 0;
}

static const char *const version_words[] = {
	"1.0", "1.1", "1.2", "1.3", NULL
};
static const char *const fs_words[] = { "require", "prefer", NULL };
static const char *const action_words[] = { "enforce", "report", NULL };
static const char *const auth_words[] = {
	"dane", "pkix", "pin", "dialback", "posh", NULL
};
static const char *const dnssec_words[] = { "validate", "require", NULL };
static const char *const keychange_words[] = { "allow", "require-dane", NULL };
static const char *const dir_words[] = { "c2s", "s2s-in", "s2s-out", NULL };

static const char *const rule_keys[] = {
	"min-version", "max-version", "forward-secrecy", "priority",
	"action", "authentication", "pins", "dnssec", "key-change", NULL
};

/* Settings that only mean something between servers. */
static const char *const s2s_keys[] = {
	"authentication", "pins", "dnssec", "key-change", NULL
};

static const config_setting_t *
s2s_only(const config_setting_t *g)
{
	for (const char *const *k = s2s_keys; *k != NULL; k++)
		if (member(g, *k) != NULL)
			return member(g, *k);
	return NULL;
}

static int
parse_auth(struct ld *ld, const config_setting_t *s, struct pol_rule *r)
{
	int i, n, w = 0;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(ld, s, "'authentication' must be a list such as"
		    " [\"dane\", \"pkix\"]");
	n = config_setting_length(s);
	if (n == 0)
		return fail(ld, s, "'authentication' needs at least one"
		    " method");
	r->nauth = 0;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v;

		if (e->type != CONFIG_TYPE_STRING)
			return fail(ld, e, "'authentication' must be a list"
			    " of strings");
		v = config_setting_get_string(e);
		for (w = 0; auth_words[w] != NULL; w++)
			if (strcmp(v, auth_words[w]) == 0)
				break;
		if (auth_words[w] == NULL)
			return fail(ld, e, "unknown authentication method"
			    " '%s': use dane, pkix, pin, posh or dialback", v);
		for (size_t j = 0; j < r->nauth; j++)
			if (r->auth[j] == (enum pol_auth)w)
				return fail(ld, e, "authentication method"
				    " '%s' is listed twice", v);
		r->auth[r->nauth++] = (enum pol_auth)w;
	}
	return 0;
}

/* "sha256/BASE64" of 32 bytes, as RFC 7469 writes pin-sha256. */
static int
parse_pins(struct ld *ld, const config_setting_t *s, struct pol_rule *r)
{
	unsigned char (*pins)[32];
	int i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(ld, s, "'pins' must be a list of"
		    " \"sha256/BASE64\" strings");
	n = config_setting_length(s);
	if (n == 0)
		return fail(ld, s, "'pins' is empty");
	if ((pins = pol__calloc(ld->p->mem, (size_t)n, sizeof(*pins))) ==
	    NULL)
		return nomem(ld);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		gnutls_datum_t b64, raw = { NULL, 0 };
		const char *v;
		int ok;

		if (e->type != CONFIG_TYPE_STRING)
			return fail(ld, e, "'pins' must be a list of strings");
		v = config_setting_get_string(e);
		if (strncmp(v, "sha256/", 7) != 0)
			return fail(ld, e, "pin '%.60s' does not start with"
			    " 'sha256/'", v);
		b64.data = (unsigned char *)(uintptr_t)(v + 7);
		b64.size = (unsigned)strlen(v + 7);
		ok = gnutls_base64_decode2(&b64, &raw) == 0 && raw.size == 32;
		if (ok)
			memcpy(pins[i], raw.data, 32);
		gnutls_free(raw.data);
		if (!ok)
			return fail(ld, e, "pin '%.60s' is not the base64 of a"
			    " SHA-256 digest (32 bytes)", v);
		for (int j = 0; j < i; j++)
			if (memcmp(pins[j], pins[i], 32) == 0)
				return fail(ld, e, "pin '%.60s' is listed"
				    " twice", v);
	}
	r->pins = (const unsigned char (*)[32])pins;
	r->npins = (size_t)n;
	return 0;
}

/*
 * Apply the settings of group g on top of rule r.  extra_keys are the
 * other settings g may hold; pins only where allow_pins says so.
 */
static int
parse_rule(struct ld *ld, const config_setting_t *g, struct pol_rule *r,
    const char *const *extra_keys, int allow_pins)
{
	const char *keys[24];
	const config_setting_t *s;
	size_t n = 0;
	int w = 0;

	for (const char *const *k = rule_keys; *k != NULL; k++)
		keys[n++] = *k;
	for (const char *const *k = extra_keys; k != NULL && *k != NULL; k++)
		keys[n++] = *k;
	keys[n] = NULL;
	if (known_keys(ld, g, r->name, keys) != 0)
		return ld->err;
	r->line = (int)g->line;
	if (get_word(ld, g, "min-version", version_words, &w) == 1)
		r->min_version = (enum pol_version)(POL_TLS10 + w);
	if (get_word(ld, g, "max-version", version_words, &w) == 1)
		r->max_version = (enum pol_version)(POL_TLS10 + w);
	if (get_word(ld, g, "forward-secrecy", fs_words, &w) == 1)
		r->forward_secrecy = (enum pol_fs)w;
	if (get_word(ld, g, "action", action_words, &w) == 1)
		r->action = (enum pol_action)w;
	if (get_word(ld, g, "dnssec", dnssec_words, &w) == 1)
		r->dnssec = (enum pol_dnssec)w;
	if (get_word(ld, g, "key-change", keychange_words, &w) == 1)
		r->key_change = (enum pol_keychange)w;
	if (get_string(ld, g, "priority", &r->priority) == 1)
		r->priority_set = 1;
	if (ld->err != 0)
		return ld->err;
	if ((s = member(g, "authentication")) != NULL &&
	    parse_auth(ld, s, r) != 0)
		return ld->err;
	if ((s = member(g, "pins")) != NULL) {
		if (!allow_pins)
			return fail(ld, s, "'pins' belong in an entry of"
			    " 'rules' that names the peer");
		if (parse_pins(ld, s, r) != 0)
			return ld->err;
	}
	if (r->min_version > r->max_version)
		return fail(ld, g, "min-version %s is above max-version %s",
		    pol_version_name(r->min_version),
		    pol_version_name(r->max_version));
	/* A verbatim priority string belongs to the group it is in. */
	if (member(g, "priority") == NULL &&
	    (member(g, "min-version") != NULL ||
	    member(g, "max-version") != NULL ||
	    member(g, "forward-secrecy") != NULL))
		r->priority_set = 0;
	return 0;
}

/*
 * Compute or check the rule's priority string with GnuTLS, and the one
 * its handshakes use.
 */
static int
finish_rule(struct ld *ld, const config_setting_t *g, struct pol_rule *r)
{
	char buf[POL__PRIORITY_MAX];
	const char *where = NULL;

	if (!r->priority_set) {
		pol__priority(r, buf, sizeof(buf));
		if ((r->priority = dup(ld, buf)) == NULL)
			return ld->err;
	}
	if (pol__priority_check(r->priority, &where) != 0) {
		if (r->priority_set)
			return fail(ld, g, "GnuTLS rejects priority string"
			    " near '%.40s'", where != NULL ? where : "");
		return fail(ld, g, "GnuTLS rejects the computed priority"
		    " string near '%.40s'", where != NULL ? where : "");
	}
	r->handshake_priority = r->priority;
	if (r->action == POL_REPORT) {
		pol__priority_relaxed(r, buf, sizeof(buf));
		if (pol__priority_check(buf, &where) != 0)
			return fail(ld, g, "GnuTLS rejects the report-mode"
			    " priority string near '%.40s'",
			    where != NULL ? where : "");
		if ((r->handshake_priority = dup(ld, buf)) == NULL)
			return ld->err;
	}
	return 0;
}

static int
parse_limits(struct ld *ld, const config_setting_t *g)
{
	static const char *const keys[] = {
		"stanza-bytes", "header-bytes", "depth", "attributes",
		"namespace-declarations", "attribute-bytes", "text-bytes",
		"pre-tls-bytes", "pre-auth-bytes", "write-queue-bytes", NULL
	};
	struct pol_limits *l = &ld->p->limits;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'limits' must be a group { ... }");
	if (known_keys(ld, g, "limits", keys) != 0)
		return ld->err;
	/* RFC 6120 section 13.12: at least 10000 bytes per stanza. */
	get_size(ld, g, "stanza-bytes", 10000, 64u << 20, &l->stanza_bytes);
	get_size(ld, g, "header-bytes", 512, 65536, &l->header_bytes);
	get_unsigned(ld, g, "depth", 2, 250, &l->depth);
	get_unsigned(ld, g, "attributes", 4, 1024, &l->attrs);
	get_unsigned(ld, g, "namespace-declarations", 2, 1024, &l->nsdecls);
	get_size(ld, g, "attribute-bytes", 256, 64u << 20, &l->attr_bytes);
	get_size(ld, g, "text-bytes", 256, 64u << 20, &l->text_bytes);
	get_size(ld, g, "pre-tls-bytes", 512, 1u << 20, &l->pretls_bytes);
	get_size(ld, g, "pre-auth-bytes", 4096, 64u << 20,
	    &l->preauth_bytes);
	get_size(ld, g, "write-queue-bytes", 16384, 64u << 20,
	    &l->write_queue);
	return ld->err;
}

static int
parse_timeouts(struct ld *ld, const config_setting_t *g)
{
	static const char *const keys[] = {
		"handshake", "pre-auth", "idle", "backend-connect", "close",
		"shutdown", "posh", NULL
	};
	struct pol_timeouts *t = &ld->p->timeouts;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'timeouts' must be a group { ... }");
	if (known_keys(ld, g, "timeouts", keys) != 0)
		return ld->err;
	get_unsigned(ld, g, "handshake", 1, 3600, &t->handshake);
	get_unsigned(ld, g, "pre-auth", 1, 3600, &t->preauth);
	get_unsigned(ld, g, "idle", 1, 7 * 86400, &t->idle);
	get_unsigned(ld, g, "backend-connect", 1, 600, &t->backend_connect);
	get_unsigned(ld, g, "close", 1, 600, &t->close);
	get_unsigned(ld, g, "shutdown", 1, 600, &t->shutdown);
	get_unsigned(ld, g, "posh", 1, 60, &t->posh);
	return ld->err;
}

static int
parse_listeners(struct ld *ld, const config_setting_t *l)
{
	static const char *const keys[] = {
		"role", "address", "tls", "domain", NULL
	};
	static const char *const role_words[] = {
		"c2s", "s2s", "s2s-out", NULL
	};
	static const char *const tls_words[] = {
		"starttls", "direct", NULL
	};
	struct pol *p = ld->p;
	int i, n, w = 0;

	if (l == NULL)
		return fail(ld, NULL, "no 'listen' list: nothing to serve");
	if (!config_setting_is_list(l))
		return fail(ld, l, "'listen' must be a list ( {...}, ... )");
	n = config_setting_length(l);
	if (n == 0)
		return fail(ld, l, "'listen' is empty: nothing to serve");
	p->listeners = pol__calloc(p->mem, (size_t)n, sizeof(*p->listeners));
	if (p->listeners == NULL)
		return nomem(ld);
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		struct pol_listener *li = &p->listeners[i];
		struct pol_addr a;
		const char *addr = NULL;

		if (!config_setting_is_group(g))
			return fail(ld, g, "each listener must be a group");
		if (known_keys(ld, g, "a listener", keys) != 0)
			return ld->err;
		li->line = (int)g->line;
		if (get_word(ld, g, "role", role_words, &w) != 1)
			return ld->err != 0 ? ld->err :
			    fail(ld, g, "listener without 'role'");
		li->role = (enum pol_role)w;
		li->tls = POL_TLS_STARTTLS;
		if (get_word(ld, g, "tls", tls_words, &w) == 1)
			li->tls = (enum pol_tlsmode)w;
		if (ld->err != 0)
			return ld->err;
		if (get_string(ld, g, "address", &addr) != 1)
			return ld->err != 0 ? ld->err :
			    fail(ld, g, "listener without 'address'");
		if (parse_addr(ld, member(g, "address"), addr, 0, &a) != 0)
			return ld->err;
		li->host = a.host;
		li->port = a.port;
		li->text = a.text;
		if (get_string(ld, g, "domain", &li->domain) == 1) {
			char norm[256];

			if (pol_domain_normalise(li->domain, norm,
			    sizeof(norm)) != 0)
				return fail(ld, member(g, "domain"),
				    "'%s' is not a valid domain name",
				    li->domain);
			if ((li->domain = dup(ld, norm)) == NULL)
				return ld->err;
		}
		if (ld->err != 0)
			return ld->err;
		for (int j = 0; j < i; j++)
			if (p->listeners[j].port == li->port &&
			    strcmp(p->listeners[j].host, li->host) == 0)
				return fail(ld, g, "address %s is already"
				    " used on line %d", li->text,
				    p->listeners[j].line);
		p->nlisteners++;
	}
	return 0;
}

static int
parse_certs(struct ld *ld, const config_setting_t *g, struct pol_domain *d)
{
	static const char *const keys[] = {
		"certificate", "key", "ocsp", NULL
	};
	const config_setting_t *list = member(g, "certificates");
	struct pol *p = ld->p;
	int i, n;

	if (list == NULL) {
		/* The short form: certificate and key in the domain. */
		d->certs = pol__calloc(p->mem, 1, sizeof(*d->certs));
		if (d->certs == NULL)
			return nomem(ld);
		d->certs[0].line = (int)g->line;
		if (get_string(ld, g, "certificate", &d->certs[0].chain) != 1)
			return ld->err != 0 ? ld->err : fail(ld, g,
			    "domain %s has no 'certificate'", d->name);
		if (get_string(ld, g, "key", &d->certs[0].key) != 1)
			return ld->err != 0 ? ld->err : fail(ld, g,
			    "domain %s has no 'key'", d->name);
		get_string(ld, g, "ocsp", &d->certs[0].ocsp);
		d->ncerts = 1;
		return ld->err;
	}
	if (member(g, "certificate") != NULL || member(g, "key") != NULL)
		return fail(ld, g, "domain %s: use either 'certificate'"
		    " and 'key' or 'certificates', not both", d->name);
	if (!config_setting_is_list(list) || config_setting_length(list) == 0)
		return fail(ld, list, "'certificates' must be a non-empty"
		    " list ( {...}, ... )");
	n = config_setting_length(list);
	d->certs = pol__calloc(p->mem, (size_t)n, sizeof(*d->certs));
	if (d->certs == NULL)
		return nomem(ld);
	for (i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(list, i);
		struct pol_cert *pc = &d->certs[i];

		if (!config_setting_is_group(c))
			return fail(ld, c, "each certificate must be a group");
		if (known_keys(ld, c, "a certificate", keys) != 0)
			return ld->err;
		pc->line = (int)c->line;
		if (get_string(ld, c, "certificate", &pc->chain) != 1)
			return ld->err != 0 ? ld->err :
			    fail(ld, c, "certificate without 'certificate'");
		if (get_string(ld, c, "key", &pc->key) != 1)
			return ld->err != 0 ? ld->err :
			    fail(ld, c, "certificate without 'key'");
		get_string(ld, c, "ocsp", &pc->ocsp);
		if (ld->err != 0)
			return ld->err;
		d->ncerts++;
	}
	return 0;
}

/*
 * subdomains = ( "conference", "upload" ): hosted components named
 * relative to the domain, served with its certificates.
 */
static int
parse_subdomains(struct ld *ld, const config_setting_t *g,
    struct pol_domain *d)
{
	const char *const *rel;
	const char **full;
	size_t n;

	if (get_strings(ld, g, "subdomains", &rel, &n) != 1)
		return ld->err;
	if ((full = pol__calloc(ld->p->mem, n + 1, sizeof(*full))) == NULL)
		return nomem(ld);
	for (size_t i = 0; i < n; i++) {
		char buf[512], norm[256];

		snprintf(buf, sizeof(buf), "%s.%s", rel[i], d->name);
		if (rel[i][0] == '\0' || strchr(rel[i], '*') != NULL ||
		    pol_domain_normalise(buf, norm, sizeof(norm)) != 0)
			return fail(ld, member(g, "subdomains"), "subdomain"
			    " '%.60s' of %s is not a valid name: write the"
			    " labels before the domain, as \"conference\"",
			    rel[i], d->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(full[j], norm) == 0)
				return fail(ld, member(g, "subdomains"),
				    "subdomain %s is listed twice", norm);
		if ((full[i] = dup(ld, norm)) == NULL)
			return ld->err;
	}
	d->subdomains = full;
	d->nsubdomains = n;
	return 0;
}

/* A name may belong to one served domain only. */
static int
check_domain_names(struct ld *ld, const config_setting_t *l)
{
	struct pol *p = ld->p;

	for (size_t i = 0; i < p->ndomains; i++)
		for (size_t k = 0; k < p->domains[i].nsubdomains; k++)
			for (size_t j = 0; j < p->ndomains; j++) {
				const struct pol_domain *o = &p->domains[j];
				const char *sub = p->domains[i].subdomains[k];
				int clash = strcmp(o->name, sub) == 0;

				for (size_t m = 0; !clash && j != i &&
				    m < o->nsubdomains; m++)
					clash = strcmp(o->subdomains[m],
					    sub) == 0;
				if (clash)
					return fail(ld, config_setting_get_elem(
					    l, (unsigned)i), "%s is served"
					    " twice: as a subdomain of %s and"
					    " by the domain on line %d", sub,
					    p->domains[i].name, o->line);
			}
	return 0;
}

static int
parse_domains(struct ld *ld, const config_setting_t *l)
{
	static const char *const keys[] = {
		"name", "certificate", "key", "ocsp", "certificates",
		"c2s-backend", "s2s-backend", "subdomains", NULL
	};
	struct pol *p = ld->p;
	int i, n;

	if (l == NULL)
		return fail(ld, NULL, "no 'domains' list: nothing to serve");
	if (!config_setting_is_list(l))
		return fail(ld, l, "'domains' must be a list ( {...}, ... )");
	n = config_setting_length(l);
	if (n == 0)
		return fail(ld, l, "'domains' is empty: nothing to serve");
	p->domains = pol__calloc(p->mem, (size_t)n, sizeof(*p->domains));
	if (p->domains == NULL)
		return nomem(ld);
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		struct pol_domain *d = &p->domains[i];
		const char *name = NULL, *be = NULL;
		char norm[256];

		if (!config_setting_is_group(g))
			return fail(ld, g, "each domain must be a group");
		if (known_keys(ld, g, "a domain", keys) != 0)
			return ld->err;
		d->line = (int)g->line;
		if (get_string(ld, g, "name", &name) != 1)
			return ld->err != 0 ? ld->err :
			    fail(ld, g, "domain without 'name'");
		if (pol_domain_normalise(name, norm, sizeof(norm)) != 0)
			return fail(ld, member(g, "name"),
			    "'%s' is not a valid domain name", name);
		if ((d->name = dup(ld, norm)) == NULL)
			return ld->err;
		for (int j = 0; j < i; j++)
			if (strcmp(p->domains[j].name, d->name) == 0)
				return fail(ld, g, "domain %s is already"
				    " defined on line %d", d->name,
				    p->domains[j].line);
		if (parse_certs(ld, g, d) != 0 ||
		    parse_subdomains(ld, g, d) != 0)
			return ld->err;
		if (get_string(ld, g, "c2s-backend", &be) == 1 &&
		    parse_addr(ld, member(g, "c2s-backend"), be, 1,
		    &d->c2s_backend) != 0)
			return ld->err;
		be = NULL;
		if (get_string(ld, g, "s2s-backend", &be) == 1 &&
		    parse_addr(ld, member(g, "s2s-backend"), be, 1,
		    &d->s2s_backend) != 0)
			return ld->err;
		if (ld->err != 0)
			return ld->err;
		if (d->c2s_backend.text == NULL && d->s2s_backend.text == NULL)
			return fail(ld, g, "domain %s has no backend:"
			    " set 'c2s-backend' or 's2s-backend'", d->name);
		p->ndomains++;
	}
	return 0;
}

/*
 * The policy group: the default rule and one override per direction.
 * nlist is the length of the rules list, for which room is made here.
 */
static int
parse_policy(struct ld *ld, const config_setting_t *g, int nlist)
{
	static const char *const dir_keys[] = {
		"c2s", "s2s-in", "s2s-out", NULL
	};
	struct pol *p = ld->p;
	struct pol_rule *def;
	int d;

	p->rules = pol__calloc(p->mem, 1 + POL_NDIR + (size_t)nlist * POL_NDIR,
	    sizeof(*p->rules));
	if (p->rules == NULL)
		return nomem(ld);
	def = &p->rules[0];
	pol__rule_default(def);
	def->name = "policy";
	if (g != NULL) {
		if (!config_setting_is_group(g))
			return fail(ld, g, "'policy' must be a group { ... }");
		if (parse_rule(ld, g, def, dir_keys, 0) != 0)
			return ld->err;
	}
	for (d = 0; d < POL_NDIR; d++) {
		const config_setting_t *dg = member(g, dir_keys[d]);
		struct pol_rule *r = &p->rules[1 + d];

		*r = *def;
		r->name = dir_keys[d];
		r->dir = (enum pol_dir)d;
		if (dg != NULL) {
			const config_setting_t *bad;

			if (!config_setting_is_group(dg))
				return fail(ld, dg, "'%s' must be a group"
				    " { ... }", dir_keys[d]);
			if (d == POL_C2S && (bad = s2s_only(dg)) != NULL)
				return fail(ld, bad, "'%s' applies between"
				    " servers only, not to c2s", bad->name);
			if (parse_rule(ld, dg, r, NULL, 0) != 0)
				return ld->err;
		}
		if (finish_rule(ld, dg != NULL ? dg : g, r) != 0)
			return ld->err;
	}
	if (finish_rule(ld, g, def) != 0)
		return ld->err;
	p->nrules = 1 + POL_NDIR;
	return 0;
}

/* "example.org" or "*.example.org", normalised, into the arena. */
static const char *
parse_match(struct ld *ld, const config_setting_t *g)
{
	const config_setting_t *s = member(g, "match");
	const char *v;
	char norm[256], buf[260];
	int wild;

	if (s == NULL) {
		fail(ld, g, "a rule without 'match'");
		return NULL;
	}
	if (s->type != CONFIG_TYPE_STRING) {
		fail(ld, s, "'match' must be a string");
		return NULL;
	}
	v = config_setting_get_string(s);
	wild = strncmp(v, "*.", 2) == 0;
	if (pol_domain_normalise(wild ? v + 2 : v, norm, sizeof(norm)) != 0 ||
	    strchr(wild ? v + 2 : v, '*') != NULL) {
		fail(ld, s, "'%.80s' is neither a domain nor *.domain", v);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s%s", wild ? "*." : "", norm);
	return dup(ld, buf);
}

/* The directions a rule names: a bit per enum pol_dir. */
static int
parse_dirs(struct ld *ld, const config_setting_t *g, unsigned *mask)
{
	const config_setting_t *s = member(g, "direction");
	int i, n, w = 0;

	*mask = 0;
	if (s == NULL) {
		*mask = (1u << POL_NDIR) - 1;
		return 0;
	}
	if (s->type == CONFIG_TYPE_STRING) {
		if (get_word(ld, g, "direction", dir_words, &w) != 1)
			return ld->err;
		*mask = 1u << w;
		return 0;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(ld, s, "'direction' must be c2s, s2s-in, s2s-out"
		    " or a list of them");
	n = config_setting_length(s);
	if (n == 0)
		return fail(ld, s, "'direction' is empty");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = e->type == CONFIG_TYPE_STRING ?
		    config_setting_get_string(e) : "";

		for (w = 0; dir_words[w] != NULL; w++)
			if (strcmp(v, dir_words[w]) == 0)
				break;
		if (dir_words[w] == NULL)
			return fail(ld, e, "'direction' must be c2s, s2s-in"
			    " or s2s-out");
		if (*mask & (1u << w))
			return fail(ld, e, "direction %s is listed twice", v);
		*mask |= 1u << w;
	}
	return 0;
}

/*
 * The rules list: one entry per peer or served domain pattern, each
 * applying to the directions it names.  Every (entry, direction) becomes
 * one effective rule: the direction's rule with the entry's settings.
 */
static int
parse_rules(struct ld *ld, const config_setting_t *l)
{
	static const char *const extra[] = { "match", "direction", NULL };
	struct pol *p = ld->p;
	size_t first = p->nrules;
	int i, n;

	if (l == NULL)
		return 0;
	n = config_setting_length(l);
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		const config_setting_t *bad;
		const char *match;
		unsigned mask;

		if (!config_setting_is_group(g))
			return fail(ld, g, "each rule must be a group");
		if ((match = parse_match(ld, g)) == NULL ||
		    parse_dirs(ld, g, &mask) != 0)
			return ld->err;
		if (mask == (1u << POL_C2S) && (bad = s2s_only(g)) != NULL)
			return fail(ld, bad, "'%s' applies between servers"
			    " only, and this rule is for c2s", bad->name);
		for (int d = 0; d < POL_NDIR; d++) {
			struct pol_rule *r;

			if (!(mask & (1u << d)))
				continue;
			for (size_t j = first; j < p->nrules; j++)
				if (p->rules[j].dir == (enum pol_dir)d &&
				    strcmp(p->rules[j].match, match) == 0)
					return fail(ld, g, "a rule for %s (%s)"
					    " is already defined on line %d",
					    match, dir_words[d],
					    p->rules[j].line);
			r = &p->rules[p->nrules];
			*r = p->rules[1 + d];
			r->name = match;
			r->match = match;
			r->dir = (enum pol_dir)d;
			if (parse_rule(ld, g, r, extra, 1) != 0)
				return ld->err;
			if (r->npins > 0 && d != POL_C2S) {
				size_t k;

				for (k = 0; k < r->nauth; k++)
					if (r->auth[k] == POL_AUTH_PIN)
						break;
				if (k == r->nauth)
					return fail(ld, member(g, "pins"),
					    "pins are set but 'pin' is not"
					    " among the authentication"
					    " methods");
			}
			if (finish_rule(ld, g, r) != 0)
				return ld->err;
			p->nrules++;
		}
	}
	return 0;
}

/* Exact matches first, then wildcards, longer suffixes first. */
static int
specificity(const void *a, const void *b)
{
	const struct pol_rule *ra = *(const struct pol_rule *const *)a;
	const struct pol_rule *rb = *(const struct pol_rule *const *)b;
	int wa = ra->match[0] == '*', wb = rb->match[0] == '*';
	size_t la = strlen(ra->match), lb = strlen(rb->match);

	if (wa != wb)
		return wa - wb;
	if (la != lb)
		return la > lb ? -1 : 1;
	return ra->line - rb->line;
}

static int
add_priority(struct ld *ld, const char *prio, size_t *idx)
{
	struct pol *p = ld->p;

	for (size_t i = 0; i < p->npriorities; i++)
		if (strcmp(p->priorities[i], prio) == 0) {
			*idx = i;
			return 0;
		}
	p->priorities[p->npriorities] = prio;
	*idx = p->npriorities++;
	return 0;
}

/* The lookup tables: rules by direction and the distinct priorities. */
static int
index_rules(struct ld *ld)
{
	struct pol *p = ld->p;

	p->priorities = pol__calloc(p->mem, 2 * p->nrules,
	    sizeof(*p->priorities));
	if (p->priorities == NULL)
		return nomem(ld);
	for (size_t i = 0; i < p->nrules; i++) {
		struct pol_rule *r = &p->rules[i];

		add_priority(ld, r->priority, &r->prio_idx);
		add_priority(ld, r->handshake_priority, &r->hs_prio_idx);
	}
	for (int d = 0; d < POL_NDIR; d++) {
		const struct pol_rule **v;
		size_t n = 0;

		v = pol__calloc(p->mem, p->nrules, sizeof(*v));
		if (v == NULL)
			return nomem(ld);
		for (size_t i = 1 + POL_NDIR; i < p->nrules; i++)
			if (p->rules[i].dir == (enum pol_dir)d)
				v[n++] = &p->rules[i];
		qsort(v, n, sizeof(*v), specificity);
		p->bydir[d] = v;
		p->nbydir[d] = n;
	}
	return 0;
}

static int
parse_trust(struct ld *ld, const config_setting_t *g)
{
	static const char *const keys[] = {
		"system", "ca-files", "cn-fallback", NULL
	};
	struct pol_trust *t = &ld->p->trust;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'trust' must be a group { ... }");
	if (known_keys(ld, g, "trust", keys) != 0)
		return ld->err;
	t->line = (int)g->line;
	get_bool(ld, g, "system", &t->system);
	get_bool(ld, g, "cn-fallback", &t->cn_fallback);
	get_strings(ld, g, "ca-files", &t->ca_files, &t->nca_files);
	return ld->err;
}

static int
parse_dns(struct ld *ld, const config_setting_t *g)
{
	static const char *const keys[] = {
		"resolver", "trust-ad", "trust-anchor", "timeout", NULL
	};
	struct pol_dns *d = &ld->p->dns;
	const config_setting_t *s;
	const char *res = NULL;
	struct pol_addr a;
	unsigned t;

	d->timeout_ms = 3000;
	/* The AD bit is only as good as the path to the resolver (DNS-4). */
	d->trust_ad = 0;
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'dns' must be a group { ... }");
	if (known_keys(ld, g, "dns", keys) != 0)
		return ld->err;
	if (get_string(ld, g, "resolver", &res) == 1) {
		if (parse_addr(ld, member(g, "resolver"), res, 0, &a) != 0)
			return ld->err;
		snprintf(d->resolver, sizeof(d->resolver), "%s", a.text);
		d->trust_ad = a.host != NULL &&
		    (strncmp(a.host, "127.", 4) == 0 ||
		    strcmp(a.host, "::1") == 0);
	}
	if (get_string(ld, g, "trust-anchor", &d->trust_anchor) == 1) {
		d->trust_anchor_line = (int)member(g, "trust-anchor")->line;
		if (d->trust_anchor[0] == '\0')
			return fail(ld, member(g, "trust-anchor"),
			    "'trust-anchor' names no file");
		/* We validate ourselves: the AD bit means nothing then. */
		d->trust_ad = 0;
	}
	if (ld->err != 0)
		return ld->err;
	if ((s = member(g, "trust-ad")) != NULL) {
		if (s->type != CONFIG_TYPE_BOOL)
			return fail(ld, s, "'trust-ad' must be true or false");
		d->trust_ad = config_setting_get_bool(s);
		if (d->trust_ad && d->trust_anchor != NULL)
			return fail(ld, s, "'trust-ad' and 'trust-anchor'"
			    " exclude each other: with a trust anchor every"
			    " answer is validated here");
	}
	if (get_unsigned(ld, g, "timeout", 1, 60, &t) == 1)
		d->timeout_ms = t * 1000;
	return ld->err;
}

static int
parse_routes(struct ld *ld, const config_setting_t *l)
{
	static const char *const keys[] = {
		"domain", "address", "tls", NULL
	};
	static const char *const tls_words[] = { "starttls", "direct", NULL };
	struct pol *p = ld->p;
	int n, w = 0;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return fail(ld, l, "'s2s-routes' must be a list ( {...}, ... )");
	n = config_setting_length(l);
	p->routes = pol__calloc(p->mem, (size_t)n + 1, sizeof(*p->routes));
	if (p->routes == NULL)
		return nomem(ld);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		struct pol_route *r = &p->routes[i];
		const char *dom = NULL, *addr = NULL;
		char norm[256];

		if (!config_setting_is_group(g))
			return fail(ld, g, "each route must be a group");
		if (known_keys(ld, g, "a route", keys) != 0)
			return ld->err;
		r->line = (int)g->line;
		if (get_string(ld, g, "domain", &dom) != 1 ||
		    get_string(ld, g, "address", &addr) != 1)
			return ld->err != 0 ? ld->err : fail(ld, g,
			    "a route needs 'domain' and 'address'");
		if (pol_domain_normalise(dom, norm, sizeof(norm)) != 0)
			return fail(ld, member(g, "domain"),
			    "'%s' is not a valid domain name", dom);
		if ((r->domain = dup(ld, norm)) == NULL)
			return ld->err;
		if (parse_addr(ld, member(g, "address"), addr, 0, &r->addr) !=
		    0)
			return ld->err;
		r->tls = POL_TLS_STARTTLS;
		if (get_word(ld, g, "tls", tls_words, &w) == 1)
			r->tls = (enum pol_tlsmode)w;
		if (ld->err != 0)
			return ld->err;
		for (int j = 0; j < i; j++)
			if (strcmp(p->routes[j].domain, r->domain) == 0)
				return fail(ld, g, "a route for %s is already"
				    " on line %d", r->domain,
				    p->routes[j].line);
		p->nroutes++;
	}
	return 0;
}

static int
check_listeners(struct ld *ld)
{
	struct pol *p = ld->p;

	for (size_t i = 0; i < p->nlisteners; i++) {
		const struct pol_listener *li = &p->listeners[i];

		if (li->domain != NULL && pol_domain(p, li->domain) == NULL)
			return fail(ld, NULL, "%s:%d: listener domain %s is"
			    " not among 'domains'", p->file, li->line,
			    li->domain);
		if (li->role == POL_ROLE_C2S || li->role == POL_ROLE_S2S) {
			int c2s = li->role == POL_ROLE_C2S;
			size_t j;

			for (j = 0; j < p->ndomains; j++)
				if ((c2s ? p->domains[j].c2s_backend.text :
				    p->domains[j].s2s_backend.text) != NULL)
					break;
			if (j == p->ndomains)
				return fail(ld, NULL, "%s:%d: a %s listener"
				    " but no domain has a '%s-backend'",
				    p->file, li->line, c2s ? "c2s" : "s2s",
				    c2s ? "c2s" : "s2s");
		}
	}
	return 0;
}

static const char *const level_words[] = {
	"error", "warning", "info", "debug", NULL
};

/* An absolute path of at most max - 1 bytes, or "" where empty is ok. */
static int
get_path(struct ld *ld, const config_setting_t *g, const char *name,
    size_t max, int empty_ok, const char **out)
{
	const char *v = NULL;
	int r = get_string(ld, g, name, &v);

	if (r != 1)
		return r;
	if (*v == '\0' && empty_ok) {
		*out = NULL;
		return 1;
	}
	if (*v != '/')
		return fail(ld, member(g, name), "'%s' must be an absolute"
		    " path", name);
	if (strlen(v) >= max)
		return fail(ld, member(g, name), "'%s' is longer than %zu"
		    " bytes", name, max - 1);
	*out = v;
	return 1;
}

/* The log group: the level and where records go besides stderr. */
static int
parse_log(struct ld *ld, const config_setting_t *g)
{
	static const char *const keys[] = {
		"level", "events", "syslog", "syslog-facility",
		"syslog-socket", NULL
	};
	static const char *const facility_words[] = {
		"daemon", "auth", "authpriv", "user", "local0", "local1",
		"local2", "local3", "local4", "local5", "local6", "local7",
		NULL
	};
	static const int facilities[] = {
		LOG_DAEMON, LOG_AUTH, LOG_AUTHPRIV, LOG_USER, LOG_LOCAL0,
		LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5,
		LOG_LOCAL6, LOG_LOCAL7
	};
	struct pol_log *l = &ld->p->log;
	const config_setting_t *s;
	int w = 0;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'log' must be a group { ... }");
	if (known_keys(ld, g, "log", keys) != 0)
		return ld->err;
	if (get_word(ld, g, "level", level_words, &w) == 1)
		ld->p->loglevel = (enum pol_loglevel)w;
	get_path(ld, g, "events", 4096, 1, &l->events);
	if ((s = member(g, "syslog")) != NULL) {
		if (s->type != CONFIG_TYPE_BOOL)
			return fail(ld, s, "'syslog' must be true or false");
		l->syslog = config_setting_get_bool(s);
	}
	if (get_word(ld, g, "syslog-facility", facility_words, &w) == 1)
		l->facility = facilities[w];
	get_path(ld, g, "syslog-socket", 108, 0, &l->syslog_socket);
	return ld->err;
}

/* The control socket: where, and who may use it. */
static int
parse_control(struct ld *ld, const config_setting_t *g)
{
	static const char *const keys[] = { "socket", "mode", NULL };
	struct pol_control *c = &ld->p->control;
	const config_setting_t *s;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'control' must be a group { ... }");
	if (known_keys(ld, g, "control", keys) != 0)
		return ld->err;
	if (get_path(ld, g, "socket", 108, 1, &c->socket) != 0 &&
	    ld->err != 0)
		return ld->err;
	if ((s = member(g, "mode")) != NULL) {
		const char *v;
		char *end;
		unsigned long m;

		/* libconfig has no octal numbers: "0600" is a string. */
		if (s->type != CONFIG_TYPE_STRING)
			return fail(ld, s, "'mode' must be a string of octal"
			    " digits, like \"0600\"");
		v = config_setting_get_string(s);
		errno = 0;
		m = strtoul(v, &end, 8);
		if (*v == '\0' || *end != '\0' || errno != 0 || m > 0777)
			return fail(ld, s, "'mode' must be octal permission"
			    " bits from 0 to 0777, like \"0600\"");
		if (m & 0007)
			return fail(ld, s, "'mode' %s lets every local user"
			    " control portcullis; use 0600 or 0660", v);
		c->mode = (unsigned)m;
	}
	return ld->err;
}

static int
build(struct ld *ld, config_t *cfg)
{
	static const char *const keys[] = {
		"workers", "log-level", "log", "control", "listen", "domains",
		"policy", "rules", "limits", "timeouts", "state-directory",
		"trust", "minimum-grade", "min-rsa-bits", "expiry-warning-days",
		"dns", "s2s-routes", NULL
	};
	static const char *const grade_words[] = {
		"A", "A-", "B", "C", "D", "E", "F", NULL
	};
	const config_setting_t *root = config_root_setting(cfg);
	const config_setting_t *rules = member(root, "rules");
	const config_setting_t *lg = member(root, "log");
	struct pol *p = ld->p;
	int w = 0;

	pol_defaults(&p->limits, &p->timeouts);
	pol__top_defaults(p);
	pol__log_defaults(&p->log, &p->control);
	if (known_keys(ld, root, "the top level", keys) != 0)
		return ld->err;
	get_unsigned(ld, root, "workers", 0, 256, &p->workers);
	/* log-level is the older spelling of log.level; not both. */
	if (member(root, "log-level") != NULL && member(lg, "level") != NULL)
		return fail(ld, member(lg, "level"), "'log.level' and"
		    " 'log-level' are the same setting; keep one");
	if (get_word(ld, root, "log-level", level_words, &w) == 1)
		p->loglevel = (enum pol_loglevel)w;
	if (get_word(ld, root, "minimum-grade", grade_words, &w) == 1) {
		p->minimum_grade = grade_words[w];
		p->minimum_grade_line = (int)member(root,
		    "minimum-grade")->line;
	}
	get_unsigned(ld, root, "min-rsa-bits", 1024, 16384,
	    &p->min_rsa_bits);
	get_unsigned(ld, root, "expiry-warning-days", 0, 365,
	    &p->expiry_warning_days);
	if (get_string(ld, root, "state-directory", &p->state_dir) == 1 &&
	    p->state_dir[0] != '/')
		return fail(ld, member(root, "state-directory"),
		    "'state-directory' must be an absolute path");
	if (ld->err != 0)
		return ld->err;
	if (rules != NULL && !config_setting_is_list(rules))
		return fail(ld, rules, "'rules' must be a list ( {...}, ... )");
	if (parse_log(ld, lg) != 0 ||
	    parse_control(ld, member(root, "control")) != 0 ||
	    parse_limits(ld, member(root, "limits")) != 0 ||
	    parse_timeouts(ld, member(root, "timeouts")) != 0 ||
	    parse_trust(ld, member(root, "trust")) != 0 ||
	    parse_policy(ld, member(root, "policy"), rules != NULL ?
	    config_setting_length(rules) : 0) != 0 ||
	    parse_rules(ld, rules) != 0 ||
	    index_rules(ld) != 0 ||
	    parse_domains(ld, member(root, "domains")) != 0 ||
	    parse_dns(ld, member(root, "dns")) != 0 ||
	    parse_routes(ld, member(root, "s2s-routes")) != 0 ||
	    check_domain_names(ld, member(root, "domains")) != 0 ||
	    parse_listeners(ld, member(root, "listen")) != 0 ||
	    check_listeners(ld) != 0)
		return ld->err;
	if (p->limits.pretls_bytes > p->limits.preauth_bytes)
		return fail(ld, member(root, "limits"), "pre-tls-bytes is"
		    " above pre-auth-bytes");
	return 0;
}

static int
load(config_t *cfg, int rc, const char *name, struct pol **out,
    struct pol_diag *diag)
{
	struct ld ld = { .diag = diag };

	*out = NULL;
	if (diag != NULL) {
		memset(diag, 0, sizeof(*diag));
		snprintf(diag->file, sizeof(diag->file), "%s", name);
	}
	if (rc != CONFIG_TRUE) {
		int io = config_error_type(cfg) == CONFIG_ERR_FILE_IO;

		if (diag != NULL) {
			if (config_error_file(cfg) != NULL)
				snprintf(diag->file, sizeof(diag->file), "%s",
				    config_error_file(cfg));
			diag->line = io ? 0 : config_error_line(cfg);
			snprintf(diag->msg, sizeof(diag->msg), "%s",
			    io ? "cannot read the file" :
			    config_error_text(cfg));
		}
		config_destroy(cfg);
		return io ? POL_E_IO : POL_E_SYNTAX;
	}
	if ((ld.p = pol__new(name)) == NULL) {
		config_destroy(cfg);
		return POL_E_NOMEM;
	}
	build(&ld, cfg);
	config_destroy(cfg);
	if (ld.err != 0) {
		pol_unref(ld.p);
		return ld.err;
	}
	*out = ld.p;
	return 0;
}

int
pol_load(const char *path, struct pol **out, struct pol_diag *diag)
{
	config_t cfg;
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int rc;

	config_init(&cfg);
	/* @include paths are relative to the including file. */
	if (slash != NULL && (size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		config_set_include_dir(&cfg, dir);
	}
	rc = config_read_file(&cfg, path);
	return load(&cfg, rc, path, out, diag);
}

int
pol_load_buffer(const char *buf, const char *name, struct pol **out,
    struct pol_diag *diag)
{
	config_t cfg;
	int rc;

	config_init(&cfg);
	rc = config_read_string(&cfg, buf);
	return load(&cfg, rc, name, out, diag);
}

const char *
pol_strerror(int err)
{
	switch (err) {
	case POL_OK:		return "ok";
	case POL_E_IO:		return "cannot read the file";
	case POL_E_SYNTAX:	return "syntax error";
	case POL_E_INVALID:	return "invalid setting";
	case POL_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}
