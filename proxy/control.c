/*
 * control.c: the control socket: its listener and clients on the main
 * loop, and snapshot rounds across the workers.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "summary.h"
#include "worker.h"

#define CTL_MAXCLIENTS	32
#define CTL_CMDMAX	256
#define CTL_TIMEOUT	10000	/* ms for a client to send its line */
#define ROUND_TIMEOUT	2000	/* ms the workers have to answer */

/* One worker's answer: summaries whose strings live in its arena. */
struct snap_part {
	struct sess_summary	*rows;
	size_t			 n;
	struct arena		 arena;
	int			 answered;
};

/*
 * A request to every worker.  refs: the main thread's and one per worker
 * asked; the last to let go frees it, so a worker answering after the
 * main thread gave up (or stopped) is harmless.
 */
struct snap_round {
	uv_mutex_t		 mtx;
	unsigned		 refs;
	unsigned		 pending;	/* workers yet to answer */
	unsigned		 nparts;
	struct snap_part	 parts[];
};

enum ctl_cmd {
	CMD_STATUS, CMD_STATUS_JSON, CMD_SHOW
};

struct ctl_client {
	uv_pipe_t		 pipe;
	uv_timer_t		 timer;
	uv_write_t		 wreq;
	struct ctl_client	*next, *prev;
	char			 line[CTL_CMDMAX];
	size_t			 len;
	struct sbuf		 reply;
	enum ctl_cmd		 cmd;
	uint64_t		 show_id;
	unsigned		 handles;	/* close callbacks pending */
	unsigned		 waiting:1;	/* wants the next round */
	unsigned		 in_round:1;	/* in the round in flight */
	unsigned		 closing:1;
};

static struct {
	uv_loop_t		*loop;
	uv_pipe_t		 listener;
	uv_timer_t		 round_timer;
	uv_async_t		 async;		/* a round is done */
	int			 started, listening, stopped;
	struct worker		*workers;
	unsigned		 nworkers;
	struct ctl_client	*clients;
	unsigned		 nclients;
	struct snap_round	*round;		/* in flight, or NULL */
	char			 path[sizeof(((struct sockaddr_un *)0)->
				    sun_path)];
} ctl;

static void	start_round(void);
static void	finish_round(int timed_out);
static void	on_round_timeout(uv_timer_t *t);

static void
round_free(struct snap_round *r)
{
	for (unsigned i = 0; i < r->nparts; i++)
		arena_free(&r->parts[i].arena);
	uv_mutex_destroy(&r->mtx);
	free(r);
}

/* Drop one reference; returns 1 if r was freed. */
static int
round_release(struct snap_round *r, int answered_part)
{
	int last;

	uv_mutex_lock(&r->mtx);
	if (answered_part >= 0) {
		r->parts[answered_part].answered = 1;
		r->pending--;
	}
	last = --r->refs == 0;
	uv_mutex_unlock(&r->mtx);
	if (last)
		round_free(r);
	return last;
}

void
control_worker_snapshot(struct worker *w)
{
	struct snap_round *r = atomic_exchange(&w->snap, NULL);
	struct snap_part *part;
	struct session *s;
	uint64_t now;
	size_t i = 0;

	if (r == NULL)
		return;
	part = &r->parts[w->idx];
	now = uv_now(&w->loop);
	part->rows = arena_alloc(&part->arena, (w->nsessions + 1) *
	    sizeof(*part->rows));
	for (s = w->sessions; part->rows != NULL && s != NULL; s = s->next) {
		struct sess_summary sum;

		session_summary(s, now, &sum);
		summary_copy(&part->rows[i++], &sum, &part->arena);
	}
	part->n = i;
	if (!round_release(r, (int)w->idx)) {
		/* The main loop checks whether this was the last answer. */
		uv_async_send(&ctl.async);
	}
}

static void
on_client_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;

	if (--c->handles > 0)
		return;
	sb_free(&c->reply);
	free(c);
}

