/*
 * The rules of ps-lint-workflow: the CI/CD pipeline standards (a deploy
 * runs only after the tests, credentials through OIDC rather than
 * long-lived keys) plus the checks actionlint and zizmor users value most:
 * the job graph, expression syntax and contexts, script injection, pinned
 * and current actions, permissions, schedules.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/time.h"

#include "expr.h"
#include "workflow.h"

const struct ps_lint_rule wf_rules[] = {
	{"PSW001", "unknown-needs", PS_SEV_ERROR,
	 "needs names a job the workflow does not define", "actionlint:job-needs", 0},
	{"PSW002", "needs-cycle", PS_SEV_ERROR,
	 "jobs that need each other in a cycle never run", "actionlint:job-needs", 0},
	{"PSW003", "deploy-without-tests", PS_SEV_ERROR,
	 "a job that deploys must depend, directly or through others, on the job that tests",
	 NULL, 0},
	{"PSW004", "expression-syntax", PS_SEV_ERROR,
	 "a ${{ }} expression that does not parse", "actionlint:expression", 0},
	{"PSW005", "unknown-context", PS_SEV_ERROR,
	 "an expression names a context or function that does not exist",
	 "actionlint:expression", 0},
	{"PSW006", "script-injection", PS_SEV_ERROR,
	 "attacker-controlled input interpolated into a run: script; pass it through env:",
	 "actionlint:expression zizmor:template-injection", 0},
	{"PSW007", "unpinned-action", PS_SEV_WARNING,
	 "a third-party action not pinned to a full commit SHA can change under you",
	 "zizmor:unpinned-uses", 0},
	{"PSW008", "outdated-action", PS_SEV_WARNING,
	 "an action major version whose runtime GitHub no longer supports",
	 "actionlint:action", 0},
	{"PSW009", "long-lived-cloud-keys", PS_SEV_WARNING,
	 "long-lived cloud keys from secrets where OIDC (role-to-assume with id-token: write) fits",
	 NULL, 0},
	{"PSW010", "missing-permissions", PS_SEV_WARNING,
	 "without a top-level permissions block the GITHUB_TOKEN gets the repository's default, often write-all",
	 "zizmor:excessive-permissions", 0},
	{"PSW011", "pull-request-target-checkout", PS_SEV_ERROR,
	 "pull_request_target with a checkout of the pull request's head runs untrusted code with secrets",
	 "zizmor:dangerous-triggers", 0},
	{"PSW012", "missing-timeout", PS_SEV_INFO,
	 "a job without timeout-minutes can hang for six hours", NULL, 0},
	{"PSW013", "deploy-without-concurrency", PS_SEV_WARNING,
	 "a deploy job without concurrency can run twice at once", NULL, 0},
	{"PSW014", "invalid-schedule", PS_SEV_ERROR,
	 "on.schedule cron that does not parse, or runs more often than every 5 minutes",
	 "actionlint:events", 0},
	{"PSW015", "deprecated-command", PS_SEV_ERROR,
	 "set-output, save-state, set-env and add-path workflow commands are disabled",
	 "actionlint:deprecated-commands zizmor:insecure-commands", 0},
	{"PSW016", "invalid-permission", PS_SEV_ERROR,
	 "an unknown permission scope or level", "actionlint:permissions", 0},
	{"PSW017", "hardcoded-credentials", PS_SEV_ERROR,
	 "a container or service password written into the workflow",
	 "actionlint:credentials zizmor:hardcoded-container-credentials", 0},
	{"PSW018", "invalid-id", PS_SEV_ERROR,
	 "job and step ids start with a letter or _ and hold only letters, digits, - and _",
	 "actionlint:id", 0},
	{"PSW019", "duplicate-step-id", PS_SEV_ERROR,
	 "two steps of a job with the same id", "actionlint:id", 0},
	{"PSW020", "unknown-runner-label", PS_SEV_WARNING,
	 "runs-on names a GitHub-hosted runner label that does not exist",
	 "actionlint:runner-label", 0},
	{"PSW021", "unknown-key", PS_SEV_ERROR,
	 "a key GitHub Actions does not know in a workflow, job or step",
	 "actionlint:syntax-check", 0},
	{"PSW022", "unpinned-official-action", PS_SEV_INFO,
	 "a GitHub-maintained action (actions/*, github/*) not pinned to a commit SHA",
	 "zizmor:unpinned-uses", 0},
	{"PSW023", "secrets-inherit", PS_SEV_WARNING,
	 "secrets: inherit hands every secret to the called workflow", "zizmor:secrets-inherit", 0},
	{"PSW024", "missing-key", PS_SEV_ERROR,
	 "a job without runs-on (or uses), or a step without run or uses",
	 "actionlint:syntax-check", 0},
	{"PSW025", "not-a-workflow", PS_SEV_ERROR,
	 "the file's top level is not a workflow mapping", NULL, 0},
};
const size_t wf_nrules = PS_ARRAY_LEN(wf_rules);

struct wctx {
	struct ps_lint_ctx *lint;
	const struct ps_node *root;
	const struct ps_node *jobs;
	int pr_target;		/* triggered by pull_request_target */
};

static const char *
scalar(const struct ps_node *n)
{
	return n && n->kind == PS_NODE_SCALAR && n->value ? n->value : NULL;
}

