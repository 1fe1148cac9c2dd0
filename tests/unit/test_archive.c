/* Unit tests for lib/archive: write a tree, verify, list, extract, the
 * index parser, tampering, and unsafe archives refused. */
#include <check.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_getFrameHeader */
#include <zstd.h>

#include "lib/archive.h"
#include "lib/zframes.h"

static char root[256];

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/ps-test-archive.%d", (int)getpid());
	sh("rm -rf %s && mkdir -p %s/src/sub/deeper %s/src/empty-dir", root, root, root);
	sh("cd %s/src && printf 'hello\\n' > a.txt && : > empty && "
	   "head -c 3000000 /dev/urandom > sub/random.bin && "
	   "ln -s a.txt link && ln -s ../../outside sub/dangling && ln a.txt hard && "
	   "printf x > 'with space' && printf y > \"$(printf 'new\\nline')\" && "
	   "printf z > 'ünïcødé' && chmod 751 sub && printf q > sub/deeper/skip.tmp",
	   root);
}

static void
teardown(void)
{
	sh("chmod -R u+rwx %s 2>/dev/null; rm -rf %s", root, root);
}

static int
buf_write(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	ps_buf_add(ctx, p, n);
	return 0;
}

struct memsrc {
	const char *p;
	size_t n, off, step;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n, struct ps_error *err)
{
	struct memsrc *m = ctx;
	size_t take = m->n - m->off;

	if (take > n)
		take = n;
	if (take > m->step)
		take = m->step;
	memcpy(buf, m->p + m->off, take);
	m->off += take;
	return (ssize_t)take;
}

/* The same as a source that lends its bytes (as decryption in place does). */
static ssize_t
mem_next(void *ctx, const void **p, struct ps_error *err)
{
	struct memsrc *m = ctx;
	size_t take = m->n - m->off;

	if (take > m->step)
		take = m->step;
	*p = m->p + m->off;
	m->off += take;
	return (ssize_t)take;
}

static const char *const excl[] = { "*.tmp", NULL };

static void
write_tree(struct ps_buf *out, struct ps_archive_stats *st, int threads)
{
	struct ps_archive_wopts o = { .level = 3, .threads = threads, .exclude = excl };
	struct ps_archive_sink s = { buf_write, out };
	struct ps_error err = {0};
	struct ps_archive_writer *w = ps_archive_writer_new(&o, &s, &err);
	char src[300];

	ck_assert_msg(w != NULL, "%s", err.msg);
	snprintf(src, sizeof(src), "%s/src", root);
	ck_assert_msg(ps_archive_add_tree(w, src, "data/src", &err) == 0, "%s", err.msg);
	ck_assert_msg(ps_archive_writer_finish(w, st, &err) == 0, "%s", err.msg);
	ps_archive_writer_free(w);
}

static int
read_mem(const struct ps_buf *b, enum ps_archive_mode mode, const char *dest,
	 struct ps_archive_result *res, struct ps_error *err)
{
	struct memsrc m = { b->data, b->len, 0, 100000 };
	struct ps_archive_source s = { mem_read, &m };
	struct ps_archive_ropts o = { .mode = mode, .dest = dest };

	return ps_archive_read(&s, &o, res, err);
}

