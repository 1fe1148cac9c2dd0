/*
 * ps-envcheck per-file rules: the checks dotenv-linter users know, with the
 * same idea of which line a problem lands on, plus syntax errors from the
 * parser; the rule table; the files and their "# ps-envcheck off RULE"
 * comments.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/log.h"
#include "lib/util.h"

const struct rule envcheck_rules[R_COUNT] = {
	[R_DUPLICATED_KEY] = { "PSE001", "duplicated-key", "DuplicatedKey",
		PS_SEV_WARNING, 0, "a key is set twice; loaders disagree on which value wins" },
	[R_ENDING_BLANK_LINE] = { "PSE002", "ending-blank-line", "EndingBlankLine",
		PS_SEV_STYLE, 0, "the file does not end with a newline" },
	[R_EXTRA_BLANK_LINE] = { "PSE003", "extra-blank-line", "ExtraBlankLine",
		PS_SEV_STYLE, 0, "more than one blank line in a row" },
	[R_INCORRECT_DELIMITER] = { "PSE004", "incorrect-delimiter", "IncorrectDelimiter",
		PS_SEV_WARNING, 0, "a key holds characters other than letters, digits and '_'" },
	[R_KEY_WITHOUT_VALUE] = { "PSE005", "key-without-value", "KeyWithoutValue",
		PS_SEV_WARNING, 0, "a key without '=' (write KEY= for an empty value)" },
	[R_LEADING_CHARACTER] = { "PSE006", "leading-character", "LeadingCharacter",
		PS_SEV_WARNING, 0, "a line starts with something other than a letter or '_'" },
	[R_LOWERCASE_KEY] = { "PSE007", "lowercase-key", "LowercaseKey",
		PS_SEV_STYLE, 0, "a key with lowercase letters" },
	[R_QUOTE_CHARACTER] = { "PSE008", "quote-character", "QuoteCharacter",
		PS_SEV_STYLE, 0, "quotes around a value that needs none" },
	[R_SPACE_CHARACTER] = { "PSE009", "space-character", "SpaceCharacter",
		PS_SEV_WARNING, 0, "spaces around '=' (loaders read them differently)" },
	[R_SUBSTITUTION_KEY] = { "PSE010", "substitution-key", "SubstitutionKey",
		PS_SEV_WARNING, 0, "a malformed ${VAR} reference" },
	[R_TRAILING_WHITESPACE] = { "PSE011", "trailing-whitespace", "TrailingWhitespace",
		PS_SEV_STYLE, 0, "whitespace at the end of a line" },
	[R_UNORDERED_KEY] = { "PSE012", "unordered-key", "UnorderedKey",
		PS_SEV_STYLE, 1, "keys of a group are not in alphabetical order (off by default)" },
	[R_VALUE_WITHOUT_QUOTES] = { "PSE013", "value-without-quotes", "ValueWithoutQuotes",
		PS_SEV_WARNING, 0, "a value with blanks is not quoted" },
	[R_SCHEMA_VIOLATION] = { "PSE014", "schema-violation", "SchemaViolation",
		PS_SEV_ERROR, 0, "a key is missing, unknown or of the wrong type for the schema" },
	[R_SYNTAX] = { "PSE015", "syntax-error", NULL,
		PS_SEV_ERROR, 0, "a line the dotenv loaders cannot read as intended" },
	[R_DRIFT] = { "PSE020", "env-drift", NULL,
		PS_SEV_WARNING, 0, "a key set in one environment is missing in another" },
	[R_SHARED_STORE] = { "PSE021", "shared-data-store", NULL,
		PS_SEV_ERROR, 0, "two environments point at the same data store" },
	[R_LITERAL_SECRET] = { "PSE022", "literal-secret", NULL,
		PS_SEV_ERROR, 0, "a secret written as a literal value instead of a reference" },
	[R_LOG_LEVEL] = { "PSE023", "unknown-log-level", NULL,
		PS_SEV_WARNING, 0, "LOG_LEVEL is not a known level" },
	[R_DEBUG_IN_PRODUCTION] = { "PSE024", "debug-in-production", NULL,
		PS_SEV_WARNING, 0, "debug or trace logging in production" },
	[R_ENV_MISMATCH] = { "PSE025", "environment-mismatch", NULL,
		PS_SEV_ERROR, 0, "NODE_ENV/APP_ENV names another environment than the file" },
	[R_INVALID_URL] = { "PSE026", "invalid-url", NULL,
		PS_SEV_ERROR, 0, "a URL or DSN that does not parse" },
	[R_NODE_ENV_NONSTANDARD] = { "PSE027", "node-env-nonstandard", NULL,
		PS_SEV_INFO, 0, "NODE_ENV other than development, production or test" },
};

int envcheck_rule_find(const char *word)
{
	size_t i;

	for (i = 0; i < R_COUNT; i++) {
		const struct rule *r = &envcheck_rules[i];

		if (strcasecmp(word, r->code) == 0 ||
		    strcasecmp(word, r->name) == 0 ||
		    (r->peer && strcasecmp(word, r->peer) == 0))
			return (int)i;
	}
	return -1;
}

int envcheck_rules_parse(const char *list, uint32_t *mask, char *bad,
			 size_t badlen)
{
	const char *p = list;

	while (*p) {
		size_t n;
		char word[64];
		int r;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		n = strcspn(p, ", \t\n");
		if (n == 0)
			break;
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, p, n);
		word[n] = '\0';
		p += strcspn(p, ", \t\n");
		if (strcasecmp(word, "all") == 0) {
			*mask |= RULE_BIT(R_COUNT) - 1;
			continue;
		}
		r = envcheck_rule_find(word);
		if (r < 0) {
			snprintf(bad, badlen, "%s", word);
			return -1;
		}
		*mask |= RULE_BIT(r);
	}
	return 0;
}

/* ---- files and their control comments ---- */

