/*
 * One backup of one set: tar -> zstd -> encryption -> every location at
 * once, then a manifest per location once the data object is durable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmd/ps-backup/run.h"
#include "lib/archive.h"
#include "lib/dbarchive.h"
#include "lib/log.h"
#include "lib/records.h"
#include "lib/time.h"

volatile int bk_interrupted;

struct loc {
	const char *uri;
	struct ps_store *st;
	struct ps_store_writer *w;
	char *objname;
	char *manname;
	char *objuri;
	int failed;
	char error[1024];
};

/*
 * The compressed stream goes through a small queue (OQN buffers of about a
 * MiB) to an output thread that encrypts, hashes and writes it, so the
 * reading/hashing thread and the zstd workers never wait for storage.
 */
#define OQN 4
#define OQBUF (1u << 20)
/* A buffer is pushed once it holds OQBUF bytes; zstd hands over at most
 * ZSTD_CStreamOutSize() (128 KiB) at a time, so this much never grows. */
#define OQCAP (OQBUF + (256u << 10))

struct outq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ps_buf q[OQN];
	size_t head, count;
	int eof;
	int failed;
	struct ps_error err;
	struct ps_buf fill;	/* the producer's buffer being filled */
	struct ps_buf spare[OQN + 1];	/* written buffers, kept for reuse
					 * (no allocation, no page faults
					 * per MiB) */
	size_t nspare;
	pthread_t th;
	int started;
};

struct job {
	struct outq oq;
	struct loc *locs;
	size_t n;
	EVP_MD_CTX *sha;
	uint64_t stored;
	struct ps_crypt_enc *enc;
	/* progress */
	int progress;
	double started;
	double last_draw;
	uint64_t estimate;	/* content bytes of the previous backup */
	int drawn;
	int database;		/* a database set: no file counts */
};

/* Every stored byte: hash it and write it to every live location. */
static int
fanout(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	struct job *j = ctx;
	size_t alive = 0;
	const char *last = "unknown error";

	if (bk_interrupted)
		return ps_error_set(err, PS_EXIT_OPER, "interrupted");
	EVP_DigestUpdate(j->sha, p, n);
	j->stored += n;
	for (size_t i = 0; i < j->n; i++) {
		struct loc *l = &j->locs[i];
		struct ps_error e = {0};

		if (l->failed) {
			last = l->error;
			continue;
		}
		if (ps_store_put_write(l->w, p, n, &e) < 0) {
			l->failed = 1;
			snprintf(l->error, sizeof(l->error), "%s", e.msg);
			ps_store_put_abort(l->w);
			l->w = NULL;
			ps_log_error("%s: %s", l->uri, e.msg);
			last = l->error;
			continue;
		}
		alive++;
	}
	if (!alive)
		return ps_error_set(err, PS_EXIT_OPER, "every location failed (last: %s)", last);
	return 0;
}

static int
store_out(struct job *j, const void *p, size_t n, struct ps_error *err)
{
	if (j->enc)
		return ps_crypt_enc_update(j->enc, p, n, err);
	return fanout(j, p, n, err);
}

static void *
out_thread(void *arg)
{
	struct job *j = arg;
	struct outq *q = &j->oq;

	for (;;) {
		struct ps_buf b;
		struct ps_error e = {0};

		pthread_mutex_lock(&q->mu);
		while (q->count == 0 && !q->eof)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->count == 0) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		b = q->q[q->head];
		memset(&q->q[q->head], 0, sizeof(b));
		q->head = (q->head + 1) % OQN;
		q->count--;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (!q->failed && store_out(j, b.data, b.len, &e) < 0) {
			pthread_mutex_lock(&q->mu);
			q->failed = 1;
			q->err = e;
			pthread_cond_broadcast(&q->cv);
			pthread_mutex_unlock(&q->mu);
		}
		pthread_mutex_lock(&q->mu);
		if (q->nspare < OQN + 1) {
			ps_buf_reset(&b);
			q->spare[q->nspare++] = b;
			memset(&b, 0, sizeof(b));
		}
		pthread_mutex_unlock(&q->mu);
		ps_buf_free(&b);
	}
}

