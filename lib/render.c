/*
 * render: the output formats of findings (diag.h) and the baseline.
 *
 * Every renderer streams except junit, which groups the findings by file
 * in its counts and so keeps them until close, and markdown, whose heading
 * line counts the findings above the table. sarif writes the results as
 * they come and the tool object (with one rule per distinct rule id) after
 * them, so its memory is bounded by the number of rules, not of findings.
 *
 * The line formats (text, json, github, gnu) write each finding into a
 * buffer first (ps_render_put), which lets the linters' worker threads do
 * that part; the json line is written directly, the same bytes as
 * records.c's jansson object (the unit tests compare the two).
 */
#include "diag.h"
#include "records.h"

#include <errno.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define JSON_FLAGS PS_REC_JSON_FLAGS

/* ---- a small string -> index map (open addressing) ---- */

struct map_ent {
	char *key;		/* NULL: free slot */
	size_t val;
};

struct map {
	struct map_ent *v;
	size_t cap;		/* a power of two, or 0 */
	size_t len;
};

static uint64_t
hash_str(const char *s, size_t n)
{
	return XXH3_64bits(s, n);
}

/* The free slot or the entry for key (n bytes) in m (m->cap > 0). */
static struct map_ent *
map_slot(const struct map *m, const char *key, size_t n)
{
	for (size_t i = hash_str(key, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct map_ent *e = &m->v[i];

		if (!e->key || (strncmp(e->key, key, n) == 0 && e->key[n] == '\0'))
			return e;
	}
}

/* The entry for key, created (with val) when absent; *created tells which. */
static struct map_ent *
map_get(struct map *m, const char *key, size_t val, int create, int *created)
{
	size_t n = strlen(key);
	struct map_ent *e;

	if (created)
		*created = 0;
	if (create && (m->len + 1) * 2 > m->cap) {
		/* twice the room: the keys move, they are not copied */
		struct map old = *m;

		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = ps_xcalloc(m->cap, sizeof(*m->v));
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].key)
				*map_slot(m, old.v[i].key, strlen(old.v[i].key)) = old.v[i];
		free(old.v);
	}
	if (!m->cap)
		return NULL;
	e = map_slot(m, key, n);
	if (!e->key) {
		if (!create)
			return NULL;
		e->key = ps_xstrndup(key, n);
		e->val = val;
		m->len++;
		if (created)
			*created = 1;
	}
	return e;
}

static void
map_free(struct map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- the renderer ---- */

struct file_stat {
	char *name;		/* "" for findings about no file */
	size_t n[PS_SEV_ERROR + 1];
};

struct rule_info {
	char *id, *name, *help, *help_uri, *message, *fix;
	char **refs;
	enum ps_severity sev;
};

/* What junit keeps of a finding until close. */
struct kept {
	size_t file;		/* index into files */
	char *rule, *message, *fix;
	enum ps_severity sev;
	int line, col;
};

struct ps_render {
	FILE *out;
	struct ps_render_opts o;
	enum ps_format fmt;
	size_t count[PS_SEV_ERROR + 1];
	size_t hidden, below, records, emitted;
	int fail;
	char *tool;		/* the tool of the findings, when only one */
	int mixed_tools;
	struct map file_map;
	struct file_stat *files;
	size_t nfiles, files_cap;
	size_t last_file;	/* the file of the finding counted last */
	struct map rule_map;	/* sarif */
	struct rule_info *rules;
	size_t nrules, rules_cap;
	struct kept *kept;	/* junit */
	size_t nkept, kept_cap;
	char *cur_file;		/* checkstyle: the open <file> */
	struct ps_buf md;	/* markdown table rows */
	struct ps_buf line;	/* the finding being written (streamed formats) */
};

static const char *
sev_word(enum ps_severity s, size_t n)
{
	switch (s) {
	case PS_SEV_ERROR:
		return n == 1 ? "error" : "errors";
	case PS_SEV_WARNING:
		return n == 1 ? "warning" : "warnings";
	case PS_SEV_INFO:
		return "info";
	default:
		return "style";
	}
}

/* "3 errors, 2 warnings" (no zero counts), or "no findings". */
static void
add_counts(struct ps_buf *b, const size_t *n)
{
	int s, any = 0;

	for (s = PS_SEV_ERROR; s >= PS_SEV_STYLE; s--) {
		if (!n[s])
			continue;
		ps_buf_addf(b, "%s%zu %s", any ? ", " : "", n[s],
			    sev_word((enum ps_severity)s, n[s]));
		any = 1;
	}
	if (!any)
		ps_buf_adds(b, "no findings");
}

static size_t
real_files(const struct ps_render *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].name[0])
			n++;
	return n;
}

/* The summary line: "3 errors, 2 warnings in 2 files (1 hidden by the baseline)" */
static void
summary_line(const struct ps_render *r, struct ps_buf *b)
{
	size_t nf = real_files(r);

	add_counts(b, r->count);
	if (nf)
		ps_buf_addf(b, " in %zu file%s", nf, nf == 1 ? "" : "s");
	if (r->hidden)
		ps_buf_addf(b, " (%zu hidden by the baseline)", r->hidden);
}

int
ps_render_summary(const struct ps_render *r, FILE *out)
{
	struct ps_buf b = {0};
	size_t i;

	summary_line(r, &b);
	ps_buf_addc(&b, '\n');
	if (real_files(r) > 1)
		for (i = 0; i < r->nfiles; i++) {
			if (!r->files[i].name[0])
				continue;
			ps_buf_addf(&b, "  %s: ", r->files[i].name);
			add_counts(&b, r->files[i].n);
			ps_buf_addc(&b, '\n');
		}
	fputs(ps_buf_str(&b), out);
	ps_buf_free(&b);
	return ferror(out) ? -1 : 0;
}

struct ps_render *
ps_render_open(FILE *out, const struct ps_render_opts *o)
{
	struct ps_render *r = ps_xcalloc(1, sizeof(*r));

	r->out = out;
	r->o = *o;
	r->fmt = o->format;
	if (r->fmt == PS_FMT_AUTO)
		r->fmt = isatty(fileno(out)) ? PS_FMT_TEXT : PS_FMT_JSON;
	if (r->fmt == PS_FMT_SARIF)
		fprintf(out, "{\"$schema\":\"%s\",\"version\":\"2.1.0\","
			"\"runs\":[{\"results\":[", SARIF_SCHEMA);
	else if (r->fmt == PS_FMT_CODECLIMATE)
		fputc('[', out);
	else if (r->fmt == PS_FMT_CHECKSTYLE)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<checkstyle version=\"4.3\">\n", out);
	return r;
}

