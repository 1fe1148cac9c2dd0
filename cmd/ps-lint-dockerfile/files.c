/*
 * Operands to files: a file is linted as given; a directory is walked
 * (sorted, .git and node_modules skipped) for Dockerfile, Containerfile,
 * *.Dockerfile and Dockerfile.* names.
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
lint_is_dockerfile_name(const char *b)
{
	size_t n = strlen(b);

	if (strcasecmp(b, "Dockerfile") == 0 || strcasecmp(b, "Containerfile") == 0)
		return 1;
	if (strncasecmp(b, "Dockerfile.", 11) == 0 && n > 11 &&
	    strcmp(b + n - 11 > b ? b + n - 11 : b, ".dockerignore") != 0)
		return strstr(b, ".dockerignore") == NULL;
	if (strncasecmp(b, "Containerfile.", 14) == 0 && n > 14)
		return 1;
	if (n > 11 && strcasecmp(b + n - 11, ".Dockerfile") == 0)
		return 1;
	if (n > 14 && strcasecmp(b + n - 14, ".Containerfile") == 0)
		return 1;
	return 0;
}

static void
push(struct file_list *fl, char *p)
{
	ps_xgrow(&fl->v, &fl->cap, fl->len + 1, sizeof(*fl->v));
	fl->v[fl->len++] = p;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
walk(const char *dir, struct file_list *fl, struct ps_error *err, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct file_list names = { 0 };

	if (!d)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s", dir,
				    strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' ||
					    strcmp(e->d_name, "..") == 0 ||
					    strcmp(e->d_name, ".git") == 0))
			continue;
		if (strcmp(e->d_name, "node_modules") == 0)
			continue;
		push(&names, ps_xstrdup(e->d_name));
	}
	closedir(d);
	if (names.len > 1)
		qsort(names.v, names.len, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.len; i++) {
		char *p = ps_xasprintf("%s%s%s", dir,
				       dir[strlen(dir) - 1] == '/' ? "" : "/",
				       names.v[i]);
		struct stat st;

		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 64)
				walk(p, fl, NULL, depth + 1);
			free(p);
		} else if (lint_is_dockerfile_name(names.v[i]) &&
			   stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			push(fl, p);
		} else {
			free(p);
		}
		free(names.v[i]);
	}
	free(names.v);
	return 0;
}

int
lint_collect(const char *operand, struct file_list *fl, struct ps_error *err)
{
	struct stat st;

	if (strcmp(operand, "-") == 0) {
		push(fl, ps_xstrdup("-"));
		return 0;
	}
	if (stat(operand, &st) < 0)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s",
				    operand, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return walk(operand, fl, err, 0);
	push(fl, ps_xstrdup(operand));
	return 0;
}

void
lint_files_free(struct file_list *fl)
{
	for (size_t i = 0; i < fl->len; i++)
		free(fl->v[i]);
	free(fl->v);
	fl->v = NULL;
	fl->len = fl->cap = 0;
}
