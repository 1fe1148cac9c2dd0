/*
 * diag: findings (rule, severity, position, message) and the renderers that
 * every linter and ps-report share: text, json, sarif, junit, github,
 * checkstyle, codeclimate, gnu, markdown. Renderers stream where the format
 * allows (json, sarif results, github, gnu, text, codeclimate, checkstyle);
 * junit groups by file and keeps the findings until close; markdown keeps
 * its table rows until close, for the count line above the table. The
 * findings code is in diag.c, the renderers and the baseline in render.c.
 *
 * Every finding has a stable fingerprint (rule, file, normalised content of
 * the offending line or, without one, the message) so that a baseline of an
 * earlier report hides known findings whatever line they moved to.
 */
#ifndef PS_DIAG_H
#define PS_DIAG_H

#include <stdio.h>
#include <stddef.h>

#include "util.h"

enum ps_severity {
	PS_SEV_NONE = 0,	/* for --fail-on never */
	PS_SEV_STYLE,
	PS_SEV_INFO,
	PS_SEV_WARNING,
	PS_SEV_ERROR,
};

/* "error", "warning", "info", "style" (and "never"/"none" for PS_SEV_NONE) */
const char *ps_severity_name(enum ps_severity s);
/* -1 when s names no severity */
int ps_severity_parse(const char *s, enum ps_severity *out);

struct ps_finding {
	char *tool;		/* "ps-envcheck" */
	char *rule;		/* stable code: "PSE001" */
	char *name;		/* kebab-case: "duplicated-key" */
	enum ps_severity severity;
	char *file;		/* as given by the user; "-" for stdin */
	int line;		/* 1-based; 0 when the finding is about the whole file */
	int col;		/* 1-based; 0 when unknown */
	int end_line;		/* 0 when unknown */
	int end_col;
	char *message;		/* one line, no trailing period */
	char *fix;		/* suggested fix or NULL */
	char **refs;		/* equivalent peer rules ("DL3008"), NULL-terminated or NULL */
	char *snippet;		/* offending source text, for the fingerprint; may be NULL */
	char *help;		/* longer rationale, for sarif rules; may be NULL */
	char *help_uri;		/* may be NULL */
	char *fingerprint;	/* computed by ps_finding_fingerprint when NULL */
	/* Fields the finding points at but does not own (PS_BORROWS_*):
	 * strings of a rule table or of a run that outlive it, which
	 * ps_finding_free leaves alone. 0 for a finding that owns all. */
	unsigned borrows;
	char fp[17];		/* the computed fingerprint's own room */
};

enum {
	PS_BORROWS_TOOL = 1 << 0,
	PS_BORROWS_RULE = 1 << 1,
	PS_BORROWS_NAME = 1 << 2,
	PS_BORROWS_FILE = 1 << 3,
	PS_BORROWS_HELP = 1 << 4,
	PS_BORROWS_REFS = 1 << 5,	/* the array and its strings */
	/* in the finding's own allocation, after the struct */
	PS_BORROWS_MESSAGE = 1 << 6,
	PS_BORROWS_SNIPPET = 1 << 7,
};

/* A list of findings (owned). */
struct ps_diags {
	struct ps_finding **v;
	size_t len;
	size_t cap;
};

/*
 * Append a new finding with a formatted message; returns it so the caller
 * can set fix, refs, snippet, help. file is copied.
 */
