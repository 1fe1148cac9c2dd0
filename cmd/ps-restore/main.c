/*
 * ps-restore: list, verify, compare and restore the backups ps-backup made
 * (Backup & Recovery standards: "Testing: regularly test backup
 * restoration").
 */
#include <errno.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ps-restore/read.h"
#include "cmd/ps-restore/restore.h"
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/records.h"

enum {
	OPT_LIST = 1, OPT_VERIFY, OPT_SAMPLE, OPT_DIFF, OPT_SET, OPT_TO, OPT_FORCE,
	OPT_DRY_RUN, OPT_FROM, OPT_TO_URL, OPT_CREATE, OPT_CLEAN, OPT_JOBS, OPT_CHECK,
	OPT_TMPDIR,
};

#define GO_ON (-1)

static const struct ps_opt opts[] = {
	{ "list", 'l', PS_ARG_NONE, NULL,
	  "list the backups (id, set, time, size, location)", OPT_LIST, 0, NULL },
	{ "verify", 'V', PS_ARG_REQUIRED, "ID",
	  "read backup ID (or latest) back and check every digest; writes nothing",
	  OPT_VERIFY, 0, NULL },
	{ "sample", 0, PS_ARG_REQUIRED, "PCT",
	  "with --verify: check the content digests of PCT% of the files only",
	  OPT_SAMPLE, 0, NULL },
	{ "diff", 'd', PS_ARG_REQUIRED, "ID",
	  "compare backup ID (or latest) with the live source: added, changed, removed",
	  OPT_DIFF, 0, NULL },
	{ "set", 's', PS_ARG_REQUIRED, "SET", "the backup set", OPT_SET, 0, NULL },
	{ "to", 't', PS_ARG_REQUIRED, "DIR", "restore into DIR", OPT_TO,
	  PS_COMPLETE_DIR, NULL },
	{ "force", 0, PS_ARG_NONE, NULL,
	  "replace a non-empty target directory", OPT_FORCE, 0, NULL },
	{ "dry-run", 'n', PS_ARG_NONE, NULL,
	  "check a restore (backup, space, permissions) without writing", OPT_DRY_RUN,
	  0, NULL },
	{ "from", 0, PS_ARG_REQUIRED, "LOCATION",
	  "read from this location instead of the set's first that has the backup",
	  OPT_FROM, 0, NULL },
	{ "to-url", 0, PS_ARG_REQUIRED, "URL",
	  "database sets: restore into this database (libpq URL or conninfo, no password)",
	  OPT_TO_URL, 0, NULL },
	{ "create", 0, PS_ARG_REQUIRED, "NAME",
	  "database sets: create database NAME (on --to-url's server) and restore into it",
	  OPT_CREATE, 0, NULL },
	{ "clean", 0, PS_ARG_NONE, NULL,
	  "database sets: drop the target's schemas and extensions first", OPT_CLEAN, 0, NULL },
	{ "jobs", 'j', PS_ARG_REQUIRED, "N",
	  "database sets: load tables over N connections (default: the set's jobs, 2)",
	  OPT_JOBS, 0, NULL },
	{ "check", 0, PS_ARG_NONE, NULL,
	  "database sets: after the restore, recompute every table's row count and checksum",
	  OPT_CHECK, 0, NULL },
	{ "tmpdir", 0, PS_ARG_REQUIRED, "DIR",
	  "database sets: unpack the dump here (default $TMPDIR, else /var/tmp)",
	  OPT_TMPDIR, PS_COMPLETE_DIR, NULL },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ps_cli cli = {
	.prog = "ps-restore",
	.usage = "[-ln] [-c FILE] [-f FMT] [-s SET] [--from LOCATION] "
		 "[--verify ID [--sample PCT] | --diff ID | ID --to DIR [--force] |\n"
		 "       ID {--to-url URL | --create NAME} [--clean] [-j N] [--check]]",
	.summary = "List, verify, compare and restore the backups of backup.yml.",
	.epilog = "ID is a backup id (20261126T010000Z-7f3a) or 'latest'. A restore extracts into\n"
		  "a temporary directory beside DIR and moves it into place only after every\n"
		  "digest was checked. A database set's backup is unpacked and checked the\n"
		  "same way before any SQL runs on the target. See ps-restore(1).",
	.opts = opts,
	.common = PS_CLI_FORMAT | PS_CLI_CONFIG,
	.formats = "text json",
	.default_config = "backup.yml",
	.operands = PS_COMPLETE_NONE,
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct rs_args *a = ctx;
	long v;

	switch (id) {
	case OPT_LIST: a->list = 1; break;
	case OPT_VERIFY: a->verify = arg; break;
	case OPT_SAMPLE:
		if (ps_parse_long(arg, 1, 100, &v) < 0)
			return ps_cli_usage_error(&cli, "--sample: expected a percentage from 1 to 100, got '%s'", arg);
		a->sample = (int)v;
		break;
	case OPT_DIFF: a->diff = arg; break;
	case OPT_SET: a->set = arg; break;
	case OPT_TO: a->to = arg; break;
	case OPT_FORCE: a->force = 1; break;
	case OPT_DRY_RUN: a->dry_run = 1; break;
	case OPT_FROM: a->from = arg; break;
	case OPT_TO_URL: a->to_url = arg; break;
	case OPT_CREATE:
		if (!*arg)
			return ps_cli_usage_error(&cli, "--create: give a database name");
		a->create = arg;
		break;
	case OPT_CLEAN: a->clean = 1; break;
	case OPT_JOBS:
		if (ps_parse_long(arg, 1, 64, &v) < 0)
			return ps_cli_usage_error(&cli, "--jobs: expected a number from 1 to 64, got '%s'", arg);
		a->jobs = (int)v;
		break;
	case OPT_CHECK: a->check = 1; break;
	case OPT_TMPDIR: a->tmpdir = arg; break;
	}
	return GO_ON;
}

static struct ps_backup_config *
load(const char *path)
{
	struct ps_diags d = {0};
	struct ps_backup_config *c = ps_backup_config_load(path, &d);

	for (size_t i = 0; i < d.len; i++)
		ps_finding_print(stderr, d.v[i], ps_log_use_color(stderr));
	if (!c || ps_diags_count(&d, PS_SEV_ERROR)) {
		ps_backup_config_free(c);
		c = NULL;
	}
	ps_diags_free(&d);
	return c;
}

int
main(int argc, char **argv)
{
	struct rs_args a = {0};
	struct ps_cli_common common;
	struct ps_backup_config *c;
	int first, rc, modes;

	/* Memory freed stays in the process, and blocks up to 64 MiB come
	 * from the heap: what rs_read maps ahead of a read is then what the
	 * read's entries and names take, at no page fault each. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	ps_cli_init(&cli, argv[0]);
	rc = ps_cli_parse(&cli, argc, argv, on_opt, &a, &common, &first);
	if (rc >= 0)
		return rc;
	if (first < argc)
		a.id = argv[first++];
	if (first < argc)
		return ps_cli_usage_error(&cli, "unexpected operand '%s'", argv[first]);
	modes = !!a.list + !!a.verify + !!a.diff + !!a.id;
	if (modes != 1)
		return ps_cli_usage_error(&cli, modes ? "give only one of --list, --verify, --diff and a restore ID"
						      : "nothing to do: give --list, --verify ID, --diff ID, ID --to DIR or ID --to-url URL");
	if (a.id && !a.to && !a.to_url && !a.create)
		return ps_cli_usage_error(&cli, "restoring needs --to DIR (files) or --to-url URL / --create NAME (a database)");
	if (a.to && (a.to_url || a.create))
		return ps_cli_usage_error(&cli, "--to restores files; --to-url and --create restore a database");
	if ((a.to_url || a.create || a.clean || a.jobs || a.check || a.tmpdir) && !a.id)
		return ps_cli_usage_error(&cli, "--to-url, --create, --clean, --jobs, --check and --tmpdir go with a restore ID");
	if (a.create && a.clean)
		return ps_cli_usage_error(&cli, "--create makes a new, empty database: --clean has nothing to drop");
	if (a.sample && !a.verify)
		return ps_cli_usage_error(&cli, "--sample goes with --verify");
	if ((a.force || a.to) && !a.id)
		return ps_cli_usage_error(&cli, "--to and --force go with a restore ID");
	if (a.dry_run && !a.id)
		return ps_cli_usage_error(&cli, "--dry-run goes with a restore ID");
	a.format = common.format == PS_FMT_AUTO ?
		(isatty(STDOUT_FILENO) ? PS_FMT_TEXT : PS_FMT_JSON) : common.format;
	a.out = stdout;
	c = load(common.config);
	if (!c)
		return PS_EXIT_USAGE;
	if (a.list)
		rc = rs_list(c, &a);
	else if (a.verify)
		rc = rs_verify(c, &a);
	else if (a.diff)
		rc = rs_diff(c, &a);
	else
		rc = rs_restore(c, &a);
	ps_backup_config_free(c);
	return ps_cli_finish(rc);
}
