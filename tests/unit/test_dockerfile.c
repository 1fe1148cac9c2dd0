/*
 * Check suite for lib/dockerfile.c: the Dockerfile parser (directives, the
 * escape character, continuations with comments inside, heredocs, exec vs
 * shell form, invalid JSON as shell form, flags, ONBUILD, ARG expansion in
 * FROM, stage names, positions, syntax errors) and the shell splitter.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile.h"
#include "lib/util.h"

static struct ps_dockerfile *
parse(const char *s)
{
	struct ps_error err = { 0 };
	struct ps_dockerfile *df = ps_df_parse("Dockerfile", s, strlen(s), &err);

	ck_assert_ptr_nonnull(df);
	return df;
}

START_TEST(test_basic_positions)
{
	struct ps_dockerfile *df = parse("# comment\nFROM alpine:3.19 AS build\n\n  RUN echo hi\n");

	ck_assert_uint_eq(df->ninsts, 2);
	ck_assert_int_eq(df->insts[0].kind, PS_DF_FROM);
	ck_assert_int_eq(df->insts[0].line, 2);
	ck_assert_int_eq(df->insts[0].col, 1);
	ck_assert_int_eq(df->insts[1].kind, PS_DF_RUN);
	ck_assert_int_eq(df->insts[1].line, 4);
	ck_assert_int_eq(df->insts[1].col, 3);
	ck_assert_str_eq(df->insts[1].script, "echo hi");
	ck_assert_uint_eq(df->nstages, 1);
	ck_assert_str_eq(df->stages[0].name, "build");
	ck_assert_str_eq(df->stages[0].image, "alpine:3.19");
	ck_assert_uint_eq(df->ncomments, 1);
	ck_assert_str_eq(df->comments[0].text, "comment");
	ck_assert_uint_eq(df->nerrors, 0);
	ps_df_free(df);
}
END_TEST

START_TEST(test_continuation_and_comments)
{
	struct ps_dockerfile *df = parse(
		"FROM debian:12\n"
		"RUN apt-get update && \\\n"
		"    # a comment inside\n"
		"\n"
		"    apt-get install -y curl\n"
		"CMD [\"sh\"]\n");

	ck_assert_uint_eq(df->ninsts, 3);
	ck_assert_str_eq(df->insts[1].args,
			 "apt-get update &&     apt-get install -y curl");
	ck_assert_int_eq(df->insts[1].end_line, 5);
	ck_assert_int_eq(df->insts[2].line, 6);
	ck_assert_uint_eq(df->ncomments, 1);
	ck_assert_int_eq(df->comments[0].in_continuation, 1);
	ps_df_free(df);
}
END_TEST

START_TEST(test_escape_directive)
{
	struct ps_dockerfile *df = parse(
		"# escape=`\n"
		"FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
		"RUN dir `\n"
		"    C:\\\n"
		"COPY a C:\\b\\\n");

	ck_assert_int_eq(df->escape, '`');
	ck_assert_uint_eq(df->ninsts, 3);
	ck_assert_str_eq(df->insts[1].args, "dir     C:\\");
	ck_assert_str_eq(df->insts[2].argv[1], "C:\\b\\");
	ps_df_free(df);
}
END_TEST

START_TEST(test_syntax_directive)
{
	struct ps_dockerfile *df = parse("# syntax = docker/dockerfile:1.4\nFROM a:1\n");

	ck_assert_str_eq(df->syntax, "docker/dockerfile:1.4");
	ps_df_free(df);
}
END_TEST

START_TEST(test_heredocs)
{
	struct ps_dockerfile *df = parse(
		"FROM alpine:3\n"
		"RUN <<EOF\n"
		"apk add curl\n"
		"echo done\n"
		"EOF\n"
		"COPY <<-\"EOT\" /etc/motd\n"
		"\thello $USER\n"
		"\tEOT\n"
		"RUN python3 <<PY > /out\n"
		"print(1)\n"
		"PY\n"
		"USER 1000\n");

	ck_assert_uint_eq(df->ninsts, 5);
	ck_assert_uint_eq(df->insts[1].nheredocs, 1);
	ck_assert_str_eq(df->insts[1].heredocs[0].body, "apk add curl\necho done\n");
	ck_assert_str_eq(df->insts[1].script, "apk add curl\necho done\n");
	ck_assert_int_eq(df->insts[1].end_line, 5);
	ck_assert_int_eq(df->insts[2].heredocs[0].quoted, 1);
	ck_assert_int_eq(df->insts[2].heredocs[0].strip_tabs, 1);
	ck_assert_str_eq(df->insts[2].heredocs[0].body, "hello $USER\n");
	/* a heredoc fed to another program: the script is the command line */
	ck_assert_str_eq(df->insts[3].script, "python3 <<PY > /out");
	ck_assert_int_eq(df->insts[4].kind, PS_DF_USER);
	ck_assert_int_eq(df->insts[4].line, 12);
	ck_assert_uint_eq(df->nerrors, 0);
	ps_df_free(df);
}
END_TEST

