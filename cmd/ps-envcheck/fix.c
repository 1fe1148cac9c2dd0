/*
 * ps-envcheck --fix: rewrite what is safe to rewrite without changing what
 * any loader reads (spacing around '=', leading blanks, trailing
 * whitespace, quoting, blank lines, the final newline; key order only when
 * asked; duplicates only when identical), write it atomically with a
 * backup, or show it as a unified diff.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/util.h"

/* One unit of output: a line, or an entry with its lines. */
struct unit {
	char *text;		/* without the final newline (may hold "\n") */
	const char *key;	/* entries only */
	int blank;
	int comment;
	int pragma;
	long entry;
};

static int on(const struct envcheck *ck, enum rule_id r)
{
	return (ck->enabled & RULE_BIT(r)) != 0;
}

static int blank_char(char c)
{
	return c == ' ' || c == '\t';
}

static char *rstrip(const char *s, size_t n)
{
	while (n && blank_char(s[n - 1]))
		n--;
	return ps_xstrndup(s, n);
}

/* Whether the value needs its quotes: what QuoteCharacter leaves alone. */
static int plain_ok(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!(c >= 0x80 || (c >= '0' && c <= '9') ||
		      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
		      strchr("_./:@,+%-", c)))
			return 0;
	}
	return 1;
}

static int has_problem_on(const struct ps_dotenv *d, int line)
{
	size_t i;

	for (i = 0; i < d->nproblems; i++)
		if (d->problems[i].line == line)
			return 1;
	return 0;
}

/* The entry written canonically, or NULL to keep it as written. */
static char *rewrite_entry(const struct envcheck *ck,
			   const struct ps_dotenv *d,
			   const struct ps_dotenv_entry *e)
{
	struct ps_buf b = { 0 };
	const char *val = e->raw_value;
	char *owned = NULL;

	if (e->end_line != e->line || !e->has_eq || has_problem_on(d, e->line) ||
	    !ps_dotenv_key_valid(e->key) || strchr(e->raw, '\r'))
		return NULL;
	/* Loaders disagree on '#', quotes and backslashes in unquoted
	 * values: such values are left as they are. */
	if (e->quote == PS_DOTENV_QUOTE_NONE && strpbrk(e->value, " \t") &&
	    !strpbrk(e->value, "#'\"\\`") && on(ck, R_VALUE_WITHOUT_QUOTES)) {
		owned = ps_dotenv_format_value(e->value, e->value_len,
					       e->nrefs > 0);
		val = owned;
	} else if ((e->quote == PS_DOTENV_QUOTE_SINGLE ||
		    e->quote == PS_DOTENV_QUOTE_DOUBLE) &&
		   on(ck, R_QUOTE_CHARACTER) &&
		   plain_ok(e->value, e->value_len)) {
		val = e->value;
	}
	if (e->exported)
		ps_buf_adds(&b, "export ");
	ps_buf_adds(&b, e->key);
	ps_buf_addc(&b, '=');
	ps_buf_adds(&b, val);
	if (e->comment) {
		char *c = rstrip(e->comment, strlen(e->comment));

		ps_buf_adds(&b, " #");
		ps_buf_adds(&b, c);
		free(c);
	}
	free(owned);
	return ps_buf_detach(&b);
}

static int same_entry(const struct ps_dotenv_entry *a,
		      const struct ps_dotenv_entry *b)
{
	return strcmp(a->key, b->key) == 0 && a->value_len == b->value_len &&
	       memcmp(a->value, b->value, a->value_len) == 0 &&
	       a->exported == b->exported && a->has_eq == b->has_eq &&
	       a->quote == b->quote;
}

struct sortable {
	size_t first, last;	/* units: comments above + the entry */
	const char *key;
};

