/*
 * lint: what every linter shares besides the renderers: a rule table,
 * .ps-lint.yml (searched upward from the linted file), inline pragmas
 * (`# ps-lint ignore=RULE[,RULE] -- reason` on the line above, `# ps-lint
 * global ignore=...` for the whole file) and finding files in a tree.
 *
 * A linter reports through ps_lint_report(), which applies the
 * configuration (ignored rules, opt-in rules, severity overrides) and the
 * pragmas, fills refs, name and a snippet, and appends the finding.
 *
 * .ps-lint.yml (hadolint's key names, so a .hadolint.yaml reads the same):
 *
 *	failure-threshold: warning     # default --fail-on
 *	ignored: [PSC004, DL3008]      # codes or names
 *	enabled: [PSC017]              # rules that are off by default
 *	override:
 *	  error: [PSW003]
 *	  info: [no-restart-policy]
 *	compose:                       # a section per linter, same keys, plus
 *	  ignored: [...]               # the linter's own settings
 */
#ifndef PS_LINT_H
#define PS_LINT_H

#include <stddef.h>

#include "cli.h"
#include "config.h"
#include "diag.h"

struct ps_lint_rule {
	const char *code;	/* "PSC001" */
	const char *name;	/* "obsolete-version" (kebab-case) */
	enum ps_severity severity;
	const char *summary;	/* one line, for --list-rules, SARIF, the man page */
	const char *refs;	/* peer rules, space-separated ("dclint:no-version-field"), or NULL */
	int off_by_default;	/* opt-in: enabled by config or --enable */
};

struct ps_lint_override {
	char *rule;
	enum ps_severity severity;
};

struct ps_lint_conf {
	char *path;			/* the file read, or NULL when none */
	char **ignored;			/* NULL-terminated */
	char **enabled;
	struct ps_lint_override *overrides;
	size_t noverrides;
	int has_threshold;
	enum ps_severity threshold;
	struct ps_doc *doc;		/* kept for linter-specific keys */
	const struct ps_node *section;	/* the linter's own section or NULL */
};

/*
 * Load the configuration: path when given, else the first of names (e.g.
 * ".ps-lint.yml", ".ps-lint.yaml") found in start_dir or a parent. The
 * top level and then `section` (when present) are read; problems go to
 * errs as findings (an unreadable or invalid file is an error).
 * Returns 0 (also when no file was found: conf is then empty), -1 on error.
 */
int ps_lint_conf_load(struct ps_lint_conf *conf, const char *path,
		      const char *start_dir, const char *const *names,
		      const char *section, struct ps_diags *errs);
void ps_lint_conf_free(struct ps_lint_conf *conf);
/* Add to the ignored / enabled lists (from --ignore / --enable). */
void ps_lint_conf_ignore(struct ps_lint_conf *conf, const char *rules_csv);
void ps_lint_conf_enable(struct ps_lint_conf *conf, const char *rules_csv);

/* Find a rule by code or name; NULL when unknown. */
const struct ps_lint_rule *ps_lint_rule_find(const struct ps_lint_rule *rules,
					     size_t n, const char *code_or_name);

/* One file being linted. */
struct ps_lint_ctx {
	const char *tool;		/* "ps-lint-compose" */
	const char *file;		/* as shown in findings */
	const struct ps_lint_rule *rules;
	size_t nrules;
	const struct ps_lint_conf *conf; /* may be NULL */
	const char *text;		/* the file's text, for snippets and pragmas */
	size_t text_len;
	struct ps_diags *out;
	/* private */
	struct ps_lint_pragma *pragmas;
	size_t npragmas;
	size_t cap;
	char **global_ignored;
	size_t *line_starts;
	size_t nlines;
};

/*
 * Prepare ctx for a file: index its lines and read its pragmas. prefixes
 * are the comment words that introduce a pragma ("ps-lint", and e.g.
 * "hadolint" or "dclint" for the peer's own), each after a '#'.
 */
void ps_lint_begin(struct ps_lint_ctx *ctx, const char *const *prefixes);
void ps_lint_end(struct ps_lint_ctx *ctx);
/* Record a pragma found by the linter's own parser (line = its line). */
void ps_lint_add_pragma(struct ps_lint_ctx *ctx, int line, int global,
			const char *rules_csv);

/* Whether a rule is active for this file (config and opt-in). */
int ps_lint_enabled(const struct ps_lint_ctx *ctx, const struct ps_lint_rule *r);

