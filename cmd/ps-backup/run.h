/*
 * ps-backup's own logic: back up one set to all its locations in one pass
 * (run.c) and apply retention (prune.c). main.c parses options and calls
 * these.
 */
#ifndef PS_BACKUP_RUN_H
#define PS_BACKUP_RUN_H

#include <stdio.h>

#include "lib/backup.h"
#include "lib/diag.h"

struct bk_opts {
	int dry_run;
	int no_prune;
	int progress;		/* draw a progress line on stderr */
	enum ps_format format;	/* PS_FMT_TEXT or PS_FMT_JSON */
	FILE *out;
};

/* Back up set s; writes its backup record. Returns an exit status. */
int bk_run_set(const struct ps_backup_config *c, const struct ps_backup_set *s,
	       const struct bk_opts *o);

/* Apply the retention policy of s in every location; prune records.
 * Returns an exit status (3 when a location could not be pruned). */
int bk_prune_set(const struct ps_backup_config *c, const struct ps_backup_set *s,
		 const struct bk_opts *o);

/* Set by SIGINT/SIGTERM: stop and leave nothing half-written. */
extern volatile int bk_interrupted;

#endif
