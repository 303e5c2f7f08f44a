/*
 * fuzz_pol_load.c: the configuration reader on hostile input.
 *
 * The input is a configuration file, as pol_load_buffer() reads it.  A
 * file that loads must give sane lookups: pol_rule() never NULL and of
 * the direction asked for, every rule's priority strings in the
 * snapshot's list, pol_domain() finding every served domain; a refused
 * file must say why.
 *
 *	fuzz_pol_load_SRCS = (every .c file of policy/)
 *	fuzz_pol_load_PKGS = libconfig gnutls libidn2
 *
 * Seeds in test/fuzz/corpus/pol_load/ are the examples and files with
 * rules, trust and subdomains.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/*
 * libconfig 1.5's scanner leaks a token or its string buffer on some
 * syntax errors (a file ending inside a string, say).  That is
 * libconfig's, not ours, and costs a few bytes per refused file; our own
 * allocations never have a libconfig frame on their stack.
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static const char *const names[] = {
	NULL, "example.org", "a.example.org", "x.y.partner.example",
	"partner.example", "xn--bcher-kva.example", "conference.example.org"
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_diag diag;
	struct pol *p = NULL;
	char *buf;
	int rc;

	/* @include would read other files: not this target's business. */
	if (size > 65536 || memmem(data, size, "@include", 8) != NULL)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	rc = pol_load_buffer(buf, "fuzz.conf", &p, &diag);
	free(buf);
	if (rc != 0) {
		assert(p == NULL);
		assert(diag.msg[0] != '\0');
		return 0;
	}
	for (int d = 0; d < POL_NDIR; d++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const struct pol_rule *r = pol_rule(p,
			    (enum pol_dir)d, names[i]);

			assert(r != NULL && r->dir == (enum pol_dir)d);
			assert(r->prio_idx < p->npriorities);
			assert(r->hs_prio_idx < p->npriorities);
			assert(r->min_version <= r->max_version);
			assert(r->action == POL_ENFORCE ||
			    strcmp(r->handshake_priority, r->priority) != 0);
		}
	for (size_t i = 0; i < p->ndomains; i++)
		assert(pol_domain(p, p->domains[i].name) == &p->domains[i]);
	pol_unref(p);
	return 0;
}
