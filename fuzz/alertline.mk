# fuzz_alertline reads lines with ps-alert's event parser (cmd/ps-alert/engine.c).
FUZZ_SRC_fuzz_alertline := cmd/ps-alert/engine.c
