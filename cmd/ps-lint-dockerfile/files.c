/*
 * Operands to files: a file is linted as given; a directory is walked
 * (sorted, .git and node_modules skipped) for Dockerfile, Containerfile,
 * *.Dockerfile and Dockerfile.* names.
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

int
lint_is_dockerfile_name(const char *b)
{
	size_t n = strlen(b);

	/* Dockerfile, *.Dockerfile, app-Dockerfile, Containerfile likewise */
	if ((n >= 10 && strcasecmp(b + n - 10, "Dockerfile") == 0) ||
	    (n >= 13 && strcasecmp(b + n - 13, "Containerfile") == 0))
		return 1;
	/* Dockerfile.prod, Containerfile.dev, but not Dockerfile.dockerignore */
	if ((strncasecmp(b, "Dockerfile.", 11) == 0 && n > 11) ||
	    (strncasecmp(b, "Containerfile.", 14) == 0 && n > 14))
		return strstr(b, ".dockerignore") == NULL;
	return 0;
}

static void
push_at(struct file_list *fl, char *p, int reg, int at)
{
	size_t cap = fl->cap, cap2 = fl->cap;

	ps_xgrow(&fl->v, &fl->cap, fl->len + 1, sizeof(*fl->v));
	ps_xgrow(&fl->reg, &cap, fl->len + 1, sizeof(*fl->reg));
	ps_xgrow(&fl->at, &cap2, fl->len + 1, sizeof(*fl->at));
	fl->reg[fl->len] = (unsigned char)reg;
	fl->at[fl->len] = at;
	fl->v[fl->len++] = p;
}

static void
push(struct file_list *fl, char *p, int reg)
{
	push_at(fl, p, reg, -1);
}

struct entry {
	char *name;
	unsigned char type;	/* d_type: DT_REG, DT_DIR, or unknown */
};

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static int
walk(const char *dir, struct file_list *fl, struct ps_error *err, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	int slash = dir[strlen(dir) - 1] == '/';

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
		/* regular files that are no Dockerfile need no stat at all */
		if (e->d_type == DT_REG && !lint_is_dockerfile_name(e->d_name))
			continue;
		ps_xgrow(&ents, &cap, n + 1, sizeof(*ents));
		ents[n].name = ps_xstrdup(e->d_name);
		ents[n].type = e->d_type;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(ents, n, sizeof(*ents), cmp_entry);
	for (size_t i = 0; i < n; i++) {
		char *p = ps_xasprintf("%s%s%s", dir, slash ? "" : "/", ents[i].name);
		int is_dir = ents[i].type == DT_DIR, is_reg = ents[i].type == DT_REG;
		struct stat st;

		if (!is_dir && !is_reg && stat(p, &st) == 0) {
			is_dir = S_ISDIR(st.st_mode);
			is_reg = S_ISREG(st.st_mode);
		}
		if (is_dir) {
			if (depth < 64)
				walk(p, fl, NULL, depth + 1);
			free(p);
		} else if (is_reg && lint_is_dockerfile_name(ents[i].name)) {
			push(fl, p, 1);
		} else {
			free(p);
		}
		free(ents[i].name);
	}
	free(ents);
	return 0;
}

int
lint_collect(const char *operand, struct file_list *fl, struct ps_error *err)
{
	struct stat st;

	if (strcmp(operand, "-") == 0) {
		push(fl, ps_xstrdup("-"), 0);
		return 0;
	}
	if (stat(operand, &st) < 0)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s",
				    operand, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return walk(operand, fl, err, 0);
	push(fl, ps_xstrdup(operand), S_ISREG(st.st_mode));
	return 0;
}

/* The stat(2) of many operands, shared out between threads: on a VM a
 * stat costs several microseconds (the path walk), and this all comes
 * before the first file can be linted. */
struct stat_job {
	char *const *ops;
	size_t n;
	atomic_size_t next;
	mode_t *mode;		/* 0 when stat failed */
	int *err;
};

