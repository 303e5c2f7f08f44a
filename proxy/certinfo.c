/*
 * certinfo.c: a peer certificate as text for logs and the control socket.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/x509-ext.h>

#include "certinfo.h"

static void
iso_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, len, "unknown");
		return;
	}
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Append " kind:value" to out (without the space when out is empty). */
static void
san_add(char *out, size_t len, const char *kind, const char *val,
    size_t vlen)
{
	size_t n = strlen(out);

	if (n + strlen(kind) + vlen + 3 >= len)
		return;
	snprintf(out + n, len - n, "%s%s:%.*s", n > 0 ? " " : "", kind,
	    (int)vlen, val);
}

static void
sans(gnutls_x509_crt_t crt, char *out, size_t len)
{
	out[0] = '\0';
	for (unsigned i = 0;; i++) {
		char buf[512], oid[128], ip[INET6_ADDRSTRLEN];
		size_t size = sizeof(buf) - 1, osize = sizeof(oid);
		unsigned type = 0;
		int rc;

		rc = gnutls_x509_crt_get_subject_alt_name2(crt, i, buf, &size,
		    &type, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* absurdly long: leave it out */
		if (rc < 0)
			break;
		buf[size] = '\0';
		switch (type) {
		case GNUTLS_SAN_DNSNAME:
			san_add(out, len, "dns", buf, size);
			break;
		case GNUTLS_SAN_URI:
			san_add(out, len, "uri", buf, size);
			break;
		case GNUTLS_SAN_RFC822NAME:
			san_add(out, len, "email", buf, size);
			break;
		case GNUTLS_SAN_IPADDRESS:
			if (inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip,
			    sizeof(ip)) != NULL && (size == 4 || size == 16))
				san_add(out, len, "ip", ip, strlen(ip));
			break;
		case GNUTLS_SAN_OTHERNAME_XMPP:
			san_add(out, len, "xmpp", buf, size);
			break;
		case GNUTLS_SAN_OTHERNAME_SRV:
			san_add(out, len, "srv", buf, size);
			break;
		case GNUTLS_SAN_OTHERNAME: {
			gnutls_datum_t der = { (unsigned char *)buf,
			    (unsigned)size }, virt = { NULL, 0 };
			unsigned vt = 0;

			/* An otherName left as DER: XmppAddr, SRVName. */
			if (gnutls_x509_crt_get_subject_alt_othername_oid(crt,
			    i, oid, &osize) < 0 ||
			    gnutls_x509_othername_to_virtual(oid, &der, &vt,
			    &virt) < 0)
				break;
			if (vt == GNUTLS_SAN_OTHERNAME_XMPP ||
			    vt == GNUTLS_SAN_OTHERNAME_SRV)
				san_add(out, len, vt ==
				    GNUTLS_SAN_OTHERNAME_XMPP ? "xmpp" : "srv",
				    (const char *)virt.data, virt.size);
			gnutls_free(virt.data);
			break;
		}
		default:
			break;
		}
	}
}

static void
dn(int (*get)(gnutls_x509_crt_t, gnutls_datum_t *, unsigned),
    gnutls_x509_crt_t crt, char *out, size_t len)
{
	gnutls_datum_t d = { NULL, 0 };

	if (get(crt, &d, 0) < 0 || d.data == NULL) {
		snprintf(out, len, "unknown");
		return;
	}
	snprintf(out, len, "%.*s", (int)d.size, (const char *)d.data);
	gnutls_free(d.data);
}

int
certinfo_from_crt(gnutls_x509_crt_t crt, struct peer_cert *out)
{
	unsigned char id[32];
	size_t idlen = sizeof(id);
	int rc;

	memset(out, 0, sizeof(*out));
	dn(gnutls_x509_crt_get_dn3, crt, out->subject, sizeof(out->subject));
	dn(gnutls_x509_crt_get_issuer_dn3, crt, out->issuer,
	    sizeof(out->issuer));
	sans(crt, out->san, sizeof(out->san));
	iso_date(gnutls_x509_crt_get_activation_time(crt), out->not_before,
	    sizeof(out->not_before));
	iso_date(gnutls_x509_crt_get_expiration_time(crt), out->not_after,
	    sizeof(out->not_after));
	/* SHA-256 over the DER SubjectPublicKeyInfo. */
	rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id,
	    &idlen);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < idlen && i < 32; i++)
		snprintf(out->spki + 2 * i, 3, "%02x", id[i]);
	return 0;
}

int
certinfo_from_session(gnutls_session_t tls, struct peer_cert *out)
{
	const gnutls_datum_t *list;
	unsigned n = 0;
	gnutls_x509_crt_t crt;
	int rc;

	memset(out, 0, sizeof(*out));
	list = gnutls_certificate_get_peers(tls, &n);
	if (list == NULL || n == 0)
		return GNUTLS_E_NO_CERTIFICATE_FOUND;
	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return rc;
	rc = gnutls_x509_crt_import(crt, &list[0], GNUTLS_X509_FMT_DER);
	if (rc == 0)
		rc = certinfo_from_crt(crt, out);
	gnutls_x509_crt_deinit(crt);
	return rc;
}
