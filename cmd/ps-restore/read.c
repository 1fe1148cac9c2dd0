/*
 * Finding a backup and reading its object back: the stored bytes are
 * hashed (the manifest's object digest), decrypted chunk by chunk (each
 * authenticated before use) and handed to the archive reader.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "cmd/ps-restore/read.h"
#include "lib/log.h"

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
 * The stored object is read in whole chunks into buffers that travel to
 * the decompressor without being copied: each chunk is hashed as read
 * (the manifest's object digest), then authenticated and decrypted in
 * place. A reader thread does that ahead of the decompressor through a
 * small queue of buffers, so that reading with decryption, decompression,
 * and parsing with hashing each run in a thread of their own.
 */

#define QN 8
/* An unencrypted object is read in pieces of this size. */
#define PLAIN_CHUNK (1u << 20)
/* Bytes read past a whole chunk to learn whether the object goes on. */
#define STASH 4096
#define NSPARE (QN + 2)

struct chunk {
	unsigned char *data;
	size_t len;
};

struct src {
	struct ps_store_reader *r;
	struct ps_crypt_dec *dec;
	EVP_MD_CTX *sha;
	const struct ps_backup_manifest *m;
	uint64_t nraw;
	size_t csize;		/* stored bytes of a whole chunk */
	unsigned char stash[STASH];
	size_t nstash;
	int eof;		/* the store reader returned 0 */
	int ended;		/* the end was checked */
	/* the queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk q[QN];
	size_t head, count;
	unsigned char *spare[NSPARE];	/* emptied buffers, for the reader */
	size_t nspare;
	int done, stop;
	struct ps_error err;	/* the reader thread's failure */
	/* consumer side */
	struct chunk cur;
};

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

/* Read up to n stored bytes into p (fewer only at the end), hashing them. */
static ssize_t
read_raw(struct src *s, unsigned char *p, size_t n, struct ps_error *err)
{
	size_t got = 0;

	while (got < n && !s->eof) {
		ssize_t r = ps_store_get_read(s->r, p + got, n - got, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			s->eof = 1;
			break;
		}
		got += (size_t)r;
	}
	if (got) {
		EVP_DigestUpdate(s->sha, p, got);
		s->nraw += got;
		if (s->nraw > s->m->stored_bytes)
			return ps_error_set(err, PS_EXIT_FAIL,
					    "the backup object is longer than its manifest says: it was altered");
	}
	return (ssize_t)got;
}

/* The size of the buffers chunks are read into (after the header). */
static size_t
chunk_cap(const struct src *s)
{
	return s->dec ? s->csize : PLAIN_CHUNK;
}

/*
 * The next chunk's plaintext into buf (chunk_cap bytes): its length (0 for
 * an empty last chunk), or 0 with *end set once the object ended and its
 * size, digest and last chunk checked; -1 and err on failure.
 */
static ssize_t
produce(struct src *s, unsigned char *buf, int *end, struct ps_error *err)
{
	size_t have = 0;
	ssize_t r;
	int last;

	*end = 0;
	if (!s->dec) {
		r = read_raw(s, buf, PLAIN_CHUNK, err);
		if (r == 0) {
			*end = 1;
			return check_object(s, err) < 0 ? -1 : 0;
		}
		return r;
	}
	if (s->eof && !s->nstash) {
		*end = 1;
		if (check_object(s, err) < 0 || ps_crypt_dec_finish(s->dec, err) < 0)
			return -1;
		return 0;
	}
	memcpy(buf, s->stash, s->nstash);
	have = s->nstash;
	s->nstash = 0;
	r = read_raw(s, buf + have, s->csize - have, err);
	if (r < 0)
		return -1;
	have += (size_t)r;
	last = s->eof;
	if (!last) {	/* a whole chunk: is there more? */
		r = read_raw(s, s->stash, STASH, err);
		if (r < 0)
			return -1;
		s->nstash = (size_t)r;
		last = r == 0;
	}
	return ps_crypt_dec_chunk_inplace(s->dec, buf, have, last, err);
}

