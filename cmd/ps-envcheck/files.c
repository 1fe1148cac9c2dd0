/*
 * ps-envcheck operands: files, "-" for stdin, and directories searched for
 * .env, .env.* and *.env (not .envrc, backups or editor files).
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/log.h"
#include "lib/util.h"

struct paths {
	char **v;
	size_t n, cap;
};

static void add_path(struct paths *p, char *s)
{
	ps_xgrow(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = s;
}

static int dotenv_name(const char *name)
{
	if (strcmp(name, ".envrc") == 0 || fnmatch("*.bak", name, 0) == 0 ||
	    fnmatch("*~", name, 0) == 0 || fnmatch("*.swp", name, 0) == 0 ||
	    strstr(name, ".ps-envcheck."))
		return 0;
	return strcmp(name, ".env") == 0 || strncmp(name, ".env.", 5) == 0 ||
	       fnmatch("?*.env", name, 0) == 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(const char *dir, struct paths *p)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t first = p->n;

	if (!d) {
		ps_log_error("cannot open directory '%s': %s", dir, strerror(errno));
		return PS_EXIT_USAGE;
	}
	while ((de = readdir(d)) != NULL) {
		char *path;
		struct stat st;

		if (!dotenv_name(de->d_name))
			continue;
		path = strcmp(dir, ".") == 0 ? ps_xstrdup(de->d_name) :
		       ps_xasprintf("%s%s%s", dir,
				    dir[strlen(dir) - 1] == '/' ? "" : "/",
				    de->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			add_path(p, path);
		else
			free(path);
	}
	closedir(d);
	qsort(p->v + first, p->n - first, sizeof(*p->v), cmp_path);
	return 0;
}

int envcheck_load_paths(char **ops, int nops, const char *env,
			struct envfile **files, size_t *nfiles)
{
	struct paths p = { 0 };
	int i, status = 0;
	size_t k;

	if (nops == 0)
		status = scan_dir(".", &p);
	for (i = 0; i < nops; i++) {
		struct stat st;

		if (strcmp(ops[i], "-") != 0 && stat(ops[i], &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			int rc = scan_dir(ops[i], &p);

			status = rc > status ? rc : status;
		} else {
			add_path(&p, ps_xstrdup(ops[i]));
		}
	}
	*files = ps_xcalloc(p.n + 1, sizeof(**files));
	*nfiles = 0;
	for (k = 0; k < p.n; k++) {
		struct ps_error err = { 0 };

		if (envfile_load(&(*files)[*nfiles], p.v[k], env,
				 &err) < 0) {
			ps_log_error("%s", err.msg);
			if ((err.code ? err.code : PS_EXIT_USAGE) > status)
				status = err.code ? err.code : PS_EXIT_USAGE;
		} else {
			(*nfiles)++;
		}
		free(p.v[k]);
	}
	free(p.v);
	return status;
}
