/* Check suite for lib/util.c: errors, buffers, number parsing, did-you-mean. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

START_TEST(error_set_fills_message_and_code)
{
	struct ps_error e = {0};

	ck_assert_int_eq(ps_error_set(&e, 3, "cannot open '%s'", "x"), -1);
	ck_assert_int_eq(e.code, 3);
	ck_assert_str_eq(e.msg, "cannot open 'x'");
	ck_assert_int_eq(ps_error_at(&e, 2, 7, 18, "bad %d", 1), -1);
	ck_assert_int_eq(e.line, 7);
	ck_assert_int_eq(e.col, 18);
	ps_error_clear(&e);
	ck_assert_int_eq(e.code, 0);
	/* A NULL error is allowed. */
	ck_assert_int_eq(ps_error_set(NULL, 2, "x"), -1);
}
END_TEST

START_TEST(buf_appends_and_detaches)
{
	struct ps_buf b = {0};
	char *s;
	int i;

	ck_assert_str_eq(ps_buf_str(&b), "");
	ps_buf_adds(&b, "abc");
	ps_buf_addc(&b, '-');
	ps_buf_addf(&b, "%d/%s", 42, "x");
	ck_assert_str_eq(ps_buf_str(&b), "abc-42/x");
	ck_assert_uint_eq(b.len, 8);
	for (i = 0; i < 1000; i++)
		ps_buf_addf(&b, "%0100d", i);
	ck_assert_uint_eq(b.len, 8 + 100000);
	ck_assert_uint_eq(strlen(b.data), b.len);
	ps_buf_reset(&b);
	ck_assert_str_eq(ps_buf_str(&b), "");
	ps_buf_add(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	s = ps_buf_detach(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_int_eq(memcmp(s, "a\0b", 4), 0);
	free(s);
	s = ps_buf_detach(&b);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(parse_long_is_strict)
{
	long v = 0;

	ck_assert_int_eq(ps_parse_long("30", 0, 100, &v), 0);
	ck_assert_int_eq(v, 30);
	ck_assert_int_eq(ps_parse_long("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(ps_parse_long("thirty", 0, 100, &v), -1);
	ck_assert_int_eq(ps_parse_long("30d", 0, 100, &v), -1);
	ck_assert_int_eq(ps_parse_long("", 0, 100, &v), -1);
	ck_assert_int_eq(ps_parse_long("101", 0, 100, &v), -1);
	ck_assert_int_eq(ps_parse_long("99999999999999999999999", 0, 100, &v), -1);
	ck_assert_int_eq(v, -5);
}
END_TEST

START_TEST(parse_double_is_strict)
{
	double d = 0;

	ck_assert_int_eq(ps_parse_double("0.05", &d), 0);
	ck_assert(d > 0.0499 && d < 0.0501);
	ck_assert_int_eq(ps_parse_double("1e3", &d), 0);
	ck_assert(d == 1000.0);
	ck_assert_int_eq(ps_parse_double("1.5x", &d), -1);
	ck_assert_int_eq(ps_parse_double("inf", &d), -1);
	ck_assert_int_eq(ps_parse_double("nan", &d), -1);
}
END_TEST

START_TEST(did_you_mean_picks_close_words)
{
	static const char *const keys[] = {
		"interval", "timeout", "retries", "name", "url", NULL
	};

	ck_assert_uint_eq(ps_edit_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(ps_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(ps_edit_distance("same", "same"), 0);
	ck_assert_uint_eq(ps_edit_distance("nmae", "name"), 1);
	ck_assert_str_eq(ps_did_you_mean("intervall", keys, 5), "interval");
	ck_assert_str_eq(ps_did_you_mean("timeuot", keys, 5), "timeout");
	ck_assert_str_eq(ps_did_you_mean("nmae", keys, 5), "name");
	ck_assert_ptr_null(ps_did_you_mean("schedule", keys, 5));
}
END_TEST

START_TEST(sha256_matches_known_vectors)
{
	char hex[65];

	ps_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ps_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* Populating pages keeps what they hold, at any alignment and size. */
START_TEST(prefault_keeps_contents)
{
	size_t n = (3 << 20) + 123;
	unsigned char *p = ps_xmalloc(n), *want = ps_xmalloc(n);

	for (size_t i = 0; i < n; i++)
		want[i] = (unsigned char)(i * 7 + 1);
	memcpy(p, want, n);
	ps_prefault(p + 1, n - 1);
	ps_prefault(p, 0);
	ps_prefault(p + 5, 10);
	ck_assert_int_eq(memcmp(p, want, n), 0);
	free(p);
	free(want);
}
END_TEST

START_TEST(read_file_reads_and_reports)
{
	struct ps_buf b = {0};
	struct ps_error e = {0};
	char path[] = "/tmp/ps-test-util-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	ck_assert_int_eq(ps_read_file(path, &b, &e), 0);
	ck_assert_str_eq(ps_buf_str(&b), "hello\n");
	unlink(path);
	ps_buf_free(&b);
	ck_assert_int_eq(ps_read_file(path, &b, &e), -1);
	ck_assert_int_eq(e.code, 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, error_set_fills_message_and_code);
	tcase_add_test(tc, buf_appends_and_detaches);
	tcase_add_test(tc, parse_long_is_strict);
	tcase_add_test(tc, parse_double_is_strict);
	tcase_add_test(tc, did_you_mean_picks_close_words);
	tcase_add_test(tc, sha256_matches_known_vectors);
	tcase_add_test(tc, read_file_reads_and_reports);
	tcase_add_test(tc, prefault_keeps_contents);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
