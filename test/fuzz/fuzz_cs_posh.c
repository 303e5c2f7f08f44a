/*
 * fuzz_cs_posh.c: certstore's POSH document reader on hostile JSON, as
 * any web server a remote domain names may send.
 *
 * Input: the document.  It must be read or refused without a fault; a
 * document read holds at most CS_POSH_MAX_FP fingerprints, each with a
 * known hash, a delegation only without fingerprints and only to https,
 * and reading it again gives the same result.
 *
 * Built with libFuzzer, ASan and UBSan, with every certstore source:
 *
 *	fuzz_cs_posh_SRCS = every certstore/ source
 *	fuzz_cs_posh_PKGS = gnutls gnutls-dane libidn2
 *
 * Seeds in test/fuzz/corpus/cs_posh/ are documents of RFC 7711's shapes.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "certstore/certstore.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cs_posh a, b;
	int rc;

	rc = cs_posh_parse((const char *)data, size, &a);
	assert(rc == 0 || rc == CS_E_FORMAT);
	assert(cs_posh_parse((const char *)data, size, &b) == rc);
	if (rc != 0)
		return 0;
	assert(a.nfp <= CS_POSH_MAX_FP && a.nfp == b.nfp);
	for (size_t i = 0; i < a.nfp; i++)
		assert(a.fp[i].has256 || a.fp[i].has512);
	assert(memchr(a.url, '\0', sizeof(a.url)) != NULL);
	if (a.url[0] != '\0')
		assert(a.nfp == 0 && strncmp(a.url, "https://", 8) == 0);
	assert(a.expires >= -1 && a.expires == b.expires);
	return 0;
}
