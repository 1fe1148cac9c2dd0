# fuzz_yamllint runs the rules of the three YAML linters.
FUZZ_SRC_fuzz_yamllint := cmd/ps-lint-compose/rules.c \
	cmd/ps-lint-workflow/rules.c cmd/ps-lint-workflow/expr.c \
	cmd/ps-lint-serverless/rules.c cmd/ps-lint-serverless/package.c
