/*
 * test_s3: the SigV4 signer against every case of the official AWS test
 * suite (tests/fixtures/sigv4/v4/, Apache-2.0, from aws-c-auth), in header
 * and query (presigned) form; credentials parsing; URI encoding.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/s3.h"
#include "lib/util.h"

static const char *
fixdir(void)
{
	const char *d = getenv("PS_FIXTURES");

	return d && *d ? d : "tests/fixtures";
}

static char *
slurp(const char *dir, const char *name)
{
	char *path = ps_xasprintf("%s/%s", dir, name);
	struct ps_buf b = { 0 };
	struct ps_error err = { 0 };

	if (ps_read_file(path, &b, &err) < 0) {
		free(path);
		ps_buf_free(&b);
		return NULL;
	}
	free(path);
	return ps_buf_detach(&b);
}

/* One parsed request.txt. */
struct vreq {
	char *method;
	char *path;
	char *query;
	struct ps_s3_header h[32];
	size_t nh;
	char *body;
	size_t body_len;
	char *text;
};

static void
vreq_free(struct vreq *r)
{
	size_t i;

	free(r->method);
	free(r->path);
	free(r->query);
	for (i = 0; i < r->nh; i++) {
		free((char *)r->h[i].name);
		free((char *)r->h[i].value);
	}
	free(r->body);
	free(r->text);
}

/* "METHOD PATH[?QUERY] HTTP/1.1\nName:value\n (folded)\n\nbody" */
static int
parse_request(const char *text, struct vreq *r)
{
	const char *p = text, *eol, *sp1, *sp2, *qm;

	memset(r, 0, sizeof(*r));
	eol = strchr(p, '\n');
	if (!eol)
		return -1;
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	sp2 = NULL;
	for (const char *s = eol; s > p; s--)
		if (*s == ' ') {
			sp2 = s;
			break;
		}
	if (!sp1 || !sp2 || sp2 <= sp1)
		return -1;
	r->method = ps_xstrndup(p, (size_t)(sp1 - p));
	qm = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	if (qm) {
		r->path = ps_xstrndup(sp1 + 1, (size_t)(qm - sp1 - 1));
		r->query = ps_xstrndup(qm + 1, (size_t)(sp2 - qm - 1));
	} else {
		r->path = ps_xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	}
	p = eol + 1;
	while (*p && *p != '\n') {
		size_t n;

		eol = strchr(p, '\n');
		n = eol ? (size_t)(eol - p) : strlen(p);
		if ((*p == ' ' || *p == '\t') && r->nh) {
			/* a folded line continues the previous value */
			char *v = ps_xasprintf("%s\n%.*s", r->h[r->nh - 1].value,
					       (int)n, p);
			free((char *)r->h[r->nh - 1].value);
			r->h[r->nh - 1].value = v;
		} else {
			const char *colon = memchr(p, ':', n);

			if (!colon || r->nh >= PS_ARRAY_LEN(r->h))
				return -1;
			r->h[r->nh].name = ps_xstrndup(p, (size_t)(colon - p));
			r->h[r->nh].value = ps_xstrndup(colon + 1,
							n - (size_t)(colon - p) - 1);
			r->nh++;
		}
		p += n + (eol ? 1 : 0);
	}
	if (*p == '\n')
		p++;
	r->body_len = strlen(p);
	r->body = ps_xstrndup(p, r->body_len);
	return 0;
}

struct vctx {
	char ak[128], sk[128], token[1024], region[64], service[64];
	time_t when;
	int normalize, sign_body, omit_token;
	long expires;
};

static int
parse_context(const char *text, struct vctx *c)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je), *cr, *v;
	struct tm tm = { 0 };
	const char *ts;

	memset(c, 0, sizeof(*c));
	if (!j)
		return -1;
	cr = json_object_get(j, "credentials");
	snprintf(c->ak, sizeof(c->ak), "%s",
		 json_string_value(json_object_get(cr, "access_key_id")));
	snprintf(c->sk, sizeof(c->sk), "%s",
		 json_string_value(json_object_get(cr, "secret_access_key")));
	v = json_object_get(cr, "token");
	if (v)
		snprintf(c->token, sizeof(c->token), "%s", json_string_value(v));
	snprintf(c->region, sizeof(c->region), "%s",
		 json_string_value(json_object_get(j, "region")));
	snprintf(c->service, sizeof(c->service), "%s",
		 json_string_value(json_object_get(j, "service")));
	c->normalize = json_is_true(json_object_get(j, "normalize"));
	c->sign_body = json_is_true(json_object_get(j, "sign_body"));
	c->omit_token = json_is_true(json_object_get(j, "omit_session_token"));
	c->expires = (long)json_integer_value(
		json_object_get(j, "expiration_in_seconds"));
	ts = json_string_value(json_object_get(j, "timestamp"));
	if (!ts || !strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		json_decref(j);
		return -1;
	}
	c->when = timegm(&tm);
	json_decref(j);
	return 0;
}

