/*
 * ps-alert's engine: per-check sliding windows of probe samples (running
 * counts and a sorted array of response times for percentiles), and one
 * state machine per (rule, check). See engine.h.
 */
#include "cmd/ps-alert/engine.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/jsonline.h"
#include "lib/records.h"
#include "lib/time.h"

enum { ST_INACTIVE, ST_PENDING, ST_FIRING };

struct sample {
	double at;
	double lat;		/* NaN: none */
	int ok;
};

/* The samples of one check within one window length. */
struct win {
	double len;		/* seconds */
	struct sample *ring;
	size_t cap, head, n;
	size_t fails;
	double lat_sum;
	size_t nlat;
	double *sorted;		/* response times in the window, ascending */
	size_t nsorted, sorted_cap;
};

struct inst {
	int state;
	double active_since;
	double fired_at;
	double last_sent;
	double false_since;	/* NaN while the condition holds */
	long consec_true, consec_false;
};

struct check {
	char *name;
	char *kind, *target;
	int up;
	double status, tls_exp, latency;
	long consec_fail, consec_ok;
	struct win *wins;	/* [nwin] */
	struct inst *insts;	/* [nrules] */
	struct check *hnext;
};

struct alert_engine {
	struct alert_rule *rules;
	size_t nrules;
	int *rule_win;		/* rule -> window index */
	double *winlens;
	size_t nwin;
	int keep_sorted;	/* some rule reads min/max/percentiles */
	int any_pooled;
	struct check **table;
	size_t tcap, nchecks;
	struct check *pool;	/* "group_by: all" series */
	double clock;
	void (*emit)(void *, json_t *);
	void *ctx;
};

/* ---- windows ---- */

static size_t
lower_bound(const double *a, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
win_push(struct win *w, const struct sample *s, int keep_sorted)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64, i;
		struct sample *r = ps_xmalloc(ncap * sizeof(*r));
		for (i = 0; i < w->n; i++)
			r[i] = w->ring[(w->head + i) % w->cap];
		free(w->ring);
		w->ring = r;
		w->cap = ncap;
		w->head = 0;
	}
	w->ring[(w->head + w->n) % w->cap] = *s;
	w->n++;
	if (!s->ok)
		w->fails++;
	if (!isnan(s->lat)) {
		w->lat_sum += s->lat;
		w->nlat++;
		if (keep_sorted) {
			size_t pos = lower_bound(w->sorted, w->nsorted, s->lat);
			ps_xgrow(&w->sorted, &w->sorted_cap, w->nsorted + 1, sizeof(double));
			memmove(w->sorted + pos + 1, w->sorted + pos,
				(w->nsorted - pos) * sizeof(double));
			w->sorted[pos] = s->lat;
			w->nsorted++;
		}
	}
}

static void
win_expire(struct win *w, double now, int keep_sorted)
{
	double cut = now - w->len;

	while (w->n && w->ring[w->head].at <= cut) {
		struct sample *s = &w->ring[w->head];
		if (!s->ok)
			w->fails--;
		if (!isnan(s->lat)) {
			w->lat_sum -= s->lat;
			w->nlat--;
			if (keep_sorted && w->nsorted) {
				size_t pos = lower_bound(w->sorted, w->nsorted, s->lat);
				if (pos < w->nsorted) {
					memmove(w->sorted + pos, w->sorted + pos + 1,
						(w->nsorted - pos - 1) * sizeof(double));
					w->nsorted--;
				}
			}
		}
		w->head = (w->head + 1) % w->cap;
		w->n--;
	}
	if (w->nlat == 0)
		w->lat_sum = 0;	/* no drift from adding and removing */
}

