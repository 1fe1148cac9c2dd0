/* Check suite for lib/records: the JSON-lines reader and writer, finding
 * <-> record conversion and the typed getters. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/records.h"

/* A reader over the bytes s (n of them). */
static FILE *
mem_in(const char *s, size_t n)
{
	FILE *f = fmemopen((void *)s, n, "r");

	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_reader_blank_and_last_line)
{
	static const char in[] = "\n{\"type\":\"a\",\"tool\":\"t\"}\n   \n\t\r\n"
				 "{\"type\":\"b\",\"tool\":\"t\"}";
	FILE *f = mem_in(in, sizeof(in) - 1);
	struct ps_rec_reader *r = ps_rec_open(f, "stdin");
	struct ps_error err = {0};
	json_t *rec;

	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 1);
	ck_assert_str_eq(ps_rec_type(rec), "a");
	ck_assert_uint_eq(ps_rec_line(r), 2);
	json_decref(rec);
	/* the last line has no newline: still a record */
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 1);
	ck_assert_str_eq(ps_rec_type(rec), "b");
	ck_assert_uint_eq(ps_rec_line(r), 5);
	json_decref(rec);
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 0);
	ck_assert_ptr_null(rec);
	ck_assert_str_eq(ps_rec_name(r), "stdin");
	ps_rec_close(r);
	fclose(f);
}
END_TEST

START_TEST(test_reader_bad_lines)
{
	static const char in[] = "{\"type\":\"a\",\"tool\":\"t\"}\n"
				 "{\"type\": oops}\n"
				 "[1,2]\n"
				 "42\n"
				 "{\"a\":1} trailing\n"
				 "{\"type\":\"z\",\"tool\":\"t\"}\n";
	FILE *f = mem_in(in, sizeof(in) - 1);
	struct ps_rec_reader *r = ps_rec_open(f, "in.jsonl");
	struct ps_error err = {0};
	json_t *rec;

	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 1);
	json_decref(rec);
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), -1);
	ck_assert_ptr_null(rec);
	ck_assert_int_eq(err.code, 2);
	ck_assert_int_eq(err.line, 2);
	ck_assert_msg(strncmp(err.msg, "in.jsonl:2: invalid JSON: ", 26) == 0,
		      "got '%s'", err.msg);
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), -1);
	ck_assert_str_eq(err.msg, "in.jsonl:3: not a JSON object");
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), -1);
	ck_assert_str_eq(err.msg, "in.jsonl:4: not a JSON object");
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), -1);
	ck_assert_msg(strstr(err.msg, "in.jsonl:5: invalid JSON: end of file expected") != NULL,
		      "got '%s'", err.msg);
	/* the reader stays usable after bad lines */
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 1);
	ck_assert_str_eq(ps_rec_type(rec), "z");
	ck_assert_uint_eq(ps_rec_line(r), 6);
	json_decref(rec);
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 0);
	ps_rec_close(r);
	fclose(f);
}
END_TEST

START_TEST(test_reader_huge_line)
{
	size_t n = 3u << 20, i;	/* a 3 MiB string value */
	char *in = malloc(n + 64);
	size_t len = 0;
	FILE *f;
	struct ps_rec_reader *r;
	struct ps_error err = {0};
	json_t *rec;

	len += (size_t)snprintf(in, 64, "{\"type\":\"x\",\"v\":\"");
	for (i = 0; i < n; i++)
		in[len++] = 'a' + (char)(i % 26);
	memcpy(in + len, "\"}\n{\"type\":\"y\"}\n", 17);
	len += 16;
	f = mem_in(in, len);
	r = ps_rec_open(f, "big");
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 1);
	ck_assert_uint_eq(strlen(ps_json_str(rec, "v")), n);
	json_decref(rec);
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 1);
	ck_assert_str_eq(ps_rec_type(rec), "y");
	ck_assert_uint_eq(ps_rec_line(r), 2);
	json_decref(rec);
	ck_assert_int_eq(ps_rec_next(r, &rec, &err), 0);
	ps_rec_close(r);
	fclose(f);
	free(in);
}
END_TEST

