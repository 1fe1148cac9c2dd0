/*
 * Running the linter over many files: settings per file (the nearest
 * .ps-lint.yml / .hadolint.yaml, cached by directory and by path), files
 * read with one read(2), worker threads over the file list (the calling
 * thread is one; the others started, each on a CPU of its own, while the
 * files are still being found), each file's findings fingerprinted and
 * rendered by the worker that linted it and written in input order by
 * whichever worker completes the next file.
 */
#include "cmd/ps-lint-dockerfile/run.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

/*
 * Page faults: on the VMs this runs on, the first touch of a page costs
 * from 2 us (memory the VM has used before) to 15-20 us (memory it has
 * not: more than linting a small Dockerfile), while MADV_POPULATE_WRITE
 * maps anonymous pages in bulk at about 1 us each. So the program's data
 * and the heap a run will use are populated up front (ps_prefault,
 * ps_prefault_heap), by a worker started early when there is one: it has
 * nothing else to do while this thread finds the files, and on this
 * thread the populating would delay the start of the linting. (The text
 * is left to fault in: its pages come from the page cache, and populating
 * all of it costs about what the faults it saves do.)
 */
extern char __data_start[], end[];

static void
prefault_image(void)
{
	/* data and bss (the stdout buffer among them) */
	ps_prefault(__data_start, (size_t)(end - __data_start));
}

/* The heap a worker touches linting: what one file needs (the parse
 * arena, findings, rendered bytes) and about 1 KB for each of its share
 * of the files, whose results wait to be written or are reused (some
 * 260 KB for half the corpus of 415), up to a thousand files' worth. */
static size_t
thread_heap(size_t n, int nth)
{
	size_t share = n / (size_t)(nth > 0 ? nth : 1);

	return (64 << 10) + (share < 1024 ? share : 1024) * 1024;
}

void
lint_prefault(struct lint_run *r, size_t n, int jobs)
{
	/* a worker's, and the run's own state: its results, the file list
	 * (its use measured without populating: 316-400 KB of heap for the
	 * corpus of 415 files, TLS and the collection included) */
	size_t h = thread_heap(n, jobs) + n * 128;
	char *p;

	if (h > (8 << 20))
		h = 8 << 20;
	if (r->prefaulted >= h)
		return;
	r->prefaulted = h;
	/* Linting allocates and frees per file all the time: keep the memory
	 * in the process rather than trimming the workers' arenas (madvise)
	 * after every file, and out of mmap. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	/* and grow a heap by a megabyte at a time, not by what one request
	 * lacks (a brk or an mprotect each time) */
	mallopt(M_TOP_PAD, 1 << 20);
	/* this thread's heap: its worker's and the per-file state of the
	 * run and of the renderer's summary. Once freed, the block stays in
	 * the heap (mapped: nothing is trimmed), for the next requests. */
	free(r->pf_block);
	r->pf_block = NULL;
	p = malloc(h);
	if (!p)
		return;
	if (r->nthreads > 0 && r->spin) {
		/* for a waiting worker to map (wait_go); freed when the
		 * workers go (lint_run_all) */
		pthread_mutex_lock(&r->pf_mu);
		r->pf_addr = (uintptr_t)p;
		r->pf_len = h;
		pthread_mutex_unlock(&r->pf_mu);
		atomic_store(&r->pf_pending, 1);
		r->pf_block = p;
		return;
	}
	if (!atomic_exchange(&r->image_done, 1))
		prefault_image();
	ps_prefault(p, h);
	free(p);
}

/* On a worker: map what lint_prefault handed over, if anything. */
static void
take_prefault(struct lint_run *r)
{
	uintptr_t a;
	size_t len;

	if (!atomic_exchange(&r->pf_pending, 0))
		return;
	pthread_mutex_lock(&r->pf_mu);
	a = r->pf_addr;
	len = r->pf_len;
	r->pf_addr = 0;
	pthread_mutex_unlock(&r->pf_mu);
	if (a)
		ps_prefault((void *)a, len);
}

/* Read a whole regular file with one read(2) (looping only on short reads). */
static int
read_whole(const char *path, int reg, int at, struct ps_buf *b,
	   struct ps_error *err)
{
	struct stat st;
	int fd;

