/*
 * dotenv: a parser for .env files that keeps the text as written (lines,
 * positions) beside what the loaders make of it (entries with resolved
 * values), and never gives up on bad input.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dotenv.h"
#include "util.h"

struct parser {
	struct ps_dotenv *d;
	size_t cap_lines, cap_entries, cap_problems;
};

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

static int is_ident_start(int c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int is_ident(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void add_problem(struct parser *p, int line, int col, const char *msg)
{
	struct ps_dotenv *d = p->d;

	ps_xgrow(&d->problems, &p->cap_problems, d->nproblems + 1,
		 sizeof(*d->problems));
	d->problems[d->nproblems].line = line;
	d->problems[d->nproblems].col = col;
	d->problems[d->nproblems].msg = ps_xstrdup(msg);
	d->nproblems++;
}

/* Split the copy into physical lines. */
static void split_lines(struct parser *p)
{
	struct ps_dotenv *d = p->d;
	size_t i = 0;

	while (i < d->len) {
		size_t start = i, end;

		while (i < d->len && d->text[i] != '\n')
			i++;
		end = i;
		ps_xgrow(&d->lines, &p->cap_lines, d->nlines + 1,
			 sizeof(*d->lines));
		{
			struct ps_dotenv_line *l = &d->lines[d->nlines];

			memset(l, 0, sizeof(*l));
			l->line = (int)d->nlines + 1;
			l->text = d->text + start;
			if (end > start && d->text[end - 1] == '\r') {
				l->crlf = i < d->len;
				end--;
			}
			l->len = end - start;
			l->entry = -1;
		}
		d->nlines++;
		if (i < d->len)
			i++;	/* the '\n' */
	}
}

/* Offset of a position inside the copy. */
static size_t off_of(const struct ps_dotenv *d, size_t line_idx, size_t col0)
{
	return (size_t)(d->lines[line_idx].text - d->text) + col0;
}

/* Find the line index holding offset o (lines are in order). */
static size_t line_of(const struct ps_dotenv *d, size_t from, size_t o)
{
	while (from + 1 < d->nlines &&
	       (size_t)(d->lines[from + 1].text - d->text) <= o)
		from++;
	return from;
}

static void add_ref(struct ps_dotenv_entry *e, size_t *cap, const char *name,
		    size_t nlen, const char *expr, size_t elen, int braced,
		    int line, int col)
{
	struct ps_dotenv_ref *r;

	ps_xgrow(&e->refs, cap, e->nrefs + 1, sizeof(*e->refs));
	r = &e->refs[e->nrefs++];
	r->name = ps_xstrndup(name, nlen);
	r->expr = ps_xstrndup(expr, elen);
	r->braced = braced;
	r->line = line;
	r->col = col;
}

/*
 * The references in a value as written (text of n bytes starting at line
 * li, column col0). A '$' after an odd number of backslashes is literal.
 */
static void scan_refs(const struct ps_dotenv *d, struct ps_dotenv_entry *e,
		      size_t start, size_t n, size_t li)
{
	const char *s = d->text + start;
	size_t cap = 0, i;

	for (i = 0; i < n; i++) {
		size_t bs = 0, j;
		int line, col;

		if (s[i] != '$')
			continue;
		for (j = i; j > 0 && s[j - 1] == '\\'; j--)
			bs++;
		if (bs % 2 == 1)
			continue;
		li = line_of(d, li, start + i);
		line = d->lines[li].line;
		col = (int)(start + i - (size_t)(d->lines[li].text - d->text)) + 1;
		if (i + 1 < n && s[i + 1] == '{') {
			size_t k = i + 2, nl;

			while (k < n && s[k] != '}' && s[k] != '\n')
				k++;
			if (k >= n || s[k] != '}')
				continue;
			for (nl = 0; i + 2 + nl < k && s[i + 2 + nl] != ':' &&
			     (is_ident(s[i + 2 + nl]) || s[i + 2 + nl] == '.');
			     nl++)
				;
			if (nl == 0)
				continue;
			add_ref(e, &cap, s + i + 2, nl, s + i + 2, k - i - 2, 1,
				line, col);
			i = k;
		} else if (i + 1 < n && is_ident_start(s[i + 1])) {
			size_t k = i + 1;

			while (k < n && is_ident(s[k]))
				k++;
			add_ref(e, &cap, s + i + 1, k - i - 1, s + i + 1,
				k - i - 1, 0, line, col);
			i = k - 1;
		}
	}
}

