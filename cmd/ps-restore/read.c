/*
 * Finding a backup and reading its object back: the stored bytes are
 * hashed (the manifest's object digest), decrypted chunk by chunk (each
 * authenticated before use) and handed to the archive reader.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "cmd/ps-restore/read.h"
#include "lib/log.h"

#define RAW_BUF (256u << 10)

static int
find_in(struct ps_store *st, const char *set, const char *id, struct ps_backup_manifest *m,
	struct ps_error *err)
{
	if (strcmp(id, "latest") == 0) {
		struct ps_backup_listing l;
		size_t i;

		if (ps_backup_list(st, set, &l, err) < 0)
			return -1;
		/* the newest backup whose data object is there */
		for (i = l.len; i > 0; i--)
			if (ps_backup_listing_ok(&l, i - 1))
				break;
		if (i == 0) {
			ps_backup_listing_free(&l);
			return 1;
		}
		*m = l.v[i - 1];
		memset(&l.v[i - 1], 0, sizeof(l.v[i - 1]));
		ps_backup_listing_free(&l);
		return 0;
	} else {
		struct ps_buf text = {0};
		struct ps_store_entry e;
		char *name = ps_backup_manifest_name(set, id);
		int r = ps_store_stat(st, name, &e, err);

		if (r != 0) {
			free(name);
			return r;
		}
		ps_store_entry_free(&e);
		r = ps_store_get_all(st, name, &text, err);
		free(name);
		if (r == 0)
			r = ps_backup_manifest_parse(ps_buf_str(&text), text.len, m, err);
		ps_buf_free(&text);
		if (r == 0 && (strcmp(m->id, id) != 0 || strcmp(m->set, set) != 0)) {
			ps_backup_manifest_free(m);
			return ps_error_set(err, PS_EXIT_FAIL,
					    "manifest of %s does not describe that backup", id);
		}
		return r;
	}
}

int
rs_find(const struct ps_backup_config *c, const struct ps_backup_set *s, const char *id,
	const char *from, struct rs_found *f)
{
	const char *const *locs = s->locations;
	const char *one[2] = { from, NULL };
	int worst = 0;

	memset(f, 0, sizeof(*f));
	if (strcmp(id, "latest") != 0 && !ps_backup_id_parse(id, NULL)) {
		ps_log_error("'%s' is not a backup id (like 20261126T010000Z-7f3a) or 'latest'", id);
		return PS_EXIT_USAGE;
	}
	if (from)
		locs = one;
	for (size_t i = 0; locs && locs[i]; i++) {
		struct ps_error e = {0};
		struct ps_store *st = ps_backup_store_open(c, s, locs[i], &e);
		int r;

		if (!st) {
			ps_log_warn("%s: %s", locs[i], e.msg);
			worst = e.code > worst ? e.code : worst;
			continue;
		}
		r = find_in(st, s->name, id, &f->m, &e);
		if (r == 0) {
			f->st = st;
			f->location = locs[i];
			return 0;
		}
		if (r < 0) {
			ps_log_warn("%s: %s", locs[i], e.msg);
			worst = e.code > worst ? e.code : worst;
		}
		ps_store_close(st);
	}
	if (worst) {
		ps_log_error("backup %s of set '%s' not found in any readable location", id, s->name);
		return worst;
	}
	ps_log_error("no backup %s of set '%s' in %s", id, s->name,
		     from ? from : "its locations");
	return PS_EXIT_FAIL;
}

void
rs_found_free(struct rs_found *f)
{
	ps_backup_manifest_free(&f->m);
	ps_store_close(f->st);
	memset(f, 0, sizeof(*f));
}

/* ---- the source the archive reader pulls from ----
 *
 * A reader thread reads the stored object, hashes it and decrypts it into a
 * small queue of plaintext buffers (QN of about a MiB), so that reading,
 * decryption, decompression and parsing with hashing each run in a thread
 * of their own.
 */

