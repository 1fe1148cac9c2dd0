/*
 * ps-lint-dockerfile: running the linter over a list of files (run.c).
 */
#ifndef PS_LINT_DOCKERFILE_RUN_H
#define PS_LINT_DOCKERFILE_RUN_H

#include <pthread.h>

#include "cmd/ps-lint-dockerfile/lint.h"

#define CLI_SEV_UNSET (-100)

/* A finding the worker rendered: its bytes in lint_result.bytes. */
struct lint_put {
	size_t off, len;
	enum ps_severity sev;
	const char *tool, *file;	/* the run's own strings, or owned */
	int owned;
};

struct lint_result {
	struct ps_diags diags;	/* (not rendered by the worker) */
	char *error;		/* the file could not be read */
	int status;
	struct ps_buf bytes;	/* rendered by the worker (ps_render_put) */
	struct lint_put *put;
	size_t nput;
};

struct lint_run {
	struct file_list *files;
	const struct lint_settings *base;	/* defaults + command line */
	const struct lint_settings *fixed;	/* --config: the same for all */
	int cli_sev[256];	/* rules the command line set, else CLI_SEV_UNSET */
	int jobs;
	int config_error;
	/* when set (ps_render_apart), the workers render each file's
	 * findings to bytes; the writer hands them over (ps_render_emit) */
	const struct ps_render *render;
	struct lint_result *results;
	const struct lint_settings **sets;
	struct { char *path; struct lint_settings *set; } *cached;
	size_t ncached;
	char *last_dir;
	const struct lint_settings *last_set;
	/* workers */
	pthread_t threads[16];
	int nthreads;
	size_t next;		/* next file to take */
	size_t waiting;		/* the file the writer waits for, or SIZE_MAX */
	char *done;		/* per file: results[i] is ready */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Resolve the settings of every file (the nearest configuration, loaded
 * once per directory); r->config_error tells of a bad one. */
void lint_run_settings(struct lint_run *r);
/* Start the workers over r->files (after lint_run_settings). */
void lint_run_start(struct lint_run *r);
/* Wait until file i is linted; its results are then r->results[i]. */
void lint_run_wait(struct lint_run *r, size_t i);
/* Write file i's findings (after lint_run_wait) through rd; returns the
 * worst status of ps_render_finding / ps_render_emit (0 or -1). */
int lint_run_render(struct lint_run *r, size_t i, struct ps_render *rd);
/* Wait for the workers to finish. */
void lint_run_join(struct lint_run *r);
void lint_run_free(struct lint_run *r);

#endif
