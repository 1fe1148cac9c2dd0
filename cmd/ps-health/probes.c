/*
 * ps-health: probes that are not HTTP. Each runs blocking (in a worker
 * thread of the runner) with retries and backoff inside its timeout, and
 * gives up at once when the cancel descriptor becomes readable.
 */
#include "cmd/ps-health/health.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/pg.h"

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for events on fd (or only the cancel fd / deadline when fd < 0).
 * 1 ready, 0 deadline, -1 cancelled. */
static int
wait_for(int fd, short events, double deadline, int cancel_fd)
{
	struct pollfd pf[2];
	nfds_t n = 0;
	int cancel_at = -1;

	for (;;) {
		double left = deadline - mono_now();
		n = 0;
		if (left <= 0)
			return 0;
		if (fd >= 0) {
			pf[n].fd = fd;
			pf[n].events = events;
			pf[n++].revents = 0;
		}
		if (cancel_fd >= 0) {
			cancel_at = (int)n;
			pf[n].fd = cancel_fd;
			pf[n].events = POLLIN;
			pf[n++].revents = 0;
		}
		int rc = poll(pf, n, (int)(left * 1000.0) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (cancel_at >= 0 && pf[cancel_at].revents)
			return -1;
		if (rc > 0)
			return 1;
	}
}

/* ---- tcp ---- */

static int
tcp_attempt(const struct hcheck *c, double deadline, int cancel_fd,
	    struct hresult *r, double *dns_s, double *conn_s)
{
	struct addrinfo hints, *res = NULL, *ai;
	double t0 = mono_now(), t1;
	int fd = -1, rc, ok = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(c->host, c->port, &hints, &res);
	t1 = mono_now();
	*dns_s = t1 - t0;
	if (rc) {
		snprintf(r->error, sizeof(r->error), "cannot resolve %s: %s", c->host,
			 gai_strerror(rc));
		return -1;
	}
	snprintf(r->error, sizeof(r->error), "no address for %s", c->host);
	for (ai = res; ai && !ok; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = 1;
			break;
		}
		if (errno != EINPROGRESS) {
			snprintf(r->error, sizeof(r->error), "connect: %s", strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		rc = wait_for(fd, POLLOUT, deadline, cancel_fd);
		if (rc <= 0) {
			snprintf(r->error, sizeof(r->error), rc == 0 ?
				 "connection timed out" : "cancelled");
			close(fd);
			fd = -1;
			break;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			snprintf(r->error, sizeof(r->error), "connect: %s", strerror(soerr));
			close(fd);
			fd = -1;
			continue;
		}
		ok = 1;
	}
	freeaddrinfo(res);
	*conn_s = mono_now() - t1;
	if (!ok)
		return -1;
	r->error[0] = 0;
	if (c->send) {
		size_t len = strlen(c->send), off = 0;
		while (off < len) {
			ssize_t w = send(fd, c->send + off, len - off, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_for(fd, POLLOUT, deadline, cancel_fd) <= 0) {
					snprintf(r->error, sizeof(r->error), "send timed out");
					goto out;
				}
				continue;
			}
			if (w < 0) {
				snprintf(r->error, sizeof(r->error), "send: %s", strerror(errno));
				goto out;
			}
			off += (size_t)w;
		}
	}
	if (c->expect) {
		struct ps_buf got = { 0 };
		char buf[4096];
		for (;;) {
			if (memmem(ps_buf_str(&got), got.len, c->expect, strlen(c->expect)))
				break;
			rc = wait_for(fd, POLLIN, deadline, cancel_fd);
			if (rc <= 0) {
				snprintf(r->error, sizeof(r->error), rc == 0 ?
					 "timed out waiting for \"%.80s\"" : "cancelled", c->expect);
				break;
			}
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				snprintf(r->error, sizeof(r->error),
					 "connection closed before \"%.80s\" arrived", c->expect);
				break;
			}
			if (got.len < 65536)
				ps_buf_add(&got, buf, (size_t)n);
		}
		ps_buf_free(&got);
	}
out:
	close(fd);
	return r->error[0] ? -1 : 0;
}

static void
tcp_probe(const struct hcheck *c, int cancel_fd, struct hresult *r)
{
	double start = mono_now(), deadline = start + c->timeout, dns = 0, conn = 0, t0;

	for (;;) {
		t0 = mono_now();
		r->attempts++;
		r->error[0] = 0;
		if (tcp_attempt(c, deadline, cancel_fd, r, &dns, &conn) == 0) {
			r->ok = 1;
			break;
		}
		double wait = ps_http_backoff(r->attempts);
		if (r->attempts > c->retries || mono_now() + wait + 0.05 >= deadline ||
		    strcmp(r->error, "cancelled") == 0)
			break;
		if (wait_for(-1, 0, mono_now() + wait, cancel_fd) < 0) {
			snprintf(r->error, sizeof(r->error), "cancelled");
			break;
		}
	}
	r->latency = mono_now() - t0;
	json_object_set_new(r->phases, "dns", json_real(dns));
	json_object_set_new(r->phases, "connect", json_real(conn));
	json_object_set_new(r->phases, "total", json_real(r->latency));
	(void)start;
}

/* ---- postgres ---- */

