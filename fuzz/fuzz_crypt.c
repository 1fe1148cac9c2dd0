/*
 * libFuzzer target for lib/crypt.c: decrypting arbitrary bytes with a fixed
 * key never crashes and never releases plaintext from a chunk that did not
 * authenticate. The first input byte picks the size of the pieces the rest
 * is fed in (streaming must not depend on how the bytes arrive).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KEY[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

static int
sink(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	size_t *total = ctx;

	(void)p;
	(void)err;
	*total += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ps_crypt_key key;
	static int ready;
	struct ps_error err = {0};
	struct ps_crypt_header h;
	size_t total = 0, step;
	struct ps_crypt_sink s = { sink, &total };
	struct ps_crypt_dec *d;
	int rc = 0;

	if (!ready) {
		if (ps_crypt_key_from_base64(&key, KEY, strlen(KEY), &err) < 0)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	step = (size_t)data[0] * 13 + 1;
	data++;
	size--;
	(void)ps_crypt_header_parse(data, size, &h, &err);
	/* a passphrase header would make every input run scrypt: skip those */
	if (size > 10 && data[10] != 0)
		return 0;
	d = ps_crypt_dec_new(&key, &s);
	for (size_t off = 0; off < size && rc == 0; off += step)
		rc = ps_crypt_dec_update(d, data + off, size - off < step ? size - off : step, &err);
	if (rc == 0)
		rc = ps_crypt_dec_finish(d, &err);
	if (rc < 0 && (err.code == 0 || !err.msg[0]))
		abort();	/* a failure always explains itself */
	if (total > size)
		abort();	/* never more plaintext than ciphertext */
	if (rc == 0 && ps_crypt_dec_plain(d) != total)
		abort();
	ps_crypt_dec_free(d);
	return 0;
}
