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
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
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
	if (nq)
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

/* ------------------------------------------------------------------ */
/* XML extraction (see the limits at the top of this file)             */
/* ------------------------------------------------------------------ */

static void
utf8_put(struct ps_buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	ps_buf_add(b, u, n);
}

/*
 * A numeric character reference at s ("&#233;" or "&#xE9;") appended to b
 * as UTF-8: the bytes it took, or 0 when s does not start with a valid one.
 */
static size_t
char_ref(struct ps_buf *b, const char *s, size_t n)
{
	int hexa = n > 2 && (s[2] == 'x' || s[2] == 'X');
	size_t i = hexa ? 3 : 2, start = i;
	unsigned long cp = 0;

	for (; i < n && s[i] != ';'; i++) {
		int d = hexa ? hexval(s[i])
			     : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);

		if (d < 0 || i - start >= 8)
			return 0;
		cp = cp * (hexa ? 16 : 10) + (unsigned long)d;
	}
	if (i >= n || i == start || cp == 0 || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	utf8_put(b, cp);
	return i + 1;
}

/* Decode the predefined entities and numeric references of s[0..n). */
static char *
xml_decode(const char *s, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		     { "&quot;", '"' }, { "&apos;", '\'' } };
	struct ps_buf b = { 0 };
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (s[i] != '&') {
			ps_buf_addc(&b, s[i]);
			continue;
		}
		for (k = 0; k < PS_ARRAY_LEN(ents); k++) {
			size_t el = strlen(ents[k].ent);

			if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0) {
				ps_buf_addc(&b, ents[k].c);
				i += el - 1;
				break;
			}
		}
		if (k < PS_ARRAY_LEN(ents))
			continue;
		if (i + 2 < n && s[i + 1] == '#') {
			size_t used = char_ref(&b, s + i, n - i);

			if (used) {
				i += used - 1;
				continue;
			}
		}
		ps_buf_addc(&b, '&');
	}
	return ps_buf_detach(&b);
}

/*
 * The next element <tag>...</tag> in [*pos, end): its content (raw) in
 * *cs and *cn, *pos moved past it. 0 found, -1 not. An empty <tag/> is found
 * with empty content.
 */
static int
xml_next(const char **pos, const char *end, const char *tag, const char **cs,
	 size_t *cn)
{
	size_t tl = strlen(tag);
	const char *p = *pos;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *q;

		if (!lt || (size_t)(end - lt) < tl + 2)
			return -1;
		if (memcmp(lt + 1, tag, tl) == 0 &&
		    (lt[tl + 1] == '>' || lt[tl + 1] == '/')) {
			if (lt[tl + 1] == '/') {
				if (lt + tl + 2 < end && lt[tl + 2] == '>') {
					*cs = lt;
					*cn = 0;
					*pos = lt + tl + 3;
					return 0;
				}
				p = lt + 1;
				continue;
			}
			q = lt + tl + 2;
			for (const char *c = q; c + tl + 3 <= end; c++) {
				if (c[0] == '<' && c[1] == '/' &&
				    memcmp(c + 2, tag, tl) == 0 &&
				    c[tl + 2] == '>') {
					*cs = q;
					*cn = (size_t)(c - q);
					*pos = c + tl + 3;
					return 0;
				}
			}
			return -1;
		}
		p = lt + 1;
	}
	return -1;
}

/* The decoded text of the first <tag> in [s, s+n), or NULL. */
static char *
xml_get(const char *s, size_t n, const char *tag)
{
	const char *pos = s, *cs;
	size_t cn;

	if (xml_next(&pos, s + n, tag, &cs, &cn) < 0)
		return NULL;
	return xml_decode(cs, cn);
}

/* ------------------------------------------------------------------ */
/* the client                                                          */
/* ------------------------------------------------------------------ */

