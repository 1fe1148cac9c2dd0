/*
 * ps-lint-dockerfile: running the linter over a list of files (run.c).
 */
#ifndef PS_LINT_DOCKERFILE_RUN_H
#define PS_LINT_DOCKERFILE_RUN_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

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
	size_t nput, put_cap;
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
	struct lint_find_cache find_cache;	/* config search by directory */
	/* workers */
	atomic_size_t next;	/* next file to take */
	atomic_uchar *done;	/* per file: pending, linted, written */
	pthread_mutex_t out_mu;	/* held while writing: rd, next_out, status */
	struct ps_render *rd;
	atomic_size_t next_out;	/* the next file to write */
	int status;		/* worst status of an unreadable file */
	size_t thread_heap;	/* bytes of heap populated per other thread */
	/* the other workers, started early (lint_run_start) and waiting for
	 * go: 1 to lint, -1 to leave */
	pthread_t threads[16];
	int nthreads;
	int spin;		/* they may wait spinning (a CPU each) */
	cpu_set_t allowed;	/* the CPUs the process may use */
	atomic_int go;
	pthread_mutex_t go_mu;
	pthread_cond_t go_cv;
	/* the heap this thread will use, for a waiting worker to populate */
	size_t prefaulted;	/* bytes asked for so far */
	void *pf_block;		/* held until the workers go */
	pthread_mutex_t pf_mu;
	uintptr_t pf_addr;
	size_t pf_len;
	atomic_int pf_pending;
	atomic_int image_done;	/* the data pages are populated */
	/* the configuration search for the first operand's directory,
	 * done by a waiting worker while this thread finds the files:
	 * WARM_* (run.c) */
	char *warm_dir;
	atomic_int warm;
};

/* Resolve the settings of every file (the nearest configuration, loaded
 * once per directory); r->config_error tells of a bad one. */
void lint_run_settings(struct lint_run *r);
/* Start the other workers now, for the n operands, to wait until
 * lint_run_all has them: a thread of an idle CPU of a VM can take
 * milliseconds to run, which the collection of the files then hides.
 * (None for a single file: r->jobs - 1, or fewer for fewer operands that
 * are all named like Dockerfiles.) */
void lint_run_start(struct lint_run *r, char *const *ops, size_t n);
/* Lint every file on r->jobs threads (this one included) and write
 * each file's findings through rd in input order as soon as it and the
 * files before it are done. Returns the worst status of the files that
 * could not be read (0 when none). */
int lint_run_all(struct lint_run *r, struct ps_render *rd);
/* Write file i's findings through rd (with the writing lock held);
 * returns -1 when a finding could not be written. */
int lint_run_render(struct lint_run *r, size_t i, struct ps_render *rd);
/* (Workers started and not run are told to leave.) */
void lint_run_free(struct lint_run *r);
/* Populate the program's data pages and the heap a run over about n files
 * on jobs threads uses (this thread's part), and tell malloc to keep it:
 * early, so that the collection of the files finds its memory mapped too.
 * A worker started by lint_run_start does it while it waits (page faults
 * are dear on VMs; populating is cheaper, and off this thread's way). */
void lint_prefault(struct lint_run *r, size_t n, int jobs);

#endif
