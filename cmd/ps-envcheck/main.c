/*
 * ps-envcheck: lint .env files, the environments of a directory against
 * each other, and the live process environment against a schema -- the
 * "Environment Management" standard (isolated data stores per environment,
 * secrets as references in production, the same keys everywhere).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/util.h"

extern char **environ;

enum {
	OPT_SCHEMA = 1, OPT_LIVE, OPT_FIX, OPT_DRY_RUN, OPT_NO_BACKUP, OPT_SORT,
	OPT_DIFF, OPT_ONLY, OPT_IGNORE, OPT_ENABLE, OPT_ENV, OPT_LIST_RULES,
};

#define RULE_WORDS "duplicated-key ending-blank-line extra-blank-line " \
	"incorrect-delimiter key-without-value leading-character lowercase-key " \
	"quote-character space-character substitution-key trailing-whitespace " \
	"unordered-key value-without-quotes schema-violation syntax-error " \
	"env-drift shared-data-store literal-secret unknown-log-level " \
	"debug-in-production environment-mismatch invalid-url " \
	"node-env-nonstandard"

static const struct ps_opt opts[] = {
	{"schema", 's', PS_ARG_REQUIRED, "FILE",
	 "required keys from a .env.example, or a typed YAML schema",
	 OPT_SCHEMA, PS_COMPLETE_FILE, NULL},
	{"live", 0, PS_ARG_NONE, NULL,
	 "check this process's environment against --schema",
	 OPT_LIVE, PS_COMPLETE_NONE, NULL},
	{"fix", 0, PS_ARG_NONE, NULL,
	 "rewrite what is safe to fix (keeps FILE.bak)",
	 OPT_FIX, PS_COMPLETE_NONE, NULL},
	{"dry-run", 'n', PS_ARG_NONE, NULL,
	 "with --fix: print a unified diff, write nothing",
	 OPT_DRY_RUN, PS_COMPLETE_NONE, NULL},
	{"no-backup", 0, PS_ARG_NONE, NULL,
	 "with --fix: do not keep FILE.bak",
	 OPT_NO_BACKUP, PS_COMPLETE_NONE, NULL},
	{"sort", 0, PS_ARG_NONE, NULL,
	 "with --fix: order the keys of each group",
	 OPT_SORT, PS_COMPLETE_NONE, NULL},
	{"diff", 0, PS_ARG_NONE, NULL,
	 "list the key sets of the files side by side",
	 OPT_DIFF, PS_COMPLETE_NONE, NULL},
	{"only", 0, PS_ARG_REQUIRED, "RULES",
	 "run only these rules (codes or names, comma-separated)",
	 OPT_ONLY, PS_COMPLETE_WORDS, RULE_WORDS},
	{"ignore", 'i', PS_ARG_REQUIRED, "RULES",
	 "skip these rules (repeatable)",
	 OPT_IGNORE, PS_COMPLETE_WORDS, RULE_WORDS},
	{"enable", 0, PS_ARG_REQUIRED, "RULES",
	 "also run rules that are off by default (unordered-key)",
	 OPT_ENABLE, PS_COMPLETE_WORDS, RULE_WORDS},
	{"env", 'e', PS_ARG_REQUIRED, "NAME",
	 "the environment of every file (default: from .env.NAME)",
	 OPT_ENV, PS_COMPLETE_WORDS, "development staging production test"},
	{"list-rules", 0, PS_ARG_NONE, NULL,
	 "print the rules and exit",
	 OPT_LIST_RULES, PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-envcheck",
	.usage = "[-n] [-e NAME] [-f FMT] [-i RULES] [-s FILE] [--fail-on SEV] "
		 "[--baseline FILE] [--only RULES] [--enable RULES] [--fix] "
		 "[--no-backup] [--sort] [--diff] [--live] [--list-rules] "
		 "[FILE|DIR|- ...]",
	.summary = "Lint .env files, compare the environments of a directory "
		   "and check the live environment against a schema.",
	.epilog = "Without operands the current directory is searched for .env, "
		  ".env.* and *.env.\n\n"
		  "  ps-envcheck examples/env\n"
		  "  ps-envcheck --live --schema env.schema.yml && exec app",
	.opts = opts,
	.common = PS_CLI_LINT,
	.operands = PS_COMPLETE_FILE,
};

struct opts {
	const char *schema;
	int live, fix, dry_run, no_backup, diff, list_rules, only_given;
	uint32_t only, ignore, enable;
	struct envcheck ck;
};

static int rules_opt(const char *arg, uint32_t *mask)
{
	char bad[64];

	if (envcheck_rules_parse(arg, mask, bad, sizeof(bad)) < 0)
		return ps_cli_usage_error(&cli, "unknown rule '%s' (see --list-rules)",
					  bad);
	return -1;
}

static int on_opt(int id, const char *arg, void *ctx)
{
	struct opts *o = ctx;

	switch (id) {
	case OPT_SCHEMA: o->schema = arg; break;
	case OPT_LIVE: o->live = 1; break;
	case OPT_FIX: o->fix = 1; break;
	case OPT_DRY_RUN: o->dry_run = 1; break;
	case OPT_NO_BACKUP: o->no_backup = 1; break;
	case OPT_SORT: o->ck.sort = 1; break;
	case OPT_DIFF: o->diff = 1; break;
	case OPT_LIST_RULES: o->list_rules = 1; break;
	case OPT_ENV: o->ck.env_override = arg; break;
	case OPT_ONLY: o->only_given = 1; return rules_opt(arg, &o->only);
	case OPT_IGNORE: return rules_opt(arg, &o->ignore);
	case OPT_ENABLE: return rules_opt(arg, &o->enable);
	}
	return -1;
}

static void list_rules(void)
{
	size_t i;

	for (i = 0; i < R_COUNT; i++) {
		const struct rule *r = &envcheck_rules[i];

		printf("%s  %-22s %-8s %-19s %s\n", r->code, r->name,
		       ps_severity_name(r->sev), r->peer ? r->peer : "-",
		       r->summary);
	}
}

/* ---- the modes ---- */

