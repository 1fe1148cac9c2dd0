/*
 * Unit tests of lib/config: the YAML tree and its positions, anchors and
 * merge keys, the errors of the loader, comments, interpolation, the typed
 * getters and their messages, the standards' example files and the corpus.
 */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/config.h"
#include "lib/diag.h"

#define FIX "tests/fixtures/config/"

static struct ps_diags D;

static void
setup(void)
{
	memset(&D, 0, sizeof(D));
}

static void
teardown(void)
{
	ps_diags_free(&D);
}

static struct ps_doc *
load(const char *text)
{
	return ps_doc_load_mem("t.yml", text, strlen(text), &D);
}

/* The findings as "line:col: message" lines, for readable failures. */
static const char *
all_msgs(void)
{
	static char buf[8192];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < D.len && o < sizeof(buf) - 1; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%d:%d: %s\n",
				      D.v[i]->line, D.v[i]->col,
				      D.v[i]->message);
	return buf;
}

/* Whether a finding with exactly this position and message exists. */
static int
has(int line, int col, const char *msg)
{
	size_t i;

	for (i = 0; i < D.len; i++)
		if (D.v[i]->line == line && D.v[i]->col == col &&
		    strcmp(D.v[i]->message, msg) == 0)
			return 1;
	return 0;
}

#define ck_has(line, col, msg) \
	ck_assert_msg(has(line, col, msg), "missing %d:%d: %s; have:\n%s", \
		      line, col, msg, all_msgs())

#define ck_pos(n, l, c) do { \
	ck_assert_ptr_nonnull(n); \
	ck_assert_int_eq((n)->line, l); \
	ck_assert_int_eq((n)->col, c); \
} while (0)

/* ---- the tree and its positions ---- */