/* single '<' before a marker (input redirections) do not hide it; '<' and
 * "<<<" alone are no marker */
START_TEST(test_heredoc_after_redirections)
{
	struct ps_dockerfile *df = parse(
		"FROM alpine:3\n"
		"RUN sort < /a > /b && cat < /c <<EOF\n"
		"x\n"
		"EOF\n"
		"RUN tr a-z A-Z <<< word < /d\n"
		"RUN echo 1 \\\n"
		"  < /e\n");

	ck_assert_uint_eq(df->ninsts, 4);
	ck_assert_uint_eq(df->insts[1].nheredocs, 1);
	ck_assert_str_eq(df->insts[1].heredocs[0].delim, "EOF");
	ck_assert_str_eq(df->insts[1].heredocs[0].body, "x\n");
	ck_assert_uint_eq(df->insts[2].nheredocs, 0);
	ck_assert_int_eq(df->insts[2].line, 5);
	ck_assert_uint_eq(df->insts[3].nheredocs, 0);
	ck_assert_uint_eq(df->nerrors, 0);
	ps_df_free(df);
}
END_TEST

/* every keyword in any case; near misses and other lengths are none */
START_TEST(test_kind_parse)
{
	static const char *const other[] = {
		"", "R", "RU", "RUNS", "FRO", "FROMM", "CMDX", "ENVV", "LABE",
		"SHEL", "EXPOS", "VOLUMES", "WORKDI", "ONBUILD1", "MAINTAINE",
		"ENTRYPOIN", "STOPSIGNALS", "HEALTHCHEC", "HEALTHCHECKS",
		"A_VERY_LONG_WORD_INDEED", "R\xc3\xbcN", "RUN\x01",
	};

	for (int k = PS_DF_UNKNOWN + 1; k <= PS_DF_SHELL; k++) {
		const char *name = ps_df_kind_name((enum ps_df_kind)k);
		char low[16], mixed[16];
		size_t n = strlen(name);

		for (size_t i = 0; i <= n; i++) {
			low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
					name[i] + 32 : name[i]);
			mixed[i] = i % 2 ? low[i] : name[i];
		}
		ck_assert_int_eq(ps_df_kind_parse(name, n), k);
		ck_assert_int_eq(ps_df_kind_parse(low, n), k);
		ck_assert_int_eq(ps_df_kind_parse(mixed, n), k);
		/* a prefix of a longer word counts only with its length */
		ck_assert_int_eq(ps_df_kind_parse(name, n - 1), PS_DF_UNKNOWN);
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++)
		ck_assert_int_eq(ps_df_kind_parse(other[i], strlen(other[i])),
				 PS_DF_UNKNOWN);
}
END_TEST

START_TEST(test_unterminated_heredoc)
{
	struct ps_dockerfile *df = parse("FROM a:1\nRUN <<EOF\necho\n");

	ck_assert_uint_eq(df->nerrors, 1);
	ck_assert_int_eq(df->errors[0].line, 2);
	ps_df_free(df);
}
END_TEST

START_TEST(test_exec_form)
{
	struct ps_dockerfile *df = parse(
		"CMD [\"python\", \"-m\", \"http.server\"]\n"
		"ENTRYPOINT [\"a\", 'b']\n"
		"RUN [\"echo\", \"x\"\n"
		"SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n");

	ck_assert_int_eq(df->insts[0].exec_form, 1);
	ck_assert_uint_eq(df->insts[0].argc, 3);
	ck_assert_str_eq(df->insts[0].argv[2], "http.server");
	/* invalid JSON silently becomes shell form */
	ck_assert_int_eq(df->insts[1].exec_form, 0);
	ck_assert_int_eq(df->insts[2].exec_form, 0);
	ck_assert_str_eq(df->insts[2].script, "[\"echo\", \"x\"");
	ck_assert_int_eq(df->insts[3].exec_form, 1);
	ck_assert_str_eq(df->insts[3].argv[2], "pipefail");
	ps_df_free(df);
}
END_TEST

