/*
 * ps-lint-workflow's rules over a loaded GitHub Actions workflow.
 */
#ifndef PS_LINT_WORKFLOW_H
#define PS_LINT_WORKFLOW_H

#include "lib/config.h"
#include "lib/lint.h"

extern const struct ps_lint_rule wf_rules[];
extern const size_t wf_nrules;

/* Run every rule over one workflow. */
void wf_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc, void *arg);

#endif