START_TEST(test_writer)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	json_t *rec = ps_rec_new("probe", "ps-health");

	json_object_set_new(rec, "ok", json_true());
	json_object_set_new(rec, "latency_s", json_real(0.1));
	json_object_set_new(rec, "target", json_string("http://x/\"q\"\n"));
	json_object_set_new(rec, "attempts", json_integer(2));
	ck_assert_int_eq(ps_rec_write(out, rec), 0);
	json_decref(rec);
	fclose(out);
	ck_assert_str_eq(buf, "{\"type\":\"probe\",\"tool\":\"ps-health\",\"ok\":true,"
			      "\"latency_s\":0.1,\"target\":\"http://x/\\\"q\\\"\\n\","
			      "\"attempts\":2}\n");
	free(buf);
}
END_TEST

START_TEST(test_writer_error)
{
	char small[8];
	FILE *out = fmemopen(small, sizeof(small), "w");
	json_t *rec = ps_rec_new("summary", "ps-backup");

	setvbuf(out, NULL, _IONBF, 0);
	ck_assert_int_eq(ps_rec_write(out, rec), -1);
	json_decref(rec);
	fclose(out);
}
END_TEST

START_TEST(test_json_string_invalid_utf8)
{
	json_t *v = ps_json_string("ok\xff\xc3(\xe2\x82\xac");

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_string_value(v), "ok\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac");
	json_decref(v);
}
END_TEST

static struct ps_finding *
sample(void)
{
	struct ps_diags d = {0};
	struct ps_finding *f;

	f = ps_diags_add(&d, "ps-lint-dockerfile", "PSD015", "apt-no-recommends",
			 PS_SEV_WARNING, "Dockerfile", 12, 1,
			 "apt-get install without --no-install-recommends");
	f->end_line = 12;
	f->end_col = 40;
	ps_finding_set_fix(f, "add --no-install-recommends");
	ps_finding_add_ref(f, "DL3015");
	ps_finding_set_snippet(f, "RUN apt-get install -y curl", 27);
	f->help = ps_xstrdup("Recommended packages bloat the image.");
	f->help_uri = ps_xstrdup("https://example.org/PSD015");
	free(d.v);
	return f;
}

START_TEST(test_finding_to_json)
{
	struct ps_finding *f = sample();
	json_t *o = ps_finding_to_json(f);
	char *s = json_dumps(o, PS_REC_JSON_FLAGS);
	char *want = ps_xasprintf("%s%s\"}",
		"{\"type\":\"finding\",\"tool\":\"ps-lint-dockerfile\",\"rule\":\"PSD015\","
		"\"name\":\"apt-no-recommends\",\"severity\":\"warning\",\"file\":\"Dockerfile\","
		"\"line\":12,\"column\":1,\"end_line\":12,\"end_column\":40,"
		"\"message\":\"apt-get install without --no-install-recommends\","
		"\"fix\":\"add --no-install-recommends\",\"refs\":[\"DL3015\"],"
		"\"snippet\":\"RUN apt-get install -y curl\","
		"\"help\":\"Recommended packages bloat the image.\","
		"\"help_uri\":\"https://example.org/PSD015\","
		"\"fingerprint\":\"", ps_finding_fingerprint(f));

	ck_assert_str_eq(s, want);
	free(want);
	free(s);
	json_decref(o);
	ps_finding_free(f);
}
END_TEST

START_TEST(test_finding_roundtrip)
{
	struct ps_finding *f = sample(), *g;
	struct ps_error err = {0};
	json_t *o = ps_finding_to_json(f), *o2;
	char *a, *b;

	g = ps_finding_from_json(o, &err);
	ck_assert_ptr_nonnull(g);
	ck_assert_str_eq(g->tool, "ps-lint-dockerfile");
	ck_assert_str_eq(g->rule, "PSD015");
	ck_assert_str_eq(g->name, "apt-no-recommends");
	ck_assert_int_eq(g->severity, PS_SEV_WARNING);
	ck_assert_str_eq(g->file, "Dockerfile");
	ck_assert_int_eq(g->line, 12);
	ck_assert_int_eq(g->col, 1);
	ck_assert_int_eq(g->end_line, 12);
	ck_assert_int_eq(g->end_col, 40);
	ck_assert_str_eq(g->fix, "add --no-install-recommends");
	ck_assert_str_eq(g->refs[0], "DL3015");
	ck_assert_ptr_null(g->refs[1]);
	ck_assert_str_eq(g->snippet, "RUN apt-get install -y curl");
	ck_assert_str_eq(g->help_uri, "https://example.org/PSD015");
	ck_assert_str_eq(g->fingerprint, ps_finding_fingerprint(f));
	o2 = ps_finding_to_json(g);
	a = json_dumps(o, PS_REC_JSON_FLAGS);
	b = json_dumps(o2, PS_REC_JSON_FLAGS);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	json_decref(o);
	json_decref(o2);
	ps_finding_free(f);
	ps_finding_free(g);
}
END_TEST

