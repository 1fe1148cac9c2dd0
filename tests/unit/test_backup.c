/* Unit tests for lib/backup: backup.yml sets (files and databases), the
 * checks of a set, manifests' kinds, ids, and the retention decision. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/archive.h"
#include "lib/backup.h"

static char path[256];

/* Load text as backup.yml; the caller frees both. */
static struct ps_backup_config *
load(const char *text, struct ps_diags *d)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/ps-test-backup.%d.yml", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	memset(d, 0, sizeof(*d));
	return ps_backup_config_load(path, d);
}

static int
has_message(const struct ps_diags *d, const char *needle)
{
	for (size_t i = 0; i < d->len; i++)
		if (strstr(d->v[i]->message, needle))
			return 1;
	return 0;
}

static void
teardown(void)
{
	unlink(path);
}

START_TEST(standards_database_set)
{
	struct ps_diags d;
	struct ps_backup_config *c = load(
		"backup:\n"
		"  database:\n"
		"    enabled: true\n"
		"    schedule: \"0 1 * * *\"\n"
		"    retention: 30\n"
		"    locations:\n"
		"      - local://backups/database/\n"
		"    encryption: none\n", &d);
	const struct ps_backup_set *s;

	ck_assert_ptr_nonnull(c);
	s = ps_backup_config_set(c, "database");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->has_database, 1);
	ck_assert_ptr_null(s->db_url);
	ck_assert_int_eq(s->db_jobs, 2);
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 0);
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_ERROR), 0);
	ps_diags_free(&d);
	ps_backup_config_free(c);
}
END_TEST

START_TEST(database_key_forms)
{
	struct ps_diags d;
	struct ps_backup_config *c = load(
		"encryption: none\n"
		"backup:\n"
		"  short:\n"
		"    locations: [local://x/]\n"
		"    database: postgresql://app@db/app?sslmode=require\n"
		"  long:\n"
		"    locations: [local://x/]\n"
		"    database:\n"
		"      url: host=db dbname=app\n"
		"      jobs: 4\n"
		"      no_owner: true\n"
		"      no_privileges: true\n"
		"  files:\n"
		"    locations: [local://x/]\n"
		"    paths: [/etc]\n", &d);
	const struct ps_backup_set *s;

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_ERROR), 0);
	s = ps_backup_config_set(c, "short");
	ck_assert_int_eq(s->has_database, 1);
	ck_assert_str_eq(s->db_url, "postgresql://app@db/app?sslmode=require");
	ck_assert_int_eq(s->db_no_owner, 0);
	s = ps_backup_config_set(c, "long");
	ck_assert_int_eq(s->has_database, 1);
	ck_assert_str_eq(s->db_url, "host=db dbname=app");
	ck_assert_int_eq(s->db_jobs, 4);
	ck_assert_int_eq(s->db_no_owner, 1);
	ck_assert_int_eq(s->db_no_privileges, 1);
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 0);
	s = ps_backup_config_set(c, "files");
	ck_assert_int_eq(s->has_database, 0);
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 0);
	ps_diags_free(&d);
	ps_backup_config_free(c);
}
END_TEST

START_TEST(compression_level_defaults)
{
	struct ps_diags d;
	struct ps_backup_config *c = load(
		"encryption: none\n"
		"backup:\n"
		"  db:\n"
		"    locations: [local://x/]\n"
		"    database: postgresql://app@db/app\n"
		"  db5:\n"
		"    locations: [local://x/]\n"
		"    database: postgresql://app@db/app\n"
		"    compression: {level: 5}\n"
		"  files:\n"
		"    locations: [local://x/]\n"
		"    paths: [/etc]\n", &d);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_ERROR), 0);
	/* a dump shares the CPU with its server: level 1 unless asked */
	ck_assert_int_eq(ps_backup_config_set(c, "db")->level, 1);
	ck_assert_int_eq(ps_backup_config_set(c, "db5")->level, 5);
	ck_assert_int_eq(ps_backup_config_set(c, "files")->level, 2);
	ps_diags_free(&d);
	ps_backup_config_free(c);
	/* a top-level level is the default of every set */
	c = load("encryption: none\n"
		 "compression: {level: 7}\n"
		 "backup:\n"
		 "  db:\n"
		 "    locations: [local://x/]\n"
		 "    database: postgresql://app@db/app\n", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(ps_backup_config_set(c, "db")->level, 7);
	ps_diags_free(&d);
	ps_backup_config_free(c);
}
END_TEST

