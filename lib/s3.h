/*
 * s3: a client for S3-compatible object stores over libcurl, with AWS
 * Signature Version 4 computed through OpenSSL (HMAC-SHA256, SHA-256).
 *
 *  - the signer (ps_s3_sign_*) is usable on its own and is checked against
 *    the official SigV4 test suite (tests/fixtures/sigv4/);
 *  - requests: PUT, GET (streaming, pull or callback), HEAD, DELETE,
 *    ListObjectsV2 (continuation tokens), multipart upload with bounded
 *    memory (parts of a fixed size, uploaded by a background thread while
 *    the next part fills; aborted on failure);
 *  - x-amz-content-sha256 is always sent (the SHA-256 of the body);
 *  - retries with exponential backoff and full jitter on 5xx, SlowDown,
 *    timeouts and connection resets; TLS verification is always on;
 *  - credentials from the configuration, else AWS_ACCESS_KEY_ID /
 *    AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the shared credentials
 *    file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile
 *    AWS_PROFILE or "default").
 *
 * Errors: struct ps_error with code PS_EXIT_OPER (3) for operational
 * failures (network, HTTP errors, missing credentials), PS_EXIT_USAGE (2)
 * for bad arguments (malformed endpoint, empty bucket). Secrets never
 * appear in error messages.
 */
#ifndef PS_S3_H
#define PS_S3_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util.h"

/* ---- credentials ---- */

struct ps_s3_creds {
	char *access_key;	/* AWS_ACCESS_KEY_ID */
	char *secret_key;	/* AWS_SECRET_ACCESS_KEY */
	char *session_token;	/* AWS_SESSION_TOKEN, or NULL */
};

/*
 * Fill c from the environment, else from the shared credentials file
 * (profile: the argument, else AWS_PROFILE, else "default"). -1 and err
 * (code 3) when none are found; the message says where it looked.
 */
int ps_s3_creds_load(struct ps_s3_creds *c, const char *profile,
		     struct ps_error *err);
/* Parse one profile out of a credentials file's text (INI). 0 found, -1 not. */
int ps_s3_creds_parse(struct ps_s3_creds *c, const char *text,
		      const char *profile);
void ps_s3_creds_free(struct ps_s3_creds *c);

/* ---- the signer ---- */

struct ps_s3_header {
	const char *name;
	const char *value;
};

/* One request to sign. Header values are used as given (folded lines and
 * runs of spaces are normalised for the canonical form). */
struct ps_s3_sign_req {
	const char *method;		/* "GET", "PUT", ... */
	const char *path;		/* raw, not percent-encoded ("/a b/ሴ") */
	const char *query;		/* after '?', as sent (may be encoded), or NULL */
	const struct ps_s3_header *headers;	/* must include Host */
	size_t nheaders;
	const char *payload_hash;	/* hex SHA-256, "UNSIGNED-PAYLOAD"; NULL = of "" */
};

struct ps_s3_sign_params {
	const char *access_key;
	const char *secret_key;
	const char *session_token;	/* NULL: none */
	const char *region;
	const char *service;		/* "s3" */
	time_t when;			/* signing time (UTC seconds) */
	int normalize_path;		/* 1: remove dot segments, merge slashes
					 * (generic services); 0: S3 */
	int sign_body;			/* header form: add and sign
					 * x-amz-content-sha256 */
	int omit_session_token;		/* token added after signing, unsigned */
	long expires;			/* query form: X-Amz-Expires seconds */
};

struct ps_s3_signed {
	char *canonical_request;
	char *string_to_sign;
	char signature[65];
	char amz_date[17];		/* 20150830T123600Z */
	/* header form: the headers to add, in this order (values owned) */
	struct ps_s3_header *add;	/* [X-Amz-Security-Token], X-Amz-Date,
					 * [x-amz-content-sha256], Authorization */
	size_t nadd;
	/* query form: the whole query string to send (original parameters
	 * first, then the X-Amz-* ones, X-Amz-Signature last) */
	char *query;
};

