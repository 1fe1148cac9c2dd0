/*
 * libFuzzer target for the archive index parser (lib/archive.c): any text
 * parses or fails with a message; a parsed index re-serialises into lines
 * that parse to the same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_archive_index idx, again;
	struct ps_error err = {0};
	struct ps_buf b = {0};
	char *name = malloc(size + 1);

	memcpy(name, data, size);
	name[size] = 0;
	(void)ps_archive_check_name(name, &err);
	free(name);
	if (ps_archive_index_parse((const char *)data, size, &idx, &err) < 0) {
		if (!err.msg[0] || err.code != PS_EXIT_FAIL)
			abort();
		return 0;
	}
	ps_buf_addf(&b, "{\"ps_archive_index\":1,\"entries\":%zu}\n", idx.len);
	for (size_t i = 0; i < idx.len; i++)
		ps_archive_index_line(&b, &idx.v[i]);
	if (ps_archive_index_parse(b.data, b.len, &again, &err) < 0)
		abort();
	if (again.len != idx.len)
		abort();
	for (size_t i = 0; i < idx.len; i++)
		if (strcmp(again.v[i].path, idx.v[i].path) != 0 ||
		    again.v[i].type != idx.v[i].type || again.v[i].size != idx.v[i].size ||
		    strcmp(again.v[i].sha256, idx.v[i].sha256) != 0)
			abort();
	ps_archive_index_free(&idx);
	ps_archive_index_free(&again);
	ps_buf_free(&b);
	return 0;
}
