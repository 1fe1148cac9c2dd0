/*
 * ps-envcheck environment rules: what a file means for the environment it
 * configures (secrets as references in production, log levels, NODE_ENV /
 * APP_ENV, URLs that parse) and what the environments of one directory
 * must agree on (the same keys) or must not share (data stores).
 *
 * URLs are parsed by libpq (PostgreSQL URIs and key=value conninfo) and by
 * libcurl's URL API (everything else), never by hand.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/log.h"
#include "lib/util.h"

/* What a reference is replaced by before a URL is parsed. */
#define REF_MARK "psenvref"

static const char *const log_levels[] = {
	"trace", "debug", "info", "notice", "warn", "warning", "error",
	"crit", "critical", "alert", "emerg", "fatal", NULL,
};

/* Keys that name the environment an application runs in. */
static const char *const env_keys[] = {
	"NODE_ENV", "APP_ENV", "APP_ENVIRONMENT", "ENVIRONMENT", "RAILS_ENV",
	"RACK_ENV", "ASPNETCORE_ENVIRONMENT", "DJANGO_ENV", "FLASK_ENV",
	"GO_ENV", "MIX_ENV", "DEPLOY_ENV", "STAGE", NULL,
};

/* Schemes of data stores, for the isolation rule. */
static const char *const store_schemes[] = {
	"postgres", "postgresql", "mysql", "mariadb", "mongodb",
	"mongodb+srv", "redis", "rediss", "amqp", "amqps", "mssql",
	"sqlserver", "cockroachdb", "clickhouse", "memcached", "nats",
	"kafka", "cassandra", "couchdb", "neo4j", "bolt", "elasticsearch",
	"opensearch", NULL,
};

static int in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strcasecmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Keys whose value is a URL or DSN. */
static int url_key(const char *key)
{
	return strcmp(key, "DATABASE_URL") == 0 || ends_with(key, "_URL") ||
	       ends_with(key, "_DSN") || ends_with(key, "_URI") ||
	       strcmp(key, "DSN") == 0;
}

/* The value with every reference replaced by REF_MARK (malloc'd). */
static char *unref(const struct ps_dotenv_entry *e)
{
	struct ps_buf b = { 0 };
	const char *v = e->value;
	size_t i, n = e->value_len;

	if (e->nrefs == 0)
		return ps_xstrndup(v, n);
	for (i = 0; i < n; i++) {
		if (v[i] == '$' && i + 1 < n && v[i + 1] == '{') {
			const char *cb = memchr(v + i, '}', n - i);

			if (cb) {
				ps_buf_adds(&b, REF_MARK);
				i = (size_t)(cb - v);
				continue;
			}
		} else if (v[i] == '$' && i + 1 < n &&
			   (isalpha((unsigned char)v[i + 1]) || v[i + 1] == '_')) {
			i++;
			while (i + 1 < n && (isalnum((unsigned char)v[i + 1]) ||
					     v[i + 1] == '_'))
				i++;
			ps_buf_adds(&b, REF_MARK);
			continue;
		}
		ps_buf_addc(&b, v[i]);
	}
	return ps_buf_detach(&b);
}

static int pg_scheme(const char *v)
{
	return strncasecmp(v, "postgres://", 11) == 0 ||
	       strncasecmp(v, "postgresql://", 13) == 0;
}

/* Where a URL points: a data store's scheme family, host, port and
 * database, and whether a literal password is in it. */
struct store {
	char family[32];
	char host[256];
	char port[16];
	char db[256];
	int password;		/* a literal password is written in it */
	int has_ref_host;	/* the host comes from a reference */
};

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void norm_host(char *h)
{
	lower(h);
	if (strcmp(h, "127.0.0.1") == 0 || strcmp(h, "::1") == 0 ||
	    strcmp(h, "[::1]") == 0 || h[0] == '\0' || h[0] == '/')
		copy(h, 256, "localhost");
}

