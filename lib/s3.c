/*
 * s3: AWS Signature Version 4 and an S3 client over libcurl.
 *
 * The signer follows the SigV4 specification: canonical request (method,
 * canonical URI, canonical query, canonical headers, signed headers,
 * payload hash), string to sign, the HMAC-SHA256 key derivation chain, and
 * either an Authorization header or presigned query parameters. Hashing
 * and HMAC are OpenSSL's.
 *
 * XML: the S3 responses this client reads have a fixed, flat shape
 * (ListBucketResult, InitiateMultipartUploadResult, Error). They are read
 * by extracting the text of known elements (<Key>, <Size>, <ETag>,
 * <LastModified>, <IsTruncated>, <NextContinuationToken>, <UploadId>,
 * <Code>, <Message>) inside their parent element, decoding the five
 * predefined entities and numeric character references. Limits, by design:
 * no CDATA sections, no namespace prefixes on these element names, no
 * attributes on them, no comments inside them; a response that does not
 * have the expected shape is an error, never a guess.
 */
#include "s3.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MIB (1024 * 1024)

/* ------------------------------------------------------------------ */
/* credentials                                                         */
/* ------------------------------------------------------------------ */

void
ps_s3_creds_free(struct ps_s3_creds *c)
{
	if (!c)
		return;
	if (c->secret_key)
		memset(c->secret_key, 0, strlen(c->secret_key));
	free(c->access_key);
	free(c->secret_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

static char *
trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return ps_xstrndup(s, n);
}

int
ps_s3_creds_parse(struct ps_s3_creds *c, const char *text, const char *profile)
{
	const char *p = text;
	int in = 0, found = 0;
	struct ps_s3_creds got = { 0 };

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *line = trim_dup(p, n);

		p += n + (eol ? 1 : 0);
		if (line[0] == '[') {
			char *end = strchr(line, ']');
			char *name;

			in = 0;
			if (end) {
				name = trim_dup(line + 1, (size_t)(end - line - 1));
				if (strncmp(name, "profile ", 8) == 0) {
					char *t = trim_dup(name + 8, strlen(name + 8));
					free(name);
					name = t;
				}
				in = strcmp(name, profile) == 0;
				found |= in;
				free(name);
			}
		} else if (in && line[0] != '#' && line[0] != ';') {
			char *eq = strchr(line, '=');

			if (eq) {
				char *k = trim_dup(line, (size_t)(eq - line));
				char *v = trim_dup(eq + 1, strlen(eq + 1));
				char **slot = NULL;

				if (strcmp(k, "aws_access_key_id") == 0)
					slot = &got.access_key;
				else if (strcmp(k, "aws_secret_access_key") == 0)
					slot = &got.secret_key;
				else if (strcmp(k, "aws_session_token") == 0)
					slot = &got.session_token;
				if (slot) {
					free(*slot);
					*slot = v;
				} else {
					free(v);
				}
				free(k);
			}
		}
		free(line);
	}
	if (!found || !got.access_key || !got.secret_key ||
	    !*got.access_key || !*got.secret_key) {
		ps_s3_creds_free(&got);
		return -1;
	}
	*c = got;
	return 0;
}

int
ps_s3_creds_load(struct ps_s3_creds *c, const char *profile,
		 struct ps_error *err)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");
	const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = getenv("HOME");
	char *path;
	struct ps_buf text = { 0 };
	struct ps_error ferr = { 0 };
	int rc;

	memset(c, 0, sizeof(*c));
	if (ak && *ak && sk && *sk) {
		c->access_key = ps_xstrdup(ak);
		c->secret_key = ps_xstrdup(sk);
		c->session_token = tok && *tok ? ps_xstrdup(tok) : NULL;
		return 0;
	}
	if (!profile || !*profile)
		profile = getenv("AWS_PROFILE");
	if (!profile || !*profile)
		profile = "default";
	if (file && *file)
		path = ps_xstrdup(file);
	else if (home && *home)
		path = ps_xasprintf("%s/.aws/credentials", home);
	else
		return ps_error_set(err, PS_EXIT_OPER,
				    "no S3 credentials: set AWS_ACCESS_KEY_ID "
				    "and AWS_SECRET_ACCESS_KEY or "
				    "AWS_SHARED_CREDENTIALS_FILE");
	if (ps_read_file(path, &text, &ferr) < 0) {
		ps_error_set(err, PS_EXIT_OPER,
			     "no S3 credentials: AWS_ACCESS_KEY_ID and "
			     "AWS_SECRET_ACCESS_KEY are not set and '%s' "
			     "cannot be read", path);
		free(path);
		ps_buf_free(&text);
		return -1;
	}
	rc = ps_s3_creds_parse(c, ps_buf_str(&text), profile);
	if (text.data)
		memset(text.data, 0, text.len);
	ps_buf_free(&text);
	if (rc < 0)
		ps_error_set(err, PS_EXIT_OPER,
			     "no S3 credentials for profile '%s' in '%s' "
			     "(aws_access_key_id and aws_secret_access_key)",
			     profile, path);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* encoding and hashing helpers                                        */
