/*
 * zframes: independent zstd frames compressed by worker threads. See
 * zframes.h.
 *
 * The frames being filled, compressed and written go round a few slots
 * (one more than the workers): the caller fills slot k % nslots with frame
 * k and queues it; before it fills a slot again it waits for the frame the
 * slot held and writes it out, so frames leave in order and the caller's
 * thread alone calls out().
 */
#include "zframes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_getCParams */
#include <zstd.h>

#define FRAME_MIN ((size_t)1 << 20)
/* what the reader decodes in parallel (a third of its ring); zstd's levels
 * 17 to 19, whose window is 8 MiB, get frames of one window */
#define FRAME_MAX ((size_t)8 << 20)
#define MAX_THREADS 4
/* the input buffers' pages are populated in steps of this much as they
 * fill (a small stream does not populate whole frames) */
#define POPULATE_STEP ((size_t)1 << 20)

enum { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	unsigned char *in;
	size_t inlen;
	size_t populated;	/* bytes of in populated */
	unsigned char *out;	/* the hint, then the frame */
	size_t outlen;
	int state;
	uint64_t seq;
	size_t zerr;		/* a zstd error code, 0 none */
};

struct ps_zframes {
	size_t frame, outcap;
	ps_zframes_out out;
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t nslots;
	uint64_t next;		/* the frame being filled */
	ZSTD_CCtx *cc[MAX_THREADS];	/* one per worker; cc[0] the caller's without workers */
	pthread_t th[MAX_THREADS];
	int nth;		/* workers running */
	int stop;
};

struct worker_arg {
	struct ps_zframes *z;
	ZSTD_CCtx *cc;
};

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
compress_slot(struct ps_zframes *z, ZSTD_CCtx *cc, struct slot *s)
{
	size_t r;

	if (!s->out)
		s->out = ps_xmalloc(z->outcap);
	r = ZSTD_compress2(cc, s->out + PS_ZFRAMES_HINT_LEN, z->outcap - PS_ZFRAMES_HINT_LEN,
			   s->in, s->inlen);
	if (ZSTD_isError(r)) {
		s->zerr = r;
		s->outlen = 0;
		return;
	}
	put_le32(s->out, PS_ZFRAMES_HINT_MAGIC);
	put_le32(s->out + 4, 4);
	put_le32(s->out + 8, (uint32_t)r);
	s->outlen = PS_ZFRAMES_HINT_LEN + r;
	s->zerr = 0;
}

/* (locked) The queued slot of the oldest frame, or NULL. */
static struct slot *
oldest_queued(struct ps_zframes *z)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < z->nslots; i++) {
		struct slot *s = &z->slots[i];

		if (s->state == SLOT_QUEUED && (!best || s->seq < best->seq))
			best = s;
	}
	return best;
}

static void *
worker(void *arg)
{
	struct worker_arg *a = arg;
	struct ps_zframes *z = a->z;
	ZSTD_CCtx *cc = a->cc;

	free(a);
	pthread_mutex_lock(&z->mu);
	for (;;) {
		struct slot *s;

		while (!z->stop && !(s = oldest_queued(z)))
			pthread_cond_wait(&z->cv, &z->mu);
		if (z->stop)
			break;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&z->mu);
		compress_slot(z, cc, s);
		pthread_mutex_lock(&z->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&z->cv);
	}
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

static ZSTD_CCtx *
new_cctx(int level, int window_log, struct ps_error *err)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t r;

	if (!cc) {
		ps_error_set(err, PS_EXIT_OPER, "out of memory");
		return NULL;
	}
	r = ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(r) && window_log)
		r = ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, window_log);
	if (ZSTD_isError(r)) {
		ps_error_set(err, PS_EXIT_USAGE, "zstd level %d: %s", level, ZSTD_getErrorName(r));
		ZSTD_freeCCtx(cc);
		return NULL;
	}
	return cc;
}

struct ps_zframes *
ps_zframes_new(int level, int window_log, int threads, ps_zframes_out out, void *ctx,
	       struct ps_error *err)
{
	struct ps_zframes *z = ps_xcalloc(1, sizeof(*z));
	unsigned wlog = window_log ? (unsigned)window_log
				   : ZSTD_getCParams(level, 0, 0).windowLog;

