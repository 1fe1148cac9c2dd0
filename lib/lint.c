/*
 * lint: rule tables, .ps-lint.yml, inline pragmas and file discovery,
 * shared by every linter.
 */
#include "lint.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "util.h"

struct ps_lint_pragma {
	int line;		/* the comment's line */
	char **rules;		/* NULL-terminated */
};

/* ---- string lists ---- */

static size_t
list_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void
list_add(char ***v, const char *s, size_t n)
{
	size_t len = list_len(*v);

	*v = ps_xrealloc(*v, (len + 2) * sizeof(**v));
	(*v)[len] = ps_xstrndup(s, n);
	(*v)[len + 1] = NULL;
}

static void
list_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Split "A, B,C" into the list. */
static void
list_add_csv(char ***v, const char *csv)
{
	const char *p = csv;

	while (*p) {
		const char *e;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		e = p;
		while (*e && *e != ',' && !isspace((unsigned char)*e))
			e++;
		if (e > p)
			list_add(v, p, (size_t)(e - p));
		p = e;
	}
}

static int
list_has_rule(char **v, const struct ps_lint_rule *r)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		if (strcasecmp(v[i], r->code) == 0 ||
		    strcmp(v[i], r->name) == 0 || strcmp(v[i], "all") == 0)
			return 1;
		else if (r->refs) {
			/* A peer's code (DL3008) names the rule too. */
			const char *p = r->refs;
			size_t n = strlen(v[i]);

			while ((p = strstr(p, v[i])) != NULL) {
				int start = p == r->refs || p[-1] == ' ' || p[-1] == ':';
				int end = p[n] == '\0' || p[n] == ' ';

				if (start && end)
					return 1;
				p += n;
			}
		}
	return 0;
}

/* ---- configuration ---- */

static void
read_rule_list(struct ps_cfgck *ck, const struct ps_node *map,
	       const char *key, char ***out)
{
	const char *const *v;
	size_t n, i;

	if (ps_cfg_strlist(ck, map, key, 0, &v, &n) == 1)
		for (i = 0; i < n; i++)
			list_add(out, v[i], strlen(v[i]));
}

static void
read_level(struct ps_lint_conf *conf, struct ps_cfgck *ck,
	   const struct ps_node *map)
{
	static const char *const levels[] = {
		"style", "info", "warning", "error", "none", "never", NULL
	};
	static const enum ps_severity sev[] = {
		PS_SEV_STYLE, PS_SEV_INFO, PS_SEV_WARNING, PS_SEV_ERROR,
		PS_SEV_NONE, PS_SEV_NONE,
	};
	const struct ps_node *ov;
	int idx;
	size_t i;

	read_rule_list(ck, map, "ignored", &conf->ignored);
	read_rule_list(ck, map, "enabled", &conf->enabled);
	if (ps_cfg_enum(ck, map, "failure-threshold", 0, levels, &idx) == 1) {
		conf->has_threshold = 1;
		conf->threshold = sev[idx];
	}
	if (ps_cfg_map(ck, map, "override", 0, &ov) != 1)
		return;
	for (i = 0; i < ov->len; i++) {
		const struct ps_pair *p = &ov->pairs[i];
		const char *level = p->key->value ? p->key->value : "";
		char **rules = NULL;
		size_t k, j;

		for (k = 0; levels[k]; k++)
			if (strcmp(levels[k], level) == 0)
				break;
		if (!levels[k] || k >= 4) {
			ps_cfg_error(ck, p->key,
				     "override: expected error, warning, info or style, got \"%s\"",
				     level);
			continue;
		}
		read_rule_list(ck, ov, level, &rules);
		for (j = 0; rules && rules[j]; j++) {
			conf->overrides = ps_xrealloc(conf->overrides,
				(conf->noverrides + 1) * sizeof(*conf->overrides));
			conf->overrides[conf->noverrides].rule = rules[j];
			conf->overrides[conf->noverrides].severity = sev[k];
			conf->noverrides++;
		}
		free(rules);
	}
}

