/*
 * crypt: STREAM-style chunked AES-256-GCM for backup objects, keys from
 * files or the environment, optional scrypt passphrases. See crypt.h for
 * the format.
 */
#include "crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* Upper bounds on scrypt parameters read from a header (memory: 128*r*N*p). */
#define MAX_LOGN 20
#define MAX_R 16
#define MAX_P 4
#define SCRYPT_MAXMEM (1100ULL << 20)

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
key_id(const unsigned char *key, unsigned char id[PS_CRYPT_KEYID_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	HMAC(EVP_sha256(), key, PS_CRYPT_KEY_LEN,
	     (const unsigned char *)PS_CRYPT_KEYID_LABEL,
	     strlen(PS_CRYPT_KEYID_LABEL), mac, &len);
	memcpy(id, mac, PS_CRYPT_KEYID_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
}

void
ps_crypt_key_id_hex(const unsigned char id[PS_CRYPT_KEYID_LEN], char out[17])
{
	ps_hex(id, PS_CRYPT_KEYID_LEN, out);
}

/* ---- keys ---- */

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
ps_crypt_key_from_base64(struct ps_crypt_key *k, const char *b64, size_t n,
			 struct ps_error *err)
{
	unsigned char out[64];
	char clean[64];
	size_t m = 0;
	int len;

	memset(k, 0, sizeof(*k));
	while (n > 0 && is_space(b64[n - 1]))
		n--;
	while (n > 0 && is_space(*b64)) {
		b64++;
		n--;
	}
	if (n != 44)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "the key must be 32 bytes in base64 (44 characters), got %zu characters", n);
	for (size_t i = 0; i < n; i++) {
		char c = b64[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return ps_error_set(err, PS_EXIT_USAGE,
					    "the key is not base64 (character %zu)", i + 1);
		clean[m++] = c;
	}
	if (clean[43] != '=' || clean[42] == '=')
		return ps_error_set(err, PS_EXIT_USAGE,
				    "the key must be 32 bytes in base64 (44 characters ending in one '=')");
	len = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)m);
	OPENSSL_cleanse(clean, sizeof(clean));
	if (len != 33) {	/* 44 chars decode to 33 bytes, one of them padding */
		OPENSSL_cleanse(out, sizeof(out));
		return ps_error_set(err, PS_EXIT_USAGE, "the key is not valid base64");
	}
	k->kdf = PS_CRYPT_KDF_NONE;
	memcpy(k->key, out, PS_CRYPT_KEY_LEN);
	OPENSSL_cleanse(out, sizeof(out));
	key_id(k->key, k->id);
	return 0;
}

/* Read a small secret file into b; never more than 64 KiB. */
static int
read_secret(const char *path, struct ps_buf *b, int *warn, struct ps_error *err)
{
	char tmp[4096];
	struct stat st;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ps_error_set(err, PS_EXIT_OPER, "cannot open key file '%s': %s",
				    path, strerror(errno));
	if (fstat(fd, &st) == 0 && warn)
		*warn = (st.st_mode & 077) != 0;
	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return ps_error_set(err, PS_EXIT_OPER, "cannot read key file '%s': %s",
					    path, strerror(e));
		}
		if (r == 0)
			break;
		ps_buf_add(b, tmp, (size_t)r);
		if (b->len > 65536) {
			close(fd);
			return ps_error_set(err, PS_EXIT_USAGE, "key file '%s' is too large", path);
		}
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	close(fd);
	return 0;
}

static void
buf_wipe(struct ps_buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	ps_buf_free(b);
}

int
ps_crypt_key_from_file(struct ps_crypt_key *k, const char *path, int *warn,
		       struct ps_error *err)
{
	struct ps_buf b = {0};
	struct ps_error e = {0};
	int rc;

