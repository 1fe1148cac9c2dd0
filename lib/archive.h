/*
 * archive: the data part of a backup object -- a pax tar stream (libarchive)
 * compressed with zstd (libzstd, worker threads), written and read in one
 * streaming pass, with the SHA-256 of every file's content recorded in an
 * index that is the archive's last entry (PS_ARCHIVE_INDEX_NAME).
 *
 * The writer walks source trees (fts, physical: symlinks are stored as
 * symlinks), keeps mode, mtime, owner, symlinks, hard links and extended
 * attributes, skips sockets, FIFOs and device files (counted as skipped),
 * and honours exclude globs. A walker thread goes through the tree ahead
 * of the writing, reading each entry's metadata and reading and hashing
 * small files whole; compression runs in worker threads, in independent
 * frames (zframes.h); the calling thread writes the entries in order
 * (streaming and hashing large files itself) and hands the compressed
 * bytes to the sink (which encrypts and stores them).
 *
 * The reader cuts the stream into frames in a thread of its own and
 * decompresses them in decoding threads, several at once (a stream
 * without size hints in that thread itself, frame after frame), and parses
 * in the caller's thread, which also hashes (when extracting or with an entry
 * callback) or hands the contents to a hashing thread (plain verify); the
 * index is checked as it streams in, on two threads. It checks every
 * entry's digest against the index,
 * can extract safely (no absolute names, no "..", nothing written through a
 * symlink, no device files, hard links only to earlier regular files) and
 * reports every entry to a callback (listings, --diff, dry runs).
 *
 * The index: JSON lines. The first line {"ps_archive_index":1,"entries":N},
 * then one object per entry in archive order:
 *   {"path":"etc/app/a.conf","type":"file","size":12,"mode":420,
 *    "mtime":1764118800,"sha256":"..."}
 * type is file, dir, symlink (with "target") or hardlink (with "target",
 * the earlier entry's path). Names that are not valid UTF-8 are written as
 * "path_hex" / "target_hex" instead.
 */
#ifndef PS_ARCHIVE_H
#define PS_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define PS_ARCHIVE_INDEX_NAME ".ps-archive-index.jsonl"
#define PS_ARCHIVE_EXT "tar.zst"

enum ps_archive_type {
	PS_ARCHIVE_FILE = 1,
	PS_ARCHIVE_DIR,
	PS_ARCHIVE_SYMLINK,
	PS_ARCHIVE_HARDLINK,
};

const char *ps_archive_type_name(enum ps_archive_type t);

/* One entry, as the index records it (or as read from the archive). */
struct ps_archive_entry {
	char *path;		/* name in the archive, '/'-separated, relative */
	enum ps_archive_type type;
	uint64_t size;		/* content bytes (0 for all but files) */
	unsigned mode;		/* permission bits */
	int64_t mtime;
	char *target;		/* symlink target or hard link's first path */
	char sha256[65];	/* files: hex digest; "" otherwise */
};

/* An index: every entry in archive order. */
struct ps_archive_index {
	struct ps_archive_entry *v;
	size_t len;
	size_t cap;
};

/* Parse index text; -1 and err (code 1, "index line N: ...") when it is
 * malformed. */
int ps_archive_index_parse(const char *text, size_t n,
			   struct ps_archive_index *idx, struct ps_error *err);
void ps_archive_index_free(struct ps_archive_index *idx);
/* Append one entry as an index line. */
void ps_archive_index_line(struct ps_buf *b, const struct ps_archive_entry *e);

/* 0 when name is a safe relative archive name (not empty, not absolute,
 * no ".." component), else -1 and err (code 1). */
int ps_archive_check_name(const char *name, struct ps_error *err);

/* Where compressed bytes go (write) or come from (read). */
struct ps_archive_sink {
	int (*write)(void *ctx, const void *p, size_t n, struct ps_error *err);
	void *ctx;
};
struct ps_archive_source {
	/* bytes read into buf, 0 at the end, -1 and err on failure */
	ssize_t (*read)(void *ctx, void *buf, size_t n, struct ps_error *err);
	void *ctx;
	/* optional, used instead of read when set (no copy): point *p at the
	 * next bytes, which stay valid until the next call; their count, 0 at
	 * the end, -1 and err on failure */
	ssize_t (*next)(void *ctx, const void **p, struct ps_error *err);
};

