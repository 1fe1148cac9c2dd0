/*
 * alertexpr: a recursive-descent parser and evaluator for the alert
 * condition language. See alertexpr.h.
 */
#include "alertexpr.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

enum dim {
	DIM_ANY,	/* a bare number */
	DIM_TIME,	/* seconds */
	DIM_RATIO,	/* 0..1 */
	DIM_STR,
};

enum nkind { N_OR, N_AND, N_NOT, N_CMP };
enum op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

struct operand {
	int var;		/* >= 0: a variable; -1: a literal */
	double num;
	char *str;		/* string literal */
	enum dim dim;
	int col;
};

struct node {
	enum nkind kind;
	enum op op;
	struct node *l, *r;
	struct operand a, b;	/* N_CMP */
};

struct ps_ax {
	struct node *root;
	uint32_t needs;
};

static const struct {
	const char *name;
	int var;
	enum dim dim;
} vars[] = {
	{ "error_rate", PS_AX_ERROR_RATE, DIM_RATIO },
	{ "success_rate", PS_AX_SUCCESS_RATE, DIM_RATIO },
	{ "availability", PS_AX_SUCCESS_RATE, DIM_RATIO },
	{ "up", PS_AX_UP, DIM_ANY },
	{ "request_count", PS_AX_COUNT, DIM_ANY },
	{ "count", PS_AX_COUNT, DIM_ANY },
	{ "failures", PS_AX_FAILURES, DIM_ANY },
	{ "error_count", PS_AX_FAILURES, DIM_ANY },
	{ "response_time", PS_AX_RT_AVG, DIM_TIME },
	{ "response_time_avg", PS_AX_RT_AVG, DIM_TIME },
	{ "response_time_min", PS_AX_RT_MIN, DIM_TIME },
	{ "response_time_max", PS_AX_RT_MAX, DIM_TIME },
	{ "response_time_p50", PS_AX_RT_P50, DIM_TIME },
	{ "response_time_p90", PS_AX_RT_P90, DIM_TIME },
	{ "response_time_p95", PS_AX_RT_P95, DIM_TIME },
	{ "response_time_p99", PS_AX_RT_P99, DIM_TIME },
	{ "latency", PS_AX_LATENCY, DIM_TIME },
	{ "latency_avg", PS_AX_RT_AVG, DIM_TIME },
	{ "latency_max", PS_AX_RT_MAX, DIM_TIME },
	{ "latency_p50", PS_AX_RT_P50, DIM_TIME },
	{ "latency_p90", PS_AX_RT_P90, DIM_TIME },
	{ "latency_p95", PS_AX_RT_P95, DIM_TIME },
	{ "latency_p99", PS_AX_RT_P99, DIM_TIME },
	{ "tls_days_left", PS_AX_TLS_DAYS_LEFT, DIM_ANY },
	{ "status", PS_AX_STATUS, DIM_ANY },
	{ "status_code", PS_AX_STATUS, DIM_ANY },
	{ "consecutive_failures", PS_AX_CONSEC_FAIL, DIM_ANY },
	{ "consecutive_successes", PS_AX_CONSEC_OK, DIM_ANY },
	{ "check", PS_AX_CHECK, DIM_STR },
	{ "kind", PS_AX_KIND, DIM_STR },
	{ "target", PS_AX_TARGET, DIM_STR },
};

static const char *const var_names[PS_AX_NVARS] = {
	"error_rate", "success_rate", "up", "request_count", "failures",
	"response_time_avg", "response_time_min", "response_time_max",
	"response_time_p50", "response_time_p90", "response_time_p95",
	"response_time_p99", "latency", "tls_days_left", "status_code",
	"consecutive_failures", "consecutive_successes", "check", "kind",
	"target",
};

const char *
ps_ax_var_name(int var)
{
	return var >= 0 && var < PS_AX_NVARS ? var_names[var] : "?";
}

void
ps_ax_vals_clear(struct ps_ax_vals *v)
{
	int i;

	for (i = 0; i < PS_AX_NVARS; i++) {
		v->num[i] = NAN;
		v->str[i] = NULL;
	}
}

