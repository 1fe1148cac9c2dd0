/*
 * config: YAML (libyaml's event API) loaded into a tree of struct ps_node
 * that keeps the position of every node, plus the comments of the file, and
 * typed getters that collect every error of a file as findings.
 *
 * Nodes, pairs and strings live in a per-document arena freed at once by
 * ps_doc_free. Anchors are registered when their node is complete, so an
 * alias can only point backwards and the tree is acyclic; merge keys are
 * expanded when their mapping ends. The size of the tree with every alias
 * expanded is capped (billion laughs).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "diag.h"
#include "time.h"
#include "util.h"

/* Nodes of the tree with every alias expanded; more is an alias bomb. */
#define PS_CFG_MAX_EXPANDED 1000000
/* Deeper nesting is refused, so that recursive walkers stay safe. */
#define PS_CFG_MAX_DEPTH 1000
/* Mappings with more pairs use a hash set for duplicate keys. */
#define PS_CFG_SMALL_MAP 16
#define ARENA_CHUNK 65536

struct chunk {
	struct chunk *next;
	size_t cap;
	size_t used;
};

#define CHUNK_HDR ((sizeof(struct chunk) + 15) & ~(size_t)15)

struct comment {
	const char *text;
	int line;
	int col;
};

struct ps_doc {
	char *name;
	char *text;		/* the file, NUL-terminated */
	size_t len;
	size_t bom;		/* 3 when the text starts with a UTF-8 BOM */
	size_t *lines;		/* byte offset of each line start */
	size_t nlines;
	struct ps_node *root;
	size_t ndocs;
	struct comment *comments;
	size_t ncomments;
	size_t ccap;
	struct chunk *arena;
};

/* ---- arena ---- */

static void *
arena_alloc(struct ps_doc *d, size_t n)
{
	struct chunk *c = d->arena;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;

		c = ps_xmalloc(CHUNK_HDR + cap);
		c->cap = cap;
		c->used = 0;
		if (n > ARENA_CHUNK / 4 && d->arena) {
			/* a big block of its own: keep filling the current one */
			c->next = d->arena->next;
			d->arena->next = c;
		} else {
			c->next = d->arena;
			d->arena = c;
		}
	}
	p = (char *)c + CHUNK_HDR + c->used;
	c->used += n;
	return p;
}

static void *
arena_zalloc(struct ps_doc *d, size_t n)
{
	void *p = arena_alloc(d, n);

	memset(p, 0, n);
	return p;
}

