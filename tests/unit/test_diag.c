/* Check suite for lib/diag (diag.c, render.c): severities, finding lists,
 * fingerprints, the compiler-style line, every renderer against golden
 * text, escaping, fail-on, min-severity and the baseline. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/diag.h"
#include "lib/util.h"
#include "lib/records.h"

/*
 * The golden outputs of the four sample findings below (mk_sample) and one
 * probe record, rendered with fail_on=error, summary=1, tool_version 1.2.3.
 */
static const char golden_text[] =
	".env:3:1: error: duplicated key 'A' [PSE001]\n"
	".env:5:1: warning: key \"db_url\": a|b <x> & 50%, ok [PSE010]\n"
	"dir/.env prod: info: no blank line at the end\\nsecond [PSE020]\n"
	"dir/.env prod:2:4: style: value 'x' quoted [PSE030]\n"
	"1 error, 1 warning, 1 info, 1 style in 2 files\n"
	"  .env: 1 error, 1 warning\n"
	"  dir/.env prod: 1 info, 1 style\n";

static const char golden_json[] =
	"{\"type\":\"finding\",\"tool\":\"ps-envcheck\",\"rule\":\"PSE001\",\"name\":\"duplicated-key\",\"severity\":\"error\",\"file\":\".env\",\"line\":3,\"column\":1,\"message\":\"duplicated key 'A'\",\"fix\":\"remove the line\",\"snippet\":\"A=2\",\"fingerprint\":\"6bef9e7b6e745d1b\"}\n"
	"{\"type\":\"finding\",\"tool\":\"ps-envcheck\",\"rule\":\"PSE010\",\"name\":\"lowercase-key\",\"severity\":\"warning\",\"file\":\".env\",\"line\":5,\"column\":1,\"message\":\"key \\\"db_url\\\": a|b <x> & 50%, ok\",\"fingerprint\":\"bd51010652d334eb\"}\n"
	"{\"type\":\"finding\",\"tool\":\"ps-envcheck\",\"rule\":\"PSE020\",\"name\":\"ending-blank-line\",\"severity\":\"info\",\"file\":\"dir/.env prod\",\"line\":0,\"message\":\"no blank line at the end\\nsecond\",\"fingerprint\":\"cc088a6abd7fb830\"}\n"
	"{\"type\":\"finding\",\"tool\":\"ps-envcheck\",\"rule\":\"PSE030\",\"name\":\"quote-character\",\"severity\":\"style\",\"file\":\"dir/.env prod\",\"line\":2,\"column\":4,\"end_line\":2,\"end_column\":9,\"message\":\"value 'x' quoted\",\"refs\":[\"QuoteCharacter\"],\"fingerprint\":\"a3cd33304760ae78\"}\n"
	"{\"type\":\"probe\",\"tool\":\"ps-health\"}\n";

static const char golden_sarif[] =
	"{\"$schema\":\"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"results\":[\n"
	"{\"ruleId\":\"PSE001\",\"ruleIndex\":0,\"level\":\"error\",\"message\":{\"text\":\"duplicated key 'A'\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\".env\",\"uriBaseId\":\"%SRCROOT%\"},\"region\":{\"startLine\":3,\"startColumn\":1}}}],\"partialFingerprints\":{\"psFingerprint/v2\":\"6bef9e7b6e745d1b\"}},\n"
	"{\"ruleId\":\"PSE010\",\"ruleIndex\":1,\"level\":\"warning\",\"message\":{\"text\":\"key \\\"db_url\\\": a|b <x> & 50%, ok\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\".env\",\"uriBaseId\":\"%SRCROOT%\"},\"region\":{\"startLine\":5,\"startColumn\":1}}}],\"partialFingerprints\":{\"psFingerprint/v2\":\"bd51010652d334eb\"}},\n"
	"{\"ruleId\":\"PSE020\",\"ruleIndex\":2,\"level\":\"note\",\"message\":{\"text\":\"no blank line at the end\\nsecond\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"dir/.env%20prod\",\"uriBaseId\":\"%SRCROOT%\"}}}],\"partialFingerprints\":{\"psFingerprint/v2\":\"cc088a6abd7fb830\"}},\n"
	"{\"ruleId\":\"PSE030\",\"ruleIndex\":3,\"level\":\"note\",\"message\":{\"text\":\"value 'x' quoted\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"dir/.env%20prod\",\"uriBaseId\":\"%SRCROOT%\"},\"region\":{\"startLine\":2,\"startColumn\":4,\"endLine\":2,\"endColumn\":9}}}],\"partialFingerprints\":{\"psFingerprint/v2\":\"a3cd33304760ae78\"}}\n"
	"],\"tool\":{\"driver\":{\"name\":\"ps-envcheck\",\"version\":\"1.2.3\",\"rules\":[{\"id\":\"PSE001\",\"name\":\"duplicated-key\",\"shortDescription\":{\"text\":\"Duplicated key\"},\"fullDescription\":{\"text\":\"Duplicated key\"},\"help\":{\"text\":\"Duplicated key\\n\\nFix: remove the line\",\"markdown\":\"Duplicated key\\n\\n**Fix:** remove the line\"},\"defaultConfiguration\":{\"level\":\"error\"}},{\"id\":\"PSE010\",\"name\":\"lowercase-key\",\"shortDescription\":{\"text\":\"Lowercase key\"},\"fullDescription\":{\"text\":\"Lowercase key\"},\"help\":{\"text\":\"Lowercase key\",\"markdown\":\"Lowercase key\"},\"defaultConfiguration\":{\"level\":\"warning\"}},{\"id\":\"PSE020\",\"name\":\"ending-blank-line\",\"shortDescription\":{\"text\":\"Ending blank line\"},\"fullDescription\":{\"text\":\"Ending blank line\"},\"help\":{\"text\":\"Ending blank line\",\"markdown\":\"Ending blank line\"},\"defaultConfiguration\":{\"level\":\"note\"}},{\"id\":\"PSE030\",\"name\":\"quote-character\",\"shortDescription\":{\"text\":\"Quote character\"},\"fullDescription\":{\"text\":\"Quote character\"},\"help\":{\"text\":\"Quote character\\n\\nEquivalent rules: QuoteCharacter\",\"markdown\":\"Quote character\\n\\n**Equivalent rules:** `QuoteCharacter`\"},\"defaultConfiguration\":{\"level\":\"note\"}}]}}}]}\n";

