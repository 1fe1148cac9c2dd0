/*
 * records: JSON lines on pipes (jansson). Every record is one object on one
 * line with at least "type" and "tool" (DESIGN.md section 5); consumers pass
 * through the types they do not handle and ignore fields they do not know.
 * Reading streams: memory stays constant whatever the input size.
 */
#ifndef PS_RECORDS_H
#define PS_RECORDS_H

#include <stdio.h>
#include <jansson.h>

#include "diag.h"
#include "util.h"

struct ps_rec_reader;

/* Read records from f; name is used in messages ("stdin", a path). */
struct ps_rec_reader *ps_rec_open(FILE *f, const char *name);
/*
 * Next record: 1 with *out set (caller json_decref()s it), 0 at end of input,
 * -1 for a line that is not a JSON object (err says "name:LINE: ..."; the
 * reader stays usable, so the caller chooses to skip or stop), -3 on a read
 * error. Blank lines are skipped.
 */
int ps_rec_next(struct ps_rec_reader *r, json_t **out, struct ps_error *err);
/* 1-based line number of the record last returned. */
size_t ps_rec_line(const struct ps_rec_reader *r);
const char *ps_rec_name(const struct ps_rec_reader *r);
void ps_rec_close(struct ps_rec_reader *r); /* does not fclose the FILE */

/* A new record {"type": type, "tool": tool}. */
json_t *ps_rec_new(const char *type, const char *tool);
/* "type" of a record, or NULL. */
const char *ps_rec_type(const json_t *rec);
/*
 * Write rec as one compact line (keys in insertion order) and flush when
 * out is line-buffered: a terminal, or a stream the caller set with
 * setvbuf(out, NULL, _IOLBF, 0) -- what a long-running producer in a pipe
 * (ps-health, ps-alert) does so that each record leaves at once. A batch
 * tool writing to a pipe keeps full buffering and flushes at exit.
 * Returns 0, or -1 on a write error (errno kept; EPIPE is the caller's cue
 * to stop quietly).
 */
int ps_rec_write(FILE *out, const json_t *rec);
/*
 * The json_dumpf flags of ps_rec_write: compact, keys in insertion order,
 * reals with 15 significant digits (0.1 stays "0.1").
 */
#define PS_REC_JSON_FLAGS \
	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
/* Write v with json_dumpb flags in one piece (no newline); 0 or -1. */
int ps_json_write(FILE *out, const json_t *v, size_t flags);
/* A JSON string from s (NUL-terminated); bytes that are not valid UTF-8
 * become U+FFFD instead of making jansson refuse the value. */
json_t *ps_json_string(const char *s);

/* Finding <-> record of type "finding". */
json_t *ps_finding_to_json(struct ps_finding *f);
/* A new finding from a "finding" record; NULL (err set) when a required
 * field (rule, severity, message) is missing or of the wrong type. */
struct ps_finding *ps_finding_from_json(const json_t *rec, struct ps_error *err);

/* Small typed getters that tolerate absent fields. */
const char *ps_json_str(const json_t *obj, const char *key); /* NULL if absent or not a string */
int ps_json_int(const json_t *obj, const char *key, long long *out); /* 1 if present and integer */
int ps_json_num(const json_t *obj, const char *key, double *out); /* integer or real */
int ps_json_bool(const json_t *obj, const char *key, int *out);

#endif