static char *
find_upward(const char *start_dir, const char *const *names)
{
	char dir[PATH_MAX];
	size_t i;

	if (!realpath(start_dir && *start_dir ? start_dir : ".", dir))
		return NULL;
	for (;;) {
		char *slash;

		for (i = 0; names && names[i]; i++) {
			char *p = ps_xasprintf("%s/%s", strcmp(dir, "/") ? dir : "",
					       names[i]);
			struct stat st;

			if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
				return p;
			free(p);
		}
		if (strcmp(dir, "/") == 0)
			return NULL;
		slash = strrchr(dir, '/');
		if (slash == dir)
			dir[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			return NULL;
	}
}

int
ps_lint_conf_load(struct ps_lint_conf *conf, const char *path,
		  const char *start_dir, const char *const *names,
		  const char *section, struct ps_diags *errs)
{
	struct ps_cfgck ck = {0};
	const struct ps_node *root, *sec = NULL;
	size_t before = ps_diags_count(errs, PS_SEV_ERROR);

	memset(conf, 0, sizeof(*conf));
	conf->path = path ? ps_xstrdup(path) : find_upward(start_dir, names);
	if (!conf->path)
		return 0;
	conf->doc = ps_doc_load(conf->path, errs);
	if (!conf->doc)
		return -1;
	root = ps_doc_root(conf->doc);
	if (!root || ps_node_is_null(root))
		return 0;
	ck.doc = conf->doc;
	ck.diags = errs;
	if (root->kind != PS_NODE_MAP) {
		ps_cfg_error(&ck, root, "expected a mapping of settings, got a %s",
			     ps_node_kind_name(root));
		return -1;
	}
	read_level(conf, &ck, root);
	if (section && ps_cfg_map(&ck, root, section, 0, &sec) == 1) {
		conf->section = sec;
		read_level(conf, &ck, sec);
	}
	return ps_diags_count(errs, PS_SEV_ERROR) > before ? -1 : 0;
}

void
ps_lint_conf_free(struct ps_lint_conf *conf)
{
	size_t i;

	free(conf->path);
	list_free(conf->ignored);
	list_free(conf->enabled);
	for (i = 0; i < conf->noverrides; i++)
		free(conf->overrides[i].rule);
	free(conf->overrides);
	if (conf->doc)
		ps_doc_free(conf->doc);
	memset(conf, 0, sizeof(*conf));
}

void
ps_lint_conf_ignore(struct ps_lint_conf *conf, const char *rules_csv)
{
	list_add_csv(&conf->ignored, rules_csv);
}

void
ps_lint_conf_enable(struct ps_lint_conf *conf, const char *rules_csv)
{
	list_add_csv(&conf->enabled, rules_csv);
}

const struct ps_lint_rule *
ps_lint_rule_find(const struct ps_lint_rule *rules, size_t n,
		  const char *code_or_name)
{
	size_t i, len = strlen(code_or_name), num = 0, d;

	/* A code as written in the table ("PSW022") is most often its
	 * number's entry: try that before comparing with every rule. */
	for (d = len; d > 0 && isdigit((unsigned char)code_or_name[d - 1]) &&
	     len - d < 6; d--)
		;
	if (d < len && d > 0) {
		for (i = d; i < len; i++)
			num = num * 10 + (size_t)(code_or_name[i] - '0');
		if (num >= 1 && num <= n && strcmp(rules[num - 1].code, code_or_name) == 0)
			return &rules[num - 1];
	}
	for (i = 0; i < n; i++)
		if (strcasecmp(rules[i].code, code_or_name) == 0 ||
		    strcmp(rules[i].name, code_or_name) == 0)
			return &rules[i];
	return NULL;
}

/* ---- pragmas ---- */

static void
index_lines(struct ps_lint_ctx *ctx)
{
	size_t cap = 0;
	const char *p = ctx->text, *end = ctx->text + ctx->text_len, *nl;

	ctx->nlines = 0;
	ps_xgrow(&ctx->line_starts, &cap, 64, sizeof(size_t));
	ctx->line_starts[ctx->nlines++] = 0;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL &&
	       nl + 1 < end) {
		ps_xgrow(&ctx->line_starts, &cap, ctx->nlines + 1,
			 sizeof(size_t));
		ctx->line_starts[ctx->nlines++] = (size_t)(nl + 1 - ctx->text);
		p = nl + 1;
	}
}

const char *
ps_lint_line(const struct ps_lint_ctx *ctx, int line, size_t *len)
{
	size_t s, e;

	if (!ctx->text || line < 1 || (size_t)line > ctx->nlines) {
		*len = 0;
		return "";
	}
	s = ctx->line_starts[line - 1];
	/* every line but the last ends where the next one starts; the last
	 * one at the end of the text, or at its final newline */
	if ((size_t)line < ctx->nlines)
		e = ctx->line_starts[line] - 1;
	else if (ctx->text_len > s && ctx->text[ctx->text_len - 1] == '\n')
		e = ctx->text_len - 1;
	else
		e = ctx->text_len;
	if (e > s && ctx->text[e - 1] == '\r')
		e--;
	*len = e - s;
	return ctx->text + s;
}

void
ps_lint_add_pragma(struct ps_lint_ctx *ctx, int line, int global,
		   const char *rules_csv)
{
	if (global) {
		list_add_csv(&ctx->global_ignored, rules_csv);
		return;
	}
	ps_xgrow(&ctx->pragmas, &ctx->cap, ctx->npragmas + 1,
		 sizeof(*ctx->pragmas));
	ctx->pragmas[ctx->npragmas].line = line;
	ctx->pragmas[ctx->npragmas].rules = NULL;
	list_add_csv(&ctx->pragmas[ctx->npragmas].rules, rules_csv);
	ctx->npragmas++;
}

/*
 * A pragma comment: '#', spaces, a prefix word, spaces, optional "global",
 * "ignore=" and the rules up to " -- reason" or the end of the line.
 */
static void
scan_comment(struct ps_lint_ctx *ctx, const char *p, size_t n, int line,
	     const char *const *prefixes)
{
	size_t i;
	const char *end = p + n;

	while (p < end && (*p == '#' || isspace((unsigned char)*p)))
		p++;
	for (i = 0; prefixes && prefixes[i]; i++) {
		size_t m = strlen(prefixes[i]);
		int global = 0;
		const char *q;
		char *rules;

		if ((size_t)(end - p) <= m || strncmp(p, prefixes[i], m) != 0 ||
		    !(isspace((unsigned char)p[m]) || p[m] == ':'))
			continue;
		q = p + m + 1;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if ((size_t)(end - q) > 7 && strncmp(q, "global", 6) == 0 &&
		    isspace((unsigned char)q[6])) {
			global = 1;
			q += 7;
			while (q < end && isspace((unsigned char)*q))
				q++;
		}
		if ((size_t)(end - q) < 7 || strncmp(q, "ignore=", 7) != 0)
			return;
		q += 7;
		{
			const char *r = q;

			while (r < end && !(r + 1 < end && r[0] == '-' &&
					    r[1] == '-' && (r == q || isspace((unsigned char)r[-1]))))
				r++;
			rules = ps_xstrndup(q, (size_t)(r - q));
		}
		ps_lint_add_pragma(ctx, line, global, rules);
		free(rules);
		return;
	}
}

