/*
 * http: health probes over libcurl's multi interface, with timing phases,
 * certificate expiry, expectations and retries with backoff inside the
 * probe's timeout. See http.h.
 */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#define DEFAULT_MAX_BODY (1024 * 1024)
#define MIN_ATTEMPT 0.05	/* no retry with less time than this left */

struct probe {
	struct ps_http_req req;		/* with owned copies of every string */
	char **hdr_copy;
	struct curl_slist *hdrs;
	CURL *easy;
	double start;			/* first attempt started (monotonic) */
	double deadline;
	double retry_at;		/* > 0 while waiting to retry */
	int in_multi;
	int need_body;
	size_t keep;			/* bytes of body to keep */
	struct ps_buf body;
	struct ps_http_result res;
	void (*done)(void *, struct ps_http_result *);
	void *user;
	char errbuf[CURL_ERROR_SIZE];
	struct probe *next;		/* queue / all-probes list */
};

struct ps_http_multi {
	CURLM *cm;
	int concurrency;
	size_t active;			/* started and not finished */
	struct probe *queue, *queue_tail; /* waiting for a slot */
	struct probe *running;		/* started (transfer or retry wait) */
};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- status expectations ---- */

/* One item of a spec: "200", "2xx", "200-299". -1 when invalid. */
static int
status_item(const char *s, size_t n, long *lo, long *hi)
{
	char a[8], b[8];
	const char *dash;
	long x, y;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 3 && s[0] >= '1' && s[0] <= '5' &&
	    (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
		*lo = (s[0] - '0') * 100;
		*hi = *lo + 99;
		return 0;
	}
	dash = memchr(s, '-', n);
	if (dash) {
		size_t la = (size_t)(dash - s), lb = n - la - 1;
		if (la == 0 || la >= sizeof(a) || lb == 0 || lb >= sizeof(b))
			return -1;
		memcpy(a, s, la);
		a[la] = 0;
		memcpy(b, dash + 1, lb);
		b[lb] = 0;
		if (ps_parse_long(a, 100, 599, &x) || ps_parse_long(b, 100, 599, &y) || y < x)
			return -1;
		*lo = x;
		*hi = y;
		return 0;
	}
	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = 0;
	if (ps_parse_long(a, 100, 599, &x))
		return -1;
	*lo = *hi = x;
	return 0;
}

int
ps_http_status_check(const char *spec, struct ps_error *err)
{
	const char *p = spec, *comma;
	long lo, hi;

	if (!spec || !*spec)
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (status_item(p, n, &lo, &hi))
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - spec) + 1,
					   "invalid status expectation \"%.*s\" (expected a code like 200, a class like 2xx or a range like 200-299)",
					   (int)n, p);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

int
ps_http_status_match(const char *spec, long code)
{
	const char *p = spec, *comma;
	long lo, hi;

	if (!spec || !*spec)
		return code >= 200 && code <= 299;
	for (;;) {
		comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (status_item(p, n, &lo, &hi) == 0 && code >= lo && code <= hi)
			return 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

double
ps_http_backoff(int n)
{
	double b = 0.1;

	while (--n > 0 && b < 2.0)
		b *= 2;
	return b > 2.0 ? 2.0 : b;
}

/* ---- certificates ---- */

int
ps_http_parse_cert_date(const char *s, double *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	while (*s == ' ')
		s++;
	end = strptime(s, "%b %d %H:%M:%S %Y", &tm);
	if (!end)
		return -1;
	while (*end == ' ')
		end++;
	if (*end && strcmp(end, "GMT") != 0 && strcmp(end, "UTC") != 0)
		return -1;
	*out = (double)timegm(&tm);
	return 0;
}

static double
cert_expiry(CURL *h)
{
	struct curl_certinfo *ci = NULL;
	double best = 0, t;
	int i;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci)
		return 0;
	for (i = 0; i < ci->num_of_certs; i++) {
		struct curl_slist *s;
		for (s = ci->certinfo[i]; s; s = s->next) {
			if (strncmp(s->data, "Expire date:", 12) != 0)
				continue;
			if (ps_http_parse_cert_date(s->data + 12, &t) == 0 &&
			    (best == 0 || t < best))
				best = t;
		}
	}
	return best;
}

/* ---- JSON field expectations ---- */

static const json_t *
json_path(const json_t *v, const char *path)
{
	char key[256];
	const char *p = path;

	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = 0;
		if (json_is_object(v)) {
			v = json_object_get(v, key);
		} else if (json_is_array(v)) {
			long idx;
			if (ps_parse_long(key, 0, 1000000, &idx))
				return NULL;
			v = json_array_get(v, (size_t)idx);
		} else {
			return NULL;
		}
		p = dot ? dot + 1 : p + n;
	}
	return v;
}