	memset(k, 0, sizeof(*k));
	if (warn)
		*warn = 0;
	if (read_secret(path, &b, warn, err) < 0) {
		buf_wipe(&b);
		return -1;
	}
	rc = ps_crypt_key_from_base64(k, ps_buf_str(&b), b.len, &e);
	buf_wipe(&b);
	if (rc < 0)
		return ps_error_set(err, PS_EXIT_USAGE, "key file '%s': %s", path, e.msg);
	return 0;
}

int
ps_crypt_key_from_env(struct ps_crypt_key *k, const char *name, struct ps_error *err)
{
	const char *v = getenv(name);
	struct ps_error e = {0};

	memset(k, 0, sizeof(*k));
	if (!v || !*v)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "environment variable %s (the backup key) is not set", name);
	if (ps_crypt_key_from_base64(k, v, strlen(v), &e) < 0)
		return ps_error_set(err, PS_EXIT_USAGE, "environment variable %s: %s",
				    name, e.msg);
	return 0;
}

static int
set_passphrase(struct ps_crypt_key *k, const char *p, size_t n, const char *what,
	       struct ps_error *err)
{
	/* Only the first line counts, without its line ending. */
	const char *nl = memchr(p, '\n', n);

	if (nl)
		n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return ps_error_set(err, PS_EXIT_USAGE, "%s: the passphrase is empty", what);
	k->kdf = PS_CRYPT_KDF_SCRYPT;
	k->passphrase = ps_xstrndup(p, n);
	k->passphrase_len = n;
	k->scrypt_logn = PS_CRYPT_SCRYPT_LOGN;
	k->scrypt_r = PS_CRYPT_SCRYPT_R;
	k->scrypt_p = PS_CRYPT_SCRYPT_P;
	return 0;
}

int
ps_crypt_passphrase_from_file(struct ps_crypt_key *k, const char *path,
			      struct ps_error *err)
{
	struct ps_buf b = {0};
	char what[512];
	int rc;

	memset(k, 0, sizeof(*k));
	if (read_secret(path, &b, NULL, err) < 0) {
		buf_wipe(&b);
		return -1;
	}
	snprintf(what, sizeof(what), "passphrase file '%s'", path);
	rc = set_passphrase(k, ps_buf_str(&b), b.len, what, err);
	buf_wipe(&b);
	return rc;
}

int
ps_crypt_passphrase_from_env(struct ps_crypt_key *k, const char *name,
			     struct ps_error *err)
{
	const char *v = getenv(name);
	char what[300];

	memset(k, 0, sizeof(*k));
	if (!v)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "environment variable %s (the backup passphrase) is not set", name);
	snprintf(what, sizeof(what), "environment variable %s", name);
	return set_passphrase(k, v, strlen(v), what, err);
}

void
ps_crypt_key_free(struct ps_crypt_key *k)
{
	if (!k)
		return;
	if (k->passphrase) {
		OPENSSL_cleanse(k->passphrase, k->passphrase_len);
		free(k->passphrase);
	}
	OPENSSL_cleanse(k, sizeof(*k));
}

