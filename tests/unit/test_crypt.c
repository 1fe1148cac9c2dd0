/* Unit tests for lib/crypt: round trips, tampering, truncation, reordering,
 * wrong keys, passphrases and key loading. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/crypt.h"

static const char KEY_A[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
static const char KEY_B[] = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

static int
buf_sink(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	ps_buf_add(ctx, p, n);
	return 0;
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

/* Encrypt n bytes in pieces of `step` bytes. */
static void
encrypt(const struct ps_crypt_key *k, const unsigned char *p, size_t n,
	size_t step, struct ps_buf *out)
{
	struct ps_error err = {0};
	struct ps_crypt_sink s = { buf_sink, out };
	struct ps_crypt_enc *e = ps_crypt_enc_new(k, &s, NULL, &err);

	ck_assert_msg(e != NULL, "%s", err.msg);
	for (size_t off = 0; off < n; off += step) {
		size_t m = n - off < step ? n - off : step;
		ck_assert_int_eq(ps_crypt_enc_update(e, p + off, m, &err), 0);
	}
	ck_assert_int_eq(ps_crypt_enc_finish(e, &err), 0);
	ck_assert_uint_eq(ps_crypt_enc_written(e), out->len);
	ps_crypt_enc_free(e);
}

/* Decrypt; returns 0 or -1 with err. */
static int
decrypt(const struct ps_crypt_key *k, const void *p, size_t n, size_t step,
	struct ps_buf *out, struct ps_error *err)
{
	struct ps_crypt_sink s = { buf_sink, out };
	struct ps_crypt_dec *d = ps_crypt_dec_new(k, &s);
	const unsigned char *c = p;
	int rc = 0;

	for (size_t off = 0; off < n && rc == 0; off += step) {
		size_t m = n - off < step ? n - off : step;
		rc = ps_crypt_dec_update(d, c + off, m, err);
	}
	if (rc == 0)
		rc = ps_crypt_dec_finish(d, err);
	ps_crypt_dec_free(d);
	return rc;
}

static int
no_sink(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	ck_abort_msg("in-place decryption wrote to the sink");
	return -1;
}

/* Decrypt in place as ps-restore does: the header through update, then
 * each whole stored chunk in place (the last one where the input ends). */
static int
decrypt_inplace(const struct ps_crypt_key *k, const void *p, size_t n,
		struct ps_buf *out, struct ps_error *err)
{
	struct ps_crypt_sink s = { no_sink, NULL };
	struct ps_crypt_dec *d = ps_crypt_dec_new(k, &s);
	unsigned char *c = malloc(n + 1);
	size_t off = n < PS_CRYPT_HEADER_LEN ? n : PS_CRYPT_HEADER_LEN;
	int rc = 0;

	memcpy(c, p, n);
	if (off > 0)
		rc = ps_crypt_dec_update(d, c, off, err);
	if (rc == 0 && off < PS_CRYPT_HEADER_LEN)
		rc = ps_crypt_dec_finish(d, err);
	if (rc == 0 && off == PS_CRYPT_HEADER_LEN) {
		size_t whole = ps_crypt_dec_stored_chunk(d);

		ck_assert_uint_eq(whole, PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN);
		do {
			size_t m = n - off < whole ? n - off : whole;
			int last = off + m == n;
			ssize_t r = ps_crypt_dec_chunk_inplace(d, c + off, m, last, err);

			if (r < 0) {
				rc = -1;
				break;
			}
			ck_assert_uint_eq((size_t)r, m - PS_CRYPT_TAG_LEN);
			ps_buf_add(out, c + off, (size_t)r);
			off += m;
		} while (off < n);
		if (rc == 0)
			rc = ps_crypt_dec_finish(d, err);
	}
	free(c);
	ps_crypt_dec_free(d);
	return rc;
}

static void
key(struct ps_crypt_key *k, const char *b64)
{
	struct ps_error err = {0};
	ck_assert_msg(ps_crypt_key_from_base64(k, b64, strlen(b64), &err) == 0, "%s", err.msg);
}

/* Sizes around the chunk boundaries. */
static const size_t sizes[] = {
	0, 1, 15, 16, 17, PS_CRYPT_CHUNK - 1, PS_CRYPT_CHUNK, PS_CRYPT_CHUNK + 1,
	2 * PS_CRYPT_CHUNK, 3 * PS_CRYPT_CHUNK + 12345,
};

