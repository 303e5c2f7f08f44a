/*
 * loadgen.c: the benchmark's own load generator (never linked into the
 * daemon).
 *
 * One epoll loop per thread drives non-blocking client connections with
 * GnuTLS on the socket itself.  Every mode is bounded by a count and a
 * time limit.  The result is one line of key=value pairs on stdout, for
 * test/bench/run.sh to parse.
 *
 *   hs        connect, handshake (after STARTTLS with -s), with -x send a
 *             stream header and read the server's features, close; again
 *   up, down  bulk transfer through the tunnel for -t seconds (with -x as
 *             an XMPP stream of large stanzas)
 *   idle      open -n connections, prove each reached the backend, print
 *             "ready N", then hold them until stdin closes or -t passes
 *   rate      pipelined 100-byte stanzas echoed back: stanzas per second
 *   lat       100-byte stanzas paced at -r per second, one at a time per
 *             connection: round-trip p50 and p99
 *
 * Flags: -s STARTTLS first (implies -x); -x speak XMPP through the
 * tunnel (stream header, features, SASL PLAIN, restart, features: the
 * backend.c answers), -A stop after the first features (no login), -N
 * no TLS at all (straight to a backend), -R resume: each thread keeps
 * the session of its last handshake (with -x, its TLS 1.3 ticket has
 * arrived by the features) and offers it on the next connection; the
 * result counts resumed=N.
 *
 * Connections close abortively (SO_LINGER 0), so no TIME_WAIT piles up
 * across the many short connections of a run.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define RBUF		4096
#define CHUNK		16384
#define STANZA_SMALL	100
#define MAXLAT		(1u << 20)
#define IDLE_PENDING	64	/* idle: connections being set up at once */

enum mode { M_HS, M_UP, M_DOWN, M_IDLE, M_RATE, M_LAT };

enum cstate {
	C_CONNECT,	/* waiting for connect() */
	C_PRE_FEAT,	/* plaintext header sent, reading features */
	C_PROCEED,	/* <starttls/> sent, reading <proceed/> */
	C_HANDSHAKE,
	C_FEAT,		/* stream header sent, reading features */
	C_AUTH,		/* <auth/> sent, reading <success/> */
	C_FEAT2,	/* restarted, reading the features again */
	C_PING,		/* raw probe sent, waiting for its echo */
	C_READY		/* established: the mode's own work */
};

struct opts {
	enum mode	 mode;
	const char	*host;
	int		 port;
	unsigned	 conc, threads;
	uint64_t	 count;
	double		 secs, rate;
	int		 xmpp, starttls, plain, noauth, resume;
	const char	*domain, *prio;
	unsigned	 window;
};

struct conn {
	int		 fd;
	enum cstate	 st;
	gnutls_session_t tls;
	char		 rbuf[RBUF];
	size_t		 rlen;
	size_t		 off;		/* bulk: offset into the payload */
	size_t		 pend;		/* bytes of a send to retry */
	unsigned	 inflight;	/* stanzas sent, not yet echoed */
	size_t		 echo;		/* echoed bytes of the current one */
	double		 t0;		/* start of the connection or stanza */
	int		 want_out;
};

struct worker {
	pthread_t	 th;
	int		 ep;
	unsigned	 idx;
	struct conn	*conns;
	unsigned	 nconns;
	uint64_t	 ops, errors, bytes, resumed;
	gnutls_datum_t	 sess;		/* -R: session data to offer */
	double		*lat;		/* seconds, per operation */
	size_t		 nlat, caplat;
};

static struct opts	 o = {
	.mode = M_HS, .host = "127.0.0.1", .conc = 16, .threads = 1,
	.count = 1000000, .secs = 5, .domain = "bench.test",
	.prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM"
	    ":-GROUP-ALL:+GROUP-X25519", .window = 16
};
static gnutls_certificate_credentials_t creds;
static gnutls_priority_t prio;
static struct sockaddr_in target;
static _Atomic uint64_t	 started;	/* operations begun, all threads */
static _Atomic int	 stop_all;
static double		 t_start, t_end;
static char		*payload;	/* bulk: whole stanzas, cyclic */
static size_t		 payload_len;
static char		 stanza[STANZA_SMALL + 1];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* LOADGEN_DEBUG=1: say why a connection ended. */
static int
gone(const char *where, long r)
{
	if (getenv("LOADGEN_DEBUG") != NULL)
		fprintf(stderr, "loadgen: %s: %ld %s\n", where, r,
		    r < 0 ? gnutls_strerror((int)r) : "eof");
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen hs|up|down|idle|rate|lat [-AsxNR]"
	    " [-h host] [-p port] [-c conns] [-T threads] [-n count]\n"
	    "       [-t secs] [-r rate] [-w window] [-d domain]"
	    " [-P priority]\n");
	exit(2);
}

