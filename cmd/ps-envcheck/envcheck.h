/*
 * ps-envcheck internals: the rule table, the files being checked and the
 * parts of the tool (per-file rules, cross-environment checks, schema,
 * fix, key-set diff) that main.c strings together.
 */
#ifndef PS_ENVCHECK_H
#define PS_ENVCHECK_H

#include <stdint.h>
#include <stdio.h>

#include "lib/diag.h"
#include "lib/dotenv.h"

#define ENVCHECK_TOOL "ps-envcheck"

enum rule_id {
	R_DUPLICATED_KEY,
	R_ENDING_BLANK_LINE,
	R_EXTRA_BLANK_LINE,
	R_INCORRECT_DELIMITER,
	R_KEY_WITHOUT_VALUE,
	R_LEADING_CHARACTER,
	R_LOWERCASE_KEY,
	R_QUOTE_CHARACTER,
	R_SPACE_CHARACTER,
	R_SUBSTITUTION_KEY,
	R_TRAILING_WHITESPACE,
	R_UNORDERED_KEY,
	R_VALUE_WITHOUT_QUOTES,
	R_SCHEMA_VIOLATION,
	R_SYNTAX,
	R_DRIFT,
	R_SHARED_STORE,
	R_LITERAL_SECRET,
	R_LOG_LEVEL,
	R_DEBUG_IN_PRODUCTION,
	R_ENV_MISMATCH,
	R_INVALID_URL,
	R_NODE_ENV_NONSTANDARD,
	R_COUNT
};

struct rule {
	const char *code;	/* "PSE001" */
	const char *name;	/* "duplicated-key" */
	const char *peer;	/* dotenv-linter's name, or NULL */
	enum ps_severity sev;
	int off_by_default;
	const char *summary;	/* one line, for --list-rules and sarif */
};

extern const struct rule envcheck_rules[R_COUNT];

#define RULE_BIT(r) ((uint32_t)1 << (r))

/* A rule by code, kebab name or dotenv-linter name (any case); -1 if none. */
int envcheck_rule_find(const char *word);
/* Parse "a,b c" into a mask; -1 and *bad = the unknown word on error. */
int envcheck_rules_parse(const char *list, uint32_t *mask, char *bad,
			 size_t badlen);

struct envfile {
	char *path;		/* as given or found; "-" for stdin */
	char *dir;		/* its directory ("." for stdin) */
	const char *env;	/* environment name, or NULL */
	char *env_owned;
	struct ps_dotenv doc;
	uint32_t *off;		/* rules switched off by comments, per line
				 * (index 0..nlines+1) */
	uint32_t off_at_end;	/* ... after the last line */
};

struct schema;

struct envcheck {
	uint32_t enabled;	/* rules that run */
	int sort;		/* --sort: --fix orders keys */
	const char *env_override; /* --env */
	struct schema *schema;
	struct ps_diags diags;
};

/* Load a file ("-" for stdin) and find its pragmas; -1 and err on failure. */
int envfile_load(struct envfile *f, const char *path, const char *env,
		 struct ps_error *err);
int envfile_load_mem(struct envfile *f, const char *name, const char *buf,
		     size_t len, const char *env);
void envfile_free(struct envfile *f);
/* files.c: load the operands (files, directories, "-"; the current
 * directory without any) into *files; returns the exit status so far. */
int envcheck_load_paths(char **ops, int nops, const char *env,
			struct envfile **files, size_t *nfiles);

/* Add a finding unless the rule is disabled (globally or by a comment on
 * that line). snippet (may be NULL) is redacted before it is stored. */
struct ps_finding *envcheck_report(struct envcheck *ck,
				   const struct envfile *f, enum rule_id r,
				   int line, int col, const char *snippet,
				   const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* The per-file rules (dotenv-linter's checks and syntax). */
void envcheck_lint_file(struct envcheck *ck, struct envfile *f);
/* Environment rules of one file and the rules across the files of a
 * directory (drift, isolation). */
void envcheck_cross(struct envcheck *ck, struct envfile *files, size_t n);

/* Whether a value parses as a URL; on failure why in err (no value in it).
 * Used by the invalid-url rule and the schema's url type. */
int envcheck_url_valid(const char *value, char *err, size_t errlen);

/* schema.c */
struct schema *schema_load(const char *path, struct ps_diags *errs);
void schema_free(struct schema *s);
void schema_check_file(struct envcheck *ck, const struct schema *s,
		       const struct envfile *f);
/* Check the process environment; findings go to ck->diags. */
void schema_check_live(struct envcheck *ck, const struct schema *s,
		       char **environ_);

/* fix.c: the text of f with the safe fixes applied (malloc'd, *len set),
 * and the number of fixes made. */
char *envcheck_fix(const struct envcheck *ck, const struct envfile *f,
		   size_t *len, int *nfixes);
/* Replace path atomically by text (temp file + rename), keeping path.bak
 * unless no_backup. -1 and err on failure. */
int envcheck_write(const char *path, const char *text, size_t len,
		   int no_backup, struct ps_error *err);
/* A unified diff of a against b (names for the header) on out; returns
 * the number of changed hunks. */
int envcheck_udiff(FILE *out, const char *name, const char *a, size_t alen,
		   const char *b, size_t blen);

/* keys.c: the key sets of several files side by side; returns 0 when all
 * files have the same keys, 1 otherwise. */
int envcheck_keydiff(FILE *out, struct envfile *files, size_t n, int json);

#endif
