/*
 * Restore of a database set's backup: unpack the archive into a private
 * temporary directory (every digest checked, before any SQL runs on the
 * target), then load it with pgdump's restore -- pre-data, tables in
 * parallel, post-data -- and, with --check, recompute every table's row
 * count and checksum on the target. With --create, the new database is
 * created while the archive unpacks, and dropped again when the unpacking
 * fails.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cmd/ps-restore/read.h"
#include "cmd/ps-restore/restore.h"
#include "lib/dbarchive.h"
#include "lib/log.h"
#include "lib/pg.h"
#include "lib/records.h"
#include "lib/time.h"

static volatile int interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

/* Stops the unpacking when interrupted (code 1 from the archive reader,
 * turned into 3 by the caller). */
static int
on_entry(void *ctx, const struct ps_archive_entry *e)
{
	(void)ctx;
	(void)e;
	return interrupted != 0;
}

/* The target as records and messages show it: no password. */
static char *
target_name(const struct rs_args *a)
{
	const char *url = a->to_url ? a->to_url : getenv("DATABASE_URL");
	char *red, *name;

	if (!a->create)
		return ps_redact(url ? url : "(libpq defaults)");
	red = ps_redact(url ? url : "(libpq defaults)");
	name = ps_xasprintf("%s (database %s)", red, a->create);
	free(red);
	return name;
}

static void
db_rec(const struct rs_args *a, const struct rs_found *f, const char *set,
       const char *target, const char *status, const struct ps_pgdump *d, int checked,
       double t0, const char *error)
{
	json_t *r = ps_rec_new("restore", "ps-restore");
	json_int_t rows = 0, bytes = 0;

	json_object_set_new(r, "id", json_string(f->m.id));
	json_object_set_new(r, "set", json_string(set));
	json_object_set_new(r, "kind", json_string("database"));
	json_object_set_new(r, "location", json_string(f->location));
	json_object_set_new(r, "to", json_string(target));
	json_object_set_new(r, "status", json_string(status));
	json_object_set_new(r, "dry_run", json_boolean(a->dry_run));
	if (d) {
		for (size_t i = 0; i < d->ntables; i++) {
			rows += (json_int_t)d->tables[i].rows;
			bytes += (json_int_t)d->tables[i].bytes;
		}
		json_object_set_new(r, "tables", json_integer((json_int_t)d->ntables));
		json_object_set_new(r, "rows", json_integer(rows));
		json_object_set_new(r, "bytes", json_integer(bytes));
	}
	json_object_set_new(r, "checked", json_boolean(checked));
	json_object_set_new(r, "duration_s", json_real(ps_time_now() - t0));
	if (error)
		json_object_set_new(r, "error", json_string(error));
	rs_emit(a, r);
}

/* The manifest's figures (for --dry-run: nothing is unpacked). */
static void
manifest_figures(const struct rs_found *f, uint64_t *tables, uint64_t *rows, uint64_t *bytes)
{
	json_t *t = json_object_get(f->m.json, "tables"), *v;
	size_t i;

	*tables = *rows = *bytes = 0;
	json_array_foreach(t, i, v) {
		(*tables)++;
		*rows += (uint64_t)json_integer_value(json_object_get(v, "rows"));
		*bytes += (uint64_t)json_integer_value(json_object_get(v, "bytes"));
	}
}

static int
dry_run(const struct rs_args *a, const struct rs_found *f, const struct ps_backup_set *s,
	const char *conninfo, const char *target, const char *tmpdir, double t0)
{
	struct ps_error err = {0};
	struct statvfs vfs;
	uint64_t tables, rows, bytes;
	unsigned long long avail = 0;
	char need[32], free_s[32];
	int problems = 0;
	long objects = 0;

	manifest_figures(f, &tables, &rows, &bytes);
	if (a->format == PS_FMT_TEXT)
		fprintf(a->out, "%s %s: would restore %llu tables, %llu rows, %llu bytes of data into %s\n",
			s->name, f->m.id, (unsigned long long)tables, (unsigned long long)rows,
			(unsigned long long)bytes, target);
	if (statvfs(tmpdir, &vfs) == 0)
		avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	ps_size_human(bytes, need, sizeof(need));
	ps_size_human(avail, free_s, sizeof(free_s));
	if (bytes > avail) {
		ps_log_error("not enough space in '%s' to unpack the dump: %s needed, %s free",
			     tmpdir, need, free_s);
		problems = 1;
	} else if (a->format == PS_FMT_TEXT) {
		fprintf(a->out, "unpacking in %s: %s needed, %s free\n", tmpdir, need, free_s);
	}
	if (a->create) {
		if (a->format == PS_FMT_TEXT)
			fprintf(a->out, "would create database %s\n", a->create);
	} else if (ps_pgdump_target_objects(conninfo, &objects, &err) < 0) {
		ps_log_error("target: %s", err.msg);
		problems = 1;
	} else if (objects && !a->clean) {
		ps_log_error("the target database is not empty (%ld objects): the restore would need --clean",
			     objects);
		problems = 1;
	} else if (a->format == PS_FMT_TEXT) {
		fprintf(a->out, "target: reachable, %ld objects%s\n", objects,
			objects ? " (--clean would drop them)" : "");
	}
	{
		json_t *r = ps_rec_new("restore", "ps-restore");
		json_object_set_new(r, "id", json_string(f->m.id));
		json_object_set_new(r, "set", json_string(s->name));
		json_object_set_new(r, "kind", json_string("database"));
		json_object_set_new(r, "location", json_string(f->location));
		json_object_set_new(r, "to", json_string(target));
		json_object_set_new(r, "status", json_string(problems ? "would-fail" : "would-restore"));
		json_object_set_new(r, "dry_run", json_true());
		json_object_set_new(r, "tables", json_integer((json_int_t)tables));
		json_object_set_new(r, "rows", json_integer((json_int_t)rows));
		json_object_set_new(r, "bytes", json_integer((json_int_t)bytes));
		json_object_set_new(r, "duration_s", json_real(ps_time_now() - t0));
		if (problems)
			json_object_set_new(r, "error",
					    json_string("preflight problems (see the messages)"));
		rs_emit(a, r);
	}
	return problems ? PS_EXIT_OPER : PS_EXIT_OK;
}

