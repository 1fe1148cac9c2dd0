/*
 * pgdump: consistent logical dump and restore of a PostgreSQL database
 * through libpq. See pgdump.h.
 */
#include "pgdump.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "log.h"

/* Catalog OIDs (fixed in every PostgreSQL release). */
#define CL_CLASS 1259u
#define CL_TYPE 1247u
#define CL_PROC 1255u
#define CL_NAMESPACE 2615u
#define CL_EXTENSION 3079u
#define CL_COLLATION 3456u

/* Post-data phases, in restore order. */
enum {
	P_CHECK,	/* NOT VALID check constraints */
	P_INDEX,	/* indexes, primary/unique/exclusion constraints */
	P_ATTACH,	/* ALTER INDEX ... ATTACH PARTITION */
	P_TABLEOPT,	/* CLUSTER ON, REPLICA IDENTITY */
	P_FK,		/* foreign keys */
	P_TRIGGER,
	P_POLICY,
	P_SEQ,		/* OWNED BY, setval */
	P_REFRESH,	/* REFRESH MATERIALIZED VIEW */
	P_COUNT
};

/* Pre-data priorities among objects that are ready at the same time. */
enum {
	PR_SCHEMA = 1, PR_EXTENSION, PR_COLLATION, PR_TYPE, PR_FUNCTION,
	PR_AGGREGATE, PR_SEQUENCE, PR_TABLE, PR_VIEW, PR_MATVIEW
};

#define USER_NS(n) "(" n ".nspname <> 'information_schema' AND " n ".nspname !~ '^pg_')"
#define NOT_EXT(cls, col) \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = " \
	#cls " AND e.objid = " col " AND e.deptype = 'e')"
/* Grants as lines "PRIV GRANTEE[ WITH GRANT OPTION]"; NULL for default. */
#define ACL_SQL(col) \
	"CASE WHEN " col " IS NULL THEN NULL ELSE coalesce((SELECT " \
	"string_agg(a.privilege_type || ' ' || CASE WHEN a.grantee = 0 THEN " \
	"'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END || CASE " \
	"WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, E'\\n' " \
	"ORDER BY a.grantee, a.privilege_type) FROM aclexplode(" col ") a), '') END"

/* ---------------------------------------------------------------- helpers */

char *
ps_pgdump_quote_ident(const char *s)
{
	struct ps_buf b = { 0 };

	ps_buf_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"')
			ps_buf_addc(&b, '"');
		ps_buf_addc(&b, *s);
	}
	ps_buf_addc(&b, '"');
	return ps_buf_detach(&b);
}

/* s as an SQL string literal. */
static void
add_literal(struct ps_buf *b, const char *s)
{
	int esc = strchr(s, '\\') != NULL;

	if (esc)
		ps_buf_addc(b, 'E');
	ps_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			ps_buf_addc(b, *s);
		ps_buf_addc(b, *s);
	}
	ps_buf_addc(b, '\'');
}

uint64_t
ps_pgdump_row_hash(const void *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint64_t h = 0;
	int i;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		h = (h << 8) | md[i];
	return h;
}

uint64_t
ps_pgdump_row_hash_xxh3(const void *p, size_t n)
{
	return (uint64_t)XXH3_64bits(p, n);
}

const char *
ps_pgdump_row_hash_name(int row_hash)
{
	return row_hash == PS_PGDUMP_ROWHASH_XXH3 ? "xxh3-64" : "sha256-64";
}

int
ps_pgdump_row_hash_parse(const char *name)
{
	if (strcmp(name, "xxh3-64") == 0)
		return PS_PGDUMP_ROWHASH_XXH3;
	if (strcmp(name, "sha256-64") == 0)
		return PS_PGDUMP_ROWHASH_SHA256;
	return -1;
}

static void
rows_line(struct ps_pgdump_rows *r, const char *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint64_t h = 0;
	int i;

	if (r->algo == PS_PGDUMP_ROWHASH_XXH3) {
		r->rows++;
		r->checksum += (uint64_t)XXH3_64bits(p, n);
		return;
	}

	/* The context keeps its digest: re-initialising it with NULL skips
	 * OpenSSL 3's implicit fetch, which costs twice the hashing of a
	 * typical row. */
	if (!r->md) {
		r->md = EVP_MD_CTX_new();
		if (r->md && !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL)) {
			EVP_MD_CTX_free(r->md);
			r->md = NULL;
		}
	} else if (!EVP_DigestInit_ex2(r->md, NULL, NULL)) {
		EVP_MD_CTX_free(r->md);
		r->md = NULL;
	}
	if (!r->md || !EVP_DigestUpdate(r->md, p, n) || !EVP_DigestFinal_ex(r->md, md, &len)) {
		/* OpenSSL failing on SHA-256 leaves nothing sensible to do */
		h = ps_pgdump_row_hash(p, n);
	} else {
		for (i = 0; i < 8; i++)
			h = (h << 8) | md[i];
	}
	r->rows++;
	r->checksum += h;
}

void
ps_pgdump_rows_feed(struct ps_pgdump_rows *r, const void *data, size_t n)
{
	const char *p = data, *nl;
	size_t len;

	r->bytes += n;
	while (n > 0) {
		nl = memchr(p, '\n', n);
		if (!nl) {
			ps_buf_add(&r->part, p, n);
			return;
		}
		len = (size_t)(nl - p);
		if (r->part.len) {
			ps_buf_add(&r->part, p, len);
			rows_line(r, r->part.data, r->part.len);
			ps_buf_reset(&r->part);
		} else {
			rows_line(r, p, len);
		}
		p = nl + 1;
		n -= len + 1;
	}
}

void
ps_pgdump_rows_finish(struct ps_pgdump_rows *r)
{
	if (r->part.len) {
		rows_line(r, r->part.data, r->part.len);
		ps_buf_reset(&r->part);
	}
}

void
ps_pgdump_rows_free(struct ps_pgdump_rows *r)
{
	ps_buf_free(&r->part);
	if (r->md)
		EVP_MD_CTX_free(r->md);
	r->md = NULL;
}

/* ---- topological sort with a binary heap of ready nodes ---- */

struct heap {
	size_t *v;
	size_t n;
	const int *prio;
};

static int
heap_less(const struct heap *h, size_t a, size_t b)
{
	if (h->prio[a] != h->prio[b])
		return h->prio[a] < h->prio[b];
	return a < b;
}

static void
heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++, p;

	h->v[i] = x;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!heap_less(h, h->v[i], h->v[p]))
			break;
		x = h->v[p];
		h->v[p] = h->v[i];
		h->v[i] = x;
		i = p;
	}
}

static size_t
heap_pop(struct heap *h)
{
	size_t top = h->v[0], i = 0, l, m, t;

	h->v[0] = h->v[--h->n];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < h->n && heap_less(h, h->v[l], h->v[m]))
			m = l;
		if (l + 1 < h->n && heap_less(h, h->v[l + 1], h->v[m]))
			m = l + 1;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

int
ps_pgdump_toposort(size_t n, const int *prio, const size_t (*edges)[2],
		   size_t nedges, size_t *order, size_t *left)
{
	size_t *indeg = ps_xcalloc(n + 1, sizeof(size_t));
	size_t *start = ps_xcalloc(n + 2, sizeof(size_t));
	size_t *adj = ps_xcalloc(nedges + 1, sizeof(size_t));
	size_t *fill = ps_xcalloc(n + 1, sizeof(size_t));
	char *done = ps_xcalloc(n + 1, 1);
	struct heap h = { ps_xcalloc(n + 1, sizeof(size_t)), 0, prio };
	size_t i, k = 0, x, j;

	/* adjacency: for each node "to", the nodes that wait for it */
	for (i = 0; i < nedges; i++) {
		indeg[edges[i][0]]++;
		start[edges[i][1] + 1]++;
	}
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	for (i = 0; i < nedges; i++) {
		x = edges[i][1];
		adj[start[x] + fill[x]++] = edges[i][0];
	}
	for (i = 0; i < n; i++)
		if (indeg[i] == 0)
			heap_push(&h, i);
	while (h.n > 0) {
		x = heap_pop(&h);
		done[x] = 1;
		order[k++] = x;
		for (j = start[x]; j < start[x + 1]; j++)
			if (--indeg[adj[j]] == 0)
				heap_push(&h, adj[j]);
	}
	*left = n - k;
	if (k < n)
		for (i = 0; i < n; i++)
			if (!done[i])
				order[k++] = i;
	free(indeg);
	free(start);
	free(adj);
	free(fill);
	free(done);
	free(h.v);
	return *left ? -1 : 0;
}

/* ---------------------------------------------------------------- libpq */

