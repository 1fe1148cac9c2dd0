/*
 * test_s3_live: the S3 client and s3:// store against a real s3rver behind
 * the verifying, fault-injecting proxy (scripts/s3proxy/proxy.js).
 * tests/cli/s3.sh starts both and runs this suite with:
 *   S3_TEST_ENDPOINT   the proxy (every request's SigV4 and payload hash
 *                      are checked there)
 *   S3_TEST_BUCKET     an existing bucket
 *   S3_TEST_READBACK   command of the second client (readback.js)
 * Without S3_TEST_ENDPOINT the suite reports itself skipped.
 * Credentials: S3RVER / S3RVER, region us-east-1.
 *
 * S3_BENCH_FILE=PATH (with S3_TEST_ENDPOINT pointing at s3rver itself)
 * instead uploads that file through the store and prints the throughput
 * (bench/s3-upload.sh).
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "lib/s3.h"
#include "lib/store.h"
#include "lib/util.h"

static const char *endpoint, *bucket, *readback;
static struct ps_s3_creds good_creds = { "S3RVER", "S3RVER", NULL };

static void
config(struct ps_s3_config *c)
{
	memset(c, 0, sizeof(*c));
	c->endpoint = endpoint;
	c->region = "us-east-1";
	c->path_style = 1;
	c->creds = &good_creds;
	c->part_size = 5 * 1024 * 1024;
	c->retry_base_ms = 50;
	c->low_speed_secs = 20;	/* a loaded machine may be slow */
}

static struct ps_s3 *
client(void)
{
	struct ps_s3_config c;
	struct ps_error err = { 0 };
	struct ps_s3 *s3;

	config(&c);
	s3 = ps_s3_new(&c, &err);
	ck_assert_msg(s3 != NULL, "ps_s3_new: %s", err.msg);
	return s3;
}

/* A unique key prefix per test process. */
static char *
key(const char *name)
{
	return ps_xasprintf("live-%ld-%d/%s", (long)time(NULL), (int)getpid(),
			    name);
}

static void
fill_random(unsigned char *p, size_t n, unsigned seed)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

/* The second client's view of an object: "<sha256> <size>". */
static char *
readback_sha(const char *k)
{
	char *cmd = ps_xasprintf("%s '%s' sha256 '%s' '%s' 2>/dev/null",
				 readback, endpoint, bucket, k);
	FILE *f = popen(cmd, "r");
	char line[256] = "";

	ck_assert_ptr_nonnull(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	pclose(f);
	free(cmd);
	line[strcspn(line, "\n")] = 0;
	return ps_xstrdup(line);
}

static char *
expect_line(const void *p, size_t n)
{
	char sha[65];

	ps_sha256_hex(p, n, sha);
	return ps_xasprintf("%s %zu", sha, n);
}

/* POST/DELETE to the proxy's control endpoint. */
static void
proxy_control(const char *method, const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	char *url = ps_xasprintf("%s%s", endpoint, path);
	long st = 0;
	CURLcode rc;
	FILE *devnull = fopen("/dev/null", "w");

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	ck_assert_msg(rc == CURLE_OK && st == 200, "proxy control %s %s: %s %ld",
		      method, path, curl_easy_strerror(rc), st);
	curl_easy_cleanup(c);
	fclose(devnull);
	free(url);
}

static size_t
collect_json(char *p, size_t size, size_t n, void *arg)
{
	ps_buf_add(arg, p, size * n);
	return size * n;
}

/* How often the proxy has injected a fault of this kind so far. */
static long
proxy_fault_count(const char *action)
{
	CURL *c = curl_easy_init();
	char *url = ps_xasprintf("%s/__ps/stats", endpoint);
	struct ps_buf b = { 0 };
	json_t *j, *v;
	long n;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_json);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	j = json_loads(ps_buf_str(&b), 0, NULL);
	ck_assert_ptr_nonnull(j);
	v = json_object_get(json_object_get(j, "faults"), action);
	n = v ? (long)json_integer_value(v) : 0;
	json_decref(j);
	ps_buf_free(&b);
	curl_easy_cleanup(c);
	free(url);
	return n;
}

static void
faults(const char *json)
{
	proxy_control("POST", "/__ps/faults", json);
}

static void
no_faults(void)
{
	proxy_control("DELETE", "/__ps/faults", NULL);
}

struct sink {
	EVP_MD_CTX *md;
	size_t n;
};

static int
sink_cb(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	EVP_DigestUpdate(s->md, p, n);
	s->n += n;
	return 0;
}

