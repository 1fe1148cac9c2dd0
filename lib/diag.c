/*
 * diag: severities, findings and lists of findings, the stable fingerprint
 * and the compiler-style line. The renderers and the baseline are in
 * render.c (same header, diag.h).
 */
#include "diag.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

static const char *const sev_names[] = {
	[PS_SEV_NONE] = "never",
	[PS_SEV_STYLE] = "style",
	[PS_SEV_INFO] = "info",
	[PS_SEV_WARNING] = "warning",
	[PS_SEV_ERROR] = "error",
};

const char *
ps_severity_name(enum ps_severity s)
{
	if ((unsigned)s >= PS_ARRAY_LEN(sev_names))
		return "unknown";
	return sev_names[s];
}

int
ps_severity_parse(const char *s, enum ps_severity *out)
{
	static const struct {
		const char *name;
		enum ps_severity sev;
	} words[] = {
		{"error", PS_SEV_ERROR},     {"warning", PS_SEV_WARNING},
		{"info", PS_SEV_INFO},       {"style", PS_SEV_STYLE},
		{"never", PS_SEV_NONE},      {"none", PS_SEV_NONE},
		/* the words other tools use for the same levels */
		{"warn", PS_SEV_WARNING},    {"note", PS_SEV_INFO},
		{"notice", PS_SEV_INFO},
	};
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < PS_ARRAY_LEN(words); i++)
		if (strcmp(s, words[i].name) == 0) {
			*out = words[i].sev;
			return 0;
		}
	return -1;
}

static const char *const format_names[] = {
	[PS_FMT_AUTO] = "auto",
	[PS_FMT_TEXT] = "text",
	[PS_FMT_JSON] = "json",
	[PS_FMT_SARIF] = "sarif",
	[PS_FMT_JUNIT] = "junit",
	[PS_FMT_GITHUB] = "github",
	[PS_FMT_CHECKSTYLE] = "checkstyle",
	[PS_FMT_CODECLIMATE] = "codeclimate",
	[PS_FMT_GNU] = "gnu",
	[PS_FMT_MARKDOWN] = "markdown",
	[PS_FMT_PROM] = "prom",
};

/* without "auto", which cli.c puts first */
const char *const ps_finding_formats[] = {
	"text", "json", "sarif", "junit", "github", "checkstyle",
	"codeclimate", "gnu", "markdown", NULL,
};

const char *
ps_format_name(enum ps_format f)
{
	if ((unsigned)f >= PS_ARRAY_LEN(format_names))
		return "unknown";
	return format_names[f];
}

int
ps_format_parse(const char *s, enum ps_format *out)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < PS_ARRAY_LEN(format_names); i++)
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum ps_format)i;
			return 0;
		}
	/* common spellings */
	if (strcmp(s, "jsonl") == 0 || strcmp(s, "json-lines") == 0) {
		*out = PS_FMT_JSON;
		return 0;
	}
	if (strcmp(s, "md") == 0) {
		*out = PS_FMT_MARKDOWN;
		return 0;
	}
	return -1;
}

/* ---- findings ---- */

static char *
dup_or_null(const char *s)
{
	return s ? ps_xstrdup(s) : NULL;
}

struct ps_finding *
ps_diags_add(struct ps_diags *d, const char *tool, const char *rule,
	     const char *name, enum ps_severity sev, const char *file,
	     int line, int col, const char *fmt, ...)
{
	struct ps_finding *f = ps_xcalloc(1, sizeof(*f));
	struct ps_buf b = {0};
	va_list ap;

	f->tool = dup_or_null(tool);
	f->rule = dup_or_null(rule);
	f->name = dup_or_null(name);
	f->severity = sev;
	f->file = dup_or_null(file);
	f->line = line > 0 ? line : 0;
	f->col = col > 0 ? col : 0;
	va_start(ap, fmt);
	ps_buf_addvf(&b, fmt, ap);
	va_end(ap);
	f->message = ps_buf_detach(&b);
	ps_diags_push(d, f);
	return f;
}

