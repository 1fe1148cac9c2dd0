#include "cmd/ps-lint-dockerfile/lint.h"
void lint_rules_std(struct lint_ctx *cx) { (void)cx; }