/* Header (Authorization) signing. 0, or -1 and err. */
int ps_s3_sign_header(const struct ps_s3_sign_req *r,
		      const struct ps_s3_sign_params *p,
		      struct ps_s3_signed *out, struct ps_error *err);
/* Query-string (presigned URL) signing. */
int ps_s3_sign_query(const struct ps_s3_sign_req *r,
		     const struct ps_s3_sign_params *p,
		     struct ps_s3_signed *out, struct ps_error *err);
void ps_s3_signed_free(struct ps_s3_signed *s);

/* RFC 3986 percent-encoding as SigV4 wants it (unreserved kept, uppercase
 * hex); keep_slash keeps '/' (paths). Appends to b. */
void ps_s3_uri_encode(struct ps_buf *b, const char *s, size_t n,
		      int keep_slash);

/* ---- the client ---- */

struct ps_s3_config {
	const char *endpoint;	/* "http://127.0.0.1:4568", "https://host";
				 * NULL: https://s3.<region>.amazonaws.com */
	const char *region;	/* NULL: AWS_REGION, AWS_DEFAULT_REGION, us-east-1 */
	int path_style;		/* 1: endpoint/bucket/key; 0: bucket.host/key
				 * (forced to 1 for IP-address endpoints) */
	const char *profile;	/* credentials profile, NULL: AWS_PROFILE/default */
	const struct ps_s3_creds *creds;	/* NULL: ps_s3_creds_load */
	const char *ca_file;	/* extra CA bundle (tests with self-signed) */
	size_t part_size;	/* multipart part size; 0: 8 MiB (as the AWS
				 * CLI); S3 wants >= 5 MiB. Doubled every
				 * 2,000 parts, so 10,000 parts of a 8 MiB
				 * start hold ~480 GiB */
	int parallel;		/* parts in flight besides the filling one;
				 * 0: 2 */
	int max_attempts;	/* per request; 0: 6 */
	unsigned retry_base_ms;	/* first backoff; 0: 200 ms (cap 20 s) */
	long connect_timeout_ms;	/* 0: 10 s */
	long low_speed_secs;	/* abort a transfer stalled this long; 0: 30 */
	int list_max_keys;	/* ListObjectsV2 page size; 0: server's (1000) */
};

struct ps_s3;

struct ps_s3 *ps_s3_new(const struct ps_s3_config *cfg, struct ps_error *err);
void ps_s3_free(struct ps_s3 *s3);

/* Request statistics (for tests and progress): */
struct ps_s3_stats {
	uint64_t requests;	/* HTTP requests sent, retries included */
	uint64_t retries;	/* requests that were retries */
	uint64_t bytes_up;
	uint64_t bytes_down;
};
void ps_s3_get_stats(const struct ps_s3 *s3, struct ps_s3_stats *out);

/* An object as HEAD or a listing sees it. */
struct ps_s3_object {
	char *key;
	uint64_t size;
	time_t mtime;		/* Last-Modified, UTC seconds */
	char etag[80];		/* without quotes */
};
void ps_s3_object_free(struct ps_s3_object *o);

/* A single PUT of a buffer. */
int ps_s3_put(struct ps_s3 *s3, const char *bucket, const char *key,
	      const void *data, size_t len, struct ps_error *err);
/* The most one PUT may carry (S3's limit): 5 GiB. */
#define PS_S3_MAX_PUT ((uint64_t)5 << 30)
/*
 * A single PUT of bytes [0, size) of the file fd (read with pread, so the
 * request is retried like any other), signed with the body's SHA-256
 * (hex, 64 characters; the caller computed it while writing the file).
 * size at most PS_S3_MAX_PUT (else code 2).
 */
int ps_s3_put_file(struct ps_s3 *s3, const char *bucket, const char *key,
		   int fd, uint64_t size, const char *sha256,
		   struct ps_error *err);
/* 0 and *out filled; 1 when the object does not exist; -1 and err. */
int ps_s3_head(struct ps_s3 *s3, const char *bucket, const char *key,
	       struct ps_s3_object *out, struct ps_error *err);
