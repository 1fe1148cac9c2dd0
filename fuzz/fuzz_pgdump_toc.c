/*
 * libFuzzer target for lib/pgdump.c's table of contents (toc.json of a
 * database backup): any bytes parse or are refused without a crash, and a
 * parsed TOC written back parses to the same tables, figures and entries.
 * Also feeds the bytes to the row accounting, split at an input-chosen
 * point, and checks the figures do not depend on the split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pgdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
rows_split(const uint8_t *data, size_t size)
{
	struct ps_pgdump_rows a = { 0 }, b = { 0 };
	size_t cut = size ? data[0] % (size + 1) : 0;

	ps_pgdump_rows_feed(&a, data, size);
	ps_pgdump_rows_finish(&a);
	ps_pgdump_rows_feed(&b, data, cut);
	ps_pgdump_rows_feed(&b, data + cut, size - cut);
	ps_pgdump_rows_finish(&b);
	if (a.rows != b.rows || a.checksum != b.checksum || a.bytes != size)
		abort();
	ps_pgdump_rows_free(&a);
	ps_pgdump_rows_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_pgdump *d = NULL, *d2 = NULL;
	struct ps_error err = { 0 };
	char *out;
	size_t i;

	rows_split(data, size);
	if (ps_pgdump_toc_parse((const char *)data, size, &d, &err) < 0) {
		if (d || err.code != PS_EXIT_FAIL)
			abort();
		return 0;
	}
	out = ps_pgdump_toc_json(d);
	if (ps_pgdump_toc_parse(out, strlen(out), &d2, &err) < 0)
		abort();
	if (d2->ntables != d->ntables || d2->nentries != d->nentries)
		abort();
	for (i = 0; i < d->ntables; i++)
		if (strcmp(d->tables[i].qname, d2->tables[i].qname) != 0 ||
		    d->tables[i].rows != d2->tables[i].rows ||
		    d->tables[i].checksum != d2->tables[i].checksum)
			abort();
	for (i = 0; i < d->nentries; i++)
		if (strcmp(d->entries[i].sql, d2->entries[i].sql) != 0 ||
		    d->entries[i].section != d2->entries[i].section ||
		    d->entries[i].parallel != d2->entries[i].parallel)
			abort();
	free(out);
	ps_pgdump_free(d);
	ps_pgdump_free(d2);
	return 0;
}