/* The inline comment of the rest of a line after a value: "  # text". */
static void trailing_comment(struct parser *p, struct ps_dotenv_entry *e,
			     size_t li, size_t c0)
{
	const struct ps_dotenv_line *l = &p->d->lines[li];

	while (c0 < l->len && is_blank(l->text[c0]))
		c0++;
	if (c0 >= l->len)
		return;
	if (l->text[c0] == '#') {
		e->comment = ps_xstrndup(l->text + c0 + 1, l->len - c0 - 1);
		return;
	}
	add_problem(p, l->line, (int)c0 + 1,
		    "unexpected text after the closing quote");
}

/* A quoted value starting at line li, column q (the quote). Returns the
 * index of the last line it occupies. */
static size_t quoted_value(struct parser *p, struct ps_dotenv_entry *e,
			   size_t li, size_t q)
{
	struct ps_dotenv *d = p->d;
	const struct ps_dotenv_line *l = &d->lines[li];
	char qc = l->text[q];
	size_t o = off_of(d, li, q) + 1, end_li;
	struct ps_buf v = { 0 };
	int closed = 0;

	e->quote = qc == '"' ? PS_DOTENV_QUOTE_DOUBLE :
		   qc == '\'' ? PS_DOTENV_QUOTE_SINGLE :
		   PS_DOTENV_QUOTE_BACKTICK;
	while (o < d->len) {
		char c = d->text[o];

		if (c == qc) {
			closed = 1;
			break;
		}
		if (c == '\\' && qc == '"' && o + 1 < d->len) {
			char n = d->text[o + 1];

			switch (n) {
			case 'n': ps_buf_addc(&v, '\n'); break;
			case 'r': ps_buf_addc(&v, '\r'); break;
			case 't': ps_buf_addc(&v, '\t'); break;
			case '"': ps_buf_addc(&v, '"'); break;
			case '\\': ps_buf_addc(&v, '\\'); break;
			case '$': ps_buf_addc(&v, '$'); break;
			default:
				ps_buf_addc(&v, '\\');
				ps_buf_addc(&v, n);
			}
			o += 2;
			continue;
		}
		if (c == '\r' && o + 1 < d->len && d->text[o + 1] == '\n') {
			o++;
			continue;
		}
		ps_buf_addc(&v, c);
		o++;
	}
	if (!closed) {
		/* Take the rest of the opening line as the value, so that the
		 * lines below are still read as entries. */
		char what[64];

		snprintf(what, sizeof(what), "unterminated %s-quoted value",
			 qc == '"' ? "double" : qc == '\'' ? "single" : "back");
		add_problem(p, l->line, (int)q + 1, what);
		ps_buf_free(&v);
		e->value = ps_xstrndup(l->text + q + 1, l->len - q - 1);
		e->value_len = l->len - q - 1;
		e->raw_value = ps_xstrndup(l->text + q, l->len - q);
		return li;
	}
	end_li = line_of(d, li, o);
	e->value_len = v.len;
	e->value = ps_buf_detach(&v);
	{
		size_t vs = off_of(d, li, q);

		e->raw_value = ps_xstrndup(d->text + vs, o + 1 - vs);
		if (e->quote == PS_DOTENV_QUOTE_DOUBLE)
			scan_refs(d, e, vs + 1, o - vs - 1, li);
	}
	trailing_comment(p, e, end_li, o + 1 - (size_t)(d->lines[end_li].text - d->text));
	return end_li;
}

