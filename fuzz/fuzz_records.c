/*
 * libFuzzer target for lib/records.c and the renderers of lib/render.c:
 * any bytes are read as JSON lines; every record that is a finding goes
 * through ps_finding_from_json and every renderer, the others through
 * ps_render_record. The reader must keep its line numbers straight, every
 * finding must round-trip through ps_finding_to_json, and every XML/JSON
 * document must come out complete (checked by its last bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum ps_format formats[] = {
	PS_FMT_TEXT, PS_FMT_JSON, PS_FMT_SARIF, PS_FMT_JUNIT, PS_FMT_GITHUB,
	PS_FMT_CHECKSTYLE, PS_FMT_CODECLIMATE, PS_FMT_GNU, PS_FMT_MARKDOWN,
	PS_FMT_PROM,
};

static void
ends_with(const char *buf, size_t n, const char *tail)
{
	size_t t = strlen(tail);

	if (n < t || memcmp(buf + n - t, tail, t) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_render *r[PS_ARRAY_LEN(formats)];
	char *bufs[PS_ARRAY_LEN(formats)] = {0};
	size_t lens[PS_ARRAY_LEN(formats)] = {0};
	FILE *outs[PS_ARRAY_LEN(formats)];
	struct ps_render_opts o = {.fail_on = PS_SEV_WARNING, .summary = 1};
	FILE *in = fmemopen((void *)data, size ? size : 1, "r");
	struct ps_rec_reader *rd;
	struct ps_error err = {0};
	json_t *rec;
	size_t i, last = 0;
	int st;

	if (!in)
		return 0;
	if (!size) {
		fclose(in);
		return 0;
	}
	for (i = 0; i < PS_ARRAY_LEN(formats); i++) {
		outs[i] = open_memstream(&bufs[i], &lens[i]);
		o.format = formats[i];
		r[i] = ps_render_open(outs[i], &o);
	}
	rd = ps_rec_open(in, "fuzz");
	while ((st = ps_rec_next(rd, &rec, &err)) != 0) {
		if (ps_rec_line(rd) < last && st > 0)
			abort();
		if (st < 0) {
			if (err.code != PS_EXIT_USAGE || strncmp(err.msg, "fuzz:", 5))
				abort();
			continue;
		}
		last = ps_rec_line(rd);
		if (ps_rec_type(rec) && strcmp(ps_rec_type(rec), "finding") == 0) {
			struct ps_finding *f = ps_finding_from_json(rec, &err);

			if (f) {
				json_t *back = ps_finding_to_json(f);
				struct ps_finding *g = ps_finding_from_json(back, &err);

				if (!g || strcmp(g->rule, f->rule) || g->severity != f->severity ||
				    strcmp(g->fingerprint, ps_finding_fingerprint(f)))
					abort();
				for (i = 0; i < PS_ARRAY_LEN(formats); i++)
					ps_render_finding(r[i], f);
				ps_finding_free(g);
				json_decref(back);
				ps_finding_free(f);
			}
		} else {
			for (i = 0; i < PS_ARRAY_LEN(formats); i++)
				ps_render_record(r[i], rec);
		}
		json_decref(rec);
	}
	ps_rec_close(rd);
	fclose(in);
	for (i = 0; i < PS_ARRAY_LEN(formats); i++) {
		ps_render_close(r[i]);
		fclose(outs[i]);
		switch (formats[i]) {
		case PS_FMT_SARIF:
			ends_with(bufs[i], lens[i], "}]}\n");
			break;
		case PS_FMT_JUNIT:
			ends_with(bufs[i], lens[i], "</testsuites>\n");
			break;
		case PS_FMT_CHECKSTYLE:
			ends_with(bufs[i], lens[i], "</checkstyle>\n");
			break;
		case PS_FMT_CODECLIMATE:
			ends_with(bufs[i], lens[i], "]\n");
			break;
		default:
			break;
		}
		free(bufs[i]);
	}
	return 0;
}