	int workers;

	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
	}
	workers = threads < 0 ? 0 : threads > MAX_THREADS ? MAX_THREADS : threads;
	z->frame = wlog < 31 && ((size_t)2 << wlog) > FRAME_MIN ? (size_t)2 << wlog : FRAME_MIN;
	if (z->frame > FRAME_MAX)
		z->frame = FRAME_MAX;
	z->outcap = PS_ZFRAMES_HINT_LEN + ZSTD_compressBound(z->frame);
	z->out = out;
	z->ctx = ctx;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	z->nslots = (size_t)workers + 1;
	z->slots = ps_xcalloc(z->nslots, sizeof(*z->slots));
	for (int i = 0; i < (workers ? workers : 1); i++) {
		if (!(z->cc[i] = new_cctx(level, window_log, err))) {
			ps_zframes_free(z);
			return NULL;
		}
	}
	for (int i = 0; i < workers; i++) {
		struct worker_arg *a = ps_xmalloc(sizeof(*a));

		*a = (struct worker_arg){ z, z->cc[i] };
		if (pthread_create(&z->th[i], NULL, worker, a) != 0) {
			free(a);
			break;
		}
		z->nth++;
	}
	/* without a worker the caller compresses, with cc[0] */
	return z;
}

size_t
ps_zframes_frame_size(const struct ps_zframes *z)
{
	return z->frame;
}

/* Wait for the frame slot s holds, if any, and write it out; s is then free. */
static int
reclaim(struct ps_zframes *z, struct slot *s, struct ps_error *err)
{
	int done;

	pthread_mutex_lock(&z->mu);
	while (s->state == SLOT_QUEUED || s->state == SLOT_BUSY)
		pthread_cond_wait(&z->cv, &z->mu);
	done = s->state == SLOT_DONE;
	s->state = SLOT_FREE;
	pthread_mutex_unlock(&z->mu);
	if (!done)
		return 0;
	s->inlen = 0;
	if (s->zerr)
		return ps_error_set(err, PS_EXIT_OPER, "zstd: %s", ZSTD_getErrorName(s->zerr));
	return z->out(z->ctx, s->out, s->outlen, err);
}

/* Queue the frame being filled and make the next slot ready. */
static int
submit(struct ps_zframes *z, struct ps_error *err)
{
	struct slot *s = &z->slots[z->next % z->nslots];

	if (z->nth == 0) {
		compress_slot(z, z->cc[0], s);
		s->state = SLOT_DONE;
	} else {
		pthread_mutex_lock(&z->mu);
		s->seq = z->next;
		s->state = SLOT_QUEUED;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
	}
	z->next++;
	return reclaim(z, &z->slots[z->next % z->nslots], err);
}

int
ps_zframes_write(struct ps_zframes *z, const void *p, size_t n, struct ps_error *err)
{
	const unsigned char *q = p;

	while (n > 0) {
		struct slot *s = &z->slots[z->next % z->nslots];
		size_t k = z->frame - s->inlen < n ? z->frame - s->inlen : n;

		if (!s->in)
			s->in = ps_xmalloc(z->frame);
		if (s->inlen + k > s->populated) {
			size_t to = (s->inlen + k + POPULATE_STEP - 1) / POPULATE_STEP * POPULATE_STEP;

			if (to > z->frame)
				to = z->frame;
			ps_prefault(s->in + s->populated, to - s->populated);
			s->populated = to;
		}
		memcpy(s->in + s->inlen, q, k);
		s->inlen += k;
		q += k;
		n -= k;
		if (s->inlen == z->frame && submit(z, err) < 0)
			return -1;
	}
	return 0;
}

int
ps_zframes_finish(struct ps_zframes *z, struct ps_error *err)
{
	/* the last frame (one, empty, for an empty stream) */
	if ((z->slots[z->next % z->nslots].inlen > 0 || z->next == 0) && submit(z, err) < 0)
		return -1;
	/* the others, oldest first: the slot after the one just made ready
	 * holds the oldest frame still out */
	for (size_t k = 1; k < z->nslots; k++)
		if (reclaim(z, &z->slots[(z->next + k) % z->nslots], err) < 0)
			return -1;
	return 0;
}

void
ps_zframes_free(struct ps_zframes *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->mu);
	z->stop = 1;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	for (int i = 0; i < z->nth; i++)
		pthread_join(z->th[i], NULL);
	for (int i = 0; i < MAX_THREADS; i++)
		ZSTD_freeCCtx(z->cc[i]);
	for (size_t i = 0; z->slots && i < z->nslots; i++) {
		free(z->slots[i].in);
		free(z->slots[i].out);
	}
	free(z->slots);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
	free(z);
}
