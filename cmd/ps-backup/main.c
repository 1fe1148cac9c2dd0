/*
 * ps-backup: back up the sets of backup.yml -- files, and PostgreSQL
 * databases dumped through libpq -- to every location in one pass (tar,
 * zstd, AES-256-GCM, SHA-256), then apply retention (Backup & Recovery
 * standards: automated backups, multiple locations, retention policies).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ps-backup/run.h"
#include "lib/backup.h"
#include "lib/cli.h"
#include "lib/crypt.h"
#include "lib/log.h"
#include "lib/records.h"

enum {
	OPT_ONLY = 1, OPT_DRY_RUN, OPT_CHECK, OPT_NO_PRUNE, OPT_PRUNE_ONLY,
	OPT_NO_PROGRESS, OPT_NEW_KEY,
};

#define GO_ON (-1)

static const struct ps_opt opts[] = {
	{ "only", 's', PS_ARG_REQUIRED, "SET",
	  "back up only this set (repeatable)", OPT_ONLY, 0, NULL },
	{ "dry-run", 'n', PS_ARG_NONE, NULL,
	  "show what would be backed up and pruned; write and delete nothing",
	  OPT_DRY_RUN, 0, NULL },
	{ "check", 0, PS_ARG_NONE, NULL,
	  "check backup.yml and the sets' keys, then exit", OPT_CHECK, 0, NULL },
	{ "no-prune", 0, PS_ARG_NONE, NULL,
	  "do not apply retention after the backup", OPT_NO_PRUNE, 0, NULL },
	{ "prune-only", 0, PS_ARG_NONE, NULL,
	  "apply retention without backing up", OPT_PRUNE_ONLY, 0, NULL },
	{ "no-progress", 0, PS_ARG_NONE, NULL,
	  "no progress line on a terminal", OPT_NO_PROGRESS, 0, NULL },
	{ "new-key", 0, PS_ARG_REQUIRED, "FILE",
	  "write a new random key (base64) to FILE, mode 0600, and exit",
	  OPT_NEW_KEY, PS_COMPLETE_FILE, NULL },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static const struct ps_cli cli = {
	.prog = "ps-backup",
	.usage = "[-n] [-c FILE] [-f FMT] [-s SET] [--check] [--no-prune | --prune-only] [--new-key FILE]",
	.summary = "Back up the file and database sets of backup.yml to every location, then apply retention.",
	.epilog = "Each set is archived once (pax tar, zstd, AES-256-GCM) and streamed to all\n"
		  "its locations; a backup exists once its manifest is written. One backup\n"
		  "record per set (and prune records) go to stdout. See ps-backup(1).",
	.opts = opts,
	.common = PS_CLI_FORMAT | PS_CLI_CONFIG,
	.formats = "text json",
	.default_config = "backup.yml",
	.operands = PS_COMPLETE_NONE,
};

struct args {
	const char *only[64];
	size_t nonly;
	int dry_run, check, no_prune, prune_only, no_progress;
	const char *new_key;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (id) {
	case OPT_ONLY:
		if (a->nonly == PS_ARRAY_LEN(a->only))
			return ps_cli_usage_error(&cli, "too many --only options");
		a->only[a->nonly++] = arg;
		break;
	case OPT_DRY_RUN: a->dry_run = 1; break;
	case OPT_CHECK: a->check = 1; break;
	case OPT_NO_PRUNE: a->no_prune = 1; break;
	case OPT_PRUNE_ONLY: a->prune_only = 1; break;
	case OPT_NO_PROGRESS: a->no_progress = 1; break;
	case OPT_NEW_KEY: a->new_key = arg; break;
	}
	return GO_ON;
}

static int
new_key(const char *path)
{
	struct ps_error err = {0};
	char key[46];
	int fd;

	if (ps_crypt_key_generate(key, &err) < 0) {
		ps_log_error("%s", err.msg);
		return PS_EXIT_OPER;
	}
	key[44] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ps_log_error("cannot create '%s': %s", path, strerror(errno));
		return errno == EEXIST ? PS_EXIT_USAGE : PS_EXIT_OPER;
	}
	if (write(fd, key, 45) != 45 || fsync(fd) < 0) {
		ps_log_error("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		return PS_EXIT_OPER;
	}
	close(fd);
	memset(key, 0, sizeof(key));
	ps_log_note("wrote a new backup key to '%s'; keep a copy apart from the backups", path);
	return PS_EXIT_OK;
}

static void
on_signal(int sig)
{
	bk_interrupted = sig;
}

static int
wanted(const struct args *a, const char *name)
{
	if (!a->nonly)
		return 1;
	for (size_t i = 0; i < a->nonly; i++)
		if (strcmp(a->only[i], name) == 0)
			return 1;
	return 0;
}

/* Load the config and check the sets that will run. */
static struct ps_backup_config *
load(const char *path, const struct args *a)
{
	struct ps_diags d = {0};
	struct ps_backup_config *c = ps_backup_config_load(path, &d);
	int bad = 0;

	for (size_t i = 0; c && i < a->nonly; i++)
		if (!ps_backup_config_set(c, a->only[i])) {
			ps_log_error("%s: no set '%s' under backup:", path, a->only[i]);
			bad = 1;
		}
	for (size_t i = 0; c && i < c->nsets; i++) {
		const struct ps_backup_set *s = &c->sets[i];
		if (wanted(a, s->name) && (s->enabled || a->nonly))
			ps_backup_set_check(c, s, &d);
	}
	for (size_t i = 0; i < d.len; i++)
		ps_finding_print(stderr, d.v[i], ps_log_use_color(stderr));
	if (!c || bad || ps_diags_count(&d, PS_SEV_ERROR)) {
		ps_backup_config_free(c);
		c = NULL;
	}
	ps_diags_free(&d);
	return c;
}

