/*
 * ps-alert: reading probe streams on every core. A reader thread reads big
 * chunks (whatever a pipe has ready, so live input is never held back) and
 * cuts them after the last line end; worker threads cut the chunks into
 * lines, parse them (alert_sample_from_line: yajl's events, no tree) and
 * turn probe records into samples; the calling thread takes the batches
 * back in input order, parsing one itself whenever the next is not ready,
 * so records reach the engine exactly as a sequential reader would hand
 * them over. Batches are recycled, so memory stays flat (MAX_BATCHES
 * chunks of at most MAX_LINES lines) whatever the input size; a buffer
 * grown for one very long line is not kept.
 */
#include "cmd/ps-alert/reader.h"

#include "lib/records.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define MAX_BATCHES 8
#define MAX_WORKERS 4
#define KEEP_MAX (4 * CHUNK)	/* bigger buffers are not kept for the next batch */
#define MAX_LINES 8192		/* per batch: tiny lines make short chunks */

struct batch {
	char *buf;		/* the chunk: whole lines */
	size_t len, cap;
	size_t nlines, lcap;
	char **line;		/* starts (NUL-terminated in place) */
	size_t *linelen;
	struct alert_item *item;	/* what each line is */
	struct ps_buf arena;	/* the items' strings */
	int claimed, parsed;
	struct batch *next;	/* in the free list */
};

struct preader {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a batch to parse, or stop */
	pthread_cond_t ready;	/* a batch parsed, or the input ended */
	pthread_cond_t space;	/* a batch back in the free list, or stop */
	struct batch *q[MAX_BATCHES];	/* ring, in input order */
	size_t head, count;
	struct batch *free_list;
	int nbatches;		/* allocated */
	int eof;		/* the reader has queued its last batch */
	int stop;
	int ioerr;
	int fd, wake[2];	/* wake[1] is written to stop a reader in poll */
	int is_file;
};

/* Copy s into the arena; its offset + 1 (0 for NULL) until fixed up. */
static const char *
stash(struct ps_buf *a, const char *s)
{
	size_t off = a->len;

	if (!s)
		return NULL;
	ps_buf_add(a, s, strlen(s) + 1);
	return (const char *)(uintptr_t)(off + 1);
}

static const char *
unstash(const struct ps_buf *a, const char *p)
{
	return p ? a->data + ((uintptr_t)p - 1) : NULL;
}

/* What ps_rec_next counts as blank. */
static int
is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' &&
		    s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

/* Cut the chunk into lines (the last one ends at len). */
static void
split_lines(struct batch *b)
{
	char *p = b->buf, *end = b->buf + b->len;

	b->nlines = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (b->nlines == b->lcap) {
			size_t cap = b->lcap;
			ps_xgrow(&b->line, &cap, b->nlines + 1, sizeof(*b->line));
			cap = b->lcap;
			ps_xgrow(&b->linelen, &cap, b->nlines + 1, sizeof(*b->linelen));
			ps_xgrow(&b->item, &b->lcap, b->nlines + 1, sizeof(*b->item));
		}
		*nl = 0;	/* the buffer has room for one past len */
		b->line[b->nlines] = p;
		b->linelen[b->nlines] = (size_t)(nl - p);
		if (nl > p && nl[-1] == '\r') {	/* CRLF */
			nl[-1] = 0;
			b->linelen[b->nlines]--;
		}
		b->nlines++;
		p = nl + 1;
	}
}

