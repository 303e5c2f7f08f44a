/*
 * identity.c: does a certificate name a domain?  RFC 6120 section 13.7,
 * RFC 6125 and RFC 9525 as STANDARDS.md ID-2 to ID-6 read them.
 *
 * The presented identifiers come from the subjectAltName extension as
 * GnuTLS imports it raw: dNSName as IA5 text, otherName values as the DER
 * of their inner string, which we decode here (SRVName is an IA5String,
 * id-on-xmppAddr a UTF8String), so the matcher does not depend on which
 * otherNames a GnuTLS version happens to know.  Everything is compared as
 * lower-case A-labels; the subject CN counts only when asked for and only
 * on a certificate without any subjectAltName identity.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>
#include <idn2.h>

#include "certstore.h"
#include "cs_int.h"

#define OID_SRVNAME	"1.3.6.1.5.5.7.8.7"
#define OID_XMPPADDR	"1.3.6.1.5.5.7.8.5"
#define DER_UTF8STRING	0x0c
#define DER_IA5STRING	0x16
#define DER_EXPLICIT0	0xa0

int
cs__domain_norm(const char *in, char *out, size_t outlen)
{
	char *ace = NULL;
	size_t len;

	if (in == NULL || *in == '\0' ||
	    idn2_to_ascii_8z(in, &ace, IDN2_NONTRANSITIONAL |
	    IDN2_NFC_INPUT) != IDN2_OK)
		return -1;
	len = strlen(ace);
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

/*
 * The content of one DER string of type tag spanning all of [p, p+len),
 * optionally inside an [0] EXPLICIT wrapper, into out as a C string.
 * Definite lengths only, minimal long forms up to 2 bytes, no NUL inside.
 * Returns 0, or -1 for anything else.
 */
static int
der_string(const unsigned char *p, size_t len, unsigned char tag, char *out,
    size_t outlen)
{
	size_t n, hdr;

	for (int wrapped = 0; wrapped < 2; wrapped++) {
		if (len < 2)
			return -1;
		if (p[1] < 0x80) {
			n = p[1];
			hdr = 2;
		} else if (p[1] == 0x81 && len >= 3 && p[2] >= 0x80) {
			n = p[2];
			hdr = 3;
		} else if (p[1] == 0x82 && len >= 4 && p[2] != 0) {
			n = (size_t)p[2] << 8 | p[3];
			hdr = 4;
		} else
			return -1;
		if (hdr + n != len)
			return -1;
		if (p[0] == DER_EXPLICIT0 && wrapped == 0) {
			p += hdr;
			len = n;
			continue;
		}
		if (p[0] != tag || n >= outlen || memchr(p + hdr, '\0', n) !=
		    NULL)
			return -1;
		memcpy(out, p + hdr, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/* Printable ASCII, lower-cased, one trailing dot dropped. */
static int
ascii_lower(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return -1;
		out[i] = (char)tolower(p[i]);
	}
	out[len] = '\0';
	return 0;
}

/*
 * A dNSName (already lower-case ASCII) against ref: CS_ID_DNS for an
 * exact match, CS_ID_WILDCARD when "*." and the rest match exactly one
 * label of ref, CS_ID_NONE otherwise.  A '*' anywhere but as the whole
 * left-most label makes the identifier invalid (ID-4), and so does a
 * wildcard over fewer than two labels ("*.org").
 */
static int
dns_match(const char *pat, const char *ref)
{
	const char *rest, *dot;

	if (strncmp(pat, "*.", 2) != 0)
		return strchr(pat, '*') == NULL && strcmp(pat, ref) == 0 ?
		    CS_ID_DNS : CS_ID_NONE;
	rest = pat + 2;
	if (strchr(rest, '*') != NULL || strchr(rest, '.') == NULL ||
	    *rest == '.')
		return CS_ID_NONE;
	if ((dot = strchr(ref, '.')) == NULL || dot == ref)
		return CS_ID_NONE;
	return strcmp(dot + 1, rest) == 0 ? CS_ID_WILDCARD : CS_ID_NONE;
}

/* An SRVName "_service.domain" against svc and ref (ID-2, ID-3). */
static int
srv_match(const char *val, const char *ref, enum cs_service svc)
{
	const char *want = svc == CS_XMPP_SERVER ? "_xmpp-server." :
	    "_xmpp-client.";
	char low[256] = "", norm[256];
	size_t wl = strlen(want);

	if (ascii_lower((const unsigned char *)val, strlen(val), low,
	    sizeof(low)) != 0 || strncmp(low, want, wl) != 0)
		return CS_ID_NONE;
	if (strchr(low + wl, '*') != NULL ||
	    cs__domain_norm(low + wl, norm, sizeof(norm)) != 0)
		return CS_ID_NONE;
	return strcmp(norm, ref) == 0 ? CS_ID_SRV : CS_ID_NONE;
}

/* An XmppAddr: only a bare domain JID names a server (ID-2, ID-6). */
static int
xmpp_match(const char *val, const char *ref)
{
	char norm[256];

	if (strpbrk(val, "@/*") != NULL ||
	    cs__domain_norm(val, norm, sizeof(norm)) != 0)
		return CS_ID_NONE;
	return strcmp(norm, ref) == 0 ? CS_ID_XMPPADDR : CS_ID_NONE;
}

/* Most specific first: what is reported when several match. */
static int
rank(int id)
{
	switch (id) {
	case CS_ID_DNS:		return 5;
	case CS_ID_SRV:		return 4;
	case CS_ID_XMPPADDR:	return 3;
	case CS_ID_WILDCARD:	return 2;
	case CS_ID_CN:		return 1;
	}
	return 0;
}

static int
match_cn(gnutls_x509_crt_t crt, const char *ref)
{
	char cn[256] = "", low[256] = "";
	size_t len = sizeof(cn) - 1;

	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, cn, &len) < 0)
		return CS_ID_NONE;
	cn[len < sizeof(cn) ? len : sizeof(cn) - 1] = '\0';
	if (strlen(cn) != len ||
	    ascii_lower((unsigned char *)cn, len, low, sizeof(low)) != 0)
		return CS_ID_NONE;
	return dns_match(low, ref) != CS_ID_NONE ? CS_ID_CN : CS_ID_NONE;
}

