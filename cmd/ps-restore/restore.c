/*
 * --list, --verify, --diff and restore.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <fts.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmd/ps-restore/read.h"
#include "cmd/ps-restore/restore.h"
#include "lib/log.h"
#include "lib/records.h"
#include "lib/time.h"

void
rs_emit(const struct rs_args *a, json_t *rec)
{
	if (a->format == PS_FMT_JSON)
		ps_rec_write(a->out, rec);
	json_decref(rec);
}

/* The set an action is about: --set, the only set, or (for an explicit
 * id) the set that has it. */
const struct ps_backup_set *
rs_pick_set(const struct ps_backup_config *c, const struct rs_args *a, const char *id)
{
	const struct ps_backup_set *s;

	if (a->set) {
		s = ps_backup_config_set(c, a->set);
		if (!s)
			ps_log_error("%s: no set '%s' under backup:", c->path, a->set);
		return s;
	}
	if (c->nsets == 1)
		return &c->sets[0];
	if (id && strcmp(id, "latest") != 0) {
		for (size_t i = 0; i < c->nsets; i++) {
			for (size_t k = 0; k < c->sets[i].nlocations; k++) {
				struct ps_error e = {0};
				struct ps_store *st = ps_backup_store_open(c, &c->sets[i],
									   c->sets[i].locations[k], &e);
				struct ps_store_entry ent;
				char *name = ps_backup_manifest_name(c->sets[i].name, id);
				int r = st ? ps_store_stat(st, name, &ent, &e) : -1;

				free(name);
				ps_store_close(st);
				if (r == 0) {
					ps_store_entry_free(&ent);
					return &c->sets[i];
				}
			}
		}
	}
	ps_log_error("give the set with --set (backup.yml has %zu sets)", c->nsets);
	return NULL;
}

int
rs_load_key(const struct ps_backup_set *s, const struct rs_found *f, struct ps_crypt_key *k,
	 int *have)
{
	struct ps_error e = {0};

	*have = 0;
	if (!f->m.encrypted)
		return 0;
	if (ps_backup_set_key(s, k, have, NULL, &e) < 0 || !*have) {
		ps_log_error("backup %s is encrypted: %s", f->m.id,
			     e.code ? e.msg : "the set has 'encryption: none'");
		return e.code ? e.code : PS_EXIT_USAGE;
	}
	return 0;
}

/* ---- --list ---- */

int
rs_list(const struct ps_backup_config *c, const struct rs_args *a)
{
	int rc = PS_EXIT_OK, header = 0;

	for (size_t i = 0; i < c->nsets; i++) {
		const struct ps_backup_set *s = &c->sets[i];
		const char *one[2] = { a->from, NULL };
		const char *const *locs = a->from ? one : s->locations;

		if (a->set && strcmp(a->set, s->name) != 0)
			continue;
		for (size_t k = 0; locs && locs[k]; k++) {
			struct ps_error e = {0};
			struct ps_store *st = ps_backup_store_open(c, s, locs[k], &e);
			struct ps_backup_listing l;

			if (!st || ps_backup_list(st, s->name, &l, &e) < 0) {
				ps_log_error("%s: %s", locs[k], e.msg);
				ps_store_close(st);
				rc = PS_EXIT_OPER;
				continue;
			}
			for (size_t b = 0; b < l.len; b++) {
				const struct ps_backup_manifest *m = &l.v[b];
				int ok = ps_backup_listing_ok(&l, b);
				json_t *r = ps_rec_new("backup", "ps-restore");
				char *uri = ps_store_object_uri(st, m->object);

				json_object_set_new(r, "id", json_string(m->id));
				json_object_set_new(r, "set", json_string(s->name));
				json_object_set_new(r, "location", json_string(locs[k]));
				json_object_set_new(r, "object", json_string(uri));
				json_object_set_new(r, "created_at", json_string(m->created_at));
				if (m->finished_at)
					json_object_set_new(r, "finished_at", json_string(m->finished_at));
				json_object_set_new(r, "bytes", json_integer((json_int_t)m->content_bytes));
				json_object_set_new(r, "stored_bytes", json_integer((json_int_t)m->stored_bytes));
				json_object_set_new(r, "files", json_integer((json_int_t)m->files));
				json_object_set_new(r, "sha256", json_string(m->object_sha256));
				json_object_set_new(r, "encrypted", json_boolean(m->encrypted));
				json_object_set_new(r, "status", json_string(ok ? "ok" : "data-missing"));
				rs_emit(a, r);
				if (a->format == PS_FMT_TEXT) {
					char size[32];
					if (!header++)
						fprintf(a->out, "%-21s  %-16s  %-20s  %10s  %s\n", "ID", "SET",
							"CREATED", "SIZE", "LOCATION");
					ps_size_human(m->stored_bytes, size, sizeof(size));
					fprintf(a->out, "%-21s  %-16s  %-20s  %10s  %s%s\n", m->id, s->name,
						m->created_at, size, locs[k], ok ? "" : "  (data missing)");
				}
				free(uri);
			}
			for (size_t b = 0; b < l.norphans; b++)
				ps_log_warn("%s: orphaned data object '%s' (no manifest: an interrupted backup)",
					    locs[k], l.orphans[b]);
			for (size_t b = 0; b < l.nbad; b++)
				ps_log_warn("%s: '%s' is not a valid manifest", locs[k], l.bad[b]);
			ps_backup_listing_free(&l);
			ps_store_close(st);
		}
	}
	return rc;
}

