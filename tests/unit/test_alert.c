/*
 * Unit tests of the alert condition language (lib/alertexpr) and of
 * ps-alert's engine (cmd/ps-alert/engine.c, included here): parsing, column
 * numbers in errors, units, evaluation, windows, percentiles and the state
 * machine.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alertexpr.h"
#include "cmd/ps-alert/engine.c"

static struct ps_ax *
parse_ok(const char *src)
{
	struct ps_error err = { 0 };
	struct ps_ax *e = ps_ax_parse(src, &err);

	ck_assert_msg(e != NULL, "\"%s\": %s (col %d)", src, err.msg, err.col);
	return e;
}

static void
parse_bad(const char *src, int col, const char *msg_part)
{
	struct ps_error err = { 0 };
	struct ps_ax *e = ps_ax_parse(src, &err);

	ck_assert_msg(e == NULL, "\"%s\" should not parse", src);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_msg(err.col == col, "\"%s\": column %d, expected %d (%s)", src, err.col, col,
		      err.msg);
	ck_assert_msg(strstr(err.msg, msg_part), "\"%s\": message \"%s\" lacks \"%s\"", src,
		      err.msg, msg_part);
}

START_TEST(standards_examples)
{
	struct ps_ax *e = parse_ok("error_rate > 0.05");
	struct ps_ax_vals v;

	ps_ax_vals_clear(&v);
	ck_assert_uint_eq(ps_ax_needs(e), 1u << PS_AX_ERROR_RATE);
	v.num[PS_AX_ERROR_RATE] = 0.06;
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	v.num[PS_AX_ERROR_RATE] = 0.05;
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	ps_ax_free(e);

	e = parse_ok("response_time_p95 > 1000ms");
	ps_ax_vals_clear(&v);
	v.num[PS_AX_RT_P95] = 1.0;
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	v.num[PS_AX_RT_P95] = 1.001;
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ck_assert(ps_ax_value(e, &v, NULL) == 1.001);
	ps_ax_free(e);
}
END_TEST

START_TEST(units)
{
	struct ps_ax_vals v;
	struct ps_ax *e;

	ps_ax_vals_clear(&v);
	v.num[PS_AX_RT_AVG] = 1.5;
	v.num[PS_AX_ERROR_RATE] = 0.06;
	e = parse_ok("response_time > 1.5s");
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	ps_ax_free(e);
	e = parse_ok("response_time >= 1500ms and response_time < 1m");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ps_ax_free(e);
	e = parse_ok("error_rate > 5%");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ps_ax_free(e);
	e = parse_ok("error_rate>.07");
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	ps_ax_free(e);
	e = parse_ok("0.05 < error_rate");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ps_ax_free(e);
}
END_TEST

START_TEST(logic_and_strings)
{
	struct ps_ax_vals v;
	struct ps_ax *e;

	ps_ax_vals_clear(&v);
	v.num[PS_AX_UP] = 1;
	v.num[PS_AX_ERROR_RATE] = 0.6;
	v.num[PS_AX_COUNT] = 2;
	v.str[PS_AX_CHECK] = "database";
	/* and binds tighter than or */
	e = parse_ok("up == 0 or error_rate > 0.5 and request_count > 3");
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	ps_ax_free(e);
	e = parse_ok("(up == 0 or error_rate > 0.5) and request_count >= 2");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ps_ax_free(e);
	e = parse_ok("check == \"database\" && !(up == 0) || tls_days_left < 14");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ck_assert_str_eq(ps_ax_only_check(e) ? ps_ax_only_check(e) : "(none)", "(none)");
	ps_ax_free(e);
	e = parse_ok("check == 'database' and not up == 0");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ck_assert_str_eq(ps_ax_only_check(e), "database");
	v.str[PS_AX_CHECK] = "application";
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	ps_ax_free(e);
	e = parse_ok("check != \"batch\"");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ps_ax_free(e);
}
END_TEST

START_TEST(unknown_values_are_false)
{
	struct ps_ax_vals v;
	struct ps_ax *e = parse_ok("tls_days_left < 14");

	ps_ax_vals_clear(&v);
	ck_assert_int_eq(ps_ax_eval(e, &v), 0);
	ck_assert(isnan(ps_ax_value(e, &v, NULL)));
	ps_ax_free(e);
	e = parse_ok("not tls_days_left < 14");
	ck_assert_int_eq(ps_ax_eval(e, &v), 1);
	ps_ax_free(e);
}
END_TEST

