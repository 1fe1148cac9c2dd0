/*
 * ps-health: probe the health checks of monitoring.yml (or URLs given on the
 * command line) concurrently, once or continuously, and report probe
 * records, a table or Prometheus metrics (Monitoring & Observability
 * standards: health check endpoints with interval, timeout and retries;
 * response-time and request-count metrics).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ps-health/health.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/records.h"
#include "lib/time.h"

enum {
	OPT_WATCH = 1, OPT_BASE_URL, OPT_CONCURRENCY, OPT_INTERVAL, OPT_TIMEOUT,
	OPT_RETRIES, OPT_INSECURE, OPT_CACERT, OPT_PROM_FILE, OPT_CHECK, OPT_FOR,
};

/* What ps_cli_parse's callback returns to carry on parsing. */
#define GO_ON 0

static const struct ps_opt opts[] = {
	{ "watch", 'w', PS_ARG_NONE, NULL,
	  "probe each check on its interval until SIGINT/SIGTERM", OPT_WATCH, 0, NULL },
	{ "base-url", 'b', PS_ARG_REQUIRED, "URL",
	  "base for relative URLs like /health (default $PS_BASE_URL)", OPT_BASE_URL, 0, NULL },
	{ "concurrency", 'j', PS_ARG_REQUIRED, "N",
	  "probes in flight at once (default 100)", OPT_CONCURRENCY, 0, NULL },
	{ "interval", 0, PS_ARG_REQUIRED, "DURATION",
	  "interval of every check (overrides the config)", OPT_INTERVAL, 0, NULL },
	{ "timeout", 't', PS_ARG_REQUIRED, "DURATION",
	  "timeout of every check, retries included (overrides the config)", OPT_TIMEOUT, 0, NULL },
	{ "retries", 'r', PS_ARG_REQUIRED, "N",
	  "retries of every check (overrides the config)", OPT_RETRIES, 0, NULL },
	{ "insecure", 'k', PS_ARG_NONE, NULL,
	  "do not verify TLS certificates", OPT_INSECURE, 0, NULL },
	{ "cacert", 0, PS_ARG_REQUIRED, "FILE",
	  "trust the CA certificates (PEM) in FILE instead of the system's", OPT_CACERT,
	  PS_COMPLETE_FILE, NULL },
	{ "prom-file", 0, PS_ARG_REQUIRED, "PATH",
	  "keep Prometheus metrics in PATH (atomic rewrite, node_exporter textfile)",
	  OPT_PROM_FILE, PS_COMPLETE_FILE, NULL },
	{ "check", 'C', PS_ARG_REQUIRED, "NAME",
	  "probe only the named checks (comma-separated)", OPT_CHECK, 0, NULL },
	{ "for", 0, PS_ARG_REQUIRED, "DURATION",
	  "with --watch: stop after DURATION", OPT_FOR, 0, NULL },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ps_cli cli = {
	.prog = "ps-health",
	.usage = "[-kw] [-c FILE] [-f FMT] [-b URL] [-j N] [-t DURATION] [-r N] [--prom-file PATH] [URL ...]",
	.summary = "Probe HTTP(S), TCP, PostgreSQL and local resource health checks.",
	.epilog = "URLs: http(s)://..., tcp://HOST:PORT, postgres://..., disk:PATH, memory:, load:\n"
		  "(thresholds as disk:/var?max_used=90%). Without URLs the checks of the\n"
		  "config file are probed. Exit status 0 when every check is healthy, 1 otherwise.",
	.opts = opts,
	.common = PS_CLI_FORMAT | PS_CLI_CONFIG,
	.formats = "text json prom",
	.default_config = "monitoring.yml",
	.operands = PS_COMPLETE_NONE,
};

struct state {
	struct hdefaults d;
	int watch;
	long concurrency;
	const char *prom_file;
	const char *only;
	double run_for;
	enum ps_format format;
	struct hconfig cfg;
	struct hmetrics *metrics;
	json_t **last;		/* one-pass text: the record of each check */
	size_t unhealthy;
	int write_failed;
	int prom_dirty;
};

static volatile int stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	hrun_wake();
}

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct state *st = ctx;
	struct ps_error err = { 0 };

	switch (id) {
	case OPT_WATCH:
		st->watch = 1;
		break;
	case OPT_BASE_URL:
		st->d.base_url = arg;
		break;
	case OPT_CONCURRENCY:
		if (ps_parse_long(arg, 1, 10000, &st->concurrency))
			return ps_cli_usage_error(&cli, "--concurrency takes 1 to 10000, not '%s'", arg);
		break;
	case OPT_INTERVAL:
		if (ps_duration_parse(arg, &st->d.interval, &err) || st->d.interval <= 0)
			return ps_cli_usage_error(&cli, "--interval: invalid duration '%s'", arg);
		break;
	case OPT_TIMEOUT:
		if (ps_duration_parse(arg, &st->d.timeout, &err) || st->d.timeout <= 0)
			return ps_cli_usage_error(&cli, "--timeout: invalid duration '%s'", arg);
		break;
	case OPT_RETRIES:
		if (ps_parse_long(arg, 0, 100, &st->d.retries))
			return ps_cli_usage_error(&cli, "--retries takes 0 to 100, not '%s'", arg);
		break;
	case OPT_INSECURE:
		st->d.insecure = 1;
		break;
	case OPT_CACERT:
		st->d.ca_file = arg;
		break;
	case OPT_PROM_FILE:
		st->prom_file = arg;
		break;
	case OPT_CHECK:
		st->only = arg;
		break;
	case OPT_FOR:
		if (ps_duration_parse(arg, &st->run_for, &err) || st->run_for <= 0)
			return ps_cli_usage_error(&cli, "--for: invalid duration '%s'", arg);
		break;
	}
	return GO_ON;
}

