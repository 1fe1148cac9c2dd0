/*
 * The rules of ps-lint-compose: the Docker Compose standards (healthchecks,
 * restart policy, pinned images, secrets through ${VAR}, named volumes,
 * resource limits, no obsolete version:) and what users of dclint expect.
 */
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dotenv.h"
#include "lib/log.h"
#include "lib/time.h"

#include "compose.h"

const struct ps_lint_rule compose_rules[] = {
	{"PSC001", "obsolete-version", PS_SEV_WARNING,
	 "the top-level version key is obsolete and ignored by Compose v2",
	 "dclint:no-version-field", 0},
	{"PSC002", "image-not-pinned", PS_SEV_WARNING,
	 "an image without a tag, or with a floating tag like latest, changes under you",
	 "dclint:service-image-require-explicit-tag", 0},
	{"PSC003", "build-and-image", PS_SEV_WARNING,
	 "build and image together without pull_policy: which one runs is unclear",
	 "dclint:no-build-and-image", 0},
	{"PSC004", "missing-healthcheck", PS_SEV_WARNING,
	 "a long-running service needs a healthcheck so dependants and operators know it works",
	 NULL, 0},
	{"PSC005", "depends-on-not-healthy", PS_SEV_WARNING,
	 "depends_on a service with a healthcheck should wait for condition: service_healthy",
	 NULL, 0},
	{"PSC006", "unknown-dependency", PS_SEV_ERROR,
	 "depends_on names a service the file does not define", NULL, 0},
	{"PSC007", "missing-restart-policy", PS_SEV_WARNING,
	 "a service without a restart policy stays down after a crash or reboot",
	 NULL, 0},
	{"PSC008", "literal-secret", PS_SEV_ERROR,
	 "a secret written into the compose file; use ${VAR}, env_file or secrets:",
	 NULL, 0},
	{"PSC009", "undefined-variable", PS_SEV_WARNING,
	 "a ${VAR} defined nowhere (environment, .env beside the file, --env-file) becomes empty",
	 NULL, 0},
	{"PSC010", "data-port-public", PS_SEV_WARNING,
	 "a database or cache publishes its port on all interfaces", NULL, 0},
	{"PSC011", "unbound-port-interface", PS_SEV_INFO,
	 "a published port without a host address listens on all interfaces",
	 "dclint:no-unbound-port-interfaces", 1},
	{"PSC012", "data-without-volume", PS_SEV_WARNING,
	 "a data service keeps its data in the container layer; mount a named volume",
	 NULL, 0},
	{"PSC013", "missing-resource-limits", PS_SEV_WARNING,
	 "a service without a memory limit can starve the host",
	 NULL, 0},
	{"PSC014", "duplicate-published-port", PS_SEV_ERROR,
	 "two services publish the same host port", "dclint:no-duplicate-exported-ports", 0},
	{"PSC015", "duplicate-container-name", PS_SEV_ERROR,
	 "two services use the same container_name", "dclint:no-duplicate-container-names", 0},
	{"PSC016", "invalid-port", PS_SEV_ERROR,
	 "a port mapping that Compose cannot read", NULL, 0},
	{"PSC017", "invalid-duration", PS_SEV_ERROR,
	 "a duration that Compose cannot read (healthcheck interval, timeout, ...)", NULL, 0},
	{"PSC018", "invalid-container-name", PS_SEV_ERROR,
	 "container_name must match [a-zA-Z0-9][a-zA-Z0-9_.-]+",
	 "dclint:service-container-name-regex", 0},
	{"PSC019", "unquoted-port", PS_SEV_STYLE,
	 "unquoted ports like 22:22 can be read as base-60 numbers by YAML 1.1 parsers",
	 "dclint:require-quotes-in-ports", 0},
	{"PSC020", "quoted-volume", PS_SEV_STYLE,
	 "short volume entries need no quotes", "dclint:no-quotes-in-volumes", 1},
	{"PSC021", "services-order", PS_SEV_STYLE,
	 "services in alphabetical order", "dclint:services-alphabetical-order", 1},
	{"PSC022", "service-keys-order", PS_SEV_STYLE,
	 "service keys in the conventional order", "dclint:service-keys-order", 1},
	{"PSC023", "top-level-order", PS_SEV_STYLE,
	 "top-level keys in the conventional order", "dclint:top-level-properties-order", 1},
	{"PSC024", "dependencies-order", PS_SEV_STYLE,
	 "depends_on entries in alphabetical order",
	 "dclint:service-dependencies-alphabetical-order", 1},
	{"PSC025", "ports-order", PS_SEV_STYLE,
	 "ports in ascending order of the published port",
	 "dclint:service-ports-alphabetical-order", 1},
	{"PSC026", "missing-project-name", PS_SEV_STYLE,
	 "a top-level name keeps the project name stable across directories",
	 "dclint:require-project-name-field", 1},
	{"PSC027", "privileged-container", PS_SEV_WARNING,
	 "privileged: true or cap_add: ALL gives the container the host", NULL, 0},
	{"PSC028", "docker-socket-mounted", PS_SEV_WARNING,
	 "mounting /var/run/docker.sock gives the container root on the host", NULL, 0},
	{"PSC029", "not-a-compose-file", PS_SEV_ERROR,
	 "the file's top level is not a mapping", NULL, 0},
};
const size_t compose_nrules = PS_ARRAY_LEN(compose_rules);