struct ps_s3 {
	char *scheme;
	char *host;		/* as in the URL (IPv6 in brackets) */
	char *port;		/* NULL: the scheme's default */
	char *base_path;	/* endpoint path without trailing slash */
	char *region;
	int path_style;
	struct ps_s3_creds creds;
	char *ca_file;
	size_t part_size;
	int parallel;
	int max_attempts;
	unsigned retry_base_ms;
	long connect_timeout_ms;
	long low_speed_secs;
	int list_max_keys;
	CURL *easy;		/* for the calling thread's requests */
	_Atomic uint64_t requests, retries, bytes_up, bytes_down;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int
is_ip_host(const char *h)
{
	if (h[0] == '[')
		return 1;
	if (strcmp(h, "localhost") == 0)
		return 1;
	for (; *h; h++)
		if (!isdigit((unsigned char)*h) && *h != '.')
			return 0;
	return 1;
}

void
ps_s3_free(struct ps_s3 *s3)
{
	if (!s3)
		return;
	if (s3->easy)
		curl_easy_cleanup(s3->easy);
	ps_s3_creds_free(&s3->creds);
	free(s3->scheme);
	free(s3->host);
	free(s3->port);
	free(s3->base_path);
	free(s3->region);
	free(s3->ca_file);
	free(s3);
}

struct ps_s3 *
ps_s3_new(const struct ps_s3_config *cfg, struct ps_error *err)
{
	static const struct ps_s3_config none = { 0 };
	struct ps_s3 *s3;
	const char *ep, *region;
	char *ep_alloc = NULL, *part = NULL;
	CURLU *u;
	CURLUcode uc;

	pthread_once(&curl_once, curl_init_once);
	if (!cfg)
		cfg = &none;
	region = cfg->region && *cfg->region ? cfg->region : getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	if (!region || !*region)
		region = "us-east-1";
	ep = cfg->endpoint && *cfg->endpoint ? cfg->endpoint
					     : getenv("AWS_ENDPOINT_URL_S3");
	if (!ep || !*ep)
		ep = getenv("AWS_ENDPOINT_URL");
	if (!ep || !*ep)
		ep = ep_alloc = ps_xasprintf("https://s3.%s.amazonaws.com",
					     region);
	s3 = ps_xcalloc(1, sizeof(*s3));
	u = curl_url();
	uc = curl_url_set(u, CURLUPART_URL, ep, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_SCHEME, &part, 0);
	if (uc == CURLUE_OK) {
		s3->scheme = ps_xstrdup(part);
		curl_free(part);
		part = NULL;
		uc = curl_url_get(u, CURLUPART_HOST, &part, 0);
	}
	if (uc == CURLUE_OK) {
		s3->host = ps_xstrdup(part);
		curl_free(part);
		part = NULL;
		if (curl_url_get(u, CURLUPART_PORT, &part, 0) == CURLUE_OK) {
			s3->port = ps_xstrdup(part);
			curl_free(part);
			part = NULL;
		}
		if (curl_url_get(u, CURLUPART_PATH, &part, 0) == CURLUE_OK) {
			size_t n = strlen(part);

			while (n && part[n - 1] == '/')
				n--;
			s3->base_path = ps_xstrndup(part, n);
			curl_free(part);
			part = NULL;
		}
	}
	curl_url_cleanup(u);
	if (uc != CURLUE_OK || !s3->scheme ||
	    (strcmp(s3->scheme, "http") != 0 &&
	     strcmp(s3->scheme, "https") != 0)) {
		ps_error_set(err, PS_EXIT_USAGE,
			     "bad S3 endpoint '%s': expected http(s)://host[:port]",
			     ep);
		free(ep_alloc);
		ps_s3_free(s3);
		return NULL;
	}
	free(ep_alloc);
	if (!s3->base_path)
		s3->base_path = ps_xstrdup("");
	s3->region = ps_xstrdup(region);
	s3->path_style = cfg->path_style || is_ip_host(s3->host);
	s3->ca_file = cfg->ca_file ? ps_xstrdup(cfg->ca_file) : NULL;
	s3->part_size = cfg->part_size ? cfg->part_size : 8 * (size_t)MIB;
	s3->parallel = cfg->parallel > 0 ? cfg->parallel : 2;
	s3->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 6;
	s3->retry_base_ms = cfg->retry_base_ms ? cfg->retry_base_ms : 200;
	s3->connect_timeout_ms = cfg->connect_timeout_ms > 0
				 ? cfg->connect_timeout_ms : 10000;
	s3->low_speed_secs = cfg->low_speed_secs > 0 ? cfg->low_speed_secs : 30;
	s3->list_max_keys = cfg->list_max_keys > 0 ? cfg->list_max_keys : 0;
	if (cfg->creds) {
		if (!cfg->creds->access_key || !cfg->creds->secret_key) {
			ps_error_set(err, PS_EXIT_OPER, "incomplete S3 credentials");
			ps_s3_free(s3);
			return NULL;
		}
		s3->creds.access_key = ps_xstrdup(cfg->creds->access_key);
		s3->creds.secret_key = ps_xstrdup(cfg->creds->secret_key);
		s3->creds.session_token = cfg->creds->session_token
			? ps_xstrdup(cfg->creds->session_token) : NULL;
	} else if (ps_s3_creds_load(&s3->creds, cfg->profile, err) < 0) {
		ps_s3_free(s3);
		return NULL;
	}
	s3->easy = curl_easy_init();
	if (!s3->easy) {
		ps_error_set(err, PS_EXIT_OPER, "cannot initialise libcurl");
		ps_s3_free(s3);
		return NULL;
	}
	return s3;
}

void
ps_s3_get_stats(const struct ps_s3 *s3, struct ps_s3_stats *out)
{
	out->requests = s3->requests;
	out->retries = s3->retries;
	out->bytes_up = s3->bytes_up;
	out->bytes_down = s3->bytes_down;
}

void
ps_s3_object_free(struct ps_s3_object *o)
{
	if (!o)
		return;
	free(o->key);
	o->key = NULL;
}

/* One request: what to send. */
struct s3_req {
	const char *method;
	const char *bucket;
	const char *key;	/* raw; NULL for bucket-level requests */
	const char *query;	/* already encoded, or NULL */
	const void *body;
	size_t len;
	const char *body_sha;	/* hex; NULL: computed */
	const char *content_type;
	const char *range;
	const char *if_match;
	int use_fd;		/* 1: the body is bytes [0, len) of fd
				 * (pread; body_sha required) */
	int fd;
};

/* What came back. */
struct s3_resp {
	long status;
	CURLcode cres;
	char cerr[CURL_ERROR_SIZE];
	struct ps_buf body;
	char etag[80];
	uint64_t content_length;
	int have_length;
	time_t last_modified;
	uint64_t range_start;	/* Content-Range: bytes START-... */
	uint64_t range_total;	/* .../TOTAL */
	int have_range;
	int headers_done;
	int attempts;
};

static void
resp_reset(struct s3_resp *r)
{
	ps_buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct s3_resp *r = arg;
	size_t len = size * n, nl;
	const char *colon;
	char *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->etag[0] = 0;
		r->have_length = 0;
		r->have_range = 0;
		r->headers_done = 0;
		return len;
	}
	if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		r->headers_done = 1;
		return len;
	}
	colon = memchr(p, ':', len);
	if (!colon)
		return len;
	nl = (size_t)(colon - p);
	v = trim_dup(colon + 1, len - nl - 1);
	if (nl == 4 && strncasecmp(p, "etag", 4) == 0) {
		size_t vl = strlen(v);
		const char *s = v;

		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			s++;
			vl -= 2;
		}
		if (vl < sizeof(r->etag)) {
			memcpy(r->etag, s, vl);
			r->etag[vl] = 0;
		}
	} else if (nl == 14 && strncasecmp(p, "content-length", 14) == 0) {
		char *end;

		errno = 0;
		r->content_length = strtoull(v, &end, 10);
		r->have_length = !errno && end != v && !*end;
	} else if (nl == 13 && strncasecmp(p, "last-modified", 13) == 0) {
		time_t t = curl_getdate(v, NULL);

		if (t != (time_t)-1)
			r->last_modified = t;
	} else if (nl == 13 && strncasecmp(p, "content-range", 13) == 0) {
		unsigned long long a, b, t;

		if (sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
			r->range_start = a;
			r->range_total = t;
			r->have_range = 1;
		}
	}
	free(v);
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct s3_resp *r = arg;

	if (r->body.len + size * n > 4 * MIB)
		return 0;	/* not a response this client expects */
	ps_buf_add(&r->body, p, size * n);
	return size * n;
}

struct upload_src {
	const char *p;
	size_t len;
	size_t off;
	int fd;			/* >= 0: read the body from here */
};

static size_t
on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct upload_src *u = arg;
	size_t want = size * n, left = u->len - u->off;

	if (want > left)
		want = left;
	if (u->fd >= 0) {
		size_t got = 0;

		while (got < want) {
			ssize_t k = pread(u->fd, buf + got, want - got,
					  (off_t)(u->off + got));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return CURL_READFUNC_ABORT;
			got += (size_t)k;
		}
	} else {
		memcpy(buf, u->p + u->off, want);
	}
	u->off += want;
	return want;
}

static int
on_seek(void *arg, curl_off_t off, int origin)
{
	struct upload_src *u = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > u->len)
		return CURL_SEEKFUNC_CANTSEEK;
	u->off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* "/bucket/key" (path style) or "/key"; host header value. */
static void
target(const struct ps_s3 *s3, const char *bucket, const char *key,
       struct ps_buf *path, struct ps_buf *host)
{
	ps_buf_adds(path, s3->base_path);
	if (s3->path_style) {
		ps_buf_addf(path, "/%s", bucket);
		if (key)
			ps_buf_addf(path, "/%s", key);
		ps_buf_adds(host, s3->host);
	} else {
		ps_buf_addf(path, "/%s", key ? key : "");
		ps_buf_addf(host, "%s.%s", bucket, s3->host);
	}
	if (s3->port)
		ps_buf_addf(host, ":%s", s3->port);
}

/* Sign q and set up c for one attempt. The caller performs it. */
static int
prepare(struct ps_s3 *s3, CURL *c, const struct s3_req *q,
	struct s3_resp *r, struct upload_src *src, struct curl_slist **hl,
	struct ps_error *err)
{
	struct ps_buf path = { 0 }, host = { 0 }, url = { 0 }, h = { 0 };
	struct ps_s3_header hdr[1];
	struct ps_s3_sign_req sr = { 0 };
	struct ps_s3_sign_params sp = { 0 };
	struct ps_s3_signed sg;
	char sha[65];
	size_t i;

