/*
 * The rules hadolint users know (DL3000-DL3067, DL4000-DL4006), each
 * reported under its own PSD code with the DL code in refs.
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

static int
is(const struct ps_sh_cmd *c, const char *name)
{
	return c->argc > 0 && lint_strcmp(ps_sh_cmd_name(c), name) == 0;
}

static int
has_word(const struct ps_sh_cmd *c, const char *w)
{
	for (size_t i = 1; i < c->argc; i++)
		if (lint_strcmp(c->argv[i].text, w) == 0)
			return 1;
	return 0;
}

static int
flag(const struct ps_sh_cmd *c, const char *f)
{
	return ps_sh_has_flag(c, f);
}

/* The subcommand: first non-flag argument (skipping flags with values
 * given in takes_arg). Returns its index or 0. */
static size_t
subcmd(const struct ps_sh_cmd *c, const char *const *takes_arg)
{
	for (size_t i = 1; i < c->argc; i++) {
		const char *a = c->argv[i].text;

		if (a[0] == '-') {
			if (takes_arg && !strchr(a, '='))
				for (const char *const *t = takes_arg; *t; t++)
					if (lint_strcmp(a, *t) == 0) {
						i++;
						break;
					}
			continue;
		}
		return i;
	}
	return 0;
}

/*
 * The operands after index from that are not flags, skipping the values of
 * flags listed in takes_arg. Fills out (max) and returns the count.
 */
static size_t
operands(const struct ps_sh_cmd *c, size_t from, const char *const *takes_arg,
	 const struct ps_sh_word **out, size_t max)
{
	size_t n = 0;

	for (size_t i = from; i < c->argc; i++) {
		const char *a = c->argv[i].text;

		if (a[0] == '-' && a[1] == '-' && !a[2])
			break;
		/* (options share their first bytes: the third compared too) */
		if (a[0] == '-' && a[1]) {
			if (takes_arg && !strchr(a, '='))
				for (const char *const *t = takes_arg; *t; t++)
					if (a[1] == (*t)[1] && a[2] == (*t)[2] &&
					    strcmp(a, *t) == 0) {
						i++;
						break;
					}
			continue;
		}
		if (n < max)
			out[n++] = &c->argv[i];
	}
	return n;
}

/* ENV / ARG defined for instruction i: in its stage before it, or in the
 * stages it inherits from (FROM <stage>). Returns the value or NULL. */
static int
stage_parent(const struct ps_dockerfile *df, int s)
{
	const char *img;

	if (s < 0)
		return -1;
	img = df->stages[s].image_expanded;
	for (int k = s - 1; k >= 0; k--)
		if (df->stages[k].name && lint_streq_ci(df->stages[k].name, img))
			return k;
	return -1;
}

static const char *
var_value(const struct ps_dockerfile *df, size_t i, const char *name)
{
	int s = i < df->ninsts ? df->insts[i].stage : -1;
	size_t end = i;

	while (1) {
		for (size_t k = end; k-- > 0;) {
			const struct ps_df_inst *in = &df->insts[k];

			if (in->stage != s)
				break;
			if (in->kind != PS_DF_ENV && in->kind != PS_DF_ARG)
				continue;
			for (size_t p = in->npairs; p-- > 0;)
				if (lint_strcmp(in->pairs[p].key, name) == 0)
					return in->pairs[p].value ? in->pairs[p].value : "";
		}
		s = stage_parent(df, s);
		if (s < 0)
			return NULL;
		/* the whole parent stage */
		end = df->stages[s].inst + 1;
		while (end < df->ninsts && df->insts[end].stage == s)
			end++;
	}
}

/* Whether an ARG anywhere before instruction i declares name (hadolint
 * tracks ARGs across stages). */
static int
arg_declared(const struct ps_dockerfile *df, size_t i, const char *name)
{
	for (size_t k = 0; k < i && k < df->ninsts; k++) {
		const struct ps_df_inst *in = &df->insts[k];

		if (in->kind != PS_DF_ARG)
			continue;
		for (size_t p = 0; p < in->npairs; p++)
			if (lint_strcmp(in->pairs[p].key, name) == 0)
				return 1;
	}
	return 0;
}

/* Whether a word refers to a variable defined (ENV/ARG) for instruction i. */
static int
uses_defined_var(const struct ps_dockerfile *df, size_t i, const char *w)
{
	const char *d = strchr(w, '$');

	while (d) {
		const char *st = d + 1;
		size_t n = 0;
		char name[128];

		if (*st == '{')
			st++;
		while (isalnum((unsigned char)st[n]) || st[n] == '_')
			n++;
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, st, n);
			name[n] = '\0';
			if (var_value(df, i, name) || arg_declared(df, i, name))
				return 1;
		}
		d = strchr(d + 1, '$');
	}
	return 0;
}

/* --mount=type=cache|tmpfs,target=<dir> on a RUN covering dir. */
static int
cache_mount(const struct ps_df_inst *in, const char *dir)
{
	for (size_t i = 0; i < in->nflags; i++) {
		const char *v = in->flags[i].value;
		const char *t;

		if (lint_strcmp(in->flags[i].name, "mount") != 0 || !v)
			continue;
		if (!strstr(v, "type=cache") && !strstr(v, "type=tmpfs"))
			continue;
		t = strstr(v, "target=");
		if (!t)
			t = strstr(v, "dst=");
		if (!t)
			t = strstr(v, "destination=");
		if (!t)
			continue;
		t = strchr(t, '=') + 1;
		size_t n = strcspn(t, ",");

		while (n > 1 && t[n - 1] == '/')
			n--;
		if (n == strlen(dir) && strncmp(t, dir, n) == 0)
			return 1;
	}
	return 0;
}

static const struct ps_df_inst *
run_of(const struct ps_dockerfile *df, size_t i)
{
	const struct ps_df_inst *in = &df->insts[i];

	return in->inner ? in->inner : in;
}

/* The final stage index (-1 when none). */
static int
final_stage(const struct ps_dockerfile *df)
{
	return (int)df->nstages - 1;
}

/* Whether stage s ends up in the final image (it is the last one or a
 * chain of FROM <stage> leads from the last one to it). */
static int
stage_in_final(const struct ps_dockerfile *df, int s)
{
	int f = final_stage(df);

	if (s < 0)
		return 1;
	while (f >= 0) {
		if (f == s)
			return 1;
		f = stage_parent(df, f);
	}
	return 0;
}

/* ---- per-command rules ---- */

static const char *const pip_args[] = {
	"-r", "--requirement", "-c", "--constraint", "-e", "--editable",
	"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
	"-t", "--target", "--prefix", "--root", "--src", "--build",
	"--trusted-host", "--upgrade-strategy", "--progress-bar",
	"--python-version", "--platform", "--abi", "--implementation",
	"--only-binary", "--no-binary", "--root-user-action", "--python",
	"--cache-dir", "--log", "--proxy", "--retries", "--timeout",
	"--exists-action", "--cert", "--client-cert", "--global-option",
	"--install-option", "-C", "--config-settings", "--report", NULL
};