void
ps_lint_begin(struct ps_lint_ctx *ctx, const char *const *prefixes)
{
	const char *p, *end, *hash;
	size_t li = 0;

	ctx->pragmas = NULL;
	ctx->npragmas = ctx->cap = 0;
	ctx->global_ignored = NULL;
	ctx->line_starts = NULL;
	ctx->nlines = 0;
	if (!ctx->text)
		return;
	index_lines(ctx);
	/* The first '#' of each line that has one: only whole-line comments
	 * and trailing comments that follow white space carry pragmas. */
	p = ctx->text;
	end = ctx->text + ctx->text_len;
	while (p < end && (hash = memchr(p, '#', (size_t)(end - p))) != NULL) {
		size_t off = (size_t)(hash - ctx->text), len;
		const char *l;

		while (li + 1 < ctx->nlines && ctx->line_starts[li + 1] <= off)
			li++;
		l = ps_lint_line(ctx, (int)li + 1, &len);
		if (hash == l || isspace((unsigned char)hash[-1]))
			scan_comment(ctx, hash, len - (size_t)(hash - l),
				     (int)li + 1, prefixes);
		p = li + 1 < ctx->nlines ? ctx->text + ctx->line_starts[li + 1] : end;
	}
}

void
ps_lint_end(struct ps_lint_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->npragmas; i++)
		list_free(ctx->pragmas[i].rules);
	free(ctx->pragmas);
	list_free(ctx->global_ignored);
	free(ctx->line_starts);
	ctx->pragmas = NULL;
	ctx->global_ignored = NULL;
	ctx->line_starts = NULL;
	ctx->npragmas = ctx->cap = ctx->nlines = 0;
}

/* Whether the line is blank or a whole-line comment. */
static int
is_comment_line(const struct ps_lint_ctx *ctx, int line)
{
	size_t len, i;
	const char *l = ps_lint_line(ctx, line, &len);

	for (i = 0; i < len && isspace((unsigned char)l[i]); i++)
		;
	return i < len && l[i] == '#';
}

static int
suppressed(const struct ps_lint_ctx *ctx, const struct ps_lint_rule *r,
	   int line)
{
	size_t i;

	if (list_has_rule(ctx->global_ignored, r))
		return 1;
	for (i = 0; i < ctx->npragmas; i++) {
		int pl = ctx->pragmas[i].line, l;

		if (!list_has_rule(ctx->pragmas[i].rules, r))
			continue;
		if (pl == line)
			return 1;
		/* The pragma is in the block of comment lines right above. */
		if (pl < line) {
			for (l = line - 1; l > pl && is_comment_line(ctx, l); l--)
				;
			if (l == pl)
				return 1;
		}
	}
	return 0;
}

int
ps_lint_enabled(const struct ps_lint_ctx *ctx, const struct ps_lint_rule *r)
{
	const struct ps_lint_conf *c = ctx->conf;

	if (c && list_has_rule(c->ignored, r))
		return 0;
	if (r->off_by_default)
		return c && list_has_rule(c->enabled, r);
	return 1;
}