	if (q->body_sha)
		snprintf(sha, sizeof(sha), "%s", q->body_sha);
	else if (q->use_fd)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "S3 PUT from a file needs its SHA-256");
	else
		sha256_hex(q->body ? q->body : "", q->len, sha);
	target(s3, q->bucket, q->key, &path, &host);
	hdr[0].name = "Host";
	hdr[0].value = ps_buf_str(&host);
	sr.method = q->method;
	sr.path = ps_buf_str(&path);
	sr.query = q->query;
	sr.headers = hdr;
	sr.nheaders = 1;
	sr.payload_hash = sha;
	sp.access_key = s3->creds.access_key;
	sp.secret_key = s3->creds.secret_key;
	sp.session_token = s3->creds.session_token;
	sp.region = s3->region;
	sp.service = "s3";
	sp.when = time(NULL);
	sp.sign_body = 1;
	if (ps_s3_sign_header(&sr, &sp, &sg, err) < 0) {
		ps_buf_free(&path);
		ps_buf_free(&host);
		return -1;
	}
	ps_buf_addf(&url, "%s://%s", s3->scheme, ps_buf_str(&host));
	ps_s3_uri_encode(&url, path.data, path.len, 1);
	if (q->query && *q->query)
		ps_buf_addf(&url, "?%s", q->query);

	curl_easy_reset(c);
	*hl = NULL;
	ps_buf_addf(&h, "Host: %s", ps_buf_str(&host));
	*hl = curl_slist_append(*hl, h.data);
	for (i = 0; i < sg.nadd; i++) {
		ps_buf_reset(&h);
		ps_buf_addf(&h, "%s: %s", sg.add[i].name, sg.add[i].value);
		*hl = curl_slist_append(*hl, h.data);
	}
	*hl = curl_slist_append(*hl, "Expect:");
	if (q->content_type) {
		ps_buf_reset(&h);
		ps_buf_addf(&h, "Content-Type: %s", q->content_type);
		*hl = curl_slist_append(*hl, h.data);
	} else if (strcmp(q->method, "POST") == 0) {
		*hl = curl_slist_append(*hl, "Content-Type:");
	}
	if (q->range) {
		ps_buf_reset(&h);
		ps_buf_addf(&h, "Range: %s", q->range);
		*hl = curl_slist_append(*hl, h.data);
	}
	if (q->if_match) {
		ps_buf_reset(&h);
		ps_buf_addf(&h, "If-Match: \"%s\"", q->if_match);
		*hl = curl_slist_append(*hl, h.data);
	}
	ps_s3_signed_free(&sg);
	ps_buf_free(&h);

	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hl);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ps-toolkit/" PS_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s3->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s3->low_speed_secs);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->cerr);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s3->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s3->ca_file);
	src->p = q->body ? q->body : "";
	src->len = q->len;
	src->off = 0;
	src->fd = q->use_fd ? q->fd : -1;
	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->len);
		curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
	} else if (strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)q->len);
	} else if (strcmp(q->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
	if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, src);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, src);
	}
	ps_buf_free(&path);
	ps_buf_free(&host);
	ps_buf_free(&url);
	return 0;
}

static int
curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

static int
status_retryable(long st, const struct ps_buf *body)
{
	if (st == 500 || st == 502 || st == 503 || st == 504 || st == 429)
		return 1;
	if (st == 400 && body->data && strstr(body->data, "<Code>RequestTimeout<"))
		return 1;
	return 0;
}

/* Sleep before retry number `attempt` (1-based): exponential backoff with
 * equal jitter, capped at 20 s. */
static void
backoff(const struct ps_s3 *s3, int attempt)
{
	uint64_t cap = 20000, d = s3->retry_base_ms;
	uint32_t rnd = 0;
	struct timespec ts;
	int i;

	for (i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint32_t)rand();
	d = d / 2 + (d / 2 ? rnd % (d / 2 + 1) : 0);
	ts.tv_sec = (time_t)(d / 1000);
	ts.tv_nsec = (long)(d % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The S3 error code of a response body (<Error><Code>), or NULL. */
static char *
error_code(const struct s3_resp *r)
{
	if (!r->body.data)
		return NULL;
	return xml_get(r->body.data, r->body.len, "Code");
}

/* Fill err for a failed request. */
static int
request_error(const struct s3_req *q, const struct s3_resp *r,
	      struct ps_error *err)
{
	char *code, *msg;
	const char *what = q->key ? q->key : "";

	if (r->cres != CURLE_OK)
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 %s s3://%s/%s: %s (after %d attempt%s)",
				    q->method, q->bucket, what,
				    r->cerr[0] ? r->cerr
					       : curl_easy_strerror(r->cres),
				    r->attempts, r->attempts == 1 ? "" : "s");
	code = error_code(r);
	msg = r->body.data ? xml_get(r->body.data, r->body.len, "Message")
			   : NULL;
	ps_error_set(err, PS_EXIT_OPER, "S3 %s s3://%s/%s: HTTP %ld%s%s%s%s%s",
		     q->method, q->bucket, what, r->status, code ? " " : "",
		     code ? code : "", msg ? ": " : "", msg ? msg : "",
		     r->attempts > 1 ? " (after retries)" : "");
	free(code);
	free(msg);
	return -1;
}

/*
 * Send q with retries. 0 when a response came (any status: the caller
 * judges it; retryable statuses have been retried), -1 and err when no
 * usable response came.
 */
static int
do_request(struct ps_s3 *s3, CURL *c, const struct s3_req *q,
	   struct s3_resp *r, struct ps_error *err)
{
	int attempt;

	for (attempt = 1;; attempt++) {
		struct upload_src src;
		struct curl_slist *hl = NULL;

		resp_reset(r);
		r->attempts = attempt;
		if (prepare(s3, c, q, r, &src, &hl, err) < 0)
			return -1;
		s3->requests++;
		if (attempt > 1)
			s3->retries++;
		r->cres = curl_easy_perform(c);
		curl_slist_free_all(hl);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		s3->bytes_up += src.off;
		s3->bytes_down += r->body.len;
		if (r->cres == CURLE_OK && !status_retryable(r->status, &r->body))
			return 0;
		if (attempt >= s3->max_attempts ||
		    (r->cres != CURLE_OK && !curl_retryable(r->cres))) {
			if (r->cres != CURLE_OK)
				return request_error(q, r, err);
			return 0;
		}
		backoff(s3, attempt);
	}
}

static int
ok_status(long st)
{
	return st >= 200 && st < 300;
}

int
ps_s3_put(struct ps_s3 *s3, const char *bucket, const char *key,
	  const void *data, size_t len, struct ps_error *err)
{
	struct s3_req q = { "PUT", bucket, key, NULL, data, len, NULL, NULL,
			    NULL, NULL };
	struct s3_resp r = { 0 };
	int rc = 0;

	if (do_request(s3, s3->easy, &q, &r, err) < 0)
		rc = -1;
	else if (!ok_status(r.status))
		rc = request_error(&q, &r, err);
	resp_reset(&r);
	return rc;
}

int
ps_s3_put_file(struct ps_s3 *s3, const char *bucket, const char *key, int fd,
	       uint64_t size, const char *sha256, struct ps_error *err)
{
	struct s3_req q = { "PUT", bucket, key, NULL, NULL, (size_t)size,
			    sha256, NULL, NULL, NULL, 1, fd };
	struct s3_resp r = { 0 };
	int rc = 0;

	if (size > PS_S3_MAX_PUT)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "S3 PUT s3://%s/%s: %llu bytes is more "
				    "than one PUT may carry", bucket, key,
				    (unsigned long long)size);
	if (!sha256 || strlen(sha256) != 64)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "S3 PUT s3://%s/%s: no SHA-256 of the body",
				    bucket, key);
	if (do_request(s3, s3->easy, &q, &r, err) < 0)
		rc = -1;
	else if (!ok_status(r.status))
		rc = request_error(&q, &r, err);
	resp_reset(&r);
	return rc;
}

int
ps_s3_head(struct ps_s3 *s3, const char *bucket, const char *key,
	   struct ps_s3_object *out, struct ps_error *err)
{
	struct s3_req q = { "HEAD", bucket, key, NULL, NULL, 0, NULL, NULL,
			    NULL, NULL };
	struct s3_resp r = { 0 };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (do_request(s3, s3->easy, &q, &r, err) < 0) {
		rc = -1;
	} else if (r.status == 404) {
		rc = 1;
	} else if (!ok_status(r.status)) {
		rc = request_error(&q, &r, err);
	} else {
		out->key = ps_xstrdup(key);
		out->size = r.content_length;
		out->mtime = r.last_modified;
		snprintf(out->etag, sizeof(out->etag), "%s", r.etag);
	}
	resp_reset(&r);
	return rc;
}

