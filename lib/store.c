/*
 * store: backup locations by URI (local://, file://, s3://) with atomic
 * streaming writes, streaming reads, stat, listing and deletion.
 * See store.h for the rules; DESIGN.md section 8 for how backups use them.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define TMP_SUFFIX ".ps-tmp"
static const char mkstemp_x[] = { 'X', 'X', 'X', 'X', 'X', 'X', 0 };
#define MAX_NAME 1024
/* temp files of other hosts (or of the old, pid-less naming) count as
 * stale after this long without a write */
#define TMP_STALE_SECS (24 * 3600)
#define TAG_LEN 12

struct ps_store {
	enum ps_store_kind kind;
	char *uri;
	char *root;		/* local: absolute directory, no trailing '/' */
	char *bucket;		/* s3 */
	char *prefix;		/* s3: "" or ending in '/' */
	struct ps_s3 *s3;
	char *spool_dir;	/* s3: spool unsized objects here, or NULL */
	char **swept;		/* local: directories swept of stale temps */
	size_t nswept, swept_cap;
	unsigned removed;	/* stale temp files removed */
};

struct ps_store_writer {
	struct ps_store *st;
	char *name;
	uint64_t bytes;
	int fd;
	char *tmp;
	char *final;
	char *dir;
	struct ps_s3_upload *up;
	int failed;
	int sized;
	uint64_t declared;
	uint64_t flushed;	/* local: writeback started up to here */
	int spool;		/* s3: fd is a spool file, sent at commit */
	EVP_MD_CTX *sha;	/* spool: SHA-256 of what was written */
	/* spool: a thread hashes what is in the file behind the writer
	 * (pread of the pages just written), so that writing and hashing
	 * overlap; without it (no thread) put_write hashes inline */
	int hashing;		/* the thread runs */
	pthread_t hth;
	pthread_mutex_t hmu;
	pthread_cond_t hcv;
	uint64_t hwritten;	/* bytes in the file the thread may hash */
	int hdone;		/* no more bytes will come */
	int herr;		/* the thread's errno (EIO for a short file) */
};

/*
 * Local writes start the kernel's writeback every FLUSH_STEP bytes
 * (sync_file_range), and wait for the step before the last, so that the
 * fsync at commit finds little left to do and dirty pages stay bounded.
 */
#define FLUSH_STEP ((uint64_t)16 * 1024 * 1024)

struct ps_store_reader {
	struct ps_store *st;
	char *name;
	int fd;
	uint64_t size;
	struct ps_s3_reader *r;
};

/* ---- URIs and names ---- */

static int
valid_bucket(const char *b, size_t n)
{
	size_t i;

	if (n < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		char c = b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return 0;
	}
	return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

int
ps_store_check_name(const char *name, struct ps_error *err)
{
	const char *p = name;
	size_t n = name ? strlen(name) : 0;

	if (!name || !*name)
		return ps_error_set(err, PS_EXIT_USAGE, "empty object name");
	if (n > MAX_NAME)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "object name longer than %d bytes", MAX_NAME);
	if (n >= strlen(TMP_SUFFIX) &&
	    strcmp(name + n - strlen(TMP_SUFFIX), TMP_SUFFIX) == 0)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "object name '%s' ends in '%s', which is "
				    "reserved for temporary files", name,
				    TMP_SUFFIX);
	for (;;) {
		const char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return ps_error_set(err, PS_EXIT_USAGE,
					    "bad object name '%s': empty, '.' "
					    "or '..' component", name);
		if (!s)
			break;
		p = s + 1;
	}
	return 0;
}

static void
store_free(struct ps_store *st)
{
	if (!st)
		return;
	ps_s3_free(st->s3);
	for (size_t i = 0; i < st->nswept; i++)
		free(st->swept[i]);
	free(st->swept);
	free(st->spool_dir);
	free(st->uri);
	free(st->root);
	free(st->bucket);
	free(st->prefix);
	free(st);
}

void
ps_store_close(struct ps_store *st)
{
	store_free(st);
}

static int
open_local(struct ps_store *st, const char *path, const struct ps_store_opts *o,
	   struct ps_error *err)
{
	size_t n;