void
ps_finding_add_ref(struct ps_finding *f, const char *ref)
{
	size_t n = 0;

	while (f->refs && f->refs[n])
		n++;
	if (f->borrows & PS_BORROWS_REFS) {
		/* copied before it grows */
		char **own = ps_xmalloc((n + 2) * sizeof(*own));

		for (size_t i = 0; i < n; i++)
			own[i] = ps_xstrdup(f->refs[i]);
		f->refs = own;
		f->borrows &= ~(unsigned)PS_BORROWS_REFS;
	}
	f->refs = ps_xrealloc(f->refs, (n + 2) * sizeof(*f->refs));
	f->refs[n] = ps_xstrdup(ref);
	f->refs[n + 1] = NULL;
}

void
ps_finding_set_fix(struct ps_finding *f, const char *fix)
{
	free(f->fix);
	f->fix = dup_or_null(fix);
}

void
ps_finding_set_snippet(struct ps_finding *f, const char *s, size_t n)
{
	if (!(f->borrows & PS_BORROWS_SNIPPET))
		free(f->snippet);
	f->borrows &= ~(unsigned)PS_BORROWS_SNIPPET;
	f->snippet = s ? ps_xstrndup(s, n) : NULL;
	/* the fingerprint depends on the snippet */
	if (f->fingerprint != f->fp)
		free(f->fingerprint);
	f->fingerprint = NULL;
}

void
ps_finding_free(struct ps_finding *f)
{
	size_t i;

	if (!f)
		return;
	if (!(f->borrows & PS_BORROWS_TOOL))
		free(f->tool);
	if (!(f->borrows & PS_BORROWS_RULE))
		free(f->rule);
	if (!(f->borrows & PS_BORROWS_NAME))
		free(f->name);
	if (!(f->borrows & PS_BORROWS_FILE))
		free(f->file);
	if (!(f->borrows & PS_BORROWS_MESSAGE))
		free(f->message);
	free(f->fix);
	if (!(f->borrows & PS_BORROWS_REFS)) {
		for (i = 0; f->refs && f->refs[i]; i++)
			free(f->refs[i]);
		free(f->refs);
	}
	if (!(f->borrows & PS_BORROWS_SNIPPET))
		free(f->snippet);
	if (!(f->borrows & PS_BORROWS_HELP))
		free(f->help);
	free(f->help_uri);
	if (f->fingerprint != f->fp)
		free(f->fingerprint);
	free(f);
}

void
ps_diags_push(struct ps_diags *d, struct ps_finding *f)
{
	ps_xgrow(&d->v, &d->cap, d->len + 1, sizeof(*d->v));
	d->v[d->len++] = f;
}

void
ps_diags_free(struct ps_diags *d)
{
	size_t i;

	for (i = 0; i < d->len; i++)
		ps_finding_free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->len = d->cap = 0;
}

size_t
ps_diags_count(const struct ps_diags *d, enum ps_severity sev)
{
	size_t i, n = 0;

	for (i = 0; i < d->len; i++)
		if (d->v[i]->severity >= sev)
			n++;
	return n;
}

enum ps_severity
ps_diags_max(const struct ps_diags *d)
{
	enum ps_severity m = PS_SEV_NONE;
	size_t i;

	for (i = 0; i < d->len; i++)
		if (d->v[i]->severity > m)
			m = d->v[i]->severity;
	return m;
}

