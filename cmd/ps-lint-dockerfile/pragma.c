/*
 * Inline pragmas: "# ps-lint ignore=RULE[,RULE] -- reason" on the line
 * before an instruction, "# ps-lint global ignore=..." for the whole file,
 * "# ps-lint stage ignore=..." for one build stage, and hadolint's own
 * "# hadolint ignore=DL3008" / "global ignore=" / "stage ignore=" forms.
 * (The "shell=" pragma is read by the driver in rules.c.)
 */
#include "cmd/ps-lint-dockerfile/lint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum scope { SCOPE_NEXT, SCOPE_STAGE, SCOPE_GLOBAL };

struct pragma {
	enum scope scope;
	int line;
	int lo, hi;		/* lines it covers */
	char ids[16][64];
	size_t nids;
};

static const char *
skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int
word(const char **s, const char *w)
{
	size_t n = strlen(w);

	/* (most comments are no pragma: their first letter says so) */
	if ((((*s)[0] ^ w[0]) & ~0x20) != 0 || strncasecmp(*s, w, n) != 0)
		return 0;
	*s += n;
	return 1;
}

static int
valid_id(const char *id)
{
	if (lint_rule_find(id))
		return 1;
	if ((strncasecmp(id, "DL", 2) == 0 || strncasecmp(id, "SC", 2) == 0) &&
	    id[2] && strspn(id + 2, "0123456789") == strlen(id + 2))
		return 1;
	return 0;
}

/* Parse one comment; 1 when it is an ignore pragma. */
static int
parse_pragma(const char *t, struct pragma *p)
{
	if (!word(&t, "hadolint") && !word(&t, "ps-lint"))
		return 0;
	p->line = p->lo = p->hi = 0;
	p->nids = 0;
	if (*t != ' ' && *t != '\t')
		return 0;
	t = skip_sp(t);
	p->scope = SCOPE_NEXT;
	if (word(&t, "global")) {
		p->scope = SCOPE_GLOBAL;
		t = skip_sp(t);
	} else if (word(&t, "stage")) {
		p->scope = SCOPE_STAGE;
		t = skip_sp(t);
	}
	if (!word(&t, "ignore"))
		return 0;
	t = skip_sp(t);
	if (*t != '=')
		return 0;
	t++;
	while (*t) {
		t = skip_sp(t);
		if (*t == ',') {
			t++;
			continue;
		}
		if (!*t || *t == '#' || (t[0] == '-' && t[1] == '-'))
			break;
		size_t n = strcspn(t, ", \t#");

		if (n > 0 && n < sizeof(p->ids[0]) && p->nids < PS_ARRAY_LEN(p->ids)) {
			memcpy(p->ids[p->nids], t, n);
			p->ids[p->nids][n] = '\0';
			p->nids++;
		}
		t += n;
	}
	/* hadolint: a pragma naming an unknown rule is not a pragma */
	for (size_t i = 0; i < p->nids; i++)
		if (!valid_id(p->ids[i]))
			return 0;
	return p->nids > 0;
}

static int
matches(const struct ps_finding *f, const char *id)
{
	if (lint_streq_ci(f->rule, id) || (f->name && lint_streq_ci(f->name, id)))
		return 1;
	for (size_t r = 0; f->refs && f->refs[r]; r++)
		if (lint_streq_ci(f->refs[r], id))
			return 1;
	return 0;
}

void
lint_pragmas_apply(struct lint_ctx *cx, size_t first)
{
	struct ps_dockerfile *df = cx->df;
	struct pragma *pv = NULL, tmp;
	size_t np = 0, cap = 0, ii = 0;

	for (size_t c = 0; c < df->ncomments; c++) {
		struct pragma *p = &tmp;
		const struct ps_df_comment *cm = &df->comments[c];

		if (cm->in_continuation || !parse_pragma(cm->text, p))
			continue;
		p->line = cm->line;
		while (ii < df->ninsts && df->insts[ii].line < cm->line)
			ii++;
		switch (p->scope) {
		case SCOPE_GLOBAL:
			p->lo = 0;
			p->hi = 1 << 30;
			break;
		case SCOPE_NEXT:
			if (ii >= df->ninsts)
				continue;
			p->lo = df->insts[ii].line;
			p->hi = df->insts[ii].line;
			break;
		case SCOPE_STAGE: {
			int s = ii < df->ninsts ? df->insts[ii].stage :
				(int)df->nstages - 1;

			if (s < 0) {
				p->lo = 0;
				p->hi = df->nstages > 0 ? df->stages[0].line - 1 : 1 << 30;
			} else {
				p->lo = df->stages[s].line;
				p->hi = (size_t)s + 1 < df->nstages ?
					df->stages[s + 1].line - 1 : 1 << 30;
			}
			break;
		}
		}
		ps_xgrow(&pv, &cap, np + 1, sizeof(*pv));
		pv[np++] = tmp;
	}
	/* drop what pragmas and the configuration's foreign ids ignore */
	size_t w = first;

	for (size_t k = first; k < cx->out->len; k++) {
		struct ps_finding *f = cx->out->v[k];
		int drop = 0;

		for (size_t p = 0; p < np && !drop; p++) {
			if (f->line < pv[p].lo || f->line > pv[p].hi)
				continue;
			for (size_t d = 0; d < pv[p].nids && !drop; d++)
				drop = matches(f, pv[p].ids[d]);
		}
		for (size_t d = 0; d < cx->set->nignore_ids && !drop; d++)
			drop = matches(f, cx->set->ignore_ids[d]);
		if (drop)
			ps_finding_free(f);
		else
			cx->out->v[w++] = f;
	}
	cx->out->len = w;
	/* DL1001: the pragmas themselves, when asked for */
	for (size_t p = 0; p < np; p++)
		lint_report(cx, "PSD101", NULL, pv[p].line,
			    "inline ignore pragma: prefer the configuration file");
	free(pv);
}