/* The source position of byte off of a scalar's value. */
static void
value_pos(const struct wctx *c, const struct ps_node *n, size_t off,
	  int *line, int *col)
{
	const char *v = n->value;
	size_t i, k = 0, line_start = 0, vlen;
	const char *src;
	size_t srclen;

	for (i = 0; i < off && v[i]; i++)
		if (v[i] == '\n') {
			k++;
			line_start = i + 1;
		}
	if (n->style == PS_STYLE_LITERAL || n->style == PS_STYLE_FOLDED) {
		*line = n->line + 1 + (int)k;
		vlen = strcspn(v + line_start, "\n");
		src = ps_lint_line(c->lint, *line, &srclen);
		while (srclen > 0 && (src[srclen - 1] == ' ' || src[srclen - 1] == '\t'))
			srclen--;
		while (vlen > 0 && v[line_start + vlen - 1] == ' ')
			vlen--;
		*col = (int)(srclen >= vlen ? srclen - vlen : 0) +
		       (int)(off - line_start) + 1;
		return;
	}
	if (k == 0) {
		*line = n->line;
		*col = n->col + (int)off +
		       (n->style == PS_STYLE_SINGLE || n->style == PS_STYLE_DOUBLE);
		return;
	}
	*line = n->line + (int)k;
	src = ps_lint_line(c->lint, *line, &srclen);
	for (i = 0; i < srclen && isspace((unsigned char)src[i]); i++)
		;
	*col = (int)i + (int)(off - line_start) + 1;
}

/* ---- expressions ---- */

static const char *const contexts[] = {
	"github", "env", "vars", "job", "jobs", "steps", "runner", "secrets",
	"strategy", "matrix", "needs", "inputs",
};

static const char *const functions[] = {
	"contains", "startswith", "endswith", "format", "join", "tojson",
	"fromjson", "hashfiles", "success", "always", "cancelled", "failure",
	"case",
};

static int
in_list_ci(const char *w, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(w, list[i]) == 0)
			return 1;
	return 0;
}

/*
 * Check every ${{ }} of a scalar. in_run: the scalar is a run: script,
 * where untrusted input is an injection. bare: the whole scalar is an
 * expression without ${{ }} (if:).
 */
static void
check_expressions(struct wctx *c, const struct ps_node *n, int in_run,
		  int at_node)
{
	const char *v = scalar(n);
	size_t pos = 0, start, len, i;
	const char *inner;
	int r, line, col;

	if (!v || !strstr(v, "${{"))
		return;
	while ((r = wf_expr_next(v, &pos, &start, &inner, &len)) != 0) {
		struct wf_expr e;
		size_t base = (size_t)(inner - v);

		if (r < 0) {
			value_pos(c, n, start, &line, &col);
			ps_lint_report(c->lint, "PSW004", line, col,
				       "\"${{\" is not closed with \"}}\"");
			return;
		}
		wf_expr_parse(inner, len, &e);
		if (!e.ok) {
			value_pos(c, n, base + e.err_off, &line, &col);
			ps_lint_report(c->lint, "PSW004", line, col,
				       "expression \"%.*s\": %s", (int)(len > 60 ? 60 : len),
				       inner, e.err);
			continue;
		}
		for (i = 0; i < e.nfuncs; i++)
			if (!in_list_ci(e.funcs[i], functions, PS_ARRAY_LEN(functions))) {
				value_pos(c, n, base + e.funcoff[i], &line, &col);
				ps_lint_report(c->lint, "PSW005", line, col,
					       "unknown function \"%s\"", e.funcs[i]);
			}
		for (i = 0; i < e.nrefs; i++) {
			char root[64];

			snprintf(root, sizeof(root), "%.*s",
				 (int)strcspn(e.refs[i].path, "."), e.refs[i].path);
			value_pos(c, n, base + e.refs[i].off, &line, &col);
			if (!in_list_ci(root, contexts, PS_ARRAY_LEN(contexts)))
				ps_lint_report(c->lint, "PSW005", line, col,
					       "undefined context \"%s\" (known: github, env, vars, job, jobs, steps, runner, secrets, strategy, matrix, needs, inputs)",
					       root);
			else if (in_run && !e.refs[i].in_test &&
				 wf_expr_untrusted(e.refs[i].path))
				ps_lint_report(c->lint, "PSW006",
					       at_node ? n->line : line,
					       at_node ? n->col : col,
					       "\"%s\" is attacker-controlled: pass it to the script through env: instead of ${{ }}",
					       e.refs[i].path);
		}
	}
}

static void
visit_scalar(void *ctx, const void *data, const struct ps_node *n, const struct ps_node *key,
	     const char *const *caps)
{
	struct wctx *c = ctx;

	if (!n || n->kind != PS_NODE_SCALAR)
		return;
	/* run: and script: (actions/github-script's input) are scripts; a
	 * script's findings are placed at the script as a whole. */
	int script = key && scalar(key) && strcmp(key->value, "script") == 0;

	check_expressions(c, n, script || (key && scalar(key) &&
					   strcmp(key->value, "run") == 0), script);
}

/* if: may be written without ${{ }}. */
static void
visit_if(void *ctx, const void *data, const struct ps_node *n, const struct ps_node *key,
	 const char *const *caps)
{
	struct wctx *c = ctx;
	const char *v = scalar(n);
	struct wf_expr e;
	int line, col;
	size_t i;

	if (!v || strstr(v, "${{"))
		return;
	wf_expr_parse(v, strlen(v), &e);
	if (!e.ok) {
		value_pos(c, n, e.err_off, &line, &col);
		ps_lint_report(c->lint, "PSW004", line, col,
			       "condition \"%s\": %s", v, e.err);
		return;
	}
	for (i = 0; i < e.nrefs; i++) {
		char root[64];

		snprintf(root, sizeof(root), "%.*s",
			 (int)strcspn(e.refs[i].path, "."), e.refs[i].path);
		if (!in_list_ci(root, contexts, PS_ARRAY_LEN(contexts))) {
			value_pos(c, n, e.refs[i].off, &line, &col);
			ps_lint_report(c->lint, "PSW005", line, col,
				       "undefined context \"%s\"", root);
		}
	}
}

/* ---- actions ---- */