struct ps_finding *
ps_lint_report(struct ps_lint_ctx *ctx, const char *code, int line, int col,
	       const char *fmt, ...)
{
	const struct ps_lint_rule *r = ps_lint_rule_find(ctx->rules,
							 ctx->nrules, code);
	enum ps_severity sev;
	struct ps_finding *f;
	struct ps_buf msg = {0};
	va_list ap;
	size_t i, len;
	const char *text;

	if (!r || !ps_lint_enabled(ctx, r) || suppressed(ctx, r, line))
		return NULL;
	sev = r->severity;
	for (i = 0; ctx->conf && i < ctx->conf->noverrides; i++) {
		const char *o = ctx->conf->overrides[i].rule;

		if (strcasecmp(o, r->code) == 0 || strcmp(o, r->name) == 0)
			sev = ctx->conf->overrides[i].severity;
	}
	if (sev == PS_SEV_NONE)
		return NULL;
	va_start(ap, fmt);
	ps_buf_addvf(&msg, fmt, ap);
	va_end(ap);
	f = ps_diags_add(ctx->out, ctx->tool, r->code, r->name, sev, ctx->file,
			 line, col, "%s", ps_buf_str(&msg));
	ps_buf_free(&msg);
	if (r->refs) {
		const char *p = r->refs;

		while (*p) {
			const char *e = strchr(p, ' ');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char *ref = ps_xstrndup(p, n);

			ps_finding_add_ref(f, ref);
			free(ref);
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	/* The snippet feeds the fingerprint and is printed in some formats:
	 * never with a secret in it. */
	text = ps_lint_line(ctx, line, &len);
	if (len) {
		char *raw = ps_xstrndup(text, len), *red = ps_redact(raw);

		ps_finding_set_snippet(f, red, strlen(red));
		free(raw);
		free(red);
	}
	if (r->summary && !f->help)
		f->help = ps_xstrdup(r->summary);
	return f;
}

/* ---- the YAML rule framework ---- */

#define WALK_MAX_DEPTH 64

/* A visit's pattern split into its segments. */
struct walk_pat {
	char **seg;
	size_t n;
	int globstar;		/* the pattern has "**" */
	int all;		/* the pattern is "**": every node */
};

/*
 * The walk keeps, for each depth, the visits whose pattern still matches
 * the path so far (in the order of the visits, the order their checks are
 * called in); a subtree no visit can match is not entered.
 */
struct walk_state {
	const struct ps_lint_visit *v;
	size_t n;
	void *ctx;
	struct walk_pat *pat;
	size_t *live;				/* WALK_MAX_DEPTH rows of n */
	const char *seg[WALK_MAX_DEPTH];	/* the path to the current node */
	char idx[WALK_MAX_DEPTH][24];		/* sequence indexes as text */
};

static int
is_star(const char *s)
{
	return s[0] == '*' && s[1] == '\0';
}

static int
is_globstar(const char *s)
{
	return s[0] == '*' && s[1] == '*' && s[2] == '\0';
}

/* Match pattern segments pat[0..np) against path seg[0..ns); collect the
 * segments that wildcards matched into caps. */
static int
match_path(char **pat, size_t np, const char *const *seg, size_t ns,
	   const char **caps, size_t *ncaps)
{
	size_t saved = *ncaps, k;

	if (np == 0)
		return ns == 0;
	if (is_globstar(pat[0])) {
		for (k = 0; k <= ns; k++) {
			*ncaps = saved;
			if (match_path(pat + 1, np - 1, seg + k, ns - k, caps, ncaps))
				return 1;
		}
		*ncaps = saved;
		return 0;
	}
	if (ns == 0)
		return 0;
	if (is_star(pat[0])) {
		if (*ncaps < 15)
			caps[(*ncaps)++] = seg[0];
	} else if (strcmp(pat[0], seg[0]) != 0) {
		return 0;
	}
	if (match_path(pat + 1, np - 1, seg + 1, ns - 1, caps, ncaps))
		return 1;
	*ncaps = saved;
	return 0;
}

/* i as decimal text in out (at least 21 bytes) */
static const char *
index_text(char *out, size_t i)
{
	char tmp[24];
	size_t n = 0, k;

	do {
		tmp[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	for (k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	out[n] = '\0';
	return out;
}

/* Call the checks of the live visits that match the node at depth. */
static void
walk_checks(struct walk_state *w, const struct ps_node *node,
	    const struct ps_node *key, size_t depth, const size_t *live,
	    size_t nlive)
{
	size_t k, j;

	for (k = 0; k < nlive; k++) {
		const struct walk_pat *p = &w->pat[live[k]];
		const char *caps[16];
		size_t nc = 0;

		if (p->all) {
			/* "**" matches every path and captures nothing */
		} else if (p->globstar) {
			if (!match_path(p->seg, p->n, w->seg, depth, caps, &nc))
				continue;
		} else if (p->n == depth) {
			/* the segments matched on the way down */
			for (j = 0; j < p->n; j++)
				if (is_star(p->seg[j]) && nc < 15)
					caps[nc++] = w->seg[j];
		} else {
			continue;
		}
		caps[nc] = NULL;
		w->v[live[k]].check(w->ctx, w->v[live[k]].data, node, key, caps);
	}
}

/* The visits of live that can still match below the path segment at depth. */
static size_t
walk_narrow(struct walk_state *w, size_t depth, const size_t *live,
	    size_t nlive, size_t *next)
{
	const char *seg = w->seg[depth];
	size_t k, n = 0;

	for (k = 0; k < nlive; k++) {
		const struct walk_pat *p = &w->pat[live[k]];

		if (p->globstar || (p->n > depth && (is_star(p->seg[depth]) ||
						      strcmp(p->seg[depth], seg) == 0)))
			next[n++] = live[k];
	}
	return n;
}

static void
walk_node(struct walk_state *w, const struct ps_node *node,
	  const struct ps_node *key, size_t depth, const size_t *live,
	  size_t nlive)
{
	size_t *next, nnext, i;

	walk_checks(w, node, key, depth, live, nlive);
	if (!node || depth + 1 >= WALK_MAX_DEPTH)
		return;
	next = w->live + (depth + 1) * w->n;
	if (node->kind == PS_NODE_MAP) {
		for (i = 0; i < node->len; i++) {
			const struct ps_pair *p = &node->pairs[i];

			if (p->merged || !p->key || p->key->kind != PS_NODE_SCALAR)
				continue;
			w->seg[depth] = p->key->value;
			nnext = walk_narrow(w, depth, live, nlive, next);
			if (nnext)
				walk_node(w, p->value, p->key, depth + 1, next, nnext);
		}
	} else if (node->kind == PS_NODE_SEQ) {
		for (i = 0; i < node->len; i++) {
			w->seg[depth] = index_text(w->idx[depth], i);
			nnext = walk_narrow(w, depth, live, nlive, next);
			if (nnext)
				walk_node(w, node->items[i], NULL, depth + 1, next,
					  nnext);
		}
	}
}

void
ps_lint_walk(const struct ps_node *root, const struct ps_lint_visit *v,
	     size_t n, void *ctx)
{
	struct walk_state w;
	size_t i, nseg = 0, nchar = 0;
	char *text, **segs, *text0, **segs0;

	if (!root || n == 0)
		return;
	for (i = 0; i < n; i++) {
		const char *c;

		nchar += strlen(v[i].pattern) + 1;
		nseg++;
		for (c = v[i].pattern; *c; c++)
			nseg += *c == '.';
	}
	memset(&w, 0, sizeof(w));
	w.v = v;
	w.n = n;
	w.ctx = ctx;
	w.pat = ps_xmalloc(n * sizeof(*w.pat));
	w.live = ps_xmalloc(WALK_MAX_DEPTH * n * sizeof(*w.live));
	segs = segs0 = ps_xmalloc(nseg * sizeof(*segs));
	text = text0 = ps_xmalloc(nchar);
	for (i = 0; i < n; i++) {
		struct walk_pat *p = &w.pat[i];
		size_t len = strlen(v[i].pattern), k;
		char *s = text;

		memcpy(s, v[i].pattern, len + 1);
		text += len + 1;
		p->seg = segs;
		p->n = 0;
		/* "" matches the root only; "a.b" splits at each dot (at most
		 * WALK_MAX_DEPTH segments) */
		while (*s && p->n < WALK_MAX_DEPTH) {
			char *dot = strchr(s, '.');

			p->seg[p->n++] = s;
			if (!dot)
				break;
			*dot = '\0';
			s = dot + 1;
		}
		segs += p->n;
		p->globstar = 0;
		for (k = 0; k < p->n; k++)
			if (is_globstar(p->seg[k]))
				p->globstar = 1;
		p->all = p->n == 1 && p->globstar;
		w.live[i] = i;
	}
	walk_node(&w, root, NULL, 0, w.live, n);
	free(segs0);
	free(text0);
	free(w.pat);
	free(w.live);
}

/* ---- files ---- */

static int
skip_dir(const char *name, const char *const *keep)
{
	size_t i;

	for (i = 0; keep && keep[i]; i++)
		if (strcmp(name, keep[i]) == 0)
			return 0;
	return name[0] == '.' || strcmp(name, "node_modules") == 0 ||
	       strcmp(name, "vendor") == 0;
}

/* Add a path; size is the regular file's size or -1. */
static void
files_add(struct ps_lint_files *f, char *path, long long size)
{
	size_t cap = f->cap;

	ps_xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	if (!f->size || f->cap != cap) {
		f->size = ps_xrealloc(f->size, f->cap * sizeof(*f->size));
		/* entries added by other means have no size */
		while (f->nsize < f->n)
			f->size[f->nsize++] = -1;
	}
	f->size[f->n] = size;
	f->v[f->n++] = path;
	f->nsize = f->n;
}

static long long
reg_size(const struct stat *st)
{
	return S_ISREG(st->st_mode) ? (long long)st->st_size : -1;
}

struct sized {
	char *path;
	long long size;
};

static int
cmp_sized(const void *a, const void *b)
{
	return strcmp(((const struct sized *)a)->path,
		      ((const struct sized *)b)->path);
}

/* Sort files [first, n) by path, keeping each one's size. */
static void
sort_files(struct ps_lint_files *f, size_t first)
{
	size_t n = f->n - first, i;
	struct sized *t;

	if (n < 2)
		return;
	t = ps_xmalloc(n * sizeof(*t));
	for (i = 0; i < n; i++) {
		t[i].path = f->v[first + i];
		t[i].size = f->size[first + i];
	}
	qsort(t, n, sizeof(*t), cmp_sized);
	for (i = 0; i < n; i++) {
		f->v[first + i] = t[i].path;
		f->size[first + i] = t[i].size;
	}
	free(t);
}

static void
walk(struct ps_lint_files *files, const char *root, const char *rel,
     int (*match)(const char *, const char *), const char *const *keep,
     int depth)
{
	char *dir = *rel ? ps_xasprintf("%s/%s", root, rel) : ps_xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = files->n;

	if (!d || depth > 64) {
		if (d)
			closedir(d);
		free(dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *r, *full;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = *rel ? ps_xasprintf("%s/%s", rel, e->d_name) :
			   ps_xstrdup(e->d_name);
		full = ps_xasprintf("%s/%s", dir, e->d_name);
		if (lstat(full, &st) != 0) {
			free(full);
		} else if (S_ISDIR(st.st_mode)) {
			if (!skip_dir(e->d_name, keep))
				walk(files, root, r, match, keep, depth + 1);
			free(full);
		} else if (S_ISREG(st.st_mode) && match(r, e->d_name)) {
			files_add(files, full, reg_size(&st));
		} else {
			free(full);
		}
		free(r);
	}
	closedir(d);
	free(dir);
	sort_files(files, first);
}

/* ps_lint_collect once the operand's stat is known (e: its errno, or 0). */
static int
collect_stat(struct ps_lint_files *files, const char *operand,
	     const struct stat *st, int e,
	     int (*match)(const char *relpath, const char *base),
	     const char *const *keep_dirs, struct ps_error *err)
{
	size_t len;
	char *root;

	if (strcmp(operand, "-") == 0) {
		files_add(files, ps_xstrdup("-"), -1);
		return 0;
	}
	if (e)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s",
				    operand, strerror(e));
	if (!S_ISDIR(st->st_mode)) {
		files_add(files, ps_xstrdup(operand), reg_size(st));
		return 0;
	}
	root = ps_xstrdup(operand);
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		root[--len] = '\0';
	walk(files, root, "", match, keep_dirs, 0);
	free(root);
	return 0;
}

int
ps_lint_collect(struct ps_lint_files *files, const char *operand,
		int (*match)(const char *relpath, const char *base),
		const char *const *keep_dirs, struct ps_error *err)
{
	struct stat st;
	int e = 0;

	if (strcmp(operand, "-") != 0 && stat(operand, &st) != 0)
		e = errno;
	return collect_stat(files, operand, &st, e, match, keep_dirs, err);
}

/* The stat of many operands, taken on two threads (a shell glob of a
 * whole corpus is hundreds of paths; each stat is a path walk). */
struct operand_stats {
	char **operands;
	struct stat *st;
	int *err;
	size_t from, to;
};

static void *
stat_operands(void *arg)
{
	struct operand_stats *os = arg;
	size_t i;

	for (i = os->from; i < os->to; i++)
		if (strcmp(os->operands[i], "-") != 0 &&
		    stat(os->operands[i], &os->st[i]) != 0)
			os->err[i] = errno;
	return NULL;
}

void
ps_lint_files_free(struct ps_lint_files *files)
{
	size_t i;

	for (i = 0; i < files->n; i++)
		free(files->v[i]);
	free(files->v);
	free(files->size);
	memset(files, 0, sizeof(*files));
}

void
ps_lint_print_rules(FILE *out, const struct ps_lint_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(out, "%-8s %-8s %-32s %s%s\n", rules[i].code,
			ps_severity_name(rules[i].severity), rules[i].name,
			rules[i].summary ? rules[i].summary : "",
			rules[i].off_by_default ? " (off by default)" : "");
}

/* ---- the driver ---- */

/* The configuration of each directory, loaded once. */
struct conf_cache {
	char **dirs;
	struct ps_lint_conf **confs;
	int *status;			/* 0, or 2 for a bad configuration */
	struct ps_diags *errs;		/* its problems, reported with the first file */
	size_t n, cap;
	pthread_mutex_t lock;
};

static const struct ps_lint_conf *
conf_for(struct conf_cache *cc, const struct ps_lint_tool *t,
	 const struct ps_lint_run_opts *o, const char *path,
	 struct ps_diags *diags, int *status)
{
	static const char *const conf_names[] = {
		".ps-lint.yml", ".ps-lint.yaml", NULL
	};
	char *copy = ps_xstrdup(strcmp(path, "-") ? path : "./-");
	const char *dir = o->config ? "" : dirname(copy);
	struct ps_lint_conf *conf = NULL;
	size_t i, j;

	pthread_mutex_lock(&cc->lock);
	for (i = 0; i < cc->n; i++)
		if (strcmp(cc->dirs[i], dir) == 0)
			break;
	if (i == cc->n) {
		size_t c1 = cc->cap, c2 = cc->cap, c3 = cc->cap;

		ps_xgrow(&cc->dirs, &c1, cc->n + 1, sizeof(*cc->dirs));
		ps_xgrow(&cc->confs, &c2, cc->n + 1, sizeof(*cc->confs));
		ps_xgrow(&cc->status, &c3, cc->n + 1, sizeof(*cc->status));
		ps_xgrow(&cc->errs, &cc->cap, cc->n + 1, sizeof(*cc->errs));
		conf = ps_xcalloc(1, sizeof(*conf));
		memset(&cc->errs[i], 0, sizeof(cc->errs[i]));
		cc->status[i] = ps_lint_conf_load(conf, o->config, dir, conf_names,
						  t->section, &cc->errs[i]) < 0 ?
				PS_EXIT_USAGE : 0;
		if (o->ignore)
			ps_lint_conf_ignore(conf, o->ignore);
		if (o->enable)
			ps_lint_conf_enable(conf, o->enable);
		cc->dirs[i] = ps_xstrdup(dir);
		cc->confs[i] = conf;
		cc->n++;
		/* A bad configuration is reported once, with the first file. */
		for (j = 0; j < cc->errs[i].len; j++) {
			ps_diags_push(diags, cc->errs[i].v[j]);
			cc->errs[i].v[j] = NULL;
		}
		cc->errs[i].len = 0;
	}
	conf = cc->confs[i];
	*status = cc->status[i];
	pthread_mutex_unlock(&cc->lock);
	free(copy);
	return conf;
}

static void
conf_cache_free(struct conf_cache *cc)
{
	size_t i;

	for (i = 0; i < cc->n; i++) {
		free(cc->dirs[i]);
		ps_lint_conf_free(cc->confs[i]);
		free(cc->confs[i]);
		ps_diags_free(&cc->errs[i]);
	}
	free(cc->dirs);
	free(cc->confs);
	free(cc->status);
	free(cc->errs);
}

/*
 * Read a file whole, as ps_read_file does, in fewer system calls (they
 * cost more than the linting on small files): a regular file is read in
 * one piece of its size, and a read that stops there is its end. size is
 * the size collect saw (-1: unknown, ask fstat); a file that changed since
 * is still read to its end.
 */
static int
read_text(const char *path, long long size, struct ps_buf *out,
	  struct ps_error *err)
{
	struct stat st;
	size_t cap, len = 0;
	char *data;
	int fd, e;

	if (strcmp(path, "-") == 0)
		return ps_read_file(path, out, err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s",
				    path, strerror(errno));
	if (size < 0) {
		if (fstat(fd, &st) < 0) {
			e = errno;
			close(fd);
			return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s",
					    path, strerror(e));
		}
		size = reg_size(&st);
	}
	cap = size > 0 && size < (1 << 30) ? (size_t)size + 1 : 65536;
	data = ps_xmalloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			cap *= 2;
			data = ps_xrealloc(data, cap + 1);
		}
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(data);
			close(fd);
			return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s",
					    path, strerror(e));
		}
		len += (size_t)n;
		/* the end: nothing more, or a regular file read to its size */
		if (n == 0 || (size >= 0 && len == (size_t)size && len < cap))
			break;
	}
	close(fd);
	data[len] = '\0';
	ps_buf_free(out);
	out->data = data;
	out->len = len;
	out->cap = cap + 1;
	return 0;
}