START_TEST(test_block_positions)
{
	struct ps_doc *doc = load("name: app\n"
				  "server:\n"
				  "  port: 8080\n"
				  "  hosts:\n"
				  "    - a.example\n"
				  "    - \"b.example\"\n");
	const struct ps_node *root = ps_doc_root(doc), *n;

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(D.len, 0);
	ck_assert_int_eq(root->kind, PS_NODE_MAP);
	ck_pos(root, 1, 1);
	ck_assert_int_eq(root->len, 2);
	/* a block mapping ends with its last value */
	ck_assert_int_eq(root->end_line, 6);
	ck_assert_int_eq(root->end_col, 18);
	n = ps_node_get(root, "name");
	ck_pos(n, 1, 7);
	ck_assert_int_eq(n->end_line, 1);
	ck_assert_int_eq(n->end_col, 10);
	ck_assert_str_eq(n->value, "app");
	ck_assert_int_eq(n->style, PS_STYLE_PLAIN);
	ck_pos(root->pairs[1].key, 2, 1);
	n = ps_node_get(root, "server");
	ck_assert_int_eq(n->kind, PS_NODE_MAP);
	ck_pos(n, 3, 3);
	ck_pos(ps_node_get(n, "port"), 3, 9);
	n = ps_node_path(root, "server.hosts");
	ck_assert_int_eq(n->kind, PS_NODE_SEQ);
	ck_pos(n, 5, 5);
	ck_assert_int_eq(n->len, 2);
	ck_pos(ps_node_at(n, 0), 5, 7);
	ck_pos(ps_node_at(n, 1), 6, 7);
	ck_assert_int_eq(ps_node_at(n, 1)->style, PS_STYLE_DOUBLE);
	ck_assert_str_eq(ps_node_at(n, 1)->value, "b.example");
	ck_assert_int_eq(ps_node_at(n, 1)->end_col, 18);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_flow_positions)
{
	struct ps_doc *doc = load("a: [1, {k: v}, 'q']\nb: {x: [], y: {}}\n");
	const struct ps_node *root = ps_doc_root(doc), *a, *m;

	ck_assert_int_eq(D.len, 0);
	a = ps_node_get(root, "a");
	ck_assert_int_eq(a->kind, PS_NODE_SEQ);
	ck_pos(a, 1, 4);
	ck_assert_int_eq(a->end_line, 1);
	ck_assert_int_eq(a->end_col, 20);	/* just past ']' */
	ck_pos(ps_node_at(a, 0), 1, 5);
	m = ps_node_at(a, 1);
	ck_assert_int_eq(m->kind, PS_NODE_MAP);
	ck_pos(m, 1, 8);
	ck_assert_int_eq(m->end_col, 14);
	ck_pos(ps_node_get(m, "k"), 1, 12);
	ck_assert_int_eq(ps_node_at(a, 2)->style, PS_STYLE_SINGLE);
	ck_pos(ps_node_at(a, 2), 1, 16);
	ck_assert_int_eq(ps_node_path(root, "b.x")->kind, PS_NODE_SEQ);
	ck_assert_int_eq(ps_node_path(root, "b.x")->len, 0);
	ck_assert_int_eq(ps_node_path(root, "b.y")->kind, PS_NODE_MAP);
	ck_pos(ps_node_path(root, "b.y"), 2, 15);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_multiline_scalars)
{
	struct ps_doc *doc = load("lit: |\n"
				  "  line one\n"
				  "  line two\n"
				  "fold: >-\n"
				  "  folded\n"
				  "  text\n"
				  "plain: first\n"
				  "  second\n"
				  "dq: \"a\n"
				  "  b\\tc\"\n"
				  "nul: \"x\\0y\"\n");
	const struct ps_node *root = ps_doc_root(doc), *n;

	ck_assert_int_eq(D.len, 0);
	n = ps_node_get(root, "lit");
	ck_assert_int_eq(n->style, PS_STYLE_LITERAL);
	ck_assert_str_eq(n->value, "line one\nline two\n");
	ck_pos(n, 1, 6);
	ck_assert_int_eq(n->end_line, 4);
	n = ps_node_get(root, "fold");
	ck_assert_int_eq(n->style, PS_STYLE_FOLDED);
	ck_assert_str_eq(n->value, "folded text");
	ck_pos(n, 4, 7);
	n = ps_node_get(root, "plain");
	ck_assert_str_eq(n->value, "first second");
	ck_pos(n, 7, 8);
	ck_assert_int_eq(n->end_line, 8);
	ck_assert_int_eq(n->end_col, 9);
	n = ps_node_get(root, "dq");
	ck_assert_str_eq(n->value, "a b\tc");
	ck_pos(n, 9, 5);
	n = ps_node_get(root, "nul");
	ck_assert_uint_eq(n->value_len, 3);
	ck_assert_int_eq(memcmp(n->value, "x\0y", 3), 0);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_tags_and_nulls)
{
	struct ps_doc *doc = load("a: !!str 1\nb: !Ref name\nc:\nd: ~\n"
				  "e: null\nf: ''\ng: !!str null\nh: [x]\n"
				  "i: {}\n");
	const struct ps_node *root = ps_doc_root(doc);

	ck_assert_int_eq(D.len, 0);
	ck_assert_str_eq(ps_node_get(root, "a")->tag, "!!str");
	ck_assert_str_eq(ps_node_get(root, "b")->tag, "!Ref");
	ck_assert_ptr_null(ps_node_get(root, "c")->tag);
	ck_assert(ps_node_is_null(ps_node_get(root, "c")));
	/* the empty value is placed just after the colon */
	ck_pos(ps_node_get(root, "c"), 3, 3);
	ck_assert(ps_node_is_null(ps_node_get(root, "d")));
	ck_assert(ps_node_is_null(ps_node_get(root, "e")));
	ck_assert(!ps_node_is_null(ps_node_get(root, "f")));
	ck_assert(!ps_node_is_null(ps_node_get(root, "g")));
	ck_assert(ps_node_is_null(ps_node_get(root, "missing")));
	ck_assert(ps_node_is_null(NULL));
	ck_assert_str_eq(ps_node_kind_name(ps_node_get(root, "c")), "null");
	ck_assert_str_eq(ps_node_kind_name(ps_node_get(root, "f")), "string");
	ck_assert_str_eq(ps_node_kind_name(ps_node_get(root, "h")), "list");
	ck_assert_str_eq(ps_node_kind_name(ps_node_get(root, "i")), "mapping");
	ck_assert_str_eq(ps_node_kind_name(NULL), "null");
	ck_assert(ps_node_is_scalar(ps_node_get(root, "a")));
	ck_assert(!ps_node_is_scalar(ps_node_get(root, "h")));
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_access_helpers)
{
	struct ps_doc *doc = load("backup:\n"
				  "  database:\n"
				  "    locations:\n"
				  "      - s3://b/db/\n"
				  "      - local://db/\n"
				  "  list: [[a, b], {c: d}]\n"
				  "  \"0\": zero\n");
	const struct ps_node *root = ps_doc_root(doc), *n;
	const struct ps_pair *p;

	n = ps_node_path(root, "backup.database.locations.1");
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->value, "local://db/");
	ck_assert_str_eq(ps_node_path(root, "backup.list.0.1")->value, "b");
	ck_assert_str_eq(ps_node_path(root, "backup.list.1.c")->value, "d");
	ck_assert_str_eq(ps_node_path(root, "backup.0")->value, "zero");
	ck_assert_ptr_null(ps_node_path(root, "backup.database.locations.2"));
	ck_assert_ptr_null(ps_node_path(root, "backup.nothing.here"));
	ck_assert_ptr_null(ps_node_path(root, "backup.list.x"));
	ck_assert_ptr_null(ps_node_path(root, "backup."));
	ck_assert_ptr_eq(ps_node_path(root, ""), root);
	ck_assert_ptr_null(ps_node_get(ps_node_path(root, "backup.list"), "0"));
	ck_assert_ptr_null(ps_node_at(root, 0));
	ck_assert_ptr_null(ps_node_get(NULL, "x"));
	p = ps_node_pair(root, "backup");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->key->value, "backup");
	ck_assert_int_eq(p->merged, 0);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_text_lines_and_file)
{
	const char *text = "a: 1\nbb: 2\r\ncc: 3";
	struct ps_doc *doc = load(text);
	size_t len;
	const char *s;

	ck_assert_str_eq(ps_doc_file(doc), "t.yml");
	s = ps_doc_text(doc, &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_int_eq(memcmp(s, text, len), 0);
	s = ps_doc_line(doc, 2, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(s, "bb: 2", 5), 0);
	s = ps_doc_line(doc, 3, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(s, "cc: 3", 5), 0);
	ck_assert_ptr_null(ps_doc_line(doc, 4, &len));
	ck_assert_ptr_null(ps_doc_line(doc, 0, &len));
	ck_pos(ps_node_get(ps_doc_root(doc), "cc"), 3, 5);
	ck_assert_uint_eq(ps_doc_count(doc), 1);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_bom_crlf_utf8_columns)
{
	struct ps_doc *doc = load("\xEF\xBB\xBF" "k\xC3\xA9y: v\r\n"
				  "x: \"\xC3\xA9\xC3\xA9\" # note\r\n");
	const struct ps_node *root = ps_doc_root(doc);
	int line, col;

	ck_assert_int_eq(D.len, 0);
	ck_pos(ps_node_get(root, "k\xC3\xA9y"), 1, 6);
	ck_pos(ps_node_get(root, "x"), 2, 4);
	ck_assert_uint_eq(ps_doc_ncomments(doc), 1);
	ck_assert_str_eq(ps_doc_comment(doc, 0, &line, &col), " note");
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(col, 9);	/* columns count characters */
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_empty_documents)
{
	struct ps_doc *doc = load("");

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_null(ps_doc_root(doc));
	ck_assert_uint_eq(ps_doc_count(doc), 0);
	ps_doc_free(doc);
	doc = load("# only a comment\n");
	ck_assert_ptr_null(ps_doc_root(doc));
	ck_assert_uint_eq(ps_doc_ncomments(doc), 1);
	ps_doc_free(doc);
	doc = load("---\n");
	ck_assert_ptr_null(ps_doc_root(doc));
	ck_assert_uint_eq(ps_doc_count(doc), 1);
	ps_doc_free(doc);
	ck_assert_int_eq(D.len, 0);
}
END_TEST

START_TEST(test_multiple_documents)
{
	struct ps_doc *doc = load("a: 1\n---\nb: 2\n---\nc: 3\n");

	ck_assert_int_eq(D.len, 0);
	ck_assert_uint_eq(ps_doc_count(doc), 3);
	ck_assert_ptr_nonnull(ps_node_get(ps_doc_root(doc), "a"));
	ck_assert_ptr_null(ps_node_get(ps_doc_root(doc), "b"));
	ps_doc_free(doc);
	/* an error in a later document: reported, the first one is kept */
	doc = load("a: 1\n---\nb: [\n");
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(ps_doc_count(doc), 2);
	ck_assert_int_eq(D.len, 1);
	ck_assert_int_eq(D.v[0]->line, 4);
	ps_doc_free(doc);
}
END_TEST

/* ---- anchors, aliases, merge keys ---- */

START_TEST(test_anchors_and_aliases)
{
	struct ps_doc *doc = load("base: &b {x: 1}\n"
				  "copy: *b\n"
				  "s: &s hello\n"
				  "t: *s\n"
				  "l: [*b, *s]\n");
	const struct ps_node *root = ps_doc_root(doc), *b;

	ck_assert_int_eq(D.len, 0);
	b = ps_node_get(root, "base");
	ck_assert_str_eq(b->anchor, "b");
	ck_assert_ptr_eq(ps_node_get(root, "copy"), b);
	ck_assert_ptr_eq(ps_node_get(root, "t"), ps_node_get(root, "s"));
	ck_assert_ptr_eq(ps_node_path(root, "l.0"), b);
	ck_assert_str_eq(ps_node_path(root, "l.1")->value, "hello");
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_merge_keys)
{
	struct ps_doc *doc = load("a: &a {x: 1, y: 1, z: 1}\n"
				  "b: &b {y: 2, w: 2}\n"
				  "one:\n"
				  "  k: 0\n"
				  "  <<: *a\n"
				  "  x: 9\n"
				  "many:\n"
				  "  <<: [*b, *a]\n"
				  "inline:\n"
				  "  <<: {q: 5}\n"
				  "quoted:\n"
				  "  \"<<\": *a\n");
	const struct ps_node *root = ps_doc_root(doc), *m;

	ck_assert_msg(D.len == 0, "%s", all_msgs());
	m = ps_node_get(root, "one");
	/* k, then the merged y and z in place of <<, then x */
	ck_assert_uint_eq(m->len, 4);
	ck_assert_str_eq(m->pairs[0].key->value, "k");
	ck_assert_str_eq(m->pairs[1].key->value, "y");
	ck_assert_int_eq(m->pairs[1].merged, 1);
	ck_assert_str_eq(m->pairs[2].key->value, "z");
	ck_assert_str_eq(m->pairs[3].key->value, "x");
	ck_assert_int_eq(m->pairs[3].merged, 0);
	/* a key written in the mapping wins, even after the << */
	ck_assert_str_eq(ps_node_get(m, "x")->value, "9");
	ck_assert_ptr_null(ps_node_get(m, "<<"));
	/* merged values keep their own positions */
	ck_pos(ps_node_get(m, "y"), 1, 17);
	m = ps_node_get(root, "many");
	ck_assert_uint_eq(m->len, 4);
	/* earlier sources win */
	ck_assert_str_eq(ps_node_get(m, "y")->value, "2");
	ck_assert_str_eq(ps_node_get(m, "w")->value, "2");
	ck_assert_str_eq(ps_node_get(m, "x")->value, "1");
	ck_assert_str_eq(ps_node_get(m, "z")->value, "1");
	ck_assert_str_eq(ps_node_path(root, "inline.q")->value, "5");
	/* a quoted "<<" is an ordinary key */
	ck_assert_ptr_nonnull(ps_node_get(ps_node_get(root, "quoted"), "<<"));
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_merge_errors)
{
	struct ps_doc *doc = load("a:\n  <<: 5\n  k: v\nb:\n  <<: [{x: 1}, 7]\n");

	ck_assert_ptr_nonnull(doc);
	ck_has(2, 7, "merge key \"<<\" needs a mapping or a list of mappings");
	ck_has(5, 16, "merge key \"<<\" needs a mapping or a list of mappings");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc), "a.k")->value, "v");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc), "b.x")->value, "1");
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_alias_errors)
{
	struct ps_doc *doc = load("a: *nope\n"
				  "b: &r\n"
				  "  c: *r\n");

	ck_assert_ptr_nonnull(doc);
	ck_has(1, 4, "unknown alias \"*nope\"");
	ck_has(3, 6, "recursive alias \"*r\" (anchor declared at line 2, "
		     "column 4)");
	ck_assert_str_eq(D.v[0]->rule, "yaml");
	ck_assert_int_eq(D.v[0]->severity, PS_SEV_ERROR);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_alias_bomb)
{
	struct ps_doc *doc = load(
		"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n");

	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	ck_assert_str_eq(D.v[0]->message,
			 "aliases expand to more than 1000000 nodes");
	ck_assert_int_eq(D.v[0]->line, 6);
	ck_assert_int_eq(D.v[0]->col, 44);
}
END_TEST