/* Major versions whose node runtime GitHub has removed. */
static const struct {
	const char *action;
	int below;		/* versions below this are outdated */
} outdated[] = {
	{"actions/checkout", 4}, {"actions/setup-python", 5},
	{"actions/setup-node", 4}, {"actions/setup-go", 5},
	{"actions/setup-java", 4}, {"actions/setup-dotnet", 4},
	{"actions/cache", 4}, {"actions/upload-artifact", 4},
	{"actions/download-artifact", 4}, {"actions/github-script", 7},
	{"actions/stale", 9}, {"actions/labeler", 5},
	{"actions/upload-pages-artifact", 3}, {"actions/deploy-pages", 4},
	{"actions/configure-pages", 4}, {"actions/create-release", 2},
	{"codecov/codecov-action", 4},
	{"aws-actions/configure-aws-credentials", 4},
	{"aws-actions/amazon-ecr-login", 2},
	{"docker/build-push-action", 5}, {"docker/login-action", 3},
	{"docker/setup-buildx-action", 3}, {"docker/setup-qemu-action", 3},
	{"docker/metadata-action", 5}, {"github/codeql-action/init", 3},
	{"github/codeql-action/analyze", 3}, {"github/codeql-action/upload-sarif", 3},
	{"peter-evans/create-pull-request", 6}, {"softprops/action-gh-release", 2},
};

static int
is_sha(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return i == 40;
}

static void
check_uses(struct wctx *c, const struct ps_node *uses)
{
	const char *v = scalar(uses);
	const char *at;
	char name[256];
	size_t i;

	if (!v || strncmp(v, "./", 2) == 0 || strncmp(v, "docker://", 9) == 0)
		return;
	at = strrchr(v, '@');
	if (!at) {
		ps_lint_report(c->lint, "PSW007", uses->line, uses->col,
			       "action \"%s\" has no version: pin it to a commit SHA", v);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(at - v), v);
	if (!is_sha(at + 1)) {
		int official = strncmp(v, "actions/", 8) == 0 ||
			       strncmp(v, "github/", 7) == 0;

		ps_lint_report(c->lint, official ? "PSW022" : "PSW007", uses->line,
			       uses->col,
			       "action \"%s\" is pinned to \"%s\", not to a commit SHA",
			       name, at + 1);
	}
	for (i = 0; i < PS_ARRAY_LEN(outdated); i++) {
		long major;
		const char *ver = at + 1;
		char num[16];

		if (strcmp(outdated[i].action, name) != 0)
			continue;
		if (is_sha(ver)) {
			/* A pinned SHA says its version in a comment: "# v4.2.2". */
			size_t len;
			const char *l = ps_lint_line(c->lint, uses->line, &len);
			const char *hash = memchr(l, '#', len);

			if (!hash)
				continue;
			for (ver = hash + 1; *ver == ' '; ver++)
				;
		}
		if (*ver == 'v')
			ver++;
		snprintf(num, sizeof(num), "%.*s", (int)strspn(ver, "0123456789"), ver);
		if (ps_parse_long(num, 0, 1000, &major) == 0 &&
		    major < outdated[i].below)
			ps_lint_report(c->lint, "PSW008", uses->line, uses->col,
				       "%s: the runtime of this major version is no longer supported by GitHub; update to v%d or later",
				       v, outdated[i].below);
	}
}

/* ---- permissions ---- */

static const char *const scopes[] = {
	"actions", "artifact-metadata", "attestations", "checks", "contents",
	"deployments", "discussions", "id-token", "issues", "models",
	"packages", "pages", "pull-requests", "repository-projects",
	"security-events", "statuses",
};

static void
check_permissions(struct wctx *c, const struct ps_node *p)
{
	size_t i;

	if (!p)
		return;
	if (p->kind == PS_NODE_SCALAR) {
		if (strcmp(p->value, "read-all") && strcmp(p->value, "write-all"))
			ps_lint_report(c->lint, "PSW016", p->line, p->col,
				       "\"%s\" is not a permission for all scopes (read-all, write-all or a mapping)",
				       p->value);
		return;
	}
	if (p->kind != PS_NODE_MAP)
		return;
	for (i = 0; i < p->len; i++) {
		const struct ps_node *k = p->pairs[i].key, *v = p->pairs[i].value;
		const char *scope = scalar(k), *level = scalar(v);
		size_t s;

		if (!scope)
			continue;
		for (s = 0; s < PS_ARRAY_LEN(scopes); s++)
			if (strcmp(scopes[s], scope) == 0)
				break;
		if (s == PS_ARRAY_LEN(scopes)) {
			ps_lint_report(c->lint, "PSW016", k->line, k->col,
				       "unknown permission scope \"%s\"", scope);
			continue;
		}
		if (!level)
			continue;
		if (strcmp(scope, "id-token") == 0 ? strcmp(level, "write") && strcmp(level, "none") :
		    strcmp(scope, "models") == 0 ? strcmp(level, "read") && strcmp(level, "none") :
		    strcmp(level, "read") && strcmp(level, "write") && strcmp(level, "none"))
			ps_lint_report(c->lint, "PSW016", v->line, v->col,
				       "\"%s\" is not a level of permission \"%s\"",
				       level, scope);
	}
}

/* ---- ids and keys ---- */

