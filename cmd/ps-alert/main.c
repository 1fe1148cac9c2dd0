/*
 * ps-alert: evaluate the alert rules of monitoring.yml over a stream of
 * probe records and emit, and deliver, alerts when their state changes
 * (Monitoring & Observability standards: "Alerting: set up alerts for
 * critical issues").
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/ps-alert/engine.h"
#include "cmd/ps-alert/reader.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/http.h"
#include "lib/log.h"
#include "lib/records.h"
#include "lib/time.h"

enum {
	OPT_PASS = 1, OPT_WEBHOOK, OPT_ALERTMANAGER, OPT_DELIVERY_TIMEOUT,
	OPT_DELIVERY_RETRIES, OPT_TIME_SCALE, OPT_CHECK_CONFIG,
};

/* What ps_cli_parse's callback returns to carry on parsing. */
#define GO_ON 0

static const struct ps_opt opts[] = {
	{ "pass", 'p', PS_ARG_NONE, NULL,
	  "copy records that are not probes to stdout", OPT_PASS, 0, NULL },
	{ "webhook", 'w', PS_ARG_REQUIRED, "URL",
	  "POST each firing/resolved alert as JSON with a Slack-style text", OPT_WEBHOOK,
	  0, NULL },
	{ "alertmanager", 'a', PS_ARG_REQUIRED, "URL",
	  "send alerts to an Alertmanager (POST URL/api/v2/alerts)", OPT_ALERTMANAGER,
	  0, NULL },
	{ "delivery-timeout", 0, PS_ARG_REQUIRED, "DURATION",
	  "time allowed for one delivery, retries included (default 5s)",
	  OPT_DELIVERY_TIMEOUT, 0, NULL },
	{ "delivery-retries", 0, PS_ARG_REQUIRED, "N",
	  "retries of a failed delivery (default 3)", OPT_DELIVERY_RETRIES, 0, NULL },
	{ "time-scale", 0, PS_ARG_REQUIRED, "FACTOR",
	  "multiply every duration and window of the rules (drills, tests)",
	  OPT_TIME_SCALE, 0, NULL },
	{ "check-config", 0, PS_ARG_NONE, NULL,
	  "load and check the rules, then exit", OPT_CHECK_CONFIG, 0, NULL },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ps_cli cli = {
	.prog = "ps-alert",
	.usage = "[-p] [-c FILE] [-f FMT] [-w URL] [-a URL] [--time-scale FACTOR] [FILE ...]",
	.summary = "Evaluate monitoring.yml alert rules over probe records and deliver alerts.",
	.epilog = "Reads probe records (JSON lines, e.g. from ps-health --watch) from the FILEs\n"
		  "or stdin, and writes an alert record at every state change: pending, firing,\n"
		  "resolved, inactive. Time comes from the records' \"at\" field.",
	.opts = opts,
	.common = PS_CLI_FORMAT | PS_CLI_CONFIG,
	.formats = "text json",
	.default_config = "monitoring.yml",
	.operands = PS_COMPLETE_FILE,
};

struct state {
	int pass;
	const char *webhook;
	const char *alertmanager;
	double delivery_timeout;
	long delivery_retries;
	double scale;
	int check_only;
	enum ps_format format;
	size_t delivery_failures;
	volatile int write_failed;
	struct alert_engine *engine;
	double last_at;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct state *st = ctx;
	struct ps_error err = { 0 };

	switch (id) {
	case OPT_PASS:
		st->pass = 1;
		break;
	case OPT_WEBHOOK:
		st->webhook = arg;
		break;
	case OPT_ALERTMANAGER:
		st->alertmanager = arg;
		break;
	case OPT_DELIVERY_TIMEOUT:
		if (ps_duration_parse(arg, &st->delivery_timeout, &err) || st->delivery_timeout <= 0)
			return ps_cli_usage_error(&cli, "--delivery-timeout: invalid duration '%s'", arg);
		break;
	case OPT_DELIVERY_RETRIES:
		if (ps_parse_long(arg, 0, 100, &st->delivery_retries))
			return ps_cli_usage_error(&cli, "--delivery-retries takes 0 to 100, not '%s'", arg);
		break;
	case OPT_TIME_SCALE:
		if (ps_parse_double(arg, &st->scale) || st->scale <= 0 || st->scale > 1e6)
			return ps_cli_usage_error(&cli, "--time-scale takes a positive number, not '%s'", arg);
		break;
	case OPT_CHECK_CONFIG:
		st->check_only = 1;
		break;
	}
	return GO_ON;
}

/* "[FIRING] high_error_rate (critical) on application: error_rate = 0.5 ..." */
static char *
alert_text(const json_t *a)
{
	const char *state = ps_json_str(a, "state"), *metric = ps_json_str(a, "metric");
	char up[16];
	double v;
	size_t i;
	struct ps_buf b = { 0 };
	int reminder = 0;

	snprintf(up, sizeof(up), "%s", state ? state : "?");
	for (i = 0; up[i]; i++)
		up[i] = (char)(up[i] >= 'a' && up[i] <= 'z' ? up[i] - 32 : up[i]);
	ps_json_bool(a, "reminder", &reminder);
	ps_buf_addf(&b, "[%s]%s %s (%s) on %s", up, reminder ? " (reminder)" : "",
		    ps_json_str(a, "rule"), ps_json_str(a, "severity"), ps_json_str(a, "check"));
	if (metric && ps_json_num(a, "value", &v) == 1)
		ps_buf_addf(&b, ": %s = %.6g", metric, v);
	ps_buf_addf(&b, " (condition: %s) since %s", ps_json_str(a, "condition"),
		    ps_json_str(a, "since"));
	if (ps_json_str(a, "summary"))
		ps_buf_addf(&b, " - %s", ps_json_str(a, "summary"));
	return ps_buf_detach(&b);
}

static void
deliver(struct state *st, const char *what, const char *url, const char *body)
{
	struct ps_error err = { 0 };
	long status = 0;

	if (ps_http_post(url, "application/json", body, strlen(body),
			 st->delivery_timeout, (int)st->delivery_retries, &status, &err)) {
		char *u = ps_redact(url);
		ps_log_warn("cannot deliver the alert to %s '%s': %s", what, u, err.msg);
		free(u);
		st->delivery_failures++;
	}
}

static void
deliver_alert(struct state *st, const json_t *a)
{
	const char *state = ps_json_str(a, "state");
	char *text, *body;

	if (!state || (strcmp(state, "firing") && strcmp(state, "resolved")))
		return;
	text = alert_text(a);
	if (st->webhook) {
		json_t *p = json_pack("{s:s, s:O}", "text", text, "alert", (json_t *)a);
		body = json_dumps(p, JSON_COMPACT);
		deliver(st, "webhook", st->webhook, body);
		free(body);
		json_decref(p);
	}
	if (st->alertmanager) {
		struct ps_buf url = { 0 };
		json_t *labels = json_pack("{s:s, s:s, s:s}", "alertname", ps_json_str(a, "rule"),
					   "severity", ps_json_str(a, "severity"),
					   "check", ps_json_str(a, "check"));
		json_t *ann = json_pack("{s:s, s:s}", "summary", text,
					"condition", ps_json_str(a, "condition"));
		json_t *one = json_pack("{s:o, s:o, s:s}", "labels", labels,
					"annotations", ann, "startsAt",
					ps_json_str(a, "fired_at") ? ps_json_str(a, "fired_at") :
					ps_json_str(a, "since"));
		json_t *arr = json_array();
		double v;

		if (ps_json_num(a, "value", &v) == 1) {
			char vb[64];
			snprintf(vb, sizeof(vb), "%.6g", v);
			json_object_set_new(ann, "value", json_string(vb));
		}
		if (strcmp(state, "resolved") == 0)
			json_object_set_new(one, "endsAt", json_string(ps_json_str(a, "at")));
		json_array_append_new(arr, one);
		body = json_dumps(arr, JSON_COMPACT);
		ps_buf_adds(&url, st->alertmanager);
		while (url.len && url.data[url.len - 1] == '/')
			url.data[--url.len] = 0;
		if (url.len < 14 || strcmp(url.data + url.len - 14, "/api/v2/alerts") != 0)
			ps_buf_adds(&url, "/api/v2/alerts");
		deliver(st, "Alertmanager", ps_buf_str(&url), body);
		free(body);
		ps_buf_free(&url);
		json_decref(arr);
	}
	free(text);
}

static void
on_alert(void *ctx, json_t *a)
{
	struct state *st = ctx;

	if (st->format == PS_FMT_TEXT) {
		char *t = alert_text(a);
		char at[40];
		snprintf(at, sizeof(at), "%s", ps_json_str(a, "at"));
		if (printf("%s %s\n", at, t) < 0)
			st->write_failed = 1;
		free(t);
	} else if (ps_rec_write(stdout, a)) {
		st->write_failed = 1;
	}
	deliver_alert(st, a);
	json_decref(a);
}

static void
on_item(void *ctx, const struct alert_item *it, const char *line, size_t len,
	const char *name, size_t lineno)
{
	struct state *st = ctx;
	struct alert_sample s;

	switch (it->kind) {
	case ALERT_ITEM_PROBE:
		s = it->s;
		if (isnan(s.at))
			s.at = st->last_at;
		st->last_at = s.at;
		alert_engine_feed(st->engine, &s);
		break;
	case ALERT_ITEM_OTHER:
		if (st->pass && (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF))
			st->write_failed = 1;
		break;
	case ALERT_ITEM_BAD:
		ps_log_warn("%s:%zu: %s (skipped)", name, lineno, it->msg);
		break;
	case ALERT_ITEM_BAD_PROBE:
		ps_log_warn("probe record without check or ok (at %s:%zu; skipped)", name, lineno);
		break;
	case ALERT_ITEM_BLANK:
		break;
	}
}

/*
 * Feed one input to the engine: parsed on every core, fed in order (see
 * reader.c). Returns 0, or an exit status to stop with.
 */
static int
feed(struct state *st, FILE *f, const char *name)
{
	struct ps_error err = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (alert_read_parallel(f, name, ncpu > 1 ? (int)(ncpu > 4 ? 4 : ncpu) : 0,
				on_item, &st->write_failed, st, &err)) {
		ps_log_error("%s", err.msg);
		return PS_EXIT_OPER;
	}
	return 0;
}

static int
run(struct state *st, int argc, char **argv, int first)
{
	int i, status = 0;

	if (first >= argc)
		return feed(st, stdin, "stdin");
	for (i = first; i < argc && !status; i++) {
		if (strcmp(argv[i], "-") == 0) {
			status = feed(st, stdin, "stdin");
			continue;
		}
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			ps_log_error("cannot open '%s': %s", argv[i], strerror(errno));
			return PS_EXIT_OPER;
		}
		status = feed(st, f, argv[i]);
		fclose(f);
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct state st = { .delivery_timeout = 5, .delivery_retries = 3, .scale = 1 };
	struct ps_cli_common common;
	struct ps_diags diags = { 0 };
	struct alert_rule *rules = NULL;
	struct alert_engine *e;
	struct ps_doc *doc;
	struct stat sb;
	size_t nrules = 0, i;
	int first, rc;

	ps_cli_init(&cli, argv[0]);
	rc = ps_cli_parse(&cli, argc, argv, on_opt, &st, &common, &first);
	if (rc >= 0)
		return rc;
	st.format = common.format == PS_FMT_AUTO ?
		(isatty(STDOUT_FILENO) ? PS_FMT_TEXT : PS_FMT_JSON) : common.format;
	doc = ps_doc_load(common.config, &diags);
	if (doc) {
		struct ps_cfgck ck = { .doc = doc, .diags = &diags, .interpolate = 1,
				       .tool = "ps-alert" };
		nrules = alert_rules_load(&ck, ps_doc_root(doc), st.scale, &rules);
	}
	for (i = 0; i < diags.len; i++)
		ps_finding_print(stderr, diags.v[i], ps_log_use_color(stderr));
	if (!doc || ps_diags_count(&diags, PS_SEV_ERROR)) {
		alert_rules_free(rules, nrules);
		ps_doc_free(doc);
		ps_diags_free(&diags);
		return PS_EXIT_USAGE;
	}
	ps_diags_free(&diags);
	if (st.check_only) {
		printf("%s: %zu alert rule%s\n", common.config, nrules, nrules == 1 ? "" : "s");
		alert_rules_free(rules, nrules);
		ps_doc_free(doc);
		return ps_cli_finish(PS_EXIT_OK);
	}
	/* Live input: pass alerts on as soon as they happen. */
	if (first >= argc && fstat(STDIN_FILENO, &sb) == 0 && !S_ISREG(sb.st_mode))
		setvbuf(stdout, NULL, _IOLBF, 0);
	json_object_seed(0);	/* before the parser threads create objects */
	e = alert_engine_new(rules, nrules, on_alert, &st);
	st.engine = e;
	st.last_at = ps_time_now();
	rc = run(&st, argc, argv, first);
	if (!rc && alert_engine_firing(e))
		rc = PS_EXIT_FAIL;
	if (st.delivery_failures)
		ps_log_warn("%zu alert deliver%s failed", st.delivery_failures,
			    st.delivery_failures == 1 ? "y" : "ies");
	alert_engine_free(e);
	alert_rules_free(rules, nrules);
	ps_doc_free(doc);
	return ps_cli_finish(rc);
}
