/*
 * log.c: writing log lines and session events to standard error, the
 * events file (JSON lines) and syslog.
 *
 * The events file keeps one descriptor number for the life of the
 * process: a reopen dup2()s the new file onto it, so a worker that loaded
 * the number just before never writes to a closed or reused descriptor.
 * Records are appended with O_APPEND in one write(2) each, so lines from
 * different threads never interleave.  Syslog gets datagrams on a
 * non-blocking socket.  A local socket queues only a few datagrams (ten
 * by default on Linux), so a burst such as the start-up messages would
 * overflow it: records the daemon cannot take yet wait, in order, in a
 * bounded backlog that the next record and log_flush() drain.  Only when
 * the backlog is full is a record dropped (and counted); a worker never
 * waits for syslog.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

static _Atomic int	log_level = LOG_LVL_INFO;

/* The sinks; the strings change only on the main thread, under cfg_mtx. */
static pthread_mutex_t	cfg_mtx = PTHREAD_MUTEX_INITIALIZER;
static char		*events_path;
static char		*syslog_path;
static _Atomic int	events_fd = -1;		/* fixed once opened */
static _Atomic int	events_on;
static _Atomic int	events_failing;		/* reported, not over */
static _Atomic int	syslog_fd = -1;
static _Atomic int	syslog_on;
static _Atomic int	syslog_facility = LOG_DAEMON;
static _Atomic int	syslog_failing;
static _Atomic uint64_t	events_errors, syslog_errors, undocumented;

/* Datagrams the syslog daemon could not take yet, oldest first. */
#define BACKLOG_RECORDS	512
#define BACKLOG_BYTES	(256 * 1024)
static pthread_mutex_t	bl_mtx = PTHREAD_MUTEX_INITIALIZER;
static char		*bl_rec[BACKLOG_RECORDS];
static size_t		 bl_len[BACKLOG_RECORDS];
static size_t		 bl_head, bl_count, bl_bytes;
static _Atomic size_t	 bl_pending;

static void	vlog(enum log_level, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

void
log_init(enum log_level level)
{
	atomic_store(&log_level, level);
	tzset();
}

void
log_setlevel(enum log_level level)
{
	atomic_store(&log_level, level);
}

int
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level,
	    memory_order_relaxed);
}

/* "2026-11-21T22:05:01.123Z" */
static size_t
iso_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%03ldZ",
	    ts.tv_nsec / 1000000);
	return n < len ? n : len - 1;
}

/* "2026-11-21T22:05:01.123Z info " */
static size_t
stamp(char *buf, size_t len, enum log_level level)
{
	size_t n = iso_time(buf, len);

	n += (size_t)snprintf(buf + n, len - n, " %s ", ev_level_name(level));
	return n < len ? n : len - 1;
}

static ssize_t
write_all_once(int fd, const char *p, size_t len)
{
	ssize_t w;

	/* One write per record; a short write is not retried. */
	do {
		w = write(fd, p, len);
	} while (w < 0 && errno == EINTR);
	return w;
}

static void
emit(char *line, size_t len, size_t cap)
{
	if (len >= cap - 1)
		len = cap - 2;
	line[len++] = '\n';
	write_all_once(STDERR_FILENO, line, len);
}

/* A sink failed: say so once, until it works again. */
static void
sink_failed(_Atomic int *failing, _Atomic uint64_t *errors,
    const char *what, char *const *path, int err)
{
	char name[256];

	atomic_fetch_add_explicit(errors, 1, memory_order_relaxed);
	if (atomic_exchange(failing, 1))
		return;
	pthread_mutex_lock(&cfg_mtx);
	snprintf(name, sizeof(name), "%s", *path != NULL ? *path : "?");
	pthread_mutex_unlock(&cfg_mtx);
	log_warnx("%s %s: %s; records go to standard error only until it"
	    " works again (reported once)", what, name, strerror(err));
}

static void
sink_ok(_Atomic int *failing, const char *what)
{
	if (atomic_load_explicit(failing, memory_order_relaxed) &&
	    atomic_exchange(failing, 0))
		log_warnx("%s works again", what);
}

