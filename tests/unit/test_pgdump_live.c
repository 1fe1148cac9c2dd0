/*
 * test_pgdump_live: lib/pgdump against a real PostgreSQL server.
 * tests/cli/pgdump.sh starts a throwaway cluster and runs this suite with:
 *   PS_TEST_PG_URL      postgresql://postgres@127.0.0.1:PORT/postgres
 *   PS_TEST_PG_DBS      databases (already loaded) to dump, restore into
 *                       DB_copy and check; the script then compares
 *                       pg_dump --schema-only of DB and DB_copy
 *   PS_TEST_PG_RESTART  a shell command that restarts the server (the
 *                       failure test; skipped when unset)
 * Without PS_TEST_PG_URL the suite reports itself skipped.
 *
 * PS_PGDUMP_BENCH=DB (with PS_TEST_PG_URL) instead dumps DB to
 * $PS_PGDUMP_BENCH_DIR (zstd-compressed table files when
 * PS_PGDUMP_BENCH_ZSTD=1), restores it into DB_bench and prints the times
 * (bench/pgdump.sh).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <zstd.h>

#include "lib/pgdump.h"
#include "lib/util.h"

static const char *base_url;

/* The URL of another database on the same server. */
static char *
url_for(const char *db)
{
	const char *slash = strrchr(base_url, '/');

	return ps_xasprintf("%.*s/%s", (int)(slash - base_url), base_url, db);
}

static PGconn *
connect_db(const char *db)
{
	char *u = url_for(db);
	PGconn *c = PQconnectdb(u);

	free(u);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect %s: %s", db, PQerrorMessage(c));
	return c;
}

static void
sql(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	int st = PQresultStatus(r);

	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", q,
		      PQerrorMessage(c));
	PQclear(r);
}

static char *
sql_value(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	char *v;

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1,
		      "%s: %s", q, PQerrorMessage(c));
	v = ps_xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static void
fresh_db(const char *db)
{
	PGconn *c = connect_db("postgres");
	char *q = ps_xasprintf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);

	sql(c, "SET client_min_messages = warning");
	sql(c, q);
	free(q);
	q = ps_xasprintf("CREATE DATABASE \"%s\"", db);
	sql(c, q);
	free(q);
	PQfinish(c);
}

/* ---- a directory of table files as sink and source ---- */

struct dir {
	char *path;
	int zstd;
	/* the restart hook: run cmd once after this many bytes of any table */
	const char *restart_cmd;
	size_t restart_after;
	pthread_mutex_t mu;
	int restarted;
	/* the consistency hook: called when a table named hold_table begins */
	const char *hold_table;
	void (*hold)(void);
};

struct file {
	struct dir *dir;
	FILE *f;
	size_t written;
	ZSTD_CCtx *cc;
	ZSTD_DCtx *dc;
	char in[1 << 16];
	size_t in_len, in_pos;
	int in_eof;
};

static char *
table_file(const struct dir *d, const struct ps_pgdump_table *t)
{
	char hex[65];

	ps_sha256_hex(t->qname, strlen(t->qname), hex);
	return ps_xasprintf("%s/%.16s.copy%s", d->path, hex, d->zstd ? ".zst" : "");
}

static int
dir_begin(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	struct dir *d = arg;
	struct file *f = ps_xcalloc(1, sizeof(*f));
	char *p = table_file(d, t);

	f->dir = d;
	f->f = fopen(p, "wb");
	free(p);
	if (!f->f) {
		free(f);
		return ps_error_set(err, 3, "cannot write: %s", strerror(errno));
	}
	if (d->zstd) {
		f->cc = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(f->cc, ZSTD_c_compressionLevel, 3);
	}
	if (d->hold_table && strcmp(t->name, d->hold_table) == 0)
		d->hold();
	*stream = f;
	return 0;
}

