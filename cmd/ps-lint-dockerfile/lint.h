/*
 * ps-lint-dockerfile internals: the rule table, the settings a run uses
 * (from .ps-lint.yml / .hadolint.yaml and the command line), the context a
 * rule sees while checking one parsed Dockerfile, and the entry points of
 * the files that make up the linter.
 */
#ifndef PS_LINT_DOCKERFILE_LINT_H
#define PS_LINT_DOCKERFILE_LINT_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "lib/diag.h"
#include "lib/dockerfile.h"

#define LINT_TOOL "ps-lint-dockerfile"

struct lint_rule {
	const char *code;	/* "PSD008" */
	const char *name;	/* "apt-get-unpinned" */
	enum ps_severity sev;	/* default severity */
	const char *ref;	/* "DL3008", a checkov id, or NULL */
	int off;		/* off unless enabled (hadolint's "ignore") */
	const char *help;	/* one-line rationale */
};

extern const struct lint_rule lint_rules[];
extern const size_t lint_nrules;
/* The rule by code, name or ref (case-insensitive); NULL when none. */
const struct lint_rule *lint_rule_find(const char *id);

/* Label schema types of hadolint (DL3048-DL3058). */
enum label_type {
	LABEL_TEXT = 0,
	LABEL_URL,
	LABEL_RFC3339,
	LABEL_SPDX,
	LABEL_HASH,
	LABEL_SEMVER,
	LABEL_EMAIL,
};

struct label_req {
	char *name;
	enum label_type type;
};

/* An allowed-versions policy entry: image name -> glob patterns of tags. */
struct version_policy {
	char *image;
	char **patterns;
	size_t npatterns;
};

enum shellcheck_mode {
	SC_AUTO = 0,	/* when shellcheck is on PATH */
	SC_NEVER,
	SC_ALWAYS,	/* fail when it is missing */
};

struct lint_settings {
	/* per rule (index into lint_rules): -1 off, else the severity */
	int sev[256];
	char **registries;		/* trusted registries (DL3026) */
	size_t nregistries;
	struct label_req *labels;	/* label schema */
	size_t nlabels;
	int strict_labels;
	struct version_policy *versions;
	size_t nversions;
	enum ps_severity failure_threshold; /* from the file; 0 unset */
	int has_threshold;
	enum shellcheck_mode shellcheck;
	const char *shellcheck_path;	/* resolved, or NULL */
	/* ids that name no rule of the table (ShellCheck's SC2086 ...):
	 * findings carrying them in refs are dropped */
	char **ignore_ids;
	size_t nignore_ids;
};

void lint_settings_init(struct lint_settings *s);
void lint_settings_free(struct lint_settings *s);
/* Turn a rule (code, name, ref or "all") on at its default severity or
 * off; -1 when id names no rule. */
int lint_settings_enable(struct lint_settings *s, const char *id, int on);
int lint_settings_severity(struct lint_settings *s, const char *id,
			   enum ps_severity sev);
/*
 * Load a .ps-lint.yml (its "dockerfile:" section or top-level keys) or a
 * .hadolint.yaml into s. Errors go to diags (config findings).
 * Returns 0, or -1 when the file could not be read or parsed.
 */
int lint_settings_load(struct lint_settings *s, const char *path,
		       struct ps_diags *diags);
/* The nearest .ps-lint.yml (else .hadolint.yaml / .hadolint.yml) upward
 * from dir; malloc'd path or NULL. */
char *lint_settings_find(const char *dir);
/* lint_settings_find, each directory's answer (its own and on the way up)
 * remembered in c for the next ones. */
struct lint_find_cache {
	struct { char *dir; char *cfg; } *v;
	size_t len, cap;
};
char *lint_settings_find_cached(const char *dir, struct lint_find_cache *c);
void lint_find_cache_free(struct lint_find_cache *c);

/* What the rules see. */
struct lint_ctx {
	const struct lint_settings *set;
	struct ps_dockerfile *df;
	const char *file;		/* as given by the user */
	const char *dir;		/* its directory, for .dockerignore; NULL for stdin */
	struct ps_diags *out;
	/* per instruction: the split RUN script (NULL when not a POSIX shell) */
	struct ps_sh_script **scripts;
	int *posix;			/* per instruction: a POSIX shell runs it */
	int *pipefail;			/* per instruction: SHELL sets -o pipefail */
	const char **shell;		/* per instruction: sh, bash, ... for ShellCheck */
	/* the snippet of the last instruction reported (its first line,
	 * secrets masked), for the next finding about it */
	const char *snippet_raw;
	struct ps_buf snippet;
	struct ps_buf line;		/* (the first line, before masking) */
};

/*
 * The commands the rules look for, told once for each command of a split
 * script (lint_tag_cmds sets ps_sh_cmd.tag; LC_OTHER for the rest): the
 * rules compare a tag, not the name with each command they know.
 */