/* Parse, classify and extract: all the work that needs no shared state. */
static void
parse_batch(struct batch *b)
{
	size_t i;

	split_lines(b);
	b->arena.len = 0;
	for (i = 0; i < b->nlines; i++) {
		struct alert_item *it = &b->item[i];
		const char *s = b->line[i];
		size_t n = b->linelen[i];
		char why[200], msg[256];

		memset(it, 0, sizeof(*it));
		if (is_blank(s, n)) {
			it->kind = ALERT_ITEM_BLANK;
			continue;
		}
		switch (alert_sample_from_line(s, n, &it->s, NAN, why, sizeof(why))) {
		case ALERT_LINE_PROBE:
			it->kind = ALERT_ITEM_PROBE;
			it->s.check = stash(&b->arena, it->s.check);
			it->s.kind = stash(&b->arena, it->s.kind);
			it->s.target = stash(&b->arena, it->s.target);
			break;
		case ALERT_LINE_OTHER:
			it->kind = ALERT_ITEM_OTHER;
			break;
		case ALERT_LINE_BAD_PROBE:
			it->kind = ALERT_ITEM_BAD_PROBE;
			break;
		case ALERT_LINE_NOT_OBJECT:
			it->kind = ALERT_ITEM_BAD;
			it->msg = stash(&b->arena, "not a JSON object");
			break;
		case ALERT_LINE_INVALID:
			it->kind = ALERT_ITEM_BAD;
			snprintf(msg, sizeof(msg), "invalid JSON: %s", why);
			it->msg = stash(&b->arena, msg);
			break;
		}
	}
	for (i = 0; i < b->nlines; i++) {
		struct alert_item *it = &b->item[i];
		it->msg = unstash(&b->arena, it->msg);
		it->s.check = unstash(&b->arena, it->s.check);
		it->s.kind = unstash(&b->arena, it->s.kind);
		it->s.target = unstash(&b->arena, it->s.target);
	}
}

/* The oldest queued batch nobody parses yet, claimed; NULL if none. */
static struct batch *
claim(struct preader *pr)
{
	size_t i;

	for (i = 0; i < pr->count; i++) {
		struct batch *b = pr->q[(pr->head + i) % MAX_BATCHES];
		if (!b->claimed) {
			b->claimed = 1;
			return b;
		}
	}
	return NULL;
}

/* Parse b with the lock released; called with the lock held. */
static void
parse_unlocked(struct preader *pr, struct batch *b)
{
	pthread_mutex_unlock(&pr->mu);
	parse_batch(b);
	pthread_mutex_lock(&pr->mu);
	b->parsed = 1;
	pthread_cond_broadcast(&pr->ready);
}

static void *
worker(void *arg)
{
	struct preader *pr = arg;

	pthread_mutex_lock(&pr->mu);
	while (!pr->stop) {
		struct batch *b = claim(pr);
		if (b)
			parse_unlocked(pr, b);
		else
			pthread_cond_wait(&pr->work, &pr->mu);
	}
	pthread_mutex_unlock(&pr->mu);
	alert_line_release();
	return NULL;
}

/*
 * Wait until fd has data (or the reader is told to stop): 1 to read, 0 to
 * stop. A regular file is always ready.
 */
