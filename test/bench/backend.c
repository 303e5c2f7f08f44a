/*
 * backend.c: the plaintext server behind the proxies under test.
 *
 *   backend sink|echo|source [-x] [-d domain] -p port
 *
 * sink discards what it reads, echo sends it back, source answers the
 * first bytes it reads with an endless stream.  With -x it speaks just
 * enough XMPP for portcullis: it answers a stream header with its own
 * and features, a SASL <auth/> with <success/>, the restarted stream's
 * header with a header again (none of that is echoed), and source then
 * sends whole <message/> stanzas.  One epoll thread;
 * it runs until killed.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	16384
#define RBUF	65536

enum mode { B_SINK, B_ECHO, B_SOURCE };

struct conn {
	int		 fd;
	unsigned	 phase;		/* -x: 0 header, 1 auth, 2 header,
					   3 relaying */
	int		 sourcing;
	char		*pend;		/* echo bytes not yet written */
	size_t		 plen, poff;
	size_t		 off;		/* source: offset into the payload */
	int		 want_out;
};

static enum mode	 mode;
static int		 xmpp;
static const char	*domain = "bench.test";
static char		*payload;
static size_t		 payload_len;
static int		 ep;

static void
die(const char *what)
{
	fprintf(stderr, "backend: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
make_payload(void)
{
	const char *open = "<message from='source@bench.test' type='chat'>"
	    "<body>";
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
}

static void
watch(struct conn *c, int out)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c
	};

	if (c->want_out == out)
		return;
	c->want_out = out;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
drop(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pend);
	free(c);
}

/* Write the pending echo bytes; -1 on error. */
static int
flush(struct conn *c)
{
	while (c->poff < c->plen) {
		ssize_t r = send(c->fd, c->pend + c->poff, c->plen - c->poff,
		    MSG_NOSIGNAL);

		if (r < 0 && errno == EAGAIN) {
			watch(c, 1);
			return 0;
		}
		if (r < 0)
			return -1;
		c->poff += (size_t)r;
	}
	c->poff = c->plen = 0;
	watch(c, c->sourcing);
	return 0;
}

static int
queue(struct conn *c, const char *p, size_t n)
{
	char *d;

	if (c->plen + n > 4 * RBUF)
		return -1;	/* a client that never reads */
	if ((d = realloc(c->pend, c->plen + n)) == NULL)
		return -1;
	memcpy(d + c->plen, p, n);
	c->pend = d;
	c->plen += n;
	return 0;
}

static int
source(struct conn *c)
{
	for (;;) {
		size_t n = payload_len - c->off;
		ssize_t r;

		if (n > CHUNK)
			n = CHUNK;
		r = send(c->fd, payload + c->off, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EAGAIN) {
			watch(c, 1);
			return 0;
		}
		if (r < 0)
			return -1;
		c->off = (c->off + (size_t)r) % payload_len;
	}
}

/*
 * The negotiation a client does before relaying, one step per read (the
 * client waits for each answer): header, <auth/>, header again.  Returns
 * how many bytes of buf it used, or -1.
 */
static size_t
negotiate(struct conn *c, const char *buf, size_t n)
{
	char hdr[512];
	const char *end;

	if (c->phase == 1) {
		if ((end = memmem(buf, n, "</auth>", 7)) == NULL)
			return n;
		c->phase++;
		if (queue(c, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"
		    "/>", 51) != 0)
			return (size_t)-1;
		return (size_t)(end - buf) + 7;
	}
	if ((end = memmem(buf, n, "<stream:stream", 14)) == NULL ||
	    (end = memchr(end, '>', n - (size_t)(end - buf))) == NULL)
		return n;
	c->phase++;
	snprintf(hdr, sizeof(hdr), "<?xml version='1.0'?><stream:stream"
	    " xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/"
	    "streams' id='b%u' from='%s' version='1.0'><stream:features>"
	    "%s</stream:features>", c->phase, domain, c->phase == 1 ?
	    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
	    "<mechanism>PLAIN</mechanism></mechanisms>" :
	    "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>");
	if (queue(c, hdr, strlen(hdr)) != 0)
		return (size_t)-1;
	return (size_t)(end - buf) + 1;
}

static int
on_readable(struct conn *c)
{
	static char buf[RBUF];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
		size_t skip = 0;

		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			return -1;
		if (xmpp && c->phase < 3) {
			if ((skip = negotiate(c, buf, (size_t)r)) ==
			    (size_t)-1)
				return -1;
			if (c->phase == 3 && mode == B_SOURCE)
				c->sourcing = 1;
		} else if (!xmpp && mode == B_SOURCE)
			c->sourcing = 1;
		if (mode == B_ECHO && (size_t)r > skip &&
		    queue(c, buf + skip, (size_t)r - skip) != 0)
			return -1;
		if (c->plen > 0 && flush(c) != 0)
			return -1;
		if (c->sourcing && c->plen == 0 && source(c) != 0)
			return -1;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa;
	struct epoll_event evs[256], lev;
	struct rlimit rl;
	int lfd, one = 1, port = 0, ch;

	if (argc < 2)
		goto usage;
	if (strcmp(argv[1], "sink") == 0)
		mode = B_SINK;
	else if (strcmp(argv[1], "echo") == 0)
		mode = B_ECHO;
	else if (strcmp(argv[1], "source") == 0)
		mode = B_SOURCE;
	else
		goto usage;
	optind = 2;
	while ((ch = getopt(argc, argv, "d:p:x")) != -1) {
		switch (ch) {
		case 'd': domain = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'x': xmpp = 1; break;
		default: goto usage;
		}
	}
	if (port <= 0)
		goto usage;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	make_payload();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0)
		die("bind");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	lev.events = EPOLLIN;
	lev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r = 0;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event ev;

					if ((c = calloc(1, sizeof(*c))) ==
					    NULL) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					c->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				r = on_readable(c);
			if (r == 0 && (evs[i].events & EPOLLOUT)) {
				if (c->plen > 0)
					r = flush(c);
				if (r == 0 && c->sourcing && c->plen == 0)
					r = source(c);
			}
			if (r < 0)
				drop(c);
		}
	}
usage:
	fprintf(stderr, "usage: backend sink|echo|source [-x] [-d domain]"
	    " -p port\n");
	return 2;
}