static void
header(char *buf, size_t len)
{
	snprintf(buf, len, "<stream:stream xmlns='jabber:client'"
	    " xmlns:stream='http://etherx.jabber.org/streams' to='%s'"
	    " version='1.0'>", o.domain);
}

/*
 * Bulk payload: whole <message/> stanzas of about 16 KB, so that sending
 * it round and round is an endless valid stream.
 */
static void
make_payload(void)
{
	const char *open = "<message to='sink@bench.test' type='chat'><body>";
	const char *close = "</body></message>";
	size_t body = CHUNK - strlen(open) - strlen(close);

	payload_len = 4 * CHUNK;
	if ((payload = malloc(payload_len)) == NULL)
		die("malloc");
	for (size_t i = 0; i < 4; i++) {
		char *p = payload + i * CHUNK;

		memcpy(p, open, strlen(open));
		p += strlen(open);
		for (size_t j = 0; j < body; j++)
			p[j] = (char)('a' + (j % 26));
		memcpy(p + body, close, strlen(close));
	}
	/* 100 bytes exactly: the stanza of the latency measurements. */
	snprintf(stanza, sizeof(stanza), "<message to='echo@bench.test'"
	    " type='chat' id='x'><body>%-28s</body></message>", "ping");
	if (strlen(stanza) != STANZA_SMALL) {
		fprintf(stderr, "loadgen: stanza is %zu bytes\n",
		    strlen(stanza));
		exit(1);
	}
}

static void
lat_add(struct worker *w, double v)
{
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? w->caplat * 2 : 4096;
		double *n;

		if (cap > MAXLAT)
			return;
		if ((n = realloc(w->lat, cap * sizeof(*n))) == NULL)
			return;
		w->lat = n;
		w->caplat = cap;
	}
	w->lat[w->nlat++] = v;
}

static void
watch(struct worker *w, struct conn *c, int out)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (out ? EPOLLOUT : 0),
		.data.ptr = c
	};

	if (c->want_out == out)
		return;
	c->want_out = out;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
conn_close(struct worker *w, struct conn *c)
{
	struct linger lg = { 1, 0 };

	if (c->fd < 0)
		return;
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->tls != NULL)
		gnutls_deinit(c->tls);
	c->tls = NULL;
}

/* Claim one operation of the -n budget; 0 when it is spent. */
static int
claim(void)
{
	if (atomic_load(&stop_all) || now() >= t_end)
		return 0;
	return atomic_fetch_add(&started, 1) < o.count;
}

