/*
 * jsonline: a line of JSON read with yajl's events and jansson's refusals.
 * See jsonline.h.
 */
#include "jsonline.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "diag.h"

#define MAX_DEPTH 2048		/* jansson's JSON_PARSER_MAX_DEPTH */
#define NO_KEY ((size_t)-1)

struct jl {
	const struct ps_jl_key *keys;
	size_t nkeys;
	struct ps_jl_value *v;
	struct ps_buf *text;
	int flags;
	int depth;		/* containers open */
	int top;		/* 0: nothing yet, 1: an object, -1: another value */
	size_t key;		/* the top-level key just read, or NO_KEY */
	const char *why;	/* a refusal of jansson's that yajl does not make */
	/* where the top-level value ended: yajl lets an unfinished token
	 * after it pass at the end of the input ("{} \"x"), jansson does not */
	yajl_handle h;
	int finishing;		/* in yajl_complete_parse: the value ends the input */
	size_t end;
};

static void
ended(struct jl *j)
{
	j->end = j->finishing ? (size_t)-1 : yajl_get_bytes_consumed(j->h);
}

/* The wanted value a scalar at this point is, or NULL. */
static struct ps_jl_value *
slot(struct jl *j)
{
	return j->depth == 1 && j->key != NO_KEY ? &j->v[j->key] : NULL;
}

static int
scalar(struct jl *j, enum ps_jl_type t)
{
	struct ps_jl_value *v = slot(j);

	if (v)
		v->type = t;
	if (j->depth == 0) {
		if (j->top == 0)
			j->top = -1;
		ended(j);
	}
	return 1;
}

static int
on_null(void *ctx)
{
	return scalar(ctx, PS_JL_NULL);
}

static int
on_bool(void *ctx, int b)
{
	return scalar(ctx, b ? PS_JL_TRUE : PS_JL_FALSE);
}

static int
on_number(void *ctx, const char *s, size_t n)
{
	struct jl *j = ctx;
	struct ps_jl_value *v = slot(j);
	char buf[512], *end;
	int integer = !memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n);
	long long i = 0;
	double d;

	if (n >= sizeof(buf)) {
		j->why = "too long a number";
		return 0;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	if (integer) {
		i = strtoll(buf, &end, 10);
		if (errno == ERANGE) {
			j->why = "too big an integer";
			return 0;
		}
		d = (double)i;
	} else {
		d = strtod(buf, &end);
		if (errno == ERANGE && isinf(d)) {
			j->why = "real number overflow";
			return 0;
		}
	}
	if (v) {
		v->i = i;
		v->d = d;
	}
	return scalar(j, integer ? PS_JL_INTEGER : PS_JL_REAL);
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jl *j = ctx;
	struct ps_jl_value *v = slot(j);

	if (!(j->flags & PS_JL_ALLOW_NUL) && memchr(s, 0, n)) {
		j->why = "\\u0000 is not allowed";
		return 0;
	}
	if (v) {
		v->off_ = j->text->len;
		v->len = n;
		ps_buf_add(j->text, s, n);
		ps_buf_addc(j->text, 0);
	}
	return scalar(j, PS_JL_STRING);
}

static int
open_one(struct jl *j)
{
	struct ps_jl_value *v = slot(j);

	if (v)
		v->type = PS_JL_CONTAINER;
	if (++j->depth > MAX_DEPTH) {
		j->why = "maximum parsing depth reached";
		return 0;
	}
	return 1;
}

static int
on_open_map(void *ctx)
{
	struct jl *j = ctx;

	if (j->depth == 0 && j->top == 0)
		j->top = 1;
	return open_one(j);
}

static int
on_open_array(void *ctx)
{
	struct jl *j = ctx;

	if (j->depth == 0 && j->top == 0)
		j->top = -1;
	return open_one(j);
}

static int
on_close(void *ctx)
{
	struct jl *j = ctx;

	if (--j->depth == 0)
		ended(j);
	return 1;
}

static int
on_key(void *ctx, const unsigned char *k, size_t n)
{
	struct jl *j = ctx;

	if (memchr(k, 0, n)) {
		j->why = "NUL byte in object key not supported";
		return 0;
	}
	if (j->depth != 1)
		return 1;
	j->key = NO_KEY;
	for (size_t i = 0; i < j->nkeys; i++)
		if (n == j->keys[i].len && memcmp(k, j->keys[i].name, n) == 0) {
			j->key = i;
			j->v[i].type = PS_JL_ABSENT;	/* the last one counts */
			j->v[i].count++;
			break;
		}
	return 1;
}

