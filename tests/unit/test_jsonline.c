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
		"{\"a\":\"bbbbb\xf0\x9f\x98\x80" "bbbbbbbbbbbbbbbbbbbbbb\xc3\xa9\"}",
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

/* ---- arrays of strings ---- */

struct words {
	char text[1 << 16];
	size_t len, n, stop_after;
};

static int
take_word(void *ctx, const char *s, size_t n)
{
	struct words *w = ctx;

	ck_assert_uint_lt(w->len + n + 1, sizeof(w->text));
	memcpy(w->text + w->len, s, n);
	w->len += n;
	w->text[w->len++] = '|';
	return ++w->n != w->stop_after;
}

static long
words_of(const char *s, size_t n, struct words *w)
{
	memset(w, 0, sizeof(*w));
	return ps_jl_string_array(s, n, take_word, w);
}

START_TEST(string_arrays)
{
	static const char exec[] = "[\"sh\", \"-c\", \"echo \\\"hi\\\" \\u00e9\"]";
	struct words w;

	ck_assert_int_eq(words_of(exec, strlen(exec), &w), 3);
	ck_assert_int_eq(w.len, strlen("sh|-c|echo \"hi\" \xc3\xa9|"));
	ck_assert_int_eq(memcmp(w.text, "sh|-c|echo \"hi\" \xc3\xa9|", w.len), 0);
	ck_assert_int_eq(words_of(" \t[ ]\r\n", 7, &w), 0);
	ck_assert_int_eq(words_of("[\"\"]", 4, &w), 1);
	ck_assert_int_eq(w.len, 1);
	/* not arrays of strings */
	ck_assert_int_eq(words_of("[\"a\",1]", 7, &w), -1);
	ck_assert_int_eq(words_of("[[\"a\"]]", 7, &w), -1);
	ck_assert_int_eq(words_of("{\"a\":1}", 7, &w), -1);
	ck_assert_int_eq(words_of("\"a\"", 3, &w), -1);
	ck_assert_int_eq(words_of("[\"a\"] [\"b\"]", 11, &w), -1);
	/* only the given bytes are read */
	ck_assert_int_eq(words_of("[\"a\"]]", 5, &w), 1);
	/* the caller stops it */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	ck_assert_int_eq(ps_jl_string_array("[\"a\",\"b\"]", 9, take_word, &w), -1);
	ck_assert_uint_eq(w.n, 1);
}
END_TEST

/* Taken and refused as jansson takes and refuses them, with the same
 * strings; long ones outgrow the parser's room on the stack. */
START_TEST(string_arrays_agree_with_jansson)
{
	static const char *lines[] = {
		"[]", "[ ]", "[\"a\"]", "[\"a\",]", "[,\"a\"]", "[\"a\" \"b\"]", "[null]",
		"[true]", "[1.5]", "[{}]", "[\"a\"]]", "[[\"a\"]", "[\"a\"", "[\"]",
		"[\"\\u0000\"]", "[\"a\\u0000b\"]", "[\"\\ud800\"]", "[\"\\udc00\"]",
		"[\"\\ud83d\\ude00\"]", "[\"\\ud83dx\"]", "[\"a\vb\"]", "[\"a\fb\"]",
		"[\v\"a\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
		"[\"\xe2\x82\"]", "[\"a\tb\"]", "[\"a\nb\"]", "[\"\\t\\n\\\"\\\\\\/\\b\\f\\r\"]",
		"[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12g4\"]", "[\"a\"] \"x]", "[\"a\"]/**/]",
		"[/*c*/\"a\"]", "['a']", "[\"a\x7f\"]", "[\"\\\\\"]", "[\"\\\"]\"]",
		" [\"a\", \"b\"] ",
	};
	static char big[3][40000];
	const char *all[sizeof(lines) / sizeof(lines[0]) + 3];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		all[n++] = lines[i];
	/* a string of 5,000 escapes, one of 20,000 plain bytes, 2,000 strings */
	strcpy(big[0], "[\"");
	for (int i = 0; i < 5000; i++)
		strcat(big[0] + 2 * i, "\\n");
	strcat(big[0], "\"]");
	memset(big[1], 'x', 20002);
	memcpy(big[1], "[\"", 2);
	strcpy(big[1] + 20002, "\"]");
	strcpy(big[2], "[");
	for (int i = 0; i < 2000; i++)
		sprintf(big[2] + strlen(big[2]), "%s\"\\u00e9%d\"", i ? "," : "", i);
	strcat(big[2], "]");
	for (int i = 0; i < 3; i++)
		all[n++] = big[i];
	for (size_t i = 0; i < n; i++) {
		json_error_t je;
		json_t *j = json_loadb(all[i], strlen(all[i]), JSON_DECODE_ANY, &je);
		long want = j && json_is_array(j) ? (long)json_array_size(j) : -1;
		static struct words w;
		long got = words_of(all[i], strlen(all[i]), &w);
		size_t off = 0;

		for (size_t k = 0; want >= 0 && k < (size_t)want; k++)
			if (!json_is_string(json_array_get(j, k)))
				want = -1;
		ck_assert_msg(got == want, "line %zu: %ld, not %ld: %.60s", i, got, want, all[i]);
		for (long k = 0; k < want; k++) {
			json_t *e = json_array_get(j, (size_t)k);
			size_t len = json_string_length(e);

			ck_assert_int_eq(memcmp(w.text + off, json_string_value(e), len), 0);
			ck_assert_int_eq(w.text[off + len], '|');
			off += len + 1;
		}
		ck_assert_uint_eq(off, want >= 0 ? w.len : 0);
		json_decref(j);
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
	tcase_add_test(tc, string_arrays);
	tcase_add_test(tc, string_arrays_agree_with_jansson);
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