/* The encryption header, read before the chunks (sets csize). */
static int
start(struct src *s, struct ps_error *err)
{
	unsigned char h[PS_CRYPT_HEADER_LEN];
	ssize_t r;

	if (!s->dec)
		return 0;
	r = read_raw(s, h, sizeof(h), err);
	if (r < 0)
		return -1;
	if (r > 0 && ps_crypt_dec_update(s->dec, h, (size_t)r, err) < 0)
		return -1;
	if (r < (ssize_t)sizeof(h))	/* fails: the header is incomplete */
		return ps_crypt_dec_finish(s->dec, err) < 0 ? -1 :
		       ps_error_set(err, PS_EXIT_FAIL, "the backup object is truncated");
	s->csize = ps_crypt_dec_stored_chunk(s->dec);
	return 0;
}

/* A chunk buffer, its pages mapped in one call (MADV_POPULATE_WRITE)
 * rather than a fault per page, which costs a lot in a VM. */
static unsigned char *
new_chunk(size_t n)
{
	unsigned char *p = ps_xmalloc(n);

	ps_prefault(p, n);
	return p;
}

/* Hand a filled buffer to the queue; -1 when the consumer stopped. */
static int
push(struct src *s, unsigned char *buf, size_t len)
{
	pthread_mutex_lock(&s->mu);
	while (s->count == QN && !s->stop)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->stop) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	s->q[(s->head + s->count) % QN] = (struct chunk){ buf, len };
	s->count++;
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
		unsigned char *buf = NULL;
		ssize_t n;
		int end;

		pthread_mutex_lock(&s->mu);
		if (s->nspare)
			buf = s->spare[--s->nspare];
		pthread_mutex_unlock(&s->mu);
		if (!buf)
			buf = new_chunk(chunk_cap(s));
		n = produce(s, buf, &end, &err);
		if (n < 0 || end) {
			free(buf);
			failed = n < 0;
			break;
		}
		if (n > 0 && push(s, buf, (size_t)n) < 0) {
			free(buf);
			break;
		}
		if (n == 0)
			free(buf);
	}
	pthread_mutex_lock(&s->mu);
	if (failed)
		s->err = err;
	s->done = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static ssize_t
src_next(void *ctx, const void **p, struct ps_error *err)
{
	struct src *s = ctx;
	ssize_t n;

	pthread_mutex_lock(&s->mu);
	if (s->cur.data) {	/* the reader reuses it */
		if (s->nspare < NSPARE)
			s->spare[s->nspare++] = s->cur.data;
		else
			free(s->cur.data);
		s->cur.data = NULL;
	}
	while (s->count == 0 && !s->done)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->count == 0) {
		int failed = s->err.code != 0;
		if (failed)
			ps_error_set(err, s->err.code, "%s", s->err.msg);
		s->ended = !failed;
		pthread_mutex_unlock(&s->mu);
		return failed ? -1 : 0;
	}
	s->cur = s->q[s->head];
	memset(&s->q[s->head], 0, sizeof(s->q[s->head]));
	s->head = (s->head + 1) % QN;
	s->count--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	*p = s->cur.data;
	n = (ssize_t)s->cur.len;
	return n;
}

int
rs_read(struct rs_found *f, const struct ps_crypt_key *key,
	const struct ps_archive_ropts *opts, struct ps_archive_result *res,
	struct ps_error *err)
{
	struct src s = { .m = &f->m };
	struct ps_archive_source as = { NULL, &s, src_next };
	struct ps_crypt_sink nosink = { NULL, NULL };
	struct ps_archive_ropts o = *opts;
	pthread_t th;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!o.entries_hint)
		o.entries_hint = f->m.entries;
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
		/* chunks are decrypted in place: the sink is never called */
		s.dec = ps_crypt_dec_new(key, &nosink);
	}
	s.r = ps_store_get_open(f->st, f->m.object, err);
	if (!s.r) {
		ps_crypt_dec_free(s.dec);
		return -1;
	}
	s.sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(s.sha, EVP_sha256(), NULL);
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	if (start(&s, err) < 0) {
		rc = -1;
	} else if (pthread_create(&th, NULL, reader, &s) != 0) {
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot start a thread");
	} else {
		rc = ps_archive_read(&as, &o, res, err);
		pthread_mutex_lock(&s.mu);
		if (rc == 0 && !s.ended)
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
		free(s.q[i].data);
	for (size_t i = 0; i < s.nspare; i++)
		free(s.spare[i]);
	free(s.cur.data);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	ps_store_get_close(s.r);
	ps_crypt_dec_free(s.dec);
	EVP_MD_CTX_free(s.sha);
	return rc;
}
