/*
 * ps-lint-compose: lints Docker Compose files against the Docker Compose
 * standards (healthchecks, restart policy, pinned images, secrets through
 * ${VAR}, named volumes, resource limits, no obsolete version:).
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/config.h"
#include "lib/diag.h"
#include "lib/dotenv.h"
#include "lib/lint.h"
#include "lib/log.h"

#include "compose.h"

enum { OPT_ENV_FILE = 1, OPT_IGNORE, OPT_ENABLE, OPT_LIST_RULES };

static const struct ps_opt opts[] = {
	{"env-file", 0, PS_ARG_REQUIRED, "FILE",
	 "variables defined in this .env file too (repeatable)", OPT_ENV_FILE,
	 PS_COMPLETE_FILE, NULL},
	{"ignore", 0, PS_ARG_REQUIRED, "RULES",
	 "skip these rules (codes or names, comma-separated)", OPT_IGNORE,
	 PS_COMPLETE_NONE, NULL},
	{"enable", 0, PS_ARG_REQUIRED, "RULES",
	 "also run these rules that are off by default", OPT_ENABLE,
	 PS_COMPLETE_NONE, NULL},
	{"list-rules", 0, PS_ARG_NONE, NULL, "list the rules and exit",
	 OPT_LIST_RULES, PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-lint-compose",
	.usage = "[-q] [-c FILE] [-f FMT] [--fail-on SEV] [--env-file FILE] "
		 "[--ignore RULES] [--enable RULES] [FILE|DIR ...]",
	.summary = "Lint Docker Compose files against the deployment standards.",
	.epilog = "A directory is searched for compose*.y*ml and docker-compose*.y*ml;\n"
		  "without operands, the current directory. -c names a .ps-lint.yml\n"
		  "(default: searched upward from each file; its compose: section applies).",
	.opts = opts,
	.common = PS_CLI_LINT | PS_CLI_CONFIG,
	.operands = PS_COMPLETE_FILE,
};

struct run {
	char **env_files;
	size_t nenv;
	char *ignore;
	char *enable;
	int list_rules;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct run *r = ctx;

	switch (id) {
	case OPT_ENV_FILE:
		r->env_files = ps_xrealloc(r->env_files,
					   (r->nenv + 1) * sizeof(*r->env_files));
		r->env_files[r->nenv++] = (char *)arg;
		break;
	case OPT_IGNORE:
		r->ignore = (char *)arg;
		break;
	case OPT_ENABLE:
		r->enable = (char *)arg;
		break;
	case OPT_LIST_RULES:
		r->list_rules = 1;
		break;
	}
	return 0;
}

static int
is_compose_name(const char *rel, const char *base)
{
	size_t n = strlen(base);
	int yaml = (n > 4 && strcmp(base + n - 4, ".yml") == 0) ||
		   (n > 5 && strcmp(base + n - 5, ".yaml") == 0);

	return yaml && (strncmp(base, "compose", 7) == 0 ||
			strncmp(base, "docker-compose", 14) == 0);
}

/* Add the keys of a dotenv file to names; -1 when it cannot be read. */
static int
add_env_names(const char *path, char ***names, size_t *n)
{
	struct ps_buf b = {0};
	struct ps_dotenv d;
	size_t i;

	if (ps_read_file(path, &b, NULL) < 0)
		return -1;
	ps_dotenv_parse(b.data, b.len, &d);
	for (i = 0; i < d.nentries; i++) {
		*names = ps_xrealloc(*names, (*n + 2) * sizeof(**names));
		(*names)[(*n)++] = ps_xstrdup(d.entries[i].key);
		(*names)[*n] = NULL;
	}
	ps_dotenv_free(&d);
	ps_buf_free(&b);
	return 0;
}