static int
is_pip(const struct ps_sh_cmd *c, size_t *inst_at)
{
	const char *n = ps_sh_cmd_name(c);
	size_t k;

	if (c->argc == 0)
		return 0;
	if (c->tag == LC_PIP || c->tag == LC_PIP2 ||
	    c->tag == LC_PIP3 || (starts(n, "pip3.") && n[5]) ||
	    (starts(n, "pip2.") && n[5])) {
		k = subcmd(c, pip_args);
		if (k && lint_strcmp(c->argv[k].text, "install") == 0) {
			*inst_at = k;
			return 1;
		}
		return 0;
	}
	if (starts(n, "python")) {
		for (k = 1; k + 1 < c->argc; k++)
			if (lint_strcmp(c->argv[k].text, "-m") == 0 &&
			    lint_strcmp(c->argv[k + 1].text, "pip") == 0) {
				for (size_t j = k + 2; j < c->argc; j++)
					if (lint_strcmp(c->argv[j].text, "install") == 0) {
						*inst_at = j;
						return 1;
					}
				return 0;
			}
	}
	return 0;
}

static int
pip_pinned(const char *p)
{
	if (starts(p, "git+")) {
		/* git+https://host/repo.git@rev#egg=name: pinned by @rev */
		const char *h = strstr(p, "://");
		const char *frag = strchr(p, '#');
		const char *slash, *at = NULL;

		h = h ? h + 3 : p;
		slash = strchr(h, '/');
		for (const char *c = slash; c && *c && (!frag || c < frag); c++)
			if (*c == '@')
				at = c;
		return at != NULL;
	}
	if (strstr(p, "://"))
		return 1;
	if (strpbrk(p, "=<>~!") )
		return 1;
	if (strchr(p, '/') || starts(p, ".") || ends(p, ".whl") ||
	    ends(p, ".tar.gz") || ends(p, ".zip") || ends(p, ".tgz"))
		return 1;
	if (strchr(p, '$'))
		return 1;
	return 0;
}

static int
truthy(const char *v)
{
	return v && (lint_strcmp(v, "1") == 0 || lint_streq_ci(v, "on") ||
		     lint_streq_ci(v, "yes") || lint_streq_ci(v, "true"));
}

/* ---- the walk ---- */

struct run_state {
	int stage;
	int saw_wget, saw_curl;
	int prev_run;		/* index of previous RUN in this stage, -1 */
	int prev_single;
};