static void *
stat_worker(void *arg)
{
	struct stat_job *j = arg;
	size_t i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->n) {
		struct stat st;

		if (j->mode[i] || strcmp(j->ops[i], "-") == 0)
			continue;	/* known from its directory's listing */
		if (stat(j->ops[i], &st) < 0) {
			j->err[i] = errno;
		} else {
			j->mode[i] = st.st_mode ? st.st_mode : S_IFREG;
		}
	}
	return NULL;
}

/*
 * Many operands in one directory (a shell glob, find's output): one
 * listing of the directory tells the type of each (d_type), instead of a
 * stat(2) apiece. Symbolic links and entries of unknown type are left to
 * stat (it follows links), and so are names that are not a plain last
 * component; a directory much larger than its operands is not listed to
 * the end.
 */
struct name_set {
	size_t *slot;		/* offset + 1 into names, 0 free */
	unsigned char *type;	/* d_type per slot */
	size_t mask;
	struct ps_buf names;
};

static size_t
name_hash(const char *s, size_t n)
{
	return (size_t)XXH3_64bits(s, n);
}

static int
name_get(const struct name_set *ns, const char *s, size_t n)
{
	for (size_t h = name_hash(s, n) & ns->mask;; h = (h + 1) & ns->mask) {
		const char *e;

		if (!ns->slot[h])
			return -1;
		e = ns->names.data + ns->slot[h] - 1;
		if (strncmp(e, s, n) == 0 && e[n] == '\0')
			return ns->type[h];
	}
}

static mode_t
dtype_mode(int t)
{
	switch (t) {
	case DT_REG: return S_IFREG;
	case DT_DIR: return S_IFDIR;
	case DT_FIFO: return S_IFIFO;
	case DT_CHR: return S_IFCHR;
	case DT_BLK: return S_IFBLK;
	case DT_SOCK: return S_IFSOCK;
	default: return 0;	/* a link, or unknown: stat it */
	}
}

/* Types of ops[a..b), all in directory dir (dlen bytes of each op); the
 * directory's descriptor kept in fl for those typed (at), so that each is
 * opened from it without looking its directory up again. */
static void
types_from_listing(char *const *ops, size_t a, size_t b, size_t dlen,
		   mode_t *mode, int *at, struct file_list *fl)
{
	struct name_set ns = { 0 };
	size_t want = b - a, limit = 64 * (b - a), seen = 0, nslots = 16;
	char *dir = dlen ? ps_xstrndup(ops[a], dlen) : ps_xstrdup(".");
	/* (stat needs search permission where a listing needs read) */
	DIR *d = access(dir, X_OK) == 0 ? opendir(dir) : NULL;
	struct dirent *e;

	free(dir);
	if (!d)
		return;
	while (nslots < 4 * want)
		nslots *= 2;
	/* grown while listing: at most half full */
	ns.slot = ps_xcalloc(nslots, sizeof(*ns.slot));
	ns.type = ps_xcalloc(nslots, 1);
	ns.mask = nslots - 1;
	while (seen < limit && (e = readdir(d))) {
		size_t len = strlen(e->d_name), h;

		seen++;
		if (2 * seen > nslots) {
			/* rehash into twice the room */
			struct name_set big = { .mask = 2 * nslots - 1, .names = ns.names };

			big.slot = ps_xcalloc(2 * nslots, sizeof(*big.slot));
			big.type = ps_xcalloc(2 * nslots, 1);
			for (size_t k = 0; k < nslots; k++)
				if (ns.slot[k]) {
					const char *nm = ns.names.data + ns.slot[k] - 1;

					h = name_hash(nm, strlen(nm)) & big.mask;
					while (big.slot[h])
						h = (h + 1) & big.mask;
					big.slot[h] = ns.slot[k];
					big.type[h] = ns.type[k];
				}
			free(ns.slot);
			free(ns.type);
			ns = big;
			nslots *= 2;
		}
		h = name_hash(e->d_name, len) & ns.mask;
		while (ns.slot[h])
			h = (h + 1) & ns.mask;
		ns.slot[h] = ns.names.len + 1;
		ns.type[h] = e->d_type;
		ps_buf_add(&ns.names, e->d_name, len + 1);
	}
	{
		int keep = fl->ndirs < (int)PS_ARRAY_LEN(fl->dirs) ?
			   fcntl(dirfd(d), F_DUPFD_CLOEXEC, 0) : -1;

		if (keep >= 0)
			fl->dirs[fl->ndirs++] = keep;
		closedir(d);
		for (size_t i = a; i < b; i++) {
			const char *base = ops[i] + dlen + (dlen ? 1 : 0);
			int t = name_get(&ns, base, strlen(base));

			if (t >= 0) {
				mode[i] = dtype_mode(t);
				at[i] = keep;
			}
		}
	}
	free(ns.slot);
	free(ns.type);
	ps_buf_free(&ns.names);
}