/* The Authorization value of a signed request file. */
static char *
header_of(const char *signed_text, const char *name)
{
	size_t nl = strlen(name);
	const char *p = signed_text;

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *e = strchr(p, '\n');
			return ps_xstrndup(p + nl + 1,
					   e ? (size_t)(e - p - nl - 1)
					     : strlen(p + nl + 1));
		}
	}
	return NULL;
}

/* The query string of a signed request's first line. */
static char *
query_of(const char *signed_text)
{
	const char *eol = strchr(signed_text, '\n');
	const char *qm = memchr(signed_text, '?', (size_t)(eol - signed_text));
	const char *sp;

	if (!qm)
		return NULL;
	sp = eol;
	while (sp > qm && *sp != ' ')
		sp--;
	return ps_xstrndup(qm + 1, (size_t)(sp - qm - 1));
}

static int n_cases, n_header_ok, n_query_ok;

static int
check_case(const char *dir, const char *name, char *why, size_t whylen)
{
	char *cd = ps_xasprintf("%s/%s", dir, name);
	char *req_t = slurp(cd, "request.txt"), *ctx_t = slurp(cd, "context.json");
	struct vreq r;
	struct vctx c;
	struct ps_s3_sign_req sr;
	struct ps_s3_sign_params sp;
	struct ps_s3_signed hs, qs;
	struct ps_error err = { 0 };
	char body_hash[65];
	int ok = 0;
	static const char *forms[] = { "header", "query" };

	ck_assert_msg(req_t && ctx_t, "%s: missing request.txt/context.json", cd);
	ck_assert_msg(parse_request(req_t, &r) == 0, "%s: bad request.txt", cd);
	ck_assert_msg(parse_context(ctx_t, &c) == 0, "%s: bad context.json", cd);
	ps_sha256_hex(r.body, r.body_len, body_hash);
	memset(&sr, 0, sizeof(sr));
	sr.method = r.method;
	sr.path = r.path;
	sr.query = r.query;
	sr.headers = r.h;
	sr.nheaders = r.nh;
	sr.payload_hash = body_hash;
	memset(&sp, 0, sizeof(sp));
	sp.access_key = c.ak;
	sp.secret_key = c.sk;
	sp.session_token = c.token[0] ? c.token : NULL;
	sp.region = c.region;
	sp.service = c.service;
	sp.when = c.when;
	sp.normalize_path = c.normalize;
	sp.sign_body = c.sign_body;
	sp.omit_session_token = c.omit_token;
	sp.expires = c.expires;

	ck_assert_int_eq(ps_s3_sign_header(&sr, &sp, &hs, &err), 0);
	ck_assert_int_eq(ps_s3_sign_query(&sr, &sp, &qs, &err), 0);
	why[0] = 0;
	for (int f = 0; f < 2; f++) {
		struct ps_s3_signed *s = f ? &qs : &hs;
		char fn[64];
		char *want_cr, *want_sts, *want_sig, *want_req;
		int good = 1;

		snprintf(fn, sizeof(fn), "%s-canonical-request.txt", forms[f]);
		want_cr = slurp(cd, fn);
		snprintf(fn, sizeof(fn), "%s-string-to-sign.txt", forms[f]);
		want_sts = slurp(cd, fn);
		snprintf(fn, sizeof(fn), "%s-signature.txt", forms[f]);
		want_sig = slurp(cd, fn);
		snprintf(fn, sizeof(fn), "%s-signed-request.txt", forms[f]);
		want_req = slurp(cd, fn);
		ck_assert_msg(want_cr && want_sts && want_sig && want_req,
			      "%s: %s files missing", cd, forms[f]);
		if (strcmp(want_cr, s->canonical_request) != 0) {
			good = 0;
			snprintf(why, whylen, "%s canonical request:\n%s\n--- want:\n%s",
				 forms[f], s->canonical_request, want_cr);
		} else if (strcmp(want_sts, s->string_to_sign) != 0) {
			good = 0;
			snprintf(why, whylen, "%s string to sign", forms[f]);
		} else if (strcmp(want_sig, s->signature) != 0) {
			good = 0;
			snprintf(why, whylen, "%s signature", forms[f]);
		} else if (f == 0) {
			/* every added header appears with that value */
			for (size_t i = 0; i < s->nadd && good; i++) {
				char *v = header_of(want_req, s->add[i].name);

				if (!v || strcmp(v, s->add[i].value) != 0) {
					good = 0;
					snprintf(why, whylen, "header %s: '%s' want '%s'",
						 s->add[i].name, s->add[i].value,
						 v ? v : "(absent)");
				}
				free(v);
			}
		} else {
			char *q = query_of(want_req);

			if (!q || strcmp(q, s->query) != 0) {
				good = 0;
				snprintf(why, whylen, "query: '%s' want '%s'",
					 s->query, q ? q : "(none)");
			}
			free(q);
		}
		if (good)
			f ? n_query_ok++ : n_header_ok++;
		ok += good;
		free(want_cr);
		free(want_sts);
		free(want_sig);
		free(want_req);
	}
	ps_s3_signed_free(&hs);
	ps_s3_signed_free(&qs);
	vreq_free(&r);
	free(req_t);
	free(ctx_t);
	free(cd);
	return ok == 2;
}

