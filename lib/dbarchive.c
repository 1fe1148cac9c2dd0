/*
 * dbarchive: a pgdump streamed into a backup archive in segments, and read
 * back from an extracted directory. See dbarchive.h.
 */
#include "dbarchive.h"

#include <errno.h>
#include <fcntl.h>
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
		uint64_t sum = 0;
		unsigned seq;

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
			if (sr < 0) {
				ps_error_set(err, PS_EXIT_OPER, "table %s: %s", t->qname,
					     strerror(e));
				goto fail;
			}
			if (!S_ISREG(st.st_mode)) {
				ps_error_set(err, PS_EXIT_FAIL,
					     "table %s: segment %u is not a regular file",
					     t->qname, seq);
				goto fail;
			}
			sum += (uint64_t)st.st_size;
		}
		if (seq == 0) {
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

/* One table being restored: the segment being read. */
struct segin {
	const char *dir;
	const struct ps_pgdump_table *t;
	unsigned seq;
	int fd;
	char *path;
};

/* Open segment s->seq: 1, or 0 when there is none, -1 and err. */
static int
seg_open(struct segin *s, struct ps_error *err)
{
	char *name = ps_dbarchive_segment_name(s->t, s->seq);

	free(s->path);
	s->path = ps_xasprintf("%s/%s", s->dir, name);
	free(name);
	s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->fd >= 0)
		return 1;
	if (errno == ENOENT && s->seq > 0)
		return 0;
	return ps_error_set(err, PS_EXIT_OPER, "cannot open '%s': %s", s->path,
			    strerror(errno));
}

static int
src_open(void *arg, const struct ps_pgdump_table *t, void **stream, struct ps_error *err)
{
	struct segin *s = ps_xcalloc(1, sizeof(*s));

	s->dir = arg;
	s->t = t;
	s->fd = -1;
	if (seg_open(s, err) < 0) {
		free(s->path);
		free(s);
		return -1;
	}
	*stream = s;
	return 0;
}

static ssize_t
src_read(void *stream, void *buf, size_t cap, struct ps_error *err)
{
	struct segin *s = stream;
	ssize_t n;

	while (s->fd >= 0) {
		do
			n = read(s->fd, buf, cap);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			return n;
		if (n < 0)
			return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s", s->path,
					    strerror(errno));
		/* a segment read to its end is gone to the server: its file
		 * goes too (a failed table fails the whole restore, which
		 * never reads it again), so the temporary space shrinks as
		 * the restore goes and little is left to delete at the end */
		close(s->fd);
		s->fd = -1;
		(void)unlink(s->path);
		s->seq++;
		if (seg_open(s, err) < 0)
			return -1;
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
ps_dbarchive_restore_dir(const struct ps_pgdump_restore_opts *o, const char *dir,
			 const struct ps_pgdump *d, struct ps_error *err)
{
	struct ps_pgdump_source src = { (void *)dir, src_open, src_read, src_close };

	return ps_pgdump_restore(o, d, &src, err);
}
