/*
 * time: durations, sizes, RFC 3339 timestamps and schedules (5-field cron
 * with Vixie semantics, AWS cron(...) and rate(...), and words such as
 * daily or quarterly), with next fire times computed in UTC or in an IANA
 * zone of the system's tz database.
 *
 * Time zones: ps_sched_next switches the TZ environment variable for the
 * length of the call (tzset before and after), so it is not thread-safe.
 * Daylight saving time follows Vixie cron: a fixed time of day that falls
 * into a spring-forward gap fires once at the moment the clock jumps; a
 * fixed time that occurs twice (fall back) fires at its first occurrence
 * only. Schedules that run every hour (hour field *) simply go on by the
 * wall clock: nothing in the gap, both occurrences in an overlap.
 */
#include "time.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- calendar arithmetic (proleptic Gregorian, no time zone) ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

/* 0 = Sunday */
static int
weekday_of(int y, int m, int d)
{
	int64_t w = (days_from_civil(y, m, d) + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int
lower_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

/* ---- durations ---- */

struct dur_unit {
	const char *name;
	double secs;
};

static const struct dur_unit dur_units[] = {
	{ "ms", 0.001 }, { "msec", 0.001 }, { "msecs", 0.001 },
	{ "millisecond", 0.001 }, { "milliseconds", 0.001 },
	{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 },
	{ "seconds", 1 },
	{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 },
	{ "minutes", 60 },
	{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 },
	{ "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
};

/*
 * A decimal number at p (digits with an optional fraction, no sign, no
 * exponent). Returns the characters read, 0 when there is no number.
 */
static size_t
scan_decimal(const char *p, double *out)
{
	char tmp[64];
	size_t n = 0, digits = 0;

	while (isdigit((unsigned char)p[n])) {
		n++;
		digits++;
	}
	if (p[n] == '.') {
		n++;
		while (isdigit((unsigned char)p[n])) {
			n++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (n >= sizeof(tmp)) {
		*out = HUGE_VAL;
		return n;
	}
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	return n;
}

int
ps_duration_parse(const char *s, double *secs, struct ps_error *err)
{
	const char *p = s;
	double total = 0;
	int terms = 0;

	if (!s)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty duration");
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty duration");
	while (*p) {
		const char *num = p, *unit;
		double v;
		size_t n, k, i;
		int found = -1;

		if (*p == '-')
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - s) + 1,
					   "negative durations are not allowed");
		n = scan_decimal(p, &v);
		if (n == 0)
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - s) + 1,
					   "expected a number, got '%c'", *p);
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		unit = p;
		k = 0;
		while (isalpha((unsigned char)unit[k]))
			k++;
		if (k == 0) {
			if (*p == '\0' && terms == 0) {
				total = v;	/* a bare number: seconds */
				terms++;
				break;
			}
			if (*p == '\0' || isdigit((unsigned char)*p) || *p == '.')
				return ps_error_at(err, PS_EXIT_USAGE, 0,
						   (int)(num - s) + 1,
						   "missing unit after %.*s (use ms, s, m, h, d or w)",
						   (int)n, num);
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - s) + 1,
					   "unexpected '%c' in duration", *p);
		}
		for (i = 0; i < PS_ARRAY_LEN(dur_units); i++)
			if (lower_eq(unit, k, dur_units[i].name)) {
				found = (int)i;
				break;
			}
		if (found < 0)
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(unit - s) + 1,
					   "unknown unit '%.*s' (use ms, s, m, h, d or w)",
					   (int)(k > 40 ? 40 : k), unit);
		total += v * dur_units[found].secs;
		terms++;
		p = unit + k;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (!isfinite(total) || total > 1e12)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "duration too large");
	*secs = total;
	return 0;
}

void
ps_duration_format(double secs, char *buf, size_t n)
{
	static const struct {
		const char *name;
		long long ms;
	} parts[] = {
		{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
		{ "s", 1000LL }, { "ms", 1LL },
	};
	double a = fabs(secs);
	long long ms;
	size_t len = 0, i;

	if (!buf || n == 0)
		return;
	if (!isfinite(secs) || a > 9e12) {
		snprintf(buf, n, "%gs", secs);
		return;
	}
	ms = llround(a * 1000);
	if (fabs((double)ms / 1000.0 - a) > 1e-9 * (a > 1 ? a : 1)) {
		/* finer than milliseconds: plain decimal seconds */
		char tmp[64];
		size_t k;

		snprintf(tmp, sizeof(tmp), "%.9f", a);
		k = strlen(tmp);
		while (k > 0 && tmp[k - 1] == '0')
			tmp[--k] = '\0';
		if (k > 0 && tmp[k - 1] == '.')
			tmp[--k] = '\0';
		snprintf(buf, n, "%s%ss", secs < 0 ? "-" : "", tmp);
		return;
	}
	if (ms == 0) {
		snprintf(buf, n, "0s");
		return;
	}
	buf[0] = '\0';
	if (secs < 0)
		len += (size_t)snprintf(buf, n, "-");
	for (i = 0; i < PS_ARRAY_LEN(parts) && len < n; i++) {
		long long q = ms / parts[i].ms;

		if (q == 0)
			continue;
		ms -= q * parts[i].ms;
		len += (size_t)snprintf(buf + len, n - len, "%lld%s", q,
					parts[i].name);
	}
}

/* ---- sizes ---- */

struct size_unit {
	const char *name;
	unsigned long long mult;
};

static const struct size_unit size_units[] = {
	{ "b", 1ULL }, { "byte", 1ULL }, { "bytes", 1ULL },
	{ "k", 1000ULL }, { "kb", 1000ULL },
	{ "m", 1000000ULL }, { "mb", 1000000ULL },
	{ "g", 1000000000ULL }, { "gb", 1000000000ULL },
	{ "t", 1000000000000ULL }, { "tb", 1000000000000ULL },
	{ "p", 1000000000000000ULL }, { "pb", 1000000000000000ULL },
	{ "e", 1000000000000000000ULL }, { "eb", 1000000000000000000ULL },
	{ "ki", 1ULL << 10 }, { "kib", 1ULL << 10 },
	{ "mi", 1ULL << 20 }, { "mib", 1ULL << 20 },
	{ "gi", 1ULL << 30 }, { "gib", 1ULL << 30 },
	{ "ti", 1ULL << 40 }, { "tib", 1ULL << 40 },
	{ "pi", 1ULL << 50 }, { "pib", 1ULL << 50 },
	{ "ei", 1ULL << 60 }, { "eib", 1ULL << 60 },
};

int
ps_size_parse(const char *s, unsigned long long *bytes, struct ps_error *err)
{
	const char *p = s, *unit;
	unsigned long long ip = 0, mult = 1, r;
	long double frac = 0, scale = 1;
	int digits = 0;
	size_t k, i;

	if (!s)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty size");
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty size");
	if (*p == '-')
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - s) + 1,
				   "negative sizes are not allowed");
	while (isdigit((unsigned char)*p)) {
		if (__builtin_mul_overflow(ip, 10ULL, &ip) ||
		    __builtin_add_overflow(ip, (unsigned long long)(*p - '0'), &ip))
			return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "size too large");
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (scale < 1e30L) {
				scale *= 10;
				frac += (long double)(*p - '0') / scale;
			}
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - s) + 1,
				   "expected a number, got '%c'", *p);
	while (*p == ' ' || *p == '\t')
		p++;
	unit = p;
	k = 0;
	while (isalpha((unsigned char)unit[k]))
		k++;
	if (k > 0) {
		int found = -1;

		for (i = 0; i < PS_ARRAY_LEN(size_units); i++)
			if (lower_eq(unit, k, size_units[i].name)) {
				found = (int)i;
				break;
			}
		if (found < 0)
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(unit - s) + 1,
					   "unknown size unit '%.*s' (use B, KB, MB, GB, TB or KiB, MiB, GiB, TiB)",
					   (int)(k > 40 ? 40 : k), unit);
		mult = size_units[found].mult;
		p = unit + k;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)(p - s) + 1,
				   "unexpected '%c' in size", *p);
	if (__builtin_mul_overflow(ip, mult, &r))
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "size too large");
	{
		long double f = frac * (long double)mult + 0.5L;
		unsigned long long fb;

		if (f >= 18446744073709551615.0L)
			return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "size too large");
		fb = (unsigned long long)f;
		if (__builtin_add_overflow(r, fb, &r))
			return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "size too large");
	}
	*bytes = r;
	return 0;
}