/* libpq: a postgres:// URI or a key=value conninfo string. */
static int pg_parse(const char *v, struct store *st, char *err, size_t errlen)
{
	char *emsg = NULL;
	PQconninfoOption *o = PQconninfoParse(v, &emsg), *p;
	const char *user = NULL;

	if (!o) {
		if (emsg) {
			size_t n;

			copy(err, errlen, emsg);
			/* libpq quotes the offending part of the string, which
			 * may be a password: keep only the reason */
			if (strchr(err, '"'))
				*strchr(err, '"') = '\0';
			n = strlen(err);
			while (n && (err[n - 1] == ':' || err[n - 1] == ' '))
				err[--n] = '\0';
			while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
				err[--n] = '\0';
			PQfreemem(emsg);
		} else {
			copy(err, errlen, "out of memory");
		}
		return -1;
	}
	copy(st->family, sizeof(st->family), "postgresql");
	copy(st->port, sizeof(st->port), "5432");
	for (p = o; p->keyword; p++) {
		if (!p->val || !*p->val)
			continue;
		if (strcmp(p->keyword, "host") == 0 ||
		    (strcmp(p->keyword, "hostaddr") == 0 && !st->host[0]))
			copy(st->host, sizeof(st->host), p->val);
		else if (strcmp(p->keyword, "port") == 0)
			copy(st->port, sizeof(st->port), p->val);
		else if (strcmp(p->keyword, "dbname") == 0)
			copy(st->db, sizeof(st->db), p->val);
		else if (strcmp(p->keyword, "user") == 0)
			user = p->val;
		else if (strcmp(p->keyword, "password") == 0)
			st->password = strstr(p->val, REF_MARK) == NULL;
	}
	if (!st->db[0] && user)	/* libpq's default database */
		copy(st->db, sizeof(st->db), user);
	PQconninfoFree(o);
	return 0;
}

static int curl_parse(const char *v, struct store *st, char *err,
		      size_t errlen)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char *s = NULL;

	if (!u) {
		copy(err, errlen, "out of memory");
		return -1;
	}
	rc = curl_url_set(u, CURLUPART_URL, v, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK) {
		copy(err, errlen, curl_url_strerror(rc));
		curl_url_cleanup(u);
		return -1;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK) {
		copy(st->family, sizeof(st->family), s);
		lower(st->family);
		curl_free(s);
	}
	if (curl_url_get(u, CURLUPART_HOST, &s, 0) == CURLUE_OK) {
		copy(st->host, sizeof(st->host), s);
		curl_free(s);
	}
	if (curl_url_get(u, CURLUPART_PORT, &s, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK) {
		copy(st->port, sizeof(st->port), s);
		curl_free(s);
	}
	if (curl_url_get(u, CURLUPART_PATH, &s, 0) == CURLUE_OK) {
		const char *p = s;
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n >= sizeof(st->db))
			n = sizeof(st->db) - 1;
		memcpy(st->db, p, n);
		st->db[n] = '\0';
		curl_free(s);
	}
	if (curl_url_get(u, CURLUPART_PASSWORD, &s, 0) == CURLUE_OK) {
		st->password = *s && strstr(s, REF_MARK) == NULL;
		curl_free(s);
	}
	curl_url_cleanup(u);
	return 0;
}

/* Parse v (references already replaced); 1 when it is no URL at all. */
static int parse_url(const char *v, struct store *st, char *err,
		     size_t errlen)
{
	memset(st, 0, sizeof(*st));
	if (strncasecmp(v, "jdbc:", 5) == 0)
		v += 5;
	if (pg_scheme(v))
		return pg_parse(v, st, err, errlen);
	if (!strstr(v, "://"))
		return 1;
	return curl_parse(v, st, err, errlen);
}

