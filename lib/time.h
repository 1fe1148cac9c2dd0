/*
 * time: durations ("30s", "5m", "1h30m", "4 hours", "1.5 days"), sizes
 * ("50MB", "512", "1GiB"), RFC 3339 timestamps, and schedules: 5-field cron
 * (lists, ranges, steps, month and day names, @daily and friends), AWS
 * cron(...) with ?, L, W and #, AWS rate(...), and the words daily, weekly,
 * monthly, quarterly and yearly. Next fire times in UTC or a named zone.
 */
#ifndef PS_TIME_H
#define PS_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

/*
 * Durations: a number with a unit (ms, s, sec(s), second(s), m, min(s),
 * minute(s), h, hr(s), hour(s), d, day(s), w, week(s)), sequences of them
 * ("1h30m"), or a bare number (seconds). Space between number and unit is
 * allowed. -1 with err (col = 1-based offset of the problem) otherwise.
 */
int ps_duration_parse(const char *s, double *secs, struct ps_error *err);
/* "1h30m", "45s", "250ms": the shortest exact spelling. */
void ps_duration_format(double secs, char *buf, size_t n);

/*
 * Sizes: bytes, with optional unit B, K/KB, M/MB, G/GB, T/TB (powers of
 * 1000) or KiB, MiB, GiB, TiB (powers of 1024); case-insensitive, optional
 * space, decimals allowed ("1.5GB").
 */
int ps_size_parse(const char *s, unsigned long long *bytes, struct ps_error *err);
void ps_size_format(unsigned long long bytes, char *buf, size_t n); /* "1.5 MiB" */
/* For people: the largest binary unit, one decimal ("74.3 GiB", "512 B");
 * ps_size_format spells sizes exactly (config values), this rounds. */
void ps_size_human(unsigned long long bytes, char *buf, size_t n);

/* Wall clock, seconds since the epoch with sub-second precision. */
double ps_time_now(void);
/* "2026-11-26T01:00:00Z", or with milliseconds when t has a fraction
 * ("2026-11-26T01:00:00.250Z"). buf holds at least 32 bytes. */
void ps_time_format(double t, char *buf, size_t n);
/* RFC 3339 with Z or an offset, optional fraction; -1 with err otherwise. */
int ps_time_parse(const char *s, double *t, struct ps_error *err);
/* Like ps_time_format, as local time in zone tz with its offset
 * ("2026-11-26T02:00:00+01:00"); UTC ("...Z") for NULL or "UTC".
 * -1 with err when tz is unknown. */
int ps_time_format_tz(double t, const char *tz, char *buf, size_t n,
		      struct ps_error *err);
/* Whether tz is UTC or a zone of the system's tz database. */
int ps_time_zone_known(const char *tz);

/* ---- schedules ---- */

enum ps_sched_kind {
	PS_SCHED_CRON,		/* 5 fields (or @daily...) */
	PS_SCHED_AWS_CRON,	/* cron(min hour dom month dow year) */
	PS_SCHED_RATE,		/* rate(5 minutes) */
	PS_SCHED_WORD,		/* daily, weekly, monthly, quarterly, yearly */
};

struct ps_sched {
	enum ps_sched_kind kind;
	char expr[256];		/* as given, trimmed */
	/* cron fields as bit sets */
	uint64_t minute;	/* bits 0..59 */
	uint32_t hour;		/* bits 0..23 */
	uint32_t dom;		/* bits 1..31 */
	uint16_t month;		/* bits 1..12 */
	uint8_t dow;		/* bits 0..6, 0 = Sunday */
	int dom_star;		/* day-of-month was * (or ?) */
	int dow_star;
	/* AWS extensions */
	int dom_last;		/* L in day-of-month: last day (minus dom_last_offset) */
	int dom_last_offset;	/* L-3 */
	int dom_weekday;	/* nW: nearest weekday to day n (0 = none) */
	int dom_last_weekday;	/* LW */
	int dow_last;		/* nL: last <dow> of the month (dow bit set) */
	int dow_nth;		/* n#k: k-th <dow>; dow_nth = k, 0 = none */
	uint64_t years[3];	/* AWS year field, bits for 1970..2161; all set for * */
	int year_star;
	/* rate */
	double rate_secs;
	/* AWS year field beyond years[]: bits for 2162..2199 */
	uint64_t years_hi;
};

/*
 * Parse any schedule form. On error returns -1 and err->col is the 1-based
 * column in expr where the problem is ("cron: minute 61 out of range 0-59").
 */
int ps_sched_parse(const char *expr, struct ps_sched *s, struct ps_error *err);
/*
 * The first fire time strictly after `after` (seconds since the epoch), in
 * time zone tz (NULL or "UTC" for UTC; an IANA name like "Europe/Berlin"
 * otherwise). A rate schedule fires every rate_secs from `after`. Returns -1
 * when there is none within 5 years (e.g. 30 February) or tz is unknown.
 */
int ps_sched_next(const struct ps_sched *s, time_t after, const char *tz,
		  time_t *next, struct ps_error *err);
/* In words: "at 01:00 every day", "every 5 minutes", ... */
void ps_sched_explain(const struct ps_sched *s, char *buf, size_t n);
/* The same with clock times labelled by zone tz ("at 12:00 Europe/Berlin
 * every day"); NULL labels AWS cron(...) times "UTC" and others not at all. */
void ps_sched_explain_tz(const struct ps_sched *s, const char *tz, char *buf,
			 size_t n);

#endif