struct cctx {
	struct ps_lint_ctx *lint;
	const struct ps_node *services;
	char **vars;		/* NULL-terminated: keys of .env and --env-file */
	size_t nvars;
	/* published host ports seen so far, for duplicates */
	struct port_seen {
		long lo, hi;
		char var[64];	/* "$WEB_PORT" when the port is a variable */
		char proto[8];
	} *ports;
	size_t nports, cap;
	/* container names seen */
	const char **names;
	size_t nnames, ncap;
};

/* ---- small helpers ---- */

static int
pos_line(const struct ps_node *n)
{
	return n ? n->line : 0;
}

static int
pos_col(const struct ps_node *n)
{
	return n ? n->col : 0;
}

static const char *
scalar(const struct ps_node *n)
{
	return n && n->kind == PS_NODE_SCALAR && n->value ? n->value : NULL;
}

static int
truthy(const struct ps_node *n)
{
	const char *v = scalar(n);

	return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
		     strcmp(v, "1") == 0);
}

/* The service's image name without registry and tag: "postgres". */
static void
image_base(const char *image, char *out, size_t n)
{
	const char *slash = strrchr(image, '/');
	const char *name = slash ? slash + 1 : image;
	size_t len = strcspn(name, ":@");

	snprintf(out, n, "%.*s", (int)len, name);
}

static const char *const data_images[] = {
	"postgres", "postgis", "mysql", "mariadb", "mongo", "mongodb", "redis",
	"valkey", "keydb", "elasticsearch", "opensearch", "cassandra",
	"couchdb", "influxdb", "rabbitmq", "neo4j", "clickhouse-server",
	"clickhouse", "minio", "etcd", "zookeeper", "kafka", "timescaledb",
	"cockroach", "memcached", "mssql-server", "oracle", "questdb",
};

static int
is_data_image(const char *image)
{
	char base[128];
	size_t i;

	if (!image)
		return 0;
	image_base(image, base, sizeof(base));
	for (i = 0; i < PS_ARRAY_LEN(data_images); i++)
		if (strcmp(base, data_images[i]) == 0)
			return 1;
	return 0;
}

/* memcached keeps nothing worth a volume. */
static int
is_persistent_data_image(const char *image)
{
	char base[128];

	if (!is_data_image(image))
		return 0;
	image_base(image, base, sizeof(base));
	return strcmp(base, "memcached") != 0;
}

/* ---- ports ---- */

struct port {
	char ip[64];
	int has_pub;
	long pub_lo, pub_hi;
	char pub_var[64];
	long tgt_lo, tgt_hi;
	char proto[8];
};

static int
parse_range(const char *s, size_t n, long *lo, long *hi)
{
	char buf[32];
	char *dash;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	dash = strchr(buf, '-');
	if (dash) {
		*dash = '\0';
		if (ps_parse_long(buf, 0, 65535, lo) < 0 ||
		    ps_parse_long(dash + 1, 0, 65535, hi) < 0 || *hi < *lo)
			return -1;
	} else {
		if (ps_parse_long(buf, 0, 65535, lo) < 0)
			return -1;
		*hi = *lo;
	}
	return 0;
}

