/*
 * libFuzzer target for lib/config.c: any bytes are loaded as YAML; the tree
 * is walked (within a budget, since aliases share nodes) checking that every
 * position is sane, and every getter runs on every key of every mapping,
 * with interpolation on. Findings must carry a file and a message; a NULL
 * document must come with at least one finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const known[] = { "name", "schedule", "retention",
				     "locations", "enabled", NULL };
static const char *const choices[] = { "full", "incremental", NULL };

static void
check_node(const struct ps_node *n, int nlines)
{
	if (n->line < 1 || n->col < 1 || n->line > nlines + 1)
		abort();
	if (n->end_line < n->line && n->kind == PS_NODE_SCALAR)
		abort();
	if (n->kind == PS_NODE_SCALAR &&
	    (!n->value || strlen(n->value) > n->value_len))
		abort();
	if (n->kind == PS_NODE_SEQ && n->len && !n->items)
		abort();
	if (n->kind == PS_NODE_MAP && n->len && !n->pairs)
		abort();
}

static void
getters(struct ps_cfgck *ck, const struct ps_node *map, const char *key)
{
	const struct ps_node *n;
	const char *const *list;
	const char *s;
	long l;
	double d;
	int b, e;
	unsigned long long sz;
	size_t cnt;

	ps_cfg_str(ck, map, key, 1, &s);
	ps_cfg_long(ck, map, key, 0, 0, 36500, "a whole number of days", &l);
	ps_cfg_double(ck, map, key, 0, NULL, &d);
	ps_cfg_bool(ck, map, key, 0, &b);
	ps_cfg_duration(ck, map, key, 0, &d);
	ps_cfg_size(ck, map, key, 0, &sz);
	ps_cfg_enum(ck, map, key, 0, choices, &e);
	ps_cfg_seq(ck, map, key, 0, &n);
	ps_cfg_map(ck, map, key, 0, &n);
	if (ps_cfg_strlist(ck, map, key, 0, &list, &cnt) == 1 &&
	    list[cnt] != NULL)
		abort();
}

static void
walk(struct ps_cfgck *ck, const struct ps_node *n, int nlines, int depth,
     size_t *budget)
{
	size_t i;

	if (!n || *budget == 0 || depth > 1100)
		return;
	(*budget)--;
	check_node(n, nlines);
	if (n->kind == PS_NODE_SCALAR) {
		ps_cfg_scalar(ck, n);
		ps_node_is_null(n);
		return;
	}
	if (n->kind == PS_NODE_SEQ) {
		for (i = 0; i < n->len; i++)
			walk(ck, ps_node_at(n, i), nlines, depth + 1, budget);
		return;
	}
	ps_cfg_known_keys(ck, n, known);
	for (i = 0; i < n->len && *budget; i++) {
		const struct ps_pair *p = &n->pairs[i];

		check_node(p->key, nlines);
		if (p->key->kind == PS_NODE_SCALAR) {
			if (ps_node_get(n, p->key->value) == NULL)
				abort();
			getters(ck, n, p->key->value);
			ps_node_path(n, p->key->value);
		}
		walk(ck, p->value, nlines, depth + 1, budget);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_diags d = {0};
	struct ps_doc *doc;
	struct ps_cfgck ck = {0};
	size_t budget = 20000, i, len;
	int nlines = 0, line, col;

	setenv("PS_FUZZ", "30", 1);
	unsetenv("PS_FUZZ_UNSET");
	doc = ps_doc_load_mem("fuzz.yml", (const char *)data, size, &d);
	for (i = 0; i < d.len; i++)
		if (!d.v[i]->file || !d.v[i]->message || d.v[i]->line < 0)
			abort();
	if (!doc) {
		if (d.len == 0)
			abort();
		ps_diags_free(&d);
		return 0;
	}
	while (ps_doc_line(doc, nlines + 1, &len))
		nlines++;
	for (i = 0; i < ps_doc_ncomments(doc); i++)
		if (!ps_doc_comment(doc, i, &line, &col) || line < 1 ||
		    line > nlines || col < 1)
			abort();
	ck.doc = doc;
	ck.diags = &d;
	ck.interpolate = 1;
	walk(&ck, ps_doc_root(doc), nlines, 0, &budget);
	ps_node_path(ps_doc_root(doc), "a.0.b");
	ps_doc_free(doc);
	ps_diags_free(&d);
	return 0;
}
