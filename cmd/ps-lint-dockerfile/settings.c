/*
 * Settings of a run: .ps-lint.yml (its "dockerfile:" section, or the
 * top-level keys) searched upward from the linted file or given with
 * --config, and hadolint's .hadolint.yaml when no .ps-lint.yml exists.
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"

static void
add_str(char ***v, size_t *n, const char *s)
{
	*v = ps_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = ps_xstrdup(s);
}

void
lint_settings_free(struct lint_settings *s)
{
	for (size_t i = 0; i < s->nregistries; i++)
		free(s->registries[i]);
	free(s->registries);
	for (size_t i = 0; i < s->nlabels; i++)
		free(s->labels[i].name);
	free(s->labels);
	for (size_t i = 0; i < s->nversions; i++) {
		free(s->versions[i].image);
		for (size_t k = 0; k < s->versions[i].npatterns; k++)
			free(s->versions[i].patterns[k]);
		free(s->versions[i].patterns);
	}
	free(s->versions);
	for (size_t i = 0; i < s->nignore_ids; i++)
		free(s->ignore_ids[i]);
	free(s->ignore_ids);
	s->registries = NULL;
	s->labels = NULL;
	s->versions = NULL;
	s->ignore_ids = NULL;
	s->nregistries = s->nlabels = s->nversions = s->nignore_ids = 0;
}

static const char *const label_types[] = {
	"text", "url", "rfc3339", "spdx", "hash", "semver", "email", NULL
};

/* Turn a rule off, or remember a foreign id (SC2086) to drop later. */
static void
ignore_id(struct lint_settings *s, const char *id)
{
	if (lint_settings_enable(s, id, 0) < 0)
		add_str(&s->ignore_ids, &s->nignore_ids, id);
}

static void
read_list(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	  void (*fn)(struct lint_settings *, const char *),
	  struct lint_settings *s)
{
	const char *const *v;
	size_t n;

	if (ps_cfg_strlist(ck, map, key, 0, &v, &n) == 1)
		for (size_t i = 0; i < n; i++)
			fn(s, v[i]);
}

static void
enable_id(struct lint_settings *s, const char *id)
{
	lint_settings_enable(s, id, 1);
}

static void
add_registry(struct lint_settings *s, const char *r)
{
	add_str(&s->registries, &s->nregistries, r);
}

static void
read_labels(struct ps_cfgck *ck, const struct ps_node *map, const char *key,
	    struct lint_settings *s)
{
	const struct ps_node *m;

	if (ps_cfg_map(ck, map, key, 0, &m) != 1)
		return;
	for (size_t i = 0; i < m->len; i++) {
		const struct ps_node *k = m->pairs[i].key, *v = m->pairs[i].value;
		int t;

		if (!ps_node_is_scalar(k))
			continue;
		if (ps_cfg_enum(ck, m, k->value, 1, label_types, &t) != 1)
			continue;
		s->labels = ps_xrealloc(s->labels, (s->nlabels + 1) * sizeof(*s->labels));
		s->labels[s->nlabels].name = ps_xstrdup(k->value);
		s->labels[s->nlabels].type = (enum label_type)t;
		s->nlabels++;
		(void)v;
	}
}

static void
read_threshold(struct ps_cfgck *ck, const struct ps_node *map,
	       struct lint_settings *s)
{
	const char *t;
	enum ps_severity sev;

	if (ps_cfg_str(ck, map, "failure-threshold", 0, &t) != 1)
		return;
	if (lint_streq_ci(t, "ignore") || lint_streq_ci(t, "none")) {
		s->failure_threshold = PS_SEV_NONE;
		s->has_threshold = 1;
	} else if (ps_severity_parse(t, &sev) == 0) {
		s->failure_threshold = sev;
		s->has_threshold = 1;
	} else {
		ps_cfg_error(ck, ps_node_get(map, "failure-threshold"),
			     "failure-threshold: expected error, warning, info, style or none, got \"%s\"",
			     t);
	}
}

