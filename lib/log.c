/*
 * log: one message shape on stderr, colour only on a terminal, and secret
 * redaction applied to every message before it is written.
 */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

static const char *progname = "ps-toolkit";
static int verbosity;
static enum ps_color_mode color_mode = PS_COLOR_AUTO;

void
ps_log_init(const char *name)
{
	const char *slash;

	if (!name || !*name)
		return;
	slash = strrchr(name, '/');
	progname = slash ? slash + 1 : name;
}

const char *
ps_log_progname(void)
{
	return progname;
}

void
ps_log_set_verbosity(int v)
{
	verbosity = v;
}

int
ps_log_verbosity(void)
{
	return verbosity;
}

void
ps_log_set_color(enum ps_color_mode mode)
{
	color_mode = mode;
}

int
ps_log_use_color(FILE *f)
{
	const char *nc;

	switch (color_mode) {
	case PS_COLOR_ALWAYS:
		return 1;
	case PS_COLOR_NEVER:
		return 0;
	case PS_COLOR_AUTO:
		break;
	}
	nc = getenv("NO_COLOR");
	if (nc && *nc)
		return 0;
	if (getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

static void
emit(const char *word, const char *color, const char *fmt, va_list ap)
{
	struct ps_buf b = {0};
	char *red;
	int c = color && ps_log_use_color(stderr);

	ps_buf_addvf(&b, fmt, ap);
	red = ps_redact(ps_buf_str(&b));
	if (word)
		fprintf(stderr, "%s: %s%s:%s %s\n", progname, c ? color : "",
			word, c ? "\033[0m" : "", red);
	else
		fprintf(stderr, "%s: %s\n", progname, red);
	free(red);
	ps_buf_free(&b);
}

void
ps_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error", "\033[1;31m", fmt, ap);
	va_end(ap);
}

void
ps_log_warn(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	emit("warning", "\033[1;33m", fmt, ap);
	va_end(ap);
}

void
ps_log_note(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	emit(NULL, NULL, fmt, ap);
	va_end(ap);
}

void
ps_log_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	emit(NULL, NULL, fmt, ap);
	va_end(ap);
}

void
ps_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	emit("debug", "\033[2m", fmt, ap);
	va_end(ap);
}

struct word {
	const char *s;
	size_t n;
};
#define WORD(s) { s, sizeof(s) - 1 }

/* Names ending in one of these, at a word boundary, hold secrets. */
static const struct word secret_suffixes[] = {
	WORD("KEY"), WORD("SECRET"), WORD("TOKEN"), WORD("PASSWORD"),
	WORD("PASSWD"), WORD("PWD"), WORD("CREDENTIAL"), WORD("CREDENTIALS"),
	WORD("PASSPHRASE"),
};

/* Names containing one of these run-together words anywhere hold secrets
 * (APIKEY_PROD, myprivatekeyfile is not: see not_secret). */
static const struct word secret_words[] = {
	WORD("APIKEY"), WORD("PRIVATEKEY"), WORD("SECRETKEY"), WORD("ACCESSKEY"),
	WORD("AUTHTOKEN"),
};

/* Public identifiers that merely end like secrets. */
static const struct word not_secret[] = {
	WORD("KEY_ID"), WORD("PUBLIC_KEY"), WORD("PRIMARY_KEY"), WORD("SORT_KEY"),
	WORD("PARTITION_KEY"), WORD("HASH_KEY"), WORD("CACHE_KEY"),
	WORD("FOREIGN_KEY"), WORD("TOKEN_URL"), WORD("TOKEN_URI"),
	WORD("TOKEN_ENDPOINT"), WORD("KEY_FILE"), WORD("KEY_PATH"),
	WORD("TOKEN_FILE"), WORD("SECRET_FILE"), WORD("PASSWORD_FILE"),
	WORD("KEY_ENV"), WORD("SECRET_NAME"), WORD("SECRET_ARN"), WORD("KEY_ARN"),
};

/*
 * up is name (n bytes) upper-cased: does it end in w (upper case) at a
 * word boundary? The boundary is judged on the name as written: API_KEY,
 * api-key, db.password, apiKey.
 */
static int
ends_at_boundary(const char *name, const char *up, size_t n,
		 const struct word *w)
{
	unsigned char before, first;

	if (n < w->n || up[n - 1] != w->s[w->n - 1] ||
	    memcmp(up + n - w->n, w->s, w->n) != 0)
		return 0;
	if (n == w->n)
		return 1;
	before = (unsigned char)name[n - w->n - 1];
	first = (unsigned char)name[n - w->n];
	return before == '_' || before == '-' || before == '.' ||
	       (islower(before) && isupper(first));
}

/* Whether up (n bytes) holds w anywhere. */
static int
contains(const char *up, size_t n, const struct word *w)
{
	for (size_t i = 0; i + w->n <= n; i++)
		if (up[i] == w->s[0] && memcmp(up + i, w->s, w->n) == 0)
			return 1;
	return 0;
}