START_TEST(errors_name_the_column)
{
	parse_bad("", 1, "empty condition");
	parse_bad("error_rate >", 13, "expected a variable, a number or a string, got the end");
	parse_bad("eror_rate > 0.05", 1, "did you mean \"error_rate\"");
	parse_bad("response_time_p95 > 5%", 21, "cannot compare a time with a ratio");
	parse_bad("error_rate > 1000ms", 14, "cannot compare a ratio with a time");
	parse_bad("up == 0 and", 12, "got the end");
	parse_bad("(up == 0", 9, "expected \")\" to close the \"(\" at column 1");
	parse_bad("up == 0)", 8, "unexpected \")\"");
	parse_bad("up = = 0", 6, "expected a variable");
	parse_bad("response_time > 10 parsecs", 20, "unexpected \"parsecs\"");
	parse_bad("latency > 10x", 13, "unknown unit \"x\"");
	parse_bad("check == \"db", 10, "unterminated string");
	parse_bad("check > \"db\"", 7, "strings compare only with == and !=");
	parse_bad("check == 3", 10, "cannot compare a string with a number");
	parse_bad("1 > 2", 1, "needs a variable");
	parse_bad("up == 0 # comment", 9, "unexpected character \"#\"");
	parse_bad("up", 3, "expected a comparison");
}
END_TEST

START_TEST(deep_nesting_is_an_error)
{
	char buf[600];
	struct ps_error err = { 0 };

	memset(buf, '(', 500);
	memcpy(buf + 500, "up == 0", 8);
	ck_assert_ptr_null(ps_ax_parse(buf, &err));
	ck_assert_msg(strstr(err.msg, "nested too deeply"), "%s", err.msg);
}
END_TEST

/* ---- the engine ---- */

static json_t *got[64];
static size_t ngot;

static void
collect_alert(void *ctx, json_t *a)
{
	(void)ctx;
	ck_assert_uint_lt(ngot, PS_ARRAY_LEN(got));
	got[ngot++] = a;
}

static void
reset_got(void)
{
	size_t i;

	for (i = 0; i < ngot; i++)
		json_decref(got[i]);
	ngot = 0;
}

static struct alert_rule
rule(const char *name, const char *cond, double duration, double window)
{
	struct alert_rule r;
	struct ps_error err = { 0 };

	memset(&r, 0, sizeof(r));
	r.name = name;
	r.condition = cond;
	r.severity = "warning";
	r.expr = ps_ax_parse(cond, &err);
	ck_assert_msg(r.expr != NULL, "%s", err.msg);
	r.duration = duration;
	r.window = window;
	r.failure_threshold = 1;
	r.success_threshold = 1;
	return r;
}

static void
feed(struct alert_engine *e, const char *check, double at, int ok, double lat)
{
	struct alert_sample s = { .check = check, .at = at, .ok = ok, .latency = lat,
				  .status = NAN, .tls_expires_at = NAN };

	alert_engine_feed(e, &s);
}

START_TEST(percentiles_interpolate)
{
	struct win w;
	double lat[] = { 5, 1, 4, 2, 3 };
	size_t i;

	memset(&w, 0, sizeof(w));
	w.len = 100;
	for (i = 0; i < 5; i++) {
		struct sample s = { (double)i, lat[i], 1 };
		win_push(&w, &s, 1);
	}
	ck_assert(quantile(&w, 0.5) == 3);
	ck_assert(fabs(quantile(&w, 0.95) - 4.8) < 1e-9);	/* 4 + 0.8 * (5 - 4) */
	ck_assert(quantile(&w, 0.0) == 1);
	ck_assert(quantile(&w, 1.0) == 5);
	win_expire(&w, 101.5, 1);	/* drops at <= 1.5: the 5 and the 1 */
	ck_assert_uint_eq(w.n, 3);
	ck_assert_uint_eq(w.nsorted, 3);
	ck_assert(quantile(&w, 0.5) == 3);
	ck_assert(w.sorted[0] == 2 && w.sorted[2] == 4);
	free(w.ring);
	free(w.sorted);
}
END_TEST