START_TEST(database_set_errors)
{
	struct ps_diags d;
	struct ps_backup_config *c = load(
		"encryption: none\n"
		"backup:\n"
		"  both:\n"
		"    locations: [local://x/]\n"
		"    paths: [/etc]\n"
		"    database: postgresql://db/app\n"
		"  neither:\n"
		"    locations: [local://x/]\n"
		"  badjobs:\n"
		"    locations: [local://x/]\n"
		"    database:\n"
		"      jobs: 0\n"
		"      colour: blue\n", &d);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(has_message(&d, "jobs"), "jobs: 0 is an error");
	ck_assert_msg(has_message(&d, "colour"), "an unknown key under database is reported");
	ck_assert_uint_eq(ps_backup_set_check(c, ps_backup_config_set(c, "both"), &d), 1);
	ck_assert_msg(has_message(&d, "either 'paths' or a 'database'"), "both is refused");
	ck_assert_uint_eq(ps_backup_set_check(c, ps_backup_config_set(c, "neither"), &d), 1);
	ck_assert_msg(has_message(&d, "add 'paths'") && has_message(&d, "'database'"),
		      "an empty set names both ways out");
	ps_diags_free(&d);
	ps_backup_config_free(c);
}
END_TEST

START_TEST(set_named_database_with_paths_is_files)
{
	struct ps_diags d;
	struct ps_backup_config *c = load(
		"encryption: none\n"
		"backup:\n"
		"  database:\n"
		"    locations: [local://x/]\n"
		"    paths: [/var/lib/dumps]\n", &d);
	const struct ps_backup_set *s;

	ck_assert_ptr_nonnull(c);
	s = ps_backup_config_set(c, "database");
	ck_assert_int_eq(s->has_database, 0);
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 0);
	ps_diags_free(&d);
	ps_backup_config_free(c);
}
END_TEST

static const char manifest_head[] =
	"{\"format\":1,\"id\":\"20261126T010000Z-7f3a\",\"set\":\"database\","
	"\"object\":\"database/20261126T010000Z-7f3a.tar.zst\","
	"\"created_at\":\"2026-11-26T01:00:00Z\",\"finished_at\":\"2026-11-26T01:00:05Z\","
	"\"sizes\":{\"stored_bytes\":10,\"content_bytes\":20},"
	"\"digests\":{\"object_sha256\":"
	"\"0123456789012345678901234567890123456789012345678901234567890123\"},"
	"\"encryption\":null";

