#include "cmd/ps-lint-dockerfile/lint.h"
void lint_shellcheck(struct lint_ctx *cx) { (void)cx; }
