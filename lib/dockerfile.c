/*
 * dockerfile: the Dockerfile parser (BuildKit's reading of the format) and
 * the shell splitter for RUN scripts. See dockerfile.h.
 */
#include "dockerfile.h"

#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonline.h"

/* ---- arena ---- */

struct arena_blk {
	struct arena_blk *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

#define AR_BLOCK 16384

/*
 * Memory kept per thread from file to file (a linter parses thousands of
 * files on each thread): spare arena blocks and the parser's and the shell
 * splitter's growing vectors, so that a parse reuses the last one's memory
 * instead of going to malloc (and its consolidation of freed chunks) for
 * every block and every vector. ps_df_scratch_release frees it.
 */
struct scratch_vec {
	void *v;
	size_t cap;
};

static _Thread_local struct {
	struct arena_blk *blks;		/* spare AR_BLOCK blocks */
	int nblks;
	struct scratch_vec lines, insts, cmds, words, assigns, sub;
	struct ps_buf tmp, w, raw;
	int parsing, splitting;		/* in use (not re-entered) */
} tl;

/* Take a kept vector (len 0) into v/cap, or leave them empty. */
#define SCRATCH_TAKE(vec, sv) do { \
	(vec).v = (sv).v; (vec).cap = (sv).cap; (vec).len = 0; \
	(sv).v = NULL; (sv).cap = 0; \
} while (0)
/* Keep a vector for the next call (the larger of the two), free the other. */
static void
scratch_keep(struct scratch_vec *sv, void *v, size_t cap)
{
	if (!v)
		return;
	if (!sv->v || cap > sv->cap) {
		free(sv->v);
		sv->v = v;
		sv->cap = cap;
	} else {
		free(v);
	}
}

static void
scratch_keep_buf(struct ps_buf *keep, struct ps_buf *b)
{
	if (!b->data)
		return;
	if (!keep->data || b->cap > keep->cap) {
		ps_buf_free(keep);
		*keep = *b;
		keep->len = 0;
	} else {
		ps_buf_free(b);
	}
	memset(b, 0, sizeof(*b));
}

static struct ps_buf
scratch_take_buf(struct ps_buf *keep)
{
	struct ps_buf b = *keep;

	b.len = 0;
	memset(keep, 0, sizeof(*keep));
	return b;
}

void
ps_df_scratch_release(void)
{
	while (tl.blks) {
		struct arena_blk *n = tl.blks->next;

		free(tl.blks);
		tl.blks = n;
	}
	tl.nblks = 0;
	free(tl.lines.v);
	free(tl.insts.v);
	free(tl.cmds.v);
	free(tl.words.v);
	free(tl.assigns.v);
	free(tl.sub.v);
	ps_buf_free(&tl.tmp);
	ps_buf_free(&tl.w);
	ps_buf_free(&tl.raw);
	memset(&tl, 0, sizeof(tl));
}

/* ar_alloc when the current block has no room for need bytes */
static void *
ar_alloc_slow(struct ps_dockerfile *df, size_t need)
{
	struct arena_blk *b = df->arena, *nb;
	size_t cap = need > AR_BLOCK ? need : AR_BLOCK;

	if (cap == AR_BLOCK && tl.blks) {
		nb = tl.blks;
		tl.blks = nb->next;
		tl.nblks--;
	} else {
		nb = ps_xmalloc(sizeof(*nb) + cap);
	}
	nb->used = need;
	nb->cap = cap;
	if (b && need > AR_BLOCK) {
		/* a big one: keep the current block for small ones */
		nb->next = b->next;
		b->next = nb;
	} else {
		nb->next = b;
		df->arena = nb;
	}
	return (char *)nb->data;
}

/* n bytes from df's arena (16-byte aligned); the usual case inline */
static inline void *
ar_alloc(struct ps_dockerfile *df, size_t n)
{
	struct arena_blk *b = df->arena;
	size_t need = (n + 15) & ~(size_t)15;

	if (b && b->cap - b->used >= need) {
		void *p = (char *)b->data + b->used;

		b->used += need;
		return p;
	}
	return ar_alloc_slow(df, need);
}

static inline char *
ar_strndup(struct ps_dockerfile *df, const char *s, size_t n)
{
	char *p = ar_alloc(df, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void *
ar_dup(struct ps_dockerfile *df, const void *p, size_t n)
{
	void *q;

	if (n == 0)
		return NULL;
	q = ar_alloc(df, n);
	memcpy(q, p, n);
	return q;
}

void *
ps_df_calloc(struct ps_dockerfile *df, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		fputs("ps-toolkit: out of memory\n", stderr);
		abort();
	}
	n *= size;
	p = ar_alloc(df, n > 0 ? n : 1);
	memset(p, 0, n);
	return p;
}

/* ---- keywords ---- */

/* The keywords (by length: ps_df_kind_parse). */
static const char *const kinds[] = {
	[PS_DF_UNKNOWN] = "?",
	[PS_DF_FROM] = "FROM",
	[PS_DF_RUN] = "RUN",
	[PS_DF_CMD] = "CMD",
	[PS_DF_LABEL] = "LABEL",
	[PS_DF_MAINTAINER] = "MAINTAINER",
	[PS_DF_EXPOSE] = "EXPOSE",
	[PS_DF_ENV] = "ENV",
	[PS_DF_ADD] = "ADD",
	[PS_DF_COPY] = "COPY",
	[PS_DF_ENTRYPOINT] = "ENTRYPOINT",
	[PS_DF_VOLUME] = "VOLUME",
	[PS_DF_USER] = "USER",
	[PS_DF_WORKDIR] = "WORKDIR",
	[PS_DF_ARG] = "ARG",
	[PS_DF_ONBUILD] = "ONBUILD",
	[PS_DF_STOPSIGNAL] = "STOPSIGNAL",
	[PS_DF_HEALTHCHECK] = "HEALTHCHECK",
	[PS_DF_SHELL] = "SHELL",
};

const char *
ps_df_kind_name(enum ps_df_kind k)
{
	if ((size_t)k >= PS_ARRAY_LEN(kinds))
		return "?";
	return kinds[k];
}

enum ps_df_kind
ps_df_kind_parse(const char *word, size_t n)
{
	/* the keywords of each length (none is longer than 11) */
	static const unsigned char by_len[12][6] = {
		[3] = { PS_DF_RUN, PS_DF_CMD, PS_DF_ENV, PS_DF_ADD, PS_DF_ARG },
		[4] = { PS_DF_FROM, PS_DF_COPY, PS_DF_USER },
		[5] = { PS_DF_LABEL, PS_DF_SHELL },
		[6] = { PS_DF_EXPOSE, PS_DF_VOLUME },
		[7] = { PS_DF_WORKDIR, PS_DF_ONBUILD },
		[10] = { PS_DF_MAINTAINER, PS_DF_ENTRYPOINT, PS_DF_STOPSIGNAL },
		[11] = { PS_DF_HEALTHCHECK },
	};

	if (n >= PS_ARRAY_LEN(by_len))
		return PS_DF_UNKNOWN;
	/* compared in ASCII upper case (PS_DF_UNKNOWN, 0, ends a list) */
	for (const unsigned char *k = by_len[n]; *k; k++) {
		const char *name = kinds[*k];
		size_t i = 0;

		while (i < n && ps_ascii_upper(word[i]) == name[i])
			i++;
		if (i == n)
			return (enum ps_df_kind)*k;
	}
	return PS_DF_UNKNOWN;
}

/* ---- small vectors (malloc'd while parsing) ---- */

#define VEC(T) struct { T *v; size_t len, cap; }
#define VEC_PUSH(vec, x) do { \
	if ((vec).len >= (vec).cap) \
		ps_xgrow(&(vec).v, &(vec).cap, (vec).len + 1, sizeof(*(vec).v)); \
	(vec).v[(vec).len++] = (x); \
} while (0)
/* VEC_PUSH to a vector that starts in the array stack, moved to the heap
 * when it is full (free it only when (vec).v != stack) */
