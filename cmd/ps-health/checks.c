/*
 * ps-health: checks from monitoring.yml (monitoring.health_checks[] and
 * monitoring.metrics[]) or from URLs given on the command line.
 */
#include "cmd/ps-health/health.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lib/http.h"
#include "lib/log.h"
#include "lib/pg.h"
#include "lib/time.h"

#define DEF_INTERVAL 30.0
#define DEF_TIMEOUT 10.0

static const char *const check_keys[] = {
	"name", "url", "interval", "timeout", "retries", "kind", "method", "headers",
	"expect_status", "body_contains", "json_field", "json_equals", "max_latency",
	"insecure", "ca_file", "follow_redirects", "send", "expect", "path", "max_used",
	"min_free", "min_available", "max_load", NULL,
};

static const char *const kinds[] = { "http", "tcp", "postgres", "disk", "memory", "load", NULL };

const char *
hkind_name(enum hkind k)
{
	return kinds[k];
}

static struct hcheck *
new_check(struct hconfig *cfg)
{
	struct hcheck *c;

	cfg->checks = ps_xrealloc(cfg->checks, (cfg->n + 1) * sizeof(*cfg->checks));
	c = &cfg->checks[cfg->n++];
	memset(c, 0, sizeof(*c));
	c->interval = DEF_INTERVAL;
	c->timeout = DEF_TIMEOUT;
	return c;
}

/* "90%", "90" or "0.9" (a fraction below 1) -> percent; -1 when invalid. */
static int
parse_pct(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	double v;
	int pct = 0;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%') {
		buf[--n] = 0;
		pct = 1;
	}
	if (ps_parse_double(buf, &v) || v < 0)
		return -1;
	if (!pct && v < 1 && v > 0)
		v *= 100;
	if (v > 100)
		return -1;
	*out = v;
	return 0;
}

/* Fill kind-dependent fields from the URL; -1 with err when it is not usable. */
static int
setup_target(struct hcheck *c, int kind_given, struct ps_error *err)
{
	CURLU *u;
	char *part = NULL;
	const char *url = c->url;

	free(c->shown);
	c->shown = ps_redact(url);
	if (!kind_given) {
		if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
			c->kind = HK_HTTP;
		else if (ps_pg_is_uri(url))
			c->kind = HK_POSTGRES;
		else if (strncmp(url, "tcp://", 6) == 0)
			c->kind = HK_TCP;
		else if (strncmp(url, "disk:", 5) == 0)
			c->kind = HK_DISK;
		else if (strncmp(url, "memory:", 7) == 0)
			c->kind = HK_MEMORY;
		else if (strncmp(url, "load:", 5) == 0)
			c->kind = HK_LOAD;
		else
			return ps_error_set(err, PS_EXIT_USAGE,
					    "cannot tell the kind of check from URL \"%s\" (http://, https://, tcp://, postgres://, disk:, memory: or load:)",
					    c->shown);
	}
	switch (c->kind) {
	case HK_HTTP:
	case HK_TCP:
		u = curl_url();
		if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)) {
			curl_url_cleanup(u);
			return ps_error_set(err, PS_EXIT_USAGE, "invalid URL \"%s\"", c->shown);
		}
		if (c->kind == HK_HTTP) {
			if (curl_url_get(u, CURLUPART_PATH, &part, 0) == CURLUE_OK) {
				free(c->endpoint);
				c->endpoint = ps_xstrdup(part);
				curl_free(part);
			}
		} else {
			char *host = NULL, *port = NULL;
			if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
			    curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) {
				curl_free(host);
				curl_free(port);
				curl_url_cleanup(u);
				return ps_error_set(err, PS_EXIT_USAGE,
						    "a tcp:// URL needs a host and a port: \"%s\"", c->shown);
			}
			free(c->host);
			free(c->port);
			/* [::1] -> ::1 for getaddrinfo */
			if (host[0] == '[') {
				size_t n = strlen(host);
				c->host = ps_xstrndup(host + 1, n > 2 ? n - 2 : 0);
			} else {
				c->host = ps_xstrdup(host);
			}
			c->port = ps_xstrdup(port);
			c->endpoint = ps_xasprintf("%s:%s", host, port);
			curl_free(host);
			curl_free(port);
		}
		curl_url_cleanup(u);
		break;
	case HK_POSTGRES:
		c->endpoint = ps_xstrdup(c->shown);
		break;
	case HK_DISK: {
		const char *p = url + 5;
		const char *q = strchr(p, '?');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n >= 2 && p[0] == '/' && p[1] == '/')
			p += 2, n -= 2;
		if (!c->path)
			c->path = n ? ps_xstrndup(p, n) : ps_xstrdup("/");
		c->endpoint = ps_xstrdup(c->path);
		break;
	}
	case HK_MEMORY:
	case HK_LOAD:
		c->endpoint = ps_xstrdup(hkind_name(c->kind));
		break;
	}
	return 0;
}