/* Parse the entry starting on line li at column c; returns its last line. */
static size_t parse_entry(struct parser *p, size_t li, size_t c)
{
	struct ps_dotenv *d = p->d;
	const struct ps_dotenv_line *l = &d->lines[li];
	struct ps_dotenv_entry *e;
	size_t eq, kend, end_li = li, k;
	struct ps_buf raw = { 0 };

	ps_xgrow(&d->entries, &p->cap_entries, d->nentries + 1,
		 sizeof(*d->entries));
	e = &d->entries[d->nentries];
	memset(e, 0, sizeof(*e));
	if (l->len - c > 6 && memcmp(l->text + c, "export", 6) == 0 &&
	    is_blank(l->text[c + 6])) {
		size_t n = c + 6;

		while (n < l->len && is_blank(l->text[n]))
			n++;
		if (n < l->len) {
			e->exported = 1;
			c = n;
		}
	}
	e->line = l->line;
	e->col = (int)c + 1;
	for (eq = c; eq < l->len && l->text[eq] != '='; eq++)
		;
	kend = eq;
	while (kend > c && is_blank(l->text[kend - 1]))
		kend--;
	e->key = ps_xstrndup(l->text + c, kend - c);
	if (eq >= l->len) {
		e->value = ps_xstrdup("");
		e->raw_value = ps_xstrdup("");
		e->value_line = l->line;
		e->value_col = (int)l->len + 1;
	} else {
		size_t v = eq + 1;

		e->has_eq = 1;
		if (kend == c)
			add_problem(p, l->line, (int)eq + 1,
				    "missing variable name before '='");
		while (v < l->len && is_blank(l->text[v]))
			v++;
		e->value_line = l->line;
		e->value_col = (int)v + 1;
		if (v < l->len && (l->text[v] == '"' || l->text[v] == '\'' ||
				   l->text[v] == '`')) {
			end_li = quoted_value(p, e, li, v);
		} else {
			/* Unquoted: up to a '#' that follows a blank. */
			size_t end = v, ve;

			while (end < l->len &&
			       !(l->text[end] == '#' && end > eq + 1 &&
				 is_blank(l->text[end - 1])))
				end++;
			if (end < l->len)
				e->comment = ps_xstrndup(l->text + end + 1,
							 l->len - end - 1);
			ve = end;
			while (ve > v && is_blank(l->text[ve - 1]))
				ve--;
			e->value = ps_xstrndup(l->text + v, ve - v);
			e->value_len = ve - v;
			e->raw_value = ps_xstrndup(l->text + v, ve - v);
			scan_refs(d, e, off_of(d, li, v), ve - v, li);
		}
	}
	e->end_line = d->lines[end_li].line;
	/* the bytes as written, line breaks included */
	ps_buf_add(&raw, d->lines[li].text,
		   (size_t)(d->lines[end_li].text - d->lines[li].text) +
		   d->lines[end_li].len);
	for (k = li; k <= end_li; k++) {
		d->lines[k].kind = k == li ? PS_DOTENV_ENTRY : PS_DOTENV_CONT;
		d->lines[k].entry = (long)d->nentries;
	}
	e->raw = ps_buf_detach(&raw);
	d->nentries++;
	return end_li;
}

static size_t key_hash(const char *k)
{
	size_t h = 14695981039346656037ULL;

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return h;
}

/* The slot of key: where it is, or the free slot where it would go. */
static size_t slot_of(const struct ps_dotenv *d, const char *key)
{
	size_t m = d->hash_cap - 1, i = key_hash(key) & m;

	while (d->hash[i] && strcmp(d->entries[d->hash[i] - 1].key, key) != 0)
		i = (i + 1) & m;
	return i;
}

static void build_index(struct ps_dotenv *d)
{
	size_t i;

	d->hash_cap = 16;
	while (d->hash_cap < 2 * d->nentries)
		d->hash_cap *= 2;
	d->hash = ps_xcalloc(d->hash_cap, sizeof(*d->hash));
	d->prev = ps_xcalloc(d->nentries + 1, sizeof(*d->prev));
	for (i = 0; i < d->nentries; i++) {
		size_t s = slot_of(d, d->entries[i].key);

		d->prev[i] = d->hash[s] ? (long)d->hash[s] - 1 : -1;
		d->hash[s] = i + 1;
	}
}

long ps_dotenv_prev(const struct ps_dotenv *d, size_t i)
{
	return i < d->nentries ? d->prev[i] : -1;
}

void ps_dotenv_parse(const char *buf, size_t len, struct ps_dotenv *d)
{
	struct parser p = { .d = d };
	size_t i;

	memset(d, 0, sizeof(*d));
	d->text = ps_xmalloc(len + 1);
	if (len)
		memcpy(d->text, buf, len);
	d->text[len] = '\0';
	d->len = len;
	for (i = 0; i < len; i++) {
		if (d->text[i] == '\0') {
			d->text[i] = ' ';
			d->has_nul = 1;
		}
	}
	d->final_newline = len > 0 && d->text[len - 1] == '\n';
	split_lines(&p);
	for (i = 0; i < d->nlines; i++) {
		struct ps_dotenv_line *l = &d->lines[i];
		size_t c = 0;

		while (c < l->len && is_blank(l->text[c]))
			c++;
		if (c == l->len) {
			l->kind = PS_DOTENV_BLANK;
		} else if (l->text[c] == '#') {
			l->kind = PS_DOTENV_COMMENT;
		} else {
			i = parse_entry(&p, i, c);
		}
	}
	build_index(d);
}

