/*
 * ps-report: render a stream of ps-toolkit records (JSON lines from any
 * tool) as text, JSON, SARIF, JUnit XML, GitHub annotations, Checkstyle,
 * Code Climate, GNU or Markdown, and set the exit status from a severity
 * threshold -- the one step every standards check ends with in CI:
 * `ps-lint-dockerfile Dockerfile | ps-report -f sarif > out.sarif`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/diag.h"
#include "lib/log.h"
#include "lib/records.h"
#include "cmd/ps-report/report.h"

enum { OPT_SUMMARY = 1, OPT_MIN_SEVERITY, OPT_KEEP_GOING, OPT_TOOL };

static const struct ps_opt opts[] = {
	{"summary", 's', PS_ARG_NONE, NULL,
	 "print counts by severity and by file",
	 OPT_SUMMARY, PS_COMPLETE_NONE, NULL},
	{"min-severity", 0, PS_ARG_REQUIRED, "SEV",
	 "hide findings below SEV (warning, info, ...)",
	 OPT_MIN_SEVERITY, PS_COMPLETE_WORDS, "error warning info style"},
	{"keep-going", 'k', PS_ARG_NONE, NULL,
	 "skip bad input lines with a warning",
	 OPT_KEEP_GOING, PS_COMPLETE_NONE, NULL},
	{"tool", 0, PS_ARG_REQUIRED, "NAME",
	 "tool name in sarif, junit and markdown",
	 OPT_TOOL, PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-report",
	.usage = "[-ks] [-f FMT] [--fail-on SEV] [--baseline FILE] "
		 "[--min-severity SEV] [--tool NAME] [FILE ...]",
	.summary = "Render ps-toolkit records (JSON lines, from FILEs or stdin) "
		   "in any report format; exit 1 on findings at or above --fail-on.",
	.epilog = "Other records pass through with -f json, show as one line each "
		  "with -f text,\nbecome metrics with -f prom and are skipped by the "
		  "other formats. The summary "
		  "goes to stdout after\ntext output and to stderr otherwise.\n\n"
		  "  ps-lint-dockerfile Dockerfile | ps-report -f sarif > out.sarif",
	.opts = opts,
	.common = PS_CLI_LINT,
	.formats = "text json sarif junit github checkstyle codeclimate gnu "
		   "markdown prom",
	.operands = PS_COMPLETE_FILE,
};

struct report {
	int summary;
	int keep_going;
	enum ps_severity min_severity;
	const char *tool;
	size_t skipped;		/* bad lines skipped with --keep-going */
	struct prom *prom;	/* -f prom */
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct report *rp = ctx;

	switch (id) {
	case OPT_SUMMARY:
		rp->summary = 1;
		break;
	case OPT_KEEP_GOING:
		rp->keep_going = 1;
		break;
	case OPT_TOOL:
		rp->tool = arg;
		break;
	case OPT_MIN_SEVERITY:
		if (ps_severity_parse(arg, &rp->min_severity) < 0 ||
		    rp->min_severity == PS_SEV_NONE)
			return ps_cli_usage_error(&cli,
				"--min-severity takes error, warning, info or style, not '%s'",
				arg);
		break;
	}
	return -1;
}

/* A value for the text line of a record: strings bare unless they need quotes. */
static void
put_value(FILE *out, json_t *v)
{
	const char *s;
	char *dump;

	if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s && !strpbrk(s, " \t\"=\\") && !strchr(s, '\n')) {
			ps_diag_put_clean(out, s);
			return;
		}
	}
	dump = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
			  JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (dump)
		ps_diag_put_clean(out, dump);
	free(dump);
}

/* -f text: "ps-health: probe: check=api ok=true status=200 latency_s=0.12" */
static void
print_record(FILE *out, json_t *rec)
{
	const char *key;
	json_t *v;
	const char *tool = ps_json_str(rec, "tool");
	const char *type = ps_rec_type(rec);

	fprintf(out, "%s: %s:", tool ? tool : "-", type ? type : "record");
	json_object_foreach(rec, key, v) {
		if (strcmp(key, "type") == 0 || strcmp(key, "tool") == 0 ||
		    json_is_null(v))
			continue;
		fprintf(out, " %s=", key);
		if (json_is_string(v) && ps_is_secret_name(key))
			fputs("***", out);	/* records should not carry one */
		else
			put_value(out, v);
	}
	putc('\n', out);
}

