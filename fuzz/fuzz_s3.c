/*
 * libFuzzer target for the parsers of lib/s3.c: S3 ListObjectsV2 response
 * pages (the minimal XML extraction) and shared credentials files (INI).
 * Every listed object must have a non-empty key; a truncated page must
 * carry a continuation token; nothing may read outside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_object(void *arg, const struct ps_s3_object *o)
{
	size_t *n = arg;

	if (!o->key || !*o->key || strlen(o->etag) >= sizeof(o->etag))
		abort();
	(*n)++;
	return *n > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = malloc(size + 1), *token = NULL;
	struct ps_error err = {0};
	struct ps_s3_creds c;
	size_t n = 0;
	int rc;

	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = 0;
	/* the page as bytes (not NUL-terminated for the parser) */
	rc = ps_s3_parse_list((const char *)data, size, check_object, &n,
			      &token, &err);
	if (rc == 0 && token && !*token)
		abort();
	if (rc < 0 && err.code != 3)
		abort();
	free(token);
	if (ps_s3_creds_parse(&c, xml, "default") == 0) {
		if (!c.access_key || !*c.access_key || !c.secret_key)
			abort();
		ps_s3_creds_free(&c);
	}
	free(xml);
	return 0;
}