/* Seconds to the microsecond, as JSON. */
static json_t *
secs(double s)
{
	return json_real(round(s * 1e6) / 1e6);
}

static json_t *
round_phases(const json_t *ph)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)ph, k, v)
		json_object_set_new(o, k, secs(json_number_value(v)));
	return o;
}

static json_t *
make_record(const struct hcheck *c, const struct hresult *r)
{
	json_t *rec = ps_rec_new("probe", "ps-health");
	char at[40];

	json_object_set_new(rec, "check", json_string(c->name));
	json_object_set_new(rec, "target", json_string(c->shown));
	json_object_set_new(rec, "kind", json_string(hkind_name(c->kind)));
	json_object_set_new(rec, "ok", json_boolean(r->ok));
	if (c->kind == HK_HTTP)
		json_object_set_new(rec, "status", r->status > 0 ? json_integer(r->status) : json_null());
	json_object_set_new(rec, "latency_s", secs(r->latency));
	json_object_set_new(rec, "phases", round_phases(r->phases));
	json_object_set_new(rec, "attempts", json_integer(r->attempts));
	if (!r->ok) {
		char *e = ps_redact(r->error);
		json_object_set_new(rec, "error", json_string(e));
		free(e);
	}
	if (r->tls_expires_at > 0) {
		ps_time_format(r->tls_expires_at, at, sizeof(at));
		json_object_set_new(rec, "tls_expires_at", json_string(at));
		json_object_set_new(rec, "tls_days_left",
				    json_real((double)(long)((r->tls_expires_at - r->at) / 86400.0 * 100) / 100));
	}
	if (r->extra)
		json_object_update(rec, r->extra);
	ps_time_format(r->at, at, sizeof(at));
	json_object_set_new(rec, "at", json_string(at));
	return rec;
}

static int name_width = 20;

