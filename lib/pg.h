/*
 * pg: PostgreSQL through libpq. This part: connection health (connect,
 * SELECT 1, server version, recovery state, latency) within a deadline and
 * cancellable from another thread through a file descriptor.
 *
 * Messages never contain a password: connection strings are passed through
 * ps_redact before they reach an error message.
 */
#ifndef PS_PG_H
#define PS_PG_H

#include "util.h"

struct ps_pg_health {
	int ok;			/* connected and SELECT 1 answered 1 */
	double latency;		/* connect + query, seconds */
	double connect_s;	/* connection establishment (incl. auth), seconds */
	double query_s;		/* the health query, seconds */
	int server_version;	/* PQserverVersion: 150004 for 15.4; 0 unknown */
	char version[64];	/* server_version setting: "15.4 (Debian 15.4-1)" */
	int in_recovery;	/* pg_is_in_recovery(): 1 on a standby */
	char error[256];	/* why not ok (no password in it); "" when ok */
};

/*
 * Probe conninfo (a postgres:// or postgresql:// URI, or key=value pairs)
 * within timeout seconds (<= 0: 10). cancel_fd >= 0: give up as soon as it
 * becomes readable. Returns 0 when healthy, -1 otherwise; h is filled in
 * both cases.
 */
int ps_pg_ping(const char *conninfo, double timeout, int cancel_fd,
	       struct ps_pg_health *h);

/* Whether s looks like a libpq connection URI. */
int ps_pg_is_uri(const char *s);

/* ---- connection strings and databases (restores) ---- */

/* 1 when conninfo carries a password, 0 when not, -1 and err (code 2)
 * when it does not parse. */
int ps_pg_conninfo_has_password(const char *conninfo, struct ps_error *err);

/*
 * conninfo (NULL: $DATABASE_URL, else libpq's defaults) with its database
 * replaced by dbname, as key='value' pairs (caller frees; it may hold the
 * password, so it belongs in memory only). NULL and err (code 2) when
 * conninfo does not parse.
 */
char *ps_pg_conninfo_with_db(const char *conninfo, const char *dbname,
			     struct ps_error *err);

/*
 * CREATE DATABASE dbname on the server of conninfo (connecting to the
 * database conninfo names). 0, or -1 and err: code 2 when it exists
 * already, 3 on connection or server failures.
 */
int ps_pg_create_database(const char *conninfo, const char *dbname,
			  struct ps_error *err);

/* DROP DATABASE dbname on the server of conninfo: 0, or -1 and err
 * (code 3). */
int ps_pg_drop_database(const char *conninfo, const char *dbname,
			struct ps_error *err);

#endif
