/*
 * minrelay.c: the floor portcullis is measured against: the least a
 * GnuTLS relay can do.  One thread, epoll, GnuTLS reading and writing
 * the socket itself, the backend connected on the first record of
 * application data, plaintext copied straight through, nothing parsed,
 * nothing logged.
 *
 *   minrelay -p port -b backend_port -c chain.pem -k key.pem -P priority
 *
 * Flow control is deliberately crude: a write that would block waits in
 * poll() for its socket.  That costs wall time, not CPU, and CPU per
 * operation is what the benchmark compares.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define RECORD	16384

struct end {
	struct relay	*r;
	int		 fd;
	int		 is_backend;
};

struct relay {
	struct end	 c, b;
	gnutls_session_t tls;
	int		 up;		/* handshake done */
};

static gnutls_certificate_credentials_t creds;
static gnutls_priority_t prio;
static struct sockaddr_in backend;
static int		 ep;

static void
die(const char *what)
{
	fprintf(stderr, "minrelay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
relay_free(struct relay *r)
{
	close(r->c.fd);
	if (r->b.fd >= 0)
		close(r->b.fd);
	gnutls_deinit(r->tls);
	free(r);
}

static void
wait_out(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };

	poll(&p, 1, 1000);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			wait_out(fd);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
backend_open(struct relay *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &r->b };
	int one = 1, fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&backend, sizeof(backend)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->b.fd = fd;
	r->b.r = r;
	r->b.is_backend = 1;
	/* Non-blocking from here on, like the client side. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

/* TLS side readable: handshake, or decrypt and pass to the backend. */
static int
client_input(struct relay *r)
{
	char buf[RECORD];
	int rc;

	if (!r->up) {
		rc = gnutls_handshake(r->tls);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			return 0;
		if (rc < 0)
			return -1;
		r->up = 1;
	}
	for (;;) {
		ssize_t n = gnutls_record_recv(r->tls, buf, sizeof(buf));

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		if (n <= 0)
			return -1;
		if (r->b.fd < 0 && backend_open(r) != 0)
			return -1;
		if (write_all(r->b.fd, buf, (size_t)n) != 0)
			return -1;
	}
}

/* Backend readable: encrypt what it says, one record per read. */
static int
backend_input(struct relay *r)
{
	char buf[RECORD];

	for (;;) {
		ssize_t n = recv(r->b.fd, buf, sizeof(buf), 0);
		const char *p = buf;

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		while (n > 0) {
			ssize_t w = gnutls_record_send(r->tls, p, (size_t)n);

			while (w == GNUTLS_E_AGAIN ||
			    w == GNUTLS_E_INTERRUPTED) {
				wait_out(r->c.fd);
				w = gnutls_record_send(r->tls, NULL, 0);
			}
			if (w < 0)
				return -1;
			p += w;
			n -= w;
		}
	}
}

static void
accept_all(int lfd)
{
	int fd, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		struct relay *r = calloc(1, sizeof(*r));
		struct epoll_event ev = { .events = EPOLLIN };

		if (r == NULL || gnutls_init(&r->tls, GNUTLS_SERVER |
		    GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) {
			free(r);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		r->c.fd = fd;
		r->c.r = r;
		r->b.fd = -1;
		gnutls_priority_set(r->tls, prio);
		gnutls_credentials_set(r->tls, GNUTLS_CRD_CERTIFICATE, creds);
		gnutls_transport_set_int(r->tls, fd);
		ev.data.ptr = &r->c;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

int
main(int argc, char *argv[])
{
	const char *chain = NULL, *key = NULL, *pstr = NULL;
	struct sockaddr_in sa;
	struct epoll_event evs[256], lev;
	struct rlimit rl;
	int lfd, one = 1, port = 0, bport = 0, ch;

	while ((ch = getopt(argc, argv, "b:c:k:P:p:")) != -1) {
		switch (ch) {
		case 'b': bport = atoi(optarg); break;
		case 'c': chain = optarg; break;
		case 'k': key = optarg; break;
		case 'P': pstr = optarg; break;
		case 'p': port = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (port <= 0 || bport <= 0 || chain == NULL || key == NULL ||
	    pstr == NULL)
		goto usage;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	gnutls_global_init();
	if (gnutls_certificate_allocate_credentials(&creds) < 0 ||
	    gnutls_certificate_set_x509_key_file(creds, chain, key,
	    GNUTLS_X509_FMT_PEM) < 0) {
		fprintf(stderr, "minrelay: cannot load %s, %s\n", chain, key);
		return 1;
	}
	if (gnutls_priority_init(&prio, pstr, NULL) < 0) {
		fprintf(stderr, "minrelay: bad priority %s\n", pstr);
		return 1;
	}
	memset(&backend, 0, sizeof(backend));
	backend.sin_family = AF_INET;
	backend.sin_port = htons((uint16_t)bport);
	backend.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa = backend;
	sa.sin_port = htons((uint16_t)port);
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
			struct end *e = evs[i].data.ptr;
			struct relay *r;
			int rc;

			if (evs[i].events == 0)
				continue;	/* its relay is gone */
			if (e == NULL) {
				accept_all(lfd);
				continue;
			}
			r = e->r;
			rc = e->is_backend ? backend_input(r) :
			    client_input(r);
			if (rc < 0) {
				/* Later events of this batch may name r. */
				epoll_ctl(ep, EPOLL_CTL_DEL, r->c.fd, NULL);
				if (r->b.fd >= 0)
					epoll_ctl(ep, EPOLL_CTL_DEL, r->b.fd,
					    NULL);
				for (int j = i + 1; j < n; j++) {
					struct end *x = evs[j].data.ptr;

					if (x != NULL && x->r == r)
						evs[j].events = 0;
				}
				relay_free(r);
			}
		}
	}
usage:
	fprintf(stderr, "usage: minrelay -p port -b backend_port"
	    " -c chain.pem -k key.pem -P priority\n");
	return 2;
}