/* bytes in unit u with up to two decimals, only when exact (or forced). */
static int
size_scaled(unsigned long long bytes, unsigned long long u, const char *name,
	    int force, char *buf, size_t n)
{
	unsigned __int128 x = (unsigned __int128)bytes * 100;
	unsigned long long whole, cents;

	if (!force && x % u != 0)
		return 0;
	if (force) {	/* round to one decimal, down when up would overflow */
		unsigned __int128 t = x * 10 / u;

		x = (t + 50) / 100 * 10;
		if (x * u / 100 > (unsigned __int128)~0ULL)
			x = t / 100 * 10;
	}
	else
		x /= u;
	whole = (unsigned long long)(x / 100);
	cents = (unsigned long long)(x % 100);
	if (cents == 0)
		snprintf(buf, n, "%llu %s", whole, name);
	else if (cents % 10 == 0)
		snprintf(buf, n, "%llu.%llu %s", whole, cents / 10, name);
	else
		snprintf(buf, n, "%llu.%02llu %s", whole, cents, name);
	return 1;
}

void
ps_size_format(unsigned long long bytes, char *buf, size_t n)
{
	static const char *const bin[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	static const char *const dec[] = { "KB", "MB", "GB", "TB", "PB", "EB" };
	char best[64] = "", cand[64];
	unsigned long long u;
	int i;

	if (!buf || n == 0)
		return;
	if (bytes < 1000) {
		snprintf(buf, n, "%llu B", bytes);
		return;
	}
	/* the shortest exact spelling, binary or decimal */
	for (i = 5; i >= 0; i--) {
		u = 1ULL << (10 * (i + 1));
		if (bytes >= u && size_scaled(bytes, u, bin[i], 0, cand, sizeof(cand)) &&
		    (!best[0] || strlen(cand) < strlen(best)))
			memcpy(best, cand, sizeof(best));
	}
	u = 1;
	for (i = 0; i < 6; i++)
		u *= 1000;
	for (i = 5; i >= 0; i--, u /= 1000)
		if (bytes >= u && size_scaled(bytes, u, dec[i], 0, cand, sizeof(cand)) &&
		    (!best[0] || strlen(cand) < strlen(best)))
			memcpy(best, cand, sizeof(best));
	if (best[0]) {
		snprintf(buf, n, "%s", best);
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, n, "%llu B", bytes);
		return;
	}
	for (i = 5; i >= 0; i--) {
		u = 1ULL << (10 * (i + 1));
		if (bytes >= u) {
			size_scaled(bytes, u, bin[i], 1, buf, n);
			return;
		}
	}
}

void
ps_size_human(unsigned long long bytes, char *buf, size_t n)
{
	static const char *const bin[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int i;

	if (!buf || n == 0)
		return;
	for (i = 5; i >= 0; i--) {
		unsigned long long u = 1ULL << (10 * (i + 1));
		if (bytes >= u) {
			size_scaled(bytes, u, bin[i], 1, buf, n);
			return;
		}
	}
	snprintf(buf, n, "%llu B", bytes);
}

/* ---- RFC 3339 ---- */

double
ps_time_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (double)time(NULL);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ps_time_format(double t, char *buf, size_t n)
{
	double fl;
	int64_t sec, days, rem;
	int ms, y, mo, d;

	if (!buf || n == 0)
		return;
	if (!isfinite(t) || fabs(t) > 253402300799.0) {
		snprintf(buf, n, "invalid-time");
		return;
	}
	fl = floor(t);
	sec = (int64_t)fl;
	ms = (int)llround((t - fl) * 1000);
	if (ms >= 1000) {
		sec++;
		ms -= 1000;
	}
	days = floor_div(sec, 86400);
	rem = sec - days * 86400;
	civil_from_days(days, &y, &mo, &d);
	if (ms)
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
			 (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60),
			 ms);
	else
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
			 (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60));
}

/* Exactly n digits at s+*pos; -1 (with err) otherwise. */
static int
rfc_digits(const char *s, size_t *pos, int n, const char *what, int *out,
	   struct ps_error *err)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		char c = s[*pos + (size_t)i];

		if (!isdigit((unsigned char)c))
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)*pos + i + 1,
					   "expected %d-digit %s in timestamp", n, what);
		v = v * 10 + (c - '0');
	}
	*pos += (size_t)n;
	*out = v;
	return 0;
}

static int
rfc_char(const char *s, size_t *pos, const char *accept, struct ps_error *err)
{
	if (s[*pos] == '\0' || !strchr(accept, s[*pos])) {
		if (s[*pos] == '\0')
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)*pos + 1,
					   "timestamp ends early: expected '%c'",
					   accept[0]);
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)*pos + 1,
				   "expected '%c' in timestamp, got '%c'", accept[0],
				   s[*pos]);
	}
	(*pos)++;
	return 0;
}

int
ps_time_parse(const char *s, double *t, struct ps_error *err)
{
	size_t pos = 0;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign;
	double frac = 0, off = 0;

	if (!s || !*s)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty timestamp");
	if (rfc_digits(s, &pos, 4, "year", &y, err) ||
	    rfc_char(s, &pos, "-", err) ||
	    rfc_digits(s, &pos, 2, "month", &mo, err))
		return -1;
	if (mo < 1 || mo > 12)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 6,
				   "month %02d out of range 01-12", mo);
	if (rfc_char(s, &pos, "-", err) ||
	    rfc_digits(s, &pos, 2, "day", &d, err))
		return -1;
	if (d < 1 || d > days_in_month(y, mo))
		return ps_error_at(err, PS_EXIT_USAGE, 0, 9,
				   "day %02d out of range for %04d-%02d", d, y, mo);
	if (s[pos] == '\0')
		goto done;	/* a full-date alone: midnight UTC */
	if (rfc_char(s, &pos, "Tt ", err) ||
	    rfc_digits(s, &pos, 2, "hour", &h, err))
		return -1;
	if (h > 23)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 12,
				   "hour %02d out of range 00-23", h);
	if (rfc_char(s, &pos, ":", err) ||
	    rfc_digits(s, &pos, 2, "minute", &mi, err))
		return -1;
	if (mi > 59)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 15,
				   "minute %02d out of range 00-59", mi);
	if (rfc_char(s, &pos, ":", err) ||
	    rfc_digits(s, &pos, 2, "second", &sec, err))
		return -1;
	if (sec > 60)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 18,
				   "second %02d out of range 00-60", sec);
	if (s[pos] == '.') {
		double scale = 1;

		pos++;
		if (!isdigit((unsigned char)s[pos]))
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)pos + 1,
					   "expected digits after '.' in timestamp");
		while (isdigit((unsigned char)s[pos])) {
			scale /= 10;
			frac += (s[pos] - '0') * scale;
			pos++;
		}
	}
	if (s[pos] == 'Z' || s[pos] == 'z') {
		pos++;
	} else if (s[pos] == '+' || s[pos] == '-') {
		size_t at = pos;

		sign = s[pos] == '-' ? -1 : 1;
		pos++;
		if (rfc_digits(s, &pos, 2, "offset hour", &oh, err) ||
		    rfc_char(s, &pos, ":", err) ||
		    rfc_digits(s, &pos, 2, "offset minute", &om, err))
			return -1;
		if (oh > 23 || om > 59)
			return ps_error_at(err, PS_EXIT_USAGE, 0, (int)at + 1,
					   "offset %c%02d:%02d out of range",
					   sign < 0 ? '-' : '+', oh, om);
		off = sign * (oh * 3600 + om * 60);
	} else if (s[pos] == '\0') {
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)pos + 1,
				   "missing time zone: add Z or an offset like +02:00");
	} else {
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)pos + 1,
				   "expected Z or an offset like +02:00, got '%c'",
				   s[pos]);
	}
	if (s[pos] != '\0')
		return ps_error_at(err, PS_EXIT_USAGE, 0, (int)pos + 1,
				   "unexpected '%c' after timestamp", s[pos]);
