/*
 * ps-lint-workflow: lints GitHub Actions workflows against the CI/CD
 * pipeline standards (test -> build -> deploy, credentials through OIDC)
 * and the checks of actionlint and zizmor (job graph, expressions, script
 * injection, pinned and current actions, permissions, schedules).
 */
#include <stdio.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/lint.h"
#include "lib/log.h"

#include "workflow.h"

static const struct ps_cli cli = {
	.prog = "ps-lint-workflow",
	.usage = "[-q] [-c FILE] [-f FMT] [--fail-on SEV] [--ignore RULES] "
		 "[--enable RULES] [FILE|DIR ...]",
	.summary = "Lint GitHub Actions workflows against the CI/CD standards.",
	.epilog = "A directory is searched for .github/workflows/*.y*ml; without\n"
		  "operands, the current directory.",
	.common = PS_CLI_LINT | PS_CLI_CONFIG | PS_CLI_RULES,
	.operands = PS_COMPLETE_FILE,
};

/* Files under a .github/workflows folder. */
static int
is_workflow(const char *rel, const char *base)
{
	size_t n = strlen(base);
	int yaml = (n > 4 && strcmp(base + n - 4, ".yml") == 0) ||
		   (n > 5 && strcmp(base + n - 5, ".yaml") == 0);

	return yaml && strstr(rel, ".github/workflows/") != NULL;
}

int
main(int argc, char **argv)
{
	static const char *const prefixes[] = { "ps-lint", NULL };
	static const char *const keep[] = { ".github", NULL };
	const struct ps_lint_tool tool = {
		.name = cli.prog, .rules = wf_rules, .nrules = wf_nrules,
		.section = "workflow", .prefixes = prefixes, .check = wf_lint,
	};
	struct ps_cli_common common;
	struct ps_lint_run_opts run = {0};
	struct ps_error err = {0};
	int first, status;

	ps_cli_init(&cli, argv[0]);
	status = ps_cli_parse(&cli, argc, argv, NULL, NULL, &common, &first);
	if (status < 0) {
		status = ps_lint_main(&tool, &common, &run, argv + first, argc - first,
				      is_workflow, keep, stdout, &err);
		if (err.code)
			ps_log_error("%s", err.msg);
	}
	ps_cli_common_free(&common);
	return ps_cli_finish(status);
}