static int
valid_id(const char *s)
{
	size_t i;

	if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static void
check_keys(struct wctx *c, const struct ps_node *map, const char *what,
	   const char *const *known)
{
	size_t i, n = 0;

	while (known[n])
		n++;
	if (!map || map->kind != PS_NODE_MAP)
		return;
	for (i = 0; i < map->len; i++) {
		const struct ps_node *k = map->pairs[i].key;
		const char *name = scalar(k);
		const char *hint;

		if (!name || map->pairs[i].merged)
			continue;
		if (in_list_ci(name, known, n)) {
			size_t j;

			/* Keys are case-sensitive: "Runs-On" is unknown. */
			for (j = 0; j < n; j++)
				if (strcmp(name, known[j]) == 0)
					break;
			if (j < n)
				continue;
		}
		hint = ps_did_you_mean(name, known, n);
		if (hint)
			ps_lint_report(c->lint, "PSW021", k->line, k->col,
				       "unknown key \"%s\" in %s (did you mean \"%s\"?)",
				       name, what, hint);
		else
			ps_lint_report(c->lint, "PSW021", k->line, k->col,
				       "unknown key \"%s\" in %s", name, what);
	}
}

static const char *const workflow_keys[] = {
	"name", "run-name", "on", "permissions", "env", "defaults",
	"concurrency", "jobs", NULL,
};
static const char *const job_keys[] = {
	"name", "permissions", "needs", "if", "runs-on", "environment",
	"concurrency", "outputs", "env", "defaults", "steps", "timeout-minutes",
	"strategy", "continue-on-error", "container", "services", "uses",
	"with", "secrets", "snapshot", NULL,
};
static const char *const run_step_keys[] = {
	"id", "if", "name", "run", "shell", "env", "continue-on-error",
	"timeout-minutes", "working-directory", NULL,
};
static const char *const uses_step_keys[] = {
	"id", "if", "name", "uses", "with", "env", "continue-on-error",
	"timeout-minutes", NULL,
};

/* Sections below a workflow or job and the keys each takes. */
static const struct {
	const char *path;	/* ps_lint_walk pattern */
	const char *const what_keys[13];	/* what it is, then its keys */
} sections[] = {
	{"concurrency", {"concurrency", "group", "cancel-in-progress"}},
	{"defaults", {"defaults", "run"}},
	{"defaults.run", {"defaults.run", "shell", "working-directory"}},
	{"on.push", {"on.push", "branches", "branches-ignore", "paths",
	  "paths-ignore", "tags", "tags-ignore"}},
	{"on.pull_request", {"on.pull_request", "types", "branches",
	  "branches-ignore", "paths", "paths-ignore"}},
	{"on.pull_request_target", {"on.pull_request_target", "types",
	  "branches", "branches-ignore", "paths", "paths-ignore"}},
	{"on.workflow_dispatch", {"on.workflow_dispatch", "inputs"}},
	{"on.workflow_dispatch.inputs.*", {"a workflow_dispatch input",
	  "description", "required", "default", "type", "options"}},
	{"on.repository_dispatch", {"on.repository_dispatch", "types"}},
	{"on.workflow_call", {"on.workflow_call", "inputs", "outputs", "secrets"}},
	{"on.workflow_call.inputs.*", {"a workflow_call input",
	  "description", "required", "default", "type"}},
	{"on.workflow_call.outputs.*", {"a workflow_call output",
	  "description", "value"}},
	{"on.workflow_call.secrets.*", {"a workflow_call secret",
	  "description", "required"}},
	{"on.workflow_run", {"on.workflow_run", "workflows", "types",
	  "branches", "branches-ignore"}},
	{"on.merge_group", {"on.merge_group", "types", "branches",
	  "branches-ignore"}},
	{"on.image_version", {"on.image_version", "names", "versions"}},
	{"on.schedule.*", {"a schedule", "cron", "timezone"}},
	{"jobs.*.concurrency", {"concurrency", "group", "cancel-in-progress"}},
	{"jobs.*.defaults", {"defaults", "run"}},
	{"jobs.*.defaults.run", {"defaults.run", "shell", "working-directory"}},
	{"jobs.*.environment", {"environment", "name", "url", "deployment"}},
	{"jobs.*.strategy", {"strategy", "fail-fast", "matrix", "max-parallel"}},
	{"jobs.*.runs-on", {"runs-on", "group", "labels"}},
	{"jobs.*.container", {"container", "credentials", "env", "image",
	  "options", "ports", "volumes"}},
	{"jobs.*.container.credentials", {"credentials", "username", "password"}},
	{"jobs.*.services.*", {"a service", "command", "credentials",
	  "entrypoint", "env", "image", "options", "ports", "volumes"}},
	{"jobs.*.services.*.credentials", {"credentials", "username", "password"}},
};

/* Events without filters of their own take only types:. */
static void
visit_event(void *ctx, const void *data, const struct ps_node *n,
	    const struct ps_node *key, const char *const *caps)
{
	static const char *const special[] = {
		"push", "pull_request", "pull_request_target", "workflow_dispatch",
		"workflow_call", "workflow_run", "schedule", "merge_group",
		"repository_dispatch", "image_version",
	};
	char what[96];
	size_t i;

	if (!n || n->kind != PS_NODE_MAP)
		return;
	for (i = 0; i < PS_ARRAY_LEN(special); i++)
		if (strcmp(caps[0], special[i]) == 0)
			return;
	snprintf(what, sizeof(what), "on.%s", caps[0]);
	for (i = 0; i < n->len; i++) {
		const struct ps_node *k = n->pairs[i].key;

		if (scalar(k) && strcmp(k->value, "types") != 0)
			ps_lint_report(((struct wctx *)ctx)->lint, "PSW021", k->line,
				       k->col, "unknown key \"%s\" in %s (only types: filters this event)",
				       k->value, what);
	}
}

static void
visit_section(void *ctx, const void *data, const struct ps_node *n,
	      const struct ps_node *key, const char *const *caps)
{
	const char *const *section = data;	/* { what, key, key, ..., NULL } */

	if (n && n->kind == PS_NODE_MAP)
		check_keys(ctx, n, section[0], section + 1);
}

/* ---- runners ---- */

static const char *const runner_labels[] = {
	"ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04", "ubuntu-24.04-arm",
	"ubuntu-22.04-arm", "ubuntu-slim", "windows-latest", "windows-2025",
	"windows-2022", "windows-11-arm", "macos-latest", "macos-26",
	"macos-15", "macos-14", "macos-13", "macos-latest-large",
	"macos-15-large", "macos-14-large", "macos-13-large",
	"macos-latest-xlarge", "macos-15-xlarge", "macos-14-xlarge",
	"macos-13-xlarge", "macos-15-intel", "self-hosted", "linux", "windows",
	"macos", "x64", "arm", "arm64",
};

static void
check_label(struct wctx *c, const struct ps_node *l)
{
	const char *v = scalar(l);

	if (!l || (l->kind == PS_NODE_SCALAR && strstr(l->value, "${{")))
		return;
	if (v && in_list_ci(v, runner_labels, PS_ARRAY_LEN(runner_labels)))
		return;
	ps_lint_report(c->lint, "PSW020", l->line, l->col,
		       "runner label \"%s\" is not a GitHub-hosted runner label (custom labels go with self-hosted)",
		       v ? v : "");
}

/* Whether a list of labels names a self-hosted runner (custom labels allowed). */
static int
self_hosted(const struct ps_node *r)
{
	size_t i;

	for (i = 0; r && r->kind == PS_NODE_SEQ && i < r->len; i++)
		if (scalar(r->items[i]) && strcmp(r->items[i]->value, "self-hosted") == 0)
			return 1;
	return 0;
}

static void
check_labels(struct wctx *c, const struct ps_node *r)
{
	size_t i;

	if (!r)
		return;
	if (r->kind == PS_NODE_SCALAR)
		check_label(c, r);
	else if (r->kind == PS_NODE_SEQ && !self_hosted(r))
		for (i = 0; i < r->len; i++)
			check_label(c, r->items[i]);
}

/* runs-on: a label, a list, {group, labels}, or ${{ matrix.NAME }} whose
 * values come from the job's matrix. */
static void
check_runs_on(struct wctx *c, const struct ps_node *job, const struct ps_node *r)
{
	const char *v = scalar(r);
	char name[64];
	const struct ps_node *values;
	size_t i;

	if (r && r->kind == PS_NODE_MAP) {
		check_labels(c, ps_node_get(r, "labels"));
		return;
	}
	if (v && sscanf(v, "${{ matrix.%63[A-Za-z0-9_-] }}", name) == 1) {
		values = ps_node_get(ps_node_path(job, "strategy.matrix"), name);
		for (i = 0; values && values->kind == PS_NODE_SEQ && i < values->len; i++)
			if (values->items[i]->kind == PS_NODE_SCALAR)
				check_label(c, values->items[i]);
		return;
	}
	if (r && r->kind == PS_NODE_SCALAR && ps_node_is_null(r)) {
		ps_lint_report(c->lint, "PSW020", r->line, r->col, "runs-on is empty");
		return;
	}
	check_labels(c, r);
}

/* ---- jobs ---- */

static int
contains_ci(const char *s, const char *w)
{
	return s && strcasestr(s, w) != NULL;
}

static const char *const deploy_words[] = {
	"deploy", "kubectl apply", "kubectl set image", "kubectl rollout",
	"helm upgrade", "helm install", "terraform apply", "update-service",
	"serverless deploy", "sls deploy", "flyctl deploy", "gcloud run deploy",
	"vercel --prod", "netlify deploy", "cdk deploy", "sam deploy",
	"eb deploy", "cap production",
};
static const char *const test_words[] = {
	"pytest", "npm test", "npm run test", "yarn test", "pnpm test",
	"go test", "cargo test", "make test", "make check", "mvn test",
	"mvn verify", "gradle test", "gradlew test", "jest", "rspec", "phpunit",
	"tox", "ctest", "dotnet test", "mix test", "bundle exec rake",
};

/*
 * A word list indexed by first letter, built once: a run script is read
 * once and each of its positions compared only with the words that start
 * with its letter (lower-cased; the words are lower case).
 */
struct word_set {
	const char *const *w;
	size_t n;
	unsigned char by_first[256][32];	/* word indexes */
	unsigned char nby[256];
	unsigned char pair[65536 / 8];		/* the words' first two letters */
};

static struct word_set test_set = {test_words, PS_ARRAY_LEN(test_words), {{0}}, {0}, {0}};
static struct word_set deploy_set = {deploy_words, PS_ARRAY_LEN(deploy_words), {{0}}, {0}, {0}};
static pthread_once_t word_sets_once = PTHREAD_ONCE_INIT;

static void
word_set_index(struct word_set *ws)
{
	size_t k;

	for (k = 0; k < ws->n && k < 32; k++) {
		unsigned char c = (unsigned char)ws->w[k][0];
		unsigned pair = (unsigned)c << 8 | (unsigned char)ws->w[k][1];

		ws->by_first[c][ws->nby[c]++] = (unsigned char)k;
		ws->pair[pair >> 3] |= (unsigned char)(1u << (pair & 7));
	}
}

static void
word_sets_init(void)
{
	word_set_index(&test_set);
	word_set_index(&deploy_set);
}

/* ASCII lower case: what tolower() does in the C locale the tools run in */
static unsigned char
fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : (unsigned char)c;
}

