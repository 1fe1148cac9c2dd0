/*
 * cli: the option table of a tool, plus the common options, drives
 * getopt_long, --help, --version and the bash/zsh/fish completion scripts.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

enum {
	OPT_HELP = 1000,
	OPT_VERSION,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_COLOR,
	OPT_NO_COLOR,
	OPT_FORMAT,
	OPT_FAIL_ON,
	OPT_BASELINE,
	OPT_CONFIG,
	OPT_COMPLETION,
	OPT_IGNORE,
	OPT_ENABLE,
	OPT_LIST_RULES,
};

/* The common options, in the order --help shows them; group 0 = always. */
static const struct {
	unsigned group;
	struct ps_opt opt;
	int hidden;
} common_opts[] = {
	{PS_CLI_CONFIG, {"config", 'c', PS_ARG_REQUIRED, "FILE",
	  "read this configuration file", OPT_CONFIG, PS_COMPLETE_FILE, NULL}, 0},
	{PS_CLI_FORMAT, {"format", 'f', PS_ARG_REQUIRED, "FMT",
	  "output format (auto: text on a terminal, json otherwise)",
	  OPT_FORMAT, PS_COMPLETE_WORDS, NULL}, 0},
	{PS_CLI_FAIL_ON, {"fail-on", 0, PS_ARG_REQUIRED, "SEV",
	  "exit 1 on findings at or above SEV (error, warning, info, style, never)",
	  OPT_FAIL_ON, PS_COMPLETE_WORDS, "error warning info style never"}, 0},
	{PS_CLI_BASELINE, {"baseline", 0, PS_ARG_REQUIRED, "FILE",
	  "hide findings already present in this earlier JSON report",
	  OPT_BASELINE, PS_COMPLETE_FILE, NULL}, 0},
	{PS_CLI_RULES, {"ignore", 0, PS_ARG_REQUIRED, "RULES",
	  "skip these rules (codes or names, comma-separated)", OPT_IGNORE,
	  PS_COMPLETE_NONE, NULL}, 0},
	{PS_CLI_RULES, {"enable", 0, PS_ARG_REQUIRED, "RULES",
	  "also run these rules that are off by default (all: every rule)",
	  OPT_ENABLE, PS_COMPLETE_NONE, NULL}, 0},
	{PS_CLI_RULES, {"list-rules", 0, PS_ARG_NONE, NULL,
	  "list the rules and exit", OPT_LIST_RULES, PS_COMPLETE_NONE, NULL}, 0},
	{0, {"quiet", 'q', PS_ARG_NONE, NULL,
	  "print errors only", OPT_QUIET, PS_COMPLETE_NONE, NULL}, 0},
	{0, {"verbose", 'v', PS_ARG_NONE, NULL,
	  "say more (twice: debug)", OPT_VERBOSE, PS_COMPLETE_NONE, NULL}, 0},
	{0, {"color", 0, PS_ARG_OPTIONAL, "WHEN",
	  "colour the output: auto, always, never", OPT_COLOR,
	  PS_COMPLETE_WORDS, "auto always never"}, 0},
	{0, {"no-color", 0, PS_ARG_NONE, NULL,
	  "same as --color=never", OPT_NO_COLOR, PS_COMPLETE_NONE, NULL}, 0},
	{0, {"help", 'h', PS_ARG_NONE, NULL,
	  "show this help and exit", OPT_HELP, PS_COMPLETE_NONE, NULL}, 0},
	{0, {"version", 0, PS_ARG_NONE, NULL,
	  "show the version and exit", OPT_VERSION, PS_COMPLETE_NONE, NULL}, 0},
	{0, {"completion", 0, PS_ARG_REQUIRED, "SHELL",
	  "print the completion script for bash, zsh or fish", OPT_COMPLETION,
	  PS_COMPLETE_WORDS, "bash zsh fish"}, 1},
};

/* Every option of a tool, common ones included, in help order. */
struct optlist {
	const struct ps_opt *v[128];
	int hidden[128];
	size_t n;
};

static int
short_taken(const struct ps_cli *cli, int c)
{
	const struct ps_opt *o;

	for (o = cli->opts; o && o->name; o++)
		if (o->short_name == c)
			return 1;
	return 0;
}

