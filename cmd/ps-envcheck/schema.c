/*
 * ps-envcheck schemas: the keys an environment must have, from a template
 * (.env.example: every key required) or a typed YAML schema:
 *
 *	allow_other_keys: true          # false: keys not listed are violations
 *	keys:
 *	  DATABASE_URL: { type: url, required: true, regex: '^postgres(ql)?://' }
 *	  LOG_LEVEL:    { type: string, choices: [debug, info, warn, error], default: info }
 *	  PORT:         port            # short form: just the type
 *
 * Types: string, integer, float, boolean, url, email, port, duration.
 * Values given as references (${VAR}) are not type-checked: they are only
 * known where they are resolved. Values of secret-looking keys are never
 * shown in messages.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/time.h"
#include "lib/util.h"

enum stype {
	T_STRING, T_INTEGER, T_FLOAT, T_BOOLEAN, T_URL, T_EMAIL, T_PORT,
	T_DURATION,
};

static const char *const type_names[] = {
	"string", "integer", "float", "boolean", "url", "email", "port",
	"duration", NULL,
};

struct skey {
	char *name;
	enum stype type;
	int required;
	char **choices;		/* NULL-terminated or NULL */
	char *regex_src;
	regex_t re;
	int has_re;
	char *def;		/* default value or NULL */
};

struct schema {
	char *path;
	int from_template;	/* keys of a .env.example: all required */
	int allow_other;
	struct skey *keys;
	size_t n;
};

void schema_free(struct schema *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		struct skey *k = &s->keys[i];

		free(k->name);
		for (j = 0; k->choices && k->choices[j]; j++)
			free(k->choices[j]);
		free(k->choices);
		free(k->regex_src);
		if (k->has_re)
			regfree(&k->re);
		free(k->def);
	}
	free(s->keys);
	free(s->path);
	free(s);
}

static int is_yaml(const char *path)
{
	size_t n = strlen(path);

	return (n > 4 && strcasecmp(path + n - 4, ".yml") == 0) ||
	       (n > 5 && strcasecmp(path + n - 5, ".yaml") == 0) ||
	       (n > 5 && strcasecmp(path + n - 5, ".json") == 0);
}

static struct skey *add_key(struct schema *s, size_t *cap, const char *name)
{
	struct skey *k;

	ps_xgrow(&s->keys, cap, s->n + 1, sizeof(*s->keys));
	k = &s->keys[s->n++];
	memset(k, 0, sizeof(*k));
	k->name = ps_xstrdup(name);
	return k;
}

static int bool_word(const char *v)
{
	static const char *const words[] = {
		"true", "false", "1", "0", "yes", "no", "on", "off", NULL,
	};
	size_t i;

	for (i = 0; words[i]; i++)
		if (strcasecmp(v, words[i]) == 0)
			return 1;
	return 0;
}

/* Whether v is valid for k; why says what was expected. */
static int value_ok(const struct skey *k, const char *v, char *why, size_t n)
{
	long l;
	double d;

	switch (k->type) {
	case T_STRING:
		break;
	case T_INTEGER:
		if (ps_parse_long(v, -2147483647L - 1, 2147483647L, &l) < 0 &&
		    ps_parse_long(v, (-9223372036854775807L - 1),
				  9223372036854775807L, &l) < 0) {
			snprintf(why, n, "expected a whole number");
			return 0;
		}
		break;
	case T_FLOAT:
		if (ps_parse_double(v, &d) < 0) {
			snprintf(why, n, "expected a number");
			return 0;
		}
		break;
	case T_BOOLEAN:
		if (!bool_word(v)) {
			snprintf(why, n, "expected true/false (or 1/0, yes/no, on/off)");
			return 0;
		}
		break;
	case T_URL: {
		char err[200];

		if (!envcheck_url_valid(v, err, sizeof(err))) {
			snprintf(why, n, "expected a URL (%s)", err);
			return 0;
		}
		break;
	}
	case T_EMAIL: {
		regex_t re;
		int bad;

		if (regcomp(&re, "^[^@[:space:]]+@[^@[:space:].]+(\\.[^@[:space:].]+)+$",
			    REG_EXTENDED | REG_NOSUB) != 0)
			return 1;
		bad = regexec(&re, v, 0, NULL, 0) != 0;
		regfree(&re);
		if (bad) {
			snprintf(why, n, "expected an email address");
			return 0;
		}
		break;
	}
	case T_PORT:
		if (ps_parse_long(v, 1, 65535, &l) < 0) {
			snprintf(why, n, "expected a port number (1-65535)");
			return 0;
		}
		break;
	case T_DURATION: {
		struct ps_error err = { 0 };

		if (ps_duration_parse(v, &d, &err) < 0) {
			snprintf(why, n, "expected a duration (30s, 5m, 1h)");
			return 0;
		}
		break;
	}
	}
	if (k->choices) {
		size_t i;

		for (i = 0; k->choices[i]; i++)
			if (strcmp(v, k->choices[i]) == 0)
				break;
		if (!k->choices[i]) {
			struct ps_buf b = { 0 };

			for (i = 0; k->choices[i]; i++)
				ps_buf_addf(&b, "%s%s", i ? ", " : "",
					    k->choices[i]);
			snprintf(why, n, "expected one of %s", ps_buf_str(&b));
			ps_buf_free(&b);
			return 0;
		}
	}
	if (k->has_re && regexec(&k->re, v, 0, NULL, 0) != 0) {
		snprintf(why, n, "expected a value matching /%s/", k->regex_src);
		return 0;
	}
	return 1;
}

