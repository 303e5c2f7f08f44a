/*
 * fuzz_cs_dane.c: certstore's DANE matching on hostile TLSA records and
 * hostile chains, both of which come from the network.
 *
 * Input: one byte, whose low three bits are the number of TLSA records
 * (bit 3: a second reference name); then each record as usage, selector,
 * matching type, a two-byte big-endian length and that many bytes of
 * data; then the chain as certificates, each a two-byte length and DER.
 * The result must be consistent: a matching record is usable and within
 * the set, DANE-EE names the leaf and checks no name, a match leaves no
 * reason, and asking twice gives the same answer (no hidden state).
 *
 * Built with libFuzzer, ASan and UBSan, with every certstore source:
 *
 *	fuzz_cs_dane_SRCS = every certstore/ source
 *	fuzz_cs_dane_PKGS = gnutls gnutls-dane libidn2
 *
 * Seeds in test/fuzz/corpus/cs_dane/ are certificates of
 * test/certs/mkcerts.sh with records that match them and that do not.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <gnutls/dane.h>

#include "certstore/certstore.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dane_state_t	 ds;
static struct cs	*cs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (dane_state_init(&ds, DANE_F_IGNORE_LOCAL_RESOLVER |
	    DANE_F_IGNORE_DNSSEC) != 0 || (cs = cs_new(NULL)) == NULL)
		return 1;
	return 0;
}

static int
take(const uint8_t **p, size_t *left, size_t n, const uint8_t **out)
{
	if (*left < n)
		return -1;
	*out = *p;
	*p += n;
	*left -= n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = { "example.org", "xmpp.example.org" };
	struct cs_tlsa t[8];
	gnutls_datum_t chain[8];
	struct cs_dane_result r1, r2;
	const uint8_t *p = data, *h;
	size_t left = size, nt, nc = 0, nrefs;
	time_t now = 1767225600;	/* 2026-01-01, fixed */
	int rc1, rc2;

	if (take(&p, &left, 1, &h) != 0)
		return 0;
	nt = h[0] & 7;
	nrefs = (h[0] & 8) ? 2 : 1;
	for (size_t i = 0; i < nt; i++) {
		const uint8_t *d;
		size_t len;

		if (take(&p, &left, 5, &h) != 0)
			return 0;
		len = (size_t)h[3] << 8 | h[4];
		if (take(&p, &left, len, &d) != 0)
			return 0;
		t[i].usage = h[0];
		t[i].selector = h[1];
		t[i].mtype = h[2];
		t[i].data = d;
		t[i].len = len;
	}
	while (left > 0 && nc < 8) {
		const uint8_t *d;
		size_t len;

		if (take(&p, &left, 2, &h) != 0)
			break;
		len = (size_t)h[0] << 8 | h[1];
		if (take(&p, &left, len, &d) != 0)
			break;
		chain[nc].data = (unsigned char *)(uintptr_t)d;
		chain[nc].size = (unsigned)len;
		nc++;
	}
	rc1 = cs_dane_match(cs, ds, chain, (unsigned)nc, t, nt, refs, nrefs,
	    now, &r1);
	rc2 = cs_dane_match(cs, ds, chain, (unsigned)nc, t, nt, refs, nrefs,
	    now, &r2);
	assert(rc1 == rc2);
	if (rc1 != 0)
		return 0;
	assert(r1.matched == r2.matched && r1.usable == r2.usable);
	assert(r1.usable <= nt);
	assert(r1.matched >= -1 && r1.matched < (int)nt);
	if (r1.matched >= 0) {
		const struct cs_tlsa *m = &t[r1.matched];

		assert(r1.usable > 0);
		assert(m->usage <= 3 && m->selector <= 1 && m->mtype <= 2);
		assert(r1.usage == m->usage && r1.reason[0] == '\0');
		if (m->usage == CS_TLSA_DANE_EE)
			assert(r1.depth == 0 && r1.ref == -1);
		else
			assert(r1.ref >= 0 && r1.ref < (int)nrefs);
	} else
		assert(r1.reason[0] != '\0');
	return 0;
}