/* ---- lexer ---- */

enum tok {
	T_END, T_NUM, T_STR, T_IDENT, T_LP, T_RP, T_AND, T_OR, T_NOT,
	T_GT, T_GE, T_LT, T_LE, T_EQ, T_NE, T_BAD,
};

struct parser {
	const char *src;
	const char *p;
	enum tok tok;
	int col;		/* of the current token */
	const char *start;	/* current token text */
	size_t len;
	double num;
	enum dim dim;		/* of a number */
	char *str;		/* of a string (owned until taken) */
	struct ps_error *err;
	int depth;
	int failed;
	uint32_t needs;
};

static int
perr(struct parser *ps, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
perr(struct parser *ps, int col, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return -1;
	ps->failed = 1;
	va_start(ap, fmt);
	ps_error_setv(ps->err, PS_EXIT_USAGE, fmt, ap);
	va_end(ap);
	if (ps->err) {
		ps->err->line = 1;
		ps->err->col = col;
	}
	return -1;
}

static int
is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Read a number with its unit at ps->p. */
static void
lex_number(struct parser *ps)
{
	char buf[64];
	const char *s = ps->p;
	size_t n = 0;
	double v;

	while (isdigit((unsigned char)s[n]) || s[n] == '.')
		n++;
	if (s[n] == 'e' || s[n] == 'E') {
		size_t m = n + 1;
		if (s[m] == '+' || s[m] == '-')
			m++;
		if (isdigit((unsigned char)s[m])) {
			n = m;
			while (isdigit((unsigned char)s[n]))
				n++;
		}
	}
	if (n >= sizeof(buf)) {
		ps->tok = T_BAD;
		perr(ps, ps->col, "number too long");
		return;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	if (ps_parse_double(buf, &v)) {
		ps->tok = T_BAD;
		perr(ps, ps->col, "invalid number \"%s\"", buf);
		return;
	}
	ps->dim = DIM_ANY;
	s += n;
	if (*s == '%') {
		v /= 100.0;
		ps->dim = DIM_RATIO;
		s++;
	} else if (isalpha((unsigned char)*s)) {
		size_t u = 0;
		while (isalpha((unsigned char)s[u]))
			u++;
		if (u == 2 && strncmp(s, "ms", 2) == 0)
			v /= 1000.0;
		else if (u == 2 && strncmp(s, "us", 2) == 0)
			v /= 1e6;
		else if (u == 1 && *s == 's')
			;
		else if (u == 1 && *s == 'm')
			v *= 60;
		else if (u == 1 && *s == 'h')
			v *= 3600;
		else {
			ps->tok = T_BAD;
			perr(ps, ps->col + (int)n, "unknown unit \"%.*s\" (use ms, s, m, h or %%)",
			     (int)u, s);
			return;
		}
		ps->dim = DIM_TIME;
		s += u;
		if (is_ident((unsigned char)*s)) {
			ps->tok = T_BAD;
			perr(ps, ps->col + (int)(s - ps->p), "unexpected \"%c\" after a number", *s);
			return;
		}
	}
	ps->num = v;
	ps->tok = T_NUM;
	ps->p = s;
}

static void
lex_string(struct parser *ps)
{
	char q = *ps->p;
	const char *s = ps->p + 1;
	struct ps_buf b = { 0 };

	while (*s && *s != q) {
		if (*s == '\\' && s[1])
			s++;
		ps_buf_addc(&b, *s++);
	}
	if (*s != q) {
		ps_buf_free(&b);
		ps->tok = T_BAD;
		perr(ps, ps->col, "unterminated string");
		return;
	}
	free(ps->str);
	ps->str = ps_buf_detach(&b);
	ps->p = s + 1;
	ps->tok = T_STR;
}

static void
next(struct parser *ps)
{
	const char *s = ps->p;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	ps->p = s;
	ps->start = s;
	ps->col = (int)(s - ps->src) + 1;
	ps->len = 0;
	if (ps->failed) {
		ps->tok = T_BAD;
		return;
	}
	if (!*s) {
		ps->tok = T_END;
		return;
	}
	if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
		lex_number(ps);
		ps->len = (size_t)(ps->p - ps->start);
		return;
	}
	if (*s == '"' || *s == '\'') {
		lex_string(ps);
		ps->len = (size_t)(ps->p - ps->start);
		return;
	}
	if (isalpha((unsigned char)*s) || *s == '_') {
		size_t n = 0;
		while (is_ident((unsigned char)s[n]))
			n++;
		ps->p = s + n;
		ps->len = n;
		if (n == 3 && strncmp(s, "and", 3) == 0)
			ps->tok = T_AND;
		else if (n == 2 && strncmp(s, "or", 2) == 0)
			ps->tok = T_OR;
		else if (n == 3 && strncmp(s, "not", 3) == 0)
			ps->tok = T_NOT;
		else
			ps->tok = T_IDENT;
		return;
	}
	ps->len = 1;
	ps->p = s + 1;
	switch (*s) {
	case '(': ps->tok = T_LP; return;
	case ')': ps->tok = T_RP; return;
	case '>':
		if (s[1] == '=') { ps->tok = T_GE; ps->p++; ps->len++; } else ps->tok = T_GT;
		return;
	case '<':
		if (s[1] == '=') { ps->tok = T_LE; ps->p++; ps->len++; } else ps->tok = T_LT;
		return;
	case '=':
		if (s[1] == '=') { ps->p++; ps->len++; }
		ps->tok = T_EQ;
		return;
	case '!':
		if (s[1] == '=') { ps->tok = T_NE; ps->p++; ps->len++; } else ps->tok = T_NOT;
		return;
	case '&':
		if (s[1] == '&') { ps->tok = T_AND; ps->p++; ps->len++; return; }
		break;
	case '|':
		if (s[1] == '|') { ps->tok = T_OR; ps->p++; ps->len++; return; }
		break;
	default:
		break;
	}
	ps->tok = T_BAD;
	perr(ps, ps->col, "unexpected character \"%c\"", isprint((unsigned char)*s) ? *s : '?');
}

/* ---- parser ---- */

static void
node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->l);
	node_free(n->r);
	free(n->a.str);
	free(n->b.str);
	free(n);
}

