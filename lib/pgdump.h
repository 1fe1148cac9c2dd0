/*
 * pgdump: a consistent logical dump of one PostgreSQL database through
 * libpq, and its restore.
 *
 * Dump: one REPEATABLE READ, READ ONLY transaction exports its snapshot
 * (pg_export_snapshot()); `jobs` worker connections import it, so every
 * table is read at the same instant while tables are copied in parallel.
 * Tables are locked ACCESS SHARE as pg_dump does. The schema comes from the
 * catalogs through the server's own pg_get_*def functions, split into
 * pre-data (schemas, extensions, collations, types, functions, sequences,
 * tables, views, materialized views: in dependency order) and post-data
 * (indexes, constraints other than CHECK, triggers, policies, sequence
 * values, materialized view refreshes). Objects the dump does not support
 * are an error naming them. Each table's rows go by COPY ... TO STDOUT to a
 * caller-supplied sink, with the row count and an order-independent
 * checksum: the sum modulo 2^64 of the XXH3 64-bit hash of each row's COPY
 * text line (without its newline); dumps written before XXH3 (no
 * "row_hash" in their toc) used the first 8 bytes (big-endian) of SHA-256,
 * and are checked that way. The checksum compares a restored table with
 * the dump; the archive's own integrity is SHA-256 and AES-GCM.
 *
 * Restore: the target must hold no user objects unless `clean`; pre-data,
 * then the tables by COPY ... FROM STDIN WITH (FREEZE) over `jobs`
 * connections (each table in its own transaction, which truncates it
 * first), a table's index builds as soon as its rows are in, then the rest
 * of post-data. A failure names the table or object (code 3).
 *
 * Sessions use search_path '', client_encoding = the source database's,
 * DateStyle ISO, IntervalStyle postgres, TimeZone UTC and
 * extra_float_digits 3, so the COPY text (and the checksums) are the same
 * on the source and on a restored copy.
 *
 * Connection strings are libpq conninfo or URIs; messages never contain a
 * password (ps_redact).
 */
#ifndef PS_PGDUMP_H
#define PS_PGDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* One table whose rows are dumped (ordinary tables and leaf partitions). */
struct ps_pgdump_table {
	char *schema;		/* unquoted names */
	char *name;
	char *qname;		/* "schema"."name", quoted as needed */
	char *columns;		/* quoted column list for COPY, no generated
				 * columns: "a", "b" ("" for no columns) */
	uint64_t est_bytes;	/* heap size at dump time (scheduling) */
	uint64_t rows;		/* figures of the dumped data */
	uint64_t checksum;
	uint64_t bytes;		/* COPY text bytes */
};

enum ps_pgdump_section {
	PS_PGDUMP_PRE = 0,
	PS_PGDUMP_POST = 1,
};

/* One schema statement group, with a tag naming it in errors. */
struct ps_pgdump_entry {
	int section;		/* enum ps_pgdump_section */
	char *tag;		/* "TABLE public.film" */
	char *sql;		/* one or more statements, each ending ";" */
	int parallel;		/* may run concurrently with the neighbouring
				 * entries that have it too (index builds) */
	char *table;		/* parallel entries: the quoted table they
				 * build on, so a restore can run them as soon
				 * as its rows are in (NULL: after all data) */
};

/* How a row's 64-bit hash is computed for the per-table checksum. */
enum ps_pgdump_row_hash {
	PS_PGDUMP_ROWHASH_SHA256 = 0,	/* first 8 bytes of SHA-256, big-endian
					 * (dumps without "row_hash") */
	PS_PGDUMP_ROWHASH_XXH3 = 1,	/* XXH3 64-bit, no seed: new dumps */
};

struct ps_pgdump {
	int server_version;	/* PQserverVersion of the source */
	int row_hash;		/* enum ps_pgdump_row_hash */
	char encoding[64];	/* the source database's encoding */
	char *database;		/* the source database's name */
	struct ps_pgdump_entry *entries;	/* pre-data, then post-data */
	size_t nentries;
	size_t entries_cap;
	struct ps_pgdump_table *tables;
	size_t ntables;
	size_t tables_cap;
};