START_TEST(test_flags)
{
	struct ps_dockerfile *df = parse(
		"FROM --platform=$BUILDPLATFORM golang:1.22 AS b\n"
		"COPY --from=b --chown=1000:1000 --link /out /app\n"
		"RUN --mount=type=cache,target=/root/.cache --network=none go build\n"
		"HEALTHCHECK --interval=30s CMD [\"/bin/check\"]\n");

	ck_assert_str_eq(df->stages[0].platform, "$BUILDPLATFORM");
	ck_assert_str_eq(ps_df_flag(&df->insts[1], "from")->value, "b");
	ck_assert_str_eq(ps_df_flag(&df->insts[1], "chown")->value, "1000:1000");
	ck_assert_ptr_nonnull(ps_df_flag(&df->insts[1], "link"));
	ck_assert_ptr_null(ps_df_flag(&df->insts[1], "link")->value);
	ck_assert_uint_eq(df->insts[1].argc, 2);
	ck_assert_str_eq(ps_df_flag(&df->insts[2], "network")->value, "none");
	ck_assert_str_eq(df->insts[2].script, "go build");
	ck_assert_int_eq(df->insts[3].exec_form, 1);
	ck_assert_str_eq(df->insts[3].argv[0], "/bin/check");
	ck_assert_str_eq(ps_df_flag(&df->insts[3], "interval")->value, "30s");
	ps_df_free(df);
}
END_TEST

/* more flags than fit on the parser's stack: all kept, in order */
START_TEST(test_many_flags)
{
	char text[1024] = "FROM a:1\nRUN";
	struct ps_dockerfile *df;

	for (int k = 0; k < 20; k++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " --F%d=v%d", k, k);
	strcat(text, " --link make\n");
	df = parse(text);
	ck_assert_uint_eq(df->ninsts, 2);
	ck_assert_uint_eq(df->insts[1].nflags, 21);
	for (int k = 0; k < 20; k++) {
		char name[8], value[8];

		snprintf(name, sizeof(name), "f%d", k);
		snprintf(value, sizeof(value), "v%d", k);
		ck_assert_str_eq(df->insts[1].flags[k].name, name);
		ck_assert_str_eq(df->insts[1].flags[k].value, value);
	}
	ck_assert_ptr_null(ps_df_flag(&df->insts[1], "link")->value);
	ck_assert_str_eq(df->insts[1].script, "make");
	ps_df_free(df);
}
END_TEST

START_TEST(test_pairs)
{
	struct ps_dockerfile *df = parse(
		"ENV A=1 B=\"two words\" C='$x'\n"
		"ENV LEGACY value with spaces\n"
		"ARG NOVAL\n"
		"LABEL \"org.example.name\"=\"x y\"\n");

	ck_assert_uint_eq(df->insts[0].npairs, 3);
	ck_assert_str_eq(df->insts[0].pairs[1].value, "two words");
	ck_assert_str_eq(df->insts[0].pairs[2].value, "$x");
	ck_assert_str_eq(df->insts[1].pairs[0].key, "LEGACY");
	ck_assert_str_eq(df->insts[1].pairs[0].value, "value with spaces");
	ck_assert_ptr_null(df->insts[2].pairs[0].value);
	ck_assert_str_eq(df->insts[3].pairs[0].key, "org.example.name");
	ck_assert_str_eq(df->insts[3].pairs[0].value, "x y");
	ps_df_free(df);
	/* one pair a word, however many */
	{
		char text[2048] = "ENV";

		for (int k = 0; k < 60; k++)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " K%d=%d", k, k);
		strcat(text, " LAST\n");
		df = parse(text);
		ck_assert_uint_eq(df->insts[0].npairs, 61);
		ck_assert_str_eq(df->insts[0].pairs[59].key, "K59");
		ck_assert_str_eq(df->insts[0].pairs[59].value, "59");
		ck_assert_str_eq(df->insts[0].pairs[60].key, "LAST");
		ck_assert_ptr_null(df->insts[0].pairs[60].value);
		ps_df_free(df);
	}
}
END_TEST

