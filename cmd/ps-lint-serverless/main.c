/*
 * ps-lint-serverless: lints serverless.yml against the Serverless
 * Deployment standards (runtime, timeout and memory bounds, API Gateway
 * limits, least-privilege IAM, secrets as references, schedules, package
 * size under 50 MB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/lint.h"
#include "lib/log.h"

#include "serverless.h"

enum { OPT_PACKAGE = 1, OPT_TODAY };

static const struct ps_opt opts[] = {
	{"package", 0, PS_ARG_REQUIRED, "DIR|ZIP",
	 "check the built packages (.serverless/ or a zip) against the size limits",
	 OPT_PACKAGE, PS_COMPLETE_FILE, NULL},
	{"today", 0, PS_ARG_REQUIRED, "DATE",
	 "judge runtime deprecation as of DATE (YYYY-MM-DD)", OPT_TODAY,
	 PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-lint-serverless",
	.usage = "[-q] [-c FILE] [-f FMT] [--fail-on SEV] [--package DIR|ZIP] "
		 "[--ignore RULES] [--enable RULES] [FILE|DIR ...]",
	.summary = "Lint serverless.yml against the serverless deployment standards.",
	.epilog = "A directory is searched for serverless.yml and serverless.yaml;\n"
		  "without operands, the current directory.",
	.opts = opts,
	.common = PS_CLI_LINT | PS_CLI_CONFIG | PS_CLI_RULES,
	.operands = PS_COMPLETE_FILE,
};

struct run {
	struct ps_lint_run_opts lint;
	struct sls_opts sls;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct run *r = ctx;
	long v;

	switch (id) {
	case OPT_PACKAGE:
		r->sls.package = arg;
		break;
	case OPT_TODAY:
		if (strlen(arg) != 10 || arg[4] != '-' || arg[7] != '-' ||
		    ps_parse_long(arg + 8, 1, 31, &v) < 0)
			return ps_cli_usage_error(&cli, "--today takes YYYY-MM-DD, not '%s'", arg);
		r->sls.today = arg;
		break;
	}
	return 0;
}

static int
is_serverless_name(const char *rel, const char *base)
{
	return strcmp(base, "serverless.yml") == 0 ||
	       strcmp(base, "serverless.yaml") == 0;
}

int
main(int argc, char **argv)
{
	static const char *const prefixes[] = { "ps-lint", NULL };
	struct ps_cli_common common;
	struct run run = {0};
	struct ps_lint_tool tool = {
		.name = cli.prog, .rules = sls_rules, .nrules = sls_nrules,
		.section = "serverless", .prefixes = prefixes,
		.check = sls_lint, .arg = &run.sls,
	};
	struct ps_error err = {0};
	int first, status;
	size_t i;

	ps_cli_init(&cli, argv[0]);
	status = ps_cli_parse(&cli, argc, argv, on_opt, &run, &common, &first);
	if (status < 0) {
		status = ps_lint_main(&tool, &common, &run.lint, argv + first,
				      argc - first, is_serverless_name, NULL,
				      stdout, &err);
		if (err.code)
			ps_log_error("%s", err.msg);
	}
	for (i = 0; i < run.sls.nseen; i++)
		free(run.sls.seen[i]);
	free(run.sls.seen);
	ps_cli_common_free(&common);
	return ps_cli_finish(status);
}