/* GET through our client; "<sha256> <size>". */
static char *
get_sha(struct ps_s3 *s3, const char *k, struct ps_error *err)
{
	struct sink s = { EVP_MD_CTX_new(), 0 };
	unsigned char md[32];
	unsigned int ml = 0;
	char hex[65];
	int rc;

	EVP_DigestInit_ex(s.md, EVP_sha256(), NULL);
	rc = ps_s3_get(s3, bucket, k, sink_cb, &s, err);
	EVP_DigestFinal_ex(s.md, md, &ml);
	EVP_MD_CTX_free(s.md);
	if (rc != 0)
		return NULL;
	ps_hex(md, 32, hex);
	return ps_xasprintf("%s %zu", hex, s.n);
}

/* Upload n bytes through the streaming API in uneven writes. */
static int
upload(struct ps_s3 *s3, const char *k, const unsigned char *p, size_t n,
       struct ps_error *err)
{
	struct ps_s3_upload *u = ps_s3_upload_begin(s3, bucket, k, err);
	size_t off = 0, step = 777777;

	if (!u)
		return -1;
	while (off < n) {
		size_t m = n - off < step ? n - off : step;

		if (ps_s3_upload_write(u, p + off, m, err) < 0) {
			ps_s3_upload_abort(u);
			return -1;
		}
		off += m;
		step = step * 3 % 1999993 + 1;
	}
	return ps_s3_upload_commit(u, err);
}

START_TEST(test_put_get_head_delete)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	char *k = key("odd name +=&?#%é ሴ.txt");
	const char *data = "hello, s3\n";
	struct ps_s3_object o;
	char *want = expect_line(data, strlen(data)), *got;

	ck_assert_msg(ps_s3_put(s3, bucket, k, data, strlen(data), &err) == 0,
		      "put: %s", err.msg);
	got = readback_sha(k);
	ck_assert_str_eq(got, want);
	free(got);
	got = get_sha(s3, k, &err);
	ck_assert_msg(got != NULL, "get: %s", err.msg);
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert_int_eq(ps_s3_head(s3, bucket, k, &o, &err), 0);
	ck_assert_uint_eq(o.size, strlen(data));
	ck_assert(o.mtime > 1600000000);
	ck_assert(o.etag[0] != 0);
	ps_s3_object_free(&o);
	ck_assert_int_eq(ps_s3_delete(s3, bucket, k, &err), 0);
	ck_assert_int_eq(ps_s3_head(s3, bucket, k, &o, &err), 1);
	/* deleting again is fine; reading fails with "not found" */
	ck_assert_int_eq(ps_s3_delete(s3, bucket, k, &err), 0);
	ck_assert_ptr_null(get_sha(s3, k, &err));
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_nonnull(strstr(err.msg, "not found"));
	free(want);
	free(k);
	ps_s3_free(s3);
}
END_TEST

START_TEST(test_multipart_roundtrip)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	size_t n = 23 * 1024 * 1024 + 12345;
	unsigned char *p = ps_xmalloc(n);
	char *k = key("multi.bin"), *want, *got;
	struct ps_s3_stats st;

	fill_random(p, n, 1);
	want = expect_line(p, n);
	ck_assert_msg(upload(s3, k, p, n, &err) == 0, "upload: %s", err.msg);
	ps_s3_get_stats(s3, &st);
	/* initiate + 5 parts + complete */
	ck_assert_uint_ge(st.requests, 7);
	got = readback_sha(k);
	ck_assert_str_eq(got, want);
	free(got);
	got = get_sha(s3, k, &err);
	ck_assert_msg(got != NULL, "get: %s", err.msg);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free(p);
	free(k);
	ps_s3_free(s3);
}
END_TEST

/* 80 MiB streamed in 1 MiB writes: memory stays at about three parts. */
START_TEST(test_multipart_bounded_memory)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	size_t chunk = 1024 * 1024, i, nchunks = 80;
	unsigned char *p = ps_xmalloc(chunk), md[32];
	char *k = key("bounded.bin"), hex[65], *want, *got;
	struct ps_s3_upload *u;
	struct rusage ru0, ru1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int ml;

	getrusage(RUSAGE_SELF, &ru0);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	u = ps_s3_upload_begin(s3, bucket, k, &err);
	ck_assert_ptr_nonnull(u);
	for (i = 0; i < nchunks; i++) {
		fill_random(p, chunk, (unsigned)i + 100);
		EVP_DigestUpdate(ctx, p, chunk);
		ck_assert_msg(ps_s3_upload_write(u, p, chunk, &err) == 0, "%s",
			      err.msg);
	}
	ck_assert_msg(ps_s3_upload_commit(u, &err) == 0, "%s", err.msg);
	getrusage(RUSAGE_SELF, &ru1);
	fprintf(stderr, "bounded memory: peak RSS grew by %ld KiB\n",
		ru1.ru_maxrss - ru0.ru_maxrss);
	EVP_DigestFinal_ex(ctx, md, &ml);
	EVP_MD_CTX_free(ctx);
	ps_hex(md, 32, hex);
	want = ps_xasprintf("%s %zu", hex, chunk * nchunks);
	got = readback_sha(k);
	ck_assert_str_eq(got, want);