START_TEST(test_merge_bomb)
{
	struct ps_buf b = {0};
	struct ps_doc *doc;
	int i, j;

	/* merges copy pairs: they count towards the cap too */
	ps_buf_adds(&b, "m0: &m0 {");
	for (j = 0; j < 200; j++)
		ps_buf_addf(&b, "%sk%d: v", j ? ", " : "", j);
	ps_buf_adds(&b, "}\n");
	for (i = 1; i < 12; i++)
		ps_buf_addf(&b, "m%d: &m%d [*m%d, *m%d, *m%d, *m%d, *m%d, "
			    "*m%d, *m%d, *m%d]\n", i, i, i - 1, i - 1, i - 1,
			    i - 1, i - 1, i - 1, i - 1, i - 1);
	doc = load(ps_buf_str(&b));
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	ps_buf_free(&b);
}
END_TEST

/* ---- loader errors ---- */

START_TEST(test_duplicate_keys)
{
	struct ps_doc *doc = load("a: 1\n"
				  "b: 2\n"
				  "c:\n"
				  "  x: 1\n"
				  "  x: 2\n"
				  "a: 3\n");
	const struct ps_node *root = ps_doc_root(doc);

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(D.len, 2);
	ck_has(5, 3, "duplicate key \"x\" (first at line 4)");
	ck_has(6, 1, "duplicate key \"a\" (first at line 1)");
	ck_assert_str_eq(D.v[0]->rule, "yaml");
	ck_assert_str_eq(D.v[0]->file, "t.yml");
	/* the later key is kept in the tree too */
	ck_assert_uint_eq(root->len, 4);
	ck_assert_str_eq(root->pairs[3].value->value, "3");
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_duplicate_keys_large_map)
{
	struct ps_buf b = {0};
	struct ps_doc *doc;
	int i;

	for (i = 0; i < 5000; i++)
		ps_buf_addf(&b, "key%d: %d\n", i, i);
	ps_buf_adds(&b, "key17: again\nkey4999: again\n");
	doc = load(ps_buf_str(&b));
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(D.len, 2);
	ck_has(5001, 1, "duplicate key \"key17\" (first at line 18)");
	ck_has(5002, 1, "duplicate key \"key4999\" (first at line 5000)");
	ck_assert_uint_eq(ps_doc_root(doc)->len, 5002);
	ps_doc_free(doc);
	ps_buf_free(&b);
}
END_TEST