/* err from a libpq message: one line, redacted, code 3. */
static int
pg_error(struct ps_error *err, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
pg_error(struct ps_error *err, const char *msg, const char *fmt, ...)
{
	char what[512], *red, *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	red = ps_redact(msg ? msg : "");
	for (p = red; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > red && p[-1] == ' ')
		*--p = 0;
	ps_error_set(err, PS_EXIT_OPER, "%s%s%.400s", what, *red ? ": " : "", red);
	free(red);
	return -1;
}

static const char *
conninfo_or_env(const char *conninfo)
{
	if (conninfo && *conninfo)
		return conninfo;
	conninfo = getenv("DATABASE_URL");
	return conninfo && *conninfo ? conninfo : NULL;
}

/* Session settings shared by dump, restore and check connections. */
static const char session_sql[] =
	"SET search_path = ''; SET DateStyle = ISO; SET IntervalStyle = postgres;"
	" SET extra_float_digits = 3; SET TimeZone = 'UTC';"
	" SET statement_timeout = 0; SET lock_timeout = 0;"
	" SET idle_in_transaction_session_timeout = 0;"
	" SET client_min_messages = warning; SET row_security = off;"
	" SET standard_conforming_strings = on; SET check_function_bodies = false";

static int
exec_ok(PGconn *c, const char *sql, struct ps_error *err, const char *what)
{
	PGresult *res = PQexec(c, sql);
	int st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_error(err, PQerrorMessage(c), "%s", what);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* A connection, nothing run on it yet. */
static PGconn *
pg_connect(const char *conninfo, struct ps_error *err)
{
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *vals[] = { conninfo_or_env(conninfo), "ps-toolkit", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (!c) {
		ps_error_set(err, PS_EXIT_OPER, "cannot connect: out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		pg_error(err, PQerrorMessage(c), "cannot connect");
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* The session's settings, and the client encoding when given. */
static int
pg_setup(PGconn *c, const char *encoding, struct ps_error *err)
{
	if (exec_ok(c, session_sql, err, "cannot set up the session") < 0)
		return -1;
	if (encoding && *encoding && PQsetClientEncoding(c, encoding) != 0)
		return pg_error(err, PQerrorMessage(c), "cannot set client encoding %s",
				encoding);
	return 0;
}

static PGconn *
pg_open(const char *conninfo, const char *encoding, struct ps_error *err)
{
	PGconn *c = pg_connect(conninfo, err);

	if (c && pg_setup(c, encoding, err) < 0) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/*
 * Connections opened on threads of their own, so that their start-up
 * round trips (and the server's backend start) overlap one another and
 * whatever the caller does meanwhile: opens_start, then opens_finish.
 */
struct opener {
	const char *conninfo, *encoding;
	char *sql;		/* run on the new connection when set */
	const char *what;	/* its error message */
	int bare;		/* connect only: no session settings yet */
	PGconn *c;
	struct ps_error err;
	pthread_t th;
	int started;
};

static void *
opener_main(void *arg)
{
	struct opener *op = arg;

	op->c = op->bare ? pg_connect(op->conninfo, &op->err) :
		pg_open(op->conninfo, op->encoding, &op->err);
	if (op->c && op->sql && exec_ok(op->c, op->sql, &op->err, op->what) < 0) {
		PQfinish(op->c);
		op->c = NULL;
	}
	return NULL;
}

/* n connections opening; bare: connected only, nothing run on them
 * (encoding and sql are then unused) */
static struct opener *
opens_start(const char *conninfo, int bare, const char *encoding, const char *sql,
	    const char *what, int n)
{
	struct opener *ops = ps_xcalloc((size_t)n, sizeof(*ops));
	int i;

	for (i = 0; i < n; i++) {
		ops[i].conninfo = conninfo;
		ops[i].bare = bare;
		ops[i].encoding = encoding;
		ops[i].sql = sql ? ps_xstrdup(sql) : NULL;
		ops[i].what = what;
		ops[i].started = pthread_create(&ops[i].th, NULL, opener_main, &ops[i]) == 0;
		if (!ops[i].started)	/* no thread: open it here */
			opener_main(&ops[i]);
	}
	return ops;
}

/* Wait for the n connections into conns: 0, or -1 and the first error
 * (the connections that opened are in conns all the same). */
static int
opens_finish(struct opener *ops, int n, PGconn **conns, struct ps_error *err)
{
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		if (ops[i].started)
			pthread_join(ops[i].th, NULL);
		conns[i] = ops[i].c;
		if (!ops[i].c && rc == 0) {
			*err = ops[i].err;
			rc = -1;
		}
		free(ops[i].sql);
	}
	free(ops);
	return rc;
}

static PGresult *
query(PGconn *c, const char *sql, struct ps_error *err, const char *what)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(err, PQerrorMessage(c), "%s", what);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* A value, or NULL when SQL NULL. */
static const char *
val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int
is_true(const PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);

	return v && v[0] == 't';
}

static unsigned
oidval(const PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);

	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* ---------------------------------------------------------------- catalog */

struct obj {
	unsigned classid, objid;
	int prio;
	int is_seq;
	int refresh;		/* materialized view to refresh after data */
	char *tag;
	char *sql;
	char *qname;
};

struct rel {
	unsigned oid;
	char kind;
	char *qname;
	struct ps_buf cols;	/* column definitions for CREATE */
	struct ps_buf checks;	/* CHECK constraints for CREATE */
	struct ps_buf after;	/* comments, column options, owner, grants */
	struct ps_buf copycols;	/* COPY column list */
	int ncols;
};

struct keymap {
	unsigned c, o, tc, to;
};

struct dctx {
	PGconn *c;
	const struct ps_pgdump_opts *o;
	struct ps_pgdump *d;
	struct obj *objs;
	size_t nobjs, objs_cap;
	struct ps_pgdump_entry *post[P_COUNT];
	size_t npost[P_COUNT], post_cap[P_COUNT];
	struct rel *rels;
	size_t nrels;
	struct ps_buf attach;	/* ATTACH PARTITION statements */
};

static struct obj *
add_obj(struct dctx *x, unsigned classid, unsigned objid, int prio,
	char *tag, char *sql)
{
	struct obj *ob;

	ps_xgrow(&x->objs, &x->objs_cap, x->nobjs + 1, sizeof(*x->objs));
	ob = &x->objs[x->nobjs++];
	memset(ob, 0, sizeof(*ob));
	ob->classid = classid;
	ob->objid = objid;
	ob->prio = prio;
	ob->tag = tag;
	ob->sql = sql;
	return ob;
}

static struct ps_pgdump_entry *
add_post(struct dctx *x, int phase, char *tag, char *sql)
{
	struct ps_pgdump_entry *e;

	ps_xgrow(&x->post[phase], &x->post_cap[phase], x->npost[phase] + 1,
		 sizeof(*e));
	e = &x->post[phase][x->npost[phase]++];
	memset(e, 0, sizeof(*e));
	e->section = PS_PGDUMP_POST;
	e->tag = tag;
	e->sql = sql;
	return e;
}

static struct ps_pgdump_entry *
add_entry(struct ps_pgdump *d, int section, char *tag, char *sql)
{
	struct ps_pgdump_entry *e;

	ps_xgrow(&d->entries, &d->entries_cap, d->nentries + 1, sizeof(*e));
	e = &d->entries[d->nentries++];
	e->section = section;
	e->tag = tag;
	e->sql = sql;
	e->parallel = 0;
	e->table = NULL;
	return e;
}

/* COMMENT ON, owner and grants of one object, appended to b. */
static void
add_extras(struct dctx *x, struct ps_buf *b, const char *kind, const char *name,
	   const char *comment, const char *owner, const char *acl)
{
	const char *p, *nl;

	if (comment)
		ps_buf_addf(b, "COMMENT ON %s %s IS %s;\n", kind, name, comment);
	if (owner && !x->o->no_owner)
		ps_buf_addf(b, "ALTER %s %s OWNER TO %s;\n",
			    strcmp(kind, "COLUMN") ? kind : "TABLE", name, owner);
	if (acl && !x->o->no_privileges) {
		const char *gkind = strcmp(kind, "VIEW") == 0 ||
			strcmp(kind, "MATERIALIZED VIEW") == 0 ? "TABLE" :
			strcmp(kind, "AGGREGATE") == 0 ? "FUNCTION" : kind;

		ps_buf_addf(b, "REVOKE ALL ON %s %s FROM PUBLIC;\n", gkind, name);
		if (owner)
			ps_buf_addf(b, "REVOKE ALL ON %s %s FROM %s;\n", gkind, name,
				    owner);
		for (p = acl; *p; p = nl ? nl + 1 : p + strlen(p)) {
			const char *sp = strchr(p, ' ');
			nl = strchr(p, '\n');
			if (!sp || (nl && sp > nl))
				continue;
			ps_buf_addf(b, "GRANT %.*s ON %s %s TO %.*s;\n", (int)(sp - p), p,
				    gkind, name,
				    (int)((nl ? nl : p + strlen(p)) - sp - 1), sp + 1);
		}
	}
}

static int
check_unsupported(struct dctx *x, struct ps_error *err)
{
	struct ps_buf q = { 0 }, names = { 0 };
	PGresult *r;
	int i, n;

	ps_buf_adds(&q,
		"SELECT pg_describe_object(u.classid, u.objid, 0) FROM ("
		" SELECT 2617::oid AS classid, oid AS objid FROM pg_operator WHERE oid >= 16384"
		" UNION ALL SELECT 2616, oid FROM pg_opclass WHERE oid >= 16384"
		" UNION ALL SELECT 2753, oid FROM pg_opfamily WHERE oid >= 16384"
		" UNION ALL SELECT 2605, oid FROM pg_cast WHERE oid >= 16384"
		" UNION ALL SELECT 2607, oid FROM pg_conversion WHERE oid >= 16384"
		" UNION ALL SELECT 3602, oid FROM pg_ts_config WHERE oid >= 16384"
		" UNION ALL SELECT 3600, oid FROM pg_ts_dict WHERE oid >= 16384"
		" UNION ALL SELECT 3601, oid FROM pg_ts_parser WHERE oid >= 16384"
		" UNION ALL SELECT 3764, oid FROM pg_ts_template WHERE oid >= 16384"
		" UNION ALL SELECT 2328, oid FROM pg_foreign_data_wrapper WHERE oid >= 16384"
		" UNION ALL SELECT 1417, oid FROM pg_foreign_server WHERE oid >= 16384"
		" UNION ALL SELECT 3466, oid FROM pg_event_trigger"
		" UNION ALL SELECT 6104, oid FROM pg_publication"
		" UNION ALL SELECT 2612, oid FROM pg_language WHERE oid >= 16384"
		" UNION ALL SELECT 3576, oid FROM pg_transform"
		" UNION ALL SELECT 3381, oid FROM pg_statistic_ext"
		" UNION ALL SELECT 2618, oid FROM pg_rewrite WHERE oid >= 16384 AND rulename <> '_RETURN'"
		" UNION ALL SELECT 2613, oid FROM pg_largeobject_metadata"
		" UNION ALL SELECT 826, oid FROM pg_default_acl"
		" UNION ALL SELECT 1259, c.oid FROM pg_class c WHERE c.oid >= 16384 AND"
		"  (c.relkind = 'f' OR c.reltablespace <> 0 OR c.reloftype <> 0 OR"
		"   (c.relkind IN ('r','m') AND c.relam <> (SELECT oid FROM pg_am WHERE amname = 'heap')))"
		" UNION ALL SELECT 1259, i.inhrelid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
		"  WHERE c.relkind IN ('r','p','f') AND NOT c.relispartition"
		" UNION ALL SELECT 1247, t.oid FROM pg_type t WHERE t.oid >= 16384 AND"
		"  t.typtype IN ('b','p') AND NOT (t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc)"
		" UNION ALL SELECT 1247, rngtypid FROM pg_range WHERE rngtypid >= 16384 AND rngcanonical <> 0"
		" UNION ALL SELECT 1255, aggfnoid FROM pg_aggregate WHERE aggfnoid >= 16384 AND (aggkind <> 'n' OR aggmtransfn <> 0)"
		" UNION ALL SELECT 3079, oid FROM pg_extension WHERE extconfig IS NOT NULL");
	ps_buf_adds(&q, ") u WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = u.classid"
		    " AND d.objid = u.objid AND d.deptype IN ('e','i')) ORDER BY 1");
	r = query(x->c, ps_buf_str(&q), err, "cannot list unsupported objects");
	ps_buf_free(&q);
	if (!r)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && i < 20; i++)
		ps_buf_addf(&names, "%s%s", i ? ", " : "", PQgetvalue(r, i, 0));
	PQclear(r);
	if (n > 0) {
		ps_error_set(err, PS_EXIT_USAGE,
			     "the database has %d object%s the dump does not support: %s%s",
			     n, n == 1 ? "" : "s", ps_buf_str(&names), n > 20 ? ", ..." : "");
		ps_buf_free(&names);
		return -1;
	}
	ps_buf_free(&names);
	return 0;
}

static int
load_schemas(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT n.oid, quote_ident(n.nspname), quote_ident(pg_get_userbyid(n.nspowner)),"
		" quote_literal(obj_description(n.oid, 'pg_namespace')), " ACL_SQL("n.nspacl")
		" FROM pg_namespace n WHERE " USER_NS("n") " AND "
		NOT_EXT(2615, "n.oid") " ORDER BY n.nspname", err, "cannot read schemas");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_buf b = { 0 };
		const char *name = PQgetvalue(r, i, 1);

		/* public exists in every database: only its owner, comment, grants */
		if (strcmp(name, "public") != 0)
			ps_buf_addf(&b, "CREATE SCHEMA %s;\n", name);
		add_extras(x, &b, "SCHEMA", name, val(r, i, 3), val(r, i, 2), val(r, i, 4));
		add_obj(x, CL_NAMESPACE, oidval(r, i, 0), PR_SCHEMA,
			ps_xasprintf("SCHEMA %s", name), ps_buf_detach(&b));
	}
	PQclear(r);
	return 0;
}

static int
load_extensions(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT e.oid, quote_ident(e.extname), quote_ident(n.nspname)"
		" FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
		" WHERE e.extname <> 'plpgsql' ORDER BY e.extname", err,
		"cannot read extensions");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		add_obj(x, CL_EXTENSION, oidval(r, i, 0), PR_EXTENSION,
			ps_xasprintf("EXTENSION %s", PQgetvalue(r, i, 1)),
			ps_xasprintf("CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;\n",
				     PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)));
	PQclear(r);
	return 0;
}

static int
load_collations(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT co.oid, format('%I.%I', n.nspname, co.collname), co.collprovider,"
		" co.collisdeterministic, quote_literal(co.collcollate), quote_literal(co.collctype),"
		" quote_literal(co.colliculocale), quote_ident(pg_get_userbyid(co.collowner)),"
		" quote_literal(obj_description(co.oid, 'pg_collation'))"
		" FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace"
		" WHERE " USER_NS("n") " AND " NOT_EXT(3456, "co.oid") " ORDER BY 2",
		err, "cannot read collations");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_buf b = { 0 };
		const char *name = PQgetvalue(r, i, 1), *prov = PQgetvalue(r, i, 2);
		const char *coll = val(r, i, 4), *ctype = val(r, i, 5);

		ps_buf_addf(&b, "CREATE COLLATION %s (provider = %s", name,
			    prov[0] == 'i' ? "icu" : "libc");
		if (prov[0] == 'i')
			ps_buf_addf(&b, ", locale = %s", val(r, i, 6) ? val(r, i, 6) : "''");
		else if (coll && ctype && strcmp(coll, ctype) == 0)
			ps_buf_addf(&b, ", locale = %s", coll);
		else
			ps_buf_addf(&b, ", lc_collate = %s, lc_ctype = %s",
				    coll ? coll : "''", ctype ? ctype : "''");
		if (!is_true(r, i, 3))
			ps_buf_adds(&b, ", deterministic = false");
		ps_buf_adds(&b, ");\n");
		add_extras(x, &b, "COLLATION", name, val(r, i, 8), val(r, i, 7), NULL);
		add_obj(x, CL_COLLATION, oidval(r, i, 0), PR_COLLATION,
			ps_xasprintf("COLLATION %s", name), ps_buf_detach(&b));
	}
	PQclear(r);
	return 0;
}

static int
rel_cmp(const void *a, const void *b)
{
	unsigned x = ((const struct rel *)a)->oid, y = ((const struct rel *)b)->oid;

	return x < y ? -1 : x > y;
}

static struct rel *
find_rel(struct dctx *x, unsigned oid)
{
	struct rel key = { 0 };

	key.oid = oid;
	return bsearch(&key, x->rels, x->nrels, sizeof(*x->rels), rel_cmp);
}

/* Relations (tables, views, composite types) with their columns and checks. */
static int
load_columns(struct dctx *x, struct ps_error *err)
{
	PGresult *r;
	int i;

	r = query(x->c,
		"SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname)"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r','p','v','m','c') AND " USER_NS("n")
		" AND " NOT_EXT(1259, "c.oid") " ORDER BY c.oid", err,
		"cannot read relations");
	if (!r)
		return -1;
	x->nrels = (size_t)PQntuples(r);
	x->rels = ps_xcalloc(x->nrels + 1, sizeof(*x->rels));
	for (i = 0; i < PQntuples(r); i++) {
		x->rels[i].oid = oidval(r, i, 0);
		x->rels[i].kind = PQgetvalue(r, i, 1)[0];
		x->rels[i].qname = ps_xstrdup(PQgetvalue(r, i, 2));
	}
	PQclear(r);

	r = query(x->c,
		"SELECT a.attrelid, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),"
		" a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid),"
		" CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN"
		"  (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co"
		"   JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,"
		" quote_literal(col_description(a.attrelid, a.attnum)),"
		" CASE WHEN a.attidentity <> '' THEN (SELECT format('SEQUENCE NAME %I.%I START WITH %s"
		"  INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s%s', sn.nspname, sc.relname,"
		"  s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,"
		"  CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END)"
		"  FROM pg_depend dd JOIN pg_class sc ON sc.oid = dd.objid"
		"  JOIN pg_namespace sn ON sn.oid = sc.relnamespace JOIN pg_sequence s ON s.seqrelid = sc.oid"
		"  WHERE dd.classid = 1259 AND dd.refclassid = 1259 AND dd.refobjid = a.attrelid"
		"  AND dd.refobjsubid = a.attnum AND dd.deptype = 'i' AND sc.relkind = 'S' LIMIT 1) END,"
		" a.attstattarget, CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END,"
		" array_to_string(a.attoptions, ', '), a.attcompression, " ACL_SQL("a.attacl")
		" FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
		" JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid"
		" LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
		" WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','c')"
		" AND " USER_NS("n") " ORDER BY a.attrelid, a.attnum", err, "cannot read columns");
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct rel *rl = find_rel(x, oidval(r, i, 0));
		const char *name = PQgetvalue(r, i, 1), *ident = PQgetvalue(r, i, 4);
		const char *gen = PQgetvalue(r, i, 5), *def = val(r, i, 6);
		const char *coll = val(r, i, 7), *comment = val(r, i, 8);
		const char *stor = val(r, i, 11), *opts = val(r, i, 12);
		const char *compr = PQgetvalue(r, i, 13);
		long stat = strtol(PQgetvalue(r, i, 10), NULL, 10);
		char *colname;

		if (!rl)
			continue;
		ps_buf_addf(&rl->cols, "%s\n    %s %s", rl->ncols ? "," : "", name,
			    PQgetvalue(r, i, 2));
		rl->ncols++;
		if (coll)
			ps_buf_addf(&rl->cols, " COLLATE %s", coll);
		if (rl->kind == 'r' || rl->kind == 'p') {
			if (gen[0] == 's' && def)
				ps_buf_addf(&rl->cols, " GENERATED ALWAYS AS (%s) STORED", def);
			else if (def)
				ps_buf_addf(&rl->cols, " DEFAULT %s", def);
			if (ident[0] && val(r, i, 9))
				ps_buf_addf(&rl->cols, " GENERATED %s AS IDENTITY (%s)",
					    ident[0] == 'a' ? "ALWAYS" : "BY DEFAULT",
					    PQgetvalue(r, i, 9));
			if (is_true(r, i, 3))
				ps_buf_adds(&rl->cols, " NOT NULL");
			if (gen[0] != 's')
				ps_buf_addf(&rl->copycols, "%s%s",
					    rl->copycols.len ? ", " : "", name);
		}
		colname = ps_xasprintf("%s.%s", rl->qname, name);
		if (comment)
			ps_buf_addf(&rl->after, "COMMENT ON COLUMN %s IS %s;\n", colname, comment);
		if (rl->kind != 'c' && rl->kind != 'v') {
			if (stat >= 0)
				ps_buf_addf(&rl->after, "ALTER TABLE ONLY %s ALTER COLUMN %s SET STATISTICS %ld;\n",
					    rl->qname, name, stat);
			if (stor)
				ps_buf_addf(&rl->after, "ALTER TABLE ONLY %s ALTER COLUMN %s SET STORAGE %s;\n",
					    rl->qname, name, stor[0] == 'p' ? "PLAIN" :
					    stor[0] == 'e' ? "EXTERNAL" : stor[0] == 'm' ?
					    "MAIN" : "EXTENDED");
			if (opts && *opts)
				ps_buf_addf(&rl->after, "ALTER TABLE ONLY %s ALTER COLUMN %s SET (%s);\n",
					    rl->qname, name, opts);
			if (compr[0] == 'p' || compr[0] == 'l')
				ps_buf_addf(&rl->after, "ALTER TABLE ONLY %s ALTER COLUMN %s SET COMPRESSION %s;\n",
					    rl->qname, name, compr[0] == 'p' ? "pglz" : "lz4");
		}
		if (val(r, i, 14) && !x->o->no_privileges) {
			const char *p = PQgetvalue(r, i, 14), *nl, *sp;

			for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
				sp = strchr(p, ' ');
				nl = strchr(p, '\n');
				if (!sp || (nl && sp > nl))
					continue;
				ps_buf_addf(&rl->after, "GRANT %.*s (%s) ON TABLE %s TO %.*s;\n",
					    (int)(sp - p), p, name, rl->qname,
					    (int)((nl ? nl : p + strlen(p)) - sp - 1), sp + 1);
			}
		}
		free(colname);
	}
	PQclear(r);
	return 0;
}

