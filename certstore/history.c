/*
 * history.c: what was last seen of each peer domain, one small text file
 * per peer under <state-dir>/peers/, named by its A-label.
 *
 *	# portcullis peer history
 *	domain=example.org
 *	spki=sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
 *	prev-spki=sha256/...
 *	tls-version=TLS1.3
 *	starttls=yes
 *	first-seen=1763764800
 *	last-seen=1763768400
 *	spki-since=1763764800
 *	srv=xmpp1.example.org:5269 xmpp2.example.org:5270
 *	dnssec=secure
 *
 * Unknown keys are skipped so that later versions can add some.  A file
 * is replaced atomically: written to a temporary file in the same
 * directory, fsync()ed, renamed over the old one, and the directory
 * fsync()ed, so a crash leaves the old history or the new, never half.
 * The comparison of an observation with the history is pure and takes
 * the time as an argument.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "certstore.h"
#include "cs_int.h"

#define HIST_MAX	8192	/* bytes; a history file is far smaller */

static int
diag_set(struct cs_diag *diag, const char *file, int err, const char *what,
    const char *detail)
{
	if (diag != NULL) {
		/* Cut long paths and details on purpose. */
		snprintf(diag->file, sizeof(diag->file), "%.*s",
		    (int)sizeof(diag->file) - 1, file != NULL ? file : "");
		snprintf(diag->msg, sizeof(diag->msg), "%.*s%.*s",
		    (int)sizeof(diag->msg) / 2, what,
		    (int)sizeof(diag->msg) / 2, detail);
	}
	return err;
}

/*
 * Only a normalised A-label names a file: no '/', no leading dot, no
 * "..", so a peer's name can never leave the peers directory.
 */
static int
valid_name(const char *domain)
{
	char norm[256];

	return cs__domain_norm(domain, norm, sizeof(norm)) == 0 &&
	    strcmp(norm, domain) == 0;
}

void
cs_history_set_cert(struct cs_history *h, const char *issuer,
    time_t not_before, time_t not_after)
{
	/* One line per key in the file: no line breaks in a value. */
	snprintf(h->issuer, sizeof(h->issuer), "%s", issuer);
	for (char *p = h->issuer; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	h->not_before = not_before;
	h->not_after = not_after;
}

int
cs_history_init(struct cs_history *h, const char *domain)
{
	memset(h, 0, sizeof(*h));
	h->starttls = -1;
	h->dnssec = -1;
	if (domain == NULL || !valid_name(domain))
		return CS_E_NAME;
	snprintf(h->domain, sizeof(h->domain), "%s", domain);
	return 0;
}

unsigned
cs_history_observe(struct cs_history *h, const unsigned char *spki,
    int tls_version, int starttls, time_t now)
{
	unsigned changes = 0;

	if (h->first_seen == 0) {
		changes |= CS_HIST_NEW;
		h->first_seen = now;
	}
	if (spki != NULL) {
		if (h->have_spki && memcmp(h->spki, spki, 32) != 0) {
			changes |= CS_HIST_SPKI_CHANGED;
			memcpy(h->prev_spki, h->spki, 32);
			h->have_prev_spki = 1;
			memcpy(h->prev_issuer, h->issuer, sizeof(h->issuer));
			h->prev_not_before = h->not_before;
			h->prev_not_after = h->not_after;
			h->issuer[0] = '\0';
			h->not_before = h->not_after = 0;
			h->spki_since = now;
		} else if (!h->have_spki)
			h->spki_since = now;
		memcpy(h->spki, spki, 32);
		h->have_spki = 1;
	}
	if (tls_version != 0) {
		if (h->tls_version != 0 && tls_version < h->tls_version)
			changes |= CS_HIST_VERSION_LOWER;
		h->tls_version = tls_version;
	}
	if (starttls >= 0) {
		if (h->starttls == 1 && starttls == 0)
			changes |= CS_HIST_STARTTLS_LOST;
		h->starttls = starttls;
	}
	h->last_seen = now;
	return changes;
}

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * srv's words sorted, without duplicates, one space apart, into out; a
 * list that does not fit is cut at a word.  Only printable ASCII other
 * than '=' is kept, as a history line must stay one line.
 */
static void
srv_norm(const char *srv, char *out, size_t outlen)
{
	char buf[CS_HIST_SRV_MAX * 2], *words[64] = { NULL }, *p;
	char *save = NULL;
	size_t n = 0, len = 0;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", srv != NULL ? srv : "");
	for (p = buf; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == '=')
			*p = ' ';
	for (p = strtok_r(buf, " ", &save); p != NULL && n < 64;
	    p = strtok_r(NULL, " ", &save))
		words[n++] = p;
	qsort(words, n, sizeof(words[0]), cmp_word);
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);

		if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
			continue;
		if (len + wl + (len > 0) + 1 > outlen)
			break;
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, words[i], wl + 1);
		len += wl;
	}
}