/* Counts of a written or read archive. */
struct ps_archive_stats {
	uint64_t files;		/* regular files with content */
	uint64_t dirs;
	uint64_t symlinks;
	uint64_t hardlinks;
	uint64_t skipped;	/* sockets, FIFOs, devices, vanished files */
	uint64_t bytes;		/* file content bytes */
	uint64_t tar_bytes;	/* uncompressed tar stream */
	uint64_t zst_bytes;	/* compressed stream */
	char index_sha256[65];	/* SHA-256 of the index entry's content */
};

/* ---- writing ---- */

struct ps_archive_wopts {
	int level;			/* zstd level; 0: 3 */
	int threads;			/* zstd workers; 0: one per CPU (max 4),
					 * -1: none (single thread) */
	const char *const *exclude;	/* globs, NULL-terminated, or NULL: a
					 * glob without '/' matches any name,
					 * with '/' the path below the root */
	/* called for skipped entries and other non-fatal events; may be NULL */
	void (*warn)(void *ctx, const char *msg);
	/* called about every MiB of input; may be NULL */
	void (*progress)(void *ctx, const struct ps_archive_stats *st);
	void *ctx;
};

struct ps_archive_writer;
struct ps_archive_writer *ps_archive_writer_new(const struct ps_archive_wopts *o,
						const struct ps_archive_sink *sink,
						struct ps_error *err);
/*
 * Add the tree at src (a directory, file or symlink) under the archive name
 * `name` (relative, no ".."): src/x/y becomes name/x/y. A source that
 * cannot be read is code 3.
 */
int ps_archive_add_tree(struct ps_archive_writer *w, const char *src,
			const char *name, struct ps_error *err);
/* Add one regular file from memory (tests, database dumps' small parts). */
int ps_archive_add_buffer(struct ps_archive_writer *w, const char *name,
			  const void *p, size_t n, unsigned mode, int64_t mtime,
			  struct ps_error *err);
/* The same with the content's SHA-256 (hex) already computed by the
 * caller, so callers in several threads can hash outside a lock. */
int ps_archive_add_buffer_digest(struct ps_archive_writer *w, const char *name,
				 const void *p, size_t n, unsigned mode,
				 int64_t mtime, const char *sha256,
				 struct ps_error *err);
/* Write the index, end the tar and zstd streams, fill st. */
int ps_archive_writer_finish(struct ps_archive_writer *w,
			     struct ps_archive_stats *st, struct ps_error *err);
/* Free w; an unfinished archive is dropped without writing to the sink. */
void ps_archive_writer_free(struct ps_archive_writer *w);

/* ---- reading ---- */

enum ps_archive_mode {
	PS_ARCHIVE_VERIFY = 0,	/* read and hash everything, write nothing */
	PS_ARCHIVE_LIST,	/* read the entries and the index, no hashing */
	PS_ARCHIVE_EXTRACT,	/* verify and write below dest */
};

struct ps_archive_ropts {
	enum ps_archive_mode mode;
	const char *dest;	/* EXTRACT: an existing empty directory */
	int owner;		/* EXTRACT: restore uid/gid (as root) */
	int sample_pct;		/* VERIFY: hash only this share of the files
				 * (1..100; 0 means 100) */
	/* called for every entry except the index, after its content was
	 * read (sha256 filled when hashed); non-zero stops with code 1 */
	int (*entry)(void *ctx, const struct ps_archive_entry *e);
	void *ctx;
	/* about how many entries to expect (a manifest's count), 0 when
	 * unknown: room for them is taken, and mapped, at the start */
	uint64_t entries_hint;
};

struct ps_archive_result {
	struct ps_archive_stats st;
	uint64_t hashed;	/* files whose digest was checked */
	struct ps_archive_index index;	/* the archive's index (owned) */
};

/*
 * Read a whole archive. Returns 0 when it is complete and every hashed
 * digest matches the index; -1 and err otherwise: code 1 for a corrupt,
 * truncated or unsafe archive or a digest mismatch (the message names the
 * entry), code 3 for I/O errors; errors of the source keep their code.
 * In EXTRACT mode the caller removes dest on failure.
 */
int ps_archive_read(const struct ps_archive_source *src,
		    const struct ps_archive_ropts *o,
		    struct ps_archive_result *res, struct ps_error *err);
void ps_archive_result_free(struct ps_archive_result *res);

#endif