#define VEC_PUSH_FROM(vec, stack, x) do { \
	if ((vec).len == (vec).cap && (vec).v == (stack)) { \
		(vec).v = ps_xmalloc(2 * (vec).cap * sizeof(*(vec).v)); \
		memcpy((vec).v, (stack), (vec).len * sizeof(*(vec).v)); \
		(vec).cap *= 2; \
	} \
	VEC_PUSH(vec, x); \
} while (0)

struct line {
	const char *s;
	size_t n;		/* without the newline and a trailing \r */
};

struct parser {
	struct ps_dockerfile *df;
	struct line *lines;
	size_t nlines;
	VEC(struct ps_df_inst) insts;
	VEC(struct ps_df_comment) comments;
	VEC(struct ps_df_error) errors;
	struct ps_buf tmp;
	size_t lines_cap;
	int scratch;		/* the thread's scratch is ours */
};

static void
add_error(struct parser *p, int line, int col, const char *msg)
{
	struct ps_df_error e = { line, col, ar_strndup(p->df, msg, strlen(msg)) };

	VEC_PUSH(p->errors, e);
}

static int
is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\v' && s[i] != '\f')
			return 0;
	return 1;
}

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Whether a line is a comment: '#' is its first non-blank character. */
static int
is_comment(const struct line *l, size_t *hash)
{
	size_t i = skip_ws(l->s, l->n, 0);

	if (i < l->n && l->s[i] == '#') {
		if (hash)
			*hash = i;
		return 1;
	}
	return 0;
}

/* Whether the line ends with the escape character (trailing blanks ok);
 * *cut is where the content ends. */
static int
continues(const struct line *l, char esc, size_t *cut)
{
	size_t n = l->n;

	while (n > 0 && (l->s[n - 1] == ' ' || l->s[n - 1] == '\t'))
		n--;
	if (n > 0 && l->s[n - 1] == esc) {
		/* an escaped escape ("\\\\") does not continue */
		size_t k = 0;

		while (k < n && l->s[n - 1 - k] == esc)
			k++;
		if (k % 2 == 1) {
			*cut = n - 1;
			return 1;
		}
	}
	*cut = l->n;
	return 0;
}

static void
add_comment(struct parser *p, size_t li, size_t hash, int in_cont)
{
	const struct line *l = &p->lines[li];
	size_t i = skip_ws(l->s, l->n, hash + 1);
	struct ps_df_comment c = {
		.line = (int)li + 1,
		.col = (int)hash + 1,
		.text = ar_strndup(p->df, l->s + i, l->n - i),
		.in_continuation = in_cont,
	};

	VEC_PUSH(p->comments, c);
}

/* ---- words ---- */

/* What split_words looks at outside quotes: isspace() and quotes. */
static const unsigned char split_stop[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
	['"'] = 1, ['\''] = 1,
};

/* Split s into whitespace-separated words, quotes kept (quote-aware). */
static size_t
split_words(struct ps_dockerfile *df, const char *s, char esc,
	    const char ***out)
{
	/* most instructions have a few words: no malloc for up to 32 */
	const char *stack[32];
	VEC(const char *) w = { stack, 0, PS_ARRAY_LEN(stack) };
	size_t n = strlen(s), i = 0;

	while (1) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		size_t st = i;
		char q = 0;

		while (i < n) {
			char c = s[i];

			if (!q && !split_stop[(unsigned char)c] && c != esc) {
				i++;	/* the common case: a plain character */
				continue;
			}
			if (q) {
				if (c == esc && q == '"' && i + 1 < n)
					i++;
				else if (c == q)
					q = 0;
			} else if (c == '"' || c == '\'') {
				q = c;
			} else if (c == esc && i + 1 < n) {
				i++;
			} else if (isspace((unsigned char)c)) {
				break;
			}
			i++;
		}
		VEC_PUSH_FROM(w, stack, ar_strndup(df, s + st, i - st));
	}
	*out = ar_dup(df, w.v, w.len * sizeof(*w.v));
	if (w.v != stack)
		free(w.v);
	return w.len;
}

static const char *
unquote_esc(struct ps_dockerfile *df, const char *s, size_t n, char esc)
{
	char *o;
	size_t j = 0;
	char q = 0;

	/* most words have neither quotes nor escapes: as they are */
	if (!memchr(s, '"', n) && !memchr(s, '\'', n) && !memchr(s, esc, n))
		return ar_strndup(df, s, n);
	o = ar_alloc(df, n + 1);

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else
				o[j++] = c;
		} else if (q == '"') {
			if (c == '"')
				q = 0;
			else if (c == esc && i + 1 < n &&
				 (s[i + 1] == '"' || s[i + 1] == esc ||
				  s[i + 1] == '$'))
				o[j++] = s[++i];
			else
				o[j++] = c;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == esc && i + 1 < n) {
			o[j++] = s[++i];
		} else {
			o[j++] = c;
		}
	}
	o[j] = '\0';
	return o;
}

const char *
ps_df_strip_quotes(struct ps_dockerfile *df, const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
		return ar_strndup(df, s + 1, n - 2);
	return ar_strndup(df, s, n);
}

const char *
ps_df_unquote(struct ps_dockerfile *df, const char *s)
{
	return unquote_esc(df, s, strlen(s), df->escape ? df->escape : '\\');
}

/* KEY=VALUE pairs of ENV, ARG, LABEL; legacy "ENV key value". */
static void
parse_pairs(struct ps_dockerfile *df, struct ps_df_inst *in)
{
	struct ps_df_pair *pv;
	size_t n = 0;
	char esc = df->escape;

	if (in->argc == 0)
		return;
	/* one pair a word, or one for ENV key value */
	pv = ar_alloc(df, in->argc * sizeof(*pv));
	if (in->kind == PS_DF_ENV && !strchr(in->argv[0], '=')) {
		/* ENV key value with spaces */
		const char *a = in->args;
		size_t k = 0;

		while (a[k] && !isspace((unsigned char)a[k]))
			k++;
		size_t v = k;
		while (a[v] && isspace((unsigned char)a[v]))
			v++;
		struct ps_df_pair pr = {
			.key = unquote_esc(df, a, k, esc),
			.value = unquote_esc(df, a + v, strlen(a + v), esc),
			.raw_value = ar_strndup(df, a + v, strlen(a + v)),
		};
		pv[n++] = pr;
	} else {
		for (size_t i = 0; i < in->argc; i++) {
			const char *w = in->argv[i];
			const char *eq = NULL;
			char q = 0;

			for (const char *c = w; *c; c++) {
				if (q) {
					if (*c == q)
						q = 0;
				} else if (*c == '"' || *c == '\'') {
					q = *c;
				} else if (*c == esc && c[1]) {
					c++;
				} else if (*c == '=') {
					eq = c;
					break;
				}
			}
			struct ps_df_pair pr = { 0 };

			if (eq) {
				pr.key = unquote_esc(df, w, (size_t)(eq - w), esc);
				pr.value = unquote_esc(df, eq + 1, strlen(eq + 1), esc);
				pr.raw_value = eq + 1;
			} else {
				pr.key = unquote_esc(df, w, strlen(w), esc);
			}
			pv[n++] = pr;
		}
	}
	in->pairs = pv;
	in->npairs = n;
}

/* A JSON array of strings -> argv; 0 when s is not one. */
/* The strings of an exec-form array, gathered on the stack first. */
struct json_words {
	struct ps_dockerfile *df;
	const char **stack;
	VEC(const char *) w;
};