int envcheck_url_valid(const char *value, char *err, size_t errlen)
{
	struct store st;
	int rc = parse_url(value, &st, err, errlen);

	if (rc == 1) {
		copy(err, errlen, "no scheme://");
		return 0;
	}
	if (rc < 0)
		return 0;
	if (!pg_scheme(value) && !st.host[0] &&
	    strncasecmp(value, "file:", 5) != 0 &&
	    strncasecmp(value, "sqlite:", 7) != 0) {
		copy(err, errlen, "no host");
		return 0;
	}
	return 1;
}

/* ---- one file's environment rules ---- */

static char *dupe(const char *s)
{
	return ps_xstrdup(s);
}

static int is_prod(const char *env)
{
	return env && strcmp(env, "production") == 0;
}

static void check_secret(struct envcheck *ck, const struct envfile *f,
			 const struct ps_dotenv_entry *e)
{
	struct ps_finding *fi;
	int prod = is_prod(f->env);

	if (!f->env || !ps_is_secret_name(e->key) || !e->has_eq ||
	    e->value_len == 0 || ps_dotenv_is_reference(e))
		return;
	if (!prod && strcmp(f->env, "staging") != 0)
		return;
	fi = envcheck_report(ck, f, R_LITERAL_SECRET, e->line, e->value_col,
			     e->raw,
			     "%s is a literal value in %s; give a reference "
			     "such as ${%s%s} or ${ssm:/%s/%s} and keep the "
			     "secret in the secret store",
			     e->key, f->env, prod ? "PROD_" : "STAGING_", e->key,
			     f->env, e->key);
	if (fi && !prod)
		fi->severity = PS_SEV_WARNING;
}

static void check_url(struct envcheck *ck, const struct envfile *f,
		      const struct ps_dotenv_entry *e)
{
	char err[256], *v;
	struct store st;
	int rc;

	if (!e->has_eq || e->value_len == 0)
		return;
	v = unref(e);
	if (!url_key(e->key) && !strstr(v, "://")) {
		free(v);
		return;
	}
	rc = parse_url(v, &st, err, sizeof(err));
	if (rc == 1 && (ends_with(e->key, "_DSN") ||
			strcmp(e->key, "DATABASE_URL") == 0) &&
	    strchr(v, '=')) {
		memset(&st, 0, sizeof(st));
		rc = pg_parse(v, &st, err, sizeof(err));
	}
	if (rc < 0) {
		envcheck_report(ck, f, R_INVALID_URL, e->line, e->value_col,
				e->raw, "%s does not parse as a URL: %s",
				e->key, err);
	} else if (rc == 0 && !st.host[0] && strcmp(st.family, "postgresql") &&
		   strcmp(st.family, "file") && strncmp(st.family, "sqlite", 6)) {
		envcheck_report(ck, f, R_INVALID_URL, e->line, e->value_col,
				e->raw, "%s is a URL without a host", e->key);
	} else if (rc == 0 && st.password && f->env &&
		   (is_prod(f->env) || strcmp(f->env, "staging") == 0)) {
		struct ps_finding *fi = envcheck_report(ck, f, R_LITERAL_SECRET,
			e->line, e->value_col, e->raw,
			"%s holds a literal password in %s; take it from a "
			"reference (${DB_PASSWORD}) or the secret store",
			e->key, f->env);

		if (fi && !is_prod(f->env))
			fi->severity = PS_SEV_WARNING;
	}
	free(v);
}