/* Short syntax: [[IP:](HOST|RANGE):](CONTAINER|RANGE)[/PROTO]. */
static int
parse_port(const char *s, struct port *p)
{
	char buf[256];
	char *slash, *parts[3], *q;
	size_t np = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->proto, sizeof(p->proto), "tcp");
	if (strlen(s) >= sizeof(buf) || !*s)
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp") &&
		    strcmp(slash + 1, "sctp"))
			return -1;
		snprintf(p->proto, sizeof(p->proto), "%s", slash + 1);
	}
	q = buf;
	if (*q == '[') {	/* [::1]:8080:80 */
		char *close = strchr(q, ']');

		if (!close || close[1] != ':')
			return -1;
		snprintf(p->ip, sizeof(p->ip), "%.*s", (int)(close - q - 1), q + 1);
		q = close + 2;
	}
	for (;;) {
		char *colon = strrchr(q, ':');

		if (!colon || np == 2)
			break;
		parts[np++] = colon + 1;
		*colon = '\0';
	}
	parts[np++] = q;
	/* parts[0] is the container side, then host, then ip */
	if (np == 3) {
		if (*p->ip)
			return -1;
		snprintf(p->ip, sizeof(p->ip), "%s", parts[2]);
	}
	if (parse_range(parts[0], strlen(parts[0]), &p->tgt_lo, &p->tgt_hi) < 0 &&
	    !strchr(parts[0], '$'))
		return -1;
	if (np >= 2 && *parts[1]) {
		p->has_pub = 1;
		if (strchr(parts[1], '$')) {
			snprintf(p->pub_var, sizeof(p->pub_var), "%s", parts[1]);
		} else if (parse_range(parts[1], strlen(parts[1]), &p->pub_lo,
				       &p->pub_hi) < 0) {
			return -1;
		}
	} else if (np == 1 && p->tgt_lo != p->tgt_hi) {
		/* A bare range publishes the same range. */
		p->has_pub = 1;
		p->pub_lo = p->tgt_lo;
		p->pub_hi = p->tgt_hi;
	}
	if (np == 2 && *p->ip == '\0' && !*parts[1])
		return -1;
	return 0;
}

/* Long syntax: target, published, host_ip, protocol. */
static int
parse_port_map(const struct ps_node *m, struct port *p)
{
	const char *t = scalar(ps_node_get(m, "target"));
	const char *pub = scalar(ps_node_get(m, "published"));
	const char *ip = scalar(ps_node_get(m, "host_ip"));
	const char *proto = scalar(ps_node_get(m, "protocol"));

	memset(p, 0, sizeof(*p));
	snprintf(p->proto, sizeof(p->proto), "%s", proto ? proto : "tcp");
	if (!t || parse_range(t, strlen(t), &p->tgt_lo, &p->tgt_hi) < 0)
		return -1;
	if (ip)
		snprintf(p->ip, sizeof(p->ip), "%s", ip);
	if (pub && *pub) {
		p->has_pub = 1;
		if (strchr(pub, '$'))
			snprintf(p->pub_var, sizeof(p->pub_var), "%s", pub);
		else if (parse_range(pub, strlen(pub), &p->pub_lo, &p->pub_hi) < 0)
			return -1;
	}
	return 0;
}

static int
port_of(const struct ps_node *item, struct port *p)
{
	if (item->kind == PS_NODE_MAP)
		return parse_port_map(item, p);
	if (item->kind == PS_NODE_SCALAR)
		return parse_port(item->value, p);
	return -1;
}

static int
all_interfaces(const struct port *p)
{
	return !*p->ip || strcmp(p->ip, "0.0.0.0") == 0 || strcmp(p->ip, "::") == 0;
}

/* ---- per-service rules ---- */

static void
check_image(struct cctx *c, const char *name, const struct ps_node *svc)
{
	static const char *const floating[] = {
		"latest", "stable", "edge", "test", "nightly", "dev", "beta",
		"canary", "lts", "mainline", "current",
	};
	const struct ps_node *img = ps_node_get(svc, "image");
	const char *v = scalar(img), *slash, *colon, *tag;
	size_t i;

	if (!v || strchr(v, '$') || strchr(v, '@'))
		return;
	slash = strrchr(v, '/');
	colon = strchr(slash ? slash : v, ':');
	if (!colon) {
		ps_lint_report(c->lint, "PSC002", pos_line(img), pos_col(img),
			       "service \"%s\": image \"%s\" has no tag; pin a version",
			       name, v);
		return;
	}
	tag = colon + 1;
	for (i = 0; i < PS_ARRAY_LEN(floating); i++)
		if (strcmp(tag, floating[i]) == 0)
			ps_lint_report(c->lint, "PSC002", pos_line(img), pos_col(img),
				       "service \"%s\": image \"%s\" uses the floating tag \"%s\"; pin a version",
				       name, v, tag);
}

static void
check_build_image(struct cctx *c, const char *name, const struct ps_node *svc,
		  const struct ps_node *key)
{
	if (ps_node_get(svc, "build") && ps_node_get(svc, "image") &&
	    !ps_node_get(svc, "pull_policy"))
		ps_lint_report(c->lint, "PSC003", pos_line(key), pos_col(key),
			       "service \"%s\" has both build and image; add pull_policy (build or never) or drop one",
			       name);
}