START_TEST(test_tabs)
{
	struct ps_doc *doc = load("a:\n\tb: 1\n");

	ck_assert_ptr_null(doc);
	/* the tab explains libyaml's own error, which is not repeated */
	ck_assert_int_eq(D.len, 1);
	ck_has(2, 1, "tab character used for indentation");
	ck_assert_str_eq(D.v[0]->rule, "yaml");
	ps_diags_free(&D);
	memset(&D, 0, sizeof(D));
	doc = load("a:\n  b: 1\n  \tc: 2\n");
	ck_assert_ptr_null(doc);
	ck_has(3, 3, "tab character used for indentation");
	ps_diags_free(&D);
	memset(&D, 0, sizeof(D));
	/* tabs inside block scalars and flow collections are fine */
	doc = load("s: |\n  a\tb\n  \tc\nf: [1,\n\t2]\nq: \"x\n\ty\"\n");
	ck_assert_ptr_nonnull(doc);
	ck_assert_msg(D.len == 0, "%s", all_msgs());
	ck_assert_str_eq(ps_node_get(ps_doc_root(doc), "s")->value,
			 "a\tb\n\tc\n");
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_syntax_errors)
{
	struct ps_doc *doc = load("a: b: c\n");

	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	ck_has(1, 5, "mapping values are not allowed in this context");
	ck_assert_str_eq(D.v[0]->rule, "yaml");
	ck_assert_int_eq(D.v[0]->severity, PS_SEV_ERROR);
	ck_assert_str_eq(D.v[0]->snippet, "a: b: c");
	ps_diags_free(&D);
	memset(&D, 0, sizeof(D));
	doc = load("list:\n  - a\n  b: 1\n");
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	/* libyaml's context, when it is elsewhere, follows in parentheses */
	ck_has(3, 3, "did not find expected '-' indicator (while parsing a "
		     "block collection at line 2, column 3)");
	ps_diags_free(&D);
	memset(&D, 0, sizeof(D));
	doc = load("a: \"unterminated\n");
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	ck_assert_ptr_nonnull(strstr(D.v[0]->message,
				     "found unexpected end of stream"));
	ps_diags_free(&D);
	memset(&D, 0, sizeof(D));
	/* invalid UTF-8: the reader's error, placed by byte offset */
	doc = load("a: ok\nb: \xff\n");
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	ck_assert_int_eq(D.v[0]->line, 2);
	ck_assert_int_eq(D.v[0]->col, 4);
}
END_TEST

START_TEST(test_depth_limit)
{
	struct ps_buf b = {0};
	struct ps_doc *doc;
	int i;

	for (i = 0; i < 1500; i++)
		ps_buf_addc(&b, '[');
	for (i = 0; i < 1500; i++)
		ps_buf_addc(&b, ']');
	doc = load(ps_buf_str(&b));
	ck_assert_ptr_null(doc);
	ck_has(1, 1001, "nesting deeper than 1000 levels");
	ps_buf_free(&b);
}
END_TEST

START_TEST(test_unreadable_file)
{
	struct ps_doc *doc = ps_doc_load("tests/fixtures/config/nope.yml", &D);

	ck_assert_ptr_null(doc);
	ck_assert_int_eq(D.len, 1);
	ck_assert_str_eq(D.v[0]->message, "cannot open 'tests/fixtures/config/"
					  "nope.yml': No such file or "
					  "directory");
	ck_assert_int_eq(D.v[0]->line, 0);
	ck_assert_str_eq(D.v[0]->file, "tests/fixtures/config/nope.yml");
	ck_assert_str_eq(D.v[0]->rule, "yaml");
}
END_TEST

START_TEST(test_load_stdin)
{
	struct ps_doc *doc;

	ck_assert_ptr_nonnull(freopen(FIX "backup.yml", "r", stdin));
	doc = ps_doc_load("-", &D);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(ps_doc_file(doc), "-");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "backup.configuration.retention")->value,
			 "90");
	ps_doc_free(doc);
}
END_TEST

/* ---- comments ---- */

START_TEST(test_comments)
{
	struct ps_doc *doc = load("# head\n"
				  "a: 1 # one\n"
				  "b: \"x # not\" #two\n"
				  "c: 'y # not'\n"
				  "d: e#f\n"
				  "s: |  # header\n"
				  "  # inside the block\n"
				  "  text\n"
				  "# after\n"
				  "l: [1, # in flow\n"
				  "  2]\n"
				  "   # indented\r\n");
	static const struct {
		const char *text;
		int line, col;
	} want[] = {
		{ " head", 1, 1 }, { " one", 2, 6 }, { "two", 3, 14 },
		{ " header", 6, 7 }, { " after", 9, 1 },
		{ " in flow", 10, 8 }, { " indented", 12, 4 },
	};
	size_t i;

	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(ps_doc_ncomments(doc), PS_ARRAY_LEN(want));
	for (i = 0; i < PS_ARRAY_LEN(want); i++) {
		int line = 0, col = 0;
		const char *t = ps_doc_comment(doc, i, &line, &col);

		ck_assert_str_eq(t, want[i].text);
		ck_assert_int_eq(line, want[i].line);
		ck_assert_int_eq(col, want[i].col);
	}
	ck_assert_ptr_null(ps_doc_comment(doc, 99, NULL, NULL));
	ck_assert_str_eq(ps_node_get(ps_doc_root(doc), "d")->value, "e#f");
	ck_assert_str_eq(ps_node_get(ps_doc_root(doc), "s")->value,
			 "# inside the block\ntext\n");
	ps_doc_free(doc);
}
END_TEST

/* ---- interpolation ---- */

START_TEST(test_interpolate)
{
	struct ps_error err = {0};
	char *s;

	setenv("PS_T_SET", "value", 1);
	setenv("PS_T_EMPTY", "", 1);
	unsetenv("PS_T_UNSET");
	s = ps_cfg_interpolate("a ${PS_T_SET} b", &err);
	ck_assert_str_eq(s, "a value b");
	free(s);
	s = ps_cfg_interpolate("${PS_T_UNSET:-dflt}/${PS_T_EMPTY:-e}/"
			       "${PS_T_EMPTY-e}/${PS_T_UNSET-u}", &err);
	ck_assert_str_eq(s, "dflt/e//u");
	free(s);
	s = ps_cfg_interpolate("cost $$5 and $HOME stays", &err);
	ck_assert_str_eq(s, "cost $5 and $HOME stays");
	free(s);
	s = ps_cfg_interpolate("${PS_T_UNSET:-${PS_T_SET}}", &err);
	ck_assert_str_eq(s, "value");
	free(s);
	s = ps_cfg_interpolate("${PS_T_SET:+alt}${PS_T_UNSET:+no}", &err);
	ck_assert_str_eq(s, "alt");
	free(s);
	s = ps_cfg_interpolate("", &err);
	ck_assert_str_eq(s, "");
	free(s);

	s = ps_cfg_interpolate("x ${PS_T_UNSET} y", &err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err.msg, "environment variable \"PS_T_UNSET\" is "
				  "not set");
	ck_assert_int_eq(err.col, 3);
	s = ps_cfg_interpolate("abc ${PS_T_SET", &err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.col, 5);
	ck_assert_ptr_nonnull(strstr(err.msg, "unterminated"));
	s = ps_cfg_interpolate("${}", &err);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid variable reference"));
	s = ps_cfg_interpolate("${9X}", &err);
	ck_assert_ptr_null(s);
	s = ps_cfg_interpolate("${A B}", &err);
	ck_assert_ptr_null(s);
	s = ps_cfg_interpolate("${PS_T_UNSET:?needed for the db}", &err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err.msg, "environment variable \"PS_T_UNSET\" is "
				  "not set: needed for the db");

	ck_assert(ps_cfg_has_ref("${X}"));
	ck_assert(ps_cfg_has_ref("pre ${X:-d} post"));
	ck_assert(!ps_cfg_has_ref("$X"));
	ck_assert(!ps_cfg_has_ref("$${X}"));
	ck_assert(!ps_cfg_has_ref("${X"));
	ck_assert(!ps_cfg_has_ref("plain"));
	ck_assert(!ps_cfg_has_ref(NULL));
}
END_TEST