const char *
ps_doc_strdup(struct ps_doc *doc, const char *s, size_t n)
{
	char *p = arena_alloc(doc, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- the text: lines ---- */

/* Length of the line break at p (libyaml's: \n, \r\n, \r, NEL, LS, PS). */
static inline size_t
break_len(const char *t, size_t i, size_t len)
{
	const unsigned char *p = (const unsigned char *)t + i;

	if (p[0] > '\r' && p[0] != 0xC2 && p[0] != 0xE2)
		return 0;
	if (p[0] == '\n')
		return 1;
	if (p[0] == '\r')
		return i + 1 < len && p[1] == '\n' ? 2 : 1;
	if (p[0] == 0xC2 && i + 1 < len && p[1] == 0x85)
		return 2;
	if (p[0] == 0xE2 && i + 2 < len && p[1] == 0x80 &&
	    (p[2] == 0xA8 || p[2] == 0xA9))
		return 3;
	return 0;
}

static void
index_lines(struct ps_doc *d)
{
	size_t cap = 0, i = d->bom, b;

	ps_xgrow(&d->lines, &cap, 1, sizeof(*d->lines));
	d->lines[d->nlines++] = i;
	while (i < d->len) {
		b = break_len(d->text, i, d->len);
		if (!b) {
			i++;
			continue;
		}
		i += b;
		ps_xgrow(&d->lines, &cap, d->nlines + 1, sizeof(*d->lines));
		d->lines[d->nlines++] = i;
	}
}

/* 1-based line of byte offset off, and its 1-based column in characters. */
static void
pos_of(const struct ps_doc *d, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = d->nlines, i, c = 1;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (i = d->lines[lo]; i < off && i < d->len; i++)
		if (((unsigned char)d->text[i] & 0xC0) != 0x80)
			c++;
	*line = (int)(lo + 1 > INT_MAX ? INT_MAX : lo + 1);
	*col = (int)(c > INT_MAX ? INT_MAX : c);
}

const char *
ps_doc_text(const struct ps_doc *doc, size_t *len)
{
	if (!doc) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = doc->len;
	return doc->text;
}

const char *
ps_doc_line(const struct ps_doc *doc, int line, size_t *len)
{
	size_t s, e;

	if (!doc || line < 1 || (size_t)line > doc->nlines)
		return NULL;
	s = doc->lines[line - 1];
	e = s;
	while (e < doc->len && !break_len(doc->text, e, doc->len))
		e++;
	if (len)
		*len = e - s;
	return doc->text + s;
}

const struct ps_node *
ps_doc_root(const struct ps_doc *doc)
{
	return doc ? doc->root : NULL;
}

const char *
ps_doc_file(const struct ps_doc *doc)
{
	return doc ? doc->name : NULL;
}

size_t
ps_doc_count(const struct ps_doc *doc)
{
	return doc ? doc->ndocs : 0;
}

size_t
ps_doc_ncomments(const struct ps_doc *doc)
{
	return doc ? doc->ncomments : 0;
}

const char *
ps_doc_comment(const struct ps_doc *doc, size_t i, int *line, int *col)
{
	if (!doc || i >= doc->ncomments)
		return NULL;
	if (line)
		*line = doc->comments[i].line;
	if (col)
		*col = doc->comments[i].col;
	return doc->comments[i].text;
}

void
ps_doc_free(struct ps_doc *doc)
{
	struct chunk *c, *next;

	if (!doc)
		return;
	for (c = doc->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	free(doc->name);
	free(doc->text);
	free(doc->lines);
	free(doc->comments);
	free(doc);
}

/* ---- findings ---- */

static void
set_snippet(struct ps_finding *f, const struct ps_doc *d, int line)
{
	const char *s;
	size_t n;

	if (!f || !d || line < 1)
		return;
	s = ps_doc_line(d, line, &n);
	if (s)
		ps_finding_set_snippet(f, s, n);
}

static struct ps_finding *
add_finding(struct ps_diags *diags, const struct ps_doc *d, const char *file,
	    const char *tool, const char *rule, const char *name,
	    enum ps_severity sev, int line, int col, int end_line, int end_col,
	    const char *msg)
{
	struct ps_finding *f;

	if (!diags)
		return NULL;
	f = ps_diags_add(diags, tool, rule, name, sev, file ? file : "-", line,
			 col, "%s", msg);
	if (!f)
		return NULL;
	f->end_line = end_line;
	f->end_col = end_col;
	set_snippet(f, d, line);
	return f;
}

/* ---- a set of scalar keys (duplicate detection, merges) ---- */

struct keyset {
	const struct ps_node **keys;	/* small mode: linear */
	size_t n, cap;
	size_t *slots;			/* hash mode: index + 1, 0 = empty */
	size_t nslots;
};

static size_t
key_hash(const struct ps_node *k)
{
	size_t h = 1469598103934665603ULL & SIZE_MAX, i;

	for (i = 0; i < k->value_len; i++) {
		h ^= (unsigned char)k->value[i];
		h *= (size_t)1099511628211ULL;
	}
	return h;
}

static int
key_eq(const struct ps_node *a, const struct ps_node *b)
{
	return a->value_len == b->value_len &&
	       memcmp(a->value, b->value, a->value_len) == 0;
}

static void
keyset_rehash(struct keyset *s, size_t nslots)
{
	size_t i;

	free(s->slots);
	s->slots = ps_xcalloc(nslots, sizeof(*s->slots));
	s->nslots = nslots;
	for (i = 0; i < s->n; i++) {
		size_t h = key_hash(s->keys[i]) & (nslots - 1);

		while (s->slots[h])
			h = (h + 1) & (nslots - 1);
		s->slots[h] = i + 1;
	}
}

/* The key equal to k already in the set, or NULL after adding k. */
static const struct ps_node *
keyset_add(struct keyset *s, const struct ps_node *k)
{
	size_t i;

	if (s->slots) {
		size_t h = key_hash(k) & (s->nslots - 1);

		while (s->slots[h]) {
			if (key_eq(s->keys[s->slots[h] - 1], k))
				return s->keys[s->slots[h] - 1];
			h = (h + 1) & (s->nslots - 1);
		}
	} else {
		for (i = 0; i < s->n; i++)
			if (key_eq(s->keys[i], k))
				return s->keys[i];
	}
	ps_xgrow(&s->keys, &s->cap, s->n + 1, sizeof(*s->keys));
	s->keys[s->n++] = k;
	if (s->slots && s->n * 2 > s->nslots)
		keyset_rehash(s, s->nslots * 2);
	else if (s->slots) {
		size_t h = key_hash(k) & (s->nslots - 1);

		while (s->slots[h])
			h = (h + 1) & (s->nslots - 1);
		s->slots[h] = s->n;
	} else if (s->n > PS_CFG_SMALL_MAP)
		keyset_rehash(s, 64);
	return NULL;
}

static void
keyset_free(struct keyset *s)
{
	free(s->keys);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* ---- the loader ---- */

/* A stretch of text inside a scalar or a flow collection. */
struct span {
	size_t start, end;	/* byte offsets */
	int quoted;		/* quoted or block scalar: a '#' in it is text */
};

struct frame {
	struct ps_node *node;
	struct ps_node **items;	/* sequence items */
	size_t nitems, icap;
	struct ps_pair *pairs;	/* mapping pairs */
	size_t npairs, pcap;
	struct ps_node *key;	/* mapping: the key waiting for its value */
	size_t size;		/* expanded size so far */
	int has_merge;
	int flow;
};

struct anchor {
	const char *name;
	struct ps_node *node;
	size_t size;
};

struct loader {
	struct ps_doc *d;
	struct ps_diags *diags;
	struct frame *frames;	/* frames[0..fcap) zeroed when added */
	size_t depth, fcap;
	struct anchor *anchors;
	size_t nanchors, acap;
	size_t *aslots;		/* hash of anchor names: index + 1 */
	size_t naslots;
	struct span *spans;
	size_t nspans, scap;
	size_t flow_depth;
	size_t flow_span;
	size_t cidx, coff;	/* cursor: character index -> byte offset */
	int building;		/* inside the first document */
	int failed;		/* the first document is unusable */
	/* the libyaml error, reported after the tab scan */
	int err;
	int err_line, err_col;
	size_t err_off;
	char err_msg[512];
	int tab_on_err_line;
};

static void
lerr(struct loader *L, const char *name, int line, int col, const char *fmt,
     ...) __attribute__((format(printf, 5, 6)));

static void
lerr(struct loader *L, const char *name, int line, int col, const char *fmt,
     ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_finding(L->diags, L->d, L->d->name, NULL, "yaml", name,
		    PS_SEV_ERROR, line, col, 0, 0, msg);
}

/* Byte offset of the character with index idx (libyaml's mark.index). */
static size_t
char_off(struct loader *L, size_t idx)
{
	const unsigned char *t = (const unsigned char *)L->d->text;
	size_t len = L->d->len;

	while (L->cidx > idx && L->coff > L->d->bom) {
		L->coff--;
		while (L->coff > L->d->bom && (t[L->coff] & 0xC0) == 0x80)
			L->coff--;
		L->cidx--;
	}
	while (L->cidx < idx && L->coff < len) {
		L->coff++;
		while (L->coff < len && (t[L->coff] & 0xC0) == 0x80)
			L->coff++;
		L->cidx++;
	}
	return L->coff;
}

static size_t
add_span(struct loader *L, size_t start, size_t end, int quoted)
{
	ps_xgrow(&L->spans, &L->scap, L->nspans + 1, sizeof(*L->spans));
	L->spans[L->nspans].start = start;
	L->spans[L->nspans].end = end;
	L->spans[L->nspans].quoted = quoted;
	return L->nspans++;
}

static int
clamp_int(size_t v)
{
	return v > INT_MAX - 1 ? INT_MAX - 1 : (int)v;
}

static void
set_pos(struct ps_node *n, const yaml_mark_t *s, const yaml_mark_t *e)
{
	n->line = clamp_int(s->line) + 1;
	n->col = clamp_int(s->column) + 1;
	n->end_line = clamp_int(e->line) + 1;
	n->end_col = clamp_int(e->column) + 1;
}

/* Explicit tags, with the core schema's prefix written back as "!!". */
static const char *
tag_dup(struct ps_doc *d, const yaml_char_t *tag)
{
	static const char core[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;

	if (!t)
		return NULL;
	if (strncmp(t, core, sizeof(core) - 1) == 0) {
		size_t n = strlen(t + sizeof(core) - 1);
		char *p = arena_alloc(d, n + 3);

		p[0] = '!';
		p[1] = '!';
		memcpy(p + 2, t + sizeof(core) - 1, n + 1);
		return p;
	}
	return ps_doc_strdup(d, t, strlen(t));
}

static size_t
name_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void
anchor_rehash(struct loader *L, size_t n)
{
	size_t i, h;

	free(L->aslots);
	L->aslots = ps_xcalloc(n, sizeof(*L->aslots));
	L->naslots = n;
	for (i = 0; i < L->nanchors; i++) {
		h = name_hash(L->anchors[i].name) & (n - 1);
		while (L->aslots[h])
			h = (h + 1) & (n - 1);
		L->aslots[h] = i + 1;
	}
}

/* Register (or redefine) an anchor once its node is complete. */
static void
anchor_put(struct loader *L, const char *name, struct ps_node *node,
	   size_t size)
{
	size_t h;

	if (!L->aslots || (L->nanchors + 1) * 2 > L->naslots)
		anchor_rehash(L, L->naslots ? L->naslots * 2 : 64);
	h = name_hash(name) & (L->naslots - 1);
	while (L->aslots[h]) {
		struct anchor *a = &L->anchors[L->aslots[h] - 1];

		if (strcmp(a->name, name) == 0) {
			a->node = node;
			a->size = size;
			return;
		}
		h = (h + 1) & (L->naslots - 1);
	}
	ps_xgrow(&L->anchors, &L->acap, L->nanchors + 1, sizeof(*L->anchors));
	L->anchors[L->nanchors].name = name;
	L->anchors[L->nanchors].node = node;
	L->anchors[L->nanchors].size = size;
	L->aslots[h] = ++L->nanchors;
}

static const struct anchor *
anchor_get(struct loader *L, const char *name)
{
	size_t h;

	if (!L->aslots)
		return NULL;
	h = name_hash(name) & (L->naslots - 1);
	while (L->aslots[h]) {
		const struct anchor *a = &L->anchors[L->aslots[h] - 1];

		if (strcmp(a->name, name) == 0)
			return a;
		h = (h + 1) & (L->naslots - 1);
	}
	return NULL;
}

static size_t
sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* The alias-bomb guard: the tree with every alias expanded stays small. */
static int
too_big(struct loader *L, size_t size, int line, int col)
{
	if (size <= PS_CFG_MAX_EXPANDED)
		return 0;
	lerr(L, "yaml-alias-bomb", line, col,
	     "aliases expand to more than %d nodes", PS_CFG_MAX_EXPANDED);
	L->failed = 1;
	return 1;
}

static int
is_merge_key(const struct ps_node *k)
{
	return k->kind == PS_NODE_SCALAR && k->value_len == 2 &&
	       memcmp(k->value, "<<", 2) == 0 &&
	       ((k->style == PS_STYLE_PLAIN && !k->tag) ||
		(k->tag && strcmp(k->tag, "!!merge") == 0));
}

/*
 * Hand a finished node (of expanded size `size`) to its parent; line and
 * col are where it appears (an alias's own position).
 */
static void
add_child(struct loader *L, struct ps_node *n, size_t size, int line, int col)
{
	struct frame *f;

	if (!L->depth) {
		if (!too_big(L, size, line, col))
			L->d->root = n;
		return;
	}
	f = &L->frames[L->depth - 1];
	f->size = sat_add(f->size, size);
	if (too_big(L, f->size, line, col))
		return;
	if (f->node->kind == PS_NODE_SEQ) {
		ps_xgrow(&f->items, &f->icap, f->nitems + 1, sizeof(*f->items));
		f->items[f->nitems++] = n;
	} else if (!f->key) {
		f->key = n;
	} else {
		ps_xgrow(&f->pairs, &f->pcap, f->npairs + 1, sizeof(*f->pairs));
		f->pairs[f->npairs].key = f->key;
		f->pairs[f->npairs].value = n;
		f->pairs[f->npairs].merged = 0;
		if (is_merge_key(f->key))
			f->has_merge = 1;
		f->npairs++;
		f->key = NULL;
	}
}

static void
show_text(char *out, size_t outsz, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (i < n) {
		/* cut at a character boundary */
		while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
			o--;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Duplicates among the keys written in the mapping (merges excluded). */
static void
check_duplicates(struct loader *L, struct frame *f, struct keyset *ks)
{
	size_t i;

	for (i = 0; i < f->npairs; i++) {
		const struct ps_node *k = f->pairs[i].key, *first;
		char shown[160];

		if (k->kind != PS_NODE_SCALAR || is_merge_key(k))
			continue;
		first = keyset_add(ks, k);
		if (!first)
			continue;
		show_text(shown, 120, k->value, k->value_len);
		lerr(L, "yaml-duplicate-key", k->line, k->col,
		     "duplicate key \"%s\" (first at line %d)", shown,
		     first->line);
	}
}

static void
push_merged(struct ps_pair **out, size_t *n, size_t *cap, struct keyset *ks,
	    const struct ps_node *src)
{
	size_t i;

	for (i = 0; i < src->len; i++) {
		const struct ps_pair *p = &src->pairs[i];

		if (p->key->kind == PS_NODE_SCALAR && keyset_add(ks, p->key))
			continue;
		ps_xgrow(out, cap, *n + 1, sizeof(**out));
		(*out)[*n] = *p;
		(*out)[*n].merged = 1;
		(*n)++;
	}
}

/*
 * Expand << merge keys in place of the << pair: the keys written in the
 * mapping win, then each source in order (earlier sources win).
 */
static void
expand_merges(struct loader *L, struct frame *f, struct keyset *ks)
{
	struct ps_pair *out = NULL;
	size_t n = 0, cap = 0, i, j;

	for (i = 0; i < f->npairs; i++) {
		const struct ps_node *v = f->pairs[i].value;

		if (!is_merge_key(f->pairs[i].key)) {
			ps_xgrow(&out, &cap, n + 1, sizeof(*out));
			out[n++] = f->pairs[i];
		} else if (v->kind == PS_NODE_MAP) {
			push_merged(&out, &n, &cap, ks, v);
		} else if (v->kind != PS_NODE_SEQ) {
			lerr(L, "yaml-merge", v->line, v->col,
			     "merge key \"<<\" needs a mapping or a list of "
			     "mappings");
		} else {
			for (j = 0; j < v->len; j++) {
				const struct ps_node *m = v->items[j];

				if (m->kind == PS_NODE_MAP)
					push_merged(&out, &n, &cap, ks, m);
				else
					lerr(L, "yaml-merge", m->line, m->col,
					     "merge key \"<<\" needs a mapping "
					     "or a list of mappings");
			}
		}
	}
	free(f->pairs);
	f->pairs = out;
	f->npairs = n;
	f->pcap = cap;
}

static void
finish_collection(struct loader *L, const yaml_event_t *ev)
{
	struct frame *f = &L->frames[L->depth - 1];
	struct ps_node *n = f->node;
	size_t size = f->size;

	if (f->flow) {
		n->end_line = clamp_int(ev->end_mark.line) + 1;
		n->end_col = clamp_int(ev->end_mark.column) + 1;
	}
	if (n->kind == PS_NODE_SEQ) {
		n->len = f->nitems;
		if (f->nitems) {
			n->items = arena_alloc(L->d,
					       f->nitems * sizeof(*n->items));
			memcpy(n->items, f->items,
			       f->nitems * sizeof(*n->items));
			if (!f->flow) {
				n->end_line = n->items[n->len - 1]->end_line;
				n->end_col = n->items[n->len - 1]->end_col;
			}
		}
	} else {
		struct keyset ks = {0};
		size_t k;

		check_duplicates(L, f, &ks);
		if (f->has_merge)
			expand_merges(L, f, &ks);
		keyset_free(&ks);
		n->len = f->npairs;
		if (f->npairs) {
			n->pairs = arena_alloc(L->d,
					       f->npairs * sizeof(*n->pairs));
			memcpy(n->pairs, f->pairs,
			       f->npairs * sizeof(*n->pairs));
		}
		/* a block mapping ends with its last written value */
		for (k = n->len; !f->flow && k-- > 0;)
			if (!n->pairs[k].merged) {
				n->end_line = n->pairs[k].value->end_line;
				n->end_col = n->pairs[k].value->end_col;
				break;
			}
	}
	f->nitems = 0;
	f->npairs = 0;
	f->key = NULL;
	f->node = NULL;
	L->depth--;
	if (n->anchor)
		anchor_put(L, n->anchor, n, size);
	add_child(L, n, size, n->line, n->col);
}

static void
start_collection(struct loader *L, const yaml_event_t *ev, int map)
{
	struct ps_node *n;
	struct frame *f;
	const yaml_char_t *anchor, *tag;

	if (L->depth >= PS_CFG_MAX_DEPTH) {
		lerr(L, "yaml-depth", clamp_int(ev->start_mark.line) + 1,
		     clamp_int(ev->start_mark.column) + 1,
		     "nesting deeper than %d levels", PS_CFG_MAX_DEPTH);
		L->failed = 1;
		return;
	}
	n = arena_zalloc(L->d, sizeof(*n));
	n->kind = map ? PS_NODE_MAP : PS_NODE_SEQ;
	set_pos(n, &ev->start_mark, &ev->end_mark);
	if (map) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	} else {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	}
	n->tag = tag_dup(L->d, tag);
	if (anchor)
		n->anchor = ps_doc_strdup(L->d, (const char *)anchor,
					  strlen((const char *)anchor));
	if (L->depth == L->fcap) {
		size_t old = L->fcap;

		ps_xgrow(&L->frames, &L->fcap, L->depth + 1,
			 sizeof(*L->frames));
		memset(L->frames + old, 0,
		       (L->fcap - old) * sizeof(*L->frames));
	}
	f = &L->frames[L->depth++];
	f->node = n;
	f->nitems = f->npairs = 0;
	f->key = NULL;
	f->size = 1;
	f->has_merge = 0;
	f->flow = L->flow_depth > 0;
}

static void
scalar_event(struct loader *L, const yaml_event_t *ev)
{
	struct ps_node *n;

	n = arena_zalloc(L->d, sizeof(*n));
	n->kind = PS_NODE_SCALAR;
	set_pos(n, &ev->start_mark, &ev->end_mark);
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = PS_STYLE_SINGLE;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = PS_STYLE_DOUBLE;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->style = PS_STYLE_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = PS_STYLE_FOLDED;
		break;
	default:
		n->style = PS_STYLE_PLAIN;
		break;
	}
	n->value = ps_doc_strdup(L->d, (const char *)ev->data.scalar.value,
				 ev->data.scalar.length);
	n->value_len = ev->data.scalar.length;
	n->tag = tag_dup(L->d, ev->data.scalar.tag);
	if (ev->data.scalar.anchor) {
		n->anchor = ps_doc_strdup(L->d,
			(const char *)ev->data.scalar.anchor,
			strlen((const char *)ev->data.scalar.anchor));
		anchor_put(L, n->anchor, n, 1);
	}
	add_child(L, n, 1, n->line, n->col);
}

/* Remember where quoted, block and multi-line scalars are in the text. */
static void
scalar_span(struct loader *L, const yaml_event_t *ev)
{
	yaml_scalar_style_t st = ev->data.scalar.style;
	int quoted = st != YAML_PLAIN_SCALAR_STYLE &&
		     st != YAML_ANY_SCALAR_STYLE;
	size_t start, end;

	if (!quoted && ev->start_mark.line == ev->end_mark.line)
		return;
	start = char_off(L, ev->start_mark.index);
	end = char_off(L, ev->end_mark.index);
	if (st == YAML_LITERAL_SCALAR_STYLE || st == YAML_FOLDED_SCALAR_STYLE)
		/* a comment may follow the | or > indicator */
		while (start < end && !break_len(L->d->text, start, L->d->len))
			start++;
	add_span(L, start, end, quoted);
}

static void
alias_event(struct loader *L, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *a = anchor_get(L, name);
	struct ps_node *n;
	size_t i;

	if (a) {
		add_child(L, a->node, a->size, clamp_int(ev->start_mark.line) + 1,
			  clamp_int(ev->start_mark.column) + 1);
		return;
	}
	n = arena_zalloc(L->d, sizeof(*n));
	n->kind = PS_NODE_SCALAR;
	n->style = PS_STYLE_PLAIN;
	set_pos(n, &ev->start_mark, &ev->end_mark);
	n->value = "";
	for (i = 0; i < L->depth; i++)
		if (L->frames[i].node->anchor &&
		    strcmp(L->frames[i].node->anchor, name) == 0)
			break;
	if (i < L->depth)
		lerr(L, "yaml-alias", n->line, n->col,
		     "recursive alias \"*%s\" (anchor declared at line %d, "
		     "column %d)", name, L->frames[i].node->line,
		     L->frames[i].node->col);
	else
		lerr(L, "yaml-alias", n->line, n->col,
		     "unknown alias \"*%s\"", name);
	add_child(L, n, 1, n->line, n->col);
}

/* Keep libyaml's error (its problem text and position) for later. */
static void
parser_error(struct loader *L, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse YAML";

	L->err = 1;
	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(L->err_msg, sizeof(L->err_msg),
			 "out of memory while parsing YAML");
		L->err_line = L->err_col = 0;
		L->err_off = 0;
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		L->err_off = p->problem_offset < L->d->len
				     ? p->problem_offset
				     : L->d->len;
		pos_of(L->d, L->err_off, &L->err_line, &L->err_col);
		if (p->problem_value != -1)
			snprintf(L->err_msg, sizeof(L->err_msg),
				 "%s (byte 0x%02X)", problem,
				 (unsigned)p->problem_value & 0xFF);
		else
			snprintf(L->err_msg, sizeof(L->err_msg), "%s", problem);
		return;
	}
	L->err_line = clamp_int(p->problem_mark.line) + 1;
	L->err_col = clamp_int(p->problem_mark.column) + 1;
	L->err_off = char_off(L, p->problem_mark.index);
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		snprintf(L->err_msg, sizeof(L->err_msg),
			 "%s (%s at line %d, column %d)", problem, p->context,
			 clamp_int(p->context_mark.line) + 1,
			 clamp_int(p->context_mark.column) + 1);
	else if (p->context)
		snprintf(L->err_msg, sizeof(L->err_msg), "%s (%s)", problem,
			 p->context);
	else
		snprintf(L->err_msg, sizeof(L->err_msg), "%s", problem);
}

/* The outermost flow collection's extent, for the tab and comment scans. */
static void
flow_event(struct loader *L, const yaml_event_t *ev)
{
	int start = ev->type == YAML_SEQUENCE_START_EVENT ||
		    ev->type == YAML_MAPPING_START_EVENT;
	int flow;

	if (!start) {
		/* only flow collections nest inside flow collections */
		if (L->flow_depth && --L->flow_depth == 0)
			L->spans[L->flow_span].end =
				char_off(L, ev->end_mark.index);
		return;
	}
	flow = ev->type == YAML_MAPPING_START_EVENT
		       ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
		       : ev->data.sequence_start.style ==
				 YAML_FLOW_SEQUENCE_STYLE;
	if (flow && L->flow_depth++ == 0)
		L->flow_span = add_span(L, char_off(L, ev->start_mark.index),
					L->d->len, 0);
}

static void
run_parser(struct loader *L)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0;

	if (!yaml_parser_initialize(&p)) {
		L->err = 1;
		snprintf(L->err_msg, sizeof(L->err_msg),
			 "out of memory while parsing YAML");
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)L->d->text,
				     L->d->len);
	while (!done) {
		int build;

		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(L, &p);
			break;
		}
		build = L->building && !L->failed;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			L->d->ndocs++;
			L->building = L->d->ndocs == 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			L->building = 0;
			break;
		case YAML_SCALAR_EVENT:
			scalar_span(L, &ev);
			if (build)
				scalar_event(L, &ev);
			break;
		case YAML_ALIAS_EVENT:
			if (build)
				alias_event(L, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			flow_event(L, &ev);
			if (build)
				start_collection(L, &ev,
					ev.type == YAML_MAPPING_START_EVENT);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			flow_event(L, &ev);
			if (build)
				finish_collection(L, &ev);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

/* Whether byte offset off lies inside a span that began before it. */
struct sweep {
	const struct span *spans;
	size_t n, k;
	size_t maxend;
	int quoted_only;
};

static int
sweep_inside(struct sweep *s, size_t off)
{
	while (s->k < s->n && s->spans[s->k].start < off) {
		if ((!s->quoted_only || s->spans[s->k].quoted) &&
		    s->spans[s->k].end > s->maxend)
			s->maxend = s->spans[s->k].end;
		s->k++;
	}
	return s->maxend > off;
}

/* Tabs in the indentation of lines outside scalars and flow collections. */
static void
scan_tabs(struct loader *L)
{
	struct ps_doc *d = L->d;
	struct sweep sw = { L->spans, L->nspans, 0, 0, 0 };
	size_t i;

	for (i = 0; i < d->nlines; i++) {
		size_t s = d->lines[i], p = s;
		const char *tab;
		int line = clamp_int(i + 1);

		if (s >= d->len || (L->err && line > L->err_line))
			break;
		while (p < d->len && (d->text[p] == ' ' || d->text[p] == '\t'))
			p++;
		tab = memchr(d->text + s, '\t', p - s);
		if (!tab)
			continue;
		/* a blank line: libyaml accepts tabs there after a value */
		if ((p >= d->len || break_len(d->text, p, d->len)) &&
		    !(L->err && line == L->err_line))
			continue;
		if (sweep_inside(&sw, s))
			continue;
		lerr(L, "yaml-tab", line, (int)(tab - (d->text + s)) + 1,
		     "tab character used for indentation");
		if (L->err && line == L->err_line)
			L->tab_on_err_line = 1;
	}
}

static void
add_comment(struct ps_doc *d, size_t start, size_t end, int line, int col)
{
	ps_xgrow(&d->comments, &d->ccap, d->ncomments + 1,
		 sizeof(*d->comments));
	d->comments[d->ncomments].text =
		ps_doc_strdup(d, d->text + start, end - start);
	d->comments[d->ncomments].line = line;
	d->comments[d->ncomments].col = col;
	d->ncomments++;
}

/* '#' at a line start or after a blank, outside quoted and block scalars. */
static void
scan_comments(struct loader *L)
{
	struct ps_doc *d = L->d;
	struct sweep sw = { L->spans, L->nspans, 0, 0, 1 };
	size_t i = d->bom, limit = L->err ? L->err_off : d->len;
	int line = 1, col = 1, at_start = 1;

	while (i < limit) {
		size_t b = break_len(d->text, i, d->len);
		unsigned char c = (unsigned char)d->text[i];

		if (b) {
			i += b;
			line++;
			col = 1;
			at_start = 1;
			continue;
		}
		if (c == '#' && at_start && !sweep_inside(&sw, i)) {
			size_t e = i + 1;

			while (e < d->len && !break_len(d->text, e, d->len))
				e++;
			add_comment(d, i + 1, e, line, col);
			for (; i < e; i++)
				if (((unsigned char)d->text[i] & 0xC0) != 0x80)
					col++;
			continue;
		}
		at_start = c == ' ' || c == '\t';
		if ((c & 0xC0) != 0x80)
			col++;
		i++;
	}
}

static void
loader_free(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->fcap; i++) {
		free(L->frames[i].items);
		free(L->frames[i].pairs);
	}
	free(L->frames);
	free(L->anchors);
	free(L->aslots);
	free(L->spans);
}

/* Takes ownership of text (len bytes + NUL). */
static struct ps_doc *
load_text(const char *name, char *text, size_t len, struct ps_diags *diags)
{
	struct ps_doc *d = ps_xcalloc(1, sizeof(*d));
	struct loader L;
	const struct ps_node *r;

	d->name = ps_xstrdup(name ? name : "-");
	d->text = text;
	d->len = len;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		d->bom = 3;
	index_lines(d);

	memset(&L, 0, sizeof(L));
	L.d = d;
	L.diags = diags;
	L.cidx = 0;
	L.coff = d->bom;
	run_parser(&L);
	scan_tabs(&L);
	if (L.err && !L.tab_on_err_line)
		lerr(&L, "yaml-syntax", L.err_line, L.err_col, "%s", L.err_msg);
	scan_comments(&L);
	/* a syntax error in the first document leaves nothing usable */
	if (L.err && (L.building || d->ndocs == 0 || L.depth))
		L.failed = 1;
	loader_free(&L);
	if (L.failed) {
		ps_doc_free(d);
		return NULL;
	}
	r = d->root;
	if (r && r->kind == PS_NODE_SCALAR && r->style == PS_STYLE_PLAIN &&
	    !r->tag && !r->anchor && r->value_len == 0)
		d->root = NULL;
	return d;
}

struct ps_doc *
ps_doc_load_mem(const char *name, const char *buf, size_t len,
		struct ps_diags *diags)
{
	char *text = ps_xmalloc(len + 1);

	if (len)
		memcpy(text, buf, len);
	text[len] = '\0';
	return load_text(name, text, len, diags);
}

struct ps_doc *
ps_doc_load(const char *path, struct ps_diags *diags)
{
	struct ps_buf b = {0};
	struct ps_error err = {0};
	size_t len;

	if (ps_read_file(path, &b, &err) < 0) {
		ps_buf_free(&b);
		add_finding(diags, NULL, path, NULL, "yaml", "yaml-io",
			    PS_SEV_ERROR, 0, 0, 0, 0, err.msg);
		return NULL;
	}
	len = b.len;
	return load_text(path, ps_buf_detach(&b), len, diags);
}

/* ---- tree access ---- */

static const struct ps_pair *
pair_n(const struct ps_node *map, const char *key, size_t klen)
{
	size_t i;

	if (!map || map->kind != PS_NODE_MAP || !key)
		return NULL;
	for (i = 0; i < map->len; i++) {
		const struct ps_node *k = map->pairs[i].key;

		if (k->kind == PS_NODE_SCALAR && k->value_len == klen &&
		    memcmp(k->value, key, klen) == 0)
			return &map->pairs[i];
	}
	return NULL;
}

const struct ps_pair *
ps_node_pair(const struct ps_node *map, const char *key)
{
	return key ? pair_n(map, key, strlen(key)) : NULL;
}

const struct ps_node *
ps_node_get(const struct ps_node *map, const char *key)
{
	const struct ps_pair *p = ps_node_pair(map, key);

	return p ? p->value : NULL;
}

const struct ps_node *
ps_node_at(const struct ps_node *seq, size_t i)
{
	if (!seq || seq->kind != PS_NODE_SEQ || i >= seq->len)
		return NULL;
	return seq->items[i];
}

const struct ps_node *
ps_node_path(const struct ps_node *root, const char *path)
{
	const struct ps_node *n = root;
	const char *s = path;

	if (!path)
		return NULL;
	while (n && *s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		const struct ps_pair *p = pair_n(n, s, len);

		if (p) {
			n = p->value;
		} else if (n->kind == PS_NODE_SEQ && len > 0 && len < 20 &&
			   strspn(s, "0123456789") >= len) {
			size_t idx = 0, i;

			for (i = 0; i < len; i++)
				idx = idx * 10 + (size_t)(s[i] - '0');
			n = ps_node_at(n, idx);
		} else {
			return NULL;
		}
		if (!dot)
			break;
		s = dot + 1;
		if (!*s)
			return NULL;	/* a trailing dot */
	}
	return n;
}

int
ps_node_is_scalar(const struct ps_node *n)
{
	return n && n->kind == PS_NODE_SCALAR;
}

int
ps_node_is_null(const struct ps_node *n)
{
	if (!n)
		return 1;
	if (n->kind != PS_NODE_SCALAR)
		return 0;
	if (n->tag)
		return strcmp(n->tag, "!!null") == 0;
	if (n->style != PS_STYLE_PLAIN)
		return 0;
	return n->value_len == 0 || strcmp(n->value, "~") == 0 ||
	       strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

const char *
ps_node_kind_name(const struct ps_node *n)
{
	if (ps_node_is_null(n))
		return "null";
	switch (n->kind) {
	case PS_NODE_SEQ:
		return "list";
	case PS_NODE_MAP:
		return "mapping";
	default:
		return "string";
	}
}

/* ---- interpolation ---- */

static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* Offset of the '}' closing the reference opened at s[0..1] = "${". */
static size_t
ref_end(const char *s, size_t n)
{
	size_t i, depth = 0;

	for (i = 2; i < n; i++) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
			depth++;
			i++;
		} else if (s[i] == '}') {
			if (depth == 0)
				return i;
			depth--;
		}
	}
	return SIZE_MAX;
}

static int
interp(struct ps_buf *out, const char *s, size_t n, size_t base, int depth,
       struct ps_error *err)
{
	size_t i = 0;

	if (depth > 16)
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)base + 1,
				   "references nested too deeply");
	while (i < n) {
		size_t close, nl, ol;
		const char *name, *op, *val;
		char vname[256];
		int set, empty, use_alt;

		if (s[i] != '$' || i + 1 >= n ||
		    (s[i + 1] != '$' && s[i + 1] != '{')) {
			ps_buf_addc(out, s[i++]);
			continue;
		}
		if (s[i + 1] == '$') {
			ps_buf_addc(out, '$');
			i += 2;
			continue;
		}
		close = ref_end(s + i, n - i);
		if (close == SIZE_MAX)
			return ps_error_at(err, PS_EXIT_USAGE, 0,
					   clamp_int(base + i + 1),
					   "unterminated \"${\" reference "
					   "(no closing \"}\")");
		name = s + i + 2;
		nl = 0;
		while (name + nl < s + i + close &&
		       (isalnum((unsigned char)name[nl]) || name[nl] == '_'))
			nl++;
		op = name + nl;
		ol = (size_t)(s + i + close - op);
		if (!valid_name(name, nl) || nl >= sizeof(vname))
			return ps_error_at(err, PS_EXIT_USAGE, 0,
					   clamp_int(base + i + 1),
					   "invalid variable reference \"%.*s\"",
					   (int)(close + 1 > 80 ? 80 : close + 1),
					   s + i);
		memcpy(vname, name, nl);
		vname[nl] = '\0';
		val = getenv(vname);
		set = val != NULL;
		empty = !val || !*val;
		if (ol == 0) {
			if (!set)
				return ps_error_at(err, PS_EXIT_USAGE, 0,
						   clamp_int(base + i + 1),
						   "environment variable \"%s\" "
						   "is not set", vname);
			ps_buf_adds(out, val);
		} else {
			int colon = op[0] == ':';
			char kind = colon && ol > 1 ? op[1] : op[0];
			const char *arg = op + (colon ? 2 : 1);
			size_t alen = (size_t)(s + i + close - arg);
			size_t abase = base + (size_t)(arg - s);
			int missing = colon ? empty : !set;

			if ((colon && ol < 2) ||
			    (kind != '-' && kind != '?' && kind != '+'))
				return ps_error_at(err, PS_EXIT_USAGE, 0,
					clamp_int(base + i + 1),
					"invalid variable reference \"%.*s\"",
					(int)(close + 1 > 80 ? 80 : close + 1),
					s + i);
			use_alt = kind == '+' ? !missing : missing;
			if (kind == '?' && missing) {
				struct ps_buf m = {0};
				struct ps_error e2 = {0};

				if (interp(&m, arg, alen, abase, depth + 1,
					   &e2) < 0) {
					ps_buf_free(&m);
					*err = e2;
					return -1;
				}
				ps_error_at(err, PS_EXIT_USAGE, 0,
					    clamp_int(base + i + 1),
					    "environment variable \"%s\" is "
					    "%s%s%s", vname,
					    set ? "empty" : "not set",
					    m.len ? ": " : "", ps_buf_str(&m));
				ps_buf_free(&m);
				return -1;
			}
			if (kind == '?' || !use_alt) {
				if (kind != '+')
					ps_buf_adds(out, val ? val : "");
			} else if (interp(out, arg, alen, abase, depth + 1,
					  err) < 0) {
				return -1;
			}
		}
		i += close + 1;
	}
	return 0;
}