static int
has_healthcheck(const struct ps_node *svc)
{
	const struct ps_node *hc = ps_node_get(svc, "healthcheck");

	if (!hc || ps_node_is_null(hc))
		return 0;
	if (truthy(ps_node_get(hc, "disable")))
		return 0;
	if (ps_node_get(hc, "test")) {
		const struct ps_node *t = ps_node_get(hc, "test");

		if (t->kind == PS_NODE_SEQ && t->len > 0 &&
		    scalar(t->items[0]) && strcmp(scalar(t->items[0]), "NONE") == 0)
			return 0;
	}
	return 1;
}

static void
check_healthcheck(struct cctx *c, const char *name, const struct ps_node *svc,
		  const struct ps_node *key)
{
	const struct ps_node *hc = ps_node_get(svc, "healthcheck");
	const char *restart = scalar(ps_node_get(svc, "restart"));
	static const char *const durations[] = {
		"interval", "timeout", "start_period", "start_interval",
	};
	size_t i;

	if (hc && hc->kind == PS_NODE_MAP) {
		for (i = 0; i < PS_ARRAY_LEN(durations); i++) {
			const struct ps_node *d = ps_node_get(hc, durations[i]);
			struct ps_error err = {0};
			double secs;

			if (!scalar(d) || strchr(scalar(d), '$'))
				continue;
			if (ps_duration_parse(scalar(d), &secs, &err) < 0)
				ps_lint_report(c->lint, "PSC017", d->line, d->col,
					       "service \"%s\": healthcheck %s \"%s\" is not a duration (like 30s or 1m30s)",
					       name, durations[i], scalar(d));
		}
		if (truthy(ps_node_get(hc, "disable")))
			return;	/* switched off on purpose */
	}
	/* One-shot services (restart: "no") need no healthcheck. */
	if (restart && strcmp(restart, "no") == 0)
		return;
	if (!has_healthcheck(svc))
		ps_lint_report(c->lint, "PSC004", pos_line(key), pos_col(key),
			       "service \"%s\" has no healthcheck", name);
}

static void
check_depends(struct cctx *c, const char *name, const struct ps_node *svc)
{
	const struct ps_node *dep = ps_node_get(svc, "depends_on");
	size_t i;
	const char *prev = NULL;
	int unsorted = 0;

	if (!dep)
		return;
	for (i = 0; i < dep->len; i++) {
		const struct ps_node *dn = dep->kind == PS_NODE_SEQ ?
					   dep->items[i] : dep->pairs[i].key;
		const struct ps_node *cond = dep->kind == PS_NODE_MAP ?
			ps_node_get(dep->pairs[i].value, "condition") : NULL;
		const char *d = scalar(dn);
		const struct ps_node *target;

		if (!d)
			continue;
		if (prev && strcmp(d, prev) < 0)
			unsorted = 1;
		prev = d;
		target = ps_node_get(c->services, d);
		if (!target) {
			ps_lint_report(c->lint, "PSC006", dn->line, dn->col,
				       "service \"%s\" depends on \"%s\", which is not defined",
				       name, d);
			continue;
		}
		if (has_healthcheck(target) &&
		    (!scalar(cond) || strcmp(scalar(cond), "service_healthy") != 0))
			ps_lint_report(c->lint, "PSC005", dn->line, dn->col,
				       "service \"%s\" depends on \"%s\", which has a healthcheck: use condition: service_healthy",
				       name, d);
	}
	if (unsorted)
		ps_lint_report(c->lint, "PSC024", dep->line, dep->col,
			       "service \"%s\": depends_on is not in alphabetical order",
			       name);
}

static void
check_restart(struct cctx *c, const char *name, const struct ps_node *svc,
	      const struct ps_node *key)
{
	if (ps_node_get(svc, "restart") ||
	    ps_node_path(svc, "deploy.restart_policy"))
		return;
	ps_lint_report(c->lint, "PSC007", pos_line(key), pos_col(key),
		       "service \"%s\" has no restart policy (restart: unless-stopped)",
		       name);
}

/* "KEY=value" of a list-form environment. */
static void
check_env_entry(struct cctx *c, const char *name, const char *k, size_t klen,
		const char *v, const struct ps_node *at)
{
	char key[256];

	if (klen == 0 || klen >= sizeof(key))
		return;
	memcpy(key, k, klen);
	key[klen] = '\0';
	/* References, empty values and switches hold no secret. */
	if (!v || !*v || ps_cfg_has_ref(v) || v[0] == '$' ||
	    strcasecmp(v, "yes") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "1") == 0 || strcmp(v, "0") == 0)
		return;
	if (ps_is_secret_name(key))
		ps_lint_report(c->lint, "PSC008", at->line, at->col,
			       "service \"%s\": %s is written into the file; use ${%s}, env_file or secrets:",
			       name, key, key);
}

