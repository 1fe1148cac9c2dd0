/*
 * libFuzzer target for reading an archive (lib/archive.c, verify mode):
 * any bytes as the zstd stream, read in chunks of odd sizes. zstd's
 * buffer-less decoding into the reader's ring, libarchive's tar parsing
 * and the index checks must accept the archive or refuse it as corrupt
 * (exit status 1, with a message); never crash, hang or read out of bounds.
 * The seeds are small archives of ps_archive_writer: seed-0 to 2 of its
 * earlier form (one frame), seed-3 in frames with size hints (zframes.h,
 * decoded by the decoding threads), seed-4 a hinted frame then one
 * without.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct chunks {
	const uint8_t *p;
	size_t n, off, step;
};

static ssize_t
chunk_next(void *ctx, const void **p, struct ps_error *err)
{
	struct chunks *c = ctx;
	size_t take = c->n - c->off;

	(void)err;
	if (take > c->step)
		take = c->step;
	*p = c->p + c->off;
	c->off += take;
	return (ssize_t)take;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the chunk size from the last byte: blocks cut at any point */
	struct chunks c = { data, size, 0, size ? 1 + data[size - 1] % 97 * 13 : 1 };
	struct ps_archive_source src = { NULL, &c, chunk_next };
	struct ps_archive_ropts o = { .mode = PS_ARCHIVE_VERIFY };
	struct ps_archive_result res;
	struct ps_error err = {0};

	if (ps_archive_read(&src, &o, &res, &err) < 0 &&
	    (!err.msg[0] || err.code != PS_EXIT_FAIL))
		abort();
	ps_archive_result_free(&res);
	return 0;
}
