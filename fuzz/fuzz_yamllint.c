/*
 * libFuzzer target for the YAML rule engine: any bytes are loaded as YAML
 * and run through the rules of ps-lint-compose, ps-lint-workflow and
 * ps-lint-serverless with every rule enabled, pragmas read from the same
 * text. Every finding must name a known rule and a sane position.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/lint.h"

#include "cmd/ps-lint-compose/compose.h"
#include "cmd/ps-lint-serverless/serverless.h"
#include "cmd/ps-lint-workflow/expr.h"
#include "cmd/ps-lint-workflow/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(const struct ps_lint_rule *rules, size_t n, const struct ps_doc *doc,
    const char *text, size_t len,
    void (*check)(struct ps_lint_ctx *, const struct ps_doc *, void *),
    void *arg)
{
	static const char *const prefixes[] = { "ps-lint", NULL };
	struct ps_lint_conf conf = {0};
	struct ps_diags d = {0};
	struct ps_lint_ctx ctx = {0};
	size_t i;

	ps_lint_conf_enable(&conf, "all");
	ctx.tool = "fuzz";
	ctx.file = "fuzz.yml";
	ctx.rules = rules;
	ctx.nrules = n;
	ctx.conf = &conf;
	ctx.text = text;
	ctx.text_len = len;
	ctx.out = &d;
	ps_lint_begin(&ctx, prefixes);
	check(&ctx, doc, arg);
	ps_lint_end(&ctx);
	for (i = 0; i < d.len; i++)
		if (!ps_lint_rule_find(rules, n, d.v[i]->rule) ||
		    d.v[i]->line < 0 || !d.v[i]->message)
			abort();
	ps_diags_free(&d);
	ps_lint_conf_free(&conf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_diags errs = {0};
	struct sls_opts sls = { .today = "2026-11-26" };
	struct compose_env env = {0};
	struct ps_doc *doc;
	struct wf_expr e;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	wf_expr_parse(text, size, &e);
	doc = ps_doc_load_mem("fuzz.yml", text, size, &errs);
	if (doc) {
		run(compose_rules, compose_nrules, doc, text, size, compose_lint, &env);
		run(wf_rules, wf_nrules, doc, text, size, wf_lint, NULL);
		run(sls_rules, sls_nrules, doc, text, size, sls_lint, &sls);
		ps_doc_free(doc);
	}
	ps_diags_free(&errs);
	free(text);
	return 0;
}
