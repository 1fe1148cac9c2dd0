/*
 * config: YAML files (libyaml) loaded into a tree that keeps the
 * file:line:column of every node, and typed getters that collect every
 * error of a file into a struct ps_diags instead of stopping at the first.
 *
 *	struct ps_diags errs = {0};
 *	struct ps_doc *doc = ps_doc_load("backup.yml", &errs);
 *	struct ps_cfgck ck = { .doc = doc, .diags = &errs, .interpolate = 1 };
 *	const struct ps_node *b = ps_cfg_map(&ck, ps_doc_root(doc), "backup", 1);
 *	long days;
 *	ps_cfg_long(&ck, set, "retention", 0, 0, 36500, "a whole number of days", &days);
 *	...
 *	if (ps_diags_count(&errs, PS_SEV_ERROR)) -> print them, exit 2
 *
 * Errors read like: backup.yml:7:18: retention: expected a whole number of
 * days, got "thirty".
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stddef.h>

#include "diag.h"

enum ps_node_kind {
	PS_NODE_SCALAR,
	PS_NODE_SEQ,
	PS_NODE_MAP,
};

enum ps_scalar_style {
	PS_STYLE_PLAIN,
	PS_STYLE_SINGLE,	/* 'quoted' */
	PS_STYLE_DOUBLE,	/* "quoted" */
	PS_STYLE_LITERAL,	/* | */
	PS_STYLE_FOLDED,	/* > */
};

struct ps_pair;

/*
 * A node of the tree. All nodes and strings belong to their document and
 * are freed with it. Aliases (*name) point at the anchored node itself; YAML
 * merge keys (<<: *base) are expanded into the mapping (keys already present
 * win), so ordinary lookups see merged keys.
 */
struct ps_node {
	enum ps_node_kind kind;
	int line;		/* 1-based start of the node */
	int col;		/* 1-based */
	int end_line;		/* position just past the node */
	int end_col;
	const char *tag;	/* explicit tag (!!str, !Ref, ...) or NULL */
	const char *anchor;	/* &anchor or NULL */
	/* scalar */
	enum ps_scalar_style style;
	const char *value;	/* the scalar's text as written, NUL-terminated */
	size_t value_len;	/* may contain NULs (escapes): use for exactness */
	/* sequence: items[0..len); mapping: pairs[0..len) in file order */
	size_t len;
	struct ps_node **items;
	struct ps_pair *pairs;
};

struct ps_pair {
	struct ps_node *key;	/* usually a scalar */
	struct ps_node *value;
	int merged;		/* came in through a << merge key */
};

struct ps_doc;

/*
 * Load a YAML file ("-" reads stdin). Syntax errors, duplicate keys (an
 * error: YAML 1.2 forbids them), tabs in indentation and unreadable files
 * are appended to diags as PS_SEV_ERROR findings with rule "yaml" and the
 * position. Returns NULL when nothing usable was read; a document with
 * duplicate keys is still returned (the later key is kept in the tree too).
 * Only the first document of a stream is loaded; later ones are counted.
 */
struct ps_doc *ps_doc_load(const char *path, struct ps_diags *diags);
/* Same from memory; name is used in positions. */
struct ps_doc *ps_doc_load_mem(const char *name, const char *buf, size_t len,
			       struct ps_diags *diags);
void ps_doc_free(struct ps_doc *doc);
const struct ps_node *ps_doc_root(const struct ps_doc *doc); /* NULL if empty */
const char *ps_doc_file(const struct ps_doc *doc);
/* The raw text of the file and the start of a 1-based line, for snippets. */
const char *ps_doc_text(const struct ps_doc *doc, size_t *len);
const char *ps_doc_line(const struct ps_doc *doc, int line, size_t *len);
size_t ps_doc_count(const struct ps_doc *doc); /* documents in the stream */
/* Comments, for pragmas: the text after '#' of each comment and its line. */
size_t ps_doc_ncomments(const struct ps_doc *doc);
const char *ps_doc_comment(const struct ps_doc *doc, size_t i, int *line,
			   int *col);
/* Copy a string into the document's arena (freed with the document). */
const char *ps_doc_strdup(struct ps_doc *doc, const char *s, size_t n);

