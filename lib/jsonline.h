/*
 * jsonline: one line of JSON read as jansson would read it, without a tree.
 *
 * yajl's event parser hands over the values and only the top-level keys the
 * caller names are kept. What jansson refuses beyond JSON itself is refused
 * too: NUL in keys and strings (unless allowed), integers outside 64 bits,
 * reals that overflow, nesting deeper than 2048, overlong and surrogate
 * UTF-8, vertical tab and form feed, and an unfinished token after the
 * value. A raw NUL byte makes the line invalid wherever it is (jansson's
 * reader passes over it in places).
 */
#ifndef PS_JSONLINE_H
#define PS_JSONLINE_H

#include <stddef.h>

#include <yajl/yajl_common.h>

#include "util.h"

/* The type of a top-level value. */
enum ps_jl_type {
	PS_JL_ABSENT = 0,
	PS_JL_STRING,
	PS_JL_INTEGER,		/* i, and d = (double)i */
	PS_JL_REAL,		/* d */
	PS_JL_TRUE,
	PS_JL_FALSE,
	PS_JL_NULL,
	PS_JL_CONTAINER,	/* an object or an array */
};

/* A key the caller wants. */
struct ps_jl_key {
	const char *name;
	size_t len;
};

/* The last value of a wanted key (the last of duplicates counts, as in
 * jansson); count says how often the key came. */
struct ps_jl_value {
	enum ps_jl_type type;
	const char *s;		/* PS_JL_STRING: NUL-terminated, len bytes */
	size_t len;
	long long i;
	double d;
	unsigned count;
	size_t off_;		/* (where s is in the text buffer) */
};

enum ps_jl_result {
	PS_JL_OBJECT,		/* an object: v is filled */
	PS_JL_NOT_OBJECT,	/* JSON, but not an object */
	PS_JL_INVALID,		/* not JSON: msg says why */
};

enum {
	PS_JL_ALLOW_NUL = 1,	/* \u0000 in string values (not keys) */
};

/*
 * Read line (n bytes) and fill v[k] for each of the nkeys keys. The strings
 * are kept in text (cleared first, reused from call to call), valid until
 * text changes.
 */
enum ps_jl_result ps_jline_read(const char *line, size_t n, const struct ps_jl_key *keys,
				size_t nkeys, struct ps_jl_value *v, struct ps_buf *text,
				int flags, char *msg, size_t msgsz);

/*
 * Read s (n bytes) as a JSON array of strings, as jansson would read it
 * (json_loadb with JSON_DECODE_ANY, and no NUL in the strings), handing
 * each string to each(ctx, string, length) in order; the string is not
 * NUL-terminated and lasts only for the call. Returns the number of
 * strings, or -1 when s is not such an array (not JSON, another value, an
 * element that is not a string, or each returned 0). White space may
 * surround the array.
 */
long ps_jl_string_array(const char *s, size_t n,
			int (*each)(void *ctx, const char *str, size_t len),
			void *ctx);

/* Allocation functions for yajl's parsers and generators: they abort on
 * out-of-memory, as ps_xmalloc does. */
extern yajl_alloc_funcs ps_jl_alloc;

/* Whether s (n bytes) holds only whole, well-formed UTF-8 characters, as
 * JSON text must: no overlong forms, no surrogates, nothing past U+10FFFF
 * (yajl lets the first two through, jansson does not). */
int ps_jl_utf8_ok(const char *s, size_t n);

#endif
