/*
 * The optional ShellCheck pass: each RUN script (shell form, POSIX shell)
 * goes to `shellcheck -f json -s SHELL -` on stdin through fork/exec, after
 * export lines for the ARG/ENV variables the stage defines (and Docker's
 * predefined proxy ARGs) so that they do not count as unassigned. Findings
 * come back as PSD500 with refs ["SC2086"] etc.
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

static const char *const predefined[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", NULL
};

/* Run argv with in on stdin; its stdout into out. 0, or -1. */
static int
run_capture(const char *path, char *const argv[], const char *in, size_t n,
	    struct ps_buf *out)
{
	int pin[2], pout[2];
	pid_t pid;
	int st;

	if (pipe2(pin, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		execv(path, argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	/* shellcheck reads all of stdin before it writes */
	for (size_t off = 0; off < n;) {
		ssize_t w = write(pin[1], in + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(pin[1]);
	for (;;) {
		char buf[8192];
		ssize_t r = read(pout[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ps_buf_add(out, buf, (size_t)r);
	}
	close(pout[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) != 127 ? 0 : -1;
}

static int
stage_parent(const struct ps_dockerfile *df, int s)
{
	if (s < 0)
		return -1;
	for (int k = s - 1; k >= 0; k--)
		if (df->stages[k].name &&
		    lint_streq_ci(df->stages[k].name, df->stages[s].image_expanded))
			return k;
	return -1;
}

/* export lines for the variables of instruction i's stage chain */
static int
add_exports(const struct ps_dockerfile *df, size_t i, struct ps_buf *b,
	    int predefined_only)
{
	int lines = 0;
	int s = df->insts[i].stage;
	size_t end = i;

	for (const char *const *p = predefined; *p; p++) {
		ps_buf_addf(b, "export %s=x\n", *p);
		lines++;
	}
	while (!predefined_only) {
		for (size_t k = end; k-- > 0;) {
			const struct ps_df_inst *in = &df->insts[k];

			if (in->stage != s)
				break;
			if (in->kind != PS_DF_ENV && in->kind != PS_DF_ARG)
				continue;
			for (size_t p = 0; p < in->npairs; p++) {
				const char *key = in->pairs[p].key;
				int ok = key[0] != '\0';

				for (const char *c = key; *c && ok; c++)
					ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
					     (*c >= '0' && *c <= '9') || *c == '_';
				if (ok) {
					ps_buf_addf(b, "export %s=x\n", key);
					lines++;
				}
			}
		}
		s = stage_parent(df, s);
		if (s < 0)
			break;
		end = df->stages[s].inst + 1;
		while (end < df->ninsts && df->insts[end].stage == s)
			end++;
	}
	return lines;
}

static enum ps_severity
level(const char *l)
{
	if (!l)
		return PS_SEV_WARNING;
	if (!strcmp(l, "error"))
		return PS_SEV_ERROR;
	if (!strcmp(l, "info"))
		return PS_SEV_INFO;
	if (!strcmp(l, "style"))
		return PS_SEV_STYLE;
	return PS_SEV_WARNING;
}

void
lint_shellcheck(struct lint_ctx *cx)
{
	struct ps_dockerfile *df = cx->df;

	for (size_t i = 0; i < df->ninsts; i++) {
		const struct ps_df_inst *in = &df->insts[i];
		const struct ps_df_inst *x = in->inner ? in->inner : in;
		struct ps_buf script = { 0 }, out = { 0 };
		/* an ONBUILD RUN runs in the child image: default shell, none of
		 * this file's variables */
		const char *sh = in->inner ? "sh" : cx->shell[i] ? cx->shell[i] : "sh";
		int pre;

		if (x->kind != PS_DF_RUN || x->exec_form || !cx->posix[i] ||
		    !x->script || !*x->script)
			continue;
		ps_buf_addf(&script, "#!/bin/%s\n", sh);
		pre = 1 + add_exports(df, i, &script, in->inner != NULL);
		ps_buf_adds(&script, x->script);
		ps_buf_addc(&script, '\n');
		char shell_arg[16];

		snprintf(shell_arg, sizeof(shell_arg), "%s", sh);
		char *argv[] = { "shellcheck", "-f", "json", "-s", shell_arg,
				 "-e", "SC2148,SC1091,SC1090", "-", NULL };

		if (run_capture(cx->set->shellcheck_path, argv, script.data,
				script.len, &out) == 0 && out.len > 0) {
			json_error_t je;
			json_t *arr = json_loadb(out.data, out.len, 0, &je);
			size_t k;
			json_t *c;

			json_array_foreach(arr, k, c) {
				json_int_t line = json_integer_value(json_object_get(c, "line"));
				json_int_t code = json_integer_value(json_object_get(c, "code"));
				const char *msg = json_string_value(json_object_get(c, "message"));
				char ref[32];

				if (line <= pre)
					continue;
				snprintf(ref, sizeof(ref), "SC%lld", (long long)code);
				struct ps_finding *f = lint_report(cx, "PSD500", in, 0,
					"%s: %s", ref, msg ? msg : "");

				if (f) {
					f->severity = level(json_string_value(json_object_get(c, "level")));
					ps_finding_add_ref(f, ref);
				}
			}
			json_decref(arr);
		}
		ps_buf_free(&script);
		ps_buf_free(&out);
	}
}