char *
ps_cfg_interpolate(const char *s, struct ps_error *err)
{
	struct ps_buf out = {0};

	if (!s) {
		ps_error_set(err, PS_EXIT_USAGE, "no string to interpolate");
		return NULL;
	}
	if (interp(&out, s, strlen(s), 0, 0, err) < 0) {
		ps_buf_free(&out);
		return NULL;
	}
	return ps_buf_detach(&out);
}

int
ps_cfg_has_ref(const char *s)
{
	size_t i, n;

	if (!s)
		return 0;
	n = strlen(s);
	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '$')
			continue;
		if (s[i + 1] == '$') {
			i++;
			continue;
		}
		if (s[i + 1] == '{' && ref_end(s + i, n - i) != SIZE_MAX)
			return 1;
	}
	return 0;
}

/* ---- typed getters ---- */

static const char *
ck_file(const struct ps_cfgck *ck)
{
	return ck && ck->doc ? ck->doc->name : "-";
}

/* The same finding as the last one (a bad map met by several getters). */
static int
repeats_last(const struct ps_cfgck *ck, int line, int col, const char *msg)
{
	const struct ps_finding *f;

	if (!ck->diags || !ck->diags->len)
		return 0;
	f = ck->diags->v[ck->diags->len - 1];
	return f->line == (line > 0 ? line : 0) &&
	       f->col == (col > 0 ? col : 0) && f->message &&
	       strcmp(f->message, msg) == 0 && f->rule &&
	       strcmp(f->rule, "config") == 0;
}

