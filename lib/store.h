/*
 * store: backup locations by URI, with the same primitives on every kind:
 *
 *   local://backups/db/    relative to the current directory (or base_dir)
 *   local:///var/backups   absolute
 *   file:///var/backups    the same (file://localhost/... too)
 *   s3://bucket/prefix/    an S3 bucket and key prefix (lib/s3.h)
 *
 * Objects are named by '/'-separated names relative to the location
 * ("files/20261126T010000Z-7f3a.tar.zst.enc"); a name may not be empty,
 * start with '/', hold empty, "." or ".." components or NUL, and may not
 * end with ".ps-tmp" (local temp files); such names are code 2.
 *
 * Writes are atomic: nothing is visible under the final name before commit.
 *  - local: data goes to a hidden temp file in the same directory
 *    (".NAME.PID-TAG.<6 random characters>.ps-tmp", see
 *    ps_store_sweep_tmp), commit = fsync file, rename, fsync directory;
 *    abort = unlink the temp file. Parent directories are created as needed.
 *  - s3: the object is streamed as a multipart upload (a single PUT when it
 *    is smaller than one part) completed at commit, aborted on abort.
 *
 * Listings skip local temp files; a process killed while writing leaves
 * its hidden temp file behind (never listed, never a backup); the next
 * writer into that directory removes it (ps_store_sweep_tmp). A store and
 * its writers and readers belong to one thread at a time.
 * Errors: code 3 (PS_EXIT_OPER) for
 * operational failures, code 2 (PS_EXIT_USAGE) for bad URIs and names.
 */
#ifndef PS_STORE_H
#define PS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util.h"
#include "s3.h"

enum ps_store_kind {
	PS_STORE_LOCAL = 1,
	PS_STORE_S3 = 2,
};

struct ps_store_opts {
	const struct ps_s3_config *s3;	/* endpoint, region, credentials...
					 * for s3:// (NULL: defaults from the
					 * environment) */
	const char *base_dir;	/* relative local:// paths start here;
				 * NULL: the current directory */
	const char *s3_spool_dir;	/* s3://: NULL streams an object of
				 * unknown size as a multipart upload
				 * while it is written. A directory:
				 * the object is spooled to an unnamed
				 * temp file there (its SHA-256 computed
				 * on the way) and sent at commit as one
				 * signed PUT, retried from the file
				 * (multipart from the file above 5 GiB).
				 * Costs disk space of the object's size
				 * and serialises writing and sending;
				 * pays off where CompleteMultipartUpload
				 * is expensive (servers that rewrite the
				 * object, as s3rver) */
};

struct ps_store;

/* Parse the URI and prepare the location (no I/O for local; S3: the
 * client is created, nothing is sent). NULL and err (2: bad URI,
 * 3: e.g. missing S3 credentials) on failure. */
struct ps_store *ps_store_open(const char *uri, const struct ps_store_opts *o,
			       struct ps_error *err);
/* Commit or abort every writer and close every reader of st first. */
void ps_store_close(struct ps_store *st);

enum ps_store_kind ps_store_kind(const struct ps_store *st);
/* The URI as given (for records and messages). */
const char *ps_store_uri(const struct ps_store *st);
/* Where an object lives: a file path for local, s3://bucket/key for S3
 * (caller frees). */
char *ps_store_object_uri(const struct ps_store *st, const char *name);
/* The S3 client of an s3:// store (statistics, tests), else NULL. */
struct ps_s3 *ps_store_s3(struct ps_store *st);

/* 0 when name is a valid object name, else -1 and err (code 2). */
int ps_store_check_name(const char *name, struct ps_error *err);

/* ---- streaming, atomic write ---- */
struct ps_store_writer;
struct ps_store_writer *ps_store_put_begin(struct ps_store *st,
					   const char *name,
					   struct ps_error *err);
/*
 * The same when the exact size is known in advance (s3: one streaming PUT
 * for objects up to 5 GiB, see ps_s3_upload_begin_size; local: the size
 * is checked at commit). Writing more or fewer bytes fails with code 2.
 */