static void
free_names(char **names)
{
	size_t i;

	for (i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

/*
 * Lint one file into diags. Returns 2 when the file cannot be read or is
 * not YAML, else 0.
 */
static int
lint_file(const char *path, const struct run *r, const char *config,
	  struct ps_diags *diags)
{
	static const char *const conf_names[] = {
		".ps-lint.yml", ".ps-lint.yaml", NULL
	};
	static const char *const prefixes[] = { "ps-lint", "dclint", NULL };
	struct ps_buf text = {0};
	struct ps_error err = {0};
	struct ps_lint_conf conf;
	struct compose_env env = {0};
	struct ps_lint_ctx ctx = {0};
	struct ps_doc *doc;
	size_t nnames = 0, i;
	char *dir, *dotenv;
	int status = 0;

	if (ps_read_file(path, &text, &err) < 0) {
		ps_diags_add(diags, cli.prog, "io", "unreadable", PS_SEV_ERROR,
			     path, 0, 0, "%s", err.msg);
		return PS_EXIT_USAGE;
	}
	dir = ps_xstrdup(strcmp(path, "-") ? path : ".");
	if (ps_lint_conf_load(&conf, config, strcmp(path, "-") ? dirname(dir) : ".",
			      conf_names, "compose", diags) < 0)
		status = PS_EXIT_USAGE;
	if (r->ignore)
		ps_lint_conf_ignore(&conf, r->ignore);
	if (r->enable)
		ps_lint_conf_enable(&conf, r->enable);

	/* Variables: .env beside the file, then --env-file. */
	free(dir);
	dir = ps_xstrdup(strcmp(path, "-") ? path : "./-");
	dotenv = ps_xasprintf("%s/.env", dirname(dir));
	add_env_names(dotenv, &env.names, &nnames);
	free(dotenv);
	free(dir);
	for (i = 0; i < r->nenv; i++)
		add_env_names(r->env_files[i], &env.names, &nnames);

	doc = ps_doc_load_mem(path, text.data, text.len, diags);
	if (!doc) {
		status = PS_EXIT_USAGE;
	} else {
		ctx.tool = cli.prog;
		ctx.file = path;
		ctx.rules = compose_rules;
		ctx.nrules = compose_nrules;
		ctx.conf = &conf;
		ctx.text = text.data;
		ctx.text_len = text.len;
		ctx.out = diags;
		ps_lint_begin(&ctx, prefixes);
		compose_lint(&ctx, doc, &env);
		ps_lint_end(&ctx);
		ps_doc_free(doc);
	}
	free_names(env.names);
	ps_lint_conf_free(&conf);
	ps_buf_free(&text);
	return status;
}

int
main(int argc, char **argv)
{
	struct ps_cli_common common;
	struct run run = {0};
	struct ps_lint_files files = {0};
	struct ps_render_opts ro = {0};
	struct ps_render *rend;
	struct ps_baseline *bl = NULL;
	struct ps_error err = {0};
	int first, status, worst = 0, i;
	size_t k, j;

	ps_cli_init(&cli, argv[0]);
	status = ps_cli_parse(&cli, argc, argv, on_opt, &run, &common, &first);
	if (status >= 0)
		return ps_cli_finish(status);
	if (run.list_rules) {
		ps_lint_print_rules(stdout, compose_rules, compose_nrules);
		free(run.env_files);
		return ps_cli_finish(0);
	}
	for (i = first; i < argc; i++)
		if (ps_lint_collect(&files, argv[i], is_compose_name, NULL, &err) < 0) {
			ps_log_error("%s", err.msg);
			worst = PS_EXIT_USAGE;
		}
	if (first == argc)
		ps_lint_collect(&files, ".", is_compose_name, NULL, &err);
	if (common.baseline && !(bl = ps_baseline_load(common.baseline, &err))) {
		ps_log_error("%s", err.msg);
		ps_lint_files_free(&files);
		free(run.env_files);
		return ps_cli_finish(PS_EXIT_USAGE);
	}
	ro.format = common.format;
	ro.fail_on = common.fail_on;
	ro.color = ps_log_use_color(stdout);
	ro.summary = common.verbosity >= 0;
	ro.tool = cli.prog;
	ro.tool_version = PS_VERSION;
	ro.baseline = bl;
	rend = ps_render_open(stdout, &ro);
	for (k = 0; k < files.n; k++) {
		struct ps_diags d = {0};
		int st = lint_file(files.v[k], &run,
				   common.config_given ? common.config : NULL, &d);

		if (st > worst)
			worst = st;
		ps_diags_sort(&d);
		for (j = 0; j < d.len; j++)
			ps_render_finding(rend, d.v[j]);
		ps_diags_free(&d);
	}
	status = ps_render_close(rend);
	if (worst > status)
		status = worst;
	ps_baseline_free(bl);
	ps_lint_files_free(&files);
	free(run.env_files);
	return ps_cli_finish(status);
}
