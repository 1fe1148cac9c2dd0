/*
 * crypt: streaming authenticated encryption of backup objects (DESIGN.md
 * section 8), the STREAM construction over AES-256-GCM (OpenSSL EVP).
 *
 * An encrypted object is a header followed by chunks:
 *
 *	header (PS_CRYPT_HEADER_LEN bytes, big-endian numbers)
 *	  0  magic "PSCRYPT1" (8)
 *	  8  format version (1) = 1
 *	  9  cipher id (1) = 1, AES-256-GCM
 *	 10  kdf (1): 0 raw key, 1 scrypt passphrase
 *	 11  reserved (1) = 0
 *	 12  chunk size (4): plaintext bytes per chunk, 1 MiB
 *	 16  key id (8): HMAC-SHA256(key, PS_CRYPT_KEYID_LABEL), truncated
 *	 24  nonce prefix (8): random per object
 *	 32  scrypt salt (16), zero without kdf
 *	 48  scrypt log2(N) (1), r (1), p (1), reserved (1)
 *	chunk i: ciphertext of chunk-size plaintext bytes (fewer in the last
 *	  chunk, which may be empty) followed by the 16-byte GCM tag.
 *
 * Nonce of chunk i = prefix || i (32 bits); associated data = the whole
 * header || i (32 bits) || last-chunk flag (1 byte). Reordered, dropped,
 * truncated or appended chunks and any changed header byte fail
 * authentication; plaintext is released only after its chunk's tag checked.
 *
 * Keys are 32 random bytes, base64, read from a file or an environment
 * variable -- never from the command line. A passphrase (file or variable)
 * is stretched with scrypt; its salt and parameters travel in the header.
 */
#ifndef PS_CRYPT_H
#define PS_CRYPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define PS_CRYPT_MAGIC "PSCRYPT1"
#define PS_CRYPT_VERSION 1
#define PS_CRYPT_CIPHER_AES256GCM 1
#define PS_CRYPT_KDF_NONE 0
#define PS_CRYPT_KDF_SCRYPT 1
#define PS_CRYPT_HEADER_LEN 52
#define PS_CRYPT_CHUNK (1u << 20)
#define PS_CRYPT_TAG_LEN 16
#define PS_CRYPT_KEY_LEN 32
#define PS_CRYPT_KEYID_LEN 8
#define PS_CRYPT_SALT_LEN 16
#define PS_CRYPT_KEYID_LABEL "ps-toolkit backup key id v1"
/* scrypt defaults: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s) */
#define PS_CRYPT_SCRYPT_LOGN 15
#define PS_CRYPT_SCRYPT_R 8
#define PS_CRYPT_SCRYPT_P 1

/*
 * Key material: either a raw 32-byte key, or a passphrase whose key is
 * derived per object (the salt is in each object's header).
 */
struct ps_crypt_key {
	int kdf;			/* PS_CRYPT_KDF_* */
	unsigned char key[PS_CRYPT_KEY_LEN];	/* raw key (kdf none) */
	unsigned char id[PS_CRYPT_KEYID_LEN];	/* key id (kdf none) */
	char *passphrase;		/* kdf scrypt; owned */
	size_t passphrase_len;
	int scrypt_logn, scrypt_r, scrypt_p; /* for new objects */
};

/* The header fields, as parsed (for manifests and messages). */
struct ps_crypt_header {
	int version;
	int cipher;
	int kdf;
	uint32_t chunk_size;
	unsigned char key_id[PS_CRYPT_KEYID_LEN];
	unsigned char nonce_prefix[8];
	unsigned char salt[PS_CRYPT_SALT_LEN];
	int scrypt_logn, scrypt_r, scrypt_p;
};

/*
 * Load a base64 key (32 bytes once decoded; surrounding white space is
 * ignored) from a file, an environment variable, or memory. The messages
 * never contain the key. A file readable by group or others is accepted,
 * with *warn set (may be NULL) so the caller can say so.
 */
int ps_crypt_key_from_file(struct ps_crypt_key *k, const char *path, int *warn,
			   struct ps_error *err);
int ps_crypt_key_from_env(struct ps_crypt_key *k, const char *name,
			  struct ps_error *err);
int ps_crypt_key_from_base64(struct ps_crypt_key *k, const char *b64, size_t n,
			     struct ps_error *err);