/* Constraints: table and domain CHECKs for CREATE, the rest post-data. */
static int
load_constraints(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT co.oid, quote_ident(co.conname), co.contype, co.conrelid, co.contypid,"
		" pg_get_constraintdef(co.oid), co.convalidated, co.conparentid <> 0,"
		" CASE WHEN co.conrelid <> 0 THEN format('%I.%I', n.nspname, c.relname)"
		"  ELSE format('%I.%I', tn.nspname, t.typname) END, c.relkind,"
		" quote_literal(obj_description(co.oid, 'pg_constraint'))"
		" FROM pg_constraint co LEFT JOIN pg_class c ON c.oid = co.conrelid"
		" LEFT JOIN pg_namespace n ON n.oid = c.relnamespace"
		" LEFT JOIN pg_type t ON t.oid = co.contypid LEFT JOIN pg_namespace tn ON tn.oid = t.typnamespace"
		" WHERE co.contype <> 't' AND ((co.conrelid <> 0 AND " USER_NS("n") " AND " NOT_EXT(1259, "c.oid") ")"
		"  OR (co.contypid <> 0 AND " USER_NS("tn") " AND " NOT_EXT(1247, "t.oid") "))"
		" ORDER BY co.conrelid, co.contypid, co.conname", err, "cannot read constraints");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 1), *type = PQgetvalue(r, i, 2);
		const char *def = PQgetvalue(r, i, 5), *on = PQgetvalue(r, i, 8);
		const char *comment = val(r, i, 10), *relkind = PQgetvalue(r, i, 9);
		int valid = is_true(r, i, 6), has_parent = is_true(r, i, 7);
		unsigned relid = oidval(r, i, 3);
		struct ps_buf b = { 0 };
		struct ps_pgdump_entry *e;
		struct rel *rl;

		if (relid == 0) {
			/* domain constraints: kept with the type (see load_types) */
			continue;
		}
		rl = find_rel(x, relid);
		if (!rl)
			continue;
		if (type[0] == 'c' && valid) {
			ps_buf_addf(&rl->checks, ",\n    CONSTRAINT %s %s", name, def);
			if (comment)
				ps_buf_addf(&rl->after, "COMMENT ON CONSTRAINT %s ON %s IS %s;\n",
					    name, on, comment);
			continue;
		}
		if (type[0] == 'f' && has_parent)
			continue;	/* cloned from the partitioned parent's key */
		ps_buf_addf(&b, "ALTER TABLE %s%s ADD CONSTRAINT %s %s;\n",
			    type[0] == 'f' && relkind[0] == 'p' ? "" : "ONLY ", on, name, def);
		if (comment)
			ps_buf_addf(&b, "COMMENT ON CONSTRAINT %s ON %s IS %s;\n", name, on, comment);
		e = add_post(x, type[0] == 'c' ? P_CHECK : type[0] == 'f' ? P_FK : P_INDEX,
			     ps_xasprintf("CONSTRAINT %s ON %s", name, on), ps_buf_detach(&b));
		if (type[0] != 'c' && type[0] != 'f')
			e->table = ps_xstrdup(on);
	}
	PQclear(r);
	return 0;
}

static int
load_types(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT t.oid, format('%I.%I', n.nspname, t.typname), t.typtype,"
		" quote_ident(pg_get_userbyid(t.typowner)), quote_literal(obj_description(t.oid, 'pg_type')),"
		" " ACL_SQL("t.typacl") ", t.typrelid,"
		" format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,"
		" CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN"
		"  (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co"
		"   JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END,"
		" (SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder)"
		"  FROM pg_enum WHERE enumtypid = t.oid),"
		" format_type(rg.rngsubtype, NULL),"
		" (SELECT format('%I.%I', on_.nspname, oc.opcname) FROM pg_opclass oc"
		"  JOIN pg_namespace on_ ON on_.oid = oc.opcnamespace WHERE oc.oid = rg.rngsubopc AND NOT oc.opcdefault),"
		" CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation THEN"
		"  (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co"
		"   JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = rg.rngcollation) END,"
		" CASE WHEN rg.rngsubdiff <> 0 THEN rg.rngsubdiff::regproc::text END,"
		" (SELECT format('%I.%I', mn.nspname, mt.typname) FROM pg_type mt"
		"  JOIN pg_namespace mn ON mn.oid = mt.typnamespace WHERE mt.oid = rg.rngmultitypid),"
		" (SELECT string_agg(format(E'\\n    CONSTRAINT %I %s', co.conname, pg_get_constraintdef(co.oid)), ''"
		"  ORDER BY co.conname) FROM pg_constraint co WHERE co.contypid = t.oid AND co.convalidated),"
		" (SELECT string_agg(format(E'ALTER DOMAIN %I.%I ADD CONSTRAINT %I %s;\\n', n.nspname, t.typname,"
		"  co.conname, pg_get_constraintdef(co.oid)), '' ORDER BY co.conname)"
		"  FROM pg_constraint co WHERE co.contypid = t.oid AND NOT co.convalidated),"
		" (SELECT string_agg(format(E'COMMENT ON CONSTRAINT %I ON DOMAIN %I.%I IS %L;\\n', co.conname,"
		"  n.nspname, t.typname, obj_description(co.oid, 'pg_constraint')), '' ORDER BY co.conname)"
		"  FROM pg_constraint co WHERE co.contypid = t.oid AND obj_description(co.oid, 'pg_constraint') IS NOT NULL)"
		" FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
		" LEFT JOIN pg_type bt ON bt.oid = t.typbasetype"
		" LEFT JOIN pg_range rg ON rg.rngtypid = t.oid LEFT JOIN pg_type st ON st.oid = rg.rngsubtype"
		" LEFT JOIN pg_class tc ON tc.oid = t.typrelid"
		" WHERE t.typtype IN ('e','d','r','c') AND (t.typtype <> 'c' OR tc.relkind = 'c')"
		" AND " USER_NS("n") " AND " NOT_EXT(1247, "t.oid") " ORDER BY 2",
		err, "cannot read types");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_buf b = { 0 };
		const char *name = PQgetvalue(r, i, 1), *tt = PQgetvalue(r, i, 2);
		const char *kind = tt[0] == 'd' ? "DOMAIN" : "TYPE";
		struct rel *rl;

		switch (tt[0]) {
		case 'e':
			ps_buf_addf(&b, "CREATE TYPE %s AS ENUM (%s);\n", name,
				    val(r, i, 11) ? val(r, i, 11) : "");
			break;
		case 'd':
			ps_buf_addf(&b, "CREATE DOMAIN %s AS %s", name, PQgetvalue(r, i, 7));
			if (val(r, i, 10))
				ps_buf_addf(&b, " COLLATE %s", val(r, i, 10));
			if (val(r, i, 9))
				ps_buf_addf(&b, " DEFAULT %s", val(r, i, 9));
			if (is_true(r, i, 8))
				ps_buf_adds(&b, " NOT NULL");
			if (val(r, i, 17))
				ps_buf_adds(&b, val(r, i, 17));
			ps_buf_adds(&b, ";\n");
			if (val(r, i, 19))
				ps_buf_adds(&b, val(r, i, 19));
			if (val(r, i, 18))
				add_post(x, P_CHECK, ps_xasprintf("DOMAIN %s constraints", name),
					 ps_xstrdup(val(r, i, 18)));
			break;
		case 'r':
			ps_buf_addf(&b, "CREATE TYPE %s AS RANGE (\n    subtype = %s", name,
				    PQgetvalue(r, i, 12));
			if (val(r, i, 13))
				ps_buf_addf(&b, ",\n    subtype_opclass = %s", val(r, i, 13));
			if (val(r, i, 14))
				ps_buf_addf(&b, ",\n    collation = %s", val(r, i, 14));
			if (val(r, i, 15))
				ps_buf_addf(&b, ",\n    subtype_diff = %s", val(r, i, 15));
			if (val(r, i, 16))
				ps_buf_addf(&b, ",\n    multirange_type_name = %s", val(r, i, 16));
			ps_buf_adds(&b, "\n);\n");
			break;
		case 'c':
			rl = find_rel(x, oidval(r, i, 6));
			ps_buf_addf(&b, "CREATE TYPE %s AS (%s\n);\n", name,
				    rl ? ps_buf_str(&rl->cols) : "");
			if (rl)
				ps_buf_adds(&b, ps_buf_str(&rl->after));
			break;
		}
		add_extras(x, &b, kind, name, val(r, i, 4), val(r, i, 3), val(r, i, 5));
		add_obj(x, CL_TYPE, oidval(r, i, 0), PR_TYPE,
			ps_xasprintf("%s %s", kind, name), ps_buf_detach(&b));
	}
	PQclear(r);
	return 0;
}

static int
load_functions(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT p.oid, p.prokind, CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END,"
		" format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),"
		" quote_ident(pg_get_userbyid(p.proowner)), quote_literal(obj_description(p.oid, 'pg_proc')),"
		" " ACL_SQL("p.proacl") ","
		" format('%I.%I', n.nspname, p.proname), pg_get_function_arguments(p.oid),"
		" a.aggtransfn::regproc::text, format_type(a.aggtranstype, NULL), a.aggtransspace,"
		" CASE WHEN a.aggfinalfn <> 0 THEN a.aggfinalfn::regproc::text END, a.aggfinalextra,"
		" a.aggfinalmodify, CASE WHEN a.aggcombinefn <> 0 THEN a.aggcombinefn::regproc::text END,"
		" CASE WHEN a.aggserialfn <> 0 THEN a.aggserialfn::regproc::text END,"
		" CASE WHEN a.aggdeserialfn <> 0 THEN a.aggdeserialfn::regproc::text END,"
		" quote_literal(a.agginitval), CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoperator::text END,"
		" p.proparallel"
		" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
		" LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid"
		" WHERE " USER_NS("n") " AND " NOT_EXT(1255, "p.oid")
		" AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 1255"
		"  AND i.objid = p.oid AND i.deptype = 'i') ORDER BY 4",
		err, "cannot read functions");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_buf b = { 0 };
		const char *k = PQgetvalue(r, i, 1), *sig = PQgetvalue(r, i, 3);
		const char *kind = k[0] == 'p' ? "PROCEDURE" : k[0] == 'a' ? "AGGREGATE" : "FUNCTION";

		if (k[0] == 'a') {
			ps_buf_addf(&b, "CREATE AGGREGATE %s(%s) (\n    SFUNC = %s,\n    STYPE = %s",
				    PQgetvalue(r, i, 7), PQgetvalue(r, i, 8),
				    PQgetvalue(r, i, 9), PQgetvalue(r, i, 10));
			if (strcmp(PQgetvalue(r, i, 11), "0") != 0)
				ps_buf_addf(&b, ",\n    SSPACE = %s", PQgetvalue(r, i, 11));
			if (val(r, i, 12)) {
				ps_buf_addf(&b, ",\n    FINALFUNC = %s", val(r, i, 12));
				if (is_true(r, i, 13))
					ps_buf_adds(&b, ",\n    FINALFUNC_EXTRA");
				if (PQgetvalue(r, i, 14)[0] != 'r')
					ps_buf_addf(&b, ",\n    FINALFUNC_MODIFY = %s",
						    PQgetvalue(r, i, 14)[0] == 's' ?
						    "SHAREABLE" : "READ_WRITE");
			}
			if (val(r, i, 15))
				ps_buf_addf(&b, ",\n    COMBINEFUNC = %s", val(r, i, 15));
			if (val(r, i, 16))
				ps_buf_addf(&b, ",\n    SERIALFUNC = %s", val(r, i, 16));
			if (val(r, i, 17))
				ps_buf_addf(&b, ",\n    DESERIALFUNC = %s", val(r, i, 17));
			if (val(r, i, 18))
				ps_buf_addf(&b, ",\n    INITCOND = %s", val(r, i, 18));
			if (val(r, i, 19)) {
				/* "OPERATOR(>)"-style name from regoperator "pg_catalog.>(..)" */
				const char *op = val(r, i, 19), *paren = strchr(op, '(');
				ps_buf_addf(&b, ",\n    SORTOP = OPERATOR(%.*s)",
					    (int)(paren ? paren - op : (long)strlen(op)), op);
			}
			if (PQgetvalue(r, i, 20)[0] != 'u')
				ps_buf_addf(&b, ",\n    PARALLEL = %s",
					    PQgetvalue(r, i, 20)[0] == 's' ? "safe" : "restricted");
			ps_buf_adds(&b, "\n);\n");
		} else {
			ps_buf_adds(&b, PQgetvalue(r, i, 2));
			while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
				b.data[--b.len] = 0;
			ps_buf_adds(&b, ";\n");
		}
		add_extras(x, &b, kind, sig, val(r, i, 5), val(r, i, 4), val(r, i, 6));
		add_obj(x, CL_PROC, oidval(r, i, 0), k[0] == 'a' ? PR_AGGREGATE : PR_FUNCTION,
			ps_xasprintf("%s %s", kind, sig), ps_buf_detach(&b));
	}
	PQclear(r);
	return 0;
}