static void
text_line(FILE *out, const json_t *rec, int with_time)
{
	const char *err = ps_json_str(rec, "error");
	long long status = 0;
	double lat = 0;
	int ok = 0;
	char st[16] = "-";

	ps_json_bool(rec, "ok", &ok);
	ps_json_num(rec, "latency_s", &lat);
	if (ps_json_int(rec, "status", &status) == 1)
		snprintf(st, sizeof(st), "%lld", status);
	if (with_time) {
		const char *at = ps_json_str(rec, "at");
		fprintf(out, "%.19s  ", at ? at : "");
	}
	fprintf(out, "%-*s %-8s %-5s %-4s %8.1fms  %s%s%s\n", name_width, ps_json_str(rec, "check"),
		ps_json_str(rec, "kind"), ok ? "ok" : "FAIL", st, lat * 1000,
		ps_json_str(rec, "target"), err ? "  " : "", err ? err : "");
}

static void
on_result(void *ctx, size_t ci, struct hresult *r)
{
	struct state *st = ctx;
	const struct hcheck *c = &st->cfg.checks[ci];
	json_t *rec = make_record(c, r);

	if (!r->ok)
		st->unhealthy++;
	if (st->metrics) {
		hmetrics_observe(st->metrics, ci, r);
		st->prom_dirty = 1;
	}
	if (st->format == PS_FMT_JSON) {
		if (ps_rec_write(stdout, rec))
			st->write_failed = 1;
	} else if (st->format == PS_FMT_TEXT && st->watch) {
		text_line(stdout, rec, 1);
		fflush(stdout);
	}
	if (!st->watch && st->last) {
		json_decref(st->last[ci]);
		st->last[ci] = json_incref(rec);
	}
	json_decref(rec);
	if (st->write_failed)
		stop_flag = 1;
}

static void
write_prom_file(struct state *st)
{
	struct ps_error err = { 0 };

	if (!st->prom_file || !st->prom_dirty)
		return;
	st->prom_dirty = 0;
	if (hmetrics_write_file(st->metrics, st->prom_file, &err))
		ps_log_warn("%s", err.msg);
}

static void
on_tick(void *ctx)
{
	write_prom_file(ctx);
}

/* Keep only the checks named in a comma-separated list. */
static int
select_checks(struct state *st)
{
	struct hconfig *cfg = &st->cfg;
	size_t i, k = 0;

	for (i = 0; i < cfg->n; i++) {
		const char *p = st->only;
		size_t len = strlen(cfg->checks[i].name);
		int keep = 0;
		while (p && *p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if (n == len && strncmp(p, cfg->checks[i].name, n) == 0)
				keep = 1;
			p = comma ? comma + 1 : NULL;
		}
		if (keep) {
			struct hcheck t = cfg->checks[k];
			cfg->checks[k++] = cfg->checks[i];
			cfg->checks[i] = t;
		}
	}
	if (k == 0) {
		ps_log_error("no check named '%s'", st->only);
		return -1;
	}
	/* the rest stay allocated behind n, freed with the config */
	for (i = k; i < cfg->n; i++)
		cfg->checks[i].done_once = 1;
	st->cfg.n = k;
	return 0;
}

/* Load the config (when no URLs were given, or -c was). -1: exit 2. */
static int
load_checks(struct state *st, const struct ps_cli_common *common, int argc,
	    char **argv, int first, size_t *total)
{
	struct ps_diags diags = { 0 };
	struct ps_error err = { 0 };
	int i, bad = 0;
	size_t k;

	if (first >= argc || common->config_given) {
		struct ps_doc *doc = ps_doc_load(common->config, &diags);
		if (doc) {
			struct ps_cfgck ck = { .doc = doc, .diags = &diags, .interpolate = 1,
					       .tool = "ps-health" };
			hconfig_load(&ck, ps_doc_root(doc), &st->d, &st->cfg);
		}
		for (k = 0; k < diags.len; k++)
			ps_finding_print(stderr, diags.v[k], ps_log_use_color(stderr));
		bad = !doc || ps_diags_count(&diags, PS_SEV_ERROR);
		ps_diags_free(&diags);
		ps_doc_free(doc);
	}
	for (i = first; i < argc; i++) {
		if (hconfig_add_url(&st->cfg, argv[i], &st->d, &err)) {
			ps_log_error("%s", err.msg);
			bad = 1;
		}
	}
	hconfig_default_metrics(&st->cfg);
	*total = st->cfg.n;
	if (bad)
		return -1;
	if (st->only && select_checks(st))
		return -1;
	if (st->cfg.n == 0) {
		ps_log_error("nothing to check: no health_checks and no URLs");
		return -1;
	}
	return 0;
}

