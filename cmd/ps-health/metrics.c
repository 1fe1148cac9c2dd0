/*
 * ps-health: Prometheus text exposition (format 0.0.4). The metrics the
 * config's metrics: section declares (a histogram of response times and a
 * counter of requests, with the declared labels), plus per-check gauges in
 * the blackbox_exporter's names: probe_success, probe_duration_seconds,
 * probe_http_status_code and probe_ssl_earliest_cert_expiry.
 */
#include "cmd/ps-health/health.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const double buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* One label set of one metric. */
struct series {
	char *labels;		/* rendered: method="GET",endpoint="/health" */
	unsigned long long count;
	double sum;
	unsigned long long b[NBUCKETS];
	struct series *next;
};

struct last {
	int seen;
	int ok;
	double duration;
	long status;
	double tls_exp;
};

struct hmetrics {
	const struct hconfig *cfg;
	struct series **by_metric;	/* [nmetrics] lists */
	struct last *last;		/* [n checks] */
};

struct hmetrics *
hmetrics_new(const struct hconfig *cfg)
{
	struct hmetrics *m = ps_xcalloc(1, sizeof(*m));

	m->cfg = cfg;
	m->by_metric = ps_xcalloc(cfg->nmetrics ? cfg->nmetrics : 1, sizeof(*m->by_metric));
	m->last = ps_xcalloc(cfg->n ? cfg->n : 1, sizeof(*m->last));
	return m;
}

/* A label value escaped for the exposition format. */
static void
add_value(struct ps_buf *b, const char *s)
{
	ps_buf_addc(b, '"');
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			ps_buf_addc(b, '\\');
		if (*s == '\n') {
			ps_buf_adds(b, "\\n");
			continue;
		}
		ps_buf_addc(b, *s);
	}
	ps_buf_addc(b, '"');
}

static void
label_value(const struct hcheck *c, const struct hresult *r, int label, char *buf,
	    size_t n)
{
	switch (label) {
	case HL_METHOD:
		snprintf(buf, n, "%s", c->kind == HK_HTTP ? (c->method ? c->method : "GET")
			 : hkind_name(c->kind));
		break;
	case HL_ENDPOINT:
		snprintf(buf, n, "%s", c->endpoint ? c->endpoint : c->shown);
		break;
	case HL_STATUS_CODE:
		if (c->kind == HK_HTTP && r->status > 0)
			snprintf(buf, n, "%ld", r->status);
		else
			snprintf(buf, n, "%s", r->ok ? "ok" : "error");
		break;
	case HL_CHECK:
		snprintf(buf, n, "%s", c->name);
		break;
	case HL_KIND:
		snprintf(buf, n, "%s", hkind_name(c->kind));
		break;
	}
}

static const char *const label_keys[] = { "method", "endpoint", "status_code", "check", "kind" };

void
hmetrics_observe(struct hmetrics *m, size_t ci, const struct hresult *r)
{
	const struct hcheck *c = &m->cfg->checks[ci];
	size_t i, k;

	m->last[ci].seen = 1;
	m->last[ci].ok = r->ok;
	m->last[ci].duration = r->latency;
	m->last[ci].status = r->status;
	if (r->tls_expires_at > 0)
		m->last[ci].tls_exp = r->tls_expires_at;
	for (i = 0; i < m->cfg->nmetrics; i++) {
		const struct hmetric *hm = &m->cfg->metrics[i];
		struct ps_buf lb = { 0 };
		struct series *s;
		char val[512];

		for (k = 0; k < hm->nlabels; k++) {
			if (k)
				ps_buf_addc(&lb, ',');
			label_value(c, r, hm->labels[k], val, sizeof(val));
			ps_buf_addf(&lb, "%s=", label_keys[hm->labels[k]]);
			add_value(&lb, val);
		}
		for (s = m->by_metric[i]; s; s = s->next)
			if (strcmp(s->labels, ps_buf_str(&lb)) == 0)
				break;
		if (!s) {
			struct series **tail = &m->by_metric[i];
			while (*tail)
				tail = &(*tail)->next;
			s = ps_xcalloc(1, sizeof(*s));
			s->labels = ps_buf_detach(&lb);
			*tail = s;
		}
		ps_buf_free(&lb);
		s->count++;
		s->sum += r->latency;
		for (k = 0; k < NBUCKETS; k++)
			if (r->latency <= buckets[k])
				s->b[k]++;
	}
}

