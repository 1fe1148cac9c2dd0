/*
 * ps-health's runner: every check concurrently, HTTP(S) through one libcurl
 * multi handle, the other kinds in worker threads that report through a
 * pipe, which also carries the wake-up of the signal handler. A hung target
 * holds only its own slot, and only for its own timeout.
 */
#include "cmd/ps-health/health.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/time.h"

struct runner;

struct job {
	struct runner *run;
	size_t ci;
	pthread_t th;
	struct hresult res;
	struct job *next;
};

struct httpjob {
	struct runner *run;
	size_t ci;
};

struct runner {
	struct hconfig *cfg;
	const struct hrun_opts *o;
	int done_rd, done_wr;		/* job pointers; NULL = wake up */
	int cancel_rd, cancel_wr;	/* readable = abandon probes */
	size_t threads;			/* worker threads running */
	struct job *jobs;		/* all started jobs not yet joined */
	struct httpjob *hjobs;		/* [n checks]: one probe in flight per check */
};

static int wake_fd = -1;

void
hrun_wake(void)
{
	void *nothing = NULL;
	ssize_t w;

	if (wake_fd >= 0) {
		w = write(wake_fd, &nothing, sizeof(nothing));
		(void)w;
	}
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
deliver(struct runner *run, size_t ci, struct hresult *r)
{
	struct hcheck *c = &run->cfg->checks[ci];

	c->in_flight = 0;
	c->done_once = 1;
	c->last_ok = r->ok;
	run->o->on_result(run->o->ctx, ci, r);
	json_decref(r->phases);
	json_decref(r->extra);
	r->phases = r->extra = NULL;
}

static void
on_http(void *user, struct ps_http_result *hr)
{
	struct httpjob *hj = user;
	struct hresult r;

	memset(&r, 0, sizeof(r));
	r.ok = hr->ok;
	r.status = hr->status;
	r.latency = hr->latency;
	r.attempts = hr->attempts;
	r.tls_expires_at = hr->tls_expires_at;
	snprintf(r.error, sizeof(r.error), "%s", hr->error);
	r.phases = json_object();
	json_object_set_new(r.phases, "dns", json_real(hr->phases.dns));
	json_object_set_new(r.phases, "connect", json_real(hr->phases.connect));
	json_object_set_new(r.phases, "tls", json_real(hr->phases.tls));
	json_object_set_new(r.phases, "first_byte", json_real(hr->phases.first_byte));
	json_object_set_new(r.phases, "transfer", json_real(hr->phases.transfer));
	json_object_set_new(r.phases, "total", json_real(hr->phases.total));
	r.at = ps_time_now();
	deliver(hj->run, hj->ci, &r);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	ssize_t w;

	hprobe_run(&j->run->cfg->checks[j->ci], j->run->cancel_rd, &j->res);
	j->res.at = ps_time_now();
	do
		w = write(j->run->done_wr, &j, sizeof(j));
	while (w < 0 && errno == EINTR);
	return NULL;
}

static int
start(struct runner *run, struct ps_http_multi *m, size_t ci, struct ps_error *err)
{
	struct hcheck *c = &run->cfg->checks[ci];

	if (c->kind == HK_HTTP) {
		struct ps_http_req req;
		struct httpjob *hj = &run->hjobs[ci];
		memset(&req, 0, sizeof(req));
		req.url = c->url;
		req.method = c->method;
		req.headers = (const char *const *)c->headers;
		req.timeout = c->timeout;
		req.retries = (int)c->retries;
		req.insecure = c->insecure;
		req.ca_file = c->ca_file;
		req.follow_redirects = c->follow_redirects;
		req.expect.status = c->expect_status;
		req.expect.body_contains = c->body_contains;
		req.expect.json_field = c->json_field;
		req.expect.json_equals = c->json_equals;
		req.expect.max_latency = c->max_latency;
		hj->run = run;
		hj->ci = ci;
		if (ps_http_multi_add(m, &req, on_http, hj, err))
			return -1;
	} else {
		struct job *j = ps_xcalloc(1, sizeof(*j));
		j->run = run;
		j->ci = ci;
		if (pthread_create(&j->th, NULL, worker, j)) {
			free(j);
			return ps_error_set(err, PS_EXIT_OPER, "cannot start a thread: %s",
					    strerror(errno));
		}
		j->next = run->jobs;
		run->jobs = j;
		run->threads++;
	}
	c->in_flight = 1;
	return 0;
}

static void
unlink_job(struct runner *run, struct job *j)
{
	struct job **pp;

	for (pp = &run->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

/* Read what the pipe holds; deliver=0 drops results (shutting down). */
static void
drain(struct runner *run, int deliver_results)
{
	struct job *j;
	ssize_t n;

	while ((n = read(run->done_rd, &j, sizeof(j))) == (ssize_t)sizeof(j)) {
		if (!j)
			continue;
		pthread_join(j->th, NULL);
		unlink_job(run, j);
		run->threads--;
		if (deliver_results) {
			deliver(run, j->ci, &j->res);
		} else {
			run->cfg->checks[j->ci].in_flight = 0;
			json_decref(j->res.phases);
			json_decref(j->res.extra);
		}
		free(j);
	}
}

int
hrun(struct hconfig *cfg, const struct hrun_opts *o, struct ps_error *err)
{
	struct runner run;
	struct ps_http_multi *m;
	int p1[2], p2[2], ready, rc = 0;
	double now, next_tick;
	size_t i;

	memset(&run, 0, sizeof(run));
	run.cfg = cfg;
	run.o = o;
	run.hjobs = ps_xcalloc(cfg->n ? cfg->n : 1, sizeof(*run.hjobs));
	if (pipe2(p1, O_CLOEXEC | O_NONBLOCK) || pipe2(p2, O_CLOEXEC)) {
		free(run.hjobs);
		return ps_error_set(err, PS_EXIT_OPER, "cannot create a pipe: %s", strerror(errno));
	}
	run.done_rd = p1[0];
	run.done_wr = p1[1];
	run.cancel_rd = p2[0];
	run.cancel_wr = p2[1];
	/* the worker threads block on writes only if 8 KiB of pointers queue up */
	fcntl(run.done_wr, F_SETFL, fcntl(run.done_wr, F_GETFL) & ~O_NONBLOCK);
	wake_fd = run.done_wr;
	m = ps_http_multi_new(o->concurrency);
	if (!m) {
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot start libcurl");
		goto out;
	}
	now = mono_now();
	next_tick = now + 1;
	for (i = 0; i < cfg->n; i++)
		cfg->checks[i].next_due = now;
	while (!*o->stop) {
		size_t busy = 0;
		double wake;

		now = mono_now();
		for (i = 0; i < cfg->n; i++) {
			struct hcheck *c = &cfg->checks[i];
			if (c->in_flight || c->next_due > now || (!o->watch && c->done_once))
				continue;
			if (c->kind != HK_HTTP && run.threads >= (size_t)o->concurrency)
				continue;
			if (start(&run, m, i, err)) {
				rc = -1;
				goto out;
			}
			c->next_due = now + c->interval;
		}
		for (i = 0; i < cfg->n; i++)
			busy += cfg->checks[i].in_flight || !cfg->checks[i].done_once;
		if (!o->watch && busy == 0)
			break;
		wake = now + 1;
		if (o->watch)
			for (i = 0; i < cfg->n; i++)
				if (!cfg->checks[i].in_flight && cfg->checks[i].next_due < wake)
					wake = cfg->checks[i].next_due;
		ps_http_multi_step(m, wake - now, run.done_rd, &ready);
		if (ready)
			drain(&run, 1);
		if (o->on_tick && mono_now() >= next_tick) {
			o->on_tick(o->ctx);
			next_tick = mono_now() + 1;
		}
	}
out:
	/* Abandon what is in flight: workers see the cancel pipe at once. */
	if (run.threads) {
		char x = 1;
		ssize_t w = write(run.cancel_wr, &x, 1);
		(void)w;
		fcntl(run.done_rd, F_SETFL, fcntl(run.done_rd, F_GETFL) & ~O_NONBLOCK);
		while (run.threads) {
			struct job *j;
			if (read(run.done_rd, &j, sizeof(j)) != (ssize_t)sizeof(j))
				break;
			if (!j)
				continue;
			pthread_join(j->th, NULL);
			unlink_job(&run, j);
			run.threads--;
			cfg->checks[j->ci].in_flight = 0;
			json_decref(j->res.phases);
			json_decref(j->res.extra);
			free(j);
		}
	}
	wake_fd = -1;
	ps_http_multi_free(m);
	free(run.hjobs);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	return rc;
}
