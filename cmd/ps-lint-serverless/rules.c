/*
 * The rules of ps-lint-serverless: the AWS Lambda standards of the
 * Serverless Deployment section (runtime, timeout and memory bounds,
 * least-privilege IAM, configuration through environment variables,
 * packages under 50 MB) over serverless.yml.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/time.h"

#include "serverless.h"

const struct ps_lint_rule sls_rules[] = {
	{"PSS001", "unknown-runtime", PS_SEV_ERROR,
	 "the runtime is not one AWS Lambda offers", "checkov:CKV_AWS_363", 0},
	{"PSS002", "deprecated-runtime", PS_SEV_WARNING,
	 "the runtime is deprecated by AWS Lambda: no security patches, then no updates",
	 "checkov:CKV_AWS_363", 0},
	{"PSS003", "missing-runtime", PS_SEV_ERROR,
	 "neither provider.runtime nor the function's runtime is set", NULL, 0},
	{"PSS004", "timeout-too-long", PS_SEV_ERROR,
	 "a Lambda function runs at most 900 seconds", NULL, 0},
	{"PSS005", "api-gateway-timeout", PS_SEV_ERROR,
	 "API Gateway ends the request at 29 s (REST http) or 30 s (httpApi): a longer timeout only hides failures",
	 NULL, 0},
	{"PSS006", "memory-out-of-range", PS_SEV_ERROR,
	 "memorySize must be 128 to 10240 MB", NULL, 0},
	{"PSS007", "iam-wildcard-resource", PS_SEV_WARNING,
	 "an IAM statement on Resource \"*\": least privilege names the resources",
	 "checkov:CKV_AWS_111", 0},
	{"PSS008", "iam-wildcard-action", PS_SEV_ERROR,
	 "an IAM statement allowing \"*\" or \"service:*\" actions", "checkov:CKV_AWS_49", 0},
	{"PSS009", "literal-secret", PS_SEV_ERROR,
	 "a secret written into serverless.yml; use ${ssm:...}, ${env:...} or a secrets manager",
	 "checkov:CKV_AWS_45", 0},
	{"PSS010", "invalid-schedule", PS_SEV_ERROR,
	 "a schedule event that is not a valid cron(...) or rate(...) expression", NULL, 0},
	{"PSS011", "package-too-large", PS_SEV_ERROR,
	 "a function's deployment package over 50 MB zipped or 250 MB unzipped", NULL, 0},
	{"PSS012", "reserved-environment-variable", PS_SEV_ERROR,
	 "Lambda sets these variables itself and rejects functions that define them", NULL, 0},
	{"PSS013", "python-requirements-mismatch", PS_SEV_WARNING,
	 "custom.pythonRequirements without the serverless-python-requirements plugin, or the plugin for a non-Python runtime",
	 NULL, 0},
	{"PSS014", "deprecated-iam-syntax", PS_SEV_WARNING,
	 "provider.iamRoleStatements is deprecated; use provider.iam.role.statements", NULL, 0},
	{"PSS015", "duplicate-plugin", PS_SEV_WARNING,
	 "a plugin listed twice", NULL, 0},
	{"PSS016", "invalid-number", PS_SEV_ERROR,
	 "timeout and memorySize must be whole numbers (or ${...} variables)", NULL, 0},
	{"PSS017", "not-a-serverless-file", PS_SEV_ERROR,
	 "the file's top level is not a mapping with service and provider", NULL, 0},
};
const size_t sls_nrules = PS_ARRAY_LEN(sls_rules);

/* Lambda runtimes and the date AWS deprecated them (0: supported). */
static const struct {
	const char *name;
	const char *deprecated;	/* YYYY-MM-DD */
} runtimes[] = {
	{"nodejs", "2016-10-31"}, {"nodejs4.3", "2020-03-05"},
	{"nodejs6.10", "2019-08-12"}, {"nodejs8.10", "2020-03-06"},
	{"nodejs10.x", "2021-07-30"}, {"nodejs12.x", "2023-03-31"},
	{"nodejs14.x", "2023-12-04"}, {"nodejs16.x", "2024-06-12"},
	{"nodejs18.x", "2025-09-01"}, {"nodejs20.x", "2026-04-30"},
	{"nodejs22.x", NULL}, {"nodejs24.x", NULL},
	{"python2.7", "2021-07-15"}, {"python3.6", "2022-07-18"},
	{"python3.7", "2023-12-04"}, {"python3.8", "2024-10-14"},
	{"python3.9", "2025-12-15"}, {"python3.10", "2026-10-31"},
	{"python3.11", NULL}, {"python3.12", NULL}, {"python3.13", NULL},
	{"python3.14", NULL},
	{"java8", "2024-01-08"}, {"java8.al2", NULL}, {"java11", NULL},
	{"java17", NULL}, {"java21", NULL}, {"java25", NULL},
	{"dotnetcore1.0", "2019-07-30"}, {"dotnetcore2.0", "2019-05-30"},
	{"dotnetcore2.1", "2022-01-05"}, {"dotnetcore3.1", "2023-04-03"},
	{"dotnet5.0", "2022-05-10"}, {"dotnet6", "2024-12-20"},
	{"dotnet7", "2024-05-14"}, {"dotnet8", NULL}, {"dotnet9", NULL},
	{"ruby2.5", "2021-07-30"}, {"ruby2.7", "2023-12-07"},
	{"ruby3.2", "2026-03-31"}, {"ruby3.3", NULL}, {"ruby3.4", NULL},
	{"go1.x", "2024-01-08"}, {"provided", "2024-01-08"},
	{"provided.al2", NULL}, {"provided.al2023", NULL},
};