/*
 * Where a dumped table's COPY text goes. begin/write/end are called from
 * worker threads, concurrently for different tables (never for the same
 * one). begin sets *stream; end gets the final figures in t and ok = 1 when
 * the table was copied whole (ok = 0: the dump failed, discard the stream).
 * Each returns 0, or -1 with err filled to stop the dump.
 */
struct ps_pgdump_sink {
	void *arg;
	int (*begin)(void *arg, const struct ps_pgdump_table *t, void **stream,
		     struct ps_error *err);
	int (*write)(void *stream, const void *p, size_t n, struct ps_error *err);
	int (*end)(void *stream, const struct ps_pgdump_table *t, int ok,
		   struct ps_error *err);
};

/* Where a restored table's COPY text comes from (same threading rules). */
struct ps_pgdump_source {
	void *arg;
	int (*open)(void *arg, const struct ps_pgdump_table *t, void **stream,
		    struct ps_error *err);
	/* bytes read, 0 at the end, -1 and err */
	ssize_t (*read)(void *stream, void *buf, size_t cap, struct ps_error *err);
	void (*close)(void *stream);
	/*
	 * Optional: part k of n of the table's rows, the parts cut at row
	 * boundaries so that each is a COPY stream of its own and together
	 * they are the table's rows in order; read and closed as above. A
	 * restore loads a large table's parts on several connections at
	 * once. NULL: every table loads whole.
	 */
	int (*open_part)(void *arg, const struct ps_pgdump_table *t, unsigned k,
			 unsigned n, void **stream, struct ps_error *err);
};

struct ps_pgdump_opts {
	const char *conninfo;	/* NULL: $DATABASE_URL, else libpq defaults */
	int jobs;		/* worker connections; <= 0: 2 */
	int no_owner;		/* no ALTER ... OWNER TO */
	int no_privileges;	/* no GRANT/REVOKE */
	const volatile int *cancel;	/* when set and non-zero: stop soon
					 * ("interrupted", code 3) */
};

/*
 * Dump the database. On success *out holds the schema and every table's
 * figures (ps_pgdump_free). -1 and err: code 2 for unsupported objects
 * (all named), 3 for connection and server failures.
 */
int ps_pgdump_dump(const struct ps_pgdump_opts *o,
		   const struct ps_pgdump_sink *sink, struct ps_pgdump **out,
		   struct ps_error *err);
void ps_pgdump_free(struct ps_pgdump *d);

/* The dump's table of contents as JSON (caller frees), and back. */
char *ps_pgdump_toc_json(const struct ps_pgdump *d);
int ps_pgdump_toc_parse(const char *text, size_t n, struct ps_pgdump **out,
			struct ps_error *err);

/*
 * A restore's connections opened ahead, on threads, while the caller does
 * something else (unpacks and checks the backup): each costs the server a
 * process start, tens of milliseconds on a small machine. Nothing runs on
 * them but the session's settings. Give them to ps_pgdump_restore (which
 * takes them, opened or not) or close them.
 */
struct ps_pgdump_conns;
struct ps_pgdump_conns *ps_pgdump_conns_open(const char *conninfo, int jobs);
void ps_pgdump_conns_close(struct ps_pgdump_conns *k);

struct ps_pgdump_restore_opts {
	const char *conninfo;	/* the target database */
	int jobs;		/* <= 0: 2 */
	int clean;		/* drop the target's user objects first */
	const volatile int *cancel;	/* as for the dump */
	struct ps_pgdump_conns *conns;	/* opened ahead for conninfo and jobs,
					 * or NULL; taken */
};

/* The number of user objects in the database at conninfo (a restore
 * needs 0 unless clean); -1 and err (code 3). */
int ps_pgdump_target_objects(const char *conninfo, long *n,
			     struct ps_error *err);

/*
 * Restore d with table data from src; -1 and err (code 3) naming what
 * failed. Each table loads in a transaction of its own; when src has
 * open_part, a table larger than a share of the whole loads in parts, each
 * in a transaction of its own, so that the connections share its load.
 */
int ps_pgdump_restore(const struct ps_pgdump_restore_opts *o,
		      const struct ps_pgdump *d,
		      const struct ps_pgdump_source *src, struct ps_error *err);