static int
strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
finding_cmp(const struct ps_finding *a, const struct ps_finding *b)
{
	/* (the findings of one file mostly share its name's string) */
	int c = a->file == b->file ? 0 : strcmp_null(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return strcmp_null(a->rule, b->rule);
}

/* Merge sort: stable, so equal findings keep the order they were found in.
 * Short runs (a file's findings, mostly) by insertion, stable too. */
static void
merge_sort(struct ps_finding **v, struct ps_finding **tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n <= 16) {
		for (i = 1; i < n; i++) {
			struct ps_finding *f = v[i];

			for (j = i; j > 0 && finding_cmp(f, v[j - 1]) < 0; j--)
				v[j] = v[j - 1];
			v[j] = f;
		}
		return;
	}
	merge_sort(v, tmp, mid);
	merge_sort(v + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = finding_cmp(v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

void
ps_diags_sort(struct ps_diags *d)
{
	struct ps_finding **tmp;

	if (d->len < 2)
		return;
	/* often in order already (one file, one pass of the rules) */
	for (size_t i = 1; finding_cmp(d->v[i], d->v[i - 1]) >= 0; i++)
		if (i + 1 == d->len)
			return;
	tmp = ps_xmalloc(d->len * sizeof(*tmp));
	merge_sort(d->v, tmp, d->len);
	free(tmp);
}

void
ps_diags_drop_rules(struct ps_diags *d, const char *const *rules)
{
	size_t i, j, k = 0;

	if (!rules)
		return;
	for (i = 0; i < d->len; i++) {
		struct ps_finding *f = d->v[i];
		int drop = 0;

		for (j = 0; rules[j] && !drop; j++)
			drop = (f->rule && strcmp(f->rule, rules[j]) == 0) ||
			       (f->name && strcmp(f->name, rules[j]) == 0);
		if (drop)
			ps_finding_free(f);
		else
			d->v[k++] = f;
	}
	d->len = k;
}

/* ---- fingerprint ---- */

/* White space (1) and the end of the string (2), looked up. */
static const unsigned char ws_class[256] = {
	[0] = 2, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1,
	['\v'] = 1,
};

/* s with runs of white space collapsed to one space, trimmed, into dst
 * (room for strlen(s) bytes); its length. */
static size_t
normalise_into(char *dst, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (ws_class[*p] == 1)
		p++;
	while (*p) {
		const unsigned char *e = p;

		while (!ws_class[*e])
			e++;
		memcpy(dst + n, p, (size_t)(e - p));
		n += (size_t)(e - p);
		while (ws_class[*e] == 1)
			e++;
		if (*e)
			dst[n++] = ' ';
		p = e;
	}
	return n;
}

/*
 * XXH3 64-bit over rule NUL file NUL content, as 16 hex digits. The file
 * loses leading "./" so "./Dockerfile" and "Dockerfile" agree; content is
 * the snippet (or, without one, the message) with white space normalised.
 * The line number is left out on purpose: a finding keeps its fingerprint
 * when code above it moves it down. Not a cryptographic digest, and need
 * not be: it matches findings to a baseline. (It was the first 64 bits of
 * SHA-256 once; XXH3 spares every linter run loading and initialising
 * OpenSSL, about 5 ms of a one-file run.)
 */
/* The two hex digits of each byte value. */
#define HEX_ROW(h) {h, '0'}, {h, '1'}, {h, '2'}, {h, '3'}, {h, '4'}, {h, '5'}, \
	{h, '6'}, {h, '7'}, {h, '8'}, {h, '9'}, {h, 'a'}, {h, 'b'}, {h, 'c'}, \
	{h, 'd'}, {h, 'e'}, {h, 'f'}
static const char hex_pairs[256][2] = {
	HEX_ROW('0'), HEX_ROW('1'), HEX_ROW('2'), HEX_ROW('3'),
	HEX_ROW('4'), HEX_ROW('5'), HEX_ROW('6'), HEX_ROW('7'),
	HEX_ROW('8'), HEX_ROW('9'), HEX_ROW('a'), HEX_ROW('b'),
	HEX_ROW('c'), HEX_ROW('d'), HEX_ROW('e'), HEX_ROW('f'),
};
#undef HEX_ROW

const char *
ps_finding_fingerprint(struct ps_finding *f)
{
	const char *file = f->file ? f->file : "";
	const char *rule = f->rule ? f->rule : "";
	const char *content = f->snippet ? f->snippet : f->message ? f->message : "";
	size_t lrule, lfile, need, n = 0;
	char stack[512], *p;
	uint64_t h;

	if (f->fingerprint)
		return f->fingerprint;
	while (file[0] == '.' && file[1] == '/') {
		file += 2;
		while (*file == '/')
			file++;
	}
	/* on the stack unless long (a linter makes thousands of these) */
	lrule = strlen(rule);
	lfile = strlen(file);
	need = lrule + 1 + lfile + 1 + strlen(content);
	p = need <= sizeof(stack) ? stack : ps_xmalloc(need);
	memcpy(p, rule, lrule + 1);
	n = lrule + 1;
	memcpy(p + n, file, lfile + 1);
	n += lfile + 1;
	n += normalise_into(p + n, content);
	h = XXH3_64bits(p, n);
	if (p != stack)
		free(p);
	for (int i = 7; i >= 0; i--, h >>= 8)
		memcpy(f->fp + 2 * i, hex_pairs[h & 0xff], 2);
	f->fp[16] = '\0';
	f->fingerprint = f->fp;
	return f->fingerprint;
}

/* ---- text ---- */

size_t
ps_utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, i;

	if (*p < 0x80)
		return *p ? 1 : 0;
	if (*p >= 0xc2 && *p <= 0xdf)
		len = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		len = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		len = 4;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates and values past U+10FFFF */
	if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
			 (p[0] == 0xed && p[1] >= 0xa0)))
		return 0;
	if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) ||
			 (p[0] == 0xf4 && p[1] >= 0x90)))
		return 0;
	return len;
}