int
cs_match_identity(gnutls_x509_crt_t crt, const char *domain,
    enum cs_service svc, unsigned flags)
{
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t ext = { NULL, 0 };
	char ref[256], val[1024] = "";
	unsigned crit, type;
	int best = CS_ID_NONE, any_san_id = 0;

	if (cs__domain_norm(domain, ref, sizeof(ref)) != 0)
		return CS_E_NAME;
	if (gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &ext,
	    &crit) == 0 && gnutls_subject_alt_names_init(&sans) == 0 &&
	    gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0) == 0) {
		for (unsigned i = 0;; i++) {
			gnutls_datum_t san, oid = { NULL, 0 };
			int id = CS_ID_NONE;

			if (gnutls_subject_alt_names_get(sans, i, &type, &san,
			    &oid) < 0)
				break;
			switch (type) {
			case GNUTLS_SAN_DNSNAME:
				any_san_id = 1;
				if (ascii_lower(san.data, san.size, val,
				    sizeof(val)) == 0)
					id = dns_match(val, ref);
				break;
			case GNUTLS_SAN_URI:
				any_san_id = 1;
				break;
			case GNUTLS_SAN_OTHERNAME:
				if (oid.data == NULL)
					break;
				if (oid.size == strlen(OID_SRVNAME) &&
				    memcmp(oid.data, OID_SRVNAME,
				    oid.size) == 0) {
					any_san_id = 1;
					if (der_string(san.data, san.size,
					    DER_IA5STRING, val,
					    sizeof(val)) == 0)
						id = srv_match(val, ref, svc);
				} else if (oid.size == strlen(OID_XMPPADDR) &&
				    memcmp(oid.data, OID_XMPPADDR,
				    oid.size) == 0) {
					any_san_id = 1;
					if (der_string(san.data, san.size,
					    DER_UTF8STRING, val,
					    sizeof(val)) == 0)
						id = xmpp_match(val, ref);
				}
				break;
			default:
				break;
			}
			if (rank(id) > rank(best))
				best = id;
		}
	}
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
	if (best == CS_ID_NONE && !any_san_id &&
	    (flags & CS_MATCH_CN_FALLBACK))
		best = match_cn(crt, ref);
	return best;
}

int
cs_spki_sha256(gnutls_x509_crt_t crt, unsigned char out[32])
{
	gnutls_pubkey_t pk;
	gnutls_datum_t der = { NULL, 0 };
	int rc = CS_E_CERT;

	if (gnutls_pubkey_init(&pk) < 0)
		return CS_E_NOMEM;
	if (gnutls_pubkey_import_x509(pk, crt, 0) == 0 &&
	    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &der) == 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out) == 0)
		rc = 0;
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pk);
	return rc;
}

void
cs_spki_format(const unsigned char spki[32], char *out, size_t outlen)
{
	gnutls_datum_t raw = { (unsigned char *)(uintptr_t)spki, 32 };
	gnutls_datum_t b64 = { NULL, 0 };

	if (gnutls_base64_encode2(&raw, &b64) < 0) {
		snprintf(out, outlen, "sha256/?");
		return;
	}
	snprintf(out, outlen, "sha256/%.*s", (int)b64.size, b64.data);
	gnutls_free(b64.data);
}

int
cs_pin_match(const gnutls_datum_t *chain, unsigned n,
    const unsigned char (*pins)[32], size_t npins)
{
	for (unsigned i = 0; i < n && i < CS__MAX_CHAIN; i++) {
		gnutls_x509_crt_t crt;
		unsigned char spki[32];
		int ok;

		if (gnutls_x509_crt_init(&crt) < 0)
			return -1;
		ok = gnutls_x509_crt_import(crt, &chain[i],
		    GNUTLS_X509_FMT_DER) == 0 && cs_spki_sha256(crt, spki) == 0;
		gnutls_x509_crt_deinit(crt);
		if (!ok)
			continue;
		for (size_t j = 0; j < npins; j++)
			if (memcmp(spki, pins[j], 32) == 0)
				return (int)i;
	}
	return -1;
}

const char *
cs_id_name(enum cs_id id)
{
	switch (id) {
	case CS_ID_NONE:	return "none";
	case CS_ID_DNS:		return "dns-id";
	case CS_ID_WILDCARD:	return "dns-id-wildcard";
	case CS_ID_SRV:		return "srv-id";
	case CS_ID_XMPPADDR:	return "xmppaddr";
	case CS_ID_CN:		return "cn";
	}
	return "?";
}