static int
lint_one(const struct ps_lint_tool *t, const char *path, long long size,
	 const struct ps_lint_run_opts *o, struct conf_cache *cc,
	 struct ps_diags *diags)
{
	struct ps_buf text = {0};
	struct ps_error err = {0};
	const struct ps_lint_conf *conf;
	struct ps_lint_ctx ctx = {0};
	struct ps_doc *doc;
	int status = 0;
	size_t i;

	if (read_text(path, size, &text, &err) < 0) {
		ps_diags_add(diags, t->name, "io", "unreadable", PS_SEV_ERROR,
			     path, 0, 0, "%s", err.msg);
		return PS_EXIT_USAGE;
	}
	conf = conf_for(cc, t, o, path, diags, &status);
	doc = ps_doc_load_mem(path, text.data, text.len, diags);
	if (!doc) {
		status = PS_EXIT_USAGE;
	} else {
		ctx.tool = t->name;
		ctx.file = path;
		ctx.rules = t->rules;
		ctx.nrules = t->nrules;
		ctx.conf = conf;
		ctx.text = text.data;
		ctx.text_len = text.len;
		ctx.out = diags;
		ps_lint_begin(&ctx, t->prefixes);
		t->check(&ctx, doc, t->arg);
		ps_lint_end(&ctx);
		ps_doc_free(doc);
	}
	ps_diags_sort(diags);
	/* Fingerprints here, on the worker, not on the thread that renders. */
	for (i = 0; i < diags->len; i++)
		ps_finding_fingerprint(diags->v[i]);
	ps_buf_free(&text);
	return status;
}