/* ------------------------------------------------------------------ */

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

void
ps_s3_uri_encode(struct ps_buf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			ps_buf_addc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			ps_buf_add(b, e, 3);
		}
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into b. */
static void
uri_decode(struct ps_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			ps_buf_addc(b, (char)(hexval(s[i + 1]) * 16 +
					      hexval(s[i + 2])));
			i += 2;
		} else {
			ps_buf_addc(b, s[i]);
		}
	}
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	ps_sha256_hex(p, n, out);
}

static void
hmac(const void *key, size_t klen, const void *msg, size_t mlen,
     unsigned char out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len);
}

/* ------------------------------------------------------------------ */
/* the signer                                                          */
/* ------------------------------------------------------------------ */

struct kv {
	char *k;
	char *v;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

static void
kv_free(struct kv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].k);
		free(v[i].v);
	}
	free(v);
}

/* Add a query parameter, given raw (decoded) key and value, encoded. */
static void
kv_add_raw(struct kv **v, size_t *n, size_t *cap, const char *k, size_t kl,
	   const char *val, size_t vl)
{
	struct ps_buf a = { 0 }, b = { 0 };

	ps_xgrow(v, cap, *n + 1, sizeof(**v));
	ps_s3_uri_encode(&a, k, kl, 0);
	ps_s3_uri_encode(&b, val, vl, 0);
	(*v)[*n].k = ps_buf_detach(&a);
	(*v)[*n].v = ps_buf_detach(&b);
	(*n)++;
}

/* Split a query string as sent: decode each part, re-encode strictly. */
static void
parse_query(const char *q, struct kv **v, size_t *n, size_t *cap)
{
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		struct ps_buf k = { 0 }, val = { 0 };

		if (len) {
			if (eq) {
				uri_decode(&k, q, (size_t)(eq - q));
				uri_decode(&val, eq + 1, len - (size_t)(eq - q) - 1);
			} else {
				uri_decode(&k, q, len);
			}
			kv_add_raw(v, n, cap, ps_buf_str(&k), k.len,
				   ps_buf_str(&val), val.len);
		}
		ps_buf_free(&k);
		ps_buf_free(&val);
		q += len + (amp ? 1 : 0);
	}
}

/* Canonical URI: optional dot-segment removal and slash merging, then
 * percent-encoding of each byte (slashes kept). */
static void
canonical_path(struct ps_buf *out, const char *path, int normalize)
{
	const char *segs[512];
	size_t lens[512];
	size_t nseg = 0, i;
	const char *p;
	int trailing;

	if (!path || !*path)
		path = "/";
	if (!normalize) {
		if (path[0] != '/')
			ps_buf_addc(out, '/');
		ps_s3_uri_encode(out, path, strlen(path), 1);
		return;
	}
	p = path;
	trailing = 0;
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p) {
			trailing = 1;
			break;
		}
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - s);
		trailing = 0;
		if (n == 1 && s[0] == '.') {
			trailing = 1;
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (nseg)
				nseg--;
			trailing = 1;
		} else if (nseg < PS_ARRAY_LEN(segs)) {
			segs[nseg] = s;
			lens[nseg] = n;
			nseg++;
		}
	}
	for (i = 0; i < nseg; i++) {
		ps_buf_addc(out, '/');
		ps_s3_uri_encode(out, segs[i], lens[i], 0);
	}
	if (nseg == 0 || trailing)
		ps_buf_addc(out, '/');
}

struct hdr {
	char *name;	/* lowercase */
	char *value;	/* trimmed, spaces collapsed, duplicates joined */
};

static int
hdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name,
		      ((const struct hdr *)b)->name);
}

/* Trim and collapse runs of whitespace (folded lines included). */
static char *
canon_value(const char *v)
{
	struct ps_buf b = { 0 };
	int space = 0;

	while (*v && isspace((unsigned char)*v))
		v++;
	for (; *v; v++) {
		if (isspace((unsigned char)*v)) {
			space = 1;
			continue;
		}
		if (space && b.len)
			ps_buf_addc(&b, ' ');
		space = 0;
		ps_buf_addc(&b, *v);
	}
	return ps_buf_detach(&b);
}

