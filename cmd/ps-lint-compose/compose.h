/*
 * ps-lint-compose's rules over a loaded compose file.
 */
#ifndef PS_LINT_COMPOSE_H
#define PS_LINT_COMPOSE_H

#include "lib/config.h"
#include "lib/lint.h"

extern const struct ps_lint_rule compose_rules[];
extern const size_t compose_nrules;

/* Where variables may be defined besides the process environment: the
 * .env file beside each compose file, and these. */
struct compose_env {
	const char **env_files;		/* --env-file */
	size_t nenv_files;
};

/* Run every rule over one compose document (arg: struct compose_env). */
void compose_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc,
		  void *arg);

#endif
