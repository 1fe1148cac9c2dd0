/*
 * ps-cron: validate schedules (5-field cron, AWS cron(...) and rate(...),
 * words such as daily or quarterly), explain them in words and print their
 * next fire times; with -c, check every schedule of a configuration file --
 * the schedules the backup and disaster-recovery standards and the
 * serverless deployment standard rely on.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ps-cron/cron.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/diag.h"
#include "lib/log.h"
#include "lib/records.h"
#include "lib/time.h"

enum { OPT_COUNT = 1, OPT_TZ, OPT_AFTER };

static const struct ps_opt opts[] = {
	{"count", 'n', PS_ARG_REQUIRED, "N",
	 "print the next N fire times (default 5, 0 to only check)",
	 OPT_COUNT, PS_COMPLETE_NONE, NULL},
	{"tz", 0, PS_ARG_REQUIRED, "ZONE",
	 "compute fire times in ZONE (IANA name, default UTC)",
	 OPT_TZ, PS_COMPLETE_NONE, NULL},
	{"after", 0, PS_ARG_REQUIRED, "TIME",
	 "fire times after TIME (RFC 3339; default now)",
	 OPT_AFTER, PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-cron",
	.usage = "[-q] [-n N] [--tz ZONE] [--after TIME] [-f FMT] "
		 "[-c FILE] [EXPR ...]",
	.summary = "Validate schedules (cron, AWS cron(...)/rate(...), daily, "
		   "quarterly, ...), explain them and print their next fire times.",
	.epilog = "With -c, every `schedule` in the YAML file is checked "
		  "(serverless.yml's events too).\nAn invalid schedule exits 2 "
		  "with the position of the error.\n\n"
		  "  ps-cron '0 1 * * *' 'cron(0 12 * * ? *)' quarterly\n"
		  "  ps-cron -c backup.yml --tz Europe/Berlin -n 3",
	.opts = opts,
	.common = PS_CLI_CONFIG | PS_CLI_FORMAT,
	.formats = "text json",
	.operands = PS_COMPLETE_NONE,
};

struct cron_run {
	long count;
	const char *tz;
	time_t after;
	int after_given;
	int json;
	int checked;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct cron_run *run = ctx;
	struct ps_error err = {0};
	double t;

	switch (id) {
	case OPT_COUNT:
		if (ps_parse_long(arg, 0, 1000, &run->count) < 0)
			return ps_cli_usage_error(&cli,
				"--count takes a number from 0 to 1000, not '%s'", arg);
		break;
	case OPT_TZ:
		if (!ps_time_zone_known(arg))
			return ps_cli_usage_error(&cli,
				"unknown time zone '%s' (an IANA name such as Europe/Berlin)",
				arg);
		run->tz = arg;
		break;
	case OPT_AFTER:
		if (strcmp(arg, "now") == 0)
			break;
		if (ps_time_parse(arg, &t, &err) < 0)
			return ps_cli_usage_error(&cli, "--after '%s': column %d: %s",
						  arg, err.col, err.msg);
		run->after = (time_t)floor(t);
		run->after_given = 1;
		break;
	}
	return -1;
}

static const char *
kind_name(enum ps_sched_kind k)
{
	switch (k) {
	case PS_SCHED_CRON:
		return "cron";
	case PS_SCHED_AWS_CRON:
		return "aws-cron";
	case PS_SCHED_RATE:
		return "rate";
	case PS_SCHED_WORD:
		return "word";
	}
	return "?";
}

/* The record of one schedule, with where it came from. */
static json_t *
new_record(const char *expr, const char *file, const struct cron_item *it)
{
	json_t *rec = ps_rec_new("schedule", "ps-cron");

	json_object_set_new(rec, "expr", json_string(expr));
	if (file) {
		json_object_set_new(rec, "file", json_string(file));
		json_object_set_new(rec, "line", json_integer(it->line));
		json_object_set_new(rec, "column", json_integer(it->col));
		json_object_set_new(rec, "path", json_string(it->path));
	}
	return rec;
}

static int
write_record(json_t *rec)
{
	int rc = ps_rec_write(stdout, rec);

	json_decref(rec);
	return rc < 0 && errno != EPIPE ? PS_EXIT_OPER : 0;
}

/* An invalid schedule: the message with its position, exit status 2. */
static int
report_invalid(struct cron_run *run, const char *expr, const char *file,
	       const struct cron_item *it, const struct ps_error *err)
{
	if (file) {
		struct ps_diags d = {0};
		int col = it->col_shift >= 0 && err->col > 0 ?
			  it->col + it->col_shift + err->col - 1 : it->col;
		struct ps_finding *f = ps_diags_add(&d, "ps-cron", "PSC001",
			"invalid-schedule", PS_SEV_ERROR, file, it->line, col,
			"%s: '%s': %s", it->path, expr, err->msg);

		ps_finding_print(stderr, f, ps_log_use_color(stderr));
		ps_diags_free(&d);
	} else {
		ps_log_error("'%s': column %d: %s", expr, err->col, err->msg);
	}
	if (run->json) {
		json_t *rec = new_record(expr, file, it);

		json_object_set_new(rec, "valid", json_false());
		json_object_set_new(rec, "error", json_string(err->msg));
		json_object_set_new(rec, "error_column", json_integer(err->col));
		if (write_record(rec))
			return PS_EXIT_OPER;
	}
	return PS_EXIT_USAGE;
}