/*
 * Report a finding of rule `code` at line:col, unless the configuration
 * ignores it or a pragma on the line above (or on the same line, or a
 * global one) suppresses it. Returns the finding, or NULL when suppressed.
 */
struct ps_finding *ps_lint_report(struct ps_lint_ctx *ctx, const char *code,
				  int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The text of a 1-based line (without its newline) and its length. */
const char *ps_lint_line(const struct ps_lint_ctx *ctx, int line, size_t *len);

/*
 * The YAML rule framework: a linter lists (path pattern, check) pairs and
 * ps_lint_walk calls each check on every node whose path matches. Patterns
 * are dotted: "services.*.ports.*" (a literal key, "*" for any key or
 * sequence index, "**" for any number of levels). The check gets the node,
 * the visit's data, the mapping key it stands under (NULL for sequence
 * items and the root,
 * whose position is where a finding about the key belongs) and the path
 * segments that matched the wildcards, e.g. {"web", "0"}.
 */
struct ps_lint_visit {
	const char *pattern;
	void (*check)(void *ctx, const void *data, const struct ps_node *node,
		      const struct ps_node *key, const char *const *caps);
	const void *data;	/* handed to check: what this visit is about */
};

void ps_lint_walk(const struct ps_node *root, const struct ps_lint_visit *v,
		  size_t n, void *ctx);

/*
 * Collect the files to lint from operands: a file is taken as is ("-" is
 * stdin); a directory is walked (skipping .git, node_modules, vendor and
 * hidden folders unless named in keep_dirs, e.g. ".github") and its files
 * for which match(relative path, base name) returns true are added, sorted.
 * A missing operand is an error (code 2) naming it.
 */
struct ps_lint_files {
	char **v;
	size_t n;
	size_t cap;
	/* the size of each file that collect found to be a regular file, else
	 * -1 (spares ps_lint_run a stat per file); NULL in a list filled by
	 * other means (nsize counts the entries) */
	long long *size;
	size_t nsize;
};
int ps_lint_collect(struct ps_lint_files *files, const char *operand,
		    int (*match)(const char *relpath, const char *base),
		    const char *const *keep_dirs, struct ps_error *err);
void ps_lint_files_free(struct ps_lint_files *files);

/*
 * The driver of a YAML linter: for each file, read it, load the
 * configuration that applies to it, parse the YAML (syntax errors become
 * findings), read the pragmas, call the linter's check and render what it
 * found. The linter supplies only its rules and its check.
 */
struct ps_lint_tool {
	const char *name;			/* "ps-lint-compose" */
	const struct ps_lint_rule *rules;
	size_t nrules;
	const char *section;			/* its .ps-lint.yml section: "compose" */
	const char *const *prefixes;		/* pragma words: "ps-lint", "dclint" */
	void (*check)(struct ps_lint_ctx *ctx, const struct ps_doc *doc,
		      void *arg);
	void *arg;
};

struct ps_lint_run_opts {
	const char *config;			/* -c FILE, or NULL to search */
	const char *ignore;			/* --ignore RULES */
	const char *enable;			/* --enable RULES */
	struct ps_render_opts render;		/* format, fail-on, baseline, ... */
};

/* Returns the exit status: the renderer's 0/1 (3 on a write error), or 2
 * when a file could not be read or parsed, or a configuration was bad. */
int ps_lint_run(const struct ps_lint_tool *t, const struct ps_lint_files *files,
		const struct ps_lint_run_opts *o, FILE *out);

/*
 * What a linter's main does after parsing options: collect the files of
 * the operands (the current directory when there are none), load the
 * baseline, fill o from the common options (-c, -f, --fail-on, --baseline,
 * --ignore, --enable) and run; with --list-rules, print the rules instead.
 * Problems with
 * operands or the baseline go to err (the last one) and make the status 2;
 * the caller prints err.msg when err->code is set.
 */
int ps_lint_main(const struct ps_lint_tool *t,
		 const struct ps_cli_common *common, struct ps_lint_run_opts *o,
		 char **operands, int n,
		 int (*match)(const char *relpath, const char *base),
		 const char *const *keep_dirs, FILE *out, struct ps_error *err);

/* Print the rule table (code, severity, name, summary) for --list-rules. */
void ps_lint_print_rules(FILE *out, const struct ps_lint_rule *rules, size_t n);

#endif