#define QN 4
#define QBUF (1u << 20)
/* A plaintext buffer's size: QBUF and the largest piece added past it
 * (a decrypted chunk or a raw read), so that filling never reallocates. */
#define FILLCAP (2u * QBUF + RAW_BUF)
#define NSPARE (QN + 2)

struct src {
	struct ps_store_reader *r;
	struct ps_crypt_dec *dec;
	EVP_MD_CTX *sha;
	const struct ps_backup_manifest *m;
	unsigned char *raw;
	uint64_t nraw;
	struct ps_buf fill;	/* reader thread: the buffer being filled */
	/* the queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ps_buf q[QN];
	size_t head, count;
	struct ps_buf spare[NSPARE];	/* emptied buffers, for the reader */
	size_t nspare;
	int done, stop;
	struct ps_error err;	/* the reader thread's failure */
	/* consumer side */
	struct ps_buf cur;
	size_t off;
};

static int
to_plain(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	struct src *s = ctx;

	ps_buf_add(&s->fill, p, n);
	return 0;
}

/* At the end of the object: the size and digest must be the manifest's. */
static int
check_object(struct src *s, struct ps_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char hex[65];

	EVP_DigestFinal_ex(s->sha, md, &len);
	ps_hex(md, len, hex);
	if (s->nraw != s->m->stored_bytes)
		return ps_error_set(err, PS_EXIT_FAIL,
				    "the backup object has %llu bytes, its manifest says %llu: it is truncated or was altered",
				    (unsigned long long)s->nraw,
				    (unsigned long long)s->m->stored_bytes);
	if (strcmp(hex, s->m->object_sha256) != 0)
		return ps_error_set(err, PS_EXIT_FAIL,
				    "the backup object's SHA-256 %.16s... differs from its manifest's %.16s...: it was altered",
				    hex, s->m->object_sha256);
	return 0;
}

/* Give the reader an empty buffer to fill: a spare one, else a new one. */
static void
fill_start(struct src *s)
{
	if (s->fill.data)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->nspare)
		s->fill = s->spare[--s->nspare];
	pthread_mutex_unlock(&s->mu);
	if (!s->fill.data) {
		s->fill.data = ps_xmalloc(FILLCAP);
		s->fill.cap = FILLCAP;
	}
	s->fill.len = 0;
}