START_TEST(write_and_verify)
{
	struct ps_buf b = {0};
	struct ps_archive_stats st;
	struct ps_archive_result res;
	struct ps_error err = {0};

	write_tree(&b, &st, _i == 0 ? -1 : 2);
	ck_assert_uint_eq(st.files, 6);	/* a.txt empty random with-space newline unicode */
	ck_assert_uint_eq(st.hardlinks, 1);
	ck_assert_uint_eq(st.symlinks, 2);
	ck_assert_uint_eq(st.dirs, 4);	/* src sub deeper empty-dir */
	ck_assert_uint_eq(st.zst_bytes, b.len);
	ck_assert_uint_lt(b.len, st.tar_bytes);
	ck_assert_msg(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.st.files, 6);
	ck_assert_uint_eq(res.hashed, 6);
	ck_assert_str_eq(res.st.index_sha256, st.index_sha256);
	ck_assert_uint_eq(res.index.len, 13);
	/* the digest in the index is the file's */
	for (size_t i = 0; i < res.index.len; i++)
		if (strcmp(res.index.v[i].path, "data/src/a.txt") == 0)
			ck_assert_str_eq(res.index.v[i].sha256,
					 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	ps_archive_result_free(&res);
	/* room taken ahead for fewer, as many or more entries than come
	 * (a manifest's count) reads the same */
	for (uint64_t hint = 1; hint <= 64; hint *= 4) {
		struct memsrc m = { b.data, b.len, 0, 100000 };
		struct ps_archive_source s = { mem_read, &m };
		struct ps_archive_ropts o = { .mode = PS_ARCHIVE_VERIFY,
					      .entries_hint = hint == 16 ? 13 : hint };

		ck_assert_msg(ps_archive_read(&s, &o, &res, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(res.hashed, 6);
		ck_assert_uint_eq(res.index.len, 13);
		ck_assert_str_eq(res.st.index_sha256, st.index_sha256);
		ps_archive_result_free(&res);
	}
	ps_buf_free(&b);
}
END_TEST

/* A sink that must not be written once the test says it is gone. */
struct gone_sink {
	struct ps_buf b;
	int gone;
	int late_writes;
};

static int
gone_write(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	struct gone_sink *g = ctx;

	if (g->gone)
		g->late_writes++;
	else
		ps_buf_add(&g->b, p, n);
	return 0;
}

START_TEST(abandoned_writer_writes_nothing)
{
	struct gone_sink g = {0};
	struct ps_archive_wopts o = { .level = 1, .threads = 2 };
	struct ps_archive_sink s = { gone_write, &g };
	struct ps_error err = {0};
	struct ps_archive_writer *w = ps_archive_writer_new(&o, &s, &err);
	static unsigned char big[4 << 20];
	unsigned x = 12345;

	ck_assert_msg(w != NULL, "%s", err.msg);
	for (size_t i = 0; i < sizeof(big); i++) {	/* incompressible */
		x = x * 1103515245u + 12345u;
		big[i] = (unsigned char)(x >> 23);
	}
	ck_assert_int_eq(ps_archive_add_buffer(w, "a", big, sizeof(big), 0600, 0, &err), 0);
	ck_assert_int_eq(ps_archive_add_buffer(w, "b", big, 1000, 0600, 0, &err), 0);
	usleep(200000);	/* let zstd's workers finish their jobs */
	g.gone = 1;	/* the caller gave up: its sink is no more */
	ps_archive_writer_free(w);
	ck_assert_int_eq(g.late_writes, 0);
	ps_buf_free(&g.b);
}
END_TEST

START_TEST(buffer_digest_given)
{
	struct ps_buf b = {0};
	struct ps_archive_wopts o = { .level = 1, .threads = -1 };
	struct ps_archive_sink s = { buf_write, &b };
	struct ps_archive_stats st;
	struct ps_archive_result res;
	struct ps_error err = {0};
	struct ps_archive_writer *w = ps_archive_writer_new(&o, &s, &err);
	char sha[65];

	ps_sha256_hex("hello\n", 6, sha);
	ck_assert_int_eq(ps_archive_add_buffer_digest(w, "right", "hello\n", 6, 0600, 0, sha,
						      &err), 0);
	ck_assert_int_eq(ps_archive_writer_finish(w, &st, &err), 0);
	ps_archive_writer_free(w);
	ck_assert_msg(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(res.index.v[0].sha256, sha);
	ps_archive_result_free(&res);
	ps_buf_free(&b);
	/* a wrong digest given by the caller is caught by the reader */
	w = ps_archive_writer_new(&o, &s, &err);
	ck_assert_int_eq(ps_archive_add_buffer_digest(w, "wrong", "hello\n", 6, 0600, 0,
		"0000000000000000000000000000000000000000000000000000000000000000", &err), 0);
	ck_assert_int_eq(ps_archive_writer_finish(w, &st, &err), 0);
	ps_archive_writer_free(w);
	ck_assert_int_eq(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err), -1);
	ck_assert_int_eq(err.code, 1);
	ck_assert_msg(strstr(err.msg, "wrong") != NULL, "%s", err.msg);
	ps_archive_result_free(&res);
	ps_buf_free(&b);
}
END_TEST

/* Level 2 compresses with level 3's 2 MiB window (not its own 1 MiB);
 * level 1 keeps its small one. The frame header says which. The stream
 * is independent frames of two windows, each after a skippable frame
 * holding its compressed size. */
START_TEST(level_window)
{
	static const struct { int level; unsigned long long window; } want[] = {
		{ 1, 512 << 10 }, { 2, 2 << 20 }, { 3, 2 << 20 },
	};
	static char text[(5 << 20) + 300000];
	size_t off = 0;

	for (unsigned i = 0; off + 64 < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "line %u of a text file\n",
					i * 2654435761u % 100000);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		struct ps_buf b = {0};
		struct ps_archive_wopts o = { .level = want[k].level, .threads = _i ? 2 : -1 };
		struct ps_archive_sink s = { buf_write, &b };
		struct ps_archive_stats st;
		struct ps_archive_result res;
		struct ps_error err = {0};
		struct ps_archive_writer *w = ps_archive_writer_new(&o, &s, &err);
		ZSTD_frameHeader h;

		ck_assert_msg(w != NULL, "%s", err.msg);
		ck_assert_int_eq(ps_archive_add_buffer(w, "t", text, off, 0600, 0, &err), 0);
		ck_assert_int_eq(ps_archive_writer_finish(w, &st, &err), 0);
		ps_archive_writer_free(w);
		/* hint, frame of two windows (level 1: 1 MiB, else 4 MiB),
		 * hint, frame, ..., hint, frame of the rest */
		size_t frame = want[k].level == 1 ? 1 << 20 : 4 << 20;
		size_t want_frames = (st.tar_bytes + frame - 1) / frame;

		for (size_t at = 0, nframes = 0; at < b.len || nframes < want_frames; nframes++) {
			const unsigned char *p = (const unsigned char *)b.data + at;
			uint32_t csize;

			ck_assert_msg(nframes < want_frames, "more than %zu frames", want_frames);
			ck_assert_uint_ge(b.len - at, PS_ZFRAMES_HINT_LEN);
			ck_assert_uint_eq(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24,
					  PS_ZFRAMES_HINT_MAGIC);
			ck_assert_uint_eq(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24, 4);
			csize = p[8] | p[9] << 8 | p[10] << 16 | (uint32_t)p[11] << 24;
			p += PS_ZFRAMES_HINT_LEN;
			ck_assert_uint_eq(ZSTD_findFrameCompressedSize(p, b.len - at - PS_ZFRAMES_HINT_LEN),
					  csize);
			ck_assert_uint_eq(ZSTD_getFrameContentSize(p, csize),
					  nframes + 1 < want_frames ? frame
								    : st.tar_bytes - nframes * frame);
			ck_assert_uint_eq(ZSTD_getFrameHeader(&h, p, csize), 0);
			if (nframes == 0)
				ck_assert_msg(want[k].level == 1 ? h.windowSize <= want[k].window :
					      h.windowSize == want[k].window,
					      "level %d: window %llu", want[k].level, h.windowSize);
			at += PS_ZFRAMES_HINT_LEN + csize;
		}
		ck_assert_msg(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(res.hashed, 1);
		ps_archive_result_free(&res);
		ps_buf_free(&b);
	}
}
END_TEST

START_TEST(extract_identical)
{
	struct ps_buf b = {0};
	struct ps_archive_stats st;
	struct ps_archive_result res;
	struct ps_error err = {0};
	char dest[300];
	struct stat a, h;

	write_tree(&b, &st, 2);
	snprintf(dest, sizeof(dest), "%s/out", root);
	mkdir(dest, 0700);
	ck_assert_msg(read_mem(&b, PS_ARCHIVE_EXTRACT, dest, &res, &err) == 0, "%s", err.msg);
	sh("cd %s && rm src/sub/deeper/skip.tmp && diff -r --no-dereference src out/data/src", root);
	sh("test \"$(stat -c %%a %s/out/data/src/sub)\" = 751", root);
	sh("test \"$(readlink %s/out/data/src/sub/dangling)\" = ../../outside", root);
	snprintf(dest, sizeof(dest), "%s/out/data/src/a.txt", root);
	ck_assert_int_eq(stat(dest, &a), 0);
	snprintf(dest, sizeof(dest), "%s/out/data/src/hard", root);
	ck_assert_int_eq(stat(dest, &h), 0);
	ck_assert_uint_eq(a.st_ino, h.st_ino);
	sh("cd %s && test \"$(stat -c %%Y src/a.txt)\" = \"$(stat -c %%Y out/data/src/a.txt)\"", root);
	ps_archive_result_free(&res);
	ps_buf_free(&b);
}
END_TEST

START_TEST(corruption_detected)
{
	struct ps_buf b = {0};
	struct ps_archive_stats st;
	struct ps_error err = {0};
	size_t pos[] = { 0, 100, 1000, 5000, 0, 0 };
	/* (header bits such as the window size need not matter: the manifest's
	 * object digest covers those) */

	write_tree(&b, &st, 2);
	pos[4] = b.len / 2;
	pos[5] = b.len - 2;
	for (size_t i = 0; i < PS_ARRAY_LEN(pos); i++) {
		struct ps_archive_result res;
		b.data[pos[i]] ^= 0x20;
		ck_assert_msg(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err) < 0,
			      "flip at %zu accepted", pos[i]);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		ps_archive_result_free(&res);
		b.data[pos[i]] ^= 0x20;
	}
	/* truncated */
	for (size_t cut = 0; cut < b.len; cut += b.len / 7 + 1) {
		struct ps_buf t = {0};
		struct ps_archive_result res;
		ps_buf_add(&t, b.data, cut);
		ck_assert_msg(read_mem(&t, PS_ARCHIVE_VERIFY, NULL, &res, &err) < 0,
			      "truncation at %zu accepted", cut);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		ps_archive_result_free(&res);
		ps_buf_free(&t);
	}
	ps_buf_free(&b);
}
END_TEST

/* A hand-made tar.zst from entries: name, type ('f', 'l' symlink, 'h' hard
 * link, 'c' char device, 'd' dir), target or content. */
struct craft {
	const char *name;
	char type;
	const char *arg;
};

/* How craft() compresses: 0 one frame at level 3; 1 one frame with an
 * 8 MiB window; 2 three frames with a skippable frame between the first
 * two; 3 a frame declaring a 512 MiB window; 4 one frame with a 32 MiB
 * window (beyond what the reader's ring holds: zstd's streaming API); 5
 * frames of 4 MiB with size hints (decoded in parallel); 6 hinted frames,
 * an empty hinted frame, a frame after a hint too large to take (decoded
 * in order), a frame without hint, then hinted frames again; 7 one hinted
 * frame whose content (20 MiB) is larger than a place in the ring and 8
 * one whose content size is not stated (both decoded in order from the
 * frame read whole). */
static int craft_zstd;

/* One frame of p into out, the content size left out of its header (so a
 * large window is kept as asked). */
static void
zframe(struct ps_buf *out, const void *p, size_t n, int window_log)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_inBuffer in = { p, n, 0 };
	size_t r;

	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	if (window_log)
		ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
	ps_xgrow(&out->data, &out->cap, out->len + ZSTD_compressBound(n) + 64, 1);
	for (int end = 0;;) {	/* all input, then the frame's end */
		ZSTD_outBuffer o = { out->data + out->len, out->cap - out->len, 0 };
		r = ZSTD_compressStream2(c, &o, &in, end ? ZSTD_e_end : ZSTD_e_continue);
		ck_assert(!ZSTD_isError(r));
		out->len += o.pos;
		if (end && r == 0)
			break;
		end = in.pos == in.size;
	}
	ZSTD_freeCCtx(c);
}

static int
buf_out(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	(void)err;
	ps_buf_add(ctx, p, n);
	return 0;
}

/* A size hint for a frame of csize bytes. */
static void
hint(struct ps_buf *out, size_t csize)
{
	const unsigned char h[PS_ZFRAMES_HINT_LEN] = {
		0x5e, 0x2a, 0x4d, 0x18, 4, 0, 0, 0,
		csize & 0xff, csize >> 8 & 0xff, csize >> 16 & 0xff, csize >> 24 & 0xff,
	};

	ps_buf_add(out, h, sizeof(h));
}

/* p as zframes writes it: hinted independent frames. */
static void
zframes_of(struct ps_buf *out, const void *p, size_t n)
{
	struct ps_error err = {0};
	struct ps_zframes *z = ps_zframes_new(3, 0, 2, buf_out, out, &err);

	ck_assert_msg(z != NULL, "%s", err.msg);
	ck_assert_int_eq(ps_zframes_write(z, p, n, &err), 0);
	ck_assert_int_eq(ps_zframes_finish(z, &err), 0);
	ps_zframes_free(z);
}

static void
zcompress(struct ps_buf *out, const char *tar, size_t used)
{
	static const unsigned char huge_hint[] = {
		0x5e, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff,
	};
	size_t third = used / 3;

	static const unsigned char skip[] = { 0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z' };

	switch (craft_zstd) {
	case 0:
		ps_xgrow(&out->data, &out->cap, ZSTD_compressBound(used) + 1, 1);
		out->len = ZSTD_compress(out->data, out->cap, tar, used, 3);
		ck_assert(!ZSTD_isError(out->len));
		break;
	case 1:
		zframe(out, tar, used, 23);
		break;
	case 2:
		zframe(out, tar, used / 3, 0);
		ps_buf_add(out, skip, sizeof(skip));
		zframe(out, tar + used / 3, used / 3, 0);
		zframe(out, tar + 2 * (used / 3), used - 2 * (used / 3), 0);
		break;
	case 3:
		zframe(out, tar, used, 29);
		break;
	case 4:
		zframe(out, tar, used, 25);
		break;
	case 5:
		zframes_of(out, tar, used);
		break;
	case 6:
		zframes_of(out, tar, third);
		zframes_of(out, "", 0);
		ps_buf_add(out, huge_hint, sizeof(huge_hint));
		zframe(out, tar + third, 1000, 0);
		zframe(out, tar + third + 1000, third - 1000, 0);
		zframes_of(out, tar + 2 * third, used - 2 * third);
		break;
	case 7:
	case 8: {
		struct ps_buf f = {0};

		if (craft_zstd == 7) {
			ps_xgrow(&f.data, &f.cap, ZSTD_compressBound(used) + 1, 1);
			f.len = ZSTD_compress(f.data, f.cap, tar, used, 3);
			ck_assert(!ZSTD_isError(f.len));
			ck_assert_uint_gt(ZSTD_getFrameContentSize(f.data, f.len), 8 << 20);
		} else {
			zframe(&f, tar, used, 0);
			ck_assert(ZSTD_getFrameContentSize(f.data, f.len) == ZSTD_CONTENTSIZE_UNKNOWN);
		}
		hint(out, f.len);
		ps_buf_add(out, f.data, f.len);
		ps_buf_free(&f);
		break;
	}
	}
}

static void
craft(struct ps_buf *out, const struct craft *c, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t size = 1 << 20, used = 0;
	char *tar;

	for (size_t i = 0; i < n; i++)
		size += 2048 + (c[i].type == 'f' ? strlen(c[i].arg) : 0);
	tar = malloc(size);
	archive_write_set_format_pax_restricted(a);
	ck_assert_int_eq(archive_write_open_memory(a, tar, size, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, c[i].name);
		archive_entry_set_perm(e, 0644);
		switch (c[i].type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)strlen(c[i].arg));
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, c[i].arg);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, c[i].arg);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, 0x0103);
			break;
		}
		ck_assert_int_ge(archive_write_header(a, e), ARCHIVE_WARN);
		if (c[i].type == 'f')
			archive_write_data(a, c[i].arg, strlen(c[i].arg));
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	ps_buf_reset(out);
	zcompress(out, tar, used);
	free(tar);
}