	ps_buf_reset(b);
	if (strcmp(path, "-") == 0)
		return ps_read_file("-", b, err);
	/* (from its directory's descriptor when the listing gave one: the
	 * same file, without looking the directories up again) */
	if (at >= 0) {
		const char *base = strrchr(path, '/');

		fd = openat(at, base ? base + 1 : path, O_RDONLY | O_CLOEXEC);
	} else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ps_error_set(err, PS_EXIT_USAGE, "cannot open '%s': %s", path,
				    strerror(errno));
	if (reg) {
		/* A regular file (so the walk or the operand's stat said):
		 * read into the reused buffer; a read that does not fill it
		 * ends the file, so no fstat is needed. */
		size_t got = 0;

		for (;;) {
			ssize_t n;

			if (b->cap < got + 16384)
				ps_xgrow(&b->data, &b->cap, got + 16384, 1);
			n = read(fd, b->data + got, b->cap - 1 - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				int e = errno;

				close(fd);
				return ps_error_set(err, PS_EXIT_OPER,
						    "cannot read '%s': %s", path,
						    strerror(e));
			}
			got += (size_t)n;
			if (n == 0 || got < b->cap - 1)
				break;
		}
		close(fd);
		b->len = got;
		b->data[got] = '\0';
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ps_read_file(path, b, err);
	}
	ps_buf_reset(b);
	ps_xgrow(&b->data, &b->cap, (size_t)st.st_size + 1, 1);
	size_t got = 0;

	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b->data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s",
					    path, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b->len = got;
	b->data[got] = '\0';
	return 0;
}

static char *
dir_of(const char *path)
{
	const char *sl = strrchr(path, '/');

	if (!sl)
		return ps_xstrdup(".");
	if (sl == path)
		return ps_xstrdup("/");
	return ps_xstrndup(path, (size_t)(sl - path));
}

/* The settings for a directory (config found upward), cached. */
static const struct lint_settings *
settings_for(struct lint_run *r, const char *dir)
{
	char *cfg;

	if (r->fixed)
		return r->fixed;
	if (r->last_dir && strcmp(r->last_dir, dir) == 0)
		return r->last_set;
	cfg = lint_settings_find_cached(dir, &r->find_cache);
	free(r->last_dir);
	r->last_dir = ps_xstrdup(dir);
	for (size_t i = 0; i < r->ncached; i++)
		if ((!cfg && !r->cached[i].path) ||
		    (cfg && r->cached[i].path && strcmp(cfg, r->cached[i].path) == 0)) {
			free(cfg);
			r->last_set = r->cached[i].set;
			return r->last_set;
		}
	struct lint_settings *s = ps_xmalloc(sizeof(*s));

	*s = *r->base;
	/* the base's arrays are shared: copy the ones a file may extend */
	s->registries = NULL;
	s->nregistries = 0;
	s->labels = NULL;
	s->nlabels = 0;
	s->versions = NULL;
	s->nversions = 0;
	s->ignore_ids = NULL;
	s->nignore_ids = 0;
	for (size_t i = 0; i < r->base->nregistries; i++) {
		s->registries = ps_xrealloc(s->registries, (i + 1) * sizeof(char *));
		s->registries[i] = ps_xstrdup(r->base->registries[i]);
		s->nregistries = i + 1;
	}
	if (cfg) {
		struct ps_diags d = { 0 };

		if (lint_settings_load(s, cfg, &d) < 0)
			r->config_error = 1;
		for (size_t i = 0; i < d.len; i++)
			ps_finding_print(stderr, d.v[i], 0);
		ps_diags_free(&d);
		/* command-line choices win over the file */
		for (size_t i = 0; i < lint_nrules; i++)
			if (r->cli_sev[i] != CLI_SEV_UNSET)
				s->sev[i] = r->cli_sev[i];
	}
	r->cached = ps_xrealloc(r->cached, (r->ncached + 1) * sizeof(*r->cached));
	r->cached[r->ncached].path = cfg;
	r->cached[r->ncached].set = s;
	r->ncached++;
	r->last_set = s;
	return s;
}

