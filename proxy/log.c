/*
 * log.c: writing log lines and session events to standard error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level	log_level = LOG_LVL_INFO;

static const char *const level_names[] = {
	"error", "warning", "info", "debug"
};

void
log_init(enum log_level level)
{
	log_level = level;
	tzset();
}

void
log_setlevel(enum log_level level)
{
	log_level = level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

/* "2026-11-21T22:05:01.123Z info " */
static size_t
stamp(char *buf, size_t len, enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%03ldZ %s ",
	    ts.tv_nsec / 1000000, level_names[level]);
	return n < len ? n : len - 1;
}

static void
emit(char *line, size_t len, size_t cap)
{
	ssize_t w;

	if (len >= cap - 1)
		len = cap - 2;
	line[len++] = '\n';
	/* One write per line; a short write on a pipe is not retried. */
	do {
		w = write(STDERR_FILENO, line, len);
	} while (w < 0 && errno == EINTR);
}

static void
vlog(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;
	int r;

	if (level > log_level)
		return;
	n = stamp(line, sizeof(line), level);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r :
		    sizeof(line) - n - 1;
	if (suffix != NULL)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s",
		    suffix);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	emit(line, n, sizeof(line));
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_WARNING, e, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
ev_begin(struct ev *e, enum log_level level, uint64_t sid, const char *role,
    const char *name)
{
	int r;

	e->level = level;
	e->on = log_enabled(level);
	e->len = 0;
	if (!e->on)
		return;
	e->len = stamp(e->line, sizeof(e->line), level);
	r = snprintf(e->line + e->len, sizeof(e->line) - e->len,
	    "%016llx %s %s", (unsigned long long)sid, role, name);
	if (r > 0)
		e->len += (size_t)r;
}

/* Append " key=value", quoting a value with spaces, quotes or controls. */
void
ev_str(struct ev *e, const char *key, const char *val)
{
	char tmp[512];
	size_t n = 0;
	int quote = 0;

	if (!e->on)
		return;
	if (val == NULL)
		val = "-";
	for (const char *p = val; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
		    *p == '=') {
			quote = 1;
			break;
		}
	if (*val == '\0')
		quote = 1;
	if (quote)
		tmp[n++] = '"';
	for (const char *p = val; *p != '\0' && n < sizeof(tmp) - 8; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			tmp[n++] = '\\';
			tmp[n++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			n += (size_t)snprintf(tmp + n, sizeof(tmp) - n,
			    "\\x%02x", c);
		} else
			tmp[n++] = (char)c;
	}
	if (quote)
		tmp[n++] = '"';
	tmp[n] = '\0';
	if (e->len + strlen(key) + n + 2 >= sizeof(e->line) - 16)
		return;
	e->len += (size_t)snprintf(e->line + e->len, sizeof(e->line) - e->len,
	    " %s=%s", key, tmp);
}

void
ev_u64(struct ev *e, const char *key, uint64_t val)
{
	char tmp[24];

	if (!e->on)
		return;
	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)val);
	ev_str(e, key, tmp);
}

void
ev_fmt(struct ev *e, const char *key, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	if (!e->on)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	ev_str(e, key, tmp);
}

void
ev_end(struct ev *e)
{
	if (!e->on)
		return;
	emit(e->line, e->len, sizeof(e->line));
}