/* The value as comparable text into buf. */
static void
json_text(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.17g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, n, "true");
	else if (json_is_false(v))
		snprintf(buf, n, "false");
	else if (json_is_null(v))
		snprintf(buf, n, "null");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(buf, n, "%s", s ? s : "");
		free(s);
	}
}

static int
json_equal_text(const json_t *v, const char *want)
{
	char got[512];
	double a, b;

	json_text(v, got, sizeof(got));
	if (strcmp(got, want) == 0)
		return 1;
	if (json_is_number(v) && ps_parse_double(want, &b) == 0) {
		a = json_number_value(v);
		return a == b;
	}
	return 0;
}

/* ---- one probe ---- */

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct probe *p = ud;
	size_t n = size * nmemb;

	if (p->need_body && p->body.len < p->keep) {
		size_t take = p->keep - p->body.len;
		ps_buf_add(&p->body, ptr, n < take ? n : take);
	}
	return n;
}

static char *
dup_or_null(const char *s)
{
	return s ? ps_xstrdup(s) : NULL;
}

static void
probe_free(struct probe *p)
{
	size_t i;

	if (!p)
		return;
	if (p->easy)
		curl_easy_cleanup(p->easy);
	curl_slist_free_all(p->hdrs);
	if (p->hdr_copy) {
		for (i = 0; p->hdr_copy[i]; i++)
			free(p->hdr_copy[i]);
		free(p->hdr_copy);
	}
	free((char *)p->req.url);
	free((char *)p->req.method);
	free((char *)p->req.ca_file);
	free((char *)p->req.body);
	free((char *)p->req.expect.status);
	free((char *)p->req.expect.body_contains);
	free((char *)p->req.expect.json_field);
	free((char *)p->req.expect.json_equals);
	ps_buf_free(&p->body);
	free(p->res.body);
	free(p);
}

static int
probe_setup(struct probe *p, struct ps_error *err)
{
	CURL *h = curl_easy_init();
	const char *m = p->req.method ? p->req.method : "GET";
	size_t i;

	if (!h)
		return ps_error_set(err, PS_EXIT_OPER, "cannot create a libcurl handle");
	p->easy = h;
	curl_easy_setopt(h, CURLOPT_URL, p->req.url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PRIVATE, p);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ps-toolkit/" PS_VERSION);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, p->req.follow_redirects ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	if (p->req.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (p->req.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, p->req.ca_file);
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	if (p->req.body || strcmp(m, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->req.body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, p->req.body ? p->req.body : "");
	}
	for (i = 0; p->hdr_copy && p->hdr_copy[i]; i++) {
		struct curl_slist *n = curl_slist_append(p->hdrs, p->hdr_copy[i]);
		if (!n)
			return ps_error_set(err, PS_EXIT_OPER, "out of memory");
		p->hdrs = n;
	}
	if (p->hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->hdrs);
	return 0;
}

static long
ms_left(const struct probe *p, double now)
{
	double left = p->deadline - now;
	long ms = (long)(left * 1000.0);

	return ms < 1 ? 1 : ms;
}

static int
attempt_start(struct ps_http_multi *m, struct probe *p, double now)
{
	long ms = ms_left(p, now);

	ps_buf_reset(&p->body);
	p->errbuf[0] = 0;
	p->retry_at = 0;
	p->res.attempts++;
	curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(p->easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
	if (curl_multi_add_handle(m->cm, p->easy) != CURLM_OK)
		return -1;
	p->in_multi = 1;
	return 0;
}

static double
info_secs(CURL *h, CURLINFO what)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(h, what, &us) != CURLE_OK || us < 0)
		return 0;
	return (double)us / 1e6;
}