/* Linear interpolation between the closest ranks (numpy's default). */
static double
quantile(const struct win *w, double q)
{
	double pos, frac;
	size_t lo;

	if (!w->nsorted)
		return NAN;
	pos = q * (double)(w->nsorted - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	if (lo + 1 >= w->nsorted)
		return w->sorted[w->nsorted - 1];
	return w->sorted[lo] + (w->sorted[lo + 1] - w->sorted[lo]) * frac;
}

/* ---- checks ---- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct check *
check_new(struct alert_engine *e, const char *name)
{
	struct check *c = ps_xcalloc(1, sizeof(*c));
	size_t i;

	c->name = ps_xstrdup(name);
	c->status = c->tls_exp = c->latency = NAN;
	c->up = -1;
	c->wins = ps_xcalloc(e->nwin ? e->nwin : 1, sizeof(*c->wins));
	for (i = 0; i < e->nwin; i++)
		c->wins[i].len = e->winlens[i];
	c->insts = ps_xcalloc(e->nrules ? e->nrules : 1, sizeof(*c->insts));
	for (i = 0; i < e->nrules; i++)
		c->insts[i].false_since = NAN;
	return c;
}

static void
check_free(struct alert_engine *e, struct check *c)
{
	size_t i;

	for (i = 0; i < e->nwin; i++) {
		free(c->wins[i].ring);
		free(c->wins[i].sorted);
	}
	free(c->wins);
	free(c->insts);
	free(c->name);
	free(c->kind);
	free(c->target);
	free(c);
}

static struct check *
check_get(struct alert_engine *e, const char *name)
{
	uint64_t h = hash_str(name);
	struct check *c;
	size_t i;

	for (c = e->table[h & (e->tcap - 1)]; c; c = c->hnext)
		if (strcmp(c->name, name) == 0)
			return c;
	if (e->nchecks + 1 > e->tcap) {
		size_t ncap = e->tcap * 2;
		struct check **t = ps_xcalloc(ncap, sizeof(*t));
		for (i = 0; i < e->tcap; i++) {
			struct check *n;
			for (c = e->table[i]; c; c = n) {
				n = c->hnext;
				size_t b = hash_str(c->name) & (ncap - 1);
				c->hnext = t[b];
				t[b] = c;
			}
		}
		free(e->table);
		e->table = t;
		e->tcap = ncap;
	}
	c = check_new(e, name);
	c->hnext = e->table[h & (e->tcap - 1)];
	e->table[h & (e->tcap - 1)] = c;
	e->nchecks++;
	return c;
}

static void
set_str(char **dst, const char *s)
{
	if (!s) {
		return;
	}
	if (*dst && strcmp(*dst, s) == 0)
		return;
	free(*dst);
	*dst = ps_xstrdup(s);
}

static void
check_add(struct alert_engine *e, struct check *c, const struct alert_sample *s)
{
	struct sample smp = { s->at, s->latency, s->ok };
	size_t i;

	for (i = 0; i < e->nwin; i++) {
		win_push(&c->wins[i], &smp, e->keep_sorted);
		win_expire(&c->wins[i], e->clock, e->keep_sorted);
	}
	c->up = s->ok;
	if (s->ok) {
		c->consec_ok++;
		c->consec_fail = 0;
	} else {
		c->consec_fail++;
		c->consec_ok = 0;
	}
	c->latency = s->latency;
	if (!isnan(s->status))
		c->status = s->status;
	if (!isnan(s->tls_expires_at))
		c->tls_exp = s->tls_expires_at;
	set_str(&c->kind, s->kind);
	set_str(&c->target, s->target);
}

/* ---- evaluation ---- */

static void
fill_vals(const struct alert_engine *e, const struct check *c, int wi,
	  uint32_t needs, struct ps_ax_vals *v, int pooled)
{
	const struct win *w = &c->wins[wi];
	double n = (double)w->n;

	ps_ax_vals_clear(v);
	v->num[PS_AX_COUNT] = n;
	v->num[PS_AX_FAILURES] = (double)w->fails;
	if (w->n) {
		v->num[PS_AX_ERROR_RATE] = (double)w->fails / n;
		v->num[PS_AX_SUCCESS_RATE] = 1.0 - (double)w->fails / n;
	}
	if (w->nlat)
		v->num[PS_AX_RT_AVG] = w->lat_sum / (double)w->nlat;
	if (needs & ((1u << PS_AX_RT_MIN) | (1u << PS_AX_RT_MAX) | (1u << PS_AX_RT_P50) |
		     (1u << PS_AX_RT_P90) | (1u << PS_AX_RT_P95) | (1u << PS_AX_RT_P99))) {
		if (w->nsorted) {
			v->num[PS_AX_RT_MIN] = w->sorted[0];
			v->num[PS_AX_RT_MAX] = w->sorted[w->nsorted - 1];
		}
		v->num[PS_AX_RT_P50] = quantile(w, 0.50);
		v->num[PS_AX_RT_P90] = quantile(w, 0.90);
		v->num[PS_AX_RT_P95] = quantile(w, 0.95);
		v->num[PS_AX_RT_P99] = quantile(w, 0.99);
	}
	if (c->up >= 0)
		v->num[PS_AX_UP] = c->up;
	v->num[PS_AX_LATENCY] = c->latency;
	v->num[PS_AX_STATUS] = c->status;
	if (!isnan(c->tls_exp))
		v->num[PS_AX_TLS_DAYS_LEFT] = (c->tls_exp - e->clock) / 86400.0;
	v->num[PS_AX_CONSEC_FAIL] = (double)c->consec_fail;
	v->num[PS_AX_CONSEC_OK] = (double)c->consec_ok;
	v->str[PS_AX_CHECK] = pooled ? "" : c->name;
	v->str[PS_AX_KIND] = c->kind;
	v->str[PS_AX_TARGET] = c->target;
}

static void
put_time(json_t *rec, const char *key, double t)
{
	char buf[40];

	ps_time_format(t, buf, sizeof(buf));
	json_object_set_new(rec, key, json_string(buf));
}

static void
emit_alert(struct alert_engine *e, const struct alert_rule *r,
	   const struct check *c, const struct inst *in, const char *state,
	   double value, int var, int reminder)
{
	json_t *rec = ps_rec_new("alert", "ps-alert");

	json_object_set_new(rec, "rule", json_string(r->name));
	json_object_set_new(rec, "state", json_string(state));
	json_object_set_new(rec, "severity", json_string(r->severity));
	json_object_set_new(rec, "check", json_string(r->pooled ? "*" : c->name));
	json_object_set_new(rec, "value", isnan(value) || isinf(value) ?
			    json_null() : json_real(value));
	if (var >= 0)
		json_object_set_new(rec, "metric", json_string(ps_ax_var_name(var)));
	json_object_set_new(rec, "condition", json_string(r->condition));
	put_time(rec, "since", in->active_since);
	if (in->fired_at > 0 && (strcmp(state, "firing") == 0 || strcmp(state, "resolved") == 0))
		put_time(rec, "fired_at", in->fired_at);
	put_time(rec, "at", e->clock);
	if (reminder)
		json_object_set_new(rec, "reminder", json_true());
	if (r->summary)
		json_object_set_new(rec, "summary", json_string(r->summary));
	e->emit(e->ctx, rec);
}

static void
evaluate(struct alert_engine *e, size_t ri, struct check *c)
{
	const struct alert_rule *r = &e->rules[ri];
	struct inst *in = &c->insts[ri];
	struct ps_ax_vals v;
	double t = e->clock, value;
	int cond, var;

	fill_vals(e, c, e->rule_win[ri], ps_ax_needs(r->expr), &v, r->pooled);
	cond = ps_ax_eval(r->expr, &v);
	value = ps_ax_value(r->expr, &v, &var);
	if (cond) {
		in->consec_true++;
		in->consec_false = 0;
		in->false_since = NAN;
	} else {
		in->consec_false++;
		in->consec_true = 0;
		if (isnan(in->false_since))
			in->false_since = t;
	}
	switch (in->state) {
	case ST_INACTIVE:
		if (!cond)
			return;
		in->active_since = t;
		in->fired_at = 0;
		if (r->duration <= 0 && in->consec_true >= r->failure_threshold) {
			in->state = ST_FIRING;
			in->fired_at = in->last_sent = t;
			emit_alert(e, r, c, in, "firing", value, var, 0);
		} else {
			in->state = ST_PENDING;
			emit_alert(e, r, c, in, "pending", value, var, 0);
		}
		return;
	case ST_PENDING:
		if (!cond) {
			in->state = ST_INACTIVE;
			emit_alert(e, r, c, in, "inactive", value, var, 0);
			return;
		}
		if (t - in->active_since >= r->duration &&
		    in->consec_true >= r->failure_threshold) {
			in->state = ST_FIRING;
			in->fired_at = in->last_sent = t;
			emit_alert(e, r, c, in, "firing", value, var, 0);
		}
		return;
	case ST_FIRING:
		if (!cond && t - in->false_since >= r->keep_firing_for &&
		    in->consec_false >= r->success_threshold) {
			in->state = ST_INACTIVE;
			emit_alert(e, r, c, in, "resolved", value, var, 0);
			return;
		}
		if (r->repeat_interval > 0 && t - in->last_sent >= r->repeat_interval) {
			in->last_sent = t;
			emit_alert(e, r, c, in, "firing", value, var, 1);
		}
		return;
	}
}

/* ---- public ---- */

struct alert_engine *
alert_engine_new(struct alert_rule *rules, size_t n,
		 void (*emit)(void *ctx, json_t *alert), void *ctx)
{
	struct alert_engine *e = ps_xcalloc(1, sizeof(*e));
	const uint32_t sorted_vars = (1u << PS_AX_RT_MIN) | (1u << PS_AX_RT_MAX) |
		(1u << PS_AX_RT_P50) | (1u << PS_AX_RT_P90) |
		(1u << PS_AX_RT_P95) | (1u << PS_AX_RT_P99);
	size_t i, j;

	e->rules = rules;
	e->nrules = n;
	e->emit = emit;
	e->ctx = ctx;
	e->rule_win = ps_xcalloc(n ? n : 1, sizeof(int));
	e->winlens = ps_xcalloc(n ? n : 1, sizeof(double));
	for (i = 0; i < n; i++) {
		for (j = 0; j < e->nwin; j++)
			if (e->winlens[j] == rules[i].window)
				break;
		if (j == e->nwin)
			e->winlens[e->nwin++] = rules[i].window;
		e->rule_win[i] = (int)j;
		if (ps_ax_needs(rules[i].expr) & sorted_vars)
			e->keep_sorted = 1;
		if (rules[i].pooled)
			e->any_pooled = 1;
	}
	e->tcap = 64;
	e->table = ps_xcalloc(e->tcap, sizeof(*e->table));
	if (e->any_pooled)
		e->pool = check_new(e, "*");
	e->clock = -INFINITY;
	return e;
}

void
alert_engine_feed(struct alert_engine *e, const struct alert_sample *s)
{
	struct check *c = check_get(e, s->check);
	size_t i;

	if (s->at > e->clock)
		e->clock = s->at;
	check_add(e, c, s);
	if (e->pool)
		check_add(e, e->pool, s);
	for (i = 0; i < e->nrules; i++) {
		const struct alert_rule *r = &e->rules[i];
		if (r->pooled) {
			evaluate(e, i, e->pool);
			continue;
		}
		const char *only = ps_ax_only_check(r->expr);
		if (only && strcmp(only, c->name) != 0)
			continue;
		evaluate(e, i, c);
	}
}

size_t
alert_engine_firing(const struct alert_engine *e)
{
	size_t i, k, n = 0;
	struct check *c;

	for (i = 0; i < e->tcap; i++)
		for (c = e->table[i]; c; c = c->hnext)
			for (k = 0; k < e->nrules; k++)
				n += !e->rules[k].pooled && c->insts[k].state == ST_FIRING;
	if (e->pool)
		for (k = 0; k < e->nrules; k++)
			n += e->rules[k].pooled && e->pool->insts[k].state == ST_FIRING;
	return n;
}

void
alert_engine_free(struct alert_engine *e)
{
	size_t i;
	struct check *c, *n;

	if (!e)
		return;
	for (i = 0; i < e->tcap; i++)
		for (c = e->table[i]; c; c = n) {
			n = c->hnext;
			check_free(e, c);
		}
	if (e->pool)
		check_free(e, e->pool);
	free(e->table);
	free(e->rule_win);
	free(e->winlens);
	free(e);
}

/* ---- records -> samples ---- */

/*
 * RFC 3339 to epoch seconds, with a cache of the last whole-second prefix:
 * a stream's timestamps share it most of the time.
 */
static int
parse_at(const char *s, double *out)
{
	static __thread char last[20];
	static __thread double last_base;
	static __thread int have;
	struct ps_error err;
	size_t n = strlen(s);

	if (have && n >= 20 && memcmp(s, last, 19) == 0) {
		const char *p = s + 19;
		double frac = 0, scale = 0.1;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9') {
				frac += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
		}
		if (p[0] == 'Z' && p[1] == 0) {
			*out = last_base + frac;
			return 0;
		}
	}
	if (ps_time_parse(s, out, &err))
		return -1;
	if (n >= 20 && s[19] != '+' && s[19] != '-' && s[n - 1] == 'Z') {
		char whole[24];
		double base;
		memcpy(whole, s, 19);
		whole[19] = 'Z';
		whole[20] = 0;
		if (ps_time_parse(whole, &base, &err) == 0) {
			memcpy(last, s, 19);
			last_base = base;
			have = 1;
		}
	}
	return 0;
}