static void
load_pslint(struct ps_cfgck *ck, const struct ps_node *root,
	    struct lint_settings *s)
{
	static const char *const known[] = { "ignored", "ignore", "enable",
		"severity", "trusted-registries", "label-schema",
		"strict-labels", "failure-threshold", "allowed-versions",
		"require-digest", "shellcheck", NULL };
	const struct ps_node *m = ps_node_get(root, "dockerfile");
	const struct ps_node *sev, *av;
	int b;

	if (!m || m->kind != PS_NODE_MAP)
		m = root;
	else
		ps_cfg_known_keys(ck, m, known);
	read_list(ck, m, "ignored", ignore_id, s);
	read_list(ck, m, "ignore", ignore_id, s);
	read_list(ck, m, "enable", enable_id, s);
	read_list(ck, m, "trusted-registries", add_registry, s);
	read_labels(ck, m, "label-schema", s);
	if (ps_cfg_bool(ck, m, "strict-labels", 0, &b) == 1)
		s->strict_labels = b;
	if (ps_cfg_bool(ck, m, "require-digest", 0, &b) == 1 && b)
		lint_settings_enable(s, "PSD304", 1);
	read_threshold(ck, m, s);
	if (ps_cfg_map(ck, m, "severity", 0, &sev) == 1)
		for (size_t i = 0; i < sev->len; i++) {
			const struct ps_node *k = sev->pairs[i].key;
			const char *v = ps_cfg_scalar(ck, sev->pairs[i].value);
			enum ps_severity ps;

			if (!ps_node_is_scalar(k) || !v)
				continue;
			if (lint_streq_ci(v, "none") || lint_streq_ci(v, "off") ||
			    lint_streq_ci(v, "ignore"))
				ps = PS_SEV_NONE;
			else if (ps_severity_parse(v, &ps) < 0) {
				ps_cfg_error(ck, sev->pairs[i].value,
					     "severity: expected error, warning, info, style or none, got \"%s\"", v);
				continue;
			}
			if (lint_settings_severity(s, k->value, ps) < 0)
				ps_cfg_warn(ck, k, "severity: no rule named \"%s\"", k->value);
		}
	{
		static const char *const modes[] = { "auto", "never", "always", NULL };
		int mode;

		if (ps_cfg_enum(ck, m, "shellcheck", 0, modes, &mode) == 1)
			s->shellcheck = (enum shellcheck_mode)mode;
	}
	if (ps_cfg_map(ck, m, "allowed-versions", 0, &av) == 1)
		for (size_t i = 0; i < av->len; i++) {
			const struct ps_node *k = av->pairs[i].key;
			const char *const *pats;
			size_t n;

			if (!ps_node_is_scalar(k) ||
			    ps_cfg_strlist(ck, av, k->value, 1, &pats, &n) != 1)
				continue;
			s->versions = ps_xrealloc(s->versions,
						  (s->nversions + 1) * sizeof(*s->versions));
			struct version_policy *vp = &s->versions[s->nversions++];

			vp->image = ps_xstrdup(k->value);
			vp->patterns = ps_xcalloc(n + 1, sizeof(char *));
			vp->npatterns = n;
			for (size_t p = 0; p < n; p++)
				vp->patterns[p] = ps_xstrdup(pats[p]);
		}
}

static void
load_hadolint(struct ps_cfgck *ck, const struct ps_node *root,
	      struct lint_settings *s)
{
	const struct ps_node *ov;
	int b;

	read_list(ck, root, "ignored", ignore_id, s);
	read_list(ck, root, "trustedRegistries", add_registry, s);
	read_labels(ck, root, "label-schema", s);
	if (ps_cfg_bool(ck, root, "strict-labels", 0, &b) == 1)
		s->strict_labels = b;
	read_threshold(ck, root, s);
	if (ps_cfg_map(ck, root, "override", 0, &ov) == 1) {
		static const char *const lv[] = { "error", "warning", "info", "style" };
		static const enum ps_severity sv[] = { PS_SEV_ERROR, PS_SEV_WARNING,
						       PS_SEV_INFO, PS_SEV_STYLE };

		for (size_t l = 0; l < PS_ARRAY_LEN(lv); l++) {
			const char *const *ids;
			size_t n;

			if (ps_cfg_strlist(ck, ov, lv[l], 0, &ids, &n) == 1)
				for (size_t i = 0; i < n; i++)
					lint_settings_severity(s, ids[i], sv[l]);
		}
	}
}

