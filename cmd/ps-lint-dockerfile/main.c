/*
 * ps-lint-dockerfile: lints Dockerfiles against the Docker standards
 * (multi-stage builds, official minimal pinned bases, layer hygiene,
 * non-root USER, HEALTHCHECK, no secrets in ENV/ARG) and every hadolint
 * DL rule, with an optional ShellCheck pass over RUN scripts.
 */
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/diag.h"
#include "lib/log.h"

#include "cmd/ps-lint-dockerfile/lint.h"
#include "cmd/ps-lint-dockerfile/run.h"

enum { OPT_SHELLCHECK = 1, OPT_JOBS, OPT_DIGEST, OPT_REGISTRY };

static const struct ps_opt opts[] = {
	{"shellcheck", 0, PS_ARG_REQUIRED, "WHEN",
	 "run ShellCheck over RUN scripts: auto (when installed), never, always",
	 OPT_SHELLCHECK, PS_COMPLETE_WORDS, "auto never always"},
	{"jobs", 'j', PS_ARG_REQUIRED, "N",
	 "worker threads (default: the number of CPUs, at most 16)", OPT_JOBS,
	 PS_COMPLETE_NONE, NULL},
	{"require-digest", 0, PS_ARG_NONE, NULL,
	 "require base images pinned by digest (PSD304)", OPT_DIGEST,
	 PS_COMPLETE_NONE, NULL},
	{"trusted-registry", 0, PS_ARG_REQUIRED, "REGISTRY",
	 "allow only these registries in FROM (repeatable; *.example.com)",
	 OPT_REGISTRY, PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-lint-dockerfile",
	.usage = "[-q] [-c FILE] [-f FMT] [--fail-on SEV] [--enable RULES] "
		 "[--ignore RULES] [-j N] [FILE|DIR|- ...]",
	.summary = "Lint Dockerfiles against the Docker standards and hadolint's rules.",
	.epilog = "A directory is searched for Dockerfile, Containerfile, *.Dockerfile and\n"
		  "Dockerfile.*; without operands, ./Dockerfile; - reads stdin.\n"
		  "-c names a .ps-lint.yml or .hadolint.yaml (default: searched upward\n"
		  "from each file; a .ps-lint.yml's dockerfile: section applies).",
	.opts = opts,
	.common = PS_CLI_LINT | PS_CLI_CONFIG | PS_CLI_RULES,
	.operands = PS_COMPLETE_FILE,
};

struct opts_state {
	struct lint_settings *set;
	struct lint_run *run;
};

static int
each_id(struct opts_state *st, const char *list, int on)
{
	char *copy = ps_xstrdup(list), *save = NULL;

	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (lint_settings_enable(st->set, t, on) < 0) {
			if (on) {
				int rc = ps_cli_usage_error(&cli, "no rule named '%s'", t);

				free(copy);
				return rc;
			}
			st->set->ignore_ids = ps_xrealloc(st->set->ignore_ids,
				(st->set->nignore_ids + 1) * sizeof(char *));
			st->set->ignore_ids[st->set->nignore_ids++] = ps_xstrdup(t);
		}
	}
	free(copy);
	return 0;
}

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct opts_state *st = ctx;
	long n;

	switch (id) {
	case OPT_SHELLCHECK:
		if (strcmp(arg, "auto") == 0)
			st->set->shellcheck = SC_AUTO;
		else if (strcmp(arg, "never") == 0)
			st->set->shellcheck = SC_NEVER;
		else if (strcmp(arg, "always") == 0)
			st->set->shellcheck = SC_ALWAYS;
		else
			return ps_cli_usage_error(&cli,
				"--shellcheck takes auto, never or always, not '%s'", arg);
		break;
	case OPT_JOBS:
		if (ps_parse_long(arg, 1, 16, &n) < 0)
			return ps_cli_usage_error(&cli, "--jobs takes 1 to 16, not '%s'", arg);
		st->run->jobs = (int)n;
		break;
	case OPT_DIGEST:
		lint_settings_enable(st->set, "PSD304", 1);
		break;
	case OPT_REGISTRY:
		st->set->registries = ps_xrealloc(st->set->registries,
			(st->set->nregistries + 1) * sizeof(char *));
		st->set->registries[st->set->nregistries++] = ps_xstrdup(arg);
		break;
	}
	return 0;
}

static void
list_rules(void)
{
	for (size_t i = 0; i < lint_nrules; i++) {
		const struct lint_rule *r = &lint_rules[i];

		printf("%s\t%s\t%s\t%s\t%s%s\n", r->code, r->name,
		       ps_severity_name(r->sev), r->ref ? r->ref : "-",
		       r->off ? "(off by default) " : "", r->help);
	}
}