int
alert_sample_from_json(const json_t *rec, struct alert_sample *s,
		       double fallback_at)
{
	const char *at, *exp;
	double t;
	int ok;

	memset(s, 0, sizeof(*s));
	if (ps_json_bool(rec, "ok", &ok) != 1)
		return -1;
	s->ok = ok;
	s->check = ps_json_str(rec, "check");
	if (!s->check)
		s->check = ps_json_str(rec, "target");
	if (!s->check)
		return -1;
	s->kind = ps_json_str(rec, "kind");
	s->target = ps_json_str(rec, "target");
	s->at = fallback_at;
	at = ps_json_str(rec, "at");
	if (at && parse_at(at, &t) == 0)
		s->at = t;
	if (ps_json_num(rec, "latency_s", &s->latency) != 1)
		s->latency = NAN;
	if (ps_json_num(rec, "status", &s->status) != 1)
		s->status = NAN;
	s->tls_expires_at = NAN;
	exp = ps_json_str(rec, "tls_expires_at");
	if (exp && parse_at(exp, &t) == 0)
		s->tls_expires_at = t;
	return 0;
}

/* ---- a probe line without a tree (lib/jsonline) ---- */

enum { F_TYPE, F_CHECK, F_KIND, F_TARGET, F_AT, F_TLS, F_OK, F_LAT, F_STATUS, NFIELDS };

