/*
 * dockerfile: a Dockerfile parser that follows BuildKit's reading of the
 * format (parser directives, the escape character, line continuations with
 * comments inside them, heredocs, exec form vs shell form, instruction
 * flags, ONBUILD, ARG expansion in FROM) and keeps the line and column of
 * every instruction; plus a shell splitter that cuts a RUN script into
 * simple commands so that rules can reason about apt-get, pip, curl, ...
 *
 *	struct ps_error err;
 *	struct ps_dockerfile *df = ps_df_parse("Dockerfile", text, len, &err);
 *	for (size_t i = 0; i < df->ninsts; i++) ... df->insts[i].kind ...
 *	ps_df_free(df);
 *
 * Everything a parsed file holds lives in one arena freed by ps_df_free.
 */
#ifndef PS_DOCKERFILE_H
#define PS_DOCKERFILE_H

#include <stddef.h>

#include "util.h"

enum ps_df_kind {
	PS_DF_UNKNOWN = 0,
	PS_DF_FROM,
	PS_DF_RUN,
	PS_DF_CMD,
	PS_DF_LABEL,
	PS_DF_MAINTAINER,
	PS_DF_EXPOSE,
	PS_DF_ENV,
	PS_DF_ADD,
	PS_DF_COPY,
	PS_DF_ENTRYPOINT,
	PS_DF_VOLUME,
	PS_DF_USER,
	PS_DF_WORKDIR,
	PS_DF_ARG,
	PS_DF_ONBUILD,
	PS_DF_STOPSIGNAL,
	PS_DF_HEALTHCHECK,
	PS_DF_SHELL,
};

/* "FROM", "RUN", ... (upper case) for a kind; "?" for PS_DF_UNKNOWN. */
const char *ps_df_kind_name(enum ps_df_kind k);
/* The kind of a keyword in any case; PS_DF_UNKNOWN when none. */
enum ps_df_kind ps_df_kind_parse(const char *word, size_t n);

/* --name=value, or --name alone (value NULL). */
struct ps_df_flag {
	const char *name;
	const char *value;
};

/* KEY=VALUE of ENV, ARG and LABEL (value NULL for an ARG without default).
 * Quotes are removed from keys and values; raw_value keeps them. */
struct ps_df_pair {
	const char *key;
	const char *value;
	const char *raw_value;
};

struct ps_df_heredoc {
	const char *delim;	/* EOF */
	const char *body;	/* the lines between, tabs stripped for <<- */
	int line;		/* first line of the body */
	int quoted;		/* <<"EOF": no expansion in the body */
	int strip_tabs;		/* <<-EOF */
};

struct ps_df_inst {
	enum ps_df_kind kind;
	const char *keyword;	/* as written: "from", "RUN" */
	int line;		/* 1-based line of the keyword */
	int col;		/* 1-based column of the keyword */
	int end_line;		/* last line (continuations, heredocs) */
	const char *raw;	/* the source text, lines start..end */
	/* The arguments after the keyword and the flags: continuations
	 * joined, comment lines inside them dropped. */
	const char *args;
	struct ps_df_flag *flags;
	size_t nflags;
	int exec_form;		/* the args are a valid JSON array of strings */
	/* Exec form: the JSON strings. Shell form: the whitespace-separated
	 * words of args (quotes kept), for COPY, EXPOSE, VOLUME, ...; none
	 * (argc 0) for RUN, CMD and ENTRYPOINT, whose script ps_sh_split
	 * splits as the shell would. */
	const char **argv;
	size_t argc;
	/* RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD: the shell text (exec form:
	 * the words joined by spaces; RUN <<EOF: the heredoc's body). */
	const char *script;
	struct ps_df_pair *pairs;	/* ENV, ARG, LABEL */
	size_t npairs;
	struct ps_df_heredoc *heredocs;
	size_t nheredocs;
	struct ps_df_inst *inner;	/* ONBUILD: the triggered instruction */
	int stage;		/* index into stages; -1 before the first FROM */
};

struct ps_df_stage {
	size_t inst;		/* index of its FROM in insts */
	const char *image;	/* as written: "python:${PY}-slim" */
	const char *image_expanded; /* with global ARG defaults substituted */
	const char *name;	/* AS name (lower-cased) or NULL */
	const char *platform;	/* --platform value or NULL */
	int line;
};

struct ps_df_comment {
	int line;
	int col;
	const char *text;	/* after '#', leading blanks skipped */
	int in_continuation;	/* inside a continued instruction */
};

