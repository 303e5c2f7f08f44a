/*
 * main.c: command line, startup, signals, reload and stop.
 *
 * The main thread loads the configuration, binds every listener in every
 * worker (so a bad address fails before anything runs), starts the
 * workers and then only waits for signals: SIGHUP reloads, SIGTERM and
 * SIGINT stop within the configured shutdown time.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <uv.h>

#include "conf.h"
#include "control.h"
#include "dns.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "posh.h"
#include "session.h"
#include "ticket.h"
#include "worker.h"

#define DEFAULT_CONF	"/etc/portcullis/portcullis.conf"
#define FLUSH_MS	100

static struct worker	*workers;
static unsigned		 nworkers, workers_done;
static const char	*conf_path = DEFAULT_CONF;
static uv_signal_t	 sig_term, sig_int, sig_hup;
static uv_timer_t	 stop_timer, flush_timer;
static uv_async_t	 done_async;
static int		 stopping;

static void
usage(FILE *f)
{
	fprintf(f, "usage: portcullis [-dEnV] [-f file]\n"
	    "  -f file  configuration file (default " DEFAULT_CONF ")\n"
	    "  -n       check the configuration and exit\n"
	    "  -d       log debug messages\n"
	    "  -E       print the event catalogue as JSON lines and exit\n"
	    "  -V       print the version and exit\n"
	    "  -h       print this help and exit\n");
}

static void
on_flush(uv_timer_t *t)
{
	(void)t;
	log_flush();
}

static void
on_stop_timeout(uv_timer_t *t)
{
	(void)t;
	log_warnx("stop: sessions still open after the shutdown timeout;"
	    " exiting");
	_exit(0);
}

static void
on_worker_done(uv_async_t *a)
{
	(void)a;
	/* Coalesced sends: count finished workers, not wake-ups. */
	unsigned done = 0;

	for (unsigned i = 0; i < nworkers; i++)
		done += atomic_load(&workers[i].finished) ? 1 : 0;
	workers_done = done;
	if (workers_done == nworkers) {
		uv_close((uv_handle_t *)&done_async, NULL);
		if (uv_is_active((uv_handle_t *)&stop_timer))
			uv_timer_stop(&stop_timer);
		uv_close((uv_handle_t *)&stop_timer, NULL);
		uv_close((uv_handle_t *)&flush_timer, NULL);
	}
}

static void
stop(const char *why)
{
	const struct conf *c;

	if (stopping)
		return;
	stopping = 1;
	log_info("stopping (%s)", why);
	/* No snapshot request may reach a worker that is stopping. */
	control_stop();
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_hup, NULL);
	c = conf_current();
	uv_timer_start(&stop_timer, on_stop_timeout,
	    (uint64_t)c->pol->timeouts.shutdown * 1000, 0);
	conf_unref((struct conf *)(uintptr_t)c);
	for (unsigned i = 0; i < nworkers; i++)
		worker_command(&workers[i], WORKER_CMD_STOP);
}

/* Listeners are bound once; a reload that changes them is flagged. */
static void
check_listeners(const struct pol *old, const struct pol *new)
{
	int same = old->nlisteners == new->nlisteners;

	for (size_t i = 0; same && i < new->nlisteners; i++)
		same = old->listeners[i].role == new->listeners[i].role &&
		    old->listeners[i].tls == new->listeners[i].tls &&
		    old->listeners[i].port == new->listeners[i].port &&
		    strcmp(old->listeners[i].host,
		    new->listeners[i].host) == 0;
	if (!same)
		log_warnx("reload: 'listen' changed; listeners change only"
		    " on restart");
}

static void
sinks(const struct pol *p)
{
	struct log_sinks ls = {
		.events = p->log.events,
		.syslog = p->log.syslog,
		.facility = p->log.facility,
		.syslog_socket = p->log.syslog_socket
	};

	log_configure(&ls);
}

