/*
 * zframes: zstd compression in independent frames, compressed by worker
 * threads and written in order, so that a reader can decompress several
 * frames at once.
 *
 * The input is cut into frames of two windows (4 MiB at levels 2 and 3,
 * 1 MiB at level 1; at least 1 MiB, at most 8 MiB). Each frame is a complete zstd frame with
 * its content size and checksum, preceded by a skippable frame (magic
 * PS_ZFRAMES_HINT_MAGIC, 4 bytes of content) that holds the frame's
 * compressed size as a little-endian 32-bit number: a reader cuts the
 * stream into frames without decoding it. Any zstd decoder reads the
 * stream (it passes over skippable frames); `zstd -d` gives back the input.
 *
 * Frames of 4 MiB at level 2 cost less than 0.5% of size against one frame
 * from zstd's own worker threads (whose jobs of the same size share only a
 * little history) and compress as fast on 2 cores.
 */
#ifndef PS_ZFRAMES_H
#define PS_ZFRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PS_ZFRAMES_HINT_MAGIC 0x184D2A5Eu
/* the hint frame: magic, content size (4), compressed size of the next frame */
#define PS_ZFRAMES_HINT_LEN 12

/* Where the compressed bytes go (the caller's thread, in order). */
typedef int (*ps_zframes_out)(void *ctx, const void *p, size_t n, struct ps_error *err);

struct ps_zframes;

/* level: zstd level; window_log: 0 for the level's own; threads: workers
 * (0: one per CPU, at most 4; -1: none, the caller compresses). NULL and
 * err on failure (a bad level). */
struct ps_zframes *ps_zframes_new(int level, int window_log, int threads,
				  ps_zframes_out out, void *ctx, struct ps_error *err);
/* The input size of a frame. */
size_t ps_zframes_frame_size(const struct ps_zframes *z);
int ps_zframes_write(struct ps_zframes *z, const void *p, size_t n, struct ps_error *err);
/* Compress what is left and write everything out. */
int ps_zframes_finish(struct ps_zframes *z, struct ps_error *err);
/* Stops the workers (after a failure too). NULL is fine. */
void ps_zframes_free(struct ps_zframes *z);

#endif