/* Variables Lambda reserves for itself. */
static const char *const reserved_env[] = {
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
	"AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
	"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
};

struct sctx {
	struct ps_lint_ctx *lint;
	const struct ps_node *root;
	const struct ps_node *provider;
	struct sls_opts *opts;
	char today[11];
	/* provider-level values are reported once, not per function */
	int runtime_done, memory_done, timeout_done;
};

static const char *
scalar(const struct ps_node *n)
{
	return n && n->kind == PS_NODE_SCALAR && n->value ? n->value : NULL;
}

static int
is_variable(const char *s)
{
	return s && strstr(s, "${") != NULL;
}

/*
 * A whole number from a scalar: 1 and *out set; 0 for a ${...} variable
 * (not checked); -1 (with a finding) when it is neither.
 */
static int
number(struct sctx *c, const struct ps_node *n, const char *what, long *out)
{
	const char *v = scalar(n);

	if (!n)
		return 0;
	if (v && is_variable(v))
		return 0;
	if (!v || ps_parse_long(v, 0, 1000000, out) < 0) {
		ps_lint_report(c->lint, "PSS016", n->line, n->col,
			       "%s: expected a whole number, got \"%s\"", what,
			       v ? v : ps_node_kind_name(n));
		return -1;
	}
	return 1;
}

static void
check_runtime(struct sctx *c, const char *fname, const struct ps_node *fn,
	      const struct ps_node *key)
{
	const struct ps_node *rt = ps_node_get(fn, "runtime");
	const struct ps_node *image = ps_node_get(fn, "image");
	const char *v;
	size_t i;

	if (!rt && c->provider) {
		rt = ps_node_get(c->provider, "runtime");
		if (rt && c->runtime_done++)
			return;
	}
	if (!rt) {
		/* A container image function brings its own runtime. */
		if (!image)
			ps_lint_report(c->lint, "PSS003", key->line, key->col,
				       "function \"%s\" has no runtime and provider.runtime is not set",
				       fname);
		return;
	}
	v = scalar(rt);
	if (!v || is_variable(v))
		return;
	for (i = 0; i < PS_ARRAY_LEN(runtimes); i++) {
		if (strcmp(runtimes[i].name, v) != 0)
			continue;
		if (runtimes[i].deprecated &&
		    strcmp(runtimes[i].deprecated, c->today) <= 0)
			ps_lint_report(c->lint, "PSS002", rt->line, rt->col,
				       "runtime %s is deprecated by AWS Lambda since %s (function \"%s\")",
				       v, runtimes[i].deprecated, fname);
		return;
	}
	ps_lint_report(c->lint, "PSS001", rt->line, rt->col,
		       "runtime \"%s\" is not an AWS Lambda runtime (function \"%s\")",
		       v, fname);
}