START_TEST(test_arg_expansion_in_from)
{
	struct ps_dockerfile *df = parse(
		"ARG PY=3.11\n"
		"ARG VARIANT=${PY}-slim\n"
		"FROM python:${VARIANT} AS app\n"
		"FROM ${BASE:-debian}:12\n");

	ck_assert_uint_eq(df->nstages, 2);
	ck_assert_str_eq(df->stages[0].image_expanded, "python:3.11-slim");
	ck_assert_str_eq(df->stages[1].image_expanded, "debian:12");
	ck_assert_int_eq(df->insts[0].stage, -1);
	ck_assert_int_eq(df->insts[3].stage, 1);
	ps_df_free(df);
}
END_TEST

START_TEST(test_onbuild)
{
	struct ps_dockerfile *df = parse("FROM a:1\nONBUILD RUN make install\nONBUILD\n");

	ck_assert_int_eq(df->insts[1].kind, PS_DF_ONBUILD);
	ck_assert_ptr_nonnull(df->insts[1].inner);
	ck_assert_int_eq(df->insts[1].inner->kind, PS_DF_RUN);
	ck_assert_str_eq(df->insts[1].inner->script, "make install");
	ck_assert_int_eq(df->insts[1].inner->line, 2);
	ck_assert_ptr_null(df->insts[2].inner);
	ps_df_free(df);
}
END_TEST

START_TEST(test_errors)
{
	struct ps_dockerfile *df = parse("FROM\nFRUM x\nfrom alpine:3\n");

	ck_assert_uint_eq(df->nerrors, 2);
	ck_assert_int_eq(df->errors[0].line, 1);
	ck_assert_int_eq(df->errors[1].line, 2);
	ck_assert_int_eq(df->insts[2].kind, PS_DF_FROM);
	ck_assert_str_eq(df->insts[2].keyword, "from");
	ps_df_free(df);
}
END_TEST

START_TEST(test_crlf_bom_empty)
{
	struct ps_dockerfile *df = parse("\xef\xbb\xbf" "FROM a:1\r\nRUN x \\\r\n y\r\n");

	ck_assert_uint_eq(df->ninsts, 2);
	ck_assert_str_eq(df->insts[1].script, "x  y");
	ps_df_free(df);
	df = parse("");
	ck_assert_uint_eq(df->ninsts, 0);
	ps_df_free(df);
}
END_TEST

/* ---- shell splitting ---- */

static struct ps_sh_script
split(struct ps_dockerfile *df, const char *s)
{
	struct ps_sh_script sc = { 0 };

	ps_sh_split(df, s, &sc);
	return sc;
}

START_TEST(test_split_operators)
{
	struct ps_dockerfile *df = parse("");
	struct ps_sh_script sc = split(df,
		"apt-get update && apt-get install -y curl || true; "
		"curl -sSL https://x | sh");

	ck_assert_uint_eq(sc.ncmds, 5);
	ck_assert_str_eq(ps_sh_cmd_name(&sc.cmds[0]), "apt-get");
	ck_assert_int_eq(sc.cmds[0].sep, PS_SH_AND);
	ck_assert_int_eq(sc.cmds[1].sep, PS_SH_OR);
	ck_assert_int_eq(sc.cmds[2].sep, PS_SH_SEQ);
	ck_assert_int_eq(sc.cmds[3].sep, PS_SH_PIPE);
	ck_assert_int_eq(sc.cmds[4].piped_in, 1);
	ck_assert_int_eq(sc.has_pipe, 1);
	ck_assert(ps_sh_has_flag(&sc.cmds[1], "y"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[1], "q"));
	ck_assert(ps_sh_has_flag(&sc.cmds[3], "S"));
	ps_df_free(df);
}
END_TEST

/* long flags whole or with a value, short ones in a cluster, none after
 * "--" */
START_TEST(test_has_flag)
{
	struct ps_dockerfile *df = parse("");
	struct ps_sh_script sc = split(df,
		"pip install --no-cache-dir=1 --yes -qy --trusted-hostx a -- "
		"--insecure -k");

	ck_assert_uint_eq(sc.ncmds, 1);
	ck_assert(ps_sh_has_flag(&sc.cmds[0], "no-cache-dir"));
	ck_assert(ps_sh_has_flag(&sc.cmds[0], "yes"));
	ck_assert(ps_sh_has_flag(&sc.cmds[0], "y"));
	ck_assert(ps_sh_has_flag(&sc.cmds[0], "q"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[0], "no-cache"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[0], "ye"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[0], "trusted-host"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[0], "insecure"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[0], "k"));
	ck_assert(!ps_sh_has_flag(&sc.cmds[0], "n"));
	ps_df_free(df);
}
END_TEST

