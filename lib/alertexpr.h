/*
 * alertexpr: the alert condition language of monitoring.yml.
 *
 *	error_rate > 0.05
 *	response_time_p95 > 1000ms and check == "application"
 *	(up == 0 or tls_days_left < 14) and not check == "batch"
 *
 * Comparisons (> >= < <= == !=) of a variable with a number or a string,
 * joined with and/or/not (also && || !) and parentheses. Numbers take units:
 * ms, s, m, h (times, in seconds) and % (a ratio: 5% is 0.05). A variable
 * and a number with incompatible units is a parse error, as is an unknown
 * variable (with a did-you-mean). Errors carry the 1-based column in
 * err->col.
 *
 * Evaluation reads values from a struct ps_ax_vals filled by the caller;
 * ps_ax_needs tells which ones the expression uses so that costly ones
 * (percentiles) are computed only when needed. A comparison with an
 * unknown value (NaN, e.g. no samples in the window) is false.
 */
#ifndef PS_ALERTEXPR_H
#define PS_ALERTEXPR_H

#include <stdint.h>

#include "util.h"

enum ps_ax_var {
	PS_AX_ERROR_RATE,	/* failed / all probes in the window, 0..1 */
	PS_AX_SUCCESS_RATE,	/* 1 - error_rate */
	PS_AX_UP,		/* 1 when the latest probe was ok, else 0 */
	PS_AX_COUNT,		/* probes in the window */
	PS_AX_FAILURES,		/* failed probes in the window */
	PS_AX_RT_AVG,		/* response times over the window, seconds */
	PS_AX_RT_MIN,
	PS_AX_RT_MAX,
	PS_AX_RT_P50,
	PS_AX_RT_P90,
	PS_AX_RT_P95,
	PS_AX_RT_P99,
	PS_AX_LATENCY,		/* the latest probe's response time */
	PS_AX_TLS_DAYS_LEFT,	/* days until the certificate expires (latest known) */
	PS_AX_STATUS,		/* the latest HTTP status code */
	PS_AX_CONSEC_FAIL,	/* consecutive failed probes up to the latest */
	PS_AX_CONSEC_OK,	/* consecutive good probes up to the latest */
	PS_AX_CHECK,		/* strings: the check's name, kind and target */
	PS_AX_KIND,
	PS_AX_TARGET,
	PS_AX_NVARS
};

/* Values of the variables; numbers NaN when unknown, strings NULL. */
struct ps_ax_vals {
	double num[PS_AX_NVARS];
	const char *str[PS_AX_NVARS];
};

struct ps_ax;

/* Parse; NULL with err (col set, code PS_EXIT_USAGE) on a syntax error. */
struct ps_ax *ps_ax_parse(const char *src, struct ps_error *err);
void ps_ax_free(struct ps_ax *e);
/* Bit (1 << var) for each variable the expression reads. */
uint32_t ps_ax_needs(const struct ps_ax *e);
/* 1 true, 0 false. */
int ps_ax_eval(const struct ps_ax *e, const struct ps_ax_vals *v);
/*
 * The value an alert reports: that of the first numeric variable compared
 * in the expression (NaN when there is none). *var gets its index or -1.
 */
double ps_ax_value(const struct ps_ax *e, const struct ps_ax_vals *v, int *var);
/* The canonical name of a variable ("response_time_p95"). */
const char *ps_ax_var_name(int var);
/* Whether the expression is true only for one check (check == "x" at top). */
const char *ps_ax_only_check(const struct ps_ax *e);
/* Fill every number with NaN and every string with NULL. */
void ps_ax_vals_clear(struct ps_ax_vals *v);

#endif
