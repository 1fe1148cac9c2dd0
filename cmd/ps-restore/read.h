/*
 * ps-restore's own logic: find backups in the locations of a set and read
 * a backup object back (store -> SHA-256 -> decryption -> archive).
 */
#ifndef PS_RESTORE_READ_H
#define PS_RESTORE_READ_H

#include "lib/archive.h"
#include "lib/backup.h"

/* A backup found in a location. */
struct rs_found {
	struct ps_store *st;	/* owned */
	const char *location;
	struct ps_backup_manifest m;	/* owned */
};

/*
 * Find backup `id` ("latest" for the newest) of set s: in `from` when
 * given, else in the set's locations in order (the first that has it).
 * Returns 0, or an exit status with the message already printed.
 */
int rs_find(const struct ps_backup_config *c, const struct ps_backup_set *s,
	    const char *id, const char *from, struct rs_found *f);
void rs_found_free(struct rs_found *f);

/*
 * Read the backup's object through the archive reader with opts: checks
 * the stored object's size and SHA-256 against the manifest and
 * authenticates every chunk. key may be NULL for unencrypted backups.
 * Returns 0 or -1 with err (1: corrupt/tampered, 2: wrong key, 3: I/O).
 */
int rs_read(struct rs_found *f, const struct ps_crypt_key *key,
	    const struct ps_archive_ropts *opts, struct ps_archive_result *res,
	    struct ps_error *err);

#endif