START_TEST(unsafe_refused)
{
	static const struct craft dotdot[] = { { "ok", 'f', "x" }, { "a/../../evil", 'f', "x" } };
	static const struct craft abs[] = { { "/tmp/ps-evil", 'f', "x" } };
	static const struct craft through[] = { { "link", 'l', "/tmp" }, { "link/ps-evil", 'f', "x" } };
	static const struct craft through2[] = { { "d", 'd', "" }, { "d/l", 'l', "../.." }, { "d/l/x", 'f', "x" } };
	static const struct craft dev[] = { { "null", 'c', "" } };
	static const struct craft hl[] = { { "h", 'h', "/etc/passwd" } };
	static const struct craft hl2[] = { { "h", 'h', "never-seen" } };
	static const struct craft noindex[] = { { "plain", 'f', "data" } };
	const struct { const struct craft *c; size_t n; const char *msg; } cases[] = {
		{ dotdot, 2, "'..'" }, { abs, 1, "absolute" }, { through, 2, "symlink" },
		{ through2, 3, "symlink" }, { dev, 1, "device" }, { hl, 1, "absolute" },
		{ hl2, 1, "hard link" }, { noindex, 1, "no index" },
	};
	struct ps_buf b = {0};
	char dest[300];

	snprintf(dest, sizeof(dest), "%s/out", root);
	for (size_t i = 0; i < PS_ARRAY_LEN(cases); i++) {
		struct ps_archive_result res;
		struct ps_error err = {0};

		sh("rm -rf %s && mkdir %s", dest, dest);
		craft(&b, cases[i].c, cases[i].n);
		ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_EXTRACT, dest, &res, &err), 0);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		ck_assert_msg(strstr(err.msg, cases[i].msg) != NULL, "case %zu: %s", i, err.msg);
		ps_archive_result_free(&res);
		ck_assert_int_ne(access("/tmp/ps-evil", F_OK), 0);
	}
	ps_buf_free(&b);
}
END_TEST