/* Render a file's findings to bytes and free them (on the worker). */
static void
put_findings(struct lint_run *r, struct lint_result *res, const char *path)
{
	struct ps_diags *d = &res->diags;

	ps_xgrow(&res->put, &res->put_cap, d->len + 1, sizeof(*res->put));
	res->nput = 0;
	for (size_t k = 0; k < d->len; k++) {
		struct ps_finding *f = d->v[k];
		struct lint_put *it = &res->put[res->nput++];

		it->off = res->bytes.len;
		ps_render_put(r->render, &res->bytes, f);
		it->len = res->bytes.len - it->off;
		it->sev = f->severity;
		it->owned = 0;
		/* (the linter's findings lend path itself) */
		if ((!f->tool || strcmp(f->tool, LINT_TOOL) == 0) &&
		    (!f->file || f->file == path || strcmp(f->file, path) == 0)) {
			it->tool = f->tool ? LINT_TOOL : NULL;
			it->file = f->file ? path : NULL;
		} else {
			it->tool = f->tool ? ps_xstrdup(f->tool) : NULL;
			it->file = f->file ? ps_xstrdup(f->file) : NULL;
			it->owned = 1;
		}
	}
	ps_diags_free(d);
}

/* Free the strings a result's findings own (tool, file of a foreign one). */
static void
put_clear(struct lint_result *res)
{
	for (size_t k = 0; k < res->nput; k++)
		if (res->put[k].owned) {
			free((char *)res->put[k].tool);
			free((char *)res->put[k].file);
			res->put[k].owned = 0;
		}
	res->nput = 0;
}

static void
put_free(struct lint_result *res)
{
	put_clear(res);
	free(res->put);
	res->put = NULL;
	res->put_cap = 0;
	ps_buf_free(&res->bytes);
}

int
lint_run_render(struct lint_run *r, size_t i, struct ps_render *rd)
{
	struct lint_result *res = &r->results[i];
	int rc = 0;

	for (size_t k = 0; k < res->diags.len; k++)
		if (ps_render_finding(rd, res->diags.v[k]) < 0)
			rc = -1;
	ps_diags_free(&res->diags);
	for (size_t k = 0, e; k < res->nput; k = e) {
		/* the findings of one tool and file (all, as a rule): counted
		 * together and written in one piece when none is hidden */
		const struct lint_put *it = &res->put[k];
		size_t nsev[PS_SEV_ERROR + 1] = { 0 };

		for (e = k; e < res->nput && res->put[e].tool == it->tool &&
			    res->put[e].file == it->file; e++)
			nsev[(unsigned)res->put[e].sev <= PS_SEV_ERROR ?
			     res->put[e].sev : PS_SEV_ERROR]++;
		if (ps_render_take_group(rd, it->tool, it->file, nsev)) {
			const struct lint_put *last = &res->put[e - 1];

			if (ps_render_write(rd, ps_buf_str(&res->bytes) + it->off,
					    last->off + last->len - it->off) < 0)
				rc = -1;
			continue;
		}
		for (size_t j = k; j < e; j++) {
			it = &res->put[j];
			if (ps_render_emit(rd, it->tool, it->file, it->sev,
					   ps_buf_str(&res->bytes) + it->off,
					   it->len) < 0)
				rc = -1;
		}
	}
	/* the bytes and the put array stay: the worker that made them
	 * takes them back for its next file (memory is freed, and best
	 * reused, on the thread whose malloc arena it came from) */
	put_clear(res);
	return rc;
}

/* Lint file i; b is the worker's file buffer, kept from file to file. */
static void
lint_one(struct lint_run *r, size_t i, struct ps_buf *buf)
{
	struct lint_result *res = &r->results[i];
	const char *path = r->files->v[i];
	struct ps_error err = { 0 };
	char *dir = strcmp(path, "-") ? dir_of(path) : NULL;

	if (read_whole(path, r->files->reg && r->files->reg[i],
		       r->files->at ? r->files->at[i] : -1, buf, &err) < 0) {
		res->error = ps_xstrdup(err.msg);
		res->status = err.code ? err.code : PS_EXIT_USAGE;
	} else {
		lint_text(r->sets[i], path, dir, buf->data ? buf->data : "",
			  buf->len, &res->diags);
		ps_diags_sort(&res->diags);
		/* fingerprints here, not on the thread that writes */
		for (size_t k = 0; k < res->diags.len; k++)
			ps_finding_fingerprint(res->diags.v[k]);
		if (r->render)
			put_findings(r, res, path);
	}
	free(dir);
}

/* Per file: RES_PENDING, then RES_DONE (linted; results[i] ready), then
 * RES_WRITTEN (its bytes may go back to the worker that made them). */
enum { RES_PENDING = 0, RES_DONE, RES_WRITTEN };