static void
check_environment(struct cctx *c, const char *name, const struct ps_node *svc)
{
	const struct ps_node *env = ps_node_get(svc, "environment");
	size_t i;

	if (!env)
		return;
	if (env->kind == PS_NODE_SEQ) {
		for (i = 0; i < env->len; i++) {
			const char *s = scalar(env->items[i]);
			const char *eq = s ? strchr(s, '=') : NULL;

			if (eq)
				check_env_entry(c, name, s, (size_t)(eq - s), eq + 1,
						env->items[i]);
		}
	} else if (env->kind == PS_NODE_MAP) {
		for (i = 0; i < env->len; i++) {
			const char *k = scalar(env->pairs[i].key);

			if (k)
				check_env_entry(c, name, k, strlen(k),
						scalar(env->pairs[i].value),
						env->pairs[i].value);
		}
	}
}

static long
port_sort_key(const struct port *p)
{
	if (*p->pub_var)
		return -1;
	return p->has_pub ? p->pub_lo : p->tgt_lo;
}

static void
check_ports(struct cctx *c, const char *name, const struct ps_node *svc)
{
	const struct ps_node *ports = ps_node_get(svc, "ports");
	const struct ps_node *expose = ps_node_get(svc, "expose");
	const char *image = scalar(ps_node_get(svc, "image"));
	long prev = -2;
	int unsorted = 0;
	size_t i, k;

	for (i = 0; expose && expose->kind == PS_NODE_SEQ && i < expose->len; i++) {
		const struct ps_node *e = expose->items[i];

		if (e->kind == PS_NODE_SCALAR && e->style == PS_STYLE_PLAIN)
			ps_lint_report(c->lint, "PSC019", e->line, e->col,
				       "service \"%s\": quote the exposed port \"%s\"",
				       name, e->value);
	}
	if (!ports || ports->kind != PS_NODE_SEQ)
		return;
	for (i = 0; i < ports->len; i++) {
		const struct ps_node *item = ports->items[i];
		struct port p;

		if (port_of(item, &p) < 0) {
			if (item->kind == PS_NODE_SCALAR && strchr(item->value, '$'))
				continue;
			ps_lint_report(c->lint, "PSC016", item->line, item->col,
				       "service \"%s\": cannot read the port mapping \"%s\"",
				       name, scalar(item) ? scalar(item) : "(mapping)");
			continue;
		}
		if (item->kind == PS_NODE_SCALAR && item->style == PS_STYLE_PLAIN)
			ps_lint_report(c->lint, "PSC019", item->line, item->col,
				       "service \"%s\": quote the port \"%s\" (YAML 1.1 reads 22:22 as a number)",
				       name, item->value);
		if (port_sort_key(&p) < prev)
			unsorted = 1;
		prev = port_sort_key(&p);
		if (!p.has_pub && !(item->kind == PS_NODE_SCALAR && !strchr(item->value, ':') &&
				    p.tgt_lo == p.tgt_hi))
			continue;
		if (all_interfaces(&p) && !*p.ip)
			ps_lint_report(c->lint, "PSC011", item->line, item->col,
				       "service \"%s\": port %s listens on all interfaces; bind it to an address (127.0.0.1:...)",
				       name, scalar(item) ? scalar(item) : "mapping");
		if (all_interfaces(&p) && is_data_image(image))
			ps_lint_report(c->lint, "PSC010", item->line, item->col,
				       "service \"%s\" (%s) publishes port %s on all interfaces; bind it to 127.0.0.1 or drop it",
				       name, image, scalar(item) ? scalar(item) : "mapping");
		if (!p.has_pub)
			continue;
		/* Duplicates of the host side, whatever the address. */
		for (k = 0; k < c->nports; k++) {
			const struct port_seen *s = &c->ports[k];
			int clash;

			if (strcmp(s->proto, p.proto) != 0)
				continue;
			if (*p.pub_var || *s->var)
				clash = strcmp(p.pub_var, s->var) == 0;
			else
				clash = p.pub_lo <= s->hi && s->lo <= p.pub_hi;
			if (clash) {
				ps_lint_report(c->lint, "PSC014", item->line, item->col,
					       "service \"%s\": host port %s is already published by another mapping",
					       name, scalar(item) ? scalar(item) :
					       (*p.pub_var ? p.pub_var : "(mapping)"));
				break;
			}
		}
		ps_xgrow(&c->ports, &c->cap, c->nports + 1, sizeof(*c->ports));
		c->ports[c->nports].lo = p.pub_lo;
		c->ports[c->nports].hi = p.pub_hi;
		snprintf(c->ports[c->nports].var, sizeof(c->ports[0].var), "%s", p.pub_var);
		snprintf(c->ports[c->nports].proto, sizeof(c->ports[0].proto), "%s", p.proto);
		c->nports++;
	}
	if (unsorted)
		ps_lint_report(c->lint, "PSC025", ports->line, ports->col,
			       "service \"%s\": ports are not in ascending order", name);
}