static void
check_run(struct lint_ctx *cx, size_t i, struct run_state *st)
{
	struct ps_dockerfile *df = cx->df;
	const struct ps_df_inst *in = &df->insts[i];
	const struct ps_df_inst *run = run_of(df, i);
	const struct ps_sh_script *sc = cx->scripts[i];
	int apt_update = 0, apt_install = 0, apt_clean = 0;
	int yum_inst = 0, yum_clean = 0, zyp_inst = 0, zyp_clean = 0;
	int dnf_inst = 0, dnf_clean = 0, yarn_inst = 0, yarn_clean = 0;
	const char *dnf_tool = NULL;	/* dnf clean must be the installer's */
	/* PIP_NO_CACHE_DIR set: -1 until a pip command asks (the ENV and
	 * ARG values are looked up then) or the script sets it */
	int pip_nocache_env = -1, uses_wget = 0, uses_curl = 0;
	const struct ps_sh_word *ops[256];

	if (!sc)
		return;
	for (size_t k = 0; k < sc->ncmds; k++) {
		const struct ps_sh_cmd *c = &sc->cmds[k];
		const char *n = ps_sh_cmd_name(c);
		size_t no, sub;

		int cmd_nocache = pip_nocache_env;

		for (size_t a = 0; a < c->nassigns; a++)
			if (starts(c->assigns[a].text, "PIP_NO_CACHE_DIR=")) {
				cmd_nocache = truthy(c->assigns[a].text + 17);
				if (c->argc == 0)
					pip_nocache_env = cmd_nocache;
			}
		if (c->argc == 0)
			continue;
		if (c->tag == LC_EXPORT)
			for (size_t a = 1; a < c->argc; a++)
				if (starts(c->argv[a].text, "PIP_NO_CACHE_DIR="))
					pip_nocache_env = truthy(c->argv[a].text + 17);
		/* DL3001: free, kill, mount, ps, service, shutdown, ssh, top,
		 * vim */
		if (LC_POINTLESS(c->tag))
			lint_report(cx, "PSD001", in, 0,
				    "%s makes no sense in an image build", n);
		if (c->tag == LC_CD)
			lint_report(cx, "PSD003", in, 0,
				    "use WORKDIR to switch to a directory, not cd");
		if (c->tag == LC_SUDO)
			lint_report(cx, "PSD004", in, 0,
				    "do not use sudo: the build runs as root already or the USER lacks it");
		if (c->tag == LC_WGET)
			uses_wget = 1;
		if (c->tag == LC_CURL)
			uses_curl = 1;
		/* apt-get */
		if (c->tag == LC_APT_GET || c->tag == LC_APT ||
		    c->tag == LC_APTITUDE) {
			static const char *const aa[] = { "-t", "--target-release",
				"-o", "--option", "-c", "--config-file", NULL };
			sub = subcmd(c, aa);
			const char *sv = sub ? c->argv[sub].text : "";

			if (lint_strcmp(sv, "update") == 0)
				apt_update = 1;
			if (lint_strcmp(sv, "install") == 0)
				apt_install = 1;
			if (c->tag == LC_APT)
				lint_report(cx, "PSD027", in, 0,
					    "use apt-get or apt-cache, not apt, in scripts");
			if ((lint_strcmp(sv, "dist-upgrade") == 0 ||
			     lint_strcmp(sv, "upgrade") == 0) && c->tag == LC_APT_GET)
				lint_report(cx, "PSD005", in, 0,
					    "apt-get %s in an image build", sv);
			if (c->tag == LC_APT_GET && lint_strcmp(sv, "install") == 0) {
				int yes = flag(c, "y") || flag(c, "yes") ||
					  flag(c, "assume-yes");
				int q = 0;

				for (size_t a = 1; a < c->argc; a++) {
					const char *w = c->argv[a].text;

					if (lint_strcmp(w, "-q=2") == 0 || lint_strcmp(w, "--quiet=2") == 0)
						q += 2;
					else if (lint_strcmp(w, "--quiet") == 0)
						q++;
					else if (w[0] == '-' && w[1] != '-')
						for (const char *x = w + 1; *x; x++)
							q += *x == 'q';
				}
				if (!yes && q < 2)
					lint_report(cx, "PSD014", in, 0,
						    "apt-get install without -y: the build cannot answer prompts");
				int norec = flag(c, "no-install-recommends");

				/* (the upper-case A first: package names
				 * have none) */
				for (size_t a = 1; a < c->argc; a++)
					if (strchr(c->argv[a].text, 'A') &&
					    (strstr(c->argv[a].text,
						    "APT::Install-Recommends=false") ||
					     strstr(c->argv[a].text,
						    "APT::Install-Recommends=0")))
						norec = 1;
				if (!norec)
					lint_report(cx, "PSD015", in, 0,
						    "apt-get install without --no-install-recommends");
				no = operands(c, sub + 1, aa, ops, PS_ARRAY_LEN(ops));
				for (size_t p = 0; p < no; p++) {
					const char *w = ops[p]->text;

					if (strchr(w, '=') || ends(w, ".deb") ||
					    strchr(w, '/'))
						continue;
					if (strchr(w, '$') && uses_defined_var(df, i, w))
						continue;
					lint_report(cx, "PSD008", in, 0,
						    "pin the version of %s (apt-get install %s=<version>)",
						    w, w);
					break;
				}
			}
		}
		if (c->tag == LC_RM)
			for (size_t a = 1; a < c->argc; a++) {
				const char *w = c->argv[a].text;

				if (starts(w, "/var/lib/apt/lists"))
					apt_clean = 1;
				if (starts(w, "/var/cache/yum") ||
				    starts(w, "/var/cache/dnf") ||
				    starts(w, "/var/cache/libdnf5"))
					yum_clean = dnf_clean = 1;
				if (starts(w, "/var/cache/zypp"))
					zyp_clean = 1;
			}
		if (c->tag == LC_APT_GET || c->tag == LC_APT) {
			sub = subcmd(c, NULL);
			if (sub && (lint_strcmp(c->argv[sub].text, "clean") == 0 ||
				    lint_strcmp(c->argv[sub].text, "distclean") == 0) &&
			    0)
				apt_clean = 1;
		}
		/* apk */
		if (c->tag == LC_APK) {
			static const char *const ka[] = { "--virtual", "-t",
				"--repository", "-X", "--root", "-p", "--arch",
				"--keys-dir", "--repositories-file", "--cache-dir", NULL };
			sub = subcmd(c, ka);
			if (sub && lint_strcmp(c->argv[sub].text, "upgrade") == 0)
				lint_report(cx, "PSD017", in, 0, "apk upgrade in an image build");
			if (sub && lint_strcmp(c->argv[sub].text, "add") == 0) {
				if (!flag(c, "no-cache") &&
				    !cache_mount(run, "/var/cache/apk"))
					lint_report(cx, "PSD019", in, 0,
						    "apk add without --no-cache keeps the index in the layer");
				no = operands(c, sub + 1, ka, ops, PS_ARRAY_LEN(ops));
				for (size_t p = 0; p < no; p++) {
					const char *w = ops[p]->text;

					if (strpbrk(w, "=<>~") || ends(w, ".apk") ||
					    strchr(w, '$'))
						continue;
					lint_report(cx, "PSD018", in, 0,
						    "pin the version of %s (apk add %s=<version>)", w, w);
					break;
				}
			}
		}
		/* pip */
		size_t pi;

		if (is_pip(c, &pi)) {
			if (cmd_nocache < 0) {
				cmd_nocache = truthy(var_value(df, i, "PIP_NO_CACHE_DIR"));
				if (pip_nocache_env < 0)
					pip_nocache_env = cmd_nocache;
			}
			if (!flag(c, "no-cache-dir") && !cmd_nocache &&
			    !cache_mount(run, "/root/.cache/pip") &&
			    !cache_mount(run, "/root/.cache"))
				lint_report(cx, "PSD042", in, 0,
					    "pip install without --no-cache-dir keeps the wheel cache in the layer");
			int reqs = 0;

			for (size_t a = pi; a < c->argc; a++) {
				const char *w = c->argv[a].text;

				if (lint_strcmp(w, "-r") == 0 || starts(w, "--requirement") ||
				    lint_strcmp(w, "-c") == 0 || starts(w, "--constraint") ||
				    starts(w, "-r") || lint_strcmp(w, "-e") == 0 ||
				    starts(w, "--editable"))
					reqs = 1;
			}
			no = operands(c, pi + 1, pip_args, ops, PS_ARRAY_LEN(ops));
			for (size_t p = 0; p < no && !reqs; p++)
				if (!pip_pinned(ops[p]->text)) {
					lint_report(cx, "PSD013", in, 0,
						    "pin the version of %s (pip install %s==<version>)",
						    ops[p]->text, ops[p]->text);
					break;
				}
		}
		if (c->tag == LC_PIPX) {
			static const char *const xa[] = { "--python", "--pip-args",
				"--index-url", "--suffix", NULL };
			sub = subcmd(c, xa);
			if (sub && lint_strcmp(c->argv[sub].text, "install") == 0) {
				no = operands(c, sub + 1, xa, ops, PS_ARRAY_LEN(ops));
				for (size_t p = 0; p < no; p++)
					if (!pip_pinned(ops[p]->text)) {
						lint_report(cx, "PSD013", in, 0,
							    "pin the version of %s (pipx install %s==<version>)",
							    ops[p]->text, ops[p]->text);
						break;
					}
			}
		}
		/* npm */
		if (c->tag == LC_NPM) {
			static const char *const na[] = { "--registry", "--loglevel",
				"--prefix", "--cache", "--userconfig", "-C", NULL };
			sub = subcmd(c, na);
			const char *sv = sub ? c->argv[sub].text : "";

			if (lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "i") == 0 ||
			    lint_strcmp(sv, "add") == 0 || lint_strcmp(sv, "isntall") == 0) {
				no = operands(c, sub + 1, na, ops, PS_ARRAY_LEN(ops));
				for (size_t p = 0; p < no; p++) {
					const char *w = ops[p]->text;
					const char *at;

					if (ends(w, ".tar") || ends(w, ".tar.gz") ||
					    ends(w, ".tgz") || starts(w, "/") ||
					    starts(w, "./") || starts(w, "../") ||
					    starts(w, "~/") || strchr(w, '$'))
						continue;
					if (starts(w, "git") || strstr(w, "://")) {
						if (strchr(w, '#'))
							continue;
					} else {
						at = strchr(w[0] == '@' ? w + 1 : w, '@');
						if (at && at[1])
							continue;
					}
					lint_report(cx, "PSD016", in, 0,
						    "pin the version of %s (npm install %s@<version>)", w, w);
					break;
				}
			}
		}
		/* gem */
		if (c->tag == LC_GEM) {
			sub = subcmd(c, NULL);
			const char *sv = sub ? c->argv[sub].text : "";

			if ((lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "i") == 0) &&
			    !flag(c, "v") && !flag(c, "version")) {
				for (size_t a = sub + 1; a < c->argc; a++) {
					const char *w = c->argv[a].text;

					if (lint_strcmp(w, "--") == 0)
						break;
					if (w[0] == '-') {
						/* --flag value */
						if (!strchr(w, '=') && a + 1 < c->argc &&
						    c->argv[a + 1].text[0] != '-' &&
						    w[1] == '-' &&
						    !lint_streq_ci(w, "--no-document") &&
						    lint_strcmp(w, "--no-ri") != 0 &&
						    lint_strcmp(w, "--no-rdoc") != 0 &&
						    lint_strcmp(w, "--conservative") != 0 &&
						    lint_strcmp(w, "--user-install") != 0 &&
						    lint_strcmp(w, "--force") != 0) {
							const char *nx = c->argv[a + 1].text;

							if (lint_strcmp(nx, "true") == 0 ||
							    lint_strcmp(nx, "false") == 0 ||
							    strchr(nx, '/'))
								a++;
						}
						continue;
					}
					if (!strchr(w, ':') && !strchr(w, '$')) {
						lint_report(cx, "PSD028", in, 0,
							    "pin the version of %s (gem install %s:<version>)",
							    w, w);
						break;
					}
				}
			}
		}
		/* go */
		if (c->tag == LC_GO) {
			sub = subcmd(c, NULL);
			const char *sv = sub ? c->argv[sub].text : "";

			if (lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "get") == 0 ||
			    lint_strcmp(sv, "run") == 0) {
				static const char *const ga[] = { "-C", "-o", "-p",
					"-tags", "-ldflags", "-gcflags", "-mod",
					"-modfile", "-exec", "-overlay", "-pkgdir", NULL };
				for (size_t a = sub + 1; a < c->argc; a++) {
					const char *w = c->argv[a].text;
					int taken = 0;

					if (w[0] == '-') {
						for (const char *const *t = ga; *t; t++)
							if (lint_strcmp(w, *t) == 0)
								taken = 1;
						a += taken;
						continue;
					}
					const char *at = strchr(w, '@');

					if (starts(w, ".") || starts(w, "/") ||
					    strchr(w, '$') || ends(w, ".go")) {
						if (lint_strcmp(sv, "run") == 0)
							break;
						continue;
					}
					if (!at || lint_strcmp(at, "@latest") == 0 ||
					    !at[1]) {
						lint_report(cx, "PSD062", in, 0,
							    "pin the version of %s (%s@<version>)",
							    w, at ? "module" : w);
					}
					if (lint_strcmp(sv, "run") == 0)
						break;
					if (!at || lint_strcmp(at, "@latest") == 0)
						break;
				}
			}
		}
		/* yum */
		if (c->tag == LC_YUM) {
			sub = subcmd(c, NULL);
			const char *sv = sub ? c->argv[sub].text : "";
			size_t from = sub + 1;

			if (lint_strcmp(sv, "module") == 0 && sub + 1 < c->argc) {
				size_t s2 = sub + 1;

				while (s2 < c->argc && c->argv[s2].text[0] == '-')
					s2++;
				sv = s2 < c->argc ? c->argv[s2].text : "";
				from = s2 + 1;
				if (lint_strcmp(sv, "install") == 0) {
					no = operands(c, from, NULL, ops, PS_ARRAY_LEN(ops));
					for (size_t p = 0; p < no; p++)
						if (!strchr(ops[p]->text, ':')) {
							lint_report(cx, "PSD033", in, 0,
								    "pin the version of module %s (%s:<stream>)",
								    ops[p]->text, ops[p]->text);
							break;
						}
					yum_inst = 1;
					if (!flag(c, "y") && !flag(c, "assumeyes"))
						lint_report(cx, "PSD030", in, 0, "yum install without -y");
				}
			} else if (lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "groupinstall") == 0 ||
				   lint_strcmp(sv, "localinstall") == 0 || lint_strcmp(sv, "update") == 0 ||
				   lint_strcmp(sv, "upgrade") == 0 || lint_strcmp(sv, "reinstall") == 0) {
				yum_inst = 1;
				yum_clean = 0;
				if (!flag(c, "y") && !flag(c, "assumeyes"))
					lint_report(cx, "PSD030", in, 0, "yum %s without -y", sv);
				if (lint_strcmp(sv, "update") == 0)
					lint_report(cx, "PSD031", in, 0, "yum update in an image build");
				if (lint_strcmp(sv, "install") == 0) {
					no = operands(c, from, NULL, ops, PS_ARRAY_LEN(ops));
					for (size_t p = 0; p < no; p++) {
						const char *w = ops[p]->text;
						const char *d = strrchr(w, '-');

						if (ends(w, ".rpm") || strchr(w, '/'))
							continue;
						if (strchr(w, '$') && uses_defined_var(df, i, w))
							continue;
						if (d && isdigit((unsigned char)d[1]))
							continue;
						lint_report(cx, "PSD033", in, 0,
							    "pin the version of %s (yum install %s-<version>)", w, w);
						break;
					}
				}
			} else if (lint_strcmp(sv, "clean") == 0 && has_word(c, "all")) {
				yum_clean = 1;
			}
		}
		/* dnf, microdnf */
		if (c->tag == LC_DNF || c->tag == LC_MICRODNF ||
		    c->tag == LC_DNF5) {
			static const char *const da[] = { "--setopt", "--repo",
				"--enablerepo", "--disablerepo", "--releasever",
				"--installroot", "-c", "--config", NULL };
			sub = subcmd(c, da);
			const char *sv = sub ? c->argv[sub].text : "";
			int module = 0, group = 0;

			if ((lint_strcmp(sv, "module") == 0 || lint_strcmp(sv, "group") == 0 ||
			     lint_strcmp(sv, "groups") == 0) && sub) {
				size_t s2 = sub + 1;

				module = lint_strcmp(sv, "module") == 0;
				group = !module;
				while (s2 < c->argc && c->argv[s2].text[0] == '-')
					s2++;
				sub = s2 < c->argc ? s2 : 0;
				sv = sub ? c->argv[sub].text : "";
			}
			static const char *const inst_words[] = { "install", "in",
				"upgrade", "up", "upgrade-minimal", "up-min",
				"reinstall", "rei", "groupinstall", "localinstall",
				"update", NULL };
			int is_inst = 0;

			for (const char *const *w = inst_words; *w; w++)
				if (lint_strcmp(sv, *w) == 0)
					is_inst = 1;
			if (is_inst) {
				dnf_inst = 1;
				dnf_clean = 0;
				dnf_tool = n;
				if ((lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "in") == 0) &&
				    !flag(c, "y") && !flag(c, "assumeyes"))
					lint_report(cx, "PSD038", in, 0, "%s install without -y", n);
				if (lint_strcmp(sv, "update") == 0 || lint_strcmp(sv, "upgrade") == 0)
					lint_report(cx, "PSD039", in, 0, "%s %s in an image build", n, sv);
				if ((lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "in") == 0) && !group) {
					no = operands(c, sub + 1, da, ops, PS_ARRAY_LEN(ops));
					for (size_t p = 0; p < no; p++) {
						const char *w = ops[p]->text;
						const char *d = strrchr(w, '-');

						if (module) {
							if (strchr(w, ':'))
								continue;
						} else {
							if (ends(w, ".rpm") || strchr(w, '/') ||
							    strchr(w, '@'))
								continue;
							if (strchr(w, '$') && uses_defined_var(df, i, w))
								continue;
							if (d && isdigit((unsigned char)d[1]))
								continue;
						}
						lint_report(cx, "PSD041", in, 0,
							    "pin the version of %s (%s install %s-<version>)",
							    w, n, w);
						break;
					}
				}
			} else if (lint_strcmp(sv, "clean") == 0 && has_word(c, "all") &&
				   (!dnf_tool || lint_strcmp(dnf_tool, n) == 0)) {
				dnf_clean = 1;
			}
		}
		/* zypper */
		if (c->tag == LC_ZYPPER) {
			sub = subcmd(c, NULL);
			const char *sv = sub ? c->argv[sub].text : "";

			if (lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "in") == 0 ||
			    lint_strcmp(sv, "remove") == 0 || lint_strcmp(sv, "rm") == 0 ||
			    lint_strcmp(sv, "source-install") == 0 || lint_strcmp(sv, "si") == 0 ||
			    lint_strcmp(sv, "patch") == 0) {
				if (!flag(c, "n") && !flag(c, "non-interactive") &&
				    !flag(c, "y") && !flag(c, "no-confirm"))
					lint_report(cx, "PSD034", in, 0,
						    "zypper %s without -n / -y", sv);
			}
			if (lint_strcmp(sv, "install") == 0 || lint_strcmp(sv, "in") == 0) {
				zyp_inst = 1;
				zyp_clean = 0;
				no = operands(c, sub + 1, NULL, ops, PS_ARRAY_LEN(ops));
				for (size_t p = 0; p < no; p++) {
					const char *w = ops[p]->text;

					if (strpbrk(w, "=<>") || ends(w, ".rpm") ||
					    strchr(w, '$'))
						continue;
					lint_report(cx, "PSD037", in, 0,
						    "pin the version of %s (zypper install %s=<version>)", w, w);
					break;
				}
			}
			if (lint_strcmp(sv, "dist-upgrade") == 0 || lint_strcmp(sv, "dup") == 0)
				lint_report(cx, "PSD035", in, 0, "zypper %s in an image build", sv);
			if (lint_strcmp(sv, "clean") == 0 || lint_strcmp(sv, "cc") == 0)
				zyp_clean = 1;
		}
		/* yarn */
		if (c->tag == LC_YARN) {
			sub = subcmd(c, NULL);
			if (sub && lint_strcmp(c->argv[sub].text, "install") == 0) {
				yarn_inst = 1;
				yarn_clean = 0;
			}
			if (sub && lint_strcmp(c->argv[sub].text, "cache") == 0 &&
			    has_word(c, "clean"))
				yarn_clean = 1;
		}
		/* useradd */
		if (c->tag == LC_USERADD && !flag(c, "l") &&
		    !flag(c, "no-log-init")) {
			for (size_t a = 1; a + 1 < c->argc; a++)
				if (lint_strcmp(c->argv[a].text, "-u") == 0 ||
				    lint_strcmp(c->argv[a].text, "--uid") == 0) {
					const char *u = c->argv[a + 1].text;

					if (strlen(u) > 5 && strspn(u, "0123456789") == strlen(u))
						lint_report(cx, "PSD046", in, 0,
							    "useradd -u %s without -l bloats /var/log/lastlog", u);
				}
		}
		/* wget */
		if (c->tag == LC_WGET && !flag(c, "progress") &&
		    !flag(c, "q") && !flag(c, "quiet") && !has_word(c, "-nv") &&
		    !flag(c, "no-verbose") && !flag(c, "o") &&
		    !flag(c, "output-file") && !flag(c, "a") &&
		    !flag(c, "append-output"))
			lint_report(cx, "PSD047", in, 0,
				    "wget without --progress floods the build log");
		/* DL4005 */
		if (c->tag == LC_LN && c->argc > 1 &&
		    lint_strcmp(c->argv[c->argc - 1].text, "/bin/sh") == 0)
			lint_report(cx, "PSD405", in, 0,
				    "use SHELL to change the default shell, not a /bin/sh link");
	}
	/* DL3009: apt lists left, only for stages in the final image */
	if (apt_update && !apt_clean &&
	    (in->inner || stage_in_final(df, in->stage)) &&
	    !(cache_mount(run, "/var/lib/apt/lists") ||
	      (cache_mount(run, "/var/lib/apt") && cache_mount(run, "/var/cache/apt"))))
		lint_report(cx, "PSD009", in, 0,
			    "delete the apt lists after installing (rm -rf /var/lib/apt/lists/*)");
	(void)apt_install;
	if (yum_inst && !yum_clean && !cache_mount(run, "/var/cache/yum"))
		lint_report(cx, "PSD032", in, 0, "yum clean all missing after yum install");
	if (dnf_inst && !dnf_clean && !cache_mount(run, "/var/cache/libdnf5") &&
	    !cache_mount(run, "/var/cache/dnf") && !cache_mount(run, "/var/cache/yum"))
		lint_report(cx, "PSD040", in, 0, "dnf clean all missing after dnf install");
	if (zyp_inst && !zyp_clean && !cache_mount(run, "/var/cache/zypp"))
		lint_report(cx, "PSD036", in, 0, "zypper clean missing after zypper install");
	if (yarn_inst && !yarn_clean &&
	    (in->inner || stage_in_final(df, in->stage)) &&
	    !cache_mount(run, "/root/.cache/yarn") &&
	    !cache_mount(run, "/usr/local/share/.cache/yarn"))
		lint_report(cx, "PSD060", in, 0, "yarn cache clean missing after yarn install");
	/* DL4006 */
	if (sc->has_pipe && !cx->pipefail[i]) {
		int set_pf = 0;

		for (size_t k = 0; k < sc->ncmds && !set_pf; k++) {
			const struct ps_sh_cmd *c = &sc->cmds[k];

			if (is(c, "set"))
				for (size_t a = 1; a < c->argc; a++)
					if (lint_strcmp(c->argv[a].text, "pipefail") == 0)
						set_pf = 1;
			if (c->sep == PS_SH_PIPE)
				break;
		}
		if (!set_pf)
			lint_report(cx, "PSD406", in, 0,
				    "RUN with a pipe: set SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] so a failing command fails the build");
	}
	/* DL4001 */
	st->saw_wget |= uses_wget;
	st->saw_curl |= uses_curl;
	if ((uses_wget || uses_curl) && st->saw_wget && st->saw_curl)
		lint_report(cx, "PSD401", in, 0, "use either wget or curl, not both");
	/* DL3059 */
	{
		int single = sc->ncmds <= 1;

		if (st->prev_run >= 0 && single && st->prev_single &&
		    in->kind == PS_DF_RUN) {
			const struct ps_df_inst *pr = &df->insts[st->prev_run];
			int same = pr->nflags == run->nflags;

			for (size_t f = 0; same && f < run->nflags; f++)
				same = lint_strcmp(pr->flags[f].name, run->flags[f].name) == 0 &&
				       lint_strcmp(pr->flags[f].value ? pr->flags[f].value : "",
					      run->flags[f].value ? run->flags[f].value : "") == 0;
			if (same)
				lint_report(cx, "PSD059", in, 0,
					    "consecutive RUN instructions: consider one layer");
		}
		st->prev_single = single;
	}
}