static int
load_sequences(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT c.oid, format('%I.%I', n.nspname, c.relname), format_type(s.seqtypid, NULL),"
		" s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,"
		" (SELECT format('%I.%I.%I', tn.nspname, t.relname, a.attname) FROM pg_depend d"
		"  JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace"
		"  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
		"  WHERE d.classid = 1259 AND d.objid = c.oid AND d.refclassid = 1259 AND d.deptype = 'a' LIMIT 1),"
		" EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 1259 AND d.objid = c.oid"
		"  AND d.refclassid = 1259 AND d.deptype = 'i'),"
		" quote_ident(pg_get_userbyid(c.relowner)), quote_literal(obj_description(c.oid, 'pg_class')),"
		" " ACL_SQL("c.relacl") ", c.relpersistence"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" JOIN pg_sequence s ON s.seqrelid = c.oid"
		" WHERE c.relkind = 'S' AND " USER_NS("n") " AND " NOT_EXT(1259, "c.oid") " ORDER BY 2",
		err, "cannot read sequences");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 1);
		struct ps_buf b = { 0 }, q = { 0 }, s = { 0 };
		PGresult *v;

		ps_buf_addf(&q, "SELECT last_value, is_called FROM %s", name);
		v = query(x->c, ps_buf_str(&q), err, "cannot read a sequence");
		ps_buf_free(&q);
		if (!v) {
			PQclear(r);
			return -1;
		}
		if (!is_true(r, i, 10)) {
			ps_buf_addf(&b, "CREATE %sSEQUENCE %s\n    AS %s\n    START WITH %s\n"
				    "    INCREMENT BY %s\n    MINVALUE %s\n    MAXVALUE %s\n"
				    "    CACHE %s%s;\n",
				    PQgetvalue(r, i, 14)[0] == 'u' ? "UNLOGGED " : "",
				    name, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
				    PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
				    PQgetvalue(r, i, 7), is_true(r, i, 8) ? "\n    CYCLE" : "");
			add_extras(x, &b, "SEQUENCE", name, val(r, i, 12), val(r, i, 11),
				   val(r, i, 13));
			add_obj(x, CL_CLASS, oidval(r, i, 0), PR_SEQUENCE,
				ps_xasprintf("SEQUENCE %s", name), ps_buf_detach(&b))->is_seq = 1;
			if (val(r, i, 9))
				ps_buf_addf(&s, "ALTER SEQUENCE %s OWNED BY %s;\n", name, val(r, i, 9));
		} else {
			/* identity sequence: created with its column; extras here */
			add_extras(x, &s, "SEQUENCE", name, val(r, i, 12), NULL, val(r, i, 13));
		}
		ps_buf_adds(&s, "SELECT pg_catalog.setval(");
		add_literal(&s, name);
		ps_buf_addf(&s, ", %s, %s);\n", PQgetvalue(v, 0, 0),
			    is_true(v, 0, 1) ? "true" : "false");
		PQclear(v);
		add_post(x, P_SEQ, ps_xasprintf("SEQUENCE SET %s", name), ps_buf_detach(&s));
	}
	PQclear(r);
	return 0;
}

static int
table_cmp(const void *a, const void *b)
{
	const struct ps_pgdump_table *x = a, *y = b;

	if (x->est_bytes != y->est_bytes)
		return x->est_bytes > y->est_bytes ? -1 : 1;
	return strcmp(x->qname, y->qname);
}

/*
 * The tables whose rows the dump copies, largest first, with the column
 * list of their COPY (no generated columns): known right after the locks,
 * so that the copying starts before the rest of the schema is read.
 */
static int
load_data_tables(struct dctx *x, struct ps_error *err)
{
	struct ps_pgdump *d = x->d;
	PGresult *r = query(x->c,
		"SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname),"
		" coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)"
		"  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0"
		"  AND NOT a.attisdropped AND a.attgenerated <> 's'), ''),"
		" pg_relation_size(c.oid)"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind = 'r' AND " USER_NS("n") " AND " NOT_EXT(1259, "c.oid"),
		err, "cannot read tables");
	int i;

	if (!r)
		return -1;
	d->ntables = d->tables_cap = (size_t)PQntuples(r);
	d->tables = ps_xcalloc(d->ntables + 1, sizeof(*d->tables));
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_pgdump_table *t = &d->tables[i];

		t->schema = ps_xstrdup(PQgetvalue(r, i, 0));
		t->name = ps_xstrdup(PQgetvalue(r, i, 1));
		t->qname = ps_xstrdup(PQgetvalue(r, i, 2));
		t->columns = ps_xstrdup(PQgetvalue(r, i, 3));
		t->est_bytes = strtoull(PQgetvalue(r, i, 4), NULL, 10);
	}
	PQclear(r);
	if (d->ntables)
		qsort(d->tables, d->ntables, sizeof(*d->tables), table_cmp);
	return 0;
}

/* Tables, partitions, views and materialized views. */
static int
load_relations(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname), c.relkind,"
		" c.relpersistence, c.relispartition, CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,"
		" pg_get_expr(c.relpartbound, c.oid), array_to_string(c.reloptions, ', '),"
		" quote_ident(pg_get_userbyid(c.relowner)), quote_literal(obj_description(c.oid, 'pg_class')),"
		" c.relrowsecurity, c.relforcerowsecurity,"
		" (SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_inherits i"
		"  JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace"
		"  WHERE i.inhrelid = c.oid LIMIT 1),"
		" c.relispopulated,"
		" CASE WHEN c.relkind IN ('v','m') THEN pg_get_viewdef(c.oid) END, c.relreplident,"
		" " ACL_SQL("c.relacl")
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r','p','v','m') AND " USER_NS("n") " AND " NOT_EXT(1259, "c.oid")
		" ORDER BY 4", err, "cannot read tables");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		unsigned oid = oidval(r, i, 0);
		const char *qname = PQgetvalue(r, i, 3), *kind = PQgetvalue(r, i, 4);
		const char *opts = val(r, i, 9), *owner = val(r, i, 10);
		const char *comment = val(r, i, 11), *acl = val(r, i, 18);
		struct rel *rl = find_rel(x, oid);
		struct ps_buf b = { 0 };
		struct obj *ob;

		if (!rl)
			continue;
		if (kind[0] == 'v' || kind[0] == 'm') {
			struct ps_buf def = { 0 };

			ps_buf_adds(&def, PQgetvalue(r, i, 16));
			while (def.len && (def.data[def.len - 1] == ';' ||
					   def.data[def.len - 1] == '\n' || def.data[def.len - 1] == ' '))
				def.data[--def.len] = 0;
			ps_buf_addf(&b, "CREATE %sVIEW %s", kind[0] == 'm' ? "MATERIALIZED " : "", qname);
			if (opts && *opts)
				ps_buf_addf(&b, " WITH (%s)", opts);
			ps_buf_addf(&b, " AS\n%s%s;\n", ps_buf_str(&def),
				    kind[0] == 'm' ? "\n  WITH NO DATA" : "");
			ps_buf_free(&def);
			add_extras(x, &b, kind[0] == 'm' ? "MATERIALIZED VIEW" : "VIEW", qname,
				   comment, owner, acl);
			ps_buf_adds(&b, ps_buf_str(&rl->after));
			ob = add_obj(x, CL_CLASS, oid, kind[0] == 'm' ? PR_MATVIEW : PR_VIEW,
				     ps_xasprintf("%s %s", kind[0] == 'm' ? "MATERIALIZED VIEW" : "VIEW",
						  qname), ps_buf_detach(&b));
			ob->refresh = kind[0] == 'm' && is_true(r, i, 15);
			ob->qname = ps_xstrdup(qname);
			continue;
		}
		ps_buf_addf(&b, "CREATE %sTABLE %s (%s%s\n)",
			    PQgetvalue(r, i, 5)[0] == 'u' ? "UNLOGGED " : "", qname,
			    ps_buf_str(&rl->cols), rl->ncols ? ps_buf_str(&rl->checks) :
			    rl->checks.len ? ps_buf_str(&rl->checks) + 1 : "");
		if (val(r, i, 7))
			ps_buf_addf(&b, "\nPARTITION BY %s", val(r, i, 7));
		if (opts && *opts)
			ps_buf_addf(&b, "\nWITH (%s)", opts);
		ps_buf_adds(&b, ";\n");
		add_extras(x, &b, "TABLE", qname, comment, owner, acl);
		ps_buf_adds(&b, ps_buf_str(&rl->after));
		add_obj(x, CL_CLASS, oid, PR_TABLE, ps_xasprintf("TABLE %s", qname),
			ps_buf_detach(&b));
		if (is_true(r, i, 6) && val(r, i, 14))
			ps_buf_addf(&x->attach, "ALTER TABLE ONLY %s ATTACH PARTITION %s %s;\n",
				    val(r, i, 14), qname, PQgetvalue(r, i, 8));
		if (is_true(r, i, 12) || is_true(r, i, 13)) {
			struct ps_buf s = { 0 };
			if (is_true(r, i, 12))
				ps_buf_addf(&s, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", qname);
			if (is_true(r, i, 13))
				ps_buf_addf(&s, "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", qname);
			add_post(x, P_POLICY, ps_xasprintf("ROW SECURITY %s", qname), ps_buf_detach(&s));
		}
		switch (PQgetvalue(r, i, 17)[0]) {
		case 'f':
			add_post(x, P_TABLEOPT, ps_xasprintf("REPLICA IDENTITY %s", qname),
				 ps_xasprintf("ALTER TABLE ONLY %s REPLICA IDENTITY FULL;\n", qname));
			break;
		case 'n':
			add_post(x, P_TABLEOPT, ps_xasprintf("REPLICA IDENTITY %s", qname),
				 ps_xasprintf("ALTER TABLE ONLY %s REPLICA IDENTITY NOTHING;\n", qname));
			break;
		}
	}
	PQclear(r);
	return 0;
}

static int
load_indexes(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT pg_get_indexdef(i.indexrelid), format('%I.%I', n.nspname, ic.relname),"
		" format('%I.%I', n.nspname, t.relname),"
		" quote_literal(obj_description(i.indexrelid, 'pg_class')), i.indisclustered,"
		" EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid"
		"  AND co.conrelid = i.indrelid AND co.contype IN ('p','u','x')),"
		" (SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_inherits h"
		"  JOIN pg_class p ON p.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace"
		"  WHERE h.inhrelid = i.indexrelid LIMIT 1), i.indisreplident, quote_ident(ic.relname)"
		" FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
		" JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
		" WHERE t.relkind IN ('r','p','m') AND " USER_NS("n") " AND " NOT_EXT(1259, "t.oid")
		" ORDER BY 2", err, "cannot read indexes");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		const char *iname = PQgetvalue(r, i, 1), *tname = PQgetvalue(r, i, 2);

		if (!is_true(r, i, 5)) {
			struct ps_buf b = { 0 };
			ps_buf_addf(&b, "%s;\n", PQgetvalue(r, i, 0));
			if (val(r, i, 3))
				ps_buf_addf(&b, "COMMENT ON INDEX %s IS %s;\n", iname, val(r, i, 3));
			add_post(x, P_INDEX, ps_xasprintf("INDEX %s", iname),
				 ps_buf_detach(&b))->table = ps_xstrdup(tname);
		}
		if (val(r, i, 6))
			add_post(x, P_ATTACH, ps_xasprintf("INDEX ATTACH %s", iname),
				 ps_xasprintf("ALTER INDEX %s ATTACH PARTITION %s;\n",
					      val(r, i, 6), iname));
		if (is_true(r, i, 4))
			add_post(x, P_TABLEOPT, ps_xasprintf("CLUSTER %s", iname),
				 ps_xasprintf("ALTER TABLE %s CLUSTER ON %s;\n", tname,
					      PQgetvalue(r, i, 8)));
		if (is_true(r, i, 7))
			add_post(x, P_TABLEOPT, ps_xasprintf("REPLICA IDENTITY %s", tname),
				 ps_xasprintf("ALTER TABLE ONLY %s REPLICA IDENTITY USING INDEX %s;\n",
					      tname, PQgetvalue(r, i, 8)));
	}
	PQclear(r);
	return 0;
}