static void
pg_probe(const struct hcheck *c, int cancel_fd, struct hresult *r)
{
	double deadline = mono_now() + c->timeout;
	struct ps_pg_health h;

	for (;;) {
		double left = deadline - mono_now();
		r->attempts++;
		if (ps_pg_ping(c->url, left, cancel_fd, &h) == 0) {
			r->ok = 1;
			r->error[0] = 0;
			break;
		}
		snprintf(r->error, sizeof(r->error), "%s", h.error);
		double wait = ps_http_backoff(r->attempts);
		if (r->attempts > c->retries || mono_now() + wait + 0.05 >= deadline ||
		    strcmp(h.error, "cancelled") == 0)
			break;
		if (wait_for(-1, 0, mono_now() + wait, cancel_fd) < 0) {
			snprintf(r->error, sizeof(r->error), "cancelled");
			break;
		}
	}
	r->latency = h.latency;
	json_object_set_new(r->phases, "connect", json_real(h.connect_s));
	json_object_set_new(r->phases, "query", json_real(h.query_s));
	json_object_set_new(r->phases, "total", json_real(h.latency));
	if (h.ok) {
		r->extra = json_object();
		json_object_set_new(r->extra, "server_version", json_string(h.version));
		json_object_set_new(r->extra, "server_version_num", json_integer(h.server_version));
		json_object_set_new(r->extra, "in_recovery", json_boolean(h.in_recovery));
	}
}

/* ---- local resources ---- */

static void
disk_probe(const struct hcheck *c, struct hresult *r)
{
	struct statvfs sv;
	double used, avail, pct;

	r->attempts = 1;
	if (statvfs(c->path, &sv)) {
		snprintf(r->error, sizeof(r->error), "cannot stat '%.200s': %s", c->path,
			 strerror(errno));
		return;
	}
	used = (double)(sv.f_blocks - sv.f_bfree) * (double)sv.f_frsize;
	avail = (double)sv.f_bavail * (double)sv.f_frsize;
	pct = used + avail > 0 ? 100.0 * used / (used + avail) : 0;
	r->extra = json_object();
	json_object_set_new(r->extra, "used_pct", json_real(round(pct * 100) / 100));
	json_object_set_new(r->extra, "free_bytes", json_integer((json_int_t)avail));
	json_object_set_new(r->extra, "size_bytes", json_integer((json_int_t)(used + avail)));
	r->ok = 1;
	if (c->max_used_pct > 0 && pct > c->max_used_pct) {
		r->ok = 0;
		snprintf(r->error, sizeof(r->error), "%.1f%% used, above %.1f%%", pct,
			 c->max_used_pct);
	} else if (c->min_free && avail < (double)c->min_free) {
		r->ok = 0;
		snprintf(r->error, sizeof(r->error), "%.0f bytes free, below %llu", avail,
			 c->min_free);
	}
}

static void
memory_probe(const struct hcheck *c, struct hresult *r)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long total = 0, avail = 0, v;
	double pct;

	r->attempts = 1;
	if (!f) {
		snprintf(r->error, sizeof(r->error), "cannot read /proc/meminfo: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
			total = v * 1024;
		else if (sscanf(line, "MemAvailable: %llu kB", &v) == 1)
			avail = v * 1024;
	}
	fclose(f);
	if (!total) {
		snprintf(r->error, sizeof(r->error), "no MemTotal in /proc/meminfo");
		return;
	}
	pct = 100.0 * (double)avail / (double)total;
	r->extra = json_object();
	json_object_set_new(r->extra, "available_bytes", json_integer((json_int_t)avail));
	json_object_set_new(r->extra, "total_bytes", json_integer((json_int_t)total));
	json_object_set_new(r->extra, "available_pct", json_real(round(pct * 100) / 100));
	r->ok = 1;
	if (c->min_available && avail < c->min_available) {
		r->ok = 0;
		snprintf(r->error, sizeof(r->error), "%llu bytes available, below %llu", avail,
			 c->min_available);
	} else if (c->min_available_pct > 0 && pct < c->min_available_pct) {
		r->ok = 0;
		snprintf(r->error, sizeof(r->error), "%.1f%% available, below %.1f%%", pct,
			 c->min_available_pct);
	}
}

static void
load_probe(const struct hcheck *c, struct hresult *r)
{
	double la[3];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	r->attempts = 1;
	if (getloadavg(la, 3) != 3) {
		snprintf(r->error, sizeof(r->error), "cannot read the load average");
		return;
	}
	r->extra = json_object();
	json_object_set_new(r->extra, "load1", json_real(la[0]));
	json_object_set_new(r->extra, "load5", json_real(la[1]));
	json_object_set_new(r->extra, "load15", json_real(la[2]));
	json_object_set_new(r->extra, "cpus", json_integer(cpus));
	r->ok = 1;
	if (c->max_load > 0 && la[0] > c->max_load) {
		r->ok = 0;
		snprintf(r->error, sizeof(r->error), "load %.2f above %.2f", la[0], c->max_load);
	}
}

void
hprobe_run(const struct hcheck *c, int cancel_fd, struct hresult *r)
{
	double t0 = mono_now();

	r->status = -1;
	r->phases = json_object();
	switch (c->kind) {
	case HK_TCP:
		tcp_probe(c, cancel_fd, r);
		break;
	case HK_POSTGRES:
		pg_probe(c, cancel_fd, r);
		break;
	case HK_DISK:
		disk_probe(c, r);
		break;
	case HK_MEMORY:
		memory_probe(c, r);
		break;
	case HK_LOAD:
		load_probe(c, r);
		break;
	case HK_HTTP:
		snprintf(r->error, sizeof(r->error), "HTTP checks run through lib/http");
		break;
	}
	if (c->kind >= HK_DISK) {
		r->latency = mono_now() - t0;
		json_object_set_new(r->phases, "total", json_real(r->latency));
	}
}
