/*
 * backup: backup.yml sets, ids and names, manifests, listings and the
 * retention decision shared by ps-backup and ps-restore. See backup.h.
 */
#include "backup.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "time.h"

static const char *const root_keys[] = {
	"backup", "encryption", "compression", "s3", NULL,
};
static const char *const set_keys[] = {
	"enabled", "schedule", "retention", "locations", "paths", "exclude",
	"encryption", "compression", "keep", "s3", "database", NULL,
};
static const char *const enc_keys[] = {
	"key_file", "key_env", "passphrase_file", "passphrase_env", NULL,
};
static const char *const comp_keys[] = { "level", "threads", NULL };
static const char *const keep_keys[] = {
	"last", "daily", "weekly", "monthly", "yearly", NULL,
};
static const char *const db_keys[] = {
	"url", "jobs", "no_owner", "no_privileges", NULL,
};
static const char *const s3_keys[] = {
	"endpoint", "region", "path_style", "profile", "ca_file", "part_size",
	"spool_dir", NULL,
};

static char *
resolve(const struct ps_backup_config *c, const char *p)
{
	if (p[0] == '/')
		return ps_xstrdup(p);
	return ps_xasprintf("%s/%s", c->dir, p);
}

/* Normalise an absolute path: no "//", no "." components, no trailing '/'. */
static void
tidy_path(char *p)
{
	char *r = p, *w = p;

	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = 0;
	while (w > p + 1 && w[-1] == '/')
		*--w = 0;
}

static void
load_encryption(struct ps_cfgck *ck, struct ps_backup_config *c,
		const struct ps_node *n, struct ps_backup_set *s)
{
	static const enum ps_backup_enc kinds[] = {
		PS_BACKUP_ENC_KEY_FILE, PS_BACKUP_ENC_KEY_ENV,
		PS_BACKUP_ENC_PASS_FILE, PS_BACKUP_ENC_PASS_ENV,
	};
	int found = 0;

	if (!n)
		return;
	if (n->kind == PS_NODE_SCALAR) {
		const char *v = ps_cfg_scalar(ck, n);
		if (v && (strcmp(v, "none") == 0 || strcmp(v, "false") == 0)) {
			s->enc = PS_BACKUP_ENC_NONE;
			s->enc_value = NULL;
		} else {
			ps_cfg_error(ck, n, "encryption: expected a mapping with key_file, key_env, "
				     "passphrase_file or passphrase_env, or \"none\"");
		}
		return;
	}
	if (n->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, n, "encryption: expected a mapping");
		return;
	}
	ps_cfg_known_keys(ck, n, enc_keys);
	for (size_t i = 0; i < PS_ARRAY_LEN(kinds); i++) {
		const char *v;
		if (ps_cfg_str(ck, n, enc_keys[i], 0, &v) != 1)
			continue;
		if (found++) {
			ps_cfg_error(ck, n, "encryption: give only one of key_file, key_env, "
				     "passphrase_file and passphrase_env");
			return;
		}
		s->enc = kinds[i];
		if (kinds[i] == PS_BACKUP_ENC_KEY_FILE || kinds[i] == PS_BACKUP_ENC_PASS_FILE) {
			char *r = resolve(c, v);
			s->enc_value = ps_doc_strdup(c->doc, r, strlen(r));
			free(r);
		} else {
			s->enc_value = v;
		}
	}
	if (!found)
		ps_cfg_error(ck, n, "encryption: add key_file, key_env, passphrase_file or "
			     "passphrase_env");
}

static void
load_compression(struct ps_cfgck *ck, const struct ps_node *n, struct ps_backup_set *s)
{
	if (!n)
		return;
	if (n->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, n, "compression: expected a mapping (level, threads)");
		return;
	}
	ps_cfg_known_keys(ck, n, comp_keys);
	ps_cfg_long(ck, n, "level", 0, 1, 19, "a zstd level from 1 to 19", &s->level);
	ps_cfg_long(ck, n, "threads", 0, 0, 64, "a number of threads (0: one per CPU)",
		    &s->threads);
}

static void
load_s3(struct ps_cfgck *ck, struct ps_backup_config *c, const struct ps_node *n,
	struct ps_backup_set *s)
{
	const char *v;
	int b;
	unsigned long long sz;