/*
 * A file's findings as the renderer's bytes (ps_render_put), written by
 * the worker that linted the file, so that the thread writing the output
 * only counts them and copies bytes.
 */
struct put_item {
	size_t off, len;		/* in put_file.bytes */
	enum ps_severity sev;
	const char *tool, *file;	/* the tool's name, the file's path, or owned */
	int owned;			/* tool and file were copied */
};

struct put_file {
	struct ps_buf bytes;
	struct put_item *v;
	size_t n;
};

/*
 * Files are linted by two threads (this machine's cores): the calling
 * thread and one worker. The calling thread also writes the output, in
 * the files' order: after each file it lints it writes the files done so
 * far, so that neither thread sleeps until no file is left to take.
 */
struct run_state {
	const struct ps_lint_tool *t;
	const struct ps_lint_files *files;
	const struct ps_lint_run_opts *o;
	struct conf_cache cc;
	const struct ps_render *rend;	/* when apart: the workers render */
	struct put_file *put;		/* one per file, when apart */
	struct ps_diags *diags;		/* one list per file */
	int *status;
	unsigned char *done;
	size_t next;			/* the next file to take */
	int waiting;			/* the writer waits for a file */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Render file k's findings to bytes and free them (on the worker). */
static void
put_findings(struct run_state *rs, size_t k)
{
	struct ps_diags *d = &rs->diags[k];
	struct put_file *pf = &rs->put[k];
	const char *path = rs->files->v[k];
	size_t i;

	pf->v = ps_xcalloc(d->len + 1, sizeof(*pf->v));
	for (i = 0; i < d->len; i++) {
		struct ps_finding *f = d->v[i];
		struct put_item *it = &pf->v[pf->n++];

		it->off = pf->bytes.len;
		ps_render_put(rs->rend, &pf->bytes, f);
		it->len = pf->bytes.len - it->off;
		it->sev = f->severity;
		if ((!f->tool || strcmp(f->tool, rs->t->name) == 0) &&
		    (!f->file || strcmp(f->file, path) == 0)) {
			it->tool = f->tool ? rs->t->name : NULL;
			it->file = f->file ? path : NULL;
		} else {
			it->tool = f->tool ? ps_xstrdup(f->tool) : NULL;
			it->file = f->file ? ps_xstrdup(f->file) : NULL;
			it->owned = 1;
		}
	}
	ps_diags_free(d);
}

static void
put_file_free(struct put_file *pf)
{
	size_t i;

	for (i = 0; i < pf->n; i++)
		if (pf->v[i].owned) {
			free((char *)pf->v[i].tool);
			free((char *)pf->v[i].file);
		}
	free(pf->v);
	ps_buf_free(&pf->bytes);
}

/* Lint the next file nobody took yet; 0 when none is left. */
static int
lint_next(struct run_state *rs)
{
	size_t k;
	int st;

	pthread_mutex_lock(&rs->lock);
	k = rs->next < rs->files->n ? rs->next++ : rs->files->n;
	pthread_mutex_unlock(&rs->lock);
	if (k >= rs->files->n)
		return 0;
	st = lint_one(rs->t, rs->files->v[k],
		      rs->files->size && k < rs->files->nsize ?
		      rs->files->size[k] : -1,
		      rs->o, &rs->cc, &rs->diags[k]);
	if (rs->put)
		put_findings(rs, k);
	pthread_mutex_lock(&rs->lock);
	rs->status[k] = st;
	rs->done[k] = 1;
	if (rs->waiting)
		pthread_cond_signal(&rs->cond);
	pthread_mutex_unlock(&rs->lock);
	return 1;
}

static void *
worker(void *arg)
{
	while (lint_next(arg))
		;
	ps_render_thread_release();
	return NULL;
}

/* Write file k's findings (on the calling thread); rendered findings are
 * collected in pending and written in large pieces (flush_pending). */
static void
write_file(struct run_state *rs, struct ps_render *rend, size_t k,
	   struct ps_buf *pending)
{
	size_t j;