/* The source of a volume entry, for named-volume checks. */
static const char *
volume_source(const struct ps_node *v, char *buf, size_t n, int *bind)
{
	const char *s;

	*bind = 0;
	if (v->kind == PS_NODE_MAP) {
		const char *type = scalar(ps_node_get(v, "type"));

		s = scalar(ps_node_get(v, "source"));
		*bind = type && strcmp(type, "bind") == 0;
		return s;
	}
	s = scalar(v);
	if (!s || !strchr(s, ':'))
		return NULL;	/* anonymous volume */
	snprintf(buf, n, "%.*s", (int)strcspn(s, ":"), s);
	*bind = buf[0] == '.' || buf[0] == '/' || buf[0] == '~' || buf[0] == '$';
	return buf;
}

static void
check_volumes(struct cctx *c, const char *name, const struct ps_node *svc,
	      const struct ps_node *key)
{
	const struct ps_node *vols = ps_node_get(svc, "volumes");
	const char *image = scalar(ps_node_get(svc, "image"));
	int named = 0;
	size_t i;

	for (i = 0; vols && vols->kind == PS_NODE_SEQ && i < vols->len; i++) {
		const struct ps_node *v = vols->items[i];
		char buf[256];
		int bind;
		const char *src = volume_source(v, buf, sizeof(buf), &bind);

		if (v->kind == PS_NODE_SCALAR && v->style != PS_STYLE_PLAIN)
			ps_lint_report(c->lint, "PSC020", v->line, v->col,
				       "service \"%s\": the volume \"%s\" needs no quotes",
				       name, v->value);
		if (src && !bind)
			named = 1;
		if (src && strstr(src, "docker.sock"))
			ps_lint_report(c->lint, "PSC028", v->line, v->col,
				       "service \"%s\" mounts the Docker socket", name);
	}
	if (is_persistent_data_image(image) && !named)
		ps_lint_report(c->lint, "PSC012", pos_line(key), pos_col(key),
			       "service \"%s\" (%s) keeps its data without a named volume",
			       name, image);
}

static void
check_limits(struct cctx *c, const char *name, const struct ps_node *svc,
	     const struct ps_node *key)
{
	if (ps_node_get(svc, "mem_limit") ||
	    ps_node_path(svc, "deploy.resources.limits.memory"))
		return;
	ps_lint_report(c->lint, "PSC013", pos_line(key), pos_col(key),
		       "service \"%s\" has no memory limit (deploy.resources.limits.memory or mem_limit)",
		       name);
}

static int
valid_container_name(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)s[0]) || !s[1])
		return 0;
	for (i = 1; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return 0;
	return 1;
}

static void
check_container_name(struct cctx *c, const char *name, const struct ps_node *svc)
{
	const struct ps_node *cn = ps_node_get(svc, "container_name");
	const char *v = scalar(cn);
	size_t i;

	if (!v || strchr(v, '$'))
		return;
	if (!valid_container_name(v))
		ps_lint_report(c->lint, "PSC018", cn->line, cn->col,
			       "service \"%s\": container_name \"%s\" is not valid", name, v);
	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], v) == 0) {
			ps_lint_report(c->lint, "PSC015", cn->line, cn->col,
				       "service \"%s\": container_name \"%s\" is already used",
				       name, v);
			break;
		}
	ps_xgrow(&c->names, &c->ncap, c->nnames + 1, sizeof(*c->names));
	c->names[c->nnames++] = v;
}

static void
check_privileged(struct cctx *c, const char *name, const struct ps_node *svc)
{
	const struct ps_node *p = ps_node_get(svc, "privileged");
	const struct ps_node *caps = ps_node_get(svc, "cap_add");
	size_t i;

	if (truthy(p))
		ps_lint_report(c->lint, "PSC027", p->line, p->col,
			       "service \"%s\" runs privileged", name);
	for (i = 0; caps && caps->kind == PS_NODE_SEQ && i < caps->len; i++)
		if (scalar(caps->items[i]) && strcasecmp(scalar(caps->items[i]), "ALL") == 0)
			ps_lint_report(c->lint, "PSC027", caps->items[i]->line,
				       caps->items[i]->col,
				       "service \"%s\" adds every capability", name);
}

