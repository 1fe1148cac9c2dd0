/*
 * The rule table of ps-lint-dockerfile (code, kebab name, default severity,
 * the hadolint or checkov equivalent, a one-line rationale), the finding
 * helper and the driver that lints one file.
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include "lib/log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W PS_SEV_WARNING
#define E PS_SEV_ERROR
#define I PS_SEV_INFO
#define S PS_SEV_STYLE

const struct lint_rule lint_rules[] = {
	{ "PSD000", "workdir-relative", E, "DL3000", 0, "use absolute WORKDIR paths" },
	{ "PSD001", "pointless-command", I, "DL3001", 0, "commands like ssh, vim, shutdown, service, ps, free, top, kill, mount make no sense in an image build" },
	{ "PSD002", "last-user-root", W, "DL3002", 0, "the last USER of the final stage should not be root" },
	{ "PSD003", "cd-instead-of-workdir", W, "DL3003", 0, "use WORKDIR to switch to a directory" },
	{ "PSD004", "sudo", E, "DL3004", 0, "do not use sudo: it has unpredictable TTY and signal behaviour" },
	{ "PSD005", "apt-get-dist-upgrade", W, "DL3005", 1, "apt-get dist-upgrade in an image (retired by hadolint; off by default)" },
	{ "PSD006", "image-untagged", W, "DL3006", 0, "always tag the version of a base image explicitly" },
	{ "PSD007", "image-latest", W, "DL3007", 0, "the latest tag is a moving target: pin a version" },
	{ "PSD008", "apt-get-unpinned", W, "DL3008", 0, "pin versions in apt-get install (package=version)" },
	{ "PSD009", "apt-lists-not-deleted", I, "DL3009", 0, "delete /var/lib/apt/lists after installing to keep the layer small" },
	{ "PSD010", "archive-not-added", I, "DL3010", 0, "use ADD to extract a local archive into the image instead of COPY + tar" },
	{ "PSD011", "port-out-of-range", E, "DL3011", 0, "valid UNIX ports range from 0 to 65535" },
	{ "PSD012", "multiple-healthchecks", E, "DL3012", 0, "only the last HEALTHCHECK of a stage takes effect" },
	{ "PSD013", "pip-unpinned", W, "DL3013", 0, "pin versions in pip install (package==version)" },
	{ "PSD014", "apt-get-without-yes", W, "DL3014", 0, "use apt-get -y: a build cannot answer prompts" },
	{ "PSD015", "apt-get-install-recommends", I, "DL3015", 0, "avoid additional packages with --no-install-recommends" },
	{ "PSD016", "npm-unpinned", W, "DL3016", 0, "pin versions in npm install (package@version)" },
	{ "PSD017", "apk-upgrade", W, "DL3017", 1, "apk upgrade in an image (retired by hadolint; off by default)" },
	{ "PSD018", "apk-unpinned", W, "DL3018", 0, "pin versions in apk add (package=version)" },
	{ "PSD019", "apk-without-no-cache", I, "DL3019", 0, "use apk add --no-cache so the index is not kept in the layer" },
	{ "PSD020", "add-instead-of-copy", E, "DL3020", 0, "use COPY for files and folders; ADD only for archives and URLs" },
	{ "PSD021", "copy-dest-not-dir", E, "DL3021", 0, "COPY with more than two arguments needs a destination ending in /" },
	{ "PSD022", "copy-from-unknown-stage", W, "DL3022", 0, "COPY --from should name an earlier FROM alias" },
	{ "PSD023", "copy-from-own-stage", E, "DL3023", 0, "COPY --from cannot name the stage it is in" },
	{ "PSD024", "duplicate-stage-name", E, "DL3024", 0, "FROM aliases (stage names) must be unique" },
	{ "PSD025", "cmd-shell-form", W, "DL3025", 0, "use the JSON (exec) form for CMD and ENTRYPOINT so signals reach the process" },
	{ "PSD026", "registry-not-allowed", E, "DL3026", 0, "use only an allowed registry in FROM" },
	{ "PSD027", "apt-instead-of-apt-get", W, "DL3027", 0, "apt is an end-user tool without a stable interface: use apt-get or apt-cache" },
	{ "PSD028", "gem-unpinned", W, "DL3028", 0, "pin versions in gem install (gem:version or -v)" },
	{ "PSD029", "from-platform", W, "DL3029", 0, "do not hard-code --platform in FROM" },
	{ "PSD030", "yum-without-yes", W, "DL3030", 0, "use yum install -y: a build cannot answer prompts" },
	{ "PSD031", "yum-update", W, "DL3031", 1, "yum update in an image (retired by hadolint; off by default)" },
	{ "PSD032", "yum-clean-missing", W, "DL3032", 0, "run yum clean all after yum install to keep the layer small" },
	{ "PSD033", "yum-unpinned", W, "DL3033", 0, "pin versions in yum install (package-version)" },
	{ "PSD034", "zypper-without-yes", W, "DL3034", 0, "use zypper -n / -y: a build cannot answer prompts" },
	{ "PSD035", "zypper-dist-upgrade", W, "DL3035", 0, "do not use zypper dist-upgrade in an image" },
	{ "PSD036", "zypper-clean-missing", W, "DL3036", 0, "run zypper clean after zypper install" },
	{ "PSD037", "zypper-unpinned", W, "DL3037", 0, "pin versions in zypper install (package=version)" },
	{ "PSD038", "dnf-without-yes", W, "DL3038", 0, "use dnf install -y: a build cannot answer prompts" },
	{ "PSD039", "dnf-update", W, "DL3039", 1, "dnf update in an image (retired by hadolint; off by default)" },
	{ "PSD040", "dnf-clean-missing", W, "DL3040", 0, "run dnf clean all after dnf install" },
	{ "PSD041", "dnf-unpinned", W, "DL3041", 0, "pin versions in dnf install (package-version)" },
	{ "PSD042", "pip-cache", W, "DL3042", 0, "use pip install --no-cache-dir so the wheel cache is not kept" },
	{ "PSD043", "onbuild-forbidden", E, "DL3043", 0, "ONBUILD cannot trigger ONBUILD, FROM or MAINTAINER" },
	{ "PSD044", "env-self-reference", E, "DL3044", 0, "do not refer to a variable in the ENV that defines it" },
	{ "PSD045", "copy-relative-without-workdir", W, "DL3045", 0, "COPY to a relative destination needs a WORKDIR first" },
	{ "PSD046", "useradd-high-uid", W, "DL3046", 0, "useradd with a high UID and without -l bloats /var/log/lastlog" },
	{ "PSD047", "wget-progress", I, "DL3047", 0, "wget without --progress (or -q) floods the build log" },
	{ "PSD048", "label-key-invalid", S, "DL3048", 0, "label keys must follow Docker's key format" },
	{ "PSD049", "label-missing", I, "DL3049", 0, "a label of the label schema is missing" },
	{ "PSD050", "label-superfluous", I, "DL3050", 0, "a label not in the schema (strict labels)" },
	{ "PSD051", "label-empty", W, "DL3051", 0, "a schema label is empty" },
	{ "PSD052", "label-not-url", W, "DL3052", 0, "a url label does not hold a URL" },
	{ "PSD053", "label-not-rfc3339", W, "DL3053", 0, "a time label does not hold an RFC 3339 time" },
	{ "PSD054", "label-not-spdx", W, "DL3054", 0, "a license label does not hold an SPDX identifier" },
	{ "PSD055", "label-not-git-hash", W, "DL3055", 0, "a hash label does not hold a git commit hash" },
	{ "PSD056", "label-not-semver", W, "DL3056", 0, "a semver label does not hold a semantic version" },
	{ "PSD057", "no-healthcheck", I, "DL3057", 1, "the image has no HEALTHCHECK at all (PSD308 is the standards' form)" },
	{ "PSD058", "label-not-email", W, "DL3058", 0, "an email label does not hold an e-mail address" },
	{ "PSD059", "consecutive-run", I, "DL3059", 0, "consecutive RUN instructions: consider one layer" },
	{ "PSD060", "yarn-cache-not-cleaned", I, "DL3060", 0, "run yarn cache clean after yarn install" },
	{ "PSD061", "instruction-before-from", E, "DL3061", 0, "a Dockerfile must begin with FROM, ARG or a comment" },
	{ "PSD062", "go-unpinned", W, "DL3062", 0, "pin versions in go install/get/run (module@version, not @latest)" },
	{ "PSD063", "stage-name-reserved", E, "DL3063", 0, "scratch and context are reserved words, not stage names" },
	{ "PSD064", "sensitive-arg-env-name", W, "DL3064", 0, "ARG and ENV values end up in the image metadata: no secrets" },
	{ "PSD065", "platform-targetplatform-redundant", W, "DL3065", 0, "FROM --platform=$TARGETPLATFORM is the default" },
	{ "PSD066", "user-not-numeric", I, "DL3066", 0, "a user name may not resolve on the host: use a numeric UID" },
	{ "PSD067", "copy-whole-filesystem", W, "DL3067", 0, "do not copy an entire filesystem from another stage" },
	{ "PSD100", "syntax-error", E, "DL1000", 0, "the Dockerfile cannot be parsed" },
	{ "PSD101", "inline-ignore-pragma", I, "DL1001", 1, "prefer the configuration file to inline ignore pragmas" },
	{ "PSD201", "ssh-port-exposed", W, "CKV_DOCKER_1", 0, "do not expose port 22: use docker exec" },
	{ "PSD202", "tls-verification-disabled", W, "CKV2_DOCKER_2", 0, "curl -k, wget --no-check-certificate, pip --trusted-host, strict-ssl off: downloads can be tampered with" },
	{ "PSD203", "tls-verification-disabled-env", W, "CKV2_DOCKER_6", 0, "NODE_TLS_REJECT_UNAUTHORIZED=0, GIT_SSL_NO_VERIFY, PYTHONHTTPSVERIFY=0 switch TLS checks off for everything" },
	{ "PSD204", "package-signature-check-disabled", E, "CKV2_DOCKER_8", 0, "--allow-unauthenticated, --nogpgcheck, --allow-untrusted install unsigned packages" },
	{ "PSD205", "update-alone", W, "CKV_DOCKER_5", 0, "a package index update alone in a RUN is cached and goes stale: update and install in one RUN" },
	{ "PSD301", "toolchain-in-final-stage", W, NULL, 0, "a compiler toolchain in a single-stage image: build in a builder stage" },
	{ "PSD302", "base-image-not-official", I, NULL, 0, "prefer official base images (Docker Official Images, distroless)" },
	{ "PSD303", "base-image-not-minimal", I, NULL, 0, "prefer minimal base images (-slim, -alpine, distroless, scratch) for the final stage" },
	{ "PSD304", "base-image-not-digest", I, NULL, 1, "pin base images by digest for reproducible builds" },
	{ "PSD305", "base-image-version-not-allowed", E, NULL, 0, "the base image version is outside the configured policy" },
	{ "PSD306", "final-stage-root", W, "CKV_DOCKER_3", 0, "the final stage runs as root: add a USER" },
	{ "PSD307", "chown-after-user", E, NULL, 0, "chown after USER runs as the unprivileged user and fails: own files before switching" },
	{ "PSD308", "healthcheck-missing", W, "CKV_DOCKER_2", 0, "an image that EXPOSEs a port needs a HEALTHCHECK" },
	{ "PSD309", "healthcheck-tool-missing", E, NULL, 0, "the HEALTHCHECK uses a tool the image does not ship" },
	{ "PSD310", "chown-copied-files", W, NULL, 0, "RUN chown -R over copied files duplicates them in a new layer: use COPY --chown" },
	{ "PSD311", "copy-all-without-dockerignore", W, NULL, 0, "COPY . without a .dockerignore sends .git, secrets and caches into the image" },
	{ "PSD312", "secret-in-env-arg", E, NULL, 0, "a secret-looking ENV/ARG has a literal value: it stays in the image" },
	{ "PSD313", "package-cache-left", W, NULL, 0, "a package manager cache is left in the final image" },
	{ "PSD314", "healthcheck-port-not-probed", W, NULL, 0, "the HEALTHCHECK does not probe any EXPOSEd port" },
	{ "PSD315", "from-as-casing", S, NULL, 0, "FROM ... AS: keep the keywords' case consistent" },
	{ "PSD400", "maintainer-deprecated", E, "DL4000", 0, "MAINTAINER is deprecated: use LABEL maintainer=" },
	{ "PSD401", "wget-and-curl", W, "DL4001", 0, "use either wget or curl, not both" },
	{ "PSD403", "multiple-cmd", W, "DL4003", 0, "only the last CMD of a stage takes effect" },
	{ "PSD404", "multiple-entrypoint", E, "DL4004", 0, "only the last ENTRYPOINT of a stage takes effect" },
	{ "PSD405", "shell-via-symlink", W, "DL4005", 0, "use SHELL to change the default shell, not a /bin/sh symlink" },
	{ "PSD406", "pipefail-missing", W, "DL4006", 0, "set -o pipefail (SHELL) before RUN with a pipe, or failures are hidden" },
	{ "PSD500", "shellcheck", W, "SC", 0, "ShellCheck finding in a RUN script" },
};
const size_t lint_nrules = PS_ARRAY_LEN(lint_rules);

const struct lint_rule *
lint_rule_find(const char *id)
{
	for (size_t i = 0; i < lint_nrules; i++) {
		const struct lint_rule *r = &lint_rules[i];

		if (lint_streq_ci(id, r->code) || lint_streq_ci(id, r->name) ||
		    (r->ref && lint_streq_ci(id, r->ref)))
			return r;
	}
	return NULL;
}

/* PSDnnn -> index into lint_rules, filled by lint_settings_init (before
 * any thread starts) */