static int
is_secret_name_n(const char *name, size_t n)
{
	char stack[128], *up;
	size_t i;
	int hit = 0;

	if (n == 0 || (n == 3 && strncmp(name, "PWD", 3) == 0) ||
	    (n == 6 && strncmp(name, "OLDPWD", 6) == 0))
		return 0;
	/* upper-cased (ASCII) once, then compared byte for byte */
	up = n <= sizeof(stack) ? stack : ps_xmalloc(n);
	for (i = 0; i < n; i++)
		up[i] = ps_ascii_upper(name[i]);
	/* (the last byte compared here: most suffixes differ in it) */
	for (i = 0; i < PS_ARRAY_LEN(secret_suffixes) && !hit; i++)
		hit = up[n - 1] == secret_suffixes[i].s[secret_suffixes[i].n - 1] &&
		      ends_at_boundary(name, up, n, &secret_suffixes[i]);
	/* (every run-together word has a K: most names have none) */
	if (!hit && memchr(up, 'K', n))
		for (i = 0; i < PS_ARRAY_LEN(secret_words) && !hit; i++)
			hit = contains(up, n, &secret_words[i]);
	/* the public identifiers, asked only of names that look secret */
	for (i = 0; i < PS_ARRAY_LEN(not_secret) && hit; i++)
		if (up[n - 1] == not_secret[i].s[not_secret[i].n - 1] &&
		    ends_at_boundary(name, up, n, &not_secret[i]))
			hit = 0;
	if (up != stack)
		free(up);
	return hit;
}

int
ps_is_secret_name(const char *name)
{
	return is_secret_name_n(name, strlen(name));
}

/* The end of a URL's authority, and of an unquoted value: looked up. */
static const unsigned char url_stop[256] = {
	[0] = 1, ['/'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['"'] = 1,
	['\''] = 1, ['<'] = 1, ['>'] = 1, ['?'] = 1, ['#'] = 1,
};
static const unsigned char value_stop[256] = {
	[0] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, [','] = 1, [';'] = 1,
	['&'] = 1, ['}'] = 1, ['"'] = 1, ['\''] = 1,
};

/* a character of a key: letters, digits, _ - . */
static int
is_key_char(char c)
{
	return ps_ascii_alpha(c) || ps_ascii_digit(c) || c == '_' || c == '-' ||
	       c == '.';
}

/*
 * Mask URL passwords: scheme://user:PASSWORD@host. The password runs from
 * the first ':' after "://" up to the last '@' before the next '/', space or
 * quote.
 */
static void
redact_urls(struct ps_buf *out, const char *s)
{
	const char *p = s;

	while (*p) {
		const char *sep = strstr(p, "://");
		const char *u, *end, *at = NULL, *colon = NULL;

		if (!sep) {
			ps_buf_adds(out, p);
			return;
		}
		u = sep + 3;
		for (end = u; !url_stop[(unsigned char)*end]; end++) {
			if (*end == '@')
				at = end;
		}
		if (at) {
			for (colon = u; colon < at && *colon != ':'; colon++)
				;
		}
		if (at && colon < at) {
			ps_buf_add(out, p, (size_t)(colon + 1 - p));
			ps_buf_adds(out, "***");
			ps_buf_add(out, at, (size_t)(end - at));
		} else {
			ps_buf_add(out, p, (size_t)(end - p));
		}
		p = end;
	}
}

/*
 * Mask the value of KEY=VALUE, KEY: VALUE and "KEY": "VALUE" where KEY
 * looks like a secret name, and password=... of libpq conninfo strings.
 */
static void
redact_assignments(struct ps_buf *out, const char *s)
{
	size_t i = 0, n = strlen(s), q = 0;

	/* From each '=' or ':' back to a key before it: KEY=, KEY :, "KEY":
	 * (i: what is written; a key starts no earlier). */
	for (;; q++) {
		size_t ks, ke, v, ve;

		q += strcspn(s + q, "=:");
		if (q >= n)
			break;
		ke = q;
		while (ke > i && s[ke - 1] == ' ')
			ke--;
		if (ke > i && s[ke - 1] == '"')
			ke--;
		ks = ke;
		while (ks > i && is_key_char(s[ks - 1]))
			ks--;
		if (ks == ke || !is_secret_name_n(s + ks, ke - ks) ||
		    (ks > 0 && s[ks - 1] == '$') ||
		    (s[q] == ':' && q + 2 < n && s[q + 1] == '/' && s[q + 2] == '/'))
			continue;
		v = q + 1;
		while (v < n && s[v] == ' ')
			v++;
		ps_buf_add(out, s + i, v - i);
		if (v < n && (s[v] == '"' || s[v] == '\'')) {
			char quote = s[v];

			ve = v + 1;
			while (ve < n && s[ve] != quote) {
				if (s[ve] == '\\' && ve + 1 < n)
					ve++;
				ve++;
			}
			ps_buf_addc(out, quote);
			/* A reference like ${VAR} is not a secret. */
			if (ve - v - 1 > 0 && s[v + 1] == '$' && v + 2 < n &&
			    s[v + 2] == '{')
				ps_buf_add(out, s + v + 1, ve - v - 1);
			else if (ve > v + 1)
				ps_buf_adds(out, "***");
			if (ve < n)
				ps_buf_addc(out, quote);
			i = ve < n ? ve + 1 : n;
		} else {
			ve = v;
			while (ve < n && !value_stop[(unsigned char)s[ve]])
				ve++;
			if (ve > v && s[v] == '$')
				ps_buf_add(out, s + v, ve - v);
			else if (ve > v)
				ps_buf_adds(out, "***");
			i = ve;
		}
		q = i - 1;	/* (the loop steps past it) */
	}
	ps_buf_add(out, s + i, n - i);
}

void
ps_redact_into(struct ps_buf *out, const char *s)
{
	struct ps_buf a = {0};

	/* both a URL's password and an assignment need a ':' or an '=' */
	if (!strpbrk(s, ":=")) {
		ps_buf_adds(out, s);
	} else if (!strstr(s, "://")) {
		redact_assignments(out, s);
	} else {
		redact_urls(&a, s);
		redact_assignments(out, ps_buf_str(&a));
		ps_buf_free(&a);
	}
}

char *
ps_redact(const char *s)
{
	struct ps_buf b = {0};

	if (!s)
		return ps_xstrdup("");
	ps_redact_into(&b, s);
	return ps_buf_detach(&b);
}