int
ps_s3_delete(struct ps_s3 *s3, const char *bucket, const char *key,
	     struct ps_error *err)
{
	struct s3_req q = { "DELETE", bucket, key, NULL, NULL, 0, NULL, NULL,
			    NULL, NULL };
	struct s3_resp r = { 0 };
	int rc = 0;

	if (do_request(s3, s3->easy, &q, &r, err) < 0)
		rc = -1;
	else if (!ok_status(r.status) && r.status != 404)
		rc = request_error(&q, &r, err);
	resp_reset(&r);
	return rc;
}

int
ps_s3_create_bucket(struct ps_s3 *s3, const char *bucket, struct ps_error *err)
{
	struct s3_req q = { "PUT", bucket, NULL, NULL, NULL, 0, NULL, NULL,
			    NULL, NULL };
	struct s3_resp r = { 0 };
	int rc = 0;

	if (do_request(s3, s3->easy, &q, &r, err) < 0) {
		rc = -1;
	} else if (!ok_status(r.status)) {
		char *code = error_code(&r);

		if (!(r.status == 409 && code &&
		      (strcmp(code, "BucketAlreadyOwnedByYou") == 0 ||
		       strcmp(code, "BucketAlreadyExists") == 0)))
			rc = request_error(&q, &r, err);
		free(code);
	}
	resp_reset(&r);
	return rc;
}

static time_t
parse_iso8601(const char *s)
{
	struct tm tm = { 0 };
	const char *rest;

	if (!s)
		return 0;
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	return timegm(&tm);
}

int
ps_s3_parse_list(const char *xml, size_t n,
		 int (*cb)(void *arg, const struct ps_s3_object *o), void *arg,
		 char **next_token, struct ps_error *err)
{
	const char *pos = xml, *end = xml + n, *cs;
	size_t cn;
	char *trunc;
	int rc = 0;

	*next_token = NULL;
	if (!xml || !memmem(xml, n, "<ListBucketResult", 17))
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 list: not a ListBucketResult");
	while (rc == 0 && xml_next(&pos, end, "Contents", &cs, &cn) == 0) {
		struct ps_s3_object o = { 0 };
		char *size = xml_get(cs, cn, "Size");
		char *lm = xml_get(cs, cn, "LastModified");
		char *etag = xml_get(cs, cn, "ETag");
		long long sz = -1;
		char *e;

		o.key = xml_get(cs, cn, "Key");
		if (size) {
			errno = 0;
			sz = strtoll(size, &e, 10);
			if (errno || *e || e == size)
				sz = -1;
		}
		if (!o.key || !*o.key || sz < 0) {
			rc = ps_error_set(err, PS_EXIT_OPER,
					  "S3 list: malformed <Contents> entry");
		} else {
			o.size = (uint64_t)sz;
			o.mtime = parse_iso8601(lm);
			if (etag) {
				size_t el = strlen(etag);
				const char *t = etag;

				if (el >= 2 && etag[0] == '"' &&
				    etag[el - 1] == '"') {
					t++;
					el -= 2;
				}
				if (el < sizeof(o.etag)) {
					memcpy(o.etag, t, el);
					o.etag[el] = 0;
				}
			}
			rc = cb(arg, &o);
		}
		free(o.key);
		free(size);
		free(lm);
		free(etag);
	}
	trunc = xml_get(xml, n, "IsTruncated");
	if (rc == 0 && trunc && strcmp(trunc, "true") == 0) {
		*next_token = xml_get(xml, n, "NextContinuationToken");
		if (!*next_token || !**next_token) {
			free(*next_token);
			*next_token = NULL;
			rc = ps_error_set(err, PS_EXIT_OPER,
					  "S3 list: truncated listing without "
					  "a continuation token");
		}
	}
	free(trunc);
	return rc;
}

int
ps_s3_list(struct ps_s3 *s3, const char *bucket, const char *prefix,
	   int (*cb)(void *arg, const struct ps_s3_object *o), void *arg,
	   struct ps_error *err)
{
	char *token = NULL;
	int rc = 0;

	do {
		struct ps_buf qs = { 0 };
		struct s3_req q = { "GET", bucket, NULL, NULL, NULL, 0, NULL,
				    NULL, NULL, NULL };
		struct s3_resp r = { 0 };

		/* the query in canonical order, so it is sent as signed */
		if (token) {
			ps_buf_adds(&qs, "continuation-token=");
			ps_s3_uri_encode(&qs, token, strlen(token), 0);
			ps_buf_addc(&qs, '&');
		}
		ps_buf_adds(&qs, "list-type=2");
		if (s3->list_max_keys)
			ps_buf_addf(&qs, "&max-keys=%d", s3->list_max_keys);
		if (prefix && *prefix) {
			ps_buf_adds(&qs, "&prefix=");
			ps_s3_uri_encode(&qs, prefix, strlen(prefix), 0);
		}
		q.query = qs.data;
		free(token);
		token = NULL;
		if (do_request(s3, s3->easy, &q, &r, err) < 0) {
			ps_buf_free(&qs);
			resp_reset(&r);
			return -1;
		}
		if (!ok_status(r.status) || !r.body.data ||
		    !strstr(r.body.data, "<ListBucketResult")) {
			if (ok_status(r.status))
				ps_error_set(err, PS_EXIT_OPER,
					     "S3 list s3://%s/%s: unexpected "
					     "response", bucket,
					     prefix ? prefix : "");
			else
				request_error(&q, &r, err);
			ps_buf_free(&qs);
			resp_reset(&r);
			return -1;
		}
		rc = ps_s3_parse_list(r.body.data, r.body.len, cb, arg, &token,
				      err);
		ps_buf_free(&qs);
		resp_reset(&r);
	} while (rc == 0 && token);
	free(token);
	return rc;
}

char *
ps_s3_presign(struct ps_s3 *s3, const char *method, const char *bucket,
	      const char *key, long expires, struct ps_error *err)
{
	struct ps_buf path = { 0 }, host = { 0 }, url = { 0 };
	struct ps_s3_header hdr[1];
	struct ps_s3_sign_req sr = { 0 };
	struct ps_s3_sign_params sp = { 0 };
	struct ps_s3_signed sg;

	target(s3, bucket, key, &path, &host);
	hdr[0].name = "Host";
	hdr[0].value = ps_buf_str(&host);
	sr.method = method;
	sr.path = ps_buf_str(&path);
	sr.headers = hdr;
	sr.nheaders = 1;
	sr.payload_hash = "UNSIGNED-PAYLOAD";
	sp.access_key = s3->creds.access_key;
	sp.secret_key = s3->creds.secret_key;
	sp.session_token = s3->creds.session_token;
	sp.region = s3->region;
	sp.service = "s3";
	sp.when = time(NULL);
	sp.expires = expires;
	if (ps_s3_sign_query(&sr, &sp, &sg, err) < 0) {
		ps_buf_free(&path);
		ps_buf_free(&host);
		return NULL;
	}
	ps_buf_addf(&url, "%s://%s", s3->scheme, ps_buf_str(&host));
	ps_s3_uri_encode(&url, path.data, path.len, 1);
	ps_buf_addf(&url, "?%s", sg.query);
	ps_s3_signed_free(&sg);
	ps_buf_free(&path);
	ps_buf_free(&host);
	return ps_buf_detach(&url);
}

/* ------------------------------------------------------------------ */
/* multipart upload                                                    */
/* ------------------------------------------------------------------ */

#define MAX_PARTS 10000

struct part_buf {
	char *p;
	size_t cap;
	size_t len;
	int partno;
};

