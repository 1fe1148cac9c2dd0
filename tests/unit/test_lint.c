/* Check suite for lib/lint.c: pragmas, .ps-lint.yml, the path walker,
 * file discovery and the report filter. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/lint.h"

static const struct ps_lint_rule rules[] = {
	{"PST001", "first-rule", PS_SEV_ERROR, "the first", "peer:one", 0},
	{"PST002", "second-rule", PS_SEV_WARNING, "the second", NULL, 0},
	{"PST003", "opt-in", PS_SEV_INFO, "off by default", NULL, 1},
};

static void
ctx_init(struct ps_lint_ctx *c, const char *text, struct ps_diags *d,
	 const struct ps_lint_conf *conf)
{
	static const char *const prefixes[] = { "ps-lint", "peer", NULL };

	memset(c, 0, sizeof(*c));
	c->tool = "test";
	c->file = "t.yml";
	c->rules = rules;
	c->nrules = 3;
	c->conf = conf;
	c->text = text;
	c->text_len = strlen(text);
	c->out = d;
	ps_lint_begin(c, prefixes);
}

START_TEST(pragmas_suppress_the_next_line)
{
	const char *text =
		"a: 1\n"
		"# ps-lint ignore=PST001 -- known\n"
		"b: 2\n"
		"c: 3\n"
		"# peer ignore=second-rule\n"
		"# another comment\n"
		"d: 4\n"
		"e: 5  # ps-lint ignore=PST002\n";
	struct ps_diags d = {0};
	struct ps_lint_ctx c;

	ctx_init(&c, text, &d, NULL);
	ck_assert_ptr_null(ps_lint_report(&c, "PST001", 3, 1, "x"));
	ck_assert_ptr_nonnull(ps_lint_report(&c, "PST002", 3, 1, "x"));
	ck_assert_ptr_nonnull(ps_lint_report(&c, "PST001", 4, 1, "x"));
	/* through a block of comments, by name, with the peer's prefix */
	ck_assert_ptr_null(ps_lint_report(&c, "PST002", 7, 1, "x"));
	/* on the same line */
	ck_assert_ptr_null(ps_lint_report(&c, "PST002", 8, 1, "x"));
	/* a rule the table does not know is never reported */
	ck_assert_ptr_null(ps_lint_report(&c, "NOPE", 1, 1, "x"));
	/* an opt-in rule stays off */
	ck_assert_ptr_null(ps_lint_report(&c, "PST003", 1, 1, "x"));
	ck_assert_uint_eq(d.len, 2);
	ps_lint_end(&c);
	ps_diags_free(&d);
}
END_TEST

START_TEST(global_pragma_and_refs)
{
	const char *text = "# ps-lint global ignore=PST002\nk: API_KEY=abc123\n";
	struct ps_diags d = {0};
	struct ps_lint_ctx c;
	struct ps_finding *f;

	ctx_init(&c, text, &d, NULL);
	ck_assert_ptr_null(ps_lint_report(&c, "PST002", 2, 1, "x"));
	f = ps_lint_report(&c, "PST001", 2, 4, "message %d", 7);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->message, "message 7");
	ck_assert_str_eq(f->name, "first-rule");
	ck_assert_str_eq(f->refs[0], "peer:one");
	ck_assert_int_eq(f->severity, PS_SEV_ERROR);
	/* the snippet keeps the line but never the secret */
	ck_assert_str_eq(f->snippet, "k: API_KEY=***");
	ps_lint_end(&c);
	ps_diags_free(&d);
}
END_TEST