/* The length of op's directory part ("a/b" of "a/b/c"; 0 for "c"), or
 * (size_t)-1 when the last component is not a plain name. */
static size_t
dir_len(const char *op)
{
	const char *sl = strrchr(op, '/');
	const char *base = sl ? sl + 1 : op;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strcmp(op, "-") == 0 || (sl && sl == op))
		return (size_t)-1;
	return sl ? (size_t)(sl - op) : 0;
}

static void
types_by_directory(char *const *ops, size_t n, mode_t *mode, int *at,
		   struct file_list *fl)
{
	size_t i = 0;

	while (i < n) {
		size_t dl = dir_len(ops[i]), k = i + 1;

		if (dl == (size_t)-1) {
			i++;
			continue;
		}
		while (k < n && dir_len(ops[k]) == dl &&
		       strncmp(ops[k], ops[i], dl) == 0)
			k++;
		if (k - i >= 16)
			types_from_listing(ops, i, k, dl, mode, at, fl);
		i = k;
	}
}

int
lint_collect_all(char *const *ops, size_t n, int jobs, struct file_list *fl,
		 struct ps_error *err)
{
	struct stat_job j = { .ops = ops, .n = n };
	pthread_t th[16];
	int nth = 0;

	size_t unknown = 0;
	int *at;

	if (n < 16) {
		for (size_t i = 0; i < n; i++)
			if (lint_collect(ops[i], fl, err) < 0)
				return -1;
		return 0;
	}
	j.mode = ps_xcalloc(n, sizeof(*j.mode));
	j.err = ps_xcalloc(n, sizeof(*j.err));
	at = ps_xmalloc(n * sizeof(*at));
	for (size_t i = 0; i < n; i++)
		at[i] = -1;
	atomic_init(&j.next, 0);
	types_by_directory(ops, n, j.mode, at, fl);
	for (size_t i = 0; i < n; i++)
		unknown += !j.mode[i];
	if (unknown >= 64)
		for (int t = 1; t < jobs && t < 16; t++)
			if (pthread_create(&th[nth], NULL, stat_worker, &j) == 0)
				nth++;
	stat_worker(&j);
	for (int t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	/* in order, as lint_collect would: the first bad operand stops it */
	for (size_t i = 0; i < n; i++) {
		int rc = 0;

		if (strcmp(ops[i], "-") == 0)
			push(fl, ps_xstrdup("-"), 0);
		else if (j.err[i])
			rc = ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s",
					  ops[i], strerror(j.err[i]));
		else if (S_ISDIR(j.mode[i]))
			rc = walk(ops[i], fl, err, 0);
		else
			push_at(fl, ps_xstrdup(ops[i]), S_ISREG(j.mode[i]), at[i]);
		if (rc < 0) {
			free(j.mode);
			free(j.err);
			free(at);
			return -1;
		}
	}
	free(j.mode);
	free(j.err);
	free(at);
	return 0;
}

void
lint_files_free(struct file_list *fl)
{
	for (size_t i = 0; i < fl->len; i++)
		free(fl->v[i]);
	free(fl->v);
	free(fl->reg);
	free(fl->at);
	for (int i = 0; i < fl->ndirs; i++)
		close(fl->dirs[i]);
	fl->v = NULL;
	fl->reg = NULL;
	fl->at = NULL;
	fl->len = fl->cap = 0;
	fl->ndirs = 0;
}
