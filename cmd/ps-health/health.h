/*
 * ps-health's own parts: the checks (from monitoring.yml or URLs on the
 * command line), the probes that are not HTTP (TCP, PostgreSQL, disk,
 * memory, load), the runner that schedules them all concurrently, and the
 * Prometheus metrics.
 */
#ifndef PS_HEALTH_H
#define PS_HEALTH_H

#include <stddef.h>

#include <jansson.h>

#include "lib/config.h"

enum hkind { HK_HTTP, HK_TCP, HK_POSTGRES, HK_DISK, HK_MEMORY, HK_LOAD };

struct hcheck {
	char *name;
	enum hkind kind;
	char *url;		/* full URL (may hold a password: never print it) */
	char *shown;		/* the URL with secrets masked, for output */
	double interval;	/* seconds */
	double timeout;		/* seconds, the whole probe with retries */
	long retries;
	/* http */
	char *method;
	char **headers;		/* "Name: value", NULL-terminated, or NULL */
	char *expect_status;	/* NULL: 2xx */
	char *body_contains;
	char *json_field;
	char *json_equals;
	double max_latency;
	int insecure;
	char *ca_file;		/* trusted CAs (PEM) instead of the system's */
	int follow_redirects;
	char *endpoint;		/* path of the URL, for metrics labels */
	/* tcp */
	char *host, *port;
	char *send;
	char *expect;
	/* resources */
	char *path;		/* disk */
	double max_used_pct;	/* disk: 0 none */
	unsigned long long min_free; /* disk bytes: 0 none */
	double min_available_pct; /* memory: 0 none */
	unsigned long long min_available; /* memory bytes: 0 none */
	double max_load;	/* load: 1-minute load average; 0 none */
	/* runtime */
	double next_due;
	int in_flight;
	int done_once;
	int last_ok;
};

struct hconfig {
	struct hcheck *checks;
	size_t n;
	/* metrics: section */
	struct hmetric *metrics;
	size_t nmetrics;
};

enum hlabel { HL_METHOD, HL_ENDPOINT, HL_STATUS_CODE, HL_CHECK, HL_KIND, HL_NLABELS };

struct hmetric {
	char *name;
	int histogram;		/* else counter */
	int labels[HL_NLABELS];	/* enum hlabel, in declared order */
	size_t nlabels;
};

/* Options that apply to every check. */
struct hdefaults {
	const char *base_url;	/* for relative URLs */
	double interval;	/* < 0: not given */
	double timeout;
	long retries;		/* < 0: not given */
	int insecure;
	const char *ca_file;	/* --cacert */
};

/* Result of one probe, whatever its kind. */
struct hresult {
	int ok;
	long status;		/* HTTP status; -1 when not HTTP */
	double latency;
	int attempts;
	double tls_expires_at;	/* 0 unknown */
	char error[256];
	json_t *phases;		/* object, owned */
	json_t *extra;		/* kind-specific fields, owned, or NULL */
	double at;		/* wall clock when it finished */
};

/* checks.c */
const char *hkind_name(enum hkind k);
int hconfig_load(struct ps_cfgck *ck, const struct ps_node *root,
		 const struct hdefaults *d, struct hconfig *cfg);
/* A check from a URL operand: http(s)://, postgres(ql)://, tcp://host:port,
 * disk:PATH, memory:, load: (thresholds as ?max_used=90% etc.). */
int hconfig_add_url(struct hconfig *cfg, const char *url,
		    const struct hdefaults *d, struct ps_error *err);
void hconfig_default_metrics(struct hconfig *cfg);
void hconfig_free(struct hconfig *cfg);

/* probes.c: run a non-HTTP probe, blocking, giving up when cancel_fd is readable. */
void hprobe_run(const struct hcheck *c, int cancel_fd, struct hresult *r);

/* metrics.c */
struct hmetrics;
struct hmetrics *hmetrics_new(const struct hconfig *cfg);
void hmetrics_observe(struct hmetrics *m, size_t check_index,
		      const struct hresult *r);
int hmetrics_write(const struct hmetrics *m, FILE *out);
/* Write to path atomically (temp file in the same directory, rename). */
int hmetrics_write_file(const struct hmetrics *m, const char *path,
			struct ps_error *err);
void hmetrics_free(struct hmetrics *m);

/* run.c: probe every check once (watch 0) or each on its interval until
 * *stop is set; on_result is called in the main thread for every probe. */
struct hrun_opts {
	int watch;
	int concurrency;
	volatile int *stop;
	void (*on_result)(void *ctx, size_t check_index, struct hresult *r);
	void *ctx;
	/* called at least once a second in watch mode, for periodic work */
	void (*on_tick)(void *ctx);
};
int hrun(struct hconfig *cfg, const struct hrun_opts *o, struct ps_error *err);
/* For the SIGINT/SIGTERM handler: wake the runner (async-signal-safe). */
void hrun_wake(void);

#endif