/* ---- the compiler-style line ---- */

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"

static const char *
sev_color(enum ps_severity s)
{
	switch (s) {
	case PS_SEV_ERROR:
		return "\033[1;31m";
	case PS_SEV_WARNING:
		return "\033[1;33m";
	case PS_SEV_INFO:
		return "\033[1;36m";
	case PS_SEV_STYLE:
		return "\033[2m";
	default:
		return "";
	}
}

/* s with control characters shown as escapes, so that a message quoting a
 * file's bytes can neither break the line nor drive the terminal. */
void
ps_diag_add_clean(struct ps_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c < 0x20 && c != '\t') || c == 0x7f))
			continue;
		ps_buf_add(b, run, (size_t)(s - run));
		if (c == '\n')
			ps_buf_add(b, "\\n", 2);
		else if (c == '\r')
			ps_buf_add(b, "\\r", 2);
		else
			ps_buf_addf(b, "\\x%02x", c);
		run = s + 1;
	}
	ps_buf_add(b, run, (size_t)(s - run));
}

void
ps_diag_put_clean(FILE *out, const char *s)
{
	struct ps_buf b = {0};

	ps_diag_add_clean(&b, s);
	fwrite(ps_buf_str(&b), 1, b.len, out);
	ps_buf_free(&b);
}

static void
add_int(struct ps_buf *b, char sep, int v)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "%c%d", sep, v);

	ps_buf_add(b, tmp, (size_t)n);
}

void
ps_finding_format(struct ps_buf *b, const struct ps_finding *f, int color)
{
	if (f->file) {
		if (color)
			ps_buf_adds(b, C_BOLD);
		ps_diag_add_clean(b, f->file);
		if (f->line > 0) {
			add_int(b, ':', f->line);
			if (f->col > 0)
				add_int(b, ':', f->col);
		}
		ps_buf_addc(b, ':');
		if (color)
			ps_buf_adds(b, C_RESET);
		ps_buf_addc(b, ' ');
	}
	if (color)
		ps_buf_adds(b, sev_color(f->severity));
	ps_buf_adds(b, ps_severity_name(f->severity));
	ps_buf_adds(b, color ? ":" C_RESET " " : ": ");
	ps_diag_add_clean(b, f->message ? f->message : "");
	if (f->rule && *f->rule) {
		ps_buf_add(b, " [", 2);
		ps_diag_add_clean(b, f->rule);
		ps_buf_addc(b, ']');
	}
	ps_buf_addc(b, '\n');
}

void
ps_finding_print(FILE *out, const struct ps_finding *f, int color)
{
	struct ps_buf b = {0};

	ps_finding_format(&b, f, color);
	fwrite(ps_buf_str(&b), 1, b.len, out);
	ps_buf_free(&b);
}
