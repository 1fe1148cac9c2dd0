/*
 * Check suite for lib/time.c: durations, sizes, RFC 3339, schedule parsing
 * (valid and invalid with the column of the error), next fire times against
 * hand-verified answers (leap years, month ends, AWS L/W/#, DST in
 * Europe/Berlin and America/New_York) and the explanations in words.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/time.h"

/* ---- durations ---- */

static const struct {
	const char *in;
	double secs;
} dur_ok[] = {
	{ "30s", 30 }, { "5m", 300 }, { "1h", 3600 }, { "4 hours", 14400 },
	{ "10m", 600 }, { "1h30m", 5400 }, { "1.5 days", 129600 },
	{ "250ms", 0.25 }, { "30", 30 }, { "0", 0 }, { "1 hour", 3600 },
	{ "2 weeks", 1209600 }, { "1w", 604800 }, { "90 seconds", 90 },
	{ "1h 30m", 5400 }, { "1 hour 30 minutes", 5400 }, { "2.5", 2.5 },
	{ "1000ms", 1 }, { " 5m ", 300 }, { "5M", 300 }, { "3 mins", 180 },
	{ "1d2h3m4s", 93784 }, { "7 days", 604800 }, { "12hr", 43200 },
};

START_TEST(test_duration_ok)
{
	struct ps_error err = { 0 };
	double v = -1;

	ck_assert_msg(ps_duration_parse(dur_ok[_i].in, &v, &err) == 0,
		      "'%s': %s", dur_ok[_i].in, err.msg);
	ck_assert_msg(fabs(v - dur_ok[_i].secs) < 1e-9, "'%s' -> %g, want %g",
		      dur_ok[_i].in, v, dur_ok[_i].secs);
}
END_TEST

static const struct {
	const char *in;
	int col;
	const char *msg;
} dur_bad[] = {
	{ "", 1, "empty duration" },
	{ "thirty", 1, "expected a number" },
	{ "5x", 2, "unknown unit 'x'" },
	{ "5 parsecs", 3, "unknown unit 'parsecs'" },
	{ "-5m", 1, "negative" },
	{ "1h30", 3, "missing unit after 30" },
	{ "30 5m", 1, "missing unit after 30" },
	{ "5m!", 3, "expected a number, got '!'" },
	{ "1..5s", 1, "missing unit after 1." },
};

START_TEST(test_duration_bad)
{
	struct ps_error err = { 0 };
	double v = 0;

	ck_assert_int_eq(ps_duration_parse(dur_bad[_i].in, &v, &err), -1);
	ck_assert_msg(err.col == dur_bad[_i].col, "'%s': col %d, want %d (%s)",
		      dur_bad[_i].in, err.col, dur_bad[_i].col, err.msg);
	ck_assert_msg(strstr(err.msg, dur_bad[_i].msg), "'%s': '%s' lacks '%s'",
		      dur_bad[_i].in, err.msg, dur_bad[_i].msg);
	ck_assert_int_eq(err.code, 2);
}
END_TEST

static const struct {
	double secs;
	const char *out;
} dur_fmt[] = {
	{ 5400, "1h30m" }, { 45, "45s" }, { 0.25, "250ms" }, { 0, "0s" },
	{ 86400, "1d" }, { 90061.5, "1d1h1m1s500ms" }, { 300, "5m" },
	{ 3600, "1h" }, { 1.5, "1s500ms" }, { -60, "-1m" },
	{ 0.0000125, "0.0000125s" },
};

START_TEST(test_duration_format)
{
	char buf[64];
	double back;

	ps_duration_format(dur_fmt[_i].secs, buf, sizeof(buf));
	ck_assert_str_eq(buf, dur_fmt[_i].out);
	if (dur_fmt[_i].secs >= 0) {	/* it reads back */
		ck_assert_int_eq(ps_duration_parse(buf, &back, NULL), 0);
		ck_assert(fabs(back - dur_fmt[_i].secs) < 1e-9);
	}
}
END_TEST

/* ---- sizes ---- */

static const struct {
	const char *in;
	unsigned long long bytes;
} size_ok[] = {
	{ "50MB", 50000000ULL }, { "512", 512ULL }, { "1.5GB", 1500000000ULL },
	{ "1GiB", 1073741824ULL }, { "1 KiB", 1024ULL }, { "10kb", 10000ULL },
	{ "2 M", 2000000ULL }, { "1TB", 1000000000000ULL },
	{ "1TiB", 1099511627776ULL }, { "0.5KiB", 512ULL }, { "100B", 100ULL },
	{ "1.5 MiB", 1572864ULL }, { "3G", 3000000000ULL }, { "7 bytes", 7ULL },
	{ "0", 0ULL }, { "1.1KiB", 1126ULL },
};

START_TEST(test_size_ok)
{
	struct ps_error err = { 0 };
	unsigned long long v = 1;

	ck_assert_msg(ps_size_parse(size_ok[_i].in, &v, &err) == 0, "'%s': %s",
		      size_ok[_i].in, err.msg);
	ck_assert_msg(v == size_ok[_i].bytes, "'%s' -> %llu, want %llu",
		      size_ok[_i].in, v, size_ok[_i].bytes);
}
END_TEST