/*
 * Render every record of one input. Returns 0, 2 after a bad line (unless
 * --keep-going) or 3 on a read error.
 */
static int
read_input(struct report *rp, struct ps_render *r, FILE *in, const char *name)
{
	struct ps_rec_reader *rd = ps_rec_open(in, name);
	struct ps_error err = {0};
	json_t *rec;
	int st, status = 0;

	while ((st = ps_rec_next(rd, &rec, &err)) != 0) {
		const char *type;

		if (st == -3) {
			ps_log_error("%s", err.msg);
			status = PS_EXIT_OPER;
			break;
		}
		if (st < 0) {
			if (!rp->keep_going) {
				ps_log_error("%s", err.msg);
				status = PS_EXIT_USAGE;
				break;
			}
			ps_log_warn("%s (skipped)", err.msg);
			rp->skipped++;
			continue;
		}
		type = ps_rec_type(rec);
		if (rp->prom)
			prom_record(rp->prom, rec);
		if (type && strcmp(type, "finding") == 0) {
			struct ps_finding *f = ps_finding_from_json(rec, &err);

			if (!f && !rp->keep_going) {
				ps_log_error("%s:%zu: %s", name, ps_rec_line(rd), err.msg);
				json_decref(rec);
				status = PS_EXIT_USAGE;
				break;
			}
			if (!f) {
				ps_log_warn("%s:%zu: %s (skipped)", name,
					    ps_rec_line(rd), err.msg);
				rp->skipped++;
			} else {
				ps_render_finding(r, f);
				ps_finding_free(f);
			}
		} else if (ps_render_format(r) == PS_FMT_TEXT) {
			ps_render_record(r, rec);
			print_record(stdout, rec);
		} else {
			ps_render_record(r, rec);
		}
		json_decref(rec);
		if (ferror(stdout))
			break;	/* a closed pipe or a full disk: stop reading */
	}
	ps_rec_close(rd);
	return status;
}

static int
max_status(int a, int b)
{
	return a > b ? a : b;
}

int
main(int argc, char **argv)
{
	struct report rp = {0};
	struct ps_cli_common common;
	struct ps_render_opts ro = {0};
	struct ps_baseline *baseline = NULL;
	struct ps_error err = {0};
	struct ps_render *r;
	struct stat st;
	int first, i, status = 0;

	ps_cli_init(&cli, argv[0]);
	if ((i = ps_cli_parse(&cli, argc, argv, on_opt, &rp, &common, &first)) >= 0)
		return i;
	if (common.baseline && !(baseline = ps_baseline_load(common.baseline, &err))) {
		ps_log_error("baseline: %s", err.msg);
		return err.code ? err.code : PS_EXIT_USAGE;
	}
	ro.format = common.format;
	ro.fail_on = common.fail_on;
	ro.color = ps_log_use_color(stdout);
	ro.summary = rp.summary;
	ro.tool = rp.tool;
	ro.tool_version = PS_VERSION;
	ro.baseline = baseline;
	ro.min_severity = rp.min_severity;
	r = ps_render_open(stdout, &ro);
	if (ps_render_format(r) == PS_FMT_PROM)
		rp.prom = prom_new();
	if (first >= argc)
		status = read_input(&rp, r, stdin, "stdin");
	for (i = first; i < argc && (status == 0 || rp.keep_going); i++) {
		FILE *in;

		if (strcmp(argv[i], "-") == 0) {
			status = max_status(status, read_input(&rp, r, stdin, "stdin"));
			continue;
		}
		if (!(in = fopen(argv[i], "r"))) {
			ps_log_error("cannot open '%s': %s", argv[i], strerror(errno));
			status = max_status(status, PS_EXIT_USAGE);
			continue;
		}
		if (fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
			ps_log_error("'%s' is a directory, not a file of records",
				     argv[i]);
			status = max_status(status, PS_EXIT_USAGE);
			fclose(in);
			continue;
		}
		status = max_status(status, read_input(&rp, r, in, argv[i]));
		fclose(in);
	}
	if (rp.summary && ps_render_format(r) != PS_FMT_TEXT)
		ps_render_summary(r, stderr);
	if (rp.skipped)
		ps_log_warn("%zu bad input line%s skipped", rp.skipped,
			    rp.skipped == 1 ? "" : "s");
	if (rp.prom)
		prom_write_free(rp.prom, stdout);
	status = max_status(status, ps_render_close(r));
	ps_baseline_free(baseline);
	return ps_cli_finish(status);
}
