/*
 * dbarchive: a pgdump streamed into a backup archive in segments, and read
 * back from an extracted directory. See dbarchive.h.
 */
#include "dbarchive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

char *
ps_dbarchive_segment_name(const struct ps_pgdump_table *t, unsigned seq)
{
	char *file = ps_pgdump_table_file(t), *name;

	name = ps_xasprintf("%s.%06u", file, seq);
	free(file);
	return name;
}

/* ---- dump ---- */

struct dumpctx {
	struct ps_archive_writer *w;
	int64_t mtime;
	pthread_mutex_t mu;	/* guards w */
};

/* One table being dumped: its current segment. */
struct segout {
	struct dumpctx *x;
	const struct ps_pgdump_table *t;
	unsigned seq;
	unsigned char *buf;
	size_t len;
};

/* Hash the segment here, in the worker's thread; add it under the lock. */
static int
seg_flush(struct segout *s, struct ps_error *err)
{
	unsigned char md[32];
	char sha[65], *name = ps_dbarchive_segment_name(s->t, s->seq);
	int rc;

	EVP_Digest(s->buf, s->len, md, NULL, EVP_sha256(), NULL);
	ps_hex(md, sizeof(md), sha);
	pthread_mutex_lock(&s->x->mu);
	rc = ps_archive_add_buffer_digest(s->x->w, name, s->buf, s->len, 0600, s->x->mtime,
					  sha, err);
	pthread_mutex_unlock(&s->x->mu);
	free(name);
	s->seq++;
	s->len = 0;
	return rc;
}

static int
seg_begin(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	struct segout *s = ps_xcalloc(1, sizeof(*s));

	s->x = arg;
	s->t = t;
	s->buf = ps_xmalloc(PS_DBARCHIVE_SEGMENT);
	*stream = s;
	(void)err;
	return 0;
}

static int
seg_write(void *stream, const void *p, size_t n, struct ps_error *err)
{
	struct segout *s = stream;
	const unsigned char *c = p;

	while (n > 0) {
		size_t k = PS_DBARCHIVE_SEGMENT - s->len;

		if (k > n)
			k = n;
		memcpy(s->buf + s->len, c, k);
		s->len += k;
		c += k;
		n -= k;
		if (s->len == PS_DBARCHIVE_SEGMENT && seg_flush(s, err) < 0)
			return -1;
	}
	return 0;
}

static int
seg_end(void *stream, const struct ps_pgdump_table *t, int ok, struct ps_error *err)
{
	struct segout *s = stream;
	int rc = 0;

	/* the last, partial segment; an empty table still gets one */
	if (ok && (s->len > 0 || s->seq == 0))
		rc = seg_flush(s, err);
	free(s->buf);
	free(s);
	(void)t;
	return rc;
}

