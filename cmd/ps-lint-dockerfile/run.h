/*
 * ps-lint-dockerfile: running the linter over a list of files (run.c).
 */
#ifndef PS_LINT_DOCKERFILE_RUN_H
#define PS_LINT_DOCKERFILE_RUN_H

#include "cmd/ps-lint-dockerfile/lint.h"

#define CLI_SEV_UNSET (-100)

struct lint_result {
	struct ps_diags diags;
	char *error;		/* the file could not be read */
	int status;
};

struct lint_run {
	struct file_list *files;
	const struct lint_settings *base;	/* defaults + command line */
	const struct lint_settings *fixed;	/* --config: the same for all */
	int cli_sev[256];	/* rules the command line set, else CLI_SEV_UNSET */
	int jobs;
	int config_error;
	struct lint_result *results;
	const struct lint_settings **sets;
	struct { char *path; struct lint_settings *set; } *cached;
	size_t ncached;
	char *last_dir;
	const struct lint_settings *last_set;
};

void lint_run_all(struct lint_run *r);
void lint_run_free(struct lint_run *r);

#endif