static int
load_triggers_policies(struct dctx *x, struct ps_error *err)
{
	PGresult *r = query(x->c,
		"SELECT pg_get_triggerdef(tg.oid), tg.tgenabled, quote_ident(tg.tgname),"
		" format('%I.%I', n.nspname, c.relname), quote_literal(obj_description(tg.oid, 'pg_trigger'))"
		" FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid"
		" JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND " USER_NS("n")
		" AND " NOT_EXT(1259, "c.oid") " ORDER BY 4, 3", err, "cannot read triggers");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_buf b = { 0 };
		const char *name = PQgetvalue(r, i, 2), *on = PQgetvalue(r, i, 3);
		const char *en = PQgetvalue(r, i, 1);

		ps_buf_addf(&b, "%s;\n", PQgetvalue(r, i, 0));
		if (en[0] == 'D')
			ps_buf_addf(&b, "ALTER TABLE %s DISABLE TRIGGER %s;\n", on, name);
		else if (en[0] == 'R')
			ps_buf_addf(&b, "ALTER TABLE %s ENABLE REPLICA TRIGGER %s;\n", on, name);
		else if (en[0] == 'A')
			ps_buf_addf(&b, "ALTER TABLE %s ENABLE ALWAYS TRIGGER %s;\n", on, name);
		if (val(r, i, 4))
			ps_buf_addf(&b, "COMMENT ON TRIGGER %s ON %s IS %s;\n", name, on, val(r, i, 4));
		add_post(x, P_TRIGGER, ps_xasprintf("TRIGGER %s ON %s", name, on), ps_buf_detach(&b));
	}
	PQclear(r);

	r = query(x->c,
		"SELECT quote_ident(pol.polname), format('%I.%I', n.nspname, c.relname),"
		" pol.polpermissive, CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'"
		" WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,"
		" (SELECT string_agg(CASE WHEN rl = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(rl)) END,"
		"  ', ' ORDER BY rl) FROM unnest(pol.polroles) rl),"
		" pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid),"
		" quote_literal(obj_description(pol.oid, 'pg_policy'))"
		" FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid"
		" JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " USER_NS("n")
		" AND " NOT_EXT(1259, "c.oid") " ORDER BY 2, 1", err, "cannot read policies");
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		struct ps_buf b = { 0 };
		const char *name = PQgetvalue(r, i, 0), *on = PQgetvalue(r, i, 1);

		ps_buf_addf(&b, "CREATE POLICY %s ON %s AS %s FOR %s TO %s", name, on,
			    is_true(r, i, 2) ? "PERMISSIVE" : "RESTRICTIVE", PQgetvalue(r, i, 3),
			    val(r, i, 4) ? val(r, i, 4) : "PUBLIC");
		if (val(r, i, 5))
			ps_buf_addf(&b, " USING (%s)", val(r, i, 5));
		if (val(r, i, 6))
			ps_buf_addf(&b, " WITH CHECK (%s)", val(r, i, 6));
		ps_buf_adds(&b, ";\n");
		if (val(r, i, 7))
			ps_buf_addf(&b, "COMMENT ON POLICY %s ON %s IS %s;\n", name, on, val(r, i, 7));
		add_post(x, P_POLICY, ps_xasprintf("POLICY %s ON %s", name, on), ps_buf_detach(&b));
	}
	PQclear(r);
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct keymap *x = a, *y = b;

	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	return 0;
}

/* Resolve (c, o) through the map to the object that owns it. */
static void
resolve(const struct keymap *map, size_t n, unsigned *c, unsigned *o)
{
	struct keymap key = { 0 }, *m;
	int hop;

	for (hop = 0; hop < 4; hop++) {
		key.c = *c;
		key.o = *o;
		m = bsearch(&key, map, n, sizeof(*map), key_cmp);
		if (!m)
			return;
		*c = m->tc;
		*o = m->to;
	}
}

/* Sort the pre-data objects by their pg_depend dependencies. */
static int
order_objects(struct dctx *x, size_t **order_out, struct ps_error *err)
{
	PGresult *m, *dep;
	struct keymap *map, *keys;
	size_t nmap, i, nedges = 0, edges_cap = 0, left = 0, *order;
	size_t (*edges)[2] = NULL;
	int *prio;

	m = query(x->c,
		"SELECT 2618, r.oid, 1259, r.ev_class FROM pg_rewrite r WHERE r.oid >= 16384"
		" UNION ALL SELECT 2604, ad.oid, 1259, ad.adrelid FROM pg_attrdef ad WHERE ad.oid >= 16384"
		" UNION ALL SELECT 2606, co.oid, CASE WHEN co.conrelid <> 0 THEN 1259 ELSE 1247 END,"
		"  CASE WHEN co.conrelid <> 0 THEN co.conrelid ELSE co.contypid END"
		"  FROM pg_constraint co WHERE co.oid >= 16384 AND co.contype = 'c'"
		" UNION ALL SELECT 1247, t.oid, 1259, t.typrelid FROM pg_type t"
		"  JOIN pg_class c ON c.oid = t.typrelid WHERE t.oid >= 16384 AND c.relkind <> 'c'"
		" UNION ALL SELECT 1259, c.oid, 1247, c.reltype FROM pg_class c"
		"  WHERE c.oid >= 16384 AND c.relkind = 'c'"
		" UNION ALL SELECT 1247, t.oid, 1247, t.typelem FROM pg_type t WHERE t.oid >= 16384"
		"  AND t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc"
		" UNION ALL SELECT 1247, rngmultitypid, 1247, rngtypid FROM pg_range WHERE rngmultitypid >= 16384"
		" UNION ALL SELECT classid, objid, 3079, refobjid FROM pg_depend"
		"  WHERE deptype = 'e' AND refclassid = 3079",
		err, "cannot read object ownership");
	if (!m)
		return -1;
	dep = query(x->c,
		"SELECT DISTINCT classid, objid, refclassid, refobjid FROM pg_depend"
		" WHERE deptype IN ('n','a','i') AND objid >= 16384 AND refobjid >= 16384",
		err, "cannot read dependencies");
	if (!dep) {
		PQclear(m);
		return -1;
	}
	nmap = (size_t)PQntuples(m);
	map = ps_xcalloc(nmap + 1, sizeof(*map));
	for (i = 0; i < nmap; i++) {
		map[i].c = oidval(m, (int)i, 0);
		map[i].o = oidval(m, (int)i, 1);
		map[i].tc = oidval(m, (int)i, 2);
		map[i].to = oidval(m, (int)i, 3);
	}
	PQclear(m);
	qsort(map, nmap, sizeof(*map), key_cmp);
	/* object keys -> index (in .tc) */
	keys = ps_xcalloc(x->nobjs + 1, sizeof(*keys));
	for (i = 0; i < x->nobjs; i++) {
		keys[i].c = x->objs[i].classid;
		keys[i].o = x->objs[i].objid;
		keys[i].tc = (unsigned)i;
	}
	qsort(keys, x->nobjs, sizeof(*keys), key_cmp);
	for (i = 0; i < (size_t)PQntuples(dep); i++) {
		struct keymap a = { 0 }, b = { 0 }, *ka, *kb;

		a.c = oidval(dep, (int)i, 0);
		a.o = oidval(dep, (int)i, 1);
		b.c = oidval(dep, (int)i, 2);
		b.o = oidval(dep, (int)i, 3);
		resolve(map, nmap, &a.c, &a.o);
		resolve(map, nmap, &b.c, &b.o);
		ka = bsearch(&a, keys, x->nobjs, sizeof(*keys), key_cmp);
		kb = bsearch(&b, keys, x->nobjs, sizeof(*keys), key_cmp);
		if (!ka || !kb || ka->tc == kb->tc)
			continue;
		/* a sequence OWNED BY a column comes before its table */
		if (x->objs[ka->tc].is_seq)
			continue;
		ps_xgrow(&edges, &edges_cap, nedges + 1, sizeof(*edges));
		edges[nedges][0] = ka->tc;
		edges[nedges][1] = kb->tc;
		nedges++;
	}
	PQclear(dep);
	free(map);
	free(keys);
	prio = ps_xcalloc(x->nobjs + 1, sizeof(int));
	for (i = 0; i < x->nobjs; i++)
		prio[i] = x->objs[i].prio;
	order = ps_xcalloc(x->nobjs + 1, sizeof(size_t));
	if (ps_pgdump_toposort(x->nobjs, prio, (const size_t(*)[2])edges, nedges,
			       order, &left) < 0) {
		struct ps_buf names = { 0 };
		for (i = x->nobjs - left; i < x->nobjs && i < x->nobjs - left + 10; i++)
			ps_buf_addf(&names, "%s%s", names.len ? ", " : "",
				    x->objs[order[i]].tag);
		ps_error_set(err, PS_EXIT_USAGE, "dependency cycle among: %s",
			     ps_buf_str(&names));
		ps_buf_free(&names);
		free(order);
		free(prio);
		free(edges);
		return -1;
	}
	free(prio);
	free(edges);
	*order_out = order;
	return 0;
}

static void
dctx_free(struct dctx *x)
{
	size_t i, p;

	for (i = 0; i < x->nobjs; i++) {
		free(x->objs[i].tag);
		free(x->objs[i].sql);
		free(x->objs[i].qname);
	}
	free(x->objs);
	for (p = 0; p < P_COUNT; p++) {
		for (i = 0; i < x->npost[p]; i++) {
			free(x->post[p][i].tag);
			free(x->post[p][i].sql);
			free(x->post[p][i].table);
		}
		free(x->post[p]);
	}
	for (i = 0; i < x->nrels; i++) {
		free(x->rels[i].qname);
		ps_buf_free(&x->rels[i].cols);
		ps_buf_free(&x->rels[i].checks);
		ps_buf_free(&x->rels[i].after);
		ps_buf_free(&x->rels[i].copycols);
	}
	free(x->rels);
	ps_buf_free(&x->attach);
}