/* Deleting an absent object succeeds, as on S3. */
int ps_s3_delete(struct ps_s3 *s3, const char *bucket, const char *key,
		 struct ps_error *err);
/*
 * ListObjectsV2 under prefix (all pages): cb is called per object in key
 * order; a non-zero return from cb stops the listing and is returned.
 */
int ps_s3_list(struct ps_s3 *s3, const char *bucket, const char *prefix,
	       int (*cb)(void *arg, const struct ps_s3_object *o), void *arg,
	       struct ps_error *err);
/*
 * One ListObjectsV2 response page (the XML text): cb per <Contents>;
 * *next_token (caller frees) set when <IsTruncated> is true. 0, cb's
 * non-zero return, or -1 and err (code 3) for a malformed page.
 */
int ps_s3_parse_list(const char *xml, size_t n,
		     int (*cb)(void *arg, const struct ps_s3_object *o),
		     void *arg, char **next_token, struct ps_error *err);
/* Create a bucket (tests, demo); an existing bucket of ours is fine. */
int ps_s3_create_bucket(struct ps_s3 *s3, const char *bucket,
			struct ps_error *err);
/* A presigned GET URL valid for expires seconds (caller frees). */
char *ps_s3_presign(struct ps_s3 *s3, const char *method, const char *bucket,
		    const char *key, long expires, struct ps_error *err);

/*
 * Streaming GET, pull style: read returns bytes (0 at the end, -1 and err
 * on failure). A transfer broken part-way is resumed with a Range request
 * (If-Match on the first ETag), so the bytes returned are those of one
 * version of the object. A missing object fails at open with code 3 and
 * the message "... not found".
 */
struct ps_s3_reader;
struct ps_s3_reader *ps_s3_reader_open(struct ps_s3 *s3, const char *bucket,
				       const char *key, struct ps_error *err);
ssize_t ps_s3_reader_read(struct ps_s3_reader *r, void *buf, size_t n,
			  struct ps_error *err);
/* Size (Content-Length of the whole object) known after open. */
uint64_t ps_s3_reader_size(const struct ps_s3_reader *r);
void ps_s3_reader_close(struct ps_s3_reader *r);

/* Streaming GET, push style: sink returns 0 to go on, non-zero to stop. */
int ps_s3_get(struct ps_s3 *s3, const char *bucket, const char *key,
	      int (*sink)(void *arg, const void *p, size_t n), void *arg,
	      struct ps_error *err);

/*
 * Streaming upload. Bytes are buffered up to one part; an object that ends
 * smaller than one part is sent with a single PUT at commit, a larger one
 * as a multipart upload (initiated with the first full part, parts
 * uploaded in the background, completed at commit). Memory is bounded by
 * part_size * (parallel + 1). Abort (or a failed write/commit) aborts the
 * multipart upload. commit and abort free u.
 */
struct ps_s3_upload;
struct ps_s3_upload *ps_s3_upload_begin(struct ps_s3 *s3, const char *bucket,
					const char *key, struct ps_error *err);
/*
 * The same for a caller that knows the exact size in advance. An object
 * larger than one part (and up to 5 GiB) then goes as one streaming PUT
 * (like `curl -T`): bytes are sent as they are written through a 4 MiB
 * buffer, with x-amz-content-sha256: UNSIGNED-PAYLOAD, and the MD5 of what
 * was written is checked against the returned ETag when that is a plain
 * MD5. No retries once bytes have been sent (the data is not kept): use
 * ps_s3_upload_begin where resilience matters more than one request.
 * Writing more or fewer bytes than declared fails (code 2).
 */
struct ps_s3_upload *ps_s3_upload_begin_size(struct ps_s3 *s3,
					     const char *bucket,
					     const char *key, uint64_t size,
					     struct ps_error *err);
int ps_s3_upload_write(struct ps_s3_upload *u, const void *p, size_t n,
		       struct ps_error *err);
int ps_s3_upload_commit(struct ps_s3_upload *u, struct ps_error *err);
void ps_s3_upload_abort(struct ps_s3_upload *u);

#endif