struct ps_s3_upload {
	struct ps_s3 *s3;
	char *bucket;
	char *key;
	struct part_buf cur;
	char *upload_id;
	int next_part;		/* number of the part being filled */
	char **etags;		/* [partno - 1] */
	size_t etag_cap;
	uint64_t total;

	pthread_t *threads;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct part_buf *queue;	/* FIFO of parts to upload */
	size_t qhead, qlen, qcap;
	struct part_buf *spare;	/* buffers free for filling */
	size_t nspare, spare_cap;
	int allocated;		/* buffers in existence */
	int busy;		/* parts being uploaded */
	int stop;
	int failed;
	struct ps_error ferr;

	/* streaming single PUT of a declared size (ps_s3_upload_begin_size) */
	int streaming;
	uint64_t declared;
	char *ring;		/* bytes written, not yet sent */
	size_t rcap, rhead, rlen;
	int eof;		/* commit: no more bytes */
	int cancel;		/* abort: end the transfer */
	int sent_done;		/* the transfer ended */
	pthread_t put_thread;
	int put_started;
	struct s3_resp put_resp;
	EVP_MD_CTX *md5;
};

/* Part size for part number n: the configured size, doubled every 2,000
 * parts so that 10,000 parts reach far beyond part_size * 10,000. */
static size_t
part_size_for(const struct ps_s3_upload *u, int n)
{
	size_t s = u->s3->part_size;
	int k = (n - 1) / 2000;

	while (k-- > 0 && s < (size_t)1 << 32)
		s *= 2;
	return s;
}

static int
upload_part(struct ps_s3 *s3, CURL *c, struct ps_s3_upload *u,
	    struct part_buf *b, char **etag, struct ps_error *err)
{
	char sha[65], *qs;
	struct s3_req q = { "PUT", u->bucket, u->key, NULL, b->p, b->len, sha,
			    NULL, NULL, NULL };
	struct s3_resp r = { 0 };
	struct ps_buf e = { 0 };
	int rc = 0;

	sha256_hex(b->p, b->len, sha);
	ps_s3_uri_encode(&e, u->upload_id, strlen(u->upload_id), 0);
	qs = ps_xasprintf("partNumber=%d&uploadId=%s", b->partno, e.data);
	ps_buf_free(&e);
	q.query = qs;
	if (do_request(s3, c, &q, &r, err) < 0) {
		rc = -1;
	} else if (!ok_status(r.status)) {
		rc = request_error(&q, &r, err);
	} else if (!r.etag[0]) {
		rc = ps_error_set(err, PS_EXIT_OPER,
				  "S3 upload part %d of s3://%s/%s: no ETag "
				  "in the response", b->partno, u->bucket,
				  u->key);
	} else {
		*etag = ps_xstrdup(r.etag);
	}
	resp_reset(&r);
	free(qs);
	return rc;
}

static void *
upload_worker(void *arg)
{
	struct ps_s3_upload *u = arg;
	CURL *c = curl_easy_init();

	pthread_mutex_lock(&u->mu);
	for (;;) {
		struct part_buf b;
		struct ps_error err = { 0 };
		char *etag = NULL;
		int rc;

		while (u->qlen == 0 && !u->stop)
			pthread_cond_wait(&u->cv, &u->mu);
		if (u->qlen == 0)
			break;
		b = u->queue[u->qhead];
		u->qhead = (u->qhead + 1) % u->qcap;
		u->qlen--;
		u->busy++;
		if (u->failed || !c) {
			rc = -1;
			if (!c && !u->failed)
				ps_error_set(&err, PS_EXIT_OPER,
					     "cannot initialise libcurl");
		} else {
			pthread_mutex_unlock(&u->mu);
			rc = upload_part(u->s3, c, u, &b, &etag, &err);
			pthread_mutex_lock(&u->mu);
		}
		if (rc == 0) {
			u->etags[b.partno - 1] = etag;
		} else if (!u->failed) {
			u->failed = 1;
			u->ferr = err;
		}
		b.len = 0;
		u->spare[u->nspare++] = b;
		u->busy--;
		pthread_cond_broadcast(&u->cv);
	}
	pthread_mutex_unlock(&u->mu);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

struct ps_s3_upload *
ps_s3_upload_begin(struct ps_s3 *s3, const char *bucket, const char *key,
		   struct ps_error *err)
{
	struct ps_s3_upload *u;

	if (!bucket || !*bucket || !key || !*key) {
		ps_error_set(err, PS_EXIT_USAGE, "S3 upload: empty bucket or key");
		return NULL;
	}
	u = ps_xcalloc(1, sizeof(*u));
	u->s3 = s3;
	u->bucket = ps_xstrdup(bucket);
	u->key = ps_xstrdup(key);
	u->next_part = 1;
	u->cur.cap = part_size_for(u, 1);
	u->cur.p = ps_xmalloc(u->cur.cap);
	u->allocated = 1;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	return u;
}

/* curl's read callback of a streaming PUT: wait for bytes from the writer. */
static size_t
stream_read(char *buf, size_t size, size_t n, void *arg)
{
	struct ps_s3_upload *u = arg;
	size_t want = size * n, k = 0;

	pthread_mutex_lock(&u->mu);
	while (u->rlen == 0 && !u->eof && !u->cancel)
		pthread_cond_wait(&u->cv, &u->mu);
	if (u->cancel) {
		pthread_mutex_unlock(&u->mu);
		return CURL_READFUNC_ABORT;
	}
	while (k < want && u->rlen) {
		size_t chunk = u->rcap - u->rhead;

		if (chunk > u->rlen)
			chunk = u->rlen;
		if (chunk > want - k)
			chunk = want - k;
		memcpy(buf + k, u->ring + u->rhead, chunk);
		u->rhead = (u->rhead + chunk) % u->rcap;
		u->rlen -= chunk;
		k += chunk;
	}
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	return k;
}

static void *
stream_worker(void *arg)
{
	struct ps_s3_upload *u = arg;
	struct s3_req q = { "PUT", u->bucket, u->key, NULL, NULL,
			    (size_t)u->declared, "UNSIGNED-PAYLOAD", NULL, NULL,
			    NULL };
	struct upload_src src;
	struct curl_slist *hl = NULL;
	struct ps_error err = { 0 };
	CURL *c = curl_easy_init();

	u->put_resp.attempts = 1;
	if (!c || prepare(u->s3, c, &q, &u->put_resp, &src, &hl, &err) < 0) {
		u->put_resp.cres = CURLE_FAILED_INIT;
	} else {
		curl_easy_setopt(c, CURLOPT_READFUNCTION, stream_read);
		curl_easy_setopt(c, CURLOPT_READDATA, u);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, NULL);
		u->s3->requests++;
		u->put_resp.cres = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
				  &u->put_resp.status);
		u->s3->bytes_up += u->declared;
	}
	curl_slist_free_all(hl);
	if (c)
		curl_easy_cleanup(c);
	pthread_mutex_lock(&u->mu);
	u->sent_done = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

struct ps_s3_upload *
ps_s3_upload_begin_size(struct ps_s3 *s3, const char *bucket, const char *key,
			uint64_t size, struct ps_error *err)
{
	struct ps_s3_upload *u = ps_s3_upload_begin(s3, bucket, key, err);

	if (!u || size <= u->cur.cap || size > PS_S3_MAX_PUT)
		return u;	/* one buffered PUT, or multipart */
	free(u->cur.p);
	u->cur.p = NULL;
	u->cur.cap = 0;
	u->streaming = 1;
	u->declared = size;
	u->rcap = 4 * (size_t)MIB;
	u->ring = ps_xmalloc(u->rcap);
	u->md5 = EVP_MD_CTX_new();
	if (!u->md5 || !EVP_DigestInit_ex(u->md5, EVP_md5(), NULL) ||
	    pthread_create(&u->put_thread, NULL, stream_worker, u) != 0) {
		ps_error_set(err, PS_EXIT_OPER, "cannot start the upload of "
			     "s3://%s/%s", bucket, key);
		ps_s3_upload_abort(u);
		return NULL;
	}
	u->put_started = 1;
	return u;
}

