/*
 * test_pgdump: the parts of lib/pgdump that need no server: row hashes and
 * the order-independent table checksum, identifier quoting, dependency
 * ordering and the table of contents. The server tests are
 * test_pgdump_live (run by tests/cli/pgdump.sh).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pgdump.h"
#include "lib/util.h"

START_TEST(row_hash_is_sha256_prefix)
{
	/* SHA-256("abc") = ba7816bf 8f01cfea 414140de ... */
	ck_assert_uint_eq(ps_pgdump_row_hash("abc", 3), 0xba7816bf8f01cfeaULL);
	/* SHA-256("") = e3b0c442 98fc1c14 ... */
	ck_assert_uint_eq(ps_pgdump_row_hash("", 0), 0xe3b0c44298fc1c14ULL);
}
END_TEST

START_TEST(row_hash_xxh3)
{
	/* XXH3_64bits of the empty input, from xxHash's own sanity table */
	ck_assert_uint_eq(ps_pgdump_row_hash_xxh3("", 0), 0x2D06800538D394C2ULL);
	ck_assert_uint_ne(ps_pgdump_row_hash_xxh3("abc", 3), ps_pgdump_row_hash("abc", 3));
	ck_assert_str_eq(ps_pgdump_row_hash_name(PS_PGDUMP_ROWHASH_XXH3), "xxh3-64");
	ck_assert_str_eq(ps_pgdump_row_hash_name(PS_PGDUMP_ROWHASH_SHA256), "sha256-64");
	ck_assert_int_eq(ps_pgdump_row_hash_parse("xxh3-64"), PS_PGDUMP_ROWHASH_XXH3);
	ck_assert_int_eq(ps_pgdump_row_hash_parse("sha256-64"), PS_PGDUMP_ROWHASH_SHA256);
	ck_assert_int_eq(ps_pgdump_row_hash_parse("md5"), -1);
}
END_TEST

static int figures_algo;

static void
figures(const char *text, size_t chunk, uint64_t *rows, uint64_t *sum)
{
	struct ps_pgdump_rows r = { .algo = figures_algo };
	size_t n = strlen(text), i;

	for (i = 0; i < n; i += chunk)
		ps_pgdump_rows_feed(&r, text + i, n - i < chunk ? n - i : chunk);
	ps_pgdump_rows_finish(&r);
	ck_assert_uint_eq(r.bytes, n);
	*rows = r.rows;
	*sum = r.checksum;
	ps_pgdump_rows_free(&r);
}

START_TEST(checksum_is_order_independent)
{
	const char *a = "1\tone\n2\ttwo\n3\t\\N\n";
	const char *b = "3\t\\N\n1\tone\n2\ttwo\n";
	const char *c = "1\tone\n2\ttwo\n3\tthree\n";
	uint64_t ra, sa, rb, sb, rc, sc, want;

	figures(a, 1000, &ra, &sa);
	figures(b, 1000, &rb, &sb);
	figures(c, 1000, &rc, &sc);
	ck_assert_uint_eq(ra, 3);
	ck_assert_uint_eq(rb, 3);
	ck_assert_uint_eq(sa, sb);
	ck_assert_uint_eq(rc, 3);
	ck_assert_uint_ne(sa, sc);
	want = ps_pgdump_row_hash("1\tone", 5) + ps_pgdump_row_hash("2\ttwo", 5) +
	       ps_pgdump_row_hash("3\t\\N", 4);
	ck_assert_uint_eq(sa, want);
}
END_TEST