static void
ck_vreport(struct ps_cfgck *ck, enum ps_severity sev, const char *rule,
	   const struct ps_node *at, const char *fmt, va_list ap)
{
	struct ps_buf m = {0};
	int line = at ? at->line : 0, col = at ? at->col : 0;

	if (!ck || !ck->diags)
		return;
	ps_buf_addvf(&m, fmt, ap);
	if (!repeats_last(ck, line, col, ps_buf_str(&m)))
		add_finding(ck->diags, ck->doc, ck_file(ck), ck->tool, rule,
			    rule, sev, line, col, at ? at->end_line : 0,
			    at ? at->end_col : 0, ps_buf_str(&m));
	ps_buf_free(&m);
}

void
ps_cfg_error(struct ps_cfgck *ck, const struct ps_node *at,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ck_vreport(ck, PS_SEV_ERROR, "config", at, fmt, ap);
	va_end(ap);
}

void
ps_cfg_warn(struct ps_cfgck *ck, const struct ps_node *at,
	    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ck_vreport(ck, PS_SEV_WARNING, "config", at, fmt, ap);
	va_end(ap);
}

/* How a value is shown in a message: "text", a list, a mapping, null. */
static void
describe(char *buf, size_t n, const struct ps_node *v, const char *text)
{
	char shown[200];

	if (!v || ps_node_is_null(v)) {
		snprintf(buf, n, "null");
	} else if (v->kind == PS_NODE_SEQ) {
		snprintf(buf, n, "a list");
	} else if (v->kind == PS_NODE_MAP) {
		snprintf(buf, n, "a mapping");
	} else {
		if (!text)
			text = v->value;
		show_text(shown, 120, text, strlen(text));
		snprintf(buf, n, "\"%s\"", shown);
	}
}