/*
 * A control comment: "# ps-envcheck off RULE[,RULE]", "# ps-envcheck on",
 * (also "ps-envcheck: off", "ps-envcheck:off", disable/enable), or
 * dotenv-linter's "# dotenv-linter:off RULE". Returns 1 for off, 2 for on,
 * 0 for an ordinary comment; *mask gets the rules (all without a list).
 */
static int pragma(const char *text, size_t len, uint32_t *mask)
{
	char buf[512], *p, *word;
	int kind;
	size_t n;

	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	if (!len || *text != '#')
		return 0;
	text++;
	len--;
	n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	p = buf;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "ps-envcheck", 11) == 0)
		p += 11;
	else if (strncmp(p, "dotenv-linter:", 14) == 0)
		p += 13;
	else
		return 0;
	if (*p == ':')
		p++;
	while (isspace((unsigned char)*p))
		p++;
	word = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (*p)
		*p++ = '\0';
	if (strcmp(word, "off") == 0 || strcmp(word, "disable") == 0)
		kind = 1;
	else if (strcmp(word, "on") == 0 || strcmp(word, "enable") == 0)
		kind = 2;
	else
		return 0;
	*mask = 0;
	{
		char bad[64];
		uint32_t m = 0;
		char *tok, *save = NULL;

		for (tok = strtok_r(p, ", \t", &save); tok;
		     tok = strtok_r(NULL, ", \t", &save)) {
			int r = envcheck_rule_find(tok);

			if (r >= 0)
				m |= RULE_BIT(r);
			else if (envcheck_rules_parse(tok, &m, bad, sizeof(bad)) < 0)
				continue;
		}
		*mask = m ? m : RULE_BIT(R_COUNT) - 1;
	}
	return kind;
}

static void find_pragmas(struct envfile *f)
{
	const struct ps_dotenv *d = &f->doc;
	uint32_t state = 0;
	size_t i;

	f->off = ps_xcalloc(d->nlines + 2, sizeof(*f->off));
	for (i = 0; i < d->nlines; i++) {
		uint32_t m;
		int k = d->lines[i].kind == PS_DOTENV_COMMENT ?
			pragma(d->lines[i].text, d->lines[i].len, &m) : 0;

		if (k == 1)
			state |= m;
		else if (k == 2)
			state &= ~m;
		f->off[i + 1] = state;
	}
	f->off[d->nlines + 1] = state;
	f->off_at_end = state;
}