static const char *
tok_text(struct parser *ps, char *buf, size_t n)
{
	if (ps->tok == T_END)
		return "the end";
	snprintf(buf, n, "\"%.*s\"", (int)(ps->len > 40 ? 40 : ps->len), ps->start);
	return buf;
}

static int
operand(struct parser *ps, struct operand *o)
{
	char buf[64];
	size_t i;

	o->col = ps->col;
	o->var = -1;
	switch (ps->tok) {
	case T_NUM:
		o->num = ps->num;
		o->dim = ps->dim;
		next(ps);
		return 0;
	case T_STR:
		o->str = ps->str;
		ps->str = NULL;
		o->dim = DIM_STR;
		next(ps);
		return 0;
	case T_IDENT:
		for (i = 0; i < PS_ARRAY_LEN(vars); i++) {
			if (strlen(vars[i].name) == ps->len &&
			    strncmp(vars[i].name, ps->start, ps->len) == 0) {
				o->var = vars[i].var;
				o->dim = vars[i].dim;
				ps->needs |= (uint32_t)1 << vars[i].var;
				next(ps);
				return 0;
			}
		}
		{
			const char *names[PS_ARRAY_LEN(vars)];
			char word[64];
			const char *dym;
			for (i = 0; i < PS_ARRAY_LEN(vars); i++)
				names[i] = vars[i].name;
			snprintf(word, sizeof(word), "%.*s",
				 (int)(ps->len < 63 ? ps->len : 63), ps->start);
			dym = ps_did_you_mean(word, names, PS_ARRAY_LEN(vars));
			if (dym)
				return perr(ps, ps->col, "unknown variable \"%s\" (did you mean \"%s\"?)",
					    word, dym);
			return perr(ps, ps->col, "unknown variable \"%s\"", word);
		}
	case T_BAD:
		return -1;
	default:
		return perr(ps, ps->col, "expected a variable, a number or a string, got %s",
			    tok_text(ps, buf, sizeof(buf)));
	}
}