START_TEST(xxh3_checksum_is_order_and_chunk_independent)
{
	const char *a = "1\tone\n2\ttwo\n3\t\\N\n";
	const char *b = "3\t\\N\n1\tone\n2\ttwo";
	uint64_t ra, sa, rb, sb, rs, ss, want;

	figures_algo = PS_PGDUMP_ROWHASH_XXH3;
	figures(a, 1000, &ra, &sa);
	figures(b, 3, &rb, &sb);
	figures_algo = PS_PGDUMP_ROWHASH_SHA256;
	figures(a, 1000, &rs, &ss);
	ck_assert_uint_eq(ra, 3);
	ck_assert_uint_eq(rb, 3);
	ck_assert_uint_eq(sa, sb);
	want = ps_pgdump_row_hash_xxh3("1\tone", 5) + ps_pgdump_row_hash_xxh3("2\ttwo", 5) +
	       ps_pgdump_row_hash_xxh3("3\t\\N", 4);
	ck_assert_uint_eq(sa, want);
	ck_assert_uint_eq(rs, 3);
	ck_assert_uint_ne(ss, sa);
}
END_TEST

START_TEST(checksum_independent_of_chunking)
{
	const char *a = "alpha\nbeta\ngamma gamma gamma\n\ndelta\n";
	uint64_t r1, s1, r2, s2;
	size_t chunk;

	figures(a, 4096, &r1, &s1);
	ck_assert_uint_eq(r1, 5);	/* the empty line is a row too */
	for (chunk = 1; chunk < 12; chunk++) {
		figures(a, chunk, &r2, &s2);
		ck_assert_uint_eq(r2, r1);
		ck_assert_uint_eq(s2, s1);
	}
	/* a last row without its newline still counts, with the same hash */
	figures("alpha\nbeta", 3, &r2, &s2);
	ck_assert_uint_eq(r2, 2);
	ck_assert_uint_eq(s2, ps_pgdump_row_hash("alpha", 5) + ps_pgdump_row_hash("beta", 4));
}
END_TEST

START_TEST(checksum_wraps_mod_2_64)
{
	struct ps_pgdump_rows r = { 0 };
	uint64_t h = ps_pgdump_row_hash("x", 1), i;

	for (i = 0; i < 20; i++)
		ps_pgdump_rows_feed(&r, "x\n", 2);
	ck_assert_uint_eq(r.checksum, h * 20);	/* unsigned arithmetic wraps */
	ps_pgdump_rows_free(&r);
}
END_TEST

START_TEST(quote_ident)
{
	char *q;

	q = ps_pgdump_quote_ident("plain");
	ck_assert_str_eq(q, "\"plain\"");
	free(q);
	q = ps_pgdump_quote_ident("Mixed \"Case\"");
	ck_assert_str_eq(q, "\"Mixed \"\"Case\"\"\"");
	free(q);
	q = ps_pgdump_quote_ident("");
	ck_assert_str_eq(q, "\"\"");
	free(q);
	q = ps_pgdump_quote_ident("b\xc4\xb1g\xc4\xb1nt");
	ck_assert_str_eq(q, "\"b\xc4\xb1g\xc4\xb1nt\"");
	free(q);
}
END_TEST

START_TEST(toposort_orders_dependencies)
{
	/* 0 table (prio 8) depends on 2 type (4) and 3 sequence (7);
	 * 1 view (9) depends on 0; 2 depends on 4 schema (1) */
	int prio[] = { 8, 9, 4, 7, 1 };
	size_t edges[][2] = { { 0, 2 }, { 0, 3 }, { 1, 0 }, { 2, 4 } };
	size_t order[5], left = 99, pos[5], i;

	ck_assert_int_eq(ps_pgdump_toposort(5, prio, (const size_t(*)[2])edges, 4,
					    order, &left), 0);
	ck_assert_uint_eq(left, 0);
	for (i = 0; i < 5; i++)
		pos[order[i]] = i;
	ck_assert_uint_lt(pos[2], pos[0]);
	ck_assert_uint_lt(pos[3], pos[0]);
	ck_assert_uint_lt(pos[0], pos[1]);
	ck_assert_uint_lt(pos[4], pos[2]);
	/* with nothing else constraining it, priority decides: schema first */
	ck_assert_uint_eq(order[0], 4);
}
END_TEST

