/*
 * cli: one option table per tool drives option parsing (getopt_long),
 * --help, --version and the shell completion files (bash, zsh, fish), so
 * the three can never drift apart.
 *
 * A tool declares its own options and the common groups it takes; the
 * common options are parsed into struct ps_cli_common, the tool's own ones
 * are handed to its callback by id.
 */
#ifndef PS_CLI_H
#define PS_CLI_H

#include <stdio.h>

#include "diag.h"
#include "log.h"

enum ps_opt_arg {
	PS_ARG_NONE = 0,
	PS_ARG_REQUIRED,
	PS_ARG_OPTIONAL,	/* --opt=VALUE only */
};

/* What a shell should complete for an option's argument or the operands. */
enum ps_complete {
	PS_COMPLETE_NONE = 0,	/* free text */
	PS_COMPLETE_FILE,
	PS_COMPLETE_DIR,
	PS_COMPLETE_WORDS,	/* the space-separated words in .words */
};

struct ps_opt {
	const char *name;	/* long name without "--"; NULL ends the table */
	int short_name;		/* 'c', or 0 */
	enum ps_opt_arg arg;
	const char *argname;	/* "FILE" for the help text */
	const char *help;	/* one line */
	int id;			/* handed to the callback; >= 1000 are reserved */
	enum ps_complete complete;
	const char *words;	/* for PS_COMPLETE_WORDS: "text json sarif" */
};

/* Common option groups a tool can take (bit flags). --help, --version,
 * --quiet, --verbose and --color are always there. */
enum {
	PS_CLI_FORMAT = 1 << 0,		/* -f/--format */
	PS_CLI_FAIL_ON = 1 << 1,	/* --fail-on */
	PS_CLI_BASELINE = 1 << 2,	/* --baseline FILE */
	PS_CLI_CONFIG = 1 << 3,		/* -c/--config FILE */
	PS_CLI_RULES = 1 << 4,		/* --ignore, --enable, --list-rules */
	PS_CLI_LINT = PS_CLI_FORMAT | PS_CLI_FAIL_ON | PS_CLI_BASELINE,
};

struct ps_cli {
	const char *prog;	/* "ps-envcheck" */
	const char *usage;	/* synopsis after the name: "[-q] [-f FMT] [FILE|DIR ...]" */
	const char *summary;	/* one sentence: what the tool does */
	const char *epilog;	/* more help text after the options, or NULL */
	const struct ps_opt *opts; /* the tool's own options, or NULL */
	unsigned common;	/* PS_CLI_* groups */
	const char *formats;	/* accepted --format words, space-separated;
				 * NULL: all finding formats */
	const char *default_config; /* with PS_CLI_CONFIG: "backup.yml" */
	enum ps_complete operands;  /* what the operands are */
	const char *operand_words;  /* for PS_COMPLETE_WORDS operands */
};

struct ps_cli_common {
	enum ps_format format;		/* PS_FMT_AUTO until resolved */
	enum ps_severity fail_on;	/* default PS_SEV_ERROR */
	const char *baseline;
	const char *config;		/* default_config unless -c given */
	int config_given;		/* -c was on the command line */
	int verbosity;			/* -1 quiet .. 2 */
	enum ps_color_mode color;
	/* PS_CLI_RULES: rule codes or names, comma-separated; repeated
	 * options add to the list */
	char *ignore;			/* malloc'd or NULL */
	char *enable;
	int list_rules;
};

/* Free what parsing allocated in c. */
void ps_cli_common_free(struct ps_cli_common *c);

/*
 * Parse argv. on_opt is called for each of the tool's own options with its
 * id and argument (NULL for none); it returns 0 (or -1) to go on, or an
 * exit status to stop with (after printing its own message). On return *first_operand
 * is the index of the first operand in argv.
 * Returns -1 to go on, or the exit status the tool must exit with now:
 * 0 after --help / --version / --completion were printed, 2 on a usage
 * error (already reported on stderr with a hint to --help).
 */
int ps_cli_parse(const struct ps_cli *cli, int argc, char **argv,
		 int (*on_opt)(int id, const char *arg, void *ctx), void *ctx,
		 struct ps_cli_common *common, int *first_operand);

void ps_cli_help(const struct ps_cli *cli, FILE *out);
void ps_cli_version(const struct ps_cli *cli, FILE *out);
/* shell: "bash", "zsh" or "fish"; -1 for an unknown shell. */
int ps_cli_completion(const struct ps_cli *cli, const char *shell, FILE *out);

/* "prog: message\nTry 'prog --help' for more information." and returns 2. */
int ps_cli_usage_error(const struct ps_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Finish a tool's run: flush and check stdout (fail with 3 if it could not
 * be written; a closed pipe is silent) and return the status to exit with.
 */
int ps_cli_finish(int status);

/* Ignore SIGPIPE so writes fail with EPIPE and tools stop quietly. */
void ps_cli_init(const struct ps_cli *cli, const char *argv0);

#endif