enum ps_format
ps_render_format(const struct ps_render *r)
{
	return r->fmt;
}

/* ---- escaping ---- */

/* XML text or attribute value; control characters XML 1.0 cannot carry
 * and bytes that are not UTF-8 become U+FFFD. */
static void
put_xml(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80) {
			size_t n = ps_utf8_len(s);

			if (n) {
				fwrite(s, 1, n, out);
				s += n - 1;
			} else {
				fputs("\xef\xbf\xbd", out);
			}
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '\n': fputs("&#10;", out); break;
		case '\r': fputs("&#13;", out); break;
		case '\t': fputs("&#9;", out); break;
		default:
			if (c < 0x20)
				fputs("\xef\xbf\xbd", out);
			else
				putc(c, out);
		}
	}
}

/* GitHub workflow commands: data escapes % CR LF; properties also : and ,. */
static void
add_gh(struct ps_buf *b, const char *s, int property)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc;

		switch (*s) {
		case '%': esc = "%25"; break;
		case '\r': esc = "%0D"; break;
		case '\n': esc = "%0A"; break;
		case ':': esc = property ? "%3A" : NULL; break;
		case ',': esc = property ? "%2C" : NULL; break;
		default: esc = NULL;
		}
		if (!esc)
			continue;
		ps_buf_add(b, run, (size_t)(s - run));
		ps_buf_add(b, esc, 3);
		run = s + 1;
	}
	ps_buf_add(b, run, (size_t)(s - run));
}

/* A Markdown table cell: no line breaks, pipes and markup escaped, HTML inert. */
static void
add_md(struct ps_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '|': case '\\': case '*': case '_': case '`':
		case '[': case ']':
			ps_buf_addc(b, '\\');
			ps_buf_addc(b, *s);
			break;
		case '&': ps_buf_adds(b, "&amp;"); break;
		case '<': ps_buf_adds(b, "&lt;"); break;
		case '>': ps_buf_adds(b, "&gt;"); break;
		case '\r': break;
		case '\n': ps_buf_addc(b, ' '); break;
		default: ps_buf_addc(b, *s);
		}
	}
}

/* A path without leading "./", as SARIF and code quality want it. */
static const char *
rel_path(const char *p)
{
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	return p;
}

/* RFC 3986: keep unreserved characters and "/", percent-encode the rest. */
static void
add_uri_path(struct ps_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c))
			ps_buf_addc(b, (char)c);
		else {
			ps_buf_addc(b, '%');
			ps_buf_addc(b, hex[c >> 4]);
			ps_buf_addc(b, hex[c & 15]);
		}
	}
}

/* ---- per-format writers ---- */

static void
write_json_obj(struct ps_render *r, json_t *o)
{
	ps_json_write(r->out, o, JSON_FLAGS);
	json_decref(o);
}

static json_t *
str_obj(const char *key, const char *s)
{
	json_t *o = json_object();

	json_object_set_new(o, key, ps_json_string(s));
	return o;
}

static const char *
sarif_level(enum ps_severity s)
{
	return s == PS_SEV_ERROR ? "error" : s == PS_SEV_WARNING ? "warning" :
	       "note";
}

static size_t
sarif_rule(struct ps_render *r, const struct ps_finding *f)
{
	const char *id = f->rule ? f->rule : "";
	int created;
	struct map_ent *e = map_get(&r->rule_map, id, r->nrules, 1, &created);
	struct rule_info *ri;
	size_t i;

	if (!created)
		return e->val;
	ps_xgrow(&r->rules, &r->rules_cap, r->nrules + 1, sizeof(*r->rules));
	ri = &r->rules[r->nrules++];
	memset(ri, 0, sizeof(*ri));
	ri->id = ps_xstrdup(id);
	ri->name = f->name ? ps_xstrdup(f->name) : NULL;
	ri->help = f->help ? ps_xstrdup(f->help) : NULL;
	ri->help_uri = f->help_uri ? ps_xstrdup(f->help_uri) : NULL;
	ri->message = ps_xstrdup(f->message ? f->message : "");
	ri->fix = f->fix ? ps_xstrdup(f->fix) : NULL;
	ri->sev = f->severity;
	for (i = 0; f->refs && f->refs[i]; i++)
		;
	if (i) {
		ri->refs = ps_xcalloc(i + 1, sizeof(*ri->refs));
		for (i = 0; f->refs[i]; i++)
			ri->refs[i] = ps_xstrdup(f->refs[i]);
	}
	return e->val;
}

static void
sarif_result(struct ps_render *r, struct ps_finding *f)
{
	json_t *res = json_object(), *loc, *phys, *art, *region, *fp;
	size_t idx = sarif_rule(r, f);
	struct ps_buf uri = {0};

	json_object_set_new(res, "ruleId", ps_json_string(f->rule ? f->rule : ""));
	json_object_set_new(res, "ruleIndex", json_integer((json_int_t)idx));
	json_object_set_new(res, "level", json_string(sarif_level(f->severity)));
	json_object_set_new(res, "message",
			    str_obj("text", f->message ? f->message : ""));
	if (f->file && strcmp(f->file, "-") != 0) {
		const char *p = rel_path(f->file);

		art = json_object();
		if (p[0] == '/') {
			ps_buf_adds(&uri, "file://");
			add_uri_path(&uri, p);
			json_object_set_new(art, "uri", ps_json_string(ps_buf_str(&uri)));
		} else {
			add_uri_path(&uri, p);
			json_object_set_new(art, "uri", ps_json_string(ps_buf_str(&uri)));
			json_object_set_new(art, "uriBaseId", json_string("%SRCROOT%"));
		}
		phys = json_object();
		json_object_set_new(phys, "artifactLocation", art);
		if (f->line >= 1) {
			region = json_object();
			json_object_set_new(region, "startLine", json_integer(f->line));
			if (f->col >= 1)
				json_object_set_new(region, "startColumn",
						    json_integer(f->col));
			if (f->end_line >= f->line)
				json_object_set_new(region, "endLine",
						    json_integer(f->end_line));
			if (f->end_col >= 1 &&
			    (f->end_line > f->line || f->end_col > f->col))
				json_object_set_new(region, "endColumn",
						    json_integer(f->end_col));
			json_object_set_new(phys, "region", region);
		}
		loc = json_object();
		json_object_set_new(loc, "physicalLocation", phys);
		json_object_set_new(res, "locations", json_pack("[o]", loc));
	}
	fp = json_object();
	json_object_set_new(fp, "psFingerprint/v2",
			    json_string(ps_finding_fingerprint(f)));
	json_object_set_new(res, "partialFingerprints", fp);
	ps_buf_free(&uri);
	fputs(r->emitted ? ",\n" : "\n", r->out);
	write_json_obj(r, res);
}

