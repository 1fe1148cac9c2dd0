/* Unit tests for lib/dotenv: the .env parser. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dotenv.h"
#include "lib/util.h"

static struct ps_dotenv d;

static void parse(const char *s)
{
	ps_dotenv_parse(s, strlen(s), &d);
}

static void teardown(void)
{
	ps_dotenv_free(&d);
}

START_TEST(simple_entries)
{
	parse("# comment\nFOO=bar\n\nexport BAZ=qux\n");
	ck_assert_uint_eq(d.nlines, 4);
	ck_assert_int_eq(d.final_newline, 1);
	ck_assert_int_eq(d.lines[0].kind, PS_DOTENV_COMMENT);
	ck_assert_int_eq(d.lines[1].kind, PS_DOTENV_ENTRY);
	ck_assert_int_eq(d.lines[2].kind, PS_DOTENV_BLANK);
	ck_assert_uint_eq(d.nentries, 2);
	ck_assert_str_eq(d.entries[0].key, "FOO");
	ck_assert_str_eq(d.entries[0].value, "bar");
	ck_assert_int_eq(d.entries[0].line, 2);
	ck_assert_int_eq(d.entries[0].col, 1);
	ck_assert_int_eq(d.entries[0].value_col, 5);
	ck_assert_int_eq(d.entries[0].exported, 0);
	ck_assert_str_eq(d.entries[1].key, "BAZ");
	ck_assert_int_eq(d.entries[1].exported, 1);
	ck_assert_int_eq(d.entries[1].col, 8);
	ck_assert_uint_eq(d.nproblems, 0);
}
END_TEST

START_TEST(quotes_and_escapes)
{
	parse("A='single $X \\n'\nB=\"dq \\\"x\\\" \\n\\t\\\\ \\$Y\"\nC=`bt`\n");
	ck_assert_uint_eq(d.nentries, 3);
	ck_assert_str_eq(d.entries[0].value, "single $X \\n");
	ck_assert_int_eq(d.entries[0].quote, PS_DOTENV_QUOTE_SINGLE);
	ck_assert_uint_eq(d.entries[0].nrefs, 0);
	ck_assert_str_eq(d.entries[1].value, "dq \"x\" \n\t\\ $Y");
	ck_assert_int_eq(d.entries[1].quote, PS_DOTENV_QUOTE_DOUBLE);
	ck_assert_uint_eq(d.entries[1].nrefs, 0);	/* \$Y is literal */
	ck_assert_str_eq(d.entries[1].raw_value, "\"dq \\\"x\\\" \\n\\t\\\\ \\$Y\"");
	ck_assert_str_eq(d.entries[2].value, "bt");
	ck_assert_int_eq(d.entries[2].quote, PS_DOTENV_QUOTE_BACKTICK);
}
END_TEST

START_TEST(inline_comments)
{
	parse("A=value # note\nB=\"quoted # not\" # yes\nC=a#b\nD= #c\n");
	ck_assert_str_eq(d.entries[0].value, "value");
	ck_assert_str_eq(d.entries[0].comment, " note");
	ck_assert_str_eq(d.entries[1].value, "quoted # not");
	ck_assert_str_eq(d.entries[1].comment, " yes");
	ck_assert_str_eq(d.entries[2].value, "a#b");
	ck_assert_ptr_null(d.entries[2].comment);
	ck_assert_str_eq(d.entries[3].value, "");
	ck_assert_str_eq(d.entries[3].comment, "c");
}
END_TEST

START_TEST(multiline_value)
{
	parse("KEY=\"-----BEGIN\nline2\n-----END\"\nNEXT=1\n");
	ck_assert_uint_eq(d.nentries, 2);
	ck_assert_str_eq(d.entries[0].value, "-----BEGIN\nline2\n-----END");
	ck_assert_int_eq(d.entries[0].line, 1);
	ck_assert_int_eq(d.entries[0].end_line, 3);
	ck_assert_str_eq(d.entries[0].raw, "KEY=\"-----BEGIN\nline2\n-----END\"");
	ck_assert_int_eq(d.lines[1].kind, PS_DOTENV_CONT);
	ck_assert_int_eq(d.lines[2].entry, 0);
	ck_assert_str_eq(d.entries[1].key, "NEXT");
	ck_assert_int_eq(d.entries[1].line, 4);
}
END_TEST