/* An index announcing `announce` entries, with a line for each of e. */
static char *
index_text(const struct ps_archive_entry *e, size_t n, long long announce)
{
	struct ps_buf b = {0};

	ps_buf_addf(&b, "{\"ps_archive_index\":1,\"entries\":%lld}\n", announce);
	for (size_t i = 0; i < n; i++)
		ps_archive_index_line(&b, &e[i]);
	return b.data;
}

/* The index is checked against what was read, entry by entry. */
START_TEST(index_mismatch)
{
	struct ps_archive_entry x = { .path = "x", .type = PS_ARCHIVE_FILE, .size = 1,
				      .mode = 0600, .mtime = 7 };
	struct ps_archive_entry l = { .path = "l", .type = PS_ARCHIVE_SYMLINK,
				      .mode = 0777, .target = "x" };
	struct ps_archive_entry v[2];
	struct {
		const char *msg;	/* NULL: accepted */
		char *index;
	} cases[9];
	size_t nc = 0;
	struct ps_buf b = {0};

	ps_sha256_hex("a", 1, x.sha256);
	v[0] = x;
	v[1] = l;
	cases[nc++] = (__typeof__(cases[0])){ NULL, index_text(v, 2, 2) };
	v[0].sha256[3] ^= 1;
	cases[nc++] = (__typeof__(cases[0])){ "digest mismatch for 'x'", index_text(v, 2, 2) };
	v[0] = x;
	v[0].size = 2;
	cases[nc++] = (__typeof__(cases[0])){ "size mismatch for 'x'", index_text(v, 2, 2) };
	v[0] = x;
	v[0].path = "y";
	cases[nc++] = (__typeof__(cases[0])){ "entry 1 is 'x'", index_text(v, 2, 2) };
	v[0] = x;
	v[1].target = "elsewhere";
	cases[nc++] = (__typeof__(cases[0])){ "link target mismatch for 'l'", index_text(v, 2, 2) };
	v[1] = l;
	cases[nc++] = (__typeof__(cases[0])){ "holds 2 entries, its index lists 1", index_text(v, 1, 1) };
	cases[nc++] = (__typeof__(cases[0])){ "header announces 3", index_text(v, 2, 3) };
	cases[nc] = (__typeof__(cases[0])){ "corrupt", index_text(v, 2, 2) };
	memcpy(strstr(cases[nc].index, "\"path\":\"l\""), "{", 1);
	nc++;
	for (size_t i = 0; i < nc; i++) {
		const struct craft c[] = {
			{ "x", 'f', "a" }, { "l", 'l', "x" },
			{ PS_ARCHIVE_INDEX_NAME, 'f', cases[i].index },
		};
		struct ps_archive_result res;
		struct ps_error err = {0};
		int rc;

		craft(&b, c, PS_ARRAY_LEN(c));
		rc = read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err);
		if (!cases[i].msg) {
			ck_assert_msg(rc == 0, "%s", err.msg);
			ck_assert_uint_eq(res.hashed, 1);
			ck_assert_uint_eq(res.index.len, 2);
			/* the result's index is the archive's, as recorded */
			ck_assert_uint_eq(res.index.v[0].mode, 0600);
			ck_assert_int_eq(res.index.v[0].mtime, 7);
			ck_assert_str_eq(res.index.v[0].sha256, x.sha256);
			ck_assert_str_eq(res.index.v[1].target, "x");
		} else {
			ck_assert_msg(rc < 0, "case %zu accepted", i);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ck_assert_msg(strstr(err.msg, cases[i].msg) != NULL, "case %zu: %s", i, err.msg);
		}
		ps_archive_result_free(&res);
		free(cases[i].index);
	}
	ps_buf_free(&b);
}
END_TEST