/* The words --format accepts, as one space-separated string. */
static const char *
format_words(const struct ps_cli *cli, char *buf, size_t n)
{
	size_t i, len = 0;

	if (cli->formats) {
		snprintf(buf, n, "auto %s", cli->formats);
		return buf;
	}
	len = (size_t)snprintf(buf, n, "auto");
	for (i = 0; ps_finding_formats[i] && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, " %s",
					ps_finding_formats[i]);
	return buf;
}

static void
collect(const struct ps_cli *cli, struct optlist *l, struct ps_opt *copies)
{
	const struct ps_opt *o;
	size_t i, k = 0;

	l->n = 0;
	/* The tool's own options first, then the common ones. */
	for (o = cli->opts; o && o->name && l->n < 100; o++) {
		l->hidden[l->n] = 0;
		l->v[l->n++] = o;
	}
	for (i = 0; i < PS_ARRAY_LEN(common_opts); i++) {
		const struct ps_opt *c = &common_opts[i].opt;

		if (common_opts[i].group && !(cli->common & common_opts[i].group))
			continue;
		copies[k] = *c;
		if (c->short_name && short_taken(cli, c->short_name))
			copies[k].short_name = 0;
		l->hidden[l->n] = common_opts[i].hidden;
		l->v[l->n++] = &copies[k++];
	}
}

void
ps_cli_init(const struct ps_cli *cli, const char *argv0)
{
	ps_log_init(cli && cli->prog ? cli->prog : argv0);
	signal(SIGPIPE, SIG_IGN);
}

void
ps_cli_version(const struct ps_cli *cli, FILE *out)
{
	fprintf(out, "%s (ps-toolkit) %s\n", cli->prog, PS_VERSION);
}

void
ps_cli_help(const struct ps_cli *cli, FILE *out)
{
	struct ps_opt copies[PS_ARRAY_LEN(common_opts)];
	struct optlist l;
	char words[256];
	size_t i;

	collect(cli, &l, copies);
	fprintf(out, "Usage: %s %s\n", cli->prog, cli->usage ? cli->usage : "");
	if (cli->summary)
		fprintf(out, "\n%s\n", cli->summary);
	fprintf(out, "\nOptions:\n");
	for (i = 0; i < l.n; i++) {
		const struct ps_opt *o = l.v[i];
		char left[96];
		int len;

		if (l.hidden[i])
			continue;
		if (o->short_name)
			len = snprintf(left, sizeof(left), "  -%c, --%s",
				       o->short_name, o->name);
		else
			len = snprintf(left, sizeof(left), "      --%s", o->name);
		if (o->arg == PS_ARG_REQUIRED)
			len += snprintf(left + len, sizeof(left) - (size_t)len,
					" %s", o->argname ? o->argname : "ARG");
		else if (o->arg == PS_ARG_OPTIONAL)
			len += snprintf(left + len, sizeof(left) - (size_t)len,
					"[=%s]", o->argname ? o->argname : "ARG");
		if (len < 28)
			fprintf(out, "%-28s%s\n", left, o->help ? o->help : "");
		else
			fprintf(out, "%s\n%-28s%s\n", left, "",
				o->help ? o->help : "");
		if (o->id == OPT_FORMAT)
			fprintf(out, "%-28s(%s)\n", "",
				format_words(cli, words, sizeof(words)));
	}
	if (cli->epilog)
		fprintf(out, "\n%s\n", cli->epilog);
	fprintf(out, "\nExit status: 0 all good, 1 %s, 2 bad usage or input, "
		     "3 operational failure.\n",
		cli->common & PS_CLI_FAIL_ON ? "findings at or above --fail-on"
					     : "the thing checked is bad");
	fprintf(out, "See %s(1).\n", cli->prog);
}

int
ps_cli_usage_error(const struct ps_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", cli->prog);
	return PS_EXIT_USAGE;
}