static int
syslog_priority(enum log_level level)
{
	static const int prio[] = {
		LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG
	};

	return atomic_load_explicit(&syslog_facility, memory_order_relaxed) |
	    prio[(unsigned)level < 4 ? level : LOG_LVL_INFO];
}

/*
 * What sends under bl_mtx learned; said (which logs, and so sends) only
 * once the lock is released.
 */
struct sent {
	int	ok;	/* a datagram went through */
	int	err;	/* the last hard failure, or 0 */
};

/*
 * Send one datagram.  Returns 1 if sent, 0 if the daemon is behind (try
 * again later), -1 on any other failure.  bl_mtx held.
 */
static int
syslog_send(int fd, const char *buf, size_t n, struct sent *st)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	pthread_mutex_lock(&cfg_mtx);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    syslog_path != NULL ? syslog_path : _PATH_LOG);
	pthread_mutex_unlock(&cfg_mtx);
	if (sendto(fd, buf, n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    sizeof(sun)) == (ssize_t)n) {
		st->ok = 1;
		st->err = 0;
		return 1;
	}
	if (errno == EAGAIN || errno == ENOBUFS)
		return 0;
	st->err = errno;
	return -1;
}

static void
sent_say(const struct sent *st)
{
	if (st->err != 0)
		sink_failed(&syslog_failing, &syslog_errors, "syslog socket",
		    &syslog_path, st->err);
	else if (st->ok)
		sink_ok(&syslog_failing, "syslog");
}

/* Send what waits, oldest first, until the daemon is behind.  bl_mtx held. */
static int
backlog_drain(int fd, struct sent *st)
{
	while (bl_count > 0) {
		int r = syslog_send(fd, bl_rec[bl_head], bl_len[bl_head], st);

		if (r == 0)
			return 0;
		/* Sent, or refused for good (counted when said): gone. */
		bl_bytes -= bl_len[bl_head];
		free(bl_rec[bl_head]);
		bl_rec[bl_head] = NULL;
		bl_head = (bl_head + 1) % BACKLOG_RECORDS;
		bl_count--;
	}
	atomic_store_explicit(&bl_pending, 0, memory_order_relaxed);
	return 1;
}

/* Keep a datagram for later; a full backlog drops it.  bl_mtx held. */
static void
backlog_add(const char *buf, size_t n)
{
	size_t i = (bl_head + bl_count) % BACKLOG_RECORDS;
	char *copy;

	if (bl_count == BACKLOG_RECORDS || bl_bytes + n > BACKLOG_BYTES ||
	    (copy = malloc(n)) == NULL) {
		atomic_fetch_add_explicit(&syslog_errors, 1,
		    memory_order_relaxed);
		return;
	}
	memcpy(copy, buf, n);
	bl_rec[i] = copy;
	bl_len[i] = n;
	bl_bytes += n;
	bl_count++;
	atomic_store_explicit(&bl_pending, bl_count, memory_order_relaxed);
}

static void
backlog_clear(void)
{
	pthread_mutex_lock(&bl_mtx);
	while (bl_count > 0) {
		free(bl_rec[bl_head]);
		bl_rec[bl_head] = NULL;
		bl_head = (bl_head + 1) % BACKLOG_RECORDS;
		bl_count--;
	}
	bl_bytes = 0;
	atomic_store(&bl_pending, 0);
	pthread_mutex_unlock(&bl_mtx);
}

/* One datagram in the BSD syslog format local daemons take. */
static void
to_syslog(enum log_level level, const char *msg, size_t len)
{
	struct sent st = { 0, 0 };
	char buf[4608], when[32];
	struct tm tm;
	time_t now;
	int fd, n;

	if (!atomic_load_explicit(&syslog_on, memory_order_relaxed) ||
	    (fd = atomic_load(&syslog_fd)) < 0)
		return;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "<%d>%s portcullis[%ld]: %.*s",
	    syslog_priority(level), when, (long)getpid(), (int)len, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	pthread_mutex_lock(&bl_mtx);
	/* Behind older records, in order; those go first if they can. */
	if (!backlog_drain(fd, &st) || syslog_send(fd, buf, (size_t)n,
	    &st) == 0)
		backlog_add(buf, (size_t)n);
	pthread_mutex_unlock(&bl_mtx);
	sent_say(&st);
}