START_TEST(toposort_priority_can_be_overridden)
{
	/* a function (prio 5) that depends on a table (prio 8) comes after it */
	int prio[] = { 5, 8, 5 };
	size_t edges[][2] = { { 0, 1 } };
	size_t order[3], left = 0;

	ck_assert_int_eq(ps_pgdump_toposort(3, prio, (const size_t(*)[2])edges, 1,
					    order, &left), 0);
	ck_assert_uint_eq(order[0], 2);
	ck_assert_uint_eq(order[1], 1);
	ck_assert_uint_eq(order[2], 0);
}
END_TEST

START_TEST(toposort_reports_cycles)
{
	int prio[] = { 1, 1, 1, 1 };
	size_t edges[][2] = { { 1, 2 }, { 2, 1 }, { 3, 1 } };
	size_t order[4], left = 0;

	ck_assert_int_eq(ps_pgdump_toposort(4, prio, (const size_t(*)[2])edges, 3,
					    order, &left), -1);
	ck_assert_uint_eq(left, 3);
	ck_assert_uint_eq(order[0], 0);
	/* the rest are the nodes that could not be placed */
	ck_assert_uint_eq(order[1], 1);
	ck_assert_uint_eq(order[2], 2);
	ck_assert_uint_eq(order[3], 3);
	/* no nodes at all */
	ck_assert_int_eq(ps_pgdump_toposort(0, prio, NULL, 0, order, &left), 0);
}
END_TEST

START_TEST(toc_round_trip)
{
	const char *json =
		"{\"ps_pgdump\":1,\"server_version\":150004,\"encoding\":\"UTF8\","
		"\"database\":\"shop\",\"entries\":["
		"{\"section\":\"pre-data\",\"tag\":\"TABLE public.t\",\"sql\":\"CREATE TABLE public.t (a int);\\n\"},"
		"{\"section\":\"post-data\",\"tag\":\"INDEX public.i\",\"sql\":\"CREATE INDEX i ON public.t (a);\\n\",\"parallel\":true,\"table\":\"public.t\"},"
		"{\"section\":\"post-data\",\"tag\":\"INDEX public.j\",\"sql\":\"CREATE INDEX j ON public.t (a);\\n\",\"parallel\":true},"
		"{\"section\":\"post-data\",\"tag\":\"FK\",\"sql\":\"SELECT 1;\\n\",\"table\":\"public.t\"}],"
		"\"tables\":[{\"schema\":\"public\",\"name\":\"t\",\"qname\":\"public.t\","
		"\"columns\":\"a\",\"est_bytes\":8192,\"rows\":3,\"bytes\":6,"
		"\"checksum\":\"ffffffffffffffff\"}]}";
	struct ps_pgdump *d = NULL, *d2 = NULL;
	struct ps_error err = { 0 };
	char *out;

	ck_assert_int_eq(ps_pgdump_toc_parse(json, strlen(json), &d, &err), 0);
	ck_assert_int_eq(d->server_version, 150004);
	ck_assert_str_eq(d->encoding, "UTF8");
	ck_assert_uint_eq(d->nentries, 4);
	ck_assert_int_eq(d->entries[0].section, PS_PGDUMP_PRE);
	ck_assert_int_eq(d->entries[1].section, PS_PGDUMP_POST);
	ck_assert_str_eq(d->entries[1].tag, "INDEX public.i");
	ck_assert_int_eq(d->entries[0].parallel, 0);
	ck_assert_int_eq(d->entries[1].parallel, 1);
	/* an index build names its table; a toc written before that did
	 * not, and a table on an entry that is not parallel is ignored */
	ck_assert_str_eq(d->entries[1].table, "public.t");
	ck_assert_ptr_null(d->entries[2].table);
	ck_assert_ptr_null(d->entries[3].table);
	ck_assert_uint_eq(d->ntables, 1);
	ck_assert_uint_eq(d->tables[0].checksum, UINT64_MAX);
	ck_assert_uint_eq(d->tables[0].rows, 3);
	out = ps_pgdump_toc_json(d);
	ck_assert_int_eq(ps_pgdump_toc_parse(out, strlen(out), &d2, &err), 0);
	ck_assert_str_eq(d2->tables[0].qname, "public.t");
	ck_assert_uint_eq(d2->tables[0].checksum, UINT64_MAX);
	ck_assert_str_eq(d2->entries[0].sql, "CREATE TABLE public.t (a int);\n");
	ck_assert_str_eq(d2->database, "shop");
	ck_assert_int_eq(d2->entries[1].parallel, 1);
	ck_assert_str_eq(d2->entries[1].table, "public.t");
	ck_assert_ptr_null(d2->entries[2].table);
	ck_assert_int_eq(d2->entries[2].parallel, 1);
	/* no row_hash: a dump of before XXH3, SHA-256 kept on both sides */
	ck_assert_int_eq(d->row_hash, PS_PGDUMP_ROWHASH_SHA256);
	ck_assert_ptr_null(strstr(out, "row_hash"));
	free(out);
	d2->row_hash = PS_PGDUMP_ROWHASH_XXH3;
	out = ps_pgdump_toc_json(d2);
	ps_pgdump_free(d2);
	ck_assert_int_eq(ps_pgdump_toc_parse(out, strlen(out), &d2, &err), 0);
	ck_assert_int_eq(d2->row_hash, PS_PGDUMP_ROWHASH_XXH3);
	free(out);
	ps_pgdump_free(d);
	ps_pgdump_free(d2);
}
END_TEST