START_TEST(manifest_kinds)
{
	struct ps_backup_manifest m;
	struct ps_error err = {0};
	char text[1024];

	snprintf(text, sizeof(text), "%s}", manifest_head);
	ck_assert_msg(ps_backup_manifest_parse(text, strlen(text), &m, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(m.kind, "files");
	ck_assert_uint_eq(m.entries, 0);
	ps_backup_manifest_free(&m);
	/* the entries are the counts' sum; a count that is not one is none */
	snprintf(text, sizeof(text), "%s,\"counts\":{\"files\":7,\"dirs\":2,\"symlinks\":1,"
		 "\"hardlinks\":3,\"skipped\":5,\"sockets\":9}}", manifest_head);
	ck_assert_msg(ps_backup_manifest_parse(text, strlen(text), &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.files, 7);
	ck_assert_uint_eq(m.entries, 13);
	ps_backup_manifest_free(&m);
	snprintf(text, sizeof(text), "%s,\"counts\":{\"files\":7,\"dirs\":-2,\"symlinks\":\"1\"}}",
		 manifest_head);
	ck_assert_msg(ps_backup_manifest_parse(text, strlen(text), &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.entries, 7);
	ps_backup_manifest_free(&m);
	snprintf(text, sizeof(text), "%s,\"kind\":\"database\"}", manifest_head);
	ck_assert_msg(ps_backup_manifest_parse(text, strlen(text), &m, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(m.kind, "database");
	ck_assert_uint_eq(m.content_bytes, 20);
	ps_backup_manifest_free(&m);
	snprintf(text, sizeof(text), "%s,\"kind\":\"tape\"}", manifest_head);
	ck_assert_int_eq(ps_backup_manifest_parse(text, strlen(text), &m, &err), -1);
	ck_assert_int_eq(err.code, 1);
}
END_TEST

START_TEST(ids_and_names)
{
	char id[32], *obj, *man;
	struct ps_error err = {0};
	time_t t;

	ck_assert_int_eq(ps_backup_id_new(1795654800, id, &err), 0);
	ck_assert_int_eq(strncmp(id, "20261126T010000Z-", 17), 0);
	ck_assert_int_eq(ps_backup_id_parse(id, &t), 1);
	ck_assert_int_eq((long)t, 1795654800L);
	ck_assert_int_eq(ps_backup_id_parse("20261126T010000Z", NULL), 0);
	obj = ps_backup_object_name("database", id, 1);
	man = ps_backup_manifest_name("database", id);
	ck_assert_int_eq(strncmp(obj, "database/20261126T010000Z-", 26), 0);
	ck_assert_msg(strstr(obj, ".tar.zst.enc") != NULL, "%s", obj);
	ck_assert_msg(strstr(man, ".manifest.json") != NULL, "%s", man);
	free(obj);
	free(man);
}
END_TEST

/* The finding whose message holds needle, or NULL. */
static const struct ps_finding *
find_message(const struct ps_diags *d, const char *needle)
{
	for (size_t i = 0; i < d->len; i++)
		if (strstr(d->v[i]->message, needle))
			return d->v[i];
	return NULL;
}

START_TEST(s3_spool_dir_key)
{
	struct ps_diags d;
	char dir[128], file[160], text[1024], want[200];
	struct ps_backup_config *c;
	const struct ps_backup_set *s;
	const struct ps_finding *f;
	FILE *fp;

	snprintf(dir, sizeof(dir), "/tmp/ps-test-spool.%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/plain-file", dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	fp = fopen(file, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	/* a top-level default, relative to the config's directory (/tmp);
	 * a set's own key wins; positions point at the value */
	snprintf(text, sizeof(text),
		 "encryption: none\n"
		 "s3:\n"
		 "  spool_dir: ps-test-spool.%d/\n"
		 "backup:\n"
		 "  inherits:\n"
		 "    locations: [s3://bucket/p/]\n"
		 "    paths: [/etc]\n"
		 "  missing:\n"
		 "    locations: [s3://bucket/p/]\n"
		 "    paths: [/etc]\n"
		 "    s3:\n"
		 "      spool_dir: %s/gone\n"
		 "  notdir:\n"
		 "    locations: [s3://bucket/p/]\n"
		 "    paths: [/etc]\n"
		 "    s3: {spool_dir: %s}\n"
		 "  empty:\n"
		 "    locations: [s3://bucket/p/]\n"
		 "    paths: [/etc]\n"
		 "    s3:\n"
		 "      spool_dir: \"\"\n"
		 "  none:\n"
		 "    locations: [s3://bucket/p/]\n"
		 "    paths: [/etc]\n"
		 "    s3:\n"
		 "      region: eu-west-1\n", (int)getpid(), dir, file);
	c = load(text, &d);
	ck_assert_ptr_nonnull(c);
	/* the empty value is refused while loading, at the value */
	f = find_message(&d, "s3.spool_dir: expected a directory");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->line, 21);
	ck_assert_int_eq(f->col, 18);
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_ERROR), 1);
	ps_diags_free(&d);
	memset(&d, 0, sizeof(d));

	s = ps_backup_config_set(c, "inherits");
	ck_assert_str_eq(s->s3_spool_dir, dir);
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 0);
	s = ps_backup_config_set(c, "none");
	ck_assert_str_eq(s->s3_spool_dir, dir);	/* other s3 keys keep the default */
	ck_assert_str_eq(s->s3.region, "eu-west-1");

	s = ps_backup_config_set(c, "missing");
	snprintf(want, sizeof(want), "%s/gone", dir);
	ck_assert_str_eq(s->s3_spool_dir, want);
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 1);
	f = find_message(&d, "s3.spool_dir: '");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->file, path);
	ck_assert_int_eq(f->line, 12);
	ck_assert_int_eq(f->col, 18);
	ck_assert_msg(strstr(f->message, "backup.missing: ") &&
		      strstr(f->message, "is not an existing directory") &&
		      strstr(f->message, "No such file or directory"), "%s", f->message);
	ps_diags_free(&d);
	memset(&d, 0, sizeof(d));

	s = ps_backup_config_set(c, "notdir");
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 1);
	f = find_message(&d, "s3.spool_dir");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->line, 16);
	ck_assert_msg(strstr(f->message, "not a directory") != NULL, "%s", f->message);
	ps_diags_free(&d);
	ps_backup_config_free(c);
	unlink(file);
	rmdir(dir);
}
END_TEST

/* ps_backup_store_open hands the spool directory to the store: an s3://
 * writer of unknown size then creates its spool file there at once (no
 * request is sent before data), and fails naming the directory when it
 * has gone. */