struct ps_df_error {
	int line;
	int col;
	const char *msg;
};

struct ps_dockerfile {
	const char *name;
	struct ps_df_inst *insts;
	size_t ninsts;
	struct ps_df_stage *stages;
	size_t nstages;
	struct ps_df_comment *comments;
	size_t ncomments;
	/* Syntax errors (unknown instruction, FROM without image,
	 * unterminated heredoc): the rest of the file is still parsed. */
	struct ps_df_error *errors;
	size_t nerrors;
	char escape;		/* '\\' or '`' */
	const char *syntax;	/* # syntax= directive or NULL */
	int nlines;
	void *arena;		/* private */
	size_t insts_cap;	/* private */
};

/*
 * Parse text (need not be NUL-terminated). Never fails on content: syntax
 * problems are listed in errors. Returns NULL (err set) only when len is
 * absurd. name is used in messages.
 */
struct ps_dockerfile *ps_df_parse(const char *name, const char *text,
				  size_t len, struct ps_error *err);
void ps_df_free(struct ps_dockerfile *df);
/* n zeroed objects of size bytes from df's arena: they live, and go, with
 * df (per-file state of a linter, without a malloc and a free each). */
void *ps_df_calloc(struct ps_dockerfile *df, size_t n, size_t size);
/*
 * Parsing and splitting keep some memory per thread for the next call
 * (arena blocks, vectors). A thread that parsed calls this before it ends
 * to free it (the process's main thread may leave it to exit).
 */
void ps_df_scratch_release(void);

/* The flag of an instruction by name ("from", "chown"), or NULL. */
const struct ps_df_flag *ps_df_flag(const struct ps_df_inst *in,
				    const char *name);

/*
 * Expand $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word} in s with
 * the pairs vars (later pairs win); unknown variables expand to "".
 * Returns a string from the file's arena.
 */
const char *ps_df_expand(struct ps_dockerfile *df, const char *s,
			 const struct ps_df_pair *vars, size_t nvars);

/* A copy of s without one pair of surrounding quotes, backslashes kept
 * ("C:\dir" -> C:\dir), as hadolint reads paths. */
const char *ps_df_strip_quotes(struct ps_dockerfile *df, const char *s);
/* A copy of s from the arena, quotes removed ("a"b'c' -> abc). */
const char *ps_df_unquote(struct ps_dockerfile *df, const char *s);

/* ---- shell splitting ---- */

enum ps_sh_sep {
	PS_SH_END = 0,		/* end of script */
	PS_SH_AND,		/* && */
	PS_SH_OR,		/* || */
	PS_SH_SEQ,		/* ; newline & */
	PS_SH_PIPE,		/* | */
};

struct ps_sh_word {
	const char *text;	/* with quotes and escapes removed */
	const char *raw;	/* as written */
	int quoted;		/* had quotes */
	int dynamic;		/* contains $ expansion or `...` */
};

/* A simple command: leading VAR=value assignments, then argv. */
struct ps_sh_cmd {
	struct ps_sh_word *assigns;
	size_t nassigns;
	struct ps_sh_word *argv;
	size_t argc;
	const char *name;	/* argv[0] past its last '/': ps_sh_cmd_name */
	enum ps_sh_sep sep;	/* what follows the command */
	int piped_in;		/* preceded by | */
	int nested;		/* found inside $(...), `...`, or (...) */
	int line;		/* offset in lines from the script's start (0-based) */
	int tag;		/* the caller's to set: 0 from ps_sh_split */
};

struct ps_sh_script {
	struct ps_sh_cmd *cmds;
	size_t ncmds;
	int has_pipe;		/* any | between commands */
};

/* Split script into simple commands; words and commands live in df's
 * arena (df may be any parsed file, usually the one the script is from). */
void ps_sh_split(struct ps_dockerfile *df, const char *script,
		 struct ps_sh_script *out);

/* argv[0] without a leading path ("/usr/bin/apt-get" -> "apt-get"). */
static inline const char *
ps_sh_cmd_name(const struct ps_sh_cmd *c)
{
	return c->name ? c->name : "";
}
/* Whether the command is name and has any of the words (NULL-terminated)
 * as an argument. */
int ps_sh_has_arg(const struct ps_sh_cmd *c, const char *const *words);
/* Whether the command has a flag: "y" matches -y, -qy, --y; "yes" matches
 * --yes and --yes=...; short flags are one letter. */
int ps_sh_has_flag(const struct ps_sh_cmd *c, const char *flag);

#endif