/* Whether s contains one of the words, ignoring case. */
static int
has_word(const struct word_set *ws, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = fold(*s);
		unsigned pair = (unsigned)c << 8 | fold(s[1]);
		size_t k, j;

		/* most positions start no word's first two letters */
		if (!(ws->pair[pair >> 3] & (1u << (pair & 7))))
			continue;
		for (k = 0; k < ws->nby[c]; k++) {
			const char *w = ws->w[ws->by_first[c][k]];

			for (j = 1; w[j] && fold(s[j]) == (unsigned char)w[j]; j++)
				;
			if (!w[j])
				return 1;
		}
	}
	return 0;
}

static int
job_mentions(const struct ps_node *job, const char *id,
	     const struct word_set *ws, const char *id_word)
{
	const struct ps_node *steps = ps_node_get(job, "steps");
	int deploy = ws == &deploy_set;
	size_t i;

	if (contains_ci(id, id_word) || contains_ci(scalar(ps_node_get(job, "name")), id_word))
		return 1;
	pthread_once(&word_sets_once, word_sets_init);
	for (i = 0; steps && steps->kind == PS_NODE_SEQ && i < steps->len; i++) {
		const char *run = scalar(ps_node_get(steps->items[i], "run"));
		const char *name = deploy ? scalar(ps_node_get(steps->items[i], "name")) : NULL;

		if (has_word(ws, run) || has_word(ws, name))
			return 1;
	}
	return 0;
}