/*
 * Write the files that are done, in input order, as far as they go.
 * Whoever holds the lock writes; a thread that finds it taken goes back to
 * linting instead of waiting: the writer looks again after unlocking, and
 * each side's store is fenced before it looks at the other's (so a file
 * made ready meanwhile is seen by one of the two).
 */
static void
write_ready(struct lint_run *r)
{
	size_t n = r->files->len, i;

	atomic_thread_fence(memory_order_seq_cst);
	for (;;) {
		if (pthread_mutex_trylock(&r->out_mu) != 0)
			return;
		while ((i = atomic_load(&r->next_out)) < n &&
		       atomic_load(&r->done[i]) == RES_DONE) {
			struct lint_result *res = &r->results[i];

			if (res->error) {
				ps_log_error("%s", res->error);
				if (res->status > r->status)
					r->status = res->status;
			} else {
				lint_run_render(r, i, r->rd);
			}
			atomic_store(&r->next_out, i + 1);
			atomic_store(&r->done[i], RES_WRITTEN);
		}
		pthread_mutex_unlock(&r->out_mu);
		atomic_thread_fence(memory_order_seq_cst);
		i = atomic_load(&r->next_out);
		if (i >= n || atomic_load(&r->done[i]) != RES_DONE)
			return;
	}
}

/* What a worker keeps from file to file: the file buffer, and the output
 * buffers of its files that are written, to render the next ones into. */
struct worker_mem {
	struct ps_buf file;
	size_t *mine;		/* its files; from head on not taken back */
	size_t head, nmine, cap;
	struct ps_buf bytes;	/* a spare output buffer */
	struct lint_put *put;	/* a spare put array */
	size_t put_cap;
};

static void
take_back(struct lint_run *r, struct worker_mem *m)
{
	/* files are written in input order, and a worker's in its order of
	 * taking them: the written ones are a prefix of its list */
	while (m->head < m->nmine &&
	       atomic_load(&r->done[m->mine[m->head]]) == RES_WRITTEN) {
		struct lint_result *res = &r->results[m->mine[m->head++]];

		if (!m->bytes.data || res->bytes.cap > m->bytes.cap) {
			ps_buf_free(&m->bytes);
			m->bytes = res->bytes;
		} else {
			ps_buf_free(&res->bytes);
		}
		memset(&res->bytes, 0, sizeof(res->bytes));
		if (!m->put || res->put_cap > m->put_cap) {
			free(m->put);
			m->put = res->put;
			m->put_cap = res->put_cap;
		} else {
			free(res->put);
		}
		res->put = NULL;
		res->put_cap = 0;
	}
	if (m->head == m->nmine)
		m->head = m->nmine = 0;
}

/*
 * A worker: take the next file, lint it, then write whatever is ready.
 * No thread ever waits for another's file: the one that completes the
 * next file in order writes it (and those after it that are done).
 */
static void
work(struct lint_run *r)
{
	struct worker_mem m = { 0 };

	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);

		if (i >= r->files->len)
			break;
		take_back(r, &m);
		if (r->render) {
			struct lint_result *res = &r->results[i];

			res->bytes = m.bytes;
			res->bytes.len = 0;
			res->put = m.put;
			res->put_cap = m.put_cap;
			memset(&m.bytes, 0, sizeof(m.bytes));
			m.put = NULL;
			m.put_cap = 0;
			ps_xgrow(&m.mine, &m.cap, m.nmine + 1, sizeof(*m.mine));
			m.mine[m.nmine++] = i;
		}
		lint_one(r, i, &m.file);
		atomic_store(&r->done[i], RES_DONE);
		write_ready(r);
	}
	/* (the buffers still in results are freed by lint_run_free) */
	ps_df_scratch_release();
	lint_scratch_release();
	ps_render_thread_release();
	ps_buf_free(&m.file);
	ps_buf_free(&m.bytes);
	free(m.put);
	free(m.mine);
}

/* A worker started by lint_run_all: its heap mapped, then to work. */
static void *
worker(void *arg)
{
	struct lint_run *r = arg;

	ps_prefault_heap(r->thread_heap);
	work(r);
	return NULL;
}

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Wait for go: spinning for up to 20 ms when the thread has a CPU of its
 * own (the files are usually known within a millisecond), yielding it now
 * and then to whatever else wants it, then asleep. */