static double
nonneg(double x)
{
	return x > 0 ? x : 0;
}

/* Fill p->res from the finished attempt; returns whether it was healthy. */
static int
attempt_judge(struct probe *p, CURLcode rc)
{
	struct ps_http_result *r = &p->res;
	CURL *h = p->easy;
	double dns, conn, app, pre, start, total, t;
	long code = 0;

	dns = info_secs(h, CURLINFO_NAMELOOKUP_TIME_T);
	conn = info_secs(h, CURLINFO_CONNECT_TIME_T);
	app = info_secs(h, CURLINFO_APPCONNECT_TIME_T);
	pre = info_secs(h, CURLINFO_PRETRANSFER_TIME_T);
	start = info_secs(h, CURLINFO_STARTTRANSFER_TIME_T);
	total = info_secs(h, CURLINFO_TOTAL_TIME_T);
	r->phases.dns = dns;
	r->phases.connect = conn > 0 ? nonneg(conn - dns) : 0;
	r->phases.tls = app > 0 ? nonneg(app - conn) : 0;
	r->phases.first_byte = start > 0 ? nonneg(start - (pre > 0 ? pre : (app > 0 ? app : conn))) : 0;
	r->phases.transfer = start > 0 ? nonneg(total - start) : 0;
	r->phases.total = total;
	r->latency = total;
	t = cert_expiry(h);
	if (t > 0)
		r->tls_expires_at = t;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	r->status = code;
	r->error[0] = 0;

	if (rc != CURLE_OK) {
		r->transport_ok = 0;
		snprintf(r->error, sizeof(r->error), "%s",
			 p->errbuf[0] ? p->errbuf : curl_easy_strerror(rc));
		return 0;
	}
	r->transport_ok = 1;
	if (!ps_http_status_match(p->req.expect.status, code)) {
		snprintf(r->error, sizeof(r->error), "status %ld, expected %s", code,
			 p->req.expect.status && *p->req.expect.status ? p->req.expect.status : "2xx");
		return 0;
	}
	if (p->req.expect.body_contains &&
	    !memmem(ps_buf_str(&p->body), p->body.len, p->req.expect.body_contains,
		    strlen(p->req.expect.body_contains))) {
		snprintf(r->error, sizeof(r->error), "body does not contain \"%.100s\"",
			 p->req.expect.body_contains);
		return 0;
	}
	if (p->req.expect.json_field) {
		json_error_t je;
		json_t *doc = json_loadb(ps_buf_str(&p->body), p->body.len,
					 JSON_DECODE_ANY, &je);
		const json_t *v = doc ? json_path(doc, p->req.expect.json_field) : NULL;
		int good = 0;
		if (!doc)
			snprintf(r->error, sizeof(r->error), "body is not JSON: %s", je.text);
		else if (!v)
			snprintf(r->error, sizeof(r->error), "JSON field %.100s is missing",
				 p->req.expect.json_field);
		else if (p->req.expect.json_equals &&
			 !json_equal_text(v, p->req.expect.json_equals)) {
			char got[128];
			json_text(v, got, sizeof(got));
			snprintf(r->error, sizeof(r->error), "JSON field %.60s is %.60s, expected %.60s",
				 p->req.expect.json_field, got, p->req.expect.json_equals);
		} else
			good = 1;
		json_decref(doc);
		if (!good)
			return 0;
	}
	if (p->req.expect.max_latency > 0 && total > p->req.expect.max_latency) {
		snprintf(r->error, sizeof(r->error), "latency %.3fs above the limit of %.3fs",
			 total, p->req.expect.max_latency);
		return 0;
	}
	return 1;
}

static void
running_remove(struct ps_http_multi *m, struct probe *p)
{
	struct probe **pp;

	for (pp = &m->running; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			return;
		}
	}
}

static void
probe_finish(struct ps_http_multi *m, struct probe *p, double now)
{
	running_remove(m, p);
	m->active--;
	p->res.elapsed = now - p->start;
	p->res.ok = p->res.error[0] == 0;
	if (p->req.keep_body) {
		p->res.body = ps_buf_detach(&p->body);
		p->res.body_len = strlen(p->res.body);
	}
	if (p->done)
		p->done(p->user, &p->res);
	probe_free(p);
}

