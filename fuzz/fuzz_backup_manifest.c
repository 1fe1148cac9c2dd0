/*
 * libFuzzer target for the backup manifest parser (lib/backup.c): any bytes
 * parse into a checked manifest or fail with a message; the id of a parsed
 * manifest is a valid backup id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_backup_manifest m;
	struct ps_error err = {0};
	time_t t;

	if (ps_backup_manifest_parse((const char *)data, size, &m, &err) < 0) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (!ps_backup_id_parse(m.id, &t) || strlen(m.object_sha256) != 64 ||
	    ps_store_check_name(m.object, &err) < 0)
		abort();
	ps_backup_manifest_free(&m);
	return 0;
}
