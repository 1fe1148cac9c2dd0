/*
 * ps-alert: reading recorded streams (regular files) in parallel. The main
 * thread reads big chunks and cuts them at line ends; worker threads parse
 * the lines with jansson; the main thread takes the batches back in order,
 * so records are evaluated exactly as a sequential reader would. Live input
 * (pipes, terminals) is read line by line instead (ps_rec_next), so nothing
 * waits for a chunk to fill.
 */
#include "cmd/ps-alert/reader.h"

#include "lib/records.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define MAX_BATCHES 16
#define MAX_WORKERS 4

struct batch {
	char *buf;		/* lines, NUL-terminated in place */
	size_t len;
	size_t nlines;
	char **line;		/* starts */
	size_t *linelen;
	struct alert_item *item;	/* what each line is */
	struct ps_buf arena;	/* the items' strings */
	size_t first_lineno;
	int parsed;
	int claimed;
};

struct preader {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a batch to parse, or stop */
	pthread_cond_t ready;	/* a batch parsed */
	struct batch *q[MAX_BATCHES];	/* ring, in file order */
	size_t head, count;
	int stop;
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

/* Parse, classify and extract: all the work that needs no shared state. */
static void
parse_batch(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nlines; i++) {
		struct alert_item *it = &b->item[i];
		json_error_t je;
		const char *s = b->line[i], *type;
		size_t n = b->linelen[i], k;
		json_t *rec;

		for (k = 0; k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'); k++)
			;
		if (k == n)
			continue;	/* blank */
		rec = json_loadb(s, n, JSON_DECODE_ANY, &je);
		if (!rec || !json_is_object(rec)) {
			char *msg = rec ? ps_xstrdup("not a JSON object")
					: ps_xasprintf("invalid JSON: %s", je.text);
			it->kind = ALERT_ITEM_BAD;
			it->msg = stash(&b->arena, msg);
			free(msg);
			json_decref(rec);
			continue;
		}
		type = ps_rec_type(rec);
		if (!type || strcmp(type, "probe") != 0) {
			it->kind = ALERT_ITEM_OTHER;
		} else if (alert_sample_from_json(rec, &it->s, NAN) == 0) {
			it->kind = ALERT_ITEM_PROBE;
			it->s.check = stash(&b->arena, it->s.check);
			it->s.kind = stash(&b->arena, it->s.kind);
			it->s.target = stash(&b->arena, it->s.target);
		} else {
			it->kind = ALERT_ITEM_BAD_PROBE;
		}
		json_decref(rec);
	}
	for (i = 0; i < b->nlines; i++) {
		struct alert_item *it = &b->item[i];
		it->msg = unstash(&b->arena, it->msg);
		it->s.check = unstash(&b->arena, it->s.check);
		it->s.kind = unstash(&b->arena, it->s.kind);
		it->s.target = unstash(&b->arena, it->s.target);
	}
}

static void *
worker(void *arg)
{
	struct preader *pr = arg;

	pthread_mutex_lock(&pr->mu);
	for (;;) {
		struct batch *b = NULL;
		size_t i;

		for (i = 0; i < pr->count; i++) {
			struct batch *c = pr->q[(pr->head + i) % MAX_BATCHES];
			if (!c->claimed) {
				b = c;
				break;
			}
		}
		if (!b) {
			if (pr->stop)
				break;
			pthread_cond_wait(&pr->work, &pr->mu);
			continue;
		}
		b->claimed = 1;
		pthread_mutex_unlock(&pr->mu);
		parse_batch(b);
		pthread_mutex_lock(&pr->mu);
		b->parsed = 1;
		pthread_cond_broadcast(&pr->ready);
	}
	pthread_mutex_unlock(&pr->mu);
	return NULL;
}

/* Cut buf[0..len) into lines (the last one ends at len). */
static struct batch *
batch_new(char *buf, size_t len, size_t first_lineno)
{
	struct batch *b = ps_xcalloc(1, sizeof(*b));
	size_t i, n = 0, start = 0;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	if (len && buf[len - 1] != '\n')
		n++;
	b->buf = buf;
	b->len = len;
	b->first_lineno = first_lineno;
	b->line = ps_xcalloc(n ? n : 1, sizeof(char *));
	b->linelen = ps_xcalloc(n ? n : 1, sizeof(size_t));
	b->item = ps_xcalloc(n ? n : 1, sizeof(*b->item));
	for (i = 0; i <= len && b->nlines < n; i++) {
		if (i == len || buf[i] == '\n') {
			b->line[b->nlines] = buf + start;
			b->linelen[b->nlines] = i - start;
			b->nlines++;
			start = i + 1;
		}
	}
	return b;
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

/*
 * Read the next batch of whole lines from f: *carry holds a partial line
 * left from the last read. NULL at the end of the input; *ioerr on error.
 */
static struct batch *
read_batch(FILE *f, struct ps_buf *carry, size_t *lineno, int *ioerr)
{
	char *buf;
	size_t n, len, cut;
	struct batch *b;

	if (feof(f) && !carry->len)
		return NULL;
	buf = ps_xmalloc(carry->len + CHUNK + 1);
	memcpy(buf, ps_buf_str(carry), carry->len);
	len = carry->len;
	carry->len = 0;
	if (carry->data)
		carry->data[0] = 0;
	n = fread(buf + len, 1, CHUNK, f);
	if (n < CHUNK && ferror(f))
		*ioerr = errno ? errno : EIO;
	len += n;
	if (len == 0) {
		free(buf);
		return NULL;
	}
	cut = len;
	if (!feof(f) && !*ioerr) {
		while (cut > 0 && buf[cut - 1] != '\n')
			cut--;
		if (cut == 0) {	/* a line longer than the chunk: keep reading */
			ps_buf_add(carry, buf, len);
			free(buf);
			return read_batch(f, carry, lineno, ioerr);
		}
		ps_buf_add(carry, buf + cut, len - cut);
	}
	buf[cut] = 0;
	b = batch_new(buf, cut, *lineno + 1);
	*lineno += b->nlines;
	return b;
}

int
alert_read_parallel(FILE *f, const char *name, int nthreads,
		    void (*on_item)(void *ctx, const struct alert_item *it, const char *line,
				    size_t len, const char *name, size_t lineno),
		    volatile int *stop, void *ctx, struct ps_error *err)
{
	struct preader pr;
	pthread_t th[MAX_WORKERS];
	struct ps_buf carry = { 0 };
	size_t lineno = 0, i;
	int nth = 0, ioerr = 0, eof = 0;

	memset(&pr, 0, sizeof(pr));
	pthread_mutex_init(&pr.mu, NULL);
	pthread_cond_init(&pr.work, NULL);
	pthread_cond_init(&pr.ready, NULL);
	if (nthreads > MAX_WORKERS)
		nthreads = MAX_WORKERS;
	for (i = 0; i < (size_t)nthreads; i++)
		if (pthread_create(&th[nth], NULL, worker, &pr) == 0)
			nth++;
	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&pr.mu);
		while (!eof && pr.count < MAX_BATCHES && !*stop) {
			pthread_mutex_unlock(&pr.mu);
			b = read_batch(f, &carry, &lineno, &ioerr);
			pthread_mutex_lock(&pr.mu);
			if (!b) {
				eof = 1;
				break;
			}
			if (nth == 0) {	/* no workers: parse here */
				b->claimed = 1;
				parse_batch(b);
				b->parsed = 1;
			}
			pr.q[(pr.head + pr.count) % MAX_BATCHES] = b;
			pr.count++;
			pthread_cond_signal(&pr.work);
			if (ioerr)
				eof = 1;
		}
		if (pr.count == 0) {
			pthread_mutex_unlock(&pr.mu);
			break;
		}
		b = pr.q[pr.head];
		while (!b->parsed)
			pthread_cond_wait(&pr.ready, &pr.mu);
		pr.head = (pr.head + 1) % MAX_BATCHES;
		pr.count--;
		pthread_mutex_unlock(&pr.mu);
		for (i = 0; i < b->nlines && !*stop; i++)
			if (b->item[i].kind != ALERT_ITEM_BLANK)
				on_item(ctx, &b->item[i], b->line[i], b->linelen[i], name,
					b->first_lineno + i);
		batch_free(b);
	}
	pthread_mutex_lock(&pr.mu);
	pr.stop = 1;
	while (pr.count) {	/* stopped early: drop what is queued */
		struct batch *b = pr.q[pr.head];
		while (b->claimed && !b->parsed)
			pthread_cond_wait(&pr.ready, &pr.mu);
		b->claimed = 1;
		pr.head = (pr.head + 1) % MAX_BATCHES;
		pr.count--;
		batch_free(b);
	}
	pthread_cond_broadcast(&pr.work);
	pthread_mutex_unlock(&pr.mu);
	for (i = 0; i < (size_t)nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pr.mu);
	pthread_cond_destroy(&pr.work);
	pthread_cond_destroy(&pr.ready);
	ps_buf_free(&carry);
	if (ioerr)
		return ps_error_set(err, PS_EXIT_OPER, "cannot read '%s': %s", name, strerror(ioerr));
	return 0;
}