START_TEST(rule_find_by_code_and_name)
{
	static const struct ps_lint_rule unordered[] = {
		{"X002", "two", PS_SEV_ERROR, NULL, NULL, 0},
		{"X001", "one", PS_SEV_ERROR, NULL, NULL, 0},
		{"X3", "three", PS_SEV_ERROR, NULL, NULL, 0},
	};

	ck_assert_ptr_eq(ps_lint_rule_find(rules, 3, "PST002"), &rules[1]);
	ck_assert_ptr_eq(ps_lint_rule_find(rules, 3, "pst002"), &rules[1]);
	ck_assert_ptr_eq(ps_lint_rule_find(rules, 3, "second-rule"), &rules[1]);
	ck_assert_ptr_eq(ps_lint_rule_find(rules, 3, "PST003"), &rules[2]);
	ck_assert_ptr_null(ps_lint_rule_find(rules, 3, "PST009"));
	ck_assert_ptr_null(ps_lint_rule_find(rules, 3, "PST000"));
	ck_assert_ptr_null(ps_lint_rule_find(rules, 3, "PST"));
	ck_assert_ptr_null(ps_lint_rule_find(rules, 3, "0"));
	ck_assert_ptr_null(ps_lint_rule_find(rules, 3, ""));
	/* a table not in code order is searched */
	ck_assert_ptr_eq(ps_lint_rule_find(unordered, 3, "X001"), &unordered[1]);
	ck_assert_ptr_eq(ps_lint_rule_find(unordered, 3, "X002"), &unordered[0]);
	ck_assert_ptr_eq(ps_lint_rule_find(unordered, 3, "X3"), &unordered[2]);
	ck_assert_ptr_eq(ps_lint_rule_find(unordered, 3, "x3"), &unordered[2]);
}
END_TEST

static char tmpdir[64];

static void
write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(config_is_found_upward_and_applies)
{
	static const char *const names[] = { ".ps-lint.yml", NULL };
	struct ps_lint_conf conf;
	struct ps_diags errs = {0}, d = {0};
	struct ps_lint_ctx c;
	char sub[128];
	struct ps_finding *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ps-lint-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(sub, sizeof(sub), "%s/a/b", tmpdir);
	snprintf(sub, sizeof(sub), "%s/a", tmpdir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/a/b", tmpdir);
	mkdir(sub, 0755);
	write_file(".ps-lint.yml",
		   "failure-threshold: warning\n"
		   "ignored: [PST002]\n"
		   "compose:\n"
		   "  enabled: [opt-in]\n"
		   "  override:\n"
		   "    style: [PST001]\n");
	ck_assert_int_eq(ps_lint_conf_load(&conf, NULL, sub, names, "compose", &errs), 0);
	ck_assert_ptr_nonnull(conf.path);
	ck_assert_int_eq(conf.has_threshold, 1);
	ck_assert_int_eq(conf.threshold, PS_SEV_WARNING);
	ctx_init(&c, "x: 1\n", &d, &conf);
	ck_assert_ptr_null(ps_lint_report(&c, "PST002", 1, 1, "ignored"));
	ck_assert_ptr_nonnull(ps_lint_report(&c, "PST003", 1, 1, "enabled"));
	f = ps_lint_report(&c, "PST001", 1, 1, "overridden");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, PS_SEV_STYLE);
	ps_lint_end(&c);
	ps_diags_free(&d);
	ps_lint_conf_free(&conf);

	/* A bad value is an error with its position. */
	write_file(".ps-lint.yml", "override:\n  loud: [PST001]\n");
	ck_assert_int_eq(ps_lint_conf_load(&conf, NULL, sub, names, "compose", &errs), -1);
	ck_assert_uint_ge(errs.len, 1);
	ck_assert_int_eq(errs.v[errs.len - 1]->line, 2);
	ps_lint_conf_free(&conf);
	ps_diags_free(&errs);
}
END_TEST

struct seen {
	char buf[512];
};

static void
record(void *ctx, const void *data, const struct ps_node *n,
       const struct ps_node *key, const char *const *caps)
{
	struct seen *s = ctx;
	size_t i;

	strncat(s->buf, (const char *)data, sizeof(s->buf) - strlen(s->buf) - 1);
	for (i = 0; caps[i]; i++) {
		strncat(s->buf, ":", sizeof(s->buf) - strlen(s->buf) - 1);
		strncat(s->buf, caps[i], sizeof(s->buf) - strlen(s->buf) - 1);
	}
	strncat(s->buf, " ", sizeof(s->buf) - strlen(s->buf) - 1);
}