START_TEST(crlf_lines)
{
	parse("A=1\r\nB=\"x\r\ny\"\r\n");
	ck_assert_uint_eq(d.nlines, 3);
	ck_assert_int_eq(d.lines[0].crlf, 1);
	ck_assert_uint_eq(d.lines[0].len, 3);
	ck_assert_str_eq(d.entries[0].value, "1");
	ck_assert_str_eq(d.entries[1].value, "x\ny");
}
END_TEST

START_TEST(lone_carriage_returns)
{
	parse("A=x\r\r\nB=\r\n\r\n");
	ck_assert_uint_eq(d.nentries, 2);
	ck_assert_str_eq(d.entries[0].value, "x");
	ck_assert_str_eq(d.entries[1].value, "");
	ck_assert_int_eq(d.lines[2].kind, PS_DOTENV_BLANK);
}
END_TEST

START_TEST(references)
{
	parse("URL=postgres://${DB_USER}:${DB_PASS:-x}@h/$DB_NAME\n"
	      "SSM=${ssm:/prod/api-key}\nESC=\\$HOME\nQ='$NOPE'\n");
	ck_assert_uint_eq(d.entries[0].nrefs, 3);
	ck_assert_str_eq(d.entries[0].refs[0].name, "DB_USER");
	ck_assert_int_eq(d.entries[0].refs[0].braced, 1);
	ck_assert_int_eq(d.entries[0].refs[0].col, 16);
	ck_assert_str_eq(d.entries[0].refs[1].name, "DB_PASS");
	ck_assert_str_eq(d.entries[0].refs[1].expr, "DB_PASS:-x");
	ck_assert_str_eq(d.entries[0].refs[2].name, "DB_NAME");
	ck_assert_int_eq(d.entries[0].refs[2].braced, 0);
	ck_assert_uint_eq(d.entries[1].nrefs, 1);
	ck_assert_str_eq(d.entries[1].refs[0].name, "ssm");
	ck_assert_str_eq(d.entries[1].refs[0].expr, "ssm:/prod/api-key");
	ck_assert(ps_dotenv_is_reference(&d.entries[1]));
	ck_assert_uint_eq(d.entries[2].nrefs, 0);
	ck_assert_uint_eq(d.entries[3].nrefs, 0);
}
END_TEST

START_TEST(problems)
{
	parse("A=\"open\nB=2\nC='x' junk\n=nokey\n");
	/* the unterminated quote does not swallow the lines below */
	ck_assert_uint_eq(d.nentries, 4);
	ck_assert_str_eq(d.entries[1].key, "B");
	ck_assert_uint_eq(d.nproblems, 3);
	ck_assert_int_eq(d.problems[0].line, 1);
	ck_assert_int_eq(d.problems[0].col, 3);
	ck_assert_str_eq(d.problems[0].msg, "unterminated double-quoted value");
	ck_assert_int_eq(d.problems[1].line, 3);
	ck_assert_int_eq(d.problems[1].col, 7);
	ck_assert_int_eq(d.problems[2].line, 4);
}
END_TEST

START_TEST(no_equals_and_spaces)
{
	parse("FOO\nBAR = baz  \n  export X=1");
	ck_assert_int_eq(d.final_newline, 0);
	ck_assert_int_eq(d.entries[0].has_eq, 0);
	ck_assert_str_eq(d.entries[0].key, "FOO");
	ck_assert_str_eq(d.entries[1].key, "BAR");
	ck_assert_str_eq(d.entries[1].value, "baz");
	ck_assert_int_eq(d.entries[1].value_col, 7);
	ck_assert_int_eq(d.entries[2].exported, 1);
	ck_assert_int_eq(d.entries[2].col, 10);
}
END_TEST

START_TEST(get_last_wins)
{
	parse("A=1\nA=2\n");
	ck_assert_str_eq(ps_dotenv_get(&d, "A")->value, "2");
	ck_assert_ptr_null(ps_dotenv_get(&d, "B"));
}
END_TEST