/* A passphrase from a file (first line) or an environment variable. */
int ps_crypt_passphrase_from_file(struct ps_crypt_key *k, const char *path,
				  struct ps_error *err);
int ps_crypt_passphrase_from_env(struct ps_crypt_key *k, const char *name,
				 struct ps_error *err);
void ps_crypt_key_free(struct ps_crypt_key *k); /* wipes the key */

/* A new random key in base64 (44 characters + NUL). */
int ps_crypt_key_generate(char out[45], struct ps_error *err);
/* The key id of a raw key, as 16 hex digits + NUL. */
void ps_crypt_key_id_hex(const unsigned char id[PS_CRYPT_KEYID_LEN], char out[17]);

/* Parse a header (n >= PS_CRYPT_HEADER_LEN); -1 with err when it is none. */
int ps_crypt_header_parse(const void *p, size_t n, struct ps_crypt_header *h,
			  struct ps_error *err);
/* Whether p starts like an encrypted object. */
int ps_crypt_is_encrypted(const void *p, size_t n);

/* Where output goes: return 0, or -1 with err filled to stop. */
struct ps_crypt_sink {
	int (*write)(void *ctx, const void *p, size_t n, struct ps_error *err);
	void *ctx;
};

/*
 * Encryption: new() writes the header to the sink, update() buffers and
 * writes whole chunks, finish() writes the last chunk. Plaintext can come
 * in pieces of any size. The header fields are in *h after new().
 */
struct ps_crypt_enc;
struct ps_crypt_enc *ps_crypt_enc_new(const struct ps_crypt_key *k,
				      const struct ps_crypt_sink *sink,
				      struct ps_crypt_header *h,
				      struct ps_error *err);
int ps_crypt_enc_update(struct ps_crypt_enc *e, const void *p, size_t n,
			struct ps_error *err);
int ps_crypt_enc_finish(struct ps_crypt_enc *e, struct ps_error *err);
/* Bytes written to the sink so far (header, ciphertext and tags). */
uint64_t ps_crypt_enc_written(const struct ps_crypt_enc *e);
void ps_crypt_enc_free(struct ps_crypt_enc *e);

/*
 * Decryption: feed the stored bytes in pieces of any size; authenticated
 * plaintext goes to the sink chunk by chunk. finish() checks that the
 * object ended with its last chunk. A wrong key fails at the header with
 * a message naming both key ids; any tampering fails with
 * PS_EXIT_FAIL and "authentication failed at chunk N".
 */
struct ps_crypt_dec;
struct ps_crypt_dec *ps_crypt_dec_new(const struct ps_crypt_key *k,
				      const struct ps_crypt_sink *sink);
int ps_crypt_dec_update(struct ps_crypt_dec *d, const void *p, size_t n,
			struct ps_error *err);
int ps_crypt_dec_finish(struct ps_crypt_dec *d, struct ps_error *err);
/*
 * Decryption in place, for a reader that reads whole stored chunks into
 * its own buffers (no copies): after the header went through
 * ps_crypt_dec_update() (exactly PS_CRYPT_HEADER_LEN bytes, nothing
 * more), ps_crypt_dec_chunk_inplace() authenticates and decrypts the next
 * stored chunk (ciphertext and tag, n bytes: ps_crypt_dec_stored_chunk()
 * for every chunk but the last, which may be shorter) at p in place and
 * returns its plaintext length; last says the object ends after it (the
 * tag covers that flag, so a truncated object fails). After the last
 * chunk, ps_crypt_dec_finish() returns 0. Errors as ps_crypt_dec_update().
 * The sink is not called.
 */
ssize_t ps_crypt_dec_chunk_inplace(struct ps_crypt_dec *d, void *p, size_t n,
				   int last, struct ps_error *err);
/* Stored bytes of a whole chunk (chunk size + tag); 0 before the header. */
size_t ps_crypt_dec_stored_chunk(const struct ps_crypt_dec *d);
/* The header, once read (NULL before). */
const struct ps_crypt_header *ps_crypt_dec_header(const struct ps_crypt_dec *d);
/* Plaintext bytes released so far. */
uint64_t ps_crypt_dec_plain(const struct ps_crypt_dec *d);
void ps_crypt_dec_free(struct ps_crypt_dec *d);

#endif