/* ---- typed getters ---- */

static struct ps_doc *
ck_load(struct ps_cfgck *ck, const char *text)
{
	struct ps_doc *doc = load(text);

	memset(ck, 0, sizeof(*ck));
	ck->doc = doc;
	ck->diags = &D;
	ck->tool = "ps-test";
	return doc;
}

START_TEST(test_getters_ok)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = ck_load(&ck,
		"name: app\n"
		"count: 42\n"
		"quoted: \"30\"\n"
		"neg: -7\n"
		"hex: 0x1F\n"
		"ratio: 0.25\n"
		"flags: [true, False, YES, no, On, OFF]\n"
		"wait: 30s\n"
		"long_wait: 4 hours\n"
		"bare: 90\n"
		"limit: 50MB\n"
		"big: 1.5GiB\n"
		"mode: full\n"
		"list: [a, b]\n"
		"one: solo\n"
		"map: {k: v}\n"
		"number_as_string: 3.8\n");
	const struct ps_node *root = ps_doc_root(doc), *n;
	static const char *const modes[] = { "incremental", "full", NULL };
	const char *const *list;
	const char *s;
	long l;
	double d;
	int b, e;
	unsigned long long sz;
	size_t cnt;

	ck_assert_int_eq(ps_cfg_str(&ck, root, "name", 1, &s), 1);
	ck_assert_str_eq(s, "app");
	ck_assert_int_eq(ps_cfg_str(&ck, root, "number_as_string", 1, &s), 1);
	ck_assert_str_eq(s, "3.8");
	ck_assert_int_eq(ps_cfg_long(&ck, root, "count", 1, 0, 100, NULL, &l), 1);
	ck_assert_int_eq(l, 42);
	ck_assert_int_eq(ps_cfg_long(&ck, root, "quoted", 1, LONG_MIN,
				     LONG_MAX, NULL, &l), 1);
	ck_assert_int_eq(l, 30);
	ck_assert_int_eq(ps_cfg_long(&ck, root, "neg", 1, LONG_MIN, LONG_MAX,
				     NULL, &l), 1);
	ck_assert_int_eq(l, -7);
	ck_assert_int_eq(ps_cfg_long(&ck, root, "hex", 1, LONG_MIN, LONG_MAX,
				     NULL, &l), 1);
	ck_assert_int_eq(l, 31);
	ck_assert_int_eq(ps_cfg_double(&ck, root, "ratio", 1, NULL, &d), 1);
	ck_assert_double_eq(d, 0.25);
	ck_assert_int_eq(ps_cfg_double(&ck, root, "count", 1, NULL, &d), 1);
	ck_assert_double_eq(d, 42);
	n = ps_node_get(root, "flags");
	{
		static const int want[] = { 1, 0, 1, 0, 1, 0 };
		size_t i;

		for (i = 0; i < n->len; i++) {
			struct ps_node m = { .kind = PS_NODE_MAP };
			struct ps_node k = { .kind = PS_NODE_SCALAR,
					     .value = "f", .value_len = 1 };
			struct ps_pair p = { &k, n->items[i], 0 };

			m.len = 1;
			m.pairs = &p;
			b = -1;
			ck_assert_int_eq(ps_cfg_bool(&ck, &m, "f", 1, &b), 1);
			ck_assert_int_eq(b, want[i]);
		}
	}
	ck_assert_int_eq(ps_cfg_duration(&ck, root, "wait", 1, &d), 1);
	ck_assert_double_eq(d, 30);
	ck_assert_int_eq(ps_cfg_duration(&ck, root, "long_wait", 1, &d), 1);
	ck_assert_double_eq(d, 14400);
	ck_assert_int_eq(ps_cfg_duration(&ck, root, "bare", 1, &d), 1);
	ck_assert_double_eq(d, 90);
	ck_assert_int_eq(ps_cfg_size(&ck, root, "limit", 1, &sz), 1);
	ck_assert_uint_eq(sz, 50000000ULL);
	ck_assert_int_eq(ps_cfg_size(&ck, root, "big", 1, &sz), 1);
	ck_assert_uint_eq(sz, 1610612736ULL);
	ck_assert_int_eq(ps_cfg_enum(&ck, root, "mode", 1, modes, &e), 1);
	ck_assert_int_eq(e, 1);
	ck_assert_int_eq(ps_cfg_seq(&ck, root, "list", 1, &n), 1);
	ck_assert_uint_eq(n->len, 2);
	ck_assert_int_eq(ps_cfg_map(&ck, root, "map", 1, &n), 1);
	ck_assert_str_eq(ps_node_get(n, "k")->value, "v");
	ck_assert_int_eq(ps_cfg_strlist(&ck, root, "list", 1, &list, &cnt), 1);
	ck_assert_uint_eq(cnt, 2);
	ck_assert_str_eq(list[0], "a");
	ck_assert_str_eq(list[1], "b");
	ck_assert_ptr_null(list[2]);
	ck_assert_int_eq(ps_cfg_strlist(&ck, root, "one", 1, &list, &cnt), 1);
	ck_assert_uint_eq(cnt, 1);
	ck_assert_str_eq(list[0], "solo");
	ck_assert_ptr_null(list[1]);

	/* absent and not required: 0, out untouched, no finding */
	l = 5;
	ck_assert_int_eq(ps_cfg_long(&ck, root, "nope", 0, 0, 9, NULL, &l), 0);
	ck_assert_int_eq(l, 5);
	s = "untouched";
	ck_assert_int_eq(ps_cfg_str(&ck, root, "nope", 0, &s), 0);
	ck_assert_str_eq(s, "untouched");
	ck_assert_int_eq(ps_cfg_seq(&ck, root, "nope", 0, &n), 0);
	ck_assert_msg(D.len == 0, "%s", all_msgs());
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_getter_messages)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = ck_load(&ck,
		"retention: thirty\n"
		"days: 40000\n"
		"ratio: lots\n"
		"enabled: maybe\n"
		"timeout: 5 parsecs\n"
		"limit: huge\n"
		"mode: ful\n"
		"locations: {a: b}\n"
		"settings: [1, 2]\n"
		"name: {x: 1}\n"
		"tools: [trivy, {x: 1}, ~]\n"
		"empty:\n"
		"float: 2.5\n");
	const struct ps_node *root = ps_doc_root(doc), *n = NULL;
	static const char *const modes[] = { "full", "incremental", NULL };
	const char *const *list = NULL;
	const char *s = NULL;
	long l = 0;
	double d = 0;
	int b = 0, e = 0;
	unsigned long long sz = 0;

	ck_assert_int_eq(ps_cfg_long(&ck, root, "retention", 1, 0, 36500,
				     "a whole number of days", &l), -1);
	ck_has(1, 12, "retention: expected a whole number of days, got "
		      "\"thirty\"");
	ck_assert_int_eq(ps_cfg_long(&ck, root, "days", 1, 0, 36500,
				     "a whole number of days", &l), -1);
	ck_has(2, 7, "days: expected a whole number of days from 0 to 36500, "
		     "got \"40000\"");
	ck_assert_int_eq(ps_cfg_long(&ck, root, "float", 1, 1, LONG_MAX,
				     NULL, &l), -1);
	ck_has(13, 8, "float: expected a whole number, got \"2.5\"");
	ck_assert_int_eq(ps_cfg_double(&ck, root, "ratio", 1, NULL, &d), -1);
	ck_has(3, 8, "ratio: expected a number, got \"lots\"");
	ck_assert_int_eq(ps_cfg_bool(&ck, root, "enabled", 1, &b), -1);
	ck_has(4, 10, "enabled: expected true or false, got \"maybe\"");
	ck_assert_int_eq(ps_cfg_duration(&ck, root, "timeout", 1, &d), -1);
	ck_has(5, 10, "timeout: expected a duration (like 30s, 5m or 4 hours), "
		      "got \"5 parsecs\"");
	ck_assert_int_eq(ps_cfg_size(&ck, root, "limit", 1, &sz), -1);
	ck_has(6, 8, "limit: expected a size (like 512, 50MB or 1.5GiB), got "
		     "\"huge\"");
	ck_assert_int_eq(ps_cfg_enum(&ck, root, "mode", 1, modes, &e), -1);
	ck_has(7, 7, "mode: expected one of full, incremental, got \"ful\" "
		     "(did you mean \"full\"?)");
	ck_assert_int_eq(ps_cfg_seq(&ck, root, "locations", 1, &n), -1);
	ck_has(8, 12, "locations: expected a list, got a mapping");
	ck_assert_int_eq(ps_cfg_map(&ck, root, "settings", 1, &n), -1);
	ck_has(9, 11, "settings: expected a mapping, got a list");
	ck_assert_int_eq(ps_cfg_str(&ck, root, "name", 1, &s), -1);
	ck_has(10, 7, "name: expected a string, got a mapping");
	ck_assert_int_eq(ps_cfg_strlist(&ck, root, "tools", 1, &list, NULL), -1);
	ck_has(11, 16, "tools[1]: expected a string, got a mapping");
	ck_has(11, 24, "tools[2]: expected a string, got null");
	ck_assert_int_eq(ps_cfg_strlist(&ck, root, "locations", 1, &list,
					NULL), -1);
	ck_has(8, 12, "locations: expected a string or a list of strings, got "
		      "a mapping");
	/* a required key that is missing: placed at the mapping */
	ck_assert_int_eq(ps_cfg_seq(&ck, root, "missing", 1, &n), -1);
	ck_has(1, 1, "missing required key \"missing\"");
	/* a required key without a value */
	ck_assert_int_eq(ps_cfg_str(&ck, root, "empty", 1, &s), -1);
	ck_has(12, 7, "empty: expected a string, got null");
	/* not required and null: absent */
	ck_assert_int_eq(ps_cfg_str(&ck, root, "empty", 0, &s), 0);
	/* a wrong kind is an error even when not required */
	ck_assert_int_eq(ps_cfg_map(&ck, root, "settings", 0, &n), -1);
	ck_assert_uint_eq(D.len, 17);
	/* outputs untouched on failure */
	ck_assert_int_eq(l, 0);
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(list);
	/* the findings carry the rule, tool, file, end and snippet */
	ck_assert_str_eq(D.v[0]->rule, "config");
	ck_assert_str_eq(D.v[0]->tool, "ps-test");
	ck_assert_str_eq(D.v[0]->file, "t.yml");
	ck_assert_int_eq(D.v[0]->severity, PS_SEV_ERROR);
	ck_assert_int_eq(D.v[0]->end_line, 1);
	ck_assert_int_eq(D.v[0]->end_col, 18);
	ck_assert_str_eq(D.v[0]->snippet, "retention: thirty");
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_getters_on_bad_maps)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = ck_load(&ck, "- a\n- b\n");
	const char *s;
	long l;

	/* the root is not a mapping: one finding, however many getters */
	ck_assert_int_eq(ps_cfg_str(&ck, ps_doc_root(doc), "a", 1, &s), -1);
	ck_assert_int_eq(ps_cfg_str(&ck, ps_doc_root(doc), "a", 0, &s), -1);
	ck_assert_int_eq(D.len, 1);
	ck_has(1, 1, "expected a mapping with \"a\", got a list");
	ps_doc_free(doc);
	/* an empty file: a required key is missing from the whole file */
	doc = ck_load(&ck, "# nothing\n");
	ck_assert_int_eq(ps_cfg_long(&ck, ps_doc_root(doc), "x", 1, 0, 1,
				     NULL, &l), -1);
	ck_has(0, 0, "missing required key \"x\"");
	ck_assert_int_eq(ps_cfg_long(&ck, ps_doc_root(doc), "y", 0, 0, 1,
				     NULL, &l), 0);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_getters_interpolate)
{
	struct ps_cfgck ck;
	struct ps_doc *doc;
	const struct ps_node *root;
	const char *s;
	long l;

	setenv("PS_T_DAYS", "14", 1);
	setenv("PS_T_WORD", "thirty", 1);
	unsetenv("PS_T_UNSET");
	doc = ck_load(&ck, "retention: ${PS_T_DAYS}\n"
			   "bad: ${PS_T_WORD}\n"
			   "url: \"db://${PS_T_UNSET}/x\"\n"
			   "dflt: ${PS_T_UNSET:-fallback}\n"
			   "raw: ${PS_T_DAYS}\n"
			   "list: [\"${PS_T_DAYS}\", x]\n");
	ck.interpolate = 1;
	root = ps_doc_root(doc);
	ck_assert_int_eq(ps_cfg_long(&ck, root, "retention", 1, 0, 100, NULL,
				     &l), 1);
	ck_assert_int_eq(l, 14);
	ck_assert_int_eq(ps_cfg_long(&ck, root, "bad", 1, 0, 100,
				     "a whole number of days", &l), -1);
	ck_has(2, 6, "bad: expected a whole number of days, got \"thirty\"");
	ck_assert_int_eq(ps_cfg_str(&ck, root, "url", 1, &s), -1);
	ck_has(3, 12, "url: environment variable \"PS_T_UNSET\" is not set");
	ck_assert_int_eq(ps_cfg_str(&ck, root, "dflt", 1, &s), 1);
	ck_assert_str_eq(s, "fallback");
	ck_assert_str_eq(ps_cfg_scalar(&ck, ps_node_get(root, "raw")), "14");
	ck_assert_ptr_null(ps_cfg_scalar(&ck, ps_node_get(root, "url")));
	ck_assert_ptr_null(ps_cfg_scalar(&ck, ps_node_get(root, "list")));
	{
		const char *const *list;
		size_t n;

		ck_assert_int_eq(ps_cfg_strlist(&ck, root, "list", 1, &list,
						&n), 1);
		ck_assert_str_eq(list[0], "14");
	}
	/* the tree itself keeps the text as written */
	ck_assert_str_eq(ps_node_get(root, "raw")->value, "${PS_T_DAYS}");
	ck.interpolate = 0;
	ck_assert_str_eq(ps_cfg_scalar(&ck, ps_node_get(root, "raw")),
			 "${PS_T_DAYS}");
	ck_assert_uint_eq(D.len, 3);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_known_keys)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = ck_load(&ck, "monitoring:\n"
					  "  base: &b {timout: 1}\n"
					  "  check:\n"
					  "    name: web\n"
					  "    intervall: 30s\n"
					  "    zzz: 1\n"
					  "    <<: *b\n");
	static const char *const known[] = { "name", "interval", "timeout",
					     "retries", NULL };
	const struct ps_node *c = ps_node_path(ps_doc_root(doc),
					       "monitoring.check");

	ps_cfg_known_keys(&ck, c, known);
	ck_assert_uint_eq(D.len, 3);
	ck_has(5, 5, "unknown key \"intervall\" (did you mean \"interval\"?)");
	ck_has(6, 5, "unknown key \"zzz\"");
	ck_has(2, 13, "unknown key \"timout\" (did you mean \"timeout\"?)");
	ck_assert_str_eq(D.v[0]->rule, "config-unknown-key");
	ck_assert_int_eq(D.v[0]->severity, PS_SEV_WARNING);
	/* a merged key is reported once, at the place it is written */
	ps_cfg_known_keys(&ck, c, known);
	ck_assert_uint_eq(D.len, 5);
	ck_assert_uint_eq(ps_diags_count(&D, PS_SEV_ERROR), 0);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_cfg_error_and_warn)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = ck_load(&ck, "a: 1\n");

	ps_cfg_error(&ck, ps_node_get(ps_doc_root(doc), "a"), "bad %s", "a");
	ps_cfg_warn(&ck, NULL, "whole file %d", 1);
	ck_assert_uint_eq(D.len, 2);
	ck_has(1, 4, "bad a");
	ck_assert_str_eq(D.v[0]->rule, "config");
	ck_assert_int_eq(D.v[0]->severity, PS_SEV_ERROR);
	ck_has(0, 0, "whole file 1");
	ck_assert_int_eq(D.v[1]->severity, PS_SEV_WARNING);
	ps_doc_free(doc);
}
END_TEST

