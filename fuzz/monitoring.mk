# fuzz_monitoring runs the loaders that live with their tools.
FUZZ_SRC_fuzz_monitoring := cmd/ps-health/checks.c cmd/ps-alert/rules.c cmd/ps-alert/engine.c