static int cmp_sortable(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sort the entries of each group (runs between blank lines and control
 * comments); a comment right above an entry moves with it. A group where
 * an entry refers to another key of the group keeps its order. */
static int sort_groups(const struct ps_dotenv *d, struct unit *u, size_t n)
{
	size_t i = 0, sorted = 0;

	while (i < n) {
		size_t g0, g1, k, ns = 0, start;
		struct sortable *s;
		int refs = 0, changed = 0;
		struct unit *copyv;

		while (i < n && (u[i].blank || u[i].pragma))
			i++;
		g0 = i;
		while (i < n && !u[i].blank && !u[i].pragma)
			i++;
		g1 = i;
		if (g1 - g0 < 2)
			continue;
		s = ps_xcalloc(g1 - g0, sizeof(*s));
		start = g0;
		for (k = g0; k < g1; k++) {
			if (u[k].entry < 0)
				continue;
			s[ns].first = start;
			s[ns].last = k;
			s[ns].key = u[k].key;
			ns++;
			start = k + 1;
		}
		/* trailing comments of a group stay at its end */
		for (k = 0; k < ns && !refs; k++) {
			const struct ps_dotenv_entry *e = &d->entries[u[s[k].last].entry];
			size_t r, m;

			for (r = 0; r < e->nrefs; r++)
				for (m = 0; m < ns; m++)
					if (strcmp(e->refs[r].name, s[m].key) == 0)
						refs = 1;
		}
		if (refs || ns < 2) {
			free(s);
			continue;
		}
		qsort(s, ns, sizeof(*s), cmp_sortable);
		copyv = ps_xmalloc((g1 - g0) * sizeof(*copyv));
		start = 0;
		for (k = 0; k < ns; k++) {
			size_t m;

			for (m = s[k].first; m <= s[k].last; m++)
				copyv[start++] = u[m];
		}
		for (k = start; k < g1 - g0; k++)	/* trailing comments */
			copyv[k] = u[g0 + k];
		for (k = 0; k < g1 - g0; k++)
			if (copyv[k].text != u[g0 + k].text)
				changed = 1;
		memcpy(u + g0, copyv, (g1 - g0) * sizeof(*copyv));
		free(copyv);
		free(s);
		sorted += changed;
	}
	return (int)sorted;
}

static int is_pragma_text(const char *t)
{
	while (blank_char(*t))
		t++;
	if (*t != '#')
		return 0;
	t++;
	while (blank_char(*t))
		t++;
	return strncmp(t, "ps-envcheck", 11) == 0 ||
	       strncmp(t, "dotenv-linter:", 14) == 0;
}

char *envcheck_fix(const struct envcheck *ck, const struct envfile *f,
		   size_t *len, int *nfixes)
{
	const struct ps_dotenv *d = &f->doc;
	struct unit *u = ps_xcalloc(d->nlines + 1, sizeof(*u));
	size_t n = 0, i;
	int fixes = 0;
	struct ps_buf out = { 0 };
	const char *eol = d->nlines && d->lines[0].crlf ? "\r\n" : "\n";

	for (i = 0; i < d->nlines; i++) {
		const struct ps_dotenv_line *l = &d->lines[i];
		struct unit *x = &u[n];

		x->entry = -1;
		if (l->kind == PS_DOTENV_BLANK) {
			if (on(ck, R_EXTRA_BLANK_LINE) && n && u[n - 1].blank) {
				fixes++;
				continue;
			}
			x->blank = 1;
			x->text = ps_xstrdup("");
			if (l->len && on(ck, R_TRAILING_WHITESPACE))
				fixes++;
			else if (l->len) {
				free(x->text);
				x->text = ps_xstrndup(l->text, l->len);
			}
		} else if (l->kind == PS_DOTENV_COMMENT) {
			x->comment = 1;
			x->text = on(ck, R_TRAILING_WHITESPACE) ?
				  rstrip(l->text, l->len) :
				  ps_xstrndup(l->text, l->len);
			if (strlen(x->text) != l->len)
				fixes++;
			x->pragma = is_pragma_text(x->text);
		} else {
			const struct ps_dotenv_entry *e = &d->entries[l->entry];
			char *t = rewrite_entry(ck, d, e);

			if (on(ck, R_DUPLICATED_KEY)) {
				/* drop it when the key's previous setting is
				 * the same: the value read stays the same */
				long pv = ps_dotenv_prev(d, (size_t)l->entry);

				if (pv >= 0 && same_entry(&d->entries[pv], e)) {
					free(t);
					fixes++;
					i = (size_t)e->end_line - 1;
					continue;
				}
			}
			if (!t)
				t = ps_xstrdup(e->raw);
			else if (strcmp(t, e->raw) != 0)
				fixes++;
			x->text = t;
			x->key = e->key;
			x->entry = l->entry;
			i = (size_t)e->end_line - 1;
		}
		n++;
	}
	if (on(ck, R_EXTRA_BLANK_LINE)) {
		while (n && u[n - 1].blank) {
			free(u[--n].text);
			fixes++;
		}
	}
	if (ck->sort || on(ck, R_UNORDERED_KEY))
		fixes += sort_groups(d, u, n);
	for (i = 0; i < n; i++) {
		const char *t = u[i].text;

		/* multi-line entries keep their bytes, line breaks included */
		ps_buf_adds(&out, t);
		if (i + 1 < n || d->final_newline || on(ck, R_ENDING_BLANK_LINE))
			ps_buf_adds(&out, eol);
		free(u[i].text);
	}
	if (n && !d->final_newline && on(ck, R_ENDING_BLANK_LINE))
		fixes++;
	free(u);
	*len = out.len;
	*nfixes = fixes;
	return ps_buf_detach(&out);
}

/* ---- writing ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write text to path through a temporary file in the same directory. */
static int replace_file(const char *path, const char *text, size_t len,
			mode_t mode, struct ps_error *err)
{
	char *tmp = ps_xasprintf("%s.ps-envcheck.XXXXXX", path);
	int fd = mkstemp(tmp);

	if (fd < 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot create '%s': %s", tmp,
			     strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, text, len) < 0 ||
	    fsync(fd) < 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", tmp,
			     strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot replace '%s': %s", path,
			     strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int envcheck_write(const char *path, const char *text, size_t len,
		   int no_backup, struct ps_error *err)
{
	struct stat st;
	mode_t mode = 0644;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if (!no_backup) {
		struct ps_buf old = { 0 };
		char *bak = ps_xasprintf("%s.bak", path);
		int rc;

		if (ps_read_file(path, &old, err) < 0) {
			free(bak);
			ps_buf_free(&old);
			return -1;
		}
		rc = replace_file(bak, ps_buf_str(&old), old.len, mode, err);
		free(bak);
		ps_buf_free(&old);
		if (rc < 0)
			return -1;
	}
	return replace_file(path, text, len, mode, err);
}

/* ---- unified diff ---- */

struct lines {
	const char **p;
	size_t *n;
	size_t len;
};

static void split(const char *s, size_t len, struct lines *l)
{
	size_t i = 0, cap = 0;

	memset(l, 0, sizeof(*l));
	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != '\n')
			j++;
		if (l->len + 1 > cap) {
			cap = cap ? cap * 2 : 64;
			l->p = ps_xrealloc(l->p, cap * sizeof(*l->p));
			l->n = ps_xrealloc(l->n, cap * sizeof(*l->n));
		}
		l->p[l->len] = s + i;
		l->n[l->len] = j - i + (j < len);	/* with its "\n" */
		l->len++;
		i = j + 1;
	}
}

