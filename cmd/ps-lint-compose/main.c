/*
 * ps-lint-compose: lints Docker Compose files against the Docker Compose
 * standards (healthchecks, restart policy, pinned images, secrets through
 * ${VAR}, named volumes, resource limits, no obsolete version:).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/lint.h"
#include "lib/log.h"

#include "compose.h"

enum { OPT_ENV_FILE = 1 };

static const struct ps_opt opts[] = {
	{"env-file", 0, PS_ARG_REQUIRED, "FILE",
	 "variables defined in this .env file too (repeatable)", OPT_ENV_FILE,
	 PS_COMPLETE_FILE, NULL},
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
	.common = PS_CLI_LINT | PS_CLI_CONFIG | PS_CLI_RULES,
	.operands = PS_COMPLETE_FILE,
};

struct run {
	struct ps_lint_run_opts lint;
	struct compose_env env;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct run *r = ctx;

	if (id == OPT_ENV_FILE) {
		r->env.env_files = ps_xrealloc(r->env.env_files,
			(r->env.nenv_files + 1) * sizeof(*r->env.env_files));
		r->env.env_files[r->env.nenv_files++] = arg;
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

int
main(int argc, char **argv)
{
	static const char *const prefixes[] = { "ps-lint", "dclint", NULL };
	struct ps_cli_common common;
	struct run run = {0};
	struct ps_lint_tool tool = {
		.name = cli.prog, .rules = compose_rules,
		.nrules = compose_nrules, .section = "compose",
		.prefixes = prefixes, .check = compose_lint, .arg = &run.env,
	};
	struct ps_error err = {0};
	int first, status;

	ps_cli_init(&cli, argv[0]);
	status = ps_cli_parse(&cli, argc, argv, on_opt, &run, &common, &first);
	if (status < 0) {
		status = ps_lint_main(&tool, &common, &run.lint, argv + first,
				      argc - first, is_compose_name, NULL, stdout,
				      &err);
		if (err.code)
			ps_log_error("%s", err.msg);
	}
	free(run.env.env_files);
	ps_cli_common_free(&common);
	return ps_cli_finish(status);
}
