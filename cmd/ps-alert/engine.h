/*
 * ps-alert's engine: alert rules evaluated over sliding windows of probe
 * samples, with Prometheus's pending/firing/resolved states, keep_firing_for,
 * repeat intervals and Gatus-style failure/success thresholds. Time is the
 * samples' own `at`, so a replay gives the same alerts every time.
 */
#ifndef PS_ALERT_ENGINE_H
#define PS_ALERT_ENGINE_H

#include <stddef.h>

#include <jansson.h>

#include "lib/alertexpr.h"
#include "lib/config.h"

struct alert_rule {
	const char *name;	/* strings belong to the config document */
	const char *condition;
	const char *severity;	/* default "warning" */
	const char *summary;	/* or NULL */
	struct ps_ax *expr;
	double duration;	/* for: seconds the condition holds before firing */
	double window;		/* seconds of samples the condition sees */
	double keep_firing_for;
	double repeat_interval;	/* 0: no reminders */
	long failure_threshold;	/* consecutive true evaluations to fire */
	long success_threshold;	/* consecutive false evaluations to resolve */
	int pooled;		/* group_by: all — one series over every check */
	int line, col;		/* of the rule in the config */
};

/* One probe as the engine sees it. */
struct alert_sample {
	const char *check;
	const char *kind;	/* may be NULL */
	const char *target;	/* may be NULL */
	double at;		/* epoch seconds */
	int ok;
	double latency;		/* seconds; NaN when absent */
	double status;		/* NaN when absent */
	double tls_expires_at;	/* epoch seconds; NaN when absent */
};

struct alert_engine;

/* The engine takes the rules array (not the documents their strings live in). */
struct alert_engine *alert_engine_new(struct alert_rule *rules, size_t n,
				      void (*emit)(void *ctx, json_t *alert),
				      void *ctx);
/* Feed one sample: may emit alert records (emit takes the reference). */
void alert_engine_feed(struct alert_engine *e, const struct alert_sample *s);
/* Number of alert instances currently firing. */
size_t alert_engine_firing(const struct alert_engine *e);
void alert_engine_free(struct alert_engine *e);

/*
 * Load monitoring.alerts[] from a loaded document. scale multiplies every
 * duration (for drills and tests). Errors go to ck->diags; returns the
 * number of rules and sets *out (free with alert_rules_free).
 */
size_t alert_rules_load(struct ps_cfgck *ck, const struct ps_node *root,
			double scale, struct alert_rule **out);
void alert_rules_free(struct alert_rule *rules, size_t n);

/* Parse a probe record into s (strings point into rec); 0, or -1 when it is not a usable probe. */
int alert_sample_from_json(const json_t *rec, struct alert_sample *s,
			   double fallback_at);

/* What alert_sample_from_line found. */
enum alert_line {
	ALERT_LINE_PROBE,	/* a usable probe: the sample is filled */
	ALERT_LINE_OTHER,	/* a record of another type */
	ALERT_LINE_BAD_PROBE,	/* a probe without check or ok */
	ALERT_LINE_NOT_OBJECT,	/* JSON, but not an object */
	ALERT_LINE_INVALID,	/* not JSON: msg says why */
};

/*
 * One line of JSON (n bytes, no line end) read as jansson would read it and
 * alert_sample_from_json take it, without building a tree: yajl's event
 * parser hands over the values, and only the top-level keys a sample needs
 * are kept (the last of duplicates, as jansson keeps). What jansson refuses
 * beyond JSON itself is refused too: NUL in strings and keys, integers out
 * of range, numbers too large, nesting deeper than 2048; and a raw NUL
 * byte, which jansson's reader passes over in places, makes the line
 * invalid wherever it is. The sample's
 * strings live in a buffer of this thread's, until its next call;
 * alert_line_release frees that buffer when the thread is done.
 */
enum alert_line alert_sample_from_line(const char *line, size_t n,
				       struct alert_sample *s, double fallback_at,
				       char *msg, size_t msgsz);
void alert_line_release(void);

/* Whether two samples are the same: equal strings (or both absent), equal
 * values (NaN equal to NaN). */
int alert_sample_same(const struct alert_sample *a, const struct alert_sample *b);

#endif