unsigned
cs_history_observe_dns(struct cs_history *h, const char *srv, int dnssec)
{
	char norm[CS_HIST_SRV_MAX];
	unsigned changes = 0;

	srv_norm(srv, norm, sizeof(norm));
	if (norm[0] != '\0') {
		if (h->srv[0] != '\0' && strcmp(h->srv, norm) != 0) {
			changes |= CS_HIST_SRV_CHANGED;
			memcpy(h->prev_srv, h->srv, sizeof(h->prev_srv));
		}
		memcpy(h->srv, norm, sizeof(h->srv));
	}
	if (dnssec >= 0) {
		if (h->dnssec == 1 && dnssec == 0)
			changes |= CS_HIST_DNSSEC_LOST;
		h->dnssec = dnssec;
	}
	return changes;
}

static int
peers_dir(const char *dir, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/peers", dir);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
cs_history_prepare(const char *dir, struct cs_diag *diag)
{
	char path[PATH_MAX];

	if (peers_dir(dir, path, sizeof(path)) != 0)
		return diag_set(diag, dir, CS_E_IO, "path too long", "");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return diag_set(diag, dir, CS_E_IO, "cannot create: ",
		    strerror(errno));
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return diag_set(diag, path, CS_E_IO, "cannot create: ",
		    strerror(errno));
	if (access(path, W_OK | X_OK) != 0)
		return diag_set(diag, path, CS_E_IO, "cannot write: ",
		    strerror(errno));
	return 0;
}

static int
parse_spki(const char *v, unsigned char out[32])
{
	gnutls_datum_t b64, raw = { NULL, 0 };
	int ok;

	if (strncmp(v, "sha256/", 7) != 0)
		return -1;
	b64.data = (unsigned char *)(uintptr_t)(v + 7);
	b64.size = (unsigned)strlen(v + 7);
	if (gnutls_base64_decode2(&b64, &raw) < 0)
		return -1;
	ok = raw.size == 32;
	if (ok)
		memcpy(out, raw.data, 32);
	gnutls_free(raw.data);
	return ok ? 0 : -1;
}

static int
parse_time(const char *v, time_t *out)
{
	char *end;
	long long t;

	errno = 0;
	t = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || t < 0)
		return -1;
	*out = (time_t)t;
	return 0;
}

/* One "key=value" line into h; -1 if a known key has a bad value. */
static int
parse_line(struct cs_history *h, char *line)
{
	char *v = strchr(line, '=');

	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (v == NULL)
		return -1;
	*v++ = '\0';
	if (strcmp(line, "domain") == 0)
		return strcmp(v, h->domain) == 0 ? 0 : -1;
	if (strcmp(line, "spki") == 0) {
		h->have_spki = 1;
		return parse_spki(v, h->spki);
	}
	if (strcmp(line, "prev-spki") == 0) {
		h->have_prev_spki = 1;
		return parse_spki(v, h->prev_spki);
	}
	if (strcmp(line, "tls-version") == 0) {
		gnutls_protocol_t p = gnutls_protocol_get_id(v);

		if (p == GNUTLS_VERSION_UNKNOWN)
			return -1;
		h->tls_version = (int)p;
		return 0;
	}
	if (strcmp(line, "starttls") == 0) {
		if (strcmp(v, "yes") == 0)
			h->starttls = 1;
		else if (strcmp(v, "no") == 0)
			h->starttls = 0;
		else if (strcmp(v, "unknown") == 0)
			h->starttls = -1;
		else
			return -1;
		return 0;
	}
	if (strcmp(line, "first-seen") == 0)
		return parse_time(v, &h->first_seen);
	if (strcmp(line, "last-seen") == 0)
		return parse_time(v, &h->last_seen);
	if (strcmp(line, "spki-since") == 0)
		return parse_time(v, &h->spki_since);
	if (strcmp(line, "issuer") == 0) {
		snprintf(h->issuer, sizeof(h->issuer), "%s", v);
		return 0;
	}
	if (strcmp(line, "prev-issuer") == 0) {
		snprintf(h->prev_issuer, sizeof(h->prev_issuer), "%s", v);
		return 0;
	}
	if (strcmp(line, "srv") == 0 || strcmp(line, "prev-srv") == 0) {
		char *to = line[0] == 's' ? h->srv : h->prev_srv;

		srv_norm(v, to, sizeof(h->srv));
		return 0;
	}
	if (strcmp(line, "dnssec") == 0) {
		if (strcmp(v, "secure") == 0)
			h->dnssec = 1;
		else if (strcmp(v, "insecure") == 0)
			h->dnssec = 0;
		else if (strcmp(v, "unknown") == 0)
			h->dnssec = -1;
		else
			return -1;
		return 0;
	}
	if (strcmp(line, "not-before") == 0)
		return parse_time(v, &h->not_before);
	if (strcmp(line, "not-after") == 0)
		return parse_time(v, &h->not_after);
	if (strcmp(line, "prev-not-before") == 0)
		return parse_time(v, &h->prev_not_before);
	if (strcmp(line, "prev-not-after") == 0)
		return parse_time(v, &h->prev_not_after);
	return 0;
}