	if (!*path)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "bad location '%s': no path", st->uri);
	if (path[0] == '/') {
		st->root = ps_xstrdup(path);
	} else {
		char cwd[PATH_MAX];
		const char *base = o && o->base_dir ? o->base_dir : NULL;

		if (!base) {
			if (!getcwd(cwd, sizeof(cwd)))
				return ps_error_set(err, PS_EXIT_OPER,
						    "cannot get the current "
						    "directory: %s",
						    strerror(errno));
			base = cwd;
		}
		st->root = ps_xasprintf("%s/%s", base, path);
	}
	n = strlen(st->root);
	while (n > 1 && st->root[n - 1] == '/')
		st->root[--n] = 0;
	st->kind = PS_STORE_LOCAL;
	return 0;
}

struct ps_store *
ps_store_open(const char *uri, const struct ps_store_opts *o,
	      struct ps_error *err)
{
	struct ps_store *st;
	int rc = 0;

	if (!uri || !*uri) {
		ps_error_set(err, PS_EXIT_USAGE, "empty backup location");
		return NULL;
	}
	st = ps_xcalloc(1, sizeof(*st));
	st->uri = ps_xstrdup(uri);
	if (strncmp(uri, "local://", 8) == 0) {
		rc = open_local(st, uri + 8, o, err);
	} else if (strncmp(uri, "file://", 7) == 0) {
		const char *p = uri + 7;

		if (strncmp(p, "localhost/", 10) == 0)
			p += 9;
		rc = open_local(st, p, o, err);
	} else if (strncmp(uri, "s3://", 5) == 0) {
		const char *b = uri + 5, *slash = strchr(b, '/');
		size_t bl = slash ? (size_t)(slash - b) : strlen(b);
		const char *pre = slash ? slash + 1 : "";
		size_t pl = strlen(pre);

		st->kind = PS_STORE_S3;
		if (!valid_bucket(b, bl)) {
			rc = ps_error_set(err, PS_EXIT_USAGE,
					  "bad location '%s': '%.*s' is not a "
					  "valid bucket name", uri, (int)bl, b);
		} else if (pl && (pre[0] == '/' || strstr(pre, "//"))) {
			rc = ps_error_set(err, PS_EXIT_USAGE,
					  "bad location '%s': empty path "
					  "component in the prefix", uri);
		} else {
			st->bucket = ps_xstrndup(b, bl);
			st->prefix = pl && pre[pl - 1] != '/'
				     ? ps_xasprintf("%s/", pre)
				     : ps_xstrdup(pre);
			st->s3 = ps_s3_new(o ? o->s3 : NULL, err);
			if (!st->s3)
				rc = -1;
			if (o && o->s3_spool_dir && *o->s3_spool_dir)
				st->spool_dir = ps_xstrdup(o->s3_spool_dir);
		}
	} else {
		rc = ps_error_set(err, PS_EXIT_USAGE,
				  "bad location '%s': expected local://PATH, "
				  "file://PATH or s3://BUCKET/PREFIX", uri);
	}
	if (rc < 0) {
		store_free(st);
		return NULL;
	}
	return st;
}

enum ps_store_kind
ps_store_kind(const struct ps_store *st)
{
	return st->kind;
}

const char *
ps_store_uri(const struct ps_store *st)
{
	return st->uri;
}

struct ps_s3 *
ps_store_s3(struct ps_store *st)
{
	return st->s3;
}

char *
ps_store_object_uri(const struct ps_store *st, const char *name)
{
	if (st->kind == PS_STORE_S3)
		return ps_xasprintf("s3://%s/%s%s", st->bucket, st->prefix, name);
	return ps_xasprintf("%s/%s", st->root, name);
}

static char *
s3_key(const struct ps_store *st, const char *name)
{
	return ps_xasprintf("%s%s", st->prefix, name);
}

/* ---- local helpers ---- */

static int
fsync_dir(const char *dir, struct ps_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ps_error_set(err, PS_EXIT_OPER, "cannot open '%s': %s",
				    dir, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return ps_error_set(err, PS_EXIT_OPER, "cannot sync '%s': %s",
				    dir, strerror(e));
	}
	close(fd);
	return 0;
}