static struct schema *load_template(const char *path, struct ps_diags *errs)
{
	struct envfile f;
	struct ps_error err = { 0 };
	struct schema *s;
	size_t i, cap = 0, j;

	if (envfile_load(&f, path, NULL, &err) < 0) {
		ps_diags_add(errs, ENVCHECK_TOOL, "schema", "schema",
			     PS_SEV_ERROR, path, 0, 0, "%s", err.msg);
		return NULL;
	}
	s = ps_xcalloc(1, sizeof(*s));
	s->path = ps_xstrdup(path);
	s->from_template = 1;
	s->allow_other = 1;
	for (i = 0; i < f.doc.nentries; i++) {
		const char *name = f.doc.entries[i].key;

		if (!ps_dotenv_key_valid(name))
			continue;
		for (j = 0; j < s->n && strcmp(s->keys[j].name, name); j++)
			;
		if (j == s->n)
			add_key(s, &cap, name)->required = 1;
	}
	envfile_free(&f);
	return s;
}

static void load_yaml_key(struct ps_cfgck *ck, struct schema *s, size_t *cap,
			  const struct ps_pair *p)
{
	static const char *const known[] = {
		"type", "required", "choices", "regex", "default",
		"description", NULL,
	};
	const char *name = p->key->value;
	const struct ps_node *v = p->value, *dn;
	struct skey *k;
	int t = 0;

	if (!name || !ps_dotenv_key_valid(name)) {
		ps_cfg_error(ck, p->key, "\"%s\" is not a variable name",
			     name ? name : "");
		return;
	}
	k = add_key(s, cap, name);
	if (ps_node_is_scalar(v) && !ps_node_is_null(v)) {
		size_t i;

		for (i = 0; type_names[i] && strcmp(type_names[i], v->value); i++)
			;
		if (!type_names[i])
			ps_cfg_error(ck, v, "%s: unknown type \"%s\" (string, "
				     "integer, float, boolean, url, email, port, "
				     "duration)", name, v->value);
		else
			k->type = (enum stype)i;
		return;
	}
	if (ps_node_is_null(v))
		return;
	if (v->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, v, "%s: expected a type or a mapping", name);
		return;
	}
	ps_cfg_known_keys(ck, v, known);
	if (ps_cfg_enum(ck, v, "type", 0, type_names, &t) == 1)
		k->type = (enum stype)t;
	ps_cfg_bool(ck, v, "required", 0, &k->required);
	{
		const char *const *list;
		size_t n, i;

		if (ps_cfg_strlist(ck, v, "choices", 0, &list, &n) == 1) {
			k->choices = ps_xcalloc(n + 1, sizeof(*k->choices));
			for (i = 0; i < n; i++)
				k->choices[i] = ps_xstrdup(list[i]);
		}
	}
	{
		const char *re;

		if (ps_cfg_str(ck, v, "regex", 0, &re) == 1) {
			int rc = regcomp(&k->re, re, REG_EXTENDED | REG_NOSUB);

			if (rc != 0) {
				char msg[256];

				regerror(rc, &k->re, msg, sizeof(msg));
				ps_cfg_error(ck, ps_node_get(v, "regex"),
					     "%s: bad regex: %s", name, msg);
			} else {
				k->has_re = 1;
				k->regex_src = ps_xstrdup(re);
			}
		}
	}
	dn = ps_node_get(v, "default");
	if (dn && ps_node_is_scalar(dn) && !ps_node_is_null(dn)) {
		char why[256];

		k->def = ps_xstrdup(dn->value);
		if (!value_ok(k, k->def, why, sizeof(why)))
			ps_cfg_error(ck, dn, "%s: default does not fit: %s",
				     name, why);
	} else if (dn && !ps_node_is_null(dn)) {
		ps_cfg_error(ck, dn, "%s: default must be a single value", name);
	}
}

