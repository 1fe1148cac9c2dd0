/*
 * pg: PostgreSQL connection health over libpq's non-blocking API, so that a
 * deadline and a cancel descriptor are honoured at every step. See pg.h.
 */
#include "pg.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ps_pg_is_uri(const char *s)
{
	return s && (strncmp(s, "postgres://", 11) == 0 ||
		     strncmp(s, "postgresql://", 13) == 0);
}

/* Copy a libpq message into h->error, one line, with secrets masked. */
static void
set_error(struct ps_pg_health *h, const char *what, const char *msg)
{
	char *red = ps_redact(msg ? msg : "");
	char *p;

	for (p = red; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > red && p[-1] == ' ')
		*--p = 0;
	snprintf(h->error, sizeof(h->error), "%s%s%.200s", what, *red ? ": " : "", red);
	free(red);
}

/*
 * Wait for fd to be ready for events, or the deadline, or cancel_fd.
 * 1 ready, 0 timed out, -1 cancelled or error.
 */
static int
wait_fd(int fd, short events, double deadline, int cancel_fd)
{
	struct pollfd pf[2];
	int n = 1, rc;

	for (;;) {
		double left = deadline - mono_now();
		if (left <= 0)
			return 0;
		pf[0].fd = fd;
		pf[0].events = events;
		pf[0].revents = 0;
		if (cancel_fd >= 0) {
			pf[1].fd = cancel_fd;
			pf[1].events = POLLIN;
			pf[1].revents = 0;
			n = 2;
		}
		rc = poll(pf, (nfds_t)n, (int)(left * 1000.0) + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (n == 2 && pf[1].revents)
			return -1;
		if (rc > 0)
			return 1;
	}
}

int
ps_pg_ping(const char *conninfo, double timeout, int cancel_fd,
	   struct ps_pg_health *h)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { conninfo, NULL, "ps-toolkit", NULL };
	char ct[32];
	double t0 = mono_now(), t1, deadline;
	PGconn *c;
	PGresult *res;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int rc;

	memset(h, 0, sizeof(*h));
	if (timeout <= 0)
		timeout = 10;
	deadline = t0 + timeout;
	/* libpq's own timeout too, in whole seconds, as a backstop */
	snprintf(ct, sizeof(ct), "%d", (int)timeout + 1 < 2 ? 2 : (int)timeout + 1);
	vals[1] = ct;
	c = PQconnectStartParams(keys, vals, 1);
	if (!c) {
		snprintf(h->error, sizeof(h->error), "out of memory");
		return -1;
	}
	if (PQstatus(c) == CONNECTION_BAD) {
		set_error(h, "cannot connect", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	for (;;) {
		if (st == PGRES_POLLING_OK)
			break;
		if (st == PGRES_POLLING_FAILED) {
			set_error(h, "cannot connect", PQerrorMessage(c));
			goto fail;
		}
		rc = wait_fd(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			     deadline, cancel_fd);
		if (rc == 0) {
			snprintf(h->error, sizeof(h->error),
				 "connection timed out after %.3gs", timeout);
			goto fail;
		}
		if (rc < 0) {
			snprintf(h->error, sizeof(h->error), "cancelled");
			goto fail;
		}
		st = PQconnectPoll(c);
	}
	t1 = mono_now();
	h->connect_s = t1 - t0;
	h->server_version = PQserverVersion(c);
	if (!PQsendQuery(c, "SELECT 1, current_setting('server_version'), pg_is_in_recovery()")) {
		set_error(h, "query failed", PQerrorMessage(c));
		goto fail;
	}
	for (;;) {
		if (!PQconsumeInput(c)) {
			set_error(h, "query failed", PQerrorMessage(c));
			goto fail;
		}
		if (!PQisBusy(c))
			break;
		rc = wait_fd(PQsocket(c), POLLIN, deadline, cancel_fd);
		if (rc <= 0) {
			snprintf(h->error, sizeof(h->error), rc == 0 ?
				 "query timed out" : "cancelled");
			goto fail;
		}
	}
	res = PQgetResult(c);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != 3) {
		set_error(h, "query failed", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
		snprintf(h->error, sizeof(h->error), "SELECT 1 returned %.50s",
			 PQgetvalue(res, 0, 0));
		PQclear(res);
		goto fail;
	}
	snprintf(h->version, sizeof(h->version), "%s", PQgetvalue(res, 0, 1));
	h->in_recovery = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	while ((res = PQgetResult(c)))
		PQclear(res);
	h->query_s = mono_now() - t1;
	h->latency = mono_now() - t0;
	h->ok = 1;
	PQfinish(c);
	return 0;
fail:
	h->latency = mono_now() - t0;
	PQfinish(c);
	return -1;
}

/* ---- connection strings and databases ---- */

static const char *
env_conninfo(const char *conninfo)
{
	if (conninfo)
		return conninfo;
	conninfo = getenv("DATABASE_URL");
	return conninfo ? conninfo : "";
}

static PQconninfoOption *
parse_conninfo(const char *conninfo, struct ps_error *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(env_conninfo(conninfo), &msg);

	if (!opts) {
		char *red = ps_redact(msg ? msg : "out of memory");
		size_t n = strlen(red);

		while (n && red[n - 1] == '\n')
			red[--n] = 0;
		ps_error_set(err, PS_EXIT_USAGE, "not a valid connection string: %s", red);
		free(red);
		PQfreemem(msg);
	}
	return opts;
}

int
ps_pg_conninfo_has_password(const char *conninfo, struct ps_error *err)
{
	PQconninfoOption *opts = parse_conninfo(conninfo, err), *o;
	int has = 0;

	if (!opts)
		return -1;
	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			has = 1;
	PQconninfoFree(opts);
	return has;
}

/* value quoted for a key='value' connection string */
static void
add_value(struct ps_buf *b, const char *v)
{
	ps_buf_addc(b, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			ps_buf_addc(b, '\\');
		ps_buf_addc(b, *v);
	}
	ps_buf_addc(b, '\'');
}

char *
ps_pg_conninfo_with_db(const char *conninfo, const char *dbname, struct ps_error *err)
{
	PQconninfoOption *opts = parse_conninfo(conninfo, err), *o;
	struct ps_buf b = { 0 };
	char *out;

	if (!opts)
		return NULL;
	for (o = opts; o->keyword; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 ? dbname : o->val;

		if (!v || !*v)
			continue;
		if (b.len)
			ps_buf_addc(&b, ' ');
		ps_buf_addf(&b, "%s=", o->keyword);
		add_value(&b, v);
	}
	PQconninfoFree(opts);
	out = ps_xstrdup(ps_buf_str(&b));
	ps_buf_free(&b);
	return out;
}

/* "VERB DATABASE dbname" on the server of conninfo. */
static int
database_ddl(const char *conninfo, const char *verb, const char *dbname, struct ps_error *err)
{
	PGconn *c = PQconnectdb(env_conninfo(conninfo));
	PGresult *r;
	char *id, *sql;
	int rc = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		char *red = ps_redact(PQerrorMessage(c));
		size_t n = strlen(red);

		while (n && red[n - 1] == '\n')
			red[--n] = 0;
		ps_error_set(err, PS_EXIT_OPER, "cannot connect: %s", red);
		free(red);
		PQfinish(c);
		return -1;
	}
	id = PQescapeIdentifier(c, dbname, strlen(dbname));
	sql = ps_xasprintf("%s DATABASE %s", verb, id ? id : "\"\"");
	PQfreemem(id);
	r = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		char *red = ps_redact(PQerrorMessage(c));
		size_t n = strlen(red);

		while (n && red[n - 1] == '\n')
			red[--n] = 0;
		rc = ps_error_set(err, state && strcmp(state, "42P04") == 0 ? PS_EXIT_USAGE :
				  PS_EXIT_OPER, "cannot %s database %s: %s",
				  strcmp(verb, "CREATE") == 0 ? "create" : "drop", dbname, red);
		free(red);
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int
ps_pg_create_database(const char *conninfo, const char *dbname, struct ps_error *err)
{
	return database_ddl(conninfo, "CREATE", dbname, err);
}

int
ps_pg_drop_database(const char *conninfo, const char *dbname, struct ps_error *err)
{
	return database_ddl(conninfo, "DROP", dbname, err);
}