/* KEY: expected WHAT, got DESC */
static int
bad_value(struct ps_cfgck *ck, const struct ps_node *v, const char *key,
	  const char *what, const char *text, const char *extra)
{
	char got[256];

	describe(got, sizeof(got), v, text);
	ps_cfg_error(ck, v, "%s: expected %s, got %s%s", key, what, got,
		     extra ? extra : "");
	return -1;
}

/* The scalar's text, interpolated when asked; NULL after an error. */
static const char *
scalar_text(struct ps_cfgck *ck, const struct ps_node *n, const char *key)
{
	struct ps_error err = {0};
	char *s;
	const char *r;
	int col;

	if (!ps_node_is_scalar(n))
		return NULL;
	if (!ck || !ck->interpolate || !ck->doc || !memchr(n->value, '$',
							    n->value_len))
		return n->value;
	s = ps_cfg_interpolate(n->value, &err);
	if (!s) {
		struct ps_node at = *n;

		/* point at the reference when the text is on one line */
		col = n->col;
		if (n->line == n->end_line && err.col > 0) {
			if (n->style == PS_STYLE_PLAIN)
				col = n->col + err.col - 1;
			else if (n->style == PS_STYLE_SINGLE ||
				 n->style == PS_STYLE_DOUBLE)
				col = n->col + err.col;
		}
		at.col = col;
		if (key)
			ps_cfg_error(ck, &at, "%s: %s", key, err.msg);
		else
			ps_cfg_error(ck, &at, "%s", err.msg);
		return NULL;
	}
	r = ps_doc_strdup(ck->doc, s, strlen(s));
	free(s);
	return r;
}