static const yajl_callbacks callbacks = {
	on_null, on_bool, NULL, NULL, on_number, on_string,
	on_open_map, on_key, on_close, on_open_array, on_close,
};

/* yajl's allocations, failing as every other one does (they abort) */
static void *
jl_malloc(void *ctx, size_t n)
{
	(void)ctx;
	return ps_xmalloc(n);
}

static void *
jl_realloc(void *ctx, void *p, size_t n)
{
	(void)ctx;
	return ps_xrealloc(p, n);
}

static void
jl_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

yajl_alloc_funcs ps_jl_alloc = { jl_malloc, jl_realloc, jl_free, NULL };

int
ps_jl_utf8_ok(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		char tail[5] = { 0 };
		const char *p = s + i;
		uint64_t w;

		/* ASCII, most of any line, eight bytes at a time */
		if (n - i >= 8 && (memcpy(&w, p, 8), (w & 0x8080808080808080ull) == 0)) {
			i += 8;
			continue;
		}
		if ((unsigned char)*p < 0x80) {
			i++;
			continue;
		}
		if (n - i < 4) {	/* ps_utf8_len reads up to 4 bytes */
			memcpy(tail, p, n - i);
			p = tail;
		}
		k = ps_utf8_len(p);
		if (k == 0 || k > n - i)
			return 0;
		i += k;
	}
	return 1;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Whether every \u escape of a surrogate is a high one followed by a low
 * one (yajl turns a lone high surrogate into '?' and passes a lone low one
 * on as bytes that are not UTF-8; jansson refuses both). Backslashes occur
 * only in strings, so escapes are taken pair by pair from the start. */
static int
surrogates_ok(const char *s, size_t n)
{
	const char *p = memchr(s, '\\', n);

	for (size_t i = p ? (size_t)(p - s) : n; i < n; i++) {
		unsigned c, d;

		if (s[i] != '\\')
			continue;
		if (i + 5 < n && s[i + 1] == 'u' && hex4(s + i + 2, &c) == 0) {
			if (c >= 0xdc00 && c <= 0xdfff)
				return 0;
			if (c >= 0xd800 && c <= 0xdbff) {
				if (!(i + 11 < n && s[i + 6] == '\\' && s[i + 7] == 'u' &&
				      hex4(s + i + 8, &d) == 0 && d >= 0xdc00 && d <= 0xdfff))
					return 0;
				i += 11;
			} else {
				i += 5;
			}
		} else {
			i++;	/* the escaped character */
		}
	}
	return 1;
}

static enum ps_jl_result
invalid(char *msg, size_t msgsz, const char *why)
{
	snprintf(msg, msgsz, "%s", why);
	return PS_JL_INVALID;
}

enum ps_jl_result
ps_jline_read(const char *line, size_t n, const struct ps_jl_key *keys, size_t nkeys,
	      struct ps_jl_value *v, struct ps_buf *text, int flags, char *msg,
	      size_t msgsz)
{
	struct jl j = { .keys = keys, .nkeys = nkeys, .v = v, .text = text,
			.flags = flags, .key = NO_KEY };
	yajl_status st;

	memset(v, 0, nkeys * sizeof(*v));
	text->len = 0;
	/* yajl takes vertical tab and form feed for white space; JSON has
	 * them nowhere, raw, outside strings or in them */
	if (memchr(line, '\v', n) || memchr(line, '\f', n))
		return invalid(msg, msgsz, "invalid character (vertical tab or form feed)");
	if (!ps_jl_utf8_ok(line, n))
		return invalid(msg, msgsz, "invalid UTF-8");
	if (!surrogates_ok(line, n))
		return invalid(msg, msgsz, "invalid \\u escape: a lone surrogate");
	j.h = yajl_alloc(&callbacks, &ps_jl_alloc, &j);
	st = yajl_parse(j.h, (const unsigned char *)line, n);
	if (st == yajl_status_ok) {
		j.finishing = 1;
		st = yajl_complete_parse(j.h);
	}
	if (st == yajl_status_ok && j.end != (size_t)-1) {
		for (size_t i = j.end; i < n; i++)
			if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n') {
				yajl_free(j.h);
				return invalid(msg, msgsz, "trailing garbage");
			}
	}
	if (st != yajl_status_ok) {
		if (j.why) {
			invalid(msg, msgsz, j.why);
		} else {
			unsigned char *e = yajl_get_error(j.h, 0, (const unsigned char *)line, n);
			size_t len = e ? strlen((char *)e) : 0;

			while (len > 0 && (e[len - 1] == '\n' || e[len - 1] == ' '))
				len--;
			snprintf(msg, msgsz, "%.*s", (int)len, e ? (char *)e : "parse error");
			yajl_free_error(j.h, e);
		}
		yajl_free(j.h);
		return PS_JL_INVALID;
	}
	yajl_free(j.h);
	if (j.top != 1)
		return PS_JL_NOT_OBJECT;
	for (size_t i = 0; i < nkeys; i++)
		if (v[i].type == PS_JL_STRING)
			v[i].s = text->data + v[i].off_;
	return PS_JL_OBJECT;
}