	if (!n)
		return;
	if (n->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, n, "s3: expected a mapping (endpoint, region, path_style)");
		return;
	}
	ps_cfg_known_keys(ck, n, s3_keys);
	if (ps_cfg_str(ck, n, "endpoint", 0, &v) == 1) {
		if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			ps_cfg_error(ck, ps_node_get(n, "endpoint"),
				     "endpoint: expected an http:// or https:// URL");
		s->s3.endpoint = v;
	}
	if (ps_cfg_str(ck, n, "region", 0, &v) == 1)
		s->s3.region = v;
	if (ps_cfg_bool(ck, n, "path_style", 0, &b) == 1)
		s->s3.path_style = b;
	if (ps_cfg_str(ck, n, "profile", 0, &v) == 1)
		s->s3.profile = v;
	if (ps_cfg_str(ck, n, "ca_file", 0, &v) == 1) {
		char *r = resolve(c, v);
		s->s3.ca_file = ps_doc_strdup(c->doc, r, strlen(r));
		free(r);
	}
	if (ps_cfg_size(ck, n, "part_size", 0, &sz) == 1)
		s->s3.part_size = (size_t)sz;
	if (ps_cfg_str(ck, n, "spool_dir", 0, &v) == 1) {
		const struct ps_node *at = ps_node_get(n, "spool_dir");

		s->spool_line = at->line;
		s->spool_col = at->col;
		if (!*v) {
			s->s3_spool_dir = NULL;
			ps_cfg_error(ck, at, "s3.spool_dir: expected a directory "
				     "(leave the key out to stream multipart uploads)");
		} else {
			char *r = resolve(c, v);

			tidy_path(r);
			s->s3_spool_dir = ps_doc_strdup(c->doc, r, strlen(r));
			free(r);
		}
	}
}

static void
load_keep(struct ps_cfgck *ck, const struct ps_node *n, struct ps_backup_set *s)
{
	long *dst[] = { &s->keep.last, &s->keep.daily, &s->keep.weekly,
			&s->keep.monthly, &s->keep.yearly };

	if (!n)
		return;
	if (n->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, n, "keep: expected a mapping (last, daily, weekly, monthly, yearly)");
		return;
	}
	ps_cfg_known_keys(ck, n, keep_keys);
	for (size_t i = 0; i < PS_ARRAY_LEN(dst); i++)
		if (ps_cfg_long(ck, n, keep_keys[i], 0, 0, 1000000, "a count of backups",
				dst[i]) == 1)
			s->has_keep = 1;
}

static void
load_database(struct ps_cfgck *ck, const struct ps_node *n, struct ps_backup_set *s)
{
	const char *v;

	s->db_jobs = 2;
	if (!n)
		return;
	if (n->kind == PS_NODE_SCALAR) {
		v = ps_cfg_scalar(ck, n);
		if (v && *v)
			s->db_url = v;
		return;
	}
	if (n->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, n, "database: expected a connection URL or a mapping "
			     "(url, jobs, no_owner, no_privileges)");
		return;
	}
	ps_cfg_known_keys(ck, n, db_keys);
	if (ps_cfg_str(ck, n, "url", 0, &v) == 1 && *v)
		s->db_url = v;
	ps_cfg_long(ck, n, "jobs", 0, 1, 64, "a number of connections from 1 to 64",
		    &s->db_jobs);
	ps_cfg_bool(ck, n, "no_owner", 0, &s->db_no_owner);
	ps_cfg_bool(ck, n, "no_privileges", 0, &s->db_no_privileges);
}

static int
location_ok(const char *l)
{
	return strncmp(l, "local://", 8) == 0 || strncmp(l, "file://", 7) == 0 ||
	       strncmp(l, "s3://", 5) == 0;
}