static void
print_table(struct state *st)
{
	size_t i;

	for (i = 0; i < st->cfg.n; i++)
		if ((int)strlen(st->cfg.checks[i].name) > name_width)
			name_width = (int)strlen(st->cfg.checks[i].name);
	printf("%-*s %-8s %-5s %-4s %10s  %s\n", name_width, "CHECK", "KIND", "OK", "CODE",
	       "LATENCY", "TARGET");
	for (i = 0; i < st->cfg.n; i++)
		if (st->last[i])
			text_line(stdout, st->last[i], 0);
	printf("%zu of %zu check%s healthy\n", st->cfg.n - st->unhealthy, st->cfg.n,
	       st->cfg.n == 1 ? "" : "s");
}

int
main(int argc, char **argv)
{
	struct state st = { .d = { .interval = -1, .timeout = -1, .retries = -1 },
			    .concurrency = 100 };
	struct ps_cli_common common;
	struct ps_error err = { 0 };
	struct sigaction sa;
	size_t total = 0, i;
	int first, rc;

	ps_cli_init(&cli, argv[0]);
	rc = ps_cli_parse(&cli, argc, argv, on_opt, &st, &common, &first);
	if (rc >= 0)
		return rc;
	if (!st.d.base_url && getenv("PS_BASE_URL") && *getenv("PS_BASE_URL"))
		st.d.base_url = getenv("PS_BASE_URL");
	st.format = common.format == PS_FMT_AUTO ?
		(isatty(STDOUT_FILENO) ? PS_FMT_TEXT : PS_FMT_JSON) : common.format;
	if (st.watch && st.format == PS_FMT_PROM)
		return ps_cli_usage_error(&cli, "-f prom prints one pass; with --watch use --prom-file");
	if (st.run_for > 0 && !st.watch)
		return ps_cli_usage_error(&cli, "--for needs --watch");
	json_object_seed(0);	/* before any worker thread creates objects */
	if (load_checks(&st, &common, argc, argv, first, &total)) {
		st.cfg.n = total;
		hconfig_free(&st.cfg);
		return PS_EXIT_USAGE;
	}
	if (st.format == PS_FMT_PROM || st.prom_file)
		st.metrics = hmetrics_new(&st.cfg);
	if (!st.watch)
		st.last = ps_xcalloc(st.cfg.n, sizeof(*st.last));
	if (st.watch)
		setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (st.run_for > 0) {
		signal(SIGALRM, on_signal);
		alarm((unsigned)(st.run_for + 0.999));
	}

	struct hrun_opts ro = { .watch = st.watch, .concurrency = (int)st.concurrency,
				.stop = &stop_flag, .on_result = on_result, .ctx = &st,
				.on_tick = on_tick };
	rc = hrun(&st.cfg, &ro, &err) ? PS_EXIT_OPER : 0;
	if (rc)
		ps_log_error("%s", err.msg);
	st.prom_dirty = st.metrics != NULL;
	write_prom_file(&st);
	if (!rc && !st.watch) {
		if (stop_flag && !st.write_failed)
			rc = PS_EXIT_OPER;	/* interrupted */
		else if (st.format == PS_FMT_PROM)
			hmetrics_write(st.metrics, stdout);
		else if (st.format == PS_FMT_TEXT)
			print_table(&st);
		if (!rc && st.unhealthy)
			rc = PS_EXIT_FAIL;
	}
	if (st.last)
		for (i = 0; i < st.cfg.n; i++)
			json_decref(st.last[i]);
	free(st.last);
	hmetrics_free(st.metrics);
	st.cfg.n = total;
	hconfig_free(&st.cfg);
	return ps_cli_finish(rc);
}