/* Thresholds in a quick-use URL's query: disk:/var?max_used=90%&min_free=1GB */
static int
url_thresholds(struct hcheck *c, struct ps_error *err)
{
	const char *q = strchr(c->url, '?');
	char key[64], val[128];

	if (!q || c->kind == HK_HTTP || c->kind == HK_POSTGRES || c->kind == HK_TCP)
		return 0;
	for (q++; *q;) {
		const char *amp = strchr(q, '&'), *eq = strchr(q, '=');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		if (!eq || eq > q + n || (size_t)(eq - q) >= sizeof(key) ||
		    (size_t)(q + n - eq - 1) >= sizeof(val))
			return ps_error_set(err, PS_EXIT_USAGE, "invalid threshold \"%.*s\" in \"%s\"",
					    (int)n, q, c->shown);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - q), q);
		snprintf(val, sizeof(val), "%.*s", (int)(q + n - eq - 1), eq + 1);
		struct ps_error e2 = { 0 };
		int bad;
		if (strcmp(key, "max_used") == 0)
			bad = parse_pct(val, &c->max_used_pct);
		else if (strcmp(key, "min_free") == 0)
			bad = ps_size_parse(val, &c->min_free, &e2);
		else if (strcmp(key, "min_available") == 0) {
			bad = strchr(val, '%') ? parse_pct(val, &c->min_available_pct)
					       : ps_size_parse(val, &c->min_available, &e2);
		} else if (strcmp(key, "max_load") == 0)
			bad = ps_parse_double(val, &c->max_load) || c->max_load < 0;
		else
			return ps_error_set(err, PS_EXIT_USAGE,
					    "unknown threshold \"%s\" (max_used, min_free, min_available, max_load)",
					    key);
		if (bad)
			return ps_error_set(err, PS_EXIT_USAGE, "invalid value \"%s\" for %s", val, key);
		q += n;
		if (*q == '&')
			q++;
	}
	return 0;
}

static char *
join_url(const char *base, const char *rel)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	return ps_xasprintf("%.*s%s", (int)n, base, rel);
}

/* Command-line settings win over the config's. */
static void
apply_defaults(struct hcheck *c, const struct hdefaults *d)
{
	if (d->interval > 0)
		c->interval = d->interval;
	if (d->timeout > 0)
		c->timeout = d->timeout;
	if (d->retries >= 0)
		c->retries = d->retries;
	if (d->insecure)
		c->insecure = 1;
	if (d->ca_file) {
		free(c->ca_file);
		c->ca_file = ps_xstrdup(d->ca_file);
	}
}

int
hconfig_add_url(struct hconfig *cfg, const char *url, const struct hdefaults *d,
		struct ps_error *err)
{
	struct hcheck *c;

	if (url[0] == '/') {
		if (!d->base_url)
			return ps_error_set(err, PS_EXIT_USAGE,
					    "relative URL \"%s\" needs --base-url or PS_BASE_URL", url);
	}
	c = new_check(cfg);
	c->url = url[0] == '/' ? join_url(d->base_url, url) : ps_xstrdup(url);
	apply_defaults(c, d);
	if (setup_target(c, 0, err) || url_thresholds(c, err)) {
		cfg->n--;
		free(c->url);
		free(c->shown);
		free(c->endpoint);
		free(c->host);
		free(c->port);
		free(c->path);
		return -1;
	}
	c->name = ps_xstrdup(c->shown);
	return 0;
}

static char *
str_dup_opt(struct ps_cfgck *ck, const struct ps_node *m, const char *key)
{
	const char *s = NULL;

	return ps_cfg_str(ck, m, key, 0, &s) == 1 ? ps_xstrdup(s) : NULL;
}

static void
load_headers(struct ps_cfgck *ck, const struct ps_node *m, struct hcheck *c)
{
	const struct ps_node *h = NULL;
	size_t i;

	if (ps_cfg_map(ck, m, "headers", 0, &h) != 1)
		return;
	c->headers = ps_xcalloc(h->len + 1, sizeof(char *));
	for (i = 0; i < h->len; i++) {
		const char *k = ps_cfg_scalar(ck, h->pairs[i].key);
		const char *v = ps_cfg_scalar(ck, h->pairs[i].value);
		if (!k || !v || strpbrk(k, ":\r\n") || strpbrk(v, "\r\n")) {
			ps_cfg_error(ck, h->pairs[i].key, "a header is a name and a one-line value");
			continue;
		}
		c->headers[i] = ps_xasprintf("%s: %s", k, v);
	}
}