static void
client_close(struct ctl_client *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl.clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ctl.nclients--;
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
	uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void
on_reply_written(uv_write_t *req, int status)
{
	struct ctl_client *c = req->data;

	(void)status;
	client_close(c);
}

/* Send c->reply (or an error for a reply that could not be built). */
static void
reply(struct ctl_client *c)
{
	uv_buf_t b;

	if (c->closing)
		return;
	if (c->reply.nomem) {
		sb_free(&c->reply);
		sb_printf(&c->reply, "error: out of memory\n");
	}
	uv_timer_stop(&c->timer);
	b = uv_buf_init(c->reply.p != NULL ? c->reply.p : "",
	    (unsigned)c->reply.len);
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1,
	    on_reply_written) != 0)
		client_close(c);
}

static void
help(struct sbuf *b)
{
	sb_printf(b,
	    "status        live connections, one per line\n"
	    "status json   the same as JSON\n"
	    "show ID       one connection, every field\n"
	    "metrics       counters in OpenMetrics text\n"
	    "help          this list\n");
}

static void
dispatch(struct ctl_client *c)
{
	char *arg, *end;

	uv_read_stop((uv_stream_t *)&c->pipe);
	c->line[c->len] = '\0';
	c->line[strcspn(c->line, "\r\n")] = '\0';
	if ((arg = strchr(c->line, ' ')) != NULL)
		*arg++ = '\0';
	if (strcmp(c->line, "status") == 0 && (arg == NULL || *arg == '\0'))
		c->cmd = CMD_STATUS;
	else if (strcmp(c->line, "status") == 0 && arg != NULL &&
	    strcmp(arg, "json") == 0)
		c->cmd = CMD_STATUS_JSON;
	else if (strcmp(c->line, "show") == 0 && arg != NULL &&
	    *arg != '\0') {
		errno = 0;
		c->show_id = strtoull(arg, &end, 16);
		if (errno != 0 || *end != '\0' || end - arg > 16) {
			sb_printf(&c->reply, "error: '%.40s' is not a session"
			    " id (16 hex digits, as in status)\n", arg);
			reply(c);
			return;
		}
		c->cmd = CMD_SHOW;
	} else if (strcmp(c->line, "metrics") == 0) {
		metrics_format(&c->reply);
		reply(c);
		return;
	} else if (strcmp(c->line, "help") == 0) {
		help(&c->reply);
		reply(c);
		return;
	} else {
		sb_printf(&c->reply, "error: unknown command '%.40s'\n",
		    c->line);
		help(&c->reply);
		reply(c);
		return;
	}
	log_debug("control: %s%s%s", c->line, arg != NULL ? " " : "",
	    arg != NULL ? arg : "");
	c->waiting = 1;
	if (ctl.round == NULL)
		start_round();
}

static void
on_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct ctl_client *c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->line + c->len, (unsigned)(sizeof(c->line) - 1 -
	    c->len));
}

static void
on_client_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct ctl_client *c = st->data;

	(void)b;
	/* A last line without a newline is still a command. */
	if (nread == UV_EOF && c->len > 0) {
		dispatch(c);
		return;
	}
	if (nread < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)nread;
	if (memchr(c->line, '\n', c->len) != NULL)
		dispatch(c);
	else if (c->len >= sizeof(c->line) - 1) {
		uv_read_stop(st);
		sb_printf(&c->reply, "error: command too long\n");
		reply(c);
	}
}

static void
on_client_timeout(uv_timer_t *t)
{
	client_close(t->data);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct ctl_client *c;

	if (status < 0)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("control: out of memory");
		return;
	}
	uv_pipe_init(ctl.loop, &c->pipe, 0);
	uv_timer_init(ctl.loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->handles = 2;
	c->next = ctl.clients;
	if (ctl.clients != NULL)
		ctl.clients->prev = c;
	ctl.clients = c;
	ctl.nclients++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    ctl.nclients > CTL_MAXCLIENTS) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_client_timeout, CTL_TIMEOUT, 0);
	if (uv_read_start((uv_stream_t *)&c->pipe, on_client_alloc,
	    on_client_read) != 0)
		client_close(c);
}