static void
load_set(struct ps_cfgck *ck, struct ps_backup_config *c, const struct ps_pair *p,
	 const struct ps_node *root, struct ps_backup_set *s)
{
	const struct ps_node *n = p->value, *v;
	size_t cnt;

	memset(s, 0, sizeof(*s));
	s->name = ps_cfg_scalar(ck, p->key);
	s->line = p->key->line;
	s->col = p->key->col;
	s->enabled = 1;
	s->retention = -1;
	s->level = 0;	/* unset: see the end */
	s->s3.part_size = 8u << 20;	/* bounded memory: a few parts in flight */
	/* top-level defaults first, the set's own keys win */
	load_encryption(ck, c, ps_node_get(root, "encryption"), s);
	load_compression(ck, ps_node_get(root, "compression"), s);
	load_s3(ck, c, ps_node_get(root, "s3"), s);
	if (!n || n->kind != PS_NODE_MAP) {
		ps_cfg_error(ck, n ? n : p->key, "backup.%s: expected a mapping", s->name);
		return;
	}
	ps_cfg_known_keys(ck, n, set_keys);
	ps_cfg_bool(ck, n, "enabled", 0, &s->enabled);
	if (ps_cfg_str(ck, n, "schedule", 0, &s->schedule) == 1) {
		struct ps_sched sch;
		struct ps_error e = {0};
		if (ps_sched_parse(s->schedule, &sch, &e) < 0)
			ps_cfg_error(ck, ps_node_get(n, "schedule"), "schedule: %s", e.msg);
	}
	ps_cfg_long(ck, n, "retention", 0, 0, 365000, "a whole number of days", &s->retention);
	if (ps_cfg_strlist(ck, n, "locations", 0, &s->locations, &s->nlocations) == 1) {
		v = ps_node_get(n, "locations");
		for (size_t i = 0; i < s->nlocations; i++)
			if (!location_ok(s->locations[i]))
				ps_cfg_error(ck, v->kind == PS_NODE_SEQ ? ps_node_at(v, i) : v,
					     "locations: '%s' is not a local://, file:// or s3:// location",
					     s->locations[i]);
	}
	if (ps_cfg_strlist(ck, n, "paths", 0, &s->paths, &s->npaths) == 1) {
		s->abs_paths = ps_xcalloc(s->npaths + 1, sizeof(char *));
		for (size_t i = 0; i < s->npaths; i++) {
			s->abs_paths[i] = resolve(c, s->paths[i]);
			tidy_path(s->abs_paths[i]);
		}
	}
	if (ps_cfg_strlist(ck, n, "exclude", 0, &s->exclude, &cnt) != 1) {
		static const char *const none[] = { NULL };
		s->exclude = none;
	}
	if ((v = ps_node_get(n, "encryption")) != NULL) {
		s->enc = PS_BACKUP_ENC_UNSET;
		load_encryption(ck, c, v, s);
	}
	load_compression(ck, ps_node_get(n, "compression"), s);
	load_keep(ck, ps_node_get(n, "keep"), s);
	load_s3(ck, c, ps_node_get(n, "s3"), s);
	v = ps_node_get(n, "database");
	s->has_database = v != NULL ||
		(s->name && strcmp(s->name, "database") == 0 && !ps_node_get(n, "paths"));
	if (s->has_database)
		load_database(ck, v, s);
	/*
	 * A dump shares the CPU with the server it reads, and COPY text
	 * compresses about as well at level 1 as at 3 (within a few percent
	 * either way, near gzip -6) for half the work: level 1 for database
	 * sets. Files get level 2 (with level 3's window, see archive.c):
	 * on a 1.2 GB copy of /usr/share it stores 3.5% more than level 3,
	 * as much as tar | zstd -3 does, for a quarter less CPU.
	 */
	if (s->level == 0)
		s->level = s->has_database ? 1 : 2;
}

struct ps_backup_config *
ps_backup_config_load(const char *path, struct ps_diags *diags)
{
	struct ps_backup_config *c;
	const struct ps_node *root, *b;
	struct ps_cfgck ck = { .diags = diags, .interpolate = 1, .tool = "ps-backup" };
	struct ps_doc *doc = ps_doc_load(path, diags);
	char *slash;

	if (!doc)
		return NULL;
	c = ps_xcalloc(1, sizeof(*c));
	c->doc = doc;
	ck.doc = doc;
	c->path = ps_xstrdup(path);
	if (path[0] == '/') {
		c->dir = ps_xstrdup(path);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			snprintf(cwd, sizeof(cwd), ".");
		c->dir = ps_xasprintf("%s/%s", cwd, path);
	}
	slash = strrchr(c->dir, '/');
	if (slash == c->dir)
		slash[1] = 0;
	else
		*slash = 0;
	tidy_path(c->dir);
	root = ps_doc_root(doc);
	if (!root || root->kind != PS_NODE_MAP) {
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, path,
			     root ? root->line : 1, root ? root->col : 1,
			     "expected a mapping with a \"backup\" key");
		return c;
	}
	ps_cfg_known_keys(&ck, root, root_keys);
	if (ps_cfg_map(&ck, root, "backup", 1, &b) != 1)
		return c;
	c->sets = ps_xcalloc(b->len + 1, sizeof(*c->sets));
	for (size_t i = 0; i < b->len; i++)
		load_set(&ck, c, &b->pairs[i], root, &c->sets[c->nsets++]);
	return c;
}

