/*
 * Package size: AWS Lambda takes a zip of at most 50 MB for direct upload
 * and at most 250 MB unzipped. The zip is read with libarchive.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "serverless.h"

#define ZIPPED_MAX (50ULL * 1024 * 1024)
#define UNZIPPED_MAX (250ULL * 1024 * 1024)

/* The uncompressed size of every entry; -1 when it is not a readable zip. */
static int
unzipped_size(const char *path, unsigned long long *total, char *errbuf,
	      size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r;

	*total = 0;
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		snprintf(errbuf, n, "%s", archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
			*total += (unsigned long long)archive_entry_size(e);
		archive_read_data_skip(a);
	}
	if (r != ARCHIVE_EOF)
		snprintf(errbuf, n, "%s", archive_error_string(a));
	archive_read_free(a);
	return r == ARCHIVE_EOF ? 0 : -1;
}

/* The zip that holds function fname: DIR/fname.zip, else the only other
 * zip in DIR (the service's package); NULL when there is none. */
static char *
find_zip(const char *dir, const char *fname)
{
	char *p = ps_xasprintf("%s/%s.zip", dir, fname), *found = NULL;
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (stat(p, &st) == 0)
		return p;
	free(p);
	if (!(d = opendir(dir)))
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 4 && strcmp(e->d_name + len - 4, ".zip") == 0 && !found)
			found = ps_xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	return found;
}

void
sls_check_package(struct ps_lint_ctx *ctx, struct sls_opts *o,
		  const char *fname, const struct ps_node *at)
{
	const char *package = o->package;
	struct stat st;
	char *zip, errbuf[256] = "";
	unsigned long long unzipped;
	size_t i;

	if (stat(package, &st) != 0) {
		ps_lint_report(ctx, "PSS011", at->line, at->col,
			       "function \"%s\": cannot read the package '%s'",
			       fname, package);
		return;
	}
	zip = S_ISDIR(st.st_mode) ? find_zip(package, fname) : ps_xstrdup(package);
	if (!zip) {
		ps_lint_report(ctx, "PSS011", at->line, at->col,
			       "function \"%s\": no .zip package in '%s'", fname,
			       package);
		return;
	}
	for (i = 0; i < o->nseen; i++)
		if (strcmp(o->seen[i], zip) == 0) {
			free(zip);
			return;
		}
	o->seen = ps_xrealloc(o->seen, (o->nseen + 1) * sizeof(*o->seen));
	o->seen[o->nseen++] = ps_xstrdup(zip);
	if (stat(zip, &st) == 0 && (unsigned long long)st.st_size > ZIPPED_MAX)
		ps_lint_report(ctx, "PSS011", at->line, at->col,
			       "function \"%s\": package %s is %.1f MB zipped; Lambda takes 50 MB",
			       fname, zip, st.st_size / 1048576.0);
	if (unzipped_size(zip, &unzipped, errbuf, sizeof(errbuf)) < 0)
		ps_lint_report(ctx, "PSS011", at->line, at->col,
			       "function \"%s\": cannot read the package %s: %s",
			       fname, zip, errbuf);
	else if (unzipped > UNZIPPED_MAX)
		ps_lint_report(ctx, "PSS011", at->line, at->col,
			       "function \"%s\": package %s is %.1f MB unzipped; Lambda takes 250 MB",
			       fname, zip, unzipped / 1048576.0);
	free(zip);
}