static int
json_word(void *ctx, const char *s, size_t n)
{
	struct json_words *jw = ctx;

	VEC_PUSH_FROM(jw->w, jw->stack, ar_strndup(jw->df, s, n));
	return 1;
}

static int
parse_json_form(struct ps_dockerfile *df, const char *s, const char ***argv,
		size_t *argc)
{
	const char *stack[16];
	struct json_words jw = { df, stack, { stack, 0, PS_ARRAY_LEN(stack) } };
	size_t n;
	long m;

	/* (a shell-form script, most often: told before its length) */
	if (s[0] != '[')
		return 0;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < 2 || s[n - 1] != ']')
		return 0;
	m = ps_jl_string_array(s, n, json_word, &jw);
	if (m >= 0) {
		VEC_PUSH_FROM(jw.w, stack, NULL);
		*argv = ar_dup(df, jw.w.v, jw.w.len * sizeof(*jw.w.v));
		*argc = (size_t)m;
	}
	if (jw.w.v != stack)
		free(jw.w.v);
	return m >= 0;
}

static const char *
join_argv(struct ps_dockerfile *df, const char **argv, size_t argc)
{
	struct ps_buf b = { 0 };
	const char *r;

	for (size_t i = 0; i < argc; i++) {
		if (i)
			ps_buf_addc(&b, ' ');
		ps_buf_adds(&b, argv[i]);
	}
	r = ar_strndup(df, ps_buf_str(&b), b.len);
	ps_buf_free(&b);
	return r;
}

/* Leading --flags (FROM, RUN, COPY, ADD, HEALTHCHECK); returns where the
 * arguments start. */