static int
conn_open(struct worker *w, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		w->errors++;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->st = C_CONNECT;
	c->t0 = now();
	c->want_out = 1;
	if (connect(c->fd, (struct sockaddr *)&target, sizeof(target)) < 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		w->errors++;
		return -1;
	}
	epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

/* Write all of p now; the socket is fresh, so this does not block long. */
static int
put_plain(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EAGAIN) {
			struct pollfd pf = { c->fd, POLLOUT, 0 };

			poll(&pf, 1, 1000);
			continue;
		}
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
put_tls(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = gnutls_record_send(c->tls, p, n);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			struct pollfd pf = { c->fd, POLLOUT, 0 };

			poll(&pf, 1, 1000);
			r = gnutls_record_send(c->tls, NULL, 0);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
				continue;
		}
		if (r <= 0)
			return gone("put", (long)r);
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
put(struct conn *c, const char *p, size_t n)
{
	return c->tls != NULL ? put_tls(c, p, n) : put_plain(c, p, n);
}

/*
 * Read what is there into rbuf (keeping the tail when full).  Returns
 * 1 with data, 0 when nothing more is to be had now, -1 on EOF or error.
 */
static int
fill(struct conn *c)
{
	ssize_t r;

	if (c->rlen >= RBUF - 1) {
		memmove(c->rbuf, c->rbuf + c->rlen - 256, 256);
		c->rlen = 256;
	}
	if (c->tls != NULL) {
		r = gnutls_record_recv(c->tls, c->rbuf + c->rlen,
		    RBUF - 1 - c->rlen);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			return 0;
	} else {
		r = recv(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen, 0);
		if (r < 0 && errno == EAGAIN)
			return 0;
	}
	if (r <= 0)
		return gone("fill", (long)r);
	c->rlen += (size_t)r;
	c->rbuf[c->rlen] = '\0';
	return 1;
}

/* Read until one of the needles shows up: 1 found, 0 not yet, -1 gone. */
static int
await(struct conn *c, const char *a, const char *b)
{
	for (;;) {
		int r;

		if (strstr(c->rbuf, a) != NULL ||
		    (b != NULL && strstr(c->rbuf, b) != NULL)) {
			c->rlen = 0;
			c->rbuf[0] = '\0';
			return 1;
		}
		if ((r = fill(c)) <= 0)
			return r;
	}
}

static int
start_tls(struct worker *w, struct conn *c)
{
	gnutls_datum_t alpn = { (unsigned char *)"xmpp-client", 11 };

	if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		return -1;
	gnutls_priority_set(c->tls, prio);
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, o.domain,
	    strlen(o.domain));
	if (o.xmpp && !o.starttls)
		gnutls_alpn_set_protocols(c->tls, &alpn, 1, 0);
	if (o.resume && w->sess.size > 0)
		gnutls_session_set_data(c->tls, w->sess.data, w->sess.size);
	gnutls_transport_set_int(c->tls, c->fd);
	c->st = C_HANDSHAKE;
	c->rlen = 0;
	c->rbuf[0] = '\0';
	return 0;
}

/* The connection is established: begin what the mode does with it. */
static int
ready(struct worker *w, struct conn *c)
{
	c->st = C_READY;
	c->rlen = 0;
	switch (o.mode) {
	case M_HS:
		w->ops++;
		if (o.resume && c->tls != NULL) {
			if (gnutls_session_is_resumed(c->tls))
				w->resumed++;
			else {
				gnutls_free(w->sess.data);
				w->sess.data = NULL;
				w->sess.size = 0;
				(void)gnutls_session_get_data2(c->tls,
				    &w->sess);
			}
		}
		lat_add(w, now() - c->t0);
		conn_close(w, c);
		return 1;	/* open the next one */
	case M_IDLE:
		w->ops++;
		watch(w, c, 0);
		return 0;
	case M_UP:
		watch(w, c, 1);
		return 0;
	case M_DOWN:
		watch(w, c, 0);
		return 0;
	case M_RATE:
	case M_LAT:
		watch(w, c, o.mode == M_RATE);
		return 0;
	}
	return 0;
}

static int
negotiated(struct worker *w, struct conn *c)
{
	char hdr[256];

	if (o.xmpp) {
		header(hdr, sizeof(hdr));
		if (put(c, hdr, strlen(hdr)) != 0)
			return -1;
		c->st = C_FEAT;
		return 0;
	}
	/* A raw tunnel: an echo proves the backend is there (idle, lat). */
	if (o.mode == M_IDLE || o.mode == M_RATE || o.mode == M_LAT) {
		if (put(c, "ping\n", 5) != 0)
			return -1;
		c->st = C_PING;
		return 0;
	}
	if (o.mode == M_DOWN && put(c, "go\n", 3) != 0)
		return -1;
	return ready(w, c);
}

/* Bulk upload: send the payload round and round until EAGAIN. */
static int
pump_up(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t r;
		size_t n = payload_len - c->off;

		if (n > CHUNK)
			n = CHUNK;
		if (c->pend)
			r = gnutls_record_send(c->tls, NULL, 0);
		else
			r = gnutls_record_send(c->tls, payload + c->off, n);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			c->pend = 1;
			return 0;
		}
		c->pend = 0;
		if (r < 0)
			return gone("up", (long)r);
		w->bytes += (uint64_t)r;
		c->off = (c->off + (size_t)r) % payload_len;
		if (now() >= t_end)
			return 0;
	}
}