/* An index large enough to be checked in two halves on two threads. */
START_TEST(index_large)
{
	enum { N = 24000, BAD1 = 20001, BAD2 = 3001 };
	struct craft *c = calloc(N + 1, sizeof(*c));
	struct ps_archive_entry *e = calloc(N, sizeof(*e));
	char (*names)[40] = calloc(N, sizeof(*names));
	char *text;
	struct ps_buf b = {0};
	struct ps_archive_result res;
	struct ps_archive_index idx;
	struct ps_error err = {0};

	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "tree/entry-%05zu-padding", i);
		e[i].path = names[i];
		e[i].mode = 0644;
		e[i].mtime = (int64_t)i;
		c[i].name = names[i];
		if (i % 100 == 1) {
			c[i].type = 'f';
			c[i].arg = "content";
			e[i].type = PS_ARCHIVE_FILE;
			e[i].size = 7;
			ps_sha256_hex("content", 7, e[i].sha256);
		} else {
			c[i].type = 'd';
			c[i].arg = "";
			e[i].type = PS_ARCHIVE_DIR;
		}
	}
	c[N].name = PS_ARCHIVE_INDEX_NAME;
	c[N].type = 'f';
	/* well-formed: accepted, and the result is the index as parsed */
	text = index_text(e, N, N);
	ck_assert_uint_gt(strlen(text), 1u << 20);
	c[N].arg = text;
	craft(&b, c, N + 1);
	ck_assert_msg(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err) == 0, "%s", err.msg);
	ck_assert_msg(ps_archive_index_parse(text, strlen(text), &idx, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.index.len, idx.len);
	for (size_t i = 0; i < N; i++) {
		ck_assert_str_eq(res.index.v[i].path, idx.v[i].path);
		ck_assert_int_eq(res.index.v[i].type, idx.v[i].type);
		ck_assert_uint_eq(res.index.v[i].size, idx.v[i].size);
		ck_assert_uint_eq(res.index.v[i].mode, idx.v[i].mode);
		ck_assert_int_eq(res.index.v[i].mtime, idx.v[i].mtime);
		ck_assert_str_eq(res.index.v[i].sha256, idx.v[i].sha256);
	}
	ps_archive_index_free(&idx);
	ps_archive_result_free(&res);
	free(text);
	/* a wrong digest in the second half, then also one in the first */
	e[BAD1].sha256[0] = e[BAD1].sha256[0] == 'a' ? 'b' : 'a';
	for (int round = 0; round < 2; round++) {
		const char *want = round == 0 ? "entry-20001" : "entry-03001";

		if (round == 1)
			e[BAD2].sha256[0] = e[BAD2].sha256[0] == 'a' ? 'b' : 'a';
		text = index_text(e, N, N);
		c[N].arg = text;
		craft(&b, c, N + 1);
		ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		ck_assert_msg(strstr(err.msg, "digest mismatch") && strstr(err.msg, want),
			      "round %d: %s", round, err.msg);
		ps_archive_result_free(&res);
		if (round == 0) {	/* extracting: the same verdict */
			char dest[300];

			snprintf(dest, sizeof(dest), "%s/mismatch", root);
			ck_assert_int_eq(mkdir(dest, 0700), 0);
			ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_EXTRACT, dest, &res, &err), 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ck_assert_msg(strstr(err.msg, "digest mismatch") && strstr(err.msg, want),
				      "extract: %s", err.msg);
			ps_archive_result_free(&res);
			sh("rm -rf %s/mismatch", root);
		}
		free(text);
	}
	ps_buf_free(&b);
	free(names);
	free(e);
	free(c);
}
END_TEST

static size_t
le32_at(const struct ps_buf *b, size_t at)
{
	const unsigned char *p = (const unsigned char *)b->data + at;

	ck_assert_uint_le(at + 4, b->len);
	return p[0] | p[1] << 8 | p[2] << 16 | (size_t)p[3] << 24;
}

/* Decompression of streams other than the writer's: content much larger
 * than the window (matches reaching megabytes back), a large window,
 * several frames with a skippable one, and a window too large refused. */