static struct schema *load_yaml(const char *path, struct ps_diags *errs)
{
	static const char *const top[] = {
		"keys", "allow_other_keys", "version", "description", NULL,
	};
	struct ps_doc *doc = ps_doc_load(path, errs);
	struct ps_cfgck ck = { .doc = doc, .diags = errs, .tool = ENVCHECK_TOOL };
	const struct ps_node *root, *keys = NULL;
	struct schema *s;
	size_t i, cap = 0, before = ps_diags_count(errs, PS_SEV_ERROR);

	if (!doc)
		return NULL;
	root = ps_doc_root(doc);
	s = ps_xcalloc(1, sizeof(*s));
	s->path = ps_xstrdup(path);
	s->allow_other = 1;
	if (!root || root->kind != PS_NODE_MAP) {
		ps_diags_add(errs, ENVCHECK_TOOL, "config", "config",
			     PS_SEV_ERROR, path, root ? root->line : 1,
			     root ? root->col : 1,
			     "expected a mapping with \"keys\"");
	} else {
		ps_cfg_known_keys(&ck, root, top);
		ps_cfg_bool(&ck, root, "allow_other_keys", 0, &s->allow_other);
		if (ps_cfg_map(&ck, root, "keys", 1, &keys) == 1)
			for (i = 0; i < keys->len; i++)
				load_yaml_key(&ck, s, &cap, &keys->pairs[i]);
	}
	ps_doc_free(doc);
	if (ps_diags_count(errs, PS_SEV_ERROR) > before) {
		schema_free(s);
		return NULL;
	}
	return s;
}

struct schema *schema_load(const char *path, struct ps_diags *errs)
{
	return is_yaml(path) ? load_yaml(path, errs) : load_template(path, errs);
}

/* The value for a message: quoted, or hidden for secret-looking keys. */
static void shown(const char *key, const char *v, char *out, size_t n)
{
	if (ps_is_secret_name(key))
		snprintf(out, n, "a value (hidden: secret)");
	else
		snprintf(out, n, "\"%.60s%s\"", v, strlen(v) > 60 ? "..." : "");
}

static void check_one(struct envcheck *ck, const struct schema *s,
		      const struct envfile *f, const struct skey *k,
		      const char *v, int line, int col, const char *snippet)
{
	char why[512], sv[96];

	if (!v) {
		if (k->required && !k->def)
			envcheck_report(ck, f, R_SCHEMA_VIOLATION, 0, 0, NULL,
					s->from_template ?
					"key \"%s\" of %s is missing" :
					"required key \"%s\" is missing (schema %s)",
					k->name, s->path);
		return;
	}
	if (!*v) {
		if (k->required && !k->def)
			envcheck_report(ck, f, R_SCHEMA_VIOLATION, line, col,
					snippet, "required key \"%s\" is empty",
					k->name);
		return;
	}
	if (value_ok(k, v, why, sizeof(why)))
		return;
	shown(k->name, v, sv, sizeof(sv));
	envcheck_report(ck, f, R_SCHEMA_VIOLATION, line, col, snippet,
			"%s: %s, got %s", k->name, why, sv);
}

void schema_check_file(struct envcheck *ck, const struct schema *s,
		       const struct envfile *f)
{
	size_t i, j;

	if (ps_dotenv_is_template(f->path) || strcmp(f->path, s->path) == 0)
		return;
	for (i = 0; i < s->n; i++) {
		const struct skey *k = &s->keys[i];
		const struct ps_dotenv_entry *e = ps_dotenv_get(&f->doc, k->name);

		if (e && ps_dotenv_is_reference(e))
			continue;
		check_one(ck, s, f, k, e ? e->value : NULL, e ? e->line : 0,
			  e ? e->value_col : 0, e ? e->raw : NULL);
	}
	if (s->allow_other)
		return;
	for (i = 0; i < f->doc.nentries; i++) {
		const struct ps_dotenv_entry *e = &f->doc.entries[i];

		for (j = 0; j < s->n && strcmp(s->keys[j].name, e->key); j++)
			;
		if (j == s->n)
			envcheck_report(ck, f, R_SCHEMA_VIOLATION, e->line,
					e->col, e->raw,
					"key \"%s\" is not defined in the schema",
					e->key);
	}
}

static const char *env_lookup(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

void schema_check_live(struct envcheck *ck, const struct schema *s,
		       char **environ_)
{
	struct envfile f;
	size_t i;

	envfile_load_mem(&f, "(environment)", "", 0, NULL);
	for (i = 0; i < s->n; i++) {
		const struct skey *k = &s->keys[i];

		check_one(ck, s, &f, k, env_lookup(environ_, k->name), 0, 0,
			  NULL);
	}
	envfile_free(&f);
}