/* The job ids a job needs, as nodes (string or list). */
static size_t
needs_of(const struct ps_node *job, const struct ps_node **out, size_t max)
{
	const struct ps_node *n = ps_node_get(job, "needs");
	size_t i, k = 0;

	if (!n)
		return 0;
	if (n->kind == PS_NODE_SCALAR) {
		out[k++] = n;
		return k;
	}
	for (i = 0; n->kind == PS_NODE_SEQ && i < n->len && k < max; i++)
		if (scalar(n->items[i]))
			out[k++] = n->items[i];
	return k;
}

static size_t
job_index(const struct wctx *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->jobs->len; i++)
		if (scalar(c->jobs->pairs[i].key) &&
		    strcasecmp(c->jobs->pairs[i].key->value, id) == 0)
			return i;
	return (size_t)-1;
}

/* Depth-first search for cycles: state 0 new, 1 on the stack, 2 done. */
static int
find_cycle(struct wctx *c, size_t j, unsigned char *state, size_t *stack,
	   size_t depth, size_t *cycle_start)
{
	const struct ps_node *deps[64];
	size_t n, i;

	state[j] = 1;
	stack[depth] = j;
	n = needs_of(c->jobs->pairs[j].value, deps, 64);
	for (i = 0; i < n; i++) {
		size_t d = job_index(c, deps[i]->value), k;

		if (d == (size_t)-1)
			continue;
		if (state[d] == 1) {
			for (k = 0; k <= depth; k++)
				if (stack[k] == d)
					*cycle_start = k;
			return (int)depth + 1;
		}
		if (state[d] == 0) {
			int r = find_cycle(c, d, state, stack, depth + 1, cycle_start);

			if (r)
				return r;
		}
	}
	state[j] = 2;
	return 0;
}

/* Whether job j needs (transitively) a job marked in is_test. */
static int
reaches_test(struct wctx *c, size_t j, const unsigned char *is_test,
	     unsigned char *seen)
{
	const struct ps_node *deps[64];
	size_t n, i;

	if (seen[j])
		return 0;
	seen[j] = 1;
	n = needs_of(c->jobs->pairs[j].value, deps, 64);
	for (i = 0; i < n; i++) {
		size_t d = job_index(c, deps[i]->value);

		if (d == (size_t)-1)
			continue;
		if (is_test[d] || reaches_test(c, d, is_test, seen))
			return 1;
	}
	return 0;
}

static void
check_step(struct wctx *c, const struct ps_node *step, const char **ids,
	   size_t *nids)
{
	const struct ps_node *id = ps_node_get(step, "id");
	const struct ps_node *uses = ps_node_get(step, "uses");
	const struct ps_node *run = ps_node_get(step, "run");
	const struct ps_node *with = ps_node_get(step, "with");
	const char *u = scalar(uses);
	size_t i;

	if (uses && run) {
		/* Reported at the key of the first of the two. */
		const struct ps_node *ku = ps_node_pair(step, "uses")->key;
		const struct ps_node *kr = ps_node_pair(step, "run")->key;
		const struct ps_node *first = ku->line < kr->line ? ku : kr;

		ps_lint_report(c->lint, "PSW021", first->line, first->col,
			       "a step has both run and uses; keep one");
	} else if (uses || run) {
		check_keys(c, step, uses ? "a step that uses an action" :
			   "a step that runs a script",
			   uses ? uses_step_keys : run_step_keys);
	} else {
		ps_lint_report(c->lint, "PSW024", step->line, step->col,
			       "step has neither run nor uses");
	}
	if (scalar(id) && *id->value && !strstr(id->value, "${{")) {
		if (!valid_id(id->value))
			ps_lint_report(c->lint, "PSW018", id->line, id->col,
				       "invalid step id \"%s\"", id->value);
		for (i = 0; i < *nids; i++)
			if (strcasecmp(ids[i], id->value) == 0)
				ps_lint_report(c->lint, "PSW019", id->line, id->col,
					       "step id \"%s\" is already used in this job",
					       id->value);
		if (*nids < 256)
			ids[(*nids)++] = id->value;
	}
	if (uses)
		check_uses(c, uses);
	if (scalar(run)) {
		static const char *const cmds[] = {
			"::set-output", "::save-state", "::set-env", "::add-path",
		};

		for (i = 0; i < PS_ARRAY_LEN(cmds); i++) {
			const char *hit = strstr(run->value, cmds[i]);
			int line, col;

			if (!hit)
				continue;
			value_pos(c, run, (size_t)(hit - run->value), &line, &col);
			ps_lint_report(c->lint, "PSW015", line, col,
				       "workflow command \"%s\" is disabled; write to $GITHUB_OUTPUT, $GITHUB_STATE, $GITHUB_ENV or $GITHUB_PATH",
				       cmds[i] + 2);
		}
	}
	if (u && strncmp(u, "aws-actions/configure-aws-credentials", 37) == 0 &&
	    ps_node_get(with, "aws-secret-access-key") &&
	    !ps_node_get(with, "role-to-assume")) {
		const struct ps_node *k = ps_node_get(with, "aws-secret-access-key");

		ps_lint_report(c->lint, "PSW009", k->line, k->col,
			       "long-lived AWS keys from secrets: use role-to-assume with permissions id-token: write (OIDC)");
	}
	if (u && strncmp(u, "google-github-actions/auth", 26) == 0 &&
	    ps_node_get(with, "credentials_json")) {
		const struct ps_node *k = ps_node_get(with, "credentials_json");

		ps_lint_report(c->lint, "PSW009", k->line, k->col,
			       "a long-lived service account key: use workload_identity_provider (OIDC)");
	}
	if (u && c->pr_target && strncmp(u, "actions/checkout", 16) == 0) {
		const char *ref = scalar(ps_node_get(with, "ref"));

		if (ref && (strstr(ref, "pull_request.head") || strstr(ref, "head_ref") ||
			    strstr(ref, "refs/pull/")))
			ps_lint_report(c->lint, "PSW011", uses->line, uses->col,
				       "pull_request_target checks out the pull request's head (%s): untrusted code runs with the repository's secrets",
				       ref);
	}
}