static void
reload(void)
{
	struct conf *c, *old;
	char err[512];

	if (conf_load(conf_path, &c, err, sizeof(err)) != 0) {
		/* Log rotation must not wait for a good file. */
		log_reopen();
		log_warnx("reload refused, the running configuration stays:"
		    " %s", err);
		return;
	}
	old = conf_current();
	check_listeners(old->pol, c->pol);
	control_reload(&old->pol->control, &c->pol->control);
	conf_unref(old);
	sinks(c->pol);
	log_setlevel((enum log_level)c->pol->loglevel);
	conf_prepare_state(c);
	conf_install(c);
	/* A new resolver or trust anchor judges answers anew. */
	dns_cache_clear();
	posh_cache_clear();
	log_info("reloaded %s: configuration %u in force for new"
	    " connections", conf_path, c->generation);
	conf_log(c);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	if (signum == SIGHUP)
		reload();
	else
		stop(signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/*
 * -n: load everything a start would (policy, anchors, chains, staples),
 * create nothing, print the report, and fail below minimum-grade.
 */
static int
check_only(const char *path)
{
	struct conf *c;
	char err[512];
	int rc;

	if (conf_load(path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = conf_report(c, stdout);
	conf_unref(c);
	return rc;
}

/* The catalogue, one JSON object per event, for tools and tests. */
static int
print_catalogue(void)
{
	for (size_t i = 0; i < ev_catalogue_len; i++) {
		const struct ev_def *d = &ev_catalogue[i];
		char buf[4096], name[64];
		const char *p = d->fields;
		struct jw w;

		jw_init_grow(&w);
		jw_open(&w, NULL);
		jw_str(&w, "event", d->name);
		jw_str(&w, "level", ev_level_name(d->level));
		jw_open(&w, "fields");
		while (*p != '\0') {
			size_t n = strcspn(p, " ");
			const struct ev_field *f;

			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			f = ev_field(name);
			jw_str(&w, name, f == NULL ? "unknown" :
			    f->type == EV_T_NUMBER ? "number" :
			    f->type == EV_T_BOOL ? "boolean" : "string");
			p += n + (p[n] == ' ');
		}
		jw_close(&w);
		jw_close(&w);
		snprintf(buf, sizeof(buf), "%s", w.buf != NULL ? w.buf : "");
		free(w.buf);
		if (printf("%s\n", buf) < 0)
			return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct conf *c;
	char err[512];
	int ch, checkonly = 0, debug = 0, catalogue = 0;
	uv_loop_t *loop;

	while ((ch = getopt(argc, argv, "dEf:hnV")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'E':
			catalogue = 1;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			checkonly = 1;
			break;
		case 'V':
			printf("portcullis %s (GnuTLS %s, libuv %s)\n",
			    PORTCULLIS_VERSION, gnutls_check_version(NULL),
			    uv_version_string());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (catalogue)
		return print_catalogue();
	if (checkonly)
		return check_only(conf_path);

	log_init(LOG_LVL_INFO);
	if (conf_load(conf_path, &c, err, sizeof(err)) != 0)
		fatalx("%s", err);
	log_init(debug ? LOG_LVL_DEBUG : (enum log_level)c->pol->loglevel);
	conf_prepare_state(c);
	sinks(c->pol);
	conf_install(c);
	signal(SIGPIPE, SIG_IGN);
	metrics_set_start((int64_t)time(NULL));
	/* Ids carry the start time: unique across restarts, in order. */
	session_ids_start((uint64_t)time(NULL) << 32);

	nworkers = c->pol->workers;
	if (nworkers == 0)
		nworkers = uv_available_parallelism();
	if ((workers = calloc(nworkers, sizeof(*workers))) == NULL)
		fatalx("out of memory");
	log_info("portcullis %s starting: %s, %u worker(s)",
	    PORTCULLIS_VERSION, conf_path, nworkers);
	conf_log(c);

	loop = uv_default_loop();
	uv_async_init(loop, &done_async, on_worker_done);
	uv_timer_init(loop, &stop_timer);
	/* Syslog takes bursts a few datagrams at a time: offer the rest. */
	uv_timer_init(loop, &flush_timer);
	uv_timer_start(&flush_timer, on_flush, FLUSH_MS, FLUSH_MS);
	uv_unref((uv_handle_t *)&flush_timer);
	for (unsigned i = 0; i < nworkers; i++) {
		if (worker_init(&workers[i], i, c->pol) != 0)
			fatalx("cannot start");
		workers[i].on_done = &done_async;
	}
	/* Before the workers: the socket is created under a umask. */
	control_start(loop, &c->pol->control, workers, nworkers);
	for (unsigned i = 0; i < nworkers; i++)
		if (worker_start(&workers[i]) != 0)
			fatalx("cannot start worker %u", i);
	for (size_t i = 0; i < c->pol->nlisteners; i++)
		log_info("listening on %s (%s, %s)", c->pol->listeners[i].text,
		    c->pol->listeners[i].role == POL_ROLE_C2S ? "c2s" :
		    c->pol->listeners[i].role == POL_ROLE_S2S ? "s2s" :
		    "s2s-out", c->pol->listeners[i].tls == POL_TLS_DIRECT ?
		    "direct TLS" : "STARTTLS");

	uv_signal_init(loop, &sig_term);
	uv_signal_init(loop, &sig_int);
	uv_signal_init(loop, &sig_hup);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	uv_signal_start(&sig_hup, on_signal, SIGHUP);
	uv_run(loop, UV_RUN_DEFAULT);

	for (unsigned i = 0; i < nworkers; i++)
		worker_join(&workers[i]);
	ticket_cleanup();
	control_fini();
	uv_run(loop, UV_RUN_DEFAULT);
	free(workers);
	uv_loop_close(loop);
	conf_install(NULL);
	log_info("stopped");
	log_fini();
	return 0;
}