const char *
ps_cfg_scalar(struct ps_cfgck *ck, const struct ps_node *n)
{
	return scalar_text(ck, n, NULL);
}

/*
 * Find key in map. 1 with *v set; 0 absent; -1 after an error (a required
 * key missing, or map itself not a mapping).
 */
static int
lookup(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
       int required, const char *what, const struct ps_node **v)
{
	const struct ps_pair *p;

	if (!map || (map->kind == PS_NODE_SCALAR && ps_node_is_null(map))) {
		if (!required)
			return 0;
		ps_cfg_error(ck, map, "missing required key \"%s\"", key);
		return -1;
	}
	if (map->kind != PS_NODE_MAP) {
		char got[256];

		describe(got, sizeof(got), map, NULL);
		ps_cfg_error(ck, map, "expected a mapping with \"%s\", got %s",
			     key, got);
		return -1;
	}
	p = ps_node_pair(map, key);
	if (!p) {
		if (!required)
			return 0;
		ps_cfg_error(ck, map, "missing required key \"%s\"", key);
		return -1;
	}
	if (ps_node_is_null(p->value)) {
		if (!required)
			return 0;
		return bad_value(ck, p->value, key, what, NULL, NULL);
	}
	*v = p->value;
	return 1;
}

/* Look up a scalar and get its (interpolated) text. */
static int
lookup_text(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    int required, const char *what, const struct ps_node **v,
	    const char **text)
{
	int r = lookup(ck, map, key, required, what, v);

	if (r != 1)
		return r;
	if ((*v)->kind != PS_NODE_SCALAR)
		return bad_value(ck, *v, key, what, NULL, NULL);
	*text = scalar_text(ck, *v, key);
	return *text ? 1 : -1;
}