/* Read the whole schema into d->entries and d->tables. */
static int
read_schema(struct dctx *x, struct ps_error *err)
{
	size_t *order = NULL, i, p;
	struct ps_buf refresh = { 0 };

	if (check_unsupported(x, err) < 0 || load_schemas(x, err) < 0 ||
	    load_extensions(x, err) < 0 || load_collations(x, err) < 0 ||
	    load_columns(x, err) < 0 || load_constraints(x, err) < 0 ||
	    load_types(x, err) < 0 || load_functions(x, err) < 0 ||
	    load_sequences(x, err) < 0 || load_relations(x, err) < 0 ||
	    load_indexes(x, err) < 0 || load_triggers_policies(x, err) < 0 ||
	    order_objects(x, &order, err) < 0)
		return -1;
	for (i = 0; i < x->nobjs; i++) {
		struct obj *ob = &x->objs[order[i]];

		add_entry(x->d, PS_PGDUMP_PRE, ob->tag, ob->sql);
		if (ob->refresh)
			ps_buf_addf(&refresh, "REFRESH MATERIALIZED VIEW %s;\n", ob->qname);
		ob->tag = ob->sql = NULL;
	}
	free(order);
	if (x->attach.len)
		add_entry(x->d, PS_PGDUMP_PRE, ps_xstrdup("PARTITIONS"),
			  ps_buf_detach(&x->attach));
	if (refresh.len)
		add_post(x, P_REFRESH, ps_xstrdup("MATERIALIZED VIEW DATA"),
			 ps_buf_detach(&refresh));
	for (p = 0; p < P_COUNT; p++) {
		for (i = 0; i < x->npost[p]; i++) {
			struct ps_pgdump_entry *e = add_entry(x->d, PS_PGDUMP_POST,
				x->post[p][i].tag, x->post[p][i].sql);

			e->parallel = p == P_INDEX;
			e->table = e->parallel ? x->post[p][i].table : NULL;
			if (!e->parallel)
				free(x->post[p][i].table);
		}
		x->npost[p] = 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- workers */

enum { W_DUMP, W_RESTORE, W_CHECK, W_SQL };

/* W_RESTORE: part k of n of table i */
struct part {
	size_t table;
	unsigned k, n;
};

struct pool {
	int mode;
	struct ps_pgdump *d;
	const struct ps_pgdump_sink *sink;
	const struct ps_pgdump_source *src;
	uint64_t *rows, *sums;	/* W_CHECK: recomputed figures */
	const volatile int *cancel;	/* set by the caller's signal handler */
	volatile int stop;	/* set when the dump fails elsewhere */
	const size_t *list;	/* W_SQL: entries to run */
	size_t nlist;
	/* W_RESTORE: index builds that run as soon as their table is in */
	size_t *ready;		/* entries ready to run, a queue */
	size_t nready, ready_head;
	size_t *head, *chain;	/* per table: its index entries, linked */
	struct part *parts;	/* what the connections load, in order */
	size_t nparts;
	unsigned *left;		/* per table: its parts not yet loaded */
	size_t loading;		/* parts being loaded now */
	pthread_cond_t cv;
	pthread_mutex_t mu;
	size_t next;
	int failed;
	struct ps_error err;
};

#define NONE ((size_t)-1)

static int
halted(const struct pool *p)
{
	return p->stop || (p->cancel && *p->cancel);
}

struct worker {
	struct pool *pool;
	PGconn *c;
	pthread_t th;
};

static void
pool_fail(struct pool *p, const struct ps_error *e)
{
	pthread_mutex_lock(&p->mu);
	if (!p->failed) {
		p->failed = 1;
		p->err = *e;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * Waiting for COPY data in batches. libpq's blocking PQgetCopyData polls
 * the socket whenever its buffer runs dry, and the server sends 8 KB at a
 * time: while the client keeps up, it wakes some 60 times per MB, and on a
 * VM a wake-up costs more than handling the rows it brings. With the
 * socket's low-water mark at COPY_LOWAT, a wait ends only once that much
 * has arrived (or after COPY_WAIT_MS, for a table's last bytes); the rows
 * in between are read without waiting. The mark is put back to one byte
 * before libpq waits on the socket itself again.
 */
#define COPY_LOWAT (128 << 10)
#define COPY_WAIT_MS 2
#define COPY_NAP_NS (200 * 1000)

static void
set_lowat(PGconn *c, int bytes)
{
	/* a failure only means a wake-up per packet, as libpq does */
	(void)setsockopt(PQsocket(c), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof(bytes));
}

/* Whether the connection is over a Unix-domain socket. */
static int
on_unix_socket(PGconn *c)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	return getsockopt(PQsocket(c), SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	       domain == AF_UNIX;
}

/*
 * The next row of a COPY out: as PQgetCopyData(c, buf, 0), waiting in
 * batches (above). A Unix-domain socket's poll does not heed the low-water
 * mark and wakes for every packet the server sends (8 KB); there a wait
 * that brought less than the mark is followed by a nap of COPY_NAP_NS, in
 * which the server, sending some 100-200 MB/s, fills the socket further.
 */
static int
copy_row(PGconn *c, char **buf, int unix_socket)
{
	int n, tried = 0;

	for (;;) {
		n = PQgetCopyData(c, buf, 1);
		if (n != 0)
			return n;
		if (tried) {
			struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
			int avail;

			if (poll(&pfd, 1, COPY_WAIT_MS) < 0 && errno != EINTR)
				return -2;
			if (unix_socket && ioctl(pfd.fd, FIONREAD, &avail) == 0 &&
			    avail < COPY_LOWAT) {
				struct timespec nap = { 0, COPY_NAP_NS };

				nanosleep(&nap, NULL);
			}
		}
		if (!PQconsumeInput(c))
			return -2;
		tried = 1;
	}
}

/* COPY one table out; figures into *rows; data to the sink when given. */
static int
copy_out(PGconn *c, struct ps_pgdump_table *t, const struct ps_pgdump_sink *sink,
	 struct ps_pgdump_rows *rows, const struct pool *p, struct ps_error *err)
{
	char *sql, *buf;
	void *stream = NULL;
	PGresult *res;
	int n, rc = 0, began = 0, unix_socket;

	if (t->columns[0])
		sql = ps_xasprintf("COPY %s (%s) TO STDOUT", t->qname, t->columns);
	else
		sql = ps_xasprintf("COPY %s TO STDOUT", t->qname);
	res = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		PQclear(res);
		return pg_error(err, PQerrorMessage(c), "table %s", t->qname);
	}
	PQclear(res);
	if (sink) {
		if (sink->begin(sink->arg, t, &stream, err) < 0)
			return -1;
		began = 1;
	}
	set_lowat(c, COPY_LOWAT);
	unix_socket = on_unix_socket(c);
	for (;;) {
		n = copy_row(c, &buf, unix_socket);
		if (n > 0) {
			ps_pgdump_rows_feed(rows, buf, (size_t)n);
			if (sink && rc == 0 && sink->write(stream, buf, (size_t)n, err) < 0)
				rc = -1;
			PQfreemem(buf);
			if (rc == 0 && halted(p))
				rc = ps_error_set(err, PS_EXIT_OPER, "table %s: interrupted",
						  t->qname);
			if (rc < 0)
				break;
			continue;
		}
		set_lowat(c, 1);
		if (n == -2) {
			rc = pg_error(err, PQerrorMessage(c), "table %s", t->qname);
			break;
		}
		res = PQgetResult(c);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_error(err, PQerrorMessage(c), "table %s", t->qname);
		PQclear(res);
		while ((res = PQgetResult(c)))
			PQclear(res);
		break;
	}
	set_lowat(c, 1);
	ps_pgdump_rows_finish(rows);
	if (rc == 0) {
		t->rows = rows->rows;
		t->checksum = rows->checksum;
		t->bytes = rows->bytes;
	}
	if (began) {
		struct ps_error e2 = { 0 };
		if (sink->end(stream, t, rc == 0, rc == 0 ? err : &e2) < 0 && rc == 0)
			rc = -1;
	}
	return rc;
}

/* Load part pt of a table (its rows whole when pt->n is 1). */
static int
copy_in(PGconn *c, const struct ps_pgdump_table *t, const struct part *pt,
	const struct ps_pgdump_source *src, const struct pool *p, struct ps_error *err)
{
	char *sql, buf[65536];
	void *stream = NULL;
	PGresult *res;
	ssize_t n;
	int rc = 0, freeze = 0, orc;

	if (exec_ok(c, "BEGIN", err, "cannot begin") < 0)
		return -1;
	/*
	 * A table emptied in the loading transaction can take its rows
	 * frozen: no hint bits to set on the first read (the index builds
	 * that follow) and no WAL at wal_level=minimal. Where TRUNCATE is not
	 * allowed, the rows load the ordinary way; so do the parts of a
	 * table that loads on several connections, as TRUNCATE would lock
	 * the others out until its part is in.
	 */
	if (pt->n == 1) {
		sql = ps_xasprintf("TRUNCATE ONLY %s", t->qname);
		res = PQexec(c, sql);
		free(sql);
		freeze = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!freeze && (exec_ok(c, "ROLLBACK", err, "cannot roll back") < 0 ||
				exec_ok(c, "BEGIN", err, "cannot begin") < 0))
			return -1;
	}
	sql = ps_xasprintf("COPY %s%s%s%s FROM STDIN%s", t->qname, t->columns[0] ? " (" : "",
			   t->columns, t->columns[0] ? ")" : "", freeze ? " WITH (FREEZE)" : "");
	res = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		PQclear(res);
		pg_error(err, PQerrorMessage(c), "table %s", t->qname);
		goto fail;
	}
	PQclear(res);
	if (pt->n == 1)
		orc = src->open(src->arg, t, &stream, err);
	else
		orc = src->open_part(src->arg, t, pt->k, pt->n, &stream, err);
	if (orc < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		ps_error_set(err, PS_EXIT_OPER, "table %s: %s", t->qname, msg);
		PQputCopyEnd(c, "source failed");
		goto drain_fail;
	}
	while ((n = src->read(stream, buf, sizeof(buf), err)) > 0) {
		if (halted(p)) {
			ps_error_set(err, PS_EXIT_OPER, "table %s: interrupted", t->qname);
			rc = -1;
			break;
		}
		if (PQputCopyData(c, buf, (int)n) != 1) {
			pg_error(err, PQerrorMessage(c), "table %s", t->qname);
			rc = -1;
			break;
		}
	}
	src->close(stream);
	if (rc < 0 || n < 0) {
		if (n < 0 && rc == 0) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%s", err->msg);
			ps_error_set(err, PS_EXIT_OPER, "table %s: %s", t->qname, msg);
		}
		PQputCopyEnd(c, "source failed");
		goto drain_fail;
	}
	if (PQputCopyEnd(c, NULL) != 1) {
		pg_error(err, PQerrorMessage(c), "table %s", t->qname);
		goto fail;
	}
	res = PQgetResult(c);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_error(err, PQerrorMessage(c), "table %s", t->qname);
		PQclear(res);
		goto drain_fail;
	}
	PQclear(res);
	while ((res = PQgetResult(c)))
		PQclear(res);
	if (exec_ok(c, "COMMIT", err, "cannot commit") < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		ps_error_set(err, PS_EXIT_OPER, "table %s: %s", t->qname, msg);
		return -1;
	}
	return 0;
drain_fail:
	while ((res = PQgetResult(c)))
		PQclear(res);
fail:
	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	return -1;
}

/*
 * W_RESTORE: a table's index builds are queued the moment its rows are in
 * (its last part), and a free connection takes a queued build before the
 * next part, so the indexes of small tables are built while a large one
 * still loads.
 */
static void
restore_worker(struct worker *w)
{
	struct pool *p = w->pool;
	struct ps_error err = { 0 };
	size_t i, k;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->failed)
			break;
		if (p->ready_head < p->nready) {
			const struct ps_pgdump_entry *e;

			e = &p->d->entries[p->ready[p->ready_head++]];
			pthread_mutex_unlock(&p->mu);
			if (exec_ok(w->c, e->sql, &err, e->tag) < 0)
				pool_fail(p, &err);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (p->next < p->nparts) {
			const struct part *pt = &p->parts[p->next++];

			i = pt->table;
			p->loading++;
			pthread_mutex_unlock(&p->mu);
			if (halted(p))
				ps_error_set(&err, PS_EXIT_OPER, "interrupted");
			if (halted(p) || copy_in(w->c, &p->d->tables[i], pt, p->src, p, &err) < 0) {
				pool_fail(p, &err);
				pthread_mutex_lock(&p->mu);
				p->loading--;
				continue;
			}
			pthread_mutex_lock(&p->mu);
			p->loading--;
			if (--p->left[i] == 0)
				for (k = p->head[i]; k != NONE; k = p->chain[k])
					p->ready[p->nready++] = k;
			pthread_cond_broadcast(&p->cv);
			continue;
		}
		if (p->loading == 0)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	struct ps_error err = { 0 };
	size_t i;

	if (p->mode == W_RESTORE) {
		restore_worker(w);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->failed || p->next >= (p->mode == W_SQL ? p->nlist : p->d->ntables)) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (halted(p)) {
			ps_error_set(&err, PS_EXIT_OPER, "interrupted");
			pool_fail(p, &err);
			break;
		}
		if (p->mode == W_SQL) {
			const struct ps_pgdump_entry *e = &p->d->entries[p->list[i]];
			if (exec_ok(w->c, e->sql, &err, e->tag) < 0) {
				pool_fail(p, &err);
				break;
			}
		} else {
			struct ps_pgdump_rows rows = { .algo = p->d->row_hash };
			struct ps_pgdump_table tmp;
			int rc;

			if (p->mode == W_CHECK) {
				tmp = p->d->tables[i];
				rc = copy_out(w->c, &tmp, NULL, &rows, p, &err);
				p->rows[i] = rows.rows;
				p->sums[i] = rows.checksum;
			} else {
				rc = copy_out(w->c, &p->d->tables[i], p->sink, &rows, p, &err);
			}
			ps_pgdump_rows_free(&rows);
			if (rc < 0) {
				pool_fail(p, &err);
				break;
			}
		}
	}
	return NULL;
}

/* Run the pool over jobs open connections. */
static int
run_pool(struct pool *p, PGconn **conns, int jobs, struct ps_error *err)
{
	struct worker *w = ps_xcalloc((size_t)jobs, sizeof(*w));
	int i, started = 0;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (i = 0; i < jobs; i++) {
		w[i].pool = p;
		w[i].c = conns[i];
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
			struct ps_error e = { 0 };
			ps_error_set(&e, PS_EXIT_OPER, "cannot start a thread: %s",
				     strerror(errno));
			pool_fail(p, &e);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(w);
	if (p->failed) {
		*err = p->err;
		return -1;
	}
	return 0;
}

static void
close_all(PGconn **conns, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (conns[i])
			PQfinish(conns[i]);
	free(conns);
}

static int
jobs_for(int jobs, size_t ntables)
{
	if (jobs <= 0)
		jobs = 2;
	if (jobs > 64)
		jobs = 64;
	if ((size_t)jobs > ntables)
		jobs = ntables ? (int)ntables : 1;
	return jobs;
}

/* ---------------------------------------------------------------- dump */

void
ps_pgdump_free(struct ps_pgdump *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nentries; i++) {
		free(d->entries[i].tag);
		free(d->entries[i].sql);
		free(d->entries[i].table);
	}
	free(d->entries);
	for (i = 0; i < d->ntables; i++) {
		free(d->tables[i].schema);
		free(d->tables[i].name);
		free(d->tables[i].qname);
		free(d->tables[i].columns);
	}
	free(d->tables);
	free(d->database);
	free(d);
}

struct copier {
	struct pool *pool;
	PGconn **conns;
	int jobs;
	struct ps_error err;
	int rc;
};

static void *
copier_main(void *arg)
{
	struct copier *cp = arg;

	cp->rc = run_pool(cp->pool, cp->conns, cp->jobs, &cp->err);
	return NULL;
}

/*
 * The dump: the main connection exports its snapshot, locks the tables and
 * lists the ones with rows; the workers, connected meanwhile, import the
 * snapshot and copy the rows while the main connection reads the rest of
 * the schema.
 */
int
ps_pgdump_dump(const struct ps_pgdump_opts *o, const struct ps_pgdump_sink *sink,
	       struct ps_pgdump **out, struct ps_error *err)
{
	struct ps_pgdump *d = ps_xcalloc(1, sizeof(*d));
	struct dctx x;
	PGconn *c, **conns = NULL;
	PGresult *r;
	struct opener *ops;
	struct ps_error e2 = { 0 };
	struct copier cp = { 0 };
	pthread_t th;
	char snap[128], *imp = NULL;
	int jobs, i, rc, copying = 0;
	struct pool pool;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	memset(&pool, 0, sizeof(pool));
	jobs = jobs_for(o->jobs, (size_t)-1);
	ops = opens_start(o->conninfo, 0, NULL, NULL, NULL, jobs);
	c = pg_open(o->conninfo, NULL, err);
	if (!c)
		goto fail;
	x.c = c;
	x.o = o;
	x.d = d;
	d->server_version = PQserverVersion(c);
	d->row_hash = PS_PGDUMP_ROWHASH_XXH3;
	if (d->server_version < 150000) {
		ps_error_set(err, PS_EXIT_OPER, "PostgreSQL %d is not supported (15 or later)",
			     d->server_version / 10000);
		goto fail;
	}
	if (exec_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err,
		    "cannot begin the dump transaction") < 0)
		goto fail;
	r = query(c, "SELECT pg_export_snapshot(), current_database(),"
		  " pg_encoding_to_char(encoding) FROM pg_database"
		  " WHERE datname = current_database()", err, "cannot export the snapshot");
	if (!r || PQntuples(r) != 1) {
		if (r) {
			ps_error_set(err, PS_EXIT_OPER, "cannot find the current database");
			PQclear(r);
		}
		goto fail;
	}
	snprintf(snap, sizeof(snap), "%s", PQgetvalue(r, 0, 0));
	d->database = ps_xstrdup(PQgetvalue(r, 0, 1));
	snprintf(d->encoding, sizeof(d->encoding), "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	if (PQsetClientEncoding(c, d->encoding) != 0) {
		pg_error(err, PQerrorMessage(c), "cannot set client encoding %s", d->encoding);
		goto fail;
	}
	/* lock everything with data first, as pg_dump does */
	r = query(c, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
		  " JOIN pg_namespace n ON n.oid = c.relnamespace"
		  " WHERE c.relkind IN ('r','p') AND " USER_NS("n") " ORDER BY 1",
		  err, "cannot list tables");
	if (!r)
		goto fail;
	for (i = 0; i < PQntuples(r); i += 200) {
		struct ps_buf q = { 0 };
		int j;

		ps_buf_adds(&q, "LOCK TABLE ");
		for (j = i; j < PQntuples(r) && j < i + 200; j++)
			ps_buf_addf(&q, "%s%s", j > i ? ", " : "", PQgetvalue(r, j, 0));
		ps_buf_adds(&q, " IN ACCESS SHARE MODE");
		if (exec_ok(c, ps_buf_str(&q), err, "cannot lock the tables") < 0) {
			ps_buf_free(&q);
			PQclear(r);
			goto fail;
		}
		ps_buf_free(&q);
	}
	PQclear(r);
	if (load_data_tables(&x, err) < 0)
		goto fail;
	conns = ps_xcalloc((size_t)jobs, sizeof(*conns));
	rc = opens_finish(ops, jobs, conns, err);
	ops = NULL;
	if (rc < 0)
		goto fail;
	imp = ps_xasprintf("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
			   " SET TRANSACTION SNAPSHOT '%s'", snap);
	for (i = 0; i < jobs; i++) {
		if (PQsetClientEncoding(conns[i], d->encoding) != 0) {
			pg_error(err, PQerrorMessage(conns[i]), "cannot set client encoding %s",
				 d->encoding);
			goto fail;
		}
		if (exec_ok(conns[i], imp, err, "cannot import the snapshot") < 0)
			goto fail;
	}
	pool.mode = W_DUMP;
	pool.d = d;
	pool.sink = sink;
	pool.cancel = o->cancel;
	cp = (struct copier){ &pool, conns, jobs_for(jobs, d->ntables), { 0 }, 0 };
	if (d->ntables)
		copying = pthread_create(&th, NULL, copier_main, &cp) == 0 ? 1 : -1;
	rc = read_schema(&x, copying > 0 ? &e2 : err);
	if (copying > 0) {
		if (rc < 0)
			pool.stop = 1;
		pthread_join(th, NULL);
		if (rc < 0) {
			*err = e2;
			goto fail;
		}
		if (cp.rc < 0) {
			*err = cp.err;
			goto fail;
		}
	} else if (rc < 0 || (copying < 0 && run_pool(&pool, conns, cp.jobs, err) < 0)) {
		goto fail;
	}
	for (i = 0; i < jobs; i++)
		if (exec_ok(conns[i], "COMMIT", err, "cannot end a worker transaction") < 0)
			goto fail;
	if (exec_ok(c, "COMMIT", err, "cannot end the dump transaction") < 0)
		goto fail;
	free(imp);
	close_all(conns, jobs);
	PQfinish(c);
	dctx_free(&x);
	*out = d;
	return 0;
