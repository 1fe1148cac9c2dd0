/*
 * Label rules (hadolint DL3048-DL3058): key format, and the label schema of
 * the configuration (required labels per output stage, their value types,
 * strict mode for labels outside the schema).
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int
key_valid(const char *k)
{
	size_t n = strlen(k);

	if (strncmp(k, "com.docker.", 11) == 0 || strncmp(k, "io.docker.", 10) == 0 ||
	    strncmp(k, "org.dockerproject.", 18) == 0)
		return 0;
	if (n == 0 || !islower((unsigned char)k[0]))
		return 0;
	if (!(islower((unsigned char)k[n - 1]) || isdigit((unsigned char)k[n - 1])))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) ||
		      c == '.' || c == '-'))
			return 0;
		if ((c == '.' || c == '-') && (k[i + 1] == '.' || k[i + 1] == '-'))
			return 0;
	}
	return 1;
}

static int
is_url(const char *v)
{
	const char *p = v;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-')
		p++;
	return strncmp(p, "://", 3) == 0 && p[3] && !strchr(p + 3, ' ');
}

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
is_rfc3339(const char *s)
{
	if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't' &&
						 s[10] != ' ') ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	    s[16] != ':' || !digits(s + 17, 2))
		return 0;
	s += 19;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if ((*s == 'Z' || *s == 'z') && !s[1])
		return 1;
	return (*s == '+' || *s == '-') && digits(s + 1, 2) && s[3] == ':' &&
	       digits(s + 4, 2) && !s[6];
}

static const char *const spdx_ids[] = {
	"0BSD", "AFL-3.0", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later",
	"Apache-1.1", "Apache-2.0", "Artistic-2.0", "BSD-1-Clause",
	"BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause",
	"BSD-3-Clause-Clear", "BSD-4-Clause", "BSL-1.0", "CC-BY-4.0",
	"CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1", "EPL-1.0", "EPL-2.0",
	"EUPL-1.1", "EUPL-1.2", "GPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later",
	"GPL-3.0", "GPL-3.0-only", "GPL-3.0-or-later", "ISC", "LGPL-2.0",
	"LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1", "LGPL-2.1-only",
	"LGPL-2.1-or-later", "LGPL-3.0", "LGPL-3.0-only", "LGPL-3.0-or-later",
	"MIT", "MIT-0", "MPL-1.1", "MPL-2.0", "MS-PL", "NCSA", "OFL-1.1",
	"OpenSSL", "PHP-3.01", "PostgreSQL", "Python-2.0", "Ruby", "Unlicense",
	"UPL-1.0", "Vim", "W3C", "WTFPL", "X11", "Zlib", "ZPL-2.1", "curl",
	"BlueOak-1.0.0", "Elastic-2.0", "SSPL-1.0", "BUSL-1.1", "ICU",
	"Unicode-DFS-2016", NULL
};

static int
is_spdx(const char *v)
{
	/* an expression: ids joined by AND / OR / WITH, parentheses */
	char buf[512];
	char *save = NULL, *t;
	int ok = 1, any = 0;

	if (strlen(v) >= sizeof(buf))
		return 0;
	for (size_t i = 0, j = 0; ; i++) {
		char c = v[i];

		buf[j++] = (c == '(' || c == ')') ? ' ' : c;
		if (!c)
			break;
	}
	for (t = strtok_r(buf, " ", &save); t && ok; t = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(t);
		int hit = 0;

		if (!lint_strcmp(t, "AND") || !lint_strcmp(t, "OR") || !lint_strcmp(t, "WITH"))
			continue;
		if (n > 0 && t[n - 1] == '+')
			t[n - 1] = '\0';
		if (!strncmp(t, "LicenseRef-", 11) || !strncmp(t, "DocumentRef-", 12))
			hit = 1;
		for (const char *const *s = spdx_ids; *s && !hit; s++)
			hit = strcasecmp(*s, t) == 0;
		if (!hit && strstr(t, "-exception"))
			hit = 1;
		ok = hit;
		any = 1;
	}
	return ok && any;
}

static int
is_hash(const char *v)
{
	size_t n = strlen(v);

	return (n >= 7 && n <= 40) && strspn(v, "0123456789abcdefABCDEF") == n;
}

static int
num_id(const char **p)
{
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return 0;
	if (*s == '0' && isdigit((unsigned char)s[1]))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	*p = s;
	return 1;
}

static int
is_semver(const char *v)
{
	const char *p = v;

	if (!num_id(&p) || *p++ != '.' || !num_id(&p) || *p++ != '.' || !num_id(&p))
		return 0;
	if (*p == '-') {
		p++;
		if (!(isalnum((unsigned char)*p) || *p == '-'))
			return 0;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	}
	if (*p == '+') {
		p++;
		if (!(isalnum((unsigned char)*p) || *p == '-'))
			return 0;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
			p++;
	}
	return *p == '\0';
}