static void check_log_level(struct envcheck *ck, const struct envfile *f,
			    const struct ps_dotenv_entry *e)
{
	char lv[32];

	if ((strcmp(e->key, "LOG_LEVEL") != 0 && !ends_with(e->key, "_LOG_LEVEL") &&
	     strcmp(e->key, "LOGLEVEL") != 0) ||
	    !e->has_eq || ps_dotenv_is_reference(e) || e->value_len == 0)
		return;
	if (e->value_len >= sizeof(lv) || !in_list(e->value, log_levels)) {
		envcheck_report(ck, f, R_LOG_LEVEL, e->line, e->value_col, e->raw,
				"%s=%.32s is not a known level (trace, debug, "
				"info, notice, warn, error, crit, alert, emerg, "
				"fatal)", e->key, e->value);
		return;
	}
	copy(lv, sizeof(lv), e->value);
	lower(lv);
	if (is_prod(f->env) && (strcmp(lv, "debug") == 0 || strcmp(lv, "trace") == 0))
		envcheck_report(ck, f, R_DEBUG_IN_PRODUCTION, e->line,
				e->value_col, e->raw,
				"%s=%s in production: debug logs are verbose, slow "
				"and leak data; use info or warn", e->key, lv);
}

static void check_env_key(struct envcheck *ck, const struct envfile *f,
			  const struct ps_dotenv_entry *e)
{
	const char *canon;
	int node = strcmp(e->key, "NODE_ENV") == 0;
	char v[64];

	if (!in_list(e->key, env_keys) || !e->has_eq ||
	    ps_dotenv_is_reference(e) || e->value_len == 0 ||
	    e->value_len >= sizeof(v))
		return;
	copy(v, sizeof(v), e->value);
	lower(v);
	if (node && strcmp(v, "development") && strcmp(v, "production") &&
	    strcmp(v, "test"))
		envcheck_report(ck, f, R_NODE_ENV_NONSTANDARD, e->line,
				e->value_col, e->raw,
				"NODE_ENV=%s: Node.js libraries know only "
				"development, production and test and treat "
				"anything else as development; set "
				"NODE_ENV=production and name the stage in "
				"APP_ENV", v);
	if (!f->env)
		return;
	canon = strcmp(v, "local") == 0 ? "development" :
		ps_dotenv_env_canonical(v);
	if (!canon)
		canon = v;
	if (strcmp(canon, f->env) == 0)
		return;
	/* NODE_ENV=production is right for every deployed stage. */
	if (node && strcmp(canon, "production") == 0 &&
	    strcmp(f->env, "development") != 0 && strcmp(f->env, "test") != 0)
		return;
	envcheck_report(ck, f, R_ENV_MISMATCH, e->line, e->value_col, e->raw,
			"%s=%s in a file for %s", e->key, v, f->env);
}

/* ---- across the environments of a directory ---- */

struct found {
	const struct envfile *f;
	const struct ps_dotenv_entry *e;
	struct store st;
};

static void check_isolation(struct envcheck *ck, struct envfile *files,
			    size_t *idx, size_t n)
{
	struct found *v = NULL;
	size_t nv = 0, cap = 0, i, j, k;

	for (i = 0; i < n; i++) {
		const struct envfile *f = &files[idx[i]];

		for (k = 0; k < f->doc.nentries; k++) {
			const struct ps_dotenv_entry *e = &f->doc.entries[k];
			struct store st;
			char err[256], *val;

			if (!url_key(e->key) || !e->has_eq)
				continue;
			if (ps_dotenv_get(&f->doc, e->key) != e)
				continue;	/* the last one counts */
			val = unref(e);
			if (parse_url(val, &st, err, sizeof(err)) != 0 ||
			    !in_list(st.family, store_schemes) ||
			    strstr(st.host, REF_MARK) || strstr(st.db, REF_MARK) ||
			    strstr(st.port, REF_MARK)) {
				free(val);
				continue;
			}
			free(val);
			if (strcmp(st.family, "postgres") == 0)
				copy(st.family, sizeof(st.family), "postgresql");
			norm_host(st.host);
			ps_xgrow(&v, &cap, nv + 1, sizeof(*v));
			v[nv].f = f;
			v[nv].e = e;
			v[nv].st = st;
			nv++;
		}
	}
	for (i = 0; i < nv; i++) {
		for (j = 0; j < i; j++) {
			const struct store *a = &v[i].st, *b = &v[j].st;

			if (strcmp(v[i].f->env, v[j].f->env) == 0 ||
			    strcmp(a->family, b->family) || strcmp(a->host, b->host) ||
			    strcmp(a->port, b->port) || strcmp(a->db, b->db))
				continue;
			envcheck_report(ck, v[i].f, R_SHARED_STORE, v[i].e->line,
					v[i].e->value_col, v[i].e->raw,
					"%s points at the same data store as %s in "
					"%s (%s on %s:%s%s%s); environments must "
					"not share data", v[i].e->key, v[j].e->key,
					v[j].f->path, a->family, a->host, a->port,
					a->db[0] ? "/" : "", a->db);
			break;
		}
	}
	free(v);
}

