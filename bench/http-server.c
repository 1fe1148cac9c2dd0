/*
 * bench/http-server.c: the loopback target of bench/health.sh. One epoll
 * loop answers every request with 200 "ok" and closes the connection, as
 * scripts/http-test-server.py --fast does, but at a few microseconds of CPU
 * per connection, so that the benchmark measures the probing tool rather
 * than the server. Both tools of the benchmark probe the same server. It
 * reads a request up to the blank line that ends its header and does not
 * look at it any further: a benchmark target, not an HTTP implementation.
 *
 *   cc -O2 -o http-server bench/http-server.c && ./http-server PORT_FILE
 *
 * Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening);
 * SIGTERM or SIGINT stops it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 65536

static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			   "Content-Length: 3\r\nConnection: close\r\n\r\nok\n";

/* Per connection: how much of "\r\n\r\n" the bytes read so far end with. */
static unsigned char matched[MAX_FDS];

/* Feed bytes to the end-of-header matcher; 1 when the header is complete. */
static int
header_done(int fd, const char *p, size_t n)
{
	static const char end[] = "\r\n\r\n";
	unsigned m = matched[fd];
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == end[m])
			m++;
		else
			m = p[i] == '\r' ? 1 : 0;
		if (m == 4)
			return 1;
	}
	matched[fd] = (unsigned char)m;
	return 0;
}

static void
drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct epoll_event ev, evs[256];
	int ls, ep, one = 1;

	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4096) ||
	    getsockname(ls, (struct sockaddr *)&a, &alen)) {
		perror("bind/listen");
		return 1;
	}
	if (argc > 1) {
		char tmp[4096];
		FILE *f;
		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) ||
		    rename(tmp, argv[1])) {
			perror(argv[1]);
			return 1;
		}
	} else {
		printf("%d\n", ntohs(a.sin_port));
		fflush(stdout);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1), i;

		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[4096];
			ssize_t r;

			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (c >= MAX_FDS) {
						close(c);
						continue;
					}
					matched[c] = 0;
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				drop(ep, fd);
				continue;
			}
			if (header_done(fd, buf, (size_t)r)) {
				/* a fresh socket's buffer takes the whole answer */
				if (write(fd, resp, sizeof(resp) - 1) < 0) {
					/* the client went away: nothing to answer */
				}
				drop(ep, fd);
			}
		}
	}
}