START_TEST(s3_spool_dir_reaches_the_store)
{
	struct ps_diags d;
	char dir[128], text[512];
	struct ps_backup_config *c;
	const struct ps_backup_set *s;
	struct ps_store *st;
	struct ps_store_writer *w;
	struct ps_error err = {0};

	setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
	snprintf(dir, sizeof(dir), "/tmp/ps-test-spool2.%d", (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(text, sizeof(text),
		 "encryption: none\n"
		 "backup:\n"
		 "  files:\n"
		 "    locations: [s3://bucket/p/]\n"
		 "    paths: [/etc]\n"
		 "    s3: {endpoint: \"http://127.0.0.1:9\", spool_dir: %s}\n", dir);
	c = load(text, &d);
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_ERROR), 0);
	s = ps_backup_config_set(c, "files");
	ck_assert_uint_eq(ps_backup_set_check(c, s, &d), 0);
	st = ps_backup_store_open(c, s, "s3://bucket/p/", &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	w = ps_store_put_begin(st, "files/x.tar.zst", &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_int_eq(ps_store_put_write(w, "abc", 3, &err), 0);
	ps_store_put_abort(w);
	ck_assert_int_eq(rmdir(dir), 0);	/* nothing left behind */
	w = ps_store_put_begin(st, "files/y.tar.zst", &err);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(err.code, 3);
	ck_assert_msg(strstr(err.msg, "spool file") && strstr(err.msg, dir), "%s", err.msg);
	ps_store_close(st);
	ps_diags_free(&d);
	ps_backup_config_free(c);
}
END_TEST

/* The index of a large backup (above 1 MB) is parsed in two halves at
 * once: every entry in order, the count checked, and an error in either
 * half reported with its own line number (the earlier one first). */
START_TEST(large_index_parsed_in_halves)
{
	enum { N = 8000 };
	struct ps_archive_index idx;
	struct ps_error err = {0};
	struct ps_buf b = {0}, bad = {0};
	char name[64];
	size_t line_of_bad, wrong = 0;

	ps_buf_addf(&b, "{\"ps_archive_index\":1,\"entries\":%d}\n", N);
	for (int i = 0; i < N; i++) {
		struct ps_archive_entry e = { .path = name, .type = PS_ARCHIVE_FILE,
					      .size = (uint64_t)i, .mode = 0644,
					      .mtime = 1700000000 + i };
		snprintf(name, sizeof(name), "tree/dir-%03d/file-%05d.txt", i % 97, i);
		memset(e.sha256, "0123456789abcdef"[i % 16], 64);
		ps_archive_index_line(&b, &e);
	}
	ck_assert_uint_gt(b.len, 1u << 20);
	ck_assert_msg(ps_archive_index_parse(b.data, b.len, &idx, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(idx.len, N);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "tree/dir-%03d/file-%05d.txt", i % 97, i);
		wrong += strcmp(idx.v[i].path, name) != 0 || idx.v[i].size != (uint64_t)i ||
			 idx.v[i].mtime != 1700000000 + i ||
			 idx.v[i].sha256[0] != "0123456789abcdef"[i % 16];
	}
	ck_assert_uint_eq(wrong, 0);
	ps_archive_index_free(&idx);

	/* a bad line near the end (second half): its own line number */
	ps_buf_add(&bad, b.data, b.len);
	ps_buf_adds(&bad, "{\"path\":\"x\",\"type\":\"file\",\"size\":-1}\n");
	line_of_bad = N + 2;
	ck_assert_int_lt(ps_archive_index_parse(bad.data, bad.len, &idx, &err), 0);
	ck_assert_int_eq(err.code, PS_EXIT_FAIL);
	snprintf(name, sizeof(name), "index line %zu: bad size", line_of_bad);
	ck_assert_str_eq(err.msg, name);
	ck_assert_ptr_null(idx.v);
	/* one near the start too: the earlier line is the one reported */
	memcpy(strstr(bad.data, "\"type\":\"file\""), "\"type\":\"fifo\"", 13);
	ck_assert_int_lt(ps_archive_index_parse(bad.data, bad.len, &idx, &err), 0);
	ck_assert_str_eq(err.msg, "index line 2: bad or missing type");
	/* one entry fewer than announced */
	ck_assert_int_lt(ps_archive_index_parse(b.data, (size_t)((const char *)memrchr(
				b.data, '\n', b.len - 1) - b.data) + 1, &idx, &err), 0);
	ck_assert_msg(strstr(err.msg, "incomplete") != NULL, "%s", err.msg);
	ps_buf_free(&b);
	ps_buf_free(&bad);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("backup");
	TCase *t = tcase_create("core");
	SRunner *r;
	int failed;

	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_set_timeout(t, 60);	/* the large index under sanitizers */
	tcase_add_test(t, standards_database_set);
	tcase_add_test(t, database_key_forms);
	tcase_add_test(t, compression_level_defaults);
	tcase_add_test(t, database_set_errors);
	tcase_add_test(t, set_named_database_with_paths_is_files);
	tcase_add_test(t, manifest_kinds);
	tcase_add_test(t, ids_and_names);
	tcase_add_test(t, s3_spool_dir_key);
	tcase_add_test(t, s3_spool_dir_reaches_the_store);
	tcase_add_test(t, large_index_parsed_in_halves);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