static void
load_check(struct ps_cfgck *ck, const struct ps_node *m, const struct hdefaults *d,
	   struct hconfig *cfg)
{
	struct hcheck *c;
	const char *name = NULL, *url = NULL, *s = NULL;
	struct ps_error err = { 0 };
	int kind = 0, kind_given, b;
	double secs;
	size_t i;

	if (m->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, m, "a health check is a mapping with name and url, got %s",
			     ps_node_kind_name(m));
		return;
	}
	ps_cfg_known_keys(ck, m, check_keys);
	if (ps_cfg_str(ck, m, "name", 1, &name) != 1)
		return;
	for (i = 0; i < cfg->n; i++)
		if (strcmp(cfg->checks[i].name, name) == 0)
			ps_cfg_error(ck, ps_node_get(m, "name"),
				     "health check \"%s\" is defined twice", name);
	kind_given = ps_cfg_enum(ck, m, "kind", 0, kinds, &kind) == 1;
	if (ps_cfg_str(ck, m, "url", !kind_given || kind < HK_DISK, &url) != 1) {
		if (!kind_given || kind < HK_DISK)
			return;
		url = kind == HK_DISK ? "disk:/" : kind == HK_MEMORY ? "memory:" : "load:";
	}
	if (url[0] == '/' && !d->base_url) {
		ps_cfg_error(ck, ps_node_get(m, "url"),
			     "relative URL \"%s\" needs --base-url or PS_BASE_URL", url);
		return;
	}
	c = new_check(cfg);
	c->name = ps_xstrdup(name);
	c->kind = (enum hkind)kind;
	c->url = url[0] == '/' ? join_url(d->base_url, url) : ps_xstrdup(url);
	c->path = str_dup_opt(ck, m, "path");
	if (setup_target(c, kind_given, &err)) {
		ps_cfg_error(ck, ps_node_get(m, "url") ? ps_node_get(m, "url") : m, "%s", err.msg);
		return;
	}
	ps_cfg_duration(ck, m, "interval", 0, &c->interval);
	ps_cfg_duration(ck, m, "timeout", 0, &c->timeout);
	ps_cfg_long(ck, m, "retries", 0, 0, 100, "a number of retries (0-100)", &c->retries);
	if (c->interval <= 0)
		ps_cfg_error(ck, ps_node_get(m, "interval"), "interval must be longer than 0s");
	if (c->timeout <= 0)
		ps_cfg_error(ck, ps_node_get(m, "timeout"), "timeout must be longer than 0s");
	c->method = str_dup_opt(ck, m, "method");
	if (c->method)
		for (i = 0; c->method[i]; i++)
			if (c->method[i] >= 'a' && c->method[i] <= 'z')
				c->method[i] = (char)(c->method[i] - 32);
	load_headers(ck, m, c);
	if (ps_cfg_str(ck, m, "expect_status", 0, &s) == 1) {
		if (ps_http_status_check(s, &err))
			ps_cfg_error(ck, ps_node_get(m, "expect_status"), "%s", err.msg);
		c->expect_status = ps_xstrdup(s);
	}
	c->body_contains = str_dup_opt(ck, m, "body_contains");
	c->json_field = str_dup_opt(ck, m, "json_field");
	c->json_equals = str_dup_opt(ck, m, "json_equals");
	if (c->json_equals && !c->json_field)
		ps_cfg_error(ck, ps_node_get(m, "json_equals"), "json_equals needs json_field");
	if (ps_cfg_duration(ck, m, "max_latency", 0, &secs) == 1)
		c->max_latency = secs;
	if (ps_cfg_bool(ck, m, "insecure", 0, &b) == 1)
		c->insecure = b;
	c->ca_file = str_dup_opt(ck, m, "ca_file");
	if (ps_cfg_bool(ck, m, "follow_redirects", 0, &b) == 1)
		c->follow_redirects = b;
	c->send = str_dup_opt(ck, m, "send");
	c->expect = str_dup_opt(ck, m, "expect");
	if (ps_cfg_str(ck, m, "max_used", 0, &s) == 1 && parse_pct(s, &c->max_used_pct))
		ps_cfg_error(ck, ps_node_get(m, "max_used"), "max_used: expected a percentage like 90%%, got \"%s\"", s);
	ps_cfg_size(ck, m, "min_free", 0, &c->min_free);
	if (ps_cfg_str(ck, m, "min_available", 0, &s) == 1) {
		struct ps_error e2 = { 0 };
		if (strchr(s, '%') ? parse_pct(s, &c->min_available_pct)
				   : ps_size_parse(s, &c->min_available, &e2))
			ps_cfg_error(ck, ps_node_get(m, "min_available"),
				     "min_available: expected a size like 256MB or a percentage, got \"%s\"", s);
	}
	ps_cfg_double(ck, m, "max_load", 0, "a load average", &c->max_load);
	apply_defaults(c, d);
}