/* dclint's conventional order of service keys: groups, then the rest
 * alphabetically. */
static const char *const key_groups[][6] = {
	{"image", "build", "container_name", NULL},
	{"depends_on", NULL},
	{"volumes", "volumes_from", "configs", "secrets", NULL},
	{"environment", "env_file", NULL},
	{"ports", "networks", "network_mode", "extra_hosts", NULL},
	{"command", "entrypoint", "working_dir", "restart", "healthcheck", NULL},
	{"logging", "labels", NULL},
	{"user", "isolation", NULL},
};

static int
key_rank(const char *k, int *within)
{
	size_t g, i;

	for (g = 0; g < PS_ARRAY_LEN(key_groups); g++)
		for (i = 0; key_groups[g][i]; i++)
			if (strcmp(key_groups[g][i], k) == 0) {
				*within = (int)i;
				return (int)g;
			}
	*within = 0;
	return (int)PS_ARRAY_LEN(key_groups);
}

/* Count items that come after a later-ranked one (dclint's count). */
static void
check_key_order(struct cctx *c, const char *name, const struct ps_node *svc)
{
	int max_g = -1, max_w = -1;
	const char *max_k = "";
	size_t i;

	for (i = 0; i < svc->len; i++) {
		const struct ps_node *k = svc->pairs[i].key;
		int w, g;
		int before;

		if (svc->pairs[i].merged || !scalar(k))
			continue;
		g = key_rank(k->value, &w);
		if (g == (int)PS_ARRAY_LEN(key_groups))
			before = g < max_g || (g == max_g && strcmp(k->value, max_k) < 0);
		else
			before = g < max_g || (g == max_g && w < max_w);
		if (before) {
			ps_lint_report(c->lint, "PSC022", k->line, k->col,
				       "service \"%s\": key \"%s\" is out of the conventional order",
				       name, k->value);
			continue;
		}
		max_g = g;
		max_w = w;
		max_k = k->value;
	}
}

static void
check_service(void *ctx, const void *data, const struct ps_node *svc, const struct ps_node *key,
	      const char *const *caps)
{
	struct cctx *c = ctx;
	const char *name = caps[0];

	if (!c->services || !svc || svc->kind != PS_NODE_MAP)
		return;
	check_image(c, name, svc);
	check_build_image(c, name, svc, key);
	check_healthcheck(c, name, svc, key);
	check_depends(c, name, svc);
	check_restart(c, name, svc, key);
	check_environment(c, name, svc);
	check_ports(c, name, svc);
	check_volumes(c, name, svc, key);
	check_limits(c, name, svc, key);
	check_container_name(c, name, svc);
	check_privileged(c, name, svc);
	check_key_order(c, name, svc);
}

/* ---- whole-file rules ---- */

static int
top_rank(const char *k)
{
	static const char *const order[] = {
		"version", "name", "include", "services", "networks", "volumes",
		"secrets", "configs",
	};
	size_t i;

	if (strncmp(k, "x-", 2) == 0)
		return 0;
	for (i = 0; i < PS_ARRAY_LEN(order); i++)
		if (strcmp(order[i], k) == 0)
			return (int)i + 1;
	return (int)PS_ARRAY_LEN(order) + 1;
}

static void
check_top(struct cctx *c, const struct ps_node *root)
{
	const struct ps_pair *ver = ps_node_pair(root, "version");
	int max = -1;
	const char *max_k = "";
	size_t i;

	if (ver)
		ps_lint_report(c->lint, "PSC001", ver->key->line, ver->key->col,
			       "the version key is obsolete: Compose ignores it; remove it");
	if (!ps_node_get(root, "name"))
		ps_lint_report(c->lint, "PSC026", 1, 1,
			       "no top-level name: the project is named after its directory");
	for (i = 0; i < root->len; i++) {
		const struct ps_node *k = root->pairs[i].key;
		int r;

		if (!scalar(k))
			continue;
		r = top_rank(k->value);
		if (r < max || (r == max && r == 0 && strcmp(k->value, max_k) < 0)) {
			ps_lint_report(c->lint, "PSC023", k->line, k->col,
				       "top-level key \"%s\" is out of the conventional order",
				       k->value);
			continue;
		}
		max = r;
		max_k = k->value;
	}
}