/* The shellcheck binary on PATH, or NULL. */
static char *
find_shellcheck(void)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *found = NULL;

	if (!path)
		return NULL;
	copy = ps_xstrdup(path);
	for (char *d = strtok_r(copy, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *p = ps_xasprintf("%s/shellcheck", *d ? d : ".");

		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

static char outbuf[1 << 16];

int
main(int argc, char **argv)
{
	struct ps_cli_common com;
	struct lint_settings set, fixed;
	struct lint_run run = { .jobs = 0 };
	struct opts_state st = { .set = &set, .run = &run };
	struct file_list files = { 0 };
	struct ps_render_opts ro = { 0 };
	struct ps_render *rd;
	char *sc = NULL;
	int first, status, fail_on_given = 0;

	ps_cli_init(&cli, argv[0]);
	lint_settings_init(&set);
	status = ps_cli_parse(&cli, argc, argv, on_opt, &st, &com, &first);
	if (status >= 0)
		goto out;
	ps_log_set_verbosity(com.verbosity);
	ps_log_set_color(com.color);
	if (com.list_rules) {
		list_rules();
		status = 0;
		goto out;
	}
	/* --enable and --ignore: codes, names, DL or SC codes */
	if ((com.enable && (status = each_id(&st, com.enable, 1)) != 0) ||
	    (com.ignore && (status = each_id(&st, com.ignore, 0)) != 0))
		goto out;
	for (int i = 1; i < first; i++)
		if (strncmp(argv[i], "--fail-on", 9) == 0)
			fail_on_given = 1;
	if (set.shellcheck != SC_NEVER) {
		sc = find_shellcheck();
		if (!sc && set.shellcheck == SC_ALWAYS) {
			ps_log_error("--shellcheck=always: shellcheck is not on PATH");
			status = PS_EXIT_OPER;
			goto out;
		}
		set.shellcheck_path = sc;
	}
	for (size_t i = 0; i < lint_nrules; i++)
		run.cli_sev[i] = set.sev[i] != (lint_rules[i].off ? -1 : (int)lint_rules[i].sev) ?
				 set.sev[i] : CLI_SEV_UNSET;
	run.base = &set;
	if (com.config_given) {
		struct ps_diags d = { 0 };

		fixed = set;
		fixed.registries = NULL;
		fixed.nregistries = 0;
		fixed.ignore_ids = NULL;
		fixed.nignore_ids = 0;
		for (size_t i = 0; i < set.nregistries; i++) {
			fixed.registries = ps_xrealloc(fixed.registries, (i + 1) * sizeof(char *));
			fixed.registries[i] = ps_xstrdup(set.registries[i]);
			fixed.nregistries = i + 1;
		}
		for (size_t i = 0; i < set.nignore_ids; i++) {
			fixed.ignore_ids = ps_xrealloc(fixed.ignore_ids, (i + 1) * sizeof(char *));
			fixed.ignore_ids[i] = ps_xstrdup(set.ignore_ids[i]);
			fixed.nignore_ids = i + 1;
		}
		int bad = lint_settings_load(&fixed, com.config, &d) < 0;

		for (size_t i = 0; i < d.len; i++)
			ps_finding_print(stderr, d.v[i], ps_log_use_color(stderr));
		ps_diags_free(&d);
		if (bad) {
			lint_settings_free(&fixed);
			status = PS_EXIT_USAGE;
			goto out;
		}
		for (size_t i = 0; i < lint_nrules; i++)
			if (run.cli_sev[i] != CLI_SEV_UNSET)
				fixed.sev[i] = run.cli_sev[i];
		run.fixed = &fixed;
	}
	if (first >= argc) {
		if (access("Dockerfile", F_OK) != 0) {
			status = ps_cli_usage_error(&cli, "no Dockerfile here: name files, directories or -");
			goto out_fixed;
		}
		lint_collect("Dockerfile", &files, NULL);
	}
	if (run.jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		run.jobs = n < 1 ? 1 : (n > 16 ? 16 : (int)n);
	}
	/* the other workers start now, the heap is mapped, while the files
	 * are found */
	lint_run_start(&run, argv + first, (size_t)(argc - first));
	lint_prefault(&run, (size_t)(argc > first ? argc - first : 1), run.jobs);
	if (first < argc) {
		struct ps_error err = { 0 };

		if (lint_collect_all(argv + first, (size_t)(argc - first), run.jobs,
				     &files, &err) < 0) {
			ps_log_error("%s", err.msg);
			status = PS_EXIT_USAGE;
			goto out_run;
		}
	}
	run.files = &files;
	lint_run_settings(&run);
	if (run.config_error) {
		status = PS_EXIT_USAGE;
		goto out_run;
	}
	ro.format = com.format;
	ro.fail_on = com.fail_on;
	if (!fail_on_given && files.len > 0 && run.sets[0]->has_threshold)
		ro.fail_on = run.sets[0]->failure_threshold;
	ro.color = ps_log_use_color(stdout);
	ro.summary = com.verbosity >= 0;
	ro.tool = LINT_TOOL;
	ro.tool_version = PS_VERSION;
	if (com.baseline) {
		struct ps_error err = { 0 };

		ro.baseline = ps_baseline_load(com.baseline, &err);
		if (!ro.baseline) {
			ps_log_error("%s", err.msg);
			status = PS_EXIT_USAGE;
			goto out_run;
		}
	}
	/* findings of many files: write them in large blocks, not a pipe's
	 * 4 KB at a time (a terminal keeps its line buffering) */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	/* stdout is written only under the run's writing lock (or before and
	 * after the workers): no stdio lock per call besides */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	rd = ps_render_open(stdout, &ro);
	/* streamed formats without a baseline: the workers render each
	 * file's findings and the writing only counts and copies them */
	if (ps_render_apart(rd))
		run.render = rd;
	/* each file is written as soon as it and those before it are done */
	status = lint_run_all(&run, rd);
	{
		int rs = ps_render_close(rd);

		if (rs > status)
			status = rs;
	}
	ps_baseline_free(ro.baseline);
out_run:
	lint_run_free(&run);
	lint_files_free(&files);
out_fixed:
	if (run.fixed)
		lint_settings_free(&fixed);
out:
	ps_cli_common_free(&com);
	lint_settings_free(&set);
	free(sc);
	return ps_cli_finish(status);
}