/* Start a queued probe; on failure it finishes at once with an error. */
static void
probe_launch(struct ps_http_multi *m, struct probe *p, double now)
{
	struct ps_error e = { 0 };

	p->start = now;
	p->deadline = now + p->req.timeout;
	p->next = m->running;
	m->running = p;
	m->active++;
	if (probe_setup(p, &e) || attempt_start(m, p, now)) {
		snprintf(p->res.error, sizeof(p->res.error), "%.200s",
			 e.msg[0] ? e.msg : "cannot start the transfer");
		probe_finish(m, p, now);
	}
}

static void
fill_slots(struct ps_http_multi *m, double now)
{
	while (m->queue && m->active < (size_t)m->concurrency) {
		struct probe *p = m->queue;
		m->queue = p->next;
		if (!m->queue)
			m->queue_tail = NULL;
		p->next = NULL;
		probe_launch(m, p, now);
	}
}

/* ---- the multi handle ---- */

struct ps_http_multi *
ps_http_multi_new(int concurrency)
{
	struct ps_http_multi *m;
	static int inited;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		inited = 1;
	}
	m = ps_xcalloc(1, sizeof(*m));
	m->cm = curl_multi_init();
	if (!m->cm) {
		free(m);
		return NULL;
	}
	m->concurrency = concurrency > 0 ? concurrency : 100;
	curl_multi_setopt(m->cm, CURLMOPT_MAXCONNECTS, (long)m->concurrency);
	return m;
}

int
ps_http_multi_add(struct ps_http_multi *m, const struct ps_http_req *req,
		  void (*done)(void *user, struct ps_http_result *res),
		  void *user, struct ps_error *err)
{
	struct probe *p;
	size_t n = 0, i;

	if (!req || !req->url || !*req->url)
		return ps_error_set(err, PS_EXIT_USAGE, "a probe needs a URL");
	if (ps_http_status_check(req->expect.status, err))
		return -1;
	p = ps_xcalloc(1, sizeof(*p));
	p->req = *req;
	p->req.url = ps_xstrdup(req->url);
	p->req.method = dup_or_null(req->method);
	p->req.ca_file = dup_or_null(req->ca_file);
	p->req.body = NULL;
	if (req->body) {
		char *b = ps_xmalloc(req->body_len + 1);
		memcpy(b, req->body, req->body_len);
		b[req->body_len] = 0;
		p->req.body = b;
	}
	p->req.expect.status = dup_or_null(req->expect.status);
	p->req.expect.body_contains = dup_or_null(req->expect.body_contains);
	p->req.expect.json_field = dup_or_null(req->expect.json_field);
	p->req.expect.json_equals = dup_or_null(req->expect.json_equals);
	if (req->headers)
		while (req->headers[n])
			n++;
	if (n) {
		p->hdr_copy = ps_xcalloc(n + 1, sizeof(char *));
		for (i = 0; i < n; i++)
			p->hdr_copy[i] = ps_xstrdup(req->headers[i]);
	}
	p->req.headers = NULL;
	if (p->req.timeout <= 0)
		p->req.timeout = 10;
	if (p->req.retries < 0)
		p->req.retries = 0;
	p->keep = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	p->need_body = req->keep_body || req->expect.body_contains || req->expect.json_field;
	p->done = done;
	p->user = user;
	if (m->queue_tail)
		m->queue_tail->next = p;
	else
		m->queue = p;
	m->queue_tail = p;
	return 0;
}

size_t
ps_http_multi_pending(const struct ps_http_multi *m)
{
	size_t n = m->active;
	const struct probe *p;

	for (p = m->queue; p; p = p->next)
		n++;
	return n;
}

static void
collect(struct ps_http_multi *m, double now)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->cm, &left))) {
		struct probe *p = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		CURLcode rc = msg->data.result;
		curl_multi_remove_handle(m->cm, p->easy);
		p->in_multi = 0;
		if (attempt_judge(p, rc)) {
			probe_finish(m, p, now);
			continue;
		}
		double wait = ps_http_backoff(p->res.attempts);
		if (p->res.attempts <= p->req.retries &&
		    now + wait + MIN_ATTEMPT < p->deadline) {
			p->retry_at = now + wait;
			continue;
		}
		probe_finish(m, p, now);
	}
}

