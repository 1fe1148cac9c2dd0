/*
 * ps-restore's actions: --list, --verify, --diff and restore (restore.c).
 */
#ifndef PS_RESTORE_RESTORE_H
#define PS_RESTORE_RESTORE_H

#include <stdio.h>

#include "lib/backup.h"
#include "lib/diag.h"

struct rs_args {
	int list;
	const char *verify;
	int sample;
	const char *diff;
	const char *id;		/* restore operand */
	const char *set;
	const char *to;
	int force;
	int dry_run;
	const char *from;
	enum ps_format format;
	FILE *out;
};

int rs_list(const struct ps_backup_config *c, const struct rs_args *a);
int rs_verify(const struct ps_backup_config *c, const struct rs_args *a);
int rs_diff(const struct ps_backup_config *c, const struct rs_args *a);
int rs_restore(const struct ps_backup_config *c, const struct rs_args *a);

#endif