START_TEST(test_split_quotes_assignments)
{
	struct ps_dockerfile *df = parse("");
	struct ps_sh_script sc = split(df,
		"PIP_NO_CACHE_DIR=1 /usr/bin/pip install 'a b' \"c $D\" e\\ f 2>&1 >/dev/null");

	ck_assert_uint_eq(sc.ncmds, 1);
	ck_assert_uint_eq(sc.cmds[0].nassigns, 1);
	ck_assert_str_eq(sc.cmds[0].assigns[0].text, "PIP_NO_CACHE_DIR=1");
	ck_assert_str_eq(ps_sh_cmd_name(&sc.cmds[0]), "pip");
	ck_assert_uint_eq(sc.cmds[0].argc, 5);
	ck_assert_str_eq(sc.cmds[0].argv[2].text, "a b");
	ck_assert_int_eq(sc.cmds[0].argv[2].quoted, 1);
	ck_assert_str_eq(sc.cmds[0].argv[3].text, "c $D");
	ck_assert_int_eq(sc.cmds[0].argv[3].dynamic, 1);
	ck_assert_str_eq(sc.cmds[0].argv[4].text, "e f");
	ps_df_free(df);
}
END_TEST

/* Plain words are ended in place in a copy of the script: each is its own
 * string, those before an operator, a blank, the end of a substitution or
 * of the script too; the words that contain a substitution are whole; the
 * script itself is left as it was. */
START_TEST(test_split_plain_words_in_place)
{
	struct ps_dockerfile *df = parse("");
	static const char text[] = "a;b|c&&d e\tf $(h i;j) `k l` m||n";
	char script[sizeof(text)];
	struct ps_sh_script sc;
	/* each command's words, the ones in $(...) and `...` last */
	static const char *const want[][7] = {
		{ "a" }, { "b" }, { "c" },
		{ "d", "e", "f", "$(h i;j)", "`k l`", "m" }, { "n" },
		{ "h", "i" }, { "j" }, { "k", "l" },
	};

	memcpy(script, text, sizeof(text));
	sc = split(df, script);
	ck_assert_str_eq(script, text);
	ck_assert_uint_eq(sc.ncmds, PS_ARRAY_LEN(want));
	for (size_t i = 0; i < PS_ARRAY_LEN(want); i++) {
		size_t n = 0;

		while (n < PS_ARRAY_LEN(want[i]) && want[i][n])
			n++;
		ck_assert_uint_eq(sc.cmds[i].argc, n);
		for (size_t k = 0; k < n; k++) {
			ck_assert_str_eq(sc.cmds[i].argv[k].text, want[i][k]);
			ck_assert_str_eq(sc.cmds[i].argv[k].raw, want[i][k]);
		}
	}
	ck_assert_int_eq(sc.cmds[5].nested, 1);
	ps_df_free(df);
}
END_TEST

START_TEST(test_split_compound)
{
	struct ps_dockerfile *df = parse("");
	struct ps_sh_script sc = split(df,
		"set -eux; if [ -f x ]; then cd /tmp && make; fi\n"
		"for p in a b; do echo $p; done\n"
		"v=$(curl -s https://x)\n"
		"(cd sub && make)\n"
		"cat <<EOF > /f\nnot a command\nEOF\n"
		"echo end # comment\n");
	/* "" is the assignment v=$(...); the $(...) command comes last */
	const char *want[] = { "set", "[", "cd", "make", "echo", "", "cd",
			       "make", "cat", "echo", "curl" };

	ck_assert_uint_eq(sc.ncmds, PS_ARRAY_LEN(want));
	for (size_t i = 0; i < PS_ARRAY_LEN(want); i++)
		ck_assert_str_eq(ps_sh_cmd_name(&sc.cmds[i]), want[i]);
	ck_assert_int_eq(sc.cmds[10].nested, 1);
	ck_assert_uint_eq(sc.cmds[5].nassigns, 1);
	/* redirections and the heredoc body are not arguments */
	ck_assert_uint_eq(sc.cmds[8].argc, 1);
	ck_assert_int_eq(sc.cmds[9].line, 7);
	ps_df_free(df);
}
END_TEST