/* "duplicated-key" -> "Duplicated key" */
static char *
humanise(const char *name)
{
	char *s = ps_xstrdup(name);
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] == '-' || s[i] == '_')
			s[i] = ' ';
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

static json_t *
sarif_rule_json(const struct rule_info *ri)
{
	json_t *o = json_object(), *help = json_object(), *cfg = json_object();
	struct ps_buf text = {0}, md = {0};
	char *shortd = ri->name ? humanise(ri->name) : ps_xstrdup(ri->message);
	/* the rule's help, or words that fit every finding of the rule */
	const char *desc = ri->help ? ri->help : shortd;
	size_t i;

	json_object_set_new(o, "id", ps_json_string(ri->id));
	json_object_set_new(o, "name", ps_json_string(ri->name ? ri->name : ri->id));
	json_object_set_new(o, "shortDescription", str_obj("text", shortd));
	json_object_set_new(o, "fullDescription",
			    str_obj("text", desc));
	ps_buf_adds(&text, desc);
	ps_buf_adds(&md, desc);
	if (ri->fix) {
		ps_buf_addf(&text, "\n\nFix: %s", ri->fix);
		ps_buf_addf(&md, "\n\n**Fix:** %s", ri->fix);
	}
	if (ri->refs) {
		ps_buf_adds(&text, "\n\nEquivalent rules:");
		ps_buf_adds(&md, "\n\n**Equivalent rules:**");
		for (i = 0; ri->refs[i]; i++) {
			ps_buf_addf(&text, "%s %s", i ? "," : "", ri->refs[i]);
			ps_buf_addf(&md, "%s `%s`", i ? "," : "", ri->refs[i]);
		}
	}
	json_object_set_new(help, "text", ps_json_string(ps_buf_str(&text)));
	json_object_set_new(help, "markdown", ps_json_string(ps_buf_str(&md)));
	json_object_set_new(o, "help", help);
	if (ri->help_uri)
		json_object_set_new(o, "helpUri", ps_json_string(ri->help_uri));
	json_object_set_new(cfg, "level", json_string(sarif_level(ri->sev)));
	json_object_set_new(o, "defaultConfiguration", cfg);
	ps_buf_free(&text);
	ps_buf_free(&md);
	free(shortd);
	return o;
}

static const char *
tool_name(const struct ps_render *r)
{
	if (r->o.tool)
		return r->o.tool;
	if (r->tool && !r->mixed_tools)
		return r->tool;
	return "ps-toolkit";
}

static void
sarif_close(struct ps_render *r)
{
	json_t *driver = json_object(), *rules = json_array(), *tool;
	size_t i;

	json_object_set_new(driver, "name", ps_json_string(tool_name(r)));
	json_object_set_new(driver, "version",
			    ps_json_string(r->o.tool_version ? r->o.tool_version :
					   PS_VERSION));
#ifdef PS_INFO_URI
	json_object_set_new(driver, "informationUri", json_string(PS_INFO_URI));
#endif
	for (i = 0; i < r->nrules; i++)
		json_array_append_new(rules, sarif_rule_json(&r->rules[i]));
	json_object_set_new(driver, "rules", rules);
	tool = json_object();
	json_object_set_new(tool, "driver", driver);
	fputs(r->emitted ? "\n],\"tool\":" : "],\"tool\":", r->out);
	write_json_obj(r, tool);
	fputs("}]}\n", r->out);
}

static void
github_finding(struct ps_buf *b, const struct ps_finding *f)
{
	const char *cmd = f->severity == PS_SEV_ERROR ? "error" :
			  f->severity == PS_SEV_WARNING ? "warning" : "notice";
	const char *sep = " ";

	ps_buf_adds(b, "::");
	ps_buf_adds(b, cmd);
	if (f->file) {
		ps_buf_adds(b, " file=");
		add_gh(b, rel_path(f->file), 1);
		sep = ",";
		if (f->line > 0) {
			ps_buf_addf(b, ",line=%d", f->line);
			if (f->col > 0)
				ps_buf_addf(b, ",col=%d", f->col);
			if (f->end_line >= f->line)
				ps_buf_addf(b, ",endLine=%d", f->end_line);
			if (f->end_col > 0)
				ps_buf_addf(b, ",endColumn=%d", f->end_col);
		}
	}
	if (f->rule && *f->rule) {
		ps_buf_adds(b, sep);
		ps_buf_adds(b, "title=");
		add_gh(b, f->rule, 1);
	}
	ps_buf_adds(b, "::");
	add_gh(b, f->message ? f->message : "", 0);
	ps_buf_addc(b, '\n');
}

static void
checkstyle_finding(struct ps_render *r, const struct ps_finding *f)
{
	FILE *out = r->out;
	const char *file = f->file ? f->file : "-";
	static const char *const sev[] = {
		[PS_SEV_NONE] = "info", [PS_SEV_STYLE] = "info",
		[PS_SEV_INFO] = "info", [PS_SEV_WARNING] = "warning",
		[PS_SEV_ERROR] = "error",
	};

	if (!r->cur_file || strcmp(r->cur_file, file) != 0) {
		if (r->cur_file)
			fputs("</file>\n", out);
		free(r->cur_file);
		r->cur_file = ps_xstrdup(file);
		fputs("<file name=\"", out);
		put_xml(out, file);
		fputs("\">\n", out);
	}
	fputs("<error", out);
	if (f->line > 0)
		fprintf(out, " line=\"%d\"", f->line);
	if (f->col > 0)
		fprintf(out, " column=\"%d\"", f->col);
	fprintf(out, " severity=\"%s\" message=\"", sev[f->severity]);
	put_xml(out, f->message ? f->message : "");
	fputs("\" source=\"", out);
	put_xml(out, f->rule ? f->rule : "");
	fputs("\"/>\n", out);
}