START_TEST(pending_firing_resolved)
{
	struct alert_rule r = rule("errors", "error_rate > 0.5", 60, 30);
	struct alert_engine *e = alert_engine_new(&r, 1, collect_alert, NULL);

	feed(e, "a", 0, 1, 0.1);
	ck_assert_uint_eq(ngot, 0);
	feed(e, "a", 10, 0, 0.1);	/* 1 of 2: not > 0.5 */
	ck_assert_uint_eq(ngot, 0);
	feed(e, "a", 20, 0, 0.1);	/* 2 of 3 */
	ck_assert_uint_eq(ngot, 1);
	ck_assert_str_eq(ps_json_str(got[0], "state"), "pending");
	feed(e, "b", 50, 1, 0.1);	/* another check: nothing */
	feed(e, "a", 79, 0, 0.1);	/* 59s pending */
	ck_assert_uint_eq(ngot, 1);
	feed(e, "a", 80, 0, 0.1);	/* 60s: firing */
	ck_assert_uint_eq(ngot, 2);
	ck_assert_str_eq(ps_json_str(got[1], "state"), "firing");
	ck_assert_str_eq(ps_json_str(got[1], "since"), "1970-01-01T00:00:20Z");
	ck_assert_uint_eq(alert_engine_firing(e), 1);
	feed(e, "a", 90, 1, 0.1);	/* window (60, 90]: 79 and 80 failed, 90 ok: 2/3 */
	ck_assert_uint_eq(ngot, 2);
	feed(e, "a", 111, 1, 0.1);	/* (81, 111]: 90 and 111 ok */
	ck_assert_uint_eq(ngot, 3);
	ck_assert_str_eq(ps_json_str(got[2], "state"), "resolved");
	ck_assert_uint_eq(alert_engine_firing(e), 0);
	reset_got();
	alert_engine_free(e);
	ps_ax_free(r.expr);
}
END_TEST

START_TEST(pending_back_to_inactive)
{
	struct alert_rule r = rule("down", "up == 0", 30, 300);
	struct alert_engine *e = alert_engine_new(&r, 1, collect_alert, NULL);

	feed(e, "a", 0, 0, NAN);
	feed(e, "a", 10, 1, 0.1);
	ck_assert_uint_eq(ngot, 2);
	ck_assert_str_eq(ps_json_str(got[0], "state"), "pending");
	ck_assert_str_eq(ps_json_str(got[1], "state"), "inactive");
	reset_got();
	alert_engine_free(e);
	ps_ax_free(r.expr);
}
END_TEST

START_TEST(samples_from_records)
{
	json_error_t je;
	json_t *rec = json_loads("{\"type\":\"probe\",\"tool\":\"ps-health\",\"check\":\"db\","
				 "\"ok\":false,\"status\":503,\"latency_s\":0.25,"
				 "\"tls_expires_at\":\"2026-12-01T00:00:00Z\","
				 "\"at\":\"2026-11-26T12:00:00.500Z\"}", 0, &je);
	struct alert_sample s;
	double t;
	struct ps_error err;

	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(alert_sample_from_json(rec, &s, 0), 0);
	ck_assert_str_eq(s.check, "db");
	ck_assert_int_eq(s.ok, 0);
	ck_assert(s.status == 503 && s.latency == 0.25);
	ck_assert_int_eq(ps_time_parse("2026-11-26T12:00:00Z", &t, &err), 0);
	ck_assert(fabs(s.at - (t + 0.5)) < 1e-6);
	/* the cached prefix path gives the same answer */
	json_object_set_new(rec, "at", json_string("2026-11-26T12:00:00.750Z"));
	ck_assert_int_eq(alert_sample_from_json(rec, &s, 0), 0);
	ck_assert(fabs(s.at - (t + 0.75)) < 1e-6);
	json_object_del(rec, "ok");
	ck_assert_int_eq(alert_sample_from_json(rec, &s, 0), -1);
	json_decref(rec);
}
END_TEST

/* jansson's reading of a line: the same classes as alert_sample_from_line */
static enum alert_line
line_by_jansson(const char *line, struct alert_sample *s, json_t **keep)
{
	json_error_t je;
	json_t *rec = json_loadb(line, strlen(line), JSON_DECODE_ANY, &je);
	const char *type;

	*keep = rec;
	memset(s, 0, sizeof(*s));
	if (!rec)
		return ALERT_LINE_INVALID;
	if (!json_is_object(rec))
		return ALERT_LINE_NOT_OBJECT;
	type = ps_rec_type(rec);
	if (!type || strcmp(type, "probe") != 0)
		return ALERT_LINE_OTHER;
	return alert_sample_from_json(rec, s, 123) == 0 ? ALERT_LINE_PROBE : ALERT_LINE_BAD_PROBE;
}

/* Lines jansson and yajl's events must read alike: probes whole and in
 * pieces, duplicates, nesting, other records, and what is not JSON, or
 * JSON that jansson refuses (NUL, out-of-range numbers, depth). */
