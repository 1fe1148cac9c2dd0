/*
 * dotenv: the .env file format as the common loaders read it (motdotla
 * dotenv, godotenv, python-dotenv, docker compose): KEY=value lines, an
 * optional "export " prefix, single-, double- and back-quoted values,
 * escapes in double quotes, multi-line quoted values, full-line and inline
 * comments, ${VAR} / $VAR references.
 *
 * The parser never fails: it keeps every physical line (for linters that
 * look at the text as written), the entries it understood (key, value with
 * quotes removed and escapes resolved, positions), and the problems it met
 * (unterminated quote, text after a closing quote, empty key) with their
 * positions.
 *
 *	struct ps_dotenv d;
 *	ps_dotenv_parse(buf, len, &d);
 *	const struct ps_dotenv_entry *e = ps_dotenv_get(&d, "DATABASE_URL");
 *	...
 *	ps_dotenv_free(&d);
 */
#ifndef PS_DOTENV_H
#define PS_DOTENV_H

#include <stddef.h>

enum ps_dotenv_quote {
	PS_DOTENV_QUOTE_NONE = 0,
	PS_DOTENV_QUOTE_SINGLE,		/* 'literal' */
	PS_DOTENV_QUOTE_DOUBLE,		/* "escapes \n \t \" \\ \$" */
	PS_DOTENV_QUOTE_BACKTICK,	/* `literal` */
};

enum ps_dotenv_kind {
	PS_DOTENV_BLANK = 0,	/* empty or whitespace only */
	PS_DOTENV_COMMENT,	/* first non-blank character is '#' */
	PS_DOTENV_ENTRY,	/* starts an entry (see entry) */
	PS_DOTENV_CONT,		/* continues a multi-line quoted value */
};

/* A ${NAME}, ${NAME:-default}, ${ssm:/path} or $NAME reference in a value. */
struct ps_dotenv_ref {
	char *name;		/* the identifier: "PROD_API_KEY", "ssm" */
	char *expr;		/* everything between the braces, or the name */
	int braced;		/* written as ${...} */
	int line;		/* position of the '$' */
	int col;
};

struct ps_dotenv_entry {
	char *key;		/* as written, between "export " and '=' (trimmed) */
	char *value;		/* quotes removed, escapes resolved; "" without '=' */
	size_t value_len;	/* may hold NULs from escapes: use for exactness */
	char *raw;		/* the entry's bytes as written, all its lines
				 * with their line breaks, without the last one */
	char *raw_value;	/* text after '=' as written (quotes included),
				 * leading blanks and the inline comment removed */
	char *comment;		/* inline comment text after '#', or NULL */
	enum ps_dotenv_quote quote;
	int exported;		/* "export KEY=..." */
	int has_eq;		/* an '=' followed the key */
	int line;		/* position of the key (1-based) */
	int col;
	int value_line;		/* position of the value's first character */
	int value_col;		/* (just after '=' when the value is empty) */
	int end_line;		/* last line of the entry (multi-line values) */
	struct ps_dotenv_ref *refs;
	size_t nrefs;
};

struct ps_dotenv_line {
	enum ps_dotenv_kind kind;
	int line;		/* 1-based */
	const char *text;	/* into the document's copy; no "\n", no final "\r" */
	size_t len;
	int crlf;		/* the line ended in "\r\n" */
	long entry;		/* index of the entry this line belongs to, or -1 */
};

struct ps_dotenv_problem {
	int line;
	int col;
	char *msg;		/* "unterminated double-quoted value" */
};

struct ps_dotenv {
	char *text;		/* a NUL-terminated copy of the input */
	size_t len;
	struct ps_dotenv_line *lines;	/* physical lines: a final "\n" does not
					 * start another line */
	size_t nlines;
	struct ps_dotenv_entry *entries;	/* in file order; duplicates kept */
	size_t nentries;
	struct ps_dotenv_problem *problems;
	size_t nproblems;
	int final_newline;	/* the input ends with "\n" */
	int has_nul;		/* the input holds NUL bytes (read as spaces) */
	/* index by key: the last entry of each key, and for each entry the
	 * one before it with the same key */
	size_t *hash;		/* entry index + 1, or 0 for a free slot */
	size_t hash_cap;	/* a power of two */
	long *prev;
};

/* Parse buf (len bytes, need not be NUL-terminated) into d. Always
 * succeeds; free d with ps_dotenv_free. */
void ps_dotenv_parse(const char *buf, size_t len, struct ps_dotenv *d);
void ps_dotenv_free(struct ps_dotenv *d);

/* The last entry for key (the one most loaders keep), or NULL. */
const struct ps_dotenv_entry *ps_dotenv_get(const struct ps_dotenv *d,
					    const char *key);

/* The index of the entry before entry i with the same key, or -1. */
long ps_dotenv_prev(const struct ps_dotenv *d, size_t i);

/* Whether key is a portable variable name: [A-Za-z_][A-Za-z0-9_]*. */
int ps_dotenv_key_valid(const char *key);

/* Whether the value comes from elsewhere: it holds at least one reference. */
int ps_dotenv_is_reference(const struct ps_dotenv_entry *e);

/*
 * The value written back as dotenv text (malloc'd): as is when it needs no
 * quotes, else single-quoted when that keeps it literal and it has no ' or
 * newline, else double-quoted with \\, \", \n escaped. keep_refs: the
 * value came from a text whose $references must still expand, so '$' is
 * neither escaped nor single-quoted.
 */
char *ps_dotenv_format_value(const char *value, size_t len, int keep_refs);

/* The environment a file name stands for: ".env.production" and
 * ".env.prod" -> "production", ".env.dev" -> "development", ".env.stg" ->
 * "staging", ".env.test" -> "test", ".env.qa" -> "qa". NULL for files that
 * name no environment: ".env", "app.env", templates (.env.example,
 * .env.sample, .env.template, .env.dist, .env.defaults) and local overrides
 * (.env.local, .env.production.local). base may include a directory. */
const char *ps_dotenv_env_of_file(const char *path);
/* The canonical environment name for a word ("prod" -> "production"), or
 * NULL when word names none of the known ones. */
const char *ps_dotenv_env_canonical(const char *word);
/* Whether a file name is a template of keys (.env.example, .env.sample,
 * .env.template, .env.dist, .env.defaults). */
int ps_dotenv_is_template(const char *path);

#endif