int
ps_cfg_str(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	   int required, const char **out)
{
	const struct ps_node *v;
	const char *t;
	int r = lookup_text(ck, map, key, required, "a string", &v, &t);

	if (r == 1)
		*out = t;
	return r;
}

static int
parse_yaml_long(const char *t, long *out)
{
	const char *s = t;
	int neg = 0, base = 0;
	unsigned long long v;
	char *end;

	if (ps_parse_long(t, LONG_MIN, LONG_MAX, out) == 0)
		return 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	else if (s[0] == '0' && s[1] == 'o')
		base = 8;
	if (!base || !isxdigit((unsigned char)s[2]))
		return -1;
	errno = 0;
	v = strtoull(s + 2, &end, base);
	if (errno || *end || v > (unsigned long long)LONG_MAX + neg)
		return -1;
	*out = neg ? (long)(0 - v) : (long)v;
	return 0;
}

int
ps_cfg_long(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    int required, long min, long max, const char *what, long *out)
{
	const struct ps_node *v;
	const char *t;
	char desc[256];
	long x;
	int r;

	if (!what)
		what = "a whole number";
	if (min != LONG_MIN && max != LONG_MAX)
		snprintf(desc, sizeof(desc), "%s from %ld to %ld", what, min,
			 max);
	else if (min != LONG_MIN)
		snprintf(desc, sizeof(desc), "%s of at least %ld", what, min);
	else if (max != LONG_MAX)
		snprintf(desc, sizeof(desc), "%s of at most %ld", what, max);
	else
		snprintf(desc, sizeof(desc), "%s", what);
	r = lookup_text(ck, map, key, required, what, &v, &t);
	if (r != 1)
		return r;
	if (parse_yaml_long(t, &x) < 0)
		return bad_value(ck, v, key, what, t, NULL);
	if (x < min || x > max)
		return bad_value(ck, v, key, desc, t, NULL);
	*out = x;
	return 1;
}