void
ps_backup_config_free(struct ps_backup_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsets; i++) {
		for (size_t j = 0; c->sets[i].abs_paths && j < c->sets[i].npaths; j++)
			free(c->sets[i].abs_paths[j]);
		free(c->sets[i].abs_paths);
	}
	free(c->sets);
	free(c->path);
	free(c->dir);
	ps_doc_free(c->doc);
	free(c);
}

const struct ps_backup_set *
ps_backup_config_set(const struct ps_backup_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->nsets; i++)
		if (c->sets[i].name && strcmp(c->sets[i].name, name) == 0)
			return &c->sets[i];
	return NULL;
}

/* s3.spool_dir must be a directory the run can create files in (checked
 * whatever the set's locations: a top-level default serves every set). */
static void
check_spool_dir(const struct ps_backup_set *s, const char *f, struct ps_diags *diags)
{
	const char *d = s->s3_spool_dir;
	struct stat sb;
	const char *why = stat(d, &sb) < 0 ? strerror(errno) :
			  !S_ISDIR(sb.st_mode) ? "not a directory" : NULL;

	if (why) {
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, f,
			     s->spool_line, s->spool_col,
			     "backup.%s: s3.spool_dir: '%s' is not an existing directory (%s): "
			     "create it or remove the key", s->name, d, why);
		return;
	}
	if (access(d, W_OK | X_OK) < 0)
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, f,
			     s->spool_line, s->spool_col,
			     "backup.%s: s3.spool_dir: cannot create files in '%s': %s",
			     s->name, d, strerror(errno));
}

size_t
ps_backup_set_check(const struct ps_backup_config *c, const struct ps_backup_set *s,
		    struct ps_diags *diags)
{
	size_t before = ps_diags_count(diags, PS_SEV_ERROR);
	const char *f = ps_doc_file(c->doc);

	if (s->nlocations == 0)
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, f, s->line,
			     s->col, "backup.%s: no locations: add 'locations' (a list of "
			     "local://, file:// or s3:// URIs)", s->name);
	if (s->has_database && s->npaths)
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, f, s->line,
			     s->col, "backup.%s: a set backs up either 'paths' or a 'database', "
			     "not both: split it into two sets", s->name);
	else if (!s->has_database && s->npaths == 0)
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, f, s->line,
			     s->col, "backup.%s: nothing to back up: add 'paths' (a list of "
			     "directories or files) or 'database' (a PostgreSQL URL)", s->name);
	if (s->enc == PS_BACKUP_ENC_UNSET)
		ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR, f, s->line,
			     s->col, "backup.%s: no encryption key: add 'encryption' with "
			     "key_file or key_env (or passphrase_file / passphrase_env; "
			     "'encryption: none' stores the backup unencrypted)", s->name);
	if (s->s3_spool_dir)
		check_spool_dir(s, f, diags);
	/* two paths must not map to the same archive name */
	for (size_t i = 0; i < s->npaths; i++)
		for (size_t j = i + 1; j < s->npaths; j++)
			if (strcmp(s->abs_paths[i], s->abs_paths[j]) == 0)
				ps_diags_add(diags, "ps-backup", "config", "config", PS_SEV_ERROR,
					     f, s->line, s->col,
					     "backup.%s: paths lists '%s' twice", s->name,
					     s->abs_paths[i]);
	return ps_diags_count(diags, PS_SEV_ERROR) - before;
}