int
cs_history_load(const char *dir, const char *domain, struct cs_history *h,
    struct cs_diag *diag)
{
	char path[PATH_MAX], buf[HIST_MAX + 1], *line, *next;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	if (cs_history_init(h, domain) != 0)
		return diag_set(diag, domain, CS_E_NAME,
		    "not a valid peer name", "");
	rc = snprintf(path, sizeof(path), "%s/peers/%s", dir, domain);
	if (rc < 0 || (size_t)rc >= sizeof(path))
		return diag_set(diag, dir, CS_E_IO, "path too long", "");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return CS_E_NOTFOUND;
		return diag_set(diag, path, CS_E_IO, "cannot read: ",
		    strerror(errno));
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			close(fd);
			return diag_set(diag, path, CS_E_IO, "cannot read: ",
			    strerror(rc));
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > HIST_MAX)
		return diag_set(diag, path, CS_E_FORMAT, "too large", "");
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return diag_set(diag, path, CS_E_FORMAT, "binary data", "");
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (parse_line(h, line) != 0) {
			cs_history_init(h, domain);
			return diag_set(diag, path, CS_E_FORMAT,
			    "bad line: ", line);
		}
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cs_history_save(const char *dir, const struct cs_history *h,
    struct cs_diag *diag)
{
	char pdir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], buf[HIST_MAX];
	char spki[64], prev[64];
	const char *vers = NULL;
	int fd, dfd, len, err;

	if (!valid_name(h->domain))
		return diag_set(diag, h->domain, CS_E_NAME,
		    "not a valid peer name", "");
	if (peers_dir(dir, pdir, sizeof(pdir)) != 0 ||
	    snprintf(path, sizeof(path), "%s/%s", pdir, h->domain) >=
	    (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", pdir, h->domain) >=
	    (int)sizeof(tmp))
		return diag_set(diag, dir, CS_E_IO, "path too long", "");
	if (h->have_spki)
		cs_spki_format(h->spki, spki, sizeof(spki));
	if (h->have_prev_spki)
		cs_spki_format(h->prev_spki, prev, sizeof(prev));
	if (h->tls_version != 0)
		vers = gnutls_protocol_get_name((gnutls_protocol_t)
		    h->tls_version);
	len = snprintf(buf, sizeof(buf), "# portcullis peer history\n"
	    "domain=%s\n%s%s%s%s%s%s%s%s%sstarttls=%s\nfirst-seen=%lld\n"
	    "last-seen=%lld\nspki-since=%lld\n", h->domain,
	    h->have_spki ? "spki=" : "", h->have_spki ? spki : "",
	    h->have_spki ? "\n" : "",
	    h->have_prev_spki ? "prev-spki=" : "",
	    h->have_prev_spki ? prev : "", h->have_prev_spki ? "\n" : "",
	    vers != NULL ? "tls-version=" : "", vers != NULL ? vers : "",
	    vers != NULL ? "\n" : "",
	    h->starttls == 1 ? "yes" : h->starttls == 0 ? "no" : "unknown",
	    (long long)h->first_seen, (long long)h->last_seen,
	    (long long)h->spki_since);
	if (len > 0 && (size_t)len < sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
		    "issuer=%s\nnot-before=%lld\nnot-after=%lld\n"
		    "prev-issuer=%s\nprev-not-before=%lld\n"
		    "prev-not-after=%lld\n", h->issuer,
		    (long long)h->not_before, (long long)h->not_after,
		    h->prev_issuer, (long long)h->prev_not_before,
		    (long long)h->prev_not_after);
	if (len > 0 && (size_t)len < sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
		    "%s%s%s%s%s%sdnssec=%s\n",
		    h->srv[0] != '\0' ? "srv=" : "", h->srv,
		    h->srv[0] != '\0' ? "\n" : "",
		    h->prev_srv[0] != '\0' ? "prev-srv=" : "", h->prev_srv,
		    h->prev_srv[0] != '\0' ? "\n" : "",
		    h->dnssec == 1 ? "secure" : h->dnssec == 0 ? "insecure" :
		    "unknown");
	if (len < 0 || (size_t)len >= sizeof(buf))
		return diag_set(diag, path, CS_E_IO, "record too long", "");
	if ((fd = mkstemp(tmp)) < 0)
		return diag_set(diag, tmp, CS_E_IO, "cannot create: ",
		    strerror(errno));
	if (write_all(fd, buf, (size_t)len) != 0 || fsync(fd) != 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		return diag_set(diag, tmp, CS_E_IO, "cannot write: ",
		    strerror(err));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		err = errno;
		unlink(tmp);
		return diag_set(diag, path, CS_E_IO, "cannot replace: ",
		    strerror(err));
	}
	/* The rename itself must survive a crash. */
	if ((dfd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