fail:
	if (ops) {
		conns = ps_xcalloc((size_t)jobs, sizeof(*conns));
		(void)opens_finish(ops, jobs, conns, &e2);
	}
	free(imp);
	if (conns)
		close_all(conns, jobs);
	if (c)
		PQfinish(c);
	dctx_free(&x);
	ps_pgdump_free(d);
	return -1;
}

/* ---------------------------------------------------------------- TOC */

char *
ps_pgdump_toc_json(const struct ps_pgdump *d)
{
	json_t *root = json_object(), *ents = json_array(), *tabs = json_array();
	char hex[17], *s;
	size_t i;

	json_object_set_new(root, "ps_pgdump", json_integer(1));
	json_object_set_new(root, "server_version", json_integer(d->server_version));
	json_object_set_new(root, "encoding", json_string(d->encoding));
	json_object_set_new(root, "database", json_string(d->database ? d->database : ""));
	if (d->row_hash != PS_PGDUMP_ROWHASH_SHA256)
		json_object_set_new(root, "row_hash",
				    json_string(ps_pgdump_row_hash_name(d->row_hash)));
	for (i = 0; i < d->nentries; i++) {
		json_t *e = json_pack("{s:s,s:s,s:s,s:b}", "section",
			d->entries[i].section == PS_PGDUMP_PRE ? "pre-data" : "post-data",
			"tag", d->entries[i].tag, "sql", d->entries[i].sql,
			"parallel", d->entries[i].parallel);

		if (d->entries[i].table)
			json_object_set_new(e, "table", json_string(d->entries[i].table));
		json_array_append_new(ents, e);
	}
	for (i = 0; i < d->ntables; i++) {
		const struct ps_pgdump_table *t = &d->tables[i];

		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)t->checksum);
		json_array_append_new(tabs, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}",
			"schema", t->schema, "name", t->name, "qname", t->qname,
			"columns", t->columns, "est_bytes", (json_int_t)t->est_bytes,
			"rows", (json_int_t)t->rows, "bytes", (json_int_t)t->bytes,
			"checksum", hex));
	}
	json_object_set_new(root, "entries", ents);
	json_object_set_new(root, "tables", tabs);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

static char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? ps_xstrdup(json_string_value(v)) : NULL;
}

int
ps_pgdump_toc_parse(const char *text, size_t n, struct ps_pgdump **out,
		    struct ps_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, n, 0, &je), *ents, *tabs, *v;
	struct ps_pgdump *d;
	size_t i;

	*out = NULL;
	if (!root)
		return ps_error_at(err, PS_EXIT_FAIL, je.line, je.column,
				   "database dump contents: %s", je.text);
	ents = json_object_get(root, "entries");
	tabs = json_object_get(root, "tables");
	if (!json_is_integer(json_object_get(root, "ps_pgdump")) ||
	    !json_is_array(ents) || !json_is_array(tabs)) {
		json_decref(root);
		return ps_error_set(err, PS_EXIT_FAIL,
				    "database dump contents: not a ps_pgdump table of contents");
	}
	d = ps_xcalloc(1, sizeof(*d));
	d->server_version = (int)json_integer_value(json_object_get(root, "server_version"));
	v = json_object_get(root, "encoding");
	snprintf(d->encoding, sizeof(d->encoding), "%s",
		 json_is_string(v) ? json_string_value(v) : "UTF8");
	d->database = jstr(root, "database");
	v = json_object_get(root, "row_hash");
	if (v) {
		int rh = json_is_string(v) ? ps_pgdump_row_hash_parse(json_string_value(v)) : -1;

		if (rh < 0) {
			json_decref(root);
			ps_pgdump_free(d);
			return ps_error_set(err, PS_EXIT_FAIL,
					    "database dump contents: unknown row hash (this"
					    " ps-restore is older than the backup)");
		}
		d->row_hash = rh;
	}
	for (i = 0; i < json_array_size(ents); i++) {
		json_t *e = json_array_get(ents, i);
		char *sec = jstr(e, "section"), *tag = jstr(e, "tag"), *sql = jstr(e, "sql");
		struct ps_pgdump_entry *en;

		if (!sec || !tag || !sql) {
			free(sec);
			free(tag);
			free(sql);
			goto bad;
		}
		en = add_entry(d, strcmp(sec, "pre-data") == 0 ? PS_PGDUMP_PRE : PS_PGDUMP_POST,
			       tag, sql);
		en->parallel = json_is_true(json_object_get(e, "parallel"));
		if (en->parallel)
			en->table = jstr(e, "table");
		free(sec);
	}
	for (i = 0; i < json_array_size(tabs); i++) {
		json_t *e = json_array_get(tabs, i);
		struct ps_pgdump_table *t;
		char *sum = jstr(e, "checksum"), *end = NULL;

		ps_xgrow(&d->tables, &d->tables_cap, d->ntables + 1, sizeof(*t));
		t = &d->tables[d->ntables++];
		memset(t, 0, sizeof(*t));
		t->schema = jstr(e, "schema");
		t->name = jstr(e, "name");
		t->qname = jstr(e, "qname");
		t->columns = jstr(e, "columns");
		t->est_bytes = (uint64_t)json_integer_value(json_object_get(e, "est_bytes"));
		t->rows = (uint64_t)json_integer_value(json_object_get(e, "rows"));
		t->bytes = (uint64_t)json_integer_value(json_object_get(e, "bytes"));
		if (sum) {
			errno = 0;
			t->checksum = strtoull(sum, &end, 16);
		}
		if (!t->schema || !t->name || !t->qname || !t->columns || !sum ||
		    strlen(sum) != 16 || !end || *end || errno) {
			free(sum);
			goto bad;
		}
		free(sum);
	}
	json_decref(root);
	*out = d;
	return 0;
bad:
	json_decref(root);
	ps_pgdump_free(d);
	return ps_error_set(err, PS_EXIT_FAIL,
			    "database dump contents: an entry lacks a field");
}

/* ---------------------------------------------------------------- restore */

static const char count_user_objects[] =
	"SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	"  WHERE " USER_NS("n") ")"
	" + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
	"  WHERE " USER_NS("n") ")"
	" + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
	"  WHERE " USER_NS("n") ")"
	" + (SELECT count(*) FROM pg_namespace n WHERE " USER_NS("n") " AND n.nspname <> 'public')"
	" + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')";

int
ps_pgdump_target_objects(const char *conninfo, long *n, struct ps_error *err)
{
	PGconn *c = pg_open(conninfo, NULL, err);
	PGresult *r;

	if (!c)
		return -1;
	r = query(c, count_user_objects, err, "cannot inspect the target");
	if (r) {
		ps_parse_long(PQgetvalue(r, 0, 0), 0, LONG_MAX, n);
		PQclear(r);
	}
	PQfinish(c);
	return r ? 0 : -1;
}

static int
clean_target(PGconn *c, struct ps_error *err)
{
	PGresult *r = query(c,
		"SELECT 'DROP EXTENSION IF EXISTS ' || quote_ident(extname) || ' CASCADE'"
		" FROM pg_extension WHERE extname <> 'plpgsql'"
		" UNION ALL SELECT 'DROP SCHEMA IF EXISTS ' || quote_ident(n.nspname) || ' CASCADE'"
		" FROM pg_namespace n WHERE " USER_NS("n"), err, "cannot list the target's objects");
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		if (exec_ok(c, PQgetvalue(r, i, 0), err, "cannot clean the target") < 0) {
			PQclear(r);
			return -1;
		}
	PQclear(r);
	return exec_ok(c, "CREATE SCHEMA public AUTHORIZATION pg_database_owner;"
		       " GRANT USAGE ON SCHEMA public TO PUBLIC;"
		       " COMMENT ON SCHEMA public IS 'standard public schema'",
		       err, "cannot recreate schema public");
}

/*
 * Run a section's entries but those marked in done; runs of parallel ones
 * over conns when given.
 */
static int
run_entries(PGconn *c, PGconn **conns, int jobs, const struct ps_pgdump *d,
	    int section, const unsigned char *done, struct ps_error *err)
{
	size_t i = 0, k, *list = ps_xcalloc(d->nentries + 1, sizeof(size_t));
	struct pool pool;

	while (i < d->nentries) {
		const struct ps_pgdump_entry *e = &d->entries[i];

		if (e->section != section || (done && done[i])) {
			i++;
			continue;
		}
		if (!e->parallel || !conns || jobs < 2) {
			if (exec_ok(c, e->sql, err, e->tag) < 0)
				goto fail;
			i++;
			continue;
		}
		for (k = 0; i < d->nentries && d->entries[i].section == section &&
			    d->entries[i].parallel; i++)
			if (!done || !done[i])
				list[k++] = i;
		memset(&pool, 0, sizeof(pool));
		pool.mode = W_SQL;
		pool.d = (struct ps_pgdump *)d;
		pool.list = list;
		pool.nlist = k;
		if (run_pool(&pool, conns, jobs, err) < 0)
			goto fail;
	}
	free(list);
	return 0;
fail:
	free(list);
	return -1;
}

struct named {
	const char *name;
	size_t i;
};

static int
named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/*
 * Hand the post-data index builds that name their table to the load pool:
 * each waits for its table's rows (or is ready at once when its table has
 * none in the dump: partitioned parents, materialized views). They are
 * marked in done so that the post-data run skips them.
 */