/* The restore's target: --to-url, or --create's database on the server of
 * --to-url / $DATABASE_URL / libpq's defaults. */
static char *
target_conninfo(const struct rs_args *a, struct ps_error *err)
{
	int has;

	if (a->to_url) {
		has = ps_pg_conninfo_has_password(a->to_url, err);
		if (has < 0)
			return NULL;
		if (has) {
			ps_error_set(err, PS_EXIT_USAGE,
				     "--to-url carries a password, which would show in the process "
				     "list: give it in PGPASSWORD, ~/.pgpass or PGPASSFILE instead");
			return NULL;
		}
	}
	if (a->create)
		return ps_pg_conninfo_with_db(a->to_url, a->create, err);
	return ps_xstrdup(a->to_url);
}

/* --create's CREATE DATABASE, on a thread of its own; then the restore's
 * connections to the new database start opening. */
struct creator {
	const char *conninfo, *name;
	const char *target;	/* the new database's conninfo */
	int jobs;
	struct ps_pgdump_conns *conns;
	struct ps_error err;
	int rc;
	pthread_t th;
	int started;
};

static void *
creator_main(void *arg)
{
	struct creator *cr = arg;

	cr->rc = ps_pg_create_database(cr->conninfo, cr->name, &cr->err);
	if (cr->rc == 0)
		cr->conns = ps_pgdump_conns_open(cr->target, cr->jobs);
	return NULL;
}

/* Wait for the creation started by creator_start: its status. */
static int
creator_wait(struct creator *cr)
{
	if (cr->started) {
		pthread_join(cr->th, NULL);
		cr->started = 0;
	}
	return cr->rc;
}

static void
creator_start(struct creator *cr, const char *conninfo, const char *name,
	      const char *target, int jobs)
{
	cr->conninfo = conninfo;
	cr->name = name;
	cr->target = target;
	cr->jobs = jobs;
	cr->started = pthread_create(&cr->th, NULL, creator_main, cr) == 0;
	if (!cr->started)
		creator_main(cr);
}

