/*
 * A recursive-descent parser for GitHub Actions expressions:
 *
 *	or      := and ( "||" and )*
 *	and     := eq ( "&&" eq )*
 *	eq      := cmp ( ( "==" | "!=" ) cmp )*
 *	cmp     := unary ( ( "<" | "<=" | ">" | ">=" ) unary )*
 *	unary   := "!" unary | postfix
 *	postfix := primary ( "." ( ident | "*" ) | "[" or "]" )*
 *	primary := null | true | false | number | 'string'
 *	         | ident "(" [ or ( "," or )* ] ")" | ident | "(" or ")"
 */
#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "expr.h"

struct p {
	const char *s;
	size_t len;
	size_t i;
	struct wf_expr *out;
	int depth;
	int in_test;		/* inside contains(), startsWith(), ... */
};

static void
fail(struct p *p, size_t off, const char *msg)
{
	if (!p->out->ok)
		return;
	p->out->ok = 0;
	p->out->err_off = off;
	snprintf(p->out->err, sizeof(p->out->err), "%s", msg);
}

static void
skip_ws(struct p *p)
{
	while (p->i < p->len && isspace((unsigned char)p->s[p->i]))
		p->i++;
}

static int
peek_is(struct p *p, const char *tok)
{
	size_t n = strlen(tok);

	skip_ws(p);
	return p->i + n <= p->len && strncmp(p->s + p->i, tok, n) == 0;
}

static int
accept(struct p *p, const char *tok)
{
	if (!peek_is(p, tok))
		return 0;
	p->i += strlen(tok);
	return 1;
}

static int
is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int
is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static void parse_or(struct p *p);

/* A property path that starts at a context name. */
struct path {
	char buf[160];
	size_t n;
	size_t off;
	int active;
};

static void
path_add(struct path *pa, const char *seg, size_t n)
{
	if (!pa->active)
		return;
	if (pa->n + n + 2 >= sizeof(pa->buf)) {
		pa->active = 0;
		return;
	}
	if (pa->n)
		pa->buf[pa->n++] = '.';
	memcpy(pa->buf + pa->n, seg, n);
	pa->n += n;
	pa->buf[pa->n] = '\0';
}

static void
path_done(struct p *p, struct path *pa)
{
	struct wf_expr *o = p->out;

	if (!pa->active || o->nrefs >= WF_EXPR_MAX_REFS)
		return;
	snprintf(o->refs[o->nrefs].path, sizeof(o->refs[0].path), "%s", pa->buf);
	o->refs[o->nrefs].off = pa->off;
	o->refs[o->nrefs].in_test = p->in_test > 0;
	o->nrefs++;
}

static void
parse_primary(struct p *p, struct path *pa)
{
	size_t start;

	skip_ws(p);
	start = p->i;
	pa->active = 0;
	if (p->i >= p->len) {
		fail(p, p->i, "unexpected end of expression");
		return;
	}
	if (p->s[p->i] == '(') {
		p->i++;
		parse_or(p);
		if (!accept(p, ")"))
			fail(p, p->i, "expected ')'");
		return;
	}
	if (p->s[p->i] == '\'') {
		p->i++;
		for (;;) {
			if (p->i >= p->len) {
				fail(p, start, "unterminated string literal");
				return;
			}
			if (p->s[p->i] == '\'') {
				if (p->i + 1 < p->len && p->s[p->i + 1] == '\'') {
					p->i += 2;
					continue;
				}
				p->i++;
				return;
			}
			p->i++;
		}
	}
	if (p->s[p->i] == '"') {
		fail(p, p->i, "strings are written in single quotes in expressions");
		return;
	}
	if (isdigit((unsigned char)p->s[p->i]) || p->s[p->i] == '-' ||
	    p->s[p->i] == '+') {
		p->i++;
		while (p->i < p->len && (isalnum((unsigned char)p->s[p->i]) ||
					 p->s[p->i] == '.' || p->s[p->i] == '-' ||
					 p->s[p->i] == '+'))
			p->i++;
		return;
	}
	if (is_ident_start(p->s[p->i])) {
		size_t n;

		while (p->i < p->len && is_ident_char(p->s[p->i]))
			p->i++;
		n = p->i - start;
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == '(') {	/* a call */
			struct wf_expr *o = p->out;
			int test = (n == 8 && strncasecmp(p->s + start, "contains", 8) == 0) ||
				   (n == 10 && strncasecmp(p->s + start, "startsWith", 10) == 0) ||
				   (n == 8 && strncasecmp(p->s + start, "endsWith", 8) == 0);

			if (o->nfuncs < 8) {
				snprintf(o->funcs[o->nfuncs], sizeof(o->funcs[0]),
					 "%.*s", (int)n, p->s + start);
				o->funcoff[o->nfuncs++] = start;
			}
			p->i++;
			p->in_test += test;
			if (!accept(p, ")")) {
				do {
					parse_or(p);
				} while (p->out->ok && accept(p, ","));
				if (!accept(p, ")"))
					fail(p, p->i, "expected ')' after the arguments");
			}
			p->in_test -= test;
			return;
		}
		if ((n == 4 && strncmp(p->s + start, "null", 4) == 0) ||
		    (n == 4 && strncmp(p->s + start, "true", 4) == 0) ||
		    (n == 5 && strncmp(p->s + start, "false", 5) == 0))
			return;
		pa->active = 1;
		pa->n = 0;
		pa->buf[0] = '\0';
		pa->off = start;
		path_add(pa, p->s + start, n);
		return;
	}
	fail(p, p->i, "unexpected character in expression");
}