static int
is_windows_abs(const char *p)
{
	return isalpha((unsigned char)p[0]) && p[1] == ':' &&
	       (p[2] == '\\' || p[2] == '/' || p[2] == '\0');
}

static int
is_abs_path(const char *p)
{
	return p[0] == '/' || p[0] == '$' || is_windows_abs(p);
}

static int
is_archive(const char *s)
{
	/* .tar.gz and the like end in one of these too: only the part from
	 * the last dot is compared */
	static const char *const ext[] = {
		".tar", ".tgz", ".tbz", ".tbz2", ".tb2", ".txz", ".gz", ".bz2",
		".xz", ".lz", ".lzma", ".tlz", ".Z", ".tZ", ".tpz", ".zst", NULL
	};
	const char *dot = strrchr(s, '.');

	if (!dot)
		return 0;
	for (const char *const *e = ext; *e; e++)
		if (dot[1] == (*e)[1] && strcmp(dot, *e) == 0)
			return 1;
	return 0;
}

static int
is_url(const char *s)
{
	return starts(s, "http://") || starts(s, "https://") ||
	       starts(s, "git@") || starts(s, "git://");
}

static int
registry_allowed(const struct lint_settings *set, const char *image)
{
	struct image_ref r;
	int ok = 0;

	if (set->nregistries == 0)
		return 1;
	lint_image_parse(image, &r);
	const char *reg = r.registry[0] ? r.registry : "docker.io";

	for (size_t k = 0; k < set->nregistries && !ok; k++) {
		const char *a = set->registries[k];

		if (lint_strcmp(a, "*") == 0 || lint_streq_ci(a, reg))
			ok = 1;
		else if (starts(a, "*.") && ends(reg, a + 1))
			ok = 1;
		else if (lint_strcmp(reg, "docker.io") == 0 &&
			 (lint_streq_ci(a, "hub.docker.com") ||
			  lint_streq_ci(a, "registry-1.docker.io") ||
			  lint_streq_ci(a, "index.docker.io")))
			ok = 1;
	}
	lint_image_free(&r);
	return ok;
}