int
rs_restore_db(const struct ps_backup_config *c, const struct ps_backup_set *s,
	      const struct rs_args *a)
{
	struct ps_archive_ropts o = { .mode = PS_ARCHIVE_EXTRACT, .entry = on_entry };
	struct ps_archive_result res = {0};
	struct ps_pgdump_restore_opts ro = {0};
	struct ps_pgdump *d = NULL;
	struct ps_crypt_key key;
	struct ps_error err = {0};
	struct rs_found f;
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct creator cr = { 0 };
	const char *tmpdir = a->tmpdir ? a->tmpdir : getenv("TMPDIR");
	char *conninfo = NULL, *target = NULL, *tmp = NULL;
	double t0 = ps_time_now();
	int rc, have = 0, checked = 0;
	long objects = 0;

	if (!tmpdir || !*tmpdir)
		tmpdir = "/var/tmp";
	if (a->to && !a->to_url && !a->create) {
		ps_log_error("backup.%s is a database set: restore it with --to-url URL or --create NAME, not --to",
			     s->name);
		return PS_EXIT_USAGE;
	}
	if (!a->to_url && !a->create) {
		ps_log_error("backup.%s is a database set: give the target with --to-url URL or --create NAME",
			     s->name);
		return PS_EXIT_USAGE;
	}
	conninfo = target_conninfo(a, &err);
	if (!conninfo) {
		ps_log_error("%s", err.msg);
		return err.code;
	}
	target = target_name(a);
	rc = rs_find(c, s, a->id, a->from, &f);
	if (rc) {
		free(conninfo);
		free(target);
		return rc;
	}
	if (strcmp(f.m.kind, "database") != 0) {
		ps_log_error("backup %s of set %s holds files, not a database: restore it with --to DIR",
			     f.m.id, s->name);
		rc = PS_EXIT_USAGE;
		goto out;
	}
	rc = rs_load_key(s, &f, &key, &have);
	if (rc)
		goto out;
	if (a->dry_run) {
		rc = dry_run(a, &f, s, conninfo, target, tmpdir, t0);
		goto out;
	}
	/* a target that is not empty is refused before anything is read */
	if (!a->create && !a->clean) {
		if (ps_pgdump_target_objects(conninfo, &objects, &err) < 0) {
			ps_log_error("target %s: %s", target, err.msg);
			db_rec(a, &f, s->name, target, "failed", NULL, 0, t0, err.msg);
			rc = err.code;
			goto out;
		}
		if (objects) {
			ps_error_set(&err, PS_EXIT_USAGE,
				     "the target database is not empty (%ld objects); restore into an "
				     "empty database, use --create NAME, or --clean to drop them", objects);
			ps_log_error("%s", err.msg);
			db_rec(a, &f, s->name, target, "failed", NULL, 0, t0, err.msg);
			rc = err.code;
			goto out;
		}
	}
	tmp = ps_xasprintf("%s/ps-restore-%s-XXXXXX", tmpdir, f.m.id);
	if (!mkdtemp(tmp)) {
		ps_log_error("cannot create a temporary directory in '%s': %s", tmpdir, strerror(errno));
		free(tmp);
		tmp = NULL;
		rc = PS_EXIT_OPER;
		goto out;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	o.dest = tmp;
	ro.conninfo = conninfo;
	ro.jobs = a->jobs ? a->jobs : (int)s->db_jobs;
	ro.clean = a->clean;
	ro.cancel = &interrupted;
	/* Meanwhile the new database is created and the restore's
	 * connections open (nothing but their session settings runs on
	 * them): the database stays empty until every digest is checked,
	 * and goes again if one fails. */
	if (a->create)
		creator_start(&cr, a->to_url, a->create, conninfo, ro.jobs);
	else
		ro.conns = ps_pgdump_conns_open(conninfo, ro.jobs);
	if (rs_read(&f, have ? &key : NULL, &o, &res, &err) < 0 ||
	    ps_dbarchive_read_dir(tmp, &d, &err) < 0) {
		struct ps_error e2 = { 0 };

		if (interrupted)
			ps_error_set(&err, PS_EXIT_OPER, "interrupted");
		if (a->create && creator_wait(&cr) == 0) {
			/* (closed first: a database in use cannot be dropped) */
			ps_pgdump_conns_close(cr.conns);
			if (ps_pg_drop_database(a->to_url, a->create, &e2) < 0)
				ps_log_error("%s", e2.msg);
		}
		ps_pgdump_conns_close(ro.conns);
		ps_log_error("backup %s: %s; nothing was restored", f.m.id, err.msg);
		db_rec(a, &f, s->name, target, "failed", NULL, 0, t0, err.msg);
		rc = err.code;
		goto restore_signals;
	}
	/* every digest checked: now the target */
	if (a->create && creator_wait(&cr) < 0) {
		err = cr.err;
		ps_log_error("%s", err.msg);
		db_rec(a, &f, s->name, target, "failed", d, 0, t0, err.msg);
		rc = err.code;
		goto restore_signals;
	}
	if (a->create)
		ro.conns = cr.conns;
	if (ps_dbarchive_restore_dir(&ro, tmp, d, &err) < 0) {
		ps_log_error("restore of backup %s into %s failed: %s", f.m.id, target, err.msg);
		if (a->create)
			ps_log_note("database %s was left as far as the restore got; drop it before trying again",
				    a->create);
		db_rec(a, &f, s->name, target, "failed", d, 0, t0, err.msg);
		rc = err.code ? err.code : PS_EXIT_OPER;
		goto restore_signals;
	}
	if (a->check) {
		if (ps_pgdump_check(conninfo, ro.jobs, d, &err) < 0) {
			ps_log_error("check of %s against backup %s: %s", target, f.m.id, err.msg);
			db_rec(a, &f, s->name, target, "check-failed", d, 0, t0, err.msg);
			rc = err.code;
			goto restore_signals;
		}
		checked = 1;
	}
	db_rec(a, &f, s->name, target, "ok", d, checked, t0, NULL);
	if (a->format == PS_FMT_TEXT) {
		uint64_t rows = 0;
		for (size_t i = 0; i < d->ntables; i++)
			rows += d->tables[i].rows;
		fprintf(a->out, "%s %s: restored %zu tables (%llu rows) into %s%s\n", s->name,
			f.m.id, d->ntables, (unsigned long long)rows, target,
			checked ? "; every table's row count and checksum match the backup" : "");
	}
	rc = PS_EXIT_OK;
restore_signals:
	rs_remove_tree(tmp);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (interrupted) {
		ps_log_error("interrupted");
		rc = PS_EXIT_OPER;
	}
out:
	ps_pgdump_free(d);
	ps_archive_result_free(&res);
	if (have)
		ps_crypt_key_free(&key);
	rs_found_free(&f);
	if (conninfo)
		memset(conninfo, 0, strlen(conninfo));
	free(conninfo);
	free(target);
	free(tmp);
	return rc;
}