static void
series_line(FILE *out, const char *name, const char *suffix, const char *labels,
	    const char *extra)
{
	int has = labels && *labels;

	fprintf(out, "%s%s", name, suffix);
	if (has || extra) {
		fprintf(out, "{%s%s%s}", has ? labels : "", has && extra ? "," : "",
			extra ? extra : "");
	}
	fputc(' ', out);
}

int
hmetrics_write(const struct hmetrics *m, FILE *out)
{
	size_t i, k;

	for (i = 0; i < m->cfg->nmetrics; i++) {
		const struct hmetric *hm = &m->cfg->metrics[i];
		const struct series *s;
		fprintf(out, "# HELP %s %s\n", hm->name, hm->histogram ?
			"Response time of the health probes in seconds." :
			"Number of health probe requests.");
		fprintf(out, "# TYPE %s %s\n", hm->name, hm->histogram ? "histogram" : "counter");
		for (s = m->by_metric[i]; s; s = s->next) {
			if (!hm->histogram) {
				series_line(out, hm->name, "", s->labels, NULL);
				fprintf(out, "%llu\n", s->count);
				continue;
			}
			for (k = 0; k < NBUCKETS; k++) {
				char le[32];
				snprintf(le, sizeof(le), "le=\"%g\"", buckets[k]);
				series_line(out, hm->name, "_bucket", s->labels, le);
				fprintf(out, "%llu\n", s->b[k]);
			}
			series_line(out, hm->name, "_bucket", s->labels, "le=\"+Inf\"");
			fprintf(out, "%llu\n", s->count);
			series_line(out, hm->name, "_sum", s->labels, NULL);
			fprintf(out, "%.9g\n", s->sum);
			series_line(out, hm->name, "_count", s->labels, NULL);
			fprintf(out, "%llu\n", s->count);
		}
	}
	static const char *const gauges[][2] = {
		{ "probe_success", "Whether the last probe of the check succeeded." },
		{ "probe_duration_seconds", "Duration of the last probe of the check." },
		{ "probe_http_status_code", "HTTP status of the last probe (0 without a response)." },
		{ "probe_ssl_earliest_cert_expiry", "Earliest expiry of the peer's TLS certificates, seconds since the epoch." },
	};
	for (k = 0; k < 4; k++) {
		int header = 0;
		for (i = 0; i < m->cfg->n; i++) {
			const struct hcheck *c = &m->cfg->checks[i];
			const struct last *l = &m->last[i];
			struct ps_buf lb = { 0 };
			if (!l->seen || (k == 2 && c->kind != HK_HTTP) || (k == 3 && l->tls_exp <= 0))
				continue;
			if (!header) {
				fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", gauges[k][0],
					gauges[k][1], gauges[k][0]);
				header = 1;
			}
			ps_buf_adds(&lb, "check=");
			add_value(&lb, c->name);
			ps_buf_adds(&lb, ",kind=");
			add_value(&lb, hkind_name(c->kind));
			series_line(out, gauges[k][0], "", ps_buf_str(&lb), NULL);
			ps_buf_free(&lb);
			switch (k) {
			case 0: fprintf(out, "%d\n", l->ok); break;
			case 1: fprintf(out, "%.9g\n", l->duration); break;
			case 2: fprintf(out, "%ld\n", l->status > 0 ? l->status : 0); break;
			case 3: fprintf(out, "%.0f\n", l->tls_exp); break;
			}
		}
	}
	return ferror(out) ? -1 : 0;
}

int
hmetrics_write_file(const struct hmetrics *m, const char *path, struct ps_error *err)
{
	char *tmp = ps_xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");

	if (!f) {
		ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	hmetrics_write(m, f);
	if (fflush(f) || fsync(fileno(f)) || ferror(f)) {
		ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path)) {
		ps_error_set(err, PS_EXIT_OPER, "cannot rename '%s' to '%s': %s", tmp, path,
			     strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

void
hmetrics_free(struct hmetrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->cfg->nmetrics; i++) {
		struct series *s, *n;
		for (s = m->by_metric[i]; s; s = n) {
			n = s->next;
			free(s->labels);
			free(s);
		}
	}
	free(m->by_metric);
	free(m->last);
	free(m);
}