/* --fix: rewrite (or diff) every file; reload what was written. */
static int fix_all(struct opts *o, struct envfile *files, size_t n)
{
	size_t i;
	int status = 0;

	for (i = 0; i < n; i++) {
		struct envfile *f = &files[i];
		size_t len;
		int nfix;
		char *text = envcheck_fix(&o->ck, f, &len, &nfix);
		int same = len == f->doc.len && memcmp(text, f->doc.text, len) == 0;
		struct ps_error err = { 0 };

		if (o->dry_run) {
			if (!same) {
				envcheck_udiff(stdout, f->path, f->doc.text,
					       f->doc.len, text, len);
				status = PS_EXIT_FAIL;
			}
		} else if (strcmp(f->path, "-") == 0) {
			fwrite(text, 1, len, stdout);
		} else if (!same) {
			if (envcheck_write(f->path, text, len, o->no_backup, &err) < 0) {
				ps_log_error("%s", err.msg);
				status = err.code ? err.code : PS_EXIT_OPER;
			} else {
				char *path = ps_xstrdup(f->path);

				ps_log_note("%s: %d fix%s applied%s", path, nfix,
					    nfix == 1 ? "" : "es",
					    o->no_backup ? "" : " (backup in .bak)");
				envfile_free(f);
				envfile_load_mem(f, path, text, len,
						 o->ck.env_override);
				free(path);
			}
		}
		free(text);
	}
	return status;
}

