/* Unit tests for lib/dbarchive without a server: segment names, the
 * checks of an unpacked dump (segments present, numbered without gaps,
 * adding up to each table's size), and the restore's source cutting a
 * table into parts at rows. The dump and the restore themselves run
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

/* COPY text of rows 1..nrows, some of them longer than max (a segment). */
static char *
make_rows(unsigned nrows, size_t max, size_t *len)
{
	struct ps_buf b = { 0 };
	unsigned i, j;

	for (i = 1; i <= nrows; i++) {
		ps_buf_addf(&b, "%u\t", i);
		for (j = 0; j < (i * 7919u) % (i % 11 == 0 ? 3 * max : max / 2 + 1); j++)
			ps_buf_addc(&b, (char)('a' + (i + j) % 26));
		ps_buf_addc(&b, '\n');
	}
	*len = b.len;
	return ps_buf_detach(&b);
}

/* Write text as segments of size sz of public.a; their number. */
static unsigned
write_segments(const char *text, size_t len, size_t sz)
{
	unsigned seq = 0;
	size_t off = 0;

	do {
		char *name = seg("public.a", seq++), path[600];
		size_t k = len - off < sz ? len - off : sz;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		free(name);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(text + off, 1, k, f), k);
		fclose(f);
		off += k;
	} while (off < len);
	return seq;
}

static unsigned
segments_left(unsigned nseg)
{
	unsigned seq, left = 0;

	for (seq = 0; seq < nseg; seq++) {
		char *name = seg("public.a", seq), path[600];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		free(name);
		left += access(path, F_OK) == 0;
	}
	return left;
}

/*
 * Parts cut at rows: for segment sizes from 1 byte up, rows both shorter
 * and longer than a segment, and 1, 2, 3, 5 and 9 parts read one after
 * the other, last first, or all at once a few bytes at a time, the parts
 * are whole rows and together the table's text; a table read whole leaves
 * no segment behind, and parts leave at most the seams when rows are
 * shorter than a segment.
 */
START_TEST(source_parts_cut_at_rows)
{
	static const size_t sizes[] = { 1, 2, 5, 16, 64, 333, 4096 };
	struct ps_pgdump_table t = { .qname = "public.a" };
	struct ps_pgdump d = { .tables = &t, .ntables = 1 };
	size_t zi, len, got;
	unsigned n, k, order, nseg;

	for (zi = 0; zi < sizeof(sizes) / sizeof(sizes[0]); zi++) {
		int short_rows = zi == 6;
		/* few rows in many tiny segments, so the test stays quick */
		unsigned nrows = short_rows ? 300 : sizes[zi] <= 5 ? 30 : 120;
		char *text = make_rows(nrows, short_rows ? 64 : sizes[zi], &len);

		for (n = 1; n <= 9; n += n < 3 ? 1 : n - 1) {	/* 1, 2, 3, 5, 9 */
			for (order = 0; order < 3; order++) {
				struct ps_pgdump_source src;
				struct ps_error err = { 0 };
				struct ps_buf part[9] = { { 0 } };
				void *st[9];
				char buf[4096];
				int live;

				nseg = write_segments(text, len, sizes[zi]);
				ck_assert_msg(ps_dbarchive_source(dir, &d, &src, &err) == 0, "%s",
					      err.msg);
				for (k = 0; k < n; k++) {
					int rc = n == 1 ? src.open(src.arg, &t, &st[k], &err)
						: src.open_part(src.arg, &t, k, n, &st[k], &err);
					ck_assert_msg(rc == 0, "%s", err.msg);
				}
				/* 0: in order, 1: last first, 2: all at once */
				do {
					live = 0;
					for (unsigned q = 0; q < n; q++) {
						unsigned kk = order == 1 ? n - 1 - q : q;
						ssize_t r;

						if (!st[kk])
							continue;
						do {
							r = src.read(st[kk], buf,
								     order == 2 ? 7 : sizeof(buf),
								     &err);
							ck_assert_msg(r >= 0, "size %zu, part %u of %u: %s",
								      sizes[zi], kk, n, err.msg);
							ps_buf_add(&part[kk], buf, (size_t)r);
						} while (r > 0 && order != 2);
						if (r == 0) {
							src.close(st[kk]);
							st[kk] = NULL;
						} else {
							live = 1;
						}
					}
				} while (live);
				got = 0;
				for (k = 0; k < n; k++) {
					const struct ps_buf *p = &part[k];

					ck_assert_msg(p->len == 0 || p->data[p->len - 1] == '\n',
						      "size %zu, part %u of %u ends inside a row",
						      sizes[zi], k, n);
					ck_assert_msg(got + p->len <= len &&
						      memcmp(text + got, p->data, p->len) == 0,
						      "size %zu, part %u of %u is not the next rows",
						      sizes[zi], k, n);
					ck_assert(got == 0 || text[got - 1] == '\n');
					got += p->len;
					ps_buf_free(&part[k]);
				}
				ck_assert_uint_eq(got, len);
				if (n == 1)
					ck_assert_uint_eq(segments_left(nseg), 0);
				else if (short_rows)
					ck_assert_uint_le(segments_left(nseg), n - 1);
				ps_dbarchive_source_free(&src);
				for (k = 0; k < nseg; k++) {
					char *name = seg("public.a", k), path[600];

					snprintf(path, sizeof(path), "%s/%s", dir, name);
					free(name);
					unlink(path);
				}
			}
		}
		free(text);
	}
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
	tcase_set_timeout(t, 60);	/* many small files, and a busy machine */
	tcase_add_test(t, segment_names);
	tcase_add_test(t, read_dir_accepts_complete_dump);
	tcase_add_test(t, read_dir_refuses_missing_segment);
	tcase_add_test(t, read_dir_refuses_a_gap);
	tcase_add_test(t, read_dir_refuses_missing_empty_table);
	tcase_add_test(t, read_dir_refuses_extra_bytes);
	tcase_add_test(t, read_dir_without_toc);
	tcase_add_test(t, source_parts_cut_at_rows);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