static void
plan_early_indexes(struct pool *p, const struct ps_pgdump *d, unsigned char *done)
{
	struct named *byname = ps_xcalloc(d->ntables + 1, sizeof(*byname));
	size_t i, lo, hi, mid = 0;
	int cmp;

	p->ready = ps_xcalloc(d->nentries + 1, sizeof(size_t));
	p->chain = ps_xcalloc(d->nentries + 1, sizeof(size_t));
	p->head = ps_xcalloc(d->ntables + 1, sizeof(size_t));
	for (i = 0; i < d->ntables; i++) {
		p->head[i] = NONE;
		byname[i].name = d->tables[i].qname;
		byname[i].i = i;
	}
	qsort(byname, d->ntables, sizeof(*byname), named_cmp);
	for (i = 0; i < d->nentries; i++) {
		const struct ps_pgdump_entry *e = &d->entries[i];

		if (e->section != PS_PGDUMP_POST || !e->parallel || !e->table)
			continue;
		done[i] = 1;
		lo = 0;
		hi = d->ntables;
		cmp = 1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			cmp = strcmp(e->table, byname[mid].name);
			if (cmp == 0)
				break;
			if (cmp < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (cmp == 0) {
			/* appended at the head: reverse entry order, which does
			 * not matter among one table's builds */
			p->chain[i] = p->head[byname[mid].i];
			p->head[byname[mid].i] = i;
		} else {
			p->ready[p->nready++] = i;
		}
	}
	free(byname);
}

/* Parts of at least this many bytes, and at most this many per table. */
#define PART_MIN (16u << 20)
#define PART_MAX 64u

/*
 * What the restore's connections load, in the dump's order (largest table
 * first): every table whole, except that with a source that can cut parts
 * and more than one connection, a table larger than half of one
 * connection's share of the bytes loads in parts of about that size. Two
 * connections copying into one table come to 1.4 times the speed of one
 * here, and the connection that would otherwise wait for the largest
 * table alone has something to do.
 */
static void
plan_parts(struct pool *p, const struct ps_pgdump *d, int jobs)
{
	uint64_t total = 0, share;
	size_t i, nparts = 0;
	unsigned n, k;

	for (i = 0; i < d->ntables; i++)
		total += d->tables[i].bytes;
	share = total / (2 * (uint64_t)jobs);
	if (share < PART_MIN)
		share = PART_MIN;
	p->left = ps_xcalloc(d->ntables + 1, sizeof(*p->left));
	for (i = 0; i < d->ntables; i++) {
		n = 1;
		if (jobs > 1 && p->src->open_part && d->tables[i].bytes > share) {
			uint64_t m = (d->tables[i].bytes + share - 1) / share;
			n = m > PART_MAX ? PART_MAX : (unsigned)m;
		}
		p->left[i] = n;
		nparts += n;
	}
	p->parts = ps_xcalloc(nparts + 1, sizeof(*p->parts));
	for (i = 0; i < d->ntables; i++)
		for (k = 0; k < p->left[i]; k++)
			p->parts[p->nparts++] = (struct part){ i, k, p->left[i] };
}

struct ps_pgdump_conns {
	struct opener *ops;	/* the main connection, then the workers' */
	int n;
};

struct ps_pgdump_conns *
ps_pgdump_conns_open(const char *conninfo, int jobs)
{
	struct ps_pgdump_conns *k = ps_xmalloc(sizeof(*k));

	/* connected only: the session's settings and the dump's encoding
	 * are set when they are taken, so nothing at all runs on the
	 * target before the restore begins */
	k->n = 1 + jobs_for(jobs, (size_t)-1);
	k->ops = opens_start(conninfo, 1, NULL, NULL, NULL, k->n);
	return k;
}

/* Wait for k's connections into all (k->n of them); k is freed. */
static int
conns_take(struct ps_pgdump_conns *k, PGconn **all, struct ps_error *err)
{
	int rc = opens_finish(k->ops, k->n, all, err);

	free(k);
	return rc;
}

void
ps_pgdump_conns_close(struct ps_pgdump_conns *k)
{
	struct ps_error err = { 0 };
	PGconn **all;
	int n;

	if (!k)
		return;
	n = k->n;
	all = ps_xcalloc((size_t)n, sizeof(*all));
	(void)conns_take(k, all, &err);
	close_all(all, n);
}

/* Take connections opened ahead: the main one into *c, the workers' into
 * a new *conns; each gets the session's settings and the dump's client
 * encoding. */
static int
take_ahead(struct ps_pgdump_conns *k, const struct ps_pgdump *d, PGconn **c,
	   PGconn ***conns, int *nconns, struct ps_error *err)
{
	int n = k->n;
	PGconn **all = ps_xcalloc((size_t)n, sizeof(*all));
	int rc = conns_take(k, all, err);

	for (int i = 0; rc == 0 && i < n; i++)
		rc = pg_setup(all[i], d->encoding, err);
	*c = all[0];
	*nconns = n - 1;
	*conns = ps_xcalloc((size_t)n, sizeof(**conns));
	memcpy(*conns, all + 1, (size_t)(n - 1) * sizeof(**conns));
	free(all);
	return rc;
}

int
ps_pgdump_restore(const struct ps_pgdump_restore_opts *o, const struct ps_pgdump *d,
		  const struct ps_pgdump_source *src, struct ps_error *err)
{
	PGconn *c = NULL, **conns = NULL;
	PGresult *r;
	int jobs = 0, nconns, rc;
	unsigned char *done = ps_xcalloc(d->nentries + 1, 1);
	struct opener *ops = NULL;
	struct pool pool;

	memset(&pool, 0, sizeof(pool));

	if (o->conns) {
		/* opened ahead: all there (or failed) by now */
		rc = take_ahead(o->conns, d, &c, &conns, &nconns, err);
		jobs = nconns;
		if (rc < 0)
			goto fail;
	} else {
		/* the workers connect while the target is checked and
		 * pre-data runs; index builds may use more connections
		 * than there are tables */
		nconns = jobs_for(o->jobs, (size_t)-1);
		ops = opens_start(o->conninfo, 0, d->encoding, NULL, NULL, nconns);
		c = pg_open(o->conninfo, d->encoding, err);
		if (!c)
			goto fail;
	}
	if (o->clean) {
		if (clean_target(c, err) < 0)
			goto fail;
	} else {
		r = query(c, count_user_objects, err, "cannot inspect the target");
		if (!r)
			goto fail;
		if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
			ps_error_set(err, PS_EXIT_USAGE,
				     "the target database is not empty (%s objects); restore"
				     " into an empty database or clean it first",
				     PQgetvalue(r, 0, 0));
			PQclear(r);
			goto fail;
		}
		PQclear(r);
	}
	if (run_entries(c, NULL, 0, d, PS_PGDUMP_PRE, NULL, err) < 0)
		goto fail;
	jobs = nconns;
	if (!conns) {
		conns = ps_xcalloc((size_t)jobs, sizeof(*conns));
		rc = opens_finish(ops, nconns, conns, err);
		ops = NULL;
		if (rc < 0)
			goto fail;
	}
	pool.mode = W_RESTORE;
	pool.d = (struct ps_pgdump *)d;
	pool.src = src;
	pool.cancel = o->cancel;
	plan_early_indexes(&pool, d, done);
	plan_parts(&pool, d, jobs);
	if ((d->ntables || pool.nready) && run_pool(&pool, conns, jobs, err) < 0)
		goto fail;
	if (run_entries(c, conns, jobs, d, PS_PGDUMP_POST, done, err) < 0)
		goto fail;
	close_all(conns, jobs);
	PQfinish(c);
	free(done);
	free(pool.ready);
	free(pool.chain);
	free(pool.head);
	free(pool.parts);
	free(pool.left);
	return 0;
fail:
	if (ops) {
		struct ps_error e2 = { 0 };

		conns = ps_xcalloc((size_t)nconns, sizeof(*conns));
		jobs = nconns;
		(void)opens_finish(ops, nconns, conns, &e2);
	}
	if (conns)
		close_all(conns, jobs);
	PQfinish(c);
	free(done);
	free(pool.ready);
	free(pool.chain);
	free(pool.head);
	free(pool.parts);
	free(pool.left);
	return -1;
}

int
ps_pgdump_check(const char *conninfo, int jobs, const struct ps_pgdump *d,
		struct ps_error *err)
{
	PGconn **conns;
	struct pool pool;
	struct ps_buf bad = { 0 };
	size_t i, nbad = 0;
	int rc = 0;

	jobs = jobs_for(jobs, d->ntables);
	conns = ps_xcalloc((size_t)jobs, sizeof(*conns));
	if (opens_finish(opens_start(conninfo, 0, d->encoding,
				     "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
				     "cannot begin", jobs), jobs, conns, err) < 0) {
		close_all(conns, jobs);
		return -1;
	}
	memset(&pool, 0, sizeof(pool));
	pool.mode = W_CHECK;
	pool.d = (struct ps_pgdump *)d;
	pool.rows = ps_xcalloc(d->ntables + 1, sizeof(uint64_t));
	pool.sums = ps_xcalloc(d->ntables + 1, sizeof(uint64_t));
	if (d->ntables && run_pool(&pool, conns, jobs, err) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < d->ntables; i++) {
		const struct ps_pgdump_table *t = &d->tables[i];

		if (pool.rows[i] == t->rows && pool.sums[i] == t->checksum)
			continue;
		if (nbad++ < 10)
			ps_buf_addf(&bad, "%s%s (%llu rows, want %llu%s)", bad.len ? ", " : "",
				    t->qname, (unsigned long long)pool.rows[i],
				    (unsigned long long)t->rows,
				    pool.sums[i] != t->checksum ? ", checksum differs" : "");
	}
	if (nbad) {
		ps_error_set(err, PS_EXIT_FAIL, "%zu table%s differ%s from the dump: %s%s",
			     nbad, nbad == 1 ? "" : "s", nbad == 1 ? "s" : "",
			     ps_buf_str(&bad), nbad > 10 ? ", ..." : "");
		rc = -1;
	}
out:
	ps_buf_free(&bad);
	free(pool.rows);
	free(pool.sums);
	close_all(conns, jobs);
	return rc;
}

/* ---------------------------------------------------------------- dirs */

char *
ps_pgdump_table_file(const struct ps_pgdump_table *t)
{
	char hex[65];

	ps_sha256_hex(t->qname, strlen(t->qname), hex);
	return ps_xasprintf("data/%.16s.copy", hex);
}

struct dirfile {
	int fd;
	char *path;
	char *buf;		/* writes are gathered here */
	size_t len;
};

#define DIRFILE_BUF (256 * 1024)

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
dir_begin(void *arg, const struct ps_pgdump_table *t, void **stream,
	  struct ps_error *err)
{
	struct dirfile *f = ps_xcalloc(1, sizeof(*f));
	char *rel = ps_pgdump_table_file(t);

	f->path = ps_xasprintf("%s/%s", (const char *)arg, rel);
	free(rel);
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot create '%s': %s", f->path,
			     strerror(errno));
		free(f->path);
		free(f);
		return -1;
	}
	f->buf = ps_xmalloc(DIRFILE_BUF);
	*stream = f;
	return 0;
}

static int
dir_write(void *stream, const void *p, size_t n, struct ps_error *err)
{
	struct dirfile *f = stream;

	if (f->len + n > DIRFILE_BUF) {
		if (write_all(f->fd, f->buf, f->len) < 0)
			goto fail;
		f->len = 0;
	}
	if (n > DIRFILE_BUF) {
		if (write_all(f->fd, p, n) < 0)
			goto fail;
		return 0;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
fail:
	return ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", f->path,
			    strerror(errno));
}

static int
dir_end(void *stream, const struct ps_pgdump_table *t, int ok, struct ps_error *err)
{
	struct dirfile *f = stream;
	int rc = 0;

	if (ok && f->len && write_all(f->fd, f->buf, f->len) < 0)
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", f->path,
				  strerror(errno));
	if (close(f->fd) != 0 && ok && rc == 0)
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", f->path,
				  strerror(errno));
	free(f->buf);
	free(f->path);
	free(f);
	(void)t;
	return rc;
}

int
ps_pgdump_dump_dir(const struct ps_pgdump_opts *o, const char *dir,
		   struct ps_pgdump **out, struct ps_error *err)
{
	struct ps_pgdump_sink sink = { 0 };
	char *data = ps_xasprintf("%s/data", dir), *toc, *path;
	int fd, rc;

	*out = NULL;
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(data, 0700) < 0 && errno != EEXIST)) {
		ps_error_set(err, PS_EXIT_OPER, "cannot create '%s': %s", data,
			     strerror(errno));
		free(data);
		return -1;
	}
	free(data);
	sink.arg = (void *)dir;
	sink.begin = dir_begin;
	sink.write = dir_write;
	sink.end = dir_end;
	if (ps_pgdump_dump(o, &sink, out, err) < 0)
		return -1;
	toc = ps_pgdump_toc_json(*out);
	path = ps_xasprintf("%s/%s", dir, PS_PGDUMP_TOC_NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = fd < 0 || write_all(fd, toc, strlen(toc)) < 0 ? -1 : 0;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	if (rc < 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s", path, strerror(errno));
		ps_pgdump_free(*out);
		*out = NULL;
	}
	free(path);
	free(toc);
	return rc;
}

int
ps_pgdump_read_dir(const char *dir, struct ps_pgdump **out, struct ps_error *err)
{
	struct ps_buf b = { 0 };
	char *path = ps_xasprintf("%s/%s", dir, PS_PGDUMP_TOC_NAME);
	int rc;

	*out = NULL;
	rc = ps_read_file(path, &b, err);
	if (rc == 0)
		rc = ps_pgdump_toc_parse(ps_buf_str(&b), b.len, out, err);
	free(path);
	ps_buf_free(&b);
	return rc;
}

static int
src_open(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	struct dirfile *f = ps_xcalloc(1, sizeof(*f));
	char *rel = ps_pgdump_table_file(t);

	f->path = ps_xasprintf("%s/%s", (const char *)arg, rel);
	free(rel);
	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot open '%s': %s", f->path,
			     strerror(errno));
		free(f->path);
		free(f);
		return -1;
	}
	*stream = f;
	return 0;
}

static ssize_t
src_read(void *stream, void *buf, size_t cap, struct ps_error *err)
{
	struct dirfile *f = stream;
	ssize_t n;

	do
		n = read(f->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s", f->path,
			     strerror(errno));
	return n;
}

static void
src_close(void *stream)
{
	struct dirfile *f = stream;

	close(f->fd);
	free(f->path);
	free(f);
}

int
ps_pgdump_restore_dir(const struct ps_pgdump_restore_opts *o, const char *dir,
		      struct ps_pgdump **out, struct ps_error *err)
{
	struct ps_pgdump_source src = { (void *)dir, src_open, src_read, src_close };
	struct ps_pgdump *d;
	int rc;

	if (out)
		*out = NULL;
	if (ps_pgdump_read_dir(dir, &d, err) < 0)
		return -1;
	rc = ps_pgdump_restore(o, d, &src, err);
	if (out && rc == 0)
		*out = d;
	else
		ps_pgdump_free(d);
	return rc;
}

void
ps_pgdump_remove_dir(const char *dir, const struct ps_pgdump *d)
{
	char *p;
	size_t i;

	for (i = 0; d && i < d->ntables; i++) {
		char *rel = ps_pgdump_table_file(&d->tables[i]);
		p = ps_xasprintf("%s/%s", dir, rel);
		unlink(p);
		free(p);
		free(rel);
	}
	p = ps_xasprintf("%s/%s", dir, PS_PGDUMP_TOC_NAME);
	unlink(p);
	free(p);
	p = ps_xasprintf("%s/data", dir);
	rmdir(p);
	free(p);
	rmdir(dir);
}

json_t *
ps_pgdump_manifest_json(const struct ps_pgdump *d)
{
	json_t *m = json_object(), *tabs = json_array();
	char hex[17];
	size_t i;

	json_object_set_new(m, "database", json_string(d->database ? d->database : ""));
	json_object_set_new(m, "server_version", json_integer(d->server_version));
	json_object_set_new(m, "encoding", json_string(d->encoding));
	json_object_set_new(m, "row_hash", json_string(ps_pgdump_row_hash_name(d->row_hash)));
	for (i = 0; i < d->ntables; i++) {
		const struct ps_pgdump_table *t = &d->tables[i];
		char *file = ps_pgdump_table_file(t);

		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)t->checksum);
		json_array_append_new(tabs, json_pack("{s:s,s:s,s:I,s:I,s:s}", "table", t->qname,
			"file", file, "rows", (json_int_t)t->rows,
			"bytes", (json_int_t)t->bytes, "checksum", hex));
		free(file);
	}
	json_object_set_new(m, "tables", tabs);
	return m;
}