START_TEST(test_sigv4_suite)
{
	char *dir = ps_xasprintf("%s/sigv4/v4", fixdir());
	DIR *d = opendir(dir);
	struct dirent *e;
	char why[4096];
	int bad = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	n_cases = n_header_ok = n_query_ok = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n_cases++;
		if (!check_case(dir, e->d_name, why, sizeof(why))) {
			bad++;
			fprintf(stderr, "sigv4 %s: %s\n", e->d_name, why);
		}
	}
	closedir(d);
	free(dir);
	fprintf(stderr, "sigv4 suite: %d cases, header %d ok, query %d ok\n",
		n_cases, n_header_ok, n_query_ok);
	ck_assert_int_eq(n_cases, 38);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(n_header_ok, 38);
	ck_assert_int_eq(n_query_ok, 38);
}
END_TEST

START_TEST(test_uri_encode)
{
	struct ps_buf b = { 0 };

	ps_s3_uri_encode(&b, "a b/c~d_e.f-g+h=\xe1\x88\xb4", 19, 1);
	ck_assert_str_eq(ps_buf_str(&b), "a%20b/c~d_e.f-g%2Bh%3D%E1%88%B4");
	ps_buf_reset(&b);
	ps_s3_uri_encode(&b, "a/b", 3, 0);
	ck_assert_str_eq(ps_buf_str(&b), "a%2Fb");
	ps_buf_free(&b);
}
END_TEST

START_TEST(test_creds_parse)
{
	struct ps_s3_creds c;
	const char *ini =
		"# comment\n"
		"[default]\n"
		"aws_access_key_id = AKIDDEFAULT\n"
		"aws_secret_access_key=secretdefault\n"
		"\n"
		"[profile other]\n"
		"  aws_access_key_id = AKIDOTHER  \n"
		"aws_secret_access_key = s/ec+ret==\n"
		"aws_session_token = tok\n"
		"[broken]\n"
		"aws_access_key_id = only\n";

	ck_assert_int_eq(ps_s3_creds_parse(&c, ini, "default"), 0);
	ck_assert_str_eq(c.access_key, "AKIDDEFAULT");
	ck_assert_str_eq(c.secret_key, "secretdefault");
	ck_assert_ptr_null(c.session_token);
	ps_s3_creds_free(&c);
	ck_assert_int_eq(ps_s3_creds_parse(&c, ini, "other"), 0);
	ck_assert_str_eq(c.access_key, "AKIDOTHER");
	ck_assert_str_eq(c.secret_key, "s/ec+ret==");
	ck_assert_str_eq(c.session_token, "tok");
	ps_s3_creds_free(&c);
	ck_assert_int_eq(ps_s3_creds_parse(&c, ini, "broken"), -1);
	ck_assert_int_eq(ps_s3_creds_parse(&c, ini, "absent"), -1);
}
END_TEST