static void
codeclimate_finding(struct ps_render *r, struct ps_finding *f)
{
	static const char *const sev[] = {
		[PS_SEV_NONE] = "info", [PS_SEV_STYLE] = "info",
		[PS_SEV_INFO] = "minor", [PS_SEV_WARNING] = "major",
		[PS_SEV_ERROR] = "critical",
	};
	json_t *o = json_object(), *loc = json_object(), *lines = json_object();

	json_object_set_new(o, "type", json_string("issue"));
	json_object_set_new(o, "check_name", ps_json_string(f->rule ? f->rule : ""));
	json_object_set_new(o, "description",
			    ps_json_string(f->message ? f->message : ""));
	json_object_set_new(o, "severity", json_string(sev[f->severity]));
	json_object_set_new(o, "fingerprint",
			    json_string(ps_finding_fingerprint(f)));
	json_object_set_new(loc, "path",
			    ps_json_string(f->file ? rel_path(f->file) : "-"));
	json_object_set_new(lines, "begin", json_integer(f->line > 0 ? f->line : 1));
	if (f->end_line >= f->line && f->line > 0)
		json_object_set_new(lines, "end", json_integer(f->end_line));
	json_object_set_new(loc, "lines", lines);
	json_object_set_new(o, "location", loc);
	fputs(r->emitted ? ",\n" : "\n", r->out);
	write_json_obj(r, o);
}

/* file:line:col, or the GNU ranges line.col-line.col, line.col-col, line-line */
static void
gnu_finding(struct ps_buf *b, const struct ps_finding *f)
{
	int l = f->line, c = f->col, el = f->end_line, ec = f->end_col;

	if (f->file) {
		ps_diag_add_clean(b, f->file);
		ps_buf_addc(b, ':');
	}
	if (l > 0) {
		if (c > 0 && ec > 0 && el == l && ec > c)
			ps_buf_addf(b, "%d.%d-%d:", l, c, ec);
		else if (c > 0 && ec > 0 && el > l)
			ps_buf_addf(b, "%d.%d-%d.%d:", l, c, el, ec);
		else if (el > l)
			ps_buf_addf(b, "%d-%d:", l, el);
		else if (c > 0)
			ps_buf_addf(b, "%d:%d:", l, c);
		else
			ps_buf_addf(b, "%d:", l);
	}
	if (f->file || l > 0)
		ps_buf_addc(b, ' ');
	ps_buf_adds(b, f->severity == PS_SEV_ERROR ? "error: " :
		    f->severity == PS_SEV_WARNING ? "warning: " :
		    f->severity == PS_SEV_INFO ? "info: " : "note: ");
	ps_diag_add_clean(b, f->message ? f->message : "");
	if (f->rule && *f->rule) {
		ps_buf_add(b, " [", 2);
		ps_diag_add_clean(b, f->rule);
		ps_buf_addc(b, ']');
	}
	ps_buf_addc(b, '\n');
}

/*
 * The JSON line of a finding: the bytes ps_rec_write writes for
 * ps_finding_to_json(f) (records.c; the unit tests compare the two),
 * without building a jansson object for each finding.
 */

/* s as a JSON string. Printable ASCII is written as is, with the two
 * mandatory escapes (\" and \\) that jansson writes too; any other string
 * (control characters, UTF-8, invalid bytes) goes through jansson, which
 * escapes it and replaces bytes that are not UTF-8 (ps_json_string). */
#ifdef __SSE2__
/* Of the 16 bytes at p, those JSON does not take as they are: a bit each.
 * A byte below 0x20 or from 0x80 up is small or negative as a signed
 * char, so one signed comparison finds both. */
static inline unsigned
json_stops16(const char *p)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i m = _mm_or_si128(
		_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/*
 * The length of the prefix of s[0..n) that JSON takes as it is: printable
 * ASCII but '"' and '\\'. Sixteen bytes a step where SSE2 is (x86-64
 * always), the last few one by one. (json_str's usual case does not come
 * here: a string with nothing to escape is checked where it landed.)
 */
static size_t
json_plain_span(const char *s, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	unsigned bits;

	for (; i + 16 <= n; i += 16)
		if ((bits = json_stops16(s + i)) != 0)
			return i + (size_t)__builtin_ctz(bits);
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			break;
	}
	return i;
}

/* s as a JSON string: plain ASCII here, anything else through jansson */
static void
json_str(struct ps_buf *b, const char *s)
{
	size_t start = b->len, n = strlen(s), i = 0, k;
	json_t *v;
	char stack[512], *out = stack;

#ifdef __SSE2__
	{
		/* Most strings have nothing to escape: copied at once and
		 * checked where they landed, 16 zero bytes after (a stop, and
		 * room, so that no load passes what the buffer holds). */
		char *d;
		unsigned bits;

		if (b->len + n + 19 > b->cap)
			ps_buf_reserve(b, n + 18);
		d = b->data + b->len;
		*d++ = '"';
		memcpy(d, s, n);
		memset(d + n, 0, 16);
		for (k = 0; (bits = json_stops16(d + k)) == 0; k += 16)
			;
		k += (size_t)__builtin_ctz(bits);
		if (k == n) {
			d[n] = '"';
			b->len += n + 2;
			b->data[b->len] = '\0';
			return;
		}
		/* the quote and the plain part; the rest as below */
		b->len += 1 + k;
		b->data[b->len] = '\0';
		i = k;
	}
#else
	ps_buf_reserve(b, n + 2);
	ps_buf_addc(b, '"');
#endif
	for (;;) {
		k = i + json_plain_span(s + i, n - i);
		ps_buf_add(b, s + i, k - i);
		if (k == n)
			break;
		if (s[k] != '"' && s[k] != '\\')
			goto not_plain;
		ps_buf_addc(b, '\\');
		ps_buf_addc(b, s[k]);
		i = k + 1;
	}
	ps_buf_addc(b, '"');
	return;
not_plain:
	/* not plain ASCII: jansson writes the whole string */
	b->len = start;
	v = ps_json_string(s);
	n = json_dumpb(v, stack, sizeof(stack), JSON_FLAGS | JSON_ENCODE_ANY);
	if (n > sizeof(stack)) {
		out = ps_xmalloc(n);
		n = json_dumpb(v, out, n, JSON_FLAGS | JSON_ENCODE_ANY);
	}
	ps_buf_add(b, out, n);
	if (out != stack)
		free(out);
	json_decref(v);
}