/* ---- the standards' example files ---- */

static struct ps_doc *
load_fixture(struct ps_cfgck *ck, const char *name)
{
	char path[256];
	struct ps_doc *doc;

	snprintf(path, sizeof(path), FIX "%s", name);
	doc = ps_doc_load(path, &D);
	ck_assert_msg(doc != NULL, "%s: %s", path, all_msgs());
	ck_assert_msg(D.len == 0, "%s: %s", path, all_msgs());
	memset(ck, 0, sizeof(*ck));
	ck->doc = doc;
	ck->diags = &D;
	return doc;
}

START_TEST(test_standards_backup)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = load_fixture(&ck, "backup.yml");
	const struct ps_node *b, *set;
	static const char *const sets[] = { "database", "application_data",
					    "configuration" };
	static const long ret[] = { 30, 7, 90 };
	size_t i;

	ck_assert_int_eq(ps_cfg_map(&ck, ps_doc_root(doc), "backup", 1, &b), 1);
	ck_assert_uint_eq(b->len, 3);
	for (i = 0; i < 3; i++) {
		const char *sched;
		const char *const *locs;
		size_t n;
		long days;
		int on;

		ck_assert_int_eq(ps_cfg_map(&ck, b, sets[i], 1, &set), 1);
		ck_assert_int_eq(ps_cfg_bool(&ck, set, "enabled", 1, &on), 1);
		ck_assert_int_eq(on, 1);
		ck_assert_int_eq(ps_cfg_str(&ck, set, "schedule", 1, &sched), 1);
		ck_assert_int_eq(ps_cfg_long(&ck, set, "retention", 1, 0, 36500,
					     "a whole number of days", &days), 1);
		ck_assert_int_eq(days, ret[i]);
		ck_assert_int_eq(ps_cfg_strlist(&ck, set, "locations", 1, &locs,
						&n), 1);
		ck_assert_uint_eq(n, i == 0 ? 2 : 1);
	}
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "backup.database.schedule")->value,
			 "0 1 * * *");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "backup.database.locations.1")->value,
			 "local://backups/database/");
	/* the "# days" comments are there for pragmas */
	ck_assert_uint_eq(ps_doc_ncomments(doc), 7);
	ck_assert_uint_eq(D.len, 0);
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_standards_others)
{
	struct ps_cfgck ck;
	struct ps_doc *doc;
	const struct ps_node *n;
	double secs;
	int on;

	doc = load_fixture(&ck, "monitoring.yml");
	n = ps_node_path(ps_doc_root(doc), "monitoring.health_checks.1");
	ck_assert_int_eq(ps_cfg_duration(&ck, n, "interval", 1, &secs), 1);
	ck_assert_double_eq(secs, 60);
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "monitoring.alerts.0.condition")->value,
			 "error_rate > 0.05");
	ck_assert_uint_eq(ps_node_path(ps_doc_root(doc),
				       "monitoring.metrics.0.labels")->len, 3);
	ps_doc_free(doc);

	doc = load_fixture(&ck, "disaster-recovery.yml");
	n = ps_node_path(ps_doc_root(doc), "disaster_recovery.objectives");
	ck_assert_int_eq(ps_cfg_duration(&ck, n, "rto", 1, &secs), 1);
	ck_assert_double_eq(secs, 4 * 3600);
	ck_assert_int_eq(ps_cfg_duration(&ck, n, "rpo", 1, &secs), 1);
	ck_assert_double_eq(secs, 3600);
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "disaster_recovery.testing.schedule")->value,
			 "quarterly");
	ps_doc_free(doc);

	doc = load_fixture(&ck, "security-scan.yml");
	n = ps_node_path(ps_doc_root(doc), "security.container_scanning");
	ck_assert_int_eq(ps_cfg_bool(&ck, n, "enabled", 1, &on), 1);
	ck_assert_str_eq(ps_node_get(n, "schedule")->value, "0 2 * * *");
	ck_assert_uint_eq(ps_doc_ncomments(doc), 4);
	ps_doc_free(doc);

	doc = load_fixture(&ck, "docker-compose.yml");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "services.app.healthcheck.test.2")->value,
			 "-f");
	ck_assert(ps_node_is_null(ps_node_path(ps_doc_root(doc),
					       "volumes.postgres_data")));
	ck_assert(ps_cfg_has_ref(ps_node_path(ps_doc_root(doc),
				 "services.app.environment.0")->value));
	ps_doc_free(doc);

	doc = load_fixture(&ck, "serverless.yml");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc),
				      "functions.dailySummary.events.0.schedule")
				 ->value,
			 "cron(0 12 * * ? *)");
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc), "provider.stage")->value,
			 "${opt:stage, 'dev'}");
	ps_doc_free(doc);

	doc = load_fixture(&ck, "ci-workflow.yml");
	n = ps_node_path(ps_doc_root(doc), "jobs.test.steps.2.run");
	ck_assert_int_eq(n->style, PS_STYLE_LITERAL);
	ck_assert_ptr_nonnull(strstr(n->value, "pip install -r requirements.txt"));
	ck_assert_str_eq(ps_node_path(ps_doc_root(doc), "on.push.branches.1")
				 ->value, "develop");
	ps_doc_free(doc);
}
END_TEST