/* The API Gateway limit that applies to a function: 29 for REST (http),
 * 30 for HTTP APIs (httpApi), 0 when it has neither. */
static int
gateway_limit(const struct ps_node *fn, const struct ps_node **ev_at,
	      const char **kind)
{
	const struct ps_node *events = ps_node_get(fn, "events");
	size_t i;

	for (i = 0; events && events->kind == PS_NODE_SEQ && i < events->len; i++) {
		const struct ps_node *e = events->items[i];

		if (ps_node_get(e, "http")) {
			*ev_at = ps_node_get(e, "http");
			*kind = "http (REST API)";
			return 29;
		}
		if (ps_node_get(e, "httpApi")) {
			*ev_at = ps_node_get(e, "httpApi");
			*kind = "httpApi";
			return 30;
		}
	}
	return 0;
}

static void
check_limits(struct sctx *c, const char *fname, const struct ps_node *fn)
{
	const struct ps_node *to = ps_node_get(fn, "timeout");
	const struct ps_node *mem = ps_node_get(fn, "memorySize");
	const struct ps_node *ev = NULL;
	const char *kind = NULL;
	long timeout = 6, memory;	/* the framework's default timeout */
	int limit, check_to = 1, check_mem = 1;

	/* Provider-level values are checked with the first function only. */
	if (!to && c->provider && (to = ps_node_get(c->provider, "timeout")))
		check_to = !c->timeout_done++;
	if (!mem && c->provider && (mem = ps_node_get(c->provider, "memorySize")))
		check_mem = !c->memory_done++;
	if (check_to) {
		if (number(c, to, "timeout", &timeout) > 0 && timeout > 900)
			ps_lint_report(c->lint, "PSS004", to->line, to->col,
				       "function \"%s\": timeout %ld s exceeds Lambda's 900 s",
				       fname, timeout);
	} else if (scalar(to) && !is_variable(scalar(to))) {
		ps_parse_long(scalar(to), 0, 1000000, &timeout);
	}
	if (check_mem && number(c, mem, "memorySize", &memory) > 0 &&
	    (memory < 128 || memory > 10240))
		ps_lint_report(c->lint, "PSS006", mem->line, mem->col,
			       "function \"%s\": memorySize %ld MB is outside 128-10240 MB",
			       fname, memory);
	limit = gateway_limit(fn, &ev, &kind);
	if (limit && to && timeout > limit)
		ps_lint_report(c->lint, "PSS005", to->line, to->col,
			       "function \"%s\" answers an %s event but its timeout is %ld s: API Gateway gives up after %d s (make it asynchronous or lower the timeout)",
			       fname, kind, timeout, limit);
}

static void
check_schedules(struct sctx *c, const char *fname, const struct ps_node *fn)
{
	const struct ps_node *events = ps_node_get(fn, "events");
	size_t i, k;

	for (i = 0; events && events->kind == PS_NODE_SEQ && i < events->len; i++) {
		const struct ps_node *s = ps_node_get(events->items[i], "schedule");
		const struct ps_node *exprs[16];
		size_t n = 0;

		if (!s)
			continue;
		if (s->kind == PS_NODE_SCALAR) {
			exprs[n++] = s;
		} else if (s->kind == PS_NODE_MAP) {
			const struct ps_node *rate = ps_node_get(s, "rate");

			if (rate && rate->kind == PS_NODE_SEQ)
				for (k = 0; k < rate->len && n < 16; k++)
					exprs[n++] = rate->items[k];
			else if (rate)
				exprs[n++] = rate;
		}
		for (k = 0; k < n; k++) {
			const char *v = scalar(exprs[k]);
			struct ps_sched sch;
			struct ps_error err = {0};

			if (!v || is_variable(v))
				continue;
			if (strncmp(v, "cron(", 5) != 0 && strncmp(v, "rate(", 5) != 0)
				ps_lint_report(c->lint, "PSS010", exprs[k]->line,
					       exprs[k]->col,
					       "function \"%s\": schedule \"%s\" must be cron(...) or rate(...)",
					       fname, v);
			else if (ps_sched_parse(v, &sch, &err) < 0)
				ps_lint_report(c->lint, "PSS010", exprs[k]->line,
					       exprs[k]->col + (err.col > 0 ? err.col - 1 : 0),
					       "function \"%s\": schedule \"%s\": %s",
					       fname, v, err.msg);
		}
	}
}