START_TEST(walk_matches_patterns)
{
	const char *y = "services:\n  web:\n    ports: [a, b]\n  db:\n    image: x\n";
	struct ps_diags errs = {0};
	struct ps_doc *doc = ps_doc_load_mem("t.yml", y, strlen(y), &errs);
	struct ps_lint_visit v[] = {
		{"services.*", record, "S"},
		{"services.*.ports.*", record, "P"},
		{"**.image", record, "I"},
	};
	struct seen s = {{0}};

	ck_assert_ptr_nonnull(doc);
	ps_lint_walk(ps_doc_root(doc), v, 3, &s);
	ck_assert_str_eq(s.buf, "S:web P:web:0 P:web:1 S:db I ");
	ps_doc_free(doc);
	ps_diags_free(&errs);
}
END_TEST

START_TEST(walk_order_globstar_and_limits)
{
	const char *y =
		"a:\n"
		"  b: [p, q, r, s, t, u, v, w, x, y, z, zz]\n"
		"  c:\n"
		"    image: i1\n"
		"    d: {image: i2}\n"
		"e: 1\n";
	struct ps_diags errs = {0};
	struct ps_doc *doc = ps_doc_load_mem("t.yml", y, strlen(y), &errs);
	struct ps_lint_visit v[] = {
		{"", record, "R"},
		{"a.b.1*", record, "N"},
		{"a.b.11", record, "B"},
		{"**.image", record, "I"},
		{"a.**", record, "A"},
		{"*.*.*.image", record, "D"},
		{"*", record, "T"},
		{"no.such.path", record, "X"},
	};
	struct seen s = {{0}};

	ck_assert_ptr_nonnull(doc);
	ps_lint_walk(ps_doc_root(doc), v, sizeof(v) / sizeof(v[0]), &s);
	/* pre-order; the visits matching one node in their table order; a
	 * sequence index past 9 is its decimal text */
	ck_assert_str_eq(s.buf,
			 "R A T:a A A A A A A A A A A A A B A "
			 "A I A A I A D:a:c:d T:e ");
	memset(&s, 0, sizeof(s));
	ps_lint_walk(NULL, v, 2, &s);
	ps_lint_walk(ps_doc_root(doc), v, 0, &s);
	ck_assert_str_eq(s.buf, "");
	ps_doc_free(doc);
	ps_diags_free(&errs);
}
END_TEST

