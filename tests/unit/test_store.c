/*
 * test_store: backup locations: URI parsing, object names, and the local
 * store's atomic writes (nothing visible before commit, nothing left after
 * abort), reads, stat, listing and deletion. The s3:// store runs against
 * s3rver in test_s3_live.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/store.h"
#include "lib/util.h"

static char tmpdir[256];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ps-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = ps_xasprintf("%s/%s", path, e->d_name);
		rm_rf(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

static void
teardown(void)
{
	rm_rf(tmpdir);
}

static struct ps_store *
open_tmp(const char *sub)
{
	struct ps_error err = { 0 };
	char *uri = ps_xasprintf("local://%s/%s", tmpdir, sub);
	struct ps_store *st = ps_store_open(uri, NULL, &err);

	ck_assert_msg(st != NULL, "%s: %s", uri, err.msg);
	free(uri);
	return st;
}

/* Number of directory entries (besides . and ..) in dir. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(test_uris)
{
	struct ps_error err = { 0 };
	struct ps_store *st;
	struct ps_store_opts o = { 0 };
	char *u;
	static const char *bad[] = {
		"", "ftp://host/x", "/plain/path", "local://", "file://",
		"s3://", "s3://Bad_Bucket/x", "s3://ab/x", "s3://bucket//x",
		"s3://-bucket/x",
	};
	size_t i;

	for (i = 0; i < PS_ARRAY_LEN(bad); i++) {
		memset(&err, 0, sizeof(err));
		ck_assert_msg(ps_store_open(bad[i], NULL, &err) == NULL, "%s", bad[i]);
		ck_assert_msg(err.code == PS_EXIT_USAGE, "%s: code %d", bad[i],
			      err.code);
	}

	o.base_dir = "/srv/app";
	st = ps_store_open("local://backups/database/", &o, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ps_store_kind(st), PS_STORE_LOCAL);
	ck_assert_str_eq(ps_store_uri(st), "local://backups/database/");
	u = ps_store_object_uri(st, "db/x.manifest.json");
	ck_assert_str_eq(u, "/srv/app/backups/database/db/x.manifest.json");
	free(u);
	ps_store_close(st);

	st = ps_store_open("file:///var/backups", NULL, &err);
	u = ps_store_object_uri(st, "a");
	ck_assert_str_eq(u, "/var/backups/a");
	free(u);
	ps_store_close(st);
	st = ps_store_open("file://localhost/var/b/", NULL, &err);
	u = ps_store_object_uri(st, "a");
	ck_assert_str_eq(u, "/var/b/a");
	free(u);
	ps_store_close(st);
	st = ps_store_open("local:///abs", NULL, &err);
	u = ps_store_object_uri(st, "a");
	ck_assert_str_eq(u, "/abs/a");
	free(u);
	ps_store_close(st);

	/* s3: nothing is sent at open */
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	st = ps_store_open("s3://personal-system-backups/database", NULL, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(ps_store_kind(st), PS_STORE_S3);
	ck_assert_ptr_nonnull(ps_store_s3(st));
	u = ps_store_object_uri(st, "files/x");
	ck_assert_str_eq(u, "s3://personal-system-backups/database/files/x");
	free(u);
	ps_store_close(st);
	/* missing credentials are an operational error */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	ck_assert_ptr_null(ps_store_open("s3://bucket/p/", NULL, &err));
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
}
END_TEST

START_TEST(test_relative_to_cwd)
{
	struct ps_error err = { 0 };
	struct ps_store *st;
	char cwd[4096], *u, *want;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmpdir), 0);
	st = ps_store_open("local://backups/database/", NULL, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ps_store_put_small(st, "db/m.json", "{}", 2, &err), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	u = ps_store_object_uri(st, "db/m.json");
	want = ps_xasprintf("%s/backups/database/db/m.json", tmpdir);
	ck_assert_str_eq(u, want);
	ck_assert_int_eq(access(want, R_OK), 0);
	free(u);
	free(want);
	ps_store_close(st);
}
END_TEST

