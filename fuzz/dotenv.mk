# fuzz_dotenv also drives ps-envcheck's rules and --fix over the parser.
FUZZ_SRC_fuzz_dotenv := cmd/ps-envcheck/rules.c cmd/ps-envcheck/fix.c