START_TEST(roundtrip)
{
	struct ps_crypt_key k;
	size_t n = sizes[_i];
	unsigned char *p = malloc(n + 1);
	struct ps_buf c = {0}, d = {0};
	struct ps_error err = {0};
	size_t chunks = n / PS_CRYPT_CHUNK + 1;

	key(&k, KEY_A);
	fill(p, n, (unsigned)n);
	encrypt(&k, p, n, 65536 + 7, &c);
	if (n > 0 && n % PS_CRYPT_CHUNK == 0)
		chunks = n / PS_CRYPT_CHUNK; /* a full last chunk */
	ck_assert_uint_eq(c.len, PS_CRYPT_HEADER_LEN + n + chunks * PS_CRYPT_TAG_LEN);
	ck_assert_int_eq(memcmp(c.data, PS_CRYPT_MAGIC, 8), 0);
	/* the plaintext does not appear */
	if (n >= 64)
		ck_assert_ptr_null(memmem(c.data, c.len, p, 32));
	ck_assert_msg(decrypt(&k, c.data, c.len, 4093, &d, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(d.len, n);
	ck_assert(n == 0 || memcmp(d.data, p, n) == 0);
	ps_buf_reset(&d);
	ck_assert_msg(decrypt_inplace(&k, c.data, c.len, &d, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(d.len, n);
	ck_assert(n == 0 || memcmp(d.data, p, n) == 0);
	ps_buf_free(&c);
	ps_buf_free(&d);
	free(p);
	ps_crypt_key_free(&k);
}
END_TEST

START_TEST(two_objects_differ)
{
	struct ps_crypt_key k;
	struct ps_buf a = {0}, b = {0};

	key(&k, KEY_A);
	encrypt(&k, (const unsigned char *)"same", 4, 4, &a);
	encrypt(&k, (const unsigned char *)"same", 4, 4, &b);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_ne(memcmp(a.data, b.data, a.len), 0); /* random nonce prefix */
	ps_buf_free(&a);
	ps_buf_free(&b);
	ps_crypt_key_free(&k);
}
END_TEST

/* Every single flipped byte of a 3-chunk object fails (sampled positions). */
START_TEST(flipped_byte)
{
	struct ps_crypt_key k;
	size_t n = 2 * PS_CRYPT_CHUNK + 100;
	unsigned char *p = malloc(n);
	struct ps_buf c = {0};
	size_t pos[] = { 0, 8, 9, 10, 12, 16, 23, 24, 31, 40, 51, 52, 1000,
			 PS_CRYPT_HEADER_LEN + PS_CRYPT_CHUNK + 3,
			 PS_CRYPT_HEADER_LEN + PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN - 1, 0 };

	key(&k, KEY_A);
	fill(p, n, 7);
	encrypt(&k, p, n, n, &c);
	pos[PS_ARRAY_LEN(pos) - 1] = c.len - 1;
	for (size_t i = 0; i < PS_ARRAY_LEN(pos); i++) {
		struct ps_buf d = {0};
		struct ps_error err = {0};

		c.data[pos[i]] ^= 0x01;
		ck_assert_msg(decrypt(&k, c.data, c.len, 1 << 16, &d, &err) < 0,
			      "flip at %zu accepted", pos[i]);
		ck_assert_int_ne(err.code, 0);
		memset(&err, 0, sizeof(err));
		ck_assert_msg(decrypt_inplace(&k, c.data, c.len, &d, &err) < 0,
			      "flip at %zu accepted in place", pos[i]);
		ck_assert_int_ne(err.code, 0);
		c.data[pos[i]] ^= 0x01;
		ps_buf_free(&d);
	}
	ps_buf_free(&c);
	free(p);
	ps_crypt_key_free(&k);
}
END_TEST

START_TEST(truncated)
{
	struct ps_crypt_key k;
	size_t n = 2 * PS_CRYPT_CHUNK + 100;
	unsigned char *p = malloc(n);
	struct ps_buf c = {0};
	size_t cut[] = { 0, 10, PS_CRYPT_HEADER_LEN, PS_CRYPT_HEADER_LEN + 5,
			 PS_CRYPT_HEADER_LEN + PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN,
			 PS_CRYPT_HEADER_LEN + 2 * (PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN),
			 0 };

	key(&k, KEY_A);
	fill(p, n, 9);
	encrypt(&k, p, n, n, &c);
	cut[PS_ARRAY_LEN(cut) - 1] = c.len - 1;
	for (size_t i = 0; i < PS_ARRAY_LEN(cut); i++) {
		struct ps_buf d = {0};
		struct ps_error err = {0};
		ck_assert_msg(decrypt(&k, c.data, cut[i], 1 << 16, &d, &err) < 0,
			      "truncation at %zu accepted", cut[i]);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		memset(&err, 0, sizeof(err));
		ck_assert_msg(decrypt_inplace(&k, c.data, cut[i], &d, &err) < 0,
			      "truncation at %zu accepted in place", cut[i]);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		ps_buf_free(&d);
	}
	ps_buf_free(&c);
	free(p);
	ps_crypt_key_free(&k);
}
END_TEST

/* Truncation exactly at a chunk boundary of an object whose plaintext is
 * a multiple of the chunk size: the dropped last chunk is noticed. */
START_TEST(truncated_whole_chunks)
{
	struct ps_crypt_key k;
	size_t n = 3 * PS_CRYPT_CHUNK;
	unsigned char *p = calloc(1, n);
	struct ps_buf c = {0}, d = {0};
	struct ps_error err = {0};

	key(&k, KEY_A);
	encrypt(&k, p, n, n, &c);
	ck_assert_int_lt(decrypt(&k, c.data,
				 PS_CRYPT_HEADER_LEN + 2 * (PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN),
				 1 << 20, &d, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "authentication failed"));
	memset(&err, 0, sizeof(err));
	ck_assert_int_lt(decrypt_inplace(&k, c.data,
					 PS_CRYPT_HEADER_LEN + 2 * (PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN),
					 &d, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "authentication failed"));
	ps_buf_free(&c);
	ps_buf_free(&d);
	free(p);
	ps_crypt_key_free(&k);
}
END_TEST

/* In-place decryption refuses misuse: a short chunk that is not the last,
 * data after the last chunk, and a failed chunk's bytes are wiped. */
START_TEST(inplace_misuse)
{
	struct ps_crypt_key k;
	size_t n = PS_CRYPT_CHUNK + 10;
	unsigned char *p = malloc(n);
	struct ps_buf c = {0};
	struct ps_error err = {0};
	struct ps_crypt_sink s = { no_sink, NULL };
	struct ps_crypt_dec *d;
	size_t whole = PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN;

	key(&k, KEY_A);
	fill(p, n, 3);
	encrypt(&k, p, n, n, &c);
	/* before the header */
	d = ps_crypt_dec_new(&k, &s);
	ck_assert_int_lt(ps_crypt_dec_chunk_inplace(d, c.data, 10, 1, &err), 0);
	ps_crypt_dec_free(d);
	/* a short chunk not flagged last */
	d = ps_crypt_dec_new(&k, &s);
	ck_assert_int_eq(ps_crypt_dec_update(d, c.data, PS_CRYPT_HEADER_LEN, &err), 0);
	ck_assert_int_lt(ps_crypt_dec_chunk_inplace(d, c.data + PS_CRYPT_HEADER_LEN,
						    whole - 1, 0, &err), 0);
	ck_assert_int_eq(err.code, PS_EXIT_FAIL);
	ps_crypt_dec_free(d);
	/* the first chunk flagged last fails, and its bytes are not released */
	d = ps_crypt_dec_new(&k, &s);
	ck_assert_int_eq(ps_crypt_dec_update(d, c.data, PS_CRYPT_HEADER_LEN, &err), 0);
	ck_assert_int_lt(ps_crypt_dec_chunk_inplace(d, c.data + PS_CRYPT_HEADER_LEN,
						    whole, 1, &err), 0);
	ck_assert_ptr_null(memmem(c.data + PS_CRYPT_HEADER_LEN, whole, p, 64));
	ck_assert_int_lt(ps_crypt_dec_finish(d, &err), 0);
	ps_crypt_dec_free(d);
	/* both chunks, then more data */
	ps_buf_reset(&c);
	encrypt(&k, p, n, n, &c);
	d = ps_crypt_dec_new(&k, &s);
	ck_assert_int_eq(ps_crypt_dec_update(d, c.data, PS_CRYPT_HEADER_LEN, &err), 0);
	ck_assert_int_eq(ps_crypt_dec_chunk_inplace(d, c.data + PS_CRYPT_HEADER_LEN,
						    whole, 0, &err), (ssize_t)PS_CRYPT_CHUNK);
	ck_assert_int_eq(memcmp(c.data + PS_CRYPT_HEADER_LEN, p, PS_CRYPT_CHUNK), 0);
	ck_assert_int_eq(ps_crypt_dec_chunk_inplace(d, c.data + PS_CRYPT_HEADER_LEN + whole,
						    10 + PS_CRYPT_TAG_LEN, 1, &err), 10);
	ck_assert_int_lt(ps_crypt_dec_chunk_inplace(d, c.data, 16, 1, &err), 0);
	ck_assert_int_lt(ps_crypt_dec_update(d, c.data, 1, &err), 0);
	ck_assert_int_eq(ps_crypt_dec_finish(d, &err), 0);
	ck_assert_uint_eq(ps_crypt_dec_plain(d), n);
	ps_crypt_dec_free(d);
	ps_buf_free(&c);
	free(p);
	ps_crypt_key_free(&k);
}
END_TEST

START_TEST(reordered_and_appended)
{
	struct ps_crypt_key k;
	size_t n = 3 * PS_CRYPT_CHUNK + 10, cs = PS_CRYPT_CHUNK + PS_CRYPT_TAG_LEN;
	unsigned char *p = malloc(n), *tmp = malloc(cs);
	struct ps_buf c = {0}, d = {0}, x = {0};
	struct ps_error err = {0};

	key(&k, KEY_A);
	fill(p, n, 3);
	encrypt(&k, p, n, n, &c);
	/* swap chunks 0 and 1 */
	memcpy(tmp, c.data + PS_CRYPT_HEADER_LEN, cs);
	memcpy(c.data + PS_CRYPT_HEADER_LEN, c.data + PS_CRYPT_HEADER_LEN + cs, cs);
	memcpy(c.data + PS_CRYPT_HEADER_LEN + cs, tmp, cs);
	ck_assert_int_lt(decrypt(&k, c.data, c.len, 1 << 20, &d, &err), 0);
	ck_assert_uint_eq(d.len, 0); /* nothing released */
	memcpy(c.data + PS_CRYPT_HEADER_LEN + cs, c.data + PS_CRYPT_HEADER_LEN, cs);
	memcpy(c.data + PS_CRYPT_HEADER_LEN, tmp, cs);
	ps_buf_reset(&d);
	ck_assert_int_eq(decrypt(&k, c.data, c.len, 1 << 20, &d, &err), 0);
	/* a chunk appended after the last one */
	ps_buf_add(&x, c.data, c.len);
	ps_buf_add(&x, c.data + PS_CRYPT_HEADER_LEN, cs);
	ps_buf_reset(&d);
	ck_assert_int_lt(decrypt(&k, x.data, x.len, 1 << 20, &d, &err), 0);
	ps_buf_free(&c);
	ps_buf_free(&d);
	ps_buf_free(&x);
	free(p);
	free(tmp);
	ps_crypt_key_free(&k);
}
END_TEST

START_TEST(wrong_key)
{
	struct ps_crypt_key a, b;
	struct ps_buf c = {0}, d = {0};
	struct ps_error err = {0};
	char ida[17];

	key(&a, KEY_A);
	key(&b, KEY_B);
	encrypt(&a, (const unsigned char *)"secret data", 11, 11, &c);
	ck_assert_int_lt(decrypt(&b, c.data, c.len, c.len, &d, &err), 0);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong key"));
	ps_crypt_key_id_hex(a.id, ida);
	ck_assert_ptr_nonnull(strstr(err.msg, ida));
	ck_assert_ptr_null(strstr(err.msg, KEY_A));
	ck_assert_ptr_null(strstr(err.msg, KEY_B));
	ck_assert_uint_eq(d.len, 0);
	ps_buf_free(&c);
	ps_buf_free(&d);
	ps_crypt_key_free(&a);
	ps_crypt_key_free(&b);
}
END_TEST

START_TEST(passphrase)
{
	struct ps_crypt_key k = {0}, k2 = {0}, raw;
	struct ps_buf c = {0}, d = {0};
	struct ps_error err = {0};
	struct ps_crypt_header h;

	setenv("PS_TEST_PASS", "correct horse battery staple", 1);
	ck_assert_int_eq(ps_crypt_passphrase_from_env(&k, "PS_TEST_PASS", &err), 0);
	k.scrypt_logn = 12; /* fast for the test */
	encrypt(&k, (const unsigned char *)"hello", 5, 5, &c);
	ck_assert_int_eq(ps_crypt_header_parse(c.data, c.len, &h, &err), 0);
	ck_assert_int_eq(h.kdf, PS_CRYPT_KDF_SCRYPT);
	ck_assert_int_eq(h.scrypt_logn, 12);
	ck_assert_int_eq(decrypt(&k, c.data, c.len, 3, &d, &err), 0);
	ck_assert_uint_eq(d.len, 5);
	ck_assert_int_eq(memcmp(d.data, "hello", 5), 0);
	setenv("PS_TEST_PASS", "wrong horse", 1);
	ck_assert_int_eq(ps_crypt_passphrase_from_env(&k2, "PS_TEST_PASS", &err), 0);
	ps_buf_reset(&d);
	ck_assert_int_lt(decrypt(&k2, c.data, c.len, c.len, &d, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong passphrase"));
	key(&raw, KEY_A);
	ck_assert_int_lt(decrypt(&raw, c.data, c.len, c.len, &d, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "passphrase"));
	ps_buf_free(&c);
	ps_buf_free(&d);
	ps_crypt_key_free(&k);
	ps_crypt_key_free(&k2);
	ps_crypt_key_free(&raw);
}
END_TEST

START_TEST(key_loading)
{
	struct ps_crypt_key k;
	struct ps_error err = {0};
	char gen[45], path[] = "/tmp/ps-test-key.XXXXXX";
	int fd, warn = -1;

	ck_assert_int_eq(ps_crypt_key_generate(gen, &err), 0);
	ck_assert_uint_eq(strlen(gen), 44);
	ck_assert_int_eq(ps_crypt_key_from_base64(&k, gen, 44, &err), 0);
	ps_crypt_key_free(&k);
	/* white space around is fine, wrong lengths and alphabets are not */
	ck_assert_int_eq(ps_crypt_key_from_base64(&k, "  " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" "\n", 47, &err), 0);
	ck_assert_int_lt(ps_crypt_key_from_base64(&k, "AAEC", 4, &err), 0);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_int_lt(ps_crypt_key_from_base64(&k, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=", 44, &err), 0);
	/* a file */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, KEY_B, strlen(KEY_B)), (ssize_t)strlen(KEY_B));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	close(fd);
	chmod(path, 0600);
	ck_assert_msg(ps_crypt_key_from_file(&k, path, &warn, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(warn, 0);
	chmod(path, 0644);
	ck_assert_int_eq(ps_crypt_key_from_file(&k, path, &warn, &err), 0);
	ck_assert_int_eq(warn, 1);
	unlink(path);
	ck_assert_int_lt(ps_crypt_key_from_file(&k, path, &warn, &err), 0);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	/* the environment */
	unsetenv("PS_TEST_KEY");
	ck_assert_int_lt(ps_crypt_key_from_env(&k, "PS_TEST_KEY", &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "PS_TEST_KEY"));
	setenv("PS_TEST_KEY", "not a key", 1);
	ck_assert_int_lt(ps_crypt_key_from_env(&k, "PS_TEST_KEY", &err), 0);
	ck_assert_ptr_null(strstr(err.msg, "not a key"));
	setenv("PS_TEST_KEY", KEY_A, 1);
	ck_assert_int_eq(ps_crypt_key_from_env(&k, "PS_TEST_KEY", &err), 0);
	ps_crypt_key_free(&k);
}
END_TEST

START_TEST(header_fields)
{
	struct ps_crypt_key k;
	struct ps_buf c = {0};
	struct ps_error err = {0};
	struct ps_crypt_header h, h2;
	struct ps_crypt_sink s = { buf_sink, &c };
	struct ps_crypt_enc *e;

	key(&k, KEY_A);
	e = ps_crypt_enc_new(&k, &s, &h, &err);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ps_crypt_enc_finish(e, &err), 0);
	ps_crypt_enc_free(e);
	ck_assert_int_eq(ps_crypt_header_parse(c.data, c.len, &h2, &err), 0);
	ck_assert_int_eq(h2.version, 1);
	ck_assert_int_eq(h2.cipher, PS_CRYPT_CIPHER_AES256GCM);
	ck_assert_uint_eq(h2.chunk_size, PS_CRYPT_CHUNK);
	ck_assert_int_eq(memcmp(h2.key_id, k.id, 8), 0);
	ck_assert_int_eq(memcmp(h2.nonce_prefix, h.nonce_prefix, 8), 0);
	ck_assert_int_lt(ps_crypt_header_parse("PSCRYPT2", 8, &h2, &err), 0);
	c.data[8] = 9;
	ck_assert_int_lt(ps_crypt_header_parse(c.data, c.len, &h2, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "version"));
	ps_buf_free(&c);
	ps_crypt_key_free(&k);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("crypt");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, roundtrip, 0, (int)PS_ARRAY_LEN(sizes));
	tcase_add_test(t, two_objects_differ);
	tcase_add_test(t, flipped_byte);
	tcase_add_test(t, truncated);
	tcase_add_test(t, truncated_whole_chunks);
	tcase_add_test(t, inplace_misuse);
	tcase_add_test(t, reordered_and_appended);
	tcase_add_test(t, wrong_key);
	tcase_add_test(t, passphrase);
	tcase_add_test(t, key_loading);
	tcase_add_test(t, header_fields);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