static void
check_credentials(struct wctx *c, const struct ps_node *container,
		  const char *where)
{
	const struct ps_node *pw = ps_node_path(container, "credentials.password");
	const char *v = scalar(pw);

	if (v && *v && !strstr(v, "${{"))
		ps_lint_report(c->lint, "PSW017", pw->line, pw->col,
			       "the password of %s is written into the workflow; use ${{ secrets.NAME }}",
			       where);
}

static void
check_job(struct wctx *c, const char *id, const struct ps_node *key,
	  const struct ps_node *job)
{
	const struct ps_node *steps = ps_node_get(job, "steps");
	const struct ps_node *services = ps_node_get(job, "services");
	const struct ps_node *deps[64];
	const char *ids[256];
	size_t nids = 0, n, i;

	if (!valid_id(id))
		ps_lint_report(c->lint, "PSW018", key->line, key->col,
			       "invalid job id \"%s\"", id);
	if (job->kind != PS_NODE_MAP)
		return;
	check_keys(c, job, "job", job_keys);
	if (!ps_node_get(job, "runs-on") && !ps_node_get(job, "uses"))
		ps_lint_report(c->lint, "PSW024", key->line, key->col,
			       "job \"%s\" has no runs-on", id);
	if (!ps_node_get(job, "timeout-minutes") && !ps_node_get(job, "uses"))
		ps_lint_report(c->lint, "PSW012", key->line, key->col,
			       "job \"%s\" has no timeout-minutes", id);
	check_runs_on(c, job, ps_node_get(job, "runs-on"));
	check_permissions(c, ps_node_get(job, "permissions"));
	n = needs_of(job, deps, 64);
	for (i = 0; i < n; i++)
		if (job_index(c, deps[i]->value) == (size_t)-1)
			ps_lint_report(c->lint, "PSW001", key->line, key->col,
				       "job \"%s\" needs \"%s\", which does not exist",
				       id, deps[i]->value);
	if (scalar(ps_node_get(job, "secrets")) &&
	    strcmp(scalar(ps_node_get(job, "secrets")), "inherit") == 0) {
		const struct ps_node *s = ps_node_get(job, "secrets");

		ps_lint_report(c->lint, "PSW023", s->line, s->col,
			       "job \"%s\" passes every secret to the called workflow", id);
	}
	check_credentials(c, ps_node_get(job, "container"), "the job's container");
	for (i = 0; services && services->kind == PS_NODE_MAP && i < services->len; i++) {
		char where[128];

		snprintf(where, sizeof(where), "service \"%s\"",
			 scalar(services->pairs[i].key) ? services->pairs[i].key->value : "?");
		check_credentials(c, services->pairs[i].value, where);
	}
	for (i = 0; steps && steps->kind == PS_NODE_SEQ && i < steps->len; i++)
		if (steps->items[i]->kind == PS_NODE_MAP)
			check_step(c, steps->items[i], ids, &nids);
		else if (ps_node_is_null(steps->items[i]))
			ps_lint_report(c->lint, "PSW024", steps->items[i]->line,
				       steps->items[i]->col,
				       "step has neither run nor uses");
	if (ps_node_get(job, "uses"))
		check_uses(c, ps_node_get(job, "uses"));
}

static void
check_jobs(struct wctx *c)
{
	size_t n = c->jobs->len, i;
	unsigned char *state = ps_xcalloc(n + 1, 1), *is_test = ps_xcalloc(n + 1, 1);
	unsigned char *is_deploy = ps_xcalloc(n + 1, 1);
	size_t *stack = ps_xcalloc(n + 1, sizeof(*stack));
	int any_test = 0;

	for (i = 0; i < n; i++) {
		const struct ps_node *k = c->jobs->pairs[i].key;
		const struct ps_node *j = c->jobs->pairs[i].value;

		if (!scalar(k))
			continue;
		check_job(c, k->value, k, j);
		if (j->kind != PS_NODE_MAP)
			continue;
		is_test[i] = job_mentions(j, k->value, &test_set, "test");
		is_deploy[i] = !is_test[i] &&
			       job_mentions(j, k->value, &deploy_set, "deploy");
		any_test |= is_test[i];
	}
	/* Cycles, each reported once at the job where it was entered. */
	for (i = 0; i < n; i++) {
		size_t start = 0, k;
		int len;
		struct ps_buf path = {0};

		if (state[i] || !scalar(c->jobs->pairs[i].key))
			continue;
		len = find_cycle(c, i, state, stack, 0, &start);
		if (!len)
			continue;
		for (k = start; k < (size_t)len; k++)
			ps_buf_addf(&path, "\"%s\" -> ", c->jobs->pairs[stack[k]].key->value);
		ps_buf_addf(&path, "\"%s\"", c->jobs->pairs[stack[start]].key->value);
		ps_lint_report(c->lint, "PSW002", c->jobs->pairs[stack[start]].key->line,
			       c->jobs->pairs[stack[start]].key->col,
			       "the jobs' needs form a cycle: %s", ps_buf_str(&path));
		ps_buf_free(&path);
	}
	/* The deploy chain of the standards. */
	for (i = 0; i < n; i++) {
		const struct ps_node *k = c->jobs->pairs[i].key;
		unsigned char *seen;

		if (!is_deploy[i])
			continue;
		if (!ps_node_get(c->jobs->pairs[i].value, "concurrency") &&
		    !ps_node_get(c->root, "concurrency"))
			ps_lint_report(c->lint, "PSW013", k->line, k->col,
				       "deploy job \"%s\" has no concurrency group: two pushes can deploy at once",
				       k->value);
		if (!any_test)
			continue;
		seen = ps_xcalloc(n + 1, 1);
		if (!reaches_test(c, i, is_test, seen))
			ps_lint_report(c->lint, "PSW003", k->line, k->col,
				       "deploy job \"%s\" does not depend on the tests (add needs: through the test job)",
				       k->value);
		free(seen);
	}
	free(state);
	free(is_test);
	free(is_deploy);
	free(stack);
}