/* words that end where a nested script does: at its ')' or '`', with
 * blanks before it, empty, unterminated, in double quotes, at the very
 * end of the script; every word whole (split into an exact-length copy,
 * so that a scan past the end would show under ASan) */
START_TEST(test_split_nested_ends)
{
	static const struct {
		const char *script;
		const char *words;	/* the commands' words, "|" between */
	} cases[] = {
		{ "echo $(id -u)x", "echo $(id -u)x|id -u" },
		{ "echo `uname -m`", "echo `uname -m`|uname -m" },
		{ "a $(b   ) c", "a $(b   ) c|b" },
		{ "a $(  )", "a $(  )" },
		{ "a $(b", "a $(b|b" },
		{ "a `b", "a `b|b" },
		{ "a \"$(b c)\"d", "a $(b c)d|b c" },
		{ "x=$(y)", "|y" },
		{ "a $(b $(c d))", "a $(b $(c d))|b $(c d)|c d" },
		{ "a	 ", "a" },
		{ "a $(b)", "a $(b)|b" },
	};

	for (size_t k = 0; k < PS_ARRAY_LEN(cases); k++) {
		struct ps_dockerfile *df = parse("");
		size_t n = strlen(cases[k].script);
		char *exact = malloc(n + 1);
		struct ps_buf got = { 0 };

		memcpy(exact, cases[k].script, n + 1);
		struct ps_sh_script sc = split(df, exact);

		for (size_t c = 0; c < sc.ncmds; c++) {
			if (c)
				ps_buf_addc(&got, '|');
			for (size_t a = 0; a < sc.cmds[c].argc; a++) {
				if (a)
					ps_buf_addc(&got, ' ');
				ps_buf_adds(&got, sc.cmds[c].argv[a].text);
			}
		}
		ck_assert_msg(strcmp(ps_buf_str(&got), cases[k].words) == 0,
			      "%s: got \"%s\"", cases[k].script, ps_buf_str(&got));
		ps_buf_free(&got);
		free(exact);
		ps_df_free(df);
	}
}
END_TEST

START_TEST(test_expand_unquote)
{
	struct ps_dockerfile *df = parse("");
	struct ps_df_pair vars[] = { { "A", "1", "1" }, { "E", "", "" } };

	ck_assert_str_eq(ps_df_expand(df, "x$A-${A}-${B:-d}-${E:-e}-${E-f}-${A:+p}", vars, 2),
			 "x1-1-d-e--p");
	/* a colon with nothing after it, or an empty word */
	ck_assert_str_eq(ps_df_expand(df, "${A:}|${B:}|${A:-}|${B:-}|${A:+}|${B:+}|${A?}", vars, 2),
			 "1||1||||1");
	ck_assert_str_eq(ps_df_unquote(df, "\"a b\"'c'd"), "a bcd");
	ck_assert_str_eq(ps_df_strip_quotes(df, "\"C:\\\""), "C:\\");
	ps_df_free(df);
}
END_TEST

/* Parsing keeps memory per thread for the next parse (arena blocks,
 * vectors): files parsed one after another, alive at once and freed in any
 * order, each keep their own instructions and commands. */
static const char small_src[] = "FROM alpine:3.19\nRUN apk add --no-cache curl && echo a\n";

static char *
big_src(void)
{
	size_t cap = 64 << 10, len = 0;
	char *t = malloc(cap);

	ck_assert_ptr_nonnull(t);
	len += (size_t)snprintf(t + len, cap - len, "FROM debian:12\nEXPOSE");
	for (int i = 1; i <= 40; i++)
		len += (size_t)snprintf(t + len, cap - len, " %d", 8000 + i);
	len += (size_t)snprintf(t + len, cap - len, "\n");
	/* more than one arena block of text */
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"RUN echo line-%d-with-some-words-to-fill-the-arena \\\n"
					"    && apt-get install -y pkg%d\n", i, i);
	return t;
}

static void
check_small(struct ps_dockerfile *df, const struct ps_sh_script *sc)
{
	ck_assert_uint_eq(df->ninsts, 2);
	ck_assert_str_eq(df->insts[0].argv[0], "alpine:3.19");
	ck_assert_str_eq(df->insts[1].script, "apk add --no-cache curl && echo a");
	ck_assert_uint_eq(sc->ncmds, 2);
	ck_assert_str_eq(sc->cmds[0].argv[0].text, "apk");
	ck_assert_str_eq(sc->cmds[0].argv[3].text, "curl");
	ck_assert_str_eq(sc->cmds[1].argv[1].text, "a");
}