int
log_flush(void)
{
	struct sent st = { 0, 0 };
	int fd, done;

	if (atomic_load_explicit(&bl_pending, memory_order_relaxed) == 0 ||
	    (fd = atomic_load(&syslog_fd)) < 0)
		return 1;
	pthread_mutex_lock(&bl_mtx);
	done = backlog_drain(fd, &st);
	pthread_mutex_unlock(&bl_mtx);
	sent_say(&st);
	return done;
}

static void
to_events(const char *rec, size_t len)
{
	ssize_t w;
	int fd;

	if (!atomic_load_explicit(&events_on, memory_order_relaxed) ||
	    (fd = atomic_load(&events_fd)) < 0)
		return;
	w = write_all_once(fd, rec, len);
	if (w == (ssize_t)len) {
		sink_ok(&events_failing, "events file");
		return;
	}
	sink_failed(&events_failing, &events_errors, "events file",
	    &events_path, w < 0 ? errno : ENOSPC);
}

static void
vlog(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n, s;
	int r;

	if (!log_enabled(level))
		return;
	n = s = stamp(line, sizeof(line), level);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r :
		    sizeof(line) - n - 1;
	if (suffix != NULL)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s",
		    suffix);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	to_syslog(level, line + s, n - s);
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

static void
set_path(char **slot, const char *path)
{
	char *copy = path != NULL ? strdup(path) : NULL;

	pthread_mutex_lock(&cfg_mtx);
	free(*slot);
	*slot = copy;
	pthread_mutex_unlock(&cfg_mtx);
}