START_TEST(test_collects_every_error)
{
	struct ps_cfgck ck;
	struct ps_doc *doc = ps_doc_load(FIX "backup-bad.yml", &D);
	const struct ps_node *b, *set;
	static const char *const known[] = { "enabled", "schedule", "retention",
					     "locations", NULL };
	size_t i;

	ck_assert_ptr_nonnull(doc);
	memset(&ck, 0, sizeof(ck));
	ck.doc = doc;
	ck.diags = &D;
	ck_assert_int_eq(ps_cfg_map(&ck, ps_doc_root(doc), "backup", 1, &b), 1);
	for (i = 0; i < b->len; i++) {
		const char *const *locs;
		long days;
		int on;

		set = b->pairs[i].value;
		if (set->kind != PS_NODE_MAP) {
			ps_cfg_error(&ck, set, "%s: expected a mapping",
				     b->pairs[i].key->value);
			continue;
		}
		ps_cfg_known_keys(&ck, set, known);
		ps_cfg_bool(&ck, set, "enabled", 0, &on);
		ps_cfg_long(&ck, set, "retention", 1, 0, 36500,
			    "a whole number of days", &days);
		ps_cfg_strlist(&ck, set, "locations", 1, &locs, NULL);
	}
	ck_has(7, 16, "retention: expected a whole number of days, got "
		      "\"thirty\"");
	ck_has(5, 14, "enabled: expected true or false, got \"sometimes\"");
	ck_has(4, 5, "missing required key \"locations\"");
	ck_has(13, 5, "unknown key \"shedule\" (did you mean \"schedule\"?)");
	ck_has(15, 16, "locations: expected a string or a list of strings, "
		       "got a mapping");
	ck_has(10, 16, "retention: expected a whole number of days from 0 to "
		       "36500, got \"-3\"");
	ck_assert_msg(D.len == 6, "%s", all_msgs());
	ck_assert_uint_eq(ps_diags_count(&D, PS_SEV_ERROR), 5);
	ps_doc_free(doc);
}
END_TEST