int envfile_load_mem(struct envfile *f, const char *name, const char *buf,
		     size_t len, const char *env)
{
	const char *slash;

	memset(f, 0, sizeof(*f));
	f->path = ps_xstrdup(name);
	slash = strrchr(name, '/');
	f->dir = slash ? ps_xstrndup(name, (size_t)(slash - name) + (slash == name))
		       : ps_xstrdup(".");
	if (env) {
		const char *c = ps_dotenv_env_canonical(env);

		f->env_owned = ps_xstrdup(c ? c : env);
		f->env = f->env_owned;
	} else {
		f->env = ps_dotenv_env_of_file(f->path);
	}
	ps_dotenv_parse(buf, len, &f->doc);
	find_pragmas(f);
	return 0;
}

int envfile_load(struct envfile *f, const char *path, const char *env,
		 struct ps_error *err)
{
	struct ps_buf b = { 0 };

	if (ps_read_file(path, &b, err) < 0) {
		ps_buf_free(&b);
		return -1;
	}
	envfile_load_mem(f, path, ps_buf_str(&b), b.len, env);
	ps_buf_free(&b);
	return 0;
}

void envfile_free(struct envfile *f)
{
	ps_dotenv_free(&f->doc);
	free(f->path);
	free(f->dir);
	free(f->env_owned);
	free(f->off);
	memset(f, 0, sizeof(*f));
}

struct ps_finding *envcheck_report(struct envcheck *ck,
				   const struct envfile *f, enum rule_id r,
				   int line, int col, const char *snippet,
				   const char *fmt, ...)
{
	const struct rule *ru = &envcheck_rules[r];
	struct ps_finding *fi;
	uint32_t off;
	char msg[1024];
	va_list ap;

	if (!(ck->enabled & RULE_BIT(r)))
		return NULL;
	if (line <= 0 || (size_t)line > f->doc.nlines + 1)
		off = f->off_at_end;
	else
		off = f->off[line];
	if (off & RULE_BIT(r))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fi = ps_diags_add(&ck->diags, ENVCHECK_TOOL, ru->code, ru->name,
			  ru->sev, f->path, line, col, "%s", msg);
	if (ru->peer)
		ps_finding_add_ref(fi, ru->peer);
	if (snippet) {
		char *red = ps_redact(snippet);

		ps_finding_set_snippet(fi, red, strlen(red));
		free(red);
	}
	return fi;
}

/* ---- dotenv-linter's view of a file: logical lines ---- */

struct lline {
	int number;
	const char *raw;	/* a multi-line entry joined by "\n" */
	size_t len;
	long entry;		/* the parser's entry, or -1 */
};