static const struct ps_jl_key fields[NFIELDS] = {
	[F_TYPE] = { "type", 4 }, [F_CHECK] = { "check", 5 }, [F_KIND] = { "kind", 4 },
	[F_TARGET] = { "target", 6 }, [F_AT] = { "at", 2 },
	[F_TLS] = { "tls_expires_at", 14 }, [F_OK] = { "ok", 2 },
	[F_LAT] = { "latency_s", 9 }, [F_STATUS] = { "status", 6 },
};

static __thread struct ps_buf line_text;

/* A string field's value, or NULL when absent or not a string. */
static const char *
str_of(const struct ps_jl_value *v)
{
	return v->type == PS_JL_STRING ? v->s : NULL;
}

/* A number field's value, or NaN when absent or not a number. */
static double
num_of(const struct ps_jl_value *v)
{
	return v->type == PS_JL_INTEGER || v->type == PS_JL_REAL ? v->d : NAN;
}

enum alert_line
alert_sample_from_line(const char *line, size_t n, struct alert_sample *s,
		       double fallback_at, char *msg, size_t msgsz)
{
	struct ps_jl_value v[NFIELDS];
	const char *type, *at, *exp;
	double t;

	memset(s, 0, sizeof(*s));
	switch (ps_jline_read(line, n, fields, NFIELDS, v, &line_text, 0, msg, msgsz)) {
	case PS_JL_INVALID:
		return ALERT_LINE_INVALID;
	case PS_JL_NOT_OBJECT:
		return ALERT_LINE_NOT_OBJECT;
	case PS_JL_OBJECT:
		break;
	}
	type = str_of(&v[F_TYPE]);
	if (!type || strcmp(type, "probe") != 0)
		return ALERT_LINE_OTHER;
	/* as alert_sample_from_json */
	if (v[F_OK].type != PS_JL_TRUE && v[F_OK].type != PS_JL_FALSE)
		return ALERT_LINE_BAD_PROBE;
	s->ok = v[F_OK].type == PS_JL_TRUE;
	s->check = str_of(&v[F_CHECK]);
	if (!s->check)
		s->check = str_of(&v[F_TARGET]);
	if (!s->check)
		return ALERT_LINE_BAD_PROBE;
	s->kind = str_of(&v[F_KIND]);
	s->target = str_of(&v[F_TARGET]);
	s->at = fallback_at;
	at = str_of(&v[F_AT]);
	if (at && parse_at(at, &t) == 0)
		s->at = t;
	s->latency = num_of(&v[F_LAT]);
	s->status = num_of(&v[F_STATUS]);
	s->tls_expires_at = NAN;
	exp = str_of(&v[F_TLS]);
	if (exp && parse_at(exp, &t) == 0)
		s->tls_expires_at = t;
	return ALERT_LINE_PROBE;
}

void
alert_line_release(void)
{
	ps_buf_free(&line_text);
}

static int
same_num(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int
alert_sample_same(const struct alert_sample *a, const struct alert_sample *b)
{
	return same_str(a->check, b->check) && same_str(a->kind, b->kind) &&
	       same_str(a->target, b->target) && a->ok == b->ok && same_num(a->at, b->at) &&
	       same_num(a->latency, b->latency) && same_num(a->status, b->status) &&
	       same_num(a->tls_expires_at, b->tls_expires_at);
}