/* a non-negative int as decimal text */
static void
json_uint(struct ps_buf *b, int v)
{
	char tmp[16];
	size_t n = sizeof(tmp);
	unsigned u = v > 0 ? (unsigned)v : 0;

	do {
		tmp[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	ps_buf_add(b, tmp + n, sizeof(tmp) - n);
}

/* key_colon is the literal ,"key": (KEY() below) */
#define KEY(k) ",\"" k "\":", sizeof(",\"" k "\":") - 1

/* ,"key":"s" when s is set */
static void
json_field(struct ps_buf *b, const char *key_colon, size_t klen,
	   const char *s)
{
	if (!s)
		return;
	ps_buf_add(b, key_colon, klen);
	json_str(b, s);
}

/* ,"key":v when v > 0 */
static void
json_int(struct ps_buf *b, const char *key_colon, size_t klen, int v)
{
	if (v <= 0)
		return;
	ps_buf_add(b, key_colon, klen);
	json_uint(b, v);
}

/*
 * The head of a finding's line (type, tool, rule, name, severity) is the
 * same for every finding of a rule: a linter writes thousands of lines
 * from a few dozen heads. Each thread keeps the heads it wrote last, with
 * the strings they were written from, and a finding whose strings are the
 * same (compared, not trusted by address) takes its head from there.
 */
struct json_head {
	int sev;
	unsigned short len;	/* of bytes; 0: empty */
	char tool[40], rule[32], name[72];
	char bytes[256];
};

/* A field's JSON text kept with the string it was made from, compared
 * before it is taken: findings repeat their file (they come file by file)
 * and their rule's help. */
struct json_memo {
	unsigned short len;	/* of bytes; 0: empty */
	char s[256];
	char bytes[512];
};

/* A thread's heads and memos (some 40 KB): on the heap, allocated when the
 * thread first writes a JSON line, rather than thread-local storage that
 * every new thread's creator clears. */
struct json_memos {
	struct json_head heads[64];
	struct json_memo file, help[16];
};

static _Thread_local struct json_memos *json_memos;

static struct json_memos *
memos(void)
{
	if (!json_memos)
		json_memos = ps_xcalloc(1, sizeof(*json_memos));
	return json_memos;
}

void
ps_render_thread_release(void)
{
	free(json_memos);
	json_memos = NULL;
}

/* s into dst (room n) when it fits: 1, else 0 */
static int
head_key(char *dst, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (l >= n)
		return 0;
	memcpy(dst, s, l + 1);
	return 1;
}

static void
json_head(struct ps_buf *b, const struct ps_finding *f)
{
	static const char head[] = "{\"type\":\"finding\",\"tool\":";
	const char *tool = f->tool ? f->tool : "ps-toolkit";
	const char *rule = f->rule ? f->rule : "";
	const char *name = f->name ? f->name : "";
	/* an empty name is written, no name is not: only the latter is kept
	 * and taken (both are "" here) */
	int keep = !(f->name && !*f->name);
	struct json_head *h = &memos()->heads[(((uintptr_t)f->rule ^
					    (uintptr_t)f->name >> 4 ^ (unsigned)f->severity) *
					   0x9e3779b97f4a7c15u) >> 58];
	size_t start = b->len;

	if (h->len && h->sev == (int)f->severity &&
	    strcmp(h->rule, rule) == 0 && strcmp(h->name, name) == 0 &&
	    strcmp(h->tool, tool) == 0 && keep) {
		ps_buf_add(b, h->bytes, h->len);
		return;
	}
	ps_buf_add(b, head, sizeof(head) - 1);
	json_str(b, tool);
	json_field(b, KEY("rule"), rule);
	json_field(b, KEY("name"), f->name);
	json_field(b, KEY("severity"), ps_severity_name(f->severity));
	h->len = 0;
	if (keep && b->len - start <= sizeof(h->bytes) &&
	    head_key(h->tool, sizeof(h->tool), tool) &&
	    head_key(h->rule, sizeof(h->rule), rule) &&
	    head_key(h->name, sizeof(h->name), name)) {
		memcpy(h->bytes, b->data + start, b->len - start);
		h->len = (unsigned short)(b->len - start);
		h->sev = (int)f->severity;
	}
}

/* ,"key":"s" when s is set, through the memo m */
static void
json_field_memo(struct ps_buf *b, struct json_memo *m, const char *key_colon,
		size_t klen, const char *s)
{
	size_t start = b->len;

	if (!s)
		return;
	if (m->len && strcmp(m->s, s) == 0) {
		ps_buf_add(b, m->bytes, m->len);
		return;
	}
	json_field(b, key_colon, klen, s);
	m->len = 0;
	if (b->len - start <= sizeof(m->bytes) && head_key(m->s, sizeof(m->s), s)) {
		memcpy(m->bytes, b->data + start, b->len - start);
		m->len = (unsigned short)(b->len - start);
	}
}

static void
json_finding(struct ps_buf *b, struct ps_finding *f)
{
	struct json_memos *m = memos();
	size_t i;

	json_head(b, f);
	json_field_memo(b, &m->file, KEY("file"), f->file);
	if (f->file) {
		ps_buf_add(b, KEY("line"));
		json_uint(b, f->line);
	}
	json_int(b, KEY("column"), f->col);
	json_int(b, KEY("end_line"), f->end_line);
	json_int(b, KEY("end_column"), f->end_col);
	json_field(b, KEY("message"), f->message ? f->message : "");
	json_field(b, KEY("fix"), f->fix);
	if (f->refs && f->refs[0]) {
		ps_buf_add(b, KEY("refs"));
		ps_buf_addc(b, '[');
		for (i = 0; f->refs[i]; i++) {
			if (i)
				ps_buf_addc(b, ',');
			json_str(b, f->refs[i]);
		}
		ps_buf_addc(b, ']');
	}
	json_field(b, KEY("snippet"), f->snippet);
	json_field_memo(b, &m->help[((uintptr_t)f->help >> 4) % PS_ARRAY_LEN(m->help)],
			KEY("help"), f->help);
	json_field(b, KEY("help_uri"), f->help_uri);
	if (ps_finding_fingerprint(f) == f->fp) {
		/* computed: 16 hex digits, nothing to escape */
		ps_buf_add(b, KEY("fingerprint"));
		ps_buf_addc(b, '"');
		ps_buf_add(b, f->fp, 16);
		ps_buf_addc(b, '"');
	} else {
		json_field(b, KEY("fingerprint"), f->fingerprint);
	}
	ps_buf_add(b, "}\n", 2);
}

#undef KEY

static void
markdown_finding(struct ps_render *r, const struct ps_finding *f)
{
	struct ps_buf *b = &r->md;

	ps_buf_addf(b, "| %s | ", ps_severity_name(f->severity));
	add_md(b, f->rule ? f->rule : "");
	ps_buf_adds(b, " | ");
	add_md(b, f->file ? f->file : "");
	ps_buf_adds(b, " | ");
	if (f->line > 0)
		ps_buf_addf(b, "%d", f->line);
	ps_buf_adds(b, " | ");
	add_md(b, f->message ? f->message : "");
	ps_buf_adds(b, " |\n");
}

static void
markdown_close(struct ps_render *r)
{
	struct ps_buf head = {0};

	fprintf(r->out, "### %s\n\n", tool_name(r));
	if (!r->md.len) {
		fputs("No findings.", r->out);
		if (r->hidden)
			fprintf(r->out, " (%zu hidden by the baseline)", r->hidden);
		fputs("\n", r->out);
		return;
	}
	summary_line(r, &head);
	fprintf(r->out, "**%s**\n\n", ps_buf_str(&head));
	fputs("| Severity | Rule | File | Line | Message |\n"
	      "| --- | --- | --- | ---: | --- |\n", r->out);
	fputs(ps_buf_str(&r->md), r->out);
	ps_buf_free(&head);
}

static void
junit_keep(struct ps_render *r, const struct ps_finding *f, size_t file)
{
	struct kept *k;

	ps_xgrow(&r->kept, &r->kept_cap, r->nkept + 1, sizeof(*r->kept));
	k = &r->kept[r->nkept++];
	k->file = file;
	k->rule = ps_xstrdup(f->rule ? f->rule : "");
	k->message = ps_xstrdup(f->message ? f->message : "");
	k->fix = f->fix ? ps_xstrdup(f->fix) : NULL;
	k->sev = f->severity;
	k->line = f->line;
	k->col = f->col;
}

static size_t
sum(const size_t *n)
{
	return n[PS_SEV_STYLE] + n[PS_SEV_INFO] + n[PS_SEV_WARNING] +
	       n[PS_SEV_ERROR];
}

static void
junit_testcase(FILE *out, const char *file, const struct kept *k)
{
	fputs("    <testcase classname=\"", out);
	put_xml(out, file);
	fputs("\" name=\"", out);
	put_xml(out, k->rule);
	if (k->line > 0)
		fprintf(out, " at line %d", k->line);
	if (k->col > 0)
		fprintf(out, ", column %d", k->col);
	fputs("\" file=\"", out);
	put_xml(out, file);
	fputc('"', out);
	if (k->line > 0)
		fprintf(out, " line=\"%d\"", k->line);
	fputs(" time=\"0\">\n      <failure message=\"", out);
	put_xml(out, k->message);
	fprintf(out, "\" type=\"%s\">", ps_severity_name(k->sev));
	put_xml(out, file);
	if (k->line > 0)
		fprintf(out, ":%d", k->line);
	if (k->col > 0)
		fprintf(out, ":%d", k->col);
	fprintf(out, ": %s: ", ps_severity_name(k->sev));
	put_xml(out, k->message);
	fputs(" [", out);
	put_xml(out, k->rule);
	fputs("]", out);
	if (k->fix) {
		fputs("&#10;fix: ", out);
		put_xml(out, k->fix);
	}
	fputs("</failure>\n    </testcase>\n", out);
}

static void
junit_close(struct ps_render *r)
{
	FILE *out = r->out;
	const char *tool = tool_name(r);
	size_t total = r->nkept, i, *start, *order;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", out);
	put_xml(out, tool);
	if (!total) {
		fputs("\" tests=\"1\" failures=\"0\" errors=\"0\" time=\"0\">\n"
		      "  <testsuite name=\"", out);
		put_xml(out, tool);
		fputs("\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
		      "    <testcase classname=\"", out);
		put_xml(out, tool);
		fputs("\" name=\"no findings\" time=\"0\"/>\n"
		      "  </testsuite>\n</testsuites>\n", out);
		return;
	}
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"0\">\n",
		total, total);
	/* bucket the kept findings by file, keeping their order */
	start = ps_xcalloc(r->nfiles + 1, sizeof(*start));
	order = ps_xmalloc(total * sizeof(*order));
	for (i = 0; i < total; i++)
		start[r->kept[i].file + 1]++;
	for (i = 0; i < r->nfiles; i++)
		start[i + 1] += start[i];
	for (i = 0; i < total; i++)
		order[start[r->kept[i].file]++] = i;
	for (i = 0; i < r->nfiles; i++) {
		const struct file_stat *fs = &r->files[i];
		const char *name = fs->name[0] ? fs->name : tool;
		size_t n = sum(fs->n), j, first = start[i] - n;

		if (!n)
			continue;
		fputs("  <testsuite name=\"", out);
		put_xml(out, name);
		fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
			"skipped=\"0\" time=\"0\">\n", n, n);
		for (j = first; j < start[i]; j++)
			junit_testcase(out, name, &r->kept[order[j]]);
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
	free(start);
	free(order);
}

static void
prom_close(struct ps_render *r)
{
	int s;

	fputs("# HELP ps_findings Findings shown, by severity.\n"
	      "# TYPE ps_findings gauge\n", r->out);
	for (s = PS_SEV_ERROR; s >= PS_SEV_STYLE; s--)
		fprintf(r->out, "ps_findings{severity=\"%s\"} %zu\n",
			ps_severity_name((enum ps_severity)s), r->count[s]);
	fprintf(r->out, "# HELP ps_findings_hidden Findings hidden by the baseline.\n"
		"# TYPE ps_findings_hidden gauge\nps_findings_hidden %zu\n",
		r->hidden);
}

/* ---- the public interface ---- */

static size_t
count_file(struct ps_render *r, const char *file, enum ps_severity sev)
{
	const char *name = file ? file : "";
	int created;
	struct map_ent *e;

	/* findings come file by file: most are about the previous one's file */
	if (r->nfiles && strcmp(r->files[r->last_file].name, name) == 0) {
		r->files[r->last_file].n[sev]++;
		return r->last_file;
	}
	e = map_get(&r->file_map, name, r->nfiles, 1, &created);
	if (created) {
		ps_xgrow(&r->files, &r->files_cap, r->nfiles + 1,
			 sizeof(*r->files));
		memset(&r->files[r->nfiles], 0, sizeof(*r->files));
		r->files[r->nfiles++].name = ps_xstrdup(name);
	}
	r->files[e->val].n[sev]++;
	r->last_file = e->val;
	return e->val;
}

static void
note_tool(struct ps_render *r, const char *tool)
{
	if (!tool || r->mixed_tools)
		return;
	if (!r->tool)
		r->tool = ps_xstrdup(tool);
	else if (strcmp(r->tool, tool) != 0)
		r->mixed_tools = 1;
}

/* The formats whose findings are written one by one, without state. */
static int
streamed(enum ps_format fmt)
{
	return fmt == PS_FMT_TEXT || fmt == PS_FMT_JSON ||
	       fmt == PS_FMT_GITHUB || fmt == PS_FMT_GNU;
}

static enum ps_severity
valid_sev(enum ps_severity s)
{
	return s < PS_SEV_STYLE || s > PS_SEV_ERROR ? PS_SEV_ERROR : s;
}

/* Count n findings that are shown, not by file. */
static void
count_shown(struct ps_render *r, const char *tool, enum ps_severity sev, size_t n)
{
	r->count[sev] += n;
	if (r->o.fail_on != PS_SEV_NONE && sev >= r->o.fail_on)
		r->fail = 1;
	note_tool(r, tool);
}

/* Count a finding that is shown; returns its file's index. */
static size_t
account(struct ps_render *r, const char *tool, const char *file,
	enum ps_severity sev)
{
	count_shown(r, tool, sev, 1);
	return count_file(r, file, sev);
}

/* Count a finding handed over apart (ps_render_emit, _take, _take_group):
 * by file too only where the renderer's own summary tells the files (text
 * output), not for the thousands of files a linter's JSON lines name. */
static void
account_apart(struct ps_render *r, const char *tool, const char *file,
	      enum ps_severity sev, size_t n)
{
	count_shown(r, tool, sev, n);
	if (r->fmt == PS_FMT_TEXT && r->o.summary) {
		/* (count_file counts one, and may move r->files) */
		size_t k = count_file(r, file, sev);

		r->files[k].n[sev] += n - 1;
	}
}

static int
write_streamed(struct ps_render *r, const char *bytes, size_t n)
{
	r->emitted++;
	return ps_render_write(r, bytes, n);
}

int
ps_render_apart(const struct ps_render *r)
{
	return streamed(r->fmt) && !r->o.baseline;
}

void
ps_render_put(const struct ps_render *r, struct ps_buf *b,
	      struct ps_finding *f)
{
	f->severity = valid_sev(f->severity);
	switch (r->fmt) {
	case PS_FMT_JSON:
		json_finding(b, f);
		break;
	case PS_FMT_GITHUB:
		github_finding(b, f);
		break;
	case PS_FMT_GNU:
		gnu_finding(b, f);
		break;
	case PS_FMT_TEXT:
		ps_finding_format(b, f, r->o.color);
		break;
	default:
		break;
	}
}

int
ps_render_take(struct ps_render *r, const char *tool, const char *file,
	       enum ps_severity sev)
{
	sev = valid_sev(sev);
	if (sev < r->o.min_severity) {
		r->below++;
		return 0;
	}
	account_apart(r, tool, file, sev, 1);
	r->emitted++;
	return 1;
}

int
ps_render_take_group(struct ps_render *r, const char *tool, const char *file,
		     const size_t nsev[PS_SEV_ERROR + 1])
{
	for (int s = 0; s <= PS_SEV_ERROR; s++)
		if (nsev[s] && valid_sev((enum ps_severity)s) < r->o.min_severity)
			return 0;
	for (int s = 0; s <= PS_SEV_ERROR; s++) {
		if (!nsev[s])
			continue;
		account_apart(r, tool, file, valid_sev((enum ps_severity)s), nsev[s]);
		r->emitted += nsev[s];
	}
	return 1;
}

int
ps_render_write(struct ps_render *r, const char *bytes, size_t n)
{
	if (n && fwrite(bytes, 1, n, r->out) != n)
		return -1;
	/* a line-buffered json stream gets each record at once (ps_rec_write) */
	if (r->fmt == PS_FMT_JSON && __flbf(r->out) && fflush(r->out) == EOF)
		return -1;
	return ferror(r->out) ? -1 : 0;
}

int
ps_render_emit(struct ps_render *r, const char *tool, const char *file,
	       enum ps_severity sev, const char *bytes, size_t n)
{
	sev = valid_sev(sev);
	if (sev < r->o.min_severity) {
		r->below++;
		return 0;
	}
	account_apart(r, tool, file, sev, 1);
	return write_streamed(r, bytes, n);
}

int
ps_render_finding(struct ps_render *r, struct ps_finding *f)
{
	size_t file;

	f->severity = valid_sev(f->severity);
	if (f->severity < r->o.min_severity) {
		r->below++;
		return 0;
	}
	if (r->o.baseline && ps_baseline_take(r->o.baseline, f)) {
		r->hidden++;
		return 0;
	}
	file = account(r, f->tool, f->file, f->severity);
	if (streamed(r->fmt)) {
		ps_buf_reset(&r->line);
		ps_render_put(r, &r->line, f);
		return write_streamed(r, r->line.data, r->line.len);
	}
	switch (r->fmt) {
	case PS_FMT_SARIF:
		sarif_result(r, f);
		break;
	case PS_FMT_JUNIT:
		junit_keep(r, f, file);
		break;
	case PS_FMT_CHECKSTYLE:
		checkstyle_finding(r, f);
		break;
	case PS_FMT_CODECLIMATE:
		codeclimate_finding(r, f);
		break;
	case PS_FMT_MARKDOWN:
		markdown_finding(r, f);
		break;
	default:
		break;
	}
	r->emitted++;
	return ferror(r->out) ? -1 : 0;
}

int
ps_render_record(struct ps_render *r, void *json_record)
{
	r->records++;
	if (r->fmt == PS_FMT_JSON && json_record)
		return ps_rec_write(r->out, json_record);
	return 0;
}

size_t
ps_render_count(const struct ps_render *r, enum ps_severity sev)
{
	if ((unsigned)sev > PS_SEV_ERROR)
		return 0;
	if (sev == PS_SEV_NONE)
		return sum(r->count);
	return r->count[sev];
}

size_t
ps_render_hidden(const struct ps_render *r)
{
	return r->hidden;
}

int
ps_render_close(struct ps_render *r)
{
	int status;
	size_t i, j;

	if (!r)
		return 0;
	switch (r->fmt) {
	case PS_FMT_SARIF:
		sarif_close(r);
		break;
	case PS_FMT_JUNIT:
		junit_close(r);
		break;
	case PS_FMT_CHECKSTYLE:
		if (r->cur_file)
			fputs("</file>\n", r->out);
		fputs("</checkstyle>\n", r->out);
		break;
	case PS_FMT_CODECLIMATE:
		fputs(r->emitted ? "\n]\n" : "]\n", r->out);
		break;
	case PS_FMT_MARKDOWN:
		markdown_close(r);
		break;
	case PS_FMT_PROM:
		prom_close(r);
		break;
	case PS_FMT_TEXT:
		if (r->o.summary)
			ps_render_summary(r, r->out);
		break;
	default:
		break;
	}
	fflush(r->out);
	ps_render_thread_release();
	status = ferror(r->out) ? PS_EXIT_OPER : r->fail ? PS_EXIT_FAIL : PS_EXIT_OK;
	map_free(&r->file_map);
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i].name);
	free(r->files);
	map_free(&r->rule_map);
	for (i = 0; i < r->nrules; i++) {
		struct rule_info *ri = &r->rules[i];

		free(ri->id);
		free(ri->name);
		free(ri->help);
		free(ri->help_uri);
		free(ri->message);
		free(ri->fix);
		for (j = 0; ri->refs && ri->refs[j]; j++)
			free(ri->refs[j]);
		free(ri->refs);
	}
	free(r->rules);
	for (i = 0; i < r->nkept; i++) {
		free(r->kept[i].rule);
		free(r->kept[i].message);
		free(r->kept[i].fix);
	}
	free(r->kept);
	free(r->cur_file);
	free(r->tool);
	ps_buf_free(&r->md);
	ps_buf_free(&r->line);
	free(r);
	return status;
}