/* mkdir -p, syncing the parent of every directory it creates. */
static int
mkdir_p(const char *dir, struct ps_error *err)
{
	char *p = ps_xstrdup(dir), *s;
	struct stat sb;
	int rc = 0;

	if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		free(p);
		return 0;
	}
	for (s = p + 1; rc == 0; s++) {
		char c = *s;

		if (c != '/' && c != 0)
			continue;
		*s = 0;
		if (mkdir(p, 0700) == 0) {
			char *slash = strrchr(p, '/');

			if (slash && slash != p) {
				*slash = 0;
				rc = fsync_dir(p, err);
				*slash = '/';
			} else {
				rc = fsync_dir("/", err);
			}
		} else if (errno != EEXIST) {
			rc = ps_error_set(err, PS_EXIT_OPER,
					  "cannot create directory '%s': %s", p,
					  strerror(errno));
		} else if (stat(p, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			rc = ps_error_set(err, PS_EXIT_OPER,
					  "'%s' exists and is not a directory", p);
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t k = write(fd, s, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* ---- temp file names and the sweep of stale ones ---- */

/*
 * A local temp file is named ".NAME.PID-TAG.RANDOM.ps-tmp": PID is the
 * writing process, TAG the first TAG_LEN hex digits of the SHA-256 of
 * (host name, kernel boot id, pid namespace). Two processes with the same
 * TAG see the same process table, so kill(PID, 0) tells whether the writer
 * of such a file still runs.
 */
static pthread_once_t tag_once = PTHREAD_ONCE_INIT;
static char proc_tag[TAG_LEN + 1];

static void
read_first_line(const char *path, struct ps_buf *b)
{
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (fgets(line, sizeof(line), f))
		ps_buf_add(b, line, strcspn(line, "\n"));
	fclose(f);
}

static void
tag_init(void)
{
	struct ps_buf b = { 0 };
	char host[256], ns[128], hex[65];
	ssize_t k;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = 0;
	host[sizeof(host) - 1] = 0;
	ps_buf_addf(&b, "%s\n", host);
	read_first_line("/proc/sys/kernel/random/boot_id", &b);
	ps_buf_addc(&b, '\n');
	k = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	ns[k > 0 ? k : 0] = 0;
	ps_buf_adds(&b, ns);
	ps_sha256_hex(b.data, b.len, hex);
	memcpy(proc_tag, hex, TAG_LEN);
	proc_tag[TAG_LEN] = 0;
	ps_buf_free(&b);
}

static const char *
my_tag(void)
{
	pthread_once(&tag_once, tag_init);
	return proc_tag;
}

static int
is_tmp(const char *name)
{
	size_t n = strlen(name), t = strlen(TMP_SUFFIX);

	return name[0] == '.' && n > t && strcmp(name + n - t, TMP_SUFFIX) == 0;
}

static int
all_of(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/*
 * Classify a directory entry name: 0 not a temp file of ours (never
 * touched); 1 ".NAME.RANDOM.ps-tmp" (the earlier, pid-less naming);
 * 2 ".NAME.PID-TAG.RANDOM.ps-tmp" with *pid and tag (TAG_LEN + 1 bytes)
 * filled.
 */
static int
parse_tmp_name(const char *name, long *pid, char *tag)
{
	size_t n = strlen(name), t = strlen(TMP_SUFFIX), end, dot;
	const char *dash;
	char num[16];
	long v;

	if (!is_tmp(name) || n < t + 9)
		return 0;
	end = n - t;		/* name[0..end) = ".NAME.[PID-TAG.]RANDOM" */
	if (name[end - 7] != '.' || !all_of(name + end - 6, 6, ALNUM))
		return 0;
	end -= 7;		/* ".NAME[.PID-TAG]" */
	if (end < 2)
		return 0;
	for (dot = end - 1; dot > 0 && name[dot] != '.'; dot--)
		;
	if (dot >= 2) {
		/* ".NAME.PID-TAG"? */
		const char *c = name + dot + 1;
		size_t cl = end - dot - 1;

		dash = memchr(c, '-', cl);
		if (dash && (size_t)(dash - c) >= 1 &&
		    (size_t)(dash - c) < sizeof(num) &&
		    all_of(c, (size_t)(dash - c), "0123456789") &&
		    cl - (size_t)(dash - c) - 1 == TAG_LEN &&
		    all_of(dash + 1, TAG_LEN, "0123456789abcdef")) {
			memcpy(num, c, (size_t)(dash - c));
			num[dash - c] = 0;
			if (ps_parse_long(num, 1, INT_MAX, &v) == 0) {
				*pid = v;
				memcpy(tag, dash + 1, TAG_LEN);
				tag[TAG_LEN] = 0;
				return 2;
			}
			return 0;
		}
	}
	return 1;		/* NAME (which may hold dots) then RANDOM */
}

/* 1 when the temp file `name` (lstat-ed as sb) was left by a dead writer. */
static int
tmp_is_stale(const char *name, const struct stat *sb, time_t now)
{
	char tag[TAG_LEN + 1];
	long pid = 0;
	int kind = parse_tmp_name(name, &pid, tag);

	if (!kind || !S_ISREG(sb->st_mode) || sb->st_uid != geteuid())
		return 0;
	if (kind == 2 && strcmp(tag, my_tag()) == 0) {
		if ((pid_t)pid == getpid())
			return 0;
		return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
	}
	/* another host or pid namespace, or no pid in the name: by age */
	return sb->st_mtime < now && now - sb->st_mtime > TMP_STALE_SECS;
}

/* Sweep the absolute directory dir; count removals in st and *removed. */
static int
sweep_abs(struct ps_store *st, const char *dir, unsigned *removed,
	  struct ps_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return ps_error_set(err, PS_EXIT_OPER, "cannot list '%s': %s",
				    dir, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (!is_tmp(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !tmp_is_stale(e->d_name, &sb, now))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
			st->removed++;
			if (removed)
				(*removed)++;
		}
	}
	closedir(d);
	return 0;
}

/* Sweep dir once per store (writers call this; failures are ignored: a
 * temp file left over never makes a write fail). */
static void
sweep_once(struct ps_store *st, const char *dir)
{
	struct ps_error err = { 0 };
	size_t i;

	for (i = 0; i < st->nswept; i++)
		if (strcmp(st->swept[i], dir) == 0)
			return;
	ps_xgrow(&st->swept, &st->swept_cap, st->nswept + 1,
		 sizeof(*st->swept));
	st->swept[st->nswept++] = ps_xstrdup(dir);
	sweep_abs(st, dir, NULL, &err);
}

int
ps_store_sweep_tmp(struct ps_store *st, const char *dir, unsigned *removed,
		   struct ps_error *err)
{
	char *abs;
	int rc;

	if (st->kind != PS_STORE_LOCAL)
		return 0;
	if (dir && *dir && ps_store_check_name(dir, err) < 0)
		return -1;
	abs = dir && *dir ? ps_xasprintf("%s/%s", st->root, dir)
			  : ps_xstrdup(st->root);
	rc = sweep_abs(st, abs, removed, err);
	free(abs);
	return rc;
}

unsigned
ps_store_swept(const struct ps_store *st)
{
	return st->removed;
}

/* ---- writer ---- */

static void
writer_free(struct ps_store_writer *w)
{
	if (w->sha)
		EVP_MD_CTX_free(w->sha);
	free(w->name);
	free(w->tmp);
	free(w->final);
	free(w->dir);
	free(w);
}

#define SPOOL_HASH_BUF (1u << 20)

static void *
spool_hasher(void *arg)
{
	struct ps_store_writer *w = arg;
	unsigned char *buf = ps_xmalloc(SPOOL_HASH_BUF);
	uint64_t off = 0;
	int e = 0;

	for (;;) {
		uint64_t avail;
		int done;
		ssize_t n;

		pthread_mutex_lock(&w->hmu);
		while (w->hwritten == off && !w->hdone)
			pthread_cond_wait(&w->hcv, &w->hmu);
		avail = w->hwritten - off;
		done = w->hdone;
		pthread_mutex_unlock(&w->hmu);
		if (avail == 0 && done)
			break;
		n = pread(w->fd, buf, avail < SPOOL_HASH_BUF ? (size_t)avail
							     : SPOOL_HASH_BUF,
			  (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			break;
		}
		EVP_DigestUpdate(w->sha, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	pthread_mutex_lock(&w->hmu);
	w->herr = e;
	pthread_mutex_unlock(&w->hmu);
	return NULL;
}

/* Stop the hashing thread (after the last write); its errno, or 0. */
static int
spool_hash_stop(struct ps_store_writer *w)
{
	if (!w->hashing)
		return 0;
	pthread_mutex_lock(&w->hmu);
	w->hdone = 1;
	pthread_cond_signal(&w->hcv);
	pthread_mutex_unlock(&w->hmu);
	pthread_join(w->hth, NULL);
	pthread_mutex_destroy(&w->hmu);
	pthread_cond_destroy(&w->hcv);
	w->hashing = 0;
	return w->herr;
}

/* s3 with a spool directory: an unnamed temp file there (nothing to
 * clean up after a crash). On failure w is freed. */
static int
spool_begin(struct ps_store_writer *w, struct ps_error *err)
{
	const char *dir = w->st->spool_dir;
	int e;

	w->spool = 1;
	w->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
			  errno == EINVAL)) {
		/* no O_TMPFILE here: a named one, unlinked at once */
		char *t = ps_xasprintf("%s/.ps-spool.%s", dir, mkstemp_x);

		w->fd = mkostemp(t, O_CLOEXEC);
		if (w->fd >= 0)
			unlink(t);
		free(t);
	}
	e = errno;
	w->sha = EVP_MD_CTX_new();
	if (w->fd < 0 || !w->sha ||
	    !EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL)) {
		ps_error_set(err, PS_EXIT_OPER,
			     "cannot create a spool file in '%s': %s", dir,
			     w->fd < 0 ? strerror(e) : "no SHA-256");
		if (w->fd >= 0)
			close(w->fd);
		writer_free(w);
		return -1;
	}
	pthread_mutex_init(&w->hmu, NULL);
	pthread_cond_init(&w->hcv, NULL);
	w->hashing = pthread_create(&w->hth, NULL, spool_hasher, w) == 0;
	if (!w->hashing) {
		pthread_mutex_destroy(&w->hmu);
		pthread_cond_destroy(&w->hcv);
	}
	return 0;
}

/* Send the spooled object: one PUT, or multipart from the file. */
static int
spool_send(struct ps_store_writer *w, struct ps_error *err)
{
	struct ps_store *st = w->st;
	char *k;
	int rc = 0, e = spool_hash_stop(w);

	if (e)
		return ps_error_set(err, PS_EXIT_OPER,
				    "cannot read the spool file of '%s': %s",
				    w->name, strerror(e));
	k = s3_key(st, w->name);
	if (w->bytes <= PS_S3_MAX_PUT) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int ml = 0;
		char hex[65];

		EVP_DigestFinal_ex(w->sha, md, &ml);
		ps_hex(md, 32, hex);
		rc = ps_s3_put_file(st->s3, st->bucket, k, w->fd, w->bytes,
				    hex, err);
	} else {
		struct ps_s3_upload *up = ps_s3_upload_begin(st->s3, st->bucket,
							     k, err);
		size_t bs = 1024 * 1024;
		char *buf = ps_xmalloc(bs);
		uint64_t off = 0;

		rc = up ? 0 : -1;
		while (rc == 0 && off < w->bytes) {
			ssize_t n = pread(w->fd, buf, bs, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = ps_error_set(err, PS_EXIT_OPER,
						  "cannot read the spool file "
						  "of '%s': %s", w->name,
						  n < 0 ? strerror(errno)
							: "short file");
				break;
			}
			rc = ps_s3_upload_write(up, buf, (size_t)n, err);
			off += (uint64_t)n;
		}
		free(buf);
		if (rc == 0)
			rc = ps_s3_upload_commit(up, err);
		else if (up)
			ps_s3_upload_abort(up);
	}
	free(k);
	return rc;
}

static struct ps_store_writer *
put_begin(struct ps_store *st, const char *name, int sized, uint64_t size,
	  struct ps_error *err)
{
	struct ps_store_writer *w;

	if (ps_store_check_name(name, err) < 0)
		return NULL;
	w = ps_xcalloc(1, sizeof(*w));
	w->st = st;
	w->name = ps_xstrdup(name);
	w->fd = -1;
	w->sized = sized;
	w->declared = size;
	if (st->kind == PS_STORE_S3 && !sized && st->spool_dir)
		return spool_begin(w, err) < 0 ? NULL : w;
	if (st->kind == PS_STORE_S3) {
		char *k = s3_key(st, name);

		w->up = sized ? ps_s3_upload_begin_size(st->s3, st->bucket, k,
							size, err)
			      : ps_s3_upload_begin(st->s3, st->bucket, k, err);
		free(k);
		if (!w->up) {
			writer_free(w);
			return NULL;
		}
		return w;
	}
	w->final = ps_xasprintf("%s/%s", st->root, name);
	w->dir = ps_xstrdup(w->final);
	*strrchr(w->dir, '/') = 0;
	if (mkdir_p(w->dir, err) < 0) {
		writer_free(w);
		return NULL;
	}
	sweep_once(st, w->dir);
	/* mkostemps' template: six X characters before the suffix */
	w->tmp = ps_xasprintf("%s/.%s.%ld-%s.%s%s", w->dir,
			      strrchr(w->final, '/') + 1, (long)getpid(),
			      my_tag(), mkstemp_x, TMP_SUFFIX);
	w->fd = mkostemps(w->tmp, (int)strlen(TMP_SUFFIX), O_CLOEXEC);
	if (w->fd < 0) {
		ps_error_set(err, PS_EXIT_OPER,
			     "cannot create a temporary file in '%s': %s",
			     w->dir, strerror(errno));
		writer_free(w);
		return NULL;
	}
	return w;
}

struct ps_store_writer *
ps_store_put_begin(struct ps_store *st, const char *name, struct ps_error *err)
{
	return put_begin(st, name, 0, 0, err);
}

struct ps_store_writer *
ps_store_put_begin_size(struct ps_store *st, const char *name, uint64_t size,
			struct ps_error *err)
{
	return put_begin(st, name, 1, size, err);
}

int
ps_store_put_write(struct ps_store_writer *w, const void *p, size_t n,
		   struct ps_error *err)
{
	if (w->failed)
		return ps_error_set(err, PS_EXIT_OPER,
				    "write to '%s' after a failure", w->name);
	if (w->up) {
		if (ps_s3_upload_write(w->up, p, n, err) < 0) {
			w->failed = 1;
			return -1;
		}
	} else if (write_all(w->fd, p, n) < 0) {
		w->failed = 1;
		return ps_error_set(err, PS_EXIT_OPER, "cannot write '%s': %s",
				    w->spool ? "the spool file" : w->tmp,
				    strerror(errno));
	}
	w->bytes += n;
	if (w->spool) {
		if (!w->hashing) {
			EVP_DigestUpdate(w->sha, p, n);
			return 0;
		}
		pthread_mutex_lock(&w->hmu);
		w->hwritten = w->bytes;
		pthread_cond_signal(&w->hcv);
		pthread_mutex_unlock(&w->hmu);
		return 0;
	}
	if (!w->up && w->bytes - w->flushed >= FLUSH_STEP) {
		/* advisory: errors surface at the fsync of commit */
		sync_file_range(w->fd, (off_t)w->flushed,
				(off_t)(w->bytes - w->flushed),
				SYNC_FILE_RANGE_WRITE);
		if (w->flushed >= FLUSH_STEP)
			sync_file_range(w->fd, (off_t)(w->flushed - FLUSH_STEP),
					(off_t)FLUSH_STEP,
					SYNC_FILE_RANGE_WAIT_BEFORE |
					SYNC_FILE_RANGE_WRITE |
					SYNC_FILE_RANGE_WAIT_AFTER);
		w->flushed = w->bytes;
	}
	return 0;
}

uint64_t
ps_store_put_bytes(const struct ps_store_writer *w)
{
	return w->bytes;
}

void
ps_store_put_abort(struct ps_store_writer *w)
{
	if (!w)
		return;
	if (w->up) {
		ps_s3_upload_abort(w->up);
	} else if (w->spool) {
		spool_hash_stop(w);
		close(w->fd);
	} else {
		if (w->fd >= 0)
			close(w->fd);
		if (w->tmp)
			unlink(w->tmp);
	}
	writer_free(w);
}

int
ps_store_put_commit(struct ps_store_writer *w, struct ps_error *err)
{
	int rc = 0;

	if (w->failed) {
		ps_store_put_abort(w);
		return ps_error_set(err, PS_EXIT_OPER,
				    "'%s' was not written completely", w->name);
	}
	if (w->sized && w->bytes != w->declared) {
		ps_error_set(err, PS_EXIT_USAGE,
			     "'%s': %llu bytes written, %llu declared", w->name,
			     (unsigned long long)w->bytes,
			     (unsigned long long)w->declared);
		ps_store_put_abort(w);
		return -1;
	}
	if (w->up) {
		rc = ps_s3_upload_commit(w->up, err);
		w->up = NULL;
		writer_free(w);
		return rc;
	}
	if (w->spool) {
		rc = spool_send(w, err);
		close(w->fd);
		writer_free(w);
		return rc;
	}
	if (fsync(w->fd) < 0) {
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot sync '%s': %s",
				  w->tmp, strerror(errno));
	} else if (close(w->fd) < 0) {
		w->fd = -1;
		rc = ps_error_set(err, PS_EXIT_OPER, "cannot close '%s': %s",
				  w->tmp, strerror(errno));
	} else {
		w->fd = -1;
		if (rename(w->tmp, w->final) < 0)
			rc = ps_error_set(err, PS_EXIT_OPER,
					  "cannot rename '%s' to '%s': %s",
					  w->tmp, w->final, strerror(errno));
		else if (fsync_dir(w->dir, err) < 0)
			rc = -1;
		else {
			writer_free(w);
			return 0;
		}
	}
	if (rc < 0 && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	unlink(w->tmp);
	writer_free(w);
	return rc;
}

int
ps_store_put_small(struct ps_store *st, const char *name, const void *p,
		   size_t n, struct ps_error *err)
{
	struct ps_store_writer *w = ps_store_put_begin(st, name, err);

	if (!w)
		return -1;
	if (ps_store_put_write(w, p, n, err) < 0) {
		ps_store_put_abort(w);
		return -1;
	}
	return ps_store_put_commit(w, err);
}

/* ---- reader ---- */

struct ps_store_reader *
ps_store_get_open(struct ps_store *st, const char *name, struct ps_error *err)
{
	struct ps_store_reader *r;

	if (ps_store_check_name(name, err) < 0)
		return NULL;
	r = ps_xcalloc(1, sizeof(*r));
	r->st = st;
	r->name = ps_xstrdup(name);
	r->fd = -1;
	if (st->kind == PS_STORE_S3) {
		char *k = s3_key(st, name);

		r->r = ps_s3_reader_open(st->s3, st->bucket, k, err);
		free(k);
		if (!r->r) {
			ps_store_get_close(r);
			return NULL;
		}
		r->size = ps_s3_reader_size(r->r);
	} else {
		char *path = ps_xasprintf("%s/%s", st->root, name);
		struct stat sb;

		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0 || fstat(r->fd, &sb) < 0) {
			ps_error_set(err, PS_EXIT_OPER, "%s '%s'%s%s",
				     errno == ENOENT ? "not found:"
						     : "cannot open",
				     path, errno == ENOENT ? "" : ": ",
				     errno == ENOENT ? "" : strerror(errno));
			free(path);
			ps_store_get_close(r);
			return NULL;
		}
		if (!S_ISREG(sb.st_mode)) {
			ps_error_set(err, PS_EXIT_OPER,
				     "'%s' is not a regular file", path);
			free(path);
			ps_store_get_close(r);
			return NULL;
		}
		r->size = (uint64_t)sb.st_size;
		free(path);
	}
	return r;
}

ssize_t
ps_store_get_read(struct ps_store_reader *r, void *buf, size_t n,
		  struct ps_error *err)
{
	ssize_t k;

	if (r->r)
		return ps_s3_reader_read(r->r, buf, n, err);
	do {
		k = read(r->fd, buf, n);
	} while (k < 0 && errno == EINTR);
	if (k < 0)
		return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s",
				    r->name, strerror(errno));
	return k;
}

uint64_t
ps_store_get_size(const struct ps_store_reader *r)
{
	return r->size;
}

void
ps_store_get_close(struct ps_store_reader *r)
{
	if (!r)
		return;
	if (r->r)
		ps_s3_reader_close(r->r);
	if (r->fd >= 0)
		close(r->fd);
	free(r->name);
	free(r);
}

int
ps_store_get_all(struct ps_store *st, const char *name, struct ps_buf *out,
		 struct ps_error *err)
{
	struct ps_store_reader *r = ps_store_get_open(st, name, err);
	char buf[65536];
	ssize_t k;

	if (!r)
		return -1;
	while ((k = ps_store_get_read(r, buf, sizeof(buf), err)) > 0)
		ps_buf_add(out, buf, (size_t)k);
	ps_store_get_close(r);
	return k < 0 ? -1 : 0;
}

/* ---- metadata ---- */

void
ps_store_entry_free(struct ps_store_entry *e)
{
	if (!e)
		return;
	free(e->name);
	e->name = NULL;
}

void
ps_store_entries_free(struct ps_store_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
ps_store_stat(struct ps_store *st, const char *name, struct ps_store_entry *out,
	      struct ps_error *err)
{
	memset(out, 0, sizeof(*out));
	if (ps_store_check_name(name, err) < 0)
		return -1;
	if (st->kind == PS_STORE_S3) {
		struct ps_s3_object o;
		char *k = s3_key(st, name);
		int rc = ps_s3_head(st->s3, st->bucket, k, &o, err);

		free(k);
		if (rc == 0) {
			out->name = ps_xstrdup(name);
			out->size = o.size;
			out->mtime = o.mtime;
			ps_s3_object_free(&o);
		}
		return rc;
	} else {
		char *path = ps_xasprintf("%s/%s", st->root, name);
		struct stat sb;
		int rc = 0;

		if (stat(path, &sb) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				rc = 1;
			else
				rc = ps_error_set(err, PS_EXIT_OPER,
						  "cannot stat '%s': %s", path,
						  strerror(errno));
		} else if (!S_ISREG(sb.st_mode)) {
			rc = 1;
		} else {
			out->name = ps_xstrdup(name);
			out->size = (uint64_t)sb.st_size;
			out->mtime = sb.st_mtime;
		}
		free(path);
		return rc;
	}
}

struct collect {
	struct ps_store_entry *v;
	size_t n;
	size_t cap;
	size_t strip;		/* S3: length of the store prefix */
};

static void
collect_add(struct collect *c, const char *name, uint64_t size, time_t mtime)
{
	ps_xgrow(&c->v, &c->cap, c->n + 1, sizeof(*c->v));
	c->v[c->n].name = ps_xstrdup(name);
	c->v[c->n].size = size;
	c->v[c->n].mtime = mtime;
	c->n++;
}

static int
collect_s3(void *arg, const struct ps_s3_object *o)
{
	struct collect *c = arg;

	if (strlen(o->key) > c->strip)
		collect_add(c, o->key + c->strip, o->size, o->mtime);
	return 0;
}

/* Walk abs (= root/rel) for regular files whose names start with prefix. */
static int
walk(const char *abs, const char *rel, const char *prefix, struct collect *c,
     struct ps_error *err)
{
	DIR *d = opendir(abs);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return ps_error_set(err, PS_EXIT_OPER, "cannot list '%s': %s",
				    abs, strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat sb;
		char *name, *path;
		size_t nl, pl = strlen(prefix);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    is_tmp(e->d_name))
			continue;
		name = ps_xasprintf("%s%s", rel, e->d_name);
		nl = strlen(name);
		/* prune subtrees that cannot match */
		if (strncmp(name, prefix, nl < pl ? nl : pl) != 0) {
			free(name);
			continue;
		}
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			free(name);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			char *sub = ps_xasprintf("%s/", name);

			path = ps_xasprintf("%s/%s", abs, e->d_name);
			rc = walk(path, sub, prefix, c, err);
			free(path);
			free(sub);
		} else if (S_ISREG(sb.st_mode) && nl >= pl) {
			collect_add(c, name, (uint64_t)sb.st_size, sb.st_mtime);
		}
		free(name);
	}
	closedir(d);
	return rc;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ps_store_entry *)a)->name,
		      ((const struct ps_store_entry *)b)->name);
}

