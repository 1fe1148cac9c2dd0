/*
 * backup: what ps-backup and ps-restore (and later the database set) share
 * about backup sets and backup objects (DESIGN.md section 8):
 *
 *  - backup.yml: the standards' keys (backup.<set>.enabled, schedule,
 *    retention, locations) and the explicit extra keys (paths, exclude,
 *    encryption, compression, keep, s3), per set or as top-level defaults;
 *  - ids ("20261126T010000Z-7f3a"), object names
 *    ("<set>/<id>.tar.zst.enc", "<set>/<id>.manifest.json");
 *  - the manifest (JSON, format 1) to and from jansson;
 *  - listing the backups of a set in a location (orphans included);
 *  - the retention decision (days, restic-style keep counts, never the
 *    newest verified backup);
 *  - the key of a set.
 */
#ifndef PS_BACKUP_H
#define PS_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "crypt.h"
#include "s3.h"
#include "store.h"
#include "util.h"

#define PS_BACKUP_MANIFEST_EXT ".manifest.json"

enum ps_backup_enc {
	PS_BACKUP_ENC_UNSET = 0,	/* not configured: an error for a run */
	PS_BACKUP_ENC_NONE,		/* encryption: none */
	PS_BACKUP_ENC_KEY_FILE,
	PS_BACKUP_ENC_KEY_ENV,
	PS_BACKUP_ENC_PASS_FILE,
	PS_BACKUP_ENC_PASS_ENV,
};

struct ps_backup_keep {
	long last, daily, weekly, monthly, yearly;	/* 0: not used */
};

struct ps_backup_set {
	const char *name;
	int line, col;			/* of the set's key in the file */
	int enabled;
	const char *schedule;		/* NULL when absent */
	long retention;			/* days; -1 when absent */
	struct ps_backup_keep keep;
	int has_keep;
	const char *const *locations;	/* NULL-terminated */
	size_t nlocations;
	const char *const *paths;	/* as written */
	char **abs_paths;		/* resolved against the config's directory */
	size_t npaths;
	const char *const *exclude;	/* NULL-terminated (may be empty) */
	enum ps_backup_enc enc;
	const char *enc_value;		/* file path (resolved) or variable name */
	long level;			/* zstd level */
	long threads;			/* zstd workers, 0 auto */
	struct ps_s3_config s3;
	/* A database set: a "database" key (a URL, or a mapping with url,
	 * jobs, no_owner, no_privileges), or a set named "database" without
	 * paths, as in the standards' example. */
	int has_database;
	const char *db_url;		/* NULL: $DATABASE_URL, else libpq's
					 * defaults (PGHOST, ...) */
	long db_jobs;			/* worker connections (default 2) */
	int db_no_owner;
	int db_no_privileges;
	/* s3.spool_dir (resolved against the config's directory), NULL when
	 * absent: s3:// objects are spooled there and sent as one PUT (see
	 * ps_store_opts.s3_spool_dir); its position for messages. */
	const char *s3_spool_dir;
	int spool_line, spool_col;
};

struct ps_backup_config {
	struct ps_doc *doc;
	char *path;
	char *dir;			/* the config file's directory */
	struct ps_backup_set *sets;
	size_t nsets;
};

/*
 * Load backup.yml: errors (2) go to diags with file:line:column; unknown
 * keys are warnings. Returns NULL only when nothing usable was read.
 */
struct ps_backup_config *ps_backup_config_load(const char *path,
					       struct ps_diags *diags);
void ps_backup_config_free(struct ps_backup_config *c);
const struct ps_backup_set *ps_backup_config_set(const struct ps_backup_config *c,
						 const char *name);
/*
 * Whether a set has what a backup needs (paths or a database, locations,
 * an encryption choice): errors naming the key to add go to diags.
 * Returns the number of errors added.
 */
size_t ps_backup_set_check(const struct ps_backup_config *c,
			   const struct ps_backup_set *s, struct ps_diags *diags);

/* Load the key of a set (none for PS_BACKUP_ENC_NONE: returns 0 with
 * *have = 0). *warn: a key file readable by others. */
int ps_backup_set_key(const struct ps_backup_set *s, struct ps_crypt_key *k,
		      int *have, int *warn, struct ps_error *err);

/* Open a location of a set (local paths relative to the config's dir). */
struct ps_store *ps_backup_store_open(const struct ps_backup_config *c,
				      const struct ps_backup_set *s,
				      const char *location, struct ps_error *err);

/* ---- ids and names ---- */

/* "20261126T010000Z-7f3a" (23 bytes with NUL) for time t. */
int ps_backup_id_new(time_t t, char out[32], struct ps_error *err);
/* 1 when s looks like an id; *t (may be NULL) its time. */
int ps_backup_id_parse(const char *s, time_t *t);
/* "<set>/<id>.tar.zst[.enc]" and "<set>/<id>.manifest.json" (caller frees) */
char *ps_backup_object_name(const char *set, const char *id, int encrypted);
char *ps_backup_manifest_name(const char *set, const char *id);

/* ---- the manifest ---- */

struct ps_backup_manifest {
	json_t *json;		/* the whole document (owned) */
	const char *id;
	const char *set;
	const char *object;	/* object name relative to the location */
	const char *created_at;
	const char *finished_at;
	time_t created;
	uint64_t stored_bytes;
	const char *object_sha256;
	const char *index_sha256;
	int encrypted;
	const char *key_id;	/* hex, when encrypted */
	const char *kind;	/* "files" or "database" */
	uint64_t content_bytes;
	uint64_t files;
	uint64_t entries;	/* the archive's entries: files, directories,
				 * symlinks and hard links counted (0 unknown) */
};

/* Parse and check a manifest; -1 and err (code 1) when malformed. */
int ps_backup_manifest_parse(const char *text, size_t n,
			     struct ps_backup_manifest *m, struct ps_error *err);
void ps_backup_manifest_free(struct ps_backup_manifest *m);

/* ---- listing ---- */

struct ps_backup_listing {
	struct ps_backup_manifest *v;	/* complete backups, oldest first */
	size_t len;
	char **bad;		/* manifests that do not parse (names) */
	size_t nbad;
	char **orphans;		/* data objects without a manifest (names) */
	uint64_t *orphan_sizes;
	time_t *orphan_mtimes;
	size_t norphans;
	char **missing;		/* manifests whose data object is absent or
				 * has another size (ids) */
	size_t nmissing;
};

/* List the backups of set in a store. */
int ps_backup_list(struct ps_store *st, const char *set,
		   struct ps_backup_listing *out, struct ps_error *err);
void ps_backup_listing_free(struct ps_backup_listing *l);
/* Whether the i-th backup's data object was found with its size. */
int ps_backup_listing_ok(const struct ps_backup_listing *l, size_t i);

/* ---- retention ---- */

/*
 * Decide which backups (a listing's v, oldest first) to delete at `now`:
 * del[i] = 1 to delete, with reason[i] a static string for kept ones
 * ("newest verified backup", "within 7 days", "keep daily", ...).
 * A backup is kept when it is within retention days (retention < 0: all),
 * or chosen by a keep count, or is the newest verified one (ok[i] set).
 */
void ps_backup_retention(const struct ps_backup_manifest *v, const int *ok,
			 size_t n, time_t now, long retention,
			 const struct ps_backup_keep *keep, int *del,
			 const char **reason);

#endif