/* Plain tree access: NULL when node is not of the kind or has no such key. */
const struct ps_node *ps_node_get(const struct ps_node *map, const char *key);
const struct ps_pair *ps_node_pair(const struct ps_node *map, const char *key);
const struct ps_node *ps_node_at(const struct ps_node *seq, size_t i);
/* Dotted path through mappings and sequence indexes: "backup.database.locations.0" */
const struct ps_node *ps_node_path(const struct ps_node *root, const char *path);
int ps_node_is_scalar(const struct ps_node *n);
/* A plain scalar null / ~ / empty, or a missing node */
int ps_node_is_null(const struct ps_node *n);
const char *ps_node_kind_name(const struct ps_node *n); /* "string", "list", "mapping", "null" */

/*
 * ${VAR} and ${VAR:-default} (and ${VAR-default}, $$ for a literal $) from
 * the environment. Returns a malloc'd string; on an unset variable without a
 * default, -1 style failure: NULL and err names the variable.
 */
char *ps_cfg_interpolate(const char *s, struct ps_error *err);
/* Whether s contains a ${...} reference (interpolation or not). */
int ps_cfg_has_ref(const char *s);

/* Context of the typed getters: where errors go and how values are read. */
struct ps_cfgck {
	struct ps_doc *doc;
	struct ps_diags *diags;	/* errors (and unknown-key warnings) go here */
	int interpolate;	/* expand ${VAR} in scalar values */
	const char *tool;	/* for the findings' tool field; may be NULL */
};

/* Append an error finding (rule "config") at node's position. */
void ps_cfg_error(struct ps_cfgck *ck, const struct ps_node *at,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ps_cfg_warn(struct ps_cfgck *ck, const struct ps_node *at,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Typed getters. Each looks key up in map; a missing key is an error only
 * when required (the error is placed at map and names the key). A present
 * key of the wrong type is always an error. The out value is left untouched
 * unless the getter returns 1.
 * Return: 1 found and valid, 0 absent (not an error unless required),
 * -1 invalid (error recorded).
 * `what` describes the expected value for the message ("a whole number of
 * days"); NULL gives a generic wording.
 */
int ps_cfg_str(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	       int required, const char **out);
int ps_cfg_long(struct ps_cfgck *ck, const struct ps_node *map,
		const char *key, int required, long min, long max,
		const char *what, long *out);
int ps_cfg_double(struct ps_cfgck *ck, const struct ps_node *map,
		  const char *key, int required, const char *what, double *out);
int ps_cfg_bool(struct ps_cfgck *ck, const struct ps_node *map,
		const char *key, int required, int *out);
/* "30s", "5m", "4 hours", or a bare number of seconds */
int ps_cfg_duration(struct ps_cfgck *ck, const struct ps_node *map,
		    const char *key, int required, double *secs);
/* "50MB", "512", "1.5GiB" */
int ps_cfg_size(struct ps_cfgck *ck, const struct ps_node *map,
		const char *key, int required, unsigned long long *bytes);
/* One of choices (NULL-terminated); *out is the index. */
int ps_cfg_enum(struct ps_cfgck *ck, const struct ps_node *map,
		const char *key, int required, const char *const *choices,
		int *out);
int ps_cfg_seq(struct ps_cfgck *ck, const struct ps_node *map,
	       const char *key, int required, const struct ps_node **out);
int ps_cfg_map(struct ps_cfgck *ck, const struct ps_node *map,
	       const char *key, int required, const struct ps_node **out);
/* A list of strings, or a single string taken as a list of one. The array
 * (NULL-terminated) and strings belong to the document. */
int ps_cfg_strlist(struct ps_cfgck *ck, const struct ps_node *map,
		   const char *key, int required, const char *const **out,
		   size_t *n);
/* The string value of a scalar node itself (interpolated when asked). */
const char *ps_cfg_scalar(struct ps_cfgck *ck, const struct ps_node *n);

/*
 * Warn (rule "config-unknown-key", PS_SEV_WARNING) about every key of map
 * not in known (NULL-terminated), with a did-you-mean suggestion:
 * monitoring.yml:4:7: unknown key "intervall" (did you mean "interval"?)
 */
void ps_cfg_known_keys(struct ps_cfgck *ck, const struct ps_node *map,
		       const char *const *known);

#endif