START_TEST(toc_rejects_damage)
{
	struct ps_pgdump *d = NULL;
	struct ps_error err = { 0 };
	const char *bad[] = {
		"not json",
		"{\"entries\":[],\"tables\":[]}",
		"{\"ps_pgdump\":1,\"entries\":[{\"section\":\"pre-data\"}],\"tables\":[]}",
		"{\"ps_pgdump\":1,\"entries\":[],\"tables\":[{\"schema\":\"s\",\"name\":\"t\","
		"\"qname\":\"s.t\",\"columns\":\"\",\"checksum\":\"xyz\"}]}",
		"{\"ps_pgdump\":1,\"entries\":[],\"tables\":[{\"schema\":\"s\",\"name\":\"t\","
		"\"qname\":\"s.t\",\"columns\":\"\",\"checksum\":\"00000000000000001\"}]}",
		"{\"ps_pgdump\":1,\"row_hash\":\"md5\",\"entries\":[],\"tables\":[]}",
		"{\"ps_pgdump\":1,\"row_hash\":3,\"entries\":[],\"tables\":[]}",
	};
	size_t i;

	for (i = 0; i < PS_ARRAY_LEN(bad); i++) {
		ck_assert_msg(ps_pgdump_toc_parse(bad[i], strlen(bad[i]), &d, &err) == -1,
			      "accepted: %s", bad[i]);
		ck_assert_ptr_null(d);
		ck_assert_int_eq(err.code, PS_EXIT_FAIL);
		ck_assert_msg(strstr(err.msg, "database dump contents") != NULL, "%s", err.msg);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pgdump");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, row_hash_is_sha256_prefix);
	tcase_add_test(tc, row_hash_xxh3);
	tcase_add_test(tc, xxh3_checksum_is_order_and_chunk_independent);
	tcase_add_test(tc, checksum_is_order_independent);
	tcase_add_test(tc, checksum_independent_of_chunking);
	tcase_add_test(tc, checksum_wraps_mod_2_64);
	tcase_add_test(tc, quote_ident);
	tcase_add_test(tc, toposort_orders_dependencies);
	tcase_add_test(tc, toposort_priority_can_be_overridden);
	tcase_add_test(tc, toposort_reports_cycles);
	tcase_add_test(tc, toc_round_trip);
	tcase_add_test(tc, toc_rejects_damage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
