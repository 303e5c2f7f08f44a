/*
 * grade.c: the IM Observatory (xmppoke) grade of a priority string and
 * the keys served with it, STANDARDS.md section 15 (GRADE-2 to GRADE-4).
 *
 * xmppoke probes protocols up to TLS 1.2 only.  The extension for TLS 1.3
 * is ours: TLS 1.3 scores 100 as a protocol, like TLS 1.2; its suites use
 * (EC)DHE, which the rubric never penalises, and count as forward secret;
 * the "no TLS 1.2" cap applies only when no version at or above 1.2 is
 * enabled.  A TLS 1.3-only configuration gets a grade here but none from
 * xmppoke itself, which cannot connect to it; the grade says so.
 *
 * Suites and versions come from GnuTLS's own view of the priority string
 * (gnutls_priority_get_cipher_suite_index, gnutls_cipher_suite_info), so
 * what is graded is what a handshake can negotiate.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "policy.h"
#include "policy_int.h"

static void
why(struct pol_grade *g, const char *text)
{
	size_t len = strlen(g->why);

	snprintf(g->why + len, sizeof(g->why) - len, "%s%s",
	    len > 0 ? "; " : "", text);
}

/* GRADE-2: a protocol's score, TLS 1.3 by our extension. */
static int
protocol_score(int v)
{
	switch (v) {
	case GNUTLS_SSL3:	return 80;
	case GNUTLS_TLS1_0:	return 90;
	case GNUTLS_TLS1_1:	return 95;
	case GNUTLS_TLS1_2:	return 100;
	case GNUTLS_TLS1_3:	return 100;
	}
	return 0;
}

/* GRADE-2: an RSA or DSA key's size score; EC keys score 100. */
static int
rsa_score(unsigned bits)
{
	if (bits < 512)
		return 20;
	if (bits < 1024)
		return 40;
	if (bits < 2048)
		return 80;
	if (bits < 4096)
		return 90;
	return 100;
}

/* GRADE-2: the DHE override; 2014 is the rubric's own threshold. */
static int
dhe_score(unsigned bits)
{
	if (bits < 512)
		return 20;
	if (bits < 1024)
		return 40;
	if (bits < 2014)
		return 80;
	if (bits < 4096)
		return 90;
	return 100;
}

static int
bits_score(unsigned bits)
{
	if (bits == 0)
		return 0;
	if (bits < 128)
		return 20;
	if (bits < 256)
		return 80;
	return 100;
}

static unsigned
cipher_bits(gnutls_cipher_algorithm_t c)
{
	/* Strength, not key length: 3DES is 112 bits, as OpenSSL says. */
	if (c == GNUTLS_CIPHER_3DES_CBC)
		return 112;
	if (c == GNUTLS_CIPHER_NULL)
		return 0;
	return (unsigned)gnutls_cipher_get_key_size(c) * 8;
}

static unsigned
ffdhe_bits(gnutls_group_t gr)
{
	switch (gr) {
	case GNUTLS_GROUP_FFDHE2048:	return 2048;
	case GNUTLS_GROUP_FFDHE3072:	return 3072;
	case GNUTLS_GROUP_FFDHE4096:	return 4096;
	case GNUTLS_GROUP_FFDHE6144:	return 6144;
	case GNUTLS_GROUP_FFDHE8192:	return 8192;
	default:			return 0;
	}
}

static int
is_fs(gnutls_kx_algorithm_t kx)
{
	return kx == GNUTLS_KX_ECDHE_RSA || kx == GNUTLS_KX_ECDHE_ECDSA ||
	    kx == GNUTLS_KX_DHE_RSA || kx == GNUTLS_KX_DHE_DSS;
}

static int
is_dhe(gnutls_kx_algorithm_t kx)
{
	return kx == GNUTLS_KX_DHE_RSA || kx == GNUTLS_KX_DHE_DSS;
}

