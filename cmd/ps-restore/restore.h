/*
 * ps-restore's actions: --list, --verify, --diff and restore of file sets
 * (restore.c), restore of database sets (database.c).
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
	/* database sets */
	const char *to_url;	/* the target database */
	const char *create;	/* create this database and restore into it */
	int clean;		/* drop the target's objects first */
	int jobs;		/* connections (0: the set's, else 2) */
	int check;		/* recompute every table's figures afterwards */
	const char *tmpdir;	/* where the dump is unpacked */
	enum ps_format format;
	FILE *out;
};

int rs_list(const struct ps_backup_config *c, const struct rs_args *a);
int rs_verify(const struct ps_backup_config *c, const struct rs_args *a);
int rs_diff(const struct ps_backup_config *c, const struct rs_args *a);
int rs_restore(const struct ps_backup_config *c, const struct rs_args *a);
/* Restore a database set's backup into a database (database.c). */
int rs_restore_db(const struct ps_backup_config *c, const struct ps_backup_set *s,
		  const struct rs_args *a);

/* Shared by the actions. */
struct rs_found;
struct ps_crypt_key;
const struct ps_backup_set *rs_pick_set(const struct ps_backup_config *c,
					const struct rs_args *a, const char *id);
int rs_load_key(const struct ps_backup_set *s, const struct rs_found *f,
		struct ps_crypt_key *k, int *have);
void rs_emit(const struct rs_args *a, json_t *rec);
void rs_remove_tree(const char *path);

#endif