done:
	*t = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		      sec) + frac - off;
	return 0;
}

/* ---- schedules: parsing ---- */

enum field_id { F_MIN, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR };

static const char *const field_names[] = {
	"minute", "hour", "day-of-month", "month", "day-of-week", "year",
};

static const char *const month_abbr[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};

static const char *const dow_abbr[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT",
};

/* A set of up to 256 values, indexed from the field's minimum. */
struct bitset {
	uint64_t w[4];
};

static void
bs_set(struct bitset *b, int i)
{
	b->w[i / 64] |= 1ULL << (i % 64);
}

struct pctx {
	const char *src;	/* the string the caller gave, for columns */
	int aws;
	struct ps_error *err;
};

static int
perr(struct pctx *c, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
perr(struct pctx *c, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_error_setv(c->err, PS_EXIT_USAGE, fmt, ap);
	va_end(ap);
	if (c->err) {
		c->err->line = 0;
		c->err->col = (int)(at - c->src) + 1;
	}
	return -1;
}

struct field {
	enum field_id id;
	int min, max;		/* accepted values */
	const char *b, *e;	/* the field's text */
};

/* A number or a name at p (before end); sets *v and returns the end. */
static const char *
parse_value(struct pctx *c, const struct field *f, const char *p,
	    const char *end, int *v)
{
	if (p < end && isdigit((unsigned char)*p)) {
		long n = 0;
		const char *q = p;

		while (q < end && isdigit((unsigned char)*q)) {
			if (n < 100000)
				n = n * 10 + (*q - '0');
			q++;
		}
		if (n < f->min || n > f->max) {
			perr(c, p, "%s %ld out of range %d-%d", field_names[f->id],
			     n, f->min, f->max);
			return NULL;
		}
		*v = (int)n;
		return q;
	}
	if (p < end && !c->aws && strchr("LlWw", *p) && f->id == F_DOM)
		return perr(c, p, "'%c' is only valid in AWS cron(...) expressions", *p), NULL;
	if (p < end && isalpha((unsigned char)*p)) {
		const char *q = p;
		size_t i;

		while (q < end && isalpha((unsigned char)*q))
			q++;
		if (f->id == F_MONTH) {
			for (i = 0; i < 12; i++)
				if (lower_eq(p, (size_t)(q - p), month_abbr[i])) {
					*v = (int)i + 1;
					return q;
				}
		} else if (f->id == F_DOW) {
			for (i = 0; i < 7; i++)
				if (lower_eq(p, (size_t)(q - p), dow_abbr[i])) {
					*v = (int)i + (c->aws ? 1 : 0);
					return q;
				}
		}
		if (f->id == F_MONTH || f->id == F_DOW) {
			perr(c, p, "unknown %s name '%.*s' (use %s)",
			     field_names[f->id], (int)(q - p > 20 ? 20 : q - p), p,
			     f->id == F_MONTH ? "JAN-DEC" : "SUN-SAT");
			return NULL;
		}
		perr(c, p, "%s: expected a number, got '%.*s'", field_names[f->id],
		     (int)(q - p > 20 ? 20 : q - p), p);
		return NULL;
	}
	if (p >= end)
		perr(c, p, "%s: expected a value", field_names[f->id]);
	else if (!c->aws && strchr("?LW#", *p))
		perr(c, p, "'%c' is only valid in AWS cron(...) expressions", *p);
	else
		perr(c, p, "%s: unexpected '%c'", field_names[f->id], *p);
	return NULL;
}

/* A plain number in [lo, hi] filling exactly [p, end). */
static int
parse_num_exact(struct pctx *c, const char *p, const char *end, int lo, int hi,
		const char *what, int *out)
{
	long n = 0;
	const char *q = p;

	if (q >= end || !isdigit((unsigned char)*q))
		return perr(c, p, "%s: expected a number", what);
	while (q < end && isdigit((unsigned char)*q)) {
		if (n < 100000)
			n = n * 10 + (*q - '0');
		q++;
	}
	if (q != end)
		return perr(c, q, "%s: unexpected '%c'", what, *q);
	if (n < lo || n > hi)
		return perr(c, p, "%s %ld out of range %d-%d", what, n, lo, hi);
	*out = (int)n;
	return 0;
}

/*
 * The AWS special forms, which stand alone in their field: L, L-n, LW, nW
 * in day-of-month; L, nL, n#k in day-of-week. Returns 1 when handled, 0 when
 * the field is not one of them, -1 on error.
 */
static int
parse_aws_special(struct pctx *c, const struct field *f, struct ps_sched *s)
{
	const char *b = f->b, *e = f->e, *q;
	size_t len = (size_t)(e - b);
	int v, k;

	if (f->id == F_DOM) {
		if (!memchr(b, 'L', len) && !memchr(b, 'W', len) &&
		    !memchr(b, 'l', len) && !memchr(b, 'w', len))
			return 0;
		if (memchr(b, ',', len))
			return perr(c, b, "day-of-month: L and W cannot be combined with other values");
		if (lower_eq(b, len, "L")) {
			s->dom_last = 1;
		} else if (lower_eq(b, len, "LW")) {
			s->dom_last_weekday = 1;
		} else if (len > 2 && (b[0] == 'L' || b[0] == 'l') && b[1] == '-') {
			if (parse_num_exact(c, b + 2, e, 1, 30,
					    "day-of-month offset", &v) < 0)
				return -1;
			s->dom_last = 1;
			s->dom_last_offset = v;
		} else if (len > 1 && (e[-1] == 'W' || e[-1] == 'w')) {
			if (parse_num_exact(c, b, e - 1, 1, 31, "day-of-month", &v) < 0)
				return -1;
			s->dom_weekday = v;
		} else {
			q = b;
			while (q < e && *q != 'L' && *q != 'l' && *q != 'W' && *q != 'w')
				q++;
			return perr(c, q, "day-of-month: misplaced '%c' (use L, L-n, LW or nW)", *q);
		}
		s->dom = 0;
		s->dom_star = 0;
		return 1;
	}
	/* day-of-week */
	if (!memchr(b, '#', len) && e[-1] != 'L' && e[-1] != 'l')
		return 0;
	if (memchr(b, ',', len))
		return perr(c, b, "day-of-week: L and # cannot be combined with other values");
	if (len == 1) {		/* L alone: the last day of the week */
		s->dow = 1u << 6;
		s->dow_star = 0;
		return 1;
	}
	q = memchr(b, '#', len);
	if (q) {
		const char *ve = parse_value(c, f, b, q, &v);

		if (!ve)
			return -1;
		if (ve != q)
			return perr(c, ve, "day-of-week: unexpected '%c'", *ve);
		if (parse_num_exact(c, q + 1, e, 1, 5, "week number after '#'", &k) < 0)
			return -1;
		s->dow_nth = k;
	} else {
		q = parse_value(c, f, b, e - 1, &v);
		if (!q)
			return -1;
		if (q != e - 1)
			return perr(c, q, "day-of-week: unexpected '%c'", *q);
		s->dow_last = 1;
	}
	s->dow = (uint8_t)(1u << (v - 1));
	s->dow_star = 0;
	return 1;
}

/* A list of items (value, range, star-slash-n, a-b/n, a/n) into a bit set. */
static int
parse_list(struct pctx *c, const struct field *f, struct bitset *bs)
{
	const char *p = f->b;

	memset(bs, 0, sizeof(*bs));
	for (;;) {
		const char *item = p, *ie = p;
		int lo, hi, step = 1, v, star = 0;

		while (ie < f->e && *ie != ',')
			ie++;
		if (ie == item)
			return perr(c, item, "%s: empty value in list",
				    field_names[f->id]);
		if (*p == '*') {
			star = 1;
			lo = f->min;
			hi = f->max;
			p++;
		} else {
			p = parse_value(c, f, p, ie, &lo);
			if (!p)
				return -1;
			hi = lo;
			if (p < ie && *p == '-') {
				const char *at = p + 1;

				p = parse_value(c, f, p + 1, ie, &hi);
				if (!p)
					return -1;
				if (hi < lo)
					return perr(c, at, "%s: range %d-%d goes backwards",
						    field_names[f->id], lo, hi);
			} else if (p < ie && *p == '/') {
				hi = f->max;	/* a/n: from a to the end */
			}
		}
		if (p < ie && *p == '/') {
			const char *at = ++p;
			long n = 0;

			if (p >= ie || !isdigit((unsigned char)*p))
				return perr(c, at, "%s: expected a step after '/'",
					    field_names[f->id]);
			while (p < ie && isdigit((unsigned char)*p)) {
				if (n < 100000)
					n = n * 10 + (*p - '0');
				p++;
			}
			if (n < 1)	/* cron takes any larger step */
				return perr(c, at, "%s: step %ld must be at least 1",
					    field_names[f->id], n);
			step = (int)n;
		} else if (star && p < ie) {
			return perr(c, p, "%s: unexpected '%c' after '*'",
				    field_names[f->id], *p);
		}
		if (p < ie) {
			if (*p == '?' || *p == 'L' || *p == 'W' || *p == '#')
				return perr(c, p, c->aws
					    ? "%s: '%c' cannot be used here"
					    : "%s: '%c' is only valid in AWS cron(...) expressions",
					    field_names[f->id], *p);
			return perr(c, p, "%s: unexpected '%c'", field_names[f->id], *p);
		}
		for (v = lo; v <= hi; v += step)
			bs_set(bs, f->id == F_YEAR ? v - 1970 : v);
		if (ie == f->e)
			break;
		p = ie + 1;
		if (p == f->e)
			return perr(c, ie, "%s: list ends with ','", field_names[f->id]);
	}
	return 0;
}

/* One field into s. */
static int
parse_field(struct pctx *c, struct field *f, struct ps_sched *s)
{
	struct bitset bs;
	size_t len = (size_t)(f->e - f->b);
	int star = f->b[0] == '*', i;

	if (len == 1 && f->b[0] == '?') {
		if (!c->aws)
			return perr(c, f->b, "'?' is only valid in AWS cron(...) expressions");
		if (f->id != F_DOM && f->id != F_DOW)
			return perr(c, f->b, "%s: '?' is only allowed in day-of-month and day-of-week",
				    field_names[f->id]);
		star = 1;
	}
	if (c->aws && (f->id == F_DOM || f->id == F_DOW) && !star) {
		int r = parse_aws_special(c, f, s);

		if (r < 0)
			return -1;
		if (r > 0)
			return 0;
	}
	if (len == 1 && f->b[0] == '?') {
		memset(&bs, 0, sizeof(bs));
		for (i = f->min; i <= f->max; i++)
			bs_set(&bs, i);
	} else if (parse_list(c, f, &bs) < 0) {
		return -1;
	}
	switch (f->id) {
	case F_MIN:
		s->minute = bs.w[0] & ((1ULL << 60) - 1);
		break;
	case F_HOUR:
		s->hour = (uint32_t)(bs.w[0] & 0xFFFFFFu);
		break;
	case F_DOM:
		s->dom = (uint32_t)(bs.w[0] & 0xFFFFFFFEu);
		s->dom_star = star;
		break;
	case F_MONTH:
		s->month = (uint16_t)(bs.w[0] & 0x1FFEu);
		break;
	case F_DOW:
		if (c->aws)	/* 1-7 = SUN-SAT */
			s->dow = (uint8_t)((bs.w[0] >> 1) & 0x7F);
		else		/* 0-7, 7 = Sunday */
			s->dow = (uint8_t)((bs.w[0] | (bs.w[0] >> 7)) & 0x7F);
		s->dow_star = star;
		break;
	case F_YEAR:
		/* index 0 = 1970; years[] holds 1970..2161, years_hi the rest */
		s->years[0] = bs.w[0];
		s->years[1] = bs.w[1];
		s->years[2] = bs.w[2];
		s->years_hi = bs.w[3] & ((1ULL << 38) - 1);
		s->year_star = star;
		break;
	}
	return 0;
}

/* Split [b, e) at blanks into up to max fields; returns the count. */
static int
split_fields(const char *b, const char *e, struct field *f, int max)
{
	int n = 0;

	while (b < e) {
		while (b < e && isspace((unsigned char)*b))
			b++;
		if (b >= e)
			break;
		if (n < max)
			f[n].b = b;
		while (b < e && !isspace((unsigned char)*b))
			b++;
		if (n < max)
			f[n].e = b;
		n++;
	}
	return n;
}

static void
sched_all(struct ps_sched *s)
{
	s->minute = (1ULL << 60) - 1;
	s->hour = 0xFFFFFFu;
	s->dom = 0xFFFFFFFEu;
	s->month = 0x1FFEu;
	s->dow = 0x7F;
	s->dom_star = 1;
	s->dow_star = 1;
	s->years[0] = s->years[1] = s->years[2] = ~0ULL;
	s->years_hi = (1ULL << 38) - 1;
	s->year_star = 1;
}

static int
parse_fields(struct pctx *c, const char *b, const char *e, struct ps_sched *s)
{
	static const int ranges[][2] = {
		{ 0, 59 }, { 0, 23 }, { 1, 31 }, { 1, 12 }, { 0, 7 }, { 1970, 2199 },
	};
	struct field f[7];
	int want = c->aws ? 6 : 5;
	int n = split_fields(b, e, f, 7), i;

	if (n != want) {
		const char *at = n > want ? f[want].b : e;

		if (c->aws)
			return perr(c, at, "AWS cron needs 6 fields (minute hour day-of-month month day-of-week year), got %d", n);
		if (n == 6)
			return perr(c, at, "expected 5 fields (minute hour day-of-month month day-of-week), got 6; AWS schedules are written cron(...)");
		return perr(c, at, "expected 5 fields (minute hour day-of-month month day-of-week), got %d", n);
	}
	for (i = 0; i < n; i++) {
		f[i].id = (enum field_id)i;
		f[i].min = ranges[i][0];
		f[i].max = ranges[i][1];
		if (c->aws && i == F_DOW) {
			f[i].min = 1;
			f[i].max = 7;
		}
		if (parse_field(c, &f[i], s) < 0)
			return -1;
	}
	if (c->aws) {
		int qdom = f[F_DOM].e - f[F_DOM].b == 1 && f[F_DOM].b[0] == '?';
		int qdow = f[F_DOW].e - f[F_DOW].b == 1 && f[F_DOW].b[0] == '?';

		if (!qdom && !qdow)
			return perr(c, f[F_DOW].b, "day-of-week and day-of-month cannot both be specified in AWS cron; use ? in one of them");
		if (qdom && qdow)
			return perr(c, f[F_DOW].b, "day-of-month and day-of-week cannot both be ?; give a value or * in one of them");
	}
	return 0;
}

struct word_sched {
	const char *name;
	const char *fields;	/* the 5-field equivalent */
};

static const struct word_sched words[] = {
	{ "hourly", "0 * * * *" },
	{ "daily", "0 0 * * *" },
	{ "weekly", "0 0 * * 0" },
	{ "monthly", "0 0 1 * *" },
	{ "quarterly", "0 0 1 1,4,7,10 *" },
	{ "yearly", "0 0 1 1 *" },
	{ "annually", "0 0 1 1 *" },
};

static const struct word_sched at_words[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int
parse_builtin(struct pctx *c, const char *fields, struct ps_sched *s)
{
	struct pctx inner = { fields, 0, c->err };

	return parse_fields(&inner, fields, fields + strlen(fields), s);
}

static int
parse_rate(struct pctx *c, const char *b, const char *e, struct ps_sched *s)
{
	static const struct {
		const char *one, *many;
		double secs;
	} units[] = {
		{ "minute", "minutes", 60 },
		{ "hour", "hours", 3600 },
		{ "day", "days", 86400 },
	};
	static const char *const cand[] = {
		"minute", "minutes", "hour", "hours", "day", "days",
	};
	const char *p = b, *num, *u;
	long v = 0;
	size_t k, i;

	while (p < e && isspace((unsigned char)*p))
		p++;
	num = p;
	if (p >= e || !isdigit((unsigned char)*p))
		return perr(c, p, "rate: expected a positive whole number, as in rate(5 minutes)");
	while (p < e && isdigit((unsigned char)*p)) {
		if (v < 10000000000L)
			v = v * 10 + (*p - '0');
		p++;
	}
	if (p < e && (*p == '.' || *p == ','))
		return perr(c, num, "rate: the value must be a whole number");
	if (v < 1)
		return perr(c, num, "rate: the value must be at least 1");
	if (v > 1000000000L)
		return perr(c, num, "rate: value %ld too large", v);
	if (p >= e)
		return perr(c, p, "rate: missing unit (minute(s), hour(s) or day(s))");
	if (!isspace((unsigned char)*p))
		return perr(c, p, "rate: expected a space between the value and the unit");
	while (p < e && isspace((unsigned char)*p))
		p++;
	u = p;
	while (p < e && !isspace((unsigned char)*p))
		p++;
	k = (size_t)(p - u);
	if (k == 0)
		return perr(c, u, "rate: missing unit (minute(s), hour(s) or day(s))");
	for (i = 0; i < PS_ARRAY_LEN(units); i++) {
		int one = lower_eq(u, k, units[i].one);
		int many = lower_eq(u, k, units[i].many);

		if (!one && !many)
			continue;
		if (strncmp(u, one ? units[i].one : units[i].many, k) != 0)
			return perr(c, u, "rate: write the unit in lowercase ('%s')",
				    one ? units[i].one : units[i].many);
		if (v == 1 && many)
			return perr(c, u, "rate: use '%s' with a value of 1 (AWS rejects '1 %s')",
				    units[i].one, units[i].many);
		if (v != 1 && one)
			return perr(c, u, "rate: use '%s' with a value above 1 (AWS rejects '%ld %s')",
				    units[i].many, v, units[i].one);
		s->rate_secs = (double)v * units[i].secs;
		break;
	}
	if (i == PS_ARRAY_LEN(units)) {
		char w[32];
		const char *dym;

		snprintf(w, sizeof(w), "%.*s", (int)(k > 31 ? 31 : k), u);
		dym = ps_did_you_mean(w, cand, PS_ARRAY_LEN(cand));
		if (dym)
			return perr(c, u, "rate: unknown unit '%s' (did you mean '%s'?)", w, dym);
		return perr(c, u, "rate: unknown unit '%s' (use minute(s), hour(s) or day(s))", w);
	}
	while (p < e && isspace((unsigned char)*p))
		p++;
	if (p < e)
		return perr(c, p, "rate: unexpected '%c' after the unit", *p);
	return 0;
}

int
ps_sched_parse(const char *expr, struct ps_sched *s, struct ps_error *err)
{
	struct pctx c = { expr, 0, err };
	const char *b, *e;
	size_t len, i;

	memset(s, 0, sizeof(*s));
	if (!expr)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty schedule");
	b = expr;
	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (b == e)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1, "empty schedule");
	len = (size_t)(e - b);
	if (len >= sizeof(s->expr))
		return ps_error_at(err, PS_EXIT_USAGE, 0, 1,
				   "schedule too long (%zu characters, at most %zu)",
				   len, sizeof(s->expr) - 1);
	memcpy(s->expr, b, len);
	s->expr[len] = '\0';
	sched_all(s);

	if (len >= 5 && (strncasecmp(b, "cron(", 5) == 0 ||
			 strncasecmp(b, "rate(", 5) == 0)) {
		int is_rate = tolower((unsigned char)b[0]) == 'r';

		if (strncmp(b, is_rate ? "rate(" : "cron(", 5) != 0)
			return perr(&c, b, "write '%s(' in lowercase as AWS requires",
				    is_rate ? "rate" : "cron");
		if (e[-1] != ')')
			return perr(&c, e, "missing ')' at the end of %s(...)",
				    is_rate ? "rate" : "cron");
		if (is_rate) {
			s->kind = PS_SCHED_RATE;
			return parse_rate(&c, b + 5, e - 1, s);
		}
		s->kind = PS_SCHED_AWS_CRON;
		c.aws = 1;
		return parse_fields(&c, b + 5, e - 1, s);
	}
	if (*b == '@') {
		const char *names[PS_ARRAY_LEN(at_words) + 1], *dym;

		s->kind = PS_SCHED_CRON;
		for (i = 0; i < PS_ARRAY_LEN(at_words); i++) {
			names[i] = at_words[i].name;
			if (lower_eq(b, len, at_words[i].name))
				return parse_builtin(&c, at_words[i].fields, s);
		}
		if (lower_eq(b, len, "@reboot"))
			return perr(&c, b, "@reboot runs once at boot and has no schedule to check");
		names[i] = NULL;
		dym = ps_did_you_mean(s->expr, names, PS_ARRAY_LEN(at_words));
		if (dym)
			return perr(&c, b, "unknown schedule '%s' (did you mean '%s'?)",
				    s->expr, dym);
		return perr(&c, b, "unknown schedule '%s' (use @yearly, @monthly, @weekly, @daily or @hourly)",
			    s->expr);
	}
	if (isalpha((unsigned char)*b) && !memchr(b, ' ', len) &&
	    !memchr(b, '\t', len)) {
		const char *names[PS_ARRAY_LEN(words)], *dym;

		s->kind = PS_SCHED_WORD;
		for (i = 0; i < PS_ARRAY_LEN(words); i++) {
			names[i] = words[i].name;
			if (lower_eq(b, len, words[i].name))
				return parse_builtin(&c, words[i].fields, s);
		}
		dym = ps_did_you_mean(s->expr, names, PS_ARRAY_LEN(words));
		if (dym)
			return perr(&c, b, "unknown schedule '%s' (did you mean '%s'?)",
				    s->expr, dym);
		return perr(&c, b, "unknown schedule '%s' (expected 5 cron fields, cron(...), rate(...) or a word such as daily)",
			    s->expr);
	}
	s->kind = PS_SCHED_CRON;
	return parse_fields(&c, b, e, s);
}

/* ---- schedules: next fire time ---- */

static int
year_ok(const struct ps_sched *s, int y)
{
	int i;

	if (s->year_star)
		return 1;
	if (y < 1970 || y > 2199)
		return 0;
	i = y - 1970;
	if (i < 192)
		return (int)((s->years[i / 64] >> (i % 64)) & 1);
	return (int)((s->years_hi >> (i - 192)) & 1);
}

static int
last_weekday(int y, int m)
{
	int n = days_in_month(y, m), w = weekday_of(y, m, n);

	return w == 6 ? n - 1 : w == 0 ? n - 2 : n;
}

/* The weekday nearest day n, within the month; 0 when n is past its end. */
static int
nearest_weekday(int y, int m, int n)
{
	int dim = days_in_month(y, m), w;

	if (n > dim)
		return 0;
	w = weekday_of(y, m, n);
	if (w == 6)
		return n == 1 ? 3 : n - 1;
	if (w == 0)
		return n == dim ? n - 2 : n + 1;
	return n;
}

static int
dom_rule(const struct ps_sched *s, int y, int m, int d)
{
	if (s->dom_last)
		return d == days_in_month(y, m) - s->dom_last_offset;
	if (s->dom_last_weekday)
		return d == last_weekday(y, m);
	if (s->dom_weekday)
		return d == nearest_weekday(y, m, s->dom_weekday);
	return (int)((s->dom >> d) & 1);
}

static int
dow_rule(const struct ps_sched *s, int y, int m, int d)
{
	int w = weekday_of(y, m, d);

	if (!((s->dow >> w) & 1))
		return 0;
	if (s->dow_last)
		return d + 7 > days_in_month(y, m);
	if (s->dow_nth)
		return (d - 1) / 7 + 1 == s->dow_nth;
	return 1;
}

/* Vixie: when either day field is *, both must match; otherwise either. */
static int
day_ok(const struct ps_sched *s, int y, int m, int d)
{
	if (s->dom_star || s->dow_star)
		return dom_rule(s, y, m, d) && dow_rule(s, y, m, d);
	return dom_rule(s, y, m, d) || dow_rule(s, y, m, d);
}

static int
next_bit(uint64_t bits, int from, int limit)
{
	uint64_t rest;

	if (from >= limit)
		return -1;
	rest = bits >> from;
	if (!rest)
		return -1;
	from += __builtin_ctzll(rest);
	return from < limit ? from : -1;
}

struct civil {
	int y, mo, d, h, mi;
};

static int64_t
civil_secs(const struct civil *c)
{
	return days_from_civil(c->y, c->mo, c->d) * 86400 + c->h * 3600 +
	       c->mi * 60;
}

static void
secs_civil(int64_t t, struct civil *c)
{
	int64_t days = floor_div(t, 86400), rem = t - days * 86400;

	civil_from_days(days, &c->y, &c->mo, &c->d);
	c->h = (int)(rem / 3600);
	c->mi = (int)(rem % 3600 / 60);
}

static void
next_month(struct civil *c)
{
	if (++c->mo > 12) {
		c->mo = 1;
		c->y++;
	}
	c->d = 1;
	c->h = 0;
	c->mi = 0;
}

/* Move c forward to the first matching civil minute; -1 past year ylimit. */
static int
civil_match(const struct ps_sched *s, struct civil *c, int ylimit)
{
	for (;;) {
		int h, m;

		if (c->y > ylimit)
			return -1;
		if (!year_ok(s, c->y)) {
			c->y++;
			c->mo = 1;
			c->d = 1;
			c->h = 0;
			c->mi = 0;
			continue;
		}
		if (!((s->month >> c->mo) & 1) || c->d > days_in_month(c->y, c->mo)) {
			next_month(c);
			continue;
		}
		if (!day_ok(s, c->y, c->mo, c->d)) {
			c->d++;
			c->h = 0;
			c->mi = 0;
			continue;
		}
		h = next_bit(s->hour, c->h, 24);
		if (h < 0) {
			c->d++;
			c->h = 0;
			c->mi = 0;
			continue;
		}
		if (h != c->h) {
			c->h = h;
			c->mi = 0;
		}
		m = next_bit(s->minute, c->mi, 60);
		if (m < 0) {
			c->mi = 0;
			if (++c->h > 23) {
				c->h = 0;
				c->d++;
			}
			continue;
		}
		c->mi = m;
		return 0;
	}
}

struct zone {
	int utc;
};

static long
zone_off(const struct zone *z, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (z->utc || !localtime_r(&tt, &tm))
		return 0;
	return tm.tm_gmtoff;
}

/*
 * The instants at which civil (local wall) time cs happens: 1 normally, 2 in
 * a fall-back overlap (the first only unless every_hour), and in a
 * spring-forward gap the moment of the jump (none when every_hour).
 */
static int
civil_instants(const struct zone *z, int64_t cs, int every_hour, int64_t *out)
{
	long oa, ob, o[2];
	int n = 0, i, k;

	if (z->utc) {
		out[0] = cs;
		return 1;
	}
	oa = zone_off(z, cs - 86400);
	ob = zone_off(z, cs + 86400);
	o[0] = oa;
	o[1] = ob;
	k = oa == ob ? 1 : 2;
	for (i = 0; i < k; i++)
		if (zone_off(z, cs - o[i]) == o[i])
			out[n++] = cs - o[i];
	if (n == 0) {
		int64_t lo, hi;

		if (every_hour || oa == ob)
			return 0;
		/* in the gap: find the jump between lo (old offset) and hi */
		lo = cs - (ob > oa ? ob : oa);
		hi = cs - (ob > oa ? oa : ob);
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;

			if (zone_off(z, mid) == ob)
				hi = mid;
			else
				lo = mid;
		}
		out[0] = hi;
		return 1;
	}
	if (n == 2) {
		if (out[1] < out[0]) {
			int64_t t = out[0];

			out[0] = out[1];
			out[1] = t;
		}
		if (!every_hour)
			n = 1;
	}
	return n;
}

