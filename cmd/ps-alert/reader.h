/*
 * ps-alert: parallel reading of probe streams (files, pipes, terminals).
 */
#ifndef PS_ALERT_READER_H
#define PS_ALERT_READER_H

#include <stdio.h>

#include <jansson.h>

#include "cmd/ps-alert/engine.h"
#include "lib/util.h"

enum alert_item_kind {
	ALERT_ITEM_BLANK,
	ALERT_ITEM_PROBE,	/* s is the sample (at NaN when the record has none) */
	ALERT_ITEM_OTHER,	/* another record type */
	ALERT_ITEM_BAD,		/* not a JSON object: msg says why */
	ALERT_ITEM_BAD_PROBE,	/* a probe without check or ok */
};

struct alert_item {
	enum alert_item_kind kind;
	struct alert_sample s;
	const char *msg;
};

/*
 * Read JSON lines from f (through its file descriptor: nothing may have been
 * read from f before) with a reader thread and nthreads parser threads
 * (0: the calling thread parses), which also turn probe records into
 * samples; on_item is called in input order, in the calling thread, for
 * every line that is not blank, with the line as read and its 1-based
 * number. Lines of a pipe reach on_item as soon as they arrive. Stops early
 * when *stop is set. -1 with err on a read error (the lines read before it
 * are handed over first).
 */
int alert_read_parallel(FILE *f, const char *name, int nthreads,
			void (*on_item)(void *ctx, const struct alert_item *it, const char *line,
					size_t len, const char *name, size_t lineno),
			volatile int *stop, void *ctx, struct ps_error *err);

#endif