int
ps_backup_set_key(const struct ps_backup_set *s, struct ps_crypt_key *k, int *have,
		  int *warn, struct ps_error *err)
{
	*have = 0;
	if (warn)
		*warn = 0;
	switch (s->enc) {
	case PS_BACKUP_ENC_NONE:
		return 0;
	case PS_BACKUP_ENC_UNSET:
		return ps_error_set(err, PS_EXIT_USAGE,
				    "backup.%s: no encryption key: add encryption.key_file or encryption.key_env",
				    s->name);
	case PS_BACKUP_ENC_KEY_FILE:
		if (ps_crypt_key_from_file(k, s->enc_value, warn, err) < 0)
			return -1;
		break;
	case PS_BACKUP_ENC_KEY_ENV:
		if (ps_crypt_key_from_env(k, s->enc_value, err) < 0)
			return -1;
		break;
	case PS_BACKUP_ENC_PASS_FILE:
		if (ps_crypt_passphrase_from_file(k, s->enc_value, err) < 0)
			return -1;
		break;
	case PS_BACKUP_ENC_PASS_ENV:
		if (ps_crypt_passphrase_from_env(k, s->enc_value, err) < 0)
			return -1;
		break;
	}
	*have = 1;
	return 0;
}

struct ps_store *
ps_backup_store_open(const struct ps_backup_config *c, const struct ps_backup_set *s,
		     const char *location, struct ps_error *err)
{
	struct ps_store_opts o = {
		.s3 = &s->s3,
		.base_dir = c ? c->dir : NULL,
		.s3_spool_dir = s->s3_spool_dir,
	};

	return ps_store_open(location, &o, err);
}

/* ---- ids and names ---- */

int
ps_backup_id_new(time_t t, char out[32], struct ps_error *err)
{
	unsigned char r[2];
	struct tm tm;

	if (RAND_bytes(r, 2) != 1)
		return ps_error_set(err, PS_EXIT_OPER, "cannot get random bytes");
	char tmp[96];

	gmtime_r(&t, &tm);
	snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ-%02x%02x",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, r[0], r[1]);
	snprintf(out, 32, "%.31s", tmp);
	return 0;
}

int
ps_backup_id_parse(const char *s, time_t *t)
{
	struct tm tm = {0};
	const char *fmt = "ddddddddTddddddZ-xxxx";

	if (strlen(s) != 21)
		return 0;
	for (size_t i = 0; i < 21; i++) {
		char c = s[i];
		if (fmt[i] == 'd' ? !(c >= '0' && c <= '9') :
		    fmt[i] == 'x' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) :
		    c != fmt[i])
			return 0;
	}
	if (t) {
		tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
		tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
		tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
		tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
		tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
		tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
		*t = timegm(&tm);
	}
	return 1;
}

char *
ps_backup_object_name(const char *set, const char *id, int encrypted)
{
	return ps_xasprintf("%s/%s.%s%s", set, id, "tar.zst", encrypted ? ".enc" : "");
}

char *
ps_backup_manifest_name(const char *set, const char *id)
{
	return ps_xasprintf("%s/%s%s", set, id, PS_BACKUP_MANIFEST_EXT);
}

/* ---- manifest ---- */

static const char *
jstr(json_t *o, const char *path)
{
	char key[64];
	const char *dot = strchr(path, '.');

	if (dot) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		return jstr(json_object_get(o, key), dot + 1);
	}
	return json_string_value(json_object_get(o, path));
}

static int
juint(json_t *o, const char *path, uint64_t *out)
{
	char key[64];
	const char *dot = strchr(path, '.');
	json_t *v;

	if (dot) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		return juint(json_object_get(o, key), dot + 1, out);
	}
	v = json_object_get(o, path);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
ps_backup_manifest_parse(const char *text, size_t n, struct ps_backup_manifest *m,
			 struct ps_error *err)
{
	json_error_t je;
	json_t *j, *enc;
	double t;
	struct ps_error te = {0};