static const char *
parse_flags(struct ps_dockerfile *df, struct ps_df_inst *in, const char *s)
{
	struct ps_df_flag stack[8];
	VEC(struct ps_df_flag) fv = { stack, 0, PS_ARRAY_LEN(stack) };

	while (1) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (s[0] != '-' || s[1] != '-' || !s[2] ||
		    isspace((unsigned char)s[2]))
			break;
		const char *st = s + 2, *e = st;
		char q = 0;

		while (*e && (q || !isspace((unsigned char)*e))) {
			if (q && *e == q)
				q = 0;
			else if (!q && (*e == '"' || *e == '\''))
				q = *e;
			e++;
		}
		const char *eq = memchr(st, '=', (size_t)(e - st));
		struct ps_df_flag f;

		if (eq) {
			char *nm = ar_strndup(df, st, (size_t)(eq - st));

			for (char *c = nm; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			f.name = nm;
			f.value = unquote_esc(df, eq + 1, (size_t)(e - eq - 1),
					      df->escape);
		} else {
			char *nm = ar_strndup(df, st, (size_t)(e - st));

			for (char *c = nm; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			f.name = nm;
			f.value = NULL;
		}
		VEC_PUSH_FROM(fv, stack, f);
		s = e;
	}
	in->flags = ar_dup(df, fv.v, fv.len * sizeof(*fv.v));
	in->nflags = fv.len;
	if (fv.v != stack)
		free(fv.v);
	return s;
}

const struct ps_df_flag *
ps_df_flag(const struct ps_df_inst *in, const char *name)
{
	for (size_t i = 0; i < in->nflags; i++)
		if (strcmp(in->flags[i].name, name) == 0)
			return &in->flags[i];
	return NULL;
}

/* Find heredoc markers (<<EOF, <<-EOF, <<"EOF") in s, outside quotes. */
struct hd_mark {
	char delim[128];
	int quoted;
	int strip;
};

static size_t
find_heredocs(const char *s, struct hd_mark *m, size_t max)
{
	const char *lt = s;
	size_t k = 0;
	char q = 0;

	/* most instructions have no marker at all (and few a '<') */
	while ((lt = strchr(lt, '<')) != NULL && lt[1] != '<')
		lt++;
	if (!lt)
		return 0;
	for (size_t i = 0; s[i] && k < max; i++) {
		char c = s[i];

		if (q) {
			if (c == q)
				q = 0;
			continue;
		}
		if (c == '"' || c == '\'') {
			q = c;
			continue;
		}
		if (c != '<' || s[i + 1] != '<' || s[i + 2] == '<')
			continue;
		if (i > 0 && s[i - 1] == '<')
			continue;
		size_t j = i + 2;
		int strip = 0, quoted = 0;
		char dq = 0;

		if (s[j] == '-') {
			strip = 1;
			j++;
		}
		if (s[j] == '"' || s[j] == '\'') {
			dq = s[j++];
			quoted = 1;
		}
		if (!(isalpha((unsigned char)s[j]) || s[j] == '_'))
			continue;
		size_t st = j;

		while (isalnum((unsigned char)s[j]) || s[j] == '_' ||
		       s[j] == '-' || s[j] == '.')
			j++;
		if (dq) {
			if (s[j] != dq)
				continue;
		}
		size_t len = j - st;

		if (len >= sizeof(m[k].delim))
			continue;
		memcpy(m[k].delim, s + st, len);
		m[k].delim[len] = '\0';
		m[k].quoted = quoted;
		m[k].strip = strip;
		k++;
		i = dq ? j : j - 1;
	}
	return k;
}

static int
kind_has_flags(enum ps_df_kind k)
{
	return k == PS_DF_FROM || k == PS_DF_RUN || k == PS_DF_COPY ||
	       k == PS_DF_ADD || k == PS_DF_HEALTHCHECK;
}

/* RUN, CMD, ENTRYPOINT: the shell form is a script, for ps_sh_split to
 * read, not words */
static int
is_shell_kind(enum ps_df_kind k)
{
	return k == PS_DF_RUN || k == PS_DF_CMD || k == PS_DF_ENTRYPOINT;
}

static int
kind_has_exec(enum ps_df_kind k)
{
	return k == PS_DF_RUN || k == PS_DF_CMD || k == PS_DF_ENTRYPOINT ||
	       k == PS_DF_SHELL || k == PS_DF_COPY || k == PS_DF_ADD ||
	       k == PS_DF_VOLUME;
}

/*
 * Fill an instruction from its logical text (continuations joined). next
 * is the index of the line after the instruction, for heredocs; it is
 * advanced past their bodies.
 */
static void build_inst(struct parser *p, struct ps_df_inst *in,
		       const char *text, int line, int col, size_t *next);

static void
read_heredocs(struct parser *p, struct ps_df_inst *in, size_t *next)
{
	struct hd_mark m[8];
	size_t k = find_heredocs(in->args, m, PS_ARRAY_LEN(m));
	VEC(struct ps_df_heredoc) hv = { 0 };

	for (size_t h = 0; h < k; h++) {
		struct ps_buf body = { 0 };
		struct ps_df_heredoc hd = {
			.delim = ar_strndup(p->df, m[h].delim, strlen(m[h].delim)),
			.line = (int)*next + 1,
			.quoted = m[h].quoted,
			.strip_tabs = m[h].strip,
		};
		int found = 0;

		while (*next < p->nlines) {
			const struct line *l = &p->lines[(*next)++];
			const char *s = l->s;
			size_t n = l->n;

			if (m[h].strip)
				while (n > 0 && *s == '\t') {
					s++;
					n--;
				}
			size_t t = n;
			while (t > 0 && (s[t - 1] == ' ' || s[t - 1] == '\t'))
				t--;
			if (t == strlen(m[h].delim) && memcmp(s, m[h].delim, t) == 0) {
				found = 1;
				break;
			}
			ps_buf_add(&body, s, n);
			ps_buf_addc(&body, '\n');
		}
		if (!found)
			add_error(p, in->line, in->col,
				  "unterminated heredoc: no line with the delimiter");
		hd.body = ar_strndup(p->df, ps_buf_str(&body), body.len);
		ps_buf_free(&body);
		VEC_PUSH(hv, hd);
	}
	in->heredocs = ar_dup(p->df, hv.v, hv.len * sizeof(*hv.v));
	in->nheredocs = hv.len;
	free(hv.v);
}

/* Whether the args (heredoc markers aside) are only markers: RUN <<EOF. */
static int
only_heredoc_markers(const char *s)
{
	for (size_t i = 0; s[i];) {
		if (isspace((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (s[i] != '<' || s[i + 1] != '<')
			return 0;
		while (s[i] && !isspace((unsigned char)s[i]))
			i++;
	}
	return 1;
}

static void
build_inst(struct parser *p, struct ps_df_inst *in, const char *text,
	   int line, int col, size_t *next)
{
	struct ps_dockerfile *df = p->df;
	size_t k = 0;
	const char *rest;

	while (text[k] && !isspace((unsigned char)text[k]))
		k++;
	in->keyword = ar_strndup(df, text, k);
	in->kind = ps_df_kind_parse(text, k);
	in->line = line;
	in->col = col;
	rest = text + k;
	while (*rest && isspace((unsigned char)*rest))
		rest++;
	if (in->kind == PS_DF_ONBUILD) {
		in->args = ar_strndup(df, rest, strlen(rest));
		if (*rest) {
			struct ps_df_inst *inner = ar_alloc(df, sizeof(*inner));

			memset(inner, 0, sizeof(*inner));
			build_inst(p, inner, rest, line, col, next);
			inner->stage = in->stage;
			inner->raw = in->raw;
			in->inner = inner;
		}
		return;
	}
	if (kind_has_flags(in->kind))
		rest = parse_flags(df, in, rest);
	{
		size_t n = strlen(rest);

		while (n > 0 && isspace((unsigned char)rest[n - 1]))
			n--;
		in->args = ar_strndup(df, rest, n);
	}
	if (in->kind == PS_DF_RUN || in->kind == PS_DF_COPY ||
	    in->kind == PS_DF_ADD)
		read_heredocs(p, in, next);
	if (kind_has_exec(in->kind) &&
	    parse_json_form(df, in->args, &in->argv, &in->argc))
		in->exec_form = 1;
	else if (!is_shell_kind(in->kind))
		in->argc = split_words(df, in->args, df->escape, &in->argv);

	switch (in->kind) {
	case PS_DF_RUN:
	case PS_DF_CMD:
	case PS_DF_ENTRYPOINT:
		if (in->exec_form)
			in->script = join_argv(df, in->argv, in->argc);
		else if (in->nheredocs > 0 && only_heredoc_markers(in->args))
			in->script = in->heredocs[0].body;
		else
			in->script = in->args;
		break;
	case PS_DF_HEALTHCHECK:
		if (in->argc > 0 && strcasecmp(in->argv[0], "CMD") == 0) {
			const char *c = in->args + 3;
			const char **v;
			size_t m;

			while (*c && isspace((unsigned char)*c))
				c++;
			if (parse_json_form(df, c, &v, &m)) {
				in->exec_form = 1;
				in->argv = v;
				in->argc = m;
				in->script = join_argv(df, v, m);
			} else {
				in->argc = split_words(df, c, df->escape, &in->argv);
				in->script = c;
			}
		}
		break;
	case PS_DF_ENV:
	case PS_DF_ARG:
	case PS_DF_LABEL:
		parse_pairs(df, in);
		break;
	default:
		break;
	}
	if (in->kind == PS_DF_UNKNOWN) {
		char msg[160];

		snprintf(msg, sizeof(msg), "unknown instruction: %.*s",
			 (int)(k > 60 ? 60 : k), text);
		add_error(p, line, col, msg);
	} else if (in->kind == PS_DF_FROM && in->argc == 0) {
		add_error(p, line, col, "FROM requires the name of a base image");
	}
}

/* ---- expansion ---- */

static const char *
lookup(const struct ps_df_pair *vars, size_t nvars, const char *name,
       size_t n, int *set)
{
	for (size_t i = nvars; i-- > 0;)
		if (strlen(vars[i].key) == n && memcmp(vars[i].key, name, n) == 0) {
			*set = vars[i].value != NULL;
			return vars[i].value ? vars[i].value : "";
		}
	*set = 0;
	return "";
}

const char *
ps_df_expand(struct ps_dockerfile *df, const char *s,
	     const struct ps_df_pair *vars, size_t nvars)
{
	struct ps_buf b = { 0 };
	const char *r;

	if (!strchr(s, '$'))
		return ar_strndup(df, s, strlen(s));	/* most: nothing to expand */
	for (size_t i = 0; s[i];) {
		if (s[i] == df->escape && s[i + 1] == '$') {
			ps_buf_addc(&b, '$');
			i += 2;
			continue;
		}
		if (s[i] != '$') {
			ps_buf_addc(&b, s[i++]);
			continue;
		}
		if (s[i + 1] == '{') {
			size_t st = i + 2, j = st;
			int depth = 1;

			while (s[j] && depth) {
				if (s[j] == '{')
					depth++;
				else if (s[j] == '}')
					depth--;
				if (depth)
					j++;
			}
			if (!s[j]) {
				ps_buf_adds(&b, s + i);
				break;
			}
			size_t nm = st;
			while (nm < j && (isalnum((unsigned char)s[nm]) || s[nm] == '_'))
				nm++;
			int set;
			const char *v = lookup(vars, nvars, s + st, nm - st, &set);

			if (nm < j) {
				int colon = s[nm] == ':';
				/* (nothing after the colon: "${X:}") */
				char op = nm + colon < j ? s[nm + colon] : '\0';

				if (op == '-' || op == '+') {
					char *word = ps_xstrndup(s + nm + colon + 1,
								 j - nm - colon - 1);
					int has = set && (!colon || *v);

					if (op == '-')
						v = has ? v : ps_df_expand(df, word, vars, nvars);
					else
						v = has ? ps_df_expand(df, word, vars, nvars) : "";
					free(word);
				}
			}
			ps_buf_adds(&b, v);
			i = j + 1;
		} else if (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_') {
			size_t st = i + 1, j = st;
			int set;

			while (isalnum((unsigned char)s[j]) || s[j] == '_')
				j++;
			ps_buf_adds(&b, lookup(vars, nvars, s + st, j - st, &set));
			i = j;
		} else {
			ps_buf_addc(&b, s[i++]);
		}
	}
	r = ar_strndup(df, ps_buf_str(&b), b.len);
	ps_buf_free(&b);
	return r;
}

/* ---- the file ---- */

static void
split_lines(struct parser *p, const char *text, size_t len)
{
	VEC(struct line) lv = { 0 };
	size_t i = 0;

	if (p->scratch)
		SCRATCH_TAKE(lv, tl.lines);

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;
		struct line l = { text + i, e - i };

		if (l.n > 0 && l.s[l.n - 1] == '\r')
			l.n--;
		VEC_PUSH(lv, l);
		i = e + 1;
	}
	p->lines = lv.v;
	p->nlines = lv.len;
	p->lines_cap = lv.cap;
}

/* Parser directives at the top: "# syntax=...", "# escape=`". */
static size_t
read_directives(struct parser *p)
{
	size_t li = 0;

	for (; li < p->nlines; li++) {
		const struct line *l = &p->lines[li];
		size_t h, i, ks, ke, vs, ve;

		if (!is_comment(l, &h))
			break;
		i = skip_ws(l->s, l->n, h + 1);
		ks = i;
		while (i < l->n && (isalnum((unsigned char)l->s[i]) || l->s[i] == '_'))
			i++;
		ke = i;
		i = skip_ws(l->s, l->n, i);
		if (ke == ks || i >= l->n || l->s[i] != '=')
			break;
		vs = skip_ws(l->s, l->n, i + 1);
		ve = l->n;
		while (ve > vs && (l->s[ve - 1] == ' ' || l->s[ve - 1] == '\t'))
			ve--;
		if (ke - ks == 6 && strncasecmp(l->s + ks, "escape", 6) == 0) {
			if (ve - vs == 1 && (l->s[vs] == '`' || l->s[vs] == '\\'))
				p->df->escape = l->s[vs];
			else
				add_error(p, (int)li + 1, (int)vs + 1,
					  "invalid escape directive: use \\ or `");
		} else if (ke - ks == 6 && strncasecmp(l->s + ks, "syntax", 6) == 0) {
			p->df->syntax = ar_strndup(p->df, l->s + vs, ve - vs);
		} else if (!(ke - ks == 5 && strncasecmp(l->s + ks, "check", 5) == 0)) {
			break;
		}
	}
	return li;
}

static void
make_stages(struct parser *p)
{
	struct ps_dockerfile *df = p->df;
	VEC(struct ps_df_pair) globals = { 0 };
	VEC(struct ps_df_stage) sv = { 0 };
	int stage = -1;

	for (size_t i = 0; i < df->ninsts; i++) {
		struct ps_df_inst *in = &df->insts[i];

		if (in->kind == PS_DF_FROM && in->argc > 0) {
			struct ps_df_stage st = { 0 };

			st.inst = i;
			st.line = in->line;
			st.image = ps_df_unquote(df, in->argv[0]);
			st.image_expanded = ps_df_expand(df, st.image, globals.v,
							 globals.len);
			if (in->argc >= 3 && strcasecmp(in->argv[1], "as") == 0) {
				char *nm = (char *)ps_df_unquote(df, in->argv[2]);

				for (char *c = nm; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				st.name = nm;
			}
			const struct ps_df_flag *pf = ps_df_flag(in, "platform");

			st.platform = pf ? pf->value : NULL;
			VEC_PUSH(sv, st);
			stage = (int)sv.len - 1;
		} else if (in->kind == PS_DF_ARG && stage < 0) {
			for (size_t k = 0; k < in->npairs; k++) {
				struct ps_df_pair pr = in->pairs[k];

				if (pr.value)
					pr.value = ps_df_expand(df, pr.value, globals.v,
								globals.len);
				VEC_PUSH(globals, pr);
			}
		}
		in->stage = stage;
		if (in->inner)
			in->inner->stage = stage;
	}
	df->stages = sv.v;
	df->nstages = sv.len;
	free(globals.v);
}

struct ps_dockerfile *
ps_df_parse(const char *name, const char *text, size_t len,
	    struct ps_error *err)
{
	struct parser p = { 0 };
	struct ps_dockerfile *df;
	size_t li;

	if (len > (size_t)INT32_MAX) {
		ps_error_set(err, PS_EXIT_USAGE, "%s: file too large", name);
		return NULL;
	}
	df = ps_xcalloc(1, sizeof(*df));
	df->escape = '\\';
	df->name = ar_strndup(df, name, strlen(name));
	p.df = df;
	if (!tl.parsing) {
		tl.parsing = 1;
		p.scratch = 1;
		p.tmp = scratch_take_buf(&tl.tmp);
		SCRATCH_TAKE(p.insts, tl.insts);
	}
	/* a UTF-8 byte order mark */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	split_lines(&p, text, len);
	df->nlines = (int)p.nlines;
	li = read_directives(&p);
	for (size_t i = 0; i < li; i++) {
		size_t h;

		if (is_comment(&p.lines[i], &h))
			add_comment(&p, i, h, 0);
	}
	while (li < p.nlines) {
		const struct line *l = &p.lines[li];
		size_t cut, start = li;
		/* (its leading blanks looked at once: comment, blank, column) */
		size_t col = skip_ws(l->s, l->n, 0);

		if (is_blank(l->s + col, l->n - col)) {
			li++;
			continue;
		}
		if (l->s[col] == '#') {
			add_comment(&p, li, col, 0);
			li++;
			continue;
		}
		/* an instruction, perhaps continued */

		ps_buf_reset(&p.tmp);
		while (li < p.nlines) {
			const struct line *c = &p.lines[li];
			int more;

			if (li > start) {
				size_t w = skip_ws(c->s, c->n, 0);

				if (w < c->n && c->s[w] == '#') {
					add_comment(&p, li, w, 1);
					li++;
					continue;
				}
				if (is_blank(c->s + w, c->n - w)) {
					li++;
					continue;
				}
			}
			more = continues(c, df->escape, &cut);
			if (li == start)
				ps_buf_add(&p.tmp, c->s + col, cut - col);
			else
				ps_buf_add(&p.tmp, c->s, cut);
			li++;
			if (!more)
				break;
		}
		struct ps_df_inst in = { 0 };
		size_t next = li;
		in.stage = -1;
		/* (build_inst copies what it keeps; p.tmp is not touched) */
		build_inst(&p, &in, ps_buf_str(&p.tmp), (int)start + 1,
			   (int)col + 1, &next);
		li = next;
		in.end_line = (int)li;
		{
			const char *rs = p.lines[start].s;
			const struct line *last = &p.lines[li - 1];

			in.raw = ar_strndup(df, rs, (size_t)(last->s + last->n - rs));
			if (in.inner) {
				in.inner->raw = in.raw;
				in.inner->end_line = in.end_line;
			}
		}
		VEC_PUSH(p.insts, in);
	}
	df->insts = p.insts.v;
	df->ninsts = p.insts.len;
	df->comments = p.comments.v;
	df->ncomments = p.comments.len;
	df->errors = p.errors.v;
	df->nerrors = p.errors.len;
	make_stages(&p);
	if (p.scratch) {
		scratch_keep(&tl.lines, p.lines, p.lines_cap);
		scratch_keep_buf(&tl.tmp, &p.tmp);
		df->insts_cap = p.insts.cap;
		tl.parsing = 0;
	} else {
		free(p.lines);
		ps_buf_free(&p.tmp);
	}
	return df;
}

void
ps_df_free(struct ps_dockerfile *df)
{
	struct arena_blk *b, *n;

	if (!df)
		return;
	for (b = df->arena; b; b = n) {
		n = b->next;
		if (b->cap == AR_BLOCK && tl.nblks < 4) {
			b->used = 0;
			b->next = tl.blks;
			tl.blks = b;
			tl.nblks++;
		} else {
			free(b);
		}
	}
	if (df->insts_cap)
		scratch_keep(&tl.insts, df->insts, df->insts_cap);
	else
		free(df->insts);
	free(df->stages);
	free(df->comments);
	free(df->errors);
	free(df);
}

/* ---- shell splitting ---- */

struct sh {
	struct ps_dockerfile *df;
	const char *s;
	char *copy;		/* s in the arena, the same offsets: a plain
				 * word ends there with a NUL in place */
	size_t n, i;
	int line;
	int nested;
	VEC(struct ps_sh_cmd) cmds;
	VEC(struct ps_sh_word) words;
	VEC(struct ps_sh_word) assigns;
	VEC(char *) heredocs;	/* pending <<WORD bodies to skip at newline */
	int piped_in;
	int cmd_line;
	int skip_cmd;		/* for/case/select headers */
	int has_pipe;
	struct ps_buf w;
	struct ps_buf raw;
	VEC(struct ps_sh_cmd) sub;	/* commands found in $(...) */
};

static void sh_split_into(struct ps_dockerfile *df, const char *s, size_t n,
			  int nested, struct sh *parent);

/* strcmp(a, b) == 0, the usual mismatch settled on the first byte */
static inline int
streq(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}

static int
is_name_assign(const char *t)
{
	if (!ps_ascii_alpha(*t) && *t != '_')
		return 0;
	while (ps_ascii_alpha(*t) || ps_ascii_digit(*t) || *t == '_')
		t++;
	if (*t == '+' && t[1] == '=')
		return 1;
	return *t == '=';
}

/* A command's first word that is a keyword: SKIP_WORD for those that
 * only lead into a command (if, then, do, time, exec, ...), SKIP_CMD for
 * those whose command is not a simple one (for, case, select, function). */
enum { PLAIN_WORD, SKIP_WORD, SKIP_CMD };

static int
first_word_kind(const char *t)
{
	switch (t[0]) {
	case 'i':
		return streq(t, "if") ? SKIP_WORD : PLAIN_WORD;
	case 't':
		return streq(t, "then") || streq(t, "time") ? SKIP_WORD : PLAIN_WORD;
	case 'e':
		return streq(t, "else") || streq(t, "elif") || streq(t, "exec") ?
		       SKIP_WORD : PLAIN_WORD;
	case 'd':
		return streq(t, "do") ? SKIP_WORD : PLAIN_WORD;
	case 'w':
		return streq(t, "while") ? SKIP_WORD : PLAIN_WORD;
	case 'u':
		return streq(t, "until") ? SKIP_WORD : PLAIN_WORD;
	case '!':
	case '{':
		return t[1] == '\0' ? SKIP_WORD : PLAIN_WORD;
	case 'f':
		return streq(t, "for") || streq(t, "function") ? SKIP_CMD : PLAIN_WORD;
	case 'c':
		return streq(t, "case") ? SKIP_CMD : PLAIN_WORD;
	case 's':
		return streq(t, "select") ? SKIP_CMD : PLAIN_WORD;
	default:
		return PLAIN_WORD;
	}
}

static const char *const end_words[] = { "fi", "done", "esac", "}", NULL };

static int
in_list(const char *w, const char *const *l)
{
	for (; *l; l++)
		if (streq(w, *l))
			return 1;
	return 0;
}

/* A word of the command being read, its text and raw text in the arena. */
static void
push_word_at(struct sh *sh, const char *text, const char *raw, int quoted,
	     int dynamic)
{
	struct ps_sh_word w;

	w.text = text;
	w.raw = raw;
	w.quoted = quoted;
	w.dynamic = dynamic;
	if (sh->skip_cmd)
		return;
	if (sh->words.len == 0 && !quoted) {
		int kind = first_word_kind(w.text);

		if (kind == SKIP_WORD)
			return;
		if (kind == SKIP_CMD) {
			sh->skip_cmd = 1;
			return;
		}
		if (is_name_assign(w.text)) {
			VEC_PUSH(sh->assigns, w);
			return;
		}
	}
	VEC_PUSH(sh->words, w);
}

/* A word of the command being read, copied; raw NULL when it is text. */
static void
push_word(struct sh *sh, const char *text, size_t tn, const char *raw,
	  size_t rn, int quoted, int dynamic)
{
	const char *t = ar_strndup(sh->df, text, tn);

	push_word_at(sh, t, raw ? ar_strndup(sh->df, raw, rn) : t, quoted,
		     dynamic);
}

/* The word in sh->w (as read) and sh->raw (as written), if any. */
static void
end_word(struct sh *sh, int quoted, int dynamic)
{
	if (sh->raw.len == 0 && !quoted)
		return;
	/* without quotes, only an escape makes the raw text longer */
	push_word(sh, ps_buf_str(&sh->w), sh->w.len,
		  !quoted && sh->w.len == sh->raw.len ? NULL : ps_buf_str(&sh->raw),
		  sh->raw.len, quoted, dynamic);
	ps_buf_reset(&sh->w);
	ps_buf_reset(&sh->raw);
}

static void
end_cmd(struct sh *sh, enum ps_sh_sep sep)
{
	if (sh->words.len == 1 && in_list(sh->words.v[0].text, end_words))
		sh->words.len = 0;
	if (sh->words.len > 0 || sh->assigns.len > 0) {
		struct ps_sh_cmd c = { 0 };

		c.argv = ar_dup(sh->df, sh->words.v, sh->words.len * sizeof(struct ps_sh_word));
		c.argc = sh->words.len;
		if (c.argc > 0) {
			const char *n = c.argv[0].text, *sl = strrchr(n, '/');

			c.name = sl && sl[1] ? sl + 1 : n;
		}
		if (sh->assigns.len > 0)
			c.assigns = ar_dup(sh->df, sh->assigns.v,
					   sh->assigns.len * sizeof(struct ps_sh_word));
		c.nassigns = sh->assigns.len;
		c.sep = sep;
		c.piped_in = sh->piped_in;
		c.nested = sh->nested;
		c.line = sh->cmd_line;
		VEC_PUSH(sh->cmds, c);
		if (sep == PS_SH_PIPE)
			sh->has_pipe = 1;
	} else if (sh->cmds.len > 0 && sep != PS_SH_SEQ && sep != PS_SH_END &&
		   !sh->skip_cmd) {
		/* "cmd )" then "&&": the separator belongs to the last one */
		sh->cmds.v[sh->cmds.len - 1].sep = sep;
		if (sep == PS_SH_PIPE)
			sh->has_pipe = 1;
	}
	sh->piped_in = sep == PS_SH_PIPE;
	sh->words.len = 0;
	sh->assigns.len = 0;
	sh->skip_cmd = 0;
	sh->cmd_line = sh->line;
}

/* Index just past the ')' matching an opening '(' at i (s[i] == '('). */
static size_t
match_paren(const char *s, size_t n, size_t i)
{
	int depth = 0;
	char q = 0;

	for (; i < n; i++) {
		char c = s[i];

		if (q) {
			if (c == '\\' && q == '"' && i + 1 < n)
				i++;
			else if (c == q)
				q = 0;
			continue;
		}
		if (c == '\\' && i + 1 < n) {
			i++;
		} else if (c == '\'' || c == '"' || c == '`') {
			q = c;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return n;
}

static void
skip_heredoc_bodies(struct sh *sh)
{
	for (size_t h = 0; h < sh->heredocs.len; h++) {
		const char *d = sh->heredocs.v[h];
		size_t dl = strlen(d);

		while (sh->i < sh->n) {
			const char *ls = sh->s + sh->i;
			const char *nl = memchr(ls, '\n', sh->n - sh->i);
			size_t e = nl ? (size_t)(nl - ls) : sh->n - sh->i;
			const char *t = ls;
			size_t tn = e;

			while (tn > 0 && *t == '\t') {
				t++;
				tn--;
			}
			while (tn > 0 && isspace((unsigned char)t[tn - 1]))
				tn--;
			sh->i += e + (nl ? 1 : 0);
			sh->line++;
			if (tn == dl && memcmp(t, d, dl) == 0)
				break;
		}
		free(sh->heredocs.v[h]);
	}
	sh->heredocs.len = 0;
}

/* A redirection operator at i ("2>", ">>", "<", "&>", ">&2", "<<EOF")?
 * Returns its length (0 when none); *target: a word follows. */
static size_t
redirection(struct sh *sh, size_t i, int *target, int *here)
{
	const char *s = sh->s;
	size_t j = i;

	*target = 1;
	*here = 0;
	while (j < sh->n && isdigit((unsigned char)s[j]))
		j++;
	if (j < sh->n && s[j] == '&' && j == i && j + 1 < sh->n && s[j + 1] == '>')
		j++;
	if (j >= sh->n || (s[j] != '>' && s[j] != '<'))
		return 0;
	if (j > i && sh->raw.len > 0)
		return 0;
	if (s[j] == '<' && j + 1 < sh->n && s[j + 1] == '<') {
		j += 2;
		if (j < sh->n && s[j] == '<') {
			return j + 1 - i;	/* here-string: word follows */
		}
		if (j < sh->n && s[j] == '-')
			j++;
		*here = 1;
		return j - i;
	}
	j++;
	if (j < sh->n && (s[j] == '>' || s[j] == '|' || s[j] == '&')) {
		if (s[j] == '&') {
			j++;
			if (j < sh->n && (isdigit((unsigned char)s[j]) || s[j] == '-')) {
				while (j < sh->n && (isdigit((unsigned char)s[j]) || s[j] == '-'))
					j++;
				*target = 0;
			}
			return j - i;
		}
		j++;
	}
	return j - i;
}

/*
 * Characters that end a run of plain word characters: blanks, separators
 * and operators, quotes, escapes, expansions, redirections. Any other
 * character continues a word once it has begun (a digit or '#' is special
 * only where a word begins).
 */
static const unsigned char word_stop[256] = {
	[0] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [';'] = 1,
	['&'] = 1, ['|'] = 1, ['('] = 1, [')'] = 1, ['<'] = 1, ['>'] = 1,
	['\''] = 1, ['"'] = 1, ['\\'] = 1, ['$'] = 1, ['`'] = 1,
};

/* Outside quotes: the characters that end a word (blanks, separators). */
static const unsigned char word_end_char[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [';'] = 1, ['&'] = 1,
	['|'] = 1, ['('] = 1, [')'] = 1,
};

/* Inside "...": the characters that are not taken as they are. */
static const unsigned char dq_stop[256] = {
	[0] = 1, ['"'] = 1, ['\\'] = 1, ['$'] = 1, ['`'] = 1, ['\n'] = 1,
};

static void
sh_run(struct sh *sh)
{
	const char *s = sh->s;
	int quoted = 0, dynamic = 0;
	int redir_target = 0, redir_here = 0;

	sh->cmd_line = sh->line;
	while (sh->i < sh->n) {
		char c = s[sh->i];

		/* most words start with a character that can only be plain
		 * there (not a comment's '#', not a redirection's digit) */
		if (!word_stop[(unsigned char)c] && c != '#' &&
		    (unsigned char)(c - '0') > 9)
			goto plain;
		/* separators and operators (outside a word's quotes) */
		if (c == ' ' || c == '\t' || c == '\r') {
			if (sh->raw.len > 0 || quoted)
				goto word_end;
			/* blanks between words (a local index: sh->i could
			 * alias the script's bytes, it is stored once) */
			size_t i = sh->i + 1;

			/* (no bound: the script ends at a stop, no blank) */
			while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
				i++;
			sh->i = i;
			continue;
		}
		if (c == '\\' && sh->i + 1 < sh->n && s[sh->i + 1] == '\n') {
			sh->i += 2;
			sh->line++;
			continue;
		}
		if (c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' ||
		    c == ')') {
			goto word_end;
		}
		if (c == '#' && sh->raw.len == 0 && !quoted) {
			while (sh->i < sh->n && s[sh->i] != '\n')
				sh->i++;
			continue;
		}
		if ((c == '<' || c == '>' || isdigit((unsigned char)c) ||
		     (c == '&' && sh->raw.len == 0)) && !quoted) {
			int tgt, here;
			size_t rl = redirection(sh, sh->i, &tgt, &here);

			if (rl > 0) {
				end_word(sh, quoted, dynamic);
				quoted = dynamic = 0;
				sh->i += rl;
				redir_target = tgt;
				redir_here = here;
				continue;
			}
		}
		/* inside a word */
		if (c == '\'') {
			size_t st = sh->i++;

			while (sh->i < sh->n && s[sh->i] != '\'') {
				if (s[sh->i] == '\n')
					sh->line++;
				sh->i++;
			}
			ps_buf_add(&sh->w, s + st + 1, sh->i - st - 1);
			sh->i++;
			if (sh->i > sh->n)
				sh->i = sh->n;
			ps_buf_add(&sh->raw, s + st, sh->i - st);
			quoted = 1;
			continue;
		}
		if (c == '"') {
			size_t st = sh->i++;

			while (sh->i < sh->n && s[sh->i] != '"') {
				char d = s[sh->i];
				size_t run = sh->i, n = sh->n;

				while (run < n && !dq_stop[(unsigned char)s[run]])
					run++;
				if (run > sh->i) {
					ps_buf_add(&sh->w, s + sh->i, run - sh->i);
					sh->i = run;
					continue;
				}

				if (d == '\\' && sh->i + 1 < sh->n) {
					char e = s[sh->i + 1];

					if (e == '"' || e == '\\' || e == '$' || e == '`')
						ps_buf_addc(&sh->w, e);
					else if (e != '\n') {
						ps_buf_addc(&sh->w, d);
						ps_buf_addc(&sh->w, e);
					}
					sh->i += 2;
					continue;
				}
				if (d == '$' && sh->i + 1 < sh->n && s[sh->i + 1] == '(') {
					size_t e = match_paren(s, sh->n, sh->i + 1);

					sh_split_into(sh->df, s + sh->i + 2,
						      e - sh->i - 2 - (e <= sh->n && s[e - 1] == ')'),
						      1, sh);
					ps_buf_add(&sh->w, s + sh->i, e - sh->i);
					sh->i = e;
					dynamic = 1;
					continue;
				}
				if (d == '$' || d == '`')
					dynamic = 1;
				if (d == '\n')
					sh->line++;
				ps_buf_addc(&sh->w, d);
				sh->i++;
			}
			sh->i++;
			if (sh->i > sh->n)
				sh->i = sh->n;
			ps_buf_add(&sh->raw, s + st, sh->i - st);
			quoted = 1;
			continue;
		}
		if (c == '\\' && sh->i + 1 < sh->n) {
			ps_buf_addc(&sh->w, s[sh->i + 1]);
			ps_buf_add(&sh->raw, s + sh->i, 2);
			sh->i += 2;
			continue;
		}
		if (c == '$' && sh->i + 1 < sh->n && s[sh->i + 1] == '(') {
			size_t e = match_paren(s, sh->n, sh->i + 1);

			if (sh->i + 2 < sh->n && s[sh->i + 2] != '(')
				sh_split_into(sh->df, s + sh->i + 2,
					      e - sh->i - 2 - (s[e - 1] == ')'), 1, sh);
			ps_buf_add(&sh->w, s + sh->i, e - sh->i);
			ps_buf_add(&sh->raw, s + sh->i, e - sh->i);
			sh->i = e;
			dynamic = 1;
			continue;
		}
		if (c == '$' && sh->i + 1 < sh->n && s[sh->i + 1] == '{') {
			size_t e = sh->i + 2;
			int depth = 1;

			while (e < sh->n && depth) {
				if (s[e] == '{')
					depth++;
				else if (s[e] == '}')
					depth--;
				e++;
			}
			ps_buf_add(&sh->w, s + sh->i, e - sh->i);
			ps_buf_add(&sh->raw, s + sh->i, e - sh->i);
			sh->i = e;
			dynamic = 1;
			continue;
		}
		if (c == '`') {
			size_t st = ++sh->i;

			while (sh->i < sh->n && s[sh->i] != '`') {
				if (s[sh->i] == '\\' && sh->i + 1 < sh->n)
					sh->i++;
				sh->i++;
			}
			sh_split_into(sh->df, s + st, sh->i - st, 1, sh);
			if (sh->i < sh->n)
				sh->i++;
			ps_buf_add(&sh->w, s + st - 1, sh->i - st + 1);
			ps_buf_add(&sh->raw, s + st - 1, sh->i - st + 1);
			dynamic = 1;
			continue;
		}
		if (c == '$')
			dynamic = 1;
plain:
		{
			/* this character and the plain ones after it: inside a
			 * word, none of them can start anything else */
			size_t st = sh->i, i = st + 1;

			/* (no bound: the script ends at a stop, see sh_split_into) */
			while (!word_stop[(unsigned char)s[i]])
				i++;
			sh->i = i;
			if (sh->raw.len == 0 && !quoted && !redir_target &&
			    (sh->i == sh->n || word_end_char[(unsigned char)s[sh->i]])) {
				/* a whole plain word: ended in the script's
				 * copy (at a blank, an operator or the end,
				 * which no word of this script contains) */
				struct ps_sh_word w = { sh->copy + st, sh->copy + st,
							0, dynamic };

				sh->copy[sh->i] = '\0';
				/* (a word after the first needs no look, room
				 * permitting) */
				if (sh->words.len > 0 && sh->words.len < sh->words.cap &&
				    !sh->skip_cmd)
					sh->words.v[sh->words.len++] = w;
				else
					push_word_at(sh, w.text, w.raw, 0, dynamic);
				dynamic = 0;
				continue;
			}
			ps_buf_add(&sh->w, s + st, sh->i - st);
			ps_buf_add(&sh->raw, s + st, sh->i - st);
		}
		continue;

word_end:
		if (redir_target && (sh->raw.len > 0 || quoted)) {
			/* the word after a redirection is its target */
			if (redir_here) {
				char *d = ps_xstrdup(ps_buf_str(&sh->w));

				VEC_PUSH(sh->heredocs, d);
			}
			ps_buf_reset(&sh->w);
			ps_buf_reset(&sh->raw);
			redir_target = redir_here = 0;
		} else {
			end_word(sh, quoted, dynamic);
		}
		quoted = dynamic = 0;
		if (c == ' ' || c == '\t' || c == '\r') {
			sh->i++;
			continue;
		}
		if (c == '\n') {
			end_cmd(sh, PS_SH_SEQ);
			sh->i++;
			sh->line++;
			sh->cmd_line = sh->line;
			skip_heredoc_bodies(sh);
			sh->cmd_line = sh->line;
			continue;
		}
		if (c == '(' || c == ')') {
			if (c == '(' && sh->words.len > 0) {
				/* f() { ...; }: a function definition */
				sh->words.len = 0;
			}
			end_cmd(sh, PS_SH_SEQ);
			sh->i++;
			continue;
		}
		if (c == ';') {
			end_cmd(sh, PS_SH_SEQ);
			sh->i += (sh->i + 1 < sh->n && s[sh->i + 1] == ';') ? 2 : 1;
			continue;
		}
		if (c == '&') {
			if (sh->i + 1 < sh->n && s[sh->i + 1] == '&') {
				end_cmd(sh, PS_SH_AND);
				sh->i += 2;
			} else {
				end_cmd(sh, PS_SH_SEQ);
				sh->i++;
			}
			continue;
		}
		if (c == '|') {
			if (sh->i + 1 < sh->n && s[sh->i + 1] == '|') {
				end_cmd(sh, PS_SH_OR);
				sh->i += 2;
			} else {
				end_cmd(sh, PS_SH_PIPE);
				sh->i += (sh->i + 1 < sh->n && s[sh->i + 1] == '&') ? 2 : 1;
			}
			continue;
		}
	}
	if (redir_target && (sh->raw.len > 0 || quoted)) {
		ps_buf_reset(&sh->w);
		ps_buf_reset(&sh->raw);
	} else {
		end_word(sh, quoted, dynamic);
	}
	end_cmd(sh, PS_SH_END);
	for (size_t h = 0; h < sh->heredocs.len; h++)
		free(sh->heredocs.v[h]);
	sh->heredocs.len = 0;
}

static void
sh_split_into(struct ps_dockerfile *df, const char *s, size_t n, int nested,
	      struct sh *parent)
{
	struct sh sh = { 0 };

	if (parent && parent->nested > 8)
		return;
	/* s ends where the parent's script does (a NUL) or at the ')' or '`'
	 * that closes it: at a byte that stops a word, which the scan of a
	 * plain word relies on instead of a bound */
	assert(word_stop[(unsigned char)s[n]]);
	sh.df = df;
	sh.s = s;
	/* (s is inside the parent's script, in a word the parent copies
	 * from s: the NULs this one puts in the copy are in nobody's way) */
	sh.copy = parent->copy + (s - parent->s);
	sh.n = n;
	sh.nested = nested + (parent ? parent->nested : 0);
	sh.line = parent ? parent->line : 0;
	sh_run(&sh);
	/* nested commands go after the parent's, in order found */
	for (size_t i = 0; i < sh.cmds.len; i++) {
		struct ps_sh_cmd c = sh.cmds.v[i];

		c.nested = 1;
		VEC_PUSH(parent->sub, c);
	}
	for (size_t i = 0; i < sh.sub.len; i++)
		VEC_PUSH(parent->sub, sh.sub.v[i]);
	free(sh.cmds.v);
	free(sh.sub.v);
	free(sh.words.v);
	free(sh.assigns.v);
	free(sh.heredocs.v);
	ps_buf_free(&sh.w);
	ps_buf_free(&sh.raw);
}

void
ps_sh_split(struct ps_dockerfile *df, const char *script,
	    struct ps_sh_script *out)
{
	struct sh sh = { 0 };
	int scratch = !tl.splitting;

	sh.df = df;
	sh.s = script ? script : "";
	sh.n = strlen(sh.s);
	sh.copy = ar_strndup(df, sh.s, sh.n);
	if (scratch) {
		tl.splitting = 1;
		SCRATCH_TAKE(sh.cmds, tl.cmds);
		SCRATCH_TAKE(sh.words, tl.words);
		SCRATCH_TAKE(sh.assigns, tl.assigns);
		SCRATCH_TAKE(sh.sub, tl.sub);
		sh.w = scratch_take_buf(&tl.w);
		sh.raw = scratch_take_buf(&tl.raw);
	}
	sh_run(&sh);
	for (size_t i = 0; i < sh.sub.len; i++)
		VEC_PUSH(sh.cmds, sh.sub.v[i]);
	out->cmds = ar_dup(df, sh.cmds.v, sh.cmds.len * sizeof(*sh.cmds.v));
	out->ncmds = sh.cmds.len;
	out->has_pipe = sh.has_pipe;
	free(sh.heredocs.v);
	if (scratch) {
		scratch_keep(&tl.cmds, sh.cmds.v, sh.cmds.cap);
		scratch_keep(&tl.words, sh.words.v, sh.words.cap);
		scratch_keep(&tl.assigns, sh.assigns.v, sh.assigns.cap);
		scratch_keep(&tl.sub, sh.sub.v, sh.sub.cap);
		scratch_keep_buf(&tl.w, &sh.w);
		scratch_keep_buf(&tl.raw, &sh.raw);
		tl.splitting = 0;
		return;
	}
	free(sh.cmds.v);
	free(sh.sub.v);
	free(sh.words.v);
	free(sh.assigns.v);
	ps_buf_free(&sh.w);
	ps_buf_free(&sh.raw);
}

int
ps_sh_has_arg(const struct ps_sh_cmd *c, const char *const *words)
{
	for (size_t i = 1; i < c->argc; i++)
		for (const char *const *w = words; *w; w++)
			if (streq(c->argv[i].text, *w))
				return 1;
	return 0;
}

int
ps_sh_has_flag(const struct ps_sh_cmd *c, const char *flag)
{
	size_t fl = strlen(flag);

	for (size_t i = 1; i < c->argc; i++) {
		const char *a = c->argv[i].text;

		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-') {
			if (!a[2])
				break;	/* "--": no options after it */
			if (a[2] == flag[0] && strncmp(a + 2, flag, fl) == 0 &&
			    (a[2 + fl] == '\0' || a[2 + fl] == '='))
				return 1;
		} else if (fl == 1 && strchr(a + 1, flag[0])) {
			return 1;
		}
	}
	return 0;
}
