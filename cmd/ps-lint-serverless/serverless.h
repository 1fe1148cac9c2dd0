/*
 * ps-lint-serverless's rules over a loaded serverless.yml.
 */
#ifndef PS_LINT_SERVERLESS_H
#define PS_LINT_SERVERLESS_H

#include "lib/config.h"
#include "lib/lint.h"

extern const struct ps_lint_rule sls_rules[];
extern const size_t sls_nrules;

struct sls_opts {
	const char *package;	/* --package DIR|ZIP, or NULL */
	const char *today;	/* YYYY-MM-DD for runtime deprecation; NULL: now */
	/* zips already measured, so a shared package is reported once */
	char **seen;
	size_t nseen;
};

/* Run every rule over one serverless.yml (arg: struct sls_opts). */
void sls_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc, void *arg);

/* Measure the package of function fname (o->package: a zip, or
 * DIR/fname.zip, or the service's zip in DIR) and report it when too
 * large; each zip is measured once. */
void sls_check_package(struct ps_lint_ctx *ctx, struct sls_opts *o,
		       const char *fname, const struct ps_node *at);

#endif