	memset(m, 0, sizeof(*m));
	j = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return ps_error_set(err, PS_EXIT_FAIL, "manifest: line %d: %s", je.line, je.text);
	m->json = j;
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "format")) ||
	    json_integer_value(json_object_get(j, "format")) != 1)
		goto bad;
	m->id = jstr(j, "id");
	m->set = jstr(j, "set");
	m->object = jstr(j, "object");
	m->created_at = jstr(j, "created_at");
	m->finished_at = jstr(j, "finished_at");
	m->object_sha256 = jstr(j, "digests.object_sha256");
	m->index_sha256 = jstr(j, "digests.index_sha256");
	if (!m->id || !ps_backup_id_parse(m->id, NULL) || !m->set || !m->object ||
	    !m->created_at || !m->object_sha256 || strlen(m->object_sha256) != 64 ||
	    juint(j, "sizes.stored_bytes", &m->stored_bytes) < 0)
		goto bad;
	if (ps_time_parse(m->created_at, &t, &te) < 0)
		goto bad;
	m->created = (time_t)t;
	juint(j, "sizes.content_bytes", &m->content_bytes);
	juint(j, "counts.files", &m->files);
	{
		static const char *const counted[] = {
			"counts.files", "counts.dirs", "counts.symlinks", "counts.hardlinks",
		};
		for (size_t i = 0; i < PS_ARRAY_LEN(counted); i++) {
			uint64_t c = 0;

			juint(j, counted[i], &c);
			m->entries = c > UINT64_MAX - m->entries ? UINT64_MAX : m->entries + c;
		}
	}
	m->kind = jstr(j, "kind");
	if (!m->kind)
		m->kind = "files";
	else if (strcmp(m->kind, "files") != 0 && strcmp(m->kind, "database") != 0)
		goto bad;
	enc = json_object_get(j, "encryption");
	m->encrypted = json_is_object(enc);
	if (m->encrypted && !(m->key_id = jstr(enc, "key_id")))
		goto bad;
	if (ps_store_check_name(m->object, &te) < 0)
		goto bad;
	return 0;
bad:
	json_decref(j);
	memset(m, 0, sizeof(*m));
	return ps_error_set(err, PS_EXIT_FAIL, "manifest: not a valid format 1 backup manifest");
}

void
ps_backup_manifest_free(struct ps_backup_manifest *m)
{
	if (m && m->json)
		json_decref(m->json);
	if (m)
		memset(m, 0, sizeof(*m));
}

/* ---- listing ---- */

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

static int
cmp_manifest(const void *a, const void *b)
{
	const struct ps_backup_manifest *x = a, *y = b;
	return strcmp(x->id, y->id);
}

int
ps_backup_list(struct ps_store *st, const char *set, struct ps_backup_listing *out,
	       struct ps_error *err)
{
	struct ps_store_entry *ents = NULL;
	size_t n = 0, cap = 0, bcap = 0, ocap = 0, mcap = 0;
	char *prefix = ps_xasprintf("%s/", set);

	memset(out, 0, sizeof(*out));
	if (ps_store_list(st, prefix, &ents, &n, err) < 0) {
		free(prefix);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = ents[i].name, *base = name + strlen(prefix);
		struct ps_buf text = {0};
		struct ps_backup_manifest m = {0};
		struct ps_error e = {0};

		if (strchr(base, '/') || !ends_with(base, PS_BACKUP_MANIFEST_EXT))
			continue;
		if (ps_store_get_all(st, name, &text, &e) < 0 ||
		    ps_backup_manifest_parse(ps_buf_str(&text), text.len, &m, &e) < 0 ||
		    strcmp(m.set, set) != 0 ||
		    strncmp(base, m.id, strlen(m.id)) != 0) {
			ps_backup_manifest_free(&m);
			ps_xgrow(&out->bad, &bcap, out->nbad + 1, sizeof(char *));
			out->bad[out->nbad++] = ps_xstrdup(name);
			ps_buf_free(&text);
			continue;
		}
		ps_buf_free(&text);
		ps_xgrow(&out->v, &cap, out->len + 1, sizeof(*out->v));
		out->v[out->len++] = m;
	}
	if (out->len > 1)
		qsort(out->v, out->len, sizeof(*out->v), cmp_manifest);
	/* data objects: present with the right size, or orphans */
	for (size_t i = 0; i < n; i++) {
		const char *name = ents[i].name, *base = name + strlen(prefix);
		char id[32];
		int found = 0;

		if (strchr(base, '/') || ends_with(base, PS_BACKUP_MANIFEST_EXT))
			continue;
		snprintf(id, sizeof(id), "%.21s", base);
		if (!ps_backup_id_parse(id, NULL))
			continue;
		for (size_t k = 0; k < out->len; k++)
			if (strcmp(out->v[k].object, name) == 0)
				found = 1;
		if (!found) {
			ps_xgrow(&out->orphans, &ocap, out->norphans + 1, sizeof(char *));
			out->orphan_sizes = ps_xrealloc(out->orphan_sizes,
						       ocap * sizeof(uint64_t));
			out->orphan_mtimes = ps_xrealloc(out->orphan_mtimes,
							ocap * sizeof(time_t));
			out->orphan_sizes[out->norphans] = ents[i].size;
			out->orphan_mtimes[out->norphans] = ents[i].mtime;
			out->orphans[out->norphans++] = ps_xstrdup(name);
		}
	}
	for (size_t k = 0; k < out->len; k++) {
		int ok = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(ents[i].name, out->v[k].object) == 0 &&
			    ents[i].size == out->v[k].stored_bytes)
				ok = 1;
		if (!ok) {
			ps_xgrow(&out->missing, &mcap, out->nmissing + 1, sizeof(char *));
			out->missing[out->nmissing++] = ps_xstrdup(out->v[k].id);
		}
	}
	ps_store_entries_free(ents, n);
	free(prefix);
	return 0;
}