static int
wait_go(struct lint_run *r)
{
	struct timespec t0, t;
	int g;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned k = 1; r->spin; k++) {
		if ((g = atomic_load_explicit(&r->go, memory_order_acquire)) != 0)
			return g;
		if (atomic_load_explicit(&r->pf_pending, memory_order_relaxed))
			take_prefault(r);
		cpu_relax();
		if (k % 4096 == 0) {
			sched_yield();
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - t0.tv_sec) * 1000000000L +
			    (t.tv_nsec - t0.tv_nsec) > 20000000L)
				break;
		}
	}
	pthread_mutex_lock(&r->go_mu);
	while ((g = atomic_load(&r->go)) == 0)
		pthread_cond_wait(&r->go_cv, &r->go_mu);
	pthread_mutex_unlock(&r->go_mu);
	return g;
}

/* The configuration search of warm_dir: not begun, under way, done. The
 * one that moves it from WARM_NO claims it (a waiting worker, or the main
 * thread before it needs the settings); the search's cache is the main
 * thread's again once the state is WARM_DONE. */
enum { WARM_NO = 0, WARM_BUSY, WARM_DONE };

static void
warm_settings(struct lint_run *r)
{
	int no = WARM_NO;

	if (!r->warm_dir ||
	    !atomic_compare_exchange_strong(&r->warm, &no, WARM_BUSY))
		return;
	free(lint_settings_find_cached(r->warm_dir, &r->find_cache));
	atomic_store(&r->warm, WARM_DONE);
}

/* On the main thread: the search done, or never to be begun by a worker. */
static void
warm_settings_wait(struct lint_run *r)
{
	int no = WARM_NO;

	if (atomic_compare_exchange_strong(&r->warm, &no, WARM_DONE))
		return;
	while (atomic_load(&r->warm) != WARM_DONE)
		cpu_relax();
}

/* A worker started early: its heap mapped while the files are found. */
static void *
early_worker(void *arg)
{
	struct lint_run *r = arg;

	if (CPU_COUNT(&r->allowed) > 0)
		pthread_setaffinity_np(pthread_self(), sizeof(r->allowed),
				       &r->allowed);
	if (!atomic_exchange(&r->image_done, 1))
		prefault_image();
	/* (the main thread needs it after the files are found) */
	warm_settings(r);
	ps_prefault_heap(r->thread_heap);
	if (wait_go(r) > 0) {
		/* a block handed over as the workers went (lint_run_all,
		 * for the files a walk found): mapped here while the main
		 * thread lints, rather than by it before */
		take_prefault(r);
		work(r);
	}
	return NULL;
}

static void
set_go(struct lint_run *r, int go)
{
	pthread_mutex_lock(&r->go_mu);
	atomic_store(&r->go, go);
	pthread_cond_broadcast(&r->go_cv);
	pthread_mutex_unlock(&r->go_mu);
}

void
lint_run_start(struct lint_run *r, char *const *ops, size_t n)
{
	int nth = r->jobs < 1 ? 1 : (r->jobs > 16 ? 16 : r->jobs);
	int here, cpu;
	cpu_set_t allowed;
	pthread_attr_t attr;

	if ((size_t)nth > n) {
		/* fewer operands than workers: as many as there are files,
		 * unless one may be a directory */
		size_t files = 0;

		for (size_t i = 0; i < n; i++) {
			const char *b = strrchr(ops[i], '/');

			files += strcmp(ops[i], "-") == 0 ||
				 lint_is_dockerfile_name(b ? b + 1 : ops[i]);
		}
		if (files == n)
			nth = (int)(n ? n : 1);
	}
	if (r->nthreads || nth < 2)
		return;
	here = sched_getcpu();
	cpu = here;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		CPU_ZERO(&allowed);
	r->allowed = allowed;
	r->thread_heap = thread_heap(n > 0 ? n : 1, nth);
	r->spin = CPU_COUNT(&allowed) >= nth;
	if (!r->fixed && n > 0 && strcmp(ops[0], "-") != 0)
		r->warm_dir = dir_of(ops[0]);
	atomic_init(&r->go, 0);
	pthread_mutex_init(&r->go_mu, NULL);
	pthread_mutex_init(&r->pf_mu, NULL);
	pthread_cond_init(&r->go_cv, NULL);
	for (int t = 1; t < nth; t++) {
		/* Each on a CPU of its own from the start: left to the
		 * scheduler, a new thread can wait on this CPU for the next
		 * balancing tick (milliseconds) while another CPU idles. It
		 * may go anywhere once running (early_worker). */
		pthread_attr_init(&attr);
		if (here >= 0 && CPU_COUNT(&allowed) > 1) {
			cpu_set_t one;

			do
				cpu = (cpu + 1) % CPU_SETSIZE;
			while (!CPU_ISSET(cpu, &allowed) || cpu == here);
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		}
		if (pthread_create(&r->threads[r->nthreads], &attr, early_worker,
				   r) == 0)
			r->nthreads++;
		pthread_attr_destroy(&attr);
	}
}