size_t
ps_http_multi_step(struct ps_http_multi *m, double max_wait, int extra_fd,
		   int *extra_ready)
{
	struct curl_waitfd wfd;
	struct probe *p, *next;
	double now = mono_now(), wake = now + (max_wait > 0 ? max_wait : 0);
	int running = 0, nfds = 0;
	long ms;

	if (extra_ready)
		*extra_ready = 0;
	fill_slots(m, now);
	for (p = m->running; p; p = p->next)
		if (p->retry_at > 0 && p->retry_at < wake)
			wake = p->retry_at;
	ms = (long)ceil((wake - now) * 1000.0);
	if (ms < 0)
		ms = 0;
	memset(&wfd, 0, sizeof(wfd));
	wfd.fd = extra_fd;
	wfd.events = CURL_WAIT_POLLIN;
	curl_multi_poll(m->cm, extra_fd >= 0 ? &wfd : NULL, extra_fd >= 0 ? 1 : 0,
			(int)(ms > 1000000 ? 1000000 : ms), &nfds);
	if (extra_fd >= 0 && extra_ready && (wfd.revents & CURL_WAIT_POLLIN))
		*extra_ready = 1;
	curl_multi_perform(m->cm, &running);
	now = mono_now();
	collect(m, now);
	for (p = m->running; p; p = next) {
		next = p->next;
		if (p->retry_at > 0 && p->retry_at <= now && !p->in_multi) {
			if (attempt_start(m, p, now)) {
				snprintf(p->res.error, sizeof(p->res.error), "cannot restart the transfer");
				probe_finish(m, p, now);
			}
		}
	}
	fill_slots(m, now);
	return ps_http_multi_pending(m);
}

void
ps_http_multi_free(struct ps_http_multi *m)
{
	struct probe *p, *next;

	if (!m)
		return;
	for (p = m->running; p; p = next) {
		next = p->next;
		if (p->in_multi)
			curl_multi_remove_handle(m->cm, p->easy);
		probe_free(p);
	}
	for (p = m->queue; p; p = next) {
		next = p->next;
		probe_free(p);
	}
	curl_multi_cleanup(m->cm);
	free(m);
}

/* ---- blocking helpers ---- */

static void
copy_result(void *user, struct ps_http_result *res)
{
	struct ps_http_result *out = user;

	*out = *res;
	res->body = NULL;	/* handed over */
}

int
ps_http_probe(const struct ps_http_req *req, struct ps_http_result *res)
{
	struct ps_http_multi *m = ps_http_multi_new(1);
	struct ps_error e = { 0 };

	memset(res, 0, sizeof(*res));
	if (!m) {
		snprintf(res->error, sizeof(res->error), "cannot start libcurl");
		return -1;
	}
	if (ps_http_multi_add(m, req, copy_result, res, &e)) {
		snprintf(res->error, sizeof(res->error), "%.200s", e.msg);
		ps_http_multi_free(m);
		return -1;
	}
	while (ps_http_multi_pending(m))
		ps_http_multi_step(m, 1.0, -1, NULL);
	ps_http_multi_free(m);
	return res->ok ? 0 : -1;
}

void
ps_http_result_free(struct ps_http_result *res)
{
	if (!res)
		return;
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

int
ps_http_post(const char *url, const char *ctype, const char *body, size_t len,
	     double timeout, int retries, long *status, struct ps_error *err)
{
	struct ps_http_req req;
	struct ps_http_result res;
	char hdr[256];
	const char *hdrs[2] = { hdr, NULL };

	memset(&req, 0, sizeof(req));
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype ? ctype : "application/json");
	req.url = url;
	req.method = "POST";
	req.headers = hdrs;
	req.body = body;
	req.body_len = len;
	req.timeout = timeout;
	req.retries = retries;
	req.follow_redirects = 0;
	if (ps_http_probe(&req, &res) == 0) {
		if (status)
			*status = res.status;
		ps_http_result_free(&res);
		return 0;
	}
	if (status)
		*status = res.status;
	ps_error_set(err, PS_EXIT_OPER, "%s (after %d attempt%s)", res.error,
		     res.attempts, res.attempts == 1 ? "" : "s");
	ps_http_result_free(&res);
	return -1;
}
