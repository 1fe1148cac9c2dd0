/* Check suite for lib/cli.c: parsing, help, completions from one table. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"

enum { OPT_COUNT = 1, OPT_NAME, OPT_DRY };

static const struct ps_opt opts[] = {
	{"count", 'n', PS_ARG_REQUIRED, "N", "how many", OPT_COUNT,
	 PS_COMPLETE_NONE, NULL},
	{"name", 0, PS_ARG_REQUIRED, "NAME", "a [bracketed] name", OPT_NAME,
	 PS_COMPLETE_WORDS, "alpha beta"},
	{"dry-run", 0, PS_ARG_NONE, NULL, "change nothing", OPT_DRY,
	 PS_COMPLETE_NONE, NULL},
	{NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const struct ps_cli cli = {
	.prog = "ps-example",
	.usage = "[-n N] [--name NAME] [FILE ...]",
	.summary = "Do an example thing.",
	.opts = opts,
	.common = PS_CLI_LINT | PS_CLI_CONFIG,
	.default_config = "example.yml",
	.operands = PS_COMPLETE_FILE,
};

struct seen {
	long count;
	const char *name;
	int dry;
};

static int
on_opt(int id, const char *arg, void *ctx)
{
	struct seen *s = ctx;

	switch (id) {
	case OPT_COUNT:
		if (ps_parse_long(arg, 0, 100, &s->count) < 0)
			return ps_cli_usage_error(&cli, "bad count '%s'", arg);
		break;
	case OPT_NAME:
		s->name = arg;
		break;
	case OPT_DRY:
		s->dry = 1;
		break;
	}
	return 0;
}

static int
parse(int argc, char **argv, struct seen *s, struct ps_cli_common *c,
      int *first)
{
	memset(s, 0, sizeof(*s));
	return ps_cli_parse(&cli, argc, argv, on_opt, s, c, first);
}

START_TEST(parses_own_and_common_options)
{
	char *argv[] = {"ps-example", "-n", "7", "--name=beta", "a.txt",
			"--dry-run", "-f", "sarif", "--fail-on", "warning",
			"-c", "other.yml", "--baseline", "old.json", "-vv",
			"b.txt", NULL};
	struct ps_cli_common c;
	struct seen s;
	int first;

	ck_assert_int_eq(parse(16, argv, &s, &c, &first), -1);
	ck_assert_int_eq(s.count, 7);
	ck_assert_str_eq(s.name, "beta");
	ck_assert_int_eq(s.dry, 1);
	ck_assert_int_eq(c.format, PS_FMT_SARIF);
	ck_assert_int_eq(c.fail_on, PS_SEV_WARNING);
	ck_assert_str_eq(c.config, "other.yml");
	ck_assert_int_eq(c.config_given, 1);
	ck_assert_str_eq(c.baseline, "old.json");
	ck_assert_int_eq(c.verbosity, 2);
	/* Operands are permuted to the end, in order. */
	ck_assert_int_eq(first, 14);
	ck_assert_str_eq(argv[first], "a.txt");
	ck_assert_str_eq(argv[first + 1], "b.txt");
}
END_TEST

START_TEST(defaults)
{
	char *argv[] = {"ps-example", NULL};
	struct ps_cli_common c;
	struct seen s;
	int first;

	ck_assert_int_eq(parse(1, argv, &s, &c, &first), -1);
	ck_assert_int_eq(c.format, PS_FMT_AUTO);
	ck_assert_int_eq(c.fail_on, PS_SEV_ERROR);
	ck_assert_str_eq(c.config, "example.yml");
	ck_assert_int_eq(c.config_given, 0);
	ck_assert_int_eq(first, 1);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	char *a1[] = {"ps-example", "--no-such-option", NULL};
	char *a2[] = {"ps-example", "-f", "yaml", NULL};
	char *a3[] = {"ps-example", "--count", NULL};
	char *a4[] = {"ps-example", "-n", "x", NULL};
	char *a5[] = {"ps-example", "--fail-on", "sometimes", NULL};
	char *a6[] = {"ps-example", "-Z", NULL};
	struct ps_cli_common c;
	struct seen s;
	int first;

	ck_assert_int_eq(parse(2, a1, &s, &c, &first), 2);
	ck_assert_int_eq(parse(3, a2, &s, &c, &first), 2);
	ck_assert_int_eq(parse(2, a3, &s, &c, &first), 2);
	ck_assert_int_eq(parse(3, a4, &s, &c, &first), 2);
	ck_assert_int_eq(parse(3, a5, &s, &c, &first), 2);
	ck_assert_int_eq(parse(2, a6, &s, &c, &first), 2);
}
END_TEST