/* ---- --verify ---- */

/* The database a database backup was taken of, per its manifest. */
static const char *
db_name(const struct ps_backup_manifest *m)
{
	const char *n = json_string_value(json_object_get(json_object_get(m->json, "source"),
							  "database"));
	return n ? n : "(unnamed)";
}

int
rs_verify(const struct ps_backup_config *c, const struct rs_args *a)
{
	const struct ps_backup_set *s = rs_pick_set(c, a, a->verify);
	struct ps_archive_ropts o = { .mode = PS_ARCHIVE_VERIFY, .sample_pct = a->sample };
	struct ps_archive_result res;
	struct ps_crypt_key key;
	struct ps_error err = {0};
	struct rs_found f;
	double t0 = ps_time_now();
	int rc, have = 0;
	json_t *r;
	char *uri;

	if (!s)
		return PS_EXIT_USAGE;
	rc = rs_find(c, s, a->verify, a->from, &f);
	if (rc)
		return rc;
	rc = rs_load_key(s, &f, &key, &have);
	if (rc) {
		rs_found_free(&f);
		return rc;
	}
	rc = rs_read(&f, have ? &key : NULL, &o, &res, &err) < 0 ? err.code : PS_EXIT_OK;
	uri = ps_store_object_uri(f.st, f.m.object);
	r = ps_rec_new("verify", "ps-restore");
	json_object_set_new(r, "id", json_string(f.m.id));
	json_object_set_new(r, "set", json_string(s->name));
	json_object_set_new(r, "location", json_string(f.location));
	json_object_set_new(r, "object", json_string(uri));
	json_object_set_new(r, "status", json_string(rc ? "failed" : "ok"));
	json_object_set_new(r, "files", json_integer((json_int_t)res.st.files));
	json_object_set_new(r, "hashed", json_integer((json_int_t)res.hashed));
	json_object_set_new(r, "bytes", json_integer((json_int_t)res.st.bytes));
	json_object_set_new(r, "stored_bytes", json_integer((json_int_t)f.m.stored_bytes));
	json_object_set_new(r, "sha256", json_string(f.m.object_sha256));
	json_object_set_new(r, "sample_pct", json_integer(a->sample ? a->sample : 100));
	json_object_set_new(r, "duration_s", json_real(ps_time_now() - t0));
	if (rc)
		json_object_set_new(r, "error", json_string(err.msg));
	rs_emit(a, r);
	if (rc)
		ps_log_error("backup %s: %s", f.m.id, err.msg);
	else if (a->format == PS_FMT_TEXT && strcmp(f.m.kind, "database") == 0)
		fprintf(a->out, "%s %s: ok, database %s: %zu tables in %llu segments (every digest checked), %llu bytes, object sha256 %s\n",
			s->name, f.m.id,
			db_name(&f.m),
			json_array_size(json_object_get(f.m.json, "tables")),
			(unsigned long long)res.st.files, (unsigned long long)res.st.bytes,
			f.m.object_sha256);
	else if (a->format == PS_FMT_TEXT)
		fprintf(a->out, "%s %s: ok, %llu files (%llu digests checked), %llu bytes, object sha256 %s\n",
			s->name, f.m.id, (unsigned long long)res.st.files,
			(unsigned long long)res.hashed, (unsigned long long)res.st.bytes,
			f.m.object_sha256);
	free(uri);
	ps_archive_result_free(&res);
	if (have)
		ps_crypt_key_free(&key);
	rs_found_free(&f);
	return rc;
}