START_TEST(line_parser_agrees_with_jansson)
{
	static const char *lines[] = {
		"{\"type\":\"probe\",\"tool\":\"ps-health\",\"check\":\"db\",\"target\":"
		"\"postgres://h/x\",\"kind\":\"postgres\",\"ok\":false,\"status\":503,"
		"\"latency_s\":0.25,\"tls_expires_at\":\"2026-12-01T00:00:00Z\","
		"\"phases\":{\"dns\":1e-05,\"check\":\"no\"},\"at\":\"2026-11-26T12:00:00.500Z\"}",
		"{\"type\":\"probe\",\"check\":\"api\",\"ok\":true}",
		"  {\"type\":\"probe\",\"check\":\"api\",\"ok\":true,\"at\":\"yesterday\"}  ",
		"{\"type\":\"probe\",\"target\":\"tcp://h:1\",\"ok\":true,\"latency_s\":1}",
		"{\"type\":\"probe\",\"ok\":true}",
		"{\"type\":\"probe\",\"check\":\"a\"}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":\"true\"}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":null}",
		"{\"type\":\"probe\",\"check\":\"a\",\"check\":[\"b\"],\"target\":\"t\",\"ok\":true}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":false,\"ok\":true,\"status\":200.0}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"status\":\"200\",\"latency_s\":[1]}",
		"{\"type\":\"probe\",\"check\":\"a\\\"b\\u00e9\\n\",\"ok\":true,\"kind\":{\"x\":1}}",
		"{\"type\":\"probe\",\"ok\":true,\"phases\":{\"check\":\"x\"},\"target\":\"t\"}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"status\":-0,\"latency_s\":-1.5E-3}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"latency_s\":1e-400}",
		"{\"type\":\"alert\",\"check\":\"a\",\"ok\":true}",
		"{\"type\":7,\"check\":\"a\",\"ok\":true}",
		"{\"check\":\"a\",\"ok\":true}",
		"{\"type\":\"probe\",\"type\":\"backup\"}",
		"{}",
		"[1,2]", "42", "\"probe\"", "null", "true", "[]", "[{\"type\":\"probe\"}]",
		"{", "{\"a\":}", "[1,", "{} x", "{\"a\":1}}", "{\"a\" 1}", "{'a':1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\t\"}", "{\"a\":1,}", "{\"a\":\"b\"} {\"c\":1}",
		"{\"a\":\"\xc0\xbf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
		"{\"a\":\"\xe2\x82\"}", "{\"a\":1}\v", "{\f}", "{} \"x", "\"a\"\"b",
		"{\"type\":\"probe\",\"check\":\"\xc3\xa9t\xc3\xa9\",\"ok\":true}",
		"{\"type\":\"probe\",\"check\":\"a\\u0000b\",\"ok\":true}",
		"{\"a\\u0000\":1}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"status\":99999999999999999999}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"status\":-9223372036854775808}",
		"{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"latency_s\":1e999}",
	};
	struct ps_buf deep = { 0 };
	size_t i, n = sizeof(lines) / sizeof(lines[0]);

	for (i = 0; i <= n + 1; i++) {
		struct alert_sample a, b;
		json_t *rec;
		char msg[200];
		const char *line;
		enum alert_line ka, kb;

		if (i < n) {
			line = lines[i];
		} else {	/* nested 2048 deep (accepted), then 2049 (refused) */
			size_t d = i == n ? 2047 : 2048, k;

			deep.len = 0;
			ps_buf_adds(&deep, "{\"type\":\"probe\",\"check\":\"a\",\"ok\":true,\"x\":");
			for (k = 0; k < d; k++)
				ps_buf_addc(&deep, '[');
			for (k = 0; k < d; k++)
				ps_buf_addc(&deep, ']');
			ps_buf_addc(&deep, '}');
			line = ps_buf_str(&deep);
		}
		ka = line_by_jansson(line, &a, &rec);
		kb = alert_sample_from_line(line, strlen(line), &b, 123, msg, sizeof(msg));
		ck_assert_msg(ka == kb, "line %zu: jansson %d, events %d (%s): %.80s", i, ka, kb,
			      kb == ALERT_LINE_INVALID ? msg : "", line);
		if (ka == ALERT_LINE_INVALID)
			ck_assert_msg(msg[0] != 0, "line %zu: no reason given", i);
		if (ka == ALERT_LINE_PROBE)
			ck_assert_msg(alert_sample_same(&a, &b), "line %zu: the samples differ", i);
		json_decref(rec);
	}
	ps_buf_free(&deep);
	alert_line_release();
}
END_TEST

static Suite *
alert_suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("expr");

	tcase_add_test(tc, standards_examples);
	tcase_add_test(tc, units);
	tcase_add_test(tc, logic_and_strings);
	tcase_add_test(tc, unknown_values_are_false);
	tcase_add_test(tc, errors_name_the_column);
	tcase_add_test(tc, deep_nesting_is_an_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_add_test(tc, percentiles_interpolate);
	tcase_add_test(tc, pending_firing_resolved);
	tcase_add_test(tc, pending_back_to_inactive);
	tcase_add_test(tc, samples_from_records);
	tcase_add_test(tc, line_parser_agrees_with_jansson);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alert_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
