/*
 * ps-lint-dockerfile: running the linter over a list of files (run.c).
 */
#ifndef PS_LINT_DOCKERFILE_RUN_H
#define PS_LINT_DOCKERFILE_RUN_H

#include <pthread.h>

#include "cmd/ps-lint-dockerfile/lint.h"

#define CLI_SEV_UNSET (-100)

struct lint_result {
	struct ps_diags diags;
	char *error;		/* the file could not be read */
	int status;
};

struct lint_run {
	struct file_list *files;
	const struct lint_settings *base;	/* defaults + command line */
	const struct lint_settings *fixed;	/* --config: the same for all */
	int cli_sev[256];	/* rules the command line set, else CLI_SEV_UNSET */
	int jobs;
	int config_error;
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
	char *done;		/* per file: results[i] is ready */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Start the workers over r->files (settings are resolved first, here). */
void lint_run_start(struct lint_run *r);
/* Wait until file i is linted; its results are then r->results[i]. */
void lint_run_wait(struct lint_run *r, size_t i);
/* Wait for the workers to finish. */
void lint_run_join(struct lint_run *r);
void lint_run_free(struct lint_run *r);

#endif
