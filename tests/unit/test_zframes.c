/* Unit tests for lib/zframes.c: independent frames with size hints. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_getFrameHeader */
#include <zstd.h>

#include "lib/zframes.h"

static int
buf_out(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	(void)err;
	ps_buf_add(ctx, p, n);
	return 0;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* n bytes that compress somewhat: runs of letters and random bytes */
static char *
sample(size_t n, unsigned seed)
{
	char *p = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = seed % 4 ? (char)('a' + (seed >> 16) % 8) : (char)(seed >> 16);
	}
	return p;
}

/* Walk the stream: every frame after its hint, each of `frame` bytes but
 * the last; returns the number of frames. */
static size_t
check_layout(const struct ps_buf *b, size_t n, size_t frame)
{
	size_t at = 0, nframes = 0, content = 0;

	while (at < b->len) {
		const unsigned char *p = (const unsigned char *)b->data + at;
		unsigned long long cs;
		uint32_t csize;

		ck_assert_uint_ge(b->len - at, PS_ZFRAMES_HINT_LEN);
		ck_assert_uint_eq(le32(p), PS_ZFRAMES_HINT_MAGIC);
		ck_assert_uint_eq(le32(p + 4), 4);
		csize = le32(p + 8);
		p += PS_ZFRAMES_HINT_LEN;
		ck_assert_uint_le(PS_ZFRAMES_HINT_LEN + csize, b->len - at);
		ck_assert_uint_eq(ZSTD_findFrameCompressedSize(p, csize), csize);
		cs = ZSTD_getFrameContentSize(p, csize);
		ck_assert(cs != ZSTD_CONTENTSIZE_UNKNOWN && cs != ZSTD_CONTENTSIZE_ERROR);
		content += cs;
		at += PS_ZFRAMES_HINT_LEN + csize;
		nframes++;
		if (at < b->len)
			ck_assert_uint_eq(cs, frame);
		else
			ck_assert_uint_eq(cs, n - (nframes - 1) * frame);
	}
	ck_assert_uint_eq(content, n);
	return nframes;
}

/* Streams of 0, 1, a frame less one, a frame, a frame and one and three
 * and a half frames, written in pieces of odd sizes by 0, 1 and 2
 * workers: zstd's own decoder gives the input back (passing over the
 * hints), and the frames are where the hints say. */
START_TEST(round_trip)
{
	const int threads[] = { -1, 1, 2 };
	const size_t frame = 1 << 20;	/* level 1 */
	const size_t sizes[] = { 0, 1, frame - 1, frame, frame + 1, 3 * frame + frame / 2 };

	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++)
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			size_t n = sizes[k], step = 1 + k * 77777;
			char *in = sample(n, (unsigned)(k + 1));
			struct ps_buf b = {0};
			struct ps_error err = {0};
			struct ps_zframes *z = ps_zframes_new(1, 0, threads[t], buf_out, &b, &err);
			unsigned long long total;
			char *out;

			ck_assert_msg(z != NULL, "%s", err.msg);
			ck_assert_uint_eq(ps_zframes_frame_size(z), frame);
			for (size_t off = 0; off < n; off += step)
				ck_assert_int_eq(ps_zframes_write(z, in + off,
								  n - off < step ? n - off : step, &err), 0);
			ck_assert_int_eq(ps_zframes_finish(z, &err), 0);
			ps_zframes_free(z);
			ck_assert_uint_eq(check_layout(&b, n, frame), n ? (n + frame - 1) / frame : 1);
			total = ZSTD_decompressBound(b.data, b.len);
			ck_assert_uint_eq(total, n);
			out = malloc(n + 1);
			ck_assert_uint_eq(ZSTD_decompress(out, n + 1, b.data, b.len), n);
			ck_assert(memcmp(out, in, n) == 0);
			free(out);
			free(in);
			ps_buf_free(&b);
		}
}
END_TEST

/* Two windows a frame, at least 1 MiB, at most 8 MiB; the window a level
 * asks for. */
START_TEST(frame_sizes)
{
	static const struct { int level, window_log; size_t frame; } want[] = {
		{ 1, 0, 1 << 20 }, { 2, 21, 4 << 20 }, { 3, 0, 4 << 20 }, { 9, 0, 8 << 20 },
		{ 19, 0, 8 << 20 },	/* one window: at most 8 MiB */
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct ps_buf b = {0};
		struct ps_error err = {0};
		struct ps_zframes *z = ps_zframes_new(want[i].level, want[i].window_log, 2,
						      buf_out, &b, &err);

		ck_assert_msg(z != NULL, "%s", err.msg);
		ck_assert_uint_eq(ps_zframes_frame_size(z), want[i].frame);
		ps_zframes_free(z);	/* nothing written: nothing out */
		ck_assert_uint_eq(b.len, 0);
	}
}
END_TEST

struct failing {
	size_t calls, fail_at;
};

static int
failing_out(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	struct failing *f = ctx;

	(void)p;
	(void)n;
	if (++f->calls >= f->fail_at)
		return ps_error_set(err, PS_EXIT_OPER, "disk full");
	return 0;
}

/* A failing output stops the stream with its error, from write or from
 * finish, whatever the workers are doing. */
START_TEST(output_failure)
{
	const size_t n = 6 << 20;
	char *in = sample(n, 3);

	for (size_t fail_at = 1; fail_at <= 6; fail_at++) {
		struct failing f = { 0, fail_at };
		struct ps_error err = {0};
		struct ps_zframes *z = ps_zframes_new(1, 0, 2, failing_out, &f, &err);
		int rc;

		ck_assert_msg(z != NULL, "%s", err.msg);
		rc = ps_zframes_write(z, in, n, &err);
		if (rc == 0)
			rc = ps_zframes_finish(z, &err);
		ck_assert_int_lt(rc, 0);
		ck_assert_int_eq(err.code, PS_EXIT_OPER);
		ck_assert_str_eq(err.msg, "disk full");
		ps_zframes_free(z);
	}
	free(in);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("zframes");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, round_trip);
	tcase_add_test(t, frame_sizes);
	tcase_add_test(t, output_failure);
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
