/*
 * Find the schedules in a YAML configuration file: every key named
 * `schedule` anywhere in the tree (backup.yml, security-scan.yml,
 * disaster-recovery.yml's testing.schedule), serverless.yml's
 * functions.*.events[].schedule (a string, or a mapping whose `rate` is a
 * string or a list) and GitHub workflows' `on.schedule[].cron`.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/ps-cron/cron.h"

struct scan {
	struct cron_items *out;
	size_t *skipped;
	int plain_cron;		/* serverless provider other than aws */
};

/* "$cron-weekly" in GitHub's starter workflows: filled in on use */
static int
is_placeholder(const char *v)
{
	if (v[0] != '$' || v[1] == '{' || !v[1])
		return 0;
	for (v++; *v; v++)
		if (!(isalnum((unsigned char)*v) || *v == '-' || *v == '_'))
			return 0;
	return 1;
}

static void
add(struct scan *sc, const struct ps_node *n, const char *path,
    const struct ps_node *tz)
{
	struct cron_item *it;
	struct cron_items *out = sc->out;

	if (!ps_node_is_scalar(n))
		return;
	if (ps_cfg_has_ref(n->value) || is_placeholder(n->value)) {
		(*sc->skipped)++;
		return;
	}
	ps_xgrow(&out->v, &out->cap, out->len + 1, sizeof(out->v[0]));
	it = &out->v[out->len++];
	it->expr = n->value;
	it->path = ps_xstrdup(path);
	it->line = n->line;
	it->col = n->col;
	it->tz = tz && ps_node_is_scalar(tz) && !ps_node_is_null(tz) ? tz : NULL;
	it->plain_cron = sc->plain_cron;
	/* columns inside the scalar map onto the line for one-line scalars */
	switch (n->style) {
	case PS_STYLE_PLAIN:
		it->col_shift = n->line == n->end_line ? 0 : -1;
		break;
	case PS_STYLE_SINGLE:
	case PS_STYLE_DOUBLE:
		it->col_shift = n->line == n->end_line &&
				!memchr(n->value, '\\', n->value_len) &&
				!memchr(n->value, '\'', n->value_len) ? 1 : -1;
		break;
	default:
		it->col_shift = -1;
		break;
	}
}

/* A schedule value: string, list of strings, or {rate: ...} / {cron: ...}. */
static void
add_value(struct scan *sc, const struct ps_node *v, const char *path,
	  const struct ps_node *tz)
{
	size_t i;
	char *sub;

	if (!v)
		return;
	if (v->kind == PS_NODE_SCALAR) {
		add(sc, v, path, tz);
	} else if (v->kind == PS_NODE_SEQ) {
		for (i = 0; i < v->len; i++) {
			sub = ps_xasprintf("%s.%zu", path, i);
			add_value(sc, v->items[i], sub, tz);
			free(sub);
		}
	} else {
		static const char *const keys[] = { "rate", "cron" };
		const struct ps_node *zone = ps_node_get(v, "timezone");

		for (i = 0; i < PS_ARRAY_LEN(keys); i++) {
			const struct ps_node *r = ps_node_get(v, keys[i]);

			if (!r)
				continue;
			sub = ps_xasprintf("%s.%s", path, keys[i]);
			add_value(sc, r, sub, zone ? zone : tz);
			free(sub);
		}
	}
}

static void
walk(struct scan *sc, const struct ps_node *n, const char *path, int depth)
{
	size_t i;
	char *sub;

	if (!n || depth > 64)
		return;
	if (n->kind == PS_NODE_SEQ) {
		for (i = 0; i < n->len; i++) {
			sub = ps_xasprintf("%s%s%zu", path, *path ? "." : "", i);
			walk(sc, n->items[i], sub, depth + 1);
			free(sub);
		}
		return;
	}
	if (n->kind != PS_NODE_MAP)
		return;
	for (i = 0; i < n->len; i++) {
		const struct ps_pair *p = &n->pairs[i];
		const char *key = ps_node_is_scalar(p->key) ? p->key->value : "?";

		if (p->merged)
			continue;	/* seen where it was anchored */
		sub = ps_xasprintf("%s%s%s", path, *path ? "." : "", key);
		if (strcmp(key, "schedule") == 0)
			add_value(sc, p->value, sub, NULL);
		else
			walk(sc, p->value, sub, depth + 1);
		free(sub);
	}
}

void
cron_scan(const struct ps_node *root, struct cron_items *out, size_t *skipped)
{
	struct scan sc = { out, skipped, 0 };
	const struct ps_node *prov = ps_node_get(root, "provider");

	/* serverless.yml for OpenWhisk and others: cron(...) holds 5 fields */
	if (prov && prov->kind == PS_NODE_MAP)
		prov = ps_node_get(prov, "name");
	if (prov && ps_node_is_scalar(prov) && !ps_node_is_null(prov) &&
	    ps_node_get(root, "functions") && strcasecmp(prov->value, "aws") != 0)
		sc.plain_cron = 1;
	walk(&sc, root, "", 0);
}

void
cron_items_free(struct cron_items *items)
{
	size_t i;

	for (i = 0; i < items->len; i++)
		free((char *)items->v[i].path);
	free(items->v);
	memset(items, 0, sizeof(*items));
}
