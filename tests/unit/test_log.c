/* Check suite for lib/log.c: secret redaction and secret-looking names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

static void
check_redact(const char *in, const char *want)
{
	char *got = ps_redact(in);

	ck_assert_msg(strcmp(got, want) == 0, "redact(%s) = %s, want %s", in,
		      got, want);
	free(got);
}

START_TEST(url_passwords_are_masked)
{
	check_redact("postgres://bob:s3cret@db:5432/app",
		     "postgres://bob:***@db:5432/app");
	check_redact("connect to https://u:p%40ss@host/x failed",
		     "connect to https://u:***@host/x failed");
	/* No password, nothing to mask. */
	check_redact("postgres://bob@db/app", "postgres://bob@db/app");
	check_redact("https://example.com/a?b=1", "https://example.com/a?b=1");
	check_redact("two: s3://k:v@b/x and http://a:b@c",
		     "two: s3://k:***@b/x and http://a:***@c");
}
END_TEST

START_TEST(secret_assignments_are_masked)
{
	check_redact("API_KEY=abc123 LOG_LEVEL=debug",
		     "API_KEY=*** LOG_LEVEL=debug");
	check_redact("DB_PASSWORD='x y z'", "DB_PASSWORD='***'");
	check_redact("\"password\": \"hunter2\"", "\"password\": \"***\"");
	check_redact("aws_secret_access_key = AbC", "aws_secret_access_key = ***");
	check_redact("host=db password=foo dbname=app",
		     "host=db password=*** dbname=app");
	/* References are not secrets and stay readable. */
	check_redact("API_KEY=${PROD_API_KEY}", "API_KEY=${PROD_API_KEY}");
	check_redact("API_KEY: \"${PROD_API_KEY}\"", "API_KEY: \"${PROD_API_KEY}\"");
	/* Names that only look alike are left alone. */
	check_redact("AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_ACCESS_KEY_ID=AKIAEXAMPLE");
	check_redact("MONKEY=banana", "MONKEY=banana");
}
END_TEST

START_TEST(secret_names)
{
	ck_assert(ps_is_secret_name("API_KEY"));
	ck_assert(ps_is_secret_name("apiKey"));
	ck_assert(ps_is_secret_name("DB_PASSWORD"));
	ck_assert(ps_is_secret_name("GITHUB_TOKEN"));
	ck_assert(ps_is_secret_name("AWS_SECRET_ACCESS_KEY"));
	ck_assert(ps_is_secret_name("client_secret"));
	ck_assert(ps_is_secret_name("APIKEY"));
	ck_assert(!ps_is_secret_name("MONKEY"));
	ck_assert(!ps_is_secret_name("AWS_ACCESS_KEY_ID"));
	ck_assert(!ps_is_secret_name("PRIMARY_KEY"));
	ck_assert(!ps_is_secret_name("PWD"));
	ck_assert(!ps_is_secret_name("LOG_LEVEL"));
	ck_assert(!ps_is_secret_name("KEY_FILE"));
	ck_assert(!ps_is_secret_name("FLEET_TOKEN_POLICY_NAME"));
	ck_assert(!ps_is_secret_name(""));
	/* case as written: the boundary of apiKey, any case for the rest */
	ck_assert(ps_is_secret_name("Db_Password"));
	ck_assert(ps_is_secret_name("secret"));
	ck_assert(ps_is_secret_name("myApiKeyProd"));
	ck_assert(!ps_is_secret_name("monkey"));
	ck_assert(!ps_is_secret_name("Cache_Key"));
	ck_assert(ps_is_secret_name("apikeyword"));
	{
		/* longer than the matcher's stack room */
		char longname[300];

		memset(longname, 'x', 250);
		strcpy(longname + 250, "_TOKEN");
		ck_assert(ps_is_secret_name(longname));
		strcpy(longname + 250, "_TOKEN_FILE");
		ck_assert(!ps_is_secret_name(longname));
		strcpy(longname + 250, "mykey");
		ck_assert(!ps_is_secret_name(longname));
	}
}
END_TEST

START_TEST(color_honours_mode_and_no_color)
{
	ps_log_set_color(PS_COLOR_ALWAYS);
	ck_assert(ps_log_use_color(stderr));
	ps_log_set_color(PS_COLOR_NEVER);
	ck_assert(!ps_log_use_color(stderr));
	ps_log_set_color(PS_COLOR_AUTO);
	setenv("NO_COLOR", "1", 1);
	ck_assert(!ps_log_use_color(stderr));
	unsetenv("NO_COLOR");
	ps_log_init("/usr/bin/ps-thing");
	ck_assert_str_eq(ps_log_progname(), "ps-thing");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, url_passwords_are_masked);
	tcase_add_test(tc, secret_assignments_are_masked);
	tcase_add_test(tc, secret_names);
	tcase_add_test(tc, color_honours_mode_and_no_color);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