static int render(struct opts *o, const struct ps_cli_common *common)
{
	struct ps_render_opts ro = { 0 };
	struct ps_baseline *bl = NULL;
	struct ps_error err = { 0 };
	struct ps_render *r;
	size_t i;
	int status;

	if (common->baseline && !(bl = ps_baseline_load(common->baseline, &err))) {
		ps_log_error("baseline: %s", err.msg);
		return err.code ? err.code : PS_EXIT_USAGE;
	}
	ro.format = common->format;
	ro.fail_on = common->fail_on;
	ro.color = ps_log_use_color(stdout);
	ro.summary = 1;
	ro.tool = ENVCHECK_TOOL;
	ro.tool_version = PS_VERSION;
	ro.baseline = bl;
	r = ps_render_open(stdout, &ro);
	ps_diags_sort(&o->ck.diags);
	for (i = 0; i < o->ck.diags.len; i++)
		ps_render_finding(r, o->ck.diags.v[i]);
	status = ps_render_close(r);
	ps_baseline_free(bl);
	return status;
}

static int run(struct opts *o, const struct ps_cli_common *common, char **ops,
	       int nops)
{
	struct envfile *files = NULL;
	size_t n = 0, i;
	int status, st;

	status = envcheck_load_paths(ops, nops, o->ck.env_override, &files, &n);
	if (o->diff) {
		int json = common->format == PS_FMT_JSON ||
			   (common->format == PS_FMT_AUTO && !isatty(fileno(stdout)));

		st = envcheck_keydiff(stdout, files, n, json);
		status = status > st ? status : st;
	} else {
		if (o->fix) {
			st = fix_all(o, files, n);
			status = status > st ? status : st;
		}
		if (!(o->fix && o->dry_run)) {
			for (i = 0; i < n; i++) {
				envcheck_lint_file(&o->ck, &files[i]);
				if (o->ck.schema)
					schema_check_file(&o->ck, o->ck.schema,
							  &files[i]);
			}
			envcheck_cross(&o->ck, files, n);
			st = render(o, common);
			status = status > st ? status : st;
		}
	}
	for (i = 0; i < n; i++)
		envfile_free(&files[i]);
	free(files);
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct ps_cli_common common;
	int first, status;
	size_t i;

	ps_cli_init(&cli, argv[0]);
	if ((status = ps_cli_parse(&cli, argc, argv, on_opt, &o, &common,
				   &first)) >= 0)
		return status;
	if (o.list_rules) {
		list_rules();
		return ps_cli_finish(0);
	}
	if ((o.dry_run || o.no_backup || o.ck.sort) && !o.fix)
		return ps_cli_usage_error(&cli, "--dry-run, --no-backup and --sort "
					  "go with --fix");
	if (o.live && !o.schema)
		return ps_cli_usage_error(&cli, "--live needs --schema FILE");
	for (i = 0; i < R_COUNT; i++)
		if (!envcheck_rules[i].off_by_default)
			o.ck.enabled |= RULE_BIT(i);
	if (o.only_given)
		o.ck.enabled = o.only;
	o.ck.enabled = (o.ck.enabled | o.enable) & ~o.ignore;
	if (o.schema && !(o.ck.schema = schema_load(o.schema, &o.ck.diags))) {
		for (i = 0; i < o.ck.diags.len; i++)
			ps_finding_print(stderr, o.ck.diags.v[i],
					 ps_log_use_color(stderr));
		ps_diags_free(&o.ck.diags);
		return ps_cli_finish(PS_EXIT_USAGE);
	}
	for (i = 0; i < o.ck.diags.len; i++)	/* warnings about the schema */
		ps_finding_print(stderr, o.ck.diags.v[i], ps_log_use_color(stderr));
	ps_diags_free(&o.ck.diags);
	memset(&o.ck.diags, 0, sizeof(o.ck.diags));
	if (o.live) {
		schema_check_live(&o.ck, o.ck.schema, environ);
		status = render(&o, &common);
	} else {
		status = run(&o, &common, argv + first, argc - first);
	}
	schema_free(o.ck.schema);
	ps_diags_free(&o.ck.diags);
	return ps_cli_finish(status);
}