static int
check_keys(const struct ps_backup_config *c, const struct args *a, FILE *out)
{
	int rc = PS_EXIT_OK;

	for (size_t i = 0; i < c->nsets; i++) {
		const struct ps_backup_set *s = &c->sets[i];
		struct ps_crypt_key k;
		struct ps_error e = {0};
		int have = 0, warn = 0;
		char kid[17] = "none";

		if (!wanted(a, s->name))
			continue;
		if (ps_backup_set_key(s, &k, &have, &warn, &e) < 0) {
			ps_log_error("backup.%s: %s", s->name, e.msg);
			rc = e.code > rc ? e.code : rc;
			continue;
		}
		if (have && k.kdf == PS_CRYPT_KDF_NONE)
			ps_crypt_key_id_hex(k.id, kid);
		else if (have)
			snprintf(kid, sizeof(kid), "passphrase");
		if (warn)
			ps_log_warn("key file '%s' is readable by others", s->enc_value);
		if (s->has_database)
			fprintf(out, "%s: %s, database %s, %zu location%s, retention %ld days, key %s\n",
				s->name, s->enabled ? "enabled" : "disabled",
				s->db_url ? "from the set's url" :
				getenv("DATABASE_URL") ? "from $DATABASE_URL" : "from libpq's defaults",
				s->nlocations, s->nlocations == 1 ? "" : "s", s->retention, kid);
		else
			fprintf(out, "%s: %s, %zu path%s, %zu location%s, retention %ld days, key %s\n",
				s->name, s->enabled ? "enabled" : "disabled", s->npaths,
				s->npaths == 1 ? "" : "s", s->nlocations,
				s->nlocations == 1 ? "" : "s", s->retention, kid);
		if (have)
			ps_crypt_key_free(&k);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a = {0};
	struct ps_cli_common common;
	struct ps_backup_config *c;
	struct bk_opts o = { .out = stdout };
	struct sigaction sa = { .sa_handler = on_signal };
	int first, rc = PS_EXIT_OK;

	/* A backup allocates and frees buffers all the time, on several
	 * threads (a file read ahead, a table's segment): keep freed memory
	 * in the process instead of giving it back and faulting it in again,
	 * which on a VM costs 15-30 us a page. The peak stays bounded by the
	 * buffers' own limits. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 4 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	ps_cli_init(&cli, argv[0]);
	rc = ps_cli_parse(&cli, argc, argv, on_opt, &a, &common, &first);
	if (rc >= 0)
		return rc;
	if (first < argc)
		return ps_cli_usage_error(&cli, "unexpected operand '%s'", argv[first]);
	if (a.no_prune && a.prune_only)
		return ps_cli_usage_error(&cli, "--no-prune and --prune-only exclude each other");
	if (a.new_key)
		return new_key(a.new_key);
	o.format = common.format == PS_FMT_AUTO ?
		(isatty(STDOUT_FILENO) ? PS_FMT_TEXT : PS_FMT_JSON) : common.format;
	o.dry_run = a.dry_run;
	o.progress = !a.no_progress && isatty(STDERR_FILENO) && ps_log_verbosity() >= 0;
	c = load(common.config, &a);
	if (!c)
		return PS_EXIT_USAGE;
	if (a.check) {
		rc = check_keys(c, &a, stdout);
		ps_backup_config_free(c);
		return ps_cli_finish(rc);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (size_t i = 0; i < c->nsets && !bk_interrupted; i++) {
		const struct ps_backup_set *s = &c->sets[i];
		int r = PS_EXIT_OK;

		if (!wanted(&a, s->name) || (!s->enabled && !a.nonly))
			continue;
		if (a.dry_run && o.format == PS_FMT_JSON) {
			json_t *rec = ps_rec_new("backup", "ps-backup"), *p = json_array(),
			       *l = json_array();
			for (size_t k = 0; k < s->npaths; k++)
				json_array_append_new(p, json_string(s->abs_paths[k]));
			for (size_t k = 0; k < s->nlocations; k++)
				json_array_append_new(l, json_string(s->locations[k]));
			json_object_set_new(rec, "set", json_string(s->name));
			json_object_set_new(rec, "kind",
					    json_string(s->has_database ? "database" : "files"));
			json_object_set_new(rec, "status", json_string("dry-run"));
			json_object_set_new(rec, "paths", p);
			json_object_set_new(rec, "locations", l);
			ps_rec_write(stdout, rec);
			json_decref(rec);
		} else if (a.dry_run && s->has_database) {
			printf("%s: would dump the database to %zu location%s\n", s->name,
			       s->nlocations, s->nlocations == 1 ? "" : "s");
			for (size_t k = 0; k < s->nlocations; k++)
				printf("  location %s\n", s->locations[k]);
		} else if (a.dry_run) {
			printf("%s: would back up %zu path%s to %zu location%s\n", s->name,
			       s->npaths, s->npaths == 1 ? "" : "s", s->nlocations,
			       s->nlocations == 1 ? "" : "s");
			for (size_t k = 0; k < s->npaths; k++)
				printf("  path %s\n", s->abs_paths[k]);
			for (size_t k = 0; k < s->nlocations; k++)
				printf("  location %s\n", s->locations[k]);
		} else if (!a.prune_only) {
			r = bk_run_set(c, s, &o);
		}
		if (r == PS_EXIT_OK && !a.no_prune && !bk_interrupted)
			r = bk_prune_set(c, s, &o);
		if (r > rc)
			rc = r;
	}
	if (bk_interrupted) {
		ps_log_error("interrupted");
		rc = PS_EXIT_OPER;
	}
	ps_backup_config_free(c);
	return ps_cli_finish(rc);
}