/* Tell the early workers to go (1) or leave (-1), and wait for them. */
static void
finish_early(struct lint_run *r, int go)
{
	if (!r->nthreads)
		return;
	if (go < 0)
		set_go(r, go);
	for (int t = 0; t < r->nthreads; t++)
		pthread_join(r->threads[t], NULL);
	r->nthreads = 0;
	pthread_mutex_destroy(&r->go_mu);
	pthread_mutex_destroy(&r->pf_mu);
	pthread_cond_destroy(&r->go_cv);
}

void
lint_run_settings(struct lint_run *r)
{
	size_t n = r->files->len;

	warm_settings_wait(r);
	r->sets = ps_xcalloc(n + 1, sizeof(*r->sets));
	/* not thread-safe (it caches): before the workers start */
	for (size_t i = 0; i < n; i++) {
		const char *p = r->files->v[i], *q, *sl;
		char *dir;

		/* a file in the directory of the one before: its settings
		 * (the usual case, told without copying the directory) */
		if (i > 0 && strcmp(p, "-") != 0 &&
		    strcmp(q = r->files->v[i - 1], "-") != 0 &&
		    (sl = strrchr(p, '/')) != NULL && sl > p &&
		    strncmp(p, q, (size_t)(sl - p) + 1) == 0 &&
		    !strchr(q + (sl - p) + 1, '/')) {
			r->sets[i] = r->sets[i - 1];
			continue;
		}
		dir = strcmp(p, "-") ? dir_of(p) : ps_xstrdup(".");
		r->sets[i] = settings_for(r, dir);
		free(dir);
	}
}

int
lint_run_all(struct lint_run *r, struct ps_render *rd)
{
	size_t n = r->files->len;
	int nth = r->jobs < 1 ? 1 : (r->jobs > 16 ? 16 : r->jobs);
	pthread_t threads[16];
	int started = 0;

	if ((size_t)nth > n)
		nth = (int)(n ? n : 1);
	if (!r->nthreads)	/* (the early ones have theirs) */
		r->thread_heap = thread_heap(n, nth);
	/* (populated already if lint_prefault was told about as many) */
	lint_prefault(r, n, nth);
	/* the block a worker populates, for this thread's next requests
	 * (the populating may go on meanwhile: it only maps the pages) */
	free(r->pf_block);
	r->pf_block = NULL;
	r->rd = rd;
	r->results = ps_xcalloc(n + 1, sizeof(*r->results));
	r->done = ps_xcalloc(n + 1, sizeof(*r->done));
	atomic_init(&r->next, 0);
	for (size_t i = 0; i <= n; i++)
		atomic_init(&r->done[i], RES_PENDING);
	atomic_init(&r->next_out, 0);
	pthread_mutex_init(&r->out_mu, NULL);
	/* this thread is one of the workers: jobs - 1 more, started early
	 * (lint_run_start) or now */
	if (r->nthreads)
		set_go(r, 1);
	for (int t = 1 + r->nthreads; t < nth; t++)
		if (pthread_create(&threads[started], NULL, worker, r) == 0)
			started++;
	work(r);
	finish_early(r, 1);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	write_ready(r);		/* (all written already, unless a writer
				 * left the last ones to a thread that had
				 * stopped; cheap) */
	pthread_mutex_destroy(&r->out_mu);
	return r->status;
}

void
lint_run_free(struct lint_run *r)
{
	finish_early(r, -1);
	free(r->pf_block);
	for (size_t i = 0; r->results && i < r->files->len; i++) {
		ps_diags_free(&r->results[i].diags);
		free(r->results[i].error);
		put_free(&r->results[i]);
	}
	free(r->results);
	free(r->sets);
	free(r->done);
	for (size_t i = 0; i < r->ncached; i++) {
		free(r->cached[i].path);
		lint_settings_free(r->cached[i].set);
		free(r->cached[i].set);
	}
	free(r->cached);
	free(r->last_dir);
	free(r->warm_dir);
	lint_find_cache_free(&r->find_cache);
}
