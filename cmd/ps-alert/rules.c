/*
 * ps-alert: monitoring.alerts[] from monitoring.yml into alert rules.
 *
 *   alerts:
 *     - name: "high_error_rate"
 *       condition: "error_rate > 0.05"
 *       duration: "5m"              # for: how long before firing (default 0)
 *       severity: "critical"        # default warning
 *       window: "5m"                # samples the condition sees (default 5m)
 *       keep_firing_for: "2m"       # against flapping (default 0)
 *       repeat_interval: "1h"       # reminders while firing (default none)
 *       failure_threshold: 3        # consecutive true evaluations to fire
 *       success_threshold: 2        # consecutive false evaluations to resolve
 *       group_by: "check"           # or "all": one series over every check
 *       summary: "text"
 */
#include "cmd/ps-alert/engine.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW 300.0

static const char *const rule_keys[] = {
	"name", "condition", "duration", "severity", "window", "keep_firing_for",
	"repeat_interval", "failure_threshold", "success_threshold", "group_by",
	"summary", "description", NULL,
};

static const char *const groupings[] = { "check", "all", NULL };

/* Column of a condition's text inside its YAML node (after a quote). */
static int
text_col(const struct ps_node *n)
{
	return n->col + (n->style == PS_STYLE_SINGLE || n->style == PS_STYLE_DOUBLE);
}

size_t
alert_rules_load(struct ps_cfgck *ck, const struct ps_node *root, double scale,
		 struct alert_rule **out)
{
	const struct ps_node *mon = NULL, *alerts = NULL;
	struct alert_rule *rules;
	size_t i, n = 0;

	*out = NULL;
	if (ps_cfg_map(ck, root, "monitoring", 1, &mon) != 1)
		return 0;
	if (ps_cfg_seq(ck, mon, "alerts", 1, &alerts) != 1)
		return 0;
	rules = ps_xcalloc(alerts->len ? alerts->len : 1, sizeof(*rules));
	for (i = 0; i < alerts->len; i++) {
		const struct ps_node *a = alerts->items[i], *cn;
		struct alert_rule *r = &rules[n];
		struct ps_error err = { 0 };
		int g = 0;
		size_t k;

		memset(r, 0, sizeof(*r));
		if (a->kind != PS_NODE_MAP) {
			ps_cfg_error(ck, a, "an alert is a mapping with name and condition, got %s",
				     ps_node_kind_name(a));
			continue;
		}
		ps_cfg_known_keys(ck, a, rule_keys);
		r->line = a->line;
		r->col = a->col;
		r->severity = "warning";
		r->window = DEFAULT_WINDOW;
		r->failure_threshold = 1;
		r->success_threshold = 1;
		if (ps_cfg_str(ck, a, "name", 1, &r->name) != 1)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(rules[k].name, r->name) == 0)
				ps_cfg_error(ck, ps_node_get(a, "name"),
					     "alert \"%s\" is defined twice (first at line %d)",
					     r->name, rules[k].line);
		if (ps_cfg_str(ck, a, "condition", 1, &r->condition) != 1)
			continue;
		cn = ps_node_get(a, "condition");
		r->expr = ps_ax_parse(r->condition, &err);
		if (!r->expr) {
			ps_diags_add(
				ck->diags, ck->tool ? ck->tool : "ps-alert", "condition",
				"invalid-condition", PS_SEV_ERROR, ps_doc_file(ck->doc),
				cn->line, text_col(cn) + err.col - 1,
				"condition: %s (column %d of \"%s\")", err.msg, err.col,
				r->condition);
			continue;
		}
		if (ps_cfg_str(ck, a, "severity", 0, &r->severity) != 1)
			r->severity = "warning";
		ps_cfg_duration(ck, a, "duration", 0, &r->duration);
		ps_cfg_duration(ck, a, "window", 0, &r->window);
		ps_cfg_duration(ck, a, "keep_firing_for", 0, &r->keep_firing_for);
		ps_cfg_duration(ck, a, "repeat_interval", 0, &r->repeat_interval);
		ps_cfg_long(ck, a, "failure_threshold", 0, 1, 1000000,
			    "a whole number of evaluations", &r->failure_threshold);
		ps_cfg_long(ck, a, "success_threshold", 0, 1, 1000000,
			    "a whole number of evaluations", &r->success_threshold);
		if (ps_cfg_enum(ck, a, "group_by", 0, groupings, &g) == 1)
			r->pooled = g == 1;
		if (ps_cfg_str(ck, a, "summary", 0, &r->summary) != 1)
			ps_cfg_str(ck, a, "description", 0, &r->summary);
		if (r->window <= 0) {
			ps_cfg_error(ck, ps_node_get(a, "window"), "window must be longer than 0s");
			r->window = DEFAULT_WINDOW;
		}
		r->duration *= scale;
		r->window *= scale;
		r->keep_firing_for *= scale;
		r->repeat_interval *= scale;
		n++;
	}
	if (n == 0) {
		free(rules);
		return 0;
	}
	*out = rules;
	return n;
}

void
alert_rules_free(struct alert_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ps_ax_free(rules[i].expr);
	free(rules);
}
