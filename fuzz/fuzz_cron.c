/*
 * libFuzzer target for lib/time.c: any bytes go through the schedule parser
 * and, when they parse, through next-fire-time search (UTC and a zone with
 * DST) and the explanation; errors must point inside the input. The same
 * bytes also go through the duration, size and RFC 3339 parsers, whose
 * formatted results must parse back.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_col(const struct ps_error *err, size_t len)
{
	if (err->col < 0 || (size_t)err->col > len + 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], buf[512];
	struct ps_sched s;
	struct ps_error err = {0};
	time_t t = 1795654800, n;	/* 2026-11-26T01:00:00Z */
	unsigned long long bytes, back_bytes;
	double secs, back, ts;
	int k;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	if (ps_sched_parse(in, &s, &err) == 0) {
		ps_sched_explain(&s, buf, sizeof(buf));
		if (strlen(buf) == 0)
			abort();
		for (k = 0; k < 3; k++) {
			if (ps_sched_next(&s, t, k == 1 ? "Europe/Berlin" : NULL, &n,
					  &err) < 0)
				break;
			if (n <= t)
				abort();	/* strictly after */
			t = n;
		}
	} else {
		check_col(&err, strlen(in));
	}

	memset(&err, 0, sizeof(err));
	if (ps_duration_parse(in, &secs, &err) == 0) {
		if (secs < 0)
			abort();
		ps_duration_format(secs, buf, sizeof(buf));
		if (ps_duration_parse(buf, &back, NULL) != 0 ||
		    fabs(back - secs) > 1e-6 * (secs > 1 ? secs : 1))
			abort();
	} else {
		check_col(&err, strlen(in));
	}

	memset(&err, 0, sizeof(err));
	if (ps_size_parse(in, &bytes, &err) == 0) {
		ps_size_format(bytes, buf, sizeof(buf));
		if (ps_size_parse(buf, &back_bytes, NULL) != 0)
			abort();
	} else {
		check_col(&err, strlen(in));
	}

	memset(&err, 0, sizeof(err));
	if (ps_time_parse(in, &ts, &err) == 0) {
		ps_time_format(ts, buf, sizeof(buf));
		if (ps_time_parse(buf, &back, NULL) != 0)
			abort();
	} else {
		check_col(&err, strlen(in));
	}
	return 0;
}