static int
cron_next(const struct ps_sched *s, const struct zone *z, int64_t after,
	  int64_t *next)
{
	const int64_t window = 3 * 3600;	/* longer than any DST shift */
	long off = zone_off(z, after);
	int64_t lstart = floor_div(after + off, 60) * 60 + 60;
	int64_t best = INT64_MAX, first_civil = 0;
	int every_hour = (s->hour & 0xFFFFFFu) == 0xFFFFFFu;
	struct civil c;
	int ylimit;

	/* a clock about to fall back shows earlier times again */
	if (!z->utc && zone_off(z, after + window) != off)
		lstart -= window;
	secs_civil(lstart, &c);
	ylimit = c.y + 5;
	for (;;) {
		int64_t cs, inst[2];
		int k, i;

		if (civil_match(s, &c, ylimit) < 0)
			break;
		cs = civil_secs(&c);
		if (best != INT64_MAX && cs > first_civil + window)
			break;
		k = civil_instants(z, cs, every_hour, inst);
		for (i = 0; i < k; i++)
			if (inst[i] > after && inst[i] < best) {
				if (best == INT64_MAX)
					first_civil = cs;
				best = inst[i];
			}
		/* without a transition nearby, the first match is the answer */
		if (best != INT64_MAX &&
		    (z->utc || zone_off(z, best - window) == zone_off(z, best)))
			break;
		if (++c.mi > 59) {
			c.mi = 0;
			if (++c.h > 23) {
				c.h = 0;
				c.d++;
			}
		}
	}
	if (best == INT64_MAX)
		return -1;
	*next = best;
	return 0;
}