static int
is_anon(gnutls_kx_algorithm_t kx)
{
	return kx == GNUTLS_KX_ANON_DH || kx == GNUTLS_KX_ANON_ECDH;
}

/* Collect the TLS versions, best first, and the suites they can use. */
static void
enumerate(gnutls_priority_t pc, struct pol_grade *g)
{
	const unsigned int *list;
	int n = gnutls_priority_protocol_list(pc, &list);
	int lo = 0, hi = 0;

	for (int i = 0; i < n; i++) {
		if (list[i] < GNUTLS_SSL3 || list[i] > GNUTLS_TLS1_3 ||
		    g->nversions == sizeof(g->versions) /
		    sizeof(g->versions[0]))
			continue;
		g->versions[g->nversions++] = (int)list[i];
	}
	/* Best first, for printing. */
	for (size_t i = 1; i < g->nversions; i++)
		for (size_t j = i; j > 0 &&
		    g->versions[j] > g->versions[j - 1]; j--) {
			int t = g->versions[j];

			g->versions[j] = g->versions[j - 1];
			g->versions[j - 1] = t;
		}
	if (g->nversions > 0) {
		hi = g->versions[0];
		lo = g->versions[g->nversions - 1];
	}
	for (unsigned i = 0; g->nsuites < POL_GRADE_MAXSUITES; i++) {
		gnutls_kx_algorithm_t kx;
		gnutls_cipher_algorithm_t c;
		gnutls_mac_algorithm_t mac;
		gnutls_protocol_t minv;
		struct pol_suite *s;
		unsigned idx;
		unsigned char id[2];
		const char *name;
		int rc = gnutls_priority_get_cipher_suite_index(pc, i, &idx);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		name = gnutls_cipher_suite_info(idx, id, &kx, &c, &mac, &minv);
		if (name == NULL)
			continue;
		/* A suite counts only if some enabled version can use it. */
		if (minv == GNUTLS_TLS1_3) {
			if (hi < GNUTLS_TLS1_3)
				continue;
		} else if (lo == 0 || (int)minv > (hi < GNUTLS_TLS1_2 ? hi :
		    GNUTLS_TLS1_2) || lo > GNUTLS_TLS1_2)
			continue;
		s = &g->suites[g->nsuites++];
		s->name = name;
		memcpy(s->id, id, 2);
		s->kx = kx;
		s->cipher = c;
		s->mac = mac;
		s->tls13 = minv == GNUTLS_TLS1_3;
		s->min_version = (int)minv;
		s->bits = cipher_bits(c);
	}
}

/* The DHE groups the string enables, smallest first: the weakest. */
static unsigned
min_ffdhe(gnutls_priority_t pc)
{
	const unsigned int *list;
	int n = gnutls_priority_group_list(pc, &list);
	unsigned min = 0;

	for (int i = 0; i < n; i++) {
		unsigned b = ffdhe_bits((gnutls_group_t)list[i]);

		if (b != 0 && (min == 0 || b < min))
			min = b;
	}
	return min;
}

static void
letter(struct pol_grade *g, const char *cap)
{
	static const char *const order[] = {
		"A", "B", "C", "D", "E", "F"
	};
	const char *l;

	if (g->score >= 80)
		l = "A";
	else if (g->score >= 65)
		l = "B";
	else if (g->score >= 50)
		l = "C";
	else if (g->score >= 35)
		l = "D";
	else if (g->score >= 20)
		l = "E";
	else
		l = "F";
	if (cap != NULL) {
		size_t li = 0, ci = 0;

		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			if (strcmp(order[i], l) == 0)
				li = i;
			if (strcmp(order[i], cap) == 0)
				ci = i;
		}
		if (ci > li)
			l = order[ci];
	}
	snprintf(g->letter, sizeof(g->letter), "%s", l);
}

