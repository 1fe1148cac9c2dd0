/*
 * digest: ps_sha256_hex (declared in util.h). Apart from util.c so that a
 * tool that never hashes with OpenSSL links neither this nor libcrypto
 * (the linker takes whole objects from libps.a, and --as-needed drops a
 * library nothing refers to): loading and initialising OpenSSL costs a
 * short-lived tool more than its own work.
 */
#include "util.h"

#include <openssl/evp.h>

void
ps_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	ps_hex(md, len, out);
}