static int
pump_down(struct worker *w, struct conn *c)
{
	char buf[CHUNK];

	for (;;) {
		ssize_t r = c->tls != NULL ?
		    gnutls_record_recv(c->tls, buf, sizeof(buf)) :
		    recv(c->fd, buf, sizeof(buf), 0);

		if (c->tls != NULL && (r == GNUTLS_E_AGAIN ||
		    r == GNUTLS_E_INTERRUPTED))
			return 0;
		if (c->tls == NULL && r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			return gone("down", (long)r);
		w->bytes += (uint64_t)r;
	}
}

/* Stanzas echoed back: count whole 100-byte stanzas as they return. */
static int
echoes(struct worker *w, struct conn *c)
{
	char buf[CHUNK];

	for (;;) {
		ssize_t r = c->tls != NULL ?
		    gnutls_record_recv(c->tls, buf, sizeof(buf)) :
		    recv(c->fd, buf, sizeof(buf), 0);

		if (c->tls != NULL && (r == GNUTLS_E_AGAIN ||
		    r == GNUTLS_E_INTERRUPTED))
			return 0;
		if (c->tls == NULL && r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			return gone("echo", (long)r);
		c->echo += (size_t)r;
		while (c->echo >= STANZA_SMALL && c->inflight > 0) {
			c->echo -= STANZA_SMALL;
			c->inflight--;
			w->ops++;
			if (o.mode == M_LAT)
				lat_add(w, now() - c->t0);
		}
	}
}

static int
send_stanzas(struct worker *w, struct conn *c)
{
	char buf[STANZA_SMALL * 64];
	unsigned n = 0;

	(void)w;
	while (c->inflight + n < o.window && n < 64) {
		memcpy(buf + n * STANZA_SMALL, stanza, STANZA_SMALL);
		n++;
	}
	if (n == 0)
		return 0;
	c->inflight += n;
	return put(c, buf, (size_t)n * STANZA_SMALL);
}

/* Advance c as far as it goes; returns -1 when it is to be closed. */
static int
step(struct worker *w, struct conn *c, uint32_t events)
{
	char msg[256];
	int r, err;
	socklen_t el = sizeof(err);

	switch (c->st) {
	case C_CONNECT:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
		    err != 0)
			return -1;
		watch(w, c, 0);
		if (o.starttls) {
			header(msg, sizeof(msg));
			if (put_plain(c, msg, strlen(msg)) != 0)
				return -1;
			c->st = C_PRE_FEAT;
			return 0;
		}
		if (o.plain)
			return negotiated(w, c);
		if (start_tls(w, c) != 0)
			return -1;
		/* FALLTHROUGH */
	case C_HANDSHAKE:
		if (c->st == C_HANDSHAKE) {
			r = gnutls_handshake(c->tls);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
				watch(w, c, gnutls_record_get_direction(
				    c->tls));
				return 0;
			}
			if (r < 0)
				return -1;
			watch(w, c, 0);
			return negotiated(w, c);
		}
		return 0;
	case C_PRE_FEAT:
		if ((r = await(c, "</stream:features>", NULL)) <= 0)
			return r;
		if (put_plain(c, "<starttls xmlns='urn:ietf:params:xml:ns:"
		    "xmpp-tls'/>", 51) != 0)
			return -1;
		c->st = C_PROCEED;
		return 0;
	case C_PROCEED:
		if ((r = await(c, "<proceed", NULL)) <= 0)
			return r;
		if (start_tls(w, c) != 0)
			return -1;
		return step(w, c, events);
	case C_FEAT:
		if ((r = await(c, "</stream:features>", "<stream:features/>"))
		    <= 0)
			return r;
		/* A negotiation ends here; a session logs in first. */
		if (o.mode == M_HS || o.noauth)
			return ready(w, c);
		if (put(c, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"
		    " mechanism='PLAIN'>AGJlbmNoAGJlbmNo</auth>", 88) != 0)
			return -1;
		c->st = C_AUTH;
		return 0;
	case C_AUTH:
		if ((r = await(c, "<success", NULL)) <= 0)
			return r;
		header(msg, sizeof(msg));
		if (put(c, msg, strlen(msg)) != 0)
			return -1;
		c->st = C_FEAT2;
		return 0;
	case C_FEAT2:
		if ((r = await(c, "</stream:features>", "<stream:features/>"))
		    <= 0)
			return r;
		return ready(w, c);
	case C_PING:
		if ((r = await(c, "ping\n", NULL)) <= 0)
			return r;
		return ready(w, c);
	case C_READY:
		break;
	}
	switch (o.mode) {
	case M_HS:
		return 0;
	case M_IDLE:
		/* Anything but silence from an idle server is a close. */
		return fill(c) < 0 ? -1 : 0;
	case M_UP:
		if (events & EPOLLIN) {
			if (fill(c) < 0)
				return -1;
			c->rlen = 0;
		}
		return pump_up(w, c);
	case M_DOWN:
		return pump_down(w, c);
	case M_RATE:
		if (echoes(w, c) < 0)
			return -1;
		return send_stanzas(w, c);
	case M_LAT:
		return echoes(w, c);
	}
	return 0;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	double next_send = t_start, gap = 0;
	int announced = 0;
	unsigned rr = 0, opened = 0;

	if (o.mode == M_LAT && o.rate > 0)
		gap = (double)o.threads / o.rate;
	for (unsigned i = 0; i < w->nconns; i++) {
		w->conns[i].fd = -1;
		if (o.mode == M_HS && !claim())
			break;
		if (o.mode == M_IDLE && i >= IDLE_PENDING)
			break;	/* opened as others come up, below */
		conn_open(w, &w->conns[i]);
		opened++;
	}
	for (;;) {
		double t = now();
		int n, ms = 50;
		unsigned live = 0;

		if (t >= t_end || atomic_load(&stop_all))
			break;
		if (o.mode == M_LAT && gap > 0) {
			/* Paced: one stanza to the next idle connection. */
			while (t >= next_send) {
				for (unsigned k = 0; k < w->nconns; k++) {
					struct conn *c =
					    &w->conns[(rr + k) % w->nconns];

					if (c->fd >= 0 && c->st == C_READY &&
					    c->inflight == 0) {
						rr = (rr + k + 1) % w->nconns;
						c->t0 = now();
						c->inflight = 1;
						if (put(c, stanza,
						    STANZA_SMALL) != 0)
							w->errors++;
						break;
					}
				}
				next_send += gap;
				if (next_send < t - 0.01)
					next_send = t;	/* fell behind */
			}
			ms = (int)((next_send - t) * 1000);
			if (ms > 1)
				ms = 1;
		}
		if (o.mode == M_LAT && gap > 0) {
			struct timespec ts = { 0, (long)((next_send - t) *
			    1e9) };

			if (ts.tv_nsec < 0)
				ts.tv_nsec = 0;
			if (ts.tv_nsec > 1000000)
				ts.tv_nsec = 1000000;
			n = epoll_pwait2(w->ep, evs, 256, &ts, NULL);
		} else
			n = epoll_wait(w->ep, evs, 256, ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r;

			if (c->fd < 0)
				continue;
			r = step(w, c, evs[i].events);
			if (r < 0 && getenv("LOADGEN_DEBUG") != NULL)
				fprintf(stderr, "loadgen: close in state %d\n",
				    c->st);
			if (r < 0) {
				if (o.mode != M_IDLE || c->st != C_READY)
					w->errors++;
				conn_close(w, c);
			}
			if (c->fd < 0 && (o.mode == M_HS ||
			    (r < 0 && o.mode != M_IDLE)) && claim())
				conn_open(w, c);
		}
		if (o.mode == M_HS) {
			for (unsigned i = 0; i < w->nconns; i++)
				if (w->conns[i].fd >= 0)
					live++;
			if (live == 0)
				break;
		}
		if (o.mode == M_IDLE) {
			/* A bounded number of handshakes under way at once. */
			while (opened < w->nconns && opened - w->ops -
			    w->errors < IDLE_PENDING)
				conn_open(w, &w->conns[opened++]);
			if (!announced && opened == w->nconns &&
			    w->ops + w->errors == w->nconns) {
				announced = 1;
				printf("ready %llu\n",
				    (unsigned long long)w->ops);
				fflush(stdout);
			}
		}
	}
	for (unsigned i = 0; i < w->nconns; i++)
		conn_close(w, &w->conns[i]);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* In idle mode, end early when our stdin closes (the driver is done). */
static void *
watch_stdin(void *arg)
{
	char c;

	(void)arg;
	while (read(0, &c, 1) > 0)
		;
	atomic_store(&stop_all, 1);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct worker *ws;
	struct rlimit rl;
	uint64_t ops = 0, errors = 0, bytes = 0, resumed = 0;
	double *all = NULL, el;
	size_t nall = 0;
	int ch;
	pthread_t stdin_th;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "hs") == 0)
		o.mode = M_HS;
	else if (strcmp(argv[1], "up") == 0)
		o.mode = M_UP;
	else if (strcmp(argv[1], "down") == 0)
		o.mode = M_DOWN;
	else if (strcmp(argv[1], "idle") == 0)
		o.mode = M_IDLE;
	else if (strcmp(argv[1], "rate") == 0)
		o.mode = M_RATE;
	else if (strcmp(argv[1], "lat") == 0)
		o.mode = M_LAT;
	else
		usage();
	optind = 2;
	while ((ch = getopt(argc, argv, "Ac:d:h:n:NP:p:Rr:sT:t:w:x")) != -1) {
		switch (ch) {
		case 'A': o.noauth = 1; break;
		case 'c': o.conc = (unsigned)atoi(optarg); break;
		case 'd': o.domain = optarg; break;
		case 'h': o.host = optarg; break;
		case 'n': o.count = strtoull(optarg, NULL, 10); break;
		case 'N': o.plain = 1; break;
		case 'P': o.prio = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 's': o.starttls = 1; o.xmpp = 1; break;
		case 'T': o.threads = (unsigned)atoi(optarg); break;
		case 't': o.secs = atof(optarg); break;
		case 'w': o.window = (unsigned)atoi(optarg); break;
		case 'x': o.xmpp = 1; break;
		case 'R': o.resume = 1; break;
		default: usage();
		}
	}
	if (o.port <= 0 || o.conc == 0 || o.threads == 0 ||
	    o.threads > o.conc)
		usage();
	if (o.mode == M_IDLE) {
		o.conc = (unsigned)o.count;
		o.threads = 1;
	}
	/* Many connections at once: the hard limit is ours to use. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&target, 0, sizeof(target));
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.host, &target.sin_addr) != 1)
		usage();
	make_payload();
	gnutls_global_init();
	/* No chain check: the client's share of the work stays small. */
	if (gnutls_certificate_allocate_credentials(&creds) < 0 ||
	    gnutls_priority_init(&prio, o.prio, NULL) < 0) {
		fprintf(stderr, "loadgen: bad priority %s\n", o.prio);
		return 1;
	}
	if ((ws = calloc(o.threads, sizeof(*ws))) == NULL)
		die("calloc");
	t_start = now();
	t_end = t_start + o.secs;
	if (o.mode == M_IDLE)
		pthread_create(&stdin_th, NULL, watch_stdin, NULL);
	for (unsigned i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];

		w->idx = i;
		w->nconns = o.conc / o.threads + (i < o.conc % o.threads);
		if ((w->conns = calloc(w->nconns, sizeof(*w->conns))) == NULL)
			die("calloc");
		if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			die("epoll_create1");
		if (pthread_create(&w->th, NULL, run, w) != 0)
			die("pthread_create");
	}
	for (unsigned i = 0; i < o.threads; i++) {
		pthread_join(ws[i].th, NULL);
		ops += ws[i].ops;
		resumed += ws[i].resumed;
		errors += ws[i].errors;
		bytes += ws[i].bytes;
		if (ws[i].nlat > 0) {
			double *n = realloc(all, (nall + ws[i].nlat) *
			    sizeof(*all));

			if (n != NULL) {
				all = n;
				memcpy(all + nall, ws[i].lat,
				    ws[i].nlat * sizeof(*all));
				nall += ws[i].nlat;
			}
		}
	}
	el = now() - t_start;
	if (el > o.secs)
		el = o.secs;
	printf("ops=%llu errors=%llu bytes=%llu secs=%.3f",
	    (unsigned long long)ops, (unsigned long long)errors,
	    (unsigned long long)bytes, el);
	if (o.resume)
		printf(" resumed=%llu", (unsigned long long)resumed);
	if (nall > 0) {
		qsort(all, nall, sizeof(*all), cmp_double);
		printf(" p50_us=%.1f p99_us=%.1f",
		    all[nall / 2] * 1e6, all[(size_t)(nall * 0.99)] * 1e6);
	}
	printf("\n");
	return 0;
}