static const char *
dim_name(enum dim d)
{
	switch (d) {
	case DIM_TIME: return "a time";
	case DIM_RATIO: return "a ratio";
	case DIM_STR: return "a string";
	default: return "a number";
	}
}

static struct node *parse_or(struct parser *ps);

static struct node *
parse_cmp(struct parser *ps)
{
	struct node *n = ps_xcalloc(1, sizeof(*n));
	char buf[64];
	int opcol;

	n->kind = N_CMP;
	if (operand(ps, &n->a))
		goto bad;
	opcol = ps->col;
	switch (ps->tok) {
	case T_GT: n->op = OP_GT; break;
	case T_GE: n->op = OP_GE; break;
	case T_LT: n->op = OP_LT; break;
	case T_LE: n->op = OP_LE; break;
	case T_EQ: n->op = OP_EQ; break;
	case T_NE: n->op = OP_NE; break;
	case T_BAD: goto bad;
	default:
		perr(ps, ps->col, "expected a comparison (>, >=, <, <=, ==, !=), got %s",
		     tok_text(ps, buf, sizeof(buf)));
		goto bad;
	}
	next(ps);
	if (operand(ps, &n->b))
		goto bad;
	if (n->a.var < 0 && n->b.var < 0) {
		perr(ps, n->a.col, "a comparison needs a variable on one side");
		goto bad;
	}
	if ((n->a.dim == DIM_STR) != (n->b.dim == DIM_STR)) {
		perr(ps, n->b.col, "cannot compare %s with %s", dim_name(n->a.dim),
		     dim_name(n->b.dim));
		goto bad;
	}
	if (n->a.dim == DIM_STR && n->op != OP_EQ && n->op != OP_NE) {
		perr(ps, opcol, "strings compare only with == and !=");
		goto bad;
	}
	if (n->a.dim != DIM_ANY && n->b.dim != DIM_ANY && n->a.dim != n->b.dim) {
		perr(ps, n->b.col, "cannot compare %s with %s", dim_name(n->a.dim),
		     dim_name(n->b.dim));
		goto bad;
	}
	return n;
bad:
	node_free(n);
	return NULL;
}

static struct node *
parse_unary(struct parser *ps)
{
	struct node *n, *inner;
	char buf[64];

	if (++ps->depth > MAX_DEPTH) {
		perr(ps, ps->col, "expression nested too deeply");
		return NULL;
	}
	if (ps->tok == T_NOT) {
		next(ps);
		inner = parse_unary(ps);
		ps->depth--;
		if (!inner)
			return NULL;
		n = ps_xcalloc(1, sizeof(*n));
		n->kind = N_NOT;
		n->l = inner;
		return n;
	}
	if (ps->tok == T_LP) {
		int col = ps->col;
		next(ps);
		inner = parse_or(ps);
		ps->depth--;
		if (!inner)
			return NULL;
		if (ps->tok != T_RP) {
			node_free(inner);
			perr(ps, ps->col, "expected \")\" to close the \"(\" at column %d, got %s",
			     col, tok_text(ps, buf, sizeof(buf)));
			return NULL;
		}
		next(ps);
		return inner;
	}
	ps->depth--;
	return parse_cmp(ps);
}

static struct node *
parse_binary(struct parser *ps, enum tok t, enum nkind k,
	     struct node *(*sub)(struct parser *))
{
	struct node *l = sub(ps), *n, *r;

	while (l && ps->tok == t) {
		next(ps);
		r = sub(ps);
		if (!r) {
			node_free(l);
			return NULL;
		}
		n = ps_xcalloc(1, sizeof(*n));
		n->kind = k;
		n->l = l;
		n->r = r;
		l = n;
	}
	return l;
}

static struct node *
parse_and(struct parser *ps)
{
	return parse_binary(ps, T_AND, N_AND, parse_unary);
}

static struct node *
parse_or(struct parser *ps)
{
	struct node *n;

	if (++ps->depth > MAX_DEPTH) {
		perr(ps, ps->col, "expression nested too deeply");
		return NULL;
	}
	n = parse_binary(ps, T_OR, N_OR, parse_and);
	ps->depth--;
	return n;
}

