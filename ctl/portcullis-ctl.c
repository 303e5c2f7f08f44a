/*
 * portcullis-ctl.c: ask a running portcullis about its connections.
 *
 * Sends one command line to the control socket and prints the reply.
 * The socket is named by -s, else by the 'control' setting of the
 * configuration file (-f, default /etc/portcullis/portcullis.conf), else
 * it is the built-in default.  A reply starting with "error: " goes to
 * standard error and the exit status is 1.  No libuv here: a blocking
 * client with a deadline is all this needs.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"

#define DEFAULT_CONF	"/etc/portcullis/portcullis.conf"
#define DEFAULT_SOCKET	"/run/portcullis/control.sock"
#define TIMEOUT_S	10

static void
usage(FILE *f)
{
	fprintf(f, "usage: portcullis-ctl [-f file | -s socket] command"
	    " [argument]\n"
	    "  -f file    read the socket's name from this configuration\n"
	    "             (default " DEFAULT_CONF ")\n"
	    "  -s socket  the control socket (default " DEFAULT_SOCKET ")\n"
	    "commands:\n"
	    "  status        live connections, one per line\n"
	    "  status json   the same as JSON\n"
	    "  show ID       one connection, every field\n"
	    "  metrics       counters in OpenMetrics text\n"
	    "  help          the commands the daemon knows\n");
}

/*
 * The socket a configuration file names.  An unreadable default file is
 * not an error (the built-in default applies); a named one is.
 */
static int
socket_from_conf(const char *conf, int named, char *out, size_t len)
{
	struct pol_diag diag;
	struct pol *p;

	if (pol_load(conf, &p, &diag) != 0) {
		if (!named)
			return 0;
		if (diag.line > 0)
			fprintf(stderr, "portcullis-ctl: %s:%d: %s\n",
			    diag.file, diag.line, diag.msg);
		else
			fprintf(stderr, "portcullis-ctl: %s: %s\n", diag.file,
			    diag.msg);
		return -1;
	}
	if (p->control.socket == NULL) {
		fprintf(stderr, "portcullis-ctl: %s turns the control socket"
		    " off\n", conf);
		pol_unref(p);
		return -1;
	}
	snprintf(out, len, "%s", p->control.socket);
	pol_unref(p);
	return 0;
}

int
main(int argc, char *argv[])
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *conf = NULL, *sock = NULL;
	struct sockaddr_un sun;
	struct timeval tv = { TIMEOUT_S, 0 };
	char cmd[256], *reply = NULL;
	size_t len = 0, cap = 0;
	int ch, fd, n;

	while ((ch = getopt(argc, argv, "f:hs:")) != -1) {
		switch (ch) {
		case 'f':
			conf = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2 || (conf != NULL && sock != NULL)) {
		usage(stderr);
		return 2;
	}
	n = snprintf(cmd, sizeof(cmd), "%s%s%s\n", argv[0], argc > 1 ? " " :
	    "", argc > 1 ? argv[1] : "");
	if (n < 0 || (size_t)n >= sizeof(cmd) || strchr(cmd, '\n') !=
	    cmd + n - 1) {
		fprintf(stderr, "portcullis-ctl: command too long\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s", DEFAULT_SOCKET);
	if (sock != NULL) {
		if (strlen(sock) >= sizeof(path)) {
			fprintf(stderr, "portcullis-ctl: socket path too"
			    " long\n");
			return 2;
		}
		snprintf(path, sizeof(path), "%s", sock);
	} else if (socket_from_conf(conf != NULL ? conf : DEFAULT_CONF,
	    conf != NULL, path, sizeof(path)) != 0)
		return 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "portcullis-ctl: %s: %s%s\n", path,
		    strerror(errno), errno == ENOENT || errno ==
		    ECONNREFUSED ? " (is portcullis running? is this the"
		    " socket its configuration names?)" : errno == EACCES ?
		    " (the socket is for root; see 'mode' in"
		    " portcullis.conf(5))" : "");
		return 1;
	}
	if (write(fd, cmd, (size_t)n) != n) {
		fprintf(stderr, "portcullis-ctl: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t r;

		if (len + 4096 + 1 > cap) {
			char *p;

			cap = cap == 0 ? 65536 : cap * 2;
			if ((p = realloc(reply, cap)) == NULL) {
				fprintf(stderr, "portcullis-ctl: out of"
				    " memory\n");
				return 1;
			}
			reply = p;
		}
		r = read(fd, reply + len, cap - len - 1);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "portcullis-ctl: %s: %s\n", path,
			    errno == EAGAIN ? "no answer within 10 s" :
			    strerror(errno));
			return 1;
		}
		len += (size_t)r;
	}
	close(fd);
	if (len == 0) {
		fprintf(stderr, "portcullis-ctl: %s: empty reply\n", path);
		return 1;
	}
	if (len >= 7 && memcmp(reply, "error: ", 7) == 0) {
		fwrite(reply, 1, len, stderr);
		free(reply);
		return 1;
	}
	if (fwrite(reply, 1, len, stdout) != len || fflush(stdout) != 0) {
		free(reply);
		return 1;
	}
	free(reply);
	return 0;
}