static int
tz_is_utc(const char *tz)
{
	return !tz || !*tz || strcasecmp(tz, "UTC") == 0 ||
	       strcasecmp(tz, "Etc/UTC") == 0 || strcasecmp(tz, "GMT") == 0 ||
	       strcasecmp(tz, "Z") == 0;
}

/* Whether tz names a zone file of the tz database (TZDIR honoured). */
static int
tz_known(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	struct stat st;
	FILE *f;
	int ok;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if (tz[0] == '/' || tz[0] == ':' || strstr(tz, "..") ||
	    strlen(tz) > 200)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, tz) >= sizeof(path))
		return 0;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

int
ps_time_zone_known(const char *tz)
{
	return tz_is_utc(tz) || tz_known(tz);
}

struct tz_saved {
	char *old;
};

static void
tz_enter(const char *tz, struct tz_saved *sv)
{
	const char *old = getenv("TZ");

	sv->old = old ? ps_xstrdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void
tz_leave(struct tz_saved *sv)
{
	if (sv->old) {
		setenv("TZ", sv->old, 1);
		free(sv->old);
		sv->old = NULL;
	} else {
		unsetenv("TZ");
	}
	tzset();
}

int
ps_time_format_tz(double t, const char *tz, char *buf, size_t n,
		  struct ps_error *err)
{
	struct tz_saved sv;
	struct tm tm;
	time_t tt;
	long off;
	int ms;
	double fl;

	if (tz_is_utc(tz)) {
		ps_time_format(t, buf, n);
		return 0;
	}
	if (!tz_known(tz))
		return ps_error_at(err, PS_EXIT_USAGE, 0, 0,
				   "unknown time zone '%s'", tz);
	if (!isfinite(t) || fabs(t) > 253402300799.0) {
		snprintf(buf, n, "invalid-time");
		return 0;
	}
	fl = floor(t);
	ms = (int)llround((t - fl) * 1000);
	if (ms >= 1000) {
		fl += 1;
		ms -= 1000;
	}
	tt = (time_t)fl;
	tz_enter(tz, &sv);
	if (!localtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	tz_leave(&sv);
	off = tm.tm_gmtoff;
	{
		char frac[16] = "";
		long a = off < 0 ? -off : off;

		if (ms)
			snprintf(frac, sizeof(frac), ".%03d", ms);
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02ld:%02ld",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, frac, off < 0 ? '-' : '+',
			 a / 3600, a % 3600 / 60);
	}
	return 0;
}

int
ps_sched_next(const struct ps_sched *s, time_t after, const char *tz,
	      time_t *next, struct ps_error *err)
{
	struct zone z = { tz_is_utc(tz) };
	int64_t out = 0;
	int rc;

	if (!z.utc && !tz_known(tz))
		return ps_error_at(err, PS_EXIT_USAGE, 0, 0,
				   "unknown time zone '%s'", tz);
	if ((int64_t)after < -62135596800LL || (int64_t)after > 253402300799LL - 6 * 31622400LL)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 0,
				   "time out of range");
	if (s->kind == PS_SCHED_RATE) {
		if (!(s->rate_secs >= 1))
			return ps_error_at(err, PS_EXIT_USAGE, 0, 0,
					   "rate schedule without a rate");
		*next = after + (time_t)llround(s->rate_secs);
		return 0;
	}
	if (!s->minute || !s->hour || !s->month ||
	    (!s->dom && !s->dom_last && !s->dom_weekday && !s->dom_last_weekday) ||
	    !s->dow)
		return ps_error_at(err, PS_EXIT_USAGE, 0, 0,
				   "schedule '%s' has an empty field", s->expr);
	if (z.utc) {
		rc = cron_next(s, &z, (int64_t)after, &out);
	} else {
		struct tz_saved sv;

		tz_enter(tz, &sv);
		rc = cron_next(s, &z, (int64_t)after, &out);
		tz_leave(&sv);
	}
	if (rc < 0) {
		char when[40];

		ps_time_format((double)after, when, sizeof(when));
		return ps_error_at(err, PS_EXIT_FAIL, 0, 0,
				   "'%s' does not fire within 5 years after %s",
				   s->expr, when);
	}
	*next = (time_t)out;
	return 0;
}