/* ---- --diff ---- */

struct root {
	const char *path;	/* live */
	const char *name;	/* in the archive */
};

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
file_sha(const char *path, char out[65])
{
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	fclose(f);
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	ps_hex(md, len, out);
	return 0;
}

struct diffctx {
	const struct rs_args *a;
	const char *id, *set;
	size_t added, changed, removed, same;
};

static void
change(struct diffctx *d, const char *path, const char *what, const char *detail)
{
	json_t *r = ps_rec_new("diff", "ps-restore");

	json_object_set_new(r, "id", json_string(d->id));
	json_object_set_new(r, "set", json_string(d->set));
	json_object_set_new(r, "path", json_string(path));
	json_object_set_new(r, "change", json_string(what));
	if (detail)
		json_object_set_new(r, "what", json_string(detail));
	rs_emit(d->a, r);
	if (d->a->format == PS_FMT_TEXT)
		fprintf(d->a->out, "%c %s%s%s%s\n",
			what[0] == 'a' ? '+' : what[0] == 'r' ? '-' : 'M', path,
			detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
	if (what[0] == 'a')
		d->added++;
	else if (what[0] == 'r')
		d->removed++;
	else
		d->changed++;
}

static const struct ps_archive_entry *
find_entry(const struct ps_archive_index *idx, const char *path)
{
	for (size_t i = 0; i < idx->len; i++)
		if (strcmp(idx->v[i].path, path) == 0)
			return &idx->v[i];
	return NULL;
}

static void
compare_entry(struct diffctx *d, const struct ps_archive_index *idx,
	      const struct ps_archive_entry *e, const char *live)
{
	struct stat st;
	char sha[65];
	const struct ps_archive_entry *content = e;

	if (lstat(live, &st) < 0) {
		change(d, live, "removed", NULL);
		return;
	}
	if (e->type == PS_ARCHIVE_HARDLINK) {
		content = find_entry(idx, e->target);
		if (!content)
			content = e;
	}
	switch (content->type) {
	case PS_ARCHIVE_FILE:
		if (!S_ISREG(st.st_mode)) {
			change(d, live, "changed", "type");
			return;
		}
		if ((uint64_t)st.st_size != content->size) {
			change(d, live, "changed", "content");
			return;
		}
		if ((int64_t)st.st_mtime != content->mtime &&
		    (file_sha(live, sha) < 0 || strcmp(sha, content->sha256) != 0)) {
			change(d, live, "changed", "content");
			return;
		}
		break;
	case PS_ARCHIVE_DIR:
		if (!S_ISDIR(st.st_mode)) {
			change(d, live, "changed", "type");
			return;
		}
		break;
	case PS_ARCHIVE_SYMLINK: {
		char buf[PATH_MAX];
		ssize_t n;
		if (!S_ISLNK(st.st_mode)) {
			change(d, live, "changed", "type");
			return;
		}
		n = readlink(live, buf, sizeof(buf) - 1);
		buf[n < 0 ? 0 : n] = 0;
		if (!content->target || strcmp(buf, content->target) != 0) {
			change(d, live, "changed", "target");
			return;
		}
		break;
	}
	default:
		break;
	}
	if (!S_ISLNK(st.st_mode) && (unsigned)(st.st_mode & 07777) != e->mode) {
		change(d, live, "changed", "mode");
		return;
	}
	d->same++;
}

static int
excluded(json_t *ex, const char *rel, const char *base)
{
	size_t i;
	json_t *g;

	json_array_foreach(ex, i, g) {
		const char *p = json_string_value(g);
		if (!p)
			continue;
		if (strchr(p, '/') ? fnmatch(p, rel, 0) == 0 : fnmatch(p, base, 0) == 0)
			return 1;
	}
	return 0;
}

int
rs_diff(const struct ps_backup_config *c, const struct rs_args *a)
{
	const struct ps_backup_set *s = rs_pick_set(c, a, a->diff);
	struct ps_archive_ropts o = { .mode = PS_ARCHIVE_LIST };
	struct ps_archive_result res;
	struct ps_crypt_key key;
	struct ps_error err = {0};
	struct rs_found f;
	struct diffctx d = { .a = a };
	struct root *roots = NULL;
	size_t nroots = 0, i;
	char **names;
	json_t *paths, *ex, *p;
	int rc, have = 0;

	if (!s)
		return PS_EXIT_USAGE;
	rc = rs_find(c, s, a->diff, a->from, &f);
	if (rc)
		return rc;
	if (strcmp(f.m.kind, "files") != 0) {
		ps_log_error("backup %s holds a database: --diff compares file backups with their "
			     "source; restore it with --create NAME --check instead", f.m.id);
		rs_found_free(&f);
		return PS_EXIT_USAGE;
	}
	rc = rs_load_key(s, &f, &key, &have);
	if (rc) {
		rs_found_free(&f);
		return rc;
	}
	if (rs_read(&f, have ? &key : NULL, &o, &res, &err) < 0) {
		ps_log_error("backup %s: %s", f.m.id, err.msg);
		rc = err.code;
		goto out;
	}
	d.id = f.m.id;
	d.set = s->name;
	paths = json_object_get(json_object_get(f.m.json, "source"), "paths");
	ex = json_object_get(json_object_get(f.m.json, "source"), "exclude");
	roots = ps_xcalloc(json_array_size(paths) + 1, sizeof(*roots));
	json_array_foreach(paths, i, p) {
		const char *lp = json_string_value(json_object_get(p, "path"));
		const char *nm = json_string_value(json_object_get(p, "name"));
		if (lp && nm)
			roots[nroots++] = (struct root){ lp, nm };
	}
	/* what the backup has: removed or changed since */
	names = ps_xcalloc(res.index.len + 1, sizeof(char *));
	for (i = 0; i < res.index.len; i++) {
		const struct ps_archive_entry *e = &res.index.v[i];
		names[i] = e->path;
		for (size_t r = 0; r < nroots; r++) {
			size_t n = strlen(roots[r].name);
			if (strncmp(e->path, roots[r].name, n) == 0 &&
			    (e->path[n] == 0 || e->path[n] == '/')) {
				char *live = ps_xasprintf("%s%s", roots[r].path, e->path + n);
				compare_entry(&d, &res.index, e, live);
				free(live);
				break;
			}
		}
	}
	qsort(names, res.index.len, sizeof(char *), cmp_str);
	/* what the source has now: added since */
	for (size_t r = 0; r < nroots; r++) {
		char *const rp[] = { (char *)roots[r].path, NULL };
		size_t rootlen = strlen(roots[r].path);
		FTS *fts = fts_open(rp, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR, NULL);
		FTSENT *fe;

		if (!fts)
			continue;
		while ((fe = fts_read(fts)) != NULL) {
			const char *rel = fe->fts_level > 0 ? fe->fts_path + rootlen + 1 : "";
			char *name, *key_p;

			if (fe->fts_info == FTS_DP)
				continue;
			if (fe->fts_level > 0 && excluded(ex, rel, fe->fts_name)) {
				if (fe->fts_info == FTS_D)
					fts_set(fts, fe, FTS_SKIP);
				continue;
			}
			if (!S_ISREG(fe->fts_statp->st_mode) && !S_ISDIR(fe->fts_statp->st_mode) &&
			    !S_ISLNK(fe->fts_statp->st_mode))
				continue;
			name = fe->fts_level > 0 ? ps_xasprintf("%s/%s", roots[r].name, rel)
						 : ps_xstrdup(roots[r].name);
			key_p = name;
			if (!bsearch(&key_p, names, res.index.len, sizeof(char *), cmp_str)) {
				change(&d, fe->fts_path, "added", NULL);
				if (fe->fts_info == FTS_D)
					fts_set(fts, fe, FTS_SKIP);	/* its content is new too */
			}
			free(name);
		}
		fts_close(fts);
	}
	free(names);
	{
		json_t *r = ps_rec_new("summary", "ps-restore");
		json_object_set_new(r, "id", json_string(d.id));
		json_object_set_new(r, "set", json_string(d.set));
		json_object_set_new(r, "added", json_integer((json_int_t)d.added));
		json_object_set_new(r, "changed", json_integer((json_int_t)d.changed));
		json_object_set_new(r, "removed", json_integer((json_int_t)d.removed));
		json_object_set_new(r, "unchanged", json_integer((json_int_t)d.same));
		rs_emit(a, r);
	}
	if (a->format == PS_FMT_TEXT)
		fprintf(a->out, "%s %s: %zu added, %zu changed, %zu removed, %zu unchanged\n",
			s->name, f.m.id, d.added, d.changed, d.removed, d.same);
out:
	free(roots);
	ps_archive_result_free(&res);
	if (have)
		ps_crypt_key_free(&key);
	rs_found_free(&f);
	return rc;
}

/* ---- restore ---- */

/* rm -rf, making directories writable first. */
void
rs_remove_tree(const char *path)
{
	char *const rp[] = { (char *)path, NULL };
	FTS *fts = fts_open(rp, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *f;

	if (!fts)
		return;
	while ((f = fts_read(fts)) != NULL) {
		if (f->fts_info == FTS_D)
			chmod(f->fts_path, 0700);
		else if (f->fts_info == FTS_DP)
			rmdir(f->fts_path);
		else
			unlink(f->fts_path);
	}
	fts_close(fts);
}

/* 1 non-empty, 0 empty, -1 absent, -2 not a directory. */
static int
dir_state(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return -2;
	d = opendir(path);
	if (!d)
		return 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			n = 1;
			break;
		}
	closedir(d);
	return n;
}

struct plan {
	uint64_t files, dirs, links, bytes, foreign;
	const struct rs_args *a;
};

static int
plan_entry(void *ctx, const struct ps_archive_entry *e)
{
	struct plan *p = ctx;

	if (e->type == PS_ARCHIVE_FILE) {
		p->files++;
		p->bytes += e->size;
	} else if (e->type == PS_ARCHIVE_DIR) {
		p->dirs++;
	} else {
		p->links++;
	}
	if (ps_log_verbosity() >= 1 && p->a->format == PS_FMT_TEXT)
		fprintf(p->a->out, "would write %s %s\n", ps_archive_type_name(e->type), e->path);
	return 0;
}

static void
restore_rec(const struct rs_args *a, const struct rs_found *f, const char *set,
	    const char *to, const char *status, const struct ps_archive_result *res,
	    double t0, const char *error)
{
	json_t *r = ps_rec_new("restore", "ps-restore");

	json_object_set_new(r, "id", json_string(f->m.id));
	json_object_set_new(r, "set", json_string(set));
	json_object_set_new(r, "location", json_string(f->location));
	json_object_set_new(r, "to", json_string(to));
	json_object_set_new(r, "status", json_string(status));
	json_object_set_new(r, "dry_run", json_boolean(a->dry_run));
	if (res) {
		json_object_set_new(r, "files", json_integer((json_int_t)res->st.files));
		json_object_set_new(r, "dirs", json_integer((json_int_t)res->st.dirs));
		json_object_set_new(r, "symlinks", json_integer((json_int_t)res->st.symlinks));
		json_object_set_new(r, "hardlinks", json_integer((json_int_t)res->st.hardlinks));
		json_object_set_new(r, "bytes", json_integer((json_int_t)res->st.bytes));
	}
	json_object_set_new(r, "duration_s", json_real(ps_time_now() - t0));
	if (error)
		json_object_set_new(r, "error", json_string(error));
	rs_emit(a, r);
}

int
rs_restore(const struct ps_backup_config *c, const struct rs_args *a)
{
	const struct ps_backup_set *s = rs_pick_set(c, a, a->id);
	struct ps_archive_ropts o = { .mode = PS_ARCHIVE_EXTRACT };
	struct ps_archive_result res = {0};
	struct ps_crypt_key key;
	struct ps_error err = {0};
	struct rs_found f;
	char parent[PATH_MAX], *dup, *base, *target = NULL, *tmp = NULL, *old = NULL;
	double t0 = ps_time_now();
	int rc, have = 0, state;
	struct stat pst;

	if (!s)
		return PS_EXIT_USAGE;
	if (s->has_database)
		return rs_restore_db(c, s, a);
	if (a->to_url || a->create || a->clean || a->check || a->jobs) {
		ps_log_error("backup.%s is a file set: --to-url, --create, --clean, --check and "
			     "--jobs are for database sets; restore it with --to DIR", s->name);
		return PS_EXIT_USAGE;
	}
	if (!a->to) {
		ps_log_error("restoring backup.%s needs --to DIR", s->name);
		return PS_EXIT_USAGE;
	}
	dup = ps_xstrdup(a->to);
	if (!realpath(dirname(dup), parent)) {
		ps_log_error("cannot restore to '%s': its parent directory: %s", a->to, strerror(errno));
		free(dup);
		return PS_EXIT_OPER;
	}
	free(dup);
	dup = ps_xstrdup(a->to);
	base = basename(dup);
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0) {
		ps_log_error("cannot restore to '%s': name a directory", a->to);
		free(dup);
		return PS_EXIT_USAGE;
	}
	target = ps_xasprintf("%s/%s", strcmp(parent, "/") ? parent : "", base);
	free(dup);
	state = dir_state(target);
	if (state == -2) {
		ps_log_error("cannot restore to '%s': it exists and is not a directory", a->to);
		free(target);
		return PS_EXIT_USAGE;
	}
	if (state == 1 && !a->force && !a->dry_run) {
		ps_log_error("refusing to restore into '%s': it is not empty (use --force to replace it)",
			     a->to);
		free(target);
		return PS_EXIT_USAGE;
	}
	rc = rs_find(c, s, a->id, a->from, &f);
	if (rc) {
		free(target);
		return rc;
	}
	if (strcmp(f.m.kind, "files") != 0) {
		ps_log_error("backup %s holds a database: restore it with --to-url URL or --create NAME",
			     f.m.id);
		rc = PS_EXIT_USAGE;
		goto out;
	}
	rc = rs_load_key(s, &f, &key, &have);
	if (rc)
		goto out;
	if (a->dry_run) {
		struct plan p = { .a = a };
		struct statvfs vfs;
		int problems = 0;
		unsigned long long avail = 0;
		char need[32], free_s[32];

		o.mode = PS_ARCHIVE_VERIFY;
		o.entry = plan_entry;
		o.ctx = &p;
		if (rs_read(&f, have ? &key : NULL, &o, &res, &err) < 0) {
			ps_log_error("backup %s: %s", f.m.id, err.msg);
			restore_rec(a, &f, s->name, target, "failed", NULL, t0, err.msg);
			rc = err.code;
			goto out;
		}
		if (statvfs(parent, &vfs) == 0)
			avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		ps_size_human(p.bytes + (p.files + p.dirs + p.links) * 4096ULL, need, sizeof(need));
		ps_size_human(avail, free_s, sizeof(free_s));
		if (a->format == PS_FMT_TEXT)
			fprintf(a->out, "%s %s: would restore %llu files, %llu directories, %llu links, %llu bytes into %s\n",
				s->name, f.m.id, (unsigned long long)p.files,
				(unsigned long long)p.dirs, (unsigned long long)p.links,
				(unsigned long long)p.bytes, target);
		if (p.bytes + (p.files + p.dirs + p.links) * 4096ULL > avail) {
			ps_log_error("not enough space in '%s': about %s needed, %s free", parent, need, free_s);
			problems = 1;
		} else if (a->format == PS_FMT_TEXT) {
			fprintf(a->out, "space: about %s needed, %s free\n", need, free_s);
		}
		if (access(parent, W_OK | X_OK) < 0) {
			ps_log_error("cannot write in '%s': %s", parent, strerror(errno));
			problems = 1;
		}
		if (state == 1 && !a->force) {
			ps_log_error("'%s' is not empty: the restore would need --force", a->to);
			problems = 1;
		}
		if (geteuid() != 0 && a->format == PS_FMT_TEXT)
			fprintf(a->out, "ownership: not restored (not running as root)\n");
		restore_rec(a, &f, s->name, target, problems ? "would-fail" : "would-restore", &res,
			    t0, problems ? "preflight problems (see the messages)" : NULL);
		rc = problems ? PS_EXIT_OPER : PS_EXIT_OK;
		goto out;
	}
	tmp = ps_xasprintf("%s/.ps-restore-%s-XXXXXX", strcmp(parent, "/") ? parent : "", f.m.id);
	if (!mkdtemp(tmp)) {
		ps_log_error("cannot create a temporary directory in '%s': %s", parent, strerror(errno));
		rc = PS_EXIT_OPER;
		goto out;
	}
	o.dest = tmp;
	o.owner = geteuid() == 0;
	if (rs_read(&f, have ? &key : NULL, &o, &res, &err) < 0) {
		rs_remove_tree(tmp);
		ps_log_error("backup %s: %s; nothing was restored", f.m.id, err.msg);
		restore_rec(a, &f, s->name, target, "failed", NULL, t0, err.msg);
		rc = err.code;
		goto out;
	}
	/* every digest checked: move the tree into place */
	{
		mode_t um = umask(0);
		umask(um);
		chmod(tmp, lstat(target, &pst) == 0 ? (pst.st_mode & 07777) : (0777 & ~um));
	}
	if (state == 1) {
		old = ps_xasprintf("%s/.ps-restore-old-XXXXXX", strcmp(parent, "/") ? parent : "");
		if (!mkdtemp(old) || rename(target, old) < 0) {
			ps_log_error("cannot move '%s' aside: %s", target, strerror(errno));
			rs_remove_tree(tmp);
			rc = PS_EXIT_OPER;
			goto out;
		}
	} else if (state == 0 && rmdir(target) < 0) {
		ps_log_error("cannot replace '%s': %s", target, strerror(errno));
		rs_remove_tree(tmp);
		rc = PS_EXIT_OPER;
		goto out;
	}
	if (rename(tmp, target) < 0) {
		ps_log_error("cannot move the restored tree to '%s': %s", target, strerror(errno));
		if (old)
			rename(old, target);
		rs_remove_tree(tmp);
		rc = PS_EXIT_OPER;
		goto out;
	}
	if (old)
		rs_remove_tree(old);
	restore_rec(a, &f, s->name, target, "ok", &res, t0, NULL);
	if (a->format == PS_FMT_TEXT)
		fprintf(a->out, "%s %s: restored %llu files (%llu bytes) into %s, every digest checked\n",
			s->name, f.m.id, (unsigned long long)res.st.files,
			(unsigned long long)res.st.bytes, target);
	rc = PS_EXIT_OK;
out:
	ps_archive_result_free(&res);
	if (have)
		ps_crypt_key_free(&key);
	rs_found_free(&f);
	free(target);
	free(tmp);
	free(old);
	return rc;
}