int
ps_backup_listing_ok(const struct ps_backup_listing *l, size_t i)
{
	for (size_t k = 0; k < l->nmissing; k++)
		if (strcmp(l->missing[k], l->v[i].id) == 0)
			return 0;
	return 1;
}

void
ps_backup_listing_free(struct ps_backup_listing *l)
{
	for (size_t i = 0; i < l->len; i++)
		ps_backup_manifest_free(&l->v[i]);
	free(l->v);
	for (size_t i = 0; i < l->nbad; i++)
		free(l->bad[i]);
	free(l->bad);
	for (size_t i = 0; i < l->norphans; i++)
		free(l->orphans[i]);
	free(l->orphans);
	free(l->orphan_sizes);
	free(l->orphan_mtimes);
	for (size_t i = 0; i < l->nmissing; i++)
		free(l->missing[i]);
	free(l->missing);
	memset(l, 0, sizeof(*l));
}

/* ---- retention ---- */

/* The calendar bucket of t for keep policy p: day, ISO week, month, year. */
static void
bucket(time_t t, size_t p, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (p) {
	case 0: strftime(out, n, "%Y-%m-%d", &tm); break;
	case 1: strftime(out, n, "%G-W%V", &tm); break;
	case 2: strftime(out, n, "%Y-%m", &tm); break;
	default: strftime(out, n, "%Y", &tm); break;
	}
}

void
ps_backup_retention(const struct ps_backup_manifest *v, const int *ok, size_t n,
		    time_t now, long retention, const struct ps_backup_keep *keep,
		    int *del, const char **reason)
{
	static const char *const why[] = { "keep daily", "keep weekly", "keep monthly",
					   "keep yearly" };
	const long counts[] = { keep ? keep->daily : 0, keep ? keep->weekly : 0,
				keep ? keep->monthly : 0, keep ? keep->yearly : 0 };
	int any_policy = retention >= 0 ||
			 (keep && (keep->last || keep->daily || keep->weekly ||
				   keep->monthly || keep->yearly));

	for (size_t i = 0; i < n; i++) {
		del[i] = any_policy;
		reason[i] = any_policy ? NULL : "no retention policy";
	}
	if (!any_policy)
		return;
	/* newest first */
	for (size_t k = 0, c = 0; keep && k < n && c < (size_t)keep->last; k++, c++) {
		size_t i = n - 1 - k;
		del[i] = 0;
		reason[i] = "keep last";
	}
	for (size_t p = 0; p < PS_ARRAY_LEN(why); p++) {
		char last[32] = "", cur[32];
		long used = 0;
		for (size_t k = 0; k < n && used < counts[p]; k++) {
			size_t i = n - 1 - k;
			bucket(v[i].created, p, cur, sizeof(cur));
			if (strcmp(cur, last) == 0)
				continue;
			snprintf(last, sizeof(last), "%s", cur);
			used++;
			if (del[i]) {
				del[i] = 0;
				reason[i] = why[p];
			}
		}
	}
	if (retention >= 0)
		for (size_t i = 0; i < n; i++)
			if (del[i] && v[i].created >= now - (time_t)retention * 86400) {
				del[i] = 0;
				reason[i] = "within the retention period";
			}
	for (size_t k = 0; k < n; k++) {
		size_t i = n - 1 - k;
		if (ok[i]) {
			if (del[i]) {
				del[i] = 0;
				reason[i] = "newest verified backup";
			}
			break;
		}
	}
}