int
ps_store_list(struct ps_store *st, const char *prefix,
	      struct ps_store_entry **out, size_t *n, struct ps_error *err)
{
	struct collect c = { 0 };
	int rc;

	*out = NULL;
	*n = 0;
	if (!prefix)
		prefix = "";
	if (st->kind == PS_STORE_S3) {
		char *k = s3_key(st, prefix);

		c.strip = strlen(st->prefix);
		rc = ps_s3_list(st->s3, st->bucket, k, collect_s3, &c, err);
		free(k);
	} else {
		rc = walk(st->root, "", prefix, &c, err);
	}
	if (rc < 0) {
		ps_store_entries_free(c.v, c.n);
		return -1;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), entry_cmp);
	*out = c.v;
	*n = c.n;
	return 0;
}

int
ps_store_delete(struct ps_store *st, const char *name, struct ps_error *err)
{
	char *path, *dir;
	int rc = 0;

	if (ps_store_check_name(name, err) < 0)
		return -1;
	if (st->kind == PS_STORE_S3) {
		char *k = s3_key(st, name);

		rc = ps_s3_delete(st->s3, st->bucket, k, err);
		free(k);
		return rc;
	}
	path = ps_xasprintf("%s/%s", st->root, name);
	if (unlink(path) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = ps_error_set(err, PS_EXIT_OPER,
					  "cannot delete '%s': %s", path,
					  strerror(errno));
	} else {
		dir = ps_xstrdup(path);
		*strrchr(dir, '/') = 0;
		rc = fsync_dir(dir, err);
		free(dir);
	}
	free(path);
	return rc;
}
