/*
 * ps-lint-workflow: lints GitHub Actions workflows against the CI/CD
 * pipeline standards (test -> build -> deploy, credentials through OIDC)
 * and the checks of actionlint and zizmor (job graph, expressions, script
 * injection, pinned and current actions, permissions, schedules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/lint.h"
#include "lib/log.h"

#include "workflow.h"

enum { OPT_IGNORE = 1, OPT_ENABLE, OPT_LIST_RULES };

static const struct ps_opt opts[] = {
	{"ignore", 0, PS_ARG_REQUIRED, "RULES",
	 "skip these rules (codes or names, comma-separated)", OPT_IGNORE,
	 PS_COMPLETE_NONE, NULL},
	{"enable", 0, PS_ARG_REQUIRED, "RULES",
	 "also run these rules that are off by default (all: every rule)",
	 OPT_ENABLE, PS_COMPLETE_NONE, NULL},
	{"list-rules", 0, PS_ARG_NONE, NULL, "list the rules and exit",
	 OPT_LIST_RULES, PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-lint-workflow",
	.usage = "[-q] [-c FILE] [-f FMT] [--fail-on SEV] [--ignore RULES] "
		 "[--enable RULES] [FILE|DIR ...]",
	.summary = "Lint GitHub Actions workflows against the CI/CD standards.",
	.epilog = "A directory is searched for .github/workflows/*.y*ml; without\n"
		  "operands, the current directory.",
	.opts = opts,
	.common = PS_CLI_LINT | PS_CLI_CONFIG,
	.operands = PS_COMPLETE_FILE,
};

struct run {
	struct ps_lint_run_opts lint;
	int list_rules;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct run *r = ctx;

	if (id == OPT_IGNORE)
		r->lint.ignore = arg;
	else if (id == OPT_ENABLE)
		r->lint.enable = arg;
	else if (id == OPT_LIST_RULES)
		r->list_rules = 1;
	return 0;
}

/* Files under a .github/workflows folder. */
static int
is_workflow(const char *rel, const char *base)
{
	size_t n = strlen(base);
	int yaml = (n > 4 && strcmp(base + n - 4, ".yml") == 0) ||
		   (n > 5 && strcmp(base + n - 5, ".yaml") == 0);

	return yaml && (strstr(rel, ".github/workflows/") != NULL);
}

int
main(int argc, char **argv)
{
	static const char *const prefixes[] = { "ps-lint", NULL };
	static const char *const keep[] = { ".github", NULL };
	struct ps_cli_common common;
	struct run run = {0};
	struct ps_lint_tool tool = {
		.name = cli.prog, .rules = wf_rules, .nrules = wf_nrules,
		.section = "workflow", .prefixes = prefixes, .check = wf_lint,
	};
	struct ps_error err = {0};
	int first, status;

	ps_cli_init(&cli, argv[0]);
	status = ps_cli_parse(&cli, argc, argv, on_opt, &run, &common, &first);
	if (status < 0 && run.list_rules) {
		ps_lint_print_rules(stdout, wf_rules, wf_nrules);
		status = 0;
	} else if (status < 0) {
		status = ps_lint_main(&tool, &common, &run.lint, argv + first,
				      argc - first, is_workflow, keep, stdout, &err);
		if (err.code)
			ps_log_error("%s", err.msg);
	}
	return ps_cli_finish(status);
}