	for (j = 0; j < rs->diags[k].len; j++)
		ps_render_finding(rend, rs->diags[k].v[j]);
	ps_diags_free(&rs->diags[k]);
	if (rs->put) {
		struct put_file *pf = &rs->put[k];

		for (j = 0; j < pf->n; j++)
			if (ps_render_take(rend, pf->v[j].tool, pf->v[j].file,
					   pf->v[j].sev))
				ps_buf_add(pending, ps_buf_str(&pf->bytes) + pf->v[j].off,
					   pf->v[j].len);
		put_file_free(pf);
	}
}

/* Write what is pending when there is enough of it (a system call per
 * 64 KB rather than per stdio buffer), at the end (all), or at once on a
 * line-buffered stream (a terminal: each file's findings as it is done). */
static void
flush_pending(struct ps_buf *pending, FILE *out, int all)
{
	if (!pending->len || (!all && pending->len < (64u << 10) && !__flbf(out)))
		return;
	fwrite(pending->data, 1, pending->len, out);
	ps_buf_reset(pending);
}

int
ps_lint_run(const struct ps_lint_tool *t, const struct ps_lint_files *files,
	    const struct ps_lint_run_opts *o, FILE *out)
{
	struct ps_render *rend = ps_render_open(out, &o->render);
	struct run_state rs;
	pthread_t thread;
	struct ps_buf pending = {0};
	size_t k, written = 0;
	int worst = 0, status, threaded = 0;

	memset(&rs, 0, sizeof(rs));
	rs.t = t;
	rs.files = files;
	rs.o = o;
	rs.diags = ps_xcalloc(files->n + 1, sizeof(*rs.diags));
	rs.status = ps_xcalloc(files->n + 1, sizeof(*rs.status));
	rs.done = ps_xcalloc(files->n + 1, 1);
	rs.rend = rend;
	if (ps_render_apart(rend))
		rs.put = ps_xcalloc(files->n + 1, sizeof(*rs.put));
	pthread_mutex_init(&rs.lock, NULL);
	pthread_mutex_init(&rs.cc.lock, NULL);
	pthread_cond_init(&rs.cond, NULL);
	/* Linting frees and reallocates per-file memory all the time: keep it
	 * in the process instead of handing it back to the kernel each time
	 * (madvise calls from the workers' arenas cost more than the linting). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	/* Stdin cannot be shared; one file needs no second thread. */
	for (k = 0; k < files->n && strcmp(files->v[k], "-"); k++)
		;
	if (files->n > 1 && k == files->n)
		threaded = pthread_create(&thread, NULL, worker, &rs) == 0;
	for (;;) {
		int more = lint_next(&rs);
		size_t ready;

		pthread_mutex_lock(&rs.lock);
		if (!more) {
			/* nothing left to take: wait for the worker's file */
			rs.waiting = 1;
			while (written < files->n && !rs.done[written])
				pthread_cond_wait(&rs.cond, &rs.lock);
			rs.waiting = 0;
		}
		for (ready = written; ready < files->n && rs.done[ready]; ready++)
			;
		pthread_mutex_unlock(&rs.lock);
		for (; written < ready; written++) {
			if (rs.status[written] > worst)
				worst = rs.status[written];
			write_file(&rs, rend, written, &pending);
		}
		flush_pending(&pending, out, written == files->n);
		if (written == files->n)
			break;
	}
	ps_buf_free(&pending);
	if (threaded)
		pthread_join(thread, NULL);
	status = ps_render_close(rend);
	conf_cache_free(&rs.cc);
	pthread_mutex_destroy(&rs.lock);
	pthread_mutex_destroy(&rs.cc.lock);
	pthread_cond_destroy(&rs.cond);
	free(rs.diags);
	free(rs.put);
	free(rs.status);
	free(rs.done);
	return worst > status ? worst : status;
}

int
ps_lint_main(const struct ps_lint_tool *t, const struct ps_cli_common *common,
	     struct ps_lint_run_opts *o, char **operands, int n,
	     int (*match)(const char *relpath, const char *base),
	     const char *const *keep_dirs, FILE *out, struct ps_error *err)
{
	struct ps_lint_files files = {0};
	struct ps_baseline *bl = NULL;
	int i, status = 0;

	if (common->list_rules) {
		ps_lint_print_rules(out, t->rules, t->nrules);
		return 0;
	}
	if (n >= 64) {
		struct operand_stats lo, hi;
		pthread_t th;
		int threaded;

		lo.operands = operands;
		lo.st = ps_xmalloc((size_t)n * sizeof(*lo.st));
		lo.err = ps_xcalloc((size_t)n, sizeof(*lo.err));
		lo.from = 0;
		lo.to = (size_t)n / 2;
		hi = lo;
		hi.from = lo.to;
		hi.to = (size_t)n;
		threaded = pthread_create(&th, NULL, stat_operands, &hi) == 0;
		if (!threaded)
			lo.to = (size_t)n;
		stat_operands(&lo);
		if (threaded)
			pthread_join(th, NULL);
		for (i = 0; i < n; i++)
			if (collect_stat(&files, operands[i], &lo.st[i], lo.err[i],
					 match, keep_dirs, err) < 0)
				status = PS_EXIT_USAGE;
		free(lo.st);
		free(lo.err);
	} else {
		for (i = 0; i < n; i++)
			if (ps_lint_collect(&files, operands[i], match, keep_dirs,
					    err) < 0)
				status = PS_EXIT_USAGE;
	}
	if (n == 0)
		ps_lint_collect(&files, ".", match, keep_dirs, err);
	if (common->baseline && !(bl = ps_baseline_load(common->baseline, err))) {
		ps_lint_files_free(&files);
		return PS_EXIT_USAGE;
	}
	o->config = common->config_given ? common->config : NULL;
	o->ignore = common->ignore;
	o->enable = common->enable;
	o->render.format = common->format;
	o->render.fail_on = common->fail_on;
	o->render.color = ps_log_use_color(out);
	o->render.summary = common->verbosity >= 0;
	o->render.tool = t->name;
	o->render.tool_version = PS_VERSION;
	o->render.baseline = bl;
	i = ps_lint_run(t, &files, o, out);
	if (i > status)
		status = i;
	ps_baseline_free(bl);
	ps_lint_files_free(&files);
	return status;
}