static const char *const metric_keys[] = { "name", "type", "labels", "help", NULL };
static const char *const metric_types[] = { "histogram", "counter", NULL };
static const char *const label_names[] = { "method", "endpoint", "status_code", "check", "kind", NULL };

static void
load_metric(struct ps_cfgck *ck, const struct ps_node *m, struct hconfig *cfg)
{
	const char *name = NULL;
	const char *const *labels = NULL;
	struct hmetric *hm;
	size_t n = 0, i, k;
	int type = 0;

	if (m->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, m, "a metric is a mapping with name, type and labels");
		return;
	}
	ps_cfg_known_keys(ck, m, metric_keys);
	if (ps_cfg_str(ck, m, "name", 1, &name) != 1 ||
	    ps_cfg_enum(ck, m, "type", 1, metric_types, &type) != 1)
		return;
	cfg->metrics = ps_xrealloc(cfg->metrics, (cfg->nmetrics + 1) * sizeof(*cfg->metrics));
	hm = &cfg->metrics[cfg->nmetrics];
	memset(hm, 0, sizeof(*hm));
	hm->name = ps_xstrdup(name);
	hm->histogram = type == 0;
	if (ps_cfg_strlist(ck, m, "labels", 0, &labels, &n) == 1) {
		for (i = 0; i < n && hm->nlabels < HL_NLABELS; i++) {
			for (k = 0; label_names[k]; k++)
				if (strcmp(labels[i], label_names[k]) == 0)
					break;
			if (!label_names[k]) {
				ps_cfg_error(ck, ps_node_get(m, "labels"),
					     "unknown label \"%s\" (method, endpoint, status_code, check, kind)",
					     labels[i]);
				continue;
			}
			hm->labels[hm->nlabels++] = (int)k;
		}
	}
	cfg->nmetrics++;
}

void
hconfig_default_metrics(struct hconfig *cfg)
{
	static const char *const names[] = { "response_time", "request_count" };
	size_t i;

	if (cfg->nmetrics)
		return;
	cfg->metrics = ps_xcalloc(2, sizeof(*cfg->metrics));
	for (i = 0; i < 2; i++) {
		struct hmetric *m = &cfg->metrics[i];
		m->name = ps_xstrdup(names[i]);
		m->histogram = i == 0;
		m->labels[0] = HL_METHOD;
		m->labels[1] = HL_ENDPOINT;
		m->labels[2] = HL_STATUS_CODE;
		m->nlabels = 3;
	}
	cfg->nmetrics = 2;
}

int
hconfig_load(struct ps_cfgck *ck, const struct ps_node *root,
	     const struct hdefaults *d, struct hconfig *cfg)
{
	const struct ps_node *mon = NULL, *checks = NULL, *metrics = NULL;
	size_t i;

	if (ps_cfg_map(ck, root, "monitoring", 1, &mon) != 1)
		return -1;
	if (ps_cfg_seq(ck, mon, "health_checks", 1, &checks) == 1)
		for (i = 0; i < checks->len; i++)
			load_check(ck, checks->items[i], d, cfg);
	if (ps_cfg_seq(ck, mon, "metrics", 0, &metrics) == 1)
		for (i = 0; i < metrics->len; i++)
			load_metric(ck, metrics->items[i], cfg);
	return 0;
}

void
hconfig_free(struct hconfig *cfg)
{
	size_t i, k;

	for (i = 0; i < cfg->n; i++) {
		struct hcheck *c = &cfg->checks[i];
		free(c->name);
		free(c->url);
		free(c->shown);
		free(c->method);
		free(c->ca_file);
		if (c->headers) {
			for (k = 0; c->headers[k]; k++)
				free(c->headers[k]);
			free(c->headers);
		}
		free(c->expect_status);
		free(c->body_contains);
		free(c->json_field);
		free(c->json_equals);
		free(c->endpoint);
		free(c->host);
		free(c->port);
		free(c->send);
		free(c->expect);
		free(c->path);
	}
	free(cfg->checks);
	for (i = 0; i < cfg->nmetrics; i++)
		free(cfg->metrics[i].name);
	free(cfg->metrics);
	memset(cfg, 0, sizeof(*cfg));
}