struct ps_store_writer *ps_store_put_begin_size(struct ps_store *st,
						const char *name,
						uint64_t size,
						struct ps_error *err);
int ps_store_put_write(struct ps_store_writer *w, const void *p, size_t n,
		       struct ps_error *err);
/* Bytes written so far. */
uint64_t ps_store_put_bytes(const struct ps_store_writer *w);
/* Make the object durable and visible under its name. Frees w, also on
 * failure (then nothing is left behind). */
int ps_store_put_commit(struct ps_store_writer *w, struct ps_error *err);
/* Drop everything written; frees w. */
void ps_store_put_abort(struct ps_store_writer *w);

/* Atomic put of a small object held in memory (a manifest). */
int ps_store_put_small(struct ps_store *st, const char *name, const void *p,
		       size_t n, struct ps_error *err);

/* ---- streaming read ---- */
struct ps_store_reader;
/* NULL and err (code 3, "... not found") when the object is absent. */
struct ps_store_reader *ps_store_get_open(struct ps_store *st,
					  const char *name,
					  struct ps_error *err);
/* Bytes read into buf (0 at the end), or -1 and err. */
ssize_t ps_store_get_read(struct ps_store_reader *r, void *buf, size_t n,
			  struct ps_error *err);
/* The object's size, known at open. */
uint64_t ps_store_get_size(const struct ps_store_reader *r);
void ps_store_get_close(struct ps_store_reader *r);

/* Read a whole (small) object into out (appended). */
int ps_store_get_all(struct ps_store *st, const char *name,
		     struct ps_buf *out, struct ps_error *err);

/* ---- metadata ---- */
struct ps_store_entry {
	char *name;		/* relative to the location */
	uint64_t size;
	time_t mtime;		/* UTC seconds */
};

/* 0 and *out filled (out->name allocated); 1 when absent; -1 and err. */
int ps_store_stat(struct ps_store *st, const char *name,
		  struct ps_store_entry *out, struct ps_error *err);

/*
 * Every object whose name starts with prefix ("" for all; "files/" for one
 * set), at any depth, sorted by name. *out is an array of *n entries
 * (free with ps_store_entries_free). A missing local root lists nothing.
 */
int ps_store_list(struct ps_store *st, const char *prefix,
		  struct ps_store_entry **out, size_t *n, struct ps_error *err);
void ps_store_entry_free(struct ps_store_entry *e);
void ps_store_entries_free(struct ps_store_entry *v, size_t n);

/* Delete an object (local: unlink and fsync the directory). Deleting an
 * absent object succeeds. */
int ps_store_delete(struct ps_store *st, const char *name,
		    struct ps_error *err);

/*
 * Remove the stale temporary files that writers killed mid-write (kill -9,
 * power loss) left in the directory dir of a local location ("" for its
 * root, "files" for a set's directory; not recursive). Only files of the
 * store's own naming are considered, ".NAME.PID-TAG.RANDOM.ps-tmp" where
 * TAG identifies the host, boot and pid namespace of process PID:
 *  - same TAG: removed when process PID no longer exists (never the
 *    calling process's own files, never those of a live process);
 *  - another TAG, or the earlier name without PID-TAG
 *    (".NAME.RANDOM.ps-tmp"): removed when not written for 24 hours;
 * and only regular files (not symlinks) owned by the effective user.
 * Nothing else is ever touched. *removed (if not NULL) is increased by the
 * number removed. Every local writer sweeps its directory once per store
 * (ps_store_put_begin, ignoring failures). S3 locations: nothing to do
 * (an interrupted multipart upload is aborted by the client or, after a
 * kill -9, left invisible: a bucket lifecycle rule
 * AbortIncompleteMultipartUpload removes it). 0, or -1 and err when the
 * directory cannot be read (a missing one is fine).
 */
int ps_store_sweep_tmp(struct ps_store *st, const char *dir,
		       unsigned *removed, struct ps_error *err);
/* Stale temporary files this store has removed so far (for records). */
unsigned ps_store_swept(const struct ps_store *st);

#endif