struct ps_ax *
ps_ax_parse(const char *src, struct ps_error *err)
{
	struct parser ps;
	struct node *root;
	struct ps_ax *e;
	char buf[64];

	memset(&ps, 0, sizeof(ps));
	ps.src = ps.p = src ? src : "";
	ps.err = err;
	next(&ps);
	if (ps.tok == T_END) {
		perr(&ps, 1, "empty condition");
		return NULL;
	}
	root = parse_or(&ps);
	if (root && ps.tok != T_END) {
		if (ps.tok != T_BAD)
			perr(&ps, ps.col, "unexpected %s (expected and, or or the end)",
			     tok_text(&ps, buf, sizeof(buf)));
		node_free(root);
		root = NULL;
	}
	free(ps.str);
	if (!root)
		return NULL;
	e = ps_xcalloc(1, sizeof(*e));
	e->root = root;
	e->needs = ps.needs;
	return e;
}

void
ps_ax_free(struct ps_ax *e)
{
	if (!e)
		return;
	node_free(e->root);
	free(e);
}

uint32_t
ps_ax_needs(const struct ps_ax *e)
{
	return e->needs;
}

/* ---- evaluation ---- */

static double
num_of(const struct operand *o, const struct ps_ax_vals *v)
{
	return o->var >= 0 ? v->num[o->var] : o->num;
}

static const char *
str_of(const struct operand *o, const struct ps_ax_vals *v)
{
	return o->var >= 0 ? v->str[o->var] : o->str;
}

static int
cmp_eval(const struct node *n, const struct ps_ax_vals *v)
{
	if (n->a.dim == DIM_STR) {
		const char *a = str_of(&n->a, v), *b = str_of(&n->b, v);
		int eq;
		if (!a || !b)
			return 0;
		eq = strcmp(a, b) == 0;
		return n->op == OP_EQ ? eq : !eq;
	}
	double a = num_of(&n->a, v), b = num_of(&n->b, v);
	if (isnan(a) || isnan(b))
		return 0;
	switch (n->op) {
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_EQ: return fabs(a - b) <= 1e-12 * (fabs(a) > fabs(b) ? fabs(a) : fabs(b)) || a == b;
	case OP_NE: return !(a == b);
	}
	return 0;
}

static int
eval(const struct node *n, const struct ps_ax_vals *v)
{
	switch (n->kind) {
	case N_OR: return eval(n->l, v) || eval(n->r, v);
	case N_AND: return eval(n->l, v) && eval(n->r, v);
	case N_NOT: return !eval(n->l, v);
	case N_CMP: return cmp_eval(n, v);
	}
	return 0;
}

int
ps_ax_eval(const struct ps_ax *e, const struct ps_ax_vals *v)
{
	return eval(e->root, v);
}

static const struct node *
first_numeric(const struct node *n)
{
	const struct node *f;

	if (!n)
		return NULL;
	if (n->kind == N_CMP)
		return n->a.dim != DIM_STR ? n : NULL;
	f = first_numeric(n->l);
	return f ? f : first_numeric(n->r);
}

double
ps_ax_value(const struct ps_ax *e, const struct ps_ax_vals *v, int *var)
{
	const struct node *n = first_numeric(e->root);

	if (var)
		*var = -1;
	if (!n)
		return NAN;
	const struct operand *o = n->a.var >= 0 ? &n->a : &n->b;
	if (var)
		*var = o->var;
	return v->num[o->var];
}

static const char *
only_check(const struct node *n)
{
	const char *s;

	if (n->kind == N_AND) {
		s = only_check(n->l);
		return s ? s : only_check(n->r);
	}
	if (n->kind == N_CMP && n->op == OP_EQ) {
		if (n->a.var == PS_AX_CHECK && n->b.var < 0)
			return n->b.str;
		if (n->b.var == PS_AX_CHECK && n->a.var < 0)
			return n->a.str;
	}
	return NULL;
}

const char *
ps_ax_only_check(const struct ps_ax *e)
{
	return only_check(e->root);
}
