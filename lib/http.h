/*
 * http: health probes over libcurl. One probe is one HTTP(S) request with
 * expectations (status, body, a JSON field, latency), its timing phases
 * (DNS, connect, TLS, first byte, total), the TLS certificate's expiry and
 * retries with exponential backoff that all fit inside the probe's timeout.
 * Many probes run at once through the multi interface, at most
 * `concurrency` transfers at a time; a hung target costs its own timeout and
 * nothing else.
 *
 *	struct ps_http_multi *m = ps_http_multi_new(100);
 *	ps_http_multi_add(m, &req, on_done, ctx, &err);	// copies req
 *	while (ps_http_multi_pending(m))
 *		ps_http_multi_step(m, 1.0, -1, NULL);	// calls on_done
 *	ps_http_multi_free(m);
 *
 * Nothing here prints; messages in results never contain more of the URL
 * than the caller passed (callers redact with ps_redact before printing).
 */
#ifndef PS_HTTP_H
#define PS_HTTP_H

#include <stddef.h>

#include "util.h"

/* What a healthy answer looks like. Strings are copied when a probe starts. */
struct ps_http_expect {
	const char *status;	/* "2xx" (default), "200", "200,204", "200-299", "2xx,301" */
	const char *body_contains; /* substring of the body, or NULL */
	const char *json_field;	/* dotted path into a JSON body ("status", "db.up", "items.0.id") */
	const char *json_equals; /* the field's value as text: "ok", "true", "3", "null" */
	double max_latency;	/* seconds; 0 for no limit */
};

struct ps_http_req {
	const char *url;
	const char *method;		/* NULL: GET; HEAD sends no body request */
	const char *const *headers;	/* "Name: value", NULL-terminated, or NULL */
	const char *body;		/* request body or NULL */
	size_t body_len;
	double timeout;			/* seconds for the whole probe, retries included; <= 0: 10 */
	int retries;			/* further attempts after a failed one */
	int insecure;			/* do not verify the peer's certificate */
	const char *ca_file;		/* PEM bundle of trusted CAs, or NULL for the system's */
	int follow_redirects;
	int keep_body;			/* return the body in the result */
	size_t max_body;		/* bytes of body kept (0: 1 MiB); more is read and dropped */
	struct ps_http_expect expect;
};

/* Durations of each phase of the last attempt, in seconds. */
struct ps_http_phases {
	double dns;		/* name resolution */
	double connect;		/* TCP connect, after DNS */
	double tls;		/* TLS handshake, after connect (0 for http) */
	double first_byte;	/* request sent until the first response byte */
	double transfer;	/* first byte until the end of the body */
	double total;		/* the whole attempt */
};

struct ps_http_result {
	int ok;			/* the transfer worked and every expectation held */
	int transport_ok;	/* a response arrived (whatever its status) */
	long status;		/* HTTP status of the last attempt, 0 when none */
	double latency;		/* total time of the last attempt, seconds */
	double elapsed;		/* from the first attempt's start to the end, seconds */
	struct ps_http_phases phases;
	int attempts;
	double tls_expires_at;	/* earliest notAfter in the peer's chain (epoch s), 0 unknown */
	char error[256];	/* why not ok; "" when ok */
	char *body;		/* with keep_body: the body (NUL-terminated), else NULL */
	size_t body_len;
};

/* Whether spec is a valid status expectation; err->col names the column. */
int ps_http_status_check(const char *spec, struct ps_error *err);
/* Whether code satisfies spec (NULL or "" means 2xx). */
int ps_http_status_match(const char *spec, long code);

/* The backoff before attempt n+1 after n failed ones (n >= 1), seconds. */
double ps_http_backoff(int n);

struct ps_http_multi;

/* concurrency <= 0 means 100. Returns NULL when libcurl cannot start. */
struct ps_http_multi *ps_http_multi_new(int concurrency);
/*
 * Queue a probe (req and its strings are copied). done(user, res) is called
 * from ps_http_multi_step once the probe is finished, retries included; res
 * is valid during the call only (take res->body by setting it to NULL).
 */
int ps_http_multi_add(struct ps_http_multi *m, const struct ps_http_req *req,
		      void (*done)(void *user, struct ps_http_result *res),
		      void *user, struct ps_error *err);
/*
 * Wait up to max_wait seconds for network activity, a due retry or
 * extra_fd (-1 for none) becoming readable, then drive every transfer and
 * deliver finished probes. *extra_ready (may be NULL) tells whether extra_fd
 * is readable. Returns the number of probes still unfinished.
 */
size_t ps_http_multi_step(struct ps_http_multi *m, double max_wait,
			  int extra_fd, int *extra_ready);
/* Probes queued, running or waiting to retry. */
size_t ps_http_multi_pending(const struct ps_http_multi *m);
/* Abort what is unfinished (no callbacks) and free everything. */
void ps_http_multi_free(struct ps_http_multi *m);

/* One probe, blocking. Returns res->ok ? 0 : -1; free with ps_http_result_free. */
int ps_http_probe(const struct ps_http_req *req, struct ps_http_result *res);
void ps_http_result_free(struct ps_http_result *res);

/*
 * POST body (of content type ctype) to url with retries inside timeout;
 * 0 when the answer was 2xx, else -1 with err (the last status in *status,
 * 0 when no answer came). For webhook and Alertmanager deliveries.
 */
int ps_http_post(const char *url, const char *ctype, const char *body,
		 size_t len, double timeout, int retries, long *status,
		 struct ps_error *err);

/* Parse an OpenSSL certificate date ("Nov 26 14:00:00 2027 GMT") to epoch s; -1 when invalid. */
int ps_http_parse_cert_date(const char *s, double *out);

#endif