static int ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static void trim(const char **s, size_t *n)
{
	while (*n && ws((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && ws((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static int ll_empty(const struct lline *l)
{
	const char *s = l->raw;
	size_t n = l->len;

	trim(&s, &n);
	return n == 0;
}

static int ll_comment(const struct lline *l)
{
	const char *s = l->raw;
	size_t n = l->len;

	trim(&s, &n);
	return n > 0 && *s == '#';
}

/* The key as dotenv-linter sees it: the trimmed line without "export ",
 * up to the first '='. */
static int ll_key(const struct lline *l, const char **k, size_t *kn)
{
	const char *s = l->raw;
	size_t n = l->len;
	const char *eq;

	trim(&s, &n);
	if (n == 0 || *s == '#')
		return 0;
	if (n >= 7 && memcmp(s, "export ", 7) == 0) {
		s += 7;
		n -= 7;
		trim(&s, &n);
	}
	eq = memchr(s, '=', n);
	*k = s;
	*kn = eq ? (size_t)(eq - s) : n;
	return 1;
}

/* Everything after the first '=' of the raw line. */
static int ll_value(const struct lline *l, const char **v, size_t *vn)
{
	const char *eq;

	if (ll_empty(l) || ll_comment(l))
		return 0;
	eq = memchr(l->raw, '=', l->len);
	if (!eq)
		return 0;
	*v = eq + 1;
	*vn = l->len - (size_t)(eq + 1 - l->raw);
	return 1;
}

static int escaped(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

static int is_word(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* The keys a value substitutes ($KEY, ${KEY}), as dotenv-linter finds
 * them; calls fn for each. */
static void ll_subst_keys(const struct lline *l,
			  void (*fn)(const char *k, size_t n, void *ctx),
			  void *ctx)
{
	const char *v;
	size_t n;

	if (!ll_value(l, &v, &n))
		return;
	trim(&v, &n);
	if (n && *v == '\'')
		return;
	if (n && *v == '"') {
		if (n > 1 && v[n - 1] == '"' && !escaped(v, n - 1)) {
			v++;
			n -= 2;
		} else {
			return;
		}
	}
	for (;;) {
		const char *d = memchr(v, '$', n);
		const char *rk, *key, *rest;
		size_t idx, rn, kn;

		if (!d)
			return;
		idx = (size_t)(d - v);
		rk = d + 1;
		rn = n - idx - 1;
		if (escaped(v, idx)) {
			v = rk;
			n = rn;
			continue;
		}
		if (rn && *rk == '{' && memchr(rk + 1, '}', rn - 1)) {
			const char *cb = memchr(rk + 1, '}', rn - 1);

			key = rk + 1;
			kn = (size_t)(cb - key);
			rest = cb;
		} else {
			size_t i = 0;

			while (i < rn && (isalnum((unsigned char)rk[i]) || rk[i] == '_'))
				i++;
			key = rk;
			kn = i;
			rest = rk + i;
		}
		if (kn == 0)
			return;
		fn(key, kn, ctx);
		n = rn - (size_t)(rest - rk);
		v = rest;
	}
}

static struct lline *logical_lines(const struct ps_dotenv *d, size_t *nout)
{
	struct lline *v = ps_xcalloc(d->nlines + 1, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < d->nlines; i++) {
		const struct ps_dotenv_line *pl = &d->lines[i];
		struct lline *l = &v[n++];

		l->number = pl->line;
		l->entry = pl->entry;
		if (pl->kind == PS_DOTENV_ENTRY &&
		    d->entries[pl->entry].end_line > pl->line) {
			const struct ps_dotenv_entry *e = &d->entries[pl->entry];

			l->raw = e->raw;
			l->len = strlen(e->raw);
			i = (size_t)e->end_line - 1;
		} else {
			l->raw = pl->text;
			l->len = pl->len;
		}
	}
	if (d->final_newline) {
		v[n].number = (int)d->nlines + 1;
		v[n].raw = "\n";
		v[n].len = 1;
		v[n].entry = -1;
		n++;
	}
	*nout = n;
	return v;
}

/* ---- the checks ---- */

static int on_at(const struct envcheck *ck, const struct envfile *f,
		 enum rule_id r, int line)
{
	if (!(ck->enabled & RULE_BIT(r)))
		return 0;
	if (line > 0 && (size_t)line <= f->doc.nlines + 1 &&
	    (f->off[line] & RULE_BIT(r)))
		return 0;
	return 1;
}

static char *dupn(const char *s, size_t n)
{
	return ps_xstrndup(s, n);
}

static int key_col(const struct envfile *f, const struct lline *l)
{
	if (l->entry >= 0)
		return f->doc.entries[l->entry].col;
	return 1;
}

static int value_col(const struct envfile *f, const struct lline *l)
{
	if (l->entry >= 0)
		return f->doc.entries[l->entry].value_col;
	return 1;
}

/* The keys of the current group: sorted (owning the strings), whether
 * they came in order, and the last one added. */
struct unordered {
	char **sorted;
	size_t n, cap;
	int in_order;
	const char *last;
	int hit;
};

static void unordered_clear(struct unordered *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->sorted[i]);
	u->n = 0;
	u->in_order = 1;
	u->last = NULL;
}

/* The first index whose key is >= k (or > k with upper). */
static size_t bound(const struct unordered *u, const char *k, int upper)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->sorted[mid], k);

		if (c < 0 || (upper && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void subst_in_group(const char *k, size_t n, void *ctx)
{
	struct unordered *u = ctx;
	char *key = ps_xstrndup(k, n);
	size_t i = bound(u, key, 0);

	if (i < u->n && strcmp(u->sorted[i], key) == 0)
		u->hit = 1;
	free(key);
}

static void check_unordered(struct envcheck *ck, struct envfile *f,
			    struct unordered *u, const struct lline *l)
{
	const char *k;
	size_t kn, at;
	uint32_t m;
	char *key;

	u->hit = 0;
	ll_subst_keys(l, subst_in_group, u);
	if (ll_empty(l) || (ll_comment(l) && pragma(l->raw, l->len, &m)) ||
	    u->hit) {
		unordered_clear(u);
		return;
	}
	if (!ll_key(l, &k, &kn))
		return;
	key = dupn(k, kn);
	if (u->n && strcmp(key, u->last) < 0)
		u->in_order = 0;
	at = bound(u, key, 1);
	ps_xgrow(&u->sorted, &u->cap, u->n + 1, sizeof(*u->sorted));
	memmove(u->sorted + at + 1, u->sorted + at,
		(u->n - at) * sizeof(*u->sorted));
	u->sorted[at] = key;
	u->n++;
	u->last = key;
	if (!u->in_order) {
		/* the key after this one in sorted order, as dotenv-linter
		 * names it */
		size_t i = bound(u, key, 0);

		if (i + 1 < u->n) {
			char *rawz = dupn(l->raw, l->len);

			envcheck_report(ck, f, R_UNORDERED_KEY, l->number,
					key_col(f, l), rawz,
					"key \"%s\" should go before \"%s\"",
					key, u->sorted[i + 1]);
			free(rawz);
		}
	}
}

static int substitution_bad(const char *v, size_t n)
{
	trim(&v, &n);
	if (n && *v == '\'')
		return 0;
	for (;;) {
		const char *d = memchr(v, '$', n);
		const char *rk, *ik, *second, *eb;
		size_t idx, rn, ikn;
		int has_start, bad;

		if (!d)
			return 0;
		idx = (size_t)(d - v);
		rk = d + 1;
		rn = n - idx - 1;
		second = memchr(rk, '$', rn);
		ik = rk;
		ikn = second ? (size_t)(second - rk) : rn;
		eb = memchr(ik, '}', ikn);
		has_start = ikn > 0 && *ik == '{';
		bad = has_start != (eb != NULL);
		if (!bad && eb && eb > ik) {
			const char *c = ik + 1;

			while (c < eb && (isalnum((unsigned char)*c) || *c == '_'))
				c++;
			/* ${NAME:-default} and the other shell forms that
			 * compose and dotenv-expand read are fine */
			if (c < eb && c > ik + 1) {
				if (*c == ':')
					c++;
				if (c < eb && strchr("-?+=", *c))
					c = eb;
			}
			if (c < eb)
				bad = 1;
		}
		if (bad && !escaped(v, idx))
			return 1;
		if (!second)
			return 0;
		n = rn - ikn;
		v = second;
	}
}

static int quote_needless(const char *v, size_t n)
{
	size_t i;
	int quote = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\\' && i + 1 < n && v[i + 1] == 'n')
			return 0;
		if (ws(c) || c == '$' || c == '#' || c == '&' || c == '=')
			return 0;
		if (c == '"' || c == '\'')
			quote = 1;
	}
	return quote;
}

static int problem_on(const struct envfile *f, int line)
{
	size_t i;

	for (i = 0; i < f->doc.nproblems; i++)
		if (f->doc.problems[i].line == line)
			return 1;
	return 0;
}

struct seen {
	long *first;		/* per entry */
};

static void check_line(struct envcheck *ck, struct envfile *f,
		       const struct lline *l, int is_last, int *last_blank,
		       struct seen *seen)
{
	const char *k = NULL, *v = NULL;
	size_t kn = 0, vn = 0;
	int empty = ll_empty(l), comment = ll_comment(l);
	int has_key = ll_key(l, &k, &kn), has_value = ll_value(l, &v, &vn);

	while (has_key && kn && ws((unsigned char)k[kn - 1]))
		kn--;
	char *key = has_key ? dupn(k, kn) : NULL;
	char *rawz = dupn(l->raw, l->len);

	if (is_last && (l->len == 0 || l->raw[l->len - 1] != '\n'))
		envcheck_report(ck, f, R_ENDING_BLANK_LINE, l->number,
				(int)l->len + 1, NULL,
				"no newline at the end of the file");
	if (comment) {
		free(key);
		free(rawz);
		return;
	}
	if (empty) {
		if (*last_blank && *last_blank + 1 == l->number &&
		    on_at(ck, f, R_EXTRA_BLANK_LINE, l->number))
			envcheck_report(ck, f, R_EXTRA_BLANK_LINE, l->number,
					1, NULL, "extra blank line");
		if (on_at(ck, f, R_EXTRA_BLANK_LINE, l->number))
			*last_blank = l->number;
		if (l->len && l->raw[l->len - 1] == ' ')
			envcheck_report(ck, f, R_TRAILING_WHITESPACE, l->number,
					1, NULL, "trailing whitespace");
		free(key);
		free(rawz);
		return;
	}
	if (has_key && l->entry >= 0 &&
	    on_at(ck, f, R_DUPLICATED_KEY, l->number)) {
		/* seen->first[i]: the first entry of this key that the check
		 * saw, along the chain of entries with the same key */
		long pv = ps_dotenv_prev(&f->doc, (size_t)l->entry);
		long first = pv >= 0 ? seen->first[pv] : -1;

		if (first >= 0)
			envcheck_report(ck, f, R_DUPLICATED_KEY, l->number,
					key_col(f, l), rawz,
					"key \"%s\" is set again (first on line %d); "
					"loaders disagree on which value wins",
					key, f->doc.entries[first].line);
		seen->first[l->entry] = first >= 0 ? first : l->entry;
	} else if (l->entry >= 0) {
		long pv = ps_dotenv_prev(&f->doc, (size_t)l->entry);

		seen->first[l->entry] = pv >= 0 ? seen->first[pv] : -1;
	}
	if (has_key) {
		const char *c = k;
		size_t n = kn;
		int bad = 0;

		while (n && !(isalpha((unsigned char)*c) || *c == '_' ||
			      (unsigned char)*c >= 0x80)) {
			c++;
			n--;
		}
		trim(&c, &n);
		for (; n; c++, n--)
			if (!is_word((unsigned char)*c))
				bad = 1;
		if (bad)
			envcheck_report(ck, f, R_INCORRECT_DELIMITER, l->number,
					key_col(f, l), rawz,
					"key \"%s\" has characters other than letters, "
					"digits and '_'", key);
		if (!memchr(l->raw, '=', l->len))
			envcheck_report(ck, f, R_KEY_WITHOUT_VALUE, l->number,
					key_col(f, l), rawz,
					"key \"%s\" has no '=' (write \"%s=\" for "
					"an empty value)", key, key);
		{
			size_t i;
			int lower = 0;

			for (i = 0; i < kn; i++)
				if (islower((unsigned char)k[i]))
					lower = 1;
			if (lower)
				envcheck_report(ck, f, R_LOWERCASE_KEY,
						l->number, key_col(f, l), rawz,
						"key \"%s\" should be uppercase",
						key);
		}
	}
	if (!(isalpha((unsigned char)l->raw[0]) || l->raw[0] == '_' ||
	      (unsigned char)l->raw[0] >= 0x80)) {
		char what[16];
		unsigned char c0 = (unsigned char)l->raw[0];

		if (c0 == ' ')
			snprintf(what, sizeof(what), "a space");
		else if (c0 == '\t')
			snprintf(what, sizeof(what), "a tab");
		else if (isprint(c0))
			snprintf(what, sizeof(what), "'%c'", c0);
		else
			snprintf(what, sizeof(what), "byte 0x%02x", c0);
		envcheck_report(ck, f, R_LEADING_CHARACTER, l->number, 1,
				rawz, "line starts with %s instead of a "
				"letter or '_'", what);
	}
	if (has_value && quote_needless(v, vn) && !problem_on(f, l->number))
		envcheck_report(ck, f, R_QUOTE_CHARACTER, l->number,
				value_col(f, l), rawz,
				"value of \"%s\" is quoted but needs no quotes",
				key ? key : "");
	{
		/* exactly one '=' with a blank on either side */
		const char *eq = memchr(l->raw, '=', l->len);

		if (eq && !memchr(eq + 1, '=', l->len - (size_t)(eq - l->raw) - 1) &&
		    ((eq > l->raw && eq[-1] == ' ') ||
		     (eq + 1 < l->raw + l->len && eq[1] == ' ')))
			envcheck_report(ck, f, R_SPACE_CHARACTER, l->number,
					(int)(eq - l->raw) + 1, rawz,
					"spaces around '=' of \"%s\"",
					key ? key : "");
	}
	if (has_value && has_key && substitution_bad(v, vn))
		envcheck_report(ck, f, R_SUBSTITUTION_KEY, l->number,
				value_col(f, l), rawz,
				"value of \"%s\" has a malformed reference "
				"(write ${NAME} or $NAME)", key);
	if (l->len && l->raw[l->len - 1] == ' ') {
		size_t s = l->len;

		while (s && (l->raw[s - 1] == ' ' || l->raw[s - 1] == '\t'))
			s--;
		envcheck_report(ck, f, R_TRAILING_WHITESPACE, l->number,
				(int)s + 1, NULL, "trailing whitespace");
	}
	if (l->entry >= 0) {
		const struct ps_dotenv_entry *e = &f->doc.entries[l->entry];

		if (e->has_eq && e->quote == PS_DOTENV_QUOTE_NONE &&
		    strpbrk(e->value, " \t"))
			envcheck_report(ck, f, R_VALUE_WITHOUT_QUOTES, l->number,
					e->value_col, rawz,
					"value of \"%s\" has blanks and should "
					"be quoted", key ? key : e->key);
	}
	free(key);
	free(rawz);
}

void envcheck_lint_file(struct envcheck *ck, struct envfile *f)
{
	size_t n, i;
	struct lline *ll = logical_lines(&f->doc, &n);
	struct unordered u = { .in_order = 1 };
	struct seen seen = { 0 };
	int last_blank = 0;

	seen.first = ps_xcalloc(f->doc.nentries + 1, sizeof(*seen.first));
	for (i = 0; i < f->doc.nentries; i++)
		seen.first[i] = -1;

	for (i = 0; i < f->doc.nproblems; i++) {
		const struct ps_dotenv_problem *p = &f->doc.problems[i];
		const struct ps_dotenv_line *pl = &f->doc.lines[p->line - 1];
		char *text = dupn(pl->text, pl->len);

		envcheck_report(ck, f, R_SYNTAX, p->line, p->col, text, "%s",
				p->msg);
		free(text);
	}
	if (f->doc.has_nul)
		envcheck_report(ck, f, R_SYNTAX, 0, 0, NULL,
				"the file holds NUL bytes");
	for (i = 0; i < n; i++) {
		if (on_at(ck, f, R_UNORDERED_KEY, ll[i].number))
			check_unordered(ck, f, &u, &ll[i]);
		check_line(ck, f, &ll[i], i + 1 == n, &last_blank, &seen);
	}
	unordered_clear(&u);
	free(u.sorted);
	free(seen.first);
	free(ll);
}