START_TEST(key_index)
{
	struct ps_buf b = { 0 };
	int i;

	for (i = 0; i < 1000; i++)
		ps_buf_addf(&b, "K%d=%d\n", i % 300, i);
	ps_dotenv_parse(b.data, b.len, &d);
	ck_assert_uint_eq(d.nentries, 1000);
	ck_assert_str_eq(ps_dotenv_get(&d, "K7")->value, "907");
	ck_assert_int_eq(ps_dotenv_get(&d, "K7")->line, 908);
	ck_assert_int_eq(ps_dotenv_prev(&d, 907), 607);
	ck_assert_int_eq(ps_dotenv_prev(&d, 7), -1);
	ck_assert_ptr_null(ps_dotenv_get(&d, "K300"));
	ps_buf_free(&b);
}
END_TEST

START_TEST(empty_and_nul)
{
	ps_dotenv_parse("", 0, &d);
	ck_assert_uint_eq(d.nlines, 0);
	ck_assert_uint_eq(d.nentries, 0);
	ps_dotenv_free(&d);
	ps_dotenv_parse("A=x\0y\n", 6, &d);
	ck_assert_int_eq(d.has_nul, 1);
	ck_assert_str_eq(d.entries[0].value, "x y");
}
END_TEST

START_TEST(key_valid)
{
	ck_assert(ps_dotenv_key_valid("FOO_1"));
	ck_assert(ps_dotenv_key_valid("_x"));
	ck_assert(!ps_dotenv_key_valid("1A"));
	ck_assert(!ps_dotenv_key_valid("A-B"));
	ck_assert(!ps_dotenv_key_valid(""));
}
END_TEST

START_TEST(format_value)
{
	char *s;

	s = ps_dotenv_format_value("plain/v:1", 9, 0);
	ck_assert_str_eq(s, "plain/v:1");
	free(s);
	s = ps_dotenv_format_value("two words", 9, 0);
	ck_assert_str_eq(s, "'two words'");
	free(s);
	s = ps_dotenv_format_value("it's $x", 7, 0);
	ck_assert_str_eq(s, "\"it's \\$x\"");
	free(s);
	s = ps_dotenv_format_value("a ${B}", 6, 1);
	ck_assert_str_eq(s, "\"a ${B}\"");
	free(s);
	s = ps_dotenv_format_value("l1\nl2", 5, 0);
	ck_assert_str_eq(s, "\"l1\\nl2\"");
	free(s);
}
END_TEST

START_TEST(env_names)
{
	ck_assert_str_eq(ps_dotenv_env_of_file("x/.env.production"), "production");
	ck_assert_str_eq(ps_dotenv_env_of_file(".env.prod"), "production");
	ck_assert_str_eq(ps_dotenv_env_of_file(".env.dev"), "development");
	ck_assert_str_eq(ps_dotenv_env_of_file(".env.stg"), "staging");
	ck_assert_str_eq(ps_dotenv_env_of_file(".env.test"), "test");
	ck_assert_str_eq(ps_dotenv_env_of_file(".env.eu1"), "eu1");
	ck_assert_ptr_null(ps_dotenv_env_of_file(".env"));
	ck_assert_ptr_null(ps_dotenv_env_of_file("app.env"));
	ck_assert_ptr_null(ps_dotenv_env_of_file(".env.example"));
	ck_assert_ptr_null(ps_dotenv_env_of_file(".env.local"));
	ck_assert_ptr_null(ps_dotenv_env_of_file(".env.production.local"));
	ck_assert(ps_dotenv_is_template("dir/.env.sample"));
	ck_assert(!ps_dotenv_is_template(".env.staging"));
	ck_assert_str_eq(ps_dotenv_env_canonical("PROD"), "production");
	ck_assert_ptr_null(ps_dotenv_env_canonical("nope"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dotenv");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, simple_entries);
	tcase_add_test(tc, quotes_and_escapes);
	tcase_add_test(tc, inline_comments);
	tcase_add_test(tc, multiline_value);
	tcase_add_test(tc, crlf_lines);
	tcase_add_test(tc, lone_carriage_returns);
	tcase_add_test(tc, references);
	tcase_add_test(tc, problems);
	tcase_add_test(tc, no_equals_and_spaces);
	tcase_add_test(tc, get_last_wins);
	tcase_add_test(tc, key_index);
	tcase_add_test(tc, empty_and_nul);
	tcase_add_test(tc, key_valid);
	tcase_add_test(tc, format_value);
	tcase_add_test(tc, env_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