static int
stream_write(struct ps_s3_upload *u, const char *p, size_t n,
	     struct ps_error *err)
{
	if (u->total + n > u->declared)
		return ps_error_set(err, PS_EXIT_USAGE,
				    "S3 upload of s3://%s/%s: more than the "
				    "declared %llu bytes", u->bucket, u->key,
				    (unsigned long long)u->declared);
	EVP_DigestUpdate(u->md5, p, n);
	pthread_mutex_lock(&u->mu);
	while (n) {
		size_t tail, chunk;

		while (u->rlen == u->rcap && !u->sent_done)
			pthread_cond_wait(&u->cv, &u->mu);
		if (u->sent_done) {
			pthread_mutex_unlock(&u->mu);
			return ps_error_set(err, PS_EXIT_OPER,
					    "S3 PUT s3://%s/%s: the transfer "
					    "ended early: %s", u->bucket, u->key,
					    u->put_resp.cerr[0]
					    ? u->put_resp.cerr
					    : curl_easy_strerror(u->put_resp.cres));
		}
		tail = (u->rhead + u->rlen) % u->rcap;
		chunk = u->rcap - u->rlen;
		if (chunk > u->rcap - tail)
			chunk = u->rcap - tail;
		if (chunk > n)
			chunk = n;
		memcpy(u->ring + tail, p, chunk);
		u->rlen += chunk;
		u->total += chunk;
		p += chunk;
		n -= chunk;
		pthread_cond_broadcast(&u->cv);
	}
	pthread_mutex_unlock(&u->mu);
	return 0;
}

static void
stream_stop(struct ps_s3_upload *u, int cancel)
{
	if (!u->put_started)
		return;
	pthread_mutex_lock(&u->mu);
	if (cancel)
		u->cancel = 1;
	else
		u->eof = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->put_thread, NULL);
	u->put_started = 0;
}

static int
stream_commit(struct ps_s3_upload *u, struct ps_error *err)
{
	struct s3_req q = { "PUT", u->bucket, u->key, NULL, NULL, 0, NULL,
			    NULL, NULL, NULL };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	char hex[33];

	if (u->total != u->declared) {
		stream_stop(u, 1);
		return ps_error_set(err, PS_EXIT_USAGE,
				    "S3 upload of s3://%s/%s: %llu bytes "
				    "written, %llu declared", u->bucket, u->key,
				    (unsigned long long)u->total,
				    (unsigned long long)u->declared);
	}
	stream_stop(u, 0);
	if (u->put_resp.cres != CURLE_OK || !ok_status(u->put_resp.status))
		return request_error(&q, &u->put_resp, err);
	EVP_DigestFinal_ex(u->md5, md, &ml);
	ps_hex(md, 16, hex);
	/* a plain ETag is the MD5 of the content: check what arrived */
	if (strlen(u->put_resp.etag) == 32 &&
	    strspn(u->put_resp.etag, "0123456789abcdef") == 32 &&
	    strcmp(u->put_resp.etag, hex) != 0) {
		struct ps_error derr = { 0 };

		ps_s3_delete(u->s3, u->bucket, u->key, &derr);
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 PUT s3://%s/%s: the stored object's "
				    "MD5 (%s) differs from what was sent (%s)",
				    u->bucket, u->key, u->put_resp.etag, hex);
	}
	return 0;
}

static int
initiate(struct ps_s3_upload *u, struct ps_error *err)
{
	struct s3_req q = { "POST", u->bucket, u->key, "uploads=", NULL, 0,
			    NULL, NULL, NULL, NULL };
	struct s3_resp r = { 0 };
	int i, n;

	if (do_request(u->s3, u->s3->easy, &q, &r, err) < 0) {
		resp_reset(&r);
		return -1;
	}
	if (!ok_status(r.status)) {
		request_error(&q, &r, err);
		resp_reset(&r);
		return -1;
	}
	u->upload_id = r.body.data ? xml_get(r.body.data, r.body.len, "UploadId")
				   : NULL;
	resp_reset(&r);
	if (!u->upload_id || !*u->upload_id) {
		free(u->upload_id);
		u->upload_id = NULL;
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 initiate multipart upload of s3://%s/%s:"
				    " no UploadId in the response", u->bucket,
				    u->key);
	}
	n = u->s3->parallel;
	u->qcap = (size_t)n + 2;
	u->queue = ps_xcalloc(u->qcap, sizeof(*u->queue));
	u->spare_cap = (size_t)n + 2;
	u->spare = ps_xcalloc(u->spare_cap, sizeof(*u->spare));
	u->threads = ps_xcalloc((size_t)n, sizeof(*u->threads));
	for (i = 0; i < n; i++) {
		if (pthread_create(&u->threads[i], NULL, upload_worker, u) != 0)
			break;
		u->nthreads++;
	}
	if (u->nthreads == 0)
		return ps_error_set(err, PS_EXIT_OPER,
				    "cannot start upload threads: %s",
				    strerror(errno));
	return 0;
}

/* Hand the filled part to the workers and get a buffer for the next. */
static int
ship_part(struct ps_s3_upload *u, struct ps_error *err)
{
	size_t want;

	if (!u->upload_id && initiate(u, err) < 0)
		return -1;
	if (u->next_part > MAX_PARTS)
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 upload of s3://%s/%s: more than %d "
				    "parts", u->bucket, u->key, MAX_PARTS);
	u->cur.partno = u->next_part++;
	pthread_mutex_lock(&u->mu);
	ps_xgrow(&u->etags, &u->etag_cap, (size_t)u->cur.partno, sizeof(char *));
	u->etags[u->cur.partno - 1] = NULL;
	u->queue[(u->qhead + u->qlen) % u->qcap] = u->cur;
	u->qlen++;
	memset(&u->cur, 0, sizeof(u->cur));
	pthread_cond_broadcast(&u->cv);
	while (!u->failed && u->nspare == 0 &&
	       u->allocated >= u->s3->parallel + 1)
		pthread_cond_wait(&u->cv, &u->mu);
	if (u->failed) {
		*err = u->ferr;
		pthread_mutex_unlock(&u->mu);
		return -1;
	}
	if (u->nspare) {
		u->cur = u->spare[--u->nspare];
	} else {
		u->allocated++;
	}
	pthread_mutex_unlock(&u->mu);
	want = part_size_for(u, u->next_part);
	if (u->cur.cap < want) {
		free(u->cur.p);
		u->cur.p = ps_xmalloc(want);
		u->cur.cap = want;
	}
	u->cur.len = 0;
	return 0;
}

int
ps_s3_upload_write(struct ps_s3_upload *u, const void *p, size_t n,
		   struct ps_error *err)
{
	const char *s = p;

	if (u->streaming)
		return stream_write(u, s, n, err);
	while (n) {
		size_t room = u->cur.cap - u->cur.len, k = n < room ? n : room;

		memcpy(u->cur.p + u->cur.len, s, k);
		u->cur.len += k;
		u->total += k;
		s += k;
		n -= k;
		if (u->cur.len == u->cur.cap && n && ship_part(u, err) < 0)
			return -1;
	}
	return 0;
}

/* Stop and join the workers; free the buffers. */
static void
upload_teardown(struct ps_s3_upload *u)
{
	int i;
	size_t k;

	pthread_mutex_lock(&u->mu);
	u->stop = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (i = 0; i < u->nthreads; i++)
		pthread_join(u->threads[i], NULL);
	u->nthreads = 0;
	for (k = 0; k < u->qlen; k++)
		free(u->queue[(u->qhead + k) % u->qcap].p);
	u->qlen = 0;
	for (k = 0; k < u->nspare; k++)
		free(u->spare[k].p);
	u->nspare = 0;
}

