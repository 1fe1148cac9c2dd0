/* Unit tests for lib/pg's connection-string helpers (no server needed;
 * connections and health run against a real server in tests/cli). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pg.h"

START_TEST(password_detected)
{
	struct ps_error err = {0};

	ck_assert_int_eq(ps_pg_conninfo_has_password("postgresql://app@db/app", &err), 0);
	ck_assert_int_eq(ps_pg_conninfo_has_password("postgresql://app:pw@db/app", &err), 1);
	ck_assert_int_eq(ps_pg_conninfo_has_password("host=db user=app", &err), 0);
	ck_assert_int_eq(ps_pg_conninfo_has_password("host=db password='x y'", &err), 1);
	ck_assert_int_eq(ps_pg_conninfo_has_password("postgresql://db/app?password=pw", &err), 1);
	ck_assert_int_eq(ps_pg_conninfo_has_password("host='unterminated", &err), -1);
	ck_assert_int_eq(err.code, 2);
}
END_TEST

START_TEST(with_db_replaces_the_database)
{
	struct ps_error err = {0};
	char *s = ps_pg_conninfo_with_db("postgresql://app@db.internal:5433/prod?sslmode=require",
					 "drill", &err);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "dbname='drill'"), "%s", s);
	ck_assert_msg(strstr(s, "host='db.internal'"), "%s", s);
	ck_assert_msg(strstr(s, "port='5433'"), "%s", s);
	ck_assert_msg(strstr(s, "sslmode='require'"), "%s", s);
	ck_assert_msg(!strstr(s, "prod"), "%s", s);
	free(s);
	/* quotes and backslashes in values survive */
	s = ps_pg_conninfo_with_db("host=db", "it's\\x", &err);
	ck_assert_str_eq(s, "dbname='it\\'s\\\\x' host='db'");
	free(s);
	/* nothing given: libpq's defaults with the database set */
	unsetenv("DATABASE_URL");
	s = ps_pg_conninfo_with_db(NULL, "d", &err);
	ck_assert_str_eq(s, "dbname='d'");
	free(s);
	setenv("DATABASE_URL", "postgresql://u@h/x", 1);
	s = ps_pg_conninfo_with_db(NULL, "d", &err);
	ck_assert_msg(strstr(s, "host='h'") && strstr(s, "user='u'") && strstr(s, "dbname='d'"),
		      "%s", s);
	free(s);
	unsetenv("DATABASE_URL");
	ck_assert_ptr_null(ps_pg_conninfo_with_db("host='bad", "d", &err));
}
END_TEST

START_TEST(parse_errors_hide_passwords)
{
	struct ps_error err = {0};

	ck_assert_int_eq(ps_pg_conninfo_has_password("postgresql://u:sekrit@h/x?sslmode=%zz",
						     &err), -1);
	ck_assert_int_eq(err.code, 2);
	ck_assert_msg(err.msg[0] && !strstr(err.msg, "sekrit"), "%s", err.msg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pg");
	TCase *t = tcase_create("conninfo");
	SRunner *r;
	int failed;

	tcase_add_test(t, password_detected);
	tcase_add_test(t, with_db_replaces_the_database);
	tcase_add_test(t, parse_errors_hide_passwords);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
