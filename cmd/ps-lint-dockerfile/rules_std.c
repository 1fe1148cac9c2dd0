/*
 * The standards' own rules (toolchain in a single-stage image, official
 * minimal pinned bases, non-root final stage, HEALTHCHECK present, using
 * tools the image ships and probing the EXPOSEd port, COPY --chown instead
 * of RUN chown -R, .dockerignore, no secrets in ENV/ARG, no package caches)
 * and checkov's Dockerfile checks that hadolint lacks (TLS verification or
 * package signatures switched off, port 22, an update alone in a RUN).
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

/* Whether dir has a .dockerignore: the answer for the last directory asked
 * about is kept by each thread for the rest of its run (the files of a run
 * share directories; lint_scratch_release forgets it). */
static _Thread_local char *tl_ignore_dir;
static _Thread_local int tl_ignore_has;

static int
dir_has_dockerignore(const char *dir)
{
	char *p;

	if (tl_ignore_dir && strcmp(tl_ignore_dir, dir) == 0)
		return tl_ignore_has;
	p = ps_xasprintf("%s/.dockerignore", dir);
	tl_ignore_has = access(p, F_OK) == 0;
	free(p);
	free(tl_ignore_dir);
	tl_ignore_dir = ps_xstrdup(dir);
	return tl_ignore_has;
}

void
lint_rules_std_release(void)
{
	free(tl_ignore_dir);
	tl_ignore_dir = NULL;
}

