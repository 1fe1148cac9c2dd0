/*
 * util: the small things every module needs: exit statuses, an error value
 * that library functions fill instead of printing, a growable string buffer
 * and allocation helpers that abort on out-of-memory.
 */
#ifndef PS_UTIL_H
#define PS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One exit-status policy for every tool (DESIGN.md section 4). */
enum ps_exit {
	PS_EXIT_OK = 0,		/* all good */
	PS_EXIT_FAIL = 1,	/* the thing checked is bad */
	PS_EXIT_USAGE = 2,	/* bad invocation or bad input: do not retry */
	PS_EXIT_OPER = 3,	/* operational failure: may be temporary */
};

/*
 * What a library function reports instead of printing: the exit status the
 * failure deserves, an optional position (line/col 0 when unknown) and a
 * message without the program name ("cannot open 'x': No such file ...").
 */
struct ps_error {
	int code;		/* enum ps_exit; 0 when no error */
	int line;
	int col;
	char msg[1024];
};

/* Fill err (may be NULL) and return -1, for "return ps_error_set(...)". */
int ps_error_set(struct ps_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ps_error_setv(struct ps_error *err, int code, const char *fmt, va_list ap);
/* Same, with a position. */
int ps_error_at(struct ps_error *err, int code, int line, int col,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ps_error_clear(struct ps_error *err);

/*
 * Map the pages wholly inside [p, p + n) for writing in one call
 * (MADV_POPULATE_WRITE) instead of a page fault at each first touch, which
 * costs a lot in a VM; a no-op where the kernel lacks it (Linux < 5.14).
 */
void ps_prefault(void *p, size_t n);
/* The same for n bytes at the top of the calling thread's malloc arena: a
 * block is taken, populated and given back, where it stays for what the
 * thread allocates next if the trim threshold (mallopt) is above n. */
void ps_prefault_heap(size_t n);

/* Allocation that aborts with a message on out-of-memory. */
void *ps_xmalloc(size_t n);
void *ps_xcalloc(size_t n, size_t size);
void *ps_xrealloc(void *p, size_t n);
/* Grow *p (of *cap elements of size) to hold at least need elements. */
void ps_xgrow(void *pp, size_t *cap, size_t need, size_t size);
char *ps_xstrdup(const char *s);
char *ps_xstrndup(const char *s, size_t n);
char *ps_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable, always NUL-terminated byte buffer. */
struct ps_buf {
	char *data;		/* NULL until the first append */
	size_t len;
	size_t cap;
};

void ps_buf_adds(struct ps_buf *b, const char *s);
/* Room for extra more bytes and the NUL. */
void ps_buf_reserve(struct ps_buf *b, size_t extra);

/* ASCII classes and upper case, the same in every locale. */
static inline int
ps_ascii_alpha(char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}

static inline int
ps_ascii_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline char
ps_ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* n bytes: inline, as the scanners add short runs all the time */
static inline void
ps_buf_add(struct ps_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		ps_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* One byte: inline, for the scanners that add them one at a time. */
static inline void
ps_buf_addc(struct ps_buf *b, char c)
{
	if (b->len + 2 > b->cap)
		ps_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void ps_buf_addf(struct ps_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ps_buf_addvf(struct ps_buf *b, const char *fmt, va_list ap);
static inline void
ps_buf_reset(struct ps_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}
/* Hand over the string (never NULL) and leave b empty. */
char *ps_buf_detach(struct ps_buf *b);
void ps_buf_free(struct ps_buf *b);
/* data, or "" for an empty buffer */
static inline const char *
ps_buf_str(const struct ps_buf *b)
{
	return b->data ? b->data : "";
}

/* Read a whole file ("-" for stdin) into *out; -1 and err on failure. */
int ps_read_file(const char *path, struct ps_buf *out, struct ps_error *err);

/* Strict number parsing: the whole string, in range; -1 otherwise. */
int ps_parse_long(const char *s, long min, long max, long *out);
int ps_parse_double(const char *s, double *out);

/* Levenshtein distance, for did-you-mean suggestions. */
size_t ps_edit_distance(const char *a, const char *b);
/* The candidate closest to word, or NULL when none is close enough. */
const char *ps_did_you_mean(const char *word, const char *const *candidates,
			    size_t n);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void ps_hex(const unsigned char *p, size_t n, char *out);
/* SHA-256 of a buffer as 64 hex digits + NUL (OpenSSL EVP; defined in
 * lib/digest.c, so that tools that never call it do not load OpenSSL). */
void ps_sha256_hex(const void *p, size_t n, char out[65]);

#define PS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
