/*
 * lookup.c: the life of a snapshot (its arena and reference count) and
 * the pure lookups the daemon makes against it on every connection.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "policy.h"
#include "policy_int.h"

struct pol__block {
	struct pol__block	*next;
	size_t			 used, size;
	_Alignas(max_align_t) unsigned char data[];
};

struct pol__mem {
	struct pol__block	*head;
};

#define POL__BLOCK	4096

void *
pol__calloc(struct pol__mem *m, size_t n, size_t size)
{
	struct pol__block *b = m->head;
	size_t len, align = _Alignof(max_align_t);

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	len = (n * size + align - 1) & ~(align - 1);
	if (len == 0)
		len = align;
	if (b == NULL || b->size - b->used < len) {
		size_t bs = len > POL__BLOCK ? len : POL__BLOCK;

		if ((b = calloc(1, sizeof(*b) + bs)) == NULL)
			return NULL;
		b->size = bs;
		b->next = m->head;
		m->head = b;
	}
	b->used += len;
	return b->data + b->used - len;
}

const char *
pol__strdup(struct pol__mem *m, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = pol__calloc(m, 1, len);

	if (d != NULL)
		memcpy(d, s, len);
	return d;
}

struct pol *
pol__new(const char *file)
{
	struct pol__mem *m;
	struct pol *p;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((p = pol__calloc(m, 1, sizeof(*p))) == NULL ||
	    (p->file = pol__strdup(m, file)) == NULL) {
		free(m->head);
		free(m);
		return NULL;
	}
	p->mem = m;
	p->refs = 1;
	return p;
}

struct pol *
pol_ref(struct pol *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void
pol_unref(struct pol *p)
{
	struct pol__mem *m;
	struct pol__block *b, *next;

	if (p == NULL ||
	    atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* p itself lives in the arena: keep m before freeing. */
	m = p->mem;
	for (b = m->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(m);
}

int
pol_match(const char *pattern, const char *name)
{
	size_t pl, nl;

	if (pattern[0] != '*')
		return strcmp(pattern, name) == 0;
	/* "*.example.org": any name ending in ".example.org". */
	pl = strlen(pattern + 1);
	nl = strlen(name);
	return nl > pl && strcmp(name + nl - pl, pattern + 1) == 0;
}

const struct pol_rule *
pol_rule(const struct pol *p, enum pol_dir dir, const char *domain)
{
	if ((unsigned)dir >= POL_NDIR)
		return &p->rules[0];
	if (domain != NULL)
		for (size_t i = 0; i < p->nbydir[dir]; i++)
			if (pol_match(p->bydir[dir][i]->match, domain))
				return p->bydir[dir][i];
	return &p->rules[1 + dir];
}

const struct pol_route *
pol_route(const struct pol *p, const char *domain)
{
	for (size_t i = 0; domain != NULL && i < p->nroutes; i++)
		if (strcmp(p->routes[i].domain, domain) == 0)
			return &p->routes[i];
	return NULL;
}

const struct pol_domain *
pol_domain(const struct pol *p, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < p->ndomains; i++)
		if (strcmp(p->domains[i].name, name) == 0)
			return &p->domains[i];
	for (size_t i = 0; i < p->ndomains; i++)
		for (size_t j = 0; j < p->domains[i].nsubdomains; j++)
			if (strcmp(p->domains[i].subdomains[j], name) == 0)
				return &p->domains[i];
	return NULL;
}

/*
 * IDNA2008, non-transitional, NFC input: the flags RFC 7622 and RFC 9525
 * want, and the same ones certstore/ uses for its own inputs.
 */
int
pol_domain_normalise(const char *in, char *out, size_t outlen)
{
	char *ace = NULL;
	size_t len;
	int rc;

	if (in == NULL || *in == '\0')
		return -1;
	rc = idn2_to_ascii_8z(in, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK)
		return -1;
	len = strlen(ace);
	/* One trailing dot names the same domain; drop it. */
	if (len > 0 && ace[len - 1] == '.')
		ace[--len] = '\0';
	if (len == 0 || len > 253 || len >= outlen) {
		idn2_free(ace);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)ace[i];

		if ((!isalnum(c) && c != '-' && c != '.') ||
		    (c == '.' && (i == 0 || ace[i - 1] == '.'))) {
			idn2_free(ace);
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	idn2_free(ace);
	return 0;
}

const char *
pol_version_name(enum pol_version v)
{
	switch (v) {
	case POL_TLS10:	return "1.0";
	case POL_TLS11:	return "1.1";
	case POL_TLS12:	return "1.2";
	case POL_TLS13:	return "1.3";
	}
	return "?";
}

const char *
pol_auth_name(enum pol_auth a)
{
	switch (a) {
	case POL_AUTH_DANE:	return "dane";
	case POL_AUTH_PKIX:	return "pkix";
	case POL_AUTH_PIN:	return "pin";
	case POL_AUTH_DIALBACK:	return "dialback";
	case POL_AUTH_POSH:	return "posh";
	case POL_NAUTH:		break;
	}
	return "?";
}

const char *
pol_dir_name(enum pol_dir d)
{
	switch (d) {
	case POL_C2S:		return "c2s";
	case POL_S2S_IN:	return "s2s-in";
	case POL_S2S_OUT:	return "s2s-out";
	case POL_NDIR:		break;
	}
	return "?";
}