static void
start_round(void)
{
	struct snap_round *r;
	struct ctl_client *c;

	r = calloc(1, sizeof(*r) + ctl.nworkers * sizeof(r->parts[0]));
	if (r == NULL || uv_mutex_init(&r->mtx) != 0) {
		free(r);
		for (c = ctl.clients; c != NULL; c = c->next)
			if (c->waiting) {
				c->waiting = 0;
				sb_printf(&c->reply, "error: out of memory\n");
				reply(c);
			}
		return;
	}
	r->nparts = ctl.nworkers;
	r->refs = 1 + ctl.nworkers;
	r->pending = ctl.nworkers;
	for (c = ctl.clients; c != NULL; c = c->next)
		if (c->waiting) {
			c->waiting = 0;
			c->in_round = 1;
		}
	ctl.round = r;
	for (unsigned i = 0; i < ctl.nworkers; i++) {
		struct snap_round *old = atomic_exchange(&ctl.workers[i].snap,
		    r);

		/* A worker that never took an old request: let it go. */
		if (old != NULL)
			round_release(old, -1);
		worker_command(&ctl.workers[i], WORKER_CMD_SNAPSHOT);
	}
	uv_timer_start(&ctl.round_timer, on_round_timeout, ROUND_TIMEOUT, 0);
}

static void
answer(struct ctl_client *c, const struct status_info *si,
    const struct sess_summary **rows, size_t n)
{
	switch (c->cmd) {
	case CMD_STATUS:
		status_table(&c->reply, si, rows, n);
		break;
	case CMD_STATUS_JSON:
		status_json(&c->reply, si, rows, n);
		break;
	case CMD_SHOW:
		for (size_t i = 0; i < n; i++)
			if (rows[i]->id == c->show_id) {
				status_show(&c->reply, rows[i]);
				reply(c);
				return;
			}
		sb_printf(&c->reply, "error: no session %016llx\n",
		    (unsigned long long)c->show_id);
		break;
	}
	reply(c);
}

static void
finish_round(int timed_out)
{
	struct snap_round *r = ctl.round;
	const struct sess_summary **rows;
	struct status_info si;
	struct ctl_client *c, *next;
	struct conf *conf;
	size_t n = 0;

	if (r == NULL)
		return;
	uv_timer_stop(&ctl.round_timer);
	ctl.round = NULL;
	memset(&si, 0, sizeof(si));
	si.version = PORTCULLIS_VERSION;
	si.uptime_s = (uint64_t)(time(NULL) - metrics_start());
	si.workers = ctl.nworkers;
	if ((conf = conf_current()) != NULL) {
		si.generation = conf->generation;
		conf_unref(conf);
	}
	/* Only answered parts are read: a late worker writes its own. */
	uv_mutex_lock(&r->mtx);
	for (unsigned i = 0; i < r->nparts; i++)
		if (r->parts[i].answered) {
			si.answered++;
			n += r->parts[i].n;
		}
	uv_mutex_unlock(&r->mtx);
	if (timed_out)
		log_warnx("control: %u of %u workers did not answer within"
		    " %d ms", si.workers - si.answered, si.workers,
		    ROUND_TIMEOUT);
	rows = calloc(n + 1, sizeof(*rows));
	n = 0;
	for (unsigned i = 0; rows != NULL && i < r->nparts; i++) {
		int answered;

		uv_mutex_lock(&r->mtx);
		answered = r->parts[i].answered;
		uv_mutex_unlock(&r->mtx);
		for (size_t j = 0; answered && j < r->parts[i].n; j++)
			rows[n++] = &r->parts[i].rows[j];
		if (answered && r->parts[i].arena.nomem)
			si.answered--;
	}
	for (c = ctl.clients; c != NULL; c = next) {
		next = c->next;
		if (!c->in_round)
			continue;
		c->in_round = 0;
		if (rows == NULL) {
			sb_printf(&c->reply, "error: out of memory\n");
			reply(c);
		} else
			answer(c, &si, rows, n);
	}
	free(rows);
	round_release(r, -1);
	/* Those who asked meanwhile get a fresh round. */
	for (c = ctl.clients; c != NULL; c = c->next)
		if (c->waiting) {
			start_round();
			break;
		}
}

