/*
 * GitHub Actions expressions (${{ ... }}): a parser for the expression
 * grammar that reports syntax errors with their offset and collects the
 * context paths and functions an expression uses, for the rules.
 */
#ifndef PS_WF_EXPR_H
#define PS_WF_EXPR_H

#include <stddef.h>

#define WF_EXPR_MAX_REFS 32

struct wf_expr_ref {
	char path[160];		/* "github.event.issue.title", index as "*" */
	size_t off;		/* offset of the path's first character */
	int in_test;		/* an argument of contains(), startsWith(), endsWith():
				 * the result is a boolean, nothing is injected */
};

struct wf_expr {
	/* syntax */
	int ok;
	size_t err_off;		/* offset in the expression text */
	char err[160];
	/* what it uses */
	struct wf_expr_ref refs[WF_EXPR_MAX_REFS];
	size_t nrefs;
	char funcs[8][32];	/* function names as written */
	size_t funcoff[8];
	size_t nfuncs;
};

/* Parse the text between "${{" and "}}" (len bytes). */
void wf_expr_parse(const char *s, size_t len, struct wf_expr *out);

/*
 * Find the next "${{ ... }}" in s from *pos: sets *start to the offset of
 * "${{", *inner and *inner_len to the text inside, and *pos past "}}". Returns
 * 1 when found, 0 at the end, -1 for an unterminated "${{" (at *start).
 * Braces inside string literals do not end the expression.
 */
int wf_expr_next(const char *s, size_t *pos, size_t *start,
		 const char **inner, size_t *inner_len);

/* Whether path is attacker-controlled input (an issue title, a branch
 * name, a commit message, ...). */
int wf_expr_untrusted(const char *path);

#endif
