/*
 * status.c: live connections as a table, as JSON, and one in full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "status.h"

#define NCOLS		14
#define MAXWIDTH	40	/* wider cells are cut and end in '~' */

void
status_bytes(char *out, size_t len, uint64_t n)
{
	static const char units[] = "KMGTP";
	double v = (double)n / 1024;
	int u = 0;

	if (n < 1024) {
		snprintf(out, len, "%llu", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	/* Two significant digits below 10, whole numbers above. */
	if (v < 9.95)
		snprintf(out, len, "%.1f%c", v, units[u]);
	else
		snprintf(out, len, "%.0f%c", v, units[u]);
}

void
status_age(char *out, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(out, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, len, "%llum%02llus", (unsigned long long)s / 60,
		    (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(out, len, "%lluh%02llum",
		    (unsigned long long)s / 3600,
		    (unsigned long long)s % 3600 / 60);
	else
		snprintf(out, len, "%llud%02lluh",
		    (unsigned long long)s / 86400,
		    (unsigned long long)s % 86400 / 3600);
}

const char *
status_state(const struct sess_summary *r)
{
	if (strcmp(r->phase, "closing") == 0)
		return "closing";
	if (!r->tls)
		return strcmp(r->phase, "handshake") == 0 ? "handshake" :
		    "pre-tls";
	if (strcmp(r->state, "both") == 0)
		return "enc+auth";
	if (strcmp(r->auth_result, "failed") == 0)
		return "auth-failed";
	return "encrypted";
}

static int
by_id(const void *a, const void *b)
{
	const struct sess_summary *x = *(const struct sess_summary *const *)a;
	const struct sess_summary *y = *(const struct sess_summary *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
header_line(struct sbuf *b, const struct status_info *si, size_t n)
{
	char up[32];

	status_age(up, sizeof(up), si->uptime_s * 1000);
	sb_printf(b, "portcullis %s, up %s, %u worker%s, configuration %u,"
	    " %zu connection%s\n", si->version, up, si->workers,
	    si->workers == 1 ? "" : "s", si->generation, n,
	    n == 1 ? "" : "s");
	if (si->answered < si->workers)
		sb_printf(b, "warning: %u of %u workers did not answer in"
		    " time; their connections are missing\n",
		    si->workers - si->answered, si->workers);
}

/* One row's cells, as the table shows them. */
static void
cells(const struct sess_summary *r, char cell[NCOLS][MAXWIDTH + 1])
{
	const char *v[NCOLS];
	char id[17], role[16], tls[8], age[16], in[16], out[16];
	const char *ver = r->tls ? r->tlsp.version : NULL;

	snprintf(id, sizeof(id), "%016llx", (unsigned long long)r->id);
	/* c2s, s2s-in, s2s-out: the role and, between servers, the way. */
	if (strcmp(r->role, "c2s") == 0)
		snprintf(role, sizeof(role), "c2s");
	else
		snprintf(role, sizeof(role), "s2s-%s", r->direction);
	/* "TLS1.3" reads as "1.3" under the TLS heading. */
	snprintf(tls, sizeof(tls), "%s", ver == NULL ? "-" :
	    strncmp(ver, "TLS", 3) == 0 ? ver + 3 : ver);
	status_age(age, sizeof(age), r->age_ms);
	status_bytes(in, sizeof(in), r->bytes_in);
	status_bytes(out, sizeof(out), r->bytes_out);
	v[0] = id;
	v[1] = role;
	v[2] = r->peer;
	v[3] = r->domain;
	/* Between servers, who is at the other end. */
	v[4] = r->remote == NULL || strcmp(r->remote, "none") == 0 ? "-" :
	    r->remote;
	v[5] = tls;
	v[6] = r->tls ? r->tlsp.cipher : "-";
	v[7] = r->tls ? (r->tlsp.fs ? "yes" : "no") : "-";
	v[8] = strcmp(r->verify, "none") == 0 ? "-" : r->verify;
	v[9] = strcmp(r->auth, "none") == 0 ? "-" : r->auth;
	v[10] = status_state(r);
	v[11] = age;
	v[12] = in;
	v[13] = out;
	for (int c = 0; c < NCOLS; c++) {
		size_t n = strlen(v[c]);

		/* Peer-chosen names must not break the layout. */
		for (size_t i = 0; i < MAXWIDTH && i < n; i++) {
			unsigned char ch = (unsigned char)v[c][i];

			cell[c][i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
		}
		if (n > MAXWIDTH) {
			cell[c][MAXWIDTH - 1] = '~';
			n = MAXWIDTH;
		}
		cell[c][n] = '\0';
	}
}

void
status_table(struct sbuf *b, const struct status_info *si,
    const struct sess_summary **rows, size_t n)
{
	static const char *const head[NCOLS] = {
		"ID", "ROLE", "PEER", "DOMAIN", "REMOTE", "TLS", "CIPHER", "FS",
		"VERIFY", "AUTH", "STATE", "AGE", "IN", "OUT"
	};
	/* Numbers line up on the right. */
	static const int right[NCOLS] = { [11] = 1, [12] = 1, [13] = 1 };
	char (*cell)[NCOLS][MAXWIDTH + 1];
	size_t width[NCOLS];

	header_line(b, si, n);
	if (n == 0)
		return;
	if ((cell = calloc(n, sizeof(*cell))) == NULL) {
		b->nomem = 1;
		return;
	}
	qsort(rows, n, sizeof(rows[0]), by_id);
	for (int c = 0; c < NCOLS; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < n; i++) {
		cells(rows[i], cell[i]);
		for (int c = 0; c < NCOLS; c++)
			if (strlen(cell[i][c]) > width[c])
				width[c] = strlen(cell[i][c]);
	}
	for (size_t i = 0; i <= n; i++) {
		for (int c = 0; c < NCOLS; c++) {
			const char *v = i == 0 ? head[c] : cell[i - 1][c];
			int w = (int)width[c];

			if (right[c])
				sb_printf(b, "%*s", w, v);
			else if (c < NCOLS - 1)
				sb_printf(b, "%-*s", w, v);
			else
				sb_printf(b, "%s", v);
			sb_add(b, c < NCOLS - 1 ? "  " : "\n", c < NCOLS - 1 ?
			    2 : 1);
		}
	}
	free(cell);
}

static void
jw_sink_str(void *arg, const char *key, const char *val)
{
	jw_str(arg, key, val);
}

static void
jw_sink_num(void *arg, const char *key, uint64_t val)
{
	jw_u64(arg, key, val);
}

static void
jw_sink_flag(void *arg, const char *key, int val)
{
	jw_bool(arg, key, val);
}

void
status_json(struct sbuf *b, const struct status_info *si,
    const struct sess_summary **rows, size_t n)
{
	const struct field_sink fs = {
		jw_sink_str, jw_sink_num, jw_sink_flag, NULL
	};
	struct field_sink row_fs = fs;
	struct jw w;

	jw_init_grow(&w);
	row_fs.arg = &w;
	qsort(rows, n, sizeof(rows[0]), by_id);
	jw_open(&w, NULL);
	jw_str(&w, "version", si->version);
	jw_u64(&w, "uptime_s", si->uptime_s);
	jw_u64(&w, "workers", si->workers);
	jw_u64(&w, "workers_answered", si->answered);
	jw_u64(&w, "configuration", si->generation);
	jw_open_array(&w, "sessions");
	for (size_t i = 0; i < n; i++) {
		const struct sess_summary *r = rows[i];
		char id[17];

		snprintf(id, sizeof(id), "%016llx", (unsigned long long)r->id);
		jw_open(&w, NULL);
		jw_str(&w, "session", id);
		jw_u64(&w, "worker", r->worker);
		jw_str(&w, "role", r->role);
		summary_fields(r, &row_fs);
		jw_str(&w, "remote", r->remote != NULL ? r->remote : "none");
		jw_str(&w, "phase", r->phase);
		jw_u64(&w, "age_ms", r->age_ms);
		jw_u64(&w, "idle_ms", r->idle_ms);
		jw_u64(&w, "bytes_in", r->bytes_in);
		jw_u64(&w, "bytes_out", r->bytes_out);
		jw_close(&w);
	}
	jw_close_array(&w);
	jw_close(&w);
	if (w.nomem)
		b->nomem = 1;
	else {
		sb_add(b, w.buf, w.len);
		sb_add(b, "\n", 1);
	}
	free(w.buf);
}

struct show_ctx {
	struct sbuf	*b;
};

static void
show_str(void *arg, const char *key, const char *val)
{
	struct show_ctx *c = arg;

	sb_printf(c->b, "%-16s ", key);
	/* A peer's from or SNI must not forge lines or move the cursor. */
	for (; *val != '\0'; val++) {
		unsigned char ch = (unsigned char)*val;

		sb_add(c->b, ch < 0x20 || ch == 0x7f ? "?" : val, 1);
	}
	sb_add(c->b, "\n", 1);
}

static void
show_num(void *arg, const char *key, uint64_t val)
{
	struct show_ctx *c = arg;

	sb_printf(c->b, "%-16s %llu\n", key, (unsigned long long)val);
}

static void
show_flag(void *arg, const char *key, int val)
{
	show_str(arg, key, val ? "yes" : "no");
}

void
status_show(struct sbuf *b, const struct sess_summary *r)
{
	struct show_ctx c = { b };
	const struct field_sink fs = { show_str, show_num, show_flag, &c };
	char v[32];

	snprintf(v, sizeof(v), "%016llx", (unsigned long long)r->id);
	show_str(&c, "session", v);
	show_num(&c, "worker", r->worker);
	show_str(&c, "role", r->role);
	summary_fields(r, &fs);
	show_str(&c, "remote", r->remote != NULL ? r->remote : "none");
	show_str(&c, "phase", r->phase);
	status_age(v, sizeof(v), r->age_ms);
	show_str(&c, "age", v);
	status_age(v, sizeof(v), r->idle_ms);
	show_str(&c, "idle", v);
	show_num(&c, "bytes_in", r->bytes_in);
	show_num(&c, "bytes_out", r->bytes_out);
}