static int
wait_input(struct preader *pr, int timeout_ms)
{
	struct pollfd p[2] = { { pr->fd, POLLIN, 0 }, { pr->wake[0], POLLIN, 0 } };
	int rc;

	if (pr->is_file)
		return 1;
	do
		rc = poll(p, 2, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return 1;	/* let read() report it */
	if (p[1].revents)
		return 0;
	return (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* The end of the MAX_LINES-th line in buf[0..len), or NULL. */
static char *
lines_end(char *buf, size_t len)
{
	char *p = buf, *end = buf + len;
	size_t n = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		if (++n == MAX_LINES)
			return nl;
		p = nl + 1;
	}
	return NULL;
}

/* Keep b up to and with cut (a line end); the rest goes to carry. */
static void
cut_at(struct batch *b, char *cut, struct ps_buf *carry)
{
	size_t keep = (size_t)(cut + 1 - b->buf);

	ps_buf_add(carry, cut + 1, b->len - keep);
	b->len = keep;
}

/*
 * Fill b (which starts with what was carried over) with at most MAX_LINES
 * whole lines: 1 with a batch to queue, 0 when there is none (stop, or
 * nothing more). What follows the batch's last line end moves to carry.
 * *input_done is set once read() has seen the end of the input (or failed):
 * the carry then still goes out in batches, and read() is not called again
 * (a terminal's end of input comes only once).
 */
static int
fill(struct preader *pr, struct batch *b, struct ps_buf *carry, int *input_done)
{
	int at_end = 0;

	b->len = 0;
	/* a buffer grown for one long line goes back to the usual size */
	if (b->cap < carry->len + CHUNK + 1 || b->cap > carry->len + KEEP_MAX) {
		free(b->buf);
		b->cap = carry->len + CHUNK + 1;
		b->buf = ps_xmalloc(b->cap);
	}
	if (carry->len)
		memcpy(b->buf, carry->data, carry->len);
	b->len = carry->len;
	carry->len = 0;
	if (carry->cap > KEEP_MAX)
		ps_buf_free(carry);
	if (b->len) {	/* the carry may hold a full batch of tiny lines */
		char *e = lines_end(b->buf, b->len);
		if (e) {
			cut_at(b, e, carry);
			return 1;
		}
	}
	if (*input_done)
		return b->len > 0;
	for (;;) {
		ssize_t n;
		char *cut;

		if (!wait_input(pr, -1))
			return 0;
		do
			n = read(pr->fd, b->buf + b->len, b->cap - 1 - b->len);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !pr->is_file)
			continue;	/* a non-blocking pipe with nothing yet: poll again */
		if (n < 0) {
			pr->ioerr = errno ? errno : EIO;
			at_end = 1;
		} else if (n == 0) {
			at_end = 1;
		}
		if (n > 0) {
			b->len += (size_t)n;
			/* more already waiting in a pipe: take it in this batch */
			if (b->len + 1 < b->cap && (pr->is_file || wait_input(pr, 0)))
				continue;
		}
		if (at_end) {
			char *e = lines_end(b->buf, b->len);
			*input_done = 1;
			if (e)
				cut_at(b, e, carry);
			return b->len > 0;
		}
		cut = memrchr(b->buf, '\n', b->len);
		if (cut) {
			char *e = lines_end(b->buf, (size_t)(cut + 1 - b->buf));
			cut_at(b, e ? e : cut, carry);
			return 1;
		}
		if (b->len + 1 == b->cap) {	/* one line longer than the chunk */
			b->cap *= 2;
			b->buf = ps_xrealloc(b->buf, b->cap);
		}
	}
}

static void *
reader(void *arg)
{
	struct preader *pr = arg;
	struct ps_buf carry = { 0 };
	int input_done = 0;

	pthread_mutex_lock(&pr->mu);
	while (!pr->stop) {
		struct batch *b;
		int more;

		if (!pr->free_list && pr->nbatches < MAX_BATCHES) {
			pr->free_list = ps_xcalloc(1, sizeof(struct batch));
			pr->nbatches++;
		}
		if (!pr->free_list) {
			pthread_cond_wait(&pr->space, &pr->mu);
			continue;
		}
		b = pr->free_list;
		pr->free_list = b->next;
		pthread_mutex_unlock(&pr->mu);
		more = fill(pr, b, &carry, &input_done);
		pthread_mutex_lock(&pr->mu);
		if (!more || pr->stop) {
			b->next = pr->free_list;
			pr->free_list = b;
			break;
		}
		b->claimed = b->parsed = 0;
		pr->q[(pr->head + pr->count) % MAX_BATCHES] = b;
		pr->count++;
		pthread_cond_signal(&pr->work);
		pthread_cond_broadcast(&pr->ready);
	}
	pr->eof = 1;
	pthread_cond_broadcast(&pr->ready);
	pthread_mutex_unlock(&pr->mu);
	ps_buf_free(&carry);
	return NULL;
}

static void
batch_free(struct batch *b)
{
	ps_buf_free(&b->arena);
	free(b->line);
	free(b->linelen);
	free(b->item);
	free(b->buf);
	free(b);
}

int
alert_read_parallel(FILE *f, const char *name, int nthreads,
		    void (*on_item)(void *ctx, const struct alert_item *it, const char *line,
				    size_t len, const char *name, size_t lineno),
		    volatile int *stop, void *ctx, struct ps_error *err)
{
	struct preader pr;
	pthread_t th[MAX_WORKERS], rd;
	struct stat sb;
	size_t lineno = 0, i;
	int nth = 0, ioerr;

	memset(&pr, 0, sizeof(pr));
	pr.fd = fileno(f);
	pr.is_file = fstat(pr.fd, &sb) == 0 && S_ISREG(sb.st_mode);
	if (pipe(pr.wake))
		return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s", name,
				    strerror(errno));
	pthread_mutex_init(&pr.mu, NULL);
	pthread_cond_init(&pr.work, NULL);
	pthread_cond_init(&pr.ready, NULL);
	pthread_cond_init(&pr.space, NULL);
	if (pthread_create(&rd, NULL, reader, &pr) != 0) {
		int e = errno;
		close(pr.wake[0]);
		close(pr.wake[1]);
		return ps_error_set(err, PS_EXIT_OPER, "cannot start a thread: %s", strerror(e));
	}
	if (nthreads > MAX_WORKERS)
		nthreads = MAX_WORKERS;
	for (i = 0; i < (size_t)nthreads; i++)
		if (pthread_create(&th[nth], NULL, worker, &pr) == 0)
			nth++;
	pthread_mutex_lock(&pr.mu);
	while (!*stop) {
		struct batch *b;

		if (pr.count == 0) {
			if (pr.eof)
				break;
			pthread_cond_wait(&pr.ready, &pr.mu);
			continue;
		}
		b = pr.q[pr.head];
		if (!b->parsed) {
			struct batch *mine = claim(&pr);	/* help rather than wait */
			if (mine)
				parse_unlocked(&pr, mine);
			else
				pthread_cond_wait(&pr.ready, &pr.mu);
			continue;
		}
		pr.head = (pr.head + 1) % MAX_BATCHES;
		pr.count--;
		pthread_mutex_unlock(&pr.mu);
		for (i = 0; i < b->nlines && !*stop; i++)
			if (b->item[i].kind != ALERT_ITEM_BLANK)
				on_item(ctx, &b->item[i], b->line[i], b->linelen[i], name,
					lineno + i + 1);
		lineno += b->nlines;
		if (b->arena.cap > KEEP_MAX)
			ps_buf_free(&b->arena);
		pthread_mutex_lock(&pr.mu);
		b->next = pr.free_list;
		pr.free_list = b;
		pthread_cond_signal(&pr.space);
	}
	pr.stop = 1;
	pthread_cond_broadcast(&pr.work);
	pthread_cond_broadcast(&pr.space);
	pthread_mutex_unlock(&pr.mu);
	if (write(pr.wake[1], "x", 1) < 0) {
		/* the pipe is ours and empty: this cannot fail short of EINTR */
	}
	pthread_join(rd, NULL);
	for (i = 0; i < (size_t)nth; i++)
		pthread_join(th[i], NULL);
	/* everything is stopped: free the queued and the recycled batches */
	while (pr.count) {
		batch_free(pr.q[pr.head]);
		pr.head = (pr.head + 1) % MAX_BATCHES;
		pr.count--;
	}
	while (pr.free_list) {
		struct batch *b = pr.free_list;
		pr.free_list = b->next;
		batch_free(b);
	}
	alert_line_release();
	close(pr.wake[0]);
	close(pr.wake[1]);
	pthread_mutex_destroy(&pr.mu);
	pthread_cond_destroy(&pr.work);
	pthread_cond_destroy(&pr.ready);
	pthread_cond_destroy(&pr.space);
	ioerr = pr.ioerr;
	if (ioerr)
		return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s", name, strerror(ioerr));
	return 0;
}