int
lint_settings_load(struct lint_settings *s, const char *path,
		   struct ps_diags *diags)
{
	size_t before = diags->len;
	struct ps_doc *doc = ps_doc_load(path, diags);
	struct ps_cfgck ck = { .doc = doc, .diags = diags, .interpolate = 0,
			       .tool = LINT_TOOL };
	const struct ps_node *root;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!doc)
		return -1;
	root = ps_doc_root(doc);
	if (root && root->kind == PS_NODE_MAP) {
		if (strstr(base, "hadolint"))
			load_hadolint(&ck, root, s);
		else
			load_pslint(&ck, root, s);
	} else if (root && !ps_node_is_null(root)) {
		ps_cfg_error(&ck, root, "expected a mapping at the top of the file");
	}
	ps_doc_free(doc);
	return ps_diags_count(diags, PS_SEV_ERROR) > 0 && diags->len > before ? -1 : 0;
}

char *
lint_settings_find(const char *dir)
{
	static const char *const names[] = { ".ps-lint.yml", ".ps-lint.yaml",
		".hadolint.yaml", ".hadolint.yml" };
	char cur[PATH_MAX];

	if (!realpath(dir && *dir ? dir : ".", cur))
		return NULL;
	while (1) {
		for (size_t i = 0; i < PS_ARRAY_LEN(names); i++) {
			char *p = ps_xasprintf("%s/%s", strcmp(cur, "/") ? cur : "",
					       names[i]);

			if (access(p, R_OK) == 0)
				return p;
			free(p);
		}
		char *sl = strrchr(cur, '/');

		if (!sl || sl == cur)
			break;
		*sl = '\0';
	}
	/* the root itself */
	for (size_t i = 0; i < PS_ARRAY_LEN(names); i++) {
		char *p = ps_xasprintf("/%s", names[i]);

		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* The nearest configuration from the real directory cur (modified) up,
 * every directory's answer remembered in c. */
static const char *
find_level(char *cur, struct lint_find_cache *c)
{
	static const char *const names[] = { ".ps-lint.yml", ".ps-lint.yaml",
		".hadolint.yaml", ".hadolint.yml" };
	const char *found = NULL;
	char *sl;
	int root = strcmp(cur, "/") == 0;

	for (size_t i = 0; i < c->len; i++)
		if (strcmp(c->v[i].dir, cur) == 0)
			return c->v[i].cfg;
	for (size_t i = 0; i < PS_ARRAY_LEN(names) && !found; i++) {
		char *p = ps_xasprintf("%s/%s", root ? "" : cur, names[i]);

		if (access(p, R_OK) == 0)
			found = p;
		else
			free(p);
	}
	ps_xgrow(&c->v, &c->cap, c->len + 1, sizeof(*c->v));
	c->v[c->len].dir = ps_xstrdup(cur);
	c->v[c->len].cfg = (char *)found;
	c->len++;
	if (found || root)
		return found;
	{
		size_t me = c->len - 1;

		sl = strrchr(cur, '/');
		if (!sl)
			return NULL;
		if (sl == cur)
			sl[1] = '\0';	/* the parent is the root */
		else
			*sl = '\0';
		found = find_level(cur, c);
		/* (the vector may have moved) */
		c->v[me].cfg = found ? ps_xstrdup(found) : NULL;
		return c->v[me].cfg;
	}
}

char *
lint_settings_find_cached(const char *dir, struct lint_find_cache *c)
{
	char cur[PATH_MAX];
	const char *found;

	if (!realpath(dir && *dir ? dir : ".", cur))
		return NULL;
	found = find_level(cur, c);
	return found ? ps_xstrdup(found) : NULL;
}

void
lint_find_cache_free(struct lint_find_cache *c)
{
	for (size_t i = 0; i < c->len; i++) {
		free(c->v[i].dir);
		free(c->v[i].cfg);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}