/* ---- an array of strings ---- */

struct jsa {
	int (*each)(void *, const char *, size_t);
	void *ctx;
	yajl_handle h;
	int depth;
	long count;
	size_t end;		/* where the array ended */
};

static int
sa_refuse(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
sa_refuse_bool(void *ctx, int b)
{
	(void)ctx;
	(void)b;
	return 0;
}

static int
sa_refuse_text(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return 0;
}

static int
sa_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jsa *a = ctx;

	if (a->depth != 1 || memchr(s, 0, n))
		return 0;
	a->count++;
	return a->each(a->ctx, (const char *)s, n);
}

static int
sa_open(void *ctx)
{
	struct jsa *a = ctx;

	/* the array itself, once; nothing nests in it */
	if (a->depth != 0 || a->end)
		return 0;
	a->depth = 1;
	return 1;
}

static int
sa_close(void *ctx)
{
	struct jsa *a = ctx;

	a->depth = 0;
	a->end = yajl_get_bytes_consumed(a->h);
	return 1;
}

static const yajl_callbacks sa_callbacks = {
	sa_refuse, sa_refuse_bool, NULL, NULL, sa_refuse_text, sa_string,
	sa_refuse, NULL, NULL, sa_open, sa_close,
};

/*
 * yajl's allocations for one short parse (its handle, lexer and buffers:
 * a few hundred bytes, allocated and freed for each exec-form array of a
 * Dockerfile): taken from room on the caller's stack while it lasts and
 * from the heap after, each behind a header with its size and origin.
 */
struct bump {
	unsigned char *room;
	size_t used, cap;
};

struct bump_hdr {
	size_t size;
	size_t heap;
};

static void *
bump_malloc(void *ctx, size_t n)
{
	struct bump *b = ctx;
	size_t need = sizeof(struct bump_hdr) + ((n + 15) & ~(size_t)15);
	struct bump_hdr *h;

	if (need <= b->cap - b->used) {
		h = (struct bump_hdr *)(b->room + b->used);
		b->used += need;
		h->heap = 0;
	} else {
		h = ps_xmalloc(sizeof(*h) + n);
		h->heap = 1;
	}
	h->size = n;
	return h + 1;
}

static void
bump_free(void *ctx, void *p)
{
	struct bump_hdr *h = (struct bump_hdr *)p - 1;

	(void)ctx;
	if (p && h->heap)
		free(h);
}

static void *
bump_realloc(void *ctx, void *p, size_t n)
{
	void *q = bump_malloc(ctx, n);

	if (p) {
		size_t old = ((struct bump_hdr *)p - 1)->size;

		memcpy(q, p, old < n ? old : n);
		bump_free(ctx, p);
	}
	return q;
}

long
ps_jl_string_array(const char *s, size_t n,
		   int (*each)(void *ctx, const char *str, size_t len), void *ctx)
{
	struct jsa a = { .each = each, .ctx = ctx };
	_Alignas(16) unsigned char room[4096];
	struct bump bump = { room, 0, sizeof(room) };
	yajl_alloc_funcs af = { bump_malloc, bump_realloc, bump_free, &bump };
	yajl_status st;
	size_t b = 0, e = n;

	while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' ||
			 s[e - 1] == '\n'))
		e--;
	if (e - b < 2 || s[b] != '[' || s[e - 1] != ']')
		return -1;
	s += b;
	n = e - b;
	/* what yajl takes and jansson refuses (see ps_jline_read) */
	if (memchr(s, '\v', n) || memchr(s, '\f', n) || !ps_jl_utf8_ok(s, n) ||
	    !surrogates_ok(s, n))
		return -1;
	a.h = yajl_alloc(&sa_callbacks, &af, &a);
	st = yajl_parse(a.h, (const unsigned char *)s, n);
	yajl_free(a.h);
	/* The array must end the text: nothing after it, not even a token
	 * yajl would leave unfinished. (So nothing is left for
	 * yajl_complete_parse to finish: an array ends at its ']'.) */
	if (st != yajl_status_ok || a.end != n)
		return -1;
	return a.count;
}