enum lint_cmd {
	LC_OTHER = 0,
	LC_APK, LC_APT, LC_APT_GET, LC_APTITUDE, LC_CD, LC_CHGRP, LC_CHOWN,
	LC_CURL, LC_DNF, LC_DNF5, LC_EXPORT, LC_GEM, LC_GIT, LC_GO, LC_LN,
	LC_MICRODNF, LC_NC, LC_NETCAT, LC_NPM, LC_PIP, LC_PIP2, LC_PIP3,
	LC_PIPX, LC_RM, LC_RPM, LC_SUDO, LC_TDNF, LC_USERADD, LC_WGET,
	LC_YARN, LC_YUM, LC_ZYPPER,
	/* commands that make no sense in a build (DL3001) */
	LC_FREE, LC_KILL, LC_MOUNT, LC_PS, LC_SERVICE, LC_SHUTDOWN, LC_SSH,
	LC_TOP, LC_VIM,
};
#define LC_POINTLESS(tag) ((tag) >= LC_FREE && (tag) <= LC_VIM)
enum lint_cmd lint_cmd_of(const char *name);
void lint_tag_cmds(struct ps_sh_script *sc);

/* Give back what lint_text keeps for the thread's next file: its buffers,
 * and the last directory's answer to "is there a .dockerignore?". */
void lint_scratch_release(void);
/* (the latter, for the standards' rules) */
void lint_rules_std_release(void);

/* Report a finding of rule (code) at an instruction (or line if in NULL). */
struct ps_finding *lint_report(struct lint_ctx *cx, const char *code,
			       const struct ps_df_inst *in, int line,
			       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Whether a rule is on (cheap; rules skip work when off). */
int lint_on(const struct lint_ctx *cx, const char *code);

/* The rules: hadolint's (rules_dl.c), labels (rules_label.c), the
 * standards' and checkov's (rules_std.c), ShellCheck (shellcheck.c). */
void lint_rules_dl(struct lint_ctx *cx);
void lint_rules_label(struct lint_ctx *cx);
void lint_rules_std(struct lint_ctx *cx);
void lint_shellcheck(struct lint_ctx *cx);

/* Pragmas: drop the findings that inline pragmas ignore (pragma.c). */
void lint_pragmas_apply(struct lint_ctx *cx, size_t first);

/*
 * Lint one file's text: every finding goes to out (sorted by line).
 * dir is the file's directory (NULL for stdin). The findings borrow file:
 * it must outlive them.
 */
void lint_text(const struct lint_settings *set, const char *file,
	       const char *dir, const char *text, size_t len,
	       struct ps_diags *out);

/* Files: expand operands (files, directories) into Dockerfile paths. */
struct file_list {
	char **v;
	unsigned char *reg;	/* per file: known to be a regular file */
	int *at;		/* per file: a descriptor of its directory to
				 * open its last component from, or -1 */
	size_t len;
	size_t cap;
	int dirs[64];		/* the descriptors at refers to */
	int ndirs;
};
/* Returns 0, or -1 with err for an operand that cannot be read. */
int lint_collect(const char *operand, struct file_list *fl,
		 struct ps_error *err);
/* lint_collect of n operands in order, their stat(2) calls on up to jobs
 * threads when there are many. */
int lint_collect_all(char *const *ops, size_t n, int jobs,
		     struct file_list *fl, struct ps_error *err);
int lint_is_dockerfile_name(const char *base);
void lint_files_free(struct file_list *fl);

/* Helpers shared by the rule files. */
/* Equal but for ASCII case; the usual mismatch settled on the first byte
 * without a call. */
static inline int
lint_streq_ci(const char *a, const char *b)
{
	if ((a[0] | 0x20) != (b[0] | 0x20))
		return 0;
	return strcasecmp(a, b) == 0;
}
/* strcmp that settles the usual mismatch on the first bytes without a call
 * (the rules compare every command name with many literals). */
static inline int
lint_strcmp(const char *a, const char *b)
{
	if (a[0] != b[0])
		return (unsigned char)a[0] - (unsigned char)b[0];
	if (a[0] == '\0')
		return 0;
	/* (apt, apk, apt-get; pip, pip3, pipx: the second byte too) */
	if (a[1] != b[1])
		return (unsigned char)a[1] - (unsigned char)b[1];
	return strcmp(a, b);
}
/* s begins with p, ends with p (inline: p is mostly a literal, whose
 * length the compiler knows) */
static inline int
starts(const char *s, const char *p)
{
	return !p[0] || (s[0] == p[0] && strncmp(s, p, strlen(p)) == 0);
}

static inline int
ends(const char *s, const char *p)
{
	size_t n = strlen(s), m = strlen(p);

	return n >= m && lint_strcmp(s + n - m, p) == 0;
}

/* image reference parts: registry ("" for Docker Hub), repository path,
 * tag (NULL), digest (NULL). Pointers into a copy in buf. */
struct image_ref {
	const char *registry;
	const char *repo;
	const char *tag;
	const char *digest;
	char *buf;		/* the parts' bytes: room, or malloc'd if long */
	char room[128];		/* (the parts point into it: not to be copied) */
};
void lint_image_parse(const char *image, struct image_ref *r);
void lint_image_free(struct image_ref *r);
int lint_glob(const char *pat, const char *s);

#endif