static int
has_arg(const struct ps_sh_cmd *c, const char *w)
{
	for (size_t i = 1; i < c->argc; i++)
		if (lint_strcmp(c->argv[i].text, w) == 0)
			return 1;
	return 0;
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

/* Whether stage s is the final one or an ancestor of it. */
static int
in_final_chain(const struct ps_dockerfile *df, int s)
{
	for (int f = (int)df->nstages - 1; f >= 0; f = stage_parent(df, f))
		if (f == s)
			return 1;
	return 0;
}

/* The external base image of the final stage (following FROM <stage>). */
static const struct ps_df_stage *
final_base(const struct ps_dockerfile *df)
{
	int f = (int)df->nstages - 1, p;

	if (f < 0)
		return NULL;
	while ((p = stage_parent(df, f)) >= 0)
		f = p;
	return &df->stages[f];
}

/* ---- checkov: TLS, signatures, port 22, update alone ---- */

static void
check_insecure_cmd(struct lint_ctx *cx, const struct ps_df_inst *in,
		   const struct ps_sh_cmd *c)
{
	const char *n = ps_sh_cmd_name(c);

	/* most commands are none of those below: told at once */
	switch (c->tag) {
	case LC_CURL: case LC_WGET: case LC_NPM: case LC_YARN: case LC_GIT:
	case LC_APT_GET: case LC_APT: case LC_YUM: case LC_DNF:
	case LC_MICRODNF: case LC_TDNF: case LC_RPM: case LC_APK:
		break;
	default:
		if (n[0] != 'p')	/* pip, python */
			return;
		break;
	}
	if (c->tag == LC_CURL && (ps_sh_has_flag(c, "insecure") ||
				       (ps_sh_has_flag(c, "k") && !has_arg(c, "-K"))))
		lint_report(cx, "PSD202", in, 0,
			    "curl -k switches TLS certificate checks off");
	if (c->tag == LC_WGET && ps_sh_has_flag(c, "no-check-certificate"))
		lint_report(cx, "PSD202", in, 0,
			    "wget --no-check-certificate switches TLS certificate checks off");
	if ((starts(n, "pip") || starts(n, "python")) &&
	    ps_sh_has_flag(c, "trusted-host"))
		lint_report(cx, "PSD202", in, 0,
			    "pip --trusted-host accepts that host without TLS verification");
	if ((c->tag == LC_NPM || c->tag == LC_YARN) &&
	    has_arg(c, "config") && (has_arg(c, "strict-ssl") ||
				     has_arg(c, "strict-ssl=false")) &&
	    (has_arg(c, "false") || has_arg(c, "strict-ssl=false")))
		lint_report(cx, "PSD202", in, 0,
			    "%s strict-ssl false switches TLS certificate checks off", n);
	if (c->tag == LC_GIT)
		for (size_t a = 1; a < c->argc; a++) {
			const char *w = c->argv[a].text;

			if (lint_streq_ci(w, "http.sslVerify=false") ||
			    (lint_streq_ci(w, "http.sslVerify") && a + 1 < c->argc &&
			     lint_streq_ci(c->argv[a + 1].text, "false")))
				lint_report(cx, "PSD202", in, 0,
					    "git http.sslVerify false switches TLS certificate checks off");
		}
	if ((c->tag == LC_APT_GET || c->tag == LC_APT) &&
	    (ps_sh_has_flag(c, "allow-unauthenticated") ||
	     ps_sh_has_flag(c, "allow-insecure-repositories") ||
	     ps_sh_has_flag(c, "force-yes")))
		lint_report(cx, "PSD204", in, 0,
			    "%s installs packages without checking their signatures", n);
	/* (the upper-case A first: package names have none) */
	for (size_t a = 1; a < c->argc && (c->tag == LC_APT_GET); a++)
		if (strchr(c->argv[a].text, 'A') &&
		    (strstr(c->argv[a].text, "AllowUnauthenticated=true") ||
		     strstr(c->argv[a].text, "AllowUnauthenticated \"true\"")))
			lint_report(cx, "PSD204", in, 0,
				    "apt-get installs packages without checking their signatures");
	if ((c->tag == LC_YUM || c->tag == LC_DNF ||
	     c->tag == LC_MICRODNF || c->tag == LC_TDNF) &&
	    ps_sh_has_flag(c, "nogpgcheck"))
		lint_report(cx, "PSD204", in, 0,
			    "%s --nogpgcheck installs packages without checking their signatures", n);
	if (c->tag == LC_RPM && (ps_sh_has_flag(c, "nosignature") ||
				      ps_sh_has_flag(c, "nodigest")))
		lint_report(cx, "PSD204", in, 0,
			    "rpm --nosignature installs packages without checking their signatures");
	if (c->tag == LC_APK && ps_sh_has_flag(c, "allow-untrusted"))
		lint_report(cx, "PSD204", in, 0,
			    "apk --allow-untrusted installs packages without checking their signatures");
}

/* NAME=value that switches TLS checks off (ENV, ARG defaults, RUN). */
static const char *
insecure_env(const char *k, const char *v)
{
	if (!v)
		return NULL;
	if (lint_strcmp(k, "NODE_TLS_REJECT_UNAUTHORIZED") == 0 && lint_strcmp(v, "0") == 0)
		return "NODE_TLS_REJECT_UNAUTHORIZED=0";
	if (lint_strcmp(k, "GIT_SSL_NO_VERIFY") == 0 && *v && lint_strcmp(v, "0") != 0 &&
	    !lint_streq_ci(v, "false"))
		return "GIT_SSL_NO_VERIFY";
	if (lint_strcmp(k, "PYTHONHTTPSVERIFY") == 0 && lint_strcmp(v, "0") == 0)
		return "PYTHONHTTPSVERIFY=0";
	if ((lint_streq_ci(k, "NPM_CONFIG_STRICT_SSL") ||
	     lint_streq_ci(k, "YARN_STRICT_SSL")) && lint_streq_ci(v, "false"))
		return "strict-ssl false";
	if (lint_strcmp(k, "PIP_TRUSTED_HOST") == 0 && *v)
		return "PIP_TRUSTED_HOST";
	if (lint_strcmp(k, "CURL_CA_BUNDLE") == 0 && !*v)
		return "an empty CURL_CA_BUNDLE";
	return NULL;
}

static int
is_index_update(const struct ps_sh_cmd *c)
{
	if (c->tag == LC_APT_GET || c->tag == LC_APT ||
	    c->tag == LC_APK || c->tag == LC_ZYPPER) {
		/* update, refresh or ref among the arguments: one pass over
		 * them (an install names dozens of packages) */
		for (size_t i = 1; i < c->argc; i++) {
			const char *w = c->argv[i].text;

			if ((w[0] == 'u' && strcmp(w, "update") == 0) ||
			    (w[0] == 'r' && (strcmp(w, "refresh") == 0 ||
					     strcmp(w, "ref") == 0)))
				return 1;
		}
		return 0;
	}
	if (c->tag == LC_YUM || c->tag == LC_DNF)
		return has_arg(c, "makecache");
	return 0;
}

/* ---- package installs ---- */

/* Whether c installs packages; the packages are its non-flag arguments
 * after the install word. */
static size_t
install_word(const struct ps_sh_cmd *c)
{
	const char *w = NULL, *w2 = NULL;

	if (c->tag == LC_APT_GET || c->tag == LC_APT)
		w = "install";
	else if (c->tag == LC_APK)
		w = "add";
	else if (c->tag == LC_YUM || c->tag == LC_DNF ||
		 c->tag == LC_MICRODNF || c->tag == LC_ZYPPER ||
		 c->tag == LC_TDNF) {
		w = "install";
		w2 = "in";
	}
	if (!w)
		return 0;
	for (size_t i = 1; i < c->argc; i++)
		if (lint_strcmp(c->argv[i].text, w) == 0 ||
		    (w2 && lint_strcmp(c->argv[i].text, w2) == 0))
			return i;
	return 0;
}

static int
pkg_is(const char *pkg, const char *name)
{
	size_t n;

	if (pkg[0] != name[0])
		return 0;
	n = strlen(name);

	return strncmp(pkg, name, n) == 0 &&
	       (pkg[n] == '\0' || pkg[n] == '=' || pkg[n] == '>' || pkg[n] == '<' ||
		pkg[n] == '~' || (pkg[n] == '-' && isdigit((unsigned char)pkg[n + 1])));
}

static const char *
toolchain_pkg(const char *p)
{
	/* the toolchain's packages by their first letter */
	static const char *const a[] = { "autoconf", "automake", NULL };
	static const char *const b[] = { "build-essential", "build-base", NULL };
	static const char *const c[] = { "clang", "cmake", "cargo", NULL };
	static const char *const g[] = { "gcc", "g++", "gcc-c++", "golang", NULL };
	static const char *const l[] = { "libc-dev", "libc6-dev", NULL };
	static const char *const m[] = { "make", "musl-dev", NULL };
	static const char *const r[] = { "rustc", NULL };
	const char *const *names;

	switch (p[0]) {
	case 'a': names = a; break;
	case 'b': names = b; break;
	case 'c': names = c; break;
	case 'g': names = g; break;
	case 'l': names = l; break;
	case 'm': names = m; break;
	case 'r': names = r; break;
	default: names = NULL; break;
	}
	for (const char *const *n = names; n && *n; n++)
		if (pkg_is(p, *n))
			return *n;
	if ((ends(p, "-dev") || ends(p, "-devel")) && !strchr(p, '='))
		return p;
	return NULL;
}

/* Whether the RUN script removes pkg again (apk del, apt-get purge ...). */
static int
removed_later(const struct ps_sh_script *sc, size_t from, const char *pkg,
	      const char *virt)
{
	for (size_t k = from; k < sc->ncmds; k++) {
		const struct ps_sh_cmd *c = &sc->cmds[k];
		int rm = (c->tag == LC_APK && has_arg(c, "del")) ||
			 ((c->tag == LC_APT_GET || c->tag == LC_APT) &&
			  (has_arg(c, "purge") || has_arg(c, "remove") ||
			   has_arg(c, "autoremove"))) ||
			 ((c->tag == LC_YUM || c->tag == LC_DNF) &&
			  (has_arg(c, "remove") || has_arg(c, "erase") ||
			   has_arg(c, "autoremove")));

		if (!rm)
			continue;
		if (has_arg(c, pkg) || (virt && has_arg(c, virt)) ||
		    has_arg(c, "autoremove"))
			return 1;
		/* apt-mark auto + purge --auto-remove of a saved list */
		for (size_t a = 1; a < c->argc; a++)
			if (c->argv[a].dynamic)
				return 1;
	}
	return 0;
}

/* ---- image knowledge ---- */

enum tool_bit { T_CURL = 1, T_WGET = 2, T_NC = 4 };

/* What a well-known base image ships of curl, wget, nc; -1 unknown. */
static int
image_tools(const char *image)
{
	struct image_ref r;
	int t = -1;
	const char *repo, *tag;

	lint_image_parse(image, &r);
	repo = r.repo;
	tag = r.tag ? r.tag : "latest";
	if (starts(repo, "library/"))
		repo += 8;
	if (r.registry[0] && lint_strcmp(r.registry, "docker.io") != 0) {
		if (lint_strcmp(r.registry, "gcr.io") == 0 && starts(repo, "distroless/"))
			t = 0;
		else if (lint_strcmp(r.registry, "cgr.dev") == 0)
			t = strstr(tag, "dev") ? T_WGET | T_NC : 0;
		lint_image_free(&r);
		return t;
	}
	if (lint_strcmp(repo, "scratch") == 0) {
		t = 0;
	} else if (lint_strcmp(repo, "alpine") == 0 || lint_strcmp(repo, "busybox") == 0) {
		t = T_WGET | T_NC;
	} else if (lint_strcmp(repo, "debian") == 0 || lint_strcmp(repo, "ubuntu") == 0) {
		t = 0;
	} else if (lint_strcmp(repo, "python") == 0 || lint_strcmp(repo, "node") == 0 ||
		   lint_strcmp(repo, "ruby") == 0 || lint_strcmp(repo, "golang") == 0 ||
		   lint_strcmp(repo, "perl") == 0 || lint_strcmp(repo, "rust") == 0 ||
		   lint_strcmp(repo, "php") == 0 || lint_strcmp(repo, "buildpack-deps") == 0) {
		if (strstr(tag, "alpine"))
			t = T_WGET | T_NC;
		else if (strstr(tag, "slim"))
			t = lint_strcmp(repo, "php") == 0 ? T_CURL : 0;
		else
			t = T_CURL | T_WGET;
	} else if (lint_strcmp(repo, "nginx") == 0) {
		t = strstr(tag, "alpine") ? T_CURL | T_WGET | T_NC : T_CURL;
	} else if (lint_strcmp(repo, "postgres") == 0 || lint_strcmp(repo, "redis") == 0 ||
		   lint_strcmp(repo, "mysql") == 0 || lint_strcmp(repo, "mongo") == 0) {
		t = strstr(tag, "alpine") ? T_WGET | T_NC : 0;
	}
	lint_image_free(&r);
	return t;
}

/* Official (Docker Official Images, distroless, vendor registries). */
static int
image_official(const struct lint_settings *set, const char *image)
{
	struct image_ref r;
	int ok;

	lint_image_parse(image, &r);
	if (!r.registry[0] || lint_strcmp(r.registry, "docker.io") == 0 ||
	    lint_strcmp(r.registry, "index.docker.io") == 0)
		ok = !strchr(r.repo, '/') || starts(r.repo, "library/");
	else
		ok = (lint_strcmp(r.registry, "gcr.io") == 0 && starts(r.repo, "distroless/")) ||
		     lint_strcmp(r.registry, "cgr.dev") == 0 ||
		     lint_strcmp(r.registry, "mcr.microsoft.com") == 0 ||
		     (lint_strcmp(r.registry, "public.ecr.aws") == 0 &&
		      (starts(r.repo, "docker/library/") || starts(r.repo, "lambda/"))) ||
		     starts(r.registry, "registry.access.redhat.com");
	for (size_t i = 0; i < set->nregistries && !ok; i++)
		ok = lint_streq_ci(set->registries[i], r.registry[0] ? r.registry : "docker.io");
	lint_image_free(&r);
	return ok;
}

/* A full-size variant where a minimal one exists: the suggestion or NULL. */
static const char *
not_minimal(const char *image)
{
	static const char *const slim[] = { "python", "node", "ruby", "perl",
		"php", "debian", "openjdk", "elixir", "erlang", "haskell",
		"golang", "rust", "gcc", "buildpack-deps", NULL };
	struct image_ref r;
	const char *repo, *tag, *why = NULL;

	lint_image_parse(image, &r);
	repo = r.repo;
	if (starts(repo, "library/"))
		repo += 8;
	tag = r.tag ? r.tag : "latest";
	if (r.registry[0] && lint_strcmp(r.registry, "docker.io") != 0) {
		lint_image_free(&r);
		return NULL;
	}
	for (const char *const *s = slim; *s; s++)
		if (lint_strcmp(repo, *s) == 0 && !strstr(tag, "slim") &&
		    !strstr(tag, "alpine") && !strstr(tag, "distroless") &&
		    !strstr(tag, "minimal") && !strchr(tag, '$')) {
			why = (lint_strcmp(repo, "golang") == 0 || lint_strcmp(repo, "rust") == 0 ||
			       lint_strcmp(repo, "gcc") == 0 || lint_strcmp(repo, "buildpack-deps") == 0) ?
			      "a build toolchain image: build in a builder stage and ship a minimal runtime" :
			      "a full-size variant: use the -slim or -alpine tag";
			break;
		}
	lint_image_free(&r);
	return why;
}

/* ---- paths ---- */

/* s after the l bytes of out (n bytes of room), cut to fit; the new
 * length */
static size_t
append_cut(char *out, size_t n, size_t l, const char *s)
{
	size_t k = strlen(s);

	if (l + k >= n)
		k = n - 1 - l;
	memcpy(out + l, s, k);
	out[l + k] = '\0';
	return l + k;
}

static void
join_path(char *out, size_t n, const char *wd, const char *p)
{
	/* (what snprintf "%s/%s" would write, without its cost) */
	size_t l = 0;

	if (p[0] == '/' || !wd || !*wd) {
		l = append_cut(out, n, l, p);
	} else if (lint_strcmp(p, ".") == 0 || lint_strcmp(p, "./") == 0) {
		l = append_cut(out, n, l, wd);
	} else {
		l = append_cut(out, n, l, lint_strcmp(wd, "/") ? wd : "");
		l = append_cut(out, n, l, "/");
		l = append_cut(out, n, l, starts(p, "./") ? p + 2 : p);
	}

	while (l > 1 && out[l - 1] == '/')
		out[--l] = '\0';
}

/* a at or below b, or b at or below a */
static int
paths_overlap(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	size_t m = na < nb ? na : nb;

	if (strncmp(a, b, m) != 0)
		return 0;
	if (na == nb)
		return 1;
	return (na > nb ? a[m] : b[m]) == '/' || m == 1;
}

/* Ports a HEALTHCHECK command names: host:port, or a URL's default. */
static size_t
probed_ports(const char *s, long *ports, size_t max)
{
	size_t n = 0;

	for (const char *p = s; *p && n < max; p++) {
		if (starts(p, "http://") || starts(p, "https://")) {
			int tls = p[4] == 's';
			const char *h = strstr(p, "://") + 3;
			const char *e = h + strcspn(h, "/ \"'?");
			const char *colon = NULL;

			for (const char *c = h; c < e; c++)
				if (*c == ':')
					colon = c;
			if (colon && isdigit((unsigned char)colon[1]))
				ports[n++] = strtol(colon + 1, NULL, 10);
			else
				ports[n++] = tls ? 443 : 80;
			p = e - 1;
			if (p < s)
				p = s;
			continue;
		}
		if (starts(p, "localhost:") || starts(p, "127.0.0.1:") ||
		    starts(p, "0.0.0.0:") || starts(p, "[::1]:")) {
			const char *c = strchr(p, ':');

			if (starts(p, "[::1]"))
				c = p + 5;
			if (isdigit((unsigned char)c[1]))
				ports[n++] = strtol(c + 1, NULL, 10);
		}
	}
	return n;
}

static const char *
flag_value(const struct ps_df_inst *in, const char *name)
{
	const struct ps_df_flag *f = ps_df_flag(in, name);

	return f ? f->value : NULL;
}

void
lint_rules_std(struct lint_ctx *cx)
{
	struct ps_dockerfile *df = cx->df;
	const struct lint_settings *set = cx->set;
	int final = (int)df->nstages - 1;
	const struct ps_df_stage *base = final_base(df);
	int toolchain_done = 0;
	int exposed = 0, health = 0, health_none = 0, user_set = 0;
	const struct ps_df_inst *health_in = NULL, *expose_in = NULL;
	long exp_ports[32];
	size_t nexp = 0;
	int installed = 0;
	char workdir[1024] = "";
	int wd_stage = -2;
	/* copied destinations of the current stage */
	char copied[32][512];
	size_t ncopied = 0;
	int nonroot_user = 0;

	for (size_t i = 0; i < df->ninsts; i++) {
		const struct ps_df_inst *in = &df->insts[i];
		const struct ps_df_inst *x = in->inner ? in->inner : in;
		const struct ps_sh_script *sc = cx->scripts[i];
		int chain = in->stage >= 0 ? in_final_chain(df, in->stage) : 0;

		if (in->stage != wd_stage) {
			wd_stage = in->stage;
			int p = stage_parent(df, in->stage);

			if (p < 0) {
				workdir[0] = '\0';
				nonroot_user = 0;
			}
			ncopied = 0;
		}
		switch (x->kind) {
		case PS_DF_FROM: {
			if (in != x || in->stage < 0)
				break;
			const struct ps_df_stage *sg = &df->stages[in->stage];
			const char *img = sg->image_expanded;
			int is_stage = stage_parent(df, in->stage) >= 0;

			/* FROM ... AS casing */
			if (x->argc >= 3 && strcasecmp(x->argv[1], "as") == 0) {
				int kw_up = isupper((unsigned char)x->keyword[0]);
				int as_up = isupper((unsigned char)x->argv[1][0]);

				if (kw_up != as_up)
					lint_report(cx, "PSD315", in, 0,
						    "'%s' and '%s' differ in case: write %s",
						    x->keyword, x->argv[1], kw_up ? "AS" : "as");
			}
			if (is_stage || lint_streq_ci(img, "scratch") || !*img ||
			    strchr(img, '$'))
				break;
			if (!image_official(set, img))
				lint_report(cx, "PSD302", in, 0,
					    "%s is not an official image (Docker Official Images, distroless)", img);
			if (in->stage == final || chain) {
				const char *why = not_minimal(img);

				if (why)
					lint_report(cx, "PSD303", in, 0, "%s is %s", img, why);
			}
			if (!strchr(img, '@'))
				lint_report(cx, "PSD304", in, 0,
					    "%s is not pinned by digest (%s@sha256:...)", img, img);
			if (set->nversions) {
				struct image_ref r;
				const char *repo;

				lint_image_parse(img, &r);
				repo = starts(r.repo, "library/") ? r.repo + 8 : r.repo;
				for (size_t v = 0; v < set->nversions; v++) {
					const struct version_policy *vp = &set->versions[v];
					int ok = 0;

					if (lint_strcmp(vp->image, repo) != 0 &&
					    lint_strcmp(vp->image, r.repo) != 0)
						continue;
					for (size_t k = 0; k < vp->npatterns && !ok; k++)
						ok = r.tag && lint_glob(vp->patterns[k], r.tag);
					if (!ok)
						lint_report(cx, "PSD305", in, 0,
							    "%s:%s is not an allowed version of %s",
							    repo, r.tag ? r.tag : "(untagged)", repo);
				}
				lint_image_free(&r);
			}
			break;
		}
		case PS_DF_WORKDIR:
			if (x->argc > 0) {
				char tmp[1024];
				const char *w = ps_df_strip_quotes(df, x->argv[0]);

				join_path(tmp, sizeof(tmp), workdir, w);
				snprintf(workdir, sizeof(workdir), "%s", tmp);
			}
			break;
		case PS_DF_USER:
			if (x->argc > 0) {
				const char *u = ps_df_strip_quotes(df, x->argv[0]);
				size_t un = strcspn(u, ":");

				nonroot_user = !((un == 4 && !strncmp(u, "root", 4)) ||
						 (un == 1 && u[0] == '0'));
				if (chain)
					user_set = 1;
			}
			break;
		case PS_DF_EXPOSE:
			for (size_t a = 0; a < x->argc; a++) {
				const char *p = ps_df_strip_quotes(df, x->argv[a]);
				long port = strtol(p, NULL, 10);

				if (port == 22 && !strchr(p, '-'))
					lint_report(cx, "PSD201", in, 0,
						    "port 22 is exposed: use docker exec, not SSH");
				if (chain && port > 0 && nexp < PS_ARRAY_LEN(exp_ports))
					exp_ports[nexp++] = port;
			}
			if (chain) {
				exposed = 1;
				expose_in = in;
			}
			break;
		case PS_DF_HEALTHCHECK:
			if (chain) {
				health = 1;
				health_in = in;
				health_none = x->argc > 0 && lint_streq_ci(x->argv[0], "NONE") &&
					      !x->script;
			}
			break;
		case PS_DF_ENV:
		case PS_DF_ARG:
			for (size_t p = 0; p < x->npairs; p++) {
				const char *k = x->pairs[p].key, *v = x->pairs[p].value;
				const char *why = insecure_env(k, v);

				if (why)
					lint_report(cx, "PSD203", in, 0,
						    "%s switches TLS verification off for every program", why);
				if (v && *v && ps_is_secret_name(k) &&
				    !strchr(x->pairs[p].raw_value ? x->pairs[p].raw_value : v, '$') &&
				    !ends(k, "_FILE") && !ends(k, "_PATH") &&
				    !starts(v, "/run/secrets/"))
					lint_report(cx, "PSD312", in, 0,
						    "%s %s has a literal value: it stays in the image history; use a build secret",
						    ps_df_kind_name(x->kind), k);
			}
			break;
		case PS_DF_COPY:
		case PS_DF_ADD: {
			size_t n = x->argc;

			if (n >= 2 && !x->nheredocs) {
				const char *dst = ps_df_strip_quotes(df, x->argv[n - 1]);

				if (ncopied < PS_ARRAY_LEN(copied) && !flag_value(x, "chown"))
					join_path(copied[ncopied++], sizeof(copied[0]),
						  workdir, dst);
				/* COPY . without .dockerignore */
				if (!flag_value(x, "from") && cx->dir) {
					int all = 0;

					for (size_t a = 0; a + 1 < n; a++) {
						const char *s = ps_df_strip_quotes(df, x->argv[a]);

						if (!lint_strcmp(s, ".") || !lint_strcmp(s, "./") ||
						    !lint_strcmp(s, "*") || !lint_strcmp(s, "./*"))
							all = 1;
					}
					if (all) {
						const char *b = strrchr(cx->file, '/');
						char *p2 = ps_xasprintf("%s.dockerignore", cx->file);

						if (!dir_has_dockerignore(cx->dir) &&
						    access(p2, F_OK) != 0)
							lint_report(cx, "PSD311", in, 0,
								    "%s copies the whole build context and there is no .dockerignore beside %s",
								    x->keyword, b ? b + 1 : cx->file);
						free(p2);
					}
				}
				/* tools brought in by COPY --from */
				if (chain)
					for (size_t a = 0; a + 1 < n; a++) {
						const char *s = x->argv[a];

						if (ends(s, "/curl"))
							installed |= T_CURL;
						if (ends(s, "/wget"))
							installed |= T_WGET;
					}
			}
			break;
		}
		case PS_DF_RUN: {
			if (!sc)
				break;
			int only_update = sc->ncmds > 0;
			int npm_inst = 0, npm_clean = 0;

			for (size_t k = 0; k < sc->ncmds; k++) {
				const struct ps_sh_cmd *c = &sc->cmds[k];
				const char *n = ps_sh_cmd_name(c);
				size_t iw;

				check_insecure_cmd(cx, in, c);
				for (size_t a = 0; a < c->nassigns; a++) {
					const char *t = c->assigns[a].text, *eq = strchr(t, '=');
					char key[128];

					if (!eq || (size_t)(eq - t) >= sizeof(key))
						continue;
					memcpy(key, t, (size_t)(eq - t));
					key[eq - t] = '\0';
					const char *why = insecure_env(key, eq + 1);

					if (why)
						lint_report(cx, "PSD203", in, 0,
							    "%s switches TLS verification off", why);
				}
				if (c->tag == LC_EXPORT)
					for (size_t a = 1; a < c->argc; a++) {
						const char *t = c->argv[a].text, *eq = strchr(t, '=');
						char key[128];

						if (!eq || (size_t)(eq - t) >= sizeof(key))
							continue;
						memcpy(key, t, (size_t)(eq - t));
						key[eq - t] = '\0';
						const char *why = insecure_env(key, eq + 1);

						if (why)
							lint_report(cx, "PSD203", in, 0,
								    "%s switches TLS verification off", why);
					}
				if (only_update && !is_index_update(c))
					only_update = 0;
				/* packages */
				iw = install_word(c);
				if (iw) {
					const char *virt = NULL;

					for (size_t a = 1; a + 1 < c->argc; a++)
						if (!lint_strcmp(c->argv[a].text, "--virtual") ||
						    !lint_strcmp(c->argv[a].text, "-t"))
							virt = c->argv[a + 1].text;
					for (size_t a = iw + 1; a < c->argc; a++) {
						const char *p = c->argv[a].text;
						const char *tc;

						if (p[0] == '-' || (virt && !lint_strcmp(p, virt)))
							continue;
						if (chain) {
							if (pkg_is(p, "curl"))
								installed |= T_CURL;
							if (pkg_is(p, "wget") || pkg_is(p, "busybox"))
								installed |= T_WGET;
							if (pkg_is(p, "netcat") || starts(p, "netcat-") ||
							    pkg_is(p, "ncat") || pkg_is(p, "nmap-ncat") ||
							    pkg_is(p, "busybox"))
								installed |= T_NC;
						}
						tc = toolchain_pkg(p);
						if (tc && !toolchain_done && df->nstages == 1 &&
						    !removed_later(sc, k + 1, p, virt)) {
							lint_report(cx, "PSD301", in, 0,
								    "%s is installed in the final image of a single-stage build: compile in a builder stage and copy the result",
								    p);
							toolchain_done = 1;
						}
					}
				}
				/* chown -R over copied files; chown after USER */
				if (c->tag == LC_CHOWN || c->tag == LC_CHGRP) {
					int rec = ps_sh_has_flag(c, "R") ||
						  ps_sh_has_flag(c, "recursive");
					const char *last = NULL;

					if (nonroot_user)
						lint_report(cx, "PSD307", in, 0,
							    "%s runs after USER as an unprivileged user and fails: set ownership before USER or with COPY --chown",
							    n);
					for (size_t a = 1; a < c->argc; a++)
						if (c->argv[a].text[0] != '-')
							last = c->argv[a].text;
					if (rec && last) {
						int hit = 0;

						for (size_t a = 2; a < c->argc && !hit; a++) {
							char tp[1024];
							const char *t = c->argv[a].text;

							if (t[0] == '-' || strchr(t, '$'))
								continue;
							join_path(tp, sizeof(tp), workdir, t);
							for (size_t d = 0; d < ncopied && !hit; d++)
								hit = paths_overlap(tp, copied[d]);
						}
						if (hit)
							lint_report(cx, "PSD310", in, 0,
								    "chown -R over files copied in an earlier layer duplicates them: use COPY --chown");
					}
				}
				if (c->tag == LC_NPM && (has_arg(c, "install") ||
							      has_arg(c, "ci") || has_arg(c, "i")))
					npm_inst = 1;
				if (c->tag == LC_NPM && has_arg(c, "cache") &&
				    has_arg(c, "clean"))
					npm_clean = 1;
				if (c->tag == LC_RM)
					for (size_t a = 1; a < c->argc; a++)
						if (strstr(c->argv[a].text, ".npm"))
							npm_clean = 1;
			}
			if (only_update)
				lint_report(cx, "PSD205", in, 0,
					    "a package index update alone in a RUN is cached and goes stale: update and install in the same RUN");
			if (npm_inst && !npm_clean && chain) {
				const struct ps_df_flag *m = NULL;

				for (size_t f = 0; f < x->nflags; f++)
					if (!lint_strcmp(x->flags[f].name, "mount") && x->flags[f].value &&
					    strstr(x->flags[f].value, ".npm"))
						m = &x->flags[f];
				if (!m)
					lint_report(cx, "PSD313", in, 0,
						    "npm leaves its cache (~/.npm) in the final image: add npm cache clean --force or a cache mount");
			}
			break;
		}
		default:
			break;
		}
	}
	if (final < 0)
		return;
	const struct ps_df_inst *from_in = &df->insts[df->stages[final].inst];

	/* final stage running as root */
	if (!user_set && base && !lint_streq_ci(base->image_expanded, "scratch") &&
	    !strstr(base->image_expanded, "nonroot") &&
	    !strchr(base->image_expanded, '$'))
		lint_report(cx, "PSD306", from_in, 0,
			    "the final stage runs as root: add a USER with a numeric UID");
	/* HEALTHCHECK */
	if (exposed && !health)
		lint_report(cx, "PSD308", expose_in, 0,
			    "the image EXPOSEs a port but has no HEALTHCHECK");
	if (health && !health_none && health_in) {
		const struct ps_df_inst *h = health_in->inner ? health_in->inner : health_in;
		int have = base ? image_tools(base->image_expanded) : -1;
		struct ps_sh_script hs = { 0 };

		if (h->script) {
			ps_sh_split(df, h->script, &hs);
			lint_tag_cmds(&hs);
			for (size_t k = 0; k < hs.ncmds && have >= 0; k++) {
				const char *n = ps_sh_cmd_name(&hs.cmds[k]);
				int tag = hs.cmds[k].tag;
				int bit = tag == LC_CURL ? T_CURL : tag == LC_WGET ? T_WGET :
					  tag == LC_NC || tag == LC_NETCAT ? T_NC : 0;

				if (bit && !(have & bit) && !(installed & bit)) {
					lint_report(cx, "PSD309", health_in, 0,
						    "the HEALTHCHECK runs %s, which %s does not ship and the Dockerfile never installs",
						    n, base->image_expanded);
					break;
				}
			}
			if (nexp > 0) {
				long pp[16];
				size_t np = probed_ports(h->script, pp, PS_ARRAY_LEN(pp));
				int hit = 0;

				for (size_t a = 0; a < np && !hit; a++)
					for (size_t b = 0; b < nexp && !hit; b++)
						hit = pp[a] == exp_ports[b];
				if (np > 0 && !hit)
					lint_report(cx, "PSD314", health_in, 0,
						    "the HEALTHCHECK probes port %ld, not the EXPOSEd port %ld",
						    pp[0], exp_ports[0]);
			}
		}
	}
}
