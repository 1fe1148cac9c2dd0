/*
 * records: JSON lines on pipes. The reader takes one line at a time
 * (getline) and parses it alone (json_loadb), so memory is bounded by the
 * longest line, never by the input size. The writer prints one compact
 * object per line with the keys in insertion order.
 */
#include "records.h"

#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

/* Lines longer than this do not keep their buffer after they are read. */
#define REC_KEEP_BUF (1u << 20)

struct ps_rec_reader {
	FILE *f;
	char *name;
	char *line;
	size_t cap;
	size_t lineno;		/* lines read so far */
	size_t rec_line;	/* line of the record last returned */
};

struct ps_rec_reader *
ps_rec_open(FILE *f, const char *name)
{
	struct ps_rec_reader *r = ps_xcalloc(1, sizeof(*r));

	r->f = f;
	r->name = ps_xstrdup(name ? name : "stdin");
	return r;
}

static int
is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' &&
		    s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

int
ps_rec_next(struct ps_rec_reader *r, json_t **out, struct ps_error *err)
{
	ssize_t n;
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	for (;;) {
		if (r->cap > REC_KEEP_BUF) {
			free(r->line);
			r->line = NULL;
			r->cap = 0;
		}
		errno = 0;
		n = getline(&r->line, &r->cap, r->f);
		if (n < 0) {
			if (ferror(r->f)) {
				int e = errno ? errno : EIO;

				ps_error_set(err, PS_EXIT_OPER,
					     "cannot read '%s': %s", r->name,
					     strerror(e));
				return -3;
			}
			return 0;
		}
		r->lineno++;
		if (!is_blank(r->line, (size_t)n))
			break;
	}
	r->rec_line = r->lineno;
	v = json_loadb(r->line, (size_t)n, JSON_DECODE_ANY, &jerr);
	if (!v)
		return ps_error_at(err, PS_EXIT_USAGE, (int)r->lineno,
				   jerr.column > 0 ? jerr.column : 0,
				   "%s:%zu: invalid JSON: %s", r->name,
				   r->lineno, jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return ps_error_at(err, PS_EXIT_USAGE, (int)r->lineno, 1,
				   "%s:%zu: not a JSON object", r->name,
				   r->lineno);
	}
	*out = v;
	return 1;
}

size_t
ps_rec_line(const struct ps_rec_reader *r)
{
	return r->rec_line;
}

const char *
ps_rec_name(const struct ps_rec_reader *r)
{
	return r->name;
}

void
ps_rec_close(struct ps_rec_reader *r)
{
	if (!r)
		return;
	free(r->line);
	free(r->name);
	free(r);
}

json_t *
ps_rec_new(const char *type, const char *tool)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type ? type : ""));
	json_object_set_new(o, "tool", ps_json_string(tool ? tool : ""));
	return o;
}

const char *
ps_rec_type(const json_t *rec)
{
	return ps_json_str(rec, "type");
}

/* One fwrite per value: json_dumpf writes token by token, which costs a
 * stdio call (and lock) per token. */
int
ps_json_write(FILE *out, const json_t *v, size_t flags)
{
	char stack[4096], *p = stack;
	size_t n = json_dumpb(v, stack, sizeof(stack), flags);
	int st = 0;

	if (n == 0)
		return -1;
	if (n > sizeof(stack)) {
		p = ps_xmalloc(n);
		if (json_dumpb(v, p, n, flags) != n)
			st = -1;
	}
	if (st == 0 && fwrite(p, 1, n, out) != n)
		st = -1;
	if (p != stack)
		free(p);
	return st;
}

int
ps_rec_write(FILE *out, const json_t *rec)
{
	if (ps_json_write(out, rec, PS_REC_JSON_FLAGS) != 0 ||
	    putc('\n', out) == EOF)
		return -1;
	if (__flbf(out) && fflush(out) == EOF)
		return -1;
	return ferror(out) ? -1 : 0;
}

/*
 * A JSON string from s; bytes that are not valid UTF-8 become U+FFFD, so
 * text read from arbitrary files never makes jansson refuse a value.
 */
json_t *
ps_json_string(const char *s)
{
	json_t *v = json_string(s);
	struct ps_buf b = {0};
	const unsigned char *p = (const unsigned char *)s;

	if (v)
		return v;
	while (*p) {
		size_t len = ps_utf8_len((const char *)p);

		if (len) {
			ps_buf_add(&b, p, len);
			p += len;
		} else {
			ps_buf_adds(&b, "\xef\xbf\xbd");
			p++;
		}
	}
	v = json_string(ps_buf_str(&b));
	ps_buf_free(&b);
	return v ? v : json_string("");
}