static void
upload_free(struct ps_s3_upload *u)
{
	int i;

	upload_teardown(u);
	for (i = 0; u->etags && i < u->next_part - 1; i++)
		free(u->etags[i]);
	free(u->etags);
	free(u->cur.p);
	free(u->queue);
	free(u->spare);
	free(u->threads);
	free(u->upload_id);
	free(u->bucket);
	free(u->key);
	free(u->ring);
	if (u->md5)
		EVP_MD_CTX_free(u->md5);
	resp_reset(&u->put_resp);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	free(u);
}

static void
abort_remote(struct ps_s3_upload *u)
{
	struct ps_buf e = { 0 };
	char *qs;
	struct s3_req q = { "DELETE", u->bucket, u->key, NULL, NULL, 0, NULL,
			    NULL, NULL, NULL };
	struct s3_resp r = { 0 };
	struct ps_error err = { 0 };

	if (!u->upload_id)
		return;
	ps_s3_uri_encode(&e, u->upload_id, strlen(u->upload_id), 0);
	qs = ps_xasprintf("uploadId=%s", e.data);
	q.query = qs;
	/* best effort: a server that cannot abort keeps an orphan upload
	 * that is never visible as an object */
	do_request(u->s3, u->s3->easy, &q, &r, &err);
	resp_reset(&r);
	ps_buf_free(&e);
	free(qs);
}

void
ps_s3_upload_abort(struct ps_s3_upload *u)
{
	if (!u)
		return;
	stream_stop(u, 1);
	pthread_mutex_lock(&u->mu);
	u->failed = 1;		/* workers skip what is still queued */
	pthread_mutex_unlock(&u->mu);
	upload_teardown(u);
	abort_remote(u);
	upload_free(u);
}

static int
complete(struct ps_s3_upload *u, struct ps_error *err)
{
	struct ps_buf body = { 0 }, e = { 0 };
	char *qs, *code = NULL;
	struct s3_req q = { "POST", u->bucket, u->key, NULL, NULL, 0, NULL,
			    "application/xml", NULL, NULL };
	struct s3_resp r = { 0 };
	int i, rc = 0;

	ps_buf_adds(&body, "<CompleteMultipartUpload>");
	for (i = 0; i < u->next_part - 1; i++)
		ps_buf_addf(&body, "<Part><PartNumber>%d</PartNumber>"
			    "<ETag>\"%s\"</ETag></Part>", i + 1, u->etags[i]);
	ps_buf_adds(&body, "</CompleteMultipartUpload>");
	ps_s3_uri_encode(&e, u->upload_id, strlen(u->upload_id), 0);
	qs = ps_xasprintf("uploadId=%s", e.data);
	q.query = qs;
	q.body = body.data;
	q.len = body.len;
	if (do_request(u->s3, u->s3->easy, &q, &r, err) < 0) {
		rc = -1;
	} else {
		/* S3 may answer 200 with an <Error> body */
		int bad = !ok_status(r.status) ||
			  (r.body.data && strstr(r.body.data, "<Error>"));

		code = bad ? error_code(&r) : NULL;
		if (bad && r.attempts > 1 && code &&
		    strcmp(code, "NoSuchUpload") == 0) {
			/* an earlier attempt completed it: check */
			struct ps_s3_object o;
			struct ps_error herr = { 0 };

			if (ps_s3_head(u->s3, u->bucket, u->key, &o, &herr) == 0
			    && o.size == u->total)
				bad = 0;
			ps_s3_object_free(&o);
		}
		if (bad) {
			if (ok_status(r.status))
				r.status = 500;
			rc = request_error(&q, &r, err);
		}
	}
	free(code);
	resp_reset(&r);
	ps_buf_free(&body);
	ps_buf_free(&e);
	free(qs);
	return rc;
}

int
ps_s3_upload_commit(struct ps_s3_upload *u, struct ps_error *err)
{
	int rc;

	if (u->streaming) {
		rc = stream_commit(u, err);
		upload_free(u);
		return rc;
	}
	if (!u->upload_id) {
		rc = ps_s3_put(u->s3, u->bucket, u->key, u->cur.p, u->cur.len,
			       err);
		upload_free(u);
		return rc;
	}
	if (u->cur.len && ship_part(u, err) < 0) {
		ps_s3_upload_abort(u);
		return -1;
	}
	/* wait for the workers to drain the queue */
	pthread_mutex_lock(&u->mu);
	while (!u->failed && (u->qlen || u->busy))
		pthread_cond_wait(&u->cv, &u->mu);
	if (u->failed) {
		*err = u->ferr;
		pthread_mutex_unlock(&u->mu);
		ps_s3_upload_abort(u);
		return -1;
	}
	pthread_mutex_unlock(&u->mu);
	upload_teardown(u);
	rc = complete(u, err);
	if (rc < 0)
		abort_remote(u);
	upload_free(u);
	return rc;
}

/* ------------------------------------------------------------------ */
/* streaming download                                                  */
/* ------------------------------------------------------------------ */

#define READ_HIGH (4 * 1024 * 1024)	/* pause the transfer above this */

struct ps_s3_reader {
	struct ps_s3 *s3;
	char *bucket;
	char *key;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hl;
	struct upload_src src;
	struct s3_resp resp;	/* headers; error bodies */
	char *buf;		/* pending object bytes [start, start+len) */
	size_t start, len, cap;
	int running;		/* a transfer is attached to multi */
	int done;		/* it finished (result in resp.cres) */
	int paused;
	uint64_t got;		/* object bytes received so far */
	uint64_t base;		/* got when the current transfer started */
	int validated;		/* the current response was judged good */
	int bad_range;		/* ... or not */
	uint64_t size;		/* whole object */
	int size_known;		/* the server sent Content-Length */
	char etag[80];
	int attempts;
};

/*
 * Judge a 2xx response before taking its bytes: the whole object from the
 * start (200), or exactly the range asked for (206). 0 good, -1 not.
 */
static int
reader_validate(struct ps_s3_reader *r, long st)
{
	if (r->validated)
		return 0;
	if (st == 200 && r->base == 0) {
		r->size = r->resp.content_length;
		r->size_known = r->resp.have_length;
		snprintf(r->etag, sizeof(r->etag), "%s", r->resp.etag);
	} else if (!(st == 206 && r->base && r->resp.have_range &&
		     r->resp.range_start == r->base)) {
		r->bad_range = 1;
		return -1;
	}
	r->validated = 1;
	return 0;
}

static size_t
reader_body(char *p, size_t size, size_t n, void *arg)
{
	struct ps_s3_reader *r = arg;
	size_t len = size * n;
	long st = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &st);
	if (st < 200 || st >= 300)
		return on_body(p, size, n, &r->resp);
	if (reader_validate(r, st) < 0)
		return 0;	/* ends the transfer */
	if (r->len && r->len + len > READ_HIGH) {
		r->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (r->start + r->len + len > r->cap) {
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->len);
			r->start = 0;
		}
		if (r->len + len > r->cap) {
			size_t want = r->len + len;

			ps_xgrow(&r->buf, &r->cap, want, 1);
		}
	}
	memcpy(r->buf + r->start + r->len, p, len);
	r->len += len;
	r->got += len;
	r->s3->bytes_down += len;
	return len;
}

static void
reader_detach(struct ps_s3_reader *r)
{
	if (r->running) {
		curl_multi_remove_handle(r->multi, r->easy);
		r->running = 0;
	}
	curl_slist_free_all(r->hl);
	r->hl = NULL;
}