static int
is_email(const char *v)
{
	const char *at = strchr(v, '@');

	if (!at || at == v || strchr(at + 1, '@') || strchr(v, ' '))
		return 0;
	const char *dot = strchr(at + 1, '.');

	return dot && dot > at + 1 && dot[1];
}

static const struct label_req *
schema_find(const struct lint_settings *s, const char *k)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (lint_strcmp(s->labels[i].name, k) == 0)
			return &s->labels[i];
	return NULL;
}

static int
parent_of(const struct ps_dockerfile *df, int s)
{
	for (int k = s - 1; k >= 0; k--)
		if (df->stages[k].name &&
		    lint_streq_ci(df->stages[k].name, df->stages[s].image_expanded))
			return k;
	return -1;
}


void
lint_rules_label(struct lint_ctx *cx)
{
	struct ps_dockerfile *df = cx->df;
	const struct lint_settings *set = cx->set;

	for (size_t i = 0; i < df->ninsts; i++) {
		const struct ps_df_inst *in = &df->insts[i];
		const struct ps_df_inst *x = in->inner ? in->inner : in;

		if (x->kind != PS_DF_LABEL)
			continue;
		for (size_t p = 0; p < x->npairs; p++) {
			const char *k = x->pairs[p].key, *v = x->pairs[p].value;
			const struct label_req *rq = schema_find(set, k);

			if (!key_valid(k))
				lint_report(cx, "PSD048", in, 0, "label key %s is not valid", k);
			if (set->strict_labels && set->nlabels > 0 && !rq)
				lint_report(cx, "PSD050", in, 0,
					    "label %s is not in the label schema", k);
			if (!rq)
				continue;
			if (!v || !*v) {
				lint_report(cx, "PSD051", in, 0, "label %s is empty", k);
				continue;
			}
			if (strchr(v, '$'))
				continue;
			switch (rq->type) {
			case LABEL_URL:
				if (!is_url(v))
					lint_report(cx, "PSD052", in, 0, "label %s is not a URL", k);
				break;
			case LABEL_RFC3339:
				if (!is_rfc3339(v))
					lint_report(cx, "PSD053", in, 0,
						    "label %s is not an RFC 3339 time", k);
				break;
			case LABEL_SPDX:
				if (!is_spdx(v))
					lint_report(cx, "PSD054", in, 0,
						    "label %s is not an SPDX license identifier", k);
				break;
			case LABEL_HASH:
				if (!is_hash(v))
					lint_report(cx, "PSD055", in, 0,
						    "label %s is not a git commit hash", k);
				break;
			case LABEL_SEMVER:
				if (!is_semver(v))
					lint_report(cx, "PSD056", in, 0,
						    "label %s is not a semantic version", k);
				break;
			case LABEL_EMAIL:
				if (!is_email(v))
					lint_report(cx, "PSD058", in, 0,
						    "label %s is not an e-mail address", k);
				break;
			default:
				break;
			}
		}
	}
	/* DL3049: a required label missing from a stage that is an output;
	 * a stage is let off when a later stage built FROM it sets the label
	 * or a COPY --from takes files out of it */
	if (set->nlabels == 0 || df->nstages == 0)
		return;
	size_t ns = df->nstages;
	char *good = ps_xmalloc(ns), *bad = ps_xmalloc(ns);

	for (size_t l = 0; l < set->nlabels; l++) {
		const char *label = set->labels[l].name;
		int cur = -1;

		memset(good, 0, ns);
		memset(bad, 0, ns);
		for (size_t i = 0; i < df->ninsts; i++) {
			const struct ps_df_inst *in = &df->insts[i];

			if (in->kind == PS_DF_FROM && in->stage >= 0 && in->stage != cur) {
				int p = parent_of(df, in->stage);

				cur = in->stage;
				if (p >= 0 && good[p])
					good[cur] = 1;
				else
					bad[cur] = 1;
			} else if (in->kind == PS_DF_COPY) {
				const struct ps_df_flag *f = ps_df_flag(in, "from");

				if (f && f->value)
					for (size_t s2 = 0; s2 < ns; s2++)
						if (df->stages[s2].name &&
						    lint_streq_ci(df->stages[s2].name, f->value))
							bad[s2] = 0;
			} else if (in->kind == PS_DF_LABEL && cur >= 0) {
				int has = 0;

				for (size_t p = 0; p < in->npairs; p++)
					if (lint_strcmp(in->pairs[p].key, label) == 0)
						has = 1;
				if (!has)
					continue;
				const char *me = df->stages[cur].name ? df->stages[cur].name :
						 df->stages[cur].image_expanded;

				for (size_t s2 = 0; s2 < ns; s2++)
					if (df->stages[s2].name &&
					    lint_streq_ci(df->stages[s2].name, me))
						bad[s2] = 0;
				good[cur] = 1;
				bad[cur] = 0;
			}
		}
		for (size_t s2 = 0; s2 < ns; s2++)
			if (bad[s2])
				lint_report(cx, "PSD049", &df->insts[df->stages[s2].inst], 0,
					    "label %s is missing", label);
	}
	free(good);
	free(bad);
}