static void
check_big(struct ps_dockerfile *df, const struct ps_sh_script *sc)
{
	char want[32];

	ck_assert_uint_eq(df->ninsts, 302);
	ck_assert_int_eq(df->insts[1].kind, PS_DF_EXPOSE);
	ck_assert_uint_eq(df->insts[1].argc, 40);
	ck_assert_str_eq(df->insts[1].argv[0], "8001");
	ck_assert_str_eq(df->insts[1].argv[39], "8040");
	ck_assert_int_eq(df->insts[301].line, 2 + 2 * 299 + 1);
	ck_assert_uint_eq(sc->ncmds, 2);
	ck_assert_str_eq(sc->cmds[1].argv[3].text, "pkg299");
	snprintf(want, sizeof(want), "line-%d-with", 299);
	ck_assert_ptr_nonnull(strstr(df->insts[301].script, want));
}

START_TEST(test_scratch_reuse)
{
	char *big = big_src();
	struct ps_error err = { 0 };
	struct ps_sh_script sa, sb, sc;
	struct ps_dockerfile *a, *b, *c;

	a = parse(small_src);
	ps_sh_split(a, a->insts[1].script, &sa);
	b = ps_df_parse("Dockerfile.big", big, strlen(big), &err);
	ck_assert_ptr_nonnull(b);
	ps_sh_split(b, b->insts[301].script, &sb);
	check_small(a, &sa);
	check_big(b, &sb);
	ps_df_free(a);
	c = parse(small_src);
	ps_sh_split(c, c->insts[1].script, &sc);
	check_big(b, &sb);
	check_small(c, &sc);
	ps_df_free(b);
	check_small(c, &sc);
	ps_df_free(c);
	ps_df_scratch_release();
	/* and after the release, as from the start */
	c = parse(small_src);
	ps_sh_split(c, c->insts[1].script, &sc);
	check_small(c, &sc);
	ps_df_free(c);
	ps_df_scratch_release();
	free(big);
}
END_TEST

/* A thread parses many files and releases what it kept (the sanitizer
 * build reports a leak when that is missing). */
static void *
parse_many(void *arg)
{
	const char *big = arg;

	for (int i = 0; i < 20; i++) {
		struct ps_error err = { 0 };
		struct ps_dockerfile *df = ps_df_parse("Dockerfile", i % 2 ? big : small_src,
						       i % 2 ? strlen(big) : strlen(small_src), &err);
		struct ps_sh_script sc;

		if (!df)
			return (void *)1;
		ps_sh_split(df, df->insts[df->ninsts - 1].script, &sc);
		if (sc.ncmds != 2) {
			ps_df_free(df);
			return (void *)1;
		}
		ps_df_free(df);
	}
	ps_df_scratch_release();
	return NULL;
}

START_TEST(test_scratch_threads)
{
	char *big = big_src();
	pthread_t t[2];
	void *rv[2];

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, parse_many, big), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], &rv[i]), 0);
		ck_assert_ptr_null(rv[i]);
	}
	free(big);
}
END_TEST

static Suite *
dockerfile_suite(void)
{
	Suite *s = suite_create("dockerfile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_basic_positions);
	tcase_add_test(tc, test_continuation_and_comments);
	tcase_add_test(tc, test_escape_directive);
	tcase_add_test(tc, test_syntax_directive);
	tcase_add_test(tc, test_heredocs);
	tcase_add_test(tc, test_heredoc_after_redirections);
	tcase_add_test(tc, test_kind_parse);
	tcase_add_test(tc, test_unterminated_heredoc);
	tcase_add_test(tc, test_exec_form);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_many_flags);
	tcase_add_test(tc, test_pairs);
	tcase_add_test(tc, test_arg_expansion_in_from);
	tcase_add_test(tc, test_onbuild);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_crlf_bom_empty);
	tcase_add_test(tc, test_split_operators);
	tcase_add_test(tc, test_has_flag);
	tcase_add_test(tc, test_split_quotes_assignments);
	tcase_add_test(tc, test_split_plain_words_in_place);
	tcase_add_test(tc, test_split_compound);
	tcase_add_test(tc, test_split_nested_ends);
	tcase_add_test(tc, test_expand_unquote);
	tcase_add_test(tc, test_scratch_reuse);
	tcase_add_test(tc, test_scratch_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dockerfile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
