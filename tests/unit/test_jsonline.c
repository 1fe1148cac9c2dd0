/* Unit tests for lib/jsonline: a line's top-level values without a tree. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "lib/jsonline.h"

enum { K_A, K_B, K_C, NK };

static const struct ps_jl_key keys[NK] = {
	[K_A] = { "a", 1 }, [K_B] = { "b", 1 }, [K_C] = { "c", 1 },
};

static enum ps_jl_result
rd(const char *line, struct ps_jl_value *v, struct ps_buf *text, int flags)
{
	char msg[200] = "";
	enum ps_jl_result r = ps_jline_read(line, strlen(line), keys, NK, v, text, flags,
					    msg, sizeof(msg));

	if (r == PS_JL_INVALID)
		ck_assert_msg(msg[0] != 0, "no reason for %s", line);
	return r;
}

START_TEST(types_of_the_wanted_keys)
{
	struct ps_jl_value v[NK];
	struct ps_buf text = { 0 };

	ck_assert_int_eq(rd("{\"a\":\"x\\ny\\u00e9\",\"z\":{\"a\":1},\"b\":-42,\"c\":2.5}",
			    v, &text, 0), PS_JL_OBJECT);
	ck_assert_int_eq(v[K_A].type, PS_JL_STRING);
	ck_assert_uint_eq(v[K_A].len, 5);
	ck_assert_str_eq(v[K_A].s, "x\ny\xc3\xa9");
	ck_assert_int_eq(v[K_B].type, PS_JL_INTEGER);
	ck_assert_int_eq(v[K_B].i, -42);
	ck_assert(v[K_B].d == -42.0);
	ck_assert_int_eq(v[K_C].type, PS_JL_REAL);
	ck_assert(v[K_C].d == 2.5);
	/* a nested "a" is not the top-level one: counted once */
	ck_assert_uint_eq(v[K_A].count, 1);

	ck_assert_int_eq(rd("{\"a\":true,\"b\":false,\"c\":null}", v, &text, 0), PS_JL_OBJECT);
	ck_assert_int_eq(v[K_A].type, PS_JL_TRUE);
	ck_assert_int_eq(v[K_B].type, PS_JL_FALSE);
	ck_assert_int_eq(v[K_C].type, PS_JL_NULL);

	ck_assert_int_eq(rd("{\"a\":[1,{\"b\":2}],\"c\":{}}", v, &text, 0), PS_JL_OBJECT);
	ck_assert_int_eq(v[K_A].type, PS_JL_CONTAINER);
	ck_assert_int_eq(v[K_B].type, PS_JL_ABSENT);
	ck_assert_uint_eq(v[K_B].count, 0);
	ck_assert_int_eq(v[K_C].type, PS_JL_CONTAINER);
	ps_buf_free(&text);
}
END_TEST

START_TEST(the_last_duplicate_counts)
{
	struct ps_jl_value v[NK];
	struct ps_buf text = { 0 };

	/* strings of earlier values stay valid while later ones grow the text */
	ck_assert_int_eq(rd("{\"b\":\"first\",\"a\":\"one\",\"a\":[2],\"b\":\"second, longer "
			    "than the buffer's first growth would hold if it were small\"}",
			    v, &text, 0), PS_JL_OBJECT);
	ck_assert_int_eq(v[K_A].type, PS_JL_CONTAINER);
	ck_assert_uint_eq(v[K_A].count, 2);
	ck_assert_int_eq(v[K_B].type, PS_JL_STRING);
	ck_assert_uint_eq(v[K_B].count, 2);
	ck_assert_ptr_nonnull(strstr(v[K_B].s, "second, longer"));
	ps_buf_free(&text);
}
END_TEST

