/*
 * dbarchive: a PostgreSQL dump (pgdump) inside a backup archive (archive),
 * the layout of the database set's data object:
 *
 *   data/<hex16>.copy.000000   a table's COPY text in segments of at most
 *   data/<hex16>.copy.000001   PS_DBARCHIVE_SEGMENT bytes, in order; an
 *   ...                        empty table has one empty segment
 *   toc.json                   ps_pgdump_toc_json of the dump, written last
 *                              because the tables' figures are known only
 *                              at the end
 *
 * Tables are copied over several connections at once, so the segments of
 * different tables interleave in the archive; each segment is an archive
 * entry with its own SHA-256 in the archive's index. Nothing is staged on
 * disk: memory is one segment buffer per connection.
 *
 * A restore reads the archive into a directory first (every digest checked
 * there, before any SQL runs on the target), checks that every table's
 * segments are present and add up to its size, then loads the tables over
 * several connections with pgdump's restore (a large table in parts).
 */
#ifndef PS_DBARCHIVE_H
#define PS_DBARCHIVE_H

#include <stdint.h>

#include "archive.h"
#include "pgdump.h"
#include "util.h"

/* The writer's segment size; a restore takes segments of any size (early
 * backups have 4 MiB ones). Small segments mean less memory touched per
 * connection, and on a VM the first touch of a page costs more than
 * copying it many times over. */
#define PS_DBARCHIVE_SEGMENT (1u << 20)

/* "data/<hex16>.copy.NNNNNN" for segment seq of t (caller frees). */
char *ps_dbarchive_segment_name(const struct ps_pgdump_table *t, unsigned seq);

/*
 * Dump the database described by o into the archive writer w: every
 * table's segments, then the table of contents. w is used from the dump's
 * worker threads under a lock of this function's own; nobody else may use
 * it meanwhile. mtime stamps the entries. On success *out holds the dump
 * (ps_pgdump_free); errors as ps_pgdump_dump, or those of the archive.
 */
int ps_dbarchive_dump(const struct ps_pgdump_opts *o,
		      struct ps_archive_writer *w, int64_t mtime,
		      struct ps_pgdump **out, struct ps_error *err);

/*
 * Read the dump extracted in dir: its table of contents, and every table's
 * segments, which must be numbered without gaps and add up to the table's
 * byte count. -1 and err: code 1 when something is missing or does not add
 * up (naming it), 3 when the directory cannot be read.
 */
int ps_dbarchive_read_dir(const char *dir, struct ps_pgdump **out,
			  struct ps_error *err);

/*
 * The segments of d's tables in dir as a restore's source, into *src: a
 * table whole (open), or part k of n (open_part): a run of whole segments
 * from the first newline at or after its first segment's start, to the
 * first newline at or after the next part's. A segment file is deleted
 * once it has been read to its end, except the few at the parts' seams,
 * which two parts read. d must outlive the source; free it with
 * ps_dbarchive_source_free. -1 and err as ps_dbarchive_read_dir.
 */
int ps_dbarchive_source(const char *dir, const struct ps_pgdump *d,
			struct ps_pgdump_source *src, struct ps_error *err);
void ps_dbarchive_source_free(struct ps_pgdump_source *src);

/* Restore d (from ps_dbarchive_read_dir) with the segments in dir (as
 * ps_dbarchive_source reads them): a large table loads in parts on
 * several connections at once. */
int ps_dbarchive_restore_dir(const struct ps_pgdump_restore_opts *o,
			     const char *dir, const struct ps_pgdump *d,
			     struct ps_error *err);

#endif