START_TEST(lines_and_pragmas_edge_cases)
{
	const char *text =
		"a: 1\r\n"
		"# ps-lint ignore=PST001\r\n"
		"b: x#y # ps-lint ignore=PST002\n"
		"c: 'v' # note # ps-lint ignore=PST001\n"
		"\n"
		"d: 2 # ps-lint ignore=PST002";
	struct ps_diags d = {0};
	struct ps_lint_ctx c;
	const char *l;
	size_t len;

	ctx_init(&c, text, &d, NULL);
	l = ps_lint_line(&c, 1, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(strncmp(l, "a: 1", 4), 0);
	l = ps_lint_line(&c, 5, &len);
	ck_assert_uint_eq(len, 0);
	l = ps_lint_line(&c, 6, &len);
	ck_assert_uint_eq(len, strlen("d: 2 # ps-lint ignore=PST002"));
	l = ps_lint_line(&c, 7, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(l, "");
	/* a CRLF comment line */
	ck_assert_ptr_null(ps_lint_report(&c, "PST001", 3, 1, "x"));
	/* only the first '#' of a line is looked at: "x#y" is no comment, so
	 * neither is what follows on that line */
	ck_assert_ptr_nonnull(ps_lint_report(&c, "PST002", 3, 1, "x"));
	/* a comment that is not a pragma hides a later '#' */
	ck_assert_ptr_nonnull(ps_lint_report(&c, "PST001", 4, 1, "x"));
	/* the last line without a newline */
	ck_assert_ptr_null(ps_lint_report(&c, "PST002", 6, 1, "x"));
	ck_assert_str_eq(d.v[0]->snippet, "b: x#y # ps-lint ignore=PST002");
	ps_lint_end(&c);
	ps_diags_free(&d);

	ctx_init(&c, "", &d, NULL);
	l = ps_lint_line(&c, 1, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(ps_lint_report(&c, "PST001", 1, 1, "x"));
	ps_lint_end(&c);
	ctx_init(&c, "x: 1\n\n", &d, NULL);
	ps_lint_line(&c, 2, &len);
	ck_assert_uint_eq(len, 0);
	l = ps_lint_line(&c, 1, &len);
	ck_assert_uint_eq(len, 4);
	ps_lint_line(&c, 3, &len);
	ck_assert_uint_eq(len, 0);
	ps_lint_end(&c);
	ps_diags_free(&d);
}
END_TEST

static int
yml(const char *rel, const char *base)
{
	size_t n = strlen(base);

	return n > 4 && strcmp(base + n - 4, ".yml") == 0;
}

START_TEST(collect_walks_a_tree_in_order)
{
	static const char *const keep[] = { ".github", NULL };
	struct ps_lint_files files = {0};
	struct ps_error err = {0};
	char path[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ps-lint-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/.github", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/.hidden", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/node_modules", tmpdir);
	mkdir(path, 0755);
	write_file("b.yml", "");
	write_file("a.yml", "");
	write_file("c.txt", "");
	write_file(".github/w.yml", "");
	write_file(".hidden/h.yml", "");
	write_file("node_modules/n.yml", "");
	ck_assert_int_eq(ps_lint_collect(&files, tmpdir, yml, keep, &err), 0);
	ck_assert_uint_eq(files.n, 3);
	ck_assert_ptr_nonnull(strstr(files.v[0], ".github/w.yml"));
	ck_assert_ptr_nonnull(strstr(files.v[1], "/a.yml"));
	ck_assert_ptr_nonnull(strstr(files.v[2], "/b.yml"));
	ck_assert_int_eq(ps_lint_collect(&files, "/no/such/dir", yml, NULL, &err), -1);
	ck_assert_int_eq(err.code, 2);
	ps_lint_files_free(&files);
}
END_TEST

/* A linter for the run test: one finding per file telling its length. */
static void
check_len(struct ps_lint_ctx *ctx, const struct ps_doc *doc, void *arg)
{
	ps_lint_report(ctx, "PST001", 1, 1, "%zu bytes", ctx->text_len);
}

START_TEST(run_reads_files_that_changed_since_collect)
{
	static const char *const prefixes[] = { "ps-lint", NULL };
	const struct ps_lint_tool tool = {
		"test", rules, 3, "test", prefixes, check_len, NULL,
	};
	struct ps_lint_files files = {0};
	struct ps_lint_run_opts o;
	struct ps_error err = {0};
	char path[256], big[100000], *out = NULL, want[512];
	size_t outlen = 0, i;
	FILE *f;
	enum ps_format fmts[] = { PS_FMT_GNU, PS_FMT_SARIF };

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ps-lint-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	write_file("a.yml", "a: 1\n");
	write_file("b.yml", "b: 22222222\n");
	write_file("c.yml", "");
	write_file("d.yml", "d: 4\n");
	ck_assert_int_eq(ps_lint_collect(&files, tmpdir, yml, NULL, &err), 0);
	ck_assert_uint_eq(files.n, 4);
	ck_assert_uint_eq(files.nsize, 4);
	ck_assert_int_eq(files.size[0], 5);
	ck_assert_int_eq(files.size[1], 12);
	ck_assert_int_eq(files.size[2], 0);
	/* sizes follow their files through the sort */
	snprintf(path, sizeof(path), "%s/b.yml", tmpdir);
	ck_assert_str_eq(files.v[1], path);
	/* after collect: a grows past a read's first piece, b shrinks, c fills */
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = i % 40 == 39 ? '\n' : 'x';
	big[0] = '#';
	big[sizeof(big) - 1] = '\0';
	write_file("a.yml", big);
	write_file("b.yml", "b: 2\n");
	write_file("c.yml", "c: 333\n");
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.render.format = fmts[i];
		o.render.fail_on = PS_SEV_ERROR;
		f = open_memstream(&out, &outlen);
		ck_assert_int_eq(ps_lint_run(&tool, &files, &o, f), 1);
		fclose(f);
		if (fmts[i] == PS_FMT_GNU) {
			/* rendered by the workers, written in the files' order */
			snprintf(want, sizeof(want),
				 "%s/a.yml:1:1: error: %zu bytes [PST001]\n"
				 "%s/b.yml:1:1: error: 5 bytes [PST001]\n"
				 "%s/c.yml:1:1: error: 7 bytes [PST001]\n"
				 "%s/d.yml:1:1: error: 5 bytes [PST001]\n",
				 tmpdir, sizeof(big) - 1, tmpdir, tmpdir, tmpdir);
			ck_assert_str_eq(out, want);
		} else {
			/* rendered by the calling thread */
			ck_assert_ptr_nonnull(strstr(out, "\"text\":\"7 bytes\""));
		}
		free(out);
		out = NULL;
	}
	ps_lint_files_free(&files);
}
END_TEST

START_TEST(main_takes_many_operands_in_order)
{
	static const char *const prefixes[] = { "ps-lint", NULL };
	const struct ps_lint_tool tool = {
		"test", rules, 3, "test", prefixes, check_len, NULL,
	};
	struct ps_cli_common common;
	struct ps_lint_run_opts o;
	struct ps_error err = {0};
	char *ops[80], *out = NULL, name[32], line[256];
	size_t outlen = 0, i, pos = 0;
	FILE *f;
	int st;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ps-lint-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(line, sizeof(line), "%s/sub", tmpdir);
	mkdir(line, 0755);
	write_file("sub/z.yml", "z: 1\n");
	write_file("sub/y.yml", "y: 22\n");
	/* operands 0..77 files in reverse name order, a missing one, the folder */
	for (i = 0; i < 78; i++) {
		snprintf(name, sizeof(name), "f%02zu.yml", 77 - i);
		write_file(name, "k: v\n");
		ops[i] = ps_xasprintf("%s/%s", tmpdir, name);
	}
	ops[78] = ps_xasprintf("%s/missing.yml", tmpdir);
	ops[79] = ps_xasprintf("%s/sub", tmpdir);
	memset(&common, 0, sizeof(common));
	common.format = PS_FMT_GNU;
	common.fail_on = PS_SEV_NONE;
	common.verbosity = -1;
	memset(&o, 0, sizeof(o));
	f = open_memstream(&out, &outlen);
	st = ps_lint_main(&tool, &common, &o, ops, 80, yml, NULL, f, &err);
	fclose(f);
	ck_assert_int_eq(st, 2);
	ck_assert_int_eq(err.code, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing.yml"));
	/* every operand in its place, the folder's files sorted at its own */
	for (i = 0; i < 78; i++) {
		snprintf(line, sizeof(line), "%s/f%02zu.yml:1:1: error: 5 bytes [PST001]\n",
			 tmpdir, 77 - i);
		ck_assert_int_eq(strncmp(out + pos, line, strlen(line)), 0);
		pos += strlen(line);
	}
	snprintf(line, sizeof(line), "%s/sub/y.yml:1:1: error: 6 bytes [PST001]\n"
		 "%s/sub/z.yml:1:1: error: 5 bytes [PST001]\n", tmpdir, tmpdir);
	ck_assert_str_eq(out + pos, line);
	free(out);
	for (i = 0; i < 80; i++)
		free(ops[i]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, pragmas_suppress_the_next_line);
	tcase_add_test(tc, global_pragma_and_refs);
	tcase_add_test(tc, rule_find_by_code_and_name);
	tcase_add_test(tc, config_is_found_upward_and_applies);
	tcase_add_test(tc, walk_matches_patterns);
	tcase_add_test(tc, walk_order_globstar_and_limits);
	tcase_add_test(tc, lines_and_pragmas_edge_cases);
	tcase_add_test(tc, collect_walks_a_tree_in_order);
	tcase_add_test(tc, run_reads_files_that_changed_since_collect);
	tcase_add_test(tc, main_takes_many_operands_in_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
