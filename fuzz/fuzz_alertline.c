/*
 * libFuzzer target for alert_sample_from_line (cmd/ps-alert/engine.c), a
 * differential one: the bytes are one line, read by yajl's events and by
 * jansson with alert_sample_from_json. Both must class it alike (a usable
 * probe, another record, a probe without check or ok, JSON that is not an
 * object, not JSON), and a probe's sample must be the same; any
 * difference aborts. A line with a raw NUL byte must be refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/ps-alert/engine.h"
#include "lib/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct alert_sample a, b;
	enum alert_line ka, kb;
	json_error_t je;
	json_t *rec;
	char msg[200];

	/* a line: no line end in it (the reader cuts there) */
	if (memchr(data, '\n', size))
		return 0;
	rec = json_loadb(line, size, JSON_DECODE_ANY, &je);
	memset(&a, 0, sizeof(a));
	if (!rec)
		ka = ALERT_LINE_INVALID;
	else if (!json_is_object(rec))
		ka = ALERT_LINE_NOT_OBJECT;
	else if (!ps_rec_type(rec) || strcmp(ps_rec_type(rec), "probe") != 0)
		ka = ALERT_LINE_OTHER;
	else
		ka = alert_sample_from_json(rec, &a, 7) == 0 ? ALERT_LINE_PROBE :
								ALERT_LINE_BAD_PROBE;
	kb = alert_sample_from_line(line, size, &b, 7, msg, sizeof(msg));
	/* a raw NUL byte is no JSON anywhere; jansson's reader passes over
	 * some ("{\"a\":1\0}" is an object to it), the events refuse them all */
	if (memchr(data, 0, size)) {
		if (kb != ALERT_LINE_INVALID)
			abort();
		json_decref(rec);
		return 0;
	}
	if (ka != kb)
		abort();
	if (ka == ALERT_LINE_PROBE && !alert_sample_same(&a, &b))
		abort();
	json_decref(rec);
	return 0;
}