/* Check, explain and print one schedule; returns an exit status. */
static int
check_one(struct cron_run *run, const char *expr, const char *file,
	  const struct cron_item *it)
{
	struct ps_sched s;
	struct ps_error err = {0};
	char words[512], when[64], *plain = NULL;
	json_t *rec = NULL, *next = NULL;
	time_t t = run->after, n;
	const char *tz = run->tz;
	int status = 0, rc;
	long i;

	run->checked++;
	if (it && it->tz) {
		tz = it->tz->value;
		if (!ps_time_zone_known(tz)) {
			struct cron_item at = *it;

			at.line = it->tz->line;
			at.col = it->tz->col;
			at.col_shift = -1;
			ps_error_at(&err, PS_EXIT_USAGE, 0, 0,
				    "unknown time zone '%s' (an IANA name such as Europe/Berlin)",
				    tz);
			return report_invalid(run, expr, file, &at, &err);
		}
	}
	if (it && it->plain_cron && strncmp(expr, "cron(", 5) == 0 &&
	    expr[strlen(expr) - 1] == ')') {
		/* a non-AWS provider's cron(...): the 5 fields inside, columns kept */
		plain = ps_xstrdup(expr);
		memset(plain, ' ', 5);
		plain[strlen(plain) - 1] = ' ';
	}
	rc = ps_sched_parse(plain ? plain : expr, &s, &err);
	free(plain);
	if (rc < 0) {
		char *hint = plain ? strstr(err.msg, "; AWS schedules") : NULL;

		if (hint)	/* this provider's cron(...) is not AWS's */
			*hint = '\0';
		return report_invalid(run, expr, file, it, &err);
	}
	if (plain)
		snprintf(s.expr, sizeof(s.expr), "%s", expr);
	ps_sched_explain_tz(&s, tz, words, sizeof(words));
	if (run->json) {
		rec = new_record(expr, file, it);
		json_object_set_new(rec, "kind", json_string(kind_name(s.kind)));
		json_object_set_new(rec, "valid", json_true());
		json_object_set_new(rec, "explain", json_string(words));
		next = json_array();
	} else {
		if (file)
			printf("%s:%d:%d: %s: ", file, it->line, it->col, it->path);
		printf("'%s': %s (%s)\n", s.expr, words, kind_name(s.kind));
	}
	for (i = 0; i < run->count; i++) {
		if (ps_sched_next(&s, t, tz, &n, &err) < 0) {
			/* never firing is a bad schedule; firing rarely is not */
			if (i > 0) {
				ps_log_info("%s", err.msg);
				break;
			}
			if (file)
				ps_log_warn("%s:%d:%d: %s", file, it->line, it->col,
					    err.msg);
			else
				ps_log_warn("%s", err.msg);
			status = err.code ? err.code : PS_EXIT_FAIL;
			if (rec)
				json_object_set_new(rec, "warning", json_string(err.msg));
			break;
		}
		if (run->json) {
			ps_time_format((double)n, when, sizeof(when));
			json_array_append_new(next, json_string(when));
		} else {
			ps_time_format_tz((double)n, tz, when, sizeof(when), NULL);
			printf("  %s\n", when);
		}
		t = n;
	}
	if (rec) {
		json_object_set_new(rec, "next", next);
		if (tz)
			json_object_set_new(rec, "tz", json_string(tz));
		if (write_record(rec))
			return PS_EXIT_OPER;
	}
	return status;
}

static int
max_status(int a, int b)
{
	return a > b ? a : b;
}

/* Every schedule of a YAML file. */
static int
check_file(struct cron_run *run, const char *path)
{
	struct ps_diags d = {0};
	struct ps_doc *doc = ps_doc_load(path, &d);
	struct cron_items items = {0};
	size_t i, skipped = 0;
	int status = 0, color = ps_log_use_color(stderr);

	for (i = 0; i < d.len; i++)
		ps_finding_print(stderr, d.v[i], color);
	if (!doc || ps_diags_count(&d, PS_SEV_ERROR)) {
		ps_diags_free(&d);
		ps_doc_free(doc);
		return PS_EXIT_USAGE;
	}
	ps_diags_free(&d);
	cron_scan(ps_doc_root(doc), &items, &skipped);
	for (i = 0; i < items.len; i++)
		status = max_status(status, check_one(run, items.v[i].expr, path,
						      &items.v[i]));
	if (skipped)
		ps_log_note("%s: %zu schedule%s with ${...} references or placeholders not checked",
			    path, skipped, skipped == 1 ? "" : "s");
	if (items.len == 0 && skipped == 0)
		ps_log_warn("%s: no schedule found", path);
	cron_items_free(&items);
	ps_doc_free(doc);
	return status;
}

int
main(int argc, char **argv)
{
	struct cron_run run = { .count = 5 };
	struct ps_cli_common common;
	int first, i, status = 0;

	ps_cli_init(&cli, argv[0]);
	if ((i = ps_cli_parse(&cli, argc, argv, on_opt, &run, &common, &first)) >= 0)
		return i;
	if (first >= argc && !common.config_given)
		return ps_cli_usage_error(&cli, "give a schedule or -c FILE");
	if (!run.after_given)
		run.after = (time_t)floor(ps_time_now());
	run.json = common.format == PS_FMT_JSON ||
		   (common.format == PS_FMT_AUTO && !isatty(STDOUT_FILENO));
	for (i = first; i < argc; i++)
		status = max_status(status, check_one(&run, argv[i], NULL, NULL));
	if (common.config_given)
		status = max_status(status, check_file(&run, common.config));
	return ps_cli_finish(status);
}
