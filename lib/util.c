/*
 * util: error values, allocation, string buffers, strict number parsing,
 * edit distance and hex/SHA-256 helpers.
 */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


int
ps_error_setv(struct ps_error *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return -1;
}

int
ps_error_set(struct ps_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
ps_error_at(struct ps_error *err, int code, int line, int col,
	    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_error_setv(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		err->line = line;
		err->col = col;
	}
	return -1;
}

void
ps_error_clear(struct ps_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

static void
oom(size_t n)
{
	fprintf(stderr, "ps-toolkit: out of memory (%zu bytes)\n", n);
	abort();
}

void *
ps_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *
ps_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *
ps_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void
ps_xgrow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t c = *cap;

	if (need <= c)
		return;
	c = c ? c : 8;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			oom(SIZE_MAX);
		c *= 2;
	}
	*p = ps_xrealloc(*p, c * size);
	*cap = c;
}

char *
ps_xstrdup(const char *s)
{
	return ps_xstrndup(s, strlen(s));
}

char *
ps_xstrndup(const char *s, size_t n)
{
	char *p = ps_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ps_xasprintf(const char *fmt, ...)
{
	struct ps_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	ps_buf_addvf(&b, fmt, ap);
	va_end(ap);
	return ps_buf_detach(&b);
}

void
ps_buf_reserve(struct ps_buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		ps_xgrow(&b->data, &b->cap, b->len + extra + 1, 1);
}

void
ps_buf_adds(struct ps_buf *b, const char *s)
{
	ps_buf_add(b, s, strlen(s));
}

void
ps_buf_addvf(struct ps_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	ps_buf_reserve(b, 64);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		ps_buf_reserve(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	}
	va_end(ap2);
	b->len += (size_t)n;
}

void
ps_buf_addf(struct ps_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_buf_addvf(b, fmt, ap);
	va_end(ap);
}

char *
ps_buf_detach(struct ps_buf *b)
{
	char *s = b->data ? b->data : ps_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
ps_buf_free(struct ps_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
ps_read_file(const char *path, struct ps_buf *out, struct ps_error *err)
{
	FILE *f;
	char chunk[65536];
	size_t n;
	int is_stdin = strcmp(path, "-") == 0;

	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return ps_error_set(err, 2, "cannot open '%s': %s", path,
				    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ps_buf_add(out, chunk, n);
	if (ferror(f)) {
		int e = errno;

		if (!is_stdin)
			fclose(f);
		return ps_error_set(err, 3, "cannot read '%s': %s", path,
				    strerror(e));
	}
	if (!is_stdin)
		fclose(f);
	if (!out->data)
		ps_buf_add(out, "", 0);
	return 0;
}

int
ps_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
ps_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Optimal string alignment distance: Levenshtein plus transpositions. */
size_t
ps_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, w, best;
	size_t *d;

	if (la > 256 || lb > 256)
		return la > lb ? la : lb;
	w = lb + 1;
	d = ps_xcalloc((la + 1) * w, sizeof(*d));
	for (i = 0; i <= la; i++)
		d[i * w] = i;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = d[(i - 1) * w + j - 1] + cost;

			if (d[(i - 1) * w + j] + 1 < v)
				v = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < v)
				v = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[(i - 2) * w + j - 2] + 1 < v)
				v = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = v;
		}
	}
	best = d[la * w + lb];
	free(d);
	return best;
}

const char *
ps_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(word), i;
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;

	for (i = 0; i < n && candidates[i]; i++) {
		size_t d = ps_edit_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

void
ps_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}


#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

void
ps_prefault(void *p, size_t n)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(pg - 1);

	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
}

void
ps_prefault_heap(size_t n)
{
	char *p = malloc(n);

	if (p) {
		ps_prefault(p, n);
		free(p);
	}
}