/* Start a GET from byte r->got. */
static int
reader_start(struct ps_s3_reader *r, struct ps_error *err)
{
	char range[64];
	struct s3_req q = { "GET", r->bucket, r->key, NULL, NULL, 0, NULL,
			    NULL, NULL, NULL };

	reader_detach(r);
	if (r->got) {
		snprintf(range, sizeof(range), "bytes=%llu-",
			 (unsigned long long)r->got);
		q.range = range;
		if (r->etag[0])
			q.if_match = r->etag;
	}
	resp_reset(&r->resp);
	r->base = r->got;
	r->validated = 0;
	r->bad_range = 0;
	r->attempts++;
	r->resp.attempts = r->attempts;
	if (prepare(r->s3, r->easy, &q, &r->resp, &r->src, &r->hl, err) < 0)
		return -1;
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, reader_body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	r->s3->requests++;
	if (r->attempts > 1)
		r->s3->retries++;
	r->done = 0;
	r->paused = 0;
	if (curl_multi_add_handle(r->multi, r->easy) != CURLM_OK)
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 GET s3://%s/%s: cannot start transfer",
				    r->bucket, r->key);
	r->running = 1;
	return 0;
}

/* Drive the transfer a step: until some data, the headers or the end. */
static void
reader_pump(struct ps_s3_reader *r)
{
	int still = 0, left;
	CURLMsg *m;
	size_t before = r->len;
	int hdrs = r->resp.headers_done;

	for (;;) {
		curl_multi_perform(r->multi, &still);
		while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
			if (m->msg == CURLMSG_DONE && m->easy_handle == r->easy) {
				r->resp.cres = m->data.result;
				curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
						  &r->resp.status);
				r->done = 1;
			}
		}
		if (r->done || r->len != before || r->resp.headers_done != hdrs)
			return;
		curl_multi_poll(r->multi, NULL, 0, 1000, NULL);
	}
}

static int
reader_fail(struct ps_s3_reader *r, struct ps_error *err)
{
	struct s3_req q = { "GET", r->bucket, r->key, NULL, NULL, 0, NULL,
			    NULL, NULL, NULL };

	if (r->resp.status == 404 && r->resp.cres == CURLE_OK)
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 GET s3://%s/%s: not found", r->bucket,
				    r->key);
	if (r->resp.status == 412)
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 GET s3://%s/%s: the object changed "
				    "while it was read", r->bucket, r->key);
	return request_error(&q, &r->resp, err);
}

/*
 * Wait for the response headers of the current transfer and judge them.
 * 0: a good response is flowing; 1: retry; -1: fail (err).
 */
static int
reader_await_headers(struct ps_s3_reader *r, struct ps_error *err)
{
	long st = 0;

	while (!r->done) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &st);
		if (r->resp.headers_done && st >= 200)
			break;
		reader_pump(r);
	}
	if (r->done) {
		st = r->resp.status;
		if (r->resp.cres != CURLE_OK && !r->bad_range)
			return curl_retryable(r->resp.cres) &&
			       r->attempts < r->s3->max_attempts ? 1 : -1;
	}
	r->resp.status = st;
	if (status_retryable(st, &r->resp.body) && (r->done || st >= 500)) {
		if (r->attempts < r->s3->max_attempts)
			return 1;
		/* let the body arrive for the message */
		while (!r->done)
			reader_pump(r);
		return -1;
	}
	if (ok_status(st) && !r->bad_range && reader_validate(r, st) == 0)
		return 0;
	while (!r->done)
		reader_pump(r);
	if (ok_status(st))
		return ps_error_set(err, PS_EXIT_OPER,
				    "S3 GET s3://%s/%s: unexpected response "
				    "to a ranged request (HTTP %ld)", r->bucket,
				    r->key, st);
	return -1;
}

/* (Re)start until a good response flows. */
static int
reader_connect(struct ps_s3_reader *r, struct ps_error *err)
{
	for (;;) {
		int rc;

		if (reader_start(r, err) < 0)
			return -1;
		rc = reader_await_headers(r, err);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			if (!err || !err->code)
				reader_fail(r, err);
			return -1;
		}
		backoff(r->s3, r->attempts);
	}
}

void
ps_s3_reader_close(struct ps_s3_reader *r)
{
	if (!r)
		return;
	reader_detach(r);
	if (r->easy)
		curl_easy_cleanup(r->easy);
	if (r->multi)
		curl_multi_cleanup(r->multi);
	resp_reset(&r->resp);
	free(r->buf);
	free(r->bucket);
	free(r->key);
	free(r);
}

struct ps_s3_reader *
ps_s3_reader_open(struct ps_s3 *s3, const char *bucket, const char *key,
		  struct ps_error *err)
{
	struct ps_s3_reader *r = ps_xcalloc(1, sizeof(*r));
	struct ps_error e = { 0 };

	r->s3 = s3;
	r->bucket = ps_xstrdup(bucket);
	r->key = ps_xstrdup(key);
	r->multi = curl_multi_init();
	r->easy = curl_easy_init();
	if (!r->multi || !r->easy) {
		ps_error_set(err, PS_EXIT_OPER, "cannot initialise libcurl");
		ps_s3_reader_close(r);
		return NULL;
	}
	if (reader_connect(r, &e) < 0) {
		if (err)
			*err = e;
		ps_s3_reader_close(r);
		return NULL;
	}
	return r;
}

uint64_t
ps_s3_reader_size(const struct ps_s3_reader *r)
{
	return r->size;
}

ssize_t
ps_s3_reader_read(struct ps_s3_reader *r, void *buf, size_t n,
		  struct ps_error *err)
{
	struct ps_error e = { 0 };

	while (r->len == 0) {
		if (r->done) {
			if (r->resp.cres == CURLE_OK &&
			    (r->got == r->size || !r->size_known))
				return 0;
			/* broken off (or short): resume where it stopped */
			if (r->resp.cres != CURLE_OK &&
			    !curl_retryable(r->resp.cres)) {
				reader_fail(r, err);
				return -1;
			}
			if (r->attempts >= r->s3->max_attempts) {
				if (r->resp.cres == CURLE_OK)
					ps_error_set(err, PS_EXIT_OPER,
						     "S3 GET s3://%s/%s: short "
						     "read (%llu of %llu bytes)",
						     r->bucket, r->key,
						     (unsigned long long)r->got,
						     (unsigned long long)r->size);
				else
					reader_fail(r, err);
				return -1;
			}
			backoff(r->s3, r->attempts);
			if (reader_connect(r, &e) < 0) {
				if (err)
					*err = e;
				return -1;
			}
			continue;
		}
		reader_pump(r);
	}
	if (n > r->len)
		n = r->len;
	memcpy(buf, r->buf + r->start, n);
	r->start += n;
	r->len -= n;
	if (r->len == 0)
		r->start = 0;
	if (r->paused && r->len < READ_HIGH / 2 && !r->done) {
		r->paused = 0;
		curl_easy_pause(r->easy, CURLPAUSE_CONT);
	}
	return (ssize_t)n;
}

int
ps_s3_get(struct ps_s3 *s3, const char *bucket, const char *key,
	  int (*sink)(void *arg, const void *p, size_t n), void *arg,
	  struct ps_error *err)
{
	struct ps_s3_reader *r = ps_s3_reader_open(s3, bucket, key, err);
	char *buf;
	ssize_t n;
	int rc = 0;

	if (!r)
		return -1;
	buf = ps_xmalloc(256 * 1024);
	while ((n = ps_s3_reader_read(r, buf, 256 * 1024, err)) > 0) {
		rc = sink(arg, buf, (size_t)n);
		if (rc)
			break;
	}
	if (n < 0)
		rc = -1;
	free(buf);
	ps_s3_reader_close(r);
	return rc;
}