START_TEST(test_names)
{
	struct ps_error err = { 0 };
	static const char *good[] = { "a", "files/x.tar.zst", "a/b/c",
				      ".hidden", "sp ace/ü\nnl", "a..b" };
	static const char *bad[] = { "", "/abs", "a//b", "a/", "./a",
				     "a/./b", "../x", "a/../b", "..",
				     "x.ps-tmp" };
	size_t i;

	for (i = 0; i < PS_ARRAY_LEN(good); i++)
		ck_assert_msg(ps_store_check_name(good[i], &err) == 0, "%s: %s",
			      good[i], err.msg);
	for (i = 0; i < PS_ARRAY_LEN(bad); i++) {
		memset(&err, 0, sizeof(err));
		ck_assert_msg(ps_store_check_name(bad[i], &err) == -1, "'%s'",
			      bad[i]);
		ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	}
}
END_TEST

START_TEST(test_atomic_put)
{
	struct ps_store *st = open_tmp("loc");
	struct ps_error err = { 0 };
	struct ps_store_writer *w;
	struct ps_store_entry e, *ents;
	size_t n;
	char *final = ps_xasprintf("%s/loc/files/b1.tar.zst.enc", tmpdir);
	char *dir = ps_xasprintf("%s/loc/files", tmpdir);
	struct ps_buf got = { 0 };
	struct stat sb;
	static char big[300000];

	memset(big, 'z', sizeof(big));
	w = ps_store_put_begin(st, "files/b1.tar.zst.enc", &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_int_eq(ps_store_put_write(w, "head-", 5, &err), 0);
	ck_assert_int_eq(ps_store_put_write(w, big, sizeof(big), &err), 0);
	ck_assert_uint_eq(ps_store_put_bytes(w), 5 + sizeof(big));
	/* before commit: no final name, no listing, stat says absent */
	ck_assert_int_eq(access(final, F_OK), -1);
	ck_assert_int_eq(ps_store_stat(st, "files/b1.tar.zst.enc", &e, &err), 1);
	ck_assert_int_eq(ps_store_list(st, "", &ents, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ps_store_entries_free(ents, n);
	/* the temp file is there, hidden, in the same directory */
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(ps_store_put_commit(w, &err), 0);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(stat(final, &sb), 0);
	ck_assert_int_eq((int)sb.st_size, (int)(5 + sizeof(big)));
	ck_assert_int_eq(ps_store_stat(st, "files/b1.tar.zst.enc", &e, &err), 0);
	ck_assert_str_eq(e.name, "files/b1.tar.zst.enc");
	ck_assert_uint_eq(e.size, 5 + sizeof(big));
	ck_assert(e.mtime > 1600000000);
	ps_store_entry_free(&e);
	ck_assert_int_eq(ps_store_get_all(st, "files/b1.tar.zst.enc", &got, &err), 0);
	ck_assert_uint_eq(got.len, 5 + sizeof(big));
	ck_assert(memcmp(got.data, "head-zzz", 8) == 0);
	ps_buf_free(&got);

	/* replacing keeps the old content until commit */
	w = ps_store_put_begin(st, "files/b1.tar.zst.enc", &err);
	ck_assert_int_eq(ps_store_put_write(w, "new", 3, &err), 0);
	ck_assert_int_eq(stat(final, &sb), 0);
	ck_assert_int_eq((int)sb.st_size, (int)(5 + sizeof(big)));
	ck_assert_int_eq(ps_store_put_commit(w, &err), 0);
	ck_assert_int_eq(ps_store_get_all(st, "files/b1.tar.zst.enc", &got, &err), 0);
	ck_assert_str_eq(ps_buf_str(&got), "new");
	ps_buf_free(&got);
	free(final);
	free(dir);
	ps_store_close(st);
}
END_TEST

START_TEST(test_abort_leaves_nothing)
{
	struct ps_store *st = open_tmp("loc");
	struct ps_error err = { 0 };
	struct ps_store_writer *w;
	char *dir = ps_xasprintf("%s/loc/set", tmpdir);

	w = ps_store_put_begin(st, "set/x.bin", &err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(ps_store_put_write(w, "data", 4, &err), 0);
	ck_assert_int_eq(count_entries(dir), 1);
	ps_store_put_abort(w);
	ck_assert_int_eq(count_entries(dir), 0);
	/* an abort right after begin too */
	w = ps_store_put_begin(st, "set/y.bin", &err);
	ps_store_put_abort(w);
	ck_assert_int_eq(count_entries(dir), 0);
	free(dir);
	ps_store_close(st);
}
END_TEST

START_TEST(test_list_stat_delete)
{
	struct ps_store *st = open_tmp("loc");
	struct ps_store *missing = open_tmp("never/created");
	struct ps_error err = { 0 };
	struct ps_store_entry *v, e;
	size_t n;
	struct ps_store_writer *w;

	ck_assert_int_eq(ps_store_put_small(st, "files/2.manifest.json", "22", 2, &err), 0);
	ck_assert_int_eq(ps_store_put_small(st, "files/1.manifest.json", "1", 1, &err), 0);
	ck_assert_int_eq(ps_store_put_small(st, "files/1.tar.zst.enc", "data", 4, &err), 0);
	ck_assert_int_eq(ps_store_put_small(st, "database/1.manifest.json", "d", 1, &err), 0);
	ck_assert_int_eq(ps_store_put_small(st, "files-other/z", "z", 1, &err), 0);
	/* an unfinished write is not listed */
	w = ps_store_put_begin(st, "files/3.tar.zst.enc", &err);
	ck_assert_int_eq(ps_store_put_write(w, "partial", 7, &err), 0);

	ck_assert_int_eq(ps_store_list(st, "files/", &v, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0].name, "files/1.manifest.json");
	ck_assert_str_eq(v[1].name, "files/1.tar.zst.enc");
	ck_assert_str_eq(v[2].name, "files/2.manifest.json");
	ck_assert_uint_eq(v[1].size, 4);
	ck_assert_uint_eq(v[2].size, 2);
	ps_store_entries_free(v, n);
	ck_assert_int_eq(ps_store_list(st, "", &v, &n, &err), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(v[0].name, "database/1.manifest.json");
	ck_assert_str_eq(v[4].name, "files/2.manifest.json");
	ps_store_entries_free(v, n);
	ck_assert_int_eq(ps_store_list(st, "files/1.", &v, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ps_store_entries_free(v, n);
	ps_store_put_abort(w);

	/* a location that does not exist yet lists nothing */
	ck_assert_int_eq(ps_store_list(missing, "", &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ps_store_entries_free(v, n);
	ck_assert_int_eq(ps_store_stat(missing, "a/b", &e, &err), 1);

	/* delete, and delete again */
	ck_assert_int_eq(ps_store_delete(st, "files/1.manifest.json", &err), 0);
	ck_assert_int_eq(ps_store_stat(st, "files/1.manifest.json", &e, &err), 1);
	ck_assert_int_eq(ps_store_delete(st, "files/1.manifest.json", &err), 0);
	ck_assert_int_eq(ps_store_delete(st, "../escape", &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);

	/* reading what is not there */
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(ps_store_get_open(st, "files/1.manifest.json", &err));
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_nonnull(strstr(err.msg, "not found"));
	ps_store_close(st);
	ps_store_close(missing);
}
END_TEST

START_TEST(test_streaming_read)
{
	struct ps_store *st = open_tmp("loc");
	struct ps_error err = { 0 };
	struct ps_store_reader *r;
	size_t n = 1000003, i, total = 0;
	unsigned char *p = ps_xmalloc(n), buf[4096];
	char a[65], b[65];
	struct ps_buf all = { 0 };
	ssize_t k;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + (i >> 8));
	ck_assert_int_eq(ps_store_put_small(st, "big", p, n, &err), 0);
	r = ps_store_get_open(st, "big", &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ps_store_get_size(r), n);
	while ((k = ps_store_get_read(r, buf, sizeof(buf), &err)) > 0) {
		ps_buf_add(&all, buf, (size_t)k);
		total += (size_t)k;
	}
	ck_assert_int_eq(k, 0);
	ps_store_get_close(r);
	ck_assert_uint_eq(total, n);
	ps_sha256_hex(p, n, a);
	ps_sha256_hex(all.data, all.len, b);
	ck_assert_str_eq(a, b);
	ps_buf_free(&all);
	free(p);
	ps_store_close(st);
}
END_TEST

START_TEST(test_unwritable_location)
{
	struct ps_error err = { 0 };
	char *file = ps_xasprintf("%s/plainfile", tmpdir);
	char *uri = ps_xasprintf("local://%s/sub", file);
	int fd = open(file, O_CREAT | O_WRONLY, 0600);
	struct ps_store *st;

	ck_assert_int_ge(fd, 0);
	close(fd);
	st = ps_store_open(uri, NULL, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_null(ps_store_put_begin(st, "x", &err));
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_int_eq(ps_store_put_small(st, "x", "1", 1, &err), -1);
	ps_store_close(st);
	free(uri);
	free(file);
}
END_TEST

/* Create dir/name (a small file), its mtime age_secs in the past. */
static void
plant(const char *dir, const char *name, long age_secs)
{
	char *p = ps_xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct timespec ts[2];

	ck_assert_msg(fd >= 0, "%s", p);
	ck_assert_int_eq(write(fd, "partial", 7), 7);
	close(fd);
	if (age_secs) {
		ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age_secs;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
	}
	free(p);
}

static int
exists(const char *dir, const char *name)
{
	char *p = ps_xasprintf("%s/%s", dir, name);
	struct stat sb;
	int rc = lstat(p, &sb) == 0;

	free(p);
	return rc;
}

/* The PID-TAG of this process, from the name of a live writer's temp file. */
static void
own_tag(struct ps_store *st, const char *dir, char *tag, size_t n)
{
	struct ps_error err = { 0 };
	struct ps_store_writer *w = ps_store_put_begin(st, "probe/p.bin", &err);
	DIR *d = opendir(dir);
	struct dirent *e;
	char want[64];
	int found = 0;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(d);
	snprintf(want, sizeof(want), ".p.bin.%ld-", (long)getpid());
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, want, strlen(want)) == 0) {
			const char *t = e->d_name + strlen(want);
			const char *dot = strchr(t, '.');

			ck_assert_ptr_nonnull(dot);
			ck_assert_uint_eq((size_t)(dot - t), 12);
			snprintf(tag, n, "%.*s", (int)(dot - t), t);
			found = 1;
		}
	}
	closedir(d);
	ck_assert_msg(found, "no temp file named %s...", want);
	ps_store_put_abort(w);
}

START_TEST(test_sweep_stale_tmp)
{
	struct ps_store *st = open_tmp("loc"), *st2;
	struct ps_error err = { 0 };
	char *dir = ps_xasprintf("%s/loc/files", tmpdir);
	char *other = ps_xasprintf("%s/loc/other", tmpdir);
	char *probe = ps_xasprintf("%s/loc/probe", tmpdir);
	char *target = ps_xasprintf("%s/loc/target", tmpdir);
	char tag[16], n[200], foreign[16] = "000000000000";
	pid_t dead;
	long day2 = 2 * 24 * 3600;
	unsigned removed = 0;
	int status;

	own_tag(st, probe, tag, sizeof(tag));
	if (strcmp(tag, foreign) == 0)
		foreign[0] = '1';
	/* a pid that no longer runs: a reaped child */
	dead = fork();
	ck_assert_int_ge(dead, 0);
	if (dead == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(dead, &status, 0), dead);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	plant(tmpdir, "loc/target", 0);

#define NAME(fmt, ...) (snprintf(n, sizeof(n), fmt, __VA_ARGS__), n)
	/* removed: this host's dead writer, old foreign or pid-less ones */
	plant(dir, NAME(".b1.tar.zst.enc.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag), 0);
	plant(dir, NAME(".b5.%ld-%s.Ab12Cd.ps-tmp", (long)dead, foreign), day2);
	plant(dir, NAME(".b7.x.y.%s.ps-tmp", "Q1w2E3"), day2);
	/* kept: live writers (the parent, ourselves), fresh foreign or
	 * pid-less ones, and everything not named like our temp files */
	plant(dir, NAME(".b2.%ld-%s.Ab12Cd.ps-tmp", (long)getppid(), tag), day2);
	plant(dir, NAME(".b3.%ld-%s.Ab12Cd.ps-tmp", (long)getpid(), tag), day2);
	plant(dir, NAME(".b4.%ld-%s.Ab12Cd.ps-tmp", (long)dead, foreign), 3600);
	plant(dir, NAME(".b6.%s.ps-tmp", "Ab12Cd"), 3600);
	plant(dir, NAME("b8.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag), day2);
	plant(dir, NAME(".b9.%ld-%s.Ab1.ps-tmp", (long)dead, tag), day2);
	plant(dir, NAME(".b10.%ld-%s.Ab12Cd.ps-tmp.old", (long)dead, tag), day2);
	plant(dir, NAME(".%s.ps-tmp", "Ab12Cd"), day2);
	plant(dir, "real.bin", day2);
	ck_assert_int_eq(symlink(target, NAME("%s/.b11.%ld-%s.Ab12Cd.ps-tmp", dir,
					     (long)dead, tag)), 0);
	ck_assert_int_eq(mkdir(NAME("%s/.b12.%ld-%s.Ab12Cd.ps-tmp", dir,
				    (long)dead, tag), 0700), 0);

	ck_assert_int_eq(ps_store_sweep_tmp(st, "files", &removed, &err), 0);
	ck_assert_uint_eq(removed, 3);
	ck_assert_uint_eq(ps_store_swept(st), 3);
	ck_assert(!exists(dir, NAME(".b1.tar.zst.enc.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
	ck_assert(!exists(dir, NAME(".b5.%ld-%s.Ab12Cd.ps-tmp", (long)dead, foreign)));
	ck_assert(!exists(dir, NAME(".b7.x.y.%s.ps-tmp", "Q1w2E3")));
	ck_assert(exists(dir, NAME(".b2.%ld-%s.Ab12Cd.ps-tmp", (long)getppid(), tag)));
	ck_assert(exists(dir, NAME(".b3.%ld-%s.Ab12Cd.ps-tmp", (long)getpid(), tag)));
	ck_assert(exists(dir, NAME(".b4.%ld-%s.Ab12Cd.ps-tmp", (long)dead, foreign)));
	ck_assert(exists(dir, NAME(".b6.%s.ps-tmp", "Ab12Cd")));
	ck_assert(exists(dir, NAME("b8.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
	ck_assert(exists(dir, NAME(".b9.%ld-%s.Ab1.ps-tmp", (long)dead, tag)));
	ck_assert(exists(dir, NAME(".b10.%ld-%s.Ab12Cd.ps-tmp.old", (long)dead, tag)));
	ck_assert(exists(dir, NAME(".%s.ps-tmp", "Ab12Cd")));
	ck_assert(exists(dir, NAME(".b11.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
	ck_assert(exists(dir, NAME(".b12.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
	ck_assert(exists(dir, "real.bin"));
	ck_assert(exists(tmpdir, "loc/target"));
	ck_assert_int_eq(count_entries(dir), 11);
	/* a second sweep finds nothing more */
	removed = 0;
	ck_assert_int_eq(ps_store_sweep_tmp(st, "files", &removed, &err), 0);
	ck_assert_uint_eq(removed, 0);
	/* a missing directory is nothing to sweep; a bad name is refused */
	ck_assert_int_eq(ps_store_sweep_tmp(st, "none/here", NULL, &err), 0);
	ck_assert_int_eq(ps_store_sweep_tmp(st, "../x", NULL, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);

	/* writers sweep the directory they write into (and only that one) */
	plant(dir, NAME(".c1.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag), 0);
	plant(other, NAME(".c2.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag), 0);
	st2 = open_tmp("loc");
	ck_assert_int_eq(ps_store_put_small(st2, "other/m.json", "{}", 2, &err), 0);
	ck_assert_uint_eq(ps_store_swept(st2), 1);
	ck_assert(!exists(other, NAME(".c2.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
	ck_assert(exists(dir, NAME(".c1.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
	ck_assert(exists(other, "m.json"));
	ck_assert_int_eq(ps_store_put_small(st2, "files/m.json", "{}", 2, &err), 0);
	ck_assert_uint_eq(ps_store_swept(st2), 2);
	ck_assert(!exists(dir, NAME(".c1.%ld-%s.Ab12Cd.ps-tmp", (long)dead, tag)));
#undef NAME
	ps_store_close(st2);
	ps_store_close(st);
	free(dir);
	free(other);
	free(probe);
	free(target);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("uri");

	tcase_add_test(tc, test_uris);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_relative_to_cwd);
	tcase_add_test(tc, test_atomic_put);
	tcase_add_test(tc, test_abort_leaves_nothing);
	tcase_add_test(tc, test_list_stat_delete);
	tcase_add_test(tc, test_streaming_read);
	tcase_add_test(tc, test_unwritable_location);
	tcase_add_test(tc, test_sweep_stale_tmp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
