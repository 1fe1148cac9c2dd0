/*
 * ps-report -f prom: the records of a stream as Prometheus text exposition
 * (format 0.0.4), for node_exporter's textfile collector or a push gateway.
 * Each series keeps the last value the stream gave it, so memory is bounded
 * by the number of distinct series (checks, rules, sets), not of records.
 *
 *   probe   probe_success, probe_duration_seconds, probe_http_status_code,
 *           probe_ssl_earliest_cert_expiry (blackbox_exporter's names, as
 *           ps-health --metrics writes them)
 *   alert   ALERTS{alertname, alertstate, severity} (Prometheus' own series;
 *           a resolved alert drops out)
 *   backup  ps_backup_success, ps_backup_last_success_timestamp_seconds,
 *           ps_backup_stored_bytes, ps_backup_duration_seconds
 *   drill   ps_drill_success, ps_drill_rto_seconds, ps_drill_rpo_seconds
 *   any     ps_records{type, tool}: how many records of each type
 * The findings' counts (ps_findings{severity}) come from the renderer.
 */
#include "cmd/ps-report/report.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "lib/time.h"

enum fam {
	F_PROBE_SUCCESS, F_PROBE_DURATION, F_PROBE_STATUS, F_PROBE_CERT,
	F_ALERTS, F_BACKUP_SUCCESS, F_BACKUP_LAST_OK, F_BACKUP_BYTES,
	F_BACKUP_DURATION, F_DRILL_SUCCESS, F_DRILL_RTO, F_DRILL_RPO,
	F_RECORDS, F_COUNT,
};

static const struct {
	const char *name, *type, *help;
} fams[F_COUNT] = {
	[F_PROBE_SUCCESS] = {"probe_success", "gauge", "Whether the last probe of the check succeeded."},
	[F_PROBE_DURATION] = {"probe_duration_seconds", "gauge", "Duration of the last probe."},
	[F_PROBE_STATUS] = {"probe_http_status_code", "gauge", "HTTP status of the last probe."},
	[F_PROBE_CERT] = {"probe_ssl_earliest_cert_expiry", "gauge", "When the TLS certificate expires, in Unix time."},
	[F_ALERTS] = {"ALERTS", "gauge", "Alerts pending or firing at the end of the stream."},
	[F_BACKUP_SUCCESS] = {"ps_backup_success", "gauge", "Whether the last backup of the set succeeded."},
	[F_BACKUP_LAST_OK] = {"ps_backup_last_success_timestamp_seconds", "gauge", "When the last successful backup of the set finished."},
	[F_BACKUP_BYTES] = {"ps_backup_stored_bytes", "gauge", "Size of the last backup of the set as stored."},
	[F_BACKUP_DURATION] = {"ps_backup_duration_seconds", "gauge", "Duration of the last backup of the set."},
	[F_DRILL_SUCCESS] = {"ps_drill_success", "gauge", "Whether the last drill of the procedure met its objectives."},
	[F_DRILL_RTO] = {"ps_drill_rto_seconds", "gauge", "Recovery time measured by the last drill."},
	[F_DRILL_RPO] = {"ps_drill_rpo_seconds", "gauge", "Recovery point (age of the data) measured by the last drill."},
	[F_RECORDS] = {"ps_records", "gauge", "Records read, by type and tool."},
};

struct series {
	char *key;		/* family number, NUL, rendered labels */
	enum fam fam;
	const char *labels;	/* points into key */
	double value;
	int dropped;		/* a resolved alert */
	size_t order;
};

struct prom {
	void *tree;		/* tsearch tree of struct series, by key */
	struct series **v;
	size_t len, cap;
};

struct prom *
prom_new(void)
{
	return ps_xcalloc(1, sizeof(struct prom));
}

static int
series_cmp(const void *a, const void *b)
{
	const struct series *x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return strcmp(x->labels, y->labels);
}

/* A label value escaped for the exposition format. */
static void
add_label(struct ps_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	ps_buf_addf(b, "%s%s=\"", b->len ? "," : "", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			ps_buf_addc(b, '\\');
		if (*value == '\n')
			ps_buf_adds(b, "\\n");
		else
			ps_buf_addc(b, *value);
	}
	ps_buf_addc(b, '"');
}

/* Set the series (fam, labels) to value, or add value to it with add. */
static struct series *
put_op(struct prom *p, enum fam fam, const struct ps_buf *labels,
       double value, int add)
{
	struct series probe = {.fam = fam, .labels = ps_buf_str(labels)};
	struct series **found = tsearch(&probe, &p->tree, series_cmp), *s;

	if (*found != &probe) {
		(*found)->value = add ? (*found)->value + value : value;
		(*found)->dropped = 0;
		return *found;
	}
	s = ps_xcalloc(1, sizeof(*s));
	s->fam = fam;
	s->key = ps_xstrdup(ps_buf_str(labels));
	s->labels = s->key;
	s->value = value;
	s->order = p->len;
	*found = s;	/* the tree now holds s instead of the stack probe */
	ps_xgrow(&p->v, &p->cap, p->len + 1, sizeof(*p->v));
	p->v[p->len++] = s;
	return s;
}