static void
hdr_add(struct hdr **h, size_t *n, size_t *cap, const char *name,
	const char *value)
{
	char *lname = ps_xstrdup(name), *cv = canon_value(value);
	size_t i;

	for (i = 0; lname[i]; i++)
		lname[i] = (char)tolower((unsigned char)lname[i]);
	for (i = 0; i < *n; i++) {
		if (strcmp((*h)[i].name, lname) == 0) {
			char *j = ps_xasprintf("%s,%s", (*h)[i].value, cv);

			free((*h)[i].value);
			(*h)[i].value = j;
			free(lname);
			free(cv);
			return;
		}
	}
	ps_xgrow(h, cap, *n + 1, sizeof(**h));
	(*h)[*n].name = lname;
	(*h)[*n].value = cv;
	(*n)++;
}

static void
hdr_free(struct hdr *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void
ps_s3_signed_free(struct ps_s3_signed *s)
{
	size_t i;

	if (!s)
		return;
	free(s->canonical_request);
	free(s->string_to_sign);
	for (i = 0; i < s->nadd; i++) {
		free((char *)s->add[i].name);
		free((char *)s->add[i].value);
	}
	free(s->add);
	free(s->query);
	memset(s, 0, sizeof(*s));
}

static void
signed_add(struct ps_s3_signed *s, size_t *cap, const char *name,
	   const char *value)
{
	ps_xgrow(&s->add, cap, s->nadd + 1, sizeof(*s->add));
	s->add[s->nadd].name = ps_xstrdup(name);
	s->add[s->nadd].value = ps_xstrdup(value);
	s->nadd++;
}

static void
signing_key(const char *secret, const char *date, const char *region,
	    const char *service, unsigned char out[32])
{
	char *k = ps_xasprintf("AWS4%s", secret);
	unsigned char a[32], b[32];

	hmac(k, strlen(k), date, strlen(date), a);
	hmac(a, 32, region, strlen(region), b);
	hmac(b, 32, service, strlen(service), a);
	hmac(a, 32, "aws4_request", 12, out);
	memset(k, 0, strlen(k));
	free(k);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
}

static int
sign_common(const struct ps_s3_sign_req *r, const struct ps_s3_sign_params *p,
	    int query_form, struct ps_s3_signed *out, struct ps_error *err)
{
	struct tm tm;
	char date[9];
	struct kv *q = NULL;
	size_t nq = 0, capq = 0, i;
	struct hdr *h = NULL;
	size_t nh = 0, caph = 0, capadd = 0;
	struct ps_buf cr = { 0 }, sh = { 0 }, sts = { 0 }, b = { 0 };
	const char *payload = r->payload_hash ? r->payload_hash : EMPTY_SHA256;
	int have_host = 0;
	int token_signed = p->session_token && *p->session_token &&
			   !p->omit_session_token;
	char crhash[65], *scope, *cred;
	unsigned char key[32], sig[32];

	memset(out, 0, sizeof(*out));
	if (!r->method || !p->access_key || !p->secret_key || !p->region ||
	    !p->service)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "sigv4: method, credentials, region and "
				    "service are required");
	if (!gmtime_r(&p->when, &tm))
		return ps_error_set(err, PS_EXIT_USAGE, "sigv4: bad time");
	strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	scope = ps_xasprintf("%s/%s/%s/aws4_request", date, p->region,
			     p->service);
	cred = ps_xasprintf("%s/%s", p->access_key, scope);

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, "host") == 0)
			have_host = 1;
		hdr_add(&h, &nh, &caph, r->headers[i].name, r->headers[i].value);
	}
	if (!have_host) {
		free(scope);
		free(cred);
		hdr_free(h, nh);
		return ps_error_set(err, PS_EXIT_USAGE,
				    "sigv4: the request has no Host header");
	}
	parse_query(r->query, &q, &nq, &capq);
	if (query_form) {
		char exp[32];

		snprintf(exp, sizeof(exp), "%ld",
			 p->expires > 0 ? p->expires : 3600);
		kv_add_raw(&q, &nq, &capq, "X-Amz-Algorithm", 15,
			   "AWS4-HMAC-SHA256", 16);
		kv_add_raw(&q, &nq, &capq, "X-Amz-Credential", 16, cred,
			   strlen(cred));
		kv_add_raw(&q, &nq, &capq, "X-Amz-Date", 10, out->amz_date,
			   strlen(out->amz_date));
		kv_add_raw(&q, &nq, &capq, "X-Amz-Expires", 13, exp,
			   strlen(exp));
		if (token_signed)
			kv_add_raw(&q, &nq, &capq, "X-Amz-Security-Token", 20,
				   p->session_token, strlen(p->session_token));
	} else {
		hdr_add(&h, &nh, &caph, "x-amz-date", out->amz_date);
		if (token_signed)
			hdr_add(&h, &nh, &caph, "x-amz-security-token",
				p->session_token);
		if (p->sign_body)
			hdr_add(&h, &nh, &caph, "x-amz-content-sha256", payload);
	}
	qsort(h, nh, sizeof(*h), hdr_cmp);
	for (i = 0; i < nh; i++) {
		if (i)
			ps_buf_addc(&sh, ';');
		ps_buf_adds(&sh, h[i].name);
	}
	if (query_form) {
		struct ps_buf e = { 0 };

		ps_s3_uri_encode(&e, sh.data, sh.len, 0);
		ps_xgrow(&q, &capq, nq + 1, sizeof(*q));
		q[nq].k = ps_xstrdup("X-Amz-SignedHeaders");
		q[nq].v = ps_buf_detach(&e);
		nq++;
	}
	qsort(q, nq, sizeof(*q), kv_cmp);

	/* the canonical request */
	ps_buf_adds(&cr, r->method);
	ps_buf_addc(&cr, '\n');
	canonical_path(&cr, r->path, p->normalize_path);
	ps_buf_addc(&cr, '\n');
	for (i = 0; i < nq; i++)
		ps_buf_addf(&cr, "%s%s=%s", i ? "&" : "", q[i].k, q[i].v);
	ps_buf_addc(&cr, '\n');
	for (i = 0; i < nh; i++)
		ps_buf_addf(&cr, "%s:%s\n", h[i].name, h[i].value);
	ps_buf_addc(&cr, '\n');
	ps_buf_add(&cr, sh.data, sh.len);
	ps_buf_addc(&cr, '\n');
	ps_buf_adds(&cr, payload);

	sha256_hex(cr.data, cr.len, crhash);
	ps_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", out->amz_date,
		    scope, crhash);
	signing_key(p->secret_key, date, p->region, p->service, key);
	hmac(key, 32, sts.data, sts.len, sig);
	memset(key, 0, sizeof(key));
	ps_hex(sig, 32, out->signature);

	if (query_form) {
		/* as sent: the original parameters, then the X-Amz-* ones */
		struct kv *o = NULL;
		size_t no = 0, capo = 0;
		char exp[32];

		if (r->query && *r->query)
			ps_buf_adds(&b, r->query);
		snprintf(exp, sizeof(exp), "%ld",
			 p->expires > 0 ? p->expires : 3600);
		kv_add_raw(&o, &no, &capo, "X-Amz-Algorithm", 15,
			   "AWS4-HMAC-SHA256", 16);
		kv_add_raw(&o, &no, &capo, "X-Amz-Credential", 16, cred,
			   strlen(cred));
		kv_add_raw(&o, &no, &capo, "X-Amz-Date", 10, out->amz_date,
			   strlen(out->amz_date));
		kv_add_raw(&o, &no, &capo, "X-Amz-SignedHeaders", 19, sh.data,
			   sh.len);
		kv_add_raw(&o, &no, &capo, "X-Amz-Expires", 13, exp,
			   strlen(exp));
		if (p->session_token && *p->session_token)
			kv_add_raw(&o, &no, &capo, "X-Amz-Security-Token", 20,
				   p->session_token, strlen(p->session_token));
		kv_add_raw(&o, &no, &capo, "X-Amz-Signature", 15,
			   out->signature, 64);
		for (i = 0; i < no; i++)
			ps_buf_addf(&b, "%s%s=%s", b.len ? "&" : "", o[i].k,
				    o[i].v);
		kv_free(o, no);
		out->query = ps_buf_detach(&b);
	} else {
		char *auth;

		if (p->session_token && *p->session_token)
			signed_add(out, &capadd, "X-Amz-Security-Token",
				   p->session_token);
		signed_add(out, &capadd, "X-Amz-Date", out->amz_date);
		if (p->sign_body)
			signed_add(out, &capadd, "x-amz-content-sha256",
				   payload);
		auth = ps_xasprintf("AWS4-HMAC-SHA256 Credential=%s, "
				    "SignedHeaders=%s, Signature=%s", cred,
				    sh.data, out->signature);
		signed_add(out, &capadd, "Authorization", auth);
		free(auth);
	}
	out->canonical_request = ps_buf_detach(&cr);
	out->string_to_sign = ps_buf_detach(&sts);
	ps_buf_free(&sh);
	kv_free(q, nq);
	hdr_free(h, nh);
	free(scope);
	free(cred);
	return 0;
}

int
ps_s3_sign_header(const struct ps_s3_sign_req *r,
		  const struct ps_s3_sign_params *p, struct ps_s3_signed *out,
		  struct ps_error *err)
{
	return sign_common(r, p, 0, out, err);
}

int
ps_s3_sign_query(const struct ps_s3_sign_req *r,
		 const struct ps_s3_sign_params *p, struct ps_s3_signed *out,
		 struct ps_error *err)
{
	return sign_common(r, p, 1, out, err);
}
