/*
 * libFuzzer target for the monitoring.yml loaders of ps-health
 * (health_checks[], metrics[]) and ps-alert (alerts[]): any bytes are loaded
 * as YAML and handed to both, with and without a base URL; the rules that
 * load are run over a few samples through ps-alert's engine.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ps-alert/engine.h"
#include "cmd/ps-health/health.h"
#include "lib/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drop(void *ctx, json_t *a)
{
	(void)ctx;
	if (!json_is_object(a))
		abort();
	json_decref(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_diags diags = { 0 };
	struct ps_doc *doc = ps_doc_load_mem("monitoring.yml", (const char *)data, size, &diags);
	struct alert_rule *rules = NULL;
	size_t i, n;

	if (doc) {
		struct ps_cfgck ck = { .doc = doc, .diags = &diags, .interpolate = 1 };
		struct hdefaults d1 = { .base_url = NULL, .interval = -1, .timeout = -1, .retries = -1 };
		struct hdefaults d2 = { .base_url = "http://127.0.0.1:8000", .interval = 1,
					.timeout = 2, .retries = 1 };
		struct hconfig c1 = { 0 }, c2 = { 0 };

		hconfig_load(&ck, ps_doc_root(doc), &d1, &c1);
		hconfig_load(&ck, ps_doc_root(doc), &d2, &c2);
		hconfig_default_metrics(&c2);
		for (i = 0; i < c2.n; i++)
			if (!c2.checks[i].name || !c2.checks[i].url || !c2.checks[i].shown)
				abort();
		hconfig_free(&c1);
		hconfig_free(&c2);

		n = alert_rules_load(&ck, ps_doc_root(doc), 1, &rules);
		if (n) {
			struct alert_engine *e = alert_engine_new(rules, n, drop, NULL);
			const char *checks[] = { "application", "database", "" };
			for (i = 0; i < 12; i++) {
				struct alert_sample s = {
					.check = checks[i % 3], .at = (double)(i * 30),
					.ok = (int)(i % 4 != 1), .latency = 0.1 * (double)i,
					.status = 200, .tls_expires_at = NAN,
				};
				alert_engine_feed(e, &s);
			}
			alert_engine_free(e);
		}
		alert_rules_free(rules, n);
	}
	for (i = 0; i < diags.len; i++)
		if (!diags.v[i]->message || !diags.v[i]->file)
			abort();
	ps_diags_free(&diags);
	ps_doc_free(doc);
	return 0;
}