START_TEST(zstd_streams)
{
	enum { BIG = 20 << 20 };
	char *big = malloc(BIG + 1);
	struct ps_archive_entry e[2] = {
		{ .path = "big", .type = PS_ARCHIVE_FILE, .size = BIG, .mode = 0644 },
		{ .path = "small", .type = PS_ARCHIVE_FILE, .size = 5, .mode = 0644 },
	};
	unsigned seed = 1;
	char *text;
	struct ps_buf b = {0};

	/* text whose 64 KiB pieces repeat earlier ones from up to 6 MiB back */
	for (size_t i = 0; i < BIG; i += 65536) {
		size_t m = BIG - i < 65536 ? BIG - i : 65536;
		seed = seed * 1103515245u + 12345u;
		if (i >= (1u << 20) && seed % 3) {
			size_t back = (1 + (seed >> 8) % 96) * 65536;
			memcpy(big + i, big + i - (back > i ? i : back), m);
			big[i + (seed >> 4) % m] = 'A' + (char)(seed % 26);
		} else {
			for (size_t j = 0; j < m; j++) {
				seed = seed * 1103515245u + 12345u;
				big[i + j] = 'a' + (char)((seed >> 16) % 26);
			}
		}
	}
	big[BIG] = 0;
	ps_sha256_hex(big, BIG, e[0].sha256);
	ps_sha256_hex("small", 5, e[1].sha256);
	text = index_text(e, 2, 2);
	for (int mode = 0; mode < 9; mode++) {
		const struct craft c[] = {
			{ "big", 'f', big }, { "small", 'f', "small" },
			{ PS_ARCHIVE_INDEX_NAME, 'f', text },
		};
		struct ps_archive_result res;
		struct ps_error err = {0};
		int rc;

		craft_zstd = mode;
		craft(&b, c, PS_ARRAY_LEN(c));
		rc = read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err);
		if (mode != 3) {
			ck_assert_msg(rc == 0, "mode %d: %s", mode, err.msg);
			ck_assert_uint_eq(res.hashed, 2);
			ck_assert_uint_eq(res.st.bytes, BIG + 5);
			ck_assert_uint_eq(res.st.zst_bytes, b.len);
		} else {	/* zstd's limit: 128 MiB */
			ck_assert_int_lt(rc, 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		}
		ps_archive_result_free(&res);
		/* the same through sources of odd chunk sizes, read and next:
		 * frame and block headers, blocks and checksums cut anywhere */
		for (int k = 0; k < 4 && mode != 3; k++) {
			static const size_t steps[] = { 777, 65536 + 3, 12345, 1 << 20 };
			struct memsrc m = { b.data, b.len, 0, steps[k] };
			struct ps_archive_source s = { mem_read, &m };
			struct ps_archive_ropts o = { .mode = PS_ARCHIVE_VERIFY };

			if (k >= 2)
				s = (struct ps_archive_source){ NULL, &m, mem_next };
			rc = ps_archive_read(&s, &o, &res, &err);
			ck_assert_msg(rc == 0, "mode %d, chunks of %zu: %s", mode, steps[k], err.msg);
			ck_assert_uint_eq(res.hashed, 2);
			ck_assert_uint_eq(res.st.bytes, BIG + 5);
			ps_archive_result_free(&res);
		}
		if (mode == 1 || mode == 2) {	/* the last frame's checksum */
			b.data[b.len - 1] ^= 0x01;
			ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ck_assert_msg(strstr(err.msg, "checksum") != NULL, "%s", err.msg);
			ps_archive_result_free(&res);
			b.data[b.len - 1] ^= 0x01;
		}
		if (mode == 1) {	/* a flipped byte late in the stream */
			b.data[b.len - b.len / 5] ^= 0x10;
			ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ps_archive_result_free(&res);
		}
		if (mode == 5) {	/* frames decoded in parallel, damaged */
			size_t second = PS_ZFRAMES_HINT_LEN + le32_at(&b, 8);
			size_t csize = le32_at(&b, second + 8);
			struct ps_buf t = {0};

			/* a flipped byte inside the second frame */
			b.data[second + PS_ZFRAMES_HINT_LEN + csize / 2] ^= 0x20;
			ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ck_assert_msg(strstr(err.msg, "corrupt") != NULL, "%s", err.msg);
			ps_archive_result_free(&res);
			b.data[second + PS_ZFRAMES_HINT_LEN + csize / 2] ^= 0x20;
			/* its hint one byte off */
			b.data[second + 8] ^= 0x01;
			ck_assert_int_lt(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ck_assert_msg(strstr(err.msg, "size hint") != NULL, "%s", err.msg);
			ps_archive_result_free(&res);
			b.data[second + 8] ^= 0x01;
			/* cut inside the second frame */
			ps_buf_add(&t, b.data, second + PS_ZFRAMES_HINT_LEN + csize / 2);
			ck_assert_int_lt(read_mem(&t, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
			ck_assert_int_eq(err.code, PS_EXIT_FAIL);
			ck_assert_msg(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
			ps_archive_result_free(&res);
			ps_buf_free(&t);
		}
		if (mode == 2) {	/* cut inside the last frame, and between frames */
			struct ps_buf t = {0};
			ps_buf_add(&t, b.data, b.len - 100);
			ck_assert_int_lt(read_mem(&t, PS_ARCHIVE_VERIFY, NULL, &res, &err), 0);
			ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
			ps_archive_result_free(&res);
			ps_buf_free(&t);
		}
	}
	craft_zstd = 0;
	free(text);
	free(big);
	ps_buf_free(&b);
}
END_TEST

/* A sink that fails after `limit` bytes. */
struct failing_sink {
	size_t written, limit;
};

static int
failing_write(void *ctx, const void *p, size_t n, struct ps_error *err)
{
	struct failing_sink *f = ctx;

	(void)p;
	if (f->written + n > f->limit)
		return ps_error_set(err, PS_EXIT_OPER, "disk full (test)");
	f->written += n;
	return 0;
}

static int
open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/*
 * The walker reads ahead of the writing: with many files larger than what
 * it reads whole (each waits open), a low descriptor limit is enough; and
 * when the sink fails, the walk stops and everything it had opened or
 * queued is released.
 */
START_TEST(walk_ahead_bounded)
{
	struct ps_archive_wopts o = { .level = 1, .threads = 2 };
	struct failing_sink fs = { 0, (size_t)-1 };
	struct ps_archive_sink s = { failing_write, &fs };
	struct ps_archive_stats st;
	struct ps_error err = {0};
	struct ps_archive_writer *w;
	struct rlimit old, low;
	char src[300];
	int fds = open_fds();

	snprintf(src, sizeof(src), "%s/many", root);
	sh("mkdir -p %s && cd %s && for i in $(seq 150); do head -c 300000 /dev/urandom > big$i; "
	   "printf $i > small$i; done", src, src);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	w = ps_archive_writer_new(&o, &s, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_msg(ps_archive_add_tree(w, src, "many", &err) == 0, "%s", err.msg);
	ck_assert_msg(ps_archive_writer_finish(w, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.files, 300);
	ck_assert_uint_eq(st.bytes, 150u * 300000 + 9 + 90 * 2 + 51 * 3);
	ps_archive_writer_free(w);
	ck_assert_int_eq(open_fds(), fds);

	/* the sink fails part of the way: an error, promptly, nothing held */
	fs.written = 0;
	fs.limit = 64 << 10;
	w = ps_archive_writer_new(&o, &s, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ps_archive_add_tree(w, src, "many", &err), -1);
	ck_assert_msg(strstr(err.msg, "disk full (test)") != NULL, "%s", err.msg);
	ps_archive_writer_free(w);
	ck_assert_int_eq(open_fds(), fds);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
}
END_TEST

START_TEST(index_parser)
{
	struct ps_archive_index idx;
	struct ps_error err = {0};
	struct ps_buf b = {0};
	struct ps_archive_entry e = { .path = "bad\xff name", .type = PS_ARCHIVE_FILE,
				      .size = 3, .mode = 0644, .mtime = 5 };
	const char *bad[] = {
		"",
		"{\"ps_archive_index\":2,\"entries\":0}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"file\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"fifo\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"symlink\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n[1]\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path_hex\":\"zz\",\"type\":\"dir\"}\n",
		/* what jansson refused before the index was read with yajl's
		 * events, and still is: NUL, duplicates, reals, garbage */
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\\u0000y\",\"type\":\"dir\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"path\":\"y\",\"type\":\"dir\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"dir\",\"mode\":493.0}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"dir\"} \"\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"dir\"}}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"\xc0\xaf\",\"type\":\"dir\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"\\udc00\",\"type\":\"dir\"}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"dir\",\"mtime\":1e3}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"x\",\"type\":\"dir\",\"mtime\":"
		"99999999999999999999}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":[\"x\"],\"type\":\"dir\"}\n",
		"{\"ps_archive_index\":1,\"ps_archive_index\":1,\"entries\":0}\n",
		/* a size on what is not a file (the fuzz target's round trip) */
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path_hex\":\"6162ff\",\"type\":\"hardlink\","
		"\"target\":\"\",\"size\":1}\n",
		"{\"ps_archive_index\":1,\"entries\":1}\n{\"path\":\"etc\",\"type\":\"dir\",\"sha256\":"
		"\"2d1c69b9a7a420a0a2e5b6d78f479da7f7a5db5070aab1b22e8e868580c7400e\"}\n",
	};

	memset(e.sha256, 'a', 64);
	ps_buf_adds(&b, "{\"ps_archive_index\":1,\"entries\":2}\n");
	ps_archive_index_line(&b, &e);
	ps_buf_adds(&b, "{\"path\":\"l\",\"type\":\"symlink\",\"target\":\"a b\",\"mode\":511}\n");
	ck_assert_msg(ps_archive_index_parse(b.data, b.len, &idx, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(idx.len, 2);
	ck_assert_str_eq(idx.v[0].path, "bad\xff name");
	ck_assert_uint_eq(idx.v[0].size, 3);
	ck_assert_str_eq(idx.v[1].target, "a b");
	ck_assert_int_eq(idx.v[1].type, PS_ARCHIVE_SYMLINK);
	ps_archive_index_free(&idx);
	/* names round-trip through the index line whatever their bytes, and
	 * the line is JSON to jansson too: names that are not UTF-8 go as hex */
	{
		static const char *names[] = {
			"plain", "sp ace", "quo\"te", "back\\slash", "new\nline\ttab\r",
			"ctl\x01\x1f\x7f", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "/sol/idus/",
			"bad\xff", "over\xc0\xaflong", "sur\xed\xa0\x80rogate", "cut\xe2\x82",
		};
		for (size_t i = 0; i < PS_ARRAY_LEN(names); i++) {
			struct ps_archive_entry l = { .path = (char *)names[i],
						      .type = PS_ARCHIVE_SYMLINK,
						      .mode = 0777, .mtime = -1,
						      .target = (char *)names[PS_ARRAY_LEN(names) - 1 - i] };
			json_error_t je;
			json_t *j;
			int hex = strchr(names[i], '\xff') || strstr(names[i], "\xc0") ||
				  strstr(names[i], "\xed") || strstr(names[i], "\xe2\x82");

			ps_buf_reset(&b);
			ps_buf_adds(&b, "{\"ps_archive_index\":1,\"entries\":1}\n");
			ps_archive_index_line(&b, &l);
			ck_assert_msg(ps_archive_index_parse(b.data, b.len, &idx, &err) == 0,
				      "%s: %s", names[i], err.msg);
			ck_assert_str_eq(idx.v[0].path, names[i]);
			ck_assert_str_eq(idx.v[0].target, l.target);
			ck_assert_int_eq(idx.v[0].mtime, -1);
			ps_archive_index_free(&idx);
			j = json_loads(strchr(b.data, '\n') + 1, JSON_DISABLE_EOF_CHECK, &je);
			ck_assert_msg(j != NULL, "%s: %s", names[i], je.text);
			ck_assert_int_eq(json_object_get(j, hex ? "path_hex" : "path") != NULL, 1);
			if (!hex)
				ck_assert_str_eq(json_string_value(json_object_get(j, "path")),
						 names[i]);
			json_decref(j);
		}
	}
	/* escapes decode, keys of later versions (of any shape) are passed over */
	ps_buf_reset(&b);
	ps_buf_adds(&b, "{\"ps_archive_index\":1,\"entries\":1,\"note\":{\"a\":[1]}}\n"
		    " {\"x\":[{\"path\":1}],\"path\":\"a\\nb\\u00e9\\ud83d\\ude00\\\"\",\"type\":\"dir\","
		    "\"mtime\":-7}\r\n");
	ck_assert_msg(ps_archive_index_parse(b.data, b.len, &idx, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(idx.len, 1);
	ck_assert_str_eq(idx.v[0].path, "a\nb\xc3\xa9\xf0\x9f\x98\x80\"");
	ck_assert_int_eq(idx.v[0].mtime, -7);
	ps_archive_index_free(&idx);
	for (size_t i = 0; i < PS_ARRAY_LEN(bad); i++) {
		ck_assert_msg(ps_archive_index_parse(bad[i], strlen(bad[i]), &idx, &err) < 0,
			      "accepted: %s", bad[i]);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
	}
	ps_buf_free(&b);
	ck_assert_int_eq(ps_archive_check_name("a/b", &err), 0);
	ck_assert_int_eq(ps_archive_check_name("a..b/..c", &err), 0);
	ck_assert_int_lt(ps_archive_check_name("a/..", &err), 0);
	ck_assert_int_lt(ps_archive_check_name("/a", &err), 0);
	ck_assert_int_lt(ps_archive_check_name("", &err), 0);
}
END_TEST

/* More data than the reader's ring holds, in the writer's frames decoded
 * in parallel (the ring wraps around, frames of varied sizes, pieces still
 * out while the next frames decode): extracted byte for byte, verified
 * through sources of any chunking, and with each worker count. */
START_TEST(parallel_frames_ring)
{
	enum { SIZE = (56 << 20) + 12345 };
	char *data = malloc(SIZE);
	unsigned seed = 7;
	struct ps_buf b = {0};
	struct ps_archive_wopts o = { .level = 1, .threads = _i ? 2 : -1 };
	struct ps_archive_sink sink = { buf_write, &b };
	struct ps_archive_stats st;
	struct ps_archive_result res;
	struct ps_error err = {0};
	struct ps_archive_writer *w = ps_archive_writer_new(&o, &sink, &err);
	char dest[300], path[400];
	FILE *f;
	size_t got;

	/* stretches of random letters (compress to about 60%), of one letter
	 * (to nearly nothing) and of random bytes (not at all) */
	for (size_t i = 0; i < SIZE;) {
		size_t m = 1 + (seed >> 4) % (3 << 20);
		seed = seed * 1103515245u + 12345u;
		m = m < SIZE - i ? m : SIZE - i;
		for (size_t j = 0; j < m; j++) {
			seed = seed * 1103515245u + 12345u;
			data[i + j] = seed % 3 == 0 ? 'q' : seed % 3 == 1 ? (char)('a' + (seed >> 16) % 26)
									 : (char)(seed >> 16);
			if (seed % 7 == 0)	/* runs */
				memset(data + i + j, 'z', m - j < 64 ? m - j : 64);
		}
		i += m;
	}
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_int_eq(ps_archive_add_buffer(w, "big", data, SIZE, 0600, 0, &err), 0);
	ck_assert_msg(ps_archive_writer_finish(w, &st, &err) == 0, "%s", err.msg);
	ps_archive_writer_free(w);
	ck_assert_msg(read_mem(&b, PS_ARCHIVE_VERIFY, NULL, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.hashed, 1);
	ck_assert_uint_eq(res.st.bytes, SIZE);
	ps_archive_result_free(&res);
	for (int k = 0; k < 2; k++) {
		struct memsrc m = { b.data, b.len, 0, k ? 65536 + 3 : 4 << 20 };
		struct ps_archive_source s = { NULL, &m, mem_next };
		struct ps_archive_ropts ro = { .mode = PS_ARCHIVE_VERIFY };

		ck_assert_msg(ps_archive_read(&s, &ro, &res, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(res.hashed, 1);
		ps_archive_result_free(&res);
	}
	snprintf(dest, sizeof(dest), "%s/ring", root);
	ck_assert_int_eq(mkdir(dest, 0700), 0);
	ck_assert_msg(read_mem(&b, PS_ARCHIVE_EXTRACT, dest, &res, &err) == 0, "%s", err.msg);
	ps_archive_result_free(&res);
	snprintf(path, sizeof(path), "%s/big", dest);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	for (size_t off = 0; off < SIZE; off += got) {
		char chunk[65536];

		got = fread(chunk, 1, sizeof(chunk), f);
		ck_assert_uint_gt(got, 0);
		ck_assert_msg(memcmp(chunk, data + off, got) == 0, "differs near %zu", off);
	}
	ck_assert_int_eq(fgetc(f), EOF);
	fclose(f);
	ps_buf_free(&b);
	free(data);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("archive");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, write_and_verify, 0, 2);
	tcase_add_test(t, extract_identical);
	tcase_add_test(t, abandoned_writer_writes_nothing);
	tcase_add_test(t, buffer_digest_given);
	tcase_add_loop_test(t, level_window, 0, 2);
	tcase_add_test(t, corruption_detected);
	tcase_add_test(t, unsafe_refused);
	tcase_add_test(t, index_parser);
	tcase_add_test(t, index_mismatch);
	tcase_add_test(t, index_large);
	tcase_add_test(t, zstd_streams);
	tcase_add_loop_test(t, parallel_frames_ring, 0, 2);
	tcase_add_test(t, walk_ahead_bounded);
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