START_TEST(nul_in_strings_only_when_allowed)
{
	struct ps_jl_value v[NK];
	struct ps_buf text = { 0 };

	ck_assert_int_eq(rd("{\"a\":\"x\\u0000y\"}", v, &text, 0), PS_JL_INVALID);
	ck_assert_int_eq(rd("{\"a\":\"x\\u0000y\"}", v, &text, PS_JL_ALLOW_NUL), PS_JL_OBJECT);
	ck_assert_uint_eq(v[K_A].len, 3);
	ck_assert_int_eq(memcmp(v[K_A].s, "x\0y", 3), 0);
	/* never in keys, and never raw */
	ck_assert_int_eq(rd("{\"a\\u0000\":1}", v, &text, PS_JL_ALLOW_NUL), PS_JL_INVALID);
	{
		char msg[100];
		static const char raw[] = "{\"a\":1\0}";

		ck_assert_int_eq(ps_jline_read(raw, sizeof(raw) - 1, keys, NK, v, &text,
					       PS_JL_ALLOW_NUL, msg, sizeof(msg)),
				 PS_JL_INVALID);
	}
	ps_buf_free(&text);
}
END_TEST

/* Whatever jansson refuses is refused, whatever it takes is taken, and an
 * object is an object to both. */
START_TEST(classes_agree_with_jansson)
{
	static const char *lines[] = {
		"{}", " {\"a\":1} ", "[1]", "1", "\"a\"", "null", "{\"a\":1,\"a\":2}",
		"{", "{\"a\":}", "{} x", "{\"a\":1}}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":\"\xff\"}", "{\"a\":\"\t\"}", "{\"a\":1,}", "{\"a\":1} {\"b\":2}",
		"{\"a\":\"\xc0\xbf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xe2\x82\"}",
		"{\"a\":1}\v", "{\f}", "{} \"x", "{\"a\":99999999999999999999}",
		"{\"a\":-9223372036854775808}", "{\"a\":1e999}", "{\"a\":1e-999}",
		"{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud83d\\u0041\"}",
		"{\"a\":\"\\\\ud83d\"}", "{\"a\":\"\\ud83d\\ude00\\udbff\\udfff\"}", "{\"b\":[[[[]]]]}",
		/* UTF-8 past long ASCII runs (read eight bytes at a time), and
		 * characters across an eight-byte boundary */
		"{\"aaaaaaaaaaaaaaaa\":\"bbbbbbbbbbbbbbbbbbbbbbb\xc0\xaf\"}",
		"{\"aaaaaaaaaaaaaaaa\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\xed\xa0\x80x\"}",
		"{\"a\":\"bbbbb\xf0\x9f\x98\x80bbbbbbbbbbbbbbbbbbbbbb\xc3\xa9\"}",
		"{\"a\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}\xff",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct ps_jl_value v[NK];
		struct ps_buf text = { 0 };
		json_error_t je;
		json_t *j = json_loads(lines[i], JSON_DECODE_ANY, &je);
		enum ps_jl_result want = !j ? PS_JL_INVALID :
					 json_is_object(j) ? PS_JL_OBJECT : PS_JL_NOT_OBJECT;

		ck_assert_msg(rd(lines[i], v, &text, 0) == want, "line %zu: %s", i, lines[i]);
		if (want == PS_JL_OBJECT && json_object_get(j, "a")) {
			json_t *a = json_object_get(j, "a");

			if (json_is_integer(a))
				ck_assert_int_eq(v[K_A].i, json_integer_value(a));
			if (json_is_real(a))
				ck_assert(v[K_A].d == json_real_value(a));
			if (json_is_string(a))
				ck_assert_int_eq(memcmp(v[K_A].s, json_string_value(a),
							json_string_length(a) + 1), 0);
		}
		json_decref(j);
		ps_buf_free(&text);
	}
}
END_TEST

static Suite *
jsonline_suite(void)
{
	Suite *s = suite_create("jsonline");
	TCase *tc = tcase_create("read");

	tcase_add_test(tc, types_of_the_wanted_keys);
	tcase_add_test(tc, the_last_duplicate_counts);
	tcase_add_test(tc, nul_in_strings_only_when_allowed);
	tcase_add_test(tc, classes_agree_with_jansson);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jsonline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