/* ---- the corpus: every file loads without crashing ---- */

static size_t corpus_files, corpus_docs, corpus_findings;

static void
walk_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || strcmp(e->d_name, "expected") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk_corpus(path);
		} else if ((len > 4 && strcmp(e->d_name + len - 4, ".yml") == 0) ||
			   (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)) {
			struct ps_diags dd = {0};
			struct ps_doc *doc = ps_doc_load(path, &dd);
			size_t i;

			corpus_files++;
			corpus_findings += dd.len;
			for (i = 0; i < dd.len; i++)
				ck_assert_int_ge(dd.v[i]->line, 1);
			if (doc) {
				corpus_docs++;
				if (ps_doc_root(doc))
					ck_assert_uint_ge(ps_doc_count(doc), 1);
			} else {
				/* no document only with a reason */
				ck_assert_uint_ge(dd.len, 1);
			}
			ps_doc_free(doc);
			ps_diags_free(&dd);
		}
	}
	closedir(d);
}

START_TEST(test_corpus)
{
	static const char *const kinds[] = { "compose", "workflow",
					     "serverless" };
	char dir[256];
	size_t i;
	struct stat st;

	if (stat("../shared/corpus", &st) < 0) {
		printf("test_corpus: ../shared/corpus absent, skipped\n");
		return;
	}
	for (i = 0; i < PS_ARRAY_LEN(kinds); i++) {
		snprintf(dir, sizeof(dir), "../shared/corpus/%s", kinds[i]);
		walk_corpus(dir);
	}
	printf("test_corpus: %zu files, %zu loaded, %zu findings\n",
	       corpus_files, corpus_docs, corpus_findings);
	ck_assert_uint_ge(corpus_files, 1000);
	/* nearly all real-world files are valid YAML */
	ck_assert_uint_ge(corpus_docs, corpus_files - 20);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("tree");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_block_positions);
	tcase_add_test(t, test_flow_positions);
	tcase_add_test(t, test_multiline_scalars);
	tcase_add_test(t, test_tags_and_nulls);
	tcase_add_test(t, test_access_helpers);
	tcase_add_test(t, test_text_lines_and_file);
	tcase_add_test(t, test_bom_crlf_utf8_columns);
	tcase_add_test(t, test_empty_documents);
	tcase_add_test(t, test_multiple_documents);
	tcase_add_test(t, test_anchors_and_aliases);
	tcase_add_test(t, test_merge_keys);
	tcase_add_test(t, test_merge_errors);
	tcase_add_test(t, test_alias_errors);
	tcase_add_test(t, test_alias_bomb);
	tcase_add_test(t, test_merge_bomb);
	tcase_add_test(t, test_comments);
	suite_add_tcase(s, t);

	t = tcase_create("errors");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_duplicate_keys);
	tcase_add_test(t, test_duplicate_keys_large_map);
	tcase_add_test(t, test_tabs);
	tcase_add_test(t, test_syntax_errors);
	tcase_add_test(t, test_depth_limit);
	tcase_add_test(t, test_unreadable_file);
	tcase_add_test(t, test_load_stdin);
	suite_add_tcase(s, t);

	t = tcase_create("getters");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_interpolate);
	tcase_add_test(t, test_getters_ok);
	tcase_add_test(t, test_getter_messages);
	tcase_add_test(t, test_getters_on_bad_maps);
	tcase_add_test(t, test_getters_interpolate);
	tcase_add_test(t, test_known_keys);
	tcase_add_test(t, test_cfg_error_and_warn);
	suite_add_tcase(s, t);

	t = tcase_create("files");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_standards_backup);
	tcase_add_test(t, test_standards_others);
	tcase_add_test(t, test_collects_every_error);
	tcase_add_test(t, test_corpus);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(config_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