/* ---- schedules: in words ---- */

static const char *const month_full[] = {
	"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static const char *const dow_full[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};

static const char *const ordinal[] = {
	"", "first", "second", "third", "fourth", "fifth",
};

static int
popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

/*
 * Words for the values lo..hi set in bits: runs of three or more become
 * "A through B" (names) or "A to B" (numbers); joined "A, B and C".
 * conj is "and" or "or".
 */
static void
say_set(struct ps_buf *b, uint64_t bits, int lo, int hi,
	const char *const *names, const char *conj)
{
	int runs[64][2], n = 0, v, i;

	for (v = lo; v <= hi; v++) {
		if (!((bits >> v) & 1))
			continue;
		if (n > 0 && runs[n - 1][1] == v - 1)
			runs[n - 1][1] = v;
		else if (n < 64) {
			runs[n][0] = v;
			runs[n][1] = v;
			n++;
		}
	}
	/* a run of two reads better as two items */
	for (i = 0; i < n; i++) {
		if (i > 0)
			ps_buf_adds(b, i == n - 1 ? (strcmp(conj, "or") == 0 ? " or " : " and ") : ", ");
		if (names)
			ps_buf_adds(b, names[runs[i][0]]);
		else
			ps_buf_addf(b, "%d", runs[i][0]);
		if (runs[i][1] == runs[i][0])
			continue;
		if (runs[i][1] == runs[i][0] + 1) {
			if (names)
				ps_buf_addf(b, "%s%s", i == n - 1 ? (strcmp(conj, "or") == 0 ? " or " : " and ") : ", ", names[runs[i][1]]);
			else
				ps_buf_addf(b, "%s%d", i == n - 1 ? (strcmp(conj, "or") == 0 ? " or " : " and ") : ", ", runs[i][1]);
			continue;
		}
		if (names)
			ps_buf_addf(b, " through %s", names[runs[i][1]]);
		else
			ps_buf_addf(b, " to %d", runs[i][1]);
	}
}

/* k when bits are exactly {lo, lo+k, lo+2k, ...} up to hi and k divides the span */
static int
step_of(uint64_t bits, int lo, int hi)
{
	int span = hi - lo + 1, k, v;
	uint64_t want;

	for (k = 2; k < span; k++) {
		if (span % k)
			continue;
		want = 0;
		for (v = lo; v <= hi; v += k)
			want |= 1ULL << v;
		if (want == bits)
			return k;
	}
	return 0;
}

/* The contiguous run lo..hi when bits are one, else 0. */
static int
one_run(uint64_t bits, int *lo, int *hi)
{
	if (!bits)
		return 0;
	*lo = __builtin_ctzll(bits);
	*hi = 63 - __builtin_clzll(bits);
	return popcount64(bits) == *hi - *lo + 1;
}

/* The time-of-day part; *repeating when it fires several times an hour or
 * every hour (then "every day" is left unsaid). */
static void
say_time(struct ps_buf *b, const struct ps_sched *s, int *repeating, int *clock)
{
	uint64_t mins = s->minute, hours = s->hour;
	int nmin = popcount64(mins), nh = popcount64(hours);
	int allmin = nmin == 60, allh = nh == 24;
	int mstep = step_of(mins, 0, 59), hstep = step_of(hours, 0, 23);
	int lo, hi, m0 = __builtin_ctzll(mins ? mins : 1);

	*repeating = 1;
	*clock = 0;
	if (allmin && allh) {
		ps_buf_adds(b, "every minute");
		return;
	}
	if (allmin || mstep) {
		if (allmin)
			ps_buf_adds(b, "every minute");
		else
			ps_buf_addf(b, "every %d minutes", mstep);
		if (allh)
			return;
		if (one_run(hours, &lo, &hi)) {
			int last = 63 - __builtin_clzll(mins);

			ps_buf_addf(b, " from %02d:00 to %02d:%02d", lo, hi, last);
			*clock = 1;
		} else {
			ps_buf_adds(b, " during hours ");
			say_set(b, hours, 0, 23, NULL, "and");
		}
		return;
	}
	if (allh || (hstep && nmin == 1 && (hours & 1))) {
		if (allh)
			ps_buf_adds(b, "every hour");
		else
			ps_buf_addf(b, "every %d hours", hstep);
		if (nmin == 1 && m0 == 0)
			return;
		ps_buf_adds(b, nmin == 1 ? " at minute " : " at minutes ");
		say_set(b, mins, 0, 59, NULL, "and");
		return;
	}
	if (nmin == 1 && nh > 2 && one_run(hours, &lo, &hi)) {
		ps_buf_addf(b, "every hour from %02d:%02d to %02d:%02d", lo, m0,
			    hi, m0);
		*clock = 1;
		return;
	}
	*repeating = 0;
	*clock = 1;
	if (nmin * nh <= 8) {
		int h, m, i = 0, total = nmin * nh;

		ps_buf_adds(b, "at ");
		for (h = 0; h < 24; h++) {
			if (!((hours >> h) & 1))
				continue;
			for (m = 0; m < 60; m++) {
				if (!((mins >> m) & 1))
					continue;
				if (i > 0)
					ps_buf_adds(b, i == total - 1 ? " and " : ", ");
				ps_buf_addf(b, "%02d:%02d", h, m);
				i++;
			}
		}
		return;
	}
	*repeating = 1;
	*clock = 0;
	ps_buf_adds(b, nmin == 1 ? "at minute " : "at minutes ");
	say_set(b, mins, 0, 59, NULL, "and");
	ps_buf_adds(b, nh == 1 ? " past hour " : " past hours ");
	say_set(b, hours, 0, 23, NULL, "and");
}

static void
say_months(struct ps_buf *b, const struct ps_sched *s)
{
	say_set(b, s->month, 1, 12, month_full, "and");
}

static void
say_dom(struct ps_buf *b, const struct ps_sched *s)
{
	if (s->dom_last && s->dom_last_offset)
		ps_buf_addf(b, "%d day%s before the last day", s->dom_last_offset,
			    s->dom_last_offset == 1 ? "" : "s");
	else if (s->dom_last)
		ps_buf_adds(b, "the last day");
	else if (s->dom_last_weekday)
		ps_buf_adds(b, "the last weekday");
	else if (s->dom_weekday)
		ps_buf_addf(b, "the weekday nearest day %d", s->dom_weekday);
	else {
		ps_buf_adds(b, popcount64(s->dom) == 1 ? "day " : "days ");
		say_set(b, s->dom, 1, 31, NULL, "and");
	}
}

static void
say_dow(struct ps_buf *b, const struct ps_sched *s, const char *conj)
{
	if (s->dow_last || s->dow_nth) {
		ps_buf_addf(b, "the %s %s", s->dow_last ? "last" : ordinal[s->dow_nth],
			    dow_full[__builtin_ctz(s->dow ? s->dow : 1)]);
		return;
	}
	say_set(b, s->dow, 0, 6, dow_full, conj);
}

static void
say_days(struct ps_buf *b, const struct ps_sched *s, int repeating)
{
	int months_all = (s->month & 0x1FFE) == 0x1FFE;
	int dom_all = (s->dom & 0xFFFFFFFEu) == 0xFFFFFFFEu && !s->dom_last &&
		      !s->dom_last_weekday && !s->dom_weekday;
	int dow_all = (s->dow & 0x7F) == 0x7F && !s->dow_last && !s->dow_nth;
	int dow_one = popcount64(s->dow) == 1;

	if (dom_all && dow_all) {
		if (months_all) {
			if (!repeating)
				ps_buf_adds(b, " every day");
			return;
		}
		ps_buf_adds(b, " every day in ");
		say_months(b, s);
		return;
	}
	if (dow_all) {
		ps_buf_adds(b, s->dom_last && s->dom_last_offset ? " " : " on ");
		say_dom(b, s);
		ps_buf_adds(b, " of ");
		if (months_all)
			ps_buf_adds(b, "every month");
		else
			say_months(b, s);
		return;
	}
	if (dom_all) {
		if (s->dow_last || s->dow_nth) {
			ps_buf_adds(b, " on ");
			say_dow(b, s, "and");
			ps_buf_adds(b, " of ");
			if (months_all)
				ps_buf_adds(b, "every month");
			else
				say_months(b, s);
			return;
		}
		if (dow_one)
			ps_buf_adds(b, " every ");
		else
			ps_buf_adds(b, " on ");
		say_dow(b, s, "and");
		if (!months_all) {
			ps_buf_adds(b, " in ");
			say_months(b, s);
		}
		return;
	}
	/* both day fields restricted (5-field cron only) */
	ps_buf_adds(b, " on ");
	say_dom(b, s);
	if (s->dom_star || s->dow_star) {
		ps_buf_adds(b, " if it is a ");
		say_dow(b, s, "or");
	} else {
		ps_buf_adds(b, " or on every ");
		say_dow(b, s, "and");
	}
	if (!months_all) {
		ps_buf_adds(b, " in ");
		say_months(b, s);
	}
}

static void
say_years(struct ps_buf *b, const struct ps_sched *s)
{
	int y, first = 1, prev = -1, count = 0, i;
	int list[230][2];

	if (s->year_star)
		return;
	for (y = 1970; y <= 2199; y++) {
		if (!year_ok(s, y))
			continue;
		if (prev == y - 1 && count > 0) {
			list[count - 1][1] = y;
		} else {
			list[count][0] = y;
			list[count][1] = y;
			count++;
		}
		prev = y;
	}
	ps_buf_adds(b, " in ");
	for (i = 0; i < count; i++) {
		if (!first)
			ps_buf_adds(b, i == count - 1 ? " and " : ", ");
		first = 0;
		if (list[i][0] == list[i][1])
			ps_buf_addf(b, "%d", list[i][0]);
		else
			ps_buf_addf(b, "%d to %d", list[i][0], list[i][1]);
	}
}

void
ps_sched_explain(const struct ps_sched *s, char *buf, size_t n)
{
	ps_sched_explain_tz(s, NULL, buf, n);
}

void
ps_sched_explain_tz(const struct ps_sched *s, const char *tz, char *buf,
		    size_t n)
{
	struct ps_buf b = { 0 };
	int repeating, clock;

	if (!buf || n == 0)
		return;
	if (s->kind == PS_SCHED_RATE) {
		static const struct {
			double secs;
			const char *one, *many;
		} units[] = {
			{ 86400, "day", "days" },
			{ 3600, "hour", "hours" },
			{ 60, "minute", "minutes" },
		};
		size_t i;
		double v = s->rate_secs;

		for (i = 0; i < PS_ARRAY_LEN(units); i++)
			if (v >= units[i].secs && fmod(v, units[i].secs) == 0)
				break;
		if (i == PS_ARRAY_LEN(units))
			ps_buf_addf(&b, "every %g seconds", v);
		else if (v == units[i].secs)
			ps_buf_addf(&b, "every %s", units[i].one);
		else
			ps_buf_addf(&b, "every %.0f %s", v / units[i].secs,
				    units[i].many);
	} else {
		say_time(&b, s, &repeating, &clock);
		if (clock && tz && *tz)
			ps_buf_addf(&b, " %s", tz_is_utc(tz) ? "UTC" : tz);
		else if (clock && s->kind == PS_SCHED_AWS_CRON)
			ps_buf_adds(&b, " UTC");
		say_days(&b, s, repeating);
		say_years(&b, s);
	}
	snprintf(buf, n, "%s", ps_buf_str(&b));
	ps_buf_free(&b);
}
