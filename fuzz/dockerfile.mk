# fuzz_dockerfile also runs every ps-lint-dockerfile rule over the parse.
FUZZ_SRC_fuzz_dockerfile := cmd/ps-lint-dockerfile/rules.c cmd/ps-lint-dockerfile/rules_dl.c cmd/ps-lint-dockerfile/rules_label.c cmd/ps-lint-dockerfile/rules_std.c cmd/ps-lint-dockerfile/pragma.c cmd/ps-lint-dockerfile/settings.c cmd/ps-lint-dockerfile/shellcheck.c