static int
zwrite(struct file *f, const void *p, size_t n, ZSTD_EndDirective mode)
{
	char out[1 << 16];
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;

	do {
		ZSTD_outBuffer o = { out, sizeof(out), 0 };
		left = ZSTD_compressStream2(f->cc, &o, &in, mode);
		if (ZSTD_isError(left) || fwrite(out, 1, o.pos, f->f) != o.pos)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int
dir_write(void *stream, const void *p, size_t n, struct ps_error *err)
{
	struct file *f = stream;
	struct dir *d = f->dir;
	int rc;

	rc = f->cc ? zwrite(f, p, n, ZSTD_e_continue) : (fwrite(p, 1, n, f->f) == n ? 0 : -1);
	if (rc < 0)
		return ps_error_set(err, 3, "cannot write a table file");
	f->written += n;
	if (d->restart_cmd && f->written >= d->restart_after) {
		int run;
		pthread_mutex_lock(&d->mu);
		run = !d->restarted;
		d->restarted = 1;
		pthread_mutex_unlock(&d->mu);
		if (run && system(d->restart_cmd) != 0)
			return ps_error_set(err, 3, "the restart command failed");
	}
	return 0;
}

static int
dir_end(void *stream, const struct ps_pgdump_table *t, int ok, struct ps_error *err)
{
	struct file *f = stream;
	int rc = 0;

	if (f->cc) {
		if (ok && zwrite(f, "", 0, ZSTD_e_end) < 0)
			rc = -1;
		ZSTD_freeCCtx(f->cc);
	}
	if (fclose(f->f) != 0)
		rc = -1;
	free(f);
	if (rc < 0 && ok)
		return ps_error_set(err, 3, "cannot write the file of %s", t->qname);
	return 0;
}

static int
dir_open(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	struct dir *d = arg;
	struct file *f = ps_xcalloc(1, sizeof(*f));
	char *p = table_file(d, t);

	f->dir = d;
	f->f = fopen(p, "rb");
	free(p);
	if (!f->f) {
		free(f);
		return ps_error_set(err, 3, "cannot read the file of %s", t->qname);
	}
	if (d->zstd)
		f->dc = ZSTD_createDCtx();
	*stream = f;
	return 0;
}

static ssize_t
dir_read(void *stream, void *buf, size_t cap, struct ps_error *err)
{
	struct file *f = stream;

	if (!f->dc)
		return (ssize_t)fread(buf, 1, cap, f->f);
	for (;;) {
		ZSTD_outBuffer o = { buf, cap, 0 };
		ZSTD_inBuffer in;
		size_t rc;

		if (f->in_pos == f->in_len && !f->in_eof) {
			f->in_len = fread(f->in, 1, sizeof(f->in), f->f);
			f->in_pos = 0;
			f->in_eof = f->in_len == 0;
		}
		in.src = f->in;
		in.size = f->in_len;
		in.pos = f->in_pos;
		rc = ZSTD_decompressStream(f->dc, &o, &in);
		f->in_pos = in.pos;
		if (ZSTD_isError(rc))
			return ps_error_set(err, 3, "corrupt table file: %s", ZSTD_getErrorName(rc));
		if (o.pos > 0)
			return (ssize_t)o.pos;
		if (f->in_eof)
			return 0;
	}
}

static void
dir_close(void *stream)
{
	struct file *f = stream;

	if (f->dc)
		ZSTD_freeDCtx(f->dc);
	fclose(f->f);
	free(f);
}

static const struct ps_pgdump_source dir_source_tmpl = { NULL, dir_open, dir_read, dir_close };

static struct dir *
dir_new(const char *name)
{
	struct dir *d = ps_xcalloc(1, sizeof(*d));
	const char *tmp = getenv("TMPDIR");

	d->path = ps_xasprintf("%s/pgdump-live-%d-%s", tmp && *tmp ? tmp : "/tmp",
			       (int)getpid(), name);
	mkdir(d->path, 0700);
	pthread_mutex_init(&d->mu, NULL);
	return d;
}

static void
dir_free(struct dir *d, const struct ps_pgdump *dump)
{
	size_t i;

	for (i = 0; dump && i < dump->ntables; i++) {
		char *p = table_file(d, &dump->tables[i]);
		unlink(p);
		free(p);
	}
	rmdir(d->path);
	pthread_mutex_destroy(&d->mu);
	free(d->path);
	free(d);
}

static struct ps_pgdump *
dump_db(const char *db, struct dir *d, int jobs, struct ps_error *err)
{
	struct ps_pgdump_sink sink = { d, dir_begin, dir_write, dir_end };
	struct ps_pgdump_opts o = { 0 };
	struct ps_pgdump *out = NULL;
	char *u = url_for(db);

	o.conninfo = u;
	o.jobs = jobs;
	if (ps_pgdump_dump(&o, &sink, &out, err) < 0)
		out = NULL;
	free(u);
	return out;
}

static int
restore_db(const char *db, struct dir *d, const struct ps_pgdump *dump, int clean,
	   struct ps_error *err)
{
	struct ps_pgdump_source src = dir_source_tmpl;
	struct ps_pgdump_restore_opts o = { 0 };
	char *u = url_for(db);
	int rc;

	src.arg = d;
	o.conninfo = u;
	o.jobs = 2;
	o.clean = clean;
	rc = ps_pgdump_restore(&o, dump, &src, err);
	free(u);
	return rc;
}

static int
check_db(const char *db, const struct ps_pgdump *dump, struct ps_error *err)
{
	char *u = url_for(db);
	int rc = ps_pgdump_check(u, 2, dump, err);

	free(u);
	return rc;
}

/* The figures of a table file, recomputed from the bytes on disk. */
static void
file_figures(struct dir *d, const struct ps_pgdump_table *t, int algo, uint64_t *rows,
	     uint64_t *sum)
{
	struct ps_pgdump_rows r = { .algo = algo };
	struct ps_error err = { 0 };
	void *s;
	char buf[8192];
	ssize_t n;

	ck_assert_int_eq(dir_open(d, t, &s, &err), 0);
	while ((n = dir_read(s, buf, sizeof(buf), &err)) > 0)
		ps_pgdump_rows_feed(&r, buf, (size_t)n);
	ck_assert_int_eq(n, 0);
	dir_close(s);
	ps_pgdump_rows_finish(&r);
	*rows = r.rows;
	*sum = r.checksum;
	ps_pgdump_rows_free(&r);
}

/* ---- round trips of the databases the script loaded ---- */

static char **dbs;
static int ndbs;

START_TEST(round_trip)
{
	const char *db = dbs[_i];
	char *copy = ps_xasprintf("%s_copy", db), *toc;
	struct ps_error err = { 0 };
	struct dir *d = dir_new(db);
	struct ps_pgdump *dump = dump_db(db, d, 2, &err), *back = NULL;
	uint64_t rows, sum, total = 0;
	size_t i;

	ck_assert_msg(dump != NULL, "dump %s: %s", db, err.msg);
	ck_assert_msg(dump->ntables > 0, "%s has tables", db);
	ck_assert_int_eq(dump->row_hash, PS_PGDUMP_ROWHASH_XXH3);
	/* the table files hold exactly the rows the figures describe */
	for (i = 0; i < dump->ntables; i++) {
		file_figures(d, &dump->tables[i], dump->row_hash, &rows, &sum);
		ck_assert_msg(rows == dump->tables[i].rows && sum == dump->tables[i].checksum,
			      "%s: file figures differ", dump->tables[i].qname);
		total += rows;
	}
	ck_assert_msg(total > 0, "%s: rows were dumped", db);
	/* through the table of contents, as a backup stores it */
	toc = ps_pgdump_toc_json(dump);
	ck_assert_int_eq(ps_pgdump_toc_parse(toc, strlen(toc), &back, &err), 0);
	free(toc);
	fresh_db(copy);
	ck_assert_msg(restore_db(copy, d, back, 0, &err) == 0, "restore %s: %s", copy, err.msg);
	ck_assert_msg(check_db(copy, back, &err) == 0, "check %s: %s", copy, err.msg);
	/* the source itself checks too (same snapshot figures, no writers) */
	ck_assert_msg(check_db(db, back, &err) == 0, "check %s: %s", db, err.msg);
	/* a second restore into the now populated copy is refused ... */
	ck_assert_int_eq(restore_db(copy, d, back, 0, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_msg(strstr(err.msg, "not empty") != NULL, "%s", err.msg);
	/* ... unless clean is asked for */
	ck_assert_msg(restore_db(copy, d, back, 1, &err) == 0, "clean restore %s: %s", copy,
		      err.msg);
	ck_assert_msg(check_db(copy, back, &err) == 0, "check after clean %s: %s", copy, err.msg);
	ps_pgdump_free(back);
	dir_free(d, dump);
	ps_pgdump_free(dump);
	free(copy);
}
END_TEST

/* A changed row on the target is found and named. */
START_TEST(check_finds_changes)
{
	struct ps_error err = { 0 };
	struct dir *d = dir_new("chk");
	struct ps_pgdump *dump;
	PGconn *c;

	fresh_db("chk_src");
	c = connect_db("chk_src");
	sql(c, "CREATE TABLE t1 (id int PRIMARY KEY, v text); CREATE TABLE t2 (id int);"
	       " INSERT INTO t1 SELECT g, 'v' || g FROM generate_series(1, 1000) g;"
	       " INSERT INTO t2 SELECT generate_series(1, 10)");
	PQfinish(c);
	dump = dump_db("chk_src", d, 2, &err);
	ck_assert_msg(dump != NULL, "%s", err.msg);
	fresh_db("chk_dst");
	ck_assert_msg(restore_db("chk_dst", d, dump, 0, &err) == 0, "%s", err.msg);
	ck_assert_msg(check_db("chk_dst", dump, &err) == 0, "%s", err.msg);
	c = connect_db("chk_dst");
	sql(c, "UPDATE t1 SET v = 'changed' WHERE id = 500");
	PQfinish(c);
	ck_assert_int_eq(check_db("chk_dst", dump, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_FAIL);
	ck_assert_msg(strstr(err.msg, "public.t1") && strstr(err.msg, "checksum differs") &&
		      !strstr(err.msg, "t2"), "%s", err.msg);
	c = connect_db("chk_dst");
	sql(c, "DELETE FROM t2 WHERE id = 3");
	PQfinish(c);
	ck_assert_int_eq(check_db("chk_dst", dump, &err), -1);
	ck_assert_msg(strstr(err.msg, "public.t2 (9 rows, want 10"), "%s", err.msg);
	dir_free(d, dump);
	ps_pgdump_free(dump);
}
END_TEST

/* A table whose data the target refuses stops the restore, named, code 3. */
START_TEST(restore_failure_names_table)
{
	struct ps_error err = { 0 };
	struct dir *d = dir_new("bad");
	struct ps_pgdump *dump;
	PGconn *c;
	size_t i;

	fresh_db("bad_src");
	c = connect_db("bad_src");
	sql(c, "CREATE TABLE good (id int); CREATE TABLE \"Bad Table\" (n int NOT NULL);"
	       " INSERT INTO good SELECT generate_series(1, 100);"
	       " INSERT INTO \"Bad Table\" SELECT generate_series(1, 100)");
	PQfinish(c);
	dump = dump_db("bad_src", d, 1, &err);
	ck_assert_msg(dump != NULL, "%s", err.msg);
	for (i = 0; i < dump->ntables; i++)
		if (strcmp(dump->tables[i].name, "Bad Table") == 0) {
			char *p = table_file(d, &dump->tables[i]);
			FILE *f = fopen(p, "ab");
			ck_assert_ptr_nonnull(f);
			fputs("not a number\n", f);
			fclose(f);
			free(p);
		}
	fresh_db("bad_dst");
	ck_assert_int_eq(restore_db("bad_dst", d, dump, 0, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_msg(strstr(err.msg, "table public.\"Bad Table\"") != NULL, "%s", err.msg);
	dir_free(d, dump);
	ps_pgdump_free(dump);
}
END_TEST

/* Objects the dump cannot reproduce are an error naming them. */
START_TEST(unsupported_objects_named)
{
	struct ps_error err = { 0 };
	struct dir *d = dir_new("unsup");
	struct ps_pgdump *dump;
	PGconn *c;

	fresh_db("unsup");
	c = connect_db("unsup");
	sql(c, "CREATE TABLE t (id int);"
	       " CREATE FUNCTION f_eq(int, text) RETURNS bool LANGUAGE sql AS 'SELECT $1::text = $2';"
	       " CREATE OPERATOR === (LEFTARG = int, RIGHTARG = text, FUNCTION = f_eq);"
	       " CREATE TEXT SEARCH CONFIGURATION my_ts (COPY = english);"
	       " CREATE RULE r AS ON INSERT TO t DO ALSO NOTIFY t");
	PQfinish(c);
	dump = dump_db("unsup", d, 1, &err);
	ck_assert_ptr_null(dump);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_msg(strstr(err.msg, "3 objects") && strstr(err.msg, "operator public.===") &&
		      strstr(err.msg, "text search configuration public.my_ts") &&
		      strstr(err.msg, "rule r on table public.t"), "%s", err.msg);
	dir_free(d, NULL);
}
END_TEST

/* The password never reaches a message. */
START_TEST(password_redacted)
{
	struct ps_error err = { 0 };
	struct ps_pgdump_opts o = { 0 };
	struct ps_pgdump *dump = NULL;

	o.conninfo = "postgresql://someone:Sup3rS3cret@127.0.0.1:1/nodb?connect_timeout=2";
	ck_assert_int_eq(ps_pgdump_dump(&o, NULL, &dump, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_msg(strstr(err.msg, "cannot connect") && !strstr(err.msg, "Sup3rS3cret"),
		      "%s", err.msg);
	o.conninfo = "host=127.0.0.1 port=1 user=x password=Sup3rS3cret connect_timeout=2";
	ck_assert_int_eq(ps_pgdump_dump(&o, NULL, &dump, &err), -1);
	ck_assert_msg(!strstr(err.msg, "Sup3rS3cret"), "%s", err.msg);
}
END_TEST

/* The directory form (toc.json + data/) the database set archives. */
START_TEST(dir_round_trip)
{
	struct ps_error err = { 0 };
	struct ps_pgdump_opts o = { 0 };
	struct ps_pgdump_restore_opts ro = { 0 };
	struct ps_pgdump *dump = NULL, *back = NULL;
	struct dir *d = dir_new("dirform");
	char *src, *dst, *file, *path;
	struct stat sb;
	size_t i;
	PGconn *c;

	fresh_db("dir_src");
	c = connect_db("dir_src");
	sql(c, "CREATE SCHEMA s; CREATE TABLE s.a (id serial PRIMARY KEY, v text);"
	       " CREATE TABLE s.b (a_id int REFERENCES s.a, n numeric);"
	       " INSERT INTO s.a (v) SELECT md5(g::text) FROM generate_series(1, 5000) g;"
	       " INSERT INTO s.b SELECT 1 + g % 5000, g / 7.0 FROM generate_series(1, 3000) g");
	PQfinish(c);
	src = url_for("dir_src");
	dst = url_for("dir_dst");
	o.conninfo = src;
	ck_assert_msg(ps_pgdump_dump_dir(&o, d->path, &dump, &err) == 0, "%s", err.msg);
	for (i = 0; i < dump->ntables; i++) {
		file = ps_pgdump_table_file(&dump->tables[i]);
		ck_assert_msg(strncmp(file, "data/", 5) == 0 && strlen(file) == 5 + 16 + 5, "%s", file);
		path = ps_xasprintf("%s/%s", d->path, file);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_uint_eq((uint64_t)sb.st_size, dump->tables[i].bytes);
		unlink(path);
		free(path);
		free(file);
	}
	fresh_db("dir_dst");
	ro.conninfo = dst;
	ro.jobs = 3;
	/* the data files are gone: the restore names the first table it misses */
	ck_assert_int_eq(ps_pgdump_restore_dir(&ro, d->path, &back, &err), -1);
	ck_assert_msg(strstr(err.msg, "cannot open") && strstr(err.msg, "table s."), "%s", err.msg);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_null(back);
	ps_pgdump_free(dump);
	ck_assert_msg(ps_pgdump_dump_dir(&o, d->path, &dump, &err) == 0, "%s", err.msg);
	ro.clean = 1;
	ck_assert_msg(ps_pgdump_restore_dir(&ro, d->path, &back, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(back->ntables, 2);
	ck_assert_int_eq(ps_pgdump_check(dst, 2, back, &err), 0);
	{
		json_t *m = ps_pgdump_manifest_json(back), *t0;
		ck_assert_uint_eq(json_array_size(json_object_get(m, "tables")), 2);
		t0 = json_array_get(json_object_get(m, "tables"), 0);
		ck_assert_str_eq(json_string_value(json_object_get(t0, "table")), back->tables[0].qname);
		ck_assert_int_eq(json_integer_value(json_object_get(t0, "rows")),
				 (json_int_t)back->tables[0].rows);
		ck_assert_str_eq(json_string_value(json_object_get(m, "database")), "dir_src");
		json_decref(m);
	}
	/* a damaged table of contents is refused before any SQL runs */
	path = ps_xasprintf("%s/%s", d->path, PS_PGDUMP_TOC_NAME);
	{
		FILE *f = fopen(path, "r+");
		ck_assert_ptr_nonnull(f);
		fputs("{broken", f);
		fclose(f);
	}
	ck_assert_int_eq(ps_pgdump_restore_dir(&ro, d->path, NULL, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_FAIL);
	free(path);
	ps_pgdump_remove_dir(d->path, dump);
	ck_assert_int_eq(stat(d->path, &sb), -1);
	dir_free(d, NULL);
	ps_pgdump_free(dump);
	ps_pgdump_free(back);
	free(src);
	free(dst);
}
END_TEST

/* A cancel flag raised mid-dump stops it with "interrupted". */
static volatile int cancel_flag;

static int
cancel_begin(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	*stream = arg;
	return 0;
}

static int
cancel_write(void *stream, const void *p, size_t n, struct ps_error *err)
{
	cancel_flag = 1;
	return 0;
}

static int
cancel_end(void *stream, const struct ps_pgdump_table *t, int ok, struct ps_error *err)
{
	return 0;
}

START_TEST(cancel_stops_dump)
{
	struct ps_pgdump_sink sink = { NULL, cancel_begin, cancel_write, cancel_end };
	struct ps_pgdump_opts o = { 0 };
	struct ps_error err = { 0 };
	struct ps_pgdump *dump = NULL;
	PGconn *c;
	char *u;

	fresh_db("cancel");
	c = connect_db("cancel");
	sql(c, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 50000)");
	PQfinish(c);
	u = url_for("cancel");
	o.conninfo = u;
	o.cancel = &cancel_flag;
	cancel_flag = 0;
	ck_assert_int_eq(ps_pgdump_dump(&o, &sink, &dump, &err), -1);
	ck_assert_ptr_null(dump);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_msg(strstr(err.msg, "table public.t: interrupted") != NULL, "%s", err.msg);
	/* raised before the dump: it stops before copying anything */
	cancel_flag = 1;
	ck_assert_int_eq(ps_pgdump_dump(&o, &sink, &dump, &err), -1);
	ck_assert_str_eq(err.msg, "interrupted");
	free(u);
}
END_TEST

/* --no-owner / --no-privileges leave out ownership and grants. */
START_TEST(no_owner_no_privileges)
{
	struct ps_error err = { 0 };
	struct ps_pgdump_opts o = { 0 };
	struct ps_pgdump *dump = NULL;
	PGconn *c;
	char *u;
	size_t i;
	int owners = 0, grants = 0;

	fresh_db("own");
	c = connect_db("own");
	sql(c, "CREATE TABLE t (id int); GRANT SELECT ON t TO PUBLIC;"
	       " CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1;"
	       " REVOKE ALL ON FUNCTION f() FROM PUBLIC");
	PQfinish(c);
	u = url_for("own");
	o.conninfo = u;
	ck_assert_msg(ps_pgdump_dump(&o, NULL, &dump, &err) == 0, "%s", err.msg);
	for (i = 0; i < dump->nentries; i++) {
		owners += strstr(dump->entries[i].sql, "OWNER TO") != NULL;
		grants += strstr(dump->entries[i].sql, "GRANT SELECT ON TABLE public.t TO PUBLIC") != NULL;
		grants += strstr(dump->entries[i].sql, "REVOKE ALL ON FUNCTION public.f() FROM PUBLIC") != NULL;
	}
	ck_assert_int_ge(owners, 2);
	ck_assert_int_eq(grants, 2);
	ps_pgdump_free(dump);
	o.no_owner = 1;
	o.no_privileges = 1;
	ck_assert_msg(ps_pgdump_dump(&o, NULL, &dump, &err) == 0, "%s", err.msg);
	for (i = 0; i < dump->nentries; i++)
		ck_assert_msg(!strstr(dump->entries[i].sql, "OWNER TO") &&
			      !strstr(dump->entries[i].sql, "GRANT ") &&
			      !strstr(dump->entries[i].sql, "REVOKE "), "%s", dump->entries[i].sql);
	ps_pgdump_free(dump);
	free(u);
}
END_TEST

/* ---- consistency: transfers committed during the dump ---- */

static volatile int writer_stop;
static volatile long writer_commits;
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;

static void *
writer_main(void *arg)
{
	PGconn *c = connect_db("bank");
	unsigned x = 12345;

	(void)arg;
	while (!writer_stop) {
		char q[256];
		int id, amt;

		x = x * 1103515245u + 12345u;
		id = 1 + (int)(x % 20000);
		amt = 1 + (int)((x >> 16) % 50);
		snprintf(q, sizeof(q), "BEGIN; UPDATE bank_a SET bal = bal - %d WHERE id = %d;"
			 " UPDATE bank_b SET bal = bal + %d WHERE id = %d; COMMIT", amt, id, amt, id);
		sql(c, q);
		pthread_mutex_lock(&hold_mu);
		writer_commits++;
		pthread_mutex_unlock(&hold_mu);
	}
	PQfinish(c);
	return NULL;
}

/* Called when the dump starts copying bank_b: let transfers commit first. */
static void
hold_for_writer(void)
{
	long start, now;
	int i;

	pthread_mutex_lock(&hold_mu);
	start = writer_commits;
	pthread_mutex_unlock(&hold_mu);
	for (i = 0; i < 500; i++) {
		usleep(10000);
		pthread_mutex_lock(&hold_mu);
		now = writer_commits;
		pthread_mutex_unlock(&hold_mu);
		if (now - start >= 50)
			break;
	}
}

START_TEST(consistent_under_writes)
{
	struct ps_error err = { 0 };
	struct dir *d = dir_new("bank");
	struct ps_pgdump *dump;
	pthread_t th;
	PGconn *c;
	char *total, *a_src, *a_dst;
	long commits_before;

	fresh_db("bank");
	c = connect_db("bank");
	sql(c, "CREATE TABLE bank_a (id int PRIMARY KEY, bal bigint NOT NULL);"
	       " CREATE TABLE bank_b (id int PRIMARY KEY, bal bigint NOT NULL);"
	       " INSERT INTO bank_a SELECT g, 1000 FROM generate_series(1, 20000) g;"
	       " INSERT INTO bank_b SELECT g, 1000 FROM generate_series(1, 20000) g");
	PQfinish(c);
	writer_stop = 0;
	writer_commits = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, writer_main, NULL), 0);
	while (writer_commits < 20)
		usleep(5000);
	commits_before = writer_commits;
	d->hold_table = "bank_b";
	d->hold = hold_for_writer;
	/* one job: bank_a and bank_b are read one after the other */
	dump = dump_db("bank", d, 1, &err);
	writer_stop = 1;
	pthread_join(th, NULL);
	ck_assert_msg(dump != NULL, "%s", err.msg);
	ck_assert_msg(writer_commits - commits_before >= 50,
		      "transfers committed during the dump: %ld", writer_commits - commits_before);
	fresh_db("bank_copy");
	ck_assert_msg(restore_db("bank_copy", d, dump, 0, &err) == 0, "%s", err.msg);
	c = connect_db("bank_copy");
	total = sql_value(c, "SELECT (SELECT sum(bal) FROM bank_a) + (SELECT sum(bal) FROM bank_b)");
	a_dst = sql_value(c, "SELECT sum(bal) FROM bank_a");
	PQfinish(c);
	ck_assert_str_eq(total, "40000000");
	c = connect_db("bank");
	a_src = sql_value(c, "SELECT sum(bal) FROM bank_a");
	PQfinish(c);
	/* the transfers did move money, and the dump saw an earlier state */
	ck_assert_str_ne(a_src, "20000000");
	ck_assert_str_ne(a_src, a_dst);
	free(total);
	free(a_src);
	free(a_dst);
	dir_free(d, dump);
	ps_pgdump_free(dump);
}
END_TEST

/* ---- the server restarted mid-dump ---- */

START_TEST(restart_mid_dump_fails)
{
	const char *cmd = getenv("PS_TEST_PG_RESTART");
	struct ps_error err = { 0 };
	struct dir *d;
	struct ps_pgdump *dump;
	PGconn *c;

	if (!cmd || !*cmd) {
		printf("restart_mid_dump_fails: skipped (PS_TEST_PG_RESTART unset)\n");
		return;
	}
	fresh_db("big");
	c = connect_db("big");
	sql(c, "CREATE TABLE big (id int, pad text);"
	       " INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 300000) g;"
	       " CREATE TABLE small (id int); INSERT INTO small VALUES (1)");
	PQfinish(c);
	d = dir_new("big");
	d->restart_cmd = cmd;
	d->restart_after = 1 << 20;
	dump = dump_db("big", d, 2, &err);
	ck_assert_msg(d->restarted, "the restart hook ran");
	ck_assert_ptr_null(dump);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	/* whichever connection notices first names what it was reading: the
	 * table being copied, or the part of the catalog the dump reads while
	 * its workers copy */
	ck_assert_msg(strstr(err.msg, "public.big") != NULL ||
		      strncmp(err.msg, "cannot read ", 12) == 0, "%s", err.msg);
	/* the server is back and the same dump now works */
	d->restart_cmd = NULL;
	dump = dump_db("big", d, 2, &err);
	ck_assert_msg(dump != NULL, "%s", err.msg);
	ck_assert_int_eq(dump->tables[0].rows, 300000);
	dir_free(d, dump);
	ps_pgdump_free(dump);
}
END_TEST

/* ---- benchmark mode ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench(const char *db)
{
	const char *dirp = getenv("PS_PGDUMP_BENCH_DIR");
	const char *z = getenv("PS_PGDUMP_BENCH_ZSTD");
	const char *j = getenv("PS_PGDUMP_BENCH_JOBS");
	struct ps_error err = { 0 };
	struct dir *d = ps_xcalloc(1, sizeof(*d));
	struct ps_pgdump *dump;
	char *copy = ps_xasprintf("%s_bench", db);
	long jobs = 2;
	double t0, t1, t2, t3;
	uint64_t bytes = 0;
	size_t i;

	if (j && ps_parse_long(j, 1, 64, &jobs) < 0)
		jobs = 2;
	d->path = ps_xstrdup(dirp ? dirp : "/tmp/pgdump-bench");
	d->zstd = z && strcmp(z, "1") == 0;
	mkdir(d->path, 0700);
	pthread_mutex_init(&d->mu, NULL);
	t0 = now_s();
	dump = dump_db(db, d, (int)jobs, &err);
	t1 = now_s();
	if (!dump) {
		fprintf(stderr, "dump: %s\n", err.msg);
		return 3;
	}
	for (i = 0; i < dump->ntables; i++)
		bytes += dump->tables[i].bytes;
	{
		/* no ck_assert here: this mode runs outside the Check runner */
		char *u = url_for("postgres"), *q = ps_xasprintf("CREATE DATABASE \"%s\"", copy);
		PGconn *c = PQconnectdb(u);
		PGresult *r = PQexec(c, q);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			fprintf(stderr, "%s: %s", q, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		free(u);
		free(q);
		if (!ok)
			return 3;
	}
	t2 = now_s();
	if (restore_db(copy, d, dump, 0, &err) < 0) {
		fprintf(stderr, "restore: %s\n", err.msg);
		return 3;
	}
	t3 = now_s();
	printf("dump %.2f s\nrestore %.2f s\ncopy_bytes %llu\n", t1 - t0, t3 - t2,
	       (unsigned long long)bytes);
	ps_pgdump_free(dump);
	pthread_mutex_destroy(&d->mu);
	free(d->path);
	free(d);
	free(copy);
	return 0;
}

static Suite *
suite(void)
{
	Suite *s = suite_create("pgdump_live");
	TCase *tc = tcase_create("live");
	const char *list = getenv("PS_TEST_PG_DBS");

	tcase_set_timeout(tc, 600);
	if (list && *list) {
		char *copy = ps_xstrdup(list), *tok, *save = NULL;
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			dbs = ps_xrealloc(dbs, (size_t)(ndbs + 1) * sizeof(*dbs));
			dbs[ndbs++] = ps_xstrdup(tok);
		}
		free(copy);
		tcase_add_loop_test(tc, round_trip, 0, ndbs);
	}
	tcase_add_test(tc, check_finds_changes);
	tcase_add_test(tc, restore_failure_names_table);
	tcase_add_test(tc, unsupported_objects_named);
	tcase_add_test(tc, password_redacted);
	tcase_add_test(tc, no_owner_no_privileges);
	tcase_add_test(tc, dir_round_trip);
	tcase_add_test(tc, cancel_stops_dump);
	tcase_add_test(tc, consistent_under_writes);
	tcase_add_test(tc, restart_mid_dump_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed, i;

	base_url = getenv("PS_TEST_PG_URL");
	if (!base_url || !*base_url) {
		printf("test_pgdump_live: skipped (PS_TEST_PG_URL is not set;"
		       " tests/cli/pgdump.sh runs it against a real server)\n");
		return 0;
	}
	if (getenv("PS_PGDUMP_BENCH"))
		return bench(getenv("PS_PGDUMP_BENCH"));
	sr = srunner_create(suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (i = 0; i < ndbs; i++)
		free(dbs[i]);
	free(dbs);
	return failed ? 1 : 0;
}