static const struct {
	const char *in;
	int col;
	const char *msg;
} size_bad[] = {
	{ "", 1, "empty size" },
	{ "fifty", 1, "expected a number" },
	{ "50 XB", 4, "unknown size unit 'XB'" },
	{ "-1MB", 1, "negative" },
	{ "5MB extra", 5, "unexpected 'e'" },
	{ "99999999999999999999", 1, "too large" },
	{ "20000000TB", 1, "too large" },
};

START_TEST(test_size_bad)
{
	struct ps_error err = { 0 };
	unsigned long long v = 0;

	ck_assert_int_eq(ps_size_parse(size_bad[_i].in, &v, &err), -1);
	ck_assert_msg(err.col == size_bad[_i].col, "'%s': col %d, want %d (%s)",
		      size_bad[_i].in, err.col, size_bad[_i].col, err.msg);
	ck_assert_msg(strstr(err.msg, size_bad[_i].msg), "'%s': '%s' lacks '%s'",
		      size_bad[_i].in, err.msg, size_bad[_i].msg);
}
END_TEST

static const struct {
	unsigned long long bytes;
	const char *out;
} size_fmt[] = {
	{ 512, "512 B" }, { 1572864, "1.5 MiB" }, { 50000000, "50 MB" },
	{ 1024, "1 KiB" }, { 1073741824, "1 GiB" }, { 0, "0 B" },
	{ 1500000000, "1.5 GB" }, { 1234567, "1.2 MiB" }, { 1000, "1 KB" },
	{ 18446744073709551615ULL, "15.9 EiB" },
};

START_TEST(test_size_format)
{
	char buf[64];

	ps_size_format(size_fmt[_i].bytes, buf, sizeof(buf));
	ck_assert_str_eq(buf, size_fmt[_i].out);
}
END_TEST