int
ps_crypt_key_generate(char out[45], struct ps_error *err)
{
	unsigned char key[PS_CRYPT_KEY_LEN];

	if (RAND_bytes(key, sizeof(key)) != 1)
		return ps_error_set(err, PS_EXIT_OPER, "cannot get random bytes");
	EVP_EncodeBlock((unsigned char *)out, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* Derive the object key of a passphrase for the header's salt/parameters. */
static int
derive(const struct ps_crypt_key *k, const struct ps_crypt_header *h,
       unsigned char key[PS_CRYPT_KEY_LEN], struct ps_error *err)
{
	uint64_t n = 1ULL << h->scrypt_logn;

	if (EVP_PBE_scrypt(k->passphrase, k->passphrase_len, h->salt,
			   PS_CRYPT_SALT_LEN, n, (uint64_t)h->scrypt_r,
			   (uint64_t)h->scrypt_p, SCRYPT_MAXMEM, key,
			   PS_CRYPT_KEY_LEN) != 1)
		return ps_error_set(err, PS_EXIT_OPER, "scrypt key derivation failed");
	return 0;
}

/* ---- header ---- */

static void
header_encode(const struct ps_crypt_header *h, unsigned char *p)
{
	memset(p, 0, PS_CRYPT_HEADER_LEN);
	memcpy(p, PS_CRYPT_MAGIC, 8);
	p[8] = (unsigned char)h->version;
	p[9] = (unsigned char)h->cipher;
	p[10] = (unsigned char)h->kdf;
	put32(p + 12, h->chunk_size);
	memcpy(p + 16, h->key_id, PS_CRYPT_KEYID_LEN);
	memcpy(p + 24, h->nonce_prefix, 8);
	if (h->kdf == PS_CRYPT_KDF_SCRYPT) {
		memcpy(p + 32, h->salt, PS_CRYPT_SALT_LEN);
		p[48] = (unsigned char)h->scrypt_logn;
		p[49] = (unsigned char)h->scrypt_r;
		p[50] = (unsigned char)h->scrypt_p;
	}
}

int
ps_crypt_is_encrypted(const void *p, size_t n)
{
	return n >= 8 && memcmp(p, PS_CRYPT_MAGIC, 8) == 0;
}

int
ps_crypt_header_parse(const void *pv, size_t n, struct ps_crypt_header *h,
		      struct ps_error *err)
{
	const unsigned char *p = pv;

	memset(h, 0, sizeof(*h));
	if (n < PS_CRYPT_HEADER_LEN || !ps_crypt_is_encrypted(p, n))
		return ps_error_set(err, PS_EXIT_FAIL,
				    "not an encrypted ps-toolkit object (bad magic)");
	h->version = p[8];
	h->cipher = p[9];
	h->kdf = p[10];
	h->chunk_size = get32(p + 12);
	memcpy(h->key_id, p + 16, PS_CRYPT_KEYID_LEN);
	memcpy(h->nonce_prefix, p + 24, 8);
	if (h->version != PS_CRYPT_VERSION)
		return ps_error_set(err, PS_EXIT_FAIL,
				    "unsupported encryption format version %d", h->version);
	if (h->cipher != PS_CRYPT_CIPHER_AES256GCM)
		return ps_error_set(err, PS_EXIT_FAIL, "unknown cipher id %d", h->cipher);
	if (h->kdf != PS_CRYPT_KDF_NONE && h->kdf != PS_CRYPT_KDF_SCRYPT)
		return ps_error_set(err, PS_EXIT_FAIL, "unknown key derivation id %d", h->kdf);
	if (p[11] != 0 || p[51] != 0)
		return ps_error_set(err, PS_EXIT_FAIL, "reserved header bytes are not zero");
	if (h->chunk_size < 16 || h->chunk_size > (16u << 20))
		return ps_error_set(err, PS_EXIT_FAIL, "implausible chunk size %u",
				    (unsigned)h->chunk_size);
	if (h->kdf == PS_CRYPT_KDF_SCRYPT) {
		memcpy(h->salt, p + 32, PS_CRYPT_SALT_LEN);
		h->scrypt_logn = p[48];
		h->scrypt_r = p[49];
		h->scrypt_p = p[50];
		if (h->scrypt_logn < 10 || h->scrypt_logn > MAX_LOGN ||
		    h->scrypt_r < 1 || h->scrypt_r > MAX_R ||
		    h->scrypt_p < 1 || h->scrypt_p > MAX_P)
			return ps_error_set(err, PS_EXIT_FAIL,
					    "scrypt parameters out of range (log2 N %d, r %d, p %d)",
					    h->scrypt_logn, h->scrypt_r, h->scrypt_p);
	} else {
		for (int i = 32; i < 51; i++)
			if (p[i] != 0)
				return ps_error_set(err, PS_EXIT_FAIL,
						    "reserved header bytes are not zero");
	}
	return 0;
}

/* ---- one chunk ---- */

static void
chunk_iv_aad(const unsigned char *header, const unsigned char prefix[8],
	     uint32_t counter, int last, unsigned char iv[12],
	     unsigned char aad[PS_CRYPT_HEADER_LEN + 5])
{
	memcpy(iv, prefix, 8);
	put32(iv + 8, counter);
	memcpy(aad, header, PS_CRYPT_HEADER_LEN);
	put32(aad + PS_CRYPT_HEADER_LEN, counter);
	aad[PS_CRYPT_HEADER_LEN + 4] = (unsigned char)(last ? 1 : 0);
}

/* ---- encryption ---- */

struct ps_crypt_enc {
	EVP_CIPHER_CTX *ctx;
	struct ps_crypt_sink sink;
	unsigned char header[PS_CRYPT_HEADER_LEN];
	unsigned char key[PS_CRYPT_KEY_LEN];
	unsigned char prefix[8];
	uint32_t counter;
	unsigned char *plain;	/* PS_CRYPT_CHUNK */
	size_t nplain;
	unsigned char *out;	/* PS_CRYPT_CHUNK + tag */
	uint64_t written;
	int finished;
	int failed;
};

static int
enc_chunk(struct ps_crypt_enc *e, int last, struct ps_error *err)
{
	unsigned char iv[12], aad[PS_CRYPT_HEADER_LEN + 5];
	int len = 0, fl = 0;

	if (e->counter == UINT32_MAX)
		return ps_error_set(err, PS_EXIT_OPER, "object too large to encrypt");
	chunk_iv_aad(e->header, e->prefix, e->counter, last, iv, aad);
	if (EVP_EncryptInit_ex(e->ctx, NULL, NULL, e->key, iv) != 1 ||
	    EVP_EncryptUpdate(e->ctx, NULL, &len, aad, sizeof(aad)) != 1 ||
	    (e->nplain > 0 &&
	     EVP_EncryptUpdate(e->ctx, e->out, &len, e->plain, (int)e->nplain) != 1) ||
	    EVP_EncryptFinal_ex(e->ctx, e->out + len, &fl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(e->ctx, EVP_CTRL_GCM_GET_TAG, PS_CRYPT_TAG_LEN,
				e->out + e->nplain) != 1)
		return ps_error_set(err, PS_EXIT_OPER, "encryption failed");
	e->counter++;
	if (e->sink.write(e->sink.ctx, e->out, e->nplain + PS_CRYPT_TAG_LEN, err) < 0)
		return -1;
	e->written += e->nplain + PS_CRYPT_TAG_LEN;
	e->nplain = 0;
	return 0;
}

struct ps_crypt_enc *
ps_crypt_enc_new(const struct ps_crypt_key *k, const struct ps_crypt_sink *sink,
		 struct ps_crypt_header *hout, struct ps_error *err)
{
	struct ps_crypt_enc *e = ps_xcalloc(1, sizeof(*e));
	struct ps_crypt_header h = {0};

	h.version = PS_CRYPT_VERSION;
	h.cipher = PS_CRYPT_CIPHER_AES256GCM;
	h.kdf = k->kdf;
	h.chunk_size = PS_CRYPT_CHUNK;
	e->sink = *sink;
	if (RAND_bytes(h.nonce_prefix, 8) != 1) {
		ps_error_set(err, PS_EXIT_OPER, "cannot get random bytes");
		goto fail;
	}
	memcpy(e->prefix, h.nonce_prefix, 8);
	if (k->kdf == PS_CRYPT_KDF_SCRYPT) {
		h.scrypt_logn = k->scrypt_logn;
		h.scrypt_r = k->scrypt_r;
		h.scrypt_p = k->scrypt_p;
		if (RAND_bytes(h.salt, PS_CRYPT_SALT_LEN) != 1) {
			ps_error_set(err, PS_EXIT_OPER, "cannot get random bytes");
			goto fail;
		}
		if (derive(k, &h, e->key, err) < 0)
			goto fail;
	} else {
		memcpy(e->key, k->key, PS_CRYPT_KEY_LEN);
	}
	key_id(e->key, h.key_id);
	header_encode(&h, e->header);
	e->ctx = EVP_CIPHER_CTX_new();
	if (!e->ctx || EVP_EncryptInit_ex(e->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) {
		ps_error_set(err, PS_EXIT_OPER, "cannot set up AES-256-GCM");
		goto fail;
	}
	e->plain = ps_xmalloc(PS_CRYPT_CHUNK);
	e->out = ps_xmalloc(PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN);
	if (sink->write(sink->ctx, e->header, PS_CRYPT_HEADER_LEN, err) < 0)
		goto fail;
	e->written = PS_CRYPT_HEADER_LEN;
	if (hout)
		*hout = h;
	return e;
fail:
	ps_crypt_enc_free(e);
	return NULL;
}

int
ps_crypt_enc_update(struct ps_crypt_enc *e, const void *pv, size_t n,
		    struct ps_error *err)
{
	const unsigned char *p = pv;

	if (e->failed || e->finished)
		return ps_error_set(err, PS_EXIT_OPER, "encryption stream already closed");
	while (n > 0) {
		size_t take;

		/* A full buffer is written only once more data shows it is not
		 * the last chunk. */
		if (e->nplain == PS_CRYPT_CHUNK && enc_chunk(e, 0, err) < 0) {
			e->failed = 1;
			return -1;
		}
		take = PS_CRYPT_CHUNK - e->nplain;
		if (take > n)
			take = n;
		memcpy(e->plain + e->nplain, p, take);
		e->nplain += take;
		p += take;
		n -= take;
	}
	return 0;
}

int
ps_crypt_enc_finish(struct ps_crypt_enc *e, struct ps_error *err)
{
	if (e->failed || e->finished)
		return ps_error_set(err, PS_EXIT_OPER, "encryption stream already closed");
	e->finished = 1;
	return enc_chunk(e, 1, err);
}

uint64_t
ps_crypt_enc_written(const struct ps_crypt_enc *e)
{
	return e->written;
}

void
ps_crypt_enc_free(struct ps_crypt_enc *e)
{
	if (!e)
		return;
	if (e->ctx)
		EVP_CIPHER_CTX_free(e->ctx);
	if (e->plain) {
		OPENSSL_cleanse(e->plain, PS_CRYPT_CHUNK);
		free(e->plain);
	}
	free(e->out);
	OPENSSL_cleanse(e->key, sizeof(e->key));
	free(e);
}

/* ---- decryption ---- */

struct ps_crypt_dec {
	const struct ps_crypt_key *k;
	struct ps_crypt_sink sink;
	EVP_CIPHER_CTX *ctx;
	unsigned char header[PS_CRYPT_HEADER_LEN];
	size_t nheader;
	struct ps_crypt_header h;
	int have_header;
	unsigned char key[PS_CRYPT_KEY_LEN];
	uint32_t counter;
	unsigned char *in;	/* chunk_size + tag */
	size_t nin;
	size_t insize;
	unsigned char *plain;
	uint64_t released;
	int failed;
	int finished;
	int last_seen;		/* the last chunk went through in place */
};

struct ps_crypt_dec *
ps_crypt_dec_new(const struct ps_crypt_key *k, const struct ps_crypt_sink *sink)
{
	struct ps_crypt_dec *d = ps_xcalloc(1, sizeof(*d));

	d->k = k;
	d->sink = *sink;
	return d;
}

static int
dec_header(struct ps_crypt_dec *d, struct ps_error *err)
{
	unsigned char id[PS_CRYPT_KEYID_LEN];
	char want[17], have[17];

	if (ps_crypt_header_parse(d->header, PS_CRYPT_HEADER_LEN, &d->h, err) < 0)
		return -1;
	if (!d->k)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "the backup is encrypted and no key was given");
	if (d->h.kdf == PS_CRYPT_KDF_SCRYPT) {
		if (d->k->kdf != PS_CRYPT_KDF_SCRYPT)
			return ps_error_set(err, PS_EXIT_USAGE,
					    "the backup was encrypted with a passphrase; give the passphrase, not a key");
		if (derive(d->k, &d->h, d->key, err) < 0)
			return -1;
	} else {
		if (d->k->kdf != PS_CRYPT_KDF_NONE)
			return ps_error_set(err, PS_EXIT_USAGE,
					    "the backup was encrypted with a key; give the key, not a passphrase");
		memcpy(d->key, d->k->key, PS_CRYPT_KEY_LEN);
	}
	key_id(d->key, id);
	if (memcmp(id, d->h.key_id, PS_CRYPT_KEYID_LEN) != 0) {
		ps_crypt_key_id_hex(d->h.key_id, want);
		ps_crypt_key_id_hex(id, have);
		return ps_error_set(err, PS_EXIT_USAGE,
				    "wrong %s for this backup: it was encrypted with key id %s, the given %s has key id %s",
				    d->h.kdf ? "passphrase" : "key", want,
				    d->h.kdf ? "passphrase" : "key", have);
	}
	d->ctx = EVP_CIPHER_CTX_new();
	if (!d->ctx || EVP_DecryptInit_ex(d->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1)
		return ps_error_set(err, PS_EXIT_OPER, "cannot set up AES-256-GCM");
	d->insize = (size_t)d->h.chunk_size + PS_CRYPT_TAG_LEN;
	d->have_header = 1;	/* the buffers come with the first chunk bytes */
	return 0;
}

/* Authenticate and decrypt one stored chunk (n bytes at in, tag last)
 * into out (which may be in); the plaintext length, or -1. */
static ssize_t
dec_one(struct ps_crypt_dec *d, const unsigned char *in, size_t n, unsigned char *out,
	int last, struct ps_error *err)
{
	unsigned char iv[12], aad[PS_CRYPT_HEADER_LEN + 5];
	size_t clen;
	int len = 0, fl = 0;

	if (n < PS_CRYPT_TAG_LEN)
		return ps_error_set(err, PS_EXIT_FAIL,
				    "encrypted object truncated at chunk %u", (unsigned)d->counter);
	clen = n - PS_CRYPT_TAG_LEN;
	chunk_iv_aad(d->header, d->h.nonce_prefix, d->counter, last, iv, aad);
	if (EVP_DecryptInit_ex(d->ctx, NULL, NULL, d->key, iv) != 1 ||
	    EVP_DecryptUpdate(d->ctx, NULL, &len, aad, sizeof(aad)) != 1 ||
	    (clen > 0 && EVP_DecryptUpdate(d->ctx, out, &len, in, (int)clen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_GCM_SET_TAG, PS_CRYPT_TAG_LEN,
				(void *)(in + clen)) != 1 ||
	    EVP_DecryptFinal_ex(d->ctx, out + (clen > 0 ? (size_t)len : 0), &fl) != 1) {
		if (out == in && clen > 0)	/* release nothing unauthenticated */
			OPENSSL_cleanse(out, clen);
		return ps_error_set(err, PS_EXIT_FAIL,
				    last ? "authentication failed at chunk %u (last chunk): the object is corrupt, truncated or was tampered with"
					 : "authentication failed at chunk %u: the object is corrupt, reordered or was tampered with",
				    (unsigned)d->counter);
	}
	d->counter++;
	d->released += clen;
	return (ssize_t)clen;
}

static int
dec_chunk(struct ps_crypt_dec *d, int last, struct ps_error *err)
{
	ssize_t clen = dec_one(d, d->in, d->nin, d->plain, last, err);

	if (clen < 0)
		return -1;
	d->nin = 0;
	if (clen > 0 && d->sink.write(d->sink.ctx, d->plain, (size_t)clen, err) < 0)
		return -1;
	return 0;
}

ssize_t
ps_crypt_dec_chunk_inplace(struct ps_crypt_dec *d, void *p, size_t n, int last,
			   struct ps_error *err)
{
	ssize_t clen;

	if (d->failed)
		return ps_error_set(err, PS_EXIT_FAIL, "decryption already failed");
	if (d->finished || d->last_seen)
		return ps_error_set(err, PS_EXIT_FAIL, "data after the end of the object");
	if (!d->have_header || d->nin != 0)
		return ps_error_set(err, PS_EXIT_OPER,
				    "in-place decryption needs exactly the header fed before");
	if (n > d->insize || (!last && n != d->insize)) {
		d->failed = 1;
		return ps_error_set(err, PS_EXIT_FAIL,
				    "encrypted object truncated at chunk %u", (unsigned)d->counter);
	}
	clen = dec_one(d, p, n, p, last, err);
	if (clen < 0) {
		d->failed = 1;
		return -1;
	}
	if (last)
		d->last_seen = 1;
	return clen;
}

size_t
ps_crypt_dec_stored_chunk(const struct ps_crypt_dec *d)
{
	return d->have_header ? d->insize : 0;
}

int
ps_crypt_dec_update(struct ps_crypt_dec *d, const void *pv, size_t n,
		    struct ps_error *err)
{
	const unsigned char *p = pv;

	if (d->failed)
		return ps_error_set(err, PS_EXIT_FAIL, "decryption already failed");
	if (d->finished || d->last_seen)
		return ps_error_set(err, PS_EXIT_FAIL, "data after the end of the object");
	while (n > 0 && !d->have_header) {
		size_t take = PS_CRYPT_HEADER_LEN - d->nheader;
		if (take > n)
			take = n;
		memcpy(d->header + d->nheader, p, take);
		d->nheader += take;
		p += take;
		n -= take;
		if (d->nheader == PS_CRYPT_HEADER_LEN && dec_header(d, err) < 0) {
			d->failed = 1;
			return -1;
		}
	}
	if (n > 0 && !d->in) {
		d->in = ps_xmalloc(d->insize);
		d->plain = ps_xmalloc(d->h.chunk_size);
	}
	while (n > 0) {
		size_t take;

		if (d->nin == d->insize && dec_chunk(d, 0, err) < 0) {
			d->failed = 1;
			return -1;
		}
		take = d->insize - d->nin;
		if (take > n)
			take = n;
		memcpy(d->in + d->nin, p, take);
		d->nin += take;
		p += take;
		n -= take;
	}
	return 0;
}

int
ps_crypt_dec_finish(struct ps_crypt_dec *d, struct ps_error *err)
{
	if (d->failed)
		return ps_error_set(err, PS_EXIT_FAIL, "decryption already failed");
	if (!d->have_header) {
		d->failed = 1;
		return ps_error_set(err, PS_EXIT_FAIL,
				    "encrypted object truncated in its header (%zu bytes)", d->nheader);
	}
	if (d->last_seen) {
		d->finished = 1;
		return 0;
	}
	/* (nothing after the header: no buffers, and dec_one fails on the
	 * missing tag before using them) */
	if (dec_chunk(d, 1, err) < 0) {
		d->failed = 1;
		return -1;
	}
	d->finished = 1;
	return 0;
}

const struct ps_crypt_header *
ps_crypt_dec_header(const struct ps_crypt_dec *d)
{
	return d->have_header ? &d->h : NULL;
}

uint64_t
ps_crypt_dec_plain(const struct ps_crypt_dec *d)
{
	return d->released;
}

void
ps_crypt_dec_free(struct ps_crypt_dec *d)
{
	if (!d)
		return;
	if (d->ctx)
		EVP_CIPHER_CTX_free(d->ctx);
	free(d->in);
	if (d->plain) {
		OPENSSL_cleanse(d->plain, d->h.chunk_size);
		free(d->plain);
	}
	OPENSSL_cleanse(d->key, sizeof(d->key));
	free(d);
}