static const char golden_junit[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<testsuites name=\"ps-envcheck\" tests=\"4\" failures=\"4\" errors=\"0\" time=\"0\">\n"
	"  <testsuite name=\".env\" tests=\"2\" failures=\"2\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
	"    <testcase classname=\".env\" name=\"PSE001 at line 3, column 1\" file=\".env\" line=\"3\" time=\"0\">\n"
	"      <failure message=\"duplicated key &apos;A&apos;\" type=\"error\">.env:3:1: error: duplicated key &apos;A&apos; [PSE001]&#10;fix: remove the line</failure>\n"
	"    </testcase>\n"
	"    <testcase classname=\".env\" name=\"PSE010 at line 5, column 1\" file=\".env\" line=\"5\" time=\"0\">\n"
	"      <failure message=\"key &quot;db_url&quot;: a|b &lt;x&gt; &amp; 50%, ok\" type=\"warning\">.env:5:1: warning: key &quot;db_url&quot;: a|b &lt;x&gt; &amp; 50%, ok [PSE010]</failure>\n"
	"    </testcase>\n"
	"  </testsuite>\n"
	"  <testsuite name=\"dir/.env prod\" tests=\"2\" failures=\"2\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
	"    <testcase classname=\"dir/.env prod\" name=\"PSE020\" file=\"dir/.env prod\" time=\"0\">\n"
	"      <failure message=\"no blank line at the end&#10;second\" type=\"info\">dir/.env prod: info: no blank line at the end&#10;second [PSE020]</failure>\n"
	"    </testcase>\n"
	"    <testcase classname=\"dir/.env prod\" name=\"PSE030 at line 2, column 4\" file=\"dir/.env prod\" line=\"2\" time=\"0\">\n"
	"      <failure message=\"value &apos;x&apos; quoted\" type=\"style\">dir/.env prod:2:4: style: value &apos;x&apos; quoted [PSE030]</failure>\n"
	"    </testcase>\n"
	"  </testsuite>\n"
	"</testsuites>\n";

static const char golden_github[] =
	"::error file=.env,line=3,col=1,title=PSE001::duplicated key 'A'\n"
	"::warning file=.env,line=5,col=1,title=PSE010::key \"db_url\": a|b <x> & 50%25, ok\n"
	"::notice file=dir/.env prod,title=PSE020::no blank line at the end%0Asecond\n"
	"::notice file=dir/.env prod,line=2,col=4,endLine=2,endColumn=9,title=PSE030::value 'x' quoted\n";

static const char golden_checkstyle[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<checkstyle version=\"4.3\">\n"
	"<file name=\".env\">\n"
	"<error line=\"3\" column=\"1\" severity=\"error\" message=\"duplicated key &apos;A&apos;\" source=\"PSE001\"/>\n"
	"<error line=\"5\" column=\"1\" severity=\"warning\" message=\"key &quot;db_url&quot;: a|b &lt;x&gt; &amp; 50%, ok\" source=\"PSE010\"/>\n"
	"</file>\n"
	"<file name=\"dir/.env prod\">\n"
	"<error severity=\"info\" message=\"no blank line at the end&#10;second\" source=\"PSE020\"/>\n"
	"<error line=\"2\" column=\"4\" severity=\"info\" message=\"value &apos;x&apos; quoted\" source=\"PSE030\"/>\n"
	"</file>\n"
	"</checkstyle>\n";

static const char golden_codeclimate[] =
	"[\n"
	"{\"type\":\"issue\",\"check_name\":\"PSE001\",\"description\":\"duplicated key 'A'\",\"severity\":\"critical\",\"fingerprint\":\"6bef9e7b6e745d1b\",\"location\":{\"path\":\".env\",\"lines\":{\"begin\":3}}},\n"
	"{\"type\":\"issue\",\"check_name\":\"PSE010\",\"description\":\"key \\\"db_url\\\": a|b <x> & 50%, ok\",\"severity\":\"major\",\"fingerprint\":\"bd51010652d334eb\",\"location\":{\"path\":\".env\",\"lines\":{\"begin\":5}}},\n"
	"{\"type\":\"issue\",\"check_name\":\"PSE020\",\"description\":\"no blank line at the end\\nsecond\",\"severity\":\"minor\",\"fingerprint\":\"cc088a6abd7fb830\",\"location\":{\"path\":\"dir/.env prod\",\"lines\":{\"begin\":1}}},\n"
	"{\"type\":\"issue\",\"check_name\":\"PSE030\",\"description\":\"value 'x' quoted\",\"severity\":\"info\",\"fingerprint\":\"a3cd33304760ae78\",\"location\":{\"path\":\"dir/.env prod\",\"lines\":{\"begin\":2,\"end\":2}}}\n"
	"]\n";

static const char golden_gnu[] =
	".env:3:1: error: duplicated key 'A' [PSE001]\n"
	".env:5:1: warning: key \"db_url\": a|b <x> & 50%, ok [PSE010]\n"
	"dir/.env prod: info: no blank line at the end\\nsecond [PSE020]\n"
	"dir/.env prod:2.4-9: note: value 'x' quoted [PSE030]\n";

static const char golden_markdown[] =
	"### ps-envcheck\n"
	"\n"
	"**1 error, 1 warning, 1 info, 1 style in 2 files**\n"
	"\n"
	"| Severity | Rule | File | Line | Message |\n"
	"| --- | --- | --- | ---: | --- |\n"
	"| error | PSE001 | .env | 3 | duplicated key 'A' |\n"
	"| warning | PSE010 | .env | 5 | key \"db\\_url\": a\\|b &lt;x&gt; &amp; 50%, ok |\n"
	"| info | PSE020 | dir/.env prod |  | no blank line at the end second |\n"
	"| style | PSE030 | dir/.env prod | 2 | value 'x' quoted |\n";

static const char golden_prom[] =
	"# HELP ps_findings Findings shown, by severity.\n"
	"# TYPE ps_findings gauge\n"
	"ps_findings{severity=\"error\"} 1\n"
	"ps_findings{severity=\"warning\"} 1\n"
	"ps_findings{severity=\"info\"} 1\n"
	"ps_findings{severity=\"style\"} 1\n"
	"# HELP ps_findings_hidden Findings hidden by the baseline.\n"
	"# TYPE ps_findings_hidden gauge\n"
	"ps_findings_hidden 0\n";

static void
mk_sample(struct ps_diags *d)
{
	struct ps_finding *f;

	f = ps_diags_add(d, "ps-envcheck", "PSE001", "duplicated-key",
			 PS_SEV_ERROR, ".env", 3, 1, "duplicated key 'A'");
	ps_finding_set_snippet(f, "A=2", 3);
	ps_finding_set_fix(f, "remove the line");
	ps_diags_add(d, "ps-envcheck", "PSE010", "lowercase-key",
		     PS_SEV_WARNING, ".env", 5, 1,
		     "key \"db_url\": a|b <x> & 50%%, ok");
	ps_diags_add(d, "ps-envcheck", "PSE020", "ending-blank-line",
		     PS_SEV_INFO, "dir/.env prod", 0, 0,
		     "no blank line at the end\nsecond");
	f = ps_diags_add(d, "ps-envcheck", "PSE030", "quote-character",
			 PS_SEV_STYLE, "dir/.env prod", 2, 4, "value 'x' quoted");
	f->end_line = 2;
	f->end_col = 9;
	ps_finding_add_ref(f, "QuoteCharacter");
}

/* Render d with o (format fmt) into a string; *status gets close's value. */
static char *
render(const struct ps_diags *d, struct ps_render_opts o, enum ps_format fmt,
       int with_record, int *status)
{
	char *buf = NULL;
	size_t n = 0, i;
	FILE *out = open_memstream(&buf, &n);
	struct ps_render *r;
	int st;

	o.format = fmt;
	r = ps_render_open(out, &o);
	for (i = 0; i < d->len; i++)
		ck_assert_int_eq(ps_render_finding(r, d->v[i]), 0);
	if (with_record) {
		json_t *rec = ps_rec_new("probe", "ps-health");

		ck_assert_int_eq(ps_render_record(r, rec), 0);
		json_decref(rec);
	}
	st = ps_render_close(r);
	if (status)
		*status = st;
	fclose(out);
	return buf;
}

static const struct ps_render_opts std_opts = {
	.fail_on = PS_SEV_ERROR, .summary = 1, .tool_version = "1.2.3",
};

static void
check_golden(enum ps_format fmt, const char *golden)
{
	struct ps_diags d = {0};
	int st = -1;
	char *s;

	mk_sample(&d);
	s = render(&d, std_opts, fmt, 1, &st);
	ck_assert_msg(strcmp(s, golden) == 0, "%s:\n--- got\n%s--- want\n%s",
		      ps_format_name(fmt), s, golden);
	ck_assert_int_eq(st, 1);	/* one error, fail_on error */
	free(s);
	ps_diags_free(&d);
}

START_TEST(test_golden_text) { check_golden(PS_FMT_TEXT, golden_text); }
END_TEST
START_TEST(test_golden_json) { check_golden(PS_FMT_JSON, golden_json); }
END_TEST
START_TEST(test_golden_sarif) { check_golden(PS_FMT_SARIF, golden_sarif); }
END_TEST
START_TEST(test_golden_junit) { check_golden(PS_FMT_JUNIT, golden_junit); }
END_TEST
START_TEST(test_golden_github) { check_golden(PS_FMT_GITHUB, golden_github); }
END_TEST
START_TEST(test_golden_checkstyle) { check_golden(PS_FMT_CHECKSTYLE, golden_checkstyle); }
END_TEST
START_TEST(test_golden_codeclimate) { check_golden(PS_FMT_CODECLIMATE, golden_codeclimate); }
END_TEST
START_TEST(test_golden_gnu) { check_golden(PS_FMT_GNU, golden_gnu); }
END_TEST
START_TEST(test_golden_markdown) { check_golden(PS_FMT_MARKDOWN, golden_markdown); }
END_TEST
START_TEST(test_golden_prom) { check_golden(PS_FMT_PROM, golden_prom); }
END_TEST

START_TEST(test_sarif_structure)
{
	struct ps_diags d = {0};
	char *s;
	json_t *doc, *run, *results, *rules, *res;
	json_error_t je;
	size_t i;

	mk_sample(&d);
	/* the same rule twice: one rule object, two results */
	ps_diags_add(&d, "ps-envcheck", "PSE001", "duplicated-key",
		     PS_SEV_ERROR, "./sub/x.env", 9, 0, "duplicated key 'B'");
	s = render(&d, std_opts, PS_FMT_SARIF, 0, NULL);
	doc = json_loads(s, 0, &je);
	ck_assert_msg(doc != NULL, "sarif does not parse: %s", je.text);
	ck_assert_str_eq(ps_json_str(doc, "version"), "2.1.0");
	ck_assert_ptr_nonnull(ps_json_str(doc, "$schema"));
	run = json_array_get(json_object_get(doc, "runs"), 0);
	results = json_object_get(run, "results");
	rules = json_object_get(json_object_get(json_object_get(run, "tool"),
						"driver"), "rules");
	ck_assert_uint_eq(json_array_size(results), 5);
	ck_assert_uint_eq(json_array_size(rules), 4);
	json_array_foreach(results, i, res) {
		long long idx;
		json_t *rule, *region;

		ck_assert(ps_json_int(res, "ruleIndex", &idx));
		rule = json_array_get(rules, (size_t)idx);
		ck_assert_str_eq(ps_json_str(rule, "id"), ps_json_str(res, "ruleId"));
		region = json_object_get(json_object_get(json_array_get(
			json_object_get(res, "locations"), 0), "physicalLocation"),
			"region");
		if (region) {
			long long l;

			ck_assert(ps_json_int(region, "startLine", &l));
			ck_assert(l >= 1);
		}
	}
	res = json_array_get(results, 4);
	ck_assert_str_eq(ps_json_str(json_object_get(json_object_get(json_array_get(
		json_object_get(res, "locations"), 0), "physicalLocation"),
		"artifactLocation"), "uri"), "sub/x.env");
	json_decref(doc);
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_empty_documents)
{
	struct ps_diags d = {0};
	int st = -1;
	char *s;

	s = render(&d, std_opts, PS_FMT_JUNIT, 0, &st);
	ck_assert_str_eq(s,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"ps-toolkit\" tests=\"1\" failures=\"0\" errors=\"0\" time=\"0\">\n"
		"  <testsuite name=\"ps-toolkit\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
		"    <testcase classname=\"ps-toolkit\" name=\"no findings\" time=\"0\"/>\n"
		"  </testsuite>\n</testsuites>\n");
	ck_assert_int_eq(st, 0);
	free(s);
	s = render(&d, std_opts, PS_FMT_SARIF, 0, &st);
	ck_assert_str_eq(s,
		"{\"$schema\":\"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json\","
		"\"version\":\"2.1.0\",\"runs\":[{\"results\":[],\"tool\":{\"driver\":"
		"{\"name\":\"ps-toolkit\",\"version\":\"1.2.3\",\"rules\":[]}}}]}\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_CODECLIMATE, 0, NULL);
	ck_assert_str_eq(s, "[]\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_CHECKSTYLE, 0, NULL);
	ck_assert_str_eq(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<checkstyle version=\"4.3\">\n</checkstyle>\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_MARKDOWN, 0, NULL);
	ck_assert_str_eq(s, "### ps-toolkit\n\nNo findings.\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_TEXT, 0, NULL);
	ck_assert_str_eq(s, "no findings\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_JSON, 0, NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_escaping)
{
	struct ps_diags d = {0};
	struct ps_finding *f;
	char *s;

	f = ps_diags_add(&d, "t", "R,1", NULL, PS_SEV_ERROR, "a:b,c%.txt", 1, 2,
			 "x\r\ny %% z: w, v \x01 | p \\ q");
	(void)f;
	s = render(&d, std_opts, PS_FMT_GITHUB, 0, NULL);
	ck_assert_str_eq(s, "::error file=a%3Ab%2Cc%25.txt,line=1,col=2,title=R%2C1::"
			    "x%0D%0Ay %25 z: w, v \x01 | p \\ q\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_CHECKSTYLE, 0, NULL);
	ck_assert_str_eq(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<checkstyle version=\"4.3\">\n"
			    "<file name=\"a:b,c%.txt\">\n"
			    "<error line=\"1\" column=\"2\" severity=\"error\" message=\""
			    "x&#13;&#10;y % z: w, v \xef\xbf\xbd | p \\ q\" source=\"R,1\"/>\n"
			    "</file>\n</checkstyle>\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_MARKDOWN, 0, NULL);
	ck_assert_str_eq(s, "### t\n\n**1 error in 1 file**\n\n"
			    "| Severity | Rule | File | Line | Message |\n"
			    "| --- | --- | --- | ---: | --- |\n"
			    "| error | R,1 | a:b,c%.txt | 1 | x y % z: w, v \x01 \\| p \\\\ q |\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_TEXT, 0, NULL);
	ck_assert_str_eq(s, "a:b,c%.txt:1:2: error: x\\r\\ny % z: w, v \\x01 | p \\ q [R,1]\n"
			    "1 error in 1 file\n");
	free(s);
	s = render(&d, std_opts, PS_FMT_JSON, 0, NULL);
	ck_assert_msg(strstr(s, "\"message\":\"x\\r\\ny % z: w, v \\u0001 | p \\\\ q\"") != NULL,
		      "got %s", s);
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_invalid_utf8_in_json_formats)
{
	struct ps_diags d = {0};
	char *s;
	json_t *doc;

	ps_diags_add(&d, "t", "R1", NULL, PS_SEV_WARNING, "f\xff", 1, 1, "bad \xc3 byte");
	s = render(&d, std_opts, PS_FMT_SARIF, 0, NULL);
	doc = json_loads(s, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	json_decref(doc);
	free(s);
	s = render(&d, std_opts, PS_FMT_JSON, 0, NULL);
	ck_assert_msg(strstr(s, "\"message\":\"bad \xef\xbf\xbd byte\"") != NULL, "got %s", s);
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_utf8_in_xml)
{
	struct ps_diags d = {0};
	char *s;

	ck_assert_uint_eq(ps_utf8_len("a"), 1);
	ck_assert_uint_eq(ps_utf8_len(""), 0);
	ck_assert_uint_eq(ps_utf8_len("\xc3\xa9"), 2);
	ck_assert_uint_eq(ps_utf8_len("\xe2\x82\xac"), 3);
	ck_assert_uint_eq(ps_utf8_len("\xf0\x9f\x90\xb3"), 4);
	ck_assert_uint_eq(ps_utf8_len("\xc3("), 0);
	ck_assert_uint_eq(ps_utf8_len("\xc0\xaf"), 0);	/* overlong */
	ck_assert_uint_eq(ps_utf8_len("\xed\xa0\x80"), 0);	/* surrogate */
	ck_assert_uint_eq(ps_utf8_len("\xf4\x90\x80\x80"), 0); /* > U+10FFFF */
	ps_diags_add(&d, "t", "R", NULL, PS_SEV_ERROR, "caf\xc3\xa9", 1, 0,
		     "Latin-1 \xe9 and \xe2\x82\xac");
	s = render(&d, std_opts, PS_FMT_CHECKSTYLE, 0, NULL);
	ck_assert_ptr_nonnull(strstr(s, "<file name=\"caf\xc3\xa9\">"));
	ck_assert_ptr_nonnull(strstr(s, "message=\"Latin-1 \xef\xbf\xbd and \xe2\x82\xac\""));
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_xml_parses_with_markup_in_names)
{
	struct ps_diags d = {0};
	char *s;

	ps_diags_add(&d, "t<&>", "R\"1", NULL, PS_SEV_ERROR, "<f>&'.x", 1, 0, "m<]]>");
	s = render(&d, std_opts, PS_FMT_JUNIT, 0, NULL);
	ck_assert_ptr_null(strstr(s, "<f>"));
	ck_assert_ptr_nonnull(strstr(s, "<testsuites name=\"t&lt;&amp;&gt;\""));
	ck_assert_ptr_nonnull(strstr(s, "message=\"m&lt;]]&gt;\" type=\"error\""));
	ck_assert_ptr_nonnull(strstr(s, "name=\"R&quot;1 at line 1\""));
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_gnu_ranges)
{
	struct ps_diags d = {0};
	struct ps_finding *f;
	char *s;

	ps_diags_add(&d, "t", "A", NULL, PS_SEV_ERROR, "f", 3, 0, "m1");
	f = ps_diags_add(&d, "t", "B", NULL, PS_SEV_WARNING, "f", 3, 2, "m2");
	f->end_line = 5;
	f->end_col = 7;
	f = ps_diags_add(&d, "t", "C", NULL, PS_SEV_INFO, "f", 3, 0, "m3");
	f->end_line = 4;
	f = ps_diags_add(&d, "t", "D", NULL, PS_SEV_STYLE, "f", 3, 2, "m4");
	f->end_line = 3;
	f->end_col = 2;
	ps_diags_add(&d, "t", "E", NULL, PS_SEV_ERROR, NULL, 0, 0, "m5");
	s = render(&d, std_opts, PS_FMT_GNU, 0, NULL);
	ck_assert_str_eq(s, "f:3: error: m1 [A]\n"
			    "f:3.2-5.7: warning: m2 [B]\n"
			    "f:3-4: info: m3 [C]\n"
			    "f:3:2: note: m4 [D]\n"
			    "error: m5 [E]\n");
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_finding_print)
{
	struct ps_diags d = {0};
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);

	ps_diags_add(&d, "t", "PSD015", NULL, PS_SEV_WARNING, "Dockerfile", 12, 1,
		     "apt-get install without --no-install-recommends");
	ps_diags_add(&d, "t", "R2", NULL, PS_SEV_ERROR, "f", 7, 0, "no column");
	ps_diags_add(&d, "t", "R3", NULL, PS_SEV_INFO, "f", 0, 0, "whole file");
	ps_diags_add(&d, "t", "R4", NULL, PS_SEV_STYLE, "f", 1, 1, "styled");
	ps_finding_print(out, d.v[0], 0);
	ps_finding_print(out, d.v[1], 0);
	ps_finding_print(out, d.v[2], 0);
	ps_finding_print(out, d.v[0], 1);
	ps_finding_print(out, d.v[2], 1);
	ps_finding_print(out, d.v[3], 1);
	ps_finding_print(out, d.v[1], 1);
	fclose(out);
	ck_assert_str_eq(buf,
		"Dockerfile:12:1: warning: apt-get install without --no-install-recommends [PSD015]\n"
		"f:7: error: no column [R2]\n"
		"f: info: whole file [R3]\n"
		"\033[1mDockerfile:12:1:\033[0m \033[1;33mwarning:\033[0m apt-get install without --no-install-recommends [PSD015]\n"
		"\033[1mf:\033[0m \033[1;36minfo:\033[0m whole file [R3]\n"
		"\033[1mf:1:1:\033[0m \033[2mstyle:\033[0m styled [R4]\n"
		"\033[1mf:7:\033[0m \033[1;31merror:\033[0m no column [R2]\n");
	free(buf);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_severity_and_format_names)
{
	enum ps_severity s;
	enum ps_format f;
	size_t i;

	ck_assert_str_eq(ps_severity_name(PS_SEV_ERROR), "error");
	ck_assert_str_eq(ps_severity_name(PS_SEV_WARNING), "warning");
	ck_assert_str_eq(ps_severity_name(PS_SEV_INFO), "info");
	ck_assert_str_eq(ps_severity_name(PS_SEV_STYLE), "style");
	ck_assert_str_eq(ps_severity_name(PS_SEV_NONE), "never");
	ck_assert_int_eq(ps_severity_parse("warning", &s), 0);
	ck_assert_int_eq(s, PS_SEV_WARNING);
	ck_assert_int_eq(ps_severity_parse("never", &s), 0);
	ck_assert_int_eq(s, PS_SEV_NONE);
	ck_assert_int_eq(ps_severity_parse("none", &s), 0);
	ck_assert_int_eq(s, PS_SEV_NONE);
	ck_assert_int_eq(ps_severity_parse("fatal", &s), -1);
	ck_assert_int_eq(ps_severity_parse("", &s), -1);
	for (i = 0; ps_finding_formats[i]; i++) {
		ck_assert_int_eq(ps_format_parse(ps_finding_formats[i], &f), 0);
		ck_assert_str_eq(ps_format_name(f), ps_finding_formats[i]);
	}
	ck_assert_uint_eq(i, 9);
	ck_assert_int_eq(ps_format_parse("prom", &f), 0);
	ck_assert_int_eq(f, PS_FMT_PROM);
	ck_assert_int_eq(ps_format_parse("xml", &f), -1);
}
END_TEST

START_TEST(test_diags_list)
{
	struct ps_diags d = {0};
	static const char *const drop[] = {"R2", "name-c", NULL};

	ps_diags_add(&d, "t", "R1", "name-a", PS_SEV_INFO, "b", 2, 1, "m%d", 1);
	ps_diags_add(&d, "t", "R2", "name-b", PS_SEV_WARNING, "a", 9, 1, "m2");
	ps_diags_add(&d, "t", "R3", "name-c", PS_SEV_ERROR, "a", 1, 1, "m3");
	ps_diags_add(&d, "t", "R4", "name-d", PS_SEV_STYLE, "b", 2, 1, "m4a");
	ps_diags_add(&d, "t", "R4", "name-d", PS_SEV_STYLE, "b", 2, 1, "m4b");
	ps_diags_add(&d, "t", "R0", "name-e", PS_SEV_STYLE, "b", 2, 1, "m0");
	ck_assert_uint_eq(d.len, 6);
	ck_assert_str_eq(d.v[0]->message, "m1");
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_WARNING), 2);
	ck_assert_uint_eq(ps_diags_count(&d, PS_SEV_STYLE), 6);
	ck_assert_int_eq(ps_diags_max(&d), PS_SEV_ERROR);
	ps_diags_sort(&d);
	ck_assert_str_eq(d.v[0]->message, "m3");
	ck_assert_str_eq(d.v[1]->message, "m2");
	ck_assert_str_eq(d.v[2]->message, "m0");
	ck_assert_str_eq(d.v[3]->message, "m1");
	/* stable: equal keys keep their order */
	ck_assert_str_eq(d.v[4]->message, "m4a");
	ck_assert_str_eq(d.v[5]->message, "m4b");
	ps_diags_drop_rules(&d, drop);
	ck_assert_uint_eq(d.len, 4);
	ck_assert_int_eq(ps_diags_max(&d), PS_SEV_STYLE + 1);
	ps_diags_free(&d);
	ck_assert_uint_eq(d.len, 0);
	ck_assert_int_eq(ps_diags_max(&d), PS_SEV_NONE);
}
END_TEST

/* Many findings out of order, most keys shared: sorted (merging runs
 * sorted by insertion) and stable. */
START_TEST(test_diags_sort_many)
{
	struct ps_diags d = {0};

	for (int n = 1; n <= 300; n += 37) {
		for (int i = 0; i < n; i++)
			ps_diags_add(&d, "t", "R", NULL, PS_SEV_INFO, "f",
				     1 + (i * 37) % 20, 1, "%d", i);
		ps_diags_sort(&d);
		ck_assert_uint_eq(d.len, (size_t)n);
		for (size_t k = 1; k < d.len; k++) {
			const struct ps_finding *a = d.v[k - 1], *b = d.v[k];

			ck_assert_int_le(a->line, b->line);
			if (a->line == b->line)
				ck_assert_int_lt(atoi(a->message), atoi(b->message));
		}
		ps_diags_free(&d);
	}
}
END_TEST

/* A finding that borrows the strings of a rule table and a run: freed
 * without touching them (ASan would see a bad free), a ref added to lent
 * refs goes to a copy, and a fingerprint in its own room is recomputed
 * when the snippet changes. */
START_TEST(test_borrowed_fields)
{
	static char tool[] = "ps-x", rule[] = "PSX001", name[] = "some-rule";
	static char file[] = "dir/Dockerfile", help[] = "why", ref[] = "DL3000";
	static char *refs[] = { ref, NULL };
	struct ps_diags d = {0};
	struct ps_finding *f = ps_xcalloc(1, sizeof(*f));
	struct ps_finding *o;
	const char *fp;

	f->borrows = PS_BORROWS_TOOL | PS_BORROWS_RULE | PS_BORROWS_NAME |
		     PS_BORROWS_FILE | PS_BORROWS_HELP | PS_BORROWS_REFS;
	f->tool = tool;
	f->rule = rule;
	f->name = name;
	f->file = file;
	f->help = help;
	f->refs = refs;
	f->message = ps_xstrdup("m");
	ps_diags_push(&d, f);
	ps_finding_set_snippet(f, "RUN x", 5);
	/* the same fingerprint as an owning finding of the same content */
	o = ps_diags_add(&d, "ps-x", "PSX001", "some-rule", PS_SEV_ERROR,
			 "dir/Dockerfile", 1, 1, "m");
	ps_finding_set_snippet(o, "RUN x", 5);
	fp = ps_finding_fingerprint(f);
	ck_assert_str_eq(fp, ps_finding_fingerprint(o));
	ck_assert_ptr_eq(ps_finding_fingerprint(f), fp);
	ps_finding_set_snippet(f, "RUN y", 5);
	ck_assert_str_ne(ps_finding_fingerprint(f), ps_finding_fingerprint(o));
	ps_finding_add_ref(f, "X1");
	ck_assert_ptr_ne(f->refs, refs);
	ck_assert_str_eq(f->refs[0], "DL3000");
	ck_assert_str_eq(f->refs[1], "X1");
	ck_assert_ptr_null(f->refs[2]);
	ck_assert_ptr_eq(refs[0], ref);
	ck_assert_ptr_null(refs[1]);
	/* message and snippet in the finding's own allocation */
	{
		struct ps_finding *g = ps_xmalloc(sizeof(*g) + 8);

		memset(g, 0, sizeof(*g));
		g->borrows = PS_BORROWS_MESSAGE | PS_BORROWS_SNIPPET;
		g->message = (char *)(g + 1);
		memcpy(g->message, "msg", 4);
		g->snippet = g->message + 4;
		memcpy(g->snippet, "RUN", 4);
		ps_diags_push(&d, g);
		fp = ps_finding_fingerprint(g);
		ck_assert_ptr_eq(fp, g->fp);
		/* a new snippet is the finding's own: freed with it */
		ps_finding_set_snippet(g, "RUN z", 5);
		ck_assert_str_eq(g->snippet, "RUN z");
		ck_assert_str_eq(g->message, "msg");
	}
	ps_diags_free(&d);
	ck_assert_str_eq(tool, "ps-x");
	ck_assert_str_eq(file, "dir/Dockerfile");
}
END_TEST

START_TEST(test_fingerprint)
{
	struct ps_diags d = {0};
	struct ps_finding *a, *b, *c, *e, *g, *h, *m1, *m2;

	a = ps_diags_add(&d, "t", "PSE001", NULL, PS_SEV_ERROR, ".env", 3, 1, "dup A");
	ps_finding_set_snippet(a, "A=2", 3);
	/* independently computed (python3-xxhash): xxh3_64("PSE001\0.env\0A=2") */
	ck_assert_str_eq(ps_finding_fingerprint(a), "6bef9e7b6e745d1b");
	/* the same finding moved down, with other white space and another message */
	b = ps_diags_add(&d, "t", "PSE001", NULL, PS_SEV_WARNING, "./.env", 30, 7, "dup A again");
	ps_finding_set_snippet(b, "  A=2 \t\n", 8);
	ck_assert_str_eq(ps_finding_fingerprint(b), ps_finding_fingerprint(a));
	/* other content, other file, other rule: other fingerprints */
	c = ps_diags_add(&d, "t", "PSE001", NULL, PS_SEV_ERROR, ".env", 3, 1, "dup A");
	ps_finding_set_snippet(c, "A=3", 3);
	e = ps_diags_add(&d, "t", "PSE001", NULL, PS_SEV_ERROR, ".env.prod", 3, 1, "dup A");
	ps_finding_set_snippet(e, "A=2", 3);
	g = ps_diags_add(&d, "t", "PSE002", NULL, PS_SEV_ERROR, ".env", 3, 1, "dup A");
	ps_finding_set_snippet(g, "A=2", 3);
	ck_assert_str_ne(ps_finding_fingerprint(c), ps_finding_fingerprint(a));
	ck_assert_str_ne(ps_finding_fingerprint(e), ps_finding_fingerprint(a));
	ck_assert_str_ne(ps_finding_fingerprint(g), ps_finding_fingerprint(a));
	ck_assert_uint_eq(strlen(ps_finding_fingerprint(a)), 16);
	/* inner white space is collapsed, not removed */
	h = ps_diags_add(&d, "t", "PSE001", NULL, PS_SEV_ERROR, ".env", 3, 1, "x");
	ps_finding_set_snippet(h, "A =  2", 6);
	ck_assert_str_ne(ps_finding_fingerprint(h), ps_finding_fingerprint(a));
	/* without a snippet the message counts, the line does not;
	 * independently computed (python3-xxhash): xxh3_64("R\0f\0key X is lowercase") */
	m1 = ps_diags_add(&d, "t", "R", NULL, PS_SEV_ERROR, "f", 1, 1, "key X is  lowercase");
	m2 = ps_diags_add(&d, "t", "R", NULL, PS_SEV_ERROR, "f", 99, 1, " key X is lowercase ");
	ck_assert_str_eq(ps_finding_fingerprint(m1), ps_finding_fingerprint(m2));
	ck_assert_str_eq(ps_finding_fingerprint(m1), "466f6bc147ef4146");
	/* setting a snippet recomputes */
	ps_finding_set_snippet(m2, "X=1", 3);
	ck_assert_str_ne(ps_finding_fingerprint(m1), ps_finding_fingerprint(m2));
	ps_diags_free(&d);
}
END_TEST

/* A temporary file with the given text; returns its path (static buffer). */
static const char *
tmp_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/ps-diag-test.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_baseline_jsonl)
{
	struct ps_diags d = {0};
	struct ps_error err = {0};
	struct ps_baseline *b;
	struct ps_render_opts o = std_opts;
	int st;
	char *s;
	const char *path;

	mk_sample(&d);
	/* the baseline: the first finding by fingerprint field, the second
	 * computed from its fields (moved to another line), a probe, a
	 * finding of another file */
	path = tmp_file(
		"{\"type\":\"finding\",\"tool\":\"x\",\"rule\":\"PSE001\",\"severity\":\"error\","
		"\"file\":\".env\",\"line\":1,\"message\":\"m\",\"fingerprint\":\"6bef9e7b6e745d1b\"}\n"
		"\n{\"type\":\"probe\",\"tool\":\"ps-health\"}\n"
		"{\"type\":\"finding\",\"tool\":\"x\",\"rule\":\"PSE010\",\"severity\":\"warning\","
		"\"file\":\".env\",\"line\":44,\"message\":\"key \\\"db_url\\\": a|b <x> & 50%, ok\"}\n"
		"{\"type\":\"finding\",\"tool\":\"x\",\"rule\":\"PSE001\",\"severity\":\"error\","
		"\"file\":\"other\",\"line\":1,\"message\":\"m\"}\n");
	b = ps_baseline_load(path, &err);
	unlink(path);
	ck_assert_msg(b != NULL, "%s", err.msg);
	ck_assert_uint_eq(ps_baseline_size(b), 3);
	o.baseline = b;
	o.summary = 1;
	s = render(&d, o, PS_FMT_TEXT, 0, &st);
	ck_assert_str_eq(s, "dir/.env prod: info: no blank line at the end\\nsecond [PSE020]\n"
			    "dir/.env prod:2:4: style: value 'x' quoted [PSE030]\n"
			    "1 info, 1 style in 1 file (2 hidden by the baseline)\n");
	/* the error is hidden, so fail_on=error does not fail */
	ck_assert_int_eq(st, 0);
	free(s);
	/* entries are used up: the same findings again are all shown */
	s = render(&d, o, PS_FMT_GNU, 0, &st);
	ck_assert_ptr_nonnull(strstr(s, "[PSE001]"));
	ck_assert_int_eq(st, 1);
	free(s);
	ps_baseline_free(b);
	ps_diags_free(&d);
}
END_TEST

/* Hundreds of files and of baseline entries: the renderer's and the
 * baseline's tables grow several times over and keep every entry. */
START_TEST(test_many_files_and_entries)
{
	struct ps_diags d = {0};
	struct ps_error err = {0};
	struct ps_render_opts o = std_opts;
	struct ps_baseline *b;
	struct ps_buf text = {0};
	char name[32], fp[17], *s;
	const char *path;
	int st, i;

	/* 300 files, one finding each, and a second finding in file 7 */
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "dir/f%03d", i);
		ps_diags_add(&d, "t", "R1", NULL, PS_SEV_WARNING, name, 1, 1, "m");
	}
	ps_diags_add(&d, "t", "R1", NULL, PS_SEV_WARNING, "dir/f007", 2, 1, "m");
	o.summary = 1;
	s = render(&d, o, PS_FMT_TEXT, 0, &st);
	ck_assert_ptr_nonnull(strstr(s, "301 warnings in 300 files\n"));
	free(s);
	ps_diags_free(&d);

	/* a baseline of 500 fingerprints, one of them twice */
	for (i = 0; i < 501; i++) {
		snprintf(fp, sizeof(fp), "%016x", i < 500 ? i : 123);
		ps_buf_addf(&text, "{\"type\":\"finding\",\"tool\":\"x\","
			    "\"rule\":\"R\",\"severity\":\"error\","
			    "\"message\":\"m\",\"fingerprint\":\"%s\"}\n", fp);
	}
	path = tmp_file(ps_buf_str(&text));
	b = ps_baseline_load(path, &err);
	unlink(path);
	ps_buf_free(&text);
	ck_assert_msg(b != NULL, "%s", err.msg);
	ck_assert_uint_eq(ps_baseline_size(b), 501);
	for (int round = 0; round < 3; round++)
		for (i = 0; i < 500; i++) {
			struct ps_finding f = {0};

			snprintf(f.fp, sizeof(f.fp), "%016x", i);
			f.fingerprint = f.fp;
			/* each entry once, 123 twice, then none */
			ck_assert_int_eq(ps_baseline_take(b, &f),
					 round == 0 || (round == 1 && i == 123));
		}
	ps_baseline_free(b);
}
END_TEST

START_TEST(test_baseline_multiset_and_sarif)
{
	struct ps_diags d = {0}, d2 = {0};
	struct ps_error err = {0};
	struct ps_baseline *b;
	struct ps_render_opts o = std_opts;
	char path[] = "/tmp/ps-diag-sarif.XXXXXX";
	int fd, st, i;
	FILE *f;
	struct ps_render *r;

	/* a SARIF report of two identical findings */
	for (i = 0; i < 2; i++)
		ps_diags_add(&d, "t", "R1", NULL, PS_SEV_ERROR, "f", 1 + i, 1, "same");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	o.format = PS_FMT_SARIF;
	r = ps_render_open(f, &o);
	for (i = 0; i < 2; i++)
		ps_render_finding(r, d.v[i]);
	ck_assert_int_eq(ps_render_close(r), 1);
	fclose(f);
	b = ps_baseline_load(path, &err);
	unlink(path);
	ck_assert_msg(b != NULL, "%s", err.msg);
	ck_assert_uint_eq(ps_baseline_size(b), 2);
	/* three of them now: two hidden, the third shown */
	for (i = 0; i < 3; i++)
		ps_diags_add(&d2, "t", "R1", NULL, PS_SEV_ERROR, "f", 10 + i, 1, "same");
	ps_diags_add(&d2, "t", "R1", NULL, PS_SEV_ERROR, "f", 10, 1, "new");
	o.baseline = b;
	free(render(&d2, o, PS_FMT_JSON, 0, &st));
	ck_assert_int_eq(st, 1);
	ck_assert_int_eq(ps_baseline_take(b, d2.v[0]), 0);
	ps_baseline_free(b);
	ps_diags_free(&d);
	ps_diags_free(&d2);
}
END_TEST

START_TEST(test_baseline_sarif_v1_refused)
{
	struct ps_error err = {0};
	struct ps_baseline *b;
	const char *path;

	/* a SARIF baseline of an older version: its SHA-256 fingerprints
	 * would hide nothing, so it is refused with the way out */
	path = tmp_file("{\"version\":\"2.1.0\",\"runs\":[{\"results\":[{\"ruleId\":\"R1\","
			"\"partialFingerprints\":{\"psFingerprint/v1\":\"5f6278c35214a18b\"}}]}]}\n");
	b = ps_baseline_load(path, &err);
	unlink(path);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_msg(strstr(err.msg, "write the baseline again") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_baseline_counts)
{
	struct ps_diags d = {0};
	struct ps_error err = {0};
	struct ps_baseline *b;
	struct ps_render_opts o = std_opts;
	struct ps_render *r;
	char *buf = NULL;
	size_t n = 0, i;
	FILE *out = open_memstream(&buf, &n);
	const char *path;

	mk_sample(&d);
	path = tmp_file("{\"type\":\"finding\",\"tool\":\"x\",\"rule\":\"PSE030\",\"severity\":\"style\","
			"\"file\":\"dir/.env prod\",\"message\":\"value 'x' quoted\"}\n");
	b = ps_baseline_load(path, &err);
	unlink(path);
	ck_assert_ptr_nonnull(b);
	o.baseline = b;
	o.format = PS_FMT_JSON;
	r = ps_render_open(out, &o);
	for (i = 0; i < d.len; i++)
		ps_render_finding(r, d.v[i]);
	ck_assert_uint_eq(ps_render_hidden(r), 1);
	ck_assert_uint_eq(ps_render_count(r, PS_SEV_ERROR), 1);
	ck_assert_uint_eq(ps_render_count(r, PS_SEV_STYLE), 0);
	ck_assert_uint_eq(ps_render_count(r, PS_SEV_NONE), 3);
	ck_assert_int_eq(ps_render_format(r), PS_FMT_JSON);
	ck_assert_int_eq(ps_render_close(r), 1);
	fclose(out);
	free(buf);
	ps_baseline_free(b);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_baseline_errors)
{
	struct ps_error err = {0};
	const char *path;

	ck_assert_ptr_null(ps_baseline_load("/nonexistent/base.jsonl", &err));
	ck_assert_int_eq(err.code, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open '/nonexistent/base.jsonl'"));
	path = tmp_file("{\"type\":\"finding\",\"tool\":\"x\"}\n{oops\n");
	ck_assert_ptr_null(ps_baseline_load(path, &err));
	ck_assert_msg(strstr(err.msg, ":1: finding: \"rule\" missing") != NULL, "%s", err.msg);
	unlink(path);
	path = tmp_file("{\"type\":\"probe\",\"tool\":\"x\"}\n{oops\n");
	ck_assert_ptr_null(ps_baseline_load(path, &err));
	ck_assert_msg(strstr(err.msg, ":2: invalid JSON") != NULL, "%s", err.msg);
	unlink(path);
}
END_TEST

START_TEST(test_fail_on_and_min_severity)
{
	struct ps_diags d = {0};
	struct ps_render_opts o = std_opts;
	int st;
	char *s;

	ps_diags_add(&d, "t", "W", NULL, PS_SEV_WARNING, "f", 1, 1, "w");
	ps_diags_add(&d, "t", "I", NULL, PS_SEV_INFO, "f", 2, 1, "i");
	o.fail_on = PS_SEV_ERROR;
	free(render(&d, o, PS_FMT_JSON, 0, &st));
	ck_assert_int_eq(st, 0);
	o.fail_on = PS_SEV_WARNING;
	free(render(&d, o, PS_FMT_JSON, 0, &st));
	ck_assert_int_eq(st, 1);
	o.fail_on = PS_SEV_INFO;
	free(render(&d, o, PS_FMT_JSON, 0, &st));
	ck_assert_int_eq(st, 1);
	o.fail_on = PS_SEV_NONE;
	free(render(&d, o, PS_FMT_JSON, 0, &st));
	ck_assert_int_eq(st, 0);
	/* hidden by min_severity: neither shown nor failing */
	o.fail_on = PS_SEV_INFO;
	o.min_severity = PS_SEV_WARNING;
	o.summary = 1;
	s = render(&d, o, PS_FMT_TEXT, 0, &st);
	ck_assert_str_eq(s, "f:1:1: warning: w [W]\n1 warning in 1 file\n");
	ck_assert_int_eq(st, 1);
	free(s);
	o.min_severity = PS_SEV_ERROR;
	s = render(&d, o, PS_FMT_TEXT, 0, &st);
	ck_assert_str_eq(s, "no findings\n");
	ck_assert_int_eq(st, 0);
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_write_error_and_auto)
{
	struct ps_diags d = {0};
	struct ps_render_opts o = std_opts;
	char small[16];
	FILE *out = fmemopen(small, sizeof(small), "w");
	struct ps_render *r;
	char *s;

	mk_sample(&d);
	setvbuf(out, NULL, _IONBF, 0);
	o.format = PS_FMT_TEXT;
	r = ps_render_open(out, &o);
	ps_render_finding(r, d.v[0]);
	ck_assert_int_eq(ps_render_finding(r, d.v[1]), -1);
	ck_assert_int_eq(ps_render_close(r), 3);
	fclose(out);
	/* AUTO on something that is not a terminal: json */
	s = render(&d, std_opts, PS_FMT_AUTO, 0, NULL);
	ck_assert_ptr_nonnull(strstr(s, "{\"type\":\"finding\""));
	free(s);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_summary_to_other_stream)
{
	struct ps_diags d = {0};
	struct ps_render_opts o = std_opts;
	char *buf = NULL, *sbuf = NULL;
	size_t n = 0, sn = 0, i;
	FILE *out = open_memstream(&buf, &n), *sum = open_memstream(&sbuf, &sn);
	struct ps_render *r;

	mk_sample(&d);
	o.format = PS_FMT_SARIF;
	r = ps_render_open(out, &o);
	for (i = 0; i < d.len; i++)
		ps_render_finding(r, d.v[i]);
	ck_assert_int_eq(ps_render_summary(r, sum), 0);
	ps_render_close(r);
	fclose(out);
	fclose(sum);
	ck_assert_str_eq(sbuf, "1 error, 1 warning, 1 info, 1 style in 2 files\n"
			       "  .env: 1 error, 1 warning\n"
			       "  dir/.env prod: 1 info, 1 style\n");
	free(buf);
	free(sbuf);
	ps_diags_free(&d);
}
END_TEST

START_TEST(test_summary_files_interleaved)
{
	static const char *const order[] = { "a", "b", "a", "a", "c", "b", NULL, "a" };
	struct ps_diags d = {0};
	struct ps_render_opts o = std_opts;
	char *sbuf = NULL;
	size_t sn = 0, i;
	FILE *null = fopen("/dev/null", "w"), *sum = open_memstream(&sbuf, &sn);
	struct ps_render *r;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		ps_diags_add(&d, "t", "R", NULL, i % 2 ? PS_SEV_ERROR : PS_SEV_INFO,
			     order[i], 1, 1, "m");
	o.format = PS_FMT_JSON;
	r = ps_render_open(null, &o);
	for (i = 0; i < d.len; i++)
		ps_render_finding(r, d.v[i]);
	ck_assert_int_eq(ps_render_summary(r, sum), 0);
	ps_render_close(r);
	fclose(null);
	fclose(sum);
	ck_assert_str_eq(sbuf, "4 errors, 4 info in 3 files\n"
			       "  a: 2 errors, 2 info\n"
			       "  b: 2 errors\n"
			       "  c: 1 info\n");
	free(sbuf);
	ps_diags_free(&d);
}
END_TEST

/* ps_rec_write(ps_finding_to_json(f)) into a string: what the json
 * renderer's own writer must reproduce byte for byte. */
static char *
json_via_jansson(struct ps_finding *f)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	json_t *o = ps_finding_to_json(f);

	ck_assert_int_eq(ps_rec_write(out, o), 0);
	json_decref(o);
	fclose(out);
	return buf;
}

static char *
json_via_renderer(struct ps_finding *f)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	struct ps_render_opts o = {.format = PS_FMT_JSON};
	struct ps_render *r = ps_render_open(out, &o);

	ck_assert_int_eq(ps_render_finding(r, f), 0);
	ps_render_close(r);
	fclose(out);
	return buf;
}

static void
check_json_same(struct ps_finding *f)
{
	/* the renderer first: it turns a severity out of range into error, as
	 * it did before handing the finding to ps_finding_to_json */
	char *got = json_via_renderer(f), *want = json_via_jansson(f);

	ck_assert_msg(strcmp(got, want) == 0, "--- got\n%s--- want\n%s", got, want);
	free(want);
	free(got);
}

/* The head of the JSON line (tool, rule, name, severity) comes from a
 * per-thread cache when a finding's strings are those of a head written
 * before: strings changed in place at the same addresses, a name unset or
 * empty, another severity, all still give the line jansson writes. */
START_TEST(test_json_head_cache)
{
	static char tool[] = "ps-x", rule[] = "PSX001", name[] = "some-rule";
	static const enum ps_severity sevs[] = { PS_SEV_WARNING, PS_SEV_ERROR,
						 PS_SEV_WARNING, PS_SEV_INFO };
	struct ps_finding f = {0};
	char longname[300];

	f.borrows = PS_BORROWS_TOOL | PS_BORROWS_RULE | PS_BORROWS_NAME;
	f.tool = tool;
	f.rule = rule;
	f.file = "Dockerfile";
	f.line = 3;
	f.message = "m";
	for (int round = 0; round < 3; round++)
		for (size_t k = 0; k < PS_ARRAY_LEN(sevs); k++) {
			f.severity = sevs[k];
			f.name = name;
			check_json_same(&f);
			f.name = NULL;
			check_json_same(&f);
			f.name = (char *)"";
			check_json_same(&f);
			f.name = name;
			/* the same addresses, other contents */
			name[0] = (char)('a' + round);
			rule[5] = (char)('1' + k);
			tool[3] = round == 1 ? 'y' : 'x';
			check_json_same(&f);
		}
	/* an empty name at many addresses, after a head without a name:
	 * some share its place in the cache, none takes it */
	{
		static char empties[1024][1];

		f.severity = PS_SEV_WARNING;
		f.name = NULL;
		check_json_same(&f);
		for (size_t k = 0; k < PS_ARRAY_LEN(empties); k++) {
			f.name = empties[k];
			check_json_same(&f);
		}
	}
	/* a head too long to keep, and one with quotes to escape */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	f.name = longname;
	check_json_same(&f);
	check_json_same(&f);
	f.name = (char *)"q\"uote";
	check_json_same(&f);
	check_json_same(&f);
}
END_TEST

/* The file and help fields come from per-thread memos when a finding's
 * strings are those written before: changed in place at the same address,
 * unset, too long to keep, with characters to escape, help at many
 * addresses sharing memo slots: all still give the line jansson writes. */
START_TEST(test_json_field_memos)
{
	static char file[] = "a/Dockerfile", help[] = "pin the version";
	static char helps[64][8];
	struct ps_finding f = {0};
	char longfile[700];

	f.tool = (char *)"ps-x";
	f.rule = (char *)"PSX001";
	f.name = (char *)"some-rule";
	f.severity = PS_SEV_WARNING;
	f.line = 2;
	f.message = "m";
	for (int round = 0; round < 4; round++) {
		f.file = file;
		f.help = help;
		check_json_same(&f);
		check_json_same(&f);
		/* the same addresses, other contents */
		file[0] = (char)('b' + round);
		help[0] = (char)('q' + round);
		check_json_same(&f);
		f.help = NULL;
		check_json_same(&f);
		f.file = NULL;
		check_json_same(&f);
	}
	for (size_t k = 0; k < PS_ARRAY_LEN(helps); k++) {
		snprintf(helps[k], sizeof(helps[k]), "h%zu", k % 7);
		f.file = file;
		f.help = helps[k];
		check_json_same(&f);
	}
	for (size_t k = 0; k < PS_ARRAY_LEN(helps); k++) {
		helps[k][0] = 'H';
		f.help = helps[PS_ARRAY_LEN(helps) - 1 - k];
		check_json_same(&f);
	}
	/* too long to keep, and with quotes to escape */
	memset(longfile, 'f', sizeof(longfile) - 1);
	longfile[sizeof(longfile) - 1] = '\0';
	f.file = longfile;
	f.help = longfile;
	check_json_same(&f);
	check_json_same(&f);
	f.file = (char *)"q\"uote\\";
	f.help = (char *)"say \"no\"";
	check_json_same(&f);
	check_json_same(&f);
	f.file = file;
	check_json_same(&f);
	/* a fingerprint computed (written as it is) and one given */
	f.fingerprint = NULL;
	check_json_same(&f);
	f.fingerprint = (char *)"given \"fp\"";
	check_json_same(&f);
}
END_TEST

START_TEST(test_json_line_matches_records)
{
	static const char *const odd[] = {
		"", "plain", "q\"uote", "back\\slash\\", "\"\\\"\\", "tab\there",
		"nl\nand\rcr", "\x01\x02\x1f\x7f", "\b\f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"bad \xc3 byte", "\xff\xfe", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
		"past \xf4\x90\x80\x80", "cut \xe2\x82", "slash / and \x7f del",
		"\xe2\x80\xa8 line separator", "<script>&amp;</script>",
	};
	struct ps_diags d = {0};
	struct ps_finding *f;
	char longs[3000], bytes[2];
	size_t i, j;
	int c;

	/* every byte alone, in every string field */
	for (c = 1; c < 256; c++) {
		bytes[0] = (char)c;
		bytes[1] = '\0';
		f = ps_diags_add(&d, bytes, bytes, bytes, PS_SEV_WARNING, bytes,
				 c, c % 3, "%s", bytes);
		ps_finding_set_fix(f, bytes);
		ps_finding_set_snippet(f, bytes, 1);
		ps_finding_add_ref(f, bytes);
		ps_finding_add_ref(f, "x");
		f->help = strdup(bytes);
		f->help_uri = strdup(bytes);
		check_json_same(f);
	}
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		for (j = 0; j < 3; j++) {
			f = ps_diags_add(&d, j ? odd[i] : NULL, j == 1 ? NULL : odd[i],
					 j == 2 ? NULL : odd[i], (enum ps_severity)j,
					 j == 1 ? NULL : odd[i], (int)j - 1, (int)j,
					 "m %s", odd[i]);
			f->end_line = (int)j * 7;
			f->end_col = (int)j * 1000000;
			if (j == 2)
				ps_finding_add_ref(f, odd[i]);
			check_json_same(f);
		}
	/* a byte to escape at every place of strings of 1 to 40 bytes: in
	 * the writer's 16-byte steps, at their edges and in the padded rest */
	{
		static const char special[] = { '"', '\\', '\n', 0x01, 0x1f, 0x7f };
		char s[41];

		for (size_t len = 1; len <= 40; len++)
			for (size_t at = 0; at < len; at++)
				for (size_t k = 0; k < sizeof(special); k++) {
					memset(s, 'x', len);
					s[len] = '\0';
					s[at] = special[k];
					f = ps_diags_add(&d, "t", "R", NULL, PS_SEV_ERROR,
							 s, 1, 1, "%s", s);
					check_json_same(f);
				}
	}
	/* strings longer than the writer's stack buffer */
	for (i = 0; i < sizeof(longs) - 1; i++)
		longs[i] = i % 50 == 0 ? '\n' : i % 7 == 0 ? '"' : (char)('a' + i % 26);
	longs[sizeof(longs) - 1] = '\0';
	f = ps_diags_add(&d, "t", "R", "n", PS_SEV_ERROR, "f", 2147483647, 1,
			 "%s", longs);
	ps_finding_set_snippet(f, longs, strlen(longs));
	check_json_same(f);
	longs[10] = '\0';
	f = ps_diags_add(&d, "t", "R", "n", PS_SEV_ERROR, "f", 1, 1, "%s", longs);
	check_json_same(f);
	/* a severity out of range is written as error, as before */
	f = ps_diags_add(&d, "t", "R", "n", (enum ps_severity)9, "f", 1, 1, "m");
	{
		char *got = json_via_renderer(f);

		ck_assert_ptr_nonnull(strstr(got, "\"severity\":\"error\""));
		free(got);
	}
	check_json_same(f);
	ps_diags_free(&d);
}
END_TEST

static int
same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* d's findings from i on that share the tool and file of d->v[i], rendered
 * into b, counted in nsev; returns the index past them. */
static size_t
put_group(struct ps_render *r, struct ps_diags *d, size_t i, struct ps_buf *b,
	  size_t nsev[PS_SEV_ERROR + 1], size_t *off)
{
	size_t e;

	memset(nsev, 0, (PS_SEV_ERROR + 1) * sizeof(*nsev));
	ps_buf_reset(b);
	for (e = i; e < d->len && same_str(d->v[e]->tool, d->v[i]->tool) &&
		    same_str(d->v[e]->file, d->v[i]->file); e++) {
		off[e - i] = b->len;
		ps_render_put(r, b, d->v[e]);
		nsev[d->v[e]->severity]++;	/* (made valid by the put) */
	}
	off[e - i] = b->len;
	return e;
}

/* The findings rendered apart (ps_render_put on "another thread", then
 * ps_render_emit, ps_render_take, or in groups ps_render_take_group)
 * against ps_render_finding: same bytes, counts, status. */
static void
check_apart(enum ps_format fmt, int color, enum ps_severity min, int grouped)
{
	struct ps_diags d = {0}, d2 = {0};
	struct ps_render_opts o = std_opts;
	char *want = NULL, *got = NULL, *sw = NULL, *sg = NULL;
	size_t nw = 0, ng = 0, nsw = 0, nsg = 0, i;
	FILE *ow = open_memstream(&want, &nw), *og = open_memstream(&got, &ng);
	FILE *fsw = open_memstream(&sw, &nsw), *fsg = open_memstream(&sg, &nsg);
	struct ps_render *rw, *rg;
	struct ps_buf b = {0};
	int stw, stg;

	mk_sample(&d);
	mk_sample(&d2);
	for (i = 0; i < 2; i++) {
		struct ps_diags *dd = i ? &d2 : &d;

		ps_diags_add(dd, NULL, "X1", NULL, (enum ps_severity)7, NULL, 0, 0, "no file");
		/* a group with more than one of a severity */
		ps_diags_add(dd, "ps-x", "X2", NULL, PS_SEV_WARNING, "f.txt", 1, 1, "w1");
		ps_diags_add(dd, "ps-x", "X2", NULL, PS_SEV_WARNING, "f.txt", 2, 1, "w2");
		ps_diags_add(dd, "ps-x", "X3", NULL, PS_SEV_ERROR, "f.txt", 3, 1, "e");
		ps_diags_add(dd, "ps-x", "X3", NULL, PS_SEV_ERROR, "f.txt", 4, 1, "e");
	}
	o.format = fmt;
	o.color = color;
	o.min_severity = min;
	rw = ps_render_open(ow, &o);
	rg = ps_render_open(og, &o);
	ck_assert(ps_render_apart(rg));
	for (i = 0; i < d.len; i++)
		ck_assert_int_eq(ps_render_finding(rw, d.v[i]), 0);
	for (i = 0; grouped && i < d2.len;) {
		size_t nsev[PS_SEV_ERROR + 1], off[64], e;

		e = put_group(rg, &d2, i, &b, nsev, off);
		if (ps_render_take_group(rg, d2.v[i]->tool, d2.v[i]->file, nsev)) {
			ck_assert_int_eq(ps_render_write(rg, ps_buf_str(&b), b.len), 0);
		} else {
			/* some hidden: none counted, so one by one */
			for (size_t k = i; k < e; k++)
				ck_assert_int_eq(ps_render_emit(rg, d2.v[k]->tool, d2.v[k]->file,
								d2.v[k]->severity,
								ps_buf_str(&b) + off[k - i],
								off[k - i + 1] - off[k - i]), 0);
		}
		i = e;
	}
	for (i = 0; !grouped && i < d2.len; i++) {
		struct ps_finding *f = d2.v[i];

		ps_buf_reset(&b);
		ps_render_put(rg, &b, f);
		/* half written by the renderer, half by the caller after take */
		if (i % 2)
			ck_assert_int_eq(ps_render_emit(rg, f->tool, f->file, f->severity,
							ps_buf_str(&b), b.len), 0);
		else if (ps_render_take(rg, f->tool, f->file, f->severity))
			fwrite(ps_buf_str(&b), 1, b.len, og);
		else
			ck_assert_int_lt(f->severity, min);
	}
	for (i = PS_SEV_NONE; i <= PS_SEV_ERROR; i++)
		ck_assert_uint_eq(ps_render_count(rg, (enum ps_severity)i),
				  ps_render_count(rw, (enum ps_severity)i));
	ps_render_summary(rw, fsw);
	ps_render_summary(rg, fsg);
	stw = ps_render_close(rw);
	stg = ps_render_close(rg);
	fclose(ow);
	fclose(og);
	fclose(fsw);
	fclose(fsg);
	ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- got\n%s--- want\n%s",
		      ps_format_name(fmt), got, want);
	if (fmt == PS_FMT_TEXT && o.summary) {
		ck_assert_str_eq(sg, sw);
	} else {
		/* counted by severity alone (files only for text's own
		 * summary): the first line without " in N files" */
		char *nl = strchr(sw, '\n'), *in = strstr(sw, " in ");
		size_t keep = in && in < nl ? (size_t)(in - sw) : (size_t)(nl - sw);

		ck_assert_int_eq(strncmp(sg, sw, keep), 0);
		ck_assert_str_eq(sg + keep, "\n");
	}
	ck_assert_int_eq(stg, stw);
	free(want);
	free(got);
	free(sw);
	free(sg);
	ps_buf_free(&b);
	ps_diags_free(&d);
	ps_diags_free(&d2);
}

START_TEST(test_render_apart)
{
	static const enum ps_format no[] = {
		PS_FMT_SARIF, PS_FMT_JUNIT, PS_FMT_CHECKSTYLE,
		PS_FMT_CODECLIMATE, PS_FMT_MARKDOWN, PS_FMT_PROM,
	};
	struct ps_render_opts o = std_opts;
	struct ps_error err = {0};
	char path[] = "/tmp/test_diag_apart_XXXXXX";
	int fd = mkstemp(path);
	FILE *null = fopen("/dev/null", "w");
	struct ps_render *r;
	size_t i;

	check_apart(PS_FMT_TEXT, 0, PS_SEV_NONE, 0);
	check_apart(PS_FMT_TEXT, 0, PS_SEV_NONE, 1);
	check_apart(PS_FMT_TEXT, 1, PS_SEV_NONE, 0);
	check_apart(PS_FMT_TEXT, 1, PS_SEV_NONE, 1);
	check_apart(PS_FMT_JSON, 0, PS_SEV_NONE, 0);
	check_apart(PS_FMT_JSON, 0, PS_SEV_NONE, 1);
	check_apart(PS_FMT_GITHUB, 0, PS_SEV_NONE, 0);
	check_apart(PS_FMT_GITHUB, 0, PS_SEV_NONE, 1);
	check_apart(PS_FMT_GNU, 0, PS_SEV_NONE, 0);
	check_apart(PS_FMT_GNU, 0, PS_SEV_NONE, 1);
	check_apart(PS_FMT_JSON, 0, PS_SEV_WARNING, 0);
	check_apart(PS_FMT_JSON, 0, PS_SEV_WARNING, 1);
	check_apart(PS_FMT_TEXT, 0, PS_SEV_INFO, 0);
	check_apart(PS_FMT_TEXT, 0, PS_SEV_INFO, 1);
	/* stateful formats and a baseline keep ps_render_finding */
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		o.format = no[i];
		r = ps_render_open(null, &o);
		ck_assert_msg(!ps_render_apart(r), "%s", ps_format_name(no[i]));
		ps_render_close(r);
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"type\":\"finding\",\"fingerprint\":\"0\"}\n", 37), 37);
	close(fd);
	o.format = PS_FMT_JSON;
	o.baseline = ps_baseline_load(path, &err);
	ck_assert_ptr_nonnull(o.baseline);
	r = ps_render_open(null, &o);
	ck_assert(!ps_render_apart(r));
	ps_render_close(r);
	ps_baseline_free(o.baseline);
	unlink(path);
	fclose(null);
}
END_TEST

static Suite *
diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("findings");
	TCase *tr = tcase_create("renderers");
	TCase *tb = tcase_create("baseline");

	tcase_add_test(tc, test_severity_and_format_names);
	tcase_add_test(tc, test_diags_list);
	tcase_add_test(tc, test_diags_sort_many);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_borrowed_fields);
	tcase_add_test(tc, test_finding_print);
	suite_add_tcase(s, tc);
	tcase_add_test(tr, test_golden_text);
	tcase_add_test(tr, test_golden_json);
	tcase_add_test(tr, test_golden_sarif);
	tcase_add_test(tr, test_golden_junit);
	tcase_add_test(tr, test_golden_github);
	tcase_add_test(tr, test_golden_checkstyle);
	tcase_add_test(tr, test_golden_codeclimate);
	tcase_add_test(tr, test_golden_gnu);
	tcase_add_test(tr, test_golden_markdown);
	tcase_add_test(tr, test_golden_prom);
	tcase_add_test(tr, test_sarif_structure);
	tcase_add_test(tr, test_empty_documents);
	tcase_add_test(tr, test_escaping);
	tcase_add_test(tr, test_invalid_utf8_in_json_formats);
	tcase_add_test(tr, test_xml_parses_with_markup_in_names);
	tcase_add_test(tr, test_utf8_in_xml);
	tcase_add_test(tr, test_gnu_ranges);
	tcase_add_test(tr, test_fail_on_and_min_severity);
	tcase_add_test(tr, test_write_error_and_auto);
	tcase_add_test(tr, test_summary_to_other_stream);
	tcase_add_test(tr, test_summary_files_interleaved);
	tcase_add_test(tr, test_json_line_matches_records);
	tcase_add_test(tr, test_json_head_cache);
	tcase_add_test(tr, test_json_field_memos);
	tcase_add_test(tr, test_render_apart);
	suite_add_tcase(s, tr);
	tcase_add_test(tb, test_baseline_jsonl);
	tcase_add_test(tb, test_many_files_and_entries);
	tcase_add_test(tb, test_baseline_multiset_and_sarif);
	tcase_add_test(tb, test_baseline_sarif_v1_refused);
	tcase_add_test(tb, test_baseline_counts);
	tcase_add_test(tb, test_baseline_errors);
	suite_add_tcase(s, tb);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(diag_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