static short code_index[1000];
/* per rule, its refs as a finding holds them ({ ref, NULL }), lent to
 * every finding of the rule */
static char *rule_refs[PS_ARRAY_LEN(lint_rules)][2];
static int code_index_ready;

static void
build_code_index(void)
{
	for (size_t i = 0; i < PS_ARRAY_LEN(code_index); i++)
		code_index[i] = -1;
	for (size_t i = 0; i < lint_nrules; i++)
		code_index[strtol(lint_rules[i].code + 3, NULL, 10)] = (short)i;
	for (size_t i = 0; i < lint_nrules; i++)
		if (lint_rules[i].ref && lint_strcmp(lint_rules[i].ref, "SC") != 0)
			rule_refs[i][0] = (char *)lint_rules[i].ref;
	code_index_ready = 1;
}

static size_t
rule_index(const char *code)
{
	int n;

	if (!code_index_ready)
		build_code_index();
	/* "PSD" and three digits */
	if (code[0] != 'P' || code[1] != 'S' || code[2] != 'D' ||
	    (unsigned)(code[3] - '0') > 9 || (unsigned)(code[4] - '0') > 9 ||
	    (unsigned)(code[5] - '0') > 9 || code[6])
		return lint_nrules;
	n = (code[3] - '0') * 100 + (code[4] - '0') * 10 + (code[5] - '0');
	if (code_index[n] < 0)
		return lint_nrules;
	return (size_t)code_index[n];
}

