/*
 * Unit tests of lib/http: status expectations, backoff, certificate dates,
 * and real probes against scripts/http-test-server.py on 127.0.0.1 (started
 * once for the suite and stopped at its end): expectations, retries inside
 * the timeout, hung targets, many probes through the multi interface, POST.
 */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/http.h"

static pid_t server_pid;
static char base[64];
static char portfile[64];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
server_start(void)
{
	int i;
	long port = 0;

	snprintf(portfile, sizeof(portfile), "/tmp/ps-test-http.%ld", (long)getpid());
	unlink(portfile);
	server_pid = fork();
	if (server_pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("python3", "python3", "scripts/http-test-server.py", "--port-file",
		       portfile, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && !port; i++) {
		FILE *f = fopen(portfile, "r");
		char line[32];
		if (f) {
			if (fgets(line, sizeof(line), f)) {
				line[strcspn(line, "\n")] = 0;
				ps_parse_long(line, 1, 65535, &port);
			}
			fclose(f);
		}
		if (!port)
			usleep(50000);
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%ld", port);
}

static void
server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	unlink(portfile);
}

static int
probe(const char *path, struct ps_http_req *req, struct ps_http_result *res)
{
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	req->url = url;
	return ps_http_probe(req, res);
}

START_TEST(status_specs)
{
	struct ps_error err = { 0 };

	ck_assert(ps_http_status_match(NULL, 200));
	ck_assert(ps_http_status_match("", 299));
	ck_assert(!ps_http_status_match(NULL, 301));
	ck_assert(ps_http_status_match("2xx,301", 301));
	ck_assert(ps_http_status_match("200-204, 404", 404));
	ck_assert(!ps_http_status_match("200-204,404", 205));
	ck_assert(ps_http_status_match("5XX", 503));
	ck_assert_int_eq(ps_http_status_check("200,2xx,301-308", &err), 0);
	ck_assert_int_eq(ps_http_status_check("200,2xy", &err), -1);
	ck_assert_int_eq(err.col, 5);
	ck_assert_int_eq(ps_http_status_check("600", &err), -1);
	ck_assert_int_eq(ps_http_status_check("300-200", &err), -1);
	ck_assert_int_eq(ps_http_status_check("200,", &err), -1);
}
END_TEST

START_TEST(backoff_and_dates)
{
	double t;

	ck_assert(ps_http_backoff(1) == 0.1);
	ck_assert(ps_http_backoff(2) == 0.2);
	ck_assert(ps_http_backoff(3) == 0.4);
	ck_assert(ps_http_backoff(30) == 2.0);
	ck_assert_int_eq(ps_http_parse_cert_date("Nov 26 14:00:00 2027 GMT", &t), 0);
	ck_assert(t == 1827237600.0);
	ck_assert_int_eq(ps_http_parse_cert_date("Jan  2 03:04:05 2030 GMT", &t), 0);
	ck_assert(t == 1893553445.0);
	ck_assert_int_eq(ps_http_parse_cert_date("yesterday", &t), -1);
	ck_assert_int_eq(ps_http_parse_cert_date("Nov 26 14:00:00 2027 PST", &t), -1);
}
END_TEST

START_TEST(healthy_probe_with_phases)
{
	struct ps_http_req req = { .timeout = 5 };
	struct ps_http_result res;

	req.expect.json_field = "db.n";
	req.expect.json_equals = "3";
	ck_assert_int_eq(probe("/json", &req, &res), 0);
	ck_assert_int_eq(res.ok, 1);
	ck_assert_int_eq(res.status, 200);
	ck_assert_int_eq(res.attempts, 1);
	ck_assert(res.phases.total > 0 && res.phases.total >= res.phases.first_byte);
	ck_assert(res.phases.connect >= 0 && res.phases.tls == 0);
	ck_assert(res.tls_expires_at == 0);
	ck_assert_str_eq(res.error, "");
	ps_http_result_free(&res);
}
END_TEST

START_TEST(expectations)
{
	struct ps_http_req req = { .timeout = 5 };
	struct ps_http_result res;

	ck_assert_int_eq(probe("/status/500", &req, &res), -1);
	ck_assert_int_eq(res.transport_ok, 1);
	ck_assert_str_eq(res.error, "status 500, expected 2xx");
	req.expect.status = "500";
	ck_assert_int_eq(probe("/status/500", &req, &res), 0);
	req.expect.status = NULL;
	req.expect.body_contains = "world";
	req.keep_body = 1;
	ck_assert_int_eq(probe("/text", &req, &res), 0);
	ck_assert_str_eq(res.body, "hello world\n");
	ps_http_result_free(&res);
	req.keep_body = 0;
	req.expect.body_contains = "planet";
	ck_assert_int_eq(probe("/text", &req, &res), -1);
	ck_assert(strstr(res.error, "does not contain"));
	req.expect.body_contains = NULL;
	req.expect.json_field = "status";
	ck_assert_int_eq(probe("/text", &req, &res), -1);
	ck_assert(strstr(res.error, "not JSON"));
	req.expect.json_field = "db.missing";
	ck_assert_int_eq(probe("/json", &req, &res), -1);
	ck_assert(strstr(res.error, "missing"));
	req.expect.json_field = NULL;
	req.expect.max_latency = 0.1;
	ck_assert_int_eq(probe("/delay/0.3", &req, &res), -1);
	ck_assert(strstr(res.error, "latency"));
	req.expect.max_latency = 0;
	req.method = "HEAD";
	ck_assert_int_eq(probe("/health", &req, &res), 0);
}
END_TEST

START_TEST(retries_inside_the_timeout)
{
	struct ps_http_req req = { .timeout = 5, .retries = 3 };
	struct ps_http_result res;
	char path[64];
	double t0;

	snprintf(path, sizeof(path), "/flaky/2/unit%ld", (long)getpid());
	ck_assert_int_eq(probe(path, &req, &res), 0);
	ck_assert_int_eq(res.attempts, 3);
	/* 0.3 s of backoff; the attempts that fail fast leave no more */
	ck_assert_msg(res.elapsed >= 0.3 && res.elapsed < 3, "%.2fs", res.elapsed);
	/* a timeout too short for the backoff: one attempt only */
	req.timeout = 0.12;
	snprintf(path, sizeof(path), "/flaky/5/unit-b%ld", (long)getpid());
	ck_assert_int_eq(probe(path, &req, &res), -1);
	ck_assert_int_eq(res.attempts, 1);
	/* a hung target: the timeout, not the retries, ends it */
	req.timeout = 0.5;
	t0 = now();
	ck_assert_int_eq(probe("/hang", &req, &res), -1);
	ck_assert_msg(res.elapsed >= 0.45 && res.elapsed < 0.8, "%.2fs", res.elapsed);
	ck_assert_msg(now() - t0 < 3, "%.2fs", now() - t0);
	ck_assert(strstr(res.error, "timed out"));
}
END_TEST

START_TEST(refused)
{
	struct ps_http_req req = { .url = "http://127.0.0.1:1/", .timeout = 2, .retries = 2 };
	struct ps_http_result res;

	ck_assert_int_eq(ps_http_probe(&req, &res), -1);
	ck_assert_int_eq(res.transport_ok, 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_int_eq(res.attempts, 3);
	ck_assert(strstr(res.error, "onnect"));
}
END_TEST

static int done_count;
static int done_ok;

static void
on_done(void *user, struct ps_http_result *res)
{
	int *slot = user;

	*slot = res->ok ? 1 : -1;
	done_count++;
	done_ok += res->ok;
}

START_TEST(many_at_once)
{
	struct ps_http_multi *m = ps_http_multi_new(10);
	struct ps_error err = { 0 };
	int slots[40] = { 0 };
	char url[128];
	double t0 = now();
	int i;

	done_count = done_ok = 0;
	for (i = 0; i < 40; i++) {
		struct ps_http_req req = { .timeout = 5 };
		snprintf(url, sizeof(url), "%s/delay/0.2?i=%d", base, i);
		if (i == 7)
			snprintf(url, sizeof(url), "%s/hang", base);
		req.url = url;
		if (i == 7)
			req.timeout = 0.5;
		ck_assert_int_eq(ps_http_multi_add(m, &req, on_done, &slots[i], &err), 0);
	}
	ck_assert_uint_eq(ps_http_multi_pending(m), 40);
	while (ps_http_multi_pending(m))
		ps_http_multi_step(m, 1.0, -1, NULL);
	/* 40 probes of 0.2 s, 10 at a time: about 0.8 s (8 s one by one);
	 * the hang costs its slot only. Loose, for busy machines and ASan. */
	ck_assert_msg(now() - t0 < 4, "took %.2fs", now() - t0);
	ck_assert_int_eq(done_count, 40);
	ck_assert_int_eq(done_ok, 39);
	ck_assert_int_eq(slots[7], -1);
	ps_http_multi_free(m);

	/* freeing with probes in flight calls nothing and leaks nothing */
	m = ps_http_multi_new(2);
	struct ps_http_req req = { .timeout = 5 };
	snprintf(url, sizeof(url), "%s/hang", base);
	req.url = url;
	ck_assert_int_eq(ps_http_multi_add(m, &req, on_done, &slots[0], &err), 0);
	ck_assert_int_eq(ps_http_multi_add(m, &req, on_done, &slots[1], &err), 0);
	ck_assert_int_eq(ps_http_multi_add(m, &req, on_done, &slots[2], &err), 0);
	ps_http_multi_step(m, 0.05, -1, NULL);
	done_count = 0;
	ps_http_multi_free(m);
	ck_assert_int_eq(done_count, 0);
}
END_TEST

START_TEST(post)
{
	struct ps_error err = { 0 };
	char url[128];
	long status = 0;

	snprintf(url, sizeof(url), "%s/hook/unit", base);
	ck_assert_int_eq(ps_http_post(url, "application/json", "{\"a\":1}", 7, 5, 1,
				      &status, &err), 0);
	ck_assert_int_eq(status, 200);
	snprintf(url, sizeof(url), "%s/status/503", base);
	ck_assert_int_eq(ps_http_post(url, NULL, "{}", 2, 2, 1, &status, &err), -1);
	ck_assert_int_eq(status, 503);
	ck_assert_msg(strstr(err.msg, "after 2 attempts"), "%s", err.msg);
}
END_TEST

START_TEST(bad_requests)
{
	struct ps_http_multi *m = ps_http_multi_new(0);
	struct ps_http_req req = { .url = "http://127.0.0.1/" };
	struct ps_error err = { 0 };

	req.expect.status = "abc";
	ck_assert_int_eq(ps_http_multi_add(m, &req, on_done, NULL, &err), -1);
	req.url = "";
	ck_assert_int_eq(ps_http_multi_add(m, &req, on_done, NULL, &err), -1);
	ps_http_multi_free(m);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, status_specs);
	tcase_add_test(tc, backoff_and_dates);
	tcase_add_test(tc, bad_requests);
	suite_add_tcase(s, tc);
	tc = tcase_create("server");
	tcase_add_unchecked_fixture(tc, server_start, server_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, healthy_probe_with_phases);
	tcase_add_test(tc, expectations);
	tcase_add_test(tc, retries_inside_the_timeout);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, many_at_once);
	tcase_add_test(tc, post);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