static int line_eq(const struct lines *a, size_t i, const struct lines *b,
		   size_t j)
{
	return a->n[i] == b->n[j] && memcmp(a->p[i], b->p[j], a->n[i]) == 0;
}

static void put_line(FILE *out, char tag, const char *p, size_t n)
{
	fputc(tag, out);
	fwrite(p, 1, n, out);
	if (n == 0 || p[n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", out);
}

/* An edit script: for each step 0 = keep, 1 = delete from a, 2 = add b. */
static unsigned char *edit_script(const struct lines *a, const struct lines *b,
				  size_t *nsteps)
{
	size_t n = a->len, m = b->len, i, j, k = 0;
	unsigned char *ops = ps_xmalloc(n + m + 1);
	unsigned *lcs;

	if ((n + 1) * (m + 1) > 16u * 1024 * 1024) {
		/* too big for the table: replace everything */
		for (i = 0; i < n; i++)
			ops[k++] = 1;
		for (j = 0; j < m; j++)
			ops[k++] = 2;
		*nsteps = k;
		return ops;
	}
	lcs = ps_xcalloc((n + 1) * (m + 1), sizeof(*lcs));
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			lcs[i * (m + 1) + j] = line_eq(a, i, b, j) ?
				lcs[(i + 1) * (m + 1) + j + 1] + 1 :
				(lcs[(i + 1) * (m + 1) + j] >
				 lcs[i * (m + 1) + j + 1] ?
				 lcs[(i + 1) * (m + 1) + j] :
				 lcs[i * (m + 1) + j + 1]);
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && line_eq(a, i, b, j)) {
			ops[k++] = 0;
			i++;
			j++;
		} else if (i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >=
					       lcs[i * (m + 1) + j + 1])) {
			ops[k++] = 1;
			i++;
		} else {
			ops[k++] = 2;
			j++;
		}
	}
	free(lcs);
	*nsteps = k;
	return ops;
}

int envcheck_udiff(FILE *out, const char *name, const char *a, size_t alen,
		   const char *b, size_t blen)
{
	struct lines la, lb;
	size_t nsteps, s = 0;
	unsigned char *ops;
	int hunks = 0;
	const size_t ctx = 3;

	split(a, alen, &la);
	split(b, blen, &lb);
	ops = edit_script(&la, &lb, &nsteps);
	while (s < nsteps) {
		size_t start, end, t, ai = 0, bi = 0, a0, b0, an = 0, bn = 0;

		while (s < nsteps && ops[s] == 0)
			s++;
		if (s == nsteps)
			break;
		/* extend the hunk while changes are within 2*ctx of each other */
		end = s;
		for (t = s; t < nsteps; t++) {
			if (ops[t] != 0)
				end = t;
			else if (t - end > 2 * ctx)
				break;
		}
		start = s > ctx ? s - ctx : 0;
		end = end + ctx + 1 < nsteps ? end + ctx + 1 : nsteps;
		for (t = 0; t < start; t++) {
			if (ops[t] != 2)
				ai++;
			if (ops[t] != 1)
				bi++;
		}
		a0 = ai;
		b0 = bi;
		for (t = start; t < end; t++) {
			if (ops[t] != 2)
				an++;
			if (ops[t] != 1)
				bn++;
		}
		if (hunks == 0)
			fprintf(out, "--- %s\n+++ %s\n", name, name);
		fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", an ? a0 + 1 : a0, an,
			bn ? b0 + 1 : b0, bn);
		for (t = start; t < end; t++) {
			if (ops[t] == 0) {
				put_line(out, ' ', la.p[ai], la.n[ai]);
				ai++;
				bi++;
			} else if (ops[t] == 1) {
				put_line(out, '-', la.p[ai], la.n[ai]);
				ai++;
			} else {
				put_line(out, '+', lb.p[bi], lb.n[bi]);
				bi++;
			}
		}
		hunks++;
		s = end;
	}
	free(ops);
	free(la.p);
	free(la.n);
	free(lb.p);
	free(lb.n);
	return hunks;
}
