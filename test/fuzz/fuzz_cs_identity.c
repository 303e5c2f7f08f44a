/*
 * fuzz_cs_identity.c: certstore's identity matcher on hostile input.
 *
 * Input: one byte of options (bit 0: service xmpp-server, bit 1: CN
 * fallback, bit 2: also feed the rest to the otherName DER reader), a
 * reference domain up to the first NUL, then a DER certificate.  Any
 * certificate GnuTLS imports goes through cs_match_identity(); the result
 * must be a cs_id or CS_E_NAME, and a match must hold again when asked
 * twice (no hidden state).
 *
 * Built with libFuzzer, ASan and UBSan.  It includes identity.c to reach
 * the static DER reader, so link it with the other certstore sources:
 *
 *	fuzz_cs_identity_SRCS = certstore/store.c certstore/verify.c \
 *				certstore/history.c
 *	fuzz_cs_identity_PKGS = gnutls libidn2
 *
 * Seeds in test/fuzz/corpus/cs_identity/ are certificates from
 * test/certs/mkcerts.sh (DNS-ID, wildcard, SRV-ID, XmppAddr, IDN, CN only).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "certstore/identity.c"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t der;
	const uint8_t *nul;
	char domain[300], out[256];
	enum cs_service svc;
	unsigned flags;
	size_t dlen;
	int id;

	if (size < 2)
		return 0;
	svc = (data[0] & 1) ? CS_XMPP_SERVER : CS_XMPP_CLIENT;
	flags = (data[0] & 2) ? CS_MATCH_CN_FALLBACK : 0;
	if ((nul = memchr(data + 1, '\0', size - 1)) == NULL)
		return 0;
	dlen = (size_t)(nul - (data + 1));
	if (dlen >= sizeof(domain))
		return 0;
	memcpy(domain, data + 1, dlen);
	domain[dlen] = '\0';
	der.data = (unsigned char *)(uintptr_t)(nul + 1);
	der.size = (unsigned)(size - (size_t)(nul + 1 - data));
	if (data[0] & 4) {
		(void)der_string(der.data, der.size, DER_IA5STRING, out,
		    sizeof(out));
		(void)der_string(der.data, der.size, DER_UTF8STRING, out,
		    sizeof(out));
	}
	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) == 0) {
		id = cs_match_identity(crt, domain, svc, flags);
		assert(id == CS_E_NAME || (id >= CS_ID_NONE && id <= CS_ID_CN));
		assert(cs_match_identity(crt, domain, svc, flags) == id);
		if (id == CS_ID_CN)
			assert(flags & CS_MATCH_CN_FALLBACK);
	}
	gnutls_x509_crt_deinit(crt);
	return 0;
}