static void
check_services_order(struct cctx *c)
{
	const char *max = NULL;
	size_t i;

	for (i = 0; i < c->services->len; i++) {
		const struct ps_node *k = c->services->pairs[i].key;

		if (!scalar(k))
			continue;
		if (max && strcmp(k->value, max) < 0) {
			ps_lint_report(c->lint, "PSC021", k->line, k->col,
				       "service \"%s\" is out of alphabetical order",
				       k->value);
			continue;
		}
		max = k->value;
	}
}

/* ---- variables ---- */

static int
defined(const struct cctx *c, const char *name)
{
	size_t i;

	if (getenv(name))
		return 1;
	for (i = 0; i < c->nvars; i++)
		if (strcmp(c->vars[i], name) == 0)
			return 1;
	return 0;
}

/* Every ${VAR} / $VAR without a default in a scalar. */
static void
check_vars_in(struct cctx *c, const struct ps_node *n)
{
	const char *s = n->value, *p;

	for (p = s; p && *p; p++) {
		char name[128];
		size_t len = 0;
		int braced = 0, has_default = 0;

		if (*p != '$')
			continue;
		if (p[1] == '$') {	/* $$ is a literal $ */
			p++;
			continue;
		}
		if (p[1] == '{') {
			braced = 1;
			p += 2;
		} else {
			p += 1;
		}
		while ((isalnum((unsigned char)p[len]) || p[len] == '_') &&
		       len < sizeof(name) - 1)
			len++;
		if (len == 0 || isdigit((unsigned char)p[0]))
			continue;
		memcpy(name, p, len);
		name[len] = '\0';
		if (braced && (p[len] == ':' || p[len] == '-' || p[len] == '?' ||
			       p[len] == '+'))
			has_default = p[len] == '-' || (p[len] == ':' && p[len + 1] == '-') ||
				      p[len] == '+' || (p[len] == ':' && p[len + 1] == '+');
		if (!has_default && !defined(c, name))
			ps_lint_report(c->lint, "PSC009", n->line, n->col,
				       "variable %s is not set in the environment, .env or --env-file",
				       name);
		p += len - 1;
	}
}

static void
check_vars(void *ctx, const void *data, const struct ps_node *n, const struct ps_node *key,
	   const char *const *caps)
{
	if (n && n->kind == PS_NODE_SCALAR && n->value && strchr(n->value, '$'))
		check_vars_in(ctx, n);
}

/* Add the keys of a dotenv file to the defined variables. */
static void
add_env_file(struct cctx *c, const char *path)
{
	struct ps_buf b = {0};
	struct ps_dotenv d;
	size_t i;

	if (ps_read_file(path, &b, NULL) < 0)
		return;
	ps_dotenv_parse(b.data, b.len, &d);
	for (i = 0; i < d.nentries; i++) {
		c->vars = ps_xrealloc(c->vars, (c->nvars + 1) * sizeof(*c->vars));
		c->vars[c->nvars++] = ps_xstrdup(d.entries[i].key);
	}
	ps_dotenv_free(&d);
	ps_buf_free(&b);
}

static void
load_vars(struct cctx *c, const char *file, const struct compose_env *env)
{
	char *dir = ps_xstrdup(strcmp(file, "-") ? file : "./-");
	char *dotenv = ps_xasprintf("%s/.env", dirname(dir));
	size_t i;

	add_env_file(c, dotenv);
	free(dotenv);
	free(dir);
	for (i = 0; env && i < env->nenv_files; i++)
		add_env_file(c, env->env_files[i]);
}

void
compose_lint(struct ps_lint_ctx *ctx, const struct ps_doc *doc, void *arg)
{
	static const struct ps_lint_visit visits[] = {
		{"services.*", check_service},
		{"**", check_vars},
	};
	const struct ps_node *root = ps_doc_root(doc);
	struct cctx c;

	if (!root || ps_node_is_null(root))
		return;
	if (root->kind != PS_NODE_MAP) {
		ps_lint_report(ctx, "PSC029", root->line, root->col,
			       "expected a mapping of compose keys, got a %s",
			       ps_node_kind_name(root));
		return;
	}
	memset(&c, 0, sizeof(c));
	c.lint = ctx;
	load_vars(&c, ctx->file, arg);
	c.services = ps_node_get(root, "services");
	check_top(&c, root);
	if (c.services && c.services->kind == PS_NODE_MAP)
		check_services_order(&c);
	else
		c.services = NULL;
	ps_lint_walk(root, visits, PS_ARRAY_LEN(visits), &c);
	for (size_t i = 0; i < c.nvars; i++)
		free(c.vars[i]);
	free(c.vars);
	free(c.ports);
	free(c.names);
}