static char *
capture(void (*fn)(FILE *))
{
	FILE *f = tmpfile();
	long n;
	char *buf;

	fn(f);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void help(FILE *f) { ps_cli_help(&cli, f); }
static void version(FILE *f) { ps_cli_version(&cli, f); }
static void bash(FILE *f) { ck_assert_int_eq(ps_cli_completion(&cli, "bash", f), 0); }
static void zsh(FILE *f) { ck_assert_int_eq(ps_cli_completion(&cli, "zsh", f), 0); }
static void fish(FILE *f) { ck_assert_int_eq(ps_cli_completion(&cli, "fish", f), 0); }

START_TEST(help_lists_every_option)
{
	char *h = capture(help);

	ck_assert_ptr_nonnull(strstr(h, "Usage: ps-example [-n N]"));
	ck_assert_ptr_nonnull(strstr(h, "Do an example thing."));
	ck_assert_ptr_nonnull(strstr(h, "-n, --count N"));
	ck_assert_ptr_nonnull(strstr(h, "--name NAME"));
	ck_assert_ptr_nonnull(strstr(h, "--dry-run"));
	ck_assert_ptr_nonnull(strstr(h, "-f, --format FMT"));
	ck_assert_ptr_nonnull(strstr(h, "sarif"));
	ck_assert_ptr_nonnull(strstr(h, "--fail-on SEV"));
	ck_assert_ptr_nonnull(strstr(h, "-c, --config FILE"));
	ck_assert_ptr_nonnull(strstr(h, "--baseline FILE"));
	ck_assert_ptr_nonnull(strstr(h, "-h, --help"));
	ck_assert_ptr_nonnull(strstr(h, "--version"));
	/* The completion generator is not advertised. */
	ck_assert_ptr_null(strstr(h, "--completion"));
	free(h);
	h = capture(version);
	ck_assert_str_eq(h, "ps-example (ps-toolkit) " PS_VERSION "\n");
	free(h);
}
END_TEST

START_TEST(completions_come_from_the_table)
{
	char *b = capture(bash), *z = capture(zsh), *f = capture(fish);

	ck_assert_ptr_nonnull(strstr(b, "complete -o filenames -o bashdefault -F _ps_example ps-example"));
	ck_assert_ptr_nonnull(strstr(b, "--name)"));
	ck_assert_ptr_nonnull(strstr(b, "compgen -W 'alpha beta'"));
	ck_assert_ptr_nonnull(strstr(b, "--dry-run"));
	ck_assert_ptr_nonnull(strstr(z, "#compdef ps-example"));
	ck_assert_ptr_nonnull(strstr(z, "a \\[bracketed\\] name"));
	ck_assert_ptr_nonnull(strstr(z, "(alpha beta)"));
	ck_assert_ptr_nonnull(strstr(f, "complete -c ps-example -s n -l count -x"));
	ck_assert_ptr_nonnull(strstr(f, "-l name -x -a 'alpha beta'"));
	ck_assert_ptr_nonnull(strstr(f, "-l baseline -r -F"));
	ck_assert_int_eq(ps_cli_completion(&cli, "tcsh", stdout), -1);
	free(b);
	free(z);
	free(f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parses_own_and_common_options);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, help_lists_every_option);
	tcase_add_test(tc, completions_come_from_the_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