#ifndef __SANITIZE_ADDRESS__
	/* parts of 5 MiB, two in flight and one filling: 15 MiB of buffers */
	ck_assert_msg(ru1.ru_maxrss - ru0.ru_maxrss < 40 * 1024,
		      "peak RSS grew by %ld KiB", ru1.ru_maxrss - ru0.ru_maxrss);
#endif
	free(got);
	free(want);
	free(p);
	free(k);
	ps_s3_free(s3);
}
END_TEST

START_TEST(test_small_upload_single_put)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	unsigned char p[1000];
	char *k = key("small.bin"), *want, *got;
	struct ps_s3_stats st;

	fill_random(p, sizeof(p), 2);
	want = expect_line(p, sizeof(p));
	ck_assert_msg(upload(s3, k, p, sizeof(p), &err) == 0, "%s", err.msg);
	ps_s3_get_stats(s3, &st);
	ck_assert_uint_eq(st.requests, 1);
	got = readback_sha(k);
	ck_assert_str_eq(got, want);
	free(got);
	/* an empty object too */
	ck_assert_int_eq(upload(s3, k, p, 0, &err), 0);
	got = readback_sha(k);
	ck_assert_str_eq(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0");
	free(got);
	free(want);
	free(k);
	ps_s3_free(s3);
}
END_TEST

struct listed {
	char keys[16][256];
	uint64_t sizes[16];
	int n;
};

static int
list_cb(void *arg, const struct ps_s3_object *o)
{
	struct listed *l = arg;

	ck_assert_int_lt(l->n, 16);
	snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", o->key);
	l->sizes[l->n] = o->size;
	l->n++;
	return 0;
}

START_TEST(test_list_paged)
{
	struct ps_s3_config c;
	struct ps_s3 *s3;
	struct ps_error err = { 0 };
	char *prefix = key(""), *k;
	struct listed l = { 0 };
	int i;

	config(&c);
	c.list_max_keys = 2;
	s3 = ps_s3_new(&c, &err);
	ck_assert_ptr_nonnull(s3);
	for (i = 0; i < 7; i++) {
		k = ps_xasprintf("%sobj-%d &<>\"'.txt", prefix, i);
		ck_assert_msg(ps_s3_put(s3, bucket, k, "xxxxxxx", (size_t)i, &err) == 0,
			      "%s", err.msg);
		free(k);
	}
	ck_assert_msg(ps_s3_list(s3, bucket, prefix, list_cb, &l, &err) == 0,
		      "list: %s", err.msg);
	ck_assert_int_eq(l.n, 7);
	for (i = 0; i < 7; i++) {
		k = ps_xasprintf("%sobj-%d &<>\"'.txt", prefix, i);
		ck_assert_str_eq(l.keys[i], k);
		ck_assert_uint_eq(l.sizes[i], (uint64_t)i);
		free(k);
	}
	free(prefix);
	ps_s3_free(s3);
}
END_TEST