static void
on_round_timeout(uv_timer_t *t)
{
	(void)t;
	finish_round(1);
}

static void
on_async(uv_async_t *a)
{
	struct snap_round *r = ctl.round;
	unsigned pending;

	(void)a;
	if (r == NULL)
		return;
	uv_mutex_lock(&r->mtx);
	pending = r->pending;
	uv_mutex_unlock(&r->mtx);
	if (pending == 0)
		finish_round(0);
}

/*
 * A socket file left by a daemon that died is removed; one that answers
 * belongs to a running daemon and is left alone; anything else at the
 * path is not ours to delete.
 */
static int
clear_stale(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("control socket %s: the path exists and is not a"
		    " socket; not touching it", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		log_warnx("control socket %s: another portcullis answers"
		    " there; this one runs without a control socket", path);
		return -1;
	}
	if (unlink(path) != 0) {
		log_warn("control socket %s: cannot remove the stale one",
		    path);
		return -1;
	}
	return 0;
}

/* The directory the socket goes in, made if missing (one level). */
static void
make_dir(const char *path)
{
	char dir[sizeof(ctl.path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		log_warn("control socket: cannot make %s", dir);
}

int
control_start(uv_loop_t *loop, const struct pol_control *pc,
    struct worker *workers, unsigned nworkers)
{
	mode_t old;
	int rc;

	ctl.loop = loop;
	ctl.workers = workers;
	ctl.nworkers = nworkers;
	uv_async_init(loop, &ctl.async, on_async);
	/* Workers may still answer while the loop winds down. */
	uv_unref((uv_handle_t *)&ctl.async);
	uv_timer_init(loop, &ctl.round_timer);
	uv_unref((uv_handle_t *)&ctl.round_timer);
	ctl.started = 1;
	if (pc->socket == NULL)
		return 0;
	snprintf(ctl.path, sizeof(ctl.path), "%s", pc->socket);
	make_dir(ctl.path);
	if (clear_stale(ctl.path) != 0)
		return -1;
	uv_pipe_init(loop, &ctl.listener, 0);
	ctl.listening = 1;
	/* Born with its final mode: no moment where others may connect. */
	old = umask(0777 & ~(mode_t)pc->mode);
	rc = uv_pipe_bind(&ctl.listener, ctl.path);
	umask(old);
	if (rc == 0 && chmod(ctl.path, (mode_t)pc->mode) != 0)
		rc = uv_translate_sys_error(errno);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&ctl.listener, 16,
		    on_connection);
	if (rc != 0) {
		log_warnx("control socket %s: %s; running without one",
		    ctl.path, uv_strerror(rc));
		uv_close((uv_handle_t *)&ctl.listener, NULL);
		ctl.listening = 0;
		ctl.path[0] = '\0';
		return -1;
	}
	log_info("control socket %s (mode %04o)", ctl.path, pc->mode);
	return 0;
}

void
control_reload(const struct pol_control *old, const struct pol_control *new)
{
	if ((old->socket == NULL) != (new->socket == NULL) ||
	    (old->socket != NULL && strcmp(old->socket, new->socket) != 0) ||
	    old->mode != new->mode)
		log_warnx("reload: 'control' changed; the control socket"
		    " changes only on restart");
}

void
control_stop(void)
{
	if (!ctl.started || ctl.stopped)
		return;
	ctl.stopped = 1;
	if (ctl.listening) {
		uv_close((uv_handle_t *)&ctl.listener, NULL);
		ctl.listening = 0;
		unlink(ctl.path);
	}
	while (ctl.clients != NULL)
		client_close(ctl.clients);
	if (ctl.round != NULL) {
		round_release(ctl.round, -1);
		ctl.round = NULL;
	}
	uv_close((uv_handle_t *)&ctl.round_timer, NULL);
}

void
control_fini(void)
{
	if (!ctl.started)
		return;
	control_stop();
	uv_close((uv_handle_t *)&ctl.async, NULL);
	ctl.started = 0;
}