static int
word_in(const char *word, const char *words)
{
	size_t n = strlen(word);
	const char *p = words;

	while (p && *p) {
		const char *e = strchr(p, ' ');
		size_t m = e ? (size_t)(e - p) : strlen(p);

		if (m == n && strncmp(p, word, n) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static int
handle_common(const struct ps_cli *cli, int id, const char *arg,
	      struct ps_cli_common *c)
{
	char words[256];

	switch (id) {
	case OPT_HELP:
		ps_cli_help(cli, stdout);
		return 0;
	case OPT_VERSION:
		ps_cli_version(cli, stdout);
		return 0;
	case OPT_COMPLETION:
		if (ps_cli_completion(cli, arg, stdout) < 0)
			return ps_cli_usage_error(cli,
				"unknown shell '%s' (bash, zsh or fish)", arg);
		return 0;
	case OPT_QUIET:
		c->verbosity = -1;
		break;
	case OPT_VERBOSE:
		if (c->verbosity < 2)
			c->verbosity++;
		break;
	case OPT_COLOR:
		if (!arg || strcmp(arg, "always") == 0)
			c->color = PS_COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			c->color = PS_COLOR_NEVER;
		else if (strcmp(arg, "auto") == 0)
			c->color = PS_COLOR_AUTO;
		else
			return ps_cli_usage_error(cli,
				"--color takes auto, always or never, not '%s'", arg);
		break;
	case OPT_NO_COLOR:
		c->color = PS_COLOR_NEVER;
		break;
	case OPT_FORMAT:
		format_words(cli, words, sizeof(words));
		if (!word_in(arg, words) || ps_format_parse(arg, &c->format) < 0)
			return ps_cli_usage_error(cli,
				"unknown format '%s' (%s)", arg, words);
		break;
	case OPT_FAIL_ON:
		if (ps_severity_parse(arg, &c->fail_on) < 0)
			return ps_cli_usage_error(cli,
				"--fail-on takes error, warning, info, style or never, not '%s'",
				arg);
		break;
	case OPT_BASELINE:
		c->baseline = arg;
		break;
	case OPT_CONFIG:
		c->config = arg;
		c->config_given = 1;
		break;
	case OPT_IGNORE:
	case OPT_ENABLE: {
		char **list = id == OPT_IGNORE ? &c->ignore : &c->enable;
		char *joined = *list ? ps_xasprintf("%s,%s", *list, arg) :
				       ps_xstrdup(arg);

		free(*list);
		*list = joined;
		break;
	}
	case OPT_LIST_RULES:
		c->list_rules = 1;
		break;
	}
	return -1;
}

void
ps_cli_common_free(struct ps_cli_common *c)
{
	free(c->ignore);
	free(c->enable);
	c->ignore = c->enable = NULL;
}

int
ps_cli_parse(const struct ps_cli *cli, int argc, char **argv,
	     int (*on_opt)(int id, const char *arg, void *ctx), void *ctx,
	     struct ps_cli_common *common, int *first_operand)
{
	struct ps_opt copies[PS_ARRAY_LEN(common_opts)];
	struct option longopts[130];
	char shortopts[300];
	struct optlist l;
	size_t i, ns = 0;
	int c, status = -1;

	memset(common, 0, sizeof(*common));
	common->format = PS_FMT_AUTO;
	common->fail_on = PS_SEV_ERROR;
	common->config = cli->default_config;
	collect(cli, &l, copies);

	shortopts[ns++] = ':';	/* report a missing argument as ':' */
	for (i = 0; i < l.n; i++) {
		const struct ps_opt *o = l.v[i];

		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg == PS_ARG_NONE ? no_argument :
				      o->arg == PS_ARG_REQUIRED ? required_argument :
				      optional_argument;
		longopts[i].flag = NULL;
		longopts[i].val = (int)(i + 256);
		if (o->short_name && ns < sizeof(shortopts) - 3) {
			shortopts[ns++] = (char)o->short_name;
			if (o->arg == PS_ARG_REQUIRED)
				shortopts[ns++] = ':';
		}
	}
	memset(&longopts[l.n], 0, sizeof(longopts[0]));
	shortopts[ns] = '\0';

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct ps_opt *o = NULL;
		size_t k;

		if (c == '?') {
			if (optopt && optopt < 256)
				return ps_cli_usage_error(cli,
					"unknown option '-%c'", optopt);
			return ps_cli_usage_error(cli, "unknown option '%s'",
						  argv[optind - 1]);
		}
		if (c == ':') {
			if (optopt && optopt < 256)
				return ps_cli_usage_error(cli,
					"option '-%c' needs an argument", optopt);
			return ps_cli_usage_error(cli,
				"option '%s' needs an argument", argv[optind - 1]);
		}
		if (c >= 256) {
			o = l.v[c - 256];
		} else {
			for (k = 0; k < l.n; k++)
				if (l.v[k]->short_name == c)
					o = l.v[k];
		}
		if (!o)
			return ps_cli_usage_error(cli, "unknown option");
		if (o->id >= 1000)
			status = handle_common(cli, o->id, optarg, common);
		else if (on_opt && (status = on_opt(o->id, optarg, ctx)) == 0)
			status = -1;	/* the tool's callback said: go on */
		if (status >= 0)
			return status;
	}
	ps_log_set_verbosity(common->verbosity);
	ps_log_set_color(common->color);
	*first_operand = optind;
	return -1;
}

/* ---- completions ---- */

static void
put_escaped(FILE *out, const char *s, const char *specials)
{
	for (; s && *s; s++) {
		if (strchr(specials, *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void
ident(const char *prog, char *buf, size_t n)
{
	size_t i;

	snprintf(buf, n, "_%s", prog);
	for (i = 0; buf[i]; i++)
		if (buf[i] == '-')
			buf[i] = '_';
}

static const char *
opt_words(const struct ps_cli *cli, const struct ps_opt *o, char *buf,
	  size_t n)
{
	if (o->id == OPT_FORMAT)
		return format_words(cli, buf, n);
	return o->words ? o->words : "";
}

static void
complete_bash(const struct ps_cli *cli, const struct optlist *l, FILE *out)
{
	char fn[128], words[256];
	size_t i;

	ident(cli->prog, fn, sizeof(fn));
	fprintf(out, "# bash completion for %s (generated by %s --completion=bash)\n",
		cli->prog, cli->prog);
	fprintf(out, "%s()\n{\n", fn);
	fprintf(out, "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n");
	fprintf(out, "\tcase $prev in\n");
	for (i = 0; i < l->n; i++) {
		const struct ps_opt *o = l->v[i];

		if (o->arg != PS_ARG_REQUIRED)
			continue;
		fprintf(out, "\t");
		if (o->short_name)
			fprintf(out, "-%c|", o->short_name);
		fprintf(out, "--%s)\n", o->name);
		switch (o->complete) {
		case PS_COMPLETE_FILE:
			fprintf(out, "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n");
			break;
		case PS_COMPLETE_DIR:
			fprintf(out, "\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n");
			break;
		case PS_COMPLETE_WORDS:
			fprintf(out, "\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n",
				opt_words(cli, o, words, sizeof(words)));
			break;
		case PS_COMPLETE_NONE:
			fprintf(out, "\t\tCOMPREPLY=()\n");
			break;
		}
		fprintf(out, "\t\treturn ;;\n");
	}
	fprintf(out, "\tesac\n");
	fprintf(out, "\tif [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W '");
	for (i = 0; i < l->n; i++) {
		if (l->hidden[i])
			continue;
		fprintf(out, "%s--%s", i ? " " : "", l->v[i]->name);
	}
	fprintf(out, "' -- \"$cur\"))\n\t\treturn\n\tfi\n");
	switch (cli->operands) {
	case PS_COMPLETE_WORDS:
		fprintf(out, "\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n",
			cli->operand_words ? cli->operand_words : "");
		break;
	case PS_COMPLETE_DIR:
		fprintf(out, "\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n");
		break;
	case PS_COMPLETE_NONE:
		fprintf(out, "\tCOMPREPLY=()\n");
		break;
	case PS_COMPLETE_FILE:
		fprintf(out, "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n");
		break;
	}
	fprintf(out, "}\ncomplete -o filenames -o bashdefault -F %s %s\n", fn,
		cli->prog);
}

static void
complete_zsh(const struct ps_cli *cli, const struct optlist *l, FILE *out)
{
	char words[256];
	size_t i;

	fprintf(out, "#compdef %s\n", cli->prog);
	fprintf(out, "# zsh completion for %s (generated by %s --completion=zsh)\n",
		cli->prog, cli->prog);
	fprintf(out, "_arguments -s -S \\\n");
	for (i = 0; i < l->n; i++) {
		const struct ps_opt *o = l->v[i];
		const char *rep = o->id == OPT_VERBOSE ? "*" : "";

		if (l->hidden[i])
			continue;
		fprintf(out, "  ");
		if (o->short_name && *rep)	/* repeatable: no exclusion list */
			fprintf(out, "'*'{-%c,--%s}'", o->short_name, o->name);
		else if (o->short_name)
			fprintf(out, "'(-%c --%s)'{-%c%s,--%s%s}'", o->short_name,
				o->name, o->short_name,
				o->arg == PS_ARG_REQUIRED ? "+" : "", o->name,
				o->arg == PS_ARG_REQUIRED ? "=" :
				o->arg == PS_ARG_OPTIONAL ? "=-" : "");
		else
			fprintf(out, "'%s--%s%s", rep, o->name,
				o->arg == PS_ARG_REQUIRED ? "=" :
				o->arg == PS_ARG_OPTIONAL ? "=-" : "");
		fputc('[', out);
		put_escaped(out, o->help, "[]:");
		fputc(']', out);
		if (o->arg != PS_ARG_NONE) {
			fprintf(out, ":%s:", o->argname ? o->argname : "arg");
			switch (o->complete) {
			case PS_COMPLETE_FILE:
				fprintf(out, "_files");
				break;
			case PS_COMPLETE_DIR:
				fprintf(out, "_files -/");
				break;
			case PS_COMPLETE_WORDS:
				fprintf(out, "(%s)", opt_words(cli, o, words, sizeof(words)));
				break;
			case PS_COMPLETE_NONE:
				fprintf(out, " ");
				break;
			}
		}
		fprintf(out, "' \\\n");
	}
	switch (cli->operands) {
	case PS_COMPLETE_WORDS:
		fprintf(out, "  '*:operand:(%s)'\n",
			cli->operand_words ? cli->operand_words : "");
		break;
	case PS_COMPLETE_DIR:
		fprintf(out, "  '*:directory:_files -/'\n");
		break;
	case PS_COMPLETE_NONE:
		fprintf(out, "  '*:argument: '\n");
		break;
	case PS_COMPLETE_FILE:
		fprintf(out, "  '*:file:_files'\n");
		break;
	}
}

static void
complete_fish(const struct ps_cli *cli, const struct optlist *l, FILE *out)
{
	char words[256];
	size_t i;

	fprintf(out, "# fish completion for %s (generated by %s --completion=fish)\n",
		cli->prog, cli->prog);
	if (cli->operands == PS_COMPLETE_NONE)
		fprintf(out, "complete -c %s -f\n", cli->prog);
	else if (cli->operands == PS_COMPLETE_WORDS)
		fprintf(out, "complete -c %s -f -a '%s'\n", cli->prog,
			cli->operand_words ? cli->operand_words : "");
	for (i = 0; i < l->n; i++) {
		const struct ps_opt *o = l->v[i];

		if (l->hidden[i])
			continue;
		fprintf(out, "complete -c %s", cli->prog);
		if (o->short_name)
			fprintf(out, " -s %c", o->short_name);
		fprintf(out, " -l %s", o->name);
		if (o->arg != PS_ARG_NONE) {
			switch (o->complete) {
			case PS_COMPLETE_FILE:
				fprintf(out, " -r -F");
				break;
			case PS_COMPLETE_DIR:
				fprintf(out, " -r -a '(__fish_complete_directories)'");
				break;
			case PS_COMPLETE_WORDS:
				fprintf(out, " -x -a '%s'",
					opt_words(cli, o, words, sizeof(words)));
				break;
			case PS_COMPLETE_NONE:
				fprintf(out, " -x");
				break;
			}
		}
		fprintf(out, " -d '");
		put_escaped(out, o->help, "'\\");
		fprintf(out, "'\n");
	}
}

int
ps_cli_completion(const struct ps_cli *cli, const char *shell, FILE *out)
{
	struct ps_opt copies[PS_ARRAY_LEN(common_opts)];
	struct optlist l;

	collect(cli, &l, copies);
	if (strcmp(shell, "bash") == 0)
		complete_bash(cli, &l, out);
	else if (strcmp(shell, "zsh") == 0)
		complete_zsh(cli, &l, out);
	else if (strcmp(shell, "fish") == 0)
		complete_fish(cli, &l, out);
	else
		return -1;
	return 0;
}

int
ps_cli_finish(int status)
{
	int bad = ferror(stdout);

	if (fflush(stdout) != 0)
		bad = 1;
	if (bad || fclose(stdout) != 0) {
		if (errno == EPIPE)
			return status;
		ps_log_error("cannot write to standard output: %s",
			     strerror(errno));
		return PS_EXIT_OPER;
	}
	return status;
}