void ps_dotenv_free(struct ps_dotenv *d)
{
	size_t i, j;

	if (!d)
		return;
	for (i = 0; i < d->nentries; i++) {
		struct ps_dotenv_entry *e = &d->entries[i];

		free(e->key);
		free(e->value);
		free(e->raw);
		free(e->raw_value);
		free(e->comment);
		for (j = 0; j < e->nrefs; j++) {
			free(e->refs[j].name);
			free(e->refs[j].expr);
		}
		free(e->refs);
	}
	for (i = 0; i < d->nproblems; i++)
		free(d->problems[i].msg);
	free(d->hash);
	free(d->prev);
	free(d->entries);
	free(d->problems);
	free(d->lines);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

const struct ps_dotenv_entry *ps_dotenv_get(const struct ps_dotenv *d,
					    const char *key)
{
	size_t s;

	if (!d->hash_cap)
		return NULL;
	s = slot_of(d, key);
	return d->hash[s] ? &d->entries[d->hash[s] - 1] : NULL;
}

int ps_dotenv_key_valid(const char *key)
{
	if (!is_ident_start(*key))
		return 0;
	for (key++; *key; key++)
		if (!is_ident(*key))
			return 0;
	return 1;
}

int ps_dotenv_is_reference(const struct ps_dotenv_entry *e)
{
	return e->nrefs > 0;
}

static int plain_safe(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!(isalnum(c) || strchr("_./:@,+%-", c) != NULL) || c == 0)
			return 0;
	}
	return 1;
}

char *ps_dotenv_format_value(const char *value, size_t len, int keep_refs)
{
	struct ps_buf b = { 0 };
	size_t i;

	if (plain_safe(value, len))
		return ps_xstrndup(value, len);
	if (!memchr(value, '\'', len) && !memchr(value, '\n', len) &&
	    !memchr(value, '\r', len) && !memchr(value, '\0', len) &&
	    !(keep_refs && memchr(value, '$', len))) {
		ps_buf_addc(&b, '\'');
		ps_buf_add(&b, value, len);
		ps_buf_addc(&b, '\'');
		return ps_buf_detach(&b);
	}
	ps_buf_addc(&b, '"');
	for (i = 0; i < len; i++) {
		char c = value[i];

		switch (c) {
		case '"': ps_buf_adds(&b, "\\\""); break;
		case '\\': ps_buf_adds(&b, "\\\\"); break;
		case '\n': ps_buf_adds(&b, "\\n"); break;
		case '\r': ps_buf_adds(&b, "\\r"); break;
		case '$':
			ps_buf_adds(&b, keep_refs ? "$" : "\\$");
			break;
		default: ps_buf_addc(&b, c);
		}
	}
	ps_buf_addc(&b, '"');
	return ps_buf_detach(&b);
}

static const struct {
	const char *word;
	const char *env;
} env_words[] = {
	{ "production", "production" }, { "prod", "production" },
	{ "prd", "production" }, { "live", "production" },
	{ "staging", "staging" }, { "stage", "staging" }, { "stg", "staging" },
	{ "preprod", "staging" }, { "pre-production", "staging" },
	{ "development", "development" }, { "dev", "development" },
	{ "develop", "development" },
	{ "test", "test" }, { "testing", "test" }, { "ci", "test" },
	{ "qa", "qa" }, { "uat", "uat" }, { "sandbox", "sandbox" },
	{ "demo", "demo" }, { "preview", "preview" },
};

static const char *const template_words[] = {
	"example", "sample", "template", "dist", "defaults", "default",
	"schema", "tpl", "skel", NULL,
};

const char *ps_dotenv_env_canonical(const char *word)
{
	size_t i;

	for (i = 0; i < PS_ARRAY_LEN(env_words); i++)
		if (strcasecmp(word, env_words[i].word) == 0)
			return env_words[i].env;
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int ps_dotenv_is_template(const char *path)
{
	const char *b = base_name(path);
	const char *dot = strrchr(b, '.');
	size_t i;

	if (!dot || dot == b)
		return 0;
	for (i = 0; template_words[i]; i++)
		if (strcasecmp(dot + 1, template_words[i]) == 0)
			return 1;
	return 0;
}

const char *ps_dotenv_env_of_file(const char *path)
{
	const char *b = base_name(path), *suffix, *dot;
	char word[64];
	size_t n;

	if (strncmp(b, ".env.", 5) != 0 || ps_dotenv_is_template(path))
		return NULL;
	suffix = b + 5;
	dot = strchr(suffix, '.');
	if (dot)		/* .env.production.local: a local override */
		return NULL;
	n = strlen(suffix);
	if (n == 0 || n >= sizeof(word) || strcasecmp(suffix, "local") == 0 ||
	    strcasecmp(suffix, "bak") == 0)
		return NULL;
	memcpy(word, suffix, n + 1);
	{
		const char *c = ps_dotenv_env_canonical(word);

		if (c)
			return c;
	}
	/* An environment we do not know by name: the suffix itself, which
	 * lives in the path the caller gave us. */
	return suffix;
}