/*
 * Recompute every table's row count and checksum on the database at
 * conninfo and compare with d's figures: 0 when all match; -1 with err
 * code 1 naming the tables that differ, or code 3 on failure.
 */
int ps_pgdump_check(const char *conninfo, int jobs, const struct ps_pgdump *d,
		    struct ps_error *err);

/* ---- a dump as a directory (what the database set archives) ----
 *
 *   DIR/toc.json            ps_pgdump_toc_json of the dump
 *   DIR/data/NAME.copy      one COPY text file per table, NAME from
 *                           ps_pgdump_table_file
 */
#define PS_PGDUMP_TOC_NAME "toc.json"

/* "data/<first 16 hex digits of SHA-256(qname)>.copy" (caller frees). */
char *ps_pgdump_table_file(const struct ps_pgdump_table *t);

/* Dump into dir (created if absent, 0700); *out as ps_pgdump_dump. */
int ps_pgdump_dump_dir(const struct ps_pgdump_opts *o, const char *dir,
		       struct ps_pgdump **out, struct ps_error *err);
/* Read DIR/toc.json (code 1 when damaged, 3 when unreadable). */
int ps_pgdump_read_dir(const char *dir, struct ps_pgdump **out,
		       struct ps_error *err);
/* Restore the dump in dir; *out (may be NULL) receives its contents. */
int ps_pgdump_restore_dir(const struct ps_pgdump_restore_opts *o,
			  const char *dir, struct ps_pgdump **out,
			  struct ps_error *err);

/* Remove what ps_pgdump_dump_dir wrote in dir (d: its dump), and dir. */
void ps_pgdump_remove_dir(const char *dir, const struct ps_pgdump *d);

/*
 * The figures a backup manifest records (caller json_decref's):
 * {"database":..,"server_version":..,"encoding":..,"tables":[{"table":
 *  "public.t","file":"data/...copy","rows":N,"bytes":N,"checksum":"hex16"}]}
 */
struct json_t;
struct json_t *ps_pgdump_manifest_json(const struct ps_pgdump *d);

/* ---- pure helpers (unit-tested) ---- */

/* The 64-bit hash of one row's COPY text (first 8 bytes of SHA-256, BE). */
uint64_t ps_pgdump_row_hash(const void *p, size_t n);
/* The same by XXH3 64-bit (PS_PGDUMP_ROWHASH_XXH3). */
uint64_t ps_pgdump_row_hash_xxh3(const void *p, size_t n);
/* "sha256-64" or "xxh3-64"; and back (-1: unknown name). */
const char *ps_pgdump_row_hash_name(int row_hash);
int ps_pgdump_row_hash_parse(const char *name);

/*
 * Row accounting over a COPY text stream that may be cut anywhere: feed
 * bytes with ps_pgdump_rows_feed, then ps_pgdump_rows_finish (a last row
 * without newline counts). rows/checksum hold the figures.
 */
struct ps_pgdump_rows {
	int algo;		/* enum ps_pgdump_row_hash (0: SHA-256) */
	uint64_t rows;
	uint64_t checksum;
	uint64_t bytes;
	struct ps_buf part;	/* an unfinished line */
	void *md;		/* EVP_MD_CTX, created on first use */
};
void ps_pgdump_rows_feed(struct ps_pgdump_rows *r, const void *p, size_t n);
void ps_pgdump_rows_finish(struct ps_pgdump_rows *r);
void ps_pgdump_rows_free(struct ps_pgdump_rows *r);

/* s as a double-quoted SQL identifier (caller frees). */
char *ps_pgdump_quote_ident(const char *s);

/*
 * Order n nodes so that each comes after the nodes it depends on: edges
 * are pairs (from, to) meaning "from depends on to". Among ready nodes the
 * lowest prio comes first, then the lowest index. Fills order[n] and
 * returns 0; on a cycle returns -1 and fills order with the nodes left
 * (count in *left).
 */
int ps_pgdump_toposort(size_t n, const int *prio, const size_t (*edges)[2],
		       size_t nedges, size_t *order, size_t *left);

#endif
