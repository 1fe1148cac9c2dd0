/* Unit tests for lib/dbarchive without a server: segment names, and the
 * checks of an unpacked dump (segments present, numbered without gaps,
 * adding up to each table's size). The dump and the restore themselves run
 * against a real server in tests/cli/ps-backup-db.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dbarchive.h"

static char dir[256];

/* Two tables: public.a with 10 bytes of data, public.b with none. */
static const char toc[] =
	"{\"ps_pgdump\":1,\"server_version\":150004,\"encoding\":\"UTF8\","
	"\"database\":\"shop\",\"entries\":[],\"tables\":["
	"{\"schema\":\"public\",\"name\":\"a\",\"qname\":\"public.a\",\"columns\":\"x\","
	"\"est_bytes\":8192,\"rows\":2,\"bytes\":10,\"checksum\":\"0000000000000001\"},"
	"{\"schema\":\"public\",\"name\":\"b\",\"qname\":\"public.b\",\"columns\":\"y\","
	"\"est_bytes\":0,\"rows\":0,\"bytes\":0,\"checksum\":\"0000000000000000\"}]}";

static void
put(const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static char *
seg(const char *table, unsigned seq)
{
	struct ps_pgdump_table t = { .qname = (char *)table };

	return ps_dbarchive_segment_name(&t, seq);
}

static void
setup(void)
{
	char data[300], *a0, *a1, *b0;

	snprintf(dir, sizeof(dir), "/tmp/ps-test-dbarchive.%d", (int)getpid());
	snprintf(data, sizeof(data), "%s/data", dir);
	mkdir(dir, 0700);
	mkdir(data, 0700);
	put(PS_PGDUMP_TOC_NAME, toc);
	a0 = seg("public.a", 0);
	a1 = seg("public.a", 1);
	b0 = seg("public.b", 0);
	put(a0, "1\tx\n");	/* 4 bytes */
	put(a1, "2\tyyy\n");	/* 6 bytes */
	put(b0, "");
	free(a0);
	free(a1);
	free(b0);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(segment_names)
{
	char *n0 = seg("public.a", 0), *n7 = seg("public.a", 7), *file;
	struct ps_pgdump_table t = { .qname = "public.a" };

	file = ps_pgdump_table_file(&t);
	ck_assert_int_eq(strncmp(n0, file, strlen(file)), 0);
	ck_assert_str_eq(n0 + strlen(file), ".000000");
	ck_assert_str_eq(n7 + strlen(file), ".000007");
	ck_assert_int_eq(strncmp(n0, "data/", 5), 0);
	free(n0);
	free(n7);
	free(file);
}
END_TEST

START_TEST(read_dir_accepts_complete_dump)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = {0};

	ck_assert_msg(ps_dbarchive_read_dir(dir, &d, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(d->ntables, 2);
	ck_assert_uint_eq(d->tables[0].bytes, 10);
	ps_pgdump_free(d);
}
END_TEST

START_TEST(read_dir_refuses_missing_segment)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = {0};
	char path[512], *a1 = seg("public.a", 1);

	snprintf(path, sizeof(path), "%s/%s", dir, a1);
	free(a1);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ps_dbarchive_read_dir(dir, &d, &err), -1);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(err.code, 1);
	ck_assert_msg(strstr(err.msg, "public.a") && strstr(err.msg, "4 bytes"), "%s", err.msg);
}
END_TEST

START_TEST(read_dir_refuses_a_gap)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = {0};
	char path[512], *a0 = seg("public.a", 0);

	/* segment 0 gone, segment 1 still there: the table's data starts
	 * nowhere */
	snprintf(path, sizeof(path), "%s/%s", dir, a0);
	free(a0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ps_dbarchive_read_dir(dir, &d, &err), -1);
	ck_assert_int_eq(err.code, 1);
	ck_assert_msg(strstr(err.msg, "public.a") && strstr(err.msg, "missing"), "%s", err.msg);
}
END_TEST

START_TEST(read_dir_refuses_missing_empty_table)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = {0};
	char path[512], *b0 = seg("public.b", 0);

	snprintf(path, sizeof(path), "%s/%s", dir, b0);
	free(b0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ps_dbarchive_read_dir(dir, &d, &err), -1);
	ck_assert_int_eq(err.code, 1);
	ck_assert_msg(strstr(err.msg, "public.b"), "%s", err.msg);
}
END_TEST

START_TEST(read_dir_refuses_extra_bytes)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = {0};
	char *a2 = seg("public.a", 2);

	put(a2, "3\tz\n");
	free(a2);
	ck_assert_int_eq(ps_dbarchive_read_dir(dir, &d, &err), -1);
	ck_assert_int_eq(err.code, 1);
	ck_assert_msg(strstr(err.msg, "14 bytes"), "%s", err.msg);
}
END_TEST

START_TEST(read_dir_without_toc)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = {0};
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, PS_PGDUMP_TOC_NAME);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ps_dbarchive_read_dir(dir, &d, &err), -1);
	ck_assert_int_eq(err.code, 1);
	ck_assert_msg(strstr(err.msg, "not a database backup"), "%s", err.msg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dbarchive");
	TCase *t = tcase_create("core");
	SRunner *r;
	int failed;

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, segment_names);
	tcase_add_test(t, read_dir_accepts_complete_dump);
	tcase_add_test(t, read_dir_refuses_missing_segment);
	tcase_add_test(t, read_dir_refuses_a_gap);
	tcase_add_test(t, read_dir_refuses_missing_empty_table);
	tcase_add_test(t, read_dir_refuses_extra_bytes);
	tcase_add_test(t, read_dir_without_toc);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