int
pol_grade(const char *priority, const struct pol_grade_key *keys,
    size_t nkeys, struct pol_grade *out)
{
	gnutls_priority_t pc;
	const char *cap = NULL;
	unsigned maxbits = 0, minbits = ~0u, dhebits;
	int key = 100, fs = 0, dhe = 0, anon = 0, rc4 = 0, hard_f = 0;
	int has12 = 0;

	memset(out, 0, sizeof(*out));
	if (gnutls_priority_init(&pc, priority, NULL) < 0)
		return -1;
	enumerate(pc, out);
	dhebits = min_ffdhe(pc);
	gnutls_priority_deinit(pc);
	if (out->nversions == 0 || out->nsuites == 0) {
		snprintf(out->letter, sizeof(out->letter), "F");
		why(out, "no usable protocol or suite");
		return 0;
	}

	/* Protocol: (lowest + highest) / 2. */
	out->protocol = (protocol_score(out->versions[0]) +
	    protocol_score(out->versions[out->nversions - 1])) / 2;
	for (size_t i = 0; i < out->nversions; i++)
		if (out->versions[i] >= GNUTLS_TLS1_2)
			has12 = 1;

	for (size_t i = 0; i < out->nsuites; i++) {
		const struct pol_suite *s = &out->suites[i];

		if (s->tls13 || is_fs(s->kx))
			fs = 1;
		if (is_dhe(s->kx))
			dhe = 1;
		if (is_anon(s->kx))
			anon = 1;
		if (s->cipher == GNUTLS_CIPHER_ARCFOUR_128)
			rc4 = 1;
		if (s->bits > maxbits)
			maxbits = s->bits;
		if (s->bits < minbits)
			minbits = s->bits;
	}

	/* Key exchange: the weakest key served, then the overrides. */
	for (size_t i = 0; i < nkeys; i++) {
		if (!keys[i].rsa)
			continue;
		if (rsa_score(keys[i].bits) < key)
			key = rsa_score(keys[i].bits);
		if (keys[i].bits < 1024) {
			hard_f = 1;
			why(out, "RSA key below 1024 bits");
		} else if (keys[i].bits < 2048) {
			cap = "B";
			why(out, "RSA key below 2048 bits caps at B");
		}
	}
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].md5) {
			hard_f = 1;
			why(out, "MD5-signed certificate");
		}
	if (dhe && dhebits != 0) {
		if (dhe_score(dhebits) < key)
			key = dhe_score(dhebits);
		if (dhebits < 2048) {
			cap = "B";
			why(out, "DHE group below 2048 bits caps at B");
		}
	}
	if (anon) {
		key = 0;
		why(out, "anonymous key exchange");
	}
	out->kx = key;

	/* Cipher: (score of the strongest + score of the weakest) / 2. */
	out->cipher = (bits_score(maxbits) + bits_score(minbits)) / 2;

	out->score = 0.3 * out->protocol + 0.3 * out->kx + 0.4 * out->cipher;
	if (rc4 && has12) {
		if (cap == NULL || strcmp(cap, "C") < 0)
			cap = "C";
		why(out, "RC4 with TLS 1.1 or 1.2 caps at C");
	}
	if (!has12) {
		cap = "C";
		why(out, "no TLS 1.2 caps at C");
	}
	letter(out, cap);
	if (hard_f)
		snprintf(out->letter, sizeof(out->letter), "F");
	if (!fs && strcmp(out->letter, "A") == 0) {
		snprintf(out->letter, sizeof(out->letter), "A-");
		why(out, "no forward secrecy: A-");
	}
	if (out->versions[out->nversions - 1] == GNUTLS_TLS1_3)
		why(out, "TLS 1.3 only: xmppoke cannot connect and shows no"
		    " grade");
	return 0;
}

int
pol_grade_cmp(const char *a, const char *b)
{
	static const char *const order[] = {
		"A", "A-", "B", "C", "D", "E", "F"
	};
	int ia = 7, ib = 7;

	for (int i = 0; i < 7; i++) {
		if (strcmp(order[i], a) == 0)
			ia = i;
		if (strcmp(order[i], b) == 0)
			ib = i;
	}
	return ib - ia;
}
