/*
 * ps-cron's own parts: finding the schedules of a YAML configuration file
 * (scan.c) and checking and printing one schedule (main.c).
 */
#ifndef PS_CRON_H
#define PS_CRON_H

#include <stddef.h>

#include "lib/config.h"

/* One schedule string found in a file, with where it is. */
struct cron_item {
	const char *expr;	/* the scalar's value (document-owned) */
	const char *path;	/* dotted path: "backup.database.schedule" (malloc'd) */
	int line, col;		/* of the scalar node */
	int col_shift;		/* add to a 1-based column inside expr; -1: unknown */
	const struct ps_node *tz; /* a `timezone:` beside it (workflows, serverless) */
	int plain_cron;		/* cron(...) of a non-AWS serverless provider:
				 * 5 fields inside the parentheses */
};

struct cron_items {
	struct cron_item *v;
	size_t len, cap;
};

/*
 * Every schedule of the document: the value of each key named `schedule`
 * (a string, a list of strings, or a mapping with `rate:` as a string or a
 * list, as serverless.yml's events allow; GitHub workflow `schedule:` lists
 * of `cron:` entries too). Values with ${...} references or template
 * placeholders ($cron-weekly) are counted in *skipped and left out.
 */
void cron_scan(const struct ps_node *root, struct cron_items *out,
	       size_t *skipped);
void cron_items_free(struct cron_items *items);

#endif