static void
parse_postfix(struct p *p)
{
	struct path pa = {0};

	if (++p->depth > 64) {
		fail(p, p->i, "expression nested too deeply");
		return;
	}
	parse_primary(p, &pa);
	while (p->out->ok) {
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == '.') {
			size_t st;

			p->i++;
			st = p->i;
			if (p->i < p->len && p->s[p->i] == '*') {
				p->i++;
				path_add(&pa, "*", 1);
				continue;
			}
			if (p->i >= p->len || !is_ident_start(p->s[p->i])) {
				fail(p, p->i, "expected a property name after '.'");
				break;
			}
			while (p->i < p->len && is_ident_char(p->s[p->i]))
				p->i++;
			path_add(&pa, p->s + st, p->i - st);
		} else if (p->i < p->len && p->s[p->i] == '[') {
			p->i++;
			parse_or(p);
			if (!accept(p, "]"))
				fail(p, p->i, "expected ']'");
			path_add(&pa, "*", 1);
		} else {
			break;
		}
	}
	path_done(p, &pa);
	p->depth--;
}

static void
parse_unary(struct p *p)
{
	if (accept(p, "!") && !peek_is(p, "=")) {
		parse_unary(p);
		return;
	}
	parse_postfix(p);
}

static void
parse_cmp(struct p *p)
{
	parse_unary(p);
	while (p->out->ok && (accept(p, "<=") || accept(p, ">=") ||
			      accept(p, "<") || accept(p, ">")))
		parse_unary(p);
}

static void
parse_eq(struct p *p)
{
	parse_cmp(p);
	while (p->out->ok && (accept(p, "==") || accept(p, "!=")))
		parse_cmp(p);
}

static void
parse_and(struct p *p)
{
	parse_eq(p);
	while (p->out->ok && accept(p, "&&"))
		parse_eq(p);
}

static void
parse_or(struct p *p)
{
	parse_and(p);
	while (p->out->ok && accept(p, "||"))
		parse_and(p);
}

void
wf_expr_parse(const char *s, size_t len, struct wf_expr *out)
{
	struct p p = { s, len, 0, out, 0, 0 };

	memset(out, 0, sizeof(*out));
	out->ok = 1;
	skip_ws(&p);
	if (p.i >= len) {
		fail(&p, 0, "empty expression");
		return;
	}
	parse_or(&p);
	skip_ws(&p);
	if (out->ok && p.i < len) {
		if (s[p.i] == '=' )
			fail(&p, p.i, "'=' is not an operator; use '=='");
		else
			fail(&p, p.i, "unexpected text after the expression");
	}
}

int
wf_expr_next(const char *s, size_t *pos, size_t *start, const char **inner,
	     size_t *inner_len)
{
	const char *open = strstr(s + *pos, "${{");
	size_t i;
	int quoted = 0;

	if (!open)
		return 0;
	*start = (size_t)(open - s);
	for (i = *start + 3; s[i]; i++) {
		if (s[i] == '\'')
			quoted = !quoted;
		else if (!quoted && s[i] == '}' && s[i + 1] == '}') {
			*inner = s + *start + 3;
			*inner_len = i - *start - 3;
			*pos = i + 2;
			return 1;
		}
	}
	*pos = strlen(s);
	return -1;
}

/* Attacker-controlled values (GitHub Security Lab's list). */
static const char *const untrusted[] = {
	"github.event.issue.title", "github.event.issue.body",
	"github.event.pull_request.title", "github.event.pull_request.body",
	"github.event.comment.body", "github.event.review.body",
	"github.event.review_comment.body", "github.event.pages.*.page_name",
	"github.event.commits.*.message", "github.event.commits.*.author.email",
	"github.event.commits.*.author.name", "github.event.head_commit.message",
	"github.event.head_commit.author.email",
	"github.event.head_commit.author.name",
	"github.event.pull_request.head.ref", "github.event.pull_request.head.label",
	"github.event.pull_request.head.repo.default_branch",
	"github.event.workflow_run.head_branch",
	"github.event.workflow_run.head_commit.message",
	"github.event.workflow_run.head_commit.author.email",
	"github.event.workflow_run.head_commit.author.name",
	"github.event.discussion.title", "github.event.discussion.body",
	"github.event.issue.pull_request.title", "github.head_ref",
	/* object filters that pick the bodies and titles of every event */
	"github.event.*.title", "github.event.*.body",
};

int
wf_expr_untrusted(const char *path)
{
	size_t i;

	/* "*" in a path stands for an index or an object filter, in the
	 * list and in the path alike, so the comparison is exact. */
	for (i = 0; i < sizeof(untrusted) / sizeof(untrusted[0]); i++)
		if (strcmp(untrusted[i], path) == 0)
			return 1;
	return 0;
}