/* An empty buffer to fill: a written one, or a new one of OQCAP bytes. */
static void
fill_buffer(struct outq *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->nspare)
		q->fill = q->spare[--q->nspare];
	pthread_mutex_unlock(&q->mu);
	if (!q->fill.data) {
		q->fill.data = ps_xmalloc(OQCAP);
		q->fill.cap = OQCAP;
		q->fill.data[0] = 0;
	}
}

/* Queue the filled buffer; -1 with err once the output thread failed. */
static int
out_push(struct job *j, struct ps_error *err)
{
	struct outq *q = &j->oq;

	pthread_mutex_lock(&q->mu);
	while (q->count == OQN && !q->failed)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->failed) {
		ps_error_set(err, q->err.code ? q->err.code : PS_EXIT_OPER, "%s", q->err.msg);
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	q->q[(q->head + q->count) % OQN] = q->fill;
	q->count++;
	memset(&q->fill, 0, sizeof(q->fill));
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static int
archive_out(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	struct job *j = ctx;

	if (!j->oq.started)
		return store_out(j, p, n, err);
	if (!j->oq.fill.data)
		fill_buffer(&j->oq);
	ps_buf_add(&j->oq.fill, p, n);
	if (j->oq.fill.len >= OQBUF)
		return out_push(j, err);
	return 0;
}

/* Flush the queue and stop the output thread; its error, if any. */
static int
out_finish(struct job *j, int flush, struct ps_error *err)
{
	struct outq *q = &j->oq;
	int rc = 0;

	if (!q->started)
		return 0;
	if (flush && q->fill.len && out_push(j, err) < 0)
		rc = -1;
	pthread_mutex_lock(&q->mu);
	q->eof = 1;
	if (!flush)
		q->failed = 1;	/* drop what is queued */
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	q->started = 0;
	if (rc == 0 && flush && q->failed)
		rc = ps_error_set(err, q->err.code ? q->err.code : PS_EXIT_OPER, "%s", q->err.msg);
	for (size_t i = 0; i < OQN; i++)
		ps_buf_free(&q->q[i]);
	for (size_t i = 0; i < q->nspare; i++)
		ps_buf_free(&q->spare[i]);
	q->nspare = 0;
	ps_buf_free(&q->fill);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	return rc;
}

static void
on_warn(void *ctx, const char *msg)
{
	ps_log_warn("%s", msg);
}

static void
draw(struct job *j, const struct ps_archive_stats *st, int final)
{
	char done[32], rate[32], eta[48] = "";
	double now = ps_time_now(), el = now - j->started;

	if (!final && now - j->last_draw < 0.25)
		return;
	j->last_draw = now;
	ps_size_human(st->bytes, done, sizeof(done));
	ps_size_human(el > 0 ? (unsigned long long)((double)st->bytes / el) : 0, rate,
		       sizeof(rate));
	if (!final && j->estimate > st->bytes && st->bytes > 0 && el > 0.5) {
		double left = (double)(j->estimate - st->bytes) / ((double)st->bytes / el);
		snprintf(eta, sizeof(eta), "  ETA %d:%02d", (int)(left / 60), (int)left % 60);
	}
	if (j->database)
		fprintf(stderr, "\r\033[K  %s dumped, %s/s%s", done, rate, eta);
	else
		fprintf(stderr, "\r\033[K  %s read, %llu files, %s/s%s", done,
			(unsigned long long)st->files, rate, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
	j->drawn = 1;
}

static void
on_progress(void *ctx, const struct ps_archive_stats *st)
{
	struct job *j = ctx;

	if (j->progress)
		draw(j, st, 0);
}

/* The content bytes of the newest backup of the set in a store (ETA). */
static uint64_t
previous_size(struct ps_store *st, const char *set)
{
	struct ps_backup_listing l;
	struct ps_error e = {0};
	uint64_t n = 0;

	if (ps_backup_list(st, set, &l, &e) < 0)
		return 0;
	if (l.len)
		n = l.v[l.len - 1].content_bytes;
	ps_backup_listing_free(&l);
	return n;
}

/* The source part of a database set's manifest, and its table figures. */
static void
database_json(json_t *m, json_t *src, const struct ps_pgdump *d, uint64_t segments)
{
	json_t *dj = ps_pgdump_manifest_json(d);
	json_int_t rows = 0;
	size_t i;

	json_object_set(src, "database", json_object_get(dj, "database"));
	json_object_set(src, "server_version", json_object_get(dj, "server_version"));
	json_object_set(src, "encoding", json_object_get(dj, "encoding"));
	json_object_set(src, "row_hash", json_object_get(dj, "row_hash"));
	json_object_set(m, "tables", json_object_get(dj, "tables"));
	for (i = 0; i < d->ntables; i++)
		rows += (json_int_t)d->tables[i].rows;
	json_object_set_new(m, "counts",
		json_pack("{sI sI sI}", "tables", (json_int_t)d->ntables, "rows", rows,
			  "segments", (json_int_t)segments));
	json_decref(dj);
}

static json_t *
manifest_json(const struct ps_backup_set *s, const char *id, const char *objname,
	      const char *created, const char *finished,
	      const struct ps_archive_stats *as, uint64_t stored, const char *sha,
	      const struct ps_crypt_header *h, const struct ps_pgdump *dump)
{
	json_t *m = json_object(), *src = json_object(), *paths = json_array(),
	       *ex = json_array();
	char host[256] = "";

	json_object_set_new(m, "format", json_integer(1));
	json_object_set_new(m, "id", json_string(id));
	json_object_set_new(m, "set", json_string(s->name));
	json_object_set_new(m, "kind", json_string(dump ? "database" : "files"));
	json_object_set_new(m, "object", json_string(objname));
	json_object_set_new(m, "created_at", json_string(created));
	json_object_set_new(m, "finished_at", json_string(finished));
	json_object_set_new(m, "tool", json_string("ps-backup"));
	json_object_set_new(m, "tool_version", json_string(PS_VERSION));
	gethostname(host, sizeof(host) - 1);
	json_object_set_new(src, "host", json_string(host));
	if (dump) {
		json_decref(paths);
		json_decref(ex);
		json_object_set_new(m, "source", src);
		database_json(m, src, dump, as->files);
		goto sizes;
	}
	for (size_t i = 0; i < s->npaths; i++) {
		json_t *p = json_object();
		json_object_set_new(p, "path", json_string(s->abs_paths[i]));
		json_object_set_new(p, "name", json_string(s->abs_paths[i] + 1));
		json_array_append_new(paths, p);
	}
	json_object_set_new(src, "paths", paths);
	for (const char *const *e = s->exclude; e && *e; e++)
		json_array_append_new(ex, json_string(*e));
	json_object_set_new(src, "exclude", ex);
	json_object_set_new(m, "source", src);
	json_object_set_new(m, "counts",
		json_pack("{sI sI sI sI sI}", "files", (json_int_t)as->files,
			  "dirs", (json_int_t)as->dirs, "symlinks", (json_int_t)as->symlinks,
			  "hardlinks", (json_int_t)as->hardlinks,
			  "skipped", (json_int_t)as->skipped));
sizes:
	json_object_set_new(m, "sizes",
		json_pack("{sI sI sI sI}", "content_bytes", (json_int_t)as->bytes,
			  "tar_bytes", (json_int_t)as->tar_bytes,
			  "compressed_bytes", (json_int_t)as->zst_bytes,
			  "stored_bytes", (json_int_t)stored));
	json_object_set_new(m, "digests",
		json_pack("{ss ss}", "object_sha256", sha, "index_sha256", as->index_sha256));
	json_object_set_new(m, "compression",
		json_pack("{ss sI}", "algorithm", "zstd", "level", (json_int_t)s->level));
	json_object_set_new(m, "archive",
		json_pack("{ss ss}", "format", "pax", "index", PS_ARCHIVE_INDEX_NAME));
	if (h) {
		char kid[17], np[17];
		json_t *e;

		ps_crypt_key_id_hex(h->key_id, kid);
		ps_hex(h->nonce_prefix, 8, np);
		e = json_pack("{ss si si si ss ss ss}", "cipher", "AES-256-GCM",
			      "format_version", h->version, "cipher_id", h->cipher,
			      "chunk_size", (int)h->chunk_size, "key_id", kid,
			      "nonce_prefix", np,
			      "kdf", h->kdf == PS_CRYPT_KDF_SCRYPT ? "scrypt" : "none");
		if (h->kdf == PS_CRYPT_KDF_SCRYPT) {
			char salt[33];
			ps_hex(h->salt, PS_CRYPT_SALT_LEN, salt);
			json_object_set_new(e, "scrypt",
				json_pack("{ss si si si}", "salt", salt, "log2_n", h->scrypt_logn,
					  "r", h->scrypt_r, "p", h->scrypt_p));
		}
		json_object_set_new(m, "encryption", e);
	} else {
		json_object_set_new(m, "encryption", json_null());
	}
	return m;
}

static void
emit(const struct bk_opts *o, json_t *rec)
{
	if (o->format == PS_FMT_JSON)
		ps_rec_write(o->out, rec);
}

int
bk_run_set(const struct ps_backup_config *c, const struct ps_backup_set *s,
	   const struct bk_opts *o)
{
	struct job j = {0};
	struct ps_crypt_key key;
	struct ps_crypt_header hdr;
	struct ps_archive_wopts wo = {0};
	struct ps_archive_sink sink = { archive_out, &j };
	struct ps_crypt_sink csink = { fanout, &j };
	struct ps_archive_writer *aw = NULL;
	struct ps_archive_stats as = {0};
	struct ps_pgdump *dump = NULL;
	struct ps_error err = {0};
	char id[32], created[40], finished[40], sha[65] = "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	double t0 = ps_time_now();
	int have_key = 0, warn = 0, status = PS_EXIT_OK, ok_locs = 0;
	json_t *rec, *locs;

	if (ps_backup_set_key(s, &key, &have_key, &warn, &err) < 0) {
		ps_log_error("backup.%s: %s", s->name, err.msg);
		return err.code ? err.code : PS_EXIT_USAGE;
	}
	if (warn)
		ps_log_warn("key file '%s' is readable by others; chmod 600 it", s->enc_value);
	if (ps_backup_id_new((time_t)t0, id, &err) < 0) {
		ps_log_error("%s", err.msg);
		status = PS_EXIT_OPER;
		goto done_key;
	}
	ps_time_format((double)(time_t)t0, created, sizeof(created));
	j.n = s->nlocations;
	j.locs = ps_xcalloc(j.n, sizeof(*j.locs));
	j.sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(j.sha, EVP_sha256(), NULL);
	j.progress = o->progress;
	j.started = t0;
	j.database = s->has_database;
	for (size_t i = 0; i < j.n; i++) {
		struct loc *l = &j.locs[i];
		struct ps_error e = {0};

		l->uri = s->locations[i];
		l->objname = ps_backup_object_name(s->name, id, have_key);
		l->manname = ps_backup_manifest_name(s->name, id);
		l->st = ps_backup_store_open(c, s, l->uri, &e);
		if (l->st) {
			l->objuri = ps_store_object_uri(l->st, l->objname);
			if (o->progress && !j.estimate)
				j.estimate = previous_size(l->st, s->name);
			l->w = ps_store_put_begin(l->st, l->objname, &e);
		}
		if (!l->st || !l->w) {
			l->failed = 1;
			snprintf(l->error, sizeof(l->error), "%s", e.msg);
			ps_log_error("%s: %s", l->uri, e.msg);
		}
	}
	for (size_t i = 0; i < j.n; i++)
		if (!j.locs[i].failed)
			ok_locs++;
	if (!ok_locs) {
		ps_error_set(&err, PS_EXIT_OPER, "no location could be opened");
		goto fail;
	}
	if (have_key) {
		j.enc = ps_crypt_enc_new(&key, &csink, &hdr, &err);
		if (!j.enc)
			goto fail;
	}
	wo.level = (int)s->level;
	wo.threads = s->threads ? (int)s->threads : 0;
	wo.exclude = s->exclude;
	wo.warn = on_warn;
	wo.progress = on_progress;
	wo.ctx = &j;
	aw = ps_archive_writer_new(&wo, &sink, &err);
	if (!aw)
		goto fail;
	pthread_mutex_init(&j.oq.mu, NULL);
	pthread_cond_init(&j.oq.cv, NULL);
	if (pthread_create(&j.oq.th, NULL, out_thread, &j) == 0) {
		j.oq.started = 1;
	} else {
		pthread_mutex_destroy(&j.oq.mu);
		pthread_cond_destroy(&j.oq.cv);
	}
	for (size_t i = 0; i < s->npaths; i++) {
		struct stat sb;
		if (strcmp(s->abs_paths[i], "/") == 0) {
			ps_error_set(&err, PS_EXIT_USAGE,
				     "backup.%s: paths: '/' cannot be backed up as a whole; list its directories",
				     s->name);
			goto fail;
		}
		if (lstat(s->abs_paths[i], &sb) < 0) {
			ps_error_set(&err, PS_EXIT_OPER, "backup.%s: cannot read '%s': %s",
				     s->name, s->abs_paths[i], strerror(errno));
			goto fail;
		}
		if (ps_archive_add_tree(aw, s->abs_paths[i], s->abs_paths[i] + 1, &err) < 0)
			goto fail;
	}
	if (s->has_database) {
		struct ps_pgdump_opts po = {
			.conninfo = s->db_url, .jobs = (int)s->db_jobs,
			.no_owner = s->db_no_owner, .no_privileges = s->db_no_privileges,
			.cancel = &bk_interrupted,
		};
		if (ps_dbarchive_dump(&po, aw, (int64_t)t0, &dump, &err) < 0) {
			char msg[sizeof(err.msg)];
			snprintf(msg, sizeof(msg), "%s", err.msg);
			ps_error_set(&err, err.code, "database: %s", msg);
			goto fail;
		}
	}
	if (ps_archive_writer_finish(aw, &as, &err) < 0)
		goto fail;
	if (out_finish(&j, 1, &err) < 0)
		goto fail;
	if (j.enc && ps_crypt_enc_finish(j.enc, &err) < 0)
		goto fail;
	if (j.progress && j.drawn)
		draw(&j, &as, 1);
	EVP_DigestFinal_ex(j.sha, md, &mdlen);
	ps_hex(md, mdlen, sha);
	/* Data first, durable; then the manifest that makes it a backup. */
	for (size_t i = 0; i < j.n; i++) {
		struct loc *l = &j.locs[i];
		struct ps_error e = {0};
		json_t *m;
		char *text;

		if (l->failed)
			continue;
		if (bk_interrupted) {
			ps_store_put_abort(l->w);
			l->w = NULL;
			l->failed = 1;
			snprintf(l->error, sizeof(l->error), "interrupted");
			continue;
		}
		if (ps_store_put_commit(l->w, &e) < 0) {
			l->w = NULL;
			l->failed = 1;
			snprintf(l->error, sizeof(l->error), "%s", e.msg);
			ps_log_error("%s: %s", l->uri, e.msg);
			continue;
		}
		l->w = NULL;
		ps_time_format(ps_time_now(), finished, sizeof(finished));
		m = manifest_json(s, id, l->objname, created, finished, &as, j.stored, sha,
				  have_key ? &hdr : NULL, dump);
		text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(m);
		if (ps_store_put_small(l->st, l->manname, text, strlen(text), &e) < 0) {
			l->failed = 1;
			snprintf(l->error, sizeof(l->error), "%s", e.msg);
			ps_log_error("%s: manifest: %s", l->uri, e.msg);
			/* without its manifest the data object is an orphan: remove it */
			ps_store_delete(l->st, l->objname, NULL);
		}
		free(text);
	}
	goto report;
fail:
	out_finish(&j, 0, NULL);
	if (err.code == 0)
		ps_error_set(&err, PS_EXIT_OPER, "backup failed");
	if (j.progress && j.drawn)
		fputc('\n', stderr);
	ps_log_error("backup.%s: %s", s->name, err.msg);
	for (size_t i = 0; i < j.n; i++) {
		struct loc *l = &j.locs[i];
		if (l->w) {
			ps_store_put_abort(l->w);
			l->w = NULL;
		}
		if (!l->failed) {
			l->failed = 1;
			snprintf(l->error, sizeof(l->error), "%s", err.msg);
		}
	}
report:
	ps_time_format(ps_time_now(), finished, sizeof(finished));
	rec = ps_rec_new("backup", "ps-backup");
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "set", json_string(s->name));
	locs = json_array();
	ok_locs = 0;
	for (size_t i = 0; i < j.n; i++) {
		struct loc *l = &j.locs[i];
		json_t *lj = json_object();

		json_object_set_new(lj, "location", json_string(l->uri));
		if (l->objuri)
			json_object_set_new(lj, "object", json_string(l->objuri));
		json_object_set_new(lj, "status", json_string(l->failed ? "failed" : "ok"));
		if (l->failed)
			json_object_set_new(lj, "error", json_string(l->error));
		else if (!ok_locs++) {
			json_object_set_new(rec, "location", json_string(l->uri));
			json_object_set_new(rec, "object", json_string(l->objuri));
		}
		json_array_append_new(locs, lj);
	}
	if (status == PS_EXIT_OK && (size_t)ok_locs != j.n)
		status = err.code == PS_EXIT_USAGE ? PS_EXIT_USAGE : PS_EXIT_OPER;
	json_object_set_new(rec, "status", json_string(status ? "failed" : "ok"));
	json_object_set_new(rec, "bytes", json_integer((json_int_t)as.bytes));
	json_object_set_new(rec, "stored_bytes", json_integer((json_int_t)j.stored));
	if (sha[0])
		json_object_set_new(rec, "sha256", json_string(sha));
	json_object_set_new(rec, "encrypted", json_boolean(have_key));
	json_object_set_new(rec, "started_at", json_string(created));
	json_object_set_new(rec, "finished_at", json_string(finished));
	json_object_set_new(rec, "duration_s", json_real(ps_time_now() - t0));
	if (s->has_database) {
		json_int_t rows = 0;
		for (size_t i = 0; dump && i < dump->ntables; i++)
			rows += (json_int_t)dump->tables[i].rows;
		json_object_set_new(rec, "kind", json_string("database"));
		json_object_set_new(rec, "contents",
			json_pack("{sI sI}", "tables", (json_int_t)(dump ? dump->ntables : 0),
				  "rows", rows));
	} else {
		json_object_set_new(rec, "kind", json_string("files"));
		json_object_set_new(rec, "contents",
			json_pack("{sI sI sI sI sI}", "files", (json_int_t)as.files,
				  "dirs", (json_int_t)as.dirs,
				  "symlinks", (json_int_t)as.symlinks,
				  "hardlinks", (json_int_t)as.hardlinks,
				  "skipped", (json_int_t)as.skipped));
	}
	json_object_set_new(rec, "locations", locs);
	if (status && err.code)
		json_object_set_new(rec, "error", json_string(err.msg));
	emit(o, rec);
	json_decref(rec);
	if (o->format == PS_FMT_TEXT) {
		char a[32], b[32];
		ps_size_human(as.bytes, a, sizeof(a));
		ps_size_human(j.stored, b, sizeof(b));
		if (s->has_database)
			fprintf(o->out, "%s %s: %s, %zu tables, %s dumped, %s stored, %d/%zu locations\n",
				s->name, id, status ? "FAILED" : "ok",
				dump ? dump->ntables : (size_t)0, a, b, ok_locs, j.n);
		else
			fprintf(o->out, "%s %s: %s, %llu files, %s stored, %d/%zu locations\n",
				s->name, id, status ? "FAILED" : "ok",
				(unsigned long long)as.files, b, ok_locs, j.n);
	}
	for (size_t i = 0; i < j.n; i++) {
		struct loc *l = &j.locs[i];
		if (l->w)
			ps_store_put_abort(l->w);
		ps_store_close(l->st);
		free(l->objname);
		free(l->manname);
		free(l->objuri);
	}
	free(j.locs);
	ps_crypt_enc_free(j.enc);
	ps_archive_writer_free(aw);
	ps_pgdump_free(dump);
	EVP_MD_CTX_free(j.sha);
done_key:
	if (have_key)
		ps_crypt_key_free(&key);
	return status;
}

/* ---- retention ---- */

static void
prune_rec(const struct bk_opts *o, const struct ps_backup_set *s, const char *loc,
	  const char *id, const char *object, const char *status, const char *reason,
	  const char *error)
{
	json_t *r = ps_rec_new("prune", "ps-backup");

	json_object_set_new(r, "set", json_string(s->name));
	json_object_set_new(r, "location", json_string(loc));
	if (id)
		json_object_set_new(r, "id", json_string(id));
	json_object_set_new(r, "object", json_string(object));
	json_object_set_new(r, "status", json_string(status));
	if (reason)
		json_object_set_new(r, "reason", json_string(reason));
	json_object_set_new(r, "dry_run", json_boolean(o->dry_run));
	if (error)
		json_object_set_new(r, "error", json_string(error));
	emit(o, r);
	json_decref(r);
	if (o->format == PS_FMT_TEXT)
		fprintf(o->out, "prune %s %s: %s %s%s%s%s\n", s->name, loc, status,
			id ? id : object, reason ? " (" : "", reason ? reason : "",
			reason ? ")" : "");
}

static int
prune_location(const struct ps_backup_config *c, const struct ps_backup_set *s,
	       const char *uri, const struct bk_opts *o)
{
	struct ps_error e = {0};
	struct ps_store *st = ps_backup_store_open(c, s, uri, &e);
	struct ps_backup_listing l;
	time_t now = time(NULL), newest = 0;
	int *ok, *del, rc = PS_EXIT_OK;
	const char **why;
	char reason[64];

	if (!st || ps_backup_list(st, s->name, &l, &e) < 0) {
		ps_log_error("%s: cannot list backups: %s", uri, e.msg);
		ps_store_close(st);
		return PS_EXIT_OPER;
	}
	ok = ps_xcalloc(l.len + 1, sizeof(int));
	del = ps_xcalloc(l.len + 1, sizeof(int));
	why = ps_xcalloc(l.len + 1, sizeof(char *));
	for (size_t i = 0; i < l.len; i++)
		ok[i] = ps_backup_listing_ok(&l, i);
	ps_backup_retention(l.v, ok, l.len, now, s->retention, &s->keep, del, why);
	if (s->retention >= 0)
		snprintf(reason, sizeof(reason), "older than %ld days", s->retention);
	else
		snprintf(reason, sizeof(reason), "not chosen by the keep policy");
	for (size_t i = 0; i < l.len; i++) {
		char *man;

		if (l.v[i].created > newest)
			newest = l.v[i].created;
		if (!del[i])
			continue;
		if (o->dry_run) {
			prune_rec(o, s, uri, l.v[i].id, l.v[i].object, "would-delete", reason, NULL);
			continue;
		}
		/* manifest first: from then on the backup no longer exists */
		man = ps_backup_manifest_name(s->name, l.v[i].id);
		if (ps_store_delete(st, man, &e) < 0 ||
		    ps_store_delete(st, l.v[i].object, &e) < 0) {
			prune_rec(o, s, uri, l.v[i].id, l.v[i].object, "failed", reason, e.msg);
			rc = PS_EXIT_OPER;
		} else {
			prune_rec(o, s, uri, l.v[i].id, l.v[i].object, "deleted", reason, NULL);
		}
		free(man);
	}
	/* Orphans: data without a manifest (an interrupted run). Those older
	 * than the newest complete backup cannot be a run in progress. */
	for (size_t i = 0; i < l.norphans; i++) {
		time_t t = 0;
		const char *base = strrchr(l.orphans[i], '/');
		char idb[32];

		snprintf(idb, sizeof(idb), "%.21s", base ? base + 1 : l.orphans[i]);
		ps_backup_id_parse(idb, &t);
		if (t && newest && t < newest && !o->dry_run) {
			if (ps_store_delete(st, l.orphans[i], &e) < 0) {
				prune_rec(o, s, uri, idb, l.orphans[i], "failed",
					  "orphaned data object (no manifest)", e.msg);
				rc = PS_EXIT_OPER;
			} else {
				prune_rec(o, s, uri, idb, l.orphans[i], "deleted",
					  "orphaned data object (no manifest)", NULL);
			}
		} else {
			prune_rec(o, s, uri, idb, l.orphans[i],
				  o->dry_run && t && newest && t < newest ? "would-delete" : "orphan",
				  "orphaned data object (no manifest)", NULL);
		}
	}
	for (size_t i = 0; i < l.nmissing; i++)
		ps_log_warn("%s: backup %s has a manifest but its data object is missing or has the wrong size",
			    uri, l.missing[i]);
	for (size_t i = 0; i < l.nbad; i++)
		ps_log_warn("%s: '%s' is not a valid manifest", uri, l.bad[i]);
	free(ok);
	free(del);
	free(why);
	ps_backup_listing_free(&l);
	ps_store_close(st);
	return rc;
}

int
bk_prune_set(const struct ps_backup_config *c, const struct ps_backup_set *s,
	     const struct bk_opts *o)
{
	int rc = PS_EXIT_OK;

	for (size_t i = 0; i < s->nlocations; i++) {
		int r = prune_location(c, s, s->locations[i], o);
		if (r > rc)
			rc = r;
	}
	return rc;
}