static const struct {
	unsigned long long bytes;
	const char *out;
} size_human[] = {
	{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1 KiB" }, { 1572864, "1.5 MiB" },
	{ 50000000, "47.7 MiB" }, { 79829393408ULL, "74.3 GiB" },
	{ 18446744073709551615ULL, "15.9 EiB" },
};

START_TEST(test_size_human)
{
	char buf[64];

	ps_size_human(size_human[_i].bytes, buf, sizeof(buf));
	ck_assert_str_eq(buf, size_human[_i].out);
}
END_TEST

/* ---- RFC 3339 ---- */

static const struct {
	const char *in;
	double t;
} rfc_ok[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2026-11-26T01:00:00Z", 1795654800 },
	{ "2026-11-26T02:00:00+01:00", 1795654800 },
	{ "2026-11-25T20:00:00-05:00", 1795654800 },
	{ "2026-11-26T01:00:00.250Z", 1795654800.25 },
	{ "2026-11-26t01:00:00z", 1795654800 },
	{ "2026-11-26 01:00:00Z", 1795654800 },
	{ "2024-02-29T12:00:00Z", 1709208000 },
	{ "2026-11-26", 1795651200 },
	{ "2000-03-01T00:00:00+05:30", 951849000 },
};

START_TEST(test_rfc3339_ok)
{
	struct ps_error err = { 0 };
	double t = -1;

	ck_assert_msg(ps_time_parse(rfc_ok[_i].in, &t, &err) == 0, "'%s': %s",
		      rfc_ok[_i].in, err.msg);
	ck_assert_msg(fabs(t - rfc_ok[_i].t) < 1e-6, "'%s' -> %.3f, want %.3f",
		      rfc_ok[_i].in, t, rfc_ok[_i].t);
}
END_TEST

static const struct {
	const char *in;
	int col;
	const char *msg;
} rfc_bad[] = {
	{ "", 1, "empty" },
	{ "2026-13-01T00:00:00Z", 6, "month 13" },
	{ "2026-02-29T00:00:00Z", 9, "day 29 out of range" },
	{ "2026-11-26T24:00:00Z", 12, "hour 24" },
	{ "2026-11-26T01:60:00Z", 15, "minute 60" },
	{ "2026-11-26T01:00:00", 20, "missing time zone" },
	{ "2026-11-26T01:00:00+0100", 23, "expected ':'" },
	{ "2026-11-26T01:00:00Zjunk", 21, "unexpected 'j'" },
	{ "26-11-26T01:00:00Z", 3, "4-digit year" },
	{ "2026-11-26T01:00:00.Z", 21, "digits after '.'" },
	{ "yesterday", 1, "4-digit year" },
};

START_TEST(test_rfc3339_bad)
{
	struct ps_error err = { 0 };
	double t;

	ck_assert_int_eq(ps_time_parse(rfc_bad[_i].in, &t, &err), -1);
	ck_assert_msg(err.col == rfc_bad[_i].col, "'%s': col %d, want %d (%s)",
		      rfc_bad[_i].in, err.col, rfc_bad[_i].col, err.msg);
	ck_assert_msg(strstr(err.msg, rfc_bad[_i].msg), "'%s': '%s' lacks '%s'",
		      rfc_bad[_i].in, err.msg, rfc_bad[_i].msg);
}
END_TEST

START_TEST(test_rfc3339_format)
{
	char buf[40];
	double t;

	ps_time_format(1795654800, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-11-26T01:00:00Z");
	ps_time_format(1795654800.25, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-11-26T01:00:00.250Z");
	ps_time_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	ps_time_format(1709208000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2024-02-29T12:00:00Z");
	ps_time_format(1795654800.9996, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-11-26T01:00:01Z");
	ps_time_format(-1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	/* round trip */
	ck_assert_int_eq(ps_time_parse("2031-07-04T23:59:58.125Z", &t, NULL), 0);
	ps_time_format(t, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2031-07-04T23:59:58.125Z");
}
END_TEST

START_TEST(test_time_format_tz)
{
	char buf[48];
	struct ps_error err = { 0 };

	ck_assert_int_eq(ps_time_format_tz(1795654800, "Europe/Berlin", buf,
					   sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "2026-11-26T02:00:00+01:00");
	ck_assert_int_eq(ps_time_format_tz(1782435600.5, "America/New_York", buf,
					   sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "2026-06-25T21:00:00.500-04:00");
	ck_assert_int_eq(ps_time_format_tz(1795654800, "Asia/Kathmandu", buf,
					   sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "2026-11-26T06:45:00+05:45");
	ck_assert_int_eq(ps_time_format_tz(1795654800, NULL, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "2026-11-26T01:00:00Z");
	ck_assert_int_eq(ps_time_format_tz(0, "Mars/Olympus", buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(ps_time_zone_known("UTC"), 1);
	ck_assert_int_eq(ps_time_zone_known("Europe/Berlin"), 1);
	ck_assert_int_eq(ps_time_zone_known("Europe"), 0);
	ck_assert_int_eq(ps_time_zone_known("/etc/passwd"), 0);
}
END_TEST

START_TEST(test_time_now)
{
	double a = ps_time_now(), b = ps_time_now();

	ck_assert(a > 1.7e9);	/* after 2023 */
	ck_assert(b >= a);
	ck_assert(b - a < 5);
}
END_TEST

/* ---- schedule parsing ---- */

static const struct {
	const char *in;
	enum ps_sched_kind kind;
} sched_ok[] = {
	{ "0 1 * * *", PS_SCHED_CRON },
	{ "*/15 * * * *", PS_SCHED_CRON },
	{ "0 0 1,15 * *", PS_SCHED_CRON },
	{ "1-10/2 * * * *", PS_SCHED_CRON },
	{ "0 9-17 * * MON-FRI", PS_SCHED_CRON },
	{ "0 0 * JAN,jul *", PS_SCHED_CRON },
	{ "0 0 * * 7", PS_SCHED_CRON },
	{ "5/10 * * * *", PS_SCHED_CRON },
	{ "  0 1 * * *  ", PS_SCHED_CRON },
	{ "0\t1 * * *", PS_SCHED_CRON },
	{ "@yearly", PS_SCHED_CRON }, { "@annually", PS_SCHED_CRON },
	{ "@monthly", PS_SCHED_CRON }, { "@weekly", PS_SCHED_CRON },
	{ "@daily", PS_SCHED_CRON }, { "@midnight", PS_SCHED_CRON },
	{ "@hourly", PS_SCHED_CRON },
	{ "cron(0 12 * * ? *)", PS_SCHED_AWS_CRON },
	{ "cron(0 10 ? * 3#2 *)", PS_SCHED_AWS_CRON },
	{ "cron(0 0 L * ? *)", PS_SCHED_AWS_CRON },
	{ "cron(0 0 L-3 * ? *)", PS_SCHED_AWS_CRON },
	{ "cron(0 0 LW * ? *)", PS_SCHED_AWS_CRON },
	{ "cron(0 0 15W * ? *)", PS_SCHED_AWS_CRON },
	{ "cron(15 10 ? * 6L 2026-2028)", PS_SCHED_AWS_CRON },
	{ "cron(0/15 * * * ? *)", PS_SCHED_AWS_CRON },
	{ "cron(0 8 ? * MON-FRI *)", PS_SCHED_AWS_CRON },
	{ "cron(0 0 1 1 ? 2199)", PS_SCHED_AWS_CRON },
	{ "cron(0 18 ? * FRI#3 *)", PS_SCHED_AWS_CRON },
	{ "rate(1 minute)", PS_SCHED_RATE }, { "rate(5 minutes)", PS_SCHED_RATE },
	{ "rate(1 hour)", PS_SCHED_RATE }, { "rate(12 hours)", PS_SCHED_RATE },
	{ "rate(1 day)", PS_SCHED_RATE }, { "rate(7 days)", PS_SCHED_RATE },
	{ "daily", PS_SCHED_WORD }, { "weekly", PS_SCHED_WORD },
	{ "monthly", PS_SCHED_WORD }, { "quarterly", PS_SCHED_WORD },
	{ "yearly", PS_SCHED_WORD }, { "annually", PS_SCHED_WORD },
	{ "hourly", PS_SCHED_WORD }, { "Quarterly", PS_SCHED_WORD },
};

START_TEST(test_sched_ok)
{
	struct ps_sched s;
	struct ps_error err = { 0 };

	ck_assert_msg(ps_sched_parse(sched_ok[_i].in, &s, &err) == 0, "'%s': %s",
		      sched_ok[_i].in, err.msg);
	ck_assert_int_eq(s.kind, sched_ok[_i].kind);
}
END_TEST

START_TEST(test_sched_fields)
{
	struct ps_sched s;

	ck_assert_int_eq(ps_sched_parse("  */15 1-10/3 1,15 JAN-MAR 5-7 ", &s, NULL), 0);
	ck_assert_str_eq(s.expr, "*/15 1-10/3 1,15 JAN-MAR 5-7");
	ck_assert(s.minute == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)));
	ck_assert_uint_eq(s.hour, (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10));
	ck_assert_uint_eq(s.dom, (1u << 1) | (1u << 15));
	ck_assert_uint_eq(s.month, (1u << 1) | (1u << 2) | (1u << 3));
	ck_assert_uint_eq(s.dow, (1u << 5) | (1u << 6) | (1u << 0)); /* 7 = Sunday */
	ck_assert_int_eq(s.dom_star, 0);
	ck_assert_int_eq(s.dow_star, 0);

	/* AWS: 1-7 = SUN-SAT, ? counts as unrestricted */
	ck_assert_int_eq(ps_sched_parse("cron(0 8 ? * MON-FRI 2027,2030)", &s, NULL), 0);
	ck_assert_uint_eq(s.dow, 0x3E);
	ck_assert_int_eq(s.dom_star, 1);
	ck_assert_int_eq(s.year_star, 0);
	ck_assert(s.years[0] == ((1ULL << 57) | (1ULL << 60)));
	ck_assert_int_eq(ps_sched_parse("cron(0 10 ? * 3#2 *)", &s, NULL), 0);
	ck_assert_uint_eq(s.dow, 1u << 2);
	ck_assert_int_eq(s.dow_nth, 2);
	ck_assert_int_eq(ps_sched_parse("cron(0 10 L-3 * ? *)", &s, NULL), 0);
	ck_assert_int_eq(s.dom_last, 1);
	ck_assert_int_eq(s.dom_last_offset, 3);
	ck_assert_int_eq(ps_sched_parse("cron(0 10 9W * ? *)", &s, NULL), 0);
	ck_assert_int_eq(s.dom_weekday, 9);
	ck_assert_int_eq(ps_sched_parse("rate(5 minutes)", &s, NULL), 0);
	ck_assert(s.rate_secs == 300);
	ck_assert_int_eq(ps_sched_parse("quarterly", &s, NULL), 0);
	ck_assert_uint_eq(s.month, (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10));
	ck_assert_uint_eq(s.dom, 1u << 1);
}
END_TEST

static const struct {
	const char *in;
	int col;
	const char *msg;
} sched_bad[] = {
	{ "", 1, "empty schedule" },
	{ "61 * * * *", 1, "minute 61 out of range 0-59" },
	{ "0 25 * * *", 3, "hour 25 out of range 0-23" },
	{ "0 0 32 * *", 5, "day-of-month 32 out of range 1-31" },
	{ "0 0 0 * *", 5, "day-of-month 0 out of range 1-31" },
	{ "0 0 * 13 *", 7, "month 13 out of range 1-12" },
	{ "0 0 * * 8", 9, "day-of-week 8 out of range 0-7" },
	{ "0 0 * FOO *", 7, "unknown month name 'FOO'" },
	{ "0 0 * * FUN", 9, "unknown day-of-week name 'FUN'" },
	{ "0 1 * *", 8, "expected 5 fields" },
	{ "0 1 * * * *", 11, "got 6; AWS schedules are written cron(...)" },
	{ "*/0 * * * *", 3, "step 0 must be at least 1" },
	{ "5-1 * * * *", 3, "goes backwards" },
	{ "0 0 ? * *", 5, "only valid in AWS" },
	{ "0 0 L * *", 5, "only valid in AWS" },
	{ "1,,2 * * * *", 3, "empty value" },
	{ "1, * * * *", 2, "list ends with ','" },
	{ "a * * * *", 1, "minute: expected a number, got 'a'" },
	{ "*5 * * * *", 2, "unexpected '5' after '*'" },
	{ "dialy", 1, "did you mean 'daily'" },
	{ "@dayly", 1, "did you mean '@daily'" },
	{ "@reboot", 1, "at boot" },
	{ "cron(0 12 * * * *)", 15, "day-of-week and day-of-month cannot both be specified in AWS cron; use ? in one of them" },
	{ "cron(0 12 ? * ? *)", 15, "cannot both be ?" },
	{ "cron(0 12 * * ?)", 16, "AWS cron needs 6 fields" },
	{ "cron(0 12 * * ? * *)", 19, "AWS cron needs 6 fields" },
	{ "cron(0 12 * * ? 1969)", 17, "year 1969 out of range 1970-2199" },
	{ "cron(0 12 * * ? 2200)", 17, "year 2200 out of range 1970-2199" },
	{ "cron(0 12 ? * 0 *)", 15, "day-of-week 0 out of range 1-7" },
	{ "cron(0 12 ? * 3#6 *)", 17, "week number after '#' 6 out of range 1-5" },
	{ "cron(0 12 ? * 3#1,6#3 *)", 15, "cannot be combined" },
	{ "cron(0 12 L-31 * ? *)", 13, "offset 31 out of range 1-30" },
	{ "cron(0 12 32W * ? *)", 11, "day-of-month 32 out of range 1-31" },
	{ "cron(0 12 * * ? *", 18, "missing ')'" },
	{ "Cron(0 12 * * ? *)", 1, "lowercase" },
	{ "cron(0 ? * * * *)", 8, "'?' is only allowed in day-of-month and day-of-week" },
	{ "rate(1 minutes)", 8, "use 'minute' with a value of 1" },
	{ "rate(5 minute)", 8, "use 'minutes' with a value above 1" },
	{ "rate(0 minutes)", 6, "at least 1" },
	{ "rate(1.5 hours)", 6, "whole number" },
	{ "rate(5 secs)", 8, "unknown unit 'secs'" },
	{ "rate(5)", 7, "missing unit" },
	{ "rate(five minutes)", 6, "positive whole number" },
	{ "rate(5 Minutes)", 8, "lowercase" },
	{ "rate(5 minutes now)", 16, "unexpected 'n'" },
};

START_TEST(test_sched_bad)
{
	struct ps_sched s;
	struct ps_error err = { 0 };

	ck_assert_msg(ps_sched_parse(sched_bad[_i].in, &s, &err) == -1,
		      "'%s' parsed", sched_bad[_i].in);
	ck_assert_msg(err.col == sched_bad[_i].col, "'%s': col %d, want %d (%s)",
		      sched_bad[_i].in, err.col, sched_bad[_i].col, err.msg);
	ck_assert_msg(strstr(err.msg, sched_bad[_i].msg), "'%s': '%s' lacks '%s'",
		      sched_bad[_i].in, err.msg, sched_bad[_i].msg);
	ck_assert_int_eq(err.code, 2);
}
END_TEST

START_TEST(test_sched_column_with_leading_space)
{
	struct ps_sched s;
	struct ps_error err = { 0 };

	ck_assert_int_eq(ps_sched_parse("   0 25 * * *", &s, &err), -1);
	ck_assert_int_eq(err.col, 6);
	ck_assert_int_eq(ps_sched_parse("x", &s, &err), -1);
	ck_assert_int_eq(ps_sched_parse(NULL, &s, &err), -1);
}
END_TEST

/* ---- next fire times (answers checked by hand against a calendar) ---- */

static const struct {
	const char *expr;
	const char *tz;
	const char *after;
	const char *next[3];
} next_cases[] = {
	/* the standards' schedules */
	{ "0 1 * * *", NULL, "2026-11-26T14:00:00Z",
	  { "2026-11-27T01:00:00Z", "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z" } },
	{ "cron(0 12 * * ? *)", NULL, "2026-11-26T14:00:00Z",
	  { "2026-11-27T12:00:00Z", "2026-11-28T12:00:00Z", "2026-11-29T12:00:00Z" } },
	{ "quarterly", NULL, "2026-11-26T14:00:00Z",
	  { "2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z", "2027-07-01T00:00:00Z" } },
	/* strictly after */
	{ "0 1 * * *", "UTC", "2026-11-27T01:00:00Z",
	  { "2026-11-28T01:00:00Z", NULL, NULL } },
	{ "0 1 * * *", "UTC", "2026-11-27T00:59:59Z",
	  { "2026-11-27T01:00:00Z", NULL, NULL } },
	{ "*/15 * * * *", NULL, "2026-11-26T14:07:30Z",
	  { "2026-11-26T14:15:00Z", "2026-11-26T14:30:00Z", "2026-11-26T14:45:00Z" } },
	{ "* * * * *", NULL, "2026-12-31T23:59:00Z",
	  { "2027-01-01T00:00:00Z", "2027-01-01T00:01:00Z", NULL } },
	/* leap years and month ends */
	{ "0 0 29 2 *", NULL, "2026-03-01T00:00:00Z",
	  { "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", NULL } },
	{ "0 0 31 * *", NULL, "2026-04-01T00:00:00Z",
	  { "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z" } },
	{ "30 23 31 12 *", NULL, "2026-12-31T23:30:00Z",
	  { "2027-12-31T23:30:00Z", NULL, NULL } },
	{ "@yearly", NULL, "2099-06-01T00:00:00Z",
	  { "2100-01-01T00:00:00Z", "2101-01-01T00:00:00Z", NULL } },
	/* day names, 7 = Sunday, ranges and steps */
	{ "0 0 * * 7", NULL, "2026-11-26T00:00:00Z",
	  { "2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z", NULL } },
	{ "0 9 * * MON-FRI", NULL, "2026-11-27T10:00:00Z",
	  { "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", NULL } },
	{ "1-10/4 */6 * * *", NULL, "2026-11-26T13:00:00Z",
	  { "2026-11-26T18:01:00Z", "2026-11-26T18:05:00Z", "2026-11-26T18:09:00Z" } },
	{ "0 0 1 JAN,JUL *", NULL, "2026-11-26T00:00:00Z",
	  { "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z", NULL } },
	/* Vixie: both day fields restricted -> either fires */
	{ "0 0 13 * 5", NULL, "2026-11-26T00:00:00Z",
	  { "2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z" } },
	{ "0 0 13 * 5", NULL, "2026-12-11T00:00:00Z",
	  { "2026-12-13T00:00:00Z", "2026-12-18T00:00:00Z", NULL } },
	/* ... but a day field starting with * makes both required */
	{ "0 0 */2 * 1", NULL, "2026-11-26T00:00:00Z",
	  { "2026-12-07T00:00:00Z", "2026-12-21T00:00:00Z", NULL } },
	/* AWS L, L-n, W, LW, nL, # and years */
	{ "cron(0 0 L * ? *)", NULL, "2028-02-01T00:00:00Z",
	  { "2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z", "2028-04-30T00:00:00Z" } },
	{ "cron(0 0 L * ? *)", NULL, "2027-02-01T00:00:00Z",
	  { "2027-02-28T00:00:00Z", NULL, NULL } },
	{ "cron(0 0 L-3 * ? *)", NULL, "2027-02-01T00:00:00Z",
	  { "2027-02-25T00:00:00Z", "2027-03-28T00:00:00Z", NULL } },
	{ "cron(0 0 15W * ? *)", NULL, "2027-05-01T00:00:00Z",
	  { "2027-05-14T00:00:00Z", "2027-06-15T00:00:00Z", NULL } },
	{ "cron(0 0 1W * ? *)", NULL, "2027-04-15T00:00:00Z",
	  { "2027-05-03T00:00:00Z", NULL, NULL } },
	{ "cron(0 0 31W * ? *)", NULL, "2026-04-01T00:00:00Z",
	  { "2026-05-29T00:00:00Z", "2026-07-31T00:00:00Z", NULL } },
	{ "cron(0 0 LW * ? *)", NULL, "2027-01-01T00:00:00Z",
	  { "2027-01-29T00:00:00Z", "2027-02-26T00:00:00Z", NULL } },
	{ "cron(15 10 ? * 6L *)", NULL, "2026-11-01T00:00:00Z",
	  { "2026-11-27T10:15:00Z", "2026-12-25T10:15:00Z", NULL } },
	{ "cron(0 10 ? * 3#2 *)", NULL, "2026-11-26T00:00:00Z",
	  { "2026-12-08T10:00:00Z", "2027-01-12T10:00:00Z", NULL } },
	{ "cron(0 10 ? * 2#5 *)", NULL, "2026-11-26T00:00:00Z",
	  { "2026-11-30T10:00:00Z", "2027-03-29T10:00:00Z", NULL } },
	{ "cron(0 0 ? * L *)", NULL, "2026-11-26T00:00:00Z",
	  { "2026-11-28T00:00:00Z", NULL, NULL } },
	{ "cron(0 0 1 1 ? 2030)", NULL, "2026-11-26T00:00:00Z",
	  { "2030-01-01T00:00:00Z", NULL, NULL } },
	/* years past 2161 live in years_hi */
	{ "cron(0 0 1 1 ? 2170,2199)", NULL, "2169-06-01T00:00:00Z",
	  { "2170-01-01T00:00:00Z", NULL, NULL } },
	{ "cron(0 0 1 1 ? 2161-2162)", NULL, "2160-06-01T00:00:00Z",
	  { "2161-01-01T00:00:00Z", "2162-01-01T00:00:00Z", NULL } },
	/* rate: from the given time */
	{ "rate(5 minutes)", NULL, "2026-11-26T14:02:11Z",
	  { "2026-11-26T14:07:11Z", "2026-11-26T14:12:11Z", NULL } },
	{ "rate(1 day)", NULL, "2026-11-26T14:00:00Z",
	  { "2026-11-27T14:00:00Z", NULL, NULL } },
	/* zones without DST changes nearby */
	{ "0 1 * * *", "Europe/Berlin", "2026-11-26T14:00:00Z",
	  { "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z", NULL } },
	{ "0 12 * * *", "Asia/Kolkata", "2026-11-26T00:00:00Z",
	  { "2026-11-26T06:30:00Z", NULL, NULL } },
	/* Berlin spring forward 2026-03-29 01:00Z (02:00 CET -> 03:00 CEST):
	 * 02:30 does not exist and fires when the clock jumps */
	{ "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
	  { "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", NULL } },
	/* an hourly-style schedule just skips the missing hour */
	{ "*/30 * * * *", "Europe/Berlin", "2026-03-29T00:10:00Z",
	  { "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z" } },
	/* Berlin fall back 2026-10-25 01:00Z (03:00 CEST -> 02:00 CET):
	 * a fixed time fires once, at its first occurrence */
	{ "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
	  { "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", NULL } },
	/* every-hour schedules fire in both copies of the repeated hour */
	{ "*/30 * * * *", "Europe/Berlin", "2026-10-25T00:10:00Z",
	  { "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z" } },
	{ "* * * * *", "Europe/Berlin", "2026-10-25T00:58:00Z",
	  { "2026-10-25T00:59:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:01:00Z" } },
	/* New York: 2026-03-08 07:00Z (02:00 EST -> 03:00 EDT) and
	 * 2026-11-01 06:00Z (02:00 EDT -> 01:00 EST) */
	{ "0 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
	  { "2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", NULL } },
	{ "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
	  { "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", NULL } },
	{ "15 * * * *", "America/New_York", "2026-11-01T04:00:00Z",
	  { "2026-11-01T04:15:00Z", "2026-11-01T05:15:00Z", "2026-11-01T06:15:00Z" } },
	{ "30 1 * * *", "America/New_York", "2026-11-01T05:45:00Z",
	  { "2026-11-02T06:30:00Z", NULL, NULL } },
	{ "cron(0 12 * * ? *)", "America/New_York", "2026-11-26T00:00:00Z",
	  { "2026-11-26T17:00:00Z", NULL, NULL } },
};

START_TEST(test_sched_next)
{
	struct ps_sched s;
	struct ps_error err = { 0 };
	double a;
	time_t t, n;
	char buf[40];
	int k;

	ck_assert_msg(ps_sched_parse(next_cases[_i].expr, &s, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(ps_time_parse(next_cases[_i].after, &a, NULL), 0);
	t = (time_t)a;
	for (k = 0; k < 3 && next_cases[_i].next[k]; k++) {
		ck_assert_msg(ps_sched_next(&s, t, next_cases[_i].tz, &n, &err) == 0,
			      "'%s': %s", next_cases[_i].expr, err.msg);
		ps_time_format((double)n, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, next_cases[_i].next[k]) == 0,
			      "'%s' in %s after %s: #%d is %s, want %s",
			      next_cases[_i].expr,
			      next_cases[_i].tz ? next_cases[_i].tz : "UTC",
			      next_cases[_i].after, k + 1, buf,
			      next_cases[_i].next[k]);
		t = n;
	}
}
END_TEST

START_TEST(test_sched_next_none)
{
	struct ps_sched s;
	struct ps_error err = { 0 };
	time_t n = 0;

	ck_assert_int_eq(ps_sched_parse("0 0 30 2 *", &s, NULL), 0);
	ck_assert_int_eq(ps_sched_next(&s, 1795654800, NULL, &n, &err), -1);
	ck_assert_int_eq(err.code, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not fire within 5 years"));
	/* a year past the 5-year window */
	ck_assert_int_eq(ps_sched_parse("cron(0 0 1 1 ? 2199)", &s, NULL), 0);
	ck_assert_int_eq(ps_sched_next(&s, 1795654800, NULL, &n, &err), -1);
	/* ... found when it is near */
	ck_assert_int_eq(ps_sched_next(&s, 7226496000 /* 2198-12-31 */, NULL, &n, &err), 0);
	ck_assert_int_eq((long long)n, 7226582400LL);	/* 2199-01-01 */
	/* unknown zone */
	ck_assert_int_eq(ps_sched_parse("0 1 * * *", &s, NULL), 0);
	ck_assert_int_eq(ps_sched_next(&s, 1795654800, "Nowhere/Zone", &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown time zone 'Nowhere/Zone'"));
	ck_assert_int_eq(ps_sched_next(&s, 1795654800, "../../etc/passwd", &n, &err), -1);
	/* TZ is restored */
	setenv("TZ", "Asia/Tokyo", 1);
	ck_assert_int_eq(ps_sched_next(&s, 1795654800, "Europe/Berlin", &n, &err), 0);
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	unsetenv("TZ");
	ck_assert_int_eq(ps_sched_next(&s, 1795654800, "Europe/Berlin", &n, &err), 0);
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

/* Every schedule form, many steps, across DST in several zones: strictly
 * increasing, never stuck, every result a match of its own civil time. */
START_TEST(test_sched_next_progress)
{
	static const char *const exprs[] = {
		"*/7 * * * *", "30 2 * * *", "0 0-3 * * *", "59 1 * * SUN",
		"cron(0 1 ? * 1#1 *)", "cron(30 2 L * ? *)", "0 0 29 * *",
	};
	static const char *const zones[] = {
		"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
		"Asia/Kathmandu",
	};
	size_t i, j;

	for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++)
		for (j = 0; j < sizeof(zones) / sizeof(zones[0]); j++) {
			struct ps_sched s;
			struct ps_error err = { 0 };
			time_t t = 1774000000, n;	/* March 2026 */
			int k;

			ck_assert_int_eq(ps_sched_parse(exprs[i], &s, NULL), 0);
			for (k = 0; k < 400; k++) {
				ck_assert_msg(ps_sched_next(&s, t, zones[j], &n, &err) == 0,
					      "%s %s: %s", exprs[i], zones[j], err.msg);
				ck_assert(n > t);
				t = n;
			}
		}
}
END_TEST

/* ---- in words ---- */

static const struct {
	const char *expr;
	const char *words;
} explain_cases[] = {
	{ "0 1 * * *", "at 01:00 every day" },
	{ "*/15 * * * *", "every 15 minutes" },
	{ "cron(0 12 * * ? *)", "at 12:00 UTC every day" },
	{ "quarterly", "at 00:00 on day 1 of January, April, July and October" },
	{ "daily", "at 00:00 every day" },
	{ "@weekly", "at 00:00 every Sunday" },
	{ "monthly", "at 00:00 on day 1 of every month" },
	{ "yearly", "at 00:00 on day 1 of January" },
	{ "hourly", "every hour" },
	{ "* * * * *", "every minute" },
	{ "5 * * * *", "every hour at minute 5" },
	{ "0 */2 * * *", "every 2 hours" },
	{ "30 8,12,18 * * *", "at 08:30, 12:30 and 18:30 every day" },
	{ "0 9 * * MON-FRI", "at 09:00 on Monday through Friday" },
	{ "0 9-17 * * 1-5", "every hour from 09:00 to 17:00 on Monday through Friday" },
	{ "*/5 9-17 * * 1-5", "every 5 minutes from 09:00 to 17:55 on Monday through Friday" },
	{ "0 12 * * 1,3,5", "at 12:00 on Monday, Wednesday and Friday" },
	{ "0 0 1,15 * *", "at 00:00 on days 1 and 15 of every month" },
	{ "0 0 * 1 *", "at 00:00 every day in January" },
	{ "0 0 13 * 5", "at 00:00 on day 13 or on every Friday" },
	{ "rate(1 minute)", "every minute" },
	{ "rate(5 minutes)", "every 5 minutes" },
	{ "rate(1 hour)", "every hour" },
	{ "rate(2 days)", "every 2 days" },
	{ "cron(0 0 L * ? *)", "at 00:00 UTC on the last day of every month" },
	{ "cron(0 0 LW * ? *)", "at 00:00 UTC on the last weekday of every month" },
	{ "cron(0 0 15W * ? *)", "at 00:00 UTC on the weekday nearest day 15 of every month" },
	{ "cron(0 10 ? * 3#2 *)", "at 10:00 UTC on the second Tuesday of every month" },
	{ "cron(15 10 ? * 6L 2026-2028)", "at 10:15 UTC on the last Friday of every month in 2026 to 2028" },
	{ "cron(0 8 ? * MON-FRI *)", "at 08:00 UTC on Monday through Friday" },
	{ "cron(0/15 * * * ? *)", "every 15 minutes" },
	{ "0 0 */2 * 1", "at 00:00 on days 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29 and 31 if it is a Monday" },
	{ "0 0 29 2 1", "at 00:00 on day 29 or on every Monday in February" },
	{ "cron(0 0 1 1 ? 2027,2029-2031)", "at 00:00 UTC on day 1 of January in 2027 and 2029 to 2031" },
	{ "cron(0 0 L-1 * ? *)", "at 00:00 UTC 1 day before the last day of every month" },
	{ "* 9 * * *", "every minute from 09:00 to 09:59" },
	{ "0 0 * 1-3,7 *", "at 00:00 every day in January through March and July" },
	{ "5,35 4 * * 6,0", "at 04:05 and 04:35 on Sunday and Saturday" },
};

START_TEST(test_sched_explain)
{
	struct ps_sched s;
	struct ps_error err = { 0 };
	char buf[256];

	ck_assert_msg(ps_sched_parse(explain_cases[_i].expr, &s, &err) == 0, "%s",
		      err.msg);
	ps_sched_explain(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, explain_cases[_i].words);
}
END_TEST

START_TEST(test_sched_explain_tz)
{
	struct ps_sched s;
	char buf[256];

	ck_assert_int_eq(ps_sched_parse("cron(0 12 * * ? *)", &s, NULL), 0);
	ps_sched_explain_tz(&s, "Europe/Berlin", buf, sizeof(buf));
	ck_assert_str_eq(buf, "at 12:00 Europe/Berlin every day");
	ps_sched_explain_tz(&s, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "at 12:00 UTC every day");
	ck_assert_int_eq(ps_sched_parse("30 2 * * 1-5", &s, NULL), 0);
	ps_sched_explain_tz(&s, "America/New_York", buf, sizeof(buf));
	ck_assert_str_eq(buf, "at 02:30 America/New_York on Monday through Friday");
	ps_sched_explain_tz(&s, "UTC", buf, sizeof(buf));
	ck_assert_str_eq(buf, "at 02:30 UTC on Monday through Friday");
	ck_assert_int_eq(ps_sched_parse("*/10 * * * *", &s, NULL), 0);
	ps_sched_explain_tz(&s, "Europe/Berlin", buf, sizeof(buf));
	ck_assert_str_eq(buf, "every 10 minutes");
}
END_TEST

START_TEST(test_sched_explain_truncates)
{
	struct ps_sched s;
	char buf[8];

	ck_assert_int_eq(ps_sched_parse("quarterly", &s, NULL), 0);
	ps_sched_explain(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "at 00:0");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_duration_ok, 0, N(dur_ok));
	tcase_add_loop_test(tc, test_duration_bad, 0, N(dur_bad));
	tcase_add_loop_test(tc, test_duration_format, 0, N(dur_fmt));
	tcase_add_loop_test(tc, test_size_ok, 0, N(size_ok));
	tcase_add_loop_test(tc, test_size_bad, 0, N(size_bad));
	tcase_add_loop_test(tc, test_size_format, 0, N(size_fmt));
	tcase_add_loop_test(tc, test_size_human, 0, N(size_human));
	tcase_add_loop_test(tc, test_rfc3339_ok, 0, N(rfc_ok));
	tcase_add_loop_test(tc, test_rfc3339_bad, 0, N(rfc_bad));
	tcase_add_test(tc, test_rfc3339_format);
	tcase_add_test(tc, test_time_format_tz);
	tcase_add_test(tc, test_time_now);
	tcase_add_loop_test(tc, test_sched_ok, 0, N(sched_ok));
	tcase_add_test(tc, test_sched_fields);
	tcase_add_loop_test(tc, test_sched_bad, 0, N(sched_bad));
	tcase_add_test(tc, test_sched_column_with_leading_space);
	tcase_add_loop_test(tc, test_sched_next, 0, N(next_cases));
	tcase_add_test(tc, test_sched_next_none);
	tcase_add_test(tc, test_sched_next_progress);
	tcase_add_loop_test(tc, test_sched_explain, 0, N(explain_cases));
	tcase_add_test(tc, test_sched_explain_tz);
	tcase_add_test(tc, test_sched_explain_truncates);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(time_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