START_TEST(test_wrong_secret_rejected)
{
	struct ps_s3_config c;
	struct ps_s3_creds bad = { "S3RVER", "not-the-secret", NULL };
	struct ps_s3 *s3;
	struct ps_error err = { 0 };
	char *k = key("denied.txt");
	struct ps_s3_object o;

	config(&c);
	c.creds = &bad;
	s3 = ps_s3_new(&c, &err);
	ck_assert_ptr_nonnull(s3);
	ck_assert_int_eq(ps_s3_put(s3, bucket, k, "x", 1, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_msg(strstr(err.msg, "403") && strstr(err.msg, "SignatureDoesNotMatch"),
		      "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "not-the-secret"));
	ps_s3_free(s3);
	/* and nothing was stored */
	s3 = client();
	ck_assert_int_eq(ps_s3_head(s3, bucket, k, &o, &err), 1);
	ps_s3_free(s3);
	free(k);
}
END_TEST

static size_t
collect_body(char *p, size_t size, size_t n, void *arg)
{
	ps_buf_add(arg, p, size * n);
	return size * n;
}

/* A body that does not match its signed x-amz-content-sha256. */
START_TEST(test_payload_hash_mismatch_rejected)
{
	char *k = key("tampered.txt");
	char *host, *path, *url;
	struct ps_s3_header h[1];
	struct ps_s3_sign_req r = { 0 };
	struct ps_s3_sign_params p = { 0 };
	struct ps_s3_signed s;
	struct ps_error err = { 0 };
	char sha[65];
	struct curl_slist *hl = NULL;
	CURL *c = curl_easy_init();
	long st = 0;
	struct ps_buf resp = { 0 }, enc = { 0 };
	size_t i;

	host = ps_xstrdup(endpoint + strlen("http://"));
	path = ps_xasprintf("/%s/%s", bucket, k);
	ps_s3_uri_encode(&enc, path, strlen(path), 1);
	url = ps_xasprintf("%s%s", endpoint, enc.data);
	ps_sha256_hex("the signed body", 15, sha);
	h[0].name = "Host";
	h[0].value = host;
	r.method = "PUT";
	r.path = path;
	r.headers = h;
	r.nheaders = 1;
	r.payload_hash = sha;
	p.access_key = "S3RVER";
	p.secret_key = "S3RVER";
	p.region = "us-east-1";
	p.service = "s3";
	p.when = time(NULL);
	p.sign_body = 1;
	ck_assert_int_eq(ps_s3_sign_header(&r, &p, &s, &err), 0);
	for (i = 0; i < s.nadd; i++) {
		char *line = ps_xasprintf("%s: %s", s.add[i].name, s.add[i].value);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "a different body");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	ck_assert_int_eq(st, 400);
	ck_assert_ptr_nonnull(strstr(ps_buf_str(&resp), "XAmzContentSHA256Mismatch"));
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	ps_s3_signed_free(&s);
	ps_buf_free(&resp);
	ps_buf_free(&enc);
	free(host);
	free(path);
	free(url);
	free(k);
}
END_TEST

START_TEST(test_presigned_get)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	char *k = key("presigned me.txt"), *url;
	CURL *c;
	long st = 0;
	FILE *devnull = fopen("/dev/null", "w");

	ck_assert_int_eq(ps_s3_put(s3, bucket, k, "presigned", 9, &err), 0);
	url = ps_s3_presign(s3, "GET", bucket, k, 600, &err);
	ck_assert_ptr_nonnull(url);
	ck_assert_ptr_nonnull(strstr(url, "X-Amz-Signature="));
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	ck_assert_int_eq(st, 200);
	/* a tampered presigned URL is refused */
	url[strlen(url) - 1] = url[strlen(url) - 1] == '0' ? '1' : '0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	ck_assert_int_eq(st, 403);
	curl_easy_cleanup(c);
	fclose(devnull);
	free(url);
	free(k);
	ps_s3_free(s3);
}
END_TEST

START_TEST(test_session_token)
{
	struct ps_s3_config c;
	struct ps_s3_creds t = { "S3RVER", "S3RVER", "a-session/token+==" };
	struct ps_s3 *s3;
	struct ps_error err = { 0 };
	char *k = key("token.txt");

	config(&c);
	c.creds = &t;
	s3 = ps_s3_new(&c, &err);
	ck_assert_ptr_nonnull(s3);
	ck_assert_msg(ps_s3_put(s3, bucket, k, "t", 1, &err) == 0, "%s", err.msg);
	ps_s3_free(s3);
	free(k);
}
END_TEST

/* ---- faults: the client retries through them ---- */

static void
fault_roundtrip(const char *rules, size_t n, int min_retries, long low_speed)
{
	struct ps_s3_config c;
	struct ps_s3 *s3;
	struct ps_error err = { 0 };
	unsigned char *p = ps_xmalloc(n);
	char *k = key("fault.bin"), *want, *got;
	struct ps_s3_stats st;

	config(&c);
	if (low_speed)
		c.low_speed_secs = low_speed;
	s3 = ps_s3_new(&c, &err);
	ck_assert_ptr_nonnull(s3);
	fill_random(p, n, (unsigned)n);
	want = expect_line(p, n);
	faults(rules);
	ck_assert_msg(upload(s3, k, p, n, &err) == 0, "upload: %s", err.msg);
	got = get_sha(s3, k, &err);
	no_faults();
	ck_assert_msg(got != NULL, "get: %s", err.msg);
	ck_assert_str_eq(got, want);
	ps_s3_get_stats(s3, &st);
	ck_assert_msg(st.retries >= (uint64_t)min_retries,
		      "%llu retries, expected at least %d",
		      (unsigned long long)st.retries, min_retries);
	free(got);
	got = readback_sha(k);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free(p);
	free(k);
	ps_s3_free(s3);
}

START_TEST(test_fault_503_on_put)
{
	fault_roundtrip("[{\"method\":\"PUT\",\"action\":\"503\",\"times\":3}]",
			1000, 3, 0);
}
END_TEST

START_TEST(test_fault_multipart_mix)
{
	static const char *kinds[] = { "503", "500", "drop", "reset",
				       "truncate" };
	long before[5];
	size_t i;

	for (i = 0; i < 5; i++)
		before[i] = proxy_fault_count(kinds[i]);
	/* libcurl itself resends a request whose reused connection was
	 * reset before any answer, so "reset" need not count as our retry */
	fault_roundtrip("[{\"method\":\"POST\",\"query\":\"^uploads\",\"action\":\"503\",\"times\":1},"
			"{\"method\":\"PUT\",\"query\":\"partNumber=2\",\"action\":\"drop\",\"times\":1},"
			"{\"method\":\"PUT\",\"query\":\"partNumber=3\",\"action\":\"reset\",\"times\":1},"
			"{\"method\":\"PUT\",\"query\":\"partNumber=1\",\"action\":\"500\",\"times\":2},"
			"{\"method\":\"POST\",\"query\":\"^uploadId\",\"action\":\"503\",\"times\":1},"
			"{\"method\":\"GET\",\"action\":\"truncate\",\"times\":1}]",
			16 * 1024 * 1024 + 3, 6, 0);
	for (i = 0; i < 5; i++)
		ck_assert_msg(proxy_fault_count(kinds[i]) > before[i],
			      "fault %s was not injected", kinds[i]);
}
END_TEST

START_TEST(test_fault_slow_and_stalled)
{
	/* 1.5 s slow answers are waited for; a 12 s stall is abandoned after
	 * the 4 s low-speed limit and retried */
	fault_roundtrip("[{\"method\":\"PUT\",\"action\":\"delay\",\"ms\":1500,\"times\":1},"
			"{\"method\":\"GET\",\"action\":\"stall\",\"ms\":12000,\"times\":1}]",
			2000, 1, 4);
}
END_TEST

START_TEST(test_fault_gives_up_and_aborts)
{
	struct ps_s3_config c;
	struct ps_s3 *s3;
	struct ps_error err = { 0 };
	size_t n = 12 * 1024 * 1024;
	unsigned char *p = ps_xmalloc(n);
	char *k = key("never.bin");
	struct ps_s3_object o;
	time_t t0 = time(NULL);

	config(&c);
	c.max_attempts = 3;
	s3 = ps_s3_new(&c, &err);
	fill_random(p, n, 5);
	faults("[{\"method\":\"PUT\",\"query\":\"partNumber=2\",\"action\":\"503\",\"times\":100}]");
	ck_assert_int_eq(upload(s3, k, p, n, &err), -1);
	no_faults();
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_msg(strstr(err.msg, "503") && strstr(err.msg, "SlowDown"), "%s",
		      err.msg);
	ck_assert(time(NULL) - t0 < 30);
	ck_assert_int_eq(ps_s3_head(s3, bucket, k, &o, &err), 1);
	free(p);
	free(k);
	ps_s3_free(s3);
}
END_TEST

START_TEST(test_sized_streaming_put)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	size_t n = 7 * 1024 * 1024 + 99, off = 0;
	unsigned char *p = ps_xmalloc(n);
	char *k = key("sized.bin"), *want, *got;
	struct ps_s3_upload *u;
	struct ps_s3_stats st;
	struct ps_s3_object o;

	fill_random(p, n, 8);
	want = expect_line(p, n);
	u = ps_s3_upload_begin_size(s3, bucket, k, n, &err);
	ck_assert_ptr_nonnull(u);
	while (off < n) {
		size_t m = n - off < 300001 ? n - off : 300001;

		ck_assert_int_eq(ps_s3_upload_write(u, p + off, m, &err), 0);
		off += m;
	}
	ck_assert_msg(ps_s3_upload_commit(u, &err) == 0, "%s", err.msg);
	ps_s3_get_stats(s3, &st);
	ck_assert_uint_eq(st.requests, 1);	/* one PUT */
	got = readback_sha(k);
	ck_assert_str_eq(got, want);
	free(got);

	/* more than declared is refused */
	u = ps_s3_upload_begin_size(s3, bucket, k, n, &err);
	ck_assert_int_eq(ps_s3_upload_write(u, p, n, &err), 0);
	ck_assert_int_eq(ps_s3_upload_write(u, p, 1, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ps_s3_upload_abort(u);
	/* fewer than declared: commit fails, nothing new is stored */
	free(k);
	k = key("short.bin");
	u = ps_s3_upload_begin_size(s3, bucket, k, n, &err);
	ck_assert_int_eq(ps_s3_upload_write(u, p, n / 2, &err), 0);
	ck_assert_int_eq(ps_s3_upload_commit(u, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_USAGE);
	ck_assert_int_ne(ps_s3_head(s3, bucket, k, &o, &err), 0);
	free(want);
	free(p);
	free(k);
	ps_s3_free(s3);
}
END_TEST

START_TEST(test_abort_leaves_nothing)
{
	struct ps_s3 *s3 = client();
	struct ps_error err = { 0 };
	size_t n = 12 * 1024 * 1024;
	unsigned char *p = ps_xmalloc(n);
	char *k = key("aborted.bin");
	struct ps_s3_upload *u;
	struct ps_s3_object o;

	fill_random(p, n, 6);
	u = ps_s3_upload_begin(s3, bucket, k, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(ps_s3_upload_write(u, p, n, &err), 0);
	ps_s3_upload_abort(u);
	ck_assert_int_eq(ps_s3_head(s3, bucket, k, &o, &err), 1);
	free(p);
	free(k);
	ps_s3_free(s3);
}
END_TEST

/* ---- the s3:// store ---- */

/* Entries (besides . and ..) in dir; -1 when it cannot be read. */
static int
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}


static struct ps_store *
s3_store(const char *prefix)
{
	struct ps_s3_config c;
	struct ps_store_opts o = { 0 };
	struct ps_error err = { 0 };
	char *uri = ps_xasprintf("s3://%s/%s", bucket, prefix);
	struct ps_store *st;

	config(&c);
	o.s3 = &c;
	st = ps_store_open(uri, &o, &err);
	ck_assert_msg(st != NULL, "open %s: %s", uri, err.msg);
	ck_assert_int_eq(ps_store_kind(st), PS_STORE_S3);
	free(uri);
	return st;
}

START_TEST(test_store_s3)
{
	char *prefix = key("store/");
	struct ps_store *st = s3_store(prefix);
	struct ps_error err = { 0 };
	size_t n = 11 * 1024 * 1024, i, ne;
	unsigned char *p = ps_xmalloc(n);
	struct ps_store_writer *w;
	struct ps_store_reader *r;
	struct ps_store_entry *ents, e;
	struct ps_buf all = { 0 };
	char *full, *want, *got, buf[65536], sha[65];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32];
	unsigned int dl;
	ssize_t k;
	uint64_t total = 0;

	fill_random(p, n, 7);
	w = ps_store_put_begin(st, "files/20261126T010000Z-7f3a.tar.zst.enc", &err);
	ck_assert_ptr_nonnull(w);
	for (i = 0; i < n; i += 100000)
		ck_assert_int_eq(ps_store_put_write(w, p + i, n - i < 100000 ? n - i : 100000, &err), 0);
	ck_assert_uint_eq(ps_store_put_bytes(w), n);
	/* not visible before commit */
	ck_assert_int_eq(ps_store_stat(st, "files/20261126T010000Z-7f3a.tar.zst.enc", &e, &err), 1);
	ck_assert_msg(ps_store_put_commit(w, &err) == 0, "commit: %s", err.msg);
	ck_assert_int_eq(ps_store_put_small(st, "files/20261126T010000Z-7f3a.manifest.json", "{}\n", 3, &err), 0);

	full = ps_xasprintf("%sfiles/20261126T010000Z-7f3a.tar.zst.enc", prefix);
	want = expect_line(p, n);
	got = readback_sha(full);
	ck_assert_str_eq(got, want);
	free(got);

	r = ps_store_get_open(st, "files/20261126T010000Z-7f3a.tar.zst.enc", &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ps_store_get_size(r), n);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((k = ps_store_get_read(r, buf, sizeof(buf), &err)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)k);
		total += (uint64_t)k;
	}
	ck_assert_int_eq(k, 0);
	ps_store_get_close(r);
	EVP_DigestFinal_ex(md, dg, &dl);
	ps_hex(dg, 32, sha);
	got = ps_xasprintf("%s %llu", sha, (unsigned long long)total);
	ck_assert_str_eq(got, want);
	free(got);

	ck_assert_int_eq(ps_store_get_all(st, "files/20261126T010000Z-7f3a.manifest.json", &all, &err), 0);
	ck_assert_str_eq(ps_buf_str(&all), "{}\n");

	ck_assert_int_eq(ps_store_list(st, "files/", &ents, &ne, &err), 0);
	ck_assert_uint_eq(ne, 2);
	ck_assert_str_eq(ents[0].name, "files/20261126T010000Z-7f3a.manifest.json");
	ck_assert_str_eq(ents[1].name, "files/20261126T010000Z-7f3a.tar.zst.enc");
	ck_assert_uint_eq(ents[1].size, n);
	ck_assert(ents[1].mtime > 1600000000);
	ps_store_entries_free(ents, ne);

	ck_assert_int_eq(ps_store_stat(st, "files/20261126T010000Z-7f3a.tar.zst.enc", &e, &err), 0);
	ck_assert_uint_eq(e.size, n);
	ps_store_entry_free(&e);

	/* abort leaves nothing */
	w = ps_store_put_begin(st, "files/aborted.bin", &err);
	ck_assert_int_eq(ps_store_put_write(w, p, n, &err), 0);
	ps_store_put_abort(w);
	ck_assert_int_eq(ps_store_stat(st, "files/aborted.bin", &e, &err), 1);

	ck_assert_int_eq(ps_store_delete(st, "files/20261126T010000Z-7f3a.manifest.json", &err), 0);
	ck_assert_int_eq(ps_store_delete(st, "files/20261126T010000Z-7f3a.tar.zst.enc", &err), 0);
	ck_assert_int_eq(ps_store_list(st, "", &ents, &ne, &err), 0);
	ck_assert_uint_eq(ne, 0);
	ps_store_entries_free(ents, ne);

	ps_store_get_open(st, "files/absent", &err);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_nonnull(strstr(err.msg, "not found"));

	EVP_MD_CTX_free(md);
	ps_buf_free(&all);
	free(full);
	free(want);
	free(p);
	free(prefix);
	ps_store_close(st);
}
END_TEST

/* A spool directory: an object of unknown size goes as one signed PUT
 * from an unnamed temp file at commit, retried from the file. */
START_TEST(test_store_s3_spooled)
{
	char *prefix = key("spool/");
	char dir[] = "/tmp/ps-spool-XXXXXX";
	struct ps_s3_config c;
	struct ps_store_opts o = { 0 };
	struct ps_error err = { 0 };
	char *uri = ps_xasprintf("s3://%s/%s", bucket, prefix), *full, *want, *got;
	struct ps_store *st;
	struct ps_store_writer *w;
	struct ps_store_entry e;
	struct ps_s3_stats s;
	size_t n = 11 * 1024 * 1024 + 5, i;
	unsigned char *p = ps_xmalloc(n);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	config(&c);
	o.s3 = &c;
	o.s3_spool_dir = dir;
	st = ps_store_open(uri, &o, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	fill_random(p, n, 11);
	want = expect_line(p, n);
	w = ps_store_put_begin(st, "files/spooled.bin", &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	for (i = 0; i < n; i += 100000)
		ck_assert_int_eq(ps_store_put_write(w, p + i, n - i < 100000 ? n - i : 100000, &err), 0);
	/* nothing sent before commit, nothing named in the spool directory */
	ps_s3_get_stats(ps_store_s3(st), &s);
	ck_assert_uint_eq(s.requests, 0);
	ck_assert_int_le(dir_entries(dir), 0);
	/* the first PUT is dropped, the second answered 503: retried */
	faults("[{\"method\":\"PUT\",\"action\":\"drop\",\"times\":1},"
	       "{\"method\":\"PUT\",\"action\":\"503\",\"times\":1}]");
	ck_assert_msg(ps_store_put_commit(w, &err) == 0, "commit: %s", err.msg);
	no_faults();
	ps_s3_get_stats(ps_store_s3(st), &s);
	/* one PUT, retried at least twice (a dropped connection may cost
	 * libcurl one more attempt) */
	ck_assert_msg(s.retries >= 2 && s.requests == s.retries + 1,
		      "%llu requests, %llu retries",
		      (unsigned long long)s.requests,
		      (unsigned long long)s.retries);
	full = ps_xasprintf("%sfiles/spooled.bin", prefix);
	got = readback_sha(full);
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert_int_eq(ps_store_stat(st, "files/spooled.bin", &e, &err), 0);
	ck_assert_uint_eq(e.size, n);
	ps_store_entry_free(&e);
	/* abort sends nothing and stores nothing */
	ps_s3_get_stats(ps_store_s3(st), &s);
	w = ps_store_put_begin(st, "files/never.bin", &err);
	ck_assert_int_eq(ps_store_put_write(w, p, 1000, &err), 0);
	ps_store_put_abort(w);
	{
		uint64_t before = s.requests;

		ps_s3_get_stats(ps_store_s3(st), &s);
		ck_assert_uint_eq(s.requests, before);
	}
	ck_assert_int_eq(ps_store_stat(st, "files/never.bin", &e, &err), 1);
	ck_assert_int_eq(dir_entries(dir), 0);
	/* a spool directory that cannot hold files fails at begin */
	ps_store_close(st);
	o.s3_spool_dir = "/nonexistent/spool";
	st = ps_store_open(uri, &o, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_null(ps_store_put_begin(st, "files/x.bin", &err));
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_ptr_nonnull(strstr(err.msg, "spool"));
	ps_store_close(st);
	rmdir(dir);
	free(full);
	free(want);
	free(p);
	free(uri);
	free(prefix);
}
END_TEST

/* ---- TLS: verification is on ---- */

START_TEST(test_tls_verification)
{
	const char *tls = getenv("S3_TEST_TLS_ENDPOINT");
	const char *ca = getenv("S3_TEST_TLS_CA");
	struct ps_s3_config c;
	struct ps_s3 *s3;
	struct ps_error err = { 0 };
	char *k = key("tls.txt");

	config(&c);
	c.endpoint = tls;
	c.max_attempts = 1;
	s3 = ps_s3_new(&c, &err);
	ck_assert_ptr_nonnull(s3);
	/* a self-signed certificate is refused without its CA */
	ck_assert_int_eq(ps_s3_put(s3, bucket, k, "tls", 3, &err), -1);
	ck_assert_int_eq(err.code, PS_EXIT_OPER);
	ck_assert_msg(strstr(err.msg, "certificate") != NULL, "%s", err.msg);
	ps_s3_free(s3);
	/* and accepted with it */
	c.ca_file = ca;
	s3 = ps_s3_new(&c, &err);
	ck_assert_msg(ps_s3_put(s3, bucket, k, "tls", 3, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ps_s3_delete(s3, bucket, k, &err), 0);
	ps_s3_free(s3);
	free(k);
}
END_TEST

/* ---- benchmark mode ---- */

static int
bench(const char *file)
{
	struct ps_store *st = NULL;
	struct ps_store_opts o = { 0 };
	struct ps_s3_config c;
	struct ps_error err = { 0 };
	struct ps_store_writer *w;
	char *uri = ps_xasprintf("s3://%s/bench/", bucket);
	size_t bs = 1024 * 1024;
	char *buf = ps_xmalloc(bs);
	struct timespec t0, t1;
	int fd = open(file, O_RDONLY);
	ssize_t n;
	double secs;
	uint64_t total = 0;
	const char *ps = getenv("S3_BENCH_PART_MIB");

	config(&c);
	c.low_speed_secs = 60;
	if (ps && *ps)
		c.part_size = (size_t)strtoul(ps, NULL, 10) * 1024 * 1024;
	else
		c.part_size = 0;
	if (getenv("S3_BENCH_PARALLEL"))
		c.parallel = atoi(getenv("S3_BENCH_PARALLEL"));
	o.s3 = &c;
	o.s3_spool_dir = getenv("S3_BENCH_SPOOL");
	if (fd < 0 || !(st = ps_store_open(uri, &o, &err))) {
		fprintf(stderr, "bench: cannot open %s / %s: %s\n", file, uri, err.msg);
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (getenv("S3_BENCH_SIZED")) {
		struct stat sb;

		fstat(fd, &sb);
		w = ps_store_put_begin_size(st, "object.bin",
					    (uint64_t)sb.st_size, &err);
	} else {
		w = ps_store_put_begin(st, "object.bin", &err);
	}
	while (w && (n = read(fd, buf, bs)) > 0) {
		if (ps_store_put_write(w, buf, (size_t)n, &err) < 0) {
			w = NULL;
			break;
		}
		total += (uint64_t)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("S3_BENCH_VERBOSE"))
		fprintf(stderr, "bench: data sent after %.3f s\n",
			(double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (!w || ps_store_put_commit(w, &err) < 0) {
		fprintf(stderr, "bench: upload failed: %s\n", err.msg);
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.3f %llu\n", secs, (unsigned long long)total);
	close(fd);
	free(buf);
	free(uri);
	ps_store_close(st);
	return 0;
}

static Suite *
live_suite(void)
{
	Suite *s = suite_create("s3_live");
	TCase *tc = tcase_create("s3");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_put_get_head_delete);
	tcase_add_test(tc, test_multipart_roundtrip);
	tcase_add_test(tc, test_multipart_bounded_memory);
	tcase_add_test(tc, test_small_upload_single_put);
	tcase_add_test(tc, test_list_paged);
	tcase_add_test(tc, test_wrong_secret_rejected);
	tcase_add_test(tc, test_payload_hash_mismatch_rejected);
	tcase_add_test(tc, test_presigned_get);
	tcase_add_test(tc, test_session_token);
	tcase_add_test(tc, test_abort_leaves_nothing);
	tcase_add_test(tc, test_sized_streaming_put);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fault_503_on_put);
	tcase_add_test(tc, test_fault_multipart_mix);
	tcase_add_test(tc, test_store_s3_spooled);
	tcase_add_test(tc, test_fault_slow_and_stalled);
	tcase_add_test(tc, test_fault_gives_up_and_aborts);
	suite_add_tcase(s, tc);
	if (getenv("S3_TEST_TLS_ENDPOINT") && getenv("S3_TEST_TLS_CA")) {
		tc = tcase_create("tls");
		tcase_set_timeout(tc, 60);
		tcase_add_test(tc, test_tls_verification);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("store");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_store_s3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	endpoint = getenv("S3_TEST_ENDPOINT");
	bucket = getenv("S3_TEST_BUCKET");
	readback = getenv("S3_TEST_READBACK");
	if (!bucket || !*bucket)
		bucket = "ps-test";
	if (!endpoint || !*endpoint) {
		printf("# test_s3_live: S3_TEST_ENDPOINT is not set; the live S3 "
		       "tests run from tests/cli/s3.sh\n");
		printf("# test_s3_live: 0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (getenv("S3_BENCH_FILE"))
		return bench(getenv("S3_BENCH_FILE"));
	if (!readback || !*readback) {
		printf("S3_TEST_READBACK (the second client) is not set\n");
		return 2;
	}
	sr = srunner_create(live_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