static struct series *
put(struct prom *p, enum fam fam, const struct ps_buf *labels, double value)
{
	return put_op(p, fam, labels, value, 0);
}

static int
get_time(const json_t *rec, const char *key, double *t)
{
	const char *s = ps_json_str(rec, key);

	return s && ps_time_parse(s, t, NULL) == 0;
}

static void
probe(struct prom *p, const json_t *rec)
{
	struct ps_buf l = {0};
	double v;
	long long status;
	int ok;

	add_label(&l, "check", ps_json_str(rec, "check"));
	add_label(&l, "kind", ps_json_str(rec, "kind"));
	add_label(&l, "target", ps_json_str(rec, "target"));
	if (ps_json_bool(rec, "ok", &ok))
		put(p, F_PROBE_SUCCESS, &l, ok);
	if (ps_json_num(rec, "latency_s", &v))
		put(p, F_PROBE_DURATION, &l, v);
	if (ps_json_int(rec, "status", &status))
		put(p, F_PROBE_STATUS, &l, (double)status);
	if (get_time(rec, "tls_expires_at", &v))
		put(p, F_PROBE_CERT, &l, v);
	ps_buf_free(&l);
}

static void
alert(struct prom *p, const json_t *rec)
{
	const char *state = ps_json_str(rec, "state");
	static const char *const states[] = {"pending", "firing"};
	struct ps_buf l = {0};
	size_t i;

	if (!state)
		return;
	/* one series per state; the stream's last state of the alert wins */
	for (i = 0; i < PS_ARRAY_LEN(states); i++) {
		struct series *s;

		ps_buf_reset(&l);
		add_label(&l, "alertname", ps_json_str(rec, "rule"));
		add_label(&l, "alertstate", states[i]);
		add_label(&l, "check", ps_json_str(rec, "check"));
		add_label(&l, "severity", ps_json_str(rec, "severity"));
		s = put(p, F_ALERTS, &l, 1);
		s->dropped = strcmp(state, states[i]) != 0;
	}
	ps_buf_free(&l);
}

static void
backup(struct prom *p, const json_t *rec)
{
	struct ps_buf l = {0};
	const char *status = ps_json_str(rec, "status");
	int ok = status && strcmp(status, "ok") == 0;
	long long n;
	double v;

	add_label(&l, "set", ps_json_str(rec, "set"));
	put(p, F_BACKUP_SUCCESS, &l, ok);
	if (ok && get_time(rec, "finished_at", &v))
		put(p, F_BACKUP_LAST_OK, &l, v);
	if (ps_json_int(rec, "stored_bytes", &n))
		put(p, F_BACKUP_BYTES, &l, (double)n);
	if (ps_json_num(rec, "duration_s", &v))
		put(p, F_BACKUP_DURATION, &l, v);
	ps_buf_free(&l);
}

static void
drill(struct prom *p, const json_t *rec)
{
	struct ps_buf l = {0};
	int met;
	double v;

	if (ps_json_str(rec, "step"))
		return;	/* the procedure's record carries the outcome */
	add_label(&l, "procedure", ps_json_str(rec, "procedure"));
	if (ps_json_bool(rec, "met", &met))
		put(p, F_DRILL_SUCCESS, &l, met);
	if (ps_json_num(rec, "rto_s", &v))
		put(p, F_DRILL_RTO, &l, v);
	if (ps_json_num(rec, "rpo_s", &v))
		put(p, F_DRILL_RPO, &l, v);
	ps_buf_free(&l);
}

void
prom_record(struct prom *p, const json_t *rec)
{
	const char *type = ps_rec_type(rec);
	struct ps_buf l = {0};

	add_label(&l, "type", type ? type : "");
	add_label(&l, "tool", ps_json_str(rec, "tool"));
	put_op(p, F_RECORDS, &l, 1, 1);
	ps_buf_free(&l);
	if (!type)
		return;
	if (strcmp(type, "probe") == 0)
		probe(p, rec);
	else if (strcmp(type, "alert") == 0)
		alert(p, rec);
	else if (strcmp(type, "backup") == 0)
		backup(p, rec);
	else if (strcmp(type, "drill") == 0)
		drill(p, rec);
}

static int
by_family(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a;
	const struct series *y = *(struct series *const *)b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
noop_free(void *p)
{
	(void)p;
}

void
prom_write_free(struct prom *p, FILE *out)
{
	size_t i;
	int last = -1;

	qsort(p->v, p->len, sizeof(*p->v), by_family);
	for (i = 0; i < p->len; i++) {
		struct series *s = p->v[i];

		if (s->dropped)
			continue;
		if ((int)s->fam != last) {
			fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fams[s->fam].name,
				fams[s->fam].help, fams[s->fam].name, fams[s->fam].type);
			last = (int)s->fam;
		}
		fprintf(out, "%s{%s} %.15g\n", fams[s->fam].name, s->labels, s->value);
	}
	tdestroy(p->tree, noop_free);
	for (i = 0; i < p->len; i++) {
		free(p->v[i]->key);
		free(p->v[i]);
	}
	free(p->v);
	free(p);
}