/* ---- baseline ---- */

struct ps_baseline {
	struct map fps;		/* fingerprint -> how many findings it hides */
	size_t total;
};

static void
baseline_add(struct ps_baseline *b, const char *fp)
{
	int created;
	struct map_ent *e = map_get(&b->fps, fp, 1, 1, &created);

	if (!created)
		e->val++;
	b->total++;
}

static int
baseline_sarif(struct ps_baseline *b, const json_t *doc, const char *path,
	       struct ps_error *err)
{
	json_t *runs = json_object_get(doc, "runs"), *run, *res, *v, *fps;
	size_t i, j, old = 0;

	if (!json_is_array(runs))
		return ps_error_set(err, PS_EXIT_USAGE,
				    "%s: not a SARIF file (no \"runs\" array)", path);
	json_array_foreach(runs, i, run) {
		json_array_foreach(json_object_get(run, "results"), j, res) {
			fps = json_object_get(res, "partialFingerprints");
			v = json_object_get(fps, "psFingerprint/v2");
			if (json_is_string(v))
				baseline_add(b, json_string_value(v));
			else if (json_object_get(fps, "psFingerprint/v1"))
				old++;
		}
	}
	/* v1 fingerprints (SHA-256) match nothing now: say so rather than
	 * let the baseline silently hide nothing */
	if (old && !b->total)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "%s: the baseline's fingerprints are psFingerprint/v1, which "
				    "this version no longer computes: write the baseline again", path);
	return 0;
}