static void
check_environment(struct sctx *c, const char *where, const struct ps_node *env)
{
	size_t i, k;

	if (!env || env->kind != PS_NODE_MAP)
		return;
	for (i = 0; i < env->len; i++) {
		const struct ps_node *key = env->pairs[i].key;
		const char *k_ = scalar(key), *v = scalar(env->pairs[i].value);

		if (!k_)
			continue;
		for (k = 0; k < PS_ARRAY_LEN(reserved_env); k++)
			if (strcmp(reserved_env[k], k_) == 0)
				ps_lint_report(c->lint, "PSS012", key->line, key->col,
					       "%s: %s is reserved by Lambda", where, k_);
		if (v && *v && !is_variable(v) && ps_is_secret_name(k_))
			ps_lint_report(c->lint, "PSS009", env->pairs[i].value->line,
				       env->pairs[i].value->col,
				       "%s: %s is written into the file; use ${ssm:...} or ${env:%s}",
				       where, k_, k_);
	}
}

static int
has_wildcard_action(const char *a)
{
	size_t n = strlen(a);

	return strcmp(a, "*") == 0 || (n > 2 && strcmp(a + n - 2, ":*") == 0);
}

static void
check_statement(struct sctx *c, const struct ps_node *st)
{
	const char *effect = scalar(ps_node_get(st, "Effect"));
	const struct ps_node *res = ps_node_get(st, "Resource");
	const struct ps_node *act = ps_node_get(st, "Action");
	const struct ps_node *one[1];
	const struct ps_node *const *items;
	size_t n, i;

	if (effect && strcmp(effect, "Allow") != 0)
		return;
	if (res) {
		if (res->kind == PS_NODE_SEQ) {
			items = (const struct ps_node *const *)res->items;
			n = res->len;
		} else {
			one[0] = res;
			items = one;
			n = 1;
		}
		for (i = 0; i < n; i++)
			if (scalar(items[i]) && strcmp(scalar(items[i]), "*") == 0)
				ps_lint_report(c->lint, "PSS007", items[i]->line,
					       items[i]->col,
					       "IAM statement allows its actions on every resource (\"*\"); name the ARNs");
	}
	if (act) {
		if (act->kind == PS_NODE_SEQ) {
			items = (const struct ps_node *const *)act->items;
			n = act->len;
		} else {
			one[0] = act;
			items = one;
			n = 1;
		}
		for (i = 0; i < n; i++)
			if (scalar(items[i]) && has_wildcard_action(scalar(items[i])))
				ps_lint_report(c->lint, "PSS008", items[i]->line,
					       items[i]->col,
					       "IAM statement allows every action \"%s\"; list the actions needed",
					       scalar(items[i]));
	}
}

static void
check_statements(struct sctx *c, const struct ps_node *list)
{
	size_t i;

	for (i = 0; list && list->kind == PS_NODE_SEQ && i < list->len; i++)
		check_statement(c, list->items[i]);
}

static void
check_provider(struct sctx *c)
{
	const struct ps_pair *old;

	if (!c->provider)
		return;
	check_environment(c, "provider.environment",
			  ps_node_get(c->provider, "environment"));
	check_statements(c, ps_node_path(c->provider, "iam.role.statements"));
	old = ps_node_pair(c->provider, "iamRoleStatements");
	if (old) {
		ps_lint_report(c->lint, "PSS014", old->key->line, old->key->col,
			       "provider.iamRoleStatements is deprecated; move the statements to provider.iam.role.statements");
		check_statements(c, old->value);
	}
}

