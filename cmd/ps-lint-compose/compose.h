/*
 * ps-lint-compose's rules over a loaded compose file.
 */
#ifndef PS_LINT_COMPOSE_H
#define PS_LINT_COMPOSE_H

#include "lib/config.h"
#include "lib/lint.h"

extern const struct ps_lint_rule compose_rules[];
extern const size_t compose_nrules;

/* Where variables may be defined besides the process environment. */
struct compose_env {
	char **names;		/* NULL-terminated: keys of .env and --env-file */
};

/* Run every rule over one compose document. */
void compose_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc,
		  const struct compose_env *env);

#endif