struct ps_finding *ps_diags_add(struct ps_diags *d, const char *tool,
				const char *rule, const char *name,
				enum ps_severity sev, const char *file, int line,
				int col, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
void ps_finding_add_ref(struct ps_finding *f, const char *ref);
void ps_finding_set_fix(struct ps_finding *f, const char *fix);
void ps_finding_set_snippet(struct ps_finding *f, const char *s, size_t n);
void ps_finding_free(struct ps_finding *f);
/* Take ownership of f. */
void ps_diags_push(struct ps_diags *d, struct ps_finding *f);
void ps_diags_free(struct ps_diags *d);
/* How many findings at or above sev. */
size_t ps_diags_count(const struct ps_diags *d, enum ps_severity sev);
enum ps_severity ps_diags_max(const struct ps_diags *d);
/* Stable sort by file, line, column, rule. */
void ps_diags_sort(struct ps_diags *d);
/* Remove all findings whose rule or name is in rules (NULL-terminated). */
void ps_diags_drop_rules(struct ps_diags *d, const char *const *rules);

/* The stable fingerprint (16 hex digits), computed and cached in f. */
const char *ps_finding_fingerprint(struct ps_finding *f);

/* Print "file:line:col: severity: message [RULE]" (compiler style). */
void ps_finding_print(FILE *out, const struct ps_finding *f, int color);

/* Write s with control characters as escapes (\n, \r, \xHH; tabs kept) so
 * that text quoted from a file can neither break a line of the line-based
 * formats nor drive a terminal. */
void ps_diag_put_clean(FILE *out, const char *s);
/* The same, appended to b. */
void ps_diag_add_clean(struct ps_buf *b, const char *s);
/* The line ps_finding_print writes, appended to b. */
void ps_finding_format(struct ps_buf *b, const struct ps_finding *f, int color);
/* Length of the valid UTF-8 sequence that starts at s (1 to 4), or 0 for
 * an invalid one or the terminating NUL. */
size_t ps_utf8_len(const char *s);

/* ---- output formats ---- */

enum ps_format {
	PS_FMT_AUTO = 0,	/* text on a terminal, json otherwise */
	PS_FMT_TEXT,
	PS_FMT_JSON,
	PS_FMT_SARIF,
	PS_FMT_JUNIT,
	PS_FMT_GITHUB,
	PS_FMT_CHECKSTYLE,
	PS_FMT_CODECLIMATE,
	PS_FMT_GNU,
	PS_FMT_MARKDOWN,
	PS_FMT_PROM,		/* only tools that emit metrics accept it */
};

const char *ps_format_name(enum ps_format f);
int ps_format_parse(const char *s, enum ps_format *out);
/* The names of the finding formats, for --help and completions (NULL-ended;
 * "auto" is not among them: cli.c puts it first). */
extern const char *const ps_finding_formats[];

/*
 * A renderer: open, feed findings (and other records, passed through in
 * json format and counted otherwise), close. The renderer applies the
 * baseline, counts by severity and file, and close returns the exit status
 * the findings deserve under fail_on: 1 when any finding not hidden by the
 * baseline is at or above fail_on, else 0.
 */
struct ps_render_opts {
	enum ps_format format;		/* AUTO is resolved against out */
	enum ps_severity fail_on;	/* PS_SEV_NONE: never fail */
	int color;			/* colour text output */
	int summary;			/* text: print a summary line at close */
	const char *tool;		/* for sarif/junit when findings lack it */
	const char *tool_version;
	struct ps_baseline *baseline;	/* may be NULL; entries are used up */
	enum ps_severity min_severity;	/* hide findings below this (0: show all) */
};

struct ps_render;

struct ps_render *ps_render_open(FILE *out, const struct ps_render_opts *o);
/* Write one finding; the renderer does not keep f unless the format needs it. */
int ps_render_finding(struct ps_render *r, struct ps_finding *f);
/* A non-finding record (a json_t *, typed void * to keep jansson out of
 * this header): printed as a JSON line in json format, ignored otherwise. */
int ps_render_record(struct ps_render *r, void *json_record);
/* Finish the document; returns 0/1 by fail_on, or 3 when writing failed. */
int ps_render_close(struct ps_render *r);
/* Counts of what was rendered (after baseline), by severity. */
size_t ps_render_count(const struct ps_render *r, enum ps_severity sev);
size_t ps_render_hidden(const struct ps_render *r); /* hidden by baseline */
/* The format in use (PS_FMT_AUTO resolved). */
enum ps_format ps_render_format(const struct ps_render *r);
/*
 * Write the summary of what was rendered so far to out (call it before
 * close): "3 errors, 2 warnings in 2 files (1 hidden by the baseline)",
 * or "no findings", then, with more than one file, a line per file
 * ("  Dockerfile: 2 errors, 1 warning"). -1 when out could not be written.
 * The text format writes it itself at close when opts.summary is set.
 */
int ps_render_summary(const struct ps_render *r, FILE *out);

/*
 * Rendering on other threads, for tools that find on worker threads and
 * write in order on one. When ps_render_apart(r) is true (text, json,
 * github and gnu output, no baseline), a worker turns a finding into the
 * exact bytes ps_render_finding would write with ps_render_put, which only
 * reads r (its format and colour) and may be called from any thread; the
 * thread that owns r then hands the findings over in order with
 * ps_render_emit, which counts each as ps_render_finding does (by file
 * only for text output's summary: ps_render_summary tells no files after
 * it in other formats) and writes its bytes unless min_severity hides it.
 * Returns as ps_render_finding.
 */
int ps_render_apart(const struct ps_render *r);
/* Free what the calling thread keeps for writing JSON lines (its memos of
 * the lines' heads and fields), before it ends; ps_render_close does it
 * for its own thread. */
void ps_render_thread_release(void);
void ps_render_put(const struct ps_render *r, struct ps_buf *b,
		   struct ps_finding *f);
int ps_render_emit(struct ps_render *r, const char *tool, const char *file,
		   enum ps_severity sev, const char *bytes, size_t n);
/* ps_render_emit without the writing: counts the finding and returns 1
 * when it is shown, so the caller writes its bytes to the renderer's stream
 * (several findings in one write), or 0 when min_severity hides it. */
int ps_render_take(struct ps_render *r, const char *tool, const char *file,
		   enum ps_severity sev);
/* ps_render_take of a group of findings of one tool and file, nsev[s] of
 * severity s: counts them all and returns 1 when min_severity hides none,
 * else counts nothing and returns 0 (take them one by one). */
int ps_render_take_group(struct ps_render *r, const char *tool,
			 const char *file, const size_t nsev[PS_SEV_ERROR + 1]);
/* Write the bytes of findings taken (ps_render_put output) to r's stream;
 * 0, or -1 on a write error. */
int ps_render_write(struct ps_render *r, const char *bytes, size_t n);

/* ---- baseline ---- */

struct ps_baseline;
/* Read the fingerprints of the findings in a JSON-lines report (or a SARIF
 * file written by ps-toolkit). */
struct ps_baseline *ps_baseline_load(const char *path, struct ps_error *err);
/* Whether f is in the baseline; each baseline entry hides one finding. */
int ps_baseline_take(struct ps_baseline *b, struct ps_finding *f);
/* How many findings the baseline held when loaded. */
size_t ps_baseline_size(const struct ps_baseline *b);
void ps_baseline_free(struct ps_baseline *b);

#endif