START_TEST(test_finding_minimal_and_omitted)
{
	struct ps_error err = {0};
	json_t *o = json_loads("{\"type\":\"finding\",\"tool\":\"t\",\"rule\":\"R1\","
			       "\"severity\":\"error\",\"message\":\"m\",\"extra\":[1]}",
			       0, NULL);
	struct ps_finding *f = ps_finding_from_json(o, &err);
	json_t *back;
	char *s;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_null(f->file);
	ck_assert_ptr_null(f->name);
	ck_assert_ptr_null(f->refs);
	ck_assert_int_eq(f->line, 0);
	back = ps_finding_to_json(f);
	s = json_dumps(back, PS_REC_JSON_FLAGS);
	/* NULL fields are omitted, the fingerprint is always there */
	ck_assert_msg(strncmp(s, "{\"type\":\"finding\",\"tool\":\"t\",\"rule\":\"R1\","
			      "\"severity\":\"error\",\"message\":\"m\",\"fingerprint\":\"", 87) == 0,
		      "got %s", s);
	ck_assert_uint_eq(strlen(ps_json_str(back, "fingerprint")), 16);
	free(s);
	json_decref(back);
	json_decref(o);
	ps_finding_free(f);
}
END_TEST

START_TEST(test_finding_from_json_errors)
{
	static const char *const bad[][2] = {
		{"{\"severity\":\"error\",\"message\":\"m\"}", "\"rule\" missing"},
		{"{\"rule\":\"R\",\"message\":\"m\"}", "\"severity\" missing"},
		{"{\"rule\":\"R\",\"severity\":\"error\"}", "\"message\" missing"},
		{"{\"rule\":\"R\",\"severity\":\"fatal\",\"message\":\"m\"}", "unknown severity \"fatal\""},
		{"{\"rule\":7,\"severity\":\"error\",\"message\":\"m\"}", "\"rule\" missing or not a string"},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ps_error err = {0};
		json_t *o = json_loads(bad[i][0], 0, NULL);

		ck_assert_ptr_null(ps_finding_from_json(o, &err));
		ck_assert_int_eq(err.code, 2);
		ck_assert_msg(strstr(err.msg, bad[i][1]) != NULL, "%s: got '%s'",
			      bad[i][0], err.msg);
		json_decref(o);
	}
}
END_TEST

START_TEST(test_getters)
{
	json_t *o = json_loads("{\"s\":\"x\",\"i\":42,\"r\":1.5,\"b\":false,\"n\":null}", 0, NULL);
	long long i = 0;
	double d = 0;
	int b = 1;

	ck_assert_str_eq(ps_json_str(o, "s"), "x");
	ck_assert_ptr_null(ps_json_str(o, "i"));
	ck_assert_ptr_null(ps_json_str(o, "absent"));
	ck_assert_ptr_null(ps_json_str(NULL, "s"));
	ck_assert_int_eq(ps_json_int(o, "i", &i), 1);
	ck_assert_int_eq(i, 42);
	ck_assert_int_eq(ps_json_int(o, "r", &i), 0);
	ck_assert_int_eq(ps_json_num(o, "r", &d), 1);
	ck_assert(d == 1.5);
	ck_assert_int_eq(ps_json_num(o, "i", &d), 1);
	ck_assert(d == 42.0);
	ck_assert_int_eq(ps_json_num(o, "s", &d), 0);
	ck_assert_int_eq(ps_json_bool(o, "b", &b), 1);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(ps_json_bool(o, "n", &b), 0);
	ck_assert_ptr_null(ps_rec_type(o));
	json_decref(o);
}
END_TEST

static Suite *
records_suite(void)
{
	Suite *s = suite_create("records");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reader_blank_and_last_line);
	tcase_add_test(tc, test_reader_bad_lines);
	tcase_add_test(tc, test_reader_huge_line);
	tcase_add_test(tc, test_writer);
	tcase_add_test(tc, test_writer_error);
	tcase_add_test(tc, test_json_string_invalid_utf8);
	tcase_add_test(tc, test_finding_to_json);
	tcase_add_test(tc, test_finding_roundtrip);
	tcase_add_test(tc, test_finding_minimal_and_omitted);
	tcase_add_test(tc, test_finding_from_json_errors);
	tcase_add_test(tc, test_getters);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(records_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