int
lint_on(const struct lint_ctx *cx, const char *code)
{
	size_t i = rule_index(code);

	return i < lint_nrules && cx->set->sev[i] >= 0;
}

/*
 * A message into out (cap bytes): the conversions the rules use (%s, %.*s,
 * %ld, %%) written here, which is several times cheaper than vsnprintf.
 * Returns its length, or (size_t)-1 when it does not fit or fmt has any
 * other conversion (then vsnprintf does it).
 */
static size_t
format_message(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t n = 0;

	for (const char *p = fmt; *p; p++) {
		const char *s;
		size_t len;
		char num[24];

		if (*p != '%') {
			/* the text up to the next conversion, at once */
			s = p;
			p = strchrnul(p, '%');
			len = (size_t)(p - s);
			if (n + len >= cap)
				return (size_t)-1;
			memcpy(out + n, s, len);
			n += len;
			if (!*p)
				break;
		}
		p++;
		if (*p == 's') {
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			len = strlen(s);
		} else if (p[0] == '.' && p[1] == '*' && p[2] == 's') {
			int prec = va_arg(ap, int);

			s = va_arg(ap, const char *);
			len = prec < 0 ? strlen(s) : strnlen(s, (size_t)prec);
			p += 2;
		} else if (p[0] == 'l' && p[1] == 'd') {
			long v = va_arg(ap, long);
			unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
			size_t k = sizeof(num);

			do
				num[--k] = (char)('0' + u % 10);
			while ((u /= 10) != 0);
			if (v < 0)
				num[--k] = '-';
			s = num + k;
			len = sizeof(num) - k;
			p++;
		} else if (*p == '%') {
			s = "%";
			len = 1;
		} else {
			return (size_t)-1;
		}
		if (n + len >= cap)
			return (size_t)-1;
		memcpy(out + n, s, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}

struct ps_finding *
lint_report(struct lint_ctx *cx, const char *code, const struct ps_df_inst *in,
	    int line, const char *fmt, ...)
{
	size_t i = rule_index(code), mlen, slen = 0;
	const struct lint_rule *r;
	struct ps_finding *f;
	struct ps_buf big = { 0 };
	char stack[512];
	const char *msg = stack;
	va_list ap;

	if (i >= lint_nrules || cx->set->sev[i] < 0)
		return NULL;
	r = &lint_rules[i];
	va_start(ap, fmt);
	mlen = format_message(stack, sizeof(stack), fmt, ap);
	va_end(ap);
	if (mlen == (size_t)-1) {
		va_start(ap, fmt);
		ps_buf_addvf(&big, fmt, ap);
		va_end(ap);
		msg = ps_buf_str(&big);
		mlen = big.len;
	}
	if (in && cx->snippet_raw != in->raw) {
		const char *nl = strchr(in->raw, '\n');

		ps_buf_reset(&cx->line);
		ps_buf_add(&cx->line, in->raw, nl ? (size_t)(nl - in->raw) :
			   strlen(in->raw));
		/* secrets never reach the output: mask KEY=VALUE of secret
		 * names */
		ps_buf_reset(&cx->snippet);
		ps_redact_into(&cx->snippet, ps_buf_str(&cx->line));
		cx->snippet_raw = in->raw;
	}
	if (in)
		slen = cx->snippet.len + 1;
	/* what ps_diags_add makes, without formatting the message twice, in
	 * one allocation with its message and snippet, and with the rule's
	 * strings and the file name lent, not copied */
	f = ps_xmalloc(sizeof(*f) + mlen + 1 + slen);
	memset(f, 0, sizeof(*f));
	f->borrows = PS_BORROWS_TOOL | PS_BORROWS_RULE | PS_BORROWS_NAME |
		     PS_BORROWS_FILE | PS_BORROWS_HELP | PS_BORROWS_REFS |
		     PS_BORROWS_MESSAGE | PS_BORROWS_SNIPPET;
	f->tool = (char *)LINT_TOOL;
	f->rule = (char *)r->code;
	f->name = (char *)r->name;
	f->severity = (enum ps_severity)cx->set->sev[i];
	f->file = (char *)cx->file;
	line = in ? in->line : line;
	f->line = line > 0 ? line : 0;
	f->col = in ? (in->col > 0 ? in->col : 0) : (line ? 1 : 0);
	f->message = (char *)(f + 1);
	memcpy(f->message, msg, mlen);
	f->message[mlen] = '\0';
	ps_buf_free(&big);
	if (in) {
		f->snippet = f->message + mlen + 1;
		memcpy(f->snippet, ps_buf_str(&cx->snippet), slen);
		f->end_line = in->end_line;
	}
	if (rule_refs[i][0])
		f->refs = rule_refs[i];
	f->help = (char *)r->help;
	ps_diags_push(cx->out, f);
	return f;
}

/* ---- commands the rules know ---- */

/* The tag of a command name: compared only with the names of its first
 * letter. */
enum lint_cmd
lint_cmd_of(const char *n)
{
#define TRY(name, tag) if (lint_strcmp(n, name) == 0) return tag
	switch (n[0]) {
	case 'a':
		TRY("apt-get", LC_APT_GET); TRY("apt", LC_APT); TRY("apk", LC_APK);
		TRY("aptitude", LC_APTITUDE);
		break;
	case 'c':
		TRY("cd", LC_CD); TRY("curl", LC_CURL); TRY("chown", LC_CHOWN);
		TRY("chgrp", LC_CHGRP);
		break;
	case 'd':
		TRY("dnf", LC_DNF); TRY("dnf5", LC_DNF5);
		break;
	case 'e':
		TRY("export", LC_EXPORT);
		break;
	case 'f':
		TRY("free", LC_FREE);
		break;
	case 'g':
		TRY("git", LC_GIT); TRY("go", LC_GO); TRY("gem", LC_GEM);
		break;
	case 'k':
		TRY("kill", LC_KILL);
		break;
	case 'l':
		TRY("ln", LC_LN);
		break;
	case 'm':
		TRY("microdnf", LC_MICRODNF); TRY("mount", LC_MOUNT);
		break;
	case 'n':
		TRY("npm", LC_NPM); TRY("nc", LC_NC); TRY("netcat", LC_NETCAT);
		break;
	case 'p':
		TRY("pip", LC_PIP); TRY("pip3", LC_PIP3); TRY("pip2", LC_PIP2);
		TRY("pipx", LC_PIPX); TRY("ps", LC_PS);
		break;
	case 'r':
		TRY("rm", LC_RM); TRY("rpm", LC_RPM);
		break;
	case 's':
		TRY("sudo", LC_SUDO); TRY("service", LC_SERVICE);
		TRY("shutdown", LC_SHUTDOWN); TRY("ssh", LC_SSH);
		break;
	case 't':
		TRY("tdnf", LC_TDNF); TRY("top", LC_TOP);
		break;
	case 'u':
		TRY("useradd", LC_USERADD);
		break;
	case 'v':
		TRY("vim", LC_VIM);
		break;
	case 'w':
		TRY("wget", LC_WGET);
		break;
	case 'y':
		TRY("yum", LC_YUM); TRY("yarn", LC_YARN);
		break;
	case 'z':
		TRY("zypper", LC_ZYPPER);
		break;
	default:
		break;
	}
#undef TRY
	return LC_OTHER;
}

void
lint_tag_cmds(struct ps_sh_script *sc)
{
	for (size_t k = 0; k < sc->ncmds; k++)
		sc->cmds[k].tag = (int)lint_cmd_of(ps_sh_cmd_name(&sc->cmds[k]));
}

/* ---- settings basics ---- */

void
lint_settings_init(struct lint_settings *s)
{
	memset(s, 0, sizeof(*s));
	if (!code_index_ready)
		build_code_index();
	for (size_t i = 0; i < lint_nrules && i < PS_ARRAY_LEN(s->sev); i++)
		s->sev[i] = lint_rules[i].off ? -1 : (int)lint_rules[i].sev;
}

int
lint_settings_enable(struct lint_settings *s, const char *id, int on)
{
	int hit = 0;

	for (size_t i = 0; i < lint_nrules; i++) {
		const struct lint_rule *r = &lint_rules[i];

		if (lint_streq_ci(id, "all") || lint_streq_ci(id, r->code) ||
		    lint_streq_ci(id, r->name) ||
		    (r->ref && lint_streq_ci(id, r->ref))) {
			s->sev[i] = on ? (int)r->sev : -1;
			hit = 1;
		}
	}
	/* ShellCheck codes: on/off as a whole is PSD500; single codes are
	 * dropped by the pragma/ignore filter */
	return hit ? 0 : -1;
}

int
lint_settings_severity(struct lint_settings *s, const char *id,
		       enum ps_severity sev)
{
	int hit = 0;

	for (size_t i = 0; i < lint_nrules; i++) {
		const struct lint_rule *r = &lint_rules[i];

		if (lint_streq_ci(id, r->code) || lint_streq_ci(id, r->name) ||
		    (r->ref && lint_streq_ci(id, r->ref))) {
			s->sev[i] = sev == PS_SEV_NONE ? -1 : (int)sev;
			hit = 1;
		}
	}
	return hit ? 0 : -1;
}

/* ---- image references ---- */

void
lint_image_parse(const char *image, struct image_ref *r)
{
	size_t n = strlen(image);
	char *b = n < sizeof(r->room) ? r->room : ps_xmalloc(n + 1);
	char *at, *slash, *colon;

	memcpy(b, image, n + 1);
	r->buf = b;
	r->registry = r->tag = r->digest = NULL;
	at = strchr(b, '@');
	if (at) {
		*at = '\0';
		r->digest = at + 1;
	}
	slash = strchr(b, '/');
	if (slash) {
		size_t first = (size_t)(slash - b);

		if (memchr(b, '.', first) || memchr(b, ':', first) ||
		    (first == 9 && strncmp(b, "localhost", 9) == 0)) {
			*slash = '\0';
			r->registry = b;
			b = slash + 1;
		}
	}
	if (!r->registry)
		r->registry = "";
	slash = strrchr(b, '/');
	colon = strrchr(slash ? slash : b, ':');
	if (colon) {
		*colon = '\0';
		r->tag = colon + 1;
	}
	r->repo = b;
}

void
lint_image_free(struct image_ref *r)
{
	if (r->buf != r->room)
		free(r->buf);
	r->buf = NULL;
}

/* fnmatch-like: * and ? only. */
int
lint_glob(const char *p, const char *s)
{
	const char *star = NULL, *ss = NULL;

	while (*s) {
		if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (*p == '*') {
			star = p++;
			ss = s;
		} else if (star) {
			p = star + 1;
			s = ++ss;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ---- the driver ---- */

static const char *const posix_shells[] = {
	"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox", NULL
};

static int
shell_is_posix(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	for (const char *const *p = posix_shells; *p; p++)
		if (lint_strcmp(b, *p) == 0)
			return 1;
	return 0;
}

/* hadolint's "# hadolint shell=pwsh" pragma: the shell from a line on. */
static const char *
pragma_shell(const struct ps_df_comment *c)
{
	const char *t = c->text;

	if ((t[0] | 0x20) != 'h' && (t[0] | 0x20) != 'p')
		return NULL;	/* (no pragma: most comments) */
	if (strncasecmp(t, "hadolint", 8) == 0)
		t += 8;
	else if (strncasecmp(t, "ps-lint", 7) == 0)
		t += 7;
	else
		return NULL;
	while (*t == ' ' || *t == '\t')
		t++;
	if (strncmp(t, "shell=", 6) != 0)
		return NULL;
	return t + 6;
}

static const char *
shell_base(const char *path)
{
	const char *b = strrchr(path, '/');
	const char *w = strrchr(path, '\\');

	if (w && (!b || w > b))
		b = w;
	return b ? b + 1 : path;
}

/* SHELL ["/bin/bash", "-o", "pipefail", "-c"]: pipefail for shells that
 * have it (not plain sh). */
static int
shell_pipefail(const struct ps_df_inst *in)
{
	const char *b = shell_base(in->argv[0]);

	if (lint_strcmp(b, "sh") == 0 || lint_strcmp(b, "dash") == 0)
		return 0;
	for (size_t i = 1; i < in->argc; i++)
		if (lint_strcmp(in->argv[i], "pipefail") == 0 ||
		    strstr(in->argv[i], "-o pipefail") ||
		    lint_strcmp(in->argv[i], "-opipefail") == 0)
			return 1;
	return 0;
}

struct shell_state {
	int posix;
	int pipefail;
	const char *name;
};

/* Per instruction: the shell a RUN goes to (SHELL per stage, inherited by
 * FROM <stage>; hadolint's shell= pragma from its line on). */
static void
shell_states(struct lint_ctx *cx)
{
	struct ps_dockerfile *df = cx->df;
	struct shell_state cur = { 1, 0, "sh" };
	struct shell_state *end = ps_df_calloc(df, df->nstages + 1, sizeof(*end));
	int pragma = -1;	/* -1 none, else posix of the pragma's shell */
	const char *pragma_name = "sh";
	size_t ci = 0;
	int stage = -1;

	for (size_t i = 0; i < df->ninsts; i++) {
		struct ps_df_inst *in = &df->insts[i];
		const struct ps_df_inst *x = in->inner ? in->inner : in;

		for (; ci < df->ncomments && df->comments[ci].line < in->line; ci++) {
			const char *sh = pragma_shell(&df->comments[ci]);

			if (sh) {
				char word[64];
				size_t k = 0;

				while (*sh == ' ')
					sh++;
				while (sh[k] && !isspace((unsigned char)sh[k]) &&
				       k < sizeof(word) - 1) {
					word[k] = sh[k];
					k++;
				}
				word[k] = '\0';
				pragma = shell_is_posix(shell_base(word));
				pragma_name = pragma ? "sh" : "powershell";
				cur.posix = pragma;
				cur.name = pragma_name;
			}
		}
		if (in->kind == PS_DF_FROM && in->stage != stage) {
			int p = -1;

			if (stage >= 0)
				end[stage] = cur;
			stage = in->stage;
			for (int k = stage - 1; k >= 0 && stage >= 0; k--)
				if (df->stages[k].name &&
				    lint_streq_ci(df->stages[k].name,
						  df->stages[stage].image_expanded)) {
					p = k;
					break;
				}
			if (p >= 0) {
				cur = end[p];
			} else {
				cur.posix = pragma < 0 ? 1 : pragma;
				cur.pipefail = 0;
				cur.name = pragma < 0 ? "sh" : pragma_name;
			}
		}
		if (x->kind == PS_DF_SHELL && x->exec_form && x->argc > 0) {
			const char *b = shell_base(x->argv[0]);

			cur.posix = shell_is_posix(b);
			cur.pipefail = shell_pipefail(x);
			cur.name = lint_strcmp(b, "bash") == 0 ? "bash" :
				   lint_strcmp(b, "ksh") == 0 || lint_strcmp(b, "mksh") == 0 ? "ksh" :
				   lint_strcmp(b, "dash") == 0 ? "dash" :
				   lint_strcmp(b, "zsh") == 0 ? "bash" : "sh";
		}
		cx->posix[i] = cur.posix;
		cx->pipefail[i] = cur.pipefail;
		cx->shell[i] = cur.name;
	}
}

/* The buffers of a finding's snippet, kept by each thread from file to
 * file (lint_scratch_release gives them back). */
static _Thread_local struct ps_buf tl_snippet, tl_line;

void
lint_scratch_release(void)
{
	ps_buf_free(&tl_snippet);
	ps_buf_free(&tl_line);
	lint_rules_std_release();
}

void
lint_text(const struct lint_settings *set, const char *file, const char *dir,
	  const char *text, size_t len, struct ps_diags *out)
{
	struct ps_error err = { 0 };
	struct ps_dockerfile *df = ps_df_parse(file, text, len, &err);
	struct lint_ctx cx = { 0 };
	size_t first = out->len;

	cx.set = set;
	cx.df = df;
	cx.file = file;
	cx.dir = dir;
	cx.out = out;
	if (!df) {
		lint_report(&cx, "PSD100", NULL, 1, "%s", err.msg);
		return;
	}
	/* the snippet buffers of the thread's last file */
	cx.snippet = tl_snippet;
	cx.line = tl_line;
	for (size_t i = 0; i < df->nerrors; i++) {
		struct ps_finding *f = lint_report(&cx, "PSD100", NULL,
						   df->errors[i].line, "%s",
						   df->errors[i].msg);
		if (f)
			f->col = df->errors[i].col;
	}
	struct ps_sh_script *split = ps_df_calloc(df, df->ninsts + 1, sizeof(*split));

	cx.scripts = ps_df_calloc(df, df->ninsts + 1, sizeof(*cx.scripts));
	cx.posix = ps_df_calloc(df, df->ninsts + 1, sizeof(*cx.posix));
	cx.pipefail = ps_df_calloc(df, df->ninsts + 1, sizeof(*cx.pipefail));
	cx.shell = ps_df_calloc(df, df->ninsts + 1, sizeof(*cx.shell));
	shell_states(&cx);
	for (size_t i = 0; i < df->ninsts; i++) {
		struct ps_df_inst *in = &df->insts[i];
		struct ps_df_inst *run = in->inner ? in->inner : in;

		if (run->kind == PS_DF_RUN && cx.posix[i] && run->script) {
			cx.scripts[i] = &split[i];
			ps_sh_split(df, run->script, cx.scripts[i]);
			lint_tag_cmds(cx.scripts[i]);
		}
	}
	lint_rules_dl(&cx);
	lint_rules_label(&cx);
	lint_rules_std(&cx);
	if (set->shellcheck != SC_NEVER && set->shellcheck_path &&
	    lint_on(&cx, "PSD500"))
		lint_shellcheck(&cx);
	lint_pragmas_apply(&cx, first);
	/* (the per-instruction state is in df's arena) */
	tl_snippet = cx.snippet;
	tl_line = cx.line;
	ps_df_free(df);
}