int
ps_cfg_double(struct ps_cfgck *ck, const struct ps_node *map,
	      const char *key, int required, const char *what, double *out)
{
	const struct ps_node *v;
	const char *t;
	double x;
	int r;

	if (!what)
		what = "a number";
	r = lookup_text(ck, map, key, required, what, &v, &t);
	if (r != 1)
		return r;
	if (isspace((unsigned char)t[0]) || ps_parse_double(t, &x) < 0)
		return bad_value(ck, v, key, what, t, NULL);
	*out = x;
	return 1;
}

int
ps_cfg_bool(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    int required, int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *what = "true or false";
	const struct ps_node *v;
	const char *t;
	size_t i;
	int r = lookup_text(ck, map, key, required, what, &v, &t);

	if (r != 1)
		return r;
	for (i = 0; i < PS_ARRAY_LEN(yes); i++) {
		if (strcasecmp(t, yes[i]) == 0) {
			*out = 1;
			return 1;
		}
		if (strcasecmp(t, no[i]) == 0) {
			*out = 0;
			return 1;
		}
	}
	return bad_value(ck, v, key, what, t, NULL);
}

int
ps_cfg_duration(struct ps_cfgck *ck, const struct ps_node *map,
		const char *key, int required, double *secs)
{
	const char *what = "a duration (like 30s, 5m or 4 hours)";
	const struct ps_node *v;
	const char *t;
	struct ps_error err = {0};
	double x;
	int r = lookup_text(ck, map, key, required, what, &v, &t);

	if (r != 1)
		return r;
	if (ps_duration_parse(t, &x, &err) < 0)
		return bad_value(ck, v, key, what, t, NULL);
	*secs = x;
	return 1;
}

int
ps_cfg_size(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    int required, unsigned long long *bytes)
{
	const char *what = "a size (like 512, 50MB or 1.5GiB)";
	const struct ps_node *v;
	const char *t;
	struct ps_error err = {0};
	unsigned long long x;
	int r = lookup_text(ck, map, key, required, what, &v, &t);

	if (r != 1)
		return r;
	if (ps_size_parse(t, &x, &err) < 0)
		return bad_value(ck, v, key, what, t, NULL);
	*bytes = x;
	return 1;
}

int
ps_cfg_enum(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    int required, const char *const *choices, int *out)
{
	struct ps_buf what = {0}, extra = {0};
	const struct ps_node *v;
	const char *t, *near;
	size_t n = 0, i;
	int r;

	while (choices && choices[n])
		n++;
	ps_buf_adds(&what, n == 1 ? "" : "one of ");
	for (i = 0; i < n; i++)
		ps_buf_addf(&what, "%s%s", i ? ", " : "", choices[i]);
	r = lookup_text(ck, map, key, required, ps_buf_str(&what), &v, &t);
	if (r == 1) {
		for (i = 0; i < n; i++)
			if (strcmp(t, choices[i]) == 0) {
				*out = (int)i;
				break;
			}
		if (i == n) {
			near = n ? ps_did_you_mean(t, choices, n) : NULL;
			if (near)
				ps_buf_addf(&extra, " (did you mean \"%s\"?)",
					    near);
			r = bad_value(ck, v, key, ps_buf_str(&what), t,
				      ps_buf_str(&extra));
		}
	}
	ps_buf_free(&what);
	ps_buf_free(&extra);
	return r;
}

static int
lookup_kind(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    int required, enum ps_node_kind kind, const char *what,
	    const struct ps_node **out)
{
	const struct ps_node *v;
	int r = lookup(ck, map, key, required, what, &v);

	if (r != 1)
		return r;
	if (v->kind != kind)
		return bad_value(ck, v, key, what, NULL, NULL);
	*out = v;
	return 1;
}

int
ps_cfg_seq(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	   int required, const struct ps_node **out)
{
	return lookup_kind(ck, map, key, required, PS_NODE_SEQ, "a list", out);
}

int
ps_cfg_map(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	   int required, const struct ps_node **out)
{
	return lookup_kind(ck, map, key, required, PS_NODE_MAP, "a mapping",
			   out);
}

int
ps_cfg_strlist(struct ps_cfgck *ck, const struct ps_node *map,
	       const char *key, int required, const char *const **out,
	       size_t *n)
{
	const char *what = "a string or a list of strings";
	const struct ps_node *v;
	const char **list;
	size_t i, cnt = 0;
	int r = lookup(ck, map, key, required, what, &v), bad = 0;

	if (r != 1)
		return r;
	if (v->kind == PS_NODE_MAP || !ck || !ck->doc)
		return bad_value(ck, v, key, what, NULL, NULL);
	if (v->kind == PS_NODE_SCALAR) {
		const char *t = scalar_text(ck, v, key);

		if (!t)
			return -1;
		list = arena_alloc(ck->doc, 2 * sizeof(*list));
		list[0] = t;
		list[1] = NULL;
		*out = list;
		if (n)
			*n = 1;
		return 1;
	}
	list = arena_alloc(ck->doc, (v->len + 1) * sizeof(*list));
	for (i = 0; i < v->len; i++) {
		const struct ps_node *it = v->items[i];
		char ikey[300];
		const char *t;

		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, i);
		if (it->kind != PS_NODE_SCALAR || ps_node_is_null(it)) {
			bad_value(ck, it, ikey, "a string", NULL, NULL);
			bad = 1;
			continue;
		}
		t = scalar_text(ck, it, ikey);
		if (!t) {
			bad = 1;
			continue;
		}
		list[cnt++] = t;
	}
	list[cnt] = NULL;
	if (bad)
		return -1;
	*out = list;
	if (n)
		*n = cnt;
	return 1;
}

/* An unknown-key warning already given for the same key node (merges). */
static int
warned_at(const struct ps_cfgck *ck, const struct ps_node *k)
{
	size_t i;

	for (i = 0; i < ck->diags->len; i++) {
		const struct ps_finding *f = ck->diags->v[i];

		if (f->line == k->line && f->col == k->col && f->rule &&
		    strcmp(f->rule, "config-unknown-key") == 0 &&
		    strcmp(f->file, ck_file(ck)) == 0)
			return 1;
	}
	return 0;
}

void
ps_cfg_known_keys(struct ps_cfgck *ck, const struct ps_node *map,
		  const char *const *known)
{
	size_t n = 0, i, j;

	if (!ck || !ck->diags || !map || map->kind != PS_NODE_MAP)
		return;
	while (known && known[n])
		n++;
	for (i = 0; i < map->len; i++) {
		const struct ps_node *k = map->pairs[i].key;
		const char *near;
		char shown[200];
		struct ps_buf m = {0};

		if (k->kind != PS_NODE_SCALAR)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(k->value, known[j]) == 0)
				break;
		if (j < n)
			continue;
		if (map->pairs[i].merged && warned_at(ck, k))
			continue;
		show_text(shown, 120, k->value, k->value_len);
		ps_buf_addf(&m, "unknown key \"%s\"", shown);
		near = n ? ps_did_you_mean(k->value, known, n) : NULL;
		if (near)
			ps_buf_addf(&m, " (did you mean \"%s\"?)", near);
		add_finding(ck->diags, ck->doc, ck_file(ck), ck->tool,
			    "config-unknown-key", "config-unknown-key",
			    PS_SEV_WARNING, k->line, k->col, k->end_line,
			    k->end_col, ps_buf_str(&m));
		ps_buf_free(&m);
	}
}