static int
every_job_has_permissions(const struct wctx *c)
{
	size_t i;

	if (!c->jobs || c->jobs->len == 0)
		return 0;
	for (i = 0; i < c->jobs->len; i++)
		if (!ps_node_get(c->jobs->pairs[i].value, "permissions"))
			return 0;
	return 1;
}

/* ---- triggers ---- */

static void
check_schedule(struct wctx *c, const struct ps_node *sched)
{
	size_t i;

	for (i = 0; sched && sched->kind == PS_NODE_SEQ && i < sched->len; i++) {
		const struct ps_node *cron = ps_node_get(sched->items[i], "cron");
		const char *v = scalar(cron);
		struct ps_sched s;
		struct ps_error err = {0};

		if (!v || !*v)
			continue;	/* empty: a syntax problem of its own */
		/* GitHub takes 5-field cron only: not AWS forms, @daily or words. */
		if (ps_sched_parse(v, &s, &err) < 0 || s.kind != PS_SCHED_CRON ||
		    v[0] == '@') {
			if (!err.msg[0])
				snprintf(err.msg, sizeof(err.msg),
					 "GitHub takes a 5-field cron expression");
			ps_lint_report(c->lint, "PSW014", cron->line,
				       cron->col + (err.col > 0 ? err.col : 0),
				       "invalid cron \"%s\": %s", v, err.msg);
			continue;
		}
		{
			time_t a = 1767225600, b, d;	/* 2026-01-01T00:00:00Z */
			int k, too_often = 0;

			/* The shortest gap over a day of fire times. */
			for (k = 0; k < 300 && ps_sched_next(&s, a, NULL, &b, NULL) == 0 &&
				    ps_sched_next(&s, b, NULL, &d, NULL) == 0; k++) {
				if (d - b < 300) {
					too_often = (int)(d - b);
					break;
				}
				a = b;
				if (a > 1767225600 + 86400)
					break;
			}
			if (too_often)
				ps_lint_report(c->lint, "PSW014", cron->line, cron->col,
					       "cron \"%s\" runs every %d seconds; GitHub runs schedules at most every 5 minutes",
					       v, too_often);
		}
	}
}

static void
check_on(struct wctx *c, const struct ps_node *on)
{
	size_t i;

	if (!on)
		return;
	if (on->kind == PS_NODE_SCALAR) {
		c->pr_target = strcmp(on->value, "pull_request_target") == 0;
		return;
	}
	if (on->kind == PS_NODE_SEQ) {
		for (i = 0; i < on->len; i++)
			if (scalar(on->items[i]) &&
			    strcmp(on->items[i]->value, "pull_request_target") == 0)
				c->pr_target = 1;
		return;
	}
	c->pr_target = ps_node_pair(on, "pull_request_target") != NULL;
	check_schedule(c, ps_node_get(on, "schedule"));
}

void
wf_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc, void *arg)
{
	struct ps_lint_visit visits[4 + PS_ARRAY_LEN(sections)] = {
		{"**", visit_scalar, NULL},
		{"jobs.*.if", visit_if, NULL},
		{"jobs.*.steps.*.if", visit_if, NULL},
		{"on.*", visit_event, NULL},
	};
	const struct ps_node *root = ps_doc_root(doc);
	const struct ps_pair *on;
	struct wctx c;
	size_t i;

	if (!root || ps_node_is_null(root))
		return;
	if (root->kind != PS_NODE_MAP) {
		ps_lint_report(ctx, "PSW025", root->line, root->col,
			       "expected a workflow mapping (on:, jobs:), got a %s",
			       ps_node_kind_name(root));
		return;
	}
	for (i = 0; i < PS_ARRAY_LEN(sections); i++) {
		visits[4 + i].pattern = sections[i].path;
		visits[4 + i].check = visit_section;
		visits[4 + i].data = sections[i].what_keys;
	}
	memset(&c, 0, sizeof(c));
	c.lint = ctx;
	c.root = root;
	on = ps_node_pair(root, "on");
	check_keys(&c, root, "the workflow", workflow_keys);
	check_on(&c, on ? on->value : NULL);
	c.jobs = ps_node_get(root, "jobs");
	if (c.jobs && c.jobs->kind != PS_NODE_MAP)
		c.jobs = NULL;
	if (!ps_node_get(root, "permissions") && !every_job_has_permissions(&c))
		ps_lint_report(ctx, "PSW010", 1, 1,
			       "no top-level permissions: the GITHUB_TOKEN gets the repository's default (often write-all); add permissions: contents: read");
	check_permissions(&c, ps_node_get(root, "permissions"));
	if (c.jobs)
		check_jobs(&c);
	ps_lint_walk(root, visits, PS_ARRAY_LEN(visits), &c);
}