static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, ps_json_string(s));
}

static void
set_int(json_t *o, const char *key, int v)
{
	if (v > 0)
		json_object_set_new(o, key, json_integer(v));
}

json_t *
ps_finding_to_json(struct ps_finding *f)
{
	json_t *o = ps_rec_new("finding", f->tool ? f->tool : "ps-toolkit");
	size_t i;

	set_str(o, "rule", f->rule ? f->rule : "");
	set_str(o, "name", f->name);
	set_str(o, "severity", ps_severity_name(f->severity));
	set_str(o, "file", f->file);
	if (f->file)
		json_object_set_new(o, "line", json_integer(f->line > 0 ? f->line : 0));
	set_int(o, "column", f->col);
	set_int(o, "end_line", f->end_line);
	set_int(o, "end_column", f->end_col);
	set_str(o, "message", f->message ? f->message : "");
	set_str(o, "fix", f->fix);
	if (f->refs && f->refs[0]) {
		json_t *a = json_array();

		for (i = 0; f->refs[i]; i++)
			json_array_append_new(a, ps_json_string(f->refs[i]));
		json_object_set_new(o, "refs", a);
	}
	set_str(o, "snippet", f->snippet);
	set_str(o, "help", f->help);
	set_str(o, "help_uri", f->help_uri);
	set_str(o, "fingerprint", ps_finding_fingerprint(f));
	return o;
}

static char *
dup_field(const json_t *rec, const char *key)
{
	const char *s = ps_json_str(rec, key);

	return s ? ps_xstrdup(s) : NULL;
}

static int
int_field(const json_t *rec, const char *key)
{
	long long v;

	if (!ps_json_int(rec, key, &v) || v < 0)
		return 0;
	return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

struct ps_finding *
ps_finding_from_json(const json_t *rec, struct ps_error *err)
{
	struct ps_finding *f;
	const char *rule = ps_json_str(rec, "rule");
	const char *sev = ps_json_str(rec, "severity");
	const char *msg = ps_json_str(rec, "message");
	enum ps_severity s;
	json_t *refs;

	if (!json_is_object(rec))
		return ps_error_set(err, PS_EXIT_USAGE, "finding: not an object"),
		       NULL;
	if (!rule)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "finding: \"rule\" missing or not a string"),
		       NULL;
	if (!msg)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "finding: \"message\" missing or not a string"),
		       NULL;
	if (!sev)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "finding: \"severity\" missing or not a string"),
		       NULL;
	if (ps_severity_parse(sev, &s) < 0 || s == PS_SEV_NONE)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "finding: unknown severity \"%s\" (expected error, warning, info or style)",
				    sev),
		       NULL;
	f = ps_xcalloc(1, sizeof(*f));
	f->tool = dup_field(rec, "tool");
	f->rule = ps_xstrdup(rule);
	f->name = dup_field(rec, "name");
	f->severity = s;
	f->file = dup_field(rec, "file");
	f->line = int_field(rec, "line");
	f->col = int_field(rec, "column");
	f->end_line = int_field(rec, "end_line");
	f->end_col = int_field(rec, "end_column");
	f->message = ps_xstrdup(msg);
	f->fix = dup_field(rec, "fix");
	refs = json_object_get(rec, "refs");
	if (json_is_array(refs)) {
		size_t i;
		json_t *v;

		json_array_foreach(refs, i, v)
			if (json_is_string(v))
				ps_finding_add_ref(f, json_string_value(v));
	} else if (json_is_string(refs)) {
		ps_finding_add_ref(f, json_string_value(refs));
	}
	f->snippet = dup_field(rec, "snippet");
	f->help = dup_field(rec, "help");
	f->help_uri = dup_field(rec, "help_uri");
	f->fingerprint = dup_field(rec, "fingerprint");
	return f;
}

const char *
ps_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
ps_json_int(const json_t *obj, const char *key, long long *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_integer(v))
		return 0;
	*out = json_integer_value(v);
	return 1;
}

int
ps_json_num(const json_t *obj, const char *key, double *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

int
ps_json_bool(const json_t *obj, const char *key, int *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_boolean(v))
		return 0;
	*out = json_is_true(v);
	return 1;
}