static void
check_plugins(struct sctx *c)
{
	const struct ps_node *plugins = ps_node_get(c->root, "plugins");
	const struct ps_node *pyreq = ps_node_path(c->root, "custom.pythonRequirements");
	const char *runtime = c->provider ? scalar(ps_node_get(c->provider, "runtime")) : NULL;
	const struct ps_node *pyplugin = NULL;
	size_t i, k;

	/* plugins: [a, b] or plugins: {modules: [a, b]} */
	if (plugins && plugins->kind == PS_NODE_MAP)
		plugins = ps_node_get(plugins, "modules");
	for (i = 0; plugins && plugins->kind == PS_NODE_SEQ && i < plugins->len; i++) {
		const char *p = scalar(plugins->items[i]);

		if (!p)
			continue;
		if (strcmp(p, "serverless-python-requirements") == 0)
			pyplugin = plugins->items[i];
		for (k = 0; k < i; k++)
			if (scalar(plugins->items[k]) &&
			    strcmp(scalar(plugins->items[k]), p) == 0)
				ps_lint_report(c->lint, "PSS015", plugins->items[i]->line,
					       plugins->items[i]->col,
					       "plugin %s is listed twice", p);
	}
	if (pyreq && !pyplugin)
		ps_lint_report(c->lint, "PSS013", pyreq->line, pyreq->col,
			       "custom.pythonRequirements is set but the serverless-python-requirements plugin is not listed");
	if (pyplugin && runtime && !is_variable(runtime) &&
	    strncmp(runtime, "python", 6) != 0)
		ps_lint_report(c->lint, "PSS013", pyplugin->line, pyplugin->col,
			       "serverless-python-requirements packages Python dependencies, but the runtime is %s",
			       runtime);
}

static void
check_function(void *ctx, const void *data, const struct ps_node *fn, const struct ps_node *key,
	       const char *const *caps)
{
	struct sctx *c = ctx;
	char where[160];

	if (!fn || fn->kind != PS_NODE_MAP)
		return;
	check_runtime(c, caps[0], fn, key ? key : fn);
	check_limits(c, caps[0], fn);
	check_schedules(c, caps[0], fn);
	snprintf(where, sizeof(where), "function \"%s\"", caps[0]);
	check_environment(c, where, ps_node_get(fn, "environment"));
	check_statements(c, ps_node_path(fn, "iamRoleStatements"));
	if (c->opts && c->opts->package)
		sls_check_package(c->lint, c->opts, caps[0], key ? key : fn);
}

void
sls_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc, void *arg)
{
	static const struct ps_lint_visit visits[] = {
		{"functions.*", check_function},
	};
	const struct ps_node *root = ps_doc_root(doc);
	struct sctx c;
	time_t now = time(NULL);
	struct tm tm;

	if (!root || ps_node_is_null(root))
		return;
	if (root->kind != PS_NODE_MAP || !ps_node_get(root, "service")) {
		ps_lint_report(ctx, "PSS017", root->line, root->col,
			       "expected a serverless.yml mapping with service: and provider:");
		return;
	}
	memset(&c, 0, sizeof(c));
	c.lint = ctx;
	c.root = root;
	c.opts = arg;
	c.provider = ps_node_get(root, "provider");
	if (c.provider && c.provider->kind != PS_NODE_MAP)
		c.provider = NULL;
	if (c.opts && c.opts->today)
		snprintf(c.today, sizeof(c.today), "%s", c.opts->today);
	else if (gmtime_r(&now, &tm))
		strftime(c.today, sizeof(c.today), "%Y-%m-%d", &tm);
	/* The Lambda rules are for AWS; other providers get the generic ones. */
	if (c.provider && scalar(ps_node_get(c.provider, "name")) &&
	    strcmp(scalar(ps_node_get(c.provider, "name")), "aws") != 0) {
		check_environment(&c, "provider.environment",
				  ps_node_get(c.provider, "environment"));
		check_plugins(&c);
		return;
	}
	check_provider(&c);
	check_plugins(&c);
	ps_lint_walk(root, visits, PS_ARRAY_LEN(visits), &c);
}