/* Hand the filled buffer to the queue; -1 when the consumer stopped. */
static int
push(struct src *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->count == QN && !s->stop)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->stop) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	s->q[(s->head + s->count) % QN] = s->fill;
	s->count++;
	memset(&s->fill, 0, sizeof(s->fill));
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void *
reader(void *arg)
{
	struct src *s = arg;
	struct ps_error err = {0};
	int failed = 0;

	for (;;) {
		ssize_t r;

		fill_start(s);
		r = ps_store_get_read(s->r, s->raw, RAW_BUF, &err);

		if (r < 0) {
			failed = 1;
			break;
		}
		if (r == 0) {
			if (check_object(s, &err) < 0 ||
			    (s->dec && ps_crypt_dec_finish(s->dec, &err) < 0))
				failed = 1;
			else if (s->fill.len && push(s) < 0)
				failed = 2;
			break;
		}
		EVP_DigestUpdate(s->sha, s->raw, (size_t)r);
		s->nraw += (uint64_t)r;
		if (s->nraw > s->m->stored_bytes) {
			ps_error_set(&err, PS_EXIT_FAIL,
				     "the backup object is longer than its manifest says: it was altered");
			failed = 1;
			break;
		}
		if (!s->dec)
			ps_buf_add(&s->fill, s->raw, (size_t)r);
		else if (ps_crypt_dec_update(s->dec, s->raw, (size_t)r, &err) < 0) {
			failed = 1;
			break;
		}
		if (s->fill.len >= QBUF && push(s) < 0) {
			failed = 2;
			break;
		}
	}
	pthread_mutex_lock(&s->mu);
	if (failed == 1)
		s->err = err;
	s->done = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static ssize_t
src_read(void *ctx, void *buf, size_t n, struct ps_error *err)
{
	struct src *s = ctx;
	size_t take;

	while (s->off >= s->cur.len) {
		s->off = 0;
		pthread_mutex_lock(&s->mu);
		if (s->cur.data && s->nspare < NSPARE) {	/* the reader reuses it */
			s->spare[s->nspare++] = s->cur;
			memset(&s->cur, 0, sizeof(s->cur));
		}
		ps_buf_free(&s->cur);
		while (s->count == 0 && !s->done)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->count == 0) {
			int failed = s->err.code != 0;
			if (failed)
				ps_error_set(err, s->err.code, "%s", s->err.msg);
			pthread_mutex_unlock(&s->mu);
			return failed ? -1 : 0;
		}
		s->cur = s->q[s->head];
		memset(&s->q[s->head], 0, sizeof(s->q[s->head]));
		s->head = (s->head + 1) % QN;
		s->count--;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	take = s->cur.len - s->off;
	if (take > n)
		take = n;
	memcpy(buf, s->cur.data + s->off, take);
	s->off += take;
	return (ssize_t)take;
}

int
rs_read(struct rs_found *f, const struct ps_crypt_key *key,
	const struct ps_archive_ropts *opts, struct ps_archive_result *res,
	struct ps_error *err)
{
	struct src s = { .m = &f->m };
	struct ps_archive_source as = { src_read, &s };
	struct ps_crypt_sink sink = { to_plain, &s };
	pthread_t th;
	int rc;

	memset(res, 0, sizeof(*res));
	if (f->m.encrypted) {
		if (!key)
			return ps_error_set(err, PS_EXIT_USAGE,
					    "backup %s is encrypted: the set needs an encryption key",
					    f->m.id);
		if (key->kdf == PS_CRYPT_KDF_NONE) {
			char kid[17];
			ps_crypt_key_id_hex(key->id, kid);
			if (strcmp(kid, f->m.key_id) != 0)
				return ps_error_set(err, PS_EXIT_USAGE,
						    "wrong key for backup %s: it was encrypted with key id %s, the configured key has id %s",
						    f->m.id, f->m.key_id, kid);
		}
		s.dec = ps_crypt_dec_new(key, &sink);
	}
	s.r = ps_store_get_open(f->st, f->m.object, err);
	if (!s.r) {
		ps_crypt_dec_free(s.dec);
		return -1;
	}
	s.sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(s.sha, EVP_sha256(), NULL);
	s.raw = ps_xmalloc(RAW_BUF);
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	if (pthread_create(&th, NULL, reader, &s) != 0) {
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot start a thread");
	} else {
		rc = ps_archive_read(&as, opts, res, err);
		pthread_mutex_lock(&s.mu);
		if (rc == 0 && !(s.done && s.count == 0 && s.off >= s.cur.len))
			rc = ps_error_set(err, PS_EXIT_FAIL, "the backup object was not read to its end");
		s.stop = 1;
		pthread_cond_broadcast(&s.cv);
		pthread_mutex_unlock(&s.mu);
		pthread_join(th, NULL);
	}
	if (rc == 0 && res->st.index_sha256[0] && f->m.index_sha256 &&
	    strcmp(res->st.index_sha256, f->m.index_sha256) != 0)
		rc = ps_error_set(err, PS_EXIT_FAIL, "the archive index differs from the manifest's");
	for (size_t i = 0; i < QN; i++)
		ps_buf_free(&s.q[i]);
	for (size_t i = 0; i < s.nspare; i++)
		ps_buf_free(&s.spare[i]);
	ps_buf_free(&s.cur);
	ps_buf_free(&s.fill);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	ps_store_get_close(s.r);
	ps_crypt_dec_free(s.dec);
	EVP_MD_CTX_free(s.sha);
	free(s.raw);
	return rc;
}