int
ps_dbarchive_dump(const struct ps_pgdump_opts *o, struct ps_archive_writer *w,
		  int64_t mtime, struct ps_pgdump **out, struct ps_error *err)
{
	struct dumpctx x = { .w = w, .mtime = mtime };
	struct ps_pgdump_sink sink = { &x, seg_begin, seg_write, seg_end };
	char *toc;
	int rc;

	*out = NULL;
	pthread_mutex_init(&x.mu, NULL);
	rc = ps_pgdump_dump(o, &sink, out, err);
	pthread_mutex_destroy(&x.mu);
	if (rc < 0)
		return -1;
	toc = ps_pgdump_toc_json(*out);
	rc = ps_archive_add_buffer(w, PS_PGDUMP_TOC_NAME, toc, strlen(toc), 0600, mtime, err);
	free(toc);
	if (rc < 0) {
		ps_pgdump_free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- restore ---- */

/* Count t's segments in dir into *n and their bytes into *sum: they must
 * be regular files numbered without gaps from 0. */
static int
count_segments(const char *dir, const struct ps_pgdump_table *t, unsigned *n,
	       uint64_t *sum, struct ps_error *err)
{
	unsigned seq;

	*sum = 0;
	for (seq = 0;; seq++) {
		char *name = ps_dbarchive_segment_name(t, seq);
		char *path = ps_xasprintf("%s/%s", dir, name);
		struct stat st;
		int sr = lstat(path, &st);
		int e = errno;

		free(name);
		free(path);
		if (sr < 0 && e == ENOENT)
			break;
		if (sr < 0)
			return ps_error_set(err, PS_EXIT_OPER, "table %s: %s", t->qname,
					    strerror(e));
		if (!S_ISREG(st.st_mode))
			return ps_error_set(err, PS_EXIT_FAIL,
					    "table %s: segment %u is not a regular file",
					    t->qname, seq);
		*sum += (uint64_t)st.st_size;
	}
	*n = seq;
	return 0;
}

int
ps_dbarchive_read_dir(const char *dir, struct ps_pgdump **out, struct ps_error *err)
{
	struct ps_pgdump *d;
	char *toc = ps_xasprintf("%s/%s", dir, PS_PGDUMP_TOC_NAME);
	int r = access(toc, F_OK);

	free(toc);
	*out = NULL;
	if (r < 0 && errno == ENOENT)
		return ps_error_set(err, PS_EXIT_FAIL,
				    "the backup has no %s: not a database backup, or damaged",
				    PS_PGDUMP_TOC_NAME);
	if (ps_pgdump_read_dir(dir, &d, err) < 0)
		return -1;
	for (size_t i = 0; i < d->ntables; i++) {
		const struct ps_pgdump_table *t = &d->tables[i];
		uint64_t sum;
		unsigned n;

		if (count_segments(dir, t, &n, &sum, err) < 0)
			goto fail;
		if (n == 0) {
			ps_error_set(err, PS_EXIT_FAIL, "table %s: its data is missing from the backup",
				     t->qname);
			goto fail;
		}
		if (sum != t->bytes) {
			ps_error_set(err, PS_EXIT_FAIL,
				     "table %s: the backup holds %llu bytes of its data, the dump "
				     "recorded %llu", t->qname, (unsigned long long)sum,
				     (unsigned long long)t->bytes);
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	ps_pgdump_free(d);
	return -1;
}

/* The segments in a directory, as a restore's source. */
struct segsrc {
	const char *dir;
	const struct ps_pgdump *d;
	unsigned *nseg;		/* per table of d */
};

/*
 * One table, or one part of it, being restored. A part is a run of
 * segments [first, end) cut at rows: it starts after the first newline at
 * or after the start of its first segment (at the start of the data for the
 * first part) and ends with the first newline at or after the start of
 * segment end. In COPY text a newline byte ends a row and nothing else (in
 * every server encoding a newline byte is a newline), so the parts are
 * the rows in order, each exactly once.
 */
enum { SEG_SKIP, SEG_BODY, SEG_TAIL, SEG_DONE };

struct segin {
	const char *dir;
	const struct ps_pgdump_table *t;
	unsigned seq, nseg;
	unsigned end;		/* the next part's first segment, or nseg */
	unsigned owned;		/* segments from here to end are read by this
				 * part alone */
	int phase;
	int fd;
	char *path;
};

/* Open segment s->seq: 0, or -1 and err. */
static int
seg_open(struct segin *s, struct ps_error *err)
{
	char *name = ps_dbarchive_segment_name(s->t, s->seq);

	free(s->path);
	s->path = ps_xasprintf("%s/%s", s->dir, name);
	free(name);
	s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->fd >= 0)
		return 0;
	return ps_error_set(err, PS_EXIT_OPER, "cannot open '%s': %s", s->path,
			    strerror(errno));
}

/* Segment s->seq is read to its end: on to the next. */
static int
seg_next(struct segin *s, struct ps_error *err)
{
	close(s->fd);
	s->fd = -1;
	/* a segment read to its end by the only part that reads it is gone
	 * to the server: its file goes too (a failed table fails the whole
	 * restore, which never reads it again), so the temporary space
	 * shrinks as the restore goes; segments that two parts share are
	 * left for the end */
	if (s->seq >= s->owned && s->seq < s->end)
		(void)unlink(s->path);
	if (++s->seq >= s->nseg) {
		s->phase = SEG_DONE;
		return 0;
	}
	if (s->phase == SEG_BODY && s->seq == s->end)
		s->phase = SEG_TAIL;
	return seg_open(s, err);
}

static int
seg_start(const struct segsrc *x, const struct ps_pgdump_table *t, unsigned first,
	  unsigned end, void **stream, struct ps_error *err)
{
	struct segin *s = ps_xcalloc(1, sizeof(*s));

	s->dir = x->dir;
	s->t = t;
	s->nseg = x->nseg[t - x->d->tables];
	s->seq = first;
	s->end = end;
	s->owned = first == 0 ? 0 : UINT_MAX;
	s->phase = first == 0 ? SEG_BODY : SEG_SKIP;
	s->fd = -1;
	if (first >= end)
		s->phase = SEG_DONE;	/* fewer segments than parts */
	else if (seg_open(s, err) < 0) {
		free(s->path);
		free(s);
		return -1;
	}
	*stream = s;
	return 0;
}

static int
src_open(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	const struct segsrc *x = arg;

	return seg_start(x, t, 0, x->nseg[t - x->d->tables], stream, err);
}

static int
src_open_part(void *arg, const struct ps_pgdump_table *t, unsigned k, unsigned n,
	      void **stream, struct ps_error *err)
{
	const struct segsrc *x = arg;
	uint64_t nseg = x->nseg[t - x->d->tables];

	return seg_start(x, t, (unsigned)(nseg * k / n), (unsigned)(nseg * (k + 1) / n),
			 stream, err);
}

static ssize_t
src_read(void *stream, void *buf, size_t cap, struct ps_error *err)
{
	struct segin *s = stream;
	char *c = buf, *nl;
	size_t skip;
	ssize_t n;

	while (s->phase != SEG_DONE) {
		do
			n = read(s->fd, buf, cap);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s", s->path,
					    strerror(errno));
		if (n == 0) {
			if (seg_next(s, err) < 0)
				return -1;
			continue;
		}
		switch (s->phase) {
		case SEG_BODY:
			return n;
		case SEG_TAIL:
			nl = memchr(c, '\n', (size_t)n);
			if (!nl)
				return n;
			s->phase = SEG_DONE;
			return nl - c + 1;
		default:	/* SEG_SKIP: the previous part's last row */
			nl = memchr(c, '\n', (size_t)n);
			if (!nl)
				continue;
			s->owned = s->seq + 1;
			if (s->seq >= s->end) {
				s->phase = SEG_DONE;	/* that row ran past this part */
				return 0;
			}
			s->phase = SEG_BODY;
			skip = (size_t)(nl - c) + 1;
			if (skip == (size_t)n)
				continue;
			memmove(c, c + skip, (size_t)n - skip);
			return n - (ssize_t)skip;
		}
	}
	return 0;
}

static void
src_close(void *stream)
{
	struct segin *s = stream;

	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
}

int
ps_dbarchive_source(const char *dir, const struct ps_pgdump *d, struct ps_pgdump_source *src,
		    struct ps_error *err)
{
	struct segsrc *x = ps_xmalloc(sizeof(*x));
	uint64_t sum;

	x->dir = dir;
	x->d = d;
	x->nseg = ps_xcalloc(d->ntables + 1, sizeof(unsigned));
	*src = (struct ps_pgdump_source){ x, src_open, src_read, src_close, src_open_part };
	for (size_t i = 0; i < d->ntables; i++)
		if (count_segments(dir, &d->tables[i], &x->nseg[i], &sum, err) < 0) {
			ps_dbarchive_source_free(src);
			return -1;
		}
	return 0;
}

void
ps_dbarchive_source_free(struct ps_pgdump_source *src)
{
	struct segsrc *x = src->arg;

	if (x) {
		free(x->nseg);
		free(x);
	}
	src->arg = NULL;
}

int
ps_dbarchive_restore_dir(const struct ps_pgdump_restore_opts *o, const char *dir,
			 const struct ps_pgdump *d, struct ps_error *err)
{
	struct ps_pgdump_source src;
	int rc;

	if (ps_dbarchive_source(dir, d, &src, err) < 0)
		return -1;
	rc = ps_pgdump_restore(o, d, &src, err);
	ps_dbarchive_source_free(&src);
	return rc;
}