struct ps_baseline *
ps_baseline_load(const char *path, struct ps_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct ps_baseline *b;
	struct ps_rec_reader *rd;
	struct ps_error e2 = {0};
	json_t *rec;
	int st, first = 1;

	if (!f)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s",
				    path, strerror(errno)), NULL;
	b = ps_xcalloc(1, sizeof(*b));
	rd = ps_rec_open(f, path);
	while ((st = ps_rec_next(rd, &rec, &e2)) != 0) {
		if (st < 0 && first && st != -3 && f != stdin) {
			/* a pretty-printed SARIF file is not JSON lines */
			json_error_t je;
			json_t *doc;

			rewind(f);
			doc = json_loadf(f, 0, &je);
			if (!doc) {
				ps_error_set(err, PS_EXIT_USAGE,
					     "%s:%d:%d: invalid baseline: %s",
					     path, je.line, je.column, je.text);
				goto fail;
			}
			st = baseline_sarif(b, doc, path, err);
			json_decref(doc);
			if (st < 0)
				goto fail;
			break;
		}
		if (st < 0) {
			ps_error_set(err, e2.code, "%s", e2.msg);
			goto fail;
		}
		first = 0;
		if (json_object_get(rec, "runs")) {
			st = baseline_sarif(b, rec, path, err);
			json_decref(rec);
			if (st < 0)
				goto fail;
			continue;
		}
		if (ps_rec_type(rec) && strcmp(ps_rec_type(rec), "finding") == 0) {
			const char *fp = ps_json_str(rec, "fingerprint");
			struct ps_finding *fd = NULL;

			if (!fp) {
				fd = ps_finding_from_json(rec, &e2);
				if (!fd) {
					ps_error_set(err, PS_EXIT_USAGE, "%s:%zu: %s",
						     path, ps_rec_line(rd), e2.msg);
					json_decref(rec);
					goto fail;
				}
				fp = ps_finding_fingerprint(fd);
			}
			baseline_add(b, fp);
			ps_finding_free(fd);
		}
		json_decref(rec);
	}
	ps_rec_close(rd);
	if (f != stdin)
		fclose(f);
	return b;
fail:
	ps_rec_close(rd);
	if (f != stdin)
		fclose(f);
	ps_baseline_free(b);
	return NULL;
}

int
ps_baseline_take(struct ps_baseline *b, struct ps_finding *f)
{
	struct map_ent *e;

	if (!b)
		return 0;
	e = map_get(&b->fps, ps_finding_fingerprint(f), 0, 0, NULL);
	if (!e || !e->val)
		return 0;
	e->val--;
	return 1;
}

size_t
ps_baseline_size(const struct ps_baseline *b)
{
	return b ? b->total : 0;
}

void
ps_baseline_free(struct ps_baseline *b)
{
	if (!b)
		return;
	map_free(&b->fps);
	free(b);
}