static void check_drift(struct envcheck *ck, struct envfile *files,
			size_t *idx, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		const struct envfile *f = &files[idx[i]];

		for (j = 0; j < n; j++) {
			const struct envfile *g = &files[idx[j]];

			if (i == j || strcmp(f->env, g->env) == 0)
				continue;
			for (k = 0; k < g->doc.nentries; k++) {
				const struct ps_dotenv_entry *e = &g->doc.entries[k];
				struct ps_buf others = { 0 };
				size_t m;
				int first_owner = 1;

				if (ps_dotenv_get(&g->doc, e->key) != e ||
				    ps_dotenv_get(&f->doc, e->key))
					continue;
				/* Report once per missing key: from the first
				 * file (in order) that has it. */
				for (m = 0; m < j; m++)
					if (m != i && strcmp(files[idx[m]].env, f->env) &&
					    ps_dotenv_get(&files[idx[m]].doc, e->key))
						first_owner = 0;
				if (!first_owner)
					continue;
				for (m = 0; m < n; m++) {
					const struct envfile *h = &files[idx[m]];

					if (m == i || !ps_dotenv_get(&h->doc, e->key))
						continue;
					if (others.len)
						ps_buf_adds(&others, ", ");
					ps_buf_adds(&others, h->path);
				}
				envcheck_report(ck, f, R_DRIFT, 0, 0, NULL,
						"key \"%s\" is set in %s but missing "
						"for %s", e->key, ps_buf_str(&others),
						f->env);
				ps_buf_free(&others);
			}
		}
	}
}

void envcheck_cross(struct envcheck *ck, struct envfile *files, size_t n)
{
	size_t i, k, *idx = ps_xcalloc(n + 1, sizeof(*idx));
	char **dirs_done = ps_xcalloc(n + 1, sizeof(*dirs_done));
	size_t ndone = 0;

	for (i = 0; i < n; i++) {
		const struct envfile *f = &files[i];

		for (k = 0; k < f->doc.nentries; k++) {
			const struct ps_dotenv_entry *e = &f->doc.entries[k];

			check_secret(ck, f, e);
			check_url(ck, f, e);
			check_log_level(ck, f, e);
			check_env_key(ck, f, e);
		}
	}
	/* Group the files that stand for an environment by directory. */
	for (i = 0; i < n; i++) {
		size_t m = 0, j, d;
		int distinct = 0;

		if (!files[i].env || strcmp(files[i].path, "-") == 0)
			continue;
		for (d = 0; d < ndone; d++)
			if (strcmp(dirs_done[d], files[i].dir) == 0)
				break;
		if (d < ndone)
			continue;
		dirs_done[ndone++] = dupe(files[i].dir);
		for (j = i; j < n; j++)
			if (files[j].env && strcmp(files[j].dir, files[i].dir) == 0 &&
			    strcmp(files[j].path, "-") != 0)
				idx[m++] = j;
		for (j = 1; j < m; j++)
			if (strcmp(files[idx[j]].env, files[idx[0]].env) != 0)
				distinct = 1;
		if (!distinct)
			continue;
		check_drift(ck, files, idx, m);
		check_isolation(ck, files, idx, m);
	}
	for (i = 0; i < ndone; i++)
		free(dirs_done[i]);
	free(dirs_done);
	free(idx);
}