START_TEST(test_creds_load_env_and_file)
{
	struct ps_s3_creds c;
	struct ps_error err = { 0 };
	char path[] = "/tmp/ps-creds-XXXXXX";
	int fd = mkstemp(path);
	const char *ini = "[default]\naws_access_key_id=FILEKEY\n"
			  "aws_secret_access_key=FILESECRET\n"
			  "[p2]\naws_access_key_id=P2KEY\n"
			  "aws_secret_access_key=P2SECRET\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
	close(fd);
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
	ck_assert_int_eq(ps_s3_creds_load(&c, NULL, &err), 0);
	ck_assert_str_eq(c.access_key, "ENVKEY");
	ck_assert_str_eq(c.session_token, "ENVTOKEN");
	ps_s3_creds_free(&c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	unsetenv("AWS_PROFILE");
	ck_assert_int_eq(ps_s3_creds_load(&c, NULL, &err), 0);
	ck_assert_str_eq(c.access_key, "FILEKEY");
	ps_s3_creds_free(&c);
	setenv("AWS_PROFILE", "p2", 1);
	ck_assert_int_eq(ps_s3_creds_load(&c, NULL, &err), 0);
	ck_assert_str_eq(c.secret_key, "P2SECRET");
	ps_s3_creds_free(&c);
	ck_assert_int_eq(ps_s3_creds_load(&c, "nope", &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_nonnull(strstr(err.msg, "nope"));
	ck_assert_ptr_null(strstr(err.msg, "P2SECRET"));
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unlink(path);
}
END_TEST

/* S3 signs the path as sent: no dot-segment removal, encoded once. */
START_TEST(test_s3_path_not_normalized)
{
	struct ps_s3_header h[] = { { "Host", "b.s3.amazonaws.com" } };
	struct ps_s3_sign_req r = { "PUT", "/dir/../a b//x", NULL, h, 1,
				    "UNSIGNED-PAYLOAD" };
	struct ps_s3_sign_params p = { "AK", "SK", NULL, "eu-west-1", "s3",
				       1440000000, 0, 1, 0, 0 };
	struct ps_s3_signed s, s2;
	struct ps_error err = { 0 };

	ck_assert_int_eq(ps_s3_sign_header(&r, &p, &s, &err), 0);
	ck_assert_ptr_nonnull(strstr(s.canonical_request,
				     "PUT\n/dir/../a%20b//x\n\n"));
	ck_assert_ptr_nonnull(strstr(s.canonical_request,
				     "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	/* a different secret gives a different signature */
	p.secret_key = "SK2";
	ck_assert_int_eq(ps_s3_sign_header(&r, &p, &s2, &err), 0);
	ck_assert_str_ne(s.signature, s2.signature);
	ck_assert_str_eq(s.canonical_request, s2.canonical_request);
	ps_s3_signed_free(&s);
	ps_s3_signed_free(&s2);
	/* a request without Host is refused */
	r.nheaders = 0;
	ck_assert_int_eq(ps_s3_sign_header(&r, &p, &s, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
}
END_TEST

static int
collect_cb(void *arg, const struct ps_s3_object *o)
{
	struct ps_buf *b = arg;

	ps_buf_addf(b, "%s|%llu|%lld|%s\n", o->key,
		    (unsigned long long)o->size, (long long)o->mtime, o->etag);
	return 0;
}

START_TEST(test_parse_list)
{
	const char *page =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>b</Name><Prefix/><IsTruncated>true</IsTruncated>"
		"<Contents><Key>a &amp; b&lt;&gt;&quot;&apos;&#233;&#x1234;</Key>"
		"<LastModified>2026-11-26T01:00:00.000Z</LastModified>"
		"<ETag>&quot;abc&quot;</ETag><Size>42</Size></Contents>"
		"<Contents><Key>z</Key><Size>0</Size></Contents>"
		"<NextContinuationToken>tok/+=</NextContinuationToken>"
		"</ListBucketResult>";
	struct ps_buf b = { 0 };
	struct ps_error err = { 0 };
	char *token = NULL;

	ck_assert_int_eq(ps_s3_parse_list(page, strlen(page), collect_cb, &b,
					  &token, &err), 0);
	ck_assert_str_eq(ps_buf_str(&b),
			 "a & b<>\"'\xc3\xa9\xe1\x88\xb4|42|1795654800|abc\n"
			 "z|0|0|\n");
	ck_assert_str_eq(token, "tok/+=");
	free(token);
	ps_buf_free(&b);
}
END_TEST

START_TEST(test_parse_list_malformed)
{
	static const char *bad[] = {
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>12x</Size></Contents></ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
	};
	size_t i;

	for (i = 0; i < PS_ARRAY_LEN(bad); i++) {
		struct ps_buf b = { 0 };
		struct ps_error err = { 0 };
		char *token = NULL;

		ck_assert_msg(ps_s3_parse_list(bad[i], strlen(bad[i]), collect_cb,
					       &b, &token, &err) == -1, "%s", bad[i]);
		ck_assert_int_eq(err.code, PS_EXIT_OPER);
		ck_assert_ptr_null(token);
		ps_buf_free(&b);
	}
}
END_TEST

static Suite *
s3_suite(void)
{
	Suite *s = suite_create("s3");
	TCase *tc = tcase_create("sigv4");

	tcase_add_test(tc, test_sigv4_suite);
	tcase_add_test(tc, test_uri_encode);
	tcase_add_test(tc, test_s3_path_not_normalized);
	suite_add_tcase(s, tc);
	tc = tcase_create("xml");
	tcase_add_test(tc, test_parse_list);
	tcase_add_test(tc, test_parse_list_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("credentials");
	tcase_add_test(tc, test_creds_parse);
	tcase_add_test(tc, test_creds_load_env_and_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(s3_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