int
log_reopen(void)
{
	char path[4096];
	int fd, cur;

	pthread_mutex_lock(&cfg_mtx);
	snprintf(path, sizeof(path), "%s", events_path != NULL ?
	    events_path : "");
	pthread_mutex_unlock(&cfg_mtx);
	if (path[0] == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd < 0) {
		/* Keep writing where we were: a rotated file beats none. */
		log_warn("events file %s: cannot open; %s", path,
		    atomic_load(&events_fd) >= 0 ? "still writing to the file"
		    " opened before" : "events go to standard error only");
		return -1;
	}
	cur = atomic_load(&events_fd);
	if (cur < 0)
		atomic_store(&events_fd, fd);
	else {
		if (dup2(fd, cur) < 0) {
			log_warn("events file %s: dup2", path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	atomic_store(&events_on, 1);
	atomic_store(&events_failing, 0);
	return 0;
}

int
log_configure(const struct log_sinks *sinks)
{
	int rc = 0;

	set_path(&events_path, sinks->events);
	if (sinks->events != NULL)
		rc = log_reopen();
	else
		atomic_store(&events_on, 0);

	set_path(&syslog_path, sinks->syslog_socket != NULL ?
	    sinks->syslog_socket : _PATH_LOG);
	atomic_store(&syslog_facility, sinks->facility);
	if (sinks->syslog && atomic_load(&syslog_fd) < 0) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);

		if (fd < 0) {
			log_warn("syslog: socket");
			rc = -1;
		} else
			atomic_store(&syslog_fd, fd);
	}
	atomic_store(&syslog_failing, 0);
	atomic_store(&syslog_on, sinks->syslog);
	if (!sinks->syslog)
		backlog_clear();
	return rc;
}

void
log_fini(void)
{
	int fd;

	/* The last words ("stopped") get a moment to reach syslog. */
	for (int i = 0; i < 50 && !log_flush(); i++)
		usleep(10 * 1000);
	atomic_store(&events_on, 0);
	atomic_store(&syslog_on, 0);
	backlog_clear();
	if ((fd = atomic_exchange(&events_fd, -1)) >= 0)
		close(fd);
	if ((fd = atomic_exchange(&syslog_fd, -1)) >= 0)
		close(fd);
	set_path(&events_path, NULL);
	set_path(&syslog_path, NULL);
}

void
log_stats(struct log_stats *st)
{
	st->events_errors = atomic_load(&events_errors);
	st->syslog_errors = atomic_load(&syslog_errors);
	st->undocumented = atomic_load(&undocumented);
}

void
ev_begin(struct ev *e, enum log_level level, uint64_t sid, const char *role,
    const char *name)
{
	char sidhex[17];
	int r;

	e->def = ev_lookup(name);
	e->name = name;
	e->level = level;
	e->truncated = 0;
	e->len = 0;
	ev_count(e->def);
	e->on = log_enabled(level);
	e->json = 0;
	if (!e->on)
		return;
	if (e->def == NULL) {
		static _Atomic int warned;

		/* Counted by ev_count() under the catalogue's "missing". */
		if (!atomic_exchange(&warned, 1))
			log_warnx("event %s is missing from the catalogue"
			    " (reported once)", name);
	}
	snprintf(sidhex, sizeof(sidhex), "%016llx", (unsigned long long)sid);
	e->len = stamp(e->line, sizeof(e->line), level);
	r = snprintf(e->line + e->len, sizeof(e->line) - e->len,
	    "%s %s %s", sidhex, role, name);
	if (r > 0)
		e->len += (size_t)r;
	e->json = atomic_load_explicit(&events_on, memory_order_relaxed) ||
	    atomic_load_explicit(&syslog_on, memory_order_relaxed);
	if (e->json) {
		char ts[32];

		iso_time(ts, sizeof(ts));
		jw_init(&e->jw, e->jbuf, sizeof(e->jbuf));
		jw_open(&e->jw, NULL);
		jw_str(&e->jw, "ts", ts);
		jw_str(&e->jw, "level", ev_level_name(level));
		jw_str(&e->jw, "session", sidhex);
		jw_str(&e->jw, "role", role);
		jw_str(&e->jw, "event", name);
	}
}

/*
 * A field the catalogue does not list for this event, or with another
 * type, is a bug in the emitter: it is written anyway, counted and
 * reported once per process.
 */
static void
check_field(struct ev *e, const char *key, enum ev_type type)
{
	static _Atomic int warned;
	const struct ev_field *f;

	if (e->def == NULL)
		return;
	f = ev_field(key);
	if (f != NULL && f->type == type && ev_def_has_field(e->def, key))
		return;
	atomic_fetch_add_explicit(&undocumented, 1, memory_order_relaxed);
	if (!atomic_exchange(&warned, 1))
		log_warnx("event %s: field %s is not in the catalogue with"
		    " this type (reported once)", e->name, key);
}

/* Append " key=value" to the readable line, quoting where needed. */
static void
line_field(struct ev *e, const char *key, const char *val)
{
	char tmp[512];
	size_t n = 0;
	int quote = 0;

	for (const char *p = val; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
		    *p == '=' || (unsigned char)*p == 0x7f) {
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
	if (e->len + strlen(key) + n + 2 >= sizeof(e->line) - 16) {
		e->truncated = 1;
		return;
	}
	e->len += (size_t)snprintf(e->line + e->len, sizeof(e->line) - e->len,
	    " %s=%s", key, tmp);
}

void
ev_str(struct ev *e, const char *key, const char *val)
{
	if (!e->on)
		return;
	check_field(e, key, EV_T_STRING);
	if (val == NULL)
		val = "-";
	line_field(e, key, val);
	if (e->json)
		jw_str(&e->jw, key, val);
}

void
ev_u64(struct ev *e, const char *key, uint64_t val)
{
	char tmp[24];

	if (!e->on)
		return;
	check_field(e, key, EV_T_NUMBER);
	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)val);
	line_field(e, key, tmp);
	if (e->json)
		jw_u64(&e->jw, key, val);
}

void
ev_bool(struct ev *e, const char *key, int val)
{
	if (!e->on)
		return;
	check_field(e, key, EV_T_BOOL);
	line_field(e, key, val ? "yes" : "no");
	if (e->json)
		jw_bool(&e->jw, key, val);
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
	if (e->truncated)
		line_field(e, "truncated", "1");
	if (e->json) {
		jw_close(&e->jw);
		/* jw keeps room for the newline's byte: the NUL's. */
		e->jw.buf[e->jw.len] = '\n';
		to_events(e->jw.buf, e->jw.len + 1);
		to_syslog(e->level, e->jw.buf, e->jw.len);
		e->jw.buf[e->jw.len] = '\0';
	}
	emit(e->line, e->len, sizeof(e->line));
}