static int
is_stage_name(const struct ps_dockerfile *df, const char *name, size_t before)
{
	for (size_t s = 0; s < df->nstages && df->stages[s].inst < before; s++)
		if (df->stages[s].name && lint_streq_ci(df->stages[s].name, name))
			return 1;
	return 0;
}

/* Whether a lower-case name holds a part that names sensitive data
 * (api_key, client_key, password, private, secret, token, username): one
 * pass, the parts looked for from their first letter. */
static int
has_sensitive_part(const char *low)
{
	for (const char *p = low; *p; p++)
		switch (*p) {
		case 'a':
			if (strncmp(p, "api_key", 7) == 0)
				return 1;
			break;
		case 'c':
			if (strncmp(p, "client_key", 10) == 0)
				return 1;
			break;
		case 'p':
			if (strncmp(p, "password", 8) == 0 || strncmp(p, "private", 7) == 0)
				return 1;
			break;
		case 's':
			if (strncmp(p, "secret", 6) == 0)
				return 1;
			break;
		case 't':
			if (strncmp(p, "token", 5) == 0)
				return 1;
			break;
		case 'u':
			if (strncmp(p, "username", 8) == 0)
				return 1;
			break;
		default:
			break;
		}
	return 0;
}

void
lint_rules_dl(struct lint_ctx *cx)
{
	struct ps_dockerfile *df = cx->df;
	struct run_state st = { .stage = -2, .prev_run = -1 };
	int seen_from = 0;
	int nhealth = 0, ncmd = 0, nentry = 0;
	int have_workdir = 0;
	/* per stage: whether a WORKDIR was set (for inheritance) */
	int *stage_wd = ps_df_calloc(df, df->nstages + 1, sizeof(int));
	int last_user_root_line = 0;
	int *stage_root = ps_df_calloc(df, df->nstages + 1, sizeof(int));
	int *stage_user_line = ps_df_calloc(df, df->nstages + 1, sizeof(int));
	size_t last_user_inst = 0;

	for (size_t i = 0; i < df->ninsts; i++) {
		const struct ps_df_inst *in = &df->insts[i];
		const struct ps_df_inst *x = in->inner ? in->inner : in;

		if (in->stage != st.stage) {
			st.stage = in->stage;
			st.saw_wget = st.saw_curl = 0;
			st.prev_run = -1;
			nhealth = ncmd = nentry = 0;
			have_workdir = 0;
			if (in->stage >= 0) {
				int p = stage_parent(df, in->stage);

				if (p >= 0) {
					have_workdir = stage_wd[p];
					stage_wd[in->stage] = stage_wd[p];
				}
			}
		}
		if (x->kind != PS_DF_RUN)
			st.prev_run = -1;
		/* DL3061 */
		if (!seen_from && in->kind != PS_DF_FROM && in->kind != PS_DF_ARG &&
		    in->kind != PS_DF_UNKNOWN) {
			lint_report(cx, "PSD061", in, 0,
				    "%s before the first FROM: a Dockerfile begins with FROM, ARG or a comment",
				    ps_df_kind_name(in->kind));
			seen_from = 1;	/* once */
		}
		if (in->kind == PS_DF_FROM)
			seen_from = 1;
		if (in->kind == PS_DF_ONBUILD && in->inner) {
			enum ps_df_kind k = in->inner->kind;

			if (k == PS_DF_ONBUILD || k == PS_DF_FROM || k == PS_DF_MAINTAINER)
				lint_report(cx, "PSD043", in, 0,
					    "ONBUILD cannot trigger %s", ps_df_kind_name(k));
		}
		switch (x->kind) {
		case PS_DF_FROM: {
			int s = in->stage;
			const struct ps_df_stage *sg = s >= 0 ? &df->stages[s] : NULL;

			if (!sg || in != x)
				break;
			const char *img = sg->image_expanded;
			struct image_ref r;

			if (sg->name) {
				for (int k = 0; k < s; k++)
					if (df->stages[k].name &&
					    lint_strcmp(df->stages[k].name, sg->name) == 0) {
						lint_report(cx, "PSD024", in, 0,
							    "duplicate stage name %s", sg->name);
						break;
					}
				if (lint_strcmp(sg->name, "scratch") == 0 ||
				    lint_strcmp(sg->name, "context") == 0)
					lint_report(cx, "PSD063", in, 0,
						    "%s is a reserved word, not a stage name", sg->name);
			}
			if (sg->platform) {
				const char *p = ps_df_unquote(df, sg->platform);

				if (lint_strcmp(p, "$TARGETPLATFORM") == 0 ||
				    lint_strcmp(p, "${TARGETPLATFORM}") == 0)
					lint_report(cx, "PSD065", in, 0,
						    "--platform=$TARGETPLATFORM is the default");
				else if (!strchr(p, '$'))
					lint_report(cx, "PSD029", in, 0,
						    "do not hard-code --platform=%s in FROM", p);
			}
			if (lint_streq_ci(sg->image, "scratch") ||
			    is_stage_name(df, sg->image, i) ||
			    is_stage_name(df, img, i))
				break;
			if (!registry_allowed(cx->set, img))
				lint_report(cx, "PSD026", in, 0,
					    "%s is not from an allowed registry", img);
			if (strchr(sg->image, '$') && !*img)
				break;
			lint_image_parse(img, &r);
			if (!r.tag && !r.digest && !strchr(sg->image, '$'))
				lint_report(cx, "PSD006", in, 0,
					    "tag the version of %s explicitly (%s:<version>)", img, img);
			else if (r.tag && lint_strcmp(r.tag, "latest") == 0 && !r.digest)
				lint_report(cx, "PSD007", in, 0,
					    "%s:latest is a moving target: pin a version", r.repo);
			lint_image_free(&r);
			break;
		}
		case PS_DF_RUN:
			check_run(cx, i, &st);
			for (size_t f = 0; f < x->nflags; f++) {
				const char *v = x->flags[f].value, *fr;

				if (lint_strcmp(x->flags[f].name, "mount") != 0 || !v)
					continue;
				fr = strstr(v, "from=");
				if (fr && (fr == v || fr[-1] == ',')) {
					char img[512];
					size_t n = strcspn(fr + 5, ",");

					if (n >= sizeof(img))
						n = sizeof(img) - 1;
					memcpy(img, fr + 5, n);
					img[n] = '\0';
					if (!is_stage_name(df, img, i) &&
					    !registry_allowed(cx->set, img))
						lint_report(cx, "PSD026", in, 0,
							    "%s is not from an allowed registry", img);
				}
			}
			st.prev_run = (int)i;
			break;
		case PS_DF_WORKDIR:
			if (x->argc > 0) {
				const char *w = ps_df_strip_quotes(df, x->argv[0]);

				if (!is_abs_path(w))
					lint_report(cx, "PSD000", in, 0,
						    "WORKDIR %s is relative: use an absolute path", w);
			}
			have_workdir = 1;
			if (in->stage >= 0)
				stage_wd[in->stage] = 1;
			break;
		case PS_DF_USER:
			if (x->argc > 0) {
				const char *u = ps_df_unquote(df, x->argv[0]);
				size_t un = strcspn(u, ":");
				int root = (un == 4 && strncmp(u, "root", 4) == 0) ||
					   (un == 1 && u[0] == '0');

				if (in->stage >= 0) {
					stage_root[in->stage] = root;
					stage_user_line[in->stage] = in->line;
				} else {
					last_user_root_line = root ? in->line : 0;
				}
				last_user_inst = i;
				int numeric = un > 0;

				for (size_t k = 0; k < un; k++)
					if (!isdigit((unsigned char)u[k]))
						numeric = 0;
				if (!numeric && !(u[0] == '$' && uses_defined_var(df, i, u)))
					lint_report(cx, "PSD066", in, 0,
						    "USER %.*s: a name may not resolve on the host; use a numeric UID",
						    (int)un, u);
			}
			break;
		case PS_DF_EXPOSE:
			for (size_t a = 0; a < x->argc; a++) {
				const char *p = ps_df_unquote(df, x->argv[a]);
				char *end;
				long lo, hi;

				if (strchr(p, '$'))
					continue;
				lo = strtol(p, &end, 10);
				hi = lo;
				if (end == p)
					continue;
				if (*end == '-') {
					const char *h = end + 1;

					hi = strtol(h, &end, 10);
					if (end == h)
						hi = lo;
				}
				if (lo > 65535 || hi > 65535 || lo < 0)
					lint_report(cx, "PSD011", in, 0,
						    "port %s is out of range (0-65535)", p);
			}
			break;
		case PS_DF_HEALTHCHECK:
			if (in == x && ++nhealth > 1)
				lint_report(cx, "PSD012", in, 0,
					    "more than one HEALTHCHECK in the stage: only the last one counts");
			if (x->argc > 0 && x->script && !x->exec_form)
				lint_report(cx, "PSD025", in, 0,
					    "use the JSON form for HEALTHCHECK CMD");
			break;
		case PS_DF_CMD:
			if (in == x && ++ncmd > 1)
				lint_report(cx, "PSD403", in, 0,
					    "more than one CMD in the stage: only the last one counts");
			if (!x->exec_form)
				lint_report(cx, "PSD025", in, 0,
					    "use the JSON form for CMD so signals reach the process");
			break;
		case PS_DF_ENTRYPOINT:
			if (in == x && ++nentry > 1)
				lint_report(cx, "PSD404", in, 0,
					    "more than one ENTRYPOINT in the stage: only the last one counts");
			if (!x->exec_form)
				lint_report(cx, "PSD025", in, 0,
					    "use the JSON form for ENTRYPOINT so signals reach the process");
			break;
		case PS_DF_MAINTAINER:
			lint_report(cx, "PSD400", in, 0,
				    "MAINTAINER is deprecated: use LABEL maintainer=");
			break;
		case PS_DF_ADD:
			for (size_t a = 0; a + 1 < x->argc && !x->exec_form; a++) {
				const char *s = ps_df_strip_quotes(df, x->argv[a]);

				if (!is_archive(s) && !is_url(s) && x->nheredocs == 0) {
					lint_report(cx, "PSD020", in, 0,
						    "use COPY for %s: ADD only for archives and URLs", s);
					break;
				}
			}
			/* fall through */
		case PS_DF_COPY: {
			const struct ps_df_flag *from = ps_df_flag(x, "from");
			size_t nargs = x->argc;

			if (nargs == 0 || x->nheredocs > 0)
				break;
			const char *dest = ps_df_strip_quotes(df, x->argv[nargs - 1]);

			if (x->kind == PS_DF_COPY && nargs > 2 && !ends(dest, "/") &&
			    !ends(dest, "\\"))
				lint_report(cx, "PSD021", in, 0,
					    "COPY with several sources needs a destination ending in /");
			if (!have_workdir && !is_abs_path(dest) && nargs >= 2)
				lint_report(cx, "PSD045", in, 0,
					    "COPY to the relative %s without a WORKDIR", dest);
			if (from && from->value) {
				const char *f = from->value;
				int s = in->stage;

				if (s >= 0 && df->stages[s].name &&
				    lint_streq_ci(df->stages[s].name, f))
					lint_report(cx, "PSD023", in, 0,
						    "COPY --from=%s names its own stage", f);
				else if (strspn(f, "0123456789") == strlen(f) && *f) {
					long idx = strtol(f, NULL, 10);

					if (idx >= (s < 0 ? 0 : s))
						lint_report(cx, "PSD022", in, 0,
							    "COPY --from=%s names no earlier stage", f);
				} else if (!is_stage_name(df, f, i) && !strchr(f, ':') &&
					   !strchr(f, '/') && !strchr(f, '$')) {
					lint_report(cx, "PSD022", in, 0,
						    "COPY --from=%s names no earlier stage", f);
				}
				if (!is_stage_name(df, f, i) && (strchr(f, ':') || strchr(f, '/')) &&
				    !registry_allowed(cx->set, f))
					lint_report(cx, "PSD026", in, 0,
						    "%s is not from an allowed registry", f);
				if (nargs == 2 &&
				    lint_strcmp(ps_df_strip_quotes(df, x->argv[0]), "/") == 0 &&
				    lint_strcmp(dest, "/") == 0)
					lint_report(cx, "PSD067", in, 0,
						    "do not copy the whole filesystem of %s", f);
			}
			/* DL3010: an archive copied and later extracted */
			if (x->kind == PS_DF_COPY && !from) {
				for (size_t a = 0; a + 1 < nargs; a++) {
					const char *src = ps_df_strip_quotes(df, x->argv[a]);
					const char *b1 = strrchr(src, '/'), *b2 = strrchr(src, '\\');
					const char *base = b1 > b2 ? b1 + 1 : (b2 ? b2 + 1 : src);
					const char *db1 = strrchr(dest, '/'), *db2 = strrchr(dest, '\\');
					const char *dbase = db1 > db2 ? db1 + 1 : (db2 ? db2 + 1 : dest);

					if (!is_archive(base))
						continue;
					for (size_t j = i + 1; j < df->ninsts; j++) {
						const struct ps_sh_script *sc = cx->scripts[j];

						if (df->insts[j].stage != in->stage)
							break;
						if (!sc)
							continue;
						for (size_t k = 0; k < sc->ncmds; k++) {
							const struct ps_sh_cmd *c = &sc->cmds[k];

							if (!is(c, "tar") && !is(c, "unzip") &&
							    !is(c, "gunzip") && !is(c, "bunzip2") &&
							    !is(c, "unxz"))
								continue;
							for (size_t w = 1; w < c->argc; w++) {
								const char *t = c->argv[w].text;

								if (ends(t, base) ||
								    (is_archive(dbase) && ends(t, dbase)))
									goto dl3010;
							}
						}
					}
					continue;
dl3010:
					lint_report(cx, "PSD010", in, 0,
						    "%s is copied and then extracted: ADD extracts local archives",
						    base);
					break;
				}
			}
			break;
		}
		case PS_DF_ENV: {
			/* DL3044 */
			int done = 0;

			for (size_t p = 1; p < x->npairs && !done; p++) {
				const char *v = x->pairs[p].raw_value;

				for (size_t q = 0; q < p && v && !done; q++) {
					const char *k = x->pairs[q].key;
					size_t kl = strlen(k);
					const char *d = strchr(v, '$');
					int hit = 0;

					while (d && !hit) {
						const char *nm = d + 1;

						if (*nm == '{')
							nm++;
						if (strncmp(nm, k, kl) == 0 &&
						    !(isalnum((unsigned char)nm[kl]) || nm[kl] == '_'))
							hit = 1;
						d = strchr(d + 1, '$');
					}
					if (hit && (!var_value(df, i, k) ||
						    lint_strcmp(x->pairs[p].key, k) == 0)) {
						lint_report(cx, "PSD044", in, 0,
							    "%s refers to %s defined in the same ENV",
							    x->pairs[p].key, k);
						done = 1;
					}
				}
			}
		}
			/* fall through */
		case PS_DF_ARG: {
			static const char *const known[] = {
				"ACCESS_TOKEN", "APPLICATION_KEY", "APP_SECRET",
				"AUTH_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
				"DOCKERHUB_PASSWORD", "DOCKER_PASSWORD", "GH_TOKEN",
				"GITHUB_TOKEN", "NPM_TOKEN", "OPENAI_API_KEY",
				"POSTGRES_PASSWORD", "SLACK_TOKEN", "VAULT_TOKEN",
				"HEROKU_API_KEY", "STRIPE_API_KEY", NULL
			};

			for (size_t p = 0; p < x->npairs; p++) {
				const char *k = x->pairs[p].key;
				int hit = 0;
				char low[256];
				size_t n = strlen(k);

				if (n >= sizeof(low))
					n = sizeof(low) - 1;
				for (size_t c = 0; c < n; c++)
					low[c] = (char)tolower((unsigned char)k[c]);
				low[n] = '\0';
				for (const char *const *w = known; *w && !hit; w++)
					hit = lint_streq_ci(k, *w);
				if (!hit)
					hit = has_sensitive_part(low);
				if (hit) {
					lint_report(cx, "PSD064", in, 0,
						    "%s %s may hold sensitive data: use a build secret (RUN --mount=type=secret)",
						    ps_df_kind_name(x->kind), k);
					break;
				}
			}
			break;
		}
		default:
			break;
		}
	}
	/* DL3002: a stage whose last USER is root */
	for (size_t k = 0; k < df->nstages; k++)
		if (stage_root[k] && stage_user_line[k])
			for (size_t i = 0; i < df->ninsts; i++)
				if (df->insts[i].line == stage_user_line[k]) {
					lint_report(cx, "PSD002", &df->insts[i], 0,
						    "the last USER of the stage is root: switch to an unprivileged user");
					break;
				}
	if (last_user_root_line)
		lint_report(cx, "PSD002", &df->insts[last_user_inst], 0,
			    "the last USER is root: switch to an unprivileged user");
	/* DL3057: no HEALTHCHECK in a leaf stage's chain */
	if (df->nstages > 0) {
		int *used = ps_df_calloc(df, df->nstages, sizeof(int));
		int *has = ps_df_calloc(df, df->nstages, sizeof(int));

		for (size_t i = 0; i < df->ninsts; i++) {
			const struct ps_df_inst *in = &df->insts[i];

			if (in->kind == PS_DF_HEALTHCHECK && in->stage >= 0)
				has[in->stage] = 1;
		}
		for (size_t s = 0; s < df->nstages; s++) {
			int p = stage_parent(df, (int)s);

			if (p >= 0)
				used[p] = 1;
		}
		for (size_t s = 0; s < df->nstages; s++) {
			if (used[s])
				continue;
			int ok = 0;

			for (int k = (int)s; k >= 0 && !ok; k = stage_parent(df, k))
				ok = has[k];
			if (!ok) {
				lint_report(cx, "PSD057", &df->insts[df->stages[s].inst], 0,
					    "no HEALTHCHECK: the orchestrator cannot tell a hung container");
				break;
			}
		}
	}
}
